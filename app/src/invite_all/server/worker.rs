//! The Invite All worker: turns a queued batch into invitations and mails, one chunk per
//! transaction. Each chunk is two set-based statements (invitations, then mails), so a
//! batch of 100,000 people costs 200 statements, not 200,000.

use std::time::Duration;

use super::queries;
use crate::i18n::Locale;
use crate::invitations::server::service::{INVITATION_DAYS, invitation_mail};
use crate::mail::{outbox, seal};
use crate::roster::server::service as roster;
use crate::state::AppState;
use crate::tokens;

/// People prepared per transaction.
pub const CHUNK: i64 = 1_000;
const POLL: Duration = Duration::from_secs(1);

/// Runs forever: prepares queued batches as they come.
pub async fn worker(state: AppState) {
    let wakeup = state.batches_wakeup.clone();
    crate::worker::run_forever("invite-all", &wakeup, POLL, || run_once(&state)).await;
}

/// Prepares one chunk of the oldest open batch. `Ok(false)` when there was none.
pub async fn run_once(state: &AppState) -> Result<bool, sqlx::Error> {
    let mut tx = state.pool.begin().await?;
    let Some(batch) = queries::claim_open_batch(&mut *tx).await? else {
        return Ok(false);
    };
    let chunk = queries::batch_chunk(&mut *tx, batch.id, batch.next_person_id, CHUNK).await?;
    let chunk_len = chunk.len();
    let finished = (chunk_len as i64) < CHUNK;
    let next_person_id = chunk.last().map_or(batch.next_person_id, |p| p.id);
    let people: Vec<_> = chunk
        .into_iter()
        .filter(|p| p.welcome_sent_at.is_none())
        .collect();
    // The inviter's language, for people without an account (who chose none yet).
    let inviter_locale = Locale::from_code(&batch.locale).unwrap_or_default();
    let mut emails = Vec::with_capacity(people.len());
    let mut hashes = Vec::with_capacity(people.len());
    let mut links = std::collections::HashMap::with_capacity(people.len());
    for person in &people {
        let token = tokens::generate();
        emails.push(person.email.clone());
        hashes.push(token.hash);
        let locale = person
            .locale
            .as_deref()
            .and_then(Locale::from_code)
            .unwrap_or(inviter_locale);
        links.insert(person.email.clone(), (token.plain, person.role, locale));
    }
    let invited = roster::insert_invitations(
        &mut *tx,
        batch.org_id,
        batch.requested_by,
        &emails,
        &hashes,
        INVITATION_DAYS,
    )
    .await?;
    let (mut to, mut subjects, mut sealed, mut ids) = (vec![], vec![], vec![], vec![]);
    for (invitation_id, email) in invited {
        let Some((token, role, locale)) = links.get(&email) else {
            continue;
        };
        let role = *role;
        let mail = invitation_mail(
            &state.settings,
            *locale,
            &batch.inviter_name,
            &batch.org_name,
            role,
            token,
        );
        sealed.push(seal::seal(
            &state.settings.secret_key,
            &mail.text,
            &mail.html,
        ));
        to.push(email);
        subjects.push(mail.subject);
        ids.push(invitation_id);
    }
    queries::enqueue_batch_mails(&mut *tx, batch.id, &to, &subjects, &sealed, &ids).await?;
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    roster::mark_chunk_done(&mut *tx, &ids).await?;
    // People invited by hand meanwhile keep that invitation and leave the batch's total.
    let skipped = (chunk_len - to.len()) as i32;
    let age = queries::advance_batch(
        &mut *tx,
        batch.id,
        next_person_id,
        to.len() as i32,
        skipped,
        finished,
    )
    .await?;
    outbox::commit_and_send(tx, state).await?;
    if finished {
        // Invite All lag: from "Yes" to every invitation written and its mail queued.
        metrics::histogram!("muster_invite_all_seconds").record(age);
    }
    Ok(true)
}
