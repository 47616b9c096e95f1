//! The test code exchange: an operator pastes a wx.login() code (or mints one on the emulator)
//! and sees what WeChat answers and whether that identity is bound. One code path for the
//! console and the CLI: the same audit action (`wechat.exchange`) and target (`app:{appid}`).

use std::time::{Duration, Instant};

use serde_json::json;

use super::{Operation, OpsError, authorize};
use crate::operator::Actor;
use crate::secret::Secret;
use crate::store::{BindingQuery, BindingView, Store, StoreError};
use crate::wechat::{WechatClient, WechatError};

/// What WeChat returned, without the session_key (only its mask).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchanged {
    pub openid: String,
    pub unionid: Option<String>,
    pub session_key_masked: String,
}

/// The whole result of a test exchange.
#[derive(Debug)]
pub struct ExchangeReport {
    pub appid: String,
    pub latency: Duration,
    pub answer: Result<Exchanged, WechatError>,
    /// The bindings of the returned openid in this app (empty when not bound or when the
    /// exchange failed); an error when the lookup itself failed.
    pub bindings: Result<Vec<BindingView>, StoreError>,
}

/// Exchanges `code` with code2Session, looks up the binding and writes one audit row
/// (`wechat.exchange` on `app:{appid}`; never the code, never the session_key). When the audit
/// row cannot be written the result is withheld: an exchange nobody can trace is not shown.
pub async fn test_exchange(
    store: &Store,
    client: &WechatClient,
    actor: &Actor,
    appid: &str,
    code: Secret,
    test_user: Option<&str>,
) -> Result<ExchangeReport, OpsError> {
    let grant = authorize(actor, &Operation::TestExchange)?;
    if code.expose().trim().is_empty() {
        return Err(OpsError::Invalid(
            "no code given: paste the code from wx.login()".into(),
        ));
    }
    let started = Instant::now();
    let result = client.code2session(appid, code.expose().trim()).await;
    let latency = started.elapsed();
    drop(code);

    let answer = result.map(|s| Exchanged {
        session_key_masked: s.session_key.masked(),
        openid: s.openid,
        unionid: s.unionid,
    });
    let bindings = match &answer {
        Ok(ok) => {
            store
                .find_bindings(&BindingQuery::OpenId {
                    openid: ok.openid.clone(),
                    appid: Some(appid.to_owned()),
                })
                .await
        }
        Err(_) => Ok(Vec::new()),
    };
    let latency_ms = latency.as_millis() as u64;
    let detail = match &answer {
        Ok(ok) => json!({
            "ok": true,
            "latency_ms": latency_ms,
            "openid": ok.openid,
            "unionid_returned": ok.unionid.is_some(),
            "bound": bindings.as_ref().ok().map(|b| !b.is_empty()),
            "account_id": bindings.as_ref().ok().and_then(|b| b.first()).map(|b| b.account_id),
            "test_user": test_user,
        }),
        Err(e) => json!({
            "ok": false,
            "latency_ms": latency_ms,
            "errcode": e.errcode(),
            "kind": format!("{:?}", e.kind()),
            "rid": e.rid(),
            "test_user": test_user,
        }),
    };
    store
        .record_audit(&grant, "wechat.exchange", &format!("app:{appid}"), None, &detail)
        .await
        .map_err(|e| {
            OpsError::Store(StoreError::Db(format!(
                "the exchange ran but its audit row could not be written ({e}); nothing is shown: fix the database and retry with a fresh code"
            )))
        })?;
    Ok(ExchangeReport {
        appid: appid.to_owned(),
        latency,
        answer,
        bindings,
    })
}
