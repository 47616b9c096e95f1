//! The real OpenSSH client against the real `wxlogin ssh-server`: the console in tmux, and
//! one exec with `--json`.

mod common;
mod console_support;
mod ssh_support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use console_support::fixture_at;
use ssh_support::*;

store_test!(
    openssh_gets_the_console_in_tmux_and_runs_an_exec_with_json,
    |db| {
        if !have("ssh", "-V") || !have("tmux", "-V") {
            eprintln!("note: ssh or tmux is not installed; OpenSSH end-to-end test skipped");
            return;
        }
        let _fx = fixture_at(&db, chrono::Utc::now()).await;
        let alice = key(1);
        let door = Door::start(
            &db.url,
            &operators_toml(&[("alice-op", "support", &alice)]),
            &[],
        );
        let key_path = write_private_key(door.dir.path(), &alice);
        let args = openssh_args(&door, &key_path);

        // Exec: stdout is the command's JSON, the exit status is the command's.
        let exec = tokio::task::spawn_blocking({
            let mut a = args.clone();
            a.extend([
                "127.0.0.1".into(),
                "sessions".into(),
                "list".into(),
                "--json".into(),
            ]);
            move || {
                Command::new("timeout")
                    .arg("30")
                    .arg("ssh")
                    .args(&a)
                    .stdin(Stdio::null())
                    .output()
                    .expect("run ssh")
            }
        })
        .await
        .expect("join");
        assert!(exec.status.success(), "{:?}\n{}", exec, door.log());
        let v: serde_json::Value = serde_json::from_slice(&exec.stdout).expect("json");
        assert!(v.to_string().contains("alice"), "{v}");

        // The console in a real terminal.
        // Unique per run: the SQLite and PostgreSQL variants run at the same time.
        let socket = format!(
            "wxlogin-ssh-e2e-{}-{}",
            std::process::id(),
            door.addr.port()
        );
        let tmux = |a: &[&str]| {
            Command::new("tmux")
                .arg("-L")
                .arg(&socket)
                .args(a)
                .output()
                .expect("tmux")
        };
        let mut line = vec![
            "timeout".to_owned(),
            "--foreground".to_owned(),
            "60".to_owned(),
            "ssh".to_owned(),
            "-t".to_owned(),
        ];
        line.extend(args.iter().cloned());
        line.push("127.0.0.1".into());
        let cmd = shell_words::join(&line);
        tmux(&[
            "new-session",
            "-d",
            "-s",
            "door",
            "-x",
            "120",
            "-y",
            "35",
            &format!("env NO_COLOR=1 TERM=xterm-256color {cmd}; sleep 30"),
        ]);
        struct Kill<'a>(&'a dyn Fn(&[&str]) -> std::process::Output);
        impl Drop for Kill<'_> {
            fn drop(&mut self) {
                (self.0)(&["kill-server"]);
            }
        }
        let _kill = Kill(&tmux);
        let wait = |what: &str, ok: &dyn Fn(&str) -> bool| {
            let deadline = Instant::now() + WAIT;
            loop {
                let out = tmux(&["capture-pane", "-p", "-t", "door"]);
                let screen = String::from_utf8_lossy(&out.stdout).into_owned();
                if ok(&screen) {
                    return screen;
                }
                if Instant::now() > deadline {
                    panic!(
                        "timed out waiting for {what}; screen:\n{screen}\nlog:\n{}",
                        door.log()
                    );
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        };
        let screen = wait("the sessions view", &|s| {
            s.contains("alice") && s.contains("carol")
        });
        assert!(screen.contains("alice-op@ssh:127.0.0.1"), "{screen}");
        assert!(screen.contains("role support"), "{screen}");
        tmux(&["send-keys", "-t", "door", "q"]);
        wait("the console to end", &|s| !s.contains("role support"));
    }
);

/// Copy works through the door as it does locally: `y` on a session sends OSC 52 down the
/// operator's own channel, and tmux (with `set-clipboard on`) puts the public session id in
/// its paste buffer. SQLite only: nothing of the copy touches the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn y_in_a_door_console_puts_the_public_session_id_in_the_clipboard_of_tmux() {
    if !have("ssh", "-V") || !have("tmux", "-V") {
        eprintln!("note: ssh or tmux is not installed; OpenSSH copy test skipped");
        return;
    }
    let db = common::sqlite_db().await;
    let fx = fixture_at(&db, chrono::Utc::now()).await;
    let alice = key(1);
    let door = Door::start(
        &db.url,
        &operators_toml(&[("alice-op", "viewer", &alice)]),
        &[],
    );
    let key_path = write_private_key(door.dir.path(), &alice);
    let conf = door.dir.path().join("tmux.conf");
    std::fs::write(&conf, "set -s set-clipboard on\n").expect("tmux.conf");
    let socket = format!(
        "wxlogin-ssh-copy-{}-{}",
        std::process::id(),
        door.addr.port()
    );
    let tmux = |a: &[&str]| {
        Command::new("tmux")
            .arg("-L")
            .arg(&socket)
            .arg("-f")
            .arg(&conf)
            .args(a)
            .output()
            .expect("tmux")
    };
    let mut line = vec![
        "timeout".to_owned(),
        "--foreground".to_owned(),
        "60".to_owned(),
        "ssh".to_owned(),
        "-t".to_owned(),
    ];
    line.extend(openssh_args(&door, &key_path));
    line.push("127.0.0.1".into());
    let cmd = shell_words::join(&line);
    tmux(&[
        "new-session",
        "-d",
        "-s",
        "door",
        "-x",
        "140",
        "-y",
        "35",
        &format!("env NO_COLOR=1 TERM=xterm-256color {cmd}; sleep 30"),
    ]);
    struct Kill<'a>(&'a dyn Fn(&[&str]) -> std::process::Output);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            (self.0)(&["kill-server"]);
        }
    }
    let _kill = Kill(&tmux);
    let wait = |what: &str, ok: &dyn Fn(&str) -> bool| {
        let deadline = Instant::now() + WAIT;
        loop {
            let out = tmux(&["capture-pane", "-p", "-t", "door"]);
            let screen = String::from_utf8_lossy(&out.stdout).into_owned();
            if ok(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; screen:\n{screen}\nlog:\n{}",
                    door.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait("the sessions view", &|s| {
        s.contains("alice") && s.contains("carol")
    });
    tmux(&["send-keys", "-t", "door", "y"]);
    let screen = wait("the copy's status line", &|s| {
        s.contains("copied public session id: ")
    });
    let copied = screen
        .split("copied public session id: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the copied id on the status line")
        .to_owned();
    // What tmux took from the OSC 52 sequence is the id itself.
    let deadline = Instant::now() + Duration::from_secs(10);
    let buffer = loop {
        let out = tmux(&["show-buffer"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() && !text.is_empty() {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "tmux has no paste buffer: nothing reached the terminal ({:?}); screen:\n{screen}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(buffer, copied, "screen:\n{screen}");
    assert!(
        fx.sessions.iter().any(|s| s.public_id == buffer),
        "{buffer} is not one of the sessions' public ids"
    );
    tmux(&["send-keys", "-t", "door", "q"]);
}

/// Two operators on one door, side by side in one tmux window through the real `ssh` client:
/// the one whose `[[operators]]` entry says `lang = "zh-CN"` reads the console in Chinese, the
/// other in English, at the same time. SQLite only: the language touches no database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_door_consoles_side_by_side_each_speak_their_operators_language() {
    if !have("ssh", "-V") || !have("tmux", "-V") {
        eprintln!("note: ssh or tmux is not installed; two-language door test skipped");
        return;
    }
    let db = common::sqlite_db().await;
    let _fx = fixture_at(&db, chrono::Utc::now()).await;
    let (li, bob) = (key(1), key(2));
    let mut ops = operators_toml(&[("li-oncall", "oncall", &li)]);
    ops = ops.replace(
        "role = \"oncall\"\n",
        "role = \"oncall\"\nlang = \"zh-CN\"\n",
    );
    ops.push_str(&operators_toml(&[("bob-oncall", "oncall", &bob)]));
    let door = Door::start(&db.url, &ops, &[]);
    let socket = format!(
        "wxlogin-ssh-lang-{}-{}",
        std::process::id(),
        door.addr.port()
    );
    let tmux = |a: &[&str]| {
        Command::new("tmux")
            .arg("-L")
            .arg(&socket)
            .arg("-f")
            .arg("/dev/null")
            .args(a)
            .output()
            .expect("tmux")
    };
    struct Kill<'a>(&'a dyn Fn(&[&str]) -> std::process::Output);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            (self.0)(&["kill-server"]);
        }
    }
    // Each pane: `ssh -t` with the operator's key and nothing of the client's language
    // (LANG is not sent: the operator's entry decides).
    let ssh_line = |k: &russh::keys::PrivateKey| {
        let path = write_private_key(door.dir.path(), k);
        let mut line = vec![
            "timeout".to_owned(),
            "--foreground".to_owned(),
            "60".to_owned(),
            "ssh".to_owned(),
            "-t".to_owned(),
        ];
        line.extend(openssh_args(&door, &path));
        line.push("127.0.0.1".into());
        format!(
            "env -u LANG -u LC_ALL NO_COLOR=1 TERM=xterm-256color {}; sleep 30",
            shell_words::join(&line)
        )
    };
    tmux(&[
        "new-session",
        "-d",
        "-s",
        "door",
        "-x",
        "200",
        "-y",
        "30",
        &ssh_line(&li),
    ]);
    let _kill = Kill(&tmux);
    tmux(&["split-window", "-h", "-t", "door", &ssh_line(&bob)]);
    let pane = |i: u32| {
        let out = tmux(&["capture-pane", "-p", "-t", &format!("door.{i}")]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let wait = |i: u32, what: &str, ok: &dyn Fn(&str) -> bool| {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = pane(i);
            if ok(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what} in pane {i}; screen:\n{screen}\nlog:\n{}",
                    door.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    // Both consoles are up at once, each in its own language.
    wait(0, "the Chinese tabs", &|s| {
        s.contains("概览") && s.contains("会话")
    });
    wait(1, "the English tabs", &|s| {
        s.contains("Overview") && s.contains("Sessions")
    });
    // The Overview in both at the same time.
    tmux(&["send-keys", "-t", "door.0", "0"]);
    tmux(&["send-keys", "-t", "door.1", "0"]);
    let zh = wait(0, "the Chinese Overview", &|s| s.contains("在线会话"));
    let en = wait(1, "the English Overview", &|s| s.contains("live sessions"));
    assert!(!zh.contains("live sessions"), "{zh}");
    // The header names the door and the role in each operator's language.
    assert!(zh.contains("角色 值班"), "{zh}");
    assert!(en.contains("ssh door · role oncall"), "{en}");
    assert!(!en.contains("在线会话"), "{en}");
    for i in 0..2 {
        tmux(&["send-keys", "-t", &format!("door.{i}"), "q"]);
    }
}
