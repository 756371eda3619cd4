//! Housekeeping deletes what has done its job, and nothing that still counts.

use std::time::Duration;

use crate::common::*;
use app::housekeeping::{Policy, sweep};
use app::shell::api::GetShell;
use sqlx::PgPool;

async fn exec(app: &TestApp, sql: &str) {
    sqlx::query(sql).execute(&app.pool).await.unwrap();
}

const POLICY: Policy = Policy {
    throttle_window_minutes: 15,
    mail_days: 30,
    unconfirmed_account_days: 7,
};

#[sqlx::test(migrations = false)]
async fn a_sweep_deletes_expired_and_used_rows_and_keeps_live_ones(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let user = "(SELECT id FROM users WHERE email = 'olga@acme.test')";
    let org_id = "(SELECT id FROM organizations WHERE short_name = 'acme')";
    // A second, expired session of the same person.
    exec(&app, &format!(
        "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ('\\x01', {user}, now() - interval '1 second')"
    )).await;
    // Links: used 8 days ago, expired 8 days ago (both gone); used yesterday, live (kept).
    exec(&app, &format!(
        "INSERT INTO email_tokens (token_hash, user_id, purpose, expires_at, used_at) VALUES
           ('\\x11', {user}, 'reset_password', now() + interval '1 hour', now() - interval '8 days'),
           ('\\x12', {user}, 'reset_password', now() - interval '8 days', NULL),
           ('\\x13', {user}, 'reset_password', now() + interval '1 hour', now() - interval '1 day'),
           ('\\x14', {user}, 'reset_password', now() + interval '1 hour', NULL)"
    )).await;
    // Throttle rows: two days old (gone), five minutes old (still counting).
    exec(
        &app,
        "INSERT INTO auth_failures (scope, failed_at) VALUES
           ('account:old@acme.test', now() - interval '2 days'),
           ('account:new@acme.test', now() - interval '5 minutes')",
    )
    .await;
    // Mail: sent 31 days ago and failed 31 days ago (gone); sent an hour ago (kept).
    exec(&app,
        "INSERT INTO outbox_emails (recipient, subject, body_text, status, sent_at, next_attempt_at) VALUES
           ('a@x.test', 'old sent', 'x', 'sent', now() - interval '31 days', now() - interval '31 days'),
           ('b@x.test', 'old failed', 'x', 'failed', NULL, now() - interval '31 days'),
           ('c@x.test', 'recent', 'x', 'sent', now() - interval '1 hour', now() - interval '1 hour')",
    ).await;
    exec(
        &app,
        &format!(
            "INSERT INTO invite_quota_usage (org_id, day, used) VALUES
           ({org_id}, current_date - 5, 3)
         ON CONFLICT DO NOTHING"
        ),
    )
    .await;
    // Sign-in steps and passkey ceremonies: expired (gone), live (kept).
    exec(&app, &format!(
        "INSERT INTO sign_in_challenges (token_hash, user_id, expires_at) VALUES
           ('\\x21', {user}, now() - interval '1 second'), ('\\x22', {user}, now() + interval '5 minutes')"
    )).await;
    exec(
        &app,
        "INSERT INTO passkey_ceremonies (token_hash, user_id, kind, state, expires_at) VALUES
           ('\\x31', NULL, 'sign_in', '{}', now() - interval '1 second'),
           ('\\x32', NULL, 'sign_in', '{}', now() + interval '5 minutes')",
    )
    .await;
    let mail_before = app.count("SELECT count(*) FROM outbox_emails").await;

    let swept = sweep(&app.pool, POLICY).await.unwrap();
    assert_eq!(swept.sessions, 1);
    assert_eq!(swept.email_tokens, 2);
    assert_eq!(swept.auth_failures, 1);
    assert_eq!(swept.outbox_emails, 2);
    assert_eq!(swept.invite_quota_usage, 1);
    assert_eq!(swept.sign_in_steps, 2);
    assert_eq!(
        app.count("SELECT count(*) FROM sign_in_challenges").await
            + app.count("SELECT count(*) FROM passkey_ceremonies").await,
        2,
        "the live step and ceremony stay"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM email_tokens WHERE token_hash IN ('\\x13', '\\x14')")
            .await,
        2
    );
    assert_eq!(
        app.count("SELECT count(*) FROM auth_failures WHERE scope = 'account:new@acme.test'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM outbox_emails").await,
        mail_before - 2
    );
    // The owner's live session still works.
    let me = app.call::<GetShell>(&owner, &[]).await.result.unwrap();
    assert_eq!(me["principal"]["email"], "olga@acme.test");
    // A second sweep finds nothing more.
    assert_eq!(sweep(&app.pool, POLICY).await.unwrap(), Default::default());
}

#[sqlx::test(migrations = false)]
async fn the_server_sweeps_by_itself(pool: PgPool) {
    let app = spawn_app_with(
        pool,
        Options {
            extra_args: vec!["--housekeeping-interval-seconds".into(), "1".into()],
            ..Default::default()
        },
    )
    .await;
    verified_user(&app, "ada@example.com").await;
    exec(
        &app,
        "UPDATE sessions SET expires_at = now() - interval '1 second'",
    )
    .await;
    for _ in 0..100 {
        if app.count("SELECT count(*) FROM sessions").await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the expired session is still there after 10 s");
}
