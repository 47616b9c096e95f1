//! `wxlogin accounts create | show | disable | unlock | set-password`: business accounts.

use crate::ops::{self, Operation};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::{Context, cell, cell_opt, read_secret_line, ts, ts_opt};
use crate::exit::Failure;
use crate::i18n::Tr;
use crate::present::history::{event_detail, event_name};
use crate::present::limits::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use crate::secret::Secret;
use crate::store::{Account, NewAccount, SessionFilter};
use crate::tr;

#[derive(Debug, Args)]
pub struct AccountsArgs {
    #[command(subcommand)]
    pub command: AccountsCommand,
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Create a business account. The password is read from a prompt on a terminal (asked
    /// twice, not echoed) or as one line from stdin, never from the command line.
    Create(CreateArgs),
    /// Show an account and its WeChat bindings.
    Show(ShowArgs),
    /// Disable an account and revoke all its live sessions.
    Disable(DisableArgs),
    /// Open an account's password path again after too many wrong passwords (the shared
    /// login limiter's lock), at once and from every address.
    Unlock(UnlockArgs),
    /// Set a new password for an account and revoke all its live sessions (one transaction,
    /// audited). The support role must add --unbind-all (every binding removed, so the owner's
    /// phones need the new password); keeping the bindings needs oncall. The password is read
    /// from a prompt on a terminal (asked twice, not echoed) or as one line from stdin, never
    /// from the command line.
    SetPassword(SetPasswordArgs),
    /// Every event of an account, newest first: bindings made (when, appid, openid, client
    /// address), unbinds (who, why), sessions created and revoked, password resets, disable,
    /// unlock.
    History(HistoryArgs),
}

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
#[command(group(clap::ArgGroup::new("which").required(true).args(["username", "account"])))]
pub struct HistoryArgs {
    /// The account's username (or give --account ID).
    #[arg(help_heading = "Arguments")]
    pub username: Option<String>,
    /// The account by numeric id, as `--account` is everywhere else (instead of USERNAME).
    #[arg(long, value_name = "ID", value_parser = history_account_id)]
    pub account: Option<i64>,
    /// At most this many events (the newest).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub limit: i64,
    /// One JSON document: {"account": {...}, "events": [...]}, newest first.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
pub struct SetPasswordArgs {
    /// The account's username.
    #[arg(help_heading = "Arguments")]
    pub username: String,
    /// Also remove every WeChat binding of the account, so that every phone needs the new
    /// password at its next login (for a password someone else knew). Required for the
    /// support role: a reset that keeps the bindings needs oncall.
    #[arg(long)]
    pub unbind_all: bool,
    #[command(flatten)]
    pub change: super::ChangeOpts,
    /// One JSON document on stdout: {"account_id", "username", "sessions_revoked",
    /// "bindings_removed"}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
pub struct UnlockArgs {
    /// The account's username.
    #[arg(help_heading = "Arguments")]
    pub username: String,
    #[command(flatten)]
    pub change: super::ChangeOpts,
    /// One JSON document on stdout: {"username", "windows_cleared"}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
pub struct CreateArgs {
    /// 1 to 64 letters, digits, '_', '-', '.' or '@'.
    #[arg(help_heading = "Arguments")]
    pub username: String,
    /// Name shown to operators.
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
    /// One JSON document on stdout (fields in docs/cli-json.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
pub struct ShowArgs {
    /// The account's username.
    #[arg(help_heading = "Arguments")]
    pub username: String,
    /// One JSON document: {"account": {...}, "bindings": [...]}. Fields in docs/cli-json.md.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
pub struct DisableArgs {
    /// The account's username.
    #[arg(help_heading = "Arguments")]
    pub username: String,
    #[command(flatten)]
    pub change: super::ChangeOpts,
    /// One JSON document on stdout (fields in docs/cli-json.md).
    #[arg(long)]
    pub json: bool,
}

pub async fn run(ctx: &Context, args: AccountsArgs) -> Result<(), Failure> {
    match args.command {
        AccountsCommand::Create(a) => create(ctx, a).await,
        AccountsCommand::Show(a) => show(ctx, a).await,
        AccountsCommand::Disable(a) => disable(ctx, a).await,
        AccountsCommand::Unlock(a) => unlock(ctx, a).await,
        AccountsCommand::SetPassword(a) => set_password(ctx, a).await,
        AccountsCommand::History(a) => history(ctx, a).await,
    }
}

/// An account in JSON output (documented in docs/cli-json.md). Never the password hash.
#[derive(Debug, Serialize)]
pub struct AccountJson {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    pub created_at: String,
    pub disabled_at: Option<String>,
}

impl From<&Account> for AccountJson {
    fn from(a: &Account) -> Self {
        AccountJson {
            id: a.id,
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            created_at: ts(a.created_at),
            disabled_at: ts_opt(a.disabled_at),
        }
    }
}

fn check_password(tr: &Tr, p: &Secret) -> Result<(), Failure> {
    let n = p.expose().chars().count();
    if n == 0 {
        return Err(Failure::usage(tr!(tr, "cli-password-none")));
    }
    if n < MIN_PASSWORD_CHARS {
        return Err(Failure::usage(tr!(
            tr,
            "cli-password-too-short",
            n = n.to_string(),
            min = MIN_PASSWORD_CHARS.to_string()
        )));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(Failure::usage(tr!(
            tr,
            "cli-password-too-long",
            n = n.to_string(),
            max = MAX_PASSWORD_CHARS.to_string()
        )));
    }
    Ok(())
}

fn read_new_password(ctx: &Context, username: &str) -> Result<Secret, Failure> {
    let tr = &ctx.tr;
    let prompt = format!(
        "{} ",
        tr!(
            tr,
            "cli-password-prompt",
            username = crate::sanitize::for_terminal(username)
        )
    );
    let first = read_secret_line(ctx, &prompt, "the password")?;
    check_password(tr, &first)?;
    if ctx.stdin_tty {
        let again = read_secret_line(
            ctx,
            &format!("{} ", tr!(tr, "cli-password-repeat")),
            "the repeated password",
        )?;
        if again.expose() != first.expose() {
            return Err(Failure::usage(tr!(tr, "cli-password-differ")));
        }
    }
    Ok(first)
}

async fn hash_new_password(password: Secret) -> Result<String, Failure> {
    tokio::task::spawn_blocking(move || crate::crypto::hash_password(password.expose()))
        .await
        .map_err(|e| Failure::runtime(format!("password hashing stopped: {e}")))?
        .map_err(|e| Failure::runtime(e.to_string()))
}

async fn create(ctx: &Context, a: CreateArgs) -> Result<(), Failure> {
    ctx.check(&Operation::CreateAccount)?;
    // Say a username is unusable before asking for a password.
    crate::store::validate_username(&a.username).map_err(|e| Failure::usage(e.to_string()))?;
    let store = ctx.store().await?;
    if store.account_by_username(&a.username).await?.is_some() {
        return Err(Failure::refused(tr!(
            ctx.tr,
            "cli-account-exists",
            username = crate::sanitize::for_terminal(&a.username)
        )));
    }
    let password = read_new_password(ctx, &a.username)?;
    let hash = hash_new_password(password).await?;
    let new = NewAccount {
        username: a.username,
        password_hash: hash,
        display_name: a.display_name.filter(|d| !d.trim().is_empty()),
    };
    let account = ops::create_account(&store, &ctx.actor, &new)
        .await
        .map_err(|e| match e {
            // A concurrent create of the same name.
            ops::OpsError::Store(crate::store::StoreError::Conflict(m)) => Failure::usage(m),
            other => other.into(),
        })?;
    if a.json {
        return ctx.print_json(&AccountJson::from(&account));
    }
    ctx.say(tr!(
        ctx.tr,
        "cli-account-created",
        username = cell(ctx, &account.username, 64),
        id = account.id.to_string()
    ))
}

#[derive(Serialize)]
struct ShowJson {
    account: AccountJson,
    bindings: Vec<super::bindings::BindingJson>,
}

async fn show(ctx: &Context, a: ShowArgs) -> Result<(), Failure> {
    let store = ctx.store().await?;
    let Some(acc) = store.account_by_username(&a.username).await? else {
        return Err(not_found(&ctx.tr, &a.username));
    };
    let Some(detail) = store.account_detail(acc.id).await? else {
        return Err(not_found(&ctx.tr, &a.username));
    };
    if a.json {
        return ctx.print_json(&ShowJson {
            account: AccountJson::from(&detail.account),
            bindings: detail
                .bindings
                .iter()
                .map(super::bindings::BindingJson::from)
                .collect(),
        });
    }
    let acc = &detail.account;
    let tr = &ctx.tr;
    let line =
        |label: String, value: String| ctx.say(format!("{} {value}", super::pad(&label, 14)));
    line(
        tr!(tr, "cli-account-field-username"),
        cell(ctx, &acc.username, 64),
    )?;
    line(tr!(tr, "cli-account-field-id"), acc.id.to_string())?;
    line(
        tr!(tr, "cli-account-field-display-name"),
        cell_opt(ctx, acc.display_name.as_deref(), 64),
    )?;
    line(tr!(tr, "cli-account-field-created"), ts(acc.created_at))?;
    line(
        tr!(tr, "cli-account-field-disabled"),
        ts_opt(acc.disabled_at).unwrap_or_else(|| tr!(tr, "common-no")),
    )?;
    if detail.bindings.is_empty() {
        return ctx.say(tr!(tr, "cli-account-no-bindings"));
    }
    ctx.say("")?;
    super::bindings::bindings_table(ctx, &detail.bindings).print(ctx)
}

#[derive(Serialize)]
struct HistoryJson {
    account: AccountJson,
    events: Vec<HistoryEventJson>,
}

/// One event of `accounts history --json` (documented in docs/cli-json.md): the store's
/// event with its time in whole seconds, as every timestamp of the CLI's JSON.
#[derive(Serialize)]
struct HistoryEventJson {
    at: String,
    source: crate::store::HistorySource,
    action: String,
    actor: Option<String>,
    role: Option<String>,
    origin: Option<String>,
    target: String,
    reason: Option<String>,
    appid: Option<String>,
    openid: Option<String>,
    session: Option<String>,
    detail: serde_json::Value,
}

impl From<crate::store::HistoryEvent> for HistoryEventJson {
    fn from(e: crate::store::HistoryEvent) -> Self {
        HistoryEventJson {
            at: ts(e.at),
            source: e.source,
            action: e.action,
            actor: e.actor,
            role: e.role,
            origin: e.origin,
            target: e.target,
            reason: e.reason,
            appid: e.appid,
            openid: e.openid,
            session: e.session,
            detail: e.detail,
        }
    }
}

async fn history(ctx: &Context, a: HistoryArgs) -> Result<(), Failure> {
    let store = ctx.store().await?;
    let acc = match (&a.username, a.account) {
        (Some(name), _) => store
            .account_by_username(name)
            .await?
            .ok_or_else(|| not_found(&ctx.tr, name))?,
        (None, Some(id)) => store.account_by_id(id).await?.ok_or_else(|| {
            Failure::nothing_matched(tr!(ctx.tr, "cli-err-no-account-id-history", id = id))
        })?,
        (None, None) => {
            return Err(Failure::usage(tr!(ctx.tr, "cli-err-history-whose")));
        }
    };
    // Page by page with the same keyset store function as the console.
    let mut events = Vec::new();
    let mut after = None;
    while (events.len() as i64) < a.limit {
        let page = store
            .account_history(acc.id, after, (a.limit - events.len() as i64).min(500))
            .await?;
        events.extend(page.rows);
        after = page.next;
        if after.is_none() {
            break;
        }
    }
    events.truncate(a.limit as usize);
    // Retention: say where older sessions were removed instead of silently showing less.
    let purged_before = store.sessions_purged_before().await?;
    if a.json {
        let mut doc = serde_json::to_value(HistoryJson {
            account: AccountJson::from(&acc),
            events: events.into_iter().map(HistoryEventJson::from).collect(),
        })
        .map_err(|e| Failure::runtime(e.to_string()))?;
        if let Some(p) = purged_before {
            doc["sessions_removed_before"] = serde_json::json!(ts(p));
        }
        return ctx.print_json(&doc);
    }
    if events.is_empty() && purged_before.is_none() {
        return ctx.say(tr!(ctx.tr, "cli-history-empty"));
    }
    for e in &events {
        ctx.say(format!(
            "{}  {} {}",
            ts(e.at),
            super::pad(&event_name(&ctx.tr, e), 16),
            event_detail(&ctx.tr, e)
        ))?;
    }
    if let Some(p) = purged_before {
        ctx.say(crate::present::history::retention_note(&ctx.tr, p))?;
    }
    Ok(())
}

fn not_found(tr: &Tr, username: &str) -> Failure {
    Failure::nothing_matched(tr!(
        tr,
        "cli-account-not-found",
        username = crate::sanitize::for_terminal(username)
    ))
}

#[derive(Serialize)]
struct DisableJson {
    account_id: i64,
    username: String,
    sessions_revoked: u64,
}

async fn unlock(ctx: &Context, a: UnlockArgs) -> Result<(), Failure> {
    let reason = a.change.reason(&ctx.tr)?;
    ctx.check(&Operation::UnlockAccount)?;
    let store = ctx.store().await?;
    let Some(acc) = store.account_by_username(&a.username).await? else {
        return Err(not_found(&ctx.tr, &a.username));
    };
    let name = crate::sanitize::for_terminal(&acc.username).into_owned();
    ctx.confirm(
        &tr!(
            ctx.tr,
            "cli-unlock-confirm",
            username = name.as_str(),
            id = acc.id.to_string()
        ),
        a.change.yes,
    )?;
    let cleared = ops::unlock_account(&store, &ctx.actor, &acc.username, &reason).await?;
    if a.json {
        return ctx.print_json(&serde_json::json!({
            "username": acc.username,
            "windows_cleared": cleared,
        }));
    }
    ctx.say(if cleared == 0 {
        tr!(ctx.tr, "cli-unlock-not-locked", username = name.as_str())
    } else {
        tr!(ctx.tr, "cli-unlocked", username = name.as_str())
    })
}

async fn disable(ctx: &Context, a: DisableArgs) -> Result<(), Failure> {
    let reason = a.change.reason(&ctx.tr)?;
    let reason = reason.as_str();
    ctx.check(&Operation::DisableAccount)?;
    let store = ctx.store().await?;
    let Some(acc) = store.account_by_username(&a.username).await? else {
        return Err(not_found(&ctx.tr, &a.username));
    };
    let name = crate::sanitize::for_terminal(&acc.username).into_owned();
    if acc.disabled_at.is_some() {
        return Err(Failure::nothing_matched(tr!(
            ctx.tr,
            "cli-disable-already",
            username = name.as_str()
        )));
    }
    let live = store
        .count_sessions(&SessionFilter {
            account_id: Some(acc.id),
            ..Default::default()
        })
        .await?;
    ctx.confirm(
        &tr!(
            ctx.tr,
            "cli-disable-confirm",
            username = name.as_str(),
            id = acc.id.to_string(),
            live = live
        ),
        a.change.yes,
    )?;
    let Some(revoked) = ops::disable_account(&store, &ctx.actor, acc.id, reason).await? else {
        return Err(Failure::nothing_matched(tr!(
            ctx.tr,
            "cli-disable-raced",
            username = name.as_str()
        )));
    };
    if a.json {
        return ctx.print_json(&DisableJson {
            account_id: acc.id,
            username: acc.username,
            sessions_revoked: revoked,
        });
    }
    ctx.say(tr!(
        ctx.tr,
        "cli-disabled",
        username = name.as_str(),
        id = acc.id.to_string(),
        revoked = revoked
    ))
}

async fn set_password(ctx: &Context, a: SetPasswordArgs) -> Result<(), Failure> {
    let reason = a.change.reason(&ctx.tr)?;
    ctx.check(&Operation::SetPassword {
        keep_bindings: !a.unbind_all,
    })?;
    let store = ctx.store().await?;
    let Some(acc) = store.account_by_username(&a.username).await? else {
        return Err(not_found(&ctx.tr, &a.username));
    };
    let name = crate::sanitize::for_terminal(&acc.username).into_owned();
    let live = store
        .count_sessions(&SessionFilter {
            account_id: Some(acc.id),
            ..Default::default()
        })
        .await?;
    let unbind = if a.unbind_all {
        tr!(ctx.tr, "cli-set-password-unbind")
    } else {
        String::new()
    };
    // Confirm before the password is asked for: a refusal then costs nobody any typing.
    ctx.confirm(
        &tr!(
            ctx.tr,
            "cli-set-password-confirm",
            username = name.as_str(),
            id = acc.id.to_string(),
            live = live,
            unbind = unbind
        ),
        a.change.yes,
    )?;
    let password = read_new_password(ctx, &acc.username)?;
    let hash = hash_new_password(password).await?;
    let done = ops::set_password(&store, &ctx.actor, acc.id, &hash, a.unbind_all, &reason).await?;
    if a.json {
        return ctx.print_json(&serde_json::json!({
            "account_id": acc.id,
            "username": acc.username,
            "sessions_revoked": done.sessions_revoked,
            "bindings_removed": done.bindings_removed,
        }));
    }
    let mut line = tr!(
        ctx.tr,
        "cli-password-was-set",
        username = name.as_str(),
        id = acc.id.to_string(),
        revoked = done.sessions_revoked
    );
    if a.unbind_all {
        line.push_str(&tr!(
            ctx.tr,
            "cli-password-bindings-removed",
            removed = done.bindings_removed
        ));
    }
    ctx.say(line)
}

/// `accounts history --account` takes the id; a username goes without the flag.
fn history_account_id(text: &str) -> Result<i64, String> {
    super::account_number(text, "`accounts history ")
        .map_err(|e| format!("{e}` (without --account)"))
}
