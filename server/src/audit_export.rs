//! `GET /o/{region}/{short_name}/people/audit/exports/{id}`: a finished export of the
//! audit log, streamed a part at a time (an export of millions of entries is never held
//! in memory whole), for those who may read the audit log.

use std::net::SocketAddr;

use app::audit::server::export;
use app::audit::types::ExportFormat;
use app::state::AppState;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRef, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use futures::StreamExt;

use crate::member_request::{attachment, member_and_id, refusal};

pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    Router::new().route(
        "/o/{region}/{short_name}/people/audit/exports/{id}",
        get(download),
    )
}

async fn download(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((region, short_name, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let back = format!(
        "{}/people/audit",
        app::paths::org_home(&region, &short_name)
    );
    let asked = (region.as_str(), short_name.as_str(), id.as_str());
    let (member, id, locale) = match member_and_id(&state, &headers, peer, asked, &back).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let (format, name) = match export::download(&state, &member, id).await {
        Ok(found) => found,
        Err(err) => return refusal(&err, locale, &back),
    };
    let org_id = member.org_id;
    // Fused: the compression layer may ask again after the end.
    let parts = futures::stream::unfold(Some(0), move |next| {
        let state = state.clone();
        async move {
            let n = next?;
            match export::part(&state, org_id, id, n).await {
                Ok(Some(data)) => Some((Ok(Bytes::from(data)), Some(n + 1))),
                Ok(None) => None,
                Err(_) => Some((
                    Err(std::io::Error::other("reading the export failed")),
                    None,
                )),
            }
        }
    })
    .fuse();
    let content_type = match format {
        ExportFormat::Csv => "text/csv; charset=utf-8",
        ExportFormat::JsonLines => "application/x-ndjson",
    };
    attachment(content_type, &name, Body::from_stream(parts))
}
