//! Access tokens, for the APIs that need one (checkSessionKey, resetUserSessionKey; never
//! code2Session).
//!
//! - Fetched with `POST /cgi-bin/stable_token`, which gives every caller the same token until
//!   it expires, so several processes and instances never invalidate each other's token (as
//!   `GET /cgi-bin/token` does: each call there issues a new one and the previous one dies
//!   five minutes later).
//! - Cached per appid in the process until `expires_in` minus 5 minutes (half its life when
//!   WeChat grants less than 10 minutes). One fetch per appid is in flight at a time:
//!   concurrent callers wait for it and share its result, success or error.
//! - When an API call answers 40001, 42001 or 40014, the token is refreshed once with
//!   `force_refresh: true` and the call repeated once. WeChat allows that at most 20 times a
//!   day, 30 seconds apart; the client counts (per process, over a rolling 24 hours) and
//!   refuses beyond either limit with [`WechatError::ForceRefreshRefused`] instead of burning
//!   the quota. Callers that hit the same rejected token at once share one forced refresh.
//! - The token is a secret: [`AccessToken`] prints `[redacted]`, it is never logged, shown or
//!   stored anywhere but this cache. [`WechatClient::token_states`] tells what an operator may
//!   see: until when it is cached, the last error, the forced refreshes used.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::client::{Scrubber, interpret_object};
use super::{WechatClient, WechatError};
use crate::secret::Secret;

/// Refetch this long before WeChat's `expires_in` runs out.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// WeChat's limits for `force_refresh: true`: at most 20 a day, 30 seconds apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForceRefreshLimits {
    /// Forced refreshes allowed in any 24 hours.
    pub per_day: u32,
    /// Shortest time between two forced refreshes.
    pub min_gap: Duration,
}

impl Default for ForceRefreshLimits {
    fn default() -> Self {
        ForceRefreshLimits {
            per_day: 20,
            min_gap: Duration::from_secs(30),
        }
    }
}

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// An access token. `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(Secret);

impl AccessToken {
    /// The token itself, for the one place it goes: a request to WeChat.
    pub(crate) fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

impl std::fmt::Display for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// What an operator may know about one app's token (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenState {
    pub appid: String,
    /// A token is cached and used until this moment.
    pub cached_until: Option<DateTime<Utc>>,
    /// When the cached token was fetched.
    pub fetched_at: Option<DateTime<Utc>>,
    /// The last failed fetch, one line; cleared by the next successful one.
    pub last_error: Option<String>,
    /// The last failed fetch's errcode (when WeChat answered one), its meaning and what to do,
    /// from the errcode table.
    pub last_errcode: Option<i64>,
    pub last_error_meaning: Option<&'static str>,
    pub last_error_action: Option<&'static str>,
    /// The last failed fetch itself, so that a face can word it in its operator's language
    /// (with or without an errcode); not serialised.
    #[serde(skip)]
    pub last_failure: Option<WechatError>,
    /// Requests to `/cgi-bin/stable_token` this process made for this app.
    pub fetches: u64,
    /// Forced refreshes in the last 24 hours, and the limit.
    pub forced_last_24h: u32,
    pub forced_limit: u32,
}

struct Cached {
    token: AccessToken,
    refresh_at: Instant,
    refresh_at_wall: DateTime<Utc>,
    fetched_at_wall: DateTime<Utc>,
}

#[derive(Default)]
struct SlotState {
    token: Option<Cached>,
    last_error: Option<String>,
    last_failure: Option<WechatError>,
    fetches: u64,
    /// When forced refreshes were sent, oldest first, within the last 24 hours.
    forced: VecDeque<Instant>,
}

impl SlotState {
    /// Remembers a failed fetch: its one line and its errcode, meaning and what to do.
    fn note_error(&mut self, err: &WechatError) {
        self.last_error = Some(err.to_string());
        self.last_failure = Some(err.clone());
    }
}

#[derive(Default)]
struct Slot {
    /// Held while a fetch is in flight: the single flight.
    fetch: tokio::sync::Mutex<()>,
    state: Mutex<SlotState>,
}

impl Slot {
    fn state(&self) -> std::sync::MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fresh(&self, now: Instant) -> Option<AccessToken> {
        let st = self.state();
        st.token
            .as_ref()
            .filter(|c| now < c.refresh_at)
            .map(|c| c.token.clone())
    }
}

/// Per-appid token slots, fixed when the client is built (one per configured app).
pub(crate) struct TokenCache {
    slots: HashMap<String, Arc<Slot>>,
    limits: Mutex<ForceRefreshLimits>,
}

impl TokenCache {
    pub(crate) fn new(appids: impl Iterator<Item = String>) -> Self {
        TokenCache {
            slots: appids.map(|a| (a, Arc::default())).collect(),
            limits: Mutex::new(ForceRefreshLimits::default()),
        }
    }

    fn slot(&self, appid: &str) -> Option<Arc<Slot>> {
        self.slots.get(appid).cloned()
    }

    fn limits(&self) -> ForceRefreshLimits {
        *self.limits.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Whether a forced refresh may be sent now; `Err` says why not.
fn force_allowed(
    forced: &mut VecDeque<Instant>,
    now: Instant,
    limits: ForceRefreshLimits,
) -> Result<(), String> {
    while forced
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= DAY)
    {
        forced.pop_front();
    }
    if let Some(last) = forced.back() {
        let since = now.saturating_duration_since(*last);
        if since < limits.min_gap {
            return Err(format!(
                "the last forced refresh was {} s ago and WeChat allows one every {} s; retry in {} s",
                since.as_secs(),
                limits.min_gap.as_secs(),
                (limits.min_gap - since).as_secs().max(1)
            ));
        }
    }
    if forced.len() as u32 >= limits.per_day {
        let oldest = forced.front().copied().unwrap_or(now);
        let wait = DAY.saturating_sub(now.saturating_duration_since(oldest));
        return Err(format!(
            "{} forced refreshes in the last 24 h, WeChat's daily limit; the next is possible in {} min",
            forced.len(),
            wait.as_secs().div_ceil(60)
        ));
    }
    Ok(())
}

impl WechatClient {
    /// The same client with other limits for forced token refreshes (stricter ones, or
    /// shorter gaps in tests). Applies to every clone of this client.
    pub fn with_force_refresh_limits(self, limits: ForceRefreshLimits) -> Self {
        *self
            .tokens()
            .limits
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = limits;
        self
    }

    /// The access token for `appid`: the cached one, or one fetched now (one fetch at a time
    /// per appid; concurrent callers wait for it).
    pub async fn access_token(&self, appid: &str) -> Result<AccessToken, WechatError> {
        let slot = self.token_slot(appid)?;
        if let Some(t) = slot.fresh(Instant::now()) {
            return Ok(t);
        }
        let _flight = slot.fetch.lock().await;
        if let Some(t) = slot.fresh(Instant::now()) {
            return Ok(t);
        }
        self.fetch_token(appid, &slot, false).await
    }

    /// After WeChat rejected `rejected` (40001, 42001, 40014): a new token, fetched with
    /// `force_refresh: true` within WeChat's limits, unless another caller already replaced
    /// the rejected one.
    pub(crate) async fn refresh_rejected_token(
        &self,
        appid: &str,
        rejected: &AccessToken,
    ) -> Result<AccessToken, WechatError> {
        let slot = self.token_slot(appid)?;
        let _flight = slot.fetch.lock().await;
        let now = Instant::now();
        {
            let mut st = slot.state();
            if let Some(c) = st.token.as_ref()
                && c.token != *rejected
                && now < c.refresh_at
            {
                return Ok(c.token.clone());
            }
            if let Err(reason) = force_allowed(&mut st.forced, now, self.tokens().limits()) {
                let err = WechatError::ForceRefreshRefused {
                    appid: appid.to_owned(),
                    reason,
                };
                st.note_error(&err);
                tracing::warn!(appid, host = %self.host(), "access token not refreshed: {err}");
                return Err(err);
            }
            st.forced.push_back(now);
            st.token = None;
        }
        self.fetch_token(appid, &slot, true).await
    }

    /// What an operator may see of every configured app's token, in configuration order.
    pub fn token_states(&self) -> Vec<TokenState> {
        let limits = self.tokens().limits();
        let now = Instant::now();
        self.config()
            .apps
            .iter()
            .filter_map(|a| {
                let slot = self.tokens().slot(&a.appid)?;
                let mut st = slot.state();
                let _ = force_allowed(&mut st.forced, now, limits);
                let live = st.token.as_ref().filter(|c| now < c.refresh_at);
                Some(TokenState {
                    appid: a.appid.clone(),
                    cached_until: live.map(|c| c.refresh_at_wall),
                    fetched_at: live.map(|c| c.fetched_at_wall),
                    last_error: st.last_error.clone(),
                    last_errcode: st.last_failure.as_ref().and_then(WechatError::errcode),
                    last_error_meaning: st.last_failure.as_ref().map(WechatError::meaning),
                    last_error_action: st.last_failure.as_ref().map(WechatError::action),
                    last_failure: st.last_failure.clone(),
                    fetches: st.fetches,
                    forced_last_24h: st.forced.len() as u32,
                    forced_limit: limits.per_day,
                })
            })
            .collect()
    }

    fn token_slot(&self, appid: &str) -> Result<Arc<Slot>, WechatError> {
        let app = self.config().app(Some(appid))?;
        self.tokens()
            .slot(&app.appid)
            .ok_or_else(|| WechatError::UnknownApp {
                appid: appid.to_owned(),
                known: self.config().apps.iter().map(|a| a.appid.clone()).collect(),
            })
    }

    /// One `POST /cgi-bin/stable_token`; the caller holds the slot's fetch lock.
    async fn fetch_token(
        &self,
        appid: &str,
        slot: &Slot,
        force_refresh: bool,
    ) -> Result<AccessToken, WechatError> {
        let result = self.request_stable_token(appid, force_refresh).await;
        let mut st = slot.state();
        st.fetches += 1;
        match result {
            Ok((token, expires_in)) => {
                let lifetime = if expires_in >= 2 * REFRESH_MARGIN {
                    expires_in - REFRESH_MARGIN
                } else {
                    expires_in / 2
                };
                let now = Utc::now();
                st.token = Some(Cached {
                    token: token.clone(),
                    refresh_at: Instant::now() + lifetime,
                    refresh_at_wall: now + chrono::Duration::from_std(lifetime).unwrap_or_default(),
                    fetched_at_wall: now,
                });
                st.last_error = None;
                st.last_failure = None;
                tracing::debug!(
                    appid,
                    host = %self.host(),
                    force_refresh,
                    expires_in_secs = expires_in.as_secs(),
                    "access token fetched"
                );
                Ok(token)
            }
            Err(err) => {
                st.note_error(&err);
                tracing::warn!(appid, host = %self.host(), force_refresh, errcode = err.errcode(), rid = err.rid().unwrap_or(""), "access token fetch failed: {err}");
                Err(err)
            }
        }
    }

    async fn request_stable_token(
        &self,
        appid: &str,
        force_refresh: bool,
    ) -> Result<(AccessToken, Duration), WechatError> {
        let app = self.config().app(Some(appid))?;
        let url = self.api_url("/cgi-bin/stable_token")?;
        let body = serde_json::json!({
            "grant_type": "client_credential",
            "appid": app.appid,
            "secret": app.secret.expose(),
            "force_refresh": force_refresh,
        });
        let body = Secret::new(body.to_string());
        let needles = [app.secret.expose()];
        let scrub = Scrubber { needles: &needles };
        let started = Instant::now();
        let request = self
            .http()
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.expose().to_owned());
        let (content_type, answer) = self
            .send(request, self.config().timeout, started, &scrub)
            .await?;
        let host = self.host();
        let obj = interpret_object(host, content_type, &answer, &scrub)?;
        let unexpected = |problem| WechatError::UnexpectedJson {
            host: host.to_owned(),
            problem,
        };
        let token = obj
            .get("access_token")
            .and_then(|v| v.as_str())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| unexpected("no errcode and no access_token"))?;
        let expires_in = match obj.get("expires_in") {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|s| *s > 0)
        .ok_or_else(|| unexpected("no expires_in with the access_token"))?;
        Ok((
            AccessToken(Secret::new(token)),
            Duration::from_secs(expires_in),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forced_refreshes_are_refused_closer_than_the_gap_and_beyond_the_daily_count() {
        let limits = ForceRefreshLimits {
            per_day: 3,
            min_gap: Duration::from_secs(30),
        };
        let t0 = Instant::now();
        let mut forced = VecDeque::new();
        assert!(force_allowed(&mut forced, t0, limits).is_ok());
        forced.push_back(t0);
        let early = force_allowed(&mut forced, t0 + Duration::from_secs(10), limits).unwrap_err();
        assert!(
            early.contains("10 s ago") && early.contains("retry in 20 s"),
            "{early}"
        );
        for i in 1..3u64 {
            let t = t0 + Duration::from_secs(30 * i);
            assert!(force_allowed(&mut forced, t, limits).is_ok());
            forced.push_back(t);
        }
        let full = force_allowed(&mut forced, t0 + Duration::from_secs(120), limits).unwrap_err();
        assert!(
            full.contains("3 forced refreshes in the last 24 h"),
            "{full}"
        );
        // A day after the first one, one slot is free again.
        assert!(force_allowed(&mut forced, t0 + DAY, limits).is_ok());
        assert_eq!(forced.len(), 2);
    }

    #[test]
    fn an_access_token_never_prints() {
        let t = AccessToken(Secret::new("ACCESS_TOKEN_VALUE_123"));
        assert!(!format!("{t:?} {t}").contains("ACCESS_TOKEN_VALUE"));
    }
}
