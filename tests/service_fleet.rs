//! `wxlogin serve` as a fleet member, through the real binary: graceful drain on SIGTERM.

mod common;
mod fleet_support;

use std::time::Duration;

use chrono::Utc;
use common::*;
use fleet_support::Serve;
use reqwest::StatusCode;
use serde_json::json;
use wxlogin::mock_wechat::{self as emulator, DEMO_APPID, EmulatorConfig, Faults};
use wxlogin::store::Ts;

store_test!(
    sigterm_drains_health_first_then_finishes_requests_and_marks_the_instance_stopped,
    |db| {
        account(&db, "alice").await;
        let emu = emulator::spawn(
            EmulatorConfig::default().rate_limit_per_minute(0),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let mut serve = Serve::start(&db.url, &emu.base_url(), "drain_grace_ms = 1500").await;
        let http = reqwest::Client::new();
        let bind = http
            .post(format!("{}/login", serve.base))
            .json(&json!({ "appid": DEMO_APPID, "code": emu.mint(DEMO_APPID, "wx-alice").unwrap(), "username": "alice", "password": "password123" }))
            .send()
            .await
            .unwrap();
        assert_eq!(bind.status(), StatusCode::OK);

        // A login that takes a while (WeChat answers after 1 s) is in flight at SIGTERM.
        emu.set_faults(Faults {
            latency_ms: 1000,
            ..Faults::default()
        });
        let slow = {
            let http = http.clone();
            let url = format!("{}/login", serve.base);
            let code = emu.mint(DEMO_APPID, "wx-alice").unwrap();
            tokio::spawn(async move {
                http.post(url)
                    .json(&json!({ "appid": DEMO_APPID, "code": code }))
                    .send()
                    .await
                    .map(|r| r.status())
            })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        serve.sigterm();

        // /healthz says 503 at once (as soon as the signal is handled).
        let mut health = StatusCode::OK;
        for _ in 0..40 {
            health = http
                .get(format!("{}/healthz", serve.base))
                .send()
                .await
                .unwrap()
                .status();
            if health == StatusCode::SERVICE_UNAVAILABLE {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(
            health,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            serve.log_text()
        );
        // Within the grace period new connections are still served.
        emu.set_faults(Faults::default());
        let fresh = reqwest::Client::new()
            .post(format!("{}/login", serve.base))
            .json(
                &json!({ "appid": DEMO_APPID, "code": emu.mint(DEMO_APPID, "wx-alice").unwrap() }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(fresh.status(), StatusCode::OK);
        // The request in flight finished.
        assert_eq!(slow.await.unwrap().unwrap(), StatusCode::OK);

        let code = serve.wait(Duration::from_secs(20)).await;
        assert_eq!(code, 0, "{}", serve.log_text());
        // Gone: connections are refused.
        assert!(
            reqwest::Client::new()
                .get(format!("{}/healthz", serve.base))
                .send()
                .await
                .is_err()
        );
        // Its heartbeat row says stopped, and its last login counts were written.
        let since = Ts::from(Utc::now() - chrono::Duration::hours(1));
        let instances = db.service_instances(since, 10).await.unwrap();
        assert_eq!(instances.len(), 1, "{instances:?}");
        assert!(instances[0].stopped_at.is_some(), "{:?}", instances[0]);
        assert_eq!(instances[0].listen, format!("127.0.0.1:{}", serve.port));
        let total: i64 = db
            .login_buckets(since)
            .await
            .unwrap()
            .iter()
            .map(|b| b.count)
            .sum();
        assert_eq!(total, 3);
    }
);
