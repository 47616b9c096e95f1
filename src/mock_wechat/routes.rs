//! The emulator's HTTP surface: WeChat's endpoints (code2Session, the two token endpoints,
//! checksession, resetusersessionkey), the `wx.login()` stand-in, and the admin endpoints for
//! drills.
//!
//! The admin endpoints (`/mock/admin/*`) refuse a Host header that is not a loopback name or
//! address, so a web page the operator visits cannot reach them through DNS rebinding; their
//! POSTs need `Content-Type: application/json`, which a cross-site form or a no-preflight
//! `fetch` cannot send; and with an admin token configured they need
//! `Authorization: Bearer TOKEN`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::state::{Emulator, Exchange, FaultAction, MintError, new_rid};
use crate::sanitize::for_terminal_truncated;

const LOG: &str = "wxlogin::mock_wechat";
/// What nginx in front of a failing upstream answers.
const BAD_GATEWAY_HTML: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
/// What a captive portal or misrouted proxy answers with status 200.
const NOT_JSON_HTML: &str = "<!DOCTYPE html><html><head><title>Service temporarily unavailable</title></head><body><p>The service is temporarily unavailable. Please try again later.</p></body></html>";

pub(crate) fn router(emu: Arc<Emulator>) -> Router {
    let admin = Router::new()
        .route("/mock/admin/faults", get(get_faults).post(post_faults))
        .route("/mock/admin/high-risk", post(post_high_risk))
        .route("/mock/admin/clock", post(post_clock))
        .route("/mock/admin/state", get(get_state))
        .route_layer(middleware::from_fn_with_state(emu.clone(), admin_guard));
    Router::new()
        .route("/sns/jscode2session", get(jscode2session))
        .route("/cgi-bin/token", get(cgi_token))
        .route("/cgi-bin/stable_token", post(stable_token))
        .route("/wxa/checksession", get(checksession))
        .route("/wxa/resetusersessionkey", get(resetusersessionkey))
        .route("/mock/wx.login", post(wx_login))
        .merge(admin)
        .fallback(not_found)
        .with_state(emu)
}

/// Whether a Host header names this machine: `localhost`, `127.x.y.z` or `[::1]`, any port.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((inner, _)) => inner,
            None => return false,
        }
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    name.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

async fn admin_guard(State(emu): State<Arc<Emulator>>, req: Request, next: Next) -> Response {
    if let Some(refusal) = admin_refusal(&emu, req.method(), req.headers()) {
        tracing::info!(target: LOG, path = %req.uri().path(), "admin request refused: {refusal:?}");
        return refusal.into_response();
    }
    next.run(req).await
}

#[derive(Debug)]
struct Refusal(StatusCode, &'static str);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        mock_error(self.0, self.1)
    }
}

fn admin_refusal(emu: &Emulator, method: &Method, headers: &HeaderMap) -> Option<Refusal> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !is_loopback_host(host) {
        return Some(Refusal(
            StatusCode::FORBIDDEN,
            "the admin endpoints answer only requests addressed to a loopback name or address (Host: localhost or 127.0.0.1)",
        ));
    }
    if let Some(expected) = emu.admin_token() {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or("");
        if !super::state::constant_time_eq(given.trim().as_bytes(), expected.as_bytes()) {
            return Some(Refusal(
                StatusCode::UNAUTHORIZED,
                "this emulator has an admin token: send Authorization: Bearer TOKEN",
            ));
        }
    }
    if method == Method::POST {
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|h| h.to_str().ok())
            .and_then(|c| c.split(';').next())
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Some(Refusal(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "admin requests need Content-Type: application/json (curl: -H 'Content-Type: application/json')",
            ));
        }
    }
    None
}

fn query_map(query: Option<&str>) -> std::collections::HashMap<String, String> {
    let mut m = std::collections::HashMap::new();
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        m.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    m
}

fn token_answer(issued: super::tokens::Issued) -> Response {
    wechat_json(json!({ "access_token": issued.access_token, "expires_in": issued.expires_in }))
}

async fn cgi_token(State(emu): State<Arc<Emulator>>, RawQuery(query): RawQuery) -> Response {
    let q = query_map(query.as_deref());
    let appid = q.get("appid").map(String::as_str);
    let appid_for_log = for_terminal_truncated(appid.unwrap_or(""), 64);
    match emu.token(
        appid,
        q.get("secret").map(String::as_str),
        q.get("grant_type").map(String::as_str),
    ) {
        Ok(issued) => {
            tracing::info!(target: LOG, appid = %appid_for_log, "cgi-bin/token: new token (the previous one works 5 more minutes)");
            token_answer(issued)
        }
        Err((errcode, errmsg)) => {
            let rid = new_rid();
            tracing::info!(target: LOG, appid = %appid_for_log, errcode, %rid, "cgi-bin/token: {errmsg}");
            wechat_error(errcode, errmsg, &rid)
        }
    }
}

#[derive(Deserialize)]
struct StableTokenRequest {
    grant_type: Option<String>,
    appid: Option<String>,
    secret: Option<String>,
    #[serde(default)]
    force_refresh: bool,
}

async fn stable_token(State(emu): State<Arc<Emulator>>, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<StableTokenRequest>(&body) else {
        let rid = new_rid();
        tracing::info!(target: LOG, %rid, "stable_token: body is not the expected JSON");
        return wechat_error(47001, "data format error", &rid);
    };
    let appid_for_log = for_terminal_truncated(req.appid.as_deref().unwrap_or(""), 64);
    match emu.stable_token(
        req.appid.as_deref(),
        req.secret.as_deref(),
        req.grant_type.as_deref(),
        req.force_refresh,
    ) {
        Ok(issued) => {
            tracing::info!(target: LOG, appid = %appid_for_log, force_refresh = req.force_refresh, expires_in = issued.expires_in, "stable_token: token given");
            token_answer(issued)
        }
        Err((errcode, errmsg)) => {
            let rid = new_rid();
            tracing::info!(target: LOG, appid = %appid_for_log, force_refresh = req.force_refresh, errcode, %rid, "stable_token: {errmsg}");
            wechat_error(errcode, errmsg, &rid)
        }
    }
}

async fn checksession(State(emu): State<Arc<Emulator>>, RawQuery(query): RawQuery) -> Response {
    session_key_endpoint(&emu, query.as_deref(), false)
}

async fn resetusersessionkey(
    State(emu): State<Arc<Emulator>>,
    RawQuery(query): RawQuery,
) -> Response {
    session_key_endpoint(&emu, query.as_deref(), true)
}

fn session_key_endpoint(emu: &Emulator, query: Option<&str>, reset: bool) -> Response {
    let q = query_map(query);
    let get = |k: &str| q.get(k).map(String::as_str);
    let openid = get("openid");
    let (appid, result) = emu.session_key_call(
        get("access_token"),
        openid,
        get("signature"),
        get("sig_method"),
        reset,
    );
    let what = if reset {
        "resetusersessionkey"
    } else {
        "checksession"
    };
    // The token, the signature and the keys are never logged.
    let appid_for_log = for_terminal_truncated(appid.as_deref().unwrap_or("?"), 64);
    let rid = new_rid();
    match result {
        Ok(new_key) => {
            tracing::info!(target: LOG, appid = %appid_for_log, %rid, "{what}: ok");
            let mut body = json!({ "errcode": 0, "errmsg": "ok" });
            if let Some(key) = new_key {
                body["openid"] = json!(openid.unwrap_or(""));
                body["session_key"] = json!(key);
            }
            wechat_json(body)
        }
        Err((errcode, errmsg)) => {
            tracing::info!(target: LOG, appid = %appid_for_log, errcode, %rid, "{what}: {errmsg}");
            wechat_error(errcode, errmsg, &rid)
        }
    }
}

/// WeChat serves its JSON as text/plain; so does the emulator.
fn wechat_json(value: serde_json::Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain")],
        value.to_string(),
    )
        .into_response()
}

fn wechat_error(errcode: i64, errmsg: &str, rid: &str) -> Response {
    wechat_json(json!({ "errcode": errcode, "errmsg": format!("{errmsg}, rid: {rid}") }))
}

fn mock_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

/// The first value of each code2Session parameter in a query string.
#[derive(Default)]
struct Params {
    appid: Option<String>,
    secret: Option<String>,
    js_code: Option<String>,
    grant_type: Option<String>,
}

fn parse_params(query: Option<&str>) -> Params {
    let mut p = Params::default();
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let slot = match k.as_ref() {
            "appid" => &mut p.appid,
            "secret" => &mut p.secret,
            "js_code" => &mut p.js_code,
            "grant_type" => &mut p.grant_type,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(v.into_owned());
        }
    }
    p
}

async fn jscode2session(State(emu): State<Arc<Emulator>>, RawQuery(query): RawQuery) -> Response {
    let (latency, fault) = emu.fault_for_request();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let rid = new_rid();
    match fault {
        FaultAction::Http502 => {
            tracing::info!(target: LOG, "jscode2session: injected HTTP 502");
            return (
                StatusCode::BAD_GATEWAY,
                [(header::CONTENT_TYPE, "text/html")],
                BAD_GATEWAY_HTML,
            )
                .into_response();
        }
        FaultAction::NotJson => {
            tracing::info!(target: LOG, "jscode2session: injected non-JSON answer");
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                NOT_JSON_HTML,
            )
                .into_response();
        }
        FaultAction::Busy => {
            tracing::info!(target: LOG, %rid, "jscode2session: injected errcode -1");
            return wechat_error(-1, "system error", &rid);
        }
        FaultAction::None => {}
    }

    let p = parse_params(query.as_deref());
    // appid and user are test identifiers; the code and the secret are never logged.
    let appid_for_log = for_terminal_truncated(p.appid.as_deref().unwrap_or(""), 64);
    match emu.exchange(
        p.appid.as_deref(),
        p.secret.as_deref(),
        p.js_code.as_deref(),
        p.grant_type.as_deref(),
    ) {
        Exchange::Success {
            openid,
            session_key,
            unionid,
            user,
        } => {
            tracing::info!(
                target: LOG,
                appid = %appid_for_log,
                user = %for_terminal_truncated(&user, 64),
                unionid = unionid.is_some(),
                "jscode2session: success"
            );
            let mut body = json!({ "session_key": session_key, "openid": openid });
            if let Some(u) = unionid {
                body["unionid"] = json!(u);
            }
            wechat_json(body)
        }
        Exchange::Error {
            errcode,
            errmsg,
            user,
        } => {
            tracing::info!(
                target: LOG,
                appid = %appid_for_log,
                user = %for_terminal_truncated(user.as_deref().unwrap_or("?"), 64),
                errcode,
                %rid,
                "jscode2session: {errmsg}"
            );
            wechat_error(errcode, errmsg, &rid)
        }
    }
}

pub(crate) fn mint_error_message(e: &MintError, appid: &str) -> String {
    match e {
        MintError::UnknownApp => format!(
            "unknown appid {}; start the emulator with --app APPID:SECRET for it",
            for_terminal_truncated(appid, 64)
        ),
        MintError::EmptyUser => "user must be a non-empty string naming the WeChat user".into(),
        MintError::TooManyCodes => format!(
            "{} codes are alive, the emulator's limit; wait for them to expire (5 minutes)",
            super::MAX_LIVE_CODES
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WxLogin {
    appid: String,
    user: String,
}

async fn wx_login(State(emu): State<Arc<Emulator>>, body: Bytes) -> Response {
    let req: WxLogin = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return mock_error(
                StatusCode::BAD_REQUEST,
                format!("expected JSON {{\"appid\": \"...\", \"user\": \"...\"}}: {e}"),
            );
        }
    };
    match emu.mint(&req.appid, &req.user) {
        Ok(code) => {
            tracing::info!(
                target: LOG,
                appid = %for_terminal_truncated(&req.appid, 64),
                user = %for_terminal_truncated(&req.user, 64),
                "wx.login: code minted"
            );
            axum::Json(json!({ "code": code })).into_response()
        }
        Err(e) => {
            let status = match e {
                MintError::TooManyCodes => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_REQUEST,
            };
            mock_error(status, mint_error_message(&e, &req.appid))
        }
    }
}

async fn get_faults(State(emu): State<Arc<Emulator>>) -> Response {
    axum::Json(emu.faults()).into_response()
}

/// Partial update: only the fields given change; `"reset": true` clears everything first.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsPatch {
    #[serde(default)]
    reset: bool,
    busy_rate: Option<f64>,
    busy_next: Option<u32>,
    latency_ms: Option<u64>,
    http_502: Option<bool>,
    non_json: Option<bool>,
}

/// Longest latency the admin endpoint accepts (10 minutes).
const MAX_LATENCY_MS: u64 = 600_000;

async fn post_faults(State(emu): State<Arc<Emulator>>, body: Bytes) -> Response {
    let patch: FaultsPatch = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => {
            return mock_error(
                StatusCode::BAD_REQUEST,
                format!(
                    "expected JSON with any of reset, busy_rate, busy_next, latency_ms, http_502, non_json: {e}"
                ),
            );
        }
    };
    if let Some(r) = patch.busy_rate
        && !(0.0..=1.0).contains(&r)
    {
        return mock_error(
            StatusCode::BAD_REQUEST,
            "busy_rate is a fraction from 0.0 to 1.0",
        );
    }
    if patch.latency_ms.is_some_and(|l| l > MAX_LATENCY_MS) {
        return mock_error(
            StatusCode::BAD_REQUEST,
            format!("latency_ms is at most {MAX_LATENCY_MS}"),
        );
    }
    let faults = emu.update_faults(|f| {
        if patch.reset {
            *f = Default::default();
        }
        if let Some(v) = patch.busy_rate {
            f.busy_rate = v;
        }
        if let Some(v) = patch.busy_next {
            f.busy_next = v;
        }
        if let Some(v) = patch.latency_ms {
            f.latency_ms = v;
        }
        if let Some(v) = patch.http_502 {
            f.http_502 = v;
        }
        if let Some(v) = patch.non_json {
            f.non_json = v;
        }
    });
    tracing::info!(target: LOG, ?faults, "faults changed");
    axum::Json(faults).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HighRisk {
    user: String,
    #[serde(default = "yes")]
    high_risk: bool,
}

fn yes() -> bool {
    true
}

async fn post_high_risk(State(emu): State<Arc<Emulator>>, body: Bytes) -> Response {
    let req: HighRisk = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return mock_error(
                StatusCode::BAD_REQUEST,
                format!("expected JSON {{\"user\": \"...\", \"high_risk\": true|false}}: {e}"),
            );
        }
    };
    let users = emu.set_high_risk(&req.user, req.high_risk);
    tracing::info!(
        target: LOG,
        user = %for_terminal_truncated(&req.user, 64),
        high_risk = req.high_risk,
        "high-risk mark changed"
    );
    axum::Json(json!({ "high_risk_users": users })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockAdvance {
    advance_secs: u64,
}

async fn post_clock(State(emu): State<Arc<Emulator>>, body: Bytes) -> Response {
    let req: ClockAdvance = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return mock_error(
                StatusCode::BAD_REQUEST,
                format!("expected JSON {{\"advance_secs\": N}}: {e}"),
            );
        }
    };
    emu.clock.advance(Duration::from_secs(req.advance_secs));
    tracing::info!(target: LOG, advance_secs = req.advance_secs, "clock advanced");
    axum::Json(json!({ "advanced_secs": req.advance_secs })).into_response()
}

async fn get_state(State(emu): State<Arc<Emulator>>) -> Response {
    axum::Json(json!({
        "apps": emu.appids(),
        "unionid_apps": emu.unionid_appids(),
        "rate_limit_per_minute": emu.rate_limit_per_minute(),
        "high_risk_users": emu.high_risk_users(),
        "faults": emu.faults(),
        "live_codes": emu.live_codes(),
        "tokens": emu.appids().iter().map(|a| {
            let (calls, forced) = emu.stable_counts(a);
            json!({ "appid": a, "stable_token_calls": calls, "forced_refreshes": forced })
        }).collect::<Vec<_>>(),
        "live_tokens": emu.token_summary().0,
        "users_with_session_key": emu.token_summary().1,
        "admin_token": emu.admin_token().is_some(),
    }))
    .into_response()
}

async fn not_found() -> Response {
    mock_error(
        StatusCode::NOT_FOUND,
        "no such endpoint; the emulator serves GET /sns/jscode2session, GET /cgi-bin/token, \
         POST /cgi-bin/stable_token, GET /wxa/checksession, GET /wxa/resetusersessionkey, POST /mock/wx.login, \
         GET|POST /mock/admin/faults, POST /mock/admin/high-risk, POST /mock/admin/clock, GET /mock/admin/state",
    )
}
