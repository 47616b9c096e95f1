//! The shape of the synthetic data set: deterministic identities (openid, unionid, home IP)
//! derived from an account number, and a random session generator.
//!
//! Shape (issue 7): about one account per five sessions (200k accounts for 1M sessions), each
//! account bound in one to three mini programs (all in the first, half in the second, a quarter
//! in the third), half of the accounts with a unionid, sessions spread over the last 90 days
//! with recent ones more common, about 10% revoked and 10% expired, a few "heavy" accounts with
//! thousands of sessions, home IPs per account plus a large pool of other IPs, a few hundred
//! distinct user agents. The third mini program takes 12.5% of the sessions, so at 1M sessions
//! it holds about 100k live ones: the bulk-revoke benchmark's target.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

/// The three synthetic mini programs.
pub const APPIDS: [&str; 3] = ["wxsynth000000001", "wxsynth000000002", "wxsynth000000003"];
/// Share of the sessions per mini program (sums to 1).
const APP_WEIGHTS: [f64; 3] = [0.60, 0.275, 0.125];
/// Accounts with thousands of sessions (scaled down for small data sets).
pub const HEAVY_ACCOUNTS: i64 = 5;
const IP_POOL: u64 = 100_000;

/// How big a data set to make.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub sessions: u64,
    pub accounts: i64,
    /// Seed of the session generator: the same seed and sizes give the same identities and
    /// the same distribution (public ids and token hashes stay random).
    pub seed: u64,
    /// A share of sessions that ended long ago (retention's purgeable rows); `None`: the issue 7
    /// shape, in which about a fifth of the sessions ended at some time in the last 90 days.
    pub ended: Option<EndedLongAgo>,
}

/// `--ended-share S --ended-age-days A..B`: a share S of the sessions expired or were revoked
/// between A and B days ago (half each); every other session is live or ended less than
/// [`RECENT_END_DAYS`] days ago. With A above the retention window (30 days by default), a
/// purge removes exactly the share S.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EndedLongAgo {
    pub share: f64,
    pub min_days: u32,
    pub max_days: u32,
}

/// With [`EndedLongAgo`], the other sessions ended less than this many days ago (or are live),
/// so that a purge with the default 30-day window a few hours after the seed removes none.
pub const RECENT_END_DAYS: i64 = 29;

impl EndedLongAgo {
    /// Parses `A..B` (days, A ≤ B, both at least 1).
    pub fn parse_days(text: &str) -> Result<(u32, u32), String> {
        let bad = || format!("{text:?} is not a range of days: write MIN..MAX, for example 31..90");
        let (a, b) = text.split_once("..").ok_or_else(bad)?;
        let a: u32 = a.trim().parse().map_err(|_| bad())?;
        let b: u32 = b.trim().parse().map_err(|_| bad())?;
        if a == 0 || a > b || b > 3650 {
            return Err(format!(
                "{text:?}: the range must satisfy 1 ≤ MIN ≤ MAX ≤ 3650 days"
            ));
        }
        Ok((a, b))
    }

    /// Parses a share between 0 and 1.
    pub fn parse_share(text: &str) -> Result<f64, String> {
        match text.trim().parse::<f64>() {
            Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
            _ => Err(format!(
                "{text:?} is not a share: write a number from 0 to 1, for example 0.6"
            )),
        }
    }
}

impl Shape {
    /// `accounts` defaults to one per five sessions, at least 10.
    pub fn new(sessions: u64, accounts: Option<i64>, seed: u64) -> Self {
        let accounts = accounts
            .unwrap_or((sessions / 5) as i64)
            .max(HEAVY_ACCOUNTS + 5);
        Shape {
            sessions,
            accounts,
            seed,
            ended: None,
        }
    }

    /// The same shape with a share of sessions that ended long ago.
    pub fn with_ended(mut self, ended: Option<EndedLongAgo>) -> Self {
        self.ended = ended;
        self
    }

    /// Sessions given to each heavy account: thousands at full scale.
    pub fn heavy_sessions_each(&self) -> u64 {
        (self.sessions / 250).min(4_000)
    }

    /// Account numbers (0-based) bound in mini program `app` (0, 1 or 2).
    pub fn is_bound(&self, account: i64, app: usize) -> bool {
        account < HEAVY_ACCOUNTS || account % (1 << app) == 0
    }
}

/// splitmix64: a fast, well-mixed function of one integer.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn id_chars(prefix: char, len: usize, seed: u64) -> String {
    let mut s = String::with_capacity(len + 1);
    s.push(prefix);
    let mut state = seed;
    let mut bits = 0u64;
    let mut left = 0;
    for _ in 0..len {
        if left < 6 {
            state = mix(state);
            bits = state;
            left = 64;
        }
        s.push(ALPHABET[(bits & 63) as usize] as char);
        bits >>= 6;
        left -= 6;
    }
    s
}

/// The openid of synthetic account `account` in mini program `app`: 28 characters, like
/// WeChat's.
pub fn openid(app: usize, account: i64) -> String {
    id_chars('o', 27, ((app as u64) << 48) ^ (account as u64) ^ 0x5EED)
}

/// The unionid of an account, for the half of them that have one (the same in every app).
pub fn unionid(account: i64) -> Option<String> {
    (mix(account as u64 ^ 0xA11CE) & 1 == 0).then(|| id_chars('u', 27, account as u64 ^ 0xB0B))
}

pub fn username(account: i64) -> String {
    format!("synth{account:07}")
}

/// Disabled accounts: one in 500.
pub fn is_disabled(account: i64) -> bool {
    account >= HEAVY_ACCOUNTS && mix(account as u64 ^ 0xD15).is_multiple_of(500)
}

fn ip(n: u64) -> String {
    // First octets of large consumer ISP blocks; the rest from the mixer.
    const FIRST: [u8; 16] = [
        36, 39, 42, 58, 59, 60, 61, 101, 106, 112, 113, 114, 117, 120, 183, 223,
    ];
    let m = mix(n ^ 0x1B);
    format!(
        "{}.{}.{}.{}",
        FIRST[(m & 15) as usize],
        (m >> 8) as u8,
        (m >> 16) as u8,
        ((m >> 24) as u8).max(1)
    )
}

/// The IP an account usually logs in from.
pub fn home_ip(account: i64) -> String {
    ip(IP_POOL + account as u64)
}

/// A few hundred distinct WeChat user agents.
pub fn user_agents() -> Vec<String> {
    let wechat = [
        "8.0.44(0x18002c2c)",
        "8.0.47(0x18002f2c)",
        "8.0.49(0x18003137)",
        "8.0.50(0x1800323a)",
        "8.0.53(0x18003531)",
    ];
    let net = ["WIFI", "4G", "5G"];
    let mut out = Vec::new();
    for ios in ["16_6", "17_2", "17_4", "17_6", "18_0", "18_1"] {
        for w in wechat {
            for n in net {
                out.push(format!(
                    "Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) AppleWebKit/605.1.15 \
                     (KHTML, like Gecko) Mobile/15E148 MicroMessenger/{w} NetType/{n} Language/zh_CN"
                ));
            }
        }
    }
    for (android, model) in [
        ("12", "M2012K11AC"),
        ("13", "V2227A"),
        ("13", "PGT-AN10"),
        ("14", "23127PN0CC"),
        ("14", "PJZ110"),
        ("14", "ALN-AL00"),
        ("15", "V2366GA"),
    ] {
        for w in wechat {
            for n in net {
                out.push(format!(
                    "Mozilla/5.0 (Linux; Android {android}; {model} Build/TKQ1.221114.001; wv) \
                     AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile \
                     Safari/537.36 XWEB/1160117 MMWEBSDK/20240301 MMWEBID/{} MicroMessenger/{w} \
                     WeChat/arm64 Weixin NetType/{n} Language/zh_CN ABI/arm64 MiniProgramEnv/android",
                    mix(out.len() as u64) % 10_000
                ));
            }
        }
    }
    out
}

/// One synthetic session (everything the `sessions` table needs except the envelope, which the
/// writer makes from `session_key` and `public_id`).
#[derive(Debug, Clone)]
pub struct SessionSeed {
    pub public_id: String,
    pub token_hash: [u8; 32],
    pub account: i64,
    pub app: usize,
    pub session_key: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub absolute_expires_at: DateTime<Utc>,
    pub revoked: Option<(DateTime<Utc>, &'static str, &'static str)>,
    pub client_ip: String,
    pub user_agent_idx: usize,
}

/// Draws sessions one by one. Not `Clone`: each generator owns its RNG stream.
pub struct SessionGen {
    shape: Shape,
    rng: StdRng,
    now: DateTime<Utc>,
    pub user_agents: Vec<String>,
    heavy_left: u64,
}

const TTL_DAYS: i64 = 30;
const IDLE_DAYS: i64 = 7;

impl SessionGen {
    /// `part` selects an independent stream, so several threads can generate in parallel.
    pub fn new(shape: Shape, now: DateTime<Utc>, part: u64, sessions_in_part: u64) -> Self {
        let heavy_total = shape.heavy_sessions_each() * HEAVY_ACCOUNTS as u64;
        // The heavy sessions are spread over the parts like the rest.
        let heavy_left = heavy_total * sessions_in_part / shape.sessions.max(1);
        SessionGen {
            shape,
            rng: StdRng::seed_from_u64(mix(shape.seed ^ mix(part))),
            now,
            user_agents: user_agents(),
            heavy_left,
        }
    }

    fn secs(&mut self, max_secs: i64) -> Duration {
        Duration::seconds(self.rng.gen_range(0..max_secs.max(1)))
            + Duration::microseconds(self.rng.gen_range(0..1_000_000))
    }

    pub fn next_session(&mut self) -> SessionSeed {
        let Some(ended) = self.shape.ended else {
            return self.draw();
        };
        if self.rng.r#gen::<f64>() < ended.share {
            return self.ended_long_ago(ended);
        }
        // Everything else is live or ended recently: draws that ended earlier are drawn again.
        let recent = self.now - Duration::days(RECENT_END_DAYS);
        loop {
            let s = self.draw();
            if s.revoked.is_none_or(|r| r.0 >= recent) && s.expires_at >= recent {
                return s;
            }
        }
    }

    /// A session that expired or was revoked (half each) between `min_days` and `max_days` ago.
    fn ended_long_ago(&mut self, e: EndedLongAgo) -> SessionSeed {
        let day = 86_400;
        let (account, app) = self.account_and_app();
        let span = i64::from(e.max_days - e.min_days) * day;
        let ended = self.now - Duration::days(i64::from(e.min_days)) - self.secs(span);
        if self.rng.gen_range(0..2) == 0 {
            // Revoked at `ended`, unexpired then: used within the idle timeout before it.
            let lived = self.secs((TTL_DAYS * day) - 120) + Duration::seconds(60);
            let created = ended - lived;
            let idle = lived.min(Duration::days(IDLE_DAYS) - Duration::minutes(1));
            let last_seen = ended - self.secs(idle.num_seconds());
            let who = if self.rng.gen_range(0..10) < 7 {
                ("self", "logout")
            } else {
                ("ops-alice", "device lost")
            };
            self.finish(
                account,
                app,
                created,
                last_seen,
                Some((ended, who.0, who.1)),
            )
        } else {
            // Expired at `ended`: last used exactly the idle timeout before it.
            let last_seen = ended - Duration::days(IDLE_DAYS);
            let created = last_seen - self.secs((TTL_DAYS - IDLE_DAYS) * day);
            self.finish(account, app, created, last_seen, None)
        }
    }

    fn account_and_app(&mut self) -> (i64, usize) {
        if self.heavy_left > 0 {
            self.heavy_left -= 1;
            // Heavy accounts log in through the first two mini programs.
            (
                self.rng.gen_range(0..HEAVY_ACCOUNTS),
                self.rng.gen_range(0..2usize),
            )
        } else {
            let r: f64 = self.rng.r#gen();
            let app = if r < APP_WEIGHTS[0] {
                0
            } else if r < APP_WEIGHTS[0] + APP_WEIGHTS[1] {
                1
            } else {
                2
            };
            // Accounts bound in app k are the multiples of 2^k (plus the heavy ones).
            let step = 1i64 << app;
            let slots = (self.shape.accounts + step - 1) / step;
            (self.rng.gen_range(0..slots) * step, app)
        }
    }

    /// One session of the issue 7 shape.
    fn draw(&mut self) -> SessionSeed {
        let day = 86_400;
        let (account, app) = self.account_and_app();
        let now = self.now;
        let u: f64 = self.rng.r#gen();
        let state: f64 = self.rng.r#gen();
        let (created, last_seen, revoked) = if state < 0.10 {
            // Revoked: any age up to 90 days; revoked some time after its last use.
            let age = Duration::seconds((90.0 * day as f64 * u * u) as i64) + self.secs(60);
            let created = now - age;
            let used = Duration::seconds(
                (age.num_seconds() as f64 * 0.5 * self.rng.r#gen::<f64>()) as i64,
            );
            let last_seen = created + used;
            let revoked_at = last_seen
                + Duration::seconds(
                    ((now - last_seen).num_seconds() as f64 * self.rng.r#gen::<f64>()) as i64,
                );
            let who = match self.rng.gen_range(0..10) {
                0..=6 => ("self", "logout"),
                7 => ("ops-alice", "suspicious login reported by the user"),
                8 => ("ops-bob", "device lost"),
                _ => ("ops-carol", "account disabled"),
            };
            (created, last_seen, Some((revoked_at, who.0, who.1)))
        } else if state < 0.20 {
            // Expired: idle for more than 7 days (or past the 30-day limit).
            let age = Duration::days(8) + self.secs(82 * day);
            let created = now - age;
            let room = (age - Duration::days(IDLE_DAYS) - Duration::minutes(1))
                .num_seconds()
                .min(3 * day);
            let last_seen = created + self.secs(room);
            (created, last_seen, None)
        } else {
            // Live: created within the absolute lifetime, used within the idle timeout.
            let age =
                Duration::seconds(((TTL_DAYS * day - 120) as f64 * u * u) as i64) + self.secs(60);
            let created = now - age;
            let since_use = self.secs(age.num_seconds().min(IDLE_DAYS * day - 120));
            (created, now - since_use, None)
        };
        self.finish(account, app, created, last_seen, revoked)
    }

    fn finish(
        &mut self,
        account: i64,
        app: usize,
        created: DateTime<Utc>,
        last_seen: DateTime<Utc>,
        revoked: Option<(DateTime<Utc>, &'static str, &'static str)>,
    ) -> SessionSeed {
        let absolute = created + Duration::days(TTL_DAYS);
        let expires = absolute.min(last_seen + Duration::days(IDLE_DAYS));
        let client_ip = if self.rng.gen_range(0..10) < 7 {
            home_ip(account)
        } else {
            ip(self.rng.gen_range(0..IP_POOL))
        };
        let mut pid = [0u8; 10];
        self.rng.fill_bytes(&mut pid);
        let mut token_hash = [0u8; 32];
        self.rng.fill_bytes(&mut token_hash);
        let mut sk = [0u8; 16];
        self.rng.fill_bytes(&mut sk);
        SessionSeed {
            public_id: format!("ses_{}", hex::encode(pid)),
            token_hash,
            account,
            app,
            session_key: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, sk),
            created_at: created,
            last_seen_at: last_seen,
            expires_at: expires,
            absolute_expires_at: absolute,
            revoked,
            client_ip,
            user_agent_idx: self.rng.gen_range(0..self.user_agents.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_deterministic_and_shaped_like_wechat_ones() {
        assert_eq!(openid(0, 42), openid(0, 42));
        assert_ne!(openid(0, 42), openid(1, 42));
        assert_eq!(openid(2, 7).len(), 28);
        let with_union = (0..1000).filter(|a| unionid(*a).is_some()).count();
        assert!((400..600).contains(&with_union), "{with_union}");
    }

    #[test]
    fn about_a_fifth_of_sessions_are_not_live_and_states_are_consistent() {
        let shape = Shape::new(20_000, None, 1);
        let now = Utc::now();
        let mut g = SessionGen::new(shape, now, 0, shape.sessions);
        let mut inactive = 0;
        for _ in 0..shape.sessions {
            let s = g.next_session();
            assert!(s.created_at <= now && s.last_seen_at <= now);
            assert!(s.created_at <= s.last_seen_at);
            assert!(s.expires_at <= s.absolute_expires_at);
            assert!(shape.is_bound(s.account, s.app));
            if s.revoked.is_some() || s.expires_at <= now {
                inactive += 1;
            }
        }
        let share = inactive as f64 / shape.sessions as f64;
        assert!((0.17..0.23).contains(&share), "{share}");
    }

    #[test]
    fn ended_share_is_exactly_the_sessions_that_ended_in_the_age_range() {
        let ended = EndedLongAgo {
            share: 0.6,
            min_days: 31,
            max_days: 90,
        };
        let shape = Shape::new(20_000, None, 3).with_ended(Some(ended));
        let now = Utc::now();
        let mut g = SessionGen::new(shape, now, 0, shape.sessions);
        let (oldest, newest) = (now - Duration::days(90), now - Duration::days(31));
        let recent = now - Duration::days(RECENT_END_DAYS);
        let mut long_ago = 0;
        for _ in 0..shape.sessions {
            let s = g.next_session();
            assert!(s.created_at <= s.last_seen_at && s.expires_at <= s.absolute_expires_at);
            assert!(shape.is_bound(s.account, s.app));
            let end = match s.revoked {
                Some((at, _, _)) => at.min(s.expires_at),
                None => s.expires_at,
            };
            if end < recent {
                assert!(end >= oldest && end <= newest, "ended at {end}");
                long_ago += 1;
            }
        }
        let share = long_ago as f64 / shape.sessions as f64;
        assert!((0.58..0.62).contains(&share), "{share}");
    }

    #[test]
    fn ended_options_refuse_what_they_cannot_read() {
        assert_eq!(EndedLongAgo::parse_days("31..90"), Ok((31, 90)));
        assert!(EndedLongAgo::parse_days("90..31").is_err());
        assert!(EndedLongAgo::parse_days("31").is_err());
        assert!(EndedLongAgo::parse_share("1.5").is_err());
        assert_eq!(EndedLongAgo::parse_share("0.6"), Ok(0.6));
    }
}
