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
