//! Drawing. Every function here reads the [`App`] and writes to the frame, nothing else, so a
//! `TestBackend` snapshot shows exactly what an operator sees.
//!
//! Layout, top to bottom: header (database, backend, operator, READ-ONLY), view tabs,
//! optional "database unreachable" banner, the view, status line, footer (keys of this view).

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Padding, Paragraph, Wrap};

use super::app::{App, Overlay, PromptKind, StatusKind, View};
use super::confirm::{Count, Phase, thousands};
use super::keymap::{self, Scope};
use super::theme::Theme;
use super::views;
use crate::sanitize::{for_terminal, for_terminal_truncated};
use crate::store::Ts;

/// Terminals at least this wide get the full columns and side-by-side detail panes.
pub const WIDE: u16 = 150;

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let theme = &app.ctx.theme;
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
    if let Some(why) = &app.db_down {
        let _ = why; // the error itself is on the status line
        let text = " DATABASE UNREACHABLE: reconnecting every 2 s; showing the last data loaded ";
        frame.render_widget(
            Paragraph::new(truncate_to(text, banner_area.width as usize)).style(theme.banner),
            banner_area,
        );
    }
    match app.view {
        View::Sessions => views::sessions::draw(frame, body, app),
        View::Bindings => views::bindings::draw(frame, body, app),
        View::Exchange => views::exchange::draw(frame, body, app),
        View::Audit => views::audit::draw(frame, body, app),
    }
    draw_status(frame, status, app);
    draw_footer(frame, footer, app);
    match &app.overlay {
        Some(Overlay::Help { scroll }) => draw_help(frame, area, app, *scroll),
        Some(Overlay::Confirm(c)) => draw_confirm(frame, area, app, c),
        Some(Overlay::Prompt(p)) => {
            // The prompt takes the status line, vim style.
            let label = p.kind.label(app.view);
            let shown = p.input.display();
            let value_style = if p.input.is_suggestion() {
                theme.selected
            } else {
                Style::default()
            };
            let line = Line::from(vec![
                Span::styled(label, theme.key),
                Span::styled(shown.clone(), value_style),
            ]);
            frame.render_widget(Clear, status);
            frame.render_widget(Paragraph::new(line), status);
            let x = status.x + (label.chars().count() + p.input.display_cursor()) as u16;
            frame.set_cursor_position((x.min(status.right().saturating_sub(1)), status.y));
            if p.kind == PromptKind::Token {
                frame.render_widget(
                    Paragraph::new(
                        "paste the SessionId; Enter hashes it and searches, Esc cancels",
                    )
                    .style(theme.muted),
                    footer,
                );
            }
        }
        None => {}
    }
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let width = area.width as usize;
    let operator = for_terminal(&app.ctx.actor.operator).into_owned();
    let origin = app
        .ctx
        .actor
        .origin
        .as_deref()
        .map(|o| format!("@{}", for_terminal(o)))
        .unwrap_or_default();
    let badge = if app.ctx.read_only { " READ-ONLY " } else { "" };
    let title = " wxlogin ";
    let backend = format!(" {} ", app.ctx.store.backend());
    let fixed = title.len() + backend.chars().count() + badge.len() + 2;
    // The origin goes first when space is short; the operator and the database never do.
    let who_room = width.saturating_sub(fixed + 24);
    let who = if operator.chars().count() + origin.chars().count() + 2 <= who_room {
        format!(" {operator}{origin} ")
    } else {
        format!(
            " {} ",
            truncate_to(&operator, who_room.saturating_sub(2).max(8))
        )
    };
    let room = width.saturating_sub(fixed + who.chars().count());
    let url = middle_truncate(&for_terminal(&app.ctx.db_label), room);
    let pad = room.saturating_sub(url.chars().count());
    let mut spans = vec![
        Span::styled(title, t.header_key),
        Span::styled(backend, t.header),
        Span::styled(url, t.header),
        Span::styled(" ".repeat(pad + 1), t.header),
        Span::styled(who, t.header_key),
    ];
    if app.ctx.read_only {
        spans.push(Span::styled(badge, t.badge));
    }
    spans.push(Span::styled(" ", t.header));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(t.header), area);
}

fn draw_tabs(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let mut spans = Vec::new();
    for (i, v) in View::ALL.iter().enumerate() {
        let label = format!(" {} {} ", i + 1, v.title());
        let style = if *v == app.view { t.tab_active } else { t.tab };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let hint = " ? help  : command ";
    if (area.width as usize) >= used + hint.len() {
        spans.push(Span::raw(
            " ".repeat(area.width as usize - used - hint.len()),
        ));
        spans.push(Span::styled(hint, t.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let loading = match app.view {
        View::Sessions => app.sessions.window.is_loading(),
        View::Audit => app.audit.window.is_loading(),
        View::Bindings => app.bindings.loading || app.bindings.account_loading,
        View::Exchange => app.exchange.busy(),
    };
    let mut spans = Vec::new();
    if loading {
        spans.push(Span::styled(
            format!("{} loading… ", spinner(app.spinner)),
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
        spans.push(Span::styled(truncate_to(&s.text, room), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let scope = match &app.overlay {
        Some(Overlay::Help { .. }) => {
            let line = Line::from(vec![
                Span::styled("j/k", t.key),
                Span::styled(" scroll  ", t.muted),
                Span::styled("any key", t.key),
                Span::styled(" close", t.muted),
            ]);
            frame.render_widget(Paragraph::new(line), area);
            return;
        }
        _ => app.scope(),
    };
    let mut spans = Vec::new();
    let mut used = 0usize;
    for (key, label) in keymap::footer(scope) {
        let w = key.chars().count() + label.chars().count() + 3;
        if used + w > area.width as usize {
            continue;
        }
        used += w;
        spans.push(Span::styled(format!(" {key}"), t.key));
        spans.push(Span::styled(format!(" {label} "), t.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_help(frame: &mut Frame, area: Rect, app: &App, scroll: u16) {
    let t = &app.ctx.theme;
    let popup = centered(area, 84, area.height.saturating_sub(4).max(10));
    frame.render_widget(Clear, popup);
    let mut lines: Vec<Line> = Vec::new();
    let order = [
        app.view.scope(),
        Scope::Global,
        Scope::Dialog,
        Scope::Prompt,
        Scope::Sessions,
        Scope::Bindings,
        Scope::Exchange,
        Scope::Audit,
    ];
    let mut done = Vec::new();
    for scope in order {
        if done.contains(&scope) {
            continue;
        }
        done.push(scope);
        lines.push(Line::from(Span::styled(scope.title(), t.title)));
        for b in keymap::bindings_in(scope) {
            let help = if b.action.is_mutating() && app.ctx.read_only {
                format!("{} (refused: read-only)", b.help)
            } else {
                b.help.to_owned()
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<16}", keymap::keys_label(b)), t.key),
                Span::raw(help),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::from(Span::styled("Commands", t.title)));
    for (c, what) in [
        (
            ":sessions [filters]",
            "account=alice account_id=42 appid=wx… openid=… unionid=… ip=… id=ses_… all",
        ),
        (
            ":bindings [query]",
            "openid=… [appid=…] | unionid=… | username=… | account_id=42 | a bare word",
        ),
        (":audit [filters]", "operator=… action=… target=…"),
        (":exchange  :help  :q", ""),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!("  {c:<22}"), t.key),
            Span::raw(what),
        ]));
    }
    let lines = hang_at(lines, popup.width.saturating_sub(4), 18);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(t.border)
        .padding(Padding::horizontal(1))
        .title(Span::styled(" Keys ", t.title))
        .title(Line::from(Span::styled(" j/k scroll · any key closes ", t.muted)).right_aligned());
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll, 0))
            .style(t.dialog),
        popup,
    );
}

fn draw_confirm(frame: &mut Frame, area: Rect, app: &App, c: &super::confirm::Confirm) {
    let t = &app.ctx.theme;
    let width = area.width.saturating_sub(4).min(72);
    let inner_w = width.saturating_sub(4) as usize;
    let mut lines: Vec<Line> = Vec::new();
    for (k, v) in &c.subject {
        lines.push(field(t, k, v.clone(), None));
    }
    lines.push(Line::raw(""));
    let headline_style = match c.count {
        Count::Failed(_) => t.error,
        _ => t.warn,
    };
    lines.push(Line::from(Span::styled(c.headline(), headline_style)));
    lines.push(Line::raw(""));
    match &c.phase {
        Phase::Editing => {
            let shown = truncate_tail(&c.reason.display(), inner_w.saturating_sub(9));
            lines.push(Line::from(vec![
                Span::styled("Reason: ", t.label),
                Span::styled(shown, t.value),
            ]));
            lines.push(Line::raw(""));
            match &c.error {
                Some(e) => lines.push(Line::from(Span::styled(e.clone(), t.error))),
                None => lines.push(Line::from(Span::styled(
                    "The reason and your operator name go into the audit log.",
                    t.muted,
                ))),
            }
            lines.push(Line::from(vec![
                Span::styled("Enter", t.key),
                Span::raw(" confirm   "),
                Span::styled("Esc", t.key),
                Span::raw(" cancel"),
            ]));
        }
        Phase::Running {
            progress,
            cancelling,
            ..
        } => {
            let text = match progress {
                Some(p) => {
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
                None => format!("{} working…", spinner(app.spinner)),
            };
            lines.push(Line::from(Span::styled(text, t.value)));
            lines.push(Line::raw(""));
            lines.push(Line::from(Span::styled(
                if *cancelling {
                    "stopping after the current batch…"
                } else if matches!(c.op, super::confirm::Operation::RevokeMatching { .. }) {
                    "Esc stops after the current batch (finished batches stay revoked)"
                } else {
                    "one transaction: all or nothing"
                },
                t.muted,
            )));
        }
    }
    let lines = hang(lines, width.saturating_sub(4));
    let reason_idx = lines
        .iter()
        .position(|l| l.spans.first().is_some_and(|s| s.content == "Reason: "));
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(t.error)
        .padding(Padding::horizontal(1))
        .title(Span::styled(format!(" {} ", c.title), t.error));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .style(t.dialog),
        popup,
    );
    if let (Phase::Editing, Some(idx)) = (&c.phase, reason_idx) {
        // Cursor at the end of the reason.
        let reason_row = popup.y + 1 + idx as u16;
        let x = popup.x + 3 + 8 + c.reason.display_cursor().min(inner_w.saturating_sub(10)) as u16;
        if reason_row < popup.bottom() {
            frame.set_cursor_position((x.min(popup.right().saturating_sub(2)), reason_row));
        }
    }
}

// ---- helpers shared by the views -----------------------------------------------------------

/// The bordered box a view draws in.
pub fn view_block<'a>(theme: &Theme, title: Line<'a>, right: Option<Line<'a>>) -> Block<'a> {
    let mut b = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.border)
        .padding(Padding::horizontal(1))
        .title(title);
    if let Some(r) = right {
        b = b.title(r.right_aligned());
    }
    b
}

pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

pub fn spinner(n: usize) -> char {
    const FRAMES: [char; 8] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧'];
    FRAMES[n % FRAMES.len()]
}

/// Cuts to `max` characters with `…`.
pub fn truncate_to(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut s: String = text.chars().take(max - 1).collect();
    s.push('…');
    s
}

/// Keeps the end of `text` (where the cursor is) within `max` characters.
fn truncate_tail(text: &str, max: usize) -> String {
    let n = text.chars().count();
    if n <= max {
        return text.to_owned();
    }
    let mut s = String::from("…");
    s.extend(text.chars().skip(n - max + 1));
    s
}

/// `sqlite:///very/long/pa…/wxlogin.db`: keeps both ends.
pub fn middle_truncate(text: &str, max: usize) -> String {
    let n = text.chars().count();
    if n <= max {
        return text.to_owned();
    }
    if max < 5 {
        return truncate_to(text, max);
    }
    let head = (max - 1) / 2;
    let tail = max - 1 - head;
    let mut s: String = text.chars().take(head).collect();
    s.push('…');
    s.extend(text.chars().skip(n - tail));
    s
}

/// Database or WeChat text, made safe and cut to `max` characters.
pub fn clean(text: &str, max: usize) -> String {
    for_terminal_truncated(text, max)
}

pub fn clean_opt(text: &Option<String>, max: usize) -> String {
    text.as_deref()
        .map(|t| clean(t, max))
        .unwrap_or_else(|| "-".into())
}

/// `2026-11-21 23:04` (UTC).
pub fn datetime(ts: Ts) -> String {
    ts.0.format("%Y-%m-%d %H:%M").to_string()
}

/// `11-21 23:04` (UTC).
pub fn short_datetime(ts: Ts) -> String {
    ts.0.format("%m-%d %H:%M").to_string()
}

/// `2026-11-21 23:04:12Z`.
pub fn full_datetime(ts: Ts) -> String {
    ts.0.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

fn span_text(secs: i64) -> String {
    let s = secs.abs();
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86_400 {
        format!("{}h", s / 3600)
    } else {
        format!("{}d", s / 86_400)
    }
}

/// `3m ago`, `in 6d`.
pub fn relative(now: Ts, ts: Ts) -> String {
    let d = secs_between(now.0, ts.0);
    if d >= 0 {
        format!("in {}", span_text(d))
    } else {
        format!("{} ago", span_text(d))
    }
}

fn secs_between(now: DateTime<Utc>, ts: DateTime<Utc>) -> i64 {
    (ts - now).num_seconds()
}

/// `o6_bmjrPTlm6_2sgVt7hMZOPfL2M` → `o6_bmj…fL2M` when `max` is short.
pub fn shorten_id(text: &str, max: usize) -> String {
    let clean = for_terminal(text);
    let n = clean.chars().count();
    if n <= max || max < 6 {
        return truncate_to(&clean, max);
    }
    let tail = 4.min(max / 3);
    let head = max - 1 - tail;
    let mut s: String = clean.chars().take(head).collect();
    s.push('…');
    s.extend(clean.chars().skip(n - tail));
    s
}

/// Width of the label column of detail panes (label and two spaces).
pub const LABEL_W: usize = 14;

/// A `label: value` line for detail panes.
pub fn field<'a>(
    theme: &Theme,
    label: &str,
    value: impl Into<String>,
    style: Option<Style>,
) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:>w$}  ", w = LABEL_W - 2), theme.label),
        Span::styled(value.into(), style.unwrap_or(theme.value)),
    ])
}

/// Wraps the value of `label: value` lines (see [`field`]) that are wider than `width` onto
/// continuation lines indented under the value; other lines are left as they are.
pub fn hang(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    hang_at(lines, width, LABEL_W)
}

/// [`hang`] for two-span lines whose first span is `label_w` characters wide.
pub fn hang_at(lines: Vec<Line<'static>>, width: u16, label_w: usize) -> Vec<Line<'static>> {
    let width = width as usize;
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let is_field = line.spans.len() == 2 && line.spans[0].content.chars().count() == label_w;
        if !is_field || line.width() <= width || width <= label_w + 8 {
            out.push(line);
            continue;
        }
        let label = line.spans[0].clone();
        let value = line.spans[1].clone();
        let chunks = wrap_words(&value.content, width - label_w);
        for (i, chunk) in chunks.into_iter().enumerate() {
            let head = if i == 0 {
                label.clone()
            } else {
                Span::raw(" ".repeat(label_w))
            };
            out.push(Line::from(vec![head, Span::styled(chunk, value.style)]));
        }
    }
    out
}

/// Splits `text` into pieces of at most `width` characters, at spaces where possible.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let wlen = word.chars().count();
        let clen = cur.chars().count();
        if clen > 0 && clen + 1 + wlen <= width {
            cur.push(' ');
            cur.push_str(word);
            continue;
        }
        if clen > 0 {
            out.push(std::mem::take(&mut cur));
        }
        let mut rest: Vec<char> = word.chars().collect();
        while rest.len() > width {
            out.push(rest.drain(..width).collect());
        }
        cur = rest.into_iter().collect();
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

/// A table column: header, width, and how important it is (0 = always shown).
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub title: &'static str,
    pub width: u16,
    pub priority: u8,
    /// Takes the remaining width (at least `width`).
    pub fill: bool,
}

/// The columns that fit in `width` (most important first), in their original order, each
/// with its final width: a `fill` column takes what is left over.
pub fn fit_columns(cols: &[Col], width: u16) -> Vec<(usize, u16)> {
    let mut order: Vec<usize> = (0..cols.len()).collect();
    order.sort_by_key(|&i| (cols[i].priority, i));
    let mut chosen = Vec::new();
    let mut used: u16 = 0;
    for i in order {
        let w = cols[i].width + u16::from(!chosen.is_empty());
        if used + w <= width {
            used += w;
            chosen.push(i);
        }
    }
    chosen.sort();
    let spare = width - used;
    chosen
        .into_iter()
        .map(|i| {
            let w = if cols[i].fill {
                cols[i].width + spare
            } else {
                cols[i].width
            };
            (i, w)
        })
        .collect()
}

/// Fixed widths for a table laid out by [`fit_columns`].
pub fn constraints(chosen: &[(usize, u16)]) -> Vec<Constraint> {
    chosen.iter().map(|&(_, w)| Constraint::Length(w)).collect()
}

/// The centred message a list shows when it has no rows.
pub fn empty_message<'a>(theme: &Theme, text: &str) -> Paragraph<'a> {
    Paragraph::new(Line::from(Span::styled(text.to_owned(), theme.muted)))
        .alignment(ratatui::layout::Alignment::Center)
}

/// The "n/total" position text of a list.
pub fn position_text(pos: Option<(u64, Option<u64>)>, loading: bool) -> String {
    match pos {
        Some((i, Some(t))) => format!(" {}/{} ", thousands(i), thousands(t)),
        Some((i, None)) => format!(" {}/… ", thousands(i)),
        None if loading => " … ".into(),
        None => " 0 ".into(),
    }
}
