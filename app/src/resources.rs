//! The Resource Center the invitation email links to: getting started with Muster.

use leptos::prelude::*;

use crate::i18n::{I18n, tr, use_i18n};

#[component]
pub fn ResourcesPage() -> impl IntoView {
    let i18n: I18n = use_i18n();
    let sections = ["signin", "switch", "roles", "help"];
    view! {
        <section class="card resources" data-page="resources">
            <h1>{i18n.t("resources.title")}</h1>
            <p>{i18n.t("resources.intro")}</p>
            {sections.into_iter().map(|s| {
                let (title, body) = (format!("resources.{s}_title"), format!("resources.{s}_body"));
                view! {
                    <h2>{move || tr(i18n.locale(), &title)}</h2>
                    <p>{move || tr(i18n.locale(), &body)}</p>
                }
            }).collect_view()}
            <p><a class="btn btn-primary" href="/signin">{i18n.t("auth.sign_in")}</a></p>
        </section>
    }
}
