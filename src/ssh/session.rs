//! One SSH connection: authentication by key, then its session channels: a PTY shell becomes a
//! console of its own, an exec request one headless command. Everything else is refused.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::SinkExt;
use russh::server::{
    Auth, ChannelOpenHandle, Handler, Msg, PublicKeyOffer, Session, VerifiedPublicKey,
};
use russh::{Channel, ChannelId, ChannelWriteHalf, Pty};
use tokio::sync::mpsc;

use super::backend::{ChannelBackend, Outbox};
use super::input::Decoder;
use super::keys::{self, Operator};
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
/// Input chunks queued per channel before the connection waits (backpressure).
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

/// What arrives on a channel after it started.
pub enum Input {
    Data(Vec<u8>),
    Resize(u16, u16),
    Eof,
}

#[derive(Default)]
struct ChanState {
    write: Option<ChannelWriteHalf<Msg>>,
    pty: Option<(u16, u16)>,
    env: Vec<(String, String)>,
    input: Option<mpsc::Sender<Input>>,
}

/// The handler of one connection.
pub struct Connection {
    door: Arc<Door>,
    peer: SocketAddr,
    /// Set once a key authenticated: whose it is and its fingerprint.
    who: Option<(Operator, String)>,
    channels: HashMap<ChannelId, ChanState>,
}

impl Connection {
    pub fn new(door: Arc<Door>, peer: SocketAddr) -> Self {
        tracing::info!(peer = %peer, "ssh connection accepted");
        Connection {
            door,
            peer,
            who: None,
            channels: HashMap::new(),
        }
    }

    fn actor(&self) -> Option<(Actor, String)> {
        let (op, fp) = self.who.as_ref()?;
        Some((
            Actor::new(
                op.name.clone(),
                op.role,
                Some(format!("ssh:{}", self.peer.ip())),
            )
            .with_key_fingerprint(fp.clone()),
            fp.clone(),
        ))
    }

    fn refuse(&self, what: &str, channel: ChannelId, session: &mut Session) -> anyhow::Result<()> {
        tracing::warn!(peer = %self.peer, operator = self.who.as_ref().map(|w| w.0.name.as_str()), request = what, "ssh request refused");
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
                tracing::warn!(peer = %self.peer, operator = %op.name, role = %op.role, fingerprint = %fp, "ssh authentication accepted");
                self.who = Some((op.clone(), fp));
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
            .retain(|_, c| c.input.as_ref().is_none_or(|tx| !tx.is_closed()));
        if self.who.is_none() || self.channels.len() >= MAX_CHANNELS {
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
            Some(c) if c.input.is_none() => {
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
            Some(c) if ok && c.input.is_none() && c.env.len() < ACCEPTED_ENV.len() * 2 => {
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
        let Some((actor, fp)) = self.actor() else {
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
        c.input = Some(tx);
        let no_color = c
            .env
            .iter()
            .rev()
            .find(|(k, _)| k == "NO_COLOR")
            .map(|(_, v)| std::ffi::OsString::from(v));
        session.channel_success(channel)?;
        tracing::warn!(peer = %self.peer, operator = %actor.operator, role = %actor.role, fingerprint = %fp, "ssh console started");
        let door = self.door.clone();
        tokio::spawn(run_console(door, actor, size, no_color, write, rx));
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some((actor, fp)) = self.actor() else {
            return self.refuse("exec", channel, session);
        };
        let Some(c) = self.channels.get_mut(&channel) else {
            return self.refuse("exec", channel, session);
        };
        let Some(write) = c.write.take() else {
            return self.refuse("exec", channel, session);
        };
        let (tx, rx) = mpsc::channel(INPUT_QUEUE);
        c.input = Some(tx);
        session.channel_success(channel)?;
        let line = String::from_utf8_lossy(data).into_owned();
        let job = exec::Job {
            door: self.door.clone(),
            actor,
            fingerprint: fp,
            peer: self.peer,
            line,
        };
        tokio::spawn(exec::run(job, write, rx));
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
        if let Some(tx) = self.channels.get(&channel).and_then(|c| c.input.clone()) {
            // Waiting here is the backpressure: a flood of input slows the sender down.
            let _ = tx.send(Input::Data(data.to_vec())).await;
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
            if let Some(tx) = c.input.clone() {
                let _ = tx.send(Input::Resize(size.0, size.1)).await;
            }
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(tx) = self.channels.get(&channel).and_then(|c| c.input.clone()) {
            let _ = tx.send(Input::Eof).await;
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
        if let Some((op, fp)) = &self.who {
            tracing::info!(peer = %self.peer, operator = %op.name, fingerprint = %fp, "ssh connection ended");
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
}

/// Runs one operator's console on one channel until they quit, go idle or go away.
async fn run_console(
    door: Arc<Door>,
    actor: Actor,
    size: (u16, u16),
    no_color: Option<std::ffi::OsString>,
    write: ChannelWriteHalf<Msg>,
    mut input: mpsc::Receiver<Input>,
) {
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
    let mut ctx = ConsoleContext::new(door.store.clone(), actor);
    // The header's database label: remote operators see the door and their role, not where the
    // database lives.
    ctx.db_label = format!("ssh door · role {role}");
    ctx.read_only = role == crate::operator::Role::Viewer;
    ctx.refresh = door.refresh;
    ctx.sparkline = door.sparkline;
    ctx.exchange = door.exchange.clone();
    ctx.theme = theme::Theme::for_no_color(no_color.as_deref());
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
            let got = tokio::time::timeout(wait, input.recv()).await;
            let events = match got {
                Ok(Some(Input::Data(bytes))) => {
                    last = Instant::now();
                    decoder.feed(&bytes)
                }
                Ok(Some(Input::Resize(c, r))) => {
                    last = Instant::now();
                    vec![Event::Resize(c, r)]
                }
                Ok(Some(Input::Eof)) | Ok(None) => return End::Gone,
                Err(_) => {
                    if last.elapsed() >= idle {
                        return End::Idle;
                    }
                    decoder.flush_escape()
                }
            };
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
    };
    tracing::warn!(operator = %who, reason = match end { End::Quit => "quit", End::Idle => "idle timeout", End::Gone => "client gone", End::Failed(_) => "failed" }, "ssh console ended");
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
