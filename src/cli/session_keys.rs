//! `wxlogin sessions check-key | reset-key`: is a session's stored WeChat session_key still the
//! user's current one (checkSessionKey), and if not, a new one (resetUserSessionKey).
//!
//! Support's "login works but decrypting the user's data fails": the mini program called
//! `wx.login()` again, WeChat replaced the key, and the one we stored is stale. `check-key`
//! says so (exit 3); `reset-key` has WeChat issue a new key and stores it on the user's
//! sessions that held the old one, with its audit row in the same transaction.
//!
//! Keys are shown masked only; the access token and the signature are never shown. Both
//! commands write an audit row (the check as a WeChat call, like `exchange`), so both are
//! refused under `--read-only`.

use clap::Args;
use serde::Serialize;

use super::{Context, WechatErrorJson, cell, ts};
use crate::crypto::DataKey;
use crate::exit::{Code, Failure};
use crate::ops;
use crate::present::wechat::error_line;
use crate::store::{Store, Ts};
use crate::tr;
use crate::wechat::{KeyCheck, WechatClient, WechatConfig, WechatError};

#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 the key is valid (check-key) or was reset (reset-key), 1 runtime error \
(database, WeChat), 2 usage error, 3 the stored key is stale (87009: the user logged in again or \
the key expired) or there is no such session, 4 refused (read-only, no confirmation).",
    next_help_heading = "Command options"
)]
pub struct CheckKeyArgs {
    /// Public session id (ses_…).
    #[arg(value_name = "PUBLIC_ID", help_heading = "Arguments")]
    pub public_id: String,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 reset and stored, 1 runtime error (database, WeChat), 2 usage error, \
3 the stored key is already stale (87009: only the user logging in again helps) or there is no \
such session, 4 refused (read-only, no confirmation).",
    next_help_heading = "Command options"
)]
pub struct ResetKeyArgs {
    /// Public session id (ses_…).
    #[arg(value_name = "PUBLIC_ID", help_heading = "Arguments")]
    pub public_id: String,
    #[command(flatten)]
    pub change: super::ChangeOpts,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The output of `check-key`.
#[derive(Debug, Serialize)]
struct CheckJson {
    public_id: String,
    appid: String,
    openid: String,
    /// `valid`, `stale` (87009) or `error`.
    status: &'static str,
    session_key_masked: String,
    session_revoked: bool,
    session_expires_at: String,
    latency_ms: u64,
    error: Option<WechatErrorJson>,
}

/// The output of `reset-key`.
#[derive(Debug, Serialize)]
struct ResetJson {
    public_id: String,
    appid: String,
    openid: String,
    ok: bool,
    old_session_key_masked: String,
    new_session_key_masked: Option<String>,
    /// Sessions of the user that held the old key and now hold the new one.
    sessions_updated: Vec<String>,
    latency_ms: u64,
    error: Option<WechatErrorJson>,
}

fn data_key(ctx: &Context) -> Result<DataKey, Failure> {
    crate::config::data_key(&ctx.file)?
        .ok_or_else(|| Failure::usage(tr!(ctx.tr, "cli-key-no-data-key")))
}

/// The WeChat client for the app a session belongs to.
async fn client_for(
    ctx: &Context,
    store: &Store,
    public_id: &str,
) -> Result<WechatClient, Failure> {
    let Some(s) = store.session_by_public_id(public_id).await? else {
        return Err(Failure::nothing_matched(tr!(
            ctx.tr,
            "present-err-no-public-id",
            id = crate::sanitize::for_terminal(public_id).into_owned()
        )));
    };
    let config = WechatConfig::resolve(&ctx.file)?;
    let said = |e: WechatError| Failure::runtime(error_line(&ctx.tr, &e));
    config.app(Some(&s.appid)).map_err(said)?;
    WechatClient::new(config).map_err(said)
}

pub async fn check_key(ctx: &Context, a: CheckKeyArgs) -> Result<(), Failure> {
    ctx.check(&ops::Operation::CheckSessionKey)?;
    let key = data_key(ctx)?;
    let store = ctx.store().await?;
    let client = client_for(ctx, &store, &a.public_id).await?;
    let r = ops::check_session_key(&store, &client, &key, &ctx.actor, &a.public_id).await?;
    let (status, error) = match &r.answer {
        Ok(KeyCheck::Valid) => ("valid", None),
        Ok(KeyCheck::Stale(api)) => (
            "stale",
            Some(WechatErrorJson::from(&WechatError::StaleSessionKey(
                api.clone(),
            ))),
        ),
        Err(e) => ("error", Some(WechatErrorJson::from(e))),
    };
    let out = CheckJson {
        public_id: r.session.public_id.clone(),
        appid: r.session.appid.clone(),
        openid: r.session.openid.clone(),
        status,
        session_key_masked: r.session_key_masked.clone(),
        session_revoked: r.session.revoked,
        session_expires_at: ts(r.session.expires_at),
        latency_ms: r.latency.as_millis() as u64,
        error,
    };
    if a.json {
        ctx.print_json(&out)?;
    } else {
        let now = Ts::from(store.now());
        print_check(ctx, &out, r.session.expires_at <= now)?;
    }
    match r.answer {
        Ok(KeyCheck::Valid) => Ok(()),
        Ok(KeyCheck::Stale(_)) => Err(Failure::new(
            Code::NothingMatched,
            tr!(ctx.tr, "cli-key-stale"),
        )),
        Err(e) => Err(Failure::runtime(tr!(
            ctx.tr,
            "cli-key-check-failed",
            error = error_line(&ctx.tr, &e)
        ))),
    }
}

/// One `label value` line, the label padded to 12 terminal columns (a CJK character takes two).
fn line(ctx: &Context, label: &str, value: String) -> Result<(), Failure> {
    ctx.say(format!("{} {value}", super::pad(label, 12)))
}

/// The lines both commands start with: which session of which user.
fn print_session(ctx: &Context, public_id: &str, appid: &str, openid: &str) -> Result<(), Failure> {
    line(
        ctx,
        &tr!(ctx.tr, "cli-key-label-session"),
        cell(ctx, public_id, 64),
    )?;
    line(ctx, "appid", cell(ctx, appid, 64))?;
    line(ctx, "openid", cell(ctx, openid, 128))
}

fn print_check(ctx: &Context, out: &CheckJson, expired: bool) -> Result<(), Failure> {
    let tr = &ctx.tr;
    let ms = out.latency_ms.to_string();
    print_session(ctx, &out.public_id, &out.appid, &out.openid)?;
    line(ctx, "session_key", out.session_key_masked.clone())?;
    let state = match (out.session_revoked, expired) {
        (true, _) => tr!(tr, "cli-key-session-revoked"),
        (false, true) => tr!(tr, "cli-key-session-expired"),
        _ => String::new(),
    };
    line(
        ctx,
        &tr!(tr, "cli-key-label-expires"),
        format!("{}{state}", out.session_expires_at),
    )?;
    let result = tr!(tr, "cli-label-result");
    match &out.error {
        None => line(ctx, &result, tr!(tr, "cli-key-valid", ms = ms))?,
        Some(e) => {
            let meaning = e.said(tr).0;
            let text = if out.status == "stale" {
                tr!(tr, "cli-key-check-stale", meaning = meaning, ms = ms)
            } else {
                tr!(tr, "cli-key-check-error", meaning = meaning, ms = ms)
            };
            line(ctx, &result, text)?;
            e.print_details(ctx)?;
        }
    }
    Ok(())
}

pub async fn reset_key(ctx: &Context, a: ResetKeyArgs) -> Result<(), Failure> {
    ctx.check(&ops::Operation::ResetSessionKey)?;
    let reason = a.change.reason(&ctx.tr)?;
    let key = data_key(ctx)?;
    let store = ctx.store().await?;
    let client = client_for(ctx, &store, &a.public_id).await?;
    let Some(s) = store.session_by_public_id(&a.public_id).await? else {
        return Err(Failure::nothing_matched(tr!(
            ctx.tr,
            "cli-key-session-gone"
        )));
    };
    ctx.confirm(
        &crate::tr!(
            ctx.tr,
            "cli-reset-key-confirm",
            id = crate::sanitize::for_terminal(&s.public_id),
            openid = crate::sanitize::for_terminal_truncated(&s.openid, 64),
            appid = crate::sanitize::for_terminal_truncated(&s.appid, 64)
        ),
        a.change.yes,
    )?;
    let r =
        ops::reset_session_key(&store, &client, &key, &ctx.actor, &a.public_id, &reason).await?;
    let mut out = ResetJson {
        public_id: r.session.public_id.clone(),
        appid: r.session.appid.clone(),
        openid: r.session.openid.clone(),
        ok: r.answer.is_ok(),
        old_session_key_masked: r.old_key_masked.clone(),
        new_session_key_masked: None,
        sessions_updated: Vec::new(),
        latency_ms: r.latency.as_millis() as u64,
        error: None,
    };
    match &r.answer {
        Ok((masked, updated)) => {
            out.new_session_key_masked = Some(masked.clone());
            out.sessions_updated = updated.clone();
        }
        Err(e) => out.error = Some(WechatErrorJson::from(e)),
    }
    if a.json {
        ctx.print_json(&out)?;
    } else {
        print_reset(ctx, &out)?;
    }
    match r.answer {
        Ok(_) => Ok(()),
        Err(WechatError::StaleSessionKey(_)) => Err(Failure::new(
            Code::NothingMatched,
            tr!(ctx.tr, "cli-key-reset-stale"),
        )),
        Err(e) => Err(Failure::runtime(tr!(
            ctx.tr,
            "cli-key-reset-call-failed",
            error = error_line(&ctx.tr, &e)
        ))),
    }
}

fn print_reset(ctx: &Context, out: &ResetJson) -> Result<(), Failure> {
    let tr = &ctx.tr;
    let ms = out.latency_ms.to_string();
    print_session(ctx, &out.public_id, &out.appid, &out.openid)?;
    line(
        ctx,
        &tr!(tr, "cli-key-label-old-key"),
        out.old_session_key_masked.clone(),
    )?;
    let result = tr!(tr, "cli-label-result");
    match &out.error {
        None => {
            line(
                ctx,
                &tr!(tr, "cli-key-label-new-key"),
                out.new_session_key_masked.clone().unwrap_or_default(),
            )?;
            line(
                ctx,
                &tr!(tr, "cli-key-label-stored-on"),
                tr!(
                    tr,
                    "cli-key-stored-on",
                    count = out.sessions_updated.len(),
                    ids = out
                        .sessions_updated
                        .iter()
                        .map(|p| cell(ctx, p, 64))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )?;
            line(ctx, &result, tr!(tr, "cli-key-reset-done", ms = ms))?;
        }
        Some(e) => {
            line(
                ctx,
                &result,
                tr!(tr, "cli-key-reset-failed", meaning = e.said(tr).0, ms = ms),
            )?;
            e.print_details(ctx)?;
        }
    }
    Ok(())
}
