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
    /// Ids of people whose notifications changed (from PostgreSQL LISTEN), for `/events`.
    pub user_events: tokio::sync::broadcast::Sender<i64>,
    /// Bounds how many password hashes run at once (each takes ~19 MiB and a core).
    pub password_slots: Arc<Semaphore>,
}

impl AppState {
    /// The state of the request being handled (provided by the server as context).
    pub fn current() -> AppState {
        leptos::prelude::expect_context::<AppState>()
    }
}
