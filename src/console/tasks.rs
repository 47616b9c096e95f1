//! Slow work off the render loop. Every store (and WeChat) call runs on a tokio task that posts
//! a [`Msg`] back over a channel; the app routes it to the component that asked, on its next
//! turn. The UI never awaits I/O.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::{Notify, mpsc};

use super::confirm;
use super::views::{audit, bindings, exchange, overview, sessions};
use crate::store::StoreError;

/// A result (or progress report) from a background task, addressed to the component that
/// started it. The app routes every variant by name: a new one does not compile until it
/// has a destination.
#[derive(Debug)]
pub enum Msg {
    Sessions(sessions::Msg),
    Bindings(bindings::Msg),
    Audit(audit::Msg),
    Exchange(exchange::Msg),
    // Overview (fleet at a glance).
    Overview(overview::Msg),
    /// The confirmation dialog's count, progress and result.
    Dialog(confirm::Msg),
    /// A reconnection attempt while the database is unreachable.
    Ping(Result<(), StoreError>),
    /// A task panicked: a bug, reported rather than hidden.
    Panicked(String),
}

/// An envelope on the channel: `last` ends a task (progress reports are not last).
#[derive(Debug)]
pub struct Envelope {
    pub msg: Msg,
    pub last: bool,
}

#[derive(Debug, Default)]
struct Pending {
    count: AtomicUsize,
    idle: Notify,
}

/// One console's background work: spawns tasks, and hands their messages back in order.
pub struct Tasks {
    tx: mpsc::UnboundedSender<Envelope>,
    rx: mpsc::UnboundedReceiver<Envelope>,
    pending: Arc<Pending>,
}

impl Default for Tasks {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Tasks {
            tx,
            rx,
            pending: Arc::default(),
        }
    }
}

impl Tasks {
    /// Runs `fut` on a task; its message comes back through [`Tasks::next`]. Must be called
    /// inside a tokio runtime.
    pub fn spawn<M, F>(&self, fut: F)
    where
        M: Into<Msg>,
        F: Future<Output = M> + Send + 'static,
    {
        self.pending.count.fetch_add(1, Ordering::SeqCst);
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let msg = match std::panic::AssertUnwindSafe(fut).catch_unwind().await {
                Ok(m) => m.into(),
                Err(p) => Msg::Panicked(panic_text(p.as_ref())),
            };
            let _ = tx.send(Envelope { msg, last: true });
        });
    }

    /// A sender for progress reports of a running task (not its end).
    pub fn reporter(&self) -> Reporter {
        Reporter(self.tx.clone())
    }

    /// Tasks started and not yet [`Tasks::done`].
    pub fn pending(&self) -> usize {
        self.pending.count.load(Ordering::SeqCst)
    }

    /// The next message (for the event loop).
    pub async fn next(&mut self) -> Option<Envelope> {
        self.rx.recv().await
    }

    /// A message that has already arrived, if any.
    pub fn try_next(&mut self) -> Option<Envelope> {
        self.rx.try_recv().ok()
    }

    /// The next message, or a panic after `within` (for tests and scripted use).
    pub async fn next_within(&mut self, within: Duration) -> Option<Envelope> {
        match tokio::time::timeout(within, self.rx.recv()).await {
            Ok(env) => env,
            Err(_) => panic!("console background work did not finish within {within:?}"),
        }
    }

    /// Called once a task's last message has been applied (and whatever it started spawned).
    pub fn done(&self, env_was_last: bool) {
        if env_was_last {
            let before = self
                .pending
                .count
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                    Some(n.saturating_sub(1))
                })
                .unwrap_or(0);
            if before <= 1 {
                self.pending.idle.notify_waiters();
            }
        }
    }

    /// A handle that waits until this console has no background work left.
    pub fn idle(&self) -> Idle {
        Idle(self.pending.clone())
    }
}

/// Sends progress reports from inside a task.
#[derive(Clone)]
pub struct Reporter(mpsc::UnboundedSender<Envelope>);

impl Reporter {
    pub fn send(&self, msg: impl Into<Msg>) {
        let _ = self.0.send(Envelope {
            msg: msg.into(),
            last: false,
        });
    }
}

/// Waits for a console to finish its background work: what a script (a test driving a
/// console through its event stream) waits on between key presses.
#[derive(Clone)]
pub struct Idle(Arc<Pending>);

impl Idle {
    pub async fn wait(&self) {
        loop {
            let notified = self.0.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.0.count.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a background task panicked".into())
}

/// Each component's message type becomes its variant of [`Msg`].
macro_rules! addressed {
    ($($variant:ident($ty:ty)),* $(,)?) => {$(
        impl From<$ty> for Msg {
            fn from(m: $ty) -> Self {
                Msg::$variant(m)
            }
        }
    )*};
}

addressed!(
    Sessions(sessions::Msg),
    Bindings(bindings::Msg),
    Audit(audit::Msg),
    Exchange(exchange::Msg),
    Dialog(confirm::Msg),
    // Overview (fleet at a glance).
    Overview(overview::Msg),
);
