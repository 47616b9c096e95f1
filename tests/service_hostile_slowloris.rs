//! Slow clients against the login listener (issue 26, L3): connections that send part of a
//! request head and stall are closed after the header-read timeout, and while they are open
//! logins are still answered. SQLite and PostgreSQL.

mod common;
mod service_common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use service_common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wxlogin::service::ServiceConfig;

/// Opens `n` connections that each send the start of a request head and then nothing.
async fn slow_connections(base: &str, n: usize) -> Vec<TcpStream> {
    let addr = base.trim_start_matches("http://").to_owned();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: appl")
            .await
            .unwrap();
        out.push(s);
    }
    out
}

/// How many of `conns` the server has closed within `wait` (read gives EOF or an error).
async fn closed_within(conns: Vec<TcpStream>, wait: Duration) -> usize {
    let tasks = conns.into_iter().map(|mut s| async move {
        let mut buf = Vec::new();
        // EOF or an error (a reset) before `wait`: closed by the server.
        tokio::time::timeout(wait, s.read_to_end(&mut buf))
            .await
            .is_ok()
    });
    futures::future::join_all(tasks)
        .await
        .into_iter()
        .filter(|closed| *closed)
        .count()
}

const TIMEOUT: Duration = Duration::from_secs(2);

fn slow_setup(max_connections: usize) -> Setup {
    Setup {
        service: ServiceConfig {
            login_rate_limit: 0,
            account_failure_limit: 0,
            login_flood_limit: 0,
            header_read_timeout: TIMEOUT,
            max_connections,
            ..ServiceConfig::default()
        },
        ..Setup::default()
    }
}

store_test!(
    five_hundred_stalled_request_heads_do_not_stop_logins_and_are_closed_after_the_timeout,
    |db| {
        account(&db, "sam").await;
        let w = world_with(db, slow_setup(4096)).await;
        let started = Instant::now();
        let slow = slow_connections(&w.base, 500).await;
        // Logins are answered while the 500 are held open.
        for i in 0..5 {
            let t = Instant::now();
            let a = w
                .login(&format!("wx-sam-{i}"), Some(("sam", PASSWORD)))
                .await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "login {i} took {:?}",
                t.elapsed()
            );
        }
        let m = w.metrics().await;
        assert!(metric(&m, "wxlogin_http_connections_open") >= 500, "{m}");
        let closed = closed_within(slow, TIMEOUT * 5).await;
        println!(
            "{closed} of 500 stalled connections closed by the server within {:?}",
            started.elapsed()
        );
        assert_eq!(closed, 500, "stalled connections are held open");
        // Not before the timeout: the server gave each its full time.
        assert!(started.elapsed() >= TIMEOUT, "{:?}", started.elapsed());
        // The gauge drops as each connection's task ends, which may be a moment after the
        // client saw its socket closed: wait for it (5 s at most) rather than read it once.
        let deadline = Instant::now() + Duration::from_secs(5);
        let m = loop {
            let m = w.metrics().await;
            if metric(&m, "wxlogin_http_connections_open") <= 2 || Instant::now() > deadline {
                break m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(
            metric(&m, "wxlogin_http_header_timeouts_total") >= 500,
            "{m}"
        );
        assert!(metric(&m, "wxlogin_http_connections_open") <= 2, "{m}");
    }
);

store_test!(
    at_the_connection_cap_a_new_login_waits_for_a_stalled_connection_to_be_closed,
    |db| {
        account(&db, "tia").await;
        let w = world_with(db, slow_setup(20)).await;
        // Twenty stalled connections take every slot.
        let slow = slow_connections(&w.base, 20).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let t = Instant::now();
        // A fresh client (no pooled connection): it waits in the listen queue, and is
        // answered once the timeout has closed the stalled ones.
        let http = reqwest::Client::new();
        let body = serde_json::json!({ "appid": APPID, "code": w.code("wx-tia"), "username": "tia", "password": PASSWORD });
        let r = http
            .post(format!("{}/login", w.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let waited = t.elapsed();
        assert_eq!(r.status(), StatusCode::OK);
        println!("the login waited {waited:?} for a slot");
        assert!(
            waited >= TIMEOUT / 2,
            "answered at once although every slot was taken: {waited:?}"
        );
        assert!(waited < TIMEOUT * 5, "{waited:?}");
        let m = w.metrics().await;
        assert!(
            metric(&m, "wxlogin_http_connection_cap_reached_total") >= 1,
            "{m}"
        );
        assert!(metric(&m, "wxlogin_http_connections_open") <= 20, "{m}");
        assert_eq!(closed_within(slow, TIMEOUT * 3).await, 20);
    }
);

store_test!(
    a_login_body_that_stalls_after_its_head_is_answered_408_after_the_timeout,
    |db| {
        let w = world_with(db, slow_setup(4096)).await;
        let addr = w.base.trim_start_matches("http://").to_owned();
        let mut s = TcpStream::connect(&addr).await.unwrap();
        // The whole head, then 10 of the 100 body bytes it announced, then nothing.
        s.write_all(
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"code\": \"",
        )
        .await
        .unwrap();
        let t = Instant::now();
        let mut buf = Vec::new();
        tokio::time::timeout(TIMEOUT * 5, s.read_to_end(&mut buf))
            .await
            .expect("the server answers and closes")
            .ok();
        let answer = String::from_utf8_lossy(&buf);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("\"error\":\"request_timeout\""), "{answer}");
        assert!(t.elapsed() >= TIMEOUT / 2, "{:?}", t.elapsed());
    }
);

store_test!(a_login_body_over_16_kib_is_refused_with_413_in_json, |db| {
    let w = world_with(db, slow_setup(4096)).await;
    let body = format!("{{\"code\": \"{}\"}}", "a".repeat(20 * 1024));
    let r = w
        .http
        .post(format!("{}/login", w.base))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"], "body_too_large", "{v}");
});
