//! `wxlogin serve` refuses a WeChat base URL that looks like an emulator (plain http, a
//! loopback or private host) unless `--allow-insecure-wechat` is given.

mod cli_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn serve(dir: &std::path::Path, base_url: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(cli_support::binary());
    cmd.arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
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
        .env("WXLOGIN_WECHAT_BASE_URL", base_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

#[test]
fn an_emulator_looking_wechat_url_is_refused_with_the_flag_named() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "http://127.0.0.1:9080",
        "https://127.0.0.1:9443",
        "https://10.1.2.3",
        "https://localhost:9443",
        "http://api.weixin.qq.com",
    ] {
        let out = serve(dir.path(), url, &[]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {stderr}");
        assert!(
            stderr.contains("--allow-insecure-wechat"),
            "{url}: {stderr}"
        );
        assert!(stderr.contains("mint a login code"), "{url}: {stderr}");
        assert!(!stderr.contains("not-a-real-secret"), "{url}: {stderr}");
    }
}

#[test]
fn with_allow_insecure_wechat_the_service_starts_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = serve(
        dir.path(),
        "http://127.0.0.1:9080",
        &["--allow-insecure-wechat"],
    )
    .spawn()
    .unwrap();
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
    let mut listening = false;
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                listening |= line.contains("listening on http://127.0.0.1:");
                seen.push(line);
                if listening {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if let Some(status) = child.try_wait().unwrap() {
                    panic!("serve exited with {status}: {seen:?}");
                }
            }
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(listening, "serve did not start: {seen:?}");
    assert!(
        seen.iter()
            .any(|l| l.contains("warning") && l.contains("--allow-insecure-wechat")),
        "{seen:?}"
    );
}

#[test]
fn the_real_api_and_public_https_proxies_are_accepted_and_local_hosts_are_not() {
    use wxlogin::service::insecure_wechat_url;
    for ok in [
        "https://api.weixin.qq.com",
        "https://wechat-proxy.example.com:8443",
        "https://203.0.113.7",
    ] {
        assert_eq!(insecure_wechat_url(ok), None, "{ok}");
    }
    for bad in [
        "http://api.weixin.qq.com",
        "https://[::1]:9000",
        "https://[fd00::1]",
        "https://192.168.1.10",
        "https://169.254.1.1",
        "https://mock-wechat",
        "https://wechat.internal",
        "https://emulator.local",
        "not a url",
    ] {
        assert!(insecure_wechat_url(bad).is_some(), "{bad}");
    }
}
