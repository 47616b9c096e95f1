//! Password reset: a new Argon2id hash for an account, every live session of it revoked and,
//! when asked, every WeChat binding removed, all in one transaction with its audit row.

use serde::Serialize;
use serde_json::json;

use super::sessions::revoke_live_of_account;
use super::{Result, Store, StoreError, bind_args, on_db, write_audit};
use crate::ops::{Grant, OpKind};

/// What a password reset changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PasswordReset {
    pub account_id: i64,
    pub sessions_revoked: u64,
    pub bindings_removed: u64,
}

impl Store {
    /// Sets the account's password hash (an Argon2id PHC string from
    /// `crypto::hash_password`), revokes every live session of the account and, with
    /// `unbind_all`, deletes every binding of it; audited as `account.set_password` in the same
    /// transaction. `NotFound` for an unknown account.
    pub(crate) async fn set_password(
        &self,
        grant: &Grant<'_>,
        account_id: i64,
        password_hash: &str,
        unbind_all: bool,
        reason: &str,
    ) -> Result<PasswordReset> {
        if !password_hash.starts_with("$argon2id$") {
            return Err(StoreError::Invalid(
                "a password hash must be an Argon2id PHC string".into(),
            ));
        }
        // A grant for a reset that removes the bindings cannot keep them.
        let allowed: &[OpKind] = if unbind_all {
            &[OpKind::SetPassword, OpKind::SetPasswordKeepBindings]
        } else {
            &[OpKind::SetPasswordKeepBindings]
        };
        grant.require("set_password", allowed)?;
        let actor = grant.actor();
        let now = self.now_ts();
        let revoke = &revoke_live_of_account(now, &actor.operator, reason, account_id);
        // Meets concurrent logins and revokes on the account's rows: on a Galera cluster such
        // a conflict ends it at commit, and it runs again whole.
        self.retry_conflicts(move || async move {
            on_db!(self, |pool, d| {
                let _turn = self.write_turn().await;
                let mut tx = pool.begin_with(d.begin_write()).await?;
                let username: Option<String> = if d.backend() == super::Backend::MySql {
                    // MySQL has no UPDATE … RETURNING: read and lock the row, then update it.
                    let name: Option<String> = sqlx::query_scalar(
                        "SELECT username FROM accounts WHERE id = $1 FOR UPDATE",
                    )
                    .bind(account_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if name.is_some() {
                        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
                            .bind(password_hash)
                            .bind(account_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    name
                } else {
                    sqlx::query_scalar(
                        "UPDATE accounts SET password_hash = $1 WHERE id = $2 RETURNING username",
                    )
                    .bind(password_hash)
                    .bind(account_id)
                    .fetch_optional(&mut *tx)
                    .await?
                };
                let Some(username) = username else {
                    return Err(StoreError::NotFound(format!(
                        "no account with id {account_id}"
                    )));
                };
                // Bindings go before the revoke: deleting them takes the row locks a concurrent
                // returning login holds or waits for, so no session is issued after the revoke.
                let unbound = if unbind_all {
                    sqlx::query("DELETE FROM wechat_bindings WHERE account_id = $1")
                        .bind(account_id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                } else {
                    0
                };
                let revoked = bind_args!(
                    sqlx::query(sqlx::AssertSqlSafe(revoke.text())),
                    &revoke.args
                )
                .execute(&mut *tx)
                .await?
                .rows_affected();
                write_audit!(
                    &mut *tx,
                    now,
                    actor,
                    "account.set_password",
                    &format!("account:{account_id}"),
                    Some(reason),
                    &json!({
                        "username": username,
                        "sessions_revoked": revoked,
                        "unbind_all": unbind_all,
                        "bindings_removed": unbound,
                    }),
                )?;
                tx.commit().await?;
                Ok(PasswordReset {
                    account_id,
                    sessions_revoked: revoked,
                    bindings_removed: unbound,
                })
            })
        })
        .await
    }
}
