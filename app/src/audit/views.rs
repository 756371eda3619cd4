//! The audit log page: the newest entries first, filtered by who, what and when (all in
//! the address, so a filtered page can be bookmarked and works without JavaScript), 200
//! at a time with a link to older ones.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::api::get_audit_log;
use super::types::{AuditAction, AuditFilter, AuditPage};
use crate::i18n::{tr, use_i18n};
use crate::ui::org_page::{org_page, use_org_params};
use crate::ui::table::TableFrame;

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let key = use_org_params();
    let query = use_query_map();
    let wanted = Memo::new(move |_| {
        query.with(|q| {
            let get = |name: &str| q.get(name).unwrap_or_default();
            let filter = AuditFilter {
                actor: get("actor"),
                action: get("action"),
                from: get("from"),
                to: get("to"),
            };
            (filter, q.get("cursor"))
        })
    });
    let page = Resource::new(
        move || (key.get(), wanted.get()),
        |((r, s), (filter, cursor))| get_audit_log(r, s, Some(filter), cursor),
    );
    org_page(page, |page| view! { <AuditLog page=page /> })
}

#[component]
fn AuditLog(page: AuditPage) -> impl IntoView {
    let i18n = use_i18n();
    let filtered = page.filter != AuditFilter::default();
    let rows = page
        .events
        .into_iter()
        .map(|e| {
            let key = e.action.i18n_key();
            view! {
                <tr data-id=e.id.to_string()>
                    <td>{e.when}</td>
                    <td class="long">{e.actor}</td>
                    <td data-action=key>{move || tr(i18n.locale(), key)}</td>
                    <td class="long">{e.subject.unwrap_or_default()}</td>
                    <td class="long">{e.detail.unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let base = format!("{}/people/audit", page.org_home);
    let older = page.next.map(|cursor| {
        let query = page.filter.query();
        let sep = if query.is_empty() { "" } else { "&" };
        format!("{base}?{query}{sep}cursor={}", crate::url::encode(&cursor))
    });
    let chosen = page.filter.action.clone();
    let actions = AuditAction::ALL
        .into_iter()
        .map(|a| {
            let key = a.i18n_key();
            view! { <option value=a.code() selected=chosen == a.code()>{move || tr(i18n.locale(), key)}</option> }
        })
        .collect_view();
    view! {
        <section class="card">
            <p class="eyebrow"><a href=page.org_home.clone()>{page.org_name.clone()}</a></p>
            <h1>{i18n.t("audit.title")}</h1>
            <p><a href=format!("{}/people", page.org_home)>{i18n.t("people.title")}</a></p>
            <form method="get" action=base.clone() class="audit-filter" data-testid="audit-filter">
                <div class="field">
                    <label for="audit-actor">{i18n.t("audit.who")}</label>
                    <input id="audit-actor" name="actor" value=page.filter.actor.clone() />
                </div>
                <div class="field">
                    <label for="audit-action">{i18n.t("audit.what")}</label>
                    <select id="audit-action" name="action">
                        <option value="">{i18n.t("audit.any_action")}</option>
                        {actions}
                    </select>
                </div>
                <div class="field">
                    <label for="audit-from">{i18n.t("audit.from")}</label>
                    <input id="audit-from" name="from" type="date" value=page.filter.from.clone() />
                </div>
                <div class="field">
                    <label for="audit-to">{i18n.t("audit.to")}</label>
                    <input id="audit-to" name="to" type="date" value=page.filter.to.clone() />
                </div>
                <button type="submit" class="btn">{i18n.t("audit.apply")}</button>
                {filtered.then(|| view! { <a class="btn btn-small" href=base.clone()>{i18n.t("audit.clear")}</a> })}
            </form>
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
            {older.map(|href| view! { <p><a href=href rel="next" data-testid="older">{i18n.t("audit.older")}</a></p> })}
        </section>
    }
    .into_any()
}
