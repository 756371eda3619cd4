use leptos::prelude::*;

use crate::auth::types::ShellData;
use crate::i18n::{tr, tr_args, use_i18n};
use crate::notifications::views::invited_text;
use crate::shell::use_user;

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let user = use_user();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match user.0.await {
                    Ok(Some(user)) => view! { <SignedInHome user=user /> }.into_any(),
                    _ => view! {
                        <section class="hero">
                            <h1>{i18n.t("home.tagline")}</h1>
                            <p class="lead">{i18n.t("home.pitch")}</p>
                            <p class="actions">
                                <a class="btn btn-primary" href="/signup">{i18n.t("auth.create_account")}</a>
                                " "
                                <a class="btn" href="/signin">{i18n.t("auth.sign_in")}</a>
                            </p>
                        </section>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// Where signing in lands: invitations waiting for an answer, then the person's
/// organizations (each with its short name, region and the person's role there).
#[component]
fn SignedInHome(user: ShellData) -> impl IntoView {
    let i18n = use_i18n();
    let name = user.principal.name().to_owned();
    let invitations = (!user.pending.is_empty()).then(|| {
        view! {
            <h2>{i18n.t("home.invitations")}</h2>
            <ul class="home-list" data-testid="home-invitations">
                {user.pending.into_iter().map(|inv| {
                    let href = format!("/notifications?invitation={}", inv.id);
                    view! { <li><a href=href>{move || invited_text(i18n.locale(), &inv)}</a></li> }
                }).collect_view()}
            </ul>
        }
    });
    let orgs = if user.orgs.is_empty() {
        view! { <p class="muted">{i18n.t("nav.no_org_hint")}</p> }.into_any()
    } else {
        view! {
            <p>{i18n.t("home.choose_org")}</p>
            <ul class="home-list" data-testid="home-orgs">
                {user.orgs.into_iter().map(|m| {
                    let role = m.role();
                    view! {
                        <li>
                            <a href=m.home()>{m.name().to_owned()}</a>
                            <span class="muted">{format!("{} · {}", m.short_name(), m.region())}</span>
                            <span class="badge-role">{move || tr(i18n.locale(), role.label_key())}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let query = leptos_router::hooks::use_query_map();
    let notice = move || {
        query.with(|q| {
            if q.get("verified").is_some() {
                Some("auth.verified_notice")
            } else if q.get("reset").is_some() {
                Some("auth.reset_notice")
            } else {
                None
            }
        })
    };
    view! {
        <section class="card">
            {move || notice().map(|key| view! { <div class="alert alert-success" role="status">{i18n.t(key)}</div> })}
            <h1>{move || tr_args(i18n.locale(), "home.welcome", &[("name", &name)])}</h1>
            {invitations}
            <h2>{i18n.t("home.your_orgs")}</h2>
            {orgs}
        </section>
    }
}
