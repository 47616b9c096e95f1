//! The SSH door under attack, each finding played against the real `wxlogin ssh-server` with
//! raw TCP clients and the real OpenSSH client:
//!
//! - unauthenticated connections that send a banner and then only SSH_MSG_IGNORE cannot keep
//!   an operator out, and are closed by the authentication deadline;
//! - a key downgraded or removed by a reload stops working on a ControlMaster connection that
//!   was opened before;
//! - an exec that does not read its stdin, fed 50 MB, does not freeze its connection.

mod common;
mod console_support;
mod ssh_support;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ssh_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wxlogin::bench::synth::Shape;
use wxlogin::store::SessionFilter;

/// The authentication deadline the hostile tests give the door.
const DEADLINE: Duration = Duration::from_secs(6);

fn deadline_args() -> [String; 2] {
    ["--auth-timeout-secs".into(), DEADLINE.as_secs().to_string()]
}

/// SSH_MSG_IGNORE with an empty string, as an unencrypted binary packet (RFC 4253 §6: length
/// 12, 6 bytes of padding): what a client may send before key exchange, and what resets an
/// inactivity timer.
const IGNORE: [u8; 16] = [0, 0, 0, 12, 6, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// What one hostile connection saw.
#[derive(Debug)]
struct Held {
    /// Where it came from (read in failure messages).
    #[allow(dead_code)]
    from: Ipv4Addr,
    /// Bytes the door sent (its banner and KEXINIT when it took the connection).
    got: usize,
    /// When the door closed it, from the start of the attack; `None`: still open at the end.
    closed_at: Option<Duration>,
}

/// Connects from `from`, sends an SSH banner, then an SSH_MSG_IGNORE every second, and
/// notes when the door closes the connection (giving up at `give_up` after `start`).
async fn hostile(from: Ipv4Addr, door: SocketAddr, start: Instant, give_up: Duration) -> Held {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((from, 0)))
        .expect("bind a loopback source address");
    let mut held = Held {
        from,
        got: 0,
        closed_at: None,
    };
    let Ok(mut s) = socket.connect(door).await else {
        held.closed_at = Some(start.elapsed());
        return held;
    };
    if s.write_all(b"SSH-2.0-hostile_0.1\r\n").await.is_err() {
        held.closed_at = Some(start.elapsed());
        return held;
    }
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let end = tokio::time::sleep_until((start + give_up).into());
    tokio::pin!(end);
    let mut buf = [0u8; 4096];
    loop {
        tokio::select! {
            n = s.read(&mut buf) => match n {
                Ok(0) | Err(_) => {
                    held.closed_at = Some(start.elapsed());
                    return held;
                }
                Ok(n) => held.got += n,
            },
            _ = tick.tick() => {
                if s.write_all(&IGNORE).await.is_err() {
                    held.closed_at = Some(start.elapsed());
                    return held;
                }
            }
            _ = &mut end => return held,
        }
    }
}

/// Runs `sessions list --limit 1 --json` with the real `ssh` and the operator's key; how long
/// it took, and its output.
async fn operator_exec(
    door: &Door,
    key_file: &std::path::Path,
) -> (Duration, std::process::Output) {
    let mut c = Command::new("timeout");
    c.args(["20", "ssh"])
        .args(openssh_args(door, key_file))
        .args(["127.0.0.1", "sessions list --limit 1 --json"])
        .stdin(Stdio::null());
    let t = Instant::now();
    let out = tokio::task::spawn_blocking(move || c.output().expect("run ssh"))
        .await
        .expect("join");
    (t.elapsed(), out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_unauthenticated_connections_do_not_keep_an_operator_out_and_are_closed_by_the_deadline()
 {
    if !have("ssh", "-V") {
        eprintln!("note: ssh is not installed; the test is skipped");
        return;
    }
    let db = common::sqlite_db().await;
    let alice = key(1);
    let door = Door::start(
        &db.url,
        &operators_toml(&[("alice-op", "viewer", &alice)]),
        &deadline_args().each_ref().map(String::as_str),
    );
    let key_file = write_private_key(door.dir.path(), &alice);

    // 40 connections from 40 addresses (an IPv6 host has as many as it likes), each sending
    // a banner and then only SSH_MSG_IGNORE: more than the door's 32 connections.
    let start = Instant::now();
    let give_up = DEADLINE + Duration::from_secs(20);
    let attack: Vec<_> = (0..40u8)
        .map(|i| {
            tokio::spawn(hostile(
                Ipv4Addr::new(127, 0, 0, 10 + i),
                door.addr,
                start,
                give_up,
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;

    // The operator gets in at once, while the attack is going on.
    let (took, out) = operator_exec(&door, &key_file).await;
    let at = start.elapsed();
    assert!(
        out.status.success(),
        "the operator was refused during the attack: {out:?}\ndoor log:\n{}",
        door.log()
    );
    assert!(
        took < Duration::from_secs(5),
        "the operator waited {took:?}"
    );
    assert!(
        at < DEADLINE,
        "the operator got in {at:?} after the attack began, when the deadline ({DEADLINE:?}) had already freed slots"
    );

    // Every hostile connection is closed by the deadline (with some slack for a loaded
    // machine); some were held until then, so it was the deadline that closed them.
    let mut held = Vec::new();
    for t in attack {
        held.push(t.await.expect("join"));
    }
    let slack = Duration::from_secs(5);
    let open: Vec<_> = held
        .iter()
        .filter(|h| h.closed_at.is_none_or(|c| c > DEADLINE + slack))
        .collect();
    assert!(
        open.is_empty(),
        "{} hostile connections outlived the {DEADLINE:?} deadline: {open:?}\ndoor log:\n{}",
        open.len(),
        door.log()
    );
    let at_deadline = held
        .iter()
        .filter(|h| {
            h.got > 0
                && h.closed_at
                    .is_some_and(|c| c + Duration::from_secs(1) >= DEADLINE)
        })
        .count();
    assert!(
        at_deadline > 0,
        "none was held until the deadline: {held:?}"
    );
    door.wait_log("not authenticated within");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_address_holds_at_most_its_share_of_unauthenticated_connections() {
    if !have("ssh", "-V") {
        eprintln!("note: ssh is not installed; the test is skipped");
        return;
    }
    let db = common::sqlite_db().await;
    let alice = key(1);
    let door = Door::start(
        &db.url,
        &operators_toml(&[("alice-op", "viewer", &alice)]),
        &[
            "--auth-timeout-secs",
            &DEADLINE.as_secs().to_string(),
            "--max-unauthenticated-per-address",
            "3",
        ],
    );
    let key_file = write_private_key(door.dir.path(), &alice);
    let start = Instant::now();
    let give_up = DEADLINE + Duration::from_secs(20);
    let from = Ipv4Addr::new(127, 0, 0, 2);
    let mut attack = Vec::new();
    for _ in 0..10 {
        attack.push(tokio::spawn(hostile(from, door.addr, start, give_up)));
        // One after the other, so that which ones the door takes is not a race.
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, out) = operator_exec(&door, &key_file).await;
    assert!(out.status.success(), "{out:?}\n{}", door.log());

    let mut held = Vec::new();
    for t in attack {
        held.push(t.await.expect("join"));
    }
    let taken = held.iter().filter(|h| h.got > 0).count();
    assert_eq!(
        taken, 3,
        "the door took {taken} of one address's connections: {held:?}"
    );
    for h in &held {
        let closed = h.closed_at.expect("closed");
        if h.got > 0 {
            assert!(closed + Duration::from_secs(1) >= DEADLINE, "{h:?}");
            assert!(closed <= DEADLINE + Duration::from_secs(5), "{h:?}");
        } else {
            assert!(closed < Duration::from_secs(2), "refused at once: {h:?}");
        }
    }
    door.wait_log("too many unauthenticated connections from this address");
}

store_test!(
    a_downgraded_then_removed_key_is_refused_on_the_next_exec_over_a_controlmaster_connection,
    |db| {
        if !have("ssh", "-V") {
            eprintln!("note: ssh is not installed; the test is skipped");
            return;
        }
        let _fx = console_support::fixture_at(&db, chrono::Utc::now()).await;
        let (alice, bob) = (key(1), key(2));
        let fp = fingerprint(alice.public_key());
        let door = Door::start(
            &db.url,
            &operators_toml(&[("alice-op", "oncall", &alice), ("bob-op", "viewer", &bob)]),
            &[],
        );
        let key_file = write_private_key(door.dir.path(), &alice);
        let mut mux = Mux::start(&door, &key_file);
        let unlock = "accounts unlock alice --reason 'drill' --yes";

        // As oncall, over the master connection.
        let out = mux.exec(unlock);
        assert!(out.status.success(), "{out:?}\n{}", door.log());

        // Downgraded to viewer by a reload: the same connection's next execs are refused.
        let reloads = door.log().matches("operators file re-read").count();
        std::fs::write(
            door.operators_path(),
            operators_toml(&[("alice-op", "viewer", &alice), ("bob-op", "viewer", &bob)]),
        )
        .expect("write operators");
        door.signal("HUP");
        wait_reloads(&door, reloads + 1);
        assert!(mux.check(), "the master connection is still up");
        for _ in 0..2 {
            let out = mux.exec(unlock);
            assert_eq!(
                out.status.code(),
                Some(4),
                "a viewer's unlock: {out:?}\n{}",
                door.log()
            );
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("support"),
                "{out:?}"
            );
        }
        door.wait_log_line(
            "a line naming the key's fingerprint and its new role",
            |l| l.contains(&fp) && l.contains("role changed") && l.contains("viewer"),
        );
        // Reads still work for a viewer.
        let out = mux.exec("sessions list --limit 1 --json");
        assert!(out.status.success(), "{out:?}");

        // Removed by a reload: the connection ends, and every later exec is refused.
        let reloads = door.log().matches("operators file re-read").count();
        std::fs::write(
            door.operators_path(),
            operators_toml(&[("bob-op", "viewer", &bob)]),
        )
        .expect("write operators");
        door.signal("HUP");
        wait_reloads(&door, reloads + 1);
        assert!(
            mux.wait_exit(Duration::from_secs(10)),
            "the master connection of a removed key is still open\n{}",
            door.log()
        );
        for _ in 0..2 {
            let out = mux.exec("sessions list --limit 1 --json");
            assert!(
                !out.status.success(),
                "a removed key ran a command: {out:?}"
            );
            assert!(out.stdout.is_empty(), "{out:?}");
        }
        door.wait_log_line("a line naming the removed key's fingerprint", |l| {
            l.contains(&fp) && l.contains("removed from the operators file")
        });
    }
);

/// Waits until the door has re-read its operators file `n` times.
fn wait_reloads(door: &Door, n: usize) {
    let deadline = Instant::now() + WAIT;
    while door.log().matches("operators file re-read").count() < n {
        assert!(Instant::now() < deadline, "no reload:\n{}", door.log());
        std::thread::sleep(Duration::from_millis(50));
    }
}

store_test!(
    fifty_megabytes_into_an_exec_that_reads_no_stdin_does_not_freeze_its_connection,
    |db| {
        if !have("ssh", "-V") {
            eprintln!("note: ssh is not installed; the test is skipped");
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
        let total = db
            .count_sessions(&SessionFilter {
                include_inactive: true,
                ..Default::default()
            })
            .await
            .expect("count");
        let live = db
            .count_sessions(&SessionFilter::default())
            .await
            .expect("count");
        assert!(total >= 100_000, "{total}");
        let alice = key(1);
        let door = Door::start(
            &db.url,
            &operators_toml(&[("alice-op", "viewer", &alice)]),
            &[],
        );
        let key_file = write_private_key(door.dir.path(), &alice);
        let mux = Mux::start(&door, &key_file);

        let junk = door.dir.path().join("junk");
        let f = std::fs::File::create(&junk).expect("junk file");
        f.set_len(50 * 1024 * 1024).expect("50 MB");
        drop(f);
        let mut c = mux.command("sessions list --all --format csv", 120);
        c.stdin(Stdio::from(std::fs::File::open(&junk).expect("open junk")))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Read through a thread with a deadline of our own: the master connection holds the
        // client's pipes, so a frozen connection would keep `output()` waiting for ever.
        let t = Instant::now();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(c.output().expect("run ssh"));
        });
        let limit = Duration::from_secs(150);
        let out = match tokio::task::spawn_blocking(move || rx.recv_timeout(limit))
            .await
            .expect("join")
        {
            Ok(out) => out,
            Err(_) => panic!(
                "the export with 50 MB on its stdin sent nothing back in {limit:?}: its connection froze\ndoor log:\n{}",
                door.log()
            ),
        };
        let took = t.elapsed();
        assert!(
            out.status.success(),
            "the export with 50 MB on its stdin did not finish ({took:?}): status {:?}, {} bytes of output, stderr {}\ndoor log:\n{}",
            out.status,
            out.stdout.len(),
            String::from_utf8_lossy(&out.stderr),
            door.log()
        );
        let lines = out.stdout.iter().filter(|b| **b == b'\n').count() as u64;
        assert_eq!(lines, live + 1, "the header and every live session");

        // The same connection runs the next command.
        let out = mux.exec("sessions list --limit 1 --json");
        assert!(out.status.success(), "{out:?}\n{}", door.log());
        assert!(mux.check(), "the master connection is still up");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_whose_role_is_lowered_by_a_reload_ends_saying_so_and_the_next_is_a_viewers() {
    let db = common::sqlite_db().await;
    let _fx = console_support::fixture_at(&db, chrono::Utc::now()).await;
    let alice = key(1);
    let fp = fingerprint(alice.public_key());
    let door = Door::start(
        &db.url,
        &operators_toml(&[("alice-op", "oncall", &alice)]),
        &[],
    );
    let h = door.login(&alice).await;
    let mut console = Screen::open(&h, 120, 35, &[]).await;
    console
        .wait_for("the oncall console", |t| t.contains("role oncall"))
        .await;

    std::fs::write(
        door.operators_path(),
        operators_toml(&[("alice-op", "viewer", &alice)]),
    )
    .expect("write operators");
    door.signal("HUP");
    console.wait_closed().await;
    assert_eq!(console.status, Some(1), "{}", console.text());
    let said = console.text();
    assert!(
        said.contains("your role is now viewer (was oncall); this console ended"),
        "{said}"
    );
    door.wait_log_line(
        "the console's end naming the key and the role change",
        |l| l.contains("ssh console ended") && l.contains(&fp) && l.contains("role changed"),
    );

    // The same connection's next console is a viewer's.
    let mut again = Screen::open(&h, 120, 35, &[]).await;
    again
        .wait_for("the viewer console", |t| t.contains("role viewer"))
        .await;
}
