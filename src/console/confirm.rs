//! The one confirmation dialog every destructive action goes through (revoke one, revoke marked,
//! revoke all of an account / openid, unbind), and the whole of its life: it states exactly what
//! will happen and to whom, with a count from the database, requires a reason for the audit log,
//! runs the operation, shows a bulk revoke's progress with a way to stop it between batches, and
//! reports the result. [`run`] is the console's only way to change data.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph, Wrap};

use super::action::Action;
use super::context::ConsoleContext;
use super::effect::{Cx, Effect};
use super::input::TextInput;
use super::keymap::{self, Scope};
use super::tasks::Reporter;
use super::widgets::{self, Paint, n_sessions, thousands};
use crate::i18n::Tr;
use crate::operator::Actor;
use crate::ops::{self, OpsError};
use crate::store::{
    RevokeOutcome, RevokeProgress, SessionFilter, Store, StoreError, UnbindOutcome,
};
use crate::tr;
// Session keys.
use super::views::sessions::KeyResult;
use crate::crypto::DataKey;
use crate::store::Ts;
use crate::wechat::WechatClient;

/// What will be done once confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// These sessions, by public id, in one transaction.
    RevokeSessions { public_ids: Vec<String> },
    /// Every live session matching the filter, in batches.
    RevokeMatching { filter: SessionFilter },
    /// Delete the binding and revoke its live sessions.
    Unbind { appid: String, openid: String },
    /// Have WeChat issue a new session_key for this session's user and store it.
    ResetSessionKey { public_id: String },
    /// A new password for the account (hashed when confirmed); its live sessions are revoked
    /// and, with `unbind_all` (the dialog's option), every binding removed.
    SetPassword {
        account_id: i64,
        password: crate::secret::Secret,
        unbind_all: bool,
    },
}

impl Operation {
    /// The operation as the ops layer judges it (for the check before the dialog opens).
    pub fn as_ops(&self) -> ops::Operation<'_> {
        match self {
            Operation::RevokeSessions { public_ids } => ops::Operation::RevokeSessions {
                count: public_ids.len(),
            },
            Operation::RevokeMatching { filter } => ops::Operation::RevokeMatching { filter },
            Operation::Unbind { .. } => ops::Operation::Unbind,
            Operation::ResetSessionKey { .. } => ops::Operation::ResetSessionKey,
            Operation::SetPassword { unbind_all, .. } => ops::Operation::SetPassword {
                keep_bindings: !unbind_all,
            },
        }
    }

    /// Only a batched revoke can stop half way.
    fn stoppable(&self) -> bool {
        matches!(self, Operation::RevokeMatching { .. })
    }
}

/// A view's request for the dialog: the operation and how to describe it.
#[derive(Debug)]
pub struct Request {
    pub op: Operation,
    /// `Revoke session`, `Unbind`, …
    pub title: String,
    /// Whose sessions / which binding, one fact per line (already sanitised).
    pub subject: Vec<(String, String)>,
    /// How many rows it touches, when the view knows; otherwise the dialog counts.
    pub count: Option<u64>,
    /// `sessions will be revoked`: follows the count.
    pub consequence: Consequence,
    /// What the operator is refused when the role does not allow it ("revoking sessions"):
    /// a catalogue id (see [`Action::verb`]).
    pub verb: &'static str,
}

/// What follows the count in the dialog's headline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consequence {
    /// `3 sessions will be revoked`.
    SessionsRevoked,
    /// `3 live sessions will be revoked` (a password reset).
    LiveSessionsRevoked,
    /// `3 live sessions will be revoked with it` (an unbind).
    LiveSessionsRevokedWithIt,
    /// A session_key reset (the count is the one session).
    KeyReplaced,
}

impl Consequence {
    /// The headline once the count is known: `1 session will be revoked`, `2,500 …`.
    pub fn counted(self, tr: &Tr, n: u64) -> String {
        let c = widgets::thousands(n);
        match self {
            Consequence::SessionsRevoked => tr!(tr, "console-will-revoke", count = n, n = c),
            Consequence::LiveSessionsRevoked => {
                tr!(tr, "console-will-revoke-live", count = n, n = c)
            }
            Consequence::LiveSessionsRevokedWithIt => {
                tr!(tr, "console-will-revoke-live-with-it", count = n, n = c)
            }
            Consequence::KeyReplaced => tr!(tr, "console-will-replace-key", n = c),
        }
    }

    /// The headline while the dialog counts.
    pub fn counting(self, tr: &Tr) -> String {
        let what = match self {
            Consequence::SessionsRevoked => tr!(tr, "console-will-revoke-uncounted"),
            Consequence::LiveSessionsRevoked => tr!(tr, "console-will-revoke-live-uncounted"),
            Consequence::LiveSessionsRevokedWithIt => {
                tr!(tr, "console-will-revoke-live-with-it-uncounted")
            }
            Consequence::KeyReplaced => tr!(tr, "console-will-replace-key-uncounted"),
        };
        tr!(tr, "console-counting", what = what)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Count {
    Counting,
    Known(u64),
    Failed(String),
}

#[derive(Debug)]
pub enum Phase {
    Editing,
    Running {
        progress: Option<RevokeProgress>,
        cancel: Arc<AtomicBool>,
        cancelling: bool,
    },
}

/// What a confirmed operation did.
#[derive(Debug)]
pub enum Outcome {
    Revoked {
        revoked: u64,
    },
    RevokedMatching(RevokeOutcome),
    Unbound(Option<UnbindOutcome>),
    /// A session_key reset (WeChat's answer included, refused or not).
    KeyReset(Box<ops::KeyResetReport>),
    PasswordSet(crate::store::PasswordReset),
}

/// The dialog's background messages, matched to it by id.
#[derive(Debug)]
pub enum Msg {
    /// How many rows the operation touches.
    Count {
        dialog: u64,
        result: Result<u64, StoreError>,
    },
    /// A bulk revoke finished a batch.
    Progress {
        dialog: u64,
        progress: RevokeProgress,
    },
    /// The operation finished.
    Done {
        dialog: u64,
        op: Box<Operation>,
        result: Result<Outcome, OpsError>,
    },
}

#[derive(Debug)]
pub struct Confirm {
    /// Matches count and result messages to this dialog.
    pub id: u64,
    pub op: Operation,
    pub title: String,
    pub subject: Vec<(String, String)>,
    pub count: Count,
    pub consequence: Consequence,
    pub reason: TextInput,
    pub phase: Phase,
    pub error: Option<String>,
    /// Support tools (environment): the name of a dangerous environment (production), repeated
    /// in the title and the body so that nobody changes it believing they are on staging.
    pub environment: Option<String>,
    /// A password reset whose "unbind every binding" option is fixed on: the operator's role
    /// may not keep the bindings (support), and the dialog says so.
    pub unbind_fixed: bool,
}

/// Whether the dialog stays open after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    Yes,
    Closed,
}

impl Confirm {
    pub fn new(
        id: u64,
        op: Operation,
        title: impl Into<String>,
        subject: Vec<(String, String)>,
        count: Count,
        consequence: Consequence,
    ) -> Self {
        Confirm {
            id,
            op,
            title: title.into(),
            subject,
            count,
            consequence,
            reason: TextInput::new(),
            phase: Phase::Editing,
            error: None,
            environment: None,
            unbind_fixed: false,
        }
    }

    /// Opens the dialog for `req`, counting in the background when the view did not.
    pub fn open(id: u64, req: Request, cx: &mut Cx) -> Self {
        let count = match req.count {
            Some(n) => Count::Known(n),
            None => {
                let store = cx.store.clone();
                let op = req.op.clone();
                cx.spawn(async move {
                    let result = match op {
                        Operation::RevokeMatching { filter } => store.count_sessions(&filter).await,
                        Operation::Unbind { appid, openid } => {
                            let f = SessionFilter {
                                appid: Some(appid),
                                openid: Some(openid),
                                ..Default::default()
                            };
                            store.count_sessions(&f).await
                        }
                        Operation::RevokeSessions { public_ids } => Ok(public_ids.len() as u64),
                        Operation::ResetSessionKey { .. } => Ok(1),
                        Operation::SetPassword { account_id, .. } => {
                            let f = SessionFilter {
                                account_id: Some(account_id),
                                ..Default::default()
                            };
                            store.count_sessions(&f).await
                        }
                    };
                    Msg::Count { dialog: id, result }
                });
                Count::Counting
            }
        };
        Confirm::new(id, req.op, req.title, req.subject, count, req.consequence)
    }

    pub fn is_running(&self) -> bool {
        matches!(self.phase, Phase::Running { .. })
    }

    /// `3 sessions will be revoked`.
    pub fn headline(&self, tr: &Tr) -> String {
        match &self.count {
            Count::Counting => self.consequence.counting(tr),
            Count::Known(n) => self.consequence.counted(tr, *n),
            Count::Failed(e) => tr!(tr, "console-count-failed", error = e.as_str()),
        }
    }

    /// A key while the dialog is open: Enter runs, Esc cancels (or stops a bulk revoke between
    /// batches), anything else edits the reason.
    pub fn handle(&mut self, ev: &KeyEvent, ctx: &ConsoleContext, cx: &mut Cx) -> Open {
        match keymap::lookup(Scope::Dialog, ev) {
            Some(Action::Confirm) => self.confirm(ctx, cx),
            Some(Action::Cancel) => self.cancel(cx),
            Some(Action::ToggleOption) => {
                if let (Phase::Editing, Operation::SetPassword { unbind_all, .. }) =
                    (&self.phase, &mut self.op)
                {
                    if self.unbind_fixed {
                        self.error = Some(tr!(cx.tr, "console-keep-bindings-needs-oncall"));
                    } else {
                        *unbind_all = !*unbind_all;
                    }
                }
                Open::Yes
            }
            _ => {
                if !self.is_running() {
                    self.reason.handle(ev);
                    self.error = None;
                }
                Open::Yes
            }
        }
    }

    /// Pasted text goes to the reason (not while running).
    pub fn paste(&mut self, text: &str) -> bool {
        if self.is_running() {
            return false;
        }
        self.reason.insert_str(text);
        true
    }

    fn cancel(&mut self, cx: &mut Cx) -> Open {
        match &mut self.phase {
            Phase::Editing => {
                self.reason.clear();
                cx.info(tr!(cx.tr, "console-cancelled"));
                Open::Closed
            }
            Phase::Running {
                cancel, cancelling, ..
            } => {
                if self.op.stoppable() {
                    cancel.store(true, Ordering::SeqCst);
                    *cancelling = true;
                    cx.info(tr!(cx.tr, "console-stopping-after-batch"));
                } else {
                    cx.info(tr!(cx.tr, "console-working-cannot-stop"));
                }
                Open::Yes
            }
        }
    }

    fn confirm(&mut self, ctx: &ConsoleContext, cx: &mut Cx) -> Open {
        if self.is_running() {
            return Open::Yes;
        }
        if ctx.read_only {
            cx.error(tr!(cx.tr, "console-read-only-refused"));
            return Open::Closed;
        }
        let reason = self.reason.value().trim().to_owned();
        let problem = match (&self.count, reason.is_empty()) {
            (_, true) => Some(tr!(cx.tr, "console-reason-required")),
            (Count::Counting, _) => Some(tr!(cx.tr, "console-still-counting")),
            // An unbind with no live session still removes the binding: only a revoke of
            // nothing is nothing to do.
            (Count::Known(0), _)
                if !matches!(
                    self.op,
                    Operation::Unbind { .. } | Operation::SetPassword { .. }
                ) =>
            {
                Some(tr!(
                    cx.tr,
                    "console-nothing-to-do",
                    key = keymap::key(Scope::Dialog, Action::Cancel)
                ))
            }
            _ => None,
        };
        if let Some(p) = problem {
            self.error = Some(p);
            return Open::Yes;
        }
        let cancel = Arc::new(AtomicBool::new(false));
        self.phase = Phase::Running {
            progress: None,
            cancel: cancel.clone(),
            cancelling: false,
        };
        let id = self.id;
        let op = self.op.clone();
        let store = cx.store.clone();
        let actor = ctx.actor.clone();
        let batch = ctx.revoke_batch;
        let reporter = cx.tasks().reporter();
        // Why the key tools cannot be used is worded now, in the operator's language.
        let keys = ctx
            .exchange
            .key_tools()
            .ready()
            .map_err(|u| u.text(&ctx.tr));
        cx.spawn(async move {
            let result = run(
                &store, &actor, &op, &reason, batch, &cancel, &reporter, id, &keys,
            )
            .await;
            Msg::Done {
                dialog: id,
                op: Box::new(op),
                result,
            }
        });
        Open::Yes
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, paint: &Paint) {
        let t = paint.theme;
        let tr = paint.tr;
        let width = area.width.saturating_sub(4).min(72);
        let inner_w = width.saturating_sub(4) as usize;
        let mut lines: Vec<Line> = Vec::new();
        if let Some(env) = &self.environment {
            lines.push(Line::from(Span::styled(
                tr!(
                    tr,
                    "console-you-are-changing",
                    env = widgets::clean(env, 40)
                ),
                t.error,
            )));
            lines.push(Line::raw(""));
        }
        for (k, v) in &self.subject {
            lines.push(widgets::field(t, k, v.clone(), None));
        }
        lines.push(Line::raw(""));
        let headline_style = match self.count {
            Count::Failed(_) => t.error,
            _ => t.warn,
        };
        lines.push(Line::from(Span::styled(self.headline(tr), headline_style)));
        if let Operation::SetPassword { .. } = &self.op
            && self.unbind_fixed
        {
            lines.push(Line::from(vec![
                Span::styled("[x]", t.value),
                Span::raw(format!(" {}", tr!(tr, "console-password-unbind-fixed"))),
            ]));
            lines.push(Line::from(Span::styled(
                format!("    {}", tr!(tr, "console-password-every-session-ends")),
                t.muted,
            )));
        } else if let Operation::SetPassword { unbind_all, .. } = &self.op {
            lines.push(Line::from(vec![
                Span::styled(if *unbind_all { "[x]" } else { "[ ]" }, t.value),
                Span::raw(format!(" {} (", tr!(tr, "console-password-also-unbind"))),
                Span::styled(keymap::key(Scope::Dialog, Action::ToggleOption), t.key),
                Span::raw(format!(" {})", tr!(tr, "console-switches"))),
            ]));
        }
        lines.push(Line::raw(""));
        match &self.phase {
            Phase::Editing => {
                let label = reason_label(tr);
                let shown = widgets::truncate_tail(
                    &self.reason.display(tr),
                    inner_w.saturating_sub(widgets::width(&label) + 1),
                );
                lines.push(Line::from(vec![
                    Span::styled(label, t.label),
                    Span::styled(shown, t.value),
                ]));
                lines.push(Line::raw(""));
                match self.error.clone().or_else(|| self.reason.refused_note(tr)) {
                    Some(e) => lines.push(Line::from(Span::styled(e, t.error))),
                    None => lines.push(Line::from(Span::styled(
                        tr!(tr, "console-reason-goes-to-audit"),
                        t.muted,
                    ))),
                }
                lines.push(Line::from(vec![
                    Span::styled(keymap::key(Scope::Dialog, Action::Confirm), t.key),
                    Span::raw(format!(" {}   ", tr!(tr, "console-footer-dialog-confirm"))),
                    Span::styled(keymap::key(Scope::Dialog, Action::Cancel), t.key),
                    Span::raw(format!(" {}", tr!(tr, "console-footer-dialog-cancel"))),
                ]));
            }
            Phase::Running {
                progress,
                cancelling,
                ..
            } => {
                let text = match progress {
                    Some(p) => progress_bar(p, inner_w),
                    None => format!(
                        "{} {}",
                        widgets::spinner(paint.spinner),
                        tr!(tr, "console-working")
                    ),
                };
                lines.push(Line::from(Span::styled(text, t.value)));
                lines.push(Line::raw(""));
                let note = if *cancelling {
                    tr!(tr, "console-stopping-after-batch")
                } else if self.op.stoppable() {
                    tr!(
                        tr,
                        "console-key-stops-after-batch",
                        key = keymap::key(Scope::Dialog, Action::Cancel)
                    )
                } else {
                    tr!(tr, "console-one-transaction")
                };
                lines.push(Line::from(Span::styled(note, t.muted)));
            }
        }
        let lines = widgets::hang(lines, width.saturating_sub(4));
        let label = reason_label(tr);
        let reason_idx = lines
            .iter()
            .position(|l| l.spans.first().is_some_and(|s| s.content == label));
        let height = (lines.len() as u16 + 2).min(area.height);
        let popup = widgets::centered(area, width, height);
        frame.render_widget(Clear, popup);
        let block = Block::bordered()
            .border_type(BorderType::Double)
            .border_style(t.error)
            .padding(Padding::horizontal(1))
            .title(Span::styled(
                match &self.environment {
                    Some(env) => format!(
                        " {} — {} ",
                        self.title,
                        widgets::clean(env, 40).to_uppercase()
                    ),
                    None => format!(" {} ", self.title),
                },
                t.error,
            ));
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false })
                .style(t.dialog),
            popup,
        );
        if let (Phase::Editing, Some(idx)) = (&self.phase, reason_idx) {
            // Cursor at the end of the reason.
            let reason_row = popup.y + 1 + idx as u16;
            let label_w = widgets::width(&label);
            let x = popup.x
                + 3
                + label_w as u16
                + self
                    .reason
                    .display_cursor()
                    .min(inner_w.saturating_sub(label_w + 2)) as u16;
            if reason_row < popup.bottom() {
                frame.set_cursor_position((x.min(popup.right().saturating_sub(2)), reason_row));
            }
        }
    }
}

/// `Reason: ` (what precedes the typed reason).
fn reason_label(tr: &Tr) -> String {
    format!("{}: ", tr!(tr, "console-reason"))
}

/// `[████░░░░] 36%  45,000/123,456`.
fn progress_bar(p: &RevokeProgress, inner_w: usize) -> String {
    let pct = (p.revoked * 100)
        .checked_div(p.total)
        .unwrap_or(100)
        .min(100);
    let bar_w = inner_w.saturating_sub(28).max(10);
    let filled = (bar_w as u64 * pct / 100) as usize;
    format!(
        "[{}{}] {pct:>3}%  {}/{}",
        "█".repeat(filled),
        "░".repeat(bar_w - filled),
        thousands(p.revoked),
        thousands(p.total)
    )
}

/// A message of a dialog: a count or progress report updates the open dialog it is for; a
/// result is [`report`]ed, and closes that dialog.
pub fn receive(open: Option<&mut Confirm>, msg: Msg, cx: &mut Cx) -> Open {
    let open = |dialog: u64| open.filter(|c| c.id == dialog);
    match msg {
        Msg::Count { dialog, result } => {
            if let Err(e) = &result
                && e.is_connection()
            {
                cx.push(Effect::DbDown(e.to_string()));
            }
            if let Some(c) = open(dialog) {
                c.count = match result {
                    Ok(n) => Count::Known(n),
                    Err(e) => {
                        Count::Failed(crate::sanitize::for_terminal(&e.to_string()).into_owned())
                    }
                };
            }
            Open::Yes
        }
        Msg::Progress { dialog, progress } => {
            if let Some(c) = open(dialog)
                && let Phase::Running { progress: p, .. } = &mut c.phase
            {
                *p = Some(progress);
            }
            Open::Yes
        }
        Msg::Done { dialog, op, result } => {
            let closes = open(dialog).is_some();
            report(*op, result, cx);
            if closes { Open::Closed } else { Open::Yes }
        }
    }
}

/// Carries out a confirmed operation through the ops layer (which checks the operator's role
/// again and writes the audit row): the console's only call that changes data.
#[allow(clippy::too_many_arguments)]
async fn run(
    store: &Store,
    actor: &Actor,
    op: &Operation,
    reason: &str,
    batch: i64,
    cancel: &AtomicBool,
    reporter: &Reporter,
    dialog: u64,
    keys: &Result<(WechatClient, Arc<DataKey>), String>,
) -> Result<Outcome, OpsError> {
    match op {
        Operation::RevokeSessions { public_ids } => {
            ops::revoke_sessions(store, actor, public_ids, reason)
                .await
                .map(|out| Outcome::Revoked {
                    revoked: out.revoked.len() as u64,
                })
        }
        Operation::RevokeMatching { filter } => {
            let mut report = |progress: RevokeProgress| {
                reporter.send(Msg::Progress { dialog, progress });
                !cancel.load(Ordering::SeqCst)
            };
            ops::revoke_matching(store, actor, filter, reason, batch, &mut report)
                .await
                .map(Outcome::RevokedMatching)
        }
        Operation::Unbind { appid, openid } => {
            match ops::unbind(store, actor, appid, openid, reason).await {
                Err(OpsError::NothingMatched(_)) => Ok(Outcome::Unbound(None)),
                r => r.map(|u| Outcome::Unbound(Some(u))),
            }
        }
        Operation::ResetSessionKey { public_id } => {
            let (client, data_key) = keys.clone().map_err(OpsError::Runtime)?;
            ops::reset_session_key(store, &client, &data_key, actor, public_id, reason)
                .await
                .map(|r| Outcome::KeyReset(Box::new(r)))
        }
        Operation::SetPassword {
            account_id,
            password,
            unbind_all,
        } => {
            // Refused before the slow hash when the role may not.
            ops::check(actor, &op.as_ops())?;
            let password = password.clone();
            let hash = tokio::task::spawn_blocking(move || {
                crate::crypto::hash_password(password.expose())
            })
            .await
            .map_err(|e| OpsError::Runtime(format!("password hashing stopped: {e}")))?
            .map_err(|e| OpsError::Runtime(e.to_string()))?;
            ops::set_password(store, actor, *account_id, &hash, *unbind_all, reason)
                .await
                .map(Outcome::PasswordSet)
        }
    }
}

/// Says on the status line what a finished operation did, and tells every view the data
/// changed under it (marks of revoked sessions go).
pub fn report(op: Operation, result: Result<Outcome, OpsError>, cx: &mut Cx) {
    let mut revoked_ids = Vec::new();
    // A session_key reset: its result (or refusal) goes to the Sessions view's detail pane.
    if let Operation::ResetSessionKey { public_id } = &op {
        let result = result.and_then(|o| match o {
            Outcome::KeyReset(r) => Ok(*r),
            other => Err(OpsError::Runtime(format!("unexpected outcome {other:?}"))),
        });
        let r = KeyResult::from_reset(cx.tr, public_id, Ts::from(cx.store.now()), result);
        let text = r.status_text(cx.tr);
        if r.outcome.is_failure() {
            cx.error(text);
        } else {
            cx.ok(text);
        }
        cx.push(Effect::SessionKey(Box::new(r)));
        cx.push(Effect::Changed { revoked: vec![] });
        return;
    }
    match result {
        Ok(Outcome::Revoked { revoked }) => {
            let mut text = tr!(
                cx.tr,
                "console-revoked",
                sessions = n_sessions(cx.tr, revoked)
            );
            if let Operation::RevokeSessions { public_ids } = op {
                let skipped = public_ids.len() as u64 - revoked.min(public_ids.len() as u64);
                if skipped > 0 {
                    text.push_str(&format!(
                        " ({})",
                        tr!(cx.tr, "console-already-revoked", skipped = skipped)
                    ));
                }
                revoked_ids = public_ids;
            }
            cx.ok(text);
        }
        Ok(Outcome::RevokedMatching(o)) => {
            let text = if o.cancelled {
                tr!(
                    cx.tr,
                    "console-revoke-stopped",
                    batches = o.batches,
                    sessions = n_sessions(cx.tr, o.revoked)
                )
            } else {
                tr!(
                    cx.tr,
                    "console-revoked",
                    sessions = n_sessions(cx.tr, o.revoked)
                )
            };
            cx.ok(text);
        }
        Ok(Outcome::Unbound(Some(u))) => {
            cx.ok(tr!(
                cx.tr,
                "console-unbound",
                appid = crate::sanitize::for_terminal(&u.appid).into_owned(),
                openid = crate::sanitize::for_terminal(&u.openid).into_owned(),
                username = crate::sanitize::for_terminal(&u.username).into_owned(),
                sessions = n_sessions(cx.tr, u.sessions_revoked)
            ));
        }
        Ok(Outcome::PasswordSet(r)) => {
            let mut text = tr!(
                cx.tr,
                "console-password-set",
                sessions = n_sessions(cx.tr, r.sessions_revoked)
            );
            if r.bindings_removed > 0 {
                text.push_str(&tr!(
                    cx.tr,
                    "console-bindings-removed",
                    count = r.bindings_removed
                ));
            }
            cx.ok(text);
        }
        Ok(Outcome::Unbound(None)) => {
            cx.info(tr!(cx.tr, "console-binding-gone"));
        }
        // Reported above.
        Ok(Outcome::KeyReset(_)) => {}
        Err(OpsError::Store(e)) => {
            cx.store_error(&tr!(cx.tr, "console-refused"), &e);
        }
        Err(e) => cx.error(
            crate::sanitize::for_terminal(&crate::present::refusal::ops_error(cx.tr, &e))
                .into_owned(),
        ),
    }
    cx.push(Effect::Changed {
        revoked: revoked_ids,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_naturally() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        let mut c = Confirm::new(
            1,
            Operation::RevokeSessions { public_ids: vec![] },
            "Revoke",
            vec![],
            Count::Known(1),
            Consequence::SessionsRevoked,
        );
        let en = crate::i18n::Lang::En.tr();
        let zh = crate::i18n::Lang::ZhCn.tr();
        assert_eq!(c.headline(&en), "1 session will be revoked");
        assert_eq!(c.headline(&zh), "将撤销 1 个会话");
        c.count = Count::Known(2500);
        assert_eq!(c.headline(&en), "2,500 sessions will be revoked");
        assert_eq!(c.headline(&zh), "将撤销 2,500 个会话");
    }
}
