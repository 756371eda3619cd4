//! Organization activation against a real PostgreSQL and a real SMTP sink, through HTTP:
//! links, every wizard step, idempotency, concurrency and the job's retries.

use std::time::Duration;

use crate::common::*;
use app::activation::api::{
    ActivateNow, AddInvite, ChooseRegion, FinishInvites, GetActivationProgress, GetWizard,
    PreviewShortName, RetryActivation, SaveAccount, SignOutForActivation,
};
use app::activation::server::service::create_subscription;
use app::auth::api::SignIn;
use app::error::AppError;
use app::i18n::Locale;
use app::orgs::api::GetOrgOverview;
use app::shell::api::GetShell;
use futures::future::join_all;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn the_activation_email_is_in_the_contacts_language_and_its_link_is_stored_hashed(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let token = subscribe(&app, &spec("Acme Corp", "IT@Acme.test", Locale::Fr, false)).await;

    let mails = app.wait_for_mail("it@acme.test", 1).await;
    assert_eq!(mails[0].subject, "Activez vos fonctionnalités Muster");
    // Mail clients (and screen readers) are told the language, not only the HTML.
    assert_eq!(mails[0].content_language.as_deref(), Some("fr"));
    assert!(
        mails[0]
            .text
            .contains(&format!("{}/activate/{token}", app.base))
    );
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM subscriptions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_ne!(stored, token.as_bytes());
    assert_eq!(stored.len(), 32);

    let (status, page) = app.get(&app.client, &format!("/activate/{token}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Acme Corp") && page.contains("eu-central-2"));

    let (status, page) = app.get(&app.client, "/activate/not-a-real-token").await;
    assert_eq!(status, 404);
    assert!(page.contains("This activation link isn't valid"));

    sqlx::query("UPDATE subscriptions SET token_expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, page) = app.get(&app.client, &format!("/activate/{token}")).await;
    assert_eq!(status, 410);
    assert!(page.contains("This activation link has expired"));
}

#[sqlx::test(migrations = false)]
async fn the_operator_cannot_create_a_subscription_with_bad_details(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut bad = spec("!!!", "not-an-email", Locale::En, false);
    bad.plan = "free".into();
    let err = create_subscription(&app.pool, &test_key(), &app.base, &bad)
        .await
        .unwrap_err();
    let keys = field_keys(&err);
    assert!(keys.contains(&("email".into(), "errors.email_invalid".into())));
    assert!(keys.contains(&("company_name".into(), "errors.company_no_short_name".into())));
    assert!(keys.contains(&("products".into(), "errors.product_premium".into())));
    assert_eq!(app.count("SELECT count(*) FROM subscriptions").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM outbox_emails").await, 0);
}

#[sqlx::test(migrations = false)]
async fn the_wizard_creates_an_active_organization_owned_by_the_new_account(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = subscribe(&app, &spec("Acme Corp", "it@acme.test", Locale::En, true)).await;
    let c = &app.client;

    // Steps cannot be skipped.
    let early = app.call::<ActivateNow>(c, &[("token", &token)]).await;
    assert_eq!(early.status, 409);
    let bad_region = app
        .call::<ChooseRegion>(c, &[("token", &token), ("region", "mars-north-1")])
        .await;
    assert_eq!(
        field_keys(&bad_region.result.unwrap_err()),
        vec![("region".into(), "errors.region_required".into())]
    );

    let next = ok(app
        .call::<ChooseRegion>(c, &[("token", &token), ("region", "eu-central-1")])
        .await)
    .await;
    assert_eq!(next, format!("/activate/{token}/account"));

    // Every bad field is reported at once, and nothing is saved.
    let bad = app
        .call::<SaveAccount>(
            c,
            &[
                ("token", &token),
                ("name", " "),
                ("email", "nope"),
                ("password", "short"),
                ("company_name", "!!!"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    let fields: Vec<String> = field_keys(&bad.result.unwrap_err())
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(fields, vec!["name", "email", "password", "company_name"]);
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0);

    let preview = ok(app
        .call::<PreviewShortName>(c, &[("token", &token), ("company_name", "Acme Corp")])
        .await)
    .await;
    assert_eq!(preview["short_name"], "acmecorp");
    assert_eq!(preview["as_typed"], true);

    ok(app
        .call::<SaveAccount>(
            c,
            &[
                ("token", &token),
                ("name", "Olivia Owner"),
                ("email", "it@acme.test"),
                ("password", PASSWORD),
                ("company_name", "Acme Corp"),
            ],
        )
        .await)
    .await;
    let invite = app
        .call::<AddInvite>(
            c,
            &[
                ("token", &token),
                ("email", "it@acme.test"),
                ("role", "ADMIN"),
            ],
        )
        .await;
    assert_eq!(
        field_keys(&invite.result.unwrap_err()),
        vec![("email".into(), "errors.invite_self".into())]
    );
    ok(app
        .call::<AddInvite>(
            c,
            &[
                ("token", &token),
                ("email", "Bob@Acme.test"),
                ("role", "EDITOR"),
            ],
        )
        .await)
    .await;
    ok(app.call::<FinishInvites>(c, &[("token", &token)]).await).await;
    let wizard = ok(app.call::<GetWizard>(c, &[("token", &token)]).await).await;
    assert_eq!(wizard["step"], "Review");
    assert_eq!(wizard["invites"][0]["email"], "bob@acme.test");

    let next = ok(app.call::<ActivateNow>(c, &[("token", &token)]).await).await;
    assert_eq!(next, format!("/activate/{token}/progress"));
    assert_eq!(wait_for_job(&app.pool, &token).await, "done");

    // Steps before activation can no longer change.
    let late = app
        .call::<ChooseRegion>(c, &[("token", &token), ("region", "us-east-1")])
        .await;
    assert_eq!(late.status, 409);

    let org: (String, String, bool, bool) = sqlx::query_as(
        "SELECT short_name, region, organization_is_active(o), trial FROM organizations o",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(org, ("acmecorp".into(), "eu-central-1".into(), true, true));
    assert_eq!(
        app.count("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id JOIN people p ON p.org_id = m.org_id AND p.user_id = m.user_id WHERE u.email = 'it@acme.test' AND p.role = 'OWNER'").await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM org_features").await, 2);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM billing_accounts WHERE NOT billed AND trial_ends_at IS NOT NULL"
        )
        .await,
        1,
        "a trial is recorded as not billed"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM invitations i JOIN people p ON p.org_id = i.org_id AND p.email = i.email WHERE i.email = 'bob@acme.test' AND p.role = 'EDITOR' AND i.expires_at BETWEEN now() + interval '29 days 23 hours' AND now() + interval '30 days'").await,
        1
    );

    let invited = app.wait_for_mail("bob@acme.test", 1).await;
    assert_eq!(
        invited[0].subject,
        "Olivia Owner invited you to Acme Corp on Muster"
    );
    let owner_mail = app.wait_for_mail("it@acme.test", 3).await;
    let subjects: Vec<&str> = owner_mail.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        vec![
            "Activate Your Muster Features",
            "Thank you for Activating Your Muster Features",
            "Welcome to Muster"
        ]
    );
    let welcome = &owner_mail[2];
    for path in ["/signin", "/apps", "/o/eu-central-1/acmecorp#invite"] {
        assert!(
            welcome.text.contains(&app.url(path)),
            "{path} in {}",
            welcome.text
        );
    }

    // Log in from the wizard, then the organization's home shows the person as OWNER.
    let next = format!("/activate/{token}/complete");
    let signed_in = ok(app
        .call::<SignIn>(
            c,
            &[
                ("email", "it@acme.test"),
                ("password", PASSWORD),
                ("next", &next),
            ],
        )
        .await)
    .await;
    assert_eq!(signed_in, next);
    let (status, page) = app.get(c, &next).await;
    assert_eq!(status, 200);
    assert!(page.contains("Setup complete"), "{page}");
    let me = ok(app.call::<GetShell>(c, &[]).await).await;
    assert_eq!(me["orgs"][0]["short_name"], "acmecorp");
    assert_eq!(me["orgs"][0]["role"], "OWNER");
    let home = ok(app
        .call::<GetOrgOverview>(c, &[("region", "eu-central-1"), ("short_name", "acmecorp")])
        .await)
    .await;
    assert_eq!(home["my_role"], "OWNER");
    assert_eq!(home["invitations"][0]["email"], "bob@acme.test");

    // The used link now says "already activated", with a sign-in link.
    let (status, page) = app.get(&new_client(), &format!("/activate/{token}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Already activated") && page.contains("href=\"/signin\""));
}

#[sqlx::test(migrations = false)]
async fn a_stranger_cannot_see_an_organization(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, status) = activate(&app, &app.client, "Acme", "it@acme.test", &[]).await;
    assert_eq!(status, "done");

    let anonymous = new_client();
    let reply = app
        .call::<GetOrgOverview>(
            &anonymous,
            &[("region", "eu-central-1"), ("short_name", "acme")],
        )
        .await;
    assert_eq!(reply.status, 401);

    // Another person with an account of their own: the organization does not exist for them.
    let other = subscribe(&app, &spec("Other", "eve@other.test", Locale::En, false)).await;
    let eve = new_client();
    fill_wizard(&app, &eve, &other, "eve@other.test", "Other").await;
    ok(app
        .call::<SignIn>(&eve, &[("email", "eve@other.test"), ("password", PASSWORD)])
        .await)
    .await;
    let reply = app
        .call::<GetOrgOverview>(&eve, &[("region", "eu-central-1"), ("short_name", "acme")])
        .await;
    assert_eq!(reply.status, 404);
}

#[sqlx::test(migrations = false)]
async fn clicking_activate_twice_or_in_two_tabs_and_servers_yields_one_organization(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let second_server = spawn_app(pool).await;
    let token = subscribe(&app, &spec("Acme", "it@acme.test", Locale::En, false)).await;
    fill_wizard(&app, &app.client, &token, "it@acme.test", "Acme").await;

    // Two tabs of one browser share its cookies (the wizard key among them); a second
    // server behind the same address gets the same cookies too.
    let tab_two = app.client.clone();
    let form = [("token", token.as_str())];
    let (a, b, c) = tokio::join!(
        app.call::<ActivateNow>(&app.client, &form),
        app.call::<ActivateNow>(&tab_two, &form),
        second_server.call::<ActivateNow>(&tab_two, &form),
    );
    for reply in [a, b, c] {
        assert_eq!(reply.status, 200, "{:?}", reply.result);
    }
    assert_eq!(wait_for_job(&app.pool, &token).await, "done");
    ok(app
        .call::<ActivateNow>(&app.client, &[("token", &token)])
        .await)
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.count("SELECT count(*) FROM organizations").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM activation_jobs").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM memberships").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM outbox_emails WHERE subject = 'Welcome to Muster'")
            .await,
        1
    );
}

#[sqlx::test(migrations = false)]
async fn fifty_concurrent_activations_with_one_company_name_get_fifty_short_names(pool: PgPool) {
    let servers = [spawn_app(pool.clone()).await, spawn_app(pool).await];
    let app = &servers[0];
    let mut tokens = Vec::new();
    for i in 0..50 {
        let email = format!("owner{i}@acme.test");
        tokens.push((
            subscribe(app, &spec("Acme", &email, Locale::En, false)).await,
            email,
        ));
    }
    let clients: Vec<reqwest::Client> = (0..50).map(|_| new_client()).collect();
    join_all(
        tokens
            .iter()
            .zip(&clients)
            .map(|((token, email), client)| async move {
                fill_wizard(app, client, token, email, "Acme").await;
            }),
    )
    .await;
    // Everyone clicks "Activate Now" at once, spread over two servers.
    join_all(
        tokens
            .iter()
            .zip(&clients)
            .enumerate()
            .map(|(i, ((token, _), client))| {
                let server = &servers[i % 2];
                async move {
                    ok(server
                        .call::<ActivateNow>(client, &[("token", token)])
                        .await)
                    .await
                }
            }),
    )
    .await;
    for (token, _) in &tokens {
        assert_eq!(wait_for_job(&app.pool, token).await, "done");
    }
    let mut names: Vec<String> =
        sqlx::query_scalar("SELECT short_name FROM organizations WHERE region = 'eu-central-1'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    names.sort();
    let mut expected: Vec<String> = (0..50)
        .map(|n| {
            if n == 0 {
                "acme".to_owned()
            } else {
                format!("acme{n}")
            }
        })
        .collect();
    expected.sort();
    assert_eq!(names, expected);
}

#[sqlx::test(migrations = false)]
async fn a_failing_step_is_retried_and_the_activation_still_completes_once(pool: PgPool) {
    let app = spawn_app_with(
        pool,
        Options {
            extra_args: vec![
                "--fail-activation-step".into(),
                "customize_billing:2".into(),
                "--activation-retry-ms".into(),
                "50".into(),
            ],
            ..Options::default()
        },
    )
    .await;
    let (_, status) = activate(&app, &app.client, "Acme", "it@acme.test", &[]).await;
    assert_eq!(status, "done");
    assert_eq!(
        app.count("SELECT count(*) FROM billing_accounts WHERE billed")
            .await,
        1
    );
    let mails = app.wait_for_mail("it@acme.test", 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.mailbox.to("it@acme.test").len(), 3, "{:?}", mails.len());
}

#[sqlx::test(migrations = false)]
async fn a_step_that_keeps_failing_stops_with_the_organization_id_and_can_be_retried(pool: PgPool) {
    let app = spawn_app_with(
        pool,
        Options {
            extra_args: vec![
                "--fail-activation-step".into(),
                "activate_features:3".into(),
                "--activation-retry-ms".into(),
                "20".into(),
                "--activation-max-attempts".into(),
                "3".into(),
            ],
            ..Options::default()
        },
    )
    .await;
    let (token, status) = activate(&app, &app.client, "Acme", "it@acme.test", &[]).await;
    assert_eq!(status, "failed");

    let progress = ok(app
        .call::<GetActivationProgress>(&app.client, &[("token", &token)])
        .await)
    .await;
    assert_eq!(progress["status"], "Failed");
    assert_eq!(progress["steps"][0][1], "Done");
    assert_eq!(progress["steps"][1][1], "Failed");
    let public_id: String = sqlx::query_scalar("SELECT public_id FROM organizations")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(progress["organization_id"], public_id);
    let (_, page) = app
        .get(&app.client, &format!("/activate/{token}/progress"))
        .await;
    assert!(page.contains(&public_id) && page.contains("Contact support"));
    // The organization row exists, but activation has not completed: not "ready", and
    // no Log In form yet.
    assert!(!page.contains("data-testid=\"org-ready\""), "{page}");
    assert_eq!(
        app.count("SELECT count(*) FROM outbox_emails WHERE subject = 'Welcome to Muster'")
            .await,
        0
    );

    // "Try again": the injected fault is used up, so this time it completes.
    ok(app
        .call::<RetryActivation>(&app.client, &[("token", &token)])
        .await)
    .await;
    assert_eq!(wait_for_job(&app.pool, &token).await, "done");
    assert_eq!(app.count("SELECT count(*) FROM organizations").await, 1);
    let (_, page) = app
        .get(&app.client, &format!("/activate/{token}/progress"))
        .await;
    assert!(page.contains("data-testid=\"org-ready\""), "{page}");
}

#[sqlx::test(migrations = false)]
async fn a_browser_signed_in_as_someone_else_is_asked_to_sign_out_first(pool: PgPool) {
    let app = spawn_app(pool).await;
    // Someone who already owns an organization, signed in in this browser.
    let first = subscribe(&app, &spec("First", "first@acme.test", Locale::En, false)).await;
    fill_wizard(&app, &app.client, &first, "first@acme.test", "First").await;
    ok(app
        .call::<SignIn>(
            &app.client,
            &[("email", "first@acme.test"), ("password", PASSWORD)],
        )
        .await)
    .await;

    let token = subscribe(&app, &spec("Second", "second@acme.test", Locale::En, false)).await;
    let (_, page) = app.get(&app.client, &format!("/activate/{token}")).await;
    assert!(page.contains("This browser is signed in to Muster as Olivia Owner (first@acme.test)"));
    assert!(page.contains("Sign out and continue"));
    let refused = app
        .call::<ChooseRegion>(
            &app.client,
            &[("token", &token), ("region", "eu-central-1")],
        )
        .await;
    assert_eq!(refused.status, 409);
    assert_eq!(
        refused.result.unwrap_err(),
        AppError::Conflict("errors.signed_in_elsewhere".into())
    );

    let back = ok(app
        .call::<SignOutForActivation>(&app.client, &[("token", &token)])
        .await)
    .await;
    assert_eq!(back, format!("/activate/{token}"));
    let me = ok(app.call::<GetShell>(&app.client, &[]).await).await;
    assert!(me.is_null());
    ok(app
        .call::<ChooseRegion>(
            &app.client,
            &[("token", &token), ("region", "eu-central-1")],
        )
        .await)
    .await;
}

#[sqlx::test(migrations = false)]
async fn the_contacts_existing_account_owns_a_new_organization_without_a_second_account(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let first = subscribe(&app, &spec("First", "ada@acme.test", Locale::En, false)).await;
    fill_wizard(&app, &app.client, &first, "ada@acme.test", "First").await;

    // The activation link was mailed to Ada: that proves the address, so her account owns
    // the second organization whatever password is typed (the wizard never says that an
    // address has an account), and the password typed does not replace hers.
    let second = subscribe(&app, &spec("Second", "ada@acme.test", Locale::En, false)).await;
    let c = new_client();
    fill_wizard_with(
        &app,
        &c,
        &second,
        "ada@acme.test",
        "not the password",
        "Second",
    )
    .await;
    ok(app.call::<ActivateNow>(&c, &[("token", &second)]).await).await;
    assert_eq!(wait_for_job(&app.pool, &second).await, "done");
    assert_eq!(app.count("SELECT count(*) FROM users").await, 1);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
             JOIN people p ON p.org_id = m.org_id AND p.user_id = m.user_id
             WHERE u.email = 'ada@acme.test' AND p.role = 'OWNER'"
        )
        .await,
        1
    );
    let signed_in = app
        .call::<SignIn>(
            &new_client(),
            &[("email", "ada@acme.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(signed_in.status, 200);
}

/// The link's first page is kept in memory for signed-out visitors, but only while it is
/// still that page: a change to the subscription (made through another server, say) shows
/// at once, a step taken moves the page on, and each language has its own copy.
#[sqlx::test(migrations = false)]
async fn the_kept_first_page_of_an_activation_link_never_shows_an_old_subscription(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = subscribe(&app, &spec("Acme Corp", "it@acme.test", Locale::En, false)).await;
    let path = format!("/activate/{token}");
    let visitor = new_client();
    let mut nonces = Vec::new();
    for _ in 0..3 {
        let res = visitor.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let nonce = csp_nonce(res.headers());
        let page = res.text().await.unwrap();
        assert!(
            page.contains("Acme Corp") && page.contains("eu-central-2"),
            "{page}"
        );
        assert!(page.contains(&format!("nonce=\"{nonce}\"")), "{page}");
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "each copy has a nonce of its own");
    sqlx::query("UPDATE subscriptions SET company_name = 'Globex Ltd'")
        .execute(&app.pool)
        .await
        .unwrap();
    let (_, page) = app.get(&visitor, &path).await;
    assert!(
        page.contains("Globex Ltd") && !page.contains("Acme Corp"),
        "the subscription as it is now"
    );
    let french = app
        .get_with_cookie(&app.client, &path, "muster_lang=fr")
        .await;
    assert!(
        french.contains("Globex Ltd") && french.contains("Région"),
        "{french}"
    );

    let next = ok(app
        .call::<ChooseRegion>(&visitor, &[("token", &token), ("region", "eu-central-1")])
        .await)
    .await;
    assert_eq!(next, format!("/activate/{token}/account"));
    let (status, page) = app.get(&new_client(), &path).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("data-step=\"account\""),
        "the step reached, not the kept first step: {page}"
    );
}
