//! `wxlogin console`: the operations console (ratatui on tokio).
//!
//! Shape (after ratatui's component template, gitui, oxker and k9s):
//! - [`keymap`] is the one key table: input handling, the `?` help screen, the footer and
//!   every hint on screen read their keys from it. Keys become [`action::Action`]s.
//! - Each view ([`views`]) owns its state, handles its own actions and background results, and
//!   draws itself; what it needs from outside it returns as [`effect::Effect`]s. The
//!   confirmation dialog ([`confirm`]) owns the whole life of a destructive operation.
//! - [`app::App`] routes: actions to the view shown, background messages ([`tasks::Msg`]) to
//!   the component that asked, effects to where they go.
//! - A console is built from a [`ConsoleContext`] (operator, theme, size…) and run by
//!   [`driver::drive`] on a stream of input [`event::Event`]s and a backend. The local terminal
//!   ([`terminal`]) is one adapter; tests drive others.
//!
//! Tests drive the app with [`app::App::handle_key`] and wait for its background work with
//! [`app::App::settle`], or feed [`driver::drive`] a script.

pub mod action;
pub mod app;
pub mod confirm;
pub mod context;
pub mod copy;
pub mod driver;
pub mod effect;
pub mod event;
// Export (`:export`).
pub mod export;
pub mod filter;
pub mod help;
pub mod input;
pub mod keymap;
pub mod prompt;
pub mod tasks;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod views;
pub mod widgets;
pub mod window;

use std::io::IsTerminal;
use std::time::Duration;

use crate::config::{self, ConfigFile, GlobalOpts};
use crate::exit::Failure;
use crate::operator::Role;
use crate::store::Store;

pub use app::App;
pub use context::ConsoleContext;
pub use views::View;

/// Live refresh interval when neither `--refresh-secs` nor the config file says.
pub const DEFAULT_REFRESH_SECS: u64 = 5;

/// `wxlogin console` options. `ConsoleArgs::default()` is the console as typed without options
/// (for `wxlogin demo`, which opens it on the world it made).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConsoleArgs {
    /// Seconds between live refreshes of Sessions and Audit (0 turns live refresh off).
    /// Default: `[console] refresh_secs` in the config file, else 5.
    #[arg(long, value_name = "SECS")]
    pub refresh_secs: Option<u64>,

    /// View to open first.
    #[arg(long, value_enum, default_value_t = StartView::Sessions)]
    pub view: StartView,

    /// Initial Sessions filter, as typed after `:sessions` (e.g. "username=alice all", "account=42").
    #[arg(long, value_name = "FILTER")]
    pub filter: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum StartView {
    #[default]
    Sessions,
    Bindings,
    Exchange,
    Audit,
}

/// Log output would scribble over the screen: while the console runs, tracing goes to a file
/// (`WXLOGIN_CONSOLE_LOG`, or `console.log` next to the embedded database) and only with -v.
pub fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let path = std::env::var_os("WXLOGIN_CONSOLE_LOG")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            config::default_sqlite_path()
                .ok()
                .and_then(|p| p.parent().map(|d| d.join("console.log")))
        });
    let Some(path) = path else { return };
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

/// Opens the database and runs the console until the operator quits.
pub async fn run(global: &GlobalOpts, args: ConsoleArgs) -> Result<(), Failure> {
    let file = ConfigFile::from_opts(global)?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Failure::usage(
            "the console needs an interactive terminal; in scripts use the headless commands (wxlogin sessions, bindings, audit …)",
        ));
    }
    let lang = config::resolve_lang(global, &file).map_err(|e| Failure::usage(e.to_string()))?;
    let initial_filter = match &args.filter {
        Some(f) => Some(filter::parse_session_filter(&lang.tr(), f).map_err(Failure::usage)?),
        None => None,
    };
    let url = config::database_url(global, &file)?;
    let actor = config::resolve_actor(global, &file)?;
    // A viewer's console never changes the database, not even an SQLite schema.
    let store = if actor.role == Role::Viewer {
        Store::open_read_only(&url, Default::default()).await?
    } else {
        Store::open(&url).await?
    };
    let refresh = match args.refresh_secs.or(file.console.refresh_secs) {
        Some(0) => Duration::MAX,
        Some(s) => Duration::from_secs(s),
        None => Duration::from_secs(DEFAULT_REFRESH_SECS),
    };
    let mut ctx = ConsoleContext::new(store, actor);
    ctx.tr = lang.tr();
    ctx.read_only = ctx.actor.role == Role::Viewer;
    ctx.refresh = refresh;
    ctx.exchange = views::exchange::ExchangeSetup::from_config(&file);
    ctx.sparkline = file.console.sparkline.unwrap_or_default();
    // Support tools (environment).
    if let Some(env) = file.environment.as_deref().filter(|e| !e.trim().is_empty()) {
        ctx.dangerous_environment =
            context::is_dangerous_environment(env, &file.dangerous_environments);
        ctx.environment = Some(env.trim().to_owned());
    }
    // This console is for whoever sits at this terminal: their NO_COLOR, their size.
    ctx.theme = theme::Theme::for_no_color(std::env::var_os("NO_COLOR").as_deref());
    ctx.size = terminal::size().unwrap_or(ctx.size);
    let mut app = App::new(ctx);
    if let Some(f) = initial_filter {
        app.set_session_filter(f);
    }
    match args.view {
        StartView::Sessions => {}
        StartView::Bindings => app.show(View::Bindings),
        StartView::Exchange => app.show(View::Exchange),
        StartView::Audit => app.show(View::Audit),
    }
    match terminal::run(app).await {
        Ok(driver::Exit::Signal(name)) => {
            eprintln!("wxlogin console: stopped by {name}");
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::runtime(format!("terminal error: {e}"))),
    }
}
