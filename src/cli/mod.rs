//! The headless subcommands for runbooks and scripts: `wxlogin sessions | bindings | exchange |
//! audit | accounts | completions`, one file per noun.
//!
//! They call the same store functions as the console, so a revoke from either writes the same
//! rows and the same audit entry. Conventions shared by every command live here:
//!
//! - output: a table on a terminal (database text sanitised), one JSON document with `--json`
//!   (field names documented in `docs/cli-json.md`, timestamps RFC 3339 UTC, never a secret);
//! - exit codes from [`crate::exit`]: 0 ok, 1 runtime, 2 usage, 3 nothing matched, 4 refused;
//! - every change is refused under `--read-only` (flag or config) and, when it is destructive,
//!   needs a confirmation on a terminal or `--yes`.

pub mod accounts;
pub mod audit;
pub mod bindings;
pub mod completions;
pub mod exchange;
pub mod help;
pub mod migrate;
pub mod session_keys;
pub mod sessions;
pub mod stats;
mod table;

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use crate::config::{self, ConfigFile, GlobalOpts};
use crate::exit::Failure;
use crate::i18n::{Lang, Tr};
use crate::operator::{Actor, Role};
use crate::store::Store;
use crate::tr;

pub use table::Table;

/// The exit codes, shown at the end of every command's `--help` (and in docs/cli.md).
pub const EXIT_CODES_HELP: &str = "Exit codes: 0 success, 1 runtime error (database, WeChat; also an \
interrupted bulk revoke), 2 usage error, 3 nothing matched (e.g. revoke of an unknown id), \
4 refused (read-only, no confirmation).";

/// Where a command's output goes and its input comes from: the process's own stdout, stderr and
/// stdin locally, an SSH channel in the door ([`crate::ssh::exec`]).
pub struct Io {
    pub out: Box<dyn Write + Send>,
    pub err: Box<dyn Write + Send>,
    pub input: Box<dyn BufRead + Send>,
}

impl Io {
    /// This process's stdout, stderr and stdin, unbuffered beyond what std already does, so the
    /// local output is byte for byte what it was when the commands wrote to them directly.
    pub fn std() -> Io {
        Io {
            out: Box::new(std::io::stdout()),
            err: Box::new(std::io::stderr()),
            input: Box::new(std::io::BufReader::new(std::io::stdin())),
        }
    }
}

/// What every headless command needs: options, config, who is acting, the database, and where
/// its output goes.
pub struct Context {
    pub opts: GlobalOpts,
    pub file: ConfigFile,
    /// Who acts, with their role (`--role`, `--read-only` = viewer).
    pub actor: Actor,
    /// The language of what people read (tables, prompts, refusals); never of `--json`, CSV,
    /// exit codes or audit rows.
    pub tr: Tr,
    /// stdout is a terminal: tables are sized for it.
    pub stdout_tty: bool,
    /// stdin and stderr are a terminal: a person is there to answer a question.
    pub interactive: bool,
    /// stdin is a terminal: secrets are read with a no-echo prompt.
    pub stdin_tty: bool,
    /// stderr is a terminal: long operations draw a progress bar there.
    pub stderr_tty: bool,
    out: Mutex<Box<dyn Write + Send>>,
    err: Mutex<Box<dyn Write + Send>>,
    input: Mutex<Box<dyn BufRead + Send>>,
    /// An open store to use instead of connecting (the SSH door's, already warm).
    preset_store: Option<Store>,
    /// Set when the command should stop at the next safe point (a bulk revoke between
    /// batches). `None`: Ctrl-C (SIGINT) of this process sets it.
    pub interrupted: Option<Arc<AtomicBool>>,
}

impl Context {
    pub fn new(opts: &GlobalOpts, file: ConfigFile) -> Result<Self, Failure> {
        let actor =
            config::resolve_actor(opts, &file).map_err(|e| Failure::usage(e.to_string()))?;
        let lang = config::resolve_lang(opts, &file).map_err(|e| Failure::usage(e.to_string()))?;
        let Io { out, err, input } = Io::std();
        Ok(Context {
            opts: opts.clone(),
            file,
            actor,
            tr: lang.tr(),
            stdout_tty: std::io::stdout().is_terminal(),
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            stdin_tty: std::io::stdin().is_terminal(),
            stderr_tty: std::io::stderr().is_terminal(),
            out: Mutex::new(out),
            err: Mutex::new(err),
            input: Mutex::new(input),
            preset_store: None,
            interrupted: None,
        })
    }

    /// A command run for someone else (the SSH door): the actor is given, not resolved from
    /// this process's flags and environment (only `--read-only`, flag or config, still makes
    /// it a viewer); the store is the caller's; nothing is a terminal, so nothing prompts and
    /// a change needs `--yes`.
    pub fn remote(
        opts: &GlobalOpts,
        file: ConfigFile,
        actor: Actor,
        store: Store,
        io: Io,
        interrupted: Arc<AtomicBool>,
    ) -> Self {
        let mut actor = actor;
        if opts.read_only || file.read_only {
            actor.role = Role::Viewer;
        }
        Context {
            opts: opts.clone(),
            file,
            actor,
            tr: Tr::default(),
            stdout_tty: false,
            interactive: false,
            stdin_tty: false,
            stderr_tty: false,
            out: Mutex::new(io.out),
            err: Mutex::new(io.err),
            input: Mutex::new(io.input),
            preset_store: Some(store),
            interrupted: Some(interrupted),
        }
    }

    /// The same context speaking `lang` (the door sets its operator's language here).
    pub fn with_lang(mut self, lang: Lang) -> Self {
        self.tr = lang.tr();
        self
    }

    /// `f` as this context's operator reads it: a refusal is said again in their language
    /// (the exit code never changes).
    pub fn localize(&self, f: Failure) -> Failure {
        match &f.denied {
            Some(d) => Failure {
                message: crate::present::refusal::refusal(&self.tr, d),
                ..f
            },
            None => Failure {
                message: crate::present::refusal::sentence(&self.tr, &f.message),
                ..f
            },
        }
    }

    /// The command's stdout. Hold it only for synchronous writes (never across an `.await`).
    pub fn out(&self) -> MutexGuard<'_, Box<dyn Write + Send>> {
        self.out.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The command's stderr.
    pub fn err(&self) -> MutexGuard<'_, Box<dyn Write + Send>> {
        self.err.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads one line of the command's stdin, without its line ending; `None` at the end of
    /// input. `what` names the line for errors ("the SessionId on stdin"). At most
    /// [`MAX_STDIN_LINE`] bytes are read into memory: a longer line is a usage error (exit 2)
    /// and nothing past the bound is read, so an endless line (`< /dev/zero`) costs 4 KiB.
    /// The bytes read are zeroed when the line is refused (it may be a secret), and stdin is
    /// closed for the rest of the command.
    pub fn read_line(&self, what: &str) -> Result<Option<String>, Failure> {
        let mut input = self.input.lock().unwrap_or_else(|e| e.into_inner());
        let line = read_bounded_line(&mut **input, MAX_STDIN_LINE, what, &self.tr);
        if line.is_err() {
            // Refused input is closed, not left waiting: through the door the sender then stops
            // queueing the rest for a reader that will never come (and holding its connection).
            *input = Box::new(std::io::empty());
        }
        line
    }

    /// Flushes stdout and stderr (the door's writers buffer).
    pub fn flush(&self) -> std::io::Result<()> {
        let a = self.out().flush();
        let b = self.err().flush();
        a.and(b)
    }

    /// Prints a line on stdout (plain output for people).
    pub fn say(&self, line: impl AsRef<str>) -> Result<(), Failure> {
        writeln!(self.out(), "{}", line.as_ref())?;
        Ok(())
    }

    /// Prints one JSON document on stdout. Characters that a terminal could act on (C1
    /// controls, bidi overrides; serde_json already escapes C0) are written as `\uXXXX`
    /// escapes, which is the same JSON value.
    pub fn print_json<T: Serialize>(&self, value: &T) -> Result<(), Failure> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Failure::runtime(format!("cannot encode the JSON output: {e}")))?;
        writeln!(
            self.out(),
            "{}",
            crate::present::json::escape_json_for_terminal(&text)
        )?;
        Ok(())
    }

    /// Opens the database. SQLite is migrated on open; a PostgreSQL schema is only checked
    /// (`wxlogin migrate` upgrades it).
    ///
    /// One connection: a command runs one query at a time, and with a larger pool the second
    /// query of a command opened a second connection (sqlx returns a released connection to
    /// the pool on a spawned task, so an immediate next acquire finds the pool empty), which on
    /// PostgreSQL is a whole extra backend start per command (measured by `wxlogin bench`).
    pub async fn store(&self) -> Result<Store, Failure> {
        if let Some(s) = &self.preset_store {
            return Ok(s.clone());
        }
        let url = config::database_url(&self.opts, &self.file)?;
        let opts = crate::store::ConnectOptions {
            max_connections: 1,
            ..Default::default()
        };
        // A viewer never changes the database, not even an SQLite schema.
        if self.actor.role == Role::Viewer {
            return Ok(Store::open_read_only(&url, opts).await?);
        }
        let store = Store::connect(&url, opts).await?;
        store.ensure_schema().await?;
        Ok(store)
    }

    /// Asks the ops layer's one permission check before any prompt or connection, so that a
    /// refusal (exit 4, naming the role needed) comes first. The ops function asks again.
    pub fn check(&self, op: &crate::ops::Operation<'_>) -> Result<(), Failure> {
        Ok(crate::ops::check(&self.actor, op)?)
    }

    /// Asks "`question` [y/N]" on the terminal unless `yes`. Without a terminal and without
    /// `--yes` the change is refused (exit 4), so a script never blocks on a hidden prompt.
    pub fn confirm(&self, question: &str, yes: bool) -> Result<(), Failure> {
        if yes {
            return Ok(());
        }
        if !self.interactive {
            return Err(Failure::refused(tr!(self.tr, "cli-confirm-no-terminal")));
        }
        let mut err = self.err();
        write!(err, "{question} [y/N] ")?;
        err.flush()?;
        drop(err);
        let answer = self
            .read_line(&field_name(&self.tr, "the answer"))?
            .unwrap_or_default();
        match answer.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => Ok(()),
            _ => Err(Failure::refused(tr!(self.tr, "cli-confirm-declined"))),
        }
    }
}

/// `--account ID` / `--username NAME`: which account, the same two flags (and the same
/// meaning: `account` is always the numeric id) in every command that selects by account.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AccountOpts {
    /// The account by numeric id.
    #[arg(long, value_name = "ID", value_parser = account_id)]
    pub account: Option<i64>,
    /// The account by username.
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,
}

/// `--account` is the numeric id, as `account=` is in the console; a name gets an error that
/// names the right flag.
fn account_id(text: &str) -> Result<i64, String> {
    account_number(text, "--username ")
}

/// An account id as `--account` takes it (`42` or `#42`); else an error that says how this
/// command takes a username instead (`how` comes before the name in the hint).
fn account_number(text: &str, how: &str) -> Result<i64, String> {
    text.trim_start_matches('#').parse().map_err(|_| {
        format!(
            "--account is the numeric account id; for the username use {how}{}",
            crate::sanitize::for_terminal_truncated(text, 64)
        )
    })
}

/// The options of every command that changes something: why, and whether to ask first.
/// Flattened into each such command, so that a new operator action gets the same flags, the
/// same help and the same check of its reason.
#[derive(Debug, Clone, clap::Args)]
pub struct ChangeOpts {
    /// Why (written in the audit log and on whatever it changes).
    #[arg(long, value_name = "TEXT", required = true)]
    pub reason: String,
    /// Do not ask for confirmation (required when there is no terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

impl ChangeOpts {
    /// The reason, trimmed; a blank one is a usage error.
    pub fn reason(&self, tr: &Tr) -> Result<String, Failure> {
        let r = self.reason.trim();
        if r.is_empty() {
            return Err(Failure::usage(tr!(tr, "cli-err-reason-blank")));
        }
        Ok(r.to_owned())
    }
}

/// A WeChat error in JSON output (`exchange`, `sessions check-key`, `sessions reset-key`):
/// the errcode with its meaning and what to do, never a secret.
#[derive(Debug, Serialize)]
pub struct WechatErrorJson {
    pub errcode: Option<i64>,
    pub kind: &'static str,
    pub meaning: &'static str,
    pub action: &'static str,
    pub rid: Option<String>,
    /// The one-line description (no secret, no URL query).
    pub message: String,
    /// The error itself, for the words people read in their language (not in the JSON).
    #[serde(skip)]
    source: crate::wechat::WechatError,
}

fn kind_name(k: crate::wechat::ErrorKind) -> &'static str {
    match k {
        crate::wechat::ErrorKind::InvalidCode => "invalid_code",
        crate::wechat::ErrorKind::CodeUsed => "code_used",
        crate::wechat::ErrorKind::HighRisk => "high_risk",
        crate::wechat::ErrorKind::RateLimited => "rate_limited",
        crate::wechat::ErrorKind::Busy => "busy",
        crate::wechat::ErrorKind::Config => "config",
        crate::wechat::ErrorKind::Unavailable => "unavailable",
        crate::wechat::ErrorKind::Other => "other",
    }
}

impl From<&crate::wechat::WechatError> for WechatErrorJson {
    fn from(e: &crate::wechat::WechatError) -> Self {
        WechatErrorJson {
            errcode: e.errcode(),
            kind: kind_name(e.kind()),
            meaning: e.meaning(),
            action: e.action(),
            rid: e.rid().map(str::to_owned),
            message: e.to_string(),
            source: e.clone(),
        }
    }
}

impl WechatErrorJson {
    /// `errcode`, `what to do` and `rid` lines under a failed WeChat call.
    pub fn print_details(&self, ctx: &Context) -> Result<(), Failure> {
        let tr = &ctx.tr;
        let line = |k: &str, v: String| ctx.say(format!("{} {v}", pad(k, 12)));
        line(
            "errcode",
            self.errcode
                .map(|c| c.to_string())
                .unwrap_or_else(|| crate::tr!(tr, "cli-errcode-no-answer")),
        )?;
        line(&crate::tr!(tr, "cli-label-what-to-do"), self.said(tr).1)?;
        line("rid", cell_opt(ctx, self.rid.as_deref(), 128))
    }

    /// The meaning and what to do as the operator reads them, in their language (an error
    /// without an errcode too: a timeout, a refused connection). The JSON fields keep the
    /// English, whatever the language.
    pub fn said(&self, tr: &Tr) -> (String, String) {
        (self.source.meaning_in(tr), self.source.action_in(tr))
    }
}

/// A timestamp as every command shows it: RFC 3339, UTC, seconds.
pub use crate::present::json::{ts, ts_opt};

/// Database or WeChat text for a table cell: control characters escaped; cut to `max`
/// characters when stdout is a terminal.
pub fn cell(ctx: &Context, text: &str, max: usize) -> String {
    if ctx.stdout_tty {
        crate::sanitize::for_terminal_truncated(text, max)
    } else {
        crate::sanitize::for_terminal(text).into_owned()
    }
}

/// `text` padded with spaces to `columns` terminal columns (a CJK character takes two), as
/// `{:<columns}` pads ASCII.
pub fn pad(text: &str, columns: usize) -> String {
    let w = ratatui::text::Span::raw(text).width();
    format!("{text}{}", " ".repeat(columns.saturating_sub(w)))
}

pub fn cell_opt(ctx: &Context, text: Option<&str>, max: usize) -> String {
    match text {
        Some(t) => cell(ctx, t, max),
        None => "-".to_owned(),
    }
}

/// Longest line any command reads from stdin, in bytes without its line ending: a SessionId
/// is 43 characters, a password at most 128 characters (512 bytes of UTF-8), a code about 32.
pub const MAX_STDIN_LINE: usize = 4096;

/// Reads one line from `input` (without `\n` or `\r\n`), never holding more than `max` bytes
/// of it: a longer line is a usage error naming `what` and the bound, and reading stops there.
/// `None` at the end of input. Text that is not UTF-8 is a usage error too.
pub fn read_bounded_line(
    input: &mut dyn BufRead,
    max: usize,
    what: &str,
    tr: &Tr,
) -> Result<Option<String>, Failure> {
    use zeroize::Zeroize;
    let too_long = |line: &mut Vec<u8>| {
        line.zeroize();
        Failure::usage(tr!(
            tr,
            "cli-stdin-too-long",
            what = what,
            max = max.to_string()
        ))
    };
    let mut line: Vec<u8> = Vec::new();
    let mut seen_any = false;
    loop {
        let buf = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                line.zeroize();
                return Err(Failure::runtime(format!("cannot read stdin: {e}")));
            }
        };
        if buf.is_empty() {
            break;
        }
        seen_any = true;
        // Room for the line and a `\r` before its `\n`.
        let room = (max + 1).saturating_sub(line.len());
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) if i <= room => {
                line.extend_from_slice(&buf[..i]);
                input.consume(i + 1);
                break;
            }
            Some(_) => return Err(too_long(&mut line)),
            None if buf.len() <= room => {
                let n = buf.len();
                line.extend_from_slice(buf);
                input.consume(n);
            }
            None => return Err(too_long(&mut line)),
        }
    }
    if !seen_any {
        return Ok(None);
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    if line.len() > max {
        return Err(too_long(&mut line));
    }
    match String::from_utf8(line) {
        Ok(s) => Ok(Some(s)),
        Err(e) => {
            let mut bytes = e.into_bytes();
            bytes.zeroize();
            Err(Failure::usage(tr!(tr, "cli-stdin-not-utf8", what = what)))
        }
    }
}

/// What a line read from stdin is, as the operator reads it in errors about it. The English
/// name is the caller's own (and what `crate::text::check` names in its English errors).
fn field_name(tr: &Tr, english: &str) -> String {
    if tr.lang() == Lang::En {
        return english.to_owned();
    }
    match english {
        "the password" => tr!(tr, "cli-field-password"),
        "the repeated password" => tr!(tr, "cli-field-password-repeat"),
        "the code" => tr!(tr, "cli-field-code"),
        "the SessionId" => tr!(tr, "cli-field-session-id"),
        "the answer" => tr!(tr, "cli-field-answer"),
        other => other.to_owned(),
    }
}

/// Reads one secret line from stdin: without echo when stdin is a terminal (after `prompt` on
/// the terminal), else the first line of whatever was piped in, at most [`MAX_STDIN_LINE`]
/// bytes. `field` names it in errors ("the SessionId"); it is checked as secret text (no NUL,
/// no control characters). The value is never printed.
pub fn read_secret_line(
    ctx: &Context,
    prompt: &str,
    field: &str,
) -> Result<crate::secret::Secret, Failure> {
    let secret = if ctx.stdin_tty {
        let raw = rpassword::prompt_password(prompt)
            .map_err(|e| Failure::runtime(format!("cannot read from the terminal: {e}")))?;
        let trimmed = raw.trim_end_matches(['\r', '\n']).to_owned();
        // Zero the buffer with the line ending as well.
        drop(crate::secret::Secret::new(raw));
        let secret = crate::secret::Secret::new(trimmed);
        if secret.expose().len() > MAX_STDIN_LINE {
            return Err(Failure::usage(tr!(
                ctx.tr,
                "cli-secret-too-long",
                field = field_name(&ctx.tr, field),
                max = MAX_STDIN_LINE.to_string()
            )));
        }
        secret
    } else {
        let what = tr!(
            ctx.tr,
            "cli-field-on-stdin",
            field = field_name(&ctx.tr, field)
        );
        crate::secret::Secret::new(ctx.read_line(&what)?.unwrap_or_default())
    };
    crate::text::check(field, secret.expose(), crate::text::TextKind::Secret)
        .map_err(|e| Failure::usage(e.to_string()))?;
    Ok(secret)
}

/// Parses `--after` (a cursor printed by an earlier page).
pub fn parse_cursor(tr: &Tr, text: Option<&str>) -> Result<Option<crate::store::Cursor>, Failure> {
    match text {
        None => Ok(None),
        Some(t) => crate::store::Cursor::decode(t)
            .map(Some)
            .ok_or_else(|| Failure::usage(tr!(tr, "cli-err-bad-cursor"))),
    }
}
