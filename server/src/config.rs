//! Typed configuration from flags and environment variables. Production mode refuses
//! to start without the settings that have no safe default.

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Parser)]
#[command(name = "server", about = "Muster web server")]
pub struct Config {
    /// production (the default) requires SMTP_URL, an https BASE_URL and MUSTER_SECRET_KEY,
    /// and marks cookies `__Host-` and Secure; development (what `./muster run` asks for)
    /// shows sent mail at /dev/mailbox when SMTP_URL is unset.
    #[arg(long, env = "MUSTER_MODE", value_enum, default_value = "production")]
    pub mode: Mode,

    /// Production only: accept an http:// BASE_URL. For a site reached only over a private
    /// network or loopback; cookies are then not Secure and pages send no HSTS. Behind a
    /// proxy that terminates TLS, set BASE_URL to the public https:// address instead.
    #[arg(long, env = "MUSTER_ALLOW_HTTP", default_value_t = false)]
    pub allow_http: bool,

    /// Production only: accept a plain-text smtp:// SMTP_URL to a host other than this
    /// machine (mail and its password cross the network unencrypted). Prefer
    /// ?tls=required or smtps://.
    #[arg(long, env = "MUSTER_ALLOW_PLAIN_SMTP", default_value_t = false)]
    pub allow_plain_smtp: bool,

    /// PostgreSQL connection string. `./muster run` starts a private cluster and sets it.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,

    /// Outgoing mail server, e.g. smtp://user:pass@mail.example.com:587?tls=required.
    /// Unset in development: mail goes to the built-in mailbox at /dev/mailbox.
    #[arg(long, env = "SMTP_URL")]
    pub smtp_url: Option<String>,

    /// SMTP connections used at once. A mail waits several round trips on its
    /// connection, so more connections send faster, as far as the mail server accepts
    /// that many from one client.
    #[arg(long, env = "SMTP_CONNECTIONS", default_value_t = 32)]
    pub smtp_connections: u32,

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

    /// How many more may wait for one; past that, requests are told "busy" (503) at once.
    #[arg(long, env = "PASSWORD_HASH_QUEUE", default_value_t = 64)]
    pub password_hash_queue: usize,

    /// Failed sign-ins allowed per account within the throttle window.
    #[arg(long, env = "MAX_FAILURES_PER_ACCOUNT", default_value_t = 5)]
    pub max_failures_per_account: i64,

    /// Failed sign-ins allowed per client address within the throttle window.
    #[arg(long, env = "MAX_FAILURES_PER_ADDRESS", default_value_t = 30)]
    pub max_failures_per_address: i64,

    /// The window, in minutes, of the two failed sign-in limits above.
    #[arg(long, env = "THROTTLE_WINDOW_MINUTES", default_value_t = 15)]
    pub throttle_window_minutes: i64,

    /// Mails (verification, password reset, join confirmation) per recipient address in an hour.
    #[arg(long, env = "MAX_MAILS_PER_RECIPIENT", default_value_t = 5)]
    pub max_mails_per_recipient: i64,

    /// Mails of those kinds that one client address may trigger in an hour.
    #[arg(long, env = "MAX_MAILS_PER_CLIENT", default_value_t = 30)]
    pub max_mails_per_client: i64,

    /// Failed sign-ins allowed from all of one account's known browsers together within
    /// the throttle window (each known browser also has MAX_FAILURES_PER_ACCOUNT).
    #[arg(long, env = "MAX_FAILURES_PER_KNOWN_DEVICES", default_value_t = 20)]
    pub max_failures_per_known_devices: i64,

    /// Invitations sent or resent one at a time to one address, by all organizations
    /// together, in a day (Invite All and activation are limited by the daily quota).
    #[arg(long, env = "MAX_INVITATIONS_PER_RECIPIENT", default_value_t = 5)]
    pub max_invitations_per_recipient: i64,

    /// Days a session lasts from sign-in, however much it is used.
    #[arg(long, env = "SESSION_DAYS", default_value_t = 30)]
    pub session_days: i64,

    /// Minutes a session lasts unused (the idle timeout; 10080 is a week).
    #[arg(long, env = "SESSION_IDLE_MINUTES", default_value_t = 10_080)]
    pub session_idle_minutes: i64,

    /// Bell streams one session may keep open on one server.
    #[arg(long, env = "MAX_STREAMS_PER_SESSION", default_value_t = 8)]
    pub max_streams_per_session: usize,

    /// Bell streams one person may keep open on one server, all their sessions together
    /// (signing in again and again does not open more).
    #[arg(long, env = "MAX_STREAMS_PER_PERSON", default_value_t = 24)]
    pub max_streams_per_person: usize,

    /// Days after which an account whose address was never confirmed, and which belongs
    /// to no organization, is deleted.
    #[arg(long, env = "UNCONFIRMED_ACCOUNT_DAYS", default_value_t = 7)]
    pub unconfirmed_account_days: i64,

    /// Reverse proxies whose X-Forwarded-For is believed, as IP addresses or CIDR ranges
    /// separated by commas (e.g. 10.0.0.0/8,127.0.0.1). Unset: the peer address is the
    /// client, and X-Forwarded-For is ignored.
    #[arg(long, env = "MUSTER_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_ip_net)]
    pub trusted_proxies: Vec<app::net::IpNet>,

    /// Serve /dev/mailbox to clients that are not on this machine (development mode only).
    /// Off: only loopback clients see it, so a server deployed without MUSTER_MODE shows
    /// nobody its mail.
    #[arg(long, env = "MUSTER_DEV_MAILBOX_PUBLIC", default_value_t = false)]
    pub dev_mailbox_public: bool,

    /// How long the outbox keeps retrying a mail that cannot be delivered, in hours
    /// (capped exponential backoff, like mail servers), before marking it not delivered.
    #[arg(long, env = "OUTBOX_GIVE_UP_HOURS", default_value_t = 72)]
    pub outbox_give_up_hours: i64,

    /// Seconds between two housekeeping sweeps (expired sessions, used links, old
    /// throttle rows and sent mail are deleted; see app::housekeeping).
    #[arg(long, env = "HOUSEKEEPING_INTERVAL_SECONDS", default_value_t = 600)]
    pub housekeeping_interval_seconds: u64,

    /// How often pending invitations are checked for a reminder that is due.
    #[arg(long, env = "REMINDER_INTERVAL_SECONDS", default_value_t = 300)]
    pub reminder_interval_seconds: u64,

    /// Days sent and undeliverable mail stays in the outbox before housekeeping deletes it.
    #[arg(long, env = "SENT_MAIL_DAYS", default_value_t = 30)]
    pub sent_mail_days: i64,

    /// Serve Prometheus metrics at /metrics on this separate address (e.g. 127.0.0.1:9464),
    /// without a token: keep it on a private interface.
    #[arg(long, env = "MUSTER_METRICS_ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,

    /// Serve /metrics on the main address too, to requests carrying
    /// `Authorization: Bearer <this token>`. Unset: /metrics there does not exist.
    #[arg(long, env = "MUSTER_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Log lines as `json` (one object per line, with the request id) or `text`.
    /// Default: json in production, text in development.
    #[arg(long, env = "LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,

    /// Database connections in the pool.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 10)]
    pub database_pool_size: u32,

    /// First retry delay of a failed activation step, in milliseconds (doubles each time).
    #[arg(long, env = "ACTIVATION_RETRY_MS", default_value_t = 1_000)]
    pub activation_retry_ms: u64,

    /// Attempts per activation step before the activation stops and asks for support.
    #[arg(long, env = "ACTIVATION_MAX_ATTEMPTS", default_value_t = 5)]
    pub activation_max_attempts: i32,

    /// Activation jobs run at once by this server.
    #[arg(long, env = "ACTIVATION_WORKERS", default_value_t = 2)]
    pub activation_workers: usize,

    /// Invitations an organization may send per UTC day, unless it has its own quota.
    #[arg(long, env = "MUSTER_INVITE_DAILY_QUOTA", default_value_t = 1_000)]
    pub invite_daily_quota: i32,

    /// The DNS server (`ip:port`) that verified domains' TXT records are looked up in.
    /// Unset: the system's (/etc/resolv.conf).
    #[arg(long, env = "MUSTER_DNS_SERVER")]
    pub dns_server: Option<std::net::SocketAddr>,

    /// Hosts (`host` or `host:port`, comma-separated) that an organization's OpenID
    /// provider may be reached at although they are not on the public internet (a private
    /// provider, or tests). Every other loopback, private, link-local or metadata address
    /// is refused. Unset: none in production; this machine (127.0.0.1, localhost, ::1)
    /// in development.
    #[arg(long, env = "MUSTER_SSO_ALLOWED_HOSTS", value_delimiter = ',')]
    pub sso_allowed_hosts: Option<Vec<String>>,

    /// New accounts that one organization's provider may create in an hour (just-in-time
    /// sign-ups); more are refused until the hour has passed.
    #[arg(long, env = "MUSTER_SSO_NEW_ACCOUNTS_PER_HOUR", default_value_t = 200)]
    pub sso_new_accounts_per_hour: i64,

    /// Seconds between background look-ups of domains waiting for their TXT record
    /// (verified domains are looked up again once a day).
    #[arg(long, env = "MUSTER_DOMAIN_RECHECK_SECONDS", default_value_t = 300)]
    pub domain_recheck_seconds: u64,

    /// Key (at least 32 characters, the same on every instance) from which self-join links
    /// and known-device cookies are derived and under which queued mail is sealed; links
    /// change when it changes. Required in production; `./muster run` keeps one.
    #[arg(long, env = "MUSTER_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// Development and tests only: `<step>:<n>` makes that activation step fail its first
    /// n attempts (e.g. `customize_billing:2`). Refused in production.
    #[arg(long, env = "MUSTER_FAIL_ACTIVATION_STEP", value_parser = parse_fault)]
    pub fail_activation_step: Option<(String, i32)>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Operator commands for subscriptions.
    Subscription {
        #[command(subcommand)]
        action: SubscriptionCommand,
    },
    /// Removes a person's second factor (authenticator app and recovery codes) when they
    /// lost it and every recovery code. Signs them out everywhere, records it in the audit
    /// log of their organizations, and tells them by mail. Check who is asking first.
    SecondFactorReset {
        /// The person's email address.
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum SubscriptionCommand {
    /// Creates a pending subscription and emails "Activate Your Muster Features" to its contact.
    Create {
        /// The customer's company name (the organization's short name derives from it).
        #[arg(long)]
        company: String,
        /// The contact who receives the activation email.
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["free", "premium"], default_value = "premium")]
        plan: String,
        /// Comma-separated: alerts, cti, instances, blocklists, decisions (premium).
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "alerts,cti,instances,blocklists"
        )]
        products: Vec<String>,
        /// A trial is not billed.
        #[arg(long)]
        trial: bool,
        #[arg(long, default_value_t = 25)]
        seats: i32,
        /// Language of the activation email: en, fr or de.
        #[arg(long, default_value = "en")]
        locale: String,
    },
}

fn parse_fault(raw: &str) -> Result<(String, i32), String> {
    let (step, times) = raw
        .split_once(':')
        .ok_or_else(|| "expected <step>:<count>, e.g. customize_billing:2".to_owned())?;
    if app::activation::types::JobStep::from_code(step).is_none() {
        return Err(format!("unknown activation step {step:?}"));
    }
    let times = times
        .parse()
        .map_err(|_| format!("{times:?} is not a number"))?;
    Ok((step.to_owned(), times))
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("production mode needs {0}; set it in the environment (see .env.example)")]
    MissingInProduction(&'static str),
    #[error("MUSTER_FAIL_ACTIVATION_STEP is for development and tests; unset it in production")]
    FaultInProduction,
    #[error("BASE_URL must start with http:// or https://, got {0:?}")]
    BadBaseUrl(String),
    #[error("MUSTER_SECRET_KEY must be at least 32 characters (e.g. `openssl rand -hex 32`)")]
    ShortSecretKey,
    #[error("MUSTER_INVITE_DAILY_QUOTA must be at least 1")]
    BadQuota,
    #[error(
        "BASE_URL {0:?} is not https: production sends session cookies only over https. \
         Set BASE_URL to the public https:// address (also behind a TLS-terminating proxy), \
         or MUSTER_ALLOW_HTTP=true for a site reached only over a private network"
    )]
    PlainHttpInProduction(String),
    #[error(
        "SMTP_URL sends mail in plain text to {0}: use ?tls=required or smtps://, \
         or set MUSTER_ALLOW_PLAIN_SMTP=true for a relay on a trusted network"
    )]
    PlainSmtpInProduction(String),
    #[error("SMTP_URL: {0}")]
    BadSmtpUrl(String),
}

fn parse_ip_net(text: &str) -> Result<app::net::IpNet, String> {
    text.parse()
}

impl Config {
    pub fn log_format(&self) -> LogFormat {
        self.log_format.unwrap_or(match self.mode {
            Mode::Production => LogFormat::Json,
            Mode::Development => LogFormat::Text,
        })
    }

    /// Checks the rules clap cannot express and resolves the base URL.
    pub fn validate(&self, site_addr: std::net::SocketAddr) -> Result<String, ConfigError> {
        if self.mode == Mode::Production {
            if self.smtp_url.is_none() {
                return Err(ConfigError::MissingInProduction("SMTP_URL"));
            }
            if self.base_url.is_none() {
                return Err(ConfigError::MissingInProduction("BASE_URL"));
            }
            if self.fail_activation_step.is_some() {
                return Err(ConfigError::FaultInProduction);
            }
            if self.secret_key.is_none() {
                return Err(ConfigError::MissingInProduction("MUSTER_SECRET_KEY"));
            }
            if let Some(url) = &self.smtp_url {
                let endpoint =
                    crate::smtp::Endpoint::parse(url).map_err(ConfigError::BadSmtpUrl)?;
                if endpoint.security == crate::smtp::Security::Plain
                    && !is_this_machine(&endpoint.host)
                    && !self.allow_plain_smtp
                {
                    return Err(ConfigError::PlainSmtpInProduction(endpoint.host));
                }
            }
        }
        if self.secret_key.as_ref().is_some_and(|k| k.len() < 32) {
            return Err(ConfigError::ShortSecretKey);
        }
        if self.invite_daily_quota < 1 {
            return Err(ConfigError::BadQuota);
        }
        let base = self
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{site_addr}"));
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ConfigError::BadBaseUrl(base));
        }
        if self.mode == Mode::Production && base.starts_with("http://") && !self.allow_http {
            return Err(ConfigError::PlainHttpInProduction(base));
        }
        Ok(base.trim_end_matches('/').to_owned())
    }
}

/// `localhost` or a loopback address: mail to it never crosses a network.
fn is_this_machine(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    /// Each option's `--help` text is its own (a doc comment once sat on the wrong field).
    #[test]
    fn help_describes_each_option_with_its_own_text() {
        use clap::CommandFactory;
        let help = Config::command().render_long_help().to_string();
        let section = |flag: &str| {
            let start = help
                .find(flag)
                .unwrap_or_else(|| panic!("{flag} in {help}"));
            help[start + flag.len()..]
                .lines()
                .skip(1)
                .take_while(|line| !line.trim_start().starts_with('-'))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let quota = section("--invite-daily-quota");
        assert!(
            quota.contains("Invitations an organization may send"),
            "{quota}"
        );
        assert!(!quota.contains("activation step"), "{quota}");
        let fault = section("--fail-activation-step");
        assert!(fault.contains("Development and tests only"), "{fault}");
    }

    use super::*;

    fn parse(args: &[&str]) -> Config {
        let mut all = vec!["server", "--database-url", "postgres://x"];
        all.extend_from_slice(args);
        Config::try_parse_from(all).unwrap()
    }

    #[test]
    fn production_refuses_to_start_without_smtp_or_base_url() {
        let addr = "127.0.0.1:3000".parse().unwrap();
        // Production is what a bare start gets (whatever MUSTER_MODE this test runs under).
        use clap::CommandFactory;
        let command = Config::command();
        let mode = command
            .get_arguments()
            .find(|a| a.get_id() == "mode")
            .unwrap();
        assert_eq!(mode.get_default_values(), ["production"]);
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
        // Everything production needs, plus `extra`.
        let complete = |extra: &[&str]| {
            let mut args = vec![
                "--mode",
                "production",
                "--smtp-url",
                "smtp://m?tls=required",
                "--base-url",
                "https://m.example/",
            ];
            args.extend_from_slice(extra);
            parse(&args)
        };
        assert!(matches!(
            complete(&[]).validate(addr),
            Err(ConfigError::MissingInProduction("MUSTER_SECRET_KEY"))
        ));
        let key = "0123456789abcdef0123456789abcdef";
        assert!(matches!(
            complete(&["--secret-key", &key[..31]]).validate(addr),
            Err(ConfigError::ShortSecretKey)
        ));
        assert_eq!(
            complete(&["--secret-key", key]).validate(addr).unwrap(),
            "https://m.example"
        );
    }

    fn production(base_url: &str, smtp_url: &str, extra: &[&str]) -> Config {
        let mut args = vec![
            "--mode",
            "production",
            "--smtp-url",
            smtp_url,
            "--base-url",
            base_url,
            "--secret-key",
            "0123456789abcdef0123456789abcdef",
        ];
        args.extend_from_slice(extra);
        parse(&args)
    }

    #[test]
    fn production_refuses_plain_http_unless_named() {
        let addr = "127.0.0.1:3000".parse().unwrap();
        let plain = production("http://muster.example", "smtp://localhost", &[]);
        let err = plain.validate(addr).unwrap_err();
        assert!(matches!(err, ConfigError::PlainHttpInProduction(_)));
        assert!(err.to_string().contains("MUSTER_ALLOW_HTTP"), "{err}");
        let allowed = production(
            "http://muster.example",
            "smtp://localhost",
            &["--allow-http"],
        );
        assert_eq!(allowed.validate(addr).unwrap(), "http://muster.example");
    }

    #[test]
    fn production_refuses_plain_smtp_across_a_network_unless_named() {
        let addr = "127.0.0.1:3000".parse().unwrap();
        let https = "https://muster.example";
        for local in [
            "smtp://localhost:25",
            "smtp://127.0.0.1:2525",
            "smtp://[::1]",
        ] {
            assert!(
                production(https, local, &[]).validate(addr).is_ok(),
                "{local}"
            );
        }
        for secured in ["smtp://mail.example?tls=required", "smtps://mail.example"] {
            assert!(
                production(https, secured, &[]).validate(addr).is_ok(),
                "{secured}"
            );
        }
        let err = production(https, "smtp://mail.example", &[])
            .validate(addr)
            .unwrap_err();
        assert!(err.to_string().contains("MUSTER_ALLOW_PLAIN_SMTP"), "{err}");
        let named = production(https, "smtp://mail.example", &["--allow-plain-smtp"]);
        assert!(named.validate(addr).is_ok());
        // Development sends wherever it is told.
        let dev = parse(&["--mode", "development", "--smtp-url", "smtp://mail.example"]);
        assert!(dev.validate(addr).is_ok());
    }

    #[test]
    fn development_defaults_the_base_url_to_the_site_address() {
        let c = parse(&["--mode", "development"]);
        assert_eq!(
            c.validate("127.0.0.1:3000".parse().unwrap()).unwrap(),
            "http://127.0.0.1:3000"
        );
    }
}
