//! `wxlogin simulate`: realistic mini-program clients driving the real flow over HTTP.
//!
//! Each simulated user is a person with a phone: a stable device address (some share one, as
//! behind a carrier NAT; some roam), a WeChat user agent, one or two mini programs. A login is
//! what the mini program does: `wx.login()` (here: the emulator's `/mock/wx.login`), `POST
//! /login` with the code; on `binding_required` the user types the business username and
//! password (sometimes wrongly first) and the mini program logs in again with a fresh code.
//! Then a few `GET /me`, sometimes `POST /logout` (after which `/me` must be refused).
//!
//! A few clients are hostile: very long user agents, user agents with terminal escape
//! sequences (as 8-bit C1 controls and bidi overrides, which HTTP allows in header values, and
//! once as 7-bit ESC on a raw socket, which the HTTP layer must refuse), SQL fragments, replayed
//! codes, made-up SessionIds. Every row this produces is one the real service wrote.
//!
//! The business accounts `<prefix>-<n>` are created in the database (`--database-url`, the
//! same one the service uses) when missing, all with the password printed in the summary.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use reqwest::header::{HeaderName, HeaderValue};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::{self, ConfigFile, GlobalOpts};
use crate::crypto;
use crate::exit::Failure;
use crate::operator::{Actor, Role};
use crate::store::{NewAccount, Store, StoreError};
use crate::wechat::{WechatConfig, emulator};

/// The password of every simulated business account.
pub const SIM_PASSWORD: &str = "simulated-password";

/// `wxlogin simulate`
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// The login service.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8080")]
    pub service: String,
    /// The WeChat emulator (`wxlogin mock-wechat`) that mints codes. Default: the configured
    /// WeChat base URL (WXLOGIN_WECHAT_BASE_URL or [wechat] base_url).
    #[arg(long, value_name = "URL")]
    pub wechat: Option<String>,
    /// Simulated people (each gets a business account).
    #[arg(long, default_value_t = 50)]
    pub users: u32,
    /// Login flows to run in total (every user logs in once first, then users are picked at random).
    #[arg(long, default_value_t = 200)]
    pub logins: u32,
    /// Clients running at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: u32,
    /// Random seed: the same seed makes the same choices.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Mini programs to use (repeatable). Default: every configured app.
    #[arg(long = "appid", value_name = "APPID")]
    pub appids: Vec<String>,
    /// Header carrying the simulated client address (the service must trust it). Default:
    /// [service] trusted_ip_header; without one every client comes from this machine.
    #[arg(long, value_name = "HEADER")]
    pub ip_header: Option<String>,
    /// Username prefix of the simulated accounts.
    #[arg(long, default_value = "sim")]
    pub prefix: String,
    /// Do not create the business accounts (they exist already).
    #[arg(long)]
    pub no_accounts: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What a simulation run does, for the library caller (`wxlogin demo`, benchmarks).
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub service: String,
    pub wechat: String,
    pub appids: Vec<String>,
    pub users: u32,
    pub logins: u32,
    pub concurrency: u32,
    pub seed: u64,
    pub ip_header: Option<String>,
    pub prefix: String,
    /// Chance that a login flow ends with `/logout`.
    pub logout_rate: f64,
    /// Chance that a client is hostile in some way on a given flow.
    pub hostile_rate: f64,
    /// `GET /me` calls per successful login: between 1 and this.
    pub max_me_calls: u32,
}

impl SimOptions {
    pub fn new(service: impl Into<String>, wechat: impl Into<String>, appids: Vec<String>) -> Self {
        SimOptions {
            service: service.into().trim_end_matches('/').to_owned(),
            wechat: wechat.into().trim_end_matches('/').to_owned(),
            appids,
            users: 50,
            logins: 200,
            concurrency: 8,
            seed: 1,
            ip_header: None,
            prefix: "sim".into(),
            logout_rate: 0.15,
            hostile_rate: 0.05,
            max_me_calls: 3,
        }
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latency {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    fn from(mut v: Vec<Duration>) -> Self {
        if v.is_empty() {
            return Latency::default();
        }
        v.sort_unstable();
        let at = |q: f64| {
            let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
            v[i].as_secs_f64() * 1000.0
        };
        Latency {
            count: v.len(),
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            max_ms: at(1.0),
        }
    }
}

/// What happened, by event (`login.silent`, `me.ok`, `logout.ok`, …).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub users: u32,
    pub login_flows: u32,
    pub events: BTreeMap<String, u64>,
    /// Answers that contradict the flow (a refused valid session, an accepted replay): with
    /// the first few examples. Zero is the healthy value.
    pub unexpected: u64,
    pub unexpected_examples: Vec<String>,
    pub login_latency: Latency,
    pub me_latency: Latency,
    pub elapsed_secs: f64,
    /// SessionIds still live at the end (not logged out), for callers that keep using them.
    #[serde(skip)]
    pub live_tokens: Vec<LiveSession>,
}

impl Summary {
    pub fn count(&self, event: &str) -> u64 {
        self.events.get(event).copied().unwrap_or(0)
    }
}

/// A session the simulator holds at the end of a run.
#[derive(Clone)]
pub struct LiveSession {
    pub username: String,
    pub appid: String,
    pub token: crate::secret::Secret,
}

impl std::fmt::Debug for LiveSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSession")
            .field("username", &self.username)
            .field("appid", &self.appid)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Tally {
    events: BTreeMap<String, u64>,
    unexpected: u64,
    examples: Vec<String>,
    login_lat: Vec<Duration>,
    me_lat: Vec<Duration>,
    live: Vec<LiveSession>,
}

impl Tally {
    fn event(&mut self, name: &str) {
        *self.events.entry(name.to_owned()).or_insert(0) += 1;
    }
    fn unexpected(&mut self, what: String) {
        self.unexpected += 1;
        if self.examples.len() < 10 {
            self.examples
                .push(crate::sanitize::for_terminal_truncated(&what, 300));
        }
    }
    fn merge(&mut self, o: Tally) {
        for (k, v) in o.events {
            *self.events.entry(k).or_insert(0) += v;
        }
        self.unexpected += o.unexpected;
        for e in o.examples {
            if self.examples.len() < 10 {
                self.examples.push(e);
            }
        }
        self.login_lat.extend(o.login_lat);
        self.me_lat.extend(o.me_lat);
        self.live.extend(o.live);
    }
}

/// A simulated person.
struct User {
    username: String,
    /// Mini programs this person uses (one or two).
    apps: Vec<String>,
    ip: String,
    user_agent: String,
}

const IPHONE_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN";
const ANDROID_UA: &str = "Mozilla/5.0 (Linux; Android 14; 23127PN0CC Build/UKQ1.230804.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/5G Language/zh_CN ABI/arm64";
const ANDROID_4G_UA: &str = "Mozilla/5.0 (Linux; Android 12; V2134A Build/SP1A.210812.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5235 MMWEBSDK/20230805 MicroMessenger/8.0.42.2460(0x28002A35) WeChat/arm64 Weixin NetType/4G Language/zh_CN ABI/arm64";
const MAC_UA: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) MicroMessenger/3.8.7(0x13080710) XWEB/1191 Flue";
const DEVTOOLS_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/104.0.5112.102 Safari/537.36 wechatdevtools/1.06.2402040 MicroMessenger/8.0.5 Language/zh_CN webview/";

/// User agents a hostile client sends. All are valid HTTP header values (8-bit C1 controls and
/// bidi overrides are UTF-8 bytes above 0x7f), so they reach the database and must be shown
/// harmlessly by every terminal view.
fn hostile_user_agents() -> Vec<String> {
    vec![
        // CSI 2J (clear screen) and OSC 0 (set the window title) as 8-bit controls.
        "Mozilla/5.0 \u{9d}0;pwned\u{9c}\u{9b}2J\u{9b}31mRED".to_owned(),
        // A right-to-left override that makes a line read differently from what it holds.
        "MicroMessenger/8.0.47 \u{202e}nimda=resu\u{202c} NetType/WIFI".to_owned(),
        "'; DROP TABLE sessions;--".to_owned(),
        "Robert'); DELETE FROM wechat_bindings WHERE ('1'='1".to_owned(),
        format!("Mozilla/5.0 {}", "A".repeat(4000)),
        "微信/8.0 (测试) 🙂 \u{200f}".to_owned(),
    ]
}

/// The 7-bit escape sequence of the seeds' example, sent on a raw socket: HTTP forbids control
/// characters in header values, so the service's HTTP layer must refuse the request.
const RAW_ESC_USER_AGENT: &str = "\x1b]0;pwned\x07\x1b[2J";

fn user_for(i: u32, opts: &SimOptions, rng: &mut StdRng) -> User {
    let n_apps = opts.appids.len();
    let first = (i as usize) % n_apps;
    let mut apps = vec![opts.appids[first].clone()];
    if n_apps > 1 && rng.gen_bool(0.3) {
        apps.push(opts.appids[(first + 1) % n_apps].clone());
    }
    // Addresses from the documentation ranges; about one in three shares its address with
    // others (carrier NAT, office Wi-Fi); a few use IPv6.
    let ip = match rng.gen_range(0..10) {
        0..=2 => format!("198.51.100.{}", rng.gen_range(1..8)),
        3 => format!(
            "2001:db8:{:x}::{:x}",
            rng.gen_range(1..500),
            rng.gen_range(1..0xffff)
        ),
        _ => format!("203.0.113.{}", rng.gen_range(1..255)),
    };
    let user_agent = match rng.gen_range(0..100) {
        0..=44 => IPHONE_UA,
        45..=69 => ANDROID_UA,
        70..=84 => ANDROID_4G_UA,
        85..=94 => MAC_UA,
        _ => DEVTOOLS_UA,
    }
    .to_owned();
    User {
        username: format!("{}-{}", opts.prefix, i + 1),
        apps,
        ip,
        user_agent,
    }
}

/// Creates the accounts `<prefix>-1` … `<prefix>-N` that do not exist yet. All share one
/// Argon2id hash of [`SIM_PASSWORD`] (hashing hundreds of times would only slow the start).
pub async fn ensure_accounts(store: &Store, prefix: &str, users: u32) -> Result<u32, StoreError> {
    let hash = tokio::task::spawn_blocking(|| crypto::hash_password(SIM_PASSWORD))
        .await
        .map_err(|e| StoreError::Db(e.to_string()))?
        .map_err(|e| StoreError::Db(e.to_string()))?;
    let actor = Actor::new("simulate", Role::Oncall, Some("local".to_owned()));
    let mut created = 0;
    for i in 1..=users {
        let username = format!("{prefix}-{i}");
        if store.account_by_username(&username).await?.is_some() {
            continue;
        }
        let r = crate::ops::create_account(
            store,
            &actor,
            &NewAccount {
                username: username.clone(),
                password_hash: hash.clone(),
                display_name: Some(format!("Simulated user {i}")),
            },
        )
        .await;
        match r {
            Ok(_) => created += 1,
            // Created concurrently by another run: fine.
            Err(crate::ops::OpsError::Store(StoreError::Conflict(_))) => {}
            Err(crate::ops::OpsError::Store(e)) => return Err(e),
            Err(e) => return Err(StoreError::Db(e.to_string())),
        }
    }
    Ok(created)
}

/// Where a request comes from: the client address and user agent.
#[derive(Clone, Copy)]
struct Device<'a> {
    ip: &'a str,
    ua: &'a str,
}

struct Client {
    http: reqwest::Client,
    opts: Arc<SimOptions>,
    ip_header: Option<HeaderName>,
}

struct Answer {
    status: StatusCode,
    body: Value,
}

impl Answer {
    fn error(&self) -> &str {
        self.body.get("error").and_then(Value::as_str).unwrap_or("")
    }
}

impl Client {
    fn headers(&self, ip: &str, ua: &str) -> reqwest::header::HeaderMap {
        let mut h = reqwest::header::HeaderMap::new();
        if let Ok(v) = HeaderValue::from_bytes(ua.as_bytes()) {
            h.insert(reqwest::header::USER_AGENT, v);
        }
        if let (Some(name), Ok(v)) = (&self.ip_header, HeaderValue::from_str(ip)) {
            h.insert(name.clone(), v);
        }
        h
    }

    async fn mint(&self, appid: &str, user: &str) -> Result<String, String> {
        emulator::mint_code(&self.http, &self.opts.wechat, appid, user)
            .await
            .map_err(|e| format!("the WeChat emulator did not mint a code: {e}"))
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Answer, String> {
        let resp = req
            .send()
            .await
            .map_err(|e| format!("cannot reach the login service: {e}"))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer { status, body })
    }

    async fn login(
        &self,
        u: &User,
        dev: Device<'_>,
        appid: &str,
        code: &str,
        password: Option<&str>,
        t: &mut Tally,
    ) -> Result<Answer, String> {
        let Device { ip, ua } = dev;
        let mut body = json!({ "appid": appid, "code": code });
        if let Some(p) = password {
            body["username"] = u.username.clone().into();
            body["password"] = p.into();
        }
        let started = Instant::now();
        let a = self
            .send(
                self.http
                    .post(format!("{}/login", self.opts.service))
                    .headers(self.headers(ip, ua))
                    .json(&body),
            )
            .await?;
        t.login_lat.push(started.elapsed());
        let outcome = match (a.status, a.error()) {
            (StatusCode::OK, _) => {
                if password.is_some() {
                    "bound"
                } else {
                    "silent"
                }
            }
            (_, "") => "http_error",
            (_, e) => e,
        };
        t.event(&format!("login.{outcome}"));
        Ok(a)
    }

    async fn me(&self, token: &str, ip: &str, ua: &str, t: &mut Tally) -> Result<Answer, String> {
        let started = Instant::now();
        let a = self
            .send(
                self.http
                    .get(format!("{}/me", self.opts.service))
                    .headers(self.headers(ip, ua))
                    .bearer_auth(token),
            )
            .await?;
        t.me_lat.push(started.elapsed());
        t.event(if a.status == StatusCode::OK {
            "me.ok"
        } else {
            "me.refused"
        });
        Ok(a)
    }

    /// One user's login flow, as the mini program runs it.
    async fn flow(&self, u: &User, rng: &mut StdRng, t: &mut Tally) -> Result<(), String> {
        let appid = u.apps.choose(rng).cloned().unwrap_or_default();
        let wx_user = u.username.as_str();
        let hostile = rng.gen_bool(self.opts.hostile_rate);
        let ip = if rng.gen_bool(0.1) {
            // On the move: another network this time.
            format!("192.0.2.{}", rng.gen_range(1..255))
        } else {
            u.ip.clone()
        };
        let ua = if hostile {
            let list = hostile_user_agents();
            list[rng.gen_range(0..list.len())].clone()
        } else {
            u.user_agent.clone()
        };

        let dev = Device { ip: &ip, ua: &ua };
        // The mini program does not know whether this WeChat user is bound: it tries silently.
        let code = self.mint(&appid, wx_user).await?;
        let mut a = self.login(u, dev, &appid, &code, None, t).await?;
        if hostile && rng.gen_bool(0.5) {
            // Replay the same code: WeChat must refuse it.
            let r = self.login(u, dev, &appid, &code, None, t).await?;
            if r.status == StatusCode::OK {
                t.unexpected(format!("a replayed code was accepted for {}", u.username));
            }
        }
        if a.error() == "binding_required" {
            // The user types the business credentials, sometimes wrongly first.
            if rng.gen_bool(0.08) {
                let code = self.mint(&appid, wx_user).await?;
                let w = self
                    .login(u, dev, &appid, &code, Some("not-the-password"), t)
                    .await?;
                if w.error() != "invalid_credentials" && w.status != StatusCode::TOO_MANY_REQUESTS {
                    t.unexpected(format!("a wrong password got {} {}", w.status, w.body));
                }
            }
            let code = self.mint(&appid, wx_user).await?;
            a = self
                .login(u, dev, &appid, &code, Some(SIM_PASSWORD), t)
                .await?;
        }
        if a.status != StatusCode::OK {
            let expected = matches!(
                a.error(),
                "rate_limited"
                    | "account_disabled"
                    | "wechat_rate_limited"
                    | "wechat_unavailable"
                    | "high_risk_user"
            );
            if !expected {
                t.unexpected(format!(
                    "login of {} failed: {} {}",
                    u.username, a.status, a.body
                ));
            }
            return Ok(());
        }
        let Some(token) = a
            .body
            .get("session_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            t.unexpected("a 200 login answer without session_id".into());
            return Ok(());
        };

        for _ in 0..rng.gen_range(1..=self.opts.max_me_calls.max(1)) {
            let m = self.me(&token, &ip, &ua, t).await?;
            if m.status != StatusCode::OK {
                // An operator may have revoked it meanwhile; that is not the client's fault.
                t.event("me.refused_live_session");
                break;
            }
        }
        if hostile && rng.gen_bool(0.3) {
            let fake = crypto::SessionToken::generate();
            let m = self.me(fake.expose(), &ip, &ua, t).await?;
            if m.status != StatusCode::UNAUTHORIZED {
                t.unexpected(format!("a made-up SessionId got {}", m.status));
            }
        }
        if hostile && rng.gen_bool(0.2) {
            self.raw_escape_request(t).await;
        }
        if rng.gen_bool(self.opts.logout_rate) {
            let a = self
                .send(
                    self.http
                        .post(format!("{}/logout", self.opts.service))
                        .headers(self.headers(&ip, &ua))
                        .bearer_auth(&token),
                )
                .await?;
            t.event(if a.status == StatusCode::OK {
                "logout.ok"
            } else {
                "logout.refused"
            });
            // The revoke must be felt by the very next request.
            let m = self.me(&token, &ip, &ua, t).await?;
            if m.status != StatusCode::UNAUTHORIZED {
                t.unexpected(format!("/me after /logout answered {}", m.status));
            } else {
                t.event("me.refused_after_logout");
            }
        } else {
            t.live.push(LiveSession {
                username: u.username.clone(),
                appid,
                token: crate::secret::Secret::new(token),
            });
        }
        Ok(())
    }

    /// A request whose user agent carries raw 7-bit escape sequences, written on a plain
    /// socket because HTTP client libraries refuse to send it.
    async fn raw_escape_request(&self, t: &mut Tally) {
        let Ok(u) = url::Url::parse(&self.opts.service) else {
            return;
        };
        let (Some(host), Some(port)) = (u.host_str(), u.port_or_known_default()) else {
            return;
        };
        if u.scheme() != "http" {
            return;
        }
        let req = format!(
            "GET /me HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {RAW_ESC_USER_AGENT}\r\nConnection: close\r\n\r\n"
        );
        let r = async {
            let mut s = tokio::net::TcpStream::connect((host, port)).await?;
            s.write_all(req.as_bytes()).await?;
            let mut buf = Vec::new();
            s.read_to_end(&mut buf).await?;
            Ok::<_, std::io::Error>(buf)
        };
        match tokio::time::timeout(Duration::from_secs(5), r).await {
            Ok(Ok(buf)) => {
                let head = String::from_utf8_lossy(&buf[..buf.len().min(12)]).into_owned();
                if head.starts_with("HTTP/1.1 400") {
                    t.event("raw_escape.refused_by_http");
                } else {
                    t.unexpected(format!("a raw escape sequence in a header got {head:?}"));
                }
            }
            _ => t.event("raw_escape.connection_dropped"),
        }
    }
}

/// Runs the simulation: every user logs in once (binding on first use), then random users
/// log in again until `logins` flows have run.
pub async fn run_sim(opts: SimOptions) -> Result<Summary, Failure> {
    if opts.appids.is_empty() {
        return Err(Failure::usage(
            "no mini program to simulate: pass --appid or configure [[apps]] / WXLOGIN_APPID",
        ));
    }
    if opts.users == 0 {
        return Err(Failure::usage("--users must be at least 1"));
    }
    let ip_header = match &opts.ip_header {
        Some(h) => Some(
            HeaderName::try_from(h.as_str())
                .map_err(|_| Failure::usage(format!("{h:?} is not a header name")))?,
        ),
        None => None,
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(opts.concurrency as usize * 2)
        .build()
        .map_err(|e| Failure::runtime(format!("cannot build an HTTP client: {e}")))?;
    let workers = opts.concurrency.clamp(1, opts.users);
    let opts = Arc::new(opts);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let client = Client {
            http: http.clone(),
            opts: opts.clone(),
            ip_header: ip_header.clone(),
        };
        tasks.push(tokio::spawn(async move {
            let opts = client.opts.clone();
            let mut rng = StdRng::seed_from_u64(opts.seed.wrapping_mul(1_000_003) ^ u64::from(w));
            // This worker's people: every `workers`-th user, so no two workers share one.
            let users: Vec<User> = (w..opts.users)
                .step_by(workers as usize)
                .map(|i| {
                    let mut urng = StdRng::seed_from_u64(opts.seed ^ (u64::from(i) << 20));
                    user_for(i, &opts, &mut urng)
                })
                .collect();
            let share = opts.logins / workers + u32::from(w < opts.logins % workers);
            let mut t = Tally::default();
            for n in 0..share as usize {
                let u = if n < users.len() {
                    &users[n]
                } else {
                    &users[rng.gen_range(0..users.len())]
                };
                client.flow(u, &mut rng, &mut t).await?;
            }
            Ok(t)
        }));
    }
    let mut total = Tally::default();
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok(Ok(t)) => total.merge(t),
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(format!("a simulated client crashed: {e}"));
            }
        }
    }
    if let Some(e) = first_error {
        return Err(Failure::runtime(e));
    }
    Ok(Summary {
        users: opts.users,
        login_flows: opts.logins,
        events: total.events,
        unexpected: total.unexpected,
        unexpected_examples: total.examples,
        login_latency: Latency::from(total.login_lat),
        me_latency: Latency::from(total.me_lat),
        elapsed_secs: started.elapsed().as_secs_f64(),
        live_tokens: total.live,
    })
}

/// Prints a summary for people.
pub fn print_summary(s: &Summary) {
    println!(
        "simulated {} login flows of {} users in {:.1}s",
        s.login_flows, s.users, s.elapsed_secs
    );
    for (k, v) in &s.events {
        println!("  {k:<36} {v}");
    }
    println!(
        "  POST /login  p50 {:.1} ms  p99 {:.1} ms  ({} requests)",
        s.login_latency.p50_ms, s.login_latency.p99_ms, s.login_latency.count
    );
    println!(
        "  GET /me      p50 {:.1} ms  p99 {:.1} ms  ({} requests)",
        s.me_latency.p50_ms, s.me_latency.p99_ms, s.me_latency.count
    );
    if s.unexpected > 0 {
        println!("  UNEXPECTED answers: {}", s.unexpected);
        for e in &s.unexpected_examples {
            println!("    {e}");
        }
    }
}

/// `wxlogin simulate`
pub async fn run(
    global: &GlobalOpts,
    file: &ConfigFile,
    args: &SimulateArgs,
) -> Result<(), Failure> {
    let wcfg = WechatConfig::resolve(file)?;
    let wechat = args.wechat.clone().unwrap_or_else(|| wcfg.base_url.clone());
    let appids = if args.appids.is_empty() {
        wcfg.apps.iter().map(|a| a.appid.clone()).collect()
    } else {
        args.appids.clone()
    };
    if !args.no_accounts {
        if global.read_only || file.read_only {
            return Err(Failure::refused(
                "--read-only: cannot create the simulated accounts (use --no-accounts if they exist)",
            ));
        }
        let url = config::database_url(global, file)?;
        let store = Store::open(&url).await?;
        let created = ensure_accounts(&store, &args.prefix, args.users).await?;
        eprintln!(
            "simulate: {created} new business accounts {}-1…{}-{} (password {SIM_PASSWORD:?}) in {}",
            args.prefix,
            args.prefix,
            args.users,
            store.redacted_url()
        );
        store.close().await;
    }
    let mut opts = SimOptions::new(&args.service, wechat, appids);
    opts.users = args.users;
    opts.logins = args.logins;
    opts.concurrency = args.concurrency.max(1);
    opts.seed = args.seed;
    opts.prefix = args.prefix.clone();
    opts.ip_header = args
        .ip_header
        .clone()
        .or_else(|| file.service.trusted_ip_header.clone());
    let summary = run_sim(opts).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary).map_err(|e| Failure::runtime(e.to_string()))?
        );
    } else {
        print_summary(&summary);
    }
    if summary.unexpected > 0 {
        return Err(Failure::runtime(format!(
            "{} answers contradicted the login flow (see above)",
            summary.unexpected
        )));
    }
    Ok(())
}
