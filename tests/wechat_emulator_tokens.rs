//! The emulator's access-token and session_key endpoints over raw HTTP, with WeChat's rules:
//! `/cgi-bin/token` supersedes, `/cgi-bin/stable_token` shares, tokens expire, forced refreshes
//! are limited, one valid session_key per user, and the admin endpoints' guards.

use std::time::Duration;

use serde_json::{Value, json};
use wxlogin::mock_wechat::{
    self as emulator, Clock, DEMO_APPID, DEMO_SECRET, EmulatorConfig, EmulatorHandle,
};
use wxlogin::secret::Secret;
use wxlogin::wechat::signature;

async fn start(cfg: EmulatorConfig) -> EmulatorHandle {
    emulator::spawn(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn http() -> reqwest::Client {
    emulator::http_client().unwrap()
}

async fn json_of(r: reqwest::Response) -> Value {
    serde_json::from_str(&r.text().await.unwrap()).unwrap()
}

async fn plain_token(h: &EmulatorHandle) -> Value {
    json_of(
        http()
            .get(format!(
                "{}/cgi-bin/token?grant_type=client_credential&appid={DEMO_APPID}&secret={DEMO_SECRET}",
                h.base_url()
            ))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn stable_token(h: &EmulatorHandle, force_refresh: bool) -> Value {
    json_of(
        http()
            .post(format!("{}/cgi-bin/stable_token", h.base_url()))
            .json(&json!({
                "grant_type": "client_credential",
                "appid": DEMO_APPID,
                "secret": DEMO_SECRET,
                "force_refresh": force_refresh,
            }))
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A successful code2Session for `user`: (openid, session_key).
async fn login(h: &EmulatorHandle, user: &str) -> (String, String) {
    let code = h.mint(DEMO_APPID, user).unwrap();
    let body = json_of(
        http()
            .get(format!(
                "{}/sns/jscode2session?appid={DEMO_APPID}&secret={DEMO_SECRET}&js_code={code}&grant_type=authorization_code",
                h.base_url()
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    (
        body["openid"].as_str().unwrap().to_owned(),
        body["session_key"].as_str().unwrap().to_owned(),
    )
}

async fn key_call(
    h: &EmulatorHandle,
    path: &str,
    token: &str,
    openid: &str,
    key: &str,
    sig_method: &str,
) -> Value {
    let sig = signature(&Secret::new(key), b"");
    let mut url = url::Url::parse(&format!("{}{path}", h.base_url())).unwrap();
    url.query_pairs_mut()
        .append_pair("access_token", token)
        .append_pair("openid", openid)
        .append_pair("signature", &sig)
        .append_pair("sig_method", sig_method);
    json_of(http().get(url).send().await.unwrap()).await
}

async fn check(h: &EmulatorHandle, token: &str, openid: &str, key: &str) -> i64 {
    key_call(h, "/wxa/checksession", token, openid, key, "hmac_sha256").await["errcode"]
        .as_i64()
        .unwrap()
}

fn token_of(v: &Value) -> String {
    v["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token in {v}"))
        .to_owned()
}

#[tokio::test]
async fn cgi_token_issues_a_new_token_each_call_and_the_previous_dies_five_minutes_later() {
    let h = start(EmulatorConfig::default().clock(Clock::manual())).await;
    let (openid, key) = login(&h, "alice").await;
    let first = plain_token(&h).await;
    assert_eq!(first["expires_in"], json!(7200), "{first}");
    let first = token_of(&first);
    let second = token_of(&plain_token(&h).await);
    assert_ne!(first, second);
    assert_eq!(check(&h, &first, &openid, &key).await, 0);
    h.clock().advance(Duration::from_secs(299));
    assert_eq!(check(&h, &first, &openid, &key).await, 0);
    h.clock().advance(Duration::from_secs(1));
    assert_eq!(check(&h, &first, &openid, &key).await, 40001);
    assert_eq!(check(&h, &second, &openid, &key).await, 0);
}

#[tokio::test]
async fn stable_token_is_shared_until_it_expires_then_42001() {
    let h = start(EmulatorConfig::default().clock(Clock::manual())).await;
    let (openid, key) = login(&h, "alice").await;
    let a = stable_token(&h, false).await;
    h.clock().advance(Duration::from_secs(100));
    let b = stable_token(&h, false).await;
    assert_eq!(token_of(&a), token_of(&b));
    assert_eq!(b["expires_in"], json!(7100), "{b}");
    // Independent of /cgi-bin/token: fetching there does not kill the stable token.
    plain_token(&h).await;
    assert_eq!(check(&h, &token_of(&a), &openid, &key).await, 0);
    h.clock().advance(Duration::from_secs(7100));
    assert_eq!(check(&h, &token_of(&a), &openid, &key).await, 42001);
    let c = stable_token(&h, false).await;
    assert_ne!(token_of(&a), token_of(&c));
    assert_eq!(check(&h, &token_of(&c), &openid, &key).await, 0);
    assert_eq!(h.stable_token_calls(DEMO_APPID), 3);
}

#[tokio::test]
async fn force_refresh_kills_the_previous_token_and_is_limited_to_20_a_day_30_s_apart() {
    let h = start(EmulatorConfig::default().clock(Clock::manual())).await;
    let (openid, key) = login(&h, "alice").await;
    let old = token_of(&stable_token(&h, false).await);
    let new = token_of(&stable_token(&h, true).await);
    assert_ne!(old, new);
    assert_eq!(check(&h, &old, &openid, &key).await, 40001);
    assert_eq!(check(&h, &new, &openid, &key).await, 0);

    let too_soon = stable_token(&h, true).await;
    assert_eq!(too_soon["errcode"], json!(45009), "{too_soon}");
    for _ in 1..20 {
        h.clock().advance(Duration::from_secs(30));
        let r = stable_token(&h, true).await;
        assert!(r.get("access_token").is_some(), "{r}");
    }
    h.clock().advance(Duration::from_secs(30));
    let over = stable_token(&h, true).await;
    assert_eq!(over["errcode"], json!(45009), "{over}");
    assert_eq!(h.forced_refreshes(DEMO_APPID), 20);
    // A non-forced call still works, and a day later forcing works again.
    assert!(stable_token(&h, false).await.get("access_token").is_some());
    h.clock().advance(Duration::from_secs(86_400));
    assert!(stable_token(&h, true).await.get("access_token").is_some());
}

#[tokio::test]
async fn token_endpoints_check_their_parameters() {
    let h = start(EmulatorConfig::default()).await;
    let (openid, key) = login(&h, "alice").await;
    let r = json_of(
        http()
            .post(format!("{}/cgi-bin/stable_token", h.base_url()))
            .json(&json!({"grant_type":"client_credential","appid":DEMO_APPID,"secret":"wrong"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r["errcode"], json!(40125), "{r}");
    let r = json_of(
        http()
            .get(format!(
                "{}/cgi-bin/token?grant_type=client_credential&appid=wxnope&secret=x",
                h.base_url()
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r["errcode"], json!(40013), "{r}");
    assert_eq!(check(&h, "", &openid, &key).await, 41001);
    assert_eq!(check(&h, "86_not-a-token", &openid, &key).await, 40001);
}

#[tokio::test]
async fn one_valid_session_key_per_user_checksession_and_reset() {
    let h = start(EmulatorConfig::default()).await;
    let token = token_of(&stable_token(&h, false).await);
    let (openid, first_key) = login(&h, "alice").await;
    assert_eq!(check(&h, &token, &openid, &first_key).await, 0);

    // A newer wx.login() + code2Session replaces the key.
    let (same_openid, second_key) = login(&h, "alice").await;
    assert_eq!(openid, same_openid);
    assert_eq!(check(&h, &token, &openid, &first_key).await, 87009);
    assert_eq!(check(&h, &token, &openid, &second_key).await, 0);

    let wrong_method = key_call(&h, "/wxa/checksession", &token, &openid, &second_key, "md5").await;
    assert_eq!(wrong_method["errcode"], json!(87008), "{wrong_method}");

    // Reset needs the current key's signature, returns a new key, and kills the old one.
    let refused = key_call(
        &h,
        "/wxa/resetusersessionkey",
        &token,
        &openid,
        &first_key,
        "hmac_sha256",
    )
    .await;
    assert_eq!(refused["errcode"], json!(87009), "{refused}");
    let reset = key_call(
        &h,
        "/wxa/resetusersessionkey",
        &token,
        &openid,
        &second_key,
        "hmac_sha256",
    )
    .await;
    assert_eq!(reset["errcode"], json!(0), "{reset}");
    assert_eq!(reset["openid"], json!(openid));
    let third_key = reset["session_key"].as_str().unwrap().to_owned();
    assert_eq!(third_key.len(), 24);
    assert_eq!(check(&h, &token, &openid, &second_key).await, 87009);
    assert_eq!(check(&h, &token, &openid, &third_key).await, 0);

    // Another user's key is theirs alone.
    let (bob, bob_key) = login(&h, "bob").await;
    assert_eq!(check(&h, &token, &bob, &third_key).await, 87009);
    assert_eq!(check(&h, &token, &bob, &bob_key).await, 0);
}

#[tokio::test]
async fn admin_endpoints_refuse_foreign_hosts_non_json_bodies_and_missing_admin_tokens() {
    let h = start(EmulatorConfig::default().admin_token("admin-token-for-tests-0123")).await;
    let url = format!("{}/mock/admin/clock", h.base_url());
    let body = r#"{"advance_secs": 1}"#;
    let auth = "Bearer admin-token-for-tests-0123";
    let send = async |rb: reqwest::RequestBuilder| rb.send().await.unwrap().status().as_u16();

    let ok = http()
        .post(&url)
        .header("content-type", "application/json")
        .header("authorization", auth)
        .body(body);
    assert_eq!(send(ok).await, 200);
    // What a web page's form post sends: another content type.
    let form = http()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", auth)
        .body(body);
    assert_eq!(send(form).await, 415);
    // A DNS-rebinding page reaches 127.0.0.1 under its own host name.
    let rebound = http()
        .post(&url)
        .header("host", "evil.example:9080")
        .header("content-type", "application/json")
        .header("authorization", auth)
        .body(body);
    assert_eq!(send(rebound).await, 403);
    let localhost = http()
        .get(format!("{}/mock/admin/state", h.base_url()))
        .header("host", "localhost:9080")
        .header("authorization", auth);
    assert_eq!(send(localhost).await, 200);
    let no_token = http().get(format!("{}/mock/admin/state", h.base_url()));
    assert_eq!(send(no_token).await, 401);
    let wrong_token = http()
        .get(format!("{}/mock/admin/state", h.base_url()))
        .header("authorization", "Bearer admin-token-for-tests-9999");
    assert_eq!(send(wrong_token).await, 401);
    // WeChat's own endpoints need none of that.
    let token = stable_token(&h, false).await;
    assert!(token.get("access_token").is_some(), "{token}");
}
