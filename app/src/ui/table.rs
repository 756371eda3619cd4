//! Tables and long values on any screen: a table's frame, and addresses that break well.

use leptos::prelude::*;

/// A table's frame. On a narrow screen the table scrolls inside it, with its first column
/// kept in view (see `.table-frame` in the stylesheet), where the page would otherwise
/// scroll sideways; the frame takes focus so that the keyboard scrolls it too.
#[component]
pub fn TableFrame(
    /// What the table holds, for screen readers' list of regions.
    label: impl Fn() -> String + Send + Sync + 'static,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-frame" role="region" tabindex="0" aria-label=label>
            {children()}
        </div>
    }
}

/// Longer addresses than this offer line breaks after their `@` and dots.
const BREAK_AFTER: usize = 24;

/// An address, a domain or a host name: where it is long, a `<wbr>` after its `@` and each
/// dot lets it wrap there rather than anywhere (the text, copied, stays the same). Erased
/// to `AnyView`: pages that show several (settings) would otherwise have types too deep
/// for the compiler to lay out.
pub fn breakable(text: String) -> AnyView {
    if text.len() <= BREAK_AFTER {
        return text.into_any();
    }
    text.split_inclusive(['@', '.'])
        .map(|part| view! { {part.to_owned()}<wbr /> })
        .collect_view()
        .into_any()
}
