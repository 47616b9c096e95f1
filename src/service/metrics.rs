//! Counters for `GET /metrics`, in the Prometheus text exposition format (version 0.0.4).
//!
//! Plain atomics: a request bumps one or two counters and never takes a lock, except when
//! WeChat answers an errcode (rare, and the map is small and bounded).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// How a `POST /login` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginResult {
    /// Bound identity, session issued without credentials.
    Silent,
    /// First login: credentials checked, binding created, session issued.
    Bound,
    BindingRequired,
    /// Credentials of one account for a WeChat identity bound to another: refused with 409.
    BindingConflict,
    /// A first login past `max_bindings_per_app`: refused with 409.
    BindingLimit,
    InvalidCredentials,
    /// The account's password path is locked after repeated wrong passwords.
    AccountLocked,
    AccountDisabled,
    /// WeChat refused the code or could not be reached (see the errcode counters).
    WechatError,
    RateLimited,
    BadRequest,
    Error,
}

impl LoginResult {
    pub const ALL: [LoginResult; 12] = [
        LoginResult::Silent,
        LoginResult::Bound,
        LoginResult::BindingRequired,
        LoginResult::BindingConflict,
        LoginResult::BindingLimit,
        LoginResult::InvalidCredentials,
        LoginResult::AccountLocked,
        LoginResult::AccountDisabled,
        LoginResult::WechatError,
        LoginResult::RateLimited,
        LoginResult::BadRequest,
        LoginResult::Error,
    ];
    pub fn label(self) -> &'static str {
        match self {
            LoginResult::Silent => "silent",
            LoginResult::Bound => "bound",
            LoginResult::BindingRequired => "binding_required",
            LoginResult::BindingConflict => "binding_conflict",
            LoginResult::BindingLimit => "binding_limit",
            LoginResult::InvalidCredentials => "invalid_credentials",
            LoginResult::AccountLocked => "account_locked",
            LoginResult::AccountDisabled => "account_disabled",
            LoginResult::WechatError => "wechat_error",
            LoginResult::RateLimited => "rate_limited",
            LoginResult::BadRequest => "bad_request",
            LoginResult::Error => "error",
        }
    }
}

/// How a SessionId presented to `/me` or `/logout` was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    Valid,
    /// No `Authorization: Bearer` header.
    Missing,
    Unknown,
    Expired,
    Revoked,
    AccountDisabled,
    Error,
}

impl Validation {
    const ALL: [Validation; 7] = [
        Validation::Valid,
        Validation::Missing,
        Validation::Unknown,
        Validation::Expired,
        Validation::Revoked,
        Validation::AccountDisabled,
        Validation::Error,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Validation::Valid => "valid",
            Validation::Missing => "missing",
            Validation::Unknown => "unknown",
            Validation::Expired => "expired",
            Validation::Revoked => "revoked",
            Validation::AccountDisabled => "account_disabled",
            Validation::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Route {
    Login,
    Me,
    Logout,
}

impl Route {
    const ALL: [Route; 3] = [Route::Login, Route::Me, Route::Logout];
    fn label(self) -> &'static str {
        match self {
            Route::Login => "/login",
            Route::Me => "/me",
            Route::Logout => "/logout",
        }
    }
}

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Debug, Default)]
struct Histogram {
    /// Non-cumulative counts per bucket; the last slot is +Inf.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        let i = BUCKETS
            .iter()
            .position(|b| s <= *b)
            .unwrap_or(BUCKETS.len());
        self.buckets[i].fetch_add(1, Relaxed);
        self.sum_micros.fetch_add(d.as_micros() as u64, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }
}

/// Distinct errcodes kept; further unknown ones are counted under `errcode="other"`.
const MAX_ERRCODES: usize = 64;

#[derive(Debug, Default)]
pub struct Metrics {
    logins: [AtomicU64; LoginResult::ALL.len()],
    validations: [AtomicU64; Validation::ALL.len()],
    wechat_errcodes: Mutex<BTreeMap<i64, u64>>,
    wechat_errcode_other: AtomicU64,
    /// WeChat failures without an errcode (timeouts, unreachable, unreadable answers).
    wechat_transport_errors: AtomicU64,
    logouts: AtomicU64,
    touches: AtomicU64,
    /// Queries sent for GET /me's and POST /logout's session lookups: fewer than the lookups
    /// when concurrent requests share one (shared with the lookup dispatcher).
    session_lookup_queries: std::sync::Arc<AtomicU64>,
    latency: [Histogram; Route::ALL.len()],
    stats_flushes: AtomicU64,
    stats_outcome_upserts: AtomicU64,
    /// Argon2 password verifications run (unknown usernames against the dummy hash included).
    password_verifications: AtomicU64,
    /// HTTP connections open now.
    connections_open: std::sync::Arc<AtomicU64>,
    /// Connections closed for not sending a whole request head in time.
    header_timeouts: AtomicU64,
    /// Times the listener found `max_connections` open and let new connections wait.
    connection_cap_reached: AtomicU64,
}

/// Counts one open connection until dropped.
#[derive(Debug)]
pub struct OpenConnection(std::sync::Arc<AtomicU64>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

impl Metrics {
    pub fn login(&self, r: LoginResult) {
        self.logins[r as usize].fetch_add(1, Relaxed);
    }

    pub fn validation(&self, v: Validation) {
        self.validations[v as usize].fetch_add(1, Relaxed);
    }

    pub fn wechat_error(&self, errcode: Option<i64>) {
        match errcode {
            None => {
                self.wechat_transport_errors.fetch_add(1, Relaxed);
            }
            Some(code) => {
                let mut m = self
                    .wechat_errcodes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                if let Some(n) = m.get_mut(&code) {
                    *n += 1;
                } else if m.len() < MAX_ERRCODES {
                    m.insert(code, 1);
                } else {
                    self.wechat_errcode_other.fetch_add(1, Relaxed);
                }
            }
        }
    }

    pub fn logout(&self) {
        self.logouts.fetch_add(1, Relaxed);
    }

    pub fn touch(&self) {
        self.touches.fetch_add(1, Relaxed);
    }

    /// The counter the session lookups add their queries to.
    pub fn session_lookup_queries(&self) -> std::sync::Arc<AtomicU64> {
        self.session_lookup_queries.clone()
    }

    /// One statistics flush that issued `upserts` login_stats UPSERT statements.
    pub fn stats_flushed(&self, upserts: usize) {
        self.stats_flushes.fetch_add(1, Relaxed);
        self.stats_outcome_upserts
            .fetch_add(upserts as u64, Relaxed);
    }

    /// One Argon2 password verification is about to run.
    pub fn password_verification(&self) {
        self.password_verifications.fetch_add(1, Relaxed);
    }

    pub fn password_verifications(&self) -> u64 {
        self.password_verifications.load(Relaxed)
    }

    /// A connection was accepted; it counts as open until the guard is dropped.
    pub fn connection_opened(&self) -> OpenConnection {
        self.connections_open.fetch_add(1, Relaxed);
        OpenConnection(self.connections_open.clone())
    }

    pub fn connections_open(&self) -> u64 {
        self.connections_open.load(Relaxed)
    }

    pub fn header_timeout(&self) {
        self.header_timeouts.fetch_add(1, Relaxed);
    }

    pub fn connection_cap_reached(&self) {
        self.connection_cap_reached.fetch_add(1, Relaxed);
    }

    pub fn observe(&self, route: Route, d: Duration) {
        self.latency[route as usize].observe(d);
    }

    pub fn logins(&self, r: LoginResult) -> u64 {
        self.logins[r as usize].load(Relaxed)
    }

    pub fn validations(&self, v: Validation) -> u64 {
        self.validations[v as usize].load(Relaxed)
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut o = String::with_capacity(4096);
        let _ = self.write(&mut o);
        o
    }

    fn write(&self, o: &mut String) -> std::fmt::Result {
        writeln!(
            o,
            "# HELP wxlogin_logins_total POST /login requests by outcome."
        )?;
        writeln!(o, "# TYPE wxlogin_logins_total counter")?;
        for r in LoginResult::ALL {
            writeln!(
                o,
                "wxlogin_logins_total{{outcome=\"{}\"}} {}",
                r.label(),
                self.logins(r)
            )?;
        }
        writeln!(
            o,
            "# HELP wxlogin_session_validations_total SessionIds presented to /me and /logout, by result."
        )?;
        writeln!(o, "# TYPE wxlogin_session_validations_total counter")?;
        for v in Validation::ALL {
            writeln!(
                o,
                "wxlogin_session_validations_total{{result=\"{}\"}} {}",
                v.label(),
                self.validations(v)
            )?;
        }
        writeln!(
            o,
            "# HELP wxlogin_revocations_felt_total Requests refused because their session had been revoked (logout, operator revoke, unbind, disabled account)."
        )?;
        writeln!(o, "# TYPE wxlogin_revocations_felt_total counter")?;
        writeln!(
            o,
            "wxlogin_revocations_felt_total {}",
            self.validations(Validation::Revoked) + self.validations(Validation::AccountDisabled)
        )?;
        writeln!(
            o,
            "# HELP wxlogin_wechat_errors_total code2Session failures by WeChat errcode (\"none\": timeout, unreachable or unreadable answer)."
        )?;
        writeln!(o, "# TYPE wxlogin_wechat_errors_total counter")?;
        {
            let m = self
                .wechat_errcodes
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            for (code, n) in m.iter() {
                writeln!(o, "wxlogin_wechat_errors_total{{errcode=\"{code}\"}} {n}")?;
            }
        }
        writeln!(
            o,
            "wxlogin_wechat_errors_total{{errcode=\"other\"}} {}",
            self.wechat_errcode_other.load(Relaxed)
        )?;
        writeln!(
            o,
            "wxlogin_wechat_errors_total{{errcode=\"none\"}} {}",
            self.wechat_transport_errors.load(Relaxed)
        )?;
        let counters: [(&str, &str, &AtomicU64); 8] = [
            (
                "wxlogin_logouts_total",
                "Sessions ended by POST /logout.",
                &self.logouts,
            ),
            (
                "wxlogin_session_touches_total",
                "last_seen_at updates (at most one per session per interval).",
                &self.touches,
            ),
            (
                "wxlogin_session_lookup_queries_total",
                "Queries sent to look SessionIds up (GET /me, POST /logout); concurrent requests share one, so under load fewer than the lookups.",
                &self.session_lookup_queries,
            ),
            (
                "wxlogin_stats_flushes_total",
                "Flushes of the login statistics to the database.",
                &self.stats_flushes,
            ),
            (
                "wxlogin_stats_outcome_upserts_total",
                "UPSERT statements the flushes issued to login_stats (one per changed (minute, appid, outcome) row).",
                &self.stats_outcome_upserts,
            ),
            (
                "wxlogin_password_verifications_total",
                "Argon2 password verifications run by POST /login (an unknown username is checked against a dummy hash and counts too).",
                &self.password_verifications,
            ),
            (
                "wxlogin_http_header_timeouts_total",
                "Connections closed because they did not send a whole request head within header_read_timeout_secs.",
                &self.header_timeouts,
            ),
            (
                "wxlogin_http_connection_cap_reached_total",
                "Times the listener had max_connections open and left new connections waiting in the listen queue.",
                &self.connection_cap_reached,
            ),
        ];
        for (name, help, value) in counters {
            writeln!(o, "# HELP {name} {help}")?;
            writeln!(o, "# TYPE {name} counter")?;
            writeln!(o, "{name} {}", value.load(Relaxed))?;
        }
        writeln!(
            o,
            "# HELP wxlogin_db_conflict_retries_total Database transactions run again, whole, after the database ended them in a conflict (deadlock, serialization failure; on Galera a certification failure between nodes, error 1213)."
        )?;
        writeln!(o, "# TYPE wxlogin_db_conflict_retries_total counter")?;
        writeln!(
            o,
            "wxlogin_db_conflict_retries_total {}",
            crate::store::conflict_retries()
        )?;
        writeln!(
            o,
            "# HELP wxlogin_http_connections_open HTTP connections open now (at most max_connections)."
        )?;
        writeln!(o, "# TYPE wxlogin_http_connections_open gauge")?;
        writeln!(
            o,
            "wxlogin_http_connections_open {}",
            self.connections_open()
        )?;
        writeln!(
            o,
            "# HELP wxlogin_request_duration_seconds Time to answer, by route."
        )?;
        writeln!(o, "# TYPE wxlogin_request_duration_seconds histogram")?;
        for route in Route::ALL {
            let h = &self.latency[route as usize];
            let mut cumulative = 0;
            for (i, b) in BUCKETS.iter().enumerate() {
                cumulative += h.buckets[i].load(Relaxed);
                writeln!(
                    o,
                    "wxlogin_request_duration_seconds_bucket{{route=\"{}\",le=\"{b}\"}} {cumulative}",
                    route.label()
                )?;
            }
            cumulative += h.buckets[BUCKETS.len()].load(Relaxed);
            writeln!(
                o,
                "wxlogin_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {cumulative}",
                route.label()
            )?;
            writeln!(
                o,
                "wxlogin_request_duration_seconds_sum{{route=\"{}\"}} {}",
                route.label(),
                h.sum_micros.load(Relaxed) as f64 / 1e6
            )?;
            writeln!(
                o,
                "wxlogin_request_duration_seconds_count{{route=\"{}\"}} {}",
                route.label(),
                h.count.load(Relaxed)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_lists_every_series_with_its_value() {
        let m = Metrics::default();
        m.login(LoginResult::Silent);
        m.login(LoginResult::Silent);
        m.validation(Validation::Revoked);
        m.wechat_error(Some(40163));
        m.wechat_error(None);
        m.observe(Route::Me, Duration::from_micros(700));
        let text = m.render();
        assert!(text.contains("wxlogin_logins_total{outcome=\"silent\"} 2\n"));
        assert!(text.contains("wxlogin_logins_total{outcome=\"bound\"} 0\n"));
        assert!(text.contains("wxlogin_revocations_felt_total 1\n"));
        assert!(text.contains("# TYPE wxlogin_db_conflict_retries_total counter\n"));
        assert!(text.contains("wxlogin_wechat_errors_total{errcode=\"40163\"} 1\n"));
        assert!(text.contains("wxlogin_wechat_errors_total{errcode=\"none\"} 1\n"));
        assert!(
            text.contains(
                "wxlogin_request_duration_seconds_bucket{route=\"/me\",le=\"0.0005\"} 0\n"
            )
        );
        assert!(
            text.contains(
                "wxlogin_request_duration_seconds_bucket{route=\"/me\",le=\"0.001\"} 1\n"
            )
        );
        assert!(text.contains("wxlogin_request_duration_seconds_count{route=\"/me\"} 1\n"));
        // Every sample line is `name{labels} value` or `name value`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, v) = line.rsplit_once(' ').unwrap();
            v.parse::<f64>().unwrap();
        }
    }

    #[test]
    fn errcodes_are_bounded() {
        let m = Metrics::default();
        for c in 0..(MAX_ERRCODES as i64 + 10) {
            m.wechat_error(Some(c));
        }
        assert!(
            m.render()
                .contains("wxlogin_wechat_errors_total{errcode=\"other\"} 10\n")
        );
    }
}
