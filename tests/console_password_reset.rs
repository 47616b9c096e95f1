//! Password reset from the Bindings view: a real session through the service is refused at
//! once, the new password works, and a viewer can change nothing. SQLite always, PostgreSQL
//! when WXLOGIN_TEST_PG_URL is set.

mod common;
mod console_support;
mod service_common;

use console_support::*;
use reqwest::StatusCode;
use service_common::world;
use wxlogin::console::app::Overlay;
use wxlogin::console::theme::Theme;
use wxlogin::console::{App, ConsoleContext};
use wxlogin::operator::{Actor, Role};

fn status(app: &App) -> String {
    app.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

store_test!(
    a_reset_from_the_console_ends_the_accounts_sessions_at_once,
    |db| {
        common::account(&db, "alice").await;
        let w = world(db).await;
        let token = w.bind("wx-alice", "alice").await;
        assert_eq!(w.me(&token).await.status, StatusCode::OK);
        let mut app = app(&w.store, false);
        app.settle().await;
        press(&mut app, ":bindings alice<Enter><Enter>P").await;
        assert!(matches!(app.overlay, Some(Overlay::Prompt(_))));
        press(&mut app, "brand-new-pass1<Enter>").await;
        let screen = render(&mut app, 80, 24);
        assert!(screen.contains("repeat the new password"), "{screen}");
        assert!(
            !screen.contains("brand-new-pass1"),
            "never echoed: {screen}"
        );
        press(&mut app, "brand-new-pass1<Enter>").await;
        assert!(matches!(app.overlay, Some(Overlay::Confirm(_))));
        let screen = render(&mut app, 80, 24);
        assert!(screen.contains("Set a new password"), "{screen}");
        assert!(
            screen.contains("1 live session will be revoked"),
            "{screen}"
        );
        assert!(screen.contains("[ ] also unbind every binding"), "{screen}");
        assert!(!screen.contains("brand-new-pass1"), "{screen}");
        // Tab switches the option; the reason is required as in every dialog.
        press(&mut app, "<Tab>").await;
        assert!(render(&mut app, 80, 24).contains("[x] also unbind every binding"));
        press(&mut app, "password seen by a colleague, ticket 912<Enter>").await;
        assert!(app.overlay.is_none(), "{}", status(&app));
        assert!(
            status(&app).contains("password set: 1 session revoked"),
            "{}",
            status(&app)
        );
        // The very next request with the old session is refused.
        let me = w.me(&token).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED);
        // The binding went too: the next login needs the password, and the new one works.
        assert_eq!(w.login("wx-alice", None).await.error(), "binding_required");
        let old = w
            .login("wx-alice", Some(("alice", service_common::PASSWORD)))
            .await;
        assert_ne!(old.status, StatusCode::OK, "{}", old.body);
        let new = w
            .login("wx-alice", Some(("alice", "brand-new-pass1")))
            .await;
        assert_eq!(new.status, StatusCode::OK, "{}", new.body);
        let audit = common::audit_rows(&w.store, "account.set_password")
            .await
            .remove(0);
        assert_eq!(audit.operator, "oncall-ana");
        assert_eq!(
            audit.reason.as_deref(),
            Some("password seen by a colleague, ticket 912")
        );
        assert_eq!(audit.detail.0["unbind_all"], true);
        assert!(!audit.detail.0.to_string().contains("brand-new-pass1"));
    }
);

store_test!(two_different_entries_change_nothing, |db| {
    common::account(&db, "bob").await;
    let w = world(db).await;
    let token = w.bind("wx-bob", "bob").await;
    let mut app = app(&w.store, false);
    app.settle().await;
    press(
        &mut app,
        ":bindings bob<Enter>Pfirst-password<Enter>other-password<Enter>",
    )
    .await;
    assert!(app.overlay.is_none());
    assert!(
        status(&app).contains("the two passwords differ"),
        "{}",
        status(&app)
    );
    assert_eq!(
        common::audit_rows(&w.store, "account.set_password")
            .await
            .len(),
        0
    );
    assert_eq!(w.me(&token).await.status, StatusCode::OK);
});

store_test!(a_viewer_cannot_reset_a_password, |db| {
    common::account(&db, "carol").await;
    let w = world(db).await;
    let token = w.bind("wx-carol", "carol").await;
    let mut ctx = ConsoleContext::new(
        w.store.clone(),
        Actor::new("viewer-vic", Role::Viewer, None),
    );
    ctx.theme = Theme::plain();
    let mut app = App::new(ctx);
    app.resize(80, 24);
    app.settle().await;
    press(&mut app, ":bindings carol<Enter><Enter>P").await;
    assert!(app.overlay.is_none(), "no prompt opens");
    assert!(status(&app).contains("setting"), "{}", status(&app));
    assert_eq!(
        common::audit_rows(&w.store, "account.set_password")
            .await
            .len(),
        0
    );
    assert_eq!(w.me(&token).await.status, StatusCode::OK);
});

store_test!(
    a_support_reset_from_the_console_says_the_phones_lose_their_bindings_and_removes_them,
    |db| {
        let dana = common::account(&db, "dana").await;
        let w = world(db).await;
        let token = w.bind("wx-dana", "dana").await;
        let mut ctx = ConsoleContext::new(
            w.store.clone(),
            Actor::new("support-sam", Role::Support, None),
        );
        ctx.theme = Theme::plain();
        let mut app = App::new(ctx);
        app.resize(80, 24);
        app.settle().await;
        press(
            &mut app,
            ":bindings dana<Enter><Enter>Pbrand-new-pass1<Enter>brand-new-pass1<Enter>",
        )
        .await;
        assert!(matches!(app.overlay, Some(Overlay::Confirm(_))));
        let screen = render(&mut app, 80, 24);
        assert!(
            screen.contains("1 live session will be revoked"),
            "{screen}"
        );
        assert!(
            screen.contains("[x] every binding will be removed"),
            "{screen}"
        );
        assert!(
            screen.contains("keeping them needs oncall"),
            "the dialog says why the option is fixed: {screen}"
        );
        // The option cannot be switched off by support.
        press(&mut app, "<Tab>").await;
        let screen = render(&mut app, 80, 24);
        assert!(
            screen.contains("[x] every binding will be removed"),
            "{screen}"
        );
        press(&mut app, "user locked out, ticket 77<Enter>").await;
        assert!(app.overlay.is_none(), "{}", status(&app));
        assert!(
            status(&app).contains("password set: 1 session revoked, 1 binding removed"),
            "{}",
            status(&app)
        );
        assert_eq!(w.me(&token).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(w.login("wx-dana", None).await.error(), "binding_required");
        let audit = common::audit_rows(&w.store, "account.set_password")
            .await
            .remove(0);
        assert_eq!(audit.operator, "support-sam");
        assert_eq!(audit.role.as_deref(), Some("support"));
        assert_eq!(audit.target, format!("account:{}", dana.id));
        assert_eq!(audit.detail.0["unbind_all"], true);
        assert_eq!(audit.detail.0["sessions_revoked"], 1);
        assert_eq!(audit.detail.0["bindings_removed"], 1);
    }
);
