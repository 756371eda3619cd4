//! The two stops of a sign-in through an organization's OpenID provider:
//!
//! - `GET /sso/start?email=…&next=…`: home-realm discovery. An address on a verified
//!   domain of an organization with single sign-on leaves for that organization's
//!   provider (with a sealed cookie holding the sign-in's state, nonce and PKCE
//!   verifier); any other address, or "Use my password" (`&password`), goes on to the
//!   password step of the sign-in page.
//! - `GET /sso/callback?code=…&state=…`: the provider sends the browser back here; the
//!   sign-in finishes (see `app::sso::server::service::finish`), and the person lands in
//!   the organization, or on the sign-in page with what went wrong. An address that
//!   already has an account is linked only by its holder: a link is mailed to it.
//! - A browser already signed in to another account is asked before a provider's
//!   sign-in replaces it (`POST /sso/switch`): a hostile page cannot silently sign a
//!   visitor in to an account of its choosing (login CSRF).
//! - `GET /sso/link?token=…`: the mailed link's page, which names the organization and
//!   the account; `POST /sso/link` links them, in the browser that signed in at the
//!   provider only.

use app::cookies::{self, Cookie};
use app::sso::server::service::{self, Callback};
use app::state::AppState;
use axum::Router;
use axum::extract::{Form, FromRef, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    Router::new()
        .route(app::auth::types::SSO_START_PATH, get(start))
        .route(app::sso::types::CALLBACK_PATH, get(callback))
        .route(service::LINK_PATH, get(link_page).post(link_confirm))
        .route(SWITCH_PATH, axum::routing::post(switch))
}

const SWITCH_PATH: &str = "/sso/switch";

fn see_other(to: &str, cookies: Vec<HeaderValue>) -> Response {
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    for cookie in cookies {
        res.headers_mut().append(header::SET_COOKIE, cookie);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn signin_with(problem: app::auth::types::SsoProblem) -> String {
    format!("/signin?sso={}", problem.code())
}

#[derive(Deserialize)]
struct StartQuery {
    email: Option<String>,
    next: Option<String>,
    /// "Use my password": the password step, whatever the address.
    password: Option<String>,
}

/// On to the provider. Not a redirect: the sign-in page's form sent the browser here, and
/// a form's redirects may only stay on this site (`form-action 'self'`); a page that moves
/// on by itself (and offers a link) may leave it.
fn leave_for(provider: &str, locale: app::i18n::Locale, cookie: HeaderValue) -> Response {
    let url = escape(provider);
    let words = escape(&app::i18n::tr(locale, "sso.continue_to_provider"));
    let body = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"0;url={url}\">\
         <link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\"><title>Muster</title></head>\
         <body><p><a href=\"{url}\">{words}</a></p></body></html>",
        lang = locale.code()
    );
    let mut res = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StartQuery>,
) -> Response {
    let email = q.email.unwrap_or_default().trim().to_lowercase();
    let next = q
        .next
        .filter(|n| app::auth::types::is_local_path(n))
        .unwrap_or_default();
    let org = match q.password {
        Some(_) => Ok(None),
        None => service::org_for_email(&state, &email).await,
    };
    let org = match org {
        Ok(org) => org,
        Err(_) => {
            return see_other(
                &signin_with(app::auth::types::SsoProblem::Unreachable),
                vec![],
            );
        }
    };
    let Some(org) = org else {
        // Not an address of an organization with single sign-on: the password step.
        let mut to = format!("/signin?email={}", app::url::encode(&email));
        if !next.is_empty() {
            to.push_str(&format!("&next={}", app::url::encode(&next)));
        }
        return see_other(&to, vec![]);
    };
    match service::start(&state, org, Some(&email), &next).await {
        Ok(start) => leave_for(
            &start.url,
            app::request::locale_from_headers(&headers),
            cookies::sso_login_cookie(&start.cookie, state.settings.secure_cookies),
        ),
        Err(problem) => see_other(&signin_with(problem), vec![]),
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let secure = state.settings.secure_cookies;
    let cookie = cookies::read_cookie(&headers, Cookie::SsoLogin.name(secure));
    let back = Callback {
        cookie: cookie.as_deref(),
        state: q.state.as_deref(),
        code: q.code.as_deref(),
        error: q.error.as_deref(),
        locale: app::request::locale_from_headers(&headers),
    };
    // The sign-in's cookie is used once, whatever happens.
    let mut set = vec![cookies::clear_sso_login_cookie(secure)];
    match service::finish(&state, back).await {
        Ok(service::Outcome::Finished(done)) => enter(&state, &headers, done, set).await,
        Ok(service::Outcome::ConfirmByMail { browser }) => {
            set.push(cookies::sso_link_cookie(&browser, secure));
            see_other(&signin_with(app::auth::types::SsoProblem::ConfirmLink), set)
        }
        Err(problem) => see_other(&signin_with(problem), set),
    }
}

/// A person the provider signed in comes in: with a session, or by the step that asks
/// for their second factor. A browser signed in to another account is asked first.
async fn enter(
    state: &AppState,
    headers: &HeaderMap,
    done: service::Finished,
    mut set: Vec<HeaderValue>,
) -> Response {
    let secure = state.settings.secure_cookies;
    match done.entry {
        app::auth::server::service::Entry::Session(token) => {
            if let Some(old) = cookies::read_cookie(headers, Cookie::Session.name(secure)) {
                match service::signed_in(state, &old).await {
                    Some((id, current)) if id != done.user_id => {
                        let held = format!("{token}.{}", app::url::encode(&done.to));
                        set.push(cookies::sso_switch_cookie(&held, secure));
                        let locale = app::request::locale_from_headers(headers);
                        let mut res = switch_page(state, locale, &current, &done.email);
                        for cookie in set {
                            res.headers_mut().append(header::SET_COOKIE, cookie);
                        }
                        return res;
                    }
                    // The same person (or a session that ended): the old one ends.
                    _ => {
                        let _ = app::auth::server::service::sign_out(state, &old).await;
                    }
                }
            }
            set.push(cookies::session_cookie(
                &token,
                secure,
                state.settings.session_days,
            ));
            see_other(&done.to, set)
        }
        app::auth::server::service::Entry::SecondFactor { challenge } => {
            set.push(cookies::sign_in_step_cookie(&challenge, secure));
            see_other(app::auth::api::SECOND_FACTOR_PATH, set)
        }
    }
}

/// "You are signed in as … Continue as …?": names both accounts.
fn switch_page(state: &AppState, locale: app::i18n::Locale, current: &str, new: &str) -> Response {
    let args = [("current", current), ("new", new)];
    let t = |key: &str| escape(&app::i18n::tr_args(locale, key, &args));
    let body = format!(
        "<p>{intro}</p><form method=\"post\" action=\"{SWITCH_PATH}\" class=\"row-actions\">\
         <button type=\"submit\" class=\"btn btn-primary\" name=\"choice\" value=\"switch\">{go}</button>\
         <button type=\"submit\" class=\"btn\" name=\"choice\" value=\"stay\">{stay}</button></form>",
        intro = t("sso.switch_intro"),
        go = t("sso.switch_continue"),
        stay = t("sso.switch_stay"),
    );
    page(
        state,
        locale,
        &app::i18n::tr(locale, "sso.switch_title"),
        &body,
    )
}

#[derive(Deserialize)]
struct SwitchForm {
    choice: Option<String>,
}

/// The answer to the switch page: the held session replaces the open one, or ends.
async fn switch(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SwitchForm>,
) -> Response {
    let secure = state.settings.secure_cookies;
    let mut set = vec![cookies::clear_sso_switch_cookie(secure)];
    let held = cookies::read_cookie(&headers, Cookie::SsoSwitch.name(secure)).unwrap_or_default();
    let Some((token, to)) = held.split_once('.') else {
        return see_other("/", set);
    };
    let to = app::url::decode(to)
        .filter(|to| app::auth::types::is_local_path(to))
        .unwrap_or_else(|| "/".to_owned());
    if form.choice.as_deref() != Some("switch") {
        let _ = app::auth::server::service::sign_out(&state, token).await;
        return see_other("/", set);
    }
    if let Some(old) = cookies::read_cookie(&headers, Cookie::Session.name(secure)) {
        let _ = app::auth::server::service::sign_out(&state, &old).await;
    }
    set.push(cookies::session_cookie(
        token,
        secure,
        state.settings.session_days,
    ));
    see_other(&to, set)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A small page of Muster's own, outside Leptos (it runs no script).
fn page(state: &AppState, locale: app::i18n::Locale, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\
         <link rel=\"stylesheet\" href=\"{css}\"></head><body>\
         <header class=\"topbar\"><a class=\"brand\" href=\"/\">Muster</a></header>\
         <main id=\"main\"><section class=\"card auth-card\"><h1>{title}</h1>{body}</section></main></body></html>",
        lang = locale.code(),
        title = escape(title),
        css = app::stylesheet_href(&state.leptos_options),
    );
    let mut res = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[derive(Deserialize)]
struct LinkForm {
    token: Option<String>,
}

/// The mailed link's page: opening it changes nothing (mail scanners open links too); its
/// button links the account.
async fn link_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LinkForm>,
) -> Response {
    let locale = app::request::locale_from_headers(&headers);
    let t = |key: &str| app::i18n::tr(locale, key);
    let browser = cookies::read_cookie(
        &headers,
        Cookie::SsoLink.name(state.settings.secure_cookies),
    );
    let token = q.token.unwrap_or_default();
    let found = service::link_page(&state, &token, browser.as_deref())
        .await
        .ok()
        .flatten();
    let Some(found) = found else {
        return page(
            &state,
            locale,
            &t("sso.continue"),
            &format!(
                "<div class=\"alert alert-error\" role=\"alert\">{}</div>",
                escape(&t("sso.link_gone"))
            ),
        );
    };
    let args = [
        ("org", found.org_name.as_str()),
        ("email", found.email.as_str()),
    ];
    let body = format!(
        "<p>{intro}</p><form method=\"post\" action=\"{path}\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <button type=\"submit\" class=\"btn btn-primary\">{confirm}</button></form>",
        intro = escape(&app::i18n::tr_args(locale, "sso.link_intro", &args)),
        path = service::LINK_PATH,
        token = escape(&token),
        confirm = escape(&t("sso.link_confirm")),
    );
    page(
        &state,
        locale,
        &app::i18n::tr_args(locale, "sso.link_title", &args),
        &body,
    )
}

/// "Link and sign in": only in the browser that signed in at the provider.
async fn link_confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LinkForm>,
) -> Response {
    let secure = state.settings.secure_cookies;
    let browser = cookies::read_cookie(&headers, Cookie::SsoLink.name(secure));
    let locale = app::request::locale_from_headers(&headers);
    let token = form.token.unwrap_or_default();
    let set = vec![cookies::clear_sso_link_cookie(secure)];
    match service::confirm_link(&state, &token, browser.as_deref(), locale).await {
        Ok(done) => enter(&state, &headers, done, set).await,
        Err(problem) => see_other(&signin_with(problem), set),
    }
}
