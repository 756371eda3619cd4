//! Seeding shared by the benchmarks: a large organization that is kept between runs.

use std::time::Instant;

use sqlx::PgPool;

/// A size from the environment (`BENCH_PEOPLE=...`), else `default`.
pub fn env_size(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// An active organization `short` with an OWNER and `people` more people (never invited),
/// returned with a session token for the owner. Reuses it if it is already there.
pub async fn seed_org(pool: &PgPool, short: &str, people: i64) -> (i64, String) {
    let existing: Option<(i64, i64)> = sqlx::query_as(
        "SELECT o.id, p.user_id FROM organizations o
         JOIN people p ON p.org_id = o.id AND p.role = 'OWNER' AND p.user_id IS NOT NULL
         WHERE o.region = 'eu-central-1' AND o.short_name = $1",
    )
    .bind(short)
    .fetch_optional(pool)
    .await
    .unwrap();
    let (org_id, owner_id) = match existing {
        Some(ids) => {
            println!("  reusing organization {short}");
            ids
        }
        None => {
            let started = Instant::now();
            let mut tx = pool.begin().await.unwrap();
            let owner_email = format!("owner@{short}.bench");
            let (owner_id,): (i64,) = sqlx::query_as(
                "INSERT INTO users (email, name, password_hash, email_verified_at)
                 VALUES ($1, 'Bench Owner', 'not-a-password', now()) RETURNING id",
            )
            .bind(&owner_email)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            let (org_id,): (i64,) = sqlx::query_as(
                "INSERT INTO organizations (public_id, name, short_name, region, plan, trial, seats, activated_at)
                 VALUES (gen_random_uuid()::text, $1, $1, 'eu-central-1', 'premium', false, 2000000, now())
                 RETURNING id",
            )
            .bind(short)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            sqlx::query("INSERT INTO memberships (org_id, user_id) VALUES ($1, $2)")
                .bind(org_id)
                .bind(owner_id)
                .execute(&mut *tx)
                .await
                .unwrap();
            sqlx::query(
                "INSERT INTO people (org_id, name, email, role, user_id, welcome_sent_at)
                 VALUES ($1, 'Bench Owner', $2, 'OWNER', $3, now())",
            )
            .bind(org_id)
            .bind(&owner_email)
            .bind(owner_id)
            .execute(&mut *tx)
            .await
            .unwrap();
            // Names from small lists so searches find realistic numbers of matches.
            sqlx::query(
                "INSERT INTO people (org_id, name, email, role)
                 SELECT $1,
                        (ARRAY['Anna','Ben','Chloé','David','Emma','Farid','Greta','Hugo','Inès','Jonas',
                               'Karin','Louis','Maya','Noah','Olga','Paul','Quentin','Rosa','Sven','Tariq'])[1 + g % 20]
                        || ' ' ||
                        (ARRAY['Martin','Müller','Dubois','Schmidt','Bernard','Weber','Petit','Fischer',
                               'Durand','Wagner','Moreau','Becker','Laurent','Hoffmann','Simon','Koch',
                               'Michel','Richter','Lefèvre','Klein','Garcia','Wolf','Roux','Neumann'])[1 + (g / 20) % 24]
                        || ' ' || g,
                        'user' || g || '@' || $2 || '.bench', 'VIEWER'
                 FROM generate_series(1, $3::bigint) g",
            )
            .bind(org_id)
            .bind(short)
            .bind(people)
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
            println!(
                "  seeded {short}: {people} people in {:.1} s (indexes included)",
                started.elapsed().as_secs_f64()
            );
            (org_id, owner_id)
        }
    };
    // Vacuumed before every run, so a load run neither shares the machine with
    // autovacuum working through a million fresh rows nor reads what earlier runs left
    // (dead index entries, the search index's pending list).
    sqlx::raw_sql("VACUUM ANALYZE people")
        .execute(pool)
        .await
        .unwrap();
    let token = app::auth::server::service::open_session(pool, 30, owner_id)
        .await
        .unwrap();
    (org_id, token)
}
