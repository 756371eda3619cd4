//! Admin > People and Permissions > People: the list with search, sort and
//! paging, "Add Person" (Email and Link tabs), "Invite All" and each person's More
//! Options. Every form works without JavaScript; the list's state is the URL.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::api::{
    AddPerson, ChangeRole, CorrectAddress, ExtendInvite, RevokeInvite, SendInvite, SetPersonActive,
    get_people,
};
use super::markup::{Loaded, RowsInMarkup};
use super::types::{
    AdminView, InvitationStatus, ListQuery, PeoplePage as Page, PersonRow, PersonStatus, SortKey,
};
use crate::auth::types::{check_email, check_name};
use crate::i18n::{tr, tr_args, use_i18n};
use crate::invite_all::views::{BatchProgressBar, InviteAllButton};
use crate::joining::types::JoinLinkSettings;
use crate::joining::views::LinkTab;
use crate::roles::Role;
use crate::ui::form::{
    Field, FormAlert, OrgInputs, RoleSelect, Submit, field_errors, follow_success,
};
use crate::ui::org_page::{org_page, use_org_params};
use crate::ui::table::{TableFrame, breakable};

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
    // The rows travel once, as the table's markup (see `markup`).
    let page = Resource::<Loaded, RowsInMarkup>::new_with_options(
        params,
        |(r, s, list)| {
            get_people(
                r,
                s,
                Some(list.q.clone()).filter(|q| !q.is_empty()),
                Some(list.sort_param()),
                list.after.map(|a| a.to_string()),
                list.before.map(|b| b.to_string()),
            )
        },
        false,
    );
    org_page(page, move |page| {
        let (region, short_name) = key.get_untracked();
        view! { <People page=page region=region short_name=short_name /> }
    })
}

/// The server actions of the per-person menus, shared by every row.
#[derive(Clone, Copy)]
struct RowActions {
    send: ServerAction<SendInvite>,
    extend: ServerAction<ExtendInvite>,
    correct: ServerAction<CorrectAddress>,
    revoke: ServerAction<RevokeInvite>,
    active: ServerAction<SetPersonActive>,
    role: ServerAction<ChangeRole>,
}

#[component]
fn People(page: Page, region: String, short_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let actions = RowActions {
        send: ServerAction::new(),
        extend: ServerAction::new(),
        correct: ServerAction::new(),
        revoke: ServerAction::new(),
        active: ServerAction::new(),
        role: ServerAction::new(),
    };
    follow_success(actions.send);
    follow_success(actions.extend);
    follow_success(actions.correct);
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
    // Relative to this page ("?sort=name&menu=7"): fifty rows need not repeat its path.
    let here = page.query.href("", page.query.after, page.query.before);
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
    let table = view! {
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
    };
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
            <TableFrame label=i18n.t("people.title")>{table}</TableFrame>
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
    let delivery = p.delivery.clone();
    let id = p.id;
    let status = if active {
        PersonStatus::Active
    } else {
        PersonStatus::Inactive
    };
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
        <tr
            data-id=id.to_string()
            data-email=p.email.clone()
            data-role=role.code()
            data-status=status.code()
            data-invitation=invitation.code()
        >
            <td class="long">{p.name.clone()}</td>
            <td class="long">{breakable(p.email.clone())}</td>
            <td>{move || tr(i18n.locale(), role.label_key())}</td>
            <td>{move || tr(i18n.locale(), if active { "people.active" } else { "people.inactive" })}</td>
            <td class="welcome-sent" data-date=p.welcome_sent.clone()>{move || welcome.clone().unwrap_or_else(|| tr(i18n.locale(), "people.not_yet"))}</td>
            <td class="invitation-state">
                {move || tr(i18n.locale(), invitation.label_key())}
                {delivery.map(|d| {
                    let (at, reason) = (d.at.clone(), d.reason.clone());
                    view! {
                        <small class="delivery" data-delivery=d.state.code() data-at=d.at data-reason=d.reason>
                            {move || tr_args(i18n.locale(), d.state.label_key(), &[("at", &at), ("reason", &reason)])}
                        </small>
                    }
                })}
            </td>
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
    let extend_form = (p.invitation == InvitationStatus::Expired).then(|| {
        let (org, id) = (org.clone(), id.clone());
        view! {
            <ActionForm action=actions.extend attr:class="menu-item">
                {org()}
                <input type="hidden" name="person_id" value=id />
                <button type="submit" class="btn btn-small" data-action="extend">{i18n.t("people.extend")}</button>
            </ActionForm>
        }
    });
    let correct_form = (p.invitation == InvitationStatus::NotDelivered).then(|| {
        let (org, id) = (org.clone(), id.clone());
        let field = format!("address-{id}");
        view! {
            <ActionForm action=actions.correct attr:class="menu-item correct-address">
                {org()}
                <input type="hidden" name="person_id" value=id />
                <label for=field.clone()>{i18n.t("people.address")}</label>
                <input type="email" id=field name="email" value=p.email.clone() autocomplete="off" required=true />
                <button type="submit" class="btn btn-small" data-action="correct-address">{i18n.t("people.correct_and_resend")}</button>
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
                {extend_form}
                {correct_form}
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

/// Quota, Invite All, Add Person, Import people and the audit log link, for people who
/// may invite.
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
            <a class="btn btn-small" href=format!("{base}/import") data-testid="import-people">{i18n.t("people.import_people")}</a>
            <a class="btn btn-small" href=format!("{base}/audit")>{i18n.t("audit.title")}</a>
        </div>
        {running.map(|b| view! { <BatchProgressBar batch=b region=region.clone() short_name=short_name.clone() /> })}
        {left_out}
    }
    .into_any()
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
