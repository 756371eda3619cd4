//! Leave and transfer: a member leaves (never the last OWNER), their keys there stop and
//! the OWNERs are told in their bell; an OWNER offers ownership, nothing changes until
//! the member accepts in their bell, and the OWNER then has the role they chose.

use reqwest::Method;
use sqlx::PgPool;

use crate::common::*;
use crate::rest_api::create_key;
use app::error::AppError;
use app::notifications::api::{DismissNote, GetNotifications};
use app::orgs::api::{AnswerOwnership, LeaveOrganization, OfferOwnership};
use app::shell::api::GetShell;

const ACME: [(&str, &str); 2] = [("region", "eu-central-1"), ("short_name", "acme")];

async fn bell(app: &TestApp, c: &reqwest::Client) -> serde_json::Value {
    ok(app.call::<GetNotifications>(c, &[]).await).await
}

async fn role_of(app: &TestApp, email: &str) -> Option<String> {
    sqlx::query_scalar("SELECT role FROM people WHERE email = $1")
        .bind(email)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
}

async fn leave(app: &TestApp, c: &reqwest::Client, confirm: bool) -> Reply<serde_json::Value> {
    let mut form = ACME.to_vec();
    if confirm {
        form.push(("confirm", "on"));
    }
    app.call::<LeaveOrganization>(c, &form).await
}

#[sqlx::test(migrations = false)]
async fn a_member_leaves_their_keys_stop_and_the_owners_are_told(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(
        &app,
        "Acme",
        "olga@acme.test",
        &[("ada@acme.test", "ADMIN")],
    )
    .await;
    let ada = accept(&app, "ada@acme.test").await;
    let key = create_key(&app, &ada, "ada's robot", "EDITOR")
        .await
        .unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = rest(&app, Some(&key), Method::GET, "/api/v1/members", None).await;
    assert_eq!(status, 200);

    let unconfirmed = leave(&app, &ada, false).await;
    assert_eq!(
        field_keys(&unconfirmed.result.unwrap_err()),
        [("confirm".into(), "errors.leave_confirm_required".into())]
    );
    assert_eq!(ok(leave(&app, &ada, true).await).await, "/");
    assert_eq!(
        app.call::<app::people::api::GetPeople>(&ada, &ACME)
            .await
            .status,
        404,
        "no longer a member"
    );
    assert_eq!(
        role_of(&app, "ada@acme.test").await,
        None,
        "gone from the directory"
    );
    let (status, _) = rest(&app, Some(&key), Method::GET, "/api/v1/members", None).await;
    assert_eq!(status, 401, "her key here stopped");

    let notes = bell(&app, &owner).await["notes"].clone();
    assert_eq!(notes[0]["kind"], "MemberLeft", "{notes}");
    assert_eq!(notes[0]["who"], "Vic Viewer");
    assert!(
        audit_actions(&app, &owner)
            .await
            .contains(&"member_left".to_owned())
    );
    // Dismissed, it leaves the bell.
    let id = notes[0]["id"].to_string();
    ok(app.call::<DismissNote>(&owner, &[("note_id", &id)]).await).await;
    assert_eq!(bell(&app, &owner).await["notes"], serde_json::json!([]));
    let again = app.call::<DismissNote>(&owner, &[("note_id", &id)]).await;
    assert_eq!(again.status, 410);

    // The last OWNER cannot leave.
    let last = leave(&app, &owner, true).await;
    assert_eq!(
        last.result.unwrap_err(),
        AppError::Conflict("errors.last_owner_cannot_leave".into())
    );
}

async fn offer(
    app: &TestApp,
    c: &reqwest::Client,
    to: &str,
    role_after: &str,
) -> Reply<serde_json::Value> {
    let mut form = ACME.to_vec();
    form.extend([("to", to), ("role_after", role_after)]);
    app.call::<OfferOwnership>(c, &form).await
}

async fn answer(
    app: &TestApp,
    c: &reqwest::Client,
    id: &str,
    yes: bool,
) -> Reply<serde_json::Value> {
    let accept = if yes { "yes" } else { "no" };
    app.call::<AnswerOwnership>(c, &[("offer_id", id), ("accept", accept)])
        .await
}

#[sqlx::test(migrations = false)]
async fn ownership_changes_hands_only_when_the_new_owner_accepts_in_their_bell(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(
        &app,
        "Acme",
        "olga@acme.test",
        &[("ed@acme.test", "EDITOR"), ("vi@acme.test", "VIEWER")],
    )
    .await;
    let ed = accept(&app, "ed@acme.test").await;
    let vi = accept(&app, "vi@acme.test").await;
    let page = people(&app, &owner, "acme").await;
    let ed_id = row(&page, "ed@acme.test")["id"].to_string();
    let vi_id = row(&page, "vi@acme.test")["id"].to_string();
    let olga_id = row(&page, "olga@acme.test")["id"].to_string();

    assert_eq!(
        offer(&app, &vi, &ed_id, "VIEWER").await.status,
        403,
        "only an OWNER offers"
    );
    let to_self = offer(&app, &owner, &olga_id, "ADMIN").await;
    assert_eq!(field_keys(&to_self.result.unwrap_err())[0].0, "to");
    ok(offer(&app, &owner, &ed_id, "ADMIN").await).await;
    let second = offer(&app, &owner, &vi_id, "ADMIN").await;
    assert_eq!(
        second.result.unwrap_err(),
        AppError::Conflict("errors.transfer_open".into())
    );
    assert_eq!(
        role_of(&app, "ed@acme.test").await.as_deref(),
        Some("EDITOR"),
        "nothing changes yet"
    );
    assert_eq!(
        role_of(&app, "olga@acme.test").await.as_deref(),
        Some("OWNER")
    );
    let settings = ok(app
        .call::<app::orgs::api::GetOrgSettings>(&owner, &ACME)
        .await)
    .await;
    assert_eq!(settings["transfer"]["pending"], "Vic Viewer");

    let offers = bell(&app, &ed).await["offers"].clone();
    assert_eq!(offers[0]["from"], "Olivia Owner", "{offers}");
    assert_eq!(offers[0]["role_after"], "ADMIN");
    let id = offers[0]["id"].to_string();
    // Not Vi's to answer.
    assert_eq!(answer(&app, &vi, &id, true).await.status, 410);
    assert_eq!(
        ok(answer(&app, &ed, &id, true).await).await,
        "/o/eu-central-1/acme"
    );
    assert_eq!(
        role_of(&app, "ed@acme.test").await.as_deref(),
        Some("OWNER")
    );
    assert_eq!(
        role_of(&app, "olga@acme.test").await.as_deref(),
        Some("ADMIN"),
        "the role she chose"
    );
    assert_eq!(
        answer(&app, &ed, &id, true).await.status,
        410,
        "answered once"
    );
    let notes = bell(&app, &owner).await["notes"].clone();
    assert_eq!(notes[0]["kind"], "OwnershipAccepted", "{notes}");
    assert!(
        audit_actions(&app, &ed)
            .await
            .contains(&"ownership_transferred".to_owned())
    );

    // Declined: nothing changes, and the offering OWNER is told.
    ok(offer(&app, &ed, &vi_id, "OWNER").await).await;
    let id = bell(&app, &vi).await["offers"][0]["id"].to_string();
    assert_eq!(
        ok(answer(&app, &vi, &id, false).await).await,
        "/notifications"
    );
    assert_eq!(
        role_of(&app, "vi@acme.test").await.as_deref(),
        Some("VIEWER")
    );
    assert_eq!(
        bell(&app, &ed).await["notes"][0]["kind"],
        "OwnershipDeclined"
    );

    // An offer whose OWNER is no longer one is gone when accepted.
    ok(offer(&app, &ed, &vi_id, "ADMIN").await).await;
    let id = bell(&app, &vi).await["offers"][0]["id"].to_string();
    sqlx::query("UPDATE people SET role = 'ADMIN' WHERE email = 'ed@acme.test'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        answer(&app, &vi, &id, true).await.result.unwrap_err(),
        AppError::Gone("errors.offer_gone".into())
    );
    assert_eq!(
        role_of(&app, "vi@acme.test").await.as_deref(),
        Some("VIEWER")
    );
}

/// Outside organizations, the switcher names the organization the browser used last
/// (the cookie its page script writes), and only one the person is a member of.
#[sqlx::test(migrations = false)]
async fn the_switcher_remembers_the_last_organization_used(pool: PgPool) {
    let app = spawn_app(pool).await;
    org(&app, "Acme", "olga@acme.test", &[]).await;
    org(&app, "Globex", "gus@globex.test", &[]).await;
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let olga = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    sign_in_to(&app, &olga, "olga@acme.test", PASSWORD).await;
    let site: reqwest::Url = app.url("/").parse().unwrap();
    let last = |value: &str| {
        jar.add_cookie_str(&format!("muster_last_org={value}; Path=/"), &site);
        let (app, olga) = (&app, &olga);
        async move { ok(app.call::<GetShell>(olga, &[]).await).await["last_org"].clone() }
    };
    assert_eq!(last("eu-central-1/acme").await, "/o/eu-central-1/acme");
    assert_eq!(
        last("eu-central-1/globex").await,
        serde_json::Value::Null,
        "not hers"
    );
    assert_eq!(last("nonsense").await, serde_json::Value::Null);
}
