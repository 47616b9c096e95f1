//! The shared login limiter's counters (`login_limits`): one row per (key, window). Keys and
//! the sliding-window estimate over two windows' rows are the service's
//! (`src/service/rate_limit.rs`); the store only counts, atomically.

use serde_json::json;

use super::{Result, Store, Ts, on_db, write_audit};
use crate::ops::{Grant, OpKind};

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
        self.limit_add(key, window_start, 1).await
    }

    /// Adds `n` attempts under `key` in the window starting at `window_start` and returns the
    /// window's count including them. One UPSERT.
    pub async fn limit_add(&self, key: &str, window_start: Ts, n: i64) -> Result<i64> {
        Ok(on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            sqlx::query_scalar(
                "INSERT INTO login_limits (key, window_start, count) VALUES ($1, $2, $3) \
                 ON CONFLICT (key, window_start) DO UPDATE SET count = login_limits.count + $3 \
                 RETURNING count",
            )
            .bind(key)
            .bind(window_start)
            .bind(n)
            .fetch_one(pool)
            .await?
        }))
    }

    /// Adds `n` attempts under `key` in the window starting at `window_start` and returns
    /// (this window's count including them, the previous window's count: the row starting at
    /// `previous_start`, 0 when none), for a sliding-window estimate. One UPSERT whose
    /// RETURNING reads the previous window's row by primary key (the same SQL on both
    /// backends: SQLite allows a subquery in RETURNING).
    pub async fn limit_add_sliding(
        &self,
        key: &str,
        window_start: Ts,
        previous_start: Ts,
        n: i64,
    ) -> Result<(i64, i64)> {
        Ok(on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            sqlx::query_as::<_, (i64, i64)>(
                "INSERT INTO login_limits (key, window_start, count) VALUES ($1, $2, $3) \
                 ON CONFLICT (key, window_start) DO UPDATE SET count = login_limits.count + $3 \
                 RETURNING count, COALESCE((SELECT p.count FROM login_limits p \
                   WHERE p.key = $1 AND p.window_start = $4), 0)",
            )
            .bind(key)
            .bind(window_start)
            .bind(n)
            .bind(previous_start)
            .fetch_one(pool)
            .await?
        }))
    }

    /// The counts under `key` in the windows starting at `window_start` and `previous_start`
    /// (0 for a window without a row). One query over two primary-key rows.
    pub async fn limit_counts(
        &self,
        key: &str,
        window_start: Ts,
        previous_start: Ts,
    ) -> Result<(i64, i64)> {
        Ok(on_db!(self, |pool, d| {
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT COALESCE(MAX(CASE WHEN window_start = $2 THEN count END), 0), \
                        COALESCE(MAX(CASE WHEN window_start = $3 THEN count END), 0) \
                 FROM login_limits WHERE key = $1 AND window_start IN ($2, $3)",
            )
            .bind(key)
            .bind(window_start)
            .bind(previous_start)
            .fetch_one(pool)
            .await?
        }))
    }

    /// Counts one attempt under `key` in the window starting at `window_start` only if the
    /// window's count stays at most `max`; returns the new count, or `None` (nothing counted)
    /// when it would go over. One conditional UPSERT, atomic on both backends: of any number
    /// of concurrent callers, at most `max` in a window get `Some`.
    pub async fn limit_take(&self, key: &str, window_start: Ts, max: i64) -> Result<Option<i64>> {
        Ok(on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO login_limits (key, window_start, count) SELECT $1, $2, 1 WHERE $3 >= 1 \
                 ON CONFLICT (key, window_start) DO UPDATE SET count = login_limits.count + 1 \
                 WHERE login_limits.count < $3 \
                 RETURNING count",
            )
            .bind(key)
            .bind(window_start)
            .bind(max)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Takes back one attempt counted by [`Store::limit_take`] in the window starting at
    /// `window_start` (a login that turned out right). Never below 0.
    pub async fn limit_give_back(&self, key: &str, window_start: Ts) -> Result<()> {
        on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            sqlx::query(
                "UPDATE login_limits SET count = count - 1 \
                 WHERE key = $1 AND window_start = $2 AND count > 0",
            )
            .bind(key)
            .bind(window_start)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Adds counts to many keys of one window at once (the coarse ceiling's batched flush) and
    /// returns each key's count including them, in no particular order. Keys must be distinct;
    /// pass them sorted, so that two instances flushing overlapping keys lock the rows in the
    /// same order. PostgreSQL: one multi-row UPSERT per call; SQLite: one UPSERT per key in one
    /// transaction.
    pub async fn limit_add_many(
        &self,
        window_start: Ts,
        counts: &[(String, i64)],
    ) -> Result<Vec<(String, i64)>> {
        if counts.is_empty() {
            return Ok(Vec::new());
        }
        match &self.db {
            super::Db::Postgres(pool) => {
                let keys: Vec<&str> = counts.iter().map(|(k, _)| k.as_str()).collect();
                let ns: Vec<i64> = counts.iter().map(|(_, n)| *n).collect();
                Ok(sqlx::query_as::<_, (String, i64)>(
                    "INSERT INTO login_limits (key, window_start, count) \
                     SELECT k, $1, n FROM UNNEST($2::text[], $3::bigint[]) AS t(k, n) \
                     ON CONFLICT (key, window_start) \
                     DO UPDATE SET count = login_limits.count + excluded.count \
                     RETURNING key, count",
                )
                .bind(window_start)
                .bind(&keys)
                .bind(&ns)
                .fetch_all(pool)
                .await?)
            }
            super::Db::Sqlite(pool) => {
                let d = super::Dialect(super::Backend::Sqlite);
                let _turn = self.write_turn().await;
                let mut tx = pool.begin_with(d.begin_write()).await?;
                let mut out = Vec::with_capacity(counts.len());
                for (key, n) in counts {
                    let total: i64 = sqlx::query_scalar(
                        "INSERT INTO login_limits (key, window_start, count) VALUES ($1, $2, $3) \
                         ON CONFLICT (key, window_start) \
                         DO UPDATE SET count = login_limits.count + $3 RETURNING count",
                    )
                    .bind(key)
                    .bind(window_start)
                    .bind(n)
                    .fetch_one(&mut *tx)
                    .await?;
                    out.push((key.clone(), total));
                }
                tx.commit().await?;
                Ok(out)
            }
        }
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
        grant.require("unlock_account_password", &[OpKind::UnlockAccount])?;
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
