//! The Sessions view: live sessions newest first, filters, marks, detail, revoke.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use super::Component;
use super::list::{KeysetList, keyset_source};
use crate::console::action::Action;
use crate::console::confirm::{Operation, Request};
use crate::console::effect::{Cx, Effect, Goto};
use crate::console::export;
use crate::console::filter;
use crate::console::input::TextInput;
use crate::console::keymap::{Scope, key};
use crate::console::prompt::{Prompt, PromptKind};
use crate::console::views::exchange::KeyTools;
use crate::console::widgets::{self, Col, Paint, col, fill_col, sessions_word, thousands};
use crate::console::window::Chunk;
use crate::device::{self, Device};
use crate::ops::{self, KeyCheckReport, KeyResetReport, OpsError};
use crate::store::{SessionFilter, SessionRow, SessionState, StoreError, Ts};
use crate::wechat::{KeyCheck, WechatError};

/// Most sessions that can be marked at once (the store revokes at most this many by id).
pub const MAX_MARKS: usize = 10_000;

/// A recount of the matching sessions at most this often during live refresh.
const RECOUNT_EVERY: Duration = Duration::from_secs(30);
/// A count another console of this process made this recently is shown instead of counting.
const SHARED_COUNT_AGE: Duration = Duration::from_secs(5);

/// Results of the view's background work.
#[derive(Debug)]
pub enum Msg {
    Page {
        generation: u64,
        result: Result<Chunk<SessionRow>, StoreError>,
    },
    Count {
        generation: u64,
        /// The count, and whether it is exact (false: the planner's estimate).
        result: Result<(u64, bool), StoreError>,
    },
    /// A session_key check finished (audited).
    KeyChecked(Box<KeyResult>),
    /// Export (`:export`): progress and the end of the running export.
    Export(export::Msg),
}

keyset_source!(
    SessionFilter => SessionRow,
    older: list_sessions,
    newer: list_sessions_newer,
    format: filter::format_session_filter,
    noun: "sessions",
    prompt: "filter (username= account= appid= openid= unionid= ip= id= all): ",
);

#[derive(Debug, Default)]
pub struct SessionsView {
    pub list: KeysetList<SessionFilter>,
    /// Marked sessions: public id → username (to say whose they are).
    pub marks: BTreeMap<String, String>,
    /// How many sessions match the filter (counted in the background).
    pub total: Option<u64>,
    /// The total is the live-session estimate, not an exact count (shown with `~`).
    pub total_estimated: bool,
    count_generation: u64,
    last_count: Option<Instant>,
    /// The WeChat client and data key for session_key checks and resets.
    pub keys: KeyTools,
    /// The last session_key check or reset per session (public id), shown in its detail.
    pub key_results: BTreeMap<String, KeyResult>,
    /// The session whose key is being checked (the busy indicator).
    pub key_checking: Option<String>,
    /// Support tools (device): the parsed user agent of each loaded row, by session row id,
    /// filled when a page arrives so drawing never parses.
    devices: HashMap<i64, Option<Device>>,
    /// Export (`:export`): the export in progress, if any, and the last one's number.
    pub export: Option<export::Running>,
    export_seq: u64,
}

impl SessionsView {
    pub fn filter(&self) -> &SessionFilter {
        &self.list.filter
    }

    /// Starts over from the newest page and recounts (start-up).
    pub fn reload(&mut self, cx: &mut Cx) {
        self.list.reload(cx);
        self.count(false, cx);
    }

    /// Reloads around the selected session, keeping the cursor and the marks.
    fn reload_here(&mut self, recount: bool, cx: &mut Cx) {
        self.list.refresh(cx);
        if recount || self.last_count.is_none_or(|t| t.elapsed() >= RECOUNT_EVERY) {
            self.count(recount, cx);
        }
    }

    /// Counts in the background: the count another console of this process made less than
    /// [`SHARED_COUNT_AGE`] ago if there is one, unless `fresh` (an explicit refresh).
    fn count(&mut self, fresh: bool, cx: &mut Cx) {
        self.count_generation += 1;
        self.last_count = Some(Instant::now());
        let generation = self.count_generation;
        let store = cx.store.clone();
        let filter = self.list.filter.clone();
        let max_age = if fresh {
            Duration::ZERO
        } else {
            SHARED_COUNT_AGE
        };
        cx.spawn(async move {
            // Every live session: the maintained count the Overview uses (an estimate when an
            // exact count is too slow), not an exact COUNT over the whole table; shared by the
            // consoles of this process (one count per filter, not one per operator).
            let result = store.count_sessions_shared(&filter, max_age).await;
            Msg::Count { generation, result }
        });
    }

    pub fn set_filter(&mut self, filter: SessionFilter, cx: &mut Cx) {
        let text = filter.describe();
        self.total = None;
        self.list.set_filter(filter, cx);
        self.count(false, cx);
        cx.info(format!("sessions: {}", widgets::clean(&text, 200)));
    }

    pub fn apply(&mut self, msg: Msg, cx: &mut Cx) {
        match msg {
            Msg::Page { generation, result } => {
                let applied = self.list.apply(generation, result, cx);
                if applied {
                    self.index_devices();
                }
                if applied
                    && self.list.filter.token_hash.is_some()
                    && self.list.window.rows.is_empty()
                {
                    cx.info(
                        "no session has that SessionId (a SessionId is only valid as issued, in full)",
                    );
                }
            }
            Msg::Count { generation, result } => {
                if generation != self.count_generation {
                    return;
                }
                match result {
                    Ok((n, exact)) => {
                        self.total = Some(n);
                        self.total_estimated = !exact;
                    }
                    // The count is secondary (the title shows `…`): a lost connection raises
                    // the banner, other errors are left to the list's own load to report.
                    Err(e) if e.is_connection() => cx.push(Effect::DbDown(e.to_string())),
                    Err(_) => self.total = None,
                }
            }
            Msg::Export(m) => self.export_msg(m, cx),
            Msg::KeyChecked(r) => {
                self.key_checking = None;
                let text = r.status_text();
                if r.outcome.is_failure() {
                    cx.error(text);
                } else {
                    cx.ok(text);
                }
                cx.push(Effect::Audited);
                self.key_result(*r);
            }
        }
    }

    /// Export (`:export csv|json FILE`): writes the list, with its filter in force, to a file
    /// in the background (see [`export`]).
    pub fn start_export(&mut self, req: export::Request, cx: &mut Cx) {
        if let Some(r) = &self.export {
            return cx.error(format!(
                "an export to {} is running: {} cancels it",
                export::shown(&r.path),
                key(Scope::Global, Action::Back)
            ));
        }
        if let Err(denied) = ops::check(cx.actor, &ops::Operation::ExportSessions) {
            return cx.error(denied.to_string());
        }
        if let Err(e) = export::precheck(&req) {
            return cx.error(e);
        }
        self.export_seq += 1;
        let id = self.export_seq;
        let (running, cancel) = export::start(id, req.path.clone());
        self.export = Some(running);
        cx.info(format!(
            "exporting to {}… {} cancels",
            export::shown(&req.path),
            key(Scope::Global, Action::Back)
        ));
        let store = cx.store.clone();
        let actor = cx.actor.clone();
        let filter = self.list.filter.clone();
        let reporter = cx.tasks().reporter();
        cx.spawn(async move {
            let progress =
                move |rows| reporter.send(Msg::Export(export::Msg::Progress { id, rows }));
            let outcome = export::run(store, actor, filter, req, cancel, progress).await;
            Msg::Export(export::Msg::Done { id, outcome })
        });
    }

    /// Whether an export is running (Esc cancels it).
    pub fn exporting(&self) -> bool {
        self.export.is_some()
    }

    /// Esc while exporting: the task stops before its next page and removes its file.
    pub fn cancel_export(&mut self, cx: &mut Cx) {
        if let Some(r) = &self.export {
            r.cancel();
            cx.info(format!(
                "cancelling the export to {}…",
                export::shown(&r.path)
            ));
        }
    }

    fn export_msg(&mut self, m: export::Msg, cx: &mut Cx) {
        match m {
            export::Msg::Progress { id, rows } => {
                if let Some(r) = self.export.as_mut().filter(|r| r.id == id) {
                    r.rows = rows;
                    cx.info(format!(
                        "exporting {} rows… {} cancels",
                        thousands(rows),
                        key(Scope::Global, Action::Back)
                    ));
                }
            }
            export::Msg::Done { id, outcome } => {
                let Some(r) = self.export.take_if(|r| r.id == id) else {
                    return;
                };
                let path = export::shown(&r.path);
                match outcome {
                    export::Outcome::Written(n) => {
                        cx.ok(format!(
                            "exported {} {} to {path}",
                            thousands(n),
                            sessions_word(n)
                        ));
                        cx.push(Effect::Audited);
                    }
                    export::Outcome::Cancelled => {
                        cx.info(format!("export cancelled: {path} not written"))
                    }
                    export::Outcome::Failed(e) => cx.error(format!(
                        "export failed, {path} not written: {}",
                        crate::sanitize::for_terminal(&e)
                    )),
                }
            }
        }
    }

    /// Support tools (device): parses the user agents of newly loaded rows and forgets the
    /// rows that left the window (the cache stays the window's size).
    fn index_devices(&mut self) {
        let rows = &self.list.window.rows;
        let ids: std::collections::HashSet<i64> = rows.iter().map(|r| r.id).collect();
        self.devices.retain(|id, _| ids.contains(id));
        for r in rows {
            self.devices
                .entry(r.id)
                .or_insert_with(|| r.user_agent.as_deref().and_then(device::parse));
        }
    }

    /// The parsed device of a loaded row (parsed here only if the cache missed it).
    fn device_of(&self, row: &SessionRow) -> Option<Device> {
        match self.devices.get(&row.id) {
            Some(d) => d.clone(),
            None => row.user_agent.as_deref().and_then(device::parse),
        }
    }

    fn back(&mut self, cx: &mut Cx) {
        if self.list.detail {
            self.list.detail = false;
        } else if self.list.filter != SessionFilter::default() {
            self.set_filter(SessionFilter::default(), cx);
            cx.info("filter cleared: all live sessions");
        } else if !self.marks.is_empty() {
            self.marks.clear();
            cx.info("marks cleared");
        }
    }

    fn toggle_inactive(&mut self, cx: &mut Cx) {
        let mut f = self.list.filter.clone();
        f.include_inactive = !f.include_inactive;
        let showing = f.include_inactive;
        self.set_filter(f, cx);
        cx.info(if showing {
            format!(
                "showing revoked and expired sessions too ({} hides them)",
                key(Scope::Sessions, Action::ToggleInactive)
            )
        } else {
            "showing live sessions only".to_owned()
        });
    }

    fn toggle_mark(&mut self, row: Option<SessionRow>, cx: &mut Cx) {
        let Some(row) = row else { return };
        if self.marks.remove(&row.public_id).is_none() {
            let state = row.state(cx.now);
            if state != SessionState::Active {
                return cx.info(format!(
                    "{} is {state}: only live sessions can be marked",
                    row.public_id
                ));
            }
            if self.marks.len() >= MAX_MARKS {
                return cx.error(format!(
                    "at most {MAX_MARKS} marks: revoke by account or openid ({} / {}) instead",
                    key(Scope::Sessions, Action::RevokeAccount),
                    key(Scope::Sessions, Action::RevokeOpenid)
                ));
            }
            self.marks.insert(row.public_id, row.username);
        }
        self.list.navigate(Action::Down, cx);
    }

    /// `d`: the marked sessions, or the selected one.
    fn revoke(&self, selected: Option<SessionRow>, cx: &mut Cx) {
        if !self.marks.is_empty() {
            return cx.push(Effect::Confirm(self.revoke_marked()));
        }
        let Some(row) = selected else {
            return cx.info("no session selected");
        };
        let state = row.state(cx.now);
        if state != SessionState::Active {
            return cx.info(format!("{} is already {state}", row.public_id));
        }
        cx.push(Effect::Confirm(Request {
            title: "Revoke session".into(),
            subject: vec![
                ("session".into(), row.public_id.clone()),
                ("account".into(), account_text(&row)),
                (
                    "app".into(),
                    format!(
                        "{}  openid {}",
                        widgets::clean(&row.appid, 24),
                        widgets::shorten_id(&row.openid, 20)
                    ),
                ),
                (
                    "client".into(),
                    format!(
                        "{}  {}",
                        widgets::clean_opt(&row.client_ip, 40),
                        widgets::clean_opt(&row.user_agent, 40)
                    ),
                ),
            ],
            op: Operation::RevokeSessions {
                public_ids: vec![row.public_id],
            },
            count: Some(1),
            consequence: "sessions will be revoked",
            verb: Action::Revoke.verb(),
        }));
    }

    fn revoke_marked(&self) -> Request {
        let ids: Vec<String> = self.marks.keys().cloned().collect();
        let mut whose: Vec<&str> = self.marks.values().map(String::as_str).collect();
        whose.sort_unstable();
        whose.dedup();
        let mut accounts = whose
            .iter()
            .take(4)
            .map(|u| widgets::clean(u, 20))
            .collect::<Vec<_>>()
            .join(", ");
        if whose.len() > 4 {
            accounts.push_str(&format!(" and {} more", whose.len() - 4));
        }
        let n = ids.len() as u64;
        let first = ids.iter().take(3).cloned().collect::<Vec<_>>().join(" ");
        let more = if ids.len() > 3 {
            format!(" +{}", ids.len() - 3)
        } else {
            String::new()
        };
        Request {
            title: format!("Revoke {} marked {}", thousands(n), sessions_word(n)),
            subject: vec![
                ("sessions".into(), format!("{first}{more}")),
                ("accounts".into(), accounts),
            ],
            op: Operation::RevokeSessions { public_ids: ids },
            count: Some(n),
            consequence: "sessions will be revoked",
            verb: Action::Revoke.verb(),
        }
    }

    /// `A` / `O`: every live session of the selected session's account / openid.
    fn revoke_all_of(&self, action: Action, selected: Option<SessionRow>, cx: &mut Cx) {
        let Some(row) = selected else {
            return cx.info("no session selected");
        };
        let (title, filter, subject) = if action == Action::RevokeAccount {
            (
                "Revoke every session of an account",
                SessionFilter {
                    account_id: Some(row.account_id),
                    ..Default::default()
                },
                vec![
                    ("account".into(), account_text(&row)),
                    (
                        "scope".into(),
                        "every live session, in every mini program".into(),
                    ),
                ],
            )
        } else {
            (
                "Revoke every session of an openid",
                SessionFilter {
                    appid: Some(row.appid.clone()),
                    openid: Some(row.openid.clone()),
                    ..Default::default()
                },
                vec![
                    ("openid".into(), widgets::clean(&row.openid, 64)),
                    ("appid".into(), widgets::clean(&row.appid, 64)),
                    ("account".into(), account_text(&row)),
                ],
            )
        };
        cx.push(Effect::Confirm(Request {
            op: Operation::RevokeMatching { filter },
            title: title.into(),
            subject,
            count: None,
            consequence: "sessions will be revoked",
            verb: action.verb(),
        }));
    }
}

/// `alice (#42)`.
fn account_text(row: &SessionRow) -> String {
    format!(
        "{} (#{})",
        widgets::clean(&row.username, 40),
        row.account_id
    )
}

impl Component for SessionsView {
    fn handle(&mut self, action: Action, cx: &mut Cx) {
        if self.list.navigate(action, cx) {
            return;
        }
        let selected = self.list.window.selected_row().cloned();
        match action {
            Action::Back => self.back(cx),
            Action::Refresh => {
                self.reload_here(true, cx);
                cx.info("refreshed");
            }
            Action::FindByToken => cx.prompt(
                Prompt::new(
                    PromptKind::Token,
                    "SessionId (masked, hashed, never stored): ",
                    TextInput::masked(),
                )
                .with_hint(format!(
                    "paste the SessionId; {} hashes it and searches, {} cancels",
                    key(Scope::Prompt, Action::Confirm),
                    key(Scope::Prompt, Action::Cancel)
                )),
            ),
            Action::ToggleInactive => self.toggle_inactive(cx),
            Action::ToggleMark => self.toggle_mark(selected, cx),
            Action::ClearMarks => {
                self.marks.clear();
                cx.info("marks cleared");
            }
            Action::Revoke => self.revoke(selected, cx),
            Action::RevokeAccount | Action::RevokeOpenid => {
                self.revoke_all_of(action, selected, cx)
            }
            Action::JumpToBindings => {
                if let Some(row) = selected {
                    cx.goto(Goto::Account(row.account_id));
                }
            }
            // Session keys: check (a background task) and reset (through the dialog).
            Action::CheckSessionKey => self.check_key(selected, cx),
            Action::ResetSessionKey => self.reset_key(selected, cx),
            // Keys of other scopes never reach this view (the key table is looked up by scope).
            _ => {}
        }
    }

    fn accept(&mut self, kind: PromptKind, input: &mut TextInput, cx: &mut Cx) {
        match kind {
            PromptKind::Filter => match filter::parse_session_filter(input.value()) {
                Ok(f) => self.set_filter(f, cx),
                Err(e) => cx.error(e),
            },
            PromptKind::Token => {
                let hash = input.consume(|raw| {
                    (!raw.trim().is_empty())
                        .then(|| crate::crypto::SessionToken::from_raw(raw).hash())
                });
                match hash {
                    // Looked up by the hash of the pasted SessionId, whatever its state.
                    Some(h) => self.set_filter(
                        SessionFilter {
                            token_hash: Some(h),
                            include_inactive: true,
                            ..Default::default()
                        },
                        cx,
                    ),
                    None => cx.info("no SessionId given"),
                }
            }
            PromptKind::Command
            | PromptKind::Code
            | PromptKind::MintUser
            | PromptKind::NewPassword => {}
        }
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.reload_here(true, cx);
    }

    fn live(&mut self, cx: &mut Cx) {
        if !self.list.window.is_loading() {
            self.reload_here(false, cx);
        }
    }

    fn changed(&mut self, revoked: &[String], _visible: bool, cx: &mut Cx) {
        for id in revoked {
            self.marks.remove(id);
        }
        self.reload_here(true, cx);
    }

    fn busy(&self) -> bool {
        self.list.window.is_loading() || self.key_checking.is_some()
    }

    fn paste_hint(&self) -> String {
        format!(
            "paste ignored: press {} first to find a session by its SessionId",
            key(Scope::Sessions, Action::FindByToken)
        )
    }

    fn draw(&self, frame: &mut Frame, area: Rect, paint: &Paint) {
        let table = |f: &mut Frame, a| self.draw_table(f, a, paint);
        self.list
            .draw(frame, area, table, |f, a| self.draw_detail(f, a, paint));
    }
}

// ---- drawing ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Field {
    Mark,
    Session,
    User,
    State,
    Appid,
    Openid,
    Created,
    LastSeen,
    Expires,
    Ip,
    Device,
    UserAgent,
}

fn columns(wide: bool, with_state: bool) -> Vec<(Col, Field)> {
    let mut v = vec![
        (col("", 1, 0), Field::Mark),
        (
            col("SESSION", if wide { 24 } else { 12 }, 0),
            Field::Session,
        ),
        (col("ACCOUNT", if wide { 16 } else { 12 }, 0), Field::User),
    ];
    if with_state {
        v.push((col("STATE", 7, 0), Field::State));
    }
    v.extend([
        (col("APPID", 18, 3), Field::Appid),
        (col("OPENID", if wide { 28 } else { 12 }, 1), Field::Openid),
        (
            col("CREATED", if wide { 16 } else { 11 }, 4),
            Field::Created,
        ),
        (col("LAST SEEN", 9, 1), Field::LastSeen),
        // Narrow: the device takes the place of the expiry (back from about 90 columns).
        (col("EXPIRES", 8, if wide { 2 } else { 3 }), Field::Expires),
        (col("CLIENT IP", 15, 2), Field::Ip),
    ]);
    // Support tools (device): wide screens show the parsed device and the raw user agent;
    // narrow ones the device only, in the shortest form that fits.
    if wide {
        v.extend([
            (col("DEVICE", 36, 2), Field::Device),
            (fill_col("USER AGENT", 12, 3), Field::UserAgent),
        ]);
    } else {
        v.push((fill_col("DEVICE", 9, 2), Field::Device));
    }
    v
}

impl SessionsView {
    fn cell(
        &self,
        paint: &Paint,
        row: &SessionRow,
        field: Field,
        width: u16,
        wide: bool,
    ) -> Cell<'static> {
        let w = width as usize;
        let now = paint.now;
        let text = match field {
            Field::Mark => {
                let mark = if self.marks.contains_key(&row.public_id) {
                    "●"
                } else {
                    " "
                };
                return Cell::from(Span::styled(mark, paint.theme.marked));
            }
            Field::Session => widgets::truncate_to(&row.public_id, w),
            Field::User => widgets::clean(&row.username, w),
            Field::State => row.state(now).to_string(),
            Field::Appid => widgets::clean(&row.appid, w),
            Field::Openid if wide => widgets::clean(&row.openid, w),
            Field::Openid => widgets::shorten_id(&row.openid, w),
            Field::Created if wide => widgets::datetime(row.created_at),
            Field::Created => widgets::short_datetime(row.created_at),
            Field::LastSeen => widgets::relative(now, row.last_seen_at),
            Field::Expires => match row.state(now) {
                SessionState::Active => widgets::relative(now, row.expires_at),
                SessionState::Expired => "expired".into(),
                SessionState::Revoked => "revoked".into(),
            },
            Field::Ip => widgets::clean_opt(&row.client_ip, w),
            // Not a WeChat user agent (or a hostile one): `unknown` and, where there is
            // room, the sanitised raw text.
            Field::Device => match (self.device_of(row), &row.user_agent) {
                (Some(d), _) => d.fit(w),
                (None, Some(ua)) if w >= 16 => widgets::clean(&format!("unknown {ua}"), w),
                (None, _) => "unknown".into(),
            },
            Field::UserAgent => widgets::clean_opt(&row.user_agent, w),
        };
        Cell::from(text)
    }

    fn title_line(&self, paint: &Paint) -> Line<'static> {
        let t = paint.theme;
        let f = &self.list.filter;
        let mut spans = vec![Span::styled(" Sessions ", t.title)];
        let scope = if f.include_inactive {
            "all states"
        } else {
            "live"
        };
        spans.push(Span::styled(format!("({scope}) "), t.label));
        let narrowing = SessionFilter {
            include_inactive: false,
            ..f.clone()
        };
        if !narrowing.selects_everything() {
            spans.push(Span::styled(
                format!(
                    "[{}] ",
                    widgets::clean(&filter::describe_session_filter(&narrowing), 60)
                ),
                t.warn,
            ));
        }
        if self.total_estimated {
            spans.push(Span::styled("~ total estimated ", t.label));
        }
        if !self.marks.is_empty() {
            spans.push(Span::styled(
                format!("{} marked ", thousands(self.marks.len() as u64)),
                t.marked,
            ));
        }
        Line::from(spans)
    }

    fn draw_table(&self, frame: &mut Frame, area: Rect, paint: &Paint) {
        let t = paint.theme;
        let f = &self.list.filter;
        self.list.draw_table(
            frame,
            area,
            paint,
            self.title_line(paint),
            self.total,
            || {
                if !self.list.window.loaded {
                    format!("{} loading sessions…", widgets::spinner(paint.spinner))
                } else if f.token_hash.is_some() {
                    "no session has that SessionId".into()
                } else if f.selects_everything() {
                    "no live sessions".into()
                } else {
                    format!(
                        "no session matches the filter ({} clears it)",
                        key(Scope::Sessions, Action::Back)
                    )
                }
            },
            |wide| columns(wide, f.include_inactive),
            |i, row| {
                if i == self.list.window.selected {
                    t.selected
                } else if self.marks.contains_key(&row.public_id) {
                    t.marked
                } else if row.state(paint.now) != SessionState::Active {
                    t.inactive
                } else {
                    t.value
                }
            },
            |row, field, width, wide| self.cell(paint, row, field, width, wide),
        );
    }

    fn draw_detail(&self, frame: &mut Frame, area: Rect, paint: &Paint) {
        let t = paint.theme;
        let Some(row) = self.list.window.selected_row() else {
            return;
        };
        let now = paint.now;
        let state = row.state(now);
        let state_style = match state {
            SessionState::Active => t.ok,
            _ => t.error,
        };
        let mut lines = vec![
            widgets::field(t, "session", row.public_id.clone(), Some(t.title)),
            widgets::field(t, "state", state.to_string(), Some(state_style)),
        ];
        if let Some(at) = row.revoked_at {
            lines.extend([
                widgets::field(t, "revoked", widgets::when(now, at), None),
                widgets::field(
                    t,
                    "revoked by",
                    widgets::clean_opt(&row.revoked_by, 60),
                    None,
                ),
                widgets::field(
                    t,
                    "reason",
                    widgets::clean_opt(&row.revoke_reason, 200),
                    None,
                ),
            ]);
        }
        let k = |a| key(Scope::Sessions, a);
        lines.extend([
            widgets::field(
                t,
                "account",
                format!(
                    "{} (#{})",
                    widgets::clean(&row.username, 60),
                    row.account_id
                ),
                None,
            ),
            widgets::field(t, "appid", widgets::clean(&row.appid, 64), None),
            widgets::field(t, "openid", widgets::clean(&row.openid, 128), None),
            widgets::field(t, "unionid", widgets::clean_opt(&row.unionid, 128), None),
            widgets::field(t, "created", widgets::when(now, row.created_at), None),
            widgets::field(t, "last seen", widgets::when(now, row.last_seen_at), None),
            widgets::field(t, "expires", widgets::when(now, row.expires_at), None),
            widgets::field(t, "client IP", widgets::clean_opt(&row.client_ip, 64), None),
            widgets::field(
                t,
                "device",
                self.device_of(row)
                    .map_or_else(|| "unknown".into(), |d| d.summary()),
                None,
            ),
            widgets::field(
                t,
                "user agent",
                widgets::clean_opt(&row.user_agent, 600),
                None,
            ),
        ]);
        // Session keys: the last check or reset of this session's session_key.
        lines.extend(self.key_lines(row, paint));
        lines.extend([
            Line::raw(""),
            widgets::keys_line(
                t,
                &[
                    (k(Action::Revoke), " revoke  "),
                    (k(Action::RevokeAccount), " all of account  "),
                    (k(Action::RevokeOpenid), " all of openid"),
                ],
            ),
            widgets::keys_line(
                t,
                &[
                    (k(Action::JumpToBindings), " account in Bindings  "),
                    (k(Action::Back), " back"),
                ],
            ),
            // Session keys.
            widgets::keys_line(
                t,
                &[
                    (k(Action::CheckSessionKey), " check session_key  "),
                    (k(Action::ResetSessionKey), " reset session_key"),
                ],
            ),
        ]);
        widgets::detail_pane(frame, area, t, "Session detail", lines);
    }
}

// ---- session keys: check and reset the selected session's WeChat session_key -----------------

/// Most sessions whose last key result is remembered (the oldest are forgotten first).
const KEY_RESULTS: usize = 200;

/// The outcome of one check or reset of a session's session_key: nothing secret in it (the
/// keys only masked).
#[derive(Debug, Clone)]
pub struct KeyResult {
    pub public_id: String,
    /// When it finished (the store's clock).
    pub at: Ts,
    /// The key that was checked or replaced, masked.
    pub key_masked: Option<String>,
    pub outcome: KeyOutcome,
}

#[derive(Debug, Clone)]
pub enum KeyOutcome {
    /// WeChat still holds the stored key.
    Valid,
    /// 87009: the stored key expired or was replaced by a newer wx.login().
    Stale { errcode: i64, rid: Option<String> },
    /// WeChat issued a new key; it is stored on these sessions.
    Reset {
        new_key_masked: String,
        sessions: Vec<String>,
    },
    /// WeChat or this program refused: the errcode (if WeChat answered one), its meaning and
    /// what to do, or the error's own sentence.
    Failed {
        what: &'static str,
        errcode: Option<i64>,
        meaning: String,
        action: String,
        message: String,
    },
}

impl KeyOutcome {
    pub fn is_failure(&self) -> bool {
        matches!(self, KeyOutcome::Failed { .. } | KeyOutcome::Stale { .. })
    }

    fn failed(what: &'static str, e: &WechatError) -> Self {
        KeyOutcome::Failed {
            what,
            errcode: e.errcode(),
            meaning: e.meaning().to_owned(),
            action: e.action().to_owned(),
            message: e.to_string(),
        }
    }

    fn refused(what: &'static str, e: &OpsError) -> Self {
        KeyOutcome::Failed {
            what,
            errcode: None,
            meaning: String::new(),
            action: String::new(),
            message: e.to_string(),
        }
    }
}

/// What a stale key means, in the detail pane and on the status line.
pub const STALE_TEXT: &str =
    "the key expired or was replaced by a newer wx.login(); the user must log in again";

impl KeyResult {
    /// The result of [`ops::check_session_key`].
    pub fn from_check(public_id: &str, at: Ts, r: Result<KeyCheckReport, OpsError>) -> Self {
        let (key_masked, outcome) = match r {
            Ok(rep) => (
                Some(rep.session_key_masked),
                match rep.answer {
                    Ok(KeyCheck::Valid) => KeyOutcome::Valid,
                    Ok(KeyCheck::Stale(api)) => {
                        let e = WechatError::StaleSessionKey(api);
                        KeyOutcome::Stale {
                            errcode: e.errcode().unwrap_or(87009),
                            rid: e.rid().map(str::to_owned),
                        }
                    }
                    Err(e) => KeyOutcome::failed("check failed", &e),
                },
            ),
            Err(e) => (None, KeyOutcome::refused("check failed", &e)),
        };
        KeyResult {
            public_id: public_id.to_owned(),
            at,
            key_masked,
            outcome,
        }
    }

    /// The result of [`ops::reset_session_key`].
    pub fn from_reset(public_id: &str, at: Ts, r: Result<KeyResetReport, OpsError>) -> Self {
        let (key_masked, outcome) = match r {
            Ok(rep) => (
                Some(rep.old_key_masked),
                match rep.answer {
                    Ok((new_key_masked, sessions)) => KeyOutcome::Reset {
                        new_key_masked,
                        sessions,
                    },
                    Err(e) => KeyOutcome::failed("reset failed", &e),
                },
            ),
            Err(e) => (None, KeyOutcome::refused("reset failed", &e)),
        };
        KeyResult {
            public_id: public_id.to_owned(),
            at,
            key_masked,
            outcome,
        }
    }

    /// One line for the status line (sanitised).
    pub fn status_text(&self) -> String {
        let id = widgets::clean(&self.public_id, 40);
        match &self.outcome {
            KeyOutcome::Valid => format!("{id}: session_key valid"),
            KeyOutcome::Stale { errcode, .. } => {
                format!("{id}: session_key stale ({errcode}): {STALE_TEXT}")
            }
            KeyOutcome::Reset { sessions, .. } => format!(
                "{id}: session_key reset: the new key is stored on {} {}",
                sessions.len(),
                sessions_word(sessions.len() as u64)
            ),
            KeyOutcome::Failed {
                what,
                errcode: Some(c),
                meaning,
                ..
            } => format!(
                "{id}: {what}: errcode {c}: {}",
                widgets::clean(meaning, 200)
            ),
            KeyOutcome::Failed { what, message, .. } => {
                format!("{id}: {what}: {}", widgets::clean(message, 300))
            }
        }
    }
}

impl SessionsView {
    /// Keeps `r` as the last key result of its session (shown in the detail pane).
    pub fn key_result(&mut self, r: KeyResult) {
        self.key_results.insert(r.public_id.clone(), r);
        while self.key_results.len() > KEY_RESULTS {
            let oldest = self
                .key_results
                .iter()
                .min_by_key(|(_, r)| r.at)
                .map(|(id, _)| id.clone());
            match oldest {
                Some(id) => self.key_results.remove(&id),
                None => break,
            };
        }
    }

    /// `c`: asks WeChat (through ops, audited) whether the selected session's key is valid.
    fn check_key(&mut self, selected: Option<SessionRow>, cx: &mut Cx) {
        let Some(row) = selected else {
            return cx.info("no session selected");
        };
        if let Some(id) = &self.key_checking {
            return cx.info(format!(
                "already checking the session_key of {}",
                widgets::clean(id, 40)
            ));
        }
        let (client, data_key) = match self.keys.ready() {
            Ok(t) => t,
            Err(why) => return cx.error(widgets::clean(&why, 300)),
        };
        let public_id = row.public_id.clone();
        self.key_checking = Some(public_id.clone());
        let store = cx.store.clone();
        let actor = cx.actor.clone();
        cx.info(format!(
            "checking the session_key of {} with WeChat…",
            widgets::clean(&public_id, 40)
        ));
        cx.spawn(async move {
            let r = ops::check_session_key(&store, &client, &data_key, &actor, &public_id).await;
            let at = Ts::from(store.now());
            Msg::KeyChecked(Box::new(KeyResult::from_check(&public_id, at, r)))
        });
    }

    /// `R`: the confirmation dialog (with a reason) for a reset of the selected session's key.
    fn reset_key(&self, selected: Option<SessionRow>, cx: &mut Cx) {
        let Some(row) = selected else {
            return cx.info("no session selected");
        };
        if let Err(why) = self.keys.ready() {
            return cx.error(widgets::clean(&why, 300));
        }
        if self.key_checking.as_deref() == Some(row.public_id.as_str()) {
            return cx.info("wait for the session_key check to finish");
        }
        cx.push(Effect::Confirm(Request {
            title: "Reset a session_key".into(),
            subject: vec![
                ("session".into(), row.public_id.clone()),
                ("account".into(), account_text(&row)),
                ("appid".into(), widgets::clean(&row.appid, 64)),
                ("openid".into(), widgets::clean(&row.openid, 64)),
            ],
            op: Operation::ResetSessionKey {
                public_id: row.public_id,
            },
            count: Some(1),
            consequence: "session_key will be replaced; the old one stops working at WeChat",
            verb: Action::ResetSessionKey.verb(),
        }));
    }

    /// The detail pane's lines for the selected session's key: checking…, or the last result.
    fn key_lines(&self, row: &SessionRow, paint: &Paint) -> Vec<Line<'static>> {
        let t = paint.theme;
        if self.key_checking.as_deref() == Some(row.public_id.as_str()) {
            return vec![widgets::field(
                t,
                "session_key",
                format!("{} checking with WeChat…", widgets::spinner(paint.spinner)),
                Some(t.muted),
            )];
        }
        let Some(r) = self.key_results.get(&row.public_id) else {
            return Vec::new();
        };
        let at = r.at.0.format("%H:%M:%S");
        let k = |a| key(Scope::Sessions, a);
        let mut lines = Vec::new();
        match &r.outcome {
            KeyOutcome::Valid => lines.push(widgets::field(
                t,
                "session_key",
                format!("valid (checked {at})"),
                Some(t.ok),
            )),
            KeyOutcome::Stale { errcode, rid } => {
                lines.push(widgets::field(
                    t,
                    "session_key",
                    format!("stale: {errcode} — {STALE_TEXT} (checked {at})"),
                    Some(t.error),
                ));
                lines.push(widgets::field(
                    t,
                    "what to do",
                    format!(
                        "ask the user to reopen the mini program (a new wx.login()), or {} has WeChat issue a new key",
                        k(Action::ResetSessionKey)
                    ),
                    Some(t.warn),
                ));
                if let Some(rid) = rid {
                    lines.push(widgets::field(t, "rid", widgets::clean(rid, 64), None));
                }
            }
            KeyOutcome::Reset {
                new_key_masked,
                sessions,
            } => {
                lines.push(widgets::field(
                    t,
                    "session_key",
                    format!("reset: new key stored (masked {new_key_masked})"),
                    Some(t.ok),
                ));
                lines.push(widgets::field(
                    t,
                    "sessions",
                    format!(
                        "{} {} of this user now hold it (reset at {at})",
                        sessions.len(),
                        sessions_word(sessions.len() as u64)
                    ),
                    None,
                ));
                if let Some(old) = &r.key_masked {
                    lines.push(widgets::field(
                        t,
                        "old key",
                        format!("{old}: no longer valid at WeChat"),
                        Some(t.muted),
                    ));
                }
            }
            KeyOutcome::Failed {
                what,
                errcode,
                meaning,
                action,
                message,
            } => {
                let head = match errcode {
                    Some(c) => format!("{what}: errcode {c} ({at})"),
                    None => format!("{what} ({at})"),
                };
                lines.push(widgets::field(t, "session_key", head, Some(t.error)));
                if !meaning.is_empty() {
                    lines.push(widgets::field(
                        t,
                        "meaning",
                        widgets::clean(meaning, 200),
                        None,
                    ));
                }
                if !action.is_empty() {
                    lines.push(widgets::field(
                        t,
                        "what to do",
                        widgets::clean(action, 300),
                        Some(t.warn),
                    ));
                }
                if errcode.is_none() {
                    lines.push(widgets::field(
                        t,
                        "detail",
                        widgets::clean(message, 300),
                        Some(t.muted),
                    ));
                }
            }
        }
        if let (Some(masked), false) =
            (&r.key_masked, matches!(r.outcome, KeyOutcome::Reset { .. }))
        {
            lines.push(widgets::field(t, "stored key", masked.clone(), None));
        }
        lines
    }
}
