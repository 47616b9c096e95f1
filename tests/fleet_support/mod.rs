//! Real `wxlogin serve` processes on loopback for the fleet tests: each with its own config
//! file, the shared test database and WeChat emulator.
#![allow(dead_code)]

use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use wxlogin::mock_wechat::{DEMO_APPID, DEMO_SECRET};

/// A haproxy running `cfg` from a file in `dir` (kept alive with it), killed on drop.
pub fn spawn_haproxy(bin: &str, dir: &tempfile::TempDir, cfg: &str) -> tokio::process::Child {
    let path = dir.path().join("haproxy.cfg");
    std::fs::write(&path, cfg).unwrap();
    tokio::process::Command::new(bin)
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start haproxy")
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn write_private(path: &std::path::Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .expect("create a private file");
    f.write_all(text.as_bytes()).unwrap();
}

pub struct Serve {
    pub child: tokio::process::Child,
    pub port: u16,
    pub base: String,
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Serve {
    /// Starts `wxlogin serve` on a free port and waits until `/healthz` answers 200.
    /// `service_toml` is added to the `[service]` section.
    pub async fn start(db_url: &str, wechat_base: &str, service_toml: &str) -> Serve {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = format!(
            "[wechat]\nbase_url = \"{wechat_base}\"\n\n[service]\nlisten = \"127.0.0.1:{port}\"\n{service_toml}\n\n\
             [[apps]]\nappid = \"{DEMO_APPID}\"\nsecret = \"{DEMO_SECRET}\"\n"
        );
        let config_file = dir.path().join("wxlogin.toml");
        write_private(&config_file, &config);
        let key_file = dir.path().join("data.key");
        write_private(&key_file, &crate::common::data_key().to_base64());
        let log = dir.path().join("serve.log");
        // The pinned binary when WXLOGIN_TEST_BIN names one, as cli_support::binary() does:
        // the shared target directory's binary may be another worktree's.
        let bin = std::env::var_os("WXLOGIN_TEST_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_wxlogin").into());
        let child = tokio::process::Command::new(bin)
            .arg("--config")
            .arg(&config_file)
            .arg("serve")
            .arg("--allow-insecure-wechat")
            .env("DATABASE_URL", db_url)
            .env("WXLOGIN_DATA_KEY_FILE", &key_file)
            .env("RUST_LOG", "warn")
            .env_remove("WXLOGIN_CONFIG")
            .env_remove("WXLOGIN_DATA_KEY")
            .env_remove("WXLOGIN_APPID")
            .env_remove("WXLOGIN_APP_SECRET")
            .env_remove("WXLOGIN_APP_SECRET_FILE")
            .env_remove("WXLOGIN_WECHAT_BASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .kill_on_drop(true)
            .spawn()
            .expect("start wxlogin serve");
        let mut s = Serve {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http.get(format!("{}/healthz", s.base)).send().await
                && r.status().is_success()
            {
                return s;
            }
            if let Some(status) = s.child.try_wait().unwrap() {
                panic!("wxlogin serve exited ({status}):\n{}", s.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "wxlogin serve did not answer /healthz within 30 s:\n{}",
                s.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// Sends SIGTERM, as systemd or Kubernetes would.
    pub fn sigterm(&self) {
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill -TERM failed");
    }

    /// Waits for the process to exit (at most `within`) and returns its exit code.
    pub async fn wait(&mut self, within: Duration) -> i32 {
        let status = tokio::time::timeout(within, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("wxlogin serve still running:\n{}", self.log_text()))
            .unwrap();
        status.code().unwrap_or(-1)
    }
}
