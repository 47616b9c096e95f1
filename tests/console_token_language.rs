//! The access-token state of the Exchange view in the operator's language when the last fetch
//! failed without an errcode (WeChat unreachable): what it means and what to do are said in
//! Chinese from the catalogue, the host stays as it is, and no English sentence of the error
//! is left on the screen. Against a port nobody listens on, so no WeChat (real or emulated) answers.

mod common;
mod console_support;

use common::{data_key, real_login, start_emulator};
use console_support::*;
use wxlogin::console::theme::Theme;
use wxlogin::console::views::exchange::ExchangeSetup;
use wxlogin::console::{App, ConsoleContext};
use wxlogin::i18n::Lang;
use wxlogin::mock_wechat::demo_app;
use wxlogin::operator::{Actor, Role};
use wxlogin::store::Store;
use wxlogin::wechat::{WechatConfig, WechatError};

/// An address where nothing listens (a port just freed): every connection is refused at once.
fn closed() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

fn console(store: &Store, lang: Lang, closed: std::net::SocketAddr, size: (u16, u16)) -> App {
    let actor = Actor::new("support-op", Role::Support, None);
    let mut ctx = ConsoleContext::new(store.clone(), actor);
    ctx.theme = Theme::plain();
    ctx.tr = lang.tr();
    ctx.size = size;
    ctx.exchange = ExchangeSetup::from_wechat(WechatConfig::new(
        format!("http://{closed}"),
        vec![demo_app()],
    ))
    .with_data_key(data_key());
    let mut app = App::new(ctx);
    app.resize(size.0, size.1);
    app
}

/// The screen of the Exchange view after a key check of the selected session.
async fn exchange_after_a_failed_fetch(
    store: &Store,
    lang: Lang,
    closed: std::net::SocketAddr,
) -> String {
    let mut app = console(store, lang, closed, (160, 40));
    app.settle().await;
    press(&mut app, "<Enter>c").await;
    press(&mut app, "<Esc>3").await;
    render(&mut app, 160, 40)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_wechat_is_explained_in_chinese_on_the_exchange_view() {
    let db = common::sqlite_db().await;
    let wx = start_emulator().await;
    real_login(&db.store, &wx, "zoe").await;
    let connect = WechatError::Connect {
        host: String::new(),
        detail: String::new(),
    };
    let zh = Lang::ZhCn.tr();
    let addr = closed();
    let screen = exchange_after_a_failed_fetch(&db.store, Lang::ZhCn, addr).await;
    assert!(
        screen.contains(&format!("上次错误：{}", connect.meaning_in(&zh))),
        "{screen}"
    );
    // The meaning, then the host and the transport's text; what to do on its own line.
    assert!(
        screen.contains(&format!("{}（{addr}", connect.meaning_in(&zh))),
        "{screen}"
    );
    let last_error = screen
        .lines()
        .find(|l| l.contains("上次错误"))
        .unwrap_or_default();
    assert!(
        !last_error.contains(&connect.action_in(&zh)),
        "what to do is on its own line: {screen}"
    );
    assert!(screen.contains("处理建议"), "{screen}");
    assert!(
        screen.contains(&addr.to_string()),
        "the host is kept: {screen}"
    );
    assert!(!screen.contains(connect.meaning()), "{screen}");
    assert!(
        !screen.contains("check WXLOGIN_WECHAT_BASE_URL"),
        "{screen}"
    );
    // The same failure in English keeps the English sentences.
    let screen = exchange_after_a_failed_fetch(&db.store, Lang::En, addr).await;
    assert!(screen.contains(connect.meaning()), "{screen}");
    wx.shutdown().await;
}
