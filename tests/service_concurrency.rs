//! Concurrent logins and revokes over HTTP against SQLite and PostgreSQL.

mod common;
mod service_common;

use std::collections::HashSet;

use common::*;
use reqwest::StatusCode;
use service_common::*;
use wxlogin::store::{BindingQuery, SessionFilter};

store_test!(
    fifty_concurrent_logins_of_one_user_get_fifty_valid_sessions,
    |db| {
        let alice = account(&db, "alice").await;
        let w = world(db).await;
        w.bind("wx-alice", "alice").await;
        let codes: Vec<String> = (0..50).map(|_| w.code("wx-alice")).collect();
        let logins = codes.into_iter().map(|code| {
            let http = w.http.clone();
            let url = format!("{}/login", w.base);
            tokio::spawn(async move {
                let r = http
                    .post(url)
                    .json(&serde_json::json!({ "code": code }))
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let body: serde_json::Value = r.json().await.unwrap();
                (status, body)
            })
        });
        let answers = futures::future::join_all(logins).await;
        let mut tokens = HashSet::new();
        for a in answers {
            let (status, body) = a.unwrap();
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["account_id"], alice.id);
            tokens.insert(body["session_id"].as_str().unwrap().to_owned());
        }
        assert_eq!(tokens.len(), 50, "every SessionId is distinct");
        let mut ids = HashSet::new();
        for t in &tokens {
            let me = w.me(t).await;
            assert_eq!(me.status, StatusCode::OK);
            ids.insert(me.body["session"]["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(ids.len(), 50);
        let f = SessionFilter {
            account_id: Some(alice.id),
            ..Default::default()
        };
        assert_eq!(w.store.count_sessions(&f).await.unwrap(), 51);
    }
);

store_test!(concurrent_first_logins_of_one_identity_bind_it_once, |db| {
    account(&db, "bob").await;
    let w = world(db).await;
    let logins = (0..10).map(|_| {
        let http = w.http.clone();
        let url = format!("{}/login", w.base);
        let code = w.code("wx-bob");
        tokio::spawn(async move {
            http.post(url)
                .json(&serde_json::json!({ "code": code, "username": "bob", "password": PASSWORD }))
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    for s in futures::future::join_all(logins).await {
        assert_eq!(s.unwrap(), StatusCode::OK);
    }
    let b = w
        .store
        .find_bindings(&BindingQuery::Username("bob".into()))
        .await
        .unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].active_sessions, 10);
});

store_test!(
    a_revoke_racing_a_login_never_leaves_a_live_session_without_a_binding,
    |db| {
        account(&db, "carol").await;
        let w = world(db).await;
        let openid = w.openid("wx-carol");
        let rounds = 25;
        for round in 0..rounds {
            // Bound at the start of each round (sometimes already by the previous round's login).
            w.bind("wx-carol", "carol").await;
            let login = {
                let http = w.http.clone();
                let url = format!("{}/login", w.base);
                let code = w.code("wx-carol");
                tokio::spawn(async move {
                    http.post(url)
                        .json(&serde_json::json!({ "code": code }))
                        .send()
                        .await
                        .unwrap()
                        .status()
                })
            };
            let unbind = {
                let store = w.store.clone();
                let openid = openid.clone();
                tokio::spawn(async move {
                    match wxlogin::ops::unbind(
                        &store,
                        &operator("ops"),
                        APPID,
                        &openid,
                        &format!("race {round}"),
                    )
                    .await
                    {
                        Ok(u) => Some(u),
                        Err(wxlogin::ops::OpsError::NothingMatched(_)) => None,
                        Err(e) => panic!("unbind: {e}"),
                    }
                })
            };
            let (status, unbound) = (login.await.unwrap(), unbind.await.unwrap());
            assert!(
                status == StatusCode::OK || status == StatusCode::UNAUTHORIZED,
                "round {round}: {status}"
            );
            assert!(unbound.is_some(), "round {round}: the binding was there");
            // Whichever came first, no binding means no live session for the identity.
            let bound = w
                .store
                .find_bindings(&BindingQuery::OpenId {
                    openid: openid.clone(),
                    appid: Some(APPID.into()),
                })
                .await
                .unwrap();
            let live = w
                .store
                .count_sessions(&SessionFilter {
                    openid: Some(openid.clone()),
                    appid: Some(APPID.into()),
                    ..Default::default()
                })
                .await
                .unwrap();
            if bound.is_empty() {
                assert_eq!(live, 0, "round {round}: live session without a binding");
            }
        }
    }
);

store_test!(
    the_loser_of_simultaneous_first_logins_to_two_accounts_gets_409,
    |db| {
        let dan = account(&db, "dan").await;
        let eve = account(&db, "eve").await;
        let w = world(db).await;
        // One WeChat identity, first logins with two accounts' credentials at the same time.
        let logins = ["dan", "eve", "dan", "eve", "dan", "eve"].map(|user| {
            let http = w.http.clone();
            let url = format!("{}/login", w.base);
            let code = w.code("wx-shared");
            tokio::spawn(async move {
                let r = http
                    .post(url)
                    .json(&serde_json::json!({ "code": code, "username": user, "password": PASSWORD }))
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let body: serde_json::Value = r.json().await.unwrap();
                (user, status, body)
            })
        });
        let answers: Vec<_> = futures::future::join_all(logins)
            .await
            .into_iter()
            .map(|a| a.unwrap())
            .collect();
        let bound = w
            .store
            .find_bindings(&BindingQuery::OpenId {
                openid: w.openid("wx-shared"),
                appid: Some(APPID.into()),
            })
            .await
            .unwrap();
        assert_eq!(bound.len(), 1, "bound exactly once");
        let winner = bound[0].account_id;
        assert!(winner == dan.id || winner == eve.id);
        for (user, status, body) in &answers {
            let id = if *user == "dan" { dan.id } else { eve.id };
            if id == winner {
                assert_eq!(*status, StatusCode::OK, "{user}: {body}");
                assert_eq!(body["account_id"], winner);
            } else {
                assert_eq!(*status, StatusCode::CONFLICT, "{user}: {body}");
                assert_eq!(body["error"], "binding_conflict");
                assert!(body.get("session_id").is_none());
            }
        }
        let loser = if winner == dan.id { eve.id } else { dan.id };
        let f = SessionFilter {
            include_inactive: true,
            account_id: Some(loser),
            ..Default::default()
        };
        assert_eq!(w.store.count_sessions(&f).await.unwrap(), 0);
    }
);
