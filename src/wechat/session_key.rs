//! checkSessionKey and resetUserSessionKey: is the session_key we stored for a user still the
//! one WeChat holds, and if not, a new one.
//!
//! - `GET /wxa/checksession?access_token&openid&signature&sig_method=hmac_sha256` and
//!   `GET /wxa/resetusersessionkey` with the same parameters.
//! - The signature is the lowercase hex of HMAC-SHA256 over the empty string, keyed with the
//!   session_key *as WeChat returned it* (its base64 text, as bytes; not the decoded bytes).
//! - WeChat keeps one valid session_key per user and mini program: a newer `wx.login()`
//!   replaces it, so a stale stored key is support's everyday "login works but decrypting the
//!   user's data fails". checkSessionKey answers 0 (valid) or 87009 (stale).
//! - A token rejected with 40001/42001/40014 is refreshed once (see `token.rs`) and the call
//!   repeated once. Nothing else is retried: a reset whose answer is lost has already
//!   replaced the key at WeChat, and repeating it would only replace it again.
//! - The token, the signature and the session_keys never reach a log line or an error: the
//!   URL is a [`Secret`], errors name the host, and echoes are scrubbed.

use std::time::Instant;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::client::{Scrubber, interpret_object};
use super::token::AccessToken;
use super::{ApiError, WechatClient, WechatError};
use crate::secret::Secret;

/// The only signature method WeChat accepts for these APIs.
pub const SIG_METHOD: &str = "hmac_sha256";

/// Lowercase hex HMAC-SHA256 of `message`, keyed with the session_key's text bytes.
pub fn signature(session_key: &Secret, message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(session_key.expose().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// What checkSessionKey said about a stored session_key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    /// WeChat still holds this key for the user.
    Valid,
    /// 87009: the key expired or was replaced by a newer `wx.login()`; the user must log in
    /// again (or the key be reset).
    Stale(ApiError),
}

/// A new session_key from resetUserSessionKey. The old one no longer works at WeChat.
#[derive(Debug, Clone)]
pub struct ResetSessionKey {
    pub openid: String,
    /// `Debug`/`Display` print `[redacted]`; encrypt it before storing it.
    pub session_key: Secret,
}

impl WechatClient {
    /// Asks WeChat whether `session_key` is still the current key of `openid` in `appid`.
    pub async fn check_session_key(
        &self,
        appid: &str,
        openid: &str,
        session_key: &Secret,
    ) -> Result<KeyCheck, WechatError> {
        match self
            .session_key_call(appid, "/wxa/checksession", openid, session_key)
            .await
        {
            Ok(_) => {
                tracing::info!(appid, host = %self.host(), "checkSessionKey: valid");
                Ok(KeyCheck::Valid)
            }
            Err(WechatError::StaleSessionKey(api)) => {
                tracing::info!(appid, host = %self.host(), rid = api.rid.as_deref().unwrap_or(""), "checkSessionKey: stale (87009)");
                Ok(KeyCheck::Stale(api))
            }
            Err(e) => Err(e),
        }
    }

    /// Has WeChat replace `session_key` (the user's current key) with a new one. The old key
    /// stops working at once; the new one keeps the old one's expiry.
    pub async fn reset_session_key(
        &self,
        appid: &str,
        openid: &str,
        session_key: &Secret,
    ) -> Result<ResetSessionKey, WechatError> {
        let obj = self
            .session_key_call(appid, "/wxa/resetusersessionkey", openid, session_key)
            .await?;
        let host = self.host();
        let unexpected = |problem| WechatError::UnexpectedJson {
            host: host.to_owned(),
            problem,
        };
        let new_key = obj
            .get("session_key")
            .and_then(|v| v.as_str())
            .filter(|k| !k.is_empty())
            .ok_or_else(|| unexpected("no errcode and no session_key"))?;
        let answered_openid = obj
            .get("openid")
            .and_then(|v| v.as_str())
            .filter(|o| !o.is_empty())
            .unwrap_or(openid);
        if answered_openid != openid {
            return Err(unexpected("the new session_key is for another openid"));
        }
        tracing::info!(appid, host = %host, "resetUserSessionKey: new key issued");
        Ok(ResetSessionKey {
            openid: answered_openid.to_owned(),
            session_key: Secret::new(new_key),
        })
    }

    /// One signed GET with the app's token; on a rejected token, one forced refresh and one
    /// more try.
    async fn session_key_call(
        &self,
        appid: &str,
        path: &str,
        openid: &str,
        session_key: &Secret,
    ) -> Result<serde_json::Map<String, serde_json::Value>, WechatError> {
        let signature = Secret::new(signature(session_key, b""));
        let token = self.access_token(appid).await?;
        let first = self
            .signed_get(path, &token, openid, &signature, session_key)
            .await;
        match first {
            Err(
                WechatError::InvalidCredential(_)
                | WechatError::TokenExpired(_)
                | WechatError::InvalidToken(_),
            ) => {
                let errcode = first.as_ref().err().and_then(WechatError::errcode);
                tracing::info!(
                    appid,
                    host = %self.host(),
                    errcode,
                    "WeChat rejected the access token; refreshing it once"
                );
                let fresh = self.refresh_rejected_token(appid, &token).await?;
                self.signed_get(path, &fresh, openid, &signature, session_key)
                    .await
            }
            other => other,
        }
    }

    async fn signed_get(
        &self,
        path: &str,
        token: &AccessToken,
        openid: &str,
        signature: &Secret,
        session_key: &Secret,
    ) -> Result<serde_json::Map<String, serde_json::Value>, WechatError> {
        let mut url = self.api_url(path)?;
        url.query_pairs_mut()
            .append_pair("access_token", token.expose())
            .append_pair("openid", openid)
            .append_pair("signature", signature.expose())
            .append_pair("sig_method", SIG_METHOD);
        let url = Secret::new(String::from(url));
        let needles = [token.expose(), signature.expose(), session_key.expose()];
        let scrub = Scrubber { needles: &needles };
        let started = Instant::now();
        let (content_type, body) = self
            .send(
                self.http().get(url.expose()),
                self.config().timeout,
                started,
                &scrub,
            )
            .await?;
        interpret_object(self.host(), content_type, &body, &scrub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_wechats_published_vector() {
        let key = Secret::new("o0q0otL8aEzpcZL/FT9WsQ==");
        assert_eq!(
            signature(&key, br#"{"foo":"bar"}"#),
            "654571f79995b2ce1e149e53c0a33dc39c0a74090db514261454e8dbe432aa0b"
        );
    }

    #[test]
    fn the_signature_is_keyed_with_the_base64_text_not_the_decoded_bytes() {
        use base64::Engine;
        let text = "o0q0otL8aEzpcZL/FT9WsQ==";
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(&decoded).unwrap();
        mac.update(br#"{"foo":"bar"}"#);
        let with_decoded = hex::encode(mac.finalize().into_bytes());
        assert_ne!(
            signature(&Secret::new(text), br#"{"foo":"bar"}"#),
            with_decoded
        );
        // Over the empty string (what checksession signs): 64 lowercase hex digits.
        let empty = signature(&Secret::new(text), b"");
        assert_eq!(empty.len(), 64);
        assert!(
            empty
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        );
    }
}
