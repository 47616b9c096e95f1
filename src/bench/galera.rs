//! Issue 25's Galera rows, on a three-node MariaDB Galera cluster (`scripts/galera-temp`, or
//! one given by its nodes' admin URLs):
//! - GET /me through three `wxlogin serve` instances, one per node, with causal reads (the
//!   default, `wsrep_sync_wait = 1`) and without (`WXLOGIN_GALERA_CAUSAL_READS=off`, for
//!   measurement only), alternating in one run;
//! - POST /login of returning users through the same three instances, beside the same-run
//!   `sysbench oltp_write_only` on node 1, with the certification conflicts the store retried;
//! - a node killed (`kill -9`) behind haproxy while two instances serve logins and GET /me,
//!   then restarted: requests failed and for how long, sessions lost, how the node rejoined.
//!
//! Only run when asked for (`--only galera`): it needs galera-4, rsync and haproxy.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::load::{self, LoadResult};
use super::report::{Row, ScratchDir, Stats, fmt_ms};
use super::server::{Kind, Reference, Server};
use super::service::{self, ServiceProcess, World};
use super::synth::Shape;
use super::{BenchArgs, bench_actor, cpu};
use crate::crypto::DataKey;
use crate::exit::Failure;
use crate::store::{CAUSAL_READS_ENV, Store};

const LABEL: &str = "Galera";
/// With/without pairs of the GET /me comparison.
const ROUNDS: usize = 2;
/// Returning users (each with a live SessionId) the loads use.
const USERS: usize = 1000;
/// The provider library Debian's galera-4 installs (what `scripts/galera-temp` loads).
const PROVIDER: &str = "/usr/lib/galera/libgalera_smm.so";

/// `scripts/galera-temp` of the source tree this binary was built from, or of the current
/// directory (a release binary run from a checkout).
fn script_path() -> Result<PathBuf> {
    let candidates = [
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/galera-temp"),
        PathBuf::from("scripts/galera-temp"),
    ];
    candidates.iter().find(|p| p.is_file()).cloned().with_context(|| {
        format!(
            "--start-galera needs scripts/galera-temp from wxlogin's source tree: not found at {} \
             nor in the current directory (run from a checkout, or pass --galera-urls)",
            candidates[0].display()
        )
    })
}

/// The haproxy binary, if installed (on PATH, or in /usr/sbin or /usr/local/sbin); the
/// fleet and Galera tests find theirs here too.
pub fn haproxy_binary() -> Option<&'static str> {
    ["haproxy", "/usr/sbin/haproxy", "/usr/local/sbin/haproxy"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("-v")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
}

/// A base port whose twelve cluster ports (`scripts/galera-temp`: BASE+1..3 SQL, +11..13 group
/// communication, +21..23 IST, +31..33 SST) are all free now, in 34000..38000.
pub fn free_base_port() -> Option<u16> {
    let start = (std::process::id() % 40) as u16;
    (0..40u16)
        .map(|i| 34_000 + ((start + i) % 40) * 100)
        .find(|base| {
            [1, 2, 3, 11, 12, 13, 21, 22, 23, 31, 32, 33]
                .iter()
                .all(|off| std::net::TcpListener::bind(("127.0.0.1", base + off)).is_ok())
        })
}

/// haproxy's config for the common deployment in front of a Galera cluster: TCP mode,
/// `option mysql-check` logging in as the passwordless `haproxy_check` user, checks every
/// 200 ms, a node down after two failed checks; connections to a node marked down are cut
/// (`on-marked-down shutdown-sessions`) and a failed connect goes to another node.
pub fn haproxy_config(listen_port: u16, node_ports: &[u16]) -> String {
    let servers: String = node_ports
        .iter()
        .enumerate()
        .map(|(i, port)| format!("    server node{} 127.0.0.1:{port} check\n", i + 1))
        .collect();
    format!(
        "global\n    maxconn 512\n\
         defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1h\n    timeout server 1h\n    timeout check 1s\n    retries 2\n    option redispatch\n\
         listen galera\n    bind 127.0.0.1:{listen_port}\n    balance roundrobin\n    option mysql-check user haproxy_check\n    \
         default-server inter 200ms fall 2 rise 2 on-marked-down shutdown-sessions\n{servers}"
    )
}

/// A throwaway cluster from `scripts/galera-temp`, stopped when dropped.
struct TempGalera {
    script: PathBuf,
    dir: ScratchDir,
    admin: Vec<String>,
}

impl TempGalera {
    /// Checks everything the cluster and the node-kill run need, then starts the cluster.
    fn start() -> Result<Self> {
        let script = script_path()?;
        let missing: Vec<&str> = [
            ("/usr/sbin/mariadbd", "mariadb-server"),
            (PROVIDER, "galera-4"),
            ("/usr/bin/rsync", "rsync"),
        ]
        .into_iter()
        .filter(|(path, _)| !std::path::Path::new(path).exists())
        .map(|(_, package)| package)
        .chain(haproxy_binary().is_none().then_some("haproxy"))
        .collect();
        if !missing.is_empty() {
            bail!(
                "--start-galera needs {} (apt-get install {})",
                missing.join(", "),
                missing.join(" ")
            );
        }
        let base = free_base_port()
            .context("no free block of twelve ports for the cluster in 34000..38000")?;
        let dir = ScratchDir::new("wxlogin-bench-galera.")?;
        let mut cluster = TempGalera {
            script,
            dir,
            admin: Vec::new(),
        };
        let out = cluster.run(&["start", &base.to_string()])?;
        cluster.admin = out.lines().map(str::to_owned).collect();
        anyhow::ensure!(
            cluster.admin.len() == 3,
            "scripts/galera-temp start printed no three admin URLs: {out}"
        );
        Ok(cluster)
    }

    fn run(&self, args: &[&str]) -> Result<String> {
        let dir = self.dir.path().to_string_lossy().into_owned();
        let out = Command::new(&self.script)
            .arg(args[0])
            .arg(&dir)
            .args(&args[1..])
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run {}", self.script.display()))?;
        if !out.status.success() {
            bail!(
                "scripts/galera-temp {} failed: {}{}",
                args[0],
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for TempGalera {
    fn drop(&mut self) {
        let _ = self.run(&["stop"]);
    }
}

/// haproxy in front of the nodes, killed when dropped.
struct Haproxy {
    child: std::process::Child,
    port: u16,
    _dir: ScratchDir,
}

impl Haproxy {
    async fn start(node_ports: &[u16]) -> Result<Self> {
        let bin = haproxy_binary().context("haproxy is not installed (apt-get install haproxy)")?;
        let dir = ScratchDir::new("wxlogin-bench-haproxy.")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let cfg = dir.path().join("haproxy.cfg");
        std::fs::write(&cfg, haproxy_config(port, node_ports))?;
        let child = Command::new(bin)
            .arg("-db")
            .arg("-f")
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start haproxy")?;
        let proxy = Haproxy {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            anyhow::ensure!(Instant::now() < deadline, "haproxy did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(proxy)
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The URL of the database of `db_url` on the node of `admin`.
fn node_url(admin: &str, db_url: &str) -> Result<String> {
    let mut u = url::Url::parse(admin)?;
    u.set_path(url::Url::parse(db_url)?.path());
    Ok(u.to_string())
}

fn sql_port(url: &str) -> Result<u16> {
    url::Url::parse(url)?
        .port()
        .with_context(|| format!("no port in {}", crate::store::redact_database_url(url)))
}

/// The Galera rows: a cluster started here (`--start-galera`) or given (`--galera-urls`).
pub(super) async fn rows(
    args: &BenchArgs,
    versions: &mut Vec<String>,
) -> Result<Vec<Row>, Failure> {
    let mut _temp = None;
    let admin = if args.start_galera {
        eprintln!("starting a throwaway three-node Galera cluster (scripts/galera-temp) …");
        let t = Instant::now();
        let cluster = TempGalera::start().map_err(|e| Failure::runtime(format!("{e:#}")))?;
        eprintln!("[{LABEL}] cluster up in {:.0?}", t.elapsed());
        let admin = cluster.admin.clone();
        _temp = Some(cluster);
        admin
    } else if !args.galera_urls.is_empty() {
        args.galera_urls.clone()
    } else {
        return Ok(vec![Row::not_measured(
            LABEL,
            "everything",
            "-",
            "no cluster: pass --start-galera or --galera-urls U1,U2,U3",
        )]);
    };
    Ok(
        match measure(args, &admin, _temp.as_ref(), versions).await {
            Ok(rows) => rows,
            Err(e) => vec![Row::not_measured(
                LABEL,
                "everything",
                "-",
                format!("{e:#}"),
            )],
        },
    )
}

async fn measure(
    args: &BenchArgs,
    admin: &[String],
    cluster: Option<&TempGalera>,
    versions: &mut Vec<String>,
) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let db_url = super::mariadb::create_database(&admin[0], "wxbench").await?;
    let urls = admin
        .iter()
        .map(|a| node_url(a, &db_url))
        .collect::<Result<Vec<_>>>()?;
    let store = Store::connect(&urls[0], Default::default()).await?;
    crate::ops::migrate(&store, &bench_actor()).await?;
    let size: Option<String> =
        sqlx::query_scalar("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_CLUSTER_SIZE'")
            .fetch_optional(store.mysql_pool().context("a MariaDB store")?)
            .await?;
    versions.push(format!(
        "{} (Galera, {} nodes)",
        store.server_version().await?,
        size.as_deref().unwrap_or("?")
    ));
    let key = DataKey::generate();
    let sessions = args.server_sessions();
    eprintln!("[{LABEL}] seeding {sessions} sessions through node 1 …");
    let report =
        super::seed::seed(&store, &key, &bench_actor(), Shape::new(sessions, None, 7)).await?;
    rows.push(Row::info(
        LABEL,
        format!("seed-synthetic {sessions} sessions through node 1 (replicated to all)"),
        format!("{:.1} s", report.elapsed.as_secs_f64()),
    ));
    let world = service::start(&store, &urls[0], &key, USERS).await?;

    rows.extend(me_rows(args, &world, &urls).await);
    rows.extend(login_rows(args, &world, &urls, &admin[0]).await);
    match cluster {
        Some(cluster) => rows.extend(kill_rows(args, &world, &store, cluster, &urls).await),
        None => rows.push(Row::not_measured(
            LABEL,
            "node kill behind haproxy",
            "-",
            "needs a cluster this run may kill: pass --start-galera",
        )),
    }
    drop(world);
    store.close().await;
    if args.keep {
        eprintln!(
            "kept the Galera benchmark database: {}",
            crate::store::redact_database_url(&db_url)
        );
    } else {
        super::mariadb::drop_database(&admin[0], &db_url).await?;
    }
    Ok(rows)
}

/// One instance per node with causal reads `on` or `off`.
async fn instances(world: &World, urls: &[String], causal: &str) -> Result<Vec<ServiceProcess>> {
    let mut v = Vec::new();
    for u in urls {
        v.push(world.spawn(u, &[(CAUSAL_READS_ENV, causal)]).await?);
    }
    Ok(v)
}

fn bases(instances: &[ServiceProcess]) -> Vec<&str> {
    instances.iter().map(|s| s.base_url.as_str()).collect()
}

/// CPU used so far by the instances and by every database server process (the three nodes).
fn cpu_now(instances: &[ServiceProcess]) -> (Duration, Duration) {
    (
        instances.iter().map(|s| cpu::of_process(s.pid())).sum(),
        cpu::of_db_server(),
    )
}

/// Runs `request` over `instances` for the configured time.
async fn spread<F>(
    args: &BenchArgs,
    instances: &[ServiceProcess],
    budget: u64,
    request: F,
) -> Result<LoadResult>
where
    F: Fn(u64) -> load::LoadRequest + Send + Sync + 'static,
{
    load::run_spread(
        &bases(instances),
        args.clients,
        Duration::from_secs(args.load_secs().into()),
        budget,
        Arc::new(AtomicBool::new(false)),
        request,
    )
    .await
}

/// What the loads of one mode added up to.
#[derive(Default)]
struct Mode {
    rates: Vec<f64>,
    p50: Vec<Duration>,
    p99: Vec<Duration>,
    ok: u64,
    errors: String,
    service_cpu: Duration,
    db_cpu: Duration,
}

impl Mode {
    fn add(&mut self, r: &LoadResult, cpu: (Duration, Duration)) {
        self.rates.push(r.per_second());
        self.p50.push(r.latency.median);
        self.p99.push(r.latency.p99);
        self.ok += r.ok;
        if self.errors.is_empty() {
            self.errors = r.errors_text();
        }
        self.service_cpu += cpu.0;
        self.db_cpu += cpu.1;
    }
    fn mean(&self) -> f64 {
        self.rates.iter().sum::<f64>() / self.rates.len().max(1) as f64
    }
    fn text(&self) -> String {
        let list: Vec<String> = self.rates.iter().map(|r| format!("{r:.0}")).collect();
        let p50 = Stats::from(self.p50.clone()).median;
        let p99 = self.p99.iter().max().copied().unwrap_or_default();
        format!(
            "{:.0} req/s (runs: {}); p50 {} p99 {}; CPU per request: instances {:.0} µs, nodes {:.0} µs{}",
            self.mean(),
            list.join(", "),
            fmt_ms(p50),
            fmt_ms(p99),
            cpu::per_op(self.service_cpu, self.ok as f64),
            cpu::per_op(self.db_cpu, self.ok as f64),
            self.errors
        )
    }
}

const ME_OP: &str = "GET /me through three instances, one per node";

async fn me_rows(args: &BenchArgs, world: &World, urls: &[String]) -> Vec<Row> {
    match me_rows_inner(args, world, urls).await {
        Ok(rows) => rows,
        Err(e) => vec![Row::not_measured(LABEL, ME_OP, "-", format!("{e:#}"))],
    }
}

async fn me_rows_inner(args: &BenchArgs, world: &World, urls: &[String]) -> Result<Vec<Row>> {
    let with = instances(world, urls, "on").await?;
    let without = instances(world, urls, "off").await?;
    let tokens = Arc::new(world.tokens.clone());
    let me = move |n: u64| load::get_bearer("/me", &tokens[n as usize % tokens.len()]);
    let me = Arc::new(me);
    // Warm both sets (connections, caches), then alternate.
    for set in [&with, &without] {
        let m = me.clone();
        load::run_spread(
            &bases(set),
            args.clients,
            Duration::from_secs(1),
            u64::MAX,
            Arc::new(AtomicBool::new(false)),
            move |n| m(n),
        )
        .await?;
    }
    let (mut on, mut off) = (Mode::default(), Mode::default());
    for _ in 0..ROUNDS {
        for (set, mode) in [(&with, &mut on), (&without, &mut off)] {
            let m = me.clone();
            let before = cpu_now(set);
            let r = spread(args, set, u64::MAX, move |n| m(n)).await?;
            let after = cpu_now(set);
            mode.add(
                &r,
                (
                    after.0.saturating_sub(before.0),
                    after.1.saturating_sub(before.1),
                ),
            );
        }
    }
    let (clients, secs) = (args.clients, args.load_secs());
    let ratio = on.mean() / off.mean().max(1e-9);
    Ok(vec![
        Row::info(
            LABEL,
            format!(
                "{ME_OP}, causal reads on (wsrep_sync_wait = 1, the default), {clients} clients, {ROUNDS}×{secs} s"
            ),
            on.text(),
        ),
        Row::info(
            LABEL,
            format!(
                "{ME_OP}, causal reads off ({CAUSAL_READS_ENV}=off, measurement only), same run, alternating"
            ),
            off.text(),
        ),
        Row::info(
            LABEL,
            "GET /me: causal reads on vs off (req/s)",
            format!("{ratio:.2}× ({:.0} vs {:.0} req/s)", on.mean(), off.mean()),
        ),
    ])
}

const LOGIN_OP: &str = "POST /login, returning users, three instances on three nodes";

async fn login_rows(args: &BenchArgs, world: &World, urls: &[String], admin1: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let (clients, secs) = (args.clients, args.load_secs());
    let reference = Server {
        kind: Kind::MariaDb,
        admin_url: admin1.to_owned(),
    };
    let name = reference.reference_name(Reference::Write);
    let ref_run = match reference.reference(Reference::Write, clients, secs).await {
        Ok(run) => {
            rows.push(Row::info(
                LABEL,
                format!("reference: {name} on node 1, {clients} clients, {secs} s, same run"),
                format!("{:.0} TPS", run.tps),
            ));
            Some(run)
        }
        Err(e) => {
            rows.push(Row::not_measured(
                LABEL,
                format!("reference: {name}"),
                "-",
                format!("{e:#}"),
            ));
            None
        }
    };
    let target = format!("≥ 0.5× {name} TPS");
    match login_run(args, world, urls).await {
        Ok((r, retries)) => {
            let rate = r.per_second();
            let (ratio, ok) = match ref_run {
                Some(run) => {
                    let x = rate / run.tps.max(1e-9);
                    (format!(" = {x:.2}× {name}"), x >= 0.5)
                }
                None => (format!(" (no {name} to compare with)"), false),
            };
            rows.push(Row::new(
                LABEL,
                format!("{LOGIN_OP} ({clients} clients, {secs} s)"),
                target,
                format!(
                    "{rate:.0}/s{ratio}; p50 {} p99 {}; {retries} certification conflicts retried{}",
                    fmt_ms(r.latency.median),
                    fmt_ms(r.latency.p99),
                    r.errors_text()
                ),
                ok && r.errors == 0,
            ));
        }
        Err(e) => rows.push(Row::not_measured(LABEL, LOGIN_OP, target, format!("{e:#}"))),
    }
    rows
}

/// The load and the conflicts the three instances retried meanwhile
/// (`wxlogin_db_conflict_retries_total`).
async fn login_run(args: &BenchArgs, world: &World, urls: &[String]) -> Result<(LoadResult, u64)> {
    let set = instances(world, urls, "on").await?;
    let budget = (u64::from(args.load_secs()) * 6_000).min(150_000) as usize;
    let codes = Arc::new(world.mint_codes(budget)?);
    let appid = world.appid;
    let n = codes.len() as u64;
    let before = conflict_retries(&set).await?;
    let r = spread(args, &set, n, move |i| {
        load::post_json(
            "/login",
            &serde_json::json!({ "appid": appid, "code": codes[i as usize] }),
        )
    })
    .await?;
    let after = conflict_retries(&set).await?;
    Ok((r, after.saturating_sub(before)))
}

/// The sum of `wxlogin_db_conflict_retries_total` over the instances.
async fn conflict_retries(set: &[ServiceProcess]) -> Result<u64> {
    let http = load::client(1)?;
    let mut sum = 0;
    for s in set {
        let text = http
            .get(format!("{}/metrics", s.base_url))
            .send()
            .await?
            .text()
            .await?;
        sum += text
            .lines()
            .find_map(|l| {
                l.strip_prefix("wxlogin_db_conflict_retries_total ")?
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .context("/metrics has no wxlogin_db_conflict_retries_total")?;
    }
    Ok(sum)
}

/// How one request of the node-kill run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    /// A 5xx answer.
    ServerError,
    /// No answer (connection refused, reset, timed out).
    Transport,
    /// Any other status: a bug in this run, counted apart.
    Other,
}

/// One worker's record: when each request ended, how, and how long it took.
type Record = Vec<(Duration, Outcome, Duration)>;

const KILL_OP: &str =
    "node 2 killed (kill -9) behind haproxy, two instances serving logins + GET /me";

async fn kill_rows(
    args: &BenchArgs,
    world: &World,
    store: &Store,
    cluster: &TempGalera,
    urls: &[String],
) -> Vec<Row> {
    match kill_rows_inner(args, world, store, cluster, urls).await {
        Ok(rows) => rows,
        Err(e) => vec![Row::not_measured(LABEL, KILL_OP, "-", format!("{e:#}"))],
    }
}

async fn kill_rows_inner(
    args: &BenchArgs,
    world: &World,
    store: &Store,
    cluster: &TempGalera,
    urls: &[String],
) -> Result<Vec<Row>> {
    // haproxy's health check logs in as this user: passwordless, no rights, loopback only.
    sqlx::query("CREATE USER IF NOT EXISTS 'haproxy_check'@'127.0.0.1'")
        .execute(store.mysql_pool().context("a MariaDB store")?)
        .await?;
    let ports = urls
        .iter()
        .map(|u| sql_port(u))
        .collect::<Result<Vec<_>>>()?;
    let lb = Haproxy::start(&ports).await?;
    let mut lb_url = url::Url::parse(&urls[0])?;
    lb_url
        .set_port(Some(lb.port))
        .map_err(|()| anyhow::anyhow!("cannot set the port"))?;
    let lb_url = lb_url.to_string();
    let set = vec![
        world.spawn(&lb_url, &[(CAUSAL_READS_ENV, "on")]).await?,
        world.spawn(&lb_url, &[(CAUSAL_READS_ENV, "on")]).await?,
    ];
    let set_bases: Vec<String> = set.iter().map(|s| s.base_url.clone()).collect();

    let stop = Arc::new(AtomicBool::new(false));
    let epoch = Instant::now();
    let workers: Vec<_> = (0..args.clients as usize)
        .map(|w| {
            let stop = stop.clone();
            let base = set_bases[w % 2].clone();
            let emu = world.emulator.clone();
            let (appid, user) = (world.appid, world.users[w % world.users.len()].clone());
            tokio::spawn(async move {
                let http = load::client(1)?;
                let mut record = Record::new();
                let mut tokens = Vec::new();
                let classify = |r: reqwest::Result<reqwest::StatusCode>| match r {
                    Ok(s) if s.is_success() => Outcome::Ok,
                    Ok(s) if s.is_server_error() => Outcome::ServerError,
                    Ok(_) => Outcome::Other,
                    Err(_) => Outcome::Transport,
                };
                while !stop.load(Ordering::Relaxed) {
                    let code = emu
                        .mint(appid, &user)
                        .map_err(|e| anyhow::anyhow!("minting a code: {e}"))?;
                    let sent = Instant::now();
                    let login = http
                        .post(format!("{base}/login"))
                        .json(&serde_json::json!({ "appid": appid, "code": code }))
                        .send()
                        .await;
                    let (outcome, token) = match login {
                        Ok(r) if r.status().is_success() => {
                            let body: serde_json::Value = r.json().await.unwrap_or_default();
                            match body["session_id"].as_str() {
                                Some(t) => (Outcome::Ok, Some(t.to_owned())),
                                None => (Outcome::Other, None),
                            }
                        }
                        other => (classify(other.map(|r| r.status())), None),
                    };
                    record.push((epoch.elapsed(), outcome, sent.elapsed()));
                    if let Some(token) = token {
                        let sent = Instant::now();
                        let me = http
                            .get(format!("{base}/me"))
                            .bearer_auth(&token)
                            .send()
                            .await;
                        let outcome = classify(me.map(|r| r.status()));
                        record.push((epoch.elapsed(), outcome, sent.elapsed()));
                        tokens.push(token);
                    }
                    if record.last().is_some_and(|(_, o, _)| *o != Outcome::Ok) {
                        // Do not spin on an outage.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                Ok::<_, anyhow::Error>((record, tokens))
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(3)).await;
    let killed_at = epoch.elapsed();
    cluster.run(&["kill", "2"])?;
    // Load on two nodes while node 2 is down: the writes it misses are what IST sends it.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let restart_at = epoch.elapsed();
    let rejoin = cluster.run(&["restart", "2"]);
    let rejoined_at = epoch.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let mut records = Vec::new();
    let mut tokens = Vec::new();
    for w in workers {
        let (r, t) = w.await??;
        records.push(r);
        tokens.extend(t);
    }
    let rejoin = rejoin?;

    let all: Vec<(Duration, Outcome, Duration)> = records.iter().flatten().copied().collect();
    let count = |o: Outcome| all.iter().filter(|(_, x, _)| *x == o).count();
    let failed = all.len() - count(Outcome::Ok);
    let failures: Vec<Duration> = all
        .iter()
        .filter(|(_, o, _)| *o != Outcome::Ok)
        .map(|(t, _, _)| *t)
        .collect();
    // The slowest request, and when it ended (one held up while the cluster paused).
    let slowest = all
        .iter()
        .max_by_key(|(_, _, took)| *took)
        .map(|(at, _, took)| {
            format!(
                "; slowest request {} (ended {} after the kill)",
                fmt_secs(*took),
                fmt_secs(at.saturating_sub(killed_at))
            )
        })
        .unwrap_or_default();
    let first = failures.iter().min().copied();
    let last = failures.iter().max().copied();
    let span = match (first, last) {
        (Some(f), Some(l)) => format!(
            "failures from {} to {} after the kill",
            fmt_secs(f.saturating_sub(killed_at)),
            fmt_secs(l.saturating_sub(killed_at))
        ),
        _ => "no failure".to_owned(),
    };
    let longest = records
        .iter()
        .map(longest_failure)
        .max()
        .unwrap_or_default();
    let before_kill = failures.iter().filter(|t| **t < killed_at).count();
    let window = last
        .map(|l| l.saturating_sub(killed_at))
        .unwrap_or_default();
    let mut rows = vec![Row::new(
        LABEL,
        format!("{KILL_OP}: requests total / failed, longest failure window"),
        "failures only in the reconnect window (< 10 s after the kill), only 5xx",
        format!(
            "{} requests, {failed} failed ({} 5xx, {} transport, {} other); {span}; longest \
             time one client went without a success {}{slowest}",
            all.len(),
            count(Outcome::ServerError),
            count(Outcome::Transport),
            count(Outcome::Other),
            fmt_secs(longest)
        ),
        before_kill == 0
            && window < Duration::from_secs(10)
            && count(Outcome::Transport) + count(Outcome::Other) == 0,
    )];

    // Every session a login returned must still work, through either instance.
    let n = tokens.len() as u64;
    let lost = sessions_failing(args, &set_bases, &tokens).await?;
    rows.push(Row::new(
        LABEL,
        format!("{KILL_OP}: sessions lost (GET /me with every SessionId a login returned)"),
        "0",
        format!("{lost} of {n} sessions lost"),
        lost == 0 && n > 0,
    ));

    // The node is back: an instance on it finds every one of those sessions too.
    drop(set);
    drop(lb);
    let on_node2 = world.spawn(&urls[1], &[(CAUSAL_READS_ENV, "on")]).await?;
    let missing = sessions_failing(args, std::slice::from_ref(&on_node2.base_url), &tokens).await?;
    let took = rejoined_at.saturating_sub(restart_at);
    rows.push(Row::new(
        LABEL,
        "node 2 restarted after 10 s down: time to rejoin (restart to Synced), how, and whether it serves",
        "rejoins by IST and serves every session",
        format!(
            "{} ({}); an instance on node 2 then answers GET /me for {} of {n} sessions",
            fmt_secs(took),
            rejoin.trim(),
            n - missing
        ),
        rejoin.contains("by IST") && missing == 0 && n > 0,
    ));
    Ok(rows)
}

/// How many of `tokens` GET /me refuses (or fails to answer) through `bases`.
async fn sessions_failing(args: &BenchArgs, bases: &[String], tokens: &[String]) -> Result<u64> {
    let tokens = Arc::new(tokens.to_vec());
    let n = tokens.len() as u64;
    let b: Vec<&str> = bases.iter().map(String::as_str).collect();
    let r = load::run_spread(
        &b,
        args.clients,
        Duration::from_secs(600),
        n,
        Arc::new(AtomicBool::new(false)),
        move |i| load::get_bearer("/me", &tokens[i as usize]),
    )
    .await?;
    Ok(n.saturating_sub(r.ok))
}

/// The longest time one client went without a success: from the end of its last success (or
/// of its first failure) to the end of its next success.
fn longest_failure(record: &Record) -> Duration {
    let mut longest = Duration::ZERO;
    let mut since: Option<Duration> = None;
    let mut last_ok: Option<Duration> = None;
    for (at, o, _) in record {
        match o {
            Outcome::Ok => {
                if let Some(s) = since.take() {
                    longest = longest.max(at.saturating_sub(s));
                }
                last_ok = Some(*at);
            }
            _ => {
                since.get_or_insert(last_ok.unwrap_or(*at));
            }
        }
    }
    if let (Some(s), Some((end, _, _))) = (since, record.last()) {
        longest = longest.max(end.saturating_sub(s));
    }
    longest
}

fn fmt_secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn the_longest_failure_runs_from_the_last_success_to_the_next() {
        let r: Record = [
            (100, Outcome::Ok),
            (200, Outcome::ServerError),
            (900, Outcome::ServerError),
            (1_300, Outcome::Ok),
            (1_400, Outcome::Transport),
            (1_500, Outcome::Ok),
        ]
        .map(|(t, o)| (at(t), o, at(1)))
        .to_vec();
        assert_eq!(longest_failure(&r), at(1_200));
        assert_eq!(
            longest_failure(&vec![(at(5), Outcome::Ok, at(1))]),
            Duration::ZERO
        );
        // Still failing at the end: counted to the last request.
        let r = vec![
            (at(100), Outcome::Ok, at(1)),
            (at(700), Outcome::ServerError, at(1)),
        ];
        assert_eq!(longest_failure(&r), at(600));
    }

    #[test]
    fn the_haproxy_config_checks_every_node_as_a_mysql_login() {
        let cfg = haproxy_config(4000, &[34001, 34002, 34003]);
        assert!(cfg.contains("bind 127.0.0.1:4000\n"));
        assert!(cfg.contains("option mysql-check user haproxy_check"));
        assert!(cfg.contains("on-marked-down shutdown-sessions"));
        for (n, port) in [(1, 34001), (2, 34002), (3, 34003)] {
            assert!(cfg.contains(&format!("server node{n} 127.0.0.1:{port} check\n")));
        }
    }
}
