//! The console: the views, the overlay, the status line, and the routing between them. Input
//! events become [`Action`]s (through the one key table); the app keeps the global ones
//! (quit, help, views, the command line) and hands the others to the view shown. Views and
//! the dialog answer with [`Effect`]s, which [`App::route`] carries out; background results
//! ([`Msg`]) go back to the component that asked. Drawing only reads this (see [`super::ui`]).

use std::time::{Duration, Instant};

use crossterm::event::{KeyEvent, KeyEventKind};
use zeroize::Zeroize;

use super::action::Action;
use super::confirm::{self, Confirm};
use super::effect::{Cx, Effect, Goto};
use super::event::Event;
use super::filter::{self, Command};
use super::help::{self, Help};
use super::input::TextInput;
use super::keymap::{self, Scope};
use super::prompt::{self, Prompt};
use super::tasks::{Envelope, Idle, Msg, Tasks};
use super::views::Component;
use super::views::audit::AuditView;
use super::views::bindings::BindingsView;
use super::views::exchange::ExchangeView;
// Overview (fleet at a glance).
use super::views::overview::OverviewView;
use super::views::sessions::SessionsView;
use crate::ops;
use crate::store::{SessionFilter, Ts};
use crate::tr;

pub use super::context::ConsoleContext;
pub use super::effect::{Status, StatusKind};
pub use super::prompt::PromptKind;
pub use super::views::View;

/// What is drawn over the view, and takes the keys while open.
#[derive(Debug)]
pub enum Overlay {
    Help(Help),
    Prompt(Prompt),
    Confirm(Box<Confirm>),
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
    pub sessions: SessionsView,
    pub bindings: BindingsView,
    pub audit: AuditView,
    pub exchange: ExchangeView,
    // Overview (fleet at a glance).
    pub overview: OverviewView,
    /// Set while the database is unreachable: the banner's text.
    pub db_down: Option<String>,
    /// Terminal size (columns, rows), for paging and layout.
    pub size: (u16, u16),
    /// "Now" for relative times, from the store's clock (fixed in tests).
    pub now: Ts,
    /// Advances on each tick: the loading spinner.
    pub spinner: usize,
    pub quit: bool,
    tasks: Tasks,
    next_dialog: u64,
    ping_in_flight: bool,
    last_ping: Option<Instant>,
    last_refresh: Instant,
    // Support tools (copy): raw bytes for the operator's terminal (OSC 52), taken by the
    // driver and written to this console's own backend; which other field `Y` copies next.
    output: Vec<u8>,
    copy_next: usize,
}

/// Runs `$body` with a fresh [`Cx`] named `$cx`, then routes the effects it produced.
macro_rules! with_cx {
    ($app:ident, |$cx:ident| $body:expr) => {{
        let mut effects = Vec::new();
        let list_height = $app.list_height();
        let out = {
            let $cx = &mut Cx::new(
                &$app.ctx.store,
                &$app.ctx.actor,
                &$app.ctx.tr,
                &$app.tasks,
                $app.now,
                list_height,
                &mut effects,
            );
            $body
        };
        $app.route(effects);
        out
    }};
}

/// The view `$v` as a component (borrowing only that view).
macro_rules! view_mut {
    ($app:ident, $v:expr) => {
        match $v {
            View::Sessions => &mut $app.sessions as &mut dyn Component,
            View::Bindings => &mut $app.bindings as &mut dyn Component,
            View::Exchange => &mut $app.exchange as &mut dyn Component,
            View::Audit => &mut $app.audit as &mut dyn Component,
            // Overview (fleet at a glance).
            View::Overview => &mut $app.overview as &mut dyn Component,
        }
    };
}

impl App {
    /// A console over `ctx`, with the first page of sessions requested. Must be called inside
    /// a tokio runtime.
    pub fn new(ctx: ConsoleContext) -> Self {
        let now = Ts::from(ctx.store.now());
        // The setup stays in the context too: the dialog's session_key reset uses it.
        let exchange = ExchangeView::new(ctx.exchange.clone());
        let size = ctx.size;
        let sparkline = ctx.sparkline;
        let mut app = App {
            ctx,
            view: View::Sessions,
            overlay: None,
            status: None,
            sessions: SessionsView::default(),
            bindings: BindingsView::default(),
            audit: AuditView::default(),
            exchange,
            // Overview (fleet at a glance).
            overview: OverviewView::new(sparkline),
            db_down: None,
            size,
            now,
            spinner: 0,
            quit: false,
            tasks: Tasks::default(),
            next_dialog: 0,
            ping_in_flight: false,
            last_ping: None,
            last_refresh: Instant::now(),
            output: Vec::new(),
            copy_next: 0,
        };
        // Session keys: the Sessions view checks them with the same client and data key.
        app.sessions.keys = app.ctx.exchange.key_tools();
        with_cx!(app, |cx| app.sessions.reload(cx));
        app
    }

    /// The view `v` (for drawing).
    pub fn component(&self, v: View) -> &dyn Component {
        match v {
            View::Sessions => &self.sessions,
            View::Bindings => &self.bindings,
            View::Exchange => &self.exchange,
            View::Audit => &self.audit,
            // Overview (fleet at a glance).
            View::Overview => &self.overview,
        }
    }

    // ---- background work -------------------------------------------------------------------

    /// Background tasks not yet finished.
    pub fn pending(&self) -> usize {
        self.tasks.pending()
    }

    /// Waits until this console has no background work left (see [`Idle`]).
    pub fn idle(&self) -> Idle {
        self.tasks.idle()
    }

    /// Waits for the next background message (for the event loop).
    pub async fn next_message(&mut self) -> Option<Envelope> {
        self.tasks.next().await
    }

    /// Applies messages until no background task is left (for tests and scripted use).
    pub async fn settle(&mut self) {
        loop {
            while let Some(env) = self.tasks.try_next() {
                self.receive(env);
            }
            if self.tasks.pending() == 0 {
                return;
            }
            match self.tasks.next_within(Duration::from_secs(30)).await {
                Some(env) => self.receive(env),
                None => return,
            }
        }
    }

    /// Applies one message from the channel.
    pub fn receive(&mut self, env: Envelope) {
        let last = env.last;
        self.apply(env.msg);
        self.tasks.done(last);
    }

    // ---- input -----------------------------------------------------------------------------

    /// One input event.
    pub fn handle(&mut self, ev: Event) {
        match ev {
            Event::Key(k) => self.handle_key(k),
            Event::Paste(text) => self.handle_paste(text),
            Event::Resize(cols, rows) => self.resize(cols, rows),
        }
    }

    /// The scope whose keys apply now.
    pub fn scope(&self) -> Scope {
        match &self.overlay {
            Some(Overlay::Confirm(_)) => Scope::Dialog,
            Some(Overlay::Prompt(_)) => Scope::Prompt,
            Some(Overlay::Help(_)) => Scope::Global,
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

    /// Handles one key press: the overlay's if one is open, else the view's or the app's.
    pub fn handle_key(&mut self, ev: KeyEvent) {
        if ev.kind == KeyEventKind::Release {
            return;
        }
        match self.overlay.take() {
            Some(Overlay::Help(mut h)) => match h.handle(&ev) {
                help::Outcome::Open => self.overlay = Some(Overlay::Help(h)),
                help::Outcome::Closed => {}
                help::Outcome::Quit => self.quit = true,
            },
            Some(Overlay::Prompt(mut p)) => match p.handle(&ev) {
                prompt::Outcome::Editing => self.overlay = Some(Overlay::Prompt(p)),
                prompt::Outcome::Accepted => self.accept_prompt(p),
                prompt::Outcome::Cancelled => {}
            },
            Some(Overlay::Confirm(mut c)) => {
                let open = with_cx!(self, |cx| c.handle(&ev, &self.ctx, cx));
                if open == confirm::Open::Yes {
                    self.overlay = Some(Overlay::Confirm(c));
                }
            }
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
        let taken = match &mut self.overlay {
            Some(Overlay::Prompt(p)) => {
                p.input.insert_str(&text);
                true
            }
            Some(Overlay::Confirm(c)) => c.paste(&text),
            Some(Overlay::Help(_)) | None => false,
        };
        text.zeroize();
        if !taken {
            let hint = self.component(self.view).paste_hint(&self.ctx.tr);
            self.set_status(StatusKind::Info, hint);
        }
    }

    fn accept_prompt(&mut self, mut p: Prompt) {
        match p.kind {
            PromptKind::Command => match filter::parse_command(&self.ctx.tr, p.input.value()) {
                Ok(cmd) => self.run_command(cmd),
                Err(e) => self.set_status(StatusKind::Error, e),
            },
            PromptKind::Filter
            | PromptKind::Token
            | PromptKind::Code
            | PromptKind::MintUser
            | PromptKind::NewPassword => {
                with_cx!(self, |cx| view_mut!(self, self.view).accept(
                    p.kind,
                    &mut p.input,
                    cx
                ))
            }
        }
        p.input.clear();
    }

    fn run_command(&mut self, cmd: Command) {
        match cmd {
            Command::Quit => self.quit = true,
            Command::Help => self.overlay = Some(Overlay::Help(Help::default())),
            Command::Sessions(f) => self.go(Goto::Sessions(f)),
            Command::Bindings(s) => {
                self.show(View::Bindings);
                if s.is_some() {
                    with_cx!(self, |cx| self.bindings.search(s, cx));
                }
            }
            Command::Exchange => self.show(View::Exchange),
            // Overview (fleet at a glance).
            Command::Overview => self.show(View::Overview),
            Command::Audit(f) => {
                self.show(View::Audit);
                with_cx!(self, |cx| self.audit.set_filter(f, cx));
            }
            // Export: the Sessions view's list.
            Command::Export(req) => {
                if !self.ctx.export_files {
                    self.set_status(
                        StatusKind::Error,
                        tr!(self.ctx.tr, "console-export-not-at-door"),
                    );
                } else if self.view == View::Sessions {
                    with_cx!(self, |cx| self.sessions.start_export(req, cx));
                } else {
                    self.set_status(
                        StatusKind::Error,
                        tr!(self.ctx.tr, "console-export-only-in-sessions"),
                    );
                }
            }
        }
    }

    // ---- actions ---------------------------------------------------------------------------

    /// Why this operator may not do `action` at all, if so: what the help screen and the
    /// footer mark.
    pub fn mark(&self, action: Action) -> Option<String> {
        let kind = action.op_kind()?;
        if !ops::may(self.ctx.actor.role, kind) {
            Some(tr!(
                self.ctx.tr,
                "console-needs-role",
                role = kind.min_role().to_string()
            ))
        } else if self.ctx.read_only {
            Some(tr!(self.ctx.tr, "console-refused-read-only"))
        } else {
            None
        }
    }

    /// The refusal of `action`, for the status line, when this operator may do no instance
    /// of it.
    fn refusal(&self, action: Action) -> Option<String> {
        let op = action.least_operation()?;
        if let Err(denied) = ops::check(&self.ctx.actor, &op) {
            return Some(crate::present::refusal::refusal(&self.ctx.tr, &denied));
        }
        self.ctx
            .read_only
            .then(|| self.read_only_refusal(action.verb()))
    }

    /// The refusal of this instance of an operation (the dialog does not open): 150 marked
    /// sessions need more than one.
    fn refuse_request(&self, req: &confirm::Request) -> Option<String> {
        if let Err(denied) = ops::check(&self.ctx.actor, &req.op.as_ops()) {
            return Some(crate::present::refusal::refusal(&self.ctx.tr, &denied));
        }
        self.ctx.read_only.then(|| self.read_only_refusal(req.verb))
    }

    /// `read-only: revoking sessions is refused (--read-only)`; `verb` is a catalogue id.
    fn read_only_refusal(&self, verb: &str) -> String {
        let tr = &self.ctx.tr;
        tr!(
            tr,
            "console-read-only-verb-refused",
            what = tr.message(verb)
        )
    }

    /// Carries out an action: the app's own, or the shown view's.
    pub fn update(&mut self, action: Action) {
        if let Some(why) = self.refusal(action) {
            return self.set_status(StatusKind::Error, why);
        }
        match action {
            // Export: Esc cancels a running export, whatever the view.
            Action::Back if self.sessions.exporting() => {
                with_cx!(self, |cx| self.sessions.cancel_export(cx))
            }
            Action::Quit => self.quit = true,
            Action::Help => self.overlay = Some(Overlay::Help(Help::default())),
            Action::CommandLine => {
                self.overlay = Some(Overlay::Prompt(Prompt::new(
                    PromptKind::Command,
                    ":",
                    TextInput::new(),
                )))
            }
            Action::NextView => self.show(self.view.step(1)),
            Action::PrevView => self.show(self.view.step(-1)),
            Action::ShowSessions => self.show(View::Sessions),
            Action::ShowBindings => self.show(View::Bindings),
            Action::ShowExchange => self.show(View::Exchange),
            Action::ShowAudit => self.show(View::Audit),
            // Support tools (copy).
            Action::Copy => self.copy(false),
            Action::CopyOther => self.copy(true),
            // Overview (fleet at a glance).
            Action::ShowOverview => self.show(View::Overview),
            // Everything else is the shown view's.
            _ => with_cx!(self, |cx| view_mut!(self, self.view).handle(action, cx)),
        }
    }

    // ---- support tools: copy -----------------------------------------------------------------

    /// Bytes the console asks its operator's terminal to act on (OSC 52), taken once.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// `y`: the main identifier of the selected row; `Y` (`other`): its next other field.
    fn copy(&mut self, other: bool) {
        let fields = super::copy::fields(self);
        if fields.is_empty() {
            return self.set_status(StatusKind::Info, tr!(self.ctx.tr, "console-copy-nothing"));
        }
        let f = if other {
            let rest = &fields[1..];
            if rest.is_empty() {
                return self
                    .set_status(StatusKind::Info, tr!(self.ctx.tr, "console-copy-no-other"));
            }
            let f = &rest[self.copy_next % rest.len()];
            self.copy_next = self.copy_next.wrapping_add(1);
            f
        } else {
            self.copy_next = 0;
            &fields[0]
        };
        self.output.extend(super::copy::osc52(&f.value));
        let mut text = super::copy::copied_text(&self.ctx.tr, f);
        if other {
            text.push_str(&format!(
                " · {}",
                tr!(
                    self.ctx.tr,
                    "console-copy-again",
                    key = keymap::key(self.view.scope(), Action::CopyOther)
                )
            ));
        }
        self.set_status(StatusKind::Ok, text);
    }

    pub fn show(&mut self, view: View) {
        self.view = view;
        with_cx!(self, |cx| view_mut!(self, view).shown(cx));
    }

    /// Shows a view, and what in it.
    fn go(&mut self, to: Goto) {
        match to {
            Goto::View(v) => self.show(v),
            Goto::Sessions(f) => {
                self.show(View::Sessions);
                self.set_session_filter(f);
            }
            Goto::Account(id) => {
                self.show(View::Bindings);
                with_cx!(self, |cx| self.bindings.open_account(id, cx));
            }
            Goto::Binding { search, account } => {
                self.show(View::Bindings);
                with_cx!(self, |cx| self.bindings.search(Some(search), cx));
                if let Some(id) = account {
                    with_cx!(self, |cx| self.bindings.open_account(id, cx));
                }
            }
        }
    }

    /// Sessions with this filter (the `--filter` option, `:sessions …`).
    pub fn set_session_filter(&mut self, f: SessionFilter) {
        with_cx!(self, |cx| self.sessions.set_filter(f, cx));
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
                self.tasks
                    .spawn(async move { Msg::Ping(store.ping().await) });
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
        with_cx!(self, |cx| view_mut!(self, self.view).live(cx));
    }

    // ---- results and effects ---------------------------------------------------------------

    /// Applies the result of a background task: every message goes to the component that
    /// asked for it.
    pub fn apply(&mut self, msg: Msg) {
        self.now = Ts::from(self.ctx.store.now());
        match msg {
            Msg::Sessions(m) => with_cx!(self, |cx| self.sessions.apply(m, cx)),
            Msg::Bindings(m) => with_cx!(self, |cx| self.bindings.apply(m, cx)),
            Msg::Audit(m) => with_cx!(self, |cx| self.audit.apply(m, cx)),
            Msg::Exchange(m) => with_cx!(self, |cx| self.exchange.apply(m, cx)),
            // Overview (fleet at a glance).
            Msg::Overview(m) => with_cx!(self, |cx| self.overview.apply(m, cx)),
            Msg::Dialog(m) => {
                let open = with_cx!(self, |cx| {
                    let dialog = match &mut self.overlay {
                        Some(Overlay::Confirm(c)) => Some(&mut **c),
                        _ => None,
                    };
                    confirm::receive(dialog, m, cx)
                });
                if open == confirm::Open::Closed {
                    self.overlay = None;
                }
            }
            Msg::Ping(r) => {
                self.ping_in_flight = false;
                if r.is_ok() && self.db_down.is_some() {
                    self.db_down = None;
                    self.set_status(StatusKind::Ok, tr!(self.ctx.tr, "console-db-restored"));
                    with_cx!(self, |cx| view_mut!(self, self.view).refresh(cx));
                } else if let Err(e) = r {
                    self.db_down = Some(e.to_string());
                }
            }
            Msg::Panicked(what) => self.set_status(
                StatusKind::Error,
                tr!(self.ctx.tr, "console-task-panicked", what = what),
            ),
        }
    }

    fn set_status(&mut self, kind: StatusKind, text: impl Into<String>) {
        self.status = Some(Status {
            kind,
            text: text.into(),
            at: Instant::now(),
        });
    }

    /// Carries out what the components asked for, in order.
    fn route(&mut self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Status(kind, text) => self.set_status(kind, text),
                Effect::DbDown(why) => self.db_down = Some(why),
                Effect::Prompt(p) => self.overlay = Some(Overlay::Prompt(p)),
                Effect::Confirm(mut req) => {
                    // A role that may not keep an account's bindings on a password reset
                    // (support) gets the reset that removes them, and the dialog says so.
                    let unbind_fixed = match &mut req.op {
                        confirm::Operation::SetPassword { unbind_all, .. } => {
                            let keep = crate::ops::Operation::SetPassword {
                                keep_bindings: true,
                            };
                            let fixed = crate::ops::check(&self.ctx.actor, &keep).is_err();
                            if fixed {
                                *unbind_all = true;
                            }
                            fixed
                        }
                        _ => false,
                    };
                    if let Some(why) = self.refuse_request(&req) {
                        self.set_status(StatusKind::Error, why);
                        continue;
                    }
                    self.next_dialog += 1;
                    self.status = None;
                    let id = self.next_dialog;
                    let mut dialog = with_cx!(self, |cx| Confirm::open(id, req, cx));
                    dialog.unbind_fixed = unbind_fixed;
                    // Support tools (environment): a dangerous one is named in the dialog.
                    if self.ctx.dangerous_environment {
                        dialog.environment = self.ctx.environment.clone();
                    }
                    self.overlay = Some(Overlay::Confirm(Box::new(dialog)));
                }
                Effect::Goto(to) => self.go(to),
                Effect::Audited => self.audit.stale = true,
                Effect::Action(a) => self.update(a),
                Effect::SessionKey(r) => self.sessions.key_result(*r),
                Effect::Changed { revoked } => {
                    for v in View::ALL {
                        let visible = v == self.view;
                        with_cx!(self, |cx| view_mut!(self, v).changed(&revoked, visible, cx));
                    }
                }
            }
        }
    }
}
