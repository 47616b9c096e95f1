//! Access tokens, checkSessionKey and resetUserSessionKey through the client: against the
//! emulator (single flight, expiry, forced-refresh limits, one valid key per user) and
//! against a canned server answering in WeChat's real shapes (the exact requests sent).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wxlogin::mock_wechat::{
    self as emulator, Clock, DEMO_APPID, EmulatorConfig, EmulatorHandle, demo_app,
};
use wxlogin::secret::Secret;
use wxlogin::wechat::{ForceRefreshLimits, KeyCheck, WechatClient, WechatConfig, WechatError};

async fn start(cfg: EmulatorConfig) -> EmulatorHandle {
    emulator::spawn(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("emulator starts")
}

fn client(base_url: &str) -> WechatClient {
    WechatClient::new(WechatConfig::new(base_url, vec![demo_app()])).expect("client builds")
}

/// wx.login() + code2Session for `user`: (openid, session_key), the key now current at WeChat.
async fn login(c: &WechatClient, h: &EmulatorHandle, user: &str) -> (String, Secret) {
    let code = h.mint(DEMO_APPID, user).unwrap();
    let s = c.code2session(DEMO_APPID, &code).await.unwrap();
    (s.openid, s.session_key)
}

#[tokio::test]
async fn a_token_is_fetched_once_for_50_concurrent_callers() {
    let h = start(EmulatorConfig::default().clock(Clock::manual())).await;
    let c = client(&h.base_url());
    let (openid, key) = login(&c, &h, "alice").await;
    let calls = (0..50).map(|_| {
        let c = c.clone();
        let (openid, key) = (openid.clone(), key.clone());
        tokio::spawn(async move { c.check_session_key(DEMO_APPID, &openid, &key).await })
    });
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.unwrap().unwrap(), KeyCheck::Valid);
    }
    assert_eq!(h.stable_token_calls(DEMO_APPID), 1);
    let state = &c.token_states()[0];
    assert_eq!(state.appid, DEMO_APPID);
    assert_eq!(state.fetches, 1);
    assert!(
        state.cached_until.is_some() && state.last_error.is_none(),
        "{state:?}"
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_even_for_concurrent_callers() {
    let h = start(EmulatorConfig::default().clock(Clock::manual())).await;
    let c = client(&h.base_url());
    let (openid, key) = login(&c, &h, "alice").await;
    assert_eq!(
        c.check_session_key(DEMO_APPID, &openid, &key)
            .await
            .unwrap(),
        KeyCheck::Valid
    );
    // WeChat's clock passes the token's 7200 s; this process still holds it in its cache.
    h.clock().advance(Duration::from_secs(7201));
    let calls = (0..10).map(|_| {
        let c = c.clone();
        let (openid, key) = (openid.clone(), key.clone());
        tokio::spawn(async move { c.check_session_key(DEMO_APPID, &openid, &key).await })
    });
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.unwrap().unwrap(), KeyCheck::Valid);
    }
    assert_eq!(h.forced_refreshes(DEMO_APPID), 1);
    assert_eq!(h.stable_token_calls(DEMO_APPID), 2);
    assert_eq!(c.token_states()[0].forced_last_24h, 1);
}

#[tokio::test]
async fn forced_refreshes_are_refused_within_30_s_and_beyond_the_daily_count() {
    let h = start(EmulatorConfig::default().clock(Clock::manual())).await;
    let c = client(&h.base_url());
    let (openid, key) = login(&c, &h, "alice").await;
    c.check_session_key(DEMO_APPID, &openid, &key)
        .await
        .unwrap();
    h.clock().advance(Duration::from_secs(7201));
    c.check_session_key(DEMO_APPID, &openid, &key)
        .await
        .unwrap();
    // Expired again at WeChat, but the last forced refresh was moments ago: refused, not sent.
    h.clock().advance(Duration::from_secs(7201));
    let e = c
        .check_session_key(DEMO_APPID, &openid, &key)
        .await
        .unwrap_err();
    assert!(matches!(e, WechatError::ForceRefreshRefused { .. }), "{e}");
    assert!(e.to_string().contains("30 s"), "{e}");
    assert_eq!(h.forced_refreshes(DEMO_APPID), 1);
    assert!(
        c.token_states()[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("30 s")
    );

    // The daily count, with the gap out of the way.
    let c = client(&h.base_url()).with_force_refresh_limits(ForceRefreshLimits {
        per_day: 2,
        min_gap: Duration::ZERO,
    });
    for _ in 0..2 {
        c.check_session_key(DEMO_APPID, &openid, &key)
            .await
            .unwrap();
        h.clock().advance(Duration::from_secs(7201));
    }
    c.check_session_key(DEMO_APPID, &openid, &key)
        .await
        .unwrap();
    h.clock().advance(Duration::from_secs(7201));
    let e = c
        .check_session_key(DEMO_APPID, &openid, &key)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("2 forced refreshes in the last 24 h"),
        "{e}"
    );
    assert_eq!(h.forced_refreshes(DEMO_APPID), 3);
}

#[tokio::test]
async fn check_then_reset_the_old_key_is_stale_and_the_new_one_valid() {
    let h = start(EmulatorConfig::default()).await;
    let c = client(&h.base_url());
    let (openid, old) = login(&c, &h, "alice").await;
    assert_eq!(
        c.check_session_key(DEMO_APPID, &openid, &old)
            .await
            .unwrap(),
        KeyCheck::Valid
    );
    let reset = c
        .reset_session_key(DEMO_APPID, &openid, &old)
        .await
        .unwrap();
    assert_eq!(reset.openid, openid);
    assert_ne!(reset.session_key, old);
    assert!(matches!(
        c.check_session_key(DEMO_APPID, &openid, &old)
            .await
            .unwrap(),
        KeyCheck::Stale(_)
    ));
    assert_eq!(
        c.check_session_key(DEMO_APPID, &openid, &reset.session_key)
            .await
            .unwrap(),
        KeyCheck::Valid
    );
    // A stale key cannot sign a reset.
    let e = c
        .reset_session_key(DEMO_APPID, &openid, &old)
        .await
        .unwrap_err();
    assert_eq!(e.errcode(), Some(87009), "{e}");
}

#[tokio::test]
async fn a_newer_login_makes_the_stored_key_stale_with_a_rid() {
    let h = start(EmulatorConfig::default()).await;
    let c = client(&h.base_url());
    let (openid, first) = login(&c, &h, "alice").await;
    login(&c, &h, "alice").await;
    let KeyCheck::Stale(api) = c
        .check_session_key(DEMO_APPID, &openid, &first)
        .await
        .unwrap()
    else {
        panic!("expected stale");
    };
    assert!(api.rid.is_some(), "{api:?}");
}

// ---------------------------------------------------------------- canned real-shaped answers

/// A server answering each path with its canned body; records (path?query, body) of each hit.
async fn canned(answers: Vec<(&'static str, &'static str)>) -> (String, Arc<Mutex<Vec<String>>>) {
    let hits: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = hits.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, body: axum::body::Bytes| {
        let seen = seen.clone();
        let answers = answers.clone();
        async move {
            seen.lock()
                .unwrap()
                .push(format!("{} {}", uri, String::from_utf8_lossy(&body)));
            let answer = answers
                .iter()
                .find(|(p, _)| *p == uri.path())
                .map(|(_, a)| *a)
                .unwrap_or(r#"{"errcode":404,"errmsg":"no such path"}"#);
            ([(axum::http::header::CONTENT_TYPE, "text/plain")], answer)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), hits)
}

#[tokio::test]
async fn the_requests_are_wechats_documented_ones_and_string_errcodes_are_understood() {
    let (base, hits) = canned(vec![
        (
            "/cgi-bin/stable_token",
            r#"{"access_token":"86_CANNEDTOKENxyz","expires_in":7200}"#,
        ),
        ("/wxa/checksession", r#"{"errcode":"87009","errmsg":"invalid signature rid: 65a1b2c3-1d2e3f4a-5b6c7d8e"}"#),
        (
            "/wxa/resetusersessionkey",
            r#"{"errcode":0,"errmsg":"ok","openid":"oUSER","session_key":"bmV3a2V5bmV3a2V5bmV3aw=="}"#,
        ),
    ])
    .await;
    let c = client(&base);
    let key = Secret::new("o0q0otL8aEzpcZL/FT9WsQ==");
    let KeyCheck::Stale(api) = c
        .check_session_key(DEMO_APPID, "oUSER", &key)
        .await
        .unwrap()
    else {
        panic!("a string errcode 87009 is a stale key");
    };
    assert_eq!(api.rid.as_deref(), Some("65a1b2c3-1d2e3f4a-5b6c7d8e"));
    let reset = c
        .reset_session_key(DEMO_APPID, "oUSER", &key)
        .await
        .unwrap();
    assert_eq!(reset.session_key.expose(), "bmV3a2V5bmV3a2V5bmV3aw==");

    let hits = hits.lock().unwrap();
    assert_eq!(
        hits.len(),
        3,
        "one token fetch, then the two calls: {hits:?}"
    );
    let (token_req, token_body) = hits[0].split_once(' ').unwrap();
    assert_eq!(token_req, "/cgi-bin/stable_token");
    let body: serde_json::Value = serde_json::from_str(token_body).unwrap();
    assert_eq!(body["grant_type"], "client_credential");
    assert_eq!(body["appid"], DEMO_APPID);
    assert_eq!(body["force_refresh"], false);
    let sig = wxlogin::wechat::signature(&key, b"");
    for (i, path) in [(1, "/wxa/checksession"), (2, "/wxa/resetusersessionkey")] {
        let (req, _) = hits[i].split_once(' ').unwrap();
        let url = url::Url::parse(&format!("http://x{req}")).unwrap();
        assert_eq!(url.path(), path);
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            vec![
                ("access_token".into(), "86_CANNEDTOKENxyz".into()),
                ("openid".into(), "oUSER".into()),
                ("signature".into(), sig.clone()),
                ("sig_method".into(), "hmac_sha256".into()),
            ]
        );
    }
}

#[tokio::test]
async fn a_token_answer_without_expires_in_or_an_errcode_is_a_typed_error() {
    let (base, _) = canned(vec![(
        "/cgi-bin/stable_token",
        r#"{"errcode":40243,"errmsg":"AppSecret frozen rid: 1-2"}"#,
    )])
    .await;
    let c = client(&base);
    let e = c
        .check_session_key(
            DEMO_APPID,
            "oUSER",
            &Secret::new("a2V5a2V5a2V5a2V5a2V5aw=="),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, WechatError::AppSecretFrozen(_)), "{e}");
    assert!(e.to_string().contains("errcode 40243"), "{e}");
    assert!(
        c.token_states()[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("40243")
    );

    let (base, _) = canned(vec![(
        "/cgi-bin/stable_token",
        r#"{"access_token":"86_T"}"#,
    )])
    .await;
    let e = client(&base).access_token(DEMO_APPID).await.unwrap_err();
    assert!(matches!(e, WechatError::UnexpectedJson { .. }), "{e}");
}
