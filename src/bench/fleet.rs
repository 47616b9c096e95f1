//! Issue 15's fleet rows: POST /login with the shared (database) limiter against the same build
//! with it off, alternating in one run; the statistics writes during that load; the database
//! time of one Overview refresh at the bench's size.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use super::load::{self, LoadResult};
use super::report::{Row, Stats, fmt_ms};
use super::service::{self, Limiter, World};
use super::{Ctx, stats_text, time_it};

/// Returning users per service start (each start binds them again: a login for an identity
/// already bound to the same account).
const USERS: usize = 200;
/// Off/on pairs of the limiter comparison.
const ROUNDS: usize = 2;
/// The flush interval of `wxlogin serve` (`service::DEFAULT_STATS_FLUSH_INTERVAL`) and a margin.
const WAIT_FOR_FLUSH: Duration = Duration::from_millis(5_500);

pub(super) async fn rows(ctx: &Ctx<'_>) -> Vec<Row> {
    let mut rows = Vec::new();
    // The shared limiter needs a database server that several instances share.
    if ctx.server.is_some() {
        rows.extend(login_rows(ctx).await);
    }
    rows.push(overview_row(ctx).await);
    rows
}

const LOGIN_OP: &str = "POST /login, returning users, shared limiter vs limiter off";
/// Relative only: an absolute rate (it was ≥ 2,000/s) says more about the machine than about
/// the limiter; the service part compares POST /login's rate with the server's own same-run
/// write reference (pgbench / sysbench oltp_write_only).
const LOGIN_TARGET: &str = "≥ 0.8× limiter off (same run)";
const STATS_OP: &str = "statistics writes during the shared-limiter POST /login load";
const STATS_TARGET: &str = "≤ 1 UPSERT per instance per (minute, appid, outcome) per flush";

/// One load of returning users' logins, each request from its own address when the limiter is
/// on (so the per-address counters are spread as a real population's are).
async fn login_load(ctx: &Ctx<'_>, world: &World, limiter: Limiter) -> anyhow::Result<LoadResult> {
    let secs = ctx.args.load_secs();
    let budget = (u64::from(secs) * 6_000).min(150_000) as usize;
    let codes = Arc::new(world.mint_codes(budget)?);
    let appid = world.appid;
    let n_codes = codes.len() as u64;
    let login = move |n: u64| {
        let mut r = load::post_json(
            "/login",
            &serde_json::json!({ "appid": appid, "code": codes[n as usize] }),
        );
        if limiter == Limiter::Shared {
            let addr = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
            if let Ok(v) = addr.parse() {
                r.headers_mut().insert("x-forwarded-for", v);
            }
        }
        r
    };
    load::run(
        &world.service.base_url,
        ctx.args.clients,
        Duration::from_secs(secs.into()),
        n_codes,
        login,
    )
    .await
}

/// The two counters the statistics flusher exports on /metrics.
async fn flush_counters(base: &str) -> anyhow::Result<(u64, u64)> {
    let text = load::client(1)?
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    let value = |name: &str| -> anyhow::Result<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .with_context(|| format!("/metrics has no {name}"))
    };
    Ok((
        value("wxlogin_stats_flushes_total")?,
        value("wxlogin_stats_outcome_upserts_total")?,
    ))
}

/// Rows this instance (found by its pid) has in `login_stats`, and the logins they count.
async fn instance_stats_rows(store: &crate::store::Store, pid: u32) -> anyhow::Result<(i64, i64)> {
    use crate::store::mysql::sqlx_on_mysql as on_mysql;
    const SQL: &str = "SELECT COUNT(*), CAST(SUM(s.count) AS BIGINT) FROM login_stats s \
         JOIN service_instances i ON i.id = s.instance_id WHERE i.pid = $1";
    let pid = i64::from(pid);
    let r: (i64, Option<i64>) = if let Some(p) = store.pg_pool() {
        sqlx::query_as(SQL).bind(pid).fetch_one(p).await?
    } else if let Some(p) = store.mysql_pool() {
        // MySQL's CAST has no BIGINT target: SIGNED is its 64-bit integer.
        on_mysql::query_as(sqlx::AssertSqlSafe(SQL.replace("AS BIGINT", "AS SIGNED")))
            .bind(pid)
            .fetch_one(p)
            .await?
    } else {
        anyhow::bail!("the fleet rows need a database server");
    };
    Ok((r.0, r.1.unwrap_or(0)))
}

async fn login_rows(ctx: &Ctx<'_>) -> Vec<Row> {
    match login_rows_inner(ctx).await {
        Ok(rows) => rows,
        Err(e) => vec![
            Row::not_measured(ctx.label, LOGIN_OP, LOGIN_TARGET, format!("{e:#}")),
            Row::not_measured(ctx.label, STATS_OP, STATS_TARGET, format!("{e:#}")),
        ],
    }
}

async fn login_rows_inner(ctx: &Ctx<'_>) -> anyhow::Result<Vec<Row>> {
    let mut off = Vec::new();
    let mut on = Vec::new();
    let mut errors = String::new();
    let mut stats_row = None;
    for round in 0..ROUNDS {
        for limiter in [Limiter::Off, Limiter::Shared] {
            let world = service::start_with(&ctx.store, &ctx.url, &ctx.key, USERS, limiter)
                .await
                .with_context(|| format!("start wxlogin serve ({limiter:?})"))?;
            let base = world.service.base_url.clone();
            let last = round + 1 == ROUNDS && limiter == Limiter::Shared;
            let before = if last {
                Some(flush_counters(&base).await?)
            } else {
                None
            };
            let r = login_load(ctx, &world, limiter).await?;
            if r.errors > 0 && errors.is_empty() {
                errors = format!(" ({limiter:?}{})", r.errors_text());
            }
            if let Some((flushes0, upserts0)) = before {
                // Every count of the load reaches the database at the next flush.
                tokio::time::sleep(WAIT_FOR_FLUSH).await;
                let (flushes1, upserts1) = flush_counters(&base).await?;
                let (rows_changed, counted) =
                    instance_stats_rows(&ctx.store, world.service.pid()).await?;
                let flushes = flushes1 - flushes0;
                let upserts = upserts1 - upserts0;
                let logins = r.ok + r.errors;
                let per_flush = upserts as f64 / flushes.max(1) as f64;
                stats_row = Some(Row::new(
                    ctx.label,
                    format!("{STATS_OP} ({logins} logins)"),
                    STATS_TARGET,
                    format!(
                        "{upserts} UPSERTs in {flushes} flushes ({per_flush:.1} per flush) for \
                         {rows_changed} (minute, appid, outcome) rows counting {counted} logins: \
                         {:.4} UPSERTs per login",
                        upserts as f64 / logins.max(1) as f64
                    ),
                    flushes > 0
                        && upserts <= flushes * rows_changed.max(0) as u64
                        && counted as u64 >= logins,
                ));
            }
            match limiter {
                Limiter::Off => off.push(r),
                Limiter::Shared => on.push(r),
            }
            drop(world);
        }
    }
    let rate = |v: &[LoadResult]| -> Vec<f64> { v.iter().map(LoadResult::per_second).collect() };
    let (off_rates, on_rates) = (rate(&off), rate(&on));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (off_mean, on_mean) = (mean(&off_rates), mean(&on_rates));
    let ratio = on_mean / off_mean.max(1e-9);
    let list = |v: &[f64]| {
        v.iter()
            .map(|r| format!("{r:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let p99 = on
        .iter()
        .map(|r| r.latency.p99)
        .max()
        .unwrap_or(Duration::ZERO);
    let all_ok = off.iter().chain(&on).all(|r| r.errors == 0);
    let mut rows = vec![Row::new(
        ctx.label,
        format!(
            "{LOGIN_OP} ({} clients, {ROUNDS} alternating runs each)",
            ctx.args.clients
        ),
        LOGIN_TARGET,
        format!(
            "on {on_mean:.0}/s ({}), off {off_mean:.0}/s ({}) = {ratio:.2}×; on p99 {}{errors}",
            list(&on_rates),
            list(&off_rates),
            fmt_ms(p99)
        ),
        ratio >= 0.8 && all_ok,
    )];
    rows.extend(stats_row);
    Ok(rows)
}

/// The store calls one Overview refresh makes (live count, an hour of login buckets, the
/// failing addresses, the instances), timed together: the database time of a refresh.
async fn overview_row(ctx: &Ctx<'_>) -> Row {
    let op = format!(
        "Overview refresh: database time of its store calls at {} sessions",
        ctx.sessions
    );
    let target = "≤ 50 ms per refresh";
    let store = &ctx.store;
    let live = std::sync::Mutex::new(None);
    let live_ref = &live;
    let timed: anyhow::Result<Stats> = time_it(ctx.args.iterations(), |_| async move {
        let snap = crate::console::views::overview::load(store.clone(), store.now_ts()).await?;
        *live_ref.lock().unwrap_or_else(|e| e.into_inner()) = Some(snap.live);
        Ok(())
    })
    .await;
    let live = live.into_inner().unwrap_or_else(|e| e.into_inner());
    match timed {
        Ok(s) => {
            let count = live
                .map(|l| {
                    let n = crate::console::widgets::thousands(l.count.max(0) as u64);
                    if l.exact {
                        format!("{n} live, exact")
                    } else {
                        format!("~{n} live, estimate")
                    }
                })
                .unwrap_or_default();
            Row::new(
                ctx.label,
                op,
                target,
                format!("{} ({count})", stats_text(&s)),
                s.median <= Duration::from_millis(50),
            )
        }
        Err(e) => Row::not_measured(ctx.label, op, target, format!("{e:#}")),
    }
}
