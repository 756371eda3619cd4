//! Invitations that do not die unseen: reminders before expiry (at most one per planned
//! day, never after acceptance, revocation or expiry, in the invitee's language, counted
//! against the quota), the organization's reminder days, Extend for an expired
//! invitation, and the delivery state of an invitation's mail on the People page.
//!
//! The reminder round takes the time as a parameter: these tests run it at chosen days
//! of an invitation's life (the test clock), while the server's own round runs at the
//! real time and finds nothing due.

use chrono::{DateTime, Duration as Days, Utc};
use sqlx::PgPool;

use crate::common::*;
use app::error::AppError;
use app::invitations::api::{AcceptInvitation, GetInvitation, SaveReminders};
use app::invitations::server::reminders;
use app::people::api::{CorrectAddress, ExtendInvite, RevokeInvite, SendInvite};

const ACME: [(&str, &str); 2] = [("region", "eu-central-1"), ("short_name", "acme")];

/// Runs the reminder round `days` (and an hour) after now; how many reminders it sent.
async fn round_after(app: &TestApp, days: i64) -> usize {
    round_at(app, Utc::now() + Days::days(days) + Days::hours(1)).await
}

async fn round_at(app: &TestApp, now: DateTime<Utc>) -> usize {
    reminders::round(app.state.as_ref().unwrap(), now)
        .await
        .unwrap()
}

fn reminders_to(app: &TestApp, to: &str, word: &str) -> Vec<server::mailsink::ReceivedMail> {
    app.mailbox
        .to(to)
        .into_iter()
        .filter(|m| m.subject.contains(word))
        .collect()
}

/// Waits (up to 10 s) until `n` mails with `word` in their subject reached `to` together.
async fn wait_reminders(
    app: &TestApp,
    to: &[&str],
    word: &str,
    n: usize,
) -> Vec<server::mailsink::ReceivedMail> {
    for _ in 0..200 {
        let got: Vec<_> = to.iter().flat_map(|t| reminders_to(app, t, word)).collect();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let all: Vec<_> = to
        .iter()
        .flat_map(|t| app.mailbox.to(t))
        .map(|m| m.subject)
        .collect();
    panic!("expected {n} mail(s) with {word:?} to {to:?}, got {all:?}")
}

/// Acme, whose owner Olga (signed in on the returned client) invited Bea as a VIEWER.
async fn acme_inviting_bea(app: &TestApp) -> reqwest::Client {
    let owner = org(
        app,
        "Acme",
        "olga@acme.test",
        &[("bea@acme.test", "VIEWER")],
    )
    .await;
    app.wait_for_mail("bea@acme.test", 1).await;
    owner
}

/// Why accepting with `token` is refused.
async fn refusal(app: &TestApp, token: &str) -> AppError {
    let form = [("token", token), ("name", "Bea"), ("password", PASSWORD)];
    app.call::<AcceptInvitation>(&new_client(), &form)
        .await
        .result
        .unwrap_err()
}

async fn person_id(app: &TestApp, owner: &reqwest::Client, email: &str) -> String {
    row(&people(app, owner, "acme").await, email)["id"].to_string()
}

/// Bea is invited on day 0; by default she is reminded 7 days and 1 day before her
/// invitation expires, once each, and each reminder's link opens her invitation (the
/// first mail's link still works too).
#[sqlx::test(migrations = false)]
async fn a_pending_invitation_is_reminded_seven_days_and_one_day_before_it_expires(pool: PgPool) {
    let app = spawn_app(pool).await;
    org(
        &app,
        "Acme",
        "olga@acme.test",
        &[("bea@acme.test", "EDITOR")],
    )
    .await;
    let first = mail_with_subject(&app, "bea@acme.test", "invited you").await;

    assert_eq!(round_after(&app, 0).await, 0, "nothing is due on day 0");
    assert_eq!(round_after(&app, 22).await, 0, "nor 8 days before expiry");
    assert_eq!(round_after(&app, 23).await, 1, "7 days before");
    assert_eq!(
        round_after(&app, 23).await,
        0,
        "at most one per planned day"
    );
    assert_eq!(round_after(&app, 28).await, 0);
    assert_eq!(round_after(&app, 29).await, 1, "1 day before");
    assert_eq!(round_after(&app, 29).await, 0);
    let reminders = wait_reminders(&app, &["bea@acme.test"], "Reminder", 2).await;
    assert_eq!(reminders.len(), 2);
    let mail = &reminders[0];
    assert!(mail.subject.contains("Acme"), "{}", mail.subject);
    assert!(mail.text.contains("as Editor"), "{}", mail.text);
    assert!(mail.text.contains("It expires on"), "{}", mail.text);

    for link in [
        link_in(&reminders[0]),
        link_in(&reminders[1]),
        link_in(&first),
    ] {
        let view = ok(app
            .call::<GetInvitation>(&new_client(), &[("token", &token_of(&link))])
            .await)
        .await;
        assert_eq!(view["state"], "Open", "{link}");
    }
    // The reminder's own link accepts the invitation.
    ok(app
        .call::<AcceptInvitation>(
            &new_client(),
            &[
                ("token", &token_of(&link_in(&reminders[1]))),
                ("name", "Bea"),
                ("password", PASSWORD),
            ],
        )
        .await)
    .await;
    assert_eq!(
        app.count("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'bea@acme.test'").await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'invitation_reminded'")
            .await,
        2,
        "each reminder is audited"
    );
}

/// Accepted, revoked, expired: no reminder, ever.
#[sqlx::test(migrations = false)]
async fn a_reminder_is_never_sent_after_accept_revoke_or_expiry(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(
        &app,
        "Acme",
        "olga@acme.test",
        &[
            ("ann@acme.test", "VIEWER"),
            ("rob@acme.test", "VIEWER"),
            ("eve@acme.test", "VIEWER"),
        ],
    )
    .await;
    accept(&app, "ann@acme.test").await;
    app.wait_for_mail("rob@acme.test", 1).await;
    let rob = person_id(&app, &owner, "rob@acme.test").await;
    ok(act::<RevokeInvite>(&app, &owner, &rob, &[]).await).await;
    app.wait_for_mail("eve@acme.test", 1).await;

    assert_eq!(
        round_after(&app, 23).await,
        1,
        "only Eve's is still pending"
    );
    wait_reminders(&app, &["eve@acme.test"], "Reminder", 1).await;
    assert!(reminders_to(&app, "ann@acme.test", "Reminder").is_empty());
    assert!(reminders_to(&app, "rob@acme.test", "Reminder").is_empty());
    // Past expiry (the 1-day reminder was never sent): nothing, not a late reminder.
    assert_eq!(round_after(&app, 31).await, 0);
    assert_eq!(round_after(&app, 29).await, 1, "before it, the 1-day one");
    assert_eq!(round_after(&app, 45).await, 0);
}

/// The organization's days decide; reminders can be turned off; bad days are named and
/// change nothing; the change is audited.
#[sqlx::test(migrations = false)]
async fn reminders_follow_the_organizations_days_and_can_be_turned_off(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = acme_inviting_bea(&app).await;
    let save = |on: &'static str, days: &'static str| {
        let mut form = ACME.to_vec();
        if !on.is_empty() {
            form.push(("reminders", on));
        }
        form.push(("reminder_days", days));
        let (app, owner) = (&app, &owner);
        async move { app.call::<SaveReminders>(owner, &form).await }
    };

    let bad = save("on", "0, 40").await;
    assert_eq!(bad.status, 422);
    assert_eq!(
        field_keys(&bad.result.unwrap_err()),
        vec![("reminder_days".into(), "errors.reminder_days_range".into())]
    );
    let bad = save("on", "").await;
    assert_eq!(
        field_keys(&bad.result.unwrap_err()),
        vec![(
            "reminder_days".into(),
            "errors.reminder_days_missing".into()
        )]
    );

    ok(save("on", "14").await).await;
    assert_eq!(round_after(&app, 15).await, 0);
    assert_eq!(round_after(&app, 16).await, 1, "14 days before");
    assert_eq!(
        round_after(&app, 23).await,
        0,
        "7 is no longer one of the days"
    );

    ok(save("", "14").await).await;
    assert_eq!(round_after(&app, 29).await, 0, "reminders are off");
    let settings = ok(app
        .call::<app::orgs::api::GetOrgSettings>(&owner, &ACME)
        .await)
    .await;
    assert_eq!(settings["reminders"]["days"], serde_json::json!([]));
    assert!(
        audit_actions(&app, &owner)
            .await
            .contains(&"reminders_changed".to_owned())
    );

    // A VIEWER may not change them.
    let bea = accept(&app, "bea@acme.test").await;
    let mut form = ACME.to_vec();
    form.extend([("reminders", "on"), ("reminder_days", "7")]);
    assert_eq!(app.call::<SaveReminders>(&bea, &form).await.status, 403);
}

/// The reminder is in the invitee's language (Ute chose German for her account; Cy has
/// none, and gets the language of his invitation), and it counts against the day's
/// invitation quota: none is sent over it.
#[sqlx::test(migrations = false)]
async fn a_reminder_is_in_the_invitees_language_and_counts_against_the_quota(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let ute = org(&app, "Globex", "ute@globex.test", &[]).await;
    ok(app
        .call::<app::auth::api::SetLocale>(&ute, &[("locale", "de")])
        .await)
    .await;
    for (name, email) in [("Ute", "ute@globex.test"), ("Cy", "cy@acme.test")] {
        let form = [
            ("region", "eu-central-1"),
            ("short_name", "acme"),
            ("name", name),
            ("email", email),
            ("role", "VIEWER"),
            ("send_now", "on"),
        ];
        ok(app.call::<app::people::api::AddPerson>(&owner, &form).await).await;
    }
    app.wait_for_mail("ute@globex.test", 1).await;
    app.wait_for_mail("cy@acme.test", 1).await;
    let used = || app.count("SELECT COALESCE(sum(used), 0)::bigint FROM invite_quota_usage");
    let before = used().await;

    // One left today: Ute's reminder (hers expires first) goes, Cy's waits.
    sqlx::query("UPDATE organizations SET invite_daily_quota = $1 WHERE short_name = 'acme'")
        .bind(i32::try_from(before).unwrap() + 1)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(round_after(&app, 23).await, 1);
    assert_eq!(used().await, before + 1);
    assert_eq!(round_after(&app, 23).await, 0, "the other waits for quota");
    let german = wait_reminders(&app, &["ute@globex.test"], "Erinnerung", 1).await;
    assert!(
        german[0].text.contains("Einladung annehmen"),
        "{}",
        german[0].text
    );
    assert!(reminders_to(&app, "cy@acme.test", "Reminder").is_empty());

    // A new day, a new quota: Cy's comes, in the language of his invitation (English).
    sqlx::query("DELETE FROM invite_quota_usage")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(round_after(&app, 23).await, 1);
    wait_reminders(&app, &["cy@acme.test"], "Reminder", 1).await;
}

/// Resend gives a new link and new planned days: the reminders' links of the earlier
/// link say "replaced", and reminders come again before the new expiry.
#[sqlx::test(migrations = false)]
async fn a_resent_invitation_ends_its_reminders_links_and_is_reminded_anew(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = acme_inviting_bea(&app).await;
    assert_eq!(round_after(&app, 23).await, 1);
    let old = token_of(&link_in(
        &wait_reminders(&app, &["bea@acme.test"], "Reminder", 1).await[0],
    ));
    let bea = person_id(&app, &owner, "bea@acme.test").await;
    ok(act::<SendInvite>(&app, &owner, &bea, &[("confirmed", "true")]).await).await;

    assert_eq!(
        refusal(&app, &old).await,
        AppError::Gone("errors.invitation_replaced".into())
    );
    // The new invitation runs 30 days from now: its 7-day reminder is due on day 23.
    assert_eq!(round_after(&app, 23).await, 1);
}

/// An expired invitation stays listed as Expired, with Extend: the same link works
/// again for 30 days, a seat is taken, and it is audited. Resend gives a new link.
#[sqlx::test(migrations = false)]
async fn an_expired_invitation_is_listed_and_extended_with_the_same_link(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = acme_inviting_bea(&app).await;
    let token = token_of(&link_in(
        &mail_with_subject(&app, "bea@acme.test", "invited you").await,
    ));
    sqlx::query("UPDATE invitations SET expires_at = now() - interval '1 day'")
        .execute(&app.pool)
        .await
        .unwrap();
    let page = people(&app, &owner, "acme").await;
    assert_eq!(row(&page, "bea@acme.test")["invitation"], "Expired");
    assert_eq!(
        refusal(&app, &token).await,
        AppError::Gone("errors.invitation_expired".into())
    );

    let bea = person_id(&app, &owner, "bea@acme.test").await;
    ok(act::<ExtendInvite>(&app, &owner, &bea, &[]).await).await;
    let page = people(&app, &owner, "acme").await;
    assert_eq!(row(&page, "bea@acme.test")["invitation"], "Pending");
    let view = ok(app
        .call::<GetInvitation>(&new_client(), &[("token", &token)])
        .await)
    .await;
    assert_eq!(view["state"], "Open", "the same link works again");
    assert_eq!(
        app.mailbox.to("bea@acme.test").len(),
        1,
        "no mail: her link works"
    );
    assert!(
        audit_actions(&app, &owner)
            .await
            .contains(&"invitation_extended".to_owned())
    );

    // Only an expired one is extended.
    let again = act::<ExtendInvite>(&app, &owner, &bea, &[]).await;
    assert_eq!(again.status, 409);
}

/// An address the mail server refuses: the row says Not delivered, with the time and the
/// server's reason; the address is corrected and the invitation goes to it.
#[sqlx::test(migrations = false)]
async fn an_undeliverable_invitation_shows_why_and_is_resent_to_the_corrected_address(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let form = [
        ("region", "eu-central-1"),
        ("short_name", "acme"),
        ("name", "Bea"),
        ("email", "bea@undeliverable.test"),
        ("role", "VIEWER"),
        ("send_now", "on"),
    ];
    ok(app.call::<app::people::api::AddPerson>(&owner, &form).await).await;
    let mut bea = serde_json::Value::Null;
    for _ in 0..100 {
        bea = row(
            &people(&app, &owner, "acme").await,
            "bea@undeliverable.test",
        )
        .clone();
        if bea["invitation"] == "NotDelivered" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(bea["invitation"], "NotDelivered", "{bea}");
    assert_eq!(bea["delivery"]["state"], "NotDelivered", "{bea}");
    assert!(
        bea["delivery"]["reason"].as_str().unwrap().contains("550"),
        "{bea}"
    );
    assert!(bea["delivery"]["at"].as_str().unwrap().len() == 16, "{bea}");

    let id = bea["id"].to_string();
    let typo = act::<CorrectAddress>(&app, &owner, &id, &[("email", "not an address")]).await;
    assert_eq!(typo.status, 422);
    assert_eq!(field_keys(&typo.result.unwrap_err())[0].0, "email");
    ok(act::<CorrectAddress>(&app, &owner, &id, &[("email", "bea@acme.test")]).await).await;
    mail_with_subject(&app, "bea@acme.test", "invited you").await;
    let mut bea = serde_json::Value::Null;
    for _ in 0..100 {
        bea = row(&people(&app, &owner, "acme").await, "bea@acme.test").clone();
        if bea["delivery"]["state"] == "Sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(bea["invitation"], "Pending", "{bea}");
    assert_eq!(bea["delivery"]["state"], "Sent", "{bea}");
    assert!(
        audit_actions(&app, &owner)
            .await
            .contains(&"email_changed".to_owned())
    );
}
