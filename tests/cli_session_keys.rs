//! `wxlogin sessions check-key | reset-key`, run as the real binary against the in-process
//! WeChat emulator and a real SQLite or PostgreSQL database; and the store's reset being
//! atomic with its audit row.

mod cli_support;
mod common;

use cli_support::{OPERATOR, Run, assert_no_secret, command, run_cmd};
use common::{
    Login, audit_rows, data_key, new_session, operator, real_login, start_emulator, stored_key,
};
use wxlogin::mock_wechat::{DEMO_APPID, DEMO_SECRET, EmulatorHandle, demo_app};
use wxlogin::secret::Secret;
use wxlogin::store::{Backend, LoginOutcome};
use wxlogin::wechat::{KeyCheck, WechatClient, WechatConfig};

fn client(wx: &EmulatorHandle) -> WechatClient {
    WechatClient::new(WechatConfig::new(wx.base_url(), vec![demo_app()])).unwrap()
}

/// `wxlogin ARGS` with the demo app on the emulator and the test data key.
async fn run_wx(db_url: &str, wx: &EmulatorHandle, args: &[&str]) -> Run {
    let mut cmd = command(db_url, args);
    cmd.env("WXLOGIN_WECHAT_BASE_URL", wx.base_url())
        .env("WXLOGIN_APPID", DEMO_APPID)
        .env("WXLOGIN_APP_SECRET", DEMO_SECRET)
        .env("WXLOGIN_DATA_KEY", data_key().to_base64());
    run_cmd(cmd, None).await
}

store_test!(
    check_valid_then_reset_then_the_old_key_is_stale_and_the_new_one_valid,
    |db| {
        let wx = start_emulator().await;
        let (id, openid, old) = real_login(&db, &wx, "alice").await;
        // Another session of alice's from an older login holds another key: it keeps it.
        let other_key = Secret::new("b2xkZXJrZXlvbGRlcmtleQ==");
        let other = new_session(&Login::new(DEMO_APPID, &openid), &other_key);
        let LoginOutcome::Issued(other) = db.login_bound(&data_key(), &other).await.unwrap() else {
            panic!("alice is bound");
        };

        let check = run_wx(&db.url, &wx, &["sessions", "check-key", &id, "--json"])
            .await
            .expect(0);
        let v = check.json();
        assert_eq!(v["status"], "valid", "{v}");
        assert_eq!(v["openid"], openid.as_str());
        assert!(v["session_key_masked"].as_str().unwrap().contains('•'));
        assert_no_secret(&check, &[old.expose(), DEMO_SECRET]);

        let reset = run_wx(
            &db.url,
            &wx,
            &[
                "sessions",
                "reset-key",
                &id,
                "--reason",
                "decrypt failed for alice",
                "--yes",
                "--json",
            ],
        )
        .await
        .expect(0);
        let v = reset.json();
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(v["sessions_updated"], serde_json::json!([id]));
        let new = stored_key(&db, &id).await;
        assert_ne!(new, old);
        assert_no_secret(&reset, &[old.expose(), new.expose(), DEMO_SECRET]);
        assert_eq!(stored_key(&db, &other.public_id).await, other_key);

        // At WeChat: the old key is stale (87009), the stored new one valid.
        let c = client(&wx);
        assert!(matches!(
            c.check_session_key(DEMO_APPID, &openid, &old)
                .await
                .unwrap(),
            KeyCheck::Stale(_)
        ));
        assert_eq!(
            c.check_session_key(DEMO_APPID, &openid, &new)
                .await
                .unwrap(),
            KeyCheck::Valid
        );
        let again = run_wx(&db.url, &wx, &["sessions", "check-key", &id])
            .await
            .expect(0);
        assert!(again.stdout.contains("valid"), "{}", again.stdout);
        // The session from the older login: stale, exit 3, with the errcode and advice.
        let stale = run_wx(
            &db.url,
            &wx,
            &["sessions", "check-key", &other.public_id, "--json"],
        )
        .await
        .expect(3);
        let v = stale.json();
        assert_eq!(v["status"], "stale", "{v}");
        assert_eq!(v["error"]["errcode"], 87009);
        assert!(
            v["error"]["action"]
                .as_str()
                .unwrap()
                .contains("log in again")
        );

        let rows = audit_rows(&db, "session.reset_key").await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].operator, OPERATOR);
        assert_eq!(rows[0].target, format!("session:{id}"));
        assert_eq!(rows[0].reason.as_deref(), Some("decrypt failed for alice"));
        let detail = rows[0].detail.0.to_string();
        assert!(
            !detail.contains(old.expose()) && !detail.contains(new.expose()),
            "{detail}"
        );
        let checks = audit_rows(&db, "wechat.check_session_key").await;
        assert_eq!(checks.len(), 3);
        assert_eq!(checks[0].detail.0["status"], "stale");
    }
);

store_test!(
    check_key_and_reset_key_refuse_unknown_sessions_missing_reasons_and_unconfirmed_resets,
    |db| {
        let wx = start_emulator().await;
        let (id, _, old) = real_login(&db, &wx, "bob").await;
        run_wx(
            &db.url,
            &wx,
            &["sessions", "check-key", "ses_nosuchsession"],
        )
        .await
        .expect(3);
        run_wx(
            &db.url,
            &wx,
            &["sessions", "reset-key", &id, "--reason", "  "],
        )
        .await
        .expect(2);
        // No terminal and no --yes: refused, nothing changed.
        run_wx(
            &db.url,
            &wx,
            &["sessions", "reset-key", &id, "--reason", "test"],
        )
        .await
        .expect(4);
        run_wx(&db.url, &wx, &["--read-only", "sessions", "check-key", &id])
            .await
            .expect(4);
        assert_eq!(stored_key(&db, &id).await, old);
        assert!(audit_rows(&db, "session.reset_key").await.is_empty());
    }
);

store_test!(a_reset_is_atomic_with_its_audit_row, |db| {
    let wx = start_emulator().await;
    let (id, _, old) = real_login(&db, &wx, "carol").await;
    // Make the audit insert of a reset fail inside the transaction.
    match db.backend() {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            sqlx::raw_sql(
                "CREATE TRIGGER refuse_reset_audit BEFORE INSERT ON audit_log \
                     WHEN NEW.action = 'session.reset_key' \
                     BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END;",
            )
            .execute(&pool)
            .await
            .unwrap();
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::raw_sql(
                "CREATE FUNCTION refuse_reset_audit() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN IF NEW.action = 'session.reset_key' THEN \
                     RAISE EXCEPTION 'audit refused by the test'; END IF; RETURN NEW; END $$; \
                     CREATE TRIGGER refuse_reset_audit BEFORE INSERT ON audit_log \
                     FOR EACH ROW EXECUTE FUNCTION refuse_reset_audit();",
            )
            .execute(&pool)
            .await
            .unwrap();
        }
        Backend::MySql => {
            let pool = sqlx::MySqlPool::connect(&db.url).await.unwrap();
            sqlx::raw_sql(
                "CREATE TRIGGER refuse_reset_audit BEFORE INSERT ON audit_log FOR EACH ROW \
                     IF NEW.action = 'session.reset_key' THEN \
                     SIGNAL SQLSTATE 'HY000' SET MESSAGE_TEXT = 'audit refused by the test'; \
                     END IF",
            )
            .execute(&pool)
            .await
            .unwrap();
        }
    }
    let c = client(&wx);
    let r = wxlogin::ops::reset_session_key(&db, &c, &data_key(), &operator("oncall"), &id, "test")
        .await;
    let err = r.expect_err("the audit insert was refused, so the reset must fail");
    assert!(err.to_string().contains("could not be stored"), "{err}");
    assert_eq!(
        stored_key(&db, &id).await,
        old,
        "the key change was rolled back"
    );
    assert!(audit_rows(&db, "session.reset_key").await.is_empty());

    // Unknown session: nothing stored, nothing audited, nothing asked of WeChat.
    let unknown = wxlogin::ops::reset_session_key(
        &db,
        &c,
        &data_key(),
        &operator("oncall"),
        "ses_unknown",
        "test",
    )
    .await;
    assert!(matches!(
        unknown,
        Err(wxlogin::ops::OpsError::NothingMatched(_))
    ));
});
