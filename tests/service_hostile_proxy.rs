//! `wxlogin serve` refuses to start when `[service] trusted_ip_header` is set and
//! `trusted_proxies` is empty (issue 26, L1): every client could then choose its own address
//! and walk past the per-address budgets. Through the real binary.

mod cli_support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn serve(dir: &std::path::Path, config: &str) -> Command {
    let path = dir.join("wxlogin.toml");
    std::fs::write(&path, config).unwrap();
    let mut cmd = Command::new(cli_support::binary());
    cmd.arg("--config")
        .arg(&path)
        .arg("serve")
        .args(["--listen", "127.0.0.1:0", "--allow-insecure-wechat"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("wx.db").display()),
        )
        .env(
            "WXLOGIN_DATA_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )
        .env("WXLOGIN_APPID", "wxtest0000000001")
        .env("WXLOGIN_APP_SECRET", "not-a-real-secret")
        .env("WXLOGIN_WECHAT_BASE_URL", "http://127.0.0.1:9080")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Waits until the child exits (its status and stderr) or says it is listening (None).
fn exit_or_listening(mut child: Child) -> (Option<std::process::ExitStatus>, Vec<String>) {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                let listening = line.contains("listening on http://127.0.0.1:");
                seen.push(line);
                if listening {
                    let _ = child.kill();
                    let _ = child.wait();
                    return (None, seen);
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if let Some(status) = child.try_wait().unwrap() {
                    seen.extend(rx.try_iter());
                    return (Some(status), seen);
                }
            }
            Err(_) => {
                let status = child.wait().unwrap();
                return (Some(status), seen);
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("serve neither exited nor listened within 60 s: {seen:?}");
}

#[test]
fn a_trusted_ip_header_without_trusted_proxies_is_refused_at_start_naming_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let child = serve(
        dir.path(),
        "[service]\ntrusted_ip_header = \"X-Forwarded-For\"\n",
    )
    .spawn()
    .unwrap();
    let (status, stderr) = exit_or_listening(child);
    let text = stderr.join("\n");
    let status = status.unwrap_or_else(|| {
        panic!("serve started and believes X-Forwarded-For from anyone:\n{text}")
    });
    // A configuration error, as every invalid `[service]` value is (exit 1, nothing started).
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(!text.contains("listening"), "{text}");
    assert!(text.contains("trusted_ip_header"), "{text}");
    assert!(text.contains("trusted_proxies"), "{text}");
    assert!(
        text.contains("10.0.0.0/8") || text.contains("127.0.0.1"),
        "an example of what to set: {text}"
    );
}

#[test]
fn a_trusted_ip_header_with_trusted_proxies_starts() {
    let dir = tempfile::tempdir().unwrap();
    let child = serve(
        dir.path(),
        "[service]\ntrusted_ip_header = \"X-Forwarded-For\"\ntrusted_proxies = [\"127.0.0.1/32\"]\n",
    )
    .spawn()
    .unwrap();
    let (status, stderr) = exit_or_listening(child);
    assert_eq!(status, None, "serve did not start: {stderr:?}");
}
