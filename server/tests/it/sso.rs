//! Single sign-on against a real OpenID provider (panva's oidc-provider, started by the
//! test on loopback from `end2end/oidc/provider.mjs`): set-up with "Test connection",
//! just-in-time membership, linking, seats, and the tampered answers a relying party
//! must refuse.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::common::*;
use app::orgs::api::{GetOrgOverview, GetOrgSettings};
use app::sso::api::{RequireSso, SaveSso};
use reqwest::header::LOCATION;
use sqlx::PgPool;

const ACME: [(&str, &str); 2] = [("region", "eu-central-1"), ("short_name", "acme")];
const CLIENT_ID: &str = "muster";
const CLIENT_SECRET: &str = "muster-test-secret";
const PROVIDER_PASSWORD: &str = "provider password";

/// The test provider, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_provider(app: &TestApp) -> Provider {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/oidc/provider.mjs");
    let mut child = Command::new("node")
        .arg(script)
        .env("OIDC_REDIRECT_URIS", format!("{}/sso/callback", app.base))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs the test provider (./muster test installs its packages)");
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    // Whatever it says later is read (and dropped), so it never writes to a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let issuer = line
        .trim()
        .strip_prefix("ISSUER ")
        .unwrap_or_else(|| panic!("the provider says where it is: {line:?}"))
        .to_owned();
    Provider { child, issuer }
}

/// Acme (OWNER it@acme.test) with acme.test verified, and single sign-on set up.
async fn acme_with_sso(app: &TestApp, provider: &Provider) -> reqwest::Client {
    let owner = org(app, "Acme", "it@acme.test", &[]).await;
    verify_domain(app, "acme.test").await;
    ok(save_sso(app, &owner, &provider.issuer, CLIENT_SECRET, "save").await).await;
    owner
}

/// A domain verified for Acme (the DNS side is the domains tests' subject).
async fn verify_domain(app: &TestApp, domain: &str) {
    sqlx::query(
        "INSERT INTO org_domains (org_id, domain, token, verified_at)
         SELECT id, $1, 'test', now() FROM organizations WHERE short_name = 'acme'",
    )
    .bind(domain)
    .execute(&app.pool)
    .await
    .unwrap();
}

async fn save_sso(
    app: &TestApp,
    owner: &reqwest::Client,
    issuer: &str,
    secret: &str,
    intent: &str,
) -> Reply<serde_json::Value> {
    let mut form = ACME.to_vec();
    form.extend([
        ("issuer", issuer),
        ("client_id", CLIENT_ID),
        ("client_secret", secret),
        ("intent", intent),
    ]);
    app.call::<SaveSso>(owner, &form).await
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn absolute(app: &TestApp, to: &str) -> String {
    if to.starts_with('/') {
        format!("{}{to}", app.local)
    } else {
        to.to_owned()
    }
}

/// Follows a sign-in from `/sso/start` through the provider (signing in there as `who`)
/// back to Muster's callback; `tamper` may change the callback's address first. Returns
/// where Muster's callback sends the browser.
async fn sign_in_via(
    app: &TestApp,
    c: &reqwest::Client,
    email: &str,
    who: &str,
    tamper: impl Fn(String) -> String,
) -> String {
    let start = c
        .get(app.url(&format!("/sso/start?email={email}")))
        .send()
        .await
        .unwrap();
    // A page that moves on to the provider by itself (forms may not redirect off-site).
    assert_eq!(start.status(), 200, "sent to the provider");
    let page = start.text().await.unwrap();
    let mut to = page
        .split_once("content=\"0;url=")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(url, _)| url.replace("&amp;", "&"))
        .unwrap_or_else(|| panic!("the page names the provider: {page}"));
    assert!(
        page.contains(&format!("<a href=\"{}", to.replace('&', "&amp;"))),
        "{page}"
    );
    for _ in 0..10 {
        if to.contains("/sso/callback") {
            let back = c.get(absolute(app, &tamper(to))).send().await.unwrap();
            assert_eq!(back.status(), 303);
            return location(&back);
        }
        let res = if to.contains("/interaction/") {
            // The provider's sign-in page, then its form.
            let page = c.get(&to).send().await.unwrap();
            assert_eq!(page.status(), 200);
            c.post(&to)
                .form(&[("email", who), ("password", PROVIDER_PASSWORD)])
                .send()
                .await
                .unwrap()
        } else {
            c.get(&to).send().await.unwrap()
        };
        assert!(res.status().is_redirection(), "{to}: {}", res.status());
        let next = location(&res);
        to = if next.starts_with('/') && !next.starts_with("/o/") && !next.starts_with("/signin") {
            // The provider's own relative redirects.
            let origin: String = to.split('/').take(3).collect::<Vec<_>>().join("/");
            format!("{origin}{next}")
        } else {
            next
        };
    }
    panic!("the sign-in never came back: {to}");
}

#[sqlx::test(migrations = false)]
async fn a_new_person_at_a_verified_domain_signs_in_through_the_provider_and_joins(pool: PgPool) {
    let app = spawn_app(pool).await;
    let provider = start_provider(&app);
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    verify_domain(&app, "acme.test").await;

    // "Test connection" says what is wrong, in words, on the field to fix.
    let wrong = save_sso(&app, &owner, &provider.issuer, "not the secret", "test").await;
    assert_eq!(wrong.status, 422);
    assert_eq!(
        field_keys(&wrong.result.unwrap_err()),
        [(
            "client_secret".to_owned(),
            "errors.sso_client_refused".to_owned()
        )]
    );
    let nowhere = save_sso(&app, &owner, "http://127.0.0.1:9", CLIENT_SECRET, "test").await;
    assert_eq!(
        field_keys(&nowhere.result.unwrap_err()),
        [("issuer".to_owned(), "errors.sso_unreachable".to_owned())]
    );
    ok(save_sso(&app, &owner, &provider.issuer, CLIENT_SECRET, "test").await).await;
    assert_eq!(
        app.count("SELECT count(*) FROM org_sso").await,
        0,
        "a test saves nothing"
    );
    ok(save_sso(&app, &owner, &provider.issuer, CLIENT_SECRET, "save").await).await;
    let sso = ok(app.call::<GetOrgSettings>(&owner, &ACME).await).await["sso"].clone();
    assert_eq!(sso["issuer"], provider.issuer.as_str());
    assert_eq!(sso["client_id"], CLIENT_ID);
    assert!(
        !sso.to_string().contains(CLIENT_SECRET),
        "never shown again"
    );
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT client_secret_sealed FROM org_sso")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        !sealed
            .windows(CLIENT_SECRET.len())
            .any(|w| w == CLIENT_SECRET.as_bytes()),
        "sealed at rest"
    );

    // Home-realm discovery: another address goes on to the password step.
    let elsewhere = new_client()
        .get(app.url("/sso/start?email=bo@elsewhere.test"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&elsewhere), "/signin?email=bo%40elsewhere.test");
    // "Use my password" goes to the password step, even for an address of Acme.
    let password = new_client()
        .get(app.url("/sso/start?email=it@acme.test&password=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&password), "/signin?email=it%40acme.test");

    // Someone new at acme.test signs in through the provider and is a member at once.
    let ann = new_client();
    let to = sign_in_via(&app, &ann, "ann@acme.test", "ann@acme.test", |u| u).await;
    assert_eq!(to, "/o/eu-central-1/acme");
    assert_eq!(
        signed_in_as(&app, &ann).await.as_deref(),
        Some("ann@acme.test")
    );
    let overview = ok(app.call::<GetOrgOverview>(&ann, &ACME).await).await;
    assert_eq!(overview["my_role"], "VIEWER");
    let welcome = mail_with_subject(&app, "ann@acme.test", "Welcome to Acme").await;
    assert!(welcome.text.contains("single sign-on"), "{}", welcome.text);
    let audit = audit_actions(&app, &owner).await;
    assert!(audit.contains(&"person_joined".to_owned()), "{audit:?}");
    assert!(audit.contains(&"sso_changed".to_owned()), "{audit:?}");

    // The next time, the same account; no second welcome.
    let again = new_client();
    sign_in_via(&app, &again, "ann@acme.test", "ann@acme.test", |u| u).await;
    assert_eq!(
        signed_in_as(&app, &again).await.as_deref(),
        Some("ann@acme.test")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'ann@acme.test'")
            .await,
        1
    );
    assert_eq!(app.mailbox.to("ann@acme.test").len(), 1);
}

#[sqlx::test(migrations = false)]
async fn tampered_state_nonce_issuer_audience_and_signature_are_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let provider = start_provider(&app);
    acme_with_sso(&app, &provider).await;
    let refused = |to: &str, problem: &str| {
        assert_eq!(to, format!("/signin?sso={problem}"));
    };
    // Another state than the one this browser started with.
    let c = new_client();
    let to = sign_in_via(&app, &c, "ann@acme.test", "ann@acme.test", |u| {
        let (head, state) = u.split_once("state=").unwrap();
        let rest = state
            .split_once('&')
            .map(|(_, r)| format!("&{r}"))
            .unwrap_or_default();
        format!("{head}state=forged{rest}")
    })
    .await;
    refused(&to, "state");
    assert_eq!(signed_in_as(&app, &c).await, None);
    // The provider's answer brought to another browser (no sign-in of its own there).
    let c = new_client();
    let stolen = std::sync::Mutex::new(String::new());
    sign_in_via(&app, &c, "ann@acme.test", "ann@acme.test", |u| {
        *stolen.lock().unwrap() = u;
        "/sso/callback?state=x&code=y".to_owned()
    })
    .await;
    let other = new_client();
    let stolen = absolute(&app, &stolen.lock().unwrap());
    let res = other.get(stolen).send().await.unwrap();
    refused(&location(&res), "state");
    assert_eq!(signed_in_as(&app, &other).await, None);
    // ID tokens signed by the provider's key with a wrong claim, or by another key.
    for who in [
        "tamper-issuer@acme.test",
        "tamper-audience@acme.test",
        "tamper-nonce@acme.test",
        "tamper-signature@acme.test",
    ] {
        let c = new_client();
        let to = sign_in_via(&app, &c, who, who, |u| u).await;
        refused(&to, "token");
        assert_eq!(signed_in_as(&app, &c).await, None, "{who}");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email LIKE 'tamper-%'")
            .await,
        0,
        "no account from a forged token"
    );
}

#[sqlx::test(migrations = false)]
async fn an_unverified_domain_or_address_gives_no_membership_and_links_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let provider = start_provider(&app);
    acme_with_sso(&app, &provider).await;
    // beta.test was added, not verified.
    sqlx::query(
        "INSERT INTO org_domains (org_id, domain, token)
         SELECT id, 'beta.test', 'test' FROM organizations WHERE short_name = 'acme'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let c = new_client();
    let to = sign_in_via(&app, &c, "ann@acme.test", "bo@beta.test", |u| u).await;
    assert_eq!(to, "/signin?sso=domain");
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'bo@beta.test'")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) FROM people WHERE email = 'bo@beta.test'")
            .await,
        0
    );

    // An account of its own at acme.test is linked only by an address the provider
    // verified.
    verified_user(&app, "unverified.cy@acme.test").await;
    let c = new_client();
    let to = sign_in_via(
        &app,
        &c,
        "unverified.cy@acme.test",
        "unverified.cy@acme.test",
        |u| u,
    )
    .await;
    assert_eq!(to, "/signin?sso=unverified");
    assert_eq!(signed_in_as(&app, &c).await, None);
    assert_eq!(app.count("SELECT count(*) FROM sso_identities").await, 0);
    verified_user(&app, "dee@acme.test").await;
    let c = new_client();
    let to = sign_in_via(&app, &c, "dee@acme.test", "dee@acme.test", |u| u).await;
    assert_eq!(to, "/o/eu-central-1/acme");
    assert_eq!(
        signed_in_as(&app, &c).await.as_deref(),
        Some("dee@acme.test")
    );
    assert_eq!(app.count("SELECT count(*) FROM sso_identities").await, 1);
    // Dee keeps her password.
    let c = new_client();
    assert_eq!(sign_in_to(&app, &c, "dee@acme.test", PASSWORD).await, "/");
}

#[sqlx::test(migrations = false)]
async fn just_in_time_membership_respects_the_plans_seats(pool: PgPool) {
    let app = spawn_app(pool).await;
    let provider = start_provider(&app);
    let owner = acme_with_sso(&app, &provider).await;
    sqlx::query("UPDATE organizations SET seats = 1")
        .execute(&app.pool)
        .await
        .unwrap();
    let c = new_client();
    let to = sign_in_via(&app, &c, "ann@acme.test", "ann@acme.test", |u| u).await;
    assert_eq!(to, "/signin?sso=seats");
    assert_eq!(
        app.count("SELECT count(*) FROM people WHERE email = 'ann@acme.test'")
            .await,
        0
    );
    assert_eq!(signed_in_as(&app, &c).await, None);
    // "Require single sign-on" is there once it is set up, and audited.
    let mut form = ACME.to_vec();
    form.push(("required", "on"));
    ok(app.call::<RequireSso>(&owner, &form).await).await;
    assert_eq!(
        app.count("SELECT count(*) FROM org_sso WHERE required")
            .await,
        1
    );
}

#[sqlx::test(migrations = false)]
async fn require_sso_sends_members_to_the_provider_and_keeps_owners_a_password_way_in(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let provider = start_provider(&app);
    let owner = org(
        &app,
        "Acme",
        "it@acme.test",
        &[
            ("dana@acme.test", "EDITOR"),
            ("eve@elsewhere.test", "VIEWER"),
        ],
    )
    .await;
    verify_domain(&app, "acme.test").await;
    ok(save_sso(&app, &owner, &provider.issuer, CLIENT_SECRET, "save").await).await;
    let dana = accept(&app, "dana@acme.test").await;
    let eve = accept(&app, "eve@elsewhere.test").await;
    assert_eq!(app.call::<GetOrgOverview>(&dana, &ACME).await.status, 200);

    let mut form = ACME.to_vec();
    form.push(("required", "on"));
    ok(app.call::<RequireSso>(&owner, &form).await).await;

    // Dana's session from before did not come through the provider: Acme asks for it.
    let refused = app.call::<GetOrgOverview>(&dana, &ACME).await;
    assert_eq!(refused.status, 403);
    assert!(
        matches!(refused.result, Err(app::error::AppError::SsoRequired { ref email, .. }) if email == "dana@acme.test")
    );
    // Her password sign-in goes on to the provider instead of opening a session.
    let laptop = new_client();
    let to = sign_in_to(&app, &laptop, "dana@acme.test", PASSWORD).await;
    assert_eq!(to, "/sso/start?email=dana%40acme.test");
    assert_eq!(signed_in_as(&app, &laptop).await, None);
    let to = sign_in_via(&app, &laptop, "dana@acme.test", "dana@acme.test", |u| u).await;
    assert_eq!(to, "/o/eu-central-1/acme");
    let overview = ok(app.call::<GetOrgOverview>(&laptop, &ACME).await).await;
    assert_eq!(overview["my_role"], "EDITOR", "the role an admin gave her");

    // The OWNER keeps a password way in, and so does an address on another domain.
    let desk = new_client();
    assert_eq!(sign_in_to(&app, &desk, "it@acme.test", PASSWORD).await, "/");
    assert_eq!(app.call::<GetOrgOverview>(&desk, &ACME).await.status, 200);
    assert_eq!(app.call::<GetOrgOverview>(&eve, &ACME).await.status, 200);

    // Turned off, passwords work for everyone again.
    // (An unchecked box sends nothing.)
    ok(app.call::<RequireSso>(&owner, &ACME).await).await;
    assert_eq!(app.call::<GetOrgOverview>(&dana, &ACME).await.status, 200);
}
