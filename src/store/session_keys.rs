//! A session's WeChat session_key: read it (decrypted, for checkSessionKey), and store the new
//! key resetUserSessionKey returned.
//!
//! The key is a secret: it leaves this module only as a [`Secret`] (redacting `Debug` and
//! `Display`; operators see [`Secret::masked`]), it is stored encrypted like every session_key
//! ([`encrypt_session_key`], the session's public id as associated data), and it is never part
//! of an audit row.

use serde::Serialize;
use serde_json::json;

use super::{Result, Store, Ts, on_db, write_audit};
use crate::crypto::DataKey;
use crate::crypto::{CryptoError, decrypt_session_key, encrypt_session_key};
use crate::ops::{Grant, OpKind};
use crate::secret::Secret;

/// Sessions of one (appid, openid) looked at when a reset key is stored; a user has a
/// handful (one per device and login), never this many.
const MAX_SESSIONS_PER_USER: i64 = 1000;

/// A session's stored session_key and what a check needs with it.
#[derive(Debug)]
pub struct StoredSessionKey {
    pub public_id: String,
    pub appid: String,
    pub openid: String,
    /// Decrypted (never displayed whole), or why it cannot be: the wrong data key, or a row
    /// that was tampered with.
    pub session_key: std::result::Result<Secret, CryptoError>,
    pub revoked_at: Option<Ts>,
    pub expires_at: Ts,
}

/// A reset WeChat answered, to be stored.
#[derive(Debug)]
pub struct KeyReset<'a> {
    /// The session the operator selected.
    pub public_id: &'a str,
    /// Its key before the reset: sessions of the user holding it get the new one.
    pub old_key: &'a Secret,
    pub new_key: &'a Secret,
    /// What to record about the WeChat call on the audit row (latency, rid; never a key).
    pub wechat: serde_json::Value,
}

/// What storing a reset session_key changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyResetOutcome {
    pub public_id: String,
    pub appid: String,
    pub openid: String,
    /// Public ids of the sessions that held the old key and now hold the new one (the
    /// selected session first).
    pub sessions_updated: Vec<String>,
}

type KeyRow = (i64, String, String, String, Vec<u8>, Option<Ts>, Ts);

impl Store {
    /// The session's stored session_key, decrypted with `key`. `None` when there is no
    /// session with this public id.
    pub async fn session_key(
        &self,
        key: &DataKey,
        public_id: &str,
    ) -> Result<Option<StoredSessionKey>> {
        let row: Option<KeyRow> = on_db!(self, |pool, d| {
            sqlx::query_as(
                "SELECT id, public_id, appid, openid, session_key_enc, revoked_at, expires_at \
                 FROM sessions WHERE public_id = $1",
            )
            .bind(public_id)
            .fetch_optional(pool)
            .await?
        });
        let Some((_, public_id, appid, openid, envelope, revoked_at, expires_at)) = row else {
            return Ok(None);
        };
        let session_key = decrypt_session_key(key, &public_id, &envelope);
        Ok(Some(StoredSessionKey {
            public_id,
            appid,
            openid,
            session_key,
            revoked_at,
            expires_at,
        }))
    }

    /// Stores `new_key` (from resetUserSessionKey) on every session of the selected session's
    /// (appid, openid) whose stored key is `old_key`, and writes the audit row, in one
    /// transaction. `None` when there is no session with this public id. Sessions of the
    /// user that already held another key (an older login, or a newer one) keep theirs.
    pub(crate) async fn store_reset_session_key(
        &self,
        grant: &Grant<'_>,
        key: &DataKey,
        reset: &KeyReset<'_>,
        reason: &str,
    ) -> Result<Option<KeyResetOutcome>> {
        grant.require("store_reset_session_key", &[OpKind::ResetSessionKey])?;
        let actor = grant.actor();
        let KeyReset {
            public_id,
            old_key,
            new_key,
            wechat,
        } = reset;
        let public_id: &str = public_id;
        let now = self.now_ts();
        self.retry_conflicts(move || async move {
            on_db!(self, |pool, d| {
                let _turn = self.write_turn().await;
                let mut tx = pool.begin_with(d.begin_write()).await?;
                let lock = d.for_update();
                let selected: Option<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(
                    format!("SELECT appid, openid FROM sessions WHERE public_id = $1{lock}"),
                ))
                .bind(public_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((appid, openid)) = selected else {
                    return Ok(None);
                };
                // The user's sessions, through the (openid, appid) index; locked so a concurrent
                // reset of the same user waits and then finds the new key.
                let rows: Vec<KeyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT id, public_id, appid, openid, session_key_enc, revoked_at, expires_at \
                 FROM sessions WHERE openid = $1 AND appid = $2 \
                 ORDER BY created_at DESC, id DESC LIMIT $3{lock}"
                )))
                .bind(&openid)
                .bind(&appid)
                .bind(MAX_SESSIONS_PER_USER)
                .fetch_all(&mut *tx)
                .await?;
                let mut updated = Vec::new();
                for (id, row_public_id, _, _, envelope, _, _) in rows {
                    let holds_old = decrypt_session_key(key, &row_public_id, &envelope)
                        .is_ok_and(|k| k == **old_key);
                    if !holds_old {
                        continue;
                    }
                    let envelope = encrypt_session_key(key, &row_public_id, new_key);
                    sqlx::query("UPDATE sessions SET session_key_enc = $1 WHERE id = $2")
                        .bind(&envelope[..])
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    updated.push(row_public_id);
                }
                if let Some(pos) = updated.iter().position(|p| p == public_id) {
                    let selected = updated.remove(pos);
                    updated.insert(0, selected);
                }
                write_audit!(
                    &mut *tx,
                    now,
                    actor,
                    "session.reset_key",
                    &format!("session:{public_id}"),
                    Some(reason),
                    &json!({
                        "appid": appid,
                        "openid": openid,
                        "sessions_updated": updated,
                        "wechat": wechat,
                    }),
                )?;
                tx.commit().await?;
                Ok(Some(KeyResetOutcome {
                    public_id: public_id.to_owned(),
                    appid,
                    openid,
                    sessions_updated: updated,
                }))
            })
        })
        .await
    }
}
