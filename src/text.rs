//! Text that arrives from outside (HTTP bodies and headers, command-line words, stdin, the
//! console's text inputs, the SSH door's exec words, the operators file) is checked here, once,
//! at the edge, before it reaches the store or a WeChat request.
//!
//! [`crate::sanitize`] makes text harmless on its way *out* to a terminal; this module refuses
//! text on its way *in* that no backend can store (PostgreSQL refuses U+0000 in `text`) or that
//! has no business in a username, a code, a reason or a filter: control characters, bidi
//! overrides that reorder what a reader sees, invisible characters that make two names look the
//! same, and Unicode noncharacters. A refusal names the field and the first offending
//! character, so the caller can answer 400 / exit 2 with a message a person can act on.

use std::fmt;

/// What kind of text a field holds; decides which characters it may contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    /// A name a person chose and others read: usernames, operator names, labels. No control
    /// characters, no bidi controls, no invisible characters.
    Name,
    /// Free text a person typed: a reason, a note. As [`TextKind::Name`]; a tab is allowed.
    Prose,
    /// A machine token: a `wx.login` code, an openid, an appid, a public id, a filter value.
    /// Printable ASCII only, no spaces.
    Token,
    /// A secret (a password, a SessionId read from stdin): anything but NUL and control
    /// characters, since a password may legitimately hold any printable character.
    Secret,
}

/// Why a piece of text was refused. Its `Display` names the field and the character (as a
/// code point, never the secret itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadText {
    /// The field as the caller names it to the user (`username`, `--reason`, `code`).
    pub field: String,
    /// The first refused character.
    pub found: char,
    /// Its position, in characters from the start.
    pub at: usize,
}

impl fmt::Display for BadText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} contains {} (U+{:04X}) at character {}; remove it and try again",
            self.field,
            describe(self.found),
            self.found as u32,
            self.at + 1,
        )
    }
}

impl std::error::Error for BadText {}

fn describe(c: char) -> &'static str {
    match c {
        '\0' => "a NUL character",
        c if c.is_control() => "a control character",
        '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{061C}' => "a bidirectional control character",
        c if is_invisible_or_bidi(c) => "an invisible or separator character",
        c if is_noncharacter(c) => "a Unicode noncharacter",
        ' ' => "a space",
        c if !c.is_ascii() => "a non-ASCII character",
        _ => "a character not allowed here",
    }
}

fn is_noncharacter(c: char) -> bool {
    let v = c as u32;
    (0xFDD0..=0xFDEF).contains(&v) || (v & 0xFFFE) == 0xFFFE
}

/// Bidi embeddings, overrides, isolates and marks (U+061C too), the line and paragraph
/// separators, zero-width characters, the byte-order mark and the tag characters: text that
/// reorders, hides or breaks what a reader sees. [`crate::sanitize`] escapes the same set.
pub(crate) fn is_invisible_or_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{061C}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'
            | '\u{FEFF}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

fn allowed(kind: TextKind, c: char) -> bool {
    if c == '\0' || is_noncharacter(c) {
        return false;
    }
    match kind {
        TextKind::Token => c.is_ascii_graphic(),
        TextKind::Secret => !c.is_control(),
        TextKind::Name => !c.is_control() && !is_invisible_or_bidi(c),
        TextKind::Prose => (c == '\t' || !c.is_control()) && !is_invisible_or_bidi(c),
    }
}

/// Why `c` may not be part of text of this kind, as "a control character (U+001B)", or `None`
/// when it may: for inputs that refuse one character at a time (the console's text boxes).
pub fn refused_char(kind: TextKind, c: char) -> Option<String> {
    (!allowed(kind, c)).then(|| format!("{} (U+{:04X})", describe(c), c as u32))
}

/// Checks `value` for field `field`; the first refused character is the error.
pub fn check(field: &str, value: &str, kind: TextKind) -> Result<(), BadText> {
    match value.chars().enumerate().find(|&(_, c)| !allowed(kind, c)) {
        None => Ok(()),
        Some((at, found)) => Err(BadText {
            field: field.to_owned(),
            found,
            at,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_refused_in_every_kind_and_named() {
        for kind in [
            TextKind::Name,
            TextKind::Prose,
            TextKind::Token,
            TextKind::Secret,
        ] {
            let err = check("username", "ab\0c", kind).unwrap_err();
            assert_eq!(err.found, '\0');
            assert_eq!(err.at, 2);
            assert_eq!(
                err.to_string(),
                "username contains a NUL character (U+0000) at character 3; remove it and try again"
            );
        }
    }

    #[test]
    fn chinese_names_and_prose_pass() {
        assert!(check("username", "张三丰", TextKind::Name).is_ok());
        assert!(check("reason", "用户要求解绑\t工单 #42", TextKind::Prose).is_ok());
    }

    #[test]
    fn bidi_and_invisible_characters_are_refused_in_names() {
        assert!(check("username", "admin\u{202E}nimda", TextKind::Name).is_err());
        assert!(check("username", "ad\u{200B}min", TextKind::Name).is_err());
        assert!(check("reason", "line\nbreak", TextKind::Prose).is_err());
    }

    #[test]
    fn tokens_are_printable_ascii_without_spaces() {
        assert!(check("code", "081aBc-_=", TextKind::Token).is_ok());
        assert!(check("code", "08 1", TextKind::Token).is_err());
        assert!(check("code", "码", TextKind::Token).is_err());
    }

    #[test]
    fn secrets_keep_any_printable_character_but_no_controls() {
        assert!(check("password", "p@ss wörd 密码!", TextKind::Secret).is_ok());
        assert!(check("password", "p\x1bss", TextKind::Secret).is_err());
        assert!(check("password", "p\u{FFFF}", TextKind::Secret).is_err());
    }

    #[test]
    fn the_message_never_repeats_the_value() {
        let err = check("password", "hunter2\u{1}", TextKind::Secret).unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }
}
