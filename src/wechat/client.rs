//! The code2Session client.
//!
//! `GET {base}/sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`, nothing
//! else: code2Session needs no access_token, so none is fetched.
//!
//! - One `reqwest::Client` (connection pool, rustls) per [`WechatClient`]; clones share it.
//! - Every call ends within [`WechatConfig::timeout`], retries included; each connection
//!   attempt within [`WechatConfig::connect_timeout`].
//! - Only errcode -1 ("system busy") is retried, with jittered exponential backoff. Nothing else
//!   is: a code works once, so repeating a request whose answer was lost can only turn a
//!   success into 40163.
//! - The request URL carries the AppSecret and the code. It is never logged and never part of
//!   an error: errors name the host only, reqwest errors are stripped of their URL, and any
//!   echo of the secret or code in an errmsg is cut out. Redirects are not followed (they would
//!   carry the query string to another host).
//! - What the HTTP stack itself logs was checked at TRACE (tests/wechat_no_leak.rs): reqwest
//!   logs hosts only unless `connection_verbose` is on (it dumps raw request bytes, so it is
//!   switched off explicitly); hyper-util logs pool keys (scheme and authority); hyper has no
//!   logging compiled in; h2's frame `Debug` omits header blocks and data.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::CONTENT_TYPE;

use super::config::{check_base_url, endpoint_host};
use super::{ApiError, ErrorKind, WechatConfig, WechatError};
use crate::secret::Secret;

/// Answers larger than this are not WeChat's (a code2Session answer is ~200 bytes).
const MAX_BODY_BYTES: usize = 64 * 1024;
/// A retry is only worth starting with at least this much of the time budget left.
const MIN_ATTEMPT_TIME: Duration = Duration::from_millis(100);

/// What a successful code2Session returns.
#[derive(Debug, Clone)]
pub struct Code2Session {
    /// The user's id inside this mini program.
    pub openid: String,
    /// Never shown, never logged; encrypt it before storing it.
    pub session_key: Secret,
    /// Present only when the mini program is bound to an Open Platform account.
    pub unionid: Option<String>,
}

/// How errcode -1 is retried. The whole call stays within [`WechatConfig::timeout`] anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included (1 = never retry).
    pub max_attempts: u32,
    /// Wait before the first retry; doubled for each further one, ±25 % jitter.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            first_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, retry_number: u32) -> Duration {
        let base = self
            .first_backoff
            .saturating_mul(1u32 << retry_number.min(16))
            .min(self.max_backoff);
        base.mul_f64(rand::thread_rng().gen_range(0.75..1.25))
    }
}

/// The WeChat API client. Cheap to clone; clones share one connection pool.
#[derive(Clone)]
pub struct WechatClient {
    inner: Arc<Inner>,
    retry: RetryPolicy,
}

struct Inner {
    http: reqwest::Client,
    config: WechatConfig,
    endpoint: url::Url,
    /// The base URL without a trailing slash (it may carry a proxy's path prefix).
    base: String,
    host: String,
    /// Access tokens per appid (only for the session_key APIs; code2Session needs none).
    tokens: super::token::TokenCache,
}

impl std::fmt::Debug for WechatClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatClient")
            .field("host", &self.inner.host)
            .field(
                "appids",
                &self
                    .inner
                    .config
                    .apps
                    .iter()
                    .map(|a| a.appid.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("retry", &self.retry)
            .finish()
    }
}

/// The one place the HTTP client is configured, shared with the emulator helpers.
pub(crate) fn build_http_client(
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<reqwest::Client, WechatError> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        // A redirect would carry the query string (AppSecret, code) to another URL.
        .redirect(reqwest::redirect::Policy::none())
        // Verbose mode logs raw request bytes, the request line with `secret=` included.
        .connection_verbose(false)
        .user_agent(concat!("wxlogin/", env!("CARGO_PKG_VERSION")))
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| WechatError::Setup {
            detail: format!(
                "cannot build the HTTP client ({})",
                error_chain(&e.without_url())
            ),
        })
}

impl WechatClient {
    pub fn new(config: WechatConfig) -> Result<Self, WechatError> {
        let base = check_base_url(&config.base_url, "the WeChat configuration").map_err(|e| {
            WechatError::Setup {
                detail: e.to_string(),
            }
        })?;
        if !config.allow_insecure
            && let Some(why) = super::config::cleartext_to_remote(&base)
        {
            return Err(WechatError::Setup { detail: why });
        }
        if config.allow_insecure && super::config::cleartext_to_remote(&base).is_some() {
            tracing::warn!(
                host = %endpoint_host(&base),
                "the WeChat base URL is plain http:// to another host (allowed by --allow-insecure-wechat): the AppSecret crosses the network unencrypted"
            );
        }
        let endpoint = url::Url::parse(&format!("{base}/sns/jscode2session")).map_err(|e| {
            WechatError::Setup {
                detail: format!("the base URL cannot take a path ({e})"),
            }
        })?;
        let http = build_http_client(config.connect_timeout, config.timeout)?;
        Ok(WechatClient {
            inner: Arc::new(Inner {
                http,
                host: endpoint_host(&base),
                base: base.clone(),
                tokens: super::token::TokenCache::new(config.apps.iter().map(|a| a.appid.clone())),
                config,
                endpoint,
            }),
            retry: RetryPolicy::default(),
        })
    }

    /// The same client with another retry policy for errcode -1.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = RetryPolicy {
            max_attempts: retry.max_attempts.max(1),
            ..retry
        };
        self
    }

    pub fn config(&self) -> &WechatConfig {
        &self.inner.config
    }

    /// The shared HTTP client (for helpers such as the emulator's `mint_code`).
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// `host[:port]` of the endpoint: what logs and errors name.
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    /// Exchanges a `wx.login()` code for openid, session_key and unionid.
    ///
    /// `appid` must be one of the configured apps. Retries errcode -1 within the time budget.
    pub async fn code2session(&self, appid: &str, code: &str) -> Result<Code2Session, WechatError> {
        let app = self.inner.config.app(Some(appid))?;
        let mut url = self.inner.endpoint.clone();
        url.query_pairs_mut()
            .append_pair("appid", &app.appid)
            .append_pair("secret", app.secret.expose())
            .append_pair("js_code", code)
            .append_pair("grant_type", "authorization_code");
        let url = Secret::new(String::from(url));
        let needles = [app.secret.expose(), code];
        let scrub = Scrubber { needles: &needles };

        let started = Instant::now();
        let deadline = started + self.inner.config.timeout;
        let mut attempt = 1u32;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let result = if remaining.is_zero() {
                Err(self.timeout_error(started))
            } else {
                self.attempt(url.expose(), remaining, started, &scrub).await
            };
            match result {
                Ok(Answer::Success(s)) => {
                    tracing::debug!(
                        appid = %app.appid,
                        host = %self.inner.host,
                        attempt,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        unionid = s.unionid.is_some(),
                        "code2Session succeeded"
                    );
                    return Ok(s);
                }
                Ok(Answer::Busy(api)) => {
                    let backoff = self.retry.backoff(attempt - 1);
                    let left = deadline.saturating_duration_since(Instant::now());
                    if attempt < self.retry.max_attempts && left > backoff + MIN_ATTEMPT_TIME {
                        tracing::info!(
                            appid = %app.appid,
                            host = %self.inner.host,
                            attempt,
                            rid = api.rid.as_deref().unwrap_or(""),
                            backoff_ms = backoff.as_millis() as u64,
                            "WeChat answered errcode -1 (system busy); retrying"
                        );
                        tokio::time::sleep(backoff).await;
                        attempt += 1;
                        continue;
                    }
                    let err = WechatError::Busy {
                        api,
                        attempts: attempt,
                    };
                    self.log_failure(&app.appid, attempt, started, &err);
                    return Err(err);
                }
                Err(err) => {
                    self.log_failure(&app.appid, attempt, started, &err);
                    return Err(err);
                }
            }
        }
    }

    /// Failures caused by users (bad or reused codes, high risk, quota) are everyday events
    /// and logged at info; the rest (configuration, WeChat unreachable) at warn.
    fn log_failure(&self, appid: &str, attempt: u32, started: Instant, err: &WechatError) {
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let (errcode, rid, kind) = (err.errcode(), err.rid().unwrap_or(""), err.kind());
        let host = &self.inner.host;
        match kind {
            ErrorKind::InvalidCode
            | ErrorKind::CodeUsed
            | ErrorKind::HighRisk
            | ErrorKind::RateLimited => tracing::info!(
                appid, %host, attempt, elapsed_ms, errcode, rid, %kind,
                "code2Session refused: {err}"
            ),
            _ => tracing::warn!(
                appid, %host, attempt, elapsed_ms, errcode, rid, %kind,
                "code2Session failed: {err}"
            ),
        }
    }

    pub(crate) fn timeout_error(&self, started: Instant) -> WechatError {
        WechatError::Timeout {
            host: self.inner.host.clone(),
            after: started.elapsed(),
        }
    }

    /// One HTTP request and the interpretation of its answer.
    async fn attempt(
        &self,
        url: &str,
        remaining: Duration,
        started: Instant,
        scrub: &Scrubber<'_>,
    ) -> Result<Answer, WechatError> {
        let host = &self.inner.host;
        let (content_type, body) = self
            .send(self.inner.http.get(url), remaining, started, scrub)
            .await?;
        interpret(host, content_type, &body, scrub)
    }

    /// Sends one request within `remaining` and reads its answer (at most [`MAX_BODY_BYTES`]).
    /// Errors name the host only; anything echoed back is scrubbed of `scrub`'s needles.
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
        remaining: Duration,
        started: Instant,
        scrub: &Scrubber<'_>,
    ) -> Result<(Option<String>, Vec<u8>), WechatError> {
        let host = &self.inner.host;
        let exchange = async {
            let mut resp = request
                .timeout(remaining)
                .send()
                .await
                .map_err(|e| self.transport_error(e, started, scrub))?;
            let status = resp.status();
            if !status.is_success() {
                return Err(WechatError::HttpStatus {
                    host: host.clone(),
                    status: status.as_u16(),
                });
            }
            let content_type = resp
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let mut body = Vec::new();
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| self.transport_error(e, started, scrub))?
            {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(WechatError::Transport {
                        host: host.clone(),
                        detail: format!("the answer is larger than {MAX_BODY_BYTES} bytes"),
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok((content_type, body))
        };
        match tokio::time::timeout(remaining, exchange).await {
            Ok(r) => r,
            Err(_) => Err(self.timeout_error(started)),
        }
    }

    /// The base URL joined with an API path (`/cgi-bin/stable_token`).
    pub(crate) fn api_url(&self, path: &str) -> Result<url::Url, WechatError> {
        url::Url::parse(&format!("{}{path}", self.inner.base)).map_err(|e| WechatError::Setup {
            detail: format!("the base URL cannot take the path {path} ({e})"),
        })
    }

    pub(crate) fn tokens(&self) -> &super::token::TokenCache {
        &self.inner.tokens
    }

    fn transport_error(
        &self,
        e: reqwest::Error,
        started: Instant,
        scrub: &Scrubber<'_>,
    ) -> WechatError {
        transport_error(&self.inner.host, e, started, scrub.needles)
    }
}

/// Maps a reqwest error to a WechatError naming `host` only (the URL is dropped first).
pub(crate) fn transport_error(
    host: &str,
    e: reqwest::Error,
    started: Instant,
    needles: &[&str],
) -> WechatError {
    let e = e.without_url();
    let scrub = Scrubber { needles };
    let host = host.to_owned();
    if e.is_connect() {
        let detail = if e.is_timeout() {
            format!(
                "connect timed out after {} ms",
                started.elapsed().as_millis()
            )
        } else {
            scrub.apply(&error_chain(&e))
        };
        return WechatError::Connect { host, detail };
    }
    if e.is_timeout() {
        return WechatError::Timeout {
            host,
            after: started.elapsed(),
        };
    }
    WechatError::Transport {
        host,
        detail: scrub.apply(&error_chain(&e)),
    }
}

/// The causes under a reqwest error, joined: "tcp connect error: Connection refused (os error 111)".
fn error_chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !text.starts_with("client error (") && parts.last() != Some(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

pub(crate) enum Answer {
    Success(Code2Session),
    Busy(ApiError),
}

/// Removes the AppSecret and the code from text that came back from the network.
pub(crate) struct Scrubber<'a> {
    pub(crate) needles: &'a [&'a str],
}

impl Scrubber<'_> {
    pub(crate) fn apply(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for needle in self.needles {
            // Very short values would match innocently; codes and secrets are long.
            if needle.len() >= 4 && out.contains(needle) {
                out = out.replace(needle, "[redacted]");
            }
        }
        out
    }
}

/// The JSON object of a WeChat answer and its `errcode` (absent is 0; a number or a string).
/// serde_json's own messages may quote the body; they are not passed on.
fn read_object(
    host: &str,
    content_type: Option<String>,
    body: &[u8],
    scrub: &Scrubber<'_>,
) -> Result<(serde_json::Map<String, serde_json::Value>, i64), WechatError> {
    let unexpected = |problem| WechatError::UnexpectedJson {
        host: host.to_owned(),
        problem,
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Err(WechatError::NotJson {
            host: host.to_owned(),
            content_type: content_type.map(|c| scrub.apply(&c)),
            bytes: body.len(),
        });
    };
    let serde_json::Value::Object(obj) = value else {
        return Err(unexpected("not a JSON object"));
    };
    let errcode = match obj.get("errcode") {
        None => 0,
        Some(v) => super::error::parse_errcode(v).map_err(unexpected)?,
    };
    Ok((obj, errcode))
}

/// The error part of an answer whose errcode is not 0: its `errmsg`, scrubbed and cut.
fn api_error(
    host: &str,
    obj: &serde_json::Map<String, serde_json::Value>,
    scrub: &Scrubber<'_>,
) -> ApiError {
    let errmsg: String = scrub
        .apply(obj.get("errmsg").and_then(|v| v.as_str()).unwrap_or(""))
        .chars()
        .take(1000)
        .collect();
    ApiError::new(host, errmsg)
}

/// Reads the answer of any WeChat API: a JSON object whose `errcode` (absent, 0, a number or
/// a string) is 0, else the typed error for that errcode (-1 as `Busy` with one attempt).
pub(crate) fn interpret_object(
    host: &str,
    content_type: Option<String>,
    body: &[u8],
    scrub: &Scrubber<'_>,
) -> Result<serde_json::Map<String, serde_json::Value>, WechatError> {
    let (obj, errcode) = read_object(host, content_type, body, scrub)?;
    if errcode != 0 {
        return Err(WechatError::from_errcode(
            errcode,
            api_error(host, &obj, scrub),
        ));
    }
    Ok(obj)
}

/// Reads a code2Session answer: JSON whatever the Content-Type, unknown fields ignored,
/// `errcode` absent or 0 with openid and session_key is success.
pub(crate) fn interpret(
    host: &str,
    content_type: Option<String>,
    body: &[u8],
    scrub: &Scrubber<'_>,
) -> Result<Answer, WechatError> {
    let unexpected = |problem| WechatError::UnexpectedJson {
        host: host.to_owned(),
        problem,
    };
    let (obj, errcode) = read_object(host, content_type, body, scrub)?;
    let text = |k: &str| {
        obj.get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    if errcode != 0 {
        let api = api_error(host, &obj, scrub);
        return match errcode {
            -1 => Ok(Answer::Busy(api)),
            _ => Err(WechatError::from_errcode(errcode, api)),
        };
    }
    let openid = text("openid").ok_or_else(|| unexpected("no errcode and no openid"))?;
    let session_key =
        text("session_key").ok_or_else(|| unexpected("no errcode and no session_key"))?;
    Ok(Answer::Success(Code2Session {
        openid: openid.to_owned(),
        session_key: Secret::new(session_key),
        unionid: text("unionid").map(str::to_owned),
    }))
}
