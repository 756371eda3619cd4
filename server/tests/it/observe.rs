//! What an operator sees: metrics that move with the work, request ids in answers, pages
//! and logs, readiness.

use std::time::Duration;

use crate::common::*;
use app::auth::api::SignIn;
use sqlx::PgPool;

const TOKEN: &str = "metrics-token-for-tests";

/// The sum of every sample of `name` whose labels include all of `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            let series = l.split_whitespace().next().unwrap_or("");
            (series == name || series.starts_with(&format!("{name}{{")))
                && labels.iter().all(|label| series.contains(label))
        })
        .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .sum()
}

async fn scrape(app: &TestApp) -> String {
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

#[sqlx::test(migrations = false)]
async fn metrics_need_the_token_and_move_when_work_happens(pool: PgPool) {
    let app = spawn_app_with(
        pool,
        Options {
            extra_args: vec![
                "--metrics-token".into(),
                TOKEN.into(),
                "--max-failures-per-account".into(),
                "2".into(),
            ],
            ..Default::default()
        },
    )
    .await;
    let anonymous = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("nope")
        .send();
    assert_eq!(wrong.await.unwrap().status(), 401);

    let before = scrape(&app).await;
    assert_eq!(sample(&before, "muster_database_up", &[]), 1.0);
    assert!(sample(&before, "muster_db_pool_max_connections", &[]) >= 1.0);

    // Pages: counted per route, with their latency.
    for _ in 0..3 {
        assert_eq!(app.get(&app.client, "/signin").await.0, 200);
    }
    // An organization activated: its mail sent, its activation timed.
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    app.wait_for_mail("olga@acme.test", 1).await;
    // A bell stream held open.
    let stream = owner.get(app.url("/events")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    // Wrong passwords until the throttle refuses.
    let stranger = new_client();
    for _ in 0..3 {
        app.call::<SignIn>(
            &stranger,
            &[("email", "olga@acme.test"), ("password", "wrong password!")],
        )
        .await;
    }

    let mut after = scrape(&app).await;
    for _ in 0..50 {
        if sample(&after, "muster_mail_sent_total", &[]) >= 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = scrape(&app).await;
    }
    let signin = ["route=\"/signin\"", "method=\"GET\""];
    assert_eq!(
        sample(&after, "muster_http_requests_total", &signin)
            - sample(&before, "muster_http_requests_total", &signin),
        3.0,
        "{after}"
    );
    assert!(
        sample(
            &after,
            "muster_http_request_duration_seconds_count",
            &signin
        ) >= 3.0
    );
    assert!(
        sample(&after, "muster_mail_sent_total", &[]) >= 1.0,
        "{after}"
    );
    assert!(
        sample(&after, "muster_activation_seconds_count", &[]) >= 1.0,
        "{after}"
    );
    assert_eq!(sample(&after, "muster_bell_streams", &[]), 1.0, "{after}");
    assert!(
        sample(
            &after,
            "muster_throttle_refusals_total",
            &["kind=\"password\""]
        ) >= 1.0,
        "{after}"
    );
    assert!(after.contains("muster_mail_pending "), "{after}");
    assert!(after.contains("muster_invite_all_open "), "{after}");

    drop(stream);
    let mut closed = scrape(&app).await;
    for _ in 0..50 {
        if sample(&closed, "muster_bell_streams", &[]) == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        closed = scrape(&app).await;
    }
    assert_eq!(sample(&closed, "muster_bell_streams", &[]), 0.0);
}

#[sqlx::test(migrations = false)]
async fn metrics_on_their_own_listener_need_no_token_and_the_main_one_has_none(pool: PgPool) {
    let app = spawn_app_with(
        pool,
        Options {
            extra_args: vec!["--metrics-addr".into(), "127.0.0.1:0".into()],
            ..Default::default()
        },
    )
    .await;
    let addr = app.metrics_addr.expect("a metrics listener");
    let res = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("muster_db_pool_connections")
    );
    assert_eq!(app.get(&app.client, "/metrics").await.0, 404);
}

#[sqlx::test(migrations = false)]
async fn every_answer_names_its_request_and_error_pages_show_it(pool: PgPool) {
    let app = spawn_app(pool).await;
    let id_of =
        |res: &reqwest::Response| res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let first = app.client.get(app.url("/healthz")).send().await.unwrap();
    let second = app.client.get(app.url("/healthz")).send().await.unwrap();
    let (a, b) = (id_of(&first), id_of(&second));
    assert_eq!(a.len(), 16, "{a}");
    assert!(a.chars().all(|c| c.is_ascii_hexdigit()), "{a}");
    assert_ne!(a, b);

    let missing = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let id = id_of(&missing);
    // Without the empty comments that mark where hydration resumes, which no reader sees.
    let page = missing.text().await.unwrap().replace("<!>", "");
    assert!(page.contains("Request ID"), "{page}");
    assert!(page.contains(&format!(">{id}</code>")), "{page}");
}

#[sqlx::test(migrations = false)]
async fn ready_means_the_database_answers_with_every_migration(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (status, body) = app.get(&app.client, "/readyz").await;
    assert_eq!((status, body.as_str()), (200, "ready\n"));
    // A database one migration behind this build (an older one restored, say).
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let (status, body) = app.get(&app.client, "/readyz").await;
    assert_eq!(status, 503);
    assert!(body.contains("migration"), "{body}");
    assert_eq!(app.get(&app.client, "/healthz").await.0, 200);
}

#[sqlx::test(migrations = false)]
async fn json_logs_carry_the_request_id(pool: PgPool) {
    server::MIGRATOR.run(&pool).await.unwrap();
    let (smtp, _mailbox) = server::mailsink::start("127.0.0.1:0").await.unwrap();
    let process = Process::start_with(
        &database_url(&pool),
        smtp,
        &[("LOG_FORMAT", "json"), ("RUST_LOG", "info,sqlx=warn")],
    )
    .await;
    let res = reqwest::get(format!("{}/signin", process.base))
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let mut line = None;
    for _ in 0..50 {
        line = process
            .stderr()
            .lines()
            .find(|l| l.contains(&id) && l.contains("\"route\""))
            .map(str::to_owned);
        if line.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let line = line.unwrap_or_else(|| panic!("no log line for {id}:\n{}", process.stderr()));
    let entry: serde_json::Value = serde_json::from_str(&line).expect("one JSON object per line");
    assert_eq!(entry["span"]["id"], id.as_str(), "{entry}");
    assert_eq!(entry["fields"]["route"], "/signin", "{entry}");
    assert_eq!(entry["fields"]["status"], 200, "{entry}");
}
