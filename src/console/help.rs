//! The `?` help screen: every key of the key table, this view's first, with what this operator
//! may not do marked; then the commands.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph};

use super::action::Action;
use super::keymap::{self, Scope};
use super::widgets::{self, Paint};
use crate::tr;

/// What a key did to the help screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Open,
    Closed,
    Quit,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Help {
    pub scroll: u16,
}

impl Help {
    /// j/k and the page keys scroll, Ctrl-C quits, any other key closes.
    pub fn handle(&mut self, ev: &KeyEvent) -> Outcome {
        match keymap::lookup(Scope::Global, ev) {
            Some(Action::Down) => self.scroll = self.scroll.saturating_add(1),
            Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Action::PageDown) => self.scroll = self.scroll.saturating_add(10),
            Some(Action::PageUp) => self.scroll = self.scroll.saturating_sub(10),
            // q closes help only; Ctrl-C still quits.
            Some(Action::Quit) if !ev.modifiers.is_empty() => return Outcome::Quit,
            _ => return Outcome::Closed,
        }
        Outcome::Open
    }

    /// `j/k`: the scroll keys.
    pub fn scroll_keys() -> String {
        format!(
            "{}/{}",
            keymap::key(Scope::Global, Action::Down),
            keymap::key(Scope::Global, Action::Up)
        )
    }

    /// Draws over `area`; `current` is listed first, and `mark` says what this operator may
    /// not do ("refused: read-only").
    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        paint: &Paint,
        current: Scope,
        mark: impl Fn(Action) -> Option<String>,
    ) {
        let t = paint.theme;
        let tr = paint.tr;
        let popup = widgets::centered(area, 84, area.height.saturating_sub(4).max(10));
        frame.render_widget(Clear, popup);
        let mut lines: Vec<Line> = Vec::new();
        let order = [
            current,
            Scope::Global,
            Scope::Dialog,
            Scope::Prompt,
            Scope::Sessions,
            Scope::Bindings,
            Scope::Exchange,
            Scope::Audit,
            // Overview (fleet at a glance).
            Scope::Overview,
        ];
        let mut done = Vec::new();
        for scope in order {
            if done.contains(&scope) {
                continue;
            }
            done.push(scope);
            lines.push(Line::from(Span::styled(scope.title(tr), t.title)));
            for b in keymap::bindings_in(scope) {
                let help = match mark(b.action) {
                    Some(m) => format!("{} ({m})", tr.message(b.help)),
                    None => tr.message(b.help),
                };
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("  {}", widgets::pad_to(&keymap::keys_label(b), 16)),
                        t.key,
                    ),
                    Span::raw(help),
                ]));
            }
            lines.push(Line::raw(""));
        }
        lines.push(Line::from(Span::styled(
            tr!(tr, "console-help-commands"),
            t.title,
        )));
        let colon = keymap::key(Scope::Global, Action::CommandLine);
        // The commands and their filter words are typed as they are, in every language; only
        // the placeholders and the explanations are words.
        for (c, what) in [
            (
                tr!(tr, "console-help-cmd-sessions"),
                "username=alice account=42 appid=wx… openid=… unionid=… ip=… id=ses_… all"
                    .to_owned(),
            ),
            (
                tr!(tr, "console-help-cmd-bindings"),
                tr!(tr, "console-help-cmd-bindings-what"),
            ),
            (
                tr!(tr, "console-help-cmd-audit"),
                "operator=… action=… target=…".to_owned(),
            ),
            // Export.
            (
                tr!(tr, "console-help-cmd-export"),
                tr!(tr, "console-help-cmd-export-what"),
            ),
            ("exchange  {}help  {}q".to_owned(), String::new()),
        ] {
            let c = format!("{colon}{}", c.replace("{}", &colon));
            lines.push(Line::from(vec![
                Span::styled(format!("  {}", widgets::pad_to(&c, 22)), t.key),
                Span::raw(what),
            ]));
        }
        let lines = widgets::hang_at(lines, popup.width.saturating_sub(4), 18);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(t.border)
            .padding(Padding::horizontal(1))
            .title(Span::styled(
                format!(" {} ", tr!(tr, "console-help-title")),
                t.title,
            ))
            .title(
                Line::from(Span::styled(
                    format!(
                        " {} ",
                        tr!(tr, "console-help-scroll", keys = Self::scroll_keys())
                    ),
                    t.muted,
                ))
                .right_aligned(),
            );
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .scroll((self.scroll, 0))
                .style(t.dialog),
            popup,
        );
    }
}
