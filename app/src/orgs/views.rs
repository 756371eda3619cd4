//! The organization's home page (`/o/<region>/<short name>`) and the apps page.

use leptos::prelude::*;

use super::api::{LeaveOrganization, get_org_overview};
use crate::i18n::{tr, tr_args, use_i18n};
use crate::regions::region;
use crate::ui::form::{FormAlert, OrgInputs, field_errors, follow_success};
use crate::ui::org_page::{org_page, use_org_params};
use crate::ui::table::{TableFrame, breakable};

#[component]
pub fn OrgHomePage() -> impl IntoView {
    let i18n = use_i18n();
    let key = use_org_params();
    let org = crate::wire::resource(move || key.get(), |(r, s)| get_org_overview(r, s));
    org_page(org, move |org| {
        let region_name = region(&org.region).map(|r| r.name).unwrap_or_default();
        let plan = org.plan.clone();
        let trial = org.trial;
        let billed = org.billed;
        let role = org.my_role;
        let features = org.features.clone();
        let no_invitations = org.invitations.is_empty();
        view! {
            <section class="card org-home" data-org=org.short_name.clone()>
                <p class="eyebrow">{format!("{} · {}", org.short_name, org.region)}</p>
                <h1>{org.name.clone()}</h1>
                <p>
                    <a class="btn" href=format!("{}/people", crate::access::org_home(&org.region, &org.short_name))>{i18n.t("people.open")}</a>
                    " "
                    <a class="btn" href=crate::paths::settings_path(&org.region, &org.short_name)>{i18n.t("settings.open")}</a>
                </p>
                <p>
                    {move || tr_args(i18n.locale(), "org.your_role", &[("role", &tr(i18n.locale(), role.label_key()))])}
                </p>
                <dl class="summary">
                    <dt>{i18n.t("activation.short_name")}</dt>
                    <dd><strong class="short-name">{org.short_name.clone()}</strong></dd>
                    <dt>{i18n.t("activation.region")}</dt>
                    <dd>{format!("{region_name} — {}", org.region)}</dd>
                    <dt>{i18n.t("activation.organization_id")}</dt>
                    <dd><code>{org.public_id.clone()}</code></dd>
                    <dt>{i18n.t("activation.plan")}</dt>
                    <dd>
                        {move || tr(i18n.locale(), &format!("plans.{plan}"))}
                        {move || if trial && !billed { format!(" — {}", tr(i18n.locale(), "activation.trial_not_billed")) } else { String::new() }}
                    </dd>
                    <dt>{i18n.t("activation.products")}</dt>
                    <dd>{move || features.iter().map(|p| tr(i18n.locale(), &format!("products.{p}"))).collect::<Vec<_>>().join(", ")}</dd>
                </dl>
            </section>
            <section class="card">
                <h2>{i18n.t("org.members")}</h2>
                <TableFrame label=i18n.t("org.members")>
                <table class="table">
                    <thead><tr><th>{i18n.t("auth.name")}</th><th>{i18n.t("auth.email")}</th><th>{i18n.t("activation.role")}</th></tr></thead>
                    <tbody>
                        {org.members.into_iter().map(|m| {
                            let role = m.role;
                            view! { <tr><td class="long">{m.name}</td><td class="long">{breakable(m.email)}</td><td>{move || tr(i18n.locale(), role.label_key())}</td></tr> }
                        }).collect_view()}
                    </tbody>
                </table>
                </TableFrame>
            </section>
            <section class="card" id="invite">
                <h2>{i18n.t("org.invitations")}</h2>
                {no_invitations.then(|| view! { <p class="muted">{i18n.t("org.no_invitations")}</p> })}
                <ul class="invite-list">
                    {org.invitations.into_iter().map(|inv| {
                        let role = inv.role;
                        let expires_on = inv.expires_on().to_owned();
                        view! {
                            <li class="invite-row">
                                <span class="invite-email">{breakable(inv.email)}</span>
                                <span class="badge-role">{move || tr(i18n.locale(), role.label_key())}</span>
                                <span class="muted">{move || tr_args(i18n.locale(), "org.expires_on", &[("date", &expires_on)])}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
            <LeaveOrganization org_name=org.name.clone() region=org.region.clone() short_name=org.short_name.clone() />
        }
    })
}

/// "Leave organization", with a box to tick first.
#[component]
fn LeaveOrganization(org_name: String, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<LeaveOrganization>::new();
    follow_success(action);
    view! {
        <section class="card" id="leave" data-testid="leave">
            <h2>{i18n.t("org.leave_title")}</h2>
            <p class="muted">{i18n.t("org.leave_hint")}</p>
            <FormAlert action=action />
            <ActionForm action=action>
                <OrgInputs region=region short_name=short_name />
                <div class="field checkbox">
                    <label>
                        <input type="checkbox" name="confirm" value="on" required=true />
                        " "
                        {move || tr_args(i18n.locale(), "org.leave_confirm", &[("org", &org_name)])}
                    </label>
                    <p class="field-error" aria-live="polite">{move || field_errors(action, "confirm").get().first().map(|e| e.message(i18n.locale()))}</p>
                </div>
                <button type="submit" class="btn btn-danger">{i18n.t("org.leave")}</button>
            </ActionForm>
        </section>
    }
}

/// Where to get Muster on each device (linked from the welcome email).
#[component]
pub fn AppsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card">
            <h1>{i18n.t("apps.title")}</h1>
            <p class="lead">{i18n.t("apps.intro")}</p>
            <h2>{i18n.t("apps.browser_title")}</h2>
            <p>{i18n.t("apps.browser_body")}</p>
            <h2>{i18n.t("apps.desktop_title")}</h2>
            <p>{i18n.t("apps.desktop_body")}</p>
            <h2>{i18n.t("apps.mobile_title")}</h2>
            <p>{i18n.t("apps.mobile_body")}</p>
            <p><a class="btn btn-primary" href="/signin">{i18n.t("auth.sign_in")}</a></p>
        </section>
    }
}
