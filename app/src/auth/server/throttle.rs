//! Limits on guessing passwords and on triggering mail, decided and counted atomically.
//!
//! Every limited event takes a row in `auth_failures` for each of its scopes
//! (`account:<email>`, `address:<ip>`, `mail-to:<email>`, `mail-from:<ip>`, ...) under a
//! per-scope advisory lock, *before* the expensive or visible part runs. N parallel
//! attempts therefore pass at most the limit, whatever the timing. A password attempt
//! that turns out right gives its rows back ([`Ticket::forgive`]); a wrong one keeps them.

use sqlx::PgPool;

use super::queries;
use crate::error::AppError;

/// What a refusal says: too many password attempts, or too many mails.
#[derive(Clone, Copy)]
pub enum Kind {
    Password,
    Mail,
}

/// One limited scope: at most `max` events in the window.
pub struct Scope {
    pub key: String,
    pub max: i64,
}

impl Scope {
    pub fn new(key: String, max: i64) -> Scope {
        Scope { key, max }
    }
}

/// The rows one attempt took; kept (a failure) unless forgiven.
#[must_use = "a right password gives its rows back with forgive()"]
pub struct Ticket {
    ids: Vec<i64>,
}

impl Ticket {
    /// The attempt succeeded: it stops counting against any of its scopes.
    pub async fn forgive(self, pool: &PgPool) -> Result<(), AppError> {
        queries::delete_failures(pool, &self.ids).await?;
        Ok(())
    }
}

/// Takes one event in every scope, or none if any scope is at its limit (429 with the
/// minutes until the oldest event there stops counting). The pool connection is held
/// only for this short transaction, never while a password is hashed.
pub async fn take(
    pool: &PgPool,
    kind: Kind,
    scopes: &[Scope],
    window_minutes: i64,
) -> Result<Ticket, AppError> {
    let mut tx = pool.begin().await?;
    let ids = take_in(&mut tx, kind, scopes, window_minutes).await?;
    tx.commit().await?;
    Ok(Ticket { ids })
}

/// [`take`] inside the caller's transaction: the events count once it commits, and not
/// at all if it rolls back (what was limited did not happen). Parallel callers sharing a
/// scope wait for each other's transactions.
pub async fn take_in(
    tx: &mut sqlx::PgConnection,
    kind: Kind,
    scopes: &[Scope],
    window_minutes: i64,
) -> Result<Vec<i64>, AppError> {
    let mut keys: Vec<&Scope> = scopes.iter().collect();
    // A fixed lock order: two attempts sharing scopes cannot deadlock.
    keys.sort_by(|a, b| a.key.cmp(&b.key));
    keys.dedup_by(|a, b| a.key == b.key);
    for scope in &keys {
        queries::lock_scope(&mut *tx, &scope.key).await?;
    }
    for scope in &keys {
        let count = queries::count_recent_failures(&mut *tx, &scope.key, window_minutes).await?;
        if count.failures >= scope.max {
            let retry_after_minutes = count.minutes_left.max(1) as u32;
            let refused = match kind {
                Kind::Password => "password",
                Kind::Mail => "mail",
            };
            metrics::counter!("muster_throttle_refusals_total", "kind" => refused).increment(1);
            return Err(match kind {
                Kind::Password => AppError::RateLimited {
                    retry_after_minutes,
                },
                Kind::Mail => AppError::MailLimited {
                    retry_after_minutes,
                },
            });
        }
    }
    let mut ids = Vec::with_capacity(keys.len());
    for scope in &keys {
        ids.push(queries::record_failure(&mut *tx, &scope.key).await?);
    }
    Ok(ids)
}

pub fn account_scope(email: &str) -> String {
    format!("account:{email}")
}

pub fn address_scope(ip: std::net::IpAddr) -> String {
    format!("address:{ip}")
}
