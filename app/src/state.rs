//! What every request handler can reach. Built once by the `server` crate and handed to
//! Leptos as context (never a global), so tests can build their own.

use std::sync::Arc;

use leptos::config::LeptosOptions;
use sqlx::PgPool;
use tokio::sync::{Notify, Semaphore};

#[derive(Clone, Debug)]
pub struct Settings {
    /// Where links in emails point, without a trailing slash, e.g. `http://127.0.0.1:3000`.
    pub base_url: String,
    /// Mark cookies `Secure` (true whenever the base URL is https).
    pub secure_cookies: bool,
    /// Development mode shows `/dev/mailbox` and relaxes nothing else.
    pub dev_mode: bool,
    /// Argon2id memory cost in KiB (OWASP minimum: 19456).
    pub argon2_memory_kib: u32,
    /// Failed sign-ins allowed per account, and per client address, in `throttle_window_minutes`.
    pub max_failures_per_account: i64,
    pub max_failures_per_address: i64,
    pub throttle_window_minutes: i64,
    /// Mails (verification, reset, join confirmation, "account exists") per recipient
    /// address, and per client address, in an hour.
    pub max_mails_per_recipient: i64,
    pub max_mails_per_client: i64,
    /// Failed sign-ins allowed, in `throttle_window_minutes`, from all of one account's
    /// known devices together (each has `max_failures_per_account` of its own).
    pub max_failures_per_known_devices: i64,
    /// Invitations (sent or resent one at a time, by any organization) per recipient
    /// address in a day.
    pub max_invitations_per_recipient: i64,
    /// A session ends this many days after sign-in, or after this many minutes unused.
    pub session_days: i64,
    pub session_idle_minutes: i64,
    /// Bell streams (`/events`) one session may hold open on one server.
    pub max_streams_per_session: usize,
    /// Bell streams one person may hold open on one server, all sessions together.
    pub max_streams_per_person: usize,
    /// Peers whose `X-Forwarded-For` is believed (reverse proxies); empty: nobody's.
    pub trusted_proxies: Vec<crate::net::IpNet>,
    /// First retry delay of a failed activation step; it doubles on every attempt.
    pub activation_retry_base_ms: u64,
    /// Attempts per activation step before the job stops as failed.
    pub activation_max_attempts: i32,
    /// Development and tests only: make this activation step fail the next N times it
    /// runs on this server (a counter shared by all jobs, like a passing outage).
    pub activation_fault: Option<(String, Arc<std::sync::atomic::AtomicI32>)>,
    /// Invitations per organization and UTC day, unless the organization has its own.
    pub invite_daily_quota: i32,
    /// Where verified domains' TXT records are looked up; `None`: the system's DNS.
    pub dns_server: Option<std::net::SocketAddr>,
    /// Hosts an organization's OpenID provider may be reached at although they are not on
    /// the public internet (`host` or `host:port`).
    pub sso_allowed_hosts: Vec<String>,
    /// Just-in-time accounts one organization's provider may create in an hour.
    pub sso_new_accounts_per_hour: i64,
    /// Server key that self-join links are derived from (see `joining`).
    pub secret_key: SecretKey,
}

/// Key material that never shows up in logs or `Debug` output.
#[derive(Clone)]
pub struct SecretKey(pub Vec<u8>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl Settings {
    pub fn link(&self, path_and_query: &str) -> String {
        format!("{}{}", self.base_url, path_and_query)
    }
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    /// The database. sqlx tests a connection with a round trip (a Sync) each time one
    /// goes back to the pool, so a request that runs several queries takes one connection
    /// for all of them (`pool.acquire()`) instead of running each on the pool. And it never
    /// asks the pool for a second connection while it holds one: ten requests doing that
    /// at once hold the whole pool and wait for each other.
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    /// Wakes the outbox worker as soon as a transaction with new mail commits.
    pub outbox_wakeup: Arc<Notify>,
    /// Wakes the activation workers when "Activate Now" starts a job.
    pub jobs_wakeup: Arc<Notify>,
    /// Wakes the Invite All worker when a batch is queued.
    pub batches_wakeup: Arc<Notify>,
    /// Wakes the import worker when "Import" starts a people import.
    pub imports_wakeup: Arc<Notify>,
    /// Wakes the audit export worker when an export is asked for.
    pub exports_wakeup: Arc<Notify>,
    /// Ids of people whose notifications changed (from PostgreSQL LISTEN), for `/events`.
    pub user_events: tokio::sync::broadcast::Sender<i64>,
    /// Bounds how many password hashes run at once (each takes ~19 MiB and a core), and
    /// how many may wait.
    pub hashing: Arc<HashingQueue>,
}

/// Password hashing: `running` at once, at most `max_waiting` more waiting. Past that, a
/// request is told at once (503, [`AppError::Busy`]) instead of piling up behind a flood.
#[derive(Debug)]
pub struct HashingQueue {
    slots: Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
    max_waiting: usize,
}

impl HashingQueue {
    pub fn new(running: usize, max_waiting: usize) -> HashingQueue {
        HashingQueue {
            slots: Semaphore::new(running.max(1)),
            waiting: Default::default(),
            max_waiting,
        }
    }

    /// A hashing slot, once one is free; `Busy` at once if the queue is full.
    #[cfg(feature = "ssr")]
    pub async fn enter(&self) -> Result<tokio::sync::SemaphorePermit<'_>, crate::error::AppError> {
        use std::sync::atomic::Ordering;
        if let Ok(slot) = self.slots.try_acquire() {
            return Ok(slot);
        }
        struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let before = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting);
        if before >= self.max_waiting {
            metrics::counter!("muster_hashing_busy_total").increment(1);
            return Err(crate::error::AppError::Busy);
        }
        self.slots
            .acquire()
            .await
            .map_err(crate::error::AppError::internal)
    }
}

impl AppState {
    /// The state of the request being handled (provided by the server as context).
    pub fn current() -> AppState {
        leptos::prelude::expect_context::<AppState>()
    }
}
