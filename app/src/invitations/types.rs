//! What the invitation page shows.

use serde::{Deserialize, Serialize};

use crate::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationState {
    Open,
    Accepted,
    Revoked,
    /// Sent again: this link was replaced by a newer one.
    Replaced,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub org_name: String,
    pub inviter: Option<String>,
    pub email: String,
    pub role: Role,
    pub state: InvitationState,
    /// The invited address already has an account: accepting asks for its password.
    pub has_account: bool,
    /// Where the organization lives, once joined.
    pub org_home: String,
}

/// The reminder days an organization has until it chooses (days before expiry).
pub const DEFAULT_REMINDER_DAYS: [i32; 2] = [7, 1];
/// At most this many reminders per invitation.
pub const MAX_REMINDERS: usize = 3;
/// A reminder comes at least a day before expiry, and after the invitation was sent.
pub const REMINDER_DAYS_RANGE: std::ops::RangeInclusive<i32> = 1..=29;

/// "Invitation reminders" on the settings page: on or off, and the days before expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderSettings {
    /// Largest first, e.g. [7, 1]; empty: reminders are off.
    pub days: Vec<i32>,
}

impl ReminderSettings {
    pub fn on(&self) -> bool {
        !self.days.is_empty()
    }

    /// As the form shows them: "7, 1" (the default when off, to turn them on again).
    pub fn days_text(&self) -> String {
        let days: &[i32] = if self.on() {
            &self.days
        } else {
            &DEFAULT_REMINDER_DAYS
        };
        days.iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The days a person typed ("7, 1", "7;1", "14 7 1"): whole numbers in
/// [`REMINDER_DAYS_RANGE`], at most [`MAX_REMINDERS`], largest first, each once.
pub fn parse_reminder_days(raw: &str) -> Result<Vec<i32>, crate::error::FieldError> {
    use crate::error::FieldError;
    let field = "reminder_days";
    let mut days = Vec::new();
    for part in raw
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let day: i32 = part
            .parse()
            .map_err(|_| FieldError::new(field, "errors.reminder_days_invalid"))?;
        if !REMINDER_DAYS_RANGE.contains(&day) {
            return Err(FieldError::new(field, "errors.reminder_days_range")
                .with_arg("min", REMINDER_DAYS_RANGE.start())
                .with_arg("max", REMINDER_DAYS_RANGE.end()));
        }
        if !days.contains(&day) {
            days.push(day);
        }
    }
    if days.is_empty() {
        return Err(FieldError::new(field, "errors.reminder_days_missing"));
    }
    if days.len() > MAX_REMINDERS {
        return Err(
            FieldError::new(field, "errors.reminder_days_too_many").with_arg("max", MAX_REMINDERS)
        );
    }
    days.sort_unstable_by(|a, b| b.cmp(a));
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminder_days_are_read_as_people_type_them() {
        assert_eq!(parse_reminder_days("7, 1"), Ok(vec![7, 1]));
        assert_eq!(parse_reminder_days(" 1;14  7 7"), Ok(vec![14, 7, 1]));
        for (raw, key) in [
            ("", "errors.reminder_days_missing"),
            ("seven", "errors.reminder_days_invalid"),
            ("7.5", "errors.reminder_days_invalid"),
            ("0", "errors.reminder_days_range"),
            ("30", "errors.reminder_days_range"),
            ("-1", "errors.reminder_days_range"),
            ("1, 2, 3, 4", "errors.reminder_days_too_many"),
        ] {
            let err = parse_reminder_days(raw).unwrap_err();
            assert_eq!(
                (err.field.as_str(), err.key.as_str()),
                ("reminder_days", key),
                "{raw}"
            );
        }
    }
}
