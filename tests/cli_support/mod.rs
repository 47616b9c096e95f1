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

/// `wxlogin ARGS` with `DATABASE_URL` set to `url`, the operator and SSH origin above, and a
/// clean environment otherwise (no config file, no inherited operator or database).
pub fn command(url: &str, args: &[&str]) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_wxlogin"));
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
        pipe.write_all(input.as_bytes()).await.expect("write stdin");
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
