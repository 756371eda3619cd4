//! The organization settings page (`/o/<region>/<short name>/settings`), reached from
//! "+" → "Invite member": the plan and its seats, "Invite someone" with each
//! role's permissions beside the choice, what the member may do here, and API keys.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::api::{InviteMember, OfferOwnership, SaveSecondFactorPolicy, get_org_settings};
use super::types::{OrgSettings, TransferSection};
use crate::api_keys::api::{CreateApiKey, RevokeApiKey};
use crate::api_keys::types::{ApiKeyView, CreatedApiKey, KeyPurpose};
use crate::auth::types::check_email;
use crate::domains::views::DomainsSection;
use crate::i18n::{tr, tr_args, use_i18n};
use crate::invitations::views::RemindersSection;
use crate::roles::Role;
use crate::roles::{Decision, Permission};
use crate::sso::views::SsoSection;
use crate::ui::form::{
    Field, FormAlert, OrgInputs, Submit, copy_to_clipboard, field_errors, follow_success,
};
use crate::ui::org_page::{org_page, use_org_params};
use crate::ui::table::TableFrame;

#[component]
pub fn OrgSettingsPage() -> impl IntoView {
    let key = use_org_params();
    let settings = crate::wire::resource(move || key.get(), |(r, s)| get_org_settings(r, s));
    org_page(settings, |s| view! { <Settings s=s /> })
}

#[component]
fn Settings(s: OrgSettings) -> impl IntoView {
    let i18n = use_i18n();
    let used = s.plan.seats_used().to_string();
    let (seats, members, pending) = (
        s.plan.seats.to_string(),
        s.plan.members.to_string(),
        s.plan.pending.to_string(),
    );
    let plan_name = s.plan_name.clone();
    let role = s.my_role;
    view! {
        <section class="card org-settings">
            <p class="eyebrow"><a href=s.home.clone()>{s.org_name.clone()}</a></p>
            <h1>{i18n.t("settings.title")}</h1>
            <p>{move || tr_args(i18n.locale(), "org.your_role", &[("role", &tr(i18n.locale(), role.label_key()))])}</p>
            <dl class="summary">
                <dt>{i18n.t("activation.plan")}</dt>
                <dd data-testid="plan">{move || tr(i18n.locale(), &format!("plans.{plan_name}"))}</dd>
                <dt>{i18n.t("settings.seats")}</dt>
                <dd data-testid="seats">
                    {move || tr_args(i18n.locale(), "settings.seats_used", &[("used", &used), ("seats", &seats), ("members", &members), ("pending", &pending)])}
                </dd>
            </dl>
        </section>
        <InviteSomeone s=s.clone() />
        <YourPermissions decisions=s.decisions.clone() />
        {s.api_keys.clone().map(|keys| view! { <ApiKeys keys=keys fresh=s.new_key.clone() region=s.region.clone() short_name=s.short_name.clone() my_role=s.my_role purpose=KeyPurpose::Rest /> })}
        {s.transfer.clone().map(|t| view! { <TransferOwnership transfer=t region=s.region.clone() short_name=s.short_name.clone() /> })}
        {s.reminders.clone().map(|reminders| view! { <RemindersSection reminders=reminders region=s.region.clone() short_name=s.short_name.clone() /> })}
        {s.second_factor_policy.clone().map(|policy| view! { <SecondFactorPolicy policy=policy region=s.region.clone() short_name=s.short_name.clone() /> })}
        {s.domains.clone().map(|domains| view! { <DomainsSection domains=domains region=s.region.clone() short_name=s.short_name.clone() /> })}
        {s.sso.clone().map(|sso| view! { <SsoSection sso=sso region=s.region.clone() short_name=s.short_name.clone() /> })}
        {s.scim_tokens.clone().map(|tokens| view! { <ApiKeys keys=tokens fresh=s.new_key.clone() region=s.region.clone() short_name=s.short_name.clone() my_role=s.my_role purpose=KeyPurpose::Scim scim_url=s.scim_url.clone() /> })}
    }
    .into_any()
}

/// "Second factor": who must have one to use the organization (OWNERs decide).
#[component]
fn SecondFactorPolicy(policy: String, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SaveSecondFactorPolicy>::new();
    follow_success(action);
    let saved = use_query_map().with_untracked(|q| q.get("second_factor").is_some());
    let options = crate::orgs::types::SECOND_FACTOR_POLICIES
        .into_iter()
        .map(|choice| {
            let id = format!("second-factor-{choice}");
            let label = format!("settings.second_factor_{choice}");
            view! {
                <div class="radio">
                    <input type="radio" id=id.clone() name="policy" value=choice checked=policy == choice />
                    <label for=id>{move || tr(i18n.locale(), &label)}</label>
                </div>
            }
        })
        .collect_view();
    view! {
        <section class="card" id="second-factor">
            <h2>{i18n.t("settings.second_factor_title")}</h2>
            <p class="muted">{i18n.t("settings.second_factor_hint")}</p>
            {saved.then(|| view! { <div class="alert alert-success" role="status">{i18n.t("settings.second_factor_saved")}</div> })}
            <FormAlert action=action />
            <ActionForm action=action>
                <OrgInputs region=region short_name=short_name />
                <fieldset>
                    <legend class="visually-hidden">{i18n.t("settings.second_factor_title")}</legend>
                    {options}
                </fieldset>
                <Submit action=action label="settings.second_factor_save" />
            </ActionForm>
        </section>
    }
}

/// "Invite someone": email and role (VIEWER unless changed), each role with what it may
/// do, and a least-privilege hint. Members who may not invite are told whom to ask.
#[component]
fn InviteSomeone(s: OrgSettings) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<InviteMember>::new();
    follow_success(action);
    let invited = Memo::new({
        let q = use_query_map();
        move |_| q.with(|q| q.get("invited"))
    });
    let signup_link = s.signup_link.clone();
    if !s.can_invite {
        let contacts = s.contacts.join(", ");
        return view! {
            <section class="card" id="invite">
                <h2>{i18n.t("settings.invite_someone")}</h2>
                <div class="alert alert-info" role="status" data-testid="ask-admins">
                    {move || tr_args(i18n.locale(), "errors.not_permitted_ask", &[("contacts", &contacts)])}
                </div>
            </section>
        }
        .into_any();
    }
    let role_errors = field_errors(action, "role");
    view! {
        <section class="card" id="invite">
            {move || invited.get().map(|email| {
                let link = format!("{}?email={}", signup_link, crate::url::encode(&email));
                view! {
                    <div class="alert alert-success" role="status" data-testid="invited">
                        <p>{move || tr_args(i18n.locale(), "settings.invited", &[("email", &email)])}</p>
                        <p>{i18n.t("settings.signup_hint")} " " <a href=link.clone() data-testid="signup-link">{link.clone()}</a></p>
                    </div>
                }
            })}
            <details class="invite-someone">
                <summary class="btn btn-primary">{i18n.t("settings.invite_someone")}</summary>
                <FormAlert action=action />
                <ActionForm action=action>
                    <OrgInputs region=s.region.clone() short_name=s.short_name.clone() />
                    <Field name="email" label="auth.email" kind="email" autocomplete="off" errors=field_errors(action, "email") check=check_email />
                    <fieldset class="field role-choice">
                        <legend>{i18n.t("activation.role")}</legend>
                        <p class="field-hint">{i18n.t("settings.least_privilege")}</p>
                        {Role::ALL.into_iter().map(|r| {
                            let allowed: Vec<Permission> = Permission::ALL.into_iter().filter(|p| r.can(*p)).collect();
                            view! {
                                <label class="role-option">
                                    <input type="radio" name="role" value=r.code() checked=r == Role::Viewer />
                                    <strong>{move || tr(i18n.locale(), r.label_key())}</strong>
                                    <span class="role-permissions">
                                        {move || allowed.iter().map(|p| permission_label(i18n.locale(), *p)).collect::<Vec<_>>().join(" · ")}
                                    </span>
                                </label>
                            }
                        }).collect_view()}
                        <p class="field-error" aria-live="polite">
                            {move || role_errors.get().first().map(|e| e.message(i18n.locale()))}
                        </p>
                        <p class="field-hint">{i18n.t("settings.footnotes")}</p>
                    </fieldset>
                    <Submit action=action label="settings.send_invitation" />
                </ActionForm>
                <p class="muted">{i18n.t("settings.signup_hint")} " " <code>{s.signup_link.clone()}</code></p>
            </details>
        </section>
    }
    .into_any()
}

/// A permission's name with its marks: * premium, ** limits depend on the plan.
fn permission_label(locale: crate::i18n::Locale, p: Permission) -> String {
    let mark = if p.premium() {
        "*"
    } else if p.plan_limited() {
        "**"
    } else {
        ""
    };
    format!("{}{mark}", tr(locale, &p.label_key()))
}

/// The member's own answers from the permission matrix and the plan.
#[component]
fn YourPermissions(decisions: Vec<Decision>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card">
            <h2>{i18n.t("settings.your_permissions")}</h2>
            <table class="permissions" data-testid="my-permissions">
                <tbody>
                    {decisions.into_iter().map(|d| {
                        let why = d.denial.as_ref().map(|denial| denial.explain(i18n.locale()));
                        view! {
                            <tr data-permission=d.permission.code() data-allowed=d.allowed.to_string()>
                                <th scope="row">{move || permission_label(i18n.locale(), d.permission)}</th>
                                <td>{move || if d.allowed { format!("✔ {}", tr(i18n.locale(), "settings.allowed")) } else { format!("✘ {}", tr(i18n.locale(), "settings.not_allowed")) }}</td>
                                <td class="muted">{why}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <p class="field-hint">{i18n.t("settings.footnotes")}</p>
        </section>
    }
    .into_any()
}

/// API keys, or (`purpose` Scim) "Provisioning" with its SCIM tokens: the list with last
/// use and Revoke, and a form that shows a new key once (`fresh`: one just made by a
/// plain form post, when JavaScript is off).
#[component]
fn ApiKeys(
    keys: Vec<ApiKeyView>,
    fresh: Option<CreatedApiKey>,
    region: String,
    short_name: String,
    my_role: Role,
    purpose: KeyPurpose,
    /// Where the identity provider sends SCIM requests (Provisioning).
    #[prop(optional)]
    scim_url: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let scim = purpose == KeyPurpose::Scim;
    let text = move |rest: &'static str, scim_key: &'static str| {
        i18n.t(if scim { scim_key } else { rest })
    };
    // A key made without JavaScript is shown in the section that lists it.
    let fresh = fresh.filter(|f| keys.iter().any(|k| k.id == f.row.id));
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    follow_success(revoke);
    // The list as loaded, plus each key created since (newest first, as the server lists).
    let rows = RwSignal::new(keys);
    // Emptied once a key is made, so the next one starts from a blank name.
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            rows.update(|rows| {
                if !rows.iter().any(|k| k.id == created.row.id) {
                    rows.insert(0, created.row);
                }
            });
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
    });
    let (r2, s2) = (region.clone(), short_name.clone());
    let key_row = move |k: ApiKeyView| {
        let (region, short_name) = (r2.clone(), s2.clone());
        let role = k.role;
        let name = k.name.clone();
        view! {
            <tr data-testid="api-key-row">
                <td class="long">{k.name.clone()}</td>
                <td>{move || tr(i18n.locale(), role.label_key())}</td>
                <td><code>{k.prefix.clone()}</code></td>
                <td class="long">{format!("{} · {}", k.created_on, k.created_by)}</td>
                <td>{match k.last_used.clone() { Some(t) => t.into_any(), None => i18n.t("settings.never_used").into_any() }}</td>
                <td>
                    <ActionForm action=revoke>
                        <OrgInputs region=region short_name=short_name />
                        <input type="hidden" name="purpose" value=purpose.code() />
                        <input type="hidden" name="key_id" value=k.id.to_string() />
                        <button type="submit" class="btn btn-small btn-danger" aria-label=move || tr_args(i18n.locale(), "settings.revoke_key", &[("name", &name)])>
                            {i18n.t("settings.revoke")}
                        </button>
                    </ActionForm>
                </td>
            </tr>
        }
    };
    view! {
        <section class="card api-keys" id=purpose.section()>
            <h2>{text("settings.api_keys", "provisioning.title")}</h2>
            {if scim {
                view! {
                    <p class="muted">{i18n.t("provisioning.intro")}</p>
                    <dl class="summary">
                        <dt>{i18n.t("provisioning.url")}</dt>
                        <dd><code data-testid="scim-url">{scim_url.clone()}</code></dd>
                    </dl>
                    <p class="muted">{i18n.t("provisioning.groups")}</p>
                }
                .into_any()
            } else {
                view! { <p class="muted">{i18n.t("settings.api_keys_intro")} " " <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a></p> }.into_any()
            }}
            {move || create.value().get().and_then(|r| r.ok()).or_else(|| fresh.clone()).map(|created| {
                let key = created.key.clone();
                view! {
                    <div class="alert alert-success" role="status">
                        <p>{move || tr_args(i18n.locale(), "settings.key_created", &[("name", &created.row.name)])}</p>
                        <div class="copy-row">
                            <input type="text" readonly=true value=created.key.clone() data-testid="new-api-key" aria-label=i18n.t("settings.api_key") />
                            <button type="button" class="btn btn-small" on:click=move |_| copy_to_clipboard(&key)>{i18n.t("people.copy")}</button>
                        </div>
                    </div>
                }
            })}
            {move || rows.with(Vec::is_empty).then(|| view! { <p class="muted">{text("settings.no_keys", "provisioning.no_tokens")}</p> })}
            <TableFrame label=text("settings.api_keys", "provisioning.title")>
            <table class="table api-key-table" hidden=move || rows.with(Vec::is_empty)>
                <thead>
                    <tr>
                        <th>{text("settings.key_name", "provisioning.token_name")}</th>
                        <th>{i18n.t("activation.role")}</th>
                        <th>{i18n.t("settings.key")}</th>
                        <th>{i18n.t("settings.created")}</th>
                        <th>{i18n.t("settings.last_used")}</th>
                        <th><span class="sr-only">{i18n.t("settings.revoke")}</span></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || rows.get() key=|k| k.id children=key_row />
                </tbody>
            </table>
            </TableFrame>
            <FormAlert action=revoke />
            <h3>{text("settings.create_key", "provisioning.create_token")}</h3>
            <FormAlert action=create />
            <ActionForm action=create node_ref=form>
                <OrgInputs region=region short_name=short_name />
                <input type="hidden" name="purpose" value=purpose.code() />
                <Field name="name" label=if scim { "provisioning.token_name" } else { "settings.key_name" } autocomplete="off" errors=field_errors(create, "name") id=if scim { "field-token-name" } else { "field-name" } />
                {if scim {
                    view! { <input type="hidden" name="role" value=Role::Owner.code() /> }.into_any()
                } else {
                    view! {
                        <div class="field">
                            <label for="field-key-role">{i18n.t("activation.role")}</label>
                            <select id="field-key-role" name="role">
                                {Role::ALL.into_iter().filter(|r| r.weaker(my_role) == *r).map(|r| view! {
                                    <option value=r.code() selected=r == Role::Viewer>{move || tr(i18n.locale(), r.label_key())}</option>
                                }).collect_view()}
                            </select>
                            <p class="field-error" aria-live="polite">
                                {move || field_errors(create, "role").get().first().map(|e| e.message(i18n.locale()))}
                            </p>
                        </div>
                    }
                    .into_any()
                }}
                <Submit action=create label=if scim { "provisioning.create_token" } else { "settings.create_key" } />
            </ActionForm>
        </section>
    }
    .into_any()
}

/// "Transfer ownership" (OWNERs): a member to offer it to, and the role the OWNER keeps;
/// the offer waiting for an answer, if any.
#[component]
fn TransferOwnership(
    transfer: TransferSection,
    region: String,
    short_name: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<OfferOwnership>::new();
    follow_success(action);
    let sent = use_query_map().with_untracked(|q| q.get("transfer").is_some());
    let candidates = transfer
        .candidates
        .into_iter()
        .map(|(id, label)| view! { <option value=id.to_string()>{label}</option> })
        .collect_view();
    let roles = [Role::Admin, Role::Editor, Role::Viewer, Role::Owner]
        .into_iter()
        .map(|r| view! { <option value=r.code()>{move || tr(i18n.locale(), r.label_key())}</option> })
        .collect_view();
    view! {
        <section class="card" id="transfer" data-testid="transfer">
            <h2>{i18n.t("org.transfer_title")}</h2>
            <p class="muted">{i18n.t("org.transfer_hint")}</p>
            {sent.then(|| view! { <div class="alert alert-success" role="status">{i18n.t("org.transfer_sent")}</div> })}
            {transfer.pending.map(|who| view! {
                <p data-testid="transfer-pending">{move || tr_args(i18n.locale(), "org.transfer_pending", &[("who", &who)])}</p>
            })}
            <FormAlert action=action />
            <ActionForm action=action>
                <OrgInputs region=region short_name=short_name />
                <div class="field">
                    <label for="transfer-to">{i18n.t("org.transfer_to")}</label>
                    <select id="transfer-to" name="to">{candidates}</select>
                </div>
                <div class="field">
                    <label for="transfer-role">{i18n.t("org.transfer_role_after")}</label>
                    <select id="transfer-role" name="role_after">{roles}</select>
                </div>
                <Submit action=action label="org.transfer_offer" />
            </ActionForm>
        </section>
    }
}
