//! Bytes from an SSH channel → the console's input events.
//!
//! A small decoder for what terminals send for the keys the console uses: printable UTF-8,
//! Enter/Tab/Backspace, Ctrl+letter, arrows, Home/End, PgUp/PgDn, Insert/Delete, F1–F4,
//! Shift+Tab, Alt+key (ESC prefix), Esc alone (decided by the caller's short timeout, see
//! [`Decoder::flush_escape`]) and bracketed paste. Anything it does not know is dropped, never
//! passed on as text: a burst of random bytes yields at most some odd keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::console::event::Event;

/// A paste larger than this is cut (a SessionId or a code is a few dozen bytes).
pub const MAX_PASTE: usize = 64 * 1024;
/// An escape sequence longer than this is garbage and dropped.
const MAX_SEQUENCE: usize = 32;

const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";

/// Incremental decoder: feed it bytes as they arrive; it keeps an incomplete sequence for the
/// next call.
#[derive(Debug, Default)]
pub struct Decoder {
    pending: Vec<u8>,
    paste: Option<Vec<u8>>,
}

fn key(code: KeyCode, mods: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, mods))
}

enum Step {
    /// `n` bytes consumed, maybe an event.
    Done(usize, Option<Event>),
    /// Not enough bytes yet.
    More,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Is a lone ESC waiting to be told apart from the start of a sequence?
    pub fn escape_pending(&self) -> bool {
        self.paste.is_none() && self.pending.first() == Some(&0x1b)
    }

    /// Called when no byte followed a pending ESC within the timeout: it was the Esc key.
    pub fn flush_escape(&mut self) -> Vec<Event> {
        if !self.escape_pending() {
            return Vec::new();
        }
        let rest = self.pending.split_off(1);
        self.pending.clear();
        let mut out = vec![key(KeyCode::Esc, KeyModifiers::NONE)];
        out.extend(self.feed(&rest));
        out
    }

    /// Decodes what it can of `bytes` (plus what was pending).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut out = Vec::new();
        self.pending.extend_from_slice(bytes);
        let mut buf = std::mem::take(&mut self.pending);
        let mut i = 0;
        while i < buf.len() {
            if let Some(paste) = self.paste.as_mut() {
                let rest = &buf[i..];
                match find(rest, PASTE_END) {
                    Some(end) => {
                        if paste.len() < MAX_PASTE {
                            let take = end.min(MAX_PASTE - paste.len());
                            paste.extend_from_slice(&rest[..take]);
                        }
                        let text = String::from_utf8_lossy(paste).into_owned();
                        self.paste = None;
                        out.push(Event::Paste(text));
                        i += end + PASTE_END.len();
                    }
                    None => {
                        // Keep a possible partial end marker for the next call.
                        let keep = partial_suffix(rest, PASTE_END);
                        let body = &rest[..rest.len() - keep];
                        if paste.len() < MAX_PASTE {
                            let take = body.len().min(MAX_PASTE - paste.len());
                            paste.extend_from_slice(&body[..take]);
                        }
                        i = buf.len() - keep;
                        break;
                    }
                }
                continue;
            }
            match step(&buf[i..]) {
                Step::Done(n, ev) => {
                    if buf[i..].starts_with(PASTE_START) {
                        self.paste = Some(Vec::new());
                    }
                    if let Some(ev) = ev {
                        out.push(ev);
                    }
                    i += n;
                }
                Step::More => break,
            }
        }
        buf.drain(..i);
        self.pending = buf;
        out
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// How many bytes at the end of `hay` are a proper prefix of `marker`.
fn partial_suffix(hay: &[u8], marker: &[u8]) -> usize {
    (1..marker.len())
        .rev()
        .find(|&n| hay.len() >= n && hay[hay.len() - n..] == marker[..n])
        .unwrap_or(0)
}

fn step(b: &[u8]) -> Step {
    let c = b[0];
    match c {
        0x1b => escape(b),
        b'\r' | b'\n' => Step::Done(1, Some(key(KeyCode::Enter, KeyModifiers::NONE))),
        b'\t' => Step::Done(1, Some(key(KeyCode::Tab, KeyModifiers::NONE))),
        0x7f | 0x08 => Step::Done(1, Some(key(KeyCode::Backspace, KeyModifiers::NONE))),
        0x00 => Step::Done(1, Some(key(KeyCode::Char(' '), KeyModifiers::CONTROL))),
        0x01..=0x1a => Step::Done(
            1,
            Some(key(
                KeyCode::Char((b'a' + c - 1) as char),
                KeyModifiers::CONTROL,
            )),
        ),
        0x1c..=0x1f => Step::Done(1, None),
        0x20..=0x7e => Step::Done(1, Some(key(KeyCode::Char(c as char), KeyModifiers::NONE))),
        _ => utf8(b),
    }
}

fn utf8(b: &[u8]) -> Step {
    let len = match b[0] {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return Step::Done(1, None),
    };
    if b.len() < len {
        // A continuation byte that is not one makes it garbage now, not later.
        if b[1..].iter().any(|&x| x & 0xc0 != 0x80) {
            return Step::Done(1, None);
        }
        return Step::More;
    }
    match std::str::from_utf8(&b[..len]) {
        Ok(s) => {
            let ch = s.chars().next().unwrap_or('\u{fffd}');
            Step::Done(len, Some(key(KeyCode::Char(ch), KeyModifiers::NONE)))
        }
        Err(_) => Step::Done(1, None),
    }
}

fn escape(b: &[u8]) -> Step {
    if b.len() == 1 {
        return Step::More;
    }
    match b[1] {
        b'[' => csi(b),
        b'O' => {
            if b.len() < 3 {
                return Step::More;
            }
            let code = match b[2] {
                b'A' => Some(KeyCode::Up),
                b'B' => Some(KeyCode::Down),
                b'C' => Some(KeyCode::Right),
                b'D' => Some(KeyCode::Left),
                b'H' => Some(KeyCode::Home),
                b'F' => Some(KeyCode::End),
                b'P' => Some(KeyCode::F(1)),
                b'Q' => Some(KeyCode::F(2)),
                b'R' => Some(KeyCode::F(3)),
                b'S' => Some(KeyCode::F(4)),
                _ => None,
            };
            Step::Done(3, code.map(|c| key(c, KeyModifiers::NONE)))
        }
        0x1b => Step::Done(1, Some(key(KeyCode::Esc, KeyModifiers::NONE))),
        _ => {
            // ESC + key: Alt+key.
            match step(&b[1..]) {
                Step::Done(n, Some(Event::Key(mut k))) => {
                    k.modifiers |= KeyModifiers::ALT;
                    Step::Done(n + 1, Some(Event::Key(k)))
                }
                Step::Done(n, other) => Step::Done(n + 1, other),
                Step::More => Step::More,
            }
        }
    }
}

fn csi(b: &[u8]) -> Step {
    // ESC [ params… final, final in 0x40..=0x7e.
    let Some(end) = b[2..].iter().position(|&x| (0x40..=0x7e).contains(&x)) else {
        if b.len() > MAX_SEQUENCE || b[2..].iter().any(|&x| !(0x20..=0x3f).contains(&x)) {
            return Step::Done(2, None);
        }
        return Step::More;
    };
    let fin = b[2 + end];
    let params = &b[2..2 + end];
    if params.iter().any(|&x| !(0x20..=0x3f).contains(&x)) {
        return Step::Done(2 + end + 1, None);
    }
    let n = 2 + end + 1;
    let text = std::str::from_utf8(params).unwrap_or("");
    let mut fields = text.split(';');
    let first = fields.next().unwrap_or("");
    let mods = fields
        .next()
        .and_then(|m| m.parse::<u8>().ok())
        .map(modifiers)
        .unwrap_or(KeyModifiers::NONE);
    let code = match fin {
        b'A' => Some(KeyCode::Up),
        b'B' => Some(KeyCode::Down),
        b'C' => Some(KeyCode::Right),
        b'D' => Some(KeyCode::Left),
        b'H' => Some(KeyCode::Home),
        b'F' => Some(KeyCode::End),
        b'Z' => return Step::Done(n, Some(key(KeyCode::BackTab, KeyModifiers::SHIFT))),
        b'~' => match first {
            "1" | "7" => Some(KeyCode::Home),
            "2" => Some(KeyCode::Insert),
            "3" => Some(KeyCode::Delete),
            "4" | "8" => Some(KeyCode::End),
            "5" => Some(KeyCode::PageUp),
            "6" => Some(KeyCode::PageDown),
            "11" => Some(KeyCode::F(1)),
            "12" => Some(KeyCode::F(2)),
            "13" => Some(KeyCode::F(3)),
            "14" => Some(KeyCode::F(4)),
            "15" => Some(KeyCode::F(5)),
            // The paste markers are handled by the caller.
            _ => None,
        },
        _ => None,
    };
    Step::Done(n, code.map(|c| key(c, mods)))
}

/// xterm's modifier parameter: 1 + (shift 1, alt 2, ctrl 4).
fn modifiers(p: u8) -> KeyModifiers {
    let bits = p.saturating_sub(1);
    let mut m = KeyModifiers::NONE;
    if bits & 1 != 0 {
        m |= KeyModifiers::SHIFT;
    }
    if bits & 2 != 0 {
        m |= KeyModifiers::ALT;
    }
    if bits & 4 != 0 {
        m |= KeyModifiers::CONTROL;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(bytes: &[u8]) -> Vec<Event> {
        Decoder::new().feed(bytes)
    }

    fn k(code: KeyCode) -> Event {
        key(code, KeyModifiers::NONE)
    }

    #[test]
    fn arrows_home_end_and_pages_in_both_encodings() {
        assert_eq!(
            keys(b"\x1b[A\x1bOB\x1b[C\x1b[D\x1b[H\x1b[4~\x1b[5~\x1b[6~\x1b[3~"),
            vec![
                k(KeyCode::Up),
                k(KeyCode::Down),
                k(KeyCode::Right),
                k(KeyCode::Left),
                k(KeyCode::Home),
                k(KeyCode::End),
                k(KeyCode::PageUp),
                k(KeyCode::PageDown),
                k(KeyCode::Delete),
            ]
        );
        assert_eq!(
            keys(b"\x1b[1;5C"),
            vec![key(KeyCode::Right, KeyModifiers::CONTROL)]
        );
    }

    #[test]
    fn control_keys_enter_tab_backspace_and_text() {
        assert_eq!(
            keys(b"\x03\r\t\x7fq"),
            vec![
                key(KeyCode::Char('c'), KeyModifiers::CONTROL),
                k(KeyCode::Enter),
                k(KeyCode::Tab),
                k(KeyCode::Backspace),
                k(KeyCode::Char('q')),
            ]
        );
    }

    #[test]
    fn utf8_split_across_reads_is_one_character() {
        let mut d = Decoder::new();
        let bytes = "张".as_bytes();
        assert!(d.feed(&bytes[..1]).is_empty());
        assert_eq!(d.feed(&bytes[1..]), vec![k(KeyCode::Char('张'))]);
    }

    #[test]
    fn lone_escape_waits_for_the_timeout_and_a_sequence_does_not() {
        let mut d = Decoder::new();
        assert!(d.feed(b"\x1b").is_empty());
        assert!(d.escape_pending());
        assert_eq!(d.flush_escape(), vec![k(KeyCode::Esc)]);
        assert!(!d.escape_pending());
        // The same ESC followed by `[A` in the next read is an arrow.
        assert!(d.feed(b"\x1b").is_empty());
        assert_eq!(d.feed(b"[A"), vec![k(KeyCode::Up)]);
        assert_eq!(
            keys(b"\x1bx"),
            vec![key(KeyCode::Char('x'), KeyModifiers::ALT)]
        );
    }

    #[test]
    fn bracketed_paste_is_one_event_even_across_reads() {
        let mut d = Decoder::new();
        assert!(d.feed(b"\x1b[200~abc\x1b[2").is_empty());
        assert_eq!(
            d.feed(b"01~q"),
            vec![Event::Paste("abc".into()), k(KeyCode::Char('q'))]
        );
        // Control bytes inside a paste are text, not keys.
        assert_eq!(
            keys(b"\x1b[200~a\x03b\x1b[201~"),
            vec![Event::Paste("a\u{3}b".into())]
        );
    }

    #[test]
    fn random_bytes_never_panic_and_never_keep_growing() {
        let mut d = Decoder::new();
        let mut x: u32 = 0x1234_5678;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let b = [x as u8, (x >> 8) as u8, (x >> 16) as u8];
            let _ = d.feed(&b);
            assert!(d.pending.len() <= MAX_SEQUENCE + 4);
            assert!(d.paste.as_ref().is_none_or(|p| p.len() <= MAX_PASTE));
        }
    }
}
