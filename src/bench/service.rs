//! The login service under load: `wxlogin serve` as a child process on loopback, the WeChat
//! emulator in this process, returning users bound to synthetic accounts.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::report::ScratchDir;
use super::synth::{self, APPIDS};
use crate::crypto::DataKey;
use crate::mock_wechat::{self as emulator, EmulatorConfig, EmulatorHandle};
use crate::secret::Secret;
use crate::store::{LoginOutcome, NewSession, Store};
use crate::wechat::AppCredentials;

/// The mini program the bench users log in through (accounts with odd numbers are not bound
/// in it by the seeder, so binding them here adds a second mini program, as in real life).
const LOGIN_APP: usize = 1;

/// A running `wxlogin serve`, killed and reaped when dropped.
pub struct ServiceProcess {
    child: Child,
    pub base_url: String,
    _dir: ScratchDir,
}

impl ServiceProcess {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The emulator, the service and `users` returning users with their SessionIds.
pub struct World {
    pub emulator: Arc<EmulatorHandle>,
    pub service: ServiceProcess,
    pub users: Vec<String>,
    pub tokens: Vec<String>,
    pub appid: &'static str,
    /// The config file every instance of this world runs with (in the first one's directory).
    config_file: std::path::PathBuf,
    key: String,
    /// Holds the config file and the apps' secret files; dropped last (after the instances).
    _config_dir: ScratchDir,
}

impl World {
    /// Starts one more `wxlogin serve` with this world's config on `url` (another database
    /// node, or a proxy), with `env` added to its environment.
    pub async fn spawn(&self, url: &str, env: &[(&str, &str)]) -> anyhow::Result<ServiceProcess> {
        spawn_serve(&self.config_file, url, &self.key, env).await
    }

    /// `n` login codes of the returning users in turn, minted in memory (no HTTP).
    pub fn mint_codes(&self, n: usize) -> anyhow::Result<Vec<String>> {
        (0..n)
            .map(|i| {
                self.emulator
                    .mint(self.appid, &self.users[i % self.users.len()])
                    .map_err(|e| anyhow::anyhow!("minting codes: {e}"))
            })
            .collect()
    }
}

fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// The service's login limiter in a bench run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limiter {
    /// Every budget off (`login_rate_limit = 0`, …): measures the service alone.
    Off,
    /// The shared limiter with its default budgets, counters in the database. The load sends
    /// each request from its own address (`X-Forwarded-For` from a trusted loopback proxy), so
    /// the counters are spread as a real population's are and no budget is reached.
    Shared,
}

/// The `[service]` section of the bench's config for `limiter`.
fn service_section(limiter: Limiter) -> &'static str {
    match limiter {
        Limiter::Off => {
            "[service]\nlogin_rate_limit = 0\nlogin_flood_limit = 0\naccount_failure_limit = 0\n"
        }
        Limiter::Shared => {
            "[service]\ntrusted_ip_header = \"X-Forwarded-For\"\ntrusted_proxies = [\"127.0.0.1/32\"]\n"
        }
    }
}

/// Starts the emulator and the service on `url`, and binds `users` returning users.
pub async fn start(store: &Store, url: &str, key: &DataKey, users: usize) -> anyhow::Result<World> {
    start_with(store, url, key, users, Limiter::Off).await
}

/// [`start`] with the given limiter.
pub async fn start_with(
    store: &Store,
    url: &str,
    key: &DataKey,
    users: usize,
    limiter: Limiter,
) -> anyhow::Result<World> {
    start_configured(store, url, key, users, limiter, "").await
}

/// [`start_with`] with `extra` appended to the service's config file (a `[retention]` section).
pub async fn start_configured(
    store: &Store,
    url: &str,
    key: &DataKey,
    users: usize,
    limiter: Limiter,
    extra: &str,
) -> anyhow::Result<World> {
    let dir = ScratchDir::new("wxlogin-bench-service.")?;
    let apps: Vec<AppCredentials> = APPIDS
        .iter()
        .map(|appid| AppCredentials {
            appid: (*appid).to_owned(),
            name: None,
            secret: Secret::new(hex::encode(rand::random::<[u8; 16]>())),
        })
        .collect();
    let emu = emulator::spawn(
        EmulatorConfig::with_apps(apps.clone()).rate_limit_per_minute(0),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .context("start the WeChat emulator")?;
    let mut config = format!(
        "[wechat]\nbase_url = \"{}\"\n\n{}",
        emu.base_url(),
        service_section(limiter)
    );
    for (i, app) in apps.iter().enumerate() {
        let secret_file = dir.path().join(format!("secret-{i}"));
        write_private(&secret_file, app.secret.expose())?;
        config.push_str(&format!(
            "\n[[apps]]\nappid = \"{}\"\nsecret_file = \"{}\"\n",
            app.appid,
            secret_file.display()
        ));
    }
    config.push_str(extra);
    let config_file = dir.path().join("wxlogin.toml");
    write_private(&config_file, &config)?;

    // Returning users: bound to synthetic accounts, each with a live SessionId.
    let appid = APPIDS[LOGIN_APP];
    let mut names = Vec::with_capacity(users);
    let mut tokens = Vec::with_capacity(users);
    let sk = Secret::new("c2Vzc2lvbmtleWJlbmNoMDAwMA==");
    let mut account = 1i64;
    while names.len() < users {
        account += 2;
        if synth::is_disabled(account) {
            continue;
        }
        let user = format!("bench-user-{}", names.len());
        let openid = emulator::openid(appid, &user);
        let s = NewSession {
            appid,
            openid: &openid,
            unionid: None,
            session_key: &sk,
            client_ip: Some("127.0.0.1"),
            user_agent: Some("wxlogin-bench"),
            ttl: chrono::Duration::days(30),
            idle: chrono::Duration::days(7),
        };
        match store.bind_and_login(key, account + 1, &s).await? {
            LoginOutcome::Issued(i) => {
                tokens.push(i.token.expose().to_owned());
                names.push(user);
            }
            other => bail!("binding bench user {user} failed: {other:?}"),
        }
    }

    let key = key.to_base64();
    let service = spawn_serve(&config_file, url, &key, &[]).await?;
    Ok(World {
        emulator: Arc::new(emu),
        service,
        users: names,
        tokens,
        appid,
        config_file,
        key,
        _config_dir: dir,
    })
}

/// Starts `wxlogin serve` with `config_file` on `url` and a free loopback port, and waits until
/// it answers `/healthz` (at most 20 s). Its log is in a scratch directory of its own.
async fn spawn_serve(
    config_file: &std::path::Path,
    url: &str,
    key: &str,
    env: &[(&str, &str)],
) -> anyhow::Result<ServiceProcess> {
    let dir = ScratchDir::new("wxlogin-bench-serve.")?;
    let port = free_port()?;
    let log_path = dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path)?;
    let child = Command::new(std::env::current_exe()?)
        .args(["--config"])
        .arg(config_file)
        .args([
            "serve",
            "--allow-insecure-wechat",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("DATABASE_URL", url)
        .env("WXLOGIN_DATA_KEY", key)
        .env("RUST_LOG", "error")
        .envs(env.iter().copied())
        .env_remove("WXLOGIN_APPID")
        .env_remove("WXLOGIN_APP_SECRET")
        .env_remove("WXLOGIN_APP_SECRET_FILE")
        .env_remove("WXLOGIN_WECHAT_BASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .context("start wxlogin serve")?;
    let mut service = ServiceProcess {
        child,
        base_url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    };
    // Ready when /healthz answers (at most 20 s).
    let http = super::load::client(1)?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = http
            .get(format!("{}/healthz", service.base_url))
            .send()
            .await
            && r.status().is_success()
        {
            break;
        }
        if let Some(status) = service.child.try_wait()? {
            let err = std::fs::read_to_string(&log_path).unwrap_or_default();
            bail!("wxlogin serve exited ({status}): {}", err.trim());
        }
        if Instant::now() > deadline {
            bail!("wxlogin serve did not answer /healthz within 20 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(service)
}
