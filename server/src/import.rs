//! The two requests of a people import that are not pages:
//!
//! - `POST /o/{region}/{short_name}/people/import/upload`: the file, as a plain
//!   `multipart/form-data` upload (the same with or without JavaScript). It is checked at
//!   once (the dry run) and the browser goes on to its report; a file that cannot be read
//!   goes back to the upload page, which names why.
//! - `GET /o/{region}/{short_name}/people/import/{id}/rejected.csv`: the rows the import
//!   leaves out, with the reason, in the member's language.

use std::net::SocketAddr;

use app::access::Member;
use app::auth::server::service::{Seen, identity};
use app::cookies::{Cookie, read_cookie};
use app::error::AppError;
use app::i18n::Locale;
use app::import::api::report_path;
use app::import::server::service::{self, Upload};
use app::request::{client_ip_from, locale_from_headers};
use app::state::AppState;
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRef, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub const UPLOAD_PATH: &str = "/o/{region}/{short_name}/people/import/upload";

pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    Router::new()
        .route(
            UPLOAD_PATH,
            post(upload).layer(DefaultBodyLimit::max(
                app::import::file::MAX_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/o/{region}/{short_name}/people/import/{id}/rejected.csv",
            get(rejected),
        )
}

/// Whether a request is an upload of a people import (its body may be bigger).
pub fn is_upload(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/o/") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    matches!(parts.as_slice(), [_, _, "people", "import", "upload"])
}

/// The signed-in member of the organization in the address, from the session cookie.
async fn member(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
    region: &str,
    short_name: &str,
) -> Result<Member, AppError> {
    let name = Cookie::Session.name(state.settings.secure_cookies);
    let token = read_cookie(headers, name).ok_or(AppError::Unauthenticated)?;
    let seen = Seen {
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        address: Some(client_ip_from(
            peer.ip(),
            headers,
            &state.settings.trusted_proxies,
        )),
    };
    let caller = identity(state, &token, false, Some(seen))
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Member::find(&caller.identity, region, short_name)
}

fn see_other(to: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, to.to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

/// An error that is not about the file: its status and message, or sign in first.
fn refusal(err: &AppError, locale: Locale, back: &str) -> Response {
    if matches!(err, AppError::Unauthenticated) {
        return see_other(&format!("/signin?next={}", app::url::encode(back)));
    }
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let message = err.form_message(locale).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// The upload form's fields: the file and when to invite.
async fn read_form(mut form: Multipart) -> Result<Upload, AppError> {
    let (mut file, mut invite_now) = (None, true);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| AppError::field("file", "import.upload_broken"))?
    {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| AppError::field("file", "import.upload_broken"))?;
                file = Some((name, bytes.to_vec()));
            }
            Some("invite") => {
                let value = field.text().await.unwrap_or_default();
                invite_now = value != "later";
            }
            _ => {}
        }
    }
    match file {
        Some((file_name, bytes)) if !bytes.is_empty() || !file_name.is_empty() => Ok(Upload {
            file_name,
            bytes,
            invite_now,
        }),
        _ => Err(AppError::field("file", "import.no_file")),
    }
}

async fn upload(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((region, short_name)): Path<(String, String)>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let locale = locale_from_headers(&headers);
    let back = format!("{}/import", app::paths::people_path(&region, &short_name));
    let member = match member(&state, &headers, peer, &region, &short_name).await {
        Ok(member) => member,
        Err(err) => return refusal(&err, locale, &back),
    };
    let checked = match read_form(form).await {
        Ok(upload) => service::check(&state, &member, upload).await,
        Err(err) => Err(err),
    };
    match checked {
        Ok(id) => see_other(&report_path(&region, &short_name, id)),
        Err(AppError::Validation(problems)) => {
            // Back to the form, which names the problem (the file is not kept).
            let mut to = back;
            if let Some(problem) = problems.first() {
                to.push_str(&format!("?error={}", app::url::encode(&problem.key)));
                for (name, value) in &problem.args {
                    to.push_str(&format!("&{name}={}", app::url::encode(value)));
                }
            }
            see_other(&to)
        }
        Err(err) => refusal(&err, locale, &back),
    }
}

async fn rejected(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((region, short_name, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let locale = locale_from_headers(&headers);
    let back = format!("{}/import", app::paths::people_path(&region, &short_name));
    let Ok(id) = id.parse::<i64>() else {
        return refusal(&AppError::NotFound, locale, &back);
    };
    let member = match member(&state, &headers, peer, &region, &short_name).await {
        Ok(member) => member,
        Err(err) => return refusal(&err, locale, &back),
    };
    match service::rejected_csv(&state, &member, id, locale).await {
        Ok((file_name, body)) => {
            let disposition = format!(
                "attachment; filename=\"rejected.csv\"; filename*=UTF-8''{}",
                app::url::encode(&file_name)
            );
            let mut res = (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
                body,
            )
                .into_response();
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, value);
            }
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(err) => refusal(&err, locale, &back),
    }
}
