//! Attacks and abuse, tried against a real server the way an attacker would: each test
//! failed on the code before its fix. Run them as a group: `./muster test security`.

use std::time::Duration;

use crate::common::*;
use app::auth::api::{RequestPasswordReset, ResetPassword, SignIn, SignOut, SignUp, VerifyEmail};
use app::error::AppError;
use app::joining::api::{ConfirmJoin, RequestJoin};
use app::shell::api::GetShell;
use leptos::server_fn::ServerFn;
use sqlx::PgPool;

const ACME: [(&str, &str); 2] = [("region", "eu-central-1"), ("short_name", "acme")];
const ATTACKER_PASSWORD: &str = "attacker chose this";
const OWNER_PASSWORD: &str = "the owner's own secret";

async fn sign_in(app: &TestApp, c: &reqwest::Client, email: &str, password: &str) -> u16 {
    app.call::<SignIn>(c, &[("email", email), ("password", password)])
        .await
        .status
}

async fn reset(app: &TestApp, c: &reqwest::Client, email: &str, password: &str) {
    ok(app
        .call::<RequestPasswordReset>(c, &[("email", email)])
        .await)
    .await;
    let mail = mail_with_subject(app, email, "Reset your Muster password").await;
    ok(app
        .call::<ResetPassword>(
            c,
            &[
                ("token", &token_of(&link_in(&mail))),
                ("password", password),
            ],
        )
        .await)
    .await;
}

/// Whether an event stream is closed by the server within 5 seconds.
async fn stream_ends(stream: &mut reqwest::Response) -> bool {
    stream_text_until_end(stream).await.is_some()
}

/// Everything a stream sends until it ends, or `None` if it is still open after 5 s.
async fn stream_text_until_end(stream: &mut reqwest::Response) -> Option<String> {
    tokio::time::timeout(Duration::from_secs(5), async {
        let mut text = String::new();
        while let Ok(Some(chunk)) = stream.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        text
    })
    .await
    .ok()
}

/// Pre-account takeover by sign-up: the attacker signs up with the victim's address. The
/// victim's "Confirm my email" must not hand the account (and its bell) to the attacker's
/// password; "forgot password" takes the address over.
#[sqlx::test(migrations = false)]
async fn a_password_chosen_before_the_address_was_proven_never_signs_in(pool: PgPool) {
    let app = spawn_app(pool).await;
    let attacker = new_client();
    ok(app
        .call::<SignUp>(
            &attacker,
            &[
                ("name", "Not Vera"),
                ("email", "vera@victim.test"),
                ("password", ATTACKER_PASSWORD),
            ],
        )
        .await)
    .await;

    // Vera opens the mail she never asked for and presses the button, with her password.
    let vera = new_client();
    let token = token_of(&link_in(&app.wait_for_mail("vera@victim.test", 1).await[0]));
    let pressed = app
        .call::<VerifyEmail>(&vera, &[("token", &token), ("password", OWNER_PASSWORD)])
        .await;
    assert_eq!(pressed.status, 422);
    assert_eq!(
        field_keys(&pressed.result.unwrap_err()),
        [("password".into(), "errors.verify_wrong_password".into())]
    );
    let no_password = app
        .call::<VerifyEmail>(&vera, &[("token", &token), ("password", "")])
        .await;
    assert_eq!(no_password.status, 422);
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email_verified_at IS NOT NULL")
            .await,
        0,
        "pressing the button proved nothing"
    );
    // The attacker's password still opens nothing.
    assert_eq!(
        sign_in(&app, &attacker, "vera@victim.test", ATTACKER_PASSWORD).await,
        422
    );

    // Vera takes her address over with "forgot password"; the attacker's password is gone.
    reset(&app, &vera, "vera@victim.test", OWNER_PASSWORD).await;
    let me = ok(app.call::<GetShell>(&vera, &[]).await).await;
    assert_eq!(me["principal"]["email"], "vera@victim.test");
    assert_eq!(
        sign_in(&app, &attacker, "vera@victim.test", ATTACKER_PASSWORD).await,
        422
    );
    // And the old confirmation link died with the reset.
    let late = app
        .call::<VerifyEmail>(
            &attacker,
            &[("token", &token), ("password", ATTACKER_PASSWORD)],
        )
        .await;
    assert_eq!(late.status, 410);
}

/// Pre-account takeover by self-join: the attacker asks to join with the victim's address
/// and a password of theirs; the victim confirms from the mail. The account must not be
/// created with the attacker's password.
#[sqlx::test(migrations = false)]
async fn a_join_request_in_someone_elses_name_does_not_become_their_account(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    let link = open_join_link(&app, &owner, "acme.test").await;

    let attacker = new_client();
    ok(app
        .call::<RequestJoin>(
            &attacker,
            &[
                ("token", &link),
                ("name", "Not Walt"),
                ("email", "walt@acme.test"),
                ("password", ATTACKER_PASSWORD),
            ],
        )
        .await)
    .await;
    let mail = mail_with_subject(&app, "walt@acme.test", "join").await;
    let confirm = token_of(&link_in(&mail));

    // Walt presses the button with his own password: refused, nothing created.
    let walt = new_client();
    let refused = app
        .call::<ConfirmJoin>(&walt, &[("token", &confirm), ("password", OWNER_PASSWORD)])
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        field_keys(&refused.result.unwrap_err()),
        [("password".into(), "errors.join_wrong_password".into())]
    );
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'walt@acme.test'")
            .await,
        0
    );
    assert!(
        refused
            .set_cookies
            .iter()
            .all(|c| !c.starts_with("muster_session="))
    );
}

/// The throttle is decided and counted atomically: 60 parallel wrong passwords for one
/// account evaluate at most the limit (5); the rest are refused with 429.
#[sqlx::test(migrations = false)]
async fn parallel_wrong_passwords_evaluate_at_most_the_limit(pool: PgPool) {
    let app = spawn_app(pool).await;
    let _owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let attempts = (0..60).map(|i| {
        let app = &app;
        async move {
            let c = new_client();
            let guess = format!("wrong guess {i}");
            sign_in(app, &c, "olga@acme.test", &guess).await
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let evaluated = statuses.iter().filter(|s| **s == 422).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    println!("60 parallel wrong passwords: {evaluated} evaluated, {refused} refused");
    assert!(evaluated <= 5, "{evaluated} evaluated: {statuses:?}");
    assert_eq!(evaluated + refused, 60, "{statuses:?}");
}

/// The rightful owner always has a way in: a locked account is opened by the reset link,
/// which signs in and clears the lock, whatever an attacker did to the account.
#[sqlx::test(migrations = false)]
async fn a_locked_out_owner_gets_in_with_the_reset_link(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let attacker = new_client();
    for i in 0..6 {
        sign_in(&app, &attacker, "olga@acme.test", &format!("guess {i}")).await;
    }
    let olga = new_client();
    assert_eq!(sign_in(&app, &olga, "olga@acme.test", PASSWORD).await, 429);
    drop(owner);
    reset(&app, &olga, "olga@acme.test", OWNER_PASSWORD).await;
    let me = ok(app.call::<GetShell>(&olga, &[]).await).await;
    assert_eq!(me["principal"]["email"], "olga@acme.test");
    let later = new_client();
    assert_eq!(
        sign_in(&app, &later, "olga@acme.test", OWNER_PASSWORD).await,
        200
    );
}

/// Lockout is no weapon against the owner's own browsers: a browser that signed in to
/// the account before has a limit of its own, so guesses from anywhere else (even the
/// same address) make new browsers wait, never it. It is limited too.
#[sqlx::test(migrations = false)]
async fn guesses_from_elsewhere_never_lock_the_owner_out_of_her_own_browser(pool: PgPool) {
    let app = spawn_app(pool).await;
    let _owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let olga = new_client();
    assert_eq!(sign_in(&app, &olga, "olga@acme.test", PASSWORD).await, 200);
    ok(app.call::<SignOut>(&olga, &[]).await).await;

    // Someone guesses from another browser on the same address until both limits bite.
    let attacker = new_client();
    let mut statuses = Vec::new();
    for i in 0..40 {
        statuses.push(sign_in(&app, &attacker, "olga@acme.test", &format!("guess {i}")).await);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        sign_in(&app, &new_client(), "olga@acme.test", PASSWORD).await,
        429
    );

    // Olga's browser still gets in, and only it.
    assert_eq!(sign_in(&app, &olga, "olga@acme.test", PASSWORD).await, 200);
    let me = ok(app.call::<GetShell>(&olga, &[]).await).await;
    assert_eq!(me["principal"]["email"], "olga@acme.test");
    // Typos there are limited on their own.
    let mut own = Vec::new();
    for i in 0..7 {
        own.push(sign_in(&app, &olga, "olga@acme.test", &format!("typo {i}")).await);
    }
    assert_eq!(own, [422, 422, 422, 422, 422, 429, 429], "its own limit");
}

/// Mail cannot be used as a weapon: each address, and each client, triggers a limited
/// number of reset / verification / join mails, then gets a clear 429.
#[sqlx::test(migrations = false)]
async fn mail_triggers_are_limited_per_address_and_per_client(pool: PgPool) {
    let app = spawn_app_with(
        pool,
        Options {
            extra_args: vec!["--max-mails-per-client".into(), "8".into()],
            ..Default::default()
        },
    )
    .await;
    let _owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let r = app
            .call::<RequestPasswordReset>(&new_client(), &[("email", "olga@acme.test")])
            .await;
        statuses.push(r.status);
        if r.status == 429 {
            assert_eq!(
                r.result
                    .clone()
                    .unwrap_err()
                    .form_message(app::i18n::Locale::En)
                    .unwrap(),
                "Too many emails were requested for this address or from your network. Try again in 60 minutes."
            );
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
    let resets = || {
        app.mailbox
            .to("olga@acme.test")
            .iter()
            .filter(|m| m.subject == "Reset your Muster password")
            .count()
    };
    // The five allowed mails arrive (within 10 s), and no more after a moment.
    for _ in 0..100 {
        if resets() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(resets(), 5);
    // Per client: other addresses, same client, stop at the client's limit (8 in all).
    let mut more = Vec::new();
    for i in 0..4 {
        let email = format!("someone{i}@example.test");
        more.push(
            app.call::<RequestPasswordReset>(&new_client(), &[("email", &email)])
                .await
                .status,
        );
    }
    assert_eq!(more, [200, 200, 200, 429]);
}

/// Behind a reverse proxy every client shares its address. With MUSTER_TRUSTED_PROXIES,
/// X-Forwarded-For tells clients apart, so one guesser does not lock everyone out; without
/// it, a forged X-Forwarded-For does not escape the limit.
#[sqlx::test(migrations = false)]
async fn the_address_limit_uses_forwarded_for_only_from_trusted_proxies(pool: PgPool) {
    let app = spawn_app_with(
        pool.clone(),
        Options {
            extra_args: vec![
                "--max-failures-per-address".into(),
                "3".into(),
                "--trusted-proxies".into(),
                "127.0.0.1".into(),
            ],
            ..Default::default()
        },
    )
    .await;
    let attempt = |xff: &'static str, email: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url(SignIn::PATH))
                .header("x-forwarded-for", xff)
                .form(&[("email", email.as_str()), ("password", "wrong guess!")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    for i in 0..3 {
        assert_eq!(
            attempt("198.51.100.1", format!("a{i}@example.test")).await,
            422
        );
    }
    assert_eq!(attempt("198.51.100.1", "b@example.test".into()).await, 429);
    // Another client behind the same proxy is not locked out.
    assert_eq!(attempt("198.51.100.2", "c@example.test".into()).await, 422);

    // Without trusted proxies the header is ignored: forging it does not reset the count.
    let plain = spawn_app_with(
        pool,
        Options {
            extra_args: vec!["--max-failures-per-address".into(), "3".into()],
            ..Default::default()
        },
    )
    .await;
    let mut statuses = Vec::new();
    for i in 0..6 {
        let r = plain
            .client
            .post(plain.url(SignIn::PATH))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .form(&[
                ("email", format!("d{i}@example.test").as_str()),
                ("password", "wrong guess!"),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        3,
        "{statuses:?}"
    );
}

/// A password reset ends what the old password may have started: other sessions, open
/// bell streams and the API keys the person made.
#[sqlx::test(migrations = false)]
async fn a_password_reset_ends_sessions_streams_and_api_keys(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let mut form = ACME.to_vec();
    form.extend([("name", "robot"), ("role", "ADMIN")]);
    let created = ok(app
        .call::<app::api_keys::api::CreateApiKey>(&owner, &form)
        .await)
    .await;
    let key = created["key"].as_str().unwrap().to_owned();
    let (status, _) = rest(
        &app,
        Some(&key),
        reqwest::Method::GET,
        "/api/v1/members",
        None,
    )
    .await;
    assert_eq!(status, 200);

    let mut stream = owner.get(app.url("/events")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    reset(&app, &new_client(), "olga@acme.test", OWNER_PASSWORD).await;

    let (status, _) = rest(
        &app,
        Some(&key),
        reqwest::Method::GET,
        "/api/v1/members",
        None,
    )
    .await;
    assert_eq!(status, 401, "the key died with the old password");
    let ended = stream_ends(&mut stream).await;
    assert!(ended, "the bell stream of the old session is still open");
}

/// Signing out ends the bell streams of that session.
#[sqlx::test(migrations = false)]
async fn signing_out_ends_the_bell_stream(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let mut stream = owner.get(app.url("/events")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    ok(app.call::<SignOut>(&owner, &[]).await).await;
    let sent = stream_text_until_end(&mut stream).await;
    let sent = sent.expect("the stream outlived its session");
    // Its last event tells the page to stop: a plain end makes the browser reconnect,
    // to be refused with 401 every few seconds for as long as the page stays open.
    assert!(
        sent.trim_end()
            .ends_with("event: signed_out\ndata: signed_out"),
        "{sent:?}"
    );
}

/// Cross-site request forgery: a page on a sibling origin (another port here) posts the
/// settings form with the signed-in owner's cookies to invite an attacker as ADMIN. It
/// is refused with a clear 403 and nothing is written; the same post from Muster's own
/// origin, and a plain HTML form without JavaScript, still work.
#[sqlx::test(migrations = false)]
async fn a_cross_site_post_is_refused_and_writes_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let path = app::orgs::api::InviteMember::PATH;
    let form = [
        ("region", "eu-central-1"),
        ("short_name", "acme"),
        ("email", "mallory@evil.test"),
        ("role", "ADMIN"),
    ];
    let sibling = app.base.replace("127.0.0.1:", "127.0.0.1:1");
    for (name, value) in [
        ("origin", sibling.as_str()),
        ("sec-fetch-site", "same-site"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let res = owner
            .post(app.url(path))
            .header(name, value)
            .header("accept", "text/html")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{name}: {value}");
        let text = res.text().await.unwrap();
        assert!(text.contains("another website"), "{text}");
    }
    // Login CSRF: signing in can't be forced from another site either.
    let forced = new_client()
        .post(app.url(SignIn::PATH))
        .header("sec-fetch-site", "cross-site")
        .form(&[("email", "olga@acme.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(forced.status(), 403);
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE email = 'mallory@evil.test'")
            .await,
        0
    );

    // From Muster itself (a no-JavaScript form post, as a browser sends it): accepted.
    let res = owner
        .post(app.url(path))
        .header("origin", app.base.as_str())
        .header("sec-fetch-site", "same-origin")
        .header("accept", "text/html")
        .header("referer", app.url("/o/eu-central-1/acme/settings"))
        .form(&[
            ("region", "eu-central-1"),
            ("short_name", "acme"),
            ("email", "ann@acme.test"),
            ("role", "VIEWER"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE email = 'ann@acme.test'")
            .await,
        1
    );
}

/// Pages tell the browser not to be framed, not to sniff, not to leak URLs (which can
/// carry tokens) to other sites, and to run only this page's scripts.
#[sqlx::test(migrations = false)]
async fn pages_carry_protective_headers_and_a_nonce_policy(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = app.client.get(app.url("/signin")).send().await.unwrap();
    let headers = res.headers().clone();
    let html = res.text().await.unwrap();
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let nonce = csp_nonce(&headers);
    assert!(nonce.len() >= 16, "{nonce}");
    // Every script on the page carries that nonce.
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "{html}"
    );
    // A second page view gets a different nonce.
    let again = app.client.get(app.url("/signin")).send().await.unwrap();
    assert_ne!(again.headers()["content-security-policy"], csp);
}

/// A huge body is refused with a clear 413 before anything reads it.
#[sqlx::test(migrations = false)]
async fn an_oversized_request_gets_a_clear_413(pool: PgPool) {
    let app = spawn_app(pool).await;
    let big = "x".repeat(3 * 1024 * 1024);
    let res = app
        .client
        .post(app.url(SignIn::PATH))
        .form(&[("email", big.as_str()), ("password", "p")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("larger than 1024 KB"));
}

/// A crafted region (not valid in a cookie path) together with the new-key cookie used to
/// panic the settings page before the membership check; it is a plain refusal now.
#[sqlx::test(migrations = false)]
async fn a_crafted_region_with_the_new_key_cookie_is_refused_not_a_panic(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = reqwest::Client::new()
        .post(app.url(app::orgs::api::GetOrgSettings::PATH))
        .header("cookie", "muster_new_key=mk_whatever")
        .form(&[("region", "é\u{7f}"), ("short_name", "acme")])
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(res.status(), 401, "not signed in: a clear refusal");
}

/// Only an OWNER grants OWNER, by every path: adding, sending, resending (UI or REST),
/// reactivating by inviting, and Invite All.
#[sqlx::test(migrations = false)]
async fn an_admin_cannot_create_an_owner_invitation_by_any_path(pool: PgPool) {
    use app::invite_all::api::InviteAll;
    use app::people::api::{AddPerson, SendInvite};
    let app = spawn_app(pool).await;
    let owner = org(
        &app,
        "Acme",
        "olga@acme.test",
        &[("adam@acme.test", "ADMIN")],
    )
    .await;
    let admin = accept(&app, "adam@acme.test").await;
    // The owner lists Otto as an OWNER-to-be, without sending; and invites Ona as OWNER.
    let mut form = ACME.to_vec();
    form.extend([
        ("name", "Otto"),
        ("email", "otto@acme.test"),
        ("role", "OWNER"),
    ]);
    ok(app.call::<AddPerson>(&owner, &form).await).await;
    let mut form = ACME.to_vec();
    form.extend([
        ("name", "Ona"),
        ("email", "ona@acme.test"),
        ("role", "OWNER"),
        ("send_now", "on"),
    ]);
    ok(app.call::<AddPerson>(&owner, &form).await).await;
    app.wait_for_mail("ona@acme.test", 1).await;
    let page = people(&app, &owner, "acme").await;
    let otto = row(&page, "otto@acme.test")["id"].to_string();
    let ona = row(&page, "ona@acme.test")["id"].to_string();

    // Send Invite / Resend from the More Options menu.
    for (id, confirmed) in [(&otto, "false"), (&ona, "true")] {
        let mut form = ACME.to_vec();
        form.extend([("person_id", id.as_str()), ("confirmed", confirmed)]);
        let refused = app.call::<SendInvite>(&admin, &form).await;
        assert_eq!(
            refused.result.unwrap_err(),
            AppError::NotPermitted {
                key: "errors.only_owner_grants_owner".into(),
                contacts: Vec::new()
            },
            "{id}"
        );
    }
    // Resend through the REST API with an ADMIN key.
    let mut form = ACME.to_vec();
    form.extend([("name", "admin robot"), ("role", "ADMIN")]);
    let key = ok(app
        .call::<app::api_keys::api::CreateApiKey>(&admin, &form)
        .await)
    .await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, open) = rest(
        &app,
        Some(&key),
        reqwest::Method::GET,
        "/api/v1/invitations",
        None,
    )
    .await;
    let ona_invitation = open
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == "ona@acme.test")
        .expect("Ona's open invitation")["id"]
        .clone();
    let (status, problem) = rest(
        &app,
        Some(&key),
        reqwest::Method::POST,
        &format!("/api/v1/invitations/{ona_invitation}/resend"),
        None,
    )
    .await;
    assert!(status == 403 || status == 422, "{status} {problem}");
    // Invite All by the ADMIN leaves Otto out, and the People page says so and why.
    let mut form = ACME.to_vec();
    form.extend([
        ("name", "Val"),
        ("email", "val@acme.test"),
        ("role", "VIEWER"),
    ]);
    ok(app.call::<AddPerson>(&owner, &form).await).await;
    ok(app.call::<InviteAll>(&admin, &ACME).await).await;
    app.wait_for_mail("val@acme.test", 1).await;
    assert_eq!(
        people(&app, &admin, "acme").await["admin"]["batch"]["left_out_owners"],
        1
    );
    let (_, html) = app.get(&admin, "/o/eu-central-1/acme/people").await;
    assert!(
        html.contains(
            "Not invited by Invite All, because only an owner can invite people with the OWNER role: 1."
        ),
        "{html}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE email = 'otto@acme.test'")
            .await,
        0,
        "no OWNER invitation for Otto"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE email = 'ona@acme.test'")
            .await,
        1,
        "Ona's one invitation, never resent"
    );
    assert!(app.mailbox.to("otto@acme.test").is_empty());
    // The owner may.
    let mut form = ACME.to_vec();
    form.extend([("person_id", otto.as_str()), ("confirmed", "false")]);
    ok(app.call::<SendInvite>(&owner, &form).await).await;
    app.wait_for_mail("otto@acme.test", 1).await;
}

/// Every column of every table that could hold text, searched for `needle`.
async fn columns_containing(pool: &PgPool, needle: &str) -> Vec<String> {
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text
         FROM information_schema.columns
         WHERE table_schema = 'public'
           AND data_type IN ('text', 'character varying', 'bytea', 'json', 'jsonb', 'ARRAY')",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut found = Vec::new();
    for (table, column, kind) in columns {
        let value = if kind == "bytea" {
            format!("encode(\"{column}\", 'escape')")
        } else {
            format!("\"{column}\"::text")
        };
        let sql = format!("SELECT count(*) FROM \"{table}\" WHERE strpos({value}, $1) > 0");
        let n: i64 = sqlx::query_scalar(&sql)
            .bind(needle)
            .fetch_one(pool)
            .await
            .unwrap();
        if n > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}

/// The live tokens in a mail's text: `...?token=<t>` and `/activate/<t>` links.
fn tokens_in(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|w| w.starts_with("http"))
        .filter_map(|w| {
            w.split("token=")
                .nth(1)
                .or_else(|| w.split("/activate/").nth(1))
                .map(str::to_owned)
        })
        .collect()
}

/// Links are stored only as hashes: no live token (activation, invitation, reset,
/// self-join confirmation) can be read from any table, neither while its mail waits in
/// the outbox (SMTP down) nor after it was sent.
#[sqlx::test(migrations = false)]
async fn no_live_token_can_be_read_from_the_database(pool: PgPool) {
    let (app, port) = spawn_app_with_smtp_down(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let link = open_join_link(&app, &owner, "acme.test").await;
    let join = [
        ("token", link.as_str()),
        ("name", "Jo"),
        ("email", "jo@acme.test"),
        ("password", PASSWORD),
    ];
    ok(app.call::<RequestJoin>(&new_client(), &join).await).await;
    let mut form = ACME.to_vec();
    form.extend([
        ("name", "Bea"),
        ("email", "bea@acme.test"),
        ("role", "VIEWER"),
        ("send_now", "on"),
    ]);
    ok(app.call::<app::people::api::AddPerson>(&owner, &form).await).await;
    let reset = [("email", "olga@acme.test")];
    ok(app
        .call::<RequestPasswordReset>(&new_client(), &reset)
        .await)
    .await;

    // The mail server is down: every mail waits. Open the sealed bodies as the worker
    // would (with the server's key) to learn the live tokens, then search for them.
    let reset_queued = "SELECT count(*) FROM outbox_emails
                        WHERE status = 'pending' AND subject = 'Reset your Muster password'";
    for _ in 0..100 {
        if app.count(reset_queued).await >= 1 {
            break; // the reset mail is queued just after its answer
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sealed: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT body_sealed FROM outbox_emails WHERE status = 'pending'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let tokens: Vec<String> = sealed
        .iter()
        .flat_map(|s| tokens_in(&app::mail::seal::open(&test_key(), s).unwrap().0))
        .collect();
    assert_eq!(
        tokens.len(),
        4,
        "activation, join, invitation, reset: {tokens:?}"
    );
    for token in &tokens {
        assert_eq!(
            columns_containing(&app.pool, token).await,
            Vec::<String>::new()
        );
    }

    // The mail server is back: the mails go out, and their bodies are erased.
    let (_, mailbox) = server::mailsink::start(&format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    sqlx::query("UPDATE outbox_emails SET next_attempt_at = now()")
        .execute(&app.pool)
        .await
        .unwrap();
    for _ in 0..100 {
        if app
            .count("SELECT count(*) FROM outbox_emails WHERE status = 'pending'")
            .await
            == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let delivered: Vec<String> = mailbox
        .all()
        .iter()
        .flat_map(|m| tokens_in(&m.text))
        .collect();
    assert_eq!(delivered.len(), 4, "{delivered:?}");
    for token in &delivered {
        assert!(tokens.contains(token));
        assert_eq!(
            columns_containing(&app.pool, token).await,
            Vec::<String>::new()
        );
    }
}

/// Once the wizard's owner account exists, the activation link alone no longer changes
/// the wizard: a stranger holding it is refused; the browser that created the account
/// (and the owner, signed in anywhere) goes on.
#[sqlx::test(migrations = false)]
async fn after_the_owner_account_exists_the_link_alone_changes_nothing(pool: PgPool) {
    use app::activation::api::{ActivateNow, AddInvite, ChooseRegion};
    let app = spawn_app(pool).await;
    let token = subscribe(
        &app,
        &spec("Acme", "olga@acme.test", app::i18n::Locale::En, false),
    )
    .await;
    let olga = new_client();
    fill_wizard(&app, &olga, &token, "olga@acme.test", "Acme").await;

    let stranger = new_client();
    for reply in [
        app.call::<ChooseRegion>(&stranger, &[("token", &token), ("region", "us-east-1")])
            .await,
        app.call::<AddInvite>(
            &stranger,
            &[
                ("token", &token),
                ("email", "mallory@evil.test"),
                ("role", "OWNER"),
            ],
        )
        .await,
        app.call::<ActivateNow>(&stranger, &[("token", &token)])
            .await,
    ] {
        assert_eq!(reply.status, 409);
        assert_eq!(
            reply.result.unwrap_err(),
            AppError::Conflict("errors.wizard_owner_only".into())
        );
    }
    assert_eq!(
        app.count("SELECT count(*) FROM subscriptions WHERE region = 'eu-central-1'")
            .await,
        1
    );
    // The owner, signed in from another browser, may go on.
    let elsewhere = new_client();
    ok(app
        .call::<SignIn>(
            &elsewhere,
            &[("email", "olga@acme.test"), ("password", PASSWORD)],
        )
        .await)
    .await;
    ok(app
        .call::<AddInvite>(
            &elsewhere,
            &[
                ("token", &token),
                ("email", "ann@acme.test"),
                ("role", "VIEWER"),
            ],
        )
        .await)
    .await;
    // And the browser that created the account activates.
    ok(app.call::<ActivateNow>(&olga, &[("token", &token)]).await).await;
    assert_eq!(wait_for_job(&app.pool, &token).await, "done");
}

/// The activation wizard answers alike whether or not the owner's address has an
/// account, and whatever password is typed: same reply, same wizard, same "Activate
/// Now" refusal. An existing account named there becomes the owner only when its
/// holder agrees from the mail, and its password does not change.
#[sqlx::test(migrations = false)]
async fn the_wizard_never_says_whether_an_address_has_an_account(pool: PgPool) {
    use app::activation::api::{
        AcceptOwnerClaim, ActivateNow, ChooseRegion, FinishInvites, GetOwnerClaim, GetWizard,
        SaveAccount,
    };
    use app::i18n::Locale;
    let app = spawn_app(pool).await;
    // Ada has an account (she activated an organization before).
    let first = subscribe(&app, &spec("First", "ada@acme.test", Locale::En, false)).await;
    fill_wizard(&app, &new_client(), &first, "ada@acme.test", "First").await;

    // Two wizards, each held by someone who names an owner: a new address, and Ada's.
    let mut answers = Vec::new();
    for (company, contact, owner, password) in [
        (
            "Beta",
            "carl@beta.test",
            "nina@beta.test",
            ATTACKER_PASSWORD,
        ),
        (
            "Gamma",
            "carl@gamma.test",
            "ada@acme.test",
            ATTACKER_PASSWORD,
        ),
        ("Delta", "carl@delta.test", "ada@acme.test", PASSWORD),
    ] {
        let token = subscribe(&app, &spec(company, contact, Locale::En, false)).await;
        let c = new_client();
        ok(app
            .call::<ChooseRegion>(&c, &[("token", &token), ("region", "eu-central-1")])
            .await)
        .await;
        let saved = app
            .call::<SaveAccount>(
                &c,
                &[
                    ("token", &token),
                    ("name", "Nina"),
                    ("email", owner),
                    ("password", password),
                    ("company_name", company),
                ],
            )
            .await;
        let saved = (
            saved.status,
            saved.result.unwrap().as_str().unwrap().replace(&token, "T"),
        );
        ok(app.call::<FinishInvites>(&c, &[("token", &token)]).await).await;
        let wizard = ok(app.call::<GetWizard>(&c, &[("token", &token)]).await).await;
        let activate = app.call::<ActivateNow>(&c, &[("token", &token)]).await;
        answers.push((
            saved,
            wizard["owner"].clone(),
            wizard["step"].clone(),
            activate.status,
            activate.result.unwrap_err(),
            token,
            c,
        ));
    }
    let new = &answers[0];
    assert_eq!(new.0, (200, "/activate/T/invite".to_owned()));
    assert_eq!(new.1["verified"], false);
    assert_eq!(new.4, AppError::Conflict("errors.owner_unconfirmed".into()));
    for ada in &answers[1..] {
        assert_eq!(new.0, ada.0, "the account step answers alike");
        assert_eq!(new.1["name"], ada.1["name"]);
        assert_eq!(new.1["verified"], ada.1["verified"]);
        assert_eq!(new.2, ada.2);
        assert_eq!(
            (new.3, &new.4),
            (ada.3, &ada.4),
            "Activate Now refuses alike"
        );
    }
    let ada = &answers[1];

    // Ada is asked by mail; nothing else happened to her account.
    let mail = mail_with_subject(&app, "ada@acme.test", "Own Gamma on Muster?").await;
    assert!(mail.text.contains("Nina"), "{}", mail.text);
    let link = mail
        .text
        .split_whitespace()
        .find(|w| w.contains("/owner?key="))
        .expect("a link to agree")
        .to_owned();
    let key = link.split("key=").nth(1).unwrap().to_owned();
    let (token, holder) = (&ada.5, &ada.6);
    let ada_browser = new_client();
    let (status, page) = app.get(&ada_browser, &link[app.base.len()..]).await;
    assert_eq!(status, 200);
    assert!(page.contains("Own Gamma?"), "{page}");
    // Before she agrees, the attacker's password is not hers and the wizard waits.
    assert_eq!(
        sign_in(&app, &new_client(), "ada@acme.test", ATTACKER_PASSWORD).await,
        422
    );
    let claim = ok(app
        .call::<GetOwnerClaim>(&ada_browser, &[("token", token), ("key", &key)])
        .await)
    .await;
    assert_eq!(claim["claimant"], "Nina");
    // She agrees on the page, without JavaScript: a plain form post.
    let res = ada_browser
        .post(app.url(AcceptOwnerClaim::PATH))
        .header("accept", "text/html")
        .header("referer", &link)
        .form(&[("token", token.as_str()), ("key", key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let done = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(done, format!("/activate/{token}/owner?done=1"));
    let (status, page) = app.get(&ada_browser, &done).await;
    assert_eq!(status, 200);
    assert!(page.contains("Done: your account owns Gamma"), "{page}");
    // The link works once.
    let again = app
        .call::<AcceptOwnerClaim>(&ada_browser, &[("token", token), ("key", &key)])
        .await;
    assert_eq!(again.status, 410);

    ok(app.call::<ActivateNow>(holder, &[("token", token)]).await).await;
    assert_eq!(wait_for_job(&app.pool, token).await, "done");
    assert_eq!(
        app.count(
            "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
             JOIN organizations o ON o.id = m.org_id
             JOIN people p ON p.org_id = m.org_id AND p.user_id = m.user_id
             WHERE u.email = 'ada@acme.test' AND o.short_name = 'gamma' AND p.role = 'OWNER'"
        )
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'ada@acme.test'")
            .await,
        1
    );
    assert_eq!(
        sign_in(&app, &new_client(), "ada@acme.test", PASSWORD).await,
        200
    );
    assert_eq!(
        sign_in(&app, &new_client(), "ada@acme.test", ATTACKER_PASSWORD).await,
        422
    );
}
