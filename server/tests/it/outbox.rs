//! The mail outbox: nothing lost when SMTP is down, retried with backoff, and a final
//! `failed` state after too many attempts.

use app::mail::{outbox, templates};
use server::mailsink;
use server::outbox::{MAX_ATTEMPTS, Mailer, drain_once};
use sqlx::PgPool;

/// A mailer pointed at a port nothing listens on: every send fails transiently.
fn unreachable_mailer() -> Mailer {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    Mailer::from_url(&format!("smtp://{closed}"), "Muster <no-reply@muster.test>").unwrap()
}

#[sqlx::test]
async fn mail_waits_in_the_outbox_while_smtp_is_down_and_goes_out_when_it_is_back(pool: PgPool) {
    let mail = templates::verify_email(app::i18n::Locale::En, "Lu", "http://x.test/v?token=1");
    outbox::enqueue(&pool, "lu@example.com", &mail)
        .await
        .unwrap();

    let down = unreachable_mailer();
    assert_eq!(drain_once(&pool, &down).await.unwrap(), 1);
    let (status, attempts, error): (String, i32, Option<String>) =
        sqlx::query_as("SELECT status, attempts, last_error FROM outbox_emails")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert!(error.is_some());
    // Not due again until the backoff has passed.
    assert_eq!(drain_once(&pool, &down).await.unwrap(), 0);

    sqlx::query("UPDATE outbox_emails SET next_attempt_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    let (sink, mailbox) = mailsink::start("127.0.0.1:0").await.unwrap();
    let up = Mailer::from_url(&format!("smtp://{sink}"), "Muster <no-reply@muster.test>").unwrap();
    assert_eq!(drain_once(&pool, &up).await.unwrap(), 1);
    let received = mailbox.to("lu@example.com");
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].subject, mail.subject);
    assert!(received[0].text.contains("http://x.test/v?token=1"));
    let status: String = sqlx::query_scalar("SELECT status FROM outbox_emails")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "sent");
    // Sent mail is never sent again.
    assert_eq!(drain_once(&pool, &up).await.unwrap(), 0);
}

#[sqlx::test]
async fn mail_that_keeps_failing_ends_in_a_visible_failed_state(pool: PgPool) {
    let mail = templates::reset_password(app::i18n::Locale::De, "Mo", "http://x.test/r");
    outbox::enqueue(&pool, "mo@example.com", &mail)
        .await
        .unwrap();
    let down = unreachable_mailer();
    for _ in 0..MAX_ATTEMPTS {
        sqlx::query("UPDATE outbox_emails SET next_attempt_at = now()")
            .execute(&pool)
            .await
            .unwrap();
        drain_once(&pool, &down).await.unwrap();
    }
    let rows = outbox::recent(&pool, 10).await.unwrap();
    assert_eq!(rows[0].status, "failed");
    assert_eq!(rows[0].attempts, MAX_ATTEMPTS);
    assert!(rows[0].last_error.is_some());
}

#[sqlx::test]
async fn two_workers_never_send_the_same_mail(pool: PgPool) {
    for i in 0..30 {
        let mail =
            templates::verify_email(app::i18n::Locale::En, "N", &format!("http://x.test/{i}"));
        outbox::enqueue(&pool, &format!("n{i}@example.com"), &mail)
            .await
            .unwrap();
    }
    let (sink, mailbox) = mailsink::start("127.0.0.1:0").await.unwrap();
    let mailer =
        Mailer::from_url(&format!("smtp://{sink}"), "Muster <no-reply@muster.test>").unwrap();
    let (a, b) = tokio::join!(
        async {
            let mut n = 0;
            while let Ok(k) = drain_once(&pool, &mailer).await {
                if k == 0 {
                    break;
                }
                n += k;
            }
            n
        },
        async {
            let mut n = 0;
            while let Ok(k) = drain_once(&pool, &mailer).await {
                if k == 0 {
                    break;
                }
                n += k;
            }
            n
        }
    );
    assert_eq!(a + b, 30);
    assert_eq!(mailbox.all().len(), 30);
}
