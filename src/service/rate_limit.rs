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
//! Counters are fixed windows: one UPSERT per counted attempt (`INSERT … ON CONFLICT DO UPDATE
//! SET count = count + 1 RETURNING count`) and one primary-key read for the account lock. A
//! fixed window lets at most twice a budget through across a window boundary; the budgets are
//! chosen with that in mind. Refused attempts are counted too, so a client that keeps
//! hammering stays refused. A limit of 0 turns that budget off.

use std::net::{IpAddr, Ipv6Addr};
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

/// The shared limiter: budgets, counters in the database.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    pub per_address: Budget,
    pub per_account: Budget,
    pub flood: Budget,
}

impl RateLimiter {
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

    /// Every login, first thing: the coarse ceiling per address.
    pub async fn check_any(
        &self,
        store: &Store,
        ip: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<Decision, StoreError> {
        let key = format!("all:{}", flood_key(ip));
        self.hit(store, self.flood, &key, now).await
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
