//! What a REST request brings: the key's member (`Caller`), a JSON body, a path id.

use app::access::Member;
use app::api_keys::server::service as api_keys;
use app::error::AppError;
use app::i18n::Locale;
use app::request::locale_from_headers;
use app::state::AppState;
use axum::Json;
use axum::extract::{FromRef, FromRequestParts, Path};
use axum::http::{StatusCode, header, request::Parts};
use serde::Serialize;

use super::problem::Problem;

/// The organization member a request's API key acts as, and the caller's language.
pub(super) struct Caller {
    pub(super) member: Member,
    pub(super) locale: Locale,
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let locale = locale_from_headers(&parts.headers);
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match api_keys::authenticate(&app, key, app::api_keys::types::KeyPurpose::Rest).await {
            Ok(member) => Ok(Caller { member, locale }),
            Err(err) => Err(Problem::new(&err, locale)),
        }
    }
}

pub(super) type ApiResult<T> = Result<T, Problem>;

/// Maps a service result to JSON, or its error to a problem in the caller's language.
pub(super) fn reply<T: Serialize>(
    caller: &Caller,
    result: Result<T, AppError>,
) -> ApiResult<Json<T>> {
    result
        .map(Json)
        .map_err(|err| Problem::new(&err, caller.locale))
}

/// A page of a list: the rows as a JSON array, and a `Link` header to the next page.
pub(super) struct Paged<T>(Json<Vec<T>>, Option<String>);

impl<T: Serialize> axum::response::IntoResponse for Paged<T> {
    fn into_response(self) -> axum::response::Response {
        let mut response = self.0.into_response();
        if let Some(next) = self.1
            && let Ok(value) = axum::http::HeaderValue::from_str(&format!("<{next}>; rel=\"next\""))
        {
            response
                .headers_mut()
                .insert(axum::http::header::LINK, value);
        }
        response
    }
}

/// A page's answer: its rows, and the address of the next page (`path` with the same
/// `filters` and the page's cursor) when there is one.
pub(super) fn paged<T: Serialize>(
    state: &AppState,
    caller: &Caller,
    path: &str,
    filters: &[(&str, &Option<String>)],
    page: Result<app::paging::Page<T>, AppError>,
) -> Result<Paged<T>, Problem> {
    let page = page.map_err(|err| Problem::new(&err, caller.locale))?;
    let next = page.next.map(|cursor| {
        let mut query: Vec<String> = filters
            .iter()
            .filter_map(|(name, value)| {
                value
                    .as_deref()
                    .map(|v| format!("{name}={}", app::url::encode(v)))
            })
            .collect();
        query.push(format!("cursor={}", app::url::encode(&cursor)));
        state.settings.link(&format!("{path}?{}", query.join("&")))
    });
    Ok(Paged(Json(page.rows), next))
}

/// A JSON body, or a 400 problem saying what is wrong with it.
pub(super) struct Body<T>(pub(super) T);

impl<S, T> axum::extract::FromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Problem> {
        let locale = locale_from_headers(req.headers());
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(Problem::malformed(
                StatusCode::BAD_REQUEST,
                locale,
                "errors.api_bad_body",
                &rejection.body_text(),
            )),
        }
    }
}

/// A request's query parameters, or a 400 problem saying what is wrong with them.
pub(super) struct Params<T>(pub(super) T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let locale = locale_from_headers(&parts.headers);
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Params(value)),
            Err(rejection) => Err(Problem::malformed(
                StatusCode::BAD_REQUEST,
                locale,
                "errors.api_bad_query",
                &rejection.body_text(),
            )),
        }
    }
}

/// The `{id}` of a path, or a 400 problem when it is not a whole number in range.
pub(super) struct Id(pub(super) i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let locale = locale_from_headers(&parts.headers);
        match Path::<i64>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(Id(id)),
            Err(rejection) => Err(Problem::malformed(
                StatusCode::BAD_REQUEST,
                locale,
                "errors.api_bad_id",
                &rejection.body_text(),
            )),
        }
    }
}
