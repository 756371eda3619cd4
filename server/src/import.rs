//! The two requests of a people import that are not pages:
//!
//! - `POST /o/{region}/{short_name}/people/import/upload`: the file, as a plain
//!   `multipart/form-data` upload (the same with or without JavaScript). It is checked at
//!   once (the dry run) and the browser goes on to its report; a file that cannot be read
//!   goes back to the upload page, which names why.
//! - `GET /o/{region}/{short_name}/people/import/{id}/rejected.csv`: the rows the import
//!   leaves out, with the reason, in the member's language.

use std::net::SocketAddr;

use app::error::AppError;
use app::import::api::report_path;
use app::import::server::service::{self, Upload};
use app::request::locale_from_headers;
use app::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRef, Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};

use crate::member_request::{attachment, member, member_and_id, refusal, see_other};

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
    let back = format!("{}/import", app::paths::people_path(&region, &short_name));
    let asked = (region.as_str(), short_name.as_str(), id.as_str());
    let (member, id, locale) = match member_and_id(&state, &headers, peer, asked, &back).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    match service::rejected_csv(&state, &member, id, locale).await {
        Ok((file_name, body)) => {
            attachment("text/csv; charset=utf-8", &file_name, Body::from(body))
        }
        Err(err) => refusal(&err, locale, &back),
    }
}
