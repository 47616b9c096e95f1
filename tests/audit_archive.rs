//! `wxlogin audit archive` through the real binary: rows go to a verified JSON-lines file and
//! only then leave the table, through the one path the append-only triggers allow; a command
//! killed at any point loses no row (each is still in the table or in a complete, verified
//! file); an existing file is never overwritten (exit 2); support is refused (exit 4); the
//! `audit.archive` row names the count and the file's SHA-256. SQLite always, PostgreSQL when
//! WXLOGIN_TEST_PG_URL is set.

mod cli_support;
mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use cli_support::{command, wx};
use common::{account, audit_rows};
use wxlogin::store::{AuditFilter, Store};

/// (action, target) of every audit row of the seeded kind.
async fn table_rows(store: &Store) -> BTreeSet<(String, String)> {
    store
        .list_audit(
            &AuditFilter {
                action: Some("account.create".into()),
                ..Default::default()
            },
            None,
            10_000,
        )
        .await
        .expect("list")
        .rows
        .into_iter()
        .map(|r| (r.action, r.target))
        .collect()
}

/// (action, target) of every line of a complete archive file, which must read back whole.
fn file_rows(path: &std::path::Path) -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(path).expect("read the archive");
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            for f in [
                "at", "operator", "role", "origin", "action", "target", "reason", "detail",
            ] {
                assert!(v.get(f).is_some(), "{f} missing in {l}");
            }
            (
                v["action"].as_str().unwrap().to_owned(),
                v["target"].as_str().unwrap().to_owned(),
            )
        })
        .filter(|(a, _)| a == "account.create")
        .collect()
}

store_test!(
    an_archive_killed_at_any_point_loses_no_audit_row_and_a_finished_one_records_its_sha256,
    |db| {
        for i in 0..24 {
            account(&db.store, &format!("user{i:02}")).await;
        }
        let all = table_rows(&db.store).await;
        assert_eq!(all.len(), 24);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let before = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let dir = tempfile::tempdir().expect("tempdir");

        // Support may not; plain DELETE is still refused by the trigger.
        let f = dir.path().join("refused.jsonl");
        let out = wx(
            &db.url,
            &[
                "--role",
                "support",
                "audit",
                "archive",
                "--before",
                &before,
                "--to",
                f.to_str().unwrap(),
                "--yes",
            ],
        )
        .await
        .expect(4);
        assert!(out.stderr.contains("needs the oncall role"), "{out:?}");
        assert!(!f.exists());
        let plain = match (
            db.store.pg_pool(),
            db.store.sqlite_pool(),
            db.store.mysql_pool(),
        ) {
            (Some(p), _, _) => sqlx::query("DELETE FROM audit_log")
                .execute(p)
                .await
                .map(|_| ()),
            (_, Some(p), _) => sqlx::query("DELETE FROM audit_log")
                .execute(p)
                .await
                .map(|_| ()),
            (_, _, Some(p)) => sqlx::query("DELETE FROM audit_log")
                .execute(p)
                .await
                .map(|_| ()),
            _ => unreachable!(),
        };
        assert!(plain.is_err(), "a plain DELETE must stay refused");

        // Kill it at several points: early (writing or verifying the file), and twice right
        // after a delete batch has committed (seen by polling the table, not guessed by a
        // timer, so a slow machine cannot make the kill land elsewhere).
        let mut files = Vec::new();
        let mut killed_mid_delete = false;
        for (k, delay) in [Some(80u64), Some(400), None, None].into_iter().enumerate() {
            let f = dir.path().join(format!("kill{k}.jsonl"));
            let mut cmd = command(
                &db.url,
                &[
                    "audit",
                    "archive",
                    "--before",
                    &before,
                    "--to",
                    f.to_str().unwrap(),
                    "--yes",
                    "--batch-size",
                    "4",
                ],
            );
            cmd.env("WXLOGIN_TEST_ARCHIVE_PAUSE_MS", "120");
            let start = table_rows(&db.store).await.len();
            let mut child = cmd.spawn().expect("spawn");
            match delay {
                Some(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
                None => {
                    let give_up = tokio::time::Instant::now() + Duration::from_secs(60);
                    while table_rows(&db.store).await.len() == start
                        && tokio::time::Instant::now() < give_up
                        && child.try_wait().ok().flatten().is_none()
                    {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            }
            child.start_kill().expect("SIGKILL");
            let _ = child.wait().await;
            files.push(f.clone());
            let mut partial = f.clone().into_os_string();
            partial.push(".partial");
            // An unfinished file stays under .partial; remove it as an operator would.
            let _ = std::fs::remove_file(&partial);

            let mut seen = table_rows(&db.store).await;
            killed_mid_delete |= !seen.is_empty() && seen.len() < all.len();
            for f in files.iter().filter(|f| f.exists()) {
                seen.extend(file_rows(f));
            }
            assert_eq!(seen, all, "a row was lost after a kill at {delay:?} ms");
        }

        assert!(
            killed_mid_delete,
            "no kill landed between two delete batches"
        );

        // To the end: the rest goes, with one audit.archive row.
        let f = dir.path().join("final.jsonl");
        let out = wx(
            &db.url,
            &[
                "audit",
                "archive",
                "--before",
                &before,
                "--to",
                f.to_str().unwrap(),
                "--yes",
                "--json",
            ],
        )
        .await;
        let left = table_rows(&db.store).await;
        if out.code == 3 {
            // Everything was already archived by a killed run that got to the end.
            assert!(left.is_empty());
        } else {
            let j = out.expect(0).json();
            assert!(left.is_empty(), "{left:?}");
            let (n, sha) = wxlogin::ops::read_back(&f).expect("read back");
            assert_eq!(j["count"], n, "{j}");
            assert_eq!(j["sha256"], sha.as_str());
            let rows = audit_rows(&db.store, "audit.archive").await;
            let last = rows.first().expect("an audit.archive row");
            assert_eq!(last.detail.0["sha256"], sha.as_str());
            assert_eq!(last.detail.0["count"], n);
            assert_eq!(last.operator, cli_support::OPERATOR);
        }
        let mut seen = BTreeSet::new();
        for f in files.iter().chain([&f]).filter(|f| f.exists()) {
            seen.extend(file_rows(f));
        }
        assert_eq!(seen, all, "every row is in a verified file");

        // Never over an existing file.
        let out = wx(
            &db.url,
            &[
                "audit",
                "archive",
                "--before",
                &before,
                "--to",
                files[0].to_str().unwrap(),
                "--yes",
            ],
        )
        .await;
        if files[0].exists() {
            assert_eq!(out.code, 2, "{out:?}");
            assert!(out.stderr.contains("never overwrites"), "{out:?}");
        }
    }
);
