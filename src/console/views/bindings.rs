//! The Bindings view: find who an openid / unionid / username / account id is, see the account
//! with all its bindings across mini programs, and unbind.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use crate::console::action::Action;
use crate::console::app::{App, PromptKind, View};
use crate::console::confirm::Operation;
use crate::console::filter::BindingSearch;
use crate::console::input::TextInput;
use crate::console::tasks::{self, Msg};
use crate::console::ui::{self, Col, WIDE};
use crate::console::window::visible_offset;
use crate::store::{AccountDetail, BindingView, SessionFilter, StoreError};

#[derive(Debug, Default)]
pub struct BindingsState {
    pub search: Option<BindingSearch>,
    pub results: Vec<BindingView>,
    pub selected: usize,
    pub offset: usize,
    pub loading: bool,
    pub generation: u64,
    pub error: Option<String>,
    /// The account detail is shown (instead of the search results).
    pub detail: bool,
    pub account_id: Option<i64>,
    pub account: Option<AccountDetail>,
    pub account_selected: usize,
    pub account_loading: bool,
    pub account_generation: u64,
    pub account_error: Option<String>,
}

impl BindingsState {
    /// The binding an action applies to: in the detail, the selected binding of the account;
    /// otherwise the selected search result.
    pub fn target(&self) -> Option<&BindingView> {
        if self.detail {
            self.account
                .as_ref()
                .and_then(|a| a.bindings.get(self.account_selected))
        } else {
            self.results.get(self.selected)
        }
    }
}

impl App {
    pub(crate) fn search_bindings(&mut self, search: Option<BindingSearch>) {
        let b = &mut self.bindings;
        b.search = search;
        b.detail = false;
        b.results.clear();
        b.selected = 0;
        b.offset = 0;
        b.error = None;
        b.generation += 1;
        let Some(search) = b.search.clone() else {
            b.loading = false;
            return;
        };
        b.loading = true;
        let generation = b.generation;
        let store = self.ctx.store.clone();
        self.spawn(async move {
            Msg::Bindings {
                generation,
                result: tasks::search_bindings(&store, &search.queries()).await,
            }
        });
    }

    /// Re-runs the search and reloads the account shown, keeping the selection.
    pub(crate) fn refresh_bindings(&mut self) {
        let selected = self.bindings.selected;
        let detail = self.bindings.detail;
        let search = self.bindings.search.clone();
        if search.is_some() {
            self.search_bindings(search);
            self.bindings.selected = selected;
        }
        if detail && let Some(id) = self.bindings.account_id {
            let keep = self.bindings.account_selected;
            self.open_account(id);
            self.bindings.account_selected = keep;
        }
    }

    /// Shows an account with all its bindings.
    pub(crate) fn open_account(&mut self, account_id: i64) {
        let b = &mut self.bindings;
        b.detail = true;
        if b.account_id != Some(account_id) {
            b.account = None;
            b.account_selected = 0;
        }
        b.account_id = Some(account_id);
        b.account_loading = true;
        b.account_error = None;
        b.account_generation += 1;
        let generation = b.account_generation;
        let store = self.ctx.store.clone();
        self.spawn(async move {
            Msg::Account {
                generation,
                result: store.account_detail(account_id).await,
            }
        });
    }

    pub(crate) fn apply_bindings(
        &mut self,
        generation: u64,
        result: Result<Vec<BindingView>, StoreError>,
    ) {
        if generation != self.bindings.generation {
            return;
        }
        self.bindings.loading = false;
        match result {
            Ok(rows) => {
                let n = rows.len();
                self.bindings.results = rows;
                self.bindings.selected = self.bindings.selected.min(n.saturating_sub(1));
            }
            Err(e) => {
                let text = self.store_error("cannot search bindings", &e);
                self.bindings.error = Some(text);
            }
        }
    }

    pub(crate) fn apply_account(
        &mut self,
        generation: u64,
        result: Result<Option<AccountDetail>, StoreError>,
    ) {
        if generation != self.bindings.account_generation {
            return;
        }
        let b = &mut self.bindings;
        b.account_loading = false;
        match result {
            Ok(Some(a)) => {
                b.account_selected = b.account_selected.min(a.bindings.len().saturating_sub(1));
                b.account = Some(a);
            }
            Ok(None) => {
                b.account = None;
                b.account_error = Some("no such account".into());
            }
            Err(e) => {
                let text = self.store_error("cannot load the account", &e);
                self.bindings.account_error = Some(text);
            }
        }
    }

    pub(crate) fn bindings_action(&mut self, action: Action) {
        let h = self.list_height();
        if let Some(delta) = self.movement(action) {
            let b = &mut self.bindings;
            if b.detail {
                let n = b.account.as_ref().map_or(0, |a| a.bindings.len());
                b.account_selected = b
                    .account_selected
                    .saturating_add_signed(delta)
                    .min(n.saturating_sub(1));
            } else {
                b.selected = b
                    .selected
                    .saturating_add_signed(delta)
                    .min(b.results.len().saturating_sub(1));
                b.offset = visible_offset(b.offset, b.selected, h);
            }
            return;
        }
        match action {
            Action::Top => {
                let b = &mut self.bindings;
                if b.detail {
                    b.account_selected = 0;
                } else {
                    b.selected = 0;
                    b.offset = 0;
                }
            }
            Action::Bottom => {
                let b = &mut self.bindings;
                if b.detail {
                    b.account_selected = b
                        .account
                        .as_ref()
                        .map_or(0, |a| a.bindings.len().saturating_sub(1));
                } else {
                    b.selected = b.results.len().saturating_sub(1);
                    b.offset = visible_offset(b.offset, b.selected, h);
                }
            }
            // A new search each time (a search is a word, not a filter to refine).
            Action::Filter => self.prompt(PromptKind::Filter, TextInput::new()),
            Action::Refresh => {
                self.refresh_bindings();
                self.info("refreshed");
            }
            Action::Open => {
                if !self.bindings.detail
                    && let Some(id) = self
                        .bindings
                        .results
                        .get(self.bindings.selected)
                        .map(|b| b.account_id)
                {
                    self.open_account(id);
                }
            }
            Action::Back => {
                if self.bindings.detail {
                    self.bindings.detail = false;
                } else if self.bindings.search.is_some() {
                    self.search_bindings(None);
                }
            }
            Action::JumpToSessions => {
                let id = if self.bindings.detail {
                    self.bindings.account_id
                } else {
                    self.bindings.target().map(|b| b.account_id)
                };
                if let Some(account_id) = id {
                    self.show(View::Sessions);
                    self.set_session_filter(SessionFilter {
                        account_id: Some(account_id),
                        ..Default::default()
                    });
                }
            }
            Action::Unbind => {
                let Some(b) = self.bindings.target().cloned() else {
                    return self.info("no binding selected");
                };
                self.open_dialog(
                    Operation::Unbind {
                        appid: b.appid.clone(),
                        openid: b.openid.clone(),
                    },
                    "Unbind WeChat identity".into(),
                    vec![
                        ("appid".into(), ui::clean(&b.appid, 64)),
                        ("openid".into(), ui::clean(&b.openid, 64)),
                        ("unionid".into(), ui::clean_opt(&b.unionid, 64)),
                        (
                            "account".into(),
                            format!("{} (#{})", ui::clean(&b.username, 40), b.account_id),
                        ),
                        (
                            "after".into(),
                            "the next login from this WeChat user asks for username and password"
                                .into(),
                        ),
                    ],
                    None,
                    "live sessions will be revoked with it",
                );
            }
            _ => {}
        }
    }
}

// ---- drawing ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Field {
    Appid,
    Openid,
    Unionid,
    Account,
    Bound,
    LastLogin,
    Sessions,
}

fn columns(wide: bool, with_account: bool) -> Vec<(Col, Field)> {
    let c = |title, width, priority| Col {
        title,
        width,
        priority,
        fill: false,
    };
    let mut v = vec![
        (c("APPID", 18, 0), Field::Appid),
        (c("OPENID", if wide { 30 } else { 14 }, 0), Field::Openid),
        (c("UNIONID", if wide { 30 } else { 12 }, 2), Field::Unionid),
    ];
    if with_account {
        v.push((c("ACCOUNT", if wide { 20 } else { 12 }, 0), Field::Account));
    }
    v.extend([
        (c("BOUND", if wide { 16 } else { 11 }, 3), Field::Bound),
        (c("LAST LOGIN", 10, 1), Field::LastLogin),
        (c("SESSIONS", 8, 0), Field::Sessions),
    ]);
    v
}

fn cell(app: &App, b: &BindingView, f: Field, width: u16, wide: bool) -> String {
    let w = width as usize;
    match f {
        Field::Appid => ui::clean(&b.appid, w),
        Field::Openid if wide => ui::clean(&b.openid, w),
        Field::Openid => ui::shorten_id(&b.openid, w),
        Field::Unionid => match &b.unionid {
            Some(u) if wide => ui::clean(u, w),
            Some(u) => ui::shorten_id(u, w),
            None => "-".into(),
        },
        Field::Account => {
            let mut s = ui::clean(&b.username, w);
            if b.account_disabled_at.is_some() {
                s = ui::truncate_to(&format!("{s} (off)"), w);
            }
            s
        }
        Field::Bound if wide => ui::datetime(b.bound_at),
        Field::Bound => ui::short_datetime(b.bound_at),
        Field::LastLogin => b
            .last_login_at
            .map(|t| ui::relative(app.now, t))
            .unwrap_or_else(|| "never".into()),
        Field::Sessions => format!("{:>8}", b.active_sessions),
    }
}

fn binding_table<'a>(
    app: &'a App,
    rows: &'a [BindingView],
    selected: usize,
    offset: usize,
    area: Rect,
    with_account: bool,
) -> (Table<'a>, usize) {
    let t = &app.ctx.theme;
    let wide = area.width >= WIDE - 2;
    let cols = columns(wide, with_account);
    let plain: Vec<Col> = cols.iter().map(|(c, _)| *c).collect();
    let chosen = ui::fit_columns(&plain, area.width);
    let widths = ui::constraints(&chosen);
    let header = Row::new(
        chosen
            .iter()
            .map(|&(i, _)| Cell::from(Span::styled(plain[i].title, t.column))),
    );
    let height = area.height.saturating_sub(1) as usize;
    let offset = visible_offset(offset, selected, height);
    let body: Vec<Row> = rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, b)| {
            let style = if i == selected {
                t.selected
            } else if b.account_disabled_at.is_some() {
                t.inactive
            } else {
                t.value
            };
            Row::new(
                chosen
                    .iter()
                    .map(|&(c, w)| Cell::from(cell(app, b, cols[c].1, w, wide))),
            )
            .style(style)
        })
        .collect();
    (
        Table::new(body, widths).header(header).column_spacing(1),
        offset,
    )
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    if app.bindings.detail {
        draw_account(frame, area, app);
    } else {
        draw_results(frame, area, app);
    }
}

fn draw_results(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let b = &app.bindings;
    let mut title = vec![Span::styled(" Bindings ", t.title)];
    if let Some(s) = &b.search {
        title.push(Span::styled(
            format!("[{}] ", ui::clean(&s.describe(), 60)),
            t.warn,
        ));
    }
    let count = if b.search.is_some() && !b.loading {
        Some(Line::from(Span::styled(
            format!(" {} found ", b.results.len()),
            t.label,
        )))
    } else {
        None
    };
    let block = ui::view_block(t, Line::from(title), count);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if b.results.is_empty() {
        let lines: Vec<Line> = if b.loading {
            vec![Line::from(Span::styled(
                format!("{} searching…", ui::spinner(app.spinner)),
                t.muted,
            ))]
        } else if let Some(e) = &b.error {
            vec![Line::from(Span::styled(ui::clean(e, 300), t.error))]
        } else if b.search.is_some() {
            vec![Line::from(Span::styled("no binding matches", t.muted))]
        } else {
            vec![
                Line::from(Span::styled("Find who a WeChat user is.", t.value)),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("/", t.key),
                    Span::styled(
                        " search by openid, unionid, username or account id",
                        t.muted,
                    ),
                ]),
                Line::from(vec![
                    Span::styled(":bindings openid=o6_bmj… appid=wx…", t.key),
                    Span::styled("  precise search", t.muted),
                ]),
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
        return;
    }
    let (table, _) = binding_table(app, &b.results, b.selected, b.offset, inner, true);
    frame.render_widget(table, inner);
}

fn draw_account(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let b = &app.bindings;
    let Some(acc) = &b.account else {
        let block = ui::view_block(t, Line::from(Span::styled(" Account ", t.title)), None);
        let text = match &b.account_error {
            Some(e) => Span::styled(ui::clean(e, 300), t.error),
            None => Span::styled(
                format!("{} loading the account…", ui::spinner(app.spinner)),
                t.muted,
            ),
        };
        frame.render_widget(Paragraph::new(Line::from(text)).block(block), area);
        return;
    };
    let a = &acc.account;
    let live: i64 = acc.bindings.iter().map(|x| x.active_sessions).sum();
    let [card, list] = Layout::vertical([Constraint::Length(7), Constraint::Min(3)]).areas(area);
    let disabled = match a.disabled_at {
        Some(d) => (
            format!("yes, since {}", ui::full_datetime(d)),
            Some(t.error),
        ),
        None => ("no".to_owned(), Some(t.ok)),
    };
    let lines = vec![
        ui::field(t, "username", ui::clean(&a.username, 64), Some(t.title)),
        ui::field(t, "account id", a.id.to_string(), None),
        ui::field(t, "name", ui::clean_opt(&a.display_name, 64), None),
        ui::field(
            t,
            "created",
            format!(
                "{} ({})",
                ui::full_datetime(a.created_at),
                ui::relative(app.now, a.created_at)
            ),
            None,
        ),
        ui::field(t, "disabled", disabled.0, disabled.1),
    ];
    let title = Line::from(vec![
        Span::styled(" Account ", t.title),
        Span::styled(format!("{} ", ui::clean(&a.username, 40)), t.value),
    ]);
    frame.render_widget(
        Paragraph::new(lines).block(ui::view_block(t, title, None)),
        card,
    );
    let title = Line::from(vec![
        Span::styled(" Bindings of this account ", t.title),
        Span::styled(
            format!(
                "({} in {} apps, {} live sessions) ",
                acc.bindings.len(),
                distinct_apps(acc),
                live
            ),
            t.label,
        ),
    ]);
    let block = ui::view_block(t, title, None);
    let inner = block.inner(list);
    frame.render_widget(block, list);
    if acc.bindings.is_empty() {
        frame.render_widget(
            ui::empty_message(t, "no WeChat identity is bound to this account"),
            inner,
        );
        return;
    }
    let (table, _) = binding_table(app, &acc.bindings, b.account_selected, 0, inner, false);
    frame.render_widget(table, inner);
}

fn distinct_apps(acc: &AccountDetail) -> usize {
    let mut apps: Vec<&str> = acc.bindings.iter().map(|b| b.appid.as_str()).collect();
    apps.sort_unstable();
    apps.dedup();
    apps.len()
}
