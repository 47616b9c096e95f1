//! `wxlogin accounts history` by username or by `--account ID`, and the `app_bindings` count in
//! `bindings show --json`, through the real binary. SQLite always, PostgreSQL when
//! WXLOGIN_TEST_PG_URL is set.

mod cli_support;
mod common;

use cli_support::wx;
use common::{Login, account, login};

const APP_A: &str = "wxapp00000000001";
const APP_B: &str = "wxapp00000000002";

store_test!(
    accounts_history_by_account_id_is_the_same_as_by_username,
    |db| {
        let alice = account(&db.store, "alice").await;
        let bob = account(&db.store, "bob").await;
        login(&db.store, alice.id, Login::new(APP_A, "o-alice")).await;
        login(&db.store, bob.id, Login::new(APP_A, "o-bob")).await;

        let by_name = wx(&db.url, &["accounts", "history", "alice", "--json"])
            .await
            .expect(0)
            .json();
        let id = alice.id.to_string();
        let by_id = wx(
            &db.url,
            &["accounts", "history", "--account", &id, "--json"],
        )
        .await
        .expect(0)
        .json();
        assert_eq!(by_name, by_id);
        assert_eq!(by_id["account"]["id"], alice.id);
        assert_eq!(by_id["account"]["username"], "alice");
        let events = by_id["events"].as_array().expect("events");
        // The account's creation (audited) and its first login's session, nothing of bob's.
        let actions: Vec<&str> = events
            .iter()
            .map(|e| e["action"].as_str().expect("action"))
            .collect();
        assert!(actions.contains(&"session.create"), "{actions:?}");
        assert!(
            events
                .iter()
                .all(|e| !e.to_string().contains("o-bob") && !e.to_string().contains("bob")),
            "{by_id}"
        );
        // `#42` is accepted as `--account` is elsewhere; the text form lists the same events.
        let hash = format!("#{id}");
        let text = wx(&db.url, &["accounts", "history", "--account", &hash])
            .await
            .expect(0);
        let lines: Vec<&str> = text.stdout.lines().collect();
        assert_eq!(lines.len(), events.len(), "{}", text.stdout);
        for (line, e) in lines.iter().zip(events) {
            assert!(
                line.starts_with(e["at"].as_str().expect("at")),
                "{line} / {e}"
            );
        }
    }
);

store_test!(
    accounts_history_of_an_unknown_account_exits_3_and_a_name_given_as_id_is_a_usage_error,
    |db| {
        account(&db.store, "alice").await;
        let out = wx(&db.url, &["accounts", "history", "--account", "987654"])
            .await
            .expect(3);
        assert!(out.stderr.contains("no account with id 987654"), "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");

        let out = wx(&db.url, &["accounts", "history", "nobody"])
            .await
            .expect(3);
        assert!(out.stderr.contains("no account named nobody"), "{out:?}");

        let out = wx(&db.url, &["accounts", "history", "--account", "alice"])
            .await
            .expect(2);
        // The hint names the way this command takes a username (not `--username`, which
        // `accounts history` does not have).
        assert!(
            out.stderr
                .contains("`accounts history alice` (without --account)"),
            "{out:?}"
        );

        // Neither, or both: the parser says which to give.
        let out = wx(&db.url, &["accounts", "history"]).await.expect(2);
        assert!(out.stderr.contains("--account"), "{out:?}");
        let out = wx(&db.url, &["accounts", "history", "alice", "--account", "1"])
            .await
            .expect(2);
        assert!(out.stderr.contains("cannot be used with"), "{out:?}");
    }
);

store_test!(
    bindings_show_json_counts_the_accounts_bindings_in_each_mini_program,
    |db| {
        let alice = account(&db.store, "alice").await;
        // Two WeChat users in mini program A share alice's password; one binding in B.
        login(&db.store, alice.id, Login::new(APP_A, "o-alice")).await;
        login(&db.store, alice.id, Login::new(APP_A, "o-stranger")).await;
        login(&db.store, alice.id, Login::new(APP_B, "o-alice-b")).await;

        let v = wx(
            &db.url,
            &["bindings", "show", "--username", "alice", "--json"],
        )
        .await
        .expect(0)
        .json();
        let mut counts: Vec<(String, String, i64)> = v["bindings"]
            .as_array()
            .expect("bindings")
            .iter()
            .map(|b| {
                (
                    b["appid"].as_str().expect("appid").to_owned(),
                    b["openid"].as_str().expect("openid").to_owned(),
                    b["app_bindings"]
                        .as_i64()
                        .expect("app_bindings is an integer"),
                )
            })
            .collect();
        counts.sort();
        assert_eq!(
            counts,
            vec![
                (APP_A.to_owned(), "o-alice".to_owned(), 2),
                (APP_A.to_owned(), "o-stranger".to_owned(), 2),
                (APP_B.to_owned(), "o-alice-b".to_owned(), 1),
            ]
        );

        // Looked up by openid, the count is still the account's, not the query's.
        let v = wx(
            &db.url,
            &[
                "bindings",
                "show",
                "--openid",
                "o-stranger",
                "--appid",
                APP_A,
                "--json",
            ],
        )
        .await
        .expect(0)
        .json();
        assert_eq!(v["bindings"][0]["app_bindings"], 2, "{v}");
    }
);
