//! The Sessions view: live sessions newest first, filters, marks, detail, revoke.

use std::collections::BTreeMap;
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
use crate::console::filter;
use crate::console::input::TextInput;
use crate::console::keymap::{Scope, key};
use crate::console::prompt::{Prompt, PromptKind};
use crate::console::widgets::{self, Col, Paint, col, fill_col, sessions_word, thousands};
use crate::console::window::Chunk;
use crate::store::{SessionFilter, SessionRow, SessionState, StoreError};

/// Most sessions that can be marked at once (the store revokes at most this many by id).
pub const MAX_MARKS: usize = 10_000;

/// A recount of the matching sessions at most this often during live refresh.
const RECOUNT_EVERY: Duration = Duration::from_secs(30);

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
}

impl SessionsView {
    pub fn filter(&self) -> &SessionFilter {
        &self.list.filter
    }

    /// Starts over from the newest page and recounts (start-up).
    pub fn reload(&mut self, cx: &mut Cx) {
        self.list.reload(cx);
        self.count(cx);
    }

    /// Reloads around the selected session, keeping the cursor and the marks.
    fn reload_here(&mut self, recount: bool, cx: &mut Cx) {
        self.list.refresh(cx);
        if recount || self.last_count.is_none_or(|t| t.elapsed() >= RECOUNT_EVERY) {
            self.count(cx);
        }
    }

    fn count(&mut self, cx: &mut Cx) {
        self.count_generation += 1;
        self.last_count = Some(Instant::now());
        let generation = self.count_generation;
        let store = cx.store.clone();
        let filter = self.list.filter.clone();
        cx.spawn(async move {
            // Every live session: the maintained count the Overview uses (an estimate when an
            // exact count is too slow), not an exact COUNT over the whole table.
            let result = if filter == SessionFilter::default() {
                store
                    .live_sessions()
                    .await
                    .map(|l| (l.count.max(0) as u64, l.exact))
            } else {
                store.count_sessions(&filter).await.map(|n| (n, true))
            };
            Msg::Count { generation, result }
        });
    }

    pub fn set_filter(&mut self, filter: SessionFilter, cx: &mut Cx) {
        let text = filter.describe();
        self.total = None;
        self.list.set_filter(filter, cx);
        self.count(cx);
        cx.info(format!("sessions: {}", widgets::clean(&text, 200)));
    }

    pub fn apply(&mut self, msg: Msg, cx: &mut Cx) {
        match msg {
            Msg::Page { generation, result } => {
                if self.list.apply(generation, result, cx)
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
        self.list.window.is_loading()
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
        (col("EXPIRES", 8, 2), Field::Expires),
        (col("CLIENT IP", 15, 2), Field::Ip),
        (fill_col("USER AGENT", 12, 3), Field::UserAgent),
    ]);
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
                "user agent",
                widgets::clean_opt(&row.user_agent, 600),
                None,
            ),
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
        ]);
        widgets::detail_pane(frame, area, t, "Session detail", lines);
    }
}
