//! The login service (`wxlogin serve`): the developer server of the mini program login flow.
//!
//! - `POST /login` `{"appid"?, "code", "username"?, "password"?}`: exchanges the code with
//!   code2Session; a bound (appid, openid) gets a session silently; an unbound one needs the
//!   business username and password, which bind it. Answers
//!   `{"session_id", "expires_at", "account_id"}`.
//! - `GET /me` with `Authorization: Bearer <SessionId>`: the account, appid and openid.
//! - `POST /logout`: ends the presented session.
//! - `GET /healthz`, `GET /metrics` (Prometheus text).
//!
//! Every `/me` reads the session row by the SHA-256 of the SessionId (one indexed SELECT): there
//! is no cache, so a revoke from the console, the CLI or `/logout` is felt by the next request.
//! See `docs/service.md` for defaults and deployment notes.

pub mod client_ip;
mod lookup;
pub mod metrics;
pub mod rate_limit;
pub mod retention;
mod routes;
pub mod stats;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderName;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;

use crate::config::{self, ConfigError, ConfigFile, GlobalOpts, ServiceSection};
use crate::crypto::DataKey;
use crate::exit::Failure;
use crate::store::{ConnectOptions, Store};
use crate::wechat::{WechatClient, WechatConfig};

pub use metrics::{LoginResult, Metrics, Validation};
pub use rate_limit::RateLimiter;
pub use routes::router;
pub use stats::LoginStats;

/// Absolute session lifetime unless configured: 30 days.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Idle timeout unless configured: 7 days without a request ends a session.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);
/// last_seen_at (and the sliding idle expiry) is written at most this often per session.
pub const DEFAULT_TOUCH_INTERVAL: Duration = Duration::from_secs(60);
/// Login attempts per client address per window unless configured.
pub const DEFAULT_LOGIN_RATE_LIMIT: u32 = 20;
/// The rate-limit window unless configured: 5 minutes, the life of a code.
pub const DEFAULT_LOGIN_RATE_WINDOW: Duration = Duration::from_secs(300);
/// Password failures per account per window unless configured.
pub const DEFAULT_ACCOUNT_FAILURE_LIMIT: u32 = 5;
/// The per-account failure window unless configured: 15 minutes.
pub const DEFAULT_ACCOUNT_FAILURE_WINDOW: Duration = Duration::from_secs(900);
/// All logins per address (IPv6 per /48) per minute unless configured.
pub const DEFAULT_LOGIN_FLOOD_LIMIT: u32 = 600;
/// How often login statistics are flushed and the heartbeat written unless configured.
pub const DEFAULT_STATS_FLUSH_INTERVAL: Duration = Duration::from_secs(5);
/// Login statistics older than this are deleted unless configured: 14 days.
pub const DEFAULT_STATS_RETENTION: Duration = Duration::from_secs(14 * 24 * 3600);
/// After SIGTERM, connections are still accepted this long (with /healthz at 503) unless configured.
pub const DEFAULT_DRAIN_GRACE: Duration = Duration::from_secs(5);
/// A connection that has not sent a whole request head this long after it opened (or after
/// its last answer, when kept alive) is closed, unless configured.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections served at once unless configured; beyond it new ones wait in the listen queue.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// `max_connections` may not be set above this.
pub const MAX_MAX_CONNECTIONS: usize = 1_000_000;
/// Minutes of statistics deleted per transaction by the retention sweep.
const STATS_PURGE_MINUTES: i64 = 60;

/// Where `wxlogin serve` listens unless told.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// How the service behaves; `[service]` in the config file.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub session_ttl: Duration,
    pub idle_timeout: Duration,
    pub touch_interval: Duration,
    /// Header set by a trusted reverse proxy carrying the client address; `None`: the TCP peer.
    pub trusted_ip_header: Option<HeaderName>,
    /// Only a TCP peer in one of these ranges may set `trusted_ip_header`. `wxlogin serve`
    /// refuses to start with a header and no ranges; in-process (the demo, tests) empty
    /// means any peer.
    pub trusted_proxies: Vec<rate_limit::Cidr>,
    /// Password attempts per client address per window; 0 turns the limit off.
    pub login_rate_limit: u32,
    pub login_rate_window: Duration,
    /// Password failures per account per window, then its password path answers 429; 0: off.
    pub account_failure_limit: u32,
    pub account_failure_window: Duration,
    /// All logins per address (IPv6 per /48) per minute; 0: off.
    pub login_flood_limit: u32,
    /// Login statistics flush and heartbeat period.
    pub stats_flush_interval: Duration,
    /// Statistics older than this are deleted.
    pub stats_retention: Duration,
    /// After SIGTERM, how long `/healthz` says 503 while connections are still accepted.
    pub drain_grace: Duration,
    /// Most bindings one account may hold in one mini program (a further first login answers
    /// 409 `binding_limit`); `None`: unlimited.
    pub max_bindings_per_app: Option<u32>,
    /// PostgreSQL session lookup queries running at once; the requests that arrive while they
    /// run share the next one (see `lookup`). 0: one query per request.
    pub session_lookups_in_flight: usize,
    /// A connection must send a whole request head (and a login its body) within this long
    /// of opening or of its last answer; then it is closed.
    pub header_read_timeout: Duration,
    /// Connections served at once; further ones wait in the kernel's listen queue until one
    /// closes.
    pub max_connections: usize,
    /// `[retention]`: the background purge of ended sessions.
    pub retention: retention::RetentionConfig,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            session_ttl: DEFAULT_SESSION_TTL,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            touch_interval: DEFAULT_TOUCH_INTERVAL,
            trusted_ip_header: None,
            trusted_proxies: Vec::new(),
            login_rate_limit: DEFAULT_LOGIN_RATE_LIMIT,
            login_rate_window: DEFAULT_LOGIN_RATE_WINDOW,
            account_failure_limit: DEFAULT_ACCOUNT_FAILURE_LIMIT,
            account_failure_window: DEFAULT_ACCOUNT_FAILURE_WINDOW,
            login_flood_limit: DEFAULT_LOGIN_FLOOD_LIMIT,
            stats_flush_interval: DEFAULT_STATS_FLUSH_INTERVAL,
            stats_retention: DEFAULT_STATS_RETENTION,
            drain_grace: DEFAULT_DRAIN_GRACE,
            max_bindings_per_app: None,
            session_lookups_in_flight: lookup::DEFAULT_IN_FLIGHT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            retention: retention::RetentionConfig::default(),
        }
    }
}

impl ServiceConfig {
    /// The `[service]` section over the defaults.
    pub fn from_section(s: &ServiceSection) -> Result<Self, ConfigError> {
        let d = ServiceConfig::default();
        let positive = |v: Option<u64>, name: &str, default: Duration| match v {
            Some(0) => Err(ConfigError::Invalid(format!(
                "[service] {name} must be at least 1 second"
            ))),
            Some(n) => Ok(Duration::from_secs(n)),
            None => Ok(default),
        };
        let trusted_ip_header = match s.trusted_ip_header.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(h) => Some(HeaderName::try_from(h).map_err(|_| {
                ConfigError::Invalid(format!(
                    "[service] trusted_ip_header {:?} is not a valid header name (e.g. \"X-Forwarded-For\")",
                    crate::sanitize::for_terminal(h)
                ))
            })?),
        };
        let mut trusted_proxies = Vec::new();
        for p in s.trusted_proxies.iter().flatten() {
            trusted_proxies.push(rate_limit::Cidr::parse(p).ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "[service] trusted_proxies: {:?} is not an address range (e.g. \"10.0.0.0/8\", \"::1/128\")",
                    crate::sanitize::for_terminal(p)
                ))
            })?);
        }
        if let Some(h) = &trusted_ip_header
            && trusted_proxies.is_empty()
        {
            return Err(ConfigError::Invalid(format!(
                "[service] trusted_ip_header = \"{h}\" is set but trusted_proxies is empty: the header would be believed from every client, so anyone reaching the service directly could choose their own address and walk past the per-address login limits. Set [service] trusted_proxies to the address ranges of the proxies in front of this service, e.g. trusted_proxies = [\"10.0.0.0/8\"] (or [\"127.0.0.1/32\"] for a proxy on this host), or remove trusted_ip_header if clients connect directly"
            )));
        }
        let max_connections = match s.max_connections {
            Some(n) if n == 0 || n > MAX_MAX_CONNECTIONS => {
                return Err(ConfigError::Invalid(format!(
                    "[service] max_connections must be between 1 and {MAX_MAX_CONNECTIONS}"
                )));
            }
            Some(n) => n,
            None => d.max_connections,
        };
        if s.max_bindings_per_app == Some(0) {
            return Err(ConfigError::Invalid(
                "[service] max_bindings_per_app must be at least 1 (leave it out for no limit)"
                    .into(),
            ));
        }
        let session_lookups_in_flight = match s.session_lookups_in_flight {
            Some(n) if n > lookup::MAX_IN_FLIGHT => {
                return Err(ConfigError::Invalid(format!(
                    "[service] session_lookups_in_flight must be at most {} (0: one query per request)",
                    lookup::MAX_IN_FLIGHT
                )));
            }
            Some(n) => n,
            None => d.session_lookups_in_flight,
        };
        Ok(ServiceConfig {
            header_read_timeout: positive(
                s.header_read_timeout_secs,
                "header_read_timeout_secs",
                d.header_read_timeout,
            )?,
            max_connections,
            max_bindings_per_app: s.max_bindings_per_app,
            session_lookups_in_flight,
            trusted_proxies,
            account_failure_limit: s.account_failure_limit.unwrap_or(d.account_failure_limit),
            account_failure_window: positive(
                s.account_failure_window_secs,
                "account_failure_window_secs",
                d.account_failure_window,
            )?,
            login_flood_limit: s.login_flood_limit.unwrap_or(d.login_flood_limit),
            session_ttl: positive(s.session_ttl_secs, "session_ttl_secs", d.session_ttl)?,
            idle_timeout: positive(s.idle_timeout_secs, "idle_timeout_secs", d.idle_timeout)?,
            trusted_ip_header,
            login_rate_limit: s.login_rate_limit.unwrap_or(d.login_rate_limit),
            login_rate_window: positive(
                s.login_rate_window_secs,
                "login_rate_window_secs",
                d.login_rate_window,
            )?,
            drain_grace: match s.drain_grace_ms {
                Some(ms) => Duration::from_millis(ms),
                None => d.drain_grace,
            },
            stats_retention: match s.stats_retention_days {
                Some(0) => {
                    return Err(ConfigError::Invalid(
                        "[service] stats_retention_days must be at least 1".to_owned(),
                    ));
                }
                Some(days) => Duration::from_secs(days.saturating_mul(86_400)),
                None => d.stats_retention,
            },
            ..d
        })
    }
}

pub(crate) struct Inner {
    pub store: Store,
    pub key: DataKey,
    pub wechat: WechatClient,
    pub cfg: ServiceConfig,
    pub ttl: chrono::Duration,
    pub idle: chrono::Duration,
    pub touch_interval: chrono::Duration,
    pub limiter: RateLimiter,
    pub metrics: Metrics,
    /// Login outcomes for the fleet's statistics tables.
    pub stats: LoginStats,
    /// Set on SIGTERM: `/healthz` answers 503 so that load balancers stop sending requests.
    pub draining: std::sync::atomic::AtomicBool,
    /// Argon2id takes ~19 MiB per verification: bound how many run at once.
    pub verify_slots: Semaphore,
    /// GET /me's and POST /logout's session lookups, coalesced under load.
    pub lookups: lookup::TokenLookups,
}

/// Everything a request needs. Cheap to clone.
#[derive(Clone)]
pub struct ServiceState(pub(crate) Arc<Inner>);

fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl ServiceState {
    pub fn new(store: Store, key: DataKey, wechat: WechatClient, cfg: ServiceConfig) -> Self {
        let slots = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .max(2);
        let metrics = Metrics::default();
        ServiceState(Arc::new(Inner {
            limiter: RateLimiter::new(
                rate_limit::Budget::new(cfg.login_rate_limit, cfg.login_rate_window),
                rate_limit::Budget::new(cfg.account_failure_limit, cfg.account_failure_window),
                rate_limit::Budget::new(cfg.login_flood_limit, Duration::from_secs(60)),
            ),
            ttl: chrono_dur(cfg.session_ttl),
            idle: chrono_dur(cfg.idle_timeout),
            touch_interval: chrono_dur(cfg.touch_interval),
            lookups: lookup::TokenLookups::new(
                store.clone(),
                cfg.session_lookups_in_flight,
                metrics.session_lookup_queries(),
            ),
            store,
            key,
            wechat,
            cfg,
            metrics,
            stats: LoginStats::default(),
            draining: std::sync::atomic::AtomicBool::new(false),
            verify_slots: Semaphore::new(slots),
        }))
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.0.cfg
    }

    /// From now on `/healthz` answers 503 (requests are still served).
    pub fn start_draining(&self) {
        self.0
            .draining
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.0.draining.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A running service. Dropping it stops the server too (without waiting).
pub struct ServiceHandle {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    purger: JoinHandle<()>,
    fleet: Fleet,
}

impl ServiceHandle {
    /// `http://ADDR`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// This instance's id in `service_instances`.
    pub fn instance_id(&self) -> &str {
        &self.fleet.instance_id
    }

    /// Stops accepting connections, lets requests in flight finish, writes the last
    /// statistics, marks the instance stopped, and returns when done.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.purger.abort();
        let r = match self.server.take() {
            Some(h) => h.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        };
        flush_limiter(&self.fleet.state.0).await;
        self.fleet.stop().await;
        r
    }
}

impl Drop for ServiceHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.purger.abort();
        self.fleet.task.abort();
        self.fleet.retention.abort();
    }
}

/// The fleet bookkeeping of one running instance: statistics flushes, heartbeat, retention.
struct Fleet {
    state: ServiceState,
    instance_id: String,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    retention: retention::Retention,
}

impl Fleet {
    /// Registers the instance and starts its background task.
    async fn start(state: &ServiceState, listen: SocketAddr) -> Fleet {
        let me = stats::this_instance(&listen.to_string());
        if let Err(e) = state.0.store.register_instance(&me).await {
            tracing::warn!(error = %e, "cannot record this instance in service_instances; retrying with the heartbeat");
        }
        let (tx, mut rx) = oneshot::channel::<()>();
        let st = state.clone();
        let instance_id = me.id.clone();
        let id = me.id.clone();
        let task = tokio::spawn(async move {
            let every = st.0.cfg.stats_flush_interval;
            let mut ticks: u64 = 0;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = &mut rx => break,
                }
                ticks += 1;
                let store = &st.0.store;
                match st.0.stats.flush(store, &id, store.now()).await {
                    Ok(f) => st.0.metrics.stats_flushed(f.outcome_upserts),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot write login statistics; keeping them for the next flush");
                    }
                }
                match store.instance_heartbeat(&id).await {
                    Ok(true) => {}
                    Ok(false) => {
                        if let Err(e) = store.register_instance(&me).await {
                            tracing::warn!(error = %e, "cannot record this instance");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot write the heartbeat"),
                }
                // The retention sweep about once a minute, a few small transactions at most.
                let purge_every = (60 / every.as_secs().max(1)).max(1);
                if (ticks - 1).is_multiple_of(purge_every) {
                    purge_old_stats(&st).await;
                }
            }
        });
        Fleet {
            retention: retention::Retention::start(state, &instance_id),
            state: state.clone(),
            instance_id,
            stop: Some(tx),
            task,
        }
    }

    /// Final flush, then the row says stopped.
    async fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        self.retention.stop().await;
        let store = &self.state.0.store;
        if let Err(e) = self
            .state
            .0
            .stats
            .flush(store, &self.instance_id, store.now())
            .await
        {
            tracing::warn!(error = %e, "cannot write the last login statistics");
        }
        if let Err(e) = store.mark_instance_stopped(&self.instance_id).await {
            tracing::warn!(error = %e, "cannot mark this instance stopped");
        }
    }
}

/// Deletes statistics older than the retention, a few small batches per call.
async fn purge_old_stats(st: &ServiceState) {
    let store = &st.0.store;
    let cutoff = crate::store::Ts::from(store.now() - chrono_dur(st.0.cfg.stats_retention));
    for _ in 0..10 {
        match store.purge_login_stats(cutoff, STATS_PURGE_MINUTES).await {
            Ok(0) => break,
            Ok(_) => tokio::task::yield_now().await,
            Err(e) => {
                tracing::warn!(error = %e, "cannot delete old login statistics");
                break;
            }
        }
    }
}

/// Binds `addr` (port 0 picks a free port) and serves in the background.
pub async fn spawn(state: ServiceState, addr: SocketAddr) -> std::io::Result<ServiceHandle> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let purger = spawn_purger(&state);
    let fleet = Fleet::start(&state, addr).await;
    let server = tokio::spawn(serve_on(state, listener, async move {
        let _ = rx.await;
    }));
    Ok(ServiceHandle {
        addr,
        shutdown: Some(tx),
        server: Some(server),
        purger,
        fleet,
    })
}

/// Writes the coarse ceiling's in-memory counts every second and deletes the limiter's
/// counters of windows that are over, once a minute.
fn spawn_purger(state: &ServiceState) -> JoinHandle<()> {
    let weak = Arc::downgrade(&state.0);
    tokio::spawn(async move {
        let every = rate_limit::FLOOD_FLUSH_INTERVAL;
        let purge_every = (60 / every.as_secs().max(1)).max(1);
        let mut ticks: u64 = 0;
        loop {
            tokio::time::sleep(every).await;
            ticks += 1;
            let Some(inner) = weak.upgrade() else { break };
            flush_limiter(&inner).await;
            if ticks.is_multiple_of(purge_every)
                && let Err(e) = inner.limiter.purge(&inner.store, inner.store.now()).await
            {
                tracing::warn!(error = %e, "cannot delete old login limiter counters");
            }
        }
    })
}

/// The coarse ceiling's unwritten counts into the shared table.
async fn flush_limiter(inner: &Inner) {
    if let Err(e) = inner
        .limiter
        .flush_flood(&inner.store, inner.store.now())
        .await
    {
        tracing::warn!(error = %e, "cannot write the login ceiling's counts; keeping them for the next flush");
    }
}

/// Serves on `listener` until `shutdown` completes, then finishes requests in flight.
///
/// HTTP/1.1 with keep-alive, one task per connection, with two limits `axum::serve` does not
/// set: a connection that has not sent a whole request head within `header_read_timeout` of
/// opening (or of its last answer) is closed, and at most `max_connections` are served at
/// once; while that many are open the listener accepts nothing and new connections wait in
/// the kernel's listen queue, so one client's stalled connections cannot hold memory and file
/// descriptors without end, and each of them frees its slot within the timeout.
pub async fn serve_on(
    state: ServiceState,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;

    let cfg = state.config().clone();
    let metrics = state.0.clone();
    let app = router(state);
    let slots = Arc::new(Semaphore::new(cfg.max_connections));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(cfg.header_read_timeout)
        .keep_alive(true);
    // Tells every connection to finish its request in flight and close.
    let (close_tx, close_rx) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut at_cap_logged = false;
    loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => {
                at_cap_logged = false;
                p
            }
            Err(_) => {
                if !at_cap_logged {
                    at_cap_logged = true;
                    tracing::warn!(
                        max_connections = cfg.max_connections,
                        "the login listener is serving max_connections: new connections wait until one closes"
                    );
                }
                metrics.metrics.connection_cap_reached();
                tokio::select! {
                    p = slots.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                    _ = &mut shutdown => break,
                }
            }
        };
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    if !matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionAborted
                            | std::io::ErrorKind::ConnectionReset
                            | std::io::ErrorKind::ConnectionRefused
                    ) {
                        tracing::error!(error = %e, "cannot accept a connection; retrying in 1 s");
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                            _ = &mut shutdown => break,
                        }
                    }
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Small JSON answers: do not let Nagle hold them back.
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(
            move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                app.clone().oneshot(req)
            },
        );
        let conn = http.serve_connection(TokioIo::new(tcp), service);
        let mut close = close_rx.clone();
        let inner = metrics.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _open = inner.metrics.connection_opened();
            let mut conn = std::pin::pin!(conn);
            let r = tokio::select! {
                r = conn.as_mut() => r,
                () = async {
                    let _ = close.wait_for(|closing| *closing).await;
                } => {
                    conn.as_mut().graceful_shutdown();
                    conn.as_mut().await
                }
            };
            if let Err(e) = r {
                if e.is_timeout() {
                    inner.metrics.header_timeout();
                    tracing::debug!(client = %peer, "connection closed: no whole request head within the header read timeout");
                } else {
                    tracing::debug!(client = %peer, error = %e, "connection ended with an error");
                }
            }
        });
    }
    drop(listener);
    let _ = close_tx.send(true);
    // Every connection holds a slot until it is done: all slots back means all done.
    let _ = slots.acquire_many(cfg.max_connections as u32).await;
    Ok(())
}

/// `wxlogin serve`
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (HOST:PORT). Default: [service] listen in the config file, then 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// Database connections in the pool (SQLite uses at most 8). Default: 4 per CPU, 8 to 32.
    #[arg(long, value_name = "N")]
    pub db_connections: Option<u32>,
    // `--allow-insecure-wechat` is a global option (config.rs): for `serve` it also accepts a
    // loopback, private or local host, which the service otherwise refuses because whoever can
    // reach an emulator can mint a login code for any user.
}

/// Why a WeChat base URL is not the real, TLS-protected API, if it is not: plain `http://`,
/// or a host that is loopback, private, link-local or a local name. `None` for
/// `https://api.weixin.qq.com` and any other public https host (a forward proxy).
pub fn insecure_wechat_url(base_url: &str) -> Option<String> {
    let Ok(url) = url::Url::parse(base_url) else {
        return Some("it is not a URL".into());
    };
    if url.scheme() != "https" {
        return Some(format!("it is {}://, not https://", url.scheme()));
    }
    let local = match url.host() {
        None => true,
        Some(url::Host::Ipv4(ip)) => local_v4(ip),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || ip.is_unique_local()
                || ip.is_unicast_link_local()
                || ip.to_ipv4_mapped().is_some_and(local_v4)
        }
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost"
                || d.ends_with(".localhost")
                || d.ends_with(".local")
                || d.ends_with(".internal")
                || d.ends_with(".lan")
                || d.ends_with(".home.arpa")
                || d.ends_with(".localdomain")
                || !d.contains('.')
        }
    };
    local.then(|| "its host is loopback, private or local (an emulator or a test proxy)".into())
}

/// Loopback, private (RFC 1918), shared carrier-grade NAT (100.64.0.0/10), link-local or
/// unspecified: an address that is not the public WeChat API.
fn local_v4(ip: std::net::Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || (a == 100 && (64..128).contains(&b))
}

/// Pool size for a server: enough connections to keep every core busy while others wait on
/// the network, few enough not to swamp the database.
pub fn default_pool_size() -> u32 {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(2);
    (cpus * 4).clamp(8, 32)
}

/// Opens a store for serving: a pool of `connections`, SQLite migrated, PostgreSQL checked.
pub async fn open_store(url: &str, connections: u32) -> Result<Store, Failure> {
    let store = Store::connect(
        url,
        ConnectOptions {
            max_connections: connections.max(1),
            ..Default::default()
        },
    )
    .await?;
    store.ensure_schema().await?;
    Ok(store)
}

/// How to make a data key, for every message that asks for one.
pub const DATA_KEY_HELP: &str = "make one with `umask 077; head -c32 /dev/urandom | base64 > /etc/wxlogin/data.key` \
and set WXLOGIN_DATA_KEY_FILE=/etc/wxlogin/data.key (or data_key_file in the config file); keep it: \
without it the stored session_keys cannot be read";

/// Reads the data key or explains how to make one.
pub fn require_data_key(file: &ConfigFile) -> Result<DataKey, Failure> {
    match config::data_key(file)? {
        Some(k) => Ok(k),
        None => Err(Failure::usage(format!(
            "no data key: the service encrypts WeChat session_keys at rest and refuses to start without one; {DATA_KEY_HELP}"
        ))),
    }
}

/// Runs `wxlogin serve` until Ctrl-C or SIGTERM.
pub async fn run(global: &GlobalOpts, file: &ConfigFile, args: &ServeArgs) -> Result<(), Failure> {
    if global.read_only || file.read_only {
        return Err(Failure::usage(
            "the login service writes sessions and bindings: it cannot run --read-only",
        ));
    }
    let key = require_data_key(file)?;
    let cfg = retention::apply(ServiceConfig::from_section(&file.service)?, file)?;
    let wcfg = WechatConfig::resolve(file)?;
    if wcfg.apps.is_empty() {
        return Err(Failure::usage(
            "no mini program configured: set WXLOGIN_APPID and WXLOGIN_APP_SECRET_FILE, or add [[apps]] to the config file",
        ));
    }
    if let Some(why) = insecure_wechat_url(&wcfg.base_url) {
        let host = wcfg.host();
        if !file.wechat.allow_insecure {
            return Err(Failure::usage(format!(
                "refusing the WeChat base URL at {host}: {why}. Anyone who can reach a WeChat emulator can mint a login code for any user, so the service only talks to https://api.weixin.qq.com (or a public https proxy) unless --allow-insecure-wechat is given, for drills and tests"
            )));
        }
        eprintln!(
            "wxlogin serve: warning: WeChat at {host} is not the real API ({why}); --allow-insecure-wechat is for drills and tests only"
        );
    }
    let wechat = WechatClient::new(wcfg).map_err(|e| Failure::usage(e.to_string()))?;
    let listen = args
        .listen
        .clone()
        .or_else(|| file.service.listen.clone())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    let url = config::database_url(global, file)?;
    let store = open_store(&url, args.db_connections.unwrap_or_else(default_pool_size)).await?;
    let listener = TcpListener::bind(&listen)
        .await
        .map_err(|e| Failure::runtime(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener.local_addr()?;
    let apps: Vec<String> = wechat
        .config()
        .apps
        .iter()
        .map(|a| a.appid.clone())
        .collect();
    eprintln!(
        "wxlogin serve: listening on http://{addr} · database {} · WeChat at {} · apps {} · sessions {}s absolute, {}s idle",
        store.redacted_url(),
        wechat.config().host(),
        apps.join(", "),
        cfg.session_ttl.as_secs(),
        cfg.idle_timeout.as_secs(),
    );
    if let Some(h) = &cfg.trusted_ip_header {
        // `from_section` refused a header without trusted_proxies.
        let list: Vec<String> = cfg.trusted_proxies.iter().map(|c| c.to_string()).collect();
        eprintln!(
            "wxlogin serve: client addresses are taken from the {h} header (right-most entry) when the connection comes from {}",
            list.join(", ")
        );
    }
    eprintln!(
        "wxlogin serve: connections: at most {} at once, {}s to send a request head",
        cfg.max_connections,
        cfg.header_read_timeout.as_secs()
    );
    let grace = cfg.drain_grace;
    let state = ServiceState::new(store.clone(), key, wechat, cfg);
    let purger = spawn_purger(&state);
    let mut fleet = Fleet::start(&state, addr).await;
    eprintln!(
        "wxlogin serve: instance {} (heartbeat and login statistics every {}s)",
        crate::sanitize::for_terminal(&fleet.instance_id),
        state.0.cfg.stats_flush_interval.as_secs_f64()
    );
    let draining = state.clone();
    let drain = async move {
        shutdown_signal().await;
        // Load balancers health-checking /healthz take this instance out while it still
        // answers; only then does it stop accepting connections.
        draining.start_draining();
        eprintln!(
            "wxlogin serve: draining: /healthz answers 503; new connections are accepted for {}s more, then requests in flight finish",
            grace.as_secs_f64()
        );
        tokio::time::sleep(grace).await;
    };
    let limiter_state = state.clone();
    let r = serve_on(state, listener, drain).await;
    purger.abort();
    flush_limiter(&limiter_state.0).await;
    fleet.stop().await;
    store.close().await;
    eprintln!("wxlogin serve: stopped");
    r.map_err(|e| Failure::runtime(format!("the server failed: {e}")))
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested: finishing requests in flight");
}
