//! Live events for open pages: `GET /events`, server-sent events for the signed-in person.
//!
//! Changes are announced by PostgreSQL (`pg_notify('muster_user_events', <user id>)`, from
//! triggers), so an invitation sent through any server instance reaches a page open on any
//! other: each instance LISTENs once and fans out to its own streams.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use app::cookies::{Cookie, read_cookie};
use app::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;

pub const CHANNEL: &str = "muster_user_events";
/// Not a person: "everyone, look again" (sent after LISTEN was lost and regained, since
/// notifications sent meanwhile were missed).
pub const EVERYONE: i64 = 0;
/// The last event of a stream whose session has ended (signed out here or elsewhere).
pub const SIGNED_OUT: &str = "signed_out";

/// Runs forever: forwards every notification (a user id) to this instance's streams. A
/// dropped connection is reopened; pages missing events meanwhile fall back to polling.
pub async fn listen(pool: PgPool, events: broadcast::Sender<i64>) {
    let mut lost = false;
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => loop {
                    if std::mem::take(&mut lost) {
                        tracing::info!("events: LISTEN is back; open pages look again");
                        let _ = events.send(EVERYONE);
                    }
                    // try_recv says when the connection was lost (Ok(None)); recv would
                    // reconnect silently and hide that notifications were missed.
                    match listener.try_recv().await {
                        Ok(Some(note)) => {
                            if let Ok(user_id) = note.payload().parse::<i64>() {
                                // No receivers is fine: nobody has a page open here.
                                let _ = events.send(user_id);
                            }
                        }
                        Ok(None) => {
                            tracing::warn!("events: lost the LISTEN connection");
                            lost = true;
                            break;
                        }
                        Err(err) => {
                            tracing::warn!(%err, "events: lost the LISTEN connection");
                            lost = true;
                            break;
                        }
                    }
                },
                Err(err) => {
                    lost = true;
                    tracing::warn!(%err, "events: LISTEN failed");
                }
            },
            Err(err) => {
                lost = true;
                tracing::warn!(%err, "events: cannot connect for LISTEN");
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Who holds bell streams open on this server: a session (by the hash of its token) or
/// a person (all their sessions together).
#[derive(Clone, PartialEq, Eq, Hash)]
enum Holder {
    Session(Vec<u8>),
    Person(i64),
}

/// The bell streams open on this server, per holder.
static OPEN: std::sync::LazyLock<std::sync::Mutex<HashMap<Holder, usize>>> =
    std::sync::LazyLock::new(Default::default);

/// One stream's places (its session's and its person's), given back when it ends.
struct StreamPlace(Vec<Holder>);

impl StreamPlace {
    /// A place for one more stream, if every holder has fewer than its limit open.
    fn open(limits: Vec<(Holder, usize)>) -> Option<StreamPlace> {
        let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
        if limits
            .iter()
            .any(|(holder, max)| open.get(holder).copied().unwrap_or(0) >= *max)
        {
            return None;
        }
        for (holder, _) in &limits {
            *open.entry(holder.clone()).or_default() += 1;
        }
        Some(StreamPlace(limits.into_iter().map(|(h, _)| h).collect()))
    }
}

impl Drop for StreamPlace {
    fn drop(&mut self) {
        let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
        for holder in &self.0 {
            if let Some(count) = open.get_mut(holder) {
                *count -= 1;
                if *count == 0 {
                    open.remove(holder);
                }
            }
        }
    }
}

/// A stream of one `signed_out` event.
fn signed_out() -> Response {
    let event = Event::default().event(SIGNED_OUT).data(SIGNED_OUT);
    Sse::new(futures::stream::once(
        async move { Ok::<_, Infallible>(event) },
    ))
    .into_response()
}

/// `GET /events`: an `invitations` event whenever the person's invitations change. One
/// session keeps at most `max_streams_per_session` open on this server, one person
/// `max_streams_per_person` over all their sessions (429 past that:
/// the page then falls back to asking now and then). Without a session (a page whose
/// session ended while it loaded, or expired while it stayed open) the stream is only
/// `signed_out`: the page says so and stops, where a refusal would be logged as an error
/// in the browser and tell the page nothing.
pub async fn stream(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = read_cookie(
        &headers,
        Cookie::Session.name(state.settings.secure_cookies),
    ) else {
        return signed_out();
    };
    let user_id = match app::auth::server::service::identity(&state, &token, false, None).await {
        Ok(Some(caller)) => caller.identity.principal().id(),
        Ok(None) => return signed_out(),
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let session_hash = app::tokens::hash(&token);
    let Some(place) = StreamPlace::open(vec![
        (
            Holder::Session(session_hash),
            state.settings.max_streams_per_session,
        ),
        (
            Holder::Person(user_id),
            state.settings.max_streams_per_person,
        ),
    ]) else {
        return StatusCode::TOO_MANY_REQUESTS.into_response();
    };
    let receiver = state.user_events.subscribe();
    let open = (crate::observe::OpenStream::open(), place);
    // `None` once the session has ended and `signed_out` was sent: the stream then ends.
    let events = futures::stream::unfold(Some(receiver), move |receiver| {
        // Counted while the stream (which owns this closure) lives.
        let _open = &open;
        let state = state.clone();
        let token = token.clone();
        async move {
            let mut receiver = receiver?;
            loop {
                match receiver.recv().await {
                    Ok(id) if id == user_id || id == EVERYONE => break,
                    Ok(_) => continue,
                    // Too slow to keep up: tell the page to look again rather than miss one.
                    Err(broadcast::error::RecvError::Lagged(_)) => break,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
            // Sign-out and password resets delete sessions, which notifies this person:
            // a stream whose session has ended says so and stops, and the page stops
            // asking (a plain end would make the browser reconnect, to be refused).
            // Boxed: a stream waits on `recv` nearly all its life, and an async block is as
            // large as its largest waiting point, so the query's future, inline, would be
            // kept in every open stream.
            match Box::pin(app::auth::server::service::session_open(&state, &token)).await {
                Ok(true) => {}
                Ok(false) => {
                    let event = Event::default().event(SIGNED_OUT).data(SIGNED_OUT);
                    return Some((Ok::<_, Infallible>(event), None));
                }
                Err(_) => return None,
            }
            let event = Event::default().event("invitations").data("changed");
            Some((Ok(event), Some(receiver)))
        }
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
