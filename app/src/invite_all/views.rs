//! "Invite All" on the People page: the button, its confirmation (which counts whom it
//! would invite) and the progress bar while the mails go out. Works without JavaScript;
//! with it, the bar refreshes itself.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::api::{InviteAll, get_invite_all_preview};
use super::types::BatchProgress;
use crate::i18n::{tr_args, use_i18n};
use crate::ui::form::{FormAlert, OrgInputs, Submit, follow_success};

/// "Invite All" opens its confirmation (`invite_all=1` in the URL), which counts whom
/// it would invite: counting is not free, so only the open dialog does it.
#[component]
pub fn InviteAllButton(base: String, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let open = Memo::new(move |_| url.with(|q| q.get("invite_all").is_some()));
    let href = {
        let base = base.clone();
        move || {
            if open.get() {
                base.clone()
            } else {
                format!("{base}?invite_all=1")
            }
        }
    };
    view! {
        <div class="menu invite-all">
            <a class="btn" href=href aria-expanded=move || open.get().to_string()>
                {i18n.t("people.invite_all")}
            </a>
            {move || open.get().then(|| view! {
                <InviteAllDialog base=base.clone() region=region.clone() short_name=short_name.clone() />
            })}
        </div>
    }
    .into_any()
}

#[component]
fn InviteAllDialog(base: String, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<InviteAll>::new();
    follow_success(action);
    let preview = {
        let (region, short_name) = (region.clone(), short_name.clone());
        crate::wire::resource(
            || (),
            move |_| get_invite_all_preview(region.clone(), short_name.clone()),
        )
    };
    view! {
        <div class="menu-panel" role="dialog" aria-label=i18n.t("people.invite_all")>
            <Suspense fallback=|| ()>
                {move || {
                    let (base, region, short_name) = (base.clone(), region.clone(), short_name.clone());
                    Suspend::new(async move {
                        let preview = match preview.await {
                            Ok(preview) => preview,
                            Err(err) => return view! { <p class="alert alert-error" role="alert">{err.form_message(i18n.locale()).unwrap_or_default()}</p> }.into_any(),
                        };
                        if preview.never_invited == 0 {
                            return view! { <p>{i18n.t("people.invite_all_nobody")}</p> }.into_any();
                        }
                        // The server stops counting past 10,000 (its NEVER_INVITED_CAP).
                        let count = if preview.never_invited > 10_000 {
                            "10,000+".to_owned()
                        } else {
                            preview.never_invited.to_string()
                        };
                        let inactive = preview.never_invited_inactive.to_string();
                        let has_inactive = preview.never_invited_inactive > 0;
                        view! {
                            <p>{move || tr_args(i18n.locale(), "people.invite_all_confirm", &[("count", &count)])}</p>
                            {has_inactive.then(|| {
                                let inactive = inactive.clone();
                                view! { <p class="field-hint warn">{move || tr_args(i18n.locale(), "people.invite_all_inactive", &[("count", &inactive)])}</p> }
                            })}
                            <FormAlert action=action />
                            <ActionForm action=action>
                                <OrgInputs region=region.clone() short_name=short_name.clone() />
                                <Submit action=action label="people.yes" />
                                " "
                                <a class="btn btn-small" href=base.clone()>{i18n.t("people.no")}</a>
                            </ActionForm>
                        }
                        .into_any()
                    })
                }}
            </Suspense>
        </div>
    }
    .into_any()
}

/// "Invite All: N of M sent", refreshed about once a second while mails go out.
#[component]
pub fn BatchProgressBar(batch: BatchProgress, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let progress = RwSignal::new(batch);
    #[cfg(feature = "hydrate")]
    {
        let (region, short_name) = (region.clone(), short_name.clone());
        leptos::task::spawn_local(async move {
            loop {
                gloo_timers::future::TimeoutFuture::new(1_000).await;
                match super::api::get_invite_all_progress(region.clone(), short_name.clone()).await
                {
                    Ok(Some(b)) => {
                        let done = b.done();
                        progress.set(b);
                        if done {
                            // Show the list with everyone's new Welcome Sent and state.
                            if let Some(window) = web_sys::window() {
                                let _ = window.location().reload();
                            }
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {}
                }
            }
        });
    }
    let _ = (&region, &short_name);
    let text = move || {
        let b = progress.get();
        let key = if b.done() {
            "people.invite_all_done"
        } else {
            "people.invite_all_progress"
        };
        tr_args(
            i18n.locale(),
            key,
            &[
                ("sent", &b.sent.to_string()),
                ("total", &b.total.to_string()),
            ],
        )
    };
    let value = move || progress.get().sent.to_string();
    let max = move || progress.get().total.max(1).to_string();
    view! {
        <div class="batch-progress" role="status" aria-live="polite" data-testid="invite-all-progress">
            <progress value=value max=max></progress>
            <span>{text}</span>
        </div>
    }
}
