//! `wxlogin bindings show | unbind` and `wxlogin accounts create | show | disable`, run as the
//! real binary against SQLite and PostgreSQL.

mod cli_support;
mod common;

use cli_support::{OPERATOR, ORIGIN, wx, wx_stdin};
use common::{Login, account, audit_rows, login};
use wxlogin::store::{BindingQuery, SessionFilter};

const APP: &str = "wxapp00000000001";
const APP2: &str = "wxapp00000000002";

async fn live(store: &wxlogin::store::Store, account_id: i64) -> u64 {
    store
        .count_sessions(&SessionFilter {
            account_id: Some(account_id),
            ..Default::default()
        })
        .await
        .unwrap()
}

store_test!(
    bindings_show_finds_by_openid_unionid_username_and_account,
    |db| {
        let alice = account(&db, "alice").await;
        let mut l = Login::new(APP, "o-alice");
        l.unionid = Some("u-alice");
        login(&db, alice.id, l).await;
        login(&db, alice.id, Login::new(APP2, "o-alice-2")).await;

        let out = wx(
            &db.url,
            &["bindings", "show", "--openid", "o-alice", "--json"],
        )
        .await
        .expect(0);
        assert_json_snapshot_named!("bindings_show_json", &out.stdout);

        let by_user = wx(
            &db.url,
            &["bindings", "show", "--username", "alice", "--json"],
        )
        .await
        .expect(0)
        .json();
        assert_eq!(by_user["bindings"].as_array().unwrap().len(), 2);
        let by_id = wx(
            &db.url,
            &[
                "bindings",
                "show",
                "--account",
                &alice.id.to_string(),
                "--json",
            ],
        )
        .await
        .expect(0)
        .json();
        assert_eq!(by_id, by_user);
        let by_union = wx(
            &db.url,
            &["bindings", "show", "--unionid", "u-alice", "--json"],
        )
        .await
        .expect(0)
        .json();
        assert_eq!(by_union["bindings"][0]["openid"], "o-alice");
        let narrowed = wx(
            &db.url,
            &[
                "bindings", "show", "--openid", "o-alice", "--appid", APP2, "--json",
            ],
        )
        .await
        .expect(3);
        assert!(
            narrowed.stderr.contains("no binding for openid o-alice in"),
            "{}",
            narrowed.stderr
        );

        let table = wx(&db.url, &["bindings", "show", "--username", "alice"])
            .await
            .expect(0);
        assert!(table.stdout.starts_with("APPID"), "{}", table.stdout);
        assert!(table.stdout.contains("o-alice-2"));

        let missing = wx(&db.url, &["bindings", "show"]).await.expect(2);
        assert!(missing.stderr.contains("--openid"), "{}", missing.stderr);
    }
);

store_test!(
    unbind_revokes_the_bindings_sessions_and_leaves_one_audit_row,
    |db| {
        let alice = account(&db, "alice").await;
        login(&db, alice.id, Login::new(APP, "o-alice")).await;
        login(&db, alice.id, Login::new(APP, "o-alice")).await;
        login(&db, alice.id, Login::new(APP2, "o-alice-2")).await;

        let out = wx(
            &db.url,
            &[
                "bindings",
                "unbind",
                "--appid",
                APP,
                "--openid",
                "o-alice",
                "--reason",
                "phone sold INC-9",
                "--yes",
            ],
        )
        .await
        .expect(0);
        assert_eq!(
            out.stdout.trim(),
            format!(
                "unbound openid o-alice in {APP} from account alice (id {}); revoked 2 sessions",
                alice.id
            )
        );
        let left = db
            .find_bindings(&BindingQuery::AccountId(alice.id))
            .await
            .unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].appid, APP2);
        assert_eq!(
            live(&db, alice.id).await,
            1,
            "the other mini program's session stays"
        );

        let audit = audit_rows(&db, "binding.unbind").await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].operator, OPERATOR);
        assert_eq!(audit[0].origin.as_deref(), Some(ORIGIN));
        assert_eq!(audit[0].reason.as_deref(), Some("phone sold INC-9"));
        assert_eq!(audit[0].target, format!("binding:{APP}/o-alice"));

        let again = wx(
            &db.url,
            &[
                "bindings", "unbind", "--appid", APP, "--openid", "o-alice", "--reason", "x",
                "--yes",
            ],
        )
        .await
        .expect(3);
        assert!(
            again.stderr.contains("no binding for openid o-alice"),
            "{}",
            again.stderr
        );
        assert_eq!(audit_rows(&db, "binding.unbind").await.len(), 1);
    }
);

store_test!(unbind_json_reports_what_was_done, |db| {
    let alice = account(&db, "alice").await;
    login(&db, alice.id, Login::new(APP, "o-alice")).await;
    let out = wx(
        &db.url,
        &[
            "bindings", "unbind", "--appid", APP, "--openid", "o-alice", "--reason", "r", "--yes",
            "--json",
        ],
    )
    .await
    .expect(0);
    assert_json_snapshot_named!("bindings_unbind_json", &out.stdout);
});

store_test!(
    unbind_is_refused_without_confirmation_and_under_read_only,
    |db| {
        let alice = account(&db, "alice").await;
        login(&db, alice.id, Login::new(APP, "o-alice")).await;
        let base = [
            "bindings", "unbind", "--appid", APP, "--openid", "o-alice", "--reason", "r",
        ];
        let no_yes = wx(&db.url, &base).await.expect(4);
        assert!(no_yes.stderr.contains("add --yes"), "{}", no_yes.stderr);
        let mut ro = vec!["--read-only"];
        ro.extend(base);
        ro.push("--yes");
        let read_only = wx(&db.url, &ro).await.expect(4);
        assert!(
            read_only.stderr.contains("read-only"),
            "{}",
            read_only.stderr
        );
        assert_eq!(
            db.find_bindings(&BindingQuery::AccountId(alice.id))
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(live(&db, alice.id).await, 1);
        assert!(audit_rows(&db, "binding.unbind").await.is_empty());
    }
);

store_test!(
    accounts_create_reads_the_password_from_stdin_and_never_prints_it,
    |db| {
        let password = "correct horse battery staple";
        let out = wx_stdin(
            &db.url,
            &["accounts", "create", "dave", "--display-name", "Dave D."],
            &format!("{password}\n"),
        )
        .await
        .expect(0);
        assert!(
            out.stdout.starts_with("created account dave (id "),
            "{}",
            out.stdout
        );
        assert!(!out.stdout.contains(password) && !out.stderr.contains(password));

        let creds = db
            .credentials("dave")
            .await
            .unwrap()
            .expect("account exists");
        assert!(wxlogin::crypto::verify_password(
            &creds.password_hash,
            password
        ));
        assert!(!wxlogin::crypto::verify_password(
            &creds.password_hash,
            &format!("{password}\n")
        ));
        assert_eq!(creds.account.display_name.as_deref(), Some("Dave D."));
        let audit = audit_rows(&db, "account.create").await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].operator, OPERATOR);
        assert_eq!(audit[0].origin.as_deref(), Some(ORIGIN));
        assert!(!audit[0].detail.0.to_string().contains(password));

        // The same name again is refused; nothing is read or changed.
        wx_stdin(
            &db.url,
            &["accounts", "create", "dave"],
            "another password\n",
        )
        .await
        .expect(4);
        assert_eq!(audit_rows(&db, "account.create").await.len(), 1);
    }
);

store_test!(accounts_create_json_snapshot, |db| {
    let out = wx_stdin(
        &db.url,
        &["accounts", "create", "erin", "--json"],
        "a long passphrase\n",
    )
    .await
    .expect(0);
    assert_json_snapshot_named!("accounts_create_json", &out.stdout);
});

store_test!(accounts_create_refuses_bad_input_and_read_only, |db| {
    let short = wx_stdin(&db.url, &["accounts", "create", "frank"], "short\n")
        .await
        .expect(2);
    assert!(short.stderr.contains("too short"), "{}", short.stderr);
    assert!(!short.stderr.contains("short\n"));
    let empty = wx_stdin(&db.url, &["accounts", "create", "frank"], "")
        .await
        .expect(2);
    assert!(
        empty.stderr.contains("no password given"),
        "{}",
        empty.stderr
    );
    let bad_name = wx_stdin(
        &db.url,
        &["accounts", "create", "bad name"],
        "long enough pw\n",
    )
    .await
    .expect(2);
    assert!(
        bad_name.stderr.contains("invalid username"),
        "{}",
        bad_name.stderr
    );
    // There is no way to pass the password on the command line.
    wx(
        &db.url,
        &[
            "accounts",
            "create",
            "frank",
            "--password",
            "hunter22hunter22",
        ],
    )
    .await
    .expect(2);
    let ro = wx_stdin(
        &db.url,
        &["--read-only", "accounts", "create", "frank"],
        "long enough pw\n",
    )
    .await
    .expect(4);
    assert!(ro.stderr.contains("read-only"), "{}", ro.stderr);
    assert!(db.account_by_username("frank").await.unwrap().is_none());
});

store_test!(accounts_show_prints_the_account_and_its_bindings, |db| {
    let alice = account(&db, "alice").await;
    login(&db, alice.id, Login::new(APP, "o-alice")).await;
    let out = wx(&db.url, &["accounts", "show", "alice", "--json"])
        .await
        .expect(0);
    assert_json_snapshot_named!("accounts_show_json", &out.stdout);
    let text = wx(&db.url, &["accounts", "show", "alice"]).await.expect(0);
    assert!(
        text.stdout.contains("username       alice"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("o-alice"));
    let missing = wx(&db.url, &["accounts", "show", "zed"]).await.expect(3);
    assert!(
        missing.stderr.contains("no account named zed"),
        "{}",
        missing.stderr
    );
});

store_test!(
    accounts_disable_revokes_every_session_and_prints_how_many,
    |db| {
        let alice = account(&db, "alice").await;
        login(&db, alice.id, Login::new(APP, "o-alice")).await;
        login(&db, alice.id, Login::new(APP2, "o-alice-2")).await;

        let no_yes = wx(
            &db.url,
            &["accounts", "disable", "alice", "--reason", "left"],
        )
        .await
        .expect(4);
        assert!(no_yes.stderr.contains("add --yes"));
        wx(
            &db.url,
            &[
                "--read-only",
                "accounts",
                "disable",
                "alice",
                "--reason",
                "left",
                "--yes",
            ],
        )
        .await
        .expect(4);
        assert_eq!(live(&db, alice.id).await, 2);

        let out = wx(
            &db.url,
            &[
                "accounts",
                "disable",
                "alice",
                "--reason",
                "left the company",
                "--yes",
            ],
        )
        .await
        .expect(0);
        assert_eq!(
            out.stdout.trim(),
            format!(
                "disabled account alice (id {}); revoked 2 sessions",
                alice.id
            )
        );
        assert_eq!(live(&db, alice.id).await, 0);
        let acc = db.account_by_username("alice").await.unwrap().unwrap();
        assert!(acc.disabled_at.is_some());
        let audit = audit_rows(&db, "account.disable").await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].reason.as_deref(), Some("left the company"));
        assert_eq!(audit[0].origin.as_deref(), Some(ORIGIN));

        let bob = account(&db, "bob").await;
        login(&db, bob.id, Login::new(APP, "o-bob")).await;
        let json = wx(
            &db.url,
            &[
                "accounts", "disable", "bob", "--reason", "x", "--yes", "--json",
            ],
        )
        .await
        .expect(0);
        assert_json_snapshot_named!("accounts_disable_json", &json.stdout);

        let again = wx(
            &db.url,
            &["accounts", "disable", "alice", "--reason", "x", "--yes"],
        )
        .await
        .expect(3);
        assert!(
            again.stderr.contains("already disabled"),
            "{}",
            again.stderr
        );
        wx(
            &db.url,
            &["accounts", "disable", "nobody", "--reason", "x", "--yes"],
        )
        .await
        .expect(3);
    }
);
