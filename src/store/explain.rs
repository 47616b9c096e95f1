//! For benchmarks and the EXPLAIN checks: the exact SQL (text and arguments) of the store's main
//! queries, a way to EXPLAIN it on either backend, and a few sampling queries the benchmark
//! harness needs to pick realistic inputs.

use serde::Serialize;
use sqlx::Row;

use super::audit::list_audit_sql;
use super::bindings::find_bindings_sql;
use super::history::{history_audit_sql, history_created_sql, history_revoked_sql};
use super::sessions::{
    count_sessions_sql, list_sessions_sql, revoke_batch_sql, session_by_public_id_sql,
    session_by_token_sql,
};
use super::types::{Arg, Sql};
use super::{
    AuditFilter, Backend, BindingQuery, Cursor, Result, SessionFilter, Store, Ts, bind_args, on_db,
};
use crate::crypto::TokenHash;
use crate::operator::Actor;

/// A query exactly as the store would run it: SQL text with `$N` placeholders and its
/// arguments.
#[derive(Debug, Clone)]
pub struct QueryText {
    pub sql: String,
    args: Vec<Arg>,
}

impl From<Sql> for QueryText {
    fn from(s: Sql) -> Self {
        QueryText {
            sql: s.text().to_owned(),
            args: s.args,
        }
    }
}

impl QueryText {
    /// The arguments as SQL literals, in order (for logs and `psql`).
    pub fn literal_args(&self) -> Vec<String> {
        self.args.iter().map(literal).collect()
    }

    /// The same statement with the arguments written in as PostgreSQL literals: what a DBA
    /// would paste into `psql`.
    pub fn to_pg_literal_sql(&self) -> String {
        splice(&self.sql, &self.args, literal)
    }

    /// The same statement with the arguments written in as SQLite literals (for `sqlite3`).
    pub fn to_sqlite_literal_sql(&self) -> String {
        splice(&self.sql, &self.args, |a| match a {
            Arg::Ts(t) => t.micros().to_string(),
            Arg::Bytes(b) => format!("X'{}'", hex::encode(b)),
            other => literal(other),
        })
    }
}

impl QueryText {
    /// The same statement with the arguments written in as MariaDB/MySQL literals (for the
    /// `mariadb` client): times as DATETIME(6) text in UTC (the columns' type; sqlx's session
    /// time zone is UTC), bytes as hex literals, and backslashes doubled in strings (MariaDB
    /// reads `\` as an escape inside quotes by default).
    pub fn to_mysql_literal_sql(&self) -> String {
        splice(&self.sql, &self.args, |a| match a {
            Arg::I64(v) => v.to_string(),
            Arg::Text(v) => format!("'{}'", v.replace('\\', "\\\\").replace('\'', "''")),
            Arg::Ts(t) => format!("'{}'", t.0.format("%Y-%m-%d %H:%M:%S%.6f")),
            Arg::Bytes(b) => format!("X'{}'", hex::encode(b)),
        })
    }
}

/// Replaces each `$N` placeholder of `sql` with `lit(args[N-1])` in one pass over the
/// statement's own text: a value is never scanned again, so a value that contains `$1` (or a
/// quote) stays inside its literal. The store's SQL text is static (see `Sql::push`), so a `$`
/// followed by digits is always a placeholder.
fn splice(sql: &str, args: &[Arg], lit: impl Fn(&Arg) -> String) -> String {
    let mut out = String::with_capacity(sql.len() + 16 * args.len());
    let mut rest = sql;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits]
            .parse::<usize>()
            .ok()
            .and_then(|n| args.get(n.wrapping_sub(1)))
        {
            Some(a) => out.push_str(&lit(a)),
            None => {
                out.push('$');
                out.push_str(&after[..digits]);
            }
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

fn literal(a: &Arg) -> String {
    match a {
        Arg::I64(v) => v.to_string(),
        Arg::Text(v) => format!("'{}'", v.replace('\'', "''")),
        Arg::Ts(t) => format!(
            "'{}'::timestamptz",
            t.0.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        ),
        Arg::Bytes(b) => format!("'\\x{}'::bytea", hex::encode(b)),
    }
}

/// How PostgreSQL plans a prepared statement: with the actual values (the first executions of a
/// cached statement) or generically (what it may switch to after five executions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanMode {
    Custom,
    Generic,
}

/// The plan of one query, reduced to what the checks need.
#[derive(Debug, Clone, Serialize)]
pub struct QueryPlan {
    /// One line per plan node (PostgreSQL) or per `EXPLAIN QUERY PLAN` row (SQLite).
    pub lines: Vec<String>,
    /// Tables read by a full sequential scan.
    pub seq_scans: Vec<String>,
    /// Indexes the plan uses.
    pub indexes: Vec<String>,
}

impl std::fmt::Display for QueryPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for l in &self.lines {
            writeln!(f, "{l}")?;
        }
        Ok(())
    }
}

fn walk_pg_plan(node: &serde_json::Value, depth: usize, out: &mut QueryPlan) {
    let get = |k: &str| node.get(k).and_then(|v| v.as_str());
    let kind = get("Node Type").unwrap_or("?");
    let mut line = format!("{}{kind}", "  ".repeat(depth));
    if let Some(rel) = get("Relation Name") {
        line.push_str(&format!(" on {rel}"));
        if kind == "Seq Scan" {
            out.seq_scans.push(rel.to_owned());
        }
    }
    if let Some(ix) = get("Index Name") {
        line.push_str(&format!(" using {ix}"));
        out.indexes.push(ix.to_owned());
    }
    for k in ["Index Cond", "Filter", "Sort Key"] {
        if let Some(v) = node.get(k) {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            line.push_str(&format!("  [{k}: {v}]"));
        }
    }
    if let Some(rows) = node.get("Plan Rows") {
        line.push_str(&format!("  (rows={rows})"));
    }
    out.lines.push(line);
    if let Some(children) = node.get("Plans").and_then(|p| p.as_array()) {
        for c in children {
            walk_pg_plan(c, depth + 1, out);
        }
    }
}

type SampleRow = (
    String,
    Vec<u8>,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// A sample of real rows to feed the benchmarked lookups.
#[derive(Debug, Clone)]
pub struct SessionSample {
    pub public_id: String,
    pub token_hash: TokenHash,
    pub account_id: i64,
    pub appid: String,
    pub openid: String,
    pub unionid: Option<String>,
    pub client_ip: Option<String>,
}

impl Store {
    pub fn explain_list_sessions_sql(
        &self,
        filter: &SessionFilter,
        after: Option<Cursor>,
        limit: i64,
    ) -> QueryText {
        list_sessions_sql(
            filter,
            after,
            limit.clamp(1, 10_000),
            self.now_ts(),
            self.backend(),
        )
        .into()
    }

    pub fn explain_count_sessions_sql(&self, filter: &SessionFilter) -> QueryText {
        count_sessions_sql(filter, self.now_ts()).into()
    }

    pub fn explain_session_by_token_sql(&self, hash: &TokenHash) -> QueryText {
        QueryText {
            sql: session_by_token_sql(),
            args: vec![Arg::Bytes(hash.0.to_vec())],
        }
    }

    /// [`Store::revocations_by_minute`] over the last hour (the Overview's revocations line).
    pub fn explain_revocations_sql(&self) -> QueryText {
        let since = Ts::from(self.now_ts().0 - chrono::Duration::hours(1));
        let mut args: Vec<Arg> = super::stats::REVOKING_ACTIONS
            .iter()
            .map(|(a, _)| Arg::Text((*a).to_owned()))
            .collect();
        args.push(Arg::Ts(since));
        args.push(Arg::I64(super::stats::REVOCATION_ROWS_READ));
        QueryText {
            sql: super::stats::REVOCATIONS_SQL.to_owned(),
            args,
        }
    }

    /// [`Store::validate_token`], the lookup of every GET /me and POST /logout.
    pub fn explain_validate_token_sql(&self, hash: &TokenHash) -> QueryText {
        QueryText {
            sql: super::sessions::VALIDATE_TOKEN_SQL.to_owned(),
            args: vec![Arg::Bytes(hash.0.to_vec())],
        }
    }

    /// [`Store::validate_tokens`] (PostgreSQL): the hashes as one `bytea[]` literal.
    pub fn explain_validate_tokens_sql(&self, hashes: &[TokenHash]) -> QueryText {
        let list: Vec<String> = hashes
            .iter()
            .map(|h| format!("\"\\\\x{}\"", hex::encode(h.0)))
            .collect();
        QueryText {
            sql: super::sessions::VALIDATE_TOKENS_SQL.to_owned(),
            args: vec![Arg::Text(format!("{{{}}}", list.join(",")))],
        }
    }

    pub fn explain_session_by_public_id_sql(&self, public_id: &str) -> QueryText {
        QueryText {
            sql: session_by_public_id_sql(),
            args: vec![Arg::Text(public_id.to_owned())],
        }
    }

    /// One batch of [`Store::revoke_matching`] (only live sessions, as it forces).
    pub fn explain_revoke_batch_sql(
        &self,
        filter: &SessionFilter,
        actor: &Actor,
        reason: &str,
        batch: i64,
    ) -> QueryText {
        self.revoke_pick(filter, actor, reason, batch, (None, None))
    }

    /// The first batch of the older of the two ranges a large [`Store::revoke_matching`] walks
    /// at once on PostgreSQL: everything created before `before`.
    pub fn explain_revoke_older_range_sql(
        &self,
        filter: &SessionFilter,
        actor: &Actor,
        reason: &str,
        batch: i64,
        before: Ts,
    ) -> QueryText {
        let before = Cursor {
            at: before,
            id: i64::MIN,
        };
        self.revoke_pick(filter, actor, reason, batch, (None, Some(before)))
    }

    /// The first batch of [`Store::revoke_matching`]'s final sweep: the same pick, starting
    /// at `walk start - REVOKE_SWEEP_MARGIN` (here: now) instead of at the beginning.
    pub fn explain_revoke_sweep_sql(
        &self,
        filter: &SessionFilter,
        actor: &Actor,
        reason: &str,
        batch: i64,
    ) -> QueryText {
        let start = super::sessions::sweep_start(self.now_ts());
        self.revoke_pick(filter, actor, reason, batch, (Some(start), None))
    }

    /// A batch of the bulk revoke over `range`, as [`Store::revoke_matching`] builds it.
    fn revoke_pick(
        &self,
        filter: &SessionFilter,
        actor: &Actor,
        reason: &str,
        batch: i64,
        range: (Option<Cursor>, Option<Cursor>),
    ) -> QueryText {
        let filter = SessionFilter {
            include_inactive: false,
            ..filter.clone()
        };
        revoke_batch_sql(
            &filter,
            &actor.operator,
            reason,
            batch,
            self.now_ts(),
            range,
            self.backend(),
        )
        .into()
    }

    pub fn explain_find_bindings_sql(&self, q: &BindingQuery) -> QueryText {
        find_bindings_sql(q, self.now_ts()).into()
    }

    /// The three page reads of [`Store::account_history`] (audit by target, the account's
    /// sessions created, its sessions revoked), for a cursor-less page of 50.
    pub fn explain_account_history_sqls(
        &self,
        account_id: i64,
        targets: &[String],
    ) -> [QueryText; 3] {
        [
            history_audit_sql(targets, None, 51).into(),
            history_created_sql(account_id, None, 51).into(),
            history_revoked_sql(account_id, None, 51).into(),
        ]
    }

    pub fn explain_list_audit_sql(
        &self,
        filter: &AuditFilter,
        after: Option<Cursor>,
        limit: i64,
    ) -> QueryText {
        list_audit_sql(filter, after, limit.clamp(1, 10_000)).into()
    }

    /// A middle batch of the session purge ([`Store::purge_sessions_batch`]): the pick of the
    /// batch's end after `after`, and the DELETE of the range `(after, end]`, with `cutoff`.
    pub fn explain_purge_batch_sqls(
        &self,
        cutoff: Ts,
        after: Cursor,
        end: Cursor,
        batch: i64,
    ) -> [QueryText; 2] {
        [
            QueryText {
                sql: super::retention::PURGE_END_AFTER_SQL.to_owned(),
                args: vec![
                    Arg::Ts(cutoff),
                    Arg::Ts(after.at),
                    Arg::I64(after.id),
                    Arg::I64(batch - 1),
                ],
            },
            QueryText {
                sql: super::retention::purge_delete_sql(true, true),
                args: vec![
                    Arg::Ts(cutoff),
                    Arg::Ts(after.at),
                    Arg::Ts(after.at),
                    Arg::I64(after.id),
                    Arg::Ts(end.at),
                    Arg::Ts(end.at),
                    Arg::I64(end.id),
                    Arg::Ts(cutoff),
                    Arg::Ts(cutoff),
                ],
            },
        ]
    }

    /// The DELETE of one batch of `audit archive` (see [`super::audit_archive`]): the rows from
    /// `first` to `last`, before `before`, none with an id above `max_id`.
    pub fn explain_archive_delete_sql(
        &self,
        before: Ts,
        first: Cursor,
        last: Cursor,
        max_id: i64,
    ) -> QueryText {
        QueryText {
            sql: super::audit_archive::ARCHIVED_BATCH_DELETE_SQL.to_owned(),
            args: vec![
                Arg::Ts(before),
                Arg::Ts(first.at),
                Arg::Ts(last.at),
                Arg::Ts(first.at),
                Arg::I64(first.id),
                Arg::Ts(last.at),
                Arg::I64(last.id),
                Arg::I64(max_id),
            ],
        }
    }

    /// Two consecutive positions of the purge walk with `cutoff`, `batch` rows apart, a
    /// `skip` rows in (for the EXPLAIN checks): `None` when there are not that many rows.
    pub async fn bench_purge_walk_cursors(
        &self,
        cutoff: Ts,
        skip: i64,
        batch: i64,
    ) -> Result<Option<(Cursor, Cursor)>> {
        let pick = |offset: i64| async move {
            let row: Option<(Ts, i64)> = on_db!(self, |pool, d| {
                sqlx::query_as(
                    "SELECT created_at, id FROM sessions WHERE created_at < $1 \
                     ORDER BY created_at ASC, id ASC LIMIT 1 OFFSET $2",
                )
                .bind(cutoff)
                .bind(offset)
                .fetch_optional(pool)
                .await?
            });
            Ok::<_, super::StoreError>(row.map(|(at, id)| Cursor { at, id }))
        };
        match (pick(skip).await?, pick(skip + batch).await?) {
            (Some(a), Some(b)) => Ok(Some((a, b))),
            _ => Ok(None),
        }
    }

    /// The plan the database chooses for `q` (nothing is executed, not even an UPDATE).
    /// PostgreSQL: `EXPLAIN (FORMAT JSON)`; [`PlanMode::Generic`] prepares the statement and
    /// forces the generic plan a long-lived connection may end up using. SQLite: `EXPLAIN QUERY
    /// PLAN` (SQLite always plans without looking at the values).
    pub async fn explain(&self, q: &QueryText, mode: PlanMode) -> Result<QueryPlan> {
        let mut out = QueryPlan {
            lines: Vec::new(),
            seq_scans: Vec::new(),
            indexes: Vec::new(),
        };
        match &self.db {
            super::Db::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                // The values are written into the SQL as typed literals: PostgreSQL does not
                // take bind parameters into EXPLAIN of a parameterised statement.
                let json: serde_json::Value = match mode {
                    PlanMode::Custom => {
                        let sql = format!("EXPLAIN (FORMAT JSON) {}", q.to_pg_literal_sql());
                        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .fetch_one(&mut *conn)
                            .await?
                            .try_get(0)?
                    }
                    PlanMode::Generic => {
                        // A name of our own: sqlx's cached statements on this connection stay.
                        let name =
                            format!("wxlogin_explain_{}", hex::encode(rand::random::<[u8; 6]>()));
                        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "SET plan_cache_mode = force_generic_plan; PREPARE {name} AS {}",
                            q.sql
                        )))
                        .execute(&mut *conn)
                        .await?;
                        let sql = if q.args.is_empty() {
                            format!("EXPLAIN (FORMAT JSON) EXECUTE {name}")
                        } else {
                            format!(
                                "EXPLAIN (FORMAT JSON) EXECUTE {name}({})",
                                q.literal_args().join(", ")
                            )
                        };
                        let r = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .fetch_one(&mut *conn)
                            .await;
                        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "DEALLOCATE {name}; RESET plan_cache_mode"
                        )))
                        .execute(&mut *conn)
                        .await?;
                        r?.try_get(0)?
                    }
                };
                if let Some(plan) = json.get(0).and_then(|p| p.get("Plan")) {
                    walk_pg_plan(plan, 0, &mut out);
                }
            }
            super::Db::Sqlite(pool) => {
                let sql = format!("EXPLAIN QUERY PLAN {}", q.sql);
                let rows = bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql)), &q.args)
                    .fetch_all(pool)
                    .await?;
                for r in rows {
                    let detail: String = r.try_get("detail")?;
                    // "SCAN s" / "SCAN sessions" is a full table scan; "SCAN s USING INDEX x"
                    // walks an index in order; "SEARCH s USING INDEX x (…)" is a lookup.
                    let words: Vec<&str> = detail.split_whitespace().collect();
                    if words.first() == Some(&"SCAN")
                        && !detail.contains(" USING ")
                        && let Some(t) = words.get(1)
                    {
                        out.seq_scans.push((*t).to_owned());
                    }
                    if detail.contains(" USING INTEGER PRIMARY KEY") {
                        out.indexes.push("rowid".to_owned());
                    }
                    if let Some(pos) = words.iter().position(|w| *w == "INDEX")
                        && let Some(ix) = words.get(pos + 1)
                    {
                        out.indexes.push((*ix).to_owned());
                    }
                    out.lines.push(detail);
                }
            }
            super::Db::MySql(pool) => {
                use super::mysql::sqlx_on_mysql as sqlx;
                // The tabular EXPLAIN: one row per table access; `type` ALL is a full scan,
                // `key` the index used. The values are bound as the store binds them.
                let sql = format!("EXPLAIN {}", q.sql);
                let rows = bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql)), &q.args)
                    .fetch_all(pool)
                    .await?;
                for r in rows {
                    let get = |c: &str| -> Option<String> {
                        r.try_get::<Option<String>, _>(c)
                            .ok()
                            .flatten()
                            .or_else(|| {
                                r.try_get::<Option<Vec<u8>>, _>(c)
                                    .ok()
                                    .flatten()
                                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                            })
                    };
                    let table = get("table").unwrap_or_default();
                    let access = get("type").unwrap_or_default();
                    let key = get("key");
                    let extra = get("Extra").unwrap_or_default();
                    if access == "ALL" {
                        out.seq_scans.push(table.clone());
                    }
                    if let Some(k) = &key {
                        out.indexes.push(if k == "PRIMARY" {
                            "rowid".to_owned()
                        } else {
                            k.clone()
                        });
                    }
                    out.lines.push(format!(
                        "{table}: {access} key={} {extra}",
                        key.as_deref().unwrap_or("-")
                    ));
                }
            }
        }
        Ok(out)
    }

    /// The sort key of the `n`th live session, newest first (0-based): where a page that deep
    /// starts. Walks the index once; for benchmark setup, not for the application.
    pub async fn bench_nth_live_cursor(&self, n: i64) -> Result<Option<Cursor>> {
        let now = self.now_ts();
        let row: Option<(Ts, i64)> = on_db!(self, |pool, d| {
            sqlx::query_as(
                "SELECT created_at, id FROM sessions WHERE revoked_at IS NULL AND expires_at > $1 \
                 ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET $2",
            )
            .bind(now)
            .bind(n)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(at, id)| Cursor { at, id }))
    }

    /// `k` sessions spread evenly over the id range (deterministic).
    pub async fn bench_sample_sessions(&self, k: usize) -> Result<Vec<SessionSample>> {
        let (lo, hi): (Option<i64>, Option<i64>) = on_db!(self, |pool, d| {
            sqlx::query_as("SELECT MIN(id), MAX(id) FROM sessions")
                .fetch_one(pool)
                .await?
        });
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(k);
        for i in 0..k as i64 {
            let id = lo + (hi - lo) * (2 * i + 1) / (2 * k as i64).max(1);
            let row: Option<SampleRow> = on_db!(self, |pool, d| {
                sqlx::query_as(
                    "SELECT public_id, token_hash, account_id, appid, openid, unionid, client_ip \
                         FROM sessions WHERE id >= $1 ORDER BY id LIMIT 1",
                )
                .bind(id)
                .fetch_optional(pool)
                .await?
            });
            if let Some((public_id, th, account_id, appid, openid, unionid, client_ip)) = row {
                let mut h = [0u8; 32];
                if th.len() == 32 {
                    h.copy_from_slice(&th);
                }
                out.push(SessionSample {
                    public_id,
                    token_hash: TokenHash(h),
                    account_id,
                    appid,
                    openid,
                    unionid,
                    client_ip,
                });
            }
        }
        Ok(out)
    }

    /// The server's version string (`SELECT version()` / `sqlite_version()`).
    pub async fn server_version(&self) -> Result<String> {
        let sql = match self.backend() {
            Backend::Postgres => "SELECT version()",
            Backend::Sqlite => "SELECT 'SQLite ' || sqlite_version()",
            Backend::MySql => "SELECT CONCAT('MariaDB/MySQL ', version())",
        };
        Ok(on_db!(self, |pool, d| {
            sqlx::query_scalar(sql).fetch_one(pool).await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spliced_values_stay_inside_their_literals() {
        let q = QueryText {
            sql: "SELECT 1 WHERE a = $1 AND b = $2 AND c = $10".into(),
            args: vec![
                Arg::Text("x' OR $2 --".into()),
                Arg::I64(7),
                Arg::I64(1),
                Arg::I64(2),
                Arg::I64(3),
                Arg::I64(4),
                Arg::I64(5),
                Arg::I64(6),
                Arg::I64(8),
                Arg::Text("ten".into()),
            ],
        };
        assert_eq!(
            q.to_pg_literal_sql(),
            "SELECT 1 WHERE a = 'x'' OR $2 --' AND b = 7 AND c = 'ten'"
        );
        assert_eq!(
            q.to_sqlite_literal_sql(),
            "SELECT 1 WHERE a = 'x'' OR $2 --' AND b = 7 AND c = 'ten'"
        );
    }
}
