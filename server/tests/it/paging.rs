//! Lists that scale: `GET /api/v1/members`, `/invitations` and `/audit` answer a page at a
//! time (`limit` at most 200), with a `Link` to the next page whose opaque cursor
//! continues after the last row shown, filtered as asked; and the audit page likewise.

use reqwest::Method;
use sqlx::PgPool;

use crate::common::*;
use crate::rest_api::{admin_key, create_key};

/// One page: status, rows, and the next page's address (from the `Link` header).
async fn page(app: &TestApp, key: &str, path: &str) -> (u16, serde_json::Value, Option<String>) {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        app.url(path)
    };
    let res = app.client.get(url).bearer_auth(key).send().await.unwrap();
    let status = res.status().as_u16();
    let next = res
        .headers()
        .get("link")
        .map(|v| v.to_str().unwrap().to_owned())
        .map(|link| {
            assert!(link.ends_with(">; rel=\"next\""), "{link}");
            link.trim_start_matches('<')
                .split('>')
                .next()
                .unwrap()
                .to_owned()
        });
    let body = res.json().await.unwrap_or(serde_json::Value::Null);
    (status, body, next)
}

fn emails(rows: &serde_json::Value) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_owned())
        .collect()
}

async fn invite(app: &TestApp, key: &str, email: &str, role: &str) {
    let body = serde_json::json!({ "email": email, "role": role });
    let (status, answer) = rest(
        app,
        Some(key),
        Method::POST,
        "/api/v1/invitations",
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
}

/// Seven invitations read three at a time while two more are made between pages: every
/// one of the seven comes exactly once, in order; the one made after the cursor comes
/// too, the one made before it does not (it is behind the reader).
#[sqlx::test(migrations = false)]
async fn a_cursor_survives_inserts_between_pages_without_repeating_or_skipping(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let key = admin_key(&app, &owner, "reader").await;
    let first: Vec<String> = ["b", "d", "f", "h", "j", "l", "n"]
        .iter()
        .map(|c| format!("{c}@acme.test"))
        .collect();
    for email in &first {
        invite(&app, &key, email, "VIEWER").await;
    }

    let (status, rows, next) = page(&app, &key, "/api/v1/invitations?limit=3").await;
    assert_eq!(status, 200, "{rows}");
    let mut seen = emails(&rows);
    assert_eq!(seen, ["b@acme.test", "d@acme.test", "f@acme.test"]);
    let mut next = next.expect("a next page");
    assert!(
        next.contains("limit=3"),
        "the next link keeps the page size: {next}"
    );
    // Made between pages: one behind the reader, one ahead.
    invite(&app, &key, "a@acme.test", "VIEWER").await;
    invite(&app, &key, "m@acme.test", "VIEWER").await;
    loop {
        let (status, rows, more) = page(&app, &key, &next).await;
        assert_eq!(status, 200, "{rows}");
        assert!(rows.as_array().unwrap().len() <= 3);
        seen.extend(emails(&rows));
        match more {
            Some(more) => next = more,
            None => break,
        }
    }
    let mut expected = first.clone();
    expected.push("m@acme.test".to_owned());
    expected.sort();
    assert_eq!(seen, expected, "each once, in order");
}

/// Filters: members by role, state and text; invitations open or expired, by role and
/// text; mistakes are named and change nothing.
#[sqlx::test(migrations = false)]
async fn lists_are_filtered_and_mistakes_are_named(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(
        &app,
        "Acme",
        "olga@acme.test",
        &[("ed@acme.test", "EDITOR"), ("vi@acme.test", "VIEWER")],
    )
    .await;
    accept(&app, "ed@acme.test").await;
    accept(&app, "vi@acme.test").await;
    let key = admin_key(&app, &owner, "reader").await;
    invite(&app, &key, "late@globex.test", "EDITOR").await;
    invite(&app, &key, "gone@globex.test", "VIEWER").await;
    sqlx::query("UPDATE invitations SET expires_at = now() - interval '1 day' WHERE email = 'gone@globex.test'")
        .execute(&app.pool)
        .await
        .unwrap();

    let (_, all, next) = page(&app, &key, "/api/v1/members").await;
    assert_eq!(all.as_array().unwrap().len(), 3, "{all}");
    assert!(next.is_none(), "one page holds them");
    let (_, editors, _) = page(&app, &key, "/api/v1/members?role=EDITOR").await;
    assert_eq!(emails(&editors), ["ed@acme.test"]);
    let (_, found, _) = page(&app, &key, "/api/v1/members?q=VI%40").await;
    assert_eq!(
        emails(&found),
        ["vi@acme.test"],
        "text matches name or address, any case"
    );
    let (_, inactive, _) = page(&app, &key, "/api/v1/members?state=inactive").await;
    assert_eq!(emails(&inactive), Vec::<String>::new());
    let (_, one, next) = page(&app, &key, "/api/v1/members?limit=1&role=EDITOR").await;
    assert_eq!(emails(&one), ["ed@acme.test"]);
    assert!(next.is_none());

    let (_, open, _) = page(&app, &key, "/api/v1/invitations").await;
    assert_eq!(emails(&open), ["late@globex.test"]);
    let (_, expired, _) = page(&app, &key, "/api/v1/invitations?state=expired").await;
    assert_eq!(emails(&expired), ["gone@globex.test"]);
    let (_, viewers, _) = page(&app, &key, "/api/v1/invitations?role=VIEWER").await;
    assert_eq!(emails(&viewers), Vec::<String>::new());

    for (path, fields) in [
        ("/api/v1/members?limit=201", vec!["limit"]),
        ("/api/v1/members?limit=0&role=KING", vec!["role", "limit"]),
        ("/api/v1/members?cursor=not-ours", vec!["cursor"]),
        ("/api/v1/members?role=", vec!["role"]),
        ("/api/v1/invitations?state=maybe", vec!["state"]),
        (
            "/api/v1/audit?from=soon&action=nope",
            vec!["action", "from"],
        ),
    ] {
        let (status, problem, _) = page(&app, &key, path).await;
        assert_eq!(status, 422, "{path}: {problem}");
        let named: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{problem}"))
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(named, fields, "{path}: {problem}");
    }
    // Empty parameters are mistakes too (on the audit page an empty field filters nothing).
    let (status, _, _) = page(&app, &key, "/api/v1/audit?action=").await;
    assert_eq!(status, 422);
}

/// The audit log through the API: newest first, paged, filtered by action, actor and
/// time; a VIEWER's key may not read it. The audit page pages and filters the same way.
#[sqlx::test(migrations = false)]
async fn the_audit_log_is_paged_and_filtered_for_programs_and_on_its_page(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let key = admin_key(&app, &owner, "reader").await;
    for n in 0..5 {
        invite(&app, &key, &format!("p{n}@globex.test"), "VIEWER").await;
    }
    let (status, rows, next) =
        page(&app, &key, "/api/v1/audit?limit=2&action=invitation_sent").await;
    assert_eq!(status, 200, "{rows}");
    let subjects = |rows: &serde_json::Value| -> Vec<String> {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["subject"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        subjects(&rows),
        ["p4@globex.test", "p3@globex.test"],
        "newest first"
    );
    let next = next.unwrap();
    assert!(next.contains("action=invitation_sent"), "{next}");
    let (_, older, _) = page(&app, &key, &next).await;
    assert_eq!(subjects(&older), ["p2@globex.test", "p1@globex.test"]);
    assert_eq!(rows[0]["action"], "invitation_sent");
    assert!(rows[0]["at"].as_str().unwrap().ends_with('Z'), "{rows}");

    let (_, by_key, _) = page(&app, &key, "/api/v1/audit?actor=READER").await;
    // Each invitation: the person added, and the invitation sent.
    assert_eq!(
        by_key.as_array().unwrap().len(),
        10,
        "the key's entries: {by_key}"
    );
    let (_, tomorrow, _) = page(&app, &key, "/api/v1/audit?from=2999-01-01").await;
    assert_eq!(tomorrow, serde_json::json!([]));
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (_, until_today, _) = page(&app, &key, &format!("/api/v1/audit?to={today}")).await;
    assert!(
        until_today.as_array().unwrap().len() >= 6,
        "the whole day is included"
    );

    let viewer = create_key(&app, &owner, "viewer", "VIEWER").await.unwrap();
    let (status, _, _) = page(&app, viewer["key"].as_str().unwrap(), "/api/v1/audit").await;
    assert_eq!(status, 403);

    // The page: filtered in its address, the filter kept in the older entries' link.
    let (status, html) = app
        .get(
            &owner,
            "/o/eu-central-1/acme/people/audit?action=invitation_sent",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        html.matches("data-action=\"audit.invitation_sent\"")
            .count(),
        5,
        "{html}"
    );
    assert!(!html.contains("data-action=\"audit.api_key_created\""));
    let (status, html) = app
        .get(&owner, "/o/eu-central-1/acme/people/audit?from=someday")
        .await;
    assert_eq!(status, 422, "{html}");
}
