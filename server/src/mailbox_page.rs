//! `/dev/mailbox`: the mail the development server "sent", readable in the browser.
//! Mounted only in development mode, so in production the page does not exist.

use app::i18n::{Locale, tr};
use app::request::locale_from_headers;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse};
use leptos::config::LeptosOptions;

use crate::mailsink::Mailbox;

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Escapes text and turns every http(s) URL in it into a link.
fn linkify(text: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let words: Vec<String> = line
            .split(' ')
            .map(|w| {
                if w.starts_with("http://") || w.starts_with("https://") {
                    let url = escape(w);
                    format!("<a href=\"{url}\">{url}</a>")
                } else {
                    escape(w)
                }
            })
            .collect();
        out.push_str(&words.join(" "));
    }
    out
}

/// The mailbox shows every mail's links, reset links included: only to people on this
/// machine, unless `MUSTER_DEV_MAILBOX_PUBLIC` asks for it explicitly. A request that came
/// through a reverse proxy (it says so with `Forwarded` or `X-Forwarded-For`) is never
/// shown it: behind a proxy every visitor's connection comes from this machine.
pub async fn loopback_only(
    public: bool,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let proxied = ["forwarded", "x-forwarded-for"]
        .iter()
        .any(|name| request.headers().contains_key(*name));
    if mailbox_visible(public, peer) && (public || !proxied) {
        next.run(request).await
    } else {
        axum::http::StatusCode::NOT_FOUND.into_response()
    }
}

/// Whether a client at `peer` may see the mailbox.
pub fn mailbox_visible(public: bool, peer: Option<std::net::IpAddr>) -> bool {
    public || peer.is_some_and(|ip| ip.is_loopback())
}

pub async fn show(
    State(mailbox): State<Mailbox>,
    State(options): State<LeptosOptions>,
    headers: HeaderMap,
) -> Html<String> {
    let locale: Locale = locale_from_headers(&headers);
    let mut mails = mailbox.all();
    mails.reverse();
    let mut body = String::new();
    if mails.is_empty() {
        body.push_str(&format!("<p>{}</p>", escape(&tr(locale, "mailbox.empty"))));
    }
    let count = mails.len();
    for (newest_first, mail) in mails.iter().enumerate() {
        // The mail's HTML part, as a mail client shows it (numbered from the first mail).
        let html_link = match mail.html {
            Some(_) => format!(
                "<p><a class=\"mail-html\" href=\"/dev/mailbox/{}\">{}</a></p>",
                count - 1 - newest_first,
                escape(&tr(locale, "mailbox.html_part"))
            ),
            None => String::new(),
        };
        body.push_str(&format!(
            "<article class=\"card mail\"><h2>{subject}</h2><dl><dt>{to_l}</dt><dd class=\"mail-to\">{to}</dd><dt>{rec_l}</dt><dd>{at}</dd></dl><pre class=\"mail-body\">{text}</pre>{html_link}</article>",
            subject = escape(&mail.subject),
            to_l = escape(&tr(locale, "mailbox.to")),
            to = escape(&mail.to.join(", ")),
            rec_l = escape(&tr(locale, "mailbox.received")),
            at = mail.received_at.format("%Y-%m-%d %H:%M:%S UTC"),
            text = linkify(&mail.text),
        ));
    }
    Html(format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title><link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\"><link rel=\"stylesheet\" href=\"{stylesheet}\"></head><body><header class=\"topbar\"><a class=\"brand\" href=\"/\">Muster</a></header><main id=\"main\"><h1>{title}</h1><p class=\"muted\">{intro}</p>{body}</main></body></html>",
        lang = locale.code(),
        stylesheet = app::stylesheet_href(&options),
        title = escape(&tr(locale, "mailbox.title")),
        intro = escape(&tr(locale, "mailbox.intro")),
    ))
}

/// `/dev/mailbox/{number}`: the HTML part of the mail received `number`th (from 0), as
/// sent, for a look at it at a phone's width. Nothing in it runs or loads: its own inline
/// styles only.
pub async fn html_part(
    State(mailbox): State<Mailbox>,
    Path(number): Path<usize>,
) -> axum::response::Response {
    match mailbox.all().into_iter().nth(number).and_then(|m| m.html) {
        Some(html) => (
            [(
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            )],
            Html(html),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::{linkify, mailbox_visible};

    #[test]
    fn only_this_machine_sees_the_mailbox_unless_asked() {
        let lan = Some("192.0.2.7".parse().unwrap());
        assert!(!mailbox_visible(false, lan));
        assert!(!mailbox_visible(false, None));
        assert!(mailbox_visible(false, Some("127.0.0.1".parse().unwrap())));
        assert!(mailbox_visible(false, Some("::1".parse().unwrap())));
        assert!(mailbox_visible(true, lan));
    }

    #[test]
    fn links_in_mail_become_clickable_and_text_is_escaped() {
        let html = linkify("Open: http://127.0.0.1:3000/verify-email?token=a&b <now>");
        assert!(html.contains("<a href=\"http://127.0.0.1:3000/verify-email?token=a&amp;b\">"));
        assert!(html.contains("&lt;now&gt;"));
    }
}
