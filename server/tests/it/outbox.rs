//! The mail outbox: nothing lost when SMTP is down (for days), retried with capped
//! backoff, a final `failed` state only past the retry horizon, bodies never readable at
//! rest, and no mail sent twice.

use std::time::Duration;

use crate::common::*;
use app::mail::{outbox, templates};
use server::mailsink;
use server::outbox::{Mailer, Retry};
use sqlx::PgPool;

const THREE_DAYS: Retry = Retry {
    give_up_after: Duration::from_secs(72 * 3600),
};

async fn drain_once(pool: &PgPool, mailer: &Mailer) -> Result<usize, sqlx::Error> {
    server::outbox::drain_once(pool, mailer, &test_key(), &THREE_DAYS).await
}

/// A mailer sending to the SMTP server at `addr`.
fn mailer_to(addr: std::net::SocketAddr) -> Mailer {
    Mailer::from_url(
        &format!("smtp://{addr}"),
        "Muster <no-reply@muster.test>",
        32,
    )
    .unwrap()
}

/// A mailer pointed at a port nothing listens on: every send fails transiently.
fn unreachable_mailer() -> Mailer {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    mailer_to(closed)
}

#[sqlx::test]
async fn mail_waits_in_the_outbox_while_smtp_is_down_and_goes_out_when_it_is_back(pool: PgPool) {
    let mail = templates::verify_email(app::i18n::Locale::En, "Lu", "http://x.test/v?token=1");
    outbox::enqueue(&pool, &test_key(), "lu@example.com", &mail)
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
    let up = mailer_to(sink);
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

/// An outage of hours loses nothing: the mail is still pending after ten hours and forty
/// attempts. Only past the retry horizon (three days) does it end as `failed`.
#[sqlx::test]
async fn mail_is_retried_for_days_and_only_then_given_up(pool: PgPool) {
    let mail = templates::reset_password(app::i18n::Locale::De, "Mo", "http://x.test/r");
    outbox::enqueue(&pool, &test_key(), "mo@example.com", &mail)
        .await
        .unwrap();
    let down = unreachable_mailer();
    sqlx::query("UPDATE outbox_emails SET created_at = now() - interval '10 hours', attempts = 40")
        .execute(&pool)
        .await
        .unwrap();
    drain_once(&pool, &down).await.unwrap();
    let (status, _, _) = the_mail(&pool).await;
    assert_eq!(status, "pending", "ten hours in, still trying");
    let wait: f64 = sqlx::query_scalar(
        "SELECT EXTRACT(EPOCH FROM next_attempt_at - now())::float8 FROM outbox_emails",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        (1700.0..=1800.0).contains(&wait),
        "capped at 30 minutes: {wait}"
    );

    sqlx::query(
        "UPDATE outbox_emails SET created_at = now() - interval '73 hours', next_attempt_at = now()",
    )
    .execute(&pool)
    .await
    .unwrap();
    drain_once(&pool, &down).await.unwrap();
    let (status, attempts, last_error) = the_mail(&pool).await;
    assert_eq!(status, "failed");
    assert_eq!(attempts, 42);
    assert!(last_error.is_some());
}

/// The one queued mail's status, attempts and last error.
async fn the_mail(pool: &PgPool) -> (String, i32, Option<String>) {
    sqlx::query_as("SELECT status, attempts, last_error FROM outbox_emails")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn two_workers_never_send_the_same_mail(pool: PgPool) {
    for i in 0..30 {
        let mail =
            templates::verify_email(app::i18n::Locale::En, "N", &format!("http://x.test/{i}"));
        outbox::enqueue(&pool, &test_key(), &format!("n{i}@example.com"), &mail)
            .await
            .unwrap();
    }
    let (sink, mailbox) = mailsink::start("127.0.0.1:0").await.unwrap();
    let mailer = mailer_to(sink);
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

/// An SMTP outage while people are invited: mail waits, nothing is lost, and once the
/// mail server is back every mail arrives exactly once.
#[sqlx::test(migrations = false)]
async fn an_smtp_outage_loses_no_mail_and_sends_none_twice(pool: PgPool) {
    let (app, port) = spawn_app_with_smtp_down(pool).await;
    let owner = org(
        &app,
        "Acme",
        "olga@acme.test",
        &[("ann@acme.test", "EDITOR")],
    )
    .await;
    for who in ["bea", "cy", "dan"] {
        let email = format!("{who}@acme.test");
        let mut form = vec![("region", "eu-central-1"), ("short_name", "acme")];
        form.extend([
            ("name", who),
            ("email", email.as_str()),
            ("role", "VIEWER"),
            ("send_now", "on"),
        ]);
        ok(app.call::<app::people::api::AddPerson>(&owner, &form).await).await;
    }
    // Down: the worker tries, fails, and keeps every mail.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let queued = app.count("SELECT count(*) FROM outbox_emails").await;
    assert!(
        queued >= 7,
        "activation, thanks, welcome and 4 invitations: {queued}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM outbox_emails WHERE status = 'pending' AND attempts > 0")
            .await,
        queued
    );

    // Back: every mail once.
    let (_, mailbox) = mailsink::start(&format!("127.0.0.1:{port}")).await.unwrap();
    sqlx::query("UPDATE outbox_emails SET next_attempt_at = now()")
        .execute(&app.pool)
        .await
        .unwrap();
    for _ in 0..200 {
        if mailbox.all().len() as i64 >= queued {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received = mailbox.all();
    assert_eq!(received.len() as i64, queued, "every mail, none twice");
    let mut keys: Vec<(String, String)> = received
        .iter()
        .map(|m| (m.to.join(","), m.subject.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len() as i64, queued, "no mail delivered twice");
    assert_eq!(
        app.count("SELECT count(*) FROM outbox_emails WHERE status = 'sent'")
            .await,
        queued
    );
}

/// Olga's organization, where she adds and invites Bea; returns Olga's browser.
async fn invite_bea(app: &TestApp) -> reqwest::Client {
    let owner = org(app, "Acme", "olga@acme.test", &[]).await;
    let form = [
        ("region", "eu-central-1"),
        ("short_name", "acme"),
        ("name", "Bea"),
        ("email", "bea@acme.test"),
        ("role", "VIEWER"),
        ("send_now", "on"),
    ];
    ok(app.call::<app::people::api::AddPerson>(&owner, &form).await).await;
    owner
}

/// A mail the outbox finally gives up on does not count as sent: the person's row says
/// "Not delivered" (and offers Resend), Welcome Sent is cleared, and the seat is free.
#[sqlx::test(migrations = false)]
async fn an_invitation_that_cannot_be_delivered_says_so_and_frees_its_seat(pool: PgPool) {
    let (app, _) = spawn_app_with_smtp_down(pool).await;
    let owner = invite_bea(&app).await;
    let page = people(&app, &owner, "acme").await;
    assert_eq!(row(&page, "bea@acme.test")["invitation"], "Pending");
    assert!(row(&page, "bea@acme.test")["welcome_sent"].is_string());

    // Three days and more of failures.
    sqlx::query(
        "UPDATE outbox_emails SET created_at = now() - interval '73 hours', next_attempt_at = now()",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    for _ in 0..100 {
        if app
            .count("SELECT count(*) FROM outbox_emails WHERE status = 'pending'")
            .await
            == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = people(&app, &owner, "acme").await;
    let bea = row(&page, "bea@acme.test");
    assert_eq!(bea["invitation"], "NotDelivered");
    assert!(bea["welcome_sent"].is_null(), "{bea}");
    assert_eq!(
        app.count(
            "SELECT count(*) FROM invitations WHERE email = 'bea@acme.test' AND revoked_at IS NULL"
        )
        .await,
        0,
        "no open invitation holds a seat"
    );
}

/// Resend sends the same invitation again: when the outbox gives up on the earlier mail,
/// the newer one still carries it, so the invitation stays open and keeps its seat.
#[sqlx::test(migrations = false)]
async fn giving_up_on_an_earlier_mail_does_not_end_an_invitation_sent_again(pool: PgPool) {
    let (app, _) = spawn_app_with_smtp_down(pool).await;
    let owner = invite_bea(&app).await;
    let page = people(&app, &owner, "acme").await;
    let id = row(&page, "bea@acme.test")["id"].to_string();
    let resend = [
        ("region", "eu-central-1"),
        ("short_name", "acme"),
        ("person_id", id.as_str()),
        ("confirmed", "true"),
    ];
    ok(app
        .call::<app::people::api::SendInvite>(&owner, &resend)
        .await)
    .await;

    // Only the first mail has been failing for three days.
    sqlx::query(
        "UPDATE outbox_emails SET created_at = now() - interval '73 hours', next_attempt_at = now()
         WHERE id = (SELECT min(id) FROM outbox_emails WHERE recipient = 'bea@acme.test')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    for _ in 0..100 {
        if app
            .count("SELECT count(*) FROM outbox_emails WHERE status = 'failed'")
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.count("SELECT count(*) FROM outbox_emails WHERE status = 'failed'")
            .await,
        1
    );
    let page = people(&app, &owner, "acme").await;
    let bea = row(&page, "bea@acme.test");
    assert_eq!(bea["invitation"], "Pending");
    assert!(bea["welcome_sent"].is_string(), "{bea}");
    assert_eq!(
        app.count(
            "SELECT count(*) FROM invitations WHERE email = 'bea@acme.test' AND revoked_at IS NULL"
        )
        .await,
        1
    );
}

/// A server started with another MUSTER_SECRET_KEY (a misconfigured second instance)
/// cannot open the mails the others queued. It must leave them for a server that can,
/// not end them: it used to mark every one of them failed, for good.
#[sqlx::test]
async fn a_server_with_another_key_leaves_mail_for_one_that_can_open_it(pool: PgPool) {
    let mail = templates::verify_email(app::i18n::Locale::En, "Lu", "http://x.test/v?token=1");
    outbox::enqueue(&pool, &test_key(), "lu@example.com", &mail)
        .await
        .unwrap();
    let (sink, mailbox) = mailsink::start("127.0.0.1:0").await.unwrap();
    let mailer = mailer_to(sink);
    let other = app::state::SecretKey(b"another key of at least thirty-two bytes".to_vec());
    server::outbox::drain_once(&pool, &mailer, &other, &THREE_DAYS)
        .await
        .unwrap();
    let (status,): (String,) = sqlx::query_as("SELECT status FROM outbox_emails")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        status, "pending",
        "the mail waits for a server that can open it"
    );
    assert!(mailbox.is_empty());

    sqlx::query("UPDATE outbox_emails SET next_attempt_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    drain_once(&pool, &mailer).await.unwrap();
    assert_eq!(
        mailbox.to("lu@example.com").len(),
        1,
        "and then it is delivered"
    );
}

/// A TCP relay in front of a mail server that can hang up every open connection, as mail
/// servers do with clients that sat idle (Postfix after 300 s).
struct HangingUpRelay {
    addr: std::net::SocketAddr,
    connections: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl HangingUpRelay {
    async fn to(server: std::net::SocketAddr) -> HangingUpRelay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let open = connections.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let relay = tokio::spawn(async move {
                    let mut upstream = tokio::net::TcpStream::connect(server).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
                open.lock().unwrap().push(relay);
            }
        });
        HangingUpRelay { addr, connections }
    }

    /// Closes every open connection, on both sides.
    async fn hang_up(&self) {
        let open: Vec<_> = self.connections.lock().unwrap().drain(..).collect();
        assert!(!open.is_empty(), "the mailer kept no connection open");
        for relay in open {
            relay.abort();
            let _ = relay.await;
        }
    }
}

#[sqlx::test]
async fn a_kept_connection_the_mail_server_closed_is_replaced_and_the_mail_goes_out_at_once(
    pool: PgPool,
) {
    let (sink, mailbox) = mailsink::start("127.0.0.1:0").await.unwrap();
    let relay = HangingUpRelay::to(sink).await;
    let mailer = mailer_to(relay.addr);
    let first = templates::verify_email(app::i18n::Locale::En, "Lu", "http://x.test/v?token=1");
    outbox::enqueue(&pool, &test_key(), "lu@example.com", &first)
        .await
        .unwrap();
    assert_eq!(drain_once(&pool, &mailer).await.unwrap(), 1);
    assert_eq!(mailbox.to("lu@example.com").len(), 1);

    // The mail server hangs up the connection the mailer kept for the next mail.
    relay.hang_up().await;
    let second = templates::verify_email(app::i18n::Locale::En, "Bo", "http://x.test/v?token=2");
    outbox::enqueue(&pool, &test_key(), "bo@example.com", &second)
        .await
        .unwrap();
    assert_eq!(drain_once(&pool, &mailer).await.unwrap(), 1);

    assert_eq!(
        mailbox.to("bo@example.com").len(),
        1,
        "the mail went out on a new connection, not 5 seconds later on a retry"
    );
    let (status, attempts): (String, i32) = sqlx::query_as(
        "SELECT status, attempts FROM outbox_emails WHERE recipient = 'bo@example.com'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), attempts), ("sent", 1));
}
