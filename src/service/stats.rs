//! What this instance tells the fleet: login outcomes per (minute, appid, outcome) and failed
//! logins per client address per minute, counted in memory and flushed every few seconds with
//! one UPSERT per changed row; a heartbeat row; old statistics deleted in small batches.
//!
//! A login takes one short mutex to bump a counter; nothing is written per login.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::metrics::LoginResult;
use crate::store::stats::{
    ADDRESSES_PER_MINUTE, AddressCount, NewInstance, OutcomeCount, minute_of,
};
use crate::store::{Store, StoreError, Ts};

/// Distinct failing addresses remembered per minute; further new ones are not counted (the
/// top ones are found long before, and memory stays bounded under a spray).
const MAX_ADDRESSES_IN_MEMORY: usize = 10_000;
/// Outcome counters are kept this many minutes after their minute, so that a late increment
/// never restarts a row from zero (rows hold absolute counts).
const KEEP_MINUTES: i64 = 3;

/// The statistics name of a login's outcome.
pub fn outcome_label(r: LoginResult, wechat_errcode: Option<i64>) -> &'static str {
    match r {
        LoginResult::WechatError => match wechat_errcode {
            None => "wechat_unreachable",
            Some(-1) => "wechat_-1",
            Some(40029) => "wechat_40029",
            Some(40163) => "wechat_40163",
            Some(40226) => "wechat_40226",
            Some(45011) => "wechat_45011",
            Some(40013) => "wechat_40013",
            Some(40125) => "wechat_40125",
            Some(_) => "wechat_other",
        },
        other => other.label(),
    }
}

/// Whether the outcome counts as a failure of the client at that address (a spraying address
/// shows up here; WeChat being down or our own errors do not).
pub fn is_client_failure(r: LoginResult, wechat_errcode: Option<i64>) -> bool {
    match r {
        LoginResult::InvalidCredentials
        | LoginResult::AccountLocked
        | LoginResult::BindingConflict
        | LoginResult::BindingLimit
        | LoginResult::AccountDisabled
        | LoginResult::RateLimited
        | LoginResult::BadRequest => true,
        LoginResult::WechatError => matches!(wechat_errcode, Some(40029 | 40163 | 40226)),
        _ => false,
    }
}

/// The address failures are counted under: an IPv4 address, or the /64 of an IPv6 one (one
/// subscriber usually holds a whole /64).
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
    }
}

#[derive(Debug, Default)]
struct Counter {
    count: i64,
    written: i64,
}

#[derive(Debug, Default)]
struct MinuteAddresses {
    counts: HashMap<String, Counter>,
}

#[derive(Debug, Default)]
struct Counters {
    /// (minute in µs, appid, outcome)
    outcomes: HashMap<(i64, String, &'static str), Counter>,
    /// minute in µs → addresses
    addresses: HashMap<i64, MinuteAddresses>,
}

/// The in-memory counters of one instance.
#[derive(Debug, Default)]
pub struct LoginStats {
    counters: Mutex<Counters>,
}

/// What one flush wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flushed {
    pub outcome_rows: usize,
    pub address_rows: usize,
    /// `login_stats` UPSERT statements issued (one per changed outcome row).
    pub outcome_upserts: usize,
}

impl LoginStats {
    /// Counts one login at `now`. `appid` is empty when the request never named a served app.
    pub fn record(
        &self,
        now: DateTime<Utc>,
        appid: &str,
        result: LoginResult,
        wechat_errcode: Option<i64>,
        ip: IpAddr,
    ) {
        let minute = minute_of(Ts::from(now)).micros();
        let outcome = outcome_label(result, wechat_errcode);
        let failed = is_client_failure(result, wechat_errcode);
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        c.outcomes
            .entry((minute, appid.to_owned(), outcome))
            .or_default()
            .count += 1;
        if failed {
            let m = c.addresses.entry(minute).or_default();
            let key = address_key(ip);
            let len = m.counts.len();
            match m.counts.get_mut(&key) {
                Some(n) => n.count += 1,
                None if len < MAX_ADDRESSES_IN_MEMORY => {
                    m.counts.insert(
                        key,
                        Counter {
                            count: 1,
                            written: 0,
                        },
                    );
                }
                None => {}
            }
        }
    }

    /// Writes what changed since the last flush (one UPSERT per changed row, one transaction)
    /// and forgets minutes that are over. On failure nothing is forgotten: the next flush
    /// writes the same absolute counts again.
    pub async fn flush(
        &self,
        store: &Store,
        instance_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Flushed, StoreError> {
        let current = minute_of(Ts::from(now)).micros();
        let (outcomes, addresses, closed) = {
            let c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
            let outcomes: Vec<OutcomeCount> = c
                .outcomes
                .iter()
                .filter(|(_, n)| n.count != n.written)
                .filter_map(|((m, appid, outcome), n)| {
                    Some(OutcomeCount {
                        minute: Ts::from_micros(*m)?,
                        appid: appid.clone(),
                        outcome: (*outcome).to_owned(),
                        count: n.count,
                    })
                })
                .collect();
            let mut addresses = Vec::new();
            let mut closed = Vec::new();
            for (m, ma) in &c.addresses {
                let Some(minute) = Ts::from_micros(*m) else {
                    continue;
                };
                let mut top: Vec<(&String, &Counter)> = ma.counts.iter().collect();
                top.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
                top.truncate(ADDRESSES_PER_MINUTE as usize);
                addresses.extend(top.into_iter().filter(|(_, n)| n.count != n.written).map(
                    |(a, n)| AddressCount {
                        minute,
                        address: a.clone(),
                        count: n.count,
                    },
                ));
                // A minute is closed one minute after it ended: its final top list is written
                // now and the rest of its rows dropped.
                if *m < current - 60_000_000 {
                    closed.push(minute);
                }
            }
            (outcomes, addresses, closed)
        };
        let outcome_upserts = store
            .write_login_stats(instance_id, &outcomes, &addresses, &closed)
            .await?;
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        for o in &outcomes {
            let k = (o.minute.micros(), o.appid.clone(), label_of(&o.outcome));
            if let Some(n) = c.outcomes.get_mut(&k) {
                n.written = o.count;
            }
        }
        for a in &addresses {
            if let Some(n) = c
                .addresses
                .get_mut(&a.minute.micros())
                .and_then(|m| m.counts.get_mut(&a.address))
            {
                n.written = a.count;
            }
        }
        for m in &closed {
            c.addresses.remove(&m.micros());
        }
        let keep_from = current - KEEP_MINUTES * 60_000_000;
        c.outcomes
            .retain(|(m, _, _), n| *m >= keep_from || n.count != n.written);
        Ok(Flushed {
            outcome_rows: outcomes.len(),
            address_rows: addresses.len(),
            outcome_upserts,
        })
    }
}

/// The `&'static str` key an outcome label was recorded under.
fn label_of(outcome: &str) -> &'static str {
    crate::store::stats::KNOWN_OUTCOMES
        .iter()
        .find(|k| **k == outcome)
        .copied()
        .unwrap_or(crate::store::stats::OTHER)
}

/// This process, for its heartbeat row.
pub fn this_instance(listen: &str) -> NewInstance {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_owned());
    let host: String = host.chars().take(255).collect();
    NewInstance {
        id: format!("{}-{}", host, hex::encode(rand::random::<[u8; 4]>())),
        host,
        pid: i64::from(std::process::id()),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        listen: listen.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_failures_are_counted_per_64_and_ipv4_per_address() {
        assert_eq!(
            address_key("2001:db8:1:2:aaaa::1".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            address_key("2001:db8:1:2:bbbb::9".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(address_key("203.0.113.9".parse().unwrap()), "203.0.113.9");
        assert_eq!(
            address_key("::ffff:203.0.113.9".parse().unwrap()),
            "203.0.113.9"
        );
    }

    #[test]
    fn every_outcome_label_is_one_a_reader_knows() {
        for r in LoginResult::ALL {
            for code in [
                None,
                Some(-1),
                Some(40029),
                Some(40163),
                Some(45011),
                Some(99),
            ] {
                let l = outcome_label(r, code);
                assert_eq!(crate::store::stats::normalize_outcome(l), l, "{l}");
            }
        }
    }
}
