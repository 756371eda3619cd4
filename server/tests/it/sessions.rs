//! Sessions a person can see and end, and the idle timeout.

use std::time::Duration;

use crate::common::*;
use app::auth::api::SignIn;
use app::sessions::api::{EndOtherSessions, EndSession, GetSessions};
use sqlx::PgPool;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

fn browser(user_agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent)
        .build()
        .unwrap()
}

async fn sign_in_as(app: &TestApp, c: &reqwest::Client, email: &str, password: &str) -> u16 {
    app.call::<SignIn>(c, &[("email", email), ("password", password)])
        .await
        .status
}

/// The list as `c` sees it, once its own session's browser has been recorded.
async fn sessions_of(app: &TestApp, c: &reqwest::Client, count: usize) -> serde_json::Value {
    for _ in 0..100 {
        let list = ok(app.call::<GetSessions>(c, &[]).await).await;
        let rows = list.as_array().unwrap();
        if rows.len() == count
            && rows
                .iter()
                .any(|s| s["current"] == true && s["browser"] != "")
        {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{count} sessions with their browsers never showed");
}

#[sqlx::test(migrations = false)]
async fn a_person_sees_their_sessions_and_signs_one_out(pool: PgPool) {
    let app = spawn_app(pool).await;
    verified_user(&app, "ann@example.com").await;
    verified_user(&app, "bob@example.com").await;
    let laptop = browser(FIREFOX);
    let office = browser(CHROME);
    for c in [&laptop, &office] {
        assert_eq!(sign_in_as(&app, c, "ann@example.com", PASSWORD).await, 200);
        ok(app.call::<GetSessions>(c, &[]).await).await;
    }
    let bobs = browser(CHROME);
    assert_eq!(
        sign_in_as(&app, &bobs, "bob@example.com", PASSWORD).await,
        200
    );
    ok(app.call::<GetSessions>(&bobs, &[]).await).await;

    sessions_of(&app, &office, 2).await;
    let list = sessions_of(&app, &laptop, 2).await;
    let rows = list.as_array().unwrap();
    let mine = rows.iter().find(|s| s["current"] == true).unwrap();
    let other = rows.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(mine["browser"], "Firefox on Linux");
    assert_eq!(other["browser"], "Chrome on Windows");
    assert_eq!(other["address"], "127.0.0.1");
    // The page shows them, without JavaScript.
    let (status, page) = app.get(&laptop, "/account/sessions").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Chrome on Windows") && page.contains("This browser"),
        "{page}"
    );

    // Bob's session is not Ann's to end: "not found", and it stays.
    // (Bob also has the session his address confirmation opened, in a client that names
    // no browser.)
    let bob_list = sessions_of(&app, &bobs, 2).await;
    let bob_id = bob_list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .to_string();
    let refused = app
        .call::<EndSession>(&laptop, &[("session_id", &bob_id)])
        .await;
    assert_eq!(refused.status, 404);
    ok(app.call::<GetSessions>(&bobs, &[]).await).await;

    // Ann signs the office browser out from her laptop.
    let id = other["id"].to_string();
    ok(app
        .call::<EndSession>(&laptop, &[("session_id", &id)])
        .await)
    .await;
    assert_eq!(app.call::<GetSessions>(&office, &[]).await.status, 401);
    assert_eq!(sessions_of(&app, &laptop, 1).await[0]["current"], true);
}

#[sqlx::test(migrations = false)]
async fn signing_out_everywhere_else_ends_other_sessions_and_their_known_devices(pool: PgPool) {
    let app = spawn_app(pool).await;
    verified_user(&app, "ann@example.com").await;
    let laptop = browser(FIREFOX);
    let stolen = browser(CHROME);
    for c in [&laptop, &stolen] {
        assert_eq!(sign_in_as(&app, c, "ann@example.com", PASSWORD).await, 200);
    }
    ok(app.call::<EndOtherSessions>(&laptop, &[]).await).await;
    assert_eq!(app.call::<GetSessions>(&stolen, &[]).await.status, 401);
    ok(app.call::<GetSessions>(&laptop, &[]).await).await;
    // Guesses from elsewhere lock new browsers out; the other browser is no longer
    // known, so it is locked out too, while the laptop (given a new cookie) is not.
    for i in 0..6 {
        sign_in_as(
            &app,
            &new_client(),
            "ann@example.com",
            &format!("guess {i}"),
        )
        .await;
    }
    assert_eq!(
        sign_in_as(&app, &stolen, "ann@example.com", "guess again").await,
        429
    );
    assert_eq!(
        sign_in_as(&app, &laptop, "ann@example.com", PASSWORD).await,
        200
    );
}

#[sqlx::test(migrations = false)]
async fn a_session_unused_for_the_idle_timeout_ends(pool: PgPool) {
    let app = spawn_app_with(
        pool,
        Options {
            extra_args: vec!["--session-idle-minutes".into(), "60".into()],
            ..Default::default()
        },
    )
    .await;
    verified_user(&app, "ann@example.com").await;
    let idle = browser(FIREFOX);
    let busy = browser(CHROME);
    for c in [&idle, &busy] {
        assert_eq!(sign_in_as(&app, c, "ann@example.com", PASSWORD).await, 200);
    }
    sessions_of(&app, &idle, 3).await;
    sessions_of(&app, &busy, 3).await;
    // An hour and more without use ends one; 50 minutes do not end the other, and its
    // use is recorded again.
    sqlx::query(
        "UPDATE sessions SET last_seen_at = now() - CASE WHEN user_agent LIKE '%Firefox%'
             THEN interval '61 minutes' ELSE interval '50 minutes' END",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    assert_eq!(app.call::<GetSessions>(&idle, &[]).await.status, 401);
    ok(app.call::<GetSessions>(&busy, &[]).await).await;
    let mut recent = 0;
    for _ in 0..100 {
        recent = app
            .count("SELECT count(*) FROM sessions WHERE last_seen_at > now() - interval '1 minute'")
            .await;
        if recent == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(recent, 1, "the busy session's use is recorded");
    // The absolute limit is configurable too: the cookie says how long it may last.
    let set = app
        .call::<SignIn>(
            &new_client(),
            &[("email", "ann@example.com"), ("password", PASSWORD)],
        )
        .await
        .set_cookies;
    assert!(
        set.iter()
            .any(|c| c.starts_with("muster_session=") && c.contains("Max-Age=2592000")),
        "{set:?}"
    );
}
