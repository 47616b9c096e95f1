//! The service's share of retention: `[retention]` in the config file, and the background purge
//! of ended sessions. Every instance runs the loop; the lease in the database lets one of them
//! at a time purge, once per `purge_interval_secs` for the whole fleet (the lease row records
//! when the next purge is due). Each batch is its own transaction with a pause after it; on
//! shutdown the loop stops after the batch in flight and lets the lease go, and the next
//! holder resumes the run where it stopped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::{ServiceConfig, ServiceState};
use crate::config::{ConfigError, ConfigFile};
use crate::operator::{Actor, Role};
use crate::store::Ts;

/// Ended sessions are kept this many days unless configured.
pub const DEFAULT_SESSIONS_AFTER_DAYS: u64 = 30;
/// How often the fleet purges unless configured.
pub const DEFAULT_PURGE_INTERVAL: Duration = Duration::from_secs(3600);
/// Pause after each purge batch unless configured.
pub const DEFAULT_PURGE_PAUSE: Duration = Duration::from_millis(50);
/// An instance looks at the lease row at least this often.
const MAX_CHECK_EVERY: Duration = Duration::from_secs(60);

/// `[retention]` for the service.
#[derive(Debug, Clone)]
pub struct RetentionConfig {
    /// Ended sessions older than this are purged; `None`: kept forever.
    pub sessions_after: Option<Duration>,
    pub purge_interval: Duration,
    pub purge_batch: i64,
    pub purge_pause: Duration,
    pub purge_lease: Duration,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            sessions_after: Some(Duration::from_secs(DEFAULT_SESSIONS_AFTER_DAYS * 86_400)),
            purge_interval: DEFAULT_PURGE_INTERVAL,
            purge_batch: crate::ops::DEFAULT_PURGE_BATCH,
            purge_pause: DEFAULT_PURGE_PAUSE,
            purge_lease: crate::ops::PURGE_LEASE_TTL,
        }
    }
}

/// The service configuration with `[retention]` applied; `[service] stats_retention_days`
/// still works, with a deprecation line on stderr (`[retention] stats_after_days` wins).
pub fn apply(mut cfg: ServiceConfig, file: &ConfigFile) -> Result<ServiceConfig, ConfigError> {
    let r = &file.retention;
    if file.service.stats_retention_days.is_some() {
        eprintln!(
            "wxlogin: warning: [service] stats_retention_days is deprecated; write it as [retention] stats_after_days{}",
            if r.stats_after_days.is_some() {
                " (ignored: [retention] stats_after_days is set)"
            } else {
                ""
            }
        );
    }
    match r.stats_after_days {
        Some(0) => {
            return Err(ConfigError::Invalid(
                "[retention] stats_after_days must be at least 1".into(),
            ));
        }
        Some(days) => cfg.stats_retention = Duration::from_secs(days.saturating_mul(86_400)),
        None => {}
    }
    let d = RetentionConfig::default();
    cfg.retention = RetentionConfig {
        sessions_after: match r.sessions_after_days {
            Some(0) => None,
            Some(days) => Some(Duration::from_secs(days.saturating_mul(86_400))),
            None => d.sessions_after,
        },
        purge_interval: match r.purge_interval_secs {
            Some(0) => {
                return Err(ConfigError::Invalid(
                    "[retention] purge_interval_secs must be at least 1".into(),
                ));
            }
            Some(s) => Duration::from_secs(s),
            None => d.purge_interval,
        },
        purge_batch: match r.purge_batch {
            Some(n) if !(1..=100_000).contains(&n) => {
                return Err(ConfigError::Invalid(
                    "[retention] purge_batch must be between 1 and 100000".into(),
                ));
            }
            Some(n) => n,
            None => d.purge_batch,
        },
        purge_pause: r
            .purge_pause_ms
            .map(Duration::from_millis)
            .unwrap_or(d.purge_pause),
        purge_lease: lease_ttl(r)?,
    };
    Ok(cfg)
}

/// `[retention] purge_lease_secs` (at least 1 second), else [`crate::ops::PURGE_LEASE_TTL`].
pub fn lease_ttl(r: &crate::config::RetentionSection) -> Result<Duration, ConfigError> {
    match r.purge_lease_secs {
        Some(0) => Err(ConfigError::Invalid(
            "[retention] purge_lease_secs must be at least 1".into(),
        )),
        Some(s) => Ok(Duration::from_secs(s)),
        None => Ok(crate::ops::PURGE_LEASE_TTL),
    }
}

/// The background purge of one instance.
pub(crate) struct Retention {
    stop: Arc<AtomicBool>,
    wake: Arc<Notify>,
    task: Option<JoinHandle<()>>,
}

impl Retention {
    pub(crate) fn start(state: &ServiceState, instance_id: &str) -> Retention {
        let stop = Arc::new(AtomicBool::new(false));
        let wake = Arc::new(Notify::new());
        let cfg = state.0.cfg.retention.clone();
        if cfg.sessions_after.is_none() {
            return Retention {
                stop,
                wake,
                task: None,
            };
        }
        let st = state.clone();
        let id = instance_id.to_owned();
        let (stop2, wake2) = (stop.clone(), wake.clone());
        let task = tokio::spawn(async move {
            let check_every = cfg.purge_interval.min(MAX_CHECK_EVERY);
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(check_every) => {}
                    _ = wake2.notified() => {}
                }
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                purge_if_due(&st, &cfg, &id, &stop2).await;
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
            }
        });
        Retention {
            stop,
            wake,
            task: Some(task),
        }
    }

    /// Stops after the batch in flight (an unfinished run stays for the next holder).
    pub(crate) async fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }

    pub(crate) fn abort(&self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

async fn purge_if_due(st: &ServiceState, cfg: &RetentionConfig, id: &str, stop: &AtomicBool) {
    let Some(after) = cfg.sessions_after else {
        return;
    };
    let store = &st.0.store;
    let now = store.now();
    let status = match store.purge_status().await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the session purge lease");
            return;
        }
    };
    let due = status.pending.is_some() || status.next_due_at.is_none_or(|d| d.0 <= now);
    if !due || status.running.as_deref().is_some_and(|h| h != id) {
        return;
    }
    let actor = Actor::new("retention", Role::Oncall, Some(format!("instance:{id}")));
    let chrono = |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    let req = crate::ops::PurgeRequest {
        cutoff: Ts::from(now - chrono(after)),
        batch: cfg.purge_batch,
        pause: cfg.purge_pause,
        holder: id.to_owned(),
        lease_ttl: cfg.purge_lease,
        next_due: Some(Ts::from(now + chrono(cfg.purge_interval))),
        finish_when_stopped: false,
        extra: serde_json::json!({ "instance": id }),
    };
    let mut progress = |_: crate::ops::PurgeProgress| !stop.load(Ordering::SeqCst);
    match crate::ops::purge_sessions(store, &actor, &req, &mut progress).await {
        Ok(o) if o.busy.is_some() => {
            tracing::debug!(busy = ?o.busy, "the session purge runs elsewhere");
        }
        Ok(o) if o.interrupted => {
            tracing::info!(
                removed = o.removed,
                batches = o.batches,
                "session purge stopped; the next holder resumes it"
            );
        }
        Ok(o) => {
            tracing::info!(
                removed = o.removed + o.resumed_removed,
                batches = o.batches,
                duration_ms = o.duration_ms,
                "session purge done"
            );
        }
        Err(e) => tracing::warn!(error = %e, "session purge failed; retrying at the next check"),
    }
}
