//! The wizard's editable steps: region, basic information (the account), invitations,
//! review.

use leptos::prelude::*;

use super::check_company;
use crate::activation::api::{
    ActivateNow, AddInvite, ChooseRegion, FinishInvites, RemoveInvite, SaveAccount,
    preview_short_name,
};
use crate::activation::types::{Wizard, check_company_name, wizard_path};
use crate::auth::types::{check_email, check_name};
use crate::auth::views::NewPasswordField;
use crate::error::AppError;
use crate::i18n::{tr, tr_args, use_i18n};
use crate::regions::{REGIONS, region};
use crate::ui::form::{Field, FormAlert, RoleSelect, Submit, field_errors, follow_success};

#[component]
pub(super) fn RegionStep(wizard: Wizard, token: String) -> impl IntoView {
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
pub(super) fn AccountStep(wizard: Wizard, token: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SaveAccount>::new();
    follow_success(action);
    let company = RwSignal::new(wizard.company_name.clone());
    let preview_token = token.clone();
    // A name the rules refuse (an empty one, say) is answered here, without asking the
    // server: the hint says what to fix.
    let preview = crate::wire::resource(
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
pub(super) fn InviteStep(wizard: Wizard, token: String) -> impl IntoView {
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
            <Field name="email" label="auth.email" kind="email" autocomplete="off" errors=field_errors(add, "email") check=check_email />
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
pub(super) fn ReviewStep(wizard: Wizard, token: String) -> impl IntoView {
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
