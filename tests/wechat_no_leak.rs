//! No AppSecret, code, session_key, access token or checkSessionKey signature in logs, error
//! messages or `Debug` output, with every target (reqwest, hyper-util, h2, rustls, axum, ours)
//! logging at TRACE.
//!
//! This file holds one test because it installs the process-wide log subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use wxlogin::mock_wechat::{
    self as emulator, Clock, DEMO_APPID, DEMO_SECRET, EmulatorConfig, Faults, demo_app,
};
use wxlogin::secret::Secret;
use wxlogin::wechat::{AppCredentials, RetryPolicy, WechatClient, WechatConfig, WechatError};

const APP_B: &str = "wxtest0000000002";
const SECRET_B: &str = "leaktest-secret-of-app-b-7f3a9c";
const WRONG_SECRET: &str = "leaktest-wrong-secret-1e8d44";

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn app(appid: &str, secret: &str) -> AppCredentials {
    AppCredentials {
        appid: appid.to_owned(),
        name: None,
        secret: Secret::new(secret),
    }
}

fn client(base: &str, apps: Vec<AppCredentials>, timeout: Duration) -> WechatClient {
    WechatClient::new(WechatConfig {
        base_url: base.to_owned(),
        apps,
        connect_timeout: Duration::from_secs(1),
        timeout,
        allow_insecure: false,
    })
    .unwrap()
    .with_retry(RetryPolicy {
        max_attempts: 3,
        first_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_code_or_session_key_reaches_logs_errors_or_debug_output_at_trace_level() {
    let logs = Buffer::default();
    // Everything at TRACE, `log` records (reqwest, rustls) bridged in by try_init.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(logs.clone())
        .try_init()
        .expect("the only subscriber in this test binary");

    let clock = Clock::manual();
    let h = emulator::spawn(
        EmulatorConfig::with_apps(vec![demo_app(), app(APP_B, SECRET_B)])
            .unionid_app(APP_B)
            .rate_limit_per_minute(2)
            .high_risk_user("mallory")
            .clock(clock.clone()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let base = h.base_url();
    let good = client(
        &base,
        vec![demo_app(), app(APP_B, SECRET_B)],
        Duration::from_secs(3),
    );
    let wrong = client(
        &base,
        vec![app(DEMO_APPID, WRONG_SECRET)],
        Duration::from_secs(3),
    );

    let mut secrets: Vec<String> = vec![DEMO_SECRET.into(), SECRET_B.into(), WRONG_SECRET.into()];
    let mut shown: Vec<String> = Vec::new();
    let mut record = |r: Result<wxlogin::wechat::Code2Session, WechatError>,
                      secrets: &mut Vec<String>| match r {
        Ok(s) => {
            secrets.push(s.session_key.expose().to_owned());
            shown.push(format!("{s:?}"));
        }
        Err(e) => {
            shown.push(e.to_string());
            shown.push(format!("{e:?}"));
        }
    };
    let mint = async |appid: &str, user: &str| {
        emulator::mint_code(good.http(), &base, appid, user)
            .await
            .unwrap()
    };

    // Success, then reuse of the same code.
    let code = mint(DEMO_APPID, "alice").await;
    secrets.push(code.clone());
    record(good.code2session(DEMO_APPID, &code).await, &mut secrets);
    record(good.code2session(DEMO_APPID, &code).await, &mut secrets);
    // Success with unionid.
    let code = mint(APP_B, "alice").await;
    secrets.push(code.clone());
    record(good.code2session(APP_B, &code).await, &mut secrets);
    // Wrong secret, then another appid's code, then expiry.
    let code = mint(DEMO_APPID, "bob").await;
    secrets.push(code.clone());
    record(wrong.code2session(DEMO_APPID, &code).await, &mut secrets);
    record(good.code2session(APP_B, &code).await, &mut secrets);
    clock.advance(Duration::from_secs(301));
    record(good.code2session(DEMO_APPID, &code).await, &mut secrets);
    // Rate limit and high risk.
    for _ in 0..3 {
        let code = mint(DEMO_APPID, "carol").await;
        secrets.push(code.clone());
        record(good.code2session(DEMO_APPID, &code).await, &mut secrets);
    }
    let code = mint(DEMO_APPID, "mallory").await;
    secrets.push(code.clone());
    record(good.code2session(DEMO_APPID, &code).await, &mut secrets);
    // Busy then success; busy until the retries run out.
    h.set_faults(Faults {
        busy_next: 1,
        ..Faults::default()
    });
    let code = mint(DEMO_APPID, "dave").await;
    secrets.push(code.clone());
    record(good.code2session(DEMO_APPID, &code).await, &mut secrets);
    h.set_faults(Faults {
        busy_rate: 1.0,
        ..Faults::default()
    });
    let code = mint(DEMO_APPID, "erin").await;
    secrets.push(code.clone());
    record(good.code2session(DEMO_APPID, &code).await, &mut secrets);
    // 502, non-JSON, timeout.
    for faults in [
        Faults {
            http_502: true,
            ..Faults::default()
        },
        Faults {
            non_json: true,
            ..Faults::default()
        },
    ] {
        h.set_faults(faults);
        record(good.code2session(DEMO_APPID, &code).await, &mut secrets);
    }
    h.set_faults(Faults {
        latency_ms: 2_000,
        ..Faults::default()
    });
    let impatient = client(&base, vec![demo_app()], Duration::from_millis(200));
    record(
        impatient.code2session(DEMO_APPID, &code).await,
        &mut secrets,
    );
    h.set_faults(Faults::default());
    // Refused connection.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let nowhere = client(
        &format!("http://{closed}"),
        vec![demo_app()],
        Duration::from_secs(2),
    );
    let fake_code = "leaktest-code-never-minted-5b2e".to_owned();
    secrets.push(fake_code.clone());
    record(
        nowhere.code2session(DEMO_APPID, &fake_code).await,
        &mut secrets,
    );

    // Access tokens, checkSessionKey and resetUserSessionKey: valid, reset, stale, a token
    // expired at WeChat (forced refresh), and a forced refresh refused.
    let stable_token = async || {
        let v: serde_json::Value = good
            .http()
            .post(format!("{base}/cgi-bin/stable_token"))
            .json(&serde_json::json!({
                "grant_type": "client_credential",
                "appid": DEMO_APPID,
                "secret": DEMO_SECRET,
                "force_refresh": false,
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["access_token"].as_str().unwrap().to_owned()
    };
    let code = mint(DEMO_APPID, "frank").await;
    secrets.push(code.clone());
    let frank = good.code2session(DEMO_APPID, &code).await.unwrap();
    let old_key = frank.session_key.clone();
    secrets.push(old_key.expose().to_owned());
    secrets.push(wxlogin::wechat::signature(&old_key, b""));
    let check = good
        .check_session_key(DEMO_APPID, &frank.openid, &old_key)
        .await;
    shown.push(format!("{check:?}"));
    // Every caller of stable_token gets the same token: this is the one the client holds.
    secrets.push(stable_token().await);
    shown.push(format!("{:?}", good.access_token(DEMO_APPID).await));
    let reset = good
        .reset_session_key(DEMO_APPID, &frank.openid, &old_key)
        .await
        .unwrap();
    secrets.push(reset.session_key.expose().to_owned());
    secrets.push(wxlogin::wechat::signature(&reset.session_key, b""));
    shown.push(format!("{reset:?}"));
    match good
        .check_session_key(DEMO_APPID, &frank.openid, &old_key)
        .await
    {
        Ok(k) => shown.push(format!("{k:?}")),
        Err(e) => shown.push(format!("{e} {e:?}")),
    }
    if let Err(e) = good
        .reset_session_key(DEMO_APPID, &frank.openid, &old_key)
        .await
    {
        shown.push(format!("{e} {e:?}"));
    }
    clock.advance(Duration::from_secs(7201));
    let after_expiry = good
        .check_session_key(DEMO_APPID, &frank.openid, &reset.session_key)
        .await;
    shown.push(format!("{after_expiry:?}"));
    secrets.push(stable_token().await);
    clock.advance(Duration::from_secs(7201));
    if let Err(e) = good
        .check_session_key(DEMO_APPID, &frank.openid, &reset.session_key)
        .await
    {
        shown.push(format!("{e} {e:?}"));
    }
    shown.push(format!("{:?}", good.token_states()));

    // The configuration and client themselves.
    shown.push(format!("{:?}", good.config()));
    shown.push(format!("{good:?}"));

    // Let background connection tasks finish logging, then stop the emulator.
    tokio::time::sleep(Duration::from_millis(200)).await;
    h.shutdown().await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let lines = text.lines().count();
    let has = |target: &str| text.contains(&format!(" {target}"));
    println!("{lines} log lines captured");
    if std::env::var_os("WXLOGIN_TEST_DUMP_LOGS").is_some() {
        println!("{text}");
    }
    for t in [
        "wxlogin::wechat",
        "wxlogin::mock_wechat",
        "reqwest",
        "hyper_util",
        "axum",
    ] {
        println!("  target {t}: {}", has(t));
    }
    for s in &shown {
        println!("shown: {s}");
    }

    // The capture really saw the dependencies' trace output, not just ours.
    assert!(lines > 50, "only {lines} lines captured:\n{text}");
    assert!(text.contains("TRACE"), "nothing at TRACE level captured");
    assert!(has("reqwest"), "reqwest's `log` records were not captured");
    assert!(
        has("hyper_util"),
        "hyper-util's trace output was not captured"
    );
    assert!(
        text.contains("code2Session"),
        "our own log lines are missing"
    );

    assert!(secrets.len() > 15);
    for s in &secrets {
        assert!(
            !text.contains(s.as_str()),
            "a secret value leaked into the logs"
        );
        for line in &shown {
            assert!(!line.contains(s.as_str()), "a secret value leaked: {line}");
        }
    }
    assert!(
        text.contains("checkSessionKey"),
        "the session_key calls' own log lines are missing"
    );
    for marker in [
        "secret=",
        "js_code=",
        "jscode2session?",
        "access_token=",
        "signature=",
        "checksession?",
        "resetusersessionkey?",
    ] {
        assert!(
            !text.contains(marker),
            "the request URL was logged ({marker})"
        );
        for line in &shown {
            assert!(!line.contains(marker), "the request URL was shown: {line}");
        }
    }
}
