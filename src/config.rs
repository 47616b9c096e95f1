//! Configuration: command-line flags > environment > config file > defaults.
//!
//! Secrets (AppSecrets, the data key) are never taken from argv: every user of the machine can
//! read another process's arguments. They come from the environment or from files.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::crypto::DataKey;
use crate::operator::{Actor, Role};
use crate::secret::Secret;

/// Options every subcommand understands. `Debug` shows the database URL redacted.
#[derive(Clone, Default, clap::Args)]
pub struct GlobalOpts {
    /// Database URL (postgres://…, mysql://… or sqlite://…). Default: an embedded SQLite file in the per-user
    /// data directory, created and migrated on first use.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// TOML configuration file (WeChat apps, service and console settings).
    #[arg(long, env = "WXLOGIN_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    /// Operator name written on every audit row. Default: config, then SUDO_USER, then USER.
    #[arg(long, env = "WXLOGIN_OPERATOR", global = true)]
    pub operator: Option<String>,

    /// Operator role: viewer (look only), support, or oncall (everything). Default: config
    /// `role`, else oncall; --read-only means viewer.
    #[arg(long, env = "WXLOGIN_ROLE", global = true, value_name = "ROLE")]
    pub role: Option<String>,

    /// Refuse every change: only look (the viewer role).
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Accept a WeChat base URL that is plain http:// to another host (and, for `serve`, any
    /// loopback, private or local host): for drills and tests with the emulator only. Without
    /// it, the AppSecret is only ever sent over https:// or to this machine.
    #[arg(long, global = true)]
    pub allow_insecure_wechat: bool,

    /// Language of the console and the commands' human output: en or zh-CN. Default:
    /// WXLOGIN_LANG, then config `lang`, then the locale (LC_ALL, LC_MESSAGES, LANG).
    /// Never changes --json, CSV, exit codes or audit rows.
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<crate::i18n::Lang>,

    /// More log output on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// The TOML config file. Every section is optional. `Debug` shows the database URL redacted.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub database_url: Option<String>,
    pub operator: Option<String>,
    /// viewer, support or oncall (see `--role`).
    pub role: Option<String>,
    /// en or zh-CN (see `--lang`); checked when resolved, naming the accepted values.
    pub lang: Option<String>,
    #[serde(default)]
    pub read_only: bool,
    /// Path of the file holding the 32-byte data key (base64) that encrypts session_keys.
    pub data_key_file: Option<PathBuf>,
    #[serde(default)]
    pub wechat: WechatSection,
    #[serde(default)]
    pub apps: Vec<AppEntry>,
    #[serde(default)]
    pub service: ServiceSection,
    #[serde(default)]
    pub console: ConsoleSection,
    #[serde(default)]
    pub retention: RetentionSection,
    /// The name of this deployment (`production`, `staging`…), shown in the console's header.
    pub environment: Option<String>,
    /// Environment names drawn in red like `production` (compared without case).
    #[serde(default)]
    pub dangerous_environments: Vec<String>,
    #[serde(default)]
    pub ssh: SshSection,
}

/// `[ssh]`: `wxlogin ssh-server` (flags win over these).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshSection {
    pub listen: Option<String>,
    pub host_key_file: Option<PathBuf>,
    pub operators_file: Option<PathBuf>,
    /// A session with no input for this long ends (default 900).
    pub idle_timeout_secs: Option<u64>,
    /// Connections open at once (default 32).
    pub max_connections: Option<usize>,
    /// Seconds a connection has to authenticate (default 25).
    pub auth_timeout_secs: Option<u64>,
    /// Connections that may be unauthenticated at once (default: half of max_connections).
    pub max_unauthenticated: Option<usize>,
    /// Unauthenticated connections per address, per /64 for IPv6 (default 8).
    pub max_unauthenticated_per_address: Option<usize>,
}

// Debug without secrets (hardening): a database URL can carry a password.
fn redacted_url(url: &Option<String>) -> Option<String> {
    url.as_deref().map(crate::store::redact_database_url)
}

impl std::fmt::Debug for GlobalOpts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalOpts")
            .field("database_url", &redacted_url(&self.database_url))
            .field("config", &self.config)
            .field("operator", &self.operator)
            .field("role", &self.role)
            .field("read_only", &self.read_only)
            .field("lang", &self.lang)
            .field("allow_insecure_wechat", &self.allow_insecure_wechat)
            .field("verbose", &self.verbose)
            .finish()
    }
}

impl std::fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigFile")
            .field("database_url", &redacted_url(&self.database_url))
            .field("operator", &self.operator)
            .field("role", &self.role)
            .field("lang", &self.lang)
            .field("read_only", &self.read_only)
            .field("data_key_file", &self.data_key_file)
            .field("wechat", &self.wechat)
            .field("apps", &self.apps)
            .field("service", &self.service)
            .field("console", &self.console)
            .field("retention", &self.retention)
            .finish()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WechatSection {
    /// Default `https://api.weixin.qq.com`; point it at `wxlogin mock-wechat` or a proxy.
    pub base_url: Option<String>,
    pub connect_timeout_ms: Option<u64>,
    pub timeout_ms: Option<u64>,
    /// Send the AppSecret to a plain http:// base URL on a host that is not loopback (a
    /// drill's emulator on another machine). Also `--allow-insecure-wechat`. Default false.
    #[serde(default)]
    pub allow_insecure: bool,
}

/// One mini program. The secret is given inline (the file must then be private) or, better,
/// as a path to a file that holds only the secret.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppEntry {
    pub appid: String,
    pub name: Option<String>,
    pub secret: Option<Secret>,
    pub secret_file: Option<PathBuf>,
}

impl std::fmt::Debug for AppEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppEntry")
            .field("appid", &self.appid)
            .field("name", &self.name)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("secret_file", &self.secret_file)
            .finish()
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSection {
    pub listen: Option<String>,
    /// Absolute session lifetime in seconds.
    pub session_ttl_secs: Option<u64>,
    /// Idle timeout in seconds: a session unused this long expires.
    pub idle_timeout_secs: Option<u64>,
    /// Header carrying the client address when behind a trusted reverse proxy (e.g. X-Forwarded-For).
    pub trusted_ip_header: Option<String>,
    pub login_rate_limit: Option<u32>,
    pub login_rate_window_secs: Option<u64>,
    /// Address ranges of the reverse proxies whose `trusted_ip_header` is believed.
    pub trusted_proxies: Option<Vec<String>>,
    /// Password failures per account per window before its password path answers 429.
    pub account_failure_limit: Option<u32>,
    pub account_failure_window_secs: Option<u64>,
    /// All logins per client address (IPv6 per /48) per minute.
    pub login_flood_limit: Option<u32>,
    /// Login statistics older than this many days are deleted (default 14).
    pub stats_retention_days: Option<u64>,
    /// After SIGTERM, milliseconds `/healthz` answers 503 while connections are still accepted.
    pub drain_grace_ms: Option<u64>,
    /// Most WeChat identities one account may bind in one mini program; unset: no limit.
    pub max_bindings_per_app: Option<u32>,
    /// Session lookup queries (GET /me, POST /logout) one instance runs at once on
    /// PostgreSQL; requests that arrive meanwhile share the next one. 0: one query per request.
    pub session_lookups_in_flight: Option<usize>,
    /// Seconds a connection has to send a whole request head (and a login its body).
    pub header_read_timeout_secs: Option<u64>,
    /// Connections the login listener serves at once.
    pub max_connections: Option<usize>,
}

/// `[retention]`: how long ended sessions and login statistics are kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSection {
    /// Sessions that expired or were revoked more than this many days ago are deleted by the
    /// service (default 30; 0 keeps them forever).
    pub sessions_after_days: Option<u64>,
    /// Login statistics older than this many days are deleted (default 14). Replaces
    /// `[service] stats_retention_days`.
    pub stats_after_days: Option<u64>,
    /// How often the fleet purges ended sessions, in seconds (default 3600). One instance at a
    /// time does it, whatever the number of instances.
    pub purge_interval_secs: Option<u64>,
    /// Sessions walked per purge transaction (default 2000).
    pub purge_batch: Option<i64>,
    /// Milliseconds between purge batches, so that logins are not slowed (default 50).
    pub purge_pause_ms: Option<u64>,
    /// Seconds the purge lease lasts without a batch renewing it: after a holder dies, another
    /// instance resumes its run this much later (default 60).
    pub purge_lease_secs: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSection {
    pub refresh_secs: Option<u64>,
    /// How the Overview draws sparklines: `braille` (default) or `blocks` (fonts without
    /// braille dots).
    pub sparkline: Option<crate::present::SparkStyle>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl From<crate::crypto::InvalidDataKey> for ConfigError {
    fn from(e: crate::crypto::InvalidDataKey) -> Self {
        ConfigError::Invalid(e.0)
    }
}

impl ConfigFile {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let file: ConfigFile = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.message().to_owned(),
        })?;
        if file.holds_secrets() {
            refuse_if_shared(
                path,
                "config file (it holds an AppSecret or a database password)",
            )?;
        }
        Ok(file)
    }

    /// Does the file itself hold a secret: an inline AppSecret or a database URL with a
    /// password? Such a file must be private (see [`refuse_if_shared`]).
    pub fn holds_secrets(&self) -> bool {
        self.apps.iter().any(|a| a.secret.is_some())
            || self.database_url.as_deref().is_some_and(url_has_password)
    }

    /// The file named by `--config`, or an empty configuration.
    pub fn from_opts(opts: &GlobalOpts) -> Result<Self, ConfigError> {
        let mut file = match &opts.config {
            Some(p) => Self::load(p)?,
            None => Self::default(),
        };
        // Flags beat the file.
        file.wechat.allow_insecure |= opts.allow_insecure_wechat;
        Ok(file)
    }
}

/// Who is acting locally. Name: `--operator` / WXLOGIN_OPERATOR, then the config file, then
/// SUDO_USER, then USER. Role: `--role` / WXLOGIN_ROLE, then the config file's `role`, else
/// oncall (whoever holds the database URL can do everything anyway); `--read-only` (flag or
/// config) makes anyone a viewer. Origin: the client address of SSH_CONNECTION when present,
/// else "local".
pub fn resolve_actor(opts: &GlobalOpts, file: &ConfigFile) -> Result<Actor, ConfigError> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let operator = opts
        .operator
        .clone()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| file.operator.clone())
        .or_else(|| env("SUDO_USER"))
        .or_else(|| env("USER"))
        .unwrap_or_else(|| "unknown".to_owned());
    let origin = env("SSH_CONNECTION")
        .and_then(|c| c.split_whitespace().next().map(str::to_owned))
        .map(|ip| format!("ssh:{ip}"))
        .or_else(|| Some("local".to_owned()));
    let role = match opts.role.as_deref().filter(|r| !r.trim().is_empty()) {
        Some(r) => r
            .parse::<Role>()
            .map_err(|e| ConfigError::Invalid(format!("--role / WXLOGIN_ROLE: {e}")))?,
        None => match file.role.as_deref() {
            Some(r) => r
                .parse::<Role>()
                .map_err(|e| ConfigError::Invalid(format!("config file `role`: {e}")))?,
            None => Role::Oncall,
        },
    };
    let role = if opts.read_only || file.read_only {
        Role::Viewer
    } else {
        role
    };
    Ok(Actor::new(operator, role, origin))
}

/// The database to use: flag / DATABASE_URL, then DATABASE_URL_FILE (a file holding only the
/// URL), then the config file, then the embedded default. A password given with
/// `--database-url` on the command line gets a warning: every user can read argv.
/// The language of this command or local console: `--lang`, `WXLOGIN_LANG`, config `lang`,
/// then the POSIX locale (see [`crate::i18n::Lang::resolve`]). A bad value is an error naming
/// the accepted ones.
pub fn resolve_lang(
    opts: &GlobalOpts,
    file: &ConfigFile,
) -> Result<crate::i18n::Lang, ConfigError> {
    crate::i18n::Lang::resolve(opts.lang, file.lang.as_deref(), |name| {
        std::env::var(name).ok()
    })
    .map_err(ConfigError::Invalid)
}

pub fn database_url(opts: &GlobalOpts, file: &ConfigFile) -> Result<String, ConfigError> {
    if let Some(u) = opts.database_url.clone().filter(|u| !u.is_empty()) {
        if url_has_password(&u) && std::env::args().any(|a| a.starts_with("--database-url")) {
            eprintln!("{}", ARGV_PASSWORD_WARNING);
        }
        return Ok(u);
    }
    if let Some(p) = std::env::var_os("DATABASE_URL_FILE").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        let text = zeroize::Zeroizing::new(std::fs::read_to_string(&p).map_err(|source| {
            ConfigError::Read {
                path: p.clone(),
                source,
            }
        })?);
        let url = text.trim();
        if url.is_empty() {
            return Err(ConfigError::Invalid(format!(
                "DATABASE_URL_FILE {} is empty; put the database URL in it",
                p.display()
            )));
        }
        if url_has_password(url) {
            refuse_if_shared(&p, "database URL file")?;
        }
        return Ok(url.to_owned());
    }
    if let Some(u) = file.database_url.clone() {
        return Ok(u);
    }
    let path = default_sqlite_path()?;
    Ok(sqlite_url(&path))
}

/// What `--database-url` with a password in it prints on stderr.
pub const ARGV_PASSWORD_WARNING: &str = "warning: the database password given with --database-url is visible to every user of this machine (ps, /proc); use DATABASE_URL, DATABASE_URL_FILE (a private file holding the URL) or a .pgpass file instead";

/// Does a database URL carry a password (user info, `password=` or `sslpassword=`)?
pub fn url_has_password(url: &str) -> bool {
    match url::Url::parse(url) {
        Ok(u) => {
            u.password().is_some()
                || u.query_pairs().any(|(k, _)| {
                    k.eq_ignore_ascii_case("password") || k.eq_ignore_ascii_case("sslpassword")
                })
        }
        Err(_) => false,
    }
}

/// Refuses a file holding a secret (the data key, an AppSecret, a database URL with a password,
/// a config file with either inline) that other users can read, as OpenSSH refuses a private
/// key with open permissions:
///
/// - readable or writable by others (mode `o+r`/`o+w`), or writable by its group: always refused;
/// - readable by its group: refused when the file is ours (chmod 600 is what we meant), allowed
///   when another user owns it (root-owned `0640 root:wxlogin` is how a service account is
///   given a secret it must not change).
pub fn refuse_if_shared(path: &Path, what: &str) -> Result<(), ConfigError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mode = meta.mode() & 0o777;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let ours = meta.uid() == unsafe { libc::geteuid() };
        let open = mode & 0o007 != 0 || mode & 0o020 != 0 || (ours && mode & 0o040 != 0);
        if open {
            return Err(ConfigError::Invalid(format!(
                "the {what} {} can be read or changed by other users (mode {mode:03o}); \
                 refusing to use it: `chmod 600 {}` (or 640 owned by root with the service's group)",
                path.display(),
                path.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, what);
    Ok(())
}

/// `sqlite://PATH?mode=rwc`: create the file when it is missing.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// `$XDG_DATA_HOME/wxlogin/wxlogin.db` (or the platform's equivalent).
pub fn default_sqlite_path() -> Result<PathBuf, ConfigError> {
    let dirs = directories::ProjectDirs::from("", "", "wxlogin").ok_or_else(|| {
        ConfigError::Invalid(
            "no home directory to keep the embedded database in; set DATABASE_URL".into(),
        )
    })?;
    let dir = dirs.data_dir();
    private_dir(dir)?;
    let path = dir.join("wxlogin.db");
    private_file(&path)?;
    Ok(path)
}

/// Creates `dir` (and its parents) with mode 0700 when missing: the embedded database holds
/// encrypted session_keys and every session's metadata.
pub fn private_dir(dir: &Path) -> Result<(), ConfigError> {
    let read = |source| ConfigError::Read {
        path: dir.to_owned(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(read)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir).map_err(read)
    }
}

/// Creates the embedded database file with mode 0600 when missing (an existing file keeps its
/// mode), before SQLite opens it with the process umask.
pub fn private_file(path: &Path) -> Result<(), ConfigError> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    match o.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(ConfigError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// WXLOGIN_DATA_KEY, then WXLOGIN_DATA_KEY_FILE, then the config file's `data_key_file`.
/// `Ok(None)` when none is configured.
pub fn data_key(file: &ConfigFile) -> Result<Option<DataKey>, ConfigError> {
    if let Ok(v) = std::env::var("WXLOGIN_DATA_KEY").map(zeroize::Zeroizing::new)
        && !v.trim().is_empty()
    {
        return DataKey::from_base64(&v)
            .map(Some)
            .map_err(ConfigError::from);
    }
    let path = std::env::var_os("WXLOGIN_DATA_KEY_FILE")
        .map(PathBuf::from)
        .or_else(|| file.data_key_file.clone());
    match path {
        Some(p) => {
            refuse_if_shared(&p, "data key file")?;
            // Wiped when dropped, whether the key parses or not.
            let text = zeroize::Zeroizing::new(std::fs::read_to_string(&p).map_err(|source| {
                ConfigError::Read {
                    path: p.clone(),
                    source,
                }
            })?);
            DataKey::from_base64(&text)
                .map(Some)
                .map_err(ConfigError::from)
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod debug_tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_fresh_embedded_database_directory_is_0700_and_its_file_0600() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data").join("wxlogin");
        private_dir(&dir).unwrap();
        let db = dir.join("wxlogin.db");
        private_file(&db).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&db), 0o600);
        // Opening again keeps the file as it is.
        private_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
    }

    #[test]
    fn a_password_in_a_database_url_is_noticed() {
        assert!(url_has_password("postgres://app:pw@db/wx"));
        assert!(url_has_password("postgres://db/wx?sslpassword=x"));
        assert!(!url_has_password("postgres://app@db/wx?sslmode=require"));
        assert!(!url_has_password("sqlite:///tmp/x.db?mode=rwc"));
    }

    #[test]
    fn debug_of_the_config_file_prints_no_database_password_or_app_secret() {
        let cfg: ConfigFile = toml::from_str(
            r#"
database_url = "postgres://app:s3cr3t@db/wx?sslpassword=k3y"
[[apps]]
appid = "wx123"
secret = "appsecret-inline-value"
"#,
        )
        .unwrap();
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(!shown.contains("k3y"), "{shown}");
        assert!(!shown.contains("appsecret-inline-value"), "{shown}");
        assert!(
            shown.contains("wx123") && shown.contains("db/wx"),
            "{shown}"
        );
    }

    #[test]
    fn debug_of_the_global_options_prints_no_database_password() {
        let opts = GlobalOpts {
            database_url: Some("postgres://app:s3cr3t@db/wx".into()),
            ..Default::default()
        };
        let shown = format!("{opts:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("app:***@db"), "{shown}");
    }
}
