//! Talking to an organization's OpenID provider (the `openidconnect` crate): discovery,
//! the authorization request, the code exchange and the ID token's checks.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse, reqwest,
};

/// What went wrong with the provider, in words for the OWNER who set it up.
#[derive(Debug)]
pub enum Failure {
    /// The issuer address is not one.
    Issuer,
    /// Discovery did not answer (network, TLS, HTTP status).
    Unreachable(String),
    /// Discovery answered, but not with an OpenID provider's description of itself (or
    /// of another issuer).
    NotAProvider(String),
    /// The token endpoint refused the client id and secret.
    ClientRefused,
    /// The provider answered the code exchange with an error.
    Refused(String),
    /// The ID token did not hold up (issuer, audience, nonce, signature, expiry).
    Token(String),
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

/// An HTTP client that follows no redirects (the provider's answers are read as given)
/// and gives up after ten seconds.
fn http() -> reqwest::Client {
    reqwest::ClientBuilder::new()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("an HTTP client")
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

async fn discover(issuer: &str) -> Result<CoreProviderMetadata, Failure> {
    let issuer = IssuerUrl::new(issuer.to_owned()).map_err(|_| Failure::Issuer)?;
    CoreProviderMetadata::discover_async(issuer, &http())
        .await
        .map_err(|err| match err {
            openidconnect::DiscoveryError::Request(inner) => Failure::Unreachable(chain(&inner)),
            openidconnect::DiscoveryError::Response(status, _, _) => {
                Failure::Unreachable(format!("HTTP {status}"))
            }
            other => Failure::NotAProvider(chain(&other)),
        })
}

/// The provider's client for Muster, set up from its discovery document.
macro_rules! client {
    ($meta:expr, $client_id:expr, $secret:expr, $redirect:expr) => {
        CoreClient::from_provider_metadata(
            $meta,
            ClientId::new($client_id.to_owned()),
            Some(ClientSecret::new($secret.to_owned())),
        )
        .set_redirect_uri(RedirectUrl::new($redirect.to_owned()).map_err(|_| Failure::Issuer)?)
    };
}

/// "Test connection": discovery, then a code exchange with a code that cannot be right.
/// A provider that accepts the client answers `invalid_grant`; one that refuses the id or
/// secret answers `invalid_client`.
pub async fn test(
    issuer: &str,
    client_id: &str,
    secret: &str,
    redirect: &str,
) -> Result<(), Failure> {
    let meta = discover(issuer).await?;
    let client = client!(meta, client_id, secret, redirect);
    let request = client
        .exchange_code(AuthorizationCode::new("muster-connection-test".to_owned()))
        .map_err(|_| Failure::NotAProvider("no token endpoint".to_owned()))?
        .set_pkce_verifier(PkceCodeVerifier::new(
            "muster-connection-test-verifier-0123456789-abcdefghij".to_owned(),
        ));
    match request.request_async(&http()).await {
        Err(RequestTokenError::ServerResponse(answer)) => match answer.error() {
            CoreErrorResponseType::InvalidClient | CoreErrorResponseType::UnauthorizedClient => {
                Err(Failure::ClientRefused)
            }
            CoreErrorResponseType::InvalidGrant => Ok(()),
            other => Err(Failure::Refused(other.to_string())),
        },
        Err(RequestTokenError::Request(err)) => Err(Failure::Unreachable(chain(&err))),
        Err(other) => Err(Failure::Refused(chain(&other))),
        // A made-up code worked: this provider cannot be trusted with sign-ins.
        Ok(_) => Err(Failure::Refused("a made-up code was accepted".to_owned())),
    }
}

/// Where to send the browser to sign in `email`.
pub async fn authorize(
    issuer: &str,
    client_id: &str,
    secret: &str,
    redirect: &str,
    email: Option<&str>,
) -> Result<Authorization, Failure> {
    let meta = discover(issuer).await?;
    let client = client!(meta, client_id, secret, redirect);
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
    issuer: &str,
    client_id: &str,
    secret: &str,
    redirect: &str,
    code: &str,
    verifier: &str,
    nonce: &str,
) -> Result<Claims, Failure> {
    let meta = discover(issuer).await?;
    let client = client!(meta, client_id, secret, redirect);
    let answer = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|_| Failure::NotAProvider("no token endpoint".to_owned()))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
        .request_async(&http())
        .await
        .map_err(|err| match err {
            RequestTokenError::ServerResponse(answer) => {
                Failure::Refused(answer.error().to_string())
            }
            RequestTokenError::Request(err) => Failure::Unreachable(chain(&err)),
            other => Failure::Token(chain(&other)),
        })?;
    let id_token = answer
        .id_token()
        .ok_or_else(|| Failure::Token("no ID token".to_owned()))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(nonce.to_owned()))
        .map_err(|err| Failure::Token(chain(&err)))?;
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
