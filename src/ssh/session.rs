//! One SSH connection: authentication by key, then its session channels: a PTY shell becomes a
//! console of its own, an exec request one headless command. Everything else is refused.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use futures::SinkExt;
use russh::keys::ssh_key::PublicKey;
use russh::server::{
    Auth, ChannelOpenHandle, Handler, Msg, PublicKeyOffer, Session, VerifiedPublicKey,
};
use russh::{Channel, ChannelId, ChannelWriteHalf, Pty};
use tokio::sync::{Notify, mpsc, watch};

use super::admission::Ticket;
use super::backend::{ChannelBackend, Outbox};
use super::input::Decoder;
use super::keys::{self, Operator, Operators};
use super::{Door, exec};
use crate::console::event::Event;
use crate::console::{App, ConsoleContext, driver, theme};
use crate::operator::Actor;
use crate::sanitize::for_terminal;

/// Screens are clamped to this (a 10000x10000 window-change must not allocate 100M cells).
pub const MAX_COLS: u16 = 500;
pub const MAX_ROWS: u16 = 200;
/// Below this nothing readable fits; smaller sizes are drawn at this size.
pub const MIN_COLS: u16 = 20;
pub const MIN_ROWS: u16 = 5;
/// A lone ESC is the Esc key when nothing follows it within this.
pub const ESC_TIMEOUT: Duration = Duration::from_millis(50);
/// Session channels open at once on one connection.
pub const MAX_CHANNELS: usize = 4;
/// Input chunks queued for a console. The connection's handler never waits for a full queue
/// (while it waits, russh processes nothing else on the connection, not even the window
/// adjustments that let output through): past this, keys are dropped, with a log line.
const INPUT_QUEUE: usize = 64;
/// Decoded input events a console may be behind by. Past this the console is not keeping up
/// (a burst of junk, a paste without bracketed paste into a busy console): further keys and
/// pastes are dropped, with a log line, instead of queueing without bound. Size changes are
/// never dropped.
pub const INPUT_BUDGET: usize = 1024;
/// Dropped input is logged at most this often per console (with the count since the last line).
const DROP_LOG_EVERY: Duration = Duration::from_secs(1);
/// A console whose output has not moved for this long has a client that is not reading: logged
/// once per stall (its frames are coalesced meanwhile, see [`super::backend`]).
pub const STALL_LOG_AFTER: Duration = Duration::from_secs(3);

/// Environment variables a client may set; every other `env` request is refused.
pub const ACCEPTED_ENV: [&str; 4] = ["NO_COLOR", "TERM", "LANG", "COLORTERM"];

pub fn clamp_size(cols: u32, rows: u32) -> (u16, u16) {
    (
        cols.clamp(MIN_COLS as u32, MAX_COLS as u32) as u16,
        rows.clamp(MIN_ROWS as u32, MAX_ROWS as u32) as u16,
    )
}

/// [`clamp_size`], with a log line when the client asked for a size out of range.
fn clamp_size_logged(peer: SocketAddr, cols: u32, rows: u32) -> (u16, u16) {
    let size = clamp_size(cols, rows);
    if (u32::from(size.0), u32::from(size.1)) != (cols, rows) {
        tracing::warn!(peer = %peer, requested = %format!("{cols}x{rows}"), used = %format!("{}x{}", size.0, size.1), "ssh window size out of range, clamped");
    }
    size
}

/// What a console's channel sends it: input, or a wake-up to look at [`ConsoleSignals`].
enum Input {
    Data(Vec<u8>),
    /// The window changed: the size is in [`ConsoleSignals`] (the latest one wins).
    Resize,
    /// The client sent EOF ([`ConsoleSignals::eof`] is set).
    Eof,
}

/// What a console must never miss even when its input queue is full: its size and the end of
/// its input. The handler sets them, then wakes the console if the queue has room (the console
/// also looks at them at least once a second).
#[derive(Default)]
struct ConsoleSignals {
    resize: Mutex<Option<(u16, u16)>>,
    eof: AtomicBool,
}

impl ConsoleSignals {
    fn take_resize(&self) -> Option<(u16, u16)> {
        self.resize.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// Where a started channel's input goes.
#[derive(Default)]
enum Feed {
    /// No shell or exec yet.
    #[default]
    None,
    Console {
        tx: mpsc::Sender<Input>,
        signals: Arc<ConsoleSignals>,
        dropped: u64,
        last_drop_log: Option<Instant>,
    },
    Exec(ExecFeed),
}

/// A command's stdin, and the flag that tells it the client went away.
struct ExecFeed {
    /// `None` once closed: EOF from the client, the command ended, or the command did not
    /// keep up with what was sent (the rest is discarded: the door never waits for it).
    stdin: Option<mpsc::Sender<Vec<u8>>>,
    interrupted: Arc<AtomicBool>,
}

impl Drop for ExecFeed {
    /// The channel closed or the connection ended: nobody reads the command's output any more.
    fn drop(&mut self) {
        self.interrupted.store(true, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct ChanState {
    write: Option<ChannelWriteHalf<Msg>>,
    pty: Option<(u16, u16)>,
    env: Vec<(String, String)>,
    feed: Feed,
    /// Alive while the channel's console or command runs (the task holds the `Arc`).
    running: Option<Weak<()>>,
}

/// A key that authenticated on this connection, and what the operators file said about it
/// when it was last looked up.
struct Authed {
    key: PublicKey,
    fingerprint: String,
    operator: Operator,
}

/// What a connection's handler shares with the task that supervises the connection (see
/// [`super::run`]): its slot, and which key authenticated.
pub struct Link {
    ticket: Option<Ticket>,
    key: Mutex<Option<(PublicKey, String, String)>>,
    authenticated: Notify,
}

impl Link {
    pub fn new(ticket: Option<Ticket>) -> Arc<Self> {
        Arc::new(Link {
            ticket,
            key: Mutex::new(None),
            authenticated: Notify::new(),
        })
    }

    pub fn ticket(&self) -> Option<&Ticket> {
        self.ticket.as_ref()
    }

    /// The key that authenticated (key, fingerprint, operator name as authenticated).
    pub fn key(&self) -> Option<(PublicKey, String, String)> {
        self.key.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Completes once a key authenticated (at once if one already did).
    pub async fn authenticated(&self) {
        self.authenticated.notified().await
    }
}

/// The handler of one connection.
pub struct Connection {
    door: Arc<Door>,
    peer: SocketAddr,
    /// Set once a key authenticated.
    who: Option<Authed>,
    channels: HashMap<ChannelId, ChanState>,
    link: Option<Arc<Link>>,
}

impl Connection {
    /// A connection with no supervisor: no slot accounting, no authentication deadline, no end
    /// on reload (only the per-channel lookups). [`super::run`] uses [`Connection::linked`].
    pub fn new(door: Arc<Door>, peer: SocketAddr) -> Self {
        tracing::info!(peer = %peer, "ssh connection accepted");
        Connection {
            door,
            peer,
            who: None,
            channels: HashMap::new(),
            link: None,
        }
    }

    /// A connection whose slot and key its supervising task watches.
    pub fn linked(door: Arc<Door>, peer: SocketAddr, link: Arc<Link>) -> Self {
        let mut c = Connection::new(door, peer);
        c.link = Some(link);
        c
    }

    /// The authenticated key's operator as the operators file says *now* (it may have been
    /// reloaded since the key authenticated), as the actor of a request: `None`, with a log
    /// line naming the key, when the key is no longer listed. A changed role (or name) is
    /// logged and applies from this request on.
    fn current(&mut self, request: &str) -> Option<(Actor, String, PublicKey)> {
        let a = self.who.as_mut()?;
        let ops = self.door.operators();
        let Some(op) = ops.lookup(&a.key) else {
            tracing::warn!(peer = %self.peer, operator = %a.operator.name, fingerprint = %a.fingerprint, request, "ssh request refused: the key was removed from the operators file");
            return None;
        };
        if *op != a.operator {
            tracing::warn!(peer = %self.peer, operator = %op.name, fingerprint = %a.fingerprint, was = %a.operator.role, role = %op.role, was_name = %a.operator.name, request, "ssh key's operator or role changed by a reload of the operators file; this and later channels use the new one");
            a.operator = op.clone();
        }
        Some((
            Actor::new(
                op.name.clone(),
                op.role,
                Some(format!("ssh:{}", self.peer.ip())),
            )
            .with_key_fingerprint(a.fingerprint.clone()),
            a.fingerprint.clone(),
            a.key.clone(),
        ))
    }

    fn refuse(&self, what: &str, channel: ChannelId, session: &mut Session) -> anyhow::Result<()> {
        tracing::warn!(peer = %self.peer, operator = self.who.as_ref().map(|w| w.operator.name.as_str()), fingerprint = self.who.as_ref().map(|w| w.fingerprint.as_str()), request = what, "ssh request refused");
        session.channel_failure(channel)?;
        Ok(())
    }
}

impl Handler for Connection {
    type Error = anyhow::Error;

    async fn auth_none(&mut self, _user: &str) -> Result<Auth, Self::Error> {
        Ok(Auth::Reject {
            proceed_with_methods: Some(publickey_only()),
            partial_success: false,
        })
    }

    async fn auth_password(&mut self, _user: &str, _password: &str) -> Result<Auth, Self::Error> {
        tracing::warn!(peer = %self.peer, reason = "password authentication is not accepted", "ssh authentication refused");
        Ok(Auth::Reject {
            proceed_with_methods: Some(publickey_only()),
            partial_success: false,
        })
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        _user: &str,
        _submethods: &str,
        _response: Option<russh::server::Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        tracing::warn!(peer = %self.peer, reason = "keyboard-interactive authentication is not accepted", "ssh authentication refused");
        Ok(Auth::Reject {
            proceed_with_methods: Some(publickey_only()),
            partial_success: false,
        })
    }

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        if self.door.operators().lookup(offer.public_key).is_some() {
            Ok(Auth::Accept)
        } else {
            tracing::warn!(peer = %self.peer, fingerprint = %keys::fingerprint(offer.public_key), reason = "key not in the operators file", "ssh authentication refused");
            Ok(Auth::reject())
        }
    }

    async fn auth_publickey(
        &mut self,
        _user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let fp = keys::fingerprint(key.public_key);
        match self.door.operators().lookup(key.public_key) {
            Some(op) => {
                if let Some(link) = &self.link {
                    if link.ticket().is_some_and(|t| !t.authenticated()) {
                        // Closed to make room a moment ago: it is on its way out.
                        tracing::warn!(peer = %self.peer, fingerprint = %fp, reason = "the connection was closed to make room for a newer one", "ssh authentication refused");
                        return Ok(Auth::reject());
                    }
                    *link.key.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some((key.public_key.clone(), fp.clone(), op.name.clone()));
                    link.authenticated.notify_one();
                }
                tracing::warn!(peer = %self.peer, operator = %op.name, role = %op.role, fingerprint = %fp, "ssh authentication accepted");
                self.who = Some(Authed {
                    key: key.public_key.clone(),
                    fingerprint: fp,
                    operator: op.clone(),
                });
                Ok(Auth::Accept)
            }
            None => {
                tracing::warn!(peer = %self.peer, fingerprint = %fp, reason = "key not in the operators file", "ssh authentication refused");
                Ok(Auth::reject())
            }
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Channels whose console or command has ended no longer count.
        self.channels
            .retain(|_, c| c.running.as_ref().is_none_or(|r| r.strong_count() > 0));
        if self.current("channel open").is_none() || self.channels.len() >= MAX_CHANNELS {
            reply
                .reject(russh::ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            return Ok(());
        }
        let id = channel.id();
        // The read half is dropped: requests and data arrive through this handler, and an
        // unread half would stall the connection once its buffer filled.
        let (_read, write) = channel.split();
        self.channels.insert(
            id,
            ChanState {
                write: Some(write),
                ..Default::default()
            },
        );
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        match self.channels.get_mut(&channel) {
            Some(c) if c.running.is_none() => {
                c.pty = Some(clamp_size_logged(self.peer, col_width, row_height));
                session.channel_success(channel)?;
                Ok(())
            }
            _ => self.refuse("pty-req", channel, session),
        }
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let ok = ACCEPTED_ENV.contains(&name) && value.len() <= 256;
        match self.channels.get_mut(&channel) {
            Some(c) if ok && c.running.is_none() && c.env.len() < ACCEPTED_ENV.len() * 2 => {
                c.env.push((name.to_owned(), value.to_owned()));
                session.channel_success(channel)?;
                Ok(())
            }
            _ => {
                tracing::debug!(peer = %self.peer, variable = %for_terminal(name), "ssh env request ignored");
                session.channel_failure(channel)?;
                Ok(())
            }
        }
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Subscribed before the lookup: a reload from here on reaches the console.
        let reloads = self.door.operators.subscribe();
        let Some((actor, fp, key)) = self.current("shell") else {
            return self.refuse("shell", channel, session);
        };
        let Some(c) = self.channels.get_mut(&channel) else {
            return self.refuse("shell", channel, session);
        };
        let (Some(size), Some(write)) = (c.pty, c.write.take()) else {
            // No PTY: there is no shell to give; say so on stderr and close.
            if let Some(write) = c.write.take() {
                session.channel_success(channel)?;
                tokio::spawn(async move {
                    let _ = write
                        .extended_data_bytes(1, &b"wxlogin: there is no shell here. Use `ssh -t` for the console, or give a command (e.g. `sessions list`).\r\n"[..])
                        .await;
                    let _ = write.exit_status(2).await;
                    let _ = write.eof().await;
                    let _ = write.close().await;
                });
                return Ok(());
            }
            return self.refuse("shell", channel, session);
        };
        let (tx, rx) = mpsc::channel(INPUT_QUEUE);
        let signals = Arc::new(ConsoleSignals::default());
        c.feed = Feed::Console {
            tx,
            signals: signals.clone(),
            dropped: 0,
            last_drop_log: None,
        };
        let alive = Arc::new(());
        c.running = Some(Arc::downgrade(&alive));
        let no_color = c
            .env
            .iter()
            .rev()
            .find(|(k, _)| k == "NO_COLOR")
            .map(|(_, v)| std::ffi::OsString::from(v));
        let lang = channel_lang(self.who.as_ref().and_then(|w| w.operator.lang), &c.env);
        session.channel_success(channel)?;
        tracing::warn!(peer = %self.peer, operator = %actor.operator, role = %actor.role, fingerprint = %fp, "ssh console started");
        let console = Console {
            door: self.door.clone(),
            actor,
            key,
            size,
            no_color,
            lang,
            write,
            input: rx,
            signals,
            reloads,
        };
        tokio::spawn(async move {
            let _alive = alive;
            run_console(console).await
        });
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some((actor, fp, _)) = self.current("exec") else {
            return self.refuse("exec", channel, session);
        };
        let Some(c) = self.channels.get_mut(&channel) else {
            return self.refuse("exec", channel, session);
        };
        let Some(write) = c.write.take() else {
            return self.refuse("exec", channel, session);
        };
        let lang = channel_lang(self.who.as_ref().and_then(|w| w.operator.lang), &c.env);
        let (stdin_tx, stdin_rx) = mpsc::channel(exec::STDIN_QUEUE);
        let interrupted = Arc::new(AtomicBool::new(false));
        c.feed = Feed::Exec(ExecFeed {
            stdin: Some(stdin_tx),
            interrupted: interrupted.clone(),
        });
        let alive = Arc::new(());
        c.running = Some(Arc::downgrade(&alive));
        session.channel_success(channel)?;
        let job = exec::Job {
            door: self.door.clone(),
            actor,
            fingerprint: fp,
            peer: self.peer,
            line: data.to_vec(),
            lang,
        };
        tokio::spawn(async move {
            let _alive = alive;
            exec::run(job, write, stdin_rx, interrupted).await
        });
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.refuse(
            &format!("subsystem {}", for_terminal(name)),
            channel,
            session,
        )
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single: bool,
        _proto: &str,
        _cookie: &str,
        _screen: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.refuse("x11", channel, session)
    }

    async fn agent_request(
        &mut self,
        _channel: ChannelId,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        tracing::warn!(peer = %self.peer, request = "agent forwarding", "ssh request refused");
        Ok(false)
    }

    async fn tcpip_forward(
        &mut self,
        _address: &str,
        _port: &mut u32,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        tracing::warn!(peer = %self.peer, request = "remote port forwarding", "ssh request refused");
        Ok(false)
    }

    async fn channel_open_direct_tcpip(
        &mut self,
        _channel: Channel<Msg>,
        _host_to_connect: &str,
        _port_to_connect: u32,
        _originator_address: &str,
        _originator_port: u32,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        tracing::warn!(peer = %self.peer, request = "port forwarding", "ssh request refused");
        reply
            .reject(russh::ChannelOpenFailure::AdministrativelyProhibited)
            .await;
        Ok(())
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Never wait here: while this handler waits, russh processes nothing else on the
        // connection (no window adjustment, so no output either). Input that finds no room is
        // dropped (console) or ends the command's stdin (exec).
        let peer = self.peer;
        let who = self.who.as_ref().map(|w| w.operator.name.clone());
        let Some(c) = self.channels.get_mut(&channel) else {
            return Ok(());
        };
        match &mut c.feed {
            Feed::None => {}
            Feed::Console {
                tx,
                dropped,
                last_drop_log,
                ..
            } => {
                if let Err(mpsc::error::TrySendError::Full(_)) =
                    tx.try_send(Input::Data(data.to_vec()))
                {
                    *dropped += 1;
                    if last_drop_log.is_none_or(|t| t.elapsed() >= DROP_LOG_EVERY) {
                        tracing::warn!(peer = %peer, operator = who.as_deref(), dropped = *dropped, "ssh console input dropped: the console is not taking its input");
                        *last_drop_log = Some(Instant::now());
                        *dropped = 0;
                    }
                }
            }
            Feed::Exec(feed) => {
                if let Some(stdin) = &feed.stdin {
                    match stdin.try_send(data.to_vec()) {
                        Ok(()) => {}
                        Err(mpsc::error::TrySendError::Full(_)) => {
                            tracing::warn!(peer = %peer, operator = who.as_deref(), queued_chunks = exec::STDIN_QUEUE, "ssh exec stdin closed: the command is not reading it; the rest is discarded");
                            feed.stdin = None;
                        }
                        // The command no longer reads stdin (it ended, or dropped it).
                        Err(mpsc::error::TrySendError::Closed(_)) => feed.stdin = None,
                    }
                }
            }
        }
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        channel: ChannelId,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(c) = self.channels.get_mut(&channel) {
            let size = clamp_size_logged(self.peer, col_width, row_height);
            if c.pty.is_some() {
                c.pty = Some(size);
            }
            if let Feed::Console { tx, signals, .. } = &c.feed {
                *signals.resize.lock().unwrap_or_else(|e| e.into_inner()) = Some(size);
                let _ = tx.try_send(Input::Resize);
            }
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(c) = self.channels.get_mut(&channel) {
            match &mut c.feed {
                Feed::None => {}
                Feed::Console { tx, signals, .. } => {
                    signals.eof.store(true, Ordering::SeqCst);
                    let _ = tx.try_send(Input::Eof);
                }
                // The command reads what is queued, then end of input.
                Feed::Exec(feed) => feed.stdin = None,
            }
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Dropping the sender ends the console or the command's input.
        self.channels.remove(&channel);
        Ok(())
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(a) = &self.who {
            tracing::info!(peer = %self.peer, operator = %a.operator.name, fingerprint = %a.fingerprint, "ssh connection ended");
        }
    }
}

fn publickey_only() -> russh::MethodSet {
    let mut m = russh::MethodSet::empty();
    m.push(russh::MethodKind::PublicKey);
    m
}

const ENTER: &[u8] = b"\x1b[?1049h\x1b[?2004h\x1b[?25l\x1b[2J\x1b[H";
const LEAVE: &[u8] = b"\x1b[?2004l\x1b[?1049l\x1b[?25h";

/// Why a console ended, as the operator is told.
enum End {
    Quit,
    Idle,
    Gone,
    Failed(String),
    /// A reload of the operators file gave the key another role (or name).
    Changed(Operator),
    /// A reload of the operators file removed the key.
    Removed,
}

/// The language of one channel: the operator's `lang` wins, then the `LANG` the client sent
/// on this channel (the door's own environment plays no part), then English.
fn channel_lang(
    operator: Option<crate::i18n::Lang>,
    env: &[(String, String)],
) -> crate::i18n::Lang {
    let client = env
        .iter()
        .rev()
        .find(|(k, _)| k == "LANG")
        .map(|(_, v)| v.as_str());
    crate::i18n::Lang::for_door(operator, client)
}

/// Everything one console needs.
struct Console {
    door: Arc<Door>,
    actor: Actor,
    /// The key that opened it, looked up again on every reload of the operators file.
    key: PublicKey,
    size: (u16, u16),
    no_color: Option<std::ffi::OsString>,
    /// This console's language (the operator's entry, else their client's LANG, else en).
    lang: crate::i18n::Lang,
    write: ChannelWriteHalf<Msg>,
    input: mpsc::Receiver<Input>,
    signals: Arc<ConsoleSignals>,
    reloads: watch::Receiver<Arc<Operators>>,
}

/// What a reload of the operators file means for a console of `actor` opened with `key`:
/// `None` when it may go on as it is.
fn after_reload(ops: &Operators, key: &PublicKey, actor: &Actor) -> Option<End> {
    match ops.lookup(key) {
        None => Some(End::Removed),
        Some(op) if op.role != actor.role || op.name != actor.operator => {
            Some(End::Changed(op.clone()))
        }
        Some(_) => None,
    }
}

/// Runs one operator's console on one channel until they quit, go idle or go away, or a reload
/// of the operators file changes their role or removes their key.
///
/// A console whose role changed ends (with a message saying so) rather than switching to the
/// new role in place: its role is fixed when it starts (what it offers, what it marks, what
/// it may do), and a console that kept running with the old one would be the very thing a
/// downgrade is meant to stop. The operator reconnects and gets the new role's console.
async fn run_console(console: Console) {
    let Console {
        door,
        actor,
        key,
        size,
        no_color,
        lang,
        write,
        mut input,
        signals,
        mut reloads,
    } = console;
    let fingerprint = actor.key_fingerprint.clone().unwrap_or_default();
    let out = Outbox::new();
    out.push(ENTER);
    let who = actor.operator.clone();
    let writer = {
        let out = out.clone();
        let who = who.clone();
        async move {
            while let Some(bytes) = out.next().await {
                let began = Instant::now();
                let sent = write.data_bytes(bytes);
                tokio::pin!(sent);
                let result = match tokio::time::timeout(STALL_LOG_AFTER, &mut sent).await {
                    Ok(r) => r,
                    Err(_) => {
                        // Once per stall: the client has not taken a byte for a while (its
                        // window is shut); frames are coalesced until it reads again.
                        let coalesced = out.coalesced();
                        tracing::warn!(operator = %who, blocked_secs = STALL_LOG_AFTER.as_secs(), "ssh client is not reading its console output; frames are coalesced until it does");
                        let r = sent.await;
                        if r.is_ok() {
                            tracing::info!(operator = %who, blocked_ms = began.elapsed().as_millis() as u64, frames_coalesced = out.coalesced() - coalesced, "ssh client reads its console output again");
                        }
                        r
                    }
                };
                if result.is_err() {
                    break;
                }
            }
            write
        }
    };
    let writer = tokio::spawn(writer);

    let role = actor.role;
    let actor_now = actor.clone();
    let mut ctx = ConsoleContext::new(door.store.clone(), actor);
    // The header's database label: remote operators see the door and their role, not where the
    // database lives.
    ctx.read_only = role == crate::operator::Role::Viewer;
    ctx.refresh = door.refresh;
    ctx.sparkline = door.sparkline;
    ctx.exchange = door.exchange.clone();
    ctx.theme = theme::Theme::for_no_color(no_color.as_deref());
    ctx.tr = lang.tr();
    ctx.db_label = crate::tr!(
        ctx.tr,
        "console-door-label",
        role = crate::present::refusal::role_name(&ctx.tr, role)
    );
    ctx.size = size;
    // Export: `:export` would write on the server; remote operators use `sessions list
    // --format csv --all` through the door instead.
    ctx.export_files = false;
    let (mut ev_tx, ev_rx) =
        futures::channel::mpsc::channel::<std::io::Result<Event>>(INPUT_BUDGET);
    let console_out = out.clone();
    let panic_on = door.fault_panic_on_key;
    let console = tokio::spawn(async move {
        let mut app = App::new(ctx);
        app.resize(size.0, size.1);
        let backend = ChannelBackend::new(console_out, size);
        let mut terminal = driver::terminal(backend, size)?;
        // Fault injection for the door's tests only (`Door::fault_panic_on_key`, `None` in
        // every door `wxlogin ssh-server` starts): the console's own task panics on that key,
        // as a bug in a view would.
        let ev_rx = futures::StreamExt::inspect(ev_rx, move |ev| {
            if let (Some(c), Ok(Event::Key(k))) = (panic_on, ev)
                && k.code == crossterm::event::KeyCode::Char(c)
            {
                panic!("fault injection: the console was told to panic on {c:?}");
            }
        });
        driver::drive(&mut app, &mut terminal, ev_rx).await
    });
    let abort = console.abort_handle();

    let idle = door.idle_timeout;
    let pump = async {
        let mut reloads_open = true;
        let mut decoder = Decoder::new();
        let mut last = Instant::now();
        let mut dropped: u64 = 0;
        let mut last_drop_log: Option<Instant> = None;
        loop {
            let wait = if decoder.escape_pending() {
                ESC_TIMEOUT
            } else {
                Duration::from_secs(1)
            };
            if signals.eof.load(Ordering::SeqCst) {
                return End::Gone;
            }
            let mut events = Vec::new();
            if let Some((c, r)) = signals.take_resize() {
                last = Instant::now();
                events.push(Event::Resize(c, r));
            }
            tokio::select! {
                got = tokio::time::timeout(wait, input.recv()), if events.is_empty() => match got {
                    Ok(Some(Input::Data(bytes))) => {
                        last = Instant::now();
                        events = decoder.feed(&bytes);
                    }
                    // The size or the end is in `signals`: the next turn takes it.
                    Ok(Some(Input::Resize)) | Ok(Some(Input::Eof)) => {}
                    Ok(None) => return End::Gone,
                    Err(_) => {
                        if last.elapsed() >= idle {
                            return End::Idle;
                        }
                        events = decoder.flush_escape();
                    }
                },
                changed = reloads.changed(), if reloads_open => match changed {
                    Ok(()) => {
                        let ops = reloads.borrow_and_update().clone();
                        if let Some(end) = after_reload(&ops, &key, &actor_now) {
                            return end;
                        }
                    }
                    // The door is going away; its consoles end with it.
                    Err(_) => reloads_open = false,
                },
                // Resize events to deliver first.
                _ = std::future::ready(()), if !events.is_empty() => {}
            }
            for ev in events {
                let sent = if matches!(ev, Event::Resize(..)) {
                    ev_tx.send(Ok(ev)).await.map_err(|e| e.is_disconnected())
                } else {
                    ev_tx.try_send(Ok(ev)).map_err(|e| e.is_disconnected())
                };
                match sent {
                    Ok(()) => {}
                    // The console ended; its result says why.
                    Err(true) => std::future::pending::<()>().await,
                    // Full: the console is [`INPUT_BUDGET`] events behind.
                    Err(false) => {
                        dropped += 1;
                        if last_drop_log.is_none_or(|t| t.elapsed() >= DROP_LOG_EVERY) {
                            tracing::warn!(operator = %who, dropped, budget = INPUT_BUDGET, "ssh console input dropped: the console is too far behind its input");
                            last_drop_log = Some(Instant::now());
                            dropped = 0;
                        }
                    }
                }
            }
        }
    };
    let end = tokio::select! {
        r = console => match r {
            Ok(Ok(_)) => End::Quit,
            Ok(Err(e)) => End::Failed(format!("terminal error: {e}")),
            Err(e) if e.is_panic() => {
                let msg = panic_message(e.into_panic());
                tracing::error!(operator = %who, panic = %msg, "ssh console panicked; its session ends");
                End::Failed("internal error (logged)".into())
            }
            Err(_) => End::Gone,
        },
        end = pump => { abort.abort(); end }
    };
    let (text, status) = match &end {
        End::Quit => (String::new(), 0),
        End::Idle => (
            format!(
                "wxlogin: no input for {} minutes; session ended.\r\n",
                idle.as_secs().div_ceil(60)
            ),
            0,
        ),
        End::Gone => (String::new(), 0),
        End::Failed(why) => (format!("wxlogin: the console stopped: {why}.\r\n"), 1),
        End::Changed(op) if op.name != who => (
            format!(
                "wxlogin: the operators file was reloaded and this key now belongs to {} (role {}); this console ended. Connect again (ssh -t) for a console as {}.\r\n",
                for_terminal(&op.name),
                op.role,
                for_terminal(&op.name)
            ),
            1,
        ),
        End::Changed(op) => (
            format!(
                "wxlogin: the operators file was reloaded and your role is now {} (was {role}); this console ended. Connect again (ssh -t) for a console with the {} role.\r\n",
                op.role, op.role
            ),
            1,
        ),
        End::Removed => (
            "wxlogin: the operators file was reloaded and your key is no longer in it; this console ended.\r\n".to_owned(),
            1,
        ),
    };
    let reason = match &end {
        End::Quit => "quit",
        End::Idle => "idle timeout",
        End::Gone => "client gone",
        End::Failed(_) => "failed",
        End::Changed(_) => "role changed by a reload of the operators file",
        End::Removed => "key removed from the operators file",
    };
    match &end {
        End::Changed(op) => {
            tracing::warn!(operator = %who, fingerprint = %fingerprint, was = %role, role = %op.role, new_name = %op.name, reason, "ssh console ended")
        }
        _ => {
            tracing::warn!(operator = %who, fingerprint = %fingerprint, reason, "ssh console ended")
        }
    }
    out.push(LEAVE);
    out.push(text.as_bytes());
    out.close();
    // A client that stopped reading does not hold this task forever.
    if let Ok(Ok(write)) = tokio::time::timeout(Duration::from_secs(5), writer).await {
        let _ = write.exit_status(status).await;
        let _ = write.eof().await;
        let _ = write.close().await;
    }
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic".to_owned()
    }
}
