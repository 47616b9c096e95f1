//! Business accounts.

use serde::Serialize;
use serde_json::json;

use super::mysql::LastInsertId;
use super::sessions::revoke_live_of_account;
use super::{Result, Store, StoreError, Ts, bind_args, on_db, write_audit};
use crate::ops::{Grant, OpKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    pub created_at: Ts,
    pub disabled_at: Option<Ts>,
}

/// An account with its password hash, for the login service only.
#[derive(Clone, sqlx::FromRow)]
pub struct AccountCredentials {
    #[sqlx(flatten)]
    pub account: Account,
    pub password_hash: String,
}

impl std::fmt::Debug for AccountCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountCredentials")
            .field("account", &self.account)
            .field("password_hash", &"[redacted]")
            .finish()
    }
}

#[derive(Clone)]
pub struct NewAccount {
    pub username: String,
    /// Argon2id PHC string (see `crypto::hash_password`).
    pub password_hash: String,
    pub display_name: Option<String>,
}

const ACCOUNT_COLS: &str = "id, username, display_name, created_at, disabled_at";

/// Usernames are what operators type and what a runbook greps for: printable, no blanks.
pub fn validate_username(username: &str) -> Result<()> {
    let ok = !username.is_empty()
        && username.chars().count() <= 64
        && username
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "invalid username {:?}: use 1 to 64 letters, digits, '_', '-', '.' or '@'",
            crate::sanitize::for_terminal(username)
        )))
    }
}

impl Store {
    /// Creates an account and its audit row in one transaction.
    pub(crate) async fn create_account(
        &self,
        grant: &Grant<'_>,
        new: &NewAccount,
    ) -> Result<Account> {
        grant.require("create_account", &[OpKind::CreateAccount])?;
        validate_username(&new.username)?;
        let actor = grant.actor();
        let now = self.now_ts();
        let sql = format!(
            "INSERT INTO accounts (username, password_hash, display_name, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING {ACCOUNT_COLS}"
        );
        let r: Result<Account> = on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_with(d.begin_write()).await?;
            let acc: std::result::Result<Account, sqlx::Error> =
                if d.backend() == super::Backend::MySql {
                    // No RETURNING on MySQL: the new row is read back by its generated id.
                    match sqlx::query(
                        "INSERT INTO accounts (username, password_hash, display_name, created_at) \
                     VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&new.username)
                    .bind(&new.password_hash)
                    .bind(&new.display_name)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    {
                        Ok(done) => {
                            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                                "SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1"
                            )))
                            .bind(done.last_id())
                            .fetch_one(&mut *tx)
                            .await
                        }
                        Err(e) => Err(e),
                    }
                } else {
                    sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(&new.username)
                        .bind(&new.password_hash)
                        .bind(&new.display_name)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await
                };
            let acc: Account = acc.map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!(
                    "an account named {} already exists",
                    new.username
                )),
                other => other,
            })?;
            write_audit!(
                &mut *tx,
                now,
                actor,
                "account.create",
                &format!("account:{}", acc.id),
                None,
                &json!({ "username": acc.username }),
            )?;
            tx.commit().await?;
            Ok(acc)
        });
        r
    }

    pub async fn account_by_username(&self, username: &str) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE username = $1");
        Ok(on_db!(self, |pool, d| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(username)
                .fetch_optional(pool)
                .await?
        }))
    }

    pub async fn account_by_id(&self, id: i64) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1");
        Ok(on_db!(self, |pool, d| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// The account and its password hash, for verifying a first login.
    pub async fn credentials(&self, username: &str) -> Result<Option<AccountCredentials>> {
        let sql = format!("SELECT {ACCOUNT_COLS}, password_hash FROM accounts WHERE username = $1");
        Ok(on_db!(self, |pool, d| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(username)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Disables an account and revokes all its live sessions in one transaction (OWASP ASVS
    /// 7.4.2). Returns how many sessions were revoked; `NotFound` for an unknown account and
    /// `Ok(None)` when it was already disabled (nothing changes, nothing is audited).
    pub(crate) async fn disable_account(
        &self,
        grant: &Grant<'_>,
        account_id: i64,
        reason: &str,
    ) -> Result<Option<u64>> {
        grant.require("disable_account", &[OpKind::DisableAccount])?;
        let actor = grant.actor();
        let now = self.now_ts();
        let revoke = revoke_live_of_account(now, &actor.operator, reason, account_id);
        on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_with(d.begin_write()).await?;
            let row: Option<(String, Option<Ts>)> =
                sqlx::query_as("SELECT username, disabled_at FROM accounts WHERE id = $1")
                    .bind(account_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((username, disabled_at)) = row else {
                return Err(StoreError::NotFound(format!(
                    "no account with id {account_id}"
                )));
            };
            if disabled_at.is_some() {
                return Ok(None);
            }
            sqlx::query("UPDATE accounts SET disabled_at = $1 WHERE id = $2")
                .bind(now)
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
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
                "account.disable",
                &format!("account:{account_id}"),
                Some(reason),
                &json!({ "username": username, "sessions_revoked": revoked }),
            )?;
            tx.commit().await?;
            Ok(Some(revoked))
        })
    }
}
