//! Lines read from stdin by the real binary are bounded and checked at the edge: an over-long
//! SessionId or password is a usage error (exit 2) that says the bound, and a control
//! character in a password is refused naming the field; nothing reaches the store.

mod cli_support;
mod common;

use cli_support::wx_stdin;
use common::*;

store_test!(
    an_over_long_session_id_on_stdin_is_a_usage_error_naming_the_bound,
    |db| {
        let long = "A".repeat(5000) + "\n";
        let out = wx_stdin(&db.url, &["sessions", "show", "--token-stdin"], &long)
            .await
            .expect(2);
        assert!(
            out.stderr
                .contains("the SessionId on stdin is longer than 4096 bytes"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("AAAA"), "never echoed: {}", out.stderr);
    }
);

store_test!(
    a_password_with_a_control_character_is_refused_naming_the_field_and_nothing_changes,
    |db| {
        account(&db, "alice").await;
        let out = wx_stdin(
            &db.url,
            &[
                "accounts",
                "set-password",
                "alice",
                "--reason",
                "r",
                "--yes",
            ],
            "good\u{1b}[31mpassword\n",
        )
        .await
        .expect(2);
        assert!(
            out.stderr
                .contains("the password contains a control character (U+001B)"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("good"), "never echoed: {}", out.stderr);
        assert!(audit_rows(&db, "account.set_password").await.is_empty());
    }
);
