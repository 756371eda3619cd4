//! The role matrix (seed 003): the single answer to "may this role do X?".

use serde::{Deserialize, Serialize};

use super::types::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// Directory > User > All: add people and invite them.
    Invite,
    CreateApiKey,
    ManageInstances,
    ManageBlocklists,
    /// A premium feature.
    ManageDecisions,
    CtiConsole,
    ViewAlerts,
}

impl Permission {
    pub const ALL: [Permission; 7] = [
        Permission::Invite,
        Permission::CreateApiKey,
        Permission::ManageInstances,
        Permission::ManageBlocklists,
        Permission::ManageDecisions,
        Permission::CtiConsole,
        Permission::ViewAlerts,
    ];
}

impl Role {
    /// The matrix itself. Everything that checks a permission ends up here.
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner | Role::Admin => true,
            Role::Editor => !matches!(permission, Invite | CreateApiKey),
            Role::Viewer => matches!(permission, CtiConsole | ViewAlerts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_matches_the_seed() {
        use Permission::*;
        let expected: [(Permission, [bool; 4]); 7] = [
            (Invite, [true, true, false, false]),
            (CreateApiKey, [true, true, false, false]),
            (ManageInstances, [true, true, true, false]),
            (ManageBlocklists, [true, true, true, false]),
            (ManageDecisions, [true, true, true, false]),
            (CtiConsole, [true, true, true, true]),
            (ViewAlerts, [true, true, true, true]),
        ];
        for (permission, by_role) in expected {
            for (role, allowed) in Role::ALL.into_iter().zip(by_role) {
                assert_eq!(role.can(permission), allowed, "{role:?} {permission:?}");
            }
        }
        assert_eq!(Permission::ALL.len(), expected.len());
    }
}
