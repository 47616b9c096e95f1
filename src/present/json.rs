//! The JSON row shapes both faces write (`--json`, the console's `:export`, the audit archive),
//! documented in docs/cli-json.md. Field names and values are machine values: never translated.

use serde::Serialize;

use crate::store::{AuditEntry, SessionRow, SessionState, Ts};

/// A timestamp as every JSON document writes it: RFC 3339, UTC.
pub fn ts(t: Ts) -> String {
    t.rfc3339()
}

pub fn ts_opt(t: Option<Ts>) -> Option<String> {
    t.map(ts)
}

/// A session in JSON output (documented in docs/cli-json.md). Never the SessionId or session_key.
#[derive(Debug, Serialize)]
pub struct SessionJson {
    pub public_id: String,
    pub state: SessionState,
    pub account_id: i64,
    pub username: String,
    pub appid: String,
    pub openid: String,
    pub unionid: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The device parsed from the user agent; null when it is not a WeChat one.
    pub device: Option<crate::device::Device>,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
}

impl SessionJson {
    pub fn new(s: &SessionRow, now: Ts) -> Self {
        SessionJson {
            public_id: s.public_id.clone(),
            state: s.state(now),
            account_id: s.account_id,
            username: s.username.clone(),
            appid: s.appid.clone(),
            openid: s.openid.clone(),
            unionid: s.unionid.clone(),
            client_ip: s.client_ip.clone(),
            user_agent: s.user_agent.clone(),
            device: s.user_agent.as_deref().and_then(crate::device::parse),
            created_at: ts(s.created_at),
            last_seen_at: ts(s.last_seen_at),
            expires_at: ts(s.expires_at),
            revoked_at: ts_opt(s.revoked_at),
            revoked_by: s.revoked_by.clone(),
            revoke_reason: s.revoke_reason.clone(),
        }
    }
}

/// An audit entry in JSON output (documented in docs/cli-json.md).
#[derive(Debug, Serialize)]
pub struct AuditJson {
    pub at: String,
    pub operator: String,
    /// The operator's role when they acted (null on rows older than roles).
    pub role: Option<String>,
    pub origin: Option<String>,
    pub action: String,
    pub target: String,
    pub reason: Option<String>,
    pub detail: serde_json::Value,
}

impl From<&AuditEntry> for AuditJson {
    fn from(e: &AuditEntry) -> Self {
        AuditJson {
            at: ts(e.at),
            operator: e.operator.clone(),
            role: e.role.clone(),
            origin: e.origin.clone(),
            action: e.action.clone(),
            target: e.target.clone(),
            reason: e.reason.clone(),
            detail: e.detail.0.clone(),
        }
    }
}

/// Pretty JSON for a terminal: control, C1 and bidi characters inside strings escaped as
/// `\uXXXX` (still valid JSON, same value), newlines kept.
pub fn escape_json_for_terminal(text: &str) -> String {
    let dangerous = |c: char| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}')
    };
    if !text.chars().any(dangerous) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if dangerous(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escaping_keeps_newlines_and_escapes_c1_and_bidi() {
        let text = "{\n  \"ua\": \"a\u{9b}b\u{202e}c\"\n}";
        let out = escape_json_for_terminal(text);
        assert_eq!(out, "{\n  \"ua\": \"a\\u009bb\\u202ec\"\n}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["ua"], "a\u{9b}b\u{202e}c");
    }
}
