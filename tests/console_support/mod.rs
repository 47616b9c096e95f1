//! Helpers for the console tests: a store with a clock the test controls, deterministic
//! fixtures, key scripts, and rendering to a `TestBackend`.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use wxlogin::console::theme::Theme;
use wxlogin::console::{App, ConsoleContext};
use wxlogin::operator::{Actor, Role};
use wxlogin::store::{IssuedSession, Store};

use crate::common::{self, Login};

/// 2026-11-21T10:00:00Z: "now" in every console test.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap()
}

/// A clock tests move by hand.
#[derive(Clone)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        TestClock(Arc::new(AtomicI64::new(t.timestamp_micros())))
    }
    pub fn set(&self, t: DateTime<Utc>) {
        self.0.store(t.timestamp_micros(), Ordering::SeqCst);
    }
    pub fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_micros(self.0.load(Ordering::SeqCst)).unwrap()
    }
    pub fn advance_secs(&self, s: i64) {
        self.0.fetch_add(s * 1_000_000, Ordering::SeqCst);
    }
}

/// The store with a test clock attached.
pub fn with_clock(store: &Store, clock: &TestClock) -> Store {
    let c = clock.clone();
    store.clone().with_clock(Arc::new(move || c.now()))
}

pub fn operator() -> Actor {
    Actor::new(
        "oncall-ana",
        Role::Oncall,
        Some("ssh:203.0.113.7".to_owned()),
    )
}

/// A console over `store`, as operator `oncall-ana`, without colour (snapshots are text).
pub fn app(store: &Store, read_only: bool) -> App {
    let mut ctx = ConsoleContext::new(store.clone(), operator());
    ctx.read_only = read_only;
    ctx.theme = Theme::plain();
    ctx.db_label = "sqlite:///var/lib/wxlogin/wxlogin.db?mode=rwc".to_owned();
    let mut app = App::new(ctx);
    app.resize(80, 24);
    app
}

/// One key press: `j`, `<Enter>`, `<Esc>`, `<Space>`, `<Tab>`, `<S-Tab>`, `<Down>`, `<Up>`,
/// `<PgDn>`, `<PgUp>`, `<Home>`, `<End>`, `<BS>`, `<C-x>`.
pub fn key(token: &str) -> KeyEvent {
    let none = KeyModifiers::NONE;
    match token {
        "<Enter>" => KeyEvent::new(KeyCode::Enter, none),
        "<Esc>" => KeyEvent::new(KeyCode::Esc, none),
        "<Space>" => KeyEvent::new(KeyCode::Char(' '), none),
        "<Tab>" => KeyEvent::new(KeyCode::Tab, none),
        "<S-Tab>" => KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT),
        "<Down>" => KeyEvent::new(KeyCode::Down, none),
        "<Up>" => KeyEvent::new(KeyCode::Up, none),
        "<PgDn>" => KeyEvent::new(KeyCode::PageDown, none),
        "<PgUp>" => KeyEvent::new(KeyCode::PageUp, none),
        "<Home>" => KeyEvent::new(KeyCode::Home, none),
        "<End>" => KeyEvent::new(KeyCode::End, none),
        "<BS>" => KeyEvent::new(KeyCode::Backspace, none),
        t if t.starts_with("<C-") && t.len() == 5 => {
            let c = t.chars().nth(3).unwrap();
            KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
        }
        t => {
            let mut chars = t.chars();
            let c = chars.next().expect("a key");
            assert!(chars.next().is_none(), "unknown key token {t}");
            let m = if c.is_ascii_uppercase() {
                KeyModifiers::SHIFT
            } else {
                none
            };
            KeyEvent::new(KeyCode::Char(c), m)
        }
    }
}

/// Splits `jj<Enter>text` into key tokens.
pub fn tokens(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '<' && chars.peek().is_some_and(|n| n.is_ascii_uppercase()) {
            let mut t = String::from("<");
            for n in chars.by_ref() {
                t.push(n);
                if n == '>' {
                    break;
                }
            }
            out.push(t);
        } else {
            out.push(c.to_string());
        }
    }
    out
}

/// Presses each key of `script`, letting background work finish after each one.
pub async fn press(app: &mut App, script: &str) {
    for t in tokens(script) {
        app.handle_key(key(&t));
        app.settle().await;
    }
}

/// The public ids the Sessions list holds, top first.
pub fn listed(app: &App) -> Vec<String> {
    app.sessions
        .list
        .window
        .rows
        .iter()
        .map(|r| r.public_id.clone())
        .collect()
}

/// The screen as text (what an operator sees), at `w`×`h`.
pub fn render(app: &mut App, w: u16, h: u16) -> String {
    app.resize(w, h);
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| wxlogin::console::ui::draw(f, app))
        .unwrap();
    terminal.backend().to_string()
}

/// The rendered buffer itself (to check styles).
pub fn render_buffer(app: &mut App, w: u16, h: u16) -> ratatui::buffer::Buffer {
    app.resize(w, h);
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| wxlogin::console::ui::draw(f, app))
        .unwrap();
    terminal.backend().buffer().clone()
}

/// insta filters for random parts that keep their width (WeChat request ids).
pub fn filters() -> Vec<(&'static str, &'static str)> {
    vec![(
        r"[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}",
        "rrrrrrrr-rrrrrrrr-rrrrrrrr",
    )]
}

/// Deterministic fixtures, created one minute apart on the test clock:
/// alice (2 sessions in wxapp000000000001 + 1 in wxapp000000000002), bob (2 sessions),
/// carol (1 session, hostile user agent), dave (bound, no session).
pub struct Fixture {
    pub clock: TestClock,
    pub store: Store,
    pub alice: i64,
    pub bob: i64,
    pub carol: i64,
    pub dave: i64,
    /// In creation order (oldest first).
    pub sessions: Vec<IssuedSession>,
}

pub const APP1: &str = "wxapp000000000001";
pub const APP2: &str = "wxapp000000000002";
pub const HOSTILE_UA: &str = "Evil/1.0 \x1b]0;pwned\x07\x1b[2J\x1b[31mRED";

pub async fn fixture(base: &Store) -> Fixture {
    fixture_at(base, t0()).await
}

/// The fixture with "now" at `now` (the real binary runs on the real clock).
pub async fn fixture_at(base: &Store, now: DateTime<Utc>) -> Fixture {
    let clock = TestClock::at(now - chrono::Duration::hours(3));
    let store = with_clock(base, &clock);
    let alice = common::account(&store, "alice").await.id;
    let bob = common::account(&store, "bob").await.id;
    let carol = common::account(&store, "carol").await.id;
    let dave = common::account(&store, "dave").await.id;
    let mut sessions = Vec::new();
    let logins: Vec<(i64, Login)> = vec![
        (
            alice,
            Login {
                unionid: Some("uAliceUnion0000000000000001"),
                ip: "198.51.100.10",
                user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4) MicroMessenger/8.0.47",
                ..Login::new(APP1, "oAlice0000000000000000000001")
            },
        ),
        (
            bob,
            Login {
                ip: "203.0.113.25",
                user_agent: "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0.49",
                ..Login::new(APP1, "oBob000000000000000000000002")
            },
        ),
        (
            alice,
            Login {
                unionid: Some("uAliceUnion0000000000000001"),
                ip: "198.51.100.11",
                user_agent: "Mozilla/5.0 (iPad; CPU OS 17_4) MicroMessenger/8.0.47",
                ..Login::new(APP2, "oAliceApp2000000000000000003")
            },
        ),
        (
            carol,
            Login {
                ip: "192.0.2.66",
                user_agent: HOSTILE_UA,
                ..Login::new(APP1, "oCarol00000000000000000000004")
            },
        ),
        (
            bob,
            Login {
                ip: "203.0.113.26",
                user_agent: "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0.49",
                ..Login::new(APP1, "oBob000000000000000000000002")
            },
        ),
        (
            alice,
            Login {
                unionid: Some("uAliceUnion0000000000000001"),
                ip: "198.51.100.10",
                user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4) MicroMessenger/8.0.47",
                ..Login::new(APP1, "oAlice0000000000000000000001")
            },
        ),
    ];
    for (account, l) in logins {
        clock.advance_secs(60 * 17);
        sessions.push(common::login(&store, account, l).await);
    }
    // dave: bound, but his only session was revoked at once.
    clock.advance_secs(60 * 5);
    let s = common::login(
        &store,
        dave,
        Login::new(APP2, "oDave000000000000000000000005"),
    )
    .await;
    wxlogin::ops::revoke_sessions(
        &store,
        &common::operator("support-li"),
        std::slice::from_ref(&s.public_id),
        "lost phone",
    )
    .await
    .unwrap();
    clock.set(now);
    Fixture {
        clock,
        store,
        alice,
        bob,
        carol,
        dave,
        sessions,
    }
}

/// Live sessions in the database right now.
pub async fn live_count(store: &Store) -> u64 {
    store
        .count_sessions(&wxlogin::store::SessionFilter::default())
        .await
        .unwrap()
}

/// The input events of a key script (see [`tokens`]).
pub fn events(script: &str) -> Vec<wxlogin::console::event::Event> {
    tokens(script)
        .iter()
        .map(|t| wxlogin::console::event::Event::Key(key(t)))
        .collect()
}

/// A console's input as a stream that, like an operator who reads the screen before typing,
/// waits until the console's background work is done before each event, and before it ends
/// (so the last frame drawn shows every result).
pub fn script(
    app: &App,
    events: Vec<wxlogin::console::event::Event>,
) -> impl futures::Stream<Item = std::io::Result<wxlogin::console::event::Event>> + Unpin + use<> {
    let idle = app.idle();
    Box::pin(futures::stream::unfold(
        (idle, events.into_iter()),
        |(idle, mut rest)| async move {
            idle.wait().await;
            let ev = rest.next()?;
            Some((Ok(ev), (idle, rest)))
        },
    ))
}

/// A console built the way an adapter builds one: its own operator, read-only flag, theme and
/// size.
pub fn console_for(
    store: &Store,
    actor: Actor,
    read_only: bool,
    theme: Theme,
    size: (u16, u16),
) -> App {
    let mut ctx = ConsoleContext::new(store.clone(), actor);
    ctx.read_only = read_only;
    ctx.theme = theme;
    ctx.size = size;
    ctx.db_label = "sqlite:///var/lib/wxlogin/wxlogin.db?mode=rwc".to_owned();
    App::new(ctx)
}

/// A buffer's rows as text.
pub fn buffer_lines(buf: &ratatui::buffer::Buffer) -> Vec<String> {
    let area = buf.area;
    (area.top()..area.bottom())
        .map(|y| {
            (area.left()..area.right())
                .map(|x| buf[(x, y)].symbol())
                .collect()
        })
        .collect()
}
