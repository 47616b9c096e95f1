//! The login service's human `message` follows the client's `Accept-Language` (any Chinese:
//! Simplified Chinese); its `error` code, status and every other field never change. Over
//! HTTP against SQLite and PostgreSQL.

mod common;
mod service_common;

use reqwest::StatusCode;
use serde_json::{Value, json};
use service_common::*;

/// POST /login with `body` and the given `Accept-Language` (none when `None`).
async fn login_in(w: &World, body: &Value, accept: Option<&str>) -> (StatusCode, Value) {
    let mut r = w.http.post(format!("{}/login", w.base)).json(body);
    if let Some(a) = accept {
        r = r.header("Accept-Language", a);
    }
    let r = r.send().await.expect("POST /login");
    (r.status(), r.json().await.expect("JSON answer"))
}

async fn me_in(w: &World, token: &str, accept: &str) -> (StatusCode, Value) {
    let r = w
        .http
        .get(format!("{}/me", w.base))
        .bearer_auth(token)
        .header("Accept-Language", accept)
        .send()
        .await
        .expect("GET /me");
    (r.status(), r.json().await.expect("JSON answer"))
}

/// The answer without its `message`: what a client branches on.
fn without_message(v: &Value) -> Value {
    let mut v = v.clone();
    v.as_object_mut().expect("an object").remove("message");
    v
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

store_test!(
    the_message_follows_accept_language_and_the_error_code_never_changes,
    |db| {
        common::account(&db, "alice").await;
        let w = world(db).await;
        // binding_required (401), invalid_credentials (401), bad_request (400); a fresh code
        // for every request (a code is used once).
        let body = |kind: usize, n: usize| {
            let user = format!("wx-{kind}-{n}");
            match kind {
                0 => json!({ "appid": APPID, "code": w.code(&user) }),
                1 => {
                    json!({ "appid": APPID, "code": w.code(&user), "username": "alice", "password": "wrong password" })
                }
                _ => json!({ "appid": APPID, "code": "" }),
            }
        };
        for kind in 0..3 {
            let (en_status, en) = login_in(&w, &body(kind, 0), None).await;
            assert!(en_status.is_client_error(), "{en}");
            let en_message = en["message"].as_str().expect("message").to_owned();
            assert!(!has_cjk(&en_message), "{en}");
            let (s, explicit_en) =
                login_in(&w, &body(kind, 1), Some("en-US,en;q=0.9,zh;q=0.5")).await;
            assert_eq!(s, en_status);
            assert_eq!(
                explicit_en, en,
                "English first: the English answer, unchanged"
            );
            let accepts = [
                "zh-CN,zh;q=0.9,en;q=0.8",
                "zh",
                "zh-TW",
                "en;q=0.5, zh-Hans;q=0.8",
            ];
            for (n, accept) in accepts.into_iter().enumerate() {
                let (s, zh) = login_in(&w, &body(kind, n + 2), Some(accept)).await;
                assert_eq!(s, en_status, "{accept}");
                assert_eq!(without_message(&zh), without_message(&en), "{accept}");
                let m = zh["message"].as_str().expect("message");
                assert!(has_cjk(m), "{accept}: {zh}");
            }
        }
        let (_, zh) = login_in(&w, &body(0, 9), Some("zh-CN")).await;
        assert_eq!(zh["error"], "binding_required");
        assert!(zh["message"].as_str().unwrap().contains("绑定"), "{zh}");
        // Bad input keeps the English detail that names what is wrong.
        let (_, zh) = login_in(&w, &body(2, 9), Some("zh-CN")).await;
        assert!(zh["message"].as_str().unwrap().contains("code"), "{zh}");
    }
);

store_test!(
    me_answers_an_unknown_session_in_the_clients_language,
    |db| {
        let w = world(db).await;
        let token = "A".repeat(43);
        let (s_en, en) = me_in(&w, &token, "en").await;
        let (s_zh, zh) = me_in(&w, &token, "zh-CN").await;
        assert_eq!(s_en, StatusCode::UNAUTHORIZED);
        assert_eq!(s_zh, s_en);
        assert_eq!(zh["error"], "invalid_session");
        assert_eq!(without_message(&zh), without_message(&en));
        assert!(zh["message"].as_str().unwrap().contains("重新登录"), "{zh}");
    }
);
