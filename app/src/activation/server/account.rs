//! The wizard's account step: who will own the organization.

use super::owner_claim::OWNER_PAGE;
use super::queries;
use super::wizard::{advance, guard_editable, has_owner, open, open_locked};
use crate::access::Principal;
use crate::activation::types::wizard_path;
use crate::activation::types::{WizardStep, parse_company_name};
use crate::auth::server::{password, service as accounts};
use crate::auth::types::{EmailAddress, NewPassword, PersonName};
use crate::error::AppError;
use crate::i18n::Locale;
use crate::mail::{outbox, templates};
use crate::state::AppState;
use crate::tokens;

/// "Basic information": creates the account that will own the organization, and saves
/// the company name.
///
/// The answer never says whether the address has an account. The contact's address
/// (the activation link was mailed there, which proves it) owns the organization with
/// its account if it has one; the password typed then changes nothing. Any other
/// address that has an account is asked by mail to agree, and the wizard goes on just as
/// for a new account with that address, which must be confirmed from its mail too:
/// "Activate Now" waits for either.
pub async fn save_account(
    state: &AppState,
    locale: Locale,
    token: &str,
    form: AccountForm<'_>,
    session: Option<&Principal>,
) -> Result<Option<String>, AppError> {
    let pool = &state.pool;
    let row = open(pool, token).await?;
    guard_editable(&row, session)?;
    if row.region.is_none() {
        return Err(AppError::field("region", "errors.region_required"));
    }
    let company = parse_company_name(form.company_name);

    // The owner is known already: only the company name can change here.
    if has_owner(&row) {
        let (company, _) = company.map_err(|e| AppError::Validation(vec![e]))?;
        let mut tx = pool.begin().await?;
        let row = open_locked(&mut tx, token).await?;
        guard_editable(&row, session)?;
        queries::save_org_name(
            &mut *tx,
            row.id,
            &company,
            advance(&row, WizardStep::Invite),
        )
        .await?;
        tx.commit().await?;
        return Ok(None);
    }

    let name = PersonName::parse(form.name);
    let email = EmailAddress::parse(form.email);
    let password = NewPassword::parse("password", form.password).map(|_| ());
    let (Ok(name), Ok(email), Ok(()), Ok((company, _))) = (&name, &email, &password, &company)
    else {
        return Err(AppError::Validation(
            [name.err(), email.err(), password.err(), company.err()]
                .into_iter()
                .flatten()
                .collect(),
        ));
    };

    // Hashing happens before the transaction: no connection waits on it. Every address
    // costs one hash and no password is checked here, so neither the answer, its timing
    // nor a limit tells whether the address has an account (and nothing here can be used
    // to guess a password).
    let existing = accounts::find_user_by_email(pool, email.as_str()).await?;
    let new_hash = password::hash_password(state, form.password).await?;
    let contact = email.as_str() == row.contact_email;
    let owner = match existing {
        None => Owner::New(new_hash),
        Some(user) if contact => Owner::Account(user.id),
        Some(user) => Owner::Claim(user),
    };

    let mut tx = pool.begin().await?;
    let row = open_locked(&mut tx, token).await?;
    guard_editable(&row, session)?;
    if has_owner(&row) {
        // Another tab finished this step first; keep what it saved.
        return Err(AppError::Conflict("errors.account_already_created".into()));
    }
    let wizard_key = tokens::generate();
    let step = advance(&row, WizardStep::Invite);
    let owner_id = match owner {
        Owner::Account(id) => id,
        Owner::New(hash) => {
            let Some(id) = accounts::insert_user(
                &mut *tx,
                email.as_str(),
                name.as_str(),
                &hash.0,
                locale.code(),
            )
            .await?
            else {
                // Created meanwhile (a sign-up racing this step): the same answer as any
                // conflict between tabs, which says nothing about the address.
                return Err(AppError::Conflict("errors.account_already_created".into()));
            };
            if contact {
                // The activation link was mailed to this address: that proves it.
                accounts::mark_email_verified(&mut *tx, id).await?;
            } else {
                accounts::queue_verification(
                    &mut tx,
                    state,
                    locale,
                    id,
                    name.as_str(),
                    email.as_str(),
                )
                .await?;
            }
            id
        }
        Owner::Claim(user) => {
            let claim = tokens::generate();
            let named = queries::OwnerClaim {
                user_id: user.id,
                name: name.as_str(),
                key_hash: &claim.hash,
            };
            queries::save_owner_claim(&mut *tx, row.id, &named, company, step, &wizard_key.hash)
                .await?;
            let link = state.settings.link(&format!(
                "{}?key={}",
                wizard_path(token, OWNER_PAGE),
                claim.plain
            ));
            let mail = templates::owner_claim(
                Locale::from_code(&user.locale).unwrap_or_default(),
                &user.name,
                name.as_str(),
                company,
                &link,
            );
            outbox::enqueue(&mut *tx, &state.settings.secret_key, &user.email, &mail).await?;
            outbox::commit_and_send(tx, state).await?;
            return Ok(Some(wizard_key.plain));
        }
    };
    queries::save_account(&mut *tx, row.id, owner_id, company, step, &wizard_key.hash).await?;
    outbox::commit_and_send(tx, state).await?;
    Ok(Some(wizard_key.plain))
}

/// Who will own the organization, as decided by the account step.
pub(super) enum Owner {
    /// No account has the address: one is created.
    New(password::PasswordHashString),
    /// The contact's own account.
    Account(i64),
    /// Another address's account: its holder is asked to agree.
    Claim(accounts::UserRow),
}

pub struct AccountForm<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub company_name: &'a str,
}
