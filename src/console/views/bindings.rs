//! The Bindings view: find who an openid / unionid / username / account id is, see the account
//! with all its bindings across mini programs, and unbind.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Wrap};

use super::Component;
use crate::console::action::Action;
use crate::console::confirm::{Operation, Request};
use crate::console::effect::{Cx, Effect, Goto};
use crate::console::filter::{self, BindingSearch};
use crate::console::input::TextInput;
use crate::console::keymap::{Scope, key};
use crate::console::prompt::{Prompt, PromptKind};
use crate::console::widgets::{self, Col, Paint, WIDE, col};
use crate::console::window::{Move, Selection};
use crate::i18n::Tr;
use crate::present::history::{event_detail, event_name};
use crate::store::{
    AccountDetail, BindingQuery, BindingView, Cursor, HistoryEvent, HistorySource, Page,
    SessionFilter, Store, StoreError, Ts,
};
use crate::tr;

/// Results of the view's background work.
#[derive(Debug)]
pub enum Msg {
    Search {
        generation: u64,
        result: Result<Vec<BindingView>, StoreError>,
    },
    Account {
        generation: u64,
        result: Result<Option<AccountDetail>, StoreError>,
    },
    History {
        generation: u64,
        result: Result<Page<HistoryEvent>, StoreError>,
        /// With the first page: sessions that ended before this were purged by retention.
        purged_before: Option<Ts>,
    },
}

#[derive(Debug, Default)]
pub struct BindingsView {
    pub search: Option<BindingSearch>,
    pub results: Vec<BindingView>,
    pub results_pos: Selection,
    pub loading: bool,
    generation: u64,
    pub error: Option<String>,
    /// The account detail is shown (instead of the search results).
    pub detail: bool,
    pub account_id: Option<i64>,
    pub account: Option<AccountDetail>,
    pub account_pos: Selection,
    pub account_loading: bool,
    account_generation: u64,
    pub account_error: Option<String>,
    /// The account's history (newest first), below its bindings.
    pub history: History,
    /// Password reset: the first entry of the new password while the second is asked for
    /// (wiped when dropped).
    new_password: Option<(i64, crate::secret::Secret)>,
}

/// Events of the account shown, loaded a page at a time as the cursor nears the end.
#[derive(Debug, Default)]
pub struct History {
    pub events: Vec<HistoryEvent>,
    /// What is drawn: single events, and a day's many session events as one line.
    pub lines: Vec<HistoryLine>,
    pub pos: Selection,
    /// Where the next page starts; `None` once the oldest event is loaded.
    pub next: Option<Cursor>,
    pub loading: bool,
    pub error: Option<String>,
    /// j/k move in the history (instead of the bindings).
    pub focused: bool,
    /// Sessions that ended before this were removed by retention (shown below the events).
    pub purged_before: Option<Ts>,
    generation: u64,
}

/// One line of the history pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryLine {
    /// `events[i]`.
    Event(usize),
    /// A run of more than [`SESSION_RUN`] session events of one UTC day.
    Day {
        /// `events[first]` is the newest of the run.
        first: usize,
        day: chrono::NaiveDate,
        created: usize,
        revoked: usize,
    },
}

/// Events per history page.
const HISTORY_PAGE: i64 = 50;
/// Session events of one day beyond this many are summed up in one line.
const SESSION_RUN: usize = 3;
/// The next page is asked for when the cursor is this close to the last loaded line.
const LOAD_AHEAD: usize = 5;

fn is_session(e: &HistoryEvent) -> bool {
    matches!(
        e.source,
        HistorySource::SessionCreated | HistorySource::SessionRevoked
    )
}

/// The lines for `events`: runs of one day's session events longer than [`SESSION_RUN`]
/// become one counted line. Computed when a page arrives, never per frame.
pub fn history_lines(events: &[HistoryEvent]) -> Vec<HistoryLine> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < events.len() {
        if !is_session(&events[i]) {
            out.push(HistoryLine::Event(i));
            i += 1;
            continue;
        }
        let day = events[i].at.0.date_naive();
        let mut j = i;
        while j < events.len() && is_session(&events[j]) && events[j].at.0.date_naive() == day {
            j += 1;
        }
        if j - i > SESSION_RUN {
            let created = events[i..j]
                .iter()
                .filter(|e| e.source == HistorySource::SessionCreated)
                .count();
            out.push(HistoryLine::Day {
                first: i,
                day,
                created,
                revoked: j - i - created,
            });
        } else {
            out.extend((i..j).map(HistoryLine::Event));
        }
        i = j;
    }
    out
}

impl History {
    fn reset(&mut self) {
        let focused = self.focused;
        *self = History {
            generation: self.generation + 1,
            focused,
            ..History::default()
        };
    }

    /// Asks for the page after the loaded events (the first page when none is loaded).
    fn load(&mut self, account_id: i64, cx: &mut Cx) {
        if self.loading || (!self.events.is_empty() && self.next.is_none()) {
            return;
        }
        self.loading = true;
        let generation = self.generation;
        let after = self.next;
        let store = cx.store.clone();
        cx.spawn(async move {
            let result = store.account_history(account_id, after, HISTORY_PAGE).await;
            // Asked once, with the first page; without it the history is only shorter.
            let purged_before = match after {
                None => store.sessions_purged_before().await.ok().flatten(),
                Some(_) => None,
            };
            Msg::History {
                generation,
                result,
                purged_before,
            }
        });
    }

    /// Loads more when the cursor is near the end of what is loaded.
    fn load_ahead(&mut self, account_id: i64, cx: &mut Cx) {
        if self.next.is_some() && self.pos.selected + LOAD_AHEAD >= self.lines.len() {
            self.load(account_id, cx);
        }
    }
}

/// Runs every query of a binding search and merges the results (each binding once).
async fn search(store: &Store, queries: &[BindingQuery]) -> Result<Vec<BindingView>, StoreError> {
    let mut out: Vec<BindingView> = Vec::new();
    for q in queries {
        for b in store.find_bindings(q).await? {
            if !out.iter().any(|o| o.id == b.id) {
                out.push(b);
            }
        }
    }
    out.sort_by(|a, b| b.bound_at.cmp(&a.bound_at).then(b.id.cmp(&a.id)));
    Ok(out)
}

impl BindingsView {
    /// The binding an action applies to: in the detail, the selected binding of the account;
    /// otherwise the selected search result.
    pub fn target(&self) -> Option<&BindingView> {
        if self.detail {
            self.account
                .as_ref()
                .and_then(|a| a.bindings.get(self.account_pos.selected))
        } else {
            self.results.get(self.results_pos.selected)
        }
    }

    /// Runs a new search (or, with none, shows the start page).
    pub fn search(&mut self, search: Option<BindingSearch>, cx: &mut Cx) {
        self.search = search;
        self.detail = false;
        self.results.clear();
        self.results_pos = Selection::default();
        self.error = None;
        self.generation += 1;
        let Some(search) = self.search.clone() else {
            self.loading = false;
            return;
        };
        self.loading = true;
        let generation = self.generation;
        let store = cx.store.clone();
        cx.spawn(async move {
            Msg::Search {
                generation,
                result: self::search(&store, &search.queries()).await,
            }
        });
    }

    /// Shows an account with all its bindings.
    pub fn open_account(&mut self, account_id: i64, cx: &mut Cx) {
        self.detail = true;
        if self.account_id != Some(account_id) {
            self.account = None;
            self.account_pos = Selection::default();
            self.history.focused = false;
        }
        self.account_id = Some(account_id);
        self.history.reset();
        self.history.load(account_id, cx);
        self.account_loading = true;
        self.account_error = None;
        self.account_generation += 1;
        let generation = self.account_generation;
        let store = cx.store.clone();
        cx.spawn(async move {
            Msg::Account {
                generation,
                result: store.account_detail(account_id).await,
            }
        });
    }

    /// Re-runs the search and reloads the account shown, keeping the selections.
    fn reload_here(&mut self, cx: &mut Cx) {
        let results_pos = self.results_pos;
        let detail = self.detail;
        if self.search.is_some() {
            self.search(self.search.clone(), cx);
            self.results_pos = results_pos;
        }
        if detail && let Some(id) = self.account_id {
            let keep = self.account_pos;
            self.open_account(id, cx);
            self.account_pos = keep;
        }
    }

    pub fn apply(&mut self, msg: Msg, cx: &mut Cx) {
        match msg {
            Msg::Search { generation, result } => {
                if generation != self.generation {
                    return;
                }
                self.loading = false;
                match result {
                    Ok(rows) => {
                        self.results_pos.clamp(rows.len());
                        self.results = rows;
                    }
                    Err(e) => {
                        let what = tr!(cx.tr, "console-bindings-search-failed");
                        self.error = Some(cx.store_error(&what, &e))
                    }
                }
            }
            Msg::Account { generation, result } => {
                if generation != self.account_generation {
                    return;
                }
                self.account_loading = false;
                match result {
                    Ok(Some(a)) => {
                        self.account_pos.clamp(a.bindings.len());
                        self.account = Some(a);
                    }
                    Ok(None) => {
                        self.account = None;
                        self.account_error = Some(tr!(cx.tr, "console-bindings-no-such-account"));
                    }
                    Err(e) => {
                        let what = tr!(cx.tr, "console-bindings-account-failed");
                        self.account_error = Some(cx.store_error(&what, &e))
                    }
                }
            }
            Msg::History {
                generation,
                result,
                purged_before,
            } => {
                let h = &mut self.history;
                if generation != h.generation {
                    return;
                }
                h.loading = false;
                h.purged_before = h.purged_before.or(purged_before);
                match result {
                    Ok(page) => {
                        h.events.extend(page.rows);
                        h.next = page.next;
                        h.lines = history_lines(&h.events);
                        h.pos.clamp(h.lines.len());
                        // A page made of one summed-up day may leave the cursor near the end.
                        if let Some(id) = self.account_id {
                            h.load_ahead(id, cx);
                        }
                    }
                    Err(e) => {
                        let what = tr!(cx.tr, "console-bindings-history-failed");
                        h.error = Some(cx.store_error(&what, &e))
                    }
                }
            }
        }
    }

    /// The account a password reset applies to: the one shown, or the selected result's.
    fn reset_target(&self) -> Option<(i64, String)> {
        if self.detail {
            let a = self.account.as_ref()?;
            Some((a.account.id, a.account.username.clone()))
        } else {
            self.target().map(|b| (b.account_id, b.username.clone()))
        }
    }

    /// Starts a password reset: the new password, masked, twice.
    fn ask_password(&mut self, cx: &mut Cx) {
        self.new_password = None;
        if self.reset_target().is_none() {
            return cx.info(tr!(cx.tr, "console-bindings-no-account-selected"));
        }
        cx.prompt(
            Prompt::new(
                PromptKind::NewPassword,
                format!("{}: ", tr!(cx.tr, "console-password-prompt")),
                TextInput::masked(),
            )
            .with_hint(tr!(
                cx.tr,
                "console-password-prompt-hint",
                min = crate::present::limits::MIN_PASSWORD_CHARS,
                max = crate::present::limits::MAX_PASSWORD_CHARS,
                key = key(Scope::Prompt, Action::Cancel)
            )),
        );
    }

    /// A password entry was accepted: the first is kept (as a wiped-on-drop secret) and the
    /// second asked for; when they match, the confirmation dialog opens.
    fn password_entered(&mut self, input: &mut TextInput, cx: &mut Cx) {
        let Some((account_id, username)) = self.reset_target() else {
            self.new_password = None;
            return cx.info(tr!(cx.tr, "console-bindings-no-account-selected"));
        };
        let entered = crate::secret::Secret::new(input.value());
        input.clear();
        let Some((first_for, first)) = self.new_password.take() else {
            let n = entered.expose().chars().count();
            let (min, max) = (
                crate::present::limits::MIN_PASSWORD_CHARS,
                crate::present::limits::MAX_PASSWORD_CHARS,
            );
            if n < min || n > max {
                return cx.error(tr!(
                    cx.tr,
                    "console-password-length",
                    min = min,
                    max = max,
                    n = n
                ));
            }
            self.new_password = Some((account_id, entered));
            return cx.prompt(
                Prompt::new(
                    PromptKind::NewPassword,
                    format!("{}: ", tr!(cx.tr, "console-password-repeat")),
                    TextInput::masked(),
                )
                .with_hint(tr!(
                    cx.tr,
                    "console-password-repeat-hint",
                    key = key(Scope::Prompt, Action::Cancel)
                )),
            );
        };
        if first_for != account_id || first.expose() != entered.expose() {
            return cx.error(tr!(cx.tr, "console-password-differ"));
        }
        let tr = cx.tr;
        cx.push(Effect::Confirm(Request {
            op: Operation::SetPassword {
                account_id,
                password: entered,
                unbind_all: false,
            },
            title: tr!(tr, "console-password-title"),
            subject: vec![
                (
                    tr!(tr, "console-field-account"),
                    format!("{} (#{account_id})", widgets::clean(&username, 40)),
                ),
                (
                    tr!(tr, "console-field-after"),
                    tr!(tr, "console-password-after"),
                ),
            ],
            count: None,
            consequence: crate::console::confirm::Consequence::LiveSessionsRevoked,
            verb: Action::ResetPassword.verb(),
        }));
    }

    fn unbind(&self, cx: &mut Cx) {
        let Some(b) = self.target() else {
            return cx.info(tr!(cx.tr, "console-bindings-no-binding-selected"));
        };
        let tr = cx.tr;
        cx.push(Effect::Confirm(Request {
            op: Operation::Unbind {
                appid: b.appid.clone(),
                openid: b.openid.clone(),
            },
            title: tr!(tr, "console-unbind-title"),
            subject: vec![
                ("appid".into(), widgets::clean(&b.appid, 64)),
                ("openid".into(), widgets::clean(&b.openid, 64)),
                ("unionid".into(), widgets::clean_opt(&b.unionid, 64)),
                (
                    tr!(tr, "console-field-account"),
                    format!("{} (#{})", widgets::clean(&b.username, 40), b.account_id),
                ),
                (
                    tr!(tr, "console-field-after"),
                    tr!(tr, "console-unbind-after"),
                ),
            ],
            count: None,
            consequence: crate::console::confirm::Consequence::LiveSessionsRevokedWithIt,
            verb: Action::Unbind.verb(),
        }));
    }
}

impl Component for BindingsView {
    fn handle(&mut self, action: Action, cx: &mut Cx) {
        if let Some(m) = Move::of(action, cx.list_height) {
            if self.detail && self.history.focused {
                let h = &mut self.history;
                h.pos.go(m, h.lines.len(), cx.list_height);
                if let Some(id) = self.account_id {
                    h.load_ahead(id, cx);
                }
            } else if self.detail {
                let n = self.account.as_ref().map_or(0, |a| a.bindings.len());
                self.account_pos.go(m, n, cx.list_height);
            } else {
                self.results_pos.go(m, self.results.len(), cx.list_height);
            }
            return;
        }
        match action {
            // A new search each time (a search is a word, not a filter to refine).
            Action::Filter => cx.prompt(Prompt::new(
                PromptKind::Filter,
                format!("{}: ", tr!(cx.tr, "console-bindings-search-prompt")),
                TextInput::new(),
            )),
            Action::Refresh => {
                self.reload_here(cx);
                cx.info(tr!(cx.tr, "console-refreshed"));
            }
            Action::Open => {
                if !self.detail
                    && let Some(id) = self.target().map(|b| b.account_id)
                {
                    self.open_account(id, cx);
                }
            }
            Action::Back => {
                if self.detail {
                    self.detail = false;
                } else if self.search.is_some() {
                    self.search(None, cx);
                }
            }
            Action::JumpToSessions => {
                let id = if self.detail {
                    self.account_id
                } else {
                    self.target().map(|b| b.account_id)
                };
                if let Some(account_id) = id {
                    cx.goto(Goto::Sessions(SessionFilter {
                        account_id: Some(account_id),
                        ..Default::default()
                    }));
                }
            }
            Action::Unbind => self.unbind(cx),
            Action::ResetPassword => self.ask_password(cx),
            Action::FocusHistory => {
                if self.detail {
                    self.history.focused = !self.history.focused;
                } else {
                    cx.info(tr!(cx.tr, "console-bindings-open-account-first"));
                }
            }
            // Keys of other scopes never reach this view (the key table is looked up by scope).
            _ => {}
        }
    }

    fn accept(&mut self, kind: PromptKind, input: &mut TextInput, cx: &mut Cx) {
        match kind {
            PromptKind::Filter => match filter::parse_binding_search(cx.tr, input.value()) {
                Ok(s) => self.search(s, cx),
                Err(e) => cx.error(e),
            },
            PromptKind::NewPassword => self.password_entered(input, cx),
            PromptKind::Command | PromptKind::Token | PromptKind::Code | PromptKind::MintUser => {}
        }
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.reload_here(cx);
    }

    fn changed(&mut self, _revoked: &[String], visible: bool, cx: &mut Cx) {
        if visible {
            self.reload_here(cx);
        }
    }

    fn busy(&self) -> bool {
        self.loading || self.account_loading || self.history.loading
    }

    fn paste_hint(&self, tr: &Tr) -> String {
        tr!(
            tr,
            "console-paste-ignored",
            key = key(Scope::Bindings, Action::Filter)
        )
    }

    fn draw(&self, frame: &mut Frame, area: Rect, paint: &Paint) {
        if self.detail {
            self.draw_account(frame, area, paint);
        } else {
            self.draw_results(frame, area, paint);
        }
    }
}

// ---- drawing ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Field {
    /// `!` when the account has more than one binding in this mini program.
    Extra,
    Appid,
    Openid,
    Unionid,
    Account,
    Bound,
    LastLogin,
    Sessions,
}

fn columns(wide: bool, with_account: bool) -> Vec<(Col, Field)> {
    let mut v = vec![
        (col("!", 1, 0), Field::Extra),
        (col("console-col-appid", 18, 0), Field::Appid),
        (
            col("console-col-openid", if wide { 30 } else { 14 }, 0),
            Field::Openid,
        ),
        (
            col("console-col-unionid", if wide { 30 } else { 12 }, 2),
            Field::Unionid,
        ),
    ];
    if with_account {
        v.push((
            col("console-col-account", if wide { 20 } else { 12 }, 0),
            Field::Account,
        ));
    }
    v.extend([
        (
            col("console-col-bound", if wide { 16 } else { 11 }, 3),
            Field::Bound,
        ),
        (col("console-col-last-login", 10, 1), Field::LastLogin),
        (col("console-col-sessions", 8, 0), Field::Sessions),
    ]);
    v
}

fn cell(paint: &Paint, b: &BindingView, f: Field, width: u16, wide: bool) -> Cell<'static> {
    let w = width as usize;
    Cell::from(match f {
        Field::Extra if b.app_bindings > 1 => "!".to_owned(),
        Field::Extra => " ".to_owned(),
        Field::Appid => widgets::clean(&b.appid, w),
        Field::Openid if wide => widgets::clean(&b.openid, w),
        Field::Openid => widgets::shorten_id(&b.openid, w),
        Field::Unionid => match &b.unionid {
            Some(u) if wide => widgets::clean(u, w),
            Some(u) => widgets::shorten_id(u, w),
            None => "-".into(),
        },
        Field::Account => {
            let s = widgets::clean(&b.username, w);
            if b.account_disabled_at.is_some() {
                widgets::truncate_to(&format!("{s} (off)"), w)
            } else {
                s
            }
        }
        Field::Bound if wide => widgets::datetime(b.bound_at),
        Field::Bound => widgets::short_datetime(b.bound_at),
        Field::LastLogin => b
            .last_login_at
            .map(|t| widgets::relative(paint.tr, paint.now, t))
            .unwrap_or_else(|| "never".into()),
        Field::Sessions => format!("{:>8}", b.active_sessions),
    })
}

/// The bindings in `area`, with or without the account column.
fn draw_bindings(
    frame: &mut Frame,
    area: Rect,
    paint: &Paint,
    rows: &[BindingView],
    pos: Selection,
    with_account: bool,
    highlight: bool,
) {
    let t = paint.theme;
    let wide = area.width >= WIDE - 2;
    let table = widgets::table(
        paint,
        area,
        &columns(wide, with_account),
        rows,
        pos.selected,
        pos.offset,
        |i, b| {
            if highlight && i == pos.selected {
                t.selected
            } else if b.account_disabled_at.is_some() {
                t.inactive
            } else {
                t.value
            }
        },
        |b, f, w| cell(paint, b, f, w, wide),
    );
    frame.render_widget(table, area);
}

impl BindingsView {
    fn draw_results(&self, frame: &mut Frame, area: Rect, paint: &Paint) {
        let t = paint.theme;
        let tr = paint.tr;
        let mut title = vec![Span::styled(
            format!(" {} ", tr!(tr, "console-tab-bindings")),
            t.title,
        )];
        if let Some(s) = &self.search {
            title.push(Span::styled(
                format!("[{}] ", widgets::clean(&s.describe(), 60)),
                t.warn,
            ));
        }
        let count = (self.search.is_some() && !self.loading).then(|| {
            Line::from(Span::styled(
                format!(
                    " {} ",
                    tr!(tr, "console-n-found", n = self.results.len().to_string())
                ),
                t.label,
            ))
        });
        let block = widgets::view_block(t, Line::from(title), count);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if !self.results.is_empty() {
            return draw_bindings(
                frame,
                inner,
                paint,
                &self.results,
                self.results_pos,
                true,
                true,
            );
        }
        let lines: Vec<Line> = if self.loading {
            vec![Line::from(Span::styled(
                format!(
                    "{} {}",
                    widgets::spinner(paint.spinner),
                    tr!(tr, "console-searching")
                ),
                t.muted,
            ))]
        } else if let Some(e) = &self.error {
            vec![Line::from(Span::styled(widgets::clean(e, 300), t.error))]
        } else if self.search.is_some() {
            vec![Line::from(Span::styled(
                tr!(tr, "console-no-binding-matches"),
                t.muted,
            ))]
        } else {
            vec![
                Line::from(Span::styled(tr!(tr, "console-bindings-start"), t.value)),
                Line::raw(""),
                widgets::keys_line(
                    t,
                    &[(
                        key(Scope::Bindings, Action::Filter),
                        format!(" {}", tr!(tr, "console-key-bindings-filter")),
                    )],
                ),
                widgets::keys_line(
                    t,
                    &[(
                        format!(
                            "{}bindings openid=o6_bmj… appid=wx…",
                            key(Scope::Global, Action::CommandLine)
                        ),
                        format!("  {}", tr!(tr, "console-bindings-precise-search")),
                    )],
                ),
            ]
        };
        let y = inner.y + inner.height / 3;
        frame.render_widget(
            Paragraph::new(lines)
                .alignment(ratatui::layout::Alignment::Center)
                .wrap(Wrap { trim: true }),
            Rect {
                y,
                height: inner.height.saturating_sub(inner.height / 3),
                ..inner
            },
        );
    }

    fn draw_account(&self, frame: &mut Frame, area: Rect, paint: &Paint) {
        let t = paint.theme;
        let tr = paint.tr;
        let Some(acc) = &self.account else {
            let block = widgets::view_block(
                t,
                Line::from(Span::styled(
                    format!(" {} ", tr!(tr, "console-bindings-account-title")),
                    t.title,
                )),
                None,
            );
            let text = match &self.account_error {
                Some(e) => Span::styled(widgets::clean(e, 300), t.error),
                None => Span::styled(
                    format!(
                        "{} {}",
                        widgets::spinner(paint.spinner),
                        tr!(tr, "console-bindings-loading-account")
                    ),
                    t.muted,
                ),
            };
            frame.render_widget(Paragraph::new(Line::from(text)).block(block), area);
            return;
        };
        let a = &acc.account;
        let live: i64 = acc.bindings.iter().map(|x| x.active_sessions).sum();
        let extra = extra_bindings(acc);
        let card_h = 7 + extra.len().min(2) as u16;
        let [card, list] =
            Layout::vertical([Constraint::Length(card_h), Constraint::Min(3)]).areas(area);
        let disabled = match a.disabled_at {
            Some(d) => (
                tr!(
                    tr,
                    "console-bindings-disabled-since",
                    when = widgets::full_datetime(d)
                ),
                Some(t.error),
            ),
            None => (tr!(tr, "common-no"), Some(t.ok)),
        };
        let lines = vec![
            widgets::field(
                t,
                &tr!(tr, "console-field-username"),
                widgets::clean(&a.username, 64),
                Some(t.title),
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-account-id"),
                a.id.to_string(),
                None,
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-name"),
                widgets::clean_opt(&a.display_name, 64),
                None,
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-created"),
                widgets::when(tr, paint.now, a.created_at),
                None,
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-disabled"),
                disabled.0,
                disabled.1,
            ),
        ];
        let mut lines = lines;
        for (appid, n) in extra.iter().take(2) {
            lines.push(Line::from(Span::styled(
                tr!(
                    tr,
                    "console-bindings-extra",
                    n = n.to_string(),
                    appid = widgets::shorten_id(appid, 20)
                ),
                t.warn,
            )));
        }
        let title = Line::from(vec![
            Span::styled(
                format!(" {} ", tr!(tr, "console-bindings-account-title")),
                t.title,
            ),
            Span::styled(format!("{} ", widgets::clean(&a.username, 40)), t.value),
        ]);
        frame.render_widget(
            Paragraph::new(lines).block(widgets::view_block(t, title, None)),
            card,
        );
        let title = Line::from(vec![
            Span::styled(
                format!(" {} ", tr!(tr, "console-bindings-of-account")),
                t.title,
            ),
            Span::styled(
                format!(
                    "({}) ",
                    tr!(
                        tr,
                        "console-bindings-of-account-counts",
                        bindings = acc.bindings.len(),
                        apps = distinct_apps(acc),
                        live = live
                    )
                ),
                t.label,
            ),
        ]);
        // The bindings take what they need (a handful), the history the rest.
        let wanted = acc.bindings.len().max(1) as u16 + 3;
        let [list, history] =
            Layout::vertical([Constraint::Max(wanted.min(9)), Constraint::Min(4)]).areas(list);
        let block = widgets::view_block(t, title, None);
        let inner = block.inner(list);
        frame.render_widget(block, list);
        if acc.bindings.is_empty() {
            frame.render_widget(
                widgets::empty_message(t, &tr!(tr, "console-bindings-none-bound")),
                inner,
            );
        } else {
            // No row is highlighted while the cursor is in the history.
            let highlight = !self.history.focused;
            draw_bindings(
                frame,
                inner,
                paint,
                &acc.bindings,
                self.account_pos,
                false,
                highlight,
            );
        }
        self.draw_history(frame, history, paint);
    }

    fn draw_history(&self, frame: &mut Frame, area: Rect, paint: &Paint) {
        let t = paint.theme;
        let tr = paint.tr;
        let h = &self.history;
        let mut title = vec![Span::styled(
            format!(" {} ", tr!(tr, "console-history-title")),
            t.title,
        )];
        title.push(Span::styled(
            if h.focused {
                format!("({}) ", tr!(tr, "console-newest-first"))
            } else {
                format!(
                    "({}) ",
                    tr!(
                        tr,
                        "console-newest-first-scroll",
                        key = key(Scope::Bindings, Action::FocusHistory)
                    )
                )
            },
            t.label,
        ));
        let right = Line::from(Span::styled(
            format!(
                " {}{} ",
                tr!(tr, "console-n-events", count = h.events.len()),
                if h.loading {
                    "…"
                } else if h.next.is_some() {
                    "+"
                } else {
                    ""
                }
            ),
            t.label,
        ));
        let block = widgets::view_block(t, Line::from(title), Some(right));
        let mut inner = block.inner(area);
        frame.render_widget(block, area);
        if let Some(note) = retention_line(t, tr, h.purged_before)
            && inner.height > 1
        {
            let [rest, last] =
                Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
            frame.render_widget(Paragraph::new(note), last);
            inner = rest;
        }
        if h.lines.is_empty() {
            let msg = match (&h.error, h.loading) {
                (Some(e), _) => widgets::clean(e, 300),
                (None, true) => format!(
                    "{} {}",
                    widgets::spinner(paint.spinner),
                    tr!(tr, "console-loading-history")
                ),
                (None, false) => tr!(tr, "console-history-empty"),
            };
            frame.render_widget(widgets::empty_message(t, &msg), inner);
            return;
        }
        let cols = [
            (col("console-col-when", 20, 0), HistoryField::When),
            (col("console-col-event", 16, 0), HistoryField::Event),
            (
                widgets::Col {
                    fill: true,
                    ..col("console-col-detail", 20, 0)
                },
                HistoryField::Detail,
            ),
        ];
        let table = widgets::table(
            paint,
            inner,
            &cols,
            &h.lines,
            h.pos.selected,
            h.pos.offset,
            |i, _| {
                if h.focused && i == h.pos.selected {
                    t.selected
                } else {
                    t.value
                }
            },
            |line, f, w| Cell::from(history_cell(tr, &h.events, line, f, w as usize)),
        );
        frame.render_widget(table, inner);
    }
}

/// The history's last line once retention has purged anything, in the words of `wxlogin
/// accounts history`: "sessions that ended before 2026-11-05 removed by retention".
fn retention_line(
    t: &crate::console::theme::Theme,
    tr: &Tr,
    purged_before: Option<Ts>,
) -> Option<Line<'static>> {
    let note = crate::present::history::retention_note(tr, purged_before?);
    Some(Line::from(Span::styled(note, t.muted)))
}

#[derive(Debug, Clone, Copy)]
enum HistoryField {
    When,
    Event,
    Detail,
}

fn history_cell(
    tr: &Tr,
    events: &[HistoryEvent],
    line: &HistoryLine,
    f: HistoryField,
    w: usize,
) -> String {
    match line {
        HistoryLine::Day {
            first,
            day,
            created,
            revoked,
        } => match f {
            HistoryField::When => day.format("%Y-%m-%d").to_string(),
            HistoryField::Event => tr!(tr, "console-history-day-event"),
            HistoryField::Detail => {
                let _ = first;
                let detail = tr!(
                    tr,
                    "console-history-day-detail",
                    day = day.format("%Y-%m-%d").to_string(),
                    created = (*created as i64),
                    revoked = (*revoked as i64)
                );
                widgets::truncate_to(&detail, w)
            }
        },
        HistoryLine::Event(i) => {
            let e = &events[*i];
            match f {
                HistoryField::When => widgets::full_datetime(e.at),
                HistoryField::Event => event_name(tr, e),
                HistoryField::Detail => widgets::truncate_to(&event_detail(tr, e), w),
            }
        }
    }
}

/// The mini programs in which the account has more than one binding, with how many.
fn extra_bindings(acc: &AccountDetail) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = Vec::new();
    for b in acc.bindings.iter().filter(|b| b.app_bindings > 1) {
        if !out.iter().any(|(a, _)| *a == b.appid) {
            out.push((b.appid.clone(), b.app_bindings));
        }
    }
    out
}

fn distinct_apps(acc: &AccountDetail) -> usize {
    let mut apps: Vec<&str> = acc.bindings.iter().map(|b| b.appid.as_str()).collect();
    apps.sort_unstable();
    apps.dedup();
    apps.len()
}
