//! The SSH door end to end: the real `wxlogin ssh-server` binary, an in-process russh client,
//! and a terminal emulator reading what the operator would see.

mod common;
mod console_support;
mod ssh_support;

use std::sync::Arc;
use std::time::Duration;

use console_support::fixture_at;
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg};
use russh::{ChannelMsg, client};
use ssh_support::*;
use wxlogin::store::AuditFilter;

/// The operators every door of these tests knows, one per role: name, role, key seed.
const OPERATORS: [(&str, &str, u8); 3] = [
    ("alice-op", "oncall", 1),
    ("vera", "viewer", 2),
    ("sam", "support", 3),
];

/// The key of the operator with `role`.
fn role_key(role: &str) -> PrivateKey {
    let (_, _, seed) = OPERATORS
        .iter()
        .find(|o| o.1 == role)
        .unwrap_or_else(|| panic!("no operator with role {role}"));
    key(*seed)
}

fn role_name(role: &str) -> &'static str {
    OPERATORS
        .iter()
        .find(|o| o.1 == role)
        .map(|o| o.0)
        .unwrap_or_else(|| panic!("no operator with role {role}"))
}

/// `wxlogin ssh-server` on `db` with the three [`OPERATORS`] and these extra arguments.
fn door(db: &common::TestDb, extra: &[&str]) -> Door {
    let keys: Vec<(&str, &str, PrivateKey)> = OPERATORS
        .iter()
        .map(|(n, r, seed)| (*n, *r, key(*seed)))
        .collect();
    let ops: Vec<(&str, &str, &PrivateKey)> = keys.iter().map(|(n, r, k)| (*n, *r, k)).collect();
    Door::start(&db.url, &operators_toml(&ops), extra)
}

/// An operator's console and the connection it runs on.
struct Console {
    /// Kept: the console lives as long as its connection.
    #[allow(dead_code)]
    h: client::Handle<Client>,
    screen: Screen,
}

impl std::ops::Deref for Console {
    type Target = Screen;
    fn deref(&self) -> &Screen {
        &self.screen
    }
}

impl std::ops::DerefMut for Console {
    fn deref_mut(&mut self) -> &mut Screen {
        &mut self.screen
    }
}

impl Screen {
    /// Reads for at most `wait`: true once the screen satisfies `ok`, false if it did not by
    /// then (or the channel closed).
    async fn wait_a_while(&mut self, wait: Duration, ok: impl Fn(&str) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if ok(&self.text()) {
                return true;
            }
            if self.closed {
                return false;
            }
            match tokio::time::timeout_at(deadline, self.ch.wait()).await {
                Err(_) => return false,
                Ok(Some(ChannelMsg::Data { data })) => self.parser.process(&data),
                Ok(Some(ChannelMsg::ExitStatus { exit_status })) => self.status = Some(exit_status),
                Ok(Some(ChannelMsg::Close)) | Ok(None) => self.closed = true,
                Ok(Some(_)) => {}
            }
        }
    }
}

impl Door {
    /// A connection authenticated with the key of the operator with `role`.
    async fn as_role(&self, role: &str) -> client::Handle<Client> {
        self.login(&role_key(role)).await
    }

    /// The console of the operator with `role`, 120x35, once its header shows who is in.
    async fn console(&self, role: &str) -> Console {
        self.console_with(role, (120, 35), &[]).await
    }

    /// [`Door::console`] at `size`, with these `env` requests sent first.
    async fn console_with(&self, role: &str, size: (u16, u16), env: &[(&str, &str)]) -> Console {
        let h = self.as_role(role).await;
        let mut screen = Screen::open(&h, size.0, size.1, env).await;
        let who = format!("{}@ssh:", role_name(role));
        screen
            .wait_for("the console's header", |t| t.contains(&who))
            .await;
        Console { h, screen }
    }
}

async fn audit_rows(store: &wxlogin::store::Store) -> Vec<wxlogin::store::AuditEntry> {
    store
        .list_audit(&AuditFilter::default(), None, 1000)
        .await
        .expect("audit")
        .rows
}

store_test!(unknown_keys_and_passwords_are_refused_and_logged, |db| {
    let alice = role_key("oncall");
    let stranger = key(9);
    let door = door(&db, &[]);

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
        let door = door(&db, &[]);
        let mut screen = door
            .console_with("oncall", (120, 35), &[("NO_COLOR", "1"), ("EVIL", "x")])
            .await;
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
            Some(fingerprint(role_key("oncall").public_key()).as_str()),
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
        let again = door.as_role("oncall").await;
        let out = exec(&again, "sessions list --json", b"").await;
        assert_eq!(out.status, Some(0), "{out:?}");
    }
);

store_test!(
    exec_runs_the_headless_command_as_the_key_owner_without_a_shell,
    |db| {
        let fx = fixture_at(&db, chrono::Utc::now()).await;
        let door = door(&db, &[]);
        let h = door.as_role("oncall").await;

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
            Some(fingerprint(role_key("oncall").public_key()).as_str())
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
        let door = door(&db, &[]);
        let before = audit_rows(&db).await.len();
        let live_before = console_support::live_count(&db).await;

        let v = door.as_role("viewer").await;
        let target = fx.sessions[0].public_id.clone();
        let out = exec(
            &v,
            &format!("sessions revoke {target} --reason nope --yes"),
            b"",
        )
        .await;
        assert_ne!(out.status, Some(0), "{out:?}");
        assert!(out.stderr.contains("viewer"), "{out:?}");

        let s = door.as_role("support").await;
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
        let mut screen = door.console("viewer").await;
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
    absurd_window_sizes_and_a_garbage_operators_file_do_not_take_the_server_down,
    |db| {
        let _fx = fixture_at(&db, chrono::Utc::now()).await;
        let mut door = door(&db, &[]);

        let mut screen = door.console_with("oncall", (80, 24), &[]).await;
        screen
            .wait_for("the sessions view", |t| t.contains("alice"))
            .await;
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

        // A garbage key line: the old file stays in force, and the log says why.
        std::fs::write(
            door.operators_path(),
            "[[operators]]\nname = \"mallory\"\nrole = \"oncall\"\nkeys = [\"ssh-ed25519 AAAAnot-a-key\"]\n",
        )
        .unwrap();
        door.signal("HUP");
        door.wait_log("keeping the previous one");

        assert!(door.alive(), "the server died; log:\n{}", door.log());
        let fresh = door.as_role("oncall").await;
        let out = exec(&fresh, "sessions list --json", b"").await;
        assert_eq!(out.status, Some(0), "{out:?}\nlog:\n{}", door.log());
    }
);

/// 1 MB of xorshift bytes: every byte value, escape sequences, `q`s and Ctrl-Cs among them.
fn random_megabyte() -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut junk = vec![0u8; 1 << 20];
    for b in junk.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    junk
}

store_test!(
    a_megabyte_of_random_input_leaves_the_console_answering_keys_in_seconds_and_others_served,
    |db| {
        let _fx = fixture_at(&db, chrono::Utc::now()).await;
        let mut door = door(&db, &[]);
        // A viewer: whatever the bytes press, nothing changes in the database.
        let mut flooded = door.console_with("viewer", (100, 30), &[]).await;
        let mut bystander = door.console_with("oncall", (100, 30), &[]).await;
        let audit_before = audit_rows(&db).await.len();

        for chunk in random_megabyte().chunks(32 * 1024) {
            flooded.send(chunk).await;
        }
        let sent = tokio::time::Instant::now();

        // Meanwhile another operator's console answers, and a command runs.
        bystander.send(b"?").await;
        bystander
            .wait_for("the bystander's help", |t| t.contains("any key closes"))
            .await;
        bystander.send(b"\x1b").await;
        let other = door.as_role("oncall").await;
        let out = exec(&other, "sessions list --json", b"").await;
        assert_eq!(out.status, Some(0), "{out:?}");

        // The flooded console: the bytes may have quit it (a `q` or Ctrl-C, if it was not
        // dropped), which ends it normally; otherwise it answers a key with a frame within a
        // few seconds. Esc twice closes whatever prompt, dialog or help the bytes opened, then
        // `?` opens the help (sent again until the console has caught up with the burst).
        let deadline = sent + Duration::from_secs(15);
        let answered = loop {
            if flooded.closed {
                break false;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the console did not answer within 15 s of the burst; screen:\n{}",
                flooded.text()
            );
            flooded.send(b"\x1b").await;
            tokio::time::sleep(Duration::from_millis(150)).await;
            flooded.send(b"\x1b").await;
            tokio::time::sleep(Duration::from_millis(150)).await;
            flooded.send(b"?").await;
            if flooded
                .wait_a_while(Duration::from_secs(2), |t| t.contains("any key closes"))
                .await
            {
                break true;
            }
        };
        if answered {
            // It caught up by dropping what it could not keep up with, and said so.
            assert!(
                door.log().contains("ssh console input dropped"),
                "the burst was not cut short; log:\n{}",
                door.log()
            );
            flooded.send(b"\x1b").await;
        } else {
            assert_eq!(flooded.status, Some(0), "{}", flooded.text());
        }
        assert_eq!(audit_rows(&db).await.len(), audit_before);
        assert!(door.alive(), "the server died; log:\n{}", door.log());
    }
);

store_test!(
    a_client_that_never_reads_is_logged_once_and_holds_no_one_else_up,
    |db| {
        let _fx = fixture_at(&db, chrono::Utc::now()).await;
        let door = door(&db, &[]);
        // A client whose receive window is zero and never grows: the server cannot send it
        // a single byte of its console.
        let config = client::Config {
            window_size: 0,
            ..Default::default()
        };
        let mut h = client::connect(Arc::new(config), door.addr, Client::default())
            .await
            .expect("connect");
        let ok = h
            .authenticate_publickey(
                "whoever",
                PrivateKeyWithHashAlg::new(Arc::new(role_key("oncall")), None),
            )
            .await
            .expect("auth");
        assert!(ok.success());
        let mut stuck = Screen::open(&h, 200, 60, &[]).await;
        for _ in 0..200 {
            stuck.send(b"jjjjkkkk").await;
        }
        let log = door.wait_log("ssh client is not reading its console output");
        assert!(log.contains("operator=alice-op"), "{log}");

        // Everyone else is served meanwhile.
        let mut other = door.console("viewer").await;
        other
            .wait_for("the sessions view", |t| t.contains("alice"))
            .await;
        other.send(b"j").await;
        let out = exec(&door.as_role("support").await, "sessions list --json", b"").await;
        assert_eq!(out.status, Some(0), "{out:?}");

        // One line per stall, not one per frame: more keys, more frames, still one line.
        for _ in 0..50 {
            stuck.send(b"jk").await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let log = door.log();
        assert_eq!(log.matches("ssh client is not reading").count(), 1, "{log}");
        // The client got nothing at all.
        assert!(
            !stuck
                .wait_a_while(Duration::from_millis(200), |t| !t.trim().is_empty())
                .await,
            "{}",
            stuck.text()
        );
    }
);

store_test!(the_idle_timeout_ends_the_session_with_a_message, |db| {
    let door = door(&db, &["--idle-timeout-secs", "2"]);
    let mut screen = door.console_with("oncall", (80, 24), &[]).await;
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
        let door = door(&db, &[]);
        let h = door.as_role("oncall").await;
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

        // Both forwarding refusals: the direct-tcpip one can be logged after the other.
        door.wait_log("remote port forwarding");
        let log = door.wait_log("request=\"port forwarding\"");
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
