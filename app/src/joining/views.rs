//! `/join/<token>` (the shared link), `/join/sent` and `/join/confirm?token=...`.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{
    ConfirmJoin, CreateLimitedLink, DisableLimitedLink, RequestJoin, SaveJoinLink,
    get_join_confirmation, get_join_link,
};
use super::types::{JoinLinkSettings, JoinView, LimitedLink, LinkState};
use crate::auth::types::{check_email, check_name};
use crate::auth::views::NewPasswordField;
use crate::error::AppError;
use crate::i18n::{tr, tr_args, use_i18n};
use crate::ui::form::{
    Field, FormAlert, OrgInputs, Submit, copy_to_clipboard, field_errors, follow_success,
};

/// A refusal in a card: the message for `err`, with `unknown` for a link that never existed.
fn problem(err: AppError, unknown: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let message = move || match &err {
        AppError::NotFound => tr(i18n.locale(), unknown),
        other => other.form_message(i18n.locale()).unwrap_or_default(),
    };
    view! {
        <h1>{i18n.t("join.title_generic")}</h1>
        <div class="alert alert-error" role="alert">{message}</div>
        <p><a href="/signin">{i18n.t("auth.sign_in")}</a></p>
    }
}

#[component]
pub fn JoinPage() -> impl IntoView {
    let params = use_params_map();
    let token = Memo::new(move |_| params.with(|p| p.get("token").unwrap_or_default()));
    let link = crate::wire::resource(move || token.get(), get_join_link);
    view! {
        <section class="card auth-card" data-page="join">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match link.await {
                        Ok(view) => view! { <JoinForm view=view token=token.get_untracked() /> }.into_any(),
                        Err(err) => problem(err, "errors.join_link_unknown").into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn JoinForm(view: JoinView, token: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<RequestJoin>::new();
    follow_success(action);
    let org = view.org_name.clone();
    let role = view.role;
    let domains = view.domains.join(", ");
    let refusal = match view.state {
        LinkState::Open => None,
        LinkState::Disabled => Some("errors.join_link_disabled"),
        LinkState::Replaced => Some("errors.join_link_replaced"),
        LinkState::Expired => Some("errors.join_link_expired"),
        LinkState::Full => Some("errors.join_link_full"),
    };
    let body = match refusal {
        Some(key) => view! { <div class="alert alert-error" role="alert">{i18n.t(key)}</div> }.into_any(),
        None => view! {
            <p class="lead">{move || tr_args(i18n.locale(), "join.intro", &[("domains", &domains)])}</p>
            <p data-testid="join-role">{move || tr_args(i18n.locale(), "join.as_role", &[("role", &tr(i18n.locale(), role.label_key()))])}</p>
            <FormAlert action=action />
            <ActionForm action=action>
                <input type="hidden" name="token" value=token />
                <Field name="name" label="auth.name" autocomplete="name" errors=field_errors(action, "name") check=check_name />
                <Field name="email" label="auth.email" kind="email" autocomplete="email" errors=field_errors(action, "email") check=check_email />
                <NewPasswordField errors=field_errors(action, "password") />
                <Submit action=action label="join.submit" />
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <h1>{move || tr_args(i18n.locale(), "join.title", &[("org", &org)])}</h1>
        {body}
    }
}

#[component]
pub fn JoinSentPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let to = move || query.with(|q| q.get("to").unwrap_or_default());
    view! {
        <section class="card auth-card" data-page="join-sent">
            <h1>{i18n.t("join.sent_title")}</h1>
            <p role="status">{move || tr_args(i18n.locale(), "join.sent", &[("email", &to())])}</p>
        </section>
    }
}

#[component]
pub fn ConfirmJoinPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let token = Memo::new(move |_| query.with(|q| q.get("token").unwrap_or_default()));
    let pending = crate::wire::resource(move || token.get(), get_join_confirmation);
    let action = ServerAction::<ConfirmJoin>::new();
    follow_success(action);
    view! {
        <section class="card auth-card" data-page="join-confirm">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match pending.await {
                        Ok(view) => {
                            let org = view.org_name.clone();
                            let email = view.email.clone();
                            view! {
                                <h1>{move || tr_args(i18n.locale(), "join.title", &[("org", &org)])}</h1>
                                <p>{move || tr_args(i18n.locale(), "join.confirm_intro", &[("email", &email)])}</p>
                                <FormAlert action=action />
                                <ActionForm action=action>
                                    <input type="hidden" name="token" value=token.get_untracked() />
                                    <Field name="password" label="join.confirm_password" kind="password" autocomplete="current-password" errors=field_errors(action, "password") />
                                    <Submit action=action label="join.confirm" />
                                </ActionForm>
                            }
                            .into_any()
                        }
                        Err(err) => problem(err, "errors.join_confirm_unknown").into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The Link tab of "Add Person": the "People can add themselves" switch, the link
/// to copy and the allowed email domains.
#[component]
pub fn LinkTab(link: JoinLinkSettings, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let (region2, short_name2) = (region.clone(), short_name.clone());
    let action = ServerAction::<SaveJoinLink>::new();
    follow_success(action);
    let joined = link.joined.to_string();
    let url = link.url.clone();
    let copied = RwSignal::new(false);
    view! {
        <FormAlert action=action />
        <ActionForm action=action>
            <OrgInputs region=region short_name=short_name />
            <div class="field checkbox switch">
                <label>
                    <input type="checkbox" role="switch" name="enabled" value="true" checked=link.enabled />
                    " "
                    {i18n.t("people.link_setting")}
                </label>
                <p class="field-hint">{i18n.t("people.link_setting_hint")}</p>
            </div>
            {url.map(|url| view! {
                <div class="field copy-link">
                    <label for="join-link">{i18n.t("people.link")}</label>
                    <div class="copy-row">
                        <input id="join-link" type="text" readonly=true value=url.clone() data-testid="join-link" />
                        <button
                            type="button"
                            class="btn btn-small"
                            on:click=move |_| {
                                copy_to_clipboard(&url);
                                copied.set(true);
                            }
                        >
                            {move || if copied.get() { tr(i18n.locale(), "people.copied") } else { tr(i18n.locale(), "people.copy") }}
                        </button>
                    </div>
                    <p class="field-hint" data-testid="joined-count">
                        {move || tr_args(i18n.locale(), "people.link_joined", &[("count", &joined)])}
                    </p>
                </div>
            })}
            <DomainsField domains=link.domains.join(", ") errors=field_errors(action, "domains") />
            {(!link.verified_domains.is_empty()).then(|| {
                let verified = link.verified_domains.join(", ");
                view! {
                    <p class="field-hint" data-testid="verified-domains">
                        {move || tr_args(i18n.locale(), "domains.verified_also", &[("domains", &verified)])}
                    </p>
                }
            })}
            <Submit action=action label="people.save_link" />
        </ActionForm>
        <LimitedLinks links=link.links region=region2 short_name=short_name2 />
    }
    .into_any()
}

/// "Limited links": named links, each with its role, last day and number of joins, who
/// made it and Disable; and the form that makes one.
#[component]
fn LimitedLinks(links: Vec<LimitedLink>, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateLimitedLink>::new();
    let disable = ServerAction::<DisableLimitedLink>::new();
    follow_success(create);
    follow_success(disable);
    let rows = links
        .into_iter()
        .map(|l| {
            let (region, short_name) = (region.clone(), short_name.clone());
            let role = l.role;
            let left = l.left().map(|n| n.to_string());
            let joined = l.joined.to_string();
            let state = match l.state {
                LinkState::Expired => Some("people.link_expired"),
                LinkState::Full => Some("people.link_full"),
                _ => None,
            };
            let expires = l.expires.clone();
            let made_by = l.made_by.clone().unwrap_or_default();
            view! {
                <li class="limited-link" data-link=l.name.clone() data-state=format!("{:?}", l.state).to_lowercase()>
                    <p><strong>{l.name.clone()}</strong> " · " {move || tr(i18n.locale(), role.label_key())}</p>
                    <input type="text" readonly=true value=l.url.clone() aria-label=i18n.t("people.link") />
                    <p class="field-hint">
                        {move || match &left {
                            Some(left) => tr_args(i18n.locale(), "people.link_joins_left", &[("left", left), ("joined", &joined)]),
                            None => tr_args(i18n.locale(), "people.link_joined", &[("count", &joined)]),
                        }}
                        {expires.map(|day| view! { " · " {move || tr_args(i18n.locale(), "people.link_until", &[("day", &day)])} })}
                        " · "
                        {move || tr_args(i18n.locale(), "people.link_made_by", &[("name", &made_by)])}
                    </p>
                    {state.map(|key| view! { <p class="field-hint warn">{i18n.t(key)}</p> })}
                    <ActionForm action=disable>
                        <OrgInputs region=region short_name=short_name />
                        <input type="hidden" name="link_id" value=l.id.to_string() />
                        <button type="submit" class="btn btn-small" data-action="disable-link">{i18n.t("people.link_disable")}</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="limited-links" data-testid="limited-links">
            <h3>{i18n.t("people.limited_links")}</h3>
            <p class="field-hint">{i18n.t("people.limited_links_hint")}</p>
            <ul class="plain">{rows}</ul>
            <FormAlert action=create />
            <ActionForm action=create attr:class="new-link">
                <OrgInputs region=region short_name=short_name />
                <Field name="name" id="link-name" label="people.link_name" errors=field_errors(create, "name") />
                <div class="field">
                    <label for="link-role">{i18n.t("activation.role")}</label>
                    <select id="link-role" name="role">
                        <option value="VIEWER" selected=true>{i18n.t("roles.viewer")}</option>
                        <option value="EDITOR">{i18n.t("roles.editor")}</option>
                    </select>
                </div>
                <Field name="expires" id="link-expires" kind="date" label="people.link_last_day" hint="people.optional" errors=field_errors(create, "expires") />
                <Field name="max_joins" id="link-max-joins" kind="number" label="people.link_max_joins" hint="people.optional" errors=field_errors(create, "max_joins") />
                <Submit action=create label="people.link_create" />
            </ActionForm>
        </div>
    }
}

#[component]
fn DomainsField(
    domains: String,
    #[prop(into)] errors: Signal<Vec<crate::error::FieldError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let messages = move || {
        errors
            .get()
            .iter()
            .map(|e| e.message(i18n.locale()))
            .collect::<Vec<_>>()
            .join(" ")
    };
    view! {
        <div class="field">
            <label for="field-domains">{i18n.t("people.allowed_domains")}</label>
            <input id="field-domains" name="domains" type="text" value=domains placeholder="example.com, example.org" aria-describedby="field-domains-hint field-domains-error" />
            <p class="field-hint" id="field-domains-hint">{i18n.t("people.allowed_domains_hint")}</p>
            <p class="field-error" id="field-domains-error" aria-live="polite">{messages}</p>
        </div>
    }
}
