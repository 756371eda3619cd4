//! Each email as a subject, a plain-text body and an HTML body, in the recipient's language.

use crate::i18n::{Locale, tr, tr_args};
use crate::roles::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The language it is written in (its Content-Language).
    pub locale: Locale,
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Greeting, paragraphs, call-to-action links, and a closing line.
fn compose(
    locale: Locale,
    subject: String,
    name: &str,
    paragraphs: &[String],
    actions: &[(String, &str)],
    footer: String,
) -> Email {
    let greeting = if name.is_empty() {
        tr(locale, "email.greeting_anonymous")
    } else {
        tr_args(locale, "email.greeting", &[("name", name)])
    };
    let mut text = format!("{greeting}\n\n");
    let mut html = format!(
        // A phone's width (320 px and up): long names, addresses and organization names
        // wrap instead of widening the mail.
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
         <body style=\"margin:0\"><div style=\"font-family:sans-serif;max-width:600px;\
         padding:12px;overflow-wrap:anywhere;word-break:break-word\"><p>{}</p>",
        locale.code(),
        escape(&greeting)
    );
    for p in paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", escape(p)));
    }
    for (label, link) in actions {
        text.push_str(&format!("{label}: {link}\n\n"));
        html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape(link),
            escape(label)
        ));
    }
    text.push_str(&format!("{footer}\n"));
    html.push_str(&format!(
        "<p style=\"color:#555\">{}</p></div></body></html>",
        escape(&footer)
    ));
    Email {
        locale,
        subject,
        text,
        html,
    }
}

pub fn verify_email(locale: Locale, name: &str, link: &str) -> Email {
    compose(
        locale,
        tr(locale, "email.verify.subject"),
        name,
        &[
            tr(locale, "email.verify.intro"),
            tr(locale, "email.verify.expiry"),
        ],
        &[(tr(locale, "email.verify.action"), link)],
        tr(locale, "email.verify.ignore"),
    )
}

/// "Confirm your email to join <org>": the last step of joining by link.
pub fn join_confirm(locale: Locale, name: &str, org: &str, link: &str) -> Email {
    let args = [("org", org)];
    compose(
        locale,
        tr_args(locale, "email.join.subject", &args),
        name,
        &[
            tr_args(locale, "email.join.intro", &args),
            tr(locale, "email.join.expiry"),
        ],
        &[(tr(locale, "email.join.action"), link)],
        tr(locale, "email.join.ignore"),
    )
}

/// The operator removed the person's second factor (they had lost it and every code).
pub fn second_factor_reset(locale: Locale, name: &str, sign_in: &str) -> Email {
    compose(
        locale,
        tr(locale, "email.second_factor_reset.subject"),
        name,
        &[
            tr(locale, "email.second_factor_reset.intro"),
            tr(locale, "email.second_factor_reset.advice"),
        ],
        &[(tr(locale, "email.second_factor_reset.action"), sign_in)],
        tr(locale, "email.second_factor_reset.ignore"),
    )
}

/// Someone asked to join <org> by its link with the address of one of its members: the
/// member is told, and the link's page answers as for anyone (no membership probing).
pub fn join_member(locale: Locale, name: &str, org: &str, sign_in: &str) -> Email {
    let args = [("org", org)];
    compose(
        locale,
        tr_args(locale, "email.join_member.subject", &args),
        name,
        &[tr_args(locale, "email.join_member.intro", &args)],
        &[(tr(locale, "email.join_member.action"), sign_in)],
        tr(locale, "email.join_member.ignore"),
    )
}

/// Someone tried to sign up with an address that has an account: its owner is told,
/// and nobody learns from the sign-up page whether the address is taken.
pub fn account_exists(locale: Locale, name: &str, sign_in: &str, reset: &str) -> Email {
    compose(
        locale,
        tr(locale, "email.exists.subject"),
        name,
        &[
            tr(locale, "email.exists.intro"),
            tr(locale, "email.exists.advice"),
        ],
        &[
            (tr(locale, "email.exists.signin"), sign_in),
            (tr(locale, "email.exists.reset"), reset),
        ],
        tr(locale, "email.exists.ignore"),
    )
}

/// An existing account was named as the owner of an organization being activated,
/// without its password: its holder decides.
pub fn owner_claim(locale: Locale, name: &str, claimant: &str, org: &str, link: &str) -> Email {
    let args = [("org", org), ("claimant", claimant)];
    compose(
        locale,
        tr_args(locale, "email.owner_claim.subject", &args),
        name,
        &[
            tr_args(locale, "email.owner_claim.intro", &args),
            tr(locale, "email.owner_claim.advice"),
        ],
        &[(tr(locale, "email.owner_claim.action"), link)],
        tr(locale, "email.owner_claim.ignore"),
    )
}

pub fn reset_password(locale: Locale, name: &str, link: &str) -> Email {
    compose(
        locale,
        tr(locale, "email.reset.subject"),
        name,
        &[
            tr(locale, "email.reset.intro"),
            tr(locale, "email.reset.expiry"),
        ],
        &[(tr(locale, "email.reset.action"), link)],
        tr(locale, "email.reset.ignore"),
    )
}

/// "Activate Your Features": sent to a subscription's contact by the operator command.
pub fn activate_features(locale: Locale, company: &str, link: &str) -> Email {
    let args = [("company", company)];
    compose(
        locale,
        tr(locale, "email.activate.subject"),
        company,
        &[
            tr_args(locale, "email.activate.intro", &args),
            tr(locale, "email.activate.steps"),
            tr(locale, "email.activate.expiry"),
        ],
        &[(tr(locale, "email.activate.action"), link)],
        tr(locale, "email.activate.ignore"),
    )
}

/// An invitation to join an organization (the wizard's "Invite others" step).
pub fn invitation(
    locale: Locale,
    inviter: &str,
    org: &str,
    role: Role,
    link: &str,
    resources: &str,
) -> Email {
    let role = tr(locale, role.label_key());
    let args = [("inviter", inviter), ("org", org), ("role", role.as_str())];
    compose(
        locale,
        tr_args(locale, "email.invitation.subject", &args),
        "",
        &[
            tr_args(locale, "email.invitation.intro", &args),
            tr(locale, "email.invitation.expiry"),
        ],
        &[
            (tr(locale, "email.invitation.action"), link),
            (tr(locale, "email.invitation.resources"), resources),
        ],
        tr(locale, "email.invitation.ignore"),
    )
}

/// A reminder of an invitation not answered yet: the same organization, role and
/// inviter, when it expires, and a link of its own.
pub fn invitation_reminder(
    locale: Locale,
    inviter: &str,
    org: &str,
    role: Role,
    expires: &str,
    link: &str,
) -> Email {
    let role = tr(locale, role.label_key());
    let args = [("inviter", inviter), ("org", org), ("role", role.as_str())];
    compose(
        locale,
        tr_args(locale, "email.invitation_reminder.subject", &args),
        "",
        &[
            tr_args(locale, "email.invitation_reminder.intro", &args),
            tr_args(
                locale,
                "email.invitation_reminder.expiry",
                &[("date", expires)],
            ),
        ],
        &[(tr(locale, "email.invitation_reminder.action"), link)],
        tr(locale, "email.invitation_reminder.ignore"),
    )
}

/// Someone signed in through their organization's OpenID provider for the first time and
/// became a member.
pub fn sso_welcome(locale: Locale, name: &str, org: &str, home: &str) -> Email {
    let args = [("org", org)];
    compose(
        locale,
        tr_args(locale, "email.sso_welcome.subject", &args),
        name,
        &[tr_args(locale, "email.sso_welcome.intro", &args)],
        &[(tr_args(locale, "email.sso_welcome.action", &args), home)],
        tr(locale, "email.sso_welcome.footer"),
    )
}

/// A provider answered with this account's address: the holder links the two, or not.
pub fn sso_link(locale: Locale, name: &str, org: &str, link: &str) -> Email {
    let args = [("org", org)];
    compose(
        locale,
        tr_args(locale, "email.sso_link.subject", &args),
        name,
        &[
            tr_args(locale, "email.sso_link.intro", &args),
            tr(locale, "email.sso_link.browser"),
        ],
        &[(tr(locale, "email.sso_link.action"), link)],
        tr(locale, "email.sso_link.footer"),
    )
}

/// A provider was linked to the account: it now signs the account in.
pub fn sso_linked(locale: Locale, name: &str, org: &str) -> Email {
    let args = [("org", org)];
    compose(
        locale,
        tr_args(locale, "email.sso_linked.subject", &args),
        name,
        &[tr_args(locale, "email.sso_linked.intro", &args)],
        &[],
        tr(locale, "email.sso_linked.footer"),
    )
}

/// A way in (authenticator app, passkey, recovery codes) was added or removed: `change`
/// names which (a key of `email.factor_changed`), `name` the passkey's name.
pub fn factor_changed(
    locale: Locale,
    name: &str,
    change: &str,
    passkey: &str,
    reset: &str,
) -> Email {
    compose(
        locale,
        tr(locale, "email.factor_changed.subject"),
        name,
        &[tr_args(locale, change, &[("name", passkey)])],
        &[(tr(locale, "email.factor_changed.action"), reset)],
        tr(locale, "email.factor_changed.footer"),
    )
}

/// A domain that an organization requiring single sign-on depends on is no longer
/// verified (its record was gone for the days of grace).
pub fn sso_domain_lost(
    locale: Locale,
    name: &str,
    org: &str,
    domain: &str,
    settings: &str,
) -> Email {
    let args = [("org", org), ("domain", domain)];
    compose(
        locale,
        tr_args(locale, "email.sso_domain_lost.subject", &args),
        name,
        &[tr_args(locale, "email.sso_domain_lost.intro", &args)],
        &[(tr(locale, "email.sso_domain_lost.action"), settings)],
        tr(locale, "email.sso_domain_lost.footer"),
    )
}

/// "Thank you for Activating Your Features": the activation finished.
pub fn thank_you(locale: Locale, name: &str, org: &str, home: &str) -> Email {
    let args = [("org", org)];
    compose(
        locale,
        tr(locale, "email.thanks.subject"),
        name,
        &[
            tr_args(locale, "email.thanks.intro", &args),
            tr(locale, "email.thanks.checked"),
        ],
        &[(tr(locale, "email.thanks.action"), home)],
        tr(locale, "email.thanks.footer"),
    )
}

pub struct WelcomeLinks {
    pub sign_in: String,
    pub apps: String,
    pub invite: String,
}

/// "Welcome to Muster": the organization is active; links worth bookmarking and sharing.
pub fn welcome(
    locale: Locale,
    name: &str,
    org: &str,
    short_name: &str,
    links: &WelcomeLinks,
) -> Email {
    let args = [("org", org), ("short_name", short_name)];
    compose(
        locale,
        tr(locale, "email.welcome.subject"),
        name,
        &[
            tr_args(locale, "email.welcome.intro", &args),
            tr_args(locale, "email.welcome.short_name", &args),
            tr(locale, "email.welcome.bookmark"),
        ],
        &[
            (tr(locale, "email.welcome.sign_in"), &links.sign_in),
            (tr(locale, "email.welcome.apps"), &links.apps),
            (tr(locale, "email.welcome.invite"), &links.invite),
        ],
        tr(locale, "email.welcome.footer"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_mail_is_in_the_recipients_language_and_carries_the_link() {
        let link = "http://x.test/verify-email?token=abc";
        let en = verify_email(Locale::En, "Ada", link);
        let de = verify_email(Locale::De, "Ada", link);
        assert_ne!(en.subject, de.subject);
        assert!(en.text.contains(link) && de.text.contains(link));
        assert!(
            en.html
                .contains("href=\"http://x.test/verify-email?token=abc\"")
        );
        assert!(de.html.starts_with("<!DOCTYPE html><html lang=\"de\">"));
    }

    #[test]
    fn names_are_escaped_in_html() {
        let m = reset_password(Locale::Fr, "<b>Eve</b>", "http://x.test/r");
        assert!(m.html.contains("&lt;b&gt;Eve&lt;/b&gt;"));
        assert!(m.text.contains("<b>Eve</b>"));
    }
}
