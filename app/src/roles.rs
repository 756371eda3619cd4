//! The shared vocabulary of who may do what: roles, permissions (and their
//! capability types), plan facts, and the role matrix, the single answer to "may this
//! role do X?". A bottom layer: it depends on nothing of Muster's but words and errors.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::i18n::{Locale, tr, tr_args};

/// A member's role, most powerful first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    Owner,
    Admin,
    Editor,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Editor, Role::Viewer];

    /// The value stored in the database and sent by forms.
    pub fn code(self) -> &'static str {
        match self {
            Role::Owner => "OWNER",
            Role::Admin => "ADMIN",
            Role::Editor => "EDITOR",
            Role::Viewer => "VIEWER",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(code.trim()))
    }

    pub fn parse(field: &str, code: &str) -> Result<Role, FieldError> {
        Role::from_code(code).ok_or_else(|| FieldError::new(field, "errors.role_unknown"))
    }

    /// The less powerful of two roles.
    pub fn weaker(self, other: Role) -> Role {
        let rank = |r: Role| Role::ALL.iter().position(|x| *x == r).unwrap_or(3);
        if rank(self) >= rank(other) {
            self
        } else {
            other
        }
    }

    /// Translation key of the role's name.
    pub fn label_key(self) -> &'static str {
        match self {
            Role::Owner => "roles.owner",
            Role::Admin => "roles.admin",
            Role::Editor => "roles.editor",
            Role::Viewer => "roles.viewer",
        }
    }
}

// Roles are stored as their codes (`OWNER`, ...; a CHECK constraint on every role
// column). Queries read them as `role AS "role: Role"`: a stored value that is not
// exactly a role's code is a decoding error, so bad data fails loudly, never as VIEWER.
#[cfg(feature = "ssr")]
crate::stored::stored_as_code!(Role, "role");

/// A permission as a type, so that a service can ask for the grant of exactly its own
/// (`Granted<can::Invite>`, made by `Member::require` on the server).
pub trait Capability {
    const PERMISSION: Permission;
}

/// Declares the permissions once: the `Permission` enum, `Permission::ALL`, and one
/// capability type per permission in [`can`].
macro_rules! permissions {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum Permission {
            $($(#[$doc])* $name,)*
        }

        impl Permission {
            pub const ALL: [Permission; [$(Permission::$name),*].len()] = [$(Permission::$name),*];
        }

        /// The capabilities, one type per [`Permission`]: `member.require(state, can::Invite)`.
        pub mod can {
            use super::{Capability, Permission};
            $(
                #[derive(Debug, Clone, Copy)]
                pub struct $name;
                impl Capability for $name {
                    const PERMISSION: Permission = Permission::$name;
                }
            )*
        }
    };
}

permissions!(
    /// Directory > User > All: add people and invite them.
    Invite,
    CreateApiKey,
    ManageInstances,
    ManageBlocklists,
    /// A premium feature.
    ManageDecisions,
    CtiConsole,
    ViewAlerts,
);

impl Permission {
    /// The name used in URLs and JSON (`manage_decisions`).
    pub fn code(self) -> &'static str {
        match self {
            Permission::Invite => "invite",
            Permission::CreateApiKey => "create_api_key",
            Permission::ManageInstances => "manage_instances",
            Permission::ManageBlocklists => "manage_blocklists",
            Permission::ManageDecisions => "manage_decisions",
            Permission::CtiConsole => "cti_console",
            Permission::ViewAlerts => "view_alerts",
        }
    }

    pub fn from_code(code: &str) -> Option<Permission> {
        Permission::ALL
            .into_iter()
            .find(|p| p.code().eq_ignore_ascii_case(code.trim()))
    }

    /// Translation key of the permission's name (the wording people see in the product).
    pub fn label_key(self) -> String {
        format!("permissions.{}", self.code())
    }

    /// Premium features are off on the free plan (marked "*").
    pub fn premium(self) -> bool {
        matches!(self, Permission::ManageDecisions)
    }

    /// Features whose limits depend on the plan (marked "**"): invitations are limited by
    /// the plan's seats, CTI lookups by the plan's quota.
    pub fn plan_limited(self) -> bool {
        matches!(self, Permission::Invite | Permission::CtiConsole)
    }

    /// Translation key of the refusal for a role without this permission; its message
    /// names who to ask (`contacts`).
    pub fn refusal_key(self) -> &'static str {
        match self {
            Permission::Invite => "errors.not_permitted_ask",
            Permission::CreateApiKey => "errors.not_permitted_keys",
            _ => "errors.not_permitted_role",
        }
    }

    /// The whole answer to "may a member with `role` do this here?": the role matrix
    /// first, then premium features, then seats (for inviting one more person).
    pub fn decide(self, role: Role, plan: &PlanFacts) -> Decision {
        let denial = if !role.can(self) {
            Some(Denial::Role)
        } else if self.premium() && !plan.premium {
            Some(Denial::Premium)
        } else if self == Permission::Invite {
            plan.seats_for(1)
        } else {
            None
        };
        Decision {
            permission: self,
            allowed: denial.is_none(),
            plan_limited: self.plan_limited(),
            denial,
        }
    }
}

/// What the plan allows, as decisions need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlanFacts {
    pub premium: bool,
    pub seats: i32,
    /// Members, plus invitations still open: together they may not exceed `seats`.
    pub members: i64,
    pub pending: i64,
}

impl PlanFacts {
    pub fn seats_used(&self) -> i64 {
        self.members + self.pending
    }

    /// `None` if `n` more invitations fit in the seats, else why not.
    pub fn seats_for(&self, n: i64) -> Option<Denial> {
        (self.seats_used() + n > i64::from(self.seats)).then_some(Denial::Seats {
            seats: self.seats,
            members: self.members,
            pending: self.pending,
        })
    }
}

/// The answer to "may this member do X here?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Decision {
    pub permission: Permission,
    pub allowed: bool,
    /// The plan sets limits on this permission (seats, lookups).
    pub plan_limited: bool,
    /// Why not, when not allowed.
    #[serde(with = "denial_wire")]
    pub denial: Option<Denial>,
}

/// A [`Denial`] as JSON names its kind in a `reason` field (`{"reason": "seats", "seats":
/// 5, ...}`, the REST API's form); a format that is not read by people (the browser's
/// postcard, see [`crate::wire`]) cannot read a field that says which kind follows, and
/// gets the kind first instead.
mod denial_wire {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Denial;

    /// [`Denial`]'s shape, kind first: serde's remote derive reads and writes a `Denial`
    /// through it (and the compiler holds the two to the same variants and fields).
    #[derive(Serialize, Deserialize)]
    #[serde(remote = "Denial")]
    enum Packed {
        Role,
        Premium,
        Seats {
            seats: i32,
            members: i64,
            pending: i64,
        },
    }

    struct Out<'a>(&'a Denial);

    impl Serialize for Out<'_> {
        fn serialize<S: Serializer>(&self, to: S) -> Result<S::Ok, S::Error> {
            Packed::serialize(self.0, to)
        }
    }

    #[derive(Deserialize)]
    struct In(#[serde(with = "Packed")] Denial);

    pub fn serialize<S: Serializer>(denial: &Option<Denial>, to: S) -> Result<S::Ok, S::Error> {
        if to.is_human_readable() {
            return denial.serialize(to);
        }
        denial.as_ref().map(Out).serialize(to)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Option<Denial>, D::Error> {
        if from.is_human_readable() {
            return Option::<Denial>::deserialize(from);
        }
        Ok(Option::<In>::deserialize(from)?.map(|denial| denial.0))
    }
}

/// Why a permission is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Denial {
    /// The member's role does not include it: ask an OWNER or ADMIN.
    Role,
    /// A premium feature, and the organization is on the free plan: upgrade.
    Premium,
    /// Every seat is taken by members and open invitations.
    Seats {
        seats: i32,
        members: i64,
        pending: i64,
    },
}

impl Denial {
    /// What the refusal means and what to do about it, in the reader's language.
    pub fn explain(&self, locale: Locale) -> String {
        match self {
            Denial::Role => tr(locale, "settings.denied_role"),
            Denial::Premium => tr(locale, "errors.premium_required"),
            Denial::Seats {
                seats,
                members,
                pending,
            } => tr_args(
                locale,
                "errors.seats_full",
                &[
                    ("seats", &seats.to_string()),
                    ("members", &members.to_string()),
                    ("pending", &pending.to_string()),
                ],
            ),
        }
    }
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
    fn a_decision_reaches_the_browser_and_the_rest_api_whole() {
        for denial in [
            None,
            Some(Denial::Role),
            Some(Denial::Premium),
            Some(Denial::Seats {
                seats: 5,
                members: 4,
                pending: 1,
            }),
        ] {
            let decision = Decision {
                permission: Permission::Invite,
                allowed: denial.is_none(),
                plan_limited: true,
                denial,
            };
            let packed = postcard::to_allocvec(&decision).unwrap();
            assert_eq!(postcard::from_bytes::<Decision>(&packed).unwrap(), decision);
            let json = serde_json::to_value(&decision).unwrap();
            assert_eq!(
                serde_json::from_value::<Decision>(json.clone()).unwrap(),
                decision
            );
            if let Some(denial) = &decision.denial {
                let reason = json["denial"]["reason"].as_str().unwrap().to_owned();
                assert!(format!("{denial:?}").to_lowercase().starts_with(&reason));
            }
        }
    }

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

    fn plan(premium: bool, seats: i32, members: i64, pending: i64) -> PlanFacts {
        PlanFacts {
            premium,
            seats,
            members,
            pending,
        }
    }

    #[test]
    fn premium_features_are_off_on_the_free_plan_for_every_role() {
        let free = plan(false, 10, 1, 0);
        let premium = plan(true, 10, 1, 0);
        let d = Permission::ManageDecisions.decide(Role::Editor, &free);
        assert_eq!((d.allowed, d.denial), (false, Some(Denial::Premium)));
        assert!(
            Permission::ManageDecisions
                .decide(Role::Editor, &premium)
                .allowed
        );
        // The role still comes first: a viewer is refused for the role, not the plan.
        let d = Permission::ManageDecisions.decide(Role::Viewer, &free);
        assert_eq!(d.denial, Some(Denial::Role));
        assert!(Permission::ViewAlerts.decide(Role::Viewer, &free).allowed);
    }

    #[test]
    fn members_and_open_invitations_share_the_seats() {
        let full = plan(false, 5, 3, 2);
        let d = Permission::Invite.decide(Role::Owner, &full);
        assert_eq!(
            d.denial,
            Some(Denial::Seats {
                seats: 5,
                members: 3,
                pending: 2
            })
        );
        assert!(
            Permission::Invite
                .decide(Role::Owner, &plan(false, 5, 3, 1))
                .allowed
        );
        assert!(plan(false, 5, 3, 1).seats_for(2).is_some());
        // Seats only limit inviting.
        assert!(
            Permission::ManageInstances
                .decide(Role::Editor, &full)
                .allowed
        );
    }

    #[test]
    fn permission_codes_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::from_code(p.code()), Some(p));
        }
        assert_eq!(Permission::from_code("fly"), None);
    }
}
