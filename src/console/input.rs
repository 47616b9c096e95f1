//! A one-line text input (command line, filters, reasons) that can be masked (SessionIds, login
//! codes): a masked input never shows its characters, and its memory is wiped when it is
//! cleared or dropped.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use zeroize::Zeroize;

/// Longest accepted input: bounds memory whatever is pasted.
const MAX_CHARS: usize = 4096;

#[derive(Default)]
pub struct TextInput {
    value: String,
    /// Cursor position in characters.
    cursor: usize,
    masked: bool,
    /// A prefilled suggestion, shown selected: the first typed character or deletion replaces
    /// it whole, a movement key keeps it for editing.
    suggested: bool,
    /// What the last refused character was (bidi, invisible, a noncharacter…), shown beside
    /// the input until the next accepted key.
    refused: Option<String>,
}

impl std::fmt::Debug for TextInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.masked {
            write!(f, "TextInput([masked], {} chars)", self.len())
        } else {
            write!(f, "TextInput({:?})", self.value)
        }
    }
}

impl Drop for TextInput {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl TextInput {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_value(value: impl Into<String>) -> Self {
        let value: String = value.into();
        let cursor = value.chars().count();
        TextInput {
            value,
            cursor,
            masked: false,
            suggested: false,
            refused: None,
        }
    }

    /// Prefilled with a suggestion that typing replaces (as a selected field in a form).
    pub fn suggested(value: impl Into<String>) -> Self {
        let mut t = Self::with_value(value);
        t.suggested = !t.value.is_empty();
        t
    }

    /// "not typed: a bidirectional control character (U+202E)" after a refused character,
    /// until the next accepted one.
    pub fn refused_note(&self, tr: &crate::i18n::Tr) -> Option<String> {
        self.refused
            .as_ref()
            .map(|why| crate::tr!(tr, "console-not-typed", why = why.as_str()))
    }

    /// True while the prefilled suggestion is untouched (drawn selected).
    pub fn is_suggestion(&self) -> bool {
        self.suggested
    }

    pub fn masked() -> Self {
        TextInput {
            value: String::new(),
            cursor: 0,
            masked: true,
            suggested: false,
            refused: None,
        }
    }

    pub fn is_masked(&self) -> bool {
        self.masked
    }

    /// The text (not for display when masked: use [`TextInput::display`]).
    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn len(&self) -> usize {
        self.value.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// What the screen shows: the text, or one `•` per character (at most 24) and the length.
    pub fn display(&self, tr: &crate::i18n::Tr) -> String {
        if !self.masked {
            return crate::sanitize::for_terminal(&self.value).into_owned();
        }
        let n = self.len();
        if n == 0 {
            String::new()
        } else {
            format!(
                "{} ({})",
                "•".repeat(n.min(24)),
                crate::tr!(tr, "console-n-chars", count = n)
            )
        }
    }

    /// Where the terminal cursor goes, in columns from the start of [`TextInput::display`].
    pub fn display_cursor(&self) -> usize {
        if self.masked {
            self.len().min(24)
        } else {
            self.value
                .chars()
                .take(self.cursor)
                .map(display_width)
                .sum()
        }
    }

    /// Wipes the text from memory.
    pub fn clear(&mut self) {
        self.value.zeroize();
        self.value = String::new();
        self.cursor = 0;
    }

    /// Lends the text to `f`, then wipes it.
    pub fn consume<R>(&mut self, f: impl FnOnce(&str) -> R) -> R {
        let r = f(&self.value);
        self.clear();
        r
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.value
            .char_indices()
            .nth(char_idx)
            .map(|(i, _)| i)
            .unwrap_or(self.value.len())
    }

    pub fn insert_str(&mut self, text: &str) {
        for c in text.chars() {
            if c == '\n' || c == '\r' {
                continue;
            }
            self.insert(c);
        }
    }

    pub fn insert(&mut self, c: char) {
        if self.len() >= MAX_CHARS || c.is_control() {
            return;
        }
        // The same rule as every other face (src/text.rs): a reason, a filter or a name may
        // not hold bidi controls, invisible characters or noncharacters; a masked input (a
        // SessionId, a code, a password) only refuses what no secret may hold.
        let kind = if self.masked {
            crate::text::TextKind::Secret
        } else {
            crate::text::TextKind::Prose
        };
        if let Some(why) = crate::text::refused_char(kind, c) {
            self.refused = Some(why);
            return;
        }
        self.refused = None;
        let at = self.byte_at(self.cursor);
        self.value.insert(at, c);
        self.cursor += 1;
    }

    /// Applies an editing key. Returns false for keys that are not editing keys.
    pub fn handle(&mut self, ev: &KeyEvent) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        if std::mem::take(&mut self.suggested)
            && matches!(
                ev.code,
                KeyCode::Char(_) | KeyCode::Backspace | KeyCode::Delete
            )
            && !ctrl
        {
            self.clear();
            if !matches!(ev.code, KeyCode::Char(_)) {
                return true;
            }
        }
        match ev.code {
            KeyCode::Char('u') if ctrl => self.clear(),
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.len(),
            KeyCode::Char('w') if ctrl => {
                let end = self.cursor;
                let chars: Vec<char> = self.value.chars().collect();
                let mut start = end;
                while start > 0 && chars[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && chars[start - 1] != ' ' {
                    start -= 1;
                }
                let (a, b) = (self.byte_at(start), self.byte_at(end));
                self.value.replace_range(a..b, "");
                self.cursor = start;
            }
            KeyCode::Char(c) if !ctrl => self.insert(c),
            KeyCode::Backspace => {
                if self.cursor > 0 {
                    self.cursor -= 1;
                    let at = self.byte_at(self.cursor);
                    self.value.remove(at);
                }
            }
            KeyCode::Delete => {
                if self.cursor < self.len() {
                    let at = self.byte_at(self.cursor);
                    self.value.remove(at);
                }
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.len(),
            _ => return false,
        }
        true
    }
}

fn display_width(c: char) -> usize {
    // Wide (CJK) characters take two cells; good enough without a width table for input text.
    if ('\u{1100}'..='\u{115F}').contains(&c)
        || ('\u{2E80}'..='\u{A4CF}').contains(&c)
        || ('\u{AC00}'..='\u{D7A3}').contains(&c)
        || ('\u{F900}'..='\u{FAFF}').contains(&c)
        || ('\u{FF00}'..='\u{FF60}').contains(&c)
    {
        2
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn a_suggestion_is_replaced_by_typing_and_kept_by_moving() {
        let mut t = TextInput::suggested("alice");
        assert!(t.is_suggestion());
        t.handle(&key(KeyCode::Char('b')));
        t.handle(&key(KeyCode::Char('o')));
        assert_eq!(t.value(), "bo");
        assert!(!t.is_suggestion());

        let mut t = TextInput::suggested("alice");
        t.handle(&key(KeyCode::Backspace));
        assert_eq!(t.value(), "");

        let mut t = TextInput::suggested("alice");
        t.handle(&key(KeyCode::End));
        t.handle(&key(KeyCode::Char('2')));
        assert_eq!(t.value(), "alice2");
    }

    #[test]
    fn editing_keys_work() {
        let mut t = TextInput::new();
        t.insert_str("helo world");
        t.handle(&key(KeyCode::Home));
        for _ in 0..3 {
            t.handle(&key(KeyCode::Right));
        }
        t.handle(&key(KeyCode::Char('l')));
        assert_eq!(t.value(), "hello world");
        t.handle(&key(KeyCode::End));
        t.handle(&KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(t.value(), "hello ");
        t.handle(&key(KeyCode::Backspace));
        assert_eq!(t.value(), "hello");
    }

    #[test]
    fn masked_input_never_displays_its_text_and_is_wiped_after_use() {
        let mut t = TextInput::masked();
        t.insert_str("Bearer s3cr3t-token\n");
        assert!(!t.display(&crate::i18n::Tr::default()).contains("s3cr3t"));
        assert!(!format!("{t:?}").contains("s3cr3t"));
        assert_eq!(
            t.display(&crate::i18n::Tr::default()),
            format!("{} (19 chars)", "•".repeat(19))
        );
        let n = t.consume(|v| v.len());
        assert_eq!(n, 19);
        assert!(t.is_empty());
    }
}
