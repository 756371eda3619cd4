//! The notification bell in the top bar and `/notifications`, where an invitation gets its
//! final prompt (Join / Decline). Without JavaScript the bell's menu and the page still
//! work; with it, the count follows `/events` live and falls back to a timer when the
//! stream drops.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::api::{DeclineInvitation, DismissNote, JoinOrganization, get_notifications};
use super::types::{Notifications, PendingInvitation};
use crate::i18n::{tr, tr_args, use_i18n};
use crate::notes::Note;
use crate::orgs::api::AnswerOwnership;
use crate::orgs::types::OwnershipOffer;
use crate::ui::form::{FormAlert, follow_success};
use crate::ui::prompt::SignInPrompt;

/// "<org> invited you as <role>", in the reader's language.
pub fn invited_text(locale: crate::i18n::Locale, inv: &PendingInvitation) -> String {
    let role = tr(locale, inv.role.label_key());
    tr_args(
        locale,
        "notifications.invited_you",
        &[("org", &inv.org_name), ("role", &role)],
    )
}

/// "<who> offers you ownership of <org>", in the reader's language.
pub fn offer_text(locale: crate::i18n::Locale, offer: &OwnershipOffer) -> String {
    tr_args(
        locale,
        "notifications.ownership_offer",
        &[("who", &offer.from), ("org", &offer.org_name)],
    )
}

/// A note ("<who> left <org>."), in the reader's language.
pub fn note_text(locale: crate::i18n::Locale, note: &Note) -> String {
    tr_args(
        locale,
        note.kind.text_key(),
        &[("who", &note.who), ("org", &note.org_name)],
    )
}

/// A bell drawn in SVG (no emoji font needed).
fn bell_icon() -> AnyView {
    view! {
        <svg class="bell-icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
            <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1z" />
        </svg>
    }
    .into_any()
}

/// The bell, seeded with the pending invitations loaded with the page.
#[component]
pub fn Bell(initial: Vec<PendingInvitation>) -> impl IntoView {
    let initial = Notifications {
        invitations: initial,
        ..Default::default()
    };
    view! { <BellMenu initial=initial /> }
}

#[component]
fn BellMenu(initial: Notifications) -> impl IntoView {
    let i18n = use_i18n();
    let notes = RwSignal::new(initial);
    // The session ended (signed out in another tab): the bell stops and the page says so.
    let signed_out = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    live::follow(notes, signed_out);
    let count = move || notes.with(|n| n.unread());
    let badge_class = move || {
        if count() > 0 {
            "badge badge-on"
        } else {
            "badge"
        }
    };
    let label = move || {
        tr_args(
            i18n.locale(),
            "notifications.unread",
            &[("count", &count().to_string())],
        )
    };
    view! {
        <details class="menu bell">
            <summary class="icon-button" aria-label=label data-testid="bell">
                {bell_icon()}
                <span class=badge_class data-testid="bell-count">{count}</span>
            </summary>
            <div class="menu-panel" role="group" aria-label=i18n.t("nav.notifications")>
                {move || {
                    let all = notes.get();
                    if all.unread() == 0 {
                        view! { <p class="menu-note">{i18n.t("nav.no_notifications")}</p> }.into_any()
                    } else {
                        view! {
                            <ul class="menu-list">
                                {all.offers.into_iter().map(|offer| {
                                    let href = format!("/notifications?offer={}", offer.id);
                                    view! { <li><a href=href>{move || offer_text(i18n.locale(), &offer)}</a></li> }
                                }).collect_view()}
                                {all.invitations.into_iter().map(|inv| {
                                    let href = format!("/notifications?invitation={}", inv.id);
                                    view! { <li><a href=href>{move || invited_text(i18n.locale(), &inv)}</a></li> }
                                }).collect_view()}
                                {all.notes.into_iter().map(|note| {
                                    view! { <li><a href="/notifications">{move || note_text(i18n.locale(), &note)}</a></li> }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                }}
                <p><a href="/notifications">{i18n.t("notifications.see_all")}</a></p>
            </div>
        </details>
        <Show when=move || signed_out.get()>
            <p class="alert alert-info signed-out-note" role="status">
                {i18n.t("notifications.signed_out_elsewhere")}" "
                <a href="/signin">{i18n.t("notifications.sign_in_again")}</a>
            </p>
        </Show>
    }
}

#[cfg(feature = "hydrate")]
mod live {
    use std::cell::Cell;
    use std::rc::Rc;

    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::EventSource;

    use super::super::api::get_notifications;
    use super::super::types::Notifications;

    /// How often to look again while the event stream is down.
    const POLL_MS: u32 = 3_000;

    pub fn follow(notes: RwSignal<Notifications>, signed_out: RwSignal<bool>) {
        let refresh = move || {
            leptos::task::spawn_local(async move {
                match get_notifications().await {
                    Ok(Some(fresh)) => notes.set(fresh),
                    Ok(None) => signed_out.set(true),
                    Err(_) => {}
                }
            })
        };
        let Ok(source) = EventSource::new("/events") else {
            poll_while_down(None, Rc::new(Cell::new(false)), signed_out, refresh);
            return;
        };
        let on_change = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| refresh());
        let _ = source
            .add_event_listener_with_callback("invitations", on_change.as_ref().unchecked_ref());
        on_change.forget();
        // The session ended: no reconnecting (it would be refused), no more polling.
        let closing = source.clone();
        let on_signed_out = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            closing.close();
            signed_out.set(true);
        });
        let _ = source
            .add_event_listener_with_callback("signed_out", on_signed_out.as_ref().unchecked_ref());
        on_signed_out.forget();
        // Back after a drop: events may have been missed, so look once.
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| refresh());
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();
        let polling = Rc::new(Cell::new(false));
        let watched = source.clone();
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            poll_while_down(Some(watched.clone()), polling.clone(), signed_out, refresh);
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
    }

    /// Refreshes on a timer until the stream is open again (EventSource reconnects by
    /// itself); with no stream at all, until the session ends.
    fn poll_while_down(
        source: Option<EventSource>,
        polling: Rc<Cell<bool>>,
        signed_out: RwSignal<bool>,
        refresh: impl Fn() + 'static,
    ) {
        if polling.replace(true) {
            return;
        }
        leptos::task::spawn_local(async move {
            loop {
                gloo_timers::future::TimeoutFuture::new(POLL_MS).await;
                if signed_out.get_untracked() {
                    if let Some(source) = &source {
                        source.close();
                    }
                    break;
                }
                refresh();
                if source
                    .as_ref()
                    .is_some_and(|s| s.ready_state() == EventSource::OPEN)
                {
                    break;
                }
            }
            polling.set(false);
        });
    }
}

/// `/notifications`: every pending invitation with its final prompt, Join or Decline.
#[component]
pub fn NotificationsPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let chosen = move || query.with(|q| q.get("invitation").and_then(|v| v.parse::<i64>().ok()));
    let notes = crate::wire::resource(|| (), |_| get_notifications());
    let join = ServerAction::<JoinOrganization>::new();
    let decline = ServerAction::<DeclineInvitation>::new();
    let answer = ServerAction::<AnswerOwnership>::new();
    let dismiss = ServerAction::<DismissNote>::new();
    follow_success(join);
    follow_success(decline);
    follow_success(answer);
    follow_success(dismiss);
    view! {
        <section class="card notifications" data-page="notifications">
            <h1>{i18n.t("nav.notifications")}</h1>
            <FormAlert action=join />
            <FormAlert action=decline />
            <FormAlert action=answer />
            <FormAlert action=dismiss />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let all = match notes.await {
                        Ok(Some(notes)) => notes,
                        Ok(None) => return view! { <SignInPrompt /> }.into_any(),
                        Err(err) => {
                            let message = err.form_message(i18n.locale());
                            return view! { <div class="alert alert-error" role="alert">{message}</div> }.into_any();
                        }
                    };
                    if all.unread() == 0 {
                        return view! { <p>{i18n.t("nav.no_notifications")}</p> }.into_any();
                    }
                    let offers = all.offers.into_iter().map(|offer| {
                        let (id_yes, id_no) = (offer.id.to_string(), offer.id.to_string());
                        let role = offer.role_after;
                        let from = offer.from.clone();
                        let text = {
                            let offer = offer.clone();
                            move || offer_text(i18n.locale(), &offer)
                        };
                        view! {
                            <article class="invitation-prompt" data-testid="ownership-offer">
                                <h2>{text}</h2>
                                <p class="muted">
                                    {move || tr_args(i18n.locale(), "notifications.ownership_offer_detail", &[("who", &from), ("role", &tr(i18n.locale(), role.label_key()))])}
                                </p>
                                <div class="actions">
                                    <ActionForm action=answer>
                                        <input type="hidden" name="offer_id" value=id_yes />
                                        <input type="hidden" name="accept" value="yes" />
                                        <button type="submit" class="btn btn-primary">{i18n.t("notifications.accept_ownership")}</button>
                                    </ActionForm>
                                    <ActionForm action=answer>
                                        <input type="hidden" name="offer_id" value=id_no />
                                        <input type="hidden" name="accept" value="no" />
                                        <button type="submit" class="btn">{i18n.t("notifications.decline_ownership")}</button>
                                    </ActionForm>
                                </div>
                            </article>
                        }
                    }).collect_view();
                    let news = all.notes.into_iter().map(|note| {
                        let id = note.id.to_string();
                        let when = note.when.clone();
                        let text = {
                            let note = note.clone();
                            move || note_text(i18n.locale(), &note)
                        };
                        view! {
                            <article class="note" data-testid="note">
                                <p>{text} " " <span class="muted">{when}</span></p>
                                <ActionForm action=dismiss>
                                    <input type="hidden" name="note_id" value=id />
                                    <button type="submit" class="btn btn-small">{i18n.t("notifications.dismiss")}</button>
                                </ActionForm>
                            </article>
                        }
                    }).collect_view();
                    let chosen = chosen();
                    let invitations = all.invitations.into_iter().map(|inv| {
                        let id = inv.id.to_string();
                        let focus = chosen == Some(inv.id);
                        let inviter = inv.inviter.clone().unwrap_or_default();
                        let expires = inv.expires.clone();
                        let text = {
                            let inv = inv.clone();
                            move || invited_text(i18n.locale(), &inv)
                        };
                        let (id_join, id_decline) = (id.clone(), id);
                        view! {
                            <article class="invitation-prompt" class:chosen=focus data-testid="invitation-prompt">
                                <h2>{text}</h2>
                                <p class="muted">
                                    {move || tr_args(i18n.locale(), "notifications.detail", &[("inviter", &inviter), ("date", &expires)])}
                                </p>
                                <p>{i18n.t("notifications.confirm")}</p>
                                <div class="actions">
                                    <ActionForm action=join>
                                        <input type="hidden" name="invitation_id" value=id_join.clone() />
                                        <button type="submit" class="btn btn-primary">{i18n.t("notifications.join")}</button>
                                    </ActionForm>
                                    <ActionForm action=decline>
                                        <input type="hidden" name="invitation_id" value=id_decline.clone() />
                                        <button type="submit" class="btn">{i18n.t("notifications.decline")}</button>
                                    </ActionForm>
                                </div>
                            </article>
                        }
                    }).collect_view();
                    view! { {offers} {invitations} {news} }.into_any()
                })}
            </Suspense>
        </section>
    }
}
