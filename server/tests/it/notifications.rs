//! The notification bell: pending invitations of the signed-in person, announced live over
//! server-sent events (also across two server instances on one database), joined or
//! declined only by the person invited.

use std::time::{Duration, Instant};

use crate::common::*;
use app::error::AppError;
use app::notifications::api::{DeclineInvitation, GetNotifications, JoinOrganization};
use app::people::api::AddPerson;
use app::shell::api::GetShell;
use leptos::server_fn::ServerFn;
use sqlx::PgPool;

async fn invite(app: &TestApp, owner: &reqwest::Client, short: &str, email: &str, role: &str) {
    ok(app
        .call::<AddPerson>(
            owner,
            &[
                ("region", "eu-central-1"),
                ("short_name", short),
                ("name", "Invitee"),
                ("email", email),
                ("role", role),
                ("send_now", "on"),
            ],
        )
        .await)
    .await;
}

/// Opens `/events` for `client` and resolves when the first `invitations` event arrives.
async fn next_event(app: &TestApp, client: &reqwest::Client) -> tokio::task::JoinHandle<Instant> {
    let mut res = client.get(app.url("/events")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    tokio::spawn(async move {
        let mut seen = String::new();
        while let Some(chunk) = res.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: invitations") {
                return Instant::now();
            }
        }
        panic!("the stream ended without an event: {seen}");
    })
}

#[sqlx::test(migrations = false)]
async fn an_invitation_reaches_an_open_page_on_another_server_and_can_be_joined(pool: PgPool) {
    let a = spawn_app(pool.clone()).await;
    let b = spawn_app(pool).await;
    let acme_owner = org(&a, "Acme", "it@acme.test", &[]).await;
    // Bob owns Globex and has it open, served by the other instance.
    let bob = org(&b, "Globex", "bob@globex.test", &[]).await;
    let empty = ok(b.call::<GetNotifications>(&bob, &[]).await).await;
    assert_eq!(empty["invitations"], serde_json::json!([]));
    let event = next_event(&b, &bob).await;

    let sent = Instant::now();
    invite(&a, &acme_owner, "acme", "bob@globex.test", "EDITOR").await;
    let arrived = tokio::time::timeout(Duration::from_secs(10), event)
        .await
        .expect("the event within 10 s")
        .unwrap();
    println!("invitation to event: {:?}", arrived - sent);

    let notes = ok(b.call::<GetNotifications>(&bob, &[]).await).await;
    let list = notes["invitations"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["org_name"], "Acme");
    assert_eq!(list[0]["role"], "EDITOR");
    let id = list[0]["id"].to_string();

    let home = ok(b
        .call::<JoinOrganization>(&bob, &[("invitation_id", &id)])
        .await)
    .await;
    assert_eq!(home, "/o/eu-central-1/acme");
    let me = ok(b.call::<GetShell>(&bob, &[]).await).await;
    let orgs: Vec<&str> = me["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["short_name"].as_str().unwrap())
        .collect();
    assert_eq!(orgs, ["acme", "globex"]);
    assert_eq!(me["orgs"][0]["role"], "EDITOR");
    let (status, _) = b.get(&bob, "/o/eu-central-1/acme").await;
    assert_eq!(status, 200);
    // The bell is empty again and the same invitation cannot be used twice.
    assert_eq!(
        ok(b.call::<GetNotifications>(&bob, &[]).await).await["invitations"],
        serde_json::json!([])
    );
    let again = b
        .call::<JoinOrganization>(&bob, &[("invitation_id", &id)])
        .await;
    assert_eq!(
        again.result.unwrap_err(),
        AppError::Gone("errors.notification_gone".into())
    );
}

#[sqlx::test(migrations = false)]
async fn only_the_invited_person_sees_joins_or_declines_an_invitation(pool: PgPool) {
    let app = spawn_app(pool).await;
    let acme_owner = org(&app, "Acme", "it@acme.test", &[]).await;
    let bob = org(&app, "Globex", "bob@globex.test", &[]).await;
    let eve = org(&app, "Evil", "eve@evil.test", &[]).await;
    invite(&app, &acme_owner, "acme", "bob@globex.test", "ADMIN").await;
    let invitation = mail_with_subject(&app, "bob@globex.test", "invited you to Acme").await;
    let link = token_of(&link_in(&invitation));
    let bobs = ok(app.call::<GetNotifications>(&bob, &[]).await).await;
    let id = bobs["invitations"][0]["id"].to_string();

    // Eve sees nothing of it and cannot use its id.
    assert_eq!(
        ok(app.call::<GetNotifications>(&eve, &[]).await).await["invitations"],
        serde_json::json!([])
    );
    for reply in [
        app.call::<JoinOrganization>(&eve, &[("invitation_id", &id)])
            .await,
        app.call::<DeclineInvitation>(&eve, &[("invitation_id", &id)])
            .await,
    ] {
        assert_eq!(reply.status, 410);
    }
    assert_eq!(
        app.call::<JoinOrganization>(&new_client(), &[("invitation_id", &id)])
            .await
            .status,
        401
    );
    assert_eq!(app.count("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'eve@evil.test'").await, 1);

    // Bob declines: gone from the bell, and the emailed link says it was revoked.
    ok(app
        .call::<DeclineInvitation>(&bob, &[("invitation_id", &id)])
        .await)
    .await;
    assert_eq!(
        ok(app.call::<GetNotifications>(&bob, &[]).await).await["invitations"],
        serde_json::json!([])
    );
    let (status, html) = app
        .get(&new_client(), &format!("/invitations/accept?token={link}"))
        .await;
    assert_eq!(status, 410);
    assert!(html.contains("This invitation was withdrawn"), "{html}");
    let log = app.count("SELECT count(*) FROM audit_events WHERE action = 'invitation_declined' AND subject = 'bob@globex.test'").await;
    assert_eq!(log, 1);
}

#[sqlx::test(migrations = false)]
async fn a_signed_out_page_is_told_so_by_its_event_stream(pool: PgPool) {
    let app = spawn_app(pool).await;
    // No session, then a session that has ended: the stream is one `signed_out` event.
    let bob = org(&app, "Globex", "bob@globex.test", &[]).await;
    ok(app.call::<app::auth::api::SignOut>(&bob, &[]).await).await;
    for client in [new_client(), bob] {
        let res = client.get(app.url("/events")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body = res.text().await.unwrap();
        assert!(body.contains("event: signed_out"), "{body}");
        assert!(!body.contains("invitations"), "{body}");
    }
    // Nor does the bell's refresh fail: it answers "nobody".
    let visitor = new_client();
    assert_eq!(
        ok(app.call::<GetNotifications>(&visitor, &[]).await).await,
        serde_json::Value::Null
    );
}

/// Signing in lands on "/": the invitations waiting for an answer (each opening its
/// prompt), then the person's organizations with short name, region and role. Nobody
/// else's appear there.
#[sqlx::test(migrations = false)]
async fn the_home_page_lists_waiting_invitations_and_ones_organizations(pool: PgPool) {
    let app = spawn_app(pool).await;
    let acme_owner = org(&app, "Acme", "it@acme.test", &[]).await;
    let bob = org(&app, "Globex", "bob@globex.test", &[]).await;
    let eve = org(&app, "Evil", "eve@evil.test", &[]).await;
    invite(&app, &acme_owner, "acme", "bob@globex.test", "EDITOR").await;
    let bobs = ok(app.call::<GetNotifications>(&bob, &[]).await).await;
    let id = bobs["invitations"][0]["id"].to_string();

    let (status, home) = app.get(&bob, "/").await;
    assert_eq!(status, 200);
    assert!(home.contains("Invitations waiting for you"), "{home}");
    assert!(list(&home, "home-invitations").contains(&format!(
        "<a href=\"/notifications?invitation={id}\">Acme invited you as Editor"
    )));
    let orgs = list(&home, "home-orgs");
    assert!(orgs.contains("<a href=\"/o/eu-central-1/globex\">Globex</a>"));
    assert!(orgs.contains("globex · eu-central-1") && orgs.contains("Owner"));
    assert!(!orgs.contains("Acme"));

    ok(app
        .call::<JoinOrganization>(&bob, &[("invitation_id", &id)])
        .await)
    .await;
    let (_, home) = app.get(&bob, "/").await;
    assert!(!home.contains("home-invitations"));
    let orgs = list(&home, "home-orgs");
    assert!(orgs.contains("<a href=\"/o/eu-central-1/acme\">Acme</a>"));
    assert!(orgs.contains("acme · eu-central-1") && orgs.contains("Editor"));
    assert!(orgs.contains("<a href=\"/o/eu-central-1/globex\">Globex</a>"));

    let (_, home) = app.get(&eve, "/").await;
    assert!(list(&home, "home-orgs").contains("<a href=\"/o/eu-central-1/evil\">Evil</a>"));
    assert!(!home.contains("Acme") && !home.contains("Globex"));
}

/// The `<ul data-testid="...">` list of a page.
/// The list `testid` of a page, without the empty comments that mark where hydration
/// resumes (`<!>`), which no reader sees.
fn list(html: &str, testid: &str) -> String {
    let start = html
        .find(&format!("data-testid=\"{testid}\""))
        .unwrap_or_else(|| panic!("no {testid} in {html}"));
    let rest = &html[start..];
    rest[..rest.find("</ul>").unwrap()].replace("<!>", "")
}

/// Signed out, the notifications page asks the visitor to sign in and brings them back:
/// it never says "You're all caught up" to someone it does not know.
#[sqlx::test(migrations = false)]
async fn signed_out_the_notifications_page_asks_to_sign_in_and_comes_back(pool: PgPool) {
    let app = spawn_app(pool).await;
    let _owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let visitor = new_client();
    let (status, page) = app.get(&visitor, "/notifications").await;
    assert_eq!(status, 401);
    assert!(!page.contains("all caught up"), "{page}");
    assert!(
        page.contains("href=\"/signin?next=%2Fnotifications\""),
        "{page}"
    );

    let (status, page) = app.get(&visitor, "/signin?next=%2Fnotifications").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("name=\"next\" value=\"/notifications\""),
        "{page}"
    );
    // Signing in there (a plain form post) lands on the notifications page.
    let res = visitor
        .post(app.url(app::auth::api::SignIn::PATH))
        .header("accept", "text/html")
        .header("referer", app.url("/signin?next=%2Fnotifications"))
        .form(&[
            ("email", "olga@acme.test"),
            ("password", PASSWORD),
            ("next", "/notifications"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/notifications");
    let (status, page) = app.get(&visitor, "/notifications").await;
    assert_eq!(status, 200);
    assert!(page.contains("all caught up"), "{page}");
}

/// The bell's stream goes around the compression of pages (which would hold a large value
/// for as long as the page stays open) but not around anything else: it carries the same
/// security headers as every answer, while a page asked for compressed still arrives so.
#[sqlx::test(migrations = false)]
async fn the_bell_stream_is_guarded_as_every_page_and_pages_stay_compressed(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "owner@acme.test", &[]).await;
    let res = owner
        .get(app.url("/events"))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(res.headers().get("content-encoding").is_none());
    drop(res);
    let page = owner
        .get(app.url("/o/eu-central-1/acme/people"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-encoding"], "br");
    // Another method on the stream's path is refused as anywhere else.
    let post = owner.post(app.url("/events")).send().await.unwrap();
    assert_eq!(post.status(), 405);
}
