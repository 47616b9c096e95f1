//! `wxlogin accounts set-password` run as the real binary against a live login service on
//! SQLite and PostgreSQL: the old sessions die at once, the new password works, the old one
//! does not, and the reset is audited.

mod cli_support;
mod common;
mod service_common;

use cli_support::{OPERATOR, wx, wx_stdin};
use common::*;
use reqwest::StatusCode;
use service_common::*;
use wxlogin::store::BindingQuery;

const NEW_PASSWORD: &str = "correct horse battery";

store_test!(
    set_password_revokes_every_session_and_the_new_password_works,
    |db| {
        let alice = account(&db, "alice").await;
        let w = world(db).await;
        let phone = w.bind("wx-alice", "alice").await;
        let tablet = w.bind("wx-alice-tablet", "alice").await;
        assert_eq!(w.me(&phone).await.status, StatusCode::OK);

        let out = wx_stdin(
            &w.db.url,
            &[
                "accounts",
                "set-password",
                "alice",
                "--reason",
                "ticket 4711: password shared",
                "--yes",
            ],
            &format!("{NEW_PASSWORD}\n"),
        )
        .await
        .expect(0);
        assert_eq!(
            out.stdout.trim(),
            format!(
                "set a new password for account alice (id {}); revoked 2 sessions",
                alice.id
            )
        );
        assert!(!out.stdout.contains(NEW_PASSWORD) && !out.stderr.contains(NEW_PASSWORD));

        // Both sessions are refused on the very next request.
        assert_eq!(w.me(&phone).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(w.me(&tablet).await.status, StatusCode::UNAUTHORIZED);

        // The binding stays (no --unbind-all): the phone logs in again without a password.
        let again = w.login("wx-alice", None).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        // A new phone must use the new password; the old one is wrong now.
        let old = w.login("wx-alice-new", Some(("alice", PASSWORD))).await;
        assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{}", old.body);
        let new = w.login("wx-alice-new", Some(("alice", NEW_PASSWORD))).await;
        assert_eq!(new.status, StatusCode::OK, "{}", new.body);

        let audit = audit_rows(&w.store, "account.set_password").await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].operator, OPERATOR);
        assert_eq!(audit[0].role.as_deref(), Some("oncall"));
        assert_eq!(audit[0].target, format!("account:{}", alice.id));
        assert_eq!(
            audit[0].reason.as_deref(),
            Some("ticket 4711: password shared")
        );
        assert_eq!(audit[0].detail["sessions_revoked"], 2);
        assert!(!audit[0].detail.to_string().contains("argon2"));
    }
);

store_test!(set_password_with_unbind_all_removes_every_binding, |db| {
    let alice = account(&db, "alice").await;
    let w = world(db).await;
    let phone = w.bind("wx-alice", "alice").await;
    w.bind("wx-alice-2", "alice").await;

    let out = wx_stdin(
        &w.db.url,
        &[
            "accounts",
            "set-password",
            "alice",
            "--unbind-all",
            "--reason",
            "stolen phone",
            "--yes",
            "--json",
        ],
        &format!("{NEW_PASSWORD}\n"),
    )
    .await
    .expect(0)
    .json();
    assert_eq!(out["account_id"], alice.id);
    assert_eq!(out["sessions_revoked"], 2);
    assert_eq!(out["bindings_removed"], 2);
    assert_eq!(w.me(&phone).await.status, StatusCode::UNAUTHORIZED);
    let left = w
        .store
        .find_bindings(&BindingQuery::AccountId(alice.id))
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
    // Without a binding the phone has to give the (new) password again.
    let bare = w.login("wx-alice", None).await;
    assert_ne!(bare.status, StatusCode::OK, "{}", bare.body);
    let new = w.login("wx-alice", Some(("alice", NEW_PASSWORD))).await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.body);
});

store_test!(
    set_password_refuses_a_viewer_a_short_password_and_an_unknown_account,
    |db| {
        account(&db, "alice").await;
        let w = world(db).await;
        let phone = w.bind("wx-alice", "alice").await;
        let args = [
            "accounts",
            "set-password",
            "alice",
            "--reason",
            "r",
            "--yes",
        ];

        let ro: Vec<&str> = std::iter::once("--read-only").chain(args).collect();
        // Refused before the password is asked for.
        wx(&w.db.url, &ro).await.expect(4);
        let short = wx_stdin(&w.db.url, &args, "short\n").await.expect(2);
        assert!(short.stderr.contains("too short"), "{}", short.stderr);
        let no_reason = wx(&w.db.url, &["accounts", "set-password", "alice", "--yes"]).await;
        assert_ne!(no_reason.code, 0);
        wx(
            &w.db.url,
            &[
                "accounts",
                "set-password",
                "nobody",
                "--reason",
                "r",
                "--yes",
            ],
        )
        .await
        .expect(3);
        // Nothing changed: the session lives, the old password still works, nothing audited.
        assert_eq!(w.me(&phone).await.status, StatusCode::OK);
        let old = w.login("wx-alice-new", Some(("alice", PASSWORD))).await;
        assert_eq!(old.status, StatusCode::OK, "{}", old.body);
        assert!(
            audit_rows(&w.store, "account.set_password")
                .await
                .is_empty()
        );
    }
);

store_test!(
    a_first_login_binding_writes_a_user_audit_row_with_the_client_address,
    |db| {
        let alice = account(&db, "alice").await;
        let w = world(db).await;
        w.bind("wx-alice", "alice").await;
        // A returning login binds nothing and writes no further row.
        w.login("wx-alice", None).await.token();
        let rows = audit_rows(&w.store, "binding.create").await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        let r = &rows[0];
        assert_eq!(r.operator, "user");
        assert_eq!(r.role, None);
        assert_eq!(r.origin.as_deref(), Some("127.0.0.1"));
        assert_eq!(
            r.target,
            format!("binding:{APPID}/{}", w.openid("wx-alice"))
        );
        assert_eq!(r.detail["account_id"], alice.id);
    }
);

/// The support role's reset: `wxlogin --role support accounts set-password …`.
fn as_support<'a>(args: &[&'a str]) -> Vec<&'a str> {
    ["--role", "support"]
        .into_iter()
        .chain(args.iter().copied())
        .collect()
}

store_test!(
    a_support_reset_that_would_keep_the_bindings_is_refused_and_changes_nothing,
    |db| {
        account(&db, "alice").await;
        let w = world(db).await;
        let phone = w.bind("wx-alice", "alice").await;
        let out = wx_stdin(
            &w.db.url,
            &as_support(&[
                "accounts",
                "set-password",
                "alice",
                "--reason",
                "user called",
                "--yes",
            ]),
            &format!("{NEW_PASSWORD}\n"),
        )
        .await
        .expect(4);
        assert!(
            out.stderr.contains("needs the oncall role") && out.stderr.contains("--unbind-all"),
            "the refusal names the role and the way a support reset is done: {}",
            out.stderr
        );
        // The owner's phone still works with its session and its binding; the old password is
        // still the password; nothing is audited.
        assert_eq!(w.me(&phone).await.status, StatusCode::OK);
        let old = w.login("wx-alice-new", Some(("alice", PASSWORD))).await;
        assert_eq!(old.status, StatusCode::OK, "{}", old.body);
        assert!(
            audit_rows(&w.store, "account.set_password")
                .await
                .is_empty()
        );
    }
);

store_test!(
    a_support_reset_ends_every_session_and_removes_every_binding_in_one_audited_change,
    |db| {
        let alice = account(&db, "alice").await;
        let w = world(db).await;
        let phone = w.bind("wx-alice", "alice").await;
        let tablet = w.bind("wx-alice-tablet", "alice").await;
        let out = wx_stdin(
            &w.db.url,
            &as_support(&[
                "accounts",
                "set-password",
                "alice",
                "--unbind-all",
                "--reason",
                "ticket 5120: user forgot the password",
                "--yes",
                "--json",
            ]),
            &format!("{NEW_PASSWORD}\n"),
        )
        .await
        .expect(0)
        .json();
        assert_eq!(out["sessions_revoked"], 2);
        assert_eq!(out["bindings_removed"], 2);
        // The owner notices: every phone is logged out and must give the new password.
        assert_eq!(w.me(&phone).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(w.me(&tablet).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(w.login("wx-alice", None).await.error(), "binding_required");
        let left = w
            .store
            .find_bindings(&BindingQuery::AccountId(alice.id))
            .await
            .unwrap();
        assert!(left.is_empty(), "{left:?}");
        let audit = audit_rows(&w.store, "account.set_password").await;
        assert_eq!(audit.len(), 1, "{audit:?}");
        assert_eq!(audit[0].role.as_deref(), Some("support"));
        assert_eq!(audit[0].detail["unbind_all"], true);
        assert_eq!(audit[0].detail["sessions_revoked"], 2);
        assert_eq!(audit[0].detail["bindings_removed"], 2);
    }
);
