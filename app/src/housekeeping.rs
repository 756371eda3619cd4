//! Housekeeping: rows that have done their job are deleted by a background sweep, so
//! tables do not grow forever. What is kept, and for how long:
//! - sessions until they expire;
//! - email links (confirmation, password reset) for a week after they were used or
//!   expired, so a second click still gets "already used" or "expired", not "not valid";
//! - throttle rows while they still count (the longer of the sign-in window and the day
//!   of the per-recipient invitation limit);
//! - sent and undeliverable mail for `mail_days`, except the mail of an organization's
//!   latest Invite All, whose progress is counted from it;
//! - replaced invitation links for 30 days (an invitation lives 30 days), unconfirmed
//!   self-join requests for a week after they expired, invitation quota days for two days;
//! - accounts whose address was never confirmed for `unconfirmed_account_days`, unless
//!   they belong to an organization or own a subscription (strangers can open such accounts in
//!   anyone's name; the address's holder takes the address over with a reset anyway).
//!
//! Deletes go in chunks, each its own short transaction, so no sweep holds locks for long.
//! Instances of one deployment may sweep at the same time: the deletes do not conflict.

use sqlx::PgPool;

/// Rows deleted at once: one chunk's transaction stays short.
const CHUNK: i64 = 5_000;

#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// The sign-in throttle window (the mail limits count one hour).
    pub throttle_window_minutes: i64,
    /// Days sent or undeliverable mail is kept.
    pub mail_days: i64,
    /// Days an account whose address was never confirmed is kept.
    pub unconfirmed_account_days: i64,
}

/// What one sweep deleted, per table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub email_tokens: u64,
    pub auth_failures: u64,
    pub outbox_emails: u64,
    pub invitation_old_links: u64,
    pub link_joins: u64,
    pub invite_quota_usage: u64,
    pub unconfirmed_accounts: u64,
    /// Expired steps between a password and a second factor, and passkey ceremonies.
    pub sign_in_steps: u64,
    /// People imports (and their rows) checked more than 7 days ago.
    pub people_imports: u64,
    /// Audit log exports asked for more than 7 days ago.
    pub audit_exports: u64,
}

impl Swept {
    pub fn tables(&self) -> [(&'static str, u64); 11] {
        [
            ("sessions", self.sessions),
            ("email_tokens", self.email_tokens),
            ("auth_failures", self.auth_failures),
            ("outbox_emails", self.outbox_emails),
            ("invitation_old_links", self.invitation_old_links),
            ("link_joins", self.link_joins),
            ("invite_quota_usage", self.invite_quota_usage),
            ("users", self.unconfirmed_accounts),
            ("sign_in_steps", self.sign_in_steps),
            ("people_imports", self.people_imports),
            ("audit_exports", self.audit_exports),
        ]
    }
}

/// Deletes, chunk by chunk, until a chunk comes back smaller than `CHUNK`.
async fn in_chunks<F, Fut>(mut chunk: F) -> Result<u64, sqlx::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<u64, sqlx::Error>>,
{
    let mut total = 0;
    loop {
        let deleted = chunk().await?;
        total += deleted;
        if deleted < CHUNK as u64 {
            return Ok(total);
        }
    }
}

/// `DELETE ... LIMIT $n` (the limit is the last argument, `CHUNK`) until it runs dry.
macro_rules! delete_in_chunks {
    ($pool:expr, $sql:literal $(, $arg:expr)* $(,)?) => {
        in_chunks(|| async {
            Ok(sqlx::query!($sql $(, $arg)*).execute($pool).await?.rows_affected())
        })
    };
}

/// One sweep over every table.
pub async fn sweep(pool: &PgPool, policy: Policy) -> Result<Swept, sqlx::Error> {
    // The longest window is the day of the per-recipient invitation limit.
    let throttle_minutes = policy
        .throttle_window_minutes
        .clamp(24 * 60, i32::MAX as i64) as i32;
    let mail_days = policy.mail_days.clamp(1, 36_500) as i32;
    let unconfirmed_days = policy.unconfirmed_account_days.clamp(1, 36_500) as i32;
    Ok(Swept {
        sessions: delete_in_chunks!(
            pool,
            "DELETE FROM sessions WHERE token_hash IN
                   (SELECT token_hash FROM sessions WHERE expires_at < now() LIMIT $1)",
            CHUNK
        )
        .await?,
        email_tokens: delete_in_chunks!(
            pool,
            "DELETE FROM email_tokens WHERE token_hash IN
                   (SELECT token_hash FROM email_tokens
                    WHERE least(used_at, expires_at) < now() - interval '7 days' LIMIT $1)",
            CHUNK
        )
        .await?,
        auth_failures: delete_in_chunks!(
            pool,
            "DELETE FROM auth_failures WHERE id IN
                   (SELECT id FROM auth_failures
                    WHERE failed_at < now() - make_interval(mins => $1) LIMIT $2)",
            throttle_minutes,
            CHUNK
        )
        .await?,
        outbox_emails: delete_in_chunks!(
            pool,
            "DELETE FROM outbox_emails WHERE id IN
                   (SELECT e.id FROM outbox_emails e
                    WHERE e.status IN ('sent', 'failed')
                      AND coalesce(e.sent_at, e.next_attempt_at) < now() - make_interval(days => $1)
                      AND NOT EXISTS (
                          SELECT 1 FROM invite_batches b
                          WHERE b.id = e.batch_id
                            AND b.id = (SELECT max(l.id) FROM invite_batches l
                                        WHERE l.org_id = b.org_id AND l.total > 0))
                    LIMIT $2)",
            mail_days,
            CHUNK
        )
        .await?,
        invitation_old_links: delete_in_chunks!(
            pool,
            "DELETE FROM invitation_old_links WHERE token_hash IN
                   (SELECT token_hash FROM invitation_old_links
                    WHERE replaced_at < now() - interval '30 days' LIMIT $1)",
            CHUNK
        )
        .await?,
        link_joins: delete_in_chunks!(
            pool,
            "DELETE FROM link_joins WHERE id IN
                   (SELECT id FROM link_joins
                    WHERE confirmed_at IS NULL AND expires_at < now() - interval '7 days'
                    LIMIT $1)",
            CHUNK
        )
        .await?,
        invite_quota_usage: delete_in_chunks!(
            pool,
            "DELETE FROM invite_quota_usage WHERE (org_id, day) IN
                   (SELECT org_id, day FROM invite_quota_usage
                    WHERE day < current_date - 2 LIMIT $1)",
            CHUNK
        )
        .await?,
        unconfirmed_accounts: delete_in_chunks!(
            pool,
            "DELETE FROM users WHERE id IN
                   (SELECT u.id FROM users u
                    WHERE u.email_verified_at IS NULL
                      AND u.created_at < now() - make_interval(days => $1)
                      AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id)
                      AND NOT EXISTS (SELECT 1 FROM subscriptions s
                                      WHERE s.owner_user_id = u.id
                                         OR s.owner_claim_user_id = u.id)
                    LIMIT $2)",
            unconfirmed_days,
            CHUNK
        )
        .await?,
        sign_in_steps: delete_in_chunks!(
            pool,
            "DELETE FROM sign_in_challenges WHERE token_hash IN
                   (SELECT token_hash FROM sign_in_challenges WHERE expires_at < now() LIMIT $1)",
            CHUNK
        )
        .await?
            + delete_in_chunks!(
                pool,
                "DELETE FROM passkey_ceremonies WHERE token_hash IN
                   (SELECT token_hash FROM passkey_ceremonies WHERE expires_at < now() LIMIT $1)",
                CHUNK
            )
            .await?,
        people_imports: delete_in_chunks!(
            pool,
            "DELETE FROM people_imports WHERE id IN
               (SELECT id FROM people_imports
                WHERE checked_at < now() - interval '7 days'
                  AND state NOT IN ('queued', 'importing') LIMIT $1)",
            CHUNK
        )
        .await?,
        audit_exports: delete_in_chunks!(
            pool,
            "DELETE FROM audit_exports WHERE id IN
               (SELECT id FROM audit_exports
                WHERE created_at < now() - interval '7 days'
                  AND state NOT IN ('queued', 'running') LIMIT $1)",
            CHUNK
        )
        .await?,
    })
}

/// Sweeps every `every`, first shortly after start, for as long as the server runs.
pub async fn run(pool: PgPool, policy: Policy, every: std::time::Duration) {
    let mut timer = tokio::time::interval(every);
    loop {
        timer.tick().await;
        match sweep(&pool, policy).await {
            Ok(swept) => {
                for (table, rows) in swept.tables() {
                    if rows > 0 {
                        tracing::info!(table, rows, "housekeeping: deleted");
                        metrics::counter!("muster_housekeeping_deleted_rows_total", "table" => table)
                            .increment(rows);
                    }
                }
            }
            Err(err) => tracing::warn!(%err, "housekeeping sweep failed; trying again later"),
        }
    }
}
