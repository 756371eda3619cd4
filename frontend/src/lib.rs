//! The browser entry point: fetch the page's texts, then hydrate the server-rendered page.
//! Nothing else lives here.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        // The texts are preloaded beside the bundle; without them (a network error)
        // the page still comes alive, and shows the texts' keys where they are missing.
        let locale = app::i18n::rendered_locale();
        if let Err(error) = app::i18n::texts::load(locale).await {
            leptos::logging::error!("texts for {}: {error}", locale.code());
        }
        // Pages are lazily loaded parts of the bundle: hydration waits for the page's part.
        leptos::mount::hydrate_lazy(app::App);
    });
}

/// Room for the bundle splitter. It moves each page's constant data (texts, tables) into
/// that page's part, packing every part's share of the linker's constant-data segment
/// again with its own alignment padding. When the repacked segment comes out longer
/// than the linker's, even by a few bytes, it gives up and leaves all the constant data
/// in the main bundle: 85 KB more, for any change that happens to shift the padding.
/// These bytes lengthen the linker's segment; nothing refers to them, so the splitter
/// puts them in no part and no bundle carries them.
#[used]
static SPLIT_SLACK: [u8; 1024] = [0x5a; 1024];
