//! Roles through the real binary, on both databases: every action a role may not do is refused
//! with exit 4 naming the role it needs, changes nothing and writes no audit row; every allowed
//! one writes its audit row with the role. Plus the defects the ops layer fixed, each through
//! the face where an operator would meet it.

mod cli_support;
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{TimeZone, Utc};
use cli_support::{Run, command, run_cmd, wx};
use common::{Login, account, login, operator};
use wxlogin::ops;
use wxlogin::store::{AuditFilter, SessionFilter, Store};

const APP: &str = "wxapp00000000001";

async fn audit_rows(store: &Store) -> Vec<wxlogin::store::AuditEntry> {
    store
        .list_audit(&AuditFilter::default(), None, 10_000)
        .await
        .unwrap()
        .rows
}

async fn live(store: &Store) -> u64 {
    store
        .count_sessions(&SessionFilter::default())
        .await
        .unwrap()
}

async fn as_role(url: &str, role: &str, args: &[&str]) -> Run {
    let mut all = vec!["--role", role];
    all.extend_from_slice(args);
    wx(url, &all).await
}

/// A refused action: exit 4, says which role it needs, nothing changed, nothing audited.
async fn assert_refused(db: &common::TestDb, role: &str, needs: &str, args: &[&str]) {
    let (audit, sessions) = (audit_rows(db).await.len(), live(db).await);
    let out = as_role(&db.url, role, args).await;
    assert_eq!(out.code, 4, "{role} {args:?}: {}", out.stderr);
    assert!(
        out.stderr.contains(&format!("needs the {needs} role")) && out.stderr.contains(role),
        "{role} {args:?}: the refusal names the role needed and the operator's: {}",
        out.stderr
    );
    assert_eq!(
        audit_rows(db).await.len(),
        audit,
        "{role} {args:?}: no audit row"
    );
    assert_eq!(live(db).await, sessions, "{role} {args:?}: nothing revoked");
}

/// An allowed action: exit 0 and its newest audit row carries the role.
async fn assert_allowed(db: &common::TestDb, role: &str, action: &str, args: &[&str]) {
    let before = audit_rows(db).await.len();
    let out = as_role(&db.url, role, args).await;
    assert_eq!(out.code, 0, "{role} {args:?}: {}", out.stderr);
    let rows = audit_rows(db).await;
    assert!(rows.len() > before, "{role} {args:?}: audited");
    assert_eq!(rows[0].action, action);
    assert_eq!(
        rows[0].role.as_deref(),
        Some(role),
        "{role} {args:?}: role on the row"
    );
    assert_eq!(rows[0].operator, cli_support::OPERATOR);
}

store_test!(
    viewer_support_and_oncall_get_exactly_their_rights_from_the_cli,
    |db| {
        let alice = account(&db, "alice").await;
        let bob = account(&db, "bob").await;
        let carol = account(&db, "carol").await;
        let a1 = login(&db, alice.id, Login::new(APP, "o-alice")).await;
        login(&db, bob.id, Login::new(APP, "o-bob")).await;
        login(&db, carol.id, Login::new(APP, "o-carol")).await;
        login(&db, carol.id, Login::new("wxapp00000000002", "o-carol-2")).await;
        let alice_id = alice.id.to_string();
        let many: Vec<String> = (0..101).map(|i| format!("ses_unknown{i}")).collect();
        let mut revoke_many = vec!["sessions", "revoke", "--reason", "INC-7", "--yes"];
        revoke_many.extend(many.iter().map(String::as_str));

        let one = [
            "sessions",
            "revoke",
            &a1.public_id,
            "--reason",
            "INC-7",
            "--yes",
        ];
        let by_account = [
            "sessions",
            "revoke",
            "--account",
            &alice_id,
            "--reason",
            "INC-7",
            "--yes",
        ];
        let by_app = [
            "sessions", "revoke", "--appid", APP, "--all", "--reason", "INC-7", "--yes",
        ];
        let unbind = [
            "bindings", "unbind", "--appid", APP, "--openid", "o-bob", "--reason", "INC-7", "--yes",
        ];
        let disable = ["accounts", "disable", "bob", "--reason", "INC-7", "--yes"];

        // viewer: every change refused.
        for args in [&one[..], &by_account, &unbind, &disable] {
            assert_refused(&db, "viewer", "support", args).await;
        }
        assert_refused(&db, "viewer", "oncall", &by_app).await;
        // ... but looking works.
        assert_eq!(
            as_role(&db.url, "viewer", &["sessions", "list", "--json"])
                .await
                .code,
            0
        );

        // support: one person's sessions, unbind, disable; not a whole app, not > 100 ids.
        assert_refused(&db, "support", "oncall", &by_app).await;
        assert_refused(&db, "support", "oncall", &revoke_many).await;
        assert_refused(&db, "support", "oncall", &["accounts", "create", "dave"]).await;
        assert_allowed(&db, "support", "sessions.revoke", &one).await;
        login(&db, alice.id, Login::new(APP, "o-alice")).await;
        assert_allowed(&db, "support", "sessions.revoke", &by_account).await;
        assert_allowed(&db, "support", "binding.unbind", &unbind).await;
        assert_allowed(&db, "support", "account.disable", &disable).await;
        let unlock = ["accounts", "unlock", "carol", "--reason", "INC-7", "--yes"];
        assert_refused(&db, "viewer", "support", &unlock).await;
        assert_allowed(&db, "support", "account.unlock", &unlock).await;

        // oncall: everything, including a whole app.
        assert_allowed(&db, "oncall", "sessions.revoke", &by_app).await;
        assert_eq!(
            live(&db).await,
            1,
            "only carol's session in the other app is left"
        );
    }
);

store_test!(
    the_role_comes_from_the_environment_or_the_config_file_too,
    |db| {
        let alice = account(&db, "alice").await;
        let s = login(&db, alice.id, Login::new(APP, "o-alice")).await;
        let args = [
            "sessions",
            "revoke",
            s.public_id.as_str(),
            "--reason",
            "r",
            "--yes",
        ];
        let mut env = command(&db.url, &args);
        env.env("WXLOGIN_ROLE", "viewer");
        let out = run_cmd(env, None).await;
        assert_eq!(out.code, 4, "{}", out.stderr);
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("wxlogin.toml");
        std::fs::write(&cfg, "role = \"viewer\"\n").unwrap();
        let mut file = command(&db.url, &args);
        file.env("WXLOGIN_CONFIG", &cfg);
        assert_eq!(run_cmd(file, None).await.code, 4);
        // A flag beats the config file.
        let mut flag = command(&db.url, &["--role", "support"]);
        flag.args(args).env("WXLOGIN_CONFIG", &cfg);
        assert_eq!(run_cmd(flag, None).await.code, 0);
        // A role that does not exist is a usage error that lists the three.
        let bad = as_role(&db.url, "admin", &["sessions", "list"]).await;
        assert_eq!(bad.code, 2);
        assert!(
            bad.stderr.contains("viewer, support or oncall"),
            "{}",
            bad.stderr
        );
        // --read-only makes anyone a viewer, whatever --role says.
        let s2 = login(&db, alice.id, Login::new(APP, "o-alice")).await;
        let ro = wx(
            &db.url,
            &[
                "--read-only",
                "--role",
                "oncall",
                "sessions",
                "revoke",
                &s2.public_id,
                "--reason",
                "r",
                "--yes",
            ],
        )
        .await;
        assert_eq!(ro.code, 4, "{}", ro.stderr);
        assert!(ro.stderr.contains("you are viewer"), "{}", ro.stderr);
    }
);

store_test!(
    revoking_ids_skips_expired_sessions_and_says_how_many,
    |db| {
        let alice = account(&db, "alice").await;
        let fresh = login(&db, alice.id, Login::new(APP, "o-alice")).await;
        let stale = login(&db, alice.id, Login::new(APP, "o-alice")).await;
        // The second session expired an hour ago (its idle timeout passed).
        let past = wxlogin::store::Ts::from(Utc::now() - chrono::Duration::hours(1));
        if let Some(p) = db.pg_pool() {
            sqlx::query("UPDATE sessions SET expires_at = $1 WHERE public_id = $2")
                .bind(past)
                .bind(&stale.public_id)
                .execute(p)
                .await
                .unwrap();
        } else if let Some(p) = db.mysql_pool() {
            sqlx::query("UPDATE sessions SET expires_at = ? WHERE public_id = ?")
                .bind(past)
                .bind(&stale.public_id)
                .execute(p)
                .await
                .unwrap();
        } else {
            sqlx::query("UPDATE sessions SET expires_at = $1 WHERE public_id = $2")
                .bind(past)
                .bind(&stale.public_id)
                .execute(db.sqlite_pool().unwrap())
                .await
                .unwrap();
        }
        let out = wx(
            &db.url,
            &[
                "sessions",
                "revoke",
                &fresh.public_id,
                &stale.public_id,
                "ses_nobody",
                "--reason",
                "INC-9",
                "--yes",
                "--json",
            ],
        )
        .await
        .expect(0);
        let j = out.json();
        assert_eq!(
            (j["revoked"].as_u64(), j["skipped"].as_u64()),
            (Some(1), Some(2))
        );
        let row = db
            .session_by_public_id(&stale.public_id)
            .await
            .unwrap()
            .unwrap();
        assert!(
            row.revoked_at.is_none(),
            "an expired session is left as it was"
        );
        let audit = audit_rows(&db).await;
        assert_eq!(
            audit[0].detail.0["public_ids"],
            serde_json::json!([fresh.public_id])
        );
    }
);

store_test!(a_cancel_on_the_last_short_batch_is_honoured, |db| {
    let alice = account(&db, "alice").await;
    for i in 0..5 {
        login(&db, alice.id, Login::new(APP, &format!("o-alice-{i}"))).await;
    }
    let filter = SessionFilter {
        account_id: Some(alice.id),
        ..Default::default()
    };
    let mut calls = 0;
    let out = ops::revoke_matching(&db, &operator("oncall"), &filter, "drill", 10, &mut |_| {
        calls += 1;
        false
    })
    .await
    .unwrap();
    assert!(
        out.cancelled,
        "the cancel is reported even though the batch was short"
    );
    assert_eq!(
        (out.revoked, out.batches, calls),
        (5, 1, 1),
        "no sweep after the cancel"
    );
});

store_test!(bad_input_to_the_store_is_a_usage_error, |db| {
    let ids: Vec<String> = (0..10_001).map(|i| format!("ses_{i}")).collect();
    let mut args = vec!["sessions", "revoke", "--reason", "r", "--yes"];
    args.extend(ids.iter().map(String::as_str));
    let out = wx(&db.url, &args).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("at most 10000"), "{}", out.stderr);
    let err = ops::revoke_sessions(&db, &operator("oncall"), &ids, "r")
        .await
        .unwrap_err();
    assert!(matches!(err, ops::OpsError::Invalid(_)), "{err}");
    let bad = wx(&db.url, &["accounts", "create", "no spaces"]).await;
    assert_eq!(bad.code, 2, "{}", bad.stderr);
});

store_test!(
    a_touch_does_not_extend_a_session_revoked_or_expired_meanwhile,
    |db| {
        let now = Arc::new(AtomicI64::new(Utc::now().timestamp()));
        let clock = now.clone();
        let store = db.store.clone().with_clock(Arc::new(move || {
            Utc.timestamp_opt(clock.load(Ordering::SeqCst), 0).unwrap()
        }));
        let alice = account(&store, "alice").await;
        let revoked = login(&store, alice.id, Login::new(APP, "o-a")).await;
        let expiring = login(&store, alice.id, Login::new(APP, "o-b")).await;
        let row = |id: String| {
            let store = store.clone();
            async move { store.session_by_public_id(&id).await.unwrap().unwrap() }
        };
        let r = row(revoked.public_id.clone()).await;
        let abs = wxlogin::store::Ts::from(r.created_at.0 + chrono::Duration::days(30));
        ops::revoke_sessions(
            &store,
            &operator("oncall"),
            std::slice::from_ref(&r.public_id),
            "INC",
        )
        .await
        .unwrap();
        let idle = chrono::Duration::days(7);
        assert_eq!(store.touch_session(r.id, abs, idle).await.unwrap(), None);
        assert_eq!(row(revoked.public_id).await.expires_at, r.expires_at);
        // Eight days idle: past its expiry; a late touch must not bring it back.
        let e = row(expiring.public_id.clone()).await;
        now.fetch_add(chrono::Duration::days(8).num_seconds(), Ordering::SeqCst);
        assert_eq!(store.touch_session(e.id, abs, idle).await.unwrap(), None);
        assert_eq!(row(expiring.public_id).await.expires_at, e.expires_at);
    }
);

#[tokio::test]
async fn migrate_and_seed_refuse_a_viewer_and_a_viewer_never_migrates_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    for args in [
        &["--read-only", "migrate"][..],
        &["--role", "viewer", "migrate"],
        &["--read-only", "seed-synthetic", "--sessions", "10"],
    ] {
        let out = wx(&url, args).await;
        assert_eq!(out.code, 4, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("needs the oncall role"),
            "{}",
            out.stderr
        );
    }
    // An out-of-date (here: empty) SQLite file opened by a viewer is refused, not migrated.
    let out = wx(&url, &["--read-only", "sessions", "list"]).await;
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("wxlogin migrate"), "{}", out.stderr);
    let store = Store::connect(&url, Default::default()).await.unwrap();
    assert!(store.check_schema().await.is_err(), "still not migrated");
    // The same file opened by an oncall is brought up to date as before.
    wx(&url, &["sessions", "list", "--json"]).await.expect(0);
    store.check_schema().await.unwrap();
}

store_test!(account_is_the_numeric_id_in_the_cli_too, |db| {
    let out = wx(&db.url, &["sessions", "list", "--account", "alice"]).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("numeric account id") && out.stderr.contains("--username alice"),
        "{}",
        out.stderr
    );
});
