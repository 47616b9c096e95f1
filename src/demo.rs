//! `wxlogin demo`: the newcomer's first command. With nothing configured it makes a fresh data
//! directory with an embedded SQLite database and a data key, starts the WeChat emulator and
//! the login service in-process on loopback ports, creates business accounts, runs simulated
//! mini-program clients through the real flow, does a few operator actions, and leaves the
//! servers running so the console (or curl) can look at it all.
//!
//! Every session row is written by the real service. Expired sessions are real too: the
//! service's store runs on a clock the demo sets into the past for the early waves of traffic
//! (a user who logged in 40 days ago and never came back has an expired session today).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::Utc;

use crate::config::{self, GlobalOpts};
use crate::crypto::DataKey;
use crate::exit::Failure;
use crate::mock_wechat::{
    self as emulator, DEMO_APPID, DEMO_SECRET, EmulatorConfig, EmulatorHandle,
};
use crate::operator::{Actor, Role};
use crate::ops;
use crate::secret::Secret;
use crate::service::{self, ServiceConfig, ServiceHandle, ServiceState};
use crate::simulate::{self, SimOptions, Summary};
use crate::store::{BindingQuery, SessionFilter, Store};
use crate::wechat::{AppCredentials, WechatClient, WechatConfig};

/// The demo's second mini program: bound to the same Open Platform account as the first, so
/// its logins carry the same unionid.
pub const DEMO_APPID_2: &str = "wxdemo0000000002";
/// The demo's third mini program: not bound to an Open Platform account (no unionid).
pub const DEMO_APPID_3: &str = "wxdemo0000000003";
const DEMO_SECRET_2: &str = "demo-secret-2-not-for-production";
const DEMO_SECRET_3: &str = "demo-secret-3-not-for-production";

/// `wxlogin demo`
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Data directory to create. Default: a new `demo-<timestamp>` in the per-user data
    /// directory (e.g. ~/.local/share/wxlogin/).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Simulated people.
    #[arg(long, default_value_t = 300)]
    pub users: u32,
    /// Login flows in total, spread over the last 50 days.
    #[arg(long, default_value_t = 1200)]
    pub logins: u32,
    /// Random seed for the simulated traffic.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Port for the login service on 127.0.0.1 (default: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Port for the WeChat emulator on 127.0.0.1 (default: any free port).
    #[arg(long, default_value_t = 0)]
    pub wechat_port: u16,
    /// Do not open the console: print how to reach everything and serve until Ctrl-C.
    #[arg(long)]
    pub no_console: bool,
    /// Stop the servers and exit as soon as the data is made.
    #[arg(long)]
    pub exit: bool,
}

/// What the demo made; the servers run until [`DemoWorld::shutdown`].
pub struct DemoWorld {
    pub dir: PathBuf,
    pub database_url: String,
    pub config_file: PathBuf,
    pub data_key_file: PathBuf,
    pub store: Store,
    pub emulator: EmulatorHandle,
    pub service: ServiceHandle,
    pub state: ServiceState,
    pub users: u32,
    pub waves: Vec<(String, Summary)>,
    pub operator_actions: Vec<String>,
}

impl DemoWorld {
    pub async fn shutdown(self) {
        let _ = self.service.shutdown().await;
        self.emulator.shutdown().await;
        self.store.close().await;
    }
}

/// Options for [`build`].
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub dir: PathBuf,
    pub users: u32,
    pub logins: u32,
    pub seed: u64,
    pub service_addr: SocketAddr,
    pub wechat_addr: SocketAddr,
    /// Print progress lines on stderr.
    pub verbose: bool,
    /// A database server to fill instead of an embedded SQLite file in `dir`
    /// (`--database-url`): migrated here, and refused unless it holds no accounts.
    pub database_url: Option<String>,
}

/// `demo-20261121-230412` under the per-user data directory.
pub fn default_dir() -> Result<PathBuf, Failure> {
    let base = config::default_sqlite_path()?
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| Failure::runtime("no data directory for the demo; pass --dir"))?;
    Ok(base.join(format!("demo-{}", Utc::now().format("%Y%m%d-%H%M%S"))))
}

fn demo_apps() -> Vec<AppCredentials> {
    vec![
        AppCredentials {
            appid: DEMO_APPID.to_owned(),
            name: Some("Demo Shop".to_owned()),
            secret: Secret::new(DEMO_SECRET),
        },
        AppCredentials {
            appid: DEMO_APPID_2.to_owned(),
            name: Some("Demo Loyalty".to_owned()),
            secret: Secret::new(DEMO_SECRET_2),
        },
        AppCredentials {
            appid: DEMO_APPID_3.to_owned(),
            name: Some("Demo Events".to_owned()),
            secret: Secret::new(DEMO_SECRET_3),
        },
    ]
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

fn progress(on: bool, line: &str) {
    if on {
        eprintln!("demo: {line}");
    }
}

/// One wave of traffic: (days before now, share of the login flows, seed offset).
const WAVES: [(f64, u32, &str); 8] = [
    (50.0, 25, "50 days ago"),
    (38.0, 8, "38 days ago"),
    (25.0, 8, "25 days ago"),
    (12.0, 10, "12 days ago"),
    (8.0, 9, "8 days ago"),
    (4.0, 12, "4 days ago"),
    (1.0, 12, "yesterday"),
    (0.0, 16, "today"),
];

/// Makes the demo world: database, key, emulator, service, accounts, traffic, operator actions.
pub async fn build(opts: &DemoOptions) -> Result<DemoWorld, Failure> {
    let dir = &opts.dir;
    if dir.join("wxlogin.db").exists() {
        return Err(Failure::usage(format!(
            "{} already holds a demo database; pick another --dir",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::runtime(format!("cannot create {}: {e}", dir.display())))?;
    let key = DataKey::generate();
    let data_key_file = dir.join("data.key");
    write_private(&data_key_file, &format!("{}\n", key.to_base64()))
        .map_err(|e| Failure::runtime(format!("cannot write {}: {e}", data_key_file.display())))?;
    let database_url = match &opts.database_url {
        Some(url) => url.clone(),
        None => config::sqlite_url(&dir.join("wxlogin.db")),
    };
    if opts.database_url.is_some() {
        // A server database (PostgreSQL, MariaDB): brought up to date, and only an empty one
        // is filled, so a demo never mixes its made-up users into real data.
        let store = Store::connect(&database_url, Default::default()).await?;
        let admin = Actor::new("demo", Role::Oncall, None);
        crate::ops::migrate(&store, &admin).await?;
        if store.account_by_username("user-1").await?.is_some() {
            return Err(Failure::usage(format!(
                "{} already holds a demo (account user-1 exists); use an empty database",
                store.redacted_url()
            )));
        }
        store.close().await;
    }

    // The service's store runs on a clock the waves below move into the past.
    let offset_secs = Arc::new(AtomicI64::new(0));
    let clock_offset = offset_secs.clone();
    let store = service::open_store(&database_url, 8).await?;
    let service_store = store.clone().with_clock(Arc::new(move || {
        Utc::now() + chrono::Duration::seconds(clock_offset.load(Ordering::Relaxed))
    }));
    progress(opts.verbose, &format!("database {}", store.redacted_url()));

    let apps = demo_apps();
    let emulator = emulator::spawn(
        EmulatorConfig::with_apps(apps.clone())
            .unionid_app(DEMO_APPID)
            .unionid_app(DEMO_APPID_2)
            // The simulated users log in far more often than a person would.
            .rate_limit_per_minute(0),
        opts.wechat_addr,
    )
    .await
    .map_err(|e| Failure::runtime(format!("cannot start the WeChat emulator: {e}")))?;
    progress(
        opts.verbose,
        &format!("WeChat emulator at {}", emulator.base_url()),
    );

    let wechat = WechatClient::new(WechatConfig::new(emulator.base_url(), apps.clone()))
        .map_err(|e| Failure::runtime(e.to_string()))?;
    let cfg = ServiceConfig {
        trusted_ip_header: Some(axum::http::HeaderName::from_static("x-forwarded-for")),
        login_rate_limit: 60,
        login_flood_limit: 60,
        ..ServiceConfig::default()
    };
    let state = ServiceState::new(service_store, key, wechat, cfg);
    let service = service::spawn(state.clone(), opts.service_addr)
        .await
        .map_err(|e| Failure::runtime(format!("cannot start the login service: {e}")))?;
    progress(
        opts.verbose,
        &format!("login service at {}", service.base_url()),
    );

    let config_file = dir.join("wxlogin.toml");
    write_private(
        &config_file,
        &config_text(
            &config_file,
            &database_url,
            &data_key_file,
            &emulator.base_url(),
            &apps,
        ),
    )
    .map_err(|e| Failure::runtime(format!("cannot write {}: {e}", config_file.display())))?;

    let created = simulate::ensure_accounts(&store, "user", opts.users).await?;
    progress(
        opts.verbose,
        &format!("{created} business accounts user-1…user-{}", opts.users),
    );

    let appids: Vec<String> = apps.iter().map(|a| a.appid.clone()).collect();
    let total_share: u32 = WAVES.iter().map(|w| w.1).sum();
    let mut waves = Vec::new();
    for (i, (days_ago, share, label)) in WAVES.iter().enumerate() {
        offset_secs.store(-(days_ago * 86_400.0) as i64, Ordering::Relaxed);
        let mut o = SimOptions::new(service.base_url(), emulator.base_url(), appids.clone());
        o.users = opts.users;
        // The first wave is everyone's first login; later waves are returning users.
        o.logins = if i == 0 {
            opts.users.max(opts.logins * share / total_share)
        } else {
            opts.logins * share / total_share
        };
        o.concurrency = 8;
        o.seed = opts.seed.wrapping_add(i as u64);
        o.ip_header = Some("X-Forwarded-For".to_owned());
        o.prefix = "user".to_owned();
        let s = simulate::run_sim(o).await?;
        progress(
            opts.verbose,
            &format!(
                "traffic {label}: {} logins ({} first-time), {} /me, {} logouts",
                s.count("login.silent") + s.count("login.bound"),
                s.count("login.bound"),
                s.count("me.ok"),
                s.count("logout.ok"),
            ),
        );
        waves.push((label.to_string(), s));
    }
    offset_secs.store(0, Ordering::Relaxed);

    let operator_actions = operator_actions(&store, &service).await?;
    for a in &operator_actions {
        progress(opts.verbose, a);
    }

    Ok(DemoWorld {
        dir: dir.clone(),
        database_url,
        config_file,
        data_key_file,
        store,
        emulator,
        service,
        state,
        users: opts.users,
        waves,
        operator_actions,
    })
}

/// What an operator would do on a normal day, so the audit log has something to show.
async fn operator_actions(store: &Store, service: &ServiceHandle) -> Result<Vec<String>, Failure> {
    let mut done = Vec::new();
    let alice = Actor::new("alice", Role::Oncall, Some("ssh:192.0.2.10".to_owned()));
    let bob = Actor::new("bob", Role::Support, Some("ssh:192.0.2.11".to_owned()));

    // A phone reported stolen: every live session of that user ends.
    let stolen = SessionFilter {
        username: Some("user-3".into()),
        ..Default::default()
    };
    let out = ops::revoke_matching(
        store,
        &alice,
        &stolen,
        "phone reported stolen (ticket SUP-1042)",
        crate::store::DEFAULT_REVOKE_BATCH,
        &mut |_| true,
    )
    .await?;
    done.push(format!(
        "alice revoked user-3's {} live sessions (phone reported stolen)",
        out.revoked
    ));
    // One session with a hostile-looking user agent.
    let recent = store
        .list_sessions(&SessionFilter::default(), None, 500)
        .await?
        .rows;
    if let Some(r) = recent.iter().find(|r| {
        r.user_agent
            .as_deref()
            .is_some_and(|u| u.contains("DROP TABLE") || u.contains('\u{9b}'))
    }) {
        let out = ops::revoke_sessions(
            store,
            &bob,
            std::slice::from_ref(&r.public_id),
            "user agent carries an injection attempt",
        )
        .await?;
        if !out.revoked.is_empty() {
            done.push(format!(
                "bob revoked {} of {} (hostile user agent)",
                r.public_id, r.username
            ));
        }
    }
    // Unbind one WeChat identity (the user asked to switch accounts): the busiest binding
    // of user-7, so its live sessions end with it.
    let mut b7 = store
        .find_bindings(&BindingQuery::Username("user-7".into()))
        .await?;
    b7.sort_by_key(|b| std::cmp::Reverse(b.active_sessions));
    if let Some(b) = b7.into_iter().next()
        && let Ok(u) = ops::unbind(
            store,
            &bob,
            &b.appid,
            &b.openid,
            "user asked to rebind (ticket SUP-1077)",
        )
        .await
    {
        done.push(format!(
            "bob unbound user-7 in {} ({} sessions revoked)",
            u.appid, u.sessions_revoked
        ));
    }
    // Disable an account (left the company); its sessions end with it.
    if let Some(acc) = store.account_by_username("user-13").await?
        && let Some(n) = ops::disable_account(store, &alice, acc.id, "offboarded (HR-311)").await?
    {
        done.push(format!("alice disabled user-13 ({n} sessions revoked)"));
    }
    // A burst of guessed codes from one address: the per-address login limit stops it.
    let http = reqwest::Client::new();
    let mut limited = 0;
    for i in 0..80 {
        let r = http
            .post(format!("{}/login", service.base_url()))
            .header("X-Forwarded-For", "198.51.100.250")
            .header("User-Agent", "python-requests/2.31.0")
            .json(&serde_json::json!({ "appid": DEMO_APPID, "code": format!("guess{i:027}") }))
            .send()
            .await;
        if r.is_ok_and(|r| r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS) {
            limited += 1;
        }
    }
    done.push(format!(
        "a code-guessing burst of 80 logins from 198.51.100.250: {limited} refused by the rate limit"
    ));
    Ok(done)
}

fn config_text(
    this: &Path,
    db: &str,
    key_file: &Path,
    wechat: &str,
    apps: &[AppCredentials],
) -> String {
    let mut s = format!(
        "# Made by `wxlogin demo`: an embedded database, the WeChat emulator, demo apps.\n\
         # Use with: wxlogin --config {} console\n\
         database_url = {db:?}\n\
         data_key_file = {:?}\n\n\
         [wechat]\nbase_url = {wechat:?}\n\n",
        this.display(),
        key_file.display().to_string(),
    );
    for a in apps {
        s.push_str(&format!(
            "[[apps]]\nappid = {:?}\nname = {:?}\n# A public demo secret: only the emulator accepts it.\nsecret = {:?}\n\n",
            a.appid,
            a.name.clone().unwrap_or_default(),
            a.secret.expose()
        ));
    }
    // No trusted_ip_header: a service started from this file is reached directly, and a
    // forwarded-for header from a direct client is whatever it wants its address to be.
    s.push_str(
        "[service]\n\
         # Behind a reverse proxy, set trusted_ip_header and trusted_proxies; never without one.\n\
         login_rate_limit = 60\n",
    );
    s
}

/// Prints where everything is.
pub fn print_world(w: &DemoWorld) {
    let cfg = w.config_file.display();
    let svc = w.service.base_url();
    let emu = w.emulator.base_url();
    let (mut logins, mut first, mut logouts) = (0, 0, 0);
    for (_, s) in &w.waves {
        logins += s.count("login.silent") + s.count("login.bound");
        first += s.count("login.bound");
        logouts += s.count("logout.ok");
    }
    println!();
    println!("wxlogin demo is ready.");
    println!("  data directory   {}", w.dir.display());
    println!(
        "  database         {}",
        crate::store::redact_database_url(&w.database_url)
    );
    println!("  data key         {}", w.data_key_file.display());
    println!("  config file      {cfg}");
    println!("  login service    {svc}   (POST /login, GET /me, POST /logout, /healthz, /metrics)");
    println!("  WeChat emulator  {emu}   (POST /mock/wx.login mints codes)");
    println!("  mini programs    {DEMO_APPID} (unionid), {DEMO_APPID_2} (unionid), {DEMO_APPID_3}");
    println!(
        "  made             {logins} logins ({first} first-time bindings), {logouts} logouts, accounts user-1…user-{} (password {:?})",
        w.users,
        simulate::SIM_PASSWORD
    );
    for a in &w.operator_actions {
        println!("  operator         {a}");
    }
    println!();
    println!("Try it:");
    println!(
        "  code=$(curl -s {emu}/mock/wx.login -d '{{\"appid\":\"{DEMO_APPID}\",\"user\":\"user-1\"}}' -H 'content-type: application/json' | sed 's/.*\"code\":\"\\([^\"]*\\)\".*/\\1/')"
    );
    println!(
        "  curl -s {svc}/login -H 'content-type: application/json' -d '{{\"appid\":\"{DEMO_APPID}\",\"code\":\"'$code'\"}}'"
    );
    println!("  curl -s {svc}/me -H \"Authorization: Bearer <session_id from above>\"");
    println!(
        "  wxlogin --config {cfg} console      (while this demo runs: test code exchanges use the emulator)"
    );
    println!("  wxlogin --config {cfg} sessions list");
}

/// `wxlogin demo`
pub async fn run(global: &GlobalOpts, args: &DemoArgs) -> Result<(), Failure> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => default_dir()?,
    };
    let opts = DemoOptions {
        dir,
        users: args.users.max(1),
        logins: args.logins,
        seed: args.seed,
        service_addr: SocketAddr::from(([127, 0, 0, 1], args.port)),
        wechat_addr: SocketAddr::from(([127, 0, 0, 1], args.wechat_port)),
        verbose: true,
        database_url: global.database_url.clone(),
    };
    eprintln!(
        "demo: making a demo world in {} (this takes a minute: first logins check Argon2id passwords)",
        opts.dir.display()
    );
    let world = build(&opts).await?;
    print_world(&world);
    if args.exit {
        world.shutdown().await;
        return Ok(());
    }
    use std::io::IsTerminal;
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if !args.no_console && interactive {
        // The console reads the demo's config file: its database, and the emulator for
        // test code exchanges. The servers keep running underneath it.
        let console_opts = GlobalOpts {
            database_url: None,
            config: Some(world.config_file.clone()),
            ..global.clone()
        };
        let result =
            crate::console::run(&console_opts, crate::console::ConsoleArgs::default()).await;
        let config_file = world.config_file.clone();
        world.shutdown().await;
        eprintln!(
            "demo: servers stopped; the data stays in {} (open it again with: wxlogin --config {} console)",
            opts.dir.display(),
            config_file.display()
        );
        return result;
    }
    if !args.no_console {
        println!();
        println!("(not a terminal, so the console was not opened)");
    }
    println!();
    println!("The servers run until Ctrl-C.");
    service::shutdown_signal().await;
    world.shutdown().await;
    eprintln!(
        "demo: servers stopped; the data stays in {}",
        opts.dir.display()
    );
    Ok(())
}
