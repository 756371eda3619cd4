//! The browser entry point: hydrate the server-rendered page. Nothing else lives here.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Pages are lazily loaded parts of the bundle: hydration waits for the page's part.
    leptos::mount::hydrate_lazy(app::App);
}
