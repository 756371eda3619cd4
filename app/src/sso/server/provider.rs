//! Talking to an organization's OpenID provider (the `openidconnect` crate): discovery,
//! the authorization request, the code exchange and the ID token's checks.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreProviderMetadata,
};
use openidconnect::url::Url;
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    TokenResponse, reqwest,
};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// What went wrong with the provider. The OWNER sees a fixed message for each kind; the
/// details (the provider's own words, the error chain) go only to the log.
#[derive(Debug)]
pub enum Failure {
    /// The issuer address is not one.
    Issuer,
    /// Discovery did not answer (network, TLS, HTTP status).
    Unreachable(String),
    /// The issuer, or an address its discovery document names, is not on the public
    /// internet (loopback, private, link-local, metadata) and not an allowed host.
    NotTheInternet(String),
    /// Discovery answered, but not with an OpenID provider's description of itself (or
    /// of another issuer).
    NotAProvider(String),
    /// The provider's sign-in page (its authorization endpoint) is not an https address
    /// on the issuer's host or the host the OWNER confirmed.
    SignInPage(String),
    /// The token endpoint refused the client id and secret.
    ClientRefused,
    /// The provider answered the code exchange with an error.
    Refused(String),
    /// The ID token did not hold up (issuer, audience, nonce, signature, expiry).
    Token(String),
}

impl Failure {
    /// What the provider or the network said, for the log only.
    pub fn detail(&self) -> &str {
        match self {
            Failure::Issuer => "not an issuer address",
            Failure::ClientRefused => "the client id or secret was refused",
            Failure::Unreachable(d)
            | Failure::NotTheInternet(d)
            | Failure::NotAProvider(d)
            | Failure::SignInPage(d)
            | Failure::Refused(d)
            | Failure::Token(d) => d,
        }
    }
}

/// One organization's provider as saved (or as typed, for "Test connection"), and what
/// Muster lets the server and the browser reach on its behalf.
pub struct Provider<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub secret: &'a str,
    /// Where the provider sends people back to (Muster's callback).
    pub redirect: &'a str,
    /// A host other than the issuer's that the OWNER confirmed for the sign-in page.
    pub sign_in_host: Option<&'a str>,
    /// Hosts the server may ask although they are not on the public internet.
    pub allowed_hosts: &'a [String],
    /// Plain http is accepted only while Muster itself is served over http.
    pub http_ok: bool,
}

/// A sign-in on its way to the provider: where to send the browser, and what the
/// browser keeps until it comes back.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// Who the provider says signed in.
#[derive(Debug)]
pub struct Claims {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

/// A host the server refused to ask: it is not on the public internet.
#[derive(Debug)]
struct NotTheInternet(String);

impl std::fmt::Display for NotTheInternet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is not on the public internet", self.0)
    }
}

impl std::error::Error for NotTheInternet {}

fn allowed(allowed_hosts: &[String], host: &str) -> bool {
    allowed_hosts.iter().any(|a| {
        a.trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .eq_ignore_ascii_case(host)
    })
}

/// Looks names up as the system does, and refuses a name any of whose addresses is not
/// on the public internet (all of them: a name that also answers with a private address
/// could be connected to it), unless the name is an allowed host.
struct Resolver {
    allowed_hosts: Vec<String>,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let trusted = allowed(&self.allowed_hosts, &host);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !trusted && addrs.iter().any(|a| !crate::net::is_public(a.ip())) {
                return Err(Box::new(NotTheInternet(host)) as _);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Why a request to the provider did not get an answer.
#[derive(Debug, thiserror::Error)]
enum HttpError {
    #[error("{0}")]
    NotTheInternet(String),
    #[error(transparent)]
    Request(#[from] reqwest::Error),
    #[error(transparent)]
    Http(#[from] openidconnect::http::Error),
}

/// The server's way to the provider: no redirects followed (the provider's answers are
/// read as given), ten seconds at most, and only to the public internet or allowed hosts.
struct Http {
    client: reqwest::Client,
    allowed_hosts: Vec<String>,
}

impl Http {
    fn new(allowed_hosts: &[String]) -> Http {
        let client = reqwest::ClientBuilder::new()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .dns_resolver(Arc::new(Resolver {
                allowed_hosts: allowed_hosts.to_vec(),
            }))
            .build()
            .expect("an HTTP client");
        Http {
            client,
            allowed_hosts: allowed_hosts.to_vec(),
        }
    }

    /// One request. An address written as an IP is judged here (the resolver never sees
    /// it); a name, by the resolver.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let host = request
            .uri()
            .host()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if !allowed(&self.allowed_hosts, &host)
            && host
                .parse::<IpAddr>()
                .is_ok_and(|ip| !crate::net::is_public(ip))
        {
            return Err(HttpError::NotTheInternet(host));
        }
        let request = reqwest::Request::try_from(request)?;
        let response = self.client.execute(request).await.map_err(|err| {
            match find::<NotTheInternet>(&err) {
                Some(refused) => HttpError::NotTheInternet(refused.0.clone()),
                None => HttpError::Request(err),
            }
        })?;
        let mut answer = openidconnect::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            answer = answer.header(name, value);
        }
        Ok(answer.body(response.bytes().await?.to_vec())?)
    }
}

impl<'c> openidconnect::AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<HttpResponse, HttpError>> + Send + Sync + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

/// The first error of type `T` in `err`'s chain of causes.
fn find<'e, T: std::error::Error + 'static>(
    err: &'e (dyn std::error::Error + 'static),
) -> Option<&'e T> {
    let mut next = Some(err);
    while let Some(cause) = next {
        if let Some(found) = cause.downcast_ref::<T>() {
            return Some(found);
        }
        next = cause.source();
    }
    None
}

fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A failed request to the provider, as a failure.
fn unreachable(err: &HttpError) -> Failure {
    match err {
        HttpError::NotTheInternet(host) => Failure::NotTheInternet(host.clone()),
        other => Failure::Unreachable(chain(other)),
    }
}

/// How long a provider's discovery document (and the keys it names) is kept: a sign-in
/// asks for it twice, at the start and at the callback.
const DISCOVERY_SECONDS: u64 = 60;

type Discovered = HashMap<String, (Instant, CoreProviderMetadata)>;

fn discovered() -> &'static Mutex<Discovered> {
    static CACHE: OnceLock<Mutex<Discovered>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Forgets an issuer's discovery document: it was just saved (the next sign-in reads it
/// anew), its sign-in page was refused, or its keys did not verify a token (they may
/// have been rotated).
pub fn forget(issuer: &str) {
    discovered()
        .lock()
        .expect("the discovery cache")
        .remove(issuer);
}

/// How a discovery document is read.
#[derive(Clone, Copy, PartialEq)]
enum Read {
    /// Asked anew ("Test connection").
    Fresh,
    /// Asked anew and kept (the start of a sign-in: the browser is sent to what the
    /// provider says now).
    FreshAndKeep,
    /// A copy younger than a minute if there is one (the callback of a sign-in that
    /// just started).
    Cached,
}

/// The provider's discovery document (with its keys).
async fn discover(provider: &Provider<'_>, read: Read) -> Result<CoreProviderMetadata, Failure> {
    if read == Read::Cached {
        let cache = discovered().lock().expect("the discovery cache");
        if let Some((at, meta)) = cache.get(provider.issuer)
            && at.elapsed().as_secs() < DISCOVERY_SECONDS
        {
            return Ok(meta.clone());
        }
    }
    let issuer = IssuerUrl::new(provider.issuer.to_owned()).map_err(|_| Failure::Issuer)?;
    let http = Http::new(provider.allowed_hosts);
    let meta = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .map_err(|err| match err {
            openidconnect::DiscoveryError::Request(inner) => unreachable(&inner),
            openidconnect::DiscoveryError::Response(status, _, _) => {
                Failure::Unreachable(format!("HTTP {status}"))
            }
            other => Failure::NotAProvider(chain(&other)),
        })?;
    if read != Read::Fresh {
        discovered()
            .lock()
            .expect("the discovery cache")
            .insert(provider.issuer.to_owned(), (Instant::now(), meta.clone()));
    }
    Ok(meta)
}

/// The host of an https (or, while Muster runs on http, http) address.
fn web_host(url: &Url, http_ok: bool) -> Option<String> {
    let scheme_ok = url.scheme() == "https" || (http_ok && url.scheme() == "http");
    if !scheme_ok || !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    url.host_str().map(str::to_ascii_lowercase)
}

/// The provider's sign-in page is where Muster sends people's browsers: an https address
/// on the issuer's own host, or on the host the OWNER confirmed. Checked on every use:
/// the provider may change its discovery document at any time.
fn check_sign_in_page(meta: &CoreProviderMetadata, provider: &Provider<'_>) -> Result<(), Failure> {
    let page = meta.authorization_endpoint().url();
    let refused = || Failure::SignInPage(page.to_string());
    let host = web_host(page, provider.http_ok).ok_or_else(refused)?;
    let issuer_host = Url::parse(provider.issuer)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    let confirmed = provider.sign_in_host.map(str::to_ascii_lowercase);
    if Some(&host) == issuer_host.as_ref() || Some(&host) == confirmed.as_ref() {
        Ok(())
    } else {
        Err(refused())
    }
}

/// The provider's client for Muster, set up from its discovery document.
macro_rules! client {
    ($meta:expr, $provider:expr) => {
        CoreClient::from_provider_metadata(
            $meta,
            ClientId::new($provider.client_id.to_owned()),
            Some(ClientSecret::new($provider.secret.to_owned())),
        )
        .set_redirect_uri(
            RedirectUrl::new($provider.redirect.to_owned()).map_err(|_| Failure::Issuer)?,
        )
    };
}

/// "Test connection": discovery (never from the cache), the sign-in page's address,
/// then a code exchange with a code that cannot be right. A provider that accepts the
/// client answers `invalid_grant`; one that refuses the id or secret answers
/// `invalid_client`.
pub async fn test(provider: &Provider<'_>) -> Result<(), Failure> {
    let meta = discover(provider, Read::Fresh).await?;
    check_sign_in_page(&meta, provider)?;
    let client = client!(meta, provider);
    let http = Http::new(provider.allowed_hosts);
    let request = client
        .exchange_code(AuthorizationCode::new("muster-connection-test".to_owned()))
        .map_err(|_| Failure::NotAProvider("no token endpoint".to_owned()))?
        .set_pkce_verifier(PkceCodeVerifier::new(
            "muster-connection-test-verifier-0123456789-abcdefghij".to_owned(),
        ));
    match request.request_async(&http).await {
        Err(RequestTokenError::ServerResponse(answer)) => match answer.error() {
            CoreErrorResponseType::InvalidClient | CoreErrorResponseType::UnauthorizedClient => {
                Err(Failure::ClientRefused)
            }
            CoreErrorResponseType::InvalidGrant => Ok(()),
            other => Err(Failure::Refused(other.to_string())),
        },
        Err(RequestTokenError::Request(err)) => Err(unreachable(&err)),
        Err(other) => Err(Failure::Refused(chain(&other))),
        // A made-up code worked: this provider cannot be trusted with sign-ins.
        Ok(_) => Err(Failure::Refused("a made-up code was accepted".to_owned())),
    }
}

/// Where to send the browser to sign in `email`: the provider's sign-in page, checked
/// again on this use.
pub async fn authorize(
    provider: &Provider<'_>,
    email: Option<&str>,
) -> Result<Authorization, Failure> {
    let meta = discover(provider, Read::FreshAndKeep).await?;
    check_sign_in_page(&meta, provider).inspect_err(|_| forget(provider.issuer))?;
    let client = client!(meta, provider);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".to_owned()))
        .add_scope(Scope::new("profile".to_owned()))
        .set_pkce_challenge(challenge);
    if let Some(email) = email {
        request = request.add_extra_param("login_hint", email.to_owned());
    }
    let (url, state, nonce) = request.url();
    Ok(Authorization {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
    })
}

/// Exchanges the code the browser brought back and checks the ID token: signed by the
/// provider's keys, issued by the configured issuer, for this client, with this sign-in's
/// nonce, not expired.
pub async fn finish(
    provider: &Provider<'_>,
    code: &str,
    verifier: &str,
    nonce: &str,
) -> Result<Claims, Failure> {
    let meta = discover(provider, Read::Cached).await?;
    let client = client!(meta, provider);
    let http = Http::new(provider.allowed_hosts);
    let answer = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|_| Failure::NotAProvider("no token endpoint".to_owned()))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
        .request_async(&http)
        .await
        .map_err(|err| match err {
            RequestTokenError::ServerResponse(answer) => {
                Failure::Refused(answer.error().to_string())
            }
            RequestTokenError::Request(err) => unreachable(&err),
            other => Failure::Token(chain(&other)),
        })?;
    let id_token = answer
        .id_token()
        .ok_or_else(|| Failure::Token("no ID token".to_owned()))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(nonce.to_owned()))
        .map_err(|err| {
            forget(provider.issuer);
            Failure::Token(chain(&err))
        })?;
    Ok(Claims {
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|e| e.as_str().to_lowercase()),
        email_verified: claims.email_verified() == Some(true),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned()),
    })
}
