//! MariaDB/MySQL: the `$N` → `?` placeholder rewrite that lets each query be written once.
//!
//! Every query of the store is written with PostgreSQL-style `$1, $2, …` placeholders, which
//! PostgreSQL and SQLite both accept. The MySQL protocol only knows positional `?`, bound in
//! the order they appear. Inside the MariaDB arm of [`super::on_db!`] the name `sqlx` refers to
//! [`sqlx_on_mysql`] instead of the crate: the same as the crate, except that `query`,
//! `query_as` and `query_scalar` rewrite the SQL text before sqlx sees it. The query bodies
//! stay identical for the three backends.
//!
//! A `?` binds the next value, so the rewrite is only correct when the placeholders appear as
//! `$1, $2, …, $n` in that order, each once (binds are made in that order everywhere in the
//! store). Anything else (`$2` before `$1`, `$1` twice) would silently bind the wrong value
//! on MariaDB, so it is refused with a panic naming the query: the SQL text is static, so a
//! violation is a bug in the store that every MariaDB test run of that query finds. A value
//! that is needed twice is bound twice, under two numbers.

use std::borrow::Cow;

/// Rewrites `$N` placeholders to `?`. Text inside quotes ('…', "…", `…`) is left alone.
///
/// Errors when the placeholders are not `$1 … $n` in order, each once.
pub(crate) fn placeholders_to_question_marks(sql: &str) -> Result<Cow<'_, str>, String> {
    if !sql.contains('$') {
        return Ok(Cow::Borrowed(sql));
    }
    let mut out = String::with_capacity(sql.len());
    let mut expected = 1u32;
    let mut quote: Option<char> = None;
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => {
                quote = Some(c);
                out.push(c);
            }
            '$' if chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) => {
                let mut n = 0u32;
                while let Some(&(_, d)) = chars.peek() {
                    let Some(v) = d.to_digit(10) else { break };
                    n = n.saturating_mul(10).saturating_add(v);
                    chars.next();
                }
                if n != expected {
                    return Err(format!(
                        "placeholder ${n} where ${expected} was expected: on MariaDB/MySQL the \
                         placeholders must appear as $1, $2, … in order, each once, in: {sql}"
                    ));
                }
                expected += 1;
                out.push('?');
            }
            _ => out.push(c),
        }
    }
    Ok(Cow::Owned(out))
}

fn rewrite(sql: impl sqlx::SqlSafeStr) -> sqlx::AssertSqlSafe<String> {
    let sql = sql.into_sql_str();
    match placeholders_to_question_marks(sql.as_str()) {
        Ok(s) => sqlx::AssertSqlSafe(s.into_owned()),
        // Static SQL text of the store: a bug, found by the first MariaDB test of this query.
        Err(e) => panic!("{e}"),
    }
}

/// The `sqlx` crate as seen by a query body running on MariaDB/MySQL (see the module doc).
pub(crate) mod sqlx_on_mysql {
    use ::sqlx::mysql::{MySql, MySqlArguments, MySqlRow};
    use ::sqlx::query::{Query, QueryAs, QueryScalar};
    pub use ::sqlx::*;

    pub fn query<'q>(sql: impl ::sqlx::SqlSafeStr) -> Query<'q, MySql, MySqlArguments> {
        ::sqlx::query(super::rewrite(sql))
    }

    pub fn query_as<'q, O>(sql: impl ::sqlx::SqlSafeStr) -> QueryAs<'q, MySql, O, MySqlArguments>
    where
        O: for<'r> ::sqlx::FromRow<'r, MySqlRow>,
    {
        ::sqlx::query_as(super::rewrite(sql))
    }

    pub fn query_scalar<'q, O>(
        sql: impl ::sqlx::SqlSafeStr,
    ) -> QueryScalar<'q, MySql, O, MySqlArguments>
    where
        (O,): for<'r> ::sqlx::FromRow<'r, MySqlRow>,
    {
        ::sqlx::query_scalar(super::rewrite(sql))
    }
}

/// The id MariaDB/MySQL reports for a statement: the AUTO_INCREMENT value an INSERT generated,
/// or the value of the last `LAST_INSERT_ID(expr)` it evaluated. The query bodies are compiled
/// for every backend, so the other two implement it as well; only MariaDB/MySQL paths call it
/// (PostgreSQL's use RETURNING, where it reports 0).
pub(crate) trait LastInsertId {
    fn last_id(&self) -> i64;
}
impl LastInsertId for sqlx::mysql::MySqlQueryResult {
    fn last_id(&self) -> i64 {
        self.last_insert_id() as i64
    }
}
impl LastInsertId for sqlx::sqlite::SqliteQueryResult {
    fn last_id(&self) -> i64 {
        self.last_insert_rowid()
    }
}
impl LastInsertId for sqlx::postgres::PgQueryResult {
    fn last_id(&self) -> i64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::placeholders_to_question_marks as rw;

    #[test]
    fn placeholders_in_order_become_question_marks() {
        assert_eq!(
            rw("SELECT a FROM t WHERE b = $1 AND c IN ($2, $3) LIMIT $4").unwrap(),
            "SELECT a FROM t WHERE b = ? AND c IN (?, ?) LIMIT ?"
        );
        assert_eq!(rw("SELECT 1").unwrap(), "SELECT 1");
        let many: String = (1..=12).map(|i| format!("${i},")).collect();
        assert_eq!(rw(&many).unwrap(), "?,".repeat(12));
    }

    #[test]
    fn dollars_inside_quotes_and_without_digits_are_left_alone() {
        assert_eq!(
            rw("SELECT '$1', \"$2\", `$3`, x$ FROM t WHERE a = $1").unwrap(),
            "SELECT '$1', \"$2\", `$3`, x$ FROM t WHERE a = ?"
        );
    }

    #[test]
    fn a_placeholder_used_twice_or_out_of_order_is_refused() {
        let e = rw("UPDATE t SET a = $1, b = $1").unwrap_err();
        assert!(e.contains("$1 where $2 was expected"), "{e}");
        let e = rw("SELECT $2, $1").unwrap_err();
        assert!(e.contains("$2 where $1 was expected"), "{e}");
        assert!(rw("SELECT $1, $3").is_err());
    }
}
