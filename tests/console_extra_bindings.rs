//! An account bound to more than one openid in one mini program is flagged in the Bindings
//! view (the list's mark column and a line in the account detail). SQLite always, PostgreSQL
//! when WXLOGIN_TEST_PG_URL is set.

mod common;
mod console_support;

use common::{Login, login};
use console_support::*;
use wxlogin::store::BindingQuery;

store_test!(
    a_second_openid_in_one_app_is_flagged_in_list_and_detail,
    |db| {
        let alice = common::account(&db, "alice").await.id;
        let bob = common::account(&db, "bob").await.id;
        login(
            &db,
            alice,
            Login::new("wxapp00000000001", "oAliceFirstPhone"),
        )
        .await;
        login(&db, alice, Login::new("wxapp00000000001", "oSomeoneElse")).await;
        login(&db, alice, Login::new("wxapp00000000002", "oAliceOtherApp")).await;
        login(&db, bob, Login::new("wxapp00000000001", "oBobPhone")).await;
        let rows = db
            .find_bindings(&BindingQuery::Username("alice".into()))
            .await
            .unwrap();
        let mut counts: Vec<(String, i64)> = rows
            .iter()
            .map(|b| (b.openid.clone(), b.app_bindings))
            .collect();
        counts.sort();
        assert_eq!(
            counts,
            [
                ("oAliceFirstPhone".to_owned(), 2),
                ("oAliceOtherApp".to_owned(), 1),
                ("oSomeoneElse".to_owned(), 2),
            ]
        );
        let bob_rows = db
            .find_bindings(&BindingQuery::Username("bob".into()))
            .await
            .unwrap();
        assert_eq!(
            bob_rows[0].app_bindings, 1,
            "another account's binding is not counted"
        );

        let mut app = app(&db, false);
        app.settle().await;
        press(&mut app, ":bindings alice<Enter>").await;
        let screen = render(&mut app, 120, 30);
        let marked: Vec<&str> = screen.lines().filter(|l| l.contains("│ ! wx")).collect();
        assert_eq!(marked.len(), 2, "{screen}");
        assert!(
            marked.iter().all(|l| l.contains("wxapp00000000001")),
            "{screen}"
        );
        press(&mut app, "<Enter>").await;
        let screen = render(&mut app, 120, 30);
        assert!(
        screen.contains(
            "account has 2 bindings in wxapp00000000001: a second person may be using the password"
        ),
        "{screen}"
    );
        press(&mut app, "<Esc>").await;
        press(&mut app, ":bindings bob<Enter><Enter>").await;
        let screen = render(&mut app, 120, 30);
        assert!(!screen.contains("a second person"), "{screen}");
    }
);
