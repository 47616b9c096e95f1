//! The account history in the Bindings detail, after a real login through the service and the
//! WeChat emulator, an unbind and a revoke made with the console's keys; the same history from
//! `wxlogin accounts history`. SQLite always, PostgreSQL when WXLOGIN_TEST_PG_URL is set.

mod cli_support;
mod common;
mod console_support;
mod service_common;

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use chrono::{TimeZone, Utc};
use console_support::*;
use service_common::{APPID, Setup, World, loopback};
use wxlogin::console::View;
use wxlogin::console::views::bindings::HistoryLine;
use wxlogin::mock_wechat as emulator;
use wxlogin::service::{self, ServiceState};
use wxlogin::store::Store;
use wxlogin::wechat::{WechatClient, WechatConfig};

/// The service and the emulator on loopback, the service's store on `clock`.
async fn world_on(db: common::TestDb, clock: &TestClock) -> World {
    let setup = Setup::default();
    let store = with_clock(&db.store, clock);
    let apps = setup.emulator.apps.clone();
    let emu = emulator::spawn(setup.emulator, loopback())
        .await
        .expect("start the emulator");
    let wechat = WechatClient::new(WechatConfig::new(emu.base_url(), apps)).expect("client");
    let state = ServiceState::new(store.clone(), common::data_key(), wechat, setup.service);
    let svc = service::spawn(state.clone(), loopback())
        .await
        .expect("start the service");
    let base = svc.base_url();
    World {
        db,
        store,
        emulator: emu,
        service: svc,
        state,
        http: reqwest::Client::new(),
        base,
        offset: Arc::new(AtomicI64::new(0)),
    }
}

fn history_actions(app: &wxlogin::console::App) -> Vec<String> {
    app.bindings
        .history
        .events
        .iter()
        .map(|e| e.action.clone())
        .collect()
}

store_test!(
    history_shows_login_unbind_login_and_revoke_newest_first,
    |db| {
        let clock = TestClock::at(Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap());
        let w = world_on(db, &clock).await;
        let alice = common::account(&w.store, "alice").await;
        // A real first login: code from the emulator, username and password to the service.
        clock.advance_secs(60);
        w.bind("wx-alice", "alice").await;
        // The support agent unbinds it from the console.
        clock.advance_secs(60);
        let mut app = app(&w.store, false);
        app.settle().await;
        press(&mut app, ":bindings alice<Enter>").await;
        assert_eq!(app.view, View::Bindings);
        press(&mut app, "Ulost phone, ticket 881<Enter>").await;
        assert!(app.overlay.is_none());
        // The user binds again, then the agent revokes the new session from the console.
        clock.advance_secs(60);
        let token = w.bind("wx-alice", "alice").await;
        clock.advance_secs(60);
        press(&mut app, "1r").await;
        assert_eq!(app.view, View::Sessions);
        press(&mut app, "dsecond phone not hers<Enter>").await;
        assert!(app.overlay.is_none());
        assert_eq!(w.me(&token).await.status, reqwest::StatusCode::UNAUTHORIZED);
        // The history in the Bindings detail.
        clock.advance_secs(60);
        press(&mut app, ":bindings alice<Enter><Enter>").await;
        assert!(app.bindings.detail);
        assert_eq!(app.bindings.account_id, Some(alice.id));
        assert_eq!(
            history_actions(&app),
            [
                "session.revoke",
                "session.create",
                "binding.create",
                "session.revoke",
                "binding.unbind",
                "session.create",
                "binding.create",
                "account.create",
            ]
        );
        let events = &app.bindings.history.events;
        let openid = w.openid("wx-alice");
        // The first login: when, appid, openid, client address; done by the user.
        let first = &events[6];
        assert_eq!(first.actor.as_deref(), Some("user"));
        assert_eq!(first.appid.as_deref(), Some(APPID));
        assert_eq!(first.openid.as_deref(), Some(openid.as_str()));
        assert_eq!(first.origin.as_deref(), Some("127.0.0.1"));
        assert_eq!(
            first.at.0,
            Utc.with_ymd_and_hms(2026, 11, 30, 9, 1, 0).unwrap()
        );
        // The unbind: who and why.
        assert_eq!(events[4].actor.as_deref(), Some("oncall-ana"));
        assert_eq!(events[4].reason.as_deref(), Some("lost phone, ticket 881"));
        assert_eq!(events[0].reason.as_deref(), Some("second phone not hers"));
        let screen = render(&mut app, 110, 34);
        assert!(screen.contains("History"), "{screen}");
        assert!(screen.contains("127.0.0.1"), "{screen}");
        let mut filters = filters();
        filters.push((r"ses_[0-9a-f]{20}", "ses_xxxxxxxxxxxxxxxxxxxx"));
        insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
            // Below the header (which names the backend).
            let body: Vec<&str> = screen.lines().skip(1).collect();
            insta::assert_snapshot!("bindings_account_history", body.join("\n"));
        });
        // `H` moves the cursor into the history; j moves it there, not in the bindings.
        press(&mut app, "Hjj").await;
        assert!(app.bindings.history.focused);
        assert_eq!(app.bindings.history.pos.selected, 2);
        assert_eq!(app.bindings.account_pos.selected, 0);
        // The CLI reads the same store function.
        let run = cli_support::wx(&w.db.url, &["accounts", "history", "alice", "--json"])
            .await
            .expect(0);
        let json = run.json();
        let actions: Vec<&str> = json["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, history_actions(&app));
        assert_eq!(json["events"][6]["origin"], "127.0.0.1");
        let run = cli_support::wx(&w.db.url, &["accounts", "history", "alice", "--limit", "2"])
            .await
            .expect(0);
        assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
        assert!(run.stdout.contains("session revoked"), "{}", run.stdout);
    }
);

store_test!(
    history_pages_follow_each_other_without_gap_or_repeat,
    |db| {
        let clock = TestClock::at(Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap());
        let store = with_clock(&db, &clock);
        let acc = common::account(&store, "erin").await;
        let mut ids = Vec::new();
        for i in 0..23 {
            // Two logins in the same second now and then: the cursor must tell them apart.
            if i % 3 != 0 {
                clock.advance_secs(3600);
            }
            let s = common::login(
                &store,
                acc.id,
                common::Login::new("wxapp00000000001", "oErin"),
            )
            .await;
            ids.push(s.public_id);
        }
        wxlogin::ops::revoke_sessions(&store, &operator(), &ids[3..9], "cleanup")
            .await
            .unwrap();
        let all = store.account_history(acc.id, None, 1000).await.unwrap();
        assert!(all.next.is_none());
        // 23 created, 6 revoked, one binding.create, account.create, one sessions.revoke audit
        // row is not on the account's targets (it names sessions).
        assert_eq!(all.rows.len(), 23 + 6 + 2);
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let p = store.account_history(acc.id, after, 4).await.unwrap();
            assert!(p.rows.len() <= 4);
            paged.extend(p.rows);
            after = p.next;
            if after.is_none() {
                break;
            }
        }
        assert_eq!(paged, all.rows);
        assert!(paged.windows(2).all(|w| w[0].at >= w[1].at));
    }
);

store_test!(a_day_of_many_sessions_is_one_counted_line, |db| {
    let clock = TestClock::at(Utc.with_ymd_and_hms(2026, 11, 29, 23, 0, 0).unwrap());
    let store: Store = with_clock(&db, &clock);
    let acc = common::account(&store, "fred").await;
    // Bound the day before; then 14 logins and 3 revokes on 2026-11-30.
    common::login(
        &store,
        acc.id,
        common::Login::new("wxapp00000000001", "oFred"),
    )
    .await;
    clock.set(Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap());
    let mut ids = Vec::new();
    for _ in 0..14 {
        clock.advance_secs(600);
        let s = common::login(
            &store,
            acc.id,
            common::Login::new("wxapp00000000001", "oFred"),
        )
        .await;
        ids.push(s.public_id);
    }
    clock.advance_secs(600);
    wxlogin::ops::revoke_sessions(&store, &operator(), &ids[..3], "stolen")
        .await
        .unwrap();
    let mut app = app(&store, false);
    app.settle().await;
    press(&mut app, ":bindings fred<Enter><Enter>").await;
    let lines = &app.bindings.history.lines;
    assert!(
        lines.iter().any(|l| matches!(
            l,
            HistoryLine::Day {
                created: 14,
                revoked: 3,
                ..
            }
        )),
        "{lines:?}"
    );
    let screen = render(&mut app, 100, 30);
    assert!(
        screen.contains("2026-11-30 · 14 sessions created, 3 revoked"),
        "{screen}"
    );
});
