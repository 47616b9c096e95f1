//! `wxlogin exchange`: a test code2Session from the command line, explained.
//!
//! The code and the session_key are secrets: the code is used once and never printed, logged
//! or audited; the session_key is shown masked only.

use clap::Args;
use serde::Serialize;

use super::bindings::BindingJson;
use super::{Context, WechatErrorJson, cell, cell_opt, read_secret_line};
use crate::exit::Failure;
use crate::ops;
use crate::secret::Secret;
use crate::tr;
use crate::wechat::{WechatClient, WechatConfig, WechatError};

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
pub struct ExchangeArgs {
    /// The mini program; may be left out when exactly one is configured.
    #[arg(long, value_name = "A")]
    pub appid: Option<String>,
    /// The code from wx.login(). Prefer --code-stdin: a command line is visible to other users.
    #[arg(
        value_name = "CODE",
        help_heading = "Arguments",
        required_unless_present = "code_stdin",
        conflicts_with = "code_stdin"
    )]
    pub code: Option<String>,
    /// Read the code from stdin (not echoed on a terminal).
    #[arg(long)]
    pub code_stdin: bool,
    /// One JSON document on stdout (fields in docs/cli-json.md).
    #[arg(long)]
    pub json: bool,
}

/// The exchange result in JSON output (documented in docs/cli-json.md).
#[derive(Debug, Serialize)]
struct ExchangeJson {
    appid: String,
    ok: bool,
    latency_ms: u64,
    openid: Option<String>,
    unionid: Option<String>,
    session_key_masked: Option<String>,
    bound: bool,
    bindings: Vec<BindingJson>,
    error: Option<WechatErrorJson>,
}

fn read_code(ctx: &Context, a: &ExchangeArgs) -> Result<Secret, Failure> {
    let code = if a.code_stdin {
        read_secret_line(ctx, &tr!(ctx.tr, "cli-exchange-code-prompt"), "the code")?
    } else {
        Secret::new(a.code.clone().unwrap_or_default())
    };
    let trimmed = Secret::new(code.expose().trim());
    if trimmed.is_empty() {
        return Err(Failure::usage(tr!(ctx.tr, "cli-exchange-no-code")));
    }
    Ok(trimmed)
}

/// A configuration problem found before any request: which exit code it gets, said in the
/// operator's language.
fn config_failure(ctx: &Context, e: &WechatError) -> Failure {
    let said = crate::present::wechat::error_line(&ctx.tr, e);
    match e {
        WechatError::UnknownApp { .. } | WechatError::AmbiguousApp { .. } => Failure::usage(said),
        _ => Failure::runtime(said),
    }
}

pub async fn run(ctx: &Context, a: ExchangeArgs) -> Result<(), Failure> {
    ctx.check(&ops::Operation::TestExchange)?;
    let code = read_code(ctx, &a)?;
    let config = WechatConfig::resolve(&ctx.file)?;
    let appid = config
        .app(a.appid.as_deref())
        .map_err(|e| config_failure(ctx, &e))?
        .appid
        .clone();
    let client = WechatClient::new(config).map_err(|e| config_failure(ctx, &e))?;
    let store = ctx.store().await?;

    let report = ops::test_exchange(&store, &client, &ctx.actor, &appid, code, None).await?;
    let bindings = report.bindings?;
    let out = ExchangeJson {
        appid: appid.clone(),
        ok: report.answer.is_ok(),
        latency_ms: report.latency.as_millis() as u64,
        openid: report.answer.as_ref().ok().map(|s| s.openid.clone()),
        unionid: report.answer.as_ref().ok().and_then(|s| s.unionid.clone()),
        session_key_masked: report
            .answer
            .as_ref()
            .ok()
            .map(|s| s.session_key_masked.clone()),
        bound: !bindings.is_empty(),
        bindings: bindings.iter().map(BindingJson::from).collect(),
        error: report.answer.as_ref().err().map(WechatErrorJson::from),
    };
    if a.json {
        ctx.print_json(&out)?;
    } else {
        print_human(
            ctx,
            &out,
            client
                .config()
                .apps
                .iter()
                .find(|p| p.appid == appid)
                .and_then(|p| p.name.as_deref()),
        )?;
    }
    match report.answer {
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::runtime(tr!(
            ctx.tr,
            "cli-exchange-call-failed",
            error = crate::present::wechat::error_line(&ctx.tr, &e)
        ))),
    }
}

fn print_human(ctx: &Context, out: &ExchangeJson, app_name: Option<&str>) -> Result<(), Failure> {
    let tr = &ctx.tr;
    let line = |k: &str, v: String| ctx.say(format!("{} {v}", super::pad(k, 12)));
    let app = match app_name {
        Some(n) => format!("{} ({})", cell(ctx, &out.appid, 64), cell(ctx, n, 64)),
        None => cell(ctx, &out.appid, 64),
    };
    line("appid", app)?;
    match &out.error {
        None => {
            line(
                &tr!(tr, "cli-label-result"),
                tr!(tr, "cli-exchange-ok-in", ms = out.latency_ms.to_string()),
            )?;
            line("openid", cell_opt(ctx, out.openid.as_deref(), 128))?;
            line(
                "unionid",
                match &out.unionid {
                    Some(u) => cell(ctx, u, 128),
                    None => tr!(tr, "cli-exchange-no-unionid"),
                },
            )?;
            line(
                "session_key",
                out.session_key_masked.clone().unwrap_or_default(),
            )?;
            if out.bindings.is_empty() {
                line(
                    &tr!(tr, "cli-label-bound"),
                    tr!(tr, "cli-exchange-not-bound"),
                )?;
            }
            for b in &out.bindings {
                line(
                    &tr!(tr, "cli-label-bound"),
                    tr!(
                        tr,
                        "cli-exchange-bound-yes",
                        username = cell(ctx, &b.username, 64),
                        id = b.account_id.to_string(),
                        disabled = if b.account_disabled_at.is_some() {
                            tr!(tr, "cli-exchange-disabled")
                        } else {
                            String::new()
                        },
                        since = b.bound_at.clone(),
                        last = b.last_login_at.clone().unwrap_or_else(|| "-".into()),
                        sessions = b.active_sessions.to_string()
                    ),
                )?;
            }
        }
        Some(e) => {
            line(
                &tr!(tr, "cli-label-result"),
                tr!(
                    tr,
                    "cli-exchange-failed-after",
                    ms = out.latency_ms.to_string()
                ),
            )?;
            line(&tr!(tr, "cli-label-meaning"), e.said(tr).0)?;
            e.print_details(ctx)?;
        }
    }
    Ok(())
}
