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
    #[serde(default)]
    keys: Vec<String>,
}

/// The key's identity: its wire encoding without the comment.
fn key_id(key: &PublicKey) -> Vec<u8> {
    key.to_bytes().unwrap_or_default()
}

impl Operators {
    /// Parses an operators file. Any error rejects the whole file (the caller keeps the old one):
    /// a half-read file could silently drop someone's access or keep a revoked key.
    pub fn parse(text: &str) -> Result<Self, String> {
        let shape: FileShape = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        let mut by_key = HashMap::new();
        for (i, e) in shape.operators.into_iter().enumerate() {
            let at = format!("operator #{}", i + 1);
            let name = e.name.trim();
            if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control()) {
                return Err(format!("{at}: name must be 1 to 64 printable characters"));
            }
            let role: Role = e
                .role
                .parse()
                .map_err(|err| format!("{at} ({name}): {err}"))?;
            if e.keys.is_empty() {
                return Err(format!("{at} ({name}): no keys"));
            }
            for (j, line) in e.keys.iter().enumerate() {
                let key = PublicKey::from_openssh(line.trim()).map_err(|err| {
                    format!(
                        "{at} ({name}), key #{}: not an OpenSSH public key line ({err}): {}",
                        j + 1,
                        sanitize::for_terminal(&line.chars().take(40).collect::<String>())
                    )
                })?;
                let op = Operator {
                    name: name.to_owned(),
                    role,
                };
                if let Some(prev) = by_key.insert(key_id(&key), op)
                    && prev.name != name
                {
                    return Err(format!(
                        "key {} is listed for both {} and {name}",
                        fingerprint(&key),
                        prev.name
                    ));
                }
            }
        }
        Ok(Operators { by_key })
    }

    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn lookup(&self, key: &PublicKey) -> Option<&Operator> {
        self.by_key.get(&key_id(key))
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
                role: Role::Support
            })
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
