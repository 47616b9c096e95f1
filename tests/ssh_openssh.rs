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
