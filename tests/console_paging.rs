//! Scrolling through a large table keeps memory bounded: the console holds a sliding window of
//! keyset pages, never the table.

mod common;
mod console_support;

use console_support::*;
use wxlogin::console::window::CAP;
use wxlogin::store::{Backend, Store};

const N: i64 = 100_000;

/// Inserts `N` live sessions of one account, one second apart, straight in SQL (the login path
/// would take minutes for this many).
async fn seed(store: &Store) {
    let account = common::account(store, "bulk").await.id;
    let t0_us = t0().timestamp_micros();
    match store.backend() {
        Backend::Sqlite => {
            let sql = format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {N}) \
                 INSERT INTO sessions (public_id, token_hash, account_id, appid, openid, session_key_enc, \
                   created_at, last_seen_at, expires_at, absolute_expires_at, client_ip, user_agent) \
                 SELECT printf('ses_%020x', i), randomblob(32), {account}, 'wxbulk0000000001', \
                   printf('oBulk%023d', i), x'00', {t0_us} - i * 1000000, {t0_us} - i * 1000000, \
                   {t0_us} + 86400000000, {t0_us} + 86400000000, '10.0.0.1', 'bulk' FROM n"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(store.sqlite_pool().unwrap())
                .await
                .unwrap();
        }
        Backend::Postgres => {
            let sql = format!(
                "INSERT INTO sessions (public_id, token_hash, account_id, appid, openid, session_key_enc, \
                   created_at, last_seen_at, expires_at, absolute_expires_at, client_ip, user_agent) \
                 SELECT 'ses_' || lpad(to_hex(i), 20, '0'), decode(lpad(to_hex(i), 64, '0'), 'hex'), \
                   {account}, 'wxbulk0000000001', 'oBulk' || lpad(i::text, 23, '0'), '\\x00'::bytea, \
                   to_timestamp({t0_us} / 1e6) - make_interval(secs => i), \
                   to_timestamp({t0_us} / 1e6) - make_interval(secs => i), \
                   to_timestamp({t0_us} / 1e6) + interval '1 day', \
                   to_timestamp({t0_us} / 1e6) + interval '1 day', '10.0.0.1', 'bulk' \
                 FROM generate_series(1, {N}) AS i"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(store.pg_pool().unwrap())
                .await
                .unwrap();
            sqlx::query("ANALYZE sessions")
                .execute(store.pg_pool().unwrap())
                .await
                .unwrap();
        }
        Backend::MySql => {
            // MariaDB's Sequence engine: seq_1_to_N is a table of 1..N.
            let sql = format!(
                "INSERT INTO sessions (public_id, token_hash, account_id, appid, openid, session_key_enc, \
                   created_at, last_seen_at, expires_at, absolute_expires_at, client_ip, user_agent) \
                 SELECT CONCAT('ses_', LPAD(LOWER(HEX(seq)), 20, '0')), UNHEX(LPAD(HEX(seq), 64, '0')), \
                   {account}, 'wxbulk0000000001', CONCAT('oBulk', LPAD(seq, 23, '0')), x'00', \
                   FROM_UNIXTIME({t0_us} / 1000000) - INTERVAL seq SECOND, \
                   FROM_UNIXTIME({t0_us} / 1000000) - INTERVAL seq SECOND, \
                   FROM_UNIXTIME({t0_us} / 1000000) + INTERVAL 1 DAY, \
                   FROM_UNIXTIME({t0_us} / 1000000) + INTERVAL 1 DAY, '10.0.0.1', 'bulk' \
                 FROM seq_1_to_{N}"
            );
            let pool = store.mysql_pool().unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(pool)
                .await
                .unwrap();
            sqlx::raw_sql("ANALYZE TABLE sessions")
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

store_test!(
    paging_through_100k_sessions_visits_every_row_in_bounded_memory,
    |db| {
        let clock = TestClock::at(t0());
        let store = with_clock(&db, &clock);
        seed(&store).await;
        let mut app = app(&store, false);
        app.settle().await;
        assert_eq!(app.sessions.total, Some(N as u64));
        let max_id = N as usize + 16;
        let mut seen = vec![false; max_id];
        let mut largest_window = 0;
        let mut steps = 0;
        loop {
            let w = &app.sessions.list.window;
            largest_window = largest_window.max(w.rows.len());
            assert!(w.rows.len() <= CAP, "window holds {} rows", w.rows.len());
            // Contiguous, newest first: each row is exactly one second older than the one above.
            for pair in w.rows.iter().collect::<Vec<_>>().windows(2) {
                assert_eq!(
                    pair[0].created_at.micros() - pair[1].created_at.micros(),
                    1_000_000,
                    "a gap or a duplicate in the window"
                );
            }
            for r in &w.rows {
                seen[r.id as usize] = true;
            }
            if w.at_bottom && w.selected + 1 == w.rows.len() {
                break;
            }
            press(&mut app, "<PgDn>").await;
            steps += 1;
            assert!(steps < 20_000, "never reached the end");
        }
        let visited = seen.iter().filter(|s| **s).count();
        assert_eq!(
            visited, N as usize,
            "every session was shown once on the way down"
        );
        assert_eq!(
            app.sessions.list.window.position(app.sessions.total),
            Some((N as u64, Some(N as u64)))
        );
        // Jumps: g loads the newest page, G the oldest, each in one query.
        press(&mut app, "g").await;
        assert_eq!(
            app.sessions.list.window.selected_row().unwrap().public_id,
            "ses_00000000000000000001"
        );
        press(&mut app, "G").await;
        let last = app.sessions.list.window.selected_row().unwrap();
        assert_eq!(last.openid, format!("oBulk{N:023}"));
        assert_eq!(
            app.sessions.list.window.position(app.sessions.total),
            Some((N as u64, Some(N as u64)))
        );
        // And back up a few pages from the end (newer pages are fetched as the cursor climbs).
        for _ in 0..30 {
            press(&mut app, "<PgUp>").await;
        }
        assert!(app.sessions.list.window.rows.len() <= CAP);
        let pos = app
            .sessions
            .list
            .window
            .position(app.sessions.total)
            .unwrap()
            .0;
        assert_eq!(pos, N as u64 - 30 * app.list_height() as u64);
        if let Some(rss) = rss_bytes() {
            eprintln!(
                "RSS after paging: {} MiB (largest window {largest_window} rows)",
                rss >> 20
            );
            assert!(rss <= 64 << 20, "RSS {} MiB exceeds 64 MiB", rss >> 20);
        }
    }
);
