//! What a page that needs a signed-in person shows a visitor.

use leptos::prelude::*;

use crate::i18n::use_i18n;

/// For a page that needs a signed-in person: says so, with a sign-in link that comes
/// back to this page afterwards. Drawn on the server, the page answers 401.
#[component]
pub fn SignInPrompt() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::exchange::set_page_status(401);
    let i18n = use_i18n();
    let location = leptos_router::hooks::use_location();
    let here = format!(
        "{}{}",
        location.pathname.get_untracked(),
        location.search.get_untracked()
    );
    let href = format!("/signin?next={}", crate::url::encode(&here));
    view! {
        <section class="card auth-card" data-testid="sign-in-prompt">
            <div class="alert alert-info" role="status">{i18n.t("errors.unauthenticated")}</div>
            <p><a class="btn btn-primary" href=href>{i18n.t("auth.sign_in")}</a></p>
        </section>
    }
}
