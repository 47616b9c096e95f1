//! A session's WeChat session_key: is the stored one still the user's current key
//! (checkSessionKey), and if not, have WeChat issue a new one (resetUserSessionKey) and store it.
//! Both are audited WeChat calls on the operator's behalf; the keys only ever leave here masked.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{Operation, OpsError, authorize, reason};
use crate::crypto::DataKey;
use crate::operator::Actor;
use crate::secret::Secret;
use crate::store::{KeyReset, Store, StoredSessionKey};
use crate::wechat::{KeyCheck, WechatClient, WechatError};

/// The session a check or reset was about (without its key).
#[derive(Debug, Clone)]
pub struct KeySession {
    pub public_id: String,
    pub appid: String,
    pub openid: String,
    pub revoked: bool,
    pub expires_at: crate::store::Ts,
}

/// What a check found.
#[derive(Debug)]
pub struct KeyCheckReport {
    pub session: KeySession,
    /// `Ab••••yz (24 chars)`: never the whole key.
    pub session_key_masked: String,
    pub latency: Duration,
    pub answer: Result<KeyCheck, WechatError>,
}

/// What a reset did.
#[derive(Debug)]
pub struct KeyResetReport {
    pub session: KeySession,
    pub old_key_masked: String,
    pub latency: Duration,
    /// The new key (masked) and the sessions that now hold it, or WeChat's refusal.
    pub answer: Result<(String, Vec<String>), WechatError>,
}

/// The session and its decrypted key.
async fn load(
    store: &Store,
    key: &DataKey,
    public_id: &str,
) -> Result<(KeySession, Secret), OpsError> {
    let Some(mut stored): Option<StoredSessionKey> = store.session_key(key, public_id).await?
    else {
        return Err(OpsError::NothingMatched(format!(
            "no session with public id {}; list them with `wxlogin sessions list`",
            crate::sanitize::for_terminal(public_id)
        )));
    };
    let session_key = std::mem::replace(
        &mut stored.session_key,
        Err(crate::crypto::CryptoError::Format),
    )
    .map_err(|e| {
        OpsError::Runtime(format!(
            "session {}: {e}; check that WXLOGIN_DATA_KEY(_FILE) is the key the login service uses",
            crate::sanitize::for_terminal(public_id)
        ))
    })?;
    let session = KeySession {
        revoked: stored.revoked_at.is_some(),
        expires_at: stored.expires_at,
        public_id: stored.public_id,
        appid: stored.appid,
        openid: stored.openid,
    };
    Ok((session, session_key))
}

/// Asks WeChat whether the stored session_key is still valid; one audit row
/// (`wechat.check_session_key` on `session:ID`). Without the row, nothing is shown.
pub async fn check_session_key(
    store: &Store,
    client: &WechatClient,
    key: &DataKey,
    actor: &Actor,
    public_id: &str,
) -> Result<KeyCheckReport, OpsError> {
    let grant = authorize(actor, &Operation::CheckSessionKey)?;
    let (session, session_key) = load(store, key, public_id).await?;
    let started = Instant::now();
    let answer = client
        .check_session_key(&session.appid, &session.openid, &session_key)
        .await;
    let latency = started.elapsed();
    let (status, errcode, rid) = match &answer {
        Ok(KeyCheck::Valid) => ("valid", None, None),
        Ok(KeyCheck::Stale(api)) => {
            let e = WechatError::StaleSessionKey(api.clone());
            ("stale", e.errcode(), e.rid().map(str::to_owned))
        }
        Err(e) => ("error", e.errcode(), e.rid().map(str::to_owned)),
    };
    store
        .record_audit(
            &grant,
            "wechat.check_session_key",
            &format!("session:{}", session.public_id),
            None,
            &json!({
                "appid": session.appid,
                "openid": session.openid,
                "status": status,
                "latency_ms": latency.as_millis() as u64,
                "errcode": errcode,
                "rid": rid,
            }),
        )
        .await
        .map_err(|e| {
            OpsError::Runtime(format!(
                "the check ran but its audit row could not be written ({e}); nothing is shown"
            ))
        })?;
    Ok(KeyCheckReport {
        session_key_masked: session_key.masked(),
        session,
        latency,
        answer,
    })
}

/// Has WeChat issue a new session_key for the session's user and stores it (encrypted) on
/// that user's sessions that held the old one, with the audit row, in one transaction. A
/// refused attempt is audited too (`wechat.reset_session_key_failed`; nothing else changes).
pub async fn reset_session_key(
    store: &Store,
    client: &WechatClient,
    key: &DataKey,
    actor: &Actor,
    public_id: &str,
    why: &str,
) -> Result<KeyResetReport, OpsError> {
    let grant = authorize(actor, &Operation::ResetSessionKey)?;
    let why = reason(why)?;
    let (session, old_key) = load(store, key, public_id).await?;
    let started = Instant::now();
    let result = client
        .reset_session_key(&session.appid, &session.openid, &old_key)
        .await;
    let latency = started.elapsed();
    let latency_ms = latency.as_millis() as u64;
    let answer = match result {
        Ok(reset) => {
            let stored = store
                .store_reset_session_key(
                    &grant,
                    key,
                    &KeyReset {
                        public_id: &session.public_id,
                        old_key: &old_key,
                        new_key: &reset.session_key,
                        wechat: json!({ "latency_ms": latency_ms }),
                    },
                    why,
                )
                .await;
            match stored {
                Ok(Some(outcome)) => Ok((reset.session_key.masked(), outcome.sessions_updated)),
                other => {
                    let why = match other {
                        Err(e) => e.to_string(),
                        _ => "the session disappeared meanwhile".to_owned(),
                    };
                    return Err(OpsError::Runtime(format!(
                        "WeChat issued a new session_key but it could not be stored ({why}); the stored key is now stale at WeChat: the user must log in again"
                    )));
                }
            }
        }
        Err(e) => {
            store
                .record_audit(
                    &grant,
                    "wechat.reset_session_key_failed",
                    &format!("session:{}", session.public_id),
                    Some(why),
                    &json!({
                        "appid": session.appid,
                        "openid": session.openid,
                        "latency_ms": latency_ms,
                        "errcode": e.errcode(),
                        "rid": e.rid(),
                    }),
                )
                .await?;
            Err(e)
        }
    };
    Ok(KeyResetReport {
        old_key_masked: old_key.masked(),
        session,
        latency,
        answer,
    })
}
