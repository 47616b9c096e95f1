//! `wxlogin bindings show | unbind`.

use clap::{ArgGroup, Args, Subcommand};
use serde::Serialize;

use super::{Context, Table, cell, cell_opt, ts, ts_opt};
use crate::exit::Failure;
use crate::store::{BindingQuery, BindingView, UnbindOutcome};
use crate::tr;

#[derive(Debug, Args)]
pub struct BindingsArgs {
    #[command(subcommand)]
    pub command: BindingsCommand,
}

#[derive(Debug, Subcommand)]
pub enum BindingsCommand {
    /// Show which business account a WeChat identity is bound to (or an account's bindings).
    Show(ShowArgs),
    /// Remove a binding and revoke its live sessions; the user binds again at next login.
    Unbind(UnbindArgs),
}

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
#[command(group(ArgGroup::new("who").required(true).args(["openid", "unionid", "username", "account"])))]
pub struct ShowArgs {
    /// The openid (narrow with --appid).
    #[arg(long, value_name = "O")]
    pub openid: Option<String>,
    /// With --openid: only in this mini program.
    #[arg(long, value_name = "A", requires = "openid")]
    pub appid: Option<String>,
    /// Every binding carrying this unionid.
    #[arg(long, value_name = "U")]
    pub unionid: Option<String>,
    #[command(flatten)]
    pub who: super::AccountOpts,
    /// One JSON document: {"bindings": [...]}. Fields in docs/cli-json.md.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
pub struct UnbindArgs {
    /// The mini program.
    #[arg(long, value_name = "A", required = true)]
    pub appid: String,
    /// The openid to unbind.
    #[arg(long, value_name = "O", required = true)]
    pub openid: String,
    #[command(flatten)]
    pub change: super::ChangeOpts,
    /// One JSON document on stdout (fields in docs/cli-json.md).
    #[arg(long)]
    pub json: bool,
}

pub async fn run(ctx: &Context, args: BindingsArgs) -> Result<(), Failure> {
    match args.command {
        BindingsCommand::Show(a) => show(ctx, a).await,
        BindingsCommand::Unbind(a) => unbind(ctx, a).await,
    }
}

/// A binding in JSON output (documented in docs/cli-json.md).
#[derive(Debug, Serialize)]
pub struct BindingJson {
    pub appid: String,
    pub openid: String,
    pub unionid: Option<String>,
    pub account_id: i64,
    pub username: String,
    pub account_disabled_at: Option<String>,
    pub bound_at: String,
    pub last_login_at: Option<String>,
    pub active_sessions: i64,
    /// Bindings of the same account in the same mini program, this one included: more than 1
    /// means a second WeChat user logs in to this account there (the console's extra-bindings
    /// flag).
    pub app_bindings: i64,
}

impl From<&BindingView> for BindingJson {
    fn from(b: &BindingView) -> Self {
        BindingJson {
            appid: b.appid.clone(),
            openid: b.openid.clone(),
            unionid: b.unionid.clone(),
            account_id: b.account_id,
            username: b.username.clone(),
            account_disabled_at: ts_opt(b.account_disabled_at),
            bound_at: ts(b.bound_at),
            last_login_at: ts_opt(b.last_login_at),
            active_sessions: b.active_sessions,
            app_bindings: b.app_bindings,
        }
    }
}

#[derive(Serialize)]
struct ShowJson {
    bindings: Vec<BindingJson>,
}

/// Bindings as a table (shared with `accounts show`).
pub fn bindings_table(ctx: &Context, rows: &[BindingView]) -> Table {
    let mut t = Table::new(&[
        "APPID",
        "OPENID",
        "UNIONID",
        "USERNAME",
        "ACCOUNT",
        "BOUND",
        "LAST LOGIN",
        "LIVE SESSIONS",
    ]);
    for b in rows {
        t.row(vec![
            cell(ctx, &b.appid, 24),
            cell(ctx, &b.openid, 32),
            cell_opt(ctx, b.unionid.as_deref(), 32),
            cell(ctx, &b.username, 24),
            match b.account_disabled_at {
                Some(_) => format!("{} (disabled)", b.account_id),
                None => b.account_id.to_string(),
            },
            ts(b.bound_at),
            ts_opt(b.last_login_at).unwrap_or_else(|| "-".into()),
            b.active_sessions.to_string(),
        ]);
    }
    t
}

async fn show(ctx: &Context, a: ShowArgs) -> Result<(), Failure> {
    let tr = &ctx.tr;
    let (query, what) = if let Some(openid) = a.openid {
        let what = match &a.appid {
            Some(app) => tr!(
                tr,
                "cli-bindings-what-openid-in",
                openid = openid.as_str(),
                appid = app.as_str()
            ),
            None => tr!(tr, "cli-bindings-what-openid", openid = openid.as_str()),
        };
        (
            BindingQuery::OpenId {
                openid,
                appid: a.appid,
            },
            what,
        )
    } else if let Some(u) = a.unionid {
        let what = tr!(tr, "cli-bindings-what-unionid", unionid = u.as_str());
        (BindingQuery::UnionId(u), what)
    } else if let Some(u) = a.who.username {
        let what = tr!(tr, "cli-bindings-what-username", username = u.as_str());
        (BindingQuery::Username(u), what)
    } else if let Some(id) = a.who.account {
        (
            BindingQuery::AccountId(id),
            tr!(tr, "cli-bindings-what-account", id = id),
        )
    } else {
        return Err(Failure::usage(tr!(tr, "cli-err-bindings-whose")));
    };
    let store = ctx.store().await?;
    let rows = store.find_bindings(&query).await?;
    if rows.is_empty() {
        return Err(Failure::nothing_matched(tr!(
            tr,
            "cli-err-no-binding-for",
            what = crate::sanitize::for_terminal(&what).into_owned()
        )));
    }
    if a.json {
        return ctx.print_json(&ShowJson {
            bindings: rows.iter().map(BindingJson::from).collect(),
        });
    }
    bindings_table(ctx, &rows).print(ctx)
}

#[derive(Serialize)]
struct UnbindJson {
    appid: String,
    openid: String,
    account_id: i64,
    username: String,
    sessions_revoked: u64,
}

impl From<UnbindOutcome> for UnbindJson {
    fn from(o: UnbindOutcome) -> Self {
        UnbindJson {
            appid: o.appid,
            openid: o.openid,
            account_id: o.account_id,
            username: o.username,
            sessions_revoked: o.sessions_revoked,
        }
    }
}

async fn unbind(ctx: &Context, a: UnbindArgs) -> Result<(), Failure> {
    let reason = a.change.reason(&ctx.tr)?;
    let reason = reason.as_str();
    ctx.check(&crate::ops::Operation::Unbind)?;
    let store = ctx.store().await?;
    let target = crate::tr!(
        ctx.tr,
        "cli-unbind-target",
        openid = crate::sanitize::for_terminal(&a.openid),
        appid = crate::sanitize::for_terminal(&a.appid)
    );
    let found = store
        .find_bindings(&BindingQuery::OpenId {
            openid: a.openid.clone(),
            appid: Some(a.appid.clone()),
        })
        .await?;
    let tr = &ctx.tr;
    let Some(b) = found.first() else {
        return Err(Failure::nothing_matched(crate::tr!(
            tr,
            "cli-unbind-no-binding",
            target = target.as_str()
        )));
    };
    ctx.confirm(
        &crate::tr!(
            tr,
            "cli-unbind-confirm",
            target = target.as_str(),
            username = crate::sanitize::for_terminal(&b.username),
            id = b.account_id.to_string(),
            live = b.active_sessions
        ),
        a.change.yes,
    )?;
    let outcome = match crate::ops::unbind(&store, &ctx.actor, &a.appid, &a.openid, reason).await {
        Ok(o) => o,
        Err(crate::ops::OpsError::NothingMatched(_)) => {
            return Err(Failure::nothing_matched(crate::tr!(
                tr,
                "cli-unbind-raced",
                target = target.as_str()
            )));
        }
        Err(e) => return Err(e.into()),
    };
    if a.json {
        return ctx.print_json(&UnbindJson::from(outcome));
    }
    ctx.say(crate::tr!(
        tr,
        "cli-unbound",
        target = target.as_str(),
        username = crate::sanitize::for_terminal(&outcome.username),
        id = outcome.account_id.to_string(),
        revoked = outcome.sessions_revoked
    ))
}
