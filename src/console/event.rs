//! What a console reads: key presses, pastes and size changes, from whatever carries them (the
//! local terminal through crossterm in [`super::terminal`], a test's script, later an SSH
//! channel). The console itself never asks a terminal for input or for its size.

use crossterm::event::KeyEvent;

/// One input event. Key events use crossterm's key vocabulary (a plain data type), but nothing
/// outside the local-terminal adapter reads them from crossterm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Key(KeyEvent),
    /// Bracketed paste (wiped once handled).
    Paste(String),
    /// The terminal now has this many columns and rows.
    Resize(u16, u16),
}
