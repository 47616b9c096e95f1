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
use crate::console::confirm::Consequence;
use crate::console::confirm::{Operation, Request};
use crate::console::effect::{Cx, Effect, Goto};
use crate::console::export;
use crate::console::filter;
use crate::console::input::TextInput;
use crate::console::keymap::{Scope, key};
use crate::console::prompt::{Prompt, PromptKind};
use crate::console::views::exchange::KeyTools;
use crate::console::widgets::{self, Col, Paint, col, fill_col, n_sessions, thousands};
use crate::console::window::Chunk;
use crate::device::{self, Device};
use crate::i18n::Tr;
use crate::ops::{self, KeyCheckReport, KeyResetReport, OpsError};
use crate::store::{SessionFilter, SessionRow, SessionState, StoreError, Ts};
use crate::tr;
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
    noun: "console-noun-sessions",
    prompt: "console-sessions-filter-prompt",
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
        cx.info(tr!(
            cx.tr,
            "console-sessions-filter-set",
            filter = widgets::clean(&text, 200)
        ));
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
                    cx.info(tr!(cx.tr, "console-no-session-with-token"));
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
                let text = r.status_text(cx.tr);
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
            return cx.error(tr!(
                cx.tr,
                "console-export-running",
                path = export::shown(&r.path),
                key = key(Scope::Global, Action::Back)
            ));
        }
        if let Err(denied) = ops::check(cx.actor, &ops::Operation::ExportSessions) {
            return cx.error(crate::present::refusal::refusal(cx.tr, &denied));
        }
        if let Err(e) = export::precheck(cx.tr, &req) {
            return cx.error(e);
        }
        self.export_seq += 1;
        let id = self.export_seq;
        let (running, cancel) = export::start(id, req.path.clone());
        self.export = Some(running);
        cx.info(tr!(
            cx.tr,
            "console-exporting-to",
            path = export::shown(&req.path),
            key = key(Scope::Global, Action::Back)
        ));
        let store = cx.store.clone();
        let actor = cx.actor.clone();
        let filter = self.list.filter.clone();
        let reporter = cx.tasks().reporter();
        let tr = cx.tr.clone();
        cx.spawn(async move {
            let progress =
                move |rows| reporter.send(Msg::Export(export::Msg::Progress { id, rows }));
            let outcome = export::run(tr, store, actor, filter, req, cancel, progress).await;
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
            cx.info(tr!(
                cx.tr,
                "console-export-cancelling",
                path = export::shown(&r.path)
            ));
        }
    }

    fn export_msg(&mut self, m: export::Msg, cx: &mut Cx) {
        match m {
            export::Msg::Progress { id, rows } => {
                if let Some(r) = self.export.as_mut().filter(|r| r.id == id) {
                    r.rows = rows;
                    cx.info(tr!(
                        cx.tr,
                        "console-exporting-rows",
                        rows = thousands(rows),
                        key = key(Scope::Global, Action::Back)
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
                        cx.ok(tr!(
                            cx.tr,
                            "console-exported",
                            sessions = n_sessions(cx.tr, n),
                            path = path
                        ));
                        cx.push(Effect::Audited);
                    }
                    export::Outcome::Cancelled => {
                        cx.info(tr!(cx.tr, "console-export-cancelled", path = path))
                    }
                    export::Outcome::Failed(e) => cx.error(tr!(
                        cx.tr,
                        "console-export-failed",
                        path = path,
                        error = crate::sanitize::for_terminal(&e).into_owned()
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
            cx.info(tr!(cx.tr, "console-filter-cleared-sessions"));
        } else if !self.marks.is_empty() {
            self.marks.clear();
            cx.info(tr!(cx.tr, "console-marks-cleared"));
        }
    }

    fn toggle_inactive(&mut self, cx: &mut Cx) {
        let mut f = self.list.filter.clone();
        f.include_inactive = !f.include_inactive;
        let showing = f.include_inactive;
        self.set_filter(f, cx);
        cx.info(if showing {
            tr!(
                cx.tr,
                "console-showing-inactive",
                key = key(Scope::Sessions, Action::ToggleInactive)
            )
        } else {
            tr!(cx.tr, "console-showing-live-only")
        });
    }

    fn toggle_mark(&mut self, row: Option<SessionRow>, cx: &mut Cx) {
        let Some(row) = row else { return };
        if self.marks.remove(&row.public_id).is_none() {
            let state = row.state(cx.now);
            if state != SessionState::Active {
                return cx.info(tr!(
                    cx.tr,
                    "console-only-live-can-be-marked",
                    id = row.public_id.as_str(),
                    state = state_word(cx.tr, state)
                ));
            }
            if self.marks.len() >= MAX_MARKS {
                return cx.error(tr!(
                    cx.tr,
                    "console-too-many-marks",
                    max = MAX_MARKS,
                    account = key(Scope::Sessions, Action::RevokeAccount),
                    openid = key(Scope::Sessions, Action::RevokeOpenid)
                ));
            }
            self.marks.insert(row.public_id, row.username);
        }
        self.list.navigate(Action::Down, cx);
    }

    /// `d`: the marked sessions, or the selected one.
    fn revoke(&self, selected: Option<SessionRow>, cx: &mut Cx) {
        if !self.marks.is_empty() {
            return cx.push(Effect::Confirm(self.revoke_marked(cx.tr)));
        }
        let Some(row) = selected else {
            return cx.info(tr!(cx.tr, "console-no-session-selected"));
        };
        let state = row.state(cx.now);
        if state != SessionState::Active {
            return cx.info(tr!(
                cx.tr,
                "console-already-state",
                id = row.public_id.as_str(),
                state = state_word(cx.tr, state)
            ));
        }
        let tr = cx.tr;
        cx.push(Effect::Confirm(Request {
            title: tr!(tr, "console-revoke-session-title"),
            subject: vec![
                (tr!(tr, "console-field-session"), row.public_id.clone()),
                (tr!(tr, "console-field-account"), account_text(&row)),
                (
                    tr!(tr, "console-field-app"),
                    format!(
                        "{}  openid {}",
                        widgets::clean(&row.appid, 24),
                        widgets::shorten_id(&row.openid, 20)
                    ),
                ),
                (
                    tr!(tr, "console-field-client"),
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
            consequence: Consequence::SessionsRevoked,
            verb: Action::Revoke.verb(),
        }));
    }

    fn revoke_marked(&self, tr: &Tr) -> Request {
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
            accounts.push_str(&tr!(
                tr,
                "console-and-n-more",
                n = (whose.len() - 4).to_string()
            ));
        }
        let n = ids.len() as u64;
        let first = ids.iter().take(3).cloned().collect::<Vec<_>>().join(" ");
        let more = if ids.len() > 3 {
            format!(" +{}", ids.len() - 3)
        } else {
            String::new()
        };
        Request {
            title: tr!(
                tr,
                "console-revoke-marked-title",
                count = n,
                n = thousands(n)
            ),
            subject: vec![
                (tr!(tr, "console-field-sessions"), format!("{first}{more}")),
                (tr!(tr, "console-field-accounts"), accounts),
            ],
            op: Operation::RevokeSessions { public_ids: ids },
            count: Some(n),
            consequence: Consequence::SessionsRevoked,
            verb: Action::Revoke.verb(),
        }
    }

    /// `A` / `O`: every live session of the selected session's account / openid.
    fn revoke_all_of(&self, action: Action, selected: Option<SessionRow>, cx: &mut Cx) {
        let Some(row) = selected else {
            return cx.info(tr!(cx.tr, "console-no-session-selected"));
        };
        let tr = cx.tr;
        let (title, filter, subject) = if action == Action::RevokeAccount {
            (
                tr!(tr, "console-revoke-account-title"),
                SessionFilter {
                    account_id: Some(row.account_id),
                    ..Default::default()
                },
                vec![
                    (tr!(tr, "console-field-account"), account_text(&row)),
                    (
                        tr!(tr, "console-field-scope"),
                        tr!(tr, "console-scope-every-live-session"),
                    ),
                ],
            )
        } else {
            (
                tr!(tr, "console-revoke-openid-title"),
                SessionFilter {
                    appid: Some(row.appid.clone()),
                    openid: Some(row.openid.clone()),
                    ..Default::default()
                },
                vec![
                    ("openid".into(), widgets::clean(&row.openid, 64)),
                    ("appid".into(), widgets::clean(&row.appid, 64)),
                    (tr!(tr, "console-field-account"), account_text(&row)),
                ],
            )
        };
        cx.push(Effect::Confirm(Request {
            op: Operation::RevokeMatching { filter },
            title,
            subject,
            count: None,
            consequence: Consequence::SessionsRevoked,
            verb: action.verb(),
        }));
    }
}

/// A session's state in the console's language (`--json` keeps the machine word).
fn state_word(tr: &Tr, state: SessionState) -> String {
    match state {
        SessionState::Active => tr!(tr, "console-state-active"),
        SessionState::Expired => tr!(tr, "console-state-expired"),
        SessionState::Revoked => tr!(tr, "console-state-revoked"),
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
                cx.info(tr!(cx.tr, "console-refreshed"));
            }
            Action::FindByToken => cx.prompt(
                Prompt::new(
                    PromptKind::Token,
                    format!("{}: ", tr!(cx.tr, "console-token-prompt")),
                    TextInput::masked(),
                )
                .with_hint(tr!(
                    cx.tr,
                    "console-token-hint",
                    accept = key(Scope::Prompt, Action::Confirm),
                    cancel = key(Scope::Prompt, Action::Cancel)
                )),
            ),
            Action::ToggleInactive => self.toggle_inactive(cx),
            Action::ToggleMark => self.toggle_mark(selected, cx),
            Action::ClearMarks => {
                self.marks.clear();
                cx.info(tr!(cx.tr, "console-marks-cleared"));
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
            PromptKind::Filter => match filter::parse_session_filter(cx.tr, input.value()) {
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
                    None => cx.info(tr!(cx.tr, "console-no-token-given")),
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

    fn paste_hint(&self, tr: &Tr) -> String {
        tr!(
            tr,
            "console-paste-ignored-sessions",
            key = key(Scope::Sessions, Action::FindByToken)
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
            col("console-col-session", if wide { 24 } else { 12 }, 0),
            Field::Session,
        ),
        (
            col("console-col-account", if wide { 16 } else { 12 }, 0),
            Field::User,
        ),
    ];
    if with_state {
        v.push((col("console-col-state", 7, 0), Field::State));
    }
    v.extend([
        (col("console-col-appid", 18, 3), Field::Appid),
        (
            col("console-col-openid", if wide { 28 } else { 12 }, 1),
            Field::Openid,
        ),
        (
            col("console-col-created", if wide { 16 } else { 11 }, 4),
            Field::Created,
        ),
        (col("console-col-last-seen", 9, 1), Field::LastSeen),
        // Narrow: the device takes the place of the expiry (back from about 90 columns).
        (
            col("console-col-expires", 8, if wide { 2 } else { 3 }),
            Field::Expires,
        ),
        (col("console-col-client-ip", 15, 2), Field::Ip),
    ]);
    // Support tools (device): wide screens show the parsed device and the raw user agent;
    // narrow ones the device only, in the shortest form that fits.
    if wide {
        v.extend([
            (col("console-col-device", 36, 2), Field::Device),
            (fill_col("console-col-user-agent", 12, 3), Field::UserAgent),
        ]);
    } else {
        v.push((fill_col("console-col-device", 9, 2), Field::Device));
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
            // Cut by cells: a Chinese username never shifts the next column.
            Field::User => widgets::truncate_to(&widgets::clean(&row.username, 200), w),
            Field::State => state_word(paint.tr, row.state(now)),
            Field::Appid => widgets::clean(&row.appid, w),
            Field::Openid if wide => widgets::clean(&row.openid, w),
            Field::Openid => widgets::shorten_id(&row.openid, w),
            Field::Created if wide => widgets::datetime(row.created_at),
            Field::Created => widgets::short_datetime(row.created_at),
            Field::LastSeen => widgets::relative(paint.tr, now, row.last_seen_at),
            Field::Expires => match row.state(now) {
                SessionState::Active => widgets::relative(paint.tr, now, row.expires_at),
                s => state_word(paint.tr, s),
            },
            Field::Ip => widgets::clean_opt(&row.client_ip, w),
            // Not a WeChat user agent (or a hostile one): `unknown` and, where there is
            // room, the sanitised raw text.
            Field::Device => match (self.device_of(row), &row.user_agent) {
                (Some(d), _) => d.fit(w),
                (None, Some(ua)) if w >= 16 => widgets::truncate_to(
                    &widgets::clean(&format!("{} {ua}", tr!(paint.tr, "console-unknown")), 400),
                    w,
                ),
                (None, _) => tr!(paint.tr, "console-unknown"),
            },
            Field::UserAgent => widgets::clean_opt(&row.user_agent, w),
        };
        Cell::from(text)
    }

    fn title_line(&self, paint: &Paint) -> Line<'static> {
        let t = paint.theme;
        let f = &self.list.filter;
        let tr = paint.tr;
        let mut spans = vec![Span::styled(
            format!(" {} ", tr!(tr, "console-tab-sessions")),
            t.title,
        )];
        let scope = if f.include_inactive {
            tr!(tr, "console-sessions-all-states")
        } else {
            tr!(tr, "console-sessions-live")
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
            spans.push(Span::styled(
                format!("{} ", tr!(tr, "console-total-estimated")),
                t.label,
            ));
        }
        if !self.marks.is_empty() {
            spans.push(Span::styled(
                format!(
                    "{} ",
                    tr!(
                        tr,
                        "console-n-marked",
                        n = thousands(self.marks.len() as u64)
                    )
                ),
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
                let tr = paint.tr;
                if !self.list.window.loaded {
                    format!(
                        "{} {}",
                        widgets::spinner(paint.spinner),
                        tr!(tr, "console-loading-sessions")
                    )
                } else if f.token_hash.is_some() {
                    tr!(tr, "console-empty-token")
                } else if f.selects_everything() {
                    tr!(tr, "console-empty-live-sessions")
                } else {
                    tr!(
                        tr,
                        "console-empty-sessions-filter",
                        key = key(Scope::Sessions, Action::Back)
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
        let tr = paint.tr;
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
            widgets::field(
                t,
                &tr!(tr, "console-field-session"),
                row.public_id.clone(),
                Some(t.title),
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-state"),
                state_word(tr, state),
                Some(state_style),
            ),
        ];
        if let Some(at) = row.revoked_at {
            lines.extend([
                widgets::field(
                    t,
                    &tr!(tr, "console-field-revoked"),
                    widgets::when(tr, now, at),
                    None,
                ),
                widgets::field(
                    t,
                    &tr!(tr, "console-field-revoked-by"),
                    widgets::clean_opt(&row.revoked_by, 60),
                    None,
                ),
                widgets::field(
                    t,
                    &tr!(tr, "console-field-reason"),
                    widgets::clean_opt(&row.revoke_reason, 200),
                    None,
                ),
            ]);
        }
        let k = |a| key(Scope::Sessions, a);
        lines.extend([
            widgets::field(
                t,
                &tr!(tr, "console-field-account"),
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
            widgets::field(
                t,
                &tr!(tr, "console-field-created"),
                widgets::when(tr, now, row.created_at),
                None,
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-last-seen"),
                widgets::when(tr, now, row.last_seen_at),
                None,
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-expires"),
                widgets::when(tr, now, row.expires_at),
                None,
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-client-ip"),
                widgets::clean_opt(&row.client_ip, 64),
                None,
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-device"),
                self.device_of(row)
                    .map_or_else(|| tr!(tr, "console-unknown"), |d| d.summary()),
                None,
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-user-agent"),
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
                    (
                        k(Action::Revoke),
                        format!(" {}  ", tr!(tr, "console-hint-revoke")),
                    ),
                    (
                        k(Action::RevokeAccount),
                        format!(" {}  ", tr!(tr, "console-hint-all-of-account")),
                    ),
                    (
                        k(Action::RevokeOpenid),
                        format!(" {}", tr!(tr, "console-hint-all-of-openid")),
                    ),
                ],
            ),
            widgets::keys_line(
                t,
                &[
                    (
                        k(Action::JumpToBindings),
                        format!(" {}  ", tr!(tr, "console-hint-account-in-bindings")),
                    ),
                    (
                        k(Action::Back),
                        format!(" {}", tr!(tr, "console-hint-back")),
                    ),
                ],
            ),
            // Session keys.
            widgets::keys_line(
                t,
                &[
                    (
                        k(Action::CheckSessionKey),
                        format!(" {}  ", tr!(tr, "console-hint-check-session-key")),
                    ),
                    (
                        k(Action::ResetSessionKey),
                        format!(" {}", tr!(tr, "console-hint-reset-session-key")),
                    ),
                ],
            ),
        ]);
        widgets::detail_pane(frame, area, t, &tr!(tr, "console-session-detail"), lines);
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
    /// what to do (worded in the console's language), or the error's own sentence. `what` is
    /// a catalogue id.
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

    fn failed(tr: &Tr, what: &'static str, e: &WechatError) -> Self {
        KeyOutcome::Failed {
            what,
            errcode: e.errcode(),
            meaning: e.meaning_in(tr),
            action: e.action_in(tr),
            message: crate::present::wechat::error_line(tr, e),
        }
    }

    fn refused(tr: &Tr, what: &'static str, e: &OpsError) -> Self {
        KeyOutcome::Failed {
            what,
            errcode: None,
            meaning: String::new(),
            action: String::new(),
            message: crate::present::refusal::ops_error(tr, e),
        }
    }
}

impl KeyResult {
    /// The result of [`ops::check_session_key`].
    pub fn from_check(
        tr: &Tr,
        public_id: &str,
        at: Ts,
        r: Result<KeyCheckReport, OpsError>,
    ) -> Self {
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
                    Err(e) => KeyOutcome::failed(tr, "console-key-check-failed", &e),
                },
            ),
            Err(e) => (
                None,
                KeyOutcome::refused(tr, "console-key-check-failed", &e),
            ),
        };
        KeyResult {
            public_id: public_id.to_owned(),
            at,
            key_masked,
            outcome,
        }
    }

    /// The result of [`ops::reset_session_key`].
    pub fn from_reset(
        tr: &Tr,
        public_id: &str,
        at: Ts,
        r: Result<KeyResetReport, OpsError>,
    ) -> Self {
        let (key_masked, outcome) = match r {
            Ok(rep) => (
                Some(rep.old_key_masked),
                match rep.answer {
                    Ok((new_key_masked, sessions)) => KeyOutcome::Reset {
                        new_key_masked,
                        sessions,
                    },
                    Err(e) => KeyOutcome::failed(tr, "console-key-reset-failed", &e),
                },
            ),
            Err(e) => (
                None,
                KeyOutcome::refused(tr, "console-key-reset-failed", &e),
            ),
        };
        KeyResult {
            public_id: public_id.to_owned(),
            at,
            key_masked,
            outcome,
        }
    }

    /// One line for the status line (sanitised).
    pub fn status_text(&self, tr: &Tr) -> String {
        let id = widgets::clean(&self.public_id, 40);
        match &self.outcome {
            KeyOutcome::Valid => format!("{id}: {}", tr!(tr, "console-key-valid")),
            KeyOutcome::Stale { errcode, .. } => format!(
                "{id}: {}",
                tr!(
                    tr,
                    "console-key-stale",
                    errcode = errcode,
                    stale = tr!(tr, "console-key-stale-text")
                )
            ),
            KeyOutcome::Reset { sessions, .. } => format!(
                "{id}: {}",
                tr!(
                    tr,
                    "console-key-reset-status",
                    sessions = n_sessions(tr, sessions.len() as u64)
                )
            ),
            KeyOutcome::Failed {
                what,
                errcode: Some(c),
                meaning,
                ..
            } => format!(
                "{id}: {}: errcode {c}: {}",
                tr.message(what),
                widgets::clean(meaning, 200)
            ),
            KeyOutcome::Failed { what, message, .. } => {
                format!(
                    "{id}: {}: {}",
                    tr.message(what),
                    widgets::clean(message, 300)
                )
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
            return cx.info(tr!(cx.tr, "console-no-session-selected"));
        };
        if let Some(id) = &self.key_checking {
            return cx.info(tr!(
                cx.tr,
                "console-key-already-checking",
                id = widgets::clean(id, 40)
            ));
        }
        let (client, data_key) = match self.keys.ready() {
            Ok(t) => t,
            Err(why) => return cx.error(widgets::clean(&why.text(cx.tr), 300)),
        };
        let public_id = row.public_id.clone();
        self.key_checking = Some(public_id.clone());
        let store = cx.store.clone();
        let actor = cx.actor.clone();
        cx.info(tr!(
            cx.tr,
            "console-key-checking-status",
            id = widgets::clean(&public_id, 40)
        ));
        let tr = cx.tr.clone();
        cx.spawn(async move {
            let r = ops::check_session_key(&store, &client, &data_key, &actor, &public_id).await;
            let at = Ts::from(store.now());
            Msg::KeyChecked(Box::new(KeyResult::from_check(&tr, &public_id, at, r)))
        });
    }

    /// `R`: the confirmation dialog (with a reason) for a reset of the selected session's key.
    fn reset_key(&self, selected: Option<SessionRow>, cx: &mut Cx) {
        let Some(row) = selected else {
            return cx.info(tr!(cx.tr, "console-no-session-selected"));
        };
        if let Err(why) = self.keys.ready() {
            return cx.error(widgets::clean(&why.text(cx.tr), 300));
        }
        if self.key_checking.as_deref() == Some(row.public_id.as_str()) {
            return cx.info(tr!(cx.tr, "console-key-wait-check"));
        }
        let tr = cx.tr;
        cx.push(Effect::Confirm(Request {
            title: tr!(tr, "console-key-reset-title"),
            subject: vec![
                (tr!(tr, "console-field-session"), row.public_id.clone()),
                (tr!(tr, "console-field-account"), account_text(&row)),
                ("appid".into(), widgets::clean(&row.appid, 64)),
                ("openid".into(), widgets::clean(&row.openid, 64)),
            ],
            op: Operation::ResetSessionKey {
                public_id: row.public_id,
            },
            count: Some(1),
            consequence: Consequence::KeyReplaced,
            verb: Action::ResetSessionKey.verb(),
        }));
    }

    /// The detail pane's lines for the selected session's key: checking…, or the last result.
    fn key_lines(&self, row: &SessionRow, paint: &Paint) -> Vec<Line<'static>> {
        let t = paint.theme;
        let tr = paint.tr;
        if self.key_checking.as_deref() == Some(row.public_id.as_str()) {
            return vec![widgets::field(
                t,
                "session_key",
                format!(
                    "{} {}",
                    widgets::spinner(paint.spinner),
                    tr!(tr, "console-key-checking")
                ),
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
                tr!(tr, "console-key-valid-at", at = at.to_string()),
                Some(t.ok),
            )),
            KeyOutcome::Stale { errcode, rid } => {
                lines.push(widgets::field(
                    t,
                    "session_key",
                    tr!(
                        tr,
                        "console-key-stale-at",
                        errcode = errcode,
                        stale = tr!(tr, "console-key-stale-text"),
                        at = at.to_string()
                    ),
                    Some(t.error),
                ));
                lines.push(widgets::field(
                    t,
                    &tr!(tr, "console-field-what-to-do"),
                    tr!(
                        tr,
                        "console-key-stale-what-to-do",
                        key = k(Action::ResetSessionKey)
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
                    tr!(
                        tr,
                        "console-key-reset-stored",
                        masked = new_key_masked.as_str()
                    ),
                    Some(t.ok),
                ));
                lines.push(widgets::field(
                    t,
                    &tr!(tr, "console-field-sessions"),
                    tr!(
                        tr,
                        "console-key-reset-sessions",
                        sessions = n_sessions(tr, sessions.len() as u64),
                        at = at.to_string()
                    ),
                    None,
                ));
                if let Some(old) = &r.key_masked {
                    lines.push(widgets::field(
                        t,
                        &tr!(tr, "console-field-old-key"),
                        tr!(tr, "console-key-old-invalid", old = old.as_str()),
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
                let what = tr.message(what);
                let head = match errcode {
                    Some(c) => format!("{what}: errcode {c} ({at})"),
                    None => format!("{what} ({at})"),
                };
                lines.push(widgets::field(t, "session_key", head, Some(t.error)));
                if !meaning.is_empty() {
                    lines.push(widgets::field(
                        t,
                        &tr!(tr, "console-field-meaning"),
                        widgets::clean(meaning, 200),
                        None,
                    ));
                }
                if !action.is_empty() {
                    lines.push(widgets::field(
                        t,
                        &tr!(tr, "console-field-what-to-do"),
                        widgets::clean(action, 300),
                        Some(t.warn),
                    ));
                }
                if errcode.is_none() {
                    lines.push(widgets::field(
                        t,
                        &tr!(tr, "console-field-detail"),
                        widgets::clean(message, 300),
                        Some(t.muted),
                    ));
                }
            }
        }
        if let (Some(masked), false) =
            (&r.key_masked, matches!(r.outcome, KeyOutcome::Reset { .. }))
        {
            lines.push(widgets::field(
                t,
                &tr!(tr, "console-field-stored-key"),
                masked.clone(),
                None,
            ));
        }
        lines
    }
}
