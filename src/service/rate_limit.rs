//! Login attempts per client address within a window (the seeds' brute-force defence: many
//! login requests from one address within the 5-minute life of a code are refused).
//!
//! A sliding window approximated from two fixed windows, as Cloudflare and nginx-style limiters
//! do: the estimate is `previous × (1 − elapsed fraction of the current window) + current`.
//! Every attempt is counted, including refused ones, so a client that keeps hammering stays
//! refused. IPv6 clients are counted per /64 (one host usually holds a whole /64).
//!
//! Memory is bounded: at most `max_clients` addresses are tracked (split across shards). When a
//! shard is full, entries older than two windows are dropped; if it is still full, an arbitrary
//! entry is evicted. An attacker who controls more addresses than that is beyond what a
//! per-address limit can stop anyway. [`RateLimiter::purge`] drops stale entries and runs
//! periodically from the service.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const SHARDS: usize = 16;

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Index of the fixed window `current` counts.
    window: u64,
    current: u32,
    previous: u32,
}

/// The decision for one attempt.
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

#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    per_shard: usize,
    epoch: Instant,
    shards: Vec<Mutex<HashMap<IpAddr, Entry>>>,
}

/// The address an attempt is counted under: IPv4 as is, IPv6 by its /64 (IPv4-mapped IPv6
/// addresses count as the IPv4 address).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl RateLimiter {
    /// `limit` attempts per `window` per client; `limit == 0` turns the limiter off.
    pub fn new(limit: u32, window: Duration, max_clients: usize) -> Self {
        RateLimiter {
            limit,
            window: window.max(Duration::from_secs(1)),
            per_shard: (max_clients / SHARDS).max(16),
            epoch: Instant::now(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.limit > 0
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    fn shard(&self, key: &IpAddr) -> &Mutex<HashMap<IpAddr, Entry>> {
        let h = match key {
            IpAddr::V4(v4) => u32::from(*v4) as u64,
            IpAddr::V6(v6) => {
                let b = u128::from(*v6);
                ((b >> 64) as u64) ^ (b as u64)
            }
        };
        // Spread neighbouring addresses over the shards.
        let mixed = h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        &self.shards[(mixed as usize) % SHARDS]
    }

    /// (window index, fraction of it elapsed, time left in it)
    fn position(&self, now: Instant) -> (u64, f64, Duration) {
        let elapsed = now.saturating_duration_since(self.epoch);
        let w = self.window.as_nanos();
        let idx = (elapsed.as_nanos() / w) as u64;
        let into = elapsed.as_nanos() % w;
        let left = Duration::from_nanos((w - into) as u64);
        (idx, into as f64 / w as f64, left)
    }

    /// Counts one attempt from `ip` and says whether it may proceed.
    pub fn check(&self, ip: IpAddr) -> Decision {
        self.check_at(ip, Instant::now())
    }

    pub fn check_at(&self, ip: IpAddr, now: Instant) -> Decision {
        if self.limit == 0 {
            return Decision::Allowed;
        }
        let key = client_key(ip);
        let (idx, frac, left) = self.position(now);
        let mut map = self.shard(&key).lock().unwrap_or_else(|e| e.into_inner());
        if !map.contains_key(&key) && map.len() >= self.per_shard {
            map.retain(|_, e| e.window + 1 >= idx);
            if map.len() >= self.per_shard
                && let Some(k) = map.keys().next().copied()
            {
                map.remove(&k);
            }
        }
        let e = map.entry(key).or_insert(Entry {
            window: idx,
            current: 0,
            previous: 0,
        });
        if e.window != idx {
            e.previous = if e.window + 1 == idx { e.current } else { 0 };
            e.current = 0;
            e.window = idx;
        }
        e.current = e.current.saturating_add(1);
        let carried = f64::from(e.previous) * (1.0 - frac);
        let limit = f64::from(self.limit);
        if carried + f64::from(e.current) <= limit {
            Decision::Allowed
        } else {
            // The previous window's weight fades over the current one; the current one's count
            // is forgotten a window later. Saying "when this window ends" is honest enough.
            Decision::Limited {
                retry_after: left,
                first: carried + f64::from(e.current - 1) <= limit,
            }
        }
    }

    /// Drops entries that no longer influence any decision. Returns how many remain.
    pub fn purge(&self) -> usize {
        self.purge_at(Instant::now())
    }

    pub fn purge_at(&self, now: Instant) -> usize {
        let (idx, _, _) = self.position(now);
        self.shards
            .iter()
            .map(|s| {
                let mut m = s.lock().unwrap_or_else(|e| e.into_inner());
                m.retain(|_, e| e.window + 1 >= idx);
                m.len()
            })
            .sum()
    }

    /// Addresses currently tracked.
    pub fn tracked(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_attempt_after_the_limit_is_refused_and_other_addresses_are_not() {
        let rl = RateLimiter::new(3, Duration::from_secs(60), 1000);
        let t = rl.epoch;
        for _ in 0..3 {
            assert_eq!(rl.check_at(ip("192.0.2.1"), t), Decision::Allowed);
        }
        assert!(matches!(
            rl.check_at(ip("192.0.2.1"), t),
            Decision::Limited { first: true, .. }
        ));
        assert!(matches!(
            rl.check_at(ip("192.0.2.1"), t),
            Decision::Limited { first: false, .. }
        ));
        assert_eq!(rl.check_at(ip("192.0.2.2"), t), Decision::Allowed);
    }

    #[test]
    fn the_previous_window_fades_and_then_is_forgotten() {
        let rl = RateLimiter::new(4, Duration::from_secs(100), 1000);
        let t = rl.epoch;
        for _ in 0..4 {
            assert_eq!(rl.check_at(ip("192.0.2.1"), t), Decision::Allowed);
        }
        // Early in the next window the previous four still weigh almost fully.
        let early = t + Duration::from_secs(101);
        assert!(matches!(
            rl.check_at(ip("192.0.2.1"), early),
            Decision::Limited { .. }
        ));
        // Two windows later nothing is left.
        let later = t + Duration::from_secs(300);
        assert_eq!(rl.check_at(ip("192.0.2.1"), later), Decision::Allowed);
    }

    #[test]
    fn refused_attempts_are_counted_too() {
        let rl = RateLimiter::new(2, Duration::from_secs(100), 1000);
        let t = rl.epoch;
        for _ in 0..10 {
            rl.check_at(ip("192.0.2.9"), t);
        }
        // Half way through the next window: 10 × 0.5 = 5 > 2, still refused.
        let mid = t + Duration::from_secs(150);
        assert!(matches!(
            rl.check_at(ip("192.0.2.9"), mid),
            Decision::Limited { .. }
        ));
    }

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let rl = RateLimiter::new(1, Duration::from_secs(60), 1000);
        let t = rl.epoch;
        assert_eq!(rl.check_at(ip("2001:db8:1:2::1"), t), Decision::Allowed);
        assert!(matches!(
            rl.check_at(ip("2001:db8:1:2:ffff::9"), t),
            Decision::Limited { .. }
        ));
        assert_eq!(rl.check_at(ip("2001:db8:1:3::1"), t), Decision::Allowed);
        assert_eq!(client_key(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
    }

    #[test]
    fn memory_stays_bounded_under_many_addresses() {
        let rl = RateLimiter::new(5, Duration::from_secs(60), 256);
        let t = rl.epoch;
        for i in 0..100_000u32 {
            rl.check_at(IpAddr::V4(i.into()), t);
        }
        assert!(rl.tracked() <= 256 + SHARDS, "tracked {}", rl.tracked());
        assert_eq!(rl.purge_at(t + Duration::from_secs(180)), 0);
    }

    #[test]
    fn a_zero_limit_turns_the_limiter_off() {
        let rl = RateLimiter::new(0, Duration::from_secs(60), 10);
        for _ in 0..100 {
            assert_eq!(rl.check(ip("192.0.2.1")), Decision::Allowed);
        }
        assert_eq!(rl.tracked(), 0);
    }
}
