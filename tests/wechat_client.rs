//! The code2Session client against the emulator (every path: success, reuse, concurrency,
//! expiry, wrong app, limits, faults) and against canned answers shaped like WeChat's.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wxlogin::mock_wechat::{
    self as emulator, Clock, DEMO_APPID, DEMO_SECRET, EmulatorConfig, EmulatorHandle, Faults,
    demo_app,
};
use wxlogin::secret::Secret;
use wxlogin::wechat::{
    AppCredentials, ErrorKind, RetryPolicy, WechatClient, WechatConfig, WechatError,
};

const APP_B: &str = "wxtest0000000002";
const SECRET_B: &str = "secret-of-app-b-for-tests";
const APP_C: &str = "wxtest0000000003";
const SECRET_C: &str = "secret-of-app-c-for-tests";

fn app(appid: &str, secret: &str) -> AppCredentials {
    AppCredentials {
        appid: appid.to_owned(),
        name: None,
        secret: Secret::new(secret),
    }
}

fn all_apps() -> Vec<AppCredentials> {
    vec![demo_app(), app(APP_B, SECRET_B), app(APP_C, SECRET_C)]
}

/// Demo app (not bound to an Open Platform account) plus B and C (both bound).
fn emulator_config() -> EmulatorConfig {
    EmulatorConfig::with_apps(all_apps())
        .unionid_app(APP_B)
        .unionid_app(APP_C)
        .clock(Clock::manual())
}

async fn start(cfg: EmulatorConfig) -> EmulatorHandle {
    emulator::spawn(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("emulator starts")
}

fn client_with(base_url: &str, apps: Vec<AppCredentials>, timeout: Duration) -> WechatClient {
    WechatClient::new(WechatConfig {
        base_url: base_url.to_owned(),
        apps,
        connect_timeout: Duration::from_secs(1),
        timeout,
        allow_insecure: false,
    })
    .expect("client builds")
}

fn client(h: &EmulatorHandle) -> WechatClient {
    client_with(&h.base_url(), all_apps(), Duration::from_secs(5))
}

async fn mint(c: &WechatClient, h: &EmulatorHandle, appid: &str, user: &str) -> String {
    emulator::mint_code(c.http(), &h.base_url(), appid, user)
        .await
        .expect("mint a code")
}

fn expect_err(r: Result<wxlogin::wechat::Code2Session, WechatError>) -> WechatError {
    match r {
        Ok(s) => panic!("expected an error, got success for openid {}", s.openid),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------- success paths

#[tokio::test]
async fn a_fresh_code_gives_openid_and_session_key_without_unionid_for_an_unbound_app() {
    let h = start(emulator_config()).await;
    let c = client(&h);
    let code = mint(&c, &h, DEMO_APPID, "alice").await;
    let s = c.code2session(DEMO_APPID, &code).await.unwrap();
    assert_eq!(s.openid.len(), 28);
    assert!(s.openid.starts_with('o'));
    assert_eq!(s.unionid, None);
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD
        .decode(s.session_key.expose())
        .unwrap();
    assert_eq!(key.len(), 16);
    assert!(!format!("{s:?}").contains(s.session_key.expose()));
    h.shutdown().await;
}

#[tokio::test]
async fn openid_is_stable_per_app_and_user_and_differs_across_apps_and_users() {
    let h = start(emulator_config()).await;
    let c = client(&h);
    let login = async |appid: &str, user: &str| {
        let code = mint(&c, &h, appid, user).await;
        c.code2session(appid, &code).await.unwrap()
    };
    let a1 = login(APP_B, "alice").await;
    let a2 = login(APP_B, "alice").await;
    let a_other_app = login(APP_C, "alice").await;
    let b = login(APP_B, "bob").await;
    assert_eq!(a1.openid, a2.openid);
    assert_ne!(a1.openid, a_other_app.openid);
    assert_ne!(a1.openid, b.openid);
    assert_ne!(a1.session_key.expose(), a2.session_key.expose());
    // unionid: stable per user across the bound apps, different between users.
    assert!(a1.unionid.is_some());
    assert_eq!(a1.unionid, a_other_app.unionid);
    assert_ne!(a1.unionid, b.unionid);
    assert_eq!(a1.openid, emulator::openid(APP_B, "alice"));
}

// ---------------------------------------------------------------- single use, concurrency

#[tokio::test]
async fn a_code_works_once_and_the_second_exchange_is_40163_with_a_rid() {
    let h = start(emulator_config()).await;
    let c = client(&h);
    let code = mint(&c, &h, DEMO_APPID, "alice").await;
    c.code2session(DEMO_APPID, &code).await.unwrap();
    let e = expect_err(c.code2session(DEMO_APPID, &code).await);
    assert!(matches!(e, WechatError::CodeUsed(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::CodeUsed);
    assert_eq!(e.errcode(), Some(40163));
    let rid = e.rid().expect("a rid");
    assert_eq!(rid.len(), 26, "{rid}");
    let line = e.to_string();
    assert!(line.contains("40163") && line.contains(rid), "{line}");
    assert!(line.contains(&h.addr.to_string()), "names the host: {line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_exchanges_of_one_code_give_exactly_one_success() {
    let h = start(emulator_config()).await;
    let c = client(&h);
    for n in [2usize, 3, 5, 10, 20] {
        for round in 0..5 {
            let code = mint(&c, &h, DEMO_APPID, &format!("user-{n}-{round}")).await;
            let barrier = Arc::new(tokio::sync::Barrier::new(n));
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let (c, code, barrier) = (c.clone(), code.clone(), barrier.clone());
                    tokio::spawn(async move {
                        barrier.wait().await;
                        c.code2session(DEMO_APPID, &code).await
                    })
                })
                .collect();
            let mut ok = 0;
            let mut used = 0;
            for t in tasks {
                match t.await.unwrap() {
                    Ok(_) => ok += 1,
                    Err(WechatError::CodeUsed(_)) => used += 1,
                    Err(e) => panic!("unexpected error: {e}"),
                }
            }
            assert_eq!((ok, used), (1, n - 1), "{n} simultaneous exchanges");
        }
    }
}

// ---------------------------------------------------------------- invalid codes

#[tokio::test]
async fn a_code_expires_after_five_minutes_on_the_emulator_clock() {
    let h = start(emulator_config()).await;
    let c = client(&h);
    let fresh_enough = mint(&c, &h, DEMO_APPID, "alice").await;
    let too_old = mint(&c, &h, DEMO_APPID, "alice").await;
    h.clock().advance(Duration::from_secs(299));
    c.code2session(DEMO_APPID, &fresh_enough).await.unwrap();
    h.clock().advance(Duration::from_secs(1));
    let e = expect_err(c.code2session(DEMO_APPID, &too_old).await);
    assert!(matches!(e, WechatError::InvalidCode(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::InvalidCode);
    assert!(e.to_string().contains("fresh code"), "{e}");
}

#[tokio::test]
async fn a_code_minted_for_another_appid_is_40029() {
    let h = start(emulator_config()).await;
    let c = client(&h);
    let code = mint(&c, &h, APP_B, "alice").await;
    let e = expect_err(c.code2session(DEMO_APPID, &code).await);
    assert_eq!(e.errcode(), Some(40029));
    // ...and the code is still good for its own app.
    c.code2session(APP_B, &code).await.unwrap();
}

#[tokio::test]
async fn an_unknown_code_is_40029() {
    let h = start(emulator_config()).await;
    let c = client(&h);
    let e = expect_err(
        c.code2session(DEMO_APPID, "0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d")
            .await,
    );
    assert!(matches!(e, WechatError::InvalidCode(_)), "{e:?}");
}

#[tokio::test]
async fn an_empty_code_is_41008() {
    let h = start(emulator_config()).await;
    let c = client(&h);
    let e = expect_err(c.code2session(DEMO_APPID, "").await);
    assert!(matches!(e, WechatError::MissingCode(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::InvalidCode);
}

// ---------------------------------------------------------------- configuration errors

#[tokio::test]
async fn a_wrong_secret_is_40125_and_a_config_error() {
    let h = start(emulator_config()).await;
    let good = client(&h);
    let bad = client_with(
        &h.base_url(),
        vec![app(DEMO_APPID, "a-secret-that-was-reset")],
        Duration::from_secs(5),
    );
    let code = mint(&good, &h, DEMO_APPID, "alice").await;
    let e = expect_err(bad.code2session(DEMO_APPID, &code).await);
    assert!(matches!(e, WechatError::InvalidAppSecret(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("WXLOGIN_APP_SECRET"), "{e}");
    // A refused secret does not use the code up.
    good.code2session(DEMO_APPID, &code).await.unwrap();
}

#[tokio::test]
async fn an_appid_the_emulator_does_not_know_is_40013() {
    let h = start(emulator_config()).await;
    let c = client_with(
        &h.base_url(),
        vec![app("wxunknown00000000", "whatever-secret")],
        Duration::from_secs(5),
    );
    let e = expect_err(c.code2session("wxunknown00000000", "somecode-123456").await);
    assert!(matches!(e, WechatError::InvalidAppId(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Config);
}

#[tokio::test]
async fn an_appid_not_configured_locally_fails_before_any_request() {
    let (base, hits) = canned(200, "text/plain", "{}").await;
    let c = client_with(&base, vec![demo_app()], Duration::from_secs(5));
    let e = expect_err(c.code2session("wxnotconfigured", "code-1234").await);
    assert!(matches!(e, WechatError::UnknownApp { .. }), "{e:?}");
    assert!(
        e.to_string().contains(DEMO_APPID),
        "lists the known appids: {e}"
    );
    assert!(hits.lock().unwrap().is_empty());
}

// ---------------------------------------------------------------- limits and risk

#[tokio::test]
async fn more_calls_per_user_per_minute_than_the_limit_give_45011_until_the_next_minute() {
    let h = start(emulator_config().rate_limit_per_minute(3)).await;
    let c = client(&h);
    for _ in 0..3 {
        let code = mint(&c, &h, DEMO_APPID, "alice").await;
        c.code2session(DEMO_APPID, &code).await.unwrap();
    }
    let code = mint(&c, &h, DEMO_APPID, "alice").await;
    let e = expect_err(c.code2session(DEMO_APPID, &code).await);
    assert!(matches!(e, WechatError::RateLimited(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    // Another user is not affected.
    let other = mint(&c, &h, DEMO_APPID, "bob").await;
    c.code2session(DEMO_APPID, &other).await.unwrap();
    // Next minute: the same (unconsumed) code now works.
    h.clock().advance(Duration::from_secs(60));
    c.code2session(DEMO_APPID, &code).await.unwrap();
}

#[tokio::test]
async fn high_risk_users_are_refused_with_40226_whether_marked_at_start_or_at_runtime() {
    let h = start(emulator_config().high_risk_user("mallory")).await;
    let c = client(&h);
    let code = mint(&c, &h, DEMO_APPID, "mallory").await;
    let e = expect_err(c.code2session(DEMO_APPID, &code).await);
    assert!(matches!(e, WechatError::HighRiskUser(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::HighRisk);

    // Marked at runtime through the admin endpoint.
    let resp = c
        .http()
        .post(format!("{}/mock/admin/high-risk", h.base_url()))
        .header("content-type", "application/json")
        .body(r#"{"user":"eve","high_risk":true}"#)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let code = mint(&c, &h, DEMO_APPID, "eve").await;
    assert_eq!(
        expect_err(c.code2session(DEMO_APPID, &code).await).errcode(),
        Some(40226)
    );
    // Unmarked through the handle: logins work again.
    h.set_high_risk("eve", false);
    let code = mint(&c, &h, DEMO_APPID, "eve").await;
    c.code2session(DEMO_APPID, &code).await.unwrap();
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn busy_answers_are_retried_and_the_code_still_works() {
    let h = start(emulator_config().faults(Faults {
        busy_next: 2,
        ..Faults::default()
    }))
    .await;
    let c = client(&h).with_retry(RetryPolicy {
        max_attempts: 3,
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
    });
    let code = mint(&c, &h, DEMO_APPID, "alice").await;
    c.code2session(DEMO_APPID, &code).await.unwrap();
    assert_eq!(h.faults().busy_next, 0, "both busy answers were consumed");
}

#[tokio::test]
async fn busy_answers_beyond_the_retry_budget_end_in_a_busy_error() {
    let h = start(emulator_config().faults(Faults {
        busy_rate: 1.0,
        ..Faults::default()
    }))
    .await;
    let c = client(&h).with_retry(RetryPolicy {
        max_attempts: 3,
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
    });
    let code = mint(&c, &h, DEMO_APPID, "alice").await;
    let e = expect_err(c.code2session(DEMO_APPID, &code).await);
    assert!(matches!(e, WechatError::Busy { attempts: 3, .. }), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Busy);
    assert_eq!(e.errcode(), Some(-1));
    assert!(e.rid().is_some());
    assert!(e.to_string().contains("3 time(s)"), "{e}");
    // The busy answers did not use the code up.
    h.set_faults(Faults::default());
    c.code2session(DEMO_APPID, &code).await.unwrap();
}

#[tokio::test]
async fn retries_stop_when_the_total_time_budget_is_spent() {
    let h = start(emulator_config().faults(Faults {
        busy_rate: 1.0,
        ..Faults::default()
    }))
    .await;
    let c = client_with(&h.base_url(), all_apps(), Duration::from_millis(400)).with_retry(
        RetryPolicy {
            max_attempts: 50,
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(100),
        },
    );
    let started = Instant::now();
    let e = expect_err(c.code2session(DEMO_APPID, "any-code-123").await);
    let took = started.elapsed();
    assert!(took < Duration::from_millis(700), "took {took:?}");
    match e {
        WechatError::Busy { attempts, .. } => assert!((2..=4).contains(&attempts), "{attempts}"),
        WechatError::Timeout { .. } => {}
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn an_http_502_is_a_clear_error_naming_the_host_and_not_retried() {
    let h = start(emulator_config().faults(Faults {
        http_502: true,
        ..Faults::default()
    }))
    .await;
    let c = client(&h);
    let e = expect_err(c.code2session(DEMO_APPID, "code-abcdef-123456").await);
    assert!(
        matches!(e, WechatError::HttpStatus { status: 502, .. }),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    let line = e.to_string();
    assert!(line.contains(&h.addr.to_string()), "{line}");
    assert!(line.contains("502 Bad Gateway"), "{line}");
    assert!(
        !line.contains("code-abcdef") && !line.contains(DEMO_SECRET),
        "{line}"
    );
    assert!(
        !line.contains("jscode2session") && !line.contains('?'),
        "{line}"
    );
}

#[tokio::test]
async fn a_non_json_answer_is_a_clear_error() {
    let h = start(emulator_config().faults(Faults {
        non_json: true,
        ..Faults::default()
    }))
    .await;
    let c = client(&h);
    let e = expect_err(c.code2session(DEMO_APPID, "code-abcdef-123456").await);
    assert!(matches!(e, WechatError::NotJson { .. }), "{e:?}");
    let line = e.to_string();
    assert!(
        line.contains("text/html") && line.contains("not JSON"),
        "{line}"
    );
    assert!(line.contains(&h.addr.to_string()), "{line}");
}

#[tokio::test]
async fn a_slow_answer_times_out_within_the_configured_budget() {
    let h = start(emulator_config().faults(Faults {
        latency_ms: 3_000,
        ..Faults::default()
    }))
    .await;
    let c = client_with(&h.base_url(), all_apps(), Duration::from_millis(300));
    let started = Instant::now();
    let e = expect_err(c.code2session(DEMO_APPID, "code-abcdef-123456").await);
    let took = started.elapsed();
    assert!(matches!(e, WechatError::Timeout { .. }), "{e:?}");
    assert!(took < Duration::from_millis(1_000), "took {took:?}");
    let line = e.to_string();
    assert!(
        line.contains(&h.addr.to_string()) && line.contains("within"),
        "{line}"
    );
}

#[tokio::test]
async fn faults_can_be_changed_at_runtime_through_the_admin_endpoint() {
    let h = start(emulator_config()).await;
    let c = client(&h);
    let set = async |body: &str| {
        let r = c
            .http()
            .post(format!("{}/mock/admin/faults", h.base_url()))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    let (status, body) = set(r#"{"http_502": true}"#).await;
    assert_eq!(status, 200, "{body}");
    assert!(matches!(
        c.code2session(DEMO_APPID, "code-123456").await,
        Err(WechatError::HttpStatus { status: 502, .. })
    ));
    assert_eq!(set(r#"{"busy_rate": 2}"#).await.0, 400);
    let (status, _) = set(r#"{"reset": true}"#).await;
    assert_eq!(status, 200);
    assert_eq!(h.faults(), Faults::default());
    let code = mint(&c, &h, DEMO_APPID, "alice").await;
    c.code2session(DEMO_APPID, &code).await.unwrap();
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error_naming_the_host() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = client_with(
        &format!("http://{addr}"),
        vec![demo_app()],
        Duration::from_secs(2),
    );
    let e = expect_err(c.code2session(DEMO_APPID, "code-abcdef-123456").await);
    assert!(matches!(e, WechatError::Connect { .. }), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    let line = e.to_string();
    assert!(line.contains(&addr.to_string()), "{line}");
    assert!(line.to_lowercase().contains("refused"), "{line}");
    assert!(
        !line.contains(DEMO_SECRET) && !line.contains("code-abcdef"),
        "{line}"
    );
    assert!(!format!("{e:?}").contains(DEMO_SECRET));
}

#[tokio::test]
async fn minting_for_an_unknown_appid_is_refused_with_an_explanation() {
    let h = start(emulator_config()).await;
    let http = emulator::http_client().unwrap();
    let e = emulator::mint_code(&http, &h.base_url(), "wxnope", "alice")
        .await
        .unwrap_err();
    assert!(
        matches!(e, WechatError::MockRejected { status: 400, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("--app"), "{e}");
}

// ---------------------------------------------------------------- canned real-shaped answers

/// A one-route server that answers every request with the given status, Content-Type and
/// body, and records each request's path and query.
async fn canned(
    status: u16,
    content_type: &'static str,
    body: &str,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let hits: Arc<Mutex<Vec<String>>> = Arc::default();
    let body = body.to_owned();
    let seen = hits.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let body = body.clone();
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push(uri.to_string());
            let mut resp = axum::response::Response::new(axum::body::Body::from(body));
            *resp.status_mut() = axum::http::StatusCode::from_u16(status).unwrap();
            resp.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static(content_type),
            );
            if status == 302 {
                resp.headers_mut().insert(
                    axum::http::header::LOCATION,
                    axum::http::HeaderValue::from_static("/elsewhere"),
                );
            }
            resp
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), hits)
}

async fn canned_client(status: u16, content_type: &'static str, body: &str) -> WechatClient {
    let (base, _) = canned(status, content_type, body).await;
    client_with(&base, vec![demo_app()], Duration::from_secs(3))
}

#[tokio::test]
async fn the_request_is_one_get_with_the_four_documented_parameters_and_no_access_token() {
    let (base, hits) = canned(
        200,
        "text/plain",
        r#"{"session_key":"c2Vzc2lvbmtleTEyMzQ1Ng==","openid":"oABC"}"#,
    )
    .await;
    let c = client_with(&base, vec![demo_app()], Duration::from_secs(3));
    c.code2session(DEMO_APPID, "the code/with+odd&chars")
        .await
        .unwrap();
    let hits = hits.lock().unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    let url = url::Url::parse(&format!("http://x{}", hits[0])).unwrap();
    assert_eq!(url.path(), "/sns/jscode2session");
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        vec![
            ("appid".into(), DEMO_APPID.into()),
            ("secret".into(), DEMO_SECRET.into()),
            ("js_code".into(), "the code/with+odd&chars".into()),
            ("grant_type".into(), "authorization_code".into()),
        ]
    );
}

#[tokio::test]
async fn a_text_plain_success_with_extra_fields_is_parsed() {
    let c = canned_client(
        200,
        "text/plain",
        r#"{"session_key":"tiihtNczf5v6AKRyjwEUhQ==","openid":"oVBkZ0aYgDMDIywRdgPW8-joxXc4","unionid":"oGZUI0egBJY1zhBYw2KhdUfwVJJE","is_new":true,"extra":{"a":1}}"#,
    )
    .await;
    let s = c.code2session(DEMO_APPID, "code-123456").await.unwrap();
    assert_eq!(s.openid, "oVBkZ0aYgDMDIywRdgPW8-joxXc4");
    assert_eq!(s.unionid.as_deref(), Some("oGZUI0egBJY1zhBYw2KhdUfwVJJE"));
    assert_eq!(s.session_key.expose(), "tiihtNczf5v6AKRyjwEUhQ==");
}

#[tokio::test]
async fn errcode_zero_with_fields_is_success_and_without_fields_is_an_error() {
    let c = canned_client(
        200,
        "application/json",
        r#"{"errcode":0,"errmsg":"ok","session_key":"a2V5a2V5a2V5a2V5a2V5aw==","openid":"oX"}"#,
    )
    .await;
    assert_eq!(
        c.code2session(DEMO_APPID, "code-1").await.unwrap().openid,
        "oX"
    );

    let c = canned_client(200, "text/plain", r#"{"errcode":0,"errmsg":"ok"}"#).await;
    let e = expect_err(c.code2session(DEMO_APPID, "code-1").await);
    assert!(matches!(e, WechatError::UnexpectedJson { .. }), "{e:?}");
    assert!(e.to_string().contains("openid"), "{e}");
}

#[tokio::test]
async fn a_documented_errcode_keeps_its_rid() {
    let c = canned_client(
        200,
        "text/plain",
        r#"{"errcode":40029,"errmsg":"invalid code, rid: 6523ab12-1c2d3e4f-5a6b7c8d"}"#,
    )
    .await;
    let e = expect_err(c.code2session(DEMO_APPID, "code-123456").await);
    assert!(matches!(e, WechatError::InvalidCode(_)), "{e:?}");
    assert_eq!(e.rid(), Some("6523ab12-1c2d3e4f-5a6b7c8d"));
    assert!(
        e.to_string().contains("rid 6523ab12-1c2d3e4f-5a6b7c8d"),
        "{e}"
    );
}

#[tokio::test]
async fn the_ip_whitelist_error_says_where_to_fix_it() {
    let c = canned_client(
        200,
        "text/plain",
        r#"{"errcode":40164,"errmsg":"invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist, rid: 65aa-bb"}"#,
    )
    .await;
    let e = expect_err(c.code2session(DEMO_APPID, "code-123456").await);
    assert!(matches!(e, WechatError::IpNotWhitelisted(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("whitelist"), "{e}");
}

#[tokio::test]
async fn an_unknown_errcode_is_kept_with_its_errmsg() {
    let c = canned_client(
        200,
        "text/plain",
        r#"{"errcode":48001,"errmsg":"api unauthorized, rid: 66b0-77c1"}"#,
    )
    .await;
    let e = expect_err(c.code2session(DEMO_APPID, "code-123456").await);
    match &e {
        WechatError::Other {
            errcode, errmsg, ..
        } => {
            assert_eq!(*errcode, 48001);
            assert_eq!(errmsg, "api unauthorized, rid: 66b0-77c1");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.kind(), ErrorKind::Other);
    assert_eq!(e.rid(), Some("66b0-77c1"));
    let line = e.to_string();
    assert!(
        line.contains("48001") && line.contains("api unauthorized"),
        "{line}"
    );
}

#[tokio::test]
async fn an_errcode_sent_as_a_string_is_understood() {
    let c = canned_client(
        200,
        "text/plain",
        r#"{"errcode":"40163","errmsg":"code been used"}"#,
    )
    .await;
    let e = expect_err(c.code2session(DEMO_APPID, "code-123456").await);
    assert!(matches!(e, WechatError::CodeUsed(_)), "{e:?}");
}

#[tokio::test]
async fn an_errmsg_echoing_the_secret_or_the_code_is_scrubbed() {
    let body = format!(
        r#"{{"errcode":40029,"errmsg":"invalid code echo-code-987654 for secret {DEMO_SECRET}, rid: 1-2"}}"#
    );
    let c = canned_client(200, "text/plain", &body).await;
    let e = expect_err(c.code2session(DEMO_APPID, "echo-code-987654").await);
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains("echo-code-987654"), "{text}");
        assert!(!text.contains(DEMO_SECRET), "{text}");
    }
    assert_eq!(e.rid(), Some("1-2"));
}

#[tokio::test]
async fn json_that_is_not_an_object_is_an_unexpected_answer() {
    let c = canned_client(200, "text/plain", "[1,2,3]").await;
    let e = expect_err(c.code2session(DEMO_APPID, "code-123456").await);
    assert!(matches!(e, WechatError::UnexpectedJson { .. }), "{e:?}");
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let (base, hits) = canned(302, "text/html", "moved").await;
    let c = client_with(&base, vec![demo_app()], Duration::from_secs(3));
    let e = expect_err(c.code2session(DEMO_APPID, "code-123456").await);
    assert!(
        matches!(e, WechatError::HttpStatus { status: 302, .. }),
        "{e:?}"
    );
    assert_eq!(
        hits.lock().unwrap().len(),
        1,
        "the Location was not visited"
    );
}

#[tokio::test]
async fn an_oversized_answer_is_refused() {
    let big = format!(r#"{{"errcode":1,"errmsg":"{}"}}"#, "x".repeat(100_000));
    let c = canned_client(200, "text/plain", &big).await;
    let e = expect_err(c.code2session(DEMO_APPID, "code-123456").await);
    assert!(matches!(e, WechatError::Transport { .. }), "{e:?}");
    assert!(e.to_string().contains("larger than"), "{e}");
}

#[tokio::test]
async fn an_http_500_from_a_proxy_is_not_parsed_as_wechat() {
    let c = canned_client(
        500,
        "text/plain",
        r#"{"errcode":-1,"errmsg":"system error"}"#,
    )
    .await;
    let e = expect_err(c.code2session(DEMO_APPID, "code-123456").await);
    assert!(
        matches!(e, WechatError::HttpStatus { status: 500, .. }),
        "{e:?}"
    );
}

#[test]
fn a_malformed_base_url_is_refused_when_the_client_is_built() {
    for bad in [
        "api.weixin.qq.com",
        "ftp://x.example",
        "https://x.example/?a=1",
    ] {
        let e = WechatClient::new(WechatConfig::new(bad, vec![demo_app()])).unwrap_err();
        assert!(matches!(e, WechatError::Setup { .. }), "{bad}: {e:?}");
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains("base URL"), "{e}");
    }
}
