//! Each email as a subject, a plain-text body and an HTML body, in the recipient's language.

use crate::i18n::{Locale, tr, tr_args};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
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

/// Greeting, paragraphs, one call-to-action link, and a closing line.
fn compose(
    locale: Locale,
    subject: String,
    name: &str,
    paragraphs: &[String],
    action: &str,
    link: &str,
    footer: String,
) -> Email {
    let greeting = tr_args(locale, "email.greeting", &[("name", name)]);
    let mut text = format!("{greeting}\n\n");
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><body style=\"font-family:sans-serif\"><p>{}</p>",
        locale.code(),
        escape(&greeting)
    );
    for p in paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", escape(p)));
    }
    text.push_str(&format!("{action}: {link}\n\n{footer}\n"));
    html.push_str(&format!(
        "<p><a href=\"{}\">{}</a></p><p style=\"color:#555\">{}</p></body></html>",
        escape(link),
        escape(action),
        escape(&footer)
    ));
    Email {
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
        &tr(locale, "email.verify.action"),
        link,
        tr(locale, "email.verify.ignore"),
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
        &tr(locale, "email.reset.action"),
        link,
        tr(locale, "email.reset.ignore"),
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
