//! Text from the database, from WeChat or from a client (a user agent can carry escape
//! sequences) is made harmless before it reaches a terminal.
//!
//! Control characters (C0, DEL, C1) are replaced by a visible escape such as `\x1b`, so an
//! operator sees that something odd was there without the terminal acting on it. Bidi
//! overrides and marks (including the Arabic letter mark U+061C), which can reorder what a line
//! appears to say, are escaped too, and so are characters that hide or break a line without
//! showing: the line and paragraph separators U+2028/U+2029, zero-width characters
//! (U+200B–U+200D, U+2060), the byte-order mark U+FEFF and the invisible tag characters
//! U+E0000–U+E007F (which can smuggle text past a reader).

use std::borrow::Cow;

fn is_dangerous(c: char) -> bool {
    // The same bidi, separator, zero-width and tag characters that incoming text may not hold.
    c.is_control() || crate::text::is_invisible_or_bidi(c)
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
    fn the_arabic_letter_mark_is_escaped() {
        assert_eq!(for_terminal("a\u{061C}b"), "a\\u{061c}b");
    }

    #[test]
    fn line_and_paragraph_separators_are_escaped() {
        assert_eq!(for_terminal("a\u{2028}b\u{2029}c"), "a\\u{2028}b\\u{2029}c");
    }

    #[test]
    fn zero_width_characters_are_escaped() {
        assert_eq!(
            for_terminal("o\u{200B}p\u{200C}e\u{200D}n\u{2060}id"),
            "o\\u{200b}p\\u{200c}e\\u{200d}n\\u{2060}id"
        );
    }

    #[test]
    fn the_byte_order_mark_is_escaped() {
        assert_eq!(for_terminal("\u{FEFF}alice"), "\\u{feff}alice");
    }

    #[test]
    fn tag_characters_are_escaped() {
        // "ok" followed by the tag spelling of "hi" and a cancel tag.
        assert_eq!(
            for_terminal("ok\u{E0068}\u{E0069}\u{E007F}"),
            "ok\\u{e0068}\\u{e0069}\\u{e007f}"
        );
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(for_terminal_truncated("abcdef", 4), "abc…");
        assert_eq!(for_terminal_truncated("abc", 4), "abc");
    }
}
