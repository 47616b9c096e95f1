//! The service's background purge: with two instances on one database exactly one purges at a
//! time (their runs never overlap and together remove every ended session once), and a
//! shutdown stops the purge promptly, after which the other instance finishes the run. SQLite
//! always, PostgreSQL when WXLOGIN_TEST_PG_URL is set.

mod common;

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use common::{Login, account, audit_rows, data_key, new_session};
use wxlogin::mock_wechat::demo_app;
use wxlogin::secret::Secret;
use wxlogin::service::retention::RetentionConfig;
use wxlogin::service::{self, ServiceConfig, ServiceHandle, ServiceState};
use wxlogin::store::{SessionFilter, Store};
use wxlogin::wechat::{WechatClient, WechatConfig};

const APP: &str = "wxapp00000000001";

async fn start(store: &Store, retention: RetentionConfig) -> ServiceHandle {
    // No login happens here: WeChat is never called.
    let wechat = WechatClient::new(WechatConfig::new("http://127.0.0.1:9", vec![demo_app()]))
        .expect("client");
    let cfg = ServiceConfig {
        retention,
        ..Default::default()
    };
    let state = ServiceState::new(store.clone(), data_key(), wechat, cfg);
    service::spawn(state, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("start the service")
}

fn retention(batch: i64, pause_ms: u64) -> RetentionConfig {
    RetentionConfig {
        purge_interval: StdDuration::from_secs(1),
        purge_batch: batch,
        purge_pause: StdDuration::from_millis(pause_ms),
        ..Default::default()
    }
}

/// `n` sessions that expired about 93 days ago and one live one.
async fn seed(db: &common::TestDb, n: usize) -> i64 {
    let alice = account(&db.store, "alice").await;
    let old = Store::connect(&db.url, Default::default())
        .await
        .expect("connect")
        .with_clock(Arc::new(|| Utc::now() - Duration::days(100)));
    let sk = Secret::new("SESSIONKEY-fixture-0123==");
    for i in 0..n {
        let openid = format!("o-old-{i}");
        let ns = new_session(&Login::new(APP, &openid), &sk);
        old.bind_and_login(&data_key(), alice.id, &ns)
            .await
            .expect("login");
    }
    old.close().await;
    let ns = new_session(&Login::new(APP, "o-live"), &sk);
    db.store
        .bind_and_login(&data_key(), alice.id, &ns)
        .await
        .expect("login");
    alice.id
}

async fn all_sessions(store: &Store, account_id: i64) -> u64 {
    store
        .count_sessions(&SessionFilter {
            account_id: Some(account_id),
            include_inactive: true,
            ..Default::default()
        })
        .await
        .expect("count")
}

async fn wait_until_left(store: &Store, account_id: i64, left: u64) {
    let deadline = Instant::now() + StdDuration::from_secs(90);
    while all_sessions(store, account_id).await > left {
        assert!(Instant::now() < deadline, "the purge did not get there");
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}

fn at(v: &serde_json::Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

store_test!(
    with_two_instances_exactly_one_purges_at_a_time_and_every_ended_session_goes_once,
    |db| {
        let n = 120;
        let alice = seed(&db, n).await;
        let a = start(&db.store, retention(10, 20)).await;
        let b = start(&db.store, retention(10, 20)).await;
        let ids = [a.instance_id().to_owned(), b.instance_id().to_owned()];
        wait_until_left(&db.store, alice, 1).await;
        // Let a further run or two happen: they find nothing.
        tokio::time::sleep(StdDuration::from_millis(2500)).await;
        a.shutdown().await.expect("stop a");
        b.shutdown().await.expect("stop b");
        let live = db
            .store
            .count_sessions(&SessionFilter {
                account_id: Some(alice),
                ..Default::default()
            })
            .await
            .expect("count");
        assert_eq!(live, 1, "the live session survives");

        let rows = audit_rows(&db.store, "sessions.purge").await;
        assert!(!rows.is_empty());
        let removed: u64 = rows
            .iter()
            .map(|r| r.detail.0["removed"].as_u64().expect("removed"))
            .sum();
        assert_eq!(removed, n as u64, "{rows:?}");
        let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
        for r in &rows {
            assert_eq!(r.operator, "retention");
            let instance = r.detail.0["instance"].as_str().expect("instance");
            assert!(ids.iter().any(|i| i == instance), "{r:?}");
            assert_eq!(
                r.origin.as_deref(),
                Some(format!("instance:{instance}").as_str())
            );
            spans.push((at(&r.detail.0["started_at"]), r.at.0));
        }
        spans.sort();
        for w in spans.windows(2) {
            assert!(w[0].1 <= w[1].0, "two purge runs overlapped: {spans:?}");
        }
    }
);

store_test!(
    a_shutdown_stops_the_purge_promptly_and_the_next_instance_finishes_the_run,
    |db| {
        let n = 80;
        let alice = seed(&db, n).await;
        // Five rows a batch and 300 ms between batches: the run takes about 5 s.
        let a = start(&db.store, retention(5, 300)).await;
        let a_id = a.instance_id().to_owned();
        wait_until_left(&db.store, alice, n as u64 - 9).await;
        let t = Instant::now();
        a.shutdown().await.expect("stop a");
        assert!(
            t.elapsed() < StdDuration::from_secs(3),
            "shutdown waited {:?}",
            t.elapsed()
        );
        let left = all_sessions(&db.store, alice).await;
        assert!(left > 1, "the run was cut short ({left} left)");
        let status = db.store.purge_status().await.expect("status");
        let pending = status.pending.expect("the unfinished run is kept");
        assert_eq!(pending.started_by, a_id);
        assert!(audit_rows(&db.store, "sessions.purge").await.is_empty());

        let b = start(&db.store, retention(50, 0)).await;
        let b_id = b.instance_id().to_owned();
        wait_until_left(&db.store, alice, 1).await;
        // The audit row is written right after the last batch.
        let deadline = Instant::now() + StdDuration::from_secs(10);
        let rows = loop {
            let rows = audit_rows(&db.store, "sessions.purge").await;
            if !rows.is_empty() || Instant::now() > deadline {
                break rows;
            }
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        };
        b.shutdown().await.expect("stop b");
        let resumed: Vec<_> = rows
            .iter()
            .filter(|r| r.detail.0["resumed"] == true)
            .collect();
        assert_eq!(resumed.len(), 1, "{rows:?}");
        let r = resumed[0];
        assert_eq!(
            r.detail.0["removed"], n as u64,
            "one row for the whole run: {r:?}"
        );
        assert_eq!(r.detail.0["started_by"], a_id.as_str());
        assert_eq!(r.detail.0["instance"], b_id.as_str());
    }
);
