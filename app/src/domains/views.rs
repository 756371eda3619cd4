//! The settings page's "Domains" section (OWNERs): each domain with its state and the
//! DNS record to publish, "Verify" and "Remove", and "Add domain". The forms work without
//! JavaScript.

use leptos::prelude::*;

use super::api::{AddDomain, RemoveDomain, VerifyDomain};
use super::types::{DomainView, DomainsSettings};
use crate::i18n::{tr, tr_args, use_i18n};
use crate::ui::form::{
    Field, FormAlert, OrgInputs, Submit, copy_to_clipboard, field_errors, follow_success,
};
use crate::ui::table::breakable;

#[component]
pub fn DomainsSection(
    domains: DomainsSettings,
    region: String,
    short_name: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let add = ServerAction::<AddDomain>::new();
    let verify = ServerAction::<VerifyDomain>::new();
    let remove = ServerAction::<RemoveDomain>::new();
    follow_success(add);
    follow_success(verify);
    follow_success(remove);
    let empty = domains.domains.is_empty();
    let rows = domains
        .domains
        .into_iter()
        .map(|d| view! { <DomainRow d=d region=region.clone() short_name=short_name.clone() verify=verify remove=remove /> })
        .collect_view();
    view! {
        <section class="card domains" id="domains">
            <h2>{i18n.t("domains.title")}</h2>
            <p class="muted">{i18n.t("domains.intro")}</p>
            <p class="muted">{i18n.t("domains.link_tab")}</p>
            <FormAlert action=verify />
            <FormAlert action=remove />
            {empty.then(|| view! { <p class="muted">{i18n.t("domains.none")}</p> })}
            <ul class="domain-list" data-testid="domains">{rows}</ul>
            <h3>{i18n.t("domains.add")}</h3>
            <FormAlert action=add />
            <ActionForm action=add>
                <OrgInputs region=region short_name=short_name />
                <Field name="domain" label="domains.domain" autocomplete="off" errors=field_errors(add, "domain") />
                <Submit action=add label="domains.add" />
            </ActionForm>
        </section>
    }
}

#[component]
fn DomainRow(
    d: DomainView,
    region: String,
    short_name: String,
    verify: ServerAction<VerifyDomain>,
    remove: ServerAction<RemoveDomain>,
) -> impl IntoView {
    let i18n = use_i18n();
    // What the domain's state is, and what the last look-up found instead of the record.
    let (state_key, since, badge) = match (&d.verified_at, d.problem) {
        (Some(since), None) => (
            "domains.verified_since",
            since.get(..10).unwrap_or(since).to_owned(),
            "domain-state verified",
        ),
        (Some(_), Some(_)) => (
            "domains.verified_failing",
            String::new(),
            "domain-state failing",
        ),
        (None, _) => ("domains.waiting", String::new(), "domain-state"),
    };
    let problem = d.problem.map(|p| p.message_key());
    let value = d.record_value.clone();
    let name = d.record_name.clone();
    let domain = d.domain.clone();
    let (r2, s2) = (region.clone(), short_name.clone());
    view! {
        <li class="domain" data-domain=d.domain.clone()>
            <p>
                <strong>{breakable(d.domain.clone())}</strong> " "
                <span class=badge data-testid="domain-state">{move || tr_args(i18n.locale(), state_key, &[("date", &since)])}</span>
            </p>
            <p class="field-error" data-testid="domain-problem" hidden=problem.is_none()>
                {move || problem.map(|key| tr(i18n.locale(), key)).unwrap_or_default()}
            </p>
            <dl class="dns-record">
                <dt>{i18n.t("domains.record_type")}</dt>
                <dd><code>"TXT"</code></dd>
                <dt>{i18n.t("domains.record_name")}</dt>
                <dd><code data-testid="record-name">{breakable(d.record_name.clone())}</code>
                    " " <button type="button" class="btn btn-small" on:click=move |_| copy_to_clipboard(&name)>{i18n.t("people.copy")}</button></dd>
                <dt>{i18n.t("domains.record_value")}</dt>
                <dd><code data-testid="record-value">{d.record_value.clone()}</code>
                    " " <button type="button" class="btn btn-small" on:click=move |_| copy_to_clipboard(&value)>{i18n.t("people.copy")}</button></dd>
            </dl>
            <div class="row-actions">
                <ActionForm action=verify>
                    <OrgInputs region=region short_name=short_name />
                    <input type="hidden" name="domain_id" value=d.id.to_string() />
                    <button type="submit" class="btn btn-small btn-primary">{i18n.t("domains.verify")}</button>
                </ActionForm>
                <ActionForm action=remove>
                    <OrgInputs region=r2 short_name=s2 />
                    <input type="hidden" name="domain_id" value=d.id.to_string() />
                    <button type="submit" class="btn btn-small btn-danger" aria-label=move || tr_args(i18n.locale(), "domains.remove_named", &[("domain", &domain)])>
                        {i18n.t("domains.remove")}
                    </button>
                </ActionForm>
            </div>
        </li>
    }
}
