//! Exec requests run inside the door's process: a large CSV streamed to a slow OpenSSH client
//! with the door's memory bounded, the parser's own help and completions on the channel, a
//! command that panics ending alone. SQLite always, PostgreSQL when WXLOGIN_TEST_PG_URL is set.

mod common;
mod console_support;
mod ssh_support;

use std::io::{Read, Write};
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ssh_support::*;
use wxlogin::bench::synth::Shape;
use wxlogin::store::SessionFilter;

/// A `/proc/PID/status` field in KiB (`VmRSS`, `VmHWM`).
fn proc_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

store_test!(
    a_100k_session_csv_streams_to_a_slow_openssh_client_without_growing_the_door,
    |db| {
        if !have("ssh", "-V") {
            eprintln!("note: ssh is not installed; the streaming test is skipped");
            return;
        }
        wxlogin::bench::seed::seed(
            &db,
            &common::data_key(),
            &common::operator("seed"),
            Shape::new(100_000, None, 7),
        )
        .await
        .expect("seed");
        let all = SessionFilter {
            include_inactive: true,
            ..Default::default()
        };
        let total = db.count_sessions(&all).await.expect("count");
        assert!(total >= 100_000, "{total}");
        let alice = key(1);
        let door = Door::start(
            &db.url,
            &operators_toml(&[("alice-op", "viewer", &alice)]),
            &[],
        );
        let pid = door.child.id();
        let key_file = write_private_key(door.dir.path(), &alice);
        let ssh = |line: &str| {
            let mut c = Command::new("ssh");
            c.args(openssh_args(&door, &key_file))
                .args(["127.0.0.1", line])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            c
        };
        // Warm the door up (its pool, its allocator) before taking the baseline.
        let warm = tokio::task::spawn_blocking({
            let mut c = ssh("sessions list --limit 1000 --format csv");
            move || c.output().expect("ssh")
        })
        .await
        .expect("join");
        assert!(warm.status.success(), "{warm:?}\n{}", door.log());
        let baseline = proc_kib(pid, "VmHWM");

        let mut child = ssh("sessions list --all --include-revoked --format csv")
            .spawn()
            .expect("ssh");
        let mut stdout = child.stdout.take().expect("stdout");
        // A slow reader: nothing is read for two seconds, then a little at a time.
        let counted = tokio::task::spawn_blocking(move || {
            std::thread::sleep(Duration::from_secs(2));
            let mut buf = vec![0u8; 16 * 1024];
            let (mut bytes, mut lines, mut slow) = (0u64, 0u64, 0u32);
            loop {
                let n = stdout.read(&mut buf).expect("read");
                if n == 0 {
                    break;
                }
                bytes += n as u64;
                lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
                if slow < 40 {
                    slow += 1;
                    std::thread::sleep(Duration::from_millis(25));
                }
            }
            (bytes, lines)
        })
        .await
        .expect("join");
        let status = child.wait().expect("wait");
        let (bytes, lines) = counted;
        assert!(status.success(), "{status:?}\n{}", door.log());
        assert_eq!(lines, total + 1, "the header and every session");
        assert!(bytes > 10 * 1024 * 1024, "only {bytes} bytes: not a test");
        let peak = proc_kib(pid, "VmHWM");
        let grown = peak.saturating_sub(baseline) * 1024;
        assert!(
            grown < bytes / 4,
            "the door's peak RSS grew by {grown} bytes for {bytes} bytes of output"
        );
        // One process: the door started none for the command.
        let children =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        assert!(children.trim().is_empty(), "children: {children}");
    }
);

store_test!(
    help_usage_and_completions_come_from_the_parser_and_simulate_is_refused,
    |db| {
        let _fx = console_support::fixture_at(&db, chrono::Utc::now()).await;
        let alice = key(1);
        let door = Door::start(
            &db.url,
            &operators_toml(&[("alice-op", "oncall", &alice)]),
            &[],
        );
        let h = door.login(&alice).await;

        let out = exec(&h, "sessions list --help", b"").await;
        assert_eq!(out.status, Some(0), "{out:?}");
        assert!(out.stdout.contains("--format"), "{out:?}");
        assert!(out.stderr.is_empty(), "{out:?}");
        // Plain text: the channel is not a terminal.
        assert!(!out.stdout.contains('\u{1b}'), "{out:?}");

        let out = exec(&h, "completions bash", b"").await;
        assert_eq!(out.status, Some(0), "{out:?}");
        assert!(out.stdout.contains("_wxlogin"), "{out:?}");

        let out = exec(&h, "simulate --users 1", b"").await;
        assert_eq!(out.status, Some(2), "{out:?}");
        assert!(
            out.stderr.contains("cannot be run through the door"),
            "{out:?}"
        );

        // A change without --yes is refused: there is no terminal to ask on (exit 4).
        let out = exec(&h, "sessions revoke --username alice --reason x", b"").await;
        assert_eq!(out.status, Some(4), "{out:?}");
        assert!(out.stderr.contains("--yes"), "{out:?}");

        // Nothing matched: the command's own exit code and message.
        let out = exec(&h, "accounts history --account 999999", b"").await;
        assert_eq!(out.status, Some(3), "{out:?}");
        assert!(out.stderr.contains("no account with id 999999"), "{out:?}");
    }
);

/// Log lines of this test process (the in-process door's `tracing` output).
#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A runner that panics on `boom` (after writing a line) and answers every other command with
/// the operator's name: no command of the real CLI can be made to panic from outside.
fn panicking_runner(
    argv: Vec<String>,
    remote: wxlogin::ssh::exec::Remote,
) -> Pin<Box<dyn std::future::Future<Output = u8> + Send>> {
    Box::pin(async move {
        let mut io = remote.io;
        if argv.get(1).map(String::as_str) == Some("boom") {
            let _ = writeln!(io.out, "before the panic");
            let _ = io.out.flush();
            panic!("a bug in a command");
        }
        let _ = writeln!(io.out, "ok {}", remote.actor.operator);
        let _ = io.out.flush();
        0
    })
}

/// A connection to the in-process door at `addr`, authenticated with `key` (waits for the door
/// to listen).
async fn login(
    addr: std::net::SocketAddr,
    key: &russh::keys::PrivateKey,
) -> russh::client::Handle<Client> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut h = loop {
        let config = Arc::new(russh::client::Config::default());
        match russh::client::connect(config, addr, Client::default()).await {
            Ok(h) => break h,
            Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("the door did not come up: {e}"),
        }
    };
    let ok = h
        .authenticate_publickey(
            "whoever",
            russh::keys::PrivateKeyWithHashAlg::new(Arc::new(key.clone()), None),
        )
        .await
        .expect("auth");
    assert!(ok.success());
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_that_panics_ends_alone_and_the_door_keeps_serving() {
    let logs = LogBuf::default();
    let writer = logs.clone();
    let _ = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_env_filter("info")
        .try_init();
    let db = common::sqlite_db().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = key(1);
    std::fs::write(
        dir.path().join("operators.toml"),
        operators_toml(&[("alice-op", "oncall", &alice)]),
    )
    .expect("operators");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let global = wxlogin::config::GlobalOpts {
        database_url: Some(db.url.clone()),
        ..Default::default()
    };
    let args = wxlogin::ssh::SshServerArgs {
        listen: Some(addr.to_string()),
        host_key: Some(dir.path().join("host_key")),
        operators: Some(dir.path().join("operators.toml")),
        ..Default::default()
    };
    let server = tokio::spawn(async move {
        wxlogin::ssh::run(
            &global,
            &wxlogin::config::ConfigFile::default(),
            args,
            panicking_runner,
        )
        .await
    });
    let h = login(addr, &alice).await;
    let out = exec(&h, "boom", b"").await;
    assert_eq!(out.status, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("internal error"),
        "the operator is told: {out:?}"
    );
    assert!(!out.stderr.contains("a bug in a command"), "{out:?}");
    assert_eq!(
        out.stdout, "before the panic\n",
        "what it wrote before is kept"
    );
    let log = String::from_utf8_lossy(&logs.0.lock().expect("log")).into_owned();
    assert!(
        log.contains("ERROR") && log.contains("panicked") && log.contains("a bug in a command"),
        "{log}"
    );

    // The same connection and a new one are served; the server task is still running.
    let out = exec(&h, "hello", b"").await;
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(out.stdout, "ok alice-op\n");
    let again = login(addr, &alice).await;
    let out = exec(&again, "hello", b"").await;
    assert_eq!(out.status, Some(0), "{out:?}");
    assert!(!server.is_finished());
    server.abort();
}

store_test!(
    audit_operator_filters_through_the_door_while_identity_options_stay_refused,
    |db| {
        let _fx = console_support::fixture_at(&db, chrono::Utc::now()).await;
        let (alice, bob) = (key(1), key(2));
        let door = Door::start(
            &db.url,
            &operators_toml(&[("alice-op", "oncall", &alice), ("bob-op", "support", &bob)]),
            &[],
        );
        let ha = door.login(&alice).await;
        let hb = door.login(&bob).await;
        let out = exec(&ha, "accounts unlock alice --reason 'drill a' --yes", b"").await;
        assert_eq!(out.status, Some(0), "{out:?}");
        let out = exec(&hb, "accounts unlock bob --reason 'drill b' --yes", b"").await;
        assert_eq!(out.status, Some(0), "{out:?}");

        // `audit --operator NAME` is the audit's filter: bob sees alice's actions only, and the
        // command still runs as bob (nothing about who acts changed).
        for line in [
            "audit --operator alice-op --json",
            "audit --json --operator=alice-op",
        ] {
            let out = exec(&hb, line, b"").await;
            assert_eq!(out.status, Some(0), "{line}: {out:?}");
            let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
            let entries = v["entries"].as_array().expect("entries");
            assert!(!entries.is_empty(), "{line}: {v}");
            assert!(
                entries.iter().all(|e| e["operator"] == "alice-op"),
                "{line}: {v}"
            );
            assert!(
                entries
                    .iter()
                    .any(|e| e["action"] == "account.unlock" && e["reason"] == "drill a"),
                "{line}: {v}"
            );
        }
        let out = exec(&ha, "audit --operator nobody-at-all --json", b"").await;
        assert_eq!(out.status, Some(0), "{out:?}");
        assert!(out.stdout.contains("\"entries\": []"), "{out:?}");

        // As a global option (before the command) --operator is still the identity, refused;
        // so are the other identity and database options, wherever they are.
        for line in [
            "--operator alice-op audit",
            "--operator=alice-op sessions list",
            "sessions list --operator alice-op",
            "audit --role oncall",
            "audit --database-url sqlite:///tmp/x.db",
            "--config /etc/x.toml audit",
            "exchange --allow-insecure-wechat --code-stdin",
        ] {
            let out = exec(&hb, line, b"").await;
            assert_eq!(out.status, Some(2), "{line}: {out:?}");
            assert!(
                out.stderr.contains("not accepted through the door"),
                "{line}: {out:?}"
            );
        }
    }
);

store_test!(
    exec_words_with_nul_or_control_characters_are_refused_with_exit_2_naming_the_word,
    |db| {
        let _fx = console_support::fixture_at(&db, chrono::Utc::now()).await;
        let alice = key(1);
        let door = Door::start(
            &db.url,
            &operators_toml(&[("alice-op", "oncall", &alice)]),
            &[],
        );
        let h = door.login(&alice).await;
        for (line, word, what) in [
            (
                "sessions list --username 'ali\u{0}ce'".to_owned(),
                "word 4 of the command",
                "a NUL character (U+0000)",
            ),
            (
                "accounts unlock alice --reason 'x\u{1b}[2Jy' --yes".to_owned(),
                "word 5 of the command",
                "a control character (U+001B)",
            ),
            (
                "sessions list --username 'bob\u{202e}'".to_owned(),
                "word 4 of the command",
                "a bidirectional control character (U+202E)",
            ),
        ] {
            let out = exec(&h, &line, b"").await;
            assert_eq!(out.status, Some(2), "{line:?}: {out:?}");
            assert!(out.stderr.contains(word), "{line:?}: {out:?}");
            assert!(out.stderr.contains(what), "{line:?}: {out:?}");
            assert!(
                !out.stderr.contains('\u{1b}') && !out.stderr.contains('\u{0}'),
                "the raw character reached the message: {out:?}"
            );
            assert!(out.stdout.is_empty(), "{out:?}");
        }
        // Not UTF-8 at all.
        let mut ch = h.channel_open_session().await.expect("open");
        ch.exec(true, &b"sessions list --username \xff\xfe"[..])
            .await
            .expect("exec");
        let mut status = None;
        let mut stderr = String::new();
        while let Ok(Some(msg)) = tokio::time::timeout(WAIT, ch.wait()).await {
            match msg {
                russh::ChannelMsg::ExtendedData { data, .. } => {
                    stderr.push_str(&String::from_utf8_lossy(&data))
                }
                russh::ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                russh::ChannelMsg::Close => break,
                _ => {}
            }
        }
        assert_eq!(status, Some(2), "{stderr}");
        assert!(stderr.contains("not UTF-8"), "{stderr}");

        // Nothing of it reached the database: no unlock was audited.
        assert!(
            common::audit_rows(&db, "account.unlock").await.is_empty(),
            "an unlock with a refused reason was written"
        );
        // And the connection goes on.
        let out = exec(&h, "sessions list --limit 1 --json", b"").await;
        assert_eq!(out.status, Some(0), "{out:?}");
    }
);
