//! Login outcomes, failing client addresses and service instances, as every `wxlogin serve`
//! records them (`login_stats`, `login_failures_by_address`, `service_instances`).
//!
//! Writes: each instance owns its rows and writes absolute per-minute counts, one UPSERT per
//! changed row per flush (never one per login); a repeated flush writes the same values.
//! Reads sum over instances, are bounded by time (`minute >= since`, the primary key's first
//! column) and turn whatever they do not recognise into `other` rather than failing.

use serde::Serialize;

use super::{Result, Store, StoreError, Ts, on_db};

/// Outcome names a reader recognises; anything else in the table reads as [`OTHER`].
pub const KNOWN_OUTCOMES: &[&str] = &[
    "silent",
    "bound",
    "binding_required",
    "binding_conflict",
    "binding_limit",
    "invalid_credentials",
    "account_locked",
    "account_disabled",
    "rate_limited",
    "bad_request",
    "wechat_-1",
    "wechat_40029",
    "wechat_40163",
    "wechat_40226",
    "wechat_45011",
    "wechat_40013",
    "wechat_40125",
    "wechat_other",
    "wechat_unreachable",
    "error",
];

/// What unrecognised rows are shown as.
pub const OTHER: &str = "other";

/// Failing addresses kept per instance per minute.
pub const ADDRESSES_PER_MINUTE: i64 = 50;

/// `outcome` if a reader knows it, else `other`.
pub fn normalize_outcome(outcome: &str) -> &str {
    KNOWN_OUTCOMES
        .iter()
        .find(|k| **k == outcome)
        .copied()
        .unwrap_or(OTHER)
}

/// One row to write: this instance's total for (minute, appid, outcome) so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeCount {
    pub minute: Ts,
    pub appid: String,
    pub outcome: String,
    pub count: i64,
}

/// This instance's failed logins from one address (or IPv6 /64) in one minute so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressCount {
    pub minute: Ts,
    pub address: String,
    pub count: i64,
}

/// A running (or once running) `wxlogin serve`.
#[derive(Debug, Clone)]
pub struct NewInstance {
    pub id: String,
    pub host: String,
    pub pid: i64,
    pub version: String,
    pub listen: String,
}

/// An instance as the readers see it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InstanceRow {
    pub id: String,
    pub host: String,
    pub pid: i64,
    pub version: String,
    pub listen: String,
    pub started_at: Ts,
    pub last_seen_at: Ts,
    pub stopped_at: Option<Ts>,
}

/// A per-minute bucket summed over instances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoginBucket {
    pub minute: Ts,
    pub appid: String,
    pub outcome: String,
    pub count: i64,
}

/// Sessions revoked in one minute, by operator actions (from their audit rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RevocationBucket {
    pub minute: Ts,
    pub count: i64,
}

/// The audit actions that revoke sessions, each with the detail field that says how many.
/// (A user's own logout is not an operator action and has no audit row: not counted.)
pub const REVOKING_ACTIONS: [(&str, &str); 4] = [
    ("sessions.revoke", "revoked"),
    ("account.disable", "sessions_revoked"),
    ("account.set_password", "sessions_revoked"),
    ("binding.unbind", "sessions_revoked"),
];

/// [`Store::revocations_by_minute`]: the revoking actions' audit rows since `$5`, newest first.
pub(super) const REVOCATIONS_SQL: &str = "SELECT action, at, detail FROM audit_log \
    WHERE action IN ($1, $2, $3, $4) AND at >= $5 ORDER BY at DESC LIMIT $6";

/// Most audit rows one revocations read looks at (a bulk revoke writes one per batch).
pub const REVOCATION_ROWS_READ: i64 = 20_000;

/// A failing address summed over instances and minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailingAddress {
    pub address: String,
    pub count: i64,
}

/// Live sessions: exact, or PostgreSQL's row estimate when an exact count is too slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LiveSessions {
    pub count: i64,
    pub exact: bool,
}

/// Instances with a heartbeat this recent are up.
pub const UP_WITHIN_SECS: i64 = 30;

/// How long an exact live-session count may take on PostgreSQL before the estimate is used.
pub const EXACT_COUNT_TIMEOUT_MS: u32 = 250;

/// Below this many rows in `sessions` (by PostgreSQL's statistics) the live count is exact:
/// a scan of 50,000 rows takes a few milliseconds.
pub const EXACT_COUNT_BELOW_ROWS: u64 = 50_000;

impl Store {
    /// Records this instance at startup (a reused id starts over).
    pub async fn register_instance(&self, i: &NewInstance) -> Result<()> {
        let now = self.now_ts();
        on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            sqlx::query(if d.backend() == super::Backend::MySql {
                "INSERT INTO service_instances (id, host, pid, version, listen, started_at, last_seen_at, stopped_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) \
                 ON DUPLICATE KEY UPDATE host = VALUES(host), pid = VALUES(pid), \
                 version = VALUES(version), listen = VALUES(listen), started_at = VALUES(started_at), \
                 last_seen_at = VALUES(last_seen_at), stopped_at = NULL"
            } else {
                "INSERT INTO service_instances (id, host, pid, version, listen, started_at, last_seen_at, stopped_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) \
                 ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, \
                 version = excluded.version, listen = excluded.listen, started_at = excluded.started_at, \
                 last_seen_at = excluded.last_seen_at, stopped_at = NULL"
            })
            .bind(&i.id)
            .bind(&i.host)
            .bind(i.pid)
            .bind(&i.version)
            .bind(&i.listen)
            .bind(now)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The heartbeat: this instance is alive now. False when its row is gone (deleted by a
    /// retention sweep after a long outage): register again.
    pub async fn instance_heartbeat(&self, id: &str) -> Result<bool> {
        let now = self.now_ts();
        Ok(on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            sqlx::query("UPDATE service_instances SET last_seen_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
                > 0
        }))
    }

    /// Graceful shutdown: this instance is stopped.
    pub async fn mark_instance_stopped(&self, id: &str) -> Result<()> {
        let now = self.now_ts();
        on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            sqlx::query(
                "UPDATE service_instances SET last_seen_at = $1, stopped_at = $2 WHERE id = $3",
            )
            .bind(now)
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// One flush of an instance's counters, in one transaction: one UPSERT per row given
    /// (the caller passes only rows that changed), then, for each minute in `closed_minutes`,
    /// drops this instance's addresses below the top [`ADDRESSES_PER_MINUTE`]. Returns the
    /// number of `login_stats` UPSERT statements issued.
    pub async fn write_login_stats(
        &self,
        instance_id: &str,
        outcomes: &[OutcomeCount],
        addresses: &[AddressCount],
        closed_minutes: &[Ts],
    ) -> Result<usize> {
        if outcomes.is_empty() && addresses.is_empty() && closed_minutes.is_empty() {
            return Ok(0);
        }
        let mut upserts = 0;
        on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_with(d.begin_write()).await?;
            for o in outcomes {
                upserts += 1;
                sqlx::query(if d.backend() == super::Backend::MySql {
                    "INSERT INTO login_stats (minute, instance_id, appid, outcome, count) \
                     VALUES ($1, $2, $3, $4, $5) ON DUPLICATE KEY UPDATE count = VALUES(count)"
                } else {
                    "INSERT INTO login_stats (minute, instance_id, appid, outcome, count) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (minute, instance_id, appid, outcome) DO UPDATE SET count = excluded.count"
                })
                .bind(o.minute)
                .bind(instance_id)
                .bind(&o.appid)
                .bind(&o.outcome)
                .bind(o.count)
                .execute(&mut *tx)
                .await?;
            }
            for a in addresses {
                sqlx::query(if d.backend() == super::Backend::MySql {
                    "INSERT INTO login_failures_by_address (minute, instance_id, address, count) \
                     VALUES ($1, $2, $3, $4) ON DUPLICATE KEY UPDATE count = VALUES(count)"
                } else {
                    "INSERT INTO login_failures_by_address (minute, instance_id, address, count) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (minute, instance_id, address) DO UPDATE SET count = excluded.count"
                })
                .bind(a.minute)
                .bind(instance_id)
                .bind(&a.address)
                .bind(a.count)
                .execute(&mut *tx)
                .await?;
            }
            for m in closed_minutes {
                // The top list is a derived table: MySQL refuses a LIMIT in an IN subquery and
                // a subquery on the table a DELETE changes, but not a materialised one.
                sqlx::query(
                    "DELETE FROM login_failures_by_address WHERE minute = $1 AND instance_id = $2 \
                     AND address NOT IN (SELECT address FROM (SELECT address FROM login_failures_by_address \
                     WHERE minute = $3 AND instance_id = $4 ORDER BY count DESC, address LIMIT $5) AS top)",
                )
                .bind(*m)
                .bind(instance_id)
                .bind(*m)
                .bind(instance_id)
                .bind(ADDRESSES_PER_MINUTE)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(upserts)
    }

    /// Deletes statistics older than `before`, at most `minutes` distinct minutes of each
    /// table per call (small transactions), and instances not seen since `before`.
    /// Returns the rows deleted; call again while it returns more than zero.
    pub async fn purge_login_stats(&self, before: Ts, minutes: i64) -> Result<u64> {
        let mut deleted = 0;
        on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            for table in ["login_stats", "login_failures_by_address"] {
                let sql = format!(
                    "DELETE FROM {table} WHERE minute IN (SELECT minute FROM \
                     (SELECT DISTINCT minute FROM {table} WHERE minute < $1 ORDER BY minute LIMIT $2) AS old)"
                );
                deleted += sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(before)
                    .bind(minutes)
                    .execute(pool)
                    .await?
                    .rows_affected();
            }
            deleted += sqlx::query("DELETE FROM service_instances WHERE last_seen_at < $1")
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected();
        });
        Ok(deleted)
    }

    /// Login outcomes per minute and appid since `since`, summed over instances, oldest
    /// first. Unknown outcome names and minutes in the future read as `other` (at the current
    /// minute); negative counts as zero.
    pub async fn login_buckets(&self, since: Ts) -> Result<Vec<LoginBucket>> {
        let rows: Vec<(Ts, String, String, i64)> = on_db!(self, |pool, d| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT minute, appid, outcome, CAST(SUM(count) AS {}) FROM login_stats \
                 WHERE minute >= $1 GROUP BY minute, appid, outcome ORDER BY minute, appid, outcome",
                d.int64()
            )))
            .bind(since)
            .fetch_all(pool)
            .await?
        });
        let now_minute = minute_of(self.now_ts());
        // Rows arrive grouped and ordered; only rows renamed to `other` can meet again.
        let mut merged: std::collections::BTreeMap<(Ts, String, &str), i64> = Default::default();
        for (minute, appid, outcome, count) in &rows {
            let (minute, outcome) = if *minute > now_minute {
                (now_minute, OTHER)
            } else {
                (*minute, normalize_outcome(outcome))
            };
            let n = merged.entry((minute, appid.clone(), outcome)).or_default();
            *n = n.saturating_add((*count).max(0));
        }
        Ok(merged
            .into_iter()
            .map(|((minute, appid, outcome), count)| LoginBucket {
                minute,
                appid,
                outcome: outcome.to_owned(),
                count,
            })
            .collect())
    }

    /// The addresses with the most failed logins since `since`, most first.
    pub async fn failing_addresses(&self, since: Ts, limit: i64) -> Result<Vec<FailingAddress>> {
        let rows: Vec<(String, i64)> = on_db!(self, |pool, d| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT address, CAST(SUM(count) AS {}) AS n FROM login_failures_by_address \
                 WHERE minute >= $1 GROUP BY address ORDER BY n DESC, address LIMIT $2",
                d.int64()
            )))
            .bind(since)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(address, count)| FailingAddress {
                address,
                count: count.max(0),
            })
            .collect())
    }

    /// Sessions revoked per minute since `since`, oldest first: the audit rows of the revoking
    /// actions (`audit_log_action`: action, then time), summed by minute in this process. A row
    /// whose count is missing or unreadable counts 0; rows from the future are left out.
    pub async fn revocations_by_minute(&self, since: Ts) -> Result<Vec<RevocationBucket>> {
        let now_minute = minute_of(self.now_ts());
        let rows: Vec<(String, Ts, sqlx::types::Json<serde_json::Value>)> =
            on_db!(self, |pool, d| {
                sqlx::query_as(REVOCATIONS_SQL)
                    .bind(REVOKING_ACTIONS[0].0)
                    .bind(REVOKING_ACTIONS[1].0)
                    .bind(REVOKING_ACTIONS[2].0)
                    .bind(REVOKING_ACTIONS[3].0)
                    .bind(since)
                    .bind(REVOCATION_ROWS_READ)
                    .fetch_all(pool)
                    .await?
            });
        let mut by_minute: std::collections::BTreeMap<Ts, i64> = Default::default();
        for (action, at, detail) in rows {
            let minute = minute_of(at);
            if minute > now_minute {
                continue;
            }
            let key = REVOKING_ACTIONS
                .iter()
                .find(|(a, _)| *a == action)
                .map(|(_, k)| *k)
                .unwrap_or("revoked");
            let n = detail
                .0
                .get(key)
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0);
            let e = by_minute.entry(minute).or_default();
            *e = e.saturating_add(n.max(0));
        }
        Ok(by_minute
            .into_iter()
            .map(|(minute, count)| RevocationBucket { minute, count })
            .collect())
    }

    /// Instances seen since `since` or not stopped, most recently seen first, at most `limit`.
    pub async fn service_instances(&self, since: Ts, limit: i64) -> Result<Vec<InstanceRow>> {
        Ok(on_db!(self, |pool, d| {
            sqlx::query_as(
                "SELECT id, host, pid, version, listen, started_at, last_seen_at, stopped_at \
                 FROM service_instances WHERE last_seen_at >= $1 OR stopped_at IS NULL \
                 ORDER BY last_seen_at DESC, id LIMIT $2",
            )
            .bind(since)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Live sessions (not revoked, not expired): the one count the Overview, `wxlogin stats`
    /// and the Sessions view's position counter share. SQLite counts exactly (its databases
    /// are small). PostgreSQL counts exactly only a small table (fewer than
    /// [`EXACT_COUNT_BELOW_ROWS`] rows by its statistics, and within
    /// [`EXACT_COUNT_TIMEOUT_MS`]); otherwise it answers with the planner's estimate of the
    /// live rows, labelled as one, which costs a plan and no scan however large the table:
    /// an exact COUNT reads every row (seconds at 10M sessions, every refresh of every console).
    pub async fn live_sessions(&self) -> Result<LiveSessions> {
        let now = self.now_ts();
        match &self.db {
            super::Db::Sqlite(pool) => {
                let n: i64 = sqlx::query_scalar(LIVE_EXACT)
                    .bind(now)
                    .fetch_one(pool)
                    .await?;
                Ok(LiveSessions {
                    count: n,
                    exact: true,
                })
            }
            super::Db::Postgres(pool) => {
                // -1: never analysed (a new table, small by definition).
                let rows: f32 = sqlx::query_scalar(
                    "SELECT reltuples FROM pg_class WHERE oid = 'sessions'::regclass",
                )
                .fetch_one(pool)
                .await?;
                if rows < EXACT_COUNT_BELOW_ROWS as f32 {
                    let mut tx = pool.begin().await?;
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SET LOCAL statement_timeout = {EXACT_COUNT_TIMEOUT_MS}"
                    )))
                    .execute(&mut *tx)
                    .await?;
                    let exact: std::result::Result<i64, sqlx::Error> =
                        sqlx::query_scalar(LIVE_EXACT)
                            .bind(now)
                            .fetch_one(&mut *tx)
                            .await;
                    drop(tx);
                    match exact {
                        Ok(n) => {
                            return Ok(LiveSessions {
                                count: n,
                                exact: true,
                            });
                        }
                        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("57014") => {}
                        Err(e) => return Err(StoreError::from(e)),
                    }
                }
                self.live_sessions_estimate().await
            }
            super::Db::MySql(pool) => {
                use super::mysql::sqlx_on_mysql as sqlx;
                // The id span bounds the row count from above, for two reads of the primary
                // key's ends (InnoDB's TABLE_ROWS is a sampled guess, up to tens of percent off).
                let Some((lo, hi)) = mysql_id_span(pool).await? else {
                    return Ok(LiveSessions {
                        count: 0,
                        exact: true,
                    });
                };
                if hi - lo + 1 >= EXACT_COUNT_BELOW_ROWS as i64 {
                    return self.live_sessions_estimate().await;
                }
                // MariaDB-only: SET STATEMENT max_statement_time bounds the exact count as
                // statement_timeout does on PostgreSQL (1969: the statement was interrupted).
                let exact: std::result::Result<i64, sqlx::Error> =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SET STATEMENT max_statement_time = {} FOR {LIVE_EXACT}",
                        f64::from(EXACT_COUNT_TIMEOUT_MS) / 1000.0
                    )))
                    .bind(now)
                    .fetch_one(pool)
                    .await;
                match exact {
                    Ok(n) => Ok(LiveSessions {
                        count: n,
                        exact: true,
                    }),
                    Err(sqlx::Error::Database(e))
                        if e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                            .is_some_and(|e| e.number() == 1969) =>
                    {
                        self.live_sessions_estimate().await
                    }
                    Err(e) => Err(StoreError::from(e)),
                }
            }
        }
    }

    /// PostgreSQL's estimate of the live sessions: the row count the planner expects from the
    /// live-session condition, from the table's statistics (its size scaled to its current
    /// pages, the share of unrevoked rows, the histogram of expiry times). No rows are read.
    /// Drifts from the truth between `ANALYZE` runs (autovacuum's, or the seeder's). On
    /// MariaDB/MySQL a sample of the table ([`mysql_live_estimate`]); on SQLite the exact count.
    pub async fn live_sessions_estimate(&self) -> Result<LiveSessions> {
        let pool = match &self.db {
            super::Db::Postgres(pool) => pool,
            super::Db::MySql(pool) => return mysql_live_estimate(pool, self.now_ts()).await,
            super::Db::Sqlite(_) => {
                let now = self.now_ts();
                let n: i64 = on_db!(self, |pool, d| {
                    sqlx::query_scalar(LIVE_EXACT)
                        .bind(now)
                        .fetch_one(pool)
                        .await?
                });
                return Ok(LiveSessions {
                    count: n,
                    exact: true,
                });
            }
        };
        // EXPLAIN takes no bound parameters: the time is our own value, written as a literal,
        // and the statement goes as a simple query (not one more prepared statement per call).
        let now = self
            .now_ts()
            .0
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let plan: serde_json::Value = sqlx::Row::try_get(
            &sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "EXPLAIN (FORMAT JSON) SELECT 1 FROM sessions \
                 WHERE revoked_at IS NULL AND expires_at > '{now}'::timestamptz"
            )))
            .fetch_one(pool)
            .await?,
            0,
        )?;
        let rows = plan
            .pointer("/0/Plan/Plan Rows")
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(0.0);
        Ok(LiveSessions {
            count: rows.max(0.0).round() as i64,
            exact: false,
        })
    }
}

/// Windows of ids the MariaDB/MySQL estimate reads, spread evenly over the id span.
const SAMPLE_WINDOWS: i64 = 64;
/// Ids per window: 64 × 128 = 8,192 ids read through the primary key, a few milliseconds.
const SAMPLE_WIDTH: i64 = 128;

/// The smallest and largest session id (two reads of the primary key's ends), None when empty.
async fn mysql_id_span(pool: &sqlx::MySqlPool) -> Result<Option<(i64, i64)>> {
    use super::mysql::sqlx_on_mysql as sqlx;
    let (lo, hi): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT MIN(id), MAX(id) FROM sessions")
            .fetch_one(pool)
            .await?;
    Ok(lo.zip(hi))
}

/// MariaDB/MySQL's estimate of the live sessions. InnoDB has no planner estimate of the live
/// rows (no index holds the live condition: `expires_at` moves on every use, and an index on it
/// would be rewritten by every GET /me), and an exact COUNT reads the whole table (1.3 s at 1M
/// sessions, every refresh of every console). Instead: [`SAMPLE_WINDOWS`] windows of
/// [`SAMPLE_WIDTH`] consecutive ids, evenly spread from the smallest id to the largest, are
/// counted through the primary key, and the live rows found are scaled by the span over the
/// ids read. Ids grow with time (AUTO_INCREMENT; interleaved on Galera, which the scaling
/// absorbs), so the windows are a sample stratified by age: old purged ranges, the live recent
/// end, and everything between. Its error is a few percent; it is labelled an estimate.
async fn mysql_live_estimate(pool: &sqlx::MySqlPool, now: Ts) -> Result<LiveSessions> {
    use super::mysql::sqlx_on_mysql as sqlx;
    let Some((lo, hi)) = mysql_id_span(pool).await? else {
        return Ok(LiveSessions {
            count: 0,
            exact: true,
        });
    };
    let span = hi - lo + 1;
    if span <= SAMPLE_WINDOWS * SAMPLE_WIDTH {
        // The windows would cover every id: count them all, exactly.
        let n: i64 = sqlx::query_scalar(LIVE_EXACT)
            .bind(now)
            .fetch_one(pool)
            .await?;
        return Ok(LiveSessions {
            count: n,
            exact: true,
        });
    }
    let step = span / SAMPLE_WINDOWS;
    // Our own integers, written in: one statement text per table span is not worth a
    // prepared statement, and the OR of ranges is read as ranges of the primary key.
    let windows = (0..SAMPLE_WINDOWS)
        .map(|i| {
            let from = lo + i * step;
            format!("id BETWEEN {from} AND {}", from + SAMPLE_WIDTH - 1)
        })
        .collect::<Vec<_>>()
        .join(" OR ");
    let live: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN revoked_at IS NULL AND expires_at > $1 \
         THEN 1 ELSE 0 END), 0) AS SIGNED) FROM sessions WHERE {windows}"
    )))
    .bind(now)
    .fetch_one(pool)
    .await?;
    let scaled = live as f64 * span as f64 / (SAMPLE_WINDOWS * SAMPLE_WIDTH) as f64;
    Ok(LiveSessions {
        count: scaled.round() as i64,
        exact: false,
    })
}

const LIVE_EXACT: &str =
    "SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > $1";

/// The start of `t`'s minute.
pub fn minute_of(t: Ts) -> Ts {
    let us = t.micros();
    Ts::from_micros(us - us.rem_euclid(60_000_000)).unwrap_or(t)
}
