//! A viewer pipes an endless line into a command that reads stdin, through the SSH door: the
//! command stops reading at the line bound, fails as a usage error (exit 2), and the door's memory
//! stays where it was, so nobody else's console ends with it.

mod common;
mod ssh_support;

use std::time::Duration;

use russh::ChannelMsg;
use ssh_support::*;
use tokio::io::AsyncWriteExt;

/// A `/proc/PID/status` field in KiB (`VmRSS`, `VmHWM`).
fn proc_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

const HOSTILE_BYTES: usize = 100 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_megabytes_of_zeros_into_token_stdin_is_a_usage_error_and_the_door_stays_small() {
    let db = common::sqlite_db().await;
    let viewer = key(3);
    let door = Door::start(
        &db.url,
        &operators_toml(&[("vera-viewer", "viewer", &viewer)]),
        &[],
    );
    let pid = door.child.id();
    let h = door.login(&viewer).await;
    // Warm up: the same command with a short, well-formed (unknown) token.
    let warm = exec(&h, "sessions show --token-stdin", b"not-a-real-token\n").await;
    assert_eq!(warm.status, Some(3), "{warm:?}\n{}", door.log());
    let before = proc_kib(pid, "VmRSS");

    let ch = h.channel_open_session().await.expect("open session");
    ch.exec(true, "sessions show --token-stdin")
        .await
        .expect("exec");
    let (mut read, write) = ch.split();
    // The attacker: 100 MB of zeros without a newline, then EOF; it stops when the door stops
    // taking them.
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sender = tokio::spawn({
        let sent = sent.clone();
        async move {
            let mut w = write.make_writer();
            let chunk = vec![0u8; 64 * 1024];
            let mut total = 0usize;
            while total < HOSTILE_BYTES {
                if w.write_all(&chunk).await.is_err() {
                    return;
                }
                total += chunk.len();
                sent.store(total, std::sync::atomic::Ordering::Relaxed);
            }
            let _ = w.flush().await;
            let _ = write.eof().await;
        }
    });
    let (mut status, mut stderr) = (None, String::new());
    let mut peak = before;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        let msg = tokio::time::timeout_at(
            deadline.min(tokio::time::Instant::now() + Duration::from_millis(200)),
            read.wait(),
        )
        .await;
        peak = peak.max(proc_kib(pid, "VmRSS"));
        assert!(
            tokio::time::Instant::now() < deadline,
            "no answer in 300 s; stderr so far: {stderr}"
        );
        match msg {
            Err(_) => continue,
            Ok(Some(ChannelMsg::ExtendedData { data, .. })) => {
                stderr.push_str(&String::from_utf8_lossy(&data))
            }
            Ok(Some(ChannelMsg::ExitStatus { exit_status })) => status = Some(exit_status),
            Ok(Some(ChannelMsg::Close)) | Ok(None) => break,
            Ok(Some(_)) => {}
        }
    }
    // A closed channel takes no more data: the sender may wait for window for ever.
    sender.abort();
    let sent = sent.load(std::sync::atomic::Ordering::Relaxed);
    let grown_kib = peak.saturating_sub(before);
    eprintln!(
        "sent {sent} bytes; exit {status:?}; door VmRSS {before} KiB -> peak {peak} KiB (+{grown_kib} KiB); stderr: {stderr}"
    );
    assert_eq!(status, Some(2), "stderr: {stderr}\n{}", door.log());
    assert!(
        stderr.contains("longer than") && stderr.contains("4096"),
        "the message says the line is too long and what the bound is: {stderr}"
    );
    assert!(
        grown_kib < 16 * 1024,
        "the door's resident memory grew by {grown_kib} KiB for a hostile line"
    );
    // The door still serves: another command on the same connection works.
    let after = exec(
        &h,
        "sessions show --token-stdin",
        b"another-unknown-token\n",
    )
    .await;
    assert_eq!(after.status, Some(3), "{after:?}\n{}", door.log());
}
