//! An account's history, newest first: what the audit log says about the account and its
//! bindings (a first login's `binding.create`, unbinds, password resets, disable, unlock…) and
//! what its sessions say (each one created, each one revoked), merged into one keyset-paged
//! stream.
//!
//! Three indexed reads per page, each bounded by the page size: `audit_log` by target
//! (`audit_log_target`, one range per target the account has: `account:ID`, `username:NAME` and
//! `binding:APPID/OPENID` for every openid it is or was bound to), the account's sessions by
//! creation (`sessions_account`) and the account's revoked sessions (found through
//! `sessions_account` too: there is deliberately no index on `revoked_at`, which would make every
//! revoke a non-HOT update, see the 20261122000001 migration; the cost is the account's own
//! sessions, never the table).
//!
//! The keyset cursor is `(time, key)` where the key puts the source in its top bits, so that
//! events of the three sources at the same microsecond still have one total order.

use serde::Serialize;

use super::types::{Arg, Keyset, SortKey, Sql};
use super::{Cursor, Page, Result, Store, StoreError, Ts, bind_args, on_db};

/// Where an event comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HistorySource {
    /// An audit row (an operator action, or the user's own first login).
    Audit,
    /// A session was issued (a login).
    SessionCreated,
    /// A session was revoked (by an operator, an unbind, a reset or the user's logout).
    SessionRevoked,
}

impl HistorySource {
    fn rank(self) -> i64 {
        match self {
            HistorySource::Audit => 0,
            HistorySource::SessionCreated => 1,
            HistorySource::SessionRevoked => 2,
        }
    }
}

/// One event of an account's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEvent {
    pub at: Ts,
    pub source: HistorySource,
    /// The audit action (`binding.create`, `binding.unbind`, `account.set_password`…), or
    /// `session.create` / `session.revoke` for the account's sessions.
    pub action: String,
    /// Who did it: the operator, `user` for the user's own login or logout.
    pub actor: Option<String>,
    pub role: Option<String>,
    /// Where from: the client address of a login, the operator's origin.
    pub origin: Option<String>,
    pub target: String,
    pub reason: Option<String>,
    pub appid: Option<String>,
    pub openid: Option<String>,
    /// The public id of the session concerned.
    pub session: Option<String>,
    pub detail: serde_json::Value,
    #[serde(skip)]
    pub(crate) key: i64,
}

impl HistoryEvent {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.at,
            id: self.key,
        }
    }
}

const SOURCE_SHIFT: u32 = 56;
const ID_MASK: i64 = (1 << SOURCE_SHIFT) - 1;

fn key(source: HistorySource, id: i64) -> i64 {
    (source.rank() << SOURCE_SHIFT) | (id & ID_MASK)
}

/// The cursor for one source: the rows of that source that sort after `c` in the merged order.
fn source_cursor(c: Cursor, source: HistorySource) -> Cursor {
    let (cs, cid) = (c.id >> SOURCE_SHIFT, c.id & ID_MASK);
    let s = source.rank();
    let id = match s.cmp(&cs) {
        // Lower sources sort after higher ones at the same time: all of that microsecond.
        std::cmp::Ordering::Less => i64::MAX,
        std::cmp::Ordering::Equal => cid,
        std::cmp::Ordering::Greater => 0,
    };
    Cursor { at: c.at, id }
}

/// At most this many `binding:` targets are looked up (an account has a handful of openids).
const MAX_TARGETS: i64 = 200;
/// A page may come out short when audit rows of a binding held by another account are dropped;
/// the store reads on this many times before returning a short page.
const MAX_ROUNDS: usize = 8;

const AUDIT_KEY: SortKey = SortKey { at: "at", id: "id" };
const CREATED_KEY: SortKey = SortKey {
    at: "created_at",
    id: "id",
};
const REVOKED_KEY: SortKey = SortKey {
    at: "revoked_at",
    id: "id",
};

type AuditRow = (
    i64,
    Ts,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    sqlx::types::Json<serde_json::Value>,
);
type SessionRow = (
    i64,
    Ts,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

impl Store {
    /// The account's events newest first, `limit` per page, after `after` (a cursor from the
    /// previous page). `NotFound` for an unknown account.
    pub async fn account_history(
        &self,
        account_id: i64,
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<HistoryEvent>> {
        let limit = limit.clamp(1, 1_000);
        let Some(account) = self.account_by_id(account_id).await? else {
            return Err(StoreError::NotFound(format!(
                "no account with id {account_id}"
            )));
        };
        let targets = self.history_targets(account_id, &account.username).await?;
        let mut rows = Vec::new();
        let mut next = after;
        for _ in 0..MAX_ROUNDS {
            let page = self
                .history_round(account_id, &targets, next, limit - rows.len() as i64)
                .await?;
            rows.extend(page.rows);
            next = page.next;
            if next.is_none() || rows.len() as i64 >= limit {
                break;
            }
        }
        Ok(Page { rows, next })
    }

    /// Every audit target that names the account or one of its (present or past) bindings.
    async fn history_targets(&self, account_id: i64, username: &str) -> Result<Vec<String>> {
        let sql = history_bindings_sql(account_id);
        let pairs: Vec<(String, String)> = on_db!(self, |pool, d| {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text())), &sql.args)
                .fetch_all(pool)
                .await?
        });
        let mut targets = vec![
            format!("account:{account_id}"),
            format!("username:{username}"),
        ];
        targets.extend(pairs.into_iter().map(|(a, o)| format!("binding:{a}/{o}")));
        Ok(targets)
    }

    /// One merged page; may hold fewer than `limit` rows (see [`MAX_ROUNDS`]).
    async fn history_round(
        &self,
        account_id: i64,
        targets: &[String],
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<HistoryEvent>> {
        let fetch = limit + 1;
        let audit_sql = history_audit_sql(
            targets,
            after.map(|c| source_cursor(c, HistorySource::Audit)),
            fetch,
        );
        let created_sql = history_created_sql(
            account_id,
            after.map(|c| source_cursor(c, HistorySource::SessionCreated)),
            fetch,
        );
        let revoked_sql = history_revoked_sql(
            account_id,
            after.map(|c| source_cursor(c, HistorySource::SessionRevoked)),
            fetch,
        );
        let (audit, created, revoked): (Vec<AuditRow>, Vec<SessionRow>, Vec<SessionRow>) =
            on_db!(self, |pool, d| {
                let a = bind_args!(
                    sqlx::query_as(sqlx::AssertSqlSafe(audit_sql.text())),
                    &audit_sql.args
                )
                .fetch_all(pool)
                .await?;
                let c = bind_args!(
                    sqlx::query_as(sqlx::AssertSqlSafe(created_sql.text())),
                    &created_sql.args
                )
                .fetch_all(pool)
                .await?;
                let r = bind_args!(
                    sqlx::query_as(sqlx::AssertSqlSafe(revoked_sql.text())),
                    &revoked_sql.args
                )
                .fetch_all(pool)
                .await?;
                (a, c, r)
            });
        // A source that filled its window is only complete down to its last row: nothing older
        // than the newest such row may be returned yet (another source may have rows in between).
        let mut cut: Option<Cursor> = None;
        let mut full = |last: Option<Cursor>, n: usize| {
            if n as i64 >= fetch
                && let Some(l) = last
                && cut.is_none_or(|c| (l.at, l.id) > (c.at, c.id))
            {
                cut = Some(l);
            }
        };
        let audit: Vec<HistoryEvent> = audit.into_iter().map(audit_event).collect();
        let created: Vec<HistoryEvent> = created.into_iter().map(created_event).collect();
        let revoked: Vec<HistoryEvent> = revoked.into_iter().map(revoked_event).collect();
        full(audit.last().map(HistoryEvent::cursor), audit.len());
        full(created.last().map(HistoryEvent::cursor), created.len());
        full(revoked.last().map(HistoryEvent::cursor), revoked.len());
        let mut merged: Vec<HistoryEvent> =
            audit.into_iter().chain(created).chain(revoked).collect();
        merged.sort_by_key(|e| std::cmp::Reverse((e.at, e.key)));
        if let Some(c) = cut {
            merged.retain(|e| (e.at, e.key) > (c.at, c.id));
        }
        let more = cut.is_some() || merged.len() as i64 > limit;
        merged.truncate(limit as usize);
        let next = if more {
            merged.last().map(HistoryEvent::cursor)
        } else {
            None
        };
        // An openid may have been bound to another account before or after this one: its
        // binding rows belong to that account's history.
        merged.retain(|e| {
            !e.action.starts_with("binding.")
                || e.detail
                    .get("account_id")
                    .and_then(serde_json::Value::as_i64)
                    .is_none_or(|id| id == account_id)
        });
        Ok(Page { rows: merged, next })
    }
}

fn binding_of(target: &str) -> (Option<String>, Option<String>) {
    match target
        .strip_prefix("binding:")
        .and_then(|t| t.split_once('/'))
    {
        Some((a, o)) => (Some(a.to_owned()), Some(o.to_owned())),
        None => (None, None),
    }
}

fn audit_event(r: AuditRow) -> HistoryEvent {
    let (id, at, operator, role, origin, action, target, reason, detail) = r;
    let (appid, openid) = binding_of(&target);
    let session = detail
        .0
        .get("session")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    HistoryEvent {
        at,
        source: HistorySource::Audit,
        action,
        actor: Some(operator),
        role,
        origin,
        target,
        reason,
        appid,
        openid,
        session,
        detail: detail.0,
        key: key(HistorySource::Audit, id),
    }
}

fn created_event(r: SessionRow) -> HistoryEvent {
    let (id, at, public_id, appid, openid, client_ip, _ua) = r;
    HistoryEvent {
        actor: Some("user".into()),
        origin: client_ip,
        ..session_event(
            HistorySource::SessionCreated,
            id,
            at,
            public_id,
            appid,
            openid,
        )
    }
}

fn revoked_event(r: SessionRow) -> HistoryEvent {
    let (id, at, public_id, appid, openid, by, reason) = r;
    HistoryEvent {
        actor: by,
        reason,
        ..session_event(
            HistorySource::SessionRevoked,
            id,
            at,
            public_id,
            appid,
            openid,
        )
    }
}

/// A session's event with what every one has; the caller adds who, from where and why.
fn session_event(
    source: HistorySource,
    id: i64,
    at: Ts,
    public_id: String,
    appid: String,
    openid: String,
) -> HistoryEvent {
    HistoryEvent {
        at,
        source,
        action: match source {
            HistorySource::SessionRevoked => "session.revoke",
            _ => "session.create",
        }
        .into(),
        actor: None,
        role: None,
        origin: None,
        target: format!("session:{public_id}"),
        reason: None,
        appid: Some(appid),
        openid: Some(openid),
        session: Some(public_id),
        detail: serde_json::Value::Null,
        key: key(source, id),
    }
}

/// Every (appid, openid) the account is bound to now or had sessions through before.
pub(super) fn history_bindings_sql(account_id: i64) -> Sql {
    let mut sql = Sql::new("SELECT appid, openid FROM wechat_bindings WHERE account_id = ");
    sql.bind(Arg::I64(account_id))
        .push(" UNION SELECT appid, openid FROM sessions WHERE account_id = ")
        .bind(Arg::I64(account_id))
        .push(" LIMIT ")
        .bind(Arg::I64(MAX_TARGETS));
    sql
}

/// The audit rows of `targets` (never empty: the account's own targets are always there).
pub(super) fn history_audit_sql(targets: &[String], after: Option<Cursor>, limit: i64) -> Sql {
    let mut sql = Sql::new(
        "SELECT id, at, operator, role, origin, action, target, reason, detail FROM audit_log \
         WHERE target IN (",
    );
    for (i, t) in targets.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Arg::Text(t.clone()));
    }
    sql.push(")");
    sql.keyset(AUDIT_KEY, Keyset::NewestFirst, after, limit);
    sql
}

pub(super) fn history_created_sql(account_id: i64, after: Option<Cursor>, limit: i64) -> Sql {
    let mut sql = Sql::new(
        "SELECT id, created_at, public_id, appid, openid, client_ip, user_agent FROM sessions \
         WHERE account_id = ",
    );
    sql.bind(Arg::I64(account_id));
    sql.keyset(CREATED_KEY, Keyset::NewestFirst, after, limit);
    sql
}

pub(super) fn history_revoked_sql(account_id: i64, after: Option<Cursor>, limit: i64) -> Sql {
    let mut sql = Sql::new(
        "SELECT id, revoked_at, public_id, appid, openid, revoked_by, revoke_reason FROM sessions \
         WHERE account_id = ",
    );
    sql.bind(Arg::I64(account_id))
        .push(" AND revoked_at IS NOT NULL");
    sql.keyset(REVOKED_KEY, Keyset::NewestFirst, after, limit);
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_of_each_source_keeps_one_total_order_at_the_same_time() {
        let at = Ts::from_micros(1_000).unwrap();
        let c = Cursor {
            at,
            id: key(HistorySource::SessionCreated, 7),
        };
        // Audit rows of that microsecond all sort after a created session.
        assert_eq!(source_cursor(c, HistorySource::Audit).id, i64::MAX);
        assert_eq!(source_cursor(c, HistorySource::SessionCreated).id, 7);
        // Revocations of that microsecond sorted before it: none is left.
        assert_eq!(source_cursor(c, HistorySource::SessionRevoked).id, 0);
    }
}
