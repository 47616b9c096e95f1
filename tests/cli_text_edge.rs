//! Command-line words are checked once, at the edge, before the parser, the store or WeChat
//! sees them (issue 26, finding 7): a word with control, bidi or invisible characters is a
//! usage error (exit 2) naming the argument and the character, and nothing is changed or
//! audited. Chinese text is text. Through the real binary, on SQLite and PostgreSQL.

mod cli_support;
mod common;

use cli_support::{command, run_cmd};

store_test!(
    a_word_with_a_control_or_bidi_character_is_refused_naming_the_argument,
    |db| {
        for (args, arg_no, what) in [
            (
                vec!["sessions", "list", "--username", "ali\u{202E}ce"],
                4,
                "a bidirectional control character (U+202E)",
            ),
            (
                vec!["accounts", "create", "bob\u{200B}"],
                3,
                "an invisible or separator character (U+200B)",
            ),
            (
                vec![
                    "sessions",
                    "revoke",
                    "ses_x",
                    "--reason",
                    "\u{1b}[2Jgone",
                    "--yes",
                ],
                5,
                "a control character (U+001B)",
            ),
        ] {
            let out = run_cmd(command(&db.url, &args), None).await.expect(2);
            assert!(
                out.stderr.contains(&format!("argument {arg_no} ")) && out.stderr.contains(what),
                "{args:?}: {}",
                out.stderr
            );
            assert!(
                !out.stderr.contains('\u{1b}'),
                "the word is shown escaped: {:?}",
                out.stderr
            );
        }
        let audit = db
            .list_audit(&wxlogin::store::AuditFilter::default(), None, 10)
            .await
            .unwrap()
            .rows;
        assert!(audit.is_empty(), "nothing was audited: {audit:?}");
    }
);

store_test!(a_chinese_username_is_an_ordinary_argument, |db| {
    let out = run_cmd(
        command(
            &db.url,
            &["sessions", "list", "--username", "张三丰", "--json"],
        ),
        None,
    )
    .await;
    assert!(
        out.code == 0 || out.code == 3,
        "not a usage error: {} {}",
        out.code,
        out.stderr
    );
    assert!(!out.stderr.contains("argument"), "{}", out.stderr);
});
