//! The Sessions page.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::api::{EndOtherSessions, EndSession, get_sessions};
use crate::auth::types::SessionView;
use crate::error::AppError;
use crate::i18n::{tr, use_i18n};
use crate::ui::form::{FormAlert, follow_success};
use crate::ui::prompt::SignInPrompt;
use crate::ui::table::TableFrame;

/// "2026-12-04T09:44:49Z" as "2026-12-04 09:44 UTC": the same on the server and in the
/// browser, so the page hydrates as it was rendered.
fn when(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}

#[component]
pub fn SessionsPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let ended = move || query.with(|q| q.get("ended").is_some());
    let sessions = crate::wire::resource(|| (), |_| get_sessions());
    let end = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    follow_success(end);
    follow_success(end_others);
    view! {
        <section class="card sessions" data-page="sessions">
            <h1>{i18n.t("sessions.title")}</h1>
            <p class="muted">{i18n.t("sessions.intro")}</p>
            <Show when=ended>
                <div class="alert alert-success" role="status">{i18n.t("sessions.ended_others")}</div>
            </Show>
            <FormAlert action=end />
            <FormAlert action=end_others />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = match sessions.await {
                        Ok(list) => list,
                        Err(AppError::Unauthenticated) => return view! { <SignInPrompt /> }.into_any(),
                        Err(err) => {
                            let message = err.form_message(i18n.locale());
                            return view! { <div class="alert alert-error" role="alert">{message}</div> }.into_any();
                        }
                    };
                    let others = list.iter().filter(|s| !s.current).count();
                    let rows = list.into_iter().map(|s| session_row(s, end)).collect_view();
                    view! {
                        <TableFrame label=i18n.t("sessions.title")>
                        <table class="table sessions-table">
                            <thead>
                                <tr>
                                    <th scope="col">{i18n.t("sessions.browser")}</th>
                                    <th scope="col">{i18n.t("sessions.address")}</th>
                                    <th scope="col">{i18n.t("sessions.started")}</th>
                                    <th scope="col">{i18n.t("sessions.last_seen")}</th>
                                    <th scope="col"><span class="visually-hidden">{i18n.t("sessions.actions")}</span></th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                        </TableFrame>
                        <Show when=move || { others > 0 }>
                            <ActionForm action=end_others>
                                <button type="submit" class="btn">{i18n.t("sessions.end_others")}</button>
                            </ActionForm>
                        </Show>
                    }
                    .into_any()
                })}
            </Suspense>
        </section>
    }
}

fn session_row(s: SessionView, end: ServerAction<EndSession>) -> impl IntoView {
    let i18n = use_i18n();
    let browser = if s.browser.is_empty() {
        tr(i18n.locale(), "sessions.unknown_browser")
    } else {
        s.browser.clone()
    };
    let label = browser.clone();
    let action = if s.current {
        view! { <span class="badge">{i18n.t("sessions.this_browser")}</span> }.into_any()
    } else {
        view! {
            <ActionForm action=end>
                <input type="hidden" name="session_id" value=s.id.to_string() />
                <button
                    type="submit"
                    class="btn btn-small"
                    aria-label=move || format!("{}: {}", tr(i18n.locale(), "sessions.end"), label)
                >
                    {i18n.t("sessions.end")}
                </button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <tr data-testid="session" class:current=s.current>
            <td class="long">{browser}</td>
            <td>{s.address.clone()}</td>
            <td>{when(&s.started)}</td>
            <td>{when(&s.last_seen)}</td>
            <td>{action}</td>
        </tr>
    }
}
