//! Sessions: issue, look up, list (keyset), revoke.

use chrono::Duration;
use serde::Serialize;
use serde_json::json;

use super::mysql::LastInsertId;
use super::types::{Arg, Keyset, SortKey, Sql};
use super::{Backend, Cursor, Page, Result, Store, StoreError, Ts, bind_args, on_db, write_audit};
use crate::crypto::DataKey;
use crate::crypto::{SessionToken, TokenHash, encrypt_session_key, new_public_id};
use crate::ops::{Grant, OpKind};
use crate::secret::Secret;

/// Longest user agent kept; clients can send anything.
pub const MAX_USER_AGENT: usize = 512;
const MAX_CLIENT_IP: usize = 64;

/// A session as operators see it (never the SessionId, never the session_key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SessionRow {
    #[serde(skip)]
    pub id: i64,
    pub public_id: String,
    pub account_id: i64,
    pub username: String,
    pub appid: String,
    pub openid: String,
    pub unionid: Option<String>,
    pub created_at: Ts,
    pub last_seen_at: Ts,
    pub expires_at: Ts,
    pub revoked_at: Option<Ts>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionState {
    Active,
    Revoked,
    Expired,
}

impl SessionRow {
    pub fn state(&self, now: Ts) -> SessionState {
        if self.revoked_at.is_some() {
            SessionState::Revoked
        } else if self.expires_at <= now {
            SessionState::Expired
        } else {
            SessionState::Active
        }
    }

    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.created_at,
            id: self.id,
        }
    }
}

impl std::fmt::Display for SessionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SessionState::Active => "active",
            SessionState::Revoked => "revoked",
            SessionState::Expired => "expired",
        })
    }
}

/// Which sessions a list, count or revoke is about. Empty fields do not filter. Without
/// `include_inactive` only live sessions (not revoked, not expired) match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFilter {
    pub account_id: Option<i64>,
    pub username: Option<String>,
    pub appid: Option<String>,
    pub openid: Option<String>,
    pub unionid: Option<String>,
    pub client_ip: Option<String>,
    pub public_id: Option<String>,
    /// The SHA-256 of a pasted SessionId: looked up, never displayed.
    pub token_hash: Option<TokenHash>,
    pub include_inactive: bool,
}

impl SessionFilter {
    /// True when no field narrows the set (the whole table).
    pub fn selects_everything(&self) -> bool {
        self.account_id.is_none()
            && self.username.is_none()
            && self.appid.is_none()
            && self.openid.is_none()
            && self.unionid.is_none()
            && self.client_ip.is_none()
            && self.public_id.is_none()
            && self.token_hash.is_none()
    }

    /// `account:42 appid:wx1`: how an audit row names what was selected. A token filter is
    /// shown only as `token:sha256:<first 8 hex>`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = self.account_id {
            parts.push(format!("account:{v}"));
        }
        let mut text = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{k}:{v}"));
            }
        };
        text("username", &self.username);
        text("appid", &self.appid);
        text("openid", &self.openid);
        text("unionid", &self.unionid);
        text("ip", &self.client_ip);
        text("session", &self.public_id);
        if let Some(h) = self.token_hash {
            parts.push(format!("token:sha256:{}", &hex::encode(h.0)[..8]));
        }
        if parts.is_empty() {
            "all".to_owned()
        } else {
            parts.join(" ")
        }
    }

    pub(super) fn push_where(&self, sql: &mut Sql, now: Ts) {
        sql.push(" WHERE 1=1");
        let text = |v: &Option<String>| v.clone().map(Arg::Text);
        sql.and_eq("s.account_id", self.account_id.map(Arg::I64))
            .and_eq("a.username", text(&self.username))
            .and_eq("s.openid", text(&self.openid))
            .and_eq("s.appid", text(&self.appid))
            .and_eq("s.unionid", text(&self.unionid))
            .and_eq("s.client_ip", text(&self.client_ip))
            .and_eq("s.public_id", text(&self.public_id))
            .and_eq(
                "s.token_hash",
                self.token_hash.map(|h| Arg::Bytes(h.0.to_vec())),
            );
        if !self.include_inactive {
            sql.push(" AND s.revoked_at IS NULL AND s.expires_at > ")
                .bind(Arg::Ts(now));
        }
    }
}

pub(super) const SESSION_COLS: &str = "s.id, s.public_id, s.account_id, a.username, s.appid, s.openid, \
    s.unionid, s.created_at, s.last_seen_at, s.expires_at, s.revoked_at, s.revoked_by, \
    s.revoke_reason, s.client_ip, s.user_agent";

/// What the login service needs to issue a session.
pub struct NewSession<'a> {
    pub appid: &'a str,
    pub openid: &'a str,
    pub unionid: Option<&'a str>,
    pub session_key: &'a Secret,
    pub client_ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// Absolute lifetime.
    pub ttl: Duration,
    /// Idle timeout: the session expires this long after its last use.
    pub idle: Duration,
}

/// A freshly issued session. The token is returned to the client once and never stored.
#[derive(Debug)]
pub struct IssuedSession {
    pub token: SessionToken,
    pub public_id: String,
    pub account_id: i64,
    pub expires_at: Ts,
}

#[derive(Debug)]
pub enum LoginOutcome {
    Issued(IssuedSession),
    /// No binding for (appid, openid): the client must send username and password.
    NotBound,
    /// The bound account is disabled.
    Disabled,
    /// A login with credentials of one account for a WeChat identity bound to another: nothing
    /// was issued (the caller must not learn which account holds the binding).
    BoundToOther,
    /// A first login that would give the account more bindings in this mini program than
    /// `max_bindings_per_app` allows: nothing was bound or issued.
    BindingLimit,
}

/// A session found by its SessionId, with what validation needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenLookup {
    #[sqlx(flatten)]
    pub session: SessionRow,
    pub absolute_expires_at: Ts,
    pub account_disabled_at: Option<Ts>,
}

/// What a service request (GET /me, POST /logout) needs of the session it presents: only the
/// columns it answers or judges with, from one primary-key-sized lookup by token hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenValidation {
    pub id: i64,
    pub public_id: String,
    pub account_id: i64,
    pub username: String,
    pub appid: String,
    pub openid: String,
    pub unionid: Option<String>,
    pub created_at: Ts,
    pub last_seen_at: Ts,
    pub expires_at: Ts,
    pub absolute_expires_at: Ts,
    pub revoked: bool,
    pub account_disabled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevokeProgress {
    pub revoked: u64,
    /// Live sessions that matched when the revoke started.
    pub total: u64,
    pub batches: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RevokeOutcome {
    pub revoked: u64,
    pub batches: u64,
    /// Stopped between batches at the caller's request: every finished batch stays revoked.
    pub cancelled: bool,
    /// Wall time of the final sweep (zero when the walk was cancelled before it).
    #[serde(skip)]
    pub sweep: std::time::Duration,
    /// Ranges of the (created_at, id) order walked at once: 2 for a large revoke on
    /// PostgreSQL, else 1.
    #[serde(skip)]
    pub ranges: u32,
}

/// A bulk revoke of at least this many batches walks two ranges at once on PostgreSQL.
const REVOKE_SPLIT_AT: u64 = 4;

/// What the ranges of one bulk revoke share.
struct RevokeWalk<'g, 'p> {
    grant: &'g Grant<'g>,
    filter: &'g SessionFilter,
    target: String,
    reason: &'g str,
    batch: i64,
    total: u64,
    done: std::sync::Mutex<WalkTally<'p>>,
}

struct WalkTally<'p> {
    revoked: u64,
    batches: u64,
    /// Batch numbers handed to audit rows (a batch whose transaction fails leaves a gap).
    numbered: u64,
    cancelled: bool,
    progress: &'p mut (dyn FnMut(RevokeProgress) -> bool + Send),
}

impl<'g, 'p> RevokeWalk<'g, 'p> {
    /// Never held across an await.
    fn tally(&self) -> std::sync::MutexGuard<'_, WalkTally<'p>> {
        self.done.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How far before the start of a bulk revoke's walk its final sweep looks. A session the walk
/// could have missed is one whose row became visible behind the walk's cursor: a login whose
/// transaction began before the walk and committed after the cursor passed its created_at, or
/// one stamped by an instance whose clock lags. Both are bounded by this margin (a login
/// transaction lasts milliseconds; instances' clocks are kept within seconds by NTP), so rows
/// created earlier than `walk start - margin` were visible to the walk and need no second look.
pub const REVOKE_SWEEP_MARGIN: Duration = Duration::minutes(5);

/// The sweep's lower bound: every (created_at, id) at or after `walk_start - margin`.
pub(super) fn sweep_start(walk_start: Ts) -> Cursor {
    Cursor {
        at: Ts::from(walk_start.0 - REVOKE_SWEEP_MARGIN),
        id: i64::MIN,
    }
}

/// The one revoke UPDATE: `UPDATE sessions SET revoked_at, revoked_by, revoke_reason` with its
/// three values bound, for the caller to add `WHERE …`. Revoke by id, bulk revoke, unbind,
/// account disable and logout all start here: revoking marks the row, it never deletes it.
pub(super) fn revoke_update(now: Ts, by: &str, reason: &str) -> Sql {
    let mut sql = Sql::new("UPDATE sessions SET revoked_at = ");
    sql.bind(Arg::Ts(now))
        .push(", revoked_by = ")
        .bind(Arg::Text(by.to_owned()))
        .push(", revoke_reason = ")
        .bind(Arg::Text(reason.to_owned()));
    sql
}

/// The revoke of every live session of one account (account disable, password reset).
pub(super) fn revoke_live_of_account(now: Ts, by: &str, reason: &str, account_id: i64) -> Sql {
    let mut sql = revoke_update(now, by, reason);
    sql.push(" WHERE account_id = ")
        .bind(Arg::I64(account_id))
        .push(" AND revoked_at IS NULL AND expires_at > ")
        .bind(Arg::Ts(now));
    sql
}

/// Revokes the sessions with these ids (picked and locked by the caller): MariaDB/MySQL's
/// form of an `UPDATE … RETURNING`.
pub(super) fn revoke_ids(now: Ts, by: &str, reason: &str, ids: &[i64]) -> Sql {
    let mut sql = revoke_update(now, by, reason);
    sql.push(" WHERE revoked_at IS NULL AND id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Arg::I64(*id));
    }
    sql.push(")");
    sql
}

/// ` (…$n, $n+1…)`: the placeholders of an IN list of public ids.
fn push_id_list(sql: &mut Sql, ids: &[String]) {
    sql.push("(");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Arg::Text(id.clone()));
    }
    sql.push(")");
}

/// A login of a bound identity: records it on the binding (locking the row until commit) and
/// says which account holds it.
const TOUCH_BINDING: &str = "UPDATE wechat_bindings SET last_login_at = $1, \
    unionid = COALESCE($2, unionid) WHERE appid = $3 AND openid = $4 RETURNING account_id";

/// [`TOUCH_BINDING`] without RETURNING (MySQL has none, MariaDB 10.11 none on UPDATE): the
/// binding is read and locked first, then updated by its id.
const LOCK_BINDING: &str =
    "SELECT id, account_id FROM wechat_bindings WHERE appid = $1 AND openid = $2 FOR UPDATE";
const TOUCH_BINDING_BY_ID: &str =
    "UPDATE wechat_bindings SET last_login_at = $1, unionid = COALESCE($2, unionid) WHERE id = $3";

/// Runs [`TOUCH_BINDING`] (or its two-statement form on MariaDB/MySQL) in the caller's
/// transaction: the account holding the binding, locked until commit, or `None`.
macro_rules! touch_binding {
    ($tx:expr, $d:expr, $now:expr, $s:expr) => {{
        let s: &NewSession<'_> = $s;
        let now: Ts = $now;
        if $d.backend() == super::Backend::MySql {
            let row: Option<(i64, i64)> = sqlx::query_as(LOCK_BINDING)
                .bind(s.appid)
                .bind(s.openid)
                .fetch_optional(&mut *$tx)
                .await?;
            if let Some((id, _)) = row {
                sqlx::query(TOUCH_BINDING_BY_ID)
                    .bind(now)
                    .bind(s.unionid)
                    .bind(id)
                    .execute(&mut *$tx)
                    .await?;
            }
            row.map(|(_, account_id)| (account_id,))
        } else {
            let bound: Option<(i64,)> = sqlx::query_as(TOUCH_BINDING)
                .bind(now)
                .bind(s.unionid)
                .bind(s.appid)
                .bind(s.openid)
                .fetch_optional(&mut *$tx)
                .await?;
            bound
        }
    }};
}

/// Most public ids one revoke may name (one statement, one IN list).
pub const MAX_REVOKE_IDS: usize = 10_000;

fn clip(s: Option<&str>, max: usize) -> Option<String> {
    s.map(|v| v.chars().take(max).collect())
}

/// Inserts a session row inside the caller's transaction and returns the issued session.
/// A macro so that the future stays `Send` for each concrete backend.
macro_rules! insert_session {
    ($exec:expr, $key:expr, $account_id:expr, $s:expr, $now:expr) => {{
        let s: &NewSession<'_> = $s;
        let now: Ts = $now;
        let account_id: i64 = $account_id;
        let token = SessionToken::generate();
        let hash = token.hash();
        let public_id = new_public_id();
        let envelope = encrypt_session_key($key, &public_id, s.session_key);
        let absolute = Ts::from(now.0 + s.ttl);
        let expires_at = absolute.min(Ts::from(now.0 + s.idle));
        sqlx::query(
            "INSERT INTO sessions (public_id, token_hash, account_id, appid, openid, unionid, \
             session_key_enc, created_at, last_seen_at, expires_at, absolute_expires_at, \
             client_ip, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(public_id.as_str())
        .bind(&hash.0[..])
        .bind(account_id)
        .bind(s.appid)
        .bind(s.openid)
        .bind(s.unionid)
        .bind(&envelope[..])
        .bind(now)
        .bind(now)
        .bind(expires_at)
        .bind(absolute)
        .bind(clip(s.client_ip, MAX_CLIENT_IP))
        .bind(clip(s.user_agent, MAX_USER_AGENT))
        .execute($exec)
        .await
        .map(|_| IssuedSession {
            token,
            public_id,
            account_id,
            expires_at,
        })
    }};
}

impl Store {
    /// Silent login: when (appid, openid) is bound, records the login on the binding and
    /// issues a session, in one transaction. The binding row is locked for the duration, so an
    /// unbind racing this login either happens first (this returns `NotBound`) or waits and
    /// then revokes the new session too.
    pub async fn login_bound(&self, key: &DataKey, s: &NewSession<'_>) -> Result<LoginOutcome> {
        self.retry_conflicts(|| self.login_bound_once(key, s)).await
    }

    async fn login_bound_once(&self, key: &DataKey, s: &NewSession<'_>) -> Result<LoginOutcome> {
        let now = self.now_ts();
        on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_with(d.begin_write()).await?;
            let bound = touch_binding!(tx, d, now, s);
            let Some((account_id,)) = bound else {
                return Ok(LoginOutcome::NotBound);
            };
            let disabled: Option<Ts> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT disabled_at FROM accounts WHERE id = $1{}",
                d.for_share()
            )))
            .bind(account_id)
            .fetch_one(&mut *tx)
            .await?;
            if disabled.is_some() {
                return Ok(LoginOutcome::Disabled);
            }
            let issued = insert_session!(&mut *tx, key, account_id, s, now)?;
            tx.commit().await?;
            Ok(LoginOutcome::Issued(issued))
        })
    }

    /// A login with the credentials of `account_id` (already verified by the caller): binds
    /// (appid, openid) to it if unbound and issues a session, in one transaction. An identity
    /// already bound to `account_id` logs in as usual; one bound to another account (before,
    /// or by a concurrent first login that won the race) answers `BoundToOther` and issues
    /// nothing: the credentials name an account, and the login must not silently become another.
    pub async fn bind_and_login(
        &self,
        key: &DataKey,
        account_id: i64,
        s: &NewSession<'_>,
    ) -> Result<LoginOutcome> {
        self.bind_and_login_limited(key, account_id, s, None).await
    }

    /// [`Store::bind_and_login`] with at most `max_per_app` bindings of the account in this
    /// mini program: a first login past it answers `BindingLimit` and changes nothing. Race-safe:
    /// with a limit the account row is locked for update (PostgreSQL; SQLite writes one at a
    /// time), so two simultaneous first logins of one account count each other.
    pub async fn bind_and_login_limited(
        &self,
        key: &DataKey,
        account_id: i64,
        s: &NewSession<'_>,
        max_per_app: Option<u32>,
    ) -> Result<LoginOutcome> {
        // Simultaneous first logins of one WeChat user meet on the binding's row: InnoDB may
        // end one in a deadlock, and a Galera cluster fails all but one at commit. Run again,
        // the losers see the winner's binding and answer as a conflict.
        self.retry_conflicts(|| self.bind_and_login_once(key, account_id, s, max_per_app))
            .await
    }

    async fn bind_and_login_once(
        &self,
        key: &DataKey,
        account_id: i64,
        s: &NewSession<'_>,
        max_per_app: Option<u32>,
    ) -> Result<LoginOutcome> {
        let now = self.now_ts();
        on_db!(self, |pool, d| {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_with(d.begin_write()).await?;
            let lock = match (max_per_app, d.for_share()) {
                (Some(_), "") => "",
                (Some(_), _) => " FOR UPDATE",
                (None, share) => share,
            };
            let disabled: Option<Option<Ts>> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT disabled_at FROM accounts WHERE id = $1{lock}"
            )))
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
            match disabled {
                None => {
                    return Err(StoreError::NotFound(format!(
                        "no account with id {account_id}"
                    )));
                }
                Some(Some(_)) => return Ok(LoginOutcome::Disabled),
                Some(None) => {}
            }
            // On PostgreSQL a conflicting insert of a transaction still in flight waits for it:
            // the loser of two simultaneous first logins sees the winner's committed row below.
            // InnoDB waits the same way; there the duplicate key fails the statement alone
            // (not the transaction), which is how MySQL says "already bound".
            let inserted: Option<(i64,)> = if d.backend() == super::Backend::MySql {
                let r = sqlx::query(
                    "INSERT INTO wechat_bindings (appid, openid, unionid, account_id, bound_at, last_login_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(s.appid)
                .bind(s.openid)
                .bind(s.unionid)
                .bind(account_id)
                .bind(now)
                .bind(now)
                .execute(&mut *tx)
                .await;
                match r {
                    Ok(done) => Some((done.last_id(),)),
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => None,
                    Err(e) => return Err(e.into()),
                }
            } else {
                sqlx::query_as(
                    "INSERT INTO wechat_bindings (appid, openid, unionid, account_id, bound_at, last_login_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (appid, openid) DO NOTHING RETURNING id",
                )
                .bind(s.appid)
                .bind(s.openid)
                .bind(s.unionid)
                .bind(account_id)
                .bind(now)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?
            };
            if let (Some(_), Some(max)) = (inserted, max_per_app) {
                // The new row counts: past the limit, the transaction is dropped (rolled back).
                let held: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM wechat_bindings WHERE account_id = $1 AND appid = $2",
                )
                .bind(account_id)
                .bind(s.appid)
                .fetch_one(&mut *tx)
                .await?;
                if held > i64::from(max) {
                    return Ok(LoginOutcome::BindingLimit);
                }
            }
            if inserted.is_none() {
                // Already bound: to this account it is an ordinary login (the row stays locked
                // until commit, as in `login_bound`); to another, a conflict.
                let bound = touch_binding!(tx, d, now, s);
                match bound {
                    // Bound by another login and unbound again in between.
                    None => return Ok(LoginOutcome::NotBound),
                    Some((holder,)) if holder != account_id => {
                        return Ok(LoginOutcome::BoundToOther);
                    }
                    Some(_) => {}
                }
            }
            let issued = insert_session!(&mut *tx, key, account_id, s, now)?;
            if inserted.is_some() {
                // The binding's history starts here: a first login is the user's own act, not
                // an operator's, so the row names `user` with no role and the client address.
                sqlx::query(
                    "INSERT INTO audit_log (at, operator, role, origin, action, target, reason, detail) \
                     VALUES ($1, 'user', NULL, $2, 'binding.create', $3, NULL, $4)",
                )
                .bind(now)
                .bind(s.client_ip)
                .bind(format!("binding:{}/{}", s.appid, s.openid))
                .bind(sqlx::types::Json(serde_json::json!({
                    "account_id": account_id,
                    "unionid": s.unionid,
                    "session": issued.public_id,
                })))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(LoginOutcome::Issued(issued))
        })
    }

    /// The session whose SessionId hashes to `hash`, whatever its state.
    pub async fn session_by_token(&self, hash: &TokenHash) -> Result<Option<TokenLookup>> {
        let sql = session_by_token_sql();
        Ok(on_db!(self, |pool, d| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&hash.0[..])
                .fetch_optional(pool)
                .await?
        }))
    }

    /// The session whose SessionId hashes to `hash`, with just what a service request needs to
    /// validate it and answer (see [`TokenValidation`]); whatever its state.
    pub async fn validate_token(&self, hash: &TokenHash) -> Result<Option<TokenValidation>> {
        Ok(on_db!(self, |pool, d| {
            sqlx::query_as(VALIDATE_TOKEN_SQL)
                .bind(&hash.0[..])
                .fetch_optional(pool)
                .await?
        }))
    }

    /// [`Store::validate_token`] for several SessionIds in one query (the service coalesces
    /// the lookups of concurrent requests): each found session with the hash it was found by,
    /// in no particular order. One query on PostgreSQL and MariaDB/MySQL, where a round trip
    /// costs more than the lookup; on SQLite (in process, no round trip) each hash alone.
    pub async fn validate_tokens(
        &self,
        hashes: &[TokenHash],
    ) -> Result<Vec<(TokenHash, TokenValidation)>> {
        let rows: Vec<KeyedValidation> = match &self.db {
            super::Db::Postgres(pool) => {
                let list: Vec<&[u8]> = hashes.iter().map(|h| &h.0[..]).collect();
                sqlx::query_as(VALIDATE_TOKENS_SQL)
                    .bind(list)
                    .fetch_all(pool)
                    .await?
            }
            // MySQL has no array parameter: one `?` per hash (at most the lookup queue's
            // batch), each still found through the token-hash index.
            super::Db::MySql(pool) => {
                let marks = vec!["?"; hashes.len()].join(", ");
                let sql =
                    VALIDATE_TOKENS_SQL.replace("= ANY($1::bytea[])", &format!("IN ({marks})"));
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                for h in hashes {
                    q = q.bind(&h.0[..]);
                }
                q.fetch_all(pool).await?
            }
            super::Db::Sqlite(_) => {
                let mut out = Vec::with_capacity(hashes.len());
                for h in hashes {
                    if let Some(v) = self.validate_token(h).await? {
                        out.push((*h, v));
                    }
                }
                return Ok(out);
            }
        };
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let hash: [u8; 32] = r.token_hash.as_slice().try_into().ok()?;
                Some((TokenHash(hash), r.session))
            })
            .collect())
    }

    pub async fn session_by_public_id(&self, public_id: &str) -> Result<Option<SessionRow>> {
        let sql = session_by_public_id_sql();
        Ok(on_db!(self, |pool, d| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(public_id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Records a use of a live session: last_seen_at, and the idle expiry slides forward (never
    /// past the absolute expiry). Does nothing to a session that was revoked or expired since it
    /// was validated (a revoke or an expiry between the lookup and this update must stand);
    /// `None` then.
    pub async fn touch_session(&self, id: i64, absolute: Ts, idle: Duration) -> Result<Option<Ts>> {
        let now = self.now_ts();
        let expires = absolute.min(Ts::from(now.0 + idle));
        self.retry_conflicts(move || async move {
            let _turn = self.write_turn().await;
            on_db!(self, |pool, d| {
                let n = sqlx::query(
                    "UPDATE sessions SET last_seen_at = $1, expires_at = $2 \
                 WHERE id = $3 AND revoked_at IS NULL AND expires_at > $4",
                )
                .bind(now)
                .bind(expires)
                .bind(id)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
                Ok((n > 0).then_some(expires))
            })
        })
        .await
    }

    /// A page of sessions matching `filter`, newest first, after `after` (keyset: an index
    /// range scan however deep the page, never OFFSET).
    pub async fn list_sessions(
        &self,
        filter: &SessionFilter,
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<SessionRow>> {
        let limit = limit.clamp(1, 10_000);
        let sql = list_sessions_sql(filter, after, limit, self.now_ts(), self.backend());
        let rows: Vec<SessionRow> = on_db!(self, |pool, d| {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text())), &sql.args)
                .fetch_all(pool)
                .await?
        });
        Ok(Page::from_overfetch(rows, limit, SessionRow::cursor))
    }

    /// Up to `limit` sessions matching `filter` that sort just *before* `newer_than` in the
    /// newest-first order (the rows above it on the console's screen), returned newest first:
    /// so the console scrolls up through a sliding window of pages without keeping every page
    /// it has seen. Without a cursor: the `limit` oldest sessions (the end of the list).
    pub async fn list_sessions_newer(
        &self,
        filter: &SessionFilter,
        newer_than: Option<Cursor>,
        limit: i64,
    ) -> Result<Vec<SessionRow>> {
        let limit = limit.clamp(1, 10_000);
        let mut sql = select_sessions_sql(filter, self.now_ts(), self.backend());
        sql.keyset(SESSIONS_KEY, Keyset::OldestFirst, newer_than, limit);
        let mut rows: Vec<SessionRow> = on_db!(self, |pool, d| {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text())), &sql.args)
                .fetch_all(pool)
                .await?
        });
        rows.reverse();
        Ok(rows)
    }

    /// How many sessions match (for "this will revoke N sessions").
    pub async fn count_sessions(&self, filter: &SessionFilter) -> Result<u64> {
        let sql = count_sessions_sql(filter, self.now_ts());
        let n: i64 = on_db!(self, |pool, d| {
            bind_args!(
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql.text())),
                &sql.args
            )
            .fetch_one(pool)
            .await?
        });
        Ok(n as u64)
    }

    /// Revokes the live sessions among `public_ids` (not revoked, not expired) in one
    /// statement, one transaction and one audit row. Unknown, revoked and expired ids are
    /// skipped: the returned ids are those revoked now.
    pub(crate) async fn revoke_sessions(
        &self,
        grant: &Grant<'_>,
        public_ids: &[String],
        reason: &str,
    ) -> Result<Vec<String>> {
        grant.require(
            "revoke_sessions",
            &[OpKind::RevokeSessions, OpKind::RevokeToken],
        )?;
        if public_ids.is_empty() {
            return Ok(Vec::new());
        }
        if public_ids.len() > MAX_REVOKE_IDS {
            return Err(StoreError::Invalid(format!(
                "at most {MAX_REVOKE_IDS} sessions by id at once; revoke by account, openid or appid instead"
            )));
        }
        let actor = grant.actor();
        let now = self.now_ts();
        let mut sql = revoke_update(now, &actor.operator, reason);
        sql.push(" WHERE revoked_at IS NULL AND expires_at > ")
            .bind(Arg::Ts(now))
            .push(" AND public_id IN ");
        push_id_list(&mut sql, public_ids);
        sql.push(" RETURNING public_id");
        // MariaDB/MySQL: no UPDATE … RETURNING; the live rows are picked and locked, then
        // updated by id.
        let mut pick = Sql::new(
            "SELECT id, public_id FROM sessions WHERE revoked_at IS NULL AND expires_at > ",
        );
        pick.bind(Arg::Ts(now)).push(" AND public_id IN ");
        push_id_list(&mut pick, public_ids);
        pick.push(" FOR UPDATE");
        let (sql, pick) = (&sql, &pick);
        self.retry_conflicts(move || async move {
            on_db!(self, |pool, d| {
                let _turn = self.write_turn().await;
                let mut tx = pool.begin_with(d.begin_write()).await?;
                let done: Vec<String> = if d.backend() == super::Backend::MySql {
                    let picked: Vec<(i64, String)> =
                        bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(pick.text())), &pick.args)
                            .fetch_all(&mut *tx)
                            .await?;
                    let ids: Vec<i64> = picked.iter().map(|(id, _)| *id).collect();
                    let update = revoke_ids(now, &actor.operator, reason, &ids);
                    if !ids.is_empty() {
                        bind_args!(
                            sqlx::query(sqlx::AssertSqlSafe(update.text())),
                            &update.args
                        )
                        .execute(&mut *tx)
                        .await?;
                    }
                    picked.into_iter().map(|(_, p)| p).collect()
                } else {
                    bind_args!(
                        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.text())),
                        &sql.args
                    )
                    .fetch_all(&mut *tx)
                    .await?
                };
                if !done.is_empty() {
                    let target = match done.as_slice() {
                        [one] => format!("session:{one}"),
                        many => format!("sessions:{}", many.len()),
                    };
                    write_audit!(
                        &mut *tx,
                        now,
                        actor,
                        "sessions.revoke",
                        &target,
                        Some(reason),
                        &json!({ "revoked": done.len(), "public_ids": done }),
                    )?;
                }
                tx.commit().await?;
                Ok(done)
            })
        })
        .await
    }

    /// Which of `public_ids` are live, which exist but are revoked or expired, and how many
    /// are unknown: one query, for a dry run and for saying why nothing was revoked.
    pub async fn classify_public_ids(&self, public_ids: &[String]) -> Result<IdCensus> {
        let mut census = IdCensus::default();
        if public_ids.is_empty() {
            return Ok(census);
        }
        if public_ids.len() > MAX_REVOKE_IDS {
            return Err(StoreError::Invalid(format!(
                "at most {MAX_REVOKE_IDS} sessions by id at once; revoke by account, openid or appid instead"
            )));
        }
        let now = self.now_ts();
        let mut sql = Sql::new("SELECT s.public_id, (s.revoked_at IS NULL AND s.expires_at > ");
        sql.bind(Arg::Ts(now))
            .push(") AS live FROM sessions s WHERE s.public_id IN ");
        push_id_list(&mut sql, public_ids);
        let rows: Vec<(String, bool)> = on_db!(self, |pool, d| {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text())), &sql.args)
                .fetch_all(pool)
                .await?
        });
        let mut asked: Vec<&String> = public_ids.iter().collect();
        asked.sort();
        asked.dedup();
        census.unknown = asked.len().saturating_sub(rows.len()) as u64;
        for (id, live) in rows {
            if live {
                census.live.push(id);
            } else {
                census.inactive += 1;
            }
        }
        census.live.sort();
        Ok(census)
    }

    /// Revokes every live session matching `filter`, `batch` rows per transaction, each batch
    /// with its own audit row. `progress` is called after each batch; returning `false` stops
    /// before the next one (whole batches only: nothing is ever half done), also when that
    /// batch was the walk's last. Refuses a filter that selects the whole table.
    pub(crate) async fn revoke_matching(
        &self,
        grant: &Grant<'_>,
        filter: &SessionFilter,
        reason: &str,
        batch: i64,
        progress: &mut (dyn FnMut(RevokeProgress) -> bool + Send),
    ) -> Result<RevokeOutcome> {
        grant.require("revoke_matching", &[OpKind::RevokeMatching])?;
        if filter.selects_everything() {
            return Err(StoreError::Invalid(
                "refusing to revoke every session: name an account, openid, unionid, appid, IP or session"
                    .into(),
            ));
        }
        let filter = SessionFilter {
            include_inactive: false,
            ..filter.clone()
        };
        let batch = batch.clamp(1, 100_000);
        let total = self.count_sessions(&filter).await?;
        let walk = RevokeWalk {
            grant,
            filter: &filter,
            target: filter.describe(),
            reason,
            batch,
            total,
            done: std::sync::Mutex::new(WalkTally {
                revoked: 0,
                batches: 0,
                numbered: 0,
                cancelled: false,
                progress,
            }),
        };
        // Keyset in (created_at, id) order, oldest first: each batch starts after the last
        // row the previous one revoked, walking the filter's own index, so no batch re-reads
        // rows an earlier batch handled. Sessions created meanwhile sort last and are picked
        // up; when the walk ends, one more pass catches any row that appeared behind the
        // cursor (a login that committed late, a clock that lags), so nothing matching is left
        // live. That pass starts at `walk start - REVOKE_SWEEP_MARGIN` in the same index, not
        // at the beginning: older rows were all visible to the walk, which revoked them.
        //
        // A large revoke on PostgreSQL walks two disjoint ranges of that order at once, split
        // at the median creation time of the table's statistics, each on its own connection:
        // a batch's time is the database's work on its rows, and the server has more than one
        // core for it. The ranges meet exactly, so every row is in one of them.
        let walk_start = self.now_ts();
        let split = if total >= REVOKE_SPLIT_AT * batch as u64 {
            self.median_created_at().await
        } else {
            None
        };
        let ranges = if split.is_some() { 2 } else { 1 };
        match split {
            Some(at) => {
                let middle = Cursor { at, id: i64::MIN };
                futures::future::try_join(
                    self.revoke_range(&walk, None, Some(middle)),
                    self.revoke_range(&walk, Some(middle), None),
                )
                .await?;
            }
            None => self.revoke_range(&walk, None, None).await?,
        }
        // The final pass, over what the walk could have missed.
        let mut sweep = std::time::Duration::ZERO;
        if !walk.tally().cancelled {
            let began = std::time::Instant::now();
            self.revoke_range(&walk, Some(sweep_start(walk_start)), None)
                .await?;
            sweep = began.elapsed();
        }
        let t = walk.tally();
        Ok(RevokeOutcome {
            revoked: t.revoked,
            batches: t.batches,
            cancelled: t.cancelled,
            sweep,
            ranges,
        })
    }

    /// The median `created_at` of all sessions from PostgreSQL's statistics (`None` on SQLite,
    /// where writes take turns anyway, or before the table was first analysed).
    async fn median_created_at(&self) -> Option<Ts> {
        let super::Db::Postgres(pool) = &self.db else {
            return None;
        };
        // Only a hint for how to walk: without it the revoke walks one range, as correctly.
        match sqlx::query_scalar(MEDIAN_CREATED_AT_SQL)
            .fetch_optional(pool)
            .await
        {
            Ok(median) => median.flatten(),
            Err(e) => {
                tracing::debug!(error = %e, "no median creation time: one range");
                None
            }
        }
    }

    /// Revokes batch after batch in `(after, before)` of the (created_at, id) order until a
    /// batch comes back short, or the caller asks to stop.
    async fn revoke_range(
        &self,
        walk: &RevokeWalk<'_, '_>,
        mut after: Option<Cursor>,
        before: Option<Cursor>,
    ) -> Result<()> {
        let actor = walk.grant.actor();
        loop {
            if walk.tally().cancelled {
                return Ok(());
            }
            let now = self.now_ts();
            let sql = revoke_batch_sql(
                walk.filter,
                &actor.operator,
                walk.reason,
                walk.batch,
                now,
                (after, before),
                self.backend(),
            );
            // A batch the database ends in a conflict runs again whole, under the same number.
            let number = std::sync::OnceLock::new();
            let (sql, number) = (&sql, &number);
            let done: Vec<(i64, Ts)> = self
                .retry_conflicts(move || async move {
                    on_db!(self, |pool, d| {
                let _turn = self.write_turn().await;
                let mut tx = pool.begin_with(d.begin_write()).await?;
                let done: Vec<(i64, Ts)> =
                    bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text())), &sql.args)
                        .fetch_all(&mut *tx)
                        .await?;
                if d.backend() == super::Backend::MySql && !done.is_empty() {
                    // `sql` only picked and locked the batch (see revoke_batch_sql).
                    let ids: Vec<i64> = done.iter().map(|(id, _)| *id).collect();
                    let update = revoke_ids(now, &actor.operator, walk.reason, &ids);
                    bind_args!(
                        sqlx::query(sqlx::AssertSqlSafe(update.text())),
                        &update.args
                    )
                    .execute(&mut *tx)
                    .await?;
                }
                let n = done.len() as u64;
                if n > 0 {
                    let number = *number.get_or_init(|| {
                        let mut t = walk.tally();
                        t.numbered += 1;
                        t.numbered
                    });
                    write_audit!(
                        &mut *tx,
                        now,
                        actor,
                        "sessions.revoke",
                        &walk.target,
                        Some(walk.reason),
                        &json!({ "revoked": n, "batch": number, "matched_at_start": walk.total }),
                    )?;
                }
                tx.commit().await?;
                Ok(done)
                    })
                })
                .await?;
            let n = done.len() as u64;
            if let Some((at, id)) = done.iter().map(|(id, at)| (*at, *id)).max() {
                after = Some(Cursor { at, id });
            }
            if n > 0 {
                let mut t = walk.tally();
                t.revoked += n;
                t.batches += 1;
                // A cancel is honoured whatever the batch was: also a short one, which would
                // otherwise lead into the final sweep. A batch of the other range that was
                // running when the caller said stop still counts, without another report.
                if !t.cancelled {
                    let p = RevokeProgress {
                        revoked: t.revoked,
                        total: walk.total.max(t.revoked),
                        batches: t.batches,
                    };
                    if !(t.progress)(p) {
                        t.cancelled = true;
                    }
                }
            }
            if (n as i64) < walk.batch {
                return Ok(());
            }
        }
    }

    /// The holder of a SessionId logs out: marks it revoked by `self`. Not an operator action,
    /// so no audit row; the session row records who ended it.
    pub async fn logout(&self, id: i64) -> Result<bool> {
        let now = self.now_ts();
        let mut sql = revoke_update(now, "self", "logout");
        sql.push(" WHERE id = ")
            .bind(Arg::I64(id))
            .push(" AND revoked_at IS NULL");
        let sql = &sql;
        let n = self
            .retry_conflicts(move || async move {
                let _turn = self.write_turn().await;
                Ok(on_db!(self, |pool, d| {
                    bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql.text())), &sql.args)
                        .execute(pool)
                        .await?
                        .rows_affected()
                }))
            })
            .await?;
        Ok(n > 0)
    }
}

/// What [`Store::classify_public_ids`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdCensus {
    /// Live sessions among the ids, sorted.
    pub live: Vec<String>,
    /// Ids of sessions that are revoked or expired.
    pub inactive: u64,
    /// Ids no session has.
    pub unknown: u64,
}

// The SQL of the queries above, each built in one place so that the EXPLAIN checks
// (store::explain, tests/explain.rs) look at exactly what runs.

pub(super) fn session_by_token_sql() -> String {
    format!(
        "SELECT {SESSION_COLS}, s.absolute_expires_at, a.disabled_at AS account_disabled_at \
         FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1"
    )
}

/// [`Store::validate_token`]: the token-hash index, the account by primary key (for its name
/// and whether it is disabled), and no column the request does not use.
pub(super) const VALIDATE_TOKEN_SQL: &str = "SELECT s.id, s.public_id, s.account_id, \
    a.username, s.appid, s.openid, s.unionid, s.created_at, s.last_seen_at, s.expires_at, \
    s.absolute_expires_at, s.revoked_at IS NOT NULL AS revoked, \
    a.disabled_at IS NOT NULL AS account_disabled \
    FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1";

/// [`Store::validate_tokens`]: [`VALIDATE_TOKEN_SQL`] for an array of hashes, each found
/// through the token-hash index, with the hash to match answers to requests.
pub(super) const VALIDATE_TOKENS_SQL: &str = "SELECT s.token_hash, s.id, s.public_id, \
    s.account_id, a.username, s.appid, s.openid, s.unionid, s.created_at, s.last_seen_at, \
    s.expires_at, s.absolute_expires_at, s.revoked_at IS NOT NULL AS revoked, \
    a.disabled_at IS NOT NULL AS account_disabled \
    FROM sessions s JOIN accounts a ON a.id = s.account_id \
    WHERE s.token_hash = ANY($1::bytea[])";

#[derive(sqlx::FromRow)]
struct KeyedValidation {
    token_hash: Vec<u8>,
    #[sqlx(flatten)]
    session: TokenValidation,
}

pub(super) fn session_by_public_id_sql() -> String {
    format!(
        "SELECT {SESSION_COLS} FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.public_id = $1"
    )
}

/// `(s.created_at, s.id)`: the sort key of every sessions list and of every sessions index.
pub(super) const SESSIONS_KEY: SortKey = SortKey {
    at: "s.created_at",
    id: "s.id",
};

/// `SELECT <session columns> FROM sessions s JOIN accounts a … WHERE <filter>`.
///
/// On MariaDB/MySQL, unless a username selects the account, the join is a `STRAIGHT_JOIN`
/// (sessions first): given the choice, MariaDB read the unfiltered list the other way round, a
/// full index scan of accounts joined to every session and sorted for a page of 50 (its
/// EXPLAIN at 200k sessions), where walking the sessions index in the page's order stops after
/// 51 rows. The accounts row only brings the username, by primary key.
pub(super) fn select_sessions_sql(filter: &SessionFilter, now: Ts, backend: Backend) -> Sql {
    let join = if backend == Backend::MySql && filter.username.is_none() {
        " STRAIGHT_JOIN "
    } else {
        " JOIN "
    };
    let mut sql = Sql::new("SELECT ");
    sql.push(SESSION_COLS)
        .push(" FROM sessions s")
        .push(join)
        .push("accounts a ON a.id = s.account_id");
    filter.push_where(&mut sql, now);
    sql
}

pub(super) fn list_sessions_sql(
    filter: &SessionFilter,
    after: Option<Cursor>,
    limit: i64,
    now: Ts,
    backend: Backend,
) -> Sql {
    let mut sql = select_sessions_sql(filter, now, backend);
    sql.newest_first_page(SESSIONS_KEY, after, limit);
    sql
}

/// The middle bound of `pg_stats`' histogram of `sessions.created_at`: where a large bulk
/// revoke splits its walk.
const MEDIAN_CREATED_AT_SQL: &str = "SELECT b[(array_length(b, 1) + 1) / 2] FROM \
    (SELECT histogram_bounds::text::timestamptz[] AS b FROM pg_stats \
     WHERE schemaname = current_schema() AND tablename = 'sessions' AND attname = 'created_at') h";

/// `accounts` is joined only for a username filter (every session has its account: a foreign
/// key), as in [`revoke_batch_sql`].
pub(super) fn count_sessions_sql(filter: &SessionFilter, now: Ts) -> Sql {
    let mut sql = Sql::new("SELECT COUNT(*) FROM sessions s");
    if filter.username.is_some() {
        sql.push(" JOIN accounts a ON a.id = s.account_id");
    }
    filter.push_where(&mut sql, now);
    sql
}

/// One batch of [`Store::revoke_matching`]: the next `batch` matching live sessions after
/// `after` in (created_at, id) order; returns the (id, created_at) of the rows it revoked.
///
/// Every sessions index ends in (created_at, id), so the pick walks the filter's own index in
/// order and continues where the previous batch stopped: the whole revoke reads the matching
/// rows once instead of re-scanning the rows earlier batches already revoked. On PostgreSQL
/// the picked ids go through `= ANY(ARRAY(…))`, which the planner resolves with primary-key
/// lookups; a plain `IN (subquery)` let it hash-join the batch against a sequential scan of the
/// whole table (seen at 1M sessions). `accounts` is joined only for a username filter.
pub(super) fn revoke_batch_sql(
    filter: &SessionFilter,
    by: &str,
    reason: &str,
    batch: i64,
    now: Ts,
    (after, before): (Option<Cursor>, Option<Cursor>),
    backend: super::Backend,
) -> Sql {
    // MariaDB/MySQL can neither update a table it selects from in a subquery nor LIMIT an IN
    // subquery: there this is only the pick, `FOR UPDATE`, and the caller updates the picked
    // ids (see [`revoke_ids`]).
    let mut sql = match backend {
        super::Backend::MySql => Sql::new("SELECT s.id, s.created_at FROM sessions s"),
        _ => revoke_update(now, by, reason),
    };
    sql.push(match backend {
        super::Backend::Postgres => " WHERE revoked_at IS NULL AND id = ANY(ARRAY(",
        super::Backend::Sqlite => " WHERE revoked_at IS NULL AND id IN (",
        super::Backend::MySql => "",
    });
    if backend != super::Backend::MySql {
        sql.push("SELECT s.id FROM sessions s");
    }
    if filter.username.is_some() {
        sql.push(" JOIN accounts a ON a.id = s.account_id");
    }
    filter.push_where(&mut sql, now);
    if backend == super::Backend::MySql {
        sql.push(" AND s.revoked_at IS NULL");
    }
    if let Some(c) = before {
        sql.push(" AND (s.created_at, s.id) < (")
            .bind(Arg::Ts(c.at))
            .push(", ")
            .bind(Arg::I64(c.id))
            .push(")");
    }
    sql.keyset(SESSIONS_KEY, Keyset::OldestFirst, after, batch);
    sql.push(match backend {
        super::Backend::Postgres => ")) RETURNING id, created_at",
        super::Backend::Sqlite => ") RETURNING id, created_at",
        super::Backend::MySql => " FOR UPDATE",
    });
    sql
}
