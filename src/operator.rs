//! Who is acting: the operator's name, role and origin, written on every audit row.
//!
//! These are domain types, below the store and the ops layer: the store writes them on audit
//! rows, [`crate::ops::authorize`] decides from the role what the operator may do, and the
//! faces (console, CLI, SSH door) only construct them.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// What an operator may do. Ordered: each role may do everything the one before it may.
///
/// | role | may |
/// |---|---|
/// | `viewer` | look at everything; change nothing |
/// | `support` | revoke one session or up to 100 listed ones; revoke every session of one account or one openid; unbind; test code exchanges; disable an account |
/// | `oncall` | everything, including bulk revokes by appid, unionid or client IP, and any number of ids |
///
/// The only place that turns a role into a yes or no is [`crate::ops::authorize`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Support,
    Oncall,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Support, Role::Oncall];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Support => "support",
            Role::Oncall => "oncall",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of the three.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: use viewer, support or oncall")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Role::Viewer),
            "support" => Ok(Role::Support),
            "oncall" => Ok(Role::Oncall),
            _ => Err(UnknownRole(crate::sanitize::for_terminal(s).into_owned())),
        }
    }
}

/// Who is acting, written on every audit row: name, role and where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub operator: String,
    pub role: Role,
    /// Where the operator came from: `local`, `ssh:<client address>`, …
    pub origin: Option<String>,
    /// The SHA256 fingerprint of the SSH key that identified the operator (the SSH door sets
    /// it); written on audit rows as `"key"` in the detail.
    pub key_fingerprint: Option<String>,
}

impl Actor {
    pub fn new(operator: impl Into<String>, role: Role, origin: Option<String>) -> Self {
        Actor {
            operator: operator.into(),
            role,
            origin,
            key_fingerprint: None,
        }
    }

    /// The same person, identified by this SSH key.
    pub fn with_key_fingerprint(mut self, fingerprint: impl Into<String>) -> Self {
        self.key_fingerprint = Some(fingerprint.into());
        self
    }

    /// An audit row's detail with the key fingerprint added (under `"key"`) when there is one.
    pub fn audit_detail<'a>(
        &self,
        detail: &'a serde_json::Value,
    ) -> std::borrow::Cow<'a, serde_json::Value> {
        match (&self.key_fingerprint, detail) {
            (Some(fp), serde_json::Value::Object(map)) => {
                let mut map = map.clone();
                map.insert("key".into(), serde_json::Value::String(fp.clone()));
                std::borrow::Cow::Owned(serde_json::Value::Object(map))
            }
            (Some(fp), serde_json::Value::Null) => {
                std::borrow::Cow::Owned(serde_json::json!({ "key": fp }))
            }
            (Some(fp), other) => {
                std::borrow::Cow::Owned(serde_json::json!({ "key": fp, "detail": other }))
            }
            (None, d) => std::borrow::Cow::Borrowed(d),
        }
    }

    /// The same person with another role (e.g. `--read-only` makes anyone a viewer).
    pub fn with_role(mut self, role: Role) -> Self {
        self.role = role;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_in_any_case_and_are_ordered() {
        assert_eq!("Support".parse::<Role>(), Ok(Role::Support));
        assert_eq!(" oncall ".parse::<Role>(), Ok(Role::Oncall));
        assert!("admin".parse::<Role>().is_err());
        assert!(Role::Viewer < Role::Support && Role::Support < Role::Oncall);
    }

    #[test]
    fn the_key_fingerprint_is_added_to_audit_details_only_when_set() {
        let local = Actor::new("alice", Role::Oncall, Some("local".into()));
        let d = serde_json::json!({ "revoked": 1 });
        assert_eq!(local.audit_detail(&d).as_ref(), &d);
        let door = local.with_key_fingerprint("SHA256:abc");
        assert_eq!(
            door.audit_detail(&d).as_ref(),
            &serde_json::json!({ "revoked": 1, "key": "SHA256:abc" })
        );
        assert_eq!(
            door.audit_detail(&serde_json::Value::Null).as_ref(),
            &serde_json::json!({ "key": "SHA256:abc" })
        );
    }
}
