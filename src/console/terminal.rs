//! The local terminal adapter: raw mode and the alternate screen while the console runs,
//! restored on every way out (normal exit, error, panic, SIGTERM, SIGHUP, SIGINT); crossterm's
//! events as the console's input; crossterm as its backend. The only place the console uses
//! crossterm to read input or a size.

use std::io::{self, Write};
use std::sync::Once;

use crossterm::event::{
    DisableBracketedPaste, EnableBracketedPaste, Event as TermEvent, EventStream, KeyEventKind,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{SignalKind, signal};

use super::app::App;
use super::driver::{self, Exit};
use super::event::Event;

/// Puts the terminal back as it was. Safe to call more than once, and when the terminal has
/// gone away (SIGHUP): errors are ignored, there is nobody left to tell.
pub fn restore() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
}

/// Restores the terminal when dropped (normal exit, `?` on an error, unwinding).
pub struct TerminalGuard(());

impl TerminalGuard {
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        let guard = TerminalGuard(());
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableBracketedPaste,
            cursor::Hide
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// A panic restores the terminal before the message is printed, so the message is readable
/// and the shell is usable.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// The local terminal's size now.
pub fn size() -> io::Result<(u16, u16)> {
    crossterm::terminal::size()
}

/// The console's input from crossterm: key presses (not releases), pastes, resizes.
fn input(ev: io::Result<TermEvent>) -> Option<io::Result<Event>> {
    match ev {
        Ok(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => Some(Ok(Event::Key(k))),
        Ok(TermEvent::Paste(text)) => Some(Ok(Event::Paste(text))),
        Ok(TermEvent::Resize(cols, rows)) => Some(Ok(Event::Resize(cols, rows))),
        Ok(_) => None,
        Err(e) => Some(Err(e)),
    }
}

/// Runs the console on this terminal until the user quits or a signal arrives.
pub async fn run(mut app: App) -> io::Result<Exit> {
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let _guard = TerminalGuard::enter()?;
    let (cols, rows) = size()?;
    app.resize(cols, rows);
    let mut terminal = driver::terminal(CrosstermBackend::new(io::stdout()), (cols, rows))?;
    terminal.clear()?;
    let events = EventStream::new().filter_map(|ev| std::future::ready(input(ev)));
    tokio::select! {
        exit = driver::drive(&mut app, &mut terminal, events) => exit,
        _ = sigterm.recv() => Ok(Exit::Signal("SIGTERM")),
        _ = sighup.recv() => Ok(Exit::Signal("SIGHUP")),
        _ = sigint.recv() => Ok(Exit::Signal("SIGINT")),
    }
}
