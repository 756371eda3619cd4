//! The background worker that drains the mail outbox through SMTP (lettre).

use std::sync::Arc;
use std::time::Duration;

use app::mail::outbox::{self, DueRow};
use app::mail::seal;
use app::state::SecretKey;
use futures::StreamExt;
use lettre::Message;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use sqlx::PgPool;
use tokio::sync::Notify;

use crate::smtp::{self, Failure as SendError};

/// The longest wait between two attempts: mail servers retry for days, every half hour
/// at most, and so does the outbox.
pub const MAX_BACKOFF_SECONDS: i64 = 1800;

/// How the outbox retries.
#[derive(Clone, Debug)]
pub struct Retry {
    /// A mail that still fails this long after it was queued is given up on.
    pub give_up_after: Duration,
}

/// A mail ready to send: its bodies opened.
pub struct DueEmail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub locale: Option<String>,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i32,
    pub age_seconds: i64,
}
/// Mails claimed per transaction: enough to keep every connection busy for a while.
fn batch_size(connections: usize) -> i64 {
    (connections as i64 * 8).max(256)
}

#[derive(Clone)]
pub struct Mailer {
    transport: Arc<smtp::Pool>,
    from: Mailbox,
    /// Mails sent at once, each on its own pooled connection.
    connections: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("SMTP_URL is not valid: {0}")]
    BadUrl(String),
    #[error("MAIL_FROM is not a valid sender: {0}")]
    BadFrom(lettre::address::AddressError),
}

impl Mailer {
    pub fn from_url(smtp_url: &str, from: &str, connections: u32) -> Result<Mailer, MailerError> {
        let connections = connections.max(1);
        let endpoint = smtp::Endpoint::parse(smtp_url).map_err(MailerError::BadUrl)?;
        Ok(Mailer {
            transport: Arc::new(smtp::Pool::new(endpoint)),
            from: from.parse().map_err(MailerError::BadFrom)?,
            connections: connections as usize,
        })
    }

    async fn send(&self, mail: &DueEmail) -> Result<(), SendError> {
        let to: Mailbox = mail
            .recipient
            .parse()
            .map_err(|e| SendError::Permanent(format!("bad recipient: {e}")))?;
        // One Message-ID per outbox row: if a crash lands between the mail server's
        // "accepted" and our commit, the mail is sent again with the same ID, and mail
        // clients show it once.
        let domain = self.from.email.domain().to_owned();
        let mut message = Message::builder()
            .message_id(Some(format!("<outbox-{}@{domain}>", mail.id)))
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone());
        if let Some(locale) = &mail.locale {
            message = message.header(ContentLanguage(locale.clone()));
        }
        let message = message
            .multipart(MultiPart::alternative_plain_html(
                mail.body_text.clone(),
                mail.body_html.clone(),
            ))
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        self.transport
            .send(message.envelope(), &message.formatted())
            .await
    }
}

/// The `Content-Language` header (RFC 3282): the language the mail is written in.
#[derive(Clone)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ContentLanguage(s.trim().to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Seconds before retry number `attempts` (1-based): 5 s, 10 s, 20 s, ... at most
/// 30 minutes, for as long as the retry horizon allows.
pub fn backoff_seconds(attempts: i32) -> i64 {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    (5_i64 << exp).min(MAX_BACKOFF_SECONDS)
}

/// Runs forever: sends what is due, then sleeps until woken or a second passes.
pub async fn run(pool: PgPool, mailer: Mailer, wakeup: Arc<Notify>, key: SecretKey, retry: Retry) {
    app::worker::run_forever("outbox", &wakeup, Duration::from_secs(1), || async {
        Ok(drain_once(&pool, &mailer, &key, &retry).await? > 0)
    })
    .await;
}

/// Groups mails (in queue order) by recipient, case-insensitively: each group is sent one
/// mail after another in queue order, so a person's mails never overtake each other
/// (an invitation and the resend that replaced it), while different people's groups go
/// out side by side.
fn by_recipient(due: &[DueEmail]) -> Vec<Vec<&DueEmail>> {
    let mut index = std::collections::HashMap::new();
    let mut groups: Vec<Vec<&DueEmail>> = Vec::new();
    for mail in due {
        let slot = *index
            .entry(mail.recipient.to_lowercase())
            .or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
        groups[slot].push(mail);
    }
    groups
}

fn open(row: DueRow, key: &SecretKey) -> Result<DueEmail, (i64, &'static str)> {
    let (body_text, body_html) = match (&row.body_sealed, row.body_text, row.body_html) {
        (Some(sealed), _, _) => seal::open(key, sealed).ok_or((
            row.id,
            "sealed under another MUSTER_SECRET_KEY: every server must share one key",
        ))?,
        // Queued before bodies were sealed.
        (None, Some(text), Some(html)) => (text, html),
        (None, _, _) => return Err((row.id, "the mail has no body")),
    };
    Ok(DueEmail {
        id: row.id,
        recipient: row.recipient,
        subject: row.subject,
        locale: row.locale,
        body_text,
        body_html,
        attempts: row.attempts,
        age_seconds: row.age_seconds,
    })
}

/// Sends one batch of due mail; returns how many were attempted.
pub async fn drain_once(
    pool: &PgPool,
    mailer: &Mailer,
    key: &SecretKey,
    retry: &Retry,
) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let rows = outbox::claim_due(&mut *tx, batch_size(mailer.connections)).await?;
    let claimed = rows.len();
    let mut due = Vec::with_capacity(claimed);
    for row in rows {
        let (attempts, age_seconds) = (row.attempts + 1, row.age_seconds);
        match open(row, key) {
            Ok(mail) => due.push(mail),
            // Another server (with the right key) may open it: leave it to them, as a
            // failed attempt, until the retry horizon.
            Err((id, why)) if age_seconds < retry.give_up_after.as_secs() as i64 => {
                tracing::error!(id, why, "outbox: this server cannot open a mail");
                outbox::mark_attempt_failed(&mut *tx, id, why, backoff_seconds(attempts)).await?;
            }
            Err((id, why)) => {
                tracing::error!(id, why, "outbox: no server opened the mail in time");
                end_for_good(&mut tx, id, why).await?;
            }
        }
    }
    // Every connection busy at all times: a slow mail holds up only its own
    // recipient's next mail, not a whole wave.
    let sends: Vec<_> = by_recipient(&due)
        .into_iter()
        .map(|group| async move {
            let mut outcomes = Vec::with_capacity(group.len());
            for mail in group {
                outcomes.push((mail, mailer.send(mail).await));
            }
            outcomes
        })
        .collect();
    let results: Vec<Vec<(&DueEmail, Result<(), SendError>)>> = futures::stream::iter(sends)
        .buffer_unordered(mailer.connections)
        .collect()
        .await;
    let results: Vec<_> = results.into_iter().flatten().collect();
    let mut sent = Vec::with_capacity(results.len());
    for (mail, result) in results {
        match result {
            Ok(()) => sent.push(mail.id),
            Err(SendError::Transient(e)) => {
                let attempts = mail.attempts + 1;
                let give_up = mail.age_seconds >= retry.give_up_after.as_secs() as i64;
                tracing::warn!(id = mail.id, attempts, give_up, error = %e, "outbox: send failed");
                metrics::counter!("muster_mail_send_failures_total", "kind" => "transient")
                    .increment(1);
                if give_up {
                    end_for_good(&mut tx, mail.id, &e).await?;
                } else {
                    let wait = backoff_seconds(attempts);
                    outbox::mark_attempt_failed(&mut *tx, mail.id, &e, wait).await?;
                }
            }
            Err(SendError::Permanent(e)) => {
                tracing::error!(id = mail.id, error = %e, "outbox: mail cannot be delivered");
                metrics::counter!("muster_mail_send_failures_total", "kind" => "permanent")
                    .increment(1);
                end_for_good(&mut tx, mail.id, &e).await?;
            }
        }
    }
    outbox::mark_sent(&mut *tx, &sent).await?;
    tx.commit().await?;
    metrics::counter!("muster_mail_sent_total").increment(sent.len() as u64);
    Ok(claimed)
}

/// A mail given up for good; the invitation it carried ends as not delivered.
async fn end_for_good(tx: &mut sqlx::PgConnection, id: i64, why: &str) -> Result<(), sqlx::Error> {
    if let Some(invitation_id) = outbox::give_up(&mut *tx, id, why).await? {
        app::roster::server::service::end_undelivered(&mut *tx, invitation_id, id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(id: i64, to: &str) -> DueEmail {
        DueEmail {
            id,
            recipient: to.to_owned(),
            subject: String::new(),
            locale: None,
            body_text: String::new(),
            body_html: String::new(),
            attempts: 0,
            age_seconds: 0,
        }
    }

    #[test]
    fn mails_to_one_person_go_out_one_after_another_in_queue_order() {
        let due = vec![
            mail(1, "a@x"),
            mail(2, "b@x"),
            mail(3, "A@x"),
            mail(4, "c@x"),
            mail(5, "a@x"),
        ];
        let ids: Vec<Vec<i64>> = by_recipient(&due)
            .iter()
            .map(|g| g.iter().map(|m| m.id).collect())
            .collect();
        assert_eq!(ids, vec![vec![1, 3, 5], vec![2], vec![4]]);
    }

    #[test]
    fn backoff_doubles_and_is_capped_at_half_an_hour() {
        assert_eq!(backoff_seconds(1), 5);
        assert_eq!(backoff_seconds(2), 10);
        assert_eq!(backoff_seconds(4), 40);
        assert_eq!(backoff_seconds(15), 1800);
        // Three days of retries are about 150 attempts, not 8.
        let (mut waited, mut attempts) = (0, 0);
        while waited < 72 * 3600 {
            attempts += 1;
            waited += backoff_seconds(attempts);
        }
        assert!(attempts > 140, "{attempts}");
    }
}
