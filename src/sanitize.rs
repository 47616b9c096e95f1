//! Text from the database, from WeChat or from a client (a user agent can carry escape
//! sequences) is made harmless before it reaches a terminal.
//!
//! Control characters (C0, DEL, C1) are replaced by a visible escape such as `\x1b`, so an
//! operator sees that something odd was there without the terminal acting on it. Bidi
//! overrides, which can reorder what a line appears to say, are escaped too.

use std::borrow::Cow;

fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Returns `text` with every control character shown as a `\xNN` or `\u{NNNN}` escape.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_dangerous) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_dangerous(c) {
            let v = c as u32;
            if v <= 0xff {
                out.push_str(&format!("\\x{v:02x}"));
            } else {
                out.push_str(&format!("\\u{{{v:04x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Sanitises and cuts to at most `max` characters, marking a cut with `…`.
pub fn for_terminal_truncated(text: &str, max: usize) -> String {
    let clean = for_terminal(text);
    if clean.chars().count() <= max {
        return clean.into_owned();
    }
    let mut s: String = clean.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_executed() {
        let hostile = "Mozilla\x1b]0;pwned\x07\x1b[2J\r\nx";
        let clean = for_terminal(hostile);
        assert!(!clean.contains('\x1b'));
        assert!(!clean.contains('\x07'));
        assert!(!clean.contains('\n'));
        assert_eq!(clean, "Mozilla\\x1b]0;pwned\\x07\\x1b[2J\\x0d\\x0ax");
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(for_terminal("Mozilla/5.0 微信"), Cow::Borrowed(_)));
    }

    #[test]
    fn bidi_overrides_and_c1_controls_are_escaped() {
        assert_eq!(for_terminal("a\u{202E}b\u{9b}c"), "a\\u{202e}b\\x9bc");
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(for_terminal_truncated("abcdef", 4), "abc…");
        assert_eq!(for_terminal_truncated("abc", 4), "abc");
    }
}
