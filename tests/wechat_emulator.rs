//! The emulator over raw HTTP: WeChat's answer shapes, the parameter checks the client never
//! triggers, the mock and admin endpoints, bounded memory, shutdown, and the
//! `wxlogin mock-wechat` process itself.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wxlogin::mock_wechat::{
    self as emulator, Clock, DEMO_APPID, DEMO_SECRET, EmulatorConfig, EmulatorHandle, Faults,
};

async fn start(cfg: EmulatorConfig) -> EmulatorHandle {
    emulator::spawn(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn http() -> reqwest::Client {
    emulator::http_client().unwrap()
}

/// GET /sns/jscode2session with a raw query; returns (status, content-type, JSON body).
async fn exchange_raw(h: &EmulatorHandle, query: &str) -> (u16, String, Value) {
    let r = http()
        .get(format!("{}/sns/jscode2session?{query}", h.base_url()))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    (status, ct, body)
}

fn query(appid: &str, secret: &str, code: &str) -> String {
    format!("appid={appid}&secret={secret}&js_code={code}&grant_type=authorization_code")
}

fn assert_wechat_error(body: &Value, errcode: i64) {
    assert_eq!(body["errcode"], json!(errcode), "{body}");
    let errmsg = body["errmsg"].as_str().unwrap();
    let rid = errmsg
        .split(", rid: ")
        .nth(1)
        .unwrap_or_else(|| panic!("no rid in {errmsg}"));
    let parts: Vec<&str> = rid.split('-').collect();
    assert_eq!(parts.len(), 3, "{rid}");
    assert!(
        parts
            .iter()
            .all(|p| p.len() == 8 && p.chars().all(|c| c.is_ascii_hexdigit())),
        "{rid}"
    );
}

#[tokio::test]
async fn answers_are_json_served_as_text_plain_like_wechat() {
    let h = start(EmulatorConfig::default()).await;
    let code = h.mint(DEMO_APPID, "alice").unwrap();
    let (status, ct, body) = exchange_raw(&h, &query(DEMO_APPID, DEMO_SECRET, &code)).await;
    assert_eq!((status, ct.as_str()), (200, "text/plain"));
    assert!(body.get("errcode").is_none(), "{body}");
    assert_eq!(body["openid"].as_str().unwrap().len(), 28);
    assert_eq!(body["session_key"].as_str().unwrap().len(), 24);
    assert!(
        body.get("unionid").is_none(),
        "demo app is not unionid-bound"
    );

    let (status, ct, body) = exchange_raw(&h, &query(DEMO_APPID, DEMO_SECRET, &code)).await;
    assert_eq!((status, ct.as_str()), (200, "text/plain"));
    assert_wechat_error(&body, 40163);
}

#[tokio::test]
async fn missing_parameters_give_41002_41004_41008_and_a_bad_grant_type_40002() {
    let h = start(EmulatorConfig::default()).await;
    let cases = [
        ("secret=s&js_code=c&grant_type=authorization_code", 41002),
        (
            "appid=&secret=s&js_code=c&grant_type=authorization_code",
            41002,
        ),
        (
            "appid=wxdemo0000000001&js_code=c&grant_type=authorization_code",
            41004,
        ),
        (
            "appid=wxdemo0000000001&secret=s&grant_type=authorization_code",
            41008,
        ),
        (
            "appid=wxdemo0000000001&secret=s&js_code=&grant_type=authorization_code",
            41008,
        ),
        ("appid=wxdemo0000000001&secret=s&js_code=c", 40002),
        (
            "appid=wxdemo0000000001&secret=s&js_code=c&grant_type=client_credential",
            40002,
        ),
        ("", 41002),
    ];
    for (q, errcode) in cases {
        let (_, _, body) = exchange_raw(&h, q).await;
        assert_wechat_error(&body, errcode);
    }
}

#[tokio::test]
async fn appid_and_secret_are_checked_before_the_code() {
    let h = start(EmulatorConfig::default()).await;
    let code = h.mint(DEMO_APPID, "alice").unwrap();
    let (_, _, body) = exchange_raw(&h, &query("wxnope", DEMO_SECRET, &code)).await;
    assert_wechat_error(&body, 40013);
    let (_, _, body) = exchange_raw(&h, &query(DEMO_APPID, "wrong", &code)).await;
    assert_wechat_error(&body, 40125);
    let (_, _, body) = exchange_raw(&h, &query(DEMO_APPID, DEMO_SECRET, "unknown-code")).await;
    assert_wechat_error(&body, 40029);
    // None of these used the code up.
    let (_, _, body) = exchange_raw(&h, &query(DEMO_APPID, DEMO_SECRET, &code)).await;
    assert!(body["openid"].is_string(), "{body}");
}

#[tokio::test]
async fn unionid_is_returned_only_for_apps_marked_unionid_bound() {
    let h = start(
        EmulatorConfig::default()
            .app("wxbound0000000002", "bound-secret")
            .unionid_app("wxbound0000000002"),
    )
    .await;
    let code = h.mint("wxbound0000000002", "alice").unwrap();
    let (_, _, body) = exchange_raw(&h, &query("wxbound0000000002", "bound-secret", &code)).await;
    assert_eq!(body["unionid"], json!(emulator::unionid("alice")));
    assert_eq!(
        body["openid"],
        json!(emulator::openid("wxbound0000000002", "alice"))
    );
}

#[tokio::test]
async fn wx_login_explains_what_it_refuses() {
    let h = start(EmulatorConfig::default()).await;
    let post = async |body: &str| {
        let r = http()
            .post(format!("{}/mock/wx.login", h.base_url()))
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (
            status,
            serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap(),
        )
    };
    let (status, body) = post(r#"{"appid":"wxdemo0000000001","user":"alice"}"#).await;
    assert_eq!(status, 200);
    assert_eq!(body["code"].as_str().unwrap().len(), 32);
    let (status, body) = post(r#"{"appid":"wxnope","user":"alice"}"#).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("--app"), "{body}");
    let (status, body) = post(r#"{"appid":"wxdemo0000000001","user":" "}"#).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("user"), "{body}");
    let (status, body) = post("not json").await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("appid"), "{body}");
}

#[tokio::test]
async fn expired_codes_are_purged_so_memory_stays_bounded() {
    let clock = Clock::manual();
    let h = start(EmulatorConfig::default().clock(clock.clone())).await;
    for i in 0..2_000 {
        h.mint(DEMO_APPID, &format!("user{i}")).unwrap();
    }
    assert_eq!(h.live_codes(), 2_000);
    clock.advance(Duration::from_secs(301));
    h.mint(DEMO_APPID, "late").unwrap();
    assert_eq!(h.live_codes(), 1);
}

#[tokio::test]
async fn the_admin_endpoints_show_state_and_can_expire_codes() {
    let h = start(EmulatorConfig::default().clock(Clock::manual())).await;
    let code = h.mint(DEMO_APPID, "alice").unwrap();
    let c = http();
    let r = c
        .post(format!("{}/mock/admin/high-risk", h.base_url()))
        .header("content-type", "application/json")
        .body(r#"{"user":"mallory"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = c
        .post(format!("{}/mock/admin/faults", h.base_url()))
        .header("content-type", "application/json")
        .body(r#"{"latency_ms": 5}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let state: Value = c
        .get(format!("{}/mock/admin/state", h.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["apps"], json!([DEMO_APPID]));
    assert_eq!(state["high_risk_users"], json!(["mallory"]));
    assert_eq!(state["faults"]["latency_ms"], json!(5));
    assert_eq!(state["live_codes"], json!(1));
    assert_eq!(state["rate_limit_per_minute"], json!(100));

    let r = c
        .post(format!("{}/mock/admin/clock", h.base_url()))
        .header("content-type", "application/json")
        .body(r#"{"advance_secs": 300}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (_, _, body) = exchange_raw(&h, &query(DEMO_APPID, DEMO_SECRET, &code)).await;
    assert_wechat_error(&body, 40029);

    let r = c
        .post(format!("{}/mock/admin/faults", h.base_url()))
        .header("content-type", "application/json")
        .body(r#"{"bogus": 1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = c
        .get(format!("{}/no/such/path", h.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.text().await.unwrap().contains("/mock/wx.login"));
}

#[tokio::test]
async fn injected_latency_delays_the_answer() {
    let h = start(EmulatorConfig::default().faults(Faults {
        latency_ms: 300,
        ..Faults::default()
    }))
    .await;
    let started = Instant::now();
    let (_, _, body) = exchange_raw(&h, "").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_wechat_error(&body, 41002);
}

#[tokio::test]
async fn a_busy_rate_answers_about_that_fraction_with_minus_one() {
    let h = start(EmulatorConfig::default().faults(Faults {
        busy_rate: 0.5,
        ..Faults::default()
    }))
    .await;
    let mut busy = 0;
    for _ in 0..200 {
        let (_, _, body) = exchange_raw(&h, "").await;
        if body["errcode"] == json!(-1) {
            assert_wechat_error(&body, -1);
            busy += 1;
        } else {
            assert_wechat_error(&body, 41002);
        }
    }
    assert!((50..=150).contains(&busy), "{busy} of 200 were busy");
}

#[tokio::test]
async fn shutdown_stops_the_listener() {
    let h = start(EmulatorConfig::default()).await;
    let base = h.base_url();
    h.shutdown().await;
    let r = http().get(format!("{base}/mock/admin/state")).send().await;
    assert!(r.is_err(), "still answering after shutdown");
}

/// Kills the child process it holds (by its own handle) when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_mock_wechat_subcommand_serves_the_apps_given_on_its_command_line() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_wxlogin"))
            .args([
                "mock-wechat",
                "--listen",
                "127.0.0.1:0",
                "--app",
                "wxcli00000000001:cli-test-secret",
                "--unionid-app",
                "wxcli00000000001",
                "--high-risk-user",
                "mallory",
            ])
            .env_remove("WXLOGIN_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let first_line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let base = first_line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {first_line:?}"))
        .to_owned();

    let c = http();
    let code = emulator::mint_code(&c, &base, "wxcli00000000001", "alice")
        .await
        .unwrap();
    let body: Value = serde_json::from_str(
        &c.get(format!(
            "{base}/sns/jscode2session?{}",
            query("wxcli00000000001", "cli-test-secret", &code)
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(body["unionid"], json!(emulator::unionid("alice")), "{body}");
    // The demo app is not there when --app is given.
    assert!(
        emulator::mint_code(&c, &base, DEMO_APPID, "alice")
            .await
            .is_err()
    );
    let code = emulator::mint_code(&c, &base, "wxcli00000000001", "mallory")
        .await
        .unwrap();
    let body: Value = c
        .get(format!(
            "{base}/sns/jscode2session?{}",
            query("wxcli00000000001", "cli-test-secret", &code)
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or_else(|_| panic!("text/plain JSON"));
    assert_eq!(body["errcode"], json!(40226));
}
