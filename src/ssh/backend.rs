//! The console's frames → ANSI bytes on an SSH channel.
//!
//! [`ChannelBackend`] is a ratatui backend that renders with crossterm's escape sequences into
//! memory and hands each finished frame to an [`Outbox`]. A writer task drains the outbox onto
//! the channel as fast as the client reads. A client that does not read makes the outbox grow
//! only up to [`MAX_PENDING`]: past that, everything not yet sent is dropped and replaced by one
//! full redraw of the current screen (kept in a shadow buffer), so memory stays bounded and the
//! client's screen is right again as soon as it reads.
//!
//! Bytes meant for the operator's terminal itself rather than the screen (OSC 52 copy, see
//! [`crate::console::copy`]) go out after the frame they came with; they are never dropped by
//! coalescing, and only the latest waits for a client that is not reading (a clipboard holds
//! one thing: the last copy is the one that counts).

use std::io;
use std::sync::{Arc, Mutex};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Position, Rect, Size};
use tokio::sync::Notify;

use crate::console::driver::SizedBackend;

/// Bytes waiting for a slow client before frames are coalesced into one full redraw.
pub const MAX_PENDING: usize = 256 * 1024;

/// Frames waiting to go out on one channel.
#[derive(Default)]
pub struct Outbox {
    state: Mutex<OutState>,
    notify: Notify,
}

#[derive(Default)]
struct OutState {
    pending: Vec<u8>,
    /// Bytes for the terminal itself, sent after `pending`.
    control: Vec<u8>,
    closed: bool,
    coalesced: u64,
}

impl Outbox {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Queues raw bytes (messages outside frames).
    pub fn push(&self, bytes: &[u8]) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.pending.extend_from_slice(bytes);
        drop(s);
        self.notify.notify_one();
    }

    /// Queues a frame, or, when the client is too far behind, `full()` instead of everything.
    fn push_frame(&self, frame: Vec<u8>, full: impl FnOnce() -> Vec<u8>) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.pending.len() + frame.len() > MAX_PENDING {
            s.pending = full();
            s.coalesced += 1;
        } else {
            s.pending.extend_from_slice(&frame);
        }
        drop(s);
        self.notify.notify_one();
    }

    /// Queues bytes for the terminal itself (OSC 52), after the frames queued so far; replaces
    /// such bytes not sent yet.
    pub fn push_control(&self, bytes: &[u8]) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.control.clear();
        s.control.extend_from_slice(bytes);
        drop(s);
        self.notify.notify_one();
    }

    /// How many times frames were dropped for one full redraw.
    pub fn coalesced(&self) -> u64 {
        self.state.lock().map(|s| s.coalesced).unwrap_or(0)
    }

    /// No more frames: the writer sends what is left and stops.
    pub fn close(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.closed = true;
        drop(s);
        self.notify.notify_one();
    }

    /// The next bytes to send, `None` once closed and drained.
    pub async fn next(&self) -> Option<Vec<u8>> {
        loop {
            {
                let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
                if !s.pending.is_empty() || !s.control.is_empty() {
                    let mut out = std::mem::take(&mut s.pending);
                    out.append(&mut s.control);
                    return Some(out);
                }
                if s.closed {
                    return None;
                }
            }
            self.notify.notified().await;
        }
    }
}

/// Where crossterm writes a frame: memory, taken after each flush.
#[derive(Clone, Default)]
struct FrameBuf(Arc<Mutex<Vec<u8>>>);

impl io::Write for FrameBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl FrameBuf {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// A ratatui backend drawing to an [`Outbox`] at the size it is told.
pub struct ChannelBackend {
    inner: CrosstermBackend<FrameBuf>,
    frame: FrameBuf,
    shadow: Buffer,
    cursor: Position,
    cursor_visible: bool,
    out: Arc<Outbox>,
}

impl ChannelBackend {
    pub fn new(out: Arc<Outbox>, (cols, rows): (u16, u16)) -> Self {
        let frame = FrameBuf::default();
        ChannelBackend {
            inner: CrosstermBackend::new(frame.clone()),
            frame,
            shadow: Buffer::empty(Rect::new(0, 0, cols, rows)),
            cursor: Position::ORIGIN,
            cursor_visible: false,
            out,
        }
    }

    /// The whole current screen, from scratch.
    fn full_redraw(&self) -> Vec<u8> {
        let buf = FrameBuf::default();
        let mut b = CrosstermBackend::new(buf.clone());
        let area = self.shadow.area;
        let cells = (0..area.height)
            .flat_map(|y| (0..area.width).map(move |x| (x, y, &self.shadow[(x, y)])));
        let _ = b.clear();
        let _ = b.draw(cells);
        let _ = b.set_cursor_position(self.cursor);
        let _ = if self.cursor_visible {
            b.show_cursor()
        } else {
            b.hide_cursor()
        };
        let _ = Backend::flush(&mut b);
        buf.take()
    }
}

impl SizedBackend for ChannelBackend {
    fn set_size(&mut self, cols: u16, rows: u16) {
        self.shadow.resize(Rect::new(0, 0, cols, rows));
        self.shadow.reset();
    }

    /// OSC 52 copy: to the operator's terminal on this channel, after the frame.
    fn emit(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.push_control(bytes);
        Ok(())
    }
}

impl Backend for ChannelBackend {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let area = self.shadow.area;
        let shadow = &mut self.shadow;
        self.inner.draw(content.inspect(|&(x, y, cell)| {
            if x < area.width && y < area.height {
                shadow[(x, y)] = cell.clone();
            }
        }))
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.cursor_visible = false;
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.cursor_visible = true;
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.cursor = position.into();
        self.inner.set_cursor_position(self.cursor)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.shadow.reset();
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        if clear_type == ClearType::All {
            self.shadow.reset();
        }
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        Ok(self.shadow.area.as_size())
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.shadow.area.as_size(),
            pixels: Size::default(),
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)?;
        let frame = self.frame.take();
        self.out.push_frame(frame, || self.full_redraw());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::widgets::Paragraph;

    fn draw(term: &mut ratatui::Terminal<ChannelBackend>, text: &str) {
        term.draw(|f| f.render_widget(Paragraph::new(text.to_owned()), f.area()))
            .expect("draw");
    }

    #[test]
    fn a_copy_survives_coalescing_and_goes_out_after_the_frame() {
        let out = Outbox::new();
        let mut backend = ChannelBackend::new(out.clone(), (200, 60));
        SizedBackend::emit(&mut backend, b"\x1b]52;c;b2xk\x07").expect("emit");
        SizedBackend::emit(&mut backend, b"\x1b]52;c;bmV3\x07").expect("emit");
        let mut term = crate::console::driver::terminal(backend, (200, 60)).expect("terminal");
        for i in 0..2000 {
            draw(&mut term, &format!("frame {i} ").repeat(1000));
        }
        assert!(out.coalesced() > 0);
        let bytes = futures::executor::block_on(out.next()).expect("bytes");
        assert!(
            bytes.ends_with(b"\x1b]52;c;bmV3\x07"),
            "the latest copy, after the frames"
        );
        assert!(
            !bytes.windows(4).any(|w| w == b"b2xk"),
            "an older unsent copy is replaced"
        );
    }

    #[test]
    fn a_client_that_never_reads_gets_one_full_redraw_not_every_frame() {
        let out = Outbox::new();
        let backend = ChannelBackend::new(out.clone(), (200, 60));
        let mut term = crate::console::driver::terminal(backend, (200, 60)).expect("terminal");
        for i in 0..2000 {
            draw(&mut term, &format!("frame {i} ").repeat(1000));
        }
        let pending = out.state.lock().expect("lock").pending.len();
        assert!(pending <= MAX_PENDING, "pending {pending}");
        assert!(out.coalesced() > 0);
        // What is pending, replayed on an empty screen, is the last frame.
        let bytes = out.state.lock().expect("lock").pending.clone();
        let mut screen = vt100::Parser::new(60, 200, 0);
        screen.process(&bytes);
        assert!(
            screen
                .screen()
                .contents()
                .starts_with("frame 1999 frame 1999")
        );
    }
}
