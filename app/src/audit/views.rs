//! The audit log page: the newest entries first, filtered by who, what and when (all in
//! the address, so a filtered page can be bookmarked and works without JavaScript), 200
//! at a time with a link to older ones; below them, exports of what the filter shows.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::api::{ExportAudit, get_audit_log};
use super::types::{AuditAction, AuditExport, AuditFilter, AuditPage, ExportState};
use crate::i18n::{tr, tr_args, use_i18n};
use crate::ui::form::{FormAlert, OrgInputs, follow_success};
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
    let page = crate::wire::resource(
        move || (key.get(), wanted.get()),
        |((r, s), (filter, cursor))| get_audit_log(r, s, Some(filter), cursor),
    );
    org_page(page, move |page| {
        let (region, short_name) = key.get_untracked();
        view! { <AuditLog page=page region=region short_name=short_name /> }
    })
}

#[component]
fn AuditLog(page: AuditPage, region: String, short_name: String) -> impl IntoView {
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
            <Exports exports=page.exports filter=page.filter region=region short_name=short_name />
        </section>
    }
    .into_any()
}

/// "Export": the entries the filter above shows, as CSV or JSON lines, written in the
/// background; the latest exports below it with their progress and downloads.
#[component]
fn Exports(
    exports: Vec<AuditExport>,
    filter: AuditFilter,
    region: String,
    short_name: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<ExportAudit>::new();
    follow_success(action);
    let items = exports
        .into_iter()
        .map(|e| view! { <ExportLine export=e region=region.clone() short_name=short_name.clone() /> })
        .collect_view();
    view! {
        <section class="audit-exports" aria-labelledby="audit-export-title" data-testid="audit-exports">
            <h2 id="audit-export-title">{i18n.t("audit.export_title")}</h2>
            <p class="field-hint">{i18n.t("audit.export_hint")}</p>
            <FormAlert action=action />
            <ActionForm action=action attr:class="audit-filter">
                <OrgInputs region=region.clone() short_name=short_name.clone() />
                <input type="hidden" name="actor" value=filter.actor />
                <input type="hidden" name="action" value=filter.action />
                <input type="hidden" name="from" value=filter.from />
                <input type="hidden" name="to" value=filter.to />
                <div class="field">
                    <label for="audit-format">{i18n.t("audit.export_format")}</label>
                    <select id="audit-format" name="format">
                        <option value="csv">{i18n.t("audit.export_csv")}</option>
                        <option value="jsonl">{i18n.t("audit.export_jsonl")}</option>
                    </select>
                </div>
                <button type="submit" class="btn" aria-busy=move || action.pending().get().to_string()>{i18n.t("audit.export")}</button>
            </ActionForm>
            <ul class="audit-export-list">{items}</ul>
        </section>
    }
}

/// One export: what it holds, and its progress or its download. While it is written,
/// asked about once a second (the page loads again when it is done).
#[component]
fn ExportLine(export: AuditExport, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let progress = RwSignal::new(export.clone());
    #[cfg(feature = "hydrate")]
    if export.state.running() {
        let (id, region, short_name) = (export.id, region.clone(), short_name.clone());
        leptos::task::spawn_local(async move {
            loop {
                gloo_timers::future::TimeoutFuture::new(1_000).await;
                match super::api::get_audit_export(region.clone(), short_name.clone(), id).await {
                    Ok(e) if e.state.running() => progress.set(e),
                    Ok(_) => {
                        if let Some(window) = web_sys::window() {
                            let _ = window.location().reload();
                        }
                        break;
                    }
                    Err(_) => {}
                }
            }
        });
    }
    let _ = (&region, &short_name);
    let query = export.filter.query();
    let what = move || {
        let filter = if query.is_empty() {
            tr(i18n.locale(), "audit.export_everything")
        } else {
            query.replace('&', ", ")
        };
        tr_args(
            i18n.locale(),
            "audit.export_line",
            &[
                ("when", &export.when),
                ("format", &tr(i18n.locale(), export.format.label_key())),
                ("filter", &filter),
                ("by", &export.by),
            ],
        )
    };
    let state = move || {
        let e = progress.get();
        let (done, total) = (e.done.to_string(), e.total.unwrap_or(0).to_string());
        match e.state {
            ExportState::Queued => tr(i18n.locale(), "audit.export_queued"),
            ExportState::Running => tr_args(
                i18n.locale(),
                "audit.export_running",
                &[("done", &done), ("total", &total)],
            ),
            ExportState::Done => tr_args(
                i18n.locale(),
                "audit.export_done",
                &[
                    ("total", &done),
                    ("kb", &((e.bytes + 1023) / 1024).to_string()),
                ],
            ),
            ExportState::Failed => tr(i18n.locale(), "audit.export_failed"),
        }
    };
    let done = export.state == ExportState::Done;
    view! {
        <li data-testid="audit-export" data-state=format!("{:?}", export.state).to_lowercase()>
            <span>{what}</span>
            " "
            <span role="status">{state}</span>
            {done.then(|| view! { " " <a href=export.href.clone() download>{i18n.t("audit.export_download")}</a> })}
        </li>
    }
}
