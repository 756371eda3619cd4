//! The app's frame, above every feature: the top bar, with the organization switcher on the left; "+", notifications and the user menu
//! on the right. Menus are `<details>` elements: they open with Enter or Space, work
//! without JavaScript, and need no focus trickery.

use leptos::prelude::*;

pub mod api;

use crate::auth::api::SignOut;
use crate::auth::language::LanguageSelect;
use crate::auth::types::ShellData;
use crate::i18n::use_i18n;
use crate::notifications::views::Bell;
use crate::ui::form::follow_success;
use crate::ui::table::breakable;

/// The organization the browser used last (`<region>/<short name>`), for the switcher on
/// pages outside organizations. Written by the page's script (it grants nothing: the
/// switcher names it only when the person is a member there); no prefix.
pub const LAST_ORG_COOKIE: &str = "muster_last_org";

/// The signed-in person for the page being shown (loaded once per page).
#[derive(Clone, Copy)]
pub struct UserResource(
    pub Resource<Result<Option<ShellData>, crate::error::AppError>, crate::wire::PackedCodec>,
);

pub fn use_user() -> UserResource {
    expect_context::<UserResource>()
}

#[component]
pub fn TopBar() -> impl IntoView {
    let i18n = use_i18n();
    let user = use_user();
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Muster"</a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.0.await {
                        Ok(Some(user)) => view! { <SignedInBar user=user /> }.into_any(),
                        _ => view! {
                            <nav class="topbar-right" aria-label=i18n.t("nav.account")>
                                <a class="btn btn-link" href="/signin">{i18n.t("auth.sign_in")}</a>
                                <a class="btn btn-primary" href="/signup">{i18n.t("auth.sign_up")}</a>
                            </nav>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </header>
    }
}

#[component]
fn SignedInBar(user: ShellData) -> impl IntoView {
    let i18n = use_i18n();
    let sign_out = ServerAction::<SignOut>::new();
    follow_success(sign_out);
    let initial = user
        .principal
        .name()
        .chars()
        .next()
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_default();
    let location = leptos_router::hooks::use_location();
    let orgs = StoredValue::new(user.orgs.clone());
    // The organization in the URL (`/o/<region>/<short name>/...`), if the person is a member.
    let current = Memo::new(move |_| {
        let path = location.pathname.get();
        orgs.with_value(|orgs| {
            orgs.iter()
                .find(|m| path == m.home() || path.starts_with(&format!("{}/", m.home())))
                .cloned()
        })
    });
    // The organization used last, for pages outside organizations: from the cookie the
    // page was served with, then as the person moves between pages.
    let last = RwSignal::new(user.last_org.clone());
    Effect::new(move |_| {
        if let Some(m) = current.get() {
            let home = m.home();
            if last.get_untracked().as_deref() != Some(home.as_str()) {
                remember_last(&m);
                last.set(Some(home));
            }
        }
    });
    let shown = move || match current.get() {
        Some(m) => m.name().to_owned(),
        None if orgs.with_value(|o| o.is_empty()) => i18n.t("nav.no_org")(),
        None => last
            .get()
            .and_then(|home| {
                orgs.with_value(|o| {
                    o.iter()
                        .find(|m| m.home() == home)
                        .map(|m| m.name().to_owned())
                })
            })
            .unwrap_or_else(|| i18n.t("nav.choose_org")()),
    };
    // The accessible name starts with what is shown (WCAG 2.5.3, label in name), then
    // says what the control is.
    let label = move || format!("{} — {}", shown(), i18n.t("nav.org_switcher")());
    view! {
        <details class="menu org-switcher">
            <summary aria-label=label title=shown>
                <span class="org-name">{shown}</span>
            </summary>
            <div class="menu-panel" role="group" aria-label=i18n.t("nav.org_switcher")>
                {move || {
                    if orgs.with_value(|o| o.is_empty()) {
                        view! { <p class="menu-note">{i18n.t("nav.no_org_hint")}</p> }.into_any()
                    } else {
                        let here = current.get().map(|m| m.home());
                        view! {
                            <ul class="menu-list">
                                {orgs.get_value().into_iter().map(|m| {
                                    let is_current = here.as_deref() == Some(m.home().as_str());
                                    view! {
                                        <li>
                                            <a href=m.home() aria-current=is_current.then_some("page")>
                                                <span class="check" aria-hidden="true">{if is_current { "✓" } else { "" }}</span>
                                                <span>{m.name().to_owned()}</span>
                                                <span class="muted">{format!(" {} · {}", m.short_name(), m.region())}</span>
                                            </a>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }
                        .into_any()
                    }
                }}
            </div>
        </details>
        <div class="topbar-right">
            <details class="menu">
                <summary class="icon-button" aria-label=i18n.t("nav.create_menu")>"+"</summary>
                <div class="menu-panel" role="group" aria-label=i18n.t("nav.create_menu")>
                    {move || {
                        // The current organization, else the first: "Invite member" opens its settings.
                        let target = current.get().or_else(|| orgs.with_value(|o| o.first().cloned()));
                        match target {
                            Some(m) => view! {
                                <a class="menu-item" href=format!("{}#invite", crate::paths::settings_path(m.region(), m.short_name()))>{i18n.t("nav.invite_member")}</a>
                            }.into_any(),
                            None => view! { <p class="menu-note">{i18n.t("nav.no_org_hint")}</p> }.into_any(),
                        }
                    }}
                </div>
            </details>
            <Bell initial=user.pending.clone() />
            <details class="menu user-menu">
                <summary class="avatar" aria-label=i18n.t("nav.user_menu")>{initial}</summary>
                <div class="menu-panel" role="group" aria-label=i18n.t("nav.user_menu")>
                    <p class="menu-user">
                        <strong>{user.principal.name().to_owned()}</strong>
                        <br />
                        <span class="muted">{breakable(user.principal.email().to_owned())}</span>
                    </p>
                    <a class="menu-item" href="/account/security">{i18n.t("nav.security")}</a>
                    <a class="menu-item" href="/account/sessions">{i18n.t("nav.sessions")}</a>
                    <LanguageSelect id="user-menu-language" />
                    <ActionForm action=sign_out>
                        <button type="submit" class="btn btn-block">{i18n.t("nav.sign_out")}</button>
                    </ActionForm>
                </div>
            </details>
        </div>
    }
}

/// Remembers `m` as the organization used last (a cookie for a year; it grants nothing).
#[cfg(feature = "hydrate")]
fn remember_last(m: &crate::access::Membership) {
    use wasm_bindgen::JsCast;
    let value = format!(
        "{}={}/{}; Path=/; Max-Age=31536000; SameSite=Lax",
        LAST_ORG_COOKIE,
        m.region(),
        m.short_name()
    );
    if let Some(document) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
    {
        let _ = document.set_cookie(&value);
    }
}

#[cfg(not(feature = "hydrate"))]
fn remember_last(_: &crate::access::Membership) {}
