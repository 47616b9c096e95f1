//! `wxlogin`: argument parsing and dispatch only.

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use wxlogin::cli;
use wxlogin::config::{ConfigFile, GlobalOpts};
use wxlogin::exit::Failure;

const EXIT_CODES: &str = cli::EXIT_CODES_HELP;

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
    /// List, show and revoke login sessions.
    #[command(after_help = EXIT_CODES)]
    Sessions(cli::sessions::SessionsArgs),
    /// Show and remove openid-to-account bindings.
    #[command(after_help = EXIT_CODES)]
    Bindings(cli::bindings::BindingsArgs),
    /// Exchange a wx.login() code with WeChat (code2Session) and explain the answer.
    #[command(after_help = EXIT_CODES)]
    Exchange(cli::exchange::ExchangeArgs),
    /// Read the operator audit log.
    #[command(after_help = EXIT_CODES)]
    Audit(cli::audit::AuditArgs),
    /// Create, show and disable business accounts.
    #[command(after_help = EXIT_CODES)]
    Accounts(cli::accounts::AccountsArgs),
    /// The fleet at a glance: live sessions, instances, login outcomes, failing addresses.
    #[command(after_help = EXIT_CODES)]
    Stats(cli::stats::StatsArgs),
    /// Print a shell completion script.
    Completions(cli::completions::CompletionsArgs),
    /// Run a WeChat code2Session emulator for tests, demos and drills (never for production).
    MockWechat(wxlogin::mock_wechat::MockWechatArgs),
    /// The login service: POST /login, GET /me, POST /logout, /healthz, /metrics.
    Serve(wxlogin::service::ServeArgs),
    /// Drive realistic mini-program clients through the real login flow over HTTP.
    Simulate(wxlogin::simulate::SimulateArgs),
    /// Everything wired together on a fresh embedded database, with simulated traffic.
    Demo(wxlogin::demo::DemoArgs),
    /// The operations console (TUI): sessions, bindings, revoke, unbind, test code exchanges, audit.
    Console(wxlogin::console::ConsoleArgs),
    /// Fill an empty database with a realistic synthetic data set (for benchmarks and demos).
    SeedSynthetic(wxlogin::bench::seed::SeedArgs),
    /// Measure every performance target (issue 7) side by side and print the table.
    Bench(wxlogin::bench::BenchArgs),
    /// Serve the console and the headless commands over SSH, operators identified by key.
    SshServer(wxlogin::ssh::SshServerArgs),
}

/// A headless command run inside the SSH door (see `wxlogin::ssh::exec`): parsed by the same
/// parser as locally, on the door's store, as the key's owner, with the channel as its stdin,
/// stdout and stderr. Returns the exit status.
fn exec_in_door(
    argv: Vec<String>,
    remote: wxlogin::ssh::exec::Remote,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = u8> + Send>> {
    Box::pin(async move {
        let wxlogin::ssh::exec::Remote {
            actor,
            store,
            file,
            mut io,
            interrupted,
            lang: operator_lang,
        } = remote;
        // The operator's language (their entry's `lang`, else their client's LANG); a `--lang`
        // in the command line wins, as locally.
        let lang = cli::help::flag_lang(&argv).unwrap_or(operator_lang);
        let parsed = cli::help::localize(Cli::command(), &lang.tr())
            .try_get_matches_from(&argv)
            .and_then(|m| Cli::from_arg_matches(&m));
        let cli = match parsed {
            Ok(c) => c,
            Err(e) => {
                // Help and version on stdout with 0; a usage error on stderr with 2; plain text,
                // as clap writes it when the output is not a terminal.
                let text = e.render().to_string();
                let w = if e.use_stderr() {
                    &mut io.err
                } else {
                    &mut io.out
                };
                let _ = w.write_all(text.as_bytes()).and_then(|()| w.flush());
                return e.exit_code() as u8;
            }
        };
        let refuse = |io: &mut cli::Io, msg: &str| {
            let _ = writeln!(io.err, "wxlogin: {msg}").and_then(|()| io.err.flush());
            Failure::usage(msg).code as u8
        };
        let command = match cli.command {
            Command::Sessions(a) => Remote::Sessions(a),
            Command::Bindings(a) => Remote::Bindings(a),
            Command::Exchange(a) => Remote::Exchange(a),
            Command::Audit(a) => Remote::Audit(a),
            Command::Accounts(a) => Remote::Accounts(a),
            Command::Stats(a) => Remote::Stats(a),
            Command::Completions(a) => {
                let r = cli::completions::run(a, &mut Cli::command(), &mut io.out);
                let _ = io.out.flush();
                return match r {
                    Ok(()) => 0,
                    Err(f) => {
                        let _ = writeln!(io.err, "wxlogin: {}", f.message);
                        let _ = io.err.flush();
                        f.code as u8
                    }
                };
            }
            Command::Simulate(_) => {
                return refuse(
                    &mut io,
                    "`simulate` cannot be run through the door: it is a load generator, run it where the service is",
                );
            }
            Command::Migrate
            | Command::MockWechat(_)
            | Command::Serve(_)
            | Command::Demo(_)
            | Command::Console(_)
            | Command::SeedSynthetic(_)
            | Command::Bench(_)
            | Command::SshServer(_) => {
                return refuse(&mut io, "this command cannot be run through the door");
            }
        };
        let ctx =
            cli::Context::remote(&cli.global, file, actor, store, io, interrupted).with_lang(lang);
        let result = match command {
            Remote::Sessions(a) => cli::sessions::run(&ctx, a).await,
            Remote::Bindings(a) => cli::bindings::run(&ctx, a).await,
            Remote::Exchange(a) => cli::exchange::run(&ctx, a).await,
            Remote::Audit(a) => cli::audit::run(&ctx, a).await,
            Remote::Accounts(a) => cli::accounts::run(&ctx, a).await,
            Remote::Stats(a) => cli::stats::run(&ctx, a).await,
        };
        let code = match result.map_err(|f| ctx.localize(f)) {
            Ok(()) => 0,
            Err(f) => {
                let _ = writeln!(ctx.err(), "wxlogin: {}", f.message);
                f.code as u8
            }
        };
        // A reader that went away is not an error of the command (as `| head` locally).
        let _ = ctx.flush();
        code
    })
}

/// The commands the door runs in its own process.
enum Remote {
    Sessions(cli::sessions::SessionsArgs),
    Bindings(cli::bindings::BindingsArgs),
    Exchange(cli::exchange::ExchangeArgs),
    Audit(cli::audit::AuditArgs),
    Accounts(cli::accounts::AccountsArgs),
    Stats(cli::stats::StatsArgs),
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
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .try_init();
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let file = ConfigFile::from_opts(&cli.global)?;
    match cli.command {
        Command::Migrate => {
            let ctx = cli::Context::new(&cli.global, file)?;
            cli::migrate::run(&ctx).await.map_err(|f| ctx.localize(f))
        }
        Command::Sessions(a) => {
            let ctx = cli::Context::new(&cli.global, file)?;
            cli::sessions::run(&ctx, a)
                .await
                .map_err(|f| ctx.localize(f))
        }
        Command::Bindings(a) => {
            let ctx = cli::Context::new(&cli.global, file)?;
            cli::bindings::run(&ctx, a)
                .await
                .map_err(|f| ctx.localize(f))
        }
        Command::Exchange(a) => {
            let ctx = cli::Context::new(&cli.global, file)?;
            cli::exchange::run(&ctx, a)
                .await
                .map_err(|f| ctx.localize(f))
        }
        Command::Audit(a) => {
            let ctx = cli::Context::new(&cli.global, file)?;
            cli::audit::run(&ctx, a).await.map_err(|f| ctx.localize(f))
        }
        Command::Accounts(a) => {
            let ctx = cli::Context::new(&cli.global, file)?;
            cli::accounts::run(&ctx, a)
                .await
                .map_err(|f| ctx.localize(f))
        }
        Command::Stats(a) => {
            let ctx = cli::Context::new(&cli.global, file)?;
            cli::stats::run(&ctx, a).await.map_err(|f| ctx.localize(f))
        }
        Command::Completions(a) => {
            cli::completions::run(a, &mut Cli::command(), &mut std::io::stdout().lock())
        }
        Command::MockWechat(args) => wxlogin::mock_wechat::run(args).await,
        Command::Serve(args) => wxlogin::service::run(&cli.global, &file, &args).await,
        Command::Simulate(args) => wxlogin::simulate::run(&cli.global, &file, &args).await,
        Command::Demo(args) => wxlogin::demo::run(&cli.global, &args).await,
        Command::Console(args) => wxlogin::console::run(&cli.global, args).await,
        Command::SeedSynthetic(args) => wxlogin::bench::seed::run(&cli.global, &file, &args).await,
        Command::Bench(args) => wxlogin::bench::run(&cli.global, &file, &args).await,
        Command::SshServer(args) => wxlogin::ssh::run(&cli.global, &file, args, exec_in_door).await,
    }
}

/// Every word of the command line is text a person typed: checked once, here, before the
/// parser, the store or WeChat sees it (the door checks its exec words the same way). A word
/// that is not UTF-8, or holds NUL, control, bidi or invisible characters, is a usage error.
fn check_argv() -> Result<(), String> {
    for (i, word) in std::env::args_os().skip(1).enumerate() {
        let Some(w) = word.to_str() else {
            return Err(format!(
                "argument {} is not valid UTF-8; give it as UTF-8 text",
                i + 1
            ));
        };
        let preview: String = wxlogin::sanitize::for_terminal(w)
            .chars()
            .take(40)
            .collect();
        wxlogin::text::check(
            &format!("argument {} (`{preview}`)", i + 1),
            w,
            wxlogin::text::TextKind::Prose,
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn main() -> ExitCode {
    if let Err(why) = check_argv() {
        eprintln!("wxlogin: {why}");
        return ExitCode::from(wxlogin::exit::Code::Usage as u8);
    }
    // `--help` and clap's usage errors are printed while parsing: the language is read from
    // the raw arguments and the environment first.
    let args: Vec<String> = std::env::args().collect();
    let lang = cli::help::early_lang(&args, |name| std::env::var(name).ok());
    let cli = cli::help::localize(Cli::command(), &lang.tr())
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m))
        .unwrap_or_else(|e| e.exit());
    match cli.command {
        // Log lines would scribble over the TUI: the console logs to a file.
        Command::Console(_) => wxlogin::console::init_logging(cli.global.verbose),
        // The demo ends in the console: its servers' logs must not scribble over the screen.
        Command::Demo(ref a)
            if !a.no_console
                && std::io::IsTerminal::is_terminal(&std::io::stdin())
                && std::io::IsTerminal::is_terminal(&std::io::stdout()) =>
        {
            wxlogin::console::init_logging(cli.global.verbose)
        }
        _ => {
            // The service logs its requests (info) unless told otherwise.
            let serving = matches!(cli.command, Command::Serve(_) | Command::SshServer(_)) as u8;
            init_logging(cli.global.verbose.saturating_add(serving));
        }
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wxlogin: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("wxlogin: {}", f.message);
            ExitCode::from(f.code as u8)
        }
    };
    // The command is done and its output written. Dropping the runtime would wait, without
    // limit, for every blocking task still running; a stray one must not keep a finished
    // command (a runbook step) from exiting. Twice in CI a finished-looking SQLite command
    // did not exit within 2 minutes and the cause was not found: if this wait is what runs
    // out, say so, so that the next occurrence names it.
    let began = std::time::Instant::now();
    rt.shutdown_timeout(SHUTDOWN_WAIT);
    if began.elapsed() >= SHUTDOWN_WAIT {
        eprintln!(
            "wxlogin: a background task was still running {} s after the command ended; exiting anyway",
            SHUTDOWN_WAIT.as_secs()
        );
    }
    code
}

/// How long a finished command waits for its background tasks before exiting.
const SHUTDOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
