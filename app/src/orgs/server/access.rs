//! Who may do what in an organization, checked once on the server.
//!
//! Every org-scoped operation starts from `Member::find` (are you a member of this
//! organization?) and write operations take a `Granted` value, which only
//! `Member::require` can make: an operation that needs a permission cannot be called
//! without the check having passed.

use super::queries;
use crate::auth::types::CurrentUser;
use crate::error::AppError;
use crate::orgs::permissions::Permission;
use crate::orgs::types::Role;
use crate::state::AppState;

/// The signed-in person as a member of one organization.
#[derive(Debug, Clone)]
pub struct Member {
    pub org_id: i64,
    pub org_name: String,
    pub user_id: i64,
    pub role: Role,
}

/// Proof that `permission` was checked for this member of this organization.
#[derive(Debug, Clone, Copy)]
pub struct Granted {
    org_id: i64,
    user_id: i64,
    role: Role,
    permission: Permission,
}

impl Granted {
    pub fn org_id(&self) -> i64 {
        self.org_id
    }
    pub fn user_id(&self) -> i64 {
        self.user_id
    }
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn permission(&self) -> Permission {
        self.permission
    }
}

impl Member {
    /// The organization at (region, short name), for a member. To anyone else it does not
    /// exist (404), so organizations cannot be probed.
    pub async fn find(
        state: &AppState,
        user: &CurrentUser,
        region: &str,
        short_name: &str,
    ) -> Result<Member, AppError> {
        let row = queries::member_of(&state.pool, region, short_name, user.id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(Member {
            org_id: row.org_id,
            org_name: row.org_name,
            user_id: user.id,
            role: Role::from_code(&row.role).unwrap_or(Role::Viewer),
        })
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.role.can(permission)
    }

    /// The permission, or a refusal naming who holds it (the owners and admins).
    pub async fn require(
        &self,
        state: &AppState,
        permission: Permission,
    ) -> Result<Granted, AppError> {
        if self.can(permission) {
            return Ok(Granted {
                org_id: self.org_id,
                user_id: self.user_id,
                role: self.role,
                permission,
            });
        }
        Err(AppError::NotPermitted {
            key: "errors.not_permitted_ask".into(),
            contacts: self.contacts(state).await?,
        })
    }

    /// The owners and admins, to be named in "ask them" messages.
    pub async fn contacts(&self, state: &AppState) -> Result<Vec<String>, AppError> {
        let roles = [Role::Owner.code().to_owned(), Role::Admin.code().to_owned()];
        Ok(queries::members_with_roles(&state.pool, self.org_id, &roles).await?)
    }
}
