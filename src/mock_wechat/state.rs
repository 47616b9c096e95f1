//! The emulator's memory and rules, without HTTP: minted codes, per-user minute counters,
//! high-risk users and faults, behind one mutex (never held across an await), so two
//! exchanges of one code at the same moment cannot both succeed.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use rand::Rng;
use rand::distributions::Alphanumeric;
use sha2::{Digest, Sha256};

use super::tokens::{Issued, TokenCheck, Tokens};
use super::{Clock, EmulatorConfig, Faults};

/// A code is valid this long after `wx.login()`, as on WeChat.
pub const CODE_TTL: Duration = Duration::from_secs(5 * 60);
/// Codes alive at once; beyond this, minting is refused (bounded memory under a flood).
pub const MAX_LIVE_CODES: usize = 200_000;
/// Expired codes and old minute counters are swept at most this often.
const PURGE_EVERY: Duration = Duration::from_secs(10);

struct CodeEntry {
    appid: String,
    user: String,
    minted: Duration,
    used: bool,
}

struct State {
    codes: HashMap<String, CodeEntry>,
    /// (appid, user) → (minute number, calls in that minute).
    calls: HashMap<(String, String), (u64, u32)>,
    high_risk: HashSet<String>,
    faults: Faults,
    last_purge: Duration,
    tokens: Tokens,
}

pub(crate) struct Emulator {
    apps: HashMap<String, String>,
    unionid_apps: HashSet<String>,
    rate_limit_per_minute: u32,
    pub(crate) clock: Clock,
    admin_token: Option<crate::secret::Secret>,
    state: Mutex<State>,
}

/// The answer to one `jscode2session` request, before faults.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Exchange {
    Success {
        openid: String,
        session_key: String,
        unionid: Option<String>,
        user: String,
    },
    Error {
        errcode: i64,
        errmsg: &'static str,
        /// Known when the code resolved to a user (for the log line).
        user: Option<String>,
    },
}

impl Exchange {
    fn error(errcode: i64, errmsg: &'static str) -> Self {
        Exchange::Error {
            errcode,
            errmsg,
            user: None,
        }
    }
}

/// A checksession (`Ok(None)`) or resetusersessionkey (`Ok(Some(new_key))`) answer, or
/// (errcode, errmsg).
pub(crate) type KeyCallResult = Result<Option<String>, (i64, &'static str)>;

/// What `/mock/wx.login` can refuse.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum MintError {
    UnknownApp,
    EmptyUser,
    TooManyCodes,
}

/// The fault that applies to one request, decided under the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultAction {
    None,
    Busy,
    Http502,
    NotJson,
}

impl Emulator {
    pub(crate) fn new(cfg: &EmulatorConfig) -> Self {
        Emulator {
            apps: cfg
                .apps
                .iter()
                .map(|a| (a.appid.clone(), a.secret.expose().to_owned()))
                .collect(),
            unionid_apps: cfg.unionid_apps.iter().cloned().collect(),
            rate_limit_per_minute: cfg.rate_limit_per_minute,
            clock: cfg.clock.clone(),
            admin_token: cfg.admin_token.clone(),
            state: Mutex::new(State {
                codes: HashMap::new(),
                calls: HashMap::new(),
                high_risk: cfg.high_risk_users.iter().cloned().collect(),
                faults: cfg.faults.clone(),
                last_purge: Duration::ZERO,
                tokens: Tokens::default(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent maps; keep serving.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn appids(&self) -> Vec<String> {
        let mut v: Vec<String> = self.apps.keys().cloned().collect();
        v.sort();
        v
    }

    pub(crate) fn unionid_appids(&self) -> Vec<String> {
        let mut v: Vec<String> = self.unionid_apps.iter().cloned().collect();
        v.sort();
        v
    }

    /// The token the admin endpoints require, when one was configured.
    pub(crate) fn admin_token(&self) -> Option<&str> {
        self.admin_token.as_ref().map(|t| t.expose())
    }

    pub(crate) fn rate_limit_per_minute(&self) -> u32 {
        self.rate_limit_per_minute
    }

    /// What `wx.login()` gives `user` in mini program `appid`: a fresh single-use code.
    pub(crate) fn mint(&self, appid: &str, user: &str) -> Result<String, MintError> {
        if !self.apps.contains_key(appid) {
            return Err(MintError::UnknownApp);
        }
        if user.trim().is_empty() {
            return Err(MintError::EmptyUser);
        }
        let now = self.clock.now();
        let mut st = self.lock();
        purge(&mut st, now, false);
        if st.codes.len() >= MAX_LIVE_CODES {
            purge(&mut st, now, true);
            if st.codes.len() >= MAX_LIVE_CODES {
                return Err(MintError::TooManyCodes);
            }
        }
        let code = loop {
            let c = new_code();
            if !st.codes.contains_key(&c) {
                break c;
            }
        };
        st.codes.insert(
            code.clone(),
            CodeEntry {
                appid: appid.to_owned(),
                user: user.to_owned(),
                minted: now,
                used: false,
            },
        );
        Ok(code)
    }

    /// Which fault (if any) answers this request; consumes one `busy_next`.
    pub(crate) fn fault_for_request(&self) -> (Duration, FaultAction) {
        let mut st = self.lock();
        let f = &mut st.faults;
        let latency = Duration::from_millis(f.latency_ms);
        let action = if f.http_502 {
            FaultAction::Http502
        } else if f.non_json {
            FaultAction::NotJson
        } else if f.busy_next > 0 {
            f.busy_next -= 1;
            FaultAction::Busy
        } else if f.busy_rate > 0.0 && rand::thread_rng().gen_bool(f.busy_rate.clamp(0.0, 1.0)) {
            FaultAction::Busy
        } else {
            FaultAction::None
        };
        (latency, action)
    }

    /// `GET /sns/jscode2session` with the query's parameters (`None` or empty = missing).
    pub(crate) fn exchange(
        &self,
        appid: Option<&str>,
        secret: Option<&str>,
        code: Option<&str>,
        grant_type: Option<&str>,
    ) -> Exchange {
        fn present(v: Option<&str>) -> Option<&str> {
            v.filter(|s| !s.is_empty())
        }
        let Some(appid) = present(appid) else {
            return Exchange::error(41002, "appid missing");
        };
        let Some(secret) = present(secret) else {
            return Exchange::error(41004, "appsecret missing");
        };
        let Some(code) = present(code) else {
            return Exchange::error(41008, "missing code");
        };
        if grant_type != Some("authorization_code") {
            return Exchange::error(40002, "invalid grant_type");
        }
        let Some(expected_secret) = self.apps.get(appid) else {
            return Exchange::error(40013, "invalid appid");
        };
        if !constant_time_eq(expected_secret.as_bytes(), secret.as_bytes()) {
            return Exchange::error(40125, "invalid appsecret");
        }

        let now = self.clock.now();
        let mut st = self.lock();
        purge(&mut st, now, false);
        let Some(entry) = st.codes.get(code) else {
            return Exchange::error(40029, "invalid code");
        };
        if entry.appid != appid || now >= entry.minted + CODE_TTL {
            return Exchange::error(40029, "invalid code");
        }
        let user = entry.user.clone();
        let used = entry.used;

        if self.rate_limit_per_minute > 0 {
            let minute = now.as_secs() / 60;
            let slot = st
                .calls
                .entry((appid.to_owned(), user.clone()))
                .or_insert((minute, 0));
            if slot.0 != minute {
                *slot = (minute, 0);
            }
            slot.1 = slot.1.saturating_add(1);
            if slot.1 > self.rate_limit_per_minute {
                return Exchange::Error {
                    errcode: 45011,
                    errmsg: "api minute-quota reach limit  mustslower  retry next minute",
                    user: Some(user),
                };
            }
        }
        if used {
            return Exchange::Error {
                errcode: 40163,
                errmsg: "code been used",
                user: Some(user),
            };
        }
        if let Some(e) = st.codes.get_mut(code) {
            e.used = true;
        }
        if st.high_risk.contains(&user) {
            return Exchange::Error {
                errcode: 40226,
                errmsg: "high risk user",
                user: Some(user),
            };
        }
        let openid = openid(appid, &user);
        let session_key = new_session_key();
        // WeChat keeps one valid session_key per user: this login replaces the previous one.
        st.tokens.set_session_key(appid, &openid, &session_key);
        drop(st);
        Exchange::Success {
            openid,
            session_key,
            unionid: self.unionid_apps.contains(appid).then(|| unionid(&user)),
            user,
        }
    }

    /// Checks an app's credentials as the token endpoints do. `Err` is (errcode, errmsg).
    fn check_credentials(
        &self,
        appid: Option<&str>,
        secret: Option<&str>,
        grant_type: Option<&str>,
    ) -> Result<String, (i64, &'static str)> {
        let appid = appid
            .filter(|s| !s.is_empty())
            .ok_or((41002, "appid missing"))?;
        let secret = secret
            .filter(|s| !s.is_empty())
            .ok_or((41004, "appsecret missing"))?;
        if grant_type != Some("client_credential") {
            return Err((40002, "invalid grant_type"));
        }
        let expected = self.apps.get(appid).ok_or((40013, "invalid appid"))?;
        if !constant_time_eq(expected.as_bytes(), secret.as_bytes()) {
            return Err((40125, "invalid appsecret"));
        }
        Ok(appid.to_owned())
    }

    /// `GET /cgi-bin/token`.
    pub(crate) fn token(
        &self,
        appid: Option<&str>,
        secret: Option<&str>,
        grant_type: Option<&str>,
    ) -> Result<Issued, (i64, &'static str)> {
        let appid = self.check_credentials(appid, secret, grant_type)?;
        let now = self.clock.now();
        self.lock()
            .tokens
            .issue_plain(&appid, now)
            .map_err(|code| (code, "reach max api daily quota limit"))
    }

    /// `POST /cgi-bin/stable_token`.
    pub(crate) fn stable_token(
        &self,
        appid: Option<&str>,
        secret: Option<&str>,
        grant_type: Option<&str>,
        force_refresh: bool,
    ) -> Result<Issued, (i64, &'static str)> {
        let appid = self.check_credentials(appid, secret, grant_type)?;
        let now = self.clock.now();
        self.lock().tokens.issue_stable(&appid, force_refresh, now)
    }

    /// `GET /wxa/checksession` (`reset = false`) or `/wxa/resetusersessionkey` (`true`):
    /// `Ok(None)` valid, `Ok(Some(new_key))` reset, `Err` (errcode, errmsg). Also returns the
    /// appid the token belongs to, for the log line.
    pub(crate) fn session_key_call(
        &self,
        access_token: Option<&str>,
        openid: Option<&str>,
        signature: Option<&str>,
        sig_method: Option<&str>,
        reset: bool,
    ) -> (Option<String>, KeyCallResult) {
        let now = self.clock.now();
        let mut st = self.lock();
        let appid = match st.tokens.check_token(access_token, now) {
            TokenCheck::Valid(appid) => appid,
            TokenCheck::Refused(code, msg) => return (None, Err((code, msg))),
        };
        let result = (|| {
            if sig_method != Some(crate::wechat::SIG_METHOD) {
                return Err((87008, "invalid sig_method"));
            }
            let openid = openid
                .filter(|s| !s.is_empty())
                .ok_or((40003, "invalid openid"))?;
            let signature = signature
                .filter(|s| !s.is_empty())
                .ok_or((87009, "invalid signature"))?;
            st.tokens.check_signature(&appid, openid, signature)?;
            Ok(reset.then(|| st.tokens.reset_session_key(&appid, openid)))
        })();
        (Some(appid), result)
    }

    /// (stable_token calls, forced refreshes granted) for `appid` since start.
    pub(crate) fn stable_counts(&self, appid: &str) -> (u64, u64) {
        self.lock().tokens.stable_counts(appid)
    }

    pub(crate) fn token_summary(&self) -> (usize, usize) {
        let st = self.lock();
        (st.tokens.live_tokens(), st.tokens.session_key_count())
    }

    pub(crate) fn faults(&self) -> Faults {
        self.lock().faults.clone()
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    pub(crate) fn update_faults(&self, f: impl FnOnce(&mut Faults)) -> Faults {
        let mut st = self.lock();
        f(&mut st.faults);
        st.faults.clone()
    }

    pub(crate) fn set_high_risk(&self, user: &str, high_risk: bool) -> Vec<String> {
        let mut st = self.lock();
        if high_risk {
            st.high_risk.insert(user.to_owned());
        } else {
            st.high_risk.remove(user);
        }
        sorted(&st.high_risk)
    }

    pub(crate) fn high_risk_users(&self) -> Vec<String> {
        sorted(&self.lock().high_risk)
    }

    /// Codes held in memory right now (used or not, not yet purged).
    pub(crate) fn live_codes(&self) -> usize {
        let now = self.clock.now();
        let mut st = self.lock();
        purge(&mut st, now, false);
        st.codes.len()
    }
}

fn sorted(set: &HashSet<String>) -> Vec<String> {
    let mut v: Vec<String> = set.iter().cloned().collect();
    v.sort();
    v
}

/// Drops expired codes and past minute counters (at most every [`PURGE_EVERY`] unless forced).
fn purge(st: &mut State, now: Duration, force: bool) {
    if !force && now.saturating_sub(st.last_purge) < PURGE_EVERY && now >= st.last_purge {
        return;
    }
    st.last_purge = now;
    st.codes.retain(|_, e| now < e.minted + CODE_TTL);
    let minute = now.as_secs() / 60;
    st.calls.retain(|_, (m, _)| *m == minute);
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 32 characters from [0-9A-Za-z], like WeChat's codes.
fn new_code() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// 28 characters starting with `o`, stable per (appid, user), different across appids.
pub fn openid(appid: &str, user: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"wxlogin-mock openid\0")
        .chain_update(appid.as_bytes())
        .chain_update(b"\0")
        .chain_update(user.as_bytes())
        .finalize();
    format!("o{}", &b64url(&digest)[..27])
}

/// 29 characters starting with `o`, stable per user across all appids.
pub fn unionid(user: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"wxlogin-mock unionid\0")
        .chain_update(user.as_bytes())
        .finalize();
    format!("o{}", &b64url(&digest)[..28])
}

/// 16 fresh random bytes, base64 (24 characters), like WeChat's session_key.
pub(crate) fn new_session_key() -> String {
    let mut k = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut k);
    base64::engine::general_purpose::STANDARD.encode(k)
}

/// A request id shaped like WeChat's: `6523ab12-1c2d3e4f-5a6b7c8d`.
pub(crate) fn new_rid() -> String {
    let mut rng = rand::thread_rng();
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as u32)
        .unwrap_or_default();
    format!(
        "{secs:08x}-{:08x}-{:08x}",
        rng.r#gen::<u32>(),
        rng.r#gen::<u32>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock_wechat::{DEMO_APPID, DEMO_SECRET};

    fn emu(clock: &Clock) -> Emulator {
        Emulator::new(&EmulatorConfig {
            clock: clock.clone(),
            ..EmulatorConfig::default()
        })
    }

    fn exchange(e: &Emulator, code: &str) -> Exchange {
        e.exchange(
            Some(DEMO_APPID),
            Some(DEMO_SECRET),
            Some(code),
            Some("authorization_code"),
        )
    }

    #[test]
    fn ids_have_wechat_shapes() {
        assert_eq!(openid("a", "u").len(), 28);
        assert!(openid("a", "u").starts_with('o'));
        assert_eq!(unionid("u").len(), 29);
        assert_eq!(new_code().len(), 32);
        assert_eq!(new_session_key().len(), 24);
        assert_eq!(new_rid().len(), 26);
    }

    #[test]
    fn expired_codes_are_purged() {
        let clock = Clock::manual();
        let e = emu(&clock);
        for i in 0..100 {
            e.mint(DEMO_APPID, &format!("u{i}")).unwrap();
        }
        assert_eq!(e.live_codes(), 100);
        clock.advance(CODE_TTL + Duration::from_secs(1));
        assert_eq!(e.live_codes(), 0);
    }

    #[test]
    fn a_code_expires_after_five_minutes() {
        let clock = Clock::manual();
        let e = emu(&clock);
        let early = e.mint(DEMO_APPID, "u").unwrap();
        let late = e.mint(DEMO_APPID, "u").unwrap();
        clock.advance(CODE_TTL - Duration::from_secs(1));
        assert!(matches!(exchange(&e, &early), Exchange::Success { .. }));
        clock.advance(Duration::from_secs(1));
        assert!(matches!(
            exchange(&e, &late),
            Exchange::Error { errcode: 40029, .. }
        ));
    }
}
