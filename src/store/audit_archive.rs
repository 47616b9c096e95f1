//! `wxlogin audit archive`: the one path that removes audit rows. Rows are read oldest first,
//! and a batch is deleted only in a transaction that carries the archive's permit (PostgreSQL:
//! `SET LOCAL wxlogin.audit_archive` to the batch's highest id; SQLite and MariaDB/MySQL: a
//! row in audit_archive_permit, removed again before the commit), which the append-only triggers
//! check. A batch deletes exactly the rows the verified file holds for it, or nothing.

use serde_json::Value;

use super::audit::AuditEntry;
use super::types::{Arg, Keyset, SortKey, Sql};
use super::{Cursor, Result, Store, StoreError, Ts, bind_args, on_db, write_audit};
use crate::ops::Grant;

/// One batch of archived rows: the (at, id) range the file holds for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchivedBatch {
    pub first: Cursor,
    pub last: Cursor,
    pub count: u64,
    pub max_id: i64,
}

/// The DELETE of one archived batch: the rows from `first` to `last` in (at, id) order, none
/// newer than the file's largest id. The plain bounds on `at` ($2, $3) say the same as the row
/// comparisons; they are there for MariaDB, which does not turn a row comparison into a range
/// of `audit_log_newest`: without them it walked the primary key from the oldest id on every
/// batch (1M rows archived in 409 s against 55 s on PostgreSQL). `tests/explain.rs` checks the
/// plan on every backend.
pub(crate) const ARCHIVED_BATCH_DELETE_SQL: &str = "DELETE FROM audit_log WHERE at < $1 \
     AND at >= $2 AND at <= $3 AND (at, id) >= ($4, $5) AND (at, id) <= ($6, $7) AND id <= $8";

impl Store {
    /// Up to `limit` audit rows before `before`, oldest first, after `after`.
    pub async fn audit_rows_before(
        &self,
        before: Ts,
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let mut sql = Sql::new(
            "SELECT id, at, operator, role, origin, action, target, reason, detail FROM audit_log WHERE at < ",
        );
        sql.bind(Arg::Ts(before));
        sql.keyset(
            SortKey { at: "at", id: "id" },
            Keyset::OldestFirst,
            after,
            limit,
        );
        Ok(on_db!(self, |pool, d| {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text())), &sql.args)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Deletes the rows of `batch` (all before `before`) in one transaction with the
    /// archive's permit; anything but exactly `batch.count` rows rolls it back. `record`: the
    /// `audit.archive` row, written in the same transaction (the last batch).
    pub async fn delete_archived_batch(
        &self,
        grant: &Grant<'_>,
        before: Ts,
        batch: &ArchivedBatch,
        record: Option<(&str, &Value)>,
    ) -> Result<()> {
        let now = self.now_ts();
        let actor = grant.actor();
        let n = on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_with(d.begin_write()).await?;
            match self.backend() {
                super::Backend::Postgres => {
                    sqlx::query("SELECT set_config('wxlogin.audit_archive', $1, true)")
                        .bind(batch.max_id.to_string())
                        .execute(&mut *tx)
                        .await?;
                }
                super::Backend::Sqlite | super::Backend::MySql => {
                    sqlx::query("INSERT INTO audit_archive_permit (max_id) VALUES ($1)")
                        .bind(batch.max_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let n = sqlx::query(ARCHIVED_BATCH_DELETE_SQL)
                .bind(before)
                .bind(batch.first.at)
                .bind(batch.last.at)
                .bind(batch.first.at)
                .bind(batch.first.id)
                .bind(batch.last.at)
                .bind(batch.last.id)
                .bind(batch.max_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if let super::Backend::Sqlite | super::Backend::MySql = self.backend() {
                sqlx::query("DELETE FROM audit_archive_permit")
                    .execute(&mut *tx)
                    .await?;
            }
            if n != batch.count {
                tx.rollback().await?;
            } else {
                if let Some((target, detail)) = record {
                    write_audit!(&mut *tx, now, actor, "audit.archive", target, None, detail)?;
                }
                tx.commit().await?;
            }
            n
        });
        if n != batch.count {
            return Err(StoreError::Conflict(format!(
                "the audit rows changed under the archive ({n} rows in a range the file holds {} of); nothing of this batch was deleted",
                batch.count
            )));
        }
        Ok(())
    }
}
