//! Account types and the validation rules shared by the browser (live hints) and the
//! server (the rules that count).

use serde::{Deserialize, Serialize};

use crate::access::Membership;
use crate::access::Principal;
use crate::error::{AppError, FieldError};

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;
pub const MAX_NAME_CHARS: usize = 120;

/// What the app shell (top bar, home page) shows a signed-in person: who they are, their
/// organizations (the switcher) and the invitations waiting for them (the bell). Only
/// the shell loads it (`get_shell`); server calls know the [`Principal`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellData {
    pub principal: Principal,
    pub orgs: Vec<Membership>,
    pub pending: Vec<PendingInvitation>,
    /// The home of the organization this browser used last, when the person is a member.
    #[serde(default)]
    pub last_org: Option<String>,
}

/// "<org> invited you as <role>": an open invitation to the signed-in person's verified
/// address, from an organization they are not in yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvitation {
    pub id: i64,
    pub org_name: String,
    pub role: crate::roles::Role,
    pub inviter: Option<String>,
    /// As YYYY-MM-DD (UTC).
    pub expires: String,
}

pub use crate::paths::SSO_START_PATH;

/// An email address that has been checked and normalised (trimmed, lowercased).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<EmailAddress, FieldError> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(FieldError::new("email", "errors.email_required"));
        }
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && local.len() <= 64
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                        && domain
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
                }
                None => false,
            };
        if valid {
            Ok(EmailAddress(email))
        } else {
            Err(FieldError::new("email", "errors.email_invalid"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A display name: trimmed, not empty, not absurdly long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<PersonName, FieldError> {
        let name = raw.trim();
        if name.is_empty() {
            Err(FieldError::new("name", "errors.name_required"))
        } else if name.chars().count() > MAX_NAME_CHARS {
            Err(FieldError::new("name", "errors.name_too_long").with_arg("max", MAX_NAME_CHARS))
        } else if name.chars().any(|c| c.is_control()) {
            Err(FieldError::new("name", "errors.name_invalid"))
        } else {
            Ok(PersonName(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the rules. Deliberately not `Serialize` nor `Debug`-printable.
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    pub fn parse(field: &str, raw: &str) -> Result<NewPassword, FieldError> {
        let chars = raw.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            Err(FieldError::new(field, "errors.password_too_short")
                .with_arg("min", MIN_PASSWORD_CHARS))
        } else if chars > MAX_PASSWORD_CHARS {
            Err(FieldError::new(field, "errors.password_too_long")
                .with_arg("max", MAX_PASSWORD_CHARS))
        } else if raw.trim().is_empty() {
            Err(FieldError::new(field, "errors.password_blank"))
        } else {
            Ok(NewPassword(raw.to_owned()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Live checks for form fields (the browser runs the same rules the server applies).
pub fn check_name(v: &str) -> Option<FieldError> {
    PersonName::parse(v).err()
}
pub fn check_email(v: &str) -> Option<FieldError> {
    EmailAddress::parse(v).err()
}
pub fn check_new_password(v: &str) -> Option<FieldError> {
    NewPassword::parse("password", v).err()
}

/// A validated sign-up form.
#[derive(Debug)]
pub struct SignUpForm {
    pub name: PersonName,
    pub email: EmailAddress,
    pub password: NewPassword,
}

impl SignUpForm {
    /// Collects every problem at once, so the person can fix them all in one go.
    pub fn parse(name: &str, email: &str, password: &str) -> Result<SignUpForm, AppError> {
        let name = PersonName::parse(name);
        let email = EmailAddress::parse(email);
        let password = NewPassword::parse("password", password);
        match (name, email, password) {
            (Ok(name), Ok(email), Ok(password)) => Ok(SignUpForm {
                name,
                email,
                password,
            }),
            (name, email, password) => Err(AppError::Validation(
                [name.err(), email.err(), password.err()]
                    .into_iter()
                    .flatten()
                    .collect(),
            )),
        }
    }
}

/// True for a path on this site (`/x`), never another site (`//evil`, `https://...`):
/// where to go after signing in comes from the browser and must not leave Muster.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
}

/// What a one-time emailed link looks like to the person holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkState {
    Valid,
    Used,
    Expired,
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        let e = EmailAddress::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "ada.lovelace@example.com");
    }

    #[test]
    fn malformed_emails_are_refused_with_the_email_field_named() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "a da@example.com",
            "ada@exa mple.com",
            "ada@.example.com",
            "ada@example..com",
        ] {
            let err = EmailAddress::parse(bad).unwrap_err();
            assert_eq!(err.field, "email", "{bad:?}");
        }
    }

    #[test]
    fn short_passwords_are_refused_with_the_minimum_named() {
        let err = NewPassword::parse("password", "short").unwrap_err();
        assert_eq!(err.key, "errors.password_too_short");
        assert_eq!(err.args, vec![("min".to_owned(), "10".to_owned())]);
        assert!(NewPassword::parse("password", "long enough pass").is_ok());
        assert!(NewPassword::parse("password", "          ").is_err());
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert!(is_local_path("/activate/abc/complete"));
        for bad in [
            "//evil.test",
            "https://evil.test",
            "evil",
            "/\\evil.test",
            "/\nx",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn browsers_are_named_as_people_know_them() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(browser_name(firefox), "Firefox on Linux");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(browser_name(chrome), "Chrome on Windows");
        let edge =
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0";
        assert_eq!(browser_name(edge), "Edge on Windows");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(browser_name(safari), "Safari on iOS");
        assert_eq!(browser_name("curl/8.5.0"), "curl/8.5.0");
    }

    #[test]
    fn sign_up_reports_every_bad_field_at_once() {
        let Err(AppError::Validation(errors)) = SignUpForm::parse(" ", "nope", "short") else {
            panic!("expected validation errors");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "email", "password"]);
    }
}

/// The Security page: the person's second factors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityView {
    /// An authenticator app is on.
    pub totp: bool,
    /// An app being set up, not yet confirmed by a code.
    pub enrolment: Option<TotpEnrolment>,
    pub recovery_codes_left: i64,
    /// This session passed a second factor.
    pub session_passed: bool,
    /// This session's holder proved who they are in the last minutes: they may add or
    /// remove a way in.
    pub proven: bool,
    /// The account has a password (one made by a provider has none).
    pub has_password: bool,
    pub passkeys: Vec<PasskeyView>,
    /// The origin where passkeys work (a browser refuses them on a bare IP address, so a
    /// server reached at 127.0.0.1 has them at localhost).
    pub passkeys_at: Option<String>,
}

/// A factor added since the account's last sign-in with its password, as the password
/// reset page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFactor {
    /// A passkey (named), or else the authenticator app.
    pub passkey: bool,
    pub name: String,
    /// When it was added (RFC 3339).
    pub added: String,
}

/// One of the person's passkeys, as the Security page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyView {
    pub id: i64,
    pub name: String,
    /// When it was added and last used (RFC 3339, shown in the reader's time zone).
    pub created: String,
    pub last_used: Option<String>,
}

/// A WebAuthn ceremony begun on the server: `options` (JSON) go to the browser's
/// `navigator.credentials`, and its answer comes back with `ceremony`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyCeremony {
    pub ceremony: String,
    pub options: String,
}

/// What an authenticator app needs to be set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// The secret in base32, in groups of four, to type in.
    pub secret: String,
    /// The `otpauth://` URI (what the QR code holds; a link opens the app on a phone).
    pub uri: String,
    /// The QR code, an SVG image, base64 (shown as a `data:` image).
    pub qr_svg_base64: String,
}

/// One of a person's open sessions, as the Sessions page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: i64,
    /// "Firefox on Linux", from the browser's User-Agent; empty if it never said.
    pub browser: String,
    /// The client address it was last used from.
    pub address: String,
    /// RFC 3339, UTC; the page shows them in the person's time zone when it can.
    pub started: String,
    pub last_seen: String,
    /// The session of the browser looking at the list.
    pub current: bool,
}

/// "Firefox on Linux" and the like: what a person recognizes of a User-Agent string.
pub fn browser_name(user_agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(marker, _)| user_agent.contains(marker))
    .map(|(_, name)| *name);
    let system = [
        ("Windows", "Windows"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Android", "Android"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(marker, _)| user_agent.contains(marker))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => s.to_owned(),
        // Not a browser we know (a script, an API client): its own words, shortened.
        (None, None) => user_agent.chars().take(60).collect(),
    }
}

/// Why a sign-in through an organization's own provider did not sign anyone in, as the
/// sign-in page's `?sso=` names it (and says in words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SsoProblem {
    /// The sign-in was not started in this browser, was used already, or took too long.
    State,
    /// The provider answered with an error (the person cancelled, or it refused).
    Provider,
    /// The provider's answer did not hold up: its token's issuer, audience, nonce or
    /// signature was wrong.
    Token,
    /// The address is not on a verified domain of the organization.
    Domain,
    /// The provider did not verify the address, and an account has it: not linked.
    Unverified,
    /// The organization has no free seat.
    Seats,
    /// The person was deactivated in the organization.
    Deactivated,
    /// The provider could not be reached.
    Unreachable,
    /// The provider made more new accounts in the last hour than one organization may.
    TooMany,
    /// An account already has the address: its holder was mailed a link to link it.
    ConfirmLink,
}

impl SsoProblem {
    pub const ALL: [SsoProblem; 10] = [
        SsoProblem::State,
        SsoProblem::Provider,
        SsoProblem::Token,
        SsoProblem::Domain,
        SsoProblem::Unverified,
        SsoProblem::Seats,
        SsoProblem::Deactivated,
        SsoProblem::Unreachable,
        SsoProblem::TooMany,
        SsoProblem::ConfirmLink,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SsoProblem::State => "state",
            SsoProblem::Provider => "provider",
            SsoProblem::Token => "token",
            SsoProblem::Domain => "domain",
            SsoProblem::Unverified => "unverified",
            SsoProblem::Seats => "seats",
            SsoProblem::Deactivated => "deactivated",
            SsoProblem::Unreachable => "unreachable",
            SsoProblem::TooMany => "too_many",
            SsoProblem::ConfirmLink => "confirm_link",
        }
    }

    pub fn from_code(code: &str) -> Option<SsoProblem> {
        SsoProblem::ALL.into_iter().find(|p| p.code() == code)
    }

    /// What the sign-in page says.
    pub fn message_key(self) -> &'static str {
        match self {
            SsoProblem::State => "sso.problem_state",
            SsoProblem::Provider => "sso.problem_provider",
            SsoProblem::Token => "sso.problem_token",
            SsoProblem::Domain => "sso.problem_domain",
            SsoProblem::Unverified => "sso.problem_unverified",
            SsoProblem::Seats => "sso.problem_seats",
            SsoProblem::Deactivated => "sso.problem_deactivated",
            SsoProblem::Unreachable => "sso.problem_unreachable",
            SsoProblem::TooMany => "sso.problem_too_many",
            SsoProblem::ConfirmLink => "sso.confirm_link_sent",
        }
    }
}
