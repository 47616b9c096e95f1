//! The console's costs: one frame of the sessions view, and resident memory after paging
//! through many sessions (measured in a child process, so that nothing else this process has
//! loaded counts).

use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde::{Deserialize, Serialize};

use super::report::{Stats, own_memory_kib};
use crate::config::{self, ConfigFile, GlobalOpts};
use crate::console::{App, ConsoleContext, ui};
use crate::exit::Failure;
use crate::i18n::Lang;
use crate::operator::{Actor, Role};
use crate::store::Store;

const COLS: u16 = 200;
const ROWS: u16 = 60;

async fn console_on(store: Store, lang: Lang) -> App {
    let mut ctx = ConsoleContext::new(
        store,
        Actor::new("bench", Role::Oncall, Some("wxlogin bench".to_owned())),
    );
    ctx.tr = lang.tr();
    let mut app = App::new(ctx);
    app.resize(COLS, ROWS);
    app.settle().await;
    app
}

/// Time of `terminal.draw` of the sessions view at 200x60 in `lang` (into ratatui's test
/// backend: the layout, widgets and buffer diff, without the terminal's own write).
pub async fn frame_time(store: &Store, n: usize, lang: Lang) -> anyhow::Result<Stats> {
    let mut app = console_on(store.clone(), lang).await;
    anyhow::ensure!(
        !app.sessions.list.window.rows.is_empty(),
        "the console loaded no sessions"
    );
    let mut term = Terminal::new(TestBackend::new(COLS, ROWS))?;
    let down = KeyEvent::new(KeyCode::Down, KeyModifiers::NONE);
    let up = KeyEvent::new(KeyCode::Up, KeyModifiers::NONE);
    let mut v = Vec::with_capacity(n);
    for i in 0..n + 5 {
        // The selection moves between frames (outside the timing), so every frame differs
        // from the previous one, as when an operator scrolls.
        app.handle_key(if (i / 10) % 2 == 0 { down } else { up });
        app.settle().await;
        let t = Instant::now();
        term.draw(|f| ui::draw(f, &app))?;
        if i >= 5 {
            v.push(t.elapsed());
        }
    }
    Ok(Stats::from(v))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Memory {
    pub rows: u64,
    pub rows_available: u64,
    pub presses: u64,
    pub hwm_kib: u64,
    pub rss_kib: u64,
}

/// Runs `wxlogin --lang LANG bench --console-rss-child ROWS` on `url` and reads its report.
pub fn rss_in_child(url: &str, rows: u64, lang: Lang) -> anyhow::Result<Memory> {
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(["--lang", lang.tag()])
        .args(["bench", "--console-rss-child", &rows.to_string()])
        .env("DATABASE_URL", url)
        .env_remove("WXLOGIN_CONFIG")
        .stdin(std::process::Stdio::null())
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "the console child failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    serde_json::from_slice(&out.stdout).context("the console child's report")
}

/// The child: a console on DATABASE_URL pages down (PgDn, drawing each page like the real
/// loop does) until `rows` sessions have gone by or the list ends, then prints its peak and
/// current resident memory from /proc/self/status.
pub async fn rss_child(global: &GlobalOpts, file: &ConfigFile, rows: u64) -> Result<(), Failure> {
    let url = config::database_url(global, file)?;
    let lang = config::resolve_lang(global, file)?;
    let store = Store::open(&url).await?;
    let mut app = console_on(store, lang).await;
    let available = app.sessions.total.unwrap_or(0);
    let mut term =
        Terminal::new(TestBackend::new(COLS, ROWS)).map_err(|e| Failure::runtime(e.to_string()))?;
    let key = KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE);
    let per_page = app.list_height().max(1) as u64;
    let max_presses = rows / per_page * 2 + 100;
    let mut presses = 0u64;
    let mut pos = 0u64;
    let started = Instant::now();
    while presses < max_presses && started.elapsed() < Duration::from_secs(600) {
        let now = app
            .sessions
            .list
            .window
            .position(app.sessions.total)
            .map(|p| p.0)
            .unwrap_or(0);
        if now >= rows || (presses > 0 && now == pos) {
            pos = now;
            break;
        }
        pos = now;
        app.handle_key(key);
        app.settle().await;
        term.draw(|f| ui::draw(f, &app))
            .map_err(|e| Failure::runtime(e.to_string()))?;
        presses += 1;
    }
    let (hwm_kib, rss_kib) =
        own_memory_kib().ok_or_else(|| Failure::runtime("cannot read /proc/self/status"))?;
    let m = Memory {
        rows: pos,
        rows_available: available,
        presses,
        hwm_kib,
        rss_kib,
    };
    println!(
        "{}",
        serde_json::to_string(&m).map_err(|e| Failure::runtime(e.to_string()))?
    );
    Ok(())
}
