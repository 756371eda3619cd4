//! Muster's shared application: components and server functions, compiled both into the
//! server (feature `ssr`) and into the browser bundle (feature `hydrate`).

rust_i18n::i18n!("locales", fallback = "en");

pub mod activation;
pub mod api_keys;
pub mod auth;
pub mod error;
pub mod home;
pub mod i18n;
pub mod invitations;
pub mod joining;
#[cfg(feature = "ssr")]
pub mod mail;
pub mod notifications;
pub mod orgs;
pub mod people;
#[cfg(feature = "ssr")]
pub mod request;
#[cfg(feature = "ssr")]
pub mod state;
pub mod ui;
pub mod url;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, Html, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::activation::views::ActivatePage;
use crate::auth::api::get_current_user;
use crate::auth::views::{
    CheckEmailPage, ForgotPasswordPage, ResetPasswordPage, SignInPage, SignUpPage, VerifyEmailPage,
};
use crate::i18n::{I18n, request_locale};
use crate::invitations::views::AcceptInvitationPage;
use crate::joining::views::{ConfirmJoinPage, JoinPage, JoinSentPage};
use crate::orgs::views::{AppsPage, OrgHomePage};
use crate::people::views::{AuditLogPage, PeoplePage, ResourcesPage};
use crate::ui::shell::{TopBar, UserResource};

/// The HTML document around the app (server side only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    request::content_security_policy();
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let i18n = I18n(RwSignal::new(request_locale()));
    provide_context(i18n);
    provide_context(UserResource(Resource::new(|| (), |_| get_current_user())));

    // Effects run only in the browser: this marks the page as live for people
    // (and for end-to-end tests, which wait for it).
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    // leptos_meta reads the title after the page has left its reactive sandbox, so a
    // signal read there looked up another request's arena under load ("reactive value
    // already disposed", a panic that dropped the connection). The server renders plain
    // text; the browser's title follows the language.
    #[cfg(feature = "ssr")]
    let title = crate::i18n::tr(i18n.0.get_untracked(), "app.title");
    #[cfg(not(feature = "ssr"))]
    let title = i18n.t("app.title");
    view! {
        <Html {..} lang=move || i18n.locale().code() />
        <Title text=title />
        <a class="skip-link" href="#main">{i18n.t("nav.skip")}</a>
        <Router>
            <TopBar />
            <main id="main">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=home::HomePage ssr=SsrMode::Async />
                    <Route path=path!("/signup") view=SignUpPage ssr=SsrMode::Async />
                    <Route path=path!("/check-email") view=CheckEmailPage ssr=SsrMode::Async />
                    <Route path=path!("/signin") view=SignInPage ssr=SsrMode::Async />
                    <Route path=path!("/verify-email") view=VerifyEmailPage ssr=SsrMode::Async />
                    <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/activate/:token") view=ActivatePage ssr=SsrMode::Async />
                    <Route path=path!("/activate/:token/:page") view=ActivatePage ssr=SsrMode::Async />
                    <Route path=path!("/o/:region/:short_name") view=OrgHomePage ssr=SsrMode::Async />
                    <Route path=path!("/o/:region/:short_name/people") view=PeoplePage ssr=SsrMode::Async />
                    <Route path=path!("/o/:region/:short_name/settings") view=crate::orgs::settings::OrgSettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/o/:region/:short_name/people/audit") view=AuditLogPage ssr=SsrMode::Async />
                    <Route path=path!("/join/sent") view=JoinSentPage ssr=SsrMode::Async />
                    <Route path=path!("/join/confirm") view=ConfirmJoinPage ssr=SsrMode::Async />
                    <Route path=path!("/join/:token") view=JoinPage ssr=SsrMode::Async />
                    <Route path=path!("/resources") view=ResourcesPage ssr=SsrMode::Async />
                    <Route path=path!("/notifications") view=crate::notifications::views::NotificationsPage ssr=SsrMode::Async />
                    <Route path=path!("/apps") view=AppsPage ssr=SsrMode::Async />
                    <Route path=path!("/invitations/accept") view=AcceptInvitationPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    let i18n = crate::i18n::use_i18n();
    #[cfg(feature = "ssr")]
    crate::request::set_page_status(404);
    view! {
        <section class="card">
            <h1>{i18n.t("errors.page_not_found")}</h1>
            <p><a href="/">{i18n.t("nav.home")}</a></p>
        </section>
    }
}
