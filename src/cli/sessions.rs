//! `wxlogin sessions list | show | revoke`.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::{Context, Table, cell, cell_opt, ts, ts_opt};
use crate::crypto::SessionToken;
use crate::exit::Failure;
use crate::ops::{self, Operation};
use crate::present::json::SessionJson;
use crate::store::{
    DEFAULT_REVOKE_BATCH, MAX_REVOKE_IDS, RevokeProgress, SessionFilter, SessionRow, Store, Ts,
};
use crate::tr;

#[derive(Debug, Args)]
pub struct SessionsArgs {
    #[command(subcommand)]
    pub command: SessionsCommand,
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List sessions, newest first (live ones only unless --include-revoked).
    List(ListArgs),
    /// Show one session, by public id or by the SessionId read from stdin.
    Show(ShowArgs),
    /// Revoke sessions: by public id, account, username, openid, a whole appid, or SessionId.
    Revoke(RevokeArgs),
    /// Ask WeChat whether a session's stored session_key is still valid (checkSessionKey).
    CheckKey(super::session_keys::CheckKeyArgs),
    /// Have WeChat issue a new session_key for a session's user and store it (resetUserSessionKey).
    ResetKey(super::session_keys::ResetKeyArgs),
    /// Delete sessions that expired or were revoked more than --older-than ago (retention), in
    /// small batches; never a live one.
    Purge(PurgeArgs),
}

/// Filters shared by `list`: every given filter must match.
#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
pub struct ListArgs {
    #[command(flatten)]
    pub who: super::AccountOpts,
    /// Only this openid.
    #[arg(long, value_name = "O")]
    pub openid: Option<String>,
    /// Only this unionid.
    #[arg(long, value_name = "U")]
    pub unionid: Option<String>,
    /// Only this mini program.
    #[arg(long, value_name = "A")]
    pub appid: Option<String>,
    /// Only sessions created from this client IP.
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    /// Include revoked and expired sessions.
    #[arg(long)]
    pub include_revoked: bool,
    /// Rows per page (1 to 10000; default 50, or 1000 with --all).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=10_000))]
    pub limit: Option<i64>,
    /// Continue after this cursor (`next_cursor` of the previous page).
    #[arg(long, value_name = "CURSOR")]
    pub after: Option<String>,
    /// Every page, streamed as it is read (keyset, newest first), not just the first one.
    #[arg(long)]
    pub all: bool,
    /// Output: a table for people, one JSON document, or CSV (RFC 4180, header first;
    /// columns in docs/cli.md).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// The same as --format json: {"sessions": [...], "next_cursor": ...}. Fields in docs/cli-json.md.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

/// How `sessions list` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
pub struct ShowArgs {
    /// Public session id (ses_…).
    #[arg(
        value_name = "PUBLIC_ID",
        help_heading = "Arguments",
        required_unless_present = "token_stdin",
        conflicts_with = "token_stdin"
    )]
    pub public_id: Option<String>,
    /// Read the raw SessionId from stdin (never echoed, never printed) and show its session.
    #[arg(long)]
    pub token_stdin: bool,
    /// One JSON document on stdout (fields in docs/cli-json.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
pub struct RevokeArgs {
    /// Public session ids (ses_…) to revoke.
    #[arg(value_name = "PUBLIC_ID", help_heading = "Arguments")]
    pub public_ids: Vec<String>,
    #[command(flatten)]
    pub who: super::AccountOpts,
    /// Every live session of this openid (narrow with --appid).
    #[arg(long, value_name = "O")]
    pub openid: Option<String>,
    /// With --openid: only in this mini program. With --all: every session of the mini program.
    #[arg(long, value_name = "A")]
    pub appid: Option<String>,
    /// With --appid: really every live session of that mini program.
    #[arg(long)]
    pub all: bool,
    /// Read the raw SessionId from stdin (never echoed, never printed) and revoke its session.
    #[arg(long)]
    pub token_stdin: bool,
    #[command(flatten)]
    pub change: super::ChangeOpts,
    /// Only count what would be revoked; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// One JSON document on stdout (fields in docs/cli-json.md).
    #[arg(long)]
    pub json: bool,
    /// Sessions revoked per transaction in a bulk revoke (smaller batches hold row locks for
    /// less time; Ctrl-C takes effect between batches).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_REVOKE_BATCH, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub batch_size: i64,
}

/// Test hook: milliseconds to wait after each batch of a bulk revoke, so a test can interrupt
/// one deterministically. Not an option: nobody needs it in production.
const BATCH_PAUSE_ENV: &str = "WXLOGIN_TEST_REVOKE_PAUSE_MS";

fn batch_pause() -> Duration {
    std::env::var(BATCH_PAUSE_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::ZERO)
}

pub async fn run(ctx: &Context, args: SessionsArgs) -> Result<(), Failure> {
    match args.command {
        SessionsCommand::List(a) => list(ctx, a).await,
        SessionsCommand::Show(a) => show(ctx, a).await,
        SessionsCommand::Revoke(a) => revoke(ctx, a).await,
        SessionsCommand::CheckKey(a) => super::session_keys::check_key(ctx, a).await,
        SessionsCommand::ResetKey(a) => super::session_keys::reset_key(ctx, a).await,
        SessionsCommand::Purge(a) => purge(ctx, a).await,
    }
}

/// Rows per page of `sessions list --all` unless --limit says otherwise.
const ALL_PAGE: i64 = 1000;

async fn list(ctx: &Context, a: ListArgs) -> Result<(), Failure> {
    let mut after = super::parse_cursor(&ctx.tr, a.after.as_deref())?;
    let format = if a.json { ListFormat::Json } else { a.format };
    let limit = a.limit.unwrap_or(if a.all { ALL_PAGE } else { 50 });
    let filter = SessionFilter {
        account_id: a.who.account,
        username: a.who.username,
        appid: a.appid,
        openid: a.openid,
        unionid: a.unionid,
        client_ip: a.ip,
        include_inactive: a.include_revoked,
        ..Default::default()
    };
    let store = ctx.store().await?;
    // A bulk export in a machine format is audited as the console's `:export` is, before the
    // first row leaves: without the row, no data.
    let export_format = match format {
        ListFormat::Csv => Some("csv"),
        ListFormat::Json => Some("json"),
        ListFormat::Table => None,
    };
    if let (true, Some(f)) = (a.all, export_format) {
        crate::ops::record_session_export(&store, &ctx.actor, &filter, f, "-", None).await?;
    }
    let now = Ts::from(store.now());
    let mut out = ListOutput {
        format,
        rows: 0,
        cursor_written: false,
    };
    out.begin(ctx)?;
    // One page at a time, written and dropped before the next is read: memory stays one
    // page whatever the number of rows.
    loop {
        let page = store.list_sessions(&filter, after, limit).await?;
        let next = page.next;
        let last = !a.all || next.is_none();
        match out.page(ctx, &page.rows, now, next.filter(|_| last)) {
            Ok(()) => {}
            // `| head`: the reader has what it wanted.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        if last {
            break;
        }
        after = next;
    }
    out.end(ctx)
}

/// Writes `sessions list` output page by page.
struct ListOutput {
    format: ListFormat,
    rows: u64,
    /// JSON: the document was closed with a `next_cursor` after the (only) page.
    cursor_written: bool,
}

impl ListOutput {
    fn begin(&mut self, ctx: &Context) -> Result<(), Failure> {
        let mut w = ctx.out();
        match self.format {
            ListFormat::Csv => w.write_all(crate::export::csv_header().as_bytes())?,
            ListFormat::Json => w.write_all(b"{\n  \"sessions\": [")?,
            ListFormat::Table => {}
        }
        Ok(())
    }

    /// One page; `next` is the cursor to print after the last page (none with --all).
    fn page(
        &mut self,
        ctx: &Context,
        rows: &[SessionRow],
        now: Ts,
        next: Option<crate::store::Cursor>,
    ) -> std::io::Result<()> {
        let mut out = ctx.out();
        let mut w = std::io::BufWriter::new(&mut *out);
        match self.format {
            ListFormat::Csv => {
                for s in rows {
                    w.write_all(crate::export::session_csv_row(s).as_bytes())?;
                }
            }
            ListFormat::Json => {
                for s in rows {
                    let text = serde_json::to_string_pretty(&SessionJson::new(s, now))
                        .map_err(std::io::Error::other)?;
                    let sep = if self.rows == 0 { "" } else { "," };
                    let text = crate::present::json::escape_json_for_terminal(&text)
                        .replace('\n', "\n    ");
                    write!(w, "{sep}\n    {text}")?;
                    self.rows += 1;
                }
                if let Some(c) = next {
                    self.json_end(&mut w, Some(c.encode()))?;
                    self.cursor_written = true;
                }
            }
            ListFormat::Table => {
                if !rows.is_empty() {
                    if self.rows > 0 {
                        writeln!(w)?;
                    }
                    w.write_all(session_table(ctx, rows, now).render_in(&ctx.tr).as_bytes())?;
                }
                if let Some(c) = next {
                    writeln!(w, "{}", tr!(ctx.tr, "cli-more-after", cursor = c.encode()))?;
                }
            }
        }
        if self.format != ListFormat::Json {
            self.rows += rows.len() as u64;
        }
        w.flush()
    }

    fn json_end(&self, w: &mut impl Write, next: Option<String>) -> std::io::Result<()> {
        let close = if self.rows == 0 { "]" } else { "\n  ]" };
        let next = serde_json::to_string(&next).map_err(std::io::Error::other)?;
        writeln!(w, "{close},\n  \"next_cursor\": {next}\n}}")
    }

    fn end(&mut self, ctx: &Context) -> Result<(), Failure> {
        let mut w = ctx.out();
        match self.format {
            // A first page with more after it was closed with its cursor; otherwise close here.
            ListFormat::Json if !self.cursor_written => self.json_end(&mut *w, None)?,
            ListFormat::Table if self.rows == 0 => {
                writeln!(w, "{}", tr!(ctx.tr, "cli-sessions-none"))?
            }
            _ => {}
        }
        Ok(())
    }
}

/// The table `sessions list` prints for one page.
fn session_table(ctx: &Context, rows: &[SessionRow], now: Ts) -> Table {
    let mut t = Table::new(&[
        "PUBLIC ID",
        "STATE",
        "USERNAME",
        "APPID",
        "OPENID",
        "IP",
        "DEVICE",
        "CREATED",
        "LAST SEEN",
        "EXPIRES",
    ]);
    for s in rows {
        t.row(vec![
            cell(ctx, &s.public_id, 32),
            crate::present::state::session_state_name(&ctx.tr, s.state(now)),
            cell(ctx, &s.username, 24),
            cell(ctx, &s.appid, 24),
            cell(ctx, &s.openid, 32),
            cell_opt(ctx, s.client_ip.as_deref(), 40),
            crate::device::describe(s.user_agent.as_deref()),
            ts(s.created_at),
            ts(s.last_seen_at),
            ts(s.expires_at),
        ]);
    }
    t
}

/// `sessions show` in JSON: the session and whether its account is disabled.
#[derive(Serialize)]
struct ShowJson {
    #[serde(flatten)]
    session: SessionJson,
    account_disabled_at: Option<String>,
}

/// Reads a SessionId from stdin and hashes it; the raw value is dropped (and zeroed) here.
fn token_from_stdin(ctx: &Context) -> Result<crate::crypto::TokenHash, Failure> {
    let raw = super::read_secret_line(
        ctx,
        &tr!(ctx.tr, "cli-err-session-id-prompt"),
        "the SessionId",
    )?;
    let token = SessionToken::from_raw(raw.expose());
    if token.expose().is_empty() {
        return Err(Failure::usage(tr!(ctx.tr, "cli-err-no-session-id")));
    }
    Ok(token.hash())
}

async fn show(ctx: &Context, a: ShowArgs) -> Result<(), Failure> {
    let (session, disabled_at) = if a.token_stdin {
        let hash = token_from_stdin(ctx)?;
        let store = ctx.store().await?;
        let Some(found) = store.session_by_token(&hash).await? else {
            return Err(Failure::nothing_matched(tr!(
                ctx.tr,
                "present-err-no-session-token"
            )));
        };
        let now = Ts::from(store.now());
        (
            SessionJson::new(&found.session, now),
            found.account_disabled_at,
        )
    } else {
        let id = a.public_id.unwrap_or_default();
        let store = ctx.store().await?;
        let Some(s) = store.session_by_public_id(&id).await? else {
            return Err(Failure::nothing_matched(tr!(
                ctx.tr,
                "present-err-no-public-id",
                id = crate::sanitize::for_terminal(&id).into_owned()
            )));
        };
        let disabled = store
            .account_by_id(s.account_id)
            .await?
            .and_then(|acc| acc.disabled_at);
        let now = Ts::from(store.now());
        (SessionJson::new(&s, now), disabled)
    };
    let out = ShowJson {
        session,
        account_disabled_at: ts_opt(disabled_at),
    };
    if a.json {
        return ctx.print_json(&out);
    }
    let s = &out.session;
    let none = || "-".to_owned();
    let t = &ctx.tr;
    let lines: Vec<(String, String)> = vec![
        (tr!(t, "cli-show-public-id"), cell(ctx, &s.public_id, 64)),
        (
            tr!(t, "cli-show-state"),
            crate::present::state::session_state_name(t, s.state),
        ),
        (
            tr!(t, "cli-show-account"),
            tr!(
                t,
                "cli-show-account-value",
                username = cell(ctx, &s.username, 64),
                id = s.account_id
            ),
        ),
        (
            tr!(t, "cli-show-account-disabled"),
            out.account_disabled_at
                .clone()
                .unwrap_or_else(|| tr!(t, "common-no")),
        ),
        ("appid".to_owned(), cell(ctx, &s.appid, 64)),
        ("openid".to_owned(), cell(ctx, &s.openid, 64)),
        (
            "unionid".to_owned(),
            cell_opt(ctx, s.unionid.as_deref(), 64),
        ),
        (
            tr!(t, "cli-show-client-ip"),
            cell_opt(ctx, s.client_ip.as_deref(), 64),
        ),
        (
            tr!(t, "cli-show-user-agent"),
            cell_opt(ctx, s.user_agent.as_deref(), 200),
        ),
        (tr!(t, "cli-show-created"), s.created_at.clone()),
        (tr!(t, "cli-show-last-seen"), s.last_seen_at.clone()),
        (tr!(t, "cli-show-expires"), s.expires_at.clone()),
        (
            tr!(t, "cli-show-revoked"),
            s.revoked_at.clone().unwrap_or_else(none),
        ),
        (
            tr!(t, "cli-show-revoked-by"),
            cell_opt(ctx, s.revoked_by.as_deref(), 64),
        ),
        (
            tr!(t, "cli-show-revoke-reason"),
            cell_opt(ctx, s.revoke_reason.as_deref(), 200),
        ),
    ];
    for (k, v) in lines {
        ctx.say(format!("{} {v}", super::pad(&k, 16)))?;
    }
    Ok(())
}

/// What a revoke is about, after checking that exactly one selector was given.
enum Selector {
    Ids(Vec<String>),
    Token,
    Filter(SessionFilter),
}

fn selector(tr: &crate::i18n::Tr, a: &RevokeArgs) -> Result<Selector, Failure> {
    let mut given = Vec::new();
    if !a.public_ids.is_empty() {
        given.push("PUBLIC_ID");
    }
    if a.who.account.is_some() {
        given.push("--account");
    }
    if a.who.username.is_some() {
        given.push("--username");
    }
    if a.openid.is_some() {
        given.push("--openid");
    }
    if a.all {
        given.push("--all");
    }
    if a.token_stdin {
        given.push("--token-stdin");
    }
    if given.is_empty() {
        return Err(Failure::usage(if a.appid.is_some() {
            tr!(tr, "cli-revoke-appid-alone")
        } else {
            tr!(tr, "cli-revoke-no-selector")
        }));
    }
    if given.len() > 1 {
        return Err(Failure::usage(tr!(
            tr,
            "cli-revoke-many-selectors",
            given = given.join(match tr.lang() {
                crate::i18n::Lang::En => " and ",
                crate::i18n::Lang::ZhCn => "、",
            })
        )));
    }
    if a.appid.is_some() && a.openid.is_none() && !a.all {
        return Err(Failure::usage(tr!(tr, "cli-err-appid-alone-here")));
    }
    if a.all && a.appid.is_none() {
        return Err(Failure::usage(tr!(tr, "cli-err-all-needs-appid")));
    }
    if !a.public_ids.is_empty() {
        let ids: BTreeSet<String> = a.public_ids.iter().cloned().collect();
        return Ok(Selector::Ids(ids.into_iter().collect()));
    }
    if a.token_stdin {
        return Ok(Selector::Token);
    }
    Ok(Selector::Filter(SessionFilter {
        account_id: a.who.account,
        username: a.who.username.clone(),
        openid: a.openid.clone(),
        appid: a.appid.clone(),
        ..Default::default()
    }))
}

/// The result of a revoke, in JSON (documented in docs/cli-json.md).
#[derive(Debug, Serialize)]
struct RevokeJson {
    /// What was selected, as the audit log names it.
    selector: String,
    dry_run: bool,
    /// Live sessions that matched before anything changed.
    matched: u64,
    revoked: u64,
    /// Named sessions that were not live (unknown, revoked or expired): left alone.
    skipped: u64,
    batches: u64,
    interrupted: bool,
}

async fn revoke(ctx: &Context, a: RevokeArgs) -> Result<(), Failure> {
    let sel = selector(&ctx.tr, &a)?;
    let reason = a.change.reason(&ctx.tr)?;
    if !a.dry_run {
        // Refuse before reading a token or asking anything; the ops function asks again.
        let op = match &sel {
            Selector::Ids(ids) => Operation::RevokeSessions { count: ids.len() },
            Selector::Token => Operation::RevokeToken,
            Selector::Filter(f) => Operation::RevokeMatching { filter: f },
        };
        ctx.check(&op)?;
    }
    // Read a piped SessionId before anything else, so a prompt never interleaves with it.
    let token_hash = match sel {
        Selector::Token => Some(token_from_stdin(ctx)?),
        _ => None,
    };
    let store = ctx.store().await?;
    match sel {
        Selector::Ids(ids) => revoke_ids(ctx, &a, &store, ids, &reason).await,
        Selector::Token => {
            let hash = token_hash.expect("read above");
            if a.dry_run {
                let Some(found) = store.session_by_token(&hash).await? else {
                    return Err(Failure::nothing_matched(tr!(
                        ctx.tr,
                        "present-err-no-session-token"
                    )));
                };
                return revoke_ids(ctx, &a, &store, vec![found.session.public_id], &reason).await;
            }
            ctx.confirm(&tr!(ctx.tr, "cli-revoke-token-question"), a.change.yes)?;
            let out = ops::revoke_token(&store, &ctx.actor, &hash, &reason).await?;
            let selector = match out.revoked.as_slice() {
                [one] => format!("session:{one}"),
                _ => "session:-".to_owned(),
            };
            report(
                ctx,
                a.json,
                RevokeJson {
                    selector,
                    dry_run: false,
                    matched: 1,
                    revoked: out.revoked.len() as u64,
                    skipped: out.skipped,
                    batches: 1,
                    interrupted: false,
                },
            )
        }
        Selector::Filter(filter) => revoke_filter(ctx, &a, &store, filter, &reason).await,
    }
}

async fn revoke_ids(
    ctx: &Context,
    a: &RevokeArgs,
    store: &Store,
    ids: Vec<String>,
    reason: &str,
) -> Result<(), Failure> {
    if ids.len() > MAX_REVOKE_IDS {
        return Err(Failure::usage(tr!(
            ctx.tr,
            "cli-err-too-many-ids",
            max = MAX_REVOKE_IDS
        )));
    }
    // One query says which ids are live (for the question and for "nothing to revoke"); the
    // revoke itself is one statement over the ids.
    let census = store.classify_public_ids(&ids).await?;
    let live = census.live;
    let selector = match live.as_slice() {
        [one] => format!("session:{one}"),
        _ => format!("sessions:{}", live.len()),
    };
    if live.is_empty() {
        return Err(Failure::nothing_matched(
            if census.unknown == ids.len() as u64 {
                tr!(ctx.tr, "cli-err-no-such-public-ids")
            } else {
                tr!(
                    ctx.tr,
                    "cli-err-none-live",
                    unknown = census.unknown,
                    inactive = census.inactive
                )
            },
        ));
    }
    let matched = live.len() as u64;
    let skipped = census.unknown + census.inactive;
    if a.dry_run {
        return report(
            ctx,
            a.json,
            RevokeJson {
                selector,
                dry_run: true,
                matched,
                revoked: 0,
                skipped,
                batches: 0,
                interrupted: false,
            },
        );
    }
    let question = match live.as_slice() {
        [one] => tr!(ctx.tr, "cli-revoke-one-question", id = one.as_str()),
        many => tr!(ctx.tr, "cli-revoke-many-question", count = many.len()),
    };
    ctx.confirm(&question, a.change.yes)?;
    let out = ops::revoke_sessions(store, &ctx.actor, &ids, reason).await?;
    if out.revoked.is_empty() {
        return Err(Failure::nothing_matched(tr!(
            ctx.tr,
            "cli-err-revoked-meanwhile"
        )));
    }
    report(
        ctx,
        a.json,
        RevokeJson {
            selector,
            dry_run: false,
            matched,
            revoked: out.revoked.len() as u64,
            skipped: out.skipped,
            batches: 1,
            interrupted: false,
        },
    )
}

async fn revoke_filter(
    ctx: &Context,
    a: &RevokeArgs,
    store: &Store,
    filter: SessionFilter,
    reason: &str,
) -> Result<(), Failure> {
    if let Some(u) = &filter.username
        && store.account_by_username(u).await?.is_none()
    {
        return Err(Failure::nothing_matched(tr!(
            ctx.tr,
            "cli-err-no-account-named",
            username = crate::sanitize::for_terminal(u).into_owned()
        )));
    }
    if let Some(id) = filter.account_id
        && store.account_by_id(id).await?.is_none()
    {
        return Err(Failure::nothing_matched(tr!(
            ctx.tr,
            "cli-err-no-account-id",
            id = id
        )));
    }
    let selector = filter.describe();
    let matched = store.count_sessions(&filter).await?;
    if matched == 0 {
        return Err(Failure::nothing_matched(tr!(
            ctx.tr,
            "cli-revoke-nothing-matches",
            selector = crate::sanitize::for_terminal(&selector).into_owned()
        )));
    }
    if a.dry_run {
        return report(
            ctx,
            a.json,
            RevokeJson {
                selector,
                dry_run: true,
                matched,
                revoked: 0,
                skipped: 0,
                batches: 0,
                interrupted: false,
            },
        );
    }
    ctx.confirm(
        &tr!(
            ctx.tr,
            "cli-revoke-matching-question",
            count = matched,
            selector = crate::sanitize::for_terminal(&selector).into_owned()
        ),
        a.change.yes,
    )?;

    let interrupted = Arc::new(AtomicBool::new(false));
    let interrupted = ctx.interrupted.clone().unwrap_or(interrupted);
    let listener = match ctx.interrupted {
        Some(_) => None,
        None => Some(listen_for_interrupt(interrupted.clone())?),
    };
    let bar = if ctx.stderr_tty {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(matched),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {}  {{per_sec}}  {} {{eta}}  ({})",
            tr!(ctx.tr, "cli-revoke-bar-revoked"),
            tr!(ctx.tr, "cli-bar-eta"),
            tr!(ctx.tr, "cli-purge-bar-stop")
        )) {
            bar.set_style(style);
        }
        Some(bar)
    } else {
        None
    };
    let pause = batch_pause();
    let flag = interrupted.clone();
    let progress_bar = bar.clone();
    let mut progress = move |p: RevokeProgress| {
        match &progress_bar {
            Some(b) => {
                b.set_length(p.total);
                b.set_position(p.revoked);
            }
            None => {
                let _ = writeln!(
                    ctx.err(),
                    "wxlogin: {}",
                    tr!(
                        ctx.tr,
                        "cli-revoke-progress",
                        revoked = p.revoked,
                        total = p.total,
                        batch = p.batches
                    )
                );
            }
        }
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
        !flag.load(Ordering::SeqCst)
    };
    let result = ops::revoke_matching(
        store,
        &ctx.actor,
        &filter,
        reason,
        a.batch_size,
        &mut progress,
    )
    .await;
    if let Some(l) = listener {
        l.abort();
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let outcome = result?;
    report(
        ctx,
        a.json,
        RevokeJson {
            selector,
            dry_run: false,
            matched,
            revoked: outcome.revoked,
            skipped: 0,
            batches: outcome.batches,
            interrupted: outcome.cancelled,
        },
    )?;
    if outcome.cancelled {
        return Err(Failure::runtime(tr!(
            ctx.tr,
            "cli-err-revoke-interrupted",
            batches = outcome.batches,
            revoked = outcome.revoked
        )));
    }
    Ok(())
}

/// Sets `flag` on Ctrl-C (SIGINT). The handler is installed before this returns, so a Ctrl-C
/// during the first batch is not lost.
fn listen_for_interrupt(flag: Arc<AtomicBool>) -> Result<tokio::task::JoinHandle<()>, Failure> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut sig = signal(SignalKind::interrupt())
            .map_err(|e| Failure::runtime(format!("cannot listen for Ctrl-C: {e}")))?;
        Ok(tokio::spawn(async move {
            if sig.recv().await.is_some() {
                flag.store(true, Ordering::SeqCst);
            }
        }))
    }
    #[cfg(not(unix))]
    {
        Ok(tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                flag.store(true, Ordering::SeqCst);
            }
        }))
    }
}

fn report(ctx: &Context, json: bool, r: RevokeJson) -> Result<(), Failure> {
    if json {
        return ctx.print_json(&r);
    }
    let t = &ctx.tr;
    if r.dry_run {
        return ctx.say(tr!(
            t,
            "cli-revoke-dry-run",
            count = r.matched,
            selector = crate::sanitize::for_terminal(&r.selector).into_owned()
        ));
    }
    if r.interrupted {
        return ctx.say(tr!(
            t,
            "cli-revoke-interrupted",
            revoked = r.revoked,
            count = r.matched,
            batches = r.batches,
            live = r.matched.saturating_sub(r.revoked)
        ));
    }
    if r.skipped > 0 {
        return ctx.say(tr!(
            t,
            "cli-revoke-done-skipped",
            count = r.revoked,
            skipped = r.skipped
        ));
    }
    ctx.say(tr!(t, "cli-revoke-done", count = r.revoked))
}

// ---- `wxlogin sessions purge` (retention) ----

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
pub struct PurgeArgs {
    /// Sessions that expired or were revoked more than this long ago go: a number and a unit,
    /// m, h, d or w (30d, 12h, 2w). Default: [retention] sessions_after_days, else 30d.
    #[arg(long, value_name = "AGE", value_parser = parse_older_than)]
    pub older_than: Option<Duration>,
    /// Only count what would be deleted; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Sessions walked per transaction (Ctrl-C takes effect between batches).
    #[arg(long, value_name = "N", default_value_t = ops::DEFAULT_PURGE_BATCH, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub batch_size: i64,
}

/// `--older-than`: `N` and a unit (m, h, d, w), at least one minute.
pub fn parse_older_than(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "{:?} is not an age; use a whole number and a unit: m (minutes), h (hours), d (days) or w (weeks), e.g. 30d, 12h, 2w",
            crate::sanitize::for_terminal_truncated(t, 40)
        )
    };
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    if n == 0 {
        return Err(format!("{t:?} is zero; the age must be at least 1m"));
    }
    n.checked_mul(secs)
        .filter(|s| *s <= 100 * 365 * 86_400)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{t:?} is more than 100 years"))
}

#[derive(Debug, Serialize)]
struct PurgeJson {
    dry_run: bool,
    cutoff: String,
    /// --dry-run: the sessions that would be deleted now.
    #[serde(skip_serializing_if = "Option::is_none")]
    purgeable: Option<u64>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    outcome: Option<ops::PurgeOutcome>,
}

async fn purge(ctx: &Context, a: PurgeArgs) -> Result<(), Failure> {
    ctx.check(&Operation::PurgeSessions)?;
    let age = match a.older_than {
        Some(d) => d,
        None => match ctx.file.retention.sessions_after_days {
            Some(0) => {
                return Err(Failure::usage(tr!(ctx.tr, "cli-err-retention-off")));
            }
            Some(days) => Duration::from_secs(days.saturating_mul(86_400)),
            None => {
                Duration::from_secs(crate::service::retention::DEFAULT_SESSIONS_AFTER_DAYS * 86_400)
            }
        },
    };
    let store = ctx.store().await?;
    let age = chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX);
    let cutoff = Ts::from(store.now() - age);
    if a.dry_run {
        let n = ops::count_purgeable(&store, &ctx.actor, cutoff).await?;
        if a.json {
            return ctx.print_json(&PurgeJson {
                dry_run: true,
                cutoff: cutoff.rfc3339(),
                purgeable: Some(n),
                outcome: None,
            });
        }
        return ctx.say(tr!(
            ctx.tr,
            "cli-purge-dry-run",
            n = n,
            cutoff = cutoff.rfc3339()
        ));
    }
    ctx.confirm(
        &tr!(ctx.tr, "cli-purge-question", cutoff = cutoff.rfc3339()),
        a.yes,
    )?;
    let interrupted = ctx
        .interrupted
        .clone()
        .unwrap_or_else(|| Arc::new(AtomicBool::new(false)));
    let listener = match ctx.interrupted {
        Some(_) => None,
        None => Some(listen_for_interrupt(interrupted.clone())?),
    };
    let bar = ctx.stderr_tty.then(|| {
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {{pos}} {}  {{per_sec}}  {{msg}}  ({})",
            tr!(ctx.tr, "cli-purge-bar-purged"),
            tr!(ctx.tr, "cli-purge-bar-stop")
        )) {
            bar.set_style(style);
        }
        bar
    });
    let pause = batch_pause();
    let flag = interrupted.clone();
    let progress_bar = bar.clone();
    let mut progress = move |p: ops::PurgeProgress| {
        match &progress_bar {
            Some(b) => {
                b.set_position(p.removed);
                b.set_message(tr!(ctx.tr, "cli-purge-bar-batch", batch = p.batches));
            }
            None if !a.json => {
                let _ = writeln!(
                    ctx.err(),
                    "{}",
                    tr!(
                        ctx.tr,
                        "cli-purge-progress",
                        n = p.removed,
                        batch = p.batches
                    )
                );
            }
            None => {}
        }
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
        !flag.load(Ordering::SeqCst)
    };
    let req = ops::PurgeRequest {
        cutoff,
        batch: a.batch_size,
        pause: Duration::ZERO,
        holder: format!(
            "cli:{}:{}",
            crate::sanitize::for_terminal_truncated(&ctx.actor.operator, 64),
            std::process::id()
        ),
        lease_ttl: crate::service::retention::lease_ttl(&ctx.file.retention)?,
        next_due: None,
        finish_when_stopped: true,
        extra: serde_json::json!({}),
    };
    let result = ops::purge_sessions(&store, &ctx.actor, &req, &mut progress).await;
    if let Some(l) = listener {
        l.abort();
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let out = result?;
    if let Some(busy) = &out.busy
        && out.batches == 0
        && out.resumed_removed == 0
    {
        return Err(Failure::runtime(tr!(
            ctx.tr,
            "cli-err-purge-busy",
            holder = crate::sanitize::for_terminal(busy).into_owned()
        )));
    }
    let (removed, batches, ms, stopped) =
        (out.removed, out.batches, out.duration_ms, out.interrupted);
    let resumed = out.resumed_removed;
    if a.json {
        ctx.print_json(&PurgeJson {
            dry_run: false,
            cutoff: cutoff.rfc3339(),
            purgeable: None,
            outcome: Some(out),
        })?;
    } else {
        if resumed > 0 {
            ctx.say(tr!(ctx.tr, "cli-purge-resumed", n = resumed))?;
        }
        let secs = format!("{:.1}", ms as f64 / 1000.0);
        let cutoff = cutoff.rfc3339();
        ctx.say(if stopped {
            tr!(
                ctx.tr,
                "cli-purge-done-interrupted",
                n = removed,
                cutoff = cutoff,
                batches = batches,
                secs = secs
            )
        } else {
            tr!(
                ctx.tr,
                "cli-purge-done",
                n = removed,
                cutoff = cutoff,
                batches = batches,
                secs = secs
            )
        })?;
    }
    if stopped {
        return Err(Failure::runtime(tr!(ctx.tr, "cli-err-purge-interrupted")));
    }
    Ok(())
}
