//! The operators file decides who gets which role through the door, so the door believes it
//! only when nobody else could have written it, and only when it says one thing per key: a file
//! group or others can write, a key listed twice, or a name with control characters is refused
//! at start (exit 2) and on reload (the previous file stays in force, the log says why).

mod common;
mod ssh_support;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ssh_support::*;

/// Runs `wxlogin ssh-server` with this operators file (mode `mode`) until it exits (it must,
/// within the test's wait); its exit code and stderr.
fn start_with(db_url: &str, operators: &str, mode: u32) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("operators.toml");
    std::fs::write(&path, operators).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxlogin"))
        .arg("--database-url")
        .arg(db_url)
        .arg("ssh-server")
        .args(["--listen", "127.0.0.1:0"])
        .arg("--host-key")
        .arg(dir.path().join("host_key"))
        .arg("--operators")
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wxlogin ssh-server");
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ssh-server started with a file it should refuse");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
        .expect("stderr");
    (status.code(), err)
}

/// Sends SIGHUP and waits for the door to reject the file; the log line that says why.
fn reload_rejected(door: &Door) -> String {
    // The door's own line, one per rejection. Its tracing event says "operators file rejected"
    // too, and reaches the log first: counting both let a reload return on the tracing event
    // and the next reload return on the previous rejection's late line.
    const REJECTED: &str = "wxlogin ssh-server: operators file rejected";
    let before = door.log().matches(REJECTED).count();
    door.signal("HUP");
    let deadline = Instant::now() + WAIT;
    loop {
        let log = door.log();
        if log.matches(REJECTED).count() > before {
            return log
                .lines()
                .rfind(|l| l.contains(REJECTED))
                .expect("line")
                .to_owned();
        }
        assert!(Instant::now() < deadline, "no rejection in the log:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operators_file_group_or_others_can_write_is_refused_at_start_and_on_reload() {
    let db = common::sqlite_db().await;
    let alice = key(1);
    let ops = operators_toml(&[("alice-op", "oncall", &alice)]);

    for (mode, who) in [
        (0o666, "group and others"),
        (0o620, "its group"),
        (0o602, "others"),
    ] {
        let (code, err) = start_with(&db.url, &ops, mode);
        assert_eq!(code, Some(2), "mode {mode:o}: {err}");
        assert!(err.contains(&format!("writable by {who}")), "{err}");
        assert!(err.contains("chmod go-w"), "{err}");
    }

    // A running door keeps its operators when the file becomes writable by others.
    let door = Door::start(&db.url, &ops, &[]);
    let path = door.operators_path();
    let mallory = key(9);
    std::fs::write(
        &path,
        operators_toml(&[
            ("alice-op", "oncall", &alice),
            ("mallory", "oncall", &mallory),
        ]),
    )
    .expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let line = reload_rejected(&door);
    assert!(line.contains("writable by group and others"), "{line}");
    let h = door.login(&alice).await;
    let out = exec(&h, "sessions list --limit 1 --json", b"").await;
    assert_eq!(out.status, Some(0), "{out:?}");
    let mut c = door.connect().await;
    let ok = c
        .authenticate_publickey(
            "mallory",
            russh::keys::PrivateKeyWithHashAlg::new(std::sync::Arc::new(mallory), None),
        )
        .await
        .expect("auth");
    assert!(
        !ok.success(),
        "a key from a file others could write was let in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_listed_twice_or_a_name_with_control_characters_rejects_the_file_naming_them() {
    let db = common::sqlite_db().await;
    let (alice, bob) = (key(1), key(2));
    let fp = fingerprint(alice.public_key());
    let twice = format!(
        "{}{}",
        operators_toml(&[("alice-op", "viewer", &alice), ("bob-op", "viewer", &bob)]),
        operators_toml(&[("alice-op", "oncall", &alice)])
    );

    let (code, err) = start_with(&db.url, &twice, 0o600);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(&format!("key {fp} is listed twice")), "{err}");
    assert!(err.contains("operator #1 (alice-op), key #1"), "{err}");
    assert!(err.contains("operator #3 (alice-op), key #1"), "{err}");

    let door = Door::start(
        &db.url,
        &operators_toml(&[("alice-op", "viewer", &alice), ("bob-op", "viewer", &bob)]),
        &[],
    );
    // The later entry does not win: the whole file is rejected, alice stays a viewer.
    std::fs::write(door.operators_path(), &twice).expect("write");
    let line = reload_rejected(&door);
    assert!(line.contains("listed twice"), "{line}");
    assert!(line.contains("operator #3 (alice-op), key #1"), "{line}");
    let h = door.login(&alice).await;
    let out = exec(&h, "accounts unlock nobody --reason drill --yes", b"").await;
    assert_eq!(out.status, Some(4), "still a viewer: {out:?}");

    for (name, what) in [
        ("alice\\u0000op", "a NUL character (U+0000)"),
        ("alice\\u001b[2Jop", "a control character (U+001B)"),
        (
            "alice\\u202eop",
            "a bidirectional control character (U+202E)",
        ),
        ("alice\\u200bop", "(U+200B)"),
    ] {
        std::fs::write(
            door.operators_path(),
            format!(
                "[[operators]]\nname = \"{name}\"\nrole = \"oncall\"\nkeys = [\"{}\"]\n",
                public_line(&alice)
            ),
        )
        .expect("write");
        let line = reload_rejected(&door);
        assert!(line.contains("operator #1: the name contains"), "{line}");
        assert!(line.contains(what), "{line}");
        assert!(!line.contains('\u{1b}'), "{line:?}");
    }
    // Still the first file's operators.
    let out = exec(&h, "sessions list --limit 1 --json", b"").await;
    assert_eq!(out.status, Some(0), "{out:?}");
}
