//! openid ↔ account bindings: look up, unbind.

use serde::Serialize;
use serde_json::json;

use super::sessions::revoke_update;
use super::types::{Arg, Sql};
use super::{Account, Result, Store, Ts, bind_args, on_db, write_audit};
use crate::ops::{Grant, OpKind};

/// A binding with its account and how many live sessions it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct BindingView {
    pub id: i64,
    pub appid: String,
    pub openid: String,
    pub unionid: Option<String>,
    pub account_id: i64,
    pub username: String,
    pub account_disabled_at: Option<Ts>,
    pub bound_at: Ts,
    pub last_login_at: Option<Ts>,
    pub active_sessions: i64,
    /// Bindings of this account in this mini program, this one included: more than one means
    /// a second WeChat user logged in with the account's password (support flags it).
    pub app_bindings: i64,
}

/// How a support agent finds a binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingQuery {
    OpenId {
        openid: String,
        appid: Option<String>,
    },
    UnionId(String),
    Username(String),
    AccountId(i64),
}

impl BindingQuery {
    fn push_where(&self, sql: &mut Sql) {
        match self {
            BindingQuery::OpenId { openid, appid } => {
                sql.push(" WHERE b.openid = ")
                    .bind(Arg::Text(openid.clone()));
                if let Some(a) = appid {
                    sql.push(" AND b.appid = ").bind(Arg::Text(a.clone()));
                }
            }
            BindingQuery::UnionId(u) => {
                sql.push(" WHERE b.unionid = ").bind(Arg::Text(u.clone()));
            }
            BindingQuery::Username(u) => {
                sql.push(" WHERE a.username = ").bind(Arg::Text(u.clone()));
            }
            BindingQuery::AccountId(id) => {
                sql.push(" WHERE b.account_id = ").bind(Arg::I64(*id));
            }
        }
    }
}

/// An account and every binding it has, across mini programs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountDetail {
    pub account: Account,
    pub bindings: Vec<BindingView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnbindOutcome {
    pub appid: String,
    pub openid: String,
    pub account_id: i64,
    pub username: String,
    pub sessions_revoked: u64,
}

/// At most this many bindings are returned by one lookup (an account has a handful).
const MAX_BINDINGS: i64 = 500;

impl Store {
    pub async fn find_bindings(&self, q: &BindingQuery) -> Result<Vec<BindingView>> {
        let sql = find_bindings_sql(q, self.now_ts());
        Ok(on_db!(self, |pool, d| {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text())), &sql.args)
                .fetch_all(pool)
                .await?
        }))
    }

    /// The account and all its bindings; `None` for an unknown id.
    pub async fn account_detail(&self, account_id: i64) -> Result<Option<AccountDetail>> {
        let Some(account) = self.account_by_id(account_id).await? else {
            return Ok(None);
        };
        let bindings = self
            .find_bindings(&BindingQuery::AccountId(account_id))
            .await?;
        Ok(Some(AccountDetail { account, bindings }))
    }

    /// Deletes the binding, revokes its live sessions and writes the audit row, all in one
    /// transaction: either everything happens or nothing does. `None` when there is no such
    /// binding.
    pub(crate) async fn unbind(
        &self,
        grant: &Grant<'_>,
        appid: &str,
        openid: &str,
        reason: &str,
    ) -> Result<Option<UnbindOutcome>> {
        grant.require("unbind", &[OpKind::Unbind])?;
        let actor = grant.actor();
        let now = self.now_ts();
        let mut revoke = revoke_update(now, &actor.operator, reason);
        revoke
            .push(" WHERE appid = ")
            .bind(Arg::Text(appid.to_owned()))
            .push(" AND openid = ")
            .bind(Arg::Text(openid.to_owned()))
            .push(" AND revoked_at IS NULL AND expires_at > ")
            .bind(Arg::Ts(now));
        let revoke = &revoke;
        self.retry_conflicts(move || async move {
            on_db!(self, |pool, d| {
                let _turn = self.write_turn().await;
                let mut tx = pool.begin_with(d.begin_write()).await?;
                // Deleting first takes the row lock a concurrent login holds or waits for, so no
                // session can be issued for this binding after the revoke below.
                let gone: Option<(i64, Option<String>)> = if d.backend() == super::Backend::MySql {
                    // MySQL has no DELETE … RETURNING: read and lock the row, then delete it.
                    let row: Option<(i64, Option<String>)> = sqlx::query_as(
                        "SELECT account_id, unionid FROM wechat_bindings \
                     WHERE appid = $1 AND openid = $2 FOR UPDATE",
                    )
                    .bind(appid)
                    .bind(openid)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if row.is_some() {
                        sqlx::query("DELETE FROM wechat_bindings WHERE appid = $1 AND openid = $2")
                            .bind(appid)
                            .bind(openid)
                            .execute(&mut *tx)
                            .await?;
                    }
                    row
                } else {
                    sqlx::query_as(
                        "DELETE FROM wechat_bindings WHERE appid = $1 AND openid = $2 \
                     RETURNING account_id, unionid",
                    )
                    .bind(appid)
                    .bind(openid)
                    .fetch_optional(&mut *tx)
                    .await?
                };
                let Some((account_id, unionid)) = gone else {
                    return Ok(None);
                };
                let revoked = bind_args!(
                    sqlx::query(sqlx::AssertSqlSafe(revoke.text())),
                    &revoke.args
                )
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let username: String =
                    sqlx::query_scalar("SELECT username FROM accounts WHERE id = $1")
                        .bind(account_id)
                        .fetch_one(&mut *tx)
                        .await?;
                write_audit!(
                    &mut *tx,
                    now,
                    actor,
                    "binding.unbind",
                    &format!("binding:{appid}/{openid}"),
                    Some(reason),
                    &json!({
                        "account_id": account_id,
                        "username": username,
                        "unionid": unionid,
                        "sessions_revoked": revoked,
                    }),
                )?;
                tx.commit().await?;
                Ok(Some(UnbindOutcome {
                    appid: appid.to_owned(),
                    openid: openid.to_owned(),
                    account_id,
                    username,
                    sessions_revoked: revoked,
                }))
            })
        })
        .await
    }
}

/// The SQL of [`Store::find_bindings`] (also what the EXPLAIN checks look at).
pub(super) fn find_bindings_sql(q: &BindingQuery, now: Ts) -> Sql {
    let mut sql = Sql::new(
        "SELECT b.id, b.appid, b.openid, b.unionid, b.account_id, a.username, \
         a.disabled_at AS account_disabled_at, b.bound_at, b.last_login_at, \
         (SELECT COUNT(*) FROM sessions s WHERE s.openid = b.openid AND s.appid = b.appid \
          AND s.revoked_at IS NULL AND s.expires_at > ",
    );
    sql.bind(Arg::Ts(now)).push(
        ") AS active_sessions, \
         (SELECT COUNT(*) FROM wechat_bindings b2 WHERE b2.account_id = b.account_id \
          AND b2.appid = b.appid) AS app_bindings \
         FROM wechat_bindings b JOIN accounts a ON a.id = b.account_id",
    );
    q.push_where(&mut sql);
    sql.push(" ORDER BY b.bound_at DESC, b.id DESC LIMIT ")
        .bind(Arg::I64(MAX_BINDINGS));
    sql
}
