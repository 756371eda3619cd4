//! The activation wizard's pages, at `/activate/<token>[/<page>]`.
//!
//! Every step is rendered on the server from the saved progress, so a refresh, a closed
//! tab or the back button lands on a page that matches the database. Forms are
//! `ActionForm`s: they work without JavaScript and validate live once hydrated.

mod owner_claim;
mod progress;
mod steps;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::activation::api::{SignOutForActivation, get_wizard};
use crate::activation::types::{SessionMatch, Wizard, WizardStep, check_company_name, wizard_path};
use crate::error::{AppError, FieldError};
use crate::i18n::{tr, tr_args, use_i18n};
use crate::ui::form::{FormAlert, Submit, follow_success};
use owner_claim::OwnerClaimPage;
use progress::{AlreadyActivated, CompletePage, ProgressPage};
use steps::{AccountStep, InviteStep, RegionStep, ReviewStep};

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
    let wizard = crate::wire::resource(move || (token.get(), page.get()), |(t, _)| get_wizard(t));
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
