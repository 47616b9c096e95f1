//! Value types shared by the store's queries.

use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::mysql::{MySqlTypeInfo, MySqlValueRef};
use sqlx::postgres::{PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, MySql, Postgres, Sqlite, Type};

/// A UTC timestamp with microsecond precision. PostgreSQL stores it as `timestamptz`;
/// MariaDB/MySQL as `DATETIME(6)` in UTC (the connection's time_zone is +00:00); SQLite as
/// INTEGER microseconds since the epoch, which sorts and compares exactly (sqlx's default text
/// form for SQLite varies in width and does not sort).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Ts(pub DateTime<Utc>);

impl Ts {
    pub fn micros(self) -> i64 {
        self.0.timestamp_micros()
    }
    pub fn from_micros(us: i64) -> Option<Self> {
        Utc.timestamp_micros(us).single().map(Ts)
    }
    /// RFC 3339 in UTC with seconds, e.g. `2026-11-21T23:04:12Z`.
    pub fn rfc3339(self) -> String {
        self.0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

impl From<DateTime<Utc>> for Ts {
    fn from(t: DateTime<Utc>) -> Self {
        // Both backends keep microseconds: truncate so a value reads back equal.
        Ts::from_micros(t.timestamp_micros()).unwrap_or(Ts(t))
    }
}

impl Type<Postgres> for Ts {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
}
impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(
        &self,
        buf: &mut <Postgres as sqlx::Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}
impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        <DateTime<Utc> as Decode<Postgres>>::decode(value).map(Ts)
    }
}

impl Type<MySql> for Ts {
    fn type_info() -> MySqlTypeInfo {
        <DateTime<Utc> as Type<MySql>>::type_info()
    }
    fn compatible(ty: &MySqlTypeInfo) -> bool {
        <DateTime<Utc> as Type<MySql>>::compatible(ty)
    }
}
impl Encode<'_, MySql> for Ts {
    fn encode_by_ref(
        &self,
        buf: &mut <MySql as sqlx::Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<MySql>>::encode_by_ref(&self.0, buf)
    }
}
impl<'r> Decode<'r, MySql> for Ts {
    fn decode(value: MySqlValueRef<'r>) -> Result<Self, BoxDynError> {
        <DateTime<Utc> as Decode<MySql>>::decode(value).map(Ts)
    }
}

impl Type<Sqlite> for Ts {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}
impl Encode<'_, Sqlite> for Ts {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode(self.micros(), buf)
    }
}
impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let us = <i64 as Decode<Sqlite>>::decode(value)?;
        Ts::from_micros(us).ok_or_else(|| format!("timestamp out of range: {us}").into())
    }
}

/// A bind value for dynamically assembled SQL.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    I64(i64),
    Text(String),
    Ts(Ts),
    Bytes(Vec<u8>),
}

/// SQL text with `$N` placeholders and the values that go with them, built in order.
///
/// Text can only be appended from `&'static str`: everything that comes from outside (a
/// filter value, a cursor, a limit) goes through [`Sql::bind`] as a parameter, so no
/// formatted input can reach the SQL text by accident.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    text: String,
    pub args: Vec<Arg>,
}

/// The direction of a keyset page over `(at, id)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyset {
    /// Rows sorting before the cursor, newest first (the usual list page).
    NewestFirst,
    /// Rows sorting after the cursor, oldest first (scrolling up; the walk of a bulk revoke).
    OldestFirst,
}

/// A sort key of two columns, both static SQL text (e.g. `s.created_at`, `s.id`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SortKey {
    pub at: &'static str,
    pub id: &'static str,
}

impl Sql {
    pub fn new(text: &'static str) -> Self {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }
    pub fn push(&mut self, text: &'static str) -> &mut Self {
        self.text.push_str(text);
        self
    }
    pub fn text(&self) -> &str {
        &self.text
    }

    /// ` AND (at, id) < (…)` (or `>` oldest first) when there is a cursor, then the order and
    /// `LIMIT $n`: an index range scan however deep the page, never OFFSET. The one keyset
    /// helper of every list, the console's scroll-up and the bulk revoke's walk.
    pub fn keyset(
        &mut self,
        key: SortKey,
        dir: Keyset,
        after: Option<Cursor>,
        limit: i64,
    ) -> &mut Self {
        if let Some(c) = after {
            self.push(" AND (")
                .push(key.at)
                .push(", ")
                .push(key.id)
                .push(match dir {
                    Keyset::NewestFirst => ") < (",
                    Keyset::OldestFirst => ") > (",
                })
                .bind(Arg::Ts(c.at))
                .push(", ")
                .bind(Arg::I64(c.id))
                .push(")")
                // The same bound on the first column alone: redundant for PostgreSQL and
                // SQLite, which range-scan a row comparison, but MariaDB's optimizer does not:
                // without it a deep page walked the index from its start (seen at 100k rows),
                // and a join chose to sort the whole account's sessions instead.
                .push(" AND ")
                .push(key.at)
                .push(match dir {
                    Keyset::NewestFirst => " <= ",
                    Keyset::OldestFirst => " >= ",
                })
                .bind(Arg::Ts(c.at));
        }
        let (at_dir, id_dir) = match dir {
            Keyset::NewestFirst => (" DESC, ", " DESC LIMIT "),
            Keyset::OldestFirst => (" ASC, ", " ASC LIMIT "),
        };
        self.push(" ORDER BY ")
            .push(key.at)
            .push(at_dir)
            .push(key.id)
            .push(id_dir)
            .bind(Arg::I64(limit))
    }

    /// A newest-first page after `after` that fetches one row more than `limit`, so that
    /// [`Page::from_overfetch`] can tell whether there is a next page.
    pub fn newest_first_page(
        &mut self,
        key: SortKey,
        after: Option<Cursor>,
        limit: i64,
    ) -> &mut Self {
        self.keyset(key, Keyset::NewestFirst, after, limit + 1)
    }

    /// Appends the placeholder for `arg`.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        use std::fmt::Write;
        self.args.push(arg);
        let _ = write!(self.text, "${}", self.args.len());
        self
    }

    /// ` AND col = $n` for a value that is there.
    pub fn and_eq(&mut self, col: &'static str, v: Option<Arg>) -> &mut Self {
        if let Some(v) = v {
            self.push(" AND ").push(col).push(" = ").bind(v);
        }
        self
    }
}

/// Where a keyset page ends: the sort key of its last row. Opaque to callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: Ts,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            "{}.{}",
            self.at.micros(),
            self.id
        ))
    }

    pub fn decode(text: &str) -> Option<Self> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim())
            .ok()?;
        let s = String::from_utf8(raw).ok()?;
        let (a, b) = s.split_once('.')?;
        Some(Cursor {
            at: Ts::from_micros(a.parse().ok()?)?,
            id: b.parse().ok()?,
        })
    }
}

/// One keyset page: the rows and the cursor for the next page, if there is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only says a next page exists.
    pub(crate) fn from_overfetch(
        mut rows: Vec<T>,
        limit: i64,
        cursor: impl Fn(&T) -> Cursor,
    ) -> Self {
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(cursor)
        } else {
            None
        };
        Page { rows, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor {
            at: Ts::from_micros(1_763_766_252_123_456).unwrap(),
            id: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode(""), None);
    }
}
