//! The login limiter, shared by every instance through the database (`login_limits`), so two
//! instances enforce one budget. Three budgets:
//!
//! - **password attempts per client address** (default 20 per 5 minutes): every login that
//!   carries a username and password counts, before WeChat is asked or a password checked;
//! - **password failures per account** (default 5 per 15 minutes): a wrong password counts
//!   against the username it named; once over, that account's password path answers 429 with
//!   `Retry-After`, from any address, even with the right password, until the window ends.
//!   Counted by the name as typed, whether or not such an account exists, so the answer does
//!   not tell which names exist;
//! - **a coarse ceiling on all logins per address** (default 600 per minute; IPv6 per /48)
//!   against floods. Silent logins (a code for an already bound identity, no password) count
//!   only here, so thousands of WeChat users behind one carrier-grade NAT address are not
//!   refused for logging in.
//!
//! Counters are fixed windows, one row per (key, window) in `login_limits`.
//!
//! ## How each budget is shared
//!
//! The two password budgets are counted in the database on every counted attempt: one UPSERT
//! (`INSERT … ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count`), and one
//! primary-key read for the account lock. They are exact for the fleet at once: five wrong
//! passwords spread over any instances lock the account on all of them.
//!
//! The coarse ceiling is counted in memory per instance and folded into the same table in
//! batches ([`FloodCounts`]), because it is paid by every login, silent ones included:
//!
//! - each instance keeps, per address, the shared count as of its last flush plus its own hits
//!   not yet written, and decides from their sum;
//! - every second ([`FLOOD_FLUSH_INTERVAL`]) it adds its unwritten hits to the table, one row per
//!   changed address in one multi-row UPSERT (PostgreSQL) or one transaction (SQLite), and reads
//!   back each address's shared count;
//! - below a tenth of the ceiling an address is counted in memory only; from there on
//!   ([`sync_threshold`]) every hit of it goes to the database at once, as the password budgets
//!   do (carrying the instance's unwritten hits along), and is allowed only if the shared count
//!   is within the ceiling; once the shared count is over, the instance refuses that address
//!   without asking the database again until the window ends (refusals are still counted and
//!   flushed);
//! - the map is bounded ([`FLOOD_MAP_CAP`] addresses): at each flush, addresses with nothing
//!   unwritten are dropped when their window is over, and under pressure those whose shared
//!   count is below the synchronous threshold; when it is full of addresses that cannot be
//!   dropped, a new address is counted directly in the database (one UPSERT per hit), so a
//!   spray of addresses costs memory up to the cap and database writes beyond it, never
//!   unbounded memory.
//!
//! Worst case: a hit admitted from memory can be one the other instances have not seen yet,
//! and an instance admits at most a tenth of the ceiling per address from memory before it
//! switches to the database. So N instances together can let a flood from one address go at
//! most about N × ceiling / 10 over the ceiling in a window (60 per instance at the default
//! 600/min: 720 for two instances where one perfectly shared counter says 600). One instance
//! alone enforces the ceiling exactly; a crashed instance loses at most its last second of
//! ceiling counts (a graceful stop writes them). Password budgets have no such slack.
//!
//! A fixed window lets at most twice a budget through across a window boundary; the budgets
//! are chosen with that in mind. Refused attempts are counted too, so a client that keeps
//! hammering stays refused. A limit of 0 turns that budget off.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::store::{Store, StoreError, Ts};

/// One budget: `limit` per `window`; 0 is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub limit: u32,
    pub window: Duration,
}

impl Budget {
    pub const fn new(limit: u32, window: Duration) -> Self {
        Budget { limit, window }
    }

    pub fn enabled(&self) -> bool {
        self.limit > 0
    }

    /// (start of the window `now` is in, time left in it)
    fn window_at(&self, now: DateTime<Utc>) -> (Ts, Duration) {
        let w = (self.window.as_micros().max(1_000_000)) as i64;
        let us = now.timestamp_micros();
        let start = us - us.rem_euclid(w);
        let left = Duration::from_micros((start + w - us) as u64);
        (Ts::from_micros(start).unwrap_or(Ts::from(now)), left)
    }
}

/// What the limiter says about one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Over the limit; try again after this long (rounded up to whole seconds when sent).
    /// `first` is true for the attempt that crossed the limit (log that one, not every one).
    Limited {
        retry_after: Duration,
        first: bool,
    },
}

/// The address an attempt is counted under for the per-address budgets: IPv4 as is, IPv6 by
/// its /64 (one host usually holds a whole /64); IPv4-mapped IPv6 as the IPv4 address.
pub fn client_key(ip: IpAddr) -> IpAddr {
    prefix(ip, 64)
}

/// The coarse ceiling counts IPv6 per /48 (a site).
pub fn flood_key(ip: IpAddr) -> IpAddr {
    prefix(ip, 48)
}

fn prefix(ip: IpAddr, v6_bits: u32) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mask = if v6_bits == 0 {
                    0
                } else {
                    u128::MAX << (128 - v6_bits)
                };
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
            }
        },
    }
}

/// How often each instance folds its coarse-ceiling counts into the shared table.
pub const FLOOD_FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// Addresses the coarse ceiling keeps in memory per instance, at most.
pub const FLOOD_MAP_CAP: usize = 65_536;

/// From this many hits in a window (a tenth of the ceiling, at least 1) an address's hits
/// are counted in the database one by one.
pub fn sync_threshold(limit: u32) -> i64 {
    (i64::from(limit) / 10).max(1)
}

/// One address's coarse-ceiling count in one window.
#[derive(Debug, Clone, Copy)]
struct FloodEntry {
    /// Start of the window, microseconds.
    window: i64,
    /// The shared count as of this instance's last write of this address (its own included).
    known: i64,
    /// Hits counted here and not yet written.
    pending: i64,
    /// Hits being written by a flush right now.
    inflight: i64,
    /// A refusal of this address has been reported (log once per window per instance).
    reported: bool,
}

impl FloodEntry {
    fn new(window: i64) -> Self {
        FloodEntry {
            window,
            known: 0,
            pending: 0,
            inflight: 0,
            reported: false,
        }
    }

    fn view(&self) -> i64 {
        self.known + self.inflight + self.pending
    }

    fn idle(&self) -> bool {
        self.pending == 0 && self.inflight == 0
    }
}

/// What the in-memory count says about one hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloodStep {
    /// Counted in memory and allowed.
    Allowed,
    /// Counted in memory and refused: the shared count is over the ceiling. `first`: the
    /// first refusal of this address by this instance in this window.
    Refused { first: bool },
    /// Near the ceiling (or the map is full): add these hits (this one and the instance's
    /// unwritten ones, already taken out of memory) to the database now and decide from the
    /// count it returns; then report it with [`FloodCounts::settle`].
    Write { add: i64 },
}

/// A batch the flusher writes: per window, the (address, hits) to add.
pub type FloodBatch = Vec<(i64, Vec<(IpAddr, i64)>)>;

/// The coarse ceiling's per-instance counts (see the module docs). Cheap to clone: clones
/// share the map.
#[derive(Debug, Clone)]
pub struct FloodCounts {
    map: Arc<Mutex<HashMap<IpAddr, FloodEntry>>>,
    cap: usize,
}

impl Default for FloodCounts {
    fn default() -> Self {
        Self::with_cap(FLOOD_MAP_CAP)
    }
}

impl FloodCounts {
    pub fn with_cap(cap: usize) -> Self {
        FloodCounts {
            map: Arc::new(Mutex::new(HashMap::new())),
            cap: cap.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, FloodEntry>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Addresses held in memory now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts one hit of `key` in the window starting at `window` (microseconds) against
    /// `limit`.
    pub fn hit(&self, key: IpAddr, window: i64, limit: u32) -> FloodStep {
        let limit = i64::from(limit);
        let mut map = self.lock();
        let full = map.len() >= self.cap;
        let e = match map.get_mut(&key) {
            Some(e) => e,
            // Full of addresses that cannot be dropped: count this one in the database.
            None if full => return FloodStep::Write { add: 1 },
            None => map.entry(key).or_insert(FloodEntry::new(window)),
        };
        if e.window != window {
            // A new window; whatever was unwritten of the old one no longer matters.
            *e = FloodEntry::new(window);
        }
        let view = e.view();
        if view >= limit {
            e.pending += 1;
            let first = !e.reported;
            e.reported = true;
            return FloodStep::Refused { first };
        }
        if view + 1 > sync_threshold(limit as u32) {
            let add = e.pending + 1;
            e.pending = 0;
            e.inflight += add;
            return FloodStep::Write { add };
        }
        e.pending += 1;
        FloodStep::Allowed
    }

    /// The database's count after a [`FloodStep::Write`] of `add` hits, and whether it is a
    /// refusal to report (the first of this address here in this window).
    pub fn settle(
        &self,
        key: IpAddr,
        window: i64,
        add: i64,
        total: Option<i64>,
        limit: u32,
    ) -> bool {
        let over = total.is_some_and(|t| t > i64::from(limit));
        let mut map = self.lock();
        let Some(e) = map.get_mut(&key).filter(|e| e.window == window) else {
            // Not held in memory: report the write that crossed the ceiling.
            return over && total.is_some_and(|t| t - add <= i64::from(limit));
        };
        e.inflight = (e.inflight - add).max(0);
        match total {
            Some(t) => e.known = e.known.max(t),
            // Not written: count them again at the next flush.
            None => e.pending += add,
        }
        let first = over && !e.reported;
        e.reported |= over;
        first
    }

    /// Takes every address's unwritten hits for a flush (they stay counted, as in flight).
    pub fn take_pending(&self) -> FloodBatch {
        let mut by_window: HashMap<i64, Vec<(IpAddr, i64)>> = HashMap::new();
        let mut map = self.lock();
        for (ip, e) in map.iter_mut() {
            if e.pending > 0 {
                by_window
                    .entry(e.window)
                    .or_default()
                    .push((*ip, e.pending));
                e.inflight += e.pending;
                e.pending = 0;
            }
        }
        let mut batch: FloodBatch = by_window.into_iter().collect();
        for (_, v) in &mut batch {
            v.sort_unstable_by_key(|(ip, _)| *ip);
        }
        batch
    }

    /// A flush's outcome for one window: the shared counts read back, or `None` when the write
    /// failed (the hits are unwritten again).
    pub fn flushed(
        &self,
        window: i64,
        sent: &[(IpAddr, i64)],
        totals: Option<&HashMap<IpAddr, i64>>,
    ) {
        let mut map = self.lock();
        for (ip, n) in sent {
            if let Some(e) = map.get_mut(ip).filter(|e| e.window == window) {
                e.inflight = (e.inflight - n).max(0);
                match totals.and_then(|t| t.get(ip)) {
                    Some(t) => e.known = e.known.max(*t),
                    None => e.pending += n,
                }
            }
        }
    }

    /// Drops what memory no longer needs: idle addresses of windows before `current` (by
    /// window length: an entry's window is over when `window + len <= now`), and, while the
    /// map is over three quarters of its cap, idle addresses whose shared count is below the
    /// synchronous threshold (dropping one of those can never let a hit over the ceiling).
    pub fn evict(&self, now_us: i64, window_len_us: i64, limit: u32) {
        let mut map = self.lock();
        map.retain(|_, e| !(e.idle() && e.window + window_len_us <= now_us));
        let target = self.cap / 4 * 3;
        if map.len() > target {
            let threshold = sync_threshold(limit);
            let mut excess = map.len() - target;
            map.retain(|_, e| {
                if excess > 0 && e.idle() && e.known < threshold {
                    excess -= 1;
                    false
                } else {
                    true
                }
            });
        }
    }
}

/// The shared limiter: budgets, counters in the database (the coarse ceiling's batched).
#[derive(Debug, Clone)]
pub struct RateLimiter {
    pub per_address: Budget,
    pub per_account: Budget,
    pub flood: Budget,
    flood_counts: FloodCounts,
}

impl RateLimiter {
    pub fn new(per_address: Budget, per_account: Budget, flood: Budget) -> Self {
        RateLimiter {
            per_address,
            per_account,
            flood,
            flood_counts: FloodCounts::default(),
        }
    }

    /// The coarse ceiling's in-memory counts (for tests and /metrics).
    pub fn flood_counts(&self) -> &FloodCounts {
        &self.flood_counts
    }

    async fn hit(
        &self,
        store: &Store,
        budget: Budget,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Decision, StoreError> {
        if !budget.enabled() {
            return Ok(Decision::Allowed);
        }
        let (start, left) = budget.window_at(now);
        let n = store.limit_hit(key, start).await?;
        Ok(if n > i64::from(budget.limit) {
            Decision::Limited {
                retry_after: left,
                first: n == i64::from(budget.limit) + 1,
            }
        } else {
            Decision::Allowed
        })
    }

    fn flood_key_text(ip: IpAddr) -> String {
        format!("all:{ip}")
    }

    /// Every login, first thing: the coarse ceiling per address (in memory, written in
    /// batches; see the module docs).
    pub async fn check_any(
        &self,
        store: &Store,
        ip: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<Decision, StoreError> {
        let budget = self.flood;
        if !budget.enabled() {
            return Ok(Decision::Allowed);
        }
        let (start, left) = budget.window_at(now);
        let key = flood_key(ip);
        let window = start.micros();
        match self.flood_counts.hit(key, window, budget.limit) {
            FloodStep::Allowed => Ok(Decision::Allowed),
            FloodStep::Refused { first } => Ok(Decision::Limited {
                retry_after: left,
                first,
            }),
            FloodStep::Write { add } => {
                let r = store
                    .limit_add(&Self::flood_key_text(key), start, add)
                    .await;
                let first = self.flood_counts.settle(
                    key,
                    window,
                    add,
                    r.as_ref().ok().copied(),
                    budget.limit,
                );
                Ok(if r? > i64::from(budget.limit) {
                    Decision::Limited {
                        retry_after: left,
                        first,
                    }
                } else {
                    Decision::Allowed
                })
            }
        }
    }

    /// Writes the coarse ceiling's unwritten counts (one multi-row UPSERT per window, in
    /// chunks) and drops what memory no longer needs. Returns the rows written.
    pub async fn flush_flood(
        &self,
        store: &Store,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        const CHUNK: usize = 1000;
        let mut written = 0;
        let mut failure = None;
        for (window, items) in self.flood_counts.take_pending() {
            let start = Ts::from_micros(window).unwrap_or(Ts::from(now));
            for chunk in items.chunks(CHUNK) {
                let rows: Vec<(String, i64)> = chunk
                    .iter()
                    .map(|(ip, n)| (Self::flood_key_text(*ip), *n))
                    .collect();
                match store.limit_add_many(start, &rows).await {
                    Ok(totals) => {
                        written += totals.len();
                        let totals: HashMap<String, i64> = totals.into_iter().collect();
                        let by_ip: HashMap<IpAddr, i64> = chunk
                            .iter()
                            .zip(&rows)
                            .filter_map(|((ip, _), (k, _))| totals.get(k).map(|n| (*ip, *n)))
                            .collect();
                        self.flood_counts.flushed(window, chunk, Some(&by_ip));
                    }
                    Err(e) => {
                        self.flood_counts.flushed(window, chunk, None);
                        failure.get_or_insert(e);
                    }
                }
            }
        }
        let len = (self.flood.window.as_micros().max(1_000_000)) as i64;
        self.flood_counts
            .evict(now.timestamp_micros(), len, self.flood.limit);
        match failure {
            Some(e) => Err(e),
            None => Ok(written),
        }
    }

    /// A login with a username and password, before anything is checked: attempts per address.
    pub async fn check_password_attempt(
        &self,
        store: &Store,
        ip: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<Decision, StoreError> {
        let key = format!("pw:{}", client_key(ip));
        self.hit(store, self.per_address, &key, now).await
    }

    fn account_key(username: &str) -> String {
        crate::store::limits::account_limit_key(username)
    }

    /// Whether `username`'s password path is locked by failures; the time left if so.
    pub async fn account_locked(
        &self,
        store: &Store,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Duration>, StoreError> {
        if !self.per_account.enabled() {
            return Ok(None);
        }
        let (start, left) = self.per_account.window_at(now);
        let n = store
            .limit_count(&Self::account_key(username), start)
            .await?;
        Ok((n >= i64::from(self.per_account.limit)).then_some(left))
    }

    /// A wrong password for `username`: counts against it. `Limited` (with `first`) when this
    /// failure locked it.
    pub async fn account_failed(
        &self,
        store: &Store,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<Decision, StoreError> {
        if !self.per_account.enabled() {
            return Ok(Decision::Allowed);
        }
        let (start, left) = self.per_account.window_at(now);
        let n = store.limit_hit(&Self::account_key(username), start).await?;
        let limit = i64::from(self.per_account.limit);
        // Locked from the failure that reaches the limit (see `account_locked`).
        Ok(if n >= limit {
            Decision::Limited {
                retry_after: left,
                first: n == limit,
            }
        } else {
            Decision::Allowed
        })
    }

    /// Deletes counters of windows that are over (the longest budget window ago).
    pub async fn purge(&self, store: &Store, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let longest = [self.per_address, self.per_account, self.flood]
            .iter()
            .map(|b| b.window)
            .max()
            .unwrap_or_default();
        let before = Ts::from(
            now - chrono::Duration::from_std(longest * 2).unwrap_or(chrono::Duration::hours(1)),
        );
        let mut total = 0;
        for _ in 0..20 {
            let n = store.purge_limits(before, 1000).await?;
            total += n;
            if n < 1000 {
                break;
            }
        }
        Ok(total)
    }
}

/// An address range in `trusted_proxies`: `10.0.0.0/8`, `::1/128`, or a bare address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Cidr> {
        let t = text.trim();
        let (addr, bits) = match t.split_once('/') {
            Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
            None => (t, None),
        };
        let ip: IpAddr = addr.parse().ok()?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        if bits > max {
            return None;
        }
        Some(Cidr { net: ip, bits })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(self.bits))
                };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.bits == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(self.bits))
                };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.net, self.bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_counts_per_64_for_passwords_and_per_48_for_the_ceiling() {
        assert_eq!(client_key(ip("2001:db8:1:2:3::9")), ip("2001:db8:1:2::"));
        assert_eq!(flood_key(ip("2001:db8:1:2:3::9")), ip("2001:db8:1::"));
        assert_eq!(client_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(flood_key(ip("192.0.2.1")), ip("192.0.2.1"));
    }

    #[test]
    fn windows_are_aligned_and_say_how_long_is_left() {
        let b = Budget::new(5, Duration::from_secs(900));
        let now = DateTime::parse_from_rfc3339("2026-12-01T10:07:30Z")
            .unwrap()
            .with_timezone(&Utc);
        let (start, left) = b.window_at(now);
        assert_eq!(start.rfc3339(), "2026-12-01T10:00:00Z");
        assert_eq!(left, Duration::from_secs(450));
    }

    /// The shared table, simulated: what `limit_add` and `limit_add_many` do.
    #[derive(Default)]
    struct FakeDb(HashMap<(IpAddr, i64), i64>);

    impl FakeDb {
        fn add(&mut self, ip: IpAddr, window: i64, n: i64) -> i64 {
            let c = self.0.entry((ip, window)).or_default();
            *c += n;
            *c
        }

        fn flush(&mut self, counts: &FloodCounts) {
            for (window, items) in counts.take_pending() {
                let totals: HashMap<IpAddr, i64> = items
                    .iter()
                    .map(|(ip, n)| (*ip, self.add(*ip, window, *n)))
                    .collect();
                counts.flushed(window, &items, Some(&totals));
            }
        }

        /// One hit through `counts`, as `check_any` does it: true if allowed.
        fn hit(&mut self, counts: &FloodCounts, ip: IpAddr, window: i64, limit: u32) -> bool {
            match counts.hit(ip, window, limit) {
                FloodStep::Allowed => true,
                FloodStep::Refused { .. } => false,
                FloodStep::Write { add } => {
                    let t = self.add(ip, window, add);
                    counts.settle(ip, window, add, Some(t), limit);
                    t <= i64::from(limit)
                }
            }
        }
    }

    #[test]
    fn one_instance_enforces_the_ceiling_exactly_and_counts_refusals() {
        let counts = FloodCounts::default();
        let mut db = FakeDb::default();
        let a = ip("198.51.100.7");
        let mut allowed = 0;
        for i in 0..300 {
            if db.hit(&counts, a, 0, 100) {
                allowed += 1;
            }
            if i % 37 == 0 {
                db.flush(&counts);
            }
        }
        db.flush(&counts);
        assert_eq!(allowed, 100);
        assert_eq!(db.0[&(a, 0)], 300, "every hit reaches the shared count");
        // The next window starts afresh.
        assert!(db.hit(&counts, a, 60_000_000, 100));
    }

    #[test]
    fn a_refusal_is_reported_once_per_address_and_window() {
        let counts = FloodCounts::default();
        let mut db = FakeDb::default();
        let a = ip("198.51.100.8");
        let mut firsts = 0;
        for _ in 0..50 {
            match counts.hit(a, 0, 10) {
                FloodStep::Refused { first } => firsts += usize::from(first),
                FloodStep::Write { add } => {
                    let t = db.add(a, 0, add);
                    firsts += usize::from(counts.settle(a, 0, add, Some(t), 10));
                }
                FloodStep::Allowed => {}
            }
        }
        assert_eq!(firsts, 1);
    }

    #[test]
    fn two_instances_stay_within_a_tenth_of_the_ceiling_each() {
        let limit = 600u32;
        let slack = 2 * sync_threshold(limit);
        // Several interleavings: round robin, bursts on one instance, flushes at odd moments.
        for seed in 0u64..20 {
            let (a, b) = (FloodCounts::default(), FloodCounts::default());
            let mut db = FakeDb::default();
            let flooder = ip("203.0.113.66");
            let mut x = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let mut allowed = 0i64;
            for _ in 0..5_000 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let on_a = (x >> 33) % 3 != 0;
                let inst = if on_a { &a } else { &b };
                if db.hit(inst, flooder, 0, limit) {
                    allowed += 1;
                }
                match (x >> 40) % 97 {
                    0 => db.flush(&a),
                    1 => db.flush(&b),
                    _ => {}
                }
            }
            assert!(allowed >= i64::from(limit), "seed {seed}: {allowed}");
            assert!(
                allowed <= i64::from(limit) + slack,
                "seed {seed}: {allowed} allowed, ceiling {limit} + slack {slack}"
            );
        }
    }

    #[test]
    fn memory_stays_bounded_under_a_spray_of_addresses() {
        let cap = 1_000;
        let counts = FloodCounts::with_cap(cap);
        let mut db = FakeDb::default();
        let window_len = 60_000_000;
        let mut direct = 0;
        for i in 0u32..100_000 {
            let addr = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            if let FloodStep::Write { add } = counts.hit(addr, 0, 600) {
                // Past the cap a new address is counted in the database directly.
                direct += 1;
                db.add(addr, 0, add);
            }
            assert!(counts.len() <= cap, "{} addresses held", counts.len());
            if i % 700 == 0 {
                db.flush(&counts);
                counts.evict(1_000_000, window_len, 600);
            }
        }
        assert!(direct > 0, "the cap was reached");
        db.flush(&counts);
        counts.evict(1_000_000, window_len, 600);
        assert!(counts.len() <= cap / 4 * 3);
        // Every hit is in the shared count, whether it went through memory or not.
        assert_eq!(db.0.values().sum::<i64>(), 100_000);
        // Once the window is over, nothing is kept.
        counts.evict(window_len, window_len, 600);
        assert!(counts.is_empty());
    }

    #[test]
    fn trusted_proxy_ranges_match_addresses_inside_them_only() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(ip("10.200.3.4")));
        assert!(c.contains(ip("::ffff:10.1.1.1")));
        assert!(!c.contains(ip("11.0.0.1")));
        let l = Cidr::parse("::1/128").unwrap();
        assert!(l.contains(ip("::1")));
        assert!(!l.contains(ip("::2")));
        let one = Cidr::parse("127.0.0.1").unwrap();
        assert!(one.contains(ip("127.0.0.1")));
        assert!(!one.contains(ip("127.0.0.2")));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("proxy.example"), None);
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
    }
}
