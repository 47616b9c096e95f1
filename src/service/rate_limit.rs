//! The login limiter, shared by every instance through the database (`login_limits`), so two
//! instances enforce one budget. Three budgets:
//!
//! - **password attempts per client address** (default 20 per 5 minutes): every login that
//!   carries a username and password counts, before WeChat is asked or a password checked;
//! - **password attempts per account** (default 5 per 15 minutes): every password about to be
//!   checked counts against the username it named, atomically and *before* the check
//!   ([`RateLimiter::account_take`]: a conditional UPSERT that counts the attempt or refuses
//!   it), so however many attempts arrive at once, at most the budget's worth reach Argon2; a
//!   right password gives its attempt back. Once used up, that account's password path answers
//!   429 `account_locked` with `Retry-After`, from any address, even with the right password.
//!   Refusals are not counted here (so nobody can keep another's account locked by sending one
//!   guess a minute). Counted by the name as typed, whether or not such an account exists, so
//!   the answer does not tell which names exist;
//! - **a coarse ceiling on all logins per address** (default 600 per minute; IPv6 per /48)
//!   against floods. Silent logins (a code for an already bound identity, no password) count
//!   only here, so thousands of WeChat users behind one carrier-grade NAT address are not
//!   refused for logging in.
//!
//! Counters are kept per fixed window, one row per (key, window) in `login_limits`, and judged
//! by a **sliding estimate** ([`Slide`]): this window's count plus the previous window's,
//! weighted by the share of it still inside the last window length (as Cloudflare's limiter
//! does). A fixed window let twice a budget through around a boundary (5 wrong passwords per
//! 15 minutes could be 10 within a minute; a flood of 700 logins a minute could straddle two
//! windows of 350 under a 600 ceiling); the estimate does not.
//!
//! ## How each budget is shared
//!
//! The two password budgets are counted in the database on every counted attempt: one UPSERT
//! (`INSERT … ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count`, the previous
//! window's row read in the same statement) per address; for the account, a read of both
//! windows before WeChat is asked (to spare the code when it is locked anyway), then a
//! primary-key read of the previous window and the conditional UPSERT right before the
//! password check. They are exact for the fleet at once: five wrong passwords spread over any
//! instances lock the account on all of them.
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
//!   without asking the database again until the estimate slides back under it (refusals are
//!   still counted and flushed);
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
//! Each instance keeps, per address, what it last knew of the previous minute's shared count
//! for the estimate (entries stay until the minute after theirs is over; a synchronous write
//! reads the previous minute's shared count back). Refused attempts count against the two
//! per-address budgets, so a client that keeps hammering stays refused. A limit of 0 turns
//! that budget off.

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

    /// Where `now` falls among this budget's windows (aligned to the Unix epoch).
    pub fn slide_at(&self, now: DateTime<Utc>) -> Slide {
        let len = (self.window.as_micros().max(1_000_000)) as i64;
        let us = now.timestamp_micros();
        let start = us - us.rem_euclid(len);
        Slide {
            start: Ts::from_micros(start).unwrap_or(Ts::from(now)),
            previous: Ts::from_micros(start - len).unwrap_or(Ts::from(now)),
            len,
            elapsed: us - start,
        }
    }
}

/// Where an instant falls among a budget's windows, for the sliding-window estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slide {
    /// Start of the window `now` is in.
    pub start: Ts,
    /// Start of the window before it.
    pub previous: Ts,
    /// Window length, microseconds.
    pub len: i64,
    /// How far into its window `now` is, microseconds (`0 <= elapsed < len`).
    pub elapsed: i64,
}

impl Slide {
    /// The part of the previous window still inside the last window length, in
    /// microseconds: the previous window's count is weighted by `left / len`.
    fn left(&self) -> i64 {
        self.len - self.elapsed
    }

    /// Whether `cur` in this window and `prev` in the previous one are over `limit` by the
    /// sliding estimate `cur + prev × (len − elapsed) / len` (exact integer arithmetic).
    pub fn over(&self, cur: i64, prev: i64, limit: u32) -> bool {
        let len = i128::from(self.len);
        i128::from(cur) * len + i128::from(prev) * i128::from(self.left()) > i128::from(limit) * len
    }

    /// The most this window may count, given `prev` in the previous one, without the
    /// estimate going over `limit` (may be 0 or less: nothing more this window).
    pub fn max_current(&self, prev: i64, limit: u32) -> i64 {
        let len = i128::from(self.len);
        let room = i128::from(limit) * len - i128::from(prev) * i128::from(self.left());
        room.div_euclid(len)
            .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// How long until one more attempt fits, with `cur` counted in this window and `prev` in
    /// the previous one (and nothing more counted meanwhile).
    pub fn retry_after(&self, cur: i64, prev: i64, limit: u32) -> Duration {
        let limit = i64::from(limit);
        let (len, elapsed) = (i128::from(self.len), i128::from(self.elapsed));
        // The elapsed time (into a window) from which `count + 1` plus `weighted` of the
        // window before fit: (count + 1) × len + weighted × (len − e) <= limit × len.
        let from = |count: i64, weighted: i64| -> Option<i128> {
            let room = i128::from(limit - count - 1);
            if room < 0 {
                return None;
            }
            if weighted <= 0 {
                return Some(0);
            }
            let e = len - (room * len).div_euclid(i128::from(weighted));
            Some(e.max(0))
        };
        let us = match from(cur, prev) {
            Some(e) if e < len => (e - elapsed).max(0),
            // Not this window: the next one, where this window's count is the previous.
            _ => (len - elapsed) + from(0, cur).unwrap_or(len).min(len),
        };
        Duration::from_micros(us.max(0) as u64)
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

/// What [`RateLimiter::account_take`] says about a password attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAttempt {
    /// The per-account budget is off.
    Unlimited,
    /// Counted in the window starting at `window`; check the password. `last`: a wrong
    /// password now locks the account (log that one).
    Counted { window: Ts, last: bool },
    /// Over the budget: nothing counted, no password may be checked.
    Locked { retry_after: Duration },
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
    /// The shared count of the window before, as this instance last knew it (for the
    /// sliding estimate).
    prev: i64,
}

impl FloodEntry {
    fn new(window: i64) -> Self {
        FloodEntry {
            window,
            known: 0,
            pending: 0,
            inflight: 0,
            reported: false,
            prev: 0,
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
    /// Counted in memory and refused: the shared estimate is over the ceiling. `first`: the
    /// first refusal of this address by this instance in this window.
    Refused { first: bool, retry_after: Duration },
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

    /// Counts one hit of `key` at `at` (its window and how far into it) against `limit`, by
    /// the sliding estimate over this window and the one before.
    pub fn hit(&self, key: IpAddr, at: Slide, limit: u32) -> FloodStep {
        let window = at.start.micros();
        let mut map = self.lock();
        let full = map.len() >= self.cap;
        let e = match map.get_mut(&key) {
            Some(e) => e,
            // Full of addresses that cannot be dropped: count this one in the database.
            None if full => return FloodStep::Write { add: 1 },
            None => map.entry(key).or_insert(FloodEntry::new(window)),
        };
        if e.window != window {
            // A new window: what this instance saw of the last one weighs on it while it
            // slides out; whatever was unwritten of it no longer needs writing.
            let prev = if e.window + at.len == window {
                e.view()
            } else {
                0
            };
            *e = FloodEntry::new(window);
            e.prev = prev;
        }
        let view = e.view();
        if at.over(view + 1, e.prev, limit) {
            e.pending += 1;
            let first = !e.reported;
            e.reported = true;
            return FloodStep::Refused {
                first,
                retry_after: at.retry_after(view + 1, e.prev, limit),
            };
        }
        if at.over(view + 1, e.prev, sync_threshold(limit) as u32) {
            let add = e.pending + 1;
            e.pending = 0;
            e.inflight += add;
            return FloodStep::Write { add };
        }
        e.pending += 1;
        FloodStep::Allowed
    }

    /// The database's counts after a [`FloodStep::Write`] of `add` hits (this window's and the
    /// previous one's), and whether it is a refusal to report (the first of this address
    /// here in this window).
    pub fn settle(
        &self,
        key: IpAddr,
        at: Slide,
        add: i64,
        total: Option<(i64, i64)>,
        limit: u32,
    ) -> bool {
        let window = at.start.micros();
        let over = total.is_some_and(|(t, p)| at.over(t, p, limit));
        let mut map = self.lock();
        let Some(e) = map.get_mut(&key).filter(|e| e.window == window) else {
            // Not held in memory: report the write that crossed the ceiling.
            return over && total.is_some_and(|(t, p)| !at.over(t - add, p, limit));
        };
        e.inflight = (e.inflight - add).max(0);
        match total {
            Some((t, p)) => {
                e.known = e.known.max(t);
                e.prev = e.prev.max(p);
            }
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

    /// Drops what memory no longer needs: idle addresses whose window and the one after it
    /// are over (`window + 2 × len <= now`: the next window still weighs the count), and, while the
    /// map is over three quarters of its cap, idle addresses whose shared count is below the
    /// synchronous threshold (dropping one of those can never let a hit over the ceiling).
    pub fn evict(&self, now_us: i64, window_len_us: i64, limit: u32) {
        let mut map = self.lock();
        map.retain(|_, e| !(e.idle() && e.window + 2 * window_len_us <= now_us));
        let target = self.cap / 4 * 3;
        if map.len() > target {
            let threshold = sync_threshold(limit);
            let mut excess = map.len() - target;
            map.retain(|_, e| {
                if excess > 0 && e.idle() && e.known < threshold && e.prev < threshold {
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
        let at = budget.slide_at(now);
        let (cur, prev) = store
            .limit_add_sliding(key, at.start, at.previous, 1)
            .await?;
        Ok(if at.over(cur, prev, budget.limit) {
            Decision::Limited {
                retry_after: at.retry_after(cur, prev, budget.limit),
                first: !at.over(cur - 1, prev, budget.limit),
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
        let at = budget.slide_at(now);
        let key = flood_key(ip);
        match self.flood_counts.hit(key, at, budget.limit) {
            FloodStep::Allowed => Ok(Decision::Allowed),
            FloodStep::Refused { first, retry_after } => {
                Ok(Decision::Limited { retry_after, first })
            }
            FloodStep::Write { add } => {
                let r = store
                    .limit_add_sliding(&Self::flood_key_text(key), at.start, at.previous, add)
                    .await;
                let first =
                    self.flood_counts
                        .settle(key, at, add, r.as_ref().ok().copied(), budget.limit);
                let (cur, prev) = r?;
                Ok(if at.over(cur, prev, budget.limit) {
                    Decision::Limited {
                        retry_after: at.retry_after(cur, prev, budget.limit),
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

    /// Whether `username`'s password path is locked (one more attempt would be over its
    /// budget); the time until it is not, if so. A read, counting nothing: the early answer
    /// that spares WeChat the code. The decision that counts is [`RateLimiter::account_take`].
    pub async fn account_locked(
        &self,
        store: &Store,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Duration>, StoreError> {
        let budget = self.per_account;
        if !budget.enabled() {
            return Ok(None);
        }
        let at = budget.slide_at(now);
        let (cur, prev) = store
            .limit_counts(&Self::account_key(username), at.start, at.previous)
            .await?;
        Ok(at
            .over(cur + 1, prev, budget.limit)
            .then(|| at.retry_after(cur, prev, budget.limit)))
    }

    /// Right before `username`'s password is checked: counts the attempt against the account
    /// atomically, or refuses it when the budget is used up (then nothing is counted and no
    /// password may be checked). Of any number of concurrent attempts, at most the budget's
    /// limit (by the sliding estimate) get [`AccountAttempt::Counted`].
    pub async fn account_take(
        &self,
        store: &Store,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<AccountAttempt, StoreError> {
        let budget = self.per_account;
        if !budget.enabled() {
            return Ok(AccountAttempt::Unlimited);
        }
        let at = budget.slide_at(now);
        let key = Self::account_key(username);
        // The previous window is over: its count no longer changes.
        let prev = store.limit_count(&key, at.previous).await?;
        let max = at.max_current(prev, budget.limit);
        Ok(match store.limit_take(&key, at.start, max).await? {
            Some(cur) => AccountAttempt::Counted {
                window: at.start,
                last: at.over(cur + 1, prev, budget.limit),
            },
            None => AccountAttempt::Locked {
                retry_after: at.retry_after(max.max(0), prev, budget.limit),
            },
        })
    }

    /// A right password: gives the attempt counted by [`RateLimiter::account_take`] back, so
    /// that the owner's own logins never use up the budget.
    pub async fn account_give_back(
        &self,
        store: &Store,
        username: &str,
        attempt: AccountAttempt,
    ) -> Result<(), StoreError> {
        match attempt {
            AccountAttempt::Counted { window, .. } => {
                store
                    .limit_give_back(&Self::account_key(username), window)
                    .await
            }
            _ => Ok(()),
        }
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
    fn windows_are_aligned_and_know_where_now_is() {
        let b = Budget::new(5, Duration::from_secs(900));
        let now = DateTime::parse_from_rfc3339("2026-12-01T10:07:30Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = b.slide_at(now);
        assert_eq!(at.start.rfc3339(), "2026-12-01T10:00:00Z");
        assert_eq!(at.previous.rfc3339(), "2026-12-01T09:45:00Z");
        assert_eq!(at.elapsed, 450_000_000);
        assert_eq!(at.len, 900_000_000);
    }

    /// A 60-second window, `secs` into it.
    fn minute_at(window: i64, secs: i64) -> Slide {
        Slide {
            start: Ts::from_micros(window).unwrap(),
            previous: Ts::from_micros(window - 60_000_000).unwrap(),
            len: 60_000_000,
            elapsed: secs * 1_000_000,
        }
    }

    #[test]
    fn the_previous_window_weighs_by_the_share_of_it_still_inside_the_last_minute() {
        // 15 s into a window: three quarters of the previous one still count.
        let at = minute_at(60_000_000, 15);
        assert!(!at.over(5, 20, 20), "5 + 20 × 0.75 = 20");
        assert!(at.over(6, 20, 20), "6 + 15 > 20");
        assert_eq!(at.max_current(20, 20), 5);
        assert_eq!(at.max_current(40, 20), -10);
        // At the very start of a window the previous one counts whole: no boundary doubles
        // a budget.
        let start = minute_at(60_000_000, 0);
        assert!(start.over(1, 20, 20));
        assert_eq!(start.max_current(0, 20), 20);
    }

    #[test]
    fn retry_after_is_when_one_more_attempt_fits() {
        // 20 in the previous minute, 0 now, 1 s in: one more fits once 1 + 20 × left / 60
        // <= 20, i.e. left <= 57 s: 2 s from now.
        let at = minute_at(60_000_000, 1);
        assert_eq!(at.retry_after(0, 20, 20), Duration::from_secs(2));
        // Over in this window alone: the rest of it, then until this window's 25 weigh
        // little enough: 1 + 25 × left / 60 <= 20, left <= 45.6 s, 14.4 s into the next.
        let at = minute_at(60_000_000, 30);
        let r = at.retry_after(25, 0, 20);
        assert_eq!(r, Duration::from_millis(30_000 + 14_400));
        // Nothing at all: at once.
        assert_eq!(at.retry_after(0, 0, 20), Duration::ZERO);
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

        fn get(&self, ip: IpAddr, window: i64) -> i64 {
            self.0.get(&(ip, window)).copied().unwrap_or(0)
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

        /// One hit through `counts` at `at`, as `check_any` does it: true if allowed.
        fn hit_at(&mut self, counts: &FloodCounts, ip: IpAddr, at: Slide, limit: u32) -> bool {
            match counts.hit(ip, at, limit) {
                FloodStep::Allowed => true,
                FloodStep::Refused { .. } => false,
                FloodStep::Write { add } => {
                    let window = at.start.micros();
                    let t = self.add(ip, window, add);
                    let p = self.get(ip, window - at.len);
                    counts.settle(ip, at, add, Some((t, p)), limit);
                    !at.over(t, p, limit)
                }
            }
        }

        /// One hit at the start of the minute starting at `window`.
        fn hit(&mut self, counts: &FloodCounts, ip: IpAddr, window: i64, limit: u32) -> bool {
            self.hit_at(counts, ip, minute_at(window, 0), limit)
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
        // The next window still weighs the 300: refused at its start, and well into it.
        assert!(!db.hit(&counts, a, 60_000_000, 100));
        assert!(!db.hit_at(&counts, a, minute_at(60_000_000, 30), 100));
        // The one after starts afresh.
        assert!(db.hit(&counts, a, 180_000_000, 100));
    }

    #[test]
    fn a_ceiling_on_each_side_of_a_boundary_lets_no_second_ceiling_through() {
        let counts = FloodCounts::default();
        let mut db = FakeDb::default();
        let a = ip("198.51.100.9");
        // 100 in the last second of a minute, then as many as get through in the first
        // seconds of the next.
        let allowed_before = (0..100)
            .filter(|_| db.hit_at(&counts, a, minute_at(0, 59), 100))
            .count();
        assert_eq!(allowed_before, 100);
        db.flush(&counts);
        let allowed_after = (0..100)
            .filter(|_| db.hit_at(&counts, a, minute_at(60_000_000, 1), 100))
            .count();
        // 1 s in, 100 × 59/60 = 98.3 of the last minute still count.
        assert_eq!(allowed_after, 1);
    }

    #[test]
    fn a_refusal_is_reported_once_per_address_and_window() {
        let counts = FloodCounts::default();
        let mut db = FakeDb::default();
        let a = ip("198.51.100.8");
        let mut firsts = 0;
        for _ in 0..50 {
            match counts.hit(a, minute_at(0, 0), 10) {
                FloodStep::Refused { first, .. } => firsts += usize::from(first),
                FloodStep::Write { add } => {
                    let t = db.add(a, 0, add);
                    firsts += usize::from(counts.settle(a, minute_at(0, 0), add, Some((t, 0)), 10));
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
            if let FloodStep::Write { add } = counts.hit(addr, minute_at(0, 0), 600) {
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
        // Once the window and the one it weighs on are over, nothing is kept.
        counts.evict(2 * window_len, window_len, 600);
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
