//! What an operator sees of a running server: a request id on every answer and log line,
//! one access log line per request, Prometheus metrics, and readiness.
//!
//! Metrics (all names start with `muster_`):
//! - `http_requests_total{method,route,status}`, `http_request_duration_seconds{method,route}`;
//! - `db_pool_connections{state=idle|in_use}`, `db_pool_max_connections`;
//! - `mail_pending`, `mail_oldest_pending_seconds`, `mail_failed` (the outbox, all instances),
//!   `mail_sent_total`, `mail_send_failures_total{kind=transient|permanent}` (this instance);
//! - `activation_seconds` (Activate Now → ready), `activations_running`,
//!   `activation_oldest_running_seconds`;
//! - `invite_all_seconds` ("Yes" → every invitation written), `invite_all_open`,
//!   `invite_all_oldest_open_seconds`;
//! - `bell_streams` (open on this instance);
//! - `throttle_refusals_total{kind=password|mail}`;
//! - `housekeeping_deleted_rows_total{table}`.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sqlx::PgPool;
use tracing::Instrument;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Latency buckets, in seconds: pages answer in milliseconds, activations in seconds.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process's metrics recorder, installed on first use (one per process, however
/// many servers a test starts in it).
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
            .expect("the buckets are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder already installed (never in Muster): metrics stay empty.
        let _ = metrics::set_global_recorder(recorder);
        // Histograms and summaries are only as old as the last few minutes.
        let upkeep = handle.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                    upkeep.run_upkeep();
                }
            });
        }
        handle
    })
}

pub use app::request::RequestId;

/// The route a request matched (its pattern, never the raw path: bounded label values),
/// set on the response by [`name_route`], or by the page cache for a page it answered.
#[derive(Clone)]
pub struct Route(pub String);

/// Inside the router: remembers which route matched, for [`track`] outside it.
pub async fn name_route(request: Request, next: Next) -> Response {
    let matched = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let route = match matched.as_deref() {
        // Server functions share one route; their own path names them (a fixed set:
        // unknown names are answered 404 and counted together).
        Some("/api/{*fn_name}") if response.status() != StatusCode::NOT_FOUND => path,
        Some(route) => route.to_owned(),
        None => "other".to_owned(),
    };
    response.extensions_mut().insert(Route(route));
    response
}

/// Outermost: gives the request its id and span, counts and times it, logs it.
pub async fn track(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = app::tokens::short_id();
    request.extensions_mut().insert(RequestId(id.clone()));
    let method = request.method().clone();
    let span =
        tracing::info_span!("request", id = %id, method = %method, path = %request.uri().path());
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let route = response
        .extensions()
        .get::<Route>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| "static".to_owned());
    let status = response.status().as_u16();
    let labels = [("method", method.to_string()), ("route", route.clone())];
    metrics::histogram!("muster_http_request_duration_seconds", &labels)
        .record(elapsed.as_secs_f64());
    let mut counted = labels.to_vec();
    counted.push(("status", status.to_string()));
    metrics::counter!("muster_http_requests_total", &counted).increment(1);
    span.in_scope(|| {
        tracing::info!(
            status,
            route,
            ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        )
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// Who may read `/metrics` on the main listener: nobody (it is on its own listener or
/// off), or whoever sends `Authorization: Bearer <token>`.
#[derive(Clone)]
pub struct MetricsAccess {
    pub token: Option<String>,
    pub pool: PgPool,
    pub pool_max: u32,
}

/// `GET /metrics` on the main listener.
pub async fn metrics_with_token(
    State(access): State<MetricsAccess>,
    headers: axum::http::HeaderMap,
) -> Response {
    let Some(token) = &access.token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !app::tokens::same_secret(given, token) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "metrics need Authorization: Bearer <MUSTER_METRICS_TOKEN>\n",
        )
            .into_response();
    }
    exposition(&access).await
}

/// `GET /metrics` on the metrics listener (`MUSTER_METRICS_ADDR`): no token, keep it private.
pub async fn metrics_open(State(access): State<MetricsAccess>) -> Response {
    exposition(&access).await
}

async fn exposition(access: &MetricsAccess) -> Response {
    let pool = &access.pool;
    let idle = pool.num_idle() as f64;
    metrics::gauge!("muster_db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("muster_db_pool_connections", "state" => "in_use")
        .set(pool.size() as f64 - idle);
    metrics::gauge!("muster_db_pool_max_connections").set(access.pool_max as f64);
    match app::ops::backlog(pool).await {
        Ok(b) => {
            metrics::gauge!("muster_mail_pending").set(b.mail_pending as f64);
            metrics::gauge!("muster_mail_oldest_pending_seconds").set(b.mail_oldest_seconds);
            metrics::gauge!("muster_mail_failed").set(b.mail_failed as f64);
            metrics::gauge!("muster_activations_running").set(b.activations_running as f64);
            metrics::gauge!("muster_activation_oldest_running_seconds")
                .set(b.activation_oldest_seconds);
            metrics::gauge!("muster_invite_all_open").set(b.invite_all_open as f64);
            metrics::gauge!("muster_invite_all_oldest_open_seconds")
                .set(b.invite_all_oldest_seconds);
            metrics::gauge!("muster_database_up").set(1.0);
        }
        Err(err) => {
            tracing::warn!(%err, "metrics: cannot read the backlog");
            metrics::gauge!("muster_database_up").set(0.0);
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        recorder().render(),
    )
        .into_response()
}

/// `GET /readyz`: 200 when the database answers and has every migration this build
/// knows; 503 saying which is not so. (`/healthz` says only that the process serves.)
pub async fn readyz(State(access): State<MetricsAccess>) -> Response {
    let needed = crate::MIGRATOR.iter().map(|m| m.version).max();
    match app::ops::applied_migration(&access.pool).await {
        Ok(applied) if applied >= needed => (StatusCode::OK, "ready\n").into_response(),
        Ok(applied) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "not ready: the database has migration {} of {}\n",
                applied.unwrap_or(0),
                needed.unwrap_or(0)
            ),
        )
            .into_response(),
        Err(err) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: the database does not answer ({err})\n"),
        )
            .into_response(),
    }
}

/// Counts one open bell stream for as long as it lives.
pub struct OpenStream;

impl OpenStream {
    pub fn open() -> OpenStream {
        metrics::gauge!("muster_bell_streams").increment(1.0);
        OpenStream
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        metrics::gauge!("muster_bell_streams").decrement(1.0);
    }
}
