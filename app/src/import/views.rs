//! The import pages: the upload form (a plain file upload, with or without JavaScript)
//! and the dry run's report, which then imports and follows the import's progress.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{CheckImportAgain, StartImport, get_import, get_import_start, report_path};
use super::types::{ImportReport, ImportRow, ImportStart, ImportState, Outcome};
use crate::error::FieldError;
use crate::i18n::{tr, tr_args, use_i18n};
use crate::roles::Role;
use crate::ui::form::{FormAlert, OrgInputs, follow_success};
use crate::ui::org_page::{org_page, use_org_params};
use crate::ui::table::TableFrame;

/// Where the upload form posts (a plain multipart upload).
pub fn upload_path(org_home: &str) -> String {
    format!("{org_home}/people/import/upload")
}

#[component]
pub fn ImportStartPage() -> impl IntoView {
    let key = use_org_params();
    let page = crate::wire::resource(move || key.get(), |(r, s)| get_import_start(r, s));
    org_page(page, |start| view! { <ImportStartView start=start /> })
}

/// A problem with the last upload, as the upload sent it back in the address
/// (`error` is a message key of the import's, `line` and `max` its arguments).
fn upload_problem() -> Option<FieldError> {
    let query = use_query_map().get_untracked();
    let key = query
        .get("error")
        .filter(|k| k.starts_with("import.") || k.starts_with("errors."))?;
    let mut problem = FieldError::new("file", &key);
    for arg in ["line", "max"] {
        if let Some(value) = query
            .get(arg)
            .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
        {
            problem = problem.with_arg(arg, value);
        }
    }
    Some(problem)
}

#[component]
fn ImportStartView(start: ImportStart) -> impl IntoView {
    let i18n = use_i18n();
    let problem = upload_problem();
    let max = start.max_rows.to_string();
    view! {
        <section class="card import">
            <p class="eyebrow"><a href=start.org_home.clone()>{start.org_name.clone()}</a></p>
            <h1>{i18n.t("import.title")}</h1>
            <p>{i18n.t("import.intro")}</p>
            <p class="field-hint">{move || tr_args(i18n.locale(), "import.columns", &[("max", &max)])}</p>
            {problem.map(|p| view! { <div class="alert alert-error" role="alert" data-testid="import-problem">{move || p.message(i18n.locale())}</div> })}
            <form method="post" enctype="multipart/form-data" action=upload_path(&start.org_home) data-testid="import-form">
                <div class="field">
                    <label for="import-file">{i18n.t("import.file")}</label>
                    <input id="import-file" name="file" type="file" accept=".csv,text/csv" required />
                </div>
                <fieldset class="field">
                    <legend>{i18n.t("import.when_invite")}</legend>
                    <label class="check"><input type="radio" name="invite" value="now" checked /> {i18n.t("import.invite_now")}</label>
                    <label class="check"><input type="radio" name="invite" value="later" /> {i18n.t("import.invite_later")}</label>
                </fieldset>
                <button type="submit" class="btn btn-primary">{i18n.t("import.check")}</button>
            </form>
            <p><a href=format!("{}/people", start.org_home)>{i18n.t("import.back_to_people")}</a></p>
        </section>
    }
}

#[component]
pub fn ImportReportPage() -> impl IntoView {
    let key = use_org_params();
    let params = use_params_map();
    let query = use_query_map();
    let wanted = Memo::new(move |_| {
        let id = params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
        query.with(|q| {
            (
                id.unwrap_or(0),
                q.get("outcome").filter(|o| !o.is_empty()),
                q.get("after").and_then(|a| a.parse::<i32>().ok()),
            )
        })
    });
    let page = crate::wire::resource(
        move || (key.get(), wanted.get()),
        |((r, s), (id, outcome, after))| get_import(r, s, id, outcome, after),
    );
    org_page(page, move |report| {
        let (region, short_name) = key.get_untracked();
        view! { <ImportReportView report=report region=region short_name=short_name /> }
    })
}

#[component]
fn ImportReportView(report: ImportReport, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let base = report_path(&region, &short_name, report.id);
    let to_add = report.count(Outcome::Add);
    let totals = report
        .counts
        .iter()
        .map(|(outcome, n)| {
            let key = outcome.label_key();
            let href = format!("{base}?outcome={}", outcome.code());
            view! {
                <div data-outcome=outcome.code()>
                    <dt><a href=href>{move || tr(i18n.locale(), key)}</a></dt>
                    <dd>{n.to_string()}</dd>
                </div>
            }
        })
        .collect_view();
    let chosen = report.outcome.map(Outcome::code).unwrap_or_default();
    let options = Outcome::ALL
        .into_iter()
        .map(|o| {
            let key = o.label_key();
            view! { <option value=o.code() selected=chosen == o.code()>{move || tr(i18n.locale(), key)}</option> }
        })
        .collect_view();
    let rows = report
        .rows
        .iter()
        .cloned()
        .map(|row| view! { <RowLine row=row /> })
        .collect_view();
    let next = report.next.map(|after| {
        let outcome = report
            .outcome
            .map(|o| format!("outcome={}&", o.code()))
            .unwrap_or_default();
        format!("{base}?{outcome}after={after}")
    });
    let mode = if report.invite_now {
        "import.mode_now"
    } else {
        "import.mode_later"
    };
    let summary = {
        let (file, total) = (report.file_name.clone(), report.total.to_string());
        move || {
            tr_args(
                i18n.locale(),
                "import.summary",
                &[("file", &file), ("total", &total)],
            )
        }
    };
    let rejected = report.rejected();
    view! {
        <section class="card import">
            <p class="eyebrow"><a href=report.org_home.clone()>{report.org_name.clone()}</a></p>
            <h1>{i18n.t("import.report_title")}</h1>
            <p data-testid="import-summary">{summary} " " {i18n.t(mode)}</p>
            <ImportStateBox report=report.clone() region=region.clone() short_name=short_name.clone() to_add=to_add />
            <h2>{i18n.t("import.totals")}</h2>
            <dl class="import-totals" data-testid="import-totals">{totals}</dl>
            {(rejected > 0).then(|| view! {
                <p><a class="btn btn-small" href=format!("{base}/rejected.csv") download data-testid="rejected-csv">{i18n.t("import.download_rejected")}</a></p>
            })}
            <form method="get" action=base.clone() class="audit-filter">
                <div class="field">
                    <label for="import-outcome">{i18n.t("import.show")}</label>
                    <select id="import-outcome" name="outcome">
                        <option value="">{i18n.t("import.all_rows")}</option>
                        {options}
                    </select>
                </div>
                <button type="submit" class="btn">{i18n.t("audit.apply")}</button>
            </form>
            <TableFrame label=i18n.t("import.rows")>
            <table class="table import-rows" data-testid="import-rows">
                <thead>
                    <tr>
                        <th>{i18n.t("import.column_line")}</th>
                        <th>{i18n.t("import.column_name")}</th>
                        <th>{i18n.t("import.column_email")}</th>
                        <th>{i18n.t("import.column_role")}</th>
                        <th>{i18n.t("import.column_outcome")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            </TableFrame>
            {next.map(|href| view! { <p><a href=href rel="next" data-testid="more-rows">{i18n.t("import.more_rows")}</a></p> })}
            <p><a href=format!("{}/people", report.org_home)>{i18n.t("import.back_to_people")}</a></p>
        </section>
    }
}

#[component]
fn RowLine(row: ImportRow) -> impl IntoView {
    let i18n = use_i18n();
    let valid = !matches!(row.outcome, Outcome::Invalid);
    let role = row.role.clone();
    let role = move || match Role::from_code(&role).filter(|_| valid) {
        Some(r) => tr(i18n.locale(), r.label_key()),
        None => role.clone(),
    };
    let class = if row.outcome.rejected() {
        "rejected"
    } else {
        ""
    };
    let (line, name, email, code) = (
        row.line.to_string(),
        row.name.clone(),
        row.email.clone(),
        row.outcome.code(),
    );
    let reason = move || row.reason(i18n.locale());
    view! {
        <tr class=class data-outcome=code>
            <td>{line}</td>
            <td class="long">{name}</td>
            <td class="long">{email}</td>
            <td>{role}</td>
            <td class="long">{reason}</td>
        </tr>
    }
}

/// What can be done with the import now: import it, follow it, or see what happened.
#[component]
fn ImportStateBox(
    report: ImportReport,
    region: String,
    short_name: String,
    to_add: i64,
) -> impl IntoView {
    let i18n = use_i18n();
    let start = ServerAction::<StartImport>::new();
    let again = ServerAction::<CheckImportAgain>::new();
    follow_success(start);
    follow_success(again);
    let id = report.id.to_string();
    let check_again = {
        let (region, short_name, id) = (region.clone(), short_name.clone(), id.clone());
        move || {
            view! {
                <FormAlert action=again />
                <ActionForm action=again>
                    <OrgInputs region=region.clone() short_name=short_name.clone() />
                    <input type="hidden" name="id" value=id.clone() />
                    <button type="submit" class="btn">{i18n.t("import.check_again")}</button>
                </ActionForm>
            }
        }
    };
    let n = to_add.to_string();
    match report.state {
        ImportState::Checked if to_add > 0 => {
            let label = if report.invite_now { "import.import_and_invite" } else { "import.import_only" };
            view! {
                <div class="import-next" data-testid="import-next">
                    <p>{i18n.t("import.nothing_written")}</p>
                    <FormAlert action=start />
                    <ActionForm action=start>
                        <OrgInputs region=region.clone() short_name=short_name.clone() />
                        <input type="hidden" name="id" value=id.clone() />
                        <button type="submit" class="btn btn-primary" data-testid="import-button" aria-busy=move || start.pending().get().to_string()>
                            {move || tr_args(i18n.locale(), label, &[("count", &n)])}
                        </button>
                    </ActionForm>
                    {check_again()}
                </div>
            }
            .into_any()
        }
        ImportState::Checked => view! {
            <div class="import-next" data-testid="import-next">
                <p class="alert alert-info">{i18n.t("import.nothing_to_add")}</p>
                {check_again()}
            </div>
        }
        .into_any(),
        ImportState::Queued | ImportState::Importing => view! {
            <ImportProgressBar region=region id=report.id short_name=short_name done=report.done to_add=to_add />
        }
        .into_any(),
        ImportState::Imported => {
            let key = if report.invite_now { "import.imported_invited" } else { "import.imported" };
            let done = report.done.to_string();
            view! {
                <div class="alert alert-success" role="status" data-testid="import-done">
                    {move || tr_args(i18n.locale(), key, &[("count", &done)])}
                </div>
            }
            .into_any()
        }
        ImportState::Failed => {
            let problem = report.problem.clone();
            view! {
                <div class="import-next" data-testid="import-failed">
                    <div class="alert alert-error" role="alert">
                        {move || problem.as_ref().map(|p| p.message(i18n.locale())).unwrap_or_default()}
                        " " {i18n.t("import.nothing_was_written")}
                    </div>
                    {check_again()}
                </div>
            }
            .into_any()
        }
    }
}

/// "Imported N of M", refreshed about once a second; the page loads again when done.
/// Without JavaScript, a link loads it again.
#[component]
fn ImportProgressBar(
    region: String,
    short_name: String,
    id: i64,
    done: i64,
    to_add: i64,
) -> impl IntoView {
    let i18n = use_i18n();
    let done = RwSignal::new(done);
    #[cfg(feature = "hydrate")]
    {
        let (region, short_name) = (region.clone(), short_name.clone());
        leptos::task::spawn_local(async move {
            loop {
                gloo_timers::future::TimeoutFuture::new(1_000).await;
                match super::api::get_import_progress(region.clone(), short_name.clone(), id).await
                {
                    Ok(p) if p.state.running() => done.set(p.done),
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
    let here = report_path(&region, &short_name, id);
    let text = move || {
        tr_args(
            i18n.locale(),
            "import.progress",
            &[
                ("done", &done.get().to_string()),
                ("total", &to_add.to_string()),
            ],
        )
    };
    view! {
        <div class="batch-progress" role="status" aria-live="polite" data-testid="import-progress">
            <progress value=move || done.get().to_string() max=to_add.max(1).to_string()></progress>
            <span>{text}</span>
            " "
            <a href=here>{i18n.t("import.refresh")}</a>
        </div>
    }
}
