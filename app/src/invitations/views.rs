//! `/invitations/accept?token=...`: the page an invitation email links to.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::api::{AcceptInvitation, get_invitation};
use super::types::{InvitationState, InvitationView};
use crate::auth::types::check_name;
use crate::auth::views::NewPasswordField;
use crate::error::AppError;
use crate::i18n::{tr, tr_args, use_i18n};
use crate::ui::form::{Field, FormAlert, Submit, field_errors, follow_success};

#[component]
pub fn AcceptInvitationPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let token = Memo::new(move |_| query.with(|q| q.get("token").unwrap_or_default()));
    let invitation = crate::wire::resource(move || token.get(), get_invitation);
    view! {
        <section class="card auth-card" data-page="invitation">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match invitation.await {
                        Ok(inv) => view! { <Invitation inv=inv token=token.get_untracked() /> }.into_any(),
                        Err(err) => {
                            let message = move || match &err {
                                AppError::NotFound => tr(i18n.locale(), "errors.invitation_unknown"),
                                other => other.form_message(i18n.locale()).unwrap_or_default(),
                            };
                            view! {
                                <h1>{i18n.t("invitations.title")}</h1>
                                <div class="alert alert-error" role="alert">{message}</div>
                            }
                            .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Invitation(inv: InvitationView, token: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<AcceptInvitation>::new();
    follow_success(action);
    let role = inv.role;
    let org = inv.org_name.clone();
    let inviter = inv.inviter.clone().unwrap_or_default();
    let intro = {
        let org = org.clone();
        move || {
            let role = tr(i18n.locale(), role.label_key());
            tr_args(
                i18n.locale(),
                "invitations.intro",
                &[("inviter", &inviter), ("org", &org), ("role", &role)],
            )
        }
    };
    let refusal = match inv.state {
        InvitationState::Open => None,
        InvitationState::Accepted => Some("errors.invitation_used"),
        InvitationState::Revoked => Some("errors.invitation_revoked"),
        InvitationState::Replaced => Some("errors.invitation_replaced"),
        InvitationState::Expired => Some("errors.invitation_expired"),
    };
    let body = match refusal {
        Some(key) => view! {
            <div class="alert alert-error" role="alert">{i18n.t(key)}</div>
            <p><a href="/signin">{i18n.t("auth.sign_in")}</a></p>
        }
        .into_any(),
        None if inv.has_account => view! {
            <p>{move || tr_args(i18n.locale(), "invitations.has_account", &[("email", &inv.email)])}</p>
            <FormAlert action=action />
            <ActionForm action=action>
                <input type="hidden" name="token" value=token />
                <Field name="password" label="auth.password" kind="password" autocomplete="current-password" errors=field_errors(action, "password") />
                <Submit action=action label="invitations.accept" />
            </ActionForm>
        }
        .into_any(),
        None => view! {
            <p>{move || tr_args(i18n.locale(), "invitations.new_account", &[("email", &inv.email)])}</p>
            <FormAlert action=action />
            <ActionForm action=action>
                <input type="hidden" name="token" value=token />
                <Field name="name" label="auth.name" autocomplete="name" errors=field_errors(action, "name") check=check_name />
                <NewPasswordField label="auth.password" hint="auth.password_hint" errors=field_errors(action, "password") />
                <Submit action=action label="invitations.set_password_and_join" />
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <h1>{move || tr_args(i18n.locale(), "invitations.join_title", &[("org", &org)])}</h1>
        <p class="lead">{intro}</p>
        {body}
    }
}

/// "Invitation reminders" on the settings page: on or off, and the days before expiry.
#[component]
pub fn RemindersSection(
    reminders: super::types::ReminderSettings,
    region: String,
    short_name: String,
) -> impl IntoView {
    use crate::ui::form::OrgInputs;
    let i18n = use_i18n();
    let action = ServerAction::<super::api::SaveReminders>::new();
    follow_success(action);
    let saved = use_query_map().with_untracked(|q| q.get("reminders").is_some());
    let on = reminders.on();
    view! {
        <section class="card" id="reminders" data-testid="reminders">
            <h2>{i18n.t("invitations.reminders_title")}</h2>
            <p class="muted">{i18n.t("invitations.reminders_hint")}</p>
            {saved.then(|| view! { <div class="alert alert-success" role="status">{i18n.t("invitations.reminders_saved")}</div> })}
            {(!on).then(|| view! { <p data-testid="reminders-off">{i18n.t("invitations.reminders_off")}</p> })}
            <FormAlert action=action />
            <ActionForm action=action>
                <OrgInputs region=region short_name=short_name />
                <div class="field checkbox">
                    <label><input type="checkbox" id="reminders-on" name="reminders" value="on" checked=on /> " " {i18n.t("invitations.reminders_on")}</label>
                </div>
                <Field
                    name="reminder_days"
                    label="invitations.reminder_days"
                    hint="invitations.reminder_days_hint"
                    value=reminders.days_text()
                    errors=field_errors(action, "reminder_days")
                    check=check_reminder_days
                />
                <Submit action=action label="invitations.reminders_save" />
            </ActionForm>
        </section>
    }
}

fn check_reminder_days(v: &str) -> Option<crate::error::FieldError> {
    super::types::parse_reminder_days(v).err()
}
