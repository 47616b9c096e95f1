//! The Exchange view against the built-in WeChat emulator: mint a test code, exchange it, see
//! whether the openid is bound, jump to it; errors with errcode, meaning and what to do; the
//! audit row never holds the code or the session_key.

mod common;
mod console_support;

use console_support::*;
use wxlogin::console::View;
use wxlogin::console::app::StatusKind;
use wxlogin::console::views::exchange::{BindingStatus, ExchangeSetup, ExchangeView};
use wxlogin::mock_wechat::{self as emulator, DEMO_APPID, EmulatorConfig};
use wxlogin::store::AuditFilter;
use wxlogin::wechat::WechatConfig;

async fn emulator_setup() -> (emulator::EmulatorHandle, ExchangeSetup) {
    let em = emulator::spawn(EmulatorConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let setup =
        ExchangeSetup::from_wechat(WechatConfig::new(em.base_url(), vec![emulator::demo_app()]));
    (em, setup)
}

fn status(app: &wxlogin::console::App) -> String {
    app.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

store_test!(mint_exchange_and_jump_to_the_binding, |db| {
    let fx = fixture(&db).await;
    let (em, setup) = emulator_setup().await;
    let mut app = app(&fx.store, false);
    app.exchange = ExchangeView::new(setup);
    app.settle().await;
    press(&mut app, "3").await;
    assert_eq!(app.view, View::Exchange);

    // Mint a code for test user "zoe" and exchange it: not bound yet. The prompt suggests
    // the last user ("alice"); typing replaces the suggestion.
    press(&mut app, "mzoe<Enter>").await;
    assert!(
        status(&app).contains("minted a test code for zoe"),
        "{}",
        status(&app)
    );
    let code = app.exchange.code.value().to_owned();
    assert!(!code.is_empty());
    let screen = render(&mut app, 200, 50);
    assert!(!screen.contains(&code), "the code is masked on screen");
    press(&mut app, "<Enter>").await;
    assert!(app.exchange.code.is_empty(), "the code is wiped once used");
    let r = app.exchange.history[0].clone();
    let ok = r.outcome.as_ref().expect("exchange succeeded");
    assert_eq!(ok.openid, emulator::openid(DEMO_APPID, "zoe"));
    assert!(ok.session_key_masked.contains("••••"));
    assert!(matches!(r.binding, BindingStatus::NotBound));
    let screen = render(&mut app, 200, 50);
    assert!(screen.contains("not bound"), "{screen}");
    assert!(screen.contains(&ok.openid), "{screen}");

    // Bind zoe's openid to alice (a first login), exchange a fresh code: bound, and b jumps there.
    common::login(
        &fx.store,
        fx.alice,
        common::Login::new(DEMO_APPID, &emulator::openid(DEMO_APPID, "zoe")),
    )
    .await;
    press(&mut app, "m<C-u>zoe<Enter><Enter>").await;
    match &app.exchange.history[0].binding {
        BindingStatus::Bound {
            account_id,
            username,
        } => {
            assert_eq!(*account_id, fx.alice);
            assert_eq!(username, "alice");
        }
        other => panic!("expected bound, got {other:?}"),
    }
    assert!(render(&mut app, 80, 24).contains("bound to alice"));
    press(&mut app, "b").await;
    assert_eq!(app.view, View::Bindings);
    assert_eq!(
        app.bindings.account.as_ref().unwrap().account.username,
        "alice"
    );

    // Reusing a code: errcode 40163 with its meaning and what to do.
    press(&mut app, "3c").await;
    app.handle_paste(code.clone());
    press(&mut app, "<Enter>").await;
    let r = app.exchange.history[0].clone();
    let err = r.outcome.as_ref().expect_err("a used code is refused");
    assert_eq!(err.errcode, Some(40163));
    assert_eq!(app.status.as_ref().unwrap().kind, StatusKind::Error);
    let screen = render(&mut app, 200, 50);
    assert!(screen.contains("errcode 40163"), "{screen}");
    assert!(screen.contains("what to do"), "{screen}");
    assert_eq!(app.exchange.history.len(), 3);

    // Three audit rows, none with the code or a session_key.
    let audit = fx
        .store
        .list_audit(
            &AuditFilter {
                action: Some("wechat.exchange".into()),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap()
        .rows;
    assert_eq!(audit.len(), 3);
    for e in &audit {
        assert_eq!(e.operator, "oncall-ana");
        // The same action and target as `wxlogin exchange` (one code path: ops::test_exchange),
        // so `wxlogin audit --target app:…` finds console exchanges too.
        assert_eq!(e.target, format!("app:{DEMO_APPID}"));
        assert_eq!(e.role.as_deref(), Some("oncall"));
        let text = serde_json::to_string(&e.detail.0).unwrap();
        assert!(!text.contains(&code), "the code is not audited");
        assert!(!text.contains("session_key"), "{text}");
    }
    assert_eq!(audit[0].detail.0["errcode"], 40163);
    em.shutdown().await;
});

store_test!(exchanging_is_refused_in_read_only_mode, |db| {
    let fx = fixture(&db).await;
    let (em, setup) = emulator_setup().await;
    let mut app = app(&fx.store, true);
    app.exchange = ExchangeView::new(setup);
    app.settle().await;
    press(&mut app, "3m<Enter>").await;
    press(&mut app, "<Enter>").await;
    assert!(status(&app).starts_with("read-only:"), "{}", status(&app));
    assert!(app.exchange.history.is_empty());
    em.shutdown().await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minting_is_refused_against_the_real_api() {
    let db = common::sqlite_db().await;
    let setup = ExchangeSetup::from_wechat(WechatConfig::new(
        "https://api.weixin.qq.com",
        vec![emulator::demo_app()],
    ));
    let mut app = app(&db, false);
    app.exchange = ExchangeView::new(setup);
    app.settle().await;
    press(&mut app, "3m").await;
    assert!(
        status(&app).contains("only against the built-in emulator"),
        "{}",
        status(&app)
    );
}
