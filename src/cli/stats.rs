//! `wxlogin stats`: the fleet at a glance, from what every `wxlogin serve` writes to the
//! database: live sessions, instances (up, stale, stopped), login outcomes per minute and the
//! client addresses with the most failed logins.

use clap::Args;
use serde::Serialize;

use super::{Context, Table, cell, ts};
use crate::exit::Failure;
use crate::present::state::instance_state;
use crate::store::Ts;
use crate::store::stats::{LoginBucket, UP_WITHIN_SECS};
use crate::tr;

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP, next_help_heading = "Command options")]
pub struct StatsArgs {
    /// How far back: an age such as 15m, 60m, 24h, or an RFC 3339 time.
    #[arg(long, value_name = "TIME", default_value = "60m")]
    pub since: String,
    /// Failing client addresses listed at most.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(i64).range(1..=1000))]
    pub addresses: i64,
    /// One JSON document; fields in docs/cli-json.md.
    #[arg(long)]
    pub json: bool,
}

/// Instances listed at most (the newest heartbeats first).
const MAX_INSTANCES: i64 = 200;

#[derive(Debug, Serialize)]
struct LiveJson {
    count: i64,
    /// `exact`, or `estimate` when an exact count was too slow.
    kind: &'static str,
}

#[derive(Debug, Serialize)]
struct InstanceJson {
    id: String,
    host: String,
    pid: i64,
    version: String,
    listen: String,
    started_at: String,
    last_seen: String,
    /// `up` (heartbeat in the last 30 s), `stale` or `stopped`.
    state: &'static str,
}

#[derive(Debug, Serialize)]
struct BucketJson {
    minute: String,
    appid: String,
    outcome: String,
    count: i64,
}

#[derive(Debug, Serialize)]
struct RevocationJson {
    minute: String,
    count: i64,
}

#[derive(Debug, Serialize)]
struct AddressJson {
    address: String,
    count: i64,
}

#[derive(Debug, Serialize)]
struct StatsJson {
    since: String,
    live_sessions: LiveJson,
    instances: Vec<InstanceJson>,
    logins: Vec<BucketJson>,
    /// Sessions revoked by operator actions per minute (from the audit log).
    revocations: Vec<RevocationJson>,
    failing_addresses: Vec<AddressJson>,
    /// Retention: the last purge of ended sessions and the backlog.
    sessions_purge: PurgeJson,
}

#[derive(Debug, Serialize)]
struct PurgeJson {
    last_finished_at: Option<String>,
    last_cutoff: Option<String>,
    last_removed: Option<u64>,
    last_duration_ms: Option<u64>,
    last_by: Option<String>,
    next_due_at: Option<String>,
    /// Who purges now (holds the lease), if anyone.
    running: Option<String>,
    /// A run left unfinished (its holder stopped); the next holder resumes it.
    unfinished: bool,
    /// Sessions that would go now at [retention] sessions_after_days; null when retention is off.
    backlog: Option<BacklogJson>,
}

#[derive(Debug, Serialize)]
struct BacklogJson {
    sessions: u64,
    /// Always `estimate`: a 1% sample on large PostgreSQL tables, a capped count on SQLite.
    kind: &'static str,
    cutoff: String,
}

pub async fn run(ctx: &Context, args: StatsArgs) -> Result<(), Failure> {
    let store = ctx.store().await?;
    let now = store.now();
    let since = super::audit::parse_time(&ctx.tr, "--since", &args.since, now)?;
    let live = store.live_sessions().await?;
    let now_ts = Ts::from(now);
    // Stopped and stale instances seen within the window are shown too.
    let instances = store.service_instances(since, MAX_INSTANCES).await?;
    let buckets = store.login_buckets(since).await?;
    let addresses = store.failing_addresses(since, args.addresses).await?;
    let revocations = store.revocations_by_minute(since).await?;
    let purge = store.purge_status().await?;
    let days = ctx
        .file
        .retention
        .sessions_after_days
        .unwrap_or(crate::service::retention::DEFAULT_SESSIONS_AFTER_DAYS);
    let backlog = if days == 0 {
        None
    } else {
        let cutoff = Ts::from(now - chrono::Duration::days(days.min(36_500) as i64));
        Some((cutoff, store.estimate_purgeable(cutoff).await?))
    };
    store.close().await;
    let purge_json = PurgeJson {
        last_finished_at: purge.last_finished_at.map(ts),
        last_cutoff: purge.last_cutoff.map(ts),
        last_removed: purge.last_removed,
        last_duration_ms: purge.last_duration_ms,
        last_by: purge.last_by.clone(),
        next_due_at: purge.next_due_at.map(ts),
        running: purge.running.clone(),
        unfinished: purge.pending.is_some(),
        backlog: backlog.map(|(cutoff, b)| BacklogJson {
            sessions: b.sessions,
            kind: "estimate",
            cutoff: ts(cutoff),
        }),
    };

    if args.json {
        return ctx.print_json(&StatsJson {
            since: ts(since),
            live_sessions: LiveJson {
                count: live.count,
                kind: if live.exact { "exact" } else { "estimate" },
            },
            instances: instances
                .iter()
                .map(|i| InstanceJson {
                    id: i.id.clone(),
                    host: i.host.clone(),
                    pid: i.pid,
                    version: i.version.clone(),
                    listen: i.listen.clone(),
                    started_at: ts(i.started_at),
                    last_seen: ts(i.last_seen_at),
                    state: instance_state(i, now_ts),
                })
                .collect(),
            logins: buckets
                .iter()
                .map(|b| BucketJson {
                    minute: ts(b.minute),
                    appid: b.appid.clone(),
                    outcome: b.outcome.clone(),
                    count: b.count,
                })
                .collect(),
            revocations: revocations
                .iter()
                .map(|r| RevocationJson {
                    minute: ts(r.minute),
                    count: r.count,
                })
                .collect(),
            failing_addresses: addresses
                .iter()
                .map(|a| AddressJson {
                    address: a.address.clone(),
                    count: a.count,
                })
                .collect(),
            sessions_purge: purge_json,
        });
    }

    let up = instances
        .iter()
        .filter(|i| instance_state(i, now_ts) == "up")
        .count();
    let tr = &ctx.tr;
    ctx.say(tr!(
        tr,
        "cli-stats-live",
        count = live.count.to_string(),
        estimate = if live.exact {
            String::new()
        } else {
            tr!(tr, "cli-stats-estimate")
        }
    ))?;
    let p = &purge_json;
    ctx.say(
        match (&p.last_finished_at, p.last_removed, p.last_duration_ms) {
            (Some(at), Some(n), Some(ms)) => tr!(
                tr,
                "cli-stats-purge-last",
                at = at.as_str(),
                n = n.to_string(),
                secs = format!("{:.1}", ms as f64 / 1000.0),
                by = crate::sanitize::for_terminal(p.last_by.as_deref().unwrap_or("-")),
                next = p
                    .next_due_at
                    .clone()
                    .unwrap_or_else(|| tr!(tr, "cli-stats-purge-next-unknown"))
            ),
            _ => tr!(tr, "cli-stats-purge-never"),
        },
    )?;
    if let Some(h) = &p.running {
        ctx.say(tr!(
            tr,
            "cli-stats-purge-running",
            holder = crate::sanitize::for_terminal(h)
        ))?;
    } else if p.unfinished {
        ctx.say(tr!(tr, "cli-stats-purge-unfinished"))?;
    }
    ctx.say(match &p.backlog {
        Some(b) => tr!(
            tr,
            "cli-stats-backlog",
            sessions = b.sessions.to_string(),
            cutoff = b.cutoff.as_str()
        ),
        None => tr!(tr, "cli-stats-backlog-off"),
    })?;
    ctx.say(tr!(
        tr,
        "cli-stats-instances",
        up = up.to_string(),
        listed = instances.len().to_string(),
        secs = UP_WITHIN_SECS.to_string()
    ))?;
    if !instances.is_empty() {
        let mut t = Table::new(&["STATE", "ID", "VERSION", "LISTEN", "LAST SEEN", "STARTED"]);
        for i in &instances {
            t.row(vec![
                crate::present::state::instance_state_name(&ctx.tr, instance_state(i, now_ts)),
                cell(ctx, &i.id, 40),
                cell(ctx, &i.version, 16),
                cell(ctx, &i.listen, 40),
                ts(i.last_seen_at),
                ts(i.started_at),
            ]);
        }
        t.print(ctx)?;
    }
    ctx.say(tr!(tr, "cli-stats-logins-since", since = ts(since)))?;
    let totals = totals_by_outcome(&buckets);
    if totals.is_empty() {
        ctx.say(format!("  {}", tr!(tr, "cli-stats-none-recorded")))?;
    } else {
        let mut t = Table::new(&["OUTCOME", "COUNT"]);
        for (outcome, n) in &totals {
            t.row(vec![outcome.clone(), n.to_string()]);
        }
        t.print(ctx)?;
        let mut t = Table::new(&["MINUTE", "APPID", "OUTCOME", "COUNT"]);
        for b in &buckets {
            t.row(vec![
                ts(b.minute),
                if b.appid.is_empty() {
                    "-".to_owned()
                } else {
                    cell(ctx, &b.appid, 32)
                },
                b.outcome.clone(),
                b.count.to_string(),
            ]);
        }
        t.print(ctx)?;
    }
    ctx.say(tr!(
        tr,
        "cli-stats-revoked-since",
        since = ts(since),
        count = revocations.iter().map(|r| r.count).sum::<i64>().to_string()
    ))?;
    if addresses.is_empty() {
        ctx.say(tr!(tr, "cli-stats-addresses-none"))?;
    } else {
        ctx.say(tr!(tr, "cli-stats-addresses"))?;
        let mut t = Table::new(&["ADDRESS", "FAILED"]);
        for a in &addresses {
            t.row(vec![cell(ctx, &a.address, 45), a.count.to_string()]);
        }
        t.print(ctx)?;
    }
    Ok(())
}

/// Count per outcome over the whole window, most first.
fn totals_by_outcome(buckets: &[LoginBucket]) -> Vec<(String, i64)> {
    let mut m: std::collections::BTreeMap<&str, i64> = Default::default();
    for b in buckets {
        *m.entry(b.outcome.as_str()).or_default() += b.count;
    }
    let mut v: Vec<(String, i64)> = m.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}
