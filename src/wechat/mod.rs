//! The WeChat client the login service, the console and the CLI use: `auth.code2Session`,
//! access tokens (`stable_token`), checkSessionKey and resetUserSessionKey; its
//! configuration; and its errors (one per documented errcode). The emulator behind
//! `wxlogin mock-wechat` lives apart, in [`crate::mock_wechat`].
//!
//! ```no_run
//! # async fn demo(file: &wxlogin::config::ConfigFile) -> Result<(), Box<dyn std::error::Error>> {
//! use wxlogin::wechat::{WechatClient, WechatConfig};
//! let client = WechatClient::new(WechatConfig::resolve(file)?)?;
//! let appid = client.config().app(None)?.appid.clone();
//! match client.code2session(&appid, "code-from-wx.login").await {
//!     Ok(s) => println!("openid {}", s.openid),
//!     Err(e) => eprintln!("{e}"), // one line: what happened, errcode, rid, what to do
//! }
//! # Ok(()) }
//! ```

mod client;
mod config;
mod error;
mod session_key;
mod token;

pub use client::{Code2Session, RetryPolicy, WechatClient};
pub use config::{
    AppCredentials, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, WechatConfig,
};
pub use error::{ApiError, ErrorKind, WechatError, parse_errcode, parse_rid};
pub use session_key::{KeyCheck, ResetSessionKey, SIG_METHOD, signature};
pub use token::{AccessToken, ForceRefreshLimits, REFRESH_MARGIN, TokenState};

// For the emulator's client side (`crate::mock_wechat::mint_code`).
pub(crate) use client::{build_http_client, transport_error};
pub(crate) use config::endpoint_host;
