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

/// How a backend paces the purge: batches sized to hold the database about `hold` (starting at
/// `first` rows, never below `min`, following what the last batch took), each followed by a rest
/// of at least `rest_factor` times what it took, so that the purge takes at most a fifth of the
/// database's time. `None` on PostgreSQL: there the batch is as configured and the rest is
/// `pause` (its DELETE of 2,000 rows takes ~30 ms and met every target at 10M sessions).
#[derive(Debug, Clone, Copy)]
struct Pacing {
    hold: Duration,
    first: i64,
    min: i64,
    rest_factor: u32,
}

/// SQLite has one writer: while a purge batch commits, every login waits for it. A batch holds
/// the writer about 10 ms.
const SQLITE_PACING: Pacing = Pacing {
    hold: Duration::from_millis(10),
    first: 200,
    min: 20,
    rest_factor: 4,
};

/// MariaDB/MySQL: InnoDB's DELETE is several times dearer than PostgreSQL's (a delete mark in
/// each of eight indexes, next-key locks on them, undo that its purge threads clean up after
/// the commit). With batches of 2,000 rows and only the 50 ms pause the purge at 1M sessions
/// held MariaDB three quarters of the time and halved GET /me on a 2-core machine (p99 3.4×);
/// with the rest alone (batches of ~70 ms) GET /me's p99 was still 2.0×. A batch holds it
/// about 20 ms.
const MYSQL_PACING: Pacing = Pacing {
    hold: Duration::from_millis(20),
    first: 500,
    min: 50,
    rest_factor: 4,
};

/// The size of the next batch and the rest after it.
struct Pacer {
    batch: i64,
    max: i64,
    pause: Duration,
    pacing: Option<Pacing>,
}

impl Pacer {
    fn new(backend: crate::store::Backend, req: &PurgeRequest) -> Pacer {
        let pacing = match backend {
            crate::store::Backend::Sqlite => Some(SQLITE_PACING),
            crate::store::Backend::MySql => Some(MYSQL_PACING),
            crate::store::Backend::Postgres => None,
        };
        Pacer {
            batch: pacing.map_or(req.batch, |p| req.batch.min(p.first)),
            max: req.batch,
            pause: req.pause,
            pacing,
        }
    }

    fn batch(&self) -> i64 {
        self.batch
    }

    /// After a batch that held the database for `took` (BEGIN to COMMIT, not the wait for its
    /// turn): how long to rest (and the next batch's size).
    fn after(&mut self, took: Duration) -> Duration {
        let Some(p) = self.pacing else {
            return self.pause;
        };
        let scale = p.hold.as_secs_f64() / took.as_secs_f64().max(1e-4);
        let next = (self.batch as f64 * scale.min(2.0)) as i64;
        self.batch = next.clamp(p.min.min(self.max), self.max);
        self.pause.max(took * p.rest_factor)
    }
}

/// How to purge.
#[derive(Debug, Clone)]
pub struct PurgeRequest {
    /// Sessions that ended (expired or were revoked) before this go.
    pub cutoff: Ts,
    /// Rows walked per batch (at most this many deleted per transaction); on SQLite and
    /// MariaDB the most a batch walks, which is sized by time (see [`Pacing`]).
    pub batch: i64,
    /// Sleep between batches, so that logins and GET /me are not slowed; on SQLite and
    /// MariaDB at least four times what the batch took.
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
        let p = SQLITE_PACING;
        let mut pacer = Pacer::new(Backend::Sqlite, &req(2_000, 50));
        assert_eq!(pacer.batch(), p.first);
        // The first batch took four times the hold: the next is a quarter, and the rest is
        // the factor times what it took.
        let took = p.hold * 4;
        assert_eq!(pacer.after(took), took * p.rest_factor);
        assert_eq!(pacer.batch(), p.first / 4);
        // Fast batches grow at most twofold a step, never past the configured batch.
        for _ in 0..20 {
            assert_eq!(
                pacer.after(Duration::from_millis(1)),
                Duration::from_millis(50)
            );
        }
        assert_eq!(pacer.batch(), 2_000);
        // Very slow: never below the floor.
        pacer.after(Duration::from_secs(10));
        assert_eq!(pacer.batch(), p.min);
    }

    #[test]
    fn on_mariadb_batches_are_sized_to_hold_it_20_ms_and_rest_four_times_what_they_took() {
        let p = MYSQL_PACING;
        let mut pacer = Pacer::new(Backend::MySql, &req(2_000, 50));
        assert_eq!(pacer.batch(), p.first);
        // 500 rows took 70 ms: the next batch is sized to 20 ms, the rest is 4 × 70 ms.
        let took = Duration::from_millis(70);
        assert_eq!(pacer.after(took), took * p.rest_factor);
        assert_eq!(pacer.batch(), 142);
        // A fast batch: the configured pause is the floor of the rest.
        assert_eq!(
            pacer.after(Duration::from_millis(5)),
            Duration::from_millis(50)
        );
    }

    #[test]
    fn on_postgres_batches_and_pauses_are_as_configured() {
        let mut pacer = Pacer::new(Backend::Postgres, &req(2_000, 50));
        assert_eq!(pacer.batch(), 2_000);
        assert_eq!(
            pacer.after(Duration::from_secs(2)),
            Duration::from_millis(50)
        );
        assert_eq!(pacer.batch(), 2_000);
    }
}
