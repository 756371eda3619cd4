//! Prepares the database that `./muster bench load` measures, and prints what the load
//! generator needs as shell assignments:
//!
//! - an organization of `BENCH_LOAD_PEOPLE` people (default 10,000) and its OWNER's session;
//! - an organization of `BENCH_BIG_PEOPLE` people (default 1,000,000; 0 skips it), the same
//!   one `./muster bench` uses, seeded once and kept;
//! - a pending subscription, for the activation wizard's first step.

use app::activation::server::service::{SubscriptionSpec, create_subscription};
use app::i18n::Locale;

#[path = "shared/seed.rs"]
mod seed;
use seed::env_size;

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL (./muster bench load sets it)");
    let key = std::env::var("MUSTER_SECRET_KEY").expect("MUSTER_SECRET_KEY");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await
        .unwrap();
    server::MIGRATOR.run(&pool).await.unwrap();
    let people = env_size("BENCH_LOAD_PEOPLE", 10_000);
    let big = env_size("BENCH_BIG_PEOPLE", 1_000_000);

    let short = format!("bench-{people}");
    let (_, token) = seed::seed_org(&pool, &short, people).await;
    println!("ORG_PATH=/o/eu-central-1/{short}");
    println!("SESSION={token}");
    if big > 0 {
        let short = format!("bench-{big}");
        let (_, token) = seed::seed_org(&pool, &short, big).await;
        println!("BIG_PATH=/o/eu-central-1/{short}");
        println!("BIG_SESSION={token}");
    }
    let key = app::state::SecretKey(key.into_bytes());
    let spec = SubscriptionSpec {
        company_name: "Load Test GmbH".into(),
        contact_email: "it@load-test.bench".into(),
        locale: Locale::En,
        plan: "premium".into(),
        products: vec!["alerts".into()],
        trial: false,
        seats: 100,
        is_demo: false,
    };
    let link = create_subscription(&pool, &key, "http://bench", &spec)
        .await
        .unwrap();
    println!("ACTIVATE_PATH={}", link.trim_start_matches("http://bench"));
}
