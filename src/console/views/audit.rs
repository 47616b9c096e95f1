//! The Audit view: operator actions newest first, filterable by operator, action and target.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use crate::console::action::Action;
use crate::console::app::{App, PromptKind};
use crate::console::filter;
use crate::console::input::TextInput;
use crate::console::tasks::{self, Msg};
use crate::console::ui::{self, Col, WIDE};
use crate::console::window::{Chunk, Load, Window, visible_offset};
use crate::store::{AuditEntry, AuditFilter, StoreError};

#[derive(Debug, Default)]
pub struct AuditState {
    pub filter: AuditFilter,
    pub window: Window<AuditEntry>,
    pub detail: bool,
}

impl App {
    pub(crate) fn reload_audit(&mut self) {
        let (generation, load) = self.audit.window.reset();
        self.spawn_audit_load(generation, load);
    }

    pub(crate) fn refresh_audit(&mut self) {
        if !self.audit.window.loaded {
            return self.reload_audit();
        }
        let (generation, load) = self.audit.window.refresh();
        self.spawn_audit_load(generation, load);
    }

    fn spawn_audit_load(&mut self, generation: u64, load: Load) {
        let store = self.ctx.store.clone();
        let filter = self.audit.filter.clone();
        self.spawn(async move {
            Msg::Audit {
                generation,
                result: tasks::fetch_audit(&store, &filter, &load).await,
            }
        });
    }

    pub(crate) fn set_audit_filter(&mut self, filter: AuditFilter) {
        self.audit.filter = filter;
        self.audit.detail = false;
        self.reload_audit();
    }

    pub(crate) fn apply_audit(
        &mut self,
        generation: u64,
        result: Result<Chunk<AuditEntry>, StoreError>,
    ) {
        let result = result.map_err(|e| self.store_error("cannot load the audit log", &e));
        if self.audit.window.apply(generation, result) {
            let h = self.list_height();
            self.audit.window.scroll_into_view(h);
            if let Some((g, l)) = self.audit.window.wanted() {
                self.spawn_audit_load(g, l);
            }
        }
    }

    pub(crate) fn audit_action(&mut self, action: Action) {
        if let Some(delta) = self.movement(action) {
            self.audit.window.move_by(delta);
            let h = self.list_height();
            self.audit.window.scroll_into_view(h);
            if let Some((g, l)) = self.audit.window.wanted() {
                self.spawn_audit_load(g, l);
            }
            return;
        }
        match action {
            Action::Top => {
                let w = &mut self.audit.window;
                if w.at_top {
                    w.selected = 0;
                    w.offset = 0;
                } else {
                    let (g, l) = w.begin_replace(Load::Top);
                    self.spawn_audit_load(g, l);
                }
            }
            Action::Bottom => {
                let h = self.list_height();
                let w = &mut self.audit.window;
                if w.at_bottom {
                    w.selected = w.rows.len().saturating_sub(1);
                    w.scroll_into_view(h);
                } else {
                    let (g, l) = w.begin_replace(Load::Bottom);
                    self.spawn_audit_load(g, l);
                }
            }
            Action::Open if self.audit.window.selected_row().is_some() => {
                self.audit.detail = true;
            }
            Action::Back => {
                if self.audit.detail {
                    self.audit.detail = false;
                } else if self.audit.filter != AuditFilter::default() {
                    self.set_audit_filter(AuditFilter::default());
                    self.info("filter cleared");
                }
            }
            Action::Refresh => {
                self.refresh_audit();
                self.info("refreshed");
            }
            Action::Filter => {
                let mut text = filter::format_audit_filter(&self.audit.filter);
                if !text.is_empty() {
                    text.push(' ');
                }
                self.prompt(PromptKind::Filter, TextInput::with_value(text));
            }
            _ => {}
        }
    }
}

// ---- drawing ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Field {
    At,
    Operator,
    Origin,
    Action,
    Target,
    Reason,
}

fn columns(wide: bool) -> Vec<(Col, Field)> {
    let c = |title, width, priority, fill| Col {
        title,
        width,
        priority,
        fill,
    };
    vec![
        (c("WHEN", if wide { 19 } else { 11 }, 0, false), Field::At),
        (
            c("OPERATOR", if wide { 16 } else { 10 }, 0, false),
            Field::Operator,
        ),
        (
            c("ORIGIN", if wide { 22 } else { 14 }, 3, false),
            Field::Origin,
        ),
        (
            c("ACTION", if wide { 18 } else { 16 }, 0, false),
            Field::Action,
        ),
        (
            c("TARGET", if wide { 40 } else { 18 }, 1, false),
            Field::Target,
        ),
        (c("REASON", 12, 2, true), Field::Reason),
    ]
}

fn cell(e: &AuditEntry, f: Field, width: u16, wide: bool) -> String {
    let w = width as usize;
    match f {
        Field::At if wide => ui::full_datetime(e.at),
        Field::At => ui::short_datetime(e.at),
        Field::Operator => ui::clean(&e.operator, w),
        Field::Origin => ui::clean_opt(&e.origin, w),
        Field::Action => ui::clean(&e.action, w),
        Field::Target => ui::clean(&e.target, w),
        Field::Reason => ui::clean_opt(&e.reason, w),
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let a = &app.audit;
    let show_detail = a.detail && a.window.selected_row().is_some();
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

fn draw_table(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let a = &app.audit;
    let w = &a.window;
    let mut title = vec![Span::styled(" Audit log ", t.title)];
    let f = filter::format_audit_filter(&a.filter);
    if !f.is_empty() {
        title.push(Span::styled(format!("[{}] ", ui::clean(&f, 60)), t.warn));
    }
    let pos = ui::position_text(w.position(None), w.is_loading());
    let block = ui::view_block(
        t,
        Line::from(title),
        Some(Line::from(Span::styled(pos, t.label))),
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if w.rows.is_empty() {
        let msg = if let Some(e) = &w.error {
            format!("could not load the audit log: {}", ui::clean(e, 200))
        } else if !w.loaded {
            format!("{} loading…", ui::spinner(app.spinner))
        } else if f.is_empty() {
            "no operator action recorded yet".into()
        } else {
            "no entry matches the filter (Esc clears it)".into()
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
    let cols = columns(wide);
    let plain: Vec<Col> = cols.iter().map(|(c, _)| *c).collect();
    let chosen = ui::fit_columns(&plain, inner.width);
    let widths = ui::constraints(&chosen);
    let header = Row::new(
        chosen
            .iter()
            .map(|&(i, _)| Cell::from(Span::styled(plain[i].title, t.column))),
    );
    let height = inner.height.saturating_sub(1) as usize;
    let offset = visible_offset(w.offset, w.selected, height);
    let rows = w
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, e)| {
            let style = if i == w.selected { t.selected } else { t.value };
            Row::new(
                chosen
                    .iter()
                    .map(|&(c, w)| Cell::from(cell(e, cols[c].1, w, wide))),
            )
            .style(style)
        });
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        inner,
    );
}

fn draw_detail(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let Some(e) = app.audit.window.selected_row() else {
        return;
    };
    let mut lines = vec![
        ui::field(
            t,
            "when",
            format!(
                "{} ({})",
                ui::full_datetime(e.at),
                ui::relative(app.now, e.at)
            ),
            None,
        ),
        ui::field(t, "operator", ui::clean(&e.operator, 64), Some(t.title)),
        ui::field(t, "origin", ui::clean_opt(&e.origin, 64), None),
        ui::field(t, "action", ui::clean(&e.action, 64), None),
        ui::field(t, "target", ui::clean(&e.target, 300), None),
        ui::field(t, "reason", ui::clean_opt(&e.reason, 600), None),
        ui::field(t, "detail", "", None),
    ];
    let pretty = serde_json::to_string_pretty(&e.detail.0).unwrap_or_default();
    for l in pretty.lines().take(200) {
        lines.push(Line::from(Span::styled(
            format!("  {}", ui::clean(l, 400)),
            t.value,
        )));
    }
    let block = ui::view_block(t, Line::from(Span::styled(" Audit entry ", t.title)), None);
    let lines = ui::hang(lines, area.width.saturating_sub(4));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
