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
use crate::store::{Store, Ts};
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
    crate::config::data_key(&ctx.file)?.ok_or_else(|| {
        Failure::usage(
            "no data key: the stored session_keys are encrypted with it; set WXLOGIN_DATA_KEY_FILE (or WXLOGIN_DATA_KEY, or data_key_file in the config file) to the service's key",
        )
    })
}

/// The WeChat client for the app a session belongs to.
async fn client_for(
    ctx: &Context,
    store: &Store,
    public_id: &str,
) -> Result<WechatClient, Failure> {
    let Some(s) = store.session_by_public_id(public_id).await? else {
        return Err(Failure::nothing_matched(format!(
            "no session with public id {}; list them with `wxlogin sessions list`",
            crate::sanitize::for_terminal(public_id)
        )));
    };
    let config = WechatConfig::resolve(&ctx.file)?;
    config
        .app(Some(&s.appid))
        .map_err(|e| Failure::runtime(e.to_string()))?;
    WechatClient::new(config).map_err(|e| Failure::runtime(e.to_string()))
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
            "the stored session_key is stale (87009): the user logged in again or the key expired; decrypting their data with it fails. Have the user log in again",
        )),
        Err(e) => Err(Failure::runtime(format!(
            "checkSessionKey failed: {}",
            crate::sanitize::for_terminal(&e.to_string())
        ))),
    }
}

fn print_check(ctx: &Context, out: &CheckJson, expired: bool) -> Result<(), Failure> {
    let line = |k: &str, v: String| ctx.say(format!("{k:<12} {v}"));
    line("session", cell(ctx, &out.public_id, 64))?;
    line("appid", cell(ctx, &out.appid, 64))?;
    line("openid", cell(ctx, &out.openid, 128))?;
    line("session_key", out.session_key_masked.clone())?;
    let state = match (out.session_revoked, expired) {
        (true, _) => " (session revoked)",
        (false, true) => " (session expired)",
        _ => "",
    };
    line("expires", format!("{}{state}", out.session_expires_at))?;
    match (&out.error, out.status) {
        (None, _) => line(
            "result",
            format!(
                "valid: WeChat holds this key for the user ({} ms)",
                out.latency_ms
            ),
        )?,
        (Some(e), status) => {
            line(
                "result",
                format!("{}: {} ({} ms)", status, e.said(&ctx.tr).0, out.latency_ms),
            )?;
            e.print_details(ctx)?;
        }
    }
    Ok(())
}

pub async fn reset_key(ctx: &Context, a: ResetKeyArgs) -> Result<(), Failure> {
    ctx.check(&ops::Operation::ResetSessionKey)?;
    let reason = a.change.reason()?;
    let key = data_key(ctx)?;
    let store = ctx.store().await?;
    let client = client_for(ctx, &store, &a.public_id).await?;
    let Some(s) = store.session_by_public_id(&a.public_id).await? else {
        return Err(Failure::nothing_matched(
            "the session disappeared meanwhile",
        ));
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
            "WeChat refused the reset (87009): the stored key is already stale, so it cannot sign the request; only the user logging in again helps",
        )),
        Err(e) => Err(Failure::runtime(format!(
            "resetUserSessionKey failed: {}",
            crate::sanitize::for_terminal(&e.to_string())
        ))),
    }
}

fn print_reset(ctx: &Context, out: &ResetJson) -> Result<(), Failure> {
    let line = |k: &str, v: String| ctx.say(format!("{k:<12} {v}"));
    line("session", cell(ctx, &out.public_id, 64))?;
    line("appid", cell(ctx, &out.appid, 64))?;
    line("openid", cell(ctx, &out.openid, 128))?;
    line("old key", out.old_session_key_masked.clone())?;
    match &out.error {
        None => {
            line(
                "new key",
                out.new_session_key_masked.clone().unwrap_or_default(),
            )?;
            line(
                "stored on",
                format!(
                    "{} session(s): {}",
                    out.sessions_updated.len(),
                    out.sessions_updated
                        .iter()
                        .map(|p| cell(ctx, p, 64))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )?;
            line(
                "result",
                format!(
                    "reset in {} ms; the old key no longer works at WeChat",
                    out.latency_ms
                ),
            )?;
        }
        Some(e) => {
            line(
                "result",
                format!("failed: {} ({} ms)", e.said(&ctx.tr).0, out.latency_ms),
            )?;
            e.print_details(ctx)?;
        }
    }
    Ok(())
}
