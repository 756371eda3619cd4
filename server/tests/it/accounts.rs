//! Accounts against a real PostgreSQL and a real SMTP sink, through HTTP.

use crate::common::*;
use app::auth::api::{
    CheckLink, RequestPasswordReset, ResetPassword, SetLocale, SignIn, SignOut, SignUp, VerifyEmail,
};
use app::error::AppError;
use app::shell::api::GetShell;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn sign_up_mails_a_link_that_verifies_the_account_and_then_sign_in_works(pool: PgPool) {
    let app = spawn_app(pool).await;
    let reply = sign_up(&app, "Ada Lovelace", "  Ada@Example.com ").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.result.unwrap(),
        "/check-email?email=ada%40example.com"
    );

    let mails = app.wait_for_mail("ada@example.com", 1).await;
    assert_eq!(mails[0].subject, "Confirm your email for Muster");
    let link = link_in(&mails[0]);
    assert!(link.starts_with(&format!("{}/verify-email?token=", app.base)));
    let token = token_of(&link);
    // Only a hash of the token is stored.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM email_tokens WHERE token_hash = convert_to('{token}', 'UTF8')"
        ))
        .await,
        0
    );

    let state = app
        .call::<CheckLink>(&app.client, &[("token", &token), ("purpose", "verify")])
        .await;
    assert_eq!(state.result.unwrap(), "Valid");
    assert!(
        app.call::<VerifyEmail>(&app.client, &[("token", &token), ("password", PASSWORD)])
            .await
            .result
            .is_ok()
    );

    let signed_in = app
        .call::<SignIn>(
            &app.client,
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(signed_in.result.unwrap(), "/");
    let cookie = signed_in
        .set_cookies
        .iter()
        .find(|c| c.starts_with("muster_session="))
        .expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let me = app.call::<GetShell>(&app.client, &[]).await.result.unwrap();
    assert_eq!(me["principal"]["email"], "ada@example.com");
    assert_eq!(me["principal"]["name"], "Ada Lovelace");
}

#[sqlx::test(migrations = false)]
async fn a_used_or_expired_verification_link_is_refused_and_changes_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    sign_up(&app, "Bo", "bo@example.com").await.result.unwrap();
    let token = token_of(&link_in(&app.wait_for_mail("bo@example.com", 1).await[0]));
    app.call::<VerifyEmail>(&app.client, &[("token", &token), ("password", PASSWORD)])
        .await
        .result
        .unwrap();

    let again = app
        .call::<VerifyEmail>(&app.client, &[("token", &token), ("password", PASSWORD)])
        .await;
    assert_eq!(again.status, 410);
    assert_eq!(
        again.result.unwrap_err(),
        AppError::Gone("errors.link_used".into())
    );

    // A second account whose link has expired stays unverified.
    sign_up(&app, "Cy", "cy@example.com").await.result.unwrap();
    let token = token_of(&link_in(&app.wait_for_mail("cy@example.com", 1).await[0]));
    sqlx::query(
        "UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let expired = app
        .call::<VerifyEmail>(&app.client, &[("token", &token), ("password", PASSWORD)])
        .await;
    assert_eq!(expired.status, 410);
    assert_eq!(
        expired.result.unwrap_err(),
        AppError::Gone("errors.link_expired".into())
    );
    assert_eq!(app.count("SELECT count(*) FROM users WHERE email = 'cy@example.com' AND email_verified_at IS NULL").await, 1);

    let unknown = app
        .call::<VerifyEmail>(
            &app.client,
            &[("token", "not-a-real-token"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        unknown.result.unwrap_err(),
        AppError::Gone("errors.link_unknown".into())
    );
    let (status, _) = app
        .get(&app.client, "/verify-email?token=not-a-real-token")
        .await;
    assert_eq!(status, 404);
    let (status, html) = app
        .get(&app.client, &format!("/verify-email?token={token}"))
        .await;
    assert_eq!(status, 410);
    assert!(html.contains("This link has expired"), "{html}");
}

#[sqlx::test(migrations = false)]
async fn bad_sign_up_input_names_each_field_and_writes_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let reply = app
        .call::<SignUp>(
            &app.client,
            &[
                ("name", " "),
                ("email", "not-an-email"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(reply.status, 422);
    assert_eq!(
        field_keys(&reply.result.unwrap_err()),
        vec![
            ("name".into(), "errors.name_required".into()),
            ("email".into(), "errors.email_invalid".into()),
            ("password".into(), "errors.password_too_short".into()),
        ]
    );
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM outbox_emails").await, 0);
}

/// Enumeration: signing up with a taken address answers exactly like a new one; the
/// address's owner is told by mail instead, and no second account or password appears.
#[sqlx::test(migrations = false)]
async fn a_duplicate_sign_up_looks_like_any_other_and_only_tells_the_owner(pool: PgPool) {
    let app = spawn_app(pool).await;
    let first = sign_up(&app, "Di", "di@example.com").await;
    let dup = sign_up(&app, "Di Again", "DI@example.com").await;
    assert_eq!(dup.status, first.status);
    assert_eq!(dup.result.unwrap(), first.result.unwrap());
    assert_eq!(app.count("SELECT count(*) FROM users").await, 1);
    let mails = app.wait_for_mail("di@example.com", 2).await;
    assert_eq!(mails[1].subject, "You already have a Muster account");
    assert!(
        mails[1].text.contains("/forgot-password"),
        "{}",
        mails[1].text
    );
    // The second password does not open the account.
    let signed_in = app
        .call::<SignIn>(
            &app.client,
            &[("email", "di@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(signed_in.status, 422, "unverified either way");
}

#[sqlx::test(migrations = false)]
async fn unknown_email_and_wrong_password_get_the_same_answer(pool: PgPool) {
    let app = spawn_app(pool).await;
    verified_user(&app, "eve@example.com").await;
    let wrong = app
        .call::<SignIn>(
            &app.client,
            &[
                ("email", "eve@example.com"),
                ("password", "wrong password!"),
            ],
        )
        .await;
    let unknown = app
        .call::<SignIn>(
            &app.client,
            &[
                ("email", "nobody@example.com"),
                ("password", "wrong password!"),
            ],
        )
        .await;
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.result.unwrap_err(), unknown.result.unwrap_err());
    assert!(wrong.set_cookies.is_empty());
}

#[sqlx::test(migrations = false)]
async fn repeated_failures_lock_the_account_with_a_wait_time_even_for_the_right_password(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    verified_user(&app, "fay@example.com").await;
    for _ in 0..5 {
        let r = app
            .call::<SignIn>(
                &app.client,
                &[
                    ("email", "fay@example.com"),
                    ("password", "wrong password!"),
                ],
            )
            .await;
        assert_eq!(r.status, 422);
    }
    let locked = app
        .call::<SignIn>(
            &app.client,
            &[("email", "fay@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(locked.status, 429);
    assert_eq!(
        locked.result.unwrap_err(),
        AppError::RateLimited {
            retry_after_minutes: 15
        }
    );
    assert_eq!(
        AppError::RateLimited {
            retry_after_minutes: 15
        }
        .form_message(app::i18n::Locale::De)
        .unwrap(),
        "Zu viele Versuche. Versuchen Sie es in 15 Minuten erneut."
    );
}

#[sqlx::test(migrations = false)]
async fn the_address_limit_stops_guessing_across_many_accounts(pool: PgPool) {
    let app = spawn_app_with(
        pool,
        Options {
            extra_args: vec!["--max-failures-per-address".into(), "3".into()],
            ..Default::default()
        },
    )
    .await;
    for i in 0..3 {
        let email = format!("guess{i}@example.com");
        app.call::<SignIn>(
            &app.client,
            &[("email", &email), ("password", "wrong password!")],
        )
        .await;
    }
    let r = app
        .call::<SignIn>(
            &app.client,
            &[
                ("email", "other@example.com"),
                ("password", "wrong password!"),
            ],
        )
        .await;
    assert_eq!(r.status, 429);
}

#[sqlx::test(migrations = false)]
async fn signing_in_before_confirming_the_email_is_refused_and_resends_the_link(pool: PgPool) {
    let app = spawn_app(pool).await;
    sign_up(&app, "Gus", "gus@example.com")
        .await
        .result
        .unwrap();
    app.wait_for_mail("gus@example.com", 1).await;
    let r = app
        .call::<SignIn>(
            &app.client,
            &[("email", "gus@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        field_keys(&r.result.unwrap_err()),
        vec![("form".into(), "errors.bad_credentials".into())],
        "the same answer as a wrong password: a stranger who signed up learns nothing"
    );
    assert!(
        r.set_cookies
            .iter()
            .all(|c| !c.starts_with("muster_session="))
    );
    app.wait_for_mail("gus@example.com", 2).await;
}

#[sqlx::test(migrations = false)]
async fn sign_in_rotates_the_session_and_sign_out_ends_it(pool: PgPool) {
    let app = spawn_app(pool).await;
    verified_user(&app, "hal@example.com").await;
    let creds = [("email", "hal@example.com"), ("password", PASSWORD)];
    app.call::<SignIn>(&app.client, &creds)
        .await
        .result
        .unwrap();
    app.call::<SignIn>(&app.client, &creds)
        .await
        .result
        .unwrap();
    assert_eq!(
        app.count("SELECT count(*) FROM sessions").await,
        1,
        "the earlier session was replaced"
    );

    app.call::<SignOut>(&app.client, &[]).await.result.unwrap();
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
    let me = app.call::<GetShell>(&app.client, &[]).await.result.unwrap();
    assert!(me.is_null());
}

#[sqlx::test(migrations = false)]
async fn a_reset_link_sets_a_new_password_once_and_signs_out_everywhere(pool: PgPool) {
    let app = spawn_app(pool).await;
    verified_user(&app, "ida@example.com").await;
    app.call::<SignIn>(
        &app.client,
        &[("email", "ida@example.com"), ("password", PASSWORD)],
    )
    .await
    .result
    .unwrap();

    let asked = app
        .call::<RequestPasswordReset>(&app.client, &[("email", "ida@example.com")])
        .await;
    assert_eq!(asked.result.unwrap(), "/forgot-password?sent=1");
    let mails = app.wait_for_mail("ida@example.com", 2).await;
    let reset = mails
        .iter()
        .find(|m| m.subject == "Reset your Muster password")
        .expect("reset mail");
    let token = token_of(&link_in(reset));

    let short = app
        .call::<ResetPassword>(&app.client, &[("token", &token), ("password", "short")])
        .await;
    assert_eq!(
        field_keys(&short.result.unwrap_err()),
        vec![("password".into(), "errors.password_too_short".into())]
    );

    // Another browser signed in before the reset.
    let other = new_client();
    app.call::<SignIn>(
        &other,
        &[("email", "ida@example.com"), ("password", PASSWORD)],
    )
    .await
    .result
    .unwrap();

    let new_password = "a brand new passphrase";
    let done = app
        .call::<ResetPassword>(
            &app.client,
            &[("token", &token), ("password", new_password)],
        )
        .await;
    assert_eq!(done.result.unwrap(), "/?reset=1");
    // The reset signs this browser in, and only it.
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 1);
    let me = app.call::<GetShell>(&app.client, &[]).await.result.unwrap();
    assert_eq!(me["principal"]["email"], "ida@example.com");
    let them = app.call::<GetShell>(&other, &[]).await.result.unwrap();
    assert!(them.is_null(), "the other browser was signed out");
    let reused = app
        .call::<ResetPassword>(
            &app.client,
            &[("token", &token), ("password", "another passphrase")],
        )
        .await;
    assert_eq!(
        reused.result.unwrap_err(),
        AppError::Gone("errors.link_used".into())
    );

    let old = app
        .call::<SignIn>(
            &app.client,
            &[("email", "ida@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert!(old.result.is_err());
    let new = app
        .call::<SignIn>(
            &app.client,
            &[("email", "ida@example.com"), ("password", new_password)],
        )
        .await;
    assert!(new.result.is_ok());
}

#[sqlx::test(migrations = false)]
async fn asking_to_reset_an_unknown_address_looks_the_same_and_sends_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let r = app
        .call::<RequestPasswordReset>(&app.client, &[("email", "ghost@example.com")])
        .await;
    assert_eq!(r.result.unwrap(), "/forgot-password?sent=1");
    assert_eq!(app.count("SELECT count(*) FROM outbox_emails").await, 0);
}

#[sqlx::test(migrations = false)]
async fn the_language_follows_the_browser_and_is_remembered_per_account(pool: PgPool) {
    let app = spawn_app(pool).await;
    let fr = app
        .call_with::<SignUp>(
            &app.client,
            &[
                ("name", "Zoé"),
                ("email", "zoe@example.com"),
                ("password", PASSWORD),
            ],
            Some("fr-FR,fr;q=0.9,en;q=0.5"),
        )
        .await;
    assert!(fr.result.is_ok());
    let mail = &app.wait_for_mail("zoe@example.com", 1).await[0];
    assert_eq!(mail.subject, "Confirmez votre adresse courriel pour Muster");
    let token = token_of(&link_in(mail));
    app.call::<VerifyEmail>(&app.client, &[("token", &token), ("password", PASSWORD)])
        .await
        .result
        .unwrap();

    app.call::<SignIn>(
        &app.client,
        &[("email", "zoe@example.com"), ("password", PASSWORD)],
    )
    .await
    .result
    .unwrap();
    app.call::<SetLocale>(&app.client, &[("locale", "de")])
        .await
        .result
        .unwrap();
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE locale = 'de'")
            .await,
        1
    );

    // A new browser: signing in brings the account's language back.
    let other = new_client();
    let r = app
        .call::<SignIn>(
            &other,
            &[("email", "zoe@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert!(
        r.set_cookies
            .iter()
            .any(|c| c.starts_with("muster_lang=de")),
        "{:?}",
        r.set_cookies
    );
    let (_, html) = app.get(&other, "/").await;
    assert!(
        html.contains("<html lang=\"de\""),
        "{}",
        &html[..200.min(html.len())]
    );
    assert!(html.contains("Willkommen, Zoé"));

    let bad = app
        .call::<SetLocale>(&app.client, &[("locale", "xx")])
        .await;
    assert_eq!(bad.status, 422);
}
