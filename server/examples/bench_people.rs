//! Single-user benchmarks, run by `./muster bench` against the private PostgreSQL cluster:
//!
//! 1. The people list of an organization of 1,000,000 people (seeded once and kept):
//!    first page, a page deep in the list, the other sort order, and searches, each timed
//!    through HTTP against the real server functions (p50 / p95 / max over 20 calls).
//! 2. Invite All over 100,000 never-invited people (a fresh organization each run): the
//!    time the "Yes" request takes (queueing), then until every invitation exists, then
//!    until the SMTP sink has received every mail, and mails per second.
//!
//! 3. The time from sending an invitation (on one server instance) to the
//!    `invitations` event on the invitee's open event stream (served by a second instance
//!    on the same database), p50 / p99 over `BENCH_BELL` invitations.
//!
//! 4. A people import of 100,000 rows (a fresh organization each run): the upload and its
//!    dry run (one request), then Import (invite now) until every person is written and
//!    their Invite All batch is queued, as the report page's progress shows it.
//!
//! Sizes can be changed: `BENCH_PEOPLE=1000000 BENCH_INVITE_ALL=100000 BENCH_BELL=200
//! BENCH_SMTP_CONNECTIONS=32 BENCH_IMPORT=100000 ./muster bench`.

use std::time::{Duration, Instant};

use clap::Parser;
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
use server::config::Config;
use sqlx::PgPool;

#[path = "shared/seed.rs"]
mod seed;
use seed::{env_size, seed_org};

struct Bench {
    base: String,
    client: reqwest::Client,
    cookie: String,
}

impl Bench {
    async fn call<S>(&self, form: &[(&str, &str)]) -> (u16, serde_json::Value)
    where
        S: ServerFn,
        S::Output: serde::de::DeserializeOwned + serde::Serialize,
    {
        let res = self
            .client
            .post(format!("{}{}", self.base, S::PATH))
            .header("cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body = res.bytes().await.unwrap_or_default();
        (
            status,
            app::wire::answer_as_json::<S>(&body).unwrap_or_default(),
        )
    }

    /// Times `runs` calls; prints p50 / p95 / max and how many rows the last one showed.
    async fn time<S>(&self, label: &str, form: &[(&str, &str)], runs: usize)
    where
        S: ServerFn,
        S::Output: serde::de::DeserializeOwned + serde::Serialize,
    {
        let mut ms = Vec::with_capacity(runs);
        let mut rows = 0;
        for _ in 0..runs {
            let started = Instant::now();
            let (status, page) = self.call::<S>(form).await;
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(status, 200, "{label}: {page}");
            rows = page["people"].as_array().map_or(0, |p| p.len());
        }
        ms.sort_by(f64::total_cmp);
        let pick = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
        println!(
            "  {label:<44} p50 {:>7.1} ms   p95 {:>7.1} ms   max {:>7.1} ms   ({rows} rows)",
            pick(0.5),
            pick(0.95),
            pick(1.0)
        );
    }
}

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL (./muster bench sets it)");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(10)
        .connect(&url)
        .await
        .unwrap();
    server::MIGRATOR.run(&pool).await.unwrap();
    let million = env_size("BENCH_PEOPLE", 1_000_000);
    let batch = env_size("BENCH_INVITE_ALL", 100_000);
    let smtp_connections = env_size("BENCH_SMTP_CONNECTIONS", 32);

    let (sink_addr, sink) = server::mailsink::start("127.0.0.1:0").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config::try_parse_from([
        "server",
        "--mode",
        "development",
        "--database-url",
        &url,
        "--smtp-url",
        &format!("smtp://{sink_addr}"),
        "--invite-daily-quota",
        "1000000",
        // The bell row invites one person 200 times (and every run on this database mails
        // from 127.0.0.1): the daily limits per invitee and per client are for real
        // people, and refused the row ("MailLimited").
        "--max-invitations-per-recipient",
        "1000000",
        "--max-mails-per-client",
        "1000000",
        "--smtp-connections",
        &smtp_connections.to_string(),
    ])
    .unwrap();
    let options = LeptosOptions::builder()
        .output_name("muster")
        .site_addr(addr)
        .build();
    let running = server::launch(&config, options, pool.clone(), listener)
        .await
        .unwrap();
    let client = reqwest::Client::new();

    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!("People list, organization of {million} people ({build} build, HTTP round trips):");
    let short = format!("bench-{million}");
    let (org_id, token) = seed_org(&pool, &short, million).await;
    let bench = Bench {
        base: running.base_url.clone(),
        client: client.clone(),
        cookie: format!("muster_session={token}"),
    };
    let (middle,): (i64,) = sqlx::query_as(
        "SELECT id FROM people WHERE org_id = $1 ORDER BY lower(name), email OFFSET $2 LIMIT 1",
    )
    .bind(org_id)
    .bind(million / 2)
    .fetch_one(&pool)
    .await
    .unwrap();
    let middle = middle.to_string();
    let org = [("region", "eu-central-1"), ("short_name", short.as_str())];
    let with = |extra: &[(&'static str, &str)]| -> Vec<(&str, String)> {
        org.iter()
            .map(|(k, v)| (*k, v.to_string()))
            .chain(extra.iter().map(|(k, v)| (*k, v.to_string())))
            .collect()
    };
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("first page, by name", with(&[])),
        (
            "page in the middle (keyset, after=)",
            with(&[("after", &middle)]),
        ),
        (
            "page before the middle (before=)",
            with(&[("before", &middle)]),
        ),
        (
            "first page, by email descending",
            with(&[("sort", "-email")]),
        ),
        ("search \"anna\" (many matches)", with(&[("q", "anna")])),
        (
            "search \"bernard 12345\" (ten matches)",
            with(&[("q", "bernard 12345")]),
        ),
        (
            "search \"user777777@\" (one email)",
            with(&[("q", "user777777@")]),
        ),
        ("search \"zzqx\" (no match)", with(&[("q", "zzqx")])),
    ];
    for (label, form) in &cases {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        bench
            .time::<app::people::api::GetPeople>(label, &form, 20)
            .await;
    }

    bell_latency(&config, &pool, &bench, env_size("BENCH_BELL", 200)).await;
    import_rows(&pool, &bench, env_size("BENCH_IMPORT", 100_000)).await;

    if batch == 0 {
        return;
    }
    println!(
        "\nInvite All over {batch} people, to a real SMTP sink over {smtp_connections} connections (SMTP_CONNECTIONS):"
    );
    let all_short = format!("bench-invite-all-{}", chrono::Utc::now().timestamp());
    let (all_org, token) = seed_org(&pool, &all_short, batch).await;
    let bench = Bench {
        cookie: format!("muster_session={token}"),
        ..bench
    };
    let org = [
        ("region", "eu-central-1"),
        ("short_name", all_short.as_str()),
    ];
    let before = sink.len();
    let started = Instant::now();
    let (status, reply) = bench.call::<app::invite_all::api::InviteAll>(&org).await;
    assert_eq!(status, 200, "{reply}");
    let queued = started.elapsed();
    println!(
        "  \"Yes\" answered in {:.0} ms (the whole batch queued by one statement)",
        queued.as_secs_f64() * 1000.0
    );
    let mut prepared_at = None;
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if prepared_at.is_none() {
            let (open,): (i64,) = sqlx::query_as(
                "SELECT count(*) FROM invite_batches WHERE org_id = $1 AND finished_at IS NULL",
            )
            .bind(all_org)
            .fetch_one(&pool)
            .await
            .unwrap();
            if open == 0 {
                prepared_at = Some(started.elapsed());
            }
        }
        let delivered = (sink.len() - before) as i64;
        if delivered >= batch {
            break;
        }
        let (failed,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM outbox_emails e JOIN invite_batches b ON b.id = e.batch_id
             WHERE b.org_id = $1 AND e.status = 'failed'",
        )
        .bind(all_org)
        .fetch_one(&pool)
        .await
        .unwrap();
        if failed > 0 {
            println!(
                "  {failed} mails failed ({delivered} delivered): see outbox_emails.last_error"
            );
            std::process::exit(1);
        }
        if started.elapsed() > Duration::from_secs(1800) {
            println!("  gave up after 30 minutes with {delivered} mails delivered");
            return;
        }
    }
    let done = started.elapsed();
    let prepared = prepared_at.unwrap_or(done);
    let (invitations,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM invitations WHERE org_id = $1")
            .bind(all_org)
            .fetch_one(&pool)
            .await
            .unwrap();
    println!(
        "  {invitations} invitations and mails created after {:.1} s ({:.0} per second)",
        prepared.as_secs_f64(),
        batch as f64 / prepared.as_secs_f64()
    );
    println!(
        "  {batch} mails received by the SMTP sink after {:.1} s: {:.0} mails per second",
        done.as_secs_f64(),
        batch as f64 / done.as_secs_f64()
    );
}

/// Resends one invitation `runs` times through instance A and times each until the
/// invitee's event stream on instance B (same database) announces it.
async fn bell_latency(config: &Config, pool: &PgPool, a: &Bench, runs: i64) {
    use app::people::api::{AddPerson, SendInvite};
    println!("\nInvitation to bell, across two server instances ({runs} invitations):");
    let stamp = chrono::Utc::now().timestamp();
    let inviter_org = format!("bench-bell-a-{stamp}");
    let invitee_org = format!("bench-bell-b-{stamp}");
    let (_, inviter) = seed_org(pool, &inviter_org, 0).await;
    let (_, invitee) = seed_org(pool, &invitee_org, 0).await;
    sqlx::query("UPDATE organizations SET invite_daily_quota = 100000 WHERE short_name = $1")
        .bind(&inviter_org)
        .execute(pool)
        .await
        .unwrap();
    let a = Bench {
        base: a.base.clone(),
        client: a.client.clone(),
        cookie: format!("muster_session={inviter}"),
    };
    let email = format!("owner@{invitee_org}.bench");
    let org = [
        ("region", "eu-central-1"),
        ("short_name", inviter_org.as_str()),
    ];
    let mut form = org.to_vec();
    form.extend([
        ("name", "Bell Invitee"),
        ("email", email.as_str()),
        ("role", "VIEWER"),
    ]);
    let (status, reply) = a.call::<AddPerson>(&form).await;
    assert_eq!(status, 200, "{reply}");
    // The invitee is also the owner of the other organization: pick the inviter's row.
    let (person,): (i64,) = sqlx::query_as(
        "SELECT p.id FROM people p JOIN organizations o ON o.id = p.org_id
         WHERE p.email = $1 AND o.short_name = $2",
    )
    .bind(&email)
    .bind(&inviter_org)
    .fetch_one(pool)
    .await
    .unwrap();
    let person = person.to_string();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = LeptosOptions::builder()
        .output_name("muster")
        .site_addr(addr)
        .build();
    let b = server::launch(config, options, pool.clone(), listener)
        .await
        .unwrap();
    let mut stream = a
        .client
        .get(format!("{}/events", b.base_url))
        .header("cookie", format!("muster_session={invitee}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    tokio::spawn(async move {
        while let Ok(Some(chunk)) = stream.chunk().await {
            for _ in String::from_utf8_lossy(&chunk).matches("event: invitations") {
                let _ = tx.send(Instant::now());
            }
        }
    });
    let mut form = org.to_vec();
    form.extend([("person_id", person.as_str()), ("confirmed", "true")]);
    let mut ms = Vec::new();
    for _ in 0..runs {
        while rx.try_recv().is_ok() {}
        let sent = Instant::now();
        let (status, reply) = a.call::<SendInvite>(&form).await;
        assert_eq!(status, 200, "{reply}");
        let Ok(Some(seen)) = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await else {
            println!("  an event did not arrive within 5 s");
            continue;
        };
        ms.push((seen - sent).as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    let pick = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    println!(
        "  request sent -> event on the other instance: p50 {:.1} ms   p99 {:.1} ms   max {:.1} ms   ({} of {runs} arrived)",
        pick(0.5),
        pick(0.99),
        pick(1.0),
        ms.len()
    );
}

/// Uploads a CSV file of `rows` people to a fresh organization (the dry run), then
/// imports it, inviting them now; prints both times and the import's progress.
async fn import_rows(pool: &PgPool, bench: &Bench, rows: i64) {
    if rows == 0 {
        return;
    }
    println!("\nPeople import of {rows} rows (CSV upload, dry run, then Import and invite now):");
    let short = format!("bench-import-{}", chrono::Utc::now().timestamp());
    let (_, token) = seed_org(pool, &short, 0).await;
    let cookie = format!("muster_session={token}");
    let mut file = String::from("Name;E-Mail;Rolle\n");
    for i in 0..rows {
        file.push_str(&format!("Person {i};person{i}@{short}.bench;Betrachter\n"));
    }
    let boundary = "bench-import-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"invite\"\r\n\r\nnow\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\n\r\n"
    );
    body.push_str(&file);
    body.push_str(&format!("\r\n--{boundary}--\r\n"));
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let started = Instant::now();
    let res = no_redirects
        .post(format!(
            "{}/o/eu-central-1/{short}/people/import/upload",
            bench.base
        ))
        .header("cookie", &cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let checked = started.elapsed();
    let to = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    let Some(id) = to
        .as_deref()
        .and_then(|t| t.rsplit('/').next())
        .and_then(|id| id.parse::<i64>().ok())
    else {
        println!(
            "  the upload was refused ({}): {}",
            res.status(),
            res.text().await.unwrap_or_default()
        );
        std::process::exit(1);
    };
    println!(
        "  upload and dry run of {} KB: {:.1} s (target 10 s)",
        file.len() / 1024,
        checked.as_secs_f64()
    );
    let id_text = id.to_string();
    let form = [
        ("region", "eu-central-1"),
        ("short_name", short.as_str()),
        ("id", id_text.as_str()),
    ];
    let bench = Bench {
        base: bench.base.clone(),
        client: bench.client.clone(),
        cookie,
    };
    let started = Instant::now();
    let (status, reply) = bench.call::<app::import::api::StartImport>(&form).await;
    assert_eq!(status, 200, "{reply}");
    let mut seen = Vec::new();
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let (status, progress) = bench
            .call::<app::import::api::GetImportProgress>(&form)
            .await;
        assert_eq!(status, 200, "{progress}");
        let done = progress["done"].as_i64().unwrap_or(0);
        if seen.last() != Some(&done) {
            seen.push(done);
        }
        match progress["state"].as_str() {
            Some("Queued" | "Importing") => {}
            Some("Imported") => break,
            other => {
                println!("  the import stopped: {other:?} {progress}");
                std::process::exit(1);
            }
        }
        if started.elapsed() > Duration::from_secs(600) {
            println!("  gave up after 10 minutes");
            std::process::exit(1);
        }
    }
    println!(
        "  import of {rows} people (written in one transaction, invitations queued): {:.1} s (target 30 s)",
        started.elapsed().as_secs_f64()
    );
    println!("  progress seen by the page: {} steps", seen.len());
    // Its Invite All batch of `rows` would otherwise wait in this database for the next
    // server started on it (`./muster bench load`), and load it.
    sqlx::query("DELETE FROM organizations WHERE region = 'eu-central-1' AND short_name = $1")
        .bind(&short)
        .execute(pool)
        .await
        .unwrap();
    // The deleted rows' pages stay in the tables until a vacuum: with the statistics of a
    // restarted cluster, the planner then took the invitations table for a handful of rows
    // and scanned its 1,106 pages for every person on a page (the load run's People pages,
    // by hand and Muster's alike, fell from 2,500 to 300 a second). The tables the import
    // emptied are rewritten; people, a tenth of whose 1,100,000 rows went, only analyzed
    // (its lists read through indexes; rewriting it would cost every bench run seconds).
    for statement in [
        "VACUUM (FULL, ANALYZE) invitations",
        "VACUUM (FULL, ANALYZE) people_import_rows",
        "VACUUM (ANALYZE) people",
        "VACUUM (ANALYZE) memberships",
    ] {
        sqlx::query(statement).execute(pool).await.unwrap();
    }
}
