//! An exec request: one headless command, run as a child process of this binary.
//!
//! No shell is involved: the command line is split into words with shell-style quoting, checked
//! with wxlogin's own argument parser, and the words become the child's argv as they are. The
//! child's environment is built from nothing: the operator's name and role and the connection
//! (`SSH_CONNECTION`, from which the origin `ssh:<address>` is derived), the key's fingerprint,
//! and the server's own database and configuration. A child that panics ends only itself.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;

use russh::ChannelWriteHalf;
use russh::server::Msg;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;
use tokio::sync::mpsc;

use super::Door;
use super::session::{ACCEPTED_ENV, Input};
use crate::operator::Actor;
use crate::sanitize::for_terminal;

/// Commands that make no sense through the door.
pub const REFUSED_COMMANDS: [&str; 8] = [
    "serve",
    "ssh-server",
    "mock-wechat",
    "demo",
    "bench",
    "seed-synthetic",
    "migrate",
    "console",
];

/// Global options that would change who is acting or which database is used.
pub const REFUSED_OPTIONS: [&str; 4] = ["--operator", "--role", "--database-url", "--config"];

/// Server environment variables the command needs and may see (the data key).
const PASSED_ENV: [&str; 5] = [
    "WXLOGIN_DATA_KEY",
    "WXLOGIN_DATA_KEY_FILE",
    "HOME",
    "XDG_DATA_HOME",
    "TZ",
];

/// The name the door gives the key fingerprint in the command's environment.
pub const KEY_ENV: &str = "WXLOGIN_SSH_KEY_FINGERPRINT";

/// Splits and checks a command line. `Ok` is the argv (without the program name).
pub fn words(line: &str, check: super::ExecCheck) -> Result<Vec<String>, String> {
    let words =
        shell_words::split(line).map_err(|e| format!("cannot split the command line: {e}"))?;
    if words.is_empty() {
        return Err(
            "no command given. Use `ssh -t` for the console, or e.g. `sessions list --json`".into(),
        );
    }
    for w in &words {
        if w == "--" {
            break;
        }
        let name = w.split('=').next().unwrap_or(w);
        if REFUSED_OPTIONS.contains(&name) {
            return Err(format!(
                "{name} is not accepted through the door: your key decides who you are, and the server which database"
            ));
        }
    }
    if let Some(first) = words.iter().find(|w| !w.starts_with('-'))
        && REFUSED_COMMANDS.contains(&first.as_str())
    {
        return Err(format!(
            "`{}` cannot be run through the door{}",
            for_terminal(first),
            if first == "console" {
                ": use `ssh -t` to get the console"
            } else {
                ""
            }
        ));
    }
    let mut argv = vec!["wxlogin".to_owned()];
    argv.extend(words.iter().cloned());
    check(&argv)?;
    Ok(words)
}

/// Everything one command needs.
pub struct Job {
    pub door: Arc<Door>,
    pub actor: Actor,
    pub fingerprint: String,
    pub peer: SocketAddr,
    pub line: String,
    pub env: Vec<(String, String)>,
}

/// Runs the command with the channel as its stdin, stdout and stderr.
pub async fn run(job: Job, write: ChannelWriteHalf<Msg>, mut input: mpsc::Receiver<Input>) {
    let argv = match words(&job.line, job.door.check) {
        Ok(w) => w,
        Err(msg) => {
            tracing::warn!(peer = %job.peer, operator = %job.actor.operator, reason = %msg, "ssh exec refused");
            let _ = write
                .extended_data_bytes(1, format!("wxlogin: {msg}\n").into_bytes())
                .await;
            finish(&write, 2).await;
            return;
        }
    };
    tracing::warn!(peer = %job.peer, operator = %job.actor.operator, role = %job.actor.role, fingerprint = %job.fingerprint, command = %for_terminal(argv.first().map(String::as_str).unwrap_or("")), "ssh exec");
    let mut cmd = Command::new(&job.door.exe);
    cmd.args(&argv)
        .env_clear()
        .env("WXLOGIN_OPERATOR", &job.actor.operator)
        .env("WXLOGIN_ROLE", job.actor.role.as_str())
        .env(
            "SSH_CONNECTION",
            format!(
                "{} {} {} {}",
                job.peer.ip(),
                job.peer.port(),
                job.door.local_addr.ip(),
                job.door.local_addr.port()
            ),
        )
        .env(KEY_ENV, &job.fingerprint)
        .env("DATABASE_URL", &job.door.database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(c) = &job.door.config_path {
        cmd.env("WXLOGIN_CONFIG", c);
    }
    for k in PASSED_ENV {
        if let Some(v) = std::env::var_os(k) {
            cmd.env(k, v);
        }
    }
    for (k, v) in &job.env {
        if ACCEPTED_ENV.contains(&k.as_str()) && k != "TERM" {
            cmd.env(k, v);
        }
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "ssh exec could not start the command");
            let _ = write
                .extended_data_bytes(
                    1,
                    &b"wxlogin: the command could not be started (logged)\n"[..],
                )
                .await;
            finish(&write, 1).await;
            return;
        }
    };
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let write = Arc::new(write);
    let out_task = {
        let write = write.clone();
        async move {
            let mut buf = vec![0u8; 16 * 1024];
            while let Some(s) = stdout.as_mut() {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if write.data_bytes(buf[..n].to_vec()).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }
    };
    let err_task = {
        let write = write.clone();
        async move {
            let mut buf = vec![0u8; 16 * 1024];
            while let Some(s) = stderr.as_mut() {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if write
                            .extended_data_bytes(1, buf[..n].to_vec())
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                }
            }
        }
    };
    let in_task = async move {
        while let Some(msg) = input.recv().await {
            match msg {
                Input::Data(bytes) => {
                    if let Some(s) = stdin.as_mut()
                        && s.write_all(&bytes).await.is_err()
                    {
                        stdin = None;
                    }
                }
                Input::Eof => stdin = None,
                Input::Resize(..) => {}
            }
        }
        // The client went away: nothing more will come.
        drop(stdin);
        std::future::pending::<()>().await;
    };
    let status = tokio::select! {
        status = async {
            let (_, _, status) = tokio::join!(out_task, err_task, child.wait());
            status
        } => status,
        _ = in_task => unreachable!("in_task never ends"),
    };
    let code = match status {
        Ok(s) => s.code().unwrap_or(1) as u32,
        Err(_) => 1,
    };
    tracing::info!(peer = %job.peer, operator = %job.actor.operator, exit = code, "ssh exec finished");
    finish(&write, code).await;
}

async fn finish(write: &ChannelWriteHalf<Msg>, code: u32) {
    let _ = write.exit_status(code).await;
    let _ = write.eof().await;
    let _ = write.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(_: &[String]) -> Result<(), String> {
        Ok(())
    }

    #[test]
    fn quoting_is_shell_style_and_nothing_is_interpreted() {
        assert_eq!(
            words(
                r#"sessions revoke --account 42 --reason "lost phone; $(rm -rf /)" --yes"#,
                ok
            )
            .expect("words"),
            vec![
                "sessions",
                "revoke",
                "--account",
                "42",
                "--reason",
                "lost phone; $(rm -rf /)",
                "--yes"
            ]
        );
    }

    #[test]
    fn server_commands_and_identity_options_are_refused() {
        for line in [
            "serve",
            "-v migrate",
            "console",
            "ssh-server --listen 0.0.0.0:22",
            "demo",
        ] {
            assert!(words(line, ok).is_err(), "{line}");
        }
        for line in [
            "sessions list --operator root",
            "--role=oncall sessions list",
            "sessions list --database-url postgres://x",
            "--config /etc/other.toml audit list",
        ] {
            let err = words(line, ok).expect_err(line);
            assert!(err.contains("not accepted through the door"), "{err}");
        }
        assert!(words("sessions list --read-only --json", ok).is_ok());
        assert!(words("", ok).is_err());
        assert!(words("sessions list 'unterminated", ok).is_err());
    }
}
