//! An exec request: one headless command, run inside the door's own process.
//!
//! No shell is involved: the command line is split into words with shell-style quoting and
//! parsed by wxlogin's own argument parser (the binary's, handed to the door as [`ExecRun`]),
//! which refuses the server commands. The command runs as a task of the door's runtime with a
//! [`crate::cli::Context`] built for it ([`crate::cli::Context::remote`]): the actor is the key's
//! owner with their role, origin `ssh:<peer address>` and the key's fingerprint (written in the
//! detail of every audit row); the store is the door's own, whose pool is already open, so a
//! command costs no process start, no configuration load and no new database connection.
//!
//! Its stdout and stderr are [`ChannelWriter`]s (stderr as extended data 1), its stdin a
//! [`ChannelReader`], and its exit code becomes the exit status. A command that panics ends
//! alone: the panic is caught at its task's boundary, logged with `tracing::error`, reported on
//! stderr, and the exit status is 1; the door and every other session go on.
//!
//! ## Synchronous writers on an async channel
//!
//! The CLI writes with `std::io::Write` from inside async code. The channel's writer is async,
//! and must stay so: its `data_bytes` waits for the client's SSH window, which is the
//! backpressure that keeps a slow client from growing the door's memory. So [`ChannelWriter`]
//! collects up to [`CHUNK`] bytes and hands each full chunk to the channel inside
//! [`tokio::task::block_in_place`], blocking on the send with the runtime's
//! [`Handle::block_on`]. `block_in_place` tells the multi-threaded runtime (which the binary
//! builds with `Runtime::new()`) that this worker thread is about to block, so the worker's other
//! tasks move to another thread and the connection keeps being served while the command waits
//! for the client. A writer blocked this way holds at most one chunk (plus the command's own
//! page); memory does not grow with the output. (Running each command on a thread of its own
//! would need a second runtime, and the store's connections belong to the door's.) The same goes
//! for [`ChannelReader`], which blocks the command's read of stdin until the client sends a line.

use std::future::Future;
use std::io::{BufRead, Read, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use russh::ChannelWriteHalf;
use russh::server::Msg;
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use zeroize::Zeroize;

use super::Door;
use crate::config::ConfigFile;
use crate::operator::Actor;
use crate::sanitize::for_terminal;
use crate::store::Store;
use crate::text::{self, TextKind};

/// Commands that make no sense through the door.
pub const REFUSED_COMMANDS: [&str; 8] = [
    "serve",
    "ssh-server",
    "mock-wechat",
    "demo",
    "bench",
    "seed-synthetic",
    "migrate",
    "console",
];

/// Global options that would change who is acting, which database is used, or where the
/// AppSecret may be sent (`--allow-insecure-wechat` is the server's decision, in its config).
pub const REFUSED_OPTIONS: [&str; 5] = [
    "--operator",
    "--role",
    "--database-url",
    "--config",
    "--allow-insecure-wechat",
];

/// Subcommands with an option of their own named like a refused global one, where it is a
/// filter, not an identity: `audit --operator NAME` lists that operator's actions. After the
/// subcommand's name it is that option; before it, the global one, refused.
const FILTER_OPTIONS: [(&str, &str); 1] = [("audit", "--operator")];

/// Bytes a [`ChannelWriter`] collects before it sends them.
pub const CHUNK: usize = 32 * 1024;

/// Input chunks queued for a command's stdin. The connection never waits for room: when the
/// command has not read this much, its stdin is closed and the rest discarded (no command reads
/// more than a line or two of stdin; one that reads none must not freeze its connection).
pub const STDIN_QUEUE: usize = 16;

/// What the door gives the command: who acts, on which store, with which configuration, and
/// where its output goes.
pub struct Remote {
    pub actor: Actor,
    pub store: Store,
    pub file: ConfigFile,
    pub io: crate::cli::Io,
    /// Set when the client went away: a bulk revoke stops after its current batch.
    pub interrupted: Arc<AtomicBool>,
    /// The operator's language (see [`Job::lang`]); a `--lang` in the command line wins.
    pub lang: crate::i18n::Lang,
}

/// Runs one command line (argv with the program name first) with wxlogin's own parser and
/// returns its exit status (given by the binary, which owns the parser). It writes every
/// message itself, clap's included, on `Remote::io`.
pub type ExecRun = fn(Vec<String>, Remote) -> Pin<Box<dyn Future<Output = u8> + Send>>;

/// Splits and checks a command line as the client sent it. `Ok` is the argv (without the
/// program name).
pub fn words_of(line: &[u8]) -> Result<Vec<String>, String> {
    let line = std::str::from_utf8(line).map_err(|e| {
        format!(
            "the command line is not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        )
    })?;
    words(line)
}

/// Splits and checks a command line. `Ok` is the argv (without the program name).
pub fn words(line: &str) -> Result<Vec<String>, String> {
    let words =
        shell_words::split(line).map_err(|e| format!("cannot split the command line: {e}"))?;
    if words.is_empty() {
        return Err(
            "no command given. Use `ssh -t` for the console, or e.g. `sessions list --json`".into(),
        );
    }
    // Every word is text a person typed: no NUL, control, bidi or invisible characters, in
    // a filter or a reason alike.
    for (i, w) in words.iter().enumerate() {
        let preview: String = for_terminal(w).chars().take(40).collect();
        text::check(
            &format!("word {} of the command (`{preview}`)", i + 1),
            w,
            TextKind::Prose,
        )
        .map_err(|e| e.to_string())?;
    }
    let subcommand = words.iter().position(|w| !w.starts_with('-'));
    for (i, w) in words.iter().enumerate() {
        if w == "--" {
            break;
        }
        let name = w.split('=').next().unwrap_or(w);
        if REFUSED_OPTIONS.contains(&name) {
            let filter = subcommand
                .is_some_and(|at| i > at && FILTER_OPTIONS.contains(&(words[at].as_str(), name)));
            if filter {
                continue;
            }
            return Err(format!(
                "{name} is not accepted through the door: your key decides who you are, and the server which database and which WeChat"
            ));
        }
    }
    if let Some(first) = subcommand.map(|at| &words[at])
        && REFUSED_COMMANDS.contains(&first.as_str())
    {
        return Err(format!(
            "`{}` cannot be run through the door{}",
            for_terminal(first),
            if first == "console" {
                ": use `ssh -t` to get the console"
            } else {
                ""
            }
        ));
    }
    Ok(words)
}

/// Everything one command needs.
pub struct Job {
    pub door: Arc<Door>,
    pub actor: Actor,
    pub fingerprint: String,
    pub peer: std::net::SocketAddr,
    /// The command line as the client sent it.
    pub line: Vec<u8>,
    /// The language of this exec's human output (the operator's `lang`, else the client's
    /// `LANG`, else en): for the command's context (`cli::Context`'s translator). Never
    /// changes --json, CSV, exit codes or audit rows.
    pub lang: crate::i18n::Lang,
}

/// Runs the command with the channel as its stdout and stderr, and `stdin` (fed by the
/// connection's handler, closed at EOF) as its stdin. `interrupted` is set when the client goes
/// away.
pub async fn run(
    job: Job,
    write: ChannelWriteHalf<Msg>,
    stdin: mpsc::Receiver<Vec<u8>>,
    interrupted: Arc<AtomicBool>,
) {
    let argv = match words_of(&job.line) {
        Ok(w) => w,
        Err(msg) => {
            tracing::warn!(peer = %job.peer, operator = %job.actor.operator, fingerprint = %job.fingerprint, reason = %for_terminal(&msg), "ssh exec refused");
            let _ = write
                .extended_data_bytes(1, format!("wxlogin: {msg}\n").into_bytes())
                .await;
            finish(&write, 2).await;
            return;
        }
    };
    tracing::warn!(peer = %job.peer, operator = %job.actor.operator, role = %job.actor.role, fingerprint = %job.fingerprint, command = %for_terminal(argv.first().map(String::as_str).unwrap_or("")), "ssh exec");
    let write = Arc::new(write);
    let handle = Handle::current();
    let io = crate::cli::Io {
        out: Box::new(ChannelWriter::new(
            write.clone(),
            handle.clone(),
            None,
            interrupted.clone(),
        )),
        err: Box::new(ChannelWriter::new(
            write.clone(),
            handle.clone(),
            Some(1),
            interrupted.clone(),
        )),
        input: Box::new(ChannelReader::new(stdin, handle)),
    };
    let remote = Remote {
        actor: job.actor.clone(),
        store: job.door.store.clone(),
        file: job.door.file.clone(),
        io,
        interrupted,
        lang: job.lang,
    };
    let mut full = Vec::with_capacity(argv.len() + 1);
    full.push("wxlogin".to_owned());
    full.extend(argv);
    let code = supervise((job.door.run)(full, remote)).await;
    if code.is_none() {
        tracing::error!(peer = %job.peer, operator = %job.actor.operator, "ssh exec command panicked; the session ends, the door goes on");
        let _ = write
            .extended_data_bytes(
                1,
                &b"wxlogin: internal error: the command failed unexpectedly (logged on the server); what it had done before is kept\n"[..],
            )
            .await;
    }
    let code = code.map_or(1, u32::from);
    tracing::info!(peer = %job.peer, operator = %job.actor.operator, role = %job.actor.role, fingerprint = %job.fingerprint, exit = code, "ssh exec finished");
    finish(&write, code).await;
}

/// Runs a command as a task of its own and waits for it: `None` when it panicked (the panic
/// ends at the task's boundary), else its exit status.
pub async fn supervise(command: Pin<Box<dyn Future<Output = u8> + Send>>) -> Option<u8> {
    match tokio::spawn(command).await {
        Ok(code) => Some(code),
        Err(e) => {
            if e.is_panic() {
                let payload = e.into_panic();
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(panic = %for_terminal(&msg), "ssh exec command panicked");
            }
            None
        }
    }
}

/// A command's stdout (`ext` None) or stderr (`ext` Some(1)) on the channel: bytes are collected
/// up to [`CHUNK`] and sent with the channel's backpressure (see the module docs). stderr is sent
/// at the end of every line, as an unbuffered stderr would show it.
pub struct ChannelWriter {
    write: Arc<ChannelWriteHalf<Msg>>,
    handle: Handle,
    ext: Option<u32>,
    buf: Vec<u8>,
    /// The channel refused a send: the client is gone.
    broken: bool,
    interrupted: Arc<AtomicBool>,
}

impl ChannelWriter {
    pub fn new(
        write: Arc<ChannelWriteHalf<Msg>>,
        handle: Handle,
        ext: Option<u32>,
        interrupted: Arc<AtomicBool>,
    ) -> Self {
        ChannelWriter {
            write,
            handle,
            ext,
            buf: Vec::with_capacity(CHUNK),
            broken: false,
            interrupted,
        }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.broken {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        let (write, ext) = (&self.write, self.ext);
        let sent = tokio::task::block_in_place(|| {
            self.handle.block_on(async move {
                match ext {
                    None => write.data_bytes(chunk).await,
                    Some(code) => write.extended_data_bytes(code, chunk).await,
                }
            })
        });
        if sent.is_err() {
            self.broken = true;
            self.interrupted.store(true, Ordering::SeqCst);
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        Ok(())
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.broken {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK || (self.ext.is_some() && self.buf.ends_with(b"\n")) {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// A command's stdin from the channel: a read blocks (see the module docs) until the client
/// sends something; end of input when the client sent EOF or went away. Consumed input is
/// zeroed, since a SessionId or a password may come this way.
pub struct ChannelReader {
    rx: mpsc::Receiver<Vec<u8>>,
    handle: Handle,
    buf: Vec<u8>,
    pos: usize,
}

impl ChannelReader {
    pub fn new(rx: mpsc::Receiver<Vec<u8>>, handle: Handle) -> Self {
        ChannelReader {
            rx,
            handle,
            buf: Vec::new(),
            pos: 0,
        }
    }
}

impl Drop for ChannelReader {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let available = self.fill_buf()?;
            let n = available.len().min(out.len());
            out[..n].copy_from_slice(&available[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ChannelReader {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos >= self.buf.len() {
            self.buf.zeroize();
            self.pos = 0;
            let (rx, handle) = (&mut self.rx, &self.handle);
            match tokio::task::block_in_place(|| handle.block_on(rx.recv())) {
                Some(bytes) => self.buf = bytes,
                None => return Ok(&[]),
            }
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }
}

async fn finish(write: &ChannelWriteHalf<Msg>, code: u32) {
    let _ = write.exit_status(code).await;
    let _ = write.eof().await;
    let _ = write.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_is_shell_style_and_nothing_is_interpreted() {
        assert_eq!(
            words(r#"sessions revoke --account 42 --reason "lost phone; $(rm -rf /)" --yes"#)
                .expect("words"),
            vec![
                "sessions",
                "revoke",
                "--account",
                "42",
                "--reason",
                "lost phone; $(rm -rf /)",
                "--yes"
            ]
        );
    }

    #[test]
    fn server_commands_and_identity_options_are_refused() {
        for line in [
            "serve",
            "-v migrate",
            "console",
            "ssh-server --listen 0.0.0.0:22",
            "demo",
        ] {
            assert!(words(line).is_err(), "{line}");
        }
        for line in [
            "sessions list --operator root",
            "--role=oncall sessions list",
            "sessions list --database-url postgres://x",
            "--config /etc/other.toml audit list",
            "--operator root audit",
            "audit --role oncall",
        ] {
            let err = words(line).expect_err(line);
            assert!(err.contains("not accepted through the door"), "{err}");
        }
        // In `audit`, --operator is a filter.
        assert!(words("audit --operator bob --json").is_ok());
        assert!(words("audit --operator=bob").is_ok());
        assert!(words("sessions list --read-only --json").is_ok());
        let err = words("sessions revoke --account 7 --reason 'lost\u{1b}[2J phone' --yes")
            .expect_err("escape in a word");
        assert!(err.contains("word 6 of the command"), "{err}");
        assert!(err.contains("control character (U+001B)"), "{err}");
        assert!(
            !err.contains('\u{1b}'),
            "the escape reached the message: {err:?}"
        );
        let err = words_of(b"sessions list \xff").expect_err("not UTF-8");
        assert!(err.contains("not UTF-8"), "{err}");
        assert!(words("").is_err());
        assert!(words("sessions list 'unterminated").is_err());
    }
}
