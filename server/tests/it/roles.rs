//! The role × action × organization test: for every role and every action,
//! through server functions and through the REST API, allowed means it works (and leaves
//! its audit trace) and not allowed means a clear refusal that changes nothing; nothing of
//! organization A can be seen or changed from organization B.

use crate::common::*;
use app::api_keys::api::{CreateApiKey, RevokeApiKey};
use app::audit::api::GetAuditLog;
use app::error::AppError;
use app::i18n::Locale;
use app::invite_all::api::InviteAll;
use app::joining::api::SaveJoinLink;
use app::orgs::api::{CheckPermission, GetOrgOverview, GetOrgSettings, InviteMember};
use app::people::api::{
    AddPerson, ChangeRole, GetPeople, RevokeInvite, SendInvite, SetPersonActive,
};
use app::roles::Permission;
use app::roles::Role;
use reqwest::Method;
use sqlx::PgPool;

const ACME: [(&str, &str); 2] = [("region", "eu-central-1"), ("short_name", "acme")];
const OWNER: &str = "olivia@acme.test";

/// Every server function of an organization, with the permission it needs (`None`: any
/// member) and whether it writes (leaves an audit event).
#[derive(Debug, Clone, Copy)]
enum Action {
    ViewHome,
    ViewPeople,
    ViewSettings,
    CheckInvite,
    AddPerson,
    InviteMember,
    Resend,
    Revoke,
    Deactivate,
    ChangeRole,
    InviteAll,
    AuditLog,
    JoinLink,
    CreateKey,
    RevokeKey,
}

impl Action {
    const ALL: [Action; 15] = [
        Action::ViewHome,
        Action::ViewPeople,
        Action::ViewSettings,
        Action::CheckInvite,
        Action::AddPerson,
        Action::InviteMember,
        Action::Resend,
        Action::Revoke,
        Action::Deactivate,
        Action::ChangeRole,
        Action::InviteAll,
        Action::AuditLog,
        Action::JoinLink,
        Action::CreateKey,
        Action::RevokeKey,
    ];

    fn needs(self) -> Option<Permission> {
        match self {
            Action::ViewHome | Action::ViewPeople | Action::ViewSettings | Action::CheckInvite => {
                None
            }
            Action::CreateKey | Action::RevokeKey => Some(Permission::CreateApiKey),
            _ => Some(Permission::Invite),
        }
    }

    fn writes(self) -> bool {
        !matches!(
            self,
            Action::ViewHome
                | Action::ViewPeople
                | Action::ViewSettings
                | Action::CheckInvite
                | Action::AuditLog
        )
    }
}

/// A fresh person in Acme's directory (invited unless `invited` is false), and a fresh
/// API key, made by the owner: the target of one attempt.
struct Target {
    person_id: String,
    key_id: String,
    n: usize,
}

async fn target(app: &TestApp, owner: &reqwest::Client, n: usize, invited: bool) -> Target {
    let email = format!("target{n}@acme.test");
    let mut form = ACME.to_vec();
    form.extend([
        ("name", "Tara Target"),
        ("email", email.as_str()),
        ("role", "VIEWER"),
    ]);
    if invited {
        form.push(("send_now", "on"));
    }
    ok(app.call::<AddPerson>(owner, &form).await).await;
    let mut search = ACME.to_vec();
    search.push(("q", email.as_str()));
    let page = ok(app.call::<GetPeople>(owner, &search).await).await;
    let person_id = row(&page, &email)["id"].to_string();
    let mut form = ACME.to_vec();
    let name = format!("key {n}");
    form.extend([("name", name.as_str()), ("role", "VIEWER")]);
    ok(app.call::<CreateApiKey>(owner, &form).await).await;
    let key_id = app
        .count(&format!("SELECT id FROM api_keys WHERE name = 'key {n}'"))
        .await
        .to_string();
    Target {
        person_id,
        key_id,
        n,
    }
}

async fn perform(
    app: &TestApp,
    c: &reqwest::Client,
    org: &[(&str, &str)],
    action: Action,
    t: &Target,
) -> Reply<serde_json::Value> {
    let mut form = org.to_vec();
    let email = format!("new{}@acme.test", t.n);
    let domain = format!("d{}.acme.test", t.n);
    let key_name = format!("made {}", t.n);
    let person = ("person_id", t.person_id.as_str());
    match action {
        Action::ViewHome => app.call::<GetOrgOverview>(c, &form).await,
        Action::ViewPeople => app.call::<GetPeople>(c, &form).await,
        Action::ViewSettings => app.call::<GetOrgSettings>(c, &form).await,
        Action::CheckInvite => {
            form.push(("permission", "invite"));
            app.call::<CheckPermission>(c, &form).await
        }
        Action::AddPerson => {
            form.extend([
                ("name", "Nina New"),
                ("email", email.as_str()),
                ("role", "VIEWER"),
            ]);
            app.call::<AddPerson>(c, &form).await
        }
        Action::InviteMember => {
            form.extend([("email", email.as_str()), ("role", "VIEWER")]);
            app.call::<InviteMember>(c, &form).await
        }
        Action::Resend => {
            form.extend([person, ("confirmed", "on")]);
            app.call::<SendInvite>(c, &form).await
        }
        Action::Revoke => {
            form.push(person);
            app.call::<RevokeInvite>(c, &form).await
        }
        Action::Deactivate => {
            form.extend([person, ("active", "false")]);
            app.call::<SetPersonActive>(c, &form).await
        }
        Action::ChangeRole => {
            form.extend([person, ("role", "EDITOR")]);
            app.call::<ChangeRole>(c, &form).await
        }
        Action::InviteAll => app.call::<InviteAll>(c, &form).await,
        Action::AuditLog => app.call::<GetAuditLog>(c, &form).await,
        Action::JoinLink => {
            form.extend([("enabled", "on"), ("domains", domain.as_str())]);
            app.call::<SaveJoinLink>(c, &form).await
        }
        Action::CreateKey => {
            form.extend([("name", key_name.as_str()), ("role", "VIEWER")]);
            app.call::<CreateApiKey>(c, &form).await
        }
        Action::RevokeKey => {
            form.push(("key_id", t.key_id.as_str()));
            app.call::<RevokeApiKey>(c, &form).await
        }
    }
}

fn big_acme() -> app::activation::server::service::SubscriptionSpec {
    let mut s = spec("Acme", OWNER, Locale::En, false);
    s.seats = 1000;
    s
}

/// Acme with one member of each role (signed in on the returned clients, OWNER first)
/// and Globex, owned by Bob, whose client comes last.
async fn two_orgs(app: &TestApp) -> Vec<(Role, reqwest::Client)> {
    let owner = org_spec(
        app,
        &big_acme(),
        &[
            ("ada@acme.test", "ADMIN"),
            ("eddie@acme.test", "EDITOR"),
            ("vic@acme.test", "VIEWER"),
        ],
    )
    .await;
    let mut members = vec![(Role::Owner, owner)];
    for (email, role) in [
        ("ada@acme.test", Role::Admin),
        ("eddie@acme.test", Role::Editor),
        ("vic@acme.test", Role::Viewer),
    ] {
        members.push((role, accept(app, email).await));
    }
    members
}

async fn audit_events(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM audit_events").await
}

#[sqlx::test(migrations = false)]
async fn every_role_and_every_server_function_in_two_organizations(pool: PgPool) {
    let app = spawn_app(pool).await;
    let acme = two_orgs(&app).await;
    let bob = org(&app, "Globex", "bob@globex.test", &[]).await;
    let owner = &acme[0].1;
    let mut n = 0;
    for (role, client) in &acme {
        for action in Action::ALL {
            n += 1;
            let t = target(&app, owner, n, !matches!(action, Action::InviteAll)).await;
            let before = audit_events(&app).await;
            let reply = perform(&app, client, &ACME, action, &t).await;
            let allowed = action.needs().is_none_or(|p| role.can(p));
            let what = format!("{role:?} {action:?}");
            if allowed {
                assert_eq!(reply.status, 200, "{what}: {:?}", reply.result);
                if action.writes() {
                    assert!(
                        audit_events(&app).await > before,
                        "{what} left no audit trace"
                    );
                }
            } else {
                assert_eq!(reply.status, 403, "{what}: {:?}", reply.result);
                let err = reply.result.unwrap_err();
                // The refusal says what was refused: inviting, or managing API keys.
                let what_refused = match action.needs() {
                    Some(Permission::CreateApiKey) => "manage the API keys",
                    _ => "invite people",
                };
                let message = err.form_message(Locale::En).unwrap_or_default();
                assert!(message.contains(what_refused), "{what}: {message}");
                match err {
                    AppError::NotPermitted { contacts, .. } => {
                        assert!(
                            contacts.iter().any(|c| c.contains(OWNER)),
                            "{what}: {contacts:?}"
                        )
                    }
                    other => panic!("{what}: {other:?}"),
                }
                assert_eq!(audit_events(&app).await, before, "{what} changed something");
            }
        }
    }

    // The answer to "may I invite?" is the matrix's, for each role.
    for (role, client) in &acme {
        let mut form = ACME.to_vec();
        form.push(("permission", "invite"));
        let d = ok(app.call::<CheckPermission>(client, &form).await).await;
        assert_eq!(d["allowed"], role.can(Permission::Invite), "{role:?}");
    }

    // Bob owns Globex: in Acme every action, even with Acme's own ids, is "not found",
    // and changes nothing.
    for action in Action::ALL {
        n += 1;
        let t = target(&app, owner, n, true).await;
        let before = audit_events(&app).await;
        let reply = perform(&app, &bob, &ACME, action, &t).await;
        assert_eq!(reply.status, 404, "Bob {action:?}: {:?}", reply.result);
        assert_eq!(
            audit_events(&app).await,
            before,
            "Bob {action:?} changed something"
        );
    }
    // And Acme's ids through Globex's own pages find nothing of Acme.
    let globex = [("region", "eu-central-1"), ("short_name", "globex")];
    for action in [
        Action::Resend,
        Action::Revoke,
        Action::Deactivate,
        Action::ChangeRole,
        Action::RevokeKey,
    ] {
        n += 1;
        let t = target(&app, owner, n, true).await;
        let before = audit_events(&app).await;
        let reply = perform(&app, &bob, &globex, action, &t).await;
        assert_eq!(
            reply.status, 404,
            "Bob in Globex {action:?}: {:?}",
            reply.result
        );
        assert_eq!(audit_events(&app).await, before);
    }
    let page = people(&app, &bob, "globex").await;
    assert!(!page.to_string().contains("acme.test"), "{page}");
}

/// Creates an API key in the UI (server function) and returns the secret shown once.
async fn key(
    app: &TestApp,
    c: &reqwest::Client,
    org: &[(&str, &str)],
    name: &str,
    role: &str,
) -> String {
    let mut form = org.to_vec();
    form.extend([("name", name), ("role", role)]);
    let created = ok(app.call::<CreateApiKey>(c, &form).await).await;
    created["key"].as_str().unwrap().to_owned()
}

fn open_invitation_of(email: &str) -> String {
    format!(
        "SELECT id FROM invitations WHERE email = '{email}' AND revoked_at IS NULL AND accepted_at IS NULL"
    )
}

#[sqlx::test(migrations = false)]
async fn every_key_role_and_every_rest_call_in_two_organizations(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org_spec(&app, &big_acme(), &[("vic@acme.test", "VIEWER")]).await;
    accept(&app, "vic@acme.test").await;
    let vic = row(&people(&app, &owner, "acme").await, "vic@acme.test")["id"].to_string();
    let bob = org(&app, "Globex", "bob@globex.test", &[]).await;
    let globex = [("region", "eu-central-1"), ("short_name", "globex")];
    let globex_key = key(&app, &bob, &globex, "globex", "OWNER").await;
    for (n, role) in Role::ALL.into_iter().enumerate() {
        let k = key(&app, &owner, &ACME, &format!("{role:?}"), role.code()).await;
        let may_invite = role.can(Permission::Invite);
        let expect = |status: u16, body: &serde_json::Value, what: &str| {
            if may_invite {
                assert!(
                    (200..300).contains(&status),
                    "{role:?} {what}: {status} {body}"
                );
            } else {
                assert_eq!(status, 403, "{role:?} {what}: {body}");
                assert_eq!(body["type"], "https://muster.example/problems/forbidden");
                assert!(body["contacts"].to_string().contains(OWNER), "{body}");
            }
        };
        // Reading: every key.
        let (status, members) = rest(&app, Some(&k), Method::GET, "/api/v1/members", None).await;
        assert_eq!(status, 200);
        assert_eq!(members.as_array().unwrap().len(), 2, "{members}");
        let (status, me) = rest(&app, Some(&k), Method::GET, "/api/v1/permissions", None).await;
        assert_eq!(status, 200);
        assert_eq!(me["role"], role.code());
        for d in me["permissions"].as_array().unwrap() {
            let p = Permission::from_code(d["permission"].as_str().unwrap()).unwrap();
            assert_eq!(d["allowed"], role.can(p), "{role:?} {p:?}");
        }
        // Writing: what the role allows, and nothing written when refused.
        let invitations = "SELECT count(*) FROM invitations";
        let before = app.count(invitations).await;
        let email = format!("rest{n}@acme.test");
        let body = serde_json::json!({ "email": email });
        let (status, inv) = rest(
            &app,
            Some(&k),
            Method::POST,
            "/api/v1/invitations",
            Some(body),
        )
        .await;
        expect(status, &inv, "create invitation");
        if may_invite {
            assert_eq!(
                (status, inv["email"].as_str(), inv["role"].as_str()),
                (201, Some(email.as_str()), Some("VIEWER"))
            );
        }
        let t = target(&app, &owner, 100 + n, true).await;
        let email = format!("target{}@acme.test", 100 + n);
        let id = app.count(&open_invitation_of(&email)).await;
        let path = format!("/api/v1/invitations/{id}/resend");
        let (status, body) = rest(&app, Some(&k), Method::POST, &path, None).await;
        expect(status, &body, "resend");
        let id = app.count(&open_invitation_of(&email)).await;
        let path = format!("/api/v1/members/{vic}");
        let (status, body) = rest(
            &app,
            Some(&k),
            Method::PATCH,
            &path,
            Some(serde_json::json!({"role": "EDITOR"})),
        )
        .await;
        expect(status, &body, "change role");
        if may_invite {
            assert_eq!(body["role"], "EDITOR");
            rest(
                &app,
                Some(&k),
                Method::PATCH,
                &path,
                Some(serde_json::json!({"role": "VIEWER"})),
            )
            .await;
        }
        // Another organization's key finds none of Acme's members or invitations.
        for (method, path) in [
            (Method::POST, format!("/api/v1/invitations/{id}/resend")),
            (Method::DELETE, format!("/api/v1/invitations/{id}")),
            (Method::PATCH, format!("/api/v1/members/{vic}")),
            (Method::GET, format!("/api/v1/members/{vic}/permissions")),
            (
                Method::GET,
                format!("/api/v1/members/{}/permissions", t.person_id),
            ),
        ] {
            let body = (method == Method::PATCH).then(|| serde_json::json!({"role": "OWNER"}));
            let (status, problem) =
                rest(&app, Some(&globex_key), method.clone(), &path, body).await;
            assert_eq!(status, 404, "{method} {path}: {problem}");
        }
        let (status, body) = rest(
            &app,
            Some(&k),
            Method::DELETE,
            &format!("/api/v1/invitations/{id}"),
            None,
        )
        .await;
        expect(status, &body, "revoke");
        // The owner's target invitation and the key's own were the only ones written
        // (Resend sends the same invitation again).
        let written = app.count(invitations).await - before;
        assert_eq!(written, if may_invite { 2 } else { 1 }, "{role:?}");
    }
    let (_, members) = rest(
        &app,
        Some(&globex_key),
        Method::GET,
        "/api/v1/members",
        None,
    )
    .await;
    let (_, invitations) = rest(
        &app,
        Some(&globex_key),
        Method::GET,
        "/api/v1/invitations",
        None,
    )
    .await;
    assert!(!members.to_string().contains("acme.test"), "{members}");
    assert_eq!(invitations, serde_json::json!([]));
}

/// The UI ring: every role sees, server-rendered, the controls its role allows and, where
/// it may not act, whom to ask instead; a member of another organization sees none of it.
#[sqlx::test(migrations = false)]
async fn every_role_sees_only_the_controls_it_may_use_in_two_organizations(pool: PgPool) {
    let app = spawn_app(pool).await;
    let acme = two_orgs(&app).await;
    let bob = org(&app, "Globex", "bob@globex.test", &[]).await;
    let ask = "Ask an owner or admin: Olivia Owner &lt;olivia@acme.test&gt;";
    for (role, client) in &acme {
        let may_invite = role.can(Permission::Invite);
        let (status, html) = app.get(client, "/o/eu-central-1/acme/people").await;
        assert_eq!(status, 200, "{role:?} people");
        for control in ["Add Person", "Invite All", "data-testid=\"quota\""] {
            assert_eq!(
                html.contains(control),
                may_invite,
                "{role:?} people: {control}"
            );
        }
        assert_eq!(
            html.contains(ask),
            !may_invite,
            "{role:?} people: whom to ask"
        );
        // Row menus (resend, revoke, deactivate, change role) only for those who may invite:
        // the "More Options" link, and the menu it opens (one row at a time).
        assert_eq!(
            html.contains("more-options"),
            may_invite,
            "{role:?} people: More Options"
        );
        assert!(!html.contains("name=\"person_id\""), "menus start closed");
        let id = people(&app, client, "acme").await["people"][0]["id"].clone();
        let (status, html) = app
            .get(client, &format!("/o/eu-central-1/acme/people?menu={id}"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            html.contains("name=\"person_id\""),
            may_invite,
            "{role:?} people: row actions"
        );

        let (status, html) = app.get(client, "/o/eu-central-1/acme/settings").await;
        assert_eq!(status, 200, "{role:?} settings");
        assert_eq!(
            html.contains("Send invitation"),
            may_invite,
            "{role:?} settings"
        );
        assert_eq!(
            html.contains(ask),
            !may_invite,
            "{role:?} settings: whom to ask"
        );
        let may_key = role.can(Permission::CreateApiKey);
        assert_eq!(
            html.contains("id=\"api-keys\""),
            may_key,
            "{role:?} API keys"
        );
        for p in Permission::ALL {
            let line = format!(
                "data-permission=\"{}\" data-allowed=\"{}\"",
                p.code(),
                role.can(p)
            );
            assert!(html.contains(&line), "{role:?} {p:?}: {line}");
        }

        let (status, html) = app.get(client, "/o/eu-central-1/acme/people/audit").await;
        assert_eq!(status, if may_invite { 200 } else { 403 }, "{role:?} audit");
        assert_eq!(
            html.contains("class=\"table audit\""),
            may_invite,
            "{role:?} audit"
        );
        assert_eq!(
            html.contains(ask),
            !may_invite,
            "{role:?} audit: whom to ask"
        );
    }
    // Bob, signed in to Globex, finds no Acme page and nothing of Acme in it.
    for page in ["", "/people", "/settings", "/people/audit"] {
        let (status, html) = app.get(&bob, &format!("/o/eu-central-1/acme{page}")).await;
        assert_eq!(status, 404, "Bob acme{page}");
        assert!(html.contains("Page not found"), "Bob acme{page}");
        assert!(!html.contains("acme.test"), "Bob acme{page}: {html}");
    }
}

/// A stored role is read as a `Role` (`role AS "role: Role"`): a value that is no role's
/// exact code is an internal error that someone will see, never quietly a VIEWER.
#[sqlx::test(migrations = false)]
async fn a_stored_role_that_is_no_role_fails_loudly_never_as_viewer(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let owner = org(&app, "Acme", OWNER, &[("vic@acme.test", "EDITOR")]).await;
    let fine = app.call::<GetPeople>(&owner, &ACME).await;
    assert_eq!(fine.status, 200);

    for bad in ["viewer", " EDITOR", "SUPERUSER"] {
        sqlx::query("ALTER TABLE people DROP CONSTRAINT IF EXISTS people_role_known")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("UPDATE people SET role = $1 WHERE email = 'vic@acme.test'")
            .bind(bad)
            .execute(&pool)
            .await
            .unwrap();
        let reply = app.call::<GetPeople>(&owner, &ACME).await;
        assert_eq!(reply.status, 500, "{bad:?} is no role");
        assert!(
            matches!(reply.result, Err(AppError::Internal)),
            "{bad:?}: {:?}",
            reply.result.map(|_| ())
        );
    }
}
