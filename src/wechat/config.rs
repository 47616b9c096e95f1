//! Where the WeChat client talks to and with which credentials, the same for every subcommand.
//!
//! - Base URL: `WXLOGIN_WECHAT_BASE_URL`, then `[wechat] base_url`, then `https://api.weixin.qq.com`.
//! - One mini program from the environment: `WXLOGIN_APPID` with `WXLOGIN_APP_SECRET` or
//!   `WXLOGIN_APP_SECRET_FILE`; any number from the config file's `[[apps]]`, each with `secret`
//!   or `secret_file`. The environment wins over a file entry with the same appid.
//! - An AppSecret is never taken from a command-line argument: argv is visible to every user
//!   of the machine.

use std::path::Path;
use std::time::Duration;

use crate::config::{ConfigError, ConfigFile};
use crate::secret::Secret;

use super::WechatError;

pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The whole code2Session call, retries included, ends within this.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(8);

/// One mini program: its appid, an optional display name, and its AppSecret.
#[derive(Debug, Clone)]
pub struct AppCredentials {
    pub appid: String,
    pub name: Option<String>,
    /// `Debug`/`Display` print `[redacted]`.
    pub secret: Secret,
}

/// Settings for [`super::WechatClient`].
#[derive(Debug, Clone)]
pub struct WechatConfig {
    /// `https://api.weixin.qq.com`, the emulator's `http://127.0.0.1:PORT`, or a proxy.
    /// No trailing slash, no query.
    pub base_url: String,
    pub apps: Vec<AppCredentials>,
    /// Bound on establishing one TCP (+TLS) connection.
    pub connect_timeout: Duration,
    /// Bound on one whole code2Session call, retries and backoff included.
    pub timeout: Duration,
    /// Allow a plain http:// base URL on a host that is not loopback (`--allow-insecure-wechat`
    /// or `[wechat] allow_insecure`). Without it [`super::WechatClient::new`] refuses such a
    /// URL: the AppSecret would cross the network in clear.
    pub allow_insecure: bool,
}

impl WechatConfig {
    /// A configuration for the given base URL and apps with the default timeouts.
    pub fn new(base_url: impl Into<String>, apps: Vec<AppCredentials>) -> Self {
        WechatConfig {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            apps,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            allow_insecure: false,
        }
    }

    /// Reads the environment and the config file (see the module documentation).
    pub fn resolve(file: &ConfigFile) -> Result<WechatConfig, ConfigError> {
        resolve_with(file, &|k| std::env::var(k).ok())
    }

    /// The app with this appid, or the only configured app when `appid` is `None`.
    pub fn app(&self, appid: Option<&str>) -> Result<&AppCredentials, WechatError> {
        let known = || self.apps.iter().map(|a| a.appid.clone()).collect();
        match appid {
            Some(id) => {
                self.apps
                    .iter()
                    .find(|a| a.appid == id)
                    .ok_or_else(|| WechatError::UnknownApp {
                        appid: id.to_owned(),
                        known: known(),
                    })
            }
            None => match self.apps.as_slice() {
                [] => Err(WechatError::NoAppConfigured),
                [only] => Ok(only),
                _ => Err(WechatError::AmbiguousApp { known: known() }),
            },
        }
    }

    /// The host (and port when not the default) of the base URL: what errors and logs name.
    pub fn host(&self) -> String {
        endpoint_host(&self.base_url)
    }
}

/// `host[:port]` of a URL, or a placeholder; never its path, query or credentials.
pub(crate) fn endpoint_host(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => "<no host>".to_owned(),
        },
        Err(_) => "<invalid base URL>".to_owned(),
    }
}

/// Checks a base URL and returns it without a trailing slash.
pub(crate) fn validate_base_url(raw: &str, origin: &str) -> Result<String, ConfigError> {
    check_base_url(raw, origin)
}

/// Why the client refuses `url` unless insecure URLs are allowed: plain http:// to a host that
/// is not this machine sends the AppSecret (and every code) in clear. `None` when it is fine.
/// The host is judged by its name or literal address, not by what it resolves to.
pub(crate) fn cleartext_to_remote(url: &str) -> Option<String> {
    (url.starts_with("http://") && !is_loopback_url(url)).then(|| {
        format!(
            "refusing to send the AppSecret in clear to {} (plain http:// to a host that is not this machine); \
             use https:// (the real API is {DEFAULT_BASE_URL}), or give --allow-insecure-wechat \
             (or [wechat] allow_insecure = true) for a drill with the emulator",
            endpoint_host(url)
        )
    })
}

/// [`validate_base_url`] without the warning.
pub(crate) fn check_base_url(raw: &str, origin: &str) -> Result<String, ConfigError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let u = url::Url::parse(trimmed).map_err(|e| {
        ConfigError::Invalid(format!(
            "the WeChat base URL from {origin} is not a URL ({e}); use e.g. {DEFAULT_BASE_URL}"
        ))
    })?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(ConfigError::Invalid(format!(
            "the WeChat base URL from {origin} must be an http:// or https:// URL with a host, e.g. {DEFAULT_BASE_URL}"
        )));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(ConfigError::Invalid(format!(
            "the WeChat base URL from {origin} must not have a query or fragment; give only scheme, host and optional path"
        )));
    }
    Ok(trimmed.to_owned())
}

fn is_loopback_url(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// [`WechatConfig::resolve`] with the environment given as a function, for tests.
pub(crate) fn resolve_with(
    file: &ConfigFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<WechatConfig, ConfigError> {
    let env = |k: &str| env(k).filter(|v| !v.trim().is_empty());

    let base_url = match env("WXLOGIN_WECHAT_BASE_URL") {
        Some(u) => validate_base_url(&u, "WXLOGIN_WECHAT_BASE_URL")?,
        None => match &file.wechat.base_url {
            Some(u) => validate_base_url(u, "the config file's [wechat] base_url")?,
            None => DEFAULT_BASE_URL.to_owned(),
        },
    };
    let ms = |v: Option<u64>, name: &str, default: Duration| match v {
        Some(0) => Err(ConfigError::Invalid(format!(
            "[wechat] {name} must be at least 1 millisecond"
        ))),
        Some(n) => Ok(Duration::from_millis(n)),
        None => Ok(default),
    };
    let connect_timeout = ms(
        file.wechat.connect_timeout_ms,
        "connect_timeout_ms",
        DEFAULT_CONNECT_TIMEOUT,
    )?;
    let timeout = ms(file.wechat.timeout_ms, "timeout_ms", DEFAULT_TIMEOUT)?;

    let mut apps: Vec<AppCredentials> = Vec::new();
    for entry in &file.apps {
        let appid = entry.appid.trim().to_owned();
        if appid.is_empty() {
            return Err(ConfigError::Invalid(
                "an [[apps]] entry in the config file has an empty appid".into(),
            ));
        }
        if apps.iter().any(|a| a.appid == appid) {
            return Err(ConfigError::Invalid(format!(
                "appid {appid} appears twice in the config file's [[apps]]; keep one entry"
            )));
        }
        let secret = match (&entry.secret, &entry.secret_file) {
            (Some(s), None) => s.clone(),
            (None, Some(path)) => read_secret_file(path)?,
            (Some(_), Some(_)) => {
                return Err(ConfigError::Invalid(format!(
                    "[[apps]] {appid} has both secret and secret_file; keep one (secret_file is better)"
                )));
            }
            (None, None) => {
                return Err(ConfigError::Invalid(format!(
                    "[[apps]] {appid} has no AppSecret; add secret_file = \"/path/to/file\""
                )));
            }
        };
        if secret.expose().trim().is_empty() {
            return Err(ConfigError::Invalid(format!(
                "the AppSecret for [[apps]] {appid} is empty"
            )));
        }
        apps.push(AppCredentials {
            appid,
            name: entry.name.clone(),
            secret,
        });
    }

    let env_secret = match (env("WXLOGIN_APP_SECRET"), env("WXLOGIN_APP_SECRET_FILE")) {
        (Some(s), None) => Some(Secret::new(s.trim().to_owned())),
        (None, Some(p)) => Some(read_secret_file(Path::new(&p))?),
        (Some(_), Some(_)) => {
            return Err(ConfigError::Invalid(
                "both WXLOGIN_APP_SECRET and WXLOGIN_APP_SECRET_FILE are set; unset one".into(),
            ));
        }
        (None, None) => None,
    };
    match (env("WXLOGIN_APPID"), env_secret) {
        (Some(appid), Some(secret)) => {
            let appid = appid.trim().to_owned();
            match apps.iter_mut().find(|a| a.appid == appid) {
                Some(existing) => existing.secret = secret,
                None => apps.insert(
                    0,
                    AppCredentials {
                        appid,
                        name: None,
                        secret,
                    },
                ),
            }
        }
        (Some(appid), None) => {
            return Err(ConfigError::Invalid(format!(
                "WXLOGIN_APPID={} is set without its AppSecret; set WXLOGIN_APP_SECRET_FILE (or WXLOGIN_APP_SECRET)",
                appid.trim()
            )));
        }
        (None, Some(_)) => {
            return Err(ConfigError::Invalid(
                "an AppSecret is set in the environment without WXLOGIN_APPID; set WXLOGIN_APPID too"
                    .into(),
            ));
        }
        (None, None) => {}
    }

    Ok(WechatConfig {
        base_url,
        apps,
        connect_timeout,
        timeout,
        allow_insecure: file.wechat.allow_insecure,
    })
}

/// Reads an AppSecret file: the whole file, surrounding whitespace removed.
fn read_secret_file(path: &Path) -> Result<Secret, ConfigError> {
    crate::config::refuse_if_shared(path, "AppSecret file")?;
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let secret = Secret::new(text.trim().to_owned());
    drop(zeroize::Zeroizing::new(text));
    if secret.is_empty() {
        return Err(ConfigError::Invalid(format!(
            "the AppSecret file {} is empty",
            path.display()
        )));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn private(path: &Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    fn file(toml_text: &str) -> ConfigFile {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn defaults_to_the_real_api_and_no_apps() {
        let c = resolve_with(&ConfigFile::default(), &env_of(&[])).unwrap();
        assert_eq!(c.base_url, DEFAULT_BASE_URL);
        assert!(c.apps.is_empty());
        assert!(matches!(c.app(None), Err(WechatError::NoAppConfigured)));
        assert_eq!(c.host(), "api.weixin.qq.com");
    }

    #[test]
    fn env_base_url_beats_the_file_and_loses_its_trailing_slash() {
        let f = file("[wechat]\nbase_url = \"http://file.example\"\ntimeout_ms = 1500\n");
        let c = resolve_with(
            &f,
            &env_of(&[("WXLOGIN_WECHAT_BASE_URL", "http://127.0.0.1:9000/")]),
        )
        .unwrap();
        assert_eq!(c.base_url, "http://127.0.0.1:9000");
        assert_eq!(c.host(), "127.0.0.1:9000");
        assert_eq!(c.timeout, Duration::from_millis(1500));
    }

    #[test]
    fn a_base_url_with_a_query_is_refused() {
        let err = resolve_with(
            &ConfigFile::default(),
            &env_of(&[("WXLOGIN_WECHAT_BASE_URL", "https://x.example/?a=b")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("must not have a query"));
    }

    #[test]
    fn env_app_and_file_apps_are_merged_with_env_winning() {
        let dir = tempfile::tempdir().unwrap();
        let secret_path = dir.path().join("b.secret");
        std::fs::write(&secret_path, "file-secret-b\n").unwrap();
        private(&secret_path);
        let f = file(&format!(
            "[[apps]]\nappid = \"wxa\"\nname = \"A\"\nsecret = \"file-secret-a\"\n\
             [[apps]]\nappid = \"wxb\"\nsecret_file = \"{}\"\n",
            secret_path.display()
        ));
        let c = resolve_with(
            &f,
            &env_of(&[
                ("WXLOGIN_APPID", "wxa"),
                ("WXLOGIN_APP_SECRET", "env-secret-a"),
            ]),
        )
        .unwrap();
        assert_eq!(c.apps.len(), 2);
        let a = c.app(Some("wxa")).unwrap();
        assert_eq!(a.secret.expose(), "env-secret-a");
        assert_eq!(a.name.as_deref(), Some("A"));
        assert_eq!(c.app(Some("wxb")).unwrap().secret.expose(), "file-secret-b");
        assert!(matches!(c.app(None), Err(WechatError::AmbiguousApp { .. })));
        assert!(matches!(
            c.app(Some("wxz")),
            Err(WechatError::UnknownApp { .. })
        ));
        assert!(!format!("{c:?}").contains("secret-a"));
    }

    #[test]
    fn an_appid_without_a_secret_is_a_clear_error() {
        let err = resolve_with(&ConfigFile::default(), &env_of(&[("WXLOGIN_APPID", "wxa")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("WXLOGIN_APP_SECRET_FILE"), "{err}");
        let err = resolve_with(
            &ConfigFile::default(),
            &env_of(&[("WXLOGIN_APP_SECRET", "s")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("WXLOGIN_APPID"), "{err}");
    }

    #[test]
    fn secret_file_is_read_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s");
        std::fs::write(&p, "  the-secret \n").unwrap();
        private(&p);
        let c = resolve_with(
            &ConfigFile::default(),
            &env_of(&[
                ("WXLOGIN_APPID", "wxa"),
                ("WXLOGIN_APP_SECRET_FILE", p.to_str().unwrap()),
            ]),
        )
        .unwrap();
        assert_eq!(c.app(None).unwrap().secret.expose(), "the-secret");
    }
}
