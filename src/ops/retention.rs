//! Session retention: the purge of sessions that ended before a cutoff, by hand
//! (`wxlogin sessions purge`, oncall) or by the service in the background. Both take the one
//! fleet-wide lease, walk in small batches (each its own transaction) and write one
//! `sessions.purge` audit row per run.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Operation, OpsError, authorize};
use crate::operator::Actor;
use crate::store::{BatchOutcome, Lease, PurgeRun, Store, Ts};

/// Rows walked per purge batch unless told: each batch commits in milliseconds.
pub const DEFAULT_PURGE_BATCH: i64 = 2_000;
/// How long the lease lasts without a batch renewing it: a holder that died frees it after this.
pub const PURGE_LEASE_TTL: Duration = Duration::from_secs(60);

/// SQLite has one writer: while a purge batch commits, every login waits. There a batch is
/// sized to hold the writer about this long (it starts at [`SQLITE_FIRST_BATCH`] rows and
/// follows what the last batch took) ...
const SQLITE_BATCH_HOLD: Duration = Duration::from_millis(10);
/// ... and rests at least this many times as long as it ran, so that the purge takes at most a
/// fifth of the writer's time. PostgreSQL and MariaDB lock rows, not the database: there the
/// batch is as configured; PostgreSQL pauses `pause`, MariaDB at least [`MYSQL_REST_FACTOR`]
/// times the batch.
const SQLITE_REST_FACTOR: u32 = 4;
/// MariaDB/MySQL: a batch is as configured, but rests at least this many times as long as it
/// ran. InnoDB's DELETE of a batch is several times dearer than PostgreSQL's (each row leaves a
/// delete mark in eight indexes and undo records that InnoDB's purge threads clean up after
/// the commit): with only `pause` between batches, the purge of 600,000 rows at 1M sessions took
/// three quarters of the time and halved GET /me on a 2-core machine (p99 3.4×). With the rest
/// it takes at most a fifth, whatever the machine.
const MYSQL_REST_FACTOR: u32 = 4;
const SQLITE_FIRST_BATCH: i64 = 200;
const SQLITE_MIN_BATCH: i64 = 20;

/// The size of the next batch and the rest after it.
struct Pacer {
    batch: i64,
    max: i64,
    pause: Duration,
    single_writer: bool,
    /// The least rest after a batch, as a multiple of what the batch took (0: `pause` only).
    rest_factor: u32,
}

impl Pacer {
    fn new(backend: crate::store::Backend, req: &PurgeRequest) -> Pacer {
        let single_writer = backend == crate::store::Backend::Sqlite;
        Pacer {
            batch: if single_writer {
                req.batch.min(SQLITE_FIRST_BATCH)
            } else {
                req.batch
            },
            max: req.batch,
            pause: req.pause,
            single_writer,
            rest_factor: match backend {
                crate::store::Backend::Sqlite => SQLITE_REST_FACTOR,
                crate::store::Backend::MySql => MYSQL_REST_FACTOR,
                crate::store::Backend::Postgres => 0,
            },
        }
    }

    fn batch(&self) -> i64 {
        self.batch
    }

    /// After a batch that held the database for `took` (BEGIN to COMMIT, not the wait for its
    /// turn): how long to rest (and the next batch's size).
    fn after(&mut self, took: Duration) -> Duration {
        if self.single_writer {
            let scale = SQLITE_BATCH_HOLD.as_secs_f64() / took.as_secs_f64().max(1e-4);
            let next = (self.batch as f64 * scale.min(2.0)) as i64;
            self.batch = next.clamp(SQLITE_MIN_BATCH.min(self.max), self.max);
        }
        self.pause.max(took * self.rest_factor)
    }
}

/// How to purge.
#[derive(Debug, Clone)]
pub struct PurgeRequest {
    /// Sessions that ended (expired or were revoked) before this go.
    pub cutoff: Ts,
    /// Rows walked per batch (at most this many deleted per transaction); on SQLite the most
    /// a batch walks, which is sized to hold the one writer about 10 ms.
    pub batch: i64,
    /// Sleep between batches, so that logins and GET /me are not slowed; on SQLite at least
    /// four times what the batch took.
    pub pause: Duration,
    /// Who holds the lease while this runs (an instance id, or `cli:OPERATOR:PID`).
    pub holder: String,
    /// The lease lasts this long after each batch ([`PURGE_LEASE_TTL`] unless configured).
    pub lease_ttl: Duration,
    /// When the service should purge next, recorded with the run (the service sets it).
    pub next_due: Option<Ts>,
    /// Stopped by its caller: record the run now (`true`, an operator's Ctrl-C) or leave it for
    /// the next holder to resume (`false`, a service shutting down).
    pub finish_when_stopped: bool,
    /// Written into the audit row's detail (`instance`).
    pub extra: serde_json::Value,
}

/// After each batch: the run so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PurgeProgress {
    pub removed: u64,
    pub batches: u64,
}

/// What a purge did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurgeOutcome {
    pub cutoff: String,
    pub removed: u64,
    pub batches: u64,
    pub duration_ms: u64,
    /// Stopped before the walk reached the cutoff.
    pub interrupted: bool,
    /// A run someone else left unfinished was finished first (its rows are in `resumed_removed`).
    pub resumed_removed: u64,
    /// Another holder has the lease: nothing was done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busy: Option<String>,
}

/// Counts the sessions a purge with `cutoff` would remove (`--dry-run`): changes nothing.
pub async fn count_purgeable(store: &Store, actor: &Actor, cutoff: Ts) -> Result<u64, OpsError> {
    authorize(actor, &Operation::PurgeSessions)?;
    Ok(store.count_purgeable(cutoff).await?)
}

/// Purges sessions that ended before `req.cutoff` (authorize → store → audit). A run left
/// unfinished by a holder that stopped is finished first (with its own cutoff and audit row).
/// `progress` runs after each batch; `false` stops before the next one.
pub async fn purge_sessions(
    store: &Store,
    actor: &Actor,
    req: &PurgeRequest,
    progress: &mut (dyn FnMut(PurgeProgress) -> bool + Send),
) -> Result<PurgeOutcome, OpsError> {
    let grant = authorize(actor, &Operation::PurgeSessions)?;
    let started = Instant::now();
    let mut outcome = PurgeOutcome {
        cutoff: req.cutoff.rfc3339(),
        removed: 0,
        batches: 0,
        duration_ms: 0,
        interrupted: false,
        resumed_removed: 0,
        busy: None,
    };
    let pending = match store
        .take_purge_lease(&grant, &req.holder, req.lease_ttl)
        .await?
    {
        Lease::Held { holder, until } => {
            outcome.busy = Some(format!(
                "{} holds the purge lease until {}",
                holder,
                until.rfc3339()
            ));
            return Ok(outcome);
        }
        Lease::Taken { pending } => pending,
    };
    let mut runs: Vec<PurgeRun> = Vec::new();
    if let Some(p) = pending {
        runs.push(p);
    }
    let mut own_started = false;
    let mut pace = Pacer::new(store.backend(), req);
    loop {
        let mut run = match runs.pop() {
            Some(r) => r,
            None if !own_started => {
                own_started = true;
                store
                    .start_purge_run(&grant, &req.holder, req.cutoff)
                    .await?
            }
            None => break,
        };
        let resumed = run.resumed;
        let mut stopped = false;
        loop {
            match store
                .purge_sessions_batch(&grant, &req.holder, &mut run, pace.batch(), req.lease_ttl)
                .await?
            {
                BatchOutcome::LeaseLost => {
                    outcome.busy = Some("another holder took the purge lease".into());
                    outcome.interrupted = true;
                    outcome.duration_ms = started.elapsed().as_millis() as u64;
                    return Ok(outcome);
                }
                BatchOutcome::Done {
                    removed,
                    done,
                    held,
                } => {
                    if resumed {
                        outcome.resumed_removed += removed;
                    } else {
                        outcome.removed += removed;
                        outcome.batches += 1;
                    }
                    let go_on = progress(PurgeProgress {
                        removed: outcome.removed + outcome.resumed_removed,
                        batches: run.batches,
                    });
                    if done {
                        break;
                    }
                    if !go_on {
                        stopped = true;
                        break;
                    }
                    let pause = pace.after(held);
                    if !pause.is_zero() {
                        tokio::time::sleep(pause).await;
                    }
                }
            }
        }
        if stopped && !req.finish_when_stopped {
            store.release_purge_lease(&req.holder).await?;
            outcome.interrupted = true;
            outcome.duration_ms = started.elapsed().as_millis() as u64;
            return Ok(outcome);
        }
        let last = stopped || runs.is_empty() && own_started;
        store
            .finish_purge_run(
                &grant,
                &req.holder,
                &run,
                stopped,
                if last { req.next_due } else { None },
                req.extra.clone(),
            )
            .await?;
        if stopped {
            outcome.interrupted = true;
            break;
        }
        if !own_started {
            // Take the lease again for our own run (finishing released it).
            if let Lease::Held { holder, .. } = store
                .take_purge_lease(&grant, &req.holder, req.lease_ttl)
                .await?
            {
                outcome.busy = Some(format!("{holder} took the purge lease"));
                break;
            }
        }
    }
    outcome.duration_ms = started.elapsed().as_millis() as u64;
    Ok(outcome)
}

#[cfg(test)]
mod pacing {
    use super::*;
    use crate::store::Backend;

    fn req(batch: i64, pause_ms: u64) -> PurgeRequest {
        PurgeRequest {
            cutoff: Ts::from(chrono::Utc::now()),
            batch,
            pause: Duration::from_millis(pause_ms),
            holder: "t".into(),
            lease_ttl: PURGE_LEASE_TTL,
            next_due: None,
            finish_when_stopped: false,
            extra: serde_json::Value::Null,
        }
    }

    #[test]
    fn on_sqlite_a_slow_batch_makes_the_next_smaller_and_rests_longer_than_it_ran() {
        let mut p = Pacer::new(Backend::Sqlite, &req(2_000, 50));
        assert_eq!(p.batch(), SQLITE_FIRST_BATCH);
        // The first batch took four times the hold: the next is a quarter, and the rest is
        // the factor times what it took.
        let took = SQLITE_BATCH_HOLD * 4;
        assert_eq!(p.after(took), took * SQLITE_REST_FACTOR);
        assert_eq!(p.batch(), SQLITE_FIRST_BATCH / 4);
        // Fast batches grow at most twofold a step, never past the configured batch.
        for _ in 0..20 {
            assert_eq!(p.after(Duration::from_millis(1)), Duration::from_millis(50));
        }
        assert_eq!(p.batch(), 2_000);
        // Very slow: never below the floor.
        p.after(Duration::from_secs(10));
        assert_eq!(p.batch(), SQLITE_MIN_BATCH);
    }

    #[test]
    fn on_postgres_batches_and_pauses_are_as_configured() {
        let mut p = Pacer::new(Backend::Postgres, &req(2_000, 50));
        assert_eq!(p.batch(), 2_000);
        assert_eq!(p.after(Duration::from_secs(2)), Duration::from_millis(50));
        assert_eq!(p.batch(), 2_000);
    }

    #[test]
    fn on_mariadb_batches_are_as_configured_and_rest_four_times_what_they_took() {
        let mut p = Pacer::new(Backend::MySql, &req(2_000, 50));
        assert_eq!(p.batch(), 2_000);
        // A slow batch: rest the factor times what it took.
        let took = Duration::from_millis(170);
        assert_eq!(p.after(took), took * MYSQL_REST_FACTOR);
        assert_eq!(p.batch(), 2_000);
        // A fast one: the configured pause is the floor.
        assert_eq!(p.after(Duration::from_millis(5)), Duration::from_millis(50));
    }
}
