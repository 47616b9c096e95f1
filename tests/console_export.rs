//! The console's `:export csv|json FILE`, driven by key events on both databases: the file is
//! what the real binary's `sessions list --all` prints for the same filter, an existing file
//! is only replaced with `!`, Esc cancels and leaves nothing, and the screen keeps drawing
//! while 100,000 rows are written.

mod cli_support;
mod common;
mod console_support;

use std::path::Path;

use cli_support::wx;
use common::{Login, account, audit_rows, login};
use console_support::*;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use wxlogin::console::ConsoleContext;
use wxlogin::console::app::StatusKind;
use wxlogin::console::driver::{self, SizedBackend};
use wxlogin::console::theme::Theme;
use wxlogin::operator::{Actor, Role};
use wxlogin::store::{Backend as DbBackend, Store};

const APP: &str = "wxapp00000000001";
const OTHER_APP: &str = "wxapp00000000002";

/// Two apps' sessions, one with an awkward user agent (comma, quote, newline).
async fn seed_small(store: &Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    login(store, alice.id, Login::new(APP, "o-alice-1")).await;
    login(
        store,
        alice.id,
        Login {
            user_agent: "Mozilla/5.0 (iPhone, \"x\")\nMicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
            ..Login::new(APP, "o-alice-2")
        },
    )
    .await;
    login(store, bob.id, Login::new(APP, "o-bob-1")).await;
    login(store, bob.id, Login::new(OTHER_APP, "o-bob-2")).await;
}

fn status(app: &wxlogin::console::app::App) -> (StatusKind, String) {
    let s = app.status.as_ref().expect("a status message");
    (s.kind, s.text.clone())
}

/// Files in `dir` (to see that no temporary file is left behind).
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

store_test!(
    csv_export_of_a_filtered_list_is_the_binarys_csv_for_that_filter,
    |db| {
        seed_small(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("incident.csv");
        let mut app = app(&db, false);
        app.settle().await;
        press(&mut app, &format!(":sessions appid={APP}<Enter>")).await;
        press(&mut app, &format!(":export csv {}<Enter>", file.display())).await;
        let (kind, text) = status(&app);
        assert_eq!(kind, StatusKind::Ok, "{text}");
        assert_eq!(text, format!("exported 3 sessions to {}", file.display()));
        let cli = wx(
            &db.url,
            &[
                "sessions", "list", "--appid", APP, "--format", "csv", "--all",
            ],
        )
        .await
        .expect(0);
        let exported = std::fs::read_to_string(&file).unwrap();
        assert_eq!(exported, cli.stdout, "the same bytes as the CLI");
        assert_eq!(exported.matches("\r\n").count(), 4, "header and three rows");
        assert!(!exported.contains(OTHER_APP), "the filter was in force");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(
            entries(dir.path()),
            vec!["incident.csv"],
            "no temporary file left"
        );
        // One audit row for each face's export: the CLI's bulk list is an export too.
        let (audit, cli_rows): (Vec<_>, Vec<_>) = audit_rows(&db, "sessions.export")
            .await
            .into_iter()
            .partition(|r| r.operator == "oncall-ana");
        assert_eq!(cli_rows.len(), 1, "{cli_rows:?}");
        assert_eq!(cli_rows[0].detail.0["file"], "-");
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].operator, "oncall-ana");
        assert!(audit[0].target.contains(APP), "{}", audit[0].target);
        assert_eq!(audit[0].detail.0["rows"], 3);
        assert_eq!(audit[0].detail.0["format"], "csv");
        assert_eq!(
            audit[0].detail.0["file"],
            std::path::absolute(&file).unwrap().display().to_string()
        );
    }
);

store_test!(
    a_viewer_may_export_and_a_refused_overwrite_writes_no_audit_row,
    |db| {
        seed_small(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.csv");
        let viewer = Actor::new("viewer-vi", Role::Viewer, Some("ssh:203.0.113.8".into()));
        let mut app = console_for(&db, viewer, true, Theme::plain(), (80, 24));
        app.settle().await;
        press(&mut app, &format!(":export csv {}<Enter>", file.display())).await;
        assert_eq!(status(&app).0, StatusKind::Ok, "{}", status(&app).1);
        press(&mut app, &format!(":export csv {}<Enter>", file.display())).await;
        assert_eq!(status(&app).0, StatusKind::Error);
        let audit = audit_rows(&db, "sessions.export").await;
        assert_eq!(audit.len(), 1, "only the export that wrote a file");
        assert_eq!(audit[0].role.as_deref(), Some("viewer"));
    }
);

store_test!(json_export_is_one_array_of_the_clis_session_objects, |db| {
    seed_small(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all.json");
    let mut app = app(&db, false);
    app.settle().await;
    press(&mut app, &format!(":export json {}<Enter>", file.display())).await;
    let (_, text) = status(&app);
    assert_eq!(text, format!("exported 4 sessions to {}", file.display()));
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let rows = exported.as_array().expect("one JSON array");
    assert_eq!(rows.len(), 4);
    let cli = wx(&db.url, &["sessions", "list", "--format", "json", "--all"])
        .await
        .expect(0)
        .json();
    let mut want = cli["sessions"].clone();
    // `state` depends on "now", the same for both here; compare every field.
    for (a, b) in rows.iter().zip(want.as_array_mut().unwrap().iter()) {
        assert_eq!(a, b);
    }
    assert!(rows.iter().all(|r| r.get("session_key").is_none()));
});

store_test!(
    an_existing_file_is_refused_without_bang_and_replaced_with_it,
    |db| {
        seed_small(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("old.csv");
        std::fs::write(&file, "old contents\n").unwrap();
        let mut app = app(&db, false);
        app.settle().await;
        press(&mut app, &format!(":export csv {}<Enter>", file.display())).await;
        let (kind, text) = status(&app);
        assert_eq!(kind, StatusKind::Error);
        assert!(text.contains("exists: nothing written"), "{text}");
        assert!(text.contains(":export!"), "{text}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "old contents\n");
        assert_eq!(entries(dir.path()), vec!["old.csv"]);

        press(&mut app, &format!(":export! csv {}<Enter>", file.display())).await;
        let (kind, text) = status(&app);
        assert_eq!(kind, StatusKind::Ok, "{text}");
        let now = std::fs::read_to_string(&file).unwrap();
        assert!(now.starts_with(wxlogin::export::csv_header()));
        assert_eq!(now.matches("\r\n").count(), 5, "header and four rows");
        assert_eq!(entries(dir.path()), vec!["old.csv"]);
    }
);

store_test!(bad_export_commands_say_why_and_write_nothing, |db| {
    seed_small(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&db, false);
    app.settle().await;
    press(&mut app, ":export xml out.xml<Enter>").await;
    assert!(status(&app).1.contains("unknown export format xml"));
    press(&mut app, ":export csv<Enter>").await;
    assert!(status(&app).1.contains("file name is missing"));
    let missing = dir.path().join("no-such-dir").join("x.csv");
    press(
        &mut app,
        &format!(":export csv {}<Enter>", missing.display()),
    )
    .await;
    let (kind, text) = status(&app);
    assert_eq!(kind, StatusKind::Error);
    assert!(text.starts_with("export failed"), "{text}");
    assert!(text.contains("cannot create a file in"), "{text}");
    press(&mut app, "2").await;
    let elsewhere = dir.path().join("x.csv");
    press(
        &mut app,
        &format!(":export csv {}<Enter>", elsewhere.display()),
    )
    .await;
    assert!(status(&app).1.contains("export works in the Sessions view"));
    assert!(entries(dir.path()).is_empty());
});

store_test!(export_is_refused_in_a_console_of_the_ssh_door, |db| {
    seed_small(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("door.csv");
    let mut ctx = ConsoleContext::new(db.store.clone(), operator());
    ctx.theme = Theme::plain();
    ctx.export_files = false;
    let mut app = wxlogin::console::app::App::new(ctx);
    app.settle().await;
    press(&mut app, &format!(":export! csv {}<Enter>", file.display())).await;
    let (kind, text) = status(&app);
    assert_eq!(kind, StatusKind::Error);
    assert!(text.contains("not available over the SSH door"), "{text}");
    assert!(entries(dir.path()).is_empty());
    assert!(audit_rows(&db, "sessions.export").await.is_empty());
});

/// `N` live sessions of one account straight in SQL, one second apart (the login path would
/// take minutes).
const N: i64 = 100_000;

async fn seed_bulk(store: &Store) {
    assert_eq!(store.backend(), DbBackend::Sqlite);
    let account = common::account(store, "bulk").await.id;
    // Live now: the binary run beside the console has no test clock.
    let t0_us = chrono::Utc::now().timestamp_micros();
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

/// A test backend that counts the frames whose status line shows export progress.
struct Counting {
    inner: TestBackend,
    progress_frames: usize,
    last: String,
}

impl Counting {
    fn new(w: u16, h: u16) -> Self {
        Counting {
            inner: TestBackend::new(w, h),
            progress_frames: 0,
            last: String::new(),
        }
    }
}

impl Backend for Counting {
    type Error = <TestBackend as Backend>::Error;
    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, p: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, t: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(t)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    /// One frame is complete.
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()?;
        let text = buffer_lines(self.inner.buffer()).join("\n");
        if text.contains("rows… Esc cancels") {
            self.progress_frames += 1;
        }
        self.last = text;
        Ok(())
    }
}

impl SizedBackend for Counting {
    fn set_size(&mut self, cols: u16, rows: u16) {
        self.inner.resize(cols, rows);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_screen_keeps_drawing_while_100k_sessions_are_exported() {
    let db = common::sqlite_db().await;
    seed_bulk(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bulk.csv");
    let mut app = app(&db, false);
    app.settle().await;
    let mut terminal = driver::terminal(Counting::new(120, 30), (120, 30)).unwrap();
    // The script waits for the console's background work before each key and before it ends:
    // it ends once the export is done.
    let keys = script(
        &app,
        events(&format!(":export csv {}<Enter>", file.display())),
    );
    let exit = driver::drive(&mut app, &mut terminal, keys).await.unwrap();
    assert_eq!(exit, driver::Exit::InputClosed);
    let backend = terminal.backend();
    assert!(
        backend.progress_frames >= 5,
        "frames drawn while exporting: {}",
        backend.progress_frames
    );
    assert!(
        backend.last.contains("exported 100,000 sessions to"),
        "{}",
        backend.last
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches("\r\n").count(), N as usize + 1);
    let cli = wx(&db.url, &["sessions", "list", "--format", "csv", "--all"])
        .await
        .expect(0);
    assert_eq!(text, cli.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esc_cancels_an_export_and_leaves_no_file() {
    let db = common::sqlite_db().await;
    seed_bulk(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cancelled.csv");
    let mut app = app(&db, false);
    app.settle().await;
    let mut terminal = driver::terminal(TestBackend::new(100, 24), (100, 24)).unwrap();
    // Typed without waiting: Esc arrives while the first pages are being written.
    let mut evs = events(&format!(":export csv {}<Enter>", file.display()));
    evs.extend(events("<Esc>"));
    let keys = Box::pin(futures::stream::iter(evs.into_iter().map(Ok)));
    driver::drive(&mut app, &mut terminal, keys).await.unwrap();
    app.settle().await;
    let (kind, text) = status(&app);
    assert_eq!(kind, StatusKind::Info);
    assert_eq!(
        text,
        format!("export cancelled: {} not written", file.display())
    );
    assert!(!app.sessions.exporting());
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    assert!(
        audit_rows(&db, "sessions.export").await.is_empty(),
        "a cancelled export is not audited"
    );
    // The filter was not cleared by that Esc.
    assert_eq!(app.sessions.total, Some(N as u64));
}

/// A relative FILE is relative to the console's working directory; what the status line says
/// while and after exporting (the bottom of the screen; the rows above hold random ids).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relative_file_lands_in_the_working_directory_and_the_status_line_says_so() {
    let db = common::sqlite_db().await;
    seed_small(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&db, false);
    app.settle().await;
    // The only test here that uses a relative path (the others are absolute), so changing
    // this process's working directory affects no other.
    let before = std::env::current_dir().unwrap();
    std::env::set_current_dir(dir.path()).unwrap();
    press(&mut app, ":export csv rel.csv<Enter>").await;
    let done = render(&mut app, 80, 24);
    press(&mut app, ":export json rel.csv<Enter>").await;
    let refused = render(&mut app, 80, 24);
    std::env::set_current_dir(before).unwrap();
    assert!(dir.path().join("rel.csv").is_file());
    assert_eq!(entries(dir.path()), vec!["rel.csv"]);
    let bottom = |screen: &str| {
        let lines: Vec<&str> = screen.lines().collect();
        lines[lines.len() - 2..].join("\n")
    };
    insta::assert_snapshot!("export_done_status_80x24", bottom(&done));
    insta::assert_snapshot!("export_refused_status_80x24", bottom(&refused));
}
