//! Looking up a domain's verification record. The DNS server is the system's (from
//! `/etc/resolv.conf`) unless `MUSTER_DNS_SERVER` names one, as tests do with their own.

use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::{ResolveError, Resolver, TokioResolver};

use crate::domains::types::{Problem, record_name, record_value};
use crate::state::Settings;

/// Whether `domain` publishes `token`: `Ok` if it does, else what was found instead.
pub async fn check(settings: &Settings, domain: &str, token: &str) -> Result<(), Problem> {
    let resolver = resolver(settings).map_err(|_| Problem::Unreachable)?;
    // A fully qualified name: no search domains are tried.
    let name = format!("{}.", record_name(domain));
    let want = record_value(token);
    match resolver.txt_lookup(name).await {
        Ok(found) => {
            // A TXT record is one or more strings, read as one (RFC 7208 §3.3 does so).
            let published = found.iter().any(|txt| {
                let text: Vec<u8> = txt
                    .txt_data()
                    .iter()
                    .flat_map(|s| s.iter().copied())
                    .collect();
                String::from_utf8_lossy(&text).trim() == want
            });
            if published {
                Ok(())
            } else {
                Err(Problem::Mismatch)
            }
        }
        Err(error) => Err(problem(&error)),
    }
}

fn problem(error: &ResolveError) -> Problem {
    if error.is_no_records_found() || error.is_nx_domain() {
        Problem::Missing
    } else {
        Problem::Unreachable
    }
}

fn resolver(settings: &Settings) -> Result<TokioResolver, ResolveError> {
    let mut builder = match settings.dns_server {
        Some(server) => {
            let servers =
                NameServerConfigGroup::from_ips_clear(&[server.ip()], server.port(), true);
            Resolver::builder_with_config(
                ResolverConfig::from_parts(None, Vec::new(), servers),
                TokioConnectionProvider::default(),
            )
        }
        None => Resolver::builder_tokio()?,
    };
    let options: &mut ResolverOpts = builder.options_mut();
    // "Verify" shows what the DNS says now.
    options.cache_size = 0;
    options.timeout = std::time::Duration::from_secs(3);
    options.attempts = 2;
    Ok(builder.build())
}
