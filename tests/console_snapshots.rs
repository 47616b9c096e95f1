//! What the operator sees: every view and dialog at 80x24 and at 200x50, on fixed data
//! (timestamps from a fixed clock; random public session ids filtered).

mod common;
mod console_support;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use console_support::*;
use wxlogin::console::App;
use wxlogin::console::app::Overlay;
use wxlogin::console::confirm::{Count, Phase};
use wxlogin::store::RevokeProgress;

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

fn snap(app: &mut App, name: &str) {
    for (w, h) in SIZES {
        let screen = render(app, w, h);
        // The emulator listens on a random port; public session ids are random.
        let screen = mask_session_ids(&regex_lite_port(&screen));
        insta::with_settings!({ filters => filters(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen);
        });
    }
}

/// `127.0.0.1:43817` → `127.0.0.1:PORT_` (same width, so the frame stays aligned).
fn regex_lite_port(screen: &str) -> String {
    let mut out = String::with_capacity(screen.len());
    let mut rest = screen;
    while let Some(i) = rest.find("127.0.0.1:") {
        let (head, tail) = rest.split_at(i + "127.0.0.1:".len());
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        out.push_str(&"PORT_"[..digits.min(5)]);
        out.push_str(&"_".repeat(digits.saturating_sub(5)));
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// `ses_3fa9…` → `ses_····…`: every hex digit of a public id masked, widths kept.
fn mask_session_ids(screen: &str) -> String {
    let mut out = String::with_capacity(screen.len());
    let mut rest = screen;
    while let Some(i) = rest.find("ses_") {
        let (head, tail) = rest.split_at(i + 4);
        out.push_str(head);
        let n = tail.chars().take_while(|c| c.is_ascii_hexdigit()).count();
        out.push_str(&"·".repeat(n));
        rest = &tail[n..];
    }
    out.push_str(rest);
    out
}

/// A console on the standard fixture, first page loaded.
async fn console(read_only: bool) -> (common::TestDb, Fixture, App) {
    let db = common::sqlite_db().await;
    let fx = fixture(&db).await;
    let mut app = console_support::app(&fx.store, read_only);
    app.settle().await;
    (db, fx, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_views() {
    let (_db, _fx, mut app) = console(false).await;
    snap(&mut app, "sessions_list");
    press(&mut app, "jj<Enter>").await; // carol: the hostile user agent, sanitised
    snap(&mut app, "sessions_detail");
    press(&mut app, "<Esc>x").await;
    press(&mut app, "<Enter>").await; // dave's revoked session (the newest): who, when, why
    snap(&mut app, "sessions_all_states_detail");
    press(&mut app, "<Esc>xg<Space><Space>j<Space>").await;
    snap(&mut app, "sessions_marked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_and_filtered_sessions() {
    let db = common::sqlite_db().await;
    let clock = TestClock::at(t0());
    let store = with_clock(&db, &clock);
    let mut app = console_support::app(&store, false);
    app.settle().await;
    snap(&mut app, "sessions_empty_database");
    drop(app);
    let fx = fixture(&db).await;
    let mut app = console_support::app(&fx.store, false);
    app.settle().await;
    press(
        &mut app,
        ":sessions username=alice appid=wxapp000000000001<Enter>",
    )
    .await;
    snap(&mut app, "sessions_filtered");
    press(&mut app, ":sessions username=nobody<Enter>").await;
    snap(&mut app, "sessions_filter_matches_nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirm_dialogs() {
    let (_db, _fx, mut app) = console(false).await;
    press(&mut app, "dphone reported stolen").await;
    snap(&mut app, "confirm_revoke_one");
    press(&mut app, "<Esc>A").await;
    snap(&mut app, "confirm_revoke_account");
    press(&mut app, "<Enter>").await;
    snap(&mut app, "confirm_reason_required");
    // A bulk revoke in progress (the state a long revoke shows between batches).
    if let Some(Overlay::Confirm(c)) = &mut app.overlay {
        c.count = Count::Known(123_456);
        c.phase = Phase::Running {
            progress: Some(RevokeProgress {
                revoked: 45_000,
                total: 123_456,
                batches: 9,
            }),
            cancel: Arc::new(AtomicBool::new(false)),
            cancelling: false,
        };
    }
    snap(&mut app, "confirm_bulk_progress");
    press(&mut app, "<Esc>").await; // asks the (pretend) revoke to stop
    snap(&mut app, "confirm_bulk_cancelling");
    app.overlay = None;
    press(&mut app, "<Space>j<Space>d").await;
    snap(&mut app, "confirm_revoke_marked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_and_prompts() {
    let (_db, fx, mut app) = console(false).await;
    press(&mut app, "?").await;
    snap(&mut app, "help");
    press(&mut app, "<Esc>:sessions username=al").await;
    snap(&mut app, "command_line");
    press(&mut app, "<Esc>t").await;
    app.handle_paste(fx.sessions[0].token.expose().to_owned());
    let screen = render(&mut app, 200, 50);
    assert!(!screen.contains(fx.sessions[0].token.expose()));
    snap(&mut app, "token_prompt_masked");
    press(&mut app, "<Esc>/").await;
    snap(&mut app, "filter_prompt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bindings_views() {
    let (_db, _fx, mut app) = console(false).await;
    press(&mut app, "2").await;
    snap(&mut app, "bindings_start");
    press(&mut app, "/alice<Enter>").await;
    snap(&mut app, "bindings_results");
    press(&mut app, "<Enter>").await;
    snap(&mut app, "bindings_account");
    press(&mut app, "U").await;
    snap(&mut app, "confirm_unbind");
    press(&mut app, "<Esc><Esc>/oNobody<Enter>").await;
    snap(&mut app, "bindings_no_match");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_views() {
    let (_db, _fx, mut app) = console(false).await;
    press(&mut app, "4").await;
    snap(&mut app, "audit_list");
    press(&mut app, "<Enter>").await;
    snap(&mut app, "audit_detail");
    press(&mut app, "<Esc>/action=account.create<Enter>").await;
    snap(&mut app, "audit_filtered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_view() {
    let (_db, fx, mut app) = console(false).await;
    exchange_flow(&fx, &mut app, snap).await;
}

/// The Exchange view without an app, then against the emulator: an unbound user, a bound one
/// and a reused code, each pictured by `snap`.
async fn exchange_flow(fx: &Fixture, app: &mut App, snap: fn(&mut App, &str)) {
    use wxlogin::console::views::exchange::{ExchangeSetup, ExchangeView};
    use wxlogin::mock_wechat as emulator;
    use wxlogin::wechat::WechatConfig;
    // Without any WeChat app configured.
    app.exchange = ExchangeView::new(ExchangeSetup::from_wechat(WechatConfig::new(
        "https://api.weixin.qq.com",
        vec![],
    )));
    press(app, "3").await;
    snap(app, "exchange_not_configured");
    // Against the emulator: an unbound user, a bound one, and a reused code.
    let em = emulator::spawn(
        emulator::EmulatorConfig::default(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let cfg = WechatConfig::new(em.base_url(), vec![emulator::demo_app()]);
    app.exchange = ExchangeView::new(ExchangeSetup::from_wechat(cfg));
    // Showing the view reads the access-token cache (none fetched yet).
    press(app, "3").await;
    snap(app, "exchange_start");
    common::login(
        &fx.store,
        fx.bob,
        common::Login::new(
            emulator::DEMO_APPID,
            &emulator::openid(emulator::DEMO_APPID, "bob"),
        ),
    )
    .await;
    press(app, "m<C-u>zoe<Enter>").await;
    snap(app, "exchange_code_minted");
    let used = app.exchange.code.value().to_owned();
    press(app, "<Enter>m<C-u>bob<Enter><Enter>c").await;
    app.handle_paste(used);
    press(app, "<Enter>").await;
    // Latency and session_key differ run to run: pin them for the picture.
    for (i, r) in app.exchange.history.iter_mut().enumerate() {
        r.latency = std::time::Duration::from_millis(12 + i as u64);
        if let Ok(ok) = &mut r.outcome {
            ok.session_key_masked = "Xy••••Zz (24 chars)".into();
        }
    }
    app.status = None;
    snap(app, "exchange_error");
    press(app, "j").await;
    snap(app, "exchange_bound");
    press(app, "j").await;
    snap(app, "exchange_not_bound");
    em.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_and_lost_database() {
    let (_db, fx, mut app) = console(true).await;
    press(&mut app, "d").await;
    snap(&mut app, "read_only_refusal");
    fx.store.close().await;
    press(&mut app, "r").await;
    snap(&mut app, "database_unreachable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_color_means_no_colour() {
    let (_db, _fx, mut app) = console(false).await;
    press(&mut app, "d").await;
    let buf = render_buffer(&mut app, 200, 50);
    for cell in buf.content.iter() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset);
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
    // The coloured theme does use colour (so the check above means something).
    app.ctx.theme = wxlogin::console::theme::Theme::colored();
    let buf = render_buffer(&mut app, 200, 50);
    assert!(
        buf.content
            .iter()
            .any(|c| c.bg != ratatui::style::Color::Reset)
    );
}

// ---- Simplified Chinese (issue 23) ------------------------------------------------------------
// The same screens in zh-CN at 80x24 and 160x40: no label cut inside a wide character, no column
// shifted by one. Dates stay ISO-8601; relative times, labels, hints and dialogs are Chinese.

const SIZES_ZH: [(u16, u16); 2] = [(80, 24), (160, 40)];

fn snap_zh(app: &mut App, name: &str) {
    for (w, h) in SIZES_ZH {
        let screen = render(app, w, h);
        let screen = mask_session_ids(&regex_lite_port(&screen));
        insta::with_settings!({ filters => filters(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("zh_{name}_{w}x{h}"), screen);
        });
    }
}

/// [`console`] in Simplified Chinese (the operator's language is the console's context).
async fn console_zh(read_only: bool) -> (common::TestDb, Fixture, App) {
    let db = common::sqlite_db().await;
    let fx = fixture(&db).await;
    let mut app = console_support::app(&fx.store, read_only);
    app.ctx.tr = wxlogin::i18n::Lang::ZhCn.tr();
    app.settle().await;
    (db, fx, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chinese_sessions_help_and_dialogs() {
    let (_db, _fx, mut app) = console_zh(false).await;
    snap_zh(&mut app, "sessions_list");
    press(&mut app, "jj<Enter>").await;
    snap_zh(&mut app, "sessions_detail");
    press(&mut app, "<Esc>x").await;
    press(&mut app, "<Enter>").await;
    snap_zh(&mut app, "sessions_all_states_detail");
    press(&mut app, "<Esc>xg<Space><Space>j<Space>").await;
    snap_zh(&mut app, "sessions_marked");
    press(&mut app, "d").await;
    snap_zh(&mut app, "confirm_revoke_marked");
    press(&mut app, "<Esc>u").await;
    // A reason typed through an IME arrives as committed text; Backspace removes one character.
    press(&mut app, "d").await;
    app.handle_paste("手机被盗".to_owned());
    press(&mut app, "<BS>").await;
    snap_zh(&mut app, "confirm_revoke_one_chinese_reason");
    press(&mut app, "<Esc>A").await;
    snap_zh(&mut app, "confirm_revoke_account");
    press(&mut app, "<Enter>").await;
    snap_zh(&mut app, "confirm_reason_required");
    app.overlay = None;
    press(&mut app, "?").await;
    snap_zh(&mut app, "help");
    press(&mut app, "<Esc>:sessions username=nobody<Enter>").await;
    snap_zh(&mut app, "sessions_filter_matches_nothing");
    press(&mut app, "/").await;
    snap_zh(&mut app, "filter_prompt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chinese_bindings_audit_overview_and_read_only() {
    let (_db, _fx, mut app) = console_zh(false).await;
    press(&mut app, "2").await;
    snap_zh(&mut app, "bindings_start");
    press(&mut app, "/alice<Enter>").await;
    snap_zh(&mut app, "bindings_results");
    press(&mut app, "<Enter>").await;
    snap_zh(&mut app, "bindings_account");
    press(&mut app, "U").await;
    snap_zh(&mut app, "confirm_unbind");
    press(&mut app, "<Esc><Esc>4").await;
    snap_zh(&mut app, "audit_list");
    press(&mut app, "<Enter>").await;
    snap_zh(&mut app, "audit_detail");
    press(&mut app, "<Esc>0").await;
    snap_zh(&mut app, "overview");
    let (_db2, _fx2, mut ro) = console_zh(true).await;
    press(&mut ro, "d").await;
    snap_zh(&mut ro, "read_only_refusal");
    let small = render(&mut ro, 60, 20);
    assert!(small.contains("终端窗口太小：60x20"), "{small}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chinese_exchange_view() {
    let (_db, fx, mut app) = console_zh(false).await;
    exchange_flow(&fx, &mut app, snap_zh).await;
    // The reused code's errcode is explained in Chinese, from the errcode table.
    let failed = app
        .exchange
        .history
        .iter()
        .find_map(|r| r.outcome.as_ref().err())
        .expect("the reused code failed");
    let code = failed.errcode.expect("WeChat's errcode");
    let zh = wxlogin::i18n::Lang::ZhCn.tr();
    let e =
        wxlogin::wechat::WechatError::from_errcode(code, wxlogin::wechat::ApiError::new("", ""));
    assert_eq!(failed.meaning, e.meaning_in(&zh));
    assert_eq!(failed.action, e.action_in(&zh));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chinese_password_reset_and_command_line_errors() {
    let (_db, _fx, mut app) = console_zh(false).await;
    press(&mut app, ":bindings alice<Enter><Enter>P").await;
    snap_zh(&mut app, "password_prompt");
    press(&mut app, "short<Enter>").await;
    snap_zh(&mut app, "password_too_short");
    press(&mut app, "P").await;
    press(&mut app, "brand-new-pass1<Enter>brand-new-pass1<Enter>").await;
    snap_zh(&mut app, "confirm_set_password");
    press(&mut app, "<Esc><Esc>:frobnicate<Enter>").await;
    snap_zh(&mut app, "command_unknown");
    press(&mut app, "1:export xml out.xml<Enter>").await;
    let status = app
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert_eq!(status, "未知的导出格式 xml：请用 csv 或 json");
}
