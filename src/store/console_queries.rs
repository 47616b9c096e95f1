//! Queries the operations console needs beyond the shared API: keyset pages read *towards the
//! newest* row, so the console can scroll up through a sliding window of pages (and jump to the
//! oldest page) without keeping every page it has seen. Same filters, same order as
//! [`Store::list_sessions`] and [`Store::list_audit`]; an index range scan either way.

use super::sessions::SESSION_COLS;
use super::types::{Arg, Sql};
use super::{AuditEntry, AuditFilter, Cursor, Result, SessionFilter, SessionRow, Store};
use super::{bind_args, on_db};

impl Sql {
    /// The mirror of `newest_first_page`: rows sorting after `after` in ascending order (the
    /// caller reverses them), `limit` of them, an index range scan read backwards.
    fn oldest_first_after(
        &mut self,
        at_col: &str,
        id_col: &str,
        after: Option<Cursor>,
        limit: i64,
    ) -> &mut Self {
        if let Some(c) = after {
            self.push(&format!(" AND ({at_col}, {id_col}) > ("))
                .bind(Arg::Ts(c.at))
                .push(", ")
                .bind(Arg::I64(c.id))
                .push(")");
        }
        self.push(&format!(" ORDER BY {at_col} ASC, {id_col} ASC LIMIT "))
            .bind(Arg::I64(limit))
    }
}

impl Store {
    /// Up to `limit` sessions matching `filter` that sort just *before* `newer_than` in the
    /// console's newest-first order (the rows above it on screen), returned newest first.
    /// Without a cursor: the `limit` oldest sessions (the end of the list).
    pub async fn list_sessions_newer(
        &self,
        filter: &SessionFilter,
        newer_than: Option<Cursor>,
        limit: i64,
    ) -> Result<Vec<SessionRow>> {
        let limit = limit.clamp(1, 10_000);
        let mut sql = Sql::new(&format!(
            "SELECT {SESSION_COLS} FROM sessions s JOIN accounts a ON a.id = s.account_id"
        ));
        filter.push_where(&mut sql, self.now_ts());
        sql.oldest_first_after("s.created_at", "s.id", newer_than, limit);
        let mut rows: Vec<SessionRow> = on_db!(self, |pool, d| {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text)), &sql.args)
                .fetch_all(pool)
                .await?
        });
        rows.reverse();
        Ok(rows)
    }

    /// The audit counterpart of [`Store::list_sessions_newer`]: entries just newer than
    /// `newer_than` (or the oldest ones), newest first.
    pub async fn list_audit_newer(
        &self,
        filter: &AuditFilter,
        newer_than: Option<Cursor>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let limit = limit.clamp(1, 10_000);
        let mut sql = super::audit::filtered_audit_sql(filter);
        sql.oldest_first_after("at", "id", newer_than, limit);
        let mut rows: Vec<AuditEntry> = on_db!(self, |pool, d| {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text)), &sql.args)
                .fetch_all(pool)
                .await?
        });
        rows.reverse();
        Ok(rows)
    }
}
