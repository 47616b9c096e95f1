//! Drawing and formatting helpers every component shares: text made safe for the terminal,
//! times, `label: value` lines, bordered blocks, and the tables and detail panes of the lists.
//! Nothing here knows a view or the app.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Cell, Padding, Paragraph, Row, Table, Wrap};

use super::theme::Theme;
use super::window::visible_offset;
use crate::i18n::Tr;
use crate::sanitize::{for_terminal, for_terminal_truncated};
use crate::store::Ts;
use crate::tr;

/// Terminals at least this wide get the full columns and side-by-side detail panes.
pub const WIDE: u16 = 150;

/// What every draw function needs besides the state it draws.
#[derive(Clone, Copy)]
pub struct Paint<'a> {
    pub theme: &'a Theme,
    /// The console's language.
    pub tr: &'a crate::i18n::Tr,
    /// "Now" for relative times and session states.
    pub now: Ts,
    /// Advances on each tick: the loading spinner.
    pub spinner: usize,
}

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

/// Terminal cells `text` takes (a Chinese character takes two; everything the console measures
/// for columns, padding and cutting goes through this, never through a count of chars).
pub fn width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

fn char_width(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// The longest head of `text` that fits in `max` cells (never half a wide character).
fn head_within(text: &str, max: usize) -> &str {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += char_width(c);
        if used > max {
            return &text[..i];
        }
    }
    text
}

/// The longest tail of `text` that fits in `max` cells (never half a wide character).
fn tail_within(text: &str, max: usize) -> &str {
    let mut used = 0;
    for (i, c) in text.char_indices().rev() {
        used += char_width(c);
        if used > max {
            return &text[i + c.len_utf8()..];
        }
    }
    text
}

/// `text` padded with spaces to `w` cells (left-aligned; `{:<w$}` counts chars, not cells).
pub fn pad_to(text: &str, w: usize) -> String {
    format!("{text}{}", " ".repeat(w.saturating_sub(width(text))))
}

/// `text` padded with spaces on the left to `w` cells (right-aligned).
pub fn pad_left_to(text: &str, w: usize) -> String {
    format!("{}{text}", " ".repeat(w.saturating_sub(width(text))))
}

/// Cuts to `max` cells with `…`.
pub fn truncate_to(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut s = head_within(text, max - 1).to_owned();
    s.push('…');
    s
}

/// Keeps the end of `text` (where the cursor is) within `max` cells.
pub fn truncate_tail(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_owned();
    }
    let mut s = String::from("…");
    s.push_str(tail_within(text, max.saturating_sub(1)));
    s
}

/// `sqlite:///very/long/pa…/wxlogin.db`: keeps both ends.
pub fn middle_truncate(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_owned();
    }
    if max < 5 {
        return truncate_to(text, max);
    }
    let head = (max - 1) / 2;
    let tail = max - 1 - head;
    let mut s = head_within(text, head).to_owned();
    s.push('…');
    s.push_str(tail_within(text, tail));
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

fn span_text(tr: &Tr, secs: i64) -> String {
    let s = secs.abs();
    if s < 60 {
        tr!(tr, "console-span-seconds", n = s.to_string())
    } else if s < 3600 {
        tr!(tr, "console-span-minutes", n = (s / 60).to_string())
    } else if s < 86_400 {
        tr!(tr, "console-span-hours", n = (s / 3600).to_string())
    } else {
        tr!(tr, "console-span-days", n = (s / 86_400).to_string())
    }
}

/// `3m ago`, `in 6d` (`3 分钟前`, `6 天后`).
pub fn relative(tr: &Tr, now: Ts, ts: Ts) -> String {
    let d = secs_between(now.0, ts.0);
    let span = span_text(tr, d);
    if d >= 0 {
        tr!(tr, "console-time-in", span = span)
    } else {
        tr!(tr, "console-time-ago", span = span)
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
        Span::styled(
            format!("{}  ", pad_left_to(label, LABEL_W - 2)),
            theme.label,
        ),
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
        let is_field = line.spans.len() == 2 && self::width(&line.spans[0].content) == label_w;
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
fn wrap_words(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let wlen = width(word);
        let clen = width(&cur);
        if clen > 0 && clen + 1 + wlen <= max {
            cur.push(' ');
            cur.push_str(word);
            continue;
        }
        if clen > 0 {
            out.push(std::mem::take(&mut cur));
        }
        // A word longer than a line (or Chinese text, which has no spaces) breaks where the
        // line is full, never inside a wide character.
        let mut rest = word;
        while width(rest) > max {
            let head = head_within(rest, max.max(2));
            out.push(head.to_owned());
            rest = &rest[head.len()..];
        }
        cur = rest.to_owned();
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

/// A table column: header (a catalogue id), width, and how important it is (0 = always shown).
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

/// `12,345`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `session` / `sessions`: English only, for the account history's labels (`event_detail`),
/// which move out of the console with their translation (issue 23's shared module).
pub fn sessions_word(n: u64) -> &'static str {
    if n == 1 { "session" } else { "sessions" }
}

/// `1 session`, `2,500 sessions`, `3 个会话`.
pub fn n_sessions(tr: &Tr, n: u64) -> String {
    tr!(tr, "console-n-sessions", count = n, n = thousands(n))
}

/// `2026-11-21 23:04:12Z (3m ago)`.
pub fn when(tr: &Tr, now: Ts, ts: Ts) -> String {
    format!("{} ({})", full_datetime(ts), relative(tr, now, ts))
}

/// A list with an optional detail pane: side by side on wide terminals, the detail alone on
/// narrow ones.
pub fn list_and_detail(
    frame: &mut Frame,
    area: Rect,
    show_detail: bool,
    table: impl FnOnce(&mut Frame, Rect),
    detail: impl FnOnce(&mut Frame, Rect),
) {
    if show_detail && area.width < WIDE {
        detail(frame, area);
        return;
    }
    let table_area = if show_detail {
        let [left, right] =
            Layout::horizontal([Constraint::Fill(3), Constraint::Length(64)]).areas(area);
        detail(frame, right);
        left
    } else {
        area
    };
    table(frame, table_area);
}

/// A detail pane: `label: value` lines in a titled block, long values wrapped under
/// themselves.
pub fn detail_pane(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    title: &str,
    lines: Vec<Line<'static>>,
) {
    let block = view_block(
        theme,
        Line::from(Span::styled(format!(" {title} "), theme.title)),
        None,
    );
    let lines = hang(lines, area.width.saturating_sub(4));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// The message of an empty list, half way down its box.
pub fn empty_list(frame: &mut Frame, inner: Rect, theme: &Theme, msg: &str) {
    let y = inner.y + inner.height / 2;
    frame.render_widget(
        empty_message(theme, msg).wrap(Wrap { trim: true }),
        Rect {
            y,
            height: inner.height.saturating_sub(inner.height / 2),
            ..inner
        },
    );
}

/// A table of `rows` in `area` (header included) with the columns that fit, the selected row
/// kept in view: `field` of each column says what the row shows in it, `cell` renders it,
/// `style` styles the whole row.
#[allow(clippy::too_many_arguments)]
pub fn table<'r, R: 'r, F: Copy>(
    paint: &Paint,
    area: Rect,
    cols: &[(Col, F)],
    rows: impl IntoIterator<Item = &'r R>,
    selected: usize,
    offset: usize,
    style: impl Fn(usize, &R) -> Style,
    cell: impl Fn(&R, F, u16) -> Cell<'static>,
) -> Table<'static> {
    let theme = paint.theme;
    let plain: Vec<Col> = cols.iter().map(|(c, _)| *c).collect();
    let chosen = fit_columns(&plain, area.width);
    let widths = constraints(&chosen);
    let header = Row::new(chosen.iter().map(|&(i, _)| {
        // A title is a catalogue id (`console-col-…`) or a sign drawn as it is (`!`, none).
        let title = plain[i].title;
        let title = if title.starts_with("console-") {
            paint.tr.message(title)
        } else {
            title.to_owned()
        };
        Cell::from(Span::styled(title, theme.column))
    }));
    let height = area.height.saturating_sub(1) as usize;
    let offset = visible_offset(offset, selected, height);
    let body: Vec<Row> = rows
        .into_iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, r)| {
            Row::new(chosen.iter().map(|&(c, w)| cell(r, cols[c].1, w))).style(style(i, r))
        })
        .collect();
    Table::new(body, widths).header(header).column_spacing(1)
}

/// A column of [`table`].
pub const fn col(title: &'static str, width: u16, priority: u8) -> Col {
    Col {
        title,
        width,
        priority,
        fill: false,
    }
}

/// A column of [`table`] that takes the width left over.
pub const fn fill_col(title: &'static str, width: u16, priority: u8) -> Col {
    Col {
        title,
        width,
        priority,
        fill: true,
    }
}

/// `d revoke  A all of account`: keys (from the key table) and what they do.
pub fn keys_line(theme: &Theme, keys: &[(String, String)]) -> Line<'static> {
    Line::from(
        keys.iter()
            .flat_map(|(k, what)| {
                [
                    Span::styled(k.clone(), theme.key),
                    Span::styled(what.clone(), theme.muted),
                ]
            })
            .collect::<Vec<_>>(),
    )
}
