//! Everything that touches SQL. One async API over PostgreSQL (production), MariaDB/MySQL
//! and SQLite (the embedded default); the console, the headless commands and the login service all call it, so
//! a revoke from any of them writes the same rows and the same audit entry.
//!
//! Each query is written once: SQL text uses `$N` placeholders, which PostgreSQL and SQLite
//! accept and which MariaDB/MySQL gets rewritten to `?` (see [`mysql`]), and the [`on_db!`]
//! macro expands the same body for each pool type. Where the dialects differ (row locks, how a
//! write transaction starts, upserts) the body asks the [`Dialect`].

mod accounts;
mod audit;
// `wxlogin audit archive`: the one path that deletes audit rows.
mod audit_archive;
mod bindings;
mod count_cache;
mod explain;
// Account history (support): audit and sessions of one account, keyset-merged.
mod history;
pub mod limits;
// MariaDB/MySQL: the placeholder rewrite.
pub(crate) mod mysql;
mod passwords;
// Session retention: the batched purge under a fleet-wide lease (issue 24).
pub mod retention;
mod session_keys;
mod sessions;
pub mod stats;
mod types;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use accounts::{Account, AccountCredentials, NewAccount, validate_username};
pub use audit::{AuditEntry, AuditFilter};
pub use audit_archive::ArchivedBatch;
pub use bindings::{AccountDetail, BindingQuery, BindingView, UnbindOutcome};
pub use explain::{PlanMode, QueryPlan, QueryText, SessionSample};
pub use history::{HistoryEvent, HistorySource};
pub use passwords::PasswordReset;
pub use retention::{BatchOutcome, Lease, PurgeBacklog, PurgeRun, PurgeStatus};
pub use session_keys::{KeyReset, KeyResetOutcome, StoredSessionKey};
pub use sessions::{
    IdCensus, IssuedSession, LoginOutcome, MAX_REVOKE_IDS, NewSession, RevokeOutcome,
    RevokeProgress, SessionFilter, SessionRow, SessionState, TokenLookup, TokenValidation,
};
pub use types::{Cursor, Page, Ts};

static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static MYSQL_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/mysql");

/// Rows changed per transaction in a bulk revoke: small enough that each batch commits in
/// milliseconds and a cancel takes effect quickly, large enough to revoke 100k rows in seconds.
pub const DEFAULT_REVOKE_BATCH: i64 = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
    /// MariaDB 10.6+ (tested on 10.11) and, by writing to the common subset, MySQL 8.0.
    MySql,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Postgres => "PostgreSQL",
            Backend::Sqlite => "SQLite",
            Backend::MySql => "MariaDB/MySQL",
        })
    }
}

/// SQL that differs between the backends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dialect(Backend);

impl Dialect {
    /// SQLite must take the write lock when a transaction starts, or two readers that both want
    /// to write deadlock on the upgrade (SQLITE_BUSY without waiting).
    pub(crate) fn begin_write(self) -> &'static str {
        match self.0 {
            Backend::Postgres | Backend::MySql => "BEGIN",
            Backend::Sqlite => "BEGIN IMMEDIATE",
        }
    }
    /// Row lock for a read that a concurrent change must wait for (SQLite serialises writers).
    /// MariaDB knows only the older `LOCK IN SHARE MODE` (MySQL 8 accepts it too).
    pub(crate) fn for_share(self) -> &'static str {
        match self.0 {
            Backend::Postgres => " FOR SHARE",
            Backend::MySql => " LOCK IN SHARE MODE",
            Backend::Sqlite => "",
        }
    }
    /// Exclusive row lock for a read-modify-write (SQLite: the write lock is already held).
    pub(crate) fn for_update(self) -> &'static str {
        match self.0 {
            Backend::Postgres | Backend::MySql => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }
    /// The type of a 64-bit integer in `CAST(x AS …)` (MySQL's SUM is DECIMAL; it casts to
    /// SIGNED, never to BIGINT).
    pub(crate) fn int64(self) -> &'static str {
        match self.0 {
            Backend::Postgres | Backend::Sqlite => "BIGINT",
            Backend::MySql => "SIGNED",
        }
    }
    pub(crate) fn backend(self) -> Backend {
        self.0
    }
}

#[derive(Clone)]
pub(crate) enum Db {
    Postgres(PgPool),
    Sqlite(SqlitePool),
    MySql(MySqlPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool and `$d` to its [`Dialect`].
macro_rules! on_db {
    ($store:expr, |$pool:ident, $d:ident| $body:expr) => {
        match &$store.db {
            $crate::store::Db::Postgres($pool) => {
                #[allow(unused_variables)]
                let $d = $crate::store::Dialect($crate::store::Backend::Postgres);
                $body
            }
            $crate::store::Db::Sqlite($pool) => {
                #[allow(unused_variables)]
                let $d = $crate::store::Dialect($crate::store::Backend::Sqlite);
                $body
            }
            $crate::store::Db::MySql($pool) => {
                // `sqlx::query*` in this arm rewrite `$N` to `?` (see store::mysql).
                #[allow(unused_imports)]
                use $crate::store::mysql::sqlx_on_mysql as sqlx;
                #[allow(unused_variables)]
                let $d = $crate::store::Dialect($crate::store::Backend::MySql);
                $body
            }
        }
    };
}
pub(crate) use on_db;

/// Binds a list of [`types::Arg`] to a query in order.
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::store::types::Arg::I64(v) => q.bind(*v),
                $crate::store::types::Arg::Text(v) => q.bind(v.as_str()),
                $crate::store::types::Arg::Ts(v) => q.bind(*v),
                $crate::store::types::Arg::Bytes(v) => q.bind(v.as_slice()),
            };
        }
        q
    }};
}
pub(crate) use bind_args;

/// A clock the tests can move.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database refused a change: this role may only read ({0}); use a role with write access or --read-only"
    )]
    PermissionDenied(String),
    #[error("cannot reach the database {url}: {message}")]
    Connect { url: String, message: String },
    #[error(
        "the database schema is not up to date (at version {current}, this wxlogin needs {needed}); run `wxlogin migrate`"
    )]
    SchemaBehind { current: i64, needed: i64 },
    #[error("migration failed: {0}")]
    Migrate(String),
    /// The request is wrong (an invalid username, too many ids, a filter that selects
    /// everything): nothing was tried. The CLI exits 2 (usage).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("account {0} is disabled")]
    AccountDisabled(String),
    #[error("database error: {0}")]
    Db(String),
    #[error("the database connection was lost: {0}")]
    ConnectionLost(String),
    /// The database ended the transaction because a concurrent one touched the same rows:
    /// a deadlock (MariaDB/MySQL 1213, PostgreSQL 40P01), a serialization failure (40001), or
    /// on a Galera cluster a certification failure at commit (also reported as 1213). Nothing
    /// of the transaction was kept; the store retries the transactions that can meet this
    /// (see [`Store::retry_conflicts`]) and only then hands it on.
    #[error(
        "the database ended the transaction in a conflict with a concurrent change ({0}); nothing was written, try again"
    )]
    TxConflict(String),
    /// A store write was handed a grant for another action: a bug, refused before anything
    /// was written (and a panic in debug builds).
    #[error(transparent)]
    WrongGrant(#[from] crate::ops::WrongGrant),
}

impl StoreError {
    /// True when retrying later may work (the console shows a banner and reconnects).
    pub fn is_connection(&self) -> bool {
        matches!(
            self,
            StoreError::ConnectionLost(_) | StoreError::Connect { .. }
        )
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) => {
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                let msg = db.message().to_owned();
                if let Some(my) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
                    return mysql_error(my.number(), &code, msg, db.is_unique_violation());
                }
                // PostgreSQL 42501 insufficient_privilege (also our append-only trigger), 25006
                // read_only_sql_transaction; SQLite 8 SQLITE_READONLY (and its extended codes).
                let sqlite = db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some();
                // 40001 serialization_failure, 40P01 deadlock_detected: the transaction was
                // rolled back whole and may simply run again.
                if code == "40001" || code == "40P01" {
                    return StoreError::TxConflict(msg);
                }
                if code == "42501"
                    || code == "25006"
                    || (sqlite && code.parse::<i32>().is_ok_and(|c| c & 0xff == 8))
                {
                    StoreError::PermissionDenied(msg)
                } else if db.is_unique_violation() {
                    StoreError::Conflict(msg)
                } else {
                    StoreError::Db(msg)
                }
            }
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_) => StoreError::ConnectionLost(e.to_string()),
            _ => StoreError::Db(e.to_string()),
        }
    }
}

/// MariaDB/MySQL errors by their error number (the SQLSTATE alone is too coarse: 42000 is
/// both "access denied" and "syntax error").
fn mysql_error(number: u16, sqlstate: &str, msg: String, unique: bool) -> StoreError {
    match number {
        // 1044 no access to the database, 1045 access denied for the user, 1142 command
        // denied on a table, 1143 on a column, 1227 needs a privilege, 1290 the server runs
        // --read-only, 1792 a READ ONLY transaction.
        1044 | 1045 | 1142 | 1143 | 1227 | 1290 | 1792 => StoreError::PermissionDenied(msg),
        // SIGNAL SQLSTATE '45000' (errno 1644) from the audit log's append-only triggers.
        _ if sqlstate == "45000" => StoreError::PermissionDenied(msg),
        // 1062 duplicate key (and its variants, which sqlx classifies as unique violations).
        _ if unique => StoreError::Conflict(msg),
        // 1213 deadlock, which is also how a Galera node reports a write set that failed
        // certification at commit; the transaction was rolled back whole.
        1213 => StoreError::TxConflict(msg),
        // 2006 server has gone away, 2013 lost connection during a query, 1927 connection
        // killed, 1053 server shutdown in progress; 1047 is how a Galera node that is still
        // joining, or has lost the cluster's quorum, refuses queries ("WSREP has not yet
        // prepared node for application use"): unavailable for now, like a lost connection.
        2006 | 2013 | 1927 | 1053 | 1047 => StoreError::ConnectionLost(msg),
        _ => StoreError::Db(msg),
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How many times a transaction that ended in [`StoreError::TxConflict`] runs in all.
pub const TX_CONFLICT_ATTEMPTS: u32 = 5;

/// Transactions this process ran again after a conflict ([`Store::retry_conflicts`]), for
/// the service's `wxlogin_db_conflict_retries_total`: on a Galera cluster mostly certification
/// failures between nodes.
static CONFLICT_RETRIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many transactions this process has run again after a conflict (see [`Store::retry_conflicts`]).
pub fn conflict_retries() -> u64 {
    CONFLICT_RETRIES.load(std::sync::atomic::Ordering::Relaxed)
}

impl Store {
    /// Runs the transaction `attempt` again, whole, while the database ends it in a conflict
    /// with a concurrent one ([`StoreError::TxConflict`]): at most [`TX_CONFLICT_ATTEMPTS`]
    /// runs, with a short random pause that doubles each time so that the contenders do not
    /// meet again in step. Any other outcome is returned as it is. `attempt` must be a whole
    /// transaction (it begins and commits its own), so a retry never repeats half of one.
    pub(crate) async fn retry_conflicts<T, F, Fut>(&self, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut run = 1;
        loop {
            match attempt().await {
                Err(StoreError::TxConflict(msg)) if run < TX_CONFLICT_ATTEMPTS => {
                    CONFLICT_RETRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::debug!(attempt = run, error = %msg, "transaction conflict; retrying");
                    let base = 4u64 << run;
                    let pause = base + rand::random::<u64>() % base;
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    run += 1;
                }
                other => return other,
            }
        }
    }
}

/// A pooled connection idle for at least this long is pinged before it is handed out.
const PING_IDLE_AFTER: Duration = Duration::from_secs(10);

/// sqlx pings every connection it takes from the pool by default: one more round trip to
/// PostgreSQL (or to SQLite's worker thread) for every query. Under load that ping cost as
/// much as the query (`wxlogin bench`: GET /me). A connection that was in use moments ago is
/// known to be alive, so only one that sat idle is pinged; a dead one is then replaced
/// before the caller sees it, as before.
fn ping_when_idle<'c, C: sqlx::Connection>(
    conn: &'c mut C,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn Future<Output = Result<bool, sqlx::Error>> + Send + 'c>> {
    Box::pin(async move {
        if meta.idle_for >= PING_IDLE_AFTER {
            conn.ping().await?;
        }
        Ok(true)
    })
}

/// Sets up each new MariaDB/MySQL connection: ANSI_QUOTES (the store's queries quote the
/// reserved word "key" the same way on every backend) and, on a Galera cluster, causal reads.
///
/// A Galera node commits a transaction once every node has *certified* it, but applies other
/// nodes' transactions a moment later. A plain read on node 3 can therefore still see a
/// session that node 1 has just revoked, which would break the promise that a revoke is felt
/// on the next request through every instance. With `wsrep_sync_wait = 1` the node first
/// waits until it has applied everything the cluster committed before the read began (for
/// SELECT, and for BEGIN, so a write transaction starts from the latest state too).
///
/// It is set for every connection of the pool rather than for a few queries, because:
/// - behind a TCP proxy one process's connections land on different nodes, so even a read
///   right after this process's own write (the CLI's detail read after a revoke, the
///   console's refresh) may be served by a node that has not applied it yet;
/// - the reads that must be causal (the SessionId lookup of GET /me and POST /logout, the
///   console's and CLI's detail reads) are most of what the service and the console read;
/// - per query it would need MariaDB's `SET STATEMENT … FOR` and a second SQL text per query.
///
/// The cost is one group-communication round trip per read on a healthy cluster (well under a
/// millisecond on one LAN). On a node that has lost the cluster's quorum the wait fails
/// instead of serving stale rows, which is the answer wanted there. A single MariaDB/MySQL
/// server (`wsrep_on` OFF or no wsrep provider, or a server without Galera at all, such as
/// MySQL 8) gets only ANSI_QUOTES: the variable means nothing there.
///
/// For measurement only, `WXLOGIN_GALERA_CAUSAL_READS=off` leaves the setting at the server's
/// default (see [`galera_causal_reads`]); `wxlogin bench` uses it to measure what the wait costs.
async fn prepare_mysql_session(conn: &mut sqlx::MySqlConnection) -> Result<(), sqlx::Error> {
    use sqlx::{Executor, Row};
    // Plain text, not a prepared statement: SHOW works on every MySQL-family server, and lists
    // nothing where Galera's variables do not exist.
    let vars = conn
        .fetch_all("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_on', 'wsrep_provider')")
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?)))
        .collect::<Result<Vec<(String, String)>, sqlx::Error>>()?;
    let var = |name: &str| {
        vars.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let galera = var("wsrep_on").is_some_and(|v| v.eq_ignore_ascii_case("ON"))
        && var("wsrep_provider").is_some_and(|v| !v.is_empty() && !v.eq_ignore_ascii_case("none"));
    conn.execute(if galera && causal_reads_setting() != Ok(false) {
        "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES'), SESSION wsrep_sync_wait = 1"
    } else {
        "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')"
    })
    .await?;
    Ok(())
}

/// The environment variable that turns Galera's causal reads off, for measurement only.
pub const CAUSAL_READS_ENV: &str = "WXLOGIN_GALERA_CAUSAL_READS";

/// `WXLOGIN_GALERA_CAUSAL_READS`, read once per process: `on` (the default, also when unset)
/// or `off`; anything else is an error naming the variable.
fn causal_reads_setting() -> Result<bool, String> {
    static SETTING: std::sync::LazyLock<Result<bool, String>> =
        std::sync::LazyLock::new(|| match std::env::var(CAUSAL_READS_ENV) {
            Err(std::env::VarError::NotPresent) => Ok(true),
            Ok(v) if v.eq_ignore_ascii_case("on") => Ok(true),
            Ok(v) if v.eq_ignore_ascii_case("off") => Ok(false),
            Ok(v) => Err(format!(
                "{CAUSAL_READS_ENV} must be `on` or `off`, not `{}`",
                crate::sanitize::for_terminal_truncated(&v, 40)
            )),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!(
                "{CAUSAL_READS_ENV} must be `on` or `off` (it is not valid UTF-8)"
            )),
        });
    SETTING.clone()
}

/// Whether this process's connections to a Galera node read causally (`wsrep_sync_wait = 1`,
/// see [`prepare_mysql_session`]): yes unless `WXLOGIN_GALERA_CAUSAL_READS=off`, a switch for
/// measuring what the wait costs and nothing else. Checked when a MariaDB/MySQL store
/// connects: an unreadable value is refused there, and `off` is logged loudly once.
pub fn galera_causal_reads() -> Result<bool, String> {
    static WARNED: std::sync::Once = std::sync::Once::new();
    let on = causal_reads_setting()?;
    if !on {
        WARNED.call_once(|| {
            tracing::warn!(
                "{CAUSAL_READS_ENV}=off: reads on a Galera node no longer wait for the cluster \
                 (wsrep_sync_wait stays 0). A session revoked through one node may still be \
                 accepted by the next request through another. For measurement only: never in \
                 production"
            );
        });
    }
    Ok(on)
}

/// The store: cheap to clone, shareable across tasks.
#[derive(Clone)]
pub struct Store {
    pub(crate) db: Db,
    clock: Clock,
    redacted_url: String,
    /// SQLite's write turn within this process (see [`Store::write_turn`]).
    write_gate: Arc<tokio::sync::Mutex<()>>,
    /// The last expensive backlog estimate, shared by every console of this process
    /// ([`Store::estimate_purgeable`]).
    backlog_memo: Arc<retention::BacklogMemo>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.redacted_url)
            .finish()
    }
}

/// Connection settings beyond the URL.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

impl Store {
    /// Connects, creates an SQLite file when missing, brings an SQLite database's schema up to
    /// date and checks that a PostgreSQL one is (PostgreSQL is migrated by `wxlogin migrate`).
    pub async fn open(url: &str) -> Result<Self> {
        let store = Self::connect(url, ConnectOptions::default()).await?;
        store.ensure_schema().await?;
        Ok(store)
    }

    /// An SQLite database is brought up to date; a PostgreSQL one is checked (`wxlogin
    /// migrate` upgrades it, with the rights a service account should not have).
    ///
    /// SQLite first asks for the schema version (one indexed query) and runs the migrator only
    /// when it is behind: the migrator's own check (its table, a lock, every applied migration
    /// and its checksum) was most of the start-up time of a one-shot command such as
    /// `wxlogin sessions list` (measured by `wxlogin bench`).
    pub async fn ensure_schema(&self) -> Result<()> {
        match (self.backend(), self.check_schema().await) {
            (Backend::Sqlite, Err(StoreError::SchemaBehind { .. })) => self.run_migrations().await,
            (_, r) => r,
        }
    }

    /// Opens for someone who may only look (a viewer, `--read-only`): the schema is checked and
    /// never changed, also on SQLite, where an out-of-date file is refused instead of migrated.
    pub async fn open_read_only(url: &str, opts: ConnectOptions) -> Result<Self> {
        let store = Self::connect(url, opts).await?;
        store.check_schema().await?;
        Ok(store)
    }

    /// Connects without touching the schema.
    pub async fn connect(url: &str, opts: ConnectOptions) -> Result<Self> {
        let redacted_url = redact_database_url(url);
        let connect_err = |e: sqlx::Error| StoreError::Connect {
            url: redacted_url.clone(),
            message: e.to_string(),
        };
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let o = PgConnectOptions::from_str(url).map_err(connect_err)?;
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.acquire_timeout)
                .test_before_acquire(false)
                .before_acquire(|conn, meta| ping_when_idle(conn, meta))
                .connect_with(o)
                .await
                .map_err(connect_err)?;
            Db::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let o = SqliteConnectOptions::from_str(url)
                .map_err(connect_err)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(opts.max_connections.min(8))
                .acquire_timeout(opts.acquire_timeout)
                .test_before_acquire(false)
                .before_acquire(|conn, meta| ping_when_idle(conn, meta))
                .connect_with(o)
                .await
                .map_err(connect_err)?;
            Db::Sqlite(pool)
        } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
            // sqlx sets time_zone '+00:00' (DATETIME(6) columns hold UTC), NAMES utf8mb4 and
            // PIPES_AS_CONCAT; the rest (ANSI_QUOTES, Galera's causal reads) is set by
            // `prepare_mysql_session` on each new connection.
            galera_causal_reads().map_err(|message| StoreError::Connect {
                url: redacted_url.clone(),
                message,
            })?;
            let o = MySqlConnectOptions::from_str(url).map_err(connect_err)?;
            let pool = MySqlPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.acquire_timeout)
                .test_before_acquire(false)
                .before_acquire(|conn, meta| ping_when_idle(conn, meta))
                .after_connect(|conn, _meta| Box::pin(prepare_mysql_session(conn)))
                .connect_with(o)
                .await
                .map_err(connect_err)?;
            Db::MySql(pool)
        } else {
            return Err(StoreError::Connect {
                url: redacted_url,
                message: "unsupported database URL: use postgres://…, mysql://… (MariaDB/MySQL) or sqlite://…".into(),
            });
        };
        Ok(Store {
            db,
            clock: Arc::new(Utc::now),
            redacted_url,
            write_gate: Arc::new(tokio::sync::Mutex::new(())),
            backlog_memo: Arc::default(),
        })
    }

    /// Replaces the clock (tests move time forward to expire sessions).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// SQLite allows one writer at a time. Without this, concurrent write transactions of one
    /// process all knock on the database lock and SQLite's busy handler puts the losers to
    /// sleep in growing steps (1, 2, 5, 10 … 100 ms), so under load logins queued behind each
    /// other with a tail of ~90 ms. Taking this in-process turn first (a FIFO async mutex, held
    /// until the commit) makes writers wait their turn without sleeping; the busy handler is
    /// left for writers of other processes (the console and `serve` on the same file).
    /// PostgreSQL locks rows, not the database: no turn is needed there.
    pub(crate) async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.db {
            Db::Sqlite(_) => Some(self.write_gate.lock().await),
            Db::Postgres(_) | Db::MySql(_) => None,
        }
    }

    pub(crate) fn now_ts(&self) -> Ts {
        Ts::from(self.now())
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Postgres(_) => Backend::Postgres,
            Db::Sqlite(_) => Backend::Sqlite,
            Db::MySql(_) => Backend::MySql,
        }
    }

    /// The URL with its password removed: the only form to display or log.
    pub fn redacted_url(&self) -> &str {
        &self.redacted_url
    }

    /// The PostgreSQL pool, for tests and tools that need raw SQL (benchmarks, EXPLAIN).
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &self.db {
            Db::Postgres(p) => Some(p),
            _ => None,
        }
    }

    /// The SQLite pool, for tests and tools that need raw SQL.
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.db {
            Db::Sqlite(p) => Some(p),
            _ => None,
        }
    }

    /// The MariaDB/MySQL pool, for tests and tools that need raw SQL.
    pub fn mysql_pool(&self) -> Option<&MySqlPool> {
        match &self.db {
            Db::MySql(p) => Some(p),
            _ => None,
        }
    }

    /// Applies every pending migration (`wxlogin migrate`, oncall). Safe to run again.
    pub(crate) async fn migrate(&self, grant: &crate::ops::Grant<'_>) -> Result<()> {
        grant.require("migrate", &[crate::ops::OpKind::Administer])?;
        self.run_migrations().await
    }

    async fn run_migrations(&self) -> Result<()> {
        let r = match &self.db {
            Db::Postgres(p) => PG_MIGRATOR.run(p).await,
            Db::Sqlite(p) => SQLITE_MIGRATOR.run(p).await,
            Db::MySql(p) => MYSQL_MIGRATOR.run(p).await,
        };
        r.map_err(|e| StoreError::Migrate(e.to_string()))
    }

    /// Errors when the database lacks migrations this binary needs.
    pub async fn check_schema(&self) -> Result<()> {
        let needed = match self.backend() {
            Backend::Postgres => &PG_MIGRATOR,
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::MySql => &MYSQL_MIGRATOR,
        }
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
        let sql = "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success";
        let current: std::result::Result<i64, sqlx::Error> = on_db!(self, |pool, d| {
            sqlx::query_scalar(sql).fetch_one(pool).await
        });
        let current = match current {
            Ok(v) => v,
            // No migrations table at all: a fresh database.
            Err(sqlx::Error::Database(_)) => 0,
            Err(e) => return Err(e.into()),
        };
        if current < needed {
            return Err(StoreError::SchemaBehind { current, needed });
        }
        Ok(())
    }

    /// Cheap round trip: is the database reachable?
    pub async fn ping(&self) -> Result<()> {
        match &self.db {
            // A Galera node that is joining, or has lost the cluster's quorum, still answers
            // `SELECT 1` (no table) while it refuses every query that reads one (error 1047):
            // the ping asks for its readiness instead.
            Db::MySql(pool) => {
                use sqlx::{Executor, Row};
                // Plain text, as at connect. A MariaDB built with Galera support lists
                // `wsrep_ready` OFF on a single server too, so it counts only where wsrep is on.
                let rows = pool
                    .fetch_all(
                        "SHOW GLOBAL VARIABLES WHERE Variable_name = 'wsrep_on' AND Value = 'ON'",
                    )
                    .await?;
                let ready = if rows.is_empty() {
                    None
                } else {
                    pool.fetch_optional("SHOW GLOBAL STATUS WHERE Variable_name = 'wsrep_ready'")
                        .await?
                        .map(|r| r.try_get::<String, _>(1))
                        .transpose()?
                };
                if let Some(v) = ready
                    && !v.eq_ignore_ascii_case("ON")
                {
                    return Err(StoreError::ConnectionLost(
                        "the Galera node is not ready for queries (wsrep_ready is OFF: joining, or without quorum)".into(),
                    ));
                }
            }
            _ => on_db!(self, |pool, d| {
                sqlx::query("SELECT 1").execute(pool).await?;
            }),
        }
        Ok(())
    }

    pub async fn close(&self) {
        on_db!(self, |pool, d| pool.close().await)
    }
}

/// Writes one audit row inside the caller's transaction (a macro rather than a generic
/// function so that the future stays `Send` for each concrete backend).
macro_rules! write_audit {
    ($exec:expr, $now:expr, $actor:expr, $action:expr, $target:expr, $reason:expr, $detail:expr $(,)?) => {{
        let actor: &$crate::operator::Actor = $actor;
        let reason: Option<&str> = $reason;
        let detail: &serde_json::Value = $detail;
        let detail = actor.audit_detail(detail);
        sqlx::query(
            "INSERT INTO audit_log (at, operator, role, origin, action, target, reason, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($now)
        .bind(actor.operator.as_str())
        .bind(actor.role.as_str())
        .bind(actor.origin.as_deref())
        .bind($action)
        .bind($target)
        .bind(reason)
        .bind(sqlx::types::Json(detail.as_ref()))
        .execute($exec)
        .await
        .map(|_| ())
    }};
}
pub(crate) use write_audit;

/// The database URL with any password replaced by `***`: the only form that is shown or logged.
/// The user-info password and the `password` and `sslpassword` query parameters (the latter
/// unlocks a client key) are all replaced; other parameters stay as they are.
pub fn redact_database_url(url: &str) -> String {
    fn secret_param(k: &str) -> bool {
        k.eq_ignore_ascii_case("password") || k.eq_ignore_ascii_case("sslpassword")
    }
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            if u.query_pairs().any(|(k, _)| secret_param(&k)) {
                let kept: Vec<(String, String)> = u
                    .query_pairs()
                    .map(|(k, v)| {
                        let v = if secret_param(&k) {
                            "***".to_owned()
                        } else {
                            v.into_owned()
                        };
                        (k.into_owned(), v)
                    })
                    .collect();
                u.query_pairs_mut().clear().extend_pairs(kept);
            }
            u.to_string()
        }
        Err(_) => "<unparsable database URL>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_database_url;

    #[test]
    fn redaction_hides_the_password() {
        let r = redact_database_url("postgres://app:s3cr3t@db.example:5432/wx");
        assert!(!r.contains("s3cr3t"));
        assert!(r.contains("app:***@db.example"));
        let r = redact_database_url("postgres://db/wx?user=a&password=s3cr3t");
        assert!(!r.contains("s3cr3t"));
        assert_eq!(
            redact_database_url("sqlite:///tmp/x.db?mode=rwc"),
            "sqlite:///tmp/x.db?mode=rwc"
        );
    }

    #[test]
    fn redaction_hides_sslpassword_and_password_parameters_with_a_user_password() {
        let r = redact_database_url(
            "postgres://app:s3cr3t@db/wx?sslmode=verify-full&sslpassword=k3y&PASSWORD=p4ss",
        );
        assert!(
            !r.contains("s3cr3t") && !r.contains("k3y") && !r.contains("p4ss"),
            "{r}"
        );
        assert!(r.contains("sslmode=verify-full"), "{r}");
        assert!(
            r.contains("sslpassword=***") || r.contains("sslpassword=%2A%2A%2A"),
            "{r}"
        );
    }
}
