//! `[service] max_bindings_per_app`: a first login that would give an account one binding too
//! many in a mini program is refused with 409 `binding_limit`, binds nothing, issues nothing,
//! and is counted; logins through the bindings it has keep working. SQLite and PostgreSQL.

mod common;
mod service_common;

use common::*;
use reqwest::StatusCode;
use service_common::*;
use wxlogin::service::ServiceConfig;

fn limit(n: u32) -> Setup {
    Setup {
        service: ServiceConfig {
            max_bindings_per_app: Some(n),
            login_rate_limit: 0,
            account_failure_limit: 0,
            login_flood_limit: 0,
            ..ServiceConfig::default()
        },
        ..Setup::default()
    }
}

store_test!(
    a_binding_past_the_limit_is_refused_and_binds_nothing,
    |db| {
        let carol = account(&db, "carol").await;
        let w = world_with(db, limit(2)).await;
        w.bind("wx-carol-phone", "carol").await;
        w.bind("wx-carol-tablet", "carol").await;

        let a = w.login("wx-stranger", Some(("carol", PASSWORD))).await;
        assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
        assert_eq!(a.error(), "binding_limit");
        assert!(a.body["session_id"].is_null(), "{}", a.body);
        let text = a.body.to_string();
        assert!(text.contains("support"), "{text}");

        // Nothing was bound: the stranger's WeChat still needs credentials.
        let again = w.login("wx-stranger", None).await;
        assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.body);
        assert_eq!(again.error(), "binding_required");
        let bindings = w
            .store
            .find_bindings(&wxlogin::store::BindingQuery::AccountId(carol.id))
            .await
            .unwrap();
        assert_eq!(bindings.len(), 2, "{bindings:?}");

        // Her own phones keep logging in, silently and with her password.
        assert_eq!(w.login("wx-carol-phone", None).await.status, StatusCode::OK);
        let with_creds = w.login("wx-carol-tablet", Some(("carol", PASSWORD))).await;
        assert_eq!(with_creds.status, StatusCode::OK, "{}", with_creds.body);

        let m = w.metrics().await;
        assert_eq!(
            metric(&m, "wxlogin_logins_total{outcome=\"binding_limit\"}"),
            1
        );
    }
);

store_test!(
    two_simultaneous_first_logins_past_the_limit_bind_only_one,
    |db| {
        account(&db, "dave").await;
        let w = world_with(db, limit(1)).await;
        let (a, b) = tokio::join!(
            w.login("wx-dave-1", Some(("dave", PASSWORD))),
            w.login("wx-dave-2", Some(("dave", PASSWORD))),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{} / {}",
            a.body,
            b.body
        );
        let loser = if a.status == StatusCode::CONFLICT {
            &a
        } else {
            &b
        };
        assert_eq!(loser.error(), "binding_limit");
    }
);
