//! The shared login limiter over HTTP, SQLite and PostgreSQL: password attempts per address,
//! password failures per account (from any address, on any instance), the coarse ceiling that
//! silent logins count against, and `trusted_proxies`.

mod common;
mod service_common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use service_common::*;
use wxlogin::service::ServiceConfig;

fn limits(cfg: ServiceConfig) -> Setup {
    Setup {
        service: ServiceConfig {
            trusted_ip_header: Some("x-forwarded-for".parse().unwrap()),
            ..cfg
        },
        ..Setup::default()
    }
}

fn off() -> ServiceConfig {
    ServiceConfig {
        login_rate_limit: 0,
        account_failure_limit: 0,
        login_flood_limit: 0,
        ..ServiceConfig::default()
    }
}

store_test!(
    five_wrong_passwords_lock_the_account_on_every_instance_and_address,
    |db| {
        let grace = account(&db, "grace").await;
        account(&db, "heidi").await;
        let w = world_with(
            db,
            limits(ServiceConfig {
                account_failure_limit: 5,
                ..off()
            }),
        )
        .await;
        // Bound before the attack: her silent logins must keep working.
        w.bind("wx-grace", "grace").await;
        let (_b, base_b) = w.second_instance().await;
        // Five wrong passwords spread over two instances and five addresses.
        for i in 0..5 {
            let base = if i % 2 == 0 {
                w.base.clone()
            } else {
                base_b.clone()
            };
            let body = json!({ "appid": APPID, "code": w.code("wx-thief"), "username": "grace", "password": format!("guess{i}") });
            let (status, body, _) = w.login_from(&base, &format!("198.51.100.{i}"), body).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}: {body}");
            assert_eq!(body["error"], "invalid_credentials");
        }
        // Now the right password is refused too, on both instances, from a fresh address.
        for base in [&w.base, &base_b] {
            let body = json!({ "appid": APPID, "code": w.code("wx-grace-new-phone"), "username": "grace", "password": PASSWORD });
            let (status, body, retry) = w.login_from(base, "203.0.113.50", body).await;
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
            assert_eq!(body["error"], "account_locked");
            let secs: u64 = retry.expect("Retry-After").parse().unwrap();
            // Sliding windows: this window's attempts still weigh on the next one, so the wait
            // can reach twice the window length (900 s), never more.
            assert!((1..=1800).contains(&secs), "{secs}");
        }
        // Another account is not affected.
        let body = json!({ "appid": APPID, "code": w.code("wx-heidi"), "username": "heidi", "password": PASSWORD });
        let (status, body, _) = w.login_from(&base_b, "203.0.113.50", body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // The lock is on the password path only: grace's bound phone logs in silently.
        let body = json!({ "appid": APPID, "code": w.code("wx-grace") });
        let (status, body, _) = w.login_from(&w.base, "203.0.113.51", body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["account_id"], grace.id);
        // An unknown name locks the same way: the answer does not tell which names exist.
        for i in 0..5 {
            let body = json!({ "appid": APPID, "code": w.code("wx-x"), "username": "nobody", "password": format!("g{i}") });
            w.login_from(&w.base, "192.0.2.1", body).await;
        }
        let body = json!({ "appid": APPID, "code": w.code("wx-x"), "username": "nobody", "password": "g" });
        let (status, body, _) = w.login_from(&base_b, "192.0.2.2", body).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(body["error"], "account_locked");
        let m = w.metrics().await;
        assert_eq!(
            metric(&m, "wxlogin_logins_total{outcome=\"account_locked\"}"),
            1
        );
    }
);

store_test!(
    password_attempts_per_address_are_one_budget_across_instances,
    |db| {
        account(&db, "ivan").await;
        let w = world_with(
            db,
            limits(ServiceConfig {
                login_rate_limit: 4,
                ..off()
            }),
        )
        .await;
        let (_b, base_b) = w.second_instance().await;
        for i in 0..4 {
            let base = if i % 2 == 0 { &w.base } else { &base_b };
            let body = json!({ "appid": APPID, "code": w.code("wx-ivan"), "username": format!("u{i}"), "password": "guess" });
            let (status, _, _) = w.login_from(base, "203.0.113.9", body).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
        }
        for base in [&w.base, &base_b] {
            let body = json!({ "appid": APPID, "code": w.code("wx-ivan"), "username": "ivan", "password": PASSWORD });
            let (status, body, retry) = w.login_from(base, "203.0.113.9", body).await;
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
            assert_eq!(body["error"], "rate_limited");
            assert!(retry.is_some());
        }
    }
);

store_test!(
    silent_logins_behind_one_nat_address_count_only_against_the_ceiling,
    |db| {
        let judy = account(&db, "judy").await;
        let w = world_with(
            db,
            limits(ServiceConfig {
                login_rate_limit: 2,
                login_flood_limit: 30,
                ..off()
            }),
        )
        .await;
        w.bind("wx-judy", "judy").await;
        // Many users behind one carrier-grade NAT address log in silently: far more than the
        // password budget, within the ceiling.
        for i in 0..25 {
            let body = json!({ "appid": APPID, "code": w.code("wx-judy") });
            let (status, body, _) = w.login_from(&w.base, "100.64.0.1", body).await;
            assert_eq!(status, StatusCode::OK, "login {i}: {body}");
            assert_eq!(body["account_id"], judy.id);
        }
        // A flood crosses the ceiling, whatever the requests are.
        let mut refused = 0;
        for _ in 0..10 {
            let body = json!({ "appid": APPID, "code": w.code("wx-judy") });
            let (status, body, _) = w.login_from(&w.base, "100.64.0.1", body).await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(body["error"], "rate_limited");
                refused += 1;
            }
        }
        // 25 + 10 requests against a ceiling of 30 per minute: at least the last 5 refused
        // (a minute boundary in between can only let more through).
        assert!(refused <= 5, "{refused}");
        let (status, _, _) = w
            .login_from(
                &w.base,
                "100.64.0.2",
                json!({ "appid": APPID, "code": w.code("wx-judy") }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "another address is not affected");
    }
);

store_test!(
    the_address_header_is_believed_only_from_trusted_proxies,
    |db| {
        account(&db, "ken").await;
        let w = world_with(
            db,
            limits(ServiceConfig {
                login_rate_limit: 3,
                trusted_proxies: vec![
                    wxlogin::service::rate_limit::Cidr::parse("10.0.0.0/8").unwrap(),
                ],
                ..off()
            }),
        )
        .await;
        // The test connects from 127.0.0.1, which is not a listed proxy: each request's own
        // X-Forwarded-For is ignored and all count as 127.0.0.1.
        for i in 0..3 {
            let body = json!({ "appid": APPID, "code": w.code("wx-ken"), "username": format!("u{i}"), "password": "guess" });
            let (status, _, _) = w
                .login_from(&w.base, &format!("198.51.100.{i}"), body)
                .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let body = json!({ "appid": APPID, "code": w.code("wx-ken"), "username": "ken", "password": PASSWORD });
        let (status, body, _) = w.login_from(&w.base, "198.51.100.77", body).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    }
);

store_test!(
    an_unlock_opens_the_password_path_at_once_and_is_audited,
    |db| {
        account(&db, "leo").await;
        let w = world_with(
            db,
            limits(ServiceConfig {
                account_failure_limit: 2,
                ..off()
            }),
        )
        .await;
        for i in 0..2 {
            let body = json!({ "appid": APPID, "code": w.code("wx-leo"), "username": "leo", "password": format!("g{i}") });
            w.login_from(&w.base, "198.51.100.1", body).await;
        }
        let body = json!({ "appid": APPID, "code": w.code("wx-leo"), "username": "leo", "password": PASSWORD });
        let (status, _, _) = w.login_from(&w.base, "198.51.100.1", body.clone()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        let removed = wxlogin::ops::unlock_account(
            &w.store,
            &operator("support-sue"),
            "leo",
            "user called, verified",
        )
        .await
        .unwrap();
        assert_eq!(removed, 1);
        let body = json!({ "appid": APPID, "code": w.code("wx-leo"), "username": "leo", "password": PASSWORD });
        let (status, body, _) = w.login_from(&w.base, "198.51.100.1", body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let audit = w
            .store
            .list_audit(
                &wxlogin::store::AuditFilter {
                    action: Some("account.unlock".into()),
                    ..Default::default()
                },
                None,
                10,
            )
            .await
            .unwrap();
        assert_eq!(audit.rows.len(), 1);
        assert_eq!(audit.rows[0].operator, "support-sue");
        assert_eq!(
            audit.rows[0].reason.as_deref(),
            Some("user called, verified")
        );
    }
);
