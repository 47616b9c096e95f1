//! The screen, top to bottom: header (database, backend, operator, READ-ONLY), view tabs,
//! optional "database unreachable" banner, the view, status line, footer (keys of this view);
//! and the overlay (help, prompt or dialog) over it all. Drawing only reads the [`App`], so a
//! `TestBackend` snapshot shows exactly what an operator sees.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::action::Action;
use super::app::{App, Overlay};
use super::effect::StatusKind;
use super::help::Help;
use super::keymap::{self, Scope};
use super::views::View;
use super::widgets::{self, Paint, middle_truncate, truncate_to};
use crate::i18n::Tr;
use crate::sanitize::for_terminal;
use crate::tr;

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    // Support tools (small terminals): say how big the screen must be, not a broken layout.
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        return draw_too_small(frame, area, &app.ctx.tr);
    }
    let paint = app.paint();
    let theme = paint.theme;
    let banner = u16::from(app.db_down.is_some());
    let [header, tabs, banner_area, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(banner),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, header, app);
    draw_tabs(frame, tabs, app);
    if app.db_down.is_some() {
        // The error itself is on the status line.
        let text = format!(" {} ", tr!(app.ctx.tr, "console-db-unreachable-banner"));
        frame.render_widget(
            Paragraph::new(truncate_to(&text, banner_area.width as usize)).style(theme.banner),
            banner_area,
        );
    }
    app.component(app.view).draw(frame, body, &paint);
    draw_status(frame, status, app);
    draw_footer(frame, footer, app);
    match &app.overlay {
        Some(Overlay::Help(h)) => h.draw(frame, area, &paint, app.view.scope(), |a| app.mark(a)),
        Some(Overlay::Confirm(c)) => c.draw(frame, area, &paint),
        Some(Overlay::Prompt(p)) => p.draw(frame, status, footer, theme, &app.ctx.tr),
        None => {}
    }
}

/// The smallest screen the layout is drawn on (columns, rows).
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// What a screen below [`MIN_SIZE`] shows: its size, the size needed, and how to leave.
fn draw_too_small(frame: &mut Frame, area: Rect, tr: &Tr) {
    let lines = [
        tr!(
            tr,
            "console-too-small",
            size = format!("{}x{}", area.width, area.height)
        ),
        tr!(
            tr,
            "console-too-small-needs",
            size = format!("{}x{}", MIN_SIZE.0, MIN_SIZE.1)
        ),
        tr!(
            tr,
            "console-too-small-hint",
            key = keymap::key(Scope::Global, Action::Quit)
        ),
    ];
    let top = area.height.saturating_sub(lines.len() as u16) / 2;
    let text: Vec<Line> = std::iter::repeat_n(Line::raw(""), top as usize)
        .chain(lines.iter().map(|l| {
            let w = area.width as usize;
            let l = truncate_to(l, w);
            let pad = w.saturating_sub(widgets::width(&l)) / 2;
            Line::raw(format!("{}{l}", " ".repeat(pad)))
        }))
        .collect();
    frame.render_widget(Paragraph::new(text), area);
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App) {
    // Support tools (environment): a dangerous environment's header is red (no colour:
    // its name in capitals, reversed, is the warning).
    let red;
    let t = if app.ctx.dangerous_environment && app.ctx.theme.color {
        red = app.ctx.theme.dangerous_header();
        &red
    } else {
        &app.ctx.theme
    };
    let env = app.ctx.environment.as_deref().map(|e| {
        let e = crate::sanitize::for_terminal_truncated(e, 20);
        if app.ctx.dangerous_environment {
            format!(" {} ", e.to_uppercase())
        } else {
            format!(" {e} ")
        }
    });
    let env_len = env.as_ref().map_or(0, |e| widgets::width(e));
    let width = (area.width as usize).saturating_sub(env_len);
    let operator = for_terminal(&app.ctx.actor.operator).into_owned();
    let origin = app
        .ctx
        .actor
        .origin
        .as_deref()
        .map(|o| format!("@{}", for_terminal(o)))
        .unwrap_or_default();
    let badge = if app.ctx.read_only {
        format!(" {} ", tr!(app.ctx.tr, "console-read-only-badge"))
    } else {
        String::new()
    };
    let title = " wxlogin ";
    let backend = format!(" {} ", app.ctx.store.backend());
    let fixed = title.len() + widgets::width(&backend) + widgets::width(&badge) + 2;
    // The origin goes first when space is short; the operator and the database never do.
    let who_room = width.saturating_sub(fixed + 24);
    let who = if widgets::width(&operator) + widgets::width(&origin) + 2 <= who_room {
        format!(" {operator}{origin} ")
    } else {
        format!(
            " {} ",
            truncate_to(&operator, who_room.saturating_sub(2).max(8))
        )
    };
    let room = width.saturating_sub(fixed + widgets::width(&who));
    let url = middle_truncate(&for_terminal(&app.ctx.db_label), room);
    let pad = room.saturating_sub(widgets::width(&url));
    let mut spans = vec![Span::styled(title, t.header_key)];
    if let Some(e) = env {
        spans.push(Span::styled(e, t.badge));
    }
    spans.extend([
        Span::styled(backend, t.header),
        Span::styled(url, t.header),
        Span::styled(" ".repeat(pad + 1), t.header),
        Span::styled(who, t.header_key),
    ]);
    if app.ctx.read_only {
        spans.push(Span::styled(badge, t.badge));
    }
    spans.push(Span::styled(" ", t.header));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(t.header), area);
}

fn draw_tabs(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let mut spans = Vec::new();
    for v in View::ALL {
        let label = format!(
            " {} {} ",
            keymap::key(Scope::Global, v.show_action()),
            v.title(&app.ctx.tr)
        );
        let style = if v == app.view { t.tab_active } else { t.tab };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    // Support tools (tab bar): no separator after the last tab, and the hint shortens
    // (then goes) before it would be cut, so `? help  : command` fits at 80 columns.
    spans.pop();
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let help = keymap::key(Scope::Global, Action::Help);
    let tr = &app.ctx.tr;
    let hints = [
        format!(
            " {help} {}  {} {} ",
            tr!(tr, "console-hint-help"),
            keymap::key(Scope::Global, Action::CommandLine),
            tr!(tr, "console-hint-command")
        ),
        format!(" {help} {} ", tr!(tr, "console-hint-help")),
    ];
    if let Some(hint) = hints
        .into_iter()
        .find(|h| used + widgets::width(h) <= area.width as usize)
    {
        let hint_w = widgets::width(&hint);
        spans.push(Span::raw(" ".repeat(area.width as usize - used - hint_w)));
        spans.push(Span::styled(hint, t.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let loading = app.component(app.view).busy();
    let mut spans = Vec::new();
    if loading {
        spans.push(Span::styled(
            format!(
                "{} {} ",
                widgets::spinner(app.spinner),
                tr!(app.ctx.tr, "console-loading")
            ),
            t.warn,
        ));
    }
    if let Some(s) = &app.status {
        let style = match s.kind {
            StatusKind::Info => t.value,
            StatusKind::Ok => t.ok,
            StatusKind::Error => t.error,
        };
        let room = (area.width as usize).saturating_sub(if loading { 12 } else { 0 });
        // (Status texts are worded by whoever set them, in this console's language.)
        spans.push(Span::styled(truncate_to(&s.text, room), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    if let Some(Overlay::Help(_)) = &app.overlay {
        let line = widgets::keys_line(
            t,
            &[
                (
                    Help::scroll_keys(),
                    format!(" {}  ", tr!(app.ctx.tr, "console-footer-scroll")),
                ),
                (
                    tr!(app.ctx.tr, "console-footer-any-key"),
                    format!(" {}", tr!(app.ctx.tr, "console-footer-close")),
                ),
            ],
        );
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let mut spans = Vec::new();
    let mut used = 0usize;
    for (key, label, action) in keymap::footer(app.scope()) {
        let label = app.ctx.tr.message(label);
        let label = match app.mark(action) {
            Some(_) => format!("{label}{}", keymap::REFUSED_MARK),
            None => label,
        };
        // Cells, not chars: Chinese labels are twice as wide as they are long.
        let w = widgets::width(&key) + widgets::width(&label) + 3;
        if used + w > area.width as usize {
            continue;
        }
        used += w;
        spans.push(Span::styled(format!(" {key}"), t.key));
        spans.push(Span::styled(format!(" {label} "), t.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

impl App {
    /// What the draw functions need besides the state they draw.
    pub fn paint(&self) -> Paint<'_> {
        Paint {
            theme: &self.ctx.theme,
            tr: &self.ctx.tr,
            now: self.now,
            spinner: self.spinner,
        }
    }
}
