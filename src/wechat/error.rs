//! Everything that can go wrong talking to WeChat, as one type.
//!
//! Every documented errcode of the APIs used here (code2Session, the access-token APIs,
//! checkSessionKey, resetUserSessionKey) has its own variant; any other errcode is kept with
//! its errmsg in [`WechatError::Other`], never collapsed into "unknown error". Transport
//! failures (timeout, refused connection, HTTP error status, a body that is not JSON) name the
//! endpoint's host and never the URL: the query string carries the AppSecret and the code.
//!
//! `Display` is one line for an on-call engineer: what happened, the errcode and `rid` when
//! WeChat gave them, and what to do. [`WechatError::meaning`] and [`WechatError::action`] give
//! the two halves separately, for the console.

use std::fmt;
use std::time::Duration;

use crate::sanitize;

/// The longest errmsg shown in a `Display` line; WeChat's are short, a proxy's may not be.
const MAX_ERRMSG_CHARS: usize = 200;

/// What a caller should do about an error, coarsely: the login service maps it to an HTTP
/// answer, the console to a colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The code is wrong, expired, for another mini program, or missing: get a fresh one.
    InvalidCode,
    /// The code was already exchanged once.
    CodeUsed,
    /// WeChat refuses this user (40226).
    HighRisk,
    /// The per-user minute quota is spent (45011).
    RateLimited,
    /// WeChat said "system busy" (-1), even after retrying.
    Busy,
    /// Our configuration is wrong: appid, AppSecret, IP whitelist, no app configured.
    Config,
    /// WeChat (or whatever sits at the base URL) could not be reached or answered nonsense.
    Unavailable,
    /// An errcode this program does not know.
    Other,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::InvalidCode => "invalid code",
            ErrorKind::CodeUsed => "code already used",
            ErrorKind::HighRisk => "high-risk user",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Busy => "WeChat busy",
            ErrorKind::Config => "configuration",
            ErrorKind::Unavailable => "WeChat unavailable",
            ErrorKind::Other => "other",
        })
    }
}

/// What WeChat said when it answered with a non-zero errcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Host of the endpoint that answered (`api.weixin.qq.com`, or the emulator's address).
    pub host: String,
    /// WeChat's errmsg as received (with any occurrence of the AppSecret or code removed).
    pub errmsg: String,
    /// The request id WeChat support asks for, parsed out of errmsg.
    pub rid: Option<String>,
}

impl ApiError {
    pub fn new(host: impl Into<String>, errmsg: impl Into<String>) -> Self {
        let errmsg = errmsg.into();
        let rid = parse_rid(&errmsg);
        ApiError {
            host: host.into(),
            errmsg,
            rid,
        }
    }
}

/// A failed WeChat API call (code2Session, a token fetch, a session_key check or reset), or a
/// configuration that cannot make one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WechatError {
    /// errcode -1: system busy; already retried `attempts` times within the time budget.
    Busy { api: ApiError, attempts: u32 },
    /// errcode 40029: the code is wrong, expired, or for another appid.
    InvalidCode(ApiError),
    /// errcode 40163: the code was already used.
    CodeUsed(ApiError),
    /// errcode 40226: high-risk user, login refused by WeChat.
    HighRiskUser(ApiError),
    /// errcode 45011: API minute quota reached.
    RateLimited(ApiError),
    /// errcode 40013: invalid appid.
    InvalidAppId(ApiError),
    /// errcode 40125: invalid AppSecret.
    InvalidAppSecret(ApiError),
    /// errcode 40164: the caller's IP is not in the API IP whitelist.
    IpNotWhitelisted(ApiError),
    /// errcode 41002: appid missing from the request.
    MissingAppId(ApiError),
    /// errcode 41004: secret missing from the request.
    MissingSecret(ApiError),
    /// errcode 41008: code missing from the request.
    MissingCode(ApiError),
    /// errcode 40001: the access token is unknown or no longer the latest (or, from the
    /// token endpoint itself, the AppSecret is wrong).
    InvalidCredential(ApiError),
    /// errcode 42001: the access token expired.
    TokenExpired(ApiError),
    /// errcode 40014: the access token is malformed.
    InvalidToken(ApiError),
    /// errcode 41001: the request carried no access token.
    MissingToken(ApiError),
    /// errcode 45009: the API's daily quota is spent.
    DailyQuota(ApiError),
    /// errcode 40243: the AppSecret is frozen.
    AppSecretFrozen(ApiError),
    /// errcode 87009: the signature does not match the user's current session_key: the stored
    /// key expired or was replaced by a newer `wx.login()`.
    StaleSessionKey(ApiError),
    /// errcode 87008: WeChat does not accept the sig_method.
    InvalidSigMethod(ApiError),
    /// A forced access-token refresh was not sent, to keep WeChat's quota for it (at most
    /// 20 a day, 30 seconds apart).
    ForceRefreshRefused { appid: String, reason: String },
    /// Any other non-zero errcode, kept with its errmsg.
    Other {
        errcode: i64,
        errmsg: String,
        rid: Option<String>,
        host: String,
    },
    /// No answer within the time budget.
    Timeout { host: String, after: Duration },
    /// The TCP/TLS connection could not be made (refused, DNS, certificate).
    Connect { host: String, detail: String },
    /// The connection broke while sending the request or reading the answer.
    Transport { host: String, detail: String },
    /// An HTTP status other than 200 (WeChat answers errors with 200 and an errcode).
    HttpStatus { host: String, status: u16 },
    /// HTTP 200 but the body is not JSON (a proxy's or captive portal's page).
    NotJson {
        host: String,
        content_type: Option<String>,
        bytes: usize,
    },
    /// JSON, but not what the API answers: not an object, a non-integer errcode, or no
    /// errcode and not the fields of a success (openid/session_key, access_token/expires_in).
    UnexpectedJson { host: String, problem: &'static str },
    /// No mini program is configured at all.
    NoAppConfigured,
    /// The appid asked for is not among the configured ones.
    UnknownApp { appid: String, known: Vec<String> },
    /// Several mini programs are configured and none was named.
    AmbiguousApp { known: Vec<String> },
    /// The base URL or the HTTP client could not be set up.
    Setup { detail: String },
    /// The emulator refused a `/mock/wx.login` request (unknown appid, missing user).
    MockRejected {
        host: String,
        status: u16,
        message: String,
    },
}

impl WechatError {
    /// Builds the typed error for a non-zero errcode.
    pub fn from_errcode(errcode: i64, api: ApiError) -> Self {
        match errcode {
            -1 => WechatError::Busy { api, attempts: 1 },
            40029 => WechatError::InvalidCode(api),
            40163 => WechatError::CodeUsed(api),
            40226 => WechatError::HighRiskUser(api),
            45011 => WechatError::RateLimited(api),
            40013 => WechatError::InvalidAppId(api),
            40125 => WechatError::InvalidAppSecret(api),
            40164 => WechatError::IpNotWhitelisted(api),
            41002 => WechatError::MissingAppId(api),
            41004 => WechatError::MissingSecret(api),
            41008 => WechatError::MissingCode(api),
            40001 => WechatError::InvalidCredential(api),
            42001 => WechatError::TokenExpired(api),
            40014 => WechatError::InvalidToken(api),
            41001 => WechatError::MissingToken(api),
            45009 => WechatError::DailyQuota(api),
            40243 => WechatError::AppSecretFrozen(api),
            87009 => WechatError::StaleSessionKey(api),
            87008 => WechatError::InvalidSigMethod(api),
            _ => WechatError::Other {
                errcode,
                errmsg: api.errmsg,
                rid: api.rid,
                host: api.host,
            },
        }
    }

    fn api(&self) -> Option<&ApiError> {
        use WechatError::*;
        match self {
            Busy { api, .. } => Some(api),
            InvalidCode(a) | CodeUsed(a) | HighRiskUser(a) | RateLimited(a) | InvalidAppId(a)
            | InvalidAppSecret(a) | IpNotWhitelisted(a) | MissingAppId(a) | MissingSecret(a)
            | MissingCode(a) | InvalidCredential(a) | TokenExpired(a) | InvalidToken(a)
            | MissingToken(a) | DailyQuota(a) | AppSecretFrozen(a) | StaleSessionKey(a)
            | InvalidSigMethod(a) => Some(a),
            _ => None,
        }
    }

    /// WeChat's errcode, when WeChat answered with one.
    pub fn errcode(&self) -> Option<i64> {
        use WechatError::*;
        Some(match self {
            Busy { .. } => -1,
            InvalidCode(_) => 40029,
            CodeUsed(_) => 40163,
            HighRiskUser(_) => 40226,
            RateLimited(_) => 45011,
            InvalidAppId(_) => 40013,
            InvalidAppSecret(_) => 40125,
            IpNotWhitelisted(_) => 40164,
            MissingAppId(_) => 41002,
            MissingSecret(_) => 41004,
            MissingCode(_) => 41008,
            InvalidCredential(_) => 40001,
            TokenExpired(_) => 42001,
            InvalidToken(_) => 40014,
            MissingToken(_) => 41001,
            DailyQuota(_) => 45009,
            AppSecretFrozen(_) => 40243,
            StaleSessionKey(_) => 87009,
            InvalidSigMethod(_) => 87008,
            Other { errcode, .. } => *errcode,
            _ => return None,
        })
    }

    /// The request id from WeChat's errmsg: what WeChat support asks for.
    pub fn rid(&self) -> Option<&str> {
        match self {
            WechatError::Other { rid, .. } => rid.as_deref(),
            e => e.api().and_then(|a| a.rid.as_deref()),
        }
    }

    /// WeChat's errmsg as received, when WeChat answered with an errcode.
    pub fn errmsg(&self) -> Option<&str> {
        match self {
            WechatError::Other { errmsg, .. } => Some(errmsg),
            e => e.api().map(|a| a.errmsg.as_str()),
        }
    }

    /// The host that answered or could not be reached, when there was a request.
    pub fn host(&self) -> Option<&str> {
        use WechatError::*;
        match self {
            Other { host, .. }
            | Timeout { host, .. }
            | Connect { host, .. }
            | Transport { host, .. }
            | HttpStatus { host, .. }
            | NotJson { host, .. }
            | UnexpectedJson { host, .. }
            | MockRejected { host, .. } => Some(host),
            e => e.api().map(|a| a.host.as_str()),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        use WechatError::*;
        match self {
            // A stale session_key is, like a bad code, fixed by the user logging in again.
            InvalidCode(_) | MissingCode(_) | StaleSessionKey(_) => ErrorKind::InvalidCode,
            CodeUsed(_) => ErrorKind::CodeUsed,
            HighRiskUser(_) => ErrorKind::HighRisk,
            RateLimited(_) | DailyQuota(_) | ForceRefreshRefused { .. } => ErrorKind::RateLimited,
            // Token errors reach a caller only after the one forced refresh failed too.
            InvalidCredential(_) | TokenExpired(_) | InvalidToken(_) | MissingToken(_)
            | AppSecretFrozen(_) | InvalidSigMethod(_) => ErrorKind::Config,
            Busy { .. } => ErrorKind::Busy,
            InvalidAppId(_)
            | InvalidAppSecret(_)
            | IpNotWhitelisted(_)
            | MissingAppId(_)
            | MissingSecret(_)
            | NoAppConfigured
            | UnknownApp { .. }
            | AmbiguousApp { .. }
            | Setup { .. }
            | MockRejected { .. } => ErrorKind::Config,
            Timeout { .. }
            | Connect { .. }
            | Transport { .. }
            | HttpStatus { .. }
            | NotJson { .. }
            | UnexpectedJson { .. } => ErrorKind::Unavailable,
            Other { .. } => ErrorKind::Other,
        }
    }

    /// One line: what this error means.
    pub fn meaning(&self) -> &'static str {
        use WechatError::*;
        match self {
            Busy { .. } => "WeChat answered \"system busy\"",
            InvalidCode(_) => {
                "WeChat rejected the code: it is wrong, older than 5 minutes, or was issued for another mini program"
            }
            CodeUsed(_) => "WeChat says this code was already exchanged; each code works once",
            HighRiskUser(_) => "WeChat refused this user's login as high-risk",
            RateLimited(_) => "WeChat's per-user minute quota for code2Session is spent",
            InvalidAppId(_) => "WeChat does not know this appid",
            InvalidAppSecret(_) => "WeChat rejected the AppSecret for this appid",
            IpNotWhitelisted(_) => {
                "WeChat refused the call: this server's IP is not in the API IP whitelist"
            }
            MissingAppId(_) => "WeChat says the request had no appid",
            MissingSecret(_) => "WeChat says the request had no AppSecret",
            MissingCode(_) => "WeChat says the request had no code",
            InvalidCredential(_) => {
                "WeChat rejected the credential: the access token is unknown or superseded, or the AppSecret is wrong"
            }
            TokenExpired(_) => "WeChat says the access token expired",
            InvalidToken(_) => "WeChat says the access token is not a valid token",
            MissingToken(_) => "WeChat says the request had no access token",
            DailyQuota(_) => "WeChat's daily quota for this API is spent",
            AppSecretFrozen(_) => "WeChat says this app's AppSecret is frozen",
            StaleSessionKey(_) => {
                "WeChat says the session_key no longer matches: it expired or was replaced by a newer wx.login()"
            }
            InvalidSigMethod(_) => "WeChat does not accept the signature method of the request",
            ForceRefreshRefused { .. } => {
                "a forced access-token refresh was not sent, to stay within WeChat's limit (20 a day, 30 s apart)"
            }
            Other { .. } => "WeChat answered with an errcode this program does not know",
            Timeout { .. } => "WeChat did not answer in time",
            Connect { .. } => "cannot connect to the WeChat API",
            Transport { .. } => "the connection to the WeChat API broke",
            HttpStatus { .. } => "the WeChat API answered with an HTTP error status",
            NotJson { .. } => "the WeChat API answered with a body that is not JSON",
            UnexpectedJson { .. } => {
                "the WeChat API answered JSON that is not the result this API returns"
            }
            NoAppConfigured => "no mini program (appid and AppSecret) is configured",
            UnknownApp { .. } => "this appid is not configured here",
            AmbiguousApp { .. } => "several mini programs are configured and none was chosen",
            Setup { .. } => "the WeChat client cannot be set up",
            MockRejected { .. } => "the WeChat emulator refused to mint a code",
        }
    }

    /// One line: what to do about it.
    pub fn action(&self) -> &'static str {
        use WechatError::*;
        match self {
            Busy { .. } => {
                "wait a few seconds and try again; if it lasts, check WeChat's status and quote the rid to WeChat support"
            }
            InvalidCode(_) => {
                "have the user log in again to get a fresh code, and check that the mini program and this server use the same appid"
            }
            CodeUsed(_) => {
                "have the user log in again for a fresh code; if it happens often, look for clients or proxies that send the same request twice"
            }
            HighRiskUser(_) => {
                "nothing to fix on this server; the user must resolve it with WeChat"
            }
            RateLimited(_) => "wait for the next minute; look for a client retrying in a loop",
            InvalidAppId(_) => {
                "check the appid in WXLOGIN_APPID or the config file's [[apps]] against the WeChat admin console"
            }
            InvalidAppSecret(_) => {
                "check the AppSecret (WXLOGIN_APP_SECRET/_FILE or the config file); it may have been reset in the WeChat admin console"
            }
            IpNotWhitelisted(_) => {
                "add this server's public IP to the API IP whitelist in the WeChat admin console"
            }
            MissingAppId(_) | MissingSecret(_) => {
                "the request was built wrongly; check the configured appid and AppSecret are not empty"
            }
            MissingCode(_) => "the mini program sent an empty code; have the user log in again",
            InvalidCredential(_) => {
                "check the AppSecret, and that no other program calls /cgi-bin/token for this appid (each call there supersedes the last token)"
            }
            TokenExpired(_) | InvalidToken(_) | MissingToken(_) => {
                "retry once later; if it lasts, check that nothing between here and WeChat alters the request"
            }
            DailyQuota(_) => {
                "wait until tomorrow (WeChat resets quotas daily) or reset the quota in the WeChat admin console; look for a caller in a loop"
            }
            AppSecretFrozen(_) => {
                "unfreeze or reset the AppSecret in the WeChat admin console, then update it in the configuration"
            }
            StaleSessionKey(_) => {
                "the user must log in again (wx.login()) so a fresh session_key is stored; or reset the key for this session"
            }
            InvalidSigMethod(_) => "the request was built wrongly: sig_method must be hmac_sha256",
            ForceRefreshRefused { .. } => {
                "wait and retry; if WeChat keeps rejecting fresh tokens, check for another program using this appid's AppSecret"
            }
            Other { .. } => {
                "look the errcode up in WeChat's documentation and quote the rid to WeChat support"
            }
            Timeout { .. } => {
                "retry shortly; if it lasts, check the network path to WeChat and the configured timeouts"
            }
            Connect { .. } => {
                "check WXLOGIN_WECHAT_BASE_URL (or [wechat] base_url), DNS, firewall and proxy settings"
            }
            Transport { .. } => "retry shortly; if it lasts, check proxies between here and WeChat",
            HttpStatus { .. } => {
                "WeChat or a proxy in between is failing; retry shortly and check that the base URL points at the WeChat API"
            }
            NotJson { .. } => {
                "something other than WeChat answered (a proxy or portal page?); check the base URL and the network path"
            }
            UnexpectedJson { .. } => {
                "check that the base URL points at the WeChat API and not at something else"
            }
            NoAppConfigured => {
                "set WXLOGIN_APPID with WXLOGIN_APP_SECRET_FILE (or WXLOGIN_APP_SECRET), or add [[apps]] to the config file"
            }
            UnknownApp { .. } => {
                "use one of the configured appids or add this one to the config file's [[apps]]"
            }
            AmbiguousApp { .. } => "name the mini program's appid explicitly",
            Setup { .. } => "check the WeChat settings in the environment and the config file",
            MockRejected { .. } => {
                "use an appid the emulator was started with (--app) and a non-empty user"
            }
        }
    }

    /// [`WechatError::meaning`] in `tr`'s language: in Chinese worded as WeChat's own errcode
    /// tables word it where they do (the `errmsg` WeChat sent, with its rid, is shown beside it
    /// unchanged). English is the same sentence as `meaning()`.
    pub fn meaning_in(&self, tr: &crate::i18n::Tr) -> String {
        use WechatError::*;
        match self {
            Busy { .. } => crate::tr!(tr, "errcode-meaning-busy"),
            InvalidCode(_) => crate::tr!(tr, "errcode-meaning-invalid-code"),
            CodeUsed(_) => crate::tr!(tr, "errcode-meaning-code-used"),
            HighRiskUser(_) => crate::tr!(tr, "errcode-meaning-high-risk-user"),
            RateLimited(_) => crate::tr!(tr, "errcode-meaning-rate-limited"),
            InvalidAppId(_) => crate::tr!(tr, "errcode-meaning-invalid-app-id"),
            InvalidAppSecret(_) => crate::tr!(tr, "errcode-meaning-invalid-app-secret"),
            IpNotWhitelisted(_) => crate::tr!(tr, "errcode-meaning-ip-not-whitelisted"),
            MissingAppId(_) => crate::tr!(tr, "errcode-meaning-missing-app-id"),
            MissingSecret(_) => crate::tr!(tr, "errcode-meaning-missing-secret"),
            MissingCode(_) => crate::tr!(tr, "errcode-meaning-missing-code"),
            InvalidCredential(_) => crate::tr!(tr, "errcode-meaning-invalid-credential"),
            TokenExpired(_) => crate::tr!(tr, "errcode-meaning-token-expired"),
            InvalidToken(_) => crate::tr!(tr, "errcode-meaning-invalid-token"),
            MissingToken(_) => crate::tr!(tr, "errcode-meaning-missing-token"),
            DailyQuota(_) => crate::tr!(tr, "errcode-meaning-daily-quota"),
            AppSecretFrozen(_) => crate::tr!(tr, "errcode-meaning-app-secret-frozen"),
            StaleSessionKey(_) => crate::tr!(tr, "errcode-meaning-stale-session-key"),
            InvalidSigMethod(_) => crate::tr!(tr, "errcode-meaning-invalid-sig-method"),
            ForceRefreshRefused { .. } => crate::tr!(tr, "errcode-meaning-force-refresh-refused"),
            Other { .. } => crate::tr!(tr, "errcode-meaning-other"),
            Timeout { .. } => crate::tr!(tr, "errcode-meaning-timeout"),
            Connect { .. } => crate::tr!(tr, "errcode-meaning-connect"),
            Transport { .. } => crate::tr!(tr, "errcode-meaning-transport"),
            HttpStatus { .. } => crate::tr!(tr, "errcode-meaning-http-status"),
            NotJson { .. } => crate::tr!(tr, "errcode-meaning-not-json"),
            UnexpectedJson { .. } => crate::tr!(tr, "errcode-meaning-unexpected-json"),
            NoAppConfigured => crate::tr!(tr, "errcode-meaning-no-app-configured"),
            UnknownApp { .. } => crate::tr!(tr, "errcode-meaning-unknown-app"),
            AmbiguousApp { .. } => crate::tr!(tr, "errcode-meaning-ambiguous-app"),
            Setup { .. } => crate::tr!(tr, "errcode-meaning-setup"),
            MockRejected { .. } => crate::tr!(tr, "errcode-meaning-mock-rejected"),
        }
    }

    /// [`WechatError::action`] in `tr`'s language.
    pub fn action_in(&self, tr: &crate::i18n::Tr) -> String {
        use WechatError::*;
        match self {
            Busy { .. } => crate::tr!(tr, "errcode-action-busy"),
            InvalidCode(_) => crate::tr!(tr, "errcode-action-invalid-code"),
            CodeUsed(_) => crate::tr!(tr, "errcode-action-code-used"),
            HighRiskUser(_) => crate::tr!(tr, "errcode-action-high-risk-user"),
            RateLimited(_) => crate::tr!(tr, "errcode-action-rate-limited"),
            InvalidAppId(_) => crate::tr!(tr, "errcode-action-invalid-app-id"),
            InvalidAppSecret(_) => crate::tr!(tr, "errcode-action-invalid-app-secret"),
            IpNotWhitelisted(_) => crate::tr!(tr, "errcode-action-ip-not-whitelisted"),
            MissingAppId(_) | MissingSecret(_) => crate::tr!(tr, "errcode-action-missing-app-id"),
            MissingCode(_) => crate::tr!(tr, "errcode-action-missing-code"),
            InvalidCredential(_) => crate::tr!(tr, "errcode-action-invalid-credential"),
            TokenExpired(_) | InvalidToken(_) | MissingToken(_) => {
                crate::tr!(tr, "errcode-action-token-expired")
            }
            DailyQuota(_) => crate::tr!(tr, "errcode-action-daily-quota"),
            AppSecretFrozen(_) => crate::tr!(tr, "errcode-action-app-secret-frozen"),
            StaleSessionKey(_) => crate::tr!(tr, "errcode-action-stale-session-key"),
            InvalidSigMethod(_) => crate::tr!(tr, "errcode-action-invalid-sig-method"),
            ForceRefreshRefused { .. } => crate::tr!(tr, "errcode-action-force-refresh-refused"),
            Other { .. } => crate::tr!(tr, "errcode-action-other"),
            Timeout { .. } => crate::tr!(tr, "errcode-action-timeout"),
            Connect { .. } => crate::tr!(tr, "errcode-action-connect"),
            Transport { .. } => crate::tr!(tr, "errcode-action-transport"),
            HttpStatus { .. } => crate::tr!(tr, "errcode-action-http-status"),
            NotJson { .. } => crate::tr!(tr, "errcode-action-not-json"),
            UnexpectedJson { .. } => crate::tr!(tr, "errcode-action-unexpected-json"),
            NoAppConfigured => crate::tr!(tr, "errcode-action-no-app-configured"),
            UnknownApp { .. } => crate::tr!(tr, "errcode-action-unknown-app"),
            AmbiguousApp { .. } => crate::tr!(tr, "errcode-action-ambiguous-app"),
            Setup { .. } => crate::tr!(tr, "errcode-action-setup"),
            MockRejected { .. } => crate::tr!(tr, "errcode-action-mock-rejected"),
        }
    }
}

fn clean(text: &str) -> String {
    sanitize::for_terminal_truncated(text, MAX_ERRMSG_CHARS)
}

impl fmt::Display for WechatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use WechatError::*;
        let meaning = self.meaning();
        let action = self.action();
        match self {
            Busy { api, attempts } => write!(
                f,
                "{meaning} (errcode -1, {}) {attempts} time(s) from {}: {action}",
                rid_text(api.rid.as_deref()),
                clean(&api.host)
            ),
            Other {
                errcode,
                errmsg,
                rid,
                host,
            } => write!(
                f,
                "{meaning}: errcode {errcode}, errmsg \"{}\" ({}, from {}): {action}",
                clean(errmsg),
                rid_text(rid.as_deref()),
                clean(host)
            ),
            Timeout { host, after } => write!(
                f,
                "{meaning}: no answer from {} within {} ms: {action}",
                clean(host),
                after.as_millis()
            ),
            Connect { host, detail } => write!(
                f,
                "{meaning} at {} ({}): {action}",
                clean(host),
                clean(detail)
            ),
            Transport { host, detail } => write!(
                f,
                "{meaning} while talking to {} ({}): {action}",
                clean(host),
                clean(detail)
            ),
            HttpStatus { host, status } => {
                let reason = http_reason(*status);
                write!(
                    f,
                    "{meaning}: {} answered HTTP {status}{reason}: {action}",
                    clean(host)
                )
            }
            NotJson {
                host,
                content_type,
                bytes,
            } => write!(
                f,
                "{meaning}: {} answered HTTP 200 with {bytes} bytes of {}: {action}",
                clean(host),
                clean(content_type.as_deref().unwrap_or("unlabelled content"))
            ),
            UnexpectedJson { host, problem } => {
                write!(f, "{meaning} ({problem}, from {}): {action}", clean(host))
            }
            NoAppConfigured => write!(f, "{meaning}: {action}"),
            UnknownApp { appid, known } => write!(
                f,
                "{meaning} (asked for {}, configured: {}): {action}",
                clean(appid),
                list(known)
            ),
            AmbiguousApp { known } => {
                write!(f, "{meaning} (configured: {}): {action}", list(known))
            }
            Setup { detail } => write!(f, "{meaning}: {}: {action}", clean(detail)),
            ForceRefreshRefused { appid, reason } => write!(
                f,
                "{meaning} (appid {}: {}): {action}",
                clean(appid),
                clean(reason)
            ),
            MockRejected {
                host,
                status,
                message,
            } => write!(
                f,
                "{meaning} at {} (HTTP {status}: {}): {action}",
                clean(host),
                clean(message)
            ),
            api_error => {
                let api = api_error
                    .api()
                    .expect("every other variant carries an ApiError");
                let code = api_error.errcode().unwrap_or_default();
                write!(
                    f,
                    "{meaning} (errcode {code}, {}, from {}): {action}",
                    rid_text(api.rid.as_deref()),
                    clean(&api.host)
                )
            }
        }
    }
}

impl std::error::Error for WechatError {}

fn rid_text(rid: Option<&str>) -> String {
    match rid {
        Some(r) => format!("rid {}", clean(r)),
        None => "no rid".to_owned(),
    }
}

fn list(appids: &[String]) -> String {
    if appids.is_empty() {
        return "none".to_owned();
    }
    appids
        .iter()
        .map(|a| clean(a))
        .collect::<Vec<_>>()
        .join(", ")
}

fn http_reason(status: u16) -> String {
    match reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(r) => format!(" {r}"),
        None => String::new(),
    }
}

/// An errcode as WeChat sends it: a JSON integer or a string holding one (`"40029"`).
/// Absent (`null`) is 0. Anything else is an error naming the problem.
pub fn parse_errcode(value: &serde_json::Value) -> Result<i64, &'static str> {
    match value {
        serde_json::Value::Null => Ok(0),
        serde_json::Value::Number(n) => n.as_i64().ok_or("errcode is not an integer"),
        serde_json::Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| "errcode is not an integer"),
        _ => Err("errcode is not an integer"),
    }
}

/// The `rid` WeChat appends to errmsg (`"invalid code, rid: 6523ab12-1c2d3e4f-5a6b7c8d"`), or
/// the older `"hints: [ req_id: AbCd123 ]"` form.
pub fn parse_rid(errmsg: &str) -> Option<String> {
    for marker in ["rid:", "req_id:"] {
        if let Some(pos) = errmsg.find(marker) {
            let rest = errmsg[pos + marker.len()..].trim_start();
            let id: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .take(64)
                .collect();
            if !id.is_empty() {
                return Some(id);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rid_is_parsed_from_both_errmsg_forms() {
        assert_eq!(
            parse_rid("invalid code, rid: 6523ab12-1c2d3e4f-5a6b7c8d").as_deref(),
            Some("6523ab12-1c2d3e4f-5a6b7c8d")
        );
        assert_eq!(
            parse_rid("invalid code, hints: [ req_id: GeEBnGbSe-Q2RC ]").as_deref(),
            Some("GeEBnGbSe-Q2RC")
        );
        assert_eq!(parse_rid("invalid code"), None);
        assert_eq!(parse_rid("rid: "), None);
    }

    #[test]
    fn every_documented_errcode_has_its_own_variant_and_round_trips() {
        for code in [
            -1, 40029, 40163, 40226, 45011, 40013, 40125, 40164, 41002, 41004, 41008, 40001, 42001,
            40014, 41001, 45009, 40243, 87009, 87008,
        ] {
            let e = WechatError::from_errcode(code, ApiError::new("h", "x, rid: abc"));
            assert!(!matches!(e, WechatError::Other { .. }), "{code}");
            assert_eq!(e.errcode(), Some(code));
            assert_eq!(e.rid(), Some("abc"));
            let line = e.to_string();
            assert!(line.contains(&format!("errcode {code}")), "{line}");
            assert!(!line.contains('\n'));
        }
    }

    #[test]
    fn errcode_arrives_as_a_number_or_a_string() {
        assert_eq!(parse_errcode(&serde_json::json!(87009)), Ok(87009));
        assert_eq!(parse_errcode(&serde_json::json!("87009")), Ok(87009));
        assert_eq!(parse_errcode(&serde_json::json!(" -1 ")), Ok(-1));
        assert_eq!(parse_errcode(&serde_json::Value::Null), Ok(0));
        assert!(parse_errcode(&serde_json::json!("ok")).is_err());
        assert!(parse_errcode(&serde_json::json!(1.5)).is_err());
        assert!(parse_errcode(&serde_json::json!([1])).is_err());
    }

    #[test]
    fn a_stale_session_key_says_the_user_must_log_in_again() {
        let e = WechatError::from_errcode(87009, ApiError::new("h", "invalid signature rid: r1"));
        assert!(matches!(e, WechatError::StaleSessionKey(_)));
        let line = e.to_string();
        assert!(
            line.contains("errcode 87009") && line.contains("log in again"),
            "{line}"
        );
        assert_eq!(e.kind(), ErrorKind::InvalidCode);
    }

    #[test]
    fn unknown_errcode_keeps_code_and_errmsg() {
        let e = WechatError::from_errcode(48001, ApiError::new("h", "api unauthorized rid: 1-2"));
        assert_eq!(e.kind(), ErrorKind::Other);
        assert_eq!(e.errcode(), Some(48001));
        assert_eq!(e.rid(), Some("1-2"));
        let line = e.to_string();
        assert!(
            line.contains("48001") && line.contains("api unauthorized"),
            "{line}"
        );
    }

    #[test]
    fn hostile_errmsg_is_escaped_in_display() {
        let e = WechatError::from_errcode(1, ApiError::new("h", "x\x1b[2J\ny"));
        assert!(!e.to_string().contains('\x1b'));
        assert!(!e.to_string().contains('\n'));
    }
}
