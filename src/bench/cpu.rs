//! Where the CPU goes during a load: user + system time of the processes involved, read from
//! `/proc` (Linux). On a machine whose cores are shared by the load generator, the server and
//! the database, a throughput ratio alone cannot say which of them is the expensive one.

use std::time::Duration;

/// Clock ticks per second of the times in `/proc/<pid>/stat` (USER_HZ, 100 on Linux).
const TICKS_PER_SEC: u64 = 100;

/// The numeric fields after the command name of `/proc/<pid>/stat` (field 3 onwards).
fn stat_fields(pid: &str) -> Option<(String, Vec<u64>)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may itself contain spaces or parentheses.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_owned();
    let rest = text[close + 1..]
        .split_whitespace()
        .skip(1) // state
        .map(|f| f.parse::<u64>().unwrap_or(0))
        .collect();
    Some((comm, rest))
}

fn ticks(t: u64) -> Duration {
    Duration::from_millis(t * 1000 / TICKS_PER_SEC)
}

// Offsets into `stat_fields`' numbers (fields 14-17 of proc(5), counted from field 4).
const UTIME: usize = 10;
const STIME: usize = 11;
const CUTIME: usize = 12;
const CSTIME: usize = 13;

/// CPU time a process has used so far (all its threads).
pub fn of_process(pid: u32) -> Duration {
    stat_fields(&pid.to_string())
        .filter(|(_, f)| f.len() > STIME)
        .map(|(_, f)| ticks(f[UTIME] + f[STIME]))
        .unwrap_or_default()
}

/// CPU time of this process, and separately of its children that have exited and been waited
/// for (pgbench, psql).
pub fn of_self() -> (Duration, Duration) {
    stat_fields("self")
        .filter(|(_, f)| f.len() > CSTIME)
        .map(|(_, f)| (ticks(f[UTIME] + f[STIME]), ticks(f[CUTIME] + f[CSTIME])))
        .unwrap_or_default()
}

/// Process names of the database servers the harness measures: PostgreSQL's processes, and
/// MariaDB's single server process (MySQL's under its older name).
const DB_SERVERS: [&str; 3] = ["postgres", "mariadbd", "mysqld"];

/// CPU time of every database server process on the machine (see [`DB_SERVERS`]), including
/// PostgreSQL backends that have exited (the postmaster collects their time when it reaps
/// them). The harness runs one server at a time, so this is the server under test.
pub fn of_db_server() -> Duration {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|name| name.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|pid| stat_fields(&pid))
        .filter(|(comm, f)| DB_SERVERS.contains(&comm.as_str()) && f.len() > CSTIME)
        .map(|(_, f)| ticks(f[UTIME] + f[STIME] + f[CUTIME] + f[CSTIME]))
        .sum()
}

/// CPU used by the service under test, by the database server, and by this process (the load
/// generator, and for POST /login also the WeChat emulator).
#[derive(Debug, Clone, Copy)]
pub struct Split {
    service: Duration,
    db: Duration,
    this: Duration,
}

impl Split {
    pub fn now(service_pid: u32) -> Self {
        Split {
            service: of_process(service_pid),
            db: of_db_server(),
            this: of_self().0,
        }
    }

    /// What was used since `self` was taken.
    pub fn since(self, service_pid: u32) -> Self {
        let now = Split::now(service_pid);
        Split {
            service: now.service.saturating_sub(self.service),
            db: now.db.saturating_sub(self.db),
            this: now.this.saturating_sub(self.this),
        }
    }

    /// "service X µs, <server> Y µs, <this_name> Z µs" per operation; `server` is the database
    /// server's name, or None for SQLite (inside the service).
    pub fn describe(&self, ops: f64, server: Option<&str>, this_name: &str) -> String {
        let db = if let Some(server) = server {
            format!(", {server} {:.0} µs", per_op(self.db, ops))
        } else {
            " (SQLite runs inside it)".to_owned()
        };
        format!(
            "service {:.0} µs{db}, {this_name} {:.0} µs",
            per_op(self.service, ops),
            per_op(self.this, ops)
        )
    }
}

/// Microseconds of CPU per operation.
pub fn per_op(cpu: Duration, ops: f64) -> f64 {
    cpu.as_secs_f64() * 1e6 / ops.max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_uses_cpu_time_that_grows_with_work() {
        let (before, _) = of_self();
        let mut x = 0u64;
        let t = std::time::Instant::now();
        while t.elapsed() < Duration::from_millis(100) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let (after, _) = of_self();
        assert!(after > before, "{before:?} -> {after:?}");
        assert!(of_process(std::process::id()) >= after);
    }
}
