//! MariaDB helpers for the harness: a throwaway server, fresh databases, `sysbench`, and the
//! `mariadb -e` client as the CLI's reference.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use sqlx::Connection;

use super::pg::{RefRun, run_reference};
use super::report::ScratchDir;

/// A MariaDB server in a temporary directory, stopped when dropped. Same settings as
/// `scripts/mariadb-temp` (loopback only, root without a password, no binary log, no flush at
/// commit: a benchmark scratch server, not a production setup).
pub struct TempMariaDb {
    dir: ScratchDir,
    pub admin_url: String,
}

fn server_program() -> Result<PathBuf> {
    ["/usr/sbin/mariadbd", "/usr/sbin/mysqld"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or_else(|| {
            anyhow!(
                "MariaDB is not installed (apt-get install mariadb-server) or pass --mariadb-url"
            )
        })
}

/// The `mariadb` client (`mysql` on older installations).
fn client_program() -> &'static str {
    if Path::new("/usr/bin/mariadb").exists() {
        "mariadb"
    } else {
        "mysql"
    }
}

impl TempMariaDb {
    pub fn start(port: u16) -> Result<Self> {
        let server = server_program()?;
        let dir = ScratchDir::new("wxlogin-bench-mariadb.")?;
        let root = super::pg::is_root();
        let user_args: &[&str] = if root { &["--user=mysql"] } else { &[] };
        if root {
            let st = Command::new("chown")
                .arg("mysql:")
                .arg(dir.path())
                .status()?;
            if !st.success() {
                bail!("cannot chown the temporary directory to mysql");
            }
        }
        let d = dir.path().display();
        let cnf = dir.path().join("my.cnf");
        std::fs::write(
            &cnf,
            format!(
                "[mariadbd]\ndatadir={d}/data\nsocket={d}/mariadb.sock\npid-file={d}/mariadb.pid\n\
                 log-error={d}/server.log\nbind-address=127.0.0.1\nport={port}\nskip-name-resolve\n\
                 skip-log-bin\ncharacter-set-server=utf8mb4\ncollation-server=utf8mb4_bin\n\
                 max_connections=500\ninnodb_buffer_pool_size={}M\ninnodb_log_file_size=512M\n\
                 innodb_flush_log_at_trx_commit=0\ninnodb_flush_method=nosync\n\
                 innodb_doublewrite=0\nsync_frm=0\n",
                super::pg::shared_buffers_mb()
            ),
        )?;
        let defaults = format!("--defaults-file={}", cnf.display());
        let out = Command::new("mariadb-install-db")
            .arg(&defaults)
            .args(user_args)
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
            .stdin(Stdio::null())
            .output()
            .context("mariadb-install-db is not installed (apt-get install mariadb-server)")?;
        if !out.status.success() {
            bail!(
                "mariadb-install-db failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        // Its own process group: the server must not get the terminal's Ctrl-C before the
        // harness has stopped it.
        let mut child = Command::new(server)
            .arg(&defaults)
            .args(user_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        let temp = TempMariaDb {
            dir,
            admin_url: format!("mysql://root@127.0.0.1:{port}/mysql"),
        };
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(60) {
            let ok = Command::new(client_program())
                .args([
                    "--no-defaults",
                    "-h",
                    "127.0.0.1",
                    "-u",
                    "root",
                    "-e",
                    "SELECT 1",
                ])
                .args(["-P", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return Ok(temp);
            }
            if child.try_wait()?.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(temp.dir.path().join("server.log")).unwrap_or_default();
        bail!(
            "the MariaDB server did not start on port {port}: {}",
            log.trim()
        )
    }
}

impl Drop for TempMariaDb {
    fn drop(&mut self) {
        let pid_file = self.dir.path().join("mariadb.pid");
        let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok())
        else {
            return;
        };
        // SAFETY: kill(2) on the server this harness started, by its pid.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(30) {
            // SAFETY: signal 0 only checks that the process exists.
            if unsafe { libc::kill(pid, 0) } != 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // SAFETY: as above.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// A MariaDB identifier in backquotes (inner backquotes doubled).
fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Creates an empty `utf8mb4_bin` database named `prefix_<random>` and returns its URL.
pub async fn create_database(admin: &str, prefix: &str) -> Result<String> {
    let (name, url) = super::pg::new_database_url(admin, prefix)?;
    let mut conn = sqlx::MySqlConnection::connect(admin)
        .await
        .context("connect to the MariaDB admin URL")?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        quote_ident(&name)
    )))
    .execute(&mut conn)
    .await?;
    Ok(url)
}

pub async fn drop_database(admin: &str, url: &str) -> Result<()> {
    let name = super::pg::database_name(url)?;
    let mut conn = sqlx::MySqlConnection::connect(admin).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {}",
        quote_ident(&name)
    )))
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// Host, port, user, password and database of a `mysql://` URL (percent-decoded).
struct Target {
    host: String,
    port: u16,
    user: String,
    password: Option<String>,
    database: String,
}

impl Target {
    fn parse(url: &str) -> Result<Self> {
        let u = url::Url::parse(url)?;
        Ok(Target {
            host: u.host_str().unwrap_or("127.0.0.1").to_owned(),
            port: u.port().unwrap_or(3306),
            user: match u.username() {
                "" => "root".to_owned(),
                user => decode(user),
            },
            password: u.password().map(decode),
            database: decode(u.path().trim_start_matches('/')),
        })
    }
}

/// `%XX` escapes of a URL part decoded (as sqlx decodes the user, password and database).
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Which of sysbench's built-in OLTP tests a reference run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sysbench {
    /// `oltp_point_select` with one primary-key SELECT per event, outside a transaction
    /// (GET /me's reference, the counterpart of `pgbench -S`).
    PointSelect,
    /// `oltp_write_only`: BEGIN, an indexed UPDATE, a non-indexed UPDATE, a DELETE and an
    /// INSERT, COMMIT (POST /login's reference, the counterpart of pgbench's TPC-B).
    WriteOnly,
}

/// `sysbench <test>` against the database of `url` (one table of 100,000 rows, prepared
/// first) with `clients` threads for `secs` seconds; returns events per second and their CPU.
/// A password goes to sysbench in a private option file, never on its command line.
pub fn sysbench(url: &str, which: Sysbench, clients: u32, secs: u32) -> Result<RefRun> {
    let t = Target::parse(url)?;
    let dir = ScratchDir::new("wxlogin-bench-sysbench.")?;
    let test = match which {
        Sysbench::PointSelect => "oltp_point_select",
        Sysbench::WriteOnly => "oltp_write_only",
    };
    let mut common = vec![
        "--db-driver=mysql".to_owned(),
        format!("--mysql-host={}", t.host),
        format!("--mysql-port={}", t.port),
        format!("--mysql-user={}", t.user),
        format!("--mysql-db={}", t.database),
        "--tables=1".to_owned(),
        "--table-size=100000".to_owned(),
    ];
    if let Some(pw) = &t.password {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let path = dir.path().join("sysbench.conf");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        writeln!(f, "mysql-password={pw}")?;
        common.insert(0, format!("--config-file={}", path.display()));
    }
    let prepare = Command::new("sysbench")
        .arg(test)
        .args(&common)
        .arg("prepare")
        .stdin(Stdio::null())
        .output()
        .context("sysbench is not installed (apt-get install sysbench)")?;
    if !prepare.status.success() {
        bail!(
            "sysbench {test} prepare failed: {}{}",
            String::from_utf8_lossy(&prepare.stdout).trim(),
            String::from_utf8_lossy(&prepare.stderr).trim()
        );
    }
    let mut cmd = Command::new("sysbench");
    cmd.arg(test).args(&common).args([
        format!("--threads={clients}"),
        format!("--time={secs}"),
        "--point-selects=1".to_owned(),
        "run".to_owned(),
    ]);
    // "transactions:  12345  (1234.50 per sec.)": one event per line of work described above.
    run_reference(cmd, &format!("sysbench {test}"), secs, |text| {
        text.lines().find_map(|l| {
            let rest = l.trim().strip_prefix("transactions:")?;
            let open = rest.find('(')?;
            rest[open + 1..].split_whitespace().next()?.parse().ok()
        })
    })
}

/// Wall time of `mariadb -N -B -e SQL` against the database of `url` (process start to exit,
/// output read). The session is set up as sqlx sets up the service's (`||` concatenates,
/// times in UTC) so that the statement means the same in both.
pub fn time_client(url: &str, sql: &str) -> Result<Duration> {
    let t = Target::parse(url)?;
    let sql = format!(
        "SET SESSION sql_mode=CONCAT(@@sql_mode, ',PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION'), \
         time_zone='+00:00'; {sql}"
    );
    let mut cmd = Command::new(client_program());
    cmd.args(["--no-defaults", "-N", "-B"])
        .args(["-h", &t.host, "-P", &t.port.to_string(), "-u", &t.user])
        .args(["-D", &t.database, "-e", &sql])
        .stdin(Stdio::null());
    if let Some(pw) = &t.password {
        // The client reads its password from the environment: never on the command line.
        cmd.env("MYSQL_PWD", pw);
    }
    let start = Instant::now();
    let out = cmd
        .output()
        .context("the mariadb client is not installed")?;
    let d = start.elapsed();
    if !out.status.success() {
        bail!(
            "mariadb -e failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(d)
}

/// The client's name as the table shows it.
pub fn client_name() -> &'static str {
    if client_program() == "mariadb" {
        "mariadb -N -B -e"
    } else {
        "mysql -N -B -e"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mysql_url_gives_the_clients_its_decoded_parts_and_defaults() {
        let t = Target::parse("mysql://bench%40ops:p%25ss@db.local/wx%5Fbench").unwrap();
        assert_eq!(t.host, "db.local");
        assert_eq!(t.port, 3306);
        assert_eq!(t.user, "bench@ops");
        assert_eq!(t.password.as_deref(), Some("p%ss"));
        assert_eq!(t.database, "wx_bench");
        let t = Target::parse("mysql://127.0.0.1:33079/mysql").unwrap();
        assert_eq!((t.user.as_str(), t.port, t.password), ("root", 33079, None));
    }

    #[test]
    fn a_stray_percent_sign_is_kept_as_it_is() {
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("a%zzb"), "a%zzb");
    }
}
