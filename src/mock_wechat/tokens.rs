//! The emulator's access tokens and session_keys, with WeChat's rules:
//!
//! - `GET /cgi-bin/token`: a new token on every call; the previous one keeps working for
//!   5 minutes, then answers 40001. About 2,000 calls a day per app, then 45009.
//! - `POST /cgi-bin/stable_token`: the same token to every caller until it expires (a new one
//!   once less than 5 minutes are left, so `expires_in` is never below 300); independent of
//!   `/cgi-bin/token`. `force_refresh: true` issues a new one and kills the previous one at
//!   once, at most 20 times in 24 hours and 30 seconds apart (45009 beyond either).
//! - Tokens expire 7200 s after issue (42001); unknown tokens are 40001, missing ones 41001.
//! - One valid session_key per (appid, openid): a newer code2Session replaces it;
//!   checksession with the current key's signature answers 0, with any other 87009, with a
//!   sig_method other than `hmac_sha256` 87008; resetusersessionkey issues a new key and the
//!   old one stops working.
//!
//! All times are the emulator's [`super::Clock`], so a drill can advance past an expiry.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use rand::Rng;
use rand::distributions::Alphanumeric;

use crate::secret::Secret;

/// An access token lives this long after issue.
pub const TOKEN_TTL: Duration = Duration::from_secs(7200);
/// After `/cgi-bin/token` issues a new token, the previous one works this much longer.
pub const TOKEN_OVERLAP: Duration = Duration::from_secs(300);
/// `/cgi-bin/token` calls per app per day before 45009.
pub const TOKEN_CALLS_PER_DAY: u32 = 2000;
/// Forced stable_token refreshes per app in 24 hours, and their minimum spacing.
pub const FORCE_PER_DAY: usize = 20;
pub const FORCE_MIN_GAP: Duration = Duration::from_secs(30);
const DAY: Duration = Duration::from_secs(86_400);

struct TokenEntry {
    appid: String,
    expires: Duration,
    /// Superseded: works until this moment (earlier than `expires`), then 40001.
    dies: Option<Duration>,
}

#[derive(Default)]
struct AppTokens {
    latest_plain: Option<String>,
    stable: Option<String>,
    /// (day number, calls) for `/cgi-bin/token`.
    plain_calls: (u64, u32),
    /// When forced refreshes were granted, within the last 24 hours.
    forced: VecDeque<Duration>,
    stable_calls: u64,
    forced_total: u64,
}

/// Tokens and session_keys, kept inside the emulator's one mutex.
#[derive(Default)]
pub(crate) struct Tokens {
    tokens: HashMap<String, TokenEntry>,
    apps: HashMap<String, AppTokens>,
    /// (appid, openid) → the one session_key WeChat considers valid.
    session_keys: HashMap<(String, String), Secret>,
}

/// A token answer: the token and its remaining life.
pub(crate) struct Issued {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
}

/// What a token presented to an API resolves to.
pub(crate) enum TokenCheck {
    /// The token is good, for this appid.
    Valid(String),
    Refused(i64, &'static str),
}

impl Tokens {
    fn new_token(&mut self, appid: &str, now: Duration) -> String {
        let token = loop {
            let t = new_token_text();
            if !self.tokens.contains_key(&t) {
                break t;
            }
        };
        self.tokens.insert(
            token.clone(),
            TokenEntry {
                appid: appid.to_owned(),
                expires: now + TOKEN_TTL,
                dies: None,
            },
        );
        token
    }

    /// `GET /cgi-bin/token` for an app whose credentials were already checked.
    pub(crate) fn issue_plain(&mut self, appid: &str, now: Duration) -> Result<Issued, i64> {
        self.purge(now);
        let day = now.as_secs() / DAY.as_secs();
        let app = self.apps.entry(appid.to_owned()).or_default();
        if app.plain_calls.0 != day {
            app.plain_calls = (day, 0);
        }
        if app.plain_calls.1 >= TOKEN_CALLS_PER_DAY {
            return Err(45009);
        }
        app.plain_calls.1 += 1;
        let previous = app.latest_plain.take();
        let token = self.new_token(appid, now);
        if let Some(prev) = previous
            && let Some(e) = self.tokens.get_mut(&prev)
        {
            e.dies = Some((now + TOKEN_OVERLAP).min(e.expires));
        }
        if let Some(app) = self.apps.get_mut(appid) {
            app.latest_plain = Some(token.clone());
        }
        Ok(Issued {
            access_token: token,
            expires_in: TOKEN_TTL.as_secs(),
        })
    }

    /// `POST /cgi-bin/stable_token` for an app whose credentials were already checked.
    /// `Err` is (errcode, errmsg).
    pub(crate) fn issue_stable(
        &mut self,
        appid: &str,
        force_refresh: bool,
        now: Duration,
    ) -> Result<Issued, (i64, &'static str)> {
        self.purge(now);
        let app = self.apps.entry(appid.to_owned()).or_default();
        app.stable_calls += 1;
        if force_refresh {
            while app
                .forced
                .front()
                .is_some_and(|t| now.saturating_sub(*t) >= DAY)
            {
                app.forced.pop_front();
            }
            if app.forced.len() >= FORCE_PER_DAY {
                return Err((45009, "reach max api daily quota limit"));
            }
            if app
                .forced
                .back()
                .is_some_and(|t| now.saturating_sub(*t) < FORCE_MIN_GAP)
            {
                return Err((45009, "force_refresh is allowed once every 30 seconds"));
            }
            app.forced.push_back(now);
            app.forced_total += 1;
        }
        let current = app.stable.clone().and_then(|t| {
            let e = self.tokens.get(&t)?;
            (e.dies.is_none() && now + TOKEN_OVERLAP < e.expires).then_some((t, e.expires))
        });
        if let (false, Some((token, expires))) = (force_refresh, &current) {
            return Ok(Issued {
                access_token: token.clone(),
                expires_in: (expires.saturating_sub(now)).as_secs(),
            });
        }
        let previous = self.apps.get(appid).and_then(|a| a.stable.clone());
        let token = self.new_token(appid, now);
        if force_refresh
            && let Some(prev) = previous
            && let Some(e) = self.tokens.get_mut(&prev)
        {
            // A forced refresh kills the previous stable token at once.
            e.dies = Some(now);
        }
        if let Some(app) = self.apps.get_mut(appid) {
            app.stable = Some(token.clone());
        }
        Ok(Issued {
            access_token: token,
            expires_in: TOKEN_TTL.as_secs(),
        })
    }

    /// What an API call's `access_token` parameter is worth.
    pub(crate) fn check_token(&self, token: Option<&str>, now: Duration) -> TokenCheck {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return TokenCheck::Refused(41001, "access_token missing");
        };
        let Some(e) = self.tokens.get(token) else {
            return TokenCheck::Refused(
                40001,
                "invalid credential, access_token is invalid or not latest",
            );
        };
        if now >= e.expires {
            return TokenCheck::Refused(42001, "access_token expired");
        }
        if e.dies.is_some_and(|d| now >= d) {
            return TokenCheck::Refused(
                40001,
                "invalid credential, access_token is invalid or not latest",
            );
        }
        TokenCheck::Valid(e.appid.clone())
    }

    /// A successful code2Session: this key is now the user's only valid one.
    pub(crate) fn set_session_key(&mut self, appid: &str, openid: &str, key: &str) {
        self.session_keys
            .insert((appid.to_owned(), openid.to_owned()), Secret::new(key));
    }

    /// Whether `signature` signs the empty string with the user's current key.
    /// `Err` is (errcode, errmsg).
    pub(crate) fn check_signature(
        &self,
        appid: &str,
        openid: &str,
        signature: &str,
    ) -> Result<(), (i64, &'static str)> {
        let Some(current) = self
            .session_keys
            .get(&(appid.to_owned(), openid.to_owned()))
        else {
            return Err((40003, "invalid openid"));
        };
        let expected = crate::wechat::signature(current, b"");
        if super::state::constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
            Ok(())
        } else {
            Err((87009, "invalid signature"))
        }
    }

    /// After [`Tokens::check_signature`] passed: a new key replaces the old one.
    pub(crate) fn reset_session_key(&mut self, appid: &str, openid: &str) -> String {
        let key = super::state::new_session_key();
        self.set_session_key(appid, openid, &key);
        key
    }

    /// (stable_token calls, forced refreshes granted) for `appid` since start.
    pub(crate) fn stable_counts(&self, appid: &str) -> (u64, u64) {
        self.apps
            .get(appid)
            .map(|a| (a.stable_calls, a.forced_total))
            .unwrap_or_default()
    }

    pub(crate) fn live_tokens(&self) -> usize {
        self.tokens.len()
    }

    pub(crate) fn session_key_count(&self) -> usize {
        self.session_keys.len()
    }

    /// Drops tokens that expired or died (they then answer 40001, as unknown ones do, which is
    /// what WeChat answers for long-dead tokens too); keeps memory bounded.
    fn purge(&mut self, now: Duration) {
        if self.tokens.len() < 1024 {
            return;
        }
        self.tokens.retain(|_, e| {
            now < e.expires + TOKEN_TTL && e.dies.is_none_or(|d| now < d + TOKEN_TTL)
        });
    }
}

/// 136 characters from [0-9A-Za-z_-], shaped like WeChat's tokens.
fn new_token_text() -> String {
    let mut rng = rand::thread_rng();
    let mut s: String = (&mut rng)
        .sample_iter(&Alphanumeric)
        .take(136)
        .map(char::from)
        .collect();
    // WeChat's tokens start with a digit and an underscore block, e.g. "86_…".
    s.replace_range(0..3, "86_");
    s
}
