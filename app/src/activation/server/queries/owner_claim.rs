//! SQL of the owner claim.

use sqlx::PgExecutor;

use crate::activation::types::WizardStep;

/// An existing account named as the wizard's owner, until its holder agrees.
pub struct OwnerClaim<'a> {
    pub user_id: i64,
    /// The name typed in the wizard.
    pub name: &'a str,
    /// SHA-256 of the mailed link's key.
    pub key_hash: &'a [u8],
}

pub async fn save_owner_claim(
    db: impl PgExecutor<'_>,
    id: i64,
    claim: &OwnerClaim<'_>,
    org_name: &str,
    step: WizardStep,
    wizard_key_hash: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE subscriptions
           SET owner_claim_user_id = $2, owner_claim_name = $3, owner_claim_hash = $4,
               org_name = $5, step = $6, wizard_key_hash = $7
           WHERE id = $1"#,
        id,
        claim.user_id,
        claim.name,
        claim.key_hash,
        org_name,
        step.code(),
        wizard_key_hash
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The claimed account's holder agreed: it becomes the owner.
pub async fn accept_owner_claim(db: impl PgExecutor<'_>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE subscriptions
           SET owner_user_id = owner_claim_user_id, owner_claim_user_id = NULL,
               owner_claim_name = NULL, owner_claim_hash = NULL
           WHERE id = $1 AND owner_claim_user_id IS NOT NULL"#,
        id
    )
    .execute(db)
    .await?;
    Ok(())
}
