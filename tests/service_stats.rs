//! Login outcomes, failing addresses and instances in the database, as every `wxlogin serve`
//! writes them, and `wxlogin stats` reading them: SQLite and PostgreSQL.

mod cli_support;
mod common;
mod service_common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use service_common::*;
use wxlogin::service::{LoginResult, LoginStats, ServiceConfig};
use wxlogin::store::Ts;
use wxlogin::store::stats::{ADDRESSES_PER_MINUTE, OutcomeCount, minute_of};

fn fast_flush() -> Setup {
    Setup {
        service: ServiceConfig {
            login_rate_limit: 0,
            account_failure_limit: 0,
            login_flood_limit: 0,
            stats_flush_interval: Duration::from_millis(100),
            ..ServiceConfig::default()
        },
        ..Setup::default()
    }
}

/// Waits until the logins of the last hour in the database add up to `n`.
async fn wait_for_logins(w: &World, n: i64) {
    let since = Ts::from(Utc::now() - chrono::Duration::hours(1));
    for _ in 0..100 {
        let total: i64 = w
            .store
            .login_buckets(since)
            .await
            .unwrap()
            .iter()
            .map(|b| b.count)
            .sum();
        if total == n {
            return;
        }
        assert!(total < n, "more logins recorded than made: {total} > {n}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the service did not flush {n} logins within 10 s");
}

fn bucket(json: &Value, outcome: &str) -> i64 {
    json["logins"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["outcome"] == outcome)
        .map(|b| b["count"].as_i64().unwrap())
        .sum()
}

store_test!(login_outcomes_reach_the_database_and_wxlogin_stats, |db| {
    account(&db, "alice").await;
    let w = world_with(db, fast_flush()).await;
    assert_eq!(w.login("wx-alice", None).await.error(), "binding_required");
    w.bind("wx-alice", "alice").await;
    assert_eq!(w.login("wx-alice", None).await.status, StatusCode::OK);
    for _ in 0..2 {
        let a = w.login("wx-mallory", Some(("alice", "guess"))).await;
        assert_eq!(a.error(), "invalid_credentials");
    }
    let code = w.code("wx-alice");
    let body = serde_json::json!({ "appid": APPID, "code": code });
    assert_eq!(w.post_login(body.clone()).await.status, StatusCode::OK);
    assert_eq!(w.post_login(body).await.error(), "code_used");
    wait_for_logins(&w, 7).await;

    let run = cli_support::wx(&w.db.url, &["stats", "--since", "60m", "--json"])
        .await
        .expect(0);
    let j = run.json();
    assert_eq!(j["live_sessions"]["count"], 3, "{j}");
    assert_eq!(j["live_sessions"]["kind"], "exact");
    let me = j["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == w.service.instance_id())
        .unwrap_or_else(|| panic!("this instance is not listed: {j}"));
    assert_eq!(me["state"], "up");
    assert_eq!(me["version"], env!("CARGO_PKG_VERSION"));
    assert!(me["last_seen"].as_str().unwrap().ends_with('Z'));
    assert_eq!(bucket(&j, "binding_required"), 1);
    assert_eq!(bucket(&j, "bound"), 1);
    assert_eq!(bucket(&j, "silent"), 2);
    assert_eq!(bucket(&j, "invalid_credentials"), 2);
    assert_eq!(bucket(&j, "wechat_40163"), 1);
    let b = &j["logins"][0];
    assert_eq!(b["appid"], APPID);
    assert!(b["minute"].as_str().unwrap().ends_with(":00Z"), "{b}");
    // Two wrong passwords and one used code, all from 127.0.0.1.
    assert_eq!(
        j["failing_addresses"],
        serde_json::json!([{ "address": "127.0.0.1", "count": 3 }])
    );

    // The table for people says the same.
    let run = cli_support::wx(&w.db.url, &["stats"]).await.expect(0);
    assert!(run.stdout.contains("live sessions: 3"), "{}", run.stdout);
    assert!(run.stdout.contains("invalid_credentials"), "{}", run.stdout);
    assert!(run.stdout.contains("127.0.0.1"), "{}", run.stdout);
});

store_test!(
    a_flush_writes_one_row_per_changed_counter_whatever_the_rate,
    |db| {
        let stats = LoginStats::default();
        let now = Utc::now();
        let ip = "198.51.100.7".parse().unwrap();
        for _ in 0..1000 {
            stats.record(now, APPID, LoginResult::Silent, None, ip);
        }
        let f = stats.flush(&db, "i-test", now).await.unwrap();
        assert_eq!(f.outcome_rows, 1);
        assert_eq!(f.address_rows, 0, "a silent login is no failure");
        // Nothing changed: nothing written.
        let f = stats.flush(&db, "i-test", now).await.unwrap();
        assert_eq!((f.outcome_rows, f.address_rows), (0, 0));
        stats.record(now, APPID, LoginResult::Silent, None, ip);
        let f = stats.flush(&db, "i-test", now).await.unwrap();
        assert_eq!(f.outcome_rows, 1);
        let since = Ts::from(now - chrono::Duration::minutes(5));
        let b = db.login_buckets(since).await.unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].outcome.as_str(), b[0].count), ("silent", 1001));
        assert_eq!(b[0].minute, minute_of(Ts::from(now)));
    }
);

store_test!(
    failing_addresses_keep_the_top_fifty_per_instance_and_minute,
    |db| {
        let stats = LoginStats::default();
        let now = Utc::now();
        // 60 addresses; address i fails i+1 times. IPv6 addresses count per /64.
        for i in 0..60u32 {
            let ip = format!("203.0.113.{i}").parse().unwrap();
            for _ in 0..=i {
                stats.record(now, APPID, LoginResult::InvalidCredentials, None, ip);
            }
        }
        for host in 1..=5u16 {
            let ip = format!("2001:db8:1:2::{host}").parse().unwrap();
            for _ in 0..100 {
                stats.record(now, APPID, LoginResult::BindingConflict, None, ip);
            }
        }
        stats.flush(&db, "i-test", now).await.unwrap();
        // Two minutes later the minute is closed: its final top 50 stays, the rest goes.
        stats
            .flush(&db, "i-test", now + chrono::Duration::minutes(2))
            .await
            .unwrap();
        let since = Ts::from(now - chrono::Duration::minutes(5));
        let all = db.failing_addresses(since, 1000).await.unwrap();
        assert_eq!(all.len(), ADDRESSES_PER_MINUTE as usize);
        assert_eq!(all[0].address, "2001:db8:1:2::/64");
        assert_eq!(all[0].count, 500);
        assert_eq!(all[1].address, "203.0.113.59");
        assert_eq!(all[1].count, 60);
        // The 49 heaviest IPv4 addresses made it; the lightest eleven did not.
        assert!(all.iter().all(|a| a.count >= 12), "{all:?}");
    }
);

store_test!(garbage_statistics_read_as_other_and_never_fail, |db| {
    let now = Utc::now();
    let minute = minute_of(Ts::from(now));
    let future = minute_of(Ts::from(now + chrono::Duration::days(400)));
    let rows = [
        (minute, "silent", 4),
        (minute, "\u{1b}[31mno-such-outcome", 2),
        (minute, "wechat_99999", 1),
        (future, "silent", 7),
        (minute, "bound", -5),
    ]
    .map(|(minute, outcome, count)| OutcomeCount {
        minute,
        appid: APPID.to_owned(),
        outcome: outcome.to_owned(),
        count,
    });
    db.write_login_stats("i-garbage", &rows, &[], &[])
        .await
        .unwrap();
    let b = db
        .login_buckets(Ts::from(now - chrono::Duration::hours(1)))
        .await
        .unwrap();
    let count = |o: &str| {
        b.iter()
            .filter(|x| x.outcome == o)
            .map(|x| x.count)
            .sum::<i64>()
    };
    assert_eq!(count("silent"), 4);
    assert_eq!(count("other"), 10, "{b:?}");
    assert_eq!(count("bound"), 0);
    assert!(b.iter().all(|x| x.minute <= minute), "{b:?}");

    let run = cli_support::wx(&db.url, &["stats", "--json"])
        .await
        .expect(0);
    let j = run.json();
    assert_eq!(bucket(&j, "other"), 10);
    let text = cli_support::wx(&db.url, &["stats"]).await.expect(0).stdout;
    assert!(!text.contains('\u{1b}'), "{text}");
});

store_test!(old_statistics_are_deleted_by_the_service, |db| {
    let now = Utc::now();
    let old = |days: i64, m: i64| {
        minute_of(Ts::from(
            now - chrono::Duration::days(days) - chrono::Duration::minutes(m),
        ))
    };
    let mut rows = Vec::new();
    for m in 0..150 {
        rows.push(OutcomeCount {
            minute: old(20, m),
            appid: APPID.to_owned(),
            outcome: "silent".to_owned(),
            count: 1,
        });
    }
    rows.push(OutcomeCount {
        minute: old(2, 0),
        appid: APPID.to_owned(),
        outcome: "bound".to_owned(),
        count: 3,
    });
    db.write_login_stats("i-old", &rows, &[], &[])
        .await
        .unwrap();
    let mut setup = fast_flush();
    setup.service.stats_retention = Duration::from_secs(14 * 86_400);
    let w = world_with(db, setup).await;
    let since = Ts::from(now - chrono::Duration::days(30));
    for _ in 0..100 {
        if w.store.login_buckets(since).await.unwrap().len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let b = w.store.login_buckets(since).await.unwrap();
    assert_eq!(b.len(), 1, "only the row within the retention stays");
    assert_eq!((b[0].outcome.as_str(), b[0].count), ("bound", 3));
});

store_test!(a_graceful_shutdown_marks_the_instance_stopped, |db| {
    let w = world_with(db, fast_flush()).await;
    let id = w.service.instance_id().to_owned();
    let since = Ts::from(Utc::now() - chrono::Duration::hours(1));
    let listed = w.store.service_instances(since, 10).await.unwrap();
    let me = listed.iter().find(|i| i.id == id).expect("registered");
    assert!(me.stopped_at.is_none());
    assert_eq!(me.pid, i64::from(std::process::id()));
    assert_eq!(me.listen, w.service.addr.to_string());
    let World {
        service, store, db, ..
    } = w;
    service.shutdown().await.unwrap();
    let listed = store.service_instances(since, 10).await.unwrap();
    let me = listed.iter().find(|i| i.id == id).expect("still listed");
    assert!(me.stopped_at.is_some(), "{me:?}");
    drop(db);
});
