//! The one-line prompt on the status line, vim style: the `:` command line, the `/` filters and
//! the masked inputs. A view opens one (an [`super::effect::Effect::Prompt`]); the text comes
//! back to that view when accepted.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::action::Action;
use super::input::TextInput;
use super::keymap::{self, Scope};
use super::theme::Theme;

/// What a prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// `:` command line (the app's own).
    Command,
    /// `/` filter of the current view.
    Filter,
    /// A pasted SessionId (masked; hashed, then wiped).
    Token,
    /// A pasted login code (masked).
    Code,
    /// Which emulator test user to mint a code for.
    MintUser,
    /// A new account password (masked; asked twice, wiped after use).
    NewPassword,
}

#[derive(Debug)]
pub struct Prompt {
    pub kind: PromptKind,
    /// Shown before the input.
    pub label: String,
    pub input: TextInput,
    /// Replaces the footer while the prompt is open.
    pub hint: Option<String>,
}

/// What a key did to a prompt.
pub enum Outcome {
    Editing,
    Accepted,
    Cancelled,
}

impl Prompt {
    pub fn new(kind: PromptKind, label: impl Into<String>, input: TextInput) -> Self {
        Prompt {
            kind,
            label: label.into(),
            input,
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: String) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn handle(&mut self, ev: &KeyEvent) -> Outcome {
        match keymap::lookup(Scope::Prompt, ev) {
            Some(Action::Confirm) => Outcome::Accepted,
            Some(Action::Cancel) => {
                self.input.clear();
                Outcome::Cancelled
            }
            _ => {
                self.input.handle(ev);
                Outcome::Editing
            }
        }
    }

    /// Draws over the status line (and the footer, when there is a hint).
    pub fn draw(
        &self,
        frame: &mut Frame,
        status: Rect,
        footer: Rect,
        theme: &Theme,
        tr: &crate::i18n::Tr,
    ) {
        let shown = self.input.display(tr);
        let value_style = if self.input.is_suggestion() {
            theme.selected
        } else {
            Style::default()
        };
        let mut spans = vec![
            Span::styled(self.label.clone(), theme.key),
            Span::styled(shown, value_style),
        ];
        if let Some(note) = self.input.refused_note(tr) {
            spans.push(Span::styled(format!("  {note}"), theme.error));
        }
        let line = Line::from(spans);
        frame.render_widget(Clear, status);
        frame.render_widget(Paragraph::new(line), status);
        let x =
            status.x + (super::widgets::width(&self.label) + self.input.display_cursor()) as u16;
        frame.set_cursor_position((x.min(status.right().saturating_sub(1)), status.y));
        if let Some(hint) = &self.hint {
            frame.render_widget(Paragraph::new(hint.as_str()).style(theme.muted), footer);
        }
    }
}
