//! Reading and writing the session and language cookies.

use http::{HeaderMap, HeaderValue, header};

pub const SESSION_COOKIE: &str = "muster_session";
/// Sessions last 30 days from sign-in.
pub const SESSION_DAYS: i64 = 30;

pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// `HttpOnly; SameSite=Lax` always; `Secure` when the site is served over https.
pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let max_age = SESSION_DAYS * 24 * 3600;
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("token is base64url")
}

pub fn clear_session_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .expect("static cookie")
}

/// Carries a new API key's secret from a plain form post (no JavaScript) to the settings
/// page that shows it once: `HttpOnly; SameSite=Strict`, only sent to that page, gone after
/// five minutes or at the first showing (`clear_new_key_cookie`).
pub const NEW_KEY_COOKIE: &str = "muster_new_key";

pub fn new_key_cookie(key: &str, path: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{NEW_KEY_COOKIE}={key}; Path={path}; HttpOnly; SameSite=Strict; Max-Age=300{secure}"
    ))
    .expect("key and path are url-safe")
}

pub fn clear_new_key_cookie(path: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{NEW_KEY_COOKIE}=; Path={path}; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
    ))
    .expect("path is url-safe")
}

/// The language cookie is readable by scripts on purpose: it holds no secret.
pub fn locale_cookie(code: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{}={code}; Path=/; SameSite=Lax; Max-Age=31536000{secure}",
        crate::i18n::LOCALE_COOKIE
    ))
    .expect("locale code is ascii")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_several() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; muster_session=abc; muster_lang=fr"),
        );
        assert_eq!(
            read_cookie(&headers, SESSION_COOKIE).as_deref(),
            Some("abc")
        );
        assert_eq!(read_cookie(&headers, "muster_lang").as_deref(), Some("fr"));
        assert_eq!(read_cookie(&headers, "missing"), None);
    }

    #[test]
    fn session_cookie_is_http_only_and_same_site() {
        let v = session_cookie("tok", false);
        let v = v.to_str().unwrap();
        assert!(v.contains("HttpOnly") && v.contains("SameSite=Lax") && !v.contains("Secure"));
        assert!(
            session_cookie("tok", true)
                .to_str()
                .unwrap()
                .ends_with("; Secure")
        );
    }
}
