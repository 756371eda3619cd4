use std::process::ExitCode;

use clap::Parser;
use server::config::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let config = Config::parse();
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("muster: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let mut leptos_options = leptos::config::get_configuration(None)?.leptos_options;
    if leptos_options.output_name.is_empty() {
        leptos_options.output_name = "muster".into();
    }
    let listener = tokio::net::TcpListener::bind(leptos_options.site_addr).await?;
    let pool = server::connect(&config).await?;
    let running = server::launch(&config, leptos_options, pool, listener).await?;
    println!("Muster is running at {}", running.base_url);
    if running.dev_mailbox.is_some() {
        println!("Sent mail is shown at {}/dev/mailbox", running.base_url);
    }
    // Serve until Ctrl-C or SIGTERM; the server shuts down gracefully on either.
    running.server.await?;
    Ok(())
}
