//! Key-driven flows through the console against a real database (SQLite always, PostgreSQL
//! when WXLOGIN_TEST_PG_URL is set): what an operator does, and what the database then holds.

mod common;
mod console_support;

use console_support::*;
use wxlogin::console::View;
use wxlogin::console::app::{Overlay, StatusKind};
use wxlogin::store::{AuditFilter, BindingQuery, SessionFilter};

fn status(app: &wxlogin::console::App) -> String {
    app.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

fn status_kind(app: &wxlogin::console::App) -> Option<StatusKind> {
    app.status.as_ref().map(|s| s.kind)
}

async fn last_audit(store: &wxlogin::store::Store) -> wxlogin::store::AuditEntry {
    store
        .list_audit(&AuditFilter::default(), None, 1)
        .await
        .unwrap()
        .rows
        .remove(0)
}

store_test!(
    revoke_via_the_dialog_removes_the_row_and_audits_reason_and_operator,
    |db| {
        let fx = fixture(&db).await;
        let mut app = app(&fx.store, false);
        app.settle().await;
        // Newest first: the selected row is alice's latest session.
        let newest = fx.sessions.last().unwrap().public_id.clone();
        assert_eq!(listed(&app)[0], newest);
        press(&mut app, "d").await;
        assert!(matches!(app.overlay, Some(Overlay::Confirm(_))));
        let screen = render(&mut app, 80, 24);
        assert!(screen.contains("Revoke session"), "{screen}");
        assert!(screen.contains("1 session will be revoked"), "{screen}");
        assert!(screen.contains(&newest), "{screen}");
        // Enter without a reason is refused.
        press(&mut app, "<Enter>").await;
        assert!(matches!(app.overlay, Some(Overlay::Confirm(_))));
        assert!(render(&mut app, 80, 24).contains("a reason is required"));
        press(&mut app, "phone reported stolen<Enter>").await;
        assert!(app.overlay.is_none());
        assert!(
            status(&app).contains("revoked 1 session"),
            "{}",
            status(&app)
        );
        assert!(
            !listed(&app).contains(&newest),
            "the row is gone from the list"
        );
        let row = fx
            .store
            .session_by_public_id(&newest)
            .await
            .unwrap()
            .unwrap();
        assert!(row.revoked_at.is_some());
        assert_eq!(row.revoked_by.as_deref(), Some("oncall-ana"));
        assert_eq!(row.revoke_reason.as_deref(), Some("phone reported stolen"));
        let audit = last_audit(&fx.store).await;
        assert_eq!(audit.action, "sessions.revoke");
        assert_eq!(audit.operator, "oncall-ana");
        assert_eq!(audit.origin.as_deref(), Some("ssh:203.0.113.7"));
        assert_eq!(audit.reason.as_deref(), Some("phone reported stolen"));
        assert_eq!(audit.target, format!("session:{newest}"));
    }
);

store_test!(bulk_revoke_of_marked_rows_revokes_exactly_those, |db| {
    let fx = fixture(&db).await;
    let mut app = app(&fx.store, false);
    app.settle().await;
    let before = listed(&app);
    assert_eq!(before.len(), 6);
    // Mark rows 1, 2 and 4 (space marks and moves down).
    press(&mut app, "<Space><Space>j<Space>").await;
    assert_eq!(app.sessions.marks.len(), 3);
    let marked: Vec<String> = vec![before[0].clone(), before[1].clone(), before[3].clone()];
    press(&mut app, "d").await;
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("Revoke 3 marked sessions"), "{screen}");
    assert!(screen.contains("3 sessions will be revoked"), "{screen}");
    press(&mut app, "cleanup after incident 42<Enter>").await;
    assert!(
        status(&app).contains("revoked 3 sessions"),
        "{}",
        status(&app)
    );
    assert!(
        app.sessions.marks.is_empty(),
        "marks cleared after the revoke"
    );
    let after = listed(&app);
    assert_eq!(after.len(), 3);
    for id in &marked {
        assert!(!after.contains(id));
        let r = fx.store.session_by_public_id(id).await.unwrap().unwrap();
        assert_eq!(
            r.revoke_reason.as_deref(),
            Some("cleanup after incident 42")
        );
    }
    let audit = last_audit(&fx.store).await;
    assert_eq!(audit.target, "sessions:3");
    assert_eq!(audit.detail.0["revoked"], 3);
});

store_test!(
    revoke_all_of_an_account_shows_the_count_and_progress,
    |db| {
        let fx = fixture(&db).await;
        let mut app = app(&fx.store, false);
        // One session per batch: three batches, three progress reports, three audit rows.
        app.ctx.revoke_batch = 1;
        app.settle().await;
        // The newest session is alice's: A = every session of alice.
        press(&mut app, "A").await;
        let screen = render(&mut app, 80, 24);
        assert!(
            screen.contains("Revoke every session of an account"),
            "{screen}"
        );
        assert!(
            screen.contains(&format!("alice (#{})", fx.alice)),
            "{screen}"
        );
        assert!(screen.contains("3 sessions will be revoked"), "{screen}");
        press(&mut app, "account compromised<Enter>").await;
        assert!(
            status(&app).contains("revoked 3 sessions"),
            "{}",
            status(&app)
        );
        let alice_live = fx
            .store
            .count_sessions(&SessionFilter {
                account_id: Some(fx.alice),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(alice_live, 0);
        assert_eq!(live_count(&fx.store).await, 3, "bob and carol keep theirs");
        assert!(listed(&app).len() == 3);
        let page = fx
            .store
            .list_audit(
                &AuditFilter {
                    action: Some("sessions.revoke".into()),
                    ..Default::default()
                },
                None,
                10,
            )
            .await
            .unwrap();
        let ours: Vec<_> = page
            .rows
            .iter()
            .filter(|e| e.operator == "oncall-ana")
            .collect();
        assert_eq!(ours.len(), 3, "one audit row per batch");
        assert!(
            ours.iter()
                .all(|e| e.target == format!("account:{}", fx.alice))
        );
        assert!(
            ours.iter()
                .all(|e| e.reason.as_deref() == Some("account compromised"))
        );
    }
);

store_test!(unbind_kills_the_bindings_sessions, |db| {
    let fx = fixture(&db).await;
    let mut app = app(&fx.store, false);
    app.settle().await;
    press(
        &mut app,
        ":bindings openid=oBob000000000000000000000002<Enter>",
    )
    .await;
    assert_eq!(app.view, View::Bindings);
    assert_eq!(app.bindings.results.len(), 1);
    assert_eq!(app.bindings.results[0].active_sessions, 2);
    press(&mut app, "U").await;
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("Unbind WeChat identity"), "{screen}");
    assert!(
        screen.contains("2 live sessions will be revoked with it"),
        "{screen}"
    );
    press(&mut app, "user asked to switch WeChat account<Enter>").await;
    assert!(
        status(&app).contains("2 sessions revoked"),
        "{}",
        status(&app)
    );
    let left = fx
        .store
        .find_bindings(&BindingQuery::OpenId {
            openid: "oBob000000000000000000000002".into(),
            appid: None,
        })
        .await
        .unwrap();
    assert!(left.is_empty(), "binding gone");
    let bob_live = fx
        .store
        .count_sessions(&SessionFilter {
            account_id: Some(fx.bob),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(bob_live, 0, "its sessions died with it");
    let audit = last_audit(&fx.store).await;
    assert_eq!(audit.action, "binding.unbind");
    assert_eq!(audit.operator, "oncall-ana");
    assert_eq!(
        audit.reason.as_deref(),
        Some("user asked to switch WeChat account")
    );
});

store_test!(read_only_refuses_every_mutating_key, |db| {
    let fx = fixture(&db).await;
    let mut app = app(&fx.store, true);
    app.settle().await;
    let audit_before = fx
        .store
        .list_audit(&AuditFilter::default(), None, 100)
        .await
        .unwrap()
        .rows
        .len();
    for script in ["d", "A", "O", "<Space>d"] {
        press(&mut app, script).await;
        assert!(app.overlay.is_none(), "{script}: no dialog opens");
        assert_eq!(status_kind(&app), Some(StatusKind::Error));
        assert!(status(&app).starts_with("read-only:"), "{}", status(&app));
    }
    press(&mut app, ":bindings bob<Enter>").await;
    assert!(!app.bindings.results.is_empty());
    press(&mut app, "U").await;
    assert!(app.overlay.is_none());
    assert!(
        status(&app).contains("read-only: unbinding is refused"),
        "{}",
        status(&app)
    );
    press(&mut app, "3<Enter>").await;
    assert!(app.overlay.is_none() || !matches!(app.overlay, Some(Overlay::Confirm(_))));
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("READ-ONLY"), "{screen}");
    assert_eq!(live_count(&fx.store).await, 6, "nothing revoked");
    let audit_after = fx
        .store
        .list_audit(&AuditFilter::default(), None, 100)
        .await
        .unwrap()
        .rows
        .len();
    assert_eq!(audit_before, audit_after, "nothing audited");
});

store_test!(cancel_leaves_nothing_changed, |db| {
    let fx = fixture(&db).await;
    let mut app = app(&fx.store, false);
    app.settle().await;
    let audit_before = fx
        .store
        .list_audit(&AuditFilter::default(), None, 100)
        .await
        .unwrap()
        .rows
        .len();
    press(&mut app, "dsome reason<Esc>").await;
    assert!(app.overlay.is_none());
    assert!(status(&app).contains("nothing was changed"));
    press(&mut app, "Ashould not happen<Esc>").await;
    press(&mut app, ":bindings alice<Enter>Unope<Esc>").await;
    assert!(app.overlay.is_none());
    assert_eq!(live_count(&fx.store).await, 6);
    let audit_after = fx
        .store
        .list_audit(&AuditFilter::default(), None, 100)
        .await
        .unwrap()
        .rows
        .len();
    assert_eq!(audit_before, audit_after);
    assert_eq!(
        fx.store
            .find_bindings(&BindingQuery::Username("alice".into()))
            .await
            .unwrap()
            .len(),
        2
    );
});

store_test!(a_hostile_user_agent_renders_sanitised, |db| {
    let fx = fixture(&db).await;
    let mut app = app(&fx.store, false);
    app.settle().await;
    // carol's session (hostile user agent) is the third newest.
    press(&mut app, "jj").await;
    assert_eq!(
        app.sessions.list.window.selected_row().unwrap().username,
        "carol"
    );
    for (w, h) in [(80, 24), (200, 50)] {
        let list = render_buffer(&mut app, w, h);
        press(&mut app, "<Enter>").await;
        let detail = render_buffer(&mut app, w, h);
        press(&mut app, "<Esc>").await;
        for buf in [&list, &detail] {
            for cell in buf.content.iter() {
                assert!(
                    !cell.symbol().chars().any(|c| c.is_control()),
                    "a control character reached the terminal: {:?}",
                    cell.symbol()
                );
            }
        }
    }
    press(&mut app, "<Enter>").await;
    let screen = render(&mut app, 200, 50);
    assert!(
        screen.contains(r"Evil/1.0 \x1b]0;pwned\x07\x1b[2J\x1b[31mRED"),
        "{screen}"
    );
});

store_test!(filter_by_pasted_session_id_finds_the_session, |db| {
    let fx = fixture(&db).await;
    let mut app = app(&fx.store, false);
    app.settle().await;
    let target = &fx.sessions[1]; // bob's older session
    let raw = target.token.expose().to_owned();
    press(&mut app, "t").await;
    app.handle_paste(format!("Bearer {raw}"));
    let screen = render(&mut app, 200, 50);
    assert!(!screen.contains(&raw), "the SessionId is never displayed");
    assert!(screen.contains("SessionId (masked"), "{screen}");
    press(&mut app, "<Enter>").await;
    assert_eq!(listed(&app), vec![target.public_id.clone()]);
    let screen = render(&mut app, 200, 50);
    assert!(!screen.contains(&raw));
    assert!(screen.contains("token:sha256:"), "{screen}");
    // A SessionId that matches nothing says so.
    press(&mut app, "t").await;
    app.handle_paste("not-a-real-session-id".into());
    press(&mut app, "<Enter>").await;
    assert!(listed(&app).is_empty());
    assert!(status(&app).contains("no session has that SessionId"));
    // Esc clears the filter: everything is back.
    press(&mut app, "<Esc>").await;
    assert_eq!(listed(&app).len(), 6);
});

store_test!(command_line_filters_sessions, |db| {
    let fx = fixture(&db).await;
    let mut app = app(&fx.store, false);
    app.settle().await;
    press(
        &mut app,
        ":sessions username=alice appid=wxapp000000000001<Enter>",
    )
    .await;
    assert_eq!(listed(&app).len(), 2);
    assert!(
        app.sessions
            .list
            .window
            .rows
            .iter()
            .all(|r| r.username == "alice" && r.appid == APP1)
    );
    press(&mut app, ":sessions ip=203.0.113.26<Enter>").await;
    assert_eq!(listed(&app), vec![fx.sessions[4].public_id.clone()]);
    press(&mut app, "/<C-u>username=dave all<Enter>").await;
    assert_eq!(listed(&app).len(), 1, "revoked sessions show with `all`");
    press(&mut app, "<Enter>").await;
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("support-li"), "who revoked it: {screen}");
    assert!(screen.contains("lost phone"), "why: {screen}");
    press(&mut app, ":sessions colour=blue<Enter>").await;
    assert_eq!(status_kind(&app), Some(StatusKind::Error));
    assert!(status(&app).contains("unknown filter colour="));
});

store_test!(
    refresh_keeps_the_cursor_on_the_same_session_and_keeps_marks,
    |db| {
        let fx = fixture(&db).await;
        let mut app = app(&fx.store, false);
        app.settle().await;
        press(&mut app, "jj<Space>").await; // marks the third row, cursor on the fourth
        let selected = app
            .sessions
            .list
            .window
            .selected_row()
            .unwrap()
            .public_id
            .clone();
        let marked: Vec<String> = app.sessions.marks.keys().cloned().collect();
        // New logins arrive meanwhile.
        fx.clock.advance_secs(10);
        for i in 0..3 {
            let openid = format!("oNew{i:024}");
            common::login(&fx.store, fx.bob, common::Login::new(APP2, &openid)).await;
        }
        app.live_refresh();
        app.settle().await;
        assert_eq!(app.sessions.list.window.rows.len(), 9);
        assert_eq!(
            app.sessions.list.window.selected_row().unwrap().public_id,
            selected
        );
        assert_eq!(
            app.sessions.marks.keys().cloned().collect::<Vec<_>>(),
            marked
        );
    }
);

store_test!(a_select_only_role_gets_a_clear_message_not_a_crash, |db| {
    let fx = fixture(&db).await;
    let Some(ro) = read_only_store(&db).await else {
        return;
    };
    let ro = with_clock(&ro, &fx.clock);
    let mut app = app(&ro, false);
    app.settle().await;
    assert_eq!(listed(&app).len(), 6, "reading works");
    press(&mut app, "dtry anyway<Enter>").await;
    assert_eq!(status_kind(&app), Some(StatusKind::Error));
    assert!(status(&app).contains("may only read"), "{}", status(&app));
    assert!(app.overlay.is_none());
    assert_eq!(live_count(&fx.store).await, 6);
    // Still usable.
    press(&mut app, "j4").await;
    assert_eq!(app.view, View::Audit);
});

/// The same database through a connection that may only read: SQLite opened read-only, or a
/// PostgreSQL role with SELECT only.
async fn read_only_store(db: &common::TestDb) -> Option<wxlogin::store::Store> {
    use wxlogin::store::{Backend, Store};
    match db.backend() {
        Backend::Sqlite => {
            let url = db.url.replace("mode=rwc", "mode=ro");
            Some(Store::connect(&url, Default::default()).await.unwrap())
        }
        Backend::Postgres => {
            let pool = db.pg_pool().unwrap();
            let role = format!("wxt_ro_{}", hex::encode(rand::random::<[u8; 4]>()));
            for sql in [
                format!("CREATE ROLE {role} LOGIN PASSWORD 'ro-pass'"),
                format!("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"),
            ] {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(pool)
                    .await
                    .unwrap();
            }
            let mut u = url::Url::parse(&db.url).unwrap();
            u.set_username(&role).unwrap();
            u.set_password(Some("ro-pass")).unwrap();
            Some(
                Store::connect(u.as_str(), Default::default())
                    .await
                    .unwrap(),
            )
        }
        Backend::MySql => {
            let pool = db.mysql_pool().unwrap();
            let user = format!("wxt_ro_{}", hex::encode(rand::random::<[u8; 4]>()));
            let mut u = url::Url::parse(&db.url).unwrap();
            let database = u.path().trim_start_matches('/').to_owned();
            for sql in [
                format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'ro-pass'"),
                format!("GRANT SELECT ON {database}.* TO '{user}'@'%'"),
            ] {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(pool)
                    .await
                    .unwrap();
            }
            u.set_username(&user).unwrap();
            u.set_password(Some("ro-pass")).unwrap();
            Some(
                Store::connect(u.as_str(), Default::default())
                    .await
                    .unwrap(),
            )
        }
    }
}

store_test!(
    a_lost_database_shows_a_banner_and_the_console_keeps_working,
    |db| {
        let fx = fixture(&db).await;
        let mut app = app(&fx.store, false);
        app.settle().await;
        fx.store.close().await;
        press(&mut app, "r").await;
        assert!(app.db_down.is_some(), "banner raised");
        let screen = render(&mut app, 80, 24);
        assert!(screen.contains("DATABASE UNREACHABLE"), "{screen}");
        // The loaded rows stay visible and the keys still work.
        assert_eq!(listed(&app).len(), 6);
        press(&mut app, "jj<Enter>").await;
        assert!(app.sessions.list.detail);
        press(&mut app, "<Esc>2").await;
        assert_eq!(app.view, View::Bindings);
        // Reconnection attempts run from the tick and report back.
        app.tick();
        app.settle().await;
        assert!(
            app.db_down.is_some(),
            "still down: the pool is closed for good"
        );
        app.apply(wxlogin::console::tasks::Msg::Ping(Ok(())));
        assert!(app.db_down.is_none());
        assert!(status(&app).contains("restored"));
    }
);

store_test!(
    jumps_between_sessions_and_bindings_follow_the_account,
    |db| {
        let fx = fixture(&db).await;
        let mut app = app(&fx.store, false);
        app.settle().await;
        press(&mut app, "b").await; // alice's newest session → her account
        assert_eq!(app.view, View::Bindings);
        let acc = app.bindings.account.as_ref().expect("account loaded");
        assert_eq!(acc.account.username, "alice");
        assert_eq!(acc.bindings.len(), 2);
        let screen = render(&mut app, 80, 24);
        assert!(screen.contains("Bindings of this account"), "{screen}");
        press(&mut app, "S").await;
        assert_eq!(app.view, View::Sessions);
        assert_eq!(app.sessions.list.filter.account_id, Some(fx.alice));
        assert_eq!(listed(&app).len(), 3);
    }
);

store_test!(audit_view_lists_newest_first_and_filters, |db| {
    let fx = fixture(&db).await;
    let mut app = app(&fx.store, false);
    app.settle().await;
    press(&mut app, "dfirst<Enter>").await;
    press(&mut app, "4").await;
    assert_eq!(app.view, View::Audit);
    let first = &app.audit.list.window.rows[0];
    assert_eq!(first.action, "sessions.revoke");
    assert_eq!(first.operator, "oncall-ana");
    press(&mut app, "/operator=fixture<Enter>").await;
    assert!(!app.audit.list.window.rows.is_empty());
    assert!(
        app.audit
            .list
            .window
            .rows
            .iter()
            .all(|e| e.operator == "fixture")
    );
    press(&mut app, ":audit action=account.create<Enter>").await;
    assert_eq!(app.audit.list.window.rows.len(), 4);
    press(&mut app, "<Enter>").await;
    assert!(app.audit.list.detail);
});

store_test!(a_bulk_revoke_stops_between_batches_when_cancelled, |db| {
    let fx = fixture(&db).await;
    // carol gets 80 more sessions; revoking them one per batch takes a while.
    for i in 0..80 {
        let openid = format!("oCarolMore{i:018}");
        common::login(&fx.store, fx.carol, common::Login::new(APP2, &openid)).await;
    }
    let mut app = app(&fx.store, false);
    app.ctx.revoke_batch = 1;
    app.settle().await;
    // The newest session is carol's (the last one created).
    assert_eq!(
        app.sessions.list.window.selected_row().unwrap().username,
        "carol"
    );
    press(&mut app, "Aenough").await;
    assert!(render(&mut app, 80, 24).contains("81 sessions will be revoked"));
    // Enter starts it; Esc right away asks it to stop after the batch in progress.
    app.handle_key(key("<Enter>"));
    app.handle_key(key("<Esc>"));
    assert!(render(&mut app, 80, 24).contains("stopping after the current batch"));
    app.settle().await;
    let text = status(&app);
    assert!(text.starts_with("stopped after "), "{text}");
    assert!(text.ends_with("the rest are untouched"), "{text}");
    let batches = fx
        .store
        .list_audit(
            &AuditFilter {
                operator: Some("oncall-ana".into()),
                ..Default::default()
            },
            None,
            100,
        )
        .await
        .unwrap()
        .rows;
    assert!(
        batches
            .iter()
            .all(|e| e.reason.as_deref() == Some("enough"))
    );
    let revoked = batches.len() as u64;
    assert!(
        (1..81).contains(&revoked),
        "stopped early, after {revoked} batches"
    );
    let left = fx
        .store
        .count_sessions(&SessionFilter {
            account_id: Some(fx.carol),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        left,
        81 - revoked,
        "finished batches stay revoked, the rest are untouched"
    );
    assert!(text.contains(&format!("{revoked} session")), "{text}");
});

store_test!(
    a_bidi_override_typed_into_the_reason_is_not_taken_and_the_dialog_says_why,
    |db| {
        let fx = fixture(&db).await;
        let mut app = app(&fx.store, false);
        app.settle().await;
        let newest = fx.sessions.last().unwrap().public_id.clone();
        press(&mut app, "d").await;
        // A right-to-left override would make the audit row read backwards to a reviewer.
        press(&mut app, "stolen\u{202E}").await;
        let screen = render(&mut app, 80, 24);
        assert!(
            screen.contains("not typed: a bidirectional control character (U+202E)"),
            "{screen}"
        );
        assert!(screen.contains("Reason: stolen "), "{screen}");
        // The next accepted key clears the note.
        press(&mut app, "phone").await;
        assert!(!render(&mut app, 80, 24).contains("not typed"));
        // A Chinese reason (an IME commits whole strings) is text like any other.
        press(&mut app, " 用户报失<Enter>").await;
        assert!(app.overlay.is_none(), "{}", render(&mut app, 80, 24));
        let audit = last_audit(&fx.store).await;
        assert_eq!(audit.target, format!("session:{newest}"));
        assert_eq!(audit.reason.as_deref(), Some("stolenphone 用户报失"));
    }
);
