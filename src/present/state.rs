//! State names as both faces compute them (machine values: the same in JSON, tables and the
//! console's Overview).

use crate::store::Ts;
use crate::store::stats::{InstanceRow, UP_WITHIN_SECS};

/// `up`, `stale` or `stopped` at `now`.
pub fn instance_state(i: &InstanceRow, now: Ts) -> &'static str {
    if i.stopped_at.is_some() {
        "stopped"
    } else if now.micros() - i.last_seen_at.micros() <= UP_WITHIN_SECS * 1_000_000 {
        "up"
    } else {
        "stale"
    }
}

/// A session's state as a person reads it (`active` / 在线); JSON and CSV keep the machine
/// value.
pub fn session_state_name(tr: &crate::i18n::Tr, state: crate::store::SessionState) -> String {
    use crate::store::SessionState;
    match state {
        SessionState::Active => crate::tr!(tr, "present-state-active"),
        SessionState::Revoked => crate::tr!(tr, "present-state-revoked"),
        SessionState::Expired => crate::tr!(tr, "present-state-expired"),
    }
}

/// An instance state from [`instance_state`] as a person reads it (`up` / 运行中).
pub fn instance_state_name(tr: &crate::i18n::Tr, state: &str) -> String {
    match state {
        "up" => crate::tr!(tr, "present-state-up"),
        "stale" => crate::tr!(tr, "present-state-stale"),
        "stopped" => crate::tr!(tr, "present-state-stopped"),
        other => other.to_owned(),
    }
}
