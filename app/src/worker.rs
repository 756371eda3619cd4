//! The one loop every background worker runs (activation jobs, Invite All batches, the
//! outbox): do a unit of work; go again at once while there was some; otherwise sleep
//! until woken (after a commit that made work) or until the poll interval passes, so
//! work made by another server instance is found too.

use std::future::Future;
use std::time::Duration;

use tokio::sync::Notify;

/// Runs `step` forever. `step` answers whether it found work; an error is logged as
/// `name`'s and the worker carries on after the usual wait.
pub async fn run_forever<F, Fut>(name: &'static str, wakeup: &Notify, poll: Duration, mut step: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, sqlx::Error>>,
{
    loop {
        match step().await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(err) => tracing::error!(%err, worker = name, "background worker"),
        }
        let _ = tokio::time::timeout(poll, wakeup.notified()).await;
    }
}
