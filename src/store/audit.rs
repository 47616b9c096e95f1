//! The audit log: append-only record of operator actions.

use serde::Serialize;

use super::types::{Arg, Sql};
use super::{Cursor, Page, Result, Store, Ts, bind_args, on_db, write_audit};
use crate::config::Actor;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    #[serde(skip)]
    pub id: i64,
    pub at: Ts,
    pub operator: String,
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
    pub async fn record_audit(
        &self,
        actor: &Actor,
        action: &str,
        target: &str,
        reason: Option<&str>,
        detail: &serde_json::Value,
    ) -> Result<()> {
        let now = self.now_ts();
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
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text)), &sql.args)
                .fetch_all(pool)
                .await?
        });
        Ok(Page::from_overfetch(rows, limit, AuditEntry::cursor))
    }
}

/// The SQL of [`Store::list_audit`] (also what the EXPLAIN checks look at).
pub(super) fn list_audit_sql(filter: &AuditFilter, after: Option<Cursor>, limit: i64) -> Sql {
    let mut sql = filtered_audit_sql(filter);
    sql.newest_first_page("at", "id", after, limit);
    sql
}

/// `SELECT … FROM audit_log WHERE …` for `filter`, without order or limit.
pub(super) fn filtered_audit_sql(filter: &AuditFilter) -> Sql {
    let mut sql = Sql::new(
        "SELECT id, at, operator, origin, action, target, reason, detail FROM audit_log WHERE 1=1",
    );
    let mut text = |col: &str, v: &Option<String>| {
        if let Some(v) = v {
            sql.push(&format!(" AND {col} = "))
                .bind(Arg::Text(v.clone()));
        }
    };
    text("operator", &filter.operator);
    text("action", &filter.action);
    text("target", &filter.target);
    if let Some(since) = filter.since {
        sql.push(" AND at >= ").bind(Arg::Ts(since));
    }
    sql
}
