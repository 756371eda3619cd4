//! Importing people from a CSV file: the dry run names each row's outcome and writes
//! nothing; the import writes every row to be added or none; the rejected rows come back
//! as a file a spreadsheet cannot run; only those who may invite import, only roles they
//! may give. Uploaded as a browser without JavaScript sends a form.

use std::time::Duration;

use sqlx::PgPool;

use crate::common::*;
use app::import::api::{CheckImportAgain, GetImport, StartImport};

const UPLOAD: &str = "/o/eu-central-1/acme/people/import/upload";
const BOUNDARY: &str = "muster-test-boundary-7f3a9c";

/// Uploads `bytes` as the import form does (multipart); the status and where it leads.
async fn upload_as(
    app: &TestApp,
    c: &reqwest::Client,
    file_name: &str,
    bytes: &[u8],
    invite: &str,
) -> (u16, String) {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"invite\"\r\n\r\n{invite}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let res = c
        .post(app.url(UPLOAD))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header("accept", "text/html")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    let location = match location {
        Some(location) => location,
        None => res.text().await.unwrap(),
    };
    (status, location)
}

/// Uploads and expects the dry run's report: the import's id.
async fn checked(app: &TestApp, c: &reqwest::Client, text: &str, invite: &str) -> i64 {
    let (status, to) = upload_as(app, c, "people.csv", text.as_bytes(), invite).await;
    assert_eq!(status, 303, "{to}");
    let id = to
        .strip_prefix("/o/eu-central-1/acme/people/import/")
        .unwrap_or_else(|| panic!("to the report, not {to}"));
    id.parse().unwrap()
}

async fn report(
    app: &TestApp,
    c: &reqwest::Client,
    id: i64,
    outcome: Option<&str>,
) -> serde_json::Value {
    let id = id.to_string();
    let mut form = vec![
        ("region", "eu-central-1"),
        ("short_name", "acme"),
        ("id", id.as_str()),
    ];
    if let Some(outcome) = outcome {
        form.push(("outcome", outcome));
    }
    ok(app.call::<GetImport>(c, &form).await).await
}

fn count(report: &serde_json::Value, outcome: &str) -> i64 {
    report["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c[0] == outcome)
        .unwrap_or_else(|| panic!("{outcome} in {report}"))[1]
        .as_i64()
        .unwrap()
}

async fn start(app: &TestApp, c: &reqwest::Client, id: i64) -> Reply<serde_json::Value> {
    let id = id.to_string();
    let form = [
        ("region", "eu-central-1"),
        ("short_name", "acme"),
        ("id", id.as_str()),
    ];
    app.call::<StartImport>(c, &form).await
}

/// Waits (up to 120 s) until the import is no longer queued or running.
async fn finished(app: &TestApp, id: i64) -> String {
    for _ in 0..1200 {
        let state: String = sqlx::query_scalar("SELECT state FROM people_imports WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if state != "queued" && state != "importing" {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("import {id} did not finish in 120 s")
}

async fn people_count(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM people p JOIN organizations o ON o.id = p.org_id WHERE o.short_name = 'acme'")
        .await
}

#[sqlx::test(migrations = false)]
async fn the_dry_run_names_each_rows_outcome_and_writes_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    add_person(&app, &owner, "acme", "Sam", "same@acme.test", "VIEWER").await;
    add_person(&app, &owner, "acme", "Otto", "other@acme.test", "VIEWER").await;
    let before = people_count(&app).await;
    // French headers, a byte order mark, semicolons, as a French spreadsheet saves them.
    let file = "\u{FEFF}Nom;Adresse e-mail;Rôle\r\n\
                Anna;anna@acme.test;Éditeur\r\n\
                Sam;SAME@acme.test;Lecteur\r\n\
                Otto;other@acme.test;ADMIN\r\n\
                Bad;not-an-address;Viewer\r\n\
                Anna again;Anna@Acme.test;Viewer\r\n\
                Who;who@acme.test;Chief\r\n\
                ;bob@acme.test;\r\n";
    let id = checked(&app, &owner, file, "now").await;
    let r = report(&app, &owner, id, None).await;
    assert_eq!(r["total"], 7);
    assert_eq!(r["state"], "Checked");
    for (outcome, n) in [
        ("Add", 2),
        ("Unchanged", 1),
        ("RoleDiffers", 1),
        ("Invalid", 2),
        ("Duplicate", 1),
        ("OverSeats", 0),
        ("OverQuota", 0),
    ] {
        assert_eq!(count(&r, outcome), n, "{outcome}: {r}");
    }
    let rows = r["rows"].as_array().unwrap();
    let outcome_of = |line: i64| {
        rows.iter().find(|row| row["line"] == line).unwrap()["outcome"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(outcome_of(2), "Add");
    assert_eq!(outcome_of(5), "Invalid");
    assert_eq!(outcome_of(6), "Duplicate");
    let bob = rows.iter().find(|row| row["line"] == 8).unwrap();
    assert_eq!(bob["name"], "bob", "named after the address");
    assert_eq!(bob["role"], "VIEWER");
    let invalid = report(&app, &owner, id, Some("invalid")).await;
    let reasons: Vec<String> = invalid["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["detail"]["Problems"].to_string())
        .collect();
    assert!(reasons[0].contains("errors.email_invalid"), "{reasons:?}");
    assert!(reasons[1].contains("errors.role_unknown"), "{reasons:?}");
    assert_eq!(people_count(&app).await, before, "the dry run adds nobody");
    assert_eq!(
        audit_actions(&app, &owner).await[0],
        "people_import_checked"
    );
}

#[sqlx::test(migrations = false)]
async fn importing_adds_every_row_and_invites_them_now(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let file =
        "email,name,role\nanna@acme.test,Anna,editor\nben@acme.test,Ben,\nnot-an-address,X,\n";
    let id = checked(&app, &owner, file, "now").await;
    assert_eq!(
        ok(start(&app, &owner, id).await).await,
        format!("/o/eu-central-1/acme/people/import/{id}")
    );
    assert_eq!(finished(&app, id).await, "imported");
    let page = people(&app, &owner, "acme").await;
    assert_eq!(row(&page, "anna@acme.test")["role"], "EDITOR");
    assert_eq!(row(&page, "ben@acme.test")["role"], "VIEWER");
    // Invited at once: their invitations arrive.
    app.wait_for_mail("anna@acme.test", 1).await;
    app.wait_for_mail("ben@acme.test", 1).await;
    let r = report(&app, &owner, id, None).await;
    assert_eq!(r["state"], "Imported");
    assert_eq!(r["done"], 2);
    assert!(
        audit_actions(&app, &owner)
            .await
            .contains(&"people_imported".to_owned())
    );
    // Pressed again (a second tab): refused, nothing written twice.
    let again = start(&app, &owner, id).await;
    assert_eq!(again.status, 409);
}

#[sqlx::test(migrations = false)]
async fn an_import_that_fails_on_row_99999_writes_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let mut file = String::from("name,email\n");
    for i in 1..=100_000 {
        file.push_str(&format!("Person {i},p{i}@acme.test\n"));
    }
    let id = checked(&app, &owner, &file, "later").await;
    assert_eq!(count(&report(&app, &owner, id, None).await, "Add"), 100_000);
    let before = people_count(&app).await;
    // After the dry run, someone adds row 99,999's address by hand.
    add_person(&app, &owner, "acme", "Late", "p99999@acme.test", "VIEWER").await;
    ok(start(&app, &owner, id).await).await;
    assert_eq!(finished(&app, id).await, "failed");
    let r = report(&app, &owner, id, None).await;
    assert_eq!(r["problem"]["key"], "import.changed_since_check");
    // Row 99,999 is the file's line 100,000 (the header is line 1).
    assert_eq!(r["problem"]["args"][0][1], "100000", "{}", r["problem"]);
    assert_eq!(
        people_count(&app).await,
        before + 1,
        "none of the 99,998 rows before it stayed"
    );
    // Checked again, that row is already there; the rest imports.
    let form = [
        ("region", "eu-central-1"),
        ("short_name", "acme"),
        ("id", &id.to_string()[..]),
    ];
    ok(app.call::<CheckImportAgain>(&owner, &form).await).await;
    let r = report(&app, &owner, id, None).await;
    assert_eq!(count(&r, "Add"), 99_999);
    assert_eq!(count(&r, "Unchanged"), 1);
    ok(start(&app, &owner, id).await).await;
    assert_eq!(finished(&app, id).await, "imported");
    assert_eq!(people_count(&app).await, before + 100_000);
}

#[sqlx::test(migrations = false)]
async fn rows_past_the_seats_and_todays_invitations_are_named(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    sqlx::query("UPDATE organizations SET invite_daily_quota = 2 WHERE short_name = 'acme'")
        .execute(&app.pool)
        .await
        .unwrap();
    let file = "email\na@acme.test\nb@acme.test\nc@acme.test\n";
    let id = checked(&app, &owner, file, "now").await;
    let r = report(&app, &owner, id, None).await;
    assert_eq!((count(&r, "Add"), count(&r, "OverQuota")), (2, 1));
    // Invited later, the quota does not apply.
    let later = checked(&app, &owner, file, "later").await;
    assert_eq!(count(&report(&app, &owner, later, None).await, "Add"), 3);
    let seats: i64 = app
        .count("SELECT count(*) FROM memberships m JOIN organizations o ON o.id = m.org_id WHERE o.short_name = 'acme'")
        .await;
    sqlx::query(
        "UPDATE organizations SET seats = $1, invite_daily_quota = 100 WHERE short_name = 'acme'",
    )
    .bind(i32::try_from(seats + 1).unwrap())
    .execute(&app.pool)
    .await
    .unwrap();
    let id = checked(&app, &owner, file, "now").await;
    let r = report(&app, &owner, id, None).await;
    assert_eq!((count(&r, "Add"), count(&r, "OverSeats")), (1, 2));
}

#[sqlx::test(migrations = false)]
async fn the_rejected_rows_come_back_with_reasons_and_no_formulas(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let file = "name,email,role\n\
                =HYPERLINK(\"http://evil.test\"),bad,viewer\n\
                +cmd,@evil.test,viewer\n\
                -2,ok@acme.test,viewer\n\
                Dup,OK@acme.test,viewer\n";
    let id = checked(&app, &owner, file, "later").await;
    // The owner works in German.
    ok(app
        .call::<app::auth::api::SetLocale>(&owner, &[("locale", "de")])
        .await)
    .await;
    let res = owner
        .get(app.url(&format!(
            "/o/eu-central-1/acme/people/import/{id}/rejected.csv"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = res.text().await.unwrap();
    let lines: Vec<&str> = body.trim_start_matches('\u{FEFF}').lines().collect();
    assert_eq!(
        lines[0], "Zeile,Name,E-Mail,Rolle,Grund",
        "in the member's language"
    );
    assert_eq!(lines.len(), 4, "the three rejected rows: {body}");
    assert!(lines[1].starts_with("2,\"'=HYPERLINK("), "{}", lines[1]);
    assert!(lines[2].starts_with("3,'+cmd,'@evil.test,"), "{}", lines[2]);
    assert!(lines[3].starts_with("5,Dup,ok@acme.test"), "{}", lines[3]);
    assert!(
        lines[3].contains("Zeile 4"),
        "the reason names the first line: {}",
        lines[3]
    );
    assert!(!body.contains(",=") && !body.contains(",+") && !body.contains(",@"));
    // The row that is fine is not in it.
    assert!(!lines.iter().any(|l| l.starts_with("4,")));
}

#[sqlx::test(migrations = false)]
async fn a_file_that_cannot_be_read_goes_back_to_the_form_with_the_reason(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let back = "/o/eu-central-1/acme/people/import?error=";
    for (bytes, key) in [
        (
            &b"name,email\nAnn\xe9,ann@acme.test\n"[..],
            "import.not_utf8",
        ),
        (b"name,phone\nAnn,123\n", "import.no_email_column"),
        (b"", "import.file_empty"),
        (b"email\n\n", "import.no_rows"),
    ] {
        let (status, to) = upload_as(&app, &owner, "x.csv", bytes, "now").await;
        assert_eq!((status, to), (303, format!("{back}{key}")));
    }
    assert_eq!(
        app.count("SELECT count(*) FROM people_imports").await,
        0,
        "nothing kept of a refused file"
    );
    // The form then names the problem in the person's language.
    ok(app
        .call::<app::auth::api::SetLocale>(&owner, &[("locale", "fr")])
        .await)
    .await;
    let res = owner
        .get(app.url(&format!("{back}import.no_email_column")))
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert!(page.contains("pas de colonne Adresse e-mail"), "{page}");
}

#[sqlx::test(migrations = false)]
async fn only_those_who_may_invite_import_and_only_roles_they_may_give(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(
        &app,
        "Acme",
        "olga@acme.test",
        &[("ada@acme.test", "ADMIN"), ("vic@acme.test", "VIEWER")],
    )
    .await;
    let ada = accept(&app, "ada@acme.test").await;
    let vic = accept(&app, "vic@acme.test").await;
    let file = "email,role\nboss@acme.test,owner\nhelper@acme.test,admin\n";
    let (status, _) = upload_as(&app, &vic, "people.csv", file.as_bytes(), "now").await;
    assert_eq!(status, 403, "a Viewer does not import");
    let (status, to) = upload_as(&app, &new_client(), "people.csv", file.as_bytes(), "now").await;
    assert_eq!(status, 303);
    assert!(to.starts_with("/signin?next="), "{to}");
    let id = checked(&app, &ada, file, "now").await;
    let r = report(&app, &ada, id, Some("invalid")).await;
    assert_eq!(r["rows"][0]["line"], 2);
    assert!(
        r["rows"][0]["detail"]["Problems"]
            .to_string()
            .contains("import.role_above_yours")
    );
    assert_eq!(count(&r, "Add"), 1);
    // Another organization's member cannot see or start it.
    let other = org(&app, "Beta", "bea@beta.test", &[]).await;
    let id_text = id.to_string();
    let form = [
        ("region", "eu-central-1"),
        ("short_name", "acme"),
        ("id", id_text.as_str()),
    ];
    assert_eq!(app.call::<GetImport>(&other, &form).await.status, 404);
    assert_eq!(app.call::<StartImport>(&vic, &form).await.status, 403);
    drop(owner);
}

#[sqlx::test(migrations = false)]
async fn a_running_import_is_not_taken_over_however_long_a_statement_takes(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let id = checked(&app, &owner, "email\na@acme.test\nb@acme.test\n", "now").await;
    // Someone else holds the organization (an Invite All of 100,000, say): the import's
    // worker waits for it, inside its transaction.
    let mut busy = app.pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM organizations WHERE short_name = 'acme' FOR NO KEY UPDATE")
        .fetch_one(&mut *busy)
        .await
        .unwrap();
    ok(start(&app, &owner, id).await).await;
    for _ in 0..100 {
        let state: String = sqlx::query_scalar("SELECT state FROM people_imports WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if state == "importing" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Its last sign of life is long ago: another worker looks for stopped imports.
    sqlx::query("UPDATE people_imports SET heartbeat_at = now() - interval '1 hour' WHERE id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    let state = app.state.clone().unwrap();
    let other = tokio::time::timeout(
        Duration::from_secs(5),
        app::import::server::worker::run_once(&state),
    )
    .await;
    assert!(
        matches!(other, Ok(Ok(false))),
        "another worker took over a running import"
    );
    busy.commit().await.unwrap();
    assert_eq!(finished(&app, id).await, "imported");
    assert_eq!(
        app.count("SELECT count(*) FROM people WHERE email IN ('a@acme.test', 'b@acme.test')")
            .await,
        2
    );
}
