//! `/dev/dns`: the development server's own DNS zone, where a developer publishes the
//! TXT record that "Domains" asks for, to try domain verification without a real
//! domain. Mounted only in development mode without `MUSTER_DNS_SERVER`, for this
//! machine only (as the mailbox).

use app::i18n::{Locale, tr};
use app::request::locale_from_headers;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use leptos::config::LeptosOptions;
use serde::Deserialize;

use crate::dns_zone::Zone;
use crate::mailbox_page::escape;

#[derive(Deserialize)]
pub struct Publish {
    name: String,
    #[serde(default)]
    value: String,
}

/// Publishes (or, with an empty value, takes down) the TXT record at `name`.
pub async fn publish(State(zone): State<Zone>, Form(form): Form<Publish>) -> Response {
    let name = form.name.trim();
    let value = form.value.trim();
    if !name.is_empty() {
        if value.is_empty() {
            zone.remove(name);
        } else {
            zone.set_txt(name, &[value]);
        }
    }
    Redirect::to("/dev/dns").into_response()
}

pub async fn show(
    State(zone): State<Zone>,
    State(options): State<LeptosOptions>,
    headers: HeaderMap,
) -> Html<String> {
    let locale: Locale = locale_from_headers(&headers);
    let t = |key: &str| escape(&tr(locale, key));
    let mut rows = String::new();
    for (name, values) in zone.records() {
        for value in values {
            rows.push_str(&format!(
                "<tr class=\"dns-row\"><td><code>{name}</code></td><td>TXT</td><td><code>{value}</code></td></tr>",
                name = escape(&name),
                value = escape(&value),
            ));
        }
    }
    let table = if rows.is_empty() {
        format!("<p class=\"muted\">{}</p>", t("dev_dns.empty"))
    } else {
        format!(
            "<table class=\"table\"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>",
            t("domains.record_name"),
            t("domains.record_type"),
            t("domains.record_value"),
        )
    };
    Html(format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title><link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\"><link rel=\"stylesheet\" href=\"{stylesheet}\"></head><body><header class=\"topbar\"><a class=\"brand\" href=\"/\">Muster</a></header><main id=\"main\"><section class=\"card\"><h1>{title}</h1><p class=\"muted\">{intro}</p>{table}<form method=\"post\" action=\"/dev/dns\"><div class=\"field\"><label for=\"dns-name\">{name_l}</label><input id=\"dns-name\" name=\"name\" type=\"text\" required></div><div class=\"field\"><label for=\"dns-value\">{value_l}</label><input id=\"dns-value\" name=\"value\" type=\"text\"></div><button type=\"submit\" class=\"btn btn-primary\">{publish}</button></form></section></main></body></html>",
        lang = locale.code(),
        stylesheet = app::stylesheet_href(&options),
        title = t("dev_dns.title"),
        intro = t("dev_dns.intro"),
        name_l = t("domains.record_name"),
        value_l = t("domains.record_value"),
        publish = t("dev_dns.publish"),
    ))
}
