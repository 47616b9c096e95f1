//! The Overview view: live sessions, logins and failures per minute, the outcome mix with
//! WeChat's errcodes explained, instances, and failing addresses with their actions, on seeded
//! statistics rows, on both databases.

#[macro_use]
mod common;
mod console_support;

use console_support::*;
use wxlogin::console::View;
use wxlogin::console::app::{Overlay, StatusKind};
use wxlogin::console::theme::Theme;
use wxlogin::console::views::overview::{SparkStyle, sparkline};
use wxlogin::operator::{Actor, Role};
use wxlogin::store::stats::{AddressCount, NewInstance, OutcomeCount};
use wxlogin::store::{SessionFilter, Store, Ts};

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

/// Snapshots are taken on SQLite only (the header names the backend, so one snapshot cannot
/// serve both); on PostgreSQL the same flow runs with its assertions.
fn snap(app: &mut App, name: &str) {
    if app.ctx.store.backend() != wxlogin::store::Backend::Sqlite {
        return;
    }
    for (w, h) in SIZES {
        let screen = render(app, w, h);
        insta::with_settings!({ filters => filters(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen);
        });
    }
}

use wxlogin::console::App;

fn status(app: &App) -> String {
    app.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

fn minutes_ago(m: i64) -> Ts {
    Ts::from(t0() - chrono::Duration::minutes(m))
}

async fn instance(fx: &Fixture, id: &str, seen_secs_ago: i64, stopped: bool) {
    fx.clock
        .set(t0() - chrono::Duration::seconds(seen_secs_ago));
    fx.store
        .register_instance(&NewInstance {
            id: id.to_owned(),
            host: format!("{id}.internal"),
            pid: 4242,
            version: "0.9.1".to_owned(),
            listen: "127.0.0.1:8080".to_owned(),
        })
        .await
        .unwrap();
    if stopped {
        fx.store.mark_instance_stopped(id).await.unwrap();
    }
    fx.clock.set(t0());
}

/// Two instances writing an hour of logins in two mini programs, failures from three
/// addresses (bob's 203.0.113.25 the worst after a scanner), and rows this reader does not
/// know (a future outcome name, a negative count).
async fn seed(fx: &Fixture) {
    instance(fx, "web-1", 5, false).await;
    instance(fx, "web-2", 300, false).await;
    instance(fx, "web-0", 3600, true).await;
    let mut outcomes = Vec::new();
    for m in 0..60 {
        let minute = minutes_ago(m);
        outcomes.push(OutcomeCount {
            minute,
            appid: APP1.to_owned(),
            outcome: "silent".to_owned(),
            count: 10 + (m % 7) * 3,
        });
        outcomes.push(OutcomeCount {
            minute,
            appid: APP2.to_owned(),
            outcome: "bound".to_owned(),
            count: m % 4,
        });
        if m < 10 {
            outcomes.push(OutcomeCount {
                minute,
                appid: APP1.to_owned(),
                outcome: "wechat_40029".to_owned(),
                count: 10 - m,
            });
        }
    }
    outcomes.push(OutcomeCount {
        minute: minutes_ago(2),
        appid: APP1.to_owned(),
        outcome: "invalid_credentials".to_owned(),
        count: 4,
    });
    outcomes.push(OutcomeCount {
        minute: minutes_ago(3),
        appid: APP1.to_owned(),
        outcome: "a_future_outcome\x1b[31m".to_owned(),
        count: 2,
    });
    outcomes.push(OutcomeCount {
        minute: minutes_ago(4),
        appid: APP2.to_owned(),
        outcome: "wechat_45011".to_owned(),
        count: -5,
    });
    let addresses = vec![
        AddressCount {
            minute: minutes_ago(1),
            address: "192.0.2.200".to_owned(),
            count: 30,
        },
        AddressCount {
            minute: minutes_ago(2),
            address: "203.0.113.25".to_owned(),
            count: 12,
        },
        AddressCount {
            minute: minutes_ago(40),
            address: "198.51.100.99".to_owned(),
            count: 99,
        },
    ];
    fx.store
        .write_login_stats("web-1", &outcomes, &addresses, &[])
        .await
        .unwrap();
    // The other instance adds to the same minutes.
    let more = vec![OutcomeCount {
        minute: minutes_ago(0),
        appid: APP1.to_owned(),
        outcome: "silent".to_owned(),
        count: 7,
    }];
    fx.store
        .write_login_stats("web-2", &more, &[], &[])
        .await
        .unwrap();
}

async fn overview(store: &Store, role: Role, spark: SparkStyle) -> App {
    let actor = Actor::new("op-kim", role, Some("ssh:203.0.113.7".to_owned()));
    let mut app = console_for(store, actor, false, Theme::plain(), (80, 24));
    app.overview.spark = spark;
    app.settle().await;
    press(&mut app, "0").await;
    app
}

store_test!(overview_shows_the_fleet_from_seeded_stats, |db| {
    let fx = fixture(&db).await;
    seed(&fx).await;
    let mut app = overview(&fx.store, Role::Oncall, SparkStyle::Braille).await;
    assert_eq!(app.view, View::Overview);
    snap(&mut app, "overview_braille");
    let screen = render(&mut app, 200, 50);
    // Live sessions: the fixture's six live sessions, counted exactly.
    assert!(screen.contains("live sessions       6"), "{screen}");
    // The errcode's meaning and what to do come from the errcode table.
    assert!(
        screen.contains("errcode 40029: WeChat rejected the code"),
        "{screen}"
    );
    assert!(screen.contains("have the user log in again"), "{screen}");
    // Unknown rows read as other; the escape sequence never reaches the terminal.
    assert!(screen.contains(" other "), "{screen}");
    assert!(!screen.contains('\x1b'));
    // Instances: up, stale, stopped, with version.
    assert!(
        screen.contains("instances: 1 up, 1 stale, 1 stopped"),
        "{screen}"
    );
    assert!(screen.contains("0.9.1"), "{screen}");
    // The scanner first; the address outside the last 15 minutes is not listed.
    let scanner = screen.find("192.0.2.200").expect("scanner listed");
    let bob = screen.find("203.0.113.25").expect("bob's address listed");
    assert!(scanner < bob);
    assert!(!screen.contains("198.51.100.99"), "{screen}");
});

store_test!(overview_with_block_sparklines, |db| {
    let fx = fixture(&db).await;
    seed(&fx).await;
    let mut app = overview(&fx.store, Role::Viewer, SparkStyle::Blocks).await;
    snap(&mut app, "overview_blocks");
    let screen = render(&mut app, 80, 24);
    assert!(
        !screen
            .chars()
            .any(|c| ('\u{2800}'..='\u{28FF}').contains(&c))
    );
    // Every sparkline has its numbers beside it (no colour needed to read it).
    assert!(screen.contains("now 17 max 31"), "{screen}");
});

store_test!(overview_of_an_empty_fleet_says_so, |db| {
    let fx = fixture(&db).await;
    let mut app = overview(&fx.store, Role::Viewer, SparkStyle::Braille).await;
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("no login recorded"), "{screen}");
    assert!(
        screen.contains("instances: 0 up, 0 stale, 0 stopped"),
        "{screen}"
    );
});

store_test!(a_failing_address_opens_its_sessions, |db| {
    let fx = fixture(&db).await;
    seed(&fx).await;
    let mut app = overview(&fx.store, Role::Viewer, SparkStyle::Braille).await;
    press(&mut app, "j<Enter>").await;
    assert_eq!(app.view, View::Sessions);
    assert_eq!(
        app.sessions.list.filter,
        SessionFilter {
            client_ip: Some("203.0.113.25".to_owned()),
            ..Default::default()
        }
    );
    let rows = &app.sessions.list.window.rows;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].client_ip.as_deref(), Some("203.0.113.25"));
});

store_test!(oncall_revokes_every_session_from_a_failing_address, |db| {
    let fx = fixture(&db).await;
    seed(&fx).await;
    // A second session from bob's address.
    common::login(
        &fx.store,
        fx.bob,
        common::Login {
            ip: "203.0.113.25",
            ..common::Login::new(APP2, "oBobApp2000000000000000000009")
        },
    )
    .await;
    let from_bob = SessionFilter {
        client_ip: Some("203.0.113.25".to_owned()),
        ..Default::default()
    };
    assert_eq!(fx.store.count_sessions(&from_bob).await.unwrap(), 2);
    let before = live_count(&fx.store).await;
    let mut app = overview(&fx.store, Role::Oncall, SparkStyle::Braille).await;
    press(&mut app, "jD").await;
    assert!(matches!(app.overlay, Some(Overlay::Confirm(_))));
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("Revoke every session from an address"),
        "{screen}"
    );
    assert!(screen.contains("203.0.113.25"), "{screen}");
    assert!(screen.contains("2 sessions will be revoked"), "{screen}");
    // No reason: nothing happens.
    press(&mut app, "<Enter>").await;
    assert_eq!(fx.store.count_sessions(&from_bob).await.unwrap(), 2);
    press(&mut app, "credential stuffing<Enter>").await;
    assert!(
        status(&app).contains("revoked 2 sessions"),
        "{}",
        status(&app)
    );
    assert_eq!(fx.store.count_sessions(&from_bob).await.unwrap(), 0);
    assert_eq!(live_count(&fx.store).await, before - 2);
    // The Overview's revocations line counts them (from the revoke's audit row).
    let mut app = overview(&fx.store, Role::Oncall, SparkStyle::Braille).await;
    let screen = render(&mut app, 80, 24);
    let line = screen
        .lines()
        .find(|l| l.contains("revocations"))
        .unwrap_or_default();
    assert!(line.contains("now 2 max 2 sum 2"), "{screen}");
});

store_test!(support_may_not_revoke_every_session_from_an_address, |db| {
    let fx = fixture(&db).await;
    seed(&fx).await;
    let before = live_count(&fx.store).await;
    let mut app = overview(&fx.store, Role::Support, SparkStyle::Braille).await;
    press(&mut app, "jD").await;
    assert!(app.overlay.is_none(), "no dialog opens");
    assert_eq!(app.status.as_ref().map(|s| s.kind), Some(StatusKind::Error));
    assert!(status(&app).contains("oncall"), "{}", status(&app));
    assert_eq!(live_count(&fx.store).await, before);
});

store_test!(
    overview_in_chinese_explains_outcomes_and_errcodes_in_chinese,
    |db| {
        let fx = fixture(&db).await;
        seed(&fx).await;
        let mut app = overview(&fx.store, Role::Oncall, SparkStyle::Braille).await;
        app.ctx.tr = wxlogin::i18n::Lang::ZhCn.tr();
        if app.ctx.store.backend() == wxlogin::store::Backend::Sqlite {
            for (w, h) in [(80, 24), (120, 30), (160, 40)] {
                let screen = render(&mut app, w, h);
                insta::with_settings!({ filters => filters(), prepend_module_to_snapshot => false }, {
                    insta::assert_snapshot!(format!("zh_overview_busy_{w}x{h}"), screen);
                });
            }
        }
        let screen = render(&mut app, 160, 40);
        assert!(screen.contains("在线会话"), "{screen}");
        assert!(
            screen.contains("实例：1 个运行中，1 个无心跳，1 个已停止"),
            "{screen}"
        );
        // The errcode's meaning comes from the same table the CLI uses, in Chinese; the outcome
        // names stay the machine values the service writes.
        let zh = wxlogin::i18n::Lang::ZhCn.tr();
        let e = wxlogin::wechat::WechatError::from_errcode(
            40029,
            wxlogin::wechat::ApiError::new("", ""),
        );
        let meaning = e.meaning_in(&zh);
        let head: String = meaning.chars().take(8).collect();
        assert!(
            screen.contains(&format!("错误码 40029：{head}")),
            "{screen}"
        );
        assert!(screen.contains("wechat_40029"), "{screen}");
        assert!(!screen.contains("logged in"), "{screen}");
        // At 120 columns (one column of panels) the meaning is whole: it hangs under itself
        // instead of being cut at the border.
        let narrow = render(&mut app, 120, 30);
        let tail: String = {
            let mut t: Vec<char> = meaning.chars().rev().take(3).collect();
            t.reverse();
            t.into_iter().collect()
        };
        let hung = narrow
            .lines()
            .skip_while(|l| !l.contains("wechat_40029"))
            .nth(1)
            .unwrap_or_default();
        assert!(
            hung.contains(&tail),
            "{tail} under the 40029 line in {narrow}"
        );
        assert!(
            !narrow.contains('…'),
            "nothing shortened at 120x30: {narrow}"
        );
        // The address dialog is Chinese too.
        press(&mut app, "jD").await;
        let screen = render(&mut app, 80, 24);
        assert!(screen.contains("撤销来自某个地址的全部会话"), "{screen}");
        assert!(screen.contains("203.0.113.25"), "{screen}");
    }
);

store_test!(a_refusal_names_the_roles_in_the_operators_language, |db| {
    let fx = fixture(&db).await;
    seed(&fx).await;
    let mut app = overview(&fx.store, Role::Support, SparkStyle::Braille).await;
    app.ctx.tr = wxlogin::i18n::Lang::ZhCn.tr();
    press(&mut app, "jD").await;
    assert!(app.overlay.is_none(), "no dialog opens");
    let text = status(&app);
    assert!(
        text.contains("需要「值班」角色") && text.contains("你的角色是「客服」"),
        "{text}"
    );
    assert!(!text.contains("needs"), "{text}");
});

#[test]
fn sparklines_in_both_styles_have_one_character_per_minute_or_two() {
    let v: Vec<u64> = (0..60).collect();
    assert_eq!(sparkline(&v, 30, SparkStyle::Braille).chars().count(), 30);
    assert_eq!(sparkline(&v, 60, SparkStyle::Blocks).chars().count(), 60);
    assert_eq!(sparkline(&v, 20, SparkStyle::Blocks).chars().count(), 20);
}

store_test!(sessions_counter_uses_the_overview_live_count, |db| {
    let fx = fixture(&db).await;
    let live = fx.store.live_sessions().await.unwrap();
    let mut app = overview(&fx.store, Role::Viewer, SparkStyle::Braille).await;
    press(&mut app, "1").await;
    assert_eq!(app.sessions.total, Some(live.count as u64));
    // A small table is counted exactly: no `~` label.
    assert!(!app.sessions.total_estimated);
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains(&format!("1/{}", live.count)), "{screen}");
    assert!(!screen.contains("estimated"), "{screen}");
});

store_test!(
    sparkline_style_comes_from_the_console_section_of_the_config,
    |db| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wxlogin.toml");
        std::fs::write(&path, "[console]\nsparkline = \"blocks\"\n").unwrap();
        let file = wxlogin::config::ConfigFile::load(&path).unwrap();
        let fx = fixture(&db).await;
        let actor = Actor::new("op-kim", Role::Viewer, None);
        let mut ctx = wxlogin::console::context::ConsoleContext::new(fx.store.clone(), actor);
        ctx.sparkline = file.console.sparkline.unwrap_or_default();
        let app = App::new(ctx);
        assert_eq!(app.overview.spark, SparkStyle::Blocks);
        // Without the setting: braille.
        std::fs::write(&path, "[console]\n").unwrap();
        let file = wxlogin::config::ConfigFile::load(&path).unwrap();
        assert_eq!(
            file.console.sparkline.unwrap_or_default(),
            SparkStyle::Braille
        );
        // A style the console does not have is refused when the file is read, naming the choices.
        std::fs::write(&path, "[console]\nsparkline = \"dots\"\n").unwrap();
        let err = wxlogin::config::ConfigFile::load(&path)
            .unwrap_err()
            .to_string();
        assert!(err.contains("braille") && err.contains("blocks"), "{err}");
    }
);
