//! Hostile text at the HTTP edge (issue 26, finding 7): every text input of every route is
//! checked once, before it reaches the limiter, the store or WeChat. NUL (which PostgreSQL
//! cannot store), control, bidi and invisible characters are refused with `400 invalid_text`
//! naming the field; nothing answers 5xx. SQLite and PostgreSQL.

mod common;
mod service_common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use service_common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wxlogin::service::ServiceConfig;

/// The default budgets on: a refused text must not reach the limiter's table either.
fn defaults() -> Setup {
    Setup {
        service: ServiceConfig::default(),
        ..Setup::default()
    }
}

/// (field, bad value) for every text field of `POST /login`.
fn bad_login_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("username", "vic\u{0}tim"),
        ("username", "adm\u{202e}nimda"),
        ("username", "a\u{1b}[2Jb"),
        ("username", "ad\u{200b}min"),
        ("password", "pass\u{0}word"),
        ("password", "pass\u{1b}word"),
        ("code", "\u{0}081aBc"),
        ("code", "081a Bc"),
        ("code", "081a\u{9b}Bc"),
        ("appid", "wx\u{0}demo"),
        ("appid", "wx\u{202e}demo"),
    ]
}

fn assert_refused(what: &str, status: StatusCode, body: &Value, field: &str) {
    assert!(
        !status.is_server_error(),
        "{what}: a server error: {status} {body}"
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
    assert_eq!(body["error"], "invalid_text", "{what}: {body}");
    assert_eq!(body["field"], field, "{what}: {body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(field),
        "{what}: the message names the field: {message}"
    );
}

store_test!(
    every_login_text_field_with_nul_controls_or_bidi_is_refused_with_400_naming_it,
    |db| {
        account(&db, "victim").await;
        let w = world_with(db, defaults()).await;
        let mut failures = Vec::new();
        for (field, value) in bad_login_fields() {
            let mut body = json!({
                "appid": APPID,
                "code": w.code("wx-text"),
                "username": "victim",
                "password": "wrong-password",
            });
            body[field] = value.into();
            let a = w.post_login(body).await;
            let what = format!("{field} = {value:?}");
            println!("{what}: {} {}", a.status, a.body);
            if a.status != StatusCode::BAD_REQUEST
                || a.body["error"] != "invalid_text"
                || a.body["field"] != field
            {
                failures.push(format!("{what}: {} {}", a.status, a.body));
                continue;
            }
            assert_refused(&what, a.status, &a.body, field);
        }
        assert!(
            failures.is_empty(),
            "not refused at the edge:\n{}",
            failures.join("\n")
        );
        // Nothing of it reached the limiter's table or used a password budget: the account
        // logs in with the right password at once.
        let a = w.login("wx-victim", Some(("victim", PASSWORD))).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let m = w.metrics().await;
        assert_eq!(metric(&m, "wxlogin_logins_total{outcome=\"error\"}"), 0);
    }
);

store_test!(
    a_session_token_with_non_ascii_or_control_bytes_is_refused_with_400_on_me_and_logout,
    |db| {
        let w = world_with(db, defaults()).await;
        for path in ["/me", "/logout"] {
            for token in [
                &b"ses\xe2\x80\xaetoken"[..],
                &b"tok\xc2\x9ben"[..],
                &b"tok\xffen"[..],
            ] {
                let mut value = b"Bearer ".to_vec();
                value.extend_from_slice(token);
                let req = if path == "/me" {
                    w.http.get(format!("{}{path}", w.base))
                } else {
                    w.http.post(format!("{}{path}", w.base))
                };
                let r = req
                    .header(
                        reqwest::header::AUTHORIZATION,
                        reqwest::header::HeaderValue::from_bytes(&value).unwrap(),
                    )
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let body: Value = r.json().await.unwrap_or_default();
                assert_refused(
                    &format!("{path} with {token:?}"),
                    status,
                    &body,
                    "Authorization",
                );
            }
        }
    }
);

/// One raw HTTP/1.1 request on a fresh connection; the whole answer.
async fn raw(w: &World, request: &[u8]) -> String {
    let addr = w.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).into_owned()
}

store_test!(user_agents_the_store_could_not_hold_never_reach_it, |db| {
    account(&db, "uma").await;
    let w = world_with(db, defaults()).await;
    // A NUL byte in a header: the HTTP layer refuses the request itself.
    let body = json!({ "appid": APPID, "code": w.code("wx-uma"), "username": "uma", "password": PASSWORD }).to_string();
    let mut req = format!(
            "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: a",
            body.len()
        )
        .into_bytes();
    req.extend_from_slice(b"\0b\r\n\r\n");
    req.extend_from_slice(body.as_bytes());
    let answer = raw(&w, &req).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    // Bytes that are not UTF-8 (obs-text): the login works and the user agent is kept with
    // the replacement character, which every backend can store.
    let body = json!({ "appid": APPID, "code": w.code("wx-uma"), "username": "uma", "password": PASSWORD }).to_string();
    let mut req = format!(
            "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: MicroMessenger ",
            body.len()
        )
        .into_bytes();
    req.extend_from_slice(b"\xff\xfe\r\n\r\n");
    req.extend_from_slice(body.as_bytes());
    let answer = raw(&w, &req).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let rows = w
        .store
        .list_sessions(&wxlogin::store::SessionFilter::default(), None, 10)
        .await
        .unwrap()
        .rows;
    assert_eq!(rows.len(), 1);
    let ua = rows[0].user_agent.clone().unwrap_or_default();
    assert!(ua.starts_with("MicroMessenger \u{fffd}"), "{ua:?}");
});
