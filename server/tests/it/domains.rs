//! Verified domains: an OWNER adds a domain, publishes the TXT record Muster shows, and
//! Muster looks it up in a real DNS server (one of the test's own, on loopback).

use std::time::Duration;

use crate::common::*;
use app::audit::api::GetAuditLog;
use app::domains::api::{AddDomain, RemoveDomain, VerifyDomain};
use app::joining::api::{RequestJoin, SaveJoinLink};
use app::orgs::api::GetOrgSettings;
use server::dns_zone::{self, Zone};
use sqlx::PgPool;

const ACME: [(&str, &str); 2] = [("region", "eu-central-1"), ("short_name", "acme")];
const GLOBEX: [(&str, &str); 2] = [("region", "eu-central-1"), ("short_name", "globex")];

/// A server whose domain look-ups go to a DNS zone of the test's own.
async fn spawn_with_dns(pool: PgPool, extra: &[&str]) -> (TestApp, Zone) {
    let (dns, zone) = dns_zone::start("127.0.0.1:0").await.unwrap();
    let mut extra_args = vec!["--dns-server".to_owned(), dns.to_string()];
    extra_args.extend(extra.iter().map(|a| (*a).to_owned()));
    let app = spawn_app_with(
        pool,
        Options {
            extra_args,
            ..Default::default()
        },
    )
    .await;
    (app, zone)
}

async fn domains(app: &TestApp, c: &reqwest::Client, org: &[(&str, &str)]) -> serde_json::Value {
    ok(app.call::<GetOrgSettings>(c, org).await).await["domains"]["domains"].clone()
}

async fn add(
    app: &TestApp,
    c: &reqwest::Client,
    org: &[(&str, &str)],
    domain: &str,
) -> Reply<serde_json::Value> {
    let mut form = org.to_vec();
    form.push(("domain", domain));
    app.call::<AddDomain>(c, &form).await
}

/// "Verify" on the domain named `domain`; the domain as the page then shows it.
async fn verify(
    app: &TestApp,
    c: &reqwest::Client,
    org: &[(&str, &str)],
    domain: &str,
) -> serde_json::Value {
    let id = find(app, c, org, domain).await["id"].to_string();
    let mut form = org.to_vec();
    form.push(("domain_id", &id));
    ok(app.call::<VerifyDomain>(c, &form).await).await;
    find(app, c, org, domain).await
}

async fn find(
    app: &TestApp,
    c: &reqwest::Client,
    org: &[(&str, &str)],
    domain: &str,
) -> serde_json::Value {
    domains(app, c, org)
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["domain"] == domain)
        .cloned()
        .unwrap_or_else(|| panic!("{domain} is listed"))
}

fn publish(zone: &Zone, shown: &serde_json::Value) {
    zone.set_txt(
        shown["record_name"].as_str().unwrap(),
        &[shown["record_value"].as_str().unwrap()],
    );
}

#[sqlx::test(migrations = false)]
async fn an_owner_verifies_a_domain_by_publishing_its_record(pool: PgPool) {
    let (app, zone) = spawn_with_dns(pool, &[]).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;

    // Bad input names the field and the fix.
    let bad = add(&app, &owner, &ACME, "acme").await;
    assert_eq!(bad.status, 422);
    assert_eq!(
        field_keys(&bad.result.unwrap_err()),
        [("domain".into(), "errors.verified_domain_invalid".into())]
    );

    ok(add(&app, &owner, &ACME, " @Acme.TEST ").await).await;
    let again = add(&app, &owner, &ACME, "acme.test").await;
    assert_eq!(
        field_keys(&again.result.unwrap_err()),
        [("domain".into(), "errors.domain_added_already".into())]
    );
    let shown = find(&app, &owner, &ACME, "acme.test").await;
    assert_eq!(shown["record_name"], "_muster-verification.acme.test");
    let value = shown["record_value"].as_str().unwrap();
    assert!(
        value.starts_with("muster-verification=") && value.len() > 40,
        "{value}"
    );
    assert_eq!(shown["verified_at"], serde_json::Value::Null);

    // Nothing published yet.
    let checked = verify(&app, &owner, &ACME, "acme.test").await;
    assert_eq!(checked["verified_at"], serde_json::Value::Null);
    assert_eq!(checked["problem"], "Missing");

    // Another value at the name.
    zone.set_txt(
        "_muster-verification.acme.test",
        &["muster-verification=someone-else"],
    );
    let checked = verify(&app, &owner, &ACME, "acme.test").await;
    assert_eq!(checked["problem"], "Mismatch");
    assert_eq!(checked["verified_at"], serde_json::Value::Null);

    // The record as shown, beside another.
    zone.set_txt("_muster-verification.acme.test", &["v=spf1 -all", value]);
    let checked = verify(&app, &owner, &ACME, "acme.test").await;
    assert!(checked["verified_at"].is_string(), "{checked}");
    assert_eq!(checked["problem"], serde_json::Value::Null);

    let actions = audit_actions(&app, &owner).await;
    assert!(actions.contains(&"domain_added".to_owned()), "{actions:?}");
    assert!(
        actions.contains(&"domain_verified".to_owned()),
        "{actions:?}"
    );

    // Removing frees it.
    let id = checked["id"].to_string();
    let mut form = ACME.to_vec();
    form.push(("domain_id", &id));
    ok(app.call::<RemoveDomain>(&owner, &form).await).await;
    assert_eq!(domains(&app, &owner, &ACME).await, serde_json::json!([]));
    assert!(
        audit_actions(&app, &owner)
            .await
            .contains(&"domain_removed".to_owned())
    );
}

#[sqlx::test(migrations = false)]
async fn a_domain_is_verified_by_one_organization_at_a_time(pool: PgPool) {
    let (app, zone) = spawn_with_dns(pool, &[]).await;
    let acme = org(&app, "Acme", "it@acme.test", &[]).await;
    let globex = org(&app, "Globex", "it@globex.test", &[]).await;
    ok(add(&app, &acme, &ACME, "shared.test").await).await;
    ok(add(&app, &globex, &GLOBEX, "shared.test").await).await;
    let a = find(&app, &acme, &ACME, "shared.test").await;
    let g = find(&app, &globex, &GLOBEX, "shared.test").await;
    assert_ne!(a["record_value"], g["record_value"], "each its own value");
    // Both records published: the first to verify holds the domain.
    zone.set_txt(
        a["record_name"].as_str().unwrap(),
        &[
            a["record_value"].as_str().unwrap(),
            g["record_value"].as_str().unwrap(),
        ],
    );
    assert!(verify(&app, &acme, &ACME, "shared.test").await["verified_at"].is_string());
    let g = verify(&app, &globex, &GLOBEX, "shared.test").await;
    assert_eq!(g["verified_at"], serde_json::Value::Null);
    assert_eq!(g["problem"], "Taken");
    assert_eq!(
        app.count("SELECT count(*) FROM org_domains WHERE domain = 'shared.test' AND verified_at IS NOT NULL").await,
        1
    );
    let taken = add(&app, &globex, &GLOBEX, "shared.test").await;
    assert_eq!(
        field_keys(&taken.result.unwrap_err()),
        [("domain".into(), "errors.domain_taken".into())]
    );
    // Once the holder removes it, the other organization verifies it; a third may not add it.
    let mut form = ACME.to_vec();
    let id = find(&app, &acme, &ACME, "shared.test").await["id"].to_string();
    form.push(("domain_id", &id));
    ok(app.call::<RemoveDomain>(&acme, &form).await).await;
    assert!(verify(&app, &globex, &GLOBEX, "shared.test").await["verified_at"].is_string());
    let third = org(&app, "Initech", "it@initech.test", &[]).await;
    let initech = [("region", "eu-central-1"), ("short_name", "initech")];
    let taken = add(&app, &third, &initech, "shared.test").await;
    assert_eq!(
        field_keys(&taken.result.unwrap_err()),
        [("domain".into(), "errors.domain_taken".into())]
    );
}

#[sqlx::test(migrations = false)]
async fn only_owners_see_and_change_domains(pool: PgPool) {
    let (app, _zone) = spawn_with_dns(pool, &[]).await;
    let owner = org(&app, "Acme", "it@acme.test", &[("ann@acme.test", "ADMIN")]).await;
    ok(add(&app, &owner, &ACME, "acme.test").await).await;
    let admin = accept(&app, "ann@acme.test").await;
    let page = ok(app.call::<GetOrgSettings>(&admin, &ACME).await).await;
    assert_eq!(
        page["domains"],
        serde_json::Value::Null,
        "no Domains section"
    );
    let refused = add(&app, &admin, &ACME, "evil.test").await;
    assert_eq!(refused.status, 403);
    let id = find(&app, &owner, &ACME, "acme.test").await["id"].to_string();
    let mut form = ACME.to_vec();
    form.push(("domain_id", &id));
    assert_eq!(app.call::<RemoveDomain>(&admin, &form).await.status, 403);
    assert_eq!(app.call::<VerifyDomain>(&admin, &form).await.status, 403);
    // Another organization's OWNER cannot reach it by id.
    let globex = org(&app, "Globex", "it@globex.test", &[]).await;
    let mut theirs = GLOBEX.to_vec();
    theirs.push(("domain_id", &id));
    assert_eq!(app.call::<RemoveDomain>(&globex, &theirs).await.status, 404);
    assert_eq!(app.count("SELECT count(*) FROM org_domains").await, 1);
}

#[sqlx::test(migrations = false)]
async fn publishing_the_record_is_enough_the_background_check_verifies(pool: PgPool) {
    let (app, zone) = spawn_with_dns(pool, &["--domain-recheck-seconds", "1"]).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    ok(add(&app, &owner, &ACME, "acme.test").await).await;
    publish(&zone, &find(&app, &owner, &ACME, "acme.test").await);
    let mut verified = false;
    for _ in 0..100 {
        if app
            .count("SELECT count(*) FROM org_domains WHERE verified_at IS NOT NULL")
            .await
            == 1
        {
            verified = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(verified, "verified without choosing Verify");
    let log = ok(app.call::<GetAuditLog>(&owner, &ACME).await).await;
    let event = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "domain_verified")
        .cloned()
        .expect("audited");
    assert_eq!(event["subject"], "acme.test");

    // A verified domain whose record is gone is verified no longer after the grace days.
    zone.remove("_muster-verification.acme.test");
    sqlx::query("UPDATE org_domains SET checked_at = now() - interval '2 days', failing_since = now() - interval '8 days', problem = 'missing'")
        .execute(&app.pool)
        .await
        .unwrap();
    let mut unverified = false;
    for _ in 0..100 {
        if app
            .count("SELECT count(*) FROM org_domains WHERE verified_at IS NULL")
            .await
            == 1
        {
            unverified = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(unverified);
    assert!(
        audit_actions(&app, &owner)
            .await
            .contains(&"domain_unverified".to_owned())
    );
}

#[sqlx::test(migrations = false)]
async fn people_on_a_verified_domain_may_join_by_the_link_without_a_typed_list(pool: PgPool) {
    let (app, zone) = spawn_with_dns(pool, &[]).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    // Without a typed domain and without a verified one, the link cannot be turned on.
    let mut form = ACME.to_vec();
    form.extend([("domains", ""), ("enabled", "on")]);
    let refused = app.call::<SaveJoinLink>(&owner, &form).await;
    assert_eq!(
        field_keys(&refused.result.unwrap_err()),
        [("domains".into(), "errors.domains_required".into())]
    );
    ok(add(&app, &owner, &ACME, "acme.test").await).await;
    publish(&zone, &find(&app, &owner, &ACME, "acme.test").await);
    verify(&app, &owner, &ACME, "acme.test").await;
    ok(app.call::<SaveJoinLink>(&owner, &form).await).await;
    let tab = people(&app, &owner, "acme").await["admin"]["link"].clone();
    assert_eq!(tab["verified_domains"], serde_json::json!(["acme.test"]));
    let token = tab["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let join = |email: &'static str| {
        let (app, token) = (&app, token.clone());
        async move {
            app.call::<RequestJoin>(
                &new_client(),
                &[
                    ("token", &token),
                    ("name", "Jo"),
                    ("email", email),
                    ("password", PASSWORD),
                ],
            )
            .await
        }
    };
    assert_eq!(join("jo@other.test").await.status, 422);
    ok(join("jo@acme.test").await).await;
    app.wait_for_mail("jo@acme.test", 1).await;
}

/// `./muster run` without a DNS server of one's own: the development server verifies
/// against its own zone, whose records are published on its /dev/dns page.
#[sqlx::test(migrations = false)]
async fn the_development_server_has_a_dns_page_to_publish_records_on(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    ok(add(&app, &owner, &ACME, "acme.test").await).await;
    let shown = find(&app, &owner, &ACME, "acme.test").await;
    let (status, page) = app.get(&app.client, "/dev/dns").await;
    assert_eq!(status, 200);
    assert!(page.contains("Development DNS"), "{page}");
    let res = app
        .client
        .post(app.url("/dev/dns"))
        .header("origin", &app.base)
        .form(&[
            ("name", shown["record_name"].as_str().unwrap()),
            ("value", shown["record_value"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection());
    let (_, page) = app.get(&app.client, "/dev/dns").await;
    assert!(page.contains(shown["record_value"].as_str().unwrap()));
    assert!(verify(&app, &owner, &ACME, "acme.test").await["verified_at"].is_string());
}

/// A DNS server that does not answer says nothing about a verified domain's record: the
/// look-ups it fails do not count toward the days of grace.
#[sqlx::test(migrations = false)]
async fn unanswered_look_ups_do_not_unverify_a_domain(pool: PgPool) {
    let options = Options {
        // Nothing listens there: every look-up fails unanswered.
        extra_args: vec![
            "--dns-server".into(),
            "127.0.0.1:9".into(),
            "--domain-recheck-seconds".into(),
            "1".into(),
        ],
        ..Default::default()
    };
    let app = spawn_app_with(pool, options).await;
    org(&app, "Acme", "it@acme.test", &[]).await;
    sqlx::query(
        "INSERT INTO org_domains (org_id, domain, token, verified_at, checked_at)
         SELECT id, 'acme.test', 'test', now() - interval '30 days', now() - interval '2 days'
         FROM organizations WHERE short_name = 'acme'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    for _ in 0..200 {
        if app
            .count("SELECT count(*) FROM org_domains WHERE problem = 'unreachable'")
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.count(
            "SELECT count(*) FROM org_domains
             WHERE problem = 'unreachable' AND failing_since IS NULL AND verified_at IS NOT NULL"
        )
        .await,
        1,
        "looked up, unanswered, still verified, no grace started"
    );
}

/// When a domain that "Require single sign-on" depends on is no longer verified, the
/// organization's OWNERs are told by mail.
#[sqlx::test(migrations = false)]
async fn owners_are_mailed_when_a_domain_single_sign_on_needs_is_unverified(pool: PgPool) {
    let (app, _zone) = spawn_with_dns(pool, &["--domain-recheck-seconds", "1"]).await;
    org(&app, "Acme", "it@acme.test", &[]).await;
    sqlx::query(
        "INSERT INTO org_domains (org_id, domain, token, verified_at, checked_at, failing_since, problem)
         SELECT id, 'acme.test', 'test', now() - interval '30 days', now() - interval '2 days',
                now() - interval '8 days', 'missing'
         FROM organizations WHERE short_name = 'acme'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO org_sso (org_id, issuer, client_id, client_secret_sealed, required)
         SELECT id, 'https://login.acme.test', 'muster', '\\x00', true
         FROM organizations WHERE short_name = 'acme'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let mail = mail_with_subject(
        &app,
        "it@acme.test",
        "acme.test is no longer verified for Acme",
    )
    .await;
    assert!(mail.text.contains("single sign-on"), "{}", mail.text);
    assert!(
        mail.text.contains("/o/eu-central-1/acme/settings#domains"),
        "{}",
        mail.text
    );
}
