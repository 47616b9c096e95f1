//! Hostile tests of the login limiter (issue 26, finding 5 and the fixed-window finding):
//! parallel first logins against one account are checked against the password at most as
//! often as the account's budget allows, and no window boundary lets a second budget's worth
//! through. SQLite and PostgreSQL.

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
            trusted_proxies: vec![wxlogin::service::rate_limit::Cidr::parse("127.0.0.1").unwrap()],
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

const VERIFICATIONS: &str = "wxlogin_password_verifications_total";

/// Moves the service's clock so that a window of `len` seconds ends `before` seconds from now.
fn to_boundary_minus(w: &World, len: i64, before: i64) {
    let now = w.store.now().timestamp();
    let to_end = len - now.rem_euclid(len);
    w.advance(chrono::Duration::seconds(to_end - before));
}

/// Moves the service's clock just past the end of the current window of `len` seconds.
fn past_the_boundary(w: &World, len: i64) {
    let now = w.store.now().timestamp();
    let to_end = len - now.rem_euclid(len);
    w.advance(chrono::Duration::seconds(to_end + 1));
}

store_test!(
    fifty_parallel_wrong_passwords_against_one_account_are_checked_at_most_the_budget_times,
    |db| {
        account(&db, "victim").await;
        let w = world_with(
            db,
            limits(ServiceConfig {
                account_failure_limit: 5,
                ..off()
            }),
        )
        .await;
        // Well inside a window: the boundary is not what this test is about.
        to_boundary_minus(&w, 900, 600);
        let before = metric(&w.metrics().await, VERIFICATIONS);
        // Fifty attackers' phones, each with its own fresh code, all at once.
        let bodies: Vec<_> = (0..50)
            .map(|i| {
                json!({
                    "appid": APPID,
                    "code": w.code(&format!("wx-attacker-{i}")),
                    "username": "victim",
                    "password": format!("guess-{i}"),
                })
            })
            .collect();
        let from: Vec<String> = (1..=50).map(|i| format!("198.51.100.{i}")).collect();
        let answers = futures::future::join_all(
            bodies
                .into_iter()
                .zip(&from)
                .map(|(b, ip)| w.login_from(&w.base, ip, b)),
        )
        .await;
        let mut wrong = 0;
        let mut locked = 0;
        for (status, body, retry) in &answers {
            match body["error"].as_str() {
                Some("invalid_credentials") => {
                    assert_eq!(*status, StatusCode::UNAUTHORIZED);
                    wrong += 1;
                }
                Some("account_locked") => {
                    assert_eq!(*status, StatusCode::TOO_MANY_REQUESTS);
                    assert!(retry.is_some(), "{body}");
                    locked += 1;
                }
                _ => panic!("unexpected answer {status} {body}"),
            }
        }
        let checked = metric(&w.metrics().await, VERIFICATIONS) - before;
        println!(
            "{wrong} answered invalid_credentials, {locked} account_locked, {checked} Argon2 verifications"
        );
        assert!(
            wrong <= 5,
            "{wrong} of 50 parallel guesses were checked against the password (budget 5)"
        );
        assert_eq!(wrong + locked, 50);
        assert_eq!(
            checked, wrong,
            "every answered guess is one verification, no more"
        );
        assert!(wrong >= 1, "the budget lets some guesses through");
        // The owner with the right password is now refused as well, until the window slides on.
        let body = json!({ "appid": APPID, "code": w.code("wx-victim"), "username": "victim", "password": PASSWORD });
        let (status, body, _) = w.login_from(&w.base, "203.0.113.9", body).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["error"], "account_locked");
    }
);

store_test!(
    a_successful_login_gives_its_attempt_back_to_the_account_budget,
    |db| {
        account(&db, "mallory").await;
        let w = world_with(
            db,
            limits(ServiceConfig {
                account_failure_limit: 2,
                ..off()
            }),
        )
        .await;
        to_boundary_minus(&w, 900, 600);
        let login = |wx: &str, password: &str| json!({ "appid": APPID, "code": w.code(wx), "username": "mallory", "password": password });
        let (s, b, _) = w
            .login_from(&w.base, "198.51.100.1", login("wx-m1", "typo"))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
        let (s, b, _) = w
            .login_from(&w.base, "198.51.100.1", login("wx-m2", PASSWORD))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        // The success did not use up the budget: one more wrong password is still checked.
        let (s, b, _) = w
            .login_from(&w.base, "198.51.100.1", login("wx-m3", "typo2"))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
        assert_eq!(b["error"], "invalid_credentials");
        let (s, b, _) = w
            .login_from(&w.base, "198.51.100.1", login("wx-m4", "typo3"))
            .await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
        assert_eq!(b["error"], "account_locked");
    }
);

store_test!(
    a_budget_of_wrong_passwords_on_each_side_of_a_window_boundary_is_refused_the_second_time,
    |db| {
        account(&db, "olga").await;
        let w = world_with(
            db,
            limits(ServiceConfig {
                account_failure_limit: 5,
                ..off()
            }),
        )
        .await;
        to_boundary_minus(&w, 900, 60);
        for i in 0..5 {
            let body = json!({ "appid": APPID, "code": w.code("wx-o"), "username": "olga", "password": format!("a{i}") });
            let (s, b, _) = w.login_from(&w.base, "198.51.100.1", body).await;
            assert_eq!(
                s,
                StatusCode::UNAUTHORIZED,
                "before the boundary, guess {i}: {b}"
            );
        }
        past_the_boundary(&w, 900);
        let mut checked = 0;
        for i in 0..5 {
            let body = json!({ "appid": APPID, "code": w.code("wx-o"), "username": "olga", "password": format!("b{i}") });
            let (s, b, _) = w.login_from(&w.base, "198.51.100.2", body).await;
            if s != StatusCode::TOO_MANY_REQUESTS {
                checked += 1;
            }
            println!("after the boundary, guess {i}: {s} {}", b["error"]);
        }
        assert_eq!(
            checked, 0,
            "{checked} of 5 guesses after the boundary were checked: the budget doubled"
        );
    }
);

store_test!(
    a_budget_of_password_attempts_from_one_address_on_each_side_of_a_boundary_is_refused_the_second_time,
    |db| {
        let w = world_with(
            db,
            limits(ServiceConfig {
                login_rate_limit: 4,
                login_rate_window: std::time::Duration::from_secs(300),
                ..off()
            }),
        )
        .await;
        to_boundary_minus(&w, 300, 60);
        for i in 0..4 {
            let body = json!({ "appid": APPID, "code": w.code("wx-p"), "username": format!("u{i}"), "password": "x" });
            let (s, b, _) = w.login_from(&w.base, "203.0.113.77", body).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "before the boundary, attempt {i}: {b}");
        }
        past_the_boundary(&w, 300);
        let mut through = 0;
        for i in 0..4 {
            let body = json!({ "appid": APPID, "code": w.code("wx-p"), "username": format!("v{i}"), "password": "x" });
            let (s, _, _) = w.login_from(&w.base, "203.0.113.77", body).await;
            if s != StatusCode::TOO_MANY_REQUESTS {
                through += 1;
            }
        }
        assert_eq!(through, 0, "{through} of 4 attempts after the boundary got through: the budget doubled");
    }
);

store_test!(
    a_ceiling_of_logins_from_one_address_on_each_side_of_a_minute_boundary_is_refused_the_second_time,
    |db| {
        account(&db, "pia").await;
        let w = world_with(
            db,
            limits(ServiceConfig {
                login_flood_limit: 20,
                ..off()
            }),
        )
        .await;
        w.bind("wx-pia", "pia").await;
        to_boundary_minus(&w, 60, 30);
        for i in 0..20 {
            let body = json!({ "appid": APPID, "code": w.code("wx-pia") });
            let (s, b, _) = w.login_from(&w.base, "100.64.9.9", body).await;
            assert_eq!(s, StatusCode::OK, "before the boundary, login {i}: {b}");
        }
        past_the_boundary(&w, 60);
        let mut through = 0;
        for _ in 0..20 {
            let body = json!({ "appid": APPID, "code": w.code("wx-pia") });
            let (s, _, _) = w.login_from(&w.base, "100.64.9.9", body).await;
            if s != StatusCode::TOO_MANY_REQUESTS {
                through += 1;
            }
        }
        // A second or two into the new minute, more than 19 of the last minute's 20 still
        // count: at most two more get through (a fixed window lets all 20 through).
        assert!(through <= 2, "{through} of 20 logins after the boundary got through: the ceiling doubled");
    }
);
