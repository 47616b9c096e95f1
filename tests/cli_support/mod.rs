//! Runs the real `wxlogin` binary against a test database, as a runbook would.
#![allow(dead_code)]

use std::process::Stdio;

use tokio::io::AsyncWriteExt;

/// The operator and SSH client every test child runs as.
pub const OPERATOR: &str = "oncall-bob";
pub const SSH_CONNECTION: &str = "203.0.113.9 52114 192.0.2.10 22";
pub const ORIGIN: &str = "ssh:203.0.113.9";

/// A finished run: exit code and both streams.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.stdout))
    }

    /// Panics with both streams unless the exit code is `code`.
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The binary under test: `WXLOGIN_TEST_BIN` when set (a pinned copy of this worktree's build,
/// since a target directory shared between worktrees may hold another one's binary), else
/// the one cargo built for this test.
pub fn binary() -> std::ffi::OsString {
    std::env::var_os("WXLOGIN_TEST_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_wxlogin").into())
}

/// `wxlogin ARGS` with `DATABASE_URL` set to `url`, the operator and SSH origin above, and a
/// clean environment otherwise (no config file, no inherited operator or database).
pub fn command(url: &str, args: &[&str]) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(binary());
    c.args(args)
        .env("DATABASE_URL", url)
        .env("WXLOGIN_OPERATOR", OPERATOR)
        .env("SSH_CONNECTION", SSH_CONNECTION)
        .env_remove("WXLOGIN_CONFIG")
        .env_remove("SUDO_USER")
        .env_remove("RUST_LOG")
        .env_remove("WXLOGIN_DATA_KEY")
        .env_remove("WXLOGIN_DATA_KEY_FILE")
        .env_remove("WXLOGIN_APPID")
        .env_remove("WXLOGIN_APP_SECRET")
        .env_remove("WXLOGIN_APP_SECRET_FILE")
        .env_remove("WXLOGIN_WECHAT_BASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

/// Runs `cmd` with `stdin` piped in (or nothing) and waits for it.
pub async fn run_cmd(mut cmd: tokio::process::Command, stdin: Option<&str>) -> Run {
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("spawn wxlogin");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        // A command that refuses before it reads (bad input, a read-only role) may exit before
        // the write: its stdin is then closed, which is not the test's failure to report.
        match pipe.write_all(input.as_bytes()).await {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            r => r.expect("write stdin"),
        }
        drop(pipe);
    }
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        child.wait_with_output(),
    )
    .await
    .expect("wxlogin did not finish within 2 minutes")
    .expect("wait for wxlogin");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub async fn wx(url: &str, args: &[&str]) -> Run {
    run_cmd(command(url, args), None).await
}

pub async fn wx_stdin(url: &str, args: &[&str], stdin: &str) -> Run {
    run_cmd(command(url, args), Some(stdin)).await
}

/// insta filters that replace what changes from run to run (ids, times, cursors).
pub fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"ses_[0-9a-f]{20}", "[public_id]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[time]"),
        (
            r#""next_cursor": "[A-Za-z0-9_-]+""#,
            r#""next_cursor": "[cursor]""#,
        ),
        (r#""(account_id|id)": \d+"#, r#""$1": "[id]""#),
        (r"account:\d+", "account:[id]"),
    ]
}

/// Asserts a JSON output snapshot named `name`, the same for SQLite and PostgreSQL.
#[macro_export]
macro_rules! assert_json_snapshot_named {
    ($name:expr, $text:expr) => {
        insta::with_settings!({ filters => $crate::cli_support::filters(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $text);
        });
    };
}

/// Runs `wxlogin ARGS` on a pseudo-terminal (util-linux `script`), answering each prompt in
/// `dialog` (text to wait for, line to type) once it appears. Stdout and stderr both arrive in
/// `Run::stdout`, as on a terminal. `None` when `script` is not installed.
pub async fn wx_tty(url: &str, args: &[&str], dialog: &[(&str, &str)]) -> Option<Run> {
    use tokio::io::AsyncReadExt;
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("note: util-linux `script` not found; terminal test skipped");
        return None;
    }
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = quote(&binary().to_string_lossy());
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    let mut cmd = command(url, &[]);
    let std_cmd = cmd.as_std_mut();
    let envs: Vec<(std::ffi::OsString, Option<std::ffi::OsString>)> = std_cmd
        .get_envs()
        .map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned())))
        .collect();
    let mut c = tokio::process::Command::new("script");
    c.args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in envs {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let mut child = c.spawn().expect("spawn script");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut seen = String::new();
    let mut transcript = String::new();
    let mut buf = [0u8; 4096];
    for (wait_for, answer) in dialog {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        while !seen.contains(wait_for) {
            let n = tokio::time::timeout_at(deadline, stdout.read(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("no {wait_for:?} on the terminal; got:\n{seen}"))
                .expect("read the terminal");
            if n == 0 {
                panic!("the terminal closed before {wait_for:?}; got:\n{seen}");
            }
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        // Only what follows the prompt counts for the next one.
        let cut = seen.find(wait_for).unwrap() + wait_for.len();
        let (done, rest) = seen.split_at(cut);
        let (done, rest) = (done.to_owned(), rest.to_owned());
        seen = rest;
        transcript.push_str(&done);
        // A person answers after reading the prompt; typing at once could beat the switch to
        // no-echo that follows a password prompt.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        stdin
            .write_all(format!("{answer}\n").as_bytes())
            .await
            .expect("type");
    }
    let mut rest = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(120),
        stdout.read_to_end(&mut rest),
    )
    .await
    .expect("wxlogin did not finish on the terminal")
    .expect("read the terminal");
    let status = child.wait().await.expect("wait for script");
    seen.push_str(&String::from_utf8_lossy(&rest));
    transcript.push_str(&seen);
    Some(Run {
        code: status.code().unwrap_or(-1),
        stdout: transcript,
        stderr: String::new(),
    })
}

/// Panics if any of `secrets` appears in the run's stdout or stderr.
pub fn assert_no_secret(run: &Run, secrets: &[&str]) {
    for s in secrets {
        assert!(
            !run.stdout.contains(s) && !run.stderr.contains(s),
            "a secret was printed:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
}
