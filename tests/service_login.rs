//! POST /login over HTTP against SQLite and PostgreSQL: binding, silent login, refusals,
//! WeChat failures, the per-address limit.

mod common;
mod service_common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use service_common::*;
use wxlogin::mock_wechat::{EmulatorConfig, Faults};
use wxlogin::service::ServiceConfig;
use wxlogin::store::{BindingQuery, SessionFilter};

store_test!(first_login_binds_and_the_second_is_silent, |db| {
    let alice = account(&db, "alice").await;
    let w = world(db).await;

    let a = w.login("wx-alice", None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.error(), "binding_required");

    let a = w.login("wx-alice", Some(("alice", PASSWORD))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["account_id"], alice.id);
    assert!(a.body["expires_at"].as_str().unwrap().ends_with('Z'));
    let first = a.token();
    assert!(first.len() >= 43, "at least 256 bits, base64url");

    let bindings = w
        .store
        .find_bindings(&BindingQuery::Username("alice".into()))
        .await
        .unwrap();
    assert_eq!(bindings.len(), 1);
    assert_eq!(bindings[0].openid, w.openid("wx-alice"));

    // Second login: a fresh code and nothing else.
    let a = w.login("wx-alice", None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["account_id"], alice.id);
    assert_ne!(a.token(), first);

    let me = w.me(&a.token()).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["account"]["username"], "alice");
    assert_eq!(me.body["appid"], APPID);
    assert_eq!(me.body["openid"], w.openid("wx-alice"));

    let m = w.metrics().await;
    assert_eq!(metric(&m, "wxlogin_logins_total{outcome=\"bound\"}"), 1);
    assert_eq!(metric(&m, "wxlogin_logins_total{outcome=\"silent\"}"), 1);
    assert_eq!(
        metric(&m, "wxlogin_logins_total{outcome=\"binding_required\"}"),
        1
    );
});

store_test!(a_wrong_password_binds_nothing, |db| {
    account(&db, "bob").await;
    let w = world(db).await;
    let a = w.login("wx-bob", Some(("bob", "wrong-password"))).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.error(), "invalid_credentials");
    // An unknown username is refused the same way.
    let b = w.login("wx-bob", Some(("nobody", "wrong-password"))).await;
    assert_eq!(b.status, StatusCode::UNAUTHORIZED);
    assert_eq!(b.error(), "invalid_credentials");
    assert_eq!(a.body, b.body, "no hint which part was wrong");

    let bound = w
        .store
        .find_bindings(&BindingQuery::Username("bob".into()))
        .await
        .unwrap();
    assert!(bound.is_empty());
    let all = SessionFilter {
        include_inactive: true,
        ..Default::default()
    };
    assert_eq!(w.store.count_sessions(&all).await.unwrap(), 0);
    // And the identity still needs binding.
    assert_eq!(w.login("wx-bob", None).await.error(), "binding_required");
});

store_test!(a_used_code_is_refused, |db| {
    account(&db, "carol").await;
    let w = world(db).await;
    w.bind("wx-carol", "carol").await;
    let code = w.code("wx-carol");
    let a = w.post_login(json!({ "appid": APPID, "code": code })).await;
    assert_eq!(a.status, StatusCode::OK);
    let b = w.post_login(json!({ "appid": APPID, "code": code })).await;
    assert_eq!(b.status, StatusCode::BAD_REQUEST);
    assert_eq!(b.error(), "code_used");
    assert_eq!(b.body["errcode"], 40163);
    // A made-up code.
    let c = w
        .post_login(json!({ "code": "0123456789abcdef0123456789abcdef" }))
        .await;
    assert_eq!(c.status, StatusCode::BAD_REQUEST);
    assert_eq!(c.error(), "invalid_code");
    assert_eq!(c.body["errcode"], 40029);
    let m = w.metrics().await;
    assert_eq!(
        metric(&m, "wxlogin_wechat_errors_total{errcode=\"40163\"}"),
        1
    );
    assert_eq!(
        metric(&m, "wxlogin_wechat_errors_total{errcode=\"40029\"}"),
        1
    );
});

store_test!(a_disabled_account_cannot_log_in, |db| {
    let dave = account(&db, "dave").await;
    let erin = account(&db, "erin").await;
    let w = world(db).await;
    let token = w.bind("wx-dave", "dave").await;
    let revoked = wxlogin::ops::disable_account(&w.store, &operator("ops"), dave.id, "left")
        .await
        .unwrap();
    assert_eq!(revoked, Some(1));
    // Silent login of the bound identity.
    let a = w.login("wx-dave", None).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.error(), "account_disabled");
    // The existing session is dead.
    assert_eq!(w.me(&token).await.status, StatusCode::UNAUTHORIZED);
    // A first login into a disabled account, with the right password.
    wxlogin::ops::disable_account(&w.store, &operator("ops"), erin.id, "left")
        .await
        .unwrap();
    let b = w.login("wx-erin", Some(("erin", PASSWORD))).await;
    assert_eq!(b.status, StatusCode::FORBIDDEN);
    assert_eq!(b.error(), "account_disabled");
    assert!(
        w.store
            .find_bindings(&BindingQuery::Username("erin".into()))
            .await
            .unwrap()
            .is_empty()
    );
});

store_test!(login_attempts_per_address_are_limited, |db| {
    account(&db, "frank").await;
    let w = world_with(
        db,
        Setup {
            service: ServiceConfig {
                login_rate_limit: 5,
                login_rate_window: Duration::from_secs(300),
                trusted_ip_header: Some("x-forwarded-for".parse().unwrap()),
                ..ServiceConfig::default()
            },
            ..Setup::default()
        },
    )
    .await;
    let attempt = |ip: &'static str, code: String, user: &'static str| {
        let w = &w;
        async move {
            w.http
                .post(format!("{}/login", w.base))
                .header("X-Forwarded-For", ip)
                .json(&json!({ "code": code, "username": user, "password": "guess" }))
                .send()
                .await
                .unwrap()
        }
    };
    // Password attempts per address: five guesses (at five names, so no account locks).
    for (i, user) in ["u1", "u2", "u3", "u4", "u5"].into_iter().enumerate() {
        let r = attempt("203.0.113.9", format!("guess{i}"), user).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "attempt {i}");
    }
    // Over the limit: refused before WeChat is asked, even with a valid code.
    let r = attempt("203.0.113.9", w.code("wx-frank"), "frank").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    // Another address is not affected; the header's right-most entry is the one counted.
    let r = attempt("203.0.113.9, 198.51.100.4", w.code("wx-frank"), "frank").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "invalid_credentials");
    let m = w.metrics().await;
    assert_eq!(
        metric(&m, "wxlogin_logins_total{outcome=\"rate_limited\"}"),
        1
    );
    // The refused attempt never reached WeChat: only the 5 guesses were exchanged.
    assert_eq!(
        metric(&m, "wxlogin_wechat_errors_total{errcode=\"40029\"}"),
        5
    );
    // The session records the client address from the trusted header.
    let r = w
        .http
        .post(format!("{}/login", w.base))
        .header("X-Forwarded-For", "198.51.100.4")
        .header("User-Agent", "MicroMessenger/8.0.47")
        .json(&json!({ "code": w.code("wx-frank"), "username": "frank", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let rows = w
        .store
        .list_sessions(&SessionFilter::default(), None, 10)
        .await
        .unwrap()
        .rows;
    assert_eq!(rows[0].client_ip.as_deref(), Some("198.51.100.4"));
    assert_eq!(rows[0].user_agent.as_deref(), Some("MicroMessenger/8.0.47"));
});

store_test!(wechat_failures_become_clear_json_errors, |db| {
    account(&db, "gina").await;
    let w = world_with(
        db,
        Setup {
            emulator: EmulatorConfig::default()
                .rate_limit_per_minute(2)
                .high_risk_user("wx-risky"),
            ..Setup::default()
        },
    )
    .await;
    // 45011: WeChat's per-user minute quota.
    w.login("wx-gina", None).await;
    w.login("wx-gina", None).await;
    let a = w.login("wx-gina", None).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    assert_eq!(a.error(), "wechat_rate_limited");
    assert_eq!(a.body["errcode"], 45011);
    // 40226: high-risk user.
    let a = w.login("wx-risky", None).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.body["errcode"], 40226);
    // -1: WeChat busy, even after the client's retries.
    w.emulator.set_faults(Faults {
        busy_rate: 1.0,
        ..Faults::default()
    });
    let a = w.login("wx-other", None).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.body);
    assert_eq!(a.error(), "wechat_unavailable");
    assert_eq!(a.body["errcode"], -1);
    // Unreachable / not JSON: 503 without an errcode.
    w.emulator.set_faults(Faults {
        http_502: true,
        ..Faults::default()
    });
    let a = w.login("wx-other2", None).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(a.body.get("errcode").is_none());
    w.emulator.set_faults(Faults::default());
    // Unknown appid: ours to refuse, WeChat is not asked.
    let a = w
        .post_login(json!({ "appid": "wx-unknown", "code": "x" }))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.error(), "unknown_appid");
    // Garbage bodies.
    let r = w
        .http
        .post(format!("{}/login", w.base))
        .body("'; DROP TABLE sessions;--")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let a = w.post_login(json!({ "code": "" })).await;
    assert_eq!(a.error(), "bad_request");
    let a = w
        .post_login(json!({ "code": w.code("wx-gina2"), "username": "gina" }))
        .await;
    assert_eq!(a.error(), "bad_request", "username without password");
});

store_test!(a_wrong_app_secret_is_a_server_error_with_a_log_line, |db| {
    let w = world_with(
        db,
        Setup {
            emulator: EmulatorConfig::with_apps(vec![]).app(APPID, "the-real-secret"),
            ..Setup::default()
        },
    )
    .await;
    // The service was given the emulator's apps, so give it a client with a wrong secret.
    let wrong = wxlogin::wechat::WechatClient::new(wxlogin::wechat::WechatConfig::new(
        w.emulator.base_url(),
        vec![wxlogin::wechat::AppCredentials {
            appid: APPID.into(),
            name: None,
            secret: wxlogin::secret::Secret::new("not-the-secret"),
        }],
    ))
    .unwrap();
    let state = wxlogin::service::ServiceState::new(
        w.store.clone(),
        data_key(),
        wrong,
        ServiceConfig::default(),
    );
    let svc = wxlogin::service::spawn(state, loopback()).await.unwrap();
    let r = w
        .http
        .post(format!("{}/login", svc.base_url()))
        .json(&json!({ "code": w.code("wx-h") }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "wechat_misconfigured");
    assert_eq!(body["errcode"], 40125);
    assert!(!body.to_string().contains("not-the-secret"));
    svc.shutdown().await.unwrap();
});

store_test!(health_and_metrics_answer, |db| {
    let w = world(db).await;
    let r = w
        .http
        .get(format!("{}/healthz", w.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = w
        .http
        .get(format!("{}/metrics", w.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = r.text().await.unwrap();
    assert!(text.contains("# TYPE wxlogin_logins_total counter"));
    let r = w.http.get(format!("{}/nope", w.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
});

store_test!(
    credentials_of_another_account_for_a_bound_identity_get_409_and_no_session,
    |db| {
        let alice = account(&db, "alice").await;
        let bob = account(&db, "bob").await;
        let w = world(db).await;
        // The family phone: its WeChat identity is bound to alice.
        w.bind("wx-family", "alice").await;

        // Bob types his own, correct, credentials on that phone.
        let a = w.login("wx-family", Some(("bob", PASSWORD))).await;
        assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
        assert_eq!(a.error(), "binding_conflict");
        assert!(a.body.get("session_id").is_none(), "{}", a.body);
        let message = a.body["message"].as_str().unwrap();
        assert!(message.contains("support"), "{message}");
        assert!(
            !message.contains("alice"),
            "names the bound account: {message}"
        );

        // Bob's name with a wrong password is refused like any wrong password.
        let a = w.login("wx-family", Some(("bob", "wrong-password"))).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
        assert_eq!(a.error(), "invalid_credentials");
        // So is alice's name with a wrong password: credentials are always checked.
        let a = w
            .login("wx-family", Some(("alice", "wrong-password")))
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
        assert_eq!(a.error(), "invalid_credentials");

        // No session was ever issued to bob, and none beyond the first to alice.
        let all = SessionFilter {
            include_inactive: true,
            account_id: Some(bob.id),
            ..Default::default()
        };
        assert_eq!(w.store.count_sessions(&all).await.unwrap(), 0);
        let alices = SessionFilter {
            include_inactive: true,
            account_id: Some(alice.id),
            ..Default::default()
        };
        assert_eq!(w.store.count_sessions(&alices).await.unwrap(), 1);

        // Alice's own credentials log in as usual, and so does a silent login.
        let a = w.login("wx-family", Some(("alice", PASSWORD))).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["account_id"], alice.id);
        let a = w.login("wx-family", None).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["account_id"], alice.id);

        // The binding still belongs to alice.
        let b = w
            .store
            .find_bindings(&BindingQuery::Username("bob".into()))
            .await
            .unwrap();
        assert!(b.is_empty());

        let m = w.metrics().await;
        assert_eq!(
            metric(&m, "wxlogin_logins_total{outcome=\"binding_conflict\"}"),
            1
        );
        assert_eq!(
            metric(&m, "wxlogin_logins_total{outcome=\"invalid_credentials\"}"),
            2
        );
    }
);
