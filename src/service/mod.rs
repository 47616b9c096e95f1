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
pub mod metrics;
pub mod rate_limit;
mod routes;

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
/// Client addresses the rate limiter remembers at most.
pub const DEFAULT_RATE_LIMIT_MAX_CLIENTS: usize = 100_000;
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
    /// Login attempts per client address per window; 0 turns the limit off.
    pub login_rate_limit: u32,
    pub login_rate_window: Duration,
    pub rate_limit_max_clients: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            session_ttl: DEFAULT_SESSION_TTL,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            touch_interval: DEFAULT_TOUCH_INTERVAL,
            trusted_ip_header: None,
            login_rate_limit: DEFAULT_LOGIN_RATE_LIMIT,
            login_rate_window: DEFAULT_LOGIN_RATE_WINDOW,
            rate_limit_max_clients: DEFAULT_RATE_LIMIT_MAX_CLIENTS,
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
        Ok(ServiceConfig {
            session_ttl: positive(s.session_ttl_secs, "session_ttl_secs", d.session_ttl)?,
            idle_timeout: positive(s.idle_timeout_secs, "idle_timeout_secs", d.idle_timeout)?,
            trusted_ip_header,
            login_rate_limit: s.login_rate_limit.unwrap_or(d.login_rate_limit),
            login_rate_window: positive(
                s.login_rate_window_secs,
                "login_rate_window_secs",
                d.login_rate_window,
            )?,
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
    /// Argon2id takes ~19 MiB per verification: bound how many run at once.
    pub verify_slots: Semaphore,
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
        ServiceState(Arc::new(Inner {
            limiter: RateLimiter::new(
                cfg.login_rate_limit,
                cfg.login_rate_window,
                cfg.rate_limit_max_clients,
            ),
            ttl: chrono_dur(cfg.session_ttl),
            idle: chrono_dur(cfg.idle_timeout),
            touch_interval: chrono_dur(cfg.touch_interval),
            store,
            key,
            wechat,
            cfg,
            metrics: Metrics::default(),
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
}

/// A running service. Dropping it stops the server too (without waiting).
pub struct ServiceHandle {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    purger: JoinHandle<()>,
}

impl ServiceHandle {
    /// `http://ADDR`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets requests in flight finish, and returns when done.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.purger.abort();
        match self.server.take() {
            Some(h) => h.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        }
    }
}

impl Drop for ServiceHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.purger.abort();
    }
}

/// Binds `addr` (port 0 picks a free port) and serves in the background.
pub async fn spawn(state: ServiceState, addr: SocketAddr) -> std::io::Result<ServiceHandle> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let purger = spawn_purger(&state);
    let server = tokio::spawn(serve_on(state, listener, async move {
        let _ = rx.await;
    }));
    Ok(ServiceHandle {
        addr,
        shutdown: Some(tx),
        server: Some(server),
        purger,
    })
}

/// Drops rate-limiter entries that no longer matter, once per window.
fn spawn_purger(state: &ServiceState) -> JoinHandle<()> {
    let weak = Arc::downgrade(&state.0);
    let every = state.0.limiter.window();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            match weak.upgrade() {
                Some(inner) => {
                    inner.limiter.purge();
                }
                None => break,
            }
        }
    })
}

/// Serves on `listener` until `shutdown` completes, then finishes requests in flight.
pub async fn serve_on(
    state: ServiceState,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        // Small JSON answers: do not let Nagle hold them back.
        let _ = tcp.set_nodelay(true);
    });
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
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
    let cfg = ServiceConfig::from_section(&file.service)?;
    let wcfg = WechatConfig::resolve(file)?;
    if wcfg.apps.is_empty() {
        return Err(Failure::usage(
            "no mini program configured: set WXLOGIN_APPID and WXLOGIN_APP_SECRET_FILE, or add [[apps]] to the config file",
        ));
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
        eprintln!(
            "wxlogin serve: client addresses are taken from the {h} header (right-most entry): only run behind a proxy that sets it"
        );
    }
    let state = ServiceState::new(store.clone(), key, wechat, cfg);
    let purger = spawn_purger(&state);
    let r = serve_on(state, listener, shutdown_signal()).await;
    purger.abort();
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
