//! `wxlogin audit`: the operator action log, newest first.

use std::io::Write;

use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use serde::Serialize;

use super::{Context, Table, cell, cell_opt, ts};
use crate::exit::Failure;
use crate::i18n::Tr;
use crate::present::json::AuditJson;
use crate::store::{AuditFilter, Ts};
use crate::tr;

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
pub struct AuditOpts {
    /// Rows per page (1 to 10000).
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=10_000))]
    pub limit: i64,
    /// Only actions by this operator. (Here `--operator` filters; WXLOGIN_OPERATOR does not.)
    #[arg(long, value_name = "X")]
    pub operator: Option<String>,
    /// Only this action, e.g. sessions.revoke, binding.unbind, account.disable, wechat.exchange.
    #[arg(long, value_name = "A")]
    pub action: Option<String>,
    /// Only this target, e.g. account:42 or binding:APPID/OPENID.
    #[arg(long, value_name = "T")]
    pub target: Option<String>,
    /// Only entries at or after TIME: RFC 3339 (2026-11-21T09:00:00Z), a date (2026-11-21,
    /// midnight UTC) or an age such as 30m, 12h, 7d.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Continue after this cursor (`next_cursor` of the previous page).
    #[arg(long, value_name = "CURSOR")]
    pub after: Option<String>,
    /// One JSON document: {"entries": [...], "next_cursor": ...}. Fields in docs/cli-json.md.
    #[arg(long)]
    pub json: bool,
}

/// `wxlogin audit` arguments. `--operator` is also the global "who is acting" option, and clap
/// copies a global value (from WXLOGIN_OPERATOR, say) into this command's `--operator`. Here it
/// filters, so only a value typed on the command line counts: an operator who exported
/// WXLOGIN_OPERATOR still sees everyone's actions.
#[derive(Debug)]
pub struct AuditArgs {
    pub opts: AuditOpts,
    /// `audit archive …`, when given.
    pub command: Option<AuditCommand>,
    /// `--operator` as typed, if it was.
    pub operator_filter: Option<String>,
}

impl AuditArgs {
    fn typed_operator(m: &clap::ArgMatches) -> Option<String> {
        match m.value_source("operator") {
            Some(clap::parser::ValueSource::CommandLine) => {
                m.get_one::<String>("operator").cloned()
            }
            _ => None,
        }
    }
}

impl clap::FromArgMatches for AuditArgs {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        Ok(AuditArgs {
            opts: AuditOpts::from_arg_matches(m)?,
            command: match m.subcommand_name() {
                Some(_) => Some(<AuditCommand as clap::FromArgMatches>::from_arg_matches(m)?),
                None => None,
            },
            operator_filter: Self::typed_operator(m),
        })
    }
    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.opts.update_from_arg_matches(m)?;
        if m.subcommand_name().is_some() {
            self.command = Some(<AuditCommand as clap::FromArgMatches>::from_arg_matches(m)?);
        }
        self.operator_filter = Self::typed_operator(m);
        Ok(())
    }
}

impl clap::Args for AuditArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        <AuditCommand as clap::Subcommand>::augment_subcommands(AuditOpts::augment_args(cmd))
            .args_conflicts_with_subcommands(true)
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        <AuditCommand as clap::Subcommand>::augment_subcommands_for_update(
            AuditOpts::augment_args_for_update(cmd),
        )
        .args_conflicts_with_subcommands(true)
    }
}

#[derive(Serialize)]
struct ListJson {
    entries: Vec<AuditJson>,
    next_cursor: Option<String>,
}

/// Parses `--since`: RFC 3339, a bare date (midnight UTC), or an age before `now`.
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<Ts, Failure> {
    parse_time(&Tr::default(), "--since", text, now)
}

/// Parses the time given to `flag` (`--since`, `--before`): RFC 3339, a bare date (midnight
/// UTC), or an age before `now`; a usage error naming `flag` in `tr`'s language.
pub fn parse_time(tr: &Tr, flag: &str, text: &str, now: DateTime<Utc>) -> Result<Ts, Failure> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(Ts::from(dt.with_timezone(&Utc)));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        && let Some(dt) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(Ts::from(dt.and_utc()));
    }
    let bad = || {
        Failure::usage(tr!(
            tr,
            "cli-since-bad",
            flag = flag,
            text = format!("{:?}", crate::sanitize::for_terminal(t))
        ))
    };
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    let age = n
        .checked_mul(secs)
        .and_then(chrono::Duration::try_seconds)
        .ok_or_else(bad)?;
    now.checked_sub_signed(age).map(Ts::from).ok_or_else(bad)
}

pub async fn run(ctx: &Context, args: AuditArgs) -> Result<(), Failure> {
    if let Some(AuditCommand::Archive(a)) = args.command {
        return archive(ctx, a).await;
    }
    let a = args.opts;
    let after = super::parse_cursor(&ctx.tr, a.after.as_deref())?;
    let since = match &a.since {
        Some(s) => Some(parse_time(&ctx.tr, "--since", s, Utc::now())?),
        None => None,
    };
    let filter = AuditFilter {
        operator: args.operator_filter,
        action: a.action,
        target: a.target,
        since,
    };
    let store = ctx.store().await?;
    let page = store.list_audit(&filter, after, a.limit).await?;
    let next = page.next.map(|c| c.encode());
    if a.json {
        return ctx.print_json(&ListJson {
            entries: page.rows.iter().map(AuditJson::from).collect(),
            next_cursor: next,
        });
    }
    let tr = &ctx.tr;
    if page.rows.is_empty() {
        return ctx.say(tr!(tr, "cli-audit-none"));
    }
    let mut t = Table::new(&[
        "AT", "OPERATOR", "ORIGIN", "ACTION", "TARGET", "REASON", "DETAIL",
    ]);
    for e in &page.rows {
        t.row(vec![
            ts(e.at),
            cell(ctx, &e.operator, 24),
            cell_opt(ctx, e.origin.as_deref(), 32),
            cell(ctx, &e.action, 24),
            cell(ctx, &e.target, 48),
            cell_opt(ctx, e.reason.as_deref(), 48),
            cell(ctx, &e.detail.0.to_string(), 60),
        ]);
    }
    t.print(ctx)?;
    if let Some(c) = next {
        ctx.say(tr!(tr, "cli-more-after", cursor = c))?;
    }
    Ok(())
}

/// `wxlogin audit archive`.
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Move the audit rows before DATE to a JSON-lines file (the fields of `audit --json`),
    /// verified (count and SHA-256) before the rows are deleted (oncall).
    Archive(ArchiveArgs),
}

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
pub struct ArchiveArgs {
    /// Rows before this go: RFC 3339 (2026-11-21T09:00:00Z), a date (midnight UTC) or an age
    /// (90d).
    #[arg(long, value_name = "DATE")]
    pub before: String,
    /// The file to write; it must not exist (never overwritten).
    #[arg(long, value_name = "FILE")]
    pub to: std::path::PathBuf,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Rows deleted per transaction.
    #[arg(long, value_name = "N", default_value_t = crate::ops::ARCHIVE_BATCH, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub batch_size: i64,
}

async fn archive(ctx: &Context, a: ArchiveArgs) -> Result<(), Failure> {
    ctx.check(&crate::ops::Operation::ArchiveAudit)?;
    let tr = &ctx.tr;
    let before = parse_time(tr, "--before", &a.before, Utc::now())?;
    let file = crate::sanitize::for_terminal(&a.to.display().to_string()).into_owned();
    if a.to.exists() {
        return Err(Failure::usage(tr!(tr, "cli-archive-exists", file = file)));
    }
    let store = ctx.store().await?;
    ctx.confirm(
        &tr!(
            tr,
            "cli-archive-question",
            before = before.rfc3339(),
            file = file
        ),
        a.yes,
    )?;
    // Test hook: a pause after each step, so a test can kill the command at any point.
    let pause = std::env::var("WXLOGIN_TEST_ARCHIVE_PAUSE_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(std::time::Duration::from_millis);
    let quiet = a.json;
    let mut progress = |s: crate::ops::ArchiveStep| {
        if !quiet {
            let line = match s {
                crate::ops::ArchiveStep::Written(n) => tr!(tr, "cli-archive-written", n = n),
                crate::ops::ArchiveStep::Verified(n) => tr!(tr, "cli-archive-verified", n = n),
                crate::ops::ArchiveStep::Deleted(n) => tr!(tr, "cli-archive-deleted", n = n),
            };
            let _ = writeln!(ctx.err(), "{line}");
        }
        if let Some(p) = pause {
            std::thread::sleep(p);
        }
        true
    };
    let out = crate::ops::archive_audit(
        &store,
        &ctx.actor,
        before,
        &a.to,
        a.batch_size,
        &mut progress,
    )
    .await?;
    if a.json {
        return ctx.print_json(&out);
    }
    ctx.say(tr!(
        tr,
        "cli-archive-done",
        n = out.count,
        before = out.before.clone(),
        file = crate::sanitize::for_terminal(&out.file).into_owned(),
        bytes = out.bytes.to_string(),
        sha256 = out.sha256.clone()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn since_accepts_rfc3339_dates_and_ages() {
        assert_eq!(
            parse_since("2026-11-21T09:30:00+08:00", now())
                .unwrap()
                .rfc3339(),
            "2026-11-21T01:30:00Z"
        );
        assert_eq!(
            parse_since("2026-11-20", now()).unwrap().rfc3339(),
            "2026-11-20T00:00:00Z"
        );
        assert_eq!(
            parse_since("90m", now()).unwrap().rfc3339(),
            "2026-11-21T10:30:00Z"
        );
        assert_eq!(
            parse_since("7d", now()).unwrap().rfc3339(),
            "2026-11-14T12:00:00Z"
        );
    }

    #[test]
    fn since_rejects_garbage_as_a_usage_error() {
        for bad in ["yesterday", "5y", "", "m", "99999999999999999999d"] {
            let e = parse_since(bad, now()).unwrap_err();
            assert_eq!(e.code, crate::exit::Code::Usage, "{bad}");
        }
    }
}
