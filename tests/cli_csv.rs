//! `wxlogin sessions list --format csv|json|table [--all]`, run as the real binary against
//! SQLite and PostgreSQL: the CSV has the export module's header and rows, quoting is RFC
//! 4180, and `--all` streams every page.

mod cli_support;
mod common;

use cli_support::wx;
use common::{Login, account, login};
use wxlogin::store::SessionFilter;

const APP: &str = "wxapp00000000001";
const OTHER_APP: &str = "wxapp00000000002";

/// A WeChat-looking user agent with a comma, a double quote and a newline in it.
const AWKWARD_UA: &str = "Mozilla/5.0 (iPhone, \"x\")\nMicroMessenger/8.0.47";

fn csv_lines(text: &str) -> Vec<&str> {
    assert!(text.ends_with("\r\n"), "CSV rows end with CRLF: {text:?}");
    text.strip_suffix("\r\n").unwrap().split("\r\n").collect()
}

store_test!(
    csv_is_the_export_header_and_one_quoted_row_per_session,
    |db| {
        let alice = account(&db, "alice").await;
        login(&db, alice.id, Login::new(APP, "o-alice-1")).await;
        login(
            &db,
            alice.id,
            Login {
                user_agent: AWKWARD_UA,
                ..Login::new(APP, "o-alice-2")
            },
        )
        .await;
        let run = wx(&db.url, &["sessions", "list", "--format", "csv"])
            .await
            .expect(0);
        let lines = csv_lines(&run.stdout);
        assert_eq!(
            format!("{}\r\n", lines[0]),
            wxlogin::export::csv_header(),
            "the header is the export module's"
        );
        assert_eq!(lines.len(), 3, "header and two rows: {:?}", run.stdout);
        // Rows are the export module's bytes for the stored sessions, newest first.
        let page = db
            .list_sessions(&SessionFilter::default(), None, 10)
            .await
            .unwrap();
        let want: String = page
            .rows
            .iter()
            .map(wxlogin::export::session_csv_row)
            .collect();
        assert_eq!(
            run.stdout,
            format!("{}{want}", wxlogin::export::csv_header())
        );
        // The comma and the quote are quoted per RFC 4180; the newline is shown, not kept.
        assert!(
            lines[1].contains(",\"Mozilla/5.0 (iPhone, \"\"x\"\")\\x0aMicroMessenger/8.0.47\","),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains(",o-alice-2,"));
        assert!(lines[2].contains(",o-alice-1,"));
    }
);

store_test!(all_streams_every_page_in_csv_and_json, |db| {
    let alice = account(&db, "alice").await;
    for i in 0..23 {
        let openid = format!("o-alice-{i}");
        login(&db, alice.id, Login::new(APP, &openid)).await;
    }
    let bob = account(&db, "bob").await;
    for i in 0..4 {
        let openid = format!("o-bob-{i}");
        login(&db, bob.id, Login::new(OTHER_APP, &openid)).await;
    }
    let total = db.count_sessions(&SessionFilter::default()).await.unwrap();
    assert_eq!(total, 27);

    let csv = wx(
        &db.url,
        &[
            "sessions", "list", "--all", "--limit", "5", "--format", "csv",
        ],
    )
    .await
    .expect(0);
    let lines = csv_lines(&csv.stdout);
    assert_eq!(
        lines.len() as u64,
        total + 1,
        "header + every row over 6 pages"
    );
    let mut ids: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len() as u64, total, "no row twice, none left out");

    // The incident export: one mini program, every page.
    let app = wx(
        &db.url,
        &[
            "sessions", "list", "--appid", OTHER_APP, "--all", "--limit", "3", "--format", "csv",
        ],
    )
    .await
    .expect(0);
    let lines = csv_lines(&app.stdout);
    assert_eq!(lines.len(), 5);
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.contains(",bob,wxapp00000000002,"))
    );

    // Without --all: one page.
    let first = wx(
        &db.url,
        &["sessions", "list", "--limit", "5", "--format", "csv"],
    )
    .await
    .expect(0);
    assert_eq!(csv_lines(&first.stdout).len(), 6);

    let json = wx(
        &db.url,
        &[
            "sessions", "list", "--all", "--limit", "4", "--format", "json",
        ],
    )
    .await
    .expect(0);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("one JSON document");
    assert_eq!(doc["sessions"].as_array().unwrap().len() as u64, total);
    assert!(doc["next_cursor"].is_null());
});

store_test!(format_json_is_the_json_flag_and_they_do_not_mix, |db| {
    let alice = account(&db, "alice").await;
    for i in 0..3 {
        let openid = format!("o-alice-{i}");
        login(&db, alice.id, Login::new(APP, &openid)).await;
    }
    let flag = wx(&db.url, &["sessions", "list", "--json", "--limit", "2"])
        .await
        .expect(0);
    let format = wx(
        &db.url,
        &["sessions", "list", "--format", "json", "--limit", "2"],
    )
    .await
    .expect(0);
    assert_eq!(flag.stdout, format.stdout);
    let doc: serde_json::Value = serde_json::from_str(&flag.stdout).unwrap();
    assert_eq!(doc["sessions"].as_array().unwrap().len(), 2);
    assert!(
        doc["next_cursor"].is_string(),
        "a first page says where to go on"
    );

    let mixed = wx(&db.url, &["sessions", "list", "--json", "--format", "csv"]).await;
    assert_eq!(mixed.code, 2, "{}", mixed.stderr);

    // The table pages too, and shows the parsed device.
    let table = wx(&db.url, &["sessions", "list", "--all", "--limit", "2"])
        .await
        .expect(0);
    assert_eq!(
        table.stdout.matches("PUBLIC ID").count(),
        2,
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("WeChat 8.0"), "{}", table.stdout);
    assert!(!table.stdout.contains("more: add --after"));
});

store_test!(an_empty_list_is_a_header_or_an_empty_document, |db| {
    let csv = wx(&db.url, &["sessions", "list", "--all", "--format", "csv"])
        .await
        .expect(0);
    assert_eq!(csv.stdout, wxlogin::export::csv_header());
    let json = wx(&db.url, &["sessions", "list", "--all", "--json"])
        .await
        .expect(0);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({"sessions": [], "next_cursor": null})
    );
    let table = wx(&db.url, &["sessions", "list"]).await.expect(0);
    assert_eq!(table.stdout.trim(), "no sessions match");
});
