//! Languages. Every string a person reads goes through here; the texts live in
//! `app/locales/{en,fr,de}.json` and are compiled in by rust-i18n, in the server and the
//! browser alike. The texts of mail (`email.*`), which only the server writes, live in
//! `app/mail_locales/` and are compiled into the server alone, so the browser's bundle
//! does not carry them.

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

/// Translates `key` into `locale`, filling `%{name}` placeholders from `args`.
pub fn tr_args(locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
    #[cfg(feature = "ssr")]
    let text = match server_only::text(locale, key) {
        Some(text) => std::borrow::Cow::Borrowed(text),
        None => rust_i18n::t!(key, locale = locale.code()),
    };
    #[cfg(not(feature = "ssr"))]
    let text = rust_i18n::t!(key, locale = locale.code());
    if args.is_empty() {
        return text.into_owned();
    }
    let mut out = text.into_owned();
    for (name, value) in args {
        out = out.replace(&format!("%{{{name}}}"), value);
    }
    out
}

pub fn tr(locale: Locale, key: &str) -> String {
    tr_args(locale, key, &[])
}

/// The texts only the server needs (mail), by language and dotted key.
#[cfg(feature = "ssr")]
mod server_only {
    use std::collections::HashMap;
    use std::sync::LazyLock;

    use super::Locale;

    pub const FILES: [(Locale, &str); 3] = [
        (Locale::En, include_str!("../mail_locales/en.json")),
        (Locale::Fr, include_str!("../mail_locales/fr.json")),
        (Locale::De, include_str!("../mail_locales/de.json")),
    ];

    /// Every leaf of `value` under its dotted key.
    pub fn flatten(prefix: &str, value: &serde_json::Value, out: &mut HashMap<String, String>) {
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

    static TEXTS: LazyLock<HashMap<Locale, HashMap<String, String>>> = LazyLock::new(|| {
        FILES
            .iter()
            .map(|(locale, json)| {
                let value: serde_json::Value =
                    serde_json::from_str(json).expect("mail_locales hold valid JSON");
                let mut texts = HashMap::new();
                flatten("", &value, &mut texts);
                (*locale, texts)
            })
            .collect()
    });

    pub fn text(locale: Locale, key: &str) -> Option<&'static str> {
        if !key.starts_with("email.") {
            return None;
        }
        TEXTS
            .get(&locale)
            .and_then(|texts| texts.get(key))
            .or_else(|| TEXTS.get(&Locale::En).and_then(|texts| texts.get(key)))
            .map(String::as_str)
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
        let mail: Vec<Vec<String>> = server_only::FILES
            .iter()
            .map(|(_, json)| {
                let mut texts = Default::default();
                server_only::flatten("", &serde_json::from_str(json).unwrap(), &mut texts);
                let mut k: Vec<String> = texts.into_keys().collect();
                k.sort();
                k
            })
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
