//! After "Activate Now": the job's live progress, then the finished organization.

use leptos::prelude::*;

use super::WizardHeader;
use crate::activation::api::RetryActivation;
#[cfg(feature = "hydrate")]
use crate::activation::api::get_activation_progress;
use crate::activation::types::{
    JobStatus, JobStep, JobView, SessionMatch, StepState, Wizard, wizard_path,
};
use crate::auth::api::SignIn;
use crate::auth::types::check_email;
use crate::i18n::{tr, tr_args, use_i18n};
use crate::ui::form::{Field, FormAlert, Submit, field_errors, follow_success};

/// The job's progress: rendered on the server from the page's data, then (hydrated)
/// polled about once a second while it runs. Without JavaScript the page refreshes itself.
pub(super) fn live_progress(token: String, initial: Option<JobView>) -> RwSignal<Option<JobView>> {
    let job = RwSignal::new(initial);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let token = token.clone();
        leptos::task::spawn_local(async move {
            loop {
                let running = job
                    .get_untracked()
                    .is_none_or(|j| j.status == JobStatus::Running);
                if !running {
                    break;
                }
                gloo_timers::future::TimeoutFuture::new(1_000).await;
                if let Ok(latest) = get_activation_progress(token.clone()).await {
                    job.set(latest);
                }
            }
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = token;
    job
}

/// One stable list item per step; only classes and texts change as the job advances, so
/// nothing is re-created while the page is live.
#[component]
pub(super) fn ProgressList(
    job: RwSignal<Option<JobView>>,
    only: &'static [JobStep],
) -> impl IntoView {
    let i18n = use_i18n();
    let items = only
        .iter()
        .copied()
        .map(|step| {
            let state = Memo::new(move |_| {
                job.with(|j| {
                    j.as_ref()
                        .and_then(|j| j.steps.iter().find(|(s, _)| *s == step).map(|(_, st)| *st))
                        .unwrap_or(StepState::Waiting)
                })
            });
            let class = move || match state.get() {
                StepState::Done => "job-step done",
                StepState::Running => "job-step running",
                StepState::Retrying => "job-step retrying",
                StepState::Failed => "job-step failed",
                StepState::Waiting => "job-step waiting",
            };
            let label = move || {
                let key = match state.get() {
                    StepState::Done => "activation.state_done",
                    StepState::Running => "activation.state_running",
                    StepState::Retrying => "activation.state_retrying",
                    StepState::Failed => "activation.state_failed",
                    StepState::Waiting => "activation.state_waiting",
                };
                tr(i18n.locale(), key)
            };
            view! {
                <li class=class data-job-step=step.code()>
                    <span class="job-step-icon" aria-hidden="true"></span>
                    <span class="job-step-label">{i18n.t(step.label_key())}</span>
                    <span class="job-step-state">{label}</span>
                </li>
            }
        })
        .collect_view();
    view! { <ol class="job-steps" aria-live="polite">{items}</ol> }
}

/// The steps of `job` named in `only`, updated live, and what to do if the job failed.
#[component]
pub(super) fn LiveJob(
    job: RwSignal<Option<JobView>>,
    token: String,
    only: &'static [JobStep],
) -> impl IntoView {
    let i18n = use_i18n();
    let retry = ServerAction::<RetryActivation>::new();
    follow_success(retry);
    let running = Memo::new(move |_| {
        job.with(|j| j.as_ref().is_some_and(|j| j.status == JobStatus::Running))
    });
    let failed_id = Memo::new(move |_| {
        job.with(|j| {
            j.as_ref()
                .filter(|j| j.status == JobStatus::Failed)
                .map(|j| j.organization_id.clone())
        })
    });
    let token = StoredValue::new(token);
    view! {
        <ProgressList job=job only=only />
        {move || running.get().then(|| view! { <div hidden=true inner_html=r#"<noscript><meta http-equiv="refresh" content="2"></noscript>"#></div> })}
        {move || failed_id.get().map(|id| view! {
            <div class="alert alert-error" role="alert" data-testid="activation-failed">
                <p><strong>{i18n.t("activation.failed_title")}</strong></p>
                <p>{i18n.t("activation.failed_body")}</p>
                <p>{i18n.t("activation.organization_id")} ": " <code class="org-id">{id}</code></p>
                <crate::ui::reference::RequestReference />
                <p>{i18n.t("activation.failed_support")}</p>
            </div>
            <ActionForm action=retry>
                <input type="hidden" name="token" value=token.get_value() />
                <Submit action=retry label="activation.try_again" />
            </ActionForm>
        })}
    }
}

pub(super) fn step_done(job: RwSignal<Option<JobView>>, step: JobStep) -> Memo<bool> {
    Memo::new(move |_| job.with(|j| j.as_ref().is_some_and(|j| j.is_done(step))))
}

#[component]
pub(super) fn ProgressPage(wizard: Wizard, token: String) -> impl IntoView {
    let i18n = use_i18n();
    let progress = live_progress(token.clone(), wizard.job.clone());
    // Ready when activation has completed, every step, not when the organization row
    // exists: until then there is nothing to sign in to.
    let org_ready = Memo::new(move |_| {
        progress.with(|j| j.as_ref().is_some_and(|j| j.status == JobStatus::Done))
    });
    let owner_email = wizard.owner.clone().map(|o| o.email).unwrap_or_default();
    let signed_in = wizard.session == SessionMatch::Owner;
    let complete = wizard_path(&token, "complete");
    view! {
        <section class="card wizard-card" data-step="progress">
            <WizardHeader wizard=wizard.clone() />
            <h2>{i18n.t("activation.progress_title")}</h2>
            <p class="muted">{i18n.t("activation.progress_intro")}</p>
            <LiveJob job=progress token=token.clone() only=&JobStep::ALL />
            <Show when=move || org_ready.get()>
                <div class="ready" data-testid="org-ready">
                    <h2>{i18n.t("activation.ready_title")}</h2>
                    {if signed_in {
                        view! { <p><a class="btn btn-primary" href=complete.clone()>{i18n.t("activation.continue")}</a></p> }.into_any()
                    } else {
                        view! {
                            <p>{i18n.t("activation.ready_sign_in")}</p>
                            <WizardSignIn email=owner_email.clone() next=complete.clone() />
                        }
                        .into_any()
                    }}
                </div>
            </Show>
        </section>
    }
}

#[component]
pub(super) fn WizardSignIn(email: String, next: String) -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    follow_success(action);
    view! {
        <FormAlert action=action />
        <ActionForm action=action>
            <input type="hidden" name="next" value=next />
            <Field name="email" label="auth.email" kind="email" autocomplete="username" errors=field_errors(action, "email") check=check_email value=email />
            <Field name="password" label="auth.password" kind="password" autocomplete="current-password" errors=field_errors(action, "password") />
            <Submit action=action label="activation.log_in" />
        </ActionForm>
    }
}

pub(super) const SETUP_STEPS: [JobStep; 4] = [
    JobStep::ActivateFeatures,
    JobStep::CustomizeBilling,
    JobStep::SendInvitations,
    JobStep::SendWelcome,
];

#[component]
pub(super) fn CompletePage(wizard: Wizard, token: String) -> impl IntoView {
    let i18n = use_i18n();
    if wizard.session != SessionMatch::Owner {
        return view! { <ProgressPage wizard=wizard token=token /> }.into_any();
    }
    let progress = live_progress(token.clone(), wizard.job.clone());
    let finished = step_done(progress, JobStep::SendWelcome);
    let home = wizard
        .org
        .as_ref()
        .map(|o| o.home.clone())
        .unwrap_or_else(|| "/".into());
    let trial = wizard.trial;
    let org = StoredValue::new(wizard.org.clone());
    view! {
        <section class="card wizard-card" data-step="complete">
            <WizardHeader wizard=wizard.clone() />
            <Show
                when=move || finished.get()
                fallback=move || view! {
                    <h2>{i18n.t("activation.setting_up_title")}</h2>
                    <p class="muted">{i18n.t("activation.setting_up_intro")}</p>
                }
            >
                <h2 data-testid="setup-complete">{i18n.t("activation.setup_complete")}</h2>
                <p>
                    {move || org.with_value(|org| org.as_ref().map(|o| tr_args(i18n.locale(), "activation.setup_complete_body", &[("org", &o.name), ("short_name", &o.short_name)])))}
                </p>
                <p class="muted">
                    {move || if trial { tr(i18n.locale(), "activation.trial_notice") } else { tr(i18n.locale(), "activation.billing_ready") }}
                </p>
            </Show>
            <LiveJob job=progress token=token.clone() only=&SETUP_STEPS />
            <Show when=move || finished.get()>
                <p><a class="btn btn-primary" href=home.clone()>{i18n.t("activation.continue")}</a></p>
            </Show>
        </section>
    }
    .into_any()
}

#[component]
pub(super) fn AlreadyActivated(wizard: Wizard, token: String) -> impl IntoView {
    let i18n = use_i18n();
    let _ = token;
    let org = wizard.org.clone();
    let owner = wizard.session == SessionMatch::Owner;
    view! {
        <section class="card auth-card" data-step="already-activated">
            <h1>{i18n.t("activation.already_title")}</h1>
            <div class="alert alert-info" role="status">
                {move || org.as_ref().map(|o| tr_args(i18n.locale(), "activation.already_body", &[("org", &o.name), ("short_name", &o.short_name)]))}
            </div>
            {match (owner, wizard.org.clone()) {
                (true, Some(org)) => view! { <p><a class="btn btn-primary" href=org.home>{i18n.t("activation.go_to_org")}</a></p> }.into_any(),
                _ => view! { <p><a class="btn btn-primary" href="/signin">{i18n.t("auth.sign_in")}</a></p> }.into_any(),
            }}
        </section>
    }
}
