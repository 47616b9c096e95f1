//! The audit log: append-only record of operator actions.

use serde::Serialize;

use super::types::{Arg, Keyset, SortKey, Sql};
use super::{Cursor, Page, Result, Store, Ts, bind_args, on_db, write_audit};
use crate::ops::{Grant, OpKind};

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    #[serde(skip)]
    pub id: i64,
    pub at: Ts,
    pub operator: String,
    /// viewer, support or oncall; `None` on rows written before roles existed.
    pub role: Option<String>,
    pub origin: Option<String>,
    pub action: String,
    pub target: String,
    pub reason: Option<String>,
    pub detail: sqlx::types::Json<serde_json::Value>,
}

impl AuditEntry {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.at,
            id: self.id,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub operator: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub since: Option<Ts>,
}

impl Store {
    /// Records an operator action that changes no other row (e.g. a test code exchange).
    pub(crate) async fn record_audit(
        &self,
        grant: &Grant<'_>,
        action: &str,
        target: &str,
        reason: Option<&str>,
        detail: &serde_json::Value,
    ) -> Result<()> {
        grant.require(
            "record_audit",
            &[
                OpKind::TestExchange,
                OpKind::CheckSessionKey,
                OpKind::ResetSessionKey,
                OpKind::ExportSessions,
            ],
        )?;
        let now = self.now_ts();
        let actor = grant.actor();
        on_db!(self, |pool, d| {
            Ok(write_audit!(
                pool, now, actor, action, target, reason, detail
            )?)
        })
    }

    /// Audit entries newest first, keyset-paginated.
    pub async fn list_audit(
        &self,
        filter: &AuditFilter,
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<AuditEntry>> {
        let limit = limit.clamp(1, 10_000);
        let sql = list_audit_sql(filter, after, limit);
        let rows: Vec<AuditEntry> = on_db!(self, |pool, d| {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text())), &sql.args)
                .fetch_all(pool)
                .await?
        });
        Ok(Page::from_overfetch(rows, limit, AuditEntry::cursor))
    }

    /// Up to `limit` entries that sort just *before* `newer_than` in the newest-first order
    /// (the rows above it on the console's screen), returned newest first. Without a cursor:
    /// the `limit` oldest entries (the end of the log).
    pub async fn list_audit_newer(
        &self,
        filter: &AuditFilter,
        newer_than: Option<Cursor>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let limit = limit.clamp(1, 10_000);
        let mut sql = filtered_audit_sql(filter);
        sql.keyset(AUDIT_KEY, Keyset::OldestFirst, newer_than, limit);
        let mut rows: Vec<AuditEntry> = on_db!(self, |pool, d| {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text())), &sql.args)
                .fetch_all(pool)
                .await?
        });
        rows.reverse();
        Ok(rows)
    }
}

const AUDIT_KEY: SortKey = SortKey { at: "at", id: "id" };

/// The SQL of [`Store::list_audit`] (also what the EXPLAIN checks look at).
pub(super) fn list_audit_sql(filter: &AuditFilter, after: Option<Cursor>, limit: i64) -> Sql {
    let mut sql = filtered_audit_sql(filter);
    sql.newest_first_page(AUDIT_KEY, after, limit);
    sql
}

/// `SELECT … FROM audit_log WHERE …` for `filter`, without order or limit.
pub(super) fn filtered_audit_sql(filter: &AuditFilter) -> Sql {
    let mut sql = Sql::new(
        "SELECT id, at, operator, role, origin, action, target, reason, detail FROM audit_log WHERE 1=1",
    );
    let text = |v: &Option<String>| v.clone().map(Arg::Text);
    sql.and_eq("operator", text(&filter.operator))
        .and_eq("action", text(&filter.action))
        .and_eq("target", text(&filter.target));
    if let Some(since) = filter.since {
        sql.push(" AND at >= ").bind(Arg::Ts(since));
    }
    sql
}
