//! The activation wizard's pages, at `/activate/<token>[/<page>]`.
//!
//! Every step is rendered on the server from the saved progress, so a refresh, a closed
//! tab or the back button lands on a page that matches the database. Forms are
//! `ActionForm`s: they work without JavaScript and validate live once hydrated.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

#[cfg(feature = "hydrate")]
use super::api::get_activation_progress;
use super::api::{
    AcceptOwnerClaim, ActivateNow, AddInvite, ChooseRegion, FinishInvites, RemoveInvite,
    RetryActivation, SaveAccount, SignOutForActivation, get_owner_claim, get_wizard,
    preview_short_name,
};
use super::types::{
    JobStatus, JobStep, JobView, SessionMatch, StepState, Wizard, WizardStep, check_company_name,
    wizard_path,
};
use crate::auth::api::SignIn;
use crate::auth::types::{check_email, check_name};
use crate::error::{AppError, FieldError};
use crate::i18n::{tr, tr_args, use_i18n};
use crate::regions::{REGIONS, region};
use crate::ui::form::{
    Field, FormAlert, NewPasswordField, RoleSelect, Submit, field_errors, follow_success,
};

fn check_company(v: &str) -> Option<FieldError> {
    check_company_name(v).err()
}

/// Which page of the wizard the URL asks for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Page {
    Step(WizardStep),
    Progress,
    Complete,
    /// Where the holder of an account named as owner agrees (from the mailed link).
    OwnerClaim,
    Default,
}

fn page_of(slug: Option<String>) -> Page {
    match slug.as_deref() {
        Some("progress") => Page::Progress,
        Some("complete") => Page::Complete,
        Some("owner") => Page::OwnerClaim,
        Some(s) => WizardStep::from_code(s)
            .filter(|s| WizardStep::EDITABLE.contains(s))
            .map(Page::Step)
            .unwrap_or(Page::Default),
        None => Page::Default,
    }
}

#[component]
pub fn ActivatePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let token = Memo::new(move |_| params.with(|p| p.get("token").unwrap_or_default()));
    let page = Memo::new(move |_| page_of(params.with(|p| p.get("page"))));
    if page.get_untracked() == Page::OwnerClaim {
        return view! { <OwnerClaimPage token=token.get_untracked() /> }.into_any();
    }
    let wizard = Resource::new(move || (token.get(), page.get()), |(t, _)| get_wizard(t));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let token = token.get_untracked();
                match wizard.await {
                    Ok(w) => view! { <WizardPage wizard=w token=token page=page.get_untracked() /> }.into_any(),
                    Err(err) => view! { <LinkProblem err=err /> }.into_any(),
                }
            })}
        </Suspense>
        <p class="sr-only">{i18n.t("activation.title")}</p>
    }
    .into_any()
}

/// The page of the owner-claim mail: the account's holder agrees to own the
/// organization being activated (one click, works without JavaScript). Afterwards
/// (`?done=1`) it says so, read back from the wizard itself.
#[component]
fn OwnerClaimPage(token: String) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let key = query.with_untracked(|q| q.get("key").unwrap_or_default());
    let done = query.with_untracked(|q| q.get("done").is_some());
    let action = ServerAction::<AcceptOwnerClaim>::new();
    follow_success(action);
    let claim_token = token.clone();
    let claim = Resource::new(
        move || (),
        move |()| {
            let (token, key) = (claim_token.clone(), key.clone());
            async move {
                if done {
                    get_wizard(token).await.map(Err)
                } else {
                    get_owner_claim(token, key).await.map(Ok)
                }
            }
        },
    );
    let key = query.with_untracked(|q| q.get("key").unwrap_or_default());
    view! {
        <section class="card auth-card" data-page="owner-claim">
            <Suspense fallback=|| ()>
                {move || {
                    let (token, key) = (token.clone(), key.clone());
                    Suspend::new(async move {
                        match claim.await {
                            Ok(Ok(view)) => {
                                let args = [("org", view.company.as_str()), ("claimant", view.claimant.as_str()), ("email", view.email.as_str())];
                                let title = tr_args(i18n.locale(), "activation.owner_claim_title", &args);
                                let intro = tr_args(i18n.locale(), "activation.owner_claim_intro", &args);
                                let invites = if view.invites.is_empty() {
                                    view! { <p>{i18n.t("activation.owner_claim_no_invites")}</p> }.into_any()
                                } else {
                                    let rows = view
                                        .invites
                                        .iter()
                                        .map(|inv| {
                                            let role = inv.role;
                                            view! {
                                                <li class="invite-row">
                                                    <span class="invite-email">{inv.email.clone()}</span>
                                                    <span class="badge-role">{move || tr(i18n.locale(), role.label_key())}</span>
                                                </li>
                                            }
                                        })
                                        .collect_view();
                                    view! {
                                        <p>{tr_args(i18n.locale(), "activation.owner_claim_invites", &args)}</p>
                                        <ul class="invite-list">{rows}</ul>
                                    }
                                    .into_any()
                                };
                                let note = tr_args(i18n.locale(), "activation.owner_claim_invites_note", &args);
                                view! {
                                    <h1>{title}</h1>
                                    <p>{intro}</p>
                                    {invites}
                                    <p class="hint">{note}</p>
                                    <FormAlert action=action />
                                    <ActionForm action=action>
                                        <input type="hidden" name="token" value=token />
                                        <input type="hidden" name="key" value=key />
                                        <Submit action=action label="activation.owner_claim_confirm" />
                                    </ActionForm>
                                }
                                .into_any()
                            }
                            Ok(Err(wizard)) if wizard.owner.as_ref().is_some_and(|o| o.verified) => {
                                let org = wizard.company_name.clone();
                                view! {
                                    <div class="alert alert-success" role="status">
                                        {move || tr_args(i18n.locale(), "activation.owner_claim_done", &[("org", &org)])}
                                    </div>
                                    <p><a href="/signin">{i18n.t("auth.back_to_sign_in")}</a></p>
                                }
                                .into_any()
                            }
                            Ok(Err(_)) => view! { <LinkProblem err=AppError::Gone("errors.owner_claim_unknown".into()) /> }.into_any(),
                            Err(err) => view! { <LinkProblem err=err /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn LinkProblem(err: AppError) -> impl IntoView {
    let i18n = use_i18n();
    let key = match &err {
        AppError::NotFound => "errors.activation_link_unknown".to_owned(),
        AppError::Gone(key) => key.clone(),
        _ => String::new(),
    };
    let message = move || {
        if key.is_empty() {
            err.form_message(i18n.locale()).unwrap_or_default()
        } else {
            tr(i18n.locale(), &key)
        }
    };
    view! {
        <section class="card auth-card">
            <h1>{i18n.t("activation.link_problem_title")}</h1>
            <div class="alert alert-error" role="alert">{message}</div>
            <p class="muted">{i18n.t("activation.no_email_help")}</p>
            <p><a href="/signin">{i18n.t("auth.back_to_sign_in")}</a></p>
        </section>
    }
}

#[component]
fn WizardPage(wizard: Wizard, token: String, page: Page) -> impl IntoView {
    let activated = wizard.step >= WizardStep::Activating;
    let view = match (activated, page) {
        (true, Page::Complete) => view! { <CompletePage wizard=wizard token=token /> }.into_any(),
        (true, Page::Progress) => view! { <ProgressPage wizard=wizard token=token /> }.into_any(),
        (true, _) if wizard.step == WizardStep::Active => {
            view! { <AlreadyActivated wizard=wizard token=token /> }.into_any()
        }
        (true, _) => view! { <ProgressPage wizard=wizard token=token /> }.into_any(),
        (false, _) if matches!(wizard.session, SessionMatch::Other { .. }) => {
            view! { <SignedInElsewhere wizard=wizard token=token /> }.into_any()
        }
        (false, page) => {
            // A step not reached yet shows the furthest step reached instead.
            let step = match page {
                Page::Step(s) if s <= wizard.step => s,
                _ => wizard.step,
            };
            view! { <EditableStep wizard=wizard token=token step=step /> }.into_any()
        }
    };
    view! { <div class="wizard">{view}</div> }
}

/// The numbered list of steps at the top of the wizard; reached steps are links.
#[component]
fn Steps(token: String, current: WizardStep, reached: WizardStep) -> impl IntoView {
    let i18n = use_i18n();
    let items = WizardStep::EDITABLE
        .into_iter()
        .enumerate()
        .map(|(i, step)| {
            let label = move || format!("{}. {}", i + 1, tr(i18n.locale(), step.label_key()));
            let here = step == current;
            let class = if here {
                "step current"
            } else if step < reached || step <= reached && step < current {
                "step done"
            } else {
                "step"
            };
            let link = (step <= reached && !here).then(|| wizard_path(&token, step.code()));
            view! {
                <li class=class aria-current=here.then_some("step")>
                    {match link {
                        Some(href) => view! { <a href=href>{label}</a> }.into_any(),
                        None => view! { <span>{label}</span> }.into_any(),
                    }}
                </li>
            }
        })
        .collect_view();
    view! {
        <nav aria-label=i18n.t("activation.steps_label")>
            <ol class="wizard-steps">{items}</ol>
        </nav>
    }
}

#[component]
fn WizardHeader(wizard: Wizard) -> impl IntoView {
    let i18n = use_i18n();
    let plan = wizard.plan.clone();
    let trial = wizard.trial;
    view! {
        <header class="wizard-header">
            <p class="eyebrow">{move || tr_args(i18n.locale(), "activation.subscription_for", &[("company", &wizard.company_name)])}</p>
            <h1>{i18n.t("activation.title")}</h1>
            <p class="muted">
                {move || tr(i18n.locale(), &format!("plans.{plan}"))}
                {move || trial.then(|| format!(" · {}", tr(i18n.locale(), "activation.trial")))}
            </p>
        </header>
    }
}

#[component]
fn EditableStep(wizard: Wizard, token: String, step: WizardStep) -> impl IntoView {
    let reached = wizard.step;
    let body = match step {
        WizardStep::Region => {
            view! { <RegionStep wizard=wizard.clone() token=token.clone() /> }.into_any()
        }
        WizardStep::Account => {
            view! { <AccountStep wizard=wizard.clone() token=token.clone() /> }.into_any()
        }
        WizardStep::Invite => {
            view! { <InviteStep wizard=wizard.clone() token=token.clone() /> }.into_any()
        }
        _ => view! { <ReviewStep wizard=wizard.clone() token=token.clone() /> }.into_any(),
    };
    view! {
        <section class="card wizard-card" data-step=step.code()>
            <WizardHeader wizard=wizard />
            <Steps token=token current=step reached=reached />
            {body}
        </section>
    }
}

#[component]
fn RegionStep(wizard: Wizard, token: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<ChooseRegion>::new();
    follow_success(action);
    let saved = wizard.region.clone();
    let errors = field_errors(action, "region");
    let options = REGIONS
        .into_iter()
        .map(|r| {
            let selected = saved.as_deref() == Some(r.code);
            view! { <option value=r.code selected=selected>{format!("{} — {}", r.name, r.code)}</option> }
        })
        .collect_view();
    view! {
        <h2>{i18n.t("activation.region_title")}</h2>
        <p class="muted">{i18n.t("activation.region_intro")}</p>
        <FormAlert action=action />
        <ActionForm action=action>
            <input type="hidden" name="token" value=token />
            <div class="field">
                <label for="field-region">{i18n.t("activation.region")}</label>
                <select id="field-region" name="region" required=true aria-describedby="field-region-hint field-region-error">
                    <option value="" disabled=true selected=saved.is_none()>{i18n.t("activation.region_choose")}</option>
                    {options}
                </select>
                <p class="field-hint" id="field-region-hint">{i18n.t("activation.region_permanent")}</p>
                <p class="field-error" id="field-region-error" aria-live="polite">
                    {move || errors.get().first().map(|e| e.message(i18n.locale()))}
                </p>
            </div>
            <Submit action=action label="activation.sign_up" />
        </ActionForm>
    }
}

#[component]
fn AccountStep(wizard: Wizard, token: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SaveAccount>::new();
    follow_success(action);
    let company = RwSignal::new(wizard.company_name.clone());
    let preview_token = token.clone();
    // A name the rules refuse (an empty one, say) is answered here, without asking the
    // server: the hint says what to fix.
    let preview = Resource::new(
        move || company.get(),
        move |c| {
            let token = preview_token.clone();
            async move {
                match check_company_name(&c) {
                    Err(e) => Err(AppError::Validation(vec![e])),
                    Ok(_) => preview_short_name(token, c).await,
                }
            }
        },
    );
    let owner = wizard.owner.clone();
    let account_fields = match owner {
        Some(owner) => view! {
            <div class="summary-row">
                <span class="muted">{i18n.t("activation.account_created")}</span>
                " "
                <strong>{owner.name}</strong>
                " "
                <span>{format!("<{}>", owner.email)}</span>
            </div>
        }
        .into_any(),
        None => view! {
            <Field name="name" label="auth.name" autocomplete="name" errors=field_errors(action, "name") check=check_name />
            <Field name="email" label="auth.email" kind="email" autocomplete="email" errors=field_errors(action, "email") check=check_email value=wizard.contact_email.clone() />
            <NewPasswordField label="auth.password" hint="activation.password_hint" errors=field_errors(action, "password") />
        }
        .into_any(),
    };
    view! {
        <h2>{i18n.t("activation.account_title")}</h2>
        <p class="muted">{i18n.t("activation.account_intro")}</p>
        <FormAlert action=action />
        <ActionForm action=action>
            <input type="hidden" name="token" value=token />
            {account_fields}
            <Field
                name="company_name"
                label="activation.company_name"
                autocomplete="organization"
                errors=field_errors(action, "company_name")
                check=check_company
                value=wizard.company_name.clone()
                on_input=Callback::new(move |v: String| company.set(v))
            />
            <p class="short-name-preview" id="short-name-preview" aria-live="polite">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match preview.await {
                            Ok(p) => {
                                let key = if p.as_typed { "activation.short_name_free" } else { "activation.short_name_taken" };
                                view! {
                                    <span>
                                        {i18n.t("activation.short_name")} ": " <strong class="short-name">{p.short_name.clone()}</strong>
                                        " — "
                                        {move || tr_args(i18n.locale(), key, &[("base", &p.base)])}
                                    </span>
                                }
                                .into_any()
                            }
                            Err(AppError::Validation(errors)) if !errors.is_empty() => {
                                let error = errors[0].clone();
                                view! { <span class="muted" data-testid="short-name-problem">{move || error.message(i18n.locale())}</span> }.into_any()
                            }
                            Err(_) => view! { <span class="muted">{i18n.t("activation.short_name_rules")}</span> }.into_any(),
                        }
                    })}
                </Transition>
            </p>
            <p class="field-hint">{i18n.t("activation.short_name_permanent")}</p>
            <Submit action=action label="activation.next" />
        </ActionForm>
    }
}

#[component]
fn InviteStep(wizard: Wizard, token: String) -> impl IntoView {
    let i18n = use_i18n();
    let add = ServerAction::<AddInvite>::new();
    let remove = ServerAction::<RemoveInvite>::new();
    let finish = ServerAction::<FinishInvites>::new();
    follow_success(add);
    follow_success(remove);
    follow_success(finish);
    let has_invites = !wizard.invites.is_empty();
    let rows = wizard
        .invites
        .iter()
        .map(|inv| {
            let token = token.clone();
            let email = inv.email.clone();
            let role = inv.role;
            view! {
                <li class="invite-row">
                    <span class="invite-email">{inv.email.clone()}</span>
                    <span class="badge-role">{move || tr(i18n.locale(), role.label_key())}</span>
                    <ActionForm action=remove>
                        <input type="hidden" name="token" value=token />
                        <input type="hidden" name="email" value=email.clone() />
                        <button type="submit" class="btn btn-small" aria-label=move || tr_args(i18n.locale(), "activation.remove_invite_label", &[("email", &email)])>
                            {i18n.t("activation.remove")}
                        </button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    let role_errors = field_errors(add, "role");
    let add_token = token.clone();
    let back = wizard_path(&token, "account");
    view! {
        <h2>{i18n.t("activation.invite_title")}</h2>
        <p class="muted">{i18n.t("activation.invite_intro")}</p>
        {has_invites.then(|| view! { <ul class="invite-list" aria-label=i18n.t("activation.invite_list")>{rows}</ul> })}
        <FormAlert action=add />
        <ActionForm action=add attr:class="invite-form">
            <input type="hidden" name="token" value=add_token />
            <Field name="email" label="auth.email" kind="email" errors=field_errors(add, "email") check=check_email />
            <RoleSelect errors=role_errors />
            <button type="submit" class="btn">{i18n.t("activation.add_invite")}</button>
        </ActionForm>
        <FormAlert action=finish />
        <ActionForm action=finish attr:class="wizard-actions">
            <input type="hidden" name="token" value=token />
            <a class="btn btn-link" href=back>{i18n.t("activation.back")}</a>
            <Submit action=finish label=if has_invites { "activation.next" } else { "activation.skip" } />
        </ActionForm>
    }
}

#[component]
fn ReviewStep(wizard: Wizard, token: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<ActivateNow>::new();
    follow_success(action);
    let region_name = wizard
        .region
        .as_deref()
        .and_then(region)
        .map(|r| format!("{} — {}", r.name, r.code))
        .unwrap_or_default();
    let short = wizard.short_name.clone();
    let owner = wizard
        .owner
        .clone()
        .map(|o| format!("{} <{}>", o.name, o.email))
        .unwrap_or_default();
    // Not confirmed yet: a new account with an address other than the contact's, or an
    // existing account whose holder has not agreed (the page cannot tell them apart).
    let pending = wizard
        .owner
        .clone()
        .filter(|o| !o.verified)
        .map(|o| o.email);
    let invites = wizard.invites.len();
    let products = wizard.products.clone();
    let trial = wizard.trial;
    let plan = wizard.plan.clone();
    view! {
        <h2>{i18n.t("activation.review_title")}</h2>
        <p class="muted">{i18n.t("activation.review_intro")}</p>
        <dl class="summary">
            <dt>{i18n.t("activation.region")}</dt>
            <dd>{region_name}</dd>
            <dt>{i18n.t("activation.company_name")}</dt>
            <dd>{wizard.company_name.clone()}</dd>
            <dt>{i18n.t("activation.short_name")}</dt>
            <dd>
                {short.clone().map(|s| view! { <strong class="short-name">{s.short_name}</strong> })}
                {short.filter(|s| !s.as_typed).map(|s| view! { " " <span class="muted">{move || tr_args(i18n.locale(), "activation.short_name_taken", &[("base", &s.base)])}</span> })}
            </dd>
            <dt>{i18n.t("activation.owner")}</dt>
            <dd>
                {owner}
                {pending.map(|email| view! { <span class="field-hint owner-pending" role="status">{move || tr_args(i18n.locale(), "activation.owner_pending", &[("email", &email)])}</span> })}
            </dd>
            <dt>{i18n.t("activation.invitations")}</dt>
            <dd>{move || tr_args(i18n.locale(), "activation.invite_count", &[("count", &invites.to_string())])}</dd>
            <dt>{i18n.t("activation.plan")}</dt>
            <dd>
                {move || tr(i18n.locale(), &format!("plans.{plan}"))}
                {move || if trial { format!(" — {}", tr(i18n.locale(), "activation.trial_not_billed")) } else { String::new() }}
            </dd>
            <dt>{i18n.t("activation.products")}</dt>
            <dd>{move || products.iter().map(|p| tr(i18n.locale(), &format!("products.{p}"))).collect::<Vec<_>>().join(", ")}</dd>
        </dl>
        <p class="field-hint">{i18n.t("activation.region_permanent")}</p>
        <FormAlert action=action />
        <ActionForm action=action attr:class="wizard-actions">
            <input type="hidden" name="token" value=token.clone() />
            <a class="btn btn-link" href=wizard_path(&token, "invite")>{i18n.t("activation.back")}</a>
            <Submit action=action label="activation.activate_now" />
        </ActionForm>
    }
}

/// Activating needs the browser signed out of other accounts first; we do it for them.
#[component]
fn SignedInElsewhere(wizard: Wizard, token: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SignOutForActivation>::new();
    follow_success(action);
    let (name, email) = match wizard.session.clone() {
        SessionMatch::Other { name, email } => (name, email),
        _ => Default::default(),
    };
    view! {
        <section class="card auth-card" data-step="signed-in-elsewhere">
            <WizardHeader wizard=wizard.clone() />
            <div class="alert alert-info" role="status">
                {move || tr_args(i18n.locale(), "activation.signed_in_elsewhere", &[("name", &name), ("email", &email)])}
            </div>
            <p>{i18n.t("activation.sign_out_first")}</p>
            <FormAlert action=action />
            <ActionForm action=action>
                <input type="hidden" name="token" value=token />
                <Submit action=action label="activation.sign_out_and_continue" />
            </ActionForm>
        </section>
    }
}

/// The job's progress: rendered on the server from the page's data, then (hydrated)
/// polled about once a second while it runs. Without JavaScript the page refreshes itself.
fn live_progress(token: String, initial: Option<JobView>) -> RwSignal<Option<JobView>> {
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
fn ProgressList(job: RwSignal<Option<JobView>>, only: &'static [JobStep]) -> impl IntoView {
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
fn LiveJob(
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

fn step_done(job: RwSignal<Option<JobView>>, step: JobStep) -> Memo<bool> {
    Memo::new(move |_| job.with(|j| j.as_ref().is_some_and(|j| j.is_done(step))))
}

#[component]
fn ProgressPage(wizard: Wizard, token: String) -> impl IntoView {
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
fn WizardSignIn(email: String, next: String) -> impl IntoView {
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

const SETUP_STEPS: [JobStep; 4] = [
    JobStep::ActivateFeatures,
    JobStep::CustomizeBilling,
    JobStep::SendInvitations,
    JobStep::SendWelcome,
];

#[component]
fn CompletePage(wizard: Wizard, token: String) -> impl IntoView {
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
fn AlreadyActivated(wizard: Wizard, token: String) -> impl IntoView {
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
