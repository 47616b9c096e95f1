//! The service's logs at trace level never carry a SessionId, a code, a session_key, a
//! password or an AppSecret, whatever happens; they do name sessions by their public id.
//! (Its own test binary: it installs the process-wide log subscriber.)

mod common;
mod service_common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use service_common::*;
use wxlogin::secret::Secret;
use wxlogin::service::{ServiceConfig, ServiceState};
use wxlogin::wechat::{AppCredentials, WechatClient, WechatConfig};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn capture_logs() -> Captured {
    let cap = Captured::default();
    let writer = cap.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    cap
}

async fn session_keys(db: &TestDb) -> Vec<(String, Vec<u8>)> {
    let sql = "SELECT public_id, session_key_enc FROM sessions";
    if let Some(p) = db.pg_pool() {
        sqlx::query_as(sql).fetch_all(p).await.unwrap()
    } else {
        sqlx::query_as(sql)
            .fetch_all(db.sqlite_pool().unwrap())
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_logs_carry_no_secret() {
    let logs = capture_logs();
    let db = sqlite_db().await;
    account(&db, "alice").await;
    let w = world(db).await;
    let mut secrets: Vec<String> = vec![PASSWORD.to_owned(), "wrong-password-xyz".to_owned()];

    let code = w.code("wx-alice");
    secrets.push(code.clone());
    let a = w
        .post_login(json!({ "code": code, "username": "alice", "password": PASSWORD }))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    secrets.push(a.token());
    let code = w.code("wx-alice");
    secrets.push(code.clone());
    let b = w.post_login(json!({ "code": code })).await;
    secrets.push(b.token());
    let me = w.me(&b.token()).await;
    let public_id = me.body["session"]["id"].as_str().unwrap().to_owned();
    w.logout(&a.token()).await;
    w.me(&a.token()).await;
    // Refusals: a replayed code, a wrong password, a made-up SessionId.
    w.post_login(json!({ "code": code })).await;
    let code = w.code("wx-bob");
    secrets.push(code.clone());
    w.post_login(json!({ "code": code, "username": "alice", "password": "wrong-password-xyz" }))
        .await;
    let fake = "made-up-session-id-0123456789abcdefghijklmnop";
    secrets.push(fake.to_owned());
    w.me(fake).await;

    // A configuration error is logged: with the errcode, not the secret.
    let wrong_secret = "the-wrong-app-secret-0123456789";
    secrets.push(wrong_secret.to_owned());
    secrets.push(wxlogin::mock_wechat::DEMO_SECRET.to_owned());
    let client = WechatClient::new(WechatConfig::new(
        w.emulator.base_url(),
        vec![AppCredentials {
            appid: APPID.into(),
            name: None,
            secret: Secret::new(wrong_secret),
        }],
    ))
    .unwrap();
    let state = ServiceState::new(
        w.store.clone(),
        data_key(),
        client,
        ServiceConfig::default(),
    );
    let svc = wxlogin::service::spawn(state, loopback()).await.unwrap();
    let code = w.code("wx-alice");
    secrets.push(code.clone());
    let r = w
        .http
        .post(format!("{}/login", svc.base_url()))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    svc.shutdown().await.unwrap();

    // The session_keys WeChat handed out, decrypted from the database.
    for (public_id, env) in session_keys(&w.db).await {
        let sk = wxlogin::crypto::decrypt_session_key(&data_key(), &public_id, &env).unwrap();
        secrets.push(sk.expose().to_owned());
    }

    let text = logs.text();
    assert!(text.contains(&public_id), "sessions are named by public id");
    assert!(
        text.contains("40125"),
        "the config error is logged with its errcode"
    );
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "a secret leaked into the logs");
    }
}
