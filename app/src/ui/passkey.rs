//! The browser's side of passkeys: `navigator.credentials` with WebAuthn's JSON forms
//! (`parseCreationOptionsFromJSON`, `toJSON`), so the options the server made go in as
//! they are and the credential comes back as JSON for it. On the server these say "not
//! here": passkeys need JavaScript, and the pages say so.

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
let pending = null;
export function supported() {
  // A browser refuses passkeys on a bare IP address.
  const ip = /^[0-9.]+$/.test(location.hostname) || location.hostname.startsWith('[');
  return !ip && !!(window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON);
}
export async function create(options) {
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(clean(JSON.parse(options)).publicKey);
  const credential = await navigator.credentials.create({ publicKey });
  return JSON.stringify(credential.toJSON());
}
export async function get(options, conditional) {
  if (pending) pending.abort();
  if (conditional && !(await PublicKeyCredential.isConditionalMediationAvailable?.())) return null;
  const controller = new AbortController();
  pending = controller;
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(clean(JSON.parse(options)).publicKey);
  const request = { publicKey, signal: controller.signal };
  if (conditional) request.mediation = 'conditional';
  try {
    const credential = await navigator.credentials.get(request);
    return credential ? JSON.stringify(credential.toJSON()) : null;
  } finally {
    if (pending === controller) pending = null;
  }
}
"#)]
    extern "C" {
        pub fn supported() -> bool;
        #[wasm_bindgen(catch)]
        pub async fn create(options: String) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch)]
        pub async fn get(options: String, conditional: bool) -> Result<JsValue, JsValue>;
    }

    /// The message key for what the browser threw.
    pub fn refusal(error: &JsValue) -> super::Refusal {
        let name = js_sys::Reflect::get(error, &JsValue::from_str("name"))
            .ok()
            .and_then(|n| n.as_string())
            .unwrap_or_default();
        match name.as_str() {
            // The authenticator already holds one of this person's passkeys.
            "InvalidStateError" => "errors.passkey_exists",
            "AbortError" => "errors.passkey_aborted",
            _ => "errors.passkey_cancelled",
        }
    }
}

/// Whether this browser can use passkeys on this page.
pub fn supported() -> bool {
    #[cfg(feature = "hydrate")]
    return js::supported();
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Makes a passkey with the server's options; the credential as JSON.
pub async fn create(options: String) -> Result<String, Refusal> {
    #[cfg(feature = "hydrate")]
    return match js::create(options).await {
        Ok(json) => json.as_string().ok_or("errors.passkey_cancelled"),
        Err(e) => Err(js::refusal(&e)),
    };
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = options;
        Err("errors.passkey_cancelled")
    }
}

/// Asks for a passkey with the server's options (`conditional`: offered among the email
/// field's suggestions, waiting until the person picks one; `None` where the browser
/// cannot). A new request ends a waiting one.
pub async fn get(options: String, conditional: bool) -> Result<Option<String>, Refusal> {
    #[cfg(feature = "hydrate")]
    return match js::get(options, conditional).await {
        Ok(json) => Ok(json.as_string()),
        Err(e) => Err(js::refusal(&e)),
    };
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (options, conditional);
        Err("errors.passkey_cancelled")
    }
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
