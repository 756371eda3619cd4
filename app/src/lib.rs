//! Muster's shared application: components and server functions, compiled both into the
//! server (feature `ssr`) and into the browser bundle (feature `hydrate`).

pub mod access;
pub mod activation;
pub mod api_keys;
pub mod audit;
pub mod auth;
#[cfg(feature = "ssr")]
pub mod cells;
#[cfg(feature = "ssr")]
pub mod cookies;
pub mod domains;
pub mod error;
#[cfg(feature = "ssr")]
pub mod exchange;
pub mod home;
#[cfg(feature = "ssr")]
pub mod housekeeping;
pub mod i18n;
pub mod import;
pub mod invitations;
pub mod invite_all;
pub mod joining;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod net;
pub mod notes;
pub mod notifications;
#[cfg(feature = "ssr")]
pub mod ops;
pub mod orgs;
#[cfg(feature = "ssr")]
pub mod paging;
pub mod paths;
pub mod people;
pub mod provisioning;
pub mod regions;
#[cfg(feature = "ssr")]
pub mod request;
pub mod resources;
pub mod roles;
pub mod roster;
pub mod security;
pub mod sessions;
pub mod shell;
pub mod sso;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
mod stored;
#[cfg(feature = "ssr")]
pub mod tokens;
pub mod ui;
pub mod url;
pub mod wire;
#[cfg(feature = "ssr")]
pub mod worker;

use leptos::prelude::*;
use leptos_meta::{Html, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, SsrMode, path};

use crate::activation::views::ActivatePage;
use crate::audit::views::AuditLogPage;
use crate::auth::views::{
    CheckEmailPage, ForgotPasswordPage, ResetPasswordPage, SignInPage, SignUpPage, VerifyEmailPage,
};
use crate::i18n::{I18n, Locale};
use crate::invitations::views::AcceptInvitationPage;
use crate::joining::views::{ConfirmJoinPage, JoinPage, JoinSentPage};
use crate::orgs::views::{AppsPage, OrgHomePage};
use crate::people::views::PeoplePage;
use crate::resources::ResourcesPage;
use crate::shell::api::get_shell;
use crate::shell::{TopBar, UserResource};

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
                <link id="leptos" rel="stylesheet" href=stylesheet_href(&options) />
                <TextsLink />
                <Scripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Names each language's texts file for the browser, which fetches the page's language
/// before it hydrates (preloaded here, so it travels beside the bundle) and another on a
/// switch. Only the server writes the document's head.
#[component]
fn TextsLink() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        use crate::i18n::texts::href;
        let locale = request::locale();
        view! {
            <link
                rel="preload"
                id="muster-texts"
                href=href(locale)
                r#as="fetch"
                crossorigin="anonymous"
                data-en=href(Locale::En)
                data-fr=href(Locale::Fr)
                data-de=href(Locale::De)
            />
        }
    }
}

/// Where the stylesheet is: `/pkg/muster.css`, or with the content hash cargo-leptos put
/// in its name (hash.txt beside the binary, `hash-files` in Cargo.toml). Every page the
/// server writes names it through this, the development mailbox included. leptos_meta's
/// `HashedStylesheet` finds the binary and reads hash.txt from disk for every page (1.9% of
/// the People page's server time under load, by perf); the name cannot change while the
/// server runs, so it is worked out once per process.
pub fn stylesheet_href(options: &LeptosOptions) -> &'static str {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HREF.get_or_init(|| {
        #[cfg(feature = "ssr")]
        let hash = options
            .hash_files
            .then(|| {
                let dir = std::env::current_exe().ok()?.parent()?.to_path_buf();
                let hashes = std::fs::read_to_string(dir.join(options.hash_file.as_ref())).ok()?;
                hashes.lines().find_map(|line| {
                    let (file, hash) = line.trim().split_once(':')?;
                    (file == "css").then(|| hash.trim().to_string())
                })
            })
            .flatten();
        #[cfg(not(feature = "ssr"))]
        let hash: Option<String> = None;
        let name = match hash {
            Some(hash) => format!("{}.{hash}.css", options.output_name),
            None => format!("{}.css", options.output_name),
        };
        format!("/{}/{name}", options.site_pkg_dir)
    })
}

/// Leptos's hydration scripts, without the `<link rel="preload">` per wasm chunk of the
/// page that leptos_integration_utils 0.8.9 (`lib.rs` 60-72) adds after the render: it
/// looks the chunk manifest up outside the request's reactive owner, through whichever
/// owner the worker thread entered last, so a page got its own links, another request's,
/// or none (the People page was 39,817 or 56,240 B from one request to the next), with
/// the CSP nonce as their `crossorigin`. Muster keeps the manifest for the process and
/// names each page's files itself (`parts`).
#[component]
fn Scripts(options: LeptosOptions) -> impl IntoView {
    let scripts = view! { <HydrationScripts options /> };
    let _manifest = take_context::<leptos::WasmSplitManifest>();
    #[cfg(feature = "ssr")]
    if let Some(manifest) = _manifest {
        parts::keep(manifest);
    }
    scripts
}

/// The files of a page's part of the browser bundle, named in the page's head so that the
/// browser fetches them beside the app's frame instead of after it has started: one wave
/// of requests, not three.
#[cfg(feature = "ssr")]
mod parts {
    use std::sync::OnceLock;

    use leptos::prelude::*;
    use leptos_meta::Link;

    /// The pkg path, the files of each part (from the split manifest) and the loader.
    struct Manifest {
        pkg: String,
        files: std::collections::HashMap<String, Vec<String>>,
        loader: String,
    }

    static MANIFEST: OnceLock<Manifest> = OnceLock::new();

    /// Kept once per process: the bundle cannot change under a running server.
    pub fn keep(manifest: leptos::WasmSplitManifest) {
        if MANIFEST.get().is_none()
            && let Some(read) = manifest.0.try_read_value()
        {
            let (pkg, files, loader) = &*read;
            let _ = MANIFEST.set(Manifest {
                pkg: pkg.clone(),
                files: files.clone(),
                loader: loader.clone(),
            });
        }
    }

    /// Adds the part's files to the head of the page being rendered: the split loader as a
    /// module, each wasm file as the fetch the loader makes (same mode and credentials, so
    /// the browser uses the preloaded answer).
    pub fn preload(part: &str) {
        let Some(manifest) = MANIFEST.get() else {
            return;
        };
        let pkg = &manifest.pkg;
        let _ = view! {
            <Link rel="modulepreload" href=format!("{pkg}/{}", manifest.loader) />
        }
        .to_html();
        for file in manifest.files.get(part).into_iter().flatten() {
            let _ = view! {
                <Link
                    rel="preload"
                    href=format!("{pkg}/{file}.wasm")
                    as_="fetch"
                    type_="application/wasm"
                    crossorigin="anonymous"
                />
            }
            .to_html();
        }
    }
}

/// Marks the page as live once its own part is hydrated, for people and for the browser
/// tests, which wait for it. (Effects run only in the browser.) Pages are hydrated after
/// the app's frame, when their part of the bundle has arrived: so the mark is set here.
fn mark_hydrated() {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// The browser bundle is the app's frame (the main wasm) and one part per group of pages
/// (`cargo leptos build --split`): a first visit downloads the frame and its page's part,
/// not all of it. Every function given one part's name goes into that part, so the pages
/// people visit together (the public pages, the wizard, a member's pages, the settings of
/// the organization and of one's own account)
/// come in one file, and code two parts share goes into a file per combination of parts:
/// with a part per page (22), a first visit fetched 56 to 149 files in dependent waves;
/// with four parts, a part needs at most eight such files.
/// `parts::preload_links` names a page's files in its head, so they come in one wave.
macro_rules! page_parts {
    ($($part:ident: [$($route:ident, $view:ident => $page:path;)*])*) => {$($(
        struct $route;

        // A module per page, so that each page's loader of its part can be named `load`.
        mod $view {
            use super::*;

            #[cfg_attr(
                feature = "hydrate",
                ::leptos::wasm_split::wasm_split(
                    $part,
                    wasm_split_path = ::leptos::wasm_split,
                    preload(load)
                )
            )]
            pub fn $view(_this: super::$route) -> AnyView {
                mark_hydrated();
                $page().into_any()
            }
        }

        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(this: Self) -> AnyView {
                #[cfg(feature = "hydrate")]
                let view = $view::$view(this).await;
                #[cfg(not(feature = "hydrate"))]
                let view = {
                    #[cfg(feature = "ssr")]
                    parts::preload(stringify!($part));
                    $view::$view(this)
                };
                view
            }

            // The router loads a page's part before it hydrates the page: the page's view
            // is then ready at once, as the markup the server sent expects.
            async fn preload() {
                #[cfg(feature = "hydrate")]
                $view::load().await;
            }
        }
    )*)*};
}

page_parts! {
    public: [
        HomeRoute, home_view => home::HomePage;
        SignUpRoute, sign_up_view => SignUpPage;
        CheckEmailRoute, check_email_view => CheckEmailPage;
        SignInRoute, sign_in_view => SignInPage;
        VerifyEmailRoute, verify_email_view => VerifyEmailPage;
        ForgotPasswordRoute, forgot_password_view => ForgotPasswordPage;
        ResetPasswordRoute, reset_password_view => ResetPasswordPage;
        SecondFactorRoute, second_factor_view => crate::security::views::SecondFactorPage;
        ResourcesRoute, resources_view => ResourcesPage;
        AppsRoute, apps_view => AppsPage;
        JoinSentRoute, join_sent_view => JoinSentPage;
        ConfirmJoinRoute, confirm_join_view => ConfirmJoinPage;
        JoinRoute, join_view => JoinPage;
        AcceptInvitationRoute, accept_invitation_view => AcceptInvitationPage;
    ]
    activation: [
        ActivateRoute, activate_view => ActivatePage;
    ]
    organization: [
        OrgHomeRoute, org_home_view => OrgHomePage;
        PeopleRoute, people_view => PeoplePage;
        AuditLogRoute, audit_log_view => AuditLogPage;
        ImportStartRoute, import_start_view => crate::import::views::ImportStartPage;
        ImportReportRoute, import_report_view => crate::import::views::ImportReportPage;
        NotificationsRoute, notifications_view => crate::notifications::views::NotificationsPage;
    ]
    settings: [
        OrgSettingsRoute, org_settings_view => crate::orgs::settings::OrgSettingsPage;
        SessionsRoute, sessions_view => crate::sessions::views::SessionsPage;
        SecurityRoute, security_view => crate::security::views::SecurityPageView;
    ]
}

/// The page's language: on the server the request's, in the browser the one the server
/// rendered the page in.
fn page_locale() -> Locale {
    #[cfg(feature = "ssr")]
    {
        crate::request::locale()
    }
    #[cfg(not(feature = "ssr"))]
    {
        crate::i18n::rendered_locale()
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let i18n = I18n(RwSignal::new(page_locale()));
    provide_context(i18n);
    provide_context(UserResource(crate::wire::resource(|| (), |_| get_shell())));

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
                    <Route path=path!("/") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/signup") view={Lazy::<SignUpRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/check-email") view={Lazy::<CheckEmailRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/signin") view={Lazy::<SignInRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/verify-email") view={Lazy::<VerifyEmailRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/forgot-password") view={Lazy::<ForgotPasswordRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/reset-password") view={Lazy::<ResetPasswordRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/activate/:token") view={Lazy::<ActivateRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/activate/:token/:page") view={Lazy::<ActivateRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/o/:region/:short_name") view={Lazy::<OrgHomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/o/:region/:short_name/people") view={Lazy::<PeopleRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/o/:region/:short_name/settings") view={Lazy::<OrgSettingsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/o/:region/:short_name/people/audit") view={Lazy::<AuditLogRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/o/:region/:short_name/people/import") view={Lazy::<ImportStartRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/o/:region/:short_name/people/import/:id") view={Lazy::<ImportReportRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/join/sent") view={Lazy::<JoinSentRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/join/confirm") view={Lazy::<ConfirmJoinRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/join/:token") view={Lazy::<JoinRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/resources") view={Lazy::<ResourcesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/notifications") view={Lazy::<NotificationsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/apps") view={Lazy::<AppsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/invitations/accept") view={Lazy::<AcceptInvitationRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account/sessions") view={Lazy::<SessionsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account/security") view={Lazy::<SecurityRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/signin/second-factor") view={Lazy::<SecondFactorRoute>::new()} ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    let i18n = crate::i18n::use_i18n();
    mark_hydrated();
    #[cfg(feature = "ssr")]
    crate::request::set_page_status(404);
    view! {
        <section class="card">
            <h1>{i18n.t("errors.page_not_found")}</h1>
            <p><a href="/">{i18n.t("nav.home")}</a></p>
            <crate::ui::reference::RequestReference />
        </section>
    }
}
