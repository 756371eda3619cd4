//! Faults an operator meets on a bad day, tried against a real server: the database
//! going away and coming back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::common::*;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A TCP relay between Muster and PostgreSQL that can be cut, as a database restart
/// cuts connections: while down, open connections are dropped and new ones are closed
/// as soon as they are made.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
}

impl Relay {
    async fn start(target: (String, u16)) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = watch::channel(0u64);
        let (accept_up, accept_cut) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                if !accept_up.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let mut cut = accept_cut.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Relay { port, up, cut }
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    fn back(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// PostgreSQL restarts while Muster is in use: pages and calls answer 503 with a clear
/// message meanwhile (no 500, no hang), then work again without restarting Muster. The
/// bell's LISTEN reconnects, and open bell streams are told to look again.
#[sqlx::test(migrations = false)]
async fn a_database_restart_answers_503_meanwhile_then_recovers(pool: PgPool) {
    let options = (*pool.connect_options()).clone();
    let relay = Relay::start((options.get_host().to_owned(), options.get_port())).await;
    let relayed = PgPoolOptions::new()
        .max_connections(5)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options.host("127.0.0.1").port(relay.port))
        .await
        .unwrap();
    let app = spawn_app(relayed).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let people = "/o/eu-central-1/acme/people";
    let (status, _) = app.get(&owner, people).await;
    assert_eq!(status, 200);
    let mut stream = owner.get(app.url("/events")).send().await.unwrap();
    assert_eq!(stream.status(), 200);

    relay.down();
    let started = std::time::Instant::now();
    let (status, html) = app.get(&owner, people).await;
    assert_eq!(status, 503, "{html}");
    assert!(html.contains("can't reach its database"), "{html}");
    let call = app
        .call::<app::people::api::GetPeople>(
            &owner,
            &[("region", "eu-central-1"), ("short_name", "acme")],
        )
        .await;
    assert_eq!(call.status, 503);
    assert_eq!(call.result.unwrap_err(), app::error::AppError::Unavailable);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "answered, not hung"
    );

    relay.back();
    let mut recovered = false;
    for _ in 0..100 {
        if app.get(&owner, people).await.0 == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(recovered, "Muster did not recover without a restart");
    // The open bell stream hears "look again" once LISTEN is back.
    let event = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.chunk().await {
                Ok(Some(bytes)) if String::from_utf8_lossy(&bytes).contains("invitations") => {
                    return true;
                }
                Ok(Some(_)) => continue,
                _ => return false,
            }
        }
    })
    .await;
    assert_eq!(event, Ok(true), "no refetch event after LISTEN reconnected");
}

/// People who close the tab, or a proxy that gives up, while their page is still being
/// rendered: the server goes on serving everyone else and panics nowhere. Leptos's
/// Suspense boundaries run a task of their own that walks the page again while its data
/// load; a render dropped half-way used to pull the page's reactive values out from under
/// that task on the other worker thread ("reactive value already disposed", "expected
/// context of type I18n"). The real server binary, on its own multi-threaded runtime,
/// and 2,000 visits cut off at every point of the render.
#[sqlx::test(migrations = false)]
async fn people_who_leave_mid_page_cause_no_panic(pool: PgPool) {
    const VISITS: usize = 2_000;
    // Few at once: a server kept busy by many cuts them before it starts the page.
    const AT_ONCE: usize = 4;
    server::MIGRATOR.run(&pool).await.unwrap();
    let (smtp, mailbox) = server::mailsink::start("127.0.0.1:0").await.unwrap();
    let process = Process::start(&database_url(&pool), smtp).await;
    let app = process.app(mailbox, &pool);
    let owner = org(
        &app,
        "Acme",
        "olga@acme.test",
        &[("vic@acme.test", "VIEWER")],
    )
    .await;
    let signed_in = app
        .call::<app::auth::api::SignIn>(
            &new_client(),
            &[("email", "olga@acme.test"), ("password", PASSWORD)],
        )
        .await;
    let cookie = signed_in
        .set_cookies
        .iter()
        .find(|c| c.starts_with("muster_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let path = "/o/eu-central-1/acme/people";
    // How long a whole page takes here: the visits leave at every point of it.
    let started = std::time::Instant::now();
    let (status, html) = app.get(&owner, path).await;
    assert_eq!(status, 200);
    assert!(html.contains("vic@acme.test"));
    let whole = started.elapsed().max(Duration::from_millis(1));

    let addr = process.base.trim_start_matches("http://").to_owned();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\r\n");
    let mut visitors = tokio::task::JoinSet::new();
    for v in 0..AT_ONCE {
        let (addr, request) = (addr.clone(), request.clone());
        visitors.spawn(async move {
            for i in (v..VISITS).step_by(AT_ONCE) {
                let mut stream = TcpStream::connect(&addr).await.unwrap();
                stream.write_all(request.as_bytes()).await.unwrap();
                // Leaving at every point of the page's time.
                tokio::time::sleep(whole * ((i * 37) % 100) as u32 / 100).await;
                // Reset, as a closed tab or a timed-out proxy does.
                stream.set_zero_linger().unwrap();
                drop(stream);
            }
        });
    }
    visitors.join_all().await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (status, html) = app.get(&owner, path).await;
    assert_eq!(status, 200, "the server still serves pages");
    assert!(html.contains("vic@acme.test"));
    let log = process.stderr();
    let panics = log.matches("panicked at").count();
    assert_eq!(
        panics, 0,
        "{panics} panics in {VISITS} visits left mid-page:\n{log}"
    );
}

/// `kill -9` of the server while Invite All runs over 10,000 people. After a restart,
/// every person has exactly one invitation and one mail: a chunk is prepared in one
/// transaction, and a mail caught between the mail server's "accepted" and our commit
/// is sent again under its one Message-ID.
#[sqlx::test(migrations = false)]
async fn kill_9_during_invite_all_loses_and_doubles_no_invitation(pool: PgPool) {
    const PEOPLE: i64 = 10_000;
    let database_url = database_url(&pool);
    server::MIGRATOR.run(&pool).await.unwrap();
    let (smtp, mailbox) = server::mailsink::start("127.0.0.1:0").await.unwrap();
    let first = Process::start(&database_url, smtp).await;
    let app = first.app(mailbox.clone(), &pool);
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    sqlx::query("UPDATE organizations SET seats = 20000, invite_daily_quota = 20000")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO people (org_id, name, email, role, status)
         SELECT o.id, 'Person ' || g, 'p' || g || '@acme.test', 'VIEWER', 'active'
         FROM organizations o, generate_series(1, $1) g",
    )
    .bind(PEOPLE)
    .execute(&pool)
    .await
    .unwrap();

    ok(app
        .call::<app::invite_all::api::InviteAll>(
            &owner,
            &[("region", "eu-central-1"), ("short_name", "acme")],
        )
        .await)
    .await;
    // Kill it once the work is well under way, but not done.
    let invitations = "SELECT count(*) FROM invitations WHERE email LIKE 'p%@acme.test'";
    for _ in 0..3000 {
        if app.count(invitations).await >= 1000 && !mailbox.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.kill_9();
    let at_kill = (app.count(invitations).await, mailbox.len());
    println!(
        "killed with {} invitations prepared and {} mails received",
        at_kill.0, at_kill.1
    );
    assert!(
        at_kill.0 < PEOPLE || (at_kill.1 as i64) < PEOPLE,
        "the kill came after the work was done: {at_kill:?}"
    );

    let _second = Process::start(&database_url, smtp).await;
    let mut done = false;
    for _ in 0..1800 {
        let pending = app
            .count("SELECT count(*) FROM outbox_emails WHERE status = 'pending'")
            .await;
        let open = app
            .count("SELECT count(*) FROM invite_batches WHERE finished_at IS NULL")
            .await;
        if pending == 0 && open == 0 && app.count(invitations).await == PEOPLE {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(done, "the restarted server did not finish the batch");
    assert_eq!(
        app.count("SELECT count(DISTINCT email) FROM invitations WHERE email LIKE 'p%@acme.test'")
            .await,
        PEOPLE,
        "one invitation per person"
    );
    let mails: Vec<_> = mailbox
        .all()
        .into_iter()
        .filter(|m| {
            m.to.iter()
                .any(|t| t.starts_with('p') && t.ends_with("@acme.test"))
        })
        .collect();
    let mut people: Vec<&str> = mails.iter().map(|m| m.to[0].as_str()).collect();
    people.sort_unstable();
    people.dedup();
    assert_eq!(people.len() as i64, PEOPLE, "everyone got their mail");
    let mut ids: Vec<(String, String)> = mails
        .iter()
        .map(|m| (m.to[0].clone(), m.message_id.clone().expect("a Message-ID")))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.len() as i64,
        PEOPLE,
        "one distinct mail (Message-ID) per person"
    );
    println!(
        "{} mails transmitted for {PEOPLE} people ({} sent again after the kill, same Message-ID)",
        mails.len(),
        mails.len() as i64 - PEOPLE
    );
}
