//! The REST API as a program using it would notice: keys made on the settings page,
//! 401 without a good key, problem details in the caller's language, the OpenAPI
//! document, and invitations made through it reaching the invitee's mailbox.

use crate::common::*;
use app::api_keys::api::{CreateApiKey, RevokeApiKey};
use app::orgs::api::GetOrgSettings;
use leptos::server_fn::ServerFn;
use reqwest::Method;
use sqlx::PgPool;

const ACME: [(&str, &str); 2] = [("region", "eu-central-1"), ("short_name", "acme")];

pub(crate) async fn create_key(
    app: &TestApp,
    c: &reqwest::Client,
    name: &str,
    role: &str,
) -> reqwest::Result<serde_json::Value> {
    let mut form = ACME.to_vec();
    form.extend([("name", name), ("role", role)]);
    Ok(ok(app.call::<CreateApiKey>(c, &form).await).await)
}

/// The secret of a new ADMIN key of Acme, made on the settings page by `owner`.
pub(crate) async fn admin_key(app: &TestApp, owner: &reqwest::Client, name: &str) -> String {
    let created = create_key(app, owner, name, "ADMIN").await.unwrap();
    created["key"].as_str().unwrap().to_owned()
}

#[sqlx::test(migrations = false)]
async fn a_key_made_in_the_ui_invites_through_the_api_until_it_is_revoked(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olivia@acme.test", &[]).await;
    let created = create_key(&app, &owner, "CI robot", "ADMIN").await.unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("mk_") && key.len() > 40, "{key}");
    // Stored only as a hash: the secret is nowhere in the database.
    assert_eq!(app.count(&format!("SELECT count(*) FROM api_keys WHERE prefix = '{key}' OR encode(key_hash, 'escape') = '{key}'")).await, 0);

    let body = serde_json::json!({ "email": "New.Person@Example.test", "role": "EDITOR" });
    let (status, inv) = rest(
        &app,
        Some(&key),
        Method::POST,
        "/api/v1/invitations",
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{inv}");
    assert_eq!(
        (inv["email"].as_str(), inv["role"].as_str()),
        (Some("new.person@example.test"), Some("EDITOR"))
    );
    let mail = mail_with_subject(&app, "new.person@example.test", "Acme").await;
    assert!(mail.text.contains("CI robot (API key)"), "{}", mail.text);

    let (_, list) = rest(&app, Some(&key), Method::GET, "/api/v1/invitations", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

    // The settings page lists the key with its last use, never its secret.
    let settings = ok(app.call::<GetOrgSettings>(&owner, &ACME).await).await;
    let keys = settings["api_keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["name"], "CI robot");
    assert!(keys[0]["last_used"].is_string(), "{settings}");
    assert!(!settings.to_string().contains(&key));

    let mut form = ACME.to_vec();
    let id = keys[0]["id"].to_string();
    form.push(("key_id", &id));
    ok(app.call::<RevokeApiKey>(&owner, &form).await).await;
    let body = serde_json::json!({ "email": "another@example.test" });
    let (status, problem) = rest(
        &app,
        Some(&key),
        Method::POST,
        "/api/v1/invitations",
        Some(body),
    )
    .await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(
        problem["type"],
        "https://muster.example/problems/unauthenticated"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE email = 'another@example.test'")
            .await,
        0
    );
}

#[sqlx::test(migrations = false)]
async fn missing_or_bad_keys_get_401_and_mistakes_get_problem_details(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olivia@acme.test", &[]).await;
    for key in [None, Some("mk_not-a-real-key"), Some("Basic b2xpdmlh")] {
        let res = app.client.get(app.url("/api/v1/members"));
        let res = match key {
            Some(k) => res.header("authorization", format!("Bearer {k}")),
            None => res,
        };
        let res = res.send().await.unwrap();
        assert_eq!(res.status(), 401, "{key:?}");
        assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"muster\"");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    let key = create_key(&app, &owner, "robot", "OWNER").await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();

    // A bad address: 422 naming the field, in the caller's language.
    let res = app
        .client
        .post(app.url("/api/v1/invitations"))
        .bearer_auth(&key)
        .header("accept-language", "de")
        .json(&serde_json::json!({ "email": "not an address", "role": "VIEWER" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: serde_json::Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "email", "{problem}");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("E-Mail"),
        "{problem}"
    );

    // Not JSON, an unknown role, an unknown path: 400, 400, 404, all problem details.
    let res = app
        .client
        .post(app.url("/api/v1/invitations"))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let (status, problem) = rest(
        &app,
        Some(&key),
        Method::POST,
        "/api/v1/invitations",
        Some(serde_json::json!({ "email": "a@b.test", "role": "SUPERUSER" })),
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    assert!(problem["detail"].is_string());
    let (status, problem) = rest(&app, Some(&key), Method::GET, "/api/v1/nothing-here", None).await;
    assert_eq!((status, problem["status"].as_u64()), (404, Some(404)));
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);

    // The last OWNER stays, through the API as everywhere.
    let (_, members) = rest(&app, Some(&key), Method::GET, "/api/v1/members", None).await;
    let me = members[0]["id"].to_string();
    let (status, problem) = rest(
        &app,
        Some(&key),
        Method::PATCH,
        &format!("/api/v1/members/{me}"),
        Some(serde_json::json!({ "role": "VIEWER" })),
    )
    .await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("Owner"),
        "{problem}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_key_never_acts_above_its_creator(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(
        &app,
        "Acme",
        "olivia@acme.test",
        &[("ada@acme.test", "ADMIN")],
    )
    .await;
    let ada = accept(&app, "ada@acme.test").await;
    // An ADMIN cannot make an OWNER key...
    let mut form = ACME.to_vec();
    form.extend([("name", "too strong"), ("role", "OWNER")]);
    let reply = app.call::<CreateApiKey>(&ada, &form).await;
    assert_eq!(reply.status, 422);
    assert_eq!(
        field_keys(&reply.result.unwrap_err()),
        [("role".into(), "errors.api_key_role_above_yours".into())]
    );
    // ...and an ADMIN key stops inviting once its creator is made a VIEWER.
    let key = create_key(&app, &ada, "ada's robot", "ADMIN")
        .await
        .unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, me) = rest(&app, Some(&key), Method::GET, "/api/v1/permissions", None).await;
    assert_eq!(me["role"], "ADMIN");
    let ada_id = row(&people(&app, &owner, "acme").await, "ada@acme.test")["id"].to_string();
    let mut form = ACME.to_vec();
    form.extend([("person_id", ada_id.as_str()), ("role", "VIEWER")]);
    ok(app
        .call::<app::people::api::ChangeRole>(&owner, &form)
        .await)
    .await;
    let (_, me) = rest(&app, Some(&key), Method::GET, "/api/v1/permissions", None).await;
    assert_eq!(me["role"], "VIEWER");
    let (status, _) = rest(
        &app,
        Some(&key),
        Method::POST,
        "/api/v1/invitations",
        Some(serde_json::json!({ "email": "x@acme.test" })),
    )
    .await;
    assert_eq!(status, 403);
    // Deactivated, the creator's keys stop altogether.
    let mut form = ACME.to_vec();
    form.extend([("person_id", ada_id.as_str()), ("active", "false")]);
    ok(app
        .call::<app::people::api::SetPersonActive>(&owner, &form)
        .await)
    .await;
    let (status, _) = rest(&app, Some(&key), Method::GET, "/api/v1/members", None).await;
    assert_eq!(status, 401);
}

#[sqlx::test(migrations = false)]
async fn the_openapi_document_describes_every_endpoint(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/members",
        "/api/v1/members/{id}",
        "/api/v1/members/{id}/permissions",
        "/api/v1/permissions",
        "/api/v1/invitations",
        "/api/v1/invitations/{id}",
        "/api/v1/invitations/{id}/resend",
        "/api/v1/audit",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

/// The settings page's "Create API key" form posted without JavaScript: the page it lands
/// on shows the key once (from a cookie only that page receives), and the key works.
#[sqlx::test(migrations = false)]
async fn without_javascript_a_new_key_is_shown_once_on_the_settings_page(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olivia@acme.test", &[]).await;
    let settings = "/o/eu-central-1/acme/settings";
    let mut form = ACME.to_vec();
    form.extend([("name", "Nightly export"), ("role", "VIEWER")]);
    let res = owner
        .post(app.url(CreateApiKey::PATH))
        .header("accept", "text/html")
        .header("referer", app.url(settings))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], format!("{settings}#api-keys"));
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains(&format!("Path={settings};")),
        "{cookie}"
    );

    let (status, html) = app.get(&owner, settings).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("API key \"Nightly export\" created"),
        "{html}"
    );
    let at = html
        .find("data-testid=\"new-api-key\"")
        .expect("the key is shown");
    let key = html[..at]
        .rsplit("value=\"")
        .next()
        .and_then(|v| v.split('"').next())
        .unwrap()
        .to_owned();
    assert!(key.starts_with("mk_") && key.len() > 40, "{key}");
    let (status, members) = rest(&app, Some(&key), Method::GET, "/api/v1/members", None).await;
    assert_eq!(status, 200, "{members}");

    // Once: a reload shows the list, not the secret.
    let (_, again) = app.get(&owner, settings).await;
    assert!(!again.contains("new-api-key") && !again.contains(&key));
    assert!(again.contains("Nightly export"));
    // A cookie with anything but this member's new key shows nothing.
    let forged = app
        .get_with_cookie(
            &owner,
            settings,
            "muster_new_key=mk_not-a-key-of-this-organization",
        )
        .await;
    assert!(!forged.contains("new-api-key") && !forged.contains("mk_not-a-key"));
}

/// The document tells the truth: every error answer is `application/problem+json`, every
/// operation with a path id or a body documents its 400, and an invitation's email has a
/// format and lengths (an empty one does not pass the schema).
#[sqlx::test(migrations = false)]
async fn the_openapi_document_tells_the_truth_about_errors(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let takes_input = op.get("requestBody").is_some()
                || op["parameters"].as_array().is_some_and(|p| !p.is_empty());
            for (code, response) in op["responses"].as_object().unwrap() {
                if code.starts_with('4') || code.starts_with('5') {
                    let content = response["content"].as_object().unwrap();
                    assert!(
                        content.contains_key("application/problem+json")
                            && !content.contains_key("application/json"),
                        "{method} {path} {code}: {content:?}"
                    );
                    checked += 1;
                }
            }
            if takes_input {
                assert!(
                    op["responses"]["400"].is_object(),
                    "{method} {path}: no 400"
                );
            }
        }
    }
    assert!(checked > 20, "{checked}");
    let email = &doc["components"]["schemas"]["NewInvitation"]["properties"]["email"];
    assert_eq!(email["format"], "email", "{email}");
    assert_eq!(email["minLength"], 3, "{email}");
}

/// Malformed requests are told what is wrong, as problem details, never axum's plain text
/// or "couldn't reach Muster".
#[sqlx::test(migrations = false)]
async fn malformed_requests_get_problem_details_that_say_what_is_wrong(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olivia@acme.test", &[]).await;
    let key = admin_key(&app, &owner, "robot").await;
    let send = |method: Method, path: &str, body: Option<&'static str>| {
        let mut req = app
            .client
            .request(method, app.url(path))
            .bearer_auth(&key)
            .header("accept-language", "en");
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
            let body: serde_json::Value = res.json().await.unwrap();
            (status, kind, body)
        }
    };
    let cases = [
        (
            Method::PATCH,
            "/api/v1/members/1",
            None,
            400,
            "not the JSON",
        ),
        (
            Method::PATCH,
            "/api/v1/members/1",
            Some("{\"role\":"),
            400,
            "not the JSON",
        ),
        (
            Method::POST,
            "/api/v1/invitations",
            Some("[]"),
            400,
            "not the JSON",
        ),
        (
            Method::GET,
            "/api/v1/members/99999999999999999999/permissions",
            None,
            400,
            "whole number",
        ),
        (
            Method::DELETE,
            "/api/v1/invitations/abc",
            None,
            400,
            "whole number",
        ),
        (
            Method::PUT,
            "/api/v1/members",
            None,
            405,
            "does not take PUT",
        ),
    ];
    for (method, path, body, status, says) in cases {
        let (got, kind, problem) = send(method.clone(), path, body).await;
        assert_eq!(got, status, "{method} {path}: {problem}");
        assert_eq!(kind, "application/problem+json", "{method} {path}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{method} {path}: {detail}");
        assert!(!detail.contains("couldn't reach"), "{detail}");
    }
    // An empty email is refused on the email field.
    let (status, _, problem) = send(
        Method::POST,
        "/api/v1/invitations",
        Some("{\"email\":\"\"}"),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "email", "{problem}");
    // So is one with a NUL byte (which PostgreSQL text cannot hold), not a 500.
    let (status, _, problem) = send(
        Method::POST,
        "/api/v1/invitations",
        Some("{\"email\":\"a\\u0000@example.test\"}"),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "email", "{problem}");
}

/// Resend keeps an invitation's id (so a program holding it can still revoke it), gives
/// it a new link, and the old link says it was sent again and cannot be used.
#[sqlx::test(migrations = false)]
async fn an_invitation_keeps_its_id_when_sent_again(pool: PgPool) {
    use app::error::AppError;
    use app::invitations::api::AcceptInvitation;
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olivia@acme.test", &[]).await;
    let key = admin_key(&app, &owner, "CI robot").await;
    let body = serde_json::json!({ "email": "ann@example.test", "role": "EDITOR" });
    let (status, created) = rest(
        &app,
        Some(&key),
        Method::POST,
        "/api/v1/invitations",
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let first = token_of(&link_in(&app.wait_for_mail("ann@example.test", 1).await[0]));

    let path = format!("/api/v1/invitations/{id}/resend");
    let (status, resent) = rest(&app, Some(&key), Method::POST, &path, None).await;
    assert_eq!(status, 200, "{resent}");
    assert_eq!(resent["id"].as_i64(), Some(id), "Resend keeps the id");
    assert_eq!(resent["role"], "EDITOR");
    let second = token_of(&link_in(&app.wait_for_mail("ann@example.test", 2).await[1]));
    assert_ne!(first, second);
    let (_, list) = rest(&app, Some(&key), Method::GET, "/api/v1/invitations", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"].as_i64(), Some(id));

    // The first link says the invitation was sent again, and cannot be used.
    let accept = async |token: &str| {
        let reply = app
            .call::<AcceptInvitation>(
                &new_client(),
                &[("token", token), ("name", "Ann"), ("password", PASSWORD)],
            )
            .await;
        (reply.status, reply.result.unwrap_err())
    };
    assert_eq!(
        accept(&first).await,
        (410, AppError::Gone("errors.invitation_replaced".into()))
    );
    let (status, page) = app
        .get(&new_client(), &format!("/invitations/accept?token={first}"))
        .await;
    assert_eq!(status, 410);
    assert!(
        page.contains("sent again") || page.contains("newer"),
        "{page}"
    );

    // The id still revokes it; then neither link works.
    let (status, _) = rest(
        &app,
        Some(&key),
        Method::DELETE,
        &format!("/api/v1/invitations/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        accept(&second).await,
        (410, AppError::Gone("errors.invitation_revoked".into()))
    );
}

/// A program retrying a POST (or two workers sending the same address at once) gets one
/// invitation: one 201, the others 409 ("resend it"), one mail, never a 500.
#[sqlx::test(migrations = false)]
async fn the_same_address_posted_at_once_makes_one_invitation_and_one_mail(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olivia@acme.test", &[]).await;
    let key = admin_key(&app, &owner, "CI robot").await;
    let post = || {
        let body = serde_json::json!({ "email": "ann@example.test", "role": "EDITOR" });
        rest(
            &app,
            Some(&key),
            Method::POST,
            "/api/v1/invitations",
            Some(body),
        )
    };
    let replies = futures::future::join_all((0..6).map(|_| post())).await;
    let mut statuses: Vec<u16> = replies.iter().map(|(s, _)| *s).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409], "{replies:?}");
    for (status, problem) in &replies {
        if *status == 409 {
            assert_eq!(
                problem["type"], "https://muster.example/problems/conflict",
                "{problem}"
            );
        }
    }
    app.wait_for_mail("ann@example.test", 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        app.count("SELECT count(*) FROM outbox_emails WHERE recipient = 'ann@example.test'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM people WHERE email = 'ann@example.test'")
            .await,
        1
    );
}
