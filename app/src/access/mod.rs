//! The access core: who is calling (`Identity`, `Principal`, their `Membership`s) and
//! what they may do in an organization (`Member`, `Granted<P>`). It imports no feature
//! folder; every feature imports it.
//!
//! The types' fields are private. `auth`'s server code makes identities from sessions
//! and `api_keys`' makes key holders from keys; a test (`makers_of_identities`) keeps it
//! that way, and `Member`s and grants are made here alone.

pub mod identity;
#[cfg(feature = "ssr")]
mod member;
#[cfg(feature = "ssr")]
mod queries;

#[cfg(feature = "ssr")]
pub use identity::{Identity, MembershipRow};
pub use identity::{Membership, Principal, org_home};
#[cfg(feature = "ssr")]
pub use member::*;
/// A person becomes a member: an accepted invitation, a confirmed join, the activation's
/// owner.
#[cfg(feature = "ssr")]
pub use queries::{insert_membership, remove_membership};

#[cfg(test)]
mod makers_of_identities {
    //! Who may make the access core's types: a `Member` comes from an identity or a key
    //! holder, so whoever can make those can act as anyone. Rust's privacy stops struct
    //! literals outside this module; this test stops the constructors being called
    //! anywhere but where sessions and keys are checked.

    use std::path::{Path, PathBuf};

    /// Constructor, and the folders (under `src/`) allowed to call it besides `access/`.
    const MAKERS: &[(&str, &[&str])] = &[
        ("Principal::new(", &["auth/server/"]),
        ("Identity::from_session(", &["auth/server/"]),
        ("KeyHolder::from_key(", &["api_keys/server/"]),
    ];

    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn only_auth_and_api_keys_make_identities() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&root, &mut files);
        assert!(
            files.len() > 50,
            "read the sources under {}",
            root.display()
        );
        let mut found = std::collections::BTreeSet::new();
        let mut strays = Vec::new();
        for file in &files {
            let rel = file
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(file).unwrap();
            for (maker, allowed) in MAKERS {
                if text.contains(maker) && !rel.starts_with("access/") {
                    found.insert(*maker);
                    if !allowed.iter().any(|a| rel.starts_with(a)) {
                        strays.push(format!("{rel} calls {maker}"));
                    }
                }
            }
        }
        assert!(
            strays.is_empty(),
            "only auth and api_keys make identities: {strays:?}"
        );
        // Each constructor is really called where it belongs (the names above are current).
        assert_eq!(found.len(), MAKERS.len(), "constructors found: {found:?}");
    }
}
