//! Admin > People and Permissions > People: the people list, "Add Person" and "Send Invite".

use leptos::prelude::*;

use super::api::{AddPerson, SendInvite, get_people};
use super::types::{InvitationStatus, PeoplePage as Page};
use crate::auth::types::{check_email, check_name};
use crate::i18n::{tr, tr_args, use_i18n};
use crate::orgs::views::{OrgProblem, use_org_params};
use crate::ui::form::{Field, FormAlert, RoleSelect, Submit, field_errors, follow_success};

#[component]
pub fn PeoplePage() -> impl IntoView {
    let key = use_org_params();
    let page = Resource::new(move || key.get(), |(r, s)| get_people(r, s));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let (region, short_name) = key.get_untracked();
                match page.await {
                    Ok(page) => view! { <People page=page region=region short_name=short_name /> }.into_any(),
                    Err(err) => view! { <OrgProblem err=err /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn People(page: Page, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let send = ServerAction::<SendInvite>::new();
    follow_success(send);
    let can_invite = page.can_invite;
    let contacts = page.contacts.join(", ");
    let rows = page
        .people
        .iter()
        .map(|p| {
            let role = p.role;
            let invitation = p.invitation;
            let active = p.active;
            let welcome = p.welcome_sent.clone();
            let may_send = can_invite && invitation == InvitationStatus::NotInvited;
            let (region, short_name, email) = (region.clone(), short_name.clone(), p.email.clone());
            view! {
                <tr>
                    <td>{p.name.clone()}</td>
                    <td>{p.email.clone()}</td>
                    <td>{move || tr(i18n.locale(), role.label_key())}</td>
                    <td>{move || tr(i18n.locale(), if active { "people.active" } else { "people.inactive" })}</td>
                    <td>{move || welcome.clone().unwrap_or_else(|| tr(i18n.locale(), "people.not_yet"))}</td>
                    <td>{move || tr(i18n.locale(), invitation.label_key())}</td>
                    <td>
                        {may_send.then(|| view! {
                            <ActionForm action=send>
                                <input type="hidden" name="region" value=region.clone() />
                                <input type="hidden" name="short_name" value=short_name.clone() />
                                <input type="hidden" name="email" value=email.clone() />
                                <button type="submit" class="btn btn-small">{i18n.t("people.send_invite")}</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <p class="eyebrow"><a href=page.org_home.clone()>{page.org_name.clone()}</a></p>
            <h1>{i18n.t("people.title")}</h1>
            <FormAlert action=send />
            {if can_invite {
                view! { <AddPersonForm region=region.clone() short_name=short_name.clone() /> }.into_any()
            } else {
                view! {
                    <div class="alert alert-info" role="status" data-testid="cannot-invite">
                        {move || tr_args(i18n.locale(), "errors.not_permitted_ask", &[("contacts", &contacts)])}
                    </div>
                }
                .into_any()
            }}
            <table class="table people">
                <thead>
                    <tr>
                        <th>{i18n.t("auth.name")}</th>
                        <th>{i18n.t("auth.email")}</th>
                        <th>{i18n.t("activation.role")}</th>
                        <th>{i18n.t("people.status")}</th>
                        <th>{i18n.t("people.welcome_sent")}</th>
                        <th>{i18n.t("people.invitation")}</th>
                        <th><span class="sr-only">{i18n.t("people.more_options")}</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

#[component]
fn AddPersonForm(region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<AddPerson>::new();
    follow_success(action);
    let role_errors = field_errors(action, "role");
    view! {
        <details class="add-person">
            <summary class="btn btn-primary">{i18n.t("people.add_person")}</summary>
            <div class="add-person-panel" role="group" aria-label=i18n.t("people.add_title")>
                <h2>{i18n.t("people.add_title")}</h2>
                <FormAlert action=action />
                <ActionForm action=action>
                    <input type="hidden" name="region" value=region />
                    <input type="hidden" name="short_name" value=short_name />
                    <Field name="name" label="auth.name" autocomplete="off" errors=field_errors(action, "name") check=check_name />
                    <Field name="email" label="auth.email" kind="email" autocomplete="off" errors=field_errors(action, "email") check=check_email />
                    <RoleSelect errors=role_errors />
                    <div class="field checkbox">
                        <label><input type="checkbox" name="send_now" checked=true /> " " {i18n.t("people.send_now")}</label>
                        <p class="field-hint">{i18n.t("people.active_note")}</p>
                    </div>
                    <Submit action=action label="people.add" />
                </ActionForm>
            </div>
        </details>
    }
}
