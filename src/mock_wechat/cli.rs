//! `wxlogin mock-wechat`: the emulator as a process.

use std::net::SocketAddr;

use super::{DEMO_APPID, DEMO_SECRET, EmulatorConfig, Faults, demo_app, spawn};
use crate::exit::Failure;
use crate::secret::Secret;
use crate::wechat::AppCredentials;

/// Run a WeChat code2Session emulator for tests, demos and drills (never for production).
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Mint a code as wx.login() would, then exchange it:\n  \
curl -s -X POST http://127.0.0.1:9080/mock/wx.login -d '{\"appid\":\"wxdemo0000000001\",\"user\":\"alice\"}'\n  \
curl -s 'http://127.0.0.1:9080/sns/jscode2session?appid=wxdemo0000000001&secret=demo-secret-not-for-production&js_code=CODE&grant_type=authorization_code'\n\
Change faults at runtime:\n  \
curl -s -X POST http://127.0.0.1:9080/mock/admin/faults -H 'Content-Type: application/json' -d '{\"busy_rate\":0.5,\"latency_ms\":800}'\n\
Get an access token (the same one until it expires):\n  \
curl -s -X POST http://127.0.0.1:9080/cgi-bin/stable_token -d '{\"grant_type\":\"client_credential\",\"appid\":\"wxdemo0000000001\",\"secret\":\"demo-secret-not-for-production\",\"force_refresh\":false}'")]
pub struct MockWechatArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:9080", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,

    /// A mini program the emulator knows, as APPID:SECRET (test secrets only: argv is public).
    /// Repeatable. Default: the demo app wxdemo0000000001.
    #[arg(long = "app", value_name = "APPID:SECRET", value_parser = parse_app)]
    pub apps: Vec<AppCredentials>,

    /// An appid bound to an Open Platform account: its logins return a unionid. Repeatable.
    #[arg(long = "unionid-app", value_name = "APPID")]
    pub unionid_apps: Vec<String>,

    /// code2Session calls allowed per user per minute before errcode 45011 (0 = no limit).
    #[arg(long, default_value_t = super::DEFAULT_RATE_LIMIT_PER_MINUTE, value_name = "N")]
    pub rate_limit_per_minute: u32,

    /// A user whose logins are refused with errcode 40226. Repeatable.
    #[arg(long = "high-risk-user", value_name = "USER")]
    pub high_risk_users: Vec<String>,

    /// Fraction (0.0-1.0) of code2Session calls answered with errcode -1 (system busy).
    #[arg(long, default_value_t = 0.0, value_name = "FRACTION", value_parser = parse_rate)]
    pub busy_rate: f64,

    /// Milliseconds added to every code2Session answer.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency_ms: u64,

    /// Answer every code2Session call with HTTP 502 (a failing gateway).
    #[arg(long)]
    pub http_502: bool,

    /// Answer every code2Session call with an HTML page instead of JSON.
    #[arg(long)]
    pub non_json: bool,

    /// A file holding a token the admin endpoints then require (Authorization: Bearer TOKEN).
    /// Or set WXLOGIN_MOCK_ADMIN_TOKEN. Never given on the command line: argv is public.
    #[arg(long, value_name = "FILE")]
    pub admin_token_file: Option<std::path::PathBuf>,
}

/// The environment variable holding the admin token (the alternative to --admin-token-file).
pub const ADMIN_TOKEN_ENV: &str = "WXLOGIN_MOCK_ADMIN_TOKEN";

fn parse_app(s: &str) -> Result<AppCredentials, String> {
    match s.split_once(':') {
        Some((appid, secret)) if !appid.trim().is_empty() && !secret.is_empty() => {
            Ok(AppCredentials {
                appid: appid.trim().to_owned(),
                name: None,
                secret: Secret::new(secret),
            })
        }
        _ => Err("expected APPID:SECRET, e.g. wxtest0000000002:test-secret".into()),
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err("expected a fraction from 0.0 to 1.0, e.g. 0.2".into()),
    }
}

impl MockWechatArgs {
    /// The admin token from `--admin-token-file`, else from `env` (the value of
    /// WXLOGIN_MOCK_ADMIN_TOKEN), else none.
    pub fn admin_token(&self, env: Option<String>) -> Result<Option<Secret>, Failure> {
        let token = match &self.admin_token_file {
            Some(path) => Secret::new(
                std::fs::read_to_string(path)
                    .map_err(|e| {
                        Failure::usage(format!(
                            "cannot read --admin-token-file {}: {e}",
                            path.display()
                        ))
                    })?
                    .trim()
                    .to_owned(),
            ),
            None => match env {
                Some(v) => Secret::new(v.trim().to_owned()),
                None => return Ok(None),
            },
        };
        if token.expose().len() < 16 {
            return Err(Failure::usage(
                "the admin token must be at least 16 characters (e.g. head -c 24 /dev/urandom | base64)",
            ));
        }
        Ok(Some(token))
    }

    pub fn emulator_config(&self) -> Result<EmulatorConfig, Failure> {
        let apps = if self.apps.is_empty() {
            vec![demo_app()]
        } else {
            self.apps.clone()
        };
        for (i, a) in apps.iter().enumerate() {
            if apps[..i].iter().any(|b| b.appid == a.appid) {
                return Err(Failure::usage(format!(
                    "--app {} is given twice; give each appid once",
                    a.appid
                )));
            }
        }
        for u in &self.unionid_apps {
            if !apps.iter().any(|a| &a.appid == u) {
                return Err(Failure::usage(format!(
                    "--unionid-app {u} is not one of the emulated apps; add --app {u}:SECRET"
                )));
            }
        }
        Ok(EmulatorConfig {
            apps,
            unionid_apps: self.unionid_apps.clone(),
            rate_limit_per_minute: self.rate_limit_per_minute,
            high_risk_users: self.high_risk_users.clone(),
            faults: Faults {
                busy_rate: self.busy_rate,
                latency_ms: self.latency_ms,
                http_502: self.http_502,
                non_json: self.non_json,
                ..Faults::default()
            },
            ..EmulatorConfig::default()
        })
    }
}

/// Runs the emulator until Ctrl-C or SIGTERM.
pub async fn run(args: MockWechatArgs) -> Result<(), Failure> {
    let mut cfg = args.emulator_config()?;
    cfg.admin_token = args.admin_token(std::env::var(ADMIN_TOKEN_ENV).ok())?;
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "wxlogin: warning: the WeChat emulator listens on {}, not loopback; anyone who can reach it can mint codes (the admin endpoints still answer loopback Host names only)",
            args.listen
        );
    }
    let handle = spawn(cfg.clone(), args.listen).await.map_err(|e| {
        Failure::runtime(format!(
            "cannot listen on {}: {e}; pick another --listen address or port",
            args.listen
        ))
    })?;
    let base = handle.base_url();
    println!("mock WeChat (code2Session emulator) listening on {base}");
    for a in &cfg.apps {
        let unionid = if cfg.unionid_apps.contains(&a.appid) {
            ", returns unionid"
        } else {
            ""
        };
        println!("  app {}{unionid}", a.appid);
    }
    println!(
        "  rate limit {} calls/user/minute; high-risk users: {}",
        cfg.rate_limit_per_minute,
        if cfg.high_risk_users.is_empty() {
            "none".to_owned()
        } else {
            cfg.high_risk_users.join(", ")
        }
    );
    if cfg.faults != Faults::default() {
        println!("  faults: {:?}", cfg.faults);
    }
    println!(
        "  admin endpoints: loopback Host and Content-Type: application/json required{}",
        if cfg.admin_token.is_some() {
            ", plus Authorization: Bearer <admin token>"
        } else {
            ""
        }
    );
    let first = &cfg.apps[0].appid;
    if first == DEMO_APPID {
        println!(
            "point wxlogin at it: WXLOGIN_WECHAT_BASE_URL={base} WXLOGIN_APPID={DEMO_APPID} WXLOGIN_APP_SECRET={DEMO_SECRET}"
        );
    } else {
        println!(
            "point wxlogin at it: WXLOGIN_WECHAT_BASE_URL={base} WXLOGIN_APPID={first} WXLOGIN_APP_SECRET_FILE=<file with the secret given to --app>"
        );
    }
    println!(
        "mint a code: curl -s -X POST {base}/mock/wx.login -H 'Content-Type: application/json' -d '{{\"appid\":\"{first}\",\"user\":\"alice\"}}'"
    );
    println!("Ctrl-C stops it.");

    wait_for_stop().await;
    eprintln!("wxlogin: stopping the WeChat emulator");
    handle.shutdown().await;
    Ok(())
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: MockWechatArgs,
    }

    #[test]
    fn no_app_means_the_demo_app() {
        let cli = Cli::parse_from(["x"]);
        let cfg = cli.args.emulator_config().unwrap();
        assert_eq!(cfg.apps.len(), 1);
        assert_eq!(cfg.apps[0].appid, DEMO_APPID);
        assert_eq!(cfg.rate_limit_per_minute, 100);
    }

    #[test]
    fn apps_unionid_apps_and_faults_are_parsed() {
        let cli = Cli::parse_from([
            "x",
            "--app",
            "wxa:sa",
            "--app",
            "wxb:s:b",
            "--unionid-app",
            "wxb",
            "--high-risk-user",
            "mallory",
            "--busy-rate",
            "0.25",
            "--http-502",
        ]);
        let cfg = cli.args.emulator_config().unwrap();
        assert_eq!(cfg.apps[1].appid, "wxb");
        assert_eq!(cfg.apps[1].secret.expose(), "s:b");
        assert_eq!(cfg.unionid_apps, vec!["wxb"]);
        assert_eq!(cfg.high_risk_users, vec!["mallory"]);
        assert_eq!(cfg.faults.busy_rate, 0.25);
        assert!(cfg.faults.http_502);
    }

    #[test]
    fn the_admin_token_comes_from_a_file_or_the_environment_never_argv() {
        let cli = Cli::parse_from(["x"]);
        assert!(cli.args.admin_token(None).unwrap().is_none());
        let t = cli
            .args
            .admin_token(Some("env-token-0123456789\n".into()))
            .unwrap()
            .unwrap();
        assert_eq!(t.expose(), "env-token-0123456789");
        assert!(cli.args.admin_token(Some("short".into())).is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin.token");
        std::fs::write(&path, "file-token-0123456789\n").unwrap();
        let cli = Cli::parse_from(["x", "--admin-token-file", path.to_str().unwrap()]);
        let t = cli
            .args
            .admin_token(Some("ignored-env-token-xyz".into()))
            .unwrap()
            .unwrap();
        assert_eq!(t.expose(), "file-token-0123456789");
        assert!(Cli::try_parse_from(["x", "--admin-token", "abc"]).is_err());
    }

    #[test]
    fn bad_arguments_are_refused() {
        assert!(Cli::try_parse_from(["x", "--app", "nosecret"]).is_err());
        assert!(Cli::try_parse_from(["x", "--busy-rate", "1.5"]).is_err());
        let cli = Cli::parse_from(["x", "--unionid-app", "wxz"]);
        assert!(cli.args.emulator_config().is_err());
    }
}
