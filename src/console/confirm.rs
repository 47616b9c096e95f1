//! The one confirmation dialog every destructive action goes through (revoke one, revoke marked,
//! revoke all of an account / openid, unbind). It states exactly what will happen and to whom,
//! with a count from the database, requires a reason for the audit log, and shows a bulk
//! revoke's progress with a way to stop it between batches.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::input::TextInput;
use crate::store::{RevokeProgress, SessionFilter};

/// What will be done once confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// These sessions, by public id, in one transaction.
    RevokeSessions { public_ids: Vec<String> },
    /// Every live session matching the filter, in batches.
    RevokeMatching { filter: SessionFilter },
    /// Delete the binding and revoke its live sessions.
    Unbind { appid: String, openid: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Count {
    Counting,
    Known(u64),
    Failed(String),
}

#[derive(Debug)]
pub enum Phase {
    Editing,
    Running {
        progress: Option<RevokeProgress>,
        cancel: Arc<AtomicBool>,
        cancelling: bool,
    },
}

#[derive(Debug)]
pub struct Confirm {
    /// Matches count and result messages to this dialog.
    pub id: u64,
    pub op: Operation,
    /// `Revoke session`, `Unbind`, …
    pub title: String,
    /// Whose sessions / which binding, one fact per line (already sanitised).
    pub subject: Vec<(String, String)>,
    pub count: Count,
    /// `sessions will be revoked`: follows the count.
    pub consequence: &'static str,
    pub reason: TextInput,
    pub phase: Phase,
    pub error: Option<String>,
}

impl Confirm {
    pub fn new(
        id: u64,
        op: Operation,
        title: impl Into<String>,
        subject: Vec<(String, String)>,
        count: Count,
        consequence: &'static str,
    ) -> Self {
        Confirm {
            id,
            op,
            title: title.into(),
            subject,
            count,
            consequence,
            reason: TextInput::new(),
            phase: Phase::Editing,
            error: None,
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self.phase, Phase::Running { .. })
    }

    /// `3 sessions will be revoked`.
    pub fn headline(&self) -> String {
        match &self.count {
            Count::Counting => format!("counting… ({})", self.consequence),
            Count::Known(n) => format!(
                "{} {}",
                thousands(*n),
                plural_consequence(*n, self.consequence)
            ),
            Count::Failed(e) => format!("could not count: {e}"),
        }
    }
}

/// `1 session will be revoked` / `2 sessions will be revoked`.
fn plural_consequence(n: u64, consequence: &str) -> String {
    if n == 1 {
        consequence.replacen("sessions", "session", 1)
    } else {
        consequence.to_owned()
    }
}

/// `12,345`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_naturally() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        let mut c = Confirm::new(
            1,
            Operation::RevokeSessions { public_ids: vec![] },
            "Revoke",
            vec![],
            Count::Known(1),
            "sessions will be revoked",
        );
        assert_eq!(c.headline(), "1 session will be revoked");
        c.count = Count::Known(2500);
        assert_eq!(c.headline(), "2,500 sessions will be revoked");
    }
}
