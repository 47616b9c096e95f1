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
pub mod session_keys;
pub mod sessions;
pub mod stats;
mod table;

use std::io::{BufRead, IsTerminal, Write};

use serde::Serialize;

use crate::config::{self, ConfigFile, GlobalOpts};
use crate::exit::Failure;
use crate::operator::{Actor, Role};
use crate::store::{Store, Ts};

pub use table::Table;

/// The exit codes, shown at the end of every command's `--help` (and in docs/cli.md).
pub const EXIT_CODES_HELP: &str = "Exit codes: 0 success, 1 runtime error (database, WeChat; also an \
interrupted bulk revoke), 2 usage error, 3 nothing matched (e.g. revoke of an unknown id), \
4 refused (read-only, no confirmation).";

/// What every headless command needs: options, config, who is acting, and the database.
pub struct Context {
    pub opts: GlobalOpts,
    pub file: ConfigFile,
    /// Who acts, with their role (`--role`, `--read-only` = viewer).
    pub actor: Actor,
    /// stdout is a terminal: tables are sized for it.
    pub stdout_tty: bool,
    /// stdin and stderr are a terminal: a person is there to answer a question.
    pub interactive: bool,
}

impl Context {
    pub fn new(opts: &GlobalOpts, file: ConfigFile) -> Result<Self, Failure> {
        let actor =
            config::resolve_actor(opts, &file).map_err(|e| Failure::usage(e.to_string()))?;
        Ok(Context {
            opts: opts.clone(),
            file,
            actor,
            stdout_tty: std::io::stdout().is_terminal(),
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        })
    }

    /// Opens the database. SQLite is migrated on open; a PostgreSQL schema is only checked
    /// (`wxlogin migrate` upgrades it).
    ///
    /// One connection: a command runs one query at a time, and with a larger pool the second
    /// query of a command opened a second connection (sqlx returns a released connection to
    /// the pool on a spawned task, so an immediate next acquire finds the pool empty), which on
    /// PostgreSQL is a whole extra backend start per command (measured by `wxlogin bench`).
    pub async fn store(&self) -> Result<Store, Failure> {
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
            return Err(Failure::refused(
                "refusing to change anything without confirmation: there is no terminal to ask on; add --yes to confirm",
            ));
        }
        let mut err = std::io::stderr().lock();
        write!(err, "{question} [y/N] ")?;
        err.flush()?;
        drop(err);
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        match answer.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => Ok(()),
            _ => Err(Failure::refused("not confirmed; nothing was changed")),
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
    text.trim_start_matches('#').parse().map_err(|_| {
        format!(
            "--account is the numeric account id; for the username use --username {}",
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
    pub fn reason(&self) -> Result<String, Failure> {
        let r = self.reason.trim();
        if r.is_empty() {
            return Err(Failure::usage(
                "--reason must say why; it is written in the audit log",
            ));
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
        }
    }
}

impl WechatErrorJson {
    /// `errcode`, `what to do` and `rid` lines under a failed WeChat call.
    pub fn print_details(&self, ctx: &Context) -> Result<(), Failure> {
        let line = |k: &str, v: String| say(format!("{k:<12} {v}"));
        line(
            "errcode",
            self.errcode
                .map(|c| c.to_string())
                .unwrap_or_else(|| "- (no answer from WeChat)".into()),
        )?;
        line("what to do", self.action.to_owned())?;
        line("rid", cell_opt(ctx, self.rid.as_deref(), 128))
    }
}

/// A timestamp as every command shows it: RFC 3339, UTC, seconds.
pub fn ts(t: Ts) -> String {
    t.rfc3339()
}

pub fn ts_opt(t: Option<Ts>) -> Option<String> {
    t.map(ts)
}

/// Database or WeChat text for a table cell: control characters escaped; cut to `max`
/// characters when stdout is a terminal.
pub fn cell(ctx: &Context, text: &str, max: usize) -> String {
    if ctx.stdout_tty {
        crate::sanitize::for_terminal_truncated(text, max)
    } else {
        crate::sanitize::for_terminal(text).into_owned()
    }
}

pub fn cell_opt(ctx: &Context, text: Option<&str>, max: usize) -> String {
    match text {
        Some(t) => cell(ctx, t, max),
        None => "-".to_owned(),
    }
}

/// Prints one JSON document on stdout. Characters that a terminal could act on (C1 controls,
/// bidi overrides; serde_json already escapes C0) are written as `\uXXXX` escapes, which is the
/// same JSON value.
pub fn print_json<T: Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::runtime(format!("cannot encode the JSON output: {e}")))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", escape_json_for_terminal(&text))?;
    Ok(())
}

pub(crate) fn escape_json_for_terminal(text: &str) -> String {
    let dangerous = |c: char| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}')
    };
    if !text.chars().any(dangerous) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if dangerous(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Prints a line on stdout (plain output for people).
pub fn say(line: impl AsRef<str>) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", line.as_ref())?;
    Ok(())
}

/// Reads one secret line from stdin: without echo when stdin is a terminal (after `prompt` on
/// the terminal), else the first line of whatever was piped in. The value is never printed.
pub fn read_secret_line(prompt: &str) -> Result<crate::secret::Secret, Failure> {
    let raw = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt)
            .map_err(|e| Failure::runtime(format!("cannot read from the terminal: {e}")))?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::runtime(format!("cannot read stdin: {e}")))?;
        line
    };
    let trimmed = raw.trim_end_matches(['\r', '\n']).to_owned();
    // Zero the buffer with the line ending as well.
    drop(crate::secret::Secret::new(raw));
    Ok(crate::secret::Secret::new(trimmed))
}

/// Parses `--after` (a cursor printed by an earlier page).
pub fn parse_cursor(text: Option<&str>) -> Result<Option<crate::store::Cursor>, Failure> {
    match text {
        None => Ok(None),
        Some(t) => crate::store::Cursor::decode(t).map(Some).ok_or_else(|| {
            Failure::usage(
                "--after is not a cursor printed by this command; copy next_cursor from the previous page",
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escaping_keeps_newlines_and_escapes_c1_and_bidi() {
        let text = "{\n  \"ua\": \"a\u{9b}b\u{202e}c\"\n}";
        let out = escape_json_for_terminal(text);
        assert_eq!(out, "{\n  \"ua\": \"a\\u009bb\\u202ec\"\n}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["ua"], "a\u{9b}b\u{202e}c");
    }
}
