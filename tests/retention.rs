//! Session retention through the real binary: `wxlogin sessions purge` removes sessions that
//! ended (expired or were revoked) before the cutoff and never a live one, writes one
//! `sessions.purge` audit row per run, refuses support and viewer, and a run killed with
//! SIGKILL mid-way is finished by the next one. SQLite always, PostgreSQL when
//! WXLOGIN_TEST_PG_URL is set.

mod cli_support;
mod common;

use std::sync::Arc;

use chrono::{Duration, Utc};
use cli_support::{command, wx};
use common::{Login, account, audit_rows, data_key, new_session, operator};
use wxlogin::secret::Secret;
use wxlogin::store::{BindingQuery, LoginOutcome, SessionFilter, Store};

const APP: &str = "wxapp00000000001";

/// The same database seen from `days` days ago.
async fn days_ago(url: &str, days: i64) -> Store {
    Store::connect(url, Default::default())
        .await
        .expect("connect")
        .with_clock(Arc::new(move || Utc::now() - Duration::days(days)))
}

/// A session issued by `store` (at its clock) for `openid`, lasting `ttl` and `idle`.
async fn session(store: &Store, account_id: i64, openid: &str, ttl: Duration, idle: Duration) {
    let sk = Secret::new("SESSIONKEY-fixture-0123==");
    let l = Login::new(APP, openid);
    let mut ns = new_session(&l, &sk);
    ns.ttl = ttl;
    ns.idle = idle;
    match store
        .bind_and_login(&data_key(), account_id, &ns)
        .await
        .expect("login")
    {
        LoginOutcome::Issued(_) => {}
        other => panic!("expected a session, got {other:?}"),
    }
}

/// Every session of the account, live or not.
async fn sessions_of(store: &Store, account_id: i64) -> u64 {
    store
        .count_sessions(&SessionFilter {
            account_id: Some(account_id),
            include_inactive: true,
            ..Default::default()
        })
        .await
        .expect("count")
}

async fn live_sessions_of(store: &Store, account_id: i64) -> u64 {
    store
        .count_sessions(&SessionFilter {
            account_id: Some(account_id),
            ..Default::default()
        })
        .await
        .expect("count")
}

/// `n` sessions of `account` that expired about 93 days ago (issued 100 days ago, 7 days idle).
async fn expired_long_ago(url: &str, account_id: i64, n: usize) {
    let old = days_ago(url, 100).await;
    for i in 0..n {
        session(
            &old,
            account_id,
            &format!("o-old-{i}"),
            Duration::days(30),
            Duration::days(7),
        )
        .await;
    }
    old.close().await;
}

store_test!(
    purge_removes_ended_sessions_before_the_cutoff_and_keeps_a_live_session_created_long_ago,
    |db| {
        let alice = account(&db.store, "alice").await;
        // Ended long ago: two expired, one revoked 100 days ago.
        expired_long_ago(&db.url, alice.id, 2).await;
        let old = days_ago(&db.url, 100).await;
        session(
            &old,
            alice.id,
            "o-revoked",
            Duration::days(300),
            Duration::days(300),
        )
        .await;
        wxlogin::ops::revoke_matching(
            &old,
            &operator("fixture"),
            &SessionFilter {
                openid: Some("o-revoked".into()),
                ..Default::default()
            },
            "left the company",
            100,
            &mut |_| true,
        )
        .await
        .expect("revoke");
        // Live although created 200 days ago (a 400-day session).
        let ancient = days_ago(&db.url, 200).await;
        session(
            &ancient,
            alice.id,
            "o-live-old",
            Duration::days(400),
            Duration::days(400),
        )
        .await;
        // Ended 13 days ago: inside the 30-day window, kept.
        let recent = days_ago(&db.url, 20).await;
        session(
            &recent,
            alice.id,
            "o-recent",
            Duration::days(30),
            Duration::days(7),
        )
        .await;
        // Live and new.
        session(
            &db.store,
            alice.id,
            "o-new",
            Duration::days(30),
            Duration::days(7),
        )
        .await;
        assert_eq!(sessions_of(&db.store, alice.id).await, 6);
        let bindings_before = db
            .store
            .find_bindings(&BindingQuery::AccountId(alice.id))
            .await
            .expect("bindings");

        let dry = wx(
            &db.url,
            &[
                "sessions",
                "purge",
                "--older-than",
                "30d",
                "--dry-run",
                "--json",
            ],
        )
        .await
        .expect(0)
        .json();
        assert_eq!(dry["dry_run"], true, "{dry}");
        assert_eq!(dry["purgeable"], 3, "{dry}");
        assert_eq!(
            sessions_of(&db.store, alice.id).await,
            6,
            "a dry run changes nothing"
        );
        assert!(audit_rows(&db.store, "sessions.purge").await.is_empty());

        let out = wx(
            &db.url,
            &[
                "sessions",
                "purge",
                "--older-than",
                "30d",
                "--yes",
                "--json",
            ],
        )
        .await
        .expect(0)
        .json();
        assert_eq!(out["removed"], 3, "{out}");
        assert_eq!(out["interrupted"], false, "{out}");
        assert_eq!(sessions_of(&db.store, alice.id).await, 3);
        assert_eq!(
            live_sessions_of(&db.store, alice.id).await,
            2,
            "both live sessions survive"
        );
        let page = db
            .store
            .list_sessions(
                &SessionFilter {
                    account_id: Some(alice.id),
                    include_inactive: true,
                    ..Default::default()
                },
                None,
                10,
            )
            .await
            .expect("list");
        let mut left: Vec<&str> = page.rows.iter().map(|s| s.openid.as_str()).collect();
        left.sort();
        assert_eq!(left, ["o-live-old", "o-new", "o-recent"]);

        // One audit row for the run, with who, the cutoff, the count, batches and duration.
        let rows = audit_rows(&db.store, "sessions.purge").await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        let r = &rows[0];
        assert_eq!(r.operator, cli_support::OPERATOR);
        assert_eq!(r.role.as_deref(), Some("oncall"));
        assert_eq!(r.detail.0["removed"], 3, "{:?}", r.detail);
        assert!(
            r.detail.0["batches"].as_u64().unwrap() >= 1,
            "{:?}",
            r.detail
        );
        assert!(r.detail.0["duration_ms"].is_u64(), "{:?}", r.detail);
        assert_eq!(r.detail.0["cutoff"], out["cutoff"]);

        // The binding and its last login are untouched.
        let bindings_after = db
            .store
            .find_bindings(&BindingQuery::AccountId(alice.id))
            .await
            .expect("bindings");
        assert_eq!(bindings_after.len(), 6);
        assert_eq!(bindings_before, bindings_after);

        // History says where retention removed older sessions; stats shows the last purge.
        let hist = wx(&db.url, &["accounts", "history", "alice"])
            .await
            .expect(0);
        let cutoff_day = &out["cutoff"].as_str().unwrap()[..10];
        assert!(
            hist.stdout.contains(&format!(
                "sessions that ended before {cutoff_day} removed by retention"
            )),
            "{}",
            hist.stdout
        );
        let hist = wx(&db.url, &["accounts", "history", "alice", "--json"])
            .await
            .expect(0)
            .json();
        assert!(
            hist["sessions_removed_before"]
                .as_str()
                .is_some_and(|s| s.starts_with(cutoff_day)),
            "{hist}"
        );
        let stats = wx(&db.url, &["stats", "--json"]).await.expect(0).json();
        let p = &stats["sessions_purge"];
        assert_eq!(p["last_removed"], 3, "{p}");
        assert_eq!(p["last_by"], cli_support::OPERATOR, "{p}");
        assert_eq!(p["backlog"]["kind"], "estimate", "{p}");
        assert_eq!(p["backlog"]["sessions"], 0, "{p}");
        let text = wx(&db.url, &["stats"]).await.expect(0);
        assert!(
            text.stdout.contains("last session purge: "),
            "{}",
            text.stdout
        );
        assert!(text.stdout.contains("3 removed in"), "{}", text.stdout);
        assert!(
            text.stdout
                .contains("purgeable backlog (estimated): ~0 sessions"),
            "{}",
            text.stdout
        );

        // Again: nothing left to remove, still one row per run.
        let again = wx(
            &db.url,
            &[
                "sessions",
                "purge",
                "--older-than",
                "30d",
                "--yes",
                "--json",
            ],
        )
        .await
        .expect(0)
        .json();
        assert_eq!(again["removed"], 0, "{again}");
        assert_eq!(audit_rows(&db.store, "sessions.purge").await.len(), 2);
    }
);

store_test!(
    purge_is_refused_to_support_and_viewer_with_exit_4_and_a_bad_age_is_a_usage_error,
    |db| {
        let alice = account(&db.store, "alice").await;
        expired_long_ago(&db.url, alice.id, 1).await;
        for role in ["support", "viewer"] {
            let out = wx(&db.url, &["--role", role, "sessions", "purge", "--yes"])
                .await
                .expect(4);
            assert!(out.stderr.contains("needs the oncall role"), "{out:?}");
        }
        let out = wx(
            &db.url,
            &["sessions", "purge", "--older-than", "banana", "--yes"],
        )
        .await
        .expect(2);
        assert!(out.stderr.contains("banana"), "{out:?}");
        assert!(out.stderr.contains("30d, 12h, 2w"), "{out:?}");
        assert_eq!(
            sessions_of(&db.store, alice.id).await,
            1,
            "nothing was purged"
        );
        assert!(audit_rows(&db.store, "sessions.purge").await.is_empty());
    }
);

store_test!(
    purge_killed_mid_run_is_finished_by_the_next_run_and_counted_in_one_audit_row,
    |db| {
        let alice = account(&db.store, "alice").await;
        let total = 60;
        expired_long_ago(&db.url, alice.id, total).await;
        session(
            &db.store,
            alice.id,
            "o-live",
            Duration::days(30),
            Duration::days(7),
        )
        .await;
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = dir.path().join("wxlogin.toml");
        std::fs::write(&cfg, "[retention]\npurge_lease_secs = 1\n").expect("config");
        let cfg = cfg.to_str().expect("utf-8 path");

        // Five rows a batch, 300 ms after each: kill it once some batches are in.
        let mut cmd = command(
            &db.url,
            &[
                "--config",
                cfg,
                "sessions",
                "purge",
                "--older-than",
                "30d",
                "--yes",
                "--batch-size",
                "5",
            ],
        );
        cmd.env("WXLOGIN_TEST_REVOKE_PAUSE_MS", "300");
        let mut child = cmd.spawn().expect("spawn");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let left = sessions_of(&db.store, alice.id).await;
            if left <= (total as u64 + 1) - 10 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the purge made no progress"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        child.start_kill().expect("SIGKILL");
        let _ = child.wait().await;
        let after_kill = sessions_of(&db.store, alice.id).await;
        assert!(
            after_kill > 1,
            "killed before it finished ({after_kill} left)"
        );
        assert!(
            audit_rows(&db.store, "sessions.purge").await.is_empty(),
            "no row for a run that did not end"
        );

        // The lease of the dead run lapses after a second; the next run finishes it.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let out = wx(
            &db.url,
            &[
                "--config",
                cfg,
                "sessions",
                "purge",
                "--older-than",
                "30d",
                "--yes",
                "--json",
            ],
        )
        .await
        .expect(0)
        .json();
        assert_eq!(sessions_of(&db.store, alice.id).await, 1, "{out}");
        assert_eq!(live_sessions_of(&db.store, alice.id).await, 1);
        let rows = audit_rows(&db.store, "sessions.purge").await;
        // The resumed run (with what the killed process removed) and the new run.
        let removed: u64 = rows
            .iter()
            .map(|r| r.detail.0["removed"].as_u64().unwrap())
            .sum();
        assert_eq!(removed, total as u64, "{rows:?}");
        assert!(
            rows.iter().any(|r| r.detail.0["resumed"] == true
                && r.detail.0["started_by"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("cli:"))),
            "{rows:?}"
        );
    }
);
