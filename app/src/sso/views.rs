//! The settings page's "Single sign-on" section (OWNERs): the provider's issuer, client
//! id and secret with "Test connection" and "Save", "Require single sign-on", and "Turn
//! off". The forms work without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::api::{RemoveSso, RequireSso, SaveSso};
use super::types::SsoSettings;
use crate::i18n::{tr_args, use_i18n};
use crate::ui::form::{
    Field, FormAlert, OrgInputs, Submit, copy_to_clipboard, field_errors, follow_success,
};

#[component]
pub fn SsoSection(sso: SsoSettings, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SaveSso>::new();
    let require = ServerAction::<RequireSso>::new();
    let remove = ServerAction::<RemoveSso>::new();
    follow_success(save);
    follow_success(require);
    follow_success(remove);
    let (done, tested_issuer, tested_client) =
        use_query_map().with_untracked(|q| (q.get("sso"), q.get("issuer"), q.get("client_id")));
    let done_key = match done.as_deref() {
        Some("saved") => Some("sso.saved"),
        Some("tested") => Some("sso.tested"),
        Some("required") => Some("sso.required_saved"),
        Some("removed") => Some("sso.removed"),
        _ => None,
    };
    let configured = sso.issuer.is_some();
    let domains = if sso.verified_domains.is_empty() {
        None
    } else {
        Some(sso.verified_domains.join(", "))
    };
    let redirect = sso.redirect_url.clone();
    let (r2, s2, r3, s3) = (
        region.clone(),
        short_name.clone(),
        region.clone(),
        short_name.clone(),
    );
    view! {
        <section class="card sso" id="sso">
            <h2>{i18n.t("sso.title")}</h2>
            <p class="muted">{i18n.t("sso.intro")}</p>
            {match domains {
                Some(domains) => view! {
                    <p class="muted" data-testid="sso-domains">{move || tr_args(i18n.locale(), "sso.domains", &[("domains", &domains)])}</p>
                }.into_any(),
                None => view! { <div class="alert alert-info" role="status">{i18n.t("sso.no_domain")}</div> }.into_any(),
            }}
            {done_key.map(|key| view! { <div class="alert alert-success" role="status" data-testid="sso-done">{i18n.t(key)}</div> })}
            <p>
                {i18n.t("sso.redirect_url")} " " <code data-testid="sso-redirect">{sso.redirect_url.clone()}</code>
                " " <button type="button" class="btn btn-small" on:click=move |_| copy_to_clipboard(&redirect)>{i18n.t("people.copy")}</button>
            </p>
            <FormAlert action=save />
            <ActionForm action=save>
                <OrgInputs region=region short_name=short_name />
                <Field name="issuer" label="sso.issuer" kind="url" autocomplete="off" hint="sso.issuer_hint" value=tested_issuer.or(sso.issuer.clone()).unwrap_or_default() errors=field_errors(save, "issuer") />
                <Field name="client_id" label="sso.client_id" autocomplete="off" value=tested_client.or(sso.client_id.clone()).unwrap_or_default() errors=field_errors(save, "client_id") />
                <Field name="client_secret" label="sso.client_secret" kind="password" autocomplete="off" hint=if configured { "sso.client_secret_kept" } else { "" } errors=field_errors(save, "client_secret") />
                <Field name="sign_in_host" label="sso.sign_in_host" autocomplete="off" hint="sso.sign_in_host_hint" value=sso.sign_in_host.clone().unwrap_or_default() errors=field_errors(save, "sign_in_host") />
                <div class="row-actions">
                    <Submit action=save label="sso.save" />
                    <button type="submit" class="btn" name="intent" value="test">{i18n.t("sso.test")}</button>
                </div>
            </ActionForm>
            {configured.then(|| view! {
                <h3>{i18n.t("sso.require_title")}</h3>
                <p class="muted">{i18n.t("sso.require_hint")}</p>
                <FormAlert action=require />
                <ActionForm action=require>
                    <OrgInputs region=r2 short_name=s2 />
                    <div class="checkbox">
                        <input type="checkbox" id="sso-required" name="required" value="on" checked=sso.required />
                        <label for="sso-required">{i18n.t("sso.require")}</label>
                    </div>
                    <Submit action=require label="sso.require_save" />
                </ActionForm>
                <FormAlert action=remove />
                <ActionForm action=remove>
                    <OrgInputs region=r3 short_name=s3 />
                    <button type="submit" class="btn btn-danger">{i18n.t("sso.remove")}</button>
                </ActionForm>
            })}
        </section>
    }
}
