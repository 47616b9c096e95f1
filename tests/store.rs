//! The store against real databases: SQLite, PostgreSQL and MariaDB run the same bodies.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use wxlogin::ops;

use chrono::{Duration, TimeZone, Utc};
use common::*;
use wxlogin::crypto::SessionToken;
use wxlogin::secret::Secret;
use wxlogin::store::{
    AuditFilter, BindingQuery, LoginOutcome, SessionFilter, SessionState, Store, StoreError,
};

async fn raw_exec(db: &TestDb, sql: &str) -> Result<u64, sqlx::Error> {
    if let Some(p) = db.pg_pool() {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(p)
            .await
            .map(|r| r.rows_affected())
    } else if let Some(p) = db.mysql_pool() {
        // The text protocol: MariaDB cannot prepare every statement (CREATE TRIGGER).
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(p)
            .await
            .map(|r| r.rows_affected())
    } else {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(db.sqlite_pool().unwrap())
            .await
            .map(|r| r.rows_affected())
    }
}

/// Fresh planner statistics for `sessions` (MariaDB spells it ANALYZE TABLE).
async fn analyze_sessions(db: &TestDb) {
    let sql = if db.mysql_pool().is_some() {
        "ANALYZE TABLE sessions"
    } else {
        "ANALYZE sessions"
    };
    raw_exec(db, sql).await.unwrap();
}

store_test!(migrations_run_from_scratch_and_again, |db| {
    let op = operator("oncall");
    ops::migrate(&db, &op).await.expect("second run is a no-op");
    db.check_schema().await.expect("schema current");
    ops::migrate(&db, &op).await.expect("third run is a no-op");
});

store_test!(fresh_postgres_database_asks_for_migrate, |db| {
    if let Some(admin) = pg_admin_url()
        && db.pg_pool().is_some()
    {
        let url = create_pg_database(&admin).await;
        let err = Store::open(&url).await.unwrap_err();
        assert!(matches!(err, StoreError::SchemaBehind { .. }), "{err}");
        assert!(err.to_string().contains("wxlogin migrate"));
    }
});

store_test!(first_login_binds_and_issues_a_session, |db| {
    let alice = account(&db, "alice").await;
    let s = login(&db, alice.id, Login::new("wx1", "o_alice")).await;
    assert!(s.public_id.starts_with("ses_"));
    let found = db.session_by_token(&s.token.hash()).await.unwrap().unwrap();
    assert_eq!(found.session.public_id, s.public_id);
    assert_eq!(found.session.username, "alice");
    assert_eq!(found.session.appid, "wx1");
    let b = db
        .find_bindings(&BindingQuery::Username("alice".into()))
        .await
        .unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].openid, "o_alice");
    assert_eq!(b[0].active_sessions, 1);
    assert!(b[0].last_login_at.is_some());
});

store_test!(silent_login_needs_a_binding, |db| {
    let sk = Secret::new("k");
    let l = Login::new("wx1", "o_nobody");
    let out = db
        .login_bound(&data_key(), &new_session(&l, &sk))
        .await
        .unwrap();
    assert!(matches!(out, LoginOutcome::NotBound));
    let bob = account(&db, "bob").await;
    login(&db, bob.id, Login::new("wx1", "o_bob")).await;
    let out = db
        .login_bound(&data_key(), &new_session(&Login::new("wx1", "o_bob"), &sk))
        .await
        .unwrap();
    assert!(matches!(out, LoginOutcome::Issued(s) if s.account_id == bob.id));
});

store_test!(one_wechat_identity_belongs_to_one_account, |db| {
    let a = account(&db, "a").await;
    let b = account(&db, "b").await;
    login(&db, a.id, Login::new("wx1", "o_same")).await;
    // A second first-login for the same identity with other credentials is refused: it must
    // not silently become a login of the bound account.
    let sk = Secret::new("k");
    let out = db
        .bind_and_login(
            &data_key(),
            b.id,
            &new_session(&Login::new("wx1", "o_same"), &sk),
        )
        .await
        .unwrap();
    assert!(matches!(out, LoginOutcome::BoundToOther), "{out:?}");
    let again = login(&db, a.id, Login::new("wx1", "o_same")).await;
    assert_eq!(again.account_id, a.id);
    // The same account may be bound in another mini program.
    login(&db, a.id, Login::new("wx2", "o_other_app")).await;
    let detail = db.account_detail(a.id).await.unwrap().unwrap();
    assert_eq!(detail.bindings.len(), 2);
});

store_test!(session_ids_are_never_stored_in_clear, |db| {
    let acc = account(&db, "carol").await;
    let s = login(&db, acc.id, Login::new("wx1", "o_carol")).await;
    let token = s.token.expose().to_owned();
    let session_key = "SESSIONKEY-fixture-0123==";
    // Every column of every session row, as text.
    let dump: Vec<String> = if let Some(p) = db.pg_pool() {
        sqlx::query_scalar("SELECT row_to_json(s)::text FROM sessions s")
            .fetch_all(p)
            .await
            .unwrap()
    } else if let Some(p) = db.mysql_pool() {
        sqlx::query_scalar(
            "SELECT CONCAT(public_id, '|', hex(token_hash), '|', hex(session_key_enc), '|', \
             appid, openid, coalesce(user_agent,'')) FROM sessions",
        )
        .fetch_all(p)
        .await
        .unwrap()
    } else {
        let p = db.sqlite_pool().unwrap();
        sqlx::query_scalar(
            "SELECT public_id || '|' || hex(token_hash) || '|' || hex(session_key_enc) || '|' || \
             appid || openid || coalesce(user_agent,'') FROM sessions",
        )
        .fetch_all(p)
        .await
        .unwrap()
    };
    assert_eq!(dump.len(), 1);
    let hex_token = hex::encode(token.as_bytes());
    for row in &dump {
        assert!(!row.contains(&token), "raw SessionId stored");
        assert!(
            !row.to_lowercase().contains(&hex_token),
            "raw SessionId stored as bytes"
        );
        assert!(!row.contains(session_key), "session_key stored in clear");
        assert!(
            !row.to_lowercase()
                .contains(&hex::encode(session_key.as_bytes())),
            "session_key stored in clear"
        );
    }
    // What is stored is the SHA-256 of the token.
    let by_hash = db.session_by_token(&s.token.hash()).await.unwrap();
    assert!(by_hash.is_some());
    let wrong = db
        .session_by_token(&SessionToken::from_raw("not-a-token").hash())
        .await
        .unwrap();
    assert!(wrong.is_none());
});

store_test!(
    keyset_pages_return_every_row_once_while_rows_are_inserted,
    |db| {
        let acc = account(&db, "pager").await;
        let mut expected = HashSet::new();
        for i in 0..120 {
            let s = login(&db, acc.id, Login::new("wx1", &format!("o_{i}"))).await;
            expected.insert(s.public_id);
        }
        let store = db.store.clone();
        let writer = tokio::spawn(async move {
            let mut added = 0;
            for i in 0..40 {
                login(&store, acc.id, Login::new("wx1", &format!("o_new_{i}"))).await;
                added += 1;
            }
            added
        });
        let mut seen = HashSet::new();
        let mut after = None;
        let mut pages = 0;
        loop {
            let page = db
                .list_sessions(&SessionFilter::default(), after, 7)
                .await
                .unwrap();
            for r in &page.rows {
                assert!(
                    seen.insert(r.public_id.clone()),
                    "{} seen twice",
                    r.public_id
                );
            }
            pages += 1;
            tokio::task::yield_now().await;
            match page.next {
                Some(c) => after = Some(c),
                None => break,
            }
        }
        writer.await.unwrap();
        assert!(pages >= 120 / 7);
        // Every row that existed before the scan began was returned exactly once; rows inserted
        // during the scan are newer than the cursor and may or may not appear, never twice.
        for id in &expected {
            assert!(seen.contains(id), "{id} missing");
        }
        let total = db.count_sessions(&SessionFilter::default()).await.unwrap();
        assert_eq!(total, 160);
    }
);

store_test!(list_filters_narrow_to_the_right_sessions, |db| {
    let a = account(&db, "alice").await;
    let b = account(&db, "bob").await;
    let mut l = Login::new("wx1", "o_a1");
    l.unionid = Some("u_alice");
    l.ip = "203.0.113.5";
    let s1 = login(&db, a.id, l).await;
    login(&db, a.id, Login::new("wx2", "o_a2")).await;
    login(&db, b.id, Login::new("wx1", "o_b1")).await;
    let count = |f: SessionFilter| {
        let db = db.store.clone();
        async move { db.list_sessions(&f, None, 50).await.unwrap().rows.len() }
    };
    assert_eq!(count(SessionFilter::default()).await, 3);
    assert_eq!(
        count(SessionFilter {
            account_id: Some(a.id),
            ..Default::default()
        })
        .await,
        2
    );
    assert_eq!(
        count(SessionFilter {
            username: Some("bob".into()),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(SessionFilter {
            appid: Some("wx1".into()),
            ..Default::default()
        })
        .await,
        2
    );
    assert_eq!(
        count(SessionFilter {
            openid: Some("o_a2".into()),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(SessionFilter {
            unionid: Some("u_alice".into()),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(SessionFilter {
            client_ip: Some("203.0.113.5".into()),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(SessionFilter {
            public_id: Some(s1.public_id.clone()),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(SessionFilter {
            token_hash: Some(s1.token.hash()),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(SessionFilter {
            username: Some("nobody".into()),
            ..Default::default()
        })
        .await,
        0
    );
});

store_test!(revoke_is_idempotent_and_audited, |db| {
    let acc = account(&db, "dave").await;
    let s = login(&db, acc.id, Login::new("wx1", "o_dave")).await;
    let op = operator("oncall-amy");
    let n = ops::revoke_sessions(&db, &op, std::slice::from_ref(&s.public_id), "incident 42")
        .await
        .unwrap();
    assert_eq!((n.revoked.len(), n.skipped), (1, 0));
    let again = ops::revoke_sessions(&db, &op, std::slice::from_ref(&s.public_id), "incident 42")
        .await
        .unwrap();
    assert_eq!(
        (again.revoked.len(), again.skipped),
        (0, 1),
        "second revoke changes nothing and says it skipped the id"
    );
    let row = db
        .session_by_public_id(&s.public_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state(db.now().into()), SessionState::Revoked);
    assert_eq!(row.revoked_by.as_deref(), Some("oncall-amy"));
    assert_eq!(row.revoke_reason.as_deref(), Some("incident 42"));
    let audit = audit_rows(&db, "sessions.revoke").await;
    assert_eq!(audit.len(), 1, "exactly one audit row for the one change");
    assert_eq!(audit[0].operator, "oncall-amy");
    assert_eq!(audit[0].origin.as_deref(), Some("ssh:203.0.113.7"));
    assert_eq!(audit[0].reason.as_deref(), Some("incident 42"));
    assert_eq!(audit[0].target, format!("session:{}", s.public_id));
    // The revoked session no longer lists as active, but does with include_inactive.
    let active = db
        .list_sessions(&SessionFilter::default(), None, 10)
        .await
        .unwrap();
    assert!(active.rows.is_empty());
    let all = db
        .list_sessions(
            &SessionFilter {
                include_inactive: true,
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(all.rows.len(), 1);
});

store_test!(
    bulk_revoke_works_in_batches_reports_progress_and_can_stop,
    |db| {
        let acc = account(&db, "bulk").await;
        let other = account(&db, "other").await;
        for i in 0..25 {
            login(&db, acc.id, Login::new("wx1", &format!("o_bulk_{i}"))).await;
        }
        login(&db, other.id, Login::new("wx1", "o_other")).await;
        let op = operator("oncall");
        let filter = SessionFilter {
            account_id: Some(acc.id),
            ..Default::default()
        };
        // Stop after the second batch.
        let mut seen = Vec::new();
        let out = ops::revoke_matching(&db, &op, &filter, "drill", 10, &mut |p| {
            seen.push(p);
            p.batches < 2
        })
        .await
        .unwrap();
        assert!(out.cancelled);
        assert_eq!(out.revoked, 20);
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1].total, 25);
        assert_eq!(db.count_sessions(&filter).await.unwrap(), 5);
        assert_eq!(
            audit_rows(&db, "sessions.revoke").await.len(),
            2,
            "one audit row per batch"
        );
        // Finish the job; the other account is untouched.
        let out = ops::revoke_matching(&db, &op, &filter, "drill", 10, &mut |_| true)
            .await
            .unwrap();
        assert_eq!((out.revoked, out.cancelled), (5, false));
        let again = ops::revoke_matching(&db, &op, &filter, "drill", 10, &mut |_| true)
            .await
            .unwrap();
        assert_eq!(again.revoked, 0);
        assert_eq!(
            db.count_sessions(&SessionFilter::default()).await.unwrap(),
            1
        );
        // A filter that selects everything is refused.
        let err =
            ops::revoke_matching(&db, &op, &SessionFilter::default(), "oops", 10, &mut |_| {
                true
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("refusing"));
        assert!(
            matches!(err, ops::OpsError::Invalid(_)),
            "bad input, not a runtime error"
        );
    }
);

store_test!(
    bulk_revoke_also_revokes_sessions_created_during_the_walk,
    |db| {
        let acc = account(&db, "sweep").await;
        for i in 0..25 {
            login(&db, acc.id, Login::new("wxsweep", &format!("o_sweep_{i}"))).await;
        }
        let op = operator("oncall");
        let filter = SessionFilter {
            appid: Some("wxsweep".to_owned()),
            ..Default::default()
        };
        // After the first batch, two logins arrive: one sorts after the walk's cursor (the walk
        // reaches it), the other is stamped behind the cursor, as a login that committed late
        // or an instance with a lagging clock would be (only the final sweep can find it).
        let handle = tokio::runtime::Handle::current();
        let mut added = false;
        let out = ops::revoke_matching(&db, &op, &filter, "drill", 10, &mut |p| {
            if p.batches == 1 && !added {
                added = true;
                tokio::task::block_in_place(|| {
                    handle.block_on(async {
                        login(&db, acc.id, Login::new("wxsweep", "o_sweep_ahead")).await;
                        login(&db, acc.id, Login::new("wxsweep", "o_sweep_behind")).await;
                        let moved = raw_exec(
                            &db,
                            "UPDATE sessions SET created_at = (SELECT m FROM (SELECT MIN(created_at) AS m \
                             FROM sessions WHERE appid = 'wxsweep') AS oldest) \
                             WHERE openid = 'o_sweep_behind'",
                        )
                        .await
                        .unwrap();
                        assert_eq!(moved, 1);
                    })
                });
            }
            true
        })
        .await
        .unwrap();
        assert!(added);
        assert_eq!((out.revoked, out.cancelled), (27, false));
        assert!(out.sweep > std::time::Duration::ZERO, "the sweep ran");
        assert_eq!(
            db.count_sessions(&filter).await.unwrap(),
            0,
            "no session of the appid is left live"
        );
        for openid in ["o_sweep_ahead", "o_sweep_behind"] {
            let f = SessionFilter {
                openid: Some(openid.to_owned()),
                include_inactive: true,
                ..Default::default()
            };
            let rows = db.list_sessions(&f, None, 10).await.unwrap().rows;
            assert_eq!(rows.len(), 1);
            assert!(rows[0].revoked_at.is_some(), "{openid} was revoked");
        }
    }
);

store_test!(
    live_session_count_is_exact_when_small_and_the_estimate_is_close,
    |db| {
        let acc = account(&db, "counted").await;
        for i in 0..40 {
            login(&db, acc.id, Login::new("wxcount", &format!("o_count_{i}"))).await;
        }
        // Ten revoked, ten expired: twenty live.
        raw_exec(
            &db,
            "UPDATE sessions SET revoked_at = created_at, revoked_by = 'test' \
         WHERE openid IN ('o_count_0','o_count_1','o_count_2','o_count_3','o_count_4', \
         'o_count_5','o_count_6','o_count_7','o_count_8','o_count_9')",
        )
        .await
        .unwrap();
        raw_exec(
            &db,
            "UPDATE sessions SET expires_at = created_at WHERE openid IN ('o_count_10', \
         'o_count_11','o_count_12','o_count_13','o_count_14','o_count_15','o_count_16', \
         'o_count_17','o_count_18','o_count_19')",
        )
        .await
        .unwrap();
        let live = db.live_sessions().await.unwrap();
        assert_eq!(
            (live.count, live.exact),
            (20, true),
            "a small table is counted"
        );
        analyze_sessions(&db).await;
        let est = db.live_sessions_estimate().await.unwrap();
        if db.pg_pool().is_some() {
            assert!(!est.exact, "PostgreSQL's estimate is labelled as one");
            assert!((15..=25).contains(&est.count), "estimate {}", est.count);
        } else {
            assert_eq!((est.count, est.exact), (20, true), "SQLite counts exactly");
        }
    }
);

store_test!(
    revocations_per_minute_sum_every_revoking_action_and_skip_garbage,
    |db| {
        let op = operator("oncall");
        let bulk = account(&db, "rev-bulk").await;
        for i in 0..3 {
            login(&db, bulk.id, Login::new("wxrev", &format!("o_rev_{i}"))).await;
        }
        let gone = account(&db, "rev-gone").await;
        for i in 0..2 {
            login(&db, gone.id, Login::new("wxrev", &format!("o_gone_{i}"))).await;
        }
        let filter = SessionFilter {
            account_id: Some(bulk.id),
            ..Default::default()
        };
        let out = ops::revoke_matching(&db, &op, &filter, "drill", 2, &mut |_| true)
            .await
            .unwrap();
        assert_eq!(out.revoked, 3);
        ops::disable_account(&db, &op, gone.id, "offboarded")
            .await
            .unwrap();
        // A revoke row whose count is not a number counts nothing and breaks nothing.
        raw_exec(
            &db,
            "INSERT INTO audit_log (at, operator, role, origin, action, target, reason, detail) \
         SELECT at, 'x', NULL, NULL, 'sessions.revoke', 'garbage', NULL, '{\"revoked\":\"lots\"}' \
         FROM audit_log WHERE action = 'account.disable'",
        )
        .await
        .unwrap();
        let since = wxlogin::store::Ts::from(Utc::now() - Duration::hours(1));
        let per_minute = db.revocations_by_minute(since).await.unwrap();
        let total: i64 = per_minute.iter().map(|r| r.count).sum();
        assert_eq!(total, 5, "{per_minute:?}");
        assert!(per_minute.windows(2).all(|w| w[0].minute < w[1].minute));
    }
);

store_test!(unbind_kills_the_bindings_sessions_and_is_audited, |db| {
    let acc = account(&db, "erin").await;
    let s1 = login(&db, acc.id, Login::new("wx1", "o_erin")).await;
    let s2 = login(&db, acc.id, Login::new("wx1", "o_erin")).await;
    let keep = login(&db, acc.id, Login::new("wx2", "o_erin_wx2")).await;
    let out = ops::unbind(&db, &operator("support-li"), "wx1", "o_erin", "user asked")
        .await
        .unwrap();
    assert_eq!(out.sessions_revoked, 2);
    assert_eq!(out.username, "erin");
    for s in [&s1, &s2] {
        let r = db
            .session_by_public_id(&s.public_id)
            .await
            .unwrap()
            .unwrap();
        assert!(r.revoked_at.is_some());
    }
    let k = db
        .session_by_public_id(&keep.public_id)
        .await
        .unwrap()
        .unwrap();
    assert!(k.revoked_at.is_none(), "other app's binding untouched");
    assert!(
        db.find_bindings(&BindingQuery::OpenId {
            openid: "o_erin".into(),
            appid: None
        })
        .await
        .unwrap()
        .is_empty()
    );
    let audit = audit_rows(&db, "binding.unbind").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].target, "binding:wx1/o_erin");
    assert_eq!(audit[0].detail.0["sessions_revoked"], 2);
    // Unbinding again finds nothing.
    assert!(matches!(
        ops::unbind(&db, &operator("x"), "wx1", "o_erin", "again").await,
        Err(ops::OpsError::NothingMatched(_))
    ));
    // The identity now needs credentials again.
    let sk = Secret::new("k");
    let out = db
        .login_bound(&data_key(), &new_session(&Login::new("wx1", "o_erin"), &sk))
        .await
        .unwrap();
    assert!(matches!(out, LoginOutcome::NotBound));
});

store_test!(unbind_that_fails_half_way_changes_nothing, |db| {
    let acc = account(&db, "frank").await;
    let s = login(&db, acc.id, Login::new("wx1", "o_frank")).await;
    // Make the audit insert (the last step of unbind) fail.
    if db.pg_pool().is_some() {
        raw_exec(&db, "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END; $$").await.unwrap();
        raw_exec(
            &db,
            "CREATE TRIGGER boom BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION boom()",
        )
        .await
        .unwrap();
    } else if db.mysql_pool().is_some() {
        raw_exec(
            &db,
            "CREATE TRIGGER boom BEFORE INSERT ON audit_log FOR EACH ROW \
             SIGNAL SQLSTATE 'HY000' SET MESSAGE_TEXT = 'boom'",
        )
        .await
        .unwrap();
    } else {
        raw_exec(
            &db,
            "CREATE TRIGGER boom BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'boom'); END",
        )
        .await
        .unwrap();
    }
    let err = ops::unbind(&db, &operator("x"), "wx1", "o_frank", "r").await;
    assert!(err.is_err());
    raw_exec(&db, "DROP TRIGGER boom ON audit_log")
        .await
        .or(raw_exec(&db, "DROP TRIGGER boom").await)
        .unwrap();
    let r = db
        .session_by_public_id(&s.public_id)
        .await
        .unwrap()
        .unwrap();
    assert!(r.revoked_at.is_none(), "session still live");
    assert_eq!(
        db.find_bindings(&BindingQuery::AccountId(acc.id))
            .await
            .unwrap()
            .len(),
        1,
        "binding still there"
    );
    assert!(audit_rows(&db, "binding.unbind").await.is_empty());
});

store_test!(audit_rows_cannot_be_updated_or_deleted, |db| {
    let acc = account(&db, "gina").await;
    let s = login(&db, acc.id, Login::new("wx1", "o_gina")).await;
    ops::revoke_sessions(&db, &operator("x"), &[s.public_id], "r")
        .await
        .unwrap();
    let upd = raw_exec(&db, "UPDATE audit_log SET reason = 'forged'").await;
    assert!(upd.is_err(), "UPDATE must be rejected");
    let del = raw_exec(&db, "DELETE FROM audit_log").await;
    assert!(del.is_err(), "DELETE must be rejected");
    let err = StoreError::from(del.unwrap_err());
    assert!(err.to_string().contains("append-only"), "{err}");
    assert_eq!(
        audit_rows(&db, "sessions.revoke").await[0]
            .reason
            .as_deref(),
        Some("r")
    );
});

store_test!(
    disabling_an_account_revokes_its_sessions_and_blocks_login,
    |db| {
        let acc = account(&db, "hank").await;
        login(&db, acc.id, Login::new("wx1", "o_hank")).await;
        login(&db, acc.id, Login::new("wx2", "o_hank2")).await;
        let n = ops::disable_account(&db, &operator("sec"), acc.id, "compromised")
            .await
            .unwrap();
        assert_eq!(n, Some(2));
        assert_eq!(
            ops::disable_account(&db, &operator("sec"), acc.id, "again")
                .await
                .unwrap(),
            None
        );
        let sk = Secret::new("k");
        let out = db
            .login_bound(&data_key(), &new_session(&Login::new("wx1", "o_hank"), &sk))
            .await
            .unwrap();
        assert!(matches!(out, LoginOutcome::Disabled));
        assert_eq!(audit_rows(&db, "account.disable").await.len(), 1);
    }
);

store_test!(expired_sessions_leave_the_active_list, |db| {
    let now = Arc::new(AtomicI64::new(
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp(),
    ));
    let clock_now = now.clone();
    let store = db.store.clone().with_clock(Arc::new(move || {
        Utc.timestamp_opt(clock_now.load(Ordering::SeqCst), 0)
            .unwrap()
    }));
    let acc = account(&store, "ivy").await;
    let s = login(&store, acc.id, Login::new("wx1", "o_ivy")).await;
    assert_eq!(
        store
            .count_sessions(&SessionFilter::default())
            .await
            .unwrap(),
        1
    );
    // Idle for 8 days (> 7-day idle timeout).
    now.fetch_add(Duration::days(8).num_seconds(), Ordering::SeqCst);
    assert_eq!(
        store
            .count_sessions(&SessionFilter::default())
            .await
            .unwrap(),
        0
    );
    let r = store
        .session_by_public_id(&s.public_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.state(store.now().into()), SessionState::Expired);
});

store_test!(audit_list_filters_and_pages, |db| {
    let op_a = operator("amy");
    let op_b = operator("ben");
    let create = |op, name: String| {
        let db = &db;
        async move {
            ops::create_account(
                db,
                op,
                &wxlogin::store::NewAccount {
                    username: name,
                    password_hash: fixture_password_hash(),
                    display_name: None,
                },
            )
            .await
            .unwrap()
        }
    };
    for i in 0..5 {
        create(&op_a, format!("amy-made-{i}")).await;
    }
    let ben_made = create(&op_b, "ben-made".into()).await;
    let page = db
        .list_audit(
            &AuditFilter {
                operator: Some("amy".into()),
                ..Default::default()
            },
            None,
            3,
        )
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 3);
    let rest = db
        .list_audit(
            &AuditFilter {
                operator: Some("amy".into()),
                ..Default::default()
            },
            page.next,
            3,
        )
        .await
        .unwrap();
    assert_eq!(rest.rows.len(), 2);
    assert!(rest.next.is_none());
    let by_target = db
        .list_audit(
            &AuditFilter {
                target: Some(format!("account:{}", ben_made.id)),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(by_target.rows[0].operator, "ben");
    assert_eq!(by_target.rows[0].role.as_deref(), Some("oncall"));
});

store_test!(usernames_are_unique_and_validated, |db| {
    account(&db, "jo").await;
    let dup = ops::create_account(
        &db,
        &operator("x"),
        &wxlogin::store::NewAccount {
            username: "jo".into(),
            password_hash: fixture_password_hash(),
            display_name: None,
        },
    )
    .await
    .unwrap_err();
    assert!(dup.to_string().contains("already exists"), "{dup}");
    let bad = ops::create_account(
        &db,
        &operator("x"),
        &wxlogin::store::NewAccount {
            username: "a b\x1b".into(),
            password_hash: fixture_password_hash(),
            display_name: None,
        },
    )
    .await
    .unwrap_err();
    assert!(bad.to_string().contains("invalid username"));
    assert!(
        matches!(bad, ops::OpsError::Invalid(_)),
        "bad input, not a runtime error"
    );
});

/// Every store and ops future can be spawned onto the runtime (the console and the service rely on it).
#[test]
fn store_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let store = rt.block_on(sqlite_db());
    let op = operator("x");
    let filter = SessionFilter::default();
    let mut cb = |_p: wxlogin::store::RevokeProgress| true;
    assert_send(&ops::unbind(&store, &op, "a", "o", "r"));
    assert_send(&ops::revoke_matching(
        &store, &op, &filter, "r", 10, &mut cb,
    ));
    assert_send(&ops::revoke_sessions(&store, &op, &[], "r"));
    assert_send(&ops::disable_account(&store, &op, 1, "r"));
    assert_send(&store.list_sessions(&filter, None, 10));
    let key = data_key();
    let sk = Secret::new("k");
    let l = Login::new("wx", "o");
    let ns = new_session(&l, &sk);
    assert_send(&store.login_bound(&key, &ns));
    assert_send(&store.bind_and_login(&key, 1, &ns));
}

store_test!(
    a_large_bulk_revoke_walks_two_ranges_on_postgres_and_misses_nothing,
    |db| {
        let acc = account(&db, "many").await;
        let other = account(&db, "bystander").await;
        for i in 0..120 {
            login(&db, acc.id, Login::new("wxmany", &format!("o_many_{i}"))).await;
        }
        login(&db, other.id, Login::new("wxother", "o_bystander")).await;
        // Statistics give PostgreSQL's walk its split point.
        let postgres = db.pg_pool().is_some();
        analyze_sessions(&db).await;
        let op = operator("oncall");
        let filter = SessionFilter {
            appid: Some("wxmany".to_owned()),
            ..Default::default()
        };
        let mut seen = Vec::new();
        let out = ops::revoke_matching(&db, &op, &filter, "drill", 10, &mut |p| {
            seen.push(p);
            true
        })
        .await
        .unwrap();
        assert_eq!(out.ranges, if postgres { 2 } else { 1 });
        assert_eq!((out.revoked, out.cancelled), (120, false));
        assert_eq!(db.count_sessions(&filter).await.unwrap(), 0);
        let bystander = SessionFilter {
            appid: Some("wxother".to_owned()),
            ..Default::default()
        };
        assert_eq!(db.count_sessions(&bystander).await.unwrap(), 1);
        // Progress only grows, and its last report is the whole revoke.
        assert!(seen.windows(2).all(|w| w[0].revoked < w[1].revoked));
        assert_eq!(seen.last().map(|p| (p.revoked, p.total)), Some((120, 120)));
        // One audit row per batch, each with its own number.
        let audit = audit_rows(&db, "sessions.revoke").await;
        assert_eq!(audit.len() as u64, out.batches);
        let mut numbers: Vec<i64> = audit
            .iter()
            .map(|a| a.detail["batch"].as_i64().expect("a batch number"))
            .collect();
        numbers.sort();
        assert_eq!(numbers, (1..=out.batches as i64).collect::<Vec<_>>());
        assert_eq!(
            audit
                .iter()
                .map(|a| a.detail["revoked"].as_u64().unwrap())
                .sum::<u64>(),
            120
        );

        // Stopping at the first report leaves whole batches revoked and the rest live.
        for i in 0..120 {
            login(&db, acc.id, Login::new("wxmany", &format!("o_again_{i}"))).await;
        }
        analyze_sessions(&db).await;
        let out = ops::revoke_matching(&db, &op, &filter, "drill", 10, &mut |_| false)
            .await
            .unwrap();
        assert!(out.cancelled);
        assert_eq!(out.revoked % 10, 0, "whole batches only: {}", out.revoked);
        assert!((10..=20).contains(&out.revoked), "{}", out.revoked);
        assert_eq!(db.count_sessions(&filter).await.unwrap(), 120 - out.revoked);
    }
);

store_test!(openids_differing_only_in_case_are_two_users, |db| {
    // WeChat identifiers are case-sensitive: `oAbc` and `oabc` are two people. A
    // case-insensitive comparison (MySQL's default collations) would log one in as the other.
    let upper = account(&db, "upper").await;
    let lower = account(&db, "lower").await;
    let a = login(&db, upper.id, Login::new("wxcase", "oCaseSensitive")).await;
    let b = login(&db, lower.id, Login::new("wxcase", "ocasesensitive")).await;
    assert_eq!(a.account_id, upper.id);
    assert_eq!(
        b.account_id, lower.id,
        "the lower-case openid is its own user"
    );
    for (openid, owner) in [("oCaseSensitive", "upper"), ("ocasesensitive", "lower")] {
        let found = db
            .find_bindings(&BindingQuery::OpenId {
                openid: openid.to_owned(),
                appid: Some("wxcase".to_owned()),
            })
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{openid}: one binding, its own");
        assert_eq!(found[0].openid, openid);
        assert_eq!(found[0].username, owner);
    }
    // A silent login of each identity reaches its own account, never the other.
    let sk = Secret::new("SESSIONKEY-fixture-0123==");
    for (openid, owner) in [("oCaseSensitive", upper.id), ("ocasesensitive", lower.id)] {
        let l = Login::new("wxcase", openid);
        match db.login_bound(&data_key(), &new_session(&l, &sk)).await {
            Ok(LoginOutcome::Issued(s)) => assert_eq!(s.account_id, owner, "{openid}"),
            other => panic!("{openid}: expected a session, got {other:?}"),
        }
    }
    // An openid that differs from both only in case is not bound at all.
    let l = Login::new("wxcase", "OCASESENSITIVE");
    assert!(matches!(
        db.login_bound(&data_key(), &new_session(&l, &sk)).await,
        Ok(LoginOutcome::NotBound)
    ));
});

store_test!(usernames_are_case_sensitive_on_every_backend, |db| {
    // The documented rule (docs/scale-out.md): `Alice` and `alice` are two accounts, on
    // SQLite, PostgreSQL and MariaDB alike; the same name twice is refused.
    let a = account(&db, "Alice").await;
    let b = account(&db, "alice").await;
    assert_ne!(a.id, b.id);
    let again = ops::create_account(
        &db,
        &operator("fixture"),
        &wxlogin::store::NewAccount {
            username: "Alice".to_owned(),
            password_hash: fixture_password_hash(),
            display_name: None,
        },
    )
    .await
    .unwrap_err();
    assert!(again.to_string().contains("already exists"), "{again}");
    let found = db
        .find_bindings(&BindingQuery::Username("alice".into()))
        .await
        .unwrap();
    assert!(
        found.is_empty(),
        "no bindings yet, and no mix-up with Alice"
    );
    let by_name = db.account_by_username("alice").await.unwrap().unwrap();
    assert_eq!(by_name.id, b.id);
    let by_name = db.account_by_username("Alice").await.unwrap().unwrap();
    assert_eq!(by_name.id, a.id);
});

// GET /me's lookups of concurrent requests go to the database in one query (PostgreSQL's
// array, MariaDB's IN list; SQLite one by one): each hash gets its own session back, a revoked
// one says so, and an unknown hash gets nothing.
store_test!(
    several_sessionids_looked_up_at_once_each_find_their_own_session,
    |db| {
        let acc = account(&db, "lena").await;
        let a = login(&db, acc.id, Login::new("wx1", "o_lena_a")).await;
        let b = login(&db, acc.id, Login::new("wx1", "o_lena_b")).await;
        let c = login(&db, acc.id, Login::new("wx2", "o_lena_c")).await;
        ops::revoke_sessions(
            &db,
            &operator("oncall-amy"),
            std::slice::from_ref(&b.public_id),
            "t",
        )
        .await
        .unwrap();
        let unknown = SessionToken::generate().hash();
        let asked = [a.token.hash(), b.token.hash(), unknown, c.token.hash()];
        let found = db.validate_tokens(&asked).await.unwrap();
        assert_eq!(found.len(), 3, "{found:?}");
        for (s, revoked) in [(&a, false), (&b, true), (&c, false)] {
            let (_, v) = found
                .iter()
                .find(|(h, _)| *h == s.token.hash())
                .unwrap_or_else(|| panic!("{} not found", s.public_id));
            assert_eq!(v.public_id, s.public_id);
            assert_eq!(v.revoked, revoked, "{}", s.public_id);
            assert_eq!(v.username, "lena");
        }
        assert!(found.iter().all(|(h, _)| *h != unknown));
    }
);
