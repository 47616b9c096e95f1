//! The headless commands on a real (pseudo-)terminal: confirmation prompts, passwords and
//! SessionIds typed without echo, the progress bar.

mod cli_support;
mod common;

use cli_support::wx_tty;
use common::{Login, account, login};
use wxlogin::store::SessionFilter;

const APP: &str = "wxapp00000000001";

async fn live(store: &wxlogin::store::Store, account_id: i64) -> u64 {
    store
        .count_sessions(&SessionFilter {
            account_id: Some(account_id),
            ..Default::default()
        })
        .await
        .unwrap()
}

store_test!(revoke_on_a_terminal_asks_first_and_only_yes_revokes, |db| {
    let alice = account(&db, "alice").await;
    for _ in 0..3 {
        login(&db, alice.id, Login::new(APP, "o-alice")).await;
    }
    let question = "Revoke 3 live sessions matching username:alice? [y/N]";
    let args = [
        "sessions",
        "revoke",
        "--username",
        "alice",
        "--reason",
        "INC-5",
    ];
    let Some(no) = wx_tty(&db.url, &args, &[(question, "n")]).await else {
        return;
    };
    assert_eq!(no.code, 4, "{}", no.stdout);
    assert!(
        no.stdout.contains("not confirmed; nothing was changed"),
        "{}",
        no.stdout
    );
    assert_eq!(live(&db, alice.id).await, 3);

    let yes = wx_tty(&db.url, &args, &[(question, "y")]).await.unwrap();
    assert_eq!(yes.code, 0, "{}", yes.stdout);
    assert!(yes.stdout.contains("revoked 3 sessions"), "{}", yes.stdout);
    assert_eq!(live(&db, alice.id).await, 0);
});

store_test!(unbind_and_disable_on_a_terminal_say_what_will_die, |db| {
    let alice = account(&db, "alice").await;
    login(&db, alice.id, Login::new(APP, "o-alice")).await;
    login(&db, alice.id, Login::new(APP, "o-alice")).await;
    let q = format!(
        "Unbind openid o-alice in {APP} from account alice (id {}) and revoke its 2 live session(s)? [y/N]",
        alice.id
    );
    let Some(out) = wx_tty(
        &db.url,
        &[
            "bindings", "unbind", "--appid", APP, "--openid", "o-alice", "--reason", "r",
        ],
        &[(q.as_str(), "yes")],
    )
    .await
    else {
        return;
    };
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("revoked 2 sessions"), "{}", out.stdout);

    let q = format!(
        "Disable account alice (id {}) and revoke its 0 live session(s)? [y/N]",
        alice.id
    );
    let out = wx_tty(
        &db.url,
        &["accounts", "disable", "alice", "--reason", "r"],
        &[(q.as_str(), "")],
    )
    .await
    .unwrap();
    assert_eq!(out.code, 4, "an empty answer means no: {}", out.stdout);
    assert!(
        db.account_by_username("alice")
            .await
            .unwrap()
            .unwrap()
            .disabled_at
            .is_none()
    );
});

store_test!(
    accounts_create_on_a_terminal_asks_twice_without_echo,
    |db| {
        let pw = "typed on a terminal 42";
        let Some(out) = wx_tty(
            &db.url,
            &["accounts", "create", "tina"],
            &[
                ("Password for tina (not echoed): ", pw),
                ("Repeat the password: ", pw),
            ],
        )
        .await
        else {
            return;
        };
        assert_eq!(out.code, 0, "{}", out.stdout);
        assert!(
            !out.stdout.contains(pw),
            "the password was echoed:\n{}",
            out.stdout
        );
        assert!(out.stdout.contains("created account tina"));
        let creds = db.credentials("tina").await.unwrap().unwrap();
        assert!(wxlogin::crypto::verify_password(&creds.password_hash, pw));

        let out = wx_tty(
            &db.url,
            &["accounts", "create", "tom"],
            &[
                ("(not echoed): ", pw),
                ("Repeat the password: ", "something else entirely"),
            ],
        )
        .await
        .unwrap();
        assert_eq!(out.code, 2, "{}", out.stdout);
        assert!(out.stdout.contains("the two passwords differ"));
        assert!(db.account_by_username("tom").await.unwrap().is_none());
    }
);

store_test!(a_session_id_typed_on_a_terminal_is_not_echoed, |db| {
    let alice = account(&db, "alice").await;
    let s = login(&db, alice.id, Login::new(APP, "o-alice")).await;
    let token = s.token.expose().to_owned();
    let Some(out) = wx_tty(
        &db.url,
        &["sessions", "show", "--token-stdin"],
        &[("SessionId (not echoed): ", &token)],
    )
    .await
    else {
        return;
    };
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains(&s.public_id));
    assert!(
        !out.stdout.contains(&token),
        "the SessionId was echoed:\n{}",
        out.stdout
    );
});

store_test!(a_bulk_revoke_on_a_terminal_draws_a_progress_bar, |db| {
    let alice = account(&db, "alice").await;
    for i in 0..30 {
        let openid = format!("o-{}", i % 3);
        login(&db, alice.id, Login::new(APP, &openid)).await;
    }
    let id = alice.id.to_string();
    let Some(out) = wx_tty(
        &db.url,
        &[
            "sessions",
            "revoke",
            "--account",
            &id,
            "--reason",
            "r",
            "--yes",
            "--batch-size",
            "10",
        ],
        &[],
    )
    .await
    else {
        return;
    };
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("sessions revoked"),
        "a progress bar: {}",
        out.stdout
    );
    assert!(out.stdout.contains("revoked 30 sessions"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("(batch 1)"),
        "no plain progress lines on a terminal"
    );
    assert_eq!(live(&db, alice.id).await, 0);
});
