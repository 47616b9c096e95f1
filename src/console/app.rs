//! The console's state and the one place it changes: keys become [`Action`]s
//! ([`App::handle_key`]), actions are carried out by [`App::update`], and results of background
//! tasks are applied by [`App::apply`]. Drawing only reads this state (see [`super::ui`]).

use std::future::Future;
use std::time::{Duration, Instant};

use crossterm::event::{KeyEvent, KeyEventKind};
use futures::FutureExt;
use tokio::sync::mpsc;
use zeroize::Zeroize;

use super::action::Action;
use super::confirm::{Confirm, Count, Operation, Phase, thousands};
use super::filter::{self, Command};
use super::input::TextInput;
use super::keymap::{self, Scope};
use super::tasks::{Envelope, Msg, Outcome};
use super::theme::Theme;
use super::views::{audit::AuditState, bindings::BindingsState, sessions::SessionsState};
use crate::operator::Actor;
use crate::store::{DEFAULT_REVOKE_BATCH, Store, StoreError, Ts};

/// Everything the console needs from outside: built once by [`super::run`] (or a test).
pub struct ConsoleContext {
    pub store: Store,
    /// The database as the header names it: the redacted URL (never a password).
    pub db_label: String,
    pub actor: Actor,
    pub read_only: bool,
    /// Live refresh interval of the Sessions and Audit views.
    pub refresh: Duration,
    pub theme: Theme,
    /// Rows per transaction in a bulk revoke.
    pub revoke_batch: i64,
    pub exchange: super::views::exchange::ExchangeSetup,
}

impl ConsoleContext {
    pub fn new(store: Store, actor: Actor) -> Self {
        ConsoleContext {
            db_label: store.redacted_url().to_owned(),
            store,
            actor,
            read_only: false,
            refresh: Duration::from_secs(5),
            theme: Theme::from_env(),
            revoke_batch: DEFAULT_REVOKE_BATCH,
            exchange: Default::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Sessions,
    Bindings,
    Exchange,
    Audit,
}

impl View {
    pub const ALL: [View; 4] = [View::Sessions, View::Bindings, View::Exchange, View::Audit];

    pub fn title(self) -> &'static str {
        match self {
            View::Sessions => "Sessions",
            View::Bindings => "Bindings",
            View::Exchange => "Exchange",
            View::Audit => "Audit",
        }
    }

    pub fn scope(self) -> Scope {
        match self {
            View::Sessions => Scope::Sessions,
            View::Bindings => Scope::Bindings,
            View::Exchange => Scope::Exchange,
            View::Audit => Scope::Audit,
        }
    }

    fn index(self) -> usize {
        View::ALL.iter().position(|v| *v == self).unwrap_or(0)
    }
}

/// What a prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// `:` command line.
    Command,
    /// `/` filter of the current view.
    Filter,
    /// A pasted SessionId (masked; hashed, then wiped).
    Token,
    /// A pasted login code (masked).
    Code,
    /// Which emulator test user to mint a code for.
    MintUser,
}

impl PromptKind {
    pub fn label(self, view: View) -> &'static str {
        match (self, view) {
            (PromptKind::Command, _) => ":",
            (PromptKind::Filter, View::Bindings) => {
                "search (openid, unionid, username, account id): "
            }
            (PromptKind::Filter, View::Audit) => "filter (operator= action= target=): ",
            (PromptKind::Filter, _) => "filter (account= appid= openid= unionid= ip= id= all): ",
            (PromptKind::Token, _) => "SessionId (masked, hashed, never stored): ",
            (PromptKind::Code, _) => "login code (masked): ",
            (PromptKind::MintUser, _) => "emulator test user: ",
        }
    }
}

#[derive(Debug)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: TextInput,
}

#[derive(Debug)]
pub enum Overlay {
    Help { scroll: u16 },
    Prompt(Prompt),
    Confirm(Box<Confirm>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Ok,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub kind: StatusKind,
    pub text: String,
    /// When it was set: messages fade after a while ([`STATUS_FOR`], errors [`ERROR_FOR`]).
    pub at: Instant,
}

/// How long an info or success message stays on the status line.
pub const STATUS_FOR: Duration = Duration::from_secs(10);
/// How long an error stays (it may need reading twice).
pub const ERROR_FOR: Duration = Duration::from_secs(30);

/// Seconds between reconnection attempts while the database is unreachable.
const PING_EVERY: Duration = Duration::from_secs(2);

pub struct App {
    pub ctx: ConsoleContext,
    pub view: View,
    pub overlay: Option<Overlay>,
    pub status: Option<Status>,
    pub sessions: SessionsState,
    pub bindings: BindingsState,
    pub audit: AuditState,
    pub exchange: super::views::exchange::ExchangeState,
    /// Set while the database is unreachable: the banner's text.
    pub db_down: Option<String>,
    /// Terminal size (columns, rows), for paging and layout.
    pub size: (u16, u16),
    /// "Now" for relative times, from the store's clock (fixed in tests).
    pub now: Ts,
    /// Advances on each tick: the loading spinner.
    pub spinner: usize,
    pub quit: bool,
    tx: mpsc::UnboundedSender<Envelope>,
    rx: mpsc::UnboundedReceiver<Envelope>,
    pending: usize,
    next_dialog: u64,
    ping_in_flight: bool,
    last_ping: Option<Instant>,
    last_refresh: Instant,
    /// Set when something the audit view shows may have changed.
    pub(crate) audit_stale: bool,
}

impl App {
    /// A console over `ctx`, with the first page of sessions requested. Must be called inside
    /// a tokio runtime.
    pub fn new(ctx: ConsoleContext) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let now = Ts::from(ctx.store.now());
        let exchange = super::views::exchange::ExchangeState::new(&ctx.exchange);
        let mut app = App {
            ctx,
            view: View::Sessions,
            overlay: None,
            status: None,
            sessions: SessionsState::default(),
            bindings: BindingsState::default(),
            audit: AuditState::default(),
            exchange,
            db_down: None,
            size: (80, 24),
            now,
            spinner: 0,
            quit: false,
            tx,
            rx,
            pending: 0,
            next_dialog: 0,
            ping_in_flight: false,
            last_ping: None,
            last_refresh: Instant::now(),
            audit_stale: true,
        };
        app.reload_sessions();
        app
    }

    // ---- running background work -------------------------------------------------------

    /// Runs `fut` on a task; its message comes back through [`App::apply`].
    pub(crate) fn spawn<F>(&mut self, fut: F)
    where
        F: Future<Output = Msg> + Send + 'static,
    {
        self.pending += 1;
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let msg = match std::panic::AssertUnwindSafe(fut).catch_unwind().await {
                Ok(m) => m,
                Err(p) => Msg::Panicked(panic_text(p.as_ref())),
            };
            let _ = tx.send(Envelope { msg, last: true });
        });
    }

    /// A sender for progress reports (not the end of a task).
    pub(crate) fn progress_sender(&self) -> mpsc::UnboundedSender<Envelope> {
        self.tx.clone()
    }

    /// Background tasks not yet finished.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Waits for the next background message (for the event loop).
    pub async fn next_message(&mut self) -> Option<Envelope> {
        self.rx.recv().await
    }

    /// Applies messages until no background task is left (for tests and scripted use).
    pub async fn settle(&mut self) {
        loop {
            while let Ok(env) = self.rx.try_recv() {
                self.receive(env);
            }
            if self.pending == 0 {
                return;
            }
            match tokio::time::timeout(Duration::from_secs(30), self.rx.recv()).await {
                Ok(Some(env)) => self.receive(env),
                Ok(None) => return,
                Err(_) => panic!("console background work did not finish within 30 s"),
            }
        }
    }

    /// Applies one message from the channel.
    pub fn receive(&mut self, env: Envelope) {
        if env.last {
            self.pending = self.pending.saturating_sub(1);
        }
        self.apply(env.msg);
    }

    // ---- status line -------------------------------------------------------------------

    pub fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            kind: StatusKind::Info,
            text: text.into(),
            at: Instant::now(),
        });
    }

    pub fn ok(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            kind: StatusKind::Ok,
            text: text.into(),
            at: Instant::now(),
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            kind: StatusKind::Error,
            text: text.into(),
            at: Instant::now(),
        });
    }

    /// Reports a store error; a lost connection also raises the banner.
    pub(crate) fn store_error(&mut self, what: &str, e: &StoreError) -> String {
        let text = format!("{what}: {e}");
        if e.is_connection() {
            self.db_down = Some(e.to_string());
        }
        self.error(crate::sanitize::for_terminal(&text).into_owned());
        text
    }

    // ---- input ---------------------------------------------------------------------------

    /// The scope whose keys apply now.
    pub fn scope(&self) -> Scope {
        match &self.overlay {
            Some(Overlay::Confirm(_)) => Scope::Dialog,
            Some(Overlay::Prompt(_)) => Scope::Prompt,
            Some(Overlay::Help { .. }) => Scope::Global,
            None => self.view.scope(),
        }
    }

    /// Rows of the current list that fit on screen (for paging).
    pub fn list_height(&self) -> usize {
        let banner = usize::from(self.db_down.is_some());
        (self.size.1 as usize).saturating_sub(7 + banner).max(1)
    }

    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.size = (cols, rows);
    }

    /// Handles one key press.
    pub fn handle_key(&mut self, ev: KeyEvent) {
        if ev.kind == KeyEventKind::Release {
            return;
        }
        match self.overlay.take() {
            Some(Overlay::Help { scroll }) => {
                match keymap::lookup(Scope::Global, &ev) {
                    Some(Action::Down) => {
                        self.overlay = Some(Overlay::Help {
                            scroll: scroll.saturating_add(1),
                        })
                    }
                    Some(Action::Up) => {
                        self.overlay = Some(Overlay::Help {
                            scroll: scroll.saturating_sub(1),
                        })
                    }
                    Some(Action::PageDown) => {
                        self.overlay = Some(Overlay::Help {
                            scroll: scroll.saturating_add(10),
                        })
                    }
                    Some(Action::PageUp) => {
                        self.overlay = Some(Overlay::Help {
                            scroll: scroll.saturating_sub(10),
                        })
                    }
                    Some(Action::Quit) if ev.modifiers.is_empty() => {} // q closes help only
                    Some(Action::Quit) => self.quit = true,
                    _ => {} // any other key closes help
                }
            }
            Some(Overlay::Prompt(mut p)) => match keymap::lookup(Scope::Prompt, &ev) {
                Some(Action::Confirm) => self.accept_prompt(p),
                Some(Action::Cancel) => {
                    p.input.clear();
                }
                _ => {
                    p.input.handle(&ev);
                    self.overlay = Some(Overlay::Prompt(p));
                }
            },
            Some(Overlay::Confirm(mut c)) => match keymap::lookup(Scope::Dialog, &ev) {
                Some(Action::Confirm) => self.confirm(c),
                Some(Action::Cancel) => self.cancel_dialog(c),
                _ => {
                    if !c.is_running() {
                        c.reason.handle(&ev);
                        c.error = None;
                    }
                    self.overlay = Some(Overlay::Confirm(c));
                }
            },
            None => {
                if let Some(a) = keymap::lookup(self.view.scope(), &ev) {
                    self.update(a);
                }
            }
        }
    }

    /// Bracketed paste: goes to the open prompt or dialog; ignored otherwise (a pasted
    /// SessionId must never be taken for a stream of commands). The pasted text is wiped.
    pub fn handle_paste(&mut self, mut text: String) {
        match &mut self.overlay {
            Some(Overlay::Prompt(p)) => p.input.insert_str(&text),
            Some(Overlay::Confirm(c)) if !c.is_running() => c.reason.insert_str(&text),
            _ => self.info(match self.view {
                View::Sessions => "paste ignored: press t first to find a session by its SessionId",
                View::Exchange => "paste ignored: press c first to paste a login code",
                _ => "paste ignored: press / first",
            }),
        }
        text.zeroize();
    }

    /// Opens a prompt.
    pub(crate) fn prompt(&mut self, kind: PromptKind, input: TextInput) {
        self.overlay = Some(Overlay::Prompt(Prompt { kind, input }));
    }

    fn accept_prompt(&mut self, mut p: Prompt) {
        match p.kind {
            PromptKind::Command => {
                let line = p.input.value().to_owned();
                match filter::parse_command(&line) {
                    Ok(cmd) => self.run_command(cmd),
                    Err(e) => self.error(e),
                }
            }
            PromptKind::Filter => {
                let text = p.input.value().to_owned();
                match self.view {
                    View::Sessions => match filter::parse_session_filter(&text) {
                        Ok(f) => self.set_session_filter(f),
                        Err(e) => self.error(e),
                    },
                    View::Bindings => match filter::parse_binding_search(&text) {
                        Ok(s) => self.search_bindings(s),
                        Err(e) => self.error(e),
                    },
                    View::Audit => match filter::parse_audit_filter(&text) {
                        Ok(f) => self.set_audit_filter(f),
                        Err(e) => self.error(e),
                    },
                    View::Exchange => {}
                }
            }
            PromptKind::Token => {
                let hash = p.input.consume(|raw| {
                    if raw.trim().is_empty() {
                        None
                    } else {
                        Some(crate::crypto::SessionToken::from_raw(raw).hash())
                    }
                });
                match hash {
                    Some(h) => self.find_by_token(h),
                    None => self.info("no SessionId given"),
                }
            }
            PromptKind::Code => self.exchange_code_entered(&mut p.input),
            PromptKind::MintUser => {
                let user = p.input.value().trim().to_owned();
                self.mint_code(user);
            }
        }
        p.input.clear();
    }

    fn run_command(&mut self, cmd: Command) {
        match cmd {
            Command::Quit => self.quit = true,
            Command::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Command::Sessions(f) => {
                self.show(View::Sessions);
                self.set_session_filter(f);
            }
            Command::Bindings(s) => {
                self.show(View::Bindings);
                if s.is_some() {
                    self.search_bindings(s);
                }
            }
            Command::Exchange => self.show(View::Exchange),
            Command::Audit(f) => {
                self.show(View::Audit);
                self.set_audit_filter(f);
            }
        }
    }

    // ---- actions ---------------------------------------------------------------------------

    /// Carries out an action in the current view.
    pub fn update(&mut self, action: Action) {
        if action.is_mutating() && self.ctx.read_only {
            self.error(format!(
                "read-only: {} is refused (--read-only)",
                action.verb()
            ));
            return;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::CommandLine => self.prompt(PromptKind::Command, TextInput::new()),
            Action::NextView => self.show(View::ALL[(self.view.index() + 1) % View::ALL.len()]),
            Action::PrevView => {
                self.show(View::ALL[(self.view.index() + View::ALL.len() - 1) % View::ALL.len()])
            }
            Action::ShowSessions => self.show(View::Sessions),
            Action::ShowBindings => self.show(View::Bindings),
            Action::ShowExchange => self.show(View::Exchange),
            Action::ShowAudit => self.show(View::Audit),
            other => match self.view {
                View::Sessions => self.sessions_action(other),
                View::Bindings => self.bindings_action(other),
                View::Exchange => self.exchange_action(other),
                View::Audit => self.audit_action(other),
            },
        }
    }

    pub fn show(&mut self, view: View) {
        self.view = view;
        match view {
            View::Audit if self.audit_stale || !self.audit.window.loaded => {
                self.audit_stale = false;
                self.reload_audit();
            }
            _ => {}
        }
    }

    /// Called a few times a second by the event loop: clock, spinner, live refresh,
    /// reconnection attempts.
    pub fn tick(&mut self) {
        self.spinner = self.spinner.wrapping_add(1);
        if let Some(s) = &self.status {
            let keep = if s.kind == StatusKind::Error {
                ERROR_FOR
            } else {
                STATUS_FOR
            };
            if s.at.elapsed() >= keep {
                self.status = None;
            }
        }
        self.now = Ts::from(self.ctx.store.now());
        if self.db_down.is_some() {
            let due = self.last_ping.is_none_or(|t| t.elapsed() >= PING_EVERY);
            if due && !self.ping_in_flight {
                self.ping_in_flight = true;
                self.last_ping = Some(Instant::now());
                let store = self.ctx.store.clone();
                self.spawn(async move { Msg::Ping(store.ping().await) });
            }
            return;
        }
        if self.last_refresh.elapsed() >= self.ctx.refresh {
            self.live_refresh();
        }
    }

    /// The periodic refresh of the visible list (skipped while a dialog runs or a load is in
    /// flight, so it never fights the user).
    pub fn live_refresh(&mut self) {
        self.last_refresh = Instant::now();
        if matches!(&self.overlay, Some(Overlay::Confirm(c)) if c.is_running()) {
            return;
        }
        match self.view {
            View::Sessions if !self.sessions.window.is_loading() => self.refresh_sessions(false),
            View::Audit if !self.audit.window.is_loading() => self.refresh_audit(),
            _ => {}
        }
    }

    /// Applies the result of a background task.
    pub fn apply(&mut self, msg: Msg) {
        self.now = Ts::from(self.ctx.store.now());
        match msg {
            Msg::Sessions { generation, result } => self.apply_sessions(generation, result),
            Msg::SessionCount { generation, result } => {
                self.apply_session_count(generation, result)
            }
            Msg::Audit { generation, result } => self.apply_audit(generation, result),
            Msg::Bindings { generation, result } => self.apply_bindings(generation, result),
            Msg::Account { generation, result } => self.apply_account(generation, result),
            Msg::DialogCount { dialog, result } => {
                let err = match &result {
                    Err(e) if e.is_connection() => Some(e.to_string()),
                    _ => None,
                };
                if let Some(Overlay::Confirm(c)) = &mut self.overlay
                    && c.id == dialog
                {
                    c.count = match result {
                        Ok(n) => Count::Known(n),
                        Err(e) => Count::Failed(
                            crate::sanitize::for_terminal(&e.to_string()).into_owned(),
                        ),
                    };
                }
                if err.is_some() {
                    self.db_down = err;
                }
            }
            Msg::Progress { dialog, progress } => {
                if let Some(Overlay::Confirm(c)) = &mut self.overlay
                    && c.id == dialog
                    && let Phase::Running { progress: p, .. } = &mut c.phase
                {
                    *p = Some(progress);
                }
            }
            Msg::Done { dialog, result } => self.operation_done(dialog, result),
            Msg::Ping(r) => {
                self.ping_in_flight = false;
                if r.is_ok() && self.db_down.is_some() {
                    self.db_down = None;
                    self.ok("database connection restored");
                    self.refresh_current();
                } else if let Err(e) = r {
                    self.db_down = Some(e.to_string());
                }
            }
            Msg::Panicked(what) => {
                self.error(format!("internal error in a background task: {what}"))
            }
            other => self.apply_exchange(other),
        }
    }

    fn refresh_current(&mut self) {
        match self.view {
            View::Sessions => self.refresh_sessions(true),
            View::Audit => self.refresh_audit(),
            View::Bindings => self.refresh_bindings(),
            View::Exchange => {}
        }
    }

    /// Common handling of the list movement actions; returns false for other actions.
    pub(crate) fn movement(&mut self, action: Action) -> Option<isize> {
        let page = self.list_height() as isize;
        match action {
            Action::Up => Some(-1),
            Action::Down => Some(1),
            Action::PageUp => Some(-page),
            Action::PageDown => Some(page),
            _ => None,
        }
    }

    // ---- the confirmation dialog -----------------------------------------------------------

    pub(crate) fn open_dialog(
        &mut self,
        op: Operation,
        title: String,
        subject: Vec<(String, String)>,
        count: Option<u64>,
        consequence: &'static str,
    ) {
        self.next_dialog += 1;
        self.status = None;
        let id = self.next_dialog;
        let counted = count.is_some();
        let dialog = Confirm::new(
            id,
            op.clone(),
            title,
            subject,
            count.map(Count::Known).unwrap_or(Count::Counting),
            consequence,
        );
        self.overlay = Some(Overlay::Confirm(Box::new(dialog)));
        if counted {
            return;
        }
        let store = self.ctx.store.clone();
        self.spawn(async move {
            let result = match op {
                Operation::RevokeMatching { filter } => store.count_sessions(&filter).await,
                Operation::Unbind { appid, openid } => {
                    let f = crate::store::SessionFilter {
                        appid: Some(appid),
                        openid: Some(openid),
                        ..Default::default()
                    };
                    store.count_sessions(&f).await
                }
                Operation::RevokeSessions { public_ids } => Ok(public_ids.len() as u64),
            };
            Msg::DialogCount { dialog: id, result }
        });
    }

    fn cancel_dialog(&mut self, mut c: Box<Confirm>) {
        match &mut c.phase {
            Phase::Editing => {
                c.reason.clear();
                self.info("cancelled: nothing was changed");
            }
            Phase::Running {
                cancel, cancelling, ..
            } => {
                if matches!(c.op, Operation::RevokeMatching { .. }) {
                    cancel.store(true, std::sync::atomic::Ordering::SeqCst);
                    *cancelling = true;
                    self.info("stopping after the current batch…");
                } else {
                    self.info("working… (a single transaction cannot be stopped half way)");
                }
                self.overlay = Some(Overlay::Confirm(c));
            }
        }
    }

    fn confirm(&mut self, mut c: Box<Confirm>) {
        if c.is_running() {
            self.overlay = Some(Overlay::Confirm(c));
            return;
        }
        if self.ctx.read_only {
            self.error("read-only: refused (the console was started with --read-only)");
            return;
        }
        let reason = c.reason.value().trim().to_owned();
        let problem = match (&c.count, reason.is_empty()) {
            (_, true) => Some("a reason is required: it is written to the audit log".to_owned()),
            (Count::Counting, _) => Some("still counting: wait a moment".to_owned()),
            (Count::Known(0), _) => {
                Some("nothing to do: no live session matches (Esc to close)".to_owned())
            }
            _ => None,
        };
        if let Some(p) = problem {
            c.error = Some(p);
            self.overlay = Some(Overlay::Confirm(c));
            return;
        }
        let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        c.phase = Phase::Running {
            progress: None,
            cancel: cancel.clone(),
            cancelling: false,
        };
        let id = c.id;
        let op = c.op.clone();
        self.overlay = Some(Overlay::Confirm(c));
        let store = self.ctx.store.clone();
        let actor = self.ctx.actor.clone();
        let batch = self.ctx.revoke_batch;
        let progress_tx = self.progress_sender();
        self.spawn(async move {
            let result = match op {
                Operation::RevokeSessions { public_ids } => {
                    crate::ops::revoke_sessions(&store, &actor, &public_ids, &reason)
                        .await
                        .map(|out| Outcome::Revoked {
                            revoked: out.revoked.len() as u64,
                        })
                }
                Operation::RevokeMatching { filter } => {
                    let mut report = |p: crate::store::RevokeProgress| {
                        let _ = progress_tx.send(Envelope {
                            msg: Msg::Progress {
                                dialog: id,
                                progress: p,
                            },
                            last: false,
                        });
                        !cancel.load(std::sync::atomic::Ordering::SeqCst)
                    };
                    crate::ops::revoke_matching(
                        &store,
                        &actor,
                        &filter,
                        &reason,
                        batch,
                        &mut report,
                    )
                    .await
                    .map(Outcome::RevokedMatching)
                }
                Operation::Unbind { appid, openid } => {
                    match crate::ops::unbind(&store, &actor, &appid, &openid, &reason).await {
                        Err(crate::ops::OpsError::NothingMatched(_)) => Ok(Outcome::Unbound(None)),
                        r => r.map(|u| Outcome::Unbound(Some(u))),
                    }
                }
            }
            .map_err(|e| match e {
                crate::ops::OpsError::Store(e) => e,
                other => StoreError::Conflict(other.to_string()),
            });
            Msg::Done { dialog: id, result }
        });
    }

    fn operation_done(&mut self, dialog: u64, result: Result<Outcome, StoreError>) {
        let op = match self.overlay.take() {
            Some(Overlay::Confirm(c)) if c.id == dialog => Some(c.op.clone()),
            other => {
                self.overlay = other;
                None
            }
        };
        self.audit_stale = true;
        match result {
            Ok(Outcome::Revoked { revoked }) => {
                if let Some(Operation::RevokeSessions { public_ids }) = &op {
                    for id in public_ids {
                        self.sessions.marks.remove(id);
                    }
                    let skipped = public_ids.len() as u64 - revoked.min(public_ids.len() as u64);
                    let mut text =
                        format!("revoked {} {}", thousands(revoked), sessions_word(revoked));
                    if skipped > 0 {
                        text.push_str(&format!(" ({skipped} already revoked or expired)"));
                    }
                    self.ok(text);
                } else {
                    self.ok(format!(
                        "revoked {} {}",
                        thousands(revoked),
                        sessions_word(revoked)
                    ));
                }
            }
            Ok(Outcome::RevokedMatching(o)) => {
                let text = if o.cancelled {
                    format!(
                        "stopped after {} {}: {} {} revoked; the rest are untouched",
                        o.batches,
                        if o.batches == 1 { "batch" } else { "batches" },
                        thousands(o.revoked),
                        sessions_word(o.revoked)
                    )
                } else {
                    format!(
                        "revoked {} {}",
                        thousands(o.revoked),
                        sessions_word(o.revoked)
                    )
                };
                self.ok(text);
            }
            Ok(Outcome::Unbound(Some(u))) => {
                self.ok(format!(
                    "unbound {}/{} from {}: {} {} revoked",
                    crate::sanitize::for_terminal(&u.appid),
                    crate::sanitize::for_terminal(&u.openid),
                    crate::sanitize::for_terminal(&u.username),
                    u.sessions_revoked,
                    sessions_word(u.sessions_revoked)
                ));
            }
            Ok(Outcome::Unbound(None)) => {
                self.info("that binding no longer exists: nothing was changed");
            }
            Err(e) => {
                self.store_error("refused", &e);
            }
        }
        self.refresh_sessions(true);
        if self.view == View::Bindings {
            self.refresh_bindings();
        }
        if self.view == View::Audit {
            self.refresh_audit();
        }
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a background task panicked".into())
}

pub(crate) fn sessions_word(n: u64) -> &'static str {
    if n == 1 { "session" } else { "sessions" }
}
