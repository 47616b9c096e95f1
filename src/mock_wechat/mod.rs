//! A faithful emulator of WeChat's login-side APIs (`auth.code2Session`, access tokens,
//! checkSessionKey, resetUserSessionKey), for tests, demos and on-call drills
//! (`wxlogin mock-wechat`, or [`spawn`] in-process). Never for production.
//!
//! - `POST /mock/wx.login` `{"appid","user"}` → `{"code"}`: what `wx.login()` gives that user.
//! - `GET /sns/jscode2session`: codes live 5 minutes and work once (40163 on reuse), only for
//!   the appid they were minted for (40029); unknown appid 40013, wrong secret 40125, missing
//!   parameters 41002/41004/41008, over the per-user minute limit 45011, high-risk users
//!   40226. Answers are JSON served as `text/plain` with `rid` in errmsg, like WeChat's.
//! - openid is stable per (appid, user) and differs across appids; unionid is stable per user
//!   and only returned for apps marked as bound to an Open Platform account; session_key is
//!   fresh per login, and the newest one is the user's only valid key.
//! - `GET /cgi-bin/token`, `POST /cgi-bin/stable_token`, `GET /wxa/checksession`,
//!   `GET /wxa/resetusersessionkey`: see `tokens.rs` for their rules.
//! - Faults for drills: a rate of -1 answers (or the next N), added latency, HTTP 502, a
//!   non-JSON body, settable at start and at runtime (`/mock/admin/faults`).
//!
//! It never logs codes, secrets, tokens, signatures or session_keys.

mod cli;
mod routes;
mod state;
mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use cli::{MockWechatArgs, run};
pub use state::{CODE_TTL, MAX_LIVE_CODES, openid, unionid};
pub use tokens::{FORCE_MIN_GAP, FORCE_PER_DAY, TOKEN_OVERLAP, TOKEN_TTL};

use crate::secret::Secret;
use crate::wechat::{
    AppCredentials, WechatError, build_http_client, endpoint_host, transport_error,
};

/// The mini program the emulator knows when none is given.
pub const DEMO_APPID: &str = "wxdemo0000000001";
/// The demo app's AppSecret; public, so only ever valid against the emulator.
pub const DEMO_SECRET: &str = "demo-secret-not-for-production";
/// WeChat's documented quota: about 100 code2Session calls per user per minute.
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 100;

/// The emulator's notion of time: real time, or a clock that only moves when told to.
/// Both can be pushed forward with [`Clock::advance`] (e.g. to expire codes in a drill).
#[derive(Clone)]
pub struct Clock(Arc<ClockInner>);

struct ClockInner {
    start: Instant,
    frozen: bool,
    offset_ms: AtomicU64,
}

impl Clock {
    /// Follows real (monotonic) time.
    pub fn system() -> Self {
        Self::make(false)
    }

    /// Stands still until [`Clock::advance`] is called: for tests of expiry and minute limits.
    pub fn manual() -> Self {
        Self::make(true)
    }

    fn make(frozen: bool) -> Self {
        Clock(Arc::new(ClockInner {
            start: Instant::now(),
            frozen,
            offset_ms: AtomicU64::new(0),
        }))
    }

    pub fn advance(&self, by: Duration) {
        self.0
            .offset_ms
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }

    /// Time since the clock started (plus any advance).
    pub fn now(&self) -> Duration {
        let offset = Duration::from_millis(self.0.offset_ms.load(Ordering::SeqCst));
        if self.0.frozen {
            offset
        } else {
            self.0.start.elapsed() + offset
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock")
            .field("manual", &self.0.frozen)
            .field("now", &self.now())
            .finish()
    }
}

/// Injected failures, for drills. Settable at start and at runtime.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Fraction (0.0–1.0) of code2Session calls answered with errcode -1 (system busy).
    pub busy_rate: f64,
    /// The next this-many code2Session calls are answered with errcode -1 (deterministic).
    pub busy_next: u32,
    /// Added to every code2Session answer, in milliseconds.
    pub latency_ms: u64,
    /// Answer every code2Session call with HTTP 502 and an HTML body, like a failing gateway.
    pub http_502: bool,
    /// Answer every code2Session call with HTTP 200 and an HTML body that is not JSON.
    pub non_json: bool,
}

/// How to start an emulator. `Default` knows the demo app only, with the system clock.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub apps: Vec<AppCredentials>,
    /// Appids bound to an Open Platform account: their logins return a unionid.
    pub unionid_apps: Vec<String>,
    /// code2Session calls allowed per user (per appid) per minute; 0 = no limit.
    pub rate_limit_per_minute: u32,
    /// Users whose logins are refused with 40226.
    pub high_risk_users: Vec<String>,
    pub clock: Clock,
    pub faults: Faults,
    /// When set, the admin endpoints require `Authorization: Bearer TOKEN`.
    pub admin_token: Option<Secret>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            apps: vec![demo_app()],
            unionid_apps: Vec::new(),
            rate_limit_per_minute: DEFAULT_RATE_LIMIT_PER_MINUTE,
            high_risk_users: Vec::new(),
            clock: Clock::system(),
            faults: Faults::default(),
            admin_token: None,
        }
    }
}

/// The demo app's credentials, for a client that talks to the emulator.
pub fn demo_app() -> AppCredentials {
    AppCredentials {
        appid: DEMO_APPID.to_owned(),
        name: Some("demo".to_owned()),
        secret: Secret::new(DEMO_SECRET),
    }
}

impl EmulatorConfig {
    /// An emulator that knows exactly these apps.
    pub fn with_apps(apps: Vec<AppCredentials>) -> Self {
        EmulatorConfig {
            apps,
            ..Self::default()
        }
    }

    /// Adds an app (appid, AppSecret) to the known ones.
    pub fn app(mut self, appid: &str, secret: &str) -> Self {
        self.apps.push(AppCredentials {
            appid: appid.to_owned(),
            name: None,
            secret: Secret::new(secret),
        });
        self
    }

    /// Marks an appid as bound to an Open Platform account (its logins return a unionid).
    pub fn unionid_app(mut self, appid: &str) -> Self {
        self.unionid_apps.push(appid.to_owned());
        self
    }

    pub fn rate_limit_per_minute(mut self, n: u32) -> Self {
        self.rate_limit_per_minute = n;
        self
    }

    pub fn high_risk_user(mut self, user: &str) -> Self {
        self.high_risk_users.push(user.to_owned());
        self
    }

    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Requires `Authorization: Bearer TOKEN` on the admin endpoints.
    pub fn admin_token(mut self, token: &str) -> Self {
        self.admin_token = Some(Secret::new(token));
        self
    }
}

/// A running emulator. Dropping it stops the server too; [`EmulatorHandle::shutdown`] waits
/// for in-flight requests to finish.
pub struct EmulatorHandle {
    pub addr: SocketAddr,
    emulator: Arc<state::Emulator>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl EmulatorHandle {
    /// `http://ADDR`: what `WXLOGIN_WECHAT_BASE_URL` should be.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for in-flight requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    pub fn clock(&self) -> &Clock {
        &self.emulator.clock
    }

    pub fn faults(&self) -> Faults {
        self.emulator.faults()
    }

    pub fn set_faults(&self, faults: Faults) {
        self.emulator.set_faults(faults);
    }

    /// Marks (or unmarks) a user as high-risk; returns the high-risk users now.
    pub fn set_high_risk(&self, user: &str, high_risk: bool) -> Vec<String> {
        self.emulator.set_high_risk(user, high_risk)
    }

    /// `POST /cgi-bin/stable_token` calls answered for `appid` so far (any outcome).
    pub fn stable_token_calls(&self, appid: &str) -> u64 {
        self.emulator.stable_counts(appid).0
    }

    /// Forced stable_token refreshes granted for `appid` so far.
    pub fn forced_refreshes(&self, appid: &str) -> u64 {
        self.emulator.stable_counts(appid).1
    }

    /// Codes held in memory (expired ones are purged).
    pub fn live_codes(&self) -> usize {
        self.emulator.live_codes()
    }

    /// Mints a code directly, without HTTP: what `wx.login()` would give `user` in `appid`.
    pub fn mint(&self, appid: &str, user: &str) -> Result<String, String> {
        self.emulator
            .mint(appid, user)
            .map_err(|e| routes::mint_error_message(&e, appid))
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts an emulator on `addr` (port 0 picks a free port; see [`EmulatorHandle::addr`]).
pub async fn spawn(cfg: EmulatorConfig, addr: SocketAddr) -> std::io::Result<EmulatorHandle> {
    if cfg.apps.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the emulator needs at least one app",
        ));
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let emulator = Arc::new(state::Emulator::new(&cfg));
    let router = routes::router(emulator.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(target: "wxlogin::mock_wechat", "the WeChat emulator stopped: {e}");
        }
    });
    tracing::info!(target: "wxlogin::mock_wechat", %addr, apps = ?emulator.appids(), "WeChat emulator listening");
    Ok(EmulatorHandle {
        addr,
        emulator,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Asks the emulator at `base_url` for a code, as `wx.login()` would give `user` in `appid`.
pub async fn mint_code(
    http: &reqwest::Client,
    base_url: &str,
    appid: &str,
    user: &str,
) -> Result<String, WechatError> {
    let base = base_url.trim_end_matches('/');
    let host = endpoint_host(base);
    let started = Instant::now();
    let resp = http
        .post(format!("{base}/mock/wx.login"))
        .json(&serde_json::json!({ "appid": appid, "user": user }))
        .send()
        .await
        .map_err(|e| transport_error(&host, e, started, &[]))?;
    let status = resp.status();
    let body = resp
        .bytes()
        .await
        .map_err(|e| transport_error(&host, e, started, &[]))?;
    let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let field = |k: &str| {
        json.as_ref()
            .and_then(|j| j.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    if status.is_success() {
        return field("code").ok_or(WechatError::NotJson {
            host,
            content_type: None,
            bytes: body.len(),
        });
    }
    Err(WechatError::MockRejected {
        host,
        status: status.as_u16(),
        message: field("error").unwrap_or_else(|| "no explanation given".to_owned()),
    })
}

/// A client-side HTTP client with the same settings as the WeChat client, for `mint_code`.
pub fn http_client() -> Result<reqwest::Client, WechatError> {
    build_http_client(Duration::from_secs(3), Duration::from_secs(10))
}
