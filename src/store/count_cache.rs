//! One count of the matching sessions per filter for every console of a process.
//!
//! Each console's Sessions view shows how many sessions its filter matches (`1/92,533`). On
//! SQLite the live count is exact and costs tens of milliseconds at 100k sessions; a door with
//! 20 operators on the default filter would count 20 times at start and again on every recount,
//! all on the same few pooled connections, in the way of the pages the operators are waiting
//! for. Here the consoles of one process share the count: one count runs at a time per
//! (database, filter) and whoever asks while it runs gets its result (single flight), and a
//! count younger than the asker's `max_age` is reused.
//!
//! The cache is process-wide (not per console or per door) because that is the scope the cost
//! has: every console of the process shares the database. It holds at most [`MAX_FILTERS`]
//! filters, the least recently used is forgotten first, and a filter by SessionId (a token
//! hash) is never kept: it selects one session and is cheap to count.

use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use super::{Result, SessionFilter, Store};

/// Filters remembered at once (across every database the process has open).
pub const MAX_FILTERS: usize = 64;

/// A finished count: when it finished, the count, and whether it is exact.
type Counted = Option<(Instant, (u64, bool))>;

struct Slot {
    database: String,
    filter: SessionFilter,
    used: Instant,
    /// Held while a count runs: the single flight.
    gate: Arc<tokio::sync::Mutex<Counted>>,
}

static SLOTS: LazyLock<Mutex<Vec<Slot>>> = LazyLock::new(|| Mutex::new(Vec::new()));

fn slot(database: &str, filter: &SessionFilter) -> Arc<tokio::sync::Mutex<Counted>> {
    let mut slots = SLOTS.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    if let Some(s) = slots
        .iter_mut()
        .find(|s| s.database == database && &s.filter == filter)
    {
        s.used = now;
        return s.gate.clone();
    }
    if slots.len() >= MAX_FILTERS
        && let Some(oldest) = slots
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| s.used)
            .map(|(i, _)| i)
    {
        // A count still running on it keeps its own handle; nothing waits on a lost slot.
        slots.swap_remove(oldest);
    }
    let gate = Arc::new(tokio::sync::Mutex::new(None));
    slots.push(Slot {
        database: database.to_owned(),
        filter: filter.clone(),
        used: now,
        gate: gate.clone(),
    });
    gate
}

impl Store {
    /// How many sessions `filter` matches, and whether that is exact: for the default filter
    /// (every live session) the maintained live count ([`Store::live_sessions`], an estimate
    /// when an exact count would be too slow), else an exact count. Shared by every console of
    /// this process: a count that finished less than `max_age` ago, or after this call began
    /// (another console's, waited for), is reused. `Duration::ZERO` asks for a count of now.
    pub async fn count_sessions_shared(
        &self,
        filter: &SessionFilter,
        max_age: Duration,
    ) -> Result<(u64, bool)> {
        if filter.token_hash.is_some() {
            return self.count_sessions_now(filter).await;
        }
        let asked = Instant::now();
        let gate = slot(self.redacted_url(), filter);
        let mut counted = gate.lock().await;
        if let Some((at, value)) = *counted
            && (at >= asked || at.elapsed() < max_age)
        {
            return Ok(value);
        }
        let value = self.count_sessions_now(filter).await?;
        *counted = Some((Instant::now(), value));
        Ok(value)
    }

    async fn count_sessions_now(&self, filter: &SessionFilter) -> Result<(u64, bool)> {
        if *filter == SessionFilter::default() {
            self.live_sessions()
                .await
                .map(|l| (l.count.max(0) as u64, l.exact))
        } else {
            self.count_sessions(filter).await.map(|n| (n, true))
        }
    }
}
