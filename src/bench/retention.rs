//! Issue 24's rows: the session purge beside GET /me and POST /login, the steady state over three
//! simulated months, the audit log's growth per first login, and `audit archive` of a million
//! rows. The part seeds its own database (`--sessions` sessions of which `--ended-share` ended
//! `--ended-age-days` ago), so the other parts' data set is untouched.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::load::{self, LoadResult};
use super::report::{Row, ScratchDir, fmt_ms};
use super::server::Server;
use super::service::{self, Limiter, World};
use super::synth::{EndedLongAgo, Shape};
use super::{Ctx, bench_actor, run_self, seed};
use crate::crypto::DataKey;
use crate::mock_wechat::openid as emulator_openid;
use crate::ops::{PurgeProgress, PurgeRequest};
use crate::secret::Secret;
use crate::service::retention::RetentionConfig;
use crate::store::mysql::sqlx_on_mysql as on_mysql;
use crate::store::{Backend, LoginOutcome, NewSession, Store, Ts};

/// The purge target on PostgreSQL.
const PURGE_RATE_TARGET: f64 = 20_000.0;
/// p99 during the purge against the same load without it.
const P99_RATIO_TARGET: f64 = 1.5;
/// Returning users of the service (GET /me tokens and POST /login identities).
const USERS: usize = 500;
/// Audit rows `audit archive` is measured on.
const ARCHIVE_ROWS: u64 = 1_000_000;
/// Retention window of the simulated months (the default `sessions_after_days`).
const WINDOW_DAYS: i64 = 30;

/// The part's own database, dropped afterwards unless `--keep`.
struct Db {
    store: Store,
    url: String,
    key: DataKey,
    _dir: Option<ScratchDir>,
    server: Option<Server>,
}

pub(super) async fn rows(ctx: &Ctx<'_>) -> Vec<Row> {
    match run(ctx).await {
        Ok(r) => r,
        Err(e) => vec![Row::not_measured(
            ctx.label,
            "retention (issue 24)",
            "-",
            format!("{e:#}"),
        )],
    }
}

async fn open_db(ctx: &Ctx<'_>) -> anyhow::Result<Db> {
    match &ctx.server {
        Some(server) => {
            let url = server.create_database("wxbench_retention").await?;
            let store = Store::connect(&url, Default::default()).await?;
            crate::ops::migrate(&store, &bench_actor()).await?;
            Ok(Db {
                store,
                url,
                key: DataKey::generate(),
                _dir: None,
                server: Some(server.clone()),
            })
        }
        None => {
            let dir = ScratchDir::new("wxlogin-bench-retention.")?;
            let url = crate::config::sqlite_url(&dir.path().join("retention.db"));
            let store = Store::open(&url).await?;
            Ok(Db {
                store,
                url,
                key: DataKey::generate(),
                _dir: Some(dir),
                server: None,
            })
        }
    }
}

async fn run(ctx: &Ctx<'_>) -> anyhow::Result<Vec<Row>> {
    let label = ctx.label;
    let db = open_db(ctx).await?;
    let store = &db.store;
    let mut rows = Vec::new();
    let ended = EndedLongAgo {
        share: ctx.args.ended_share,
        min_days: ctx.args.ended_age_days.0,
        max_days: ctx.args.ended_age_days.1,
    };
    let shape = Shape::new(ctx.sessions, None, 11).with_ended(Some(ended));
    eprintln!(
        "[{label}] retention: seeding {} sessions, {:.0}% ended {}..{} days ago …",
        shape.sessions,
        ended.share * 100.0,
        ended.min_days,
        ended.max_days
    );
    let report = seed::seed(store, &db.key, &bench_actor(), shape).await?;
    let t0 = store.now();
    let cutoff = Ts::from(t0 - chrono::Duration::days(WINDOW_DAYS));
    let purgeable = store.count_purgeable(cutoff).await?;
    rows.push(Row::info(
        label,
        format!(
            "retention data set: seed-synthetic --sessions {} --ended-share {} --ended-age-days {}..{}",
            shape.sessions, ended.share, ended.min_days, ended.max_days
        ),
        format!(
            "{:.1} s; {purgeable} purgeable at a {WINDOW_DAYS}-day window",
            report.elapsed.as_secs_f64()
        ),
    ));
    if let Some(row) = time_order(store, label).await? {
        rows.push(row);
    }

    // Each measurement on its own: one that fails is reported as not measured.
    let failed =
        |op: &str, e: anyhow::Error| vec![Row::not_measured(label, op, "-", format!("{e:#}"))];
    // The purge beside the load, against the same load without it.
    let (size0, _, _) = sizes(store).await?;
    rows.extend(
        purge_beside_load(ctx, &db, cutoff, purgeable)
            .await
            .unwrap_or_else(|e| failed("purge beside the load", e)),
    );
    // The audit log's growth per first login, then the archive (which removes audit rows).
    rows.extend(
        first_login_audit_row(ctx, &db, shape)
            .await
            .map(|r| vec![r])
            .unwrap_or_else(|e| failed("audit_log growth per first login", e)),
    );
    rows.extend(
        archive_row(ctx, &db, shape, t0)
            .await
            .map(|r| vec![r])
            .unwrap_or_else(|e| failed("audit archive", e)),
    );
    // Three more months after the purge above.
    if ctx.args.retention_months > 0 {
        rows.extend(
            months(ctx, &db, shape, t0, size0)
                .await
                .unwrap_or_else(|e| failed("steady state", e)),
        );
    }

    db.store.close().await;
    if let Some(server) = &db.server {
        if ctx.args.keep {
            eprintln!(
                "kept the retention benchmark database: {}",
                crate::store::redact_database_url(&db.url)
            );
        } else {
            server.drop_database(&db.url).await?;
        }
    }
    Ok(rows)
}

/// GET /me and POST /login at the same time, half the clients each, until `secs` pass or
/// `stop` is set.
async fn mixed_load(
    world: &World,
    clients: u32,
    secs: u32,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<(LoadResult, LoadResult)> {
    let base = world.service.base_url.clone();
    let half = (clients / 2).max(1);
    let budget = (u64::from(secs) * 4_000).min(150_000) as usize;
    let codes = Arc::new(world.mint_codes(budget)?);
    let n_codes = codes.len() as u64;
    let appid = world.appid;
    let login = move |n: u64| {
        load::post_json(
            "/login",
            &serde_json::json!({ "appid": appid, "code": codes[n as usize] }),
        )
    };
    let tokens = Arc::new(world.tokens.clone());
    let me = move |n: u64| load::get_bearer("/me", &tokens[n as usize % tokens.len()]);
    let d = Duration::from_secs(secs.into());
    let (me, login) = tokio::join!(
        load::run_until(&base, half, d, u64::MAX, stop.clone(), me),
        load::run_until(&base, half, d, n_codes, stop, login),
    );
    Ok((me?, login?))
}

fn p99_row(label: &str, op: &str, base: &LoadResult, during: &LoadResult) -> Row {
    let ratio = during.latency.p99.as_secs_f64() / base.latency.p99.as_secs_f64().max(1e-9);
    Row::new(
        label,
        format!("{op} p99 during the purge vs the same load without it (same run)"),
        format!("≤ {P99_RATIO_TARGET}×"),
        format!(
            "{} vs {} ({ratio:.2}×); {:.0}/s vs {:.0}/s, n={} vs {}{}",
            fmt_ms(during.latency.p99),
            fmt_ms(base.latency.p99),
            during.per_second(),
            base.per_second(),
            during.latency.n,
            base.latency.n,
            if base.errors + during.errors > 0 {
                format!(", {} errors", base.errors + during.errors)
            } else {
                String::new()
            }
        ),
        ratio <= P99_RATIO_TARGET && base.errors + during.errors == 0,
    )
}

async fn purge_beside_load(
    ctx: &Ctx<'_>,
    db: &Db,
    cutoff: Ts,
    purgeable: u64,
) -> anyhow::Result<Vec<Row>> {
    let label = ctx.label;
    let secs = ctx.args.load_secs();
    let clients = ctx.args.clients;
    // The service's own background purge is off: this run purges, in this process, with the
    // service's default batch, pause and lease.
    let world = service::start_configured(
        &db.store,
        &db.url,
        &db.key,
        USERS,
        Limiter::Off,
        "\n[retention]\nsessions_after_days = 0\n",
    )
    .await?;
    // Warm up, then the load without the purge.
    let _ = mixed_load(&world, clients, 1, Arc::new(AtomicBool::new(false))).await?;
    eprintln!("[{label}] retention: load without the purge ({secs} s) …");
    let (me0, login0) = mixed_load(&world, clients, secs, Arc::new(AtomicBool::new(false))).await?;

    let cfg = RetentionConfig::default();
    let batch = ctx.args.purge_batch.unwrap_or(cfg.purge_batch);
    let req = PurgeRequest {
        cutoff,
        batch,
        pause: cfg.purge_pause,
        holder: "bench".to_owned(),
        lease_ttl: cfg.purge_lease,
        next_due: None,
        finish_when_stopped: true,
        extra: serde_json::json!({}),
    };
    let progress: Arc<Mutex<Vec<(Instant, u64)>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let purge = {
        let store = db.store.clone();
        let progress = progress.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let mut on_batch = |p: PurgeProgress| {
                if let Ok(mut v) = progress.lock() {
                    v.push((Instant::now(), p.removed));
                }
                true
            };
            let r = crate::ops::purge_sessions(&store, &bench_actor(), &req, &mut on_batch).await;
            done.store(true, Ordering::SeqCst);
            r.map(|o| (o, started.elapsed()))
        })
    };
    eprintln!("[{label}] retention: the same load during the purge of {purgeable} sessions …");
    let load_started = Instant::now();
    let (me1, login1) = mixed_load(&world, clients, secs, done.clone()).await?;
    let load_ended = Instant::now();
    let (outcome, took) = purge.await??;
    drop(world);
    let during = {
        let v = progress.lock().map(|v| v.clone()).unwrap_or_default();
        let at = |t: Instant| {
            v.iter()
                .take_while(|(at, _)| *at <= t)
                .last()
                .map(|p| p.1)
                .unwrap_or(0)
        };
        let removed = at(load_ended).saturating_sub(at(load_started));
        removed as f64 / (load_ended - load_started).as_secs_f64().max(1e-9)
    };
    let rate = outcome.removed as f64 / took.as_secs_f64().max(1e-9);
    let op = format!(
        "purge of ended sessions (batch {batch}, pause {} ms{}) beside GET /me + POST /login ({clients} clients)",
        cfg.purge_pause.as_millis(),
        if batch == cfg.purge_batch {
            ": the service's defaults"
        } else {
            "; the default pause"
        }
    );
    let measured = format!(
        "{rate:.0} rows/s: {} of {purgeable} removed in {:.1} s, {} batches; {during:.0} rows/s while the load ran",
        outcome.removed,
        took.as_secs_f64(),
        outcome.batches
    );
    let mut rows = Vec::new();
    if ctx.store.backend() == Backend::Postgres {
        rows.push(Row::new(
            label,
            op,
            "≥ 20,000 rows/s",
            measured,
            rate >= PURGE_RATE_TARGET && outcome.removed == purgeable,
        ));
    } else {
        rows.push(Row::new(
            label,
            op,
            "all purgeable removed",
            measured,
            outcome.removed == purgeable,
        ));
    }
    rows.push(p99_row(label, "GET /me", &me0, &me1));
    rows.push(p99_row(label, "POST /login", &login0, &login1));
    Ok(rows)
}

/// One integer from `sql` with no parameters.
async fn scalar(store: &Store, sql: &str) -> anyhow::Result<i64> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    Ok(match (store.pg_pool(), store.sqlite_pool()) {
        (Some(p), _) => sqlx::query_scalar(sql).fetch_one(p).await?,
        (_, Some(p)) => sqlx::query_scalar(sql).fetch_one(p).await?,
        _ => match store.mysql_pool() {
            Some(p) => on_mysql::query_scalar(sql).fetch_one(p).await?,
            None => anyhow::bail!("no database"),
        },
    })
}

/// One integer from `sql` with the timestamp `at` as `$1`.
async fn scalar_at(store: &Store, sql: &str, at: DateTime<Utc>) -> anyhow::Result<i64> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    Ok(match (store.pg_pool(), store.sqlite_pool()) {
        (Some(p), _) => {
            sqlx::query_scalar(sql)
                .bind(Ts::from(at))
                .fetch_one(p)
                .await?
        }
        (_, Some(p)) => {
            sqlx::query_scalar(sql)
                .bind(Ts::from(at))
                .fetch_one(p)
                .await?
        }
        _ => match store.mysql_pool() {
            Some(p) => {
                on_mysql::query_scalar(sql)
                    .bind(Ts::from(at))
                    .fetch_one(p)
                    .await?
            }
            None => anyhow::bail!("no database"),
        },
    })
}

/// Bytes of `table` with its indexes (PostgreSQL: the relation's total size; SQLite: its pages
/// and its indexes' pages, from the dbstat table).
async fn table_bytes(store: &Store, table: &str) -> anyhow::Result<i64> {
    match store.backend() {
        Backend::Postgres => {
            scalar(
                store,
                &format!("SELECT pg_total_relation_size('{table}')::bigint"),
            )
            .await
        }
        Backend::MySql => {
            scalar(
                store,
                &format!(
                    "SELECT CAST(COALESCE(SUM(data_length + index_length), 0) AS SIGNED) \
                     FROM information_schema.tables \
                     WHERE table_schema = DATABASE() AND table_name = '{table}'"
                ),
            )
            .await
        }
        Backend::Sqlite => {
            scalar(
                store,
                &format!(
                    "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN \
                     (SELECT name FROM sqlite_schema WHERE tbl_name = '{table}')"
                ),
            )
            .await
        }
    }
}

/// (sessions with their indexes, the whole database: PostgreSQL's database size, SQLite's file
/// size and free pages) in bytes.
async fn sizes(store: &Store) -> anyhow::Result<(i64, String, i64)> {
    let sessions = table_bytes(store, "sessions").await?;
    let (whole, bytes) = match store.backend() {
        Backend::Postgres => {
            let db = scalar(store, "SELECT pg_database_size(current_database())").await?;
            (format!("database {}", mb(db)), db)
        }
        Backend::MySql => {
            let db = scalar(
                store,
                "SELECT CAST(COALESCE(SUM(data_length + index_length), 0) AS SIGNED) \
                 FROM information_schema.tables WHERE table_schema = DATABASE()",
            )
            .await?;
            (format!("database {}", mb(db)), db)
        }
        Backend::Sqlite => {
            let pages = scalar(store, "SELECT page_count FROM pragma_page_count()").await?;
            let free = scalar(store, "SELECT freelist_count FROM pragma_freelist_count()").await?;
            let size = scalar(store, "SELECT page_size FROM pragma_page_size()").await?;
            (
                format!(
                    "file {} ({} free pages = {})",
                    mb(pages * size),
                    free,
                    mb(free * size)
                ),
                pages * size,
            )
        }
    };
    Ok((sessions, whole, bytes))
}

fn mb(bytes: i64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// `audit_log` rows and bytes per 1M first logins: first logins (a binding's first login, the
/// store path the service takes) counted and measured, scaled up.
async fn first_login_audit_row(ctx: &Ctx<'_>, db: &Db, shape: Shape) -> anyhow::Result<Row> {
    let store = &db.store;
    let n: u64 = match (store.backend(), ctx.args.quick) {
        (Backend::Postgres | Backend::MySql, false) => 20_000,
        (Backend::Postgres | Backend::MySql, true) => 4_000,
        (Backend::Sqlite, false) => 5_000,
        (Backend::Sqlite, true) => 1_000,
    };
    let rows0 = scalar(store, "SELECT COUNT(*) FROM audit_log").await?;
    let bytes0 = table_bytes(store, "audit_log").await?;
    let appid = super::synth::APPIDS[2];
    let sk = Secret::new("c2Vzc2lvbmtleWJlbmNoMDAwMA==");
    let started = Instant::now();
    let workers = 4u64;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let store = store.clone();
        let key = db.key.clone();
        let sk = sk.clone();
        tasks.push(tokio::spawn(async move {
            for i in (w..n).step_by(workers as usize) {
                let openid = emulator_openid(appid, &format!("first-login-{i}"));
                // Accounts with odd numbers are not bound in the third mini program; disabled
                // ones cannot log in.
                let mut number = 2 * (i as i64 % (shape.accounts / 2 - 1)) + 1;
                while super::synth::is_disabled(number) {
                    number += 2;
                }
                let account = number + 1;
                let s = NewSession {
                    appid,
                    openid: &openid,
                    unionid: None,
                    session_key: &sk,
                    client_ip: Some("203.0.113.7"),
                    user_agent: Some("wxlogin-bench"),
                    ttl: chrono::Duration::days(30),
                    idle: chrono::Duration::days(7),
                };
                match store.bind_and_login(&key, account, &s).await? {
                    LoginOutcome::Issued(_) => {}
                    other => anyhow::bail!("first login {i} failed: {other:?}"),
                }
            }
            Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let took = started.elapsed();
    let rows = scalar(store, "SELECT COUNT(*) FROM audit_log").await? - rows0;
    let bytes = table_bytes(store, "audit_log").await? - bytes0;
    let per = 1e6 / n as f64;
    Ok(Row::info(
        ctx.label,
        format!("audit_log growth per 1M first logins ({n} measured, scaled)"),
        format!(
            "{:.0} rows, {:.0} MB with indexes ({:.0} bytes per first login); {n} first logins took {:.1} s",
            rows as f64 * per,
            bytes as f64 * per / 1e6,
            bytes as f64 / n as f64,
            took.as_secs_f64()
        ),
    ))
}

/// `wxlogin audit archive` of a million rows, as a whole process.
async fn archive_row(
    ctx: &Ctx<'_>,
    db: &Db,
    shape: Shape,
    t0: DateTime<Utc>,
) -> anyhow::Result<Row> {
    let store = &db.store;
    let label = ctx.label;
    let want = if ctx.args.quick {
        ARCHIVE_ROWS / 10
    } else {
        ARCHIVE_ROWS
    };
    // Rows dated up to 90 days before a day ago; the archive takes everything before then.
    let at = t0 - chrono::Duration::days(1);
    let before = Ts::from(at).rfc3339();
    let have = scalar_at(store, "SELECT COUNT(*) FROM audit_log WHERE at < $1", at)
        .await?
        .max(0) as u64;
    seed::append_audit(store, &shape, at, want.saturating_sub(have)).await?;
    let dir = ScratchDir::new("wxlogin-bench-archive.")?;
    let file = dir.path().join("audit.jsonl");
    let file_s = file.display().to_string();
    eprintln!("[{label}] retention: audit archive of {want} rows …");
    let url = db.url.clone();
    let args = [
        "audit", "archive", "--before", &before, "--to", &file_s, "--yes", "--json",
    ]
    .map(str::to_owned);
    let (took, out) = tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        run_self(&url, &a)
    })
    .await??;
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
    let archived = doc.get("count").and_then(|v| v.as_u64()).unwrap_or(0);
    let size = std::fs::metadata(&file)?.len();
    let left = scalar_at(store, "SELECT COUNT(*) FROM audit_log WHERE at < $1", at).await?;
    Ok(Row::new(
        label,
        format!(
            "`wxlogin audit archive --before DATE --to FILE --yes` of {want} audit rows (whole process)"
        ),
        "every row archived and removed",
        format!(
            "{:.1} s ({:.0} rows/s); file {} ({:.0} bytes per row); {archived} archived, {left} left before DATE",
            took.as_secs_f64(),
            want as f64 / took.as_secs_f64().max(1e-9),
            mb(size as i64),
            size as f64 / want.max(1) as f64
        ),
        left == 0 && archived >= want,
    ))
}

/// The steady state: after the purge above (the first month), three more months, each adding
/// a month of logins (the seeded non-purgeable share: sessions created in the month before
/// it), purging with the 30-day window and vacuuming as autovacuum would (PostgreSQL: plain
/// VACUUM; SQLite: nothing, its freed pages go to the free list and are reused). Once the window
/// is full (two months of sessions), the size stays where it is.
async fn months(
    ctx: &Ctx<'_>,
    db: &Db,
    shape: Shape,
    t0: DateTime<Utc>,
    size_seeded: i64,
) -> anyhow::Result<Vec<Row>> {
    let label = ctx.label;
    let store = &db.store;
    let per_month = ((1.0 - ctx.args.ended_share) * shape.sessions as f64) as u64;
    let mut rows = Vec::new();
    vacuum(store).await?;
    let mut after = Vec::new();
    let step = |month: u32, now: DateTime<Utc>, what: &str| {
        let what = what.to_owned();
        async move {
            let (bytes, whole, whole_bytes) = sizes(store).await?;
            let total = scalar(store, "SELECT COUNT(*) FROM sessions").await?;
            let live = scalar_at(
                store,
                "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > $1",
                now,
            )
            .await?;
            let text = format!(
                "{total} rows ({live} live): sessions + indexes {} = {:.0} B per live session, {:.0} B per row; {whole}",
                mb(bytes),
                bytes as f64 / live.max(1) as f64,
                bytes as f64 / total.max(1) as f64
            );
            Ok::<_, anyhow::Error>((
                Row::info(label, format!("steady state, month {month}: {what}"), text),
                (bytes, whole_bytes),
            ))
        }
    };
    let (r, b) = step(
        0,
        t0,
        &format!(
            "seeded {} (before the purge: {})",
            shape.sessions,
            mb(size_seeded)
        ),
    )
    .await?;
    rows.push(r);
    after.push(b);
    for month in 1..=ctx.args.retention_months.max(2) {
        let now = t0 + chrono::Duration::days(WINDOW_DAYS * i64::from(month));
        eprintln!("[{label}] retention: month {month}: {per_month} logins, purge, vacuum …");
        let m = Shape {
            sessions: per_month,
            seed: shape.seed + u64::from(month),
            ended: Some(EndedLongAgo {
                share: 0.0,
                min_days: 1,
                max_days: 1,
            }),
            ..shape
        };
        seed::append_sessions(store, &db.key, m, now).await?;
        let (peak, _, _) = sizes(store).await?;
        let cfg = RetentionConfig::default();
        let req = PurgeRequest {
            cutoff: Ts::from(now - chrono::Duration::days(WINDOW_DAYS)),
            batch: cfg.purge_batch,
            pause: Duration::ZERO,
            holder: "bench".to_owned(),
            lease_ttl: cfg.purge_lease,
            next_due: None,
            finish_when_stopped: true,
            extra: serde_json::json!({}),
        };
        let t = Instant::now();
        let o = crate::ops::purge_sessions(store, &bench_actor(), &req, &mut |_| true).await?;
        let purge_took = t.elapsed();
        vacuum(store).await?;
        let (r, b) = step(
            month,
            now,
            &format!(
                "+{per_month} logins ({} before the purge), purged {} in {:.1} s, VACUUM",
                mb(peak),
                o.removed,
                purge_took.as_secs_f64()
            ),
        )
        .await?;
        rows.push(r);
        after.push(b);
    }
    // The window (two months of sessions) is full from month 2 on.
    let last = after.len() - 1;
    let whole = match store.backend() {
        Backend::Postgres | Backend::MySql => "database",
        Backend::Sqlite => "SQLite file (freed pages reused, auto_vacuum off)",
    };
    for (what, pick) in [("sessions + indexes", 0usize), (whole, 1usize)] {
        let get = |i: usize| if pick == 0 { after[i].0 } else { after[i].1 };
        let (full, end) = (get(2) as f64, get(last) as f64);
        rows.push(Row::new(
            label,
            format!("steady state: {what} after month {last} vs month 2 (the window is full)"),
            "≤ 1.05× (stops growing)",
            format!(
                "{} vs {} ({:.2}×)",
                mb(get(last)),
                mb(get(2)),
                end / full.max(1.0)
            ),
            end <= 1.05 * full,
        ));
    }
    Ok(rows)
}

/// Puts a seeded PostgreSQL table into the order a real one has. The seeder writes sessions in
/// the order its generator draws them, so consecutive `created_at` values lie on unrelated heap
/// pages; a real table is appended in login order, so one purge batch (consecutive `created_at`
/// values) touches a handful of pages, not one page per row. Without this the purge is measured
/// on a layout production never has: at 10M rows (12 GB) every row of a batch became a page
/// read. `CLUSTER … USING sessions_newest` rewrites the heap in `created_at` order once.
///
/// MariaDB (InnoDB keeps rows in primary-key order, and the seeder's ids follow its draws) and
/// SQLite (a 100k table fits in its page cache) are left as seeded.
async fn time_order(store: &Store, label: &str) -> anyhow::Result<Option<Row>> {
    let Some(p) = store.pg_pool() else {
        return Ok(None);
    };
    eprintln!("[{label}] retention: CLUSTER sessions USING sessions_newest (time order) …");
    let started = Instant::now();
    sqlx::query("CLUSTER sessions USING sessions_newest")
        .execute(p)
        .await?;
    sqlx::query("ANALYZE sessions").execute(p).await?;
    Ok(Some(Row::info(
        label,
        "retention data set in login order, as a real table is: CLUSTER sessions USING sessions_newest, ANALYZE".to_string(),
        format!("{:.1} s", started.elapsed().as_secs_f64()),
    )))
}

/// What autovacuum would do after a purge: plain VACUUM (space reusable, not returned).
async fn vacuum(store: &Store) -> anyhow::Result<()> {
    if let Some(p) = store.pg_pool() {
        sqlx::query("VACUUM (ANALYZE) sessions").execute(p).await?;
    }
    Ok(())
}
