//! The shared login limiter's counters (`login_limits`): one row per (key, window). Keys and
//! the sliding-window estimate over two windows' rows are the service's
//! (`src/service/rate_limit.rs`); the store only counts, atomically.

use serde_json::json;

use super::mysql::LastInsertId;
use super::{Backend, Result, Store, Ts, on_db, write_audit};
use crate::ops::{Grant, OpKind};

// MariaDB/MySQL has no RETURNING: its upserts return the counter through LAST_INSERT_ID(expr),
// which the server also reports in the statement's OK packet (sqlx's `last_insert_id()`), so a
// count is still one statement and one round trip. rows_affected() cannot say "inserted" or
// "changed" there: sqlx always asks for found rows, so an upsert that changed nothing still
// reports 1. `key` is a reserved word in MySQL: it is written "key" everywhere (ANSI_QUOTES).
//
// Every count is retried whole when the database ends it in a conflict (`retry_conflicts`):
// on a Galera cluster two instances counting the same key on two nodes conflict at commit,
// and a conflict means nothing was counted, so running it again counts it once.

/// One UPSERT adding `$4` (also `$3`, the first count) to the window's row; the new count is
/// the statement's LAST_INSERT_ID.
const MYSQL_ADD: &str = "INSERT INTO login_limits (\"key\", window_start, count) \
     VALUES ($1, $2, LAST_INSERT_ID($3)) \
     ON DUPLICATE KEY UPDATE count = LAST_INSERT_ID(count + $4)";

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
        self.retry_conflicts(move || async move {
            Ok(on_db!(self, |pool, d| {
                let _turn = self.write_turn().await;
                if d.backend() == Backend::MySql {
                    sqlx::query(MYSQL_ADD)
                        .bind(key)
                        .bind(window_start)
                        .bind(n)
                        .bind(n)
                        .execute(pool)
                        .await?
                        .last_id()
                } else {
                    sqlx::query_scalar(
                    "INSERT INTO login_limits (\"key\", window_start, count) VALUES ($1, $2, $3) \
                     ON CONFLICT (\"key\", window_start) \
                     DO UPDATE SET count = login_limits.count + excluded.count \
                     RETURNING count",
                )
                .bind(key)
                .bind(window_start)
                .bind(n)
                .fetch_one(pool)
                .await?
                }
            }))
        })
        .await
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
        if self.backend() == Backend::MySql {
            // Two statements: the upsert, then the previous window's row by primary key.
            let count = self.limit_add(key, window_start, n).await?;
            let previous = self.limit_count(key, previous_start).await?;
            return Ok((count, previous));
        }
        self.retry_conflicts(move || async move {
            Ok(on_db!(self, |pool, d| {
                let _turn = self.write_turn().await;
                let r: (i64, i64) = sqlx::query_as(
                    "INSERT INTO login_limits (\"key\", window_start, count) VALUES ($1, $2, $3) \
                 ON CONFLICT (\"key\", window_start) \
                 DO UPDATE SET count = login_limits.count + excluded.count \
                 RETURNING count, COALESCE((SELECT p.count FROM login_limits p \
                   WHERE p.\"key\" = $1 AND p.window_start = $4), 0)",
                )
                .bind(key)
                .bind(window_start)
                .bind(n)
                .bind(previous_start)
                .fetch_one(pool)
                .await?;
                r
            }))
        })
        .await
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
            let r: (i64, i64) = sqlx::query_as(
                "SELECT COALESCE(MAX(CASE WHEN window_start = $1 THEN count END), 0), \
                        COALESCE(MAX(CASE WHEN window_start = $2 THEN count END), 0) \
                 FROM login_limits WHERE \"key\" = $3 AND window_start IN ($4, $5)",
            )
            .bind(window_start)
            .bind(previous_start)
            .bind(key)
            .bind(window_start)
            .bind(previous_start)
            .fetch_one(pool)
            .await?;
            r
        }))
    }

    /// Counts one attempt under `key` in the window starting at `window_start` only if the
    /// window's count stays at most `max`; returns the new count, or `None` (nothing counted)
    /// when it would go over. One conditional UPSERT, atomic on both backends: of any number
    /// of concurrent callers, at most `max` in a window get `Some`.
    pub async fn limit_take(&self, key: &str, window_start: Ts, max: i64) -> Result<Option<i64>> {
        if max < 1 {
            return Ok(None);
        }
        self.retry_conflicts(move || async move {
        Ok(on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            if d.backend() == Backend::MySql {
                // LAST_INSERT_ID is the new count when one was taken, 0 when the window was
                // full (the row is then left as it was).
                let n = sqlx::query(
                    "INSERT INTO login_limits (\"key\", window_start, count) \
                     VALUES ($1, $2, LAST_INSERT_ID(1)) \
                     ON DUPLICATE KEY UPDATE count = \
                       IF(count < $3, LAST_INSERT_ID(count + 1), count + 0 * LAST_INSERT_ID(0))",
                )
                .bind(key)
                .bind(window_start)
                .bind(max)
                .execute(pool)
                .await?
                .last_id();
                (n > 0).then_some(n)
            } else {
                let r: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO login_limits (\"key\", window_start, count) VALUES ($1, $2, 1) \
                     ON CONFLICT (\"key\", window_start) DO UPDATE SET count = login_limits.count + 1 \
                     WHERE login_limits.count < $3 \
                     RETURNING count",
                )
                .bind(key)
                .bind(window_start)
                .bind(max)
                .fetch_optional(pool)
                .await?;
                r
            }
        }))
        })
        .await
    }

    /// Takes back one attempt counted by [`Store::limit_take`] in the window starting at
    /// `window_start` (a login that turned out right). Never below 0.
    pub async fn limit_give_back(&self, key: &str, window_start: Ts) -> Result<()> {
        self.retry_conflicts(move || async move {
            on_db!(self, |pool, d| {
                let _turn = self.write_turn().await;
                sqlx::query(
                    "UPDATE login_limits SET count = count - 1 \
                 WHERE \"key\" = $1 AND window_start = $2 AND count > 0",
                )
                .bind(key)
                .bind(window_start)
                .execute(pool)
                .await?;
            });
            Ok(())
        })
        .await
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
        self.retry_conflicts(move || async move {
        match &self.db {
            super::Db::Postgres(pool) => {
                let keys: Vec<&str> = counts.iter().map(|(k, _)| k.as_str()).collect();
                let ns: Vec<i64> = counts.iter().map(|(_, n)| *n).collect();
                Ok(sqlx::query_as::<_, (String, i64)>(
                    "INSERT INTO login_limits (\"key\", window_start, count) \
                     SELECT k, $1, n FROM UNNEST($2::text[], $3::bigint[]) AS t(k, n) \
                     ON CONFLICT (\"key\", window_start) \
                     DO UPDATE SET count = login_limits.count + excluded.count \
                     RETURNING \"key\", count",
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
                        "INSERT INTO login_limits (\"key\", window_start, count) VALUES ($1, $2, $3) \
                         ON CONFLICT (\"key\", window_start) \
                         DO UPDATE SET count = login_limits.count + excluded.count RETURNING count",
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
            super::Db::MySql(pool) => {
                use super::mysql::sqlx_on_mysql as sqlx;
                let mut tx = pool.begin().await?;
                let mut out = Vec::with_capacity(counts.len());
                for (key, n) in counts {
                    let total = sqlx::query(MYSQL_ADD)
                        .bind(key)
                        .bind(window_start)
                        .bind(n)
                        .bind(n)
                        .execute(&mut *tx)
                        .await?
                        .last_id();
                    out.push((key.clone(), total));
                }
                tx.commit().await?;
                Ok(out)
            }
        }
        })
        .await
    }

    /// The count under `key` in the window starting at `window_start` (0 when none). One
    /// primary-key lookup.
    pub async fn limit_count(&self, key: &str, window_start: Ts) -> Result<i64> {
        Ok(on_db!(self, |pool, d| {
            let r: Option<i64> = sqlx::query_scalar(
                "SELECT count FROM login_limits WHERE \"key\" = $1 AND window_start = $2",
            )
            .bind(key)
            .bind(window_start)
            .fetch_optional(pool)
            .await?;
            r.unwrap_or(0)
        }))
    }

    /// Deletes up to `batch` windows that started before `before`; returns how many.
    pub async fn purge_limits(&self, before: Ts, batch: i64) -> Result<u64> {
        Ok(on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            // MySQL cannot LIMIT an IN subquery, but deletes in order with a LIMIT itself.
            sqlx::query(if d.backend() == Backend::MySql {
                "DELETE FROM login_limits WHERE window_start < $1 ORDER BY window_start LIMIT $2"
            } else {
                "DELETE FROM login_limits WHERE (\"key\", window_start) IN \
                 (SELECT \"key\", window_start FROM login_limits WHERE window_start < $1 \
                  ORDER BY window_start LIMIT $2)"
            })
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
        let key = &account_limit_key(username);
        self.retry_conflicts(move || async move {
            on_db!(self, |pool, d| {
                let _turn = self.write_turn().await;
                let mut tx = pool.begin_with(d.begin_write()).await?;
                let removed = sqlx::query("DELETE FROM login_limits WHERE \"key\" = $1")
                    .bind(key)
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
        })
        .await
    }
}
