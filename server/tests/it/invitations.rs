//! Accepting invitations sent at activation, through HTTP against a real database and
//! SMTP sink: new people set a password, people with an account give theirs; used,
//! expired and unknown links are refused clearly.

use crate::common::*;
use app::error::AppError;
use app::invitations::api::{AcceptInvitation, GetInvitation};
use app::shell::api::GetShell;
use sqlx::PgPool;

/// Activates "Acme" owned by it@acme.test, inviting `invites` (email, role); returns
/// each invitee's link token, read from the mail they received.
async fn acme_with_invites(app: &TestApp, invites: &[(&str, &str)]) -> Vec<String> {
    org(app, "Acme", "it@acme.test", invites).await;
    let mut tokens = Vec::new();
    for (email, _) in invites {
        let mail = &mail_with_subject(app, email, "invited you").await;
        assert!(mail.text.contains("expires in 30 days"), "{}", mail.text);
        tokens.push(token_of(&link_in(mail)));
    }
    tokens
}

#[sqlx::test(migrations = false)]
async fn a_new_person_sets_a_password_and_is_signed_in_to_the_organization(pool: PgPool) {
    let app = spawn_app(pool).await;
    let tokens = acme_with_invites(&app, &[("bob@acme.test", "EDITOR")]).await;
    let bob = new_client();

    let (status, page) = app
        .get(&bob, &format!("/invitations/accept?token={}", tokens[0]))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Olivia Owner invited you to join Acme on Muster as Editor."));

    // Bad input names the fields; nothing is accepted.
    let bad = app
        .call::<AcceptInvitation>(
            &bob,
            &[("token", &tokens[0]), ("name", ""), ("password", "short")],
        )
        .await;
    assert_eq!(bad.status, 422);
    let fields: Vec<String> = field_keys(&bad.result.unwrap_err())
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(fields, vec!["name", "password"]);
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE accepted_at IS NOT NULL")
            .await,
        0
    );

    let home = ok(app
        .call::<AcceptInvitation>(
            &bob,
            &[
                ("token", &tokens[0]),
                ("name", "Bob Builder"),
                ("password", PASSWORD),
            ],
        )
        .await)
    .await;
    assert_eq!(home, "/o/eu-central-1/acme");
    let me = ok(app.call::<GetShell>(&bob, &[]).await).await;
    assert_eq!(me["principal"]["email"], "bob@acme.test");
    assert_eq!(me["orgs"][0]["short_name"], "acme");
    assert_eq!(me["orgs"][0]["role"], "EDITOR");

    // The link works once.
    let again = app
        .call::<AcceptInvitation>(
            &new_client(),
            &[
                ("token", &tokens[0]),
                ("name", "Mallory"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status, 410);
    assert_eq!(
        again.result.unwrap_err(),
        AppError::Gone("errors.invitation_used".into())
    );
    assert_eq!(app.count("SELECT count(*) FROM users").await, 2);
}

#[sqlx::test(migrations = false)]
async fn someone_with_an_account_accepts_with_its_password(pool: PgPool) {
    let app = spawn_app(pool).await;
    // Ada owns another organization already.
    let (_, status) = activate(&app, &app.client, "Other", "ada@acme.test", &[]).await;
    assert_eq!(status, "done");

    let tokens = acme_with_invites(&app, &[("ada@acme.test", "ADMIN")]).await;
    let view = ok(app
        .call::<GetInvitation>(&app.client, &[("token", &tokens[0])])
        .await)
    .await;
    assert_eq!(view["has_account"], true);

    let wrong = app
        .call::<AcceptInvitation>(
            &app.client,
            &[("token", &tokens[0]), ("password", "not the password")],
        )
        .await;
    assert_eq!(
        field_keys(&wrong.result.unwrap_err()),
        vec![("password".into(), "errors.invitation_wrong_password".into())]
    );
    ok(app
        .call::<AcceptInvitation>(
            &app.client,
            &[("token", &tokens[0]), ("password", PASSWORD)],
        )
        .await)
    .await;
    let me = ok(app.call::<GetShell>(&app.client, &[]).await).await;
    let orgs: Vec<(String, String)> = me["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["short_name"].as_str().unwrap().to_owned(),
                o["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        orgs,
        vec![
            ("acme".into(), "ADMIN".into()),
            ("other".into(), "OWNER".into())
        ]
    );
}

#[sqlx::test(migrations = false)]
async fn expired_and_unknown_invitation_links_are_refused_clearly(pool: PgPool) {
    let app = spawn_app(pool).await;
    let tokens = acme_with_invites(&app, &[("bob@acme.test", "VIEWER")]).await;
    sqlx::query("UPDATE invitations SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, page) = app
        .get(
            &app.client,
            &format!("/invitations/accept?token={}", tokens[0]),
        )
        .await;
    assert_eq!(status, 410);
    assert!(page.contains("This invitation has expired"), "{page}");
    let late = app
        .call::<AcceptInvitation>(
            &app.client,
            &[
                ("token", &tokens[0]),
                ("name", "Bob"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(late.status, 410);
    assert_eq!(
        late.result.unwrap_err(),
        AppError::Gone("errors.invitation_expired".into())
    );

    let (status, page) = app.get(&app.client, "/invitations/accept?token=nope").await;
    assert_eq!(status, 404);
    assert!(
        page.contains("This invitation link isn&#x27;t valid")
            || page.contains("This invitation link isn't valid")
    );
    assert_eq!(app.count("SELECT count(*) FROM memberships").await, 1);
}
