//! The language picker, in the user menu and on the signed-out pages.

use leptos::prelude::*;

use crate::auth::api::SetLocale;
use crate::i18n::{I18n, Locale, use_i18n};

/// Language picker. Without JavaScript it is a small form with an Apply button; once the
/// page is live, choosing a language switches at once.
#[component]
pub fn LanguageSelect(id: &'static str) -> impl IntoView {
    let i18n: I18n = use_i18n();
    let action = ServerAction::<SetLocale>::new();
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    Effect::new(move |_| {
        if let Some(Ok(locale)) = action.value().get() {
            switch_to(i18n, locale);
        }
    });
    view! {
        <ActionForm action=action>
            <div class="lang-select">
                <label for=id>{i18n.t("nav.language")}</label>
                <select
                    id=id
                    name="locale"
                    on:change=move |ev| {
                        action.dispatch(SetLocale { locale: event_target_value(&ev) });
                    }
                >
                    {Locale::ALL
                        .into_iter()
                        .map(|l| {
                            view! {
                                <option value=l.code() selected=move || i18n.locale() == l lang=l.code()>
                                    {l.native_name()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <button type="submit" class=move || if live.get() { "btn btn-small visually-hidden" } else { "btn btn-small" }>
                    {i18n.t("nav.apply")}
                </button>
            </div>
        </ActionForm>
    }
}

/// Shows the page in `locale`: at once when its texts are here, else once they arrive.
fn switch_to(i18n: I18n, locale: Locale) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        if let Err(error) = crate::i18n::texts::load(locale).await {
            leptos::logging::error!("texts for {}: {error}", locale.code());
        }
        i18n.0.set(locale);
    });
    #[cfg(not(feature = "hydrate"))]
    i18n.0.set(locale);
}
