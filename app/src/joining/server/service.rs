//! Self-join rules. The link only opens the door: a join counts once the person proves
//! their address (an emailed confirmation link) and only for the allowed domains. The
//! link's token is derived from the server key and a stored random nonce, so admins can
//! copy it again while the database never holds a usable token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use super::queries;
use crate::access::org_home;
use crate::access::{Member, can, plan_facts};
use crate::audit::server::service::record as audit;
use crate::audit::types::AuditAction;
use crate::auth::server::{password, service as accounts};
use crate::auth::types::{EmailAddress, NewPassword, PersonName};
use crate::error::AppError;
use crate::i18n::Locale;
use crate::joining::types::{ConfirmView, JoinView, LinkState, email_allowed, parse_domains};
use crate::joining::types::{JoinLinkSettings, LimitedLink, LimitedLinkForm, parse_limited_link};
use crate::mail::{outbox, templates};
use crate::roles::Role;
use crate::roster::server::service as roster;
use crate::state::{AppState, Settings};
use crate::tokens;

/// A confirmation link is valid this long.
pub const CONFIRM_HOURS: i32 = 24;

fn link_token(settings: &Settings, nonce: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(&settings.secret_key.0)
        .expect("HMAC takes keys of any length");
    mac.update(b"muster join link\0");
    mac.update(nonce);
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

pub fn join_url(settings: &Settings, token: &str) -> String {
    settings.link(&format!("/join/{token}"))
}

/// The Link tab: the switch, the link, the allowed domains and who joined through it.
pub async fn settings(
    db: &mut sqlx::PgConnection,
    state: &AppState,
    org_id: i64,
) -> Result<JoinLinkSettings, AppError> {
    let row = queries::settings(&mut *db, org_id).await?;
    let now = chrono::Utc::now();
    let links = queries::limited_links(&mut *db, org_id)
        .await?
        .into_iter()
        .map(|l| LimitedLink {
            id: l.id,
            url: join_url(&state.settings, &link_token(&state.settings, &l.nonce)),
            name: l.name,
            role: l.role,
            // It works until the end of its last day.
            expires: l.expires_at.map(|t| {
                (t - chrono::Duration::seconds(1))
                    .format("%Y-%m-%d")
                    .to_string()
            }),
            max_joins: l.max_joins,
            joined: l.joined,
            made_by: l.made_by,
            state: if l.expires_at.is_some_and(|t| t <= now) {
                LinkState::Expired
            } else if l.max_joins.is_some_and(|max| i64::from(max) <= l.joined) {
                LinkState::Full
            } else {
                LinkState::Open
            },
        })
        .collect();
    Ok(JoinLinkSettings {
        links,
        enabled: row.link_id.is_some(),
        url: row
            .nonce
            .map(|n| join_url(&state.settings, &link_token(&state.settings, &n))),
        domains: row.domains,
        verified_domains: row.verified_domains,
        joined: row.joined,
    })
}

/// Saves the Link tab. Turning the switch off stops the current link at once; turning it
/// on (again) issues a new link. A working link needs at least one allowed domain.
pub async fn update_settings(
    state: &AppState,
    member: &Member,
    enabled: bool,
    domains_text: &str,
) -> Result<(), AppError> {
    let granted = member.require(state, can::Invite).await?;
    let domains = parse_domains(domains_text).map_err(AppError::Validation)?;
    let org_id = granted.org_id();
    let actor = Some((member.actor.user_id, member.actor.name.as_str()));
    let mut tx = state.pool.begin().await?;
    // Two saves at once must not both issue a link.
    crate::access::lock_org(&mut tx, org_id).await?;
    let current = queries::settings(&mut *tx, org_id).await?;
    // A verified domain does what a typed one does.
    if enabled && domains.is_empty() && current.verified_domains.is_empty() {
        return Err(AppError::field("domains", "errors.domains_required"));
    }
    if current.domains != domains {
        queries::set_domains(&mut *tx, &granted, &domains).await?;
        let detail = domains.join(", ");
        audit(
            &mut *tx,
            org_id,
            actor,
            AuditAction::JoinDomainsChanged,
            None,
            Some(&detail),
        )
        .await?;
    }
    match (current.link_id.is_some(), enabled) {
        (false, true) => {
            let mut nonce = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut nonce);
            let token = link_token(&state.settings, &nonce);
            queries::insert_link(
                &mut *tx,
                &granted,
                &nonce,
                &tokens::hash(&token),
                granted.user_id(),
            )
            .await?;
            audit(
                &mut *tx,
                org_id,
                actor,
                AuditAction::JoinLinkEnabled,
                None,
                None,
            )
            .await?;
        }
        (true, false) => {
            queries::disable_links(&mut *tx, &granted).await?;
            audit(
                &mut *tx,
                org_id,
                actor,
                AuditAction::JoinLinkDisabled,
                None,
                None,
            )
            .await?;
        }
        _ => {}
    }
    tx.commit().await?;
    Ok(())
}

async fn open_link(state: &AppState, token: &str) -> Result<queries::LinkRow, AppError> {
    let link = queries::find_link(&state.pool, &tokens::hash(token))
        .await?
        .ok_or(AppError::NotFound)?;
    match link_state(&link) {
        LinkState::Open => Ok(link),
        LinkState::Disabled => Err(AppError::Gone("errors.join_link_disabled".into())),
        LinkState::Replaced => Err(AppError::Gone("errors.join_link_replaced".into())),
        LinkState::Expired => Err(AppError::Gone("errors.join_link_expired".into())),
        LinkState::Full => Err(AppError::Gone("errors.join_link_full".into())),
    }
}

fn link_state(link: &queries::LinkRow) -> LinkState {
    match (link.disabled, link.replaced) {
        (true, true) => LinkState::Replaced,
        (true, false) => LinkState::Disabled,
        (false, _) if link.expired => LinkState::Expired,
        (false, _) if link.full => LinkState::Full,
        (false, _) => LinkState::Open,
    }
}

/// The join page: which organization, and whether the link still works.
pub async fn view(state: &AppState, token: &str) -> Result<JoinView, AppError> {
    let link = queries::find_link(&state.pool, &tokens::hash(token))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(JoinView {
        state: link_state(&link),
        role: link.role,
        org_name: link.org_name,
        domains: link.domains,
    })
}

/// "Join": checks the form and the domain, then emails a confirmation link. The answer is
/// the same whether or not the address already has an account (no account probing);
/// someone with an account joins with it and keeps its password.
#[allow(clippy::too_many_arguments)]
pub async fn request(
    state: &AppState,
    locale: Locale,
    client: Option<std::net::IpAddr>,
    token: &str,
    name: &str,
    email: &str,
    password_text: &str,
) -> Result<String, AppError> {
    let link = open_link(state, token).await?;
    let name = PersonName::parse(name);
    let email = EmailAddress::parse(email);
    let new_password = NewPassword::parse("password", password_text);
    let (Ok(name), Ok(email), Ok(_)) = (&name, &email, &new_password) else {
        return Err(AppError::Validation(
            [name.err(), email.err(), new_password.err()]
                .into_iter()
                .flatten()
                .collect(),
        ));
    };
    if !email_allowed(email.as_str(), &link.domains) {
        return Err(AppError::Validation(vec![
            crate::error::FieldError::new("email", "errors.join_domain_not_allowed")
                .with_arg("domains", link.domains.join(", ")),
        ]));
    }
    let plan = plan_facts(&state.pool, link.org_id).await?;
    if plan.seats_for(1).is_some() {
        return Err(AppError::Validation(vec![crate::error::FieldError::new(
            "form",
            "errors.join_no_seats",
        )]));
    }
    // Limited before anything depends on who the address belongs to; a member is told by
    // mail, and the answer here is the same as for anyone (hashed alike, too).
    accounts::limit_mail(state, client, email.as_str()).await?;
    let hash = password::hash_password(state, password_text).await?;
    if queries::is_member(&state.pool, link.org_id, email.as_str()).await? {
        let member = accounts::find_user_by_email(&state.pool, email.as_str())
            .await?
            .ok_or(AppError::Internal)?;
        let home = state.settings.link("/signin");
        let locale = Locale::from_code(&member.locale).unwrap_or(locale);
        let mail = templates::join_member(locale, &member.name, &link.org_name, &home);
        let mut tx = state.pool.begin().await?;
        outbox::enqueue(&mut *tx, &state.settings.secret_key, email.as_str(), &mail).await?;
        outbox::commit_and_send(tx, state).await?;
        return Ok(email.as_str().to_owned());
    }
    let confirm = tokens::generate();
    let mut tx = state.pool.begin().await?;
    queries::insert_join(
        &mut *tx,
        link.id,
        link.org_id,
        email.as_str(),
        name.as_str(),
        Some(&hash.0),
        locale.code(),
        &confirm.hash,
        CONFIRM_HOURS,
    )
    .await?;
    let url = state
        .settings
        .link(&format!("/join/confirm?token={}", confirm.plain));
    let mail = templates::join_confirm(locale, name.as_str(), &link.org_name, &url);
    outbox::enqueue(&mut *tx, &state.settings.secret_key, email.as_str(), &mail).await?;
    outbox::commit_and_send(tx, state).await?;
    Ok(email.as_str().to_owned())
}

fn confirm_refusal(row: &queries::JoinRow) -> Option<AppError> {
    if row.confirmed_at.is_some() {
        Some(AppError::Gone("errors.join_confirm_used".into()))
    } else if row.expires_at <= chrono::Utc::now() {
        Some(AppError::Gone("errors.join_confirm_expired".into()))
    } else if row.link_disabled {
        Some(AppError::Gone("errors.join_link_disabled".into()))
    } else if row.link_expired {
        Some(AppError::Gone("errors.join_link_expired".into()))
    } else if row.link_full {
        Some(AppError::Gone("errors.join_link_full".into()))
    } else {
        None
    }
}

/// The confirmation page (GET shows it; joining needs the button, so mail scanners that
/// open links join nobody).
pub async fn confirm_view(state: &AppState, token: &str) -> Result<ConfirmView, AppError> {
    let row = queries::find_join(&state.pool, &tokens::hash(token))
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(err) = confirm_refusal(&row) {
        return Err(err);
    }
    Ok(ConfirmView {
        org_name: row.org_name,
        email: row.email,
    })
}

pub struct Joined {
    /// A session, or the second-factor step for a person who has one.
    pub entry: accounts::Entry,
    pub home: String,
}

/// Confirms the address: the membership starts (VIEWER, or the role an admin gave them),
/// the person is signed in, and the join counts for the link.
///
/// The emailed link proves the address, the password proves the person: the one typed
/// when asking to join, or the existing account's. A password chosen by someone who
/// never proved the address (a join request or an unconfirmed sign-up made by someone
/// else) therefore never becomes usable by the address's owner, nor the other way round.
pub async fn confirm(
    state: &AppState,
    client: Option<std::net::IpAddr>,
    token: &str,
    password_text: &str,
) -> Result<Joined, AppError> {
    let row = queries::find_join(&state.pool, &tokens::hash(token))
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(err) = confirm_refusal(&row) {
        return Err(err);
    }
    if password_text.is_empty() {
        return Err(AppError::field("password", "errors.password_required"));
    }
    let existing = accounts::find_user_by_email(&state.pool, &row.email).await?;
    let proven = match &existing {
        Some(_) => accounts::check_password(state, client, &row.email, password_text)
            .await?
            .is_some(),
        None => {
            // Throttled like a sign-in: the account does not exist yet, its scope does.
            let stored = row.password_hash.clone();
            accounts::check_stored_password(state, client, &row.email, password_text, stored)
                .await?
        }
    };
    if !proven {
        return Err(AppError::field("password", "errors.join_wrong_password"));
    }
    let mut tx = state.pool.begin().await?;
    // One confirmation at a time per link: its last join is taken once.
    queries::lock_link(&mut *tx, row.link_id).await?;
    let row = queries::find_join(&mut *tx, &tokens::hash(token))
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(err) = confirm_refusal(&row) {
        return Err(err);
    }
    let user_id = match accounts::find_user_by_email(&mut *tx, &row.email).await? {
        Some(user) if existing.as_ref().map(|e| e.id) == Some(user.id) => user.id,
        // Created or replaced since the password was checked: check again next time.
        Some(_) => return Err(AppError::field("password", "errors.join_wrong_password")),
        None => {
            let hash = row
                .password_hash
                .as_deref()
                .ok_or_else(|| AppError::internal("pending join without a password"))?;
            accounts::insert_user(&mut *tx, &row.email, &row.name, hash, &row.locale)
                .await?
                .ok_or_else(|| AppError::Conflict("errors.invitation_account_created".into()))?
        }
    };
    accounts::mark_email_verified(&mut *tx, user_id).await?;
    let joining = Joining {
        role: row.link_role,
        how: None,
    };
    admit(&mut tx, row.org_id, &row.name, &row.email, user_id, joining).await?;
    queries::mark_confirmed(&mut *tx, row.id).await?;
    let home = org_home(&row.region, &row.short_name);
    let entry = accounts::enter(&mut tx, state, user_id, &home).await?;
    tx.commit().await?;
    Ok(Joined { entry, home })
}

/// How someone joins: the role they get unless an admin gave them one (a link's role,
/// VIEWER by single sign-on), and how, for the audit log (e.g. "single sign-on").
pub struct Joining<'a> {
    pub role: Role,
    pub how: Option<&'a str>,
}

/// Makes the account a member of the organization, listed in its directory under `email`
/// with the role an admin gave them (else the joining's): takes a seat (or refuses when
/// none is free) and audits who joined, with their role and how. Returns the role.
pub async fn admit(
    tx: &mut sqlx::PgConnection,
    org_id: i64,
    name: &str,
    email: &str,
    user_id: i64,
    joining: Joining<'_>,
) -> Result<String, AppError> {
    let how = joining.how;
    crate::access::take_seats(&mut *tx, org_id, 1).await?;
    let role =
        roster::upsert_person(&mut *tx, org_id, name, email, user_id, joining.role.code()).await?;
    crate::access::insert_membership(&mut *tx, org_id, user_id).await?;
    let detail = match how {
        Some(how) => format!("{role}, {how}"),
        None => role.clone(),
    };
    audit(
        &mut *tx,
        org_id,
        Some((user_id, name)),
        AuditAction::PersonJoined,
        Some(email),
        Some(&detail),
    )
    .await?;
    Ok(role)
}

/// "New link" on the Link tab: a named link with its role (VIEWER or EDITOR), an
/// optional last day and an optional number of joins. Audited.
pub async fn create_limited_link(
    state: &AppState,
    member: &Member,
    form: NewLink<'_>,
) -> Result<(), AppError> {
    let granted = member.require(state, can::Invite).await?;
    let today = chrono::Utc::now().date_naive();
    let LimitedLinkForm {
        name,
        role,
        last_day,
        max_joins,
    } = parse_limited_link(form.name, form.role, form.expires, form.max_joins, today)
        .map_err(AppError::Validation)?;
    // A link never grants more than its maker may.
    granted.may_grant(role)?;
    let mut nonce = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let token = link_token(&state.settings, &nonce);
    let expires_at = last_day
        .and_then(|day| day.succ_opt())
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    let link = queries::NewLimitedLink {
        name: &name,
        role: role.code(),
        expires_at,
        max_joins,
    };
    let mut tx = state.pool.begin().await?;
    queries::insert_limited_link(&mut *tx, &granted, &nonce, &tokens::hash(&token), &link).await?;
    let detail = role.code().to_owned();
    audit(
        &mut *tx,
        granted.org_id(),
        Some((member.actor.user_id, member.actor.name.as_str())),
        AuditAction::JoinLinkEnabled,
        Some(&name),
        Some(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub struct NewLink<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub expires: &'a str,
    pub max_joins: &'a str,
}

/// "Disable" on a limited link: it stops at once. Audited.
pub async fn disable_limited_link(
    state: &AppState,
    member: &Member,
    link_id: i64,
) -> Result<(), AppError> {
    let granted = member.require(state, can::Invite).await?;
    let mut tx = state.pool.begin().await?;
    let name = queries::disable_limited_link(&mut *tx, &granted, link_id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit(
        &mut *tx,
        granted.org_id(),
        Some((member.actor.user_id, member.actor.name.as_str())),
        AuditAction::JoinLinkDisabled,
        Some(&name),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
