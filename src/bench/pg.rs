//! PostgreSQL helpers for the harness: a throwaway server, fresh databases, `pgbench`, `psql`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use sqlx::Connection;

/// A PostgreSQL server in a temporary directory, stopped when dropped. Same settings as
/// `scripts/pg-temp` (durability off: a benchmark scratch server, not a production setup).
pub struct TempPg {
    dir: super::report::ScratchDir,
    bindir: PathBuf,
    pub admin_url: String,
}

fn pg_bindir() -> Result<PathBuf> {
    let mut found = None;
    for entry in std::fs::read_dir("/usr/lib/postgresql").context(
        "PostgreSQL is not installed (/usr/lib/postgresql missing): install it or pass --pg-url",
    )? {
        let bin = entry?.path().join("bin");
        if bin.join("pg_ctl").exists() {
            found = Some(bin); // the last (highest) version wins
        }
    }
    found.ok_or_else(|| anyhow!("no pg_ctl under /usr/lib/postgresql/*/bin"))
}

pub(super) fn is_root() -> bool {
    // The real uid is the first number on the "Uid:" line of /proc/self/status.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// A command run as the `postgres` user when we are root (PostgreSQL refuses to run as root).
fn as_pg(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// A quarter of the machine's memory, PostgreSQL's usual starting point for a dedicated server
/// (between 512 MB and 8 GB): the 10M-session set (about 10 GB) then keeps its hot pages in
/// PostgreSQL's own cache, as a production server sized for it would, instead of copying each
/// from the kernel's page cache on every visit.
pub(super) fn shared_buffers_mb() -> u64 {
    let total_kb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(0);
    (total_kb / 1024 / 4).clamp(512, 8192)
}

impl TempPg {
    pub fn start(port: u16) -> Result<Self> {
        let bindir = pg_bindir()?;
        let dir = super::report::ScratchDir::new("wxlogin-bench-pg.")?;
        let data = dir.path().join("data");
        if is_root() {
            let st = Command::new("chown")
                .arg("postgres:")
                .arg(dir.path())
                .status()?;
            if !st.success() {
                bail!("cannot chown the temporary directory to postgres");
            }
        }
        let out = as_pg(&bindir.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
            ])
            .output()?;
        if !out.status.success() {
            bail!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=300 -c shared_buffers={}MB",
            dir.path().display(),
            shared_buffers_mb()
        );
        let out = as_pg(&bindir.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.path().join("server.log"))
            .args(["-w", "-t", "60", "-o", &opts, "start"])
            .output()?;
        if !out.status.success() {
            let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
            bail!("pg_ctl start failed on port {port}: {}", log.trim());
        }
        Ok(TempPg {
            dir,
            bindir,
            admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        })
    }
}

impl Drop for TempPg {
    fn drop(&mut self) {
        let _ = as_pg(&self.bindir.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "fast", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A PostgreSQL identifier in double quotes (inner quotes doubled): a database name taken from
/// a URL cannot end the statement or name another object.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Creates an empty database named `prefix_<random>` and returns its URL.
pub async fn create_database(admin: &str, prefix: &str) -> Result<String> {
    let (name, url) = new_database_url(admin, prefix)?;
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .context("connect to the PostgreSQL admin URL")?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {}",
        quote_ident(&name)
    )))
    .execute(&mut conn)
    .await?;
    Ok(url)
}

/// A fresh database name (`prefix_` and 8 hex digits) and `admin` pointed at it; the same
/// for every server backend.
pub(super) fn new_database_url(admin: &str, prefix: &str) -> Result<(String, String)> {
    let name = format!("{prefix}_{}", hex::encode(rand::random::<[u8; 4]>()));
    let mut u = url::Url::parse(admin)?;
    u.set_path(&format!("/{name}"));
    Ok((name, u.to_string()))
}

/// The database a URL names (its path without the slash).
pub(super) fn database_name(url: &str) -> Result<String> {
    Ok(url::Url::parse(url)?
        .path()
        .trim_start_matches('/')
        .to_owned())
}

pub async fn drop_database(admin: &str, url: &str) -> Result<()> {
    let name = database_name(url)?;
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(&name)
    )))
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// What one reference run (`pgbench`, `sysbench`) achieved and what it cost.
#[derive(Debug, Clone, Copy)]
pub struct RefRun {
    pub tps: f64,
    /// CPU of the database server during the run, per transaction (µs).
    pub server_us: f64,
    /// CPU of the reference client itself per transaction (µs).
    pub client_us: f64,
}

/// Runs `cmd` (a reference client, a child of this process) and returns its stdout with the
/// CPU it and the database server used, per transaction: `tps_of` reads the rate from the
/// output.
pub fn run_reference(
    mut cmd: Command,
    name: &str,
    secs: u32,
    tps_of: impl Fn(&str) -> Option<f64>,
) -> Result<RefRun> {
    let (db_before, (_, children_before)) = (super::cpu::of_db_server(), super::cpu::of_self());
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {name}"))?;
    let (db_after, (_, children_after)) = (super::cpu::of_db_server(), super::cpu::of_self());
    if !out.status.success() {
        bail!(
            "{name} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let tps = tps_of(&text).ok_or_else(|| anyhow!("no rate in the output of {name}: {text}"))?;
    let transactions = tps * f64::from(secs);
    Ok(RefRun {
        tps,
        server_us: super::cpu::per_op(db_after.saturating_sub(db_before), transactions),
        client_us: super::cpu::per_op(children_after.saturating_sub(children_before), transactions),
    })
}

/// Which of pgbench's built-in transactions a reference run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pgbench {
    /// `-S`: one indexed SELECT per transaction (GET /me's reference).
    SelectOnly,
    /// The default TPC-B-like transaction: three UPDATEs, a SELECT and an INSERT in one
    /// transaction (POST /login's reference).
    TpcB,
}

/// `pgbench` against `url` with `clients` connections for `secs` seconds, after initializing
/// its tables (scale 10); returns the transactions per second and their CPU.
pub fn pgbench(url: &str, which: Pgbench, clients: u32, secs: u32) -> Result<RefRun> {
    let init = Command::new("pgbench")
        .args(["-i", "-q", "-s", "10", "--no-vacuum"])
        .arg(url)
        .output()
        .context("pgbench is not installed (apt-get install postgresql-client)")?;
    if !init.status.success() {
        bail!(
            "pgbench -i failed: {}",
            String::from_utf8_lossy(&init.stderr).trim()
        );
    }
    let mut cmd = Command::new("pgbench");
    if which == Pgbench::SelectOnly {
        cmd.arg("-S");
    }
    cmd.args(["-n", "-j", "2"])
        .args(["-c", &clients.to_string(), "-T", &secs.to_string()])
        .arg(url);
    run_reference(cmd, "pgbench", secs, |text| {
        text.lines().find_map(|l| {
            l.trim()
                .strip_prefix("tps = ")
                .and_then(|r| r.split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok())
        })
    })
}

/// The psql binary itself: Debian's /usr/bin/psql is a Perl wrapper (pg_wrapper) that adds
/// ~40 ms of its own before psql starts, which would flatter any comparison.
pub fn psql_program() -> PathBuf {
    pg_bindir()
        .map(|b| b.join("psql"))
        .ok()
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("psql"))
}

/// Wall time of `psql -X -Atc SQL URL` (process start to exit, output read).
pub fn time_psql(url: &str, sql: &str) -> Result<Duration> {
    let t = std::time::Instant::now();
    let out = Command::new(psql_program())
        .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .context("psql is not installed")?;
    let d = t.elapsed();
    if !out.status.success() {
        bail!(
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(d)
}
