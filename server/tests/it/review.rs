//! The second security review's findings, each tried the way the reviewer tried it,
//! against a real server: every test here failed on the code before its fix.
//! Run them as a group: `./muster test review`.

use std::time::{Duration, Instant};

use crate::common::*;
use app::auth::api::{RequestPasswordReset, ResetPassword, SignIn, SignUp};
use app::error::AppError;
use app::i18n::Locale;
use app::joining::api::RequestJoin;
use app::people::api::{AddPerson, RevokeInvite};
use sqlx::PgPool;

const ACME: [(&str, &str); 2] = [("region", "eu-central-1"), ("short_name", "acme")];
const NEW_PASSWORD: &str = "a brand new secret";

async fn sign_in(app: &TestApp, c: &reqwest::Client, email: &str, password: &str) -> u16 {
    app.call::<SignIn>(c, &[("email", email), ("password", password)])
        .await
        .status
}

async fn reset_from_mail(app: &TestApp, c: &reqwest::Client, email: &str) {
    let mail = &mail_with_subject(app, email, "Reset your Muster password").await;
    ok(app
        .call::<ResetPassword>(
            c,
            &[
                ("token", &token_of(&link_in(mail))),
                ("password", NEW_PASSWORD),
            ],
        )
        .await)
    .await;
}

/// A wizard for `company` whose holder names `owner` as the owner (with a password that
/// is not the owner's, should the address have an account): its token and browser.
async fn wizard_naming(app: &TestApp, company: &str, owner: &str) -> (String, reqwest::Client) {
    use app::activation::api::{ChooseRegion, SaveAccount};
    let contact = format!("carl@{}.test", company.to_lowercase());
    let token = subscribe(app, &spec(company, &contact, Locale::En, false)).await;
    let c = new_client();
    ok(app
        .call::<ChooseRegion>(&c, &[("token", &token), ("region", "eu-central-1")])
        .await)
    .await;
    ok(app
        .call::<SaveAccount>(
            &c,
            &[
                ("token", &token),
                ("name", "Nina"),
                ("email", owner),
                ("password", "not the owner's password"),
                ("company_name", company),
            ],
        )
        .await)
    .await;
    (token, c)
}

/// Ada's account exists: she activated an organization of her own before.
async fn ada_has_an_account(app: &TestApp) {
    let first = subscribe(app, &spec("First", "ada@acme.test", Locale::En, false)).await;
    fill_wizard(app, &new_client(), &first, "ada@acme.test", "First").await;
}

fn resets_to(app: &TestApp, email: &str) -> usize {
    app.mailbox
        .to(email)
        .iter()
        .filter(|m| m.subject == "Reset your Muster password")
        .count()
}

/// Finding 1: a known-device cookie minted with a phished password is dead once the
/// person resets their password: its guesses fall under the account's shared limit,
/// which is locked, instead of a limit of its own.
#[sqlx::test(migrations = false)]
async fn a_stolen_device_cookie_is_dead_after_a_reset(pool: PgPool) {
    let app = spawn_app(pool).await;
    let _owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    // The attacker phished the password once and signed in: their browser is "known".
    let attacker = new_client();
    assert_eq!(
        sign_in(&app, &attacker, "olga@acme.test", PASSWORD).await,
        200
    );
    // Olga notices and resets her password.
    let olga = new_client();
    ok(app
        .call::<RequestPasswordReset>(&olga, &[("email", "olga@acme.test")])
        .await)
    .await;
    reset_from_mail(&app, &olga, "olga@acme.test").await;
    // Guesses from elsewhere lock the account for every unknown browser.
    let elsewhere = new_client();
    for i in 0..6 {
        sign_in(&app, &elsewhere, "olga@acme.test", &format!("guess {i}")).await;
    }
    assert_eq!(
        sign_in(&app, &new_client(), "olga@acme.test", "another guess").await,
        429
    );
    // The attacker's old cookie no longer buys guesses of its own.
    assert_eq!(
        sign_in(&app, &attacker, "olga@acme.test", "old cookie guess").await,
        429,
        "the old device cookie must not be evaluated after a reset"
    );
}

/// Finding 1: however many device cookies someone collects, their wrong guesses share
/// one ceiling per account.
#[sqlx::test(migrations = false)]
async fn device_cookies_share_one_ceiling_per_account(pool: PgPool) {
    let app = spawn_app(pool).await;
    let _owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let mut browsers = Vec::new();
    for _ in 0..12 {
        let c = new_client();
        assert_eq!(sign_in(&app, &c, "olga@acme.test", PASSWORD).await, 200);
        browsers.push(c);
    }
    let mut evaluated = 0;
    for (i, c) in browsers.iter().enumerate() {
        for j in 0..4 {
            if sign_in(&app, c, "olga@acme.test", &format!("guess {i} {j}")).await == 422 {
                evaluated += 1;
            }
        }
    }
    println!("48 guesses through 12 known browsers: {evaluated} evaluated");
    assert!(evaluated <= 20, "{evaluated} wrong guesses were evaluated");
}

/// Finding 2: sign-ups in someone's name and wrong passwords do not stop them from
/// getting a reset link, and strangers' reset requests do not use up the budget of the
/// person's own browser.
#[sqlx::test(migrations = false)]
async fn strangers_cannot_lock_the_owner_out_of_a_reset_link(pool: PgPool) {
    let app = spawn_app_with(
        pool,
        Options {
            extra_args: vec!["--max-mails-per-client".into(), "1000".into()],
            ..Default::default()
        },
    )
    .await;
    let _owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let olga = new_client();
    assert_eq!(sign_in(&app, &olga, "olga@acme.test", PASSWORD).await, 200);
    let attacker = new_client();
    for _ in 0..6 {
        app.call::<SignUp>(
            &attacker,
            &[
                ("name", "Not Olga"),
                ("email", "olga@acme.test"),
                ("password", "attacker's password"),
            ],
        )
        .await;
    }
    for i in 0..6 {
        sign_in(&app, &attacker, "olga@acme.test", &format!("guess {i}")).await;
    }
    // From a new browser, Olga still gets a reset link.
    let laptop = new_client();
    let r = app
        .call::<RequestPasswordReset>(&laptop, &[("email", "olga@acme.test")])
        .await;
    assert_eq!(r.status, 200, "{:?}", r.result);
    app.wait_for_mail("olga@acme.test", 1).await;
    for _ in 0..100 {
        if resets_to(&app, "olga@acme.test") >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(resets_to(&app, "olga@acme.test"), 1);
    // The attacker spends every reset a stranger may ask for...
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            app.call::<RequestPasswordReset>(&attacker, &[("email", "olga@acme.test")])
                .await
                .status,
        );
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    // ...and Olga's own browser still has its budget.
    let r = app
        .call::<RequestPasswordReset>(&olga, &[("email", "olga@acme.test")])
        .await;
    assert_eq!(r.status, 200, "{:?}", r.result);
}

/// Finding 3: forged reset tokens are refused before any hashing, so a flood of them
/// does not slow anyone's sign-in.
#[sqlx::test(migrations = false)]
async fn a_flood_of_forged_reset_tokens_leaves_sign_in_fast(pool: PgPool) {
    let app = spawn_app(pool).await;
    let _owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let started = Instant::now();
    assert_eq!(
        sign_in(&app, &new_client(), "olga@acme.test", PASSWORD).await,
        200
    );
    let quiet = started.elapsed();
    let flood = async {
        let mut refused = 0;
        for round in 0..6 {
            let attempts = (0..100).map(|i| {
                let app = &app;
                async move {
                    let token = format!("forged-{round}-{i}-{}", "x".repeat(30));
                    app.call::<ResetPassword>(
                        &new_client(),
                        &[("token", &token), ("password", "a long new password")],
                    )
                    .await
                    .status
                }
            });
            refused += futures::future::join_all(attempts)
                .await
                .iter()
                .filter(|s| **s == 410)
                .count();
        }
        refused
    };
    let sign_in_during = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        let status = sign_in(&app, &new_client(), "olga@acme.test", PASSWORD).await;
        (status, started.elapsed())
    };
    let (refused, (status, during)) = tokio::join!(flood, sign_in_during);
    println!("sign-in alone {quiet:?}, during 600 forged resets {during:?}");
    assert_eq!(refused, 600, "every forged token is refused as not valid");
    assert_eq!(status, 200);
    assert!(
        during < Duration::from_secs(1),
        "sign-in took {during:?} during the flood"
    );
}

/// Finding 3: when more passwords wait to be hashed than the queue holds, the rest are
/// told at once, with a clear 503, instead of piling up.
#[sqlx::test(migrations = false)]
async fn a_full_hashing_queue_answers_503_at_once(pool: PgPool) {
    let app = spawn_app_with(
        pool,
        Options {
            extra_args: vec![
                "--password-hash-queue".into(),
                "2".into(),
                "--password-hash-concurrency".into(),
                "1".into(),
                "--max-failures-per-address".into(),
                "1000".into(),
            ],
            ..Default::default()
        },
    )
    .await;
    let attempts = (0..40).map(|i| {
        let app = &app;
        async move {
            let r = app
                .call::<SignIn>(
                    &new_client(),
                    &[
                        ("email", &format!("nobody{i}@example.test")),
                        ("password", "whatever"),
                    ],
                )
                .await;
            (r.status, r.result.err())
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let busy: Vec<_> = answers.iter().filter(|(s, _)| *s == 503).collect();
    let evaluated = answers.iter().filter(|(s, _)| *s == 422).count();
    println!(
        "40 parallel sign-ins, queue 2: {evaluated} evaluated, {} busy",
        busy.len()
    );
    assert!(!busy.is_empty(), "{answers:?}");
    assert_eq!(evaluated + busy.len(), 40, "{answers:?}");
    assert_eq!(
        busy[0]
            .1
            .as_ref()
            .unwrap()
            .form_message(Locale::En)
            .unwrap(),
        "Muster is busy checking passwords right now. Nothing was changed; try again in a moment."
    );
}

/// Finding 4: a wizard that named an existing account (waiting for its holder to agree)
/// adds invitations like any other, and answers as it does for a new address.
#[sqlx::test(migrations = false)]
async fn a_wizard_waiting_for_the_owner_adds_invitations_alike(pool: PgPool) {
    use app::activation::api::AddInvite;
    let app = spawn_app(pool).await;
    ada_has_an_account(&app).await;
    let mut answers = Vec::new();
    for (company, owner) in [("Beta", "nina@beta.test"), ("Gamma", "ada@acme.test")] {
        let (token, c) = wizard_naming(&app, company, owner).await;
        let added = app
            .call::<AddInvite>(
                &c,
                &[
                    ("token", &token),
                    ("email", "ivan@x.test"),
                    ("role", "EDITOR"),
                ],
            )
            .await;
        answers.push((
            added.status,
            added.result.map(|_| ()).map_err(|e| e.to_string()),
        ));
    }
    assert_eq!(answers[0], (200, Ok(())));
    assert_eq!(answers[1], answers[0], "an existing account answers alike");
    assert_eq!(
        app.count("SELECT count(*) FROM activation_invites WHERE email = 'ivan@x.test'")
            .await,
        2
    );
}

/// Finding 4: signing up and then signing in with the same password answers alike for
/// a free address and for one that has an account.
#[sqlx::test(migrations = false)]
async fn sign_up_then_sign_in_answers_alike_for_free_and_taken_addresses(pool: PgPool) {
    let app = spawn_app(pool).await;
    let _owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let mut answers = Vec::new();
    for email in ["free@acme.test", "olga@acme.test"] {
        let c = new_client();
        ok(app
            .call::<SignUp>(
                &c,
                &[
                    ("name", "Probe"),
                    ("email", email),
                    ("password", "the prober's password"),
                ],
            )
            .await)
        .await;
        let r = app
            .call::<SignIn>(
                &c,
                &[("email", email), ("password", "the prober's password")],
            )
            .await;
        let keys = field_keys(r.result.as_ref().unwrap_err());
        answers.push((r.status, keys));
    }
    assert_eq!(answers[0], answers[1], "{answers:?}");
    // The person who really signed up is told to confirm their address, by mail.
    let mails = app.wait_for_mail("free@acme.test", 2).await;
    assert!(
        mails.iter().all(|m| m.subject.contains("Confirm")),
        "{:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
}

/// Finding 5: invitations to one address are limited across organizations, and an API
/// key's name cannot carry control characters into mail.
#[sqlx::test(migrations = false)]
async fn invitations_to_one_address_are_limited_across_organizations(pool: PgPool) {
    use app::api_keys::api::CreateApiKey;
    use app::people::api::SendInvite;
    let app = spawn_app(pool).await;
    let acme = org(&app, "Acme", "olga@acme.test", &[]).await;
    let beta = org(&app, "Beta", "bob@beta.test", &[]).await;
    let mut statuses = Vec::new();
    for (client, short) in [(&acme, "acme"), (&beta, "beta")] {
        let mut form = vec![("region", "eu-central-1"), ("short_name", short)];
        form.extend([
            ("name", "Vic"),
            ("email", "vic@victim.test"),
            ("role", "VIEWER"),
        ]);
        ok(app.call::<AddPerson>(client, &form).await).await;
        let id = row(&people(&app, client, short).await, "vic@victim.test")["id"].to_string();
        for _ in 0..9 {
            let mut form = vec![("region", "eu-central-1"), ("short_name", short)];
            form.extend([("person_id", id.as_str()), ("confirmed", "true")]);
            statuses.push(app.call::<SendInvite>(client, &form).await.status);
        }
    }
    let sent = statuses.iter().filter(|s| **s == 200).count();
    println!("18 invitations to one address from two organizations: {statuses:?}");
    assert!(sent <= 10, "{sent} sent: {statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");

    let mut form = ACME.to_vec();
    form.extend([
        ("name", "robot\u{7}\r\nBcc: x@evil.test"),
        ("role", "ADMIN"),
    ]);
    let r = app.call::<CreateApiKey>(&acme, &form).await;
    assert_eq!(r.status, 422, "{:?}", r.result);
    assert_eq!(
        field_keys(&r.result.unwrap_err()),
        [("name".to_owned(), "errors.api_key_name_control".to_owned())]
    );
}

/// Finding 6: the page where an existing account agrees to own an organization shows
/// the invitations that will go out in its name, with their roles.
#[sqlx::test(migrations = false)]
async fn the_owner_claim_page_shows_the_invitations_it_agrees_to(pool: PgPool) {
    use app::activation::api::{AddInvite, GetOwnerClaim};
    let app = spawn_app(pool).await;
    ada_has_an_account(&app).await;
    let (token, c) = wizard_naming(&app, "Gamma", "ada@acme.test").await;
    ok(app
        .call::<AddInvite>(
            &c,
            &[
                ("token", &token),
                ("email", "mallory@gamma.test"),
                ("role", "ADMIN"),
            ],
        )
        .await)
    .await;
    let mail = mail_with_subject(&app, "ada@acme.test", "Own Gamma on Muster?").await;
    let link = mail
        .text
        .split_whitespace()
        .find(|w| w.contains("/owner?key="))
        .unwrap()
        .to_owned();
    let key = link.split("key=").nth(1).unwrap().to_owned();
    let claim = ok(app
        .call::<GetOwnerClaim>(&new_client(), &[("token", &token), ("key", &key)])
        .await)
    .await;
    assert_eq!(
        claim["invites"][0]["email"], "mallory@gamma.test",
        "{claim}"
    );
    assert_eq!(claim["invites"][0]["role"], "ADMIN", "{claim}");
    let (_, page) = app.get(&new_client(), &link[app.base.len()..]).await;
    assert!(page.contains("mallory@gamma.test"), "{page}");
}

/// Finding 7: only an OWNER revokes an OWNER's invitation.
#[sqlx::test(migrations = false)]
async fn an_admin_cannot_revoke_an_owners_invitation(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(
        &app,
        "Acme",
        "olga@acme.test",
        &[("adam@acme.test", "ADMIN")],
    )
    .await;
    let admin = accept(&app, "adam@acme.test").await;
    let mut form = ACME.to_vec();
    form.extend([
        ("name", "Ona"),
        ("email", "ona@acme.test"),
        ("role", "OWNER"),
        ("send_now", "on"),
    ]);
    ok(app.call::<AddPerson>(&owner, &form).await).await;
    let ona = row(&people(&app, &owner, "acme").await, "ona@acme.test")["id"].to_string();
    let mut form = ACME.to_vec();
    form.push(("person_id", ona.as_str()));
    let refused = app.call::<RevokeInvite>(&admin, &form).await;
    assert_eq!(
        refused.result.unwrap_err(),
        AppError::NotPermitted {
            key: "errors.only_owner_grants_owner".into(),
            contacts: Vec::new()
        }
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM invitations WHERE email = 'ona@acme.test' AND revoked_at IS NULL"
        )
        .await,
        1,
        "Ona's invitation still works"
    );
    ok(app.call::<RevokeInvite>(&owner, &form).await).await;
}

/// Finding 8: a join link does not tell who is already a member: members get the same
/// answer as anyone (and a mail saying they are a member), within the same limits.
#[sqlx::test(migrations = false)]
async fn a_join_link_does_not_tell_who_is_a_member(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let link = open_join_link(&app, &owner, "acme.test").await;
    let mut answers = Vec::new();
    for email in ["olga@acme.test", "nobody@acme.test"] {
        let r = app
            .call::<RequestJoin>(
                &new_client(),
                &[
                    ("token", &link),
                    ("name", "Probe"),
                    ("email", email),
                    ("password", "the prober's password"),
                ],
            )
            .await;
        let answer = r
            .result
            .map(|v| v.to_string().replace(&email.replace('@', "%40"), "E"));
        answers.push((r.status, answer.map_err(|e| e.to_string())));
    }
    assert_eq!(answers[0], answers[1], "{answers:?}");
    let mail = mail_with_subject(&app, "olga@acme.test", "already a member").await;
    assert!(mail.text.contains("Acme"), "{}", mail.text);
    // And the mail limit counts the member's address too.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            app.call::<RequestJoin>(
                &new_client(),
                &[
                    ("token", &link),
                    ("name", "Probe"),
                    ("email", "olga@acme.test"),
                    ("password", "the prober's password"),
                ],
            )
            .await
            .status,
        );
    }
    assert!(statuses.contains(&429), "{statuses:?}");
}

/// Finding 9: one session cannot hold open an unlimited number of bell streams.
#[sqlx::test(migrations = false)]
async fn bell_streams_per_session_are_capped(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let mut open = Vec::new();
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let res = owner.get(app.url("/events")).send().await.unwrap();
        statuses.push(res.status().as_u16());
        open.push(res);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        8,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        4,
        "{statuses:?}"
    );
    // A closed stream frees its place.
    open.truncate(7);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let res = owner.get(app.url("/events")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

/// Signing in again and again does not open more streams: one person's are capped over
/// all their sessions.
#[sqlx::test(migrations = false)]
async fn bell_streams_per_person_are_capped_over_all_sessions(pool: PgPool) {
    let options = Options {
        extra_args: vec!["--max-streams-per-person".into(), "3".into()],
        ..Default::default()
    };
    let app = spawn_app_with(pool, options).await;
    org(&app, "Acme", "olga@acme.test", &[]).await;
    let mut open = Vec::new();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let c = new_client();
        sign_in_to(&app, &c, "olga@acme.test", PASSWORD).await;
        let res = c.get(app.url("/events")).send().await.unwrap();
        statuses.push(res.status().as_u16());
        open.push(res);
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
}

/// Finding 10: accounts opened with an address that is never confirmed are deleted
/// after a week; confirmed accounts and recent ones stay.
#[sqlx::test(migrations = false)]
async fn unconfirmed_accounts_are_deleted_after_a_week(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let _owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    for email in ["stale@x.test", "fresh@x.test"] {
        ok(sign_up(&app, "Someone", email).await).await;
    }
    sqlx::query(
        "UPDATE users SET created_at = now() - interval '8 days'
         WHERE email IN ('stale@x.test', 'olga@acme.test')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let swept = app::housekeeping::sweep(
        &pool,
        app::housekeeping::Policy {
            throttle_window_minutes: 15,
            mail_days: 30,
            unconfirmed_account_days: 7,
        },
    )
    .await
    .unwrap();
    assert_eq!(swept.unconfirmed_accounts, 1);
    let left: Vec<String> = sqlx::query_scalar("SELECT email FROM users ORDER BY email")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(left, ["fresh@x.test", "olga@acme.test"]);
}
