//! What the console says about session retention (issue 24): the Overview shows the last purge
//! (when, how many, how long, by whom, next due) and the purgeable backlog labelled as an
//! estimate; the Bindings detail's history says where retention removed older sessions, in the
//! words of `wxlogin accounts history`. SQLite always, PostgreSQL when WXLOGIN_TEST_PG_URL is
//! set (snapshots on SQLite only: the header names the backend).

#[macro_use]
mod common;
mod console_support;

use chrono::Duration;
use console_support::*;
use wxlogin::console::App;
use wxlogin::console::theme::Theme;
use wxlogin::operator::{Actor, Role};
use wxlogin::ops::{PurgeRequest, purge_sessions};
use wxlogin::store::{Store, Ts};

fn snap(app: &mut App, name: &str) {
    if app.ctx.store.backend() != wxlogin::store::Backend::Sqlite {
        return;
    }
    let screen = render(app, 200, 50);
    // Public session ids are random: masked, widths kept.
    let mut filters = filters();
    filters.push((r"ses_[0-9a-f]{20}", "ses_····················"));
    insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(format!("{name}_200x50"), screen);
    });
}

/// Alice's sessions issued 100 days before t0 (expired about 93 days before it), a purge at t0
/// with the 30-day window, and one more ended session that the purge's cutoff did not reach.
async fn purged(fx: &Fixture) -> u64 {
    let login = |i: usize, ago: i64| {
        let openid = format!("oAliceOld{i:019}");
        let store = fx.store.clone();
        let alice = fx.alice;
        let clock = fx.clock.clone();
        async move {
            clock.set(t0() - Duration::days(ago));
            common::login(&store, alice, common::Login::new(APP1, &openid)).await;
        }
    };
    for i in 0..3 {
        login(i, 100).await;
    }
    // Ended 25 days ago: inside the window, kept (and counted by no backlog).
    login(3, 32).await;
    fx.clock.set(t0() - Duration::minutes(90));
    let oncall = Actor::new("op-kim", Role::Oncall, Some("ssh:203.0.113.7".to_owned()));
    let req = PurgeRequest {
        cutoff: Ts::from(t0() - Duration::days(30)),
        batch: 2,
        pause: std::time::Duration::ZERO,
        holder: "cli:op-kim:1".to_owned(),
        lease_ttl: std::time::Duration::from_secs(60),
        next_due: Some(Ts::from(t0() + Duration::minutes(30))),
        finish_when_stopped: true,
        extra: serde_json::json!({}),
    };
    let out = purge_sessions(&fx.store, &oncall, &req, &mut |_| true)
        .await
        .expect("purge");
    fx.clock.set(t0());
    out.removed
}

async fn console_on(store: &Store) -> App {
    let actor = Actor::new("op-kim", Role::Viewer, Some("ssh:203.0.113.7".to_owned()));
    let mut app = console_for(store, actor, false, Theme::plain(), (200, 50));
    app.settle().await;
    app
}

store_test!(
    overview_shows_the_last_purge_and_the_backlog_as_an_estimate,
    |db| {
        let fx = fixture(&db).await;
        assert_eq!(purged(&fx).await, 3);
        let mut app = console_on(&fx.store).await;
        press(&mut app, "0").await;
        let screen = render(&mut app, 200, 50);
        assert!(
            screen.contains(
                "last purge 1h ago: 3 sessions removed in 0.0 s by op-kim; next due in 30m"
            ),
            "{screen}"
        );
        // Nothing left that ended before the window: an estimate, and said to be one.
        assert!(
            screen.contains(
                "purgeable backlog: ~0 (estimate), sessions that ended before 2026-10-22"
            ),
            "{screen}"
        );
        snap(&mut app, "overview_retention");
    }
);

store_test!(overview_before_any_purge_says_never, |db| {
    let fx = fixture(&db).await;
    let mut app = console_on(&fx.store).await;
    press(&mut app, "0").await;
    let screen = render(&mut app, 200, 50);
    assert!(screen.contains("last purge: never"), "{screen}");
    assert!(screen.contains("(estimate)"), "{screen}");
});

store_test!(
    bindings_history_says_where_retention_removed_older_sessions,
    |db| {
        let fx = fixture(&db).await;
        assert_eq!(purged(&fx).await, 3);
        let mut app = console_on(&fx.store).await;
        press(&mut app, "2").await;
        press(&mut app, "/alice<Enter>").await;
        press(&mut app, "<Enter>").await;
        let screen = render(&mut app, 200, 50);
        assert!(
            screen.contains("sessions that ended before 2026-10-22 removed by retention"),
            "{screen}"
        );
        snap(&mut app, "bindings_history_retention");
        // An account seen before any purge has no such line.
        drop(app);
        let fresh = common::sqlite_db().await;
        let fx2 = fixture(&fresh).await;
        let mut app = console_on(&fx2.store).await;
        press(&mut app, "2").await;
        press(&mut app, "/alice<Enter>").await;
        press(&mut app, "<Enter>").await;
        let screen = render(&mut app, 200, 50);
        assert!(!screen.contains("removed by retention"), "{screen}");
    }
);
