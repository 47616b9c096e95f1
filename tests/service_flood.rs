//! The coarse per-address ceiling counted in memory per instance and folded into the shared
//! `login_limits` table every second (src/service/rate_limit.rs): two instances on one
//! database hold a flood to the ceiling within the documented slack, refuse it with 429 and
//! Retry-After, and let silent logins from many addresses through, every one of them reaching
//! the shared count. SQLite and PostgreSQL.

mod common;
mod service_common;

use chrono::{DateTime, Timelike, Utc};
use common::*;
use reqwest::StatusCode;
use serde_json::json;
use service_common::*;
use wxlogin::service::ServiceConfig;
use wxlogin::service::rate_limit::sync_threshold;
use wxlogin::store::Ts;

fn ceiling(limit: u32) -> Setup {
    Setup {
        service: ServiceConfig {
            trusted_ip_header: Some("x-forwarded-for".parse().unwrap()),
            login_rate_limit: 0,
            account_failure_limit: 0,
            login_flood_limit: limit,
            ..ServiceConfig::default()
        },
        ..Setup::default()
    }
}

/// Moves the service's clock to the first second of a minute, so that a test's flood stays in
/// one window of the ceiling; returns that minute's start.
fn start_of_a_minute(w: &World) -> DateTime<Utc> {
    let now = w.store.now();
    let to_next = (61 - i64::from(now.second())) % 60;
    w.advance(chrono::Duration::seconds(to_next));
    let now = w.store.now();
    now - chrono::Duration::seconds(i64::from(now.second()))
        - chrono::Duration::nanoseconds(i64::from(now.nanosecond()))
}

/// A silent login of `wx_user` (bound already) from `from` through `base`.
async fn silent_login(
    w: &World,
    base: &str,
    from: &str,
    wx_user: &str,
) -> (StatusCode, serde_json::Value, Option<String>) {
    w.login_from(
        base,
        from,
        json!({ "appid": APPID, "code": w.code(wx_user) }),
    )
    .await
}

/// Waits until both instances have folded their counts into the table (they flush every
/// second).
async fn after_a_flush() {
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
}

store_test!(
    two_instances_on_one_database_hold_a_flood_to_the_ceiling_within_the_slack,
    |db| {
        account(&db, "mallory").await;
        let limit = 40;
        let w = world_with(db, ceiling(limit)).await;
        // Bound from another address, before the flood.
        w.bind("wx-mallory", "mallory").await;
        let (_b, base_b) = w.second_instance().await;
        let minute = start_of_a_minute(&w);
        let flooder = "203.0.113.66";
        let total = 120;
        let (mut allowed, mut refused) = (0, 0);
        for i in 0..total {
            let base = if i % 2 == 0 { &w.base } else { &base_b };
            let (status, body, retry) = silent_login(&w, base, flooder, "wx-mallory").await;
            match status {
                StatusCode::OK => allowed += 1,
                StatusCode::TOO_MANY_REQUESTS => {
                    refused += 1;
                    assert_eq!(body["error"], "rate_limited", "{body}");
                    let secs: u64 = retry.expect("Retry-After").parse().unwrap();
                    // Until the estimate over this minute and the last fits one more: the
                    // rest of this minute at most, and part of the next.
                    assert!((1..=120).contains(&secs), "Retry-After {secs}");
                }
                other => panic!("login {i}: {other} {body}"),
            }
        }
        // Two instances: at most a tenth of the ceiling each over it (the module docs).
        let slack = 2 * sync_threshold(limit);
        assert!(
            allowed >= i64::from(limit) && allowed <= i64::from(limit) + slack,
            "{allowed} allowed of {total}, ceiling {limit}, slack {slack}"
        );
        assert_eq!(allowed + refused, total);
        // Refusals are counted too: the shared count has every request of both instances.
        after_a_flush().await;
        let shared = w
            .store
            .limit_count(&format!("all:{flooder}"), Ts::from(minute))
            .await
            .unwrap();
        assert_eq!(shared, total);
        // Another address is not affected, on either instance.
        for base in [&w.base, &base_b] {
            let (status, body, _) = silent_login(&w, base, "203.0.113.67", "wx-mallory").await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }
);

store_test!(
    silent_logins_from_many_addresses_are_not_refused_and_all_reach_the_shared_count,
    |db| {
        let nina = account(&db, "nina").await;
        let w = world_with(db, ceiling(wxlogin::service::DEFAULT_LOGIN_FLOOD_LIMIT)).await;
        w.bind("wx-nina", "nina").await;
        let (_b, base_b) = w.second_instance().await;
        let minute = start_of_a_minute(&w);
        let addresses = 100;
        let per_address = 3;
        for round in 0..per_address {
            for a in 0..addresses {
                let base = if (a + round) % 2 == 0 {
                    &w.base
                } else {
                    &base_b
                };
                let from = format!("198.51.{}.{}", a / 200, a % 200 + 1);
                let (status, body, _) = silent_login(&w, base, &from, "wx-nina").await;
                assert_eq!(status, StatusCode::OK, "{from}, round {round}: {body}");
                assert_eq!(body["account_id"], nina.id);
            }
        }
        after_a_flush().await;
        for a in 0..addresses {
            let key = format!("all:198.51.{}.{}", a / 200, a % 200 + 1);
            let n = w.store.limit_count(&key, Ts::from(minute)).await.unwrap();
            assert_eq!(n, per_address, "{key}");
        }
    }
);

store_test!(
    an_instance_shut_down_writes_the_ceiling_counts_it_still_held,
    |db| {
        account(&db, "olga").await;
        let w = world_with(db, ceiling(600)).await;
        w.bind("wx-olga", "olga").await;
        let (b, base_b) = w.second_instance().await;
        let minute = start_of_a_minute(&w);
        for _ in 0..5 {
            let (status, body, _) = silent_login(&w, &base_b, "192.0.2.44", "wx-olga").await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        // Shut down at once, before its periodic flush: the last flush writes them.
        b.shutdown().await.unwrap();
        let n = w
            .store
            .limit_count("all:192.0.2.44", Ts::from(minute))
            .await
            .unwrap();
        assert_eq!(n, 5);
    }
);
