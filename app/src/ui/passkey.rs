//! The browser's side of passkeys: `navigator.credentials` with WebAuthn's JSON forms
//! (`parseCreationOptionsFromJSON`, `toJSON`), so the options the server made go in as
//! they are and the credential comes back as JSON for it. The browser's promise calls
//! back into Rust (plain wasm-bindgen closures: this adds no crate to the bundle). On the
//! server these never run: passkeys need JavaScript, and the pages say so.

/// Why the browser gave no passkey: a message key.
pub type Refusal = &'static str;

#[cfg(feature = "hydrate")]
mod js {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(inline_js = r#"
const clean = (v) => Array.isArray(v) ? v.map(clean)
  : v && typeof v === 'object'
    ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, clean(x)]))
    : v;
const settle = (promise, done) => promise.then((v) => done(true, v ?? ''), (e) => done(false, (e && e.name) || ''));
let pending = null;
export function supported() {
  // A browser refuses passkeys on a bare IP address.
  const ip = /^[0-9.]+$/.test(location.hostname) || location.hostname.startsWith('[');
  return !ip && !!(window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON);
}
export function create(options, done) {
  settle((async () => {
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(clean(JSON.parse(options)).publicKey);
    return JSON.stringify((await navigator.credentials.create({ publicKey })).toJSON());
  })(), done);
}
export function get(options, conditional, done) {
  if (pending) pending.abort();
  const controller = new AbortController();
  pending = controller;
  settle((async () => {
    if (conditional && !(await PublicKeyCredential.isConditionalMediationAvailable?.())) return null;
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(clean(JSON.parse(options)).publicKey);
    const request = { publicKey, signal: controller.signal };
    if (conditional) request.mediation = 'conditional';
    try {
      const credential = await navigator.credentials.get(request);
      return credential ? JSON.stringify(credential.toJSON()) : null;
    } finally {
      if (pending === controller) pending = null;
    }
  })(), done);
}
"#)]
    extern "C" {
        pub fn supported() -> bool;
        pub fn create(options: String, done: JsValue);
        pub fn get(options: String, conditional: bool, done: JsValue);
    }

    /// `then`, called once with what the browser's promise gave: the value, or the name of
    /// the error it threw.
    pub fn callback(then: impl FnOnce(Result<String, String>) + 'static) -> JsValue {
        Closure::once_into_js(move |ok: bool, value: String| {
            then(if ok { Ok(value) } else { Err(value) })
        })
    }
}

/// The message key for the error the browser threw.
#[cfg(feature = "hydrate")]
fn refusal(name: &str) -> Refusal {
    match name {
        // The authenticator already holds one of this person's passkeys.
        "InvalidStateError" => "errors.passkey_taken",
        _ => "errors.passkey_cancelled",
    }
}

/// Whether this browser can use passkeys on this page.
pub fn supported() -> bool {
    #[cfg(feature = "hydrate")]
    return js::supported();
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Makes a passkey with the server's options; `then` gets the credential as JSON.
pub fn create(options: String, then: impl FnOnce(Result<String, Refusal>) + 'static) {
    #[cfg(feature = "hydrate")]
    js::create(
        options,
        js::callback(move |answer| then(answer.map_err(|name| refusal(&name)))),
    );
    #[cfg(not(feature = "hydrate"))]
    let _ = (options, then);
}

/// Asks for a passkey with the server's options (`conditional`: offered among the email
/// field's suggestions, waiting until the person picks one; `None` where the browser
/// cannot). A new request ends a waiting one.
pub fn get(
    options: String,
    conditional: bool,
    then: impl FnOnce(Result<Option<String>, Refusal>) + 'static,
) {
    #[cfg(feature = "hydrate")]
    js::get(
        options,
        conditional,
        js::callback(move |answer| {
            then(match answer {
                Ok(json) => Ok(Some(json).filter(|j| !j.is_empty())),
                Err(name) => Err(refusal(&name)),
            })
        }),
    );
    #[cfg(not(feature = "hydrate"))]
    let _ = (options, conditional, then);
}

/// A full load of `to` (the app's frame then shows the person signed in).
pub fn go(to: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(to);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = to;
}
