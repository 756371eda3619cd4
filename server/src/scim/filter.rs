//! The filters identity providers send (RFC 7644 §3.4.2.2): one `eq` comparison of an
//! attribute Muster can look up. Anything else is refused with `invalidFilter`.

use super::ScimError;

/// `attribute eq "value"`, the attribute as written (compared case-insensitively).
#[derive(Debug, PartialEq, Eq)]
pub struct Eq {
    pub attribute: String,
    pub value: String,
}

pub fn parse(filter: &str) -> Result<Eq, ScimError> {
    let filter = filter.trim();
    // The attribute path may hold a bracketed filter with spaces of its own:
    // `emails[type eq "work"].value eq "ann@acme.test"`.
    let mut depth = 0;
    let mut split = None;
    for (i, c) in filter.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ' ' if depth == 0 => {
                split = Some(i);
                break;
            }
            _ => {}
        }
    }
    let bad = || {
        ScimError::invalid_filter(format!(
            "Unsupported filter “{filter}”: Muster answers `userName eq \"…\"`, `emails.value eq \"…\"`, `externalId eq \"…\"` and, for groups, `displayName eq \"…\"`."
        ))
    };
    let split = split.ok_or_else(bad)?;
    let (attribute, rest) = filter.split_at(split);
    let rest = rest.trim_start();
    let (op, value) = rest.split_once(' ').ok_or_else(bad)?;
    if !op.eq_ignore_ascii_case("eq") {
        return Err(bad());
    }
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(bad)?;
    Ok(Eq {
        attribute: attribute.to_owned(),
        value: value.replace("\\\"", "\"").replace("\\\\", "\\"),
    })
}

/// Whether `attribute` names a person's email address.
pub fn is_email(attribute: &str) -> bool {
    let a = attribute.to_ascii_lowercase();
    a == "username"
        || a == "emails.value"
        || a == "emails"
        || (a.starts_with("emails[") && a.ends_with("].value"))
        || a == "urn:ietf:params:scim:schemas:core:2.0:user:username"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filters_okta_and_entra_id_send_are_read() {
        assert_eq!(
            parse(r#"userName eq "ann@acme.test""#).unwrap(),
            Eq {
                attribute: "userName".into(),
                value: "ann@acme.test".into()
            }
        );
        let typed = parse(r#"emails[type eq "work"].value eq "Ann@Acme.test""#).unwrap();
        assert!(is_email(&typed.attribute));
        assert_eq!(typed.value, "Ann@Acme.test");
        assert_eq!(
            parse(r#"externalId EQ "00u1""#).unwrap().attribute,
            "externalId"
        );
        for bad in ["userName", r#"userName co "ann""#, r#"userName eq ann"#, ""] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
