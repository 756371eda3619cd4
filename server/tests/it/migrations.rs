//! Migrations that move data: each test builds the old shape with the migrations before
//! it, stores data as the old code did (including the disagreements the move resolves),
//! runs the rest, and checks that nothing was lost.

use std::borrow::Cow;

use sqlx::PgPool;
use sqlx::migrate::Migrator;

/// Applies the migrations older than `version`.
async fn migrate_before(pool: &PgPool, version: i64) {
    let older = Migrator {
        migrations: Cow::Owned(
            server::MIGRATOR
                .iter()
                .filter(|m| m.version < version)
                .cloned()
                .collect(),
        ),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    };
    older.run(pool).await.unwrap();
}

/// An active organization "Acme", in the shape of the schema before migration
/// `version` (from 0018 on, being active is having an activation time).
async fn acme(pool: &PgPool, version: i64) -> i64 {
    let sql = if version <= 18 {
        "INSERT INTO organizations (public_id, name, short_name, region, plan, trial, seats, status, activated_at)
         VALUES ('org-1', 'Acme', 'acme', 'eu-central-1', 'premium', false, 50, 'active', now())
         RETURNING id"
    } else {
        "INSERT INTO organizations (public_id, name, short_name, region, plan, trial, seats, activated_at)
         VALUES ('org-1', 'Acme', 'acme', 'eu-central-1', 'premium', false, 50, now())
         RETURNING id"
    };
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn user(pool: &PgPool, email: &str, name: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO users (email, name, password_hash, email_verified_at)
         VALUES ($1, $2, 'not-a-password', now()) RETURNING id",
    )
    .bind(email)
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn role_of(pool: &PgPool, email: &str) -> (String, Option<i64>) {
    sqlx::query_as("SELECT role, user_id FROM people WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// 0012: the role moves to the person record alone. Members keep the role access checks
/// enforced (the membership's), invitees the role of their latest invitation, and a
/// member without a person record gets one.
#[sqlx::test(migrations = false)]
async fn one_role_column_keeps_every_persons_role(pool: PgPool) {
    migrate_before(&pool, 12).await;
    let org = acme(&pool, 12).await;
    let ann = user(&pool, "ann@acme.test", "Ann").await; // both copies agree
    let bob = user(&pool, "bob@acme.test", "Bob").await; // the copies disagree
    let cy = user(&pool, "cy@acme.test", "Cy").await; // no person record
    for (user_id, role) in [(ann, "OWNER"), (bob, "ADMIN"), (cy, "EDITOR")] {
        sqlx::query("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)")
            .bind(org)
            .bind(user_id)
            .bind(role)
            .execute(&pool)
            .await
            .unwrap();
    }
    for (name, email, role, user_id) in [
        ("Ann", "ann@acme.test", "OWNER", Some(ann)),
        ("Bob", "bob@acme.test", "VIEWER", Some(bob)),
        ("Dee", "dee@acme.test", "VIEWER", None), // invited twice, latest as EDITOR
        ("Eve", "eve@acme.test", "ADMIN", None),  // invited as ADMIN, never answered
    ] {
        sqlx::query(
            "INSERT INTO people (org_id, name, email, role, user_id) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org)
        .bind(name)
        .bind(email)
        .bind(role)
        .bind(user_id)
        .execute(&pool)
        .await
        .unwrap();
    }
    for (email, role, age_days, revoked) in [
        ("dee@acme.test", "VIEWER", 10, true),
        ("dee@acme.test", "EDITOR", 1, false),
        ("eve@acme.test", "ADMIN", 2, false),
    ] {
        sqlx::query(
            "INSERT INTO invitations (org_id, email, role, token_hash, created_at, expires_at, revoked_at)
             VALUES ($1, $2, $3, decode(md5(random()::text), 'hex'), now() - make_interval(days => $4),
                     now() + interval '20 days', CASE WHEN $5 THEN now() END)",
        )
        .bind(org)
        .bind(email)
        .bind(role)
        .bind(age_days)
        .bind(revoked)
        .execute(&pool)
        .await
        .unwrap();
    }

    server::MIGRATOR.run(&pool).await.unwrap();

    assert_eq!(
        role_of(&pool, "ann@acme.test").await,
        ("OWNER".into(), Some(ann))
    );
    assert_eq!(
        role_of(&pool, "bob@acme.test").await,
        ("ADMIN".into(), Some(bob))
    );
    assert_eq!(
        role_of(&pool, "cy@acme.test").await,
        ("EDITOR".into(), Some(cy))
    );
    assert_eq!(
        role_of(&pool, "dee@acme.test").await,
        ("EDITOR".into(), None)
    );
    assert_eq!(
        role_of(&pool, "eve@acme.test").await,
        ("ADMIN".into(), None)
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM memberships").await, 3);
    assert_eq!(count(&pool, "SELECT count(*) FROM invitations").await, 3);
    assert_eq!(count(&pool, "SELECT count(*) FROM people").await, 5);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM information_schema.columns
             WHERE table_name IN ('memberships', 'invitations') AND column_name = 'role'"
        )
        .await,
        0,
        "the role is stored once"
    );
}

/// 0013: "pending" and "open" are SQL functions every query uses, and the unique index
/// says "one pending invitation per person" with the same function: even an expired one
/// blocks a second (it is sent again in place), and a revoked one does not.
#[sqlx::test(migrations = false)]
async fn a_person_has_one_pending_invitation_however_it_is_made(pool: PgPool) {
    server::MIGRATOR.run(&pool).await.unwrap();
    let org = acme(&pool, i64::MAX).await;
    let invite = |expires_in_days: i32| {
        sqlx::query(
            "INSERT INTO invitations (org_id, email, token_hash, expires_at)
             VALUES ($1, 'dee@acme.test', decode(md5(random()::text), 'hex'),
                     now() + make_interval(days => $2))",
        )
        .bind(org)
        .bind(expires_in_days)
    };
    invite(-1).execute(&pool).await.unwrap();
    let open = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM invitations i WHERE invitation_is_open(i)",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    assert_eq!(
        open(pool.clone()).await,
        0,
        "an expired invitation is not open"
    );

    let second = invite(30).execute(&pool).await.unwrap_err();
    assert_eq!(
        second.as_database_error().and_then(|e| e.code()).as_deref(),
        Some("23505"),
        "an expired, unanswered invitation still blocks a second one"
    );

    sqlx::query("UPDATE invitations SET revoked_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    invite(30).execute(&pool).await.unwrap();
    assert_eq!(open(pool.clone()).await, 1);
}

/// 0014: the wizard's saved step ends at review; "activating" and "active" come from the
/// activation job and the organization it made. Subscriptions stored past review read
/// the same as before.
#[sqlx::test(migrations = false)]
async fn a_subscriptions_stage_is_derived_from_its_job_and_reads_as_before(pool: PgPool) {
    migrate_before(&pool, 14).await;
    let subscription = |company: &str, step: &str| {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO subscriptions (company_name, contact_email, plan, products, seats,
                                        token_hash, token_expires_at, step)
             VALUES ($1, 'it@acme.test', 'premium', '{}', 10,
                     decode(md5(random()::text), 'hex'), now() + interval '1 day', $2)
             RETURNING id",
        )
        .bind(company.to_owned())
        .bind(step.to_owned())
    };
    let invite = subscription("Invite", "invite")
        .fetch_one(&pool)
        .await
        .unwrap();
    let running = subscription("Running", "activating")
        .fetch_one(&pool)
        .await
        .unwrap();
    let live = subscription("Live", "active")
        .fetch_one(&pool)
        .await
        .unwrap();
    for (id, status) in [(running, "running"), (live, "done")] {
        sqlx::query("INSERT INTO activation_jobs (subscription_id, status) VALUES ($1, $2)")
            .bind(id)
            .bind(status)
            .execute(&pool)
            .await
            .unwrap();
    }
    let org = acme(&pool, 14).await;
    sqlx::query("UPDATE organizations SET subscription_id = $1 WHERE id = $2")
        .bind(live)
        .bind(org)
        .execute(&pool)
        .await
        .unwrap();

    server::MIGRATOR.run(&pool).await.unwrap();

    let stages: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT company_name, step, subscription_stage(s) FROM subscriptions s ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected = [
        ("Invite", "invite", "invite"),
        ("Running", "review", "activating"),
        ("Live", "review", "active"),
    ];
    assert_eq!(
        stages,
        expected.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
    );
    let _ = invite;
}

/// 0018: an organization is active exactly when it has an activation time; the status
/// column that said the same is gone. Active organizations keep their activation time
/// (or get their creation time, where an old row had none); those still provisioning
/// have none, and stay invisible until their activation completes.
#[sqlx::test(migrations = false)]
async fn an_organization_is_active_when_it_has_been_activated(pool: PgPool) {
    migrate_before(&pool, 18).await;
    for (short_name, status, activated_at) in [
        ("live", "active", Some("2026-01-02T03:04:05Z")),
        ("old-live", "active", None),
        ("half-made", "provisioning", None),
        ("stray", "provisioning", Some("2026-01-02T03:04:05Z")),
    ] {
        sqlx::query(
            "INSERT INTO organizations (public_id, name, short_name, region, plan, trial, seats,
                                        status, created_at, activated_at)
             VALUES ($1, $1, $1, 'eu-central-1', 'free', true, 5, $2,
                     '2025-12-31T00:00:00Z', $3::timestamptz)",
        )
        .bind(short_name)
        .bind(status)
        .bind(activated_at)
        .execute(&pool)
        .await
        .unwrap();
    }
    server::MIGRATOR.run(&pool).await.unwrap();
    let rows: Vec<(String, bool, Option<String>)> = sqlx::query_as(
        "SELECT short_name, organization_is_active(o),
                to_char(activated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
         FROM organizations o ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let at = |s: &str| Some(s.to_owned());
    assert_eq!(
        rows,
        [
            ("live".into(), true, at("2026-01-02 03:04:05")),
            ("old-live".into(), true, at("2025-12-31 00:00:00")),
            ("half-made".into(), false, None),
            ("stray".into(), false, None),
        ]
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM information_schema.columns
             WHERE table_name = 'organizations' AND column_name = 'status'"
        )
        .await,
        0
    );
}
