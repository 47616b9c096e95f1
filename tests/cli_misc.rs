//! `wxlogin audit`, `wxlogin completions`, `--help` and the conventions every headless command
//! shares (exit codes, errors on stderr), run as the real binary.

mod cli_support;
mod common;

use cli_support::{OPERATOR, ORIGIN, wx};
use common::{Login, account, login};

const APP: &str = "wxapp00000000001";

/// Two operator actions to read back: a revoke and an unbind.
async fn some_history(db: &common::TestDb) {
    let alice = account(db, "alice").await;
    let s = login(db, alice.id, Login::new(APP, "o-alice")).await;
    wx(
        &db.url,
        &[
            "sessions",
            "revoke",
            &s.public_id,
            "--reason",
            "INC-1",
            "--yes",
        ],
    )
    .await
    .expect(0);
    wx(
        &db.url,
        &[
            "bindings", "unbind", "--appid", APP, "--openid", "o-alice", "--reason", "INC-2",
            "--yes",
        ],
    )
    .await
    .expect(0);
}

store_test!(
    audit_json_lists_entries_newest_first_with_operator_and_origin,
    |db| {
        some_history(&db).await;
        let out = wx(&db.url, &["audit", "--json", "--limit", "2"])
            .await
            .expect(0);
        assert_json_snapshot_named!("audit_json", &out.stdout);
        let v = out.json();
        let entries = v["entries"].as_array().unwrap();
        assert_eq!(entries[0]["action"], "binding.unbind");
        assert_eq!(entries[1]["action"], "sessions.revoke");
        assert!(
            entries
                .iter()
                .all(|e| e["operator"] == OPERATOR && e["origin"] == ORIGIN)
        );
        // The first login's binding.create (by `user`) and the fixture's account.create are
        // older: on the next page, newest first.
        let cursor = v["next_cursor"].as_str().expect("another page");
        let next = wx(&db.url, &["audit", "--json", "--after", cursor])
            .await
            .expect(0)
            .json();
        assert_eq!(next["entries"][0]["action"], "binding.create");
        assert_eq!(next["entries"][0]["operator"], "user");
        assert_eq!(next["entries"][1]["action"], "account.create");
        assert!(next["next_cursor"].is_null());
    }
);

store_test!(audit_filters_by_action_operator_and_since, |db| {
    some_history(&db).await;
    let only = wx(&db.url, &["audit", "--action", "sessions.revoke", "--json"])
        .await
        .expect(0)
        .json();
    assert_eq!(only["entries"].as_array().unwrap().len(), 1);
    assert_eq!(only["entries"][0]["reason"], "INC-1");

    let by_fixture = wx(&db.url, &["audit", "--operator", "fixture", "--json"])
        .await
        .expect(0)
        .json();
    assert_eq!(by_fixture["entries"].as_array().unwrap().len(), 1);
    assert_eq!(by_fixture["entries"][0]["action"], "account.create");

    let recent = wx(&db.url, &["audit", "--since", "1h", "--json"])
        .await
        .expect(0)
        .json();
    // account.create, the first login's binding.create, the revoke and the unbind.
    assert_eq!(recent["entries"].as_array().unwrap().len(), 4);
    let future = wx(&db.url, &["audit", "--since", "2999-01-01"])
        .await
        .expect(0);
    assert_eq!(future.stdout.trim(), "no audit entries match");

    let bad = wx(&db.url, &["audit", "--since", "last tuesday"])
        .await
        .expect(2);
    assert!(bad.stderr.contains("--since"), "{}", bad.stderr);

    let table = wx(&db.url, &["audit"]).await.expect(0);
    assert!(table.stdout.starts_with("AT"), "{}", table.stdout);
    assert!(table.stdout.contains("binding.unbind") && table.stdout.contains(ORIGIN));
});

store_test!(read_only_allows_every_look_and_refuses_every_change, |db| {
    let alice = account(&db, "alice").await;
    let s = login(&db, alice.id, Login::new(APP, "o-alice")).await;
    let looks: &[&[&str]] = &[
        &["sessions", "list"],
        &["sessions", "show", &s.public_id],
        &["bindings", "show", "--username", "alice"],
        &["accounts", "show", "alice"],
        &["audit"],
    ];
    for args in looks {
        let mut a = vec!["--read-only"];
        a.extend_from_slice(args);
        wx(&db.url, &a).await.expect(0);
    }
    let changes: &[&[&str]] = &[
        &["sessions", "revoke", &s.public_id, "--reason", "r", "--yes"],
        &[
            "sessions",
            "revoke",
            "--username",
            "alice",
            "--reason",
            "r",
            "--yes",
        ],
        &[
            "bindings", "unbind", "--appid", APP, "--openid", "o-alice", "--reason", "r", "--yes",
        ],
        &["accounts", "disable", "alice", "--reason", "r", "--yes"],
        &["accounts", "create", "newbie"],
    ];
    for args in changes {
        let mut a = vec!["--read-only"];
        a.extend_from_slice(args);
        let out = wx(&db.url, &a).await.expect(4);
        assert!(
            out.stderr.contains("read-only mode"),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(
            out.stderr.lines().count(),
            1,
            "one sentence: {}",
            out.stderr
        );
    }
    let audit = db
        .list_audit(&Default::default(), None, 100)
        .await
        .unwrap()
        .rows;
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["binding.create", "account.create"],
        "only the fixture's account.create and the first login's binding: {audit:?}"
    );
});

#[tokio::test]
async fn an_unreachable_database_exits_1_with_one_line_and_no_password() {
    let out = wx(
        "postgres://app:hunter2secret@127.0.0.1:1/wx",
        &["sessions", "list"],
    )
    .await;
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.starts_with("wxlogin: cannot reach the database"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("hunter2secret"));
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn completions_are_generated_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef wxlogin"),
        ("fish", "complete -c wxlogin"),
    ] {
        let out = wx("sqlite::memory:", &["completions", shell])
            .await
            .expect(0);
        assert!(out.stdout.contains(marker), "{shell}");
        for word in [
            "sessions",
            "revoke",
            "token-stdin",
            "unbind",
            "audit",
            "accounts",
        ] {
            assert!(out.stdout.contains(word), "{shell} completes {word}");
        }
        assert!(!out.stdout.contains("PAUSE"), "test hooks are not options");
    }
    wx("sqlite::memory:", &["completions", "powershell"])
        .await
        .expect(2);
}

#[tokio::test]
async fn help_documents_the_exit_codes_on_every_command() {
    for args in [
        vec!["--help"],
        vec!["sessions", "--help"],
        vec!["sessions", "revoke", "--help"],
        vec!["bindings", "unbind", "--help"],
        vec!["accounts", "create", "--help"],
        vec!["audit", "--help"],
    ] {
        let out = wx("sqlite::memory:", &args).await.expect(0);
        let text = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        for code in [
            "0 success",
            "2 usage error",
            "3 nothing matched",
            "4 refused",
        ] {
            assert!(
                text.contains(code),
                "{args:?} --help lacks {code:?}:\n{}",
                out.stdout
            );
        }
    }
}
