//! Two `wxlogin serve` instances behind haproxy, all on loopback, as a fleet runs: traffic
//! through haproxy; a revoke from the CLI is felt on the next request through either instance;
//! five wrong passwords spread over both instances lock the account on both; `wxlogin stats`
//! lists both instances; SIGTERM to one instance while load runs loses no request.
//!
//! Needs Debian's `haproxy` (.ci/run installs it). Without it the test is skipped with a
//! message, unless WXLOGIN_REQUIRE_PG=1 (scripts/test, CI), where it fails.

mod cli_support;
mod common;
mod fleet_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;
use fleet_support::{Serve, free_port};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wxlogin::mock_wechat::{self as emulator, DEMO_APPID, EmulatorConfig};

const PASSWORD: &str = "password123";

/// `haproxy` on PATH (or in /usr/sbin), or `None` when the test may be skipped.
fn haproxy() -> Option<String> {
    if let Some(p) = wxlogin::bench::galera::haproxy_binary() {
        return Some(p.to_owned());
    }
    if std::env::var("WXLOGIN_REQUIRE_PG").is_ok_and(|v| v == "1") {
        panic!("haproxy is not installed and WXLOGIN_REQUIRE_PG=1: apt-get install haproxy");
    }
    eprintln!(
        "note: haproxy is not installed; the fleet test behind haproxy is skipped (apt-get install haproxy)"
    );
    None
}

struct Haproxy {
    _child: tokio::process::Child,
    base: String,
    _dir: tempfile::TempDir,
}

async fn start_haproxy(bin: &str, backends: &[u16]) -> Haproxy {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let servers: String = backends
        .iter()
        .enumerate()
        .map(|(i, p)| format!("    server s{i} 127.0.0.1:{p} check\n"))
        .collect();
    // Health checks every 100 ms, out after two failures (a draining instance answers 503 at
    // once): well within the 2 s drain grace. A check may take up to 2 s before it counts as
    // failed: on a loaded machine a healthy instance can be slower than the 100 ms interval,
    // and with the default (the interval) both instances were marked down at once.
    let cfg = format!(
        "global\n    maxconn 512\n\
         defaults\n    mode http\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\n    timeout check 2s\n    retries 3\n    option redispatch\n\
         frontend fe\n    bind 127.0.0.1:{port}\n    option forwardfor\n    default_backend be\n\
         backend be\n    balance roundrobin\n    option httpchk GET /healthz\n    http-check expect status 200\n    default-server inter 100ms fall 2 rise 1\n{servers}"
    );
    let child = fleet_support::spawn_haproxy(bin, &dir, &cfg);
    let h = Haproxy {
        _child: child,
        base: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    };
    // Ready when both backends are up: two health answers in a row through the frontend.
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut ok = 0;
    while ok < 4 {
        match http.get(format!("{}/healthz", h.base)).send().await {
            Ok(r) if r.status().is_success() => ok += 1,
            _ => ok = 0,
        }
        assert!(Instant::now() < deadline, "haproxy did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    h
}

async fn post(http: &reqwest::Client, url: String, body: Value) -> (StatusCode, Value) {
    let r = http.post(url).json(&body).send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn me(http: &reqwest::Client, base: &str, token: &str) -> StatusCode {
    http.get(format!("{base}/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

fn metric(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

store_test!(two_instances_behind_haproxy_behave_as_one_service, |db| {
    let Some(bin) = haproxy() else { return };
    account(&db, "ann").await;
    let bea = account(&db, "bea").await;
    let emu = Arc::new(
        emulator::spawn(
            EmulatorConfig::default().rate_limit_per_minute(0),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap(),
    );
    let service_toml = "trusted_ip_header = \"X-Forwarded-For\"\ntrusted_proxies = [\"127.0.0.1/32\"]\n\
                        login_rate_limit = 1000\nlogin_flood_limit = 0\naccount_failure_limit = 5\ndrain_grace_ms = 2000";
    let mut a = Serve::start(&db.url, &emu.base_url(), service_toml).await;
    let b = Serve::start(&db.url, &emu.base_url(), service_toml).await;
    let lb = start_haproxy(&bin, &[a.port, b.port]).await;
    let http = reqwest::Client::new();
    let code = |user: &str| emu.mint(DEMO_APPID, user).unwrap();

    // Traffic through haproxy: a first login binds, returning logins are silent.
    let (s, body) = post(
        &http,
        format!("{}/login", lb.base),
        json!({ "appid": DEMO_APPID, "code": code("wx-bea"), "username": "bea", "password": PASSWORD }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let mut tokens = Vec::new();
    for _ in 0..6 {
        let (s, body) = post(
            &http,
            format!("{}/login", lb.base),
            json!({ "appid": DEMO_APPID, "code": code("wx-bea") }),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["account_id"], bea.id);
        tokens.push(body["session_id"].as_str().unwrap().to_owned());
    }
    for t in &tokens {
        assert_eq!(me(&http, &lb.base, t).await, StatusCode::OK);
    }
    // Both instances served some of it.
    for s in [&a, &b] {
        let m = http
            .get(format!("{}/metrics", s.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metric(&m, "wxlogin_logins_total{outcome=\"silent\"}") >= 1,
            "an instance got no traffic:\n{m}"
        );
    }

    // A revoke from the CLI is felt on the next request through either instance.
    cli_support::wx(
        &db.url,
        &[
            "sessions",
            "revoke",
            "--username",
            "bea",
            "--reason",
            "drill",
            "--yes",
        ],
    )
    .await
    .expect(0);
    for t in &tokens {
        assert_eq!(me(&http, &a.base, t).await, StatusCode::UNAUTHORIZED);
        assert_eq!(me(&http, &b.base, t).await, StatusCode::UNAUTHORIZED);
        assert_eq!(me(&http, &lb.base, t).await, StatusCode::UNAUTHORIZED);
    }

    // Five wrong passwords through haproxy (round robin: spread over both) lock ann on both.
    for i in 0..5 {
        let (s, body) = post(
            &http,
            format!("{}/login", lb.base),
            json!({ "appid": DEMO_APPID, "code": code("wx-thief"), "username": "ann", "password": format!("guess{i}") }),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    }
    for s in [&a, &b] {
        let m = http
            .get(format!("{}/metrics", s.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(metric(&m, "wxlogin_logins_total{outcome=\"invalid_credentials\"}") >= 1);
        let (st, body) = post(
            &http,
            format!("{}/login", s.base),
            json!({ "appid": DEMO_APPID, "code": code("wx-ann"), "username": "ann", "password": PASSWORD }),
        )
        .await;
        assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["error"], "account_locked");
    }

    // The fleet view lists both instances, up.
    let j = cli_support::wx(&db.url, &["stats", "--json"])
        .await
        .expect(0)
        .json();
    let listens: Vec<String> = j["instances"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["state"] == "up")
        .map(|i| i["listen"].as_str().unwrap().to_owned())
        .collect();
    for s in [&a, &b] {
        assert!(
            listens.contains(&format!("127.0.0.1:{}", s.port)),
            "{listens:?}"
        );
    }

    // SIGTERM to one instance while load runs through haproxy: no request is lost.
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let http = http.clone();
            let base = lb.base.clone();
            let emu = emu.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut done = 0u32;
                let mut failures = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let code = emu.mint(DEMO_APPID, "wx-bea").unwrap();
                    match http
                        .post(format!("{base}/login"))
                        .json(&json!({ "appid": DEMO_APPID, "code": code }))
                        .send()
                        .await
                    {
                        Ok(r) if r.status() == StatusCode::OK => done += 1,
                        Ok(r) => failures.push(format!("worker {w}: HTTP {}", r.status())),
                        Err(e) => failures.push(format!("worker {w}: {e}")),
                    }
                }
                (done, failures)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    a.sigterm();
    let code_a = a.wait(Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    let mut total = 0;
    for w in workers {
        let (done, failures) = w.await.unwrap();
        assert!(failures.is_empty(), "lost requests: {failures:?}");
        total += done;
    }
    assert!(total > 20, "the load ran ({total} logins)");
    assert_eq!(code_a, 0, "{}", a.log_text());
    let j = cli_support::wx(&db.url, &["stats", "--json"])
        .await
        .expect(0)
        .json();
    let state_of = |port: u16| {
        j["instances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["listen"] == format!("127.0.0.1:{port}"))
            .map(|i| i["state"].as_str().unwrap().to_owned())
    };
    assert_eq!(state_of(a.port).as_deref(), Some("stopped"), "{j}");
    assert_eq!(state_of(b.port).as_deref(), Some("up"), "{j}");
    drop(lb);
    drop(b);
});
