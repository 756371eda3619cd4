use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use app::activation::server::service::{self as activation, Demo, SubscriptionSpec};
use app::i18n::Locale;
use clap::Parser;
use server::config::{Command, Config, LogFormat, Mode, SubscriptionCommand};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match config.log_format() {
        // One JSON object per line; the request's id and route are in its `span`.
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => logs.init(),
    }
    let result = match config.command.clone() {
        None => run(config).await,
        Some(Command::Subscription { action }) => subscription(config, action).await,
        Some(Command::SecondFactorReset { email }) => second_factor_reset(config, &email).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("muster: {err}");
            ExitCode::FAILURE
        }
    }
}

fn leptos_options() -> Result<leptos::config::LeptosOptions, Box<dyn std::error::Error>> {
    let mut options = leptos::config::get_configuration(None)?.leptos_options;
    if options.output_name.is_empty() {
        options.output_name = "muster".into();
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(std::path::Path::to_path_buf));
    // The release bundle keeps the browser files in `site/` beside `bin/`: found there
    // unless LEPTOS_SITE_ROOT says otherwise.
    if std::env::var_os("LEPTOS_SITE_ROOT").is_none()
        && let Some(site) = exe_dir.as_ref().map(|dir| dir.join("../site"))
        && site.join(options.site_pkg_dir.as_ref()).is_dir()
    {
        options.site_root = site.to_string_lossy().into_owned().into();
    }
    // cargo-leptos writes hash.txt beside the binary when the bundle's file names carry
    // content hashes (`hash-files` in Cargo.toml); pages must then name those files.
    if !options.hash_files
        && let Some(dir) = exe_dir
    {
        options.hash_files = dir.join(options.hash_file.as_ref()).exists();
    }
    Ok(options)
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let leptos_options = leptos_options()?;
    let listener = tokio::net::TcpListener::bind(leptos_options.site_addr).await?;
    let pool = server::connect(&config).await?;
    let running = server::launch(&config, leptos_options, pool.clone(), listener).await?;
    println!("Muster is running at {}", running.base_url);
    if let Some(addr) = running.metrics_addr {
        println!("Metrics are served at http://{addr}/metrics");
    }
    if running.dev_mailbox.is_some() {
        println!("Sent mail is shown at {}/dev/mailbox", running.base_url);
    }
    if config.mode == Mode::Development {
        match activation::ensure_demo(&pool, &running.state.settings.secret_key, &running.base_url)
            .await
        {
            Ok(Demo::Link(link)) => println!(
                "Try the activation wizard with the demo subscription (Demo Company, premium trial):\n  {link}"
            ),
            Ok(Demo::AlreadyActive) => println!(
                "The demo organization is already activated. Create another subscription with:\n  \
                 cargo run -p server -- subscription create --company \"Acme Corp\" --email it@acme.test"
            ),
            Err(err) => eprintln!("muster: could not prepare the demo subscription: {err}"),
        }
    }
    // Serve until Ctrl-C or SIGTERM; the server shuts down gracefully on either.
    running.server.await?;
    Ok(())
}

/// Links in mail use BASE_URL, else the address `./muster run` serves on.
fn operator_base_url(config: &Config) -> Result<String, Box<dyn std::error::Error>> {
    let site_addr = std::env::var("LEPTOS_SITE_ADDR")
        .ok()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 3000)));
    Ok(config.validate(site_addr)?)
}

/// The running server's key, which seals the mail it will send.
fn operator_key(config: &Config) -> Result<app::state::SecretKey, Box<dyn std::error::Error>> {
    let key = config.secret_key.clone().ok_or(
        "MUSTER_SECRET_KEY must be set, to the running server's key (./muster subscription does this)",
    )?;
    Ok(app::state::SecretKey(key.into_bytes()))
}

/// `server second-factor-reset --email ...`: for someone who lost every factor and code.
async fn second_factor_reset(
    config: Config,
    email: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let base_url = operator_base_url(&config)?;
    let key = operator_key(&config)?;
    let pool = server::connect(&config).await?;
    let found =
        app::auth::server::second_factor::operator_reset(&pool, &key, &base_url, email).await?;
    if !found {
        return Err(format!("no account has the address {}", email.trim()).into());
    }
    tracing::warn!(email = email.trim(), "operator removed a second factor");
    println!(
        "Removed the second factor of {}: signed out everywhere, recorded in the audit log of their organizations, and told by mail.",
        email.trim()
    );
    Ok(())
}

/// `server subscription create ...`: what an operator runs after a sale.
async fn subscription(
    config: Config,
    action: SubscriptionCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    let SubscriptionCommand::Create {
        company,
        email,
        plan,
        products,
        trial,
        seats,
        locale,
    } = action;
    let locale = Locale::from_code(&locale)
        .ok_or_else(|| format!("--locale must be en, fr or de, got {locale:?}"))?;
    let base_url = operator_base_url(&config)?;
    let pool = server::connect(&config).await?;
    let spec = SubscriptionSpec {
        company_name: company,
        contact_email: email,
        locale,
        plan,
        products,
        trial,
        seats,
        is_demo: false,
    };
    // The activation mail is sealed in the outbox for the server that will send it.
    let key = operator_key(&config)?;
    match activation::create_subscription(&pool, &key, &base_url, &spec).await {
        Ok(link) => {
            println!(
                "Created a pending subscription for {}; \"{}\" is queued for {}.",
                spec.company_name.trim(),
                app::mail::templates::activate_features(spec.locale, "", "").subject,
                spec.contact_email.trim()
            );
            println!("Activation link: {link}");
            Ok(())
        }
        Err(app::error::AppError::Validation(errors)) => Err(errors
            .iter()
            .map(|e| e.message(Locale::En))
            .collect::<Vec<_>>()
            .join("\n")
            .into()),
        Err(err) => Err(err.into()),
    }
}
