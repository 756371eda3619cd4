//! Muster's server: configuration, start-up wiring, the mail worker and the development
//! mailbox. Features (pages, server functions, SQL) live in the `app` crate.

pub mod audit_export;
pub mod config;
pub mod dns_page;
pub mod dns_zone;
pub mod events;
pub mod guard;
pub mod import;
pub mod mailbox_page;
pub mod mailsink;
pub mod member_request;
pub mod observe;
pub mod outbox;
pub mod page_cache;
pub mod rest;
pub mod scim;
pub mod smtp;
pub mod sso;

use std::net::SocketAddr;
use std::sync::Arc;

use app::state::{AppState, Settings};
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::{Request, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

use crate::config::{Config, Mode};
use crate::mailsink::Mailbox;
use crate::outbox::Mailer;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("cannot connect to the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot apply database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Mailer(#[from] outbox::MailerError),
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub async fn connect(config: &Config) -> Result<PgPool, StartError> {
    let pool = PgPoolOptions::new()
        .max_connections(config.database_pool_size)
        // While the database restarts, answer 503 within seconds rather than hang.
        .acquire_timeout(std::time::Duration::from_secs(5))
        // sqlx already tests every connection when it goes back to the pool (a Sync round
        // trip); testing it again on the way out doubled the round trips of every query.
        .test_before_acquire(false)
        .connect(&config.database_url)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Router state: the app's state plus the development mailbox, when there is one.
#[derive(Clone, FromRef)]
struct ServerState {
    app: AppState,
    mailbox: Mailbox,
    /// The development DNS zone (`/dev/dns`), when there is one.
    dns: dns_zone::Zone,
    leptos_options: LeptosOptions,
    metrics: observe::MetricsAccess,
}

/// A started server.
pub struct Running {
    pub addr: SocketAddr,
    pub base_url: String,
    /// The built-in mailbox (development mode without SMTP_URL).
    pub dev_mailbox: Option<Mailbox>,
    /// The built-in DNS zone (development mode without MUSTER_DNS_SERVER).
    pub dev_dns: Option<dns_zone::Zone>,
    /// Where /metrics is served without a token (`MUSTER_METRICS_ADDR`).
    pub metrics_addr: Option<SocketAddr>,
    pub state: AppState,
    /// Finishes when the server has shut down (after Ctrl-C or SIGTERM).
    pub server: tokio::task::JoinHandle<()>,
}

/// Wires everything and serves on `listener` in the background.
pub async fn launch(
    config: &Config,
    leptos_options: LeptosOptions,
    pool: PgPool,
    listener: TcpListener,
) -> Result<Running, StartError> {
    let addr = listener.local_addr()?;
    let base_url = config.validate(addr)?;
    observe::recorder();
    let dev_mode = config.mode == Mode::Development;

    let (mailer, dev_mailbox) = match &config.smtp_url {
        Some(url) => (
            Mailer::from_url(url, &config.mail_from, config.smtp_connections)?,
            None,
        ),
        None => {
            let (sink_addr, mailbox) = mailsink::start("127.0.0.1:0").await?;
            tracing::info!(%sink_addr, "development mailbox: mail is shown at {base_url}/dev/mailbox");
            (
                Mailer::from_url(
                    &format!("smtp://{sink_addr}"),
                    &config.mail_from,
                    config.smtp_connections,
                )?,
                Some(mailbox),
            )
        }
    };

    // Development without MUSTER_DNS_SERVER: domains are verified against a zone of the
    // server's own, whose records a developer publishes at /dev/dns.
    let (dns_server, dev_dns) = match (config.dns_server, dev_mode) {
        (Some(server), _) => (Some(server), None),
        (None, true) => {
            let (server, zone) = dns_zone::start("127.0.0.1:0").await?;
            (Some(server), Some(zone))
        }
        (None, false) => (None, None),
    };

    let state = AppState {
        leptos_options: leptos_options.clone(),
        pool: pool.clone(),
        settings: Arc::new(Settings {
            secure_cookies: base_url.starts_with("https://"),
            base_url: base_url.clone(),
            dev_mode: dev_mode && dev_mailbox.is_some(),
            argon2_memory_kib: config.argon2_memory_kib,
            max_failures_per_account: config.max_failures_per_account,
            max_failures_per_address: config.max_failures_per_address,
            throttle_window_minutes: config.throttle_window_minutes,
            max_mails_per_recipient: config.max_mails_per_recipient,
            max_mails_per_client: config.max_mails_per_client,
            max_failures_per_known_devices: config.max_failures_per_known_devices,
            max_invitations_per_recipient: config.max_invitations_per_recipient,
            max_streams_per_session: config.max_streams_per_session.max(1),
            max_streams_per_person: config.max_streams_per_person.max(1),
            session_days: config.session_days.clamp(1, 3650),
            session_idle_minutes: config.session_idle_minutes.max(1),
            trusted_proxies: config.trusted_proxies.clone(),
            activation_retry_base_ms: config.activation_retry_ms,
            activation_max_attempts: config.activation_max_attempts.max(1),
            activation_fault: config
                .fail_activation_step
                .clone()
                .map(|(step, times)| (step, Arc::new(std::sync::atomic::AtomicI32::new(times)))),
            invite_daily_quota: config.invite_daily_quota,
            dns_server,
            sso_allowed_hosts: config.sso_allowed_hosts.clone().unwrap_or_else(|| {
                if dev_mode {
                    vec!["127.0.0.1".into(), "localhost".into(), "[::1]".into()]
                } else {
                    Vec::new()
                }
            }),
            sso_new_accounts_per_hour: config.sso_new_accounts_per_hour.max(1),
            secret_key: app::state::SecretKey(match &config.secret_key {
                Some(key) => key.as_bytes().to_vec(),
                None => {
                    tracing::warn!(
                        "MUSTER_SECRET_KEY is not set: self-join links change when the server restarts"
                    );
                    app::tokens::generate().plain.into_bytes()
                }
            }),
        }),
        outbox_wakeup: Arc::new(Notify::new()),
        jobs_wakeup: Arc::new(Notify::new()),
        batches_wakeup: Arc::new(Notify::new()),
        imports_wakeup: Arc::new(Notify::new()),
        exports_wakeup: Arc::new(Notify::new()),
        user_events: tokio::sync::broadcast::channel(1024).0,
        hashing: Arc::new(app::state::HashingQueue::new(
            config.password_hash_concurrency,
            config.password_hash_queue,
        )),
    };

    tokio::spawn(outbox::run(
        pool.clone(),
        mailer,
        state.outbox_wakeup.clone(),
        state.settings.secret_key.clone(),
        outbox::Retry {
            give_up_after: std::time::Duration::from_secs(
                config.outbox_give_up_hours.max(0) as u64 * 3600,
            ),
        },
    ));
    tokio::spawn(app::invite_all::server::worker::worker(state.clone()));
    tokio::spawn(app::import::server::worker::worker(state.clone()));
    tokio::spawn(app::audit::server::export::worker(state.clone()));
    tokio::spawn(events::listen(pool.clone(), state.user_events.clone()));
    tokio::spawn(app::housekeeping::run(
        pool.clone(),
        app::housekeeping::Policy {
            throttle_window_minutes: config.throttle_window_minutes,
            mail_days: config.sent_mail_days,
            unconfirmed_account_days: config.unconfirmed_account_days,
        },
        std::time::Duration::from_secs(config.housekeeping_interval_seconds.max(1)),
    ));
    tokio::spawn(app::invitations::server::reminders::run(
        state.clone(),
        std::time::Duration::from_secs(config.reminder_interval_seconds.max(1)),
    ));
    tokio::spawn(app::domains::server::recheck::run(
        state.clone(),
        std::time::Duration::from_secs(config.domain_recheck_seconds.max(1)),
    ));
    for _ in 0..config.activation_workers.max(1) {
        tokio::spawn(app::activation::server::job::worker(state.clone()));
    }

    let metrics = observe::MetricsAccess {
        token: config.metrics_token.clone(),
        pool: pool.clone(),
        pool_max: config.database_pool_size,
    };
    let metrics_addr = match config.metrics_addr {
        Some(wanted) => {
            let listener = TcpListener::bind(wanted).await?;
            let bound = listener.local_addr()?;
            let routes = Router::new()
                .route("/metrics", get(observe::metrics_open))
                .with_state(metrics.clone());
            tokio::spawn(async move {
                if let Err(err) = axum::serve(listener, routes).await {
                    tracing::error!(%err, "the metrics listener stopped");
                }
            });
            Some(bound)
        }
        None => None,
    };
    let server_state = ServerState {
        app: state.clone(),
        mailbox: dev_mailbox.clone().unwrap_or_default(),
        dns: dev_dns.clone().unwrap_or_default(),
        leptos_options: state.leptos_options.clone(),
        metrics,
    };
    let router = router(
        server_state,
        config.dev_mailbox_public,
        !dev_mode,
        dev_dns.is_some(),
    );
    let server = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(err) = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await
        {
            tracing::error!(%err, "server stopped");
        }
    });

    Ok(Running {
        addr,
        base_url,
        dev_mailbox,
        dev_dns,
        metrics_addr,
        state,
        server,
    })
}

fn router(
    server_state: ServerState,
    dev_mailbox_public: bool,
    production: bool,
    dev_dns: bool,
) -> Router {
    let state = server_state.app.clone();
    let leptos_options = state.leptos_options.clone();
    let routes = generate_route_list(app::App);
    let context = {
        let state = state.clone();
        move || app::request::provide_request_context(&state, true)
    };
    let pages: Router<ServerState> = Router::new()
        .leptos_routes_with_context(&server_state, routes, context, {
            let options = leptos_options.clone();
            move || app::shell(options.clone())
        })
        .route_layer(axum::middleware::from_fn(guard::finish_pages));
    let mut router: Router<ServerState> = Router::new()
        .merge(rest::routes())
        .merge(scim::routes())
        .merge(sso::routes())
        .merge(import::routes())
        .merge(audit_export::routes())
        .route("/api/{*fn_name}", get(server_fn).post(server_fn))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(observe::readyz))
        .route("/metrics", get(observe::metrics_with_token))
        .route("/events", get(events_stream))
        .route("/texts/{file}", get(page_texts))
        .merge(pages);
    // The development pages (mailbox, DNS zone) answer this machine only, unless asked.
    let public = dev_mailbox_public;
    let loopback =
        axum::middleware::from_fn(move |req: Request<Body>, next: axum::middleware::Next| {
            mailbox_page::loopback_only(public, req, next)
        });
    // Development without SMTP_URL: the built-in sink's mail is shown here.
    if state.settings.dev_mode {
        router = router
            .route(
                "/dev/mailbox",
                get(mailbox_page::show).layer(loopback.clone()),
            )
            .route(
                "/dev/mailbox/{number}",
                get(mailbox_page::html_part).layer(loopback.clone()),
            );
    }
    if dev_dns {
        router = router.route(
            "/dev/dns",
            get(dns_page::show).post(dns_page::publish).layer(loopback),
        );
    }
    let site = guard::SiteOrigin::from_base_url(&state.settings.base_url);
    let served = router
        .route_layer(axum::middleware::from_fn(observe::name_route))
        .fallback(static_file_or_not_found)
        .with_state(server_state)
        .layer(axum::middleware::from_fn_with_state(
            page_cache::PageCache::new(state.clone()),
            page_cache::serve,
        ))
        .layer(axum::middleware::from_fn_with_state(
            page_cache::PeopleCache::new(state.clone()),
            page_cache::serve_people,
        ))
        .layer(axum::middleware::from_fn(guard::limit_body))
        .layer(axum::middleware::from_fn_with_state(
            site,
            guard::same_origin_only,
        ))
        .layer(axum::middleware::from_fn_with_state(
            guard::Hsts(production && state.settings.secure_cookies),
            guard::security_headers,
        ));
    // Compression wraps every body it passes, compressed or not, in one value as large as
    // its largest encoder (5.8 KB). A bell stream holds its body for as long as the page
    // stays open, and event streams are never compressed, so `/events` goes around it.
    Router::new()
        .route_service("/events", served.clone().into_service::<Body>())
        .fallback_service(served.layer(CompressionLayer::new()))
        .layer(axum::middleware::from_fn(observe::track))
}

async fn events_stream(
    State(state): State<ServerState>,
    headers: axum::http::HeaderMap,
) -> Response {
    events::stream(State(state.app), headers).await
}

/// One language's page texts, which the browser fetches before it hydrates. The name
/// carries the content's hash, so a browser keeps the file for good.
async fn page_texts(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    use axum::http::{HeaderValue, StatusCode, header};
    let Some(texts) = app::i18n::texts::page_file(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        texts.json.as_str(),
    )
        .into_response()
}

/// Static files from the site root (precompressed when available), else the app's 404 page.
///
/// Files are served here, not by leptos_axum's file handler: that handler applies the
/// response options found through the thread's current reactive owner, which under load
/// belongs to another request's page, and so a bundle file went out as that page's 404
/// (seen in the browser tests; `pages::bundle_files_are_never_answered_with_another_pages_status`).
async fn static_file_or_not_found(
    State(state): State<ServerState>,
    uri: Uri,
    req: Request<Body>,
) -> Response {
    use tower::ServiceExt;
    let options = &state.leptos_options;
    let hashed = options.hash_files
        && uri
            .path()
            .starts_with(&format!("/{}/", options.site_pkg_dir));
    let mut file = Request::builder().uri(uri.clone());
    if let Some(encoding) = req.headers().get(axum::http::header::ACCEPT_ENCODING) {
        file = file.header(axum::http::header::ACCEPT_ENCODING, encoding);
    }
    let found = match file.body(Body::empty()) {
        Ok(file) => ServeDir::new(&*options.site_root)
            .precompressed_br()
            .precompressed_gzip()
            .oneshot(file)
            .await
            .ok(),
        Err(_) => None,
    };
    if let Some(res) = found.filter(|res| res.status() == axum::http::StatusCode::OK) {
        let mut res = res.into_response();
        // A hashed bundle file never changes under its name: browsers keep it for good.
        if hashed {
            res.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
        }
        return res;
    }
    let locale = app::request::locale_from_headers(req.headers());
    let id = req.extensions().get::<app::request::RequestId>().cloned();
    let app = state.app.clone();
    let handler = leptos_axum::file_and_error_handler_with_context(
        move || app::request::provide_request_context(&app, true),
        app::shell,
    );
    guard::to_the_end(locale, id, handler(uri, State(state), req)).await
}

async fn server_fn(State(state): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(
        move || app::request::provide_request_context(&state, false),
        req,
    )
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
