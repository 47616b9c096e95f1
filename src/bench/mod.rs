//! Benchmarks at scale (issue 7): the synthetic data set (`wxlogin seed-synthetic`) and the
//! harness that measures every target side by side in one run (`wxlogin bench`).
//!
//! The harness creates a fresh database (on the given PostgreSQL and MariaDB servers, and an
//! SQLite file in a temporary directory), seeds it, measures, prints one table with the target
//! beside each measurement and states the machine. Ratios (CLI vs psql / mariadb, GET /me vs
//! pgbench -S / sysbench oltp_point_select, POST /login vs pgbench / sysbench oltp_write_only)
//! are measured side by side in the same run, because absolute times on a shared machine drift.

mod console;
mod copy;
mod cpu;
mod fleet;
pub mod galera;
mod load;
mod mariadb;
mod pg;
mod report;
mod retention;
pub mod seed;
mod server;
mod service;
mod ssh;
pub mod synth;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::config::{ConfigFile, GlobalOpts};
use crate::crypto::DataKey;
use crate::exit::Failure;
use crate::i18n::Lang;
use crate::operator::{Actor, Role};
use crate::store::{AuditFilter, DEFAULT_REVOKE_BATCH, SessionFilter, SessionSample, Store};
use pg::RefRun;
pub use report::{Machine, Row, Stats, Verdict};
use report::{fmt_ms, markdown_table};
use server::Reference;
use synth::{APPIDS, Shape};

/// Measure every target of issue 7 against PostgreSQL, MariaDB and SQLite and print the table.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// PostgreSQL server to benchmark, as an admin URL: a fresh database is created on it (and
    /// dropped afterwards unless --keep).
    #[arg(long, conflicts_with = "start_pg")]
    pub pg_url: Option<String>,
    /// Start a throwaway PostgreSQL server (needs the postgresql package) for the run.
    #[arg(long)]
    pub start_pg: bool,
    /// Port of the throwaway server.
    #[arg(long, default_value_t = 54340)]
    pub pg_port: u16,
    /// MariaDB server to benchmark, as an admin URL (`mysql://root@host:3306/mysql`): a fresh
    /// database is created on it (and dropped afterwards unless --keep).
    #[arg(long, conflicts_with = "start_mariadb")]
    pub mariadb_url: Option<String>,
    /// Start a throwaway MariaDB server (needs the mariadb-server package) for the run.
    #[arg(long)]
    pub start_mariadb: bool,
    /// Port of the throwaway MariaDB server.
    #[arg(long, default_value_t = 33079)]
    pub mariadb_port: u16,
    /// Start a throwaway three-node MariaDB Galera cluster with the source tree's
    /// `scripts/galera-temp` (needs mariadb-server, galera-4, rsync and haproxy) for the
    /// `galera` part, which runs only when asked for (`--only galera`).
    #[arg(long, conflicts_with = "galera_urls")]
    pub start_galera: bool,
    /// The `galera` part on an existing cluster: each node's admin URL
    /// (`mysql://root@host:port/mysql`), comma-separated. The node-kill run needs
    /// --start-galera (it kills a node).
    #[arg(long, value_delimiter = ',', value_name = "U1,U2,U3")]
    pub galera_urls: Vec<String>,
    /// Sessions in the PostgreSQL, MariaDB and Galera data sets.
    #[arg(long, default_value_t = 1_000_000)]
    pub sessions: u64,
    /// Sessions in the SQLite data set.
    #[arg(long, default_value_t = 100_000)]
    pub sqlite_sessions: u64,
    /// A short run: 100k PostgreSQL and MariaDB / 20k SQLite sessions, fewer repetitions,
    /// 3-second loads.
    #[arg(long)]
    pub quick: bool,
    /// Skip the PostgreSQL half.
    #[arg(long)]
    pub skip_pg: bool,
    /// Skip the MariaDB part.
    #[arg(long)]
    pub skip_mariadb: bool,
    /// Skip the SQLite part.
    #[arg(long)]
    pub skip_sqlite: bool,
    /// Keep the benchmark databases (their URLs are printed).
    #[arg(long)]
    pub keep: bool,
    /// Concurrent HTTP clients for the GET /me and POST /login loads (and pgbench / sysbench
    /// clients).
    #[arg(long, default_value_t = 16)]
    pub clients: u32,
    /// Seconds per load test (GET /me, POST /login and their references).
    #[arg(long, default_value_t = 10)]
    pub load_secs: u32,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Measure only these parts (the data set is always seeded), for iterating on one target.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "PARTS")]
    pub only: Vec<Part>,
    /// Retention part: share of the sessions (0 to 1) that ended long ago (purgeable).
    #[arg(long, default_value_t = 0.6, value_parser = synth::EndedLongAgo::parse_share)]
    pub ended_share: f64,
    /// Retention part: how long ago those sessions ended, in days.
    #[arg(long, value_name = "MIN..MAX", default_value = "31..90", value_parser = synth::EndedLongAgo::parse_days)]
    pub ended_age_days: (u32, u32),
    /// Retention part: simulated months after the first purge (0 skips the steady state, for a
    /// large data set whose months would take too long on a small machine).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub retention_months: u32,
    /// Retention part: rows per purge batch (default: the service's `[retention] purge_batch`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub purge_batch: Option<i64>,
    /// Internal: page through this many sessions in the console's state machine and print
    /// its memory use as JSON (run as a child process by the memory row).
    #[arg(long, hide = true, value_name = "ROWS")]
    pub console_rss_child: Option<u64>,
}

/// The parts of the table `--only` can select.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// First and deep pages, lookups by account, openid, public id, SessionId.
    Queries,
    /// `wxlogin sessions list` as a whole process vs psql / mariadb / sqlite3.
    Cli,
    /// GET /me and POST /login, each beside its same-run reference on a server backend.
    Service,
    /// Frame time and memory of the console.
    Console,
    /// Bulk revoke of one appid.
    Revoke,
    /// The SSH door: 20 consoles on one `wxlogin ssh-server`, and a command through OpenSSH.
    Ssh,
    /// Issue 15: POST /login with the shared limiter vs off, statistics writes, Overview refresh.
    Fleet,
    /// Issue 24, on a data set of its own: the purge beside GET /me and POST /login, three
    /// simulated months, audit rows per first login, `audit archive` of a million rows.
    Retention,
    /// Issue 25, on a three-node Galera cluster of its own (--start-galera or --galera-urls):
    /// GET /me with and without causal reads, POST /login over three nodes, a node killed and
    /// restarted behind haproxy. Only when named: the default run needs no Galera.
    Galera,
}

impl BenchArgs {
    fn wants(&self, part: Part) -> bool {
        self.only.is_empty() || self.only.contains(&part)
    }
    /// Whether any part measured on the single servers (PostgreSQL, MariaDB, SQLite) is
    /// wanted: not when only the Galera part is.
    fn wants_single_servers(&self) -> bool {
        self.only.is_empty() || self.only.iter().any(|p| *p != Part::Galera)
    }
    fn server_sessions(&self) -> u64 {
        if self.quick {
            self.sessions.min(100_000)
        } else {
            self.sessions
        }
    }
    fn sqlite_sessions(&self) -> u64 {
        if self.quick {
            self.sqlite_sessions.min(20_000)
        } else {
            self.sqlite_sessions
        }
    }
    fn iterations(&self) -> usize {
        if self.quick { 10 } else { 40 }
    }
    fn load_secs(&self) -> u32 {
        if self.quick {
            self.load_secs.min(3)
        } else {
            self.load_secs
        }
    }
}

/// Everything one backend's measurements need.
struct Ctx<'a> {
    args: &'a BenchArgs,
    label: &'static str,
    store: Store,
    url: String,
    /// The database server (None for SQLite): its references get their own databases on it.
    server: Option<server::Server>,
    key: DataKey,
    sessions: u64,
}

pub async fn run(global: &GlobalOpts, file: &ConfigFile, args: &BenchArgs) -> Result<(), Failure> {
    if let Some(rows) = args.console_rss_child {
        return console::rss_child(global, file, rows).await;
    }
    let machine = Machine::detect();
    eprintln!("wxlogin bench on {machine}");
    let mut rows = Vec::new();
    let mut versions = Vec::new();

    // The server backends, one after the other (each throwaway server is stopped before the
    // next starts, so that the CPU counted for "the database server" is the one under test).
    let single = args.wants_single_servers();
    for kind in [server::Kind::Postgres, server::Kind::MariaDb] {
        if single {
            rows.extend(bench_server_kind(args, kind, &mut versions).await?);
        }
    }

    // Galera, only when named (it needs a cluster).
    if args.only.contains(&Part::Galera) {
        rows.extend(galera::rows(args, &mut versions).await?);
    }

    // SQLite
    if single && !args.skip_sqlite {
        match bench_sqlite(args, &mut versions).await {
            Ok(mut r) => rows.append(&mut r),
            Err(e) => rows.push(Row::not_measured(
                "SQLite",
                "everything",
                "-",
                format!("{e:#}"),
            )),
        }
    }

    println!("\nMachine: {machine}");
    for v in &versions {
        println!("Database: {v}");
    }
    if single {
        println!(
            "Data: {} sessions on each database server (PostgreSQL, MariaDB), {} on SQLite (wxlogin seed-synthetic shape)\n",
            args.server_sessions(),
            args.sqlite_sessions()
        );
    }
    if args.only.contains(&Part::Galera) {
        println!(
            "Galera: {} sessions, seeded through node 1 of three\n",
            args.server_sessions()
        );
    }
    print!("{}", markdown_table(&rows));
    let failed = rows.iter().filter(|r| r.verdict == Verdict::Fail).count();
    let unmeasured = rows
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::NotMeasured(_)))
        .count();
    println!(
        "\n{} passed, {failed} failed, {unmeasured} not measured",
        rows.iter().filter(|r| r.verdict == Verdict::Pass).count()
    );
    if let Some(path) = &args.json {
        let doc = serde_json::json!({
            "machine": machine, "databases": versions, "rows": rows,
            "server_sessions": args.server_sessions(), "sqlite_sessions": args.sqlite_sessions(),
        });
        std::fs::write(path, serde_json::to_string_pretty(&doc).unwrap_or_default())
            .map_err(|e| Failure::runtime(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}

/// One server backend's rows: its server started or taken from its URL (or a row saying why
/// it is not measured); an error only when a throwaway server cannot start.
async fn bench_server_kind(
    args: &BenchArgs,
    kind: server::Kind,
    versions: &mut Vec<String>,
) -> Result<Vec<Row>, Failure> {
    let label = kind.label();
    let start_failed = |e: anyhow::Error| Failure::runtime(format!("{e:#}"));
    let (skip, start, url, port, hint) = match kind {
        server::Kind::Postgres => (
            args.skip_pg,
            args.start_pg,
            &args.pg_url,
            args.pg_port,
            "--pg-url URL or --start-pg",
        ),
        server::Kind::MariaDb => (
            args.skip_mariadb,
            args.start_mariadb,
            &args.mariadb_url,
            args.mariadb_port,
            "--mariadb-url URL or --start-mariadb",
        ),
    };
    if skip {
        return Ok(Vec::new());
    }
    // The throwaway server lives until this function returns.
    let mut _temp_pg = None;
    let mut _temp_mariadb = None;
    let admin = if start {
        eprintln!("starting a throwaway {label} on 127.0.0.1:{port} …");
        Some(match kind {
            server::Kind::Postgres => {
                let t = pg::TempPg::start(port).map_err(start_failed)?;
                let url = t.admin_url.clone();
                _temp_pg = Some(t);
                url
            }
            server::Kind::MariaDb => {
                let t = mariadb::TempMariaDb::start(port).map_err(start_failed)?;
                let url = t.admin_url.clone();
                _temp_mariadb = Some(t);
                url
            }
        })
    } else {
        url.clone()
    };
    let Some(admin_url) = admin else {
        return Ok(vec![Row::not_measured(
            label,
            "everything",
            "-",
            format!("no server: pass {hint}"),
        )]);
    };
    let server = server::Server { kind, admin_url };
    Ok(match bench_server(args, server, versions).await {
        Ok(rows) => rows,
        Err(e) => vec![Row::not_measured(
            label,
            "everything",
            "-",
            format!("{e:#}"),
        )],
    })
}

async fn bench_server(
    args: &BenchArgs,
    server: server::Server,
    versions: &mut Vec<String>,
) -> anyhow::Result<Vec<Row>> {
    let url = server.create_database("wxbench").await?;
    let store = Store::connect(&url, Default::default()).await?;
    crate::ops::migrate(&store, &bench_actor()).await?;
    versions.push(store.server_version().await?);
    let label = server.label();
    let ctx = Ctx {
        args,
        label,
        store,
        url: url.clone(),
        server: Some(server.clone()),
        key: DataKey::generate(),
        sessions: args.server_sessions(),
    };
    let rows = bench_backend(&ctx).await;
    ctx.store.close().await;
    if args.keep {
        eprintln!(
            "kept the {label} benchmark database: {}",
            crate::store::redact_database_url(&url)
        );
    } else {
        server.drop_database(&url).await?;
    }
    rows
}

async fn bench_sqlite(args: &BenchArgs, versions: &mut Vec<String>) -> anyhow::Result<Vec<Row>> {
    let dir = report::ScratchDir::new("wxlogin-bench-sqlite.")?;
    let url = crate::config::sqlite_url(&dir.path().join("bench.db"));
    let store = Store::open(&url).await?;
    versions.push(store.server_version().await?);
    let ctx = Ctx {
        args,
        label: "SQLite",
        store,
        url: url.clone(),
        server: None,
        key: DataKey::generate(),
        sessions: args.sqlite_sessions(),
    };
    let rows = bench_backend(&ctx).await;
    ctx.store.close().await;
    if args.keep {
        let kept = dir.keep();
        eprintln!("kept the SQLite benchmark database in {}", kept.display());
    }
    rows
}

/// Runs `f` `warmup + n` times and returns the statistics of the last `n`.
async fn time_it<F, Fut, T>(n: usize, mut f: F) -> anyhow::Result<Stats>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let warmup = 3.min(n);
    for i in 0..warmup {
        f(i).await?;
    }
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        f(i).await?;
        v.push(t.elapsed());
    }
    Ok(Stats::from(v))
}

/// A lookup with the 5 ms target on its median.
fn lookup_row(label: &str, op: impl Into<String>, s: &Stats) -> Row {
    Row::new(
        label,
        op,
        "≤ 5 ms",
        stats_text(s),
        s.median <= Duration::from_millis(5),
    )
}

fn stats_text(s: &Stats) -> String {
    format!(
        "{} median (p95 {}, n={})",
        fmt_ms(s.median),
        fmt_ms(s.p95),
        s.n
    )
}

/// The same table for one backend.
async fn bench_backend(ctx: &Ctx<'_>) -> anyhow::Result<Vec<Row>> {
    let label = ctx.label;
    let mut rows = Vec::new();
    let store = &ctx.store;

    // The retention part seeds a data set of its own.
    let only = &ctx.args.only;
    if only.contains(&Part::Retention)
        && only
            .iter()
            .all(|p| matches!(p, Part::Retention | Part::Galera))
    {
        return Ok(retention::rows(ctx).await);
    }
    // The data set.
    eprintln!("[{label}] seeding {} sessions …", ctx.sessions);
    let shape = Shape::new(ctx.sessions, None, 7);
    let actor = bench_actor();
    let report = seed::seed(store, &ctx.key, &actor, shape).await?;
    let seed_secs = report.elapsed.as_secs_f64();
    if ctx.server.is_some() {
        // Issue 7: 1,000,000 sessions in under a minute; scaled for other sizes.
        let target = 60.0 * ctx.sessions as f64 / 1e6;
        rows.push(Row::new(
            label,
            format!("seed-synthetic {} sessions", ctx.sessions),
            format!("< {target:.0} s"),
            format!("{seed_secs:.1} s"),
            seed_secs < target,
        ));
    } else {
        rows.push(Row::info(
            label,
            format!("seed-synthetic {} sessions", ctx.sessions),
            format!("{seed_secs:.1} s"),
        ));
    }

    let n = ctx.args.iterations();
    let samples = store.bench_sample_sessions(n.max(20)).await?;
    anyhow::ensure!(!samples.is_empty(), "the seeded database has no sessions");

    if ctx.args.wants(Part::Queries) {
        rows.extend(query_rows(ctx, &samples).await?);
    }
    // The parts that run other components as whole processes or servers.
    if ctx.args.wants(Part::Cli) {
        rows.extend(cli_rows(ctx, &samples[0]).await);
    }
    if ctx.args.wants(Part::Service) {
        rows.extend(service_rows(ctx).await);
    }
    if ctx.args.wants(Part::Console) {
        rows.extend(console_rows(ctx).await);
    }
    if ctx.args.wants(Part::Ssh) {
        rows.extend(ssh::rows(ctx).await);
    }
    if ctx.args.wants(Part::Fleet) {
        rows.extend(fleet::rows(ctx).await);
    }
    // Last, because it changes the data.
    if ctx.args.wants(Part::Revoke) {
        rows.push(revoke_row(ctx, &actor).await?);
    }
    if ctx.args.wants(Part::Retention) {
        rows.extend(retention::rows(ctx).await);
    }
    Ok(rows)
}

/// First and deep pages and the lookups, through the store's own functions.
async fn query_rows(ctx: &Ctx<'_>, samples: &[SessionSample]) -> anyhow::Result<Vec<Row>> {
    let label = ctx.label;
    let store = &ctx.store;
    let n = ctx.args.iterations();
    let sample = |i: usize| -> &SessionSample { &samples[i % samples.len()] };
    let mut rows = Vec::new();
    let all = SessionFilter::default();
    let all = &all;
    // First page of live sessions, newest first.
    let first = time_it(n, |_| async move {
        let p = store.list_sessions(all, None, 50).await?;
        anyhow::ensure!(p.rows.len() == 50, "first page has {} rows", p.rows.len());
        Ok(())
    })
    .await?;
    rows.push(Row::new(
        label,
        "first page (50) of live sessions, newest first",
        "≤ 20 ms",
        stats_text(&first),
        first.median <= Duration::from_millis(20),
    ));

    // A deep page: the 10,000th page at 1M sessions (proportionally deep for smaller sets).
    let live = store.count_sessions(all).await? as i64;
    let deep_row = (live * 5 / 8).min(500_000);
    let cursor = store
        .bench_nth_live_cursor(deep_row - 1)
        .await?
        .context("no row that deep")?;
    let deep = time_it(n, |_| async move {
        let p = store.list_sessions(all, Some(cursor), 50).await?;
        anyhow::ensure!(p.rows.len() == 50, "deep page has {} rows", p.rows.len());
        Ok(())
    })
    .await?;
    let ratio = deep.median.as_secs_f64() / first.median.as_secs_f64().max(1e-9);
    rows.push(Row::new(
        label,
        format!("page {} via keyset cursor", deep_row / 50 + 1),
        format!("≤ 2× first page ({})", fmt_ms(first.median * 2)),
        format!("{} ({ratio:.2}×)", stats_text(&deep)),
        ratio <= 2.0,
    ));

    // Lookups.
    let heavy = synth::HEAVY_ACCOUNTS;
    let heavy_count = store
        .count_sessions(&SessionFilter {
            account_id: Some(1),
            include_inactive: true,
            ..SessionFilter::default()
        })
        .await?;
    let by_account = time_it(n, |i| async move {
        let f = SessionFilter {
            account_id: Some(1 + (i as i64 % heavy)),
            ..SessionFilter::default()
        };
        store.list_sessions(&f, None, 50).await?;
        Ok(())
    })
    .await?;
    rows.push(lookup_row(
        label,
        format!("sessions of one account (heavy: {heavy_count} sessions), first page"),
        &by_account,
    ));
    let by_openid = time_it(n, |i| async move {
        let f = SessionFilter {
            openid: Some(sample(i).openid.clone()),
            ..SessionFilter::default()
        };
        store.list_sessions(&f, None, 50).await?;
        Ok(())
    })
    .await?;
    rows.push(lookup_row(label, "sessions of one openid", &by_openid));
    let by_public = time_it(n, |i| async move {
        let s = store.session_by_public_id(&sample(i).public_id).await?;
        anyhow::ensure!(s.is_some(), "public id not found");
        Ok(())
    })
    .await?;
    rows.push(lookup_row(label, "one session by public id", &by_public));
    let by_token = time_it(n, |i| async move {
        let s = store.session_by_token(&sample(i).token_hash).await?;
        anyhow::ensure!(s.is_some(), "token hash not found");
        Ok(())
    })
    .await?;
    rows.push(lookup_row(
        label,
        "one session by SessionId (token hash)",
        &by_token,
    ));

    Ok(rows)
}

/// Revokes every live session of the third mini program (about 100k at 1M sessions).
async fn revoke_row(ctx: &Ctx<'_>, actor: &Actor) -> anyhow::Result<Row> {
    let label = ctx.label;
    let store = &ctx.store;
    let appid = APPIDS[2];
    let f = SessionFilter {
        appid: Some(appid.to_owned()),
        ..SessionFilter::default()
    };
    let matching = store.count_sessions(&f).await?;
    let audit_before = count_audit(store, &f.describe()).await?;
    let t = Instant::now();
    let out = crate::ops::revoke_matching(
        store,
        actor,
        &f,
        "bench: bulk revoke",
        DEFAULT_REVOKE_BATCH,
        &mut |_| true,
    )
    .await?;
    let took = t.elapsed();
    // The targets: 5 s for the ~100k sessions of one appid at 1M sessions, 20 s for the ~1M
    // at 10M (`--sessions 10000000`).
    let limit = if matching > 300_000 { 20 } else { 5 };
    let audit_rows = count_audit(store, &f.describe()).await? - audit_before;
    let left = store.count_sessions(&f).await?;
    anyhow::ensure!(
        left == 0,
        "{left} sessions of {appid} still live after the revoke"
    );
    Ok(Row::new(
        label,
        format!(
            "revoke all live sessions of one appid ({} rows, {} batches of {DEFAULT_REVOKE_BATCH}, {audit_rows} audit rows)",
            out.revoked, out.batches
        ),
        format!("≤ {limit} s"),
        // Sessions keep expiring while the walk runs (at 10M, a few a second): those were
        // live when counted and are no longer when reached, so they are not revoked. What
        // must hold is that none of the appid's sessions is live afterwards (checked above).
        format!(
            "{:.2} s, of which the final sweep {:.3} s ({} range{} at once; {matching} live at the start, {} expired before the walk reached them, 0 live after)",
            took.as_secs_f64(),
            out.sweep.as_secs_f64(),
            out.ranges,
            if out.ranges == 1 { "" } else { "s" },
            matching.saturating_sub(out.revoked),
        ),
        took <= Duration::from_secs(limit) && out.revoked <= matching && audit_rows == out.batches,
    ))
}

async fn count_audit(store: &Store, target: &str) -> anyhow::Result<u64> {
    let filter = AuditFilter {
        action: Some("sessions.revoke".to_owned()),
        target: Some(target.to_owned()),
        ..AuditFilter::default()
    };
    let mut n = 0u64;
    let mut after = None;
    loop {
        let page = store.list_audit(&filter, after, 1000).await?;
        n += page.rows.len() as u64;
        match page.next {
            Some(c) => after = Some(c),
            None => return Ok(n),
        }
    }
}

/// Runs this binary with `args` (database from the DATABASE_URL environment variable) and
/// returns its wall time and stdout.
fn run_self(url: &str, args: &[&str]) -> anyhow::Result<(Duration, Vec<u8>)> {
    let exe = std::env::current_exe()?;
    let t = Instant::now();
    let out = std::process::Command::new(exe)
        .args(args)
        .env("DATABASE_URL", url)
        .env_remove("WXLOGIN_CONFIG")
        .stdin(std::process::Stdio::null())
        .output()?;
    let took = t.elapsed();
    anyhow::ensure!(
        out.status.success(),
        "wxlogin {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok((took, out.stdout))
}

/// Wall time of `sqlite3 -readonly FILE SQL`.
fn time_sqlite3(url: &str, sql: &str) -> anyhow::Result<Duration> {
    let path = url
        .strip_prefix("sqlite://")
        .unwrap_or(url)
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let t = Instant::now();
    let out = std::process::Command::new("sqlite3")
        .args(["-readonly", &path, sql])
        .stdin(std::process::Stdio::null())
        .output()
        .context("sqlite3 is not installed")?;
    let took = t.elapsed();
    anyhow::ensure!(
        out.status.success(),
        "sqlite3 failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(took)
}

/// `wxlogin sessions list --account X --json` as a whole process vs `psql -Atc` (or
/// `sqlite3`) running the equivalent SELECT (the store's own SQL with the values written in),
/// alternating, median of several runs each.
async fn cli_rows(ctx: &Ctx<'_>, sample: &SessionSample) -> Vec<Row> {
    let op = "`wxlogin sessions list --account X --json` (whole process) vs the same SELECT in psql/mariadb/sqlite3";
    let target = "≤ 1.0×";
    match cli_vs_native(ctx, sample).await {
        Ok(row) => vec![row],
        Err(e) => vec![Row::not_measured(ctx.label, op, target, format!("{e:#}"))],
    }
}

async fn cli_vs_native(ctx: &Ctx<'_>, sample: &SessionSample) -> anyhow::Result<Row> {
    let help = std::process::Command::new(std::env::current_exe()?)
        .args(["sessions", "list", "--help"])
        .output()?;
    anyhow::ensure!(
        help.status.success(),
        "this build has no `sessions list` command (the CLI branch is not merged)"
    );
    let account = sample.account_id.to_string();
    let args = ["sessions", "list", "--account", account.as_str(), "--json"];
    let filter = SessionFilter {
        account_id: Some(sample.account_id),
        ..SessionFilter::default()
    };
    let q = ctx.store.explain_list_sessions_sql(&filter, None, 50);
    let native_name = ctx.server.as_ref().map_or("sqlite3", |s| s.client_name());
    let native = |q: &crate::store::QueryText| -> anyhow::Result<Duration> {
        match &ctx.server {
            Some(server) => server.time_client(&ctx.url, q),
            None => time_sqlite3(&ctx.url, &q.to_sqlite_literal_sql()),
        }
    };
    // Warm both (page cache, binary), then alternate.
    let (_, out) = run_self(&ctx.url, &args)?;
    let doc: serde_json::Value = serde_json::from_slice(&out).context("CLI JSON output")?;
    let shown = doc
        .get("sessions")
        .and_then(|s| s.as_array())
        .map(|a| a.len())
        .unwrap_or(0);
    anyhow::ensure!(
        shown > 0,
        "the CLI listed no sessions for account {account}"
    );
    native(&q)?;
    let runs = if ctx.args.quick { 5 } else { 11 };
    let mut cli = Vec::new();
    let mut nat = Vec::new();
    for _ in 0..runs {
        cli.push(run_self(&ctx.url, &args)?.0);
        // The native query is rebuilt each time so that "now" moves like the CLI's.
        let q = ctx.store.explain_list_sessions_sql(&filter, None, 50);
        nat.push(native(&q)?);
    }
    let cli = Stats::from(cli);
    let nat = Stats::from(nat);
    let ratio = cli.median.as_secs_f64() / nat.median.as_secs_f64().max(1e-9);
    Ok(Row::new(
        ctx.label,
        format!(
            "`wxlogin sessions list --account {account} --json` ({shown} rows) vs `{native_name}` same SELECT"
        ),
        "≤ 1.0×",
        format!(
            "{} vs {} median of {runs} ({ratio:.2}×)",
            fmt_ms(cli.median),
            fmt_ms(nat.median)
        ),
        ratio <= 1.0,
    ))
}

/// GET /me under load and POST /login through the emulator, each beside its same-run
/// reference on a server backend (`pgbench -S` / `sysbench oltp_point_select` for GET /me,
/// `pgbench` / `sysbench oltp_write_only` for POST /login).
async fn service_rows(ctx: &Ctx<'_>) -> Vec<Row> {
    let mut rows = Vec::new();
    let secs = ctx.args.load_secs();
    let clients = ctx.args.clients;
    let me_op = format!("GET /me, {clients} concurrent clients on loopback, {secs} s");
    let login_op = "POST /login through the emulator, returning users";
    let db_name = ctx.server.as_ref().map(|s| s.label());
    let me_ref = reference_row(ctx, Reference::Read, &mut rows).await;
    let me_target = match &ctx.server {
        Some(s) => format!(
            "≥ 0.5× {} TPS; p99 ≤ 10 ms",
            s.reference_name(Reference::Read)
        ),
        None => "p99 ≤ 10 ms (no reference for SQLite)".to_owned(),
    };
    let login_target = match &ctx.server {
        Some(s) => format!("≥ 0.5× {} TPS", s.reference_name(Reference::Write)),
        None => "≥ 2000/s".to_owned(),
    };
    let world = match service::start(&ctx.store, &ctx.url, &ctx.key, 1000).await {
        Ok(w) => w,
        Err(e) => {
            let why = format!("{e:#}");
            rows.push(Row::not_measured(ctx.label, me_op, me_target, why.clone()));
            rows.push(Row::not_measured(ctx.label, login_op, login_target, why));
            return rows;
        }
    };
    let base = world.service.base_url.clone();

    // GET /me: one indexed SELECT per request (plus a touch at most once a minute).
    let tokens = Arc::new(world.tokens.clone());
    let me = move |n: u64| load::get_bearer("/me", &tokens[n as usize % tokens.len()]);
    let me = Arc::new(me);
    let warm = me.clone();
    let _ = load::run(&base, clients, Duration::from_secs(1), u64::MAX, move |n| {
        warm(n)
    })
    .await;
    let pid = world.service.pid();
    let lookups_before = lookup_counts(&base).await;
    let cpu_before = cpu::Split::now(pid);
    let me_run = load::run(
        &base,
        clients,
        Duration::from_secs(secs.into()),
        u64::MAX,
        move |n| me(n),
    )
    .await;
    let cpu_used = cpu_before.since(pid);
    let lookups = match (lookups_before, lookup_counts(&base).await) {
        (Some((l0, q0)), Some((l1, q1))) if q1 > q0 => format!(
            "; {:.1} lookups per query",
            (l1 - l0) as f64 / (q1 - q0) as f64
        ),
        _ => String::new(),
    };
    match me_run {
        Ok(r) => {
            let tps = r.per_second();
            let p99 = r.latency.p99;
            let ok = r.ok as f64;
            let (ratio_text, ratio_ok) = ratio_to(ctx, me_ref, Reference::Read, tps);
            let errors = if r.errors > 0 {
                format!(
                    ", {} errors (first: {})",
                    r.errors,
                    r.first_error.clone().unwrap_or_default()
                )
            } else {
                String::new()
            };
            rows.push(Row::new(
                ctx.label,
                me_op,
                me_target,
                format!(
                    "{tps:.0} req/s{ratio_text}; p50 {} p99 {}{errors}",
                    fmt_ms(r.latency.median),
                    fmt_ms(p99)
                ),
                ratio_ok && p99 <= Duration::from_millis(10) && r.errors == 0,
            ));
            rows.push(Row::info(
                ctx.label,
                "CPU per GET /me (user + system, all cores)",
                format!(
                    "{}{lookups}",
                    cpu_used.describe(ok, db_name, "load generator")
                ),
            ));
        }
        Err(e) => rows.push(Row::not_measured(
            ctx.label,
            me_op,
            me_target,
            format!("{e:#}"),
        )),
    }

    // POST /login, returning users: codes minted up front (in memory, no HTTP), one per request.
    let budget = (u64::from(secs) * 6_000).min(150_000) as usize;
    let mut codes = Vec::with_capacity(budget);
    for i in 0..budget {
        match world
            .emulator
            .mint(world.appid, &world.users[i % world.users.len()])
        {
            Ok(c) => codes.push(c),
            Err(e) => {
                rows.push(Row::not_measured(
                    ctx.label,
                    login_op,
                    login_target,
                    format!("minting codes: {e}"),
                ));
                return rows;
            }
        }
    }
    let codes = Arc::new(codes);
    let appid = world.appid;
    let n_codes = codes.len() as u64;
    let login = move |n: u64| {
        load::post_json(
            "/login",
            &serde_json::json!({ "appid": appid, "code": codes[n as usize] }),
        )
    };
    let login_ref = reference_row(ctx, Reference::Write, &mut rows).await;
    let cpu_before = cpu::Split::now(pid);
    let login_run = load::run(
        &base,
        clients,
        Duration::from_secs(secs.into()),
        n_codes,
        login,
    )
    .await;
    let cpu_used = cpu_before.since(pid);
    match login_run {
        Ok(r) => {
            let rate = r.per_second();
            let errors = if r.errors > 0 {
                format!(
                    ", {} errors (first: {})",
                    r.errors,
                    r.first_error.clone().unwrap_or_default()
                )
            } else {
                String::new()
            };
            let (ratio_text, ratio_ok) = if ctx.server.is_some() {
                ratio_to(ctx, login_ref, Reference::Write, rate)
            } else {
                (String::new(), rate >= 2000.0)
            };
            rows.push(Row::new(
                ctx.label,
                format!("{login_op} ({clients} clients, {secs} s)"),
                login_target,
                format!(
                    "{rate:.0}/s{ratio_text}; p50 {} p99 {}{errors}",
                    fmt_ms(r.latency.median),
                    fmt_ms(r.latency.p99)
                ),
                ratio_ok && r.errors == 0,
            ));
            rows.push(Row::info(
                ctx.label,
                "CPU per POST /login (user + system, all cores)",
                cpu_used.describe(r.ok as f64, db_name, "load generator + WeChat emulator"),
            ));
        }
        Err(e) => rows.push(Row::not_measured(
            ctx.label,
            login_op,
            login_target,
            format!("{e:#}"),
        )),
    }
    drop(world);
    rows
}

/// The server's same-run reference (nothing on SQLite), run on a database of its own on the
/// same server, as an info row (or a row saying why it was not measured).
async fn reference_row(ctx: &Ctx<'_>, r: Reference, rows: &mut Vec<Row>) -> Option<RefRun> {
    let server = ctx.server.as_ref()?;
    let (clients, secs) = (ctx.args.clients, ctx.args.load_secs());
    let name = server.reference_name(r);
    match server.reference(r, clients, secs).await {
        Ok(run) => {
            rows.push(Row::info(
                ctx.label,
                format!("reference: {name}, {clients} clients, {secs} s, same server"),
                format!(
                    "{:.0} TPS; CPU per transaction: {} {:.0} µs, {} {:.0} µs",
                    run.tps,
                    server.label(),
                    run.server_us,
                    name.split_whitespace().next().unwrap_or(name),
                    run.client_us
                ),
            ));
            Some(run)
        }
        Err(e) => {
            rows.push(Row::not_measured(
                ctx.label,
                format!("reference: {name}"),
                "-",
                format!("{e:#}"),
            ));
            None
        }
    }
}

/// " = 0.62× <reference>" and whether the rate is at least half the reference's. On a server
/// whose reference could not be measured, the target cannot be met.
fn ratio_to(ctx: &Ctx<'_>, reference: Option<RefRun>, r: Reference, rate: f64) -> (String, bool) {
    let name = ctx.server.as_ref().map_or("", |s| s.reference_name(r));
    match reference {
        Some(run) => {
            let ratio = rate / run.tps.max(1e-9);
            (format!(" = {ratio:.2}× {name}"), ratio >= 0.5)
        }
        None if ctx.server.is_some() => (format!(" (no {name} to compare with)"), false),
        None => (String::new(), true),
    }
}

/// Console frame time and memory after paging 100,000 sessions, in English and in Chinese
/// (wider glyphs, other catalogue).
async fn console_rows(ctx: &Ctx<'_>) -> Vec<Row> {
    let mut rows = Vec::new();
    for lang in [Lang::En, Lang::ZhCn] {
        let tag = match lang {
            Lang::En => String::new(),
            other => format!(", {}", other.tag()),
        };
        let op = format!("console: draw one frame of the sessions view (200x60{tag})");
        match console::frame_time(&ctx.store, ctx.args.iterations() * 5, lang).await {
            Ok(s) => rows.push(Row::new(
                ctx.label,
                op,
                "≤ 2 ms",
                stats_text(&s),
                s.median <= Duration::from_millis(2),
            )),
            Err(e) => rows.push(Row::not_measured(ctx.label, op, "≤ 2 ms", format!("{e:#}"))),
        }
        let want = 100_000u64;
        let op = "console: resident memory after paging through sessions";
        match console::rss_in_child(&ctx.url, want, lang) {
            Ok(m) => {
                let mib = m.hwm_kib as f64 / 1024.0;
                rows.push(Row::new(
                    ctx.label,
                    format!(
                        "{op} ({} rows paged, {} key presses{tag})",
                        m.rows, m.presses
                    ),
                    "≤ 64 MB (100,000 sessions)",
                    format!(
                        "peak {mib:.1} MiB (now {:.1} MiB)",
                        m.rss_kib as f64 / 1024.0
                    ),
                    mib <= 64.0 * 1_000_000.0 / 1_048_576.0 && m.rows >= want.min(m.rows_available),
                ));
            }
            Err(e) => rows.push(Row::not_measured(
                ctx.label,
                format!("{op}{tag}"),
                "≤ 64 MB",
                format!("{e:#}"),
            )),
        }
    }
    rows
}

/// Who the benchmark acts as on its own throwaway databases.
fn bench_actor() -> Actor {
    Actor::new("bench", Role::Oncall, Some("wxlogin bench".to_owned()))
}

/// The service's session lookups and the queries they took, from its `/metrics`.
async fn lookup_counts(base: &str) -> Option<(u64, u64)> {
    let text = load::client(1)
        .ok()?
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let sum = |prefix: &str| -> u64 {
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    Some((
        sum("wxlogin_session_validations_total"),
        sum("wxlogin_session_lookup_queries_total"),
    ))
}
