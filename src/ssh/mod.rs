//! `wxlogin ssh-server`: the console and the headless commands served over SSH, one door for
//! every operator.
//!
//! - Identity comes from the public key alone ([`keys::Operators`], the operators file, re-read
//!   on SIGHUP); the SSH user name is ignored. Passwords, keyboard-interactive and `none` are
//!   refused.
//! - A PTY session gets its own console ([`session`]): input decoded by [`input`], frames drawn
//!   by [`backend`] onto the channel.
//! - An exec request runs one headless command ([`exec`]) inside this process, on the door's
//!   own store, with no shell and the operator's identity set by the door.
//! - The server holds every credential (database, data key, AppSecrets); nothing of it goes to
//!   the operator's machine.

pub mod admission;
pub mod backend;
pub mod exec;
pub mod input;
pub mod keys;
pub mod session;

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use russh::MethodKind;
use russh::server::Config;
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use crate::config::{self, ConfigFile, GlobalOpts};
use crate::exit::Failure;
use crate::store::Store;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:2222";
pub const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 15 * 60;
pub const DEFAULT_MAX_CONNECTIONS: usize = 32;
/// Authentication attempts (keys offered with a signature, any method) per connection.
pub const MAX_AUTH_ATTEMPTS: usize = 6;
/// New connections one address (one /64 for IPv6) may open per [`RATE_WINDOW`].
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 20;
/// After telling the client its key was removed, how long the door waits for the connection to
/// end before it closes the socket itself.
const DISCONNECT_GRACE: Duration = Duration::from_secs(3);
pub const RATE_WINDOW: Duration = Duration::from_secs(60);

/// `wxlogin ssh-server` options.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SshServerArgs {
    /// Address to listen on. Default: `[ssh] listen`, else 127.0.0.1:2222.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// The server's OpenSSH private key; an ed25519 key is created (mode 0600) if missing.
    /// Default: `[ssh] host_key_file`.
    #[arg(long, value_name = "FILE")]
    pub host_key: Option<PathBuf>,
    /// Who may come in: TOML `[[operators]]` with name, role and keys. Re-read on SIGHUP.
    /// Default: `[ssh] operators_file`.
    #[arg(long, value_name = "FILE")]
    pub operators: Option<PathBuf>,
    /// Seconds without input after which a session ends. Default: `[ssh] idle_timeout_secs`,
    /// else 900.
    #[arg(long, value_name = "SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// Connections open at once. Default: `[ssh] max_connections`, else 32.
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Seconds a connection has to authenticate before it is closed. Default: `[ssh]
    /// auth_timeout_secs`, else 25.
    #[arg(long, value_name = "SECS")]
    pub auth_timeout_secs: Option<u64>,
    /// Of the connections, how many may be unauthenticated at once (the rest are kept for
    /// operators who authenticated). Default: `[ssh] max_unauthenticated`, else half of
    /// --max-connections.
    #[arg(long, value_name = "N")]
    pub max_unauthenticated: Option<usize>,
    /// Unauthenticated connections one address (one /64 for IPv6) may hold at once.
    /// Default: `[ssh] max_unauthenticated_per_address`, else 8.
    #[arg(long, value_name = "N")]
    pub max_unauthenticated_per_address: Option<usize>,
}

/// What every connection shares.
pub struct Door {
    /// The operators file as last loaded; a reload sends the new table to every connection and
    /// console (which look their key up again).
    pub operators: watch::Sender<Arc<keys::Operators>>,
    pub store: Store,
    /// The server's configuration, as loaded at start (exec commands use it).
    pub file: ConfigFile,
    pub exchange: crate::console::views::exchange::ExchangeSetup,
    pub refresh: Duration,
    /// `[console] sparkline` for the consoles this door serves.
    pub sparkline: crate::console::views::overview::SparkStyle,
    pub idle_timeout: Duration,
    /// Runs an exec command in this process (the binary's parser and dispatch).
    pub run: exec::ExecRun,
    /// Fault injection, for tests only: a console this door serves panics when its operator
    /// presses this key, as a bug in a view would, so a test can see that one console's panic
    /// ends only that session. Every door [`run`] starts has `None` (no option or setting
    /// reaches it), which costs one comparison per key.
    #[doc(hidden)]
    pub fault_panic_on_key: Option<char>,
}

impl Door {
    pub fn operators(&self) -> Arc<keys::Operators> {
        self.operators.borrow().clone()
    }
}

/// Per-address connection rate (per /64 for IPv6, see [`admission::address_key`]).
#[derive(Default)]
struct RateLimit {
    seen: HashMap<IpAddr, VecDeque<Instant>>,
}

impl RateLimit {
    fn allow(&mut self, ip: IpAddr, now: Instant) -> bool {
        let ip = admission::address_key(ip);
        // Forget addresses whose window has passed, so the map stays small.
        if self.seen.len() > 4096 {
            self.seen.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) < RATE_WINDOW)
            });
        }
        let q = self.seen.entry(ip).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= RATE_WINDOW)
        {
            q.pop_front();
        }
        if q.len() >= MAX_CONNECTIONS_PER_ADDRESS {
            return false;
        }
        q.push_back(now);
        true
    }
}

/// Runs the door until SIGTERM or SIGINT.
pub async fn run(
    global: &GlobalOpts,
    file: &ConfigFile,
    args: SshServerArgs,
    run_exec: exec::ExecRun,
) -> Result<(), Failure> {
    let listen = args
        .listen
        .or_else(|| file.ssh.listen.clone())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    let host_key_path = args
        .host_key
        .or_else(|| file.ssh.host_key_file.clone())
        .ok_or_else(|| {
            Failure::usage(
                "ssh-server needs --host-key FILE (or [ssh] host_key_file in the config file)",
            )
        })?;
    let operators_path = args
        .operators
        .or_else(|| file.ssh.operators_file.clone())
        .ok_or_else(|| {
            Failure::usage(
                "ssh-server needs --operators FILE (or [ssh] operators_file in the config file)",
            )
        })?;
    let idle_timeout = Duration::from_secs(
        args.idle_timeout_secs
            .or(file.ssh.idle_timeout_secs)
            .unwrap_or(DEFAULT_IDLE_TIMEOUT_SECS)
            .max(1),
    );
    let max_connections = args
        .max_connections
        .or(file.ssh.max_connections)
        .unwrap_or(DEFAULT_MAX_CONNECTIONS)
        .max(1);
    let limits = admission::Limits::new(
        max_connections,
        args.max_unauthenticated.or(file.ssh.max_unauthenticated),
        args.max_unauthenticated_per_address
            .or(file.ssh.max_unauthenticated_per_address),
        Duration::from_secs(
            args.auth_timeout_secs
                .or(file.ssh.auth_timeout_secs)
                .unwrap_or(admission::DEFAULT_AUTH_TIMEOUT_SECS),
        ),
    );

    let (host_key, created) =
        keys::load_or_create_host_key(&host_key_path).map_err(Failure::usage)?;
    let fp = keys::fingerprint(host_key.public_key());
    let operators = keys::Operators::load(&operators_path).map_err(Failure::usage)?;

    let url = config::database_url(global, file)?;
    let store = Store::open(&url).await?;
    let listener = TcpListener::bind(&listen)
        .await
        .map_err(|e| Failure::runtime(format!("cannot listen on {listen}: {e}")))?;
    let local_addr = listener
        .local_addr()
        .map_err(|e| Failure::runtime(format!("cannot listen on {listen}: {e}")))?;

    let door = Arc::new(Door {
        operators: watch::Sender::new(Arc::new(operators)),
        store,
        file: file.clone(),
        exchange: crate::console::views::exchange::ExchangeSetup::from_config(file),
        refresh: match file.console.refresh_secs {
            Some(0) => Duration::MAX,
            Some(s) => Duration::from_secs(s),
            None => Duration::from_secs(crate::console::DEFAULT_REFRESH_SECS),
        },
        sparkline: file.console.sparkline.unwrap_or_default(),
        idle_timeout,
        run: run_exec,
        fault_panic_on_key: None,
    });

    let mut methods = russh::MethodSet::empty();
    methods.push(MethodKind::PublicKey);
    let config = Arc::new(Config {
        server_id: russh::SshId::Standard("SSH-2.0-wxlogin".into()),
        methods,
        keys: vec![host_key],
        max_auth_attempts: MAX_AUTH_ATTEMPTS,
        auth_rejection_time: Duration::from_millis(300),
        auth_rejection_time_initial: Some(Duration::ZERO),
        // Our own idle timeout ends sessions with a message; this only collects connections
        // that never open a session (e.g. stuck in authentication).
        inactivity_timeout: Some(idle_timeout + Duration::from_secs(60)),
        nodelay: true,
        ..Default::default()
    });

    if created {
        println!("created host key {}", host_key_path.display());
    }
    println!("host key fingerprint: {fp}");
    println!(
        "listening on {local_addr} ({} operator keys from {})",
        door.operators().key_count(),
        operators_path.display()
    );
    tracing::info!(%local_addr, fingerprint = %fp, max_connections = limits.max_connections, max_unauthenticated = limits.max_unauthenticated, max_unauthenticated_per_address = limits.max_unauthenticated_per_address, auth_timeout_secs = limits.auth_timeout.as_secs(), "ssh-server listening");

    let mut sighup = signal(SignalKind::hangup()).map_err(|e| Failure::runtime(e.to_string()))?;
    let mut sigterm =
        signal(SignalKind::terminate()).map_err(|e| Failure::runtime(e.to_string()))?;
    let mut sigint =
        signal(SignalKind::interrupt()).map_err(|e| Failure::runtime(e.to_string()))?;
    let admission = admission::Admission::new(limits);
    let rate = Mutex::new(RateLimit::default());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (socket, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        // EMFILE and the like: wait a little instead of spinning.
                        tracing::warn!(error = %e, "ssh accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let allowed = rate
                    .lock()
                    .map(|mut r| r.allow(peer.ip(), Instant::now()))
                    .unwrap_or(false);
                if !allowed {
                    tracing::warn!(peer = %peer, reason = "too many connections from this address", "ssh connection refused");
                    continue;
                }
                let ticket = match admission.admit(peer) {
                    Ok((ticket, _evicted)) => ticket,
                    Err(refused) => {
                        tracing::warn!(peer = %peer, reason = refused.reason(), limit = refused.limit(), "ssh connection refused");
                        continue;
                    }
                };
                tokio::spawn(serve_connection(door.clone(), config.clone(), socket, peer, ticket, limits.auth_timeout));
            }
            _ = sighup.recv() => {
                match keys::Operators::load(&operators_path) {
                    Ok(ops) => {
                        let n = ops.key_count();
                        // Every connection and console looks its key up in the new table.
                        door.operators.send_replace(Arc::new(ops));
                        tracing::warn!(keys = n, "ssh operators file re-read");
                        eprintln!("wxlogin ssh-server: operators file re-read ({n} keys)");
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "ssh operators file rejected; keeping the previous one");
                        eprintln!("wxlogin ssh-server: operators file rejected, keeping the previous one: {e}");
                    }
                }
            }
            _ = sigterm.recv() => break,
            _ = sigint.recv() => break,
        }
    }
    eprintln!("wxlogin ssh-server: stopping");
    Ok(())
}

/// Serves one connection and watches it from outside the SSH session: it is closed when it has
/// not authenticated by `auth_timeout`, or when a newer connection needs its unauthenticated
/// slot ([`admission`]), and ended, with an SSH disconnect message, when a reload of the
/// operators file removes its key. Each channel's request looks the key up again as well
/// ([`session::Connection`]), so a removed key can do nothing in between.
async fn serve_connection(
    door: Arc<Door>,
    config: Arc<Config>,
    socket: TcpStream,
    peer: SocketAddr,
    ticket: admission::Ticket,
    auth_timeout: Duration,
) {
    let _ = socket.set_nodelay(true);
    // A second handle on the socket, to close it from here whatever the session is doing.
    let control = socket2::SockRef::from(&socket).try_clone().ok();
    let close = || {
        if let Some(c) = &control {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    };
    let link = session::Link::new(Some(ticket));
    let mut reloads = door.operators.subscribe();
    let handler = session::Connection::linked(door.clone(), peer, link.clone());
    let deadline = tokio::time::sleep(auth_timeout);
    tokio::pin!(deadline);
    let evicted = async {
        match link.ticket() {
            Some(t) => t.evicted().await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(evicted);
    let not_authenticated = |peer: SocketAddr| {
        tracing::warn!(peer = %peer, timeout_secs = auth_timeout.as_secs(), "ssh connection closed: not authenticated within the deadline");
    };
    let made_room = |peer: SocketAddr| {
        tracing::warn!(peer = %peer, reason = "the unauthenticated connections' share was full; the oldest made room for a new one", "ssh connection closed: not authenticated yet");
    };

    // Until the SSH session runs (the client's banner).
    let start = russh::server::run_stream(config, QuickAck(socket), handler);
    let running = tokio::select! {
        r = start => match r {
            Ok(running) => running,
            Err(e) => {
                tracing::info!(peer = %peer, error = %e, "ssh connection setup failed");
                return;
            }
        },
        // Dropping the unfinished start drops the socket.
        _ = &mut deadline => {
            not_authenticated(peer);
            close();
            return;
        }
        _ = &mut evicted => {
            made_room(peer);
            close();
            return;
        }
    };
    let handle = running.handle();
    tokio::pin!(running);
    // After the socket was shut: the session sees the end of its input and stops; it is not
    // waited for beyond the grace.
    async fn finish<F: std::future::Future<Output = Result<(), anyhow::Error>> + Unpin>(
        running: F,
    ) -> Result<(), anyhow::Error> {
        tokio::time::timeout(DISCONNECT_GRACE, running)
            .await
            .unwrap_or(Ok(()))
    }
    let mut authenticated = false;
    let mut reloads_open = true;
    let result = loop {
        tokio::select! {
            r = &mut running => break r,
            _ = link.authenticated(), if !authenticated => authenticated = true,
            _ = &mut deadline, if !authenticated => {
                // Authenticated at the very moment the deadline fired: it stays.
                if link.ticket().is_some_and(|t| t.is_authenticated()) {
                    authenticated = true;
                    continue;
                }
                not_authenticated(peer);
                close();
                break finish(&mut running).await;
            }
            _ = &mut evicted, if !authenticated => {
                made_room(peer);
                close();
                break finish(&mut running).await;
            }
            changed = reloads.changed(), if reloads_open => {
                if changed.is_err() {
                    reloads_open = false;
                    continue;
                }
                let ops = reloads.borrow_and_update().clone();
                let Some((key, fingerprint, operator)) = link.key() else { continue };
                if ops.lookup(&key).is_some() {
                    continue;
                }
                tracing::warn!(peer = %peer, operator = %operator, fingerprint = %fingerprint, "ssh connection ended: its key was removed from the operators file");
                // Its consoles say so on their own channels first (they watch the reload too).
                tokio::time::sleep(Duration::from_millis(300)).await;
                let _ = tokio::time::timeout(
                    DISCONNECT_GRACE,
                    handle.disconnect(
                        russh::Disconnect::ByApplication,
                        "your key was removed from the operators file".into(),
                        "en".into(),
                    ),
                )
                .await;
                match tokio::time::timeout(DISCONNECT_GRACE, &mut running).await {
                    Ok(r) => break r,
                    Err(_) => {
                        close();
                        break finish(&mut running).await;
                    }
                }
            }
        }
    };
    if let Err(e) = result {
        tracing::info!(peer = %peer, error = %e, "ssh connection ended with an error");
    }
    tracing::info!(peer = %peer, "ssh connection closed");
}

/// A connection that acknowledges what it receives at once (`TCP_QUICKACK`, re-armed after every
/// read and write, since the kernel leaves quick-ack mode whenever it sees a reply follow a
/// request).
///
/// Without it, a client that does not set `TCP_NODELAY` before authentication (OpenSSH does not
/// for a command without a PTY) waits about 40 ms during the key exchange on every connection:
/// its key-exchange packet sits behind Nagle's algorithm until this side acknowledges the
/// client's KEXINIT, and this side delays that acknowledgement because it already sent its own
/// KEXINIT and has nothing to say yet.
struct QuickAck(tokio::net::TcpStream);

impl QuickAck {
    fn ack_now(&self) {
        // Best effort: on failure the connection works, only slower.
        let _ = socket2::SockRef::from(&self.0).set_tcp_quickack(true);
    }
}

impl tokio::io::AsyncRead for QuickAck {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let r = std::pin::Pin::new(&mut self.0).poll_read(cx, buf);
        if r.is_ready() {
            self.ack_now();
        }
        r
    }
}

impl tokio::io::AsyncWrite for QuickAck {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.0).poll_write(cx, buf);
        if r.is_ready() {
            self.ack_now();
        }
        r
    }
    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.0).poll_write_vectored(cx, bufs);
        if r.is_ready() {
            self.ack_now();
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
