//! What a server started without `--mode` (production) does differently: no mailbox page,
//! `__Host-` Secure cookies, HSTS. Its BASE_URL is https, as behind a TLS-terminating
//! proxy; the test talks to it over plain http on loopback, as that proxy would.

use crate::common::*;
use app::auth::api::VerifyEmail;
use app::error::AppError;
use app::shell::api::GetShell;
use sqlx::PgPool;

async fn production(pool: PgPool) -> TestApp {
    spawn_app_with(
        pool,
        Options {
            extra_args: vec![
                "--mode".into(),
                "production".into(),
                "--base-url".into(),
                "https://muster.test".into(),
            ],
            ..Default::default()
        },
    )
    .await
}

#[sqlx::test(migrations = false)]
async fn production_has_no_mailbox_page_and_pages_send_hsts(pool: PgPool) {
    let app = production(pool).await;
    let res = app.client.get(app.url("/signin")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=63072000"
    );
    let (status, _) = app.get(&app.client, "/dev/mailbox").await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&app.client, "/dev/dns").await;
    assert_eq!(status, 404, "nor a DNS zone of its own");
    // Links in mail name the public https address.
    sign_up(&app, "Pat", "pat@example.com")
        .await
        .result
        .unwrap();
    let link = link_in(&app.wait_for_mail("pat@example.com", 1).await[0]);
    assert!(
        link.starts_with("https://muster.test/verify-email?token="),
        "{link}"
    );
}

#[sqlx::test(migrations = false)]
async fn production_cookies_are_host_prefixed_and_secure_and_bare_names_grant_nothing(
    pool: PgPool,
) {
    let app = production(pool).await;
    sign_up(&app, "Pat", "pat@example.com")
        .await
        .result
        .unwrap();
    let token = token_of(&link_in(&app.wait_for_mail("pat@example.com", 1).await[0]));
    let verified = app
        .call::<VerifyEmail>(&app.client, &[("token", &token), ("password", PASSWORD)])
        .await;
    verified.result.unwrap();
    let session = verified
        .set_cookies
        .iter()
        .find(|c| c.contains("muster_session="))
        .expect("a session cookie");
    assert!(session.starts_with("__Host-muster_session="), "{session}");
    assert!(
        session.contains("; Path=/;")
            && session.ends_with("; Secure")
            && !session.contains("Domain"),
        "{session}"
    );
    let value = session
        .trim_start_matches("__Host-muster_session=")
        .split(';')
        .next()
        .unwrap();

    // A browser sends it back under its prefixed name: signed in.
    let plain = reqwest::Client::new();
    let shell = |cookie: String| {
        let plain = plain.clone();
        let url = app.url(<GetShell as leptos::server_fn::ServerFn>::PATH);
        async move {
            let res = plain
                .post(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            res.text().await.unwrap()
        }
    };
    let me = shell(format!("__Host-muster_session={value}")).await;
    assert!(me.contains("pat@example.com"), "{me}");
    // The same value under the bare name, as a page on a sibling subdomain could set it
    // (it cannot set a `__Host-` cookie), is not a session.
    let bare = shell(format!("muster_session={value}")).await;
    assert!(!bare.contains("pat@example.com"), "{bare}");
    let _: Option<AppError> = serde_json::from_str(&bare).ok();
}

#[sqlx::test(migrations = false)]
async fn the_development_mailbox_never_answers_through_a_proxy(pool: PgPool) {
    let app = spawn_app_with_mailbox_page(pool).await;
    let (status, _) = app.get(&app.client, "/dev/mailbox").await;
    assert_eq!(status, 200, "a loopback visitor reads the mailbox");
    // Behind a reverse proxy on this machine every visitor's connection is loopback; the
    // proxy's headers give it away, and the mailbox (reset links included) stays closed.
    for (name, value) in [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9;proto=https"),
    ] {
        let res = app
            .client
            .get(app.url("/dev/mailbox"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{name}");
    }
}
