//! The terminal: raw mode and the alternate screen while the console runs, restored on every
//! way out (normal exit, error, panic, SIGTERM, SIGHUP, SIGINT), and the event loop that
//! multiplexes terminal events, background results, a tick and signals.

use std::io::{self, Write};
use std::sync::Once;
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, EnableBracketedPaste, Event, EventStream, KeyEventKind,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{SignalKind, signal};

use super::app::App;
use super::ui;

/// How often the clock, the spinner and the live refresh are looked at.
const TICK: Duration = Duration::from_millis(250);

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

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Quit,
    Signal(&'static str),
    InputClosed,
}

/// Runs the console until the user quits or a signal arrives.
pub async fn run(mut app: App) -> io::Result<Exit> {
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let _guard = TerminalGuard::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    let size = terminal.size()?;
    app.resize(size.width, size.height);
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let exit = loop {
        if dirty {
            terminal.draw(|f| ui::draw(f, &app))?;
            dirty = false;
        }
        if app.quit {
            break Exit::Quit;
        }
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => {
                    app.handle_key(k);
                    dirty = true;
                }
                Some(Ok(Event::Paste(text))) => {
                    app.handle_paste(text);
                    dirty = true;
                }
                Some(Ok(Event::Resize(cols, rows))) => {
                    app.resize(cols, rows);
                    terminal.autoresize()?;
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => break Exit::InputClosed,
            },
            env = app.next_message() => {
                if let Some(env) = env {
                    app.receive(env);
                    dirty = true;
                }
            }
            _ = tick.tick() => {
                app.tick();
                dirty = true;
            }
            _ = sigterm.recv() => break Exit::Signal("SIGTERM"),
            _ = sighup.recv() => break Exit::Signal("SIGHUP"),
            _ = sigint.recv() => break Exit::Signal("SIGINT"),
        }
    };
    Ok(exit)
}
