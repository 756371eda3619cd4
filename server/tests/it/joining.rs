//! Joining by link (the Link tab): the switch, Allowed Email Domain(s), the email
//! confirmation, and links that stop working, through HTTP with a real SMTP sink.

use crate::common::*;
use app::error::AppError;
use app::joining::api::SaveJoinLink;
use app::joining::api::{ConfirmJoin, GetJoinConfirmation, GetJoinLink, RequestJoin};
use app::people::api::GetPeople;
use sqlx::PgPool;

const ACME: [(&str, &str); 2] = [("region", "eu-central-1"), ("short_name", "acme")];

async fn save(
    app: &TestApp,
    c: &reqwest::Client,
    enabled: bool,
    domains: &str,
) -> Reply<serde_json::Value> {
    let mut form = ACME.to_vec();
    form.push(("domains", domains));
    if enabled {
        form.push(("enabled", "on"));
    }
    app.call::<SaveJoinLink>(c, &form).await
}

/// The Link tab's settings as the admin sees them.
async fn link_tab(app: &TestApp, c: &reqwest::Client) -> serde_json::Value {
    people(app, c, "acme").await["admin"]["link"].clone()
}

fn link_token(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

async fn request(app: &TestApp, token: &str, email: &str) -> Reply<serde_json::Value> {
    app.call::<RequestJoin>(
        &new_client(),
        &[
            ("token", token),
            ("name", "Jo Joiner"),
            ("email", email),
            ("password", PASSWORD),
        ],
    )
    .await
}

#[sqlx::test(migrations = false)]
async fn people_of_allowed_domains_join_once_they_confirm_their_email(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    assert_eq!(link_tab(&app, &owner).await["enabled"], false);
    ok(save(&app, &owner, true, "Acme.test, @partner.test").await).await;
    let tab = link_tab(&app, &owner).await;
    assert_eq!(tab["enabled"], true);
    assert_eq!(
        tab["domains"],
        serde_json::json!(["acme.test", "partner.test"])
    );
    assert_eq!(tab["joined"], 0);
    let url = tab["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/join/", app.base)), "{url}");
    assert_eq!(
        link_tab(&app, &owner).await["url"],
        url.as_str(),
        "the same link every time"
    );
    let token = link_token(&url);

    let (status, html) = app.get(&new_client(), &format!("/join/{token}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Join Acme"), "{html}");

    // Other domains, subdomains and look-alikes are refused, naming the allowed ones.
    for email in ["jo@other.test", "jo@eu.acme.test", "jo@acme.test.evil"] {
        let refused = request(&app, &token, email).await;
        assert_eq!(refused.status, 422, "{email}");
        assert_eq!(
            field_keys(&refused.result.unwrap_err()),
            [("email".into(), "errors.join_domain_not_allowed".into())]
        );
        assert!(app.mailbox.to(email).is_empty());
    }

    ok(request(&app, &token, "Jo@ACME.test").await).await;
    let mail = &app.wait_for_mail("jo@acme.test", 1).await[0];
    assert_eq!(mail.subject, "Confirm your email to join Acme");
    // Not a member before confirming.
    assert_eq!(app.count("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'jo@acme.test'").await, 0);
    assert_eq!(link_tab(&app, &owner).await["joined"], 0);

    let confirm = token_of(&link_in(mail));
    let c = new_client();
    let shown = ok(app
        .call::<GetJoinConfirmation>(&c, &[("token", &confirm)])
        .await)
    .await;
    assert_eq!(shown["email"], "jo@acme.test");
    let home = ok(app
        .call::<ConfirmJoin>(&c, &[("token", &confirm), ("password", PASSWORD)])
        .await)
    .await;
    assert_eq!(home, "/o/eu-central-1/acme");
    let mine = ok(app.call::<GetPeople>(&c, &ACME).await).await;
    assert_eq!(mine["my_role"], "VIEWER", "the least role");
    assert_eq!(link_tab(&app, &owner).await["joined"], 1);
    let again = app
        .call::<ConfirmJoin>(
            &new_client(),
            &[("token", &confirm), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        again.result.unwrap_err(),
        AppError::Gone("errors.join_confirm_used".into())
    );
    // Asking again says nothing of membership here; Jo is told by mail.
    ok(request(&app, &token, "jo@acme.test").await).await;
    mail_with_subject(&app, "jo@acme.test", "already a member of Acme").await;
}

#[sqlx::test(migrations = false)]
async fn turning_the_setting_off_stops_the_link_and_on_again_makes_a_new_one(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    ok(save(&app, &owner, true, "acme.test").await).await;
    let old = link_token(link_tab(&app, &owner).await["url"].as_str().unwrap());
    // A join waiting for its confirmation when the link is turned off.
    ok(request(&app, &old, "jo@acme.test").await).await;
    let pending = token_of(&link_in(&app.wait_for_mail("jo@acme.test", 1).await[0]));

    ok(save(&app, &owner, false, "acme.test").await).await;
    assert!(link_tab(&app, &owner).await["url"].is_null());
    let (status, html) = app.get(&new_client(), &format!("/join/{old}")).await;
    assert_eq!(status, 410);
    assert!(html.contains("turned off joining by link"), "{html}");
    let late = request(&app, &old, "kim@acme.test").await;
    assert_eq!(
        late.result.unwrap_err(),
        AppError::Gone("errors.join_link_disabled".into())
    );
    let confirm = app
        .call::<ConfirmJoin>(
            &new_client(),
            &[("token", &pending), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(confirm.status, 410);

    ok(save(&app, &owner, true, "acme.test").await).await;
    let new = link_token(link_tab(&app, &owner).await["url"].as_str().unwrap());
    assert_ne!(new, old);
    let (status, html) = app.get(&new_client(), &format!("/join/{old}")).await;
    assert_eq!(status, 410);
    assert!(
        html.contains("This link was replaced by a new one"),
        "{html}"
    );
    let fresh = ok(app
        .call::<GetJoinLink>(&new_client(), &[("token", &new)])
        .await)
    .await;
    assert_eq!(fresh["state"], "Open");
    let (status, html) = app.get(&new_client(), "/join/nope").await;
    assert_eq!(status, 404);
    assert!(html.contains("This join link does not exist"), "{html}");
}

#[sqlx::test(migrations = false)]
async fn allowed_domains_are_validated_and_nothing_is_saved_on_error(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    let empty = save(&app, &owner, true, "  ").await;
    assert_eq!(
        field_keys(&empty.result.unwrap_err()),
        [("domains".into(), "errors.domains_required".into())]
    );
    let bad = save(&app, &owner, true, "acme.test, not_a_domain, acme").await;
    assert_eq!(
        field_keys(&bad.result.unwrap_err()),
        [
            ("domains".into(), "errors.domain_invalid".into()),
            ("domains".into(), "errors.domain_invalid".into()),
        ]
    );
    let tab = link_tab(&app, &owner).await;
    assert_eq!(tab["enabled"], false);
    assert_eq!(tab["domains"], serde_json::json!([]));
    // The message names the field in the person's language.
    let fr = app
        .call_with::<SaveJoinLink>(
            &owner,
            &[ACME[0], ACME[1], ("enabled", "on"), ("domains", "acme")],
            Some("fr"),
        )
        .await;
    let err = fr.result.unwrap_err();
    let AppError::Validation(errors) = &err else {
        panic!("{err:?}")
    };
    assert!(
        errors[0]
            .message(app::i18n::Locale::Fr)
            .starts_with("Allowed Email Domain(s) : « acme »")
    );
}

/// Joins through `token` as `email` and confirms; the confirmation's answer.
async fn join_and_confirm(app: &TestApp, token: &str, email: &str) -> Reply<serde_json::Value> {
    ok(request(app, token, email).await).await;
    let mail = mail_with_subject(app, email, "Confirm your email").await;
    app.call::<ConfirmJoin>(
        &new_client(),
        &[
            ("token", &token_of(&link_in(&mail))),
            ("password", PASSWORD),
        ],
    )
    .await
}

async fn new_link(
    app: &TestApp,
    c: &reqwest::Client,
    fields: &[(&str, &str)],
) -> Reply<serde_json::Value> {
    let mut form = ACME.to_vec();
    form.extend_from_slice(fields);
    app.call::<app::joining::api::CreateLimitedLink>(c, &form)
        .await
}

/// A named link with two joins gives its role (EDITOR) and stops after the second: the
/// third visitor is told it is full, in their language; the domains still apply; the
/// tab lists it with who made it and how many joins are left; Disable stops it.
#[sqlx::test(migrations = false)]
async fn a_limited_link_gives_its_role_and_stops_after_its_last_join(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    ok(save(&app, &owner, false, "acme.test").await).await;
    ok(new_link(
        &app,
        &owner,
        &[("name", "Summit"), ("role", "EDITOR"), ("max_joins", "2")],
    )
    .await)
    .await;
    let tab = link_tab(&app, &owner).await;
    assert_eq!(
        tab["enabled"], false,
        "the organization's own link stays off"
    );
    let link = &tab["links"][0];
    assert_eq!(
        (link["name"].as_str(), link["role"].as_str()),
        (Some("Summit"), Some("EDITOR"))
    );
    assert_eq!(link["made_by"], "Olivia Owner");
    assert_eq!(
        (link["max_joins"].as_i64(), link["joined"].as_i64()),
        (Some(2), Some(0))
    );
    let token = link_token(link["url"].as_str().unwrap());

    let view = ok(app
        .call::<GetJoinLink>(&new_client(), &[("token", &token)])
        .await)
    .await;
    assert_eq!(view["role"], "EDITOR");
    let refused = request(&app, &token, "jo@other.test").await;
    assert_eq!(
        field_keys(&refused.result.unwrap_err())[0].1,
        "errors.join_domain_not_allowed"
    );
    // Two ask at once; both confirm; then the link is full.
    ok(request(&app, &token, "ann@acme.test").await).await;
    ok(request(&app, &token, "bob@acme.test").await).await;
    ok(request(&app, &token, "cy@acme.test").await).await;
    let mut answers = Vec::new();
    for email in ["ann@acme.test", "bob@acme.test", "cy@acme.test"] {
        let mail = mail_with_subject(&app, email, "Confirm your email").await;
        let c = new_client();
        let answer = app
            .call::<ConfirmJoin>(
                &c,
                &[
                    ("token", &token_of(&link_in(&mail))),
                    ("password", PASSWORD),
                ],
            )
            .await;
        if answer.status == 200 {
            let mine = ok(app.call::<GetPeople>(&c, &ACME).await).await;
            assert_eq!(mine["my_role"], "EDITOR", "the link's role");
        }
        answers.push(answer.result.err());
    }
    assert_eq!(
        answers,
        [
            None,
            None,
            Some(AppError::Gone("errors.join_link_full".into()))
        ],
        "the third confirmation finds the link full"
    );
    let tab = link_tab(&app, &owner).await;
    assert_eq!(tab["links"][0]["joined"], 2);
    assert_eq!(tab["links"][0]["state"], "Full");
    // A visitor now: told at once, in German.
    let html = app
        .get_with_cookie(&new_client(), &format!("/join/{token}"), "muster_lang=de")
        .await;
    assert!(html.contains("so oft verwendet"), "{html}");
    let late = request(&app, &token, "dee@acme.test").await;
    assert_eq!(
        late.result.unwrap_err(),
        AppError::Gone("errors.join_link_full".into())
    );

    // Disable: gone from the list, and the link says it was turned off.
    let id = tab["links"][0]["id"].to_string();
    let mut form = ACME.to_vec();
    form.push(("link_id", &id));
    ok(app
        .call::<app::joining::api::DisableLimitedLink>(&owner, &form)
        .await)
    .await;
    assert_eq!(link_tab(&app, &owner).await["links"], serde_json::json!([]));
    let gone = request(&app, &token, "eve@acme.test").await;
    assert_eq!(
        gone.result.unwrap_err(),
        AppError::Gone("errors.join_link_disabled".into())
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action IN ('join_link_enabled', 'join_link_disabled') AND subject = 'Summit'").await,
        2
    );
}

/// A link past its last day says so; a link is never ADMIN or OWNER; mistakes are named
/// together; a VIEWER makes no link; another organization's link cannot be disabled.
#[sqlx::test(migrations = false)]
async fn limited_links_expire_and_are_checked(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[("vi@acme.test", "VIEWER")]).await;
    ok(save(&app, &owner, false, "acme.test").await).await;
    let today = chrono::Utc::now().date_naive().to_string();
    ok(new_link(
        &app,
        &owner,
        &[
            ("name", "Today only"),
            ("role", "VIEWER"),
            ("expires", &today),
        ],
    )
    .await)
    .await;
    let link = link_tab(&app, &owner).await["links"][0].clone();
    assert_eq!(link["expires"], today.as_str());
    let token = link_token(link["url"].as_str().unwrap());
    ok(join_and_confirm(&app, &token, "ann@acme.test").await).await;
    sqlx::query(
        "UPDATE join_links SET expires_at = now() - interval '1 second' WHERE name = 'Today only'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let late = request(&app, &token, "bob@acme.test").await;
    assert_eq!(
        late.result.unwrap_err(),
        AppError::Gone("errors.join_link_expired".into())
    );
    assert_eq!(link_tab(&app, &owner).await["links"][0]["state"], "Expired");

    let bad = new_link(
        &app,
        &owner,
        &[
            ("name", ""),
            ("role", "ADMIN"),
            ("expires", "2001-01-01"),
            ("max_joins", "-3"),
        ],
    )
    .await;
    assert_eq!(bad.status, 422);
    let fields: Vec<String> = field_keys(&bad.result.unwrap_err())
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(fields, ["name", "role", "expires", "max_joins"]);

    let viewer = accept(&app, "vi@acme.test").await;
    assert_eq!(
        new_link(&app, &viewer, &[("name", "Mine"), ("role", "VIEWER")])
            .await
            .status,
        403
    );
    let globex = org(&app, "Globex", "g@globex.test", &[]).await;
    let id = link["id"].to_string();
    let form = [
        ("region", "eu-central-1"),
        ("short_name", "globex"),
        ("link_id", id.as_str()),
    ];
    assert_eq!(
        app.call::<app::joining::api::DisableLimitedLink>(&globex, &form)
            .await
            .status,
        404
    );
}
