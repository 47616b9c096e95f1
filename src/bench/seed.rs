//! `wxlogin seed-synthetic`: fills an empty database with a realistic synthetic data set, fast.
//!
//! PostgreSQL: one transaction that loads every table with binary `COPY`, with the secondary
//! indexes of `sessions` dropped during the load and rebuilt afterwards (one sorted build per
//! index instead of a million random insertions each); the definitions are read from the
//! catalog, so whatever the migrations define is what gets rebuilt, and a failure rolls the
//! whole thing back (PostgreSQL DDL is transactional). SQLite: the same in one `BEGIN
//! IMMEDIATE` transaction with multi-row prepared INSERTs. MariaDB/MySQL: multi-row prepared
//! INSERTs committed every 20,000 rows, the secondary indexes of bindings and sessions dropped
//! and rebuilt the same way (its DDL commits, so a failure keeps what was committed; see
//! `seed_mysql`). All end with `ANALYZE`.
//!
//! Every row is valid for the application: each session has its own random 32-byte token hash
//! and public id, and its own AES-256-GCM envelope of a random session_key made with the data
//! key and the public id as associated data, exactly as a login would store it (so the service
//! and `exchange` can decrypt it when they are given the same key). Nobody holds the
//! SessionIds behind the synthetic token hashes: benchmarks that need a working SessionId log
//! in for real. Passwords are one Argon2id hash of a random string nobody knows.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::mysql::{MySqlArguments, MySqlConnection};
use sqlx::postgres::PgConnection;
use sqlx::{Arguments, ConnectOptions, Connection, Row};
use tokio::sync::mpsc;

use super::copy::BinaryCopy;
use super::synth::{self, APPIDS, EndedLongAgo, SessionGen, Shape};
use crate::config::{self, ConfigFile, GlobalOpts};
use crate::crypto::DataKey;
use crate::crypto::{encrypt_session_key, hash_password};
use crate::exit::Failure;
use crate::operator::Actor;
use crate::secret::Secret;
use crate::store::{Backend, Store, StoreError, Ts, write_audit};

/// Fill an EMPTY database with synthetic accounts, bindings, sessions and audit rows.
#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// How many sessions to create.
    #[arg(long, default_value_t = 1_000_000)]
    pub sessions: u64,
    /// How many accounts (default: one per five sessions, so 200k for 1M sessions).
    #[arg(long)]
    pub accounts: Option<i64>,
    /// Seed of the generator (same seed and sizes: same identities and distribution).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Share of the sessions (0 to 1) that expired or were revoked long ago, `--ended-age-days`
    /// ago: what a retention purge removes. The others are then live or ended within the last
    /// 29 days. Without it: the benchmark shape, with about a fifth ended at any age up to 90 days.
    #[arg(long, value_name = "SHARE", value_parser = EndedLongAgo::parse_share)]
    pub ended_share: Option<f64>,
    /// How long ago those sessions ended, in days (with --ended-share).
    #[arg(long, value_name = "MIN..MAX", default_value = "31..90", value_parser = EndedLongAgo::parse_days, requires = "ended_share")]
    pub ended_age_days: (u32, u32),
}

impl SeedArgs {
    /// The share of sessions that ended long ago, as the options say.
    pub fn ended(&self) -> Option<EndedLongAgo> {
        self.ended_share.map(|share| EndedLongAgo {
            share,
            min_days: self.ended_age_days.0,
            max_days: self.ended_age_days.1,
        })
    }
}

/// What was loaded and how long each part took.
#[derive(Debug, Clone, Serialize)]
pub struct SeedReport {
    pub backend: String,
    pub accounts: i64,
    pub bindings: u64,
    pub sessions: u64,
    pub audit_rows: u64,
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
    pub phases: Vec<(String, f64)>,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(
        "seed-synthetic fills an empty database, and this one already has {0} accounts: use a fresh database"
    )]
    NotEmpty(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("loading synthetic data failed: {0}")]
    Load(String),
}

impl From<sqlx::Error> for SeedError {
    fn from(e: sqlx::Error) -> Self {
        SeedError::Store(e.into())
    }
}

impl From<SeedError> for Failure {
    fn from(e: SeedError) -> Self {
        match e {
            SeedError::NotEmpty(_) => Failure::refused(e.to_string()),
            _ => Failure::runtime(e.to_string()),
        }
    }
}

/// The command: resolve the database and data key, seed, print a summary.
pub async fn run(global: &GlobalOpts, file: &ConfigFile, args: &SeedArgs) -> Result<(), Failure> {
    // seed-synthetic writes straight to the tables: oncall only, refused to a viewer
    // (--read-only) before the database is opened.
    let actor = config::resolve_actor(global, file)?;
    crate::ops::authorize_seed(&actor)?;
    let url = config::database_url(global, file)?;
    let store = Store::open(&url).await?;
    let key = match config::data_key(file)? {
        Some(k) => k,
        None => {
            eprintln!(
                "note: no data key configured (WXLOGIN_DATA_KEY / WXLOGIN_DATA_KEY_FILE): the synthetic \
                 session_keys are encrypted with a throwaway key and cannot be decrypted later"
            );
            DataKey::generate()
        }
    };
    let shape = Shape::new(args.sessions, args.accounts, args.seed).with_ended(args.ended());
    eprintln!(
        "seeding {} sessions, {} accounts into {} …",
        shape.sessions,
        shape.accounts,
        store.redacted_url()
    );
    let report = seed(&store, &key, &actor, shape).await?;
    for (phase, s) in &report.phases {
        eprintln!("  {phase:<28} {s:>8.2} s");
    }
    println!(
        "{}: {} accounts, {} bindings, {} sessions, {} audit rows in {:.1} s",
        report.backend,
        report.accounts,
        report.bindings,
        report.sessions,
        report.audit_rows,
        report.elapsed.as_secs_f64()
    );
    Ok(())
}

/// Loads the synthetic data set into an empty database and analyzes it.
pub async fn seed(
    store: &Store,
    key: &DataKey,
    actor: &Actor,
    shape: Shape,
) -> Result<SeedReport, SeedError> {
    let started = Instant::now();
    let now = store.now();
    let mut report = SeedReport {
        backend: store.backend().to_string(),
        accounts: shape.accounts,
        bindings: 0,
        sessions: shape.sessions,
        audit_rows: 0,
        elapsed: Duration::ZERO,
        phases: Vec::new(),
    };
    match store.backend() {
        Backend::Postgres => seed_pg(store, key, actor, shape, now, &mut report).await?,
        Backend::Sqlite => seed_sqlite(store, key, actor, shape, now, &mut report).await?,
        Backend::MySql => seed_mysql(store, key, actor, shape, now, &mut report).await?,
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Adds `shape.sessions` more sessions, generated as of `now`, to a seeded database (the same
/// accounts: `shape.accounts` must be the seeded count), with every index in place, as logins
/// would. Retention's benchmark uses it for each simulated month.
pub async fn append_sessions(
    store: &Store,
    key: &DataKey,
    shape: Shape,
    now: DateTime<Utc>,
) -> Result<(), SeedError> {
    if let Some(pool) = store.pg_pool() {
        let opts = (*pool.connect_options())
            .clone()
            .disable_statement_logging();
        let mut conn = PgConnection::connect_with(&opts).await?;
        let mut tx = conn.begin().await?;
        copy_sessions_pg(&mut tx, key, shape, now).await?;
        tx.commit().await?;
        let _ = conn.close().await;
    } else if let Some(pool) = store.sqlite_pool() {
        let mut conn = pool.acquire().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        insert_sessions_sqlite(&mut tx, key, shape, now).await?;
        tx.commit().await?;
    } else if store.mysql_pool().is_some() {
        let mut my = MyLoader::open(store).await?;
        my.sessions(key, shape, now).await?;
        my.commit().await?;
    }
    Ok(())
}

/// Adds `n` synthetic audit rows dated up to 90 days before `now` to a seeded database.
pub async fn append_audit(
    store: &Store,
    shape: &Shape,
    now: DateTime<Utc>,
    n: u64,
) -> Result<(), SeedError> {
    if let Some(pool) = store.pg_pool() {
        let mut conn = pool.acquire().await?;
        let mut tx = conn.begin().await?;
        copy_audit_pg(&mut tx, shape, now, n).await?;
        tx.commit().await?;
    } else if let Some(pool) = store.sqlite_pool() {
        let mut conn = pool.acquire().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        insert_audit_sqlite(&mut tx, shape, now, n).await?;
        tx.commit().await?;
    } else if store.mysql_pool().is_some() {
        let mut my = MyLoader::open(store).await?;
        my.audit(shape, now, n).await?;
        my.commit().await?;
    }
    Ok(())
}

struct Phases<'a> {
    report: &'a mut SeedReport,
    at: Instant,
}

impl Phases<'_> {
    fn done(&mut self, name: &str) {
        let now = Instant::now();
        self.report
            .phases
            .push((name.to_owned(), (now - self.at).as_secs_f64()));
        self.at = now;
    }
}

/// The detail of the `synthetic.seed` audit row that records a load.
fn seed_record(shape: &Shape, bindings: u64, n_audit: u64) -> serde_json::Value {
    serde_json::json!({
        "accounts": shape.accounts, "bindings": bindings, "sessions": shape.sessions,
        "audit_rows": n_audit, "seed": shape.seed,
    })
}

/// One Argon2id hash for every synthetic account, of a random password nobody knows.
fn unusable_password_hash() -> String {
    let pw = hex::encode(rand::random::<[u8; 24]>());
    hash_password(&pw).unwrap_or_else(|_| "!".to_owned())
}

/// When synthetic account `a` was created: 90 to 490 days before `now`.
fn account_created_at(now: DateTime<Utc>, a: i64) -> DateTime<Utc> {
    now - chrono::Duration::seconds((synth::mix(a as u64 ^ 0xACC) % (400 * 86_400)) as i64)
        - chrono::Duration::days(90)
}

/// When account `a`'s bindings were made (89 days ago) and last used (up to 2,000 hours ago).
fn binding_times(now: DateTime<Utc>, a: i64) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        now - chrono::Duration::days(89),
        now - chrono::Duration::hours((synth::mix(a as u64) % 2000) as i64),
    )
}

/// Audit history: a hundredth of the session count, at least 100 rows.
fn audit_rows(shape: &Shape) -> u64 {
    (shape.sessions / 100).max(100)
}

struct AuditSeed {
    at: DateTime<Utc>,
    operator: &'static str,
    action: &'static str,
    target: String,
    reason: Option<&'static str>,
    detail: String,
}

fn audit_seed(shape: &Shape, now: DateTime<Utc>, i: u64) -> AuditSeed {
    let m = synth::mix(i ^ shape.seed ^ 0xAD17);
    let age = chrono::Duration::seconds((m % (90 * 86_400)) as i64);
    let account = ((m >> 20) % shape.accounts as u64) as i64;
    let operator = ["ops-alice", "ops-bob", "ops-carol", "runbook"][(m >> 8) as usize % 4];
    let (action, target, reason, detail) = match (m >> 12) % 4 {
        0 => (
            "sessions.revoke",
            format!("account:{}", account + 1),
            Some("suspicious login reported by the user"),
            format!(r#"{{"revoked": {}, "batch": 1}}"#, (m >> 32) % 5 + 1),
        ),
        1 => (
            "binding.unbind",
            format!("binding:{}/{}", APPIDS[0], synth::openid(0, account)),
            Some("user changed phone"),
            format!(r#"{{"account_id": {}}}"#, account + 1),
        ),
        2 => (
            "account.create",
            format!("account:{}", synth::username(account)),
            None,
            "{}".to_owned(),
        ),
        _ => (
            "exchange.test",
            format!("app:{}", APPIDS[(m >> 40) as usize % 3]),
            Some("checking the AppSecret after rotation"),
            r#"{"ok": true}"#.to_owned(),
        ),
    };
    AuditSeed {
        at: now - age,
        operator,
        action,
        target,
        reason,
        detail,
    }
}

/// Splits the session count over generator threads (one per core, at most 4).
fn parts(shape: &Shape) -> Vec<(u64, u64)> {
    let n = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4) as u64;
    let n = if shape.sessions < 10_000 { 1 } else { n };
    (0..n)
        .map(|p| {
            let count = shape.sessions / n + u64::from(p < shape.sessions % n);
            (p, count)
        })
        .collect()
}

/// Rows per message from a generator thread to the loader.
const CHUNK_ROWS: u64 = 4_096;

/// A session ready to be written: the generated row and its envelope.
struct SessionOut {
    s: synth::SessionSeed,
    envelope: Vec<u8>,
}

fn finish_session(key: &DataKey, s: synth::SessionSeed) -> SessionOut {
    let envelope = encrypt_session_key(key, &s.public_id, &Secret::new(s.session_key.clone()));
    SessionOut { s, envelope }
}

// ---------------------------------------------------------------- PostgreSQL

async fn seed_pg(
    store: &Store,
    key: &DataKey,
    actor: &Actor,
    shape: Shape,
    now: DateTime<Utc>,
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    let pool = store
        .pg_pool()
        .ok_or_else(|| SeedError::Load("not a PostgreSQL store".into()))?;
    // A connection of our own, without sqlx's slow-statement warnings (index builds take
    // seconds by design).
    let opts = (*pool.connect_options())
        .clone()
        .disable_statement_logging();
    let mut conn = PgConnection::connect_with(&opts).await?;
    let mut tx = conn.begin().await?;
    let existing: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM accounts LIMIT 1000) a")
            .fetch_one(&mut *tx)
            .await?;
    if existing > 0 {
        return Err(SeedError::NotEmpty(existing));
    }
    sqlx::query("SET LOCAL maintenance_work_mem = '256MB'")
        .execute(&mut *tx)
        .await?;
    let mut ph = Phases {
        report,
        at: Instant::now(),
    };

    // Accounts, with explicit ids (1..=M) so that bindings and sessions can refer to them.
    let password_hash = unusable_password_hash();
    let mut copy = tx
        .copy_in_raw(
            "COPY accounts (id, username, password_hash, display_name, created_at, disabled_at) \
             FROM STDIN (FORMAT binary)",
        )
        .await?;
    let mut b = BinaryCopy::with_capacity(1 << 20);
    b.header();
    for a in 0..shape.accounts {
        let created = account_created_at(now, a);
        b.row(6);
        b.i64(a + 1);
        b.text(&synth::username(a));
        b.text(&password_hash);
        b.text(&format!("Synthetic user {a}"));
        b.ts(created);
        b.opt_ts(synth::is_disabled(a).then(|| now - chrono::Duration::days(3)));
        if b.buf.len() > (1 << 20) - 512 {
            copy.send(std::mem::take(&mut b.buf)).await?;
        }
    }
    b.trailer();
    copy.send(b.buf).await?;
    copy.finish().await?;
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('accounts', 'id'), (SELECT MAX(id) FROM accounts))",
    )
    .execute(&mut *tx)
    .await?;
    ph.done("accounts (COPY)");

    // Bindings and sessions are loaded without their secondary indexes and constraints, which
    // are rebuilt afterwards (one sorted pass each instead of a lookup or insertion per row).
    let stripped_bindings = strip_table(&mut tx, "wechat_bindings").await?;
    let stripped_sessions = strip_table(&mut tx, "sessions").await?;

    // Bindings: every account in app 1, half in app 2, a quarter in app 3.
    let mut copy = tx
        .copy_in_raw(
            "COPY wechat_bindings (appid, openid, unionid, account_id, bound_at, last_login_at) \
             FROM STDIN (FORMAT binary)",
        )
        .await?;
    let mut b = BinaryCopy::with_capacity(1 << 20);
    b.header();
    let mut bindings = 0u64;
    for a in 0..shape.accounts {
        let unionid = synth::unionid(a);
        for (app, appid) in APPIDS.iter().enumerate() {
            if !shape.is_bound(a, app) {
                continue;
            }
            let (bound, last_login) = binding_times(now, a);
            b.row(6);
            b.text(appid);
            b.text(&synth::openid(app, a));
            b.opt_text(unionid.as_deref());
            b.i64(a + 1);
            b.ts(bound);
            b.ts(last_login);
            bindings += 1;
        }
        if b.buf.len() > (1 << 20) - 1024 {
            copy.send(std::mem::take(&mut b.buf)).await?;
        }
    }
    b.trailer();
    copy.send(b.buf).await?;
    copy.finish().await?;
    ph.report.bindings = bindings;
    ph.done("bindings (COPY)");

    copy_sessions_pg(&mut tx, key, shape, now).await?;
    ph.done("sessions (COPY)");
    let n = restore_table(&mut tx, &stripped_bindings).await?
        + restore_table(&mut tx, &stripped_sessions).await?;
    ph.done(&format!("indexes + constraints ({n})"));

    // Audit history, then the record of this load.
    let n_audit = audit_rows(&shape);
    copy_audit_pg(&mut tx, &shape, now, n_audit).await?;
    let detail = seed_record(&shape, bindings, n_audit);
    write_audit!(
        &mut *tx,
        Ts::from(now),
        actor,
        "synthetic.seed",
        "database",
        Some("synthetic data for benchmarks"),
        &detail,
    )
    .map_err(SeedError::from)?;
    ph.report.audit_rows = n_audit + 1;
    tx.commit().await?;
    ph.done("audit (COPY) + commit");

    sqlx::query("ANALYZE accounts, wechat_bindings, sessions, audit_log")
        .execute(&mut conn)
        .await?;
    ph.done("ANALYZE");
    let _ = conn.close().await;
    Ok(())
}

/// COPYs `n_audit` synthetic audit rows as of `now`.
async fn copy_audit_pg(
    conn: &mut PgConnection,
    shape: &Shape,
    now: DateTime<Utc>,
    n_audit: u64,
) -> Result<(), SeedError> {
    let mut copy = conn
        .copy_in_raw(
            "COPY audit_log (at, operator, origin, action, target, reason, detail) \
             FROM STDIN (FORMAT binary)",
        )
        .await?;
    let mut b = BinaryCopy::with_capacity(1 << 20);
    b.header();
    for i in 0..n_audit {
        let a = audit_seed(shape, now, i);
        b.row(7);
        b.ts(a.at);
        b.text(a.operator);
        b.text("ssh:192.0.2.10");
        b.text(a.action);
        b.text(&a.target);
        b.opt_text(a.reason);
        b.jsonb(&a.detail);
        if b.buf.len() > (1 << 20) - 1024 {
            copy.send(std::mem::take(&mut b.buf)).await?;
        }
    }
    b.trailer();
    copy.send(b.buf).await?;
    copy.finish().await?;
    Ok(())
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A table's secondary indexes and its unique and foreign-key constraints, as the catalog
/// defines them, so that they can be dropped for a bulk load and recreated identically.
struct Stripped {
    table: &'static str,
    indexes: Vec<String>,
    /// (name, definition), unique constraints first, then foreign keys.
    constraints: Vec<(String, String)>,
}

async fn strip_table(conn: &mut PgConnection, table: &'static str) -> Result<Stripped, SeedError> {
    let constraints: Vec<(String, String)> = sqlx::query(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = $1::regclass AND contype IN ('u', 'f') \
         ORDER BY contype DESC, conname",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    let indexes: Vec<(String, String)> = sqlx::query(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i \
         WHERE i.schemaname = current_schema() AND i.tablename = $1 \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                         WHERE c.conrelid = $1::regclass AND c.conname = i.indexname)",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    // Foreign keys first (they depend on nothing here), then unique constraints, then indexes.
    for (name, _) in constraints.iter().rev() {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER TABLE {table} DROP CONSTRAINT {}",
            quote_ident(name)
        )))
        .execute(&mut *conn)
        .await?;
    }
    for (name, _) in &indexes {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP INDEX {}",
            quote_ident(name)
        )))
        .execute(&mut *conn)
        .await?;
    }
    Ok(Stripped {
        table,
        indexes: indexes.into_iter().map(|(_, def)| def).collect(),
        constraints,
    })
}

/// Recreates what [`strip_table`] dropped; returns how many objects.
async fn restore_table(conn: &mut PgConnection, s: &Stripped) -> Result<usize, SeedError> {
    for def in &s.indexes {
        sqlx::query(sqlx::AssertSqlSafe(def.clone()))
            .execute(&mut *conn)
            .await?;
    }
    for (name, def) in &s.constraints {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {def}",
            s.table,
            quote_ident(name)
        )))
        .execute(&mut *conn)
        .await?;
    }
    Ok(s.indexes.len() + s.constraints.len())
}

/// Streams the sessions into `COPY sessions` while generator threads (one per core) make them.
async fn copy_sessions_pg(
    conn: &mut PgConnection,
    key: &DataKey,
    shape: Shape,
    now: DateTime<Utc>,
) -> Result<(), SeedError> {
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(8);
    let mut workers = Vec::new();
    for (part, count) in parts(&shape) {
        let tx = tx.clone();
        let key = key.clone();
        workers.push(std::thread::spawn(move || {
            let mut g = SessionGen::new(shape, now, part, count);
            let appids = APPIDS;
            let mut left = count;
            while left > 0 {
                let n = left.min(CHUNK_ROWS);
                left -= n;
                let mut b = BinaryCopy::with_capacity(n as usize * 700);
                for _ in 0..n {
                    let o = finish_session(&key, g.next_session());
                    let s = &o.s;
                    b.row(16);
                    b.text(&s.public_id);
                    b.bytes(&s.token_hash);
                    b.i64(s.account + 1);
                    b.text(appids[s.app]);
                    b.text(&synth::openid(s.app, s.account));
                    b.opt_text(synth::unionid(s.account).as_deref());
                    b.bytes(&o.envelope);
                    b.ts(s.created_at);
                    b.ts(s.last_seen_at);
                    b.ts(s.expires_at);
                    b.ts(s.absolute_expires_at);
                    b.opt_ts(s.revoked.map(|r| r.0));
                    b.opt_text(s.revoked.map(|r| r.1));
                    b.opt_text(s.revoked.map(|r| r.2));
                    b.text(&s.client_ip);
                    b.text(&g.user_agents[s.user_agent_idx]);
                }
                if tx.blocking_send(b.buf).is_err() {
                    return; // the loader gave up
                }
            }
        }));
    }
    drop(tx);
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY sessions ({SESSION_COLUMNS}) FROM STDIN (FORMAT binary)"
        ))
        .await?;
    let mut header = BinaryCopy::with_capacity(32);
    header.header();
    copy.send(header.buf).await?;
    let mut failed = None;
    while let Some(chunk) = rx.recv().await {
        if let Err(e) = copy.send(chunk).await {
            failed = Some(e);
            break;
        }
    }
    drop(rx);
    for w in workers {
        if w.join().is_err() {
            failed.get_or_insert(sqlx::Error::Protocol("a generator thread panicked".into()));
        }
    }
    if let Some(e) = failed {
        let _ = copy.abort("synthetic load failed").await;
        return Err(e.into());
    }
    let mut trailer = BinaryCopy::with_capacity(2);
    trailer.trailer();
    copy.send(trailer.buf).await?;
    let n = copy.finish().await?;
    if n != shape.sessions {
        return Err(SeedError::Load(format!(
            "COPY loaded {n} sessions, expected {}",
            shape.sessions
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------- SQLite

/// Generates `shape.sessions` sessions as of `now` and inserts them with multi-row INSERTs.
async fn insert_sessions_sqlite(
    conn: &mut sqlx::SqliteConnection,
    key: &DataKey,
    shape: Shape,
    now: DateTime<Utc>,
) -> Result<(), SeedError> {
    let cols = &format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ");
    let full = multi_insert(cols, 16, SQLITE_BATCH, Marks::Numbered);
    let (gtx, mut grx) = mpsc::channel::<Vec<SessionOut>>(8);
    let gen_key = key.clone();
    let generator = std::thread::spawn(move || {
        let mut g = SessionGen::new(shape, now, 0, shape.sessions);
        let mut left = shape.sessions;
        while left > 0 {
            let n = left.min(SQLITE_BATCH as u64);
            left -= n;
            let batch: Vec<SessionOut> = (0..n)
                .map(|_| finish_session(&gen_key, g.next_session()))
                .collect();
            if gtx.blocking_send(batch).is_err() {
                return false;
            }
        }
        true
    });
    let uas = synth::user_agents();
    while let Some(batch) = grx.recv().await {
        let stmt = if batch.len() == SQLITE_BATCH {
            full.clone()
        } else {
            multi_insert(cols, 16, batch.len(), Marks::Numbered)
        };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(stmt));
        for o in batch {
            let s = o.s;
            let openid = synth::openid(s.app, s.account);
            q = q
                .bind(s.public_id)
                .bind(s.token_hash.to_vec())
                .bind(s.account + 1)
                .bind(APPIDS[s.app])
                .bind(openid)
                .bind(synth::unionid(s.account))
                .bind(o.envelope)
                .bind(Ts::from(s.created_at))
                .bind(Ts::from(s.last_seen_at))
                .bind(Ts::from(s.expires_at))
                .bind(Ts::from(s.absolute_expires_at))
                .bind(s.revoked.map(|r| Ts::from(r.0)))
                .bind(s.revoked.map(|r| r.1))
                .bind(s.revoked.map(|r| r.2))
                .bind(s.client_ip)
                .bind(uas[s.user_agent_idx].clone());
        }
        q.execute(&mut *conn).await?;
    }
    if !generator.join().unwrap_or(false) {
        return Err(SeedError::Load(
            "the session generator stopped early".into(),
        ));
    }
    Ok(())
}

/// Rows per multi-row INSERT (16 parameters each: 960 per statement).
const SQLITE_BATCH: usize = 60;

async fn seed_sqlite(
    store: &Store,
    key: &DataKey,
    actor: &Actor,
    shape: Shape,
    now: DateTime<Utc>,
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    let pool = store
        .sqlite_pool()
        .ok_or_else(|| SeedError::Load("not an SQLite store".into()))?;
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let existing: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM accounts LIMIT 1000)")
            .fetch_one(&mut *tx)
            .await?;
    if existing > 0 {
        return Err(SeedError::NotEmpty(existing));
    }
    let mut ph = Phases {
        report,
        at: Instant::now(),
    };
    let password_hash = unusable_password_hash();

    // Accounts.
    let sql = multi_insert(
        "INSERT INTO accounts (id, username, password_hash, display_name, created_at, disabled_at) VALUES ",
        6,
        SQLITE_BATCH,
        Marks::Numbered,
    );
    let mut rows = Vec::with_capacity(SQLITE_BATCH);
    let mut a = 0i64;
    while a < shape.accounts {
        rows.clear();
        while rows.len() < SQLITE_BATCH && a < shape.accounts {
            rows.push(a);
            a += 1;
        }
        let stmt = if rows.len() == SQLITE_BATCH {
            sql.clone()
        } else {
            multi_insert(
                "INSERT INTO accounts (id, username, password_hash, display_name, created_at, disabled_at) VALUES ",
                6,
                rows.len(),
                Marks::Numbered,
            )
        };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(stmt));
        for &a in &rows {
            let created = account_created_at(now, a);
            q = q
                .bind(a + 1)
                .bind(synth::username(a))
                .bind(password_hash.clone())
                .bind(format!("Synthetic user {a}"))
                .bind(Ts::from(created))
                .bind(synth::is_disabled(a).then(|| Ts::from(now - chrono::Duration::days(3))));
        }
        q.execute(&mut *tx).await?;
    }
    ph.done("accounts (INSERT)");

    // Bindings.
    let mut all: Vec<(usize, i64)> = Vec::new();
    for a in 0..shape.accounts {
        for app in 0..APPIDS.len() {
            if shape.is_bound(a, app) {
                all.push((app, a));
            }
        }
    }
    for chunk in all.chunks(SQLITE_BATCH) {
        let stmt = multi_insert(
            "INSERT INTO wechat_bindings (appid, openid, unionid, account_id, bound_at, last_login_at) VALUES ",
            6,
            chunk.len(),
            Marks::Numbered,
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(stmt));
        for &(app, a) in chunk {
            let (bound, last_login) = binding_times(now, a);
            q = q
                .bind(APPIDS[app])
                .bind(synth::openid(app, a))
                .bind(synth::unionid(a))
                .bind(a + 1)
                .bind(Ts::from(bound))
                .bind(Ts::from(last_login));
        }
        q.execute(&mut *tx).await?;
    }
    ph.report.bindings = all.len() as u64;
    drop(all);
    ph.done("bindings (INSERT)");

    // Sessions, with the secondary indexes rebuilt afterwards.
    let indexes: Vec<(String, String)> = sqlx::query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sessions' \
         AND sql IS NOT NULL",
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    for (name, _) in &indexes {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP INDEX {}",
            quote_ident(name)
        )))
        .execute(&mut *tx)
        .await?;
    }
    insert_sessions_sqlite(&mut tx, key, shape, now).await?;
    ph.done("sessions (INSERT)");
    for (_, def) in &indexes {
        sqlx::query(sqlx::AssertSqlSafe(def.clone()))
            .execute(&mut *tx)
            .await?;
    }
    ph.done(&format!("sessions indexes ({})", indexes.len()));

    let n_audit = audit_rows(&shape);
    insert_audit_sqlite(&mut tx, &shape, now, n_audit).await?;
    let detail = seed_record(&shape, ph.report.bindings, n_audit);
    write_audit!(
        &mut *tx,
        Ts::from(now),
        actor,
        "synthetic.seed",
        "database",
        Some("synthetic data for benchmarks"),
        &detail,
    )
    .map_err(SeedError::from)?;
    ph.report.audit_rows = n_audit + 1;
    tx.commit().await?;
    ph.done("audit (INSERT) + commit");
    sqlx::query("ANALYZE").execute(&mut *conn).await?;
    forget_stat4_samples(&mut conn).await?;
    ph.done("ANALYZE");
    Ok(())
}

/// Inserts `n_audit` synthetic audit rows as of `now`.
async fn insert_audit_sqlite(
    conn: &mut sqlx::SqliteConnection,
    shape: &Shape,
    now: DateTime<Utc>,
    n_audit: u64,
) -> Result<(), SeedError> {
    let mut i = 0;
    while i < n_audit {
        let n = (n_audit - i).min(SQLITE_BATCH as u64);
        let stmt = multi_insert(
            "INSERT INTO audit_log (at, operator, origin, action, target, reason, detail) VALUES ",
            7,
            n as usize,
            Marks::Numbered,
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(stmt));
        for j in i..i + n {
            let a = audit_seed(shape, now, j);
            q = q
                .bind(Ts::from(a.at))
                .bind(a.operator)
                .bind("ssh:192.0.2.10")
                .bind(a.action)
                .bind(a.target)
                .bind(a.reason)
                .bind(a.detail);
        }
        q.execute(&mut *conn).await?;
        i += n;
    }
    Ok(())
}

/// Keeps `ANALYZE`'s per-index row estimates (sqlite_stat1) but drops its value samples
/// (sqlite_stat4). The bundled SQLite is built with STAT4, and with samples present every
/// query whose plan could depend on a bound value is re-prepared (parsed and planned again)
/// each time it runs with a new value: a GET /me cost three times the CPU (`perf` showed
/// sqlite3Reprepare under each lookup by token hash). wxlogin's queries have one right index
/// each; stat1 is enough to pick it (tests/explain.rs).
async fn forget_stat4_samples(conn: &mut sqlx::SqliteConnection) -> Result<(), SeedError> {
    let has_stat4: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat4'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if has_stat4 > 0 {
        sqlx::query("DELETE FROM sqlite_stat4")
            .execute(&mut *conn)
            .await?;
        // Makes open connections reload the statistics.
        sqlx::query("ANALYZE sqlite_schema")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

// ---------------------------------------------------------------- MariaDB/MySQL

/// Rows per multi-row INSERT on MariaDB/MySQL, at most: 1,000 sessions are 16,000 parameters (a
/// prepared statement takes up to 65,535) and about half a megabyte, far below the default
/// `max_allowed_packet` (16 MB on MariaDB 10.6+, 64 MB on MySQL 8.0). A server configured with
/// a smaller packet gets smaller batches (see [`MyLoader::open`]).
const MYSQL_BATCH: usize = 1_000;

/// The row size assumed when fitting a batch into `max_allowed_packet`: four times a synthetic
/// session (~500 bytes with its envelope and user agent), so a batch stays well inside it.
const MYSQL_ROW_BYTES: i64 = 2_048;

/// Rows per transaction. A MariaDB transaction is one write set for Galera, certified and held
/// in memory on every node (100k rows can cost a node 200–300 MB): the load commits every
/// 20,000 rows instead of once at the end, which keeps each commit small on a cluster and the
/// undo log short on a single server.
const MYSQL_TX_ROWS: u64 = 20_000;

/// The session columns, in the order every loader writes them.
const SESSION_COLUMNS: &str = "public_id, token_hash, account_id, appid, openid, unionid, \
    session_key_enc, created_at, last_seen_at, expires_at, absolute_expires_at, revoked_at, \
    revoked_by, revoke_reason, client_ip, user_agent";

/// Appends one value to a batch's arguments.
fn put<'t, T>(args: &mut MySqlArguments, v: T) -> Result<(), SeedError>
where
    T: sqlx::Encode<'t, sqlx::MySql> + sqlx::Type<sqlx::MySql>,
{
    args.add(v)
        .map_err(|e| SeedError::Load(format!("encoding a synthetic row: {e}")))
}

/// The load on MariaDB/MySQL: one connection of its own running multi-row INSERTs in
/// transactions of [`MYSQL_TX_ROWS`] rows.
struct MyLoader {
    conn: MySqlConnection,
    /// Rows per INSERT, fitted to the server's `max_allowed_packet`.
    batch: usize,
    uncommitted: u64,
}

impl MyLoader {
    /// Takes a connection from the store's pool (with its session settings: UTC, ANSI_QUOTES)
    /// and detaches it, so that a load that fails mid-transaction closes it (the server rolls
    /// the open transaction back) instead of returning it to the pool inside that transaction.
    async fn open(store: &Store) -> Result<Self, SeedError> {
        let pool = store
            .mysql_pool()
            .ok_or_else(|| SeedError::Load("not a MariaDB/MySQL store".into()))?;
        let mut conn = pool.acquire().await?.detach();
        let packet: i64 = sqlx::query_scalar("SELECT CAST(@@max_allowed_packet AS SIGNED)")
            .fetch_one(&mut conn)
            .await?;
        let batch = usize::try_from(packet / MYSQL_ROW_BYTES)
            .unwrap_or(1)
            .clamp(1, MYSQL_BATCH);
        sqlx::raw_sql("BEGIN").execute(&mut conn).await?;
        Ok(MyLoader {
            conn,
            batch,
            uncommitted: 0,
        })
    }

    /// Inserts `rows` rows of `cols` values each; commits once enough rows are waiting.
    async fn insert(
        &mut self,
        prefix: &str,
        cols: usize,
        rows: usize,
        args: MySqlArguments,
    ) -> Result<(), SeedError> {
        if rows == 0 {
            return Ok(());
        }
        let sql = multi_insert(prefix, cols, rows, Marks::Question);
        sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
            .execute(&mut self.conn)
            .await?;
        self.uncommitted += rows as u64;
        if self.uncommitted >= MYSQL_TX_ROWS {
            sqlx::raw_sql("COMMIT").execute(&mut self.conn).await?;
            sqlx::raw_sql("BEGIN").execute(&mut self.conn).await?;
            self.uncommitted = 0;
        }
        Ok(())
    }

    /// Drops `table`'s secondary indexes, except those a foreign key needs, and returns their
    /// definitions as `SHOW CREATE TABLE` prints them, for [`MyLoader::add_keys`]. DDL commits
    /// on MariaDB/MySQL: what was loaded so far is committed first.
    async fn drop_keys(&mut self, table: &'static str) -> Result<Vec<String>, SeedError> {
        sqlx::raw_sql("COMMIT").execute(&mut self.conn).await?;
        self.uncommitted = 0;
        let (_, create): (String, String) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SHOW CREATE TABLE {table}")))
                .fetch_one(&mut self.conn)
                .await?;
        let fk_columns: Vec<String> = sqlx::query_scalar(
            "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL",
        )
        .bind(table)
        .fetch_all(&mut self.conn)
        .await?;
        // `  KEY "name" ("col" DESC,…),` (quoted with " under ANSI_QUOTES, else with `).
        let unquote = |s: &str| s.trim_matches(|c| c == '"' || c == '`').to_owned();
        let mut keys = Vec::new();
        let mut names = Vec::new();
        for line in create.lines().map(str::trim) {
            let Some(rest) = line
                .strip_prefix("KEY ")
                .or_else(|| line.strip_prefix("UNIQUE KEY "))
            else {
                continue;
            };
            let (Some(name), Some(first_column)) = (
                rest.split_whitespace().next(),
                rest.split('(')
                    .nth(1)
                    .and_then(|c| c.split([',', ' ', ')']).next()),
            ) else {
                continue;
            };
            if fk_columns.contains(&unquote(first_column)) {
                continue;
            }
            names.push(format!("DROP INDEX {name}"));
            keys.push(line.trim_end_matches(',').to_owned());
        }
        if !names.is_empty() {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "ALTER TABLE {table} {}",
                names.join(", ")
            )))
            .execute(&mut self.conn)
            .await?;
        }
        sqlx::raw_sql("BEGIN").execute(&mut self.conn).await?;
        Ok(keys)
    }

    /// Builds the indexes [`MyLoader::drop_keys`] dropped, in one ALTER TABLE (one sorted build
    /// each instead of a million insertions each); commits what was loaded first.
    async fn add_keys(&mut self, table: &'static str, keys: &[String]) -> Result<(), SeedError> {
        if keys.is_empty() {
            return Ok(());
        }
        sqlx::raw_sql("COMMIT").execute(&mut self.conn).await?;
        self.uncommitted = 0;
        let adds: Vec<String> = keys.iter().map(|k| format!("ADD {k}")).collect();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "ALTER TABLE {table} {}",
            adds.join(", ")
        )))
        .execute(&mut self.conn)
        .await?;
        sqlx::raw_sql("BEGIN").execute(&mut self.conn).await?;
        Ok(())
    }

    /// Commits what is left and closes the connection.
    async fn commit(mut self) -> Result<(), SeedError> {
        sqlx::raw_sql("COMMIT").execute(&mut self.conn).await?;
        let _ = self.conn.close().await;
        Ok(())
    }

    /// Accounts 1..=M with explicit ids (AUTO_INCREMENT then continues after the highest).
    async fn accounts(&mut self, shape: &Shape, now: DateTime<Utc>) -> Result<(), SeedError> {
        const PREFIX: &str = "INSERT INTO accounts \
            (id, username, password_hash, display_name, created_at, disabled_at) VALUES ";
        let password_hash = unusable_password_hash();
        let mut a = 0i64;
        while a < shape.accounts {
            let end = (a + self.batch as i64).min(shape.accounts);
            let mut args = MySqlArguments::default();
            for a in a..end {
                put(&mut args, a + 1)?;
                put(&mut args, synth::username(a))?;
                put(&mut args, password_hash.as_str())?;
                put(&mut args, format!("Synthetic user {a}"))?;
                put(&mut args, Ts::from(account_created_at(now, a)))?;
                put(
                    &mut args,
                    synth::is_disabled(a).then(|| Ts::from(now - chrono::Duration::days(3))),
                )?;
            }
            self.insert(PREFIX, 6, (end - a) as usize, args).await?;
            a = end;
        }
        Ok(())
    }

    /// Every account in app 1, half in app 2, a quarter in app 3; returns how many bindings.
    async fn bindings(&mut self, shape: &Shape, now: DateTime<Utc>) -> Result<u64, SeedError> {
        const PREFIX: &str = "INSERT INTO wechat_bindings \
            (appid, openid, unionid, account_id, bound_at, last_login_at) VALUES ";
        let mut args = MySqlArguments::default();
        let (mut rows, mut total) = (0usize, 0u64);
        for a in 0..shape.accounts {
            let (bound, last_login) = binding_times(now, a);
            for (app, appid) in APPIDS.iter().enumerate() {
                if !shape.is_bound(a, app) {
                    continue;
                }
                put(&mut args, *appid)?;
                put(&mut args, synth::openid(app, a))?;
                put(&mut args, synth::unionid(a))?;
                put(&mut args, a + 1)?;
                put(&mut args, Ts::from(bound))?;
                put(&mut args, Ts::from(last_login))?;
                rows += 1;
                total += 1;
                if rows == self.batch {
                    self.insert(PREFIX, 6, rows, std::mem::take(&mut args))
                        .await?;
                    rows = 0;
                }
            }
        }
        self.insert(PREFIX, 6, rows, args).await?;
        Ok(total)
    }

    /// `shape.sessions` sessions as of `now`, made by generator threads (one per core) that
    /// also encode each batch's arguments, while this task sends the batches.
    async fn sessions(
        &mut self,
        key: &DataKey,
        shape: Shape,
        now: DateTime<Utc>,
    ) -> Result<(), SeedError> {
        let prefix = format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ");
        let (tx, mut rx) = mpsc::channel::<Result<(usize, MySqlArguments), SeedError>>(8);
        let mut workers = Vec::new();
        for (part, count) in parts(&shape) {
            let tx = tx.clone();
            let key = key.clone();
            let batch = self.batch as u64;
            workers.push(std::thread::spawn(move || {
                let mut g = SessionGen::new(shape, now, part, count);
                let mut left = count;
                while left > 0 {
                    let n = left.min(batch);
                    left -= n;
                    let mut args = MySqlArguments::default();
                    let mut encode = || -> Result<(), SeedError> {
                        for _ in 0..n {
                            let o = finish_session(&key, g.next_session());
                            let s = o.s;
                            put(&mut args, s.public_id)?;
                            put(&mut args, &s.token_hash[..])?;
                            put(&mut args, s.account + 1)?;
                            put(&mut args, APPIDS[s.app])?;
                            put(&mut args, synth::openid(s.app, s.account))?;
                            put(&mut args, synth::unionid(s.account))?;
                            put(&mut args, o.envelope)?;
                            put(&mut args, Ts::from(s.created_at))?;
                            put(&mut args, Ts::from(s.last_seen_at))?;
                            put(&mut args, Ts::from(s.expires_at))?;
                            put(&mut args, Ts::from(s.absolute_expires_at))?;
                            put(&mut args, s.revoked.map(|r| Ts::from(r.0)))?;
                            put(&mut args, s.revoked.map(|r| r.1))?;
                            put(&mut args, s.revoked.map(|r| r.2))?;
                            put(&mut args, s.client_ip)?;
                            put(&mut args, g.user_agents[s.user_agent_idx].as_str())?;
                        }
                        Ok(())
                    };
                    let out = encode().map(|()| (n as usize, args));
                    let stop = out.is_err();
                    if tx.blocking_send(out).is_err() || stop {
                        return; // the loader gave up, or this thread did
                    }
                }
            }));
        }
        drop(tx);
        let mut loaded = 0u64;
        let mut failed = None;
        while let Some(batch) = rx.recv().await {
            let r = match batch {
                Ok((n, args)) => self.insert(&prefix, 16, n, args).await.map(|()| n),
                Err(e) => Err(e),
            };
            match r {
                Ok(n) => loaded += n as u64,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        drop(rx);
        for w in workers {
            if w.join().is_err() {
                failed.get_or_insert(SeedError::Load("a generator thread panicked".into()));
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        if loaded != shape.sessions {
            return Err(SeedError::Load(format!(
                "loaded {loaded} sessions, expected {}",
                shape.sessions
            )));
        }
        Ok(())
    }

    /// `n_audit` synthetic audit rows as of `now`.
    async fn audit(
        &mut self,
        shape: &Shape,
        now: DateTime<Utc>,
        n_audit: u64,
    ) -> Result<(), SeedError> {
        const PREFIX: &str = "INSERT INTO audit_log \
            (at, operator, origin, action, target, reason, detail) VALUES ";
        let mut i = 0;
        while i < n_audit {
            let n = (n_audit - i).min(self.batch as u64);
            let mut args = MySqlArguments::default();
            for j in i..i + n {
                let a = audit_seed(shape, now, j);
                put(&mut args, Ts::from(a.at))?;
                put(&mut args, a.operator)?;
                put(&mut args, "ssh:192.0.2.10")?;
                put(&mut args, a.action)?;
                put(&mut args, a.target)?;
                put(&mut args, a.reason)?;
                put(&mut args, a.detail)?;
            }
            self.insert(PREFIX, 7, n as usize, args).await?;
            i += n;
        }
        Ok(())
    }
}

/// MariaDB/MySQL has neither COPY nor transactional DDL. The rows go in as multi-row prepared
/// INSERTs in transactions of [`MYSQL_TX_ROWS`] rows; bindings and sessions without their
/// secondary indexes, which are built afterwards (at 1M sessions this halved the load: 114 s
/// with the indexes in place, 59 s without). A load that fails part-way leaves the rows of the
/// transactions already committed (the indexes are built again all the same): the database is
/// then not empty, and the error says to start again on a fresh one. Ends with `ANALYZE TABLE`.
async fn seed_mysql(
    store: &Store,
    key: &DataKey,
    actor: &Actor,
    shape: Shape,
    now: DateTime<Utc>,
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    let mut my = MyLoader::open(store).await?;
    let existing: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM accounts LIMIT 1000) a")
            .fetch_one(&mut my.conn)
            .await?;
    if existing > 0 {
        return Err(SeedError::NotEmpty(existing));
    }
    let mut ph = Phases {
        report,
        at: Instant::now(),
    };
    let r = async {
        my.accounts(&shape, now).await?;
        ph.done("accounts (INSERT)");
        // Bindings and sessions go in without their secondary indexes, which are built
        // afterwards, sorted, as on PostgreSQL; the indexes are built again even when the
        // load fails, so that the database is never left without them.
        let binding_keys = my.drop_keys("wechat_bindings").await?;
        let session_keys = my.drop_keys("sessions").await?;
        let loaded = async {
            ph.report.bindings = my.bindings(&shape, now).await?;
            ph.done("bindings (INSERT)");
            my.sessions(key, shape, now).await?;
            ph.done("sessions (INSERT)");
            Ok::<_, SeedError>(())
        }
        .await;
        let rebuilt = async {
            my.add_keys("wechat_bindings", &binding_keys).await?;
            my.add_keys("sessions", &session_keys).await
        }
        .await;
        loaded?;
        rebuilt?;
        ph.done(&format!(
            "indexes ({})",
            binding_keys.len() + session_keys.len()
        ));
        let n_audit = audit_rows(&shape);
        my.audit(&shape, now, n_audit).await?;
        let detail = seed_record(&shape, ph.report.bindings, n_audit);
        {
            // write_audit!'s `$N` placeholders, rewritten for MariaDB as in the store.
            use crate::store::mysql::sqlx_on_mysql as sqlx;
            write_audit!(
                &mut my.conn,
                Ts::from(now),
                actor,
                "synthetic.seed",
                "database",
                Some("synthetic data for benchmarks"),
                &detail,
            )
            .map_err(SeedError::from)?;
        }
        ph.report.audit_rows = n_audit + 1;
        Ok::<_, SeedError>(())
    }
    .await;
    if let Err(e) = r {
        return Err(SeedError::Load(format!(
            "{e}; the rows committed before the failure stay (MariaDB/MySQL loads in \
             transactions of {MYSQL_TX_ROWS} rows): seed a fresh database"
        )));
    }
    my.commit().await?;
    ph.done("audit (INSERT) + commit");
    let pool = store
        .mysql_pool()
        .ok_or_else(|| SeedError::Load("not a MariaDB/MySQL store".into()))?;
    sqlx::raw_sql("ANALYZE TABLE accounts, wechat_bindings, sessions, audit_log")
        .execute(pool)
        .await?;
    ph.done("ANALYZE");
    Ok(())
}

/// How a multi-row INSERT marks its parameters.
#[derive(Clone, Copy)]
enum Marks {
    /// `$1, $2, …` (PostgreSQL, SQLite).
    Numbered,
    /// `?` (MariaDB/MySQL).
    Question,
}

/// `prefix (…), (…)` with placeholders for `rows` rows of `cols` columns.
fn multi_insert(prefix: &str, cols: usize, rows: usize, marks: Marks) -> String {
    let mut s = String::with_capacity(prefix.len() + rows * cols * 6);
    s.push_str(prefix);
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            match marks {
                Marks::Numbered => {
                    n += 1;
                    s.push('$');
                    s.push_str(&n.to_string());
                }
                Marks::Question => s.push('?'),
            }
        }
        s.push(')');
    }
    s
}
