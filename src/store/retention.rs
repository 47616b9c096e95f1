//! Session retention: the purge of sessions that ended (expired or were revoked) before a
//! cutoff, in small batches under a fleet-wide lease, and what `wxlogin stats`, the console and
//! account history say about it.
//!
//! The walk: sessions_newest (created_at, id) from the oldest row up to the cutoff (a session
//! created after the cutoff cannot have ended before it). Each batch is one transaction that
//! renews the lease (only while the lease row still names this holder), finds the end of the
//! next `batch` rows of the walk, deletes the rows of that range that ended before the cutoff,
//! and records how far it got in the lease row. A live session is never deleted whatever its
//! age: the predicate is checked on the row itself in the DELETE. A run killed between
//! batches (or mid-batch: that batch rolls back) is finished by the next holder from where the
//! lease row says it stopped, and its one `sessions.purge` audit row counts the whole run.

use std::time::Duration;

use serde::Serialize;
use serde_json::json;

use super::types::{Cursor, Ts};
use super::{Result, Store, StoreError, on_db, write_audit};
use crate::ops::Grant;

/// The lease row of the sessions purge.
pub const PURGE_LEASE: &str = "sessions.purge";

/// An unfinished purge run, as the lease row keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurgeRun {
    /// Sessions that ended before this go.
    pub cutoff: Ts,
    pub started_at: Ts,
    pub started_by: String,
    /// The (created_at, id) of the last row walked; `None`: from the oldest row.
    #[serde(skip)]
    pub cursor: Option<Cursor>,
    pub removed: u64,
    pub batches: u64,
    /// Taken over from a holder that stopped (crash, SIGTERM, lost lease).
    pub resumed: bool,
}

/// What taking the lease found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// Ours until it expires (each batch renews it). `pending`: a run someone left unfinished.
    Taken { pending: Option<PurgeRun> },
    /// Someone else holds it.
    Held { holder: String, until: Ts },
}

/// What one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOutcome {
    /// `removed` rows deleted; `done`: the walk reached the cutoff; `held`: from BEGIN to
    /// COMMIT (on SQLite, how long every other writer waited for this batch).
    Done {
        removed: u64,
        done: bool,
        held: Duration,
    },
    /// Another holder has the lease now: nothing was changed by this batch.
    LeaseLost,
}

/// The last finished purge and the state of the lease, for `wxlogin stats` and the console.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeStatus {
    pub last_finished_at: Option<Ts>,
    pub last_cutoff: Option<Ts>,
    pub last_removed: Option<u64>,
    pub last_batches: Option<u64>,
    pub last_duration_ms: Option<u64>,
    pub last_by: Option<String>,
    pub next_due_at: Option<Ts>,
    /// Sessions that ended before this have been removed.
    pub purged_before: Option<Ts>,
    /// Who holds the lease now (`None` when it is free or expired).
    pub running: Option<String>,
    /// A run left unfinished, which the next holder resumes.
    pub pending: Option<PurgeRun>,
}

type LeaseRow = (
    Option<String>,
    Option<Ts>,
    Option<Ts>,
    Option<Ts>,
    Option<String>,
    Option<Ts>,
    Option<i64>,
    i64,
    i64,
);

const LEASE_COLS: &str = "holder, lease_until, run_cutoff, run_started_at, run_started_by, \
     run_cursor_at, run_cursor_id, run_removed, run_batches";

fn pending_of(r: &LeaseRow) -> Option<PurgeRun> {
    let (_, _, cutoff, started_at, started_by, cur_at, cur_id, removed, batches) = r;
    Some(PurgeRun {
        cutoff: (*cutoff)?,
        started_at: started_at.unwrap_or((*cutoff)?),
        started_by: started_by.clone().unwrap_or_default(),
        cursor: match (cur_at, cur_id) {
            (Some(at), Some(id)) => Some(Cursor { at: *at, id: *id }),
            _ => None,
        },
        removed: (*removed).max(0) as u64,
        batches: (*batches).max(0) as u64,
        resumed: true,
    })
}

/// A session that ended before the cutoff, bound twice as `$n` and `$n+1`: revoked before it,
/// or expired before it. (Two numbers for one value: MariaDB/MySQL binds each placeholder in
/// order, see store::mysql.)
fn ended_before(n: usize) -> String {
    format!(
        "((revoked_at IS NOT NULL AND revoked_at < ${n}) OR expires_at < ${})",
        n + 1
    )
}

/// The end of a purge batch after the cursor `($2, $3)`: the `$4`-th next row of the walk
/// (sessions_newest read backwards) among the sessions created before the cutoff `$1`.
pub(super) const PURGE_END_AFTER_SQL: &str = "SELECT created_at, id FROM sessions WHERE created_at < $1 \
     AND (created_at, id) > ($2, $3) \
     ORDER BY created_at ASC, id ASC LIMIT 1 OFFSET $4";
/// The same for the first batch of a run ($2 and $3 are NULL).
const PURGE_END_FIRST_SQL: &str = "SELECT created_at, id FROM sessions WHERE created_at < $1 \
     AND $2 IS NULL AND $3 IS NULL \
     ORDER BY created_at ASC, id ASC LIMIT 1 OFFSET $4";

/// The DELETE of one purge batch: the rows of the walk after the cursor `($3, $4)` (`after`)
/// up to the batch's end `($6, $7)` (`upto`) that ended before the cutoff `$1` (bound again as
/// `$8` and `$9`). Without a cursor or an end, the placeholders are NULL and the range is open
/// on that side. Each row bound comes with the same bound on `created_at` alone (`$2`, `$5`:
/// the cursor's and the end's time, bound once more): redundant for PostgreSQL and SQLite,
/// which range-scan a row comparison, but MariaDB's optimizer does not, and without them it
/// read the whole table for every batch (a full scan in its EXPLAIN at 200k sessions).
pub(super) fn purge_delete_sql(after: bool, upto: bool) -> String {
    let lower = if after {
        " AND created_at >= $2 AND (created_at, id) > ($3, $4)"
    } else {
        " AND $2 IS NULL AND $3 IS NULL AND $4 IS NULL"
    };
    let upper = if upto {
        " AND created_at <= $5 AND (created_at, id) <= ($6, $7)"
    } else {
        " AND $5 IS NULL AND $6 IS NULL AND $7 IS NULL"
    };
    format!(
        "DELETE FROM sessions WHERE created_at < $1{lower}{upper} AND {}",
        ended_before(8)
    )
}

fn to_ts(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Store {
    /// Takes the purge lease for `holder` until `ttl` from now, when it is free, expired or
    /// already `holder`'s.
    pub async fn take_purge_lease(
        &self,
        _grant: &Grant<'_>,
        holder: &str,
        ttl: Duration,
    ) -> Result<Lease> {
        let now = self.now_ts();
        let until = Ts::from(now.0 + to_ts(ttl));
        // The row is created when missing, then taken when free: two statements, the same on
        // every backend (MySQL's upsert cannot make its update conditional on the old row).
        let ensure =
            "INSERT INTO maintenance_leases (name) VALUES ($1) ON CONFLICT (name) DO NOTHING";
        let take = "UPDATE maintenance_leases SET holder = $1, lease_until = $2 WHERE name = $3 \
             AND (holder IS NULL OR lease_until IS NULL OR lease_until < $4 OR holder = $5)";
        let sel = format!("SELECT {LEASE_COLS} FROM maintenance_leases WHERE name = $1");
        let row: LeaseRow = on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_with(d.begin_write()).await?;
            sqlx::query(if d.backend() == super::Backend::MySql {
                "INSERT INTO maintenance_leases (name) VALUES ($1) ON DUPLICATE KEY UPDATE name = name"
            } else {
                ensure
            })
            .bind(PURGE_LEASE)
            .execute(&mut *tx)
            .await?;
            sqlx::query(take)
                .bind(holder)
                .bind(until)
                .bind(PURGE_LEASE)
                .bind(now)
                .bind(holder)
                .execute(&mut *tx)
                .await?;
            let row: LeaseRow = sqlx::query_as(sqlx::AssertSqlSafe(sel))
                .bind(PURGE_LEASE)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            row
        });
        if row.0.as_deref() != Some(holder) {
            return Ok(Lease::Held {
                holder: row.0.unwrap_or_default(),
                until: row.1.unwrap_or(now),
            });
        }
        Ok(Lease::Taken {
            pending: pending_of(&row),
        })
    }

    /// Starts a new run (the lease must be `holder`'s): the walk begins at the oldest row.
    pub async fn start_purge_run(
        &self,
        _grant: &Grant<'_>,
        holder: &str,
        cutoff: Ts,
    ) -> Result<PurgeRun> {
        let now = self.now_ts();
        let n = on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            sqlx::query(
                "UPDATE maintenance_leases SET run_cutoff = $1, run_started_at = $2, \
                 run_started_by = $3, run_cursor_at = NULL, run_cursor_id = NULL, \
                 run_removed = 0, run_batches = 0 WHERE name = $4 AND holder = $5",
            )
            .bind(cutoff)
            .bind(now)
            .bind(holder)
            .bind(PURGE_LEASE)
            .bind(holder)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::Conflict(
                "the purge lease was taken by another instance".into(),
            ));
        }
        Ok(PurgeRun {
            cutoff,
            started_at: now,
            started_by: holder.to_owned(),
            cursor: None,
            removed: 0,
            batches: 0,
            resumed: false,
        })
    }

    /// One batch of `run`, in one transaction: renews the lease to `ttl` from now (only while it
    /// is `holder`'s), walks at most `batch` rows, deletes those of them that ended before the
    /// cutoff, and records the walk's position. `run` is updated when the batch committed.
    pub async fn purge_sessions_batch(
        &self,
        _grant: &Grant<'_>,
        holder: &str,
        run: &mut PurgeRun,
        batch: i64,
        ttl: Duration,
    ) -> Result<BatchOutcome> {
        let now = self.now_ts();
        let until = Ts::from(now.0 + to_ts(ttl));
        let batch = batch.max(1);
        let cursor = run.cursor;
        // The end of this batch: the `batch`-th row of the walk after the cursor.
        let end_sql = match cursor {
            Some(_) => PURGE_END_AFTER_SQL,
            None => PURGE_END_FIRST_SQL,
        };
        let (cur_at, cur_id) = (cursor.map(|c| c.at), cursor.map(|c| c.id));
        let out: Option<(u64, Option<Cursor>, Duration)> = on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_with(d.begin_write()).await?;
            // From here to the commit this batch holds the database's write lock (SQLite).
            let held = std::time::Instant::now();
            let renewed = sqlx::query(
                "UPDATE maintenance_leases SET lease_until = $1 WHERE name = $2 AND holder = $3",
            )
            .bind(until)
            .bind(PURGE_LEASE)
            .bind(holder)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if renewed == 0 {
                tx.rollback().await?;
                None
            } else {
                let end: Option<(Ts, i64)> = sqlx::query_as(end_sql)
                    .bind(run.cutoff)
                    .bind(cur_at)
                    .bind(cur_id)
                    .bind(batch - 1)
                    .fetch_optional(&mut *tx)
                    .await?;
                let del = purge_delete_sql(cursor.is_some(), end.is_some());
                let removed = sqlx::query(sqlx::AssertSqlSafe(del))
                    .bind(run.cutoff)
                    .bind(cur_at)
                    .bind(cur_at)
                    .bind(cur_id)
                    .bind(end.map(|e| e.0))
                    .bind(end.map(|e| e.0))
                    .bind(end.map(|e| e.1))
                    .bind(run.cutoff)
                    .bind(run.cutoff)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                let next = end.map(|(at, id)| Cursor { at, id });
                // The final batch leaves the cursor at the cutoff: nothing is left to walk.
                let (pos_at, pos_id) = match next {
                    Some(c) => (Some(c.at), Some(c.id)),
                    None => (Some(run.cutoff), Some(i64::MAX)),
                };
                sqlx::query(
                    "UPDATE maintenance_leases SET run_cursor_at = $1, run_cursor_id = $2, \
                     run_removed = run_removed + $3, run_batches = run_batches + 1, \
                     purged_before = CASE WHEN $4 > 0 AND (purged_before IS NULL OR purged_before < run_cutoff) \
                                     THEN run_cutoff ELSE purged_before END \
                     WHERE name = $5 AND holder = $6",
                )
                .bind(pos_at)
                .bind(pos_id)
                .bind(removed as i64)
                .bind(removed as i64)
                .bind(PURGE_LEASE)
                .bind(holder)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Some((removed, next, held.elapsed()))
            }
        });
        let Some((removed, next, held)) = out else {
            return Ok(BatchOutcome::LeaseLost);
        };
        run.removed += removed;
        run.batches += 1;
        let done = next.is_none();
        run.cursor = Some(next.unwrap_or(Cursor {
            at: run.cutoff,
            id: i64::MAX,
        }));
        Ok(BatchOutcome::Done {
            removed,
            done,
            held,
        })
    }

    /// Ends `run` (finished, or stopped by its operator): its one `sessions.purge` audit row,
    /// the last-run columns, and the lease released, in one transaction. `next_due`: when the
    /// service should purge next (`None` keeps what is there).
    pub async fn finish_purge_run(
        &self,
        grant: &Grant<'_>,
        holder: &str,
        run: &PurgeRun,
        interrupted: bool,
        next_due: Option<Ts>,
        extra: serde_json::Value,
    ) -> Result<()> {
        // What this process kept of the backlog is what the purge just removed.
        self.backlog_memo.forget();
        let now = self.now_ts();
        let duration_ms = (now.0 - run.started_at.0).num_milliseconds().max(0);
        let mut detail = json!({
            "cutoff": run.cutoff.rfc3339(),
            "removed": run.removed,
            "batches": run.batches,
            "duration_ms": duration_ms,
            "started_at": run.started_at.0.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "interrupted": interrupted,
            "resumed": run.resumed,
        });
        if run.started_by != holder {
            detail["started_by"] = json!(run.started_by);
        }
        if let (Some(d), serde_json::Value::Object(m)) = (detail.as_object_mut(), extra) {
            d.extend(m);
        }
        let actor = grant.actor();
        let cutoff_date = run.cutoff.0.format("%Y-%m-%d").to_string();
        let target = format!("sessions:ended-before-{cutoff_date}");
        let ok = on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_with(d.begin_write()).await?;
            let n = sqlx::query(
                "UPDATE maintenance_leases SET run_cutoff = NULL, run_started_at = NULL, \
                 run_started_by = NULL, run_cursor_at = NULL, run_cursor_id = NULL, \
                 run_removed = 0, run_batches = 0, last_finished_at = $1, last_cutoff = $2, \
                 last_removed = $3, last_batches = $4, last_duration_ms = $5, last_by = $6, \
                 next_due_at = COALESCE($7, next_due_at), lease_until = $8 \
                 WHERE name = $9 AND holder = $10",
            )
            .bind(now)
            .bind(run.cutoff)
            .bind(run.removed as i64)
            .bind(run.batches as i64)
            .bind(duration_ms)
            .bind(actor.operator.as_str())
            .bind(next_due)
            .bind(now)
            .bind(PURGE_LEASE)
            .bind(holder)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                tx.rollback().await?;
                false
            } else {
                write_audit!(
                    &mut *tx,
                    now,
                    actor,
                    "sessions.purge",
                    &target,
                    None,
                    &detail
                )?;
                tx.commit().await?;
                true
            }
        });
        if !ok {
            return Err(StoreError::Conflict(
                "the purge lease was taken by another instance before this run was recorded; it resumes the run".into(),
            ));
        }
        Ok(())
    }

    /// Lets the lease go at once (SIGTERM): an unfinished run stays for the next holder.
    pub async fn release_purge_lease(&self, holder: &str) -> Result<()> {
        let now = self.now_ts();
        on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            sqlx::query(
                "UPDATE maintenance_leases SET lease_until = $1 WHERE name = $2 AND holder = $3",
            )
            .bind(now)
            .bind(PURGE_LEASE)
            .bind(holder)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The service records when the next purge is due without running one (nothing to do).
    pub async fn set_purge_due(&self, holder: &str, next_due: Ts) -> Result<()> {
        on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            sqlx::query(
                "UPDATE maintenance_leases SET next_due_at = $1 WHERE name = $2 AND holder = $3",
            )
            .bind(next_due)
            .bind(PURGE_LEASE)
            .bind(holder)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The exact number of sessions that ended before `cutoff` (`--dry-run`): one range scan
    /// of sessions_newest up to the cutoff.
    pub async fn count_purgeable(&self, cutoff: Ts) -> Result<u64> {
        let sql = format!(
            "SELECT COUNT(*) FROM sessions WHERE created_at < $1 AND {}",
            ended_before(2)
        );
        let n: i64 = on_db!(self, |pool, d| {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(cutoff)
                .bind(cutoff)
                .bind(cutoff)
                .fetch_one(pool)
                .await?
        });
        Ok(n.max(0) as u64)
    }

    /// An estimate of the sessions that ended before `cutoff`, cheap at any size: on
    /// PostgreSQL a 1% block sample when the table is large (exact below 200,000 rows); on
    /// SQLite an exact count that stops at 1,000,000 (`capped`).
    ///
    /// Every open console asks for it on each Overview refresh, so an estimate that took
    /// [`BacklogMemo::EXPENSIVE`] or longer (a big SQLite file, MariaDB's capped count) is
    /// reused for [`BacklogMemo::KEEP`] by every console of this process while the cutoff
    /// moves less than that; a cheap one is always counted afresh.
    pub async fn estimate_purgeable(&self, cutoff: Ts) -> Result<PurgeBacklog> {
        if let Some(b) = self.backlog_memo.get(cutoff) {
            return Ok(b);
        }
        let began = std::time::Instant::now();
        let b = self.count_backlog(cutoff).await?;
        self.backlog_memo.put(cutoff, b, began.elapsed());
        Ok(b)
    }

    async fn count_backlog(&self, cutoff: Ts) -> Result<PurgeBacklog> {
        const CAP: i64 = 1_000_000;
        match &self.db {
            super::Db::Postgres(pool) => {
                let rows: f64 = sqlx::query_scalar(
                    "SELECT COALESCE(reltuples, 0)::float8 FROM pg_class WHERE oid = 'sessions'::regclass",
                )
                .fetch_one(pool)
                .await?;
                if rows < 200_000.0 {
                    return Ok(PurgeBacklog {
                        sessions: self.count_purgeable(cutoff).await?,
                        sampled: false,
                        capped: false,
                    });
                }
                let sql = format!(
                    "SELECT COUNT(*) FROM sessions TABLESAMPLE SYSTEM (1) WHERE created_at < $1 AND {}",
                    ended_before(1).replace("$2", "$1")
                );
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .bind(cutoff)
                    .fetch_one(pool)
                    .await?;
                Ok(PurgeBacklog {
                    sessions: (n.max(0) as u64) * 100,
                    sampled: true,
                    capped: false,
                })
            }
            super::Db::Sqlite(_) | super::Db::MySql(_) => {
                let sql = format!(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM sessions WHERE created_at < $1 AND {} LIMIT $4) AS c",
                    ended_before(2)
                );
                let n: i64 = on_db!(self, |pool, d| {
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                        .bind(cutoff)
                        .bind(cutoff)
                        .bind(cutoff)
                        .bind(CAP)
                        .fetch_one(pool)
                        .await?
                });
                Ok(PurgeBacklog {
                    sessions: n.max(0) as u64,
                    sampled: false,
                    capped: n >= CAP,
                })
            }
        }
    }

    /// The last finished purge, the next one due, and whether one runs now.
    pub async fn purge_status(&self) -> Result<PurgeStatus> {
        type Last = (
            Option<Ts>,
            Option<Ts>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<Ts>,
            Option<Ts>,
        );
        let sel = format!("SELECT {LEASE_COLS} FROM maintenance_leases WHERE name = $1");
        let (lease, last): (Option<LeaseRow>, Option<Last>) = on_db!(self, |pool, d| {
            let lease: Option<LeaseRow> = sqlx::query_as(sqlx::AssertSqlSafe(sel))
                .bind(PURGE_LEASE)
                .fetch_optional(pool)
                .await?;
            let last: Option<Last> = sqlx::query_as(
                "SELECT last_finished_at, last_cutoff, last_removed, last_batches, \
                 last_duration_ms, last_by, next_due_at, purged_before \
                 FROM maintenance_leases WHERE name = $1",
            )
            .bind(PURGE_LEASE)
            .fetch_optional(pool)
            .await?;
            (lease, last)
        });
        let now = self.now_ts();
        let mut s = PurgeStatus::default();
        if let Some(l) = &lease {
            s.pending = pending_of(l);
            if let (Some(h), Some(until)) = (&l.0, l.1)
                && until > now
            {
                s.running = Some(h.clone());
            }
        }
        if let Some((fin, cut, rem, bat, dur, by, due, before)) = last {
            s.last_finished_at = fin;
            s.last_cutoff = cut;
            s.last_removed = rem.map(|v| v.max(0) as u64);
            s.last_batches = bat.map(|v| v.max(0) as u64);
            s.last_duration_ms = dur.map(|v| v.max(0) as u64);
            s.last_by = by;
            s.next_due_at = due;
            s.purged_before = before;
        }
        Ok(s)
    }

    /// Sessions that ended before this have been removed by retention (account history).
    pub async fn sessions_purged_before(&self) -> Result<Option<Ts>> {
        let v: Option<Option<Ts>> = on_db!(self, |pool, d| {
            sqlx::query_scalar("SELECT purged_before FROM maintenance_leases WHERE name = $1")
                .bind(PURGE_LEASE)
                .fetch_optional(pool)
                .await?
        });
        Ok(v.flatten())
    }
}

/// The last backlog estimate that was expensive to make, with when and at which cutoff.
#[derive(Default)]
pub(crate) struct BacklogMemo(std::sync::Mutex<Option<(std::time::Instant, Ts, PurgeBacklog)>>);

impl BacklogMemo {
    /// An estimate that took this long is worth keeping.
    pub(crate) const EXPENSIVE: Duration = Duration::from_millis(50);
    /// How long a kept estimate is reused, and how far its cutoff may have moved.
    pub(crate) const KEEP: Duration = Duration::from_secs(60);

    fn get(&self, cutoff: Ts) -> Option<PurgeBacklog> {
        let kept = self.0.lock().ok()?;
        let (at, was, b) = kept.as_ref()?;
        let moved = (cutoff.0 - was.0).num_milliseconds().unsigned_abs();
        (at.elapsed() < Self::KEEP && moved < Self::KEEP.as_millis() as u64).then_some(*b)
    }

    fn forget(&self) {
        if let Ok(mut kept) = self.0.lock() {
            *kept = None;
        }
    }

    fn put(&self, cutoff: Ts, b: PurgeBacklog, took: Duration) {
        if let Ok(mut kept) = self.0.lock() {
            *kept = (took >= Self::EXPENSIVE).then(|| (std::time::Instant::now(), cutoff, b));
        }
    }
}

/// The purgeable backlog as [`Store::estimate_purgeable`] estimates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PurgeBacklog {
    pub sessions: u64,
    /// Counted on a 1% sample and scaled up.
    pub sampled: bool,
    /// At least this many (the count stopped).
    pub capped: bool,
}
