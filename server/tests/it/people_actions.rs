//! More Options (Resend, Revoke, Deactivate / Activate, Change role), Invite All, the
//! daily quota, the audit log, paging and search, and organization isolation for all of
//! them, through HTTP against a real database and SMTP sink.

use crate::common::*;
use app::audit::api::GetAuditLog;
use app::auth::api::SetLocale;
use app::error::AppError;
use app::i18n::{Locale, tr_args};
use app::invitations::api::AcceptInvitation;
use app::invite_all::api::{GetInviteAllPreview, InviteAll};
use app::joining::api::SaveJoinLink;
use app::people::api::{
    AddPerson, ChangeRole, GetPeople, RevokeInvite, SendInvite, SetPersonActive,
};
use app::people::markup::RowAttrs;
use app::people::types::PersonRow;
use sqlx::PgPool;

const ACME: [(&str, &str); 2] = [("region", "eu-central-1"), ("short_name", "acme")];

async fn add(app: &TestApp, c: &reqwest::Client, name: &str, email: &str, role: &str, now: bool) {
    let mut form = ACME.to_vec();
    form.extend([("name", name), ("email", email), ("role", role)]);
    if now {
        form.push(("send_now", "on"));
    }
    ok(app.call::<AddPerson>(c, &form).await).await;
}

fn id_of(page: &serde_json::Value, email: &str) -> String {
    row(page, email)["id"].to_string()
}

async fn accept_token(app: &TestApp, token: &str) -> Reply<serde_json::Value> {
    app.call::<AcceptInvitation>(
        &new_client(),
        &[
            ("token", token),
            ("name", "Ann Example"),
            ("password", PASSWORD),
        ],
    )
    .await
}

#[sqlx::test(migrations = false)]
async fn resend_sends_a_fresh_thirty_days_and_the_old_link_stops(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    add(&app, &owner, "Ann", "ann@acme.test", "EDITOR", true).await;
    let first = token_of(&link_in(&app.wait_for_mail("ann@acme.test", 1).await[0]));
    // Pretend the first one is 29 days old.
    sqlx::query("UPDATE invitations SET expires_at = now() + interval '1 day' WHERE email = 'ann@acme.test'")
        .execute(&app.pool)
        .await
        .unwrap();
    let page = people(&app, &owner, "acme").await;
    let id = id_of(&page, "ann@acme.test");
    ok(act::<SendInvite>(&app, &owner, &id, &[("confirmed", "true")]).await).await;
    let mails = app.wait_for_mail("ann@acme.test", 2).await;
    let second = token_of(&link_in(&mails[1]));
    assert_ne!(first, second);

    let old = accept_token(&app, &first).await;
    assert_eq!(old.status, 410);
    assert_eq!(
        old.result.unwrap_err(),
        AppError::Gone("errors.invitation_replaced".into())
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM invitations WHERE email = 'ann@acme.test' AND revoked_at IS NULL
             AND expires_at BETWEEN now() + interval '29 days 23 hours' AND now() + interval '30 days'"
        )
        .await,
        1,
        "the new invitation runs 30 days from the resend"
    );
    let joined = accept_token(&app, &second).await;
    assert_eq!(joined.status, 200);
    assert_eq!(
        audit_actions(&app, &owner).await,
        ["invitation_resent", "invitation_sent", "person_added"]
    );
}

#[sqlx::test(migrations = false)]
async fn revoke_stops_the_link_and_says_so(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    add(&app, &owner, "Ann", "ann@acme.test", "VIEWER", true).await;
    let token = token_of(&link_in(&app.wait_for_mail("ann@acme.test", 1).await[0]));
    let id = id_of(&people(&app, &owner, "acme").await, "ann@acme.test");
    ok(act::<RevokeInvite>(&app, &owner, &id, &[]).await).await;
    let page = people(&app, &owner, "acme").await;
    assert_eq!(row(&page, "ann@acme.test")["invitation"], "Revoked");
    let reply = accept_token(&app, &token).await;
    assert_eq!(
        reply.result.unwrap_err(),
        AppError::Gone("errors.invitation_revoked".into())
    );
    let again = act::<RevokeInvite>(&app, &owner, &id, &[]).await;
    assert_eq!(again.status, 409);
}

#[sqlx::test(migrations = false)]
async fn deactivated_members_lose_access_and_inviting_an_inactive_person_activates_them(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[("vic@acme.test", "VIEWER")]).await;
    let vic = accept(&app, "vic@acme.test").await;
    add(&app, &owner, "Later", "later@acme.test", "VIEWER", false).await;
    let page = people(&app, &owner, "acme").await;
    let (vic_id, later_id, owner_id) = (
        id_of(&page, "vic@acme.test"),
        id_of(&page, "later@acme.test"),
        id_of(&page, "it@acme.test"),
    );

    ok(act::<SetPersonActive>(&app, &owner, &vic_id, &[("active", "false")]).await).await;
    let shut = app.call::<GetPeople>(&vic, &ACME).await;
    assert_eq!(
        shut.status, 404,
        "an inactive member no longer reaches the organization"
    );
    ok(act::<SetPersonActive>(&app, &owner, &vic_id, &[("active", "true")]).await).await;
    assert_eq!(app.call::<GetPeople>(&vic, &ACME).await.status, 200);

    // The seed's note: sending to an Inactive person makes them Active.
    ok(act::<SetPersonActive>(&app, &owner, &later_id, &[("active", "false")]).await).await;
    assert_eq!(
        row(&people(&app, &owner, "acme").await, "later@acme.test")["active"],
        false
    );
    ok(act::<SendInvite>(&app, &owner, &later_id, &[]).await).await;
    assert_eq!(
        row(&people(&app, &owner, "acme").await, "later@acme.test")["active"],
        true
    );

    // The only owner cannot deactivate themselves.
    let last = act::<SetPersonActive>(&app, &owner, &owner_id, &[("active", "false")]).await;
    assert_eq!(last.status, 409);
    assert_eq!(
        last.result.unwrap_err(),
        AppError::Conflict("errors.last_owner".into())
    );
}

#[sqlx::test(migrations = false)]
async fn roles_change_everywhere_at_once_under_the_owner_rules(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(
        &app,
        "Acme",
        "it@acme.test",
        &[("vic@acme.test", "VIEWER"), ("ada@acme.test", "ADMIN")],
    )
    .await;
    let vic = accept(&app, "vic@acme.test").await;
    let ada = accept(&app, "ada@acme.test").await;
    let page = people(&app, &owner, "acme").await;
    let (vic_id, owner_id) = (id_of(&page, "vic@acme.test"), id_of(&page, "it@acme.test"));

    ok(act::<ChangeRole>(&app, &ada, &vic_id, &[("role", "EDITOR")]).await).await;
    assert_eq!(people(&app, &vic, "acme").await["my_role"], "EDITOR");
    // An admin cannot make an owner, nor demote one.
    let up = act::<ChangeRole>(&app, &ada, &vic_id, &[("role", "OWNER")]).await;
    assert_eq!(
        up.result.unwrap_err(),
        AppError::NotPermitted {
            key: "errors.only_owner_grants_owner".into(),
            contacts: Vec::new()
        }
    );
    let down = act::<ChangeRole>(&app, &ada, &owner_id, &[("role", "VIEWER")]).await;
    assert_eq!(down.status, 403);
    // The last owner cannot step down; after naming another owner they can.
    let alone = act::<ChangeRole>(&app, &owner, &owner_id, &[("role", "ADMIN")]).await;
    assert_eq!(
        alone.result.unwrap_err(),
        AppError::Conflict("errors.last_owner".into())
    );
    ok(act::<ChangeRole>(&app, &owner, &vic_id, &[("role", "OWNER")]).await).await;
    ok(act::<ChangeRole>(&app, &owner, &owner_id, &[("role", "ADMIN")]).await).await;
    assert_eq!(people(&app, &owner, "acme").await["my_role"], "ADMIN");
    // Nonsense is named.
    let bad = act::<ChangeRole>(&app, &vic, &vic_id, &[("role", "KING")]).await;
    assert_eq!(bad.status, 422);
    let log = audit_actions(&app, &vic).await;
    assert_eq!(log.iter().filter(|a| *a == "role_changed").count(), 3);
}

#[sqlx::test(migrations = false)]
async fn the_daily_quota_is_shown_and_enforced_without_half_writes(pool: PgPool) {
    let app = spawn_app_with(
        pool,
        Options {
            extra_args: vec!["--invite-daily-quota".into(), "2".into()],
            ..Options::default()
        },
    )
    .await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    add(&app, &owner, "A", "a@acme.test", "VIEWER", true).await;
    add(&app, &owner, "B", "b@acme.test", "VIEWER", true).await;
    let page = people(&app, &owner, "acme").await;
    assert_eq!(
        (
            page["admin"]["quota_left"].as_i64(),
            page["admin"]["quota"].as_i64()
        ),
        (Some(0), Some(2))
    );
    let (_, html) = app.get(&owner, "/o/eu-central-1/acme/people").await;
    assert!(html.contains("0 of 2 invitations left today"), "{html}");

    let mut form = ACME.to_vec();
    form.extend([
        ("name", "C"),
        ("email", "c@acme.test"),
        ("role", "VIEWER"),
        ("send_now", "on"),
    ]);
    let over = app.call::<AddPerson>(&owner, &form).await;
    assert_eq!(over.status, 422);
    assert_eq!(
        field_keys(&over.result.unwrap_err()),
        [("form".into(), "errors.invite_quota_exceeded".into())]
    );
    assert_eq!(
        app.count("SELECT count(*) FROM people WHERE email = 'c@acme.test'")
            .await,
        0,
        "nothing half-written"
    );
    // Adding without sending does not use the quota.
    add(&app, &owner, "C", "c@acme.test", "VIEWER", false).await;
    let all = app.call::<InviteAll>(&owner, &ACME).await;
    assert_eq!(all.status, 422);
    assert_eq!(
        app.count("SELECT count(*) FROM invite_batch_people").await,
        0
    );
}

#[sqlx::test(migrations = false)]
async fn invite_all_invites_exactly_the_never_invited_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[("vic@acme.test", "VIEWER")]).await;
    accept(&app, "vic@acme.test").await;
    add(&app, &owner, "Sent", "sent@acme.test", "VIEWER", true).await;
    for i in 0..5 {
        add(
            &app,
            &owner,
            &format!("Later {i}"),
            &format!("later{i}@acme.test"),
            "EDITOR",
            false,
        )
        .await;
    }
    let page = people(&app, &owner, "acme").await;
    let inactive = id_of(&page, "later0@acme.test");
    ok(act::<SetPersonActive>(&app, &owner, &inactive, &[("active", "false")]).await).await;
    let preview = ok(app.call::<GetInviteAllPreview>(&owner, &ACME).await).await;
    assert_eq!(preview["never_invited"], 5);
    assert_eq!(preview["never_invited_inactive"], 1);

    // A double submit (two at once, then one more) invites nobody twice.
    let (a, b) = tokio::join!(
        app.call::<InviteAll>(&owner, &ACME),
        app.call::<InviteAll>(&owner, &ACME)
    );
    ok(a).await;
    ok(b).await;
    ok(app.call::<InviteAll>(&owner, &ACME).await).await;
    for i in 0..5 {
        let mails = app.wait_for_mail(&format!("later{i}@acme.test"), 1).await;
        assert!(
            mails[0].subject.contains("invited you to Acme"),
            "{}",
            mails[0].subject
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for i in 0..5 {
        assert_eq!(app.mailbox.to(&format!("later{i}@acme.test")).len(), 1);
    }
    assert_eq!(
        app.mailbox.to("sent@acme.test").len(),
        1,
        "already invited: not again"
    );
    assert_eq!(
        app.mailbox.to("vic@acme.test").len(),
        1,
        "members: not again"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE email LIKE 'later%'")
            .await,
        5
    );

    let page = people(&app, &owner, "acme").await;
    assert_eq!(
        row(&page, "later0@acme.test")["active"],
        true,
        "Inactive became Active"
    );
    assert_eq!(row(&page, "later3@acme.test")["invitation"], "Pending");
    assert!(row(&page, "later3@acme.test")["welcome_sent"].is_string());
    let preview = ok(app.call::<GetInviteAllPreview>(&owner, &ACME).await).await;
    assert_eq!(preview["never_invited"], 0);
    let batch = &page["admin"]["batch"];
    assert_eq!(batch["total"], 5);
    let log = ok(app.call::<GetAuditLog>(&owner, &ACME).await).await;
    let invite_all: Vec<_> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "invite_all")
        .collect();
    assert_eq!(invite_all.len(), 1);
    assert_eq!(invite_all[0]["detail"], "5");
}

/// An invitation is written in the language the invitee chose for their account; people
/// without an account get the inviter's. One by one and through Invite All alike.
#[sqlx::test(migrations = false)]
async fn invitations_are_written_in_the_language_the_invitee_chose(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    for (company, email) in [
        ("Globex", "ute@globex.test"),
        ("Initech", "uwe@initech.test"),
    ] {
        let account = org(&app, company, email, &[]).await;
        ok(app.call::<SetLocale>(&account, &[("locale", "de")]).await).await;
    }
    add(&app, &owner, "Ute", "ute@globex.test", "VIEWER", true).await;
    add(&app, &owner, "Uwe", "uwe@initech.test", "EDITOR", false).await;
    add(&app, &owner, "Nadia", "nadia@acme.test", "EDITOR", false).await;
    ok(app.call::<InviteAll>(&owner, &ACME).await).await;

    let subject = |locale| {
        tr_args(
            locale,
            "email.invitation.subject",
            &[("inviter", "Olivia Owner"), ("org", "Acme")],
        )
    };
    let (german, english) = (subject(Locale::De), subject(Locale::En));
    assert_ne!(german, english);
    for email in ["ute@globex.test", "uwe@initech.test"] {
        let mail = mail_with_subject(&app, email, &german).await;
        assert!(mail.text.contains("lang=de"), "{}", mail.text);
        assert!(
            app.mailbox.to(email).iter().all(|m| m.subject != english),
            "no English invitation to {email}"
        );
    }
    let mail = mail_with_subject(&app, "nadia@acme.test", &english).await;
    assert!(mail.text.contains("lang=en"), "{}", mail.text);
}

#[sqlx::test(migrations = false)]
async fn the_list_pages_sorts_and_searches(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    sqlx::query(
        "INSERT INTO people (org_id, name, email, role)
         SELECT o.id, 'Aaa Person ' || lpad(g::text, 3, '0'), 'p' || lpad(g::text, 3, '0') || '@acme.test', 'VIEWER'
         FROM organizations o, generate_series(1, 60) g WHERE o.short_name = 'acme'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let get = |params: Vec<(&'static str, String)>| {
        let app = &app;
        let owner = &owner;
        async move {
            let mut form: Vec<(&str, &str)> = ACME.to_vec();
            form.extend(params.iter().map(|(k, v)| (*k, v.as_str())));
            ok(app.call::<GetPeople>(owner, &form).await).await
        }
    };
    // 61 people by name: the owner sorts after "Aaa Person ...".
    let first = get(vec![]).await;
    assert_eq!(emails(&first).len(), 50);
    assert_eq!(emails(&first)[0], "p001@acme.test");
    assert!(first["prev"].is_null());
    let next = first["next"].to_string();
    let second = get(vec![("after", next)]).await;
    assert_eq!(emails(&second).len(), 11);
    assert_eq!(emails(&second)[0], "p051@acme.test");
    assert_eq!(emails(&second)[9], "p060@acme.test");
    assert_eq!(emails(&second)[10], "it@acme.test");
    assert!(second["next"].is_null());
    let back = get(vec![("before", second["prev"].to_string())]).await;
    assert_eq!(emails(&back), emails(&first));

    let desc = get(vec![("sort", "-email".into())]).await;
    assert_eq!(emails(&desc)[0], "p060@acme.test");
    let search = get(vec![("q", "PERSON 05".into())]).await;
    assert_eq!(
        emails(&search),
        (50..=59)
            .map(|i| format!("p0{i}@acme.test"))
            .collect::<Vec<_>>()
    );
    let by_mail = get(vec![("q", "P007@".into())]).await;
    assert_eq!(emails(&by_mail), ["p007@acme.test"]);
    let wild = get(vec![("q", "%".into())]).await;
    assert!(emails(&wild).is_empty(), "% is a character, not a wildcard");
    // Words match from their start, in any order; the case of any letter is ignored.
    let any_order = get(vec![("q", "007 aaa".into())]).await;
    assert_eq!(emails(&any_order), ["p007@acme.test"]);
    let inside = get(vec![("q", "erson".into())]).await;
    assert!(
        emails(&inside).is_empty(),
        "a word is found by its beginning"
    );
    let by_domain = get(vec![("q", "acme.TEST".into())]).await;
    assert_eq!(
        emails(&by_domain).len(),
        50,
        "every address has the words acme and test"
    );
    sqlx::query(
        "INSERT INTO people (org_id, name, email, role)
         SELECT id, 'Zoé ÉCOLE-Über', 'zoe@acme.test', 'VIEWER' FROM organizations WHERE short_name = 'acme'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    for q in ["école", "ÉCOLE", "über zoé", "ZOÉ"] {
        let found = get(vec![("q", q.into())]).await;
        assert_eq!(emails(&found), ["zoe@acme.test"], "searching {q:?}");
    }
    // A one-word search walks only the first 2,000 people in the list's order before it
    // reads its matches alone: matches beyond that stretch are found all the same, in
    // order, page by page.
    sqlx::query(
        "INSERT INTO people (org_id, name, email, role)
         SELECT o.id, 'Aab Filler ' || lpad(g::text, 4, '0') || CASE WHEN g > 5100 THEN ' Late' ELSE '' END,
                'f' || lpad(g::text, 4, '0') || '@acme.test', 'VIEWER'
         FROM organizations o, generate_series(1, 5160) g WHERE o.short_name = 'acme'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let late = get(vec![("q", "late".into())]).await;
    let expected: Vec<String> = (5101..=5160).map(|i| format!("f{i}@acme.test")).collect();
    assert_eq!(emails(&late), expected[..50]);
    let rest = get(vec![
        ("q", "late".into()),
        ("after", late["next"].to_string()),
    ])
    .await;
    assert_eq!(emails(&rest), expected[50..]);
    assert!(rest["next"].is_null());
    let needle = get(vec![("q", "zoé".into()), ("sort", "-email".into())]).await;
    assert_eq!(emails(&needle), ["zoe@acme.test"]);
    let filler = get(vec![("q", "filler".into())]).await;
    assert_eq!(emails(&filler)[0], "f0001@acme.test");
    assert_eq!(emails(&filler).len(), 50);
}

#[sqlx::test(migrations = false)]
async fn no_action_reaches_across_organizations_and_viewers_are_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let acme = org(&app, "Acme", "it@acme.test", &[("vic@acme.test", "VIEWER")]).await;
    let vic = accept(&app, "vic@acme.test").await;
    let globex = org(&app, "Globex", "it@globex.test", &[]).await;
    add(&app, &acme, "Ann", "ann@acme.test", "VIEWER", false).await;
    let ann = id_of(&people(&app, &acme, "acme").await, "ann@acme.test");

    // Globex's owner, on Acme's address: Acme does not exist for them.
    for status in [
        act::<SendInvite>(&app, &globex, &ann, &[]).await.status,
        act::<RevokeInvite>(&app, &globex, &ann, &[]).await.status,
        act::<SetPersonActive>(&app, &globex, &ann, &[("active", "false")])
            .await
            .status,
        act::<ChangeRole>(&app, &globex, &ann, &[("role", "ADMIN")])
            .await
            .status,
        app.call::<InviteAll>(&globex, &ACME).await.status,
        app.call::<GetAuditLog>(&globex, &ACME).await.status,
        app.call::<SaveJoinLink>(
            &globex,
            &[
                ACME[0],
                ACME[1],
                ("enabled", "on"),
                ("domains", "globex.test"),
            ],
        )
        .await
        .status,
    ] {
        assert_eq!(status, 404);
    }
    // Globex's owner, on Globex's address with an Acme person's id: not found either.
    let mut form = vec![
        ("region", "eu-central-1"),
        ("short_name", "globex"),
        ("person_id", ann.as_str()),
    ];
    assert_eq!(app.call::<SendInvite>(&globex, &form).await.status, 404);
    form.push(("role", "ADMIN"));
    assert_eq!(app.call::<ChangeRole>(&globex, &form).await.status, 404);

    // Acme's viewer: refused with the names to ask.
    for reply in [
        act::<SendInvite>(&app, &vic, &ann, &[]).await,
        act::<RevokeInvite>(&app, &vic, &ann, &[]).await,
        act::<SetPersonActive>(&app, &vic, &ann, &[("active", "false")]).await,
        act::<ChangeRole>(&app, &vic, &ann, &[("role", "ADMIN")]).await,
        app.call::<InviteAll>(&vic, &ACME).await,
        app.call::<GetAuditLog>(&vic, &ACME).await,
        app.call::<SaveJoinLink>(
            &vic,
            &[
                ACME[0],
                ACME[1],
                ("enabled", "on"),
                ("domains", "acme.test"),
            ],
        )
        .await,
    ] {
        assert_eq!(reply.status, 403);
        assert!(
            matches!(reply.result, Err(AppError::NotPermitted { ref contacts, .. }) if contacts == &["Olivia Owner <it@acme.test>"])
        );
    }
    assert!(app.mailbox.to("ann@acme.test").is_empty());
    let page = people(&app, &acme, "acme").await;
    assert_eq!(row(&page, "ann@acme.test")["role"], "VIEWER");

    // Searching Globex's people finds Globex's Ann only, never Acme's (the search index
    // keys every word by its organization).
    add_person(
        &app,
        &globex,
        "globex",
        "Ann Globex",
        "ann@globex.test",
        "VIEWER",
    )
    .await;
    let at_globex = [
        ("region", "eu-central-1"),
        ("short_name", "globex"),
        ("q", "ann"),
    ];
    let search = ok(app.call::<GetPeople>(&globex, &at_globex).await).await;
    assert_eq!(emails(&search), ["ann@globex.test"]);
    assert_eq!(row(&page, "ann@acme.test")["active"], true);
}

/// The `<tr>` tags of a People page's rows with their attributes, and each row's first
/// cell (the name), unescaped.
fn rendered_rows(html: &str) -> Vec<(std::collections::HashMap<String, String>, String)> {
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    html.split("<tr ")
        .skip(1)
        .filter_map(|piece| {
            let (tag, rest) = piece.split_once('>')?;
            let attrs: std::collections::HashMap<String, String> = tag
                .split("\" ")
                .filter_map(|a| a.trim().split_once("=\""))
                .map(|(k, v)| (k.to_owned(), unescape(v.trim_end_matches('"'))))
                .collect();
            // The first cell, whatever its attributes: the name, as the browser reads it.
            let cell = rest.strip_prefix("<td")?.split_once('>')?.1;
            let name = cell.split_once("</td>")?.0;
            let name = name.replace("<!>", "");
            attrs
                .contains_key(RowAttrs::ID)
                .then(|| (attrs, unescape(&name)))
        })
        .collect()
}

#[sqlx::test(migrations = false)]
async fn the_people_page_sends_its_rows_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    add(
        &app,
        &owner,
        "Zoë O'Neil",
        "zoe.oneil@acme.test",
        "EDITOR",
        true,
    )
    .await;
    add(
        &app,
        &owner,
        "Quentin Quill",
        "quentin.quill@acme.test",
        "VIEWER",
        false,
    )
    .await;
    let quentin = id_of(
        &people(&app, &owner, "acme").await,
        "quentin.quill@acme.test",
    );
    act::<SetPersonActive>(&app, &owner, &quentin, &[("active", "false")]).await;

    let (status, html) = app.get(&owner, "/o/eu-central-1/acme/people").await;
    assert_eq!(status, 200);
    // The hydration payload (the page's scripts) carries no row: only the markup does.
    for script in html.split("<script").skip(1) {
        let script = script.split("</script>").next().unwrap();
        for word in ["zoe.oneil@acme.test", "Quill", "O'Neil", "O\\u0027Neil"] {
            assert!(!script.contains(word), "{word} is in a script: {script}");
        }
    }
    // Every fact of every row is in the markup, under the names the browser reads.
    let listed = people(&app, &owner, "acme").await;
    let rendered = rendered_rows(&html);
    assert_eq!(rendered.len(), listed["people"].as_array().unwrap().len());
    for (attrs, name) in &rendered {
        let person: PersonRow =
            serde_json::from_value(row(&listed, &attrs[RowAttrs::EMAIL]).clone()).unwrap();
        assert_eq!(attrs[RowAttrs::ID], person.id.to_string());
        assert_eq!(name, &person.name);
        assert_eq!(attrs[RowAttrs::ROLE], person.role.code());
        assert_eq!(
            attrs[RowAttrs::STATUS],
            if person.active { "active" } else { "inactive" }
        );
        assert_eq!(attrs[RowAttrs::INVITATION], person.invitation.code());
        let welcome = html
            .split(&format!("{}=\"{}\"", RowAttrs::EMAIL, person.email))
            .nth(1)
            .and_then(|row| row.split("</tr>").next())
            .and_then(|row| row.split(&format!("{}=\"", RowAttrs::WELCOME)).nth(1))
            .map(|v| v.split('"').next().unwrap().to_owned());
        assert_eq!(welcome, person.welcome_sent, "{}", person.email);
    }
    let zoe = rendered
        .iter()
        .find(|(a, _)| a[RowAttrs::EMAIL] == "zoe.oneil@acme.test");
    let (attrs, name) = zoe.expect("Zoë is listed");
    assert_eq!(name, "Zoë O'Neil");
    assert_eq!(attrs[RowAttrs::INVITATION], "pending");
    let quentin = rendered
        .iter()
        .find(|(a, _)| a[RowAttrs::EMAIL] == "quentin.quill@acme.test");
    assert_eq!(
        quentin.expect("Quentin is listed").0[RowAttrs::STATUS],
        "inactive"
    );
}

#[sqlx::test(migrations = false)]
async fn a_viewers_people_page_never_waits_for_a_second_connection(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    org(&app, "Acme", "it@acme.test", &[("vic@acme.test", "VIEWER")]).await;
    let vic = accept(&app, "vic@acme.test").await;
    // A second server on the same database whose pool has two connections, one of them
    // kept by the bell's LISTEN: a page that held the other and waited for one more
    // would wait forever (here: time out).
    let one = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(std::time::Duration::from_secs(3))
        .connect_with((*pool.connect_options()).clone())
        .await
        .unwrap();
    let small = spawn_app(one).await;
    let page = people(&small, &vic, "acme").await;
    assert_eq!(page["can_invite"], false);
    assert_eq!(
        page["contacts"],
        serde_json::json!(["Olivia Owner <it@acme.test>"])
    );
    let (status, html) = small.get(&vic, "/o/eu-central-1/acme/people").await;
    assert_eq!(status, 200);
    assert!(html.contains("vic@acme.test"), "{html}");
}

#[sqlx::test(migrations = false)]
async fn an_admins_people_page_does_not_wait_for_people_being_added(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    // Someone is adding a person and has not committed yet (Invite All's worker, another
    // admin's Add Person): the new row's foreign key holds a KEY SHARE lock on the
    // organization until then.
    let mut adding = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO people (org_id, name, email, role)
         SELECT id, 'Ada Lane', 'ada@acme.test', 'VIEWER' FROM organizations
         WHERE short_name = 'acme'",
    )
    .execute(&mut *adding)
    .await
    .unwrap();
    // The page must come while that is still open. Rather than a time limit, the test
    // asks PostgreSQL whether any of this database's sessions waits for a lock.
    let page = app.get(&owner, "/o/eu-central-1/acme/people");
    tokio::pin!(page);
    let (status, html) = loop {
        tokio::select! {
            answer = &mut page => break answer,
            () = tokio::time::sleep(std::time::Duration::from_millis(20)) => {
                let waiting: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_stat_activity
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                )
                .fetch_one(&pool)
                .await
                .unwrap();
                assert_eq!(waiting, 0, "the People page waits for someone else's unfinished change");
            }
        }
    };
    assert_eq!(status, 200);
    assert!(html.contains("Invite All"), "{html}");
    assert!(
        !html.contains("ada@acme.test"),
        "uncommitted rows are not shown"
    );
    adding.rollback().await.unwrap();
}
