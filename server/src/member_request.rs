//! A member of an organization behind a plain request (a file uploaded or downloaded
//! outside the server functions): who they are from the session cookie, how a refusal
//! looks to a browser, and a file as a download.

use std::net::SocketAddr;

use app::access::Member;
use app::auth::server::service::{Seen, identity};
use app::cookies::{Cookie, read_cookie};
use app::error::AppError;
use app::i18n::Locale;
use app::request::{client_ip_from, locale_from_headers};
use app::state::AppState;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The signed-in member of the organization in the address, from the session cookie.
pub async fn member(
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

pub fn see_other(to: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, to.to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

/// A refusal as a browser shows it: its status and message, or sign in first.
pub fn refusal(err: &AppError, locale: Locale, back: &str) -> Response {
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

/// The member asking for something numbered (`id`, from the address) of the
/// organization in the address, with their language; or the answer refusing them
/// (`back`: where a visitor returns after signing in).
pub async fn member_and_id(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
    (region, short_name, id): (&str, &str, &str),
    back: &str,
) -> Result<(Member, i64, Locale), Response> {
    let locale = locale_from_headers(headers);
    let Ok(id) = id.parse::<i64>() else {
        return Err(refusal(&AppError::NotFound, locale, back));
    };
    match member(state, headers, peer, region, short_name).await {
        Ok(member) => Ok((member, id, locale)),
        Err(err) => Err(refusal(&err, locale, back)),
    }
}

/// A file to download as `file_name`, never kept by a cache.
pub fn attachment(content_type: &'static str, file_name: &str, body: Body) -> Response {
    let mut res = (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response();
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        file_name.replace(
            |c: char| !c.is_ascii_alphanumeric() && !".-_".contains(c),
            "_"
        ),
        app::url::encode(file_name)
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
