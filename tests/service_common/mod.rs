//! The login service end to end: the WeChat emulator and the service in-process on loopback
//! ports, a real database (SQLite or PostgreSQL from `common`), reqwest as the mini program.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{Value, json};
use wxlogin::mock_wechat::{self as emulator, DEMO_APPID, EmulatorConfig, EmulatorHandle};
use wxlogin::service::{self, ServiceConfig, ServiceHandle, ServiceState};
use wxlogin::store::Store;
use wxlogin::wechat::{WechatClient, WechatConfig};

use crate::common::{TestDb, data_key};

pub const APPID: &str = DEMO_APPID;
pub const PASSWORD: &str = "password123";

pub fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Everything a service test needs. The service's store can run on a movable clock.
pub struct World {
    pub db: TestDb,
    /// The store the service uses (on the test's clock).
    pub store: Store,
    pub emulator: EmulatorHandle,
    pub service: ServiceHandle,
    pub state: ServiceState,
    pub http: reqwest::Client,
    pub base: String,
    /// Seconds added to the real time on the service's clock.
    pub offset: Arc<AtomicI64>,
}

pub struct Setup {
    pub service: ServiceConfig,
    pub emulator: EmulatorConfig,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            // Tests log in hundreds of times from 127.0.0.1: the limit is tested on its own.
            service: ServiceConfig {
                login_rate_limit: 0,
                account_failure_limit: 0,
                login_flood_limit: 0,
                ..ServiceConfig::default()
            },
            emulator: EmulatorConfig::default().rate_limit_per_minute(0),
        }
    }
}

pub async fn world(db: TestDb) -> World {
    world_with(db, Setup::default()).await
}

pub async fn world_with(db: TestDb, setup: Setup) -> World {
    let offset = Arc::new(AtomicI64::new(0));
    let o = offset.clone();
    let store = db.store.clone().with_clock(Arc::new(move || {
        Utc::now() + chrono::Duration::seconds(o.load(Ordering::SeqCst))
    }));
    let apps = setup.emulator.apps.clone();
    let emulator = emulator::spawn(setup.emulator, loopback())
        .await
        .expect("start the emulator");
    let wechat = WechatClient::new(WechatConfig::new(emulator.base_url(), apps)).expect("client");
    let state = ServiceState::new(store.clone(), data_key(), wechat, setup.service);
    let service = service::spawn(state.clone(), loopback())
        .await
        .expect("start the service");
    let base = service.base_url();
    World {
        db,
        store,
        emulator,
        service,
        state,
        http: reqwest::Client::new(),
        base,
        offset,
    }
}

/// An HTTP answer: status and JSON body (Null when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
    pub fn token(&self) -> String {
        self.body["session_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no session_id in {} {}", self.status, self.body))
            .to_owned()
    }
}

async fn answer(r: reqwest::Response) -> Answer {
    let status = r.status();
    let body = r.json().await.unwrap_or(Value::Null);
    Answer { status, body }
}

impl World {
    /// A second service instance on the same database (and clock) and WeChat emulator, with
    /// the same configuration; returns it and its base URL.
    pub async fn second_instance(&self) -> (ServiceHandle, String) {
        let apps = EmulatorConfig::default().apps;
        let wechat =
            WechatClient::new(WechatConfig::new(self.emulator.base_url(), apps)).expect("client");
        let cfg = self.state.config().clone();
        let state = ServiceState::new(self.store.clone(), data_key(), wechat, cfg);
        let h = service::spawn(state, loopback())
            .await
            .expect("second service");
        let base = h.base_url();
        (h, base)
    }

    /// `POST {base}/login` with `body` as if from client address `from` (X-Forwarded-For):
    /// status, JSON body and the Retry-After header.
    pub async fn login_from(
        &self,
        base: &str,
        from: &str,
        body: Value,
    ) -> (StatusCode, Value, Option<String>) {
        let r = self
            .http
            .post(format!("{base}/login"))
            .header("X-Forwarded-For", from)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let retry = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, r.json().await.unwrap_or_default(), retry)
    }

    /// Moves the service's clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        self.offset.fetch_add(by.num_seconds(), Ordering::SeqCst);
    }

    /// What wx.login() gives `user` in the demo mini program.
    pub fn code(&self, user: &str) -> String {
        self.code_for(APPID, user)
    }

    pub fn code_for(&self, appid: &str, user: &str) -> String {
        self.emulator.mint(appid, user).expect("mint a code")
    }

    pub async fn post_login(&self, body: Value) -> Answer {
        answer(
            self.http
                .post(format!("{}/login", self.base))
                .json(&body)
                .send()
                .await
                .expect("POST /login"),
        )
        .await
    }

    /// Logs `wx_user` in with a fresh code, with business credentials when given.
    pub async fn login(&self, wx_user: &str, creds: Option<(&str, &str)>) -> Answer {
        let mut body = json!({ "appid": APPID, "code": self.code(wx_user) });
        if let Some((u, p)) = creds {
            body["username"] = u.into();
            body["password"] = p.into();
        }
        self.post_login(body).await
    }

    /// First login with the fixture password: binds and returns the SessionId.
    pub async fn bind(&self, wx_user: &str, username: &str) -> String {
        let a = self.login(wx_user, Some((username, PASSWORD))).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        a.token()
    }

    pub async fn me(&self, token: &str) -> Answer {
        answer(
            self.http
                .get(format!("{}/me", self.base))
                .bearer_auth(token)
                .send()
                .await
                .expect("GET /me"),
        )
        .await
    }

    pub async fn logout(&self, token: &str) -> Answer {
        answer(
            self.http
                .post(format!("{}/logout", self.base))
                .bearer_auth(token)
                .send()
                .await
                .expect("POST /logout"),
        )
        .await
    }

    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .unwrap()
    }

    pub fn openid(&self, wx_user: &str) -> String {
        emulator::openid(APPID, wx_user)
    }
}

/// `name{labels} value` from a metrics exposition, or 0.
pub fn metric(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}
