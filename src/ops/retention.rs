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

/// How to purge.
#[derive(Debug, Clone)]
pub struct PurgeRequest {
    /// Sessions that ended (expired or were revoked) before this go.
    pub cutoff: Ts,
    /// Rows walked per batch (at most this many deleted per transaction).
    pub batch: i64,
    /// Sleep between batches, so that logins and GET /me are not slowed.
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
                .purge_sessions_batch(&grant, &req.holder, &mut run, req.batch, req.lease_ttl)
                .await?
            {
                BatchOutcome::LeaseLost => {
                    outcome.busy = Some("another holder took the purge lease".into());
                    outcome.interrupted = true;
                    outcome.duration_ms = started.elapsed().as_millis() as u64;
                    return Ok(outcome);
                }
                BatchOutcome::Done { removed, done } => {
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
                    if !req.pause.is_zero() {
                        tokio::time::sleep(req.pause).await;
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
