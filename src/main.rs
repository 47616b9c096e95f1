//! `wxlogin`: argument parsing and dispatch only.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use wxlogin::config::{self, ConfigFile, GlobalOpts};
use wxlogin::exit::Failure;
use wxlogin::store::Store;

const EXIT_CODES: &str = "Exit codes: 0 success, 1 runtime error (database, WeChat), 2 usage error, \
3 nothing matched, 4 refused (read-only, no confirmation).";

#[derive(Parser)]
#[command(name = "wxlogin", version, about = "WeChat Mini Program login backend and its operations console", after_help = EXIT_CODES)]
struct Cli {
    #[command(flatten)]
    global: GlobalOpts,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply database migrations (PostgreSQL needs this once per release; SQLite does it itself).
    Migrate,
    /// The login service: POST /login, GET /me, POST /logout, /healthz, /metrics.
    Serve(wxlogin::service::ServeArgs),
    /// Drive realistic mini-program clients through the real login flow over HTTP.
    Simulate(wxlogin::simulate::SimulateArgs),
    /// Everything wired together on a fresh embedded database, with simulated traffic.
    Demo(wxlogin::demo::DemoArgs),
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let file = ConfigFile::from_opts(&cli.global)?;
    match cli.command {
        Command::Migrate => {
            let url = config::database_url(&cli.global, &file)?;
            let store = Store::connect(&url, Default::default()).await?;
            store.migrate().await?;
            println!("{}: schema is up to date", store.redacted_url());
            Ok(())
        }
        Command::Serve(args) => wxlogin::service::run(&cli.global, &file, &args).await,
        Command::Simulate(args) => wxlogin::simulate::run(&cli.global, &file, &args).await,
        Command::Demo(args) => wxlogin::demo::run(&cli.global, &args).await,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The service logs its requests (info) unless told otherwise.
    let serving = matches!(cli.command, Command::Serve(_)) as u8;
    init_logging(cli.global.verbose.saturating_add(serving));
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wxlogin: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("wxlogin: {}", f.message);
            ExitCode::from(f.code as u8)
        }
    }
}
