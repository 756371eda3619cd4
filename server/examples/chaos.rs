//! `./muster cluster chaos`: a bounded load on the cluster of `./muster cluster up` while
//! one Muster instance is killed with `kill -9`, then the PostgreSQL primary (its Patroni
//! and its postmaster, as if the machine died) so that Patroni promotes the replica, then
//! both are brought back. It then reads the database and the SMTP sink and prints:
//! seconds of unavailability seen by clients, failed requests (retried / seen by the user),
//! acknowledged writes that were lost, duplicate invitations and mails, and whether every
//! bell stream came back and shows what was sent while it was away. It exits non-zero when
//! a write was lost, something was doubled, a mail is missing or a bell did not recover.
//!
//! The load: 200 bell streams (one person each, each invited once during the run), two
//! writers inviting new addresses, two readers of People pages, sign-ins, and an Invite
//! All over 10,000 people started at the beginning.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use leptos::server_fn::ServerFn;
use sqlx::PgPool;

#[path = "shared/seed.rs"]
mod seed;

const REGION: &str = "eu-central-1";
/// Invitations acknowledged, with the second of the run they were asked at.
type Acked = Arc<Mutex<Vec<(String, f64)>>>;
const SIGN_IN_PASSWORD: &str = "chaos password 2026";

struct Cluster {
    http: String,
    rest: Vec<String>,
    dir: PathBuf,
    smtp_file: PathBuf,
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} (./muster cluster chaos sets it)"))
}

/// Every request's outcome, for the report.
#[derive(Default)]
struct Outcomes {
    /// (seconds since start, answered well at the first attempt)
    first_attempts: Vec<(f64, bool)>,
    ok: u64,
    retried_ok: u64,
    user_visible: u64,
    /// User-visible failures by kind of request, and when the first and last happened.
    visible_by_kind: std::collections::BTreeMap<&'static str, (u64, f64, f64)>,
}

#[derive(Clone)]
struct Load {
    http: String,
    client: reqwest::Client,
    started: Instant,
    outcomes: Arc<Mutex<Outcomes>>,
    stop: Arc<AtomicBool>,
}

impl Load {
    fn now(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn record(&self, kind: &'static str, first_ok: bool, finally_ok: bool, at: f64) {
        let mut o = self.outcomes.lock().unwrap();
        o.first_attempts.push((at, first_ok));
        match (first_ok, finally_ok) {
            (true, _) => o.ok += 1,
            (false, true) => o.retried_ok += 1,
            (false, false) => {
                o.user_visible += 1;
                let entry = o.visible_by_kind.entry(kind).or_insert((0, at, at));
                entry.0 += 1;
                entry.2 = at;
            }
        }
    }

    /// A request that may be repeated safely (reads, sign-in): tried up to 3 times over
    /// about 3 s, as a page that retries would. `Some(body)` when answered 2xx.
    async fn idempotent(
        &self,
        kind: &'static str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Option<Vec<u8>> {
        let at = self.now();
        for attempt in 0..3 {
            if let Ok(res) = build().send().await
                && res.status().is_success()
                && let Ok(body) = res.bytes().await
            {
                self.record(kind, attempt == 0, true, at);
                return Some(body.to_vec());
            }
            tokio::time::sleep(Duration::from_millis(1000)).await;
        }
        self.record(kind, false, false, at);
        None
    }

    /// A write: tried once (repeating it could send a mail twice). True when acknowledged.
    async fn write(&self, kind: &'static str, build: impl Fn() -> reqwest::RequestBuilder) -> bool {
        let at = self.now();
        let ok = matches!(build().send().await, Ok(res) if res.status().is_success());
        self.record(kind, ok, ok, at);
        ok
    }

    /// Invites `email` to `org` as VIEWER (once: a write); remembers it, with when it was
    /// asked, when acknowledged.
    async fn invite(&self, owner: &str, org: &str, email: String, acked: &Acked) {
        let at = self.now();
        let form = [
            ("region", REGION),
            ("short_name", org),
            ("email", email.as_str()),
            ("role", "VIEWER"),
        ];
        let invite = || self.server_fn::<app::orgs::api::InviteMember>(owner, &form);
        if self.write("invite", invite).await {
            acked.lock().unwrap().push((email, at));
        }
    }

    fn server_fn<S: ServerFn>(
        &self,
        cookie: &str,
        form: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}{}", self.http, S::PATH))
            .header("cookie", cookie)
            .form(form)
    }
}

/// One bell: its stream, reconnected like a browser's EventSource, and what it last showed.
#[derive(Default, Clone)]
struct Bell {
    reconnects: u32,
    connected: bool,
    /// Organizations whose invitation the bell showed at its last refresh.
    shows: HashSet<String>,
    /// (from, to) seconds during which the stream was down.
    away: Vec<(f64, f64)>,
}

async fn follow_bell(load: Load, cookie: String, state: Arc<Mutex<Bell>>) {
    let refresh = |load: Load, cookie: String, state: Arc<Mutex<Bell>>| async move {
        let body = load
            .idempotent("bell refresh", || {
                load.server_fn::<app::notifications::api::GetNotifications>(&cookie, &[])
            })
            .await;
        if let Some(notes) = body.and_then(|b| {
            app::wire::answer_as_json::<app::notifications::api::GetNotifications>(&b).ok()
        }) {
            let shows = notes["invitations"]
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(|i| i["org_name"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            state.lock().unwrap().shows = shows;
        }
    };
    let mut down_since: Option<f64> = None;
    while !load.stop.load(Ordering::Relaxed) {
        let res = load
            .client
            .get(format!("{}/events", load.http))
            .header("cookie", &cookie)
            .send()
            .await;
        match res {
            Ok(mut res) if res.status().is_success() => {
                {
                    let mut bell = state.lock().unwrap();
                    bell.connected = true;
                    if let Some(from) = down_since.take() {
                        bell.away.push((from, load.now()));
                        bell.reconnects += 1;
                    }
                }
                // Back (or first) on the stream: look once, events may have been missed.
                refresh(load.clone(), cookie.clone(), state.clone()).await;
                loop {
                    let chunk = tokio::select! {
                        chunk = res.chunk() => chunk,
                        _ = tokio::time::sleep(Duration::from_millis(500)) => {
                            if load.stop.load(Ordering::Relaxed) { return; }
                            continue;
                        }
                    };
                    match chunk {
                        Ok(Some(bytes)) => {
                            if String::from_utf8_lossy(&bytes).contains("event: invitations") {
                                refresh(load.clone(), cookie.clone(), state.clone()).await;
                            }
                        }
                        _ => break,
                    }
                }
            }
            _ => {}
        }
        state.lock().unwrap().connected = false;
        down_since.get_or_insert(load.now());
        // EventSource waits a moment before reconnecting.
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
}

/// Seconds during which clients saw failures: from a first attempt that failed to the
/// next first attempt that succeeded, summed; and the longest such stretch.
fn unavailability(mut attempts: Vec<(f64, bool)>) -> (f64, f64) {
    attempts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut total, mut longest, mut since) = (0.0_f64, 0.0_f64, None::<f64>);
    for (at, ok) in attempts {
        match (ok, since) {
            (false, None) => since = Some(at),
            (true, Some(from)) => {
                total += at - from;
                longest = longest.max(at - from);
                since = None;
            }
            _ => {}
        }
    }
    (total, longest)
}

async fn primary(cluster: &Cluster, client: &reqwest::Client) -> Option<usize> {
    for (i, rest) in cluster.rest.iter().enumerate() {
        if let Ok(res) = client.get(format!("{rest}/primary")).send().await
            && res.status().is_success()
        {
            return Some(i + 1);
        }
    }
    None
}

fn muster(args: &[&str]) {
    let status = std::process::Command::new("./muster")
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("./muster");
    assert!(status.success(), "./muster {args:?}");
}

fn kill_9(pid: &str) {
    let _ = std::process::Command::new("kill")
        .args(["-9", pid.trim()])
        .status();
}

fn pid_file(path: PathBuf) -> String {
    std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{}", path.display()))
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn wait_for(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) -> f64 {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check().await {
            return started.elapsed().as_secs_f64();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{what} did not happen within {} s", limit.as_secs());
}

async fn seed_people(
    pool: &PgPool,
    load_org: &str,
    bell_users: usize,
) -> (Vec<(String, String)>, String) {
    let mut bells = Vec::with_capacity(bell_users);
    for i in 0..bell_users {
        let email = format!("bell{i}@{load_org}.chaos");
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO users (email, name, password_hash, email_verified_at)
             VALUES ($1, $2, 'not-a-password', now()) RETURNING id",
        )
        .bind(&email)
        .bind(format!("Bell {i}"))
        .fetch_one(pool)
        .await
        .unwrap();
        let token = app::auth::server::service::open_session(pool, 30, id)
            .await
            .unwrap();
        bells.push((email, format!("muster_session={token}")));
    }
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let hash = argon2::Argon2::default()
        .hash_password(SIGN_IN_PASSWORD.as_bytes(), &salt)
        .unwrap()
        .to_string();
    let signer = format!("signer@{load_org}.chaos");
    sqlx::query(
        "INSERT INTO users (email, name, password_hash, email_verified_at) VALUES ($1, 'Signer', $2, now())",
    )
    .bind(&signer)
    .bind(hash)
    .execute(pool)
    .await
    .unwrap();
    (bells, signer)
}

#[tokio::main]
async fn main() {
    let cluster = Cluster {
        http: env("CLUSTER_HTTP"),
        rest: env("CLUSTER_REST").split(',').map(str::to_owned).collect(),
        dir: PathBuf::from(env("CLUSTER_DIR")),
        smtp_file: PathBuf::from(env("CLUSTER_SMTP_FILE")),
    };
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(30))
        .connect(&env("CLUSTER_DB"))
        .await
        .expect("the cluster's database, through HAProxy");
    // Sizes: CHAOS_BELLS=200 CHAOS_INVITE_ALL=10000 ./muster cluster chaos
    let bell_count = seed::env_size("CHAOS_BELLS", 200) as usize;
    let invite_all_people = seed::env_size("CHAOS_INVITE_ALL", 10_000);
    let run = chrono::Utc::now().timestamp();
    let load_org = format!("chaos-{run}");
    let all_org = format!("chaos-all-{run}");
    println!(
        "Seeding: {load_org} (invitations, {bell_count} bell users) and {all_org} ({invite_all_people} people for Invite All)"
    );
    let (load_org_id, owner) = seed::seed_org(&pool, &load_org, 0).await;
    let (all_org_id, all_owner) = seed::seed_org(&pool, &all_org, invite_all_people).await;
    let (bell_users, signer) = seed_people(&pool, &load_org, bell_count).await;
    let owner = format!("muster_session={owner}");
    let all_owner = format!("muster_session={all_owner}");

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let sse_client = reqwest::Client::builder().build().unwrap();
    let load = Load {
        http: cluster.http.clone(),
        client: client.clone(),
        started: Instant::now(),
        outcomes: Arc::default(),
        stop: Arc::default(),
    };

    // 200 bell streams.
    let bells: Vec<Arc<Mutex<Bell>>> = (0..bell_count).map(|_| Arc::default()).collect();
    let mut tasks = Vec::new();
    for ((_, cookie), state) in bell_users.iter().zip(&bells) {
        let load = Load {
            client: sse_client.clone(),
            ..load.clone()
        };
        tasks.push(tokio::spawn(follow_bell(
            load,
            cookie.clone(),
            state.clone(),
        )));
    }

    // Invite All over 10,000 people, once, at the start.
    let invite_all_acked = load
        .write("Invite All", || {
            load.server_fn::<app::invite_all::api::InviteAll>(
                &all_owner,
                &[("region", REGION), ("short_name", &all_org)],
            )
        })
        .await;
    println!(
        "Invite All over {invite_all_people} people: {}",
        if invite_all_acked {
            "accepted"
        } else {
            "refused"
        }
    );

    // Writers: new addresses, and each bell user once, spread over the run.
    let acked: Acked = Arc::default();
    for w in 0..2 {
        let (load, owner, load_org, acked) =
            (load.clone(), owner.clone(), load_org.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !load.stop.load(Ordering::Relaxed) {
                n += 1;
                let email = format!("w{w}-{n}@new.chaos");
                load.invite(&owner, &load_org, email, &acked).await;
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        }));
    }
    let bells_invited = Arc::new(AtomicBool::new(false));
    {
        let (load, owner, load_org, acked) =
            (load.clone(), owner.clone(), load_org.clone(), acked.clone());
        let emails: Vec<String> = bell_users.iter().map(|(e, _)| e.clone()).collect();
        let done = bells_invited.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            for email in emails {
                load.invite(&owner, &load_org, email, &acked).await;
                tokio::time::sleep(Duration::from_millis(400)).await;
            }
            done.store(true, Ordering::Relaxed);
        }));
    }
    // Readers of People pages, and sign-ins.
    for (cookie, short) in [
        (owner.clone(), load_org.clone()),
        (all_owner.clone(), all_org.clone()),
    ] {
        let load = load.clone();
        tasks.push(tokio::spawn(async move {
            let url = format!("{}/o/{REGION}/{short}/people", load.http);
            while !load.stop.load(Ordering::Relaxed) {
                load.idempotent("People page", || {
                    load.client.get(&url).header("cookie", &cookie)
                })
                .await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }));
    }
    {
        let (load, signer) = (load.clone(), signer.clone());
        tasks.push(tokio::spawn(async move {
            while !load.stop.load(Ordering::Relaxed) {
                let form = [("email", signer.as_str()), ("password", SIGN_IN_PASSWORD)];
                load.idempotent("sign-in", || {
                    load.server_fn::<app::auth::api::SignIn>("", &form)
                })
                .await;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }));
    }

    // The chaos.
    let probe = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(15)).await;
    println!("{:>6.1} s  kill -9 Muster instance 1", load.now());
    kill_9(&pid_file(cluster.dir.join("muster1.pid")));
    tokio::time::sleep(Duration::from_secs(15)).await;
    println!("{:>6.1} s  Muster instance 1 starts again", load.now());
    muster(&["cluster", "restart", "muster1"]);
    tokio::time::sleep(Duration::from_secs(15)).await;
    let old = primary(&cluster, &probe)
        .await
        .expect("a primary before the failover");
    let other = 3 - old;
    println!(
        "{:>6.1} s  kill -9 the PostgreSQL primary pg{old} (Patroni and postmaster)",
        load.now()
    );
    let patroni = std::process::Command::new("pgrep")
        .args([
            "-f",
            &format!(
                "patroni {}",
                cluster.dir.join(format!("pg{old}.yml")).display()
            ),
        ])
        .output()
        .unwrap();
    for pid in String::from_utf8_lossy(&patroni.stdout).split_whitespace() {
        kill_9(pid);
    }
    kill_9(&pid_file(
        cluster.dir.join(format!("pg{old}/postmaster.pid")),
    ));
    let promoted = wait_for(
        "Patroni promoting the replica",
        Duration::from_secs(90),
        async || primary(&cluster, &probe).await == Some(other),
    )
    .await;
    println!(
        "{:>6.1} s  pg{other} promoted, {promoted:.1} s after the kill",
        load.now()
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    println!(
        "{:>6.1} s  pg{old} starts again and rejoins as a replica",
        load.now()
    );
    muster(&["cluster", "restart", &format!("pg{old}")]);
    let rest = cluster.rest[old - 1].clone();
    let rejoined = wait_for("the old primary rejoining", Duration::from_secs(120), async || {
        matches!(probe.get(format!("{rest}/replica")).send().await, Ok(r) if r.status().is_success())
    })
    .await;
    println!(
        "{:>6.1} s  pg{old} streams again ({rejoined:.1} s)",
        load.now()
    );
    // Until every bell user has been invited (or refused), then a quiet moment.
    while !bells_invited.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let load_seconds = load.now();
    // Bells are judged while their streams are still open.
    let bells_at_end: Vec<Bell> = bells.iter().map(|b| b.lock().unwrap().clone()).collect();
    load.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(35), task).await;
    }

    // Drain: Invite All finished, the outbox empty, the sink has it all.
    println!(
        "Load stopped after {load_seconds:.0} s; waiting for Invite All and the outbox to finish"
    );
    let drained = wait_for(
        "the outbox draining",
        Duration::from_secs(300),
        async || {
            let (open, pending): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT count(*) FROM invite_batches WHERE finished_at IS NULL),
                    (SELECT count(*) FROM outbox_emails WHERE status = 'pending')",
            )
            .fetch_one(&pool)
            .await
            .unwrap_or((1, 1));
            open == 0 && pending == 0
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await; // the sink writes every 200 ms
    println!("Drained in {drained:.0} s");

    // What the database and the SMTP sink say.
    let acked = acked.lock().unwrap().clone();
    let stored: HashSet<String> =
        sqlx::query_scalar("SELECT email FROM invitations WHERE org_id = $1")
            .bind(load_org_id)
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let lost: Vec<&String> = acked
        .iter()
        .map(|(e, _)| e)
        .filter(|e| !stored.contains(*e))
        .collect();
    let (doubled_invitations,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM (SELECT org_id, email FROM invitations WHERE org_id IN ($1, $2)
                               GROUP BY org_id, email HAVING count(*) > 1) d",
    )
    .bind(load_org_id)
    .bind(all_org_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let (all_invited, all_people): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(DISTINCT email) FROM invitations WHERE org_id = $1),
                (SELECT count(*) FROM people WHERE org_id = $1 AND role <> 'OWNER')",
    )
    .bind(all_org_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let sink = std::fs::read_to_string(&cluster.smtp_file).unwrap_or_default();
    let mut by_id: HashMap<String, u32> = HashMap::new();
    let mut by_to: HashMap<String, u32> = HashMap::new();
    for line in sink.lines() {
        let Ok(mail) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if let Some(id) = mail["message_id"].as_str() {
            *by_id.entry(id.to_owned()).or_default() += 1;
        }
        for to in mail["to"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str())
        {
            *by_to.entry(to.to_owned()).or_default() += 1;
        }
    }
    let doubled_mails = by_id.values().filter(|n| **n > 1).count();
    let all_suffix = format!("@{all_org}.bench");
    let all_mailed = by_to.keys().filter(|to| to.ends_with(&all_suffix)).count() as i64;
    let all_doubled = by_to
        .iter()
        .filter(|(to, n)| to.ends_with(&all_suffix) && **n > 1)
        .count();
    let unmailed = acked.iter().filter(|(e, _)| !by_to.contains_key(e)).count();

    let bell_org = load_org.clone();
    let invited_bells: HashMap<&str, f64> = acked
        .iter()
        .filter(|(e, _)| e.starts_with("bell"))
        .map(|(e, at)| (e.as_str(), *at))
        .collect();
    let mut not_resumed = 0;
    let mut not_shown = 0;
    let mut sent_while_away = 0;
    let mut reconnects = 0;
    for ((email, _), bell) in bell_users.iter().zip(&bells_at_end) {
        reconnects += bell.reconnects;
        if !bell.connected {
            not_resumed += 1;
        }
        if let Some(at) = invited_bells.get(email.as_str()) {
            if !bell.shows.contains(&bell_org) {
                not_shown += 1;
            }
            if bell.away.iter().any(|(from, to)| from <= at && at <= to) {
                sent_while_away += 1;
            }
        }
    }

    let outcomes = load.outcomes.lock().unwrap();
    let (down, longest) = unavailability(outcomes.first_attempts.clone());
    let requests = outcomes.ok + outcomes.retried_ok + outcomes.user_visible;
    println!();
    println!("Chaos run: {requests} requests in {load_seconds:.0} s of load");
    println!(
        "  unavailability seen by clients  {down:>6.1} s (longest stretch {longest:.1} s; aim < 30 s)"
    );
    println!(
        "  failed, then answered on retry  {:>6}",
        outcomes.retried_ok
    );
    println!(
        "  failed as the user saw it       {:>6}  (writes are not retried)",
        outcomes.user_visible
    );
    for (kind, (count, first, last)) in &outcomes.visible_by_kind {
        println!("      {kind:<28}{count:>6}  (from {first:.0} s to {last:.0} s)");
    }
    println!(
        "  acknowledged writes             {:>6}  (+ Invite All: {})",
        acked.len(),
        if invite_all_acked {
            "acknowledged"
        } else {
            "refused"
        }
    );
    println!("  acknowledged writes lost        {:>6}", lost.len());
    println!(
        "  duplicate invitations           {:>6}",
        doubled_invitations
    );
    println!("  duplicate mails (Message-ID)    {:>6}", doubled_mails);
    println!(
        "  Invite All: {all_invited} of {all_people} people invited, {all_mailed} mailed, {all_doubled} mailed twice"
    );
    println!("  acknowledged invitations without a mail {unmailed}");
    println!(
        "  bell streams: {} of {bell_count} open at the end ({reconnects} reconnections); \
         {} of {} show their invitation, {sent_while_away} of which was sent while the stream was away",
        bell_count - not_resumed,
        invited_bells.len() - not_shown,
        invited_bells.len()
    );
    let mut broken = Vec::new();
    if !lost.is_empty() {
        broken.push(format!(
            "{} acknowledged writes lost: {:?}",
            lost.len(),
            &lost[..lost.len().min(5)]
        ));
    }
    if doubled_invitations > 0 || doubled_mails > 0 || all_doubled > 0 {
        broken.push("something was doubled".to_owned());
    }
    if invite_all_acked && (all_invited != all_people || all_mailed != all_people) {
        broken.push(format!(
            "Invite All: {all_invited} invited and {all_mailed} mailed of {all_people}"
        ));
    }
    if unmailed > 0 {
        broken.push(format!("{unmailed} acknowledged invitations got no mail"));
    }
    if not_resumed > 0 || not_shown > 0 {
        broken.push(format!(
            "{not_resumed} bell streams did not come back, {not_shown} do not show their invitation"
        ));
    }
    if broken.is_empty() {
        println!("\nEvery rule held.");
    } else {
        println!("\nBroken rules:");
        for rule in &broken {
            println!("  - {rule}");
        }
        std::process::exit(1);
    }
}
