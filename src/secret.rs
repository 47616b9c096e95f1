//! Values that must never be printed: AppSecrets, session_keys, SessionIds, database passwords.
//!
//! [`Secret`] wraps a string whose `Debug` and `Display` print `[redacted]`. The only way to
//! read it is [`Secret::expose`], which makes every use greppable. Memory is zeroed on drop.

use std::fmt;
use zeroize::Zeroize;

#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself. Call sites are where a secret leaves its box: keep them few.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A hint safe to show an operator: the first and last two characters and the length,
    /// e.g. `Ab…yz (24 chars)`. Short values show nothing but their length.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Shows at most the first and last two characters of `value` and its length.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    if n < 12 {
        return format!("•••• ({n} chars)");
    }
    let head: String = chars[..2].iter().collect();
    let tail: String = chars[n - 2..].iter().collect();
    format!("{head}••••{tail} ({n} chars)")
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("hunter2-very-secret-value");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{s}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2-very-secret-value");
    }

    #[test]
    fn mask_keeps_only_the_ends_and_the_length() {
        assert_eq!(mask("abcdefghijklmnop"), "ab••••op (16 chars)");
        assert_eq!(mask("short"), "•••• (5 chars)");
    }
}
