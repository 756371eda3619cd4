//! The people list, Add Person and Send Invite through HTTP: permissions from the role
//! matrix, mail through a real SMTP sink, and no way across organizations.

use crate::common::*;
use app::error::AppError;
use app::people::api::{AddPerson, GetPeople, SendInvite};
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn an_admin_adds_people_now_or_later_and_sees_their_invitation_state(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[("wiz@acme.test", "EDITOR")]).await;

    let page = people(&app, &owner, "acme").await;
    assert_eq!(page["can_invite"], true);
    assert_eq!(row(&page, "it@acme.test")["invitation"], "Accepted");
    assert!(
        row(&page, "it@acme.test")["welcome_sent"].is_string(),
        "the owner got the welcome email"
    );
    assert_eq!(row(&page, "wiz@acme.test")["invitation"], "Pending");
    assert!(row(&page, "wiz@acme.test")["welcome_sent"].is_string());

    let form = |email: &'static str, send: bool| {
        let mut f = vec![
            ("region", "eu-central-1"),
            ("short_name", "acme"),
            ("name", "Pat Person"),
            ("email", email),
            ("role", "EDITOR"),
        ];
        if send {
            f.push(("send_now", "on"));
        }
        f
    };
    ok(app
        .call::<AddPerson>(&owner, &form("now@acme.test", true))
        .await)
    .await;
    let mail = &app.wait_for_mail("now@acme.test", 1).await[0];
    assert_eq!(mail.subject, "Olivia Owner invited you to Acme on Muster");

    ok(app
        .call::<AddPerson>(&owner, &form("later@acme.test", false))
        .await)
    .await;
    let page = people(&app, &owner, "acme").await;
    let later = row(&page, "later@acme.test");
    assert_eq!(later["active"], true, "new people are Active either way");
    assert_eq!(later["invitation"], "NotInvited");
    assert!(later["welcome_sent"].is_null());
    assert_eq!(row(&page, "now@acme.test")["invitation"], "Pending");

    // Adding the same address again names the field; nothing changes.
    let dup = app
        .call::<AddPerson>(&owner, &form("later@acme.test", true))
        .await;
    assert_eq!(
        field_keys(&dup.result.unwrap_err()),
        vec![("email".into(), "errors.person_exists".into())]
    );
    assert!(app.mailbox.to("later@acme.test").is_empty());

    // Send Invite later; sending again once Welcome Sent is set needs a confirmation.
    let id = row(&page, "later@acme.test")["id"].to_string();
    let send = [
        ("region", "eu-central-1"),
        ("short_name", "acme"),
        ("person_id", id.as_str()),
    ];
    ok(app.call::<SendInvite>(&owner, &send).await).await;
    app.wait_for_mail("later@acme.test", 1).await;
    let again = app.call::<SendInvite>(&owner, &send).await;
    assert_eq!(
        field_keys(&again.result.unwrap_err()),
        vec![("form".into(), "errors.welcome_already_sent".into())]
    );
    assert_eq!(
        app.mailbox.to("later@acme.test").len(),
        1,
        "nothing sent twice"
    );
    let page = people(&app, &owner, "acme").await;
    assert!(row(&page, "later@acme.test")["welcome_sent"].is_string());

    // Accepting flips the state.
    accept(&app, "later@acme.test").await;
    let page = people(&app, &owner, "acme").await;
    assert_eq!(row(&page, "later@acme.test")["invitation"], "Accepted");
}

#[sqlx::test(migrations = false)]
async fn viewers_and_editors_cannot_invite_and_are_told_whom_to_ask(pool: PgPool) {
    let app = spawn_app(pool).await;
    let _owner = org(
        &app,
        "Acme",
        "it@acme.test",
        &[
            ("viewer@acme.test", "VIEWER"),
            ("editor@acme.test", "EDITOR"),
        ],
    )
    .await;
    for email in ["viewer@acme.test", "editor@acme.test"] {
        let c = accept(&app, email).await;
        let page = people(&app, &c, "acme").await;
        assert_eq!(page["can_invite"], false);
        assert_eq!(page["contacts"][0], "Olivia Owner <it@acme.test>");
        let (_, html) = app.get(&c, "/o/eu-central-1/acme/people").await;
        assert!(
            html.contains("Ask an owner or admin: Olivia Owner &lt;it@acme.test&gt;"),
            "{html}"
        );

        let refused = app
            .call::<AddPerson>(
                &c,
                &[
                    ("region", "eu-central-1"),
                    ("short_name", "acme"),
                    ("name", "X"),
                    ("email", "x@acme.test"),
                    ("role", "VIEWER"),
                    ("send_now", "on"),
                ],
            )
            .await;
        assert_eq!(refused.status, 403);
        assert_eq!(
            refused.result.unwrap_err(),
            AppError::NotPermitted {
                key: "errors.not_permitted_ask".into(),
                contacts: vec!["Olivia Owner <it@acme.test>".into()]
            }
        );
        let send = app
            .call::<SendInvite>(
                &c,
                &[
                    ("region", "eu-central-1"),
                    ("short_name", "acme"),
                    ("person_id", "1"),
                ],
            )
            .await;
        assert_eq!(send.status, 403);
    }
    assert_eq!(
        app.count("SELECT count(*) FROM people WHERE email = 'x@acme.test'")
            .await,
        0
    );
}

#[sqlx::test(migrations = false)]
async fn only_an_owner_adds_an_owner(pool: PgPool) {
    let app = spawn_app(pool).await;
    let _owner = org(
        &app,
        "Acme",
        "it@acme.test",
        &[("admin@acme.test", "ADMIN")],
    )
    .await;
    let admin = accept(&app, "admin@acme.test").await;
    let reply = app
        .call::<AddPerson>(
            &admin,
            &[
                ("region", "eu-central-1"),
                ("short_name", "acme"),
                ("name", "New Owner"),
                ("email", "boss@acme.test"),
                ("role", "OWNER"),
            ],
        )
        .await;
    assert_eq!(
        reply.result.unwrap_err(),
        AppError::NotPermitted {
            key: "errors.only_owner_grants_owner".into(),
            contacts: Vec::new()
        }
    );
}

#[sqlx::test(migrations = false)]
async fn nothing_of_one_organization_is_reachable_from_another(pool: PgPool) {
    let app = spawn_app(pool).await;
    let _acme = org(&app, "Acme", "it@acme.test", &[]).await;
    let globex = org(&app, "Globex", "it@globex.test", &[]).await;
    let list = app
        .call::<GetPeople>(
            &globex,
            &[("region", "eu-central-1"), ("short_name", "acme")],
        )
        .await;
    assert_eq!(list.status, 404);
    let add = app
        .call::<AddPerson>(
            &globex,
            &[
                ("region", "eu-central-1"),
                ("short_name", "acme"),
                ("name", "Spy"),
                ("email", "spy@globex.test"),
                ("role", "VIEWER"),
            ],
        )
        .await;
    assert_eq!(add.status, 404);
    assert_eq!(
        app.count("SELECT count(*) FROM people WHERE email = 'spy@globex.test'")
            .await,
        0
    );
}

/// A stored status that is no status (a hand edit, a bad migration) is an error someone
/// sees, never a guess: the People page answers "something went wrong" instead of showing
/// the person as Active or Inactive, and works again once the value is mended.
#[sqlx::test(migrations = false)]
async fn a_stored_status_that_is_no_status_fails_loudly(pool: PgPool) {
    let app = spawn_app(pool).await;
    let acme = org(&app, "Acme", "it@acme.test", &[]).await;
    let form = [("region", "eu-central-1"), ("short_name", "acme")];
    add_person(&app, &acme, "acme", "Ann", "ann@acme.test", "VIEWER").await;
    for sql in [
        "ALTER TABLE people DROP CONSTRAINT people_status_known",
        "UPDATE people SET status = 'suspended' WHERE email = 'ann@acme.test'",
    ] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
    let list = app.call::<GetPeople>(&acme, &form).await;
    assert_eq!(list.status, 500);
    assert_eq!(list.result.unwrap_err(), AppError::Internal);

    sqlx::query("UPDATE people SET status = 'inactive' WHERE email = 'ann@acme.test'")
        .execute(&app.pool)
        .await
        .unwrap();
    let list = ok(app.call::<GetPeople>(&acme, &form).await).await;
    assert_eq!(list["people"][0]["email"], "ann@acme.test");
    assert_eq!(list["people"][0]["active"], false);
}
