//! `spawn_app`: a real Muster server on a free port, with its own database (from
//! `#[sqlx::test]`) and a real SMTP sink, driven over HTTP like a browser would.

use std::time::Duration;

use app::error::AppError;
use clap::Parser;
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
use server::config::Config;
use server::mailsink::{self, Mailbox, ReceivedMail};
use sqlx::PgPool;

pub struct TestApp {
    /// The site's public address (`BASE_URL`), as links in mail show it.
    pub base: String,
    /// Where this server really listens (differs from `base` when a test names an https
    /// BASE_URL, as a server behind a TLS-terminating proxy has).
    pub local: String,
    /// Where /metrics is served without a token, when the test asked (`--metrics-addr`).
    pub metrics_addr: Option<std::net::SocketAddr>,
    pub client: reqwest::Client,
    pub mailbox: Mailbox,
    pub pool: PgPool,
    /// The running server's state, for background rounds a test runs at a time of its
    /// choosing (the reminders' test clock); `None` for a server run as its own process.
    pub state: Option<app::state::AppState>,
}

pub struct Options {
    /// Send through a separate SMTP sink (as in production) rather than the built-in one.
    pub external_smtp: bool,
    pub extra_args: Vec<String>,
    /// The site root the server serves files from (default: none in tests).
    pub site_root: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            external_smtp: true,
            extra_args: Vec::new(),
            site_root: None,
        }
    }
}

/// The key every server of a test shares (as all instances of a deployment do): mail
/// sealed by one is sent by another.
pub const TEST_SECRET_KEY: &str = "integration-tests-secret-key-0123456789";

pub fn test_key() -> app::state::SecretKey {
    app::state::SecretKey(TEST_SECRET_KEY.as_bytes().to_vec())
}

pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(pool, Options::default()).await
}

pub async fn spawn_app_with(pool: PgPool, options: Options) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut args: Vec<String> = vec![
        "server".into(),
        "--database-url".into(),
        "postgres://unused".into(),
        "--secret-key".into(),
        TEST_SECRET_KEY.into(),
    ];
    let mut sink = None;
    let own_smtp = options.extra_args.iter().any(|a| a == "--smtp-url");
    if options.external_smtp && !own_smtp {
        let (sink_addr, mailbox) = mailsink::start("127.0.0.1:0").await.unwrap();
        args.push("--smtp-url".into());
        args.push(format!("smtp://{sink_addr}"));
        sink = Some(mailbox);
    }
    // The binary defaults to production; tests ask for development unless they say.
    if !options.extra_args.iter().any(|a| a == "--mode") {
        args.extend(["--mode".into(), "development".into()]);
    }
    args.extend(options.extra_args);
    let config = Config::try_parse_from(args).unwrap();
    let leptos_options = LeptosOptions::builder()
        .output_name("muster")
        .site_addr(addr)
        .site_root(options.site_root.unwrap_or_else(|| "target/site".into()))
        .build();
    server::MIGRATOR.run(&pool).await.unwrap();
    let running = server::launch(&config, leptos_options, pool.clone(), listener)
        .await
        .unwrap();
    // A test that names its own --smtp-url reads its own sink.
    let mailbox = sink.or(running.dev_mailbox).unwrap_or_default();
    TestApp {
        base: running.base_url,
        local: format!("http://{}", running.addr),
        metrics_addr: running.metrics_addr,
        client: new_client(),
        mailbox,
        pool,
        state: Some(running.state),
    }
}

/// A development server without SMTP_URL: mail goes to its own sink, shown at /dev/mailbox.
pub async fn spawn_app_with_mailbox_page(pool: PgPool) -> TestApp {
    let options = Options {
        external_smtp: false,
        ..Default::default()
    };
    spawn_app_with(pool, options).await
}

/// A server whose mail server is down: `--smtp-url` names a free port nothing listens
/// on. Start `mailsink::start("127.0.0.1:<port>")` to bring it back.
pub async fn spawn_app_with_smtp_down(pool: PgPool) -> (TestApp, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(
        pool,
        Options {
            extra_args: vec!["--smtp-url".into(), format!("smtp://127.0.0.1:{port}")],
            ..Default::default()
        },
    )
    .await;
    (app, port)
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub struct Reply<T> {
    pub status: u16,
    pub result: Result<T, AppError>,
    pub set_cookies: Vec<String>,
}

/// A server function whose answer the tests read back (as JSON, see `TestApp::call`).
pub trait Called: ServerFn<Output: serde::de::DeserializeOwned + serde::Serialize> {}
impl<S: ServerFn<Output: serde::de::DeserializeOwned + serde::Serialize>> Called for S {}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.local, path)
    }

    /// Calls a server function the way the hydrated app does (form-encoded; its answer,
    /// postcard, read back as JSON).
    pub async fn call<S: Called>(
        &self,
        client: &reqwest::Client,
        form: &[(&str, &str)],
    ) -> Reply<serde_json::Value> {
        self.call_with::<S>(client, form, None).await
    }

    pub async fn call_with<S: Called>(
        &self,
        client: &reqwest::Client,
        form: &[(&str, &str)],
        accept_language: Option<&str>,
    ) -> Reply<serde_json::Value> {
        let mut req = client.post(self.url(S::PATH)).form(form);
        if let Some(lang) = accept_language {
            req = req.header("accept-language", lang);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let set_cookies = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let body = res.bytes().await.unwrap();
        let result = if (200..300).contains(&status) {
            Ok(app::wire::answer_as_json::<S>(&body)
                .unwrap_or_else(|e| panic!("not the answer of {} ({e})", S::PATH)))
        } else {
            Err(app::wire::error_from_wire(&body).unwrap_or_else(|_| {
                let body = String::from_utf8_lossy(&body);
                panic!("not an AppError ({status}): {body}")
            }))
        };
        Reply {
            status,
            result,
            set_cookies,
        }
    }

    /// Waits (up to 10 s) until `count` mails for `to` have arrived through SMTP.
    pub async fn wait_for_mail(&self, to: &str, count: usize) -> Vec<ReceivedMail> {
        for _ in 0..200 {
            let mails = self.mailbox.to(to);
            if mails.len() >= count {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "expected {count} mail(s) to {to}, got {:?}",
            self.mailbox
                .to(to)
                .iter()
                .map(|m| &m.subject)
                .collect::<Vec<_>>()
        );
    }

    pub async fn get(&self, client: &reqwest::Client, path: &str) -> (u16, String) {
        let res = client.get(self.url(path)).send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// The page at `path` with one more cookie (`name=value`) than the client keeps.
    pub async fn get_with_cookie(
        &self,
        client: &reqwest::Client,
        path: &str,
        cookie: &str,
    ) -> String {
        let res = client.get(self.url(path)).header("cookie", cookie).send();
        res.await.unwrap().text().await.unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// The first link in a mail's text that carries a token.
pub fn link_in(mail: &ReceivedMail) -> String {
    mail.text
        .split_whitespace()
        .find(|w| w.starts_with("http") && w.contains("token="))
        .unwrap_or_else(|| panic!("no link in {:?}", mail.text))
        .to_owned()
}

pub fn token_of(link: &str) -> String {
    link.split("token=").nth(1).unwrap().to_owned()
}

/// The (field, message key) pairs of a validation error.
pub fn field_keys(err: &AppError) -> Vec<(String, String)> {
    match err {
        AppError::Validation(errors) => errors
            .iter()
            .map(|e| (e.field.clone(), e.key.clone()))
            .collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

pub const PASSWORD: &str = "correct horse battery";

// --- activation helpers (shared by the activation and invitation tests) ---------------

use app::activation::api::{ActivateNow, AddInvite, ChooseRegion, FinishInvites, SaveAccount};
use app::activation::server::service::{SubscriptionSpec, create_subscription};
use app::i18n::Locale;
use app::invitations::api::AcceptInvitation;
use app::people::api::GetPeople;

pub fn spec(company: &str, email: &str, locale: Locale, trial: bool) -> SubscriptionSpec {
    SubscriptionSpec {
        company_name: company.into(),
        contact_email: email.into(),
        locale,
        plan: "premium".into(),
        products: vec!["alerts".into(), "decisions".into()],
        trial,
        seats: 10,
        is_demo: false,
    }
}

/// Creates a subscription as the operator command does; returns the link's token.
pub async fn subscribe(app: &TestApp, spec: &SubscriptionSpec) -> String {
    let link = create_subscription(&app.pool, &test_key(), &app.base, spec)
        .await
        .unwrap();
    let prefix = format!("{}/activate/", app.base);
    assert!(link.starts_with(&prefix), "{link}");
    link[prefix.len()..].to_owned()
}

pub async fn ok(reply: Reply<serde_json::Value>) -> serde_json::Value {
    assert_eq!(reply.status, 200, "{:?}", reply.result);
    reply.result.unwrap()
}

/// Region, basic information, (no) invitations: ready for "Activate Now".
pub async fn fill_wizard(
    app: &TestApp,
    client: &reqwest::Client,
    token: &str,
    email: &str,
    company: &str,
) {
    fill_wizard_with(app, client, token, email, PASSWORD, company).await;
}

/// `fill_wizard` with the password typed in the account step.
pub async fn fill_wizard_with(
    app: &TestApp,
    client: &reqwest::Client,
    token: &str,
    email: &str,
    password: &str,
    company: &str,
) {
    ok(app
        .call::<ChooseRegion>(client, &[("token", token), ("region", "eu-central-1")])
        .await)
    .await;
    ok(app
        .call::<SaveAccount>(
            client,
            &[
                ("token", token),
                ("name", "Olivia Owner"),
                ("email", email),
                ("password", password),
                ("company_name", company),
            ],
        )
        .await)
    .await;
    ok(app.call::<FinishInvites>(client, &[("token", token)]).await).await;
}

pub async fn job_status(pool: &PgPool, token: &str) -> Option<String> {
    sqlx::query_scalar::<_, String>(
        "SELECT j.status FROM activation_jobs j JOIN subscriptions s ON s.id = j.subscription_id
         WHERE s.token_hash = sha256(convert_to($1, 'UTF8'))",
    )
    .bind(token)
    .fetch_optional(pool)
    .await
    .unwrap()
}

/// Waits (up to 30 s) until the job of `token` is no longer running.
pub async fn wait_for_job(pool: &PgPool, token: &str) -> String {
    for _ in 0..600 {
        match job_status(pool, token).await.as_deref() {
            Some("running") | None => tokio::time::sleep(Duration::from_millis(50)).await,
            Some(other) => return other.to_owned(),
        }
    }
    panic!("the activation job did not finish");
}

// ---- Organizations and people (shared by the people, invitation and joining tests) ----

/// An active organization `short` owned by `owner` (signed in on the returned client).
/// Subscribes `company` for `owner`, fills the wizard on `client` (inviting `invites`,
/// (email, role) pairs) and clicks "Activate Now"; returns the activation token and how
/// the job ended ("done" or "failed").
pub async fn activate(
    app: &TestApp,
    client: &reqwest::Client,
    company: &str,
    owner: &str,
    invites: &[(&str, &str)],
) -> (String, String) {
    activate_spec(
        app,
        client,
        &spec(company, owner, Locale::En, false),
        invites,
    )
    .await
}

/// `activate` for a subscription of one's own (plan, seats, ...).
pub async fn activate_spec(
    app: &TestApp,
    client: &reqwest::Client,
    spec: &SubscriptionSpec,
    invites: &[(&str, &str)],
) -> (String, String) {
    let (company, owner) = (spec.company_name.as_str(), spec.contact_email.as_str());
    let token = subscribe(app, spec).await;
    fill_wizard(app, client, &token, owner, company).await;
    for (email, role) in invites {
        ok(app
            .call::<AddInvite>(
                client,
                &[("token", &token), ("email", email), ("role", role)],
            )
            .await)
        .await;
    }
    ok(app.call::<ActivateNow>(client, &[("token", &token)]).await).await;
    let status = wait_for_job(&app.pool, &token).await;
    (token, status)
}

/// Waits (up to 10 s) for a mail to `to` whose subject contains `subject`.
pub async fn mail_with_subject(app: &TestApp, to: &str, subject: &str) -> ReceivedMail {
    for _ in 0..200 {
        if let Some(mail) = app
            .mailbox
            .to(to)
            .into_iter()
            .find(|m| m.subject.contains(subject))
        {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no mail to {to} with {subject:?} in 10 s")
}

pub async fn org(
    app: &TestApp,
    company: &str,
    owner: &str,
    invites: &[(&str, &str)],
) -> reqwest::Client {
    org_spec(app, &spec(company, owner, Locale::En, false), invites).await
}

/// `org` for a subscription of one's own; the owner is signed in on the returned client.
pub async fn org_spec(
    app: &TestApp,
    spec: &SubscriptionSpec,
    invites: &[(&str, &str)],
) -> reqwest::Client {
    let c = new_client();
    let owner = spec.contact_email.as_str();
    let (_, status) = activate_spec(app, &c, spec, invites).await;
    assert_eq!(status, "done");
    ok(app
        .call::<app::auth::api::SignIn>(&c, &[("email", owner), ("password", PASSWORD)])
        .await)
    .await;
    c
}

pub async fn people(app: &TestApp, c: &reqwest::Client, short: &str) -> serde_json::Value {
    ok(app
        .call::<GetPeople>(c, &[("region", "eu-central-1"), ("short_name", short)])
        .await)
    .await
}

/// Adds a person to the organization `short` (eu-central-1) with "Add Person", not sent.
pub async fn add_person(
    app: &TestApp,
    c: &reqwest::Client,
    short: &str,
    name: &str,
    email: &str,
    role: &str,
) {
    let form = [
        ("region", "eu-central-1"),
        ("short_name", short),
        ("name", name),
        ("email", email),
        ("role", role),
    ];
    ok(app.call::<app::people::api::AddPerson>(c, &form).await).await;
}

/// The addresses a People page lists, in its order.
pub fn emails(page: &serde_json::Value) -> Vec<String> {
    page["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["email"].as_str().unwrap().to_owned())
        .collect()
}

pub fn row<'a>(page: &'a serde_json::Value, email: &str) -> &'a serde_json::Value {
    page["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["email"] == email)
        .unwrap_or_else(|| panic!("{email} in {page}"))
}

/// Accepts the invitation mailed to `email` as a new person; returns their client.
pub async fn accept(app: &TestApp, email: &str) -> reqwest::Client {
    let mails = app.wait_for_mail(email, 1).await;
    let token = token_of(&link_in(mails.last().unwrap()));
    let c = new_client();
    ok(app
        .call::<AcceptInvitation>(
            &c,
            &[
                ("token", &token),
                ("name", "Vic Viewer"),
                ("password", PASSWORD),
            ],
        )
        .await)
    .await;
    c
}

/// A REST API call with an API key (`None`: no Authorization header); status and JSON.
pub async fn rest(
    app: &TestApp,
    key: Option<&str>,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = app.client.request(method, app.url(path));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

pub async fn sign_up(app: &TestApp, name: &str, email: &str) -> Reply<serde_json::Value> {
    app.call::<app::auth::api::SignUp>(
        &app.client,
        &[("name", name), ("email", email), ("password", PASSWORD)],
    )
    .await
}

/// Signs up as Ada Lovelace and confirms the address from the mail, which signs
/// `app.client` in.
pub async fn verified_user(app: &TestApp, email: &str) {
    assert!(sign_up(app, "Ada Lovelace", email).await.result.is_ok());
    let mail = app.wait_for_mail(email, 1).await;
    let token = token_of(&link_in(&mail[0]));
    assert!(
        app.call::<app::auth::api::VerifyEmail>(
            &app.client,
            &[("token", &token), ("password", PASSWORD)]
        )
        .await
        .result
        .is_ok()
    );
}

/// The nonce a response's Content-Security-Policy names (every script must carry it).
pub fn csp_nonce(headers: &reqwest::header::HeaderMap) -> String {
    let csp = headers["content-security-policy"].to_str().unwrap();
    csp.split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {csp}"))
        .to_owned()
}

/// A Muster server process of its own (the real binary), on the test's database and mail
/// sink, that the test can `kill -9`.
pub struct Process {
    child: std::process::Child,
    pub base: String,
    /// Where its output goes (logs, and panics).
    log: std::path::PathBuf,
}

impl Process {
    pub async fn start(database_url: &str, smtp: std::net::SocketAddr) -> Process {
        Process::start_with(database_url, smtp, &[]).await
    }

    /// `start` with more environment variables (they win over the defaults).
    pub async fn start_with(
        database_url: &str,
        smtp: std::net::SocketAddr,
        env: &[(&str, &str)],
    ) -> Process {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::env::temp_dir().join(format!("muster-server-{port}.log"));
        // One file for both: its descriptors share an offset, so lines interleave intact.
        let output = std::fs::File::create(&log).unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .env("MUSTER_MODE", "development")
            .env("DATABASE_URL", database_url)
            .env("SMTP_URL", format!("smtp://{smtp}"))
            .env("MUSTER_SECRET_KEY", TEST_SECRET_KEY)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_OUTPUT_NAME", "muster")
            .env("RUST_LOG", "error")
            .envs(env.iter().copied())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .expect("the server binary starts");
        // Owned at once, so it is killed and reaped however the test ends.
        let process = Process {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        for _ in 0..150 {
            if reqwest::get(format!("{}/healthz", process.base))
                .await
                .is_ok()
            {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server process did not start");
    }

    /// A test's view of this process: its address, the test's mail sink and database.
    pub fn app(&self, mailbox: server::mailsink::Mailbox, pool: &PgPool) -> TestApp {
        TestApp {
            base: self.base.clone(),
            local: self.base.clone(),
            metrics_addr: None,
            client: new_client(),
            mailbox,
            pool: pool.clone(),
            state: None,
        }
    }

    /// What the process has written so far (logs go to standard output, panics to standard error).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no shutdown, no cleanup (`Drop` reaps it).
    pub fn kill_9(mut self) {
        self.child.kill().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The connection string of a test's database, for a server process of its own.
pub fn database_url(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap()
    )
}

/// Turns Acme's self-join link on for `domains` (as its OWNER on `owner`); the link's token.
pub async fn open_join_link(app: &TestApp, owner: &reqwest::Client, domains: &str) -> String {
    let form = [
        ("region", "eu-central-1"),
        ("short_name", "acme"),
        ("domains", domains),
        ("enabled", "on"),
    ];
    ok(app
        .call::<app::joining::api::SaveJoinLink>(owner, &form)
        .await)
    .await;
    let url = people(app, owner, "acme").await["admin"]["link"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    url.rsplit('/').next().unwrap().to_owned()
}

/// Signs in on `c` with a password; where the answer leads (the second-factor step for a
/// person who has one).
pub async fn sign_in_to(app: &TestApp, c: &reqwest::Client, email: &str, password: &str) -> String {
    ok(app
        .call::<app::auth::api::SignIn>(c, &[("email", email), ("password", password)])
        .await)
    .await
    .as_str()
    .unwrap()
    .to_owned()
}

/// Who is signed in on `c`, if anyone.
pub async fn signed_in_as(app: &TestApp, c: &reqwest::Client) -> Option<String> {
    let shell = ok(app.call::<app::shell::api::GetShell>(c, &[]).await).await;
    shell["principal"]["email"].as_str().map(str::to_owned)
}

/// A new account with a confirmed address, signed in on the returned client.
pub async fn signed_in_person(app: &TestApp, email: &str) -> reqwest::Client {
    verified_user(app, email).await;
    let c = new_client();
    sign_in_to(app, &c, email, PASSWORD).await;
    c
}

/// The actions of the audit log of Acme (eu-central-1), newest first.
pub async fn audit_actions(app: &TestApp, c: &reqwest::Client) -> Vec<String> {
    let acme = [("region", "eu-central-1"), ("short_name", "acme")];
    let log = ok(app.call::<app::audit::api::GetAuditLog>(c, &acme).await).await;
    log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

/// A People row action (`S`) on person `id` of Acme (eu-central-1), with `extra` fields.
pub async fn act<S>(
    app: &TestApp,
    c: &reqwest::Client,
    id: &str,
    extra: &[(&str, &str)],
) -> Reply<serde_json::Value>
where
    S: Called + leptos::server_fn::ServerFn<Error = AppError>,
{
    let mut form = vec![("region", "eu-central-1"), ("short_name", "acme")];
    form.push(("person_id", id));
    form.extend_from_slice(extra);
    app.call::<S>(c, &form).await
}
