//! Results: timing statistics, the table rows, the machine description.

use std::time::Duration;

use serde::Serialize;

/// Order statistics of a set of timings.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Stats {
    pub n: usize,
    #[serde(serialize_with = "ms")]
    pub median: Duration,
    #[serde(serialize_with = "ms")]
    pub p95: Duration,
    #[serde(serialize_with = "ms")]
    pub p99: Duration,
    #[serde(serialize_with = "ms")]
    pub max: Duration,
}

fn ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1e3)
}

impl Stats {
    pub fn from(mut v: Vec<Duration>) -> Self {
        v.sort_unstable();
        let pick = |q: f64| {
            if v.is_empty() {
                Duration::ZERO
            } else {
                v[((v.len() - 1) as f64 * q).round() as usize]
            }
        };
        Stats {
            n: v.len(),
            median: pick(0.5),
            p95: pick(0.95),
            p99: pick(0.99),
            max: v.last().copied().unwrap_or_default(),
        }
    }
}

/// Milliseconds with sensible precision.
pub fn fmt_ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 1.0 {
        format!("{ms:.3} ms")
    } else if ms < 100.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "reason")]
pub enum Verdict {
    Pass,
    Fail,
    /// Reported for context; no target.
    Info,
    NotMeasured(String),
}

/// One line of the results table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub backend: String,
    pub operation: String,
    pub target: String,
    pub measured: String,
    pub verdict: Verdict,
}

impl Row {
    pub fn new(
        backend: &str,
        operation: impl Into<String>,
        target: impl Into<String>,
        measured: impl Into<String>,
        pass: bool,
    ) -> Self {
        Row {
            backend: backend.to_owned(),
            operation: operation.into(),
            target: target.into(),
            measured: measured.into(),
            verdict: if pass { Verdict::Pass } else { Verdict::Fail },
        }
    }

    pub fn info(backend: &str, operation: impl Into<String>, measured: impl Into<String>) -> Self {
        Row {
            backend: backend.to_owned(),
            operation: operation.into(),
            target: "-".to_owned(),
            measured: measured.into(),
            verdict: Verdict::Info,
        }
    }

    pub fn not_measured(
        backend: &str,
        operation: impl Into<String>,
        target: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Row {
            backend: backend.to_owned(),
            operation: operation.into(),
            target: target.into(),
            measured: "-".to_owned(),
            verdict: Verdict::NotMeasured(reason.into()),
        }
    }

    pub fn result_text(&self) -> String {
        match &self.verdict {
            Verdict::Pass => "pass".to_owned(),
            Verdict::Fail => "FAIL".to_owned(),
            Verdict::Info => "info".to_owned(),
            Verdict::NotMeasured(r) => format!("not measured: {r}"),
        }
    }
}

/// The table as Markdown (readable on a terminal and pasteable into BENCHMARKS.md).
pub fn markdown_table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| backend | operation | target | measured | result |\n|---|---|---|---|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.backend,
            r.operation.replace('|', "\\|"),
            r.target.replace('|', "\\|"),
            r.measured.replace('|', "\\|"),
            r.result_text().replace('|', "\\|"),
        ));
    }
    out
}

/// The machine, in one paragraph: CPU model, cores, memory, kernel.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
}

impl Machine {
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| "unknown CPU".to_owned());
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_kib: f64 = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        Machine {
            cpu,
            cores,
            memory_gib: mem_kib / 1024.0 / 1024.0,
            kernel,
        }
    }
}

impl std::fmt::Display for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}, {} cores available, {:.1} GiB RAM, Linux {}",
            self.cpu, self.cores, self.memory_gib, self.kernel
        )
    }
}

/// A scratch directory under the system temp dir, removed when dropped (unless kept).
pub struct ScratchDir {
    path: std::path::PathBuf,
    keep: bool,
}

impl ScratchDir {
    pub fn new(prefix: &str) -> std::io::Result<Self> {
        let path = std::env::temp_dir().join(format!(
            "{prefix}{}-{}",
            std::process::id(),
            hex::encode(rand::random::<[u8; 4]>())
        ));
        std::fs::create_dir_all(&path)?;
        Ok(ScratchDir { path, keep: false })
    }
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
    pub fn keep(mut self) -> std::path::PathBuf {
        self.keep = true;
        self.path.clone()
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Resident memory of this process from /proc/self/status: (VmHWM, VmRSS) in KiB.
pub fn own_memory_kib() -> Option<(u64, u64)> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_pick_the_median_and_tail() {
        let v = (1..=100).map(Duration::from_millis).collect();
        let s = Stats::from(v);
        assert_eq!(s.n, 100);
        assert_eq!(s.median, Duration::from_millis(51));
        assert_eq!(s.p99, Duration::from_millis(99));
        assert_eq!(s.max, Duration::from_millis(100));
    }

    #[test]
    fn table_escapes_pipes_and_says_why_a_row_was_not_measured() {
        let rows = [Row::not_measured(
            "PostgreSQL",
            "GET /me",
            "≥ 0.5×",
            "no service | yet",
        )];
        let t = markdown_table(&rows);
        assert!(t.contains("not measured: no service \\| yet"), "{t}");
    }
}
