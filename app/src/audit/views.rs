//! The audit log page.

use leptos::prelude::*;

use super::api::get_audit_log;
use super::types::AuditPage;
use crate::i18n::{tr, use_i18n};
use crate::ui::org_page::{org_page, use_org_params};
use crate::ui::table::TableFrame;

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let key = use_org_params();
    let page = Resource::new(move || key.get(), |(r, s)| get_audit_log(r, s));
    org_page(page, |page| view! { <AuditLog page=page /> })
}

#[component]
fn AuditLog(page: AuditPage) -> impl IntoView {
    let i18n = use_i18n();
    let rows = page
        .events
        .into_iter()
        .map(|e| {
            let key = e.action.i18n_key();
            view! {
                <tr>
                    <td>{e.when}</td>
                    <td class="long">{e.actor}</td>
                    <td data-action=key>{move || tr(i18n.locale(), key)}</td>
                    <td class="long">{e.subject.unwrap_or_default()}</td>
                    <td class="long">{e.detail.unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <p class="eyebrow"><a href=page.org_home.clone()>{page.org_name.clone()}</a></p>
            <h1>{i18n.t("audit.title")}</h1>
            <p><a href=format!("{}/people", page.org_home)>{i18n.t("people.title")}</a></p>
            <TableFrame label=i18n.t("audit.title")>
            <table class="table audit">
                <thead>
                    <tr>
                        <th>{i18n.t("audit.when")}</th>
                        <th>{i18n.t("audit.who")}</th>
                        <th>{i18n.t("audit.what")}</th>
                        <th>{i18n.t("audit.subject")}</th>
                        <th>{i18n.t("audit.detail")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            </TableFrame>
        </section>
    }
    .into_any()
}
