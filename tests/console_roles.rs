//! The role matrix through the console, driven by key events on both databases: a refused
//! action opens no dialog, changes nothing and writes no audit row; an allowed one writes its
//! audit row with the operator's role.

mod common;
mod console_support;

use console_support::*;
use wxlogin::console::app::Overlay;
use wxlogin::console::theme::Theme;
use wxlogin::console::{App, View};
use wxlogin::operator::{Actor, Role};
use wxlogin::store::{AuditFilter, Store};

async fn audit_count(store: &Store) -> usize {
    store
        .list_audit(&AuditFilter::default(), None, 10_000)
        .await
        .unwrap()
        .rows
        .len()
}

async fn console(store: &Store, role: Role) -> App {
    let actor = Actor::new(format!("{role}-op"), role, Some("ssh:203.0.113.7".into()));
    let mut app = console_for(store, actor, false, Theme::plain(), (120, 35));
    app.settle().await;
    app
}

fn status(app: &App) -> String {
    app.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

/// Presses `keys` (which open a dialog when allowed), then types a reason and Enter when a
/// dialog opened. Returns whether it was allowed.
async fn act(app: &mut App, keys: &str) -> bool {
    press(app, keys).await;
    if matches!(app.overlay, Some(Overlay::Confirm(_))) {
        // Let the dialog finish counting what it will change before confirming.
        app.settle().await;
        press(app, "INC-11 drill<Enter>").await;
        app.settle().await;
        true
    } else {
        false
    }
}

async fn goto_bindings_of_bob(app: &mut App) {
    press(app, ":bindings openid=oBob000000000000000000000002<Enter>").await;
    assert_eq!(app.view, View::Bindings);
}

store_test!(each_role_gets_exactly_its_rights_in_the_console, |db| {
    for role in Role::ALL {
        // A fresh database per role (same backend), so every role meets the same rows.
        let fresh = match db.backend() {
            wxlogin::store::Backend::Sqlite => common::sqlite_db().await,
            wxlogin::store::Backend::Postgres => common::pg_db().await.expect("pg"),
            wxlogin::store::Backend::MySql => common::mysql_db().await.expect("mariadb"),
        };
        let fx = fixture(&fresh).await;
        let mut app = console(&fx.store, role).await;
        let may = role >= Role::Support;
        for keys in ["d", "A", "O"] {
            let (audit, live) = (audit_count(&fx.store).await, live_count(&fx.store).await);
            let allowed = act(&mut app, keys).await;
            assert_eq!(allowed, may, "{role} {keys}: {}", status(&app));
            if may {
                let row = &fx
                    .store
                    .list_audit(&AuditFilter::default(), None, 1)
                    .await
                    .unwrap()
                    .rows[0];
                assert_eq!(row.role.as_deref(), Some(role.as_str()), "{role} {keys}");
                assert_eq!(row.operator, format!("{role}-op"));
            } else {
                assert!(
                    status(&app).contains("needs the support role"),
                    "{role} {keys}: {}",
                    status(&app)
                );
                assert_eq!(
                    audit_count(&fx.store).await,
                    audit,
                    "{role} {keys}: no audit row"
                );
                assert_eq!(
                    live_count(&fx.store).await,
                    live,
                    "{role} {keys}: nothing revoked"
                );
            }
        }
        goto_bindings_of_bob(&mut app).await;
        let audit = audit_count(&fx.store).await;
        let allowed = act(&mut app, "U").await;
        assert_eq!(allowed, may, "{role} U: {}", status(&app));
        assert_eq!(
            audit_count(&fx.store).await > audit,
            may,
            "{role} U audited iff allowed: {} / {}",
            status(&app),
            render(&mut app, 120, 35)
        );
    }
});
