//! Runs one console: reads its input events, applies its background results, ticks its clock,
//! and draws it whenever something changed, on the backend it is given. Where the events come
//! from and where the frames go is the adapter's business: the local terminal
//! ([`super::terminal`]), a test's script, later an SSH channel. Nothing here asks a terminal
//! for its size or its input.

use std::io;
use std::time::Duration;

use futures::{FutureExt, Stream, StreamExt};
use ratatui::backend::{Backend, CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

use super::app::App;
use super::event::Event;
use super::ui;

/// How often the clock, the spinner and the live refresh are looked at.
pub const TICK: Duration = Duration::from_millis(250);

/// Input events already waiting are handled together before one draw: at most this many...
pub const DRAIN_MAX_EVENTS: usize = 256;
/// ...or for at most this long, so a burst of input costs one frame per batch, not one per byte,
/// and the screen still moves during a long paste.
pub const DRAIN_MAX_TIME: Duration = Duration::from_millis(10);

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Quit,
    Signal(&'static str),
    InputClosed,
}

/// A backend whose size the console is told (by [`Event::Resize`]) instead of asking.
pub trait SizedBackend: Backend {
    fn set_size(&mut self, cols: u16, rows: u16);
    /// Writes bytes meant for the operator's terminal itself (OSC 52 copy) to this backend's
    /// output, after the frame. A backend that draws nowhere drops them.
    fn emit(&mut self, _bytes: &[u8]) -> io::Result<()> {
        Ok(())
    }
}

/// The local terminal knows its own size.
impl<W: io::Write> SizedBackend for CrosstermBackend<W> {
    fn set_size(&mut self, _cols: u16, _rows: u16) {}
    fn emit(&mut self, bytes: &[u8]) -> io::Result<()> {
        io::Write::write_all(self, bytes)?;
        io::Write::flush(self)
    }
}

impl SizedBackend for TestBackend {
    fn set_size(&mut self, cols: u16, rows: u16) {
        self.resize(cols, rows);
    }
}

/// A terminal drawing the whole of a `cols`×`rows` screen on `backend`.
pub fn terminal<B: Backend>(backend: B, (cols, rows): (u16, u16)) -> Result<Terminal<B>, B::Error> {
    Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, cols, rows)),
        },
    )
}

/// Runs `app` until it quits or `events` ends.
pub async fn drive<B, S>(
    app: &mut App,
    terminal: &mut Terminal<B>,
    mut events: S,
) -> io::Result<Exit>
where
    B: SizedBackend,
    B::Error: Send + Sync + 'static,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    // Each console ticks at its own phase: consoles started together (a door's operators
    // after a restart, a benchmark's clients) would otherwise all redraw at the same instant
    // every tick, and a key arriving then waits behind all those frames.
    let phase = TICK.mul_f64(rand::random::<f64>());
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + phase, TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut input_closed = false;
    loop {
        if dirty {
            terminal
                .draw(|f| ui::draw(f, app))
                .map_err(io::Error::other)?;
            dirty = false;
            let raw = app.take_output();
            if !raw.is_empty() {
                terminal.backend_mut().emit(&raw)?;
            }
        }
        if app.quit {
            return Ok(Exit::Quit);
        }
        if input_closed {
            return Ok(Exit::InputClosed);
        }
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    apply_event(app, terminal, ev)?;
                    dirty = true;
                    // Whatever else is already waiting goes into the same frame.
                    let start = std::time::Instant::now();
                    let mut handled = 1;
                    while !app.quit
                        && handled < DRAIN_MAX_EVENTS
                        && start.elapsed() < DRAIN_MAX_TIME
                    {
                        match events.next().now_or_never() {
                            Some(Some(Ok(ev))) => apply_event(app, terminal, ev)?,
                            Some(Some(Err(e))) => return Err(e),
                            // Drawn first: the input's last events show before the end.
                            Some(None) => {
                                input_closed = true;
                                break;
                            }
                            None => break,
                        }
                        handled += 1;
                    }
                }
                Some(Err(e)) => return Err(e),
                None => return Ok(Exit::InputClosed),
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
        }
    }
}

/// One input event: a key or paste for the console, or a new size for it and its terminal.
fn apply_event<B>(app: &mut App, terminal: &mut Terminal<B>, ev: Event) -> io::Result<()>
where
    B: SizedBackend,
    B::Error: Send + Sync + 'static,
{
    match ev {
        Event::Resize(cols, rows) => {
            app.resize(cols, rows);
            terminal.backend_mut().set_size(cols, rows);
            terminal
                .resize(Rect::new(0, 0, cols, rows))
                .map_err(io::Error::other)
        }
        ev => {
            app.handle(ev);
            Ok(())
        }
    }
}
