//! Languages. Every string a person reads goes through here; the texts live in
//! `app/locales/{en,fr,de}.json` (pages) and `app/mail_locales/` (mail, `email.*`).
//! The server compiles them all in. The browser's bundle carries none: it fetches the
//! page's language before it hydrates (see `texts`), so a first visit downloads one
//! language's texts, not three.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Locale {
    #[default]
    En,
    Fr,
    De,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::En, Locale::Fr, Locale::De];

    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
            Locale::De => "de",
        }
    }

    /// The language's own name, shown in language pickers.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::Fr => "Français",
            Locale::De => "Deutsch",
        }
    }

    pub fn from_code(code: &str) -> Option<Locale> {
        let primary = code
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Locale::En),
            "fr" => Some(Locale::Fr),
            "de" => Some(Locale::De),
            _ => None,
        }
    }

    /// Picks the best language from an `Accept-Language` header, honouring q-values.
    pub fn negotiate(accept_language: &str) -> Option<Locale> {
        let mut best: Option<(f32, usize, Locale)> = None;
        for (index, part) in accept_language.split(',').enumerate() {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or_default();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            if let Some(locale) = Locale::from_code(tag) {
                // Higher q wins; on a tie the earlier entry wins.
                let better = match best {
                    None => true,
                    Some((best_q, best_index, _)) => {
                        q > best_q || (q == best_q && index < best_index)
                    }
                };
                if better {
                    best = Some((q, index, locale));
                }
            }
        }
        best.map(|(_, _, locale)| locale)
    }
}

/// Translates `key` into `locale`, filling `%{name}` placeholders from `args`. A key no
/// language has is shown as itself (the unit tests keep every language complete).
pub fn tr_args(locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
    let mut out = texts::lookup(locale, key).unwrap_or_else(|| key.to_owned());
    for (name, value) in args {
        out = out.replace(&format!("%{{{name}}}"), value);
    }
    out
}

pub fn tr(locale: Locale, key: &str) -> String {
    tr_args(locale, key, &[])
}

/// Every leaf of a texts file under its dotted key.
#[cfg(feature = "ssr")]
fn flatten(
    prefix: &str,
    value: &serde_json::Value,
    out: &mut std::collections::BTreeMap<String, String>,
) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::String(text) => {
            out.insert(prefix.to_owned(), text.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// The server compiles in every text: the pages' (`locales/`) and the mail's
/// (`mail_locales/`). It also serves each language's page texts as one file, named by its
/// content, that browsers keep for good (`/texts/<language>.<hash>.json`).
#[cfg(feature = "ssr")]
pub mod texts {
    use std::collections::{BTreeMap, HashMap};
    use std::sync::LazyLock;

    use sha2::{Digest, Sha256};

    use super::{Locale, flatten};

    pub(super) const PAGE_FILES: [(Locale, &str); 3] = [
        (Locale::En, include_str!("../locales/en.json")),
        (Locale::Fr, include_str!("../locales/fr.json")),
        (Locale::De, include_str!("../locales/de.json")),
    ];

    pub(super) const MAIL_FILES: [(Locale, &str); 3] = [
        (Locale::En, include_str!("../mail_locales/en.json")),
        (Locale::Fr, include_str!("../mail_locales/fr.json")),
        (Locale::De, include_str!("../mail_locales/de.json")),
    ];

    pub(super) fn parse(json: &str) -> BTreeMap<String, String> {
        let value: serde_json::Value =
            serde_json::from_str(json).expect("the texts files hold valid JSON");
        let mut texts = BTreeMap::new();
        flatten("", &value, &mut texts);
        texts
    }

    /// One language's page texts as the browser fetches them.
    pub struct PageTexts {
        /// `<language>.<hash>.json`
        pub file: String,
        /// `/texts/<file>`, as every page's head names it.
        pub href: String,
        pub json: String,
    }

    static PAGE: LazyLock<HashMap<Locale, PageTexts>> = LazyLock::new(|| {
        PAGE_FILES
            .iter()
            .map(|(locale, json)| {
                let json = serde_json::to_string(&parse(json)).expect("texts serialize");
                let hash = Sha256::digest(json.as_bytes());
                let hash: String = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
                let file = format!("{}.{hash}.json", locale.code());
                let href = format!("/texts/{file}");
                (*locale, PageTexts { file, href, json })
            })
            .collect()
    });

    static ALL: LazyLock<HashMap<Locale, HashMap<String, String>>> = LazyLock::new(|| {
        PAGE_FILES
            .iter()
            .zip(MAIL_FILES)
            .map(|((locale, page), (_, mail))| {
                let mut texts: HashMap<String, String> = parse(page).into_iter().collect();
                texts.extend(parse(mail));
                (*locale, texts)
            })
            .collect()
    });

    pub fn lookup(locale: Locale, key: &str) -> Option<String> {
        ALL.get(&locale)
            .and_then(|texts| texts.get(key))
            .or_else(|| ALL.get(&Locale::En).and_then(|texts| texts.get(key)))
            .cloned()
    }

    pub fn page(locale: Locale) -> &'static PageTexts {
        &PAGE[&locale]
    }

    /// The page texts file named `file`, if it is one.
    pub fn page_file(file: &str) -> Option<&'static PageTexts> {
        PAGE.values().find(|texts| texts.file == file)
    }

    /// Where a page finds its language's texts, and the other languages' for a switch
    /// (worked out once: every page's head names all three).
    pub fn href(locale: Locale) -> &'static str {
        &page(locale).href
    }
}

/// The browser carries no texts in its bundle: before hydrating, it fetches the page's
/// language (the document names the file, which the server preloads), and another
/// language when a person switches to it.
#[cfg(not(feature = "ssr"))]
pub mod texts {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use super::Locale;

    thread_local! {
        static LOADED: RefCell<HashMap<Locale, HashMap<String, String>>> = RefCell::default();
    }

    pub fn lookup(locale: Locale, key: &str) -> Option<String> {
        LOADED.with(|loaded| {
            let loaded = loaded.borrow();
            loaded
                .get(&locale)
                .and_then(|texts| texts.get(key))
                .or_else(|| loaded.get(&Locale::En).and_then(|texts| texts.get(key)))
                .cloned()
        })
    }

    /// The `id` of the `<link>` that names each language's texts file.
    pub const LINK_ID: &str = "muster-texts";

    /// Fetches `locale`'s texts, once. An error (the network) leaves the keys showing.
    #[cfg(feature = "hydrate")]
    pub async fn load(locale: Locale) -> Result<(), String> {
        use wasm_bindgen::JsCast;
        use wasm_bindgen_futures::JsFuture;

        if LOADED.with(|loaded| loaded.borrow().contains_key(&locale)) {
            return Ok(());
        }
        let window = web_sys::window().ok_or("no window")?;
        let href = window
            .document()
            .and_then(|d| d.get_element_by_id(LINK_ID))
            .and_then(|link| link.get_attribute(&format!("data-{}", locale.code())))
            .ok_or("the page names no texts file")?;
        let response = JsFuture::from(window.fetch_with_str(&href))
            .await
            .map_err(|e| format!("{e:?}"))?;
        let response: web_sys::Response = response.dyn_into().map_err(|e| format!("{e:?}"))?;
        if !response.ok() {
            return Err(format!("{href}: {}", response.status()));
        }
        // The browser's own parser: one object of key -> text.
        let json = JsFuture::from(response.json().map_err(|e| format!("{e:?}"))?)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let texts: HashMap<String, String> = js_sys::Object::entries(json.unchecked_ref())
            .iter()
            .filter_map(|entry| {
                let pair: js_sys::Array = entry.unchecked_into();
                Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
            })
            .collect();
        LOADED.with(|loaded| loaded.borrow_mut().insert(locale, texts));
        Ok(())
    }
}

/// The current language, shared by every component of a page.
#[derive(Clone, Copy)]
pub struct I18n(pub RwSignal<Locale>);

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

impl I18n {
    pub fn locale(&self) -> Locale {
        self.0.get()
    }

    /// A reactive translation: re-renders when the language changes.
    pub fn t(self, key: &'static str) -> impl Fn() -> String + Copy + Send + Sync + 'static {
        move || tr(self.0.get(), key)
    }
}

/// In the browser, the language is the one the server rendered the page in (on the
/// server, `request::locale` reads the request).
#[cfg(not(feature = "ssr"))]
pub fn rendered_locale() -> Locale {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|html| html.get_attribute("lang"))
            .and_then(|lang| Locale::from_code(&lang))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Locale::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_highest_quality() {
        assert_eq!(
            Locale::negotiate("en;q=0.5, de-CH;q=0.9, fr;q=0.8"),
            Some(Locale::De)
        );
        assert_eq!(
            Locale::negotiate("fr-FR,fr;q=0.9,en;q=0.8"),
            Some(Locale::Fr)
        );
        assert_eq!(Locale::negotiate("es, it;q=0.5"), None);
        assert_eq!(Locale::negotiate("de;q=0, en"), Some(Locale::En));
    }

    #[test]
    fn every_language_has_every_key() {
        let files = [
            ("en", include_str!("../locales/en.json")),
            ("fr", include_str!("../locales/fr.json")),
            ("de", include_str!("../locales/de.json")),
        ];
        fn keys(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (k, v) in map {
                        let p = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        keys(&p, v, out);
                    }
                }
                _ => out.push(prefix.to_owned()),
            }
        }
        let mut sets = Vec::new();
        for (lang, text) in files {
            let json: serde_json::Value = serde_json::from_str(text).expect(lang);
            let mut k = Vec::new();
            keys("", &json, &mut k);
            k.sort();
            sets.push((lang, k));
        }
        let (_, en) = &sets[0];
        for (lang, k) in &sets[1..] {
            assert_eq!(en, k, "{lang}.json must have exactly the keys of en.json");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn every_language_has_every_mail_key_and_the_server_finds_them() {
        let mail: Vec<Vec<String>> = texts::MAIL_FILES
            .iter()
            .map(|(_, json)| texts::parse(json).into_keys().collect())
            .collect();
        assert!(mail[0].iter().all(|k| k.starts_with("email.")));
        assert_eq!(
            mail[0], mail[1],
            "mail_locales/fr.json has the keys of en.json"
        );
        assert_eq!(
            mail[0], mail[2],
            "mail_locales/de.json has the keys of en.json"
        );
        assert_eq!(
            tr_args(Locale::De, "email.join_member.subject", &[("org", "Acme")]),
            "Sie sind bereits Mitglied von Acme"
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn translations_differ_by_language_and_fill_placeholders() {
        assert_eq!(tr(Locale::En, "auth.sign_in"), "Sign in");
        assert_eq!(tr(Locale::Fr, "auth.sign_in"), "Se connecter");
        assert_eq!(tr(Locale::De, "auth.sign_in"), "Anmelden");
        assert_eq!(
            tr_args(Locale::En, "errors.rate_limited", &[("minutes", "7")]),
            "Too many attempts. Try again in 7 minutes."
        );
    }
}
