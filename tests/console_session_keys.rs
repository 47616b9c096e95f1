//! The session_key keys of the Sessions view and the access-token state of the Exchange view,
//! driven by key events against the in-process WeChat emulator on both databases: check a
//! session's key, reset it through the confirmation dialog (with a reason), and see WeChat
//! agree (the old key answers 87009, the new stored one is valid); a viewer's reset changes
//! nothing; the Exchange view says until when the token is cached and never shows it.

mod common;
mod console_support;

use common::{data_key, emulator_wechat, real_login, start_emulator, stored_key};
use console_support::*;
use wxlogin::console::app::{Overlay, StatusKind};
use wxlogin::console::theme::Theme;
use wxlogin::console::views::exchange::ExchangeSetup;
use wxlogin::console::views::sessions::KeyOutcome;
use wxlogin::console::{App, ConsoleContext, View};
use wxlogin::mock_wechat::{DEMO_APPID, DEMO_SECRET, EmulatorHandle, demo_app};
use wxlogin::operator::{Actor, Role};
use wxlogin::secret::Secret;
use wxlogin::store::{AuditEntry, AuditFilter, Store};
use wxlogin::wechat::{AppCredentials, KeyCheck, WechatClient, WechatConfig};

/// A console for `role` over `store`, talking to `wechat` with the test data key.
fn console(store: &Store, role: Role, wechat: WechatConfig, size: (u16, u16)) -> App {
    let actor = Actor::new(
        format!("{role}-op"),
        role,
        Some("ssh:203.0.113.7".to_owned()),
    );
    let mut ctx = ConsoleContext::new(store.clone(), actor);
    ctx.read_only = role == Role::Viewer;
    ctx.theme = Theme::plain();
    ctx.db_label = "sqlite:///var/lib/wxlogin/wxlogin.db?mode=rwc".to_owned();
    ctx.size = size;
    ctx.exchange = ExchangeSetup::from_wechat(wechat).with_data_key(data_key());
    let mut app = App::new(ctx);
    app.resize(size.0, size.1);
    app
}

async fn audit(store: &Store, action: Option<&str>) -> Vec<AuditEntry> {
    store
        .list_audit(
            &AuditFilter {
                action: action.map(str::to_owned),
                ..Default::default()
            },
            None,
            1000,
        )
        .await
        .unwrap()
        .rows
}

/// What WeChat (the emulator) says of `key` for `openid`, with a fresh client.
async fn wechat_says(wx: &EmulatorHandle, openid: &str, key: &Secret) -> KeyCheck {
    WechatClient::new(emulator_wechat(wx))
        .unwrap()
        .check_session_key(DEMO_APPID, openid, key)
        .await
        .expect("WeChat answers")
}

fn status(app: &App) -> (StatusKind, String) {
    let s = app.status.as_ref().expect("a status message");
    (s.kind, s.text.clone())
}

store_test!(
    check_then_reset_through_the_dialog_and_wechat_agrees,
    |db| {
        let wx = start_emulator().await;
        let (id, openid, old_key) = real_login(&db.store, &wx, "zoe").await;
        let mut app = console(&db.store, Role::Support, emulator_wechat(&wx), (160, 40));
        app.settle().await;
        assert_eq!(app.view, View::Sessions);
        assert_eq!(
            app.sessions.list.window.selected_row().unwrap().public_id,
            id
        );

        // c: checked in the background, audited like an exchange, shown in the detail pane.
        press(&mut app, "<Enter>c").await;
        let r = app.sessions.key_results.get(&id).expect("a check result");
        assert!(matches!(r.outcome, KeyOutcome::Valid), "{r:?}");
        assert_eq!(status(&app).0, StatusKind::Ok);
        let screen = render(&mut app, 160, 40);
        assert!(screen.contains("session_key  valid (checked "), "{screen}");
        assert!(screen.contains(&old_key.masked()), "{screen}");
        assert!(
            !screen.contains(old_key.expose()),
            "the key is shown masked only"
        );
        let checks = audit(&db.store, Some("wechat.check_session_key")).await;
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].operator, "support-op");
        assert_eq!(checks[0].role.as_deref(), Some("support"));
        assert_eq!(checks[0].target, format!("session:{id}"));
        assert_eq!(checks[0].detail.0["status"], "valid");

        // R: the confirmation dialog; a reason is required.
        press(&mut app, "R").await;
        assert!(
            matches!(app.overlay, Some(Overlay::Confirm(_))),
            "the reset opens the dialog"
        );
        let screen = render(&mut app, 160, 40);
        assert!(screen.contains("Reset a session_key"), "{screen}");
        press(&mut app, "<Enter>").await;
        assert!(
            matches!(app.overlay, Some(Overlay::Confirm(_))),
            "no reason: still open"
        );
        assert_eq!(
            stored_key(&db.store, &id).await,
            old_key,
            "nothing changed yet"
        );
        press(&mut app, "user reports decrypt failed<Enter>").await;
        assert!(app.overlay.is_none(), "the dialog closes when done");

        let r = app.sessions.key_results.get(&id).expect("a reset result");
        let KeyOutcome::Reset {
            new_key_masked,
            sessions,
        } = &r.outcome
        else {
            panic!("expected a reset, got {r:?}");
        };
        assert_eq!(sessions, &vec![id.clone()]);
        let new_key = stored_key(&db.store, &id).await;
        assert_ne!(new_key, old_key, "the new key is stored");
        assert_eq!(new_key_masked, &new_key.masked());
        let screen = render(&mut app, 160, 40);
        let masked_head = new_key.masked().split(' ').next().unwrap().to_owned();
        assert!(
            screen.contains(&format!("reset: new key stored (masked {masked_head}")),
            "{screen}"
        );
        assert!(!screen.contains(new_key.expose()), "{screen}");
        assert!(!screen.contains(old_key.expose()), "{screen}");

        // At WeChat: the old key is stale (87009), the stored new one valid.
        match wechat_says(&wx, &openid, &old_key).await {
            KeyCheck::Stale(_) => {}
            other => panic!("the old key should be stale, got {other:?}"),
        }
        assert_eq!(wechat_says(&wx, &openid, &new_key).await, KeyCheck::Valid);
        // And the console's own check of the stored key says so too.
        press(&mut app, "c").await;
        let r = app.sessions.key_results.get(&id).unwrap();
        assert!(matches!(r.outcome, KeyOutcome::Valid), "{r:?}");
        assert_eq!(r.key_masked.as_deref(), Some(new_key.masked().as_str()));

        // The reset's audit row: operator, role, reason; no key in it.
        let resets = audit(&db.store, Some("session.reset_key")).await;
        assert_eq!(resets.len(), 1);
        let row = &resets[0];
        assert_eq!(row.operator, "support-op");
        assert_eq!(row.role.as_deref(), Some("support"));
        assert_eq!(row.reason.as_deref(), Some("user reports decrypt failed"));
        let text = serde_json::to_string(&row.detail.0).unwrap();
        assert!(!text.contains(old_key.expose()) && !text.contains(new_key.expose()));
        wx.shutdown().await;
    }
);

store_test!(a_stale_key_says_the_user_must_log_in_again, |db| {
    let wx = start_emulator().await;
    let (id, _openid, old_key) = real_login(&db.store, &wx, "yan").await;
    // The mini program calls wx.login() again: WeChat now holds a newer key for yan.
    let code = wx.mint(DEMO_APPID, "yan").unwrap();
    WechatClient::new(emulator_wechat(&wx))
        .unwrap()
        .code2session(DEMO_APPID, &code)
        .await
        .unwrap();
    let mut app = console(&db.store, Role::Support, emulator_wechat(&wx), (160, 40));
    app.settle().await;
    press(&mut app, "<Enter>c").await;
    let r = app.sessions.key_results.get(&id).unwrap();
    assert!(
        matches!(r.outcome, KeyOutcome::Stale { errcode: 87009, .. }),
        "{r:?}"
    );
    assert_eq!(status(&app).0, StatusKind::Error);
    let screen = render(&mut app, 160, 40);
    // (The detail pane wraps the sentence.)
    assert!(
        screen.contains("stale: 87009 — the key expired or was replaced"),
        "{screen}"
    );
    assert!(
        screen.contains("by a newer wx.login(); the user must log in"),
        "{screen}"
    );
    assert!(screen.contains("what to do"), "{screen}");
    assert!(!screen.contains(old_key.expose()), "{screen}");
    let checks = audit(&db.store, Some("wechat.check_session_key")).await;
    assert_eq!(checks[0].detail.0["status"], "stale");
    assert_eq!(checks[0].detail.0["errcode"], 87009);
    wx.shutdown().await;
});

store_test!(
    a_viewer_pressing_check_or_reset_changes_nothing_and_writes_no_audit_row,
    |db| {
        let wx = start_emulator().await;
        let (id, openid, key) = real_login(&db.store, &wx, "zoe").await;
        let before = audit(&db.store, None).await.len();
        let mut app = console(&db.store, Role::Viewer, emulator_wechat(&wx), (160, 40));
        app.settle().await;
        press(&mut app, "<Enter>R").await;
        assert!(app.overlay.is_none(), "no dialog for a viewer");
        let (kind, text) = status(&app);
        assert_eq!(kind, StatusKind::Error);
        assert_eq!(
            text,
            "refused: resetting a session_key needs the support role; you are viewer (read-only mode)"
        );
        // The check is a WeChat call on the operator's behalf, audited: support or above too.
        press(&mut app, "c").await;
        assert_eq!(
            status(&app).1,
            "refused: checking a session_key with WeChat needs the support role; you are viewer (read-only mode)"
        );
        assert!(app.sessions.key_results.is_empty());
        assert_eq!(
            stored_key(&db.store, &id).await,
            key,
            "the key is unchanged"
        );
        assert_eq!(wechat_says(&wx, &openid, &key).await, KeyCheck::Valid);
        assert_eq!(audit(&db.store, None).await.len(), before, "no audit row");
        // The help screen lists both keys, marked for this role.
        press(&mut app, "?").await;
        let screen = render(&mut app, 160, 60);
        assert!(
            screen
                .contains("c               check the session's session_key with WeChat (audited)"),
            "{screen}"
        );
        assert!(
            screen.contains("R               have WeChat issue a new session_key and store it"),
            "{screen}"
        );
        assert!(screen.contains("needs the support role"), "{screen}");
        wx.shutdown().await;
    }
);

/// The token's text, as WeChat hands it to every caller of stable_token until it expires.
async fn current_token(wx: &EmulatorHandle) -> String {
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/cgi-bin/stable_token", wx.base_url()))
        .json(&serde_json::json!({
            "grant_type": "client_credential",
            "appid": DEMO_APPID,
            "secret": DEMO_SECRET,
            "force_refresh": false,
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"].as_str().expect("a token").to_owned()
}

/// The moment of "cached until" changes with the real clock.
/// The emulator's port and the session's public id are random too (each replaced by text of
/// the same width, so the borders stay where they are).
fn token_filters() -> Vec<(&'static str, &'static str)> {
    let mut f = filters();
    f.push((r"cached until \d\d:\d\d:\d\d", "cached until HH:MM:SS"));
    f.push((r"127\.0\.0\.1:\d{5}", "127.0.0.1:PPPPP"));
    f.push((r"ses_[0-9a-f]{20}", "ses_xxxxxxxxxxxxxxxxxxxx"));
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exchange_view_shows_until_when_the_token_is_cached_and_never_the_token() {
    let db = common::sqlite_db().await;
    let wx = start_emulator().await;
    let (_id, _openid, _key) = real_login(&db.store, &wx, "zoe").await;
    let mut app = console(&db.store, Role::Support, emulator_wechat(&wx), (80, 24));
    app.settle().await;

    // Before any call that needs one: not fetched.
    press(&mut app, "3").await;
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("not fetched yet"), "{screen}");
    insta::with_settings!({ filters => token_filters() }, {
        insta::assert_snapshot!("exchange_token_not_fetched_80x24", screen);
    });

    // A check fetches the token (and caches it for this console's client).
    press(&mut app, "1c").await;
    press(&mut app, "3").await;
    let token = current_token(&wx).await;
    assert!(token.len() >= 16, "a real token to look for");
    for (w, h) in [(80, 24), (160, 40)] {
        let screen = render(&mut app, w, h);
        assert!(screen.contains("cached until"), "{screen}");
        assert!(
            screen.contains("forced refreshes today: 0 of 20"),
            "{screen}"
        );
        assert!(
            !screen.contains(&token),
            "the token never reaches the screen"
        );
        // Not even a piece of it.
        assert!(!screen.contains(&token[..8]), "{screen}");
        insta::with_settings!({ filters => token_filters() }, {
            insta::assert_snapshot!(format!("exchange_token_cached_{w}x{h}"), screen);
        });
    }
    wx.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_token_fetch_shows_the_errcode_its_meaning_and_what_to_do() {
    let db = common::sqlite_db().await;
    let wx = start_emulator().await;
    let (id, _openid, _key) = real_login(&db.store, &wx, "zoe").await;
    // The console's AppSecret is not the one WeChat has: stable_token answers 40125.
    let wrong = WechatConfig::new(
        wx.base_url(),
        vec![AppCredentials {
            secret: Secret::new("0000000000000000000000000000dead"),
            ..demo_app()
        }],
    );
    let mut app = console(&db.store, Role::Support, wrong, (80, 24));
    app.settle().await;
    press(&mut app, "<Enter>c").await;
    let r = app.sessions.key_results.get(&id).unwrap();
    assert!(
        matches!(
            r.outcome,
            KeyOutcome::Failed {
                errcode: Some(40125),
                ..
            }
        ),
        "{r:?}"
    );
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("errcode 40125"), "{screen}");
    assert!(screen.contains("what to do"), "{screen}");
    press(&mut app, "<Esc>3").await;
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("last error: errcode 40125"), "{screen}");
    assert!(
        !screen.contains("0000000000000000000000000000dead"),
        "{screen}"
    );
    insta::with_settings!({ filters => token_filters() }, {
        insta::assert_snapshot!("exchange_token_error_80x24", screen);
    });
    wx.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reset_dialog_says_whose_key_is_replaced_and_asks_for_a_reason() {
    let db = common::sqlite_db().await;
    let wx = start_emulator().await;
    let (id, _openid, key) = real_login(&db.store, &wx, "zoe").await;
    let mut app = console(&db.store, Role::Support, emulator_wechat(&wx), (80, 24));
    app.settle().await;
    press(&mut app, "<Enter>R").await;
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("Reset a session_key"), "{screen}");
    assert!(screen.contains("Reason:"), "{screen}");
    assert!(!screen.contains(key.expose()), "{screen}");
    insta::with_settings!({ filters => token_filters() }, {
        insta::assert_snapshot!("reset_dialog_80x24", screen);
    });
    // Esc: nothing changed, nothing audited.
    press(&mut app, "<Esc>").await;
    assert!(app.overlay.is_none());
    assert_eq!(stored_key(&db.store, &id).await, key);
    assert!(audit(&db.store, Some("session.reset_key")).await.is_empty());
    wx.shutdown().await;
}
