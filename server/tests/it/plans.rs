//! Plan rules: seats (members plus open invitations may not exceed the plan's seats),
//! premium features (off on the free plan, with an upgrade hint), and the owner rules,
//! through the settings page, the permission check and the REST API.

use crate::common::*;
use app::api_keys::api::CreateApiKey;
use app::error::AppError;
use app::i18n::Locale;
use app::invite_all::api::InviteAll;
use app::orgs::api::{CheckPermission, GetOrgSettings, InviteMember};
use app::people::api::{AddPerson, RevokeInvite};
use reqwest::Method;
use sqlx::PgPool;

const ACME: [(&str, &str); 2] = [("region", "eu-central-1"), ("short_name", "acme")];

fn acme(plan: &str, seats: i32) -> app::activation::server::service::SubscriptionSpec {
    let mut s = spec("Acme", "olivia@acme.test", Locale::En, false);
    s.plan = plan.into();
    if plan == "free" {
        s.products = vec!["alerts".into()];
    }
    s.seats = seats;
    s
}

async fn invite(app: &TestApp, c: &reqwest::Client, email: &str) -> Reply<serde_json::Value> {
    let mut form = ACME.to_vec();
    form.extend([("email", email), ("role", "VIEWER")]);
    app.call::<InviteMember>(c, &form).await
}

async fn check(app: &TestApp, c: &reqwest::Client, permission: &str) -> serde_json::Value {
    let mut form = ACME.to_vec();
    form.push(("permission", permission));
    ok(app.call::<CheckPermission>(c, &form).await).await
}

#[sqlx::test(migrations = false)]
async fn members_and_pending_invitations_may_not_exceed_the_seats(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org_spec(&app, &acme("premium", 3), &[]).await;
    ok(invite(&app, &owner, "one@acme.test").await).await;
    ok(invite(&app, &owner, "two@acme.test").await).await;
    let settings = ok(app.call::<GetOrgSettings>(&owner, &ACME).await).await;
    assert_eq!(settings["plan"]["seats"], 3);
    assert_eq!(
        (
            settings["plan"]["members"].as_i64(),
            settings["plan"]["pending"].as_i64()
        ),
        (Some(1), Some(2))
    );

    // The fourth seat: refused with the numbers, and nothing written (not even the person).
    let people_before = app.count("SELECT count(*) FROM people").await;
    let reply = invite(&app, &owner, "three@acme.test").await;
    assert_eq!(reply.status, 422);
    match reply.result.unwrap_err() {
        AppError::Validation(errors) => {
            assert_eq!(errors[0].key, "errors.seats_full");
            let msg = errors[0].message(Locale::En);
            assert!(
                msg.contains("All 3 seats") && msg.contains("1 members and 2 pending"),
                "{msg}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        app.count("SELECT count(*) FROM people").await,
        people_before
    );
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE email = 'three@acme.test'")
            .await,
        0
    );
    let d = check(&app, &owner, "invite").await;
    assert_eq!(
        (d["allowed"].as_bool(), d["denial"]["reason"].as_str()),
        (Some(false), Some("seats"))
    );

    // Add Person with "send now", Invite All and the REST API meet the same limit.
    let mut form = ACME.to_vec();
    form.extend([
        ("name", "Four"),
        ("email", "four@acme.test"),
        ("role", "VIEWER"),
        ("send_now", "on"),
    ]);
    assert_eq!(app.call::<AddPerson>(&owner, &form).await.status, 422);
    let mut form = ACME.to_vec();
    form.extend([
        ("name", "Five"),
        ("email", "five@acme.test"),
        ("role", "VIEWER"),
    ]);
    ok(app.call::<AddPerson>(&owner, &form).await).await;
    assert_eq!(app.call::<InviteAll>(&owner, &ACME).await.status, 422);
    let mut form = ACME.to_vec();
    form.extend([("name", "robot"), ("role", "ADMIN")]);
    let key = ok(app.call::<CreateApiKey>(&owner, &form).await).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, problem) = rest(
        &app,
        Some(&key),
        Method::POST,
        "/api/v1/invitations",
        Some(serde_json::json!({ "email": "six@acme.test" })),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        problem["detail"].as_str().unwrap().contains("All 3 seats"),
        "{problem}"
    );

    // Revoking a pending invitation frees its seat.
    let page = people(&app, &owner, "acme").await;
    let mut form = ACME.to_vec();
    let id = row(&page, "two@acme.test")["id"].to_string();
    form.push(("person_id", &id));
    ok(app.call::<RevokeInvite>(&owner, &form).await).await;
    ok(invite(&app, &owner, "three@acme.test").await).await;
    // Accepting keeps the seat taken (a member instead of a pending invitation).
    accept(&app, "three@acme.test").await;
    let settings = ok(app.call::<GetOrgSettings>(&owner, &ACME).await).await;
    assert_eq!(
        (
            settings["plan"]["members"].as_i64(),
            settings["plan"]["pending"].as_i64()
        ),
        (Some(2), Some(1))
    );
}

#[sqlx::test(migrations = false)]
async fn premium_features_are_off_on_the_free_plan_with_an_upgrade_hint(pool: PgPool) {
    let app = spawn_app(pool).await;
    let free = org_spec(&app, &acme("free", 10), &[("eddie@acme.test", "EDITOR")]).await;
    let eddie = accept(&app, "eddie@acme.test").await;
    for c in [&free, &eddie] {
        let d = check(&app, c, "manage_decisions").await;
        assert_eq!(
            (d["allowed"].as_bool(), d["denial"]["reason"].as_str()),
            (Some(false), Some("premium"))
        );
        // Not premium: allowed as the role says.
        assert_eq!(check(&app, c, "manage_blocklists").await["allowed"], true);
    }
    let settings = ok(app.call::<GetOrgSettings>(&eddie, &ACME).await).await;
    let decisions = settings["decisions"].as_array().unwrap();
    let decisions_row = decisions
        .iter()
        .find(|d| d["permission"] == "manage_decisions")
        .unwrap();
    assert_eq!(decisions_row["denial"]["reason"], "premium");

    // The same question about a member, through the API.
    let mut form = ACME.to_vec();
    form.extend([("name", "robot"), ("role", "VIEWER")]);
    let key = ok(app.call::<CreateApiKey>(&free, &form).await).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let eddie_id = row(&people(&app, &free, "acme").await, "eddie@acme.test")["id"].to_string();
    let (status, decisions) = rest(
        &app,
        Some(&key),
        Method::GET,
        &format!("/api/v1/members/{eddie_id}/permissions"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let by = |p: &str| {
        decisions
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["permission"] == p)
            .unwrap()
            .clone()
    };
    assert_eq!(by("manage_decisions")["denial"]["reason"], "premium");
    let hint = by("manage_decisions")["hint"].as_str().unwrap().to_owned();
    assert!(hint.contains("upgrade the plan"), "{hint}");
    assert!(by("manage_instances")["hint"].is_null());
    assert_eq!(by("manage_instances")["allowed"], true);
    assert_eq!(by("invite")["denial"]["reason"], "role");
    assert_eq!(by("cti_console")["plan_limited"], true);

    // On a premium plan the editor may.
    let app2 = &app;
    let premium = org_spec(
        app2,
        &spec("Globex", "bob@globex.test", Locale::En, false),
        &[],
    )
    .await;
    let mut form = vec![
        ("region", "eu-central-1"),
        ("short_name", "globex"),
        ("permission", "manage_decisions"),
    ];
    let d = ok(app.call::<CheckPermission>(&premium, &form).await).await;
    assert_eq!(d["allowed"], true);
    form.pop();
    form.push(("permission", "fly"));
    let reply = app.call::<CheckPermission>(&premium, &form).await;
    assert_eq!(reply.status, 422);
}

#[sqlx::test(migrations = false)]
async fn the_activation_wizard_invites_no_more_people_than_the_seats(pool: PgPool) {
    use app::activation::api::AddInvite;
    let app = spawn_app(pool).await;
    let client = new_client();
    let token = subscribe(&app, &acme("premium", 3)).await;
    ok(app
        .call::<app::activation::api::ChooseRegion>(
            &client,
            &[("token", &token), ("region", "eu-central-1")],
        )
        .await)
    .await;
    ok(app
        .call::<app::activation::api::SaveAccount>(
            &client,
            &[
                ("token", &token),
                ("name", "Olivia Owner"),
                ("email", "olivia@acme.test"),
                ("password", PASSWORD),
                ("company_name", "Acme"),
            ],
        )
        .await)
    .await;
    let add = |email: &'static str| {
        let (app, client, token) = (&app, &client, token.clone());
        async move {
            app.call::<AddInvite>(
                client,
                &[("token", &token), ("email", email), ("role", "VIEWER")],
            )
            .await
        }
    };
    // Three seats: the owner's and two invitations.
    ok(add("one@acme.test").await).await;
    ok(add("two@acme.test").await).await;
    let reply = add("three@acme.test").await;
    assert_eq!(reply.status, 422);
    match reply.result.unwrap_err() {
        AppError::Validation(errors) => {
            assert_eq!(errors[0].field, "email");
            let msg = errors[0].message(Locale::En);
            assert!(
                msg.contains("3 seats") && msg.contains("up to 2 people"),
                "{msg}"
            );
        }
        other => panic!("{other:?}"),
    }
    ok(app
        .call::<app::activation::api::FinishInvites>(&client, &[("token", &token)])
        .await)
    .await;
    ok(app
        .call::<app::activation::api::ActivateNow>(&client, &[("token", &token)])
        .await)
    .await;
    assert_eq!(wait_for_job(&app.pool, &token).await, "done");
    let signin = [("email", "olivia@acme.test"), ("password", PASSWORD)];
    ok(app.call::<app::auth::api::SignIn>(&client, &signin).await).await;
    let settings = ok(app.call::<GetOrgSettings>(&client, &ACME).await).await;
    assert_eq!(
        (
            settings["plan"]["members"].as_i64(),
            settings["plan"]["pending"].as_i64()
        ),
        (Some(1), Some(2))
    );
}

/// Invite All and a REST invitation at the same moment: the people Invite All queued hold
/// their seats before the worker turns them into invitations, so 5 seats stay 5.
#[sqlx::test(migrations = false)]
async fn people_queued_by_invite_all_hold_their_seats(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org_spec(&app, &acme("premium", 5), &[]).await;
    for who in ["a", "b", "c", "d"] {
        let email = format!("{who}@acme.test");
        let mut form = ACME.to_vec();
        form.extend([("name", who), ("email", email.as_str()), ("role", "VIEWER")]);
        ok(app.call::<AddPerson>(&owner, &form).await).await;
    }
    let mut form = ACME.to_vec();
    form.extend([("name", "robot"), ("role", "ADMIN")]);
    let key = ok(app.call::<CreateApiKey>(&owner, &form).await).await["key"]
        .as_str()
        .unwrap()
        .to_owned();

    // Hold the worker back: it cannot finish a chunk (it marks the people's Welcome
    // Sent) while these row locks are held; queueing them still can. Invite All queues
    // the four.
    let mut hold = app.pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM people WHERE email LIKE '_@acme.test' FOR NO KEY UPDATE")
        .execute(&mut *hold)
        .await
        .unwrap();
    ok(app.call::<InviteAll>(&owner, &ACME).await).await;

    // The REST invitation sent meanwhile is refused: 1 member + 4 queued = 5 seats.
    let body = serde_json::json!({ "email": "late@acme.test" });
    let late = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        rest(
            &app,
            Some(&key),
            Method::POST,
            "/api/v1/invitations",
            Some(body),
        ),
    )
    .await;
    hold.rollback().await.unwrap();
    let (status, problem) = match late {
        Ok(answer) => answer,
        Err(_) => panic!("the invitation waited for the worker's lock: it was not refused"),
    };
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("All 5 seats"),
        "{problem}"
    );
    // The four go out; nobody beyond the seats.
    for who in ["a", "b", "c", "d"] {
        app.wait_for_mail(&format!("{who}@acme.test"), 1).await;
    }
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE revoked_at IS NULL")
            .await,
        4
    );
}
