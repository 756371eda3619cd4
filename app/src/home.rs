use leptos::prelude::*;

use crate::i18n::{tr_args, use_i18n};
use crate::ui::shell::use_user;

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let user = use_user();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match user.0.await {
                    Ok(Some(user)) => view! {
                        <section class="card">
                            <h1>{move || tr_args(i18n.locale(), "home.welcome", &[("name", &user.name)])}</h1>
                            <p>{i18n.t("home.signed_in_intro")}</p>
                        </section>
                    }
                    .into_any(),
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
