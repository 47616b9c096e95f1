//! The Sessions view: live sessions newest first, filters, marks, detail, revoke.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use crate::console::action::Action;
use crate::console::app::{App, PromptKind, View};
use crate::console::confirm::{Operation, thousands};
use crate::console::filter;
use crate::console::input::TextInput;
use crate::console::tasks::{self, Msg};
use crate::console::ui::{self, Col, WIDE};
use crate::console::window::{Chunk, Load, Window};
use crate::crypto::TokenHash;
use crate::store::{SessionFilter, SessionRow, SessionState, StoreError};

/// Most sessions that can be marked at once (the store revokes at most this many by id).
pub const MAX_MARKS: usize = 10_000;

/// A recount of the matching sessions at most this often during live refresh.
const RECOUNT_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub struct SessionsState {
    pub filter: SessionFilter,
    pub window: Window<SessionRow>,
    /// Marked sessions: public id → username (to say whose they are).
    pub marks: BTreeMap<String, String>,
    /// How many sessions match the filter (counted in the background).
    pub total: Option<u64>,
    pub count_generation: u64,
    pub last_count: Option<Instant>,
    /// The detail pane is open.
    pub detail: bool,
}

impl App {
    /// Starts over from the newest page (new filter, start-up).
    pub(crate) fn reload_sessions(&mut self) {
        let (generation, load) = self.sessions.window.reset();
        self.spawn_session_load(generation, load);
        self.count_sessions();
    }

    /// Reloads around the selected session, keeping the cursor and the marks.
    pub(crate) fn refresh_sessions(&mut self, recount: bool) {
        let (generation, load) = self.sessions.window.refresh();
        self.spawn_session_load(generation, load);
        if recount
            || self
                .sessions
                .last_count
                .is_none_or(|t| t.elapsed() >= RECOUNT_EVERY)
        {
            self.count_sessions();
        }
    }

    fn count_sessions(&mut self) {
        self.sessions.count_generation += 1;
        self.sessions.last_count = Some(Instant::now());
        let generation = self.sessions.count_generation;
        let store = self.ctx.store.clone();
        let filter = self.sessions.filter.clone();
        self.spawn(async move {
            Msg::SessionCount {
                generation,
                result: store.count_sessions(&filter).await,
            }
        });
    }

    fn spawn_session_load(&mut self, generation: u64, load: Load) {
        let store = self.ctx.store.clone();
        let filter = self.sessions.filter.clone();
        self.spawn(async move {
            Msg::Sessions {
                generation,
                result: tasks::fetch_sessions(&store, &filter, &load).await,
            }
        });
    }

    /// Fetches ahead when the cursor nears an edge of the loaded window.
    fn fetch_sessions_ahead(&mut self) {
        if let Some((generation, load)) = self.sessions.window.wanted() {
            self.spawn_session_load(generation, load);
        }
    }

    pub(crate) fn set_session_filter(&mut self, filter: SessionFilter) {
        let text = filter.describe();
        self.sessions.filter = filter;
        self.sessions.detail = false;
        self.sessions.total = None;
        self.reload_sessions();
        self.info(format!("sessions: {}", ui::clean(&text, 200)));
    }

    /// Looks a session up by the hash of a pasted SessionId (whatever its state).
    pub(crate) fn find_by_token(&mut self, hash: TokenHash) {
        self.show(View::Sessions);
        self.set_session_filter(SessionFilter {
            token_hash: Some(hash),
            include_inactive: true,
            ..Default::default()
        });
    }

    pub(crate) fn apply_sessions(
        &mut self,
        generation: u64,
        result: Result<Chunk<SessionRow>, StoreError>,
    ) {
        let result = result.map_err(|e| self.store_error("cannot load sessions", &e));
        if self.sessions.window.apply(generation, result) {
            let h = self.list_height();
            self.sessions.window.scroll_into_view(h);
            if self.sessions.filter.token_hash.is_some() && self.sessions.window.rows.is_empty() {
                self.info(
                    "no session has that SessionId (a SessionId is only valid as issued, in full)",
                );
            }
            self.fetch_sessions_ahead();
        }
    }

    pub(crate) fn apply_session_count(&mut self, generation: u64, result: Result<u64, StoreError>) {
        if generation != self.sessions.count_generation {
            return;
        }
        match result {
            Ok(n) => self.sessions.total = Some(n),
            // The count is secondary (the title shows `…`): a lost connection raises the
            // banner, other errors are left to the list's own load to report.
            Err(e) if e.is_connection() => self.db_down = Some(e.to_string()),
            Err(_) => self.sessions.total = None,
        }
    }

    pub(crate) fn sessions_action(&mut self, action: Action) {
        if let Some(delta) = self.movement(action) {
            self.sessions.window.move_by(delta);
            let h = self.list_height();
            self.sessions.window.scroll_into_view(h);
            self.fetch_sessions_ahead();
            return;
        }
        let selected = self.sessions.window.selected_row().cloned();
        match action {
            Action::Top => {
                let w = &mut self.sessions.window;
                if w.at_top {
                    w.selected = 0;
                    w.offset = 0;
                } else {
                    let (g, l) = w.begin_replace(Load::Top);
                    self.spawn_session_load(g, l);
                }
            }
            Action::Bottom => {
                let w = &mut self.sessions.window;
                if w.at_bottom {
                    w.selected = w.rows.len().saturating_sub(1);
                    let h = self.list_height();
                    self.sessions.window.scroll_into_view(h);
                } else {
                    let (g, l) = w.begin_replace(Load::Bottom);
                    self.spawn_session_load(g, l);
                }
            }
            Action::Open if selected.is_some() => self.sessions.detail = true,
            Action::Back => {
                if self.sessions.detail {
                    self.sessions.detail = false;
                } else if self.sessions.filter != SessionFilter::default() {
                    self.set_session_filter(SessionFilter::default());
                    self.info("filter cleared: all live sessions");
                } else if !self.sessions.marks.is_empty() {
                    self.sessions.marks.clear();
                    self.info("marks cleared");
                }
            }
            Action::Refresh => {
                self.refresh_sessions(true);
                self.info("refreshed");
            }
            Action::Filter => {
                let mut text = filter::format_session_filter(&self.sessions.filter);
                if !text.is_empty() {
                    text.push(' ');
                }
                self.prompt(PromptKind::Filter, TextInput::with_value(text));
            }
            Action::FindByToken => self.prompt(PromptKind::Token, TextInput::masked()),
            Action::ToggleInactive => {
                let mut f = self.sessions.filter.clone();
                f.include_inactive = !f.include_inactive;
                let showing = f.include_inactive;
                self.set_session_filter(f);
                self.info(if showing {
                    "showing revoked and expired sessions too (x hides them)"
                } else {
                    "showing live sessions only"
                });
            }
            Action::ToggleMark => {
                let Some(row) = selected else { return };
                if self.sessions.marks.remove(&row.public_id).is_none() {
                    if row.state(self.now) != SessionState::Active {
                        self.info(format!(
                            "{} is {}: only live sessions can be marked",
                            row.public_id,
                            row.state(self.now)
                        ));
                        return;
                    }
                    if self.sessions.marks.len() >= MAX_MARKS {
                        self.error(format!(
                            "at most {MAX_MARKS} marks: revoke by account or openid (A / O) instead"
                        ));
                        return;
                    }
                    self.sessions
                        .marks
                        .insert(row.public_id.clone(), row.username.clone());
                }
                self.sessions_action(Action::Down);
            }
            Action::ClearMarks => {
                self.sessions.marks.clear();
                self.info("marks cleared");
            }
            Action::Revoke => self.revoke_selected_or_marked(selected),
            Action::RevokeAccount => {
                let Some(row) = selected else {
                    return self.info("no session selected");
                };
                let filter = SessionFilter {
                    account_id: Some(row.account_id),
                    ..Default::default()
                };
                self.open_dialog(
                    Operation::RevokeMatching { filter },
                    "Revoke every session of an account".into(),
                    vec![
                        (
                            "account".into(),
                            format!("{} (#{})", ui::clean(&row.username, 40), row.account_id),
                        ),
                        (
                            "scope".into(),
                            "every live session, in every mini program".into(),
                        ),
                    ],
                    None,
                    "sessions will be revoked",
                );
            }
            Action::RevokeOpenid => {
                let Some(row) = selected else {
                    return self.info("no session selected");
                };
                let filter = SessionFilter {
                    appid: Some(row.appid.clone()),
                    openid: Some(row.openid.clone()),
                    ..Default::default()
                };
                self.open_dialog(
                    Operation::RevokeMatching { filter },
                    "Revoke every session of an openid".into(),
                    vec![
                        ("openid".into(), ui::clean(&row.openid, 64)),
                        ("appid".into(), ui::clean(&row.appid, 64)),
                        (
                            "account".into(),
                            format!("{} (#{})", ui::clean(&row.username, 40), row.account_id),
                        ),
                    ],
                    None,
                    "sessions will be revoked",
                );
            }
            Action::JumpToBindings => {
                let Some(row) = selected else { return };
                self.show(View::Bindings);
                self.open_account(row.account_id);
            }
            _ => {}
        }
    }

    fn revoke_selected_or_marked(&mut self, selected: Option<SessionRow>) {
        if !self.sessions.marks.is_empty() {
            let ids: Vec<String> = self.sessions.marks.keys().cloned().collect();
            let mut whose: Vec<&str> = self.sessions.marks.values().map(String::as_str).collect();
            whose.sort_unstable();
            whose.dedup();
            let mut accounts = whose
                .iter()
                .take(4)
                .map(|u| ui::clean(u, 20))
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
            self.open_dialog(
                Operation::RevokeSessions { public_ids: ids },
                format!(
                    "Revoke {} marked {}",
                    thousands(n),
                    crate::console::app::sessions_word(n)
                ),
                vec![
                    ("sessions".into(), format!("{first}{more}")),
                    ("accounts".into(), accounts),
                ],
                Some(n),
                "sessions will be revoked",
            );
            return;
        }
        let Some(row) = selected else {
            return self.info("no session selected");
        };
        let state = row.state(self.now);
        if state != SessionState::Active {
            return self.info(format!("{} is already {state}", row.public_id));
        }
        self.open_dialog(
            Operation::RevokeSessions {
                public_ids: vec![row.public_id.clone()],
            },
            "Revoke session".into(),
            vec![
                ("session".into(), row.public_id.clone()),
                (
                    "account".into(),
                    format!("{} (#{})", ui::clean(&row.username, 40), row.account_id),
                ),
                (
                    "app".into(),
                    format!(
                        "{}  openid {}",
                        ui::clean(&row.appid, 24),
                        ui::shorten_id(&row.openid, 20)
                    ),
                ),
                (
                    "client".into(),
                    format!(
                        "{}  {}",
                        ui::clean_opt(&row.client_ip, 40),
                        ui::clean_opt(&row.user_agent, 40)
                    ),
                ),
            ],
            Some(1),
            "sessions will be revoked",
        );
    }
}

// ---- drawing ----------------------------------------------------------------------------------

const COL_MARK: usize = 0;

fn columns(wide: bool, with_state: bool) -> Vec<(Col, Field)> {
    let c = |title, width, priority| Col {
        title,
        width,
        priority,
        fill: false,
    };
    let mut v = vec![
        (c("", 1, 0), Field::Mark),
        (c("SESSION", if wide { 24 } else { 12 }, 0), Field::Session),
        (c("ACCOUNT", if wide { 16 } else { 12 }, 0), Field::User),
    ];
    if with_state {
        v.push((c("STATE", 7, 0), Field::State));
    }
    v.extend([
        (c("APPID", 18, 3), Field::Appid),
        (c("OPENID", if wide { 28 } else { 12 }, 1), Field::Openid),
        (c("CREATED", if wide { 16 } else { 11 }, 4), Field::Created),
        (c("LAST SEEN", 9, 1), Field::LastSeen),
        (c("EXPIRES", 8, 2), Field::Expires),
        (c("CLIENT IP", 15, 2), Field::Ip),
        (
            Col {
                title: "USER AGENT",
                width: 12,
                priority: 3,
                fill: true,
            },
            Field::UserAgent,
        ),
    ]);
    v
}

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

fn cell(app: &App, row: &SessionRow, field: Field, width: u16, wide: bool) -> String {
    let w = width as usize;
    match field {
        Field::Mark => {
            if app.sessions.marks.contains_key(&row.public_id) {
                "●".into()
            } else {
                " ".into()
            }
        }
        Field::Session => ui::truncate_to(&row.public_id, w),
        Field::User => ui::clean(&row.username, w),
        Field::State => row.state(app.now).to_string(),
        Field::Appid => ui::clean(&row.appid, w),
        Field::Openid => {
            if wide {
                ui::clean(&row.openid, w)
            } else {
                ui::shorten_id(&row.openid, w)
            }
        }
        Field::Created => {
            if wide {
                ui::datetime(row.created_at)
            } else {
                ui::short_datetime(row.created_at)
            }
        }
        Field::LastSeen => ui::relative(app.now, row.last_seen_at),
        Field::Expires => match row.state(app.now) {
            SessionState::Active => ui::relative(app.now, row.expires_at),
            SessionState::Expired => "expired".into(),
            SessionState::Revoked => "revoked".into(),
        },
        Field::Ip => ui::clean_opt(&row.client_ip, w),
        Field::UserAgent => ui::clean_opt(&row.user_agent, w),
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let s = &app.sessions;
    let show_detail = s.detail && s.window.selected_row().is_some();
    if show_detail && area.width < WIDE {
        draw_detail(frame, area, app);
        return;
    }
    let table_area = if show_detail {
        let [left, right] =
            Layout::horizontal([Constraint::Fill(3), Constraint::Length(64)]).areas(area);
        draw_detail(frame, right, app);
        left
    } else {
        area
    };
    draw_table(frame, table_area, app);
}

fn title_line(app: &App) -> Line<'static> {
    let t = &app.ctx.theme;
    let s = &app.sessions;
    let mut spans = vec![Span::styled(" Sessions ", t.title)];
    let scope = if s.filter.include_inactive {
        "all states"
    } else {
        "live"
    };
    spans.push(Span::styled(format!("({scope}) "), t.label));
    let mut f = s.filter.clone();
    f.include_inactive = false;
    if !f.selects_everything() {
        spans.push(Span::styled(
            format!("[{}] ", ui::clean(&filter::describe_session_filter(&f), 60)),
            t.warn,
        ));
    }
    if !s.marks.is_empty() {
        spans.push(Span::styled(
            format!("{} marked ", thousands(s.marks.len() as u64)),
            t.marked,
        ));
    }
    Line::from(spans)
}

fn draw_table(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let s = &app.sessions;
    let w = &s.window;
    let pos = ui::position_text(w.position(s.total), w.is_loading());
    let block = ui::view_block(
        t,
        title_line(app),
        Some(Line::from(Span::styled(pos, t.label))),
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if w.rows.is_empty() {
        let msg = if let Some(e) = &w.error {
            format!("could not load sessions: {}", ui::clean(e, 200))
        } else if !w.loaded {
            format!("{} loading sessions…", ui::spinner(app.spinner))
        } else if s.filter.token_hash.is_some() {
            "no session has that SessionId".into()
        } else if s.filter.selects_everything() {
            "no live sessions".into()
        } else {
            "no session matches the filter (Esc clears it)".into()
        };
        let y = inner.y + inner.height / 2;
        frame.render_widget(
            ui::empty_message(t, &msg).wrap(Wrap { trim: true }),
            Rect {
                y,
                height: inner.height.saturating_sub(inner.height / 2),
                ..inner
            },
        );
        return;
    }
    let wide = inner.width >= WIDE - 2;
    let cols = columns(wide, s.filter.include_inactive);
    let plain: Vec<Col> = cols.iter().map(|(c, _)| *c).collect();
    let chosen = ui::fit_columns(&plain, inner.width);
    let widths = ui::constraints(&chosen);
    let header = Row::new(
        chosen
            .iter()
            .map(|&(i, _)| Cell::from(Span::styled(plain[i].title, t.column))),
    );
    let height = inner.height.saturating_sub(1) as usize;
    let offset = crate::console::window::visible_offset(w.offset, w.selected, height);
    let rows = w
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, row)| {
            let style = if i == w.selected {
                t.selected
            } else if s.marks.contains_key(&row.public_id) {
                t.marked
            } else if row.state(app.now) != SessionState::Active {
                t.inactive
            } else {
                t.value
            };
            Row::new(chosen.iter().map(|&(c, width)| {
                let text = cell(app, row, cols[c].1, width, wide);
                if c == COL_MARK {
                    Cell::from(Span::styled(text, t.marked))
                } else {
                    Cell::from(text)
                }
            }))
            .style(style)
        });
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    frame.render_widget(table, inner);
}

fn draw_detail(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let Some(row) = app.sessions.window.selected_row() else {
        return;
    };
    let now = app.now;
    let state = row.state(now);
    let state_style = match state {
        SessionState::Active => t.ok,
        _ => t.error,
    };
    let mut lines = vec![
        ui::field(t, "session", row.public_id.clone(), Some(t.title)),
        ui::field(t, "state", state.to_string(), Some(state_style)),
    ];
    if let Some(at) = row.revoked_at {
        lines.push(ui::field(
            t,
            "revoked",
            format!("{} ({})", ui::full_datetime(at), ui::relative(now, at)),
            None,
        ));
        lines.push(ui::field(
            t,
            "revoked by",
            ui::clean_opt(&row.revoked_by, 60),
            None,
        ));
        lines.push(ui::field(
            t,
            "reason",
            ui::clean_opt(&row.revoke_reason, 200),
            None,
        ));
    }
    lines.extend([
        ui::field(
            t,
            "account",
            format!("{} (#{})", ui::clean(&row.username, 60), row.account_id),
            None,
        ),
        ui::field(t, "appid", ui::clean(&row.appid, 64), None),
        ui::field(t, "openid", ui::clean(&row.openid, 128), None),
        ui::field(t, "unionid", ui::clean_opt(&row.unionid, 128), None),
        ui::field(
            t,
            "created",
            format!(
                "{} ({})",
                ui::full_datetime(row.created_at),
                ui::relative(now, row.created_at)
            ),
            None,
        ),
        ui::field(
            t,
            "last seen",
            format!(
                "{} ({})",
                ui::full_datetime(row.last_seen_at),
                ui::relative(now, row.last_seen_at)
            ),
            None,
        ),
        ui::field(
            t,
            "expires",
            format!(
                "{} ({})",
                ui::full_datetime(row.expires_at),
                ui::relative(now, row.expires_at)
            ),
            None,
        ),
        ui::field(t, "client IP", ui::clean_opt(&row.client_ip, 64), None),
        ui::field(t, "user agent", ui::clean_opt(&row.user_agent, 600), None),
        Line::raw(""),
        Line::from(vec![
            Span::styled("d", t.key),
            Span::styled(" revoke  ", t.muted),
            Span::styled("A", t.key),
            Span::styled(" all of account  ", t.muted),
            Span::styled("O", t.key),
            Span::styled(" all of openid", t.muted),
        ]),
        Line::from(vec![
            Span::styled("b", t.key),
            Span::styled(" account in Bindings  ", t.muted),
            Span::styled("Esc", t.key),
            Span::styled(" back", t.muted),
        ]),
    ]);
    let block = ui::view_block(
        t,
        Line::from(Span::styled(" Session detail ", t.title)),
        None,
    );
    let lines = ui::hang(lines, area.width.saturating_sub(4));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
