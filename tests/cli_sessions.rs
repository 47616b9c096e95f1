//! `wxlogin sessions list | show | revoke`, run as the real binary against SQLite and PostgreSQL.

mod cli_support;
mod common;

use cli_support::{OPERATOR, ORIGIN, wx, wx_stdin};
use common::{Login, account, audit_rows, login};
use wxlogin::store::{SessionFilter, SessionState};

const APP: &str = "wxapp00000000001";

async fn live_count(store: &wxlogin::store::Store, account_id: i64) -> u64 {
    store
        .count_sessions(&SessionFilter {
            account_id: Some(account_id),
            ..Default::default()
        })
        .await
        .unwrap()
}

store_test!(list_json_has_rows_and_a_next_cursor_that_pages, |db| {
    let alice = account(&db, "alice").await;
    for i in 0..3 {
        let openid = format!("o-alice-{i}");
        login(&db, alice.id, Login::new(APP, &openid)).await;
    }
    let first = wx(&db.url, &["sessions", "list", "--json", "--limit", "2"])
        .await
        .expect(0);
    assert_json_snapshot_named!("sessions_list_json", &first.stdout);
    let v = first.json();
    assert_eq!(v["sessions"].as_array().unwrap().len(), 2);
    let cursor = v["next_cursor"].as_str().expect("a next page").to_owned();

    let second = wx(
        &db.url,
        &[
            "sessions", "list", "--json", "--limit", "2", "--after", &cursor,
        ],
    )
    .await
    .expect(0)
    .json();
    assert_eq!(second["sessions"].as_array().unwrap().len(), 1);
    assert!(second["next_cursor"].is_null());
    let ids: std::collections::HashSet<String> = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["sessions"].as_array().unwrap())
        .map(|s| s["public_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3, "pages neither overlap nor skip");
});

store_test!(list_filters_and_hides_revoked_sessions_unless_asked, |db| {
    let alice = account(&db, "alice").await;
    let bob = account(&db, "bob").await;
    let a1 = login(&db, alice.id, Login::new(APP, "o-alice")).await;
    let a2 = login(&db, alice.id, Login::new(APP, "o-alice")).await;
    let b1 = login(&db, bob.id, Login::new(APP, "o-bob")).await;
    wxlogin::ops::revoke_sessions(
        &db,
        &common::operator("t"),
        std::slice::from_ref(&a2.public_id),
        "test",
    )
    .await
    .unwrap();

    let out = wx(&db.url, &["sessions", "list", "--username", "alice"])
        .await
        .expect(0);
    assert!(
        out.stdout.starts_with("PUBLIC ID"),
        "a table: {}",
        out.stdout
    );
    assert!(out.stdout.contains(&a1.public_id));
    assert!(
        !out.stdout.contains(&a2.public_id),
        "revoked hidden by default"
    );
    assert!(
        !out.stdout.contains(&b1.public_id),
        "other accounts filtered out"
    );

    let all = wx(
        &db.url,
        &[
            "sessions",
            "list",
            "--username",
            "alice",
            "--include-revoked",
            "--json",
        ],
    )
    .await
    .expect(0)
    .json();
    let states: Vec<(&str, &str)> = all["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["public_id"].as_str().unwrap(),
                s["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(states.contains(&(a2.public_id.as_str(), "revoked")));
    assert!(states.contains(&(a1.public_id.as_str(), "active")));

    let by_openid = wx(
        &db.url,
        &[
            "sessions", "list", "--openid", "o-bob", "--appid", APP, "--json",
        ],
    )
    .await
    .expect(0)
    .json();
    assert_eq!(by_openid["sessions"][0]["public_id"], b1.public_id.as_str());

    let none = wx(&db.url, &["sessions", "list", "--ip", "192.0.2.99"])
        .await
        .expect(0);
    assert_eq!(none.stdout.trim(), "no sessions match");
});

store_test!(list_rejects_a_bad_cursor_as_a_usage_error, |db| {
    let out = wx(&db.url, &["sessions", "list", "--after", "garbage!"])
        .await
        .expect(2);
    assert!(out.stderr.contains("--after"), "{}", out.stderr);
    assert_eq!(
        out.stderr.lines().count(),
        1,
        "one sentence: {}",
        out.stderr
    );
});

store_test!(
    show_prints_one_session_and_escapes_hostile_user_agents,
    |db| {
        let alice = account(&db, "alice").await;
        let mut l = Login::new(APP, "o-alice");
        l.user_agent = "evil\x1b]0;pwned\x07\x1b[2J agent";
        let s = login(&db, alice.id, l).await;

        let out = wx(&db.url, &["sessions", "show", &s.public_id])
            .await
            .expect(0);
        assert!(
            out.stdout.contains("state            active"),
            "{}",
            out.stdout
        );
        assert!(
            !out.stdout.contains('\x1b'),
            "no raw escape reaches the terminal"
        );
        assert!(out.stdout.contains("evil\\x1b]0;pwned\\x07\\x1b[2J agent"));

        let json = wx(&db.url, &["sessions", "show", &s.public_id, "--json"])
            .await
            .expect(0);
        assert!(!json.stdout.contains('\x1b'));
        assert_json_snapshot_named!("sessions_show_json", &json.stdout);
        assert_eq!(
            json.json()["user_agent"],
            "evil\x1b]0;pwned\x07\x1b[2J agent",
            "JSON keeps the exact value, escaped"
        );
    }
);

store_test!(show_of_an_unknown_public_id_exits_3, |db| {
    let out = wx(&db.url, &["sessions", "show", "ses_00000000000000000000"])
        .await
        .expect(3);
    assert!(
        out.stderr.contains("no session with public id"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
});

store_test!(
    show_by_token_on_stdin_finds_the_session_and_never_prints_the_token,
    |db| {
        let alice = account(&db, "alice").await;
        let s = login(&db, alice.id, Login::new(APP, "o-alice")).await;
        let token = s.token.expose().to_owned();

        let out = wx_stdin(
            &db.url,
            &["sessions", "show", "--token-stdin", "--json"],
            &format!("{token}\n"),
        )
        .await
        .expect(0);
        assert_eq!(out.json()["public_id"], s.public_id.as_str());
        assert!(!out.stdout.contains(&token) && !out.stderr.contains(&token));

        let wrong = format!("{token}x");
        let miss = wx_stdin(&db.url, &["sessions", "show", "--token-stdin"], &wrong)
            .await
            .expect(3);
        assert!(!miss.stdout.contains(&wrong) && !miss.stderr.contains(&wrong));
        assert!(!miss.stderr.contains(&token));

        let empty = wx_stdin(&db.url, &["sessions", "show", "--token-stdin"], "")
            .await
            .expect(2);
        assert!(
            empty.stderr.contains("no SessionId on stdin"),
            "{}",
            empty.stderr
        );
    }
);

store_test!(
    revoke_by_public_id_leaves_exactly_one_audit_row_with_operator_origin_and_reason,
    |db| {
        let alice = account(&db, "alice").await;
        let s1 = login(&db, alice.id, Login::new(APP, "o-alice")).await;
        let s2 = login(&db, alice.id, Login::new(APP, "o-alice")).await;

        let out = wx(
            &db.url,
            &[
                "sessions",
                "revoke",
                &s1.public_id,
                "--reason",
                "lost phone INC-7",
                "--yes",
            ],
        )
        .await
        .expect(0);
        assert_eq!(out.stdout.trim(), "revoked 1 session");

        let row = db
            .session_by_public_id(&s1.public_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.state(row.last_seen_at), SessionState::Revoked);
        assert_eq!(row.revoked_by.as_deref(), Some(OPERATOR));
        assert_eq!(row.revoke_reason.as_deref(), Some("lost phone INC-7"));
        let other = db
            .session_by_public_id(&s2.public_id)
            .await
            .unwrap()
            .unwrap();
        assert!(
            other.revoked_at.is_none(),
            "only the named session is revoked"
        );

        let audit = audit_rows(&db, "sessions.revoke").await;
        assert_eq!(audit.len(), 1, "{audit:?}");
        assert_eq!(audit[0].operator, OPERATOR);
        assert_eq!(audit[0].origin.as_deref(), Some(ORIGIN));
        assert_eq!(audit[0].reason.as_deref(), Some("lost phone INC-7"));
        assert_eq!(audit[0].target, format!("session:{}", s1.public_id));

        // Again: nothing live matches any more.
        let again = wx(
            &db.url,
            &[
                "sessions",
                "revoke",
                &s1.public_id,
                "--reason",
                "x",
                "--yes",
            ],
        )
        .await
        .expect(3);
        assert!(
            again.stderr.contains("already revoked or expired"),
            "{}",
            again.stderr
        );
        assert_eq!(audit_rows(&db, "sessions.revoke").await.len(), 1);
    }
);

store_test!(revoke_of_an_unknown_id_exits_3_and_changes_nothing, |db| {
    let out = wx(
        &db.url,
        &[
            "sessions",
            "revoke",
            "ses_ffffffffffffffffffff",
            "--reason",
            "x",
            "--yes",
        ],
    )
    .await
    .expect(3);
    assert!(
        out.stderr
            .starts_with("wxlogin: no session has the given public id"),
        "{}",
        out.stderr
    );
    assert!(audit_rows(&db, "sessions.revoke").await.is_empty());
});

store_test!(revoke_without_yes_and_without_a_terminal_is_refused, |db| {
    let alice = account(&db, "alice").await;
    let s = login(&db, alice.id, Login::new(APP, "o-alice")).await;
    let id = alice.id.to_string();
    for args in [
        vec!["sessions", "revoke", s.public_id.as_str(), "--reason", "x"],
        vec![
            "sessions",
            "revoke",
            "--account",
            id.as_str(),
            "--reason",
            "x",
        ],
    ] {
        let out = wx(&db.url, &args).await.expect(4);
        assert!(out.stderr.contains("add --yes"), "{}", out.stderr);
    }
    assert_eq!(live_count(&db, alice.id).await, 1);
    assert!(audit_rows(&db, "sessions.revoke").await.is_empty());
});

store_test!(revoke_dry_run_counts_and_changes_nothing, |db| {
    let alice = account(&db, "alice").await;
    for _ in 0..3 {
        login(&db, alice.id, Login::new(APP, "o-alice")).await;
    }
    let id = alice.id.to_string();
    let out = wx(
        &db.url,
        &[
            "sessions",
            "revoke",
            "--account",
            &id,
            "--reason",
            "x",
            "--dry-run",
            "--json",
        ],
    )
    .await
    .expect(0);
    assert_json_snapshot_named!("sessions_revoke_dry_run_json", &out.stdout);
    assert_eq!(out.json()["matched"], 3);

    // Without --yes and without a terminal: a dry run asks nothing and still changes nothing.
    let plain = wx(
        &db.url,
        &[
            "sessions",
            "revoke",
            "--username",
            "alice",
            "--reason",
            "x",
            "--dry-run",
        ],
    )
    .await
    .expect(0);
    assert!(
        plain.stdout.contains("would revoke 3 live sessions"),
        "{}",
        plain.stdout
    );
    // Allowed under --read-only: it only reads.
    wx(
        &db.url,
        &[
            "--read-only",
            "sessions",
            "revoke",
            "--account",
            &id,
            "--reason",
            "x",
            "--dry-run",
        ],
    )
    .await
    .expect(0);

    assert_eq!(live_count(&db, alice.id).await, 3);
    assert!(audit_rows(&db, "sessions.revoke").await.is_empty());
});

store_test!(
    revoke_by_account_username_openid_and_appid_revokes_only_what_matches,
    |db| {
        let alice = account(&db, "alice").await;
        let bob = account(&db, "bob").await;
        let carol = account(&db, "carol").await;
        login(&db, alice.id, Login::new(APP, "o-alice")).await;
        login(&db, alice.id, Login::new("wxother0000000002", "o-alice-2")).await;
        login(&db, bob.id, Login::new(APP, "o-bob")).await;
        login(&db, bob.id, Login::new("wxother0000000002", "o-bob-2")).await;
        login(&db, carol.id, Login::new("wxthird000000003", "o-carol")).await;

        let id = alice.id.to_string();
        let out = wx(
            &db.url,
            &[
                "sessions",
                "revoke",
                "--account",
                &id,
                "--reason",
                "offboarding",
                "--yes",
                "--json",
            ],
        )
        .await
        .expect(0);
        assert_json_snapshot_named!("sessions_revoke_account_json", &out.stdout);
        assert_eq!(live_count(&db, alice.id).await, 0);
        assert_eq!(live_count(&db, bob.id).await, 2);

        let out = wx(
            &db.url,
            &[
                "sessions",
                "revoke",
                "--openid",
                "o-bob-2",
                "--appid",
                "wxother0000000002",
                "--reason",
                "r",
                "--yes",
            ],
        )
        .await
        .expect(0);
        assert_eq!(out.stdout.trim(), "revoked 1 session");
        assert_eq!(live_count(&db, bob.id).await, 1);

        wx(
            &db.url,
            &[
                "sessions",
                "revoke",
                "--username",
                "bob",
                "--reason",
                "r",
                "--yes",
            ],
        )
        .await
        .expect(0);
        assert_eq!(live_count(&db, bob.id).await, 0);

        wx(
            &db.url,
            &[
                "sessions",
                "revoke",
                "--appid",
                "wxthird000000003",
                "--all",
                "--reason",
                "r",
                "--yes",
            ],
        )
        .await
        .expect(0);
        assert_eq!(live_count(&db, carol.id).await, 0);

        // Nothing left: exit 3.
        wx(
            &db.url,
            &[
                "sessions",
                "revoke",
                "--username",
                "bob",
                "--reason",
                "r",
                "--yes",
            ],
        )
        .await
        .expect(3);
        wx(
            &db.url,
            &[
                "sessions",
                "revoke",
                "--username",
                "nobody",
                "--reason",
                "r",
                "--yes",
            ],
        )
        .await
        .expect(3);
    }
);

store_test!(revoke_by_token_on_stdin_never_prints_the_token, |db| {
    let alice = account(&db, "alice").await;
    let s = login(&db, alice.id, Login::new(APP, "o-alice")).await;
    let token = s.token.expose().to_owned();
    let out = wx_stdin(
        &db.url,
        &[
            "sessions",
            "revoke",
            "--token-stdin",
            "--reason",
            "leaked in a log",
            "--yes",
        ],
        &format!("Bearer {token}\n"),
    )
    .await
    .expect(0);
    assert_eq!(out.stdout.trim(), "revoked 1 session");
    assert!(!out.stdout.contains(&token) && !out.stderr.contains(&token));
    let row = db
        .session_by_public_id(&s.public_id)
        .await
        .unwrap()
        .unwrap();
    assert!(row.revoked_at.is_some());
    let audit = audit_rows(&db, "sessions.revoke").await;
    assert_eq!(audit.len(), 1);
    let audit_text = format!("{:?} {}", audit[0], audit[0].detail.0);
    assert!(
        !audit_text.contains(&token),
        "the audit log never holds the token"
    );

    let again = wx_stdin(
        &db.url,
        &[
            "sessions",
            "revoke",
            "--token-stdin",
            "--reason",
            "x",
            "--yes",
        ],
        &token,
    )
    .await
    .expect(3);
    assert!(!again.stdout.contains(&token) && !again.stderr.contains(&token));
});

store_test!(revoke_selectors_are_checked_before_anything_runs, |db| {
    let cases: &[(&[&str], &str)] = &[
        (
            &["sessions", "revoke", "--reason", "x", "--yes"],
            "say which sessions",
        ),
        (
            &[
                "sessions", "revoke", "--appid", APP, "--reason", "x", "--yes",
            ],
            "add --all",
        ),
        (
            &["sessions", "revoke", "--all", "--reason", "x", "--yes"],
            "--all needs --appid",
        ),
        (
            &[
                "sessions",
                "revoke",
                "--account",
                "1",
                "--username",
                "a",
                "--reason",
                "x",
                "--yes",
            ],
            "give one way",
        ),
        (
            &[
                "sessions",
                "revoke",
                "--account",
                "1",
                "--appid",
                APP,
                "--reason",
                "x",
                "--yes",
            ],
            "--appid narrows",
        ),
        (
            &[
                "sessions",
                "revoke",
                "--account",
                "1",
                "--reason",
                "  ",
                "--yes",
            ],
            "--reason must say why",
        ),
        (
            &["sessions", "revoke", "--account", "1", "--yes"],
            "--reason",
        ),
    ];
    for (args, needle) in cases {
        let out = wx(&db.url, args).await.expect(2);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
});

store_test!(read_only_refuses_revoke_with_exit_4, |db| {
    let alice = account(&db, "alice").await;
    let s = login(&db, alice.id, Login::new(APP, "o-alice")).await;
    let out = wx(
        &db.url,
        &[
            "--read-only",
            "sessions",
            "revoke",
            &s.public_id,
            "--reason",
            "x",
            "--yes",
        ],
    )
    .await
    .expect(4);
    assert!(out.stderr.contains("read-only"), "{}", out.stderr);

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("wxlogin.toml");
    std::fs::write(&cfg, "read_only = true\n").unwrap();
    wx(
        &db.url,
        &[
            "--config",
            cfg.to_str().unwrap(),
            "sessions",
            "revoke",
            &s.public_id,
            "--reason",
            "x",
            "--yes",
        ],
    )
    .await
    .expect(4);
    assert_eq!(live_count(&db, alice.id).await, 1);
    assert!(audit_rows(&db, "sessions.revoke").await.is_empty());
});

/// Many sessions of one account, inserted through the store like real logins.
async fn many_sessions(db: &wxlogin::store::Store, account_id: i64, n: usize) {
    for i in 0..n {
        let openid = format!("o-bulk-{}", i % 50);
        login(db, account_id, Login::new(APP, &openid)).await;
    }
}

store_test!(
    interrupting_a_bulk_revoke_leaves_only_whole_batches_done,
    |db| {
        use tokio::io::AsyncBufReadExt;
        const TOTAL: usize = 2000;
        const BATCH: u64 = 200;
        let alice = account(&db, "alice").await;
        many_sessions(&db, alice.id, TOTAL).await;

        let id = alice.id.to_string();
        let batch = BATCH.to_string();
        let mut cmd = cli_support::command(
            &db.url,
            &[
                "sessions",
                "revoke",
                "--account",
                &id,
                "--reason",
                "bulk",
                "--yes",
                "--json",
                "--batch-size",
                &batch,
            ],
        );
        cmd.env("WXLOGIN_TEST_REVOKE_PAUSE_MS", "400");
        let mut child = cmd.spawn().unwrap();
        let pid = child.id().unwrap();
        let mut stderr = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let first = stderr.next_line().await.unwrap().expect("a progress line");
        assert!(
            first.contains("revoked 200 of 2000 sessions (batch 1)"),
            "{first}"
        );
        // Ctrl-C while the first pause runs: the revoke stops before the next batch.
        let status = std::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let mut rest = Vec::new();
        while let Some(l) = stderr.next_line().await.unwrap() {
            rest.push(l);
        }
        let out = child.wait_with_output().await.unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "interrupted is not success: {rest:?}"
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["interrupted"], true);
        let reported = report["revoked"].as_u64().unwrap();
        assert!(reported > 0 && reported < TOTAL as u64, "{report}");
        assert_eq!(reported % BATCH, 0, "whole batches only: {report}");
        assert!(
            rest.iter().any(|l| l.contains("interrupted after")),
            "{rest:?}"
        );

        let revoked_in_db = TOTAL as u64 - live_count(&db, alice.id).await;
        assert_eq!(
            revoked_in_db, reported,
            "the report says exactly what was done"
        );
        let audit = audit_rows(&db, "sessions.revoke").await;
        assert_eq!(
            audit.len() as u64,
            report["batches"].as_u64().unwrap(),
            "one audit row per batch"
        );
        assert!(
            audit
                .iter()
                .all(|a| a.operator == OPERATOR && a.origin.as_deref() == Some(ORIGIN))
        );

        // Running it again finishes the job.
        let done = wx(
            &db.url,
            &[
                "sessions",
                "revoke",
                "--account",
                &id,
                "--reason",
                "bulk",
                "--yes",
                "--json",
            ],
        )
        .await
        .expect(0)
        .json();
        assert_eq!(done["revoked"].as_u64().unwrap(), TOTAL as u64 - reported);
        assert_eq!(live_count(&db, alice.id).await, 0);
    }
);

store_test!(
    a_bulk_csv_or_json_list_writes_a_sessions_export_audit_row_like_the_console,
    |db| {
        let alice = account(&db, "alice").await;
        login(&db, alice.id, Login::new(APP, "o-alice")).await;
        for format in ["csv", "json"] {
            wx(
                &db.url,
                &[
                    "--role", "viewer", "sessions", "list", "--all", "--format", format,
                ],
            )
            .await
            .expect(0);
        }
        // A page in a table is browsing, not an export.
        wx(&db.url, &["sessions", "list"]).await.expect(0);
        let rows = audit_rows(&db, "sessions.export").await;
        assert_eq!(rows.len(), 2, "{rows:?}");
        let formats: Vec<_> = rows.iter().map(|r| r.detail["format"].clone()).collect();
        assert!(formats.contains(&"csv".into()) && formats.contains(&"json".into()));
        assert!(rows.iter().all(|r| r.detail["file"] == "-"));
        assert!(rows.iter().all(|r| r.role.as_deref() == Some("viewer")));
    }
);
