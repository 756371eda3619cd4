//! The frame of every organization page: the organization in the URL, and what a page
//! shows when its data cannot be shown (sign in, ask an admin, not found, try again).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::error::AppError;
use crate::i18n::use_i18n;
use crate::ui::prompt::SignInPrompt;

/// (region, short name) from an organization URL `/o/<region>/<short name>/...`.
pub fn use_org_params() -> Memo<(String, String)> {
    let params = use_params_map();
    Memo::new(move |_| {
        params.with(|p| {
            (
                p.get("region").unwrap_or_default(),
                p.get("short_name").unwrap_or_default(),
            )
        })
    })
}

/// An organization page: `page` (loaded for the organization in the URL) shown by
/// `show`, or what stands in its way instead ([`OrgProblem`]).
pub fn org_page<T, V, Codec>(
    page: Resource<Result<T, AppError>, Codec>,
    show: impl Fn(T) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    Codec: Send + Sync + 'static,
{
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let show = show.clone();
                Suspend::new(async move {
                    match page.await {
                        Ok(data) => show(data).into_any(),
                        Err(err) => view! { <OrgProblem err=err /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// What an organization page shows when it cannot be shown: sign in, or not found.
#[component]
pub fn OrgProblem(err: AppError) -> impl IntoView {
    let i18n = use_i18n();
    match err {
        AppError::Unauthenticated => view! { <SignInPrompt /> }.into_any(),
        err @ AppError::NotPermitted { .. } => {
            let message = err.form_message(i18n.locale());
            view! {
                <section class="card">
                    <div class="alert alert-info" role="status" data-testid="ask-admins">{message}</div>
                    <p><a href="/">{i18n.t("nav.home")}</a></p>
                </section>
            }
            .into_any()
        }
        // Led to set up (or pass) a second factor; their other organizations are open.
        err @ AppError::SecondFactorRequired { .. } => {
            let message = err.form_message(i18n.locale());
            view! {
                <section class="card" data-testid="second-factor-required">
                    <div class="alert alert-info" role="status">{message}</div>
                    <p><a class="btn btn-primary" href="/account/security">{i18n.t("security.set_up_now")}</a></p>
                </section>
            }
            .into_any()
        }
        // Led through the organization's own provider; their other organizations are open.
        AppError::SsoRequired { ref email, .. } => {
            let message = err.form_message(i18n.locale());
            let start = format!(
                "{}?email={}",
                crate::paths::SSO_START_PATH,
                crate::url::encode(email)
            );
            view! {
                <section class="card" data-testid="sso-required">
                    <div class="alert alert-info" role="status">{message}</div>
                    <p><a class="btn btn-primary" href=start rel="external">{i18n.t("sso.continue")}</a></p>
                </section>
            }
            .into_any()
        }
        // Not Muster's fault and not the person's: say what happened, no "not found".
        err @ (AppError::Unavailable | AppError::Internal) => {
            let message = err.form_message(i18n.locale());
            view! {
                <section class="card">
                    <div class="alert alert-error" role="alert">{message}</div>
                    <p><a href="">{i18n.t("activation.try_again")}</a></p>
                    <crate::ui::reference::RequestReference />
                </section>
            }
            .into_any()
        }
        _ => view! {
            <section class="card">
                <h1>{i18n.t("errors.page_not_found")}</h1>
                <p>{i18n.t("org.not_found")}</p>
                <p><a href="/">{i18n.t("nav.home")}</a></p>
                <crate::ui::reference::RequestReference />
            </section>
        }
        .into_any(),
    }
}
