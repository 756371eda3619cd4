//! Typed configuration from flags and environment variables. Production mode refuses
//! to start without the settings that have no safe default.

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Development,
    Production,
}

#[derive(Debug, Clone, Parser)]
#[command(name = "server", about = "Muster web server")]
pub struct Config {
    /// development shows sent mail at /dev/mailbox; production requires SMTP_URL and BASE_URL.
    #[arg(long, env = "MUSTER_MODE", value_enum, default_value = "development")]
    pub mode: Mode,

    /// PostgreSQL connection string. `./muster run` starts a private cluster and sets it.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,

    /// Outgoing mail server, e.g. smtp://user:pass@mail.example.com:587?tls=required.
    /// Unset in development: mail goes to the built-in mailbox at /dev/mailbox.
    #[arg(long, env = "SMTP_URL")]
    pub smtp_url: Option<String>,

    /// Sender of every email.
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "Muster <no-reply@muster.localhost>"
    )]
    pub mail_from: String,

    /// Public address of the site, used in emailed links. Defaults to http://<site address>.
    #[arg(long, env = "BASE_URL")]
    pub base_url: Option<String>,

    /// Argon2id memory cost in KiB (OWASP minimum 19456).
    #[arg(long, env = "ARGON2_MEMORY_KIB", default_value_t = 19_456)]
    pub argon2_memory_kib: u32,

    /// How many password hashes may run at once.
    #[arg(long, env = "PASSWORD_HASH_CONCURRENCY", default_value_t = 4)]
    pub password_hash_concurrency: usize,

    /// Failed sign-ins allowed per account within the throttle window.
    #[arg(long, env = "MAX_FAILURES_PER_ACCOUNT", default_value_t = 5)]
    pub max_failures_per_account: i64,

    /// Failed sign-ins allowed per client address within the throttle window.
    #[arg(long, env = "MAX_FAILURES_PER_ADDRESS", default_value_t = 30)]
    pub max_failures_per_address: i64,

    #[arg(long, env = "THROTTLE_WINDOW_MINUTES", default_value_t = 15)]
    pub throttle_window_minutes: i64,

    /// Database connections in the pool.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 10)]
    pub database_pool_size: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("production mode needs {0}; set it in the environment (see .env.example)")]
    MissingInProduction(&'static str),
    #[error("BASE_URL must start with http:// or https://, got {0:?}")]
    BadBaseUrl(String),
}

impl Config {
    /// Checks the rules clap cannot express and resolves the base URL.
    pub fn validate(&self, site_addr: std::net::SocketAddr) -> Result<String, ConfigError> {
        if self.mode == Mode::Production {
            if self.smtp_url.is_none() {
                return Err(ConfigError::MissingInProduction("SMTP_URL"));
            }
            if self.base_url.is_none() {
                return Err(ConfigError::MissingInProduction("BASE_URL"));
            }
        }
        let base = self
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{site_addr}"));
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ConfigError::BadBaseUrl(base));
        }
        Ok(base.trim_end_matches('/').to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Config {
        let mut all = vec!["server", "--database-url", "postgres://x"];
        all.extend_from_slice(args);
        Config::try_parse_from(all).unwrap()
    }

    #[test]
    fn production_refuses_to_start_without_smtp_or_base_url() {
        let addr = "127.0.0.1:3000".parse().unwrap();
        let c = parse(&["--mode", "production"]);
        assert!(matches!(
            c.validate(addr),
            Err(ConfigError::MissingInProduction("SMTP_URL"))
        ));
        let c = parse(&["--mode", "production", "--smtp-url", "smtp://m:25"]);
        assert!(matches!(
            c.validate(addr),
            Err(ConfigError::MissingInProduction("BASE_URL"))
        ));
        let c = parse(&[
            "--mode",
            "production",
            "--smtp-url",
            "smtp://m:25",
            "--base-url",
            "https://m.example/",
        ]);
        assert_eq!(c.validate(addr).unwrap(), "https://m.example");
    }

    #[test]
    fn development_defaults_the_base_url_to_the_site_address() {
        let c = parse(&[]);
        assert_eq!(
            c.validate("127.0.0.1:3000".parse().unwrap()).unwrap(),
            "http://127.0.0.1:3000"
        );
    }
}
