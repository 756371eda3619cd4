//! The People page's read: one page of the list (search, sort, keyset paging) with each
//! person's invitation state, and for people who may invite, the admin bar.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::queries;
use crate::access::Member;
use crate::auth::server::service::{self as auth, Caller, Seen};
use crate::error::AppError;
use crate::invite_all::server::service as invite_all;
use crate::joining::server::service as joining;
use crate::people::types::{
    AdminView, Delivery, DeliveryState, InvitationStatus, ListQuery, PeoplePage, PersonRow,
    PersonStatus,
};
use crate::roles::Permission;
use crate::state::AppState;

/// People shown per page.
pub const PAGE_SIZE: i64 = 50;

pub async fn page(
    state: &AppState,
    member: &Member,
    query: ListQuery,
) -> Result<PeoplePage, AppError> {
    // One connection for the whole page (see `AppState::pool`): a page never waits for a
    // second connection while holding one (ten such pages at once would hold the whole
    // pool and wait).
    let mut db = state.pool.acquire().await?;
    page_on(&mut db, state, member, query).await
}

async fn page_on(
    db: &mut sqlx::PgConnection,
    state: &AppState,
    member: &Member,
    query: ListQuery,
) -> Result<PeoplePage, AppError> {
    let now = chrono::Utc::now();
    let can_invite = member.can(Permission::Invite);
    let contacts = if can_invite {
        Vec::new()
    } else {
        member.contacts_on(&mut *db).await?
    };
    let mut rows = queries::list(&mut *db, member.org_id, &query, PAGE_SIZE).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let people: Vec<PersonRow> = rows
        .into_iter()
        .map(|p| PersonRow {
            invitation: match (p.accepted_at, p.revoked_at, p.expires_at) {
                _ if p.member => InvitationStatus::Accepted,
                (Some(_), _, _) => InvitationStatus::Accepted,
                _ if p.undelivered_at.is_some() => InvitationStatus::NotDelivered,
                (_, Some(_), _) => InvitationStatus::Revoked,
                (_, _, Some(e)) if e <= now => InvitationStatus::Expired,
                (_, _, Some(_)) => InvitationStatus::Pending,
                _ => InvitationStatus::NotInvited,
            },
            id: p.id,
            role: p.role,
            active: p.status == PersonStatus::Active,
            welcome_sent: p.welcome_sent_at.map(|t| t.format("%Y-%m-%d").to_string()),
            delivery: delivery(&p),
            name: p.name,
            email: p.email,
        })
        .collect();
    // Going forward, "more" means a next page; going back, it means a previous one.
    let (first, last) = (people.first().map(|p| p.id), people.last().map(|p| p.id));
    let (next, prev) = if query.before.is_some() {
        (last, if more { first } else { None })
    } else {
        (if more { last } else { None }, query.after.and(first))
    };
    let admin = if can_invite {
        Some(admin_view(db, state, member).await?)
    } else {
        None
    };
    Ok(PeoplePage {
        org_name: member.org_name.clone(),
        org_home: member.home(),
        my_role: member.role,
        can_invite,
        contacts,
        people,
        query,
        next,
        prev,
        admin,
    })
}

async fn admin_view(
    db: &mut sqlx::PgConnection,
    state: &AppState,
    member: &Member,
) -> Result<AdminView, AppError> {
    let bar = invite_all::admin_bar(&mut *db, state, member.org_id).await?;
    Ok(AdminView {
        quota: bar.quota,
        quota_left: bar.quota_left,
        batch: bar.batch,
        link: joining::settings(db, state, member.org_id).await?,
    })
}

/// A People page the server read before rendering it (see `server::page_cache`): the
/// render uses this read instead of making its own, and says so (`used`), so that the
/// server keeps a copy only of a page made from the read it compares.
#[derive(Clone)]
pub struct Preloaded {
    region: String,
    short_name: String,
    query: ListQuery,
    page: PeoplePage,
    used: Arc<AtomicBool>,
}

impl Preloaded {
    /// Who is asking (with what the shell shows) and, if they are a member of
    /// `region/short_name`, its People page as `get_people` reads it: both on one
    /// connection. None for a session that is not open; no page for someone who is not
    /// a member there, or a read that failed (the render then shows why).
    pub async fn read(
        state: &AppState,
        session_token: &str,
        seen: Seen,
        (region, short_name): (&str, &str),
        query: ListQuery,
    ) -> Result<Option<(Caller, Option<Preloaded>)>, AppError> {
        let mut db = state.pool.acquire().await?;
        let Some(caller) =
            auth::identity_on(&mut db, state, session_token, true, Some(seen)).await?
        else {
            return Ok(None);
        };
        let page = match Member::find(&caller.identity, region, short_name) {
            Ok(member) => page_on(&mut db, state, &member, query.clone()).await.ok(),
            Err(_) => None,
        };
        let read = page.map(|page| Preloaded {
            region: region.to_owned(),
            short_name: short_name.to_owned(),
            query,
            page,
            used: Arc::default(),
        });
        Ok(Some((caller, read)))
    }

    pub fn page(&self) -> &PeoplePage {
        &self.page
    }

    /// The page, if it is the one asked for (same organization and list).
    pub fn take_for(
        &self,
        region: &str,
        short_name: &str,
        query: &ListQuery,
    ) -> Option<PeoplePage> {
        let fits = self.region == region && self.short_name == short_name && self.query == *query;
        fits.then(|| {
            self.used.store(true, Ordering::Relaxed);
            self.page.clone()
        })
    }

    /// Whether the render took the page from this read.
    pub fn used(&self) -> bool {
        self.used.load(Ordering::Relaxed)
    }
}

/// Where the latest mail of the person's invitation is, as the outbox says.
fn delivery(p: &queries::PersonRow) -> Option<Delivery> {
    let minute = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    let reason = p.mail_error.clone().unwrap_or_default();
    let queued = p.mail_queued_at?;
    let (state, at) = match p.mail_status.as_deref()? {
        "sent" => (DeliveryState::Sent, p.mail_sent_at.unwrap_or(queued)),
        "failed" => (
            DeliveryState::NotDelivered,
            p.undelivered_at.unwrap_or(queued),
        ),
        _ if p.mail_attempts.unwrap_or(0) > 0 => (DeliveryState::Retrying, queued),
        _ => (DeliveryState::Queued, queued),
    };
    Some(Delivery {
        state,
        at: minute(at),
        reason,
    })
}
