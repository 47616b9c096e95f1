//! `wxlogin simulate` and `wxlogin demo` against a real service: every row they leave is one
//! the service wrote, hostile input included.

mod common;
mod service_common;

use std::collections::HashSet;

use service_common::*;
use wxlogin::service::ServiceConfig;
use wxlogin::simulate::{self, SimOptions};
use wxlogin::store::{AuditFilter, SessionFilter, SessionState, Ts};

store_test!(
    simulated_clients_follow_the_flow_and_leave_real_rows,
    |db| {
        let w = world_with(
            db,
            Setup {
                service: ServiceConfig {
                    login_rate_limit: 0,
                    account_failure_limit: 0,
                    login_flood_limit: 0,
                    trusted_ip_header: Some("x-forwarded-for".parse().unwrap()),
                    ..ServiceConfig::default()
                },
                ..Setup::default()
            },
        )
        .await;
        let created = simulate::ensure_accounts(&w.store, "sim", 12)
            .await
            .unwrap();
        assert_eq!(created, 12);
        // Again: nothing new.
        assert_eq!(
            simulate::ensure_accounts(&w.store, "sim", 12)
                .await
                .unwrap(),
            0
        );
        let mut o = SimOptions::new(&w.base, w.emulator.base_url(), vec![APPID.to_owned()]);
        o.users = 12;
        o.logins = 40;
        o.concurrency = 4;
        o.seed = 7;
        o.hostile_rate = 0.5;
        o.ip_header = Some("X-Forwarded-For".into());
        let s = simulate::run_sim(o).await.unwrap();
        assert_eq!(s.unexpected, 0, "{:?}", s.unexpected_examples);
        assert_eq!(s.count("login.bound"), 12, "{:?}", s.events);
        assert!(s.count("login.binding_required") >= 12);
        assert!(s.count("login.silent") > 0);
        assert!(s.count("me.ok") > 0);
        assert!(
            s.count("login.code_used") > 0,
            "replayed codes: {:?}",
            s.events
        );

        let all = SessionFilter {
            include_inactive: true,
            ..Default::default()
        };
        let rows = w.store.list_sessions(&all, None, 1000).await.unwrap().rows;
        let issued = s.count("login.bound") + s.count("login.silent");
        assert_eq!(rows.len() as u64, issued);
        let now: Ts = w.store.now().into();
        let revoked = rows
            .iter()
            .filter(|r| r.state(now) == SessionState::Revoked)
            .count() as u64;
        assert_eq!(revoked, s.count("logout.ok"));
        let ips: HashSet<_> = rows.iter().filter_map(|r| r.client_ip.clone()).collect();
        assert!(ips.len() > 3, "varied client addresses: {ips:?}");
        assert!(!ips.contains("127.0.0.1"));
        // Hostile user agents reached the database as sent (sanitising is the terminal's job),
        // and long ones were cut.
        let uas: Vec<String> = rows.iter().filter_map(|r| r.user_agent.clone()).collect();
        assert!(
            uas.iter().any(|u| u.contains('\u{9b}')
                || u.contains('\u{202e}')
                || u.contains("DROP TABLE")),
            "hostile user agents stored: {uas:?}"
        );
        assert!(uas.iter().all(|u| u.chars().count() <= 512));
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_makes_live_expired_and_revoked_sessions_and_audit_rows() {
    let dir = tempfile::tempdir().unwrap();
    let opts = wxlogin::demo::DemoOptions {
        dir: dir.path().join("demo"),
        users: 16,
        logins: 80,
        seed: 3,
        service_addr: loopback(),
        wechat_addr: loopback(),
        verbose: false,
        database_url: None,
    };
    let world = wxlogin::demo::build(&opts).await.expect("demo");
    for (label, s) in &world.waves {
        assert_eq!(s.unexpected, 0, "{label}: {:?}", s.unexpected_examples);
    }
    let store = &world.store;
    let now: Ts = store.now().into();
    let all = SessionFilter {
        include_inactive: true,
        ..Default::default()
    };
    let rows = store.list_sessions(&all, None, 10_000).await.unwrap().rows;
    let state = |st| rows.iter().filter(|r| r.state(now) == st).count();
    assert!(state(SessionState::Active) > 0);
    assert!(state(SessionState::Expired) > 0);
    assert!(state(SessionState::Revoked) > 0);
    // Created over weeks, not all at once.
    let oldest = rows.iter().map(|r| r.created_at).min().unwrap();
    assert!(now.0 - oldest.0 > chrono::Duration::days(40));
    // Unionid for the apps bound to an Open Platform account, none for the other.
    assert!(rows.iter().any(|r| r.unionid.is_some()));
    assert!(
        rows.iter()
            .filter(|r| r.appid == wxlogin::demo::DEMO_APPID_3)
            .all(|r| r.unionid.is_none())
    );
    let audit = store
        .list_audit(&AuditFilter::default(), None, 100)
        .await
        .unwrap()
        .rows;
    let actions: HashSet<_> = audit.iter().map(|a| a.action.as_str()).collect();
    for a in ["sessions.revoke", "binding.unbind", "account.disable"] {
        assert!(actions.contains(a), "{a} in {actions:?}");
    }
    assert!(
        world
            .operator_actions
            .iter()
            .any(|a| a.contains("refused by the rate limit") && !a.contains(": 0 refused")),
        "{:?}",
        world.operator_actions
    );
    // The config file it wrote opens the same database.
    let cfg = wxlogin::config::ConfigFile::load(&world.config_file).unwrap();
    assert_eq!(
        cfg.database_url.as_deref(),
        Some(world.database_url.as_str())
    );
    let key = wxlogin::config::data_key(&cfg).unwrap();
    assert!(key.is_some());
    // The service answers until shut down.
    let base = world.service.base_url();
    let r = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert!(r.status().is_success());
    world.shutdown().await;
    assert!(reqwest::get(format!("{base}/healthz")).await.is_err());
}
