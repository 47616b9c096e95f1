//! The HTTP routes. Handlers stay lean: `/me` is one indexed SELECT (plus, at most once a
//! minute per session, one UPDATE); the silent login path never runs Argon2.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::metrics::{LoginResult, Route, Validation};
use super::rate_limit::{AccountAttempt, Decision};
use super::{
    ServiceState,
    client_ip::{client_ip, trusted_header},
};
use crate::crypto::{self, TokenHash};
use crate::secret::Secret;
use crate::store::{LoginOutcome, NewSession, StoreError, TokenValidation, Ts};
use crate::text::{self, BadText, TextKind};
use crate::wechat::{ErrorKind, WechatError};

/// Login bodies are a few hundred bytes.
const MAX_BODY: usize = 16 * 1024;
/// wx.login codes are 32 characters; anything much longer is not a code.
const MAX_CODE: usize = 256;
/// Issued SessionIds are 43 characters.
const MAX_TOKEN: usize = 256;
/// Argon2 over a huge password is a cheap way to burn our CPU.
const MAX_PASSWORD: usize = 1024;

pub fn router(state: ServiceState) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/me", get(me))
        .route("/logout", post(logout))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// A JSON error answer: `{"error": "...", "message": "...", "errcode"?, "rid"?, "retry_after"?,
/// "field"?}`.
struct ApiError {
    status: StatusCode,
    error: &'static str,
    message: Cow<'static, str>,
    errcode: Option<i64>,
    rid: Option<String>,
    retry_after: Option<u64>,
    /// The input a 400 `invalid_text` is about.
    field: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, error: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            status,
            error,
            message: message.into(),
            errcode: None,
            rid: None,
            retry_after: None,
            field: None,
        }
    }

    /// `400 invalid_text`: an input holds a character no field of ours may hold (NUL, a
    /// control, bidi or invisible character…). The message names the field and the character,
    /// never the value.
    fn invalid_text(bad: BadText) -> Self {
        let mut e = Self::new(StatusCode::BAD_REQUEST, "invalid_text", bad.to_string());
        e.field = Some(bad.field);
        e
    }

    fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server failed; try again later",
        )
    }

    fn store(e: &StoreError) -> Self {
        tracing::error!(error = %e, "database error");
        if e.is_connection() {
            Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the login database is unreachable; try again later",
            )
        } else if matches!(e, StoreError::TxConflict(_)) {
            // Still in conflict after every retry: nothing was written, and the same request
            // a moment later is expected to work.
            Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_busy",
                "the login database is busy with concurrent changes to this user; try again",
            )
        } else {
            Self::internal()
        }
    }

    fn invalid_session() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_session",
            "the SessionId is unknown, expired or revoked: log in again",
        )
    }
}

impl ApiError {
    /// This error with its human `message` in the language the client's `Accept-Language`
    /// prefers (Chinese of any region: zh-CN; anything else: English, unchanged). The `error`
    /// code and every other field never change: clients branch on those.
    fn for_client(mut self, headers: &HeaderMap) -> Self {
        if prefers_chinese(headers)
            && let Some(m) = chinese_message(self.error, &self.message)
        {
            self.message = m.into();
        }
        self
    }
}

/// Whether the client's `Accept-Language` ranks a Chinese language highest (`zh`, `zh-CN`,
/// `zh-Hans`, `zh-TW` … all get Simplified Chinese until a Traditional catalogue exists). Only
/// the first 16 entries of the first 256 bytes are read: the header is the client's text.
fn prefers_chinese(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let value = value.get(..value.len().min(256)).unwrap_or("");
    let mut best: Option<(f32, bool)> = None;
    for entry in value.split(',').take(16) {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or("").trim();
        if tag.is_empty() || tag == "*" {
            continue;
        }
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let language = tag.split(['-', '_']).next().unwrap_or("");
        let zh = language.eq_ignore_ascii_case("zh");
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, zh));
        }
    }
    best.is_some_and(|(_, zh)| zh)
}

/// The Chinese `message` for an error code; `english` is kept as the detail where the English
/// message says something the code does not (which field, which limit). `None`: no
/// translation, the English stays.
fn chinese_message(error: &str, english: &str) -> Option<String> {
    let tr = crate::i18n::Lang::ZhCn.tr();
    let tr = &tr;
    use crate::tr;
    Some(match error {
        "internal_error" => tr!(tr, "service-error-internal"),
        "database_unavailable" => tr!(tr, "service-error-database-unavailable"),
        "database_busy" => tr!(tr, "service-error-database-busy"),
        "invalid_session" => tr!(tr, "service-error-invalid-session"),
        "missing_session" => tr!(tr, "service-error-missing-session"),
        "body_too_large" | "bad_request" | "invalid_text" => {
            tr!(tr, "service-error-bad-request", detail = english)
        }
        "request_timeout" => tr!(tr, "service-error-request-timeout"),
        "binding_required" => tr!(tr, "service-error-binding-required"),
        "invalid_credentials" => tr!(tr, "service-error-invalid-credentials"),
        "binding_changed" => tr!(tr, "service-error-binding-changed"),
        "binding_conflict" => tr!(tr, "service-error-binding-conflict"),
        "binding_limit" => tr!(tr, "service-error-binding-limit"),
        "rate_limited" | "wechat_rate_limited" => tr!(tr, "service-error-rate-limited"),
        "account_locked" => tr!(tr, "service-error-account-locked"),
        "account_disabled" => tr!(tr, "service-error-account-disabled"),
        "unknown_appid" => tr!(tr, "service-error-unknown-appid"),
        "appid_required" => tr!(tr, "service-error-appid-required"),
        "invalid_code" => tr!(tr, "service-error-invalid-code"),
        "code_used" => tr!(tr, "service-error-code-used"),
        "high_risk_user" => tr!(tr, "service-error-high-risk"),
        "wechat_unavailable" => tr!(tr, "service-error-wechat-unavailable"),
        "wechat_misconfigured" => tr!(tr, "service-error-wechat-misconfigured"),
        _ => return None,
    })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.error, "message": self.message });
        if let Some(c) = self.errcode {
            body["errcode"] = c.into();
        }
        if let Some(r) = self.rid {
            body["rid"] = r.into();
        }
        if let Some(s) = self.retry_after {
            body["retry_after"] = s.into();
        }
        if let Some(f) = self.field {
            body["field"] = f.into();
        }
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED && self.error == "invalid_session" {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        resp
    }
}

/// `200` to `POST /login`.
#[derive(Serialize)]
struct LoginAnswer<'a> {
    session_id: &'a str,
    expires_at: String,
    account_id: i64,
}

/// `200` to `GET /me`.
#[derive(Serialize)]
struct MeAnswer<'a> {
    account: MeAccount<'a>,
    appid: &'a str,
    openid: &'a str,
    unionid: Option<&'a str>,
    session: MeSession<'a>,
}

#[derive(Serialize)]
struct MeAccount<'a> {
    id: i64,
    username: &'a str,
}

#[derive(Serialize)]
struct MeSession<'a> {
    id: &'a str,
    created_at: String,
    expires_at: String,
}

#[derive(Deserialize)]
struct LoginRequest {
    appid: Option<String>,
    code: Secret,
    username: Option<String>,
    password: Option<Secret>,
}

async fn login(
    State(st): State<ServiceState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let body = match read_body(body, st.0.cfg.header_read_timeout).await {
        Ok(b) => b,
        Err(e) => {
            st.0.metrics.login(LoginResult::BadRequest);
            st.0.metrics.observe(Route::Login, started.elapsed());
            return e.for_client(&headers).into_response();
        }
    };
    let ip = client_ip(
        &headers,
        peer,
        trusted_header(&st.0.cfg.trusted_ip_header, &st.0.cfg.trusted_proxies, peer),
    );
    let mut appid = String::new();
    let (result, errcode, resp) = match do_login(&st, ip, &headers, &body, &mut appid).await {
        Ok((r, resp)) => (r, None, resp),
        Err((r, e)) => (r, e.errcode, e.for_client(&headers).into_response()),
    };
    st.0.metrics.login(result);
    st.0.stats
        .record(st.0.store.now(), &appid, result, errcode, ip);
    st.0.metrics.observe(Route::Login, started.elapsed());
    resp
}

/// The login body, at most [`MAX_BODY`] bytes and within `timeout` (the header read timeout:
/// a client that sends its head and then trickles the body holds a connection no longer than
/// one that trickles the head).
async fn read_body(body: Body, timeout: std::time::Duration) -> Result<Bytes, ApiError> {
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(e)) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            Err(if too_large {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    format!("the login body must be at most {MAX_BODY} bytes"),
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "the request body could not be read",
                )
            })
        }
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "the request body did not arrive in time",
        )),
    }
}

type LoginReply = Result<(LoginResult, Response), (LoginResult, ApiError)>;

/// Every text field of a login body, checked once before anything else looks at it. A code
/// and an appid are machine tokens (printable ASCII, no spaces; the code may come with the
/// spaces around it that it is trimmed of); a username is a name; a password may hold any
/// printable character.
fn check_login_text(req: &LoginRequest) -> Result<(), BadText> {
    if let Some(appid) = &req.appid {
        text::check("appid", appid, TextKind::Token)?;
    }
    text::check("code", req.code.expose().trim(), TextKind::Token)?;
    if let Some(username) = &req.username {
        text::check("username", username, TextKind::Name)?;
    }
    if let Some(password) = &req.password {
        text::check("password", password.expose(), TextKind::Secret)?;
    }
    Ok(())
}

fn bad_request(message: impl Into<Cow<'static, str>>) -> (LoginResult, ApiError) {
    (
        LoginResult::BadRequest,
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message),
    )
}

/// One login. `appid_out` is set to the app once the request named a served one (for the
/// statistics).
async fn do_login(
    st: &ServiceState,
    ip: IpAddr,
    headers: &HeaderMap,
    body: &[u8],
    appid_out: &mut String,
) -> LoginReply {
    let inner = &st.0;
    let store_err = |e: StoreError| (LoginResult::Error, ApiError::store(&e));
    let now = inner.store.now();
    // The coarse ceiling, before anything else is looked at: over it, nothing is processed.
    let d = inner
        .limiter
        .check_any(&inner.store, ip, now)
        .await
        .map_err(store_err)?;
    if let Decision::Limited { retry_after, first } = d {
        return Err(limited(
            ip,
            first,
            retry_after,
            "login requests from this address are over the ceiling",
            "too many login requests from this address; wait and try again",
        ));
    }

    let req: LoginRequest = serde_json::from_slice(body).map_err(|e| {
        bad_request(format!(
            "the body must be JSON {{\"appid\"?, \"code\", \"username\"?, \"password\"?}}: {}",
            crate::sanitize::for_terminal_truncated(&e.to_string(), 200)
        ))
    })?;
    check_login_text(&req).map_err(|e| (LoginResult::BadRequest, ApiError::invalid_text(e)))?;
    let code = req.code.expose().trim();
    if code.is_empty() || code.len() > MAX_CODE {
        return Err(bad_request("code must be the code from wx.login()"));
    }
    let creds = match (&req.username, &req.password) {
        (Some(u), Some(p)) if !u.is_empty() && !p.is_empty() => Some((u.as_str(), p)),
        (None, None) => None,
        (Some(u), Some(p)) if u.is_empty() && p.is_empty() => None,
        _ => return Err(bad_request("username and password go together")),
    };
    if creds.is_some_and(|(_, p)| p.expose().len() > MAX_PASSWORD) {
        return Err(bad_request("the password is too long"));
    }
    // The password path's budgets, before WeChat is asked or a password checked.
    if let Some((username, _)) = creds {
        let d = inner
            .limiter
            .check_password_attempt(&inner.store, ip, now)
            .await
            .map_err(store_err)?;
        if let Decision::Limited { retry_after, first } = d {
            return Err(limited(
                ip,
                first,
                retry_after,
                "password attempts from this address are over the limit",
                "too many login attempts from this address; wait and try again",
            ));
        }
        if let Some(retry_after) = inner
            .limiter
            .account_locked(&inner.store, username, now)
            .await
            .map_err(store_err)?
        {
            tracing::debug!(client_ip = %ip, "login refused: this account's password path is locked");
            return Err(account_locked(retry_after));
        }
    }

    let app = inner
        .wechat
        .config()
        .app(req.appid.as_deref())
        .map_err(|e| app_error(&e))?;
    let appid = app.appid.as_str();
    appid_out.push_str(appid);

    let wx = match inner.wechat.code2session(appid, code).await {
        Ok(s) => s,
        Err(e) => {
            inner.metrics.wechat_error(e.errcode());
            return Err((LoginResult::WechatError, wechat_error(&e, appid)));
        }
    };

    let user_agent = headers
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()));
    let ip_text = ip.to_string();
    let ns = NewSession {
        appid,
        openid: &wx.openid,
        unionid: wx.unionid.as_deref(),
        session_key: &wx.session_key,
        client_ip: Some(&ip_text),
        user_agent: user_agent.as_deref(),
        ttl: inner.ttl,
        idle: inner.idle,
    };

    // With credentials the login names an account: it is checked and bound (or found bound to
    // that account) below, never turned into a silent login of whoever holds the binding.
    if creds.is_none() {
        match inner
            .store
            .login_bound(&inner.key, &ns)
            .await
            .map_err(store_err)?
        {
            LoginOutcome::Issued(s) => return Ok(issued(LoginResult::Silent, s, appid, &ip_text)),
            LoginOutcome::Disabled => return Err(disabled(appid)),
            LoginOutcome::BoundToOther => return Err(binding_conflict(appid, &ip)),
            // Only a first login binds; a silent one never reaches the limit.
            LoginOutcome::BindingLimit => return Err(binding_limit(appid, &ip)),
            LoginOutcome::NotBound => {}
        }
    }

    let Some((username, password)) = creds else {
        tracing::info!(appid, client_ip = %ip, "login: binding required");
        return Err((
            LoginResult::BindingRequired,
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "binding_required",
                "this WeChat user is not bound to an account yet: log in again with a fresh code, username and password",
            ),
        ));
    };

    // The attempt is counted against the account before the password is checked, atomically:
    // however many arrive at once, at most the budget's worth are checked.
    let attempt = inner
        .limiter
        .account_take(&inner.store, username, inner.store.now())
        .await
        .map_err(store_err)?;
    if let AccountAttempt::Locked { retry_after } = attempt {
        tracing::debug!(client_ip = %ip, "login refused: this account's password path is locked");
        return Err(account_locked(retry_after));
    }
    let account = inner.store.credentials(username).await.map_err(store_err)?;
    let ok = {
        // At most a few verifications at once (each takes ~19 MiB); the rest queue here.
        let _slot = inner
            .verify_slots
            .acquire()
            .await
            .map_err(|_| (LoginResult::Error, ApiError::internal()))?;
        // A missing account is checked against a fixed hash so it takes as long as a wrong password.
        let phc = account
            .as_ref()
            .map(|a| a.password_hash.clone())
            .unwrap_or_else(|| crypto::dummy_password_hash().to_owned());
        let password = password.clone();
        inner.metrics.password_verification();
        tokio::task::spawn_blocking(move || crypto::verify_password(&phc, password.expose()))
            .await
            .map_err(|_| (LoginResult::Error, ApiError::internal()))?
    };
    let account = match account {
        Some(a) if ok => {
            // The owner's own logins never use up the budget.
            if let Err(e) = inner
                .limiter
                .account_give_back(&inner.store, username, attempt)
                .await
            {
                tracing::warn!(error = %e, "cannot give a right password's attempt back to the account budget");
            }
            a.account
        }
        _ => {
            tracing::info!(appid, client_ip = %ip, "login: invalid credentials");
            if let AccountAttempt::Counted { last: true, .. } = attempt {
                // Once per lock; the name is not logged (it may be a mistyped password).
                tracing::warn!(appid, client_ip = %ip, limit = inner.limiter.per_account.limit, "an account's password path is locked after repeated wrong passwords");
            }
            return Err((
                LoginResult::InvalidCredentials,
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_credentials",
                    "wrong username or password; nothing was bound",
                ),
            ));
        }
    };
    if account.disabled_at.is_some() {
        return Err(disabled(appid));
    }
    match inner
        .store
        .bind_and_login_limited(&inner.key, account.id, &ns, inner.cfg.max_bindings_per_app)
        .await
        .map_err(store_err)?
    {
        LoginOutcome::Issued(s) => Ok(issued(LoginResult::Bound, s, appid, &ip_text)),
        LoginOutcome::Disabled => Err(disabled(appid)),
        LoginOutcome::BoundToOther => Err(binding_conflict(appid, &ip)),
        LoginOutcome::BindingLimit => Err(binding_limit(appid, &ip)),
        // Another request bound the identity and an unbind removed it again, all in between.
        LoginOutcome::NotBound => Err((
            LoginResult::Error,
            ApiError::new(
                StatusCode::CONFLICT,
                "binding_changed",
                "the binding changed during this login; log in again",
            ),
        )),
    }
}

fn issued(
    result: LoginResult,
    s: crate::store::IssuedSession,
    appid: &str,
    ip: &str,
) -> (LoginResult, Response) {
    tracing::info!(
        outcome = result.label(),
        session = %s.public_id,
        account_id = s.account_id,
        appid,
        client_ip = ip,
        "login: session issued"
    );
    let body = LoginAnswer {
        session_id: s.token.expose(),
        expires_at: s.expires_at.rfc3339(),
        account_id: s.account_id,
    };
    (result, (StatusCode::OK, axum::Json(body)).into_response())
}

/// The WeChat identity is bound to another account than the one the credentials name. The
/// answer does not say which: the user learns only that support can unbind it.
fn binding_conflict(appid: &str, ip: &std::net::IpAddr) -> (LoginResult, ApiError) {
    tracing::info!(appid, client_ip = %ip, "login refused: this WeChat identity is bound to another account");
    (
        LoginResult::BindingConflict,
        ApiError::new(
            StatusCode::CONFLICT,
            "binding_conflict",
            "this WeChat user is already bound to another account; log in without a username and password to use it, or ask support to unbind it",
        ),
    )
}

/// The account already holds `max_bindings_per_app` WeChat identities in this mini program.
fn binding_limit(appid: &str, ip: &std::net::IpAddr) -> (LoginResult, ApiError) {
    tracing::info!(appid, client_ip = %ip, "login refused: the account holds the most bindings allowed in this mini program");
    (
        LoginResult::BindingLimit,
        ApiError::new(
            StatusCode::CONFLICT,
            "binding_limit",
            "this account is already bound to as many WeChat users in this mini program as allowed; nothing was bound: ask support to unbind an old one",
        ),
    )
}

/// A 429 from the per-address budgets. One warning when an address crosses a limit; the rest
/// at debug, so that an attacker cannot flood the log.
fn limited(
    ip: IpAddr,
    first: bool,
    retry_after: std::time::Duration,
    log: &'static str,
    message: &'static str,
) -> (LoginResult, ApiError) {
    if first {
        tracing::warn!(client_ip = %ip, "{log}: refusing them");
    } else {
        tracing::debug!(client_ip = %ip, "login refused: {log}");
    }
    let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
    e.retry_after = Some(retry_after.as_secs().max(1));
    (LoginResult::RateLimited, e)
}

/// A 429 for an account whose password path is locked after repeated failures, from any
/// address and even with the right password, until the window ends.
fn account_locked(retry_after: std::time::Duration) -> (LoginResult, ApiError) {
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "account_locked",
        "too many wrong passwords for this account; wait and try again, or ask support to unlock it",
    );
    e.retry_after = Some(retry_after.as_secs().max(1));
    (LoginResult::AccountLocked, e)
}

fn disabled(appid: &str) -> (LoginResult, ApiError) {
    tracing::info!(appid, "login refused: account disabled");
    (
        LoginResult::AccountDisabled,
        ApiError::new(
            StatusCode::FORBIDDEN,
            "account_disabled",
            "this account is disabled",
        ),
    )
}

fn app_error(e: &WechatError) -> (LoginResult, ApiError) {
    match e {
        WechatError::UnknownApp { .. } => {
            bad_request_named("unknown_appid", "this appid is not served here")
        }
        WechatError::AmbiguousApp { .. } => bad_request_named(
            "appid_required",
            "several mini programs are served here: send appid",
        ),
        other => {
            tracing::error!(error = %other, "no mini program configured");
            (LoginResult::Error, ApiError::internal())
        }
    }
}

fn bad_request_named(error: &'static str, message: &'static str) -> (LoginResult, ApiError) {
    (
        LoginResult::BadRequest,
        ApiError::new(StatusCode::BAD_REQUEST, error, message),
    )
}

/// WeChat's answer as ours: the client learns what it can act on (a fresh code, wait, retry);
/// configuration problems are logged for the operator and reported as a server error.
fn wechat_error(e: &WechatError, appid: &str) -> ApiError {
    let (status, error) = match e.kind() {
        ErrorKind::InvalidCode => (StatusCode::BAD_REQUEST, "invalid_code"),
        ErrorKind::CodeUsed => (StatusCode::BAD_REQUEST, "code_used"),
        ErrorKind::HighRisk => (StatusCode::FORBIDDEN, "high_risk_user"),
        ErrorKind::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "wechat_rate_limited"),
        ErrorKind::Busy | ErrorKind::Unavailable => {
            (StatusCode::SERVICE_UNAVAILABLE, "wechat_unavailable")
        }
        ErrorKind::Config => (StatusCode::INTERNAL_SERVER_ERROR, "wechat_misconfigured"),
        ErrorKind::Other => (StatusCode::BAD_GATEWAY, "wechat_error"),
    };
    match e.kind() {
        // `Display` is one line with the errcode, rid and what to do; never a secret or a code.
        ErrorKind::Config | ErrorKind::Other | ErrorKind::Busy | ErrorKind::Unavailable => {
            tracing::error!(appid, errcode = e.errcode(), error = %e, "code2Session failed")
        }
        _ => {
            tracing::info!(appid, errcode = e.errcode(), kind = %e.kind(), "code2Session refused the code")
        }
    }
    let message = match e.kind() {
        ErrorKind::Config => "the login service is misconfigured; the operator has been told",
        _ => e.meaning(),
    };
    let mut a = ApiError::new(status, error, message);
    a.errcode = e.errcode();
    a.rid = e.rid().map(str::to_owned);
    if e.kind() == ErrorKind::RateLimited {
        a.retry_after = Some(60);
    }
    a
}

/// The SessionId from `Authorization: Bearer …` (the scheme is case-insensitive): `Ok(None)`
/// without one, an error when the header holds bytes no SessionId can hold (the HTTP layer
/// lets bytes above 0x7f through: bidi controls, C1 controls, text that is not UTF-8).
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, BadText> {
    let Some(raw) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let Ok(v) = raw.to_str() else {
        // `Bearer <SessionId>` is words of machine tokens: the first character of a word that
        // is not one is the error, counted from the start of the header value.
        let lossy = String::from_utf8_lossy(raw.as_bytes());
        let mut offset = 0;
        for word in lossy.split(' ') {
            text::check("Authorization", word, TextKind::Token).map_err(|mut e| {
                e.at += offset;
                e
            })?;
            offset += word.chars().count() + 1;
        }
        return Ok(None);
    };
    let v = v.trim();
    let Some((scheme, token)) = v.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = token.trim();
    Ok((!token.is_empty() && token.len() <= MAX_TOKEN).then_some(token))
}

/// Looks the presented session up and judges it. One SELECT, shared with the requests that
/// arrive together (see `lookup`); nothing cached.
async fn validate(st: &ServiceState, headers: &HeaderMap) -> Result<TokenValidation, ApiError> {
    let inner = &st.0;
    let token = bearer(headers).map_err(ApiError::invalid_text)?;
    let Some(token) = token else {
        inner.metrics.validation(Validation::Missing);
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing_session",
            "send the SessionId as `Authorization: Bearer <SessionId>`",
        ));
    };
    let hash = TokenHash(Sha256::digest(token.as_bytes()).into());
    let found = match inner.lookups.lookup(&hash).await {
        Ok(f) => f,
        Err(e) => {
            inner.metrics.validation(Validation::Error);
            return Err(ApiError::store(&e));
        }
    };
    let now = Ts::from(inner.store.now());
    let verdict = match &found {
        None => Validation::Unknown,
        Some(l) if l.revoked => Validation::Revoked,
        Some(l) if l.account_disabled => Validation::AccountDisabled,
        Some(l) if l.expires_at <= now => Validation::Expired,
        Some(_) => Validation::Valid,
    };
    inner.metrics.validation(verdict);
    match found {
        Some(l) if verdict == Validation::Valid => Ok(l),
        Some(l) => {
            tracing::info!(session = %l.public_id, result = verdict.label(), "session refused");
            Err(ApiError::invalid_session())
        }
        None => Err(ApiError::invalid_session()),
    }
}

// `Request` rather than `HeaderMap`: the latter would copy every header of every request.
async fn me(State(st): State<ServiceState>, req: Request) -> Response {
    let started = Instant::now();
    let resp = match me_inner(&st, req.headers()).await {
        Ok(r) => r,
        Err(e) => e.for_client(req.headers()).into_response(),
    };
    st.0.metrics.observe(Route::Me, started.elapsed());
    resp
}

async fn me_inner(st: &ServiceState, headers: &HeaderMap) -> Result<Response, ApiError> {
    let inner = &st.0;
    let s = validate(st, headers).await?;
    let mut expires_at = s.expires_at;
    let now = inner.store.now();
    // At most one write per session per interval; the idle expiry slides with it.
    if now - s.last_seen_at.0 >= inner.touch_interval {
        match inner
            .store
            .touch_session(s.id, s.absolute_expires_at, inner.idle)
            .await
        {
            Ok(Some(e)) => {
                inner.metrics.touch();
                expires_at = e;
            }
            // Revoked or expired since it was validated: nothing was extended.
            Ok(None) => {}
            // The request is valid: a failed bookkeeping write must not refuse it.
            Err(e) => {
                tracing::warn!(session = %s.public_id, error = %e, "cannot record session use")
            }
        }
    }
    let body = MeAnswer {
        account: MeAccount {
            id: s.account_id,
            username: &s.username,
        },
        appid: &s.appid,
        openid: &s.openid,
        unionid: s.unionid.as_deref(),
        session: MeSession {
            id: &s.public_id,
            created_at: s.created_at.rfc3339(),
            expires_at: expires_at.rfc3339(),
        },
    };
    Ok((StatusCode::OK, axum::Json(body)).into_response())
}

async fn logout(State(st): State<ServiceState>, req: Request) -> Response {
    let started = Instant::now();
    let resp = match logout_inner(&st, req.headers()).await {
        Ok(r) => r,
        Err(e) => e.for_client(req.headers()).into_response(),
    };
    st.0.metrics.observe(Route::Logout, started.elapsed());
    resp
}

async fn logout_inner(st: &ServiceState, headers: &HeaderMap) -> Result<Response, ApiError> {
    let l = validate(st, headers).await?;
    let done =
        st.0.store
            .logout(l.id)
            .await
            .map_err(|e| ApiError::store(&e))?;
    if done {
        st.0.metrics.logout();
        tracing::info!(session = %l.public_id, account_id = l.account_id, "logout");
    }
    Ok((StatusCode::OK, axum::Json(json!({ "logged_out": true }))).into_response())
}

async fn healthz(State(st): State<ServiceState>) -> Response {
    if st.is_draining() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(
                json!({ "status": "draining", "database": st.0.store.backend().to_string() }),
            ),
        )
            .into_response();
    }
    match st.0.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(json!({ "status": "ok", "database": st.0.store.backend().to_string() })),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({ "status": "unavailable", "database": st.0.store.backend().to_string() })),
            )
                .into_response()
        }
    }
}

async fn metrics(State(st): State<ServiceState>) -> Response {
    let text = st.0.metrics.render();
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

async fn not_found() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "routes: POST /login, GET /me, POST /logout, GET /healthz, GET /metrics",
    )
    .into_response()
}
