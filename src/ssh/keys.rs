//! The door's keys: its own host key, and the operators file that maps public keys to
//! operators and roles.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use rand::RngCore;
use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};
use russh::keys::ssh_key::{LineEnding, PublicKey};
use russh::keys::{HashAlg, PrivateKey};
use serde::Deserialize;

use crate::operator::Role;
use crate::sanitize;
use crate::text::{self, TextKind};

/// A key's SHA256 fingerprint as OpenSSH prints it (`SHA256:…`).
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Loads the host key, or creates an ed25519 one (mode 0600) when the file does not exist.
/// Returns the key and whether it was created.
pub fn load_or_create_host_key(path: &Path) -> Result<(PrivateKey, bool), String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(format!(
                    "{}: the host key is readable by others (mode {:o}); chmod 600 it",
                    path.display(),
                    meta.permissions().mode() & 0o777
                ));
            }
            let key = PrivateKey::from_openssh(text.trim())
                .map_err(|e| format!("{}: not an OpenSSH private key: {e}", path.display()))?;
            if key.is_encrypted() {
                return Err(format!(
                    "{}: the host key is passphrase-protected; the server cannot unlock it",
                    path.display()
                ));
            }
            Ok((key, false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut seed);
            let pair = Ed25519Keypair::from_seed(&seed);
            zeroize::Zeroize::zeroize(&mut seed);
            let key = PrivateKey::new(KeypairData::Ed25519(pair), "wxlogin ssh-server")
                .map_err(|e| format!("cannot build a host key: {e}"))?;
            let text = key
                .to_openssh(LineEnding::LF)
                .map_err(|e| format!("cannot encode the host key: {e}"))?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            f.write_all(text.as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Ok((key, true))
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// One operator as the door knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub name: String,
    pub role: Role,
    /// The language of this operator's consoles and execs (`lang = "zh-CN"` on their entry);
    /// `None`: the `LANG` their client sends, else English.
    pub lang: Option<crate::i18n::Lang>,
}

/// Who each public key belongs to.
#[derive(Debug, Clone, Default)]
pub struct Operators {
    by_key: HashMap<Vec<u8>, Operator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    #[serde(default)]
    operators: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    role: String,
    /// en or zh-CN (optional).
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    keys: Vec<String>,
}

/// The key's identity: its wire encoding without the comment. `None` when the key cannot be
/// encoded: such a key is never listed and never let in (no shared empty identity).
fn key_id(key: &PublicKey) -> Option<Vec<u8>> {
    key.to_bytes().ok().filter(|b| !b.is_empty())
}

impl Operators {
    /// Parses an operators file. Any error rejects the whole file (the caller keeps the old one):
    /// a half-read file could silently drop someone's access or keep a revoked key.
    pub fn parse(text: &str) -> Result<Self, String> {
        let shape: FileShape =
            toml::from_str(text).map_err(|e| sanitize::for_terminal(e.message()).into_owned())?;
        let mut by_key = HashMap::new();
        // Where each key was listed, to name both places of a key listed twice.
        let mut listed: HashMap<Vec<u8>, String> = HashMap::new();
        for (i, e) in shape.operators.into_iter().enumerate() {
            let at = format!("operator #{}", i + 1);
            text::check(&format!("{at}: the name"), &e.name, TextKind::Name)
                .map_err(|err| err.to_string())?;
            let name = e.name.trim();
            if name.is_empty() || name.chars().count() > 64 {
                return Err(format!("{at}: name must be 1 to 64 printable characters"));
            }
            text::check(
                &format!("{at} ({name}): the role"),
                &e.role,
                TextKind::Token,
            )
            .map_err(|err| err.to_string())?;
            let role: Role = e
                .role
                .parse()
                .map_err(|err| format!("{at} ({name}): {err}"))?;
            let lang = match &e.lang {
                None => None,
                Some(l) => Some(
                    l.parse::<crate::i18n::Lang>()
                        .map_err(|err| format!("{at} ({name}): lang: {err}"))?,
                ),
            };
            if e.keys.is_empty() {
                return Err(format!("{at} ({name}): no keys"));
            }
            for (j, line) in e.keys.iter().enumerate() {
                let here = format!("{at} ({name}), key #{}", j + 1);
                text::check(&here, line, TextKind::Name).map_err(|err| err.to_string())?;
                let key = PublicKey::from_openssh(line.trim()).map_err(|err| {
                    format!(
                        "{here}: not an OpenSSH public key line ({err}): {}",
                        sanitize::for_terminal(&line.chars().take(40).collect::<String>())
                    )
                })?;
                let Some(id) = key_id(&key) else {
                    return Err(format!("{here}: the key cannot be encoded"));
                };
                if let Some(first) = listed.get(&id) {
                    return Err(format!(
                        "key {} is listed twice, at {first} and at {here}: list each key once, under the one operator it belongs to",
                        fingerprint(&key)
                    ));
                }
                listed.insert(id.clone(), here);
                by_key.insert(
                    id,
                    Operator {
                        name: name.to_owned(),
                        role,
                        lang,
                    },
                );
            }
        }
        Ok(Operators { by_key })
    }

    /// Loads the operators file. Refused when group or others may write it: whoever can write
    /// it can give themselves the oncall role (as a host key others can read is refused).
    pub fn load(path: &Path) -> Result<Self, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mode = meta.permissions().mode();
        if mode & 0o022 != 0 {
            return Err(format!(
                "{}: the operators file is writable by {} (mode {:o}), and whoever can write it can give themselves any role; chmod go-w it",
                path.display(),
                match (mode & 0o020 != 0, mode & 0o002 != 0) {
                    (true, true) => "group and others",
                    (true, false) => "its group",
                    _ => "others",
                },
                mode & 0o777
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn lookup(&self, key: &PublicKey) -> Option<&Operator> {
        self.by_key.get(&key_id(key)?)
    }

    pub fn key_count(&self) -> usize {
        self.by_key.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop";

    #[test]
    fn a_listed_key_maps_to_its_operator_and_role() {
        let ops = Operators::parse(&format!(
            "[[operators]]\nname = \"alice\"\nrole = \"support\"\nkeys = [\"{ALICE}\"]\n"
        ))
        .expect("parse");
        let key = PublicKey::from_openssh(ALICE).expect("key");
        assert_eq!(
            ops.lookup(&key),
            Some(&Operator {
                name: "alice".into(),
                role: Role::Support,
                lang: None,
            })
        );
    }

    #[test]
    fn an_operators_language_is_read_and_a_bad_one_rejects_the_file_naming_the_values() {
        let ops = Operators::parse(&format!(
            "[[operators]]\nname = \"li\"\nrole = \"support\"\nlang = \"zh-CN\"\nkeys = [\"{ALICE}\"]\n"
        ))
        .expect("parse");
        let key = PublicKey::from_openssh(ALICE).expect("key");
        assert_eq!(
            ops.lookup(&key).and_then(|o| o.lang),
            Some(crate::i18n::Lang::ZhCn)
        );
        let e = Operators::parse(&format!(
            "[[operators]]\nname = \"li\"\nrole = \"support\"\nlang = \"fr\"\nkeys = [\"{ALICE}\"]\n"
        ))
        .unwrap_err();
        assert!(
            e.contains("li") && e.contains("lang") && e.contains("en, zh-CN"),
            "{e}"
        );
    }

    #[test]
    fn a_garbage_key_line_or_unknown_role_rejects_the_whole_file() {
        let garbage = "[[operators]]\nname = \"bob\"\nrole = \"oncall\"\nkeys = [\"ssh-ed25519 AAAA\\u001b[2Jgarbage\"]\n";
        let err = Operators::parse(garbage).expect_err("garbage");
        assert!(err.contains("bob") && err.contains("key #1"), "{err}");
        assert!(
            !err.contains('\u{1b}'),
            "escape reached the message: {err:?}"
        );
        let role =
            format!("[[operators]]\nname = \"eve\"\nrole = \"admin\"\nkeys = [\"{ALICE}\"]\n");
        assert!(Operators::parse(&role).expect_err("role").contains("eve"));
    }

    #[test]
    fn a_key_listed_twice_is_an_error_naming_both_entries_even_under_one_name() {
        for second in ["alice", "bob"] {
            let text = format!(
                "[[operators]]\nname = \"alice\"\nrole = \"viewer\"\nkeys = [\"{ALICE}\"]\n\n\
                 [[operators]]\nname = \"{second}\"\nrole = \"oncall\"\nkeys = [\"{ALICE}\"]\n"
            );
            let err = Operators::parse(&text).expect_err("listed twice");
            assert!(err.contains("listed twice"), "{err}");
            assert!(err.contains("operator #1 (alice), key #1"), "{err}");
            assert!(
                err.contains(&format!("operator #2 ({second}), key #1")),
                "{err}"
            );
            assert!(err.contains("SHA256:"), "{err}");
        }
    }

    #[test]
    fn control_and_invisible_characters_in_a_name_are_refused_naming_the_entry() {
        for name in [
            "ali\\u0000ce",
            "ali\\u001bce",
            "ali\\u202ece",
            "ali\\u200bce",
        ] {
            let text = format!(
                "[[operators]]\nname = \"{name}\"\nrole = \"viewer\"\nkeys = [\"{ALICE}\"]\n"
            );
            let err = Operators::parse(&text).expect_err(name);
            assert!(err.starts_with("operator #1: the name contains"), "{err}");
            assert!(!err.contains('\u{1b}') && !err.contains('\0'), "{err:?}");
        }
    }

    #[test]
    fn an_operators_file_others_can_write_is_refused_and_a_private_one_loads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("operators.toml");
        std::fs::write(
            &path,
            format!("[[operators]]\nname = \"alice\"\nrole = \"viewer\"\nkeys = [\"{ALICE}\"]\n"),
        )
        .expect("write");
        for (mode, who) in [
            (0o664, "its group"),
            (0o646, "others"),
            (0o666, "group and others"),
        ] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
            let err = Operators::load(&path).expect_err("writable");
            assert!(err.contains(&format!("writable by {who}")), "{err}");
            assert!(err.contains("chmod go-w"), "{err}");
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert_eq!(Operators::load(&path).expect("loads").key_count(), 1);
    }

    #[test]
    fn a_created_host_key_is_private_and_loads_again_with_the_same_fingerprint() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("host_key");
        let (key, created) = load_or_create_host_key(&path).expect("create");
        assert!(created);
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (again, created) = load_or_create_host_key(&path).expect("load");
        assert!(!created);
        assert_eq!(
            fingerprint(key.public_key()),
            fingerprint(again.public_key())
        );
    }
}
