//! The SSH door end to end: the real `wxlogin ssh-server` binary, an in-process russh client,
//! and a terminal emulator reading what the operator would see.

mod common;
mod console_support;
mod ssh_support;

use std::sync::Arc;

use console_support::fixture_at;
use russh::keys::PrivateKeyWithHashAlg;
use ssh_support::*;
use wxlogin::store::AuditFilter;

async fn audit_rows(store: &wxlogin::store::Store) -> Vec<wxlogin::store::AuditEntry> {
    store
        .list_audit(&AuditFilter::default(), None, 1000)
        .await
        .expect("audit")
        .rows
}

store_test!(unknown_keys_and_passwords_are_refused_and_logged, |db| {
    let alice = key(1);
    let stranger = key(9);
    let door = Door::start(
        &db.url,
        &operators_toml(&[("alice", "oncall", &alice)]),
        &[],
    );

    let mut h = door.connect().await;
    let pw = h
        .authenticate_password("alice", "hunter2")
        .await
        .expect("password auth");
    assert!(!pw.success(), "a password got in");
    let unknown = h
        .authenticate_publickey(
            "alice",
            PrivateKeyWithHashAlg::new(Arc::new(stranger.clone()), None),
        )
        .await
        .expect("key auth");
    assert!(!unknown.success(), "an unknown key got in");
    let log = door.wait_log("key not in the operators file");
    assert!(log.contains(&fingerprint(stranger.public_key())), "{log}");
    assert!(
        log.contains("password authentication is not accepted"),
        "{log}"
    );
    assert!(!log.contains("hunter2"), "the password reached the log");

    // The host key the client saw is the one the server printed at start.
    let good = door.login(&alice).await;
    drop(good);
    let client = Client::default();
    let seen = client.host_key.clone();
    let _h = russh::client::connect(Arc::new(Default::default()), door.addr, client)
        .await
        .expect("connect");
    assert_eq!(
        seen.lock().unwrap().as_deref(),
        Some(door.fingerprint.as_str())
    );
});

store_test!(
    a_console_over_ssh_revokes_through_the_dialog_as_the_key_owner_and_redraws_on_resize,
    |db| {
        let fx = fixture_at(&db, chrono::Utc::now()).await;
        let newest = fx.sessions.last().unwrap().public_id.clone();
        let alice = key(1);
        let door = Door::start(
            &db.url,
            &operators_toml(&[("alice-op", "oncall", &alice)]),
            &[],
        );
        let h = door.login(&alice).await;
        let mut screen = Screen::open(&h, 120, 35, &[("NO_COLOR", "1"), ("EVIL", "x")]).await;
        let text = screen
            .wait_for("the sessions view", |s| {
                s.contains("alice") && s.contains("carol")
            })
            .await;
        assert!(text.contains("alice-op@ssh:127.0.0.1"), "{text}");
        assert!(text.contains("role oncall"), "{text}");
        assert!(text.contains(&newest[..11]), "{text}");
        assert!(
            !text.contains("sqlite://") && !text.contains("postgres://"),
            "the database location reached the operator:\n{text}"
        );

        screen.send(b"d").await;
        screen
            .wait_for("the confirm dialog", |s| {
                s.contains("1 session will be revoked")
            })
            .await;
        screen.send("lost phone, 已确认".as_bytes()).await;
        screen.send(b"\r").await;
        screen
            .wait_for("the result", |s| s.contains("revoked 1 session"))
            .await;

        let row = db.session_by_public_id(&newest).await.unwrap().unwrap();
        assert_eq!(row.revoke_reason.as_deref(), Some("lost phone, 已确认"));
        assert_eq!(row.revoked_by.as_deref(), Some("alice-op"));
        let audit = audit_rows(&db).await;
        let entry = audit
            .iter()
            .find(|a| a.operator == "alice-op")
            .expect("an audit row by the key owner");
        assert_eq!(entry.role.as_deref(), Some("oncall"));
        assert_eq!(entry.origin.as_deref(), Some("ssh:127.0.0.1"));
        assert_eq!(
            entry.detail.0["key"].as_str(),
            Some(fingerprint(alice.public_key()).as_str()),
            "{:?}",
            entry.detail
        );

        // Resize: at 120 columns the operator sits past column 90, so the shrunk emulator lost it;
        // seeing it again in the first line means the server redrew at the new size.
        screen.resize(90, 28).await; // at least 80x24, the smallest layout the console draws
        let text = screen
            .wait_for("the 90-column layout", |s| {
                s.lines()
                    .next()
                    .is_some_and(|l| l.contains("alice-op@ssh:127.0.0.1"))
            })
            .await;
        let header = text.lines().next().unwrap_or("");
        assert!(header.chars().count() <= 90, "{header}");

        // Quit ends this console: exit status 0, the channel closes, the server keeps running.
        screen.send(b"q").await;
        screen.wait_closed().await;
        assert_eq!(screen.status, Some(0));
        let again = door.login(&alice).await;
        let out = exec(&again, "sessions list --json", b"").await;
        assert_eq!(out.status, Some(0), "{out:?}");
    }
);

store_test!(
    exec_runs_the_headless_command_as_the_key_owner_without_a_shell,
    |db| {
        let fx = fixture_at(&db, chrono::Utc::now()).await;
        let alice = key(1);
        let door = Door::start(
            &db.url,
            &operators_toml(&[("alice-op", "oncall", &alice)]),
            &[],
        );
        let h = door.login(&alice).await;

        let out = exec(&h, "sessions list --json", b"").await;
        assert_eq!(out.status, Some(0), "{out:?}");
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json on stdout");
        assert!(v.to_string().contains("alice"), "{v}");

        // SessionIds on stdin, as locally; the audit row names the key owner and its key.
        let target = fx.sessions[0].public_id.clone();
        let token = fx.sessions[0].token.expose().to_owned();
        let out = exec(
            &h,
            "sessions revoke --token-stdin --reason 'door: stdin test; $(touch /tmp/pwned)' --yes",
            format!("{token}\n").as_bytes(),
        )
        .await;
        assert_eq!(out.status, Some(0), "{out:?}");
        let row = db.session_by_public_id(&target).await.unwrap().unwrap();
        assert_eq!(row.revoked_by.as_deref(), Some("alice-op"));
        assert_eq!(
            row.revoke_reason.as_deref(),
            Some("door: stdin test; $(touch /tmp/pwned)")
        );
        let audit = audit_rows(&db).await;
        let entry = audit
            .iter()
            .find(|a| a.operator == "alice-op")
            .expect("audit row");
        assert_eq!(entry.origin.as_deref(), Some("ssh:127.0.0.1"));
        assert_eq!(
            entry.detail.0["key"].as_str(),
            Some(fingerprint(alice.public_key()).as_str())
        );

        for (line, expect) in [
            ("serve", "cannot be run through the door"),
            ("console", "use `ssh -t`"),
            ("migrate", "cannot be run through the door"),
            (
                "sessions list --operator mallory",
                "not accepted through the door",
            ),
            (
                "--database-url sqlite:///tmp/x.db sessions list",
                "not accepted through the door",
            ),
        ] {
            let out = exec(&h, line, b"").await;
            assert_eq!(out.status, Some(2), "{line}: {out:?}");
            assert!(out.stderr.contains(expect), "{line}: {out:?}");
        }
        // A usage error is the parser's, with its exit code.
        let out = exec(&h, "sessions frobnicate", b"").await;
        assert_eq!(out.status, Some(2), "{out:?}");
        assert!(out.stderr.contains("frobnicate"), "{out:?}");
    }
);

store_test!(
    viewer_and_support_are_refused_what_their_role_may_not_do,
    |db| {
        let fx = fixture_at(&db, chrono::Utc::now()).await;
        let (viewer, support) = (key(2), key(3));
        let door = Door::start(
            &db.url,
            &operators_toml(&[("vera", "viewer", &viewer), ("sam", "support", &support)]),
            &[],
        );
        let before = audit_rows(&db).await.len();
        let live_before = console_support::live_count(&db).await;

        let v = door.login(&viewer).await;
        let target = fx.sessions[0].public_id.clone();
        let out = exec(
            &v,
            &format!("sessions revoke {target} --reason nope --yes"),
            b"",
        )
        .await;
        assert_ne!(out.status, Some(0), "{out:?}");
        assert!(out.stderr.contains("viewer"), "{out:?}");

        let s = door.login(&support).await;
        let out = exec(
            &s,
            &format!(
                "sessions revoke --appid {} --all --reason nope --yes",
                console_support::APP1
            ),
            b"",
        )
        .await;
        assert_ne!(out.status, Some(0), "{out:?}");
        assert!(out.stderr.contains("support"), "{out:?}");

        // In the viewer's console, `d` changes nothing either.
        let mut screen = Screen::open(&v, 120, 35, &[]).await;
        screen
            .wait_for("the sessions view", |t| t.contains("alice"))
            .await;
        screen.send(b"d").await;
        screen.send(b"refused\r").await;
        screen
            .wait_for("the read-only badge", |t| t.contains("READ-ONLY"))
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;

        assert_eq!(console_support::live_count(&db).await, live_before);
        assert_eq!(
            audit_rows(&db).await.len(),
            before,
            "a refused action wrote an audit row"
        );
    }
);

store_test!(
    hostile_clients_and_a_garbage_operators_file_do_not_take_the_server_down,
    |db| {
        let _fx = fixture_at(&db, chrono::Utc::now()).await;
        let alice = key(1);
        let mut door = Door::start(
            &db.url,
            &operators_toml(&[("alice-op", "oncall", &alice)]),
            &[],
        );

        // Absurd window sizes and 1 MB of random bytes into one console.
        let h = door.login(&alice).await;
        let mut screen = Screen::open(&h, 80, 24, &[]).await;
        screen
            .wait_for("the sessions view", |t| t.contains("alice"))
            .await;
        // Absurd window sizes first (input sent after the burst waits behind it): they are
        // clamped, and the log says so.
        screen.ch.window_change(0, 0, 0, 0).await.expect("zero");
        screen
            .ch
            .window_change(10_000, 10_000, 0, 0)
            .await
            .expect("huge");
        // Back to a sane size; the test's own terminal follows, as a real one would.
        screen.resize(100, 30).await;
        let log = door.wait_log("requested=10000x10000");
        assert!(log.contains("requested=0x0"), "{log}");
        assert!(
            log.contains("ssh window size out of range, clamped"),
            "{log}"
        );
        screen
            .wait_for("the 100x30 layout", |t| t.lines().count() == 30)
            .await;
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut junk = vec![0u8; 1 << 20];
        for b in junk.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        // Keep `q` out of it so the console is still there afterwards.
        for b in junk.iter_mut() {
            if *b == b'q' || *b == 0x03 {
                *b = b'j';
            }
        }
        for chunk in junk.chunks(32 * 1024) {
            screen.send(chunk).await;
        }

        // A client that never reads: opens a console and keeps it busy without reading.
        let lazy = door.login(&alice).await;
        let lazy_screen = Screen::open(&lazy, 200, 60, &[]).await;
        for _ in 0..200 {
            lazy_screen.send(b"jjjjkkkk").await;
        }

        // A garbage key line: the old file stays in force, and the log says why.
        std::fs::write(
        door.operators_path(),
        "[[operators]]\nname = \"mallory\"\nrole = \"oncall\"\nkeys = [\"ssh-ed25519 AAAAnot-a-key\"]\n",
    )
    .unwrap();
        door.signal("HUP");
        door.wait_log("keeping the previous one");

        assert!(door.alive(), "the server died; log:\n{}", door.log());
        let fresh = door.login(&alice).await;
        let out = exec(&fresh, "sessions list --json", b"").await;
        assert_eq!(out.status, Some(0), "{out:?}\nlog:\n{}", door.log());
        drop(lazy_screen);
        drop(screen);
    }
);

store_test!(the_idle_timeout_ends_the_session_with_a_message, |db| {
    let alice = key(1);
    let door = Door::start(
        &db.url,
        &operators_toml(&[("alice-op", "oncall", &alice)]),
        &["--idle-timeout-secs", "2"],
    );
    let h = door.login(&alice).await;
    let mut screen = Screen::open(&h, 80, 24, &[]).await;
    screen
        .wait_for("the console", |t| t.contains("alice-op"))
        .await;
    screen.wait_closed().await;
    assert!(screen.text().contains("session ended"), "{}", screen.text());
});

/// The reply to the last request sent with want_reply on `ch`: true for success.
async fn reply(ch: &mut russh::Channel<russh::client::Msg>, what: &str) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, ch.wait()).await {
            Err(_) => panic!("no reply to {what}"),
            Ok(Some(russh::ChannelMsg::Success)) => return true,
            Ok(Some(russh::ChannelMsg::Failure)) => return false,
            Ok(Some(russh::ChannelMsg::Close)) | Ok(None) => panic!("channel closed after {what}"),
            Ok(Some(_)) => {}
        }
    }
}

store_test!(
    forwarding_x11_subsystems_and_unlisted_env_variables_are_refused_and_logged,
    |db| {
        let _fx = fixture_at(&db, chrono::Utc::now()).await;
        let alice = key(1);
        let door = Door::start(
            &db.url,
            &operators_toml(&[("alice-op", "oncall", &alice)]),
            &[],
        );
        let h = door.login(&alice).await;
        let mut ch = h.channel_open_session().await.expect("open session");

        // Only the four terminal variables are taken; anything that could steer a process is not.
        for (name, value, accepted) in [
            ("NO_COLOR", "1", true),
            ("TERM", "xterm-256color", true),
            ("LANG", "C.UTF-8", true),
            ("COLORTERM", "truecolor", true),
            ("LD_PRELOAD", "/tmp/evil.so", false),
            ("PATH", "/tmp", false),
            ("DATABASE_URL", "sqlite:///tmp/other.db", false),
            ("WXLOGIN_ROLE", "oncall", false),
        ] {
            ch.set_env(true, name, value).await.expect("env");
            assert_eq!(reply(&mut ch, name).await, accepted, "env {name}");
        }
        ch.agent_forward(true).await.expect("agent request");
        assert!(
            !reply(&mut ch, "agent forwarding").await,
            "agent forwarding accepted"
        );
        ch.request_x11(true, false, "MIT-MAGIC-COOKIE-1", "00", 0)
            .await
            .expect("x11 request");
        assert!(!reply(&mut ch, "x11").await, "x11 forwarding accepted");
        ch.request_subsystem(true, "sftp")
            .await
            .expect("subsystem request");
        assert!(
            !reply(&mut ch, "sftp").await,
            "the sftp subsystem was started"
        );

        assert!(
            h.tcpip_forward("127.0.0.1", 0).await.is_err(),
            "remote port forwarding accepted"
        );
        assert!(
            h.channel_open_direct_tcpip("127.0.0.1", door.addr.port().into(), "127.0.0.1", 5555)
                .await
                .is_err(),
            "local port forwarding accepted"
        );

        let log = door.wait_log("remote port forwarding");
        for request in [
            "agent forwarding",
            "x11",
            "subsystem sftp",
            "port forwarding",
        ] {
            assert!(
                log.contains(&format!("request={request}"))
                    || log.contains(&format!("request=\"{request}\"")),
                "no refusal of {request} in the log:\n{log}"
            );
        }
        assert!(
            !log.contains("evil.so"),
            "a refused env value reached the log:\n{log}"
        );

        // The connection is still good for what the door does serve, and the refused variables
        // did not reach the command: it listed the door's own database, not the one in DATABASE_URL.
        let out = exec(&h, "sessions list --json", b"").await;
        assert_eq!(out.status, Some(0), "{out:?}");
        assert!(out.stdout.contains("alice"), "{out:?}");
    }
);
