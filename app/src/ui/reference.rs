//! "Request ID: …" on error pages: the id of the request that rendered the page (also in
//! the `x-request-id` header and in every log line of that request), for a person to quote
//! to support. Rendered on the server and carried to the browser with the page, so the
//! hydrated page shows the same id.

use leptos::prelude::*;

use crate::i18n::use_i18n;

#[component]
pub fn RequestReference() -> impl IntoView {
    let i18n = use_i18n();
    let id = SharedValue::<_, crate::wire::PackedCodec>::new_with_encoding(|| {
        #[cfg(feature = "ssr")]
        let id = crate::exchange::request_id();
        #[cfg(not(feature = "ssr"))]
        let id: Option<String> = None;
        id
    });
    id.into_inner().map(|id| {
        view! {
            <p class="muted request-id">
                {i18n.t("errors.request_id")} ": " <code data-testid="request-id">{id}</code>
            </p>
        }
    })
}
