//! The shared login limiter's counters (`login_limits`): one row per (key, fixed window).
//! Keys are built by the service (`src/service/rate_limit.rs`); the store only counts.

use serde_json::json;

use super::{Result, Store, Ts, on_db, write_audit};
use crate::ops::Grant;

/// Usernames are counted as typed, at most this many characters.
const MAX_KEY_NAME: usize = 200;

/// The counter key of password failures for an account name.
pub fn account_limit_key(username: &str) -> String {
    let name: String = username.chars().take(MAX_KEY_NAME).collect();
    format!("acct:{name}")
}

impl Store {
    /// Counts one attempt under `key` in the window starting at `window_start` and returns
    /// the window's count including it. One UPSERT.
    pub async fn limit_hit(&self, key: &str, window_start: Ts) -> Result<i64> {
        Ok(on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            sqlx::query_scalar(
                "INSERT INTO login_limits (key, window_start, count) VALUES ($1, $2, 1) \
                 ON CONFLICT (key, window_start) DO UPDATE SET count = login_limits.count + 1 \
                 RETURNING count",
            )
            .bind(key)
            .bind(window_start)
            .fetch_one(pool)
            .await?
        }))
    }

    /// The count under `key` in the window starting at `window_start` (0 when none). One
    /// primary-key lookup.
    pub async fn limit_count(&self, key: &str, window_start: Ts) -> Result<i64> {
        Ok(on_db!(self, |pool, d| {
            sqlx::query_scalar::<_, i64>(
                "SELECT count FROM login_limits WHERE key = $1 AND window_start = $2",
            )
            .bind(key)
            .bind(window_start)
            .fetch_optional(pool)
            .await?
            .unwrap_or(0)
        }))
    }

    /// Deletes up to `batch` windows that started before `before`; returns how many.
    pub async fn purge_limits(&self, before: Ts, batch: i64) -> Result<u64> {
        Ok(on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            sqlx::query(
                "DELETE FROM login_limits WHERE (key, window_start) IN \
                 (SELECT key, window_start FROM login_limits WHERE window_start < $1 \
                  ORDER BY window_start LIMIT $2)",
            )
            .bind(before)
            .bind(batch)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }

    /// An operator action (`ops::unlock_account`, support role): forgets the password failures counted against `username`, so that its
    /// password path is open again at once, audited as `account.unlock` in the same
    /// transaction. Returns the number of counter windows removed (0: it was not locked; still
    /// audited, since the operator acted).
    pub(crate) async fn unlock_account_password(
        &self,
        grant: &Grant<'_>,
        username: &str,
        reason: &str,
    ) -> Result<u64> {
        let actor = grant.actor();
        let now = self.now_ts();
        let key = account_limit_key(username);
        on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_with(d.begin_write()).await?;
            let removed = sqlx::query("DELETE FROM login_limits WHERE key = $1")
                .bind(&key)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            write_audit!(
                &mut *tx,
                now,
                actor,
                "account.unlock",
                &format!("username:{username}"),
                Some(reason),
                &json!({ "username": username, "windows_cleared": removed }),
            )?;
            tx.commit().await?;
            Ok(removed)
        })
    }
}
