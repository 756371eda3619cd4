//! Exports of the audit log: a filtered range as CSV or JSON lines, written in the
//! background a part at a time with progress, streamed in order, audited; only for
//! those who may read the log, only of their organization.

use std::time::Duration;

use sqlx::PgPool;

use crate::common::*;
use app::audit::api::{ExportAudit, GetAuditExport};

/// Asks for an export of Acme's log; returns its id (the newest export).
async fn export(app: &TestApp, c: &reqwest::Client, format: &str, filter: &[(&str, &str)]) -> i64 {
    let mut form = vec![
        ("region", "eu-central-1"),
        ("short_name", "acme"),
        ("format", format),
    ];
    form.extend_from_slice(filter);
    ok(app.call::<ExportAudit>(c, &form).await).await;
    app.count("SELECT max(id) FROM audit_exports").await
}

/// Waits (up to 60 s) for the export to be written; its last state as the page sees it.
async fn written(app: &TestApp, c: &reqwest::Client, id: i64) -> serde_json::Value {
    let id = id.to_string();
    let form = [
        ("region", "eu-central-1"),
        ("short_name", "acme"),
        ("id", id.as_str()),
    ];
    for _ in 0..600 {
        let e = ok(app.call::<GetAuditExport>(c, &form).await).await;
        if e["state"] != "Queued" && e["state"] != "Running" {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("export {id} not written in 60 s")
}

async fn download(app: &TestApp, c: &reqwest::Client, id: i64) -> (u16, String, String) {
    let res = c
        .get(app.url(&format!("/o/eu-central-1/acme/people/audit/exports/{id}")))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, res.text().await.unwrap())
}

#[sqlx::test(migrations = false)]
async fn an_export_holds_the_filtered_range_in_order_and_is_audited(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    for (name, email) in [
        ("Ann", "ann@acme.test"),
        ("=Bob", "bob@acme.test"),
        ("Cy", "cy@acme.test"),
    ] {
        add_person(&app, &owner, "acme", name, email, "VIEWER").await;
    }
    let id = export(&app, &owner, "csv", &[("action", "person_added")]).await;
    let e = written(&app, &owner, id).await;
    assert_eq!(e["state"], "Done", "{e}");
    assert_eq!(e["total"], e["done"]);
    let (status, kind, body) = download(&app, &owner, id).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/csv"), "{kind}");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "id,at,actor,action,subject,detail");
    let subjects: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(4).unwrap())
        .filter(|s| s.ends_with("@acme.test") && !s.starts_with("olga"))
        .collect();
    assert_eq!(
        subjects,
        ["cy@acme.test", "bob@acme.test", "ann@acme.test"],
        "newest first: {body}"
    );
    assert!(
        lines[1..].iter().all(|l| l.contains(",person_added,")),
        "the filter holds: {body}"
    );
    assert_eq!(audit_actions(&app, &owner).await[0], "audit_exported");
    // As a browser asks for it (compressed): the whole file arrives.
    let res = owner
        .get(app.url(&format!("/o/eu-central-1/acme/people/audit/exports/{id}")))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let compressed = res.bytes().await;
    assert!(
        compressed.is_ok_and(|b| !b.is_empty()),
        "the download broke off"
    );

    // Unfiltered, as JSON lines: every entry up to its own request, which is in it.
    let id = export(&app, &owner, "jsonl", &[]).await;
    assert_eq!(written(&app, &owner, id).await["state"], "Done");
    let (status, kind, body) = download(&app, &owner, id).await;
    assert_eq!((status, kind.as_str()), (200, "application/x-ndjson"));
    let entries: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        entries[0]["action"], "audit_exported",
        "its own request first"
    );
    let all = app.count("SELECT count(*) FROM audit_events e JOIN organizations o ON o.id = e.org_id WHERE o.short_name = 'acme'").await;
    assert_eq!(entries.len() as i64, all);
}

#[sqlx::test(migrations = false)]
async fn a_long_log_is_written_in_parts_without_repeats(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    sqlx::query(
        "INSERT INTO audit_events (org_id, actor_id, actor_name, action, subject)
         SELECT o.id, NULL, 'Robot ' || g, 'person_added', 'p' || g || '@acme.test'
         FROM organizations o, generate_series(1, 12000) g WHERE o.short_name = 'acme'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let id = export(&app, &owner, "csv", &[("actor", "robot")]).await;
    let e = written(&app, &owner, id).await;
    assert_eq!(
        (e["total"].as_i64(), e["done"].as_i64()),
        (Some(12000), Some(12000))
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_export_parts WHERE export_id = {id}"
        ))
        .await,
        3,
        "5,000 entries a part"
    );
    let (_, _, body) = download(&app, &owner, id).await;
    let ids: Vec<i64> = body
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids.len(), 12000);
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "newest first, each once"
    );
}

#[sqlx::test(migrations = false)]
async fn only_those_who_may_read_the_log_export_it(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(
        &app,
        "Acme",
        "olga@acme.test",
        &[("vic@acme.test", "VIEWER")],
    )
    .await;
    let vic = accept(&app, "vic@acme.test").await;
    let form = [
        ("region", "eu-central-1"),
        ("short_name", "acme"),
        ("format", "csv"),
    ];
    assert_eq!(app.call::<ExportAudit>(&vic, &form).await.status, 403);
    let bad = [
        ("region", "eu-central-1"),
        ("short_name", "acme"),
        ("format", "xlsx"),
    ];
    let reply = app.call::<ExportAudit>(&owner, &bad).await;
    assert_eq!(reply.status, 422);
    assert_eq!(field_keys(&reply.result.unwrap_err())[0].0, "format");
    let id = export(&app, &owner, "csv", &[]).await;
    written(&app, &owner, id).await;
    assert_eq!(download(&app, &vic, id).await.0, 403);
    let other = org(&app, "Beta", "bea@beta.test", &[]).await;
    assert_eq!(
        download(&app, &other, id).await.0,
        404,
        "another organization's export"
    );
    assert_eq!(
        download(&app, &new_client(), id).await.0,
        303,
        "sign in first"
    );
}
