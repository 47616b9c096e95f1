//! Secrets on disk and on the wire, refused rather than warned about (issue 26, L6 and L7):
//!
//! - a data-key file, an AppSecret file, or a config file holding an inline AppSecret or a
//!   database password, that other users can read, is refused (exit 1, with the chmod to run) as
//!   OpenSSH refuses a private key with open permissions;
//! - every command that talks to WeChat, not only `serve`, refuses to send the AppSecret over
//!   plain http:// to a host that is not this machine, unless `--allow-insecure-wechat`.
//!
//! All through the real binary on an embedded database.

mod cli_support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const SECRET: &str = "appsecret-that-must-stay-private";
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn write(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `wxlogin ARGS` with a clean environment, an embedded database in `dir` and `env` added.
fn wx(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut cmd = Command::new(cli_support::binary());
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.join("wx.db").display()),
        )
        .env("WXLOGIN_OPERATOR", "oncall-test")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn wxlogin");
    {
        use std::io::Write;
        let mut pipe = child.stdin.take().unwrap();
        let _ = pipe.write_all(stdin.as_bytes());
    }
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_data_key_file_others_can_read_is_refused_and_a_private_one_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("data.key");
    let path = key.to_str().unwrap();
    for open in [0o644, 0o604, 0o660, 0o640, 0o622] {
        write(&key, KEY, open);
        let out = wx(
            dir.path(),
            &["serve", "--listen", "127.0.0.1:0"],
            &[("WXLOGIN_DATA_KEY_FILE", path)],
            "",
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "mode {open:o}: {err}");
        assert!(
            err.contains("data key file") && err.contains("chmod 600"),
            "mode {open:o}: {err}"
        );
        assert!(!err.contains(KEY), "the key itself is never printed: {err}");
    }
    // Mode 600 passes the key check: the service goes on to the next thing it lacks.
    write(&key, KEY, 0o600);
    let out = wx(
        dir.path(),
        &["serve", "--listen", "127.0.0.1:0"],
        &[("WXLOGIN_DATA_KEY_FILE", path)],
        "",
    );
    let err = stderr(&out);
    assert!(!err.contains("data key file"), "{err}");
    assert!(err.contains("no mini program configured"), "{err}");
}

#[test]
fn a_config_file_with_an_inline_app_secret_that_others_can_read_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("wxlogin.toml");
    let text = format!("[[apps]]\nappid = \"wx0000000000000001\"\nsecret = \"{SECRET}\"\n");
    write(&cfg, &text, 0o644);
    let out = wx(
        dir.path(),
        &["--config", cfg.to_str().unwrap(), "stats", "--json"],
        &[],
        "",
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("holds an AppSecret or a database password") && err.contains("chmod 600"),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");

    write(&cfg, &text, 0o600);
    let out = wx(
        dir.path(),
        &["--config", cfg.to_str().unwrap(), "stats", "--json"],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_config_file_with_a_database_password_that_others_can_read_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("wxlogin.toml");
    write(
        &cfg,
        "database_url = \"postgres://app:pg-password-private@db.example/wx\"\n",
        0o644,
    );
    let out = wx(
        dir.path(),
        &["--config", cfg.to_str().unwrap(), "stats"],
        &[],
        "",
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("can be read or changed by other users"),
        "{err}"
    );
    assert!(!err.contains("pg-password-private"), "{err}");
}

#[test]
fn a_config_file_without_secrets_may_be_world_readable() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("wxlogin.toml");
    write(&cfg, "environment = \"staging\"\n", 0o644);
    let out = wx(
        dir.path(),
        &["--config", cfg.to_str().unwrap(), "stats", "--json"],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn an_app_secret_file_others_can_read_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("app.secret");
    write(&secret, SECRET, 0o644);
    let out = wx(
        dir.path(),
        &["exchange", "--code-stdin"],
        &[
            ("WXLOGIN_APPID", "wx0000000000000001"),
            ("WXLOGIN_APP_SECRET_FILE", secret.to_str().unwrap()),
            ("WXLOGIN_WECHAT_BASE_URL", "http://127.0.0.1:9"),
        ],
        "0a1b2c3d\n",
    );
    let err = stderr(&out);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("AppSecret file") && err.contains("chmod 600"),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");
}

#[test]
fn exchange_refuses_to_send_the_app_secret_in_clear_to_another_host() {
    let dir = tempfile::tempdir().unwrap();
    // A listener on a non-loopback name would be needed to see a request arrive; instead the
    // refusal must come before any connection: 192.0.2.1 (TEST-NET-1) would only time out.
    let started = std::time::Instant::now();
    let out = wx(
        dir.path(),
        &["exchange", "--code-stdin"],
        &[
            ("WXLOGIN_APPID", "wx0000000000000001"),
            ("WXLOGIN_APP_SECRET", SECRET),
            ("WXLOGIN_WECHAT_BASE_URL", "http://192.0.2.1:8080"),
        ],
        "0a1b2c3d\n",
    );
    let err = stderr(&out);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("refusing to send the AppSecret in clear to 192.0.2.1:8080")
            && err.contains("--allow-insecure-wechat"),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "refused before any connection attempt"
    );

    // With the flag the client is built and goes to the host: this machine's own
    // non-loopback address (a closed port), which the name check counts as another host.
    let own = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").and_then(|_| s.local_addr()));
    let Ok(own) = own.map(|a| a.ip()) else {
        eprintln!("no non-loopback address on this machine: the allowed half is not checked");
        return;
    };
    // Bound for its port, then dropped: the port is closed and a connect is refused at once.
    let closed = std::net::TcpListener::bind((own, 0))
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}");
    let out = wx(
        dir.path(),
        &["--allow-insecure-wechat", "exchange", "--code-stdin"],
        &[
            ("WXLOGIN_APPID", "wx0000000000000001"),
            ("WXLOGIN_APP_SECRET", SECRET),
            ("WXLOGIN_WECHAT_BASE_URL", &url),
        ],
        "0a1b2c3d\n",
    );
    let err = stderr(&out);
    assert!(!err.contains("refusing to send"), "{err}");
    assert!(
        err.contains(&closed.to_string()),
        "it tried {closed}: {err}"
    );
    assert!(!err.contains(SECRET), "{err}");
}

#[test]
fn serve_also_refuses_carrier_grade_nat_and_home_network_names() {
    use wxlogin::service::insecure_wechat_url;
    for bad in [
        "https://100.64.0.1",
        "https://100.127.255.254",
        "https://router.lan",
        "https://wechat.home.arpa",
        "https://[::ffff:100.64.1.1]",
    ] {
        assert!(insecure_wechat_url(bad).is_some(), "{bad}");
    }
    assert_eq!(insecure_wechat_url("https://100.128.0.1"), None);
}
