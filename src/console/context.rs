//! What one console is built from: its database, its operator, its look and its size. Nothing
//! here is read from the process environment: the adapter that starts a console (the local
//! terminal in [`super::run`], a test, later an SSH session) decides it all, so one process can
//! run many consoles, each for a different operator.

use std::time::Duration;

use super::theme::Theme;
use super::views::exchange::ExchangeSetup;
use crate::i18n::Tr;
use crate::operator::Actor;
use crate::store::{DEFAULT_REVOKE_BATCH, Store};

/// Everything the console needs from outside.
pub struct ConsoleContext {
    pub store: Store,
    /// The database as the header names it: the redacted URL (never a password).
    pub db_label: String,
    /// The language this console speaks (its operator's, never the process's).
    pub tr: Tr,
    /// Who is acting (written on every audit row).
    pub actor: Actor,
    /// Started with `--read-only`: nothing that changes data is offered.
    pub read_only: bool,
    /// Live refresh interval of the Sessions and Audit views.
    pub refresh: Duration,
    /// Colours, or none (`NO_COLOR` as this console's operator has it).
    pub theme: Theme,
    /// Columns and rows at the start (later sizes arrive as resize events).
    pub size: (u16, u16),
    /// Rows per transaction in a bulk revoke.
    pub revoke_batch: i64,
    /// What the Exchange view talks to.
    pub exchange: ExchangeSetup,
    // Support tools (environment): the deployment's name for the header, and whether it is
    // one to be careful in (drawn red; `PRODUCTION` in capitals without colour).
    pub environment: Option<String>,
    pub dangerous_environment: bool,
    /// How the Overview draws its sparklines (`[console] sparkline`).
    pub sparkline: crate::console::views::overview::SparkStyle,
    /// Export: whether `:export` may write files where this console runs. Off in the SSH
    /// door's consoles: the file would land on the server, wherever its user may write.
    pub export_files: bool,
}

/// Whether `name` is `production` (in any case) or one of the names configured as dangerous.
pub fn is_dangerous_environment(name: &str, dangerous: &[String]) -> bool {
    let name = name.trim();
    name.eq_ignore_ascii_case("production")
        || name.eq_ignore_ascii_case("prod")
        || dangerous
            .iter()
            .any(|d| d.trim().eq_ignore_ascii_case(name))
}

impl ConsoleContext {
    /// A console over `store` for `actor`: in English, coloured, 80x24, refreshing every 5 s, with no
    /// WeChat app (set the fields to change any of it).
    pub fn new(store: Store, actor: Actor) -> Self {
        ConsoleContext {
            db_label: store.redacted_url().to_owned(),
            store,
            actor,
            tr: Tr::default(),
            read_only: false,
            refresh: Duration::from_secs(5),
            theme: Theme::colored(),
            size: (80, 24),
            revoke_batch: DEFAULT_REVOKE_BATCH,
            exchange: ExchangeSetup::default(),
            environment: None,
            dangerous_environment: false,
            sparkline: Default::default(),
            // Export.
            export_files: true,
        }
    }
}
