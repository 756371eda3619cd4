//! Admin > People and Permissions > People: the list with search, sort and
//! paging, "Add Person" (Email and Link tabs), "Invite All" and each person's More
//! Options. Every form works without JavaScript; the list's state is the URL.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::api::{
    AddPerson, ChangeRole, InviteAll, RevokeInvite, SaveJoinLink, SendInvite, SetPersonActive,
    get_invite_all_preview, get_people,
};
use super::types::{
    AdminView, BatchProgress, InvitationStatus, JoinLinkSettings, ListQuery, PeoplePage as Page,
    PersonRow, SortKey,
};
use crate::auth::types::{check_email, check_name};
use crate::i18n::{I18n, tr, tr_args, use_i18n};
use crate::orgs::views::{OrgProblem, use_org_params};
use crate::roles::Role;
use crate::ui::form::{
    Field, FormAlert, OrgInputs, RoleSelect, Submit, copy_to_clipboard, field_errors,
    follow_success,
};

#[component]
pub fn PeoplePage() -> impl IntoView {
    let key = use_org_params();
    let query = use_query_map();
    // The list's own parameters, normalised: opening a menu or a dialog (`menu=`,
    // `invite_all=`) changes the URL but not the list, and does not refetch it.
    let params = move || {
        let (region, short_name) = key.get();
        let list = query.with(|q| {
            ListQuery::from_params(q.get("q"), q.get("sort"), q.get("after"), q.get("before"))
        });
        (region, short_name, list)
    };
    let page = Resource::new(params, |(r, s, list)| {
        get_people(
            r,
            s,
            Some(list.q.clone()).filter(|q| !q.is_empty()),
            Some(list.sort_param()),
            list.after.map(|a| a.to_string()),
            list.before.map(|b| b.to_string()),
        )
    });
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

/// The server actions of the per-person menus, shared by every row.
#[derive(Clone, Copy)]
struct RowActions {
    send: ServerAction<SendInvite>,
    revoke: ServerAction<RevokeInvite>,
    active: ServerAction<SetPersonActive>,
    role: ServerAction<ChangeRole>,
}

#[component]
fn People(page: Page, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let actions = RowActions {
        send: ServerAction::new(),
        revoke: ServerAction::new(),
        active: ServerAction::new(),
        role: ServerAction::new(),
    };
    follow_success(actions.send);
    follow_success(actions.revoke);
    follow_success(actions.active);
    follow_success(actions.role);
    let base = format!("{}/people", page.org_home);
    let contacts = page.contacts.join(", ");
    let can_invite = page.can_invite;
    // One "More Options" menu at a time, named in the URL (`menu=<person id>`): rendered
    // for that row only, so the page does not carry fifty copies of its forms.
    let url = use_query_map();
    let open_menu =
        Memo::new(move |_| url.with(|q| q.get("menu").and_then(|m| m.parse::<i64>().ok())));
    let here = page.query.href(&base, page.query.after, page.query.before);
    let rows = page
        .people
        .iter()
        .map(|p| {
            let menu = MenuLinks {
                open: format!("{here}&menu={}", p.id),
                close: here.clone(),
            };
            view! {
                <PersonLine p=p.clone() can_invite=can_invite actions=actions menu=menu open_menu=open_menu region=region.clone() short_name=short_name.clone() />
            }
        })
        .collect_view();
    let empty = page.people.is_empty();
    let query = page.query.clone();
    view! {
        <section class="card people-page">
            <p class="eyebrow"><a href=page.org_home.clone()>{page.org_name.clone()}</a></p>
            <div class="people-head">
                <h1>{i18n.t("people.title")}</h1>
                {page.admin.clone().map(|admin| view! {
                    <AdminBar admin=admin base=base.clone() region=region.clone() short_name=short_name.clone() />
                })}
            </div>
            <FormAlert action=actions.send />
            <FormAlert action=actions.revoke />
            <FormAlert action=actions.active />
            <FormAlert action=actions.role />
            {(!can_invite).then(|| view! {
                <div class="alert alert-info" role="status" data-testid="cannot-invite">
                    {move || tr_args(i18n.locale(), "errors.not_permitted_ask", &[("contacts", &contacts)])}
                </div>
            })}
            <SearchForm query=query.clone() base=base.clone() />
            <table class="table people">
                <thead>
                    <tr>
                        <SortHeader query=query.clone() base=base.clone() key=SortKey::Name label="auth.name" />
                        <SortHeader query=query.clone() base=base.clone() key=SortKey::Email label="auth.email" />
                        <th>{i18n.t("activation.role")}</th>
                        <th>{i18n.t("people.status")}</th>
                        <th>{i18n.t("people.welcome_sent")}</th>
                        <th>{i18n.t("people.invitation")}</th>
                        <th><span class="sr-only">{i18n.t("people.more_options")}</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {empty.then(|| view! { <p class="empty" data-testid="no-people">{i18n.t("people.none_found")}</p> })}
            <nav class="pager" aria-label=i18n.t("people.pages")>
                {page.prev.map(|before| view! {
                    <a class="btn btn-small" rel="prev" href=query.href(&base, None, Some(before))>{i18n.t("people.previous")}</a>
                })}
                {page.next.map(|after| view! {
                    <a class="btn btn-small" rel="next" href=query.href(&base, Some(after), None)>{i18n.t("people.next")}</a>
                })}
            </nav>
        </section>
    }
    .into_any()
}

#[component]
fn SearchForm(query: ListQuery, base: String) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <form class="people-search" method="get" action=base.clone() role="search">
            <label for="people-q" class="sr-only">{i18n.t("people.search")}</label>
            <input id="people-q" type="search" name="q" value=query.q.clone() placeholder=i18n.t("people.search_placeholder") />
            <input type="hidden" name="sort" value=query.sort_param() />
            <button type="submit" class="btn btn-small">{i18n.t("people.search")}</button>
            {(!query.q.is_empty()).then(|| view! {
                <a href=base.clone()>{i18n.t("people.clear_search")}</a>
            })}
        </form>
    }
    .into_any()
}

/// A column heading (which carries `aria-sort`) whose link sorts by it; a second click
/// reverses the order.
#[component]
fn SortHeader(query: ListQuery, base: String, key: SortKey, label: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let current = query.sort == key;
    let next = ListQuery {
        sort: key,
        desc: current && !query.desc,
        after: None,
        before: None,
        ..query.clone()
    };
    let arrow = match (current, query.desc) {
        (false, _) => "",
        (true, false) => " ▲",
        (true, true) => " ▼",
    };
    let sorted = match (current, query.desc) {
        (false, _) => "none",
        (true, false) => "ascending",
        (true, true) => "descending",
    };
    view! {
        <th aria-sort=sorted>
            <a href=next.href(&base, None, None) data-sort=label>{i18n.t(label)}{arrow}</a>
        </th>
    }
}

/// Where a row's "More Options" link goes: to this page with the menu open, or closed.
#[derive(Clone)]
struct MenuLinks {
    open: String,
    close: String,
}

#[component]
fn PersonLine(
    p: PersonRow,
    can_invite: bool,
    actions: RowActions,
    menu: MenuLinks,
    open_menu: Memo<Option<i64>>,
    region: String,
    short_name: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let role = p.role;
    let invitation = p.invitation;
    let active = p.active;
    let welcome = p.welcome_sent.clone();
    let id = p.id;
    let is_open = move || open_menu.get() == Some(id);
    let options = can_invite.then(|| {
        let name = p.name.clone();
        let p = p.clone();
        view! {
            <div class="menu more-options">
                <a
                    class="btn btn-small"
                    href=move || if is_open() { menu.close.clone() } else { menu.open.clone() }
                    aria-expanded=move || is_open().to_string()
                    aria-label=move || tr_args(i18n.locale(), "people.more_options_for", &[("name", &name)])
                >
                    {i18n.t("people.more_options")}
                </a>
                {move || is_open().then(|| view! {
                    <MoreOptions p=p.clone() actions=actions region=region.clone() short_name=short_name.clone() />
                })}
            </div>
        }
    });
    view! {
        <tr data-email=p.email.clone()>
            <td>{p.name.clone()}</td>
            <td>{p.email.clone()}</td>
            <td>{move || tr(i18n.locale(), role.label_key())}</td>
            <td>{move || tr(i18n.locale(), if active { "people.active" } else { "people.inactive" })}</td>
            <td class="welcome-sent">{move || welcome.clone().unwrap_or_else(|| tr(i18n.locale(), "people.not_yet"))}</td>
            <td class="invitation-state">{move || tr(i18n.locale(), invitation.label_key())}</td>
            <td>{options}</td>
        </tr>
    }
    .into_any()
}

/// A person's "More Options" menu: Send Invite / Resend, Revoke, Deactivate / Activate
/// and Change role. Warnings (already sent, OWNER, last owner) are shown before the click.
#[component]
fn MoreOptions(
    p: PersonRow,
    actions: RowActions,
    region: String,
    short_name: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = p.id.to_string();
    let member = p.invitation == InvitationStatus::Accepted;
    let pending = p.invitation == InvitationStatus::Pending;
    let resend = matches!(
        p.invitation,
        InvitationStatus::Pending | InvitationStatus::Expired | InvitationStatus::NotDelivered
    );
    let name = p.name.clone();
    let org = move || view! { <OrgInputs region=region.clone() short_name=short_name.clone() /> };
    let send_form = (!member).then(|| {
        let (org, id, name) = (org.clone(), id.clone(), name.clone());
        let welcome = p.welcome_sent.clone();
        let inactive = !p.active;
        let label = if resend { "people.resend" } else { "people.send_invite" };
        view! {
            <ActionForm action=actions.send attr:class="menu-item">
                {org()}
                <input type="hidden" name="person_id" value=id.clone() />
                {inactive.then(|| {
                    let name = name.clone();
                    view! {
                        <p class="field-hint warn">{move || tr_args(i18n.locale(), "people.inactive_will_activate", &[("name", &name)])}</p>
                    }
                })}
                {welcome.clone().map(|date| view! {
                    <label class="confirm-again">
                        <input type="checkbox" name="confirmed" value="true" required=true />
                        " "
                        {move || tr_args(i18n.locale(), "people.confirm_send_again", &[("date", &date)])}
                    </label>
                })}
                <button type="submit" class="btn btn-small" data-action="send-invite">{i18n.t(label)}</button>
            </ActionForm>
        }
    });
    let revoke_form = pending.then(|| {
        let (org, id) = (org.clone(), id.clone());
        view! {
            <ActionForm action=actions.revoke attr:class="menu-item">
                {org()}
                <input type="hidden" name="person_id" value=id />
                <button type="submit" class="btn btn-small" data-action="revoke">{i18n.t("people.revoke")}</button>
            </ActionForm>
        }
    });
    let (next_active, active_label) = if p.active {
        ("false", "people.deactivate")
    } else {
        ("true", "people.activate")
    };
    let current_role = p.role;
    let role_id = format!("role-{}", p.id);
    let (org_a, id_a) = (org.clone(), id.clone());
    let (org_r, id_r) = (org, id);
    view! {
            <div class="menu-panel" data-testid="more-options">
                {send_form}
                {revoke_form}
                <ActionForm action=actions.active attr:class="menu-item">
                    {org_a()}
                    <input type="hidden" name="person_id" value=id_a.clone() />
                    <input type="hidden" name="active" value=next_active />
                    <button type="submit" class="btn btn-small" data-action="toggle-active">{i18n.t(active_label)}</button>
                </ActionForm>
                <ActionForm action=actions.role attr:class="menu-item change-role">
                    {org_r()}
                    <input type="hidden" name="person_id" value=id_r.clone() />
                    <label for=role_id.clone()>{i18n.t("people.change_role")}</label>
                    <select id=role_id name="role">
                        {Role::ALL.into_iter().map(|r| view! {
                            <option value=r.code() selected=r == current_role>
                                {move || tr(i18n.locale(), r.label_key())}
                            </option>
                        }).collect_view()}
                    </select>
                    <button type="submit" class="btn btn-small" data-action="change-role">{i18n.t("people.change_role")}</button>
                </ActionForm>
            </div>
    }
    .into_any()
}

/// Quota, Invite All, Add Person and the audit log link, for people who may invite.
#[component]
fn AdminBar(admin: AdminView, base: String, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let (left, quota) = (admin.quota_left.to_string(), admin.quota.to_string());
    let running = admin.batch.clone().filter(|b| !b.done());
    // Who the latest Invite All could not invite, and why (until the next one).
    let left_out = admin
        .batch
        .as_ref()
        .map(|b| b.left_out_owners)
        .filter(|n| *n > 0)
        .map(|n| {
            let n = n.to_string();
            view! {
                <p class="alert alert-info" role="status" data-testid="invite-all-left-out">
                    {move || tr_args(i18n.locale(), "people.invite_all_left_out", &[("count", &n)])}
                </p>
            }
        });
    view! {
        <div class="admin-bar">
            <p class="quota" data-testid="quota">
                {move || tr_args(i18n.locale(), "people.quota_left", &[("left", &left), ("quota", &quota)])}
            </p>
            <InviteAllButton base=base.clone() region=region.clone() short_name=short_name.clone() />
            <AddPersonDialog link=admin.link.clone() region=region.clone() short_name=short_name.clone() />
            <a class="btn btn-small" href=format!("{base}/audit")>{i18n.t("audit.title")}</a>
        </div>
        {running.map(|b| view! { <BatchProgressBar batch=b region=region.clone() short_name=short_name.clone() /> })}
        {left_out}
    }
    .into_any()
}

/// "Invite All" opens its confirmation (`invite_all=1` in the URL), which counts whom
/// it would invite: counting is not free, so only the open dialog does it.
#[component]
fn InviteAllButton(base: String, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let open = Memo::new(move |_| url.with(|q| q.get("invite_all").is_some()));
    let href = {
        let base = base.clone();
        move || {
            if open.get() {
                base.clone()
            } else {
                format!("{base}?invite_all=1")
            }
        }
    };
    view! {
        <div class="menu invite-all">
            <a class="btn" href=href aria-expanded=move || open.get().to_string()>
                {i18n.t("people.invite_all")}
            </a>
            {move || open.get().then(|| view! {
                <InviteAllDialog base=base.clone() region=region.clone() short_name=short_name.clone() />
            })}
        </div>
    }
    .into_any()
}

#[component]
fn InviteAllDialog(base: String, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<InviteAll>::new();
    follow_success(action);
    let preview = {
        let (region, short_name) = (region.clone(), short_name.clone());
        Resource::new(
            || (),
            move |_| get_invite_all_preview(region.clone(), short_name.clone()),
        )
    };
    view! {
        <div class="menu-panel" role="dialog" aria-label=i18n.t("people.invite_all")>
            <Suspense fallback=|| ()>
                {move || {
                    let (base, region, short_name) = (base.clone(), region.clone(), short_name.clone());
                    Suspend::new(async move {
                        let preview = match preview.await {
                            Ok(preview) => preview,
                            Err(err) => return view! { <p class="alert alert-error" role="alert">{err.form_message(i18n.locale()).unwrap_or_default()}</p> }.into_any(),
                        };
                        if preview.never_invited == 0 {
                            return view! { <p>{i18n.t("people.invite_all_nobody")}</p> }.into_any();
                        }
                        // The server stops counting past 10,000 (see queries::NEVER_INVITED_CAP).
                        let count = if preview.never_invited > 10_000 {
                            "10,000+".to_owned()
                        } else {
                            preview.never_invited.to_string()
                        };
                        let inactive = preview.never_invited_inactive.to_string();
                        let has_inactive = preview.never_invited_inactive > 0;
                        view! {
                            <p>{move || tr_args(i18n.locale(), "people.invite_all_confirm", &[("count", &count)])}</p>
                            {has_inactive.then(|| {
                                let inactive = inactive.clone();
                                view! { <p class="field-hint warn">{move || tr_args(i18n.locale(), "people.invite_all_inactive", &[("count", &inactive)])}</p> }
                            })}
                            <FormAlert action=action />
                            <ActionForm action=action>
                                <OrgInputs region=region.clone() short_name=short_name.clone() />
                                <Submit action=action label="people.yes" />
                                " "
                                <a class="btn btn-small" href=base.clone()>{i18n.t("people.no")}</a>
                            </ActionForm>
                        }
                        .into_any()
                    })
                }}
            </Suspense>
        </div>
    }
    .into_any()
}

/// "Invite All: N of M sent", refreshed about once a second while mails go out.
#[component]
fn BatchProgressBar(batch: BatchProgress, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let progress = RwSignal::new(batch);
    #[cfg(feature = "hydrate")]
    {
        let (region, short_name) = (region.clone(), short_name.clone());
        leptos::task::spawn_local(async move {
            loop {
                gloo_timers::future::TimeoutFuture::new(1_000).await;
                match super::api::get_invite_all_progress(region.clone(), short_name.clone()).await
                {
                    Ok(Some(b)) => {
                        let done = b.done();
                        progress.set(b);
                        if done {
                            // Show the list with everyone's new Welcome Sent and state.
                            if let Some(window) = web_sys::window() {
                                let _ = window.location().reload();
                            }
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {}
                }
            }
        });
    }
    let _ = (&region, &short_name);
    let text = move || {
        let b = progress.get();
        let key = if b.done() {
            "people.invite_all_done"
        } else {
            "people.invite_all_progress"
        };
        tr_args(
            i18n.locale(),
            key,
            &[
                ("sent", &b.sent.to_string()),
                ("total", &b.total.to_string()),
            ],
        )
    };
    let value = move || progress.get().sent.to_string();
    let max = move || progress.get().total.max(1).to_string();
    view! {
        <div class="batch-progress" role="status" aria-live="polite" data-testid="invite-all-progress">
            <progress value=value max=max></progress>
            <span>{text}</span>
        </div>
    }
}

/// "Add Person" opens "Add People to the Organization" with the Email and Link tabs
/// (radio-button tabs: they work without JavaScript).
#[component]
fn AddPersonDialog(link: JoinLinkSettings, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <details class="menu add-person">
            <summary class="btn btn-primary">{i18n.t("people.add_person")}</summary>
            <div class="add-person-panel" role="dialog" aria-label=i18n.t("people.add_title")>
                <h2>{i18n.t("people.add_title")}</h2>
                <div class="tabs">
                    <input type="radio" name="add-tab" id="tab-email" checked=true />
                    <label for="tab-email" class="tab">{i18n.t("people.tab_email")}</label>
                    <input type="radio" name="add-tab" id="tab-link" />
                    <label for="tab-link" class="tab">{i18n.t("people.tab_link")}</label>
                    <div class="tab-panel panel-email">
                        <AddByEmail region=region.clone() short_name=short_name.clone() />
                    </div>
                    <div class="tab-panel panel-link">
                        <LinkTab link=link region=region short_name=short_name />
                    </div>
                </div>
            </div>
        </details>
    }
    .into_any()
}

#[component]
fn AddByEmail(region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<AddPerson>::new();
    follow_success(action);
    let role_errors = field_errors(action, "role");
    view! {
        <FormAlert action=action />
        <ActionForm action=action>
            <OrgInputs region=region short_name=short_name />
            <Field name="name" label="auth.name" autocomplete="off" errors=field_errors(action, "name") check=check_name />
            <Field name="email" label="auth.email" kind="email" autocomplete="off" errors=field_errors(action, "email") check=check_email />
            <RoleSelect errors=role_errors />
            <div class="field checkbox">
                <label><input type="checkbox" name="send_now" checked=true /> " " {i18n.t("people.send_now")}</label>
                <p class="field-hint">{i18n.t("people.active_note")}</p>
            </div>
            <Submit action=action label="people.add" />
        </ActionForm>
    }
}

#[component]
fn LinkTab(link: JoinLinkSettings, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
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
            <Submit action=action label="people.save_link" />
        </ActionForm>
    }
    .into_any()
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

/// The Resource Center page the invitation email links to: getting started with Muster.
#[component]
pub fn ResourcesPage() -> impl IntoView {
    let i18n: I18n = use_i18n();
    let sections = ["signin", "switch", "roles", "help"];
    view! {
        <section class="card resources" data-page="resources">
            <h1>{i18n.t("resources.title")}</h1>
            <p>{i18n.t("resources.intro")}</p>
            {sections.into_iter().map(|s| {
                let (title, body) = (format!("resources.{s}_title"), format!("resources.{s}_body"));
                view! {
                    <h2>{move || tr(i18n.locale(), &title)}</h2>
                    <p>{move || tr(i18n.locale(), &body)}</p>
                }
            }).collect_view()}
            <p><a class="btn btn-primary" href="/signin">{i18n.t("auth.sign_in")}</a></p>
        </section>
    }
}
