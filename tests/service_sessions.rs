//! GET /me and POST /logout over HTTP against SQLite and PostgreSQL: every kind of session end
//! is felt by the very next request.

mod common;
mod service_common;

use chrono::Duration;
use common::*;
use reqwest::StatusCode;
use service_common::*;
use wxlogin::store::SessionFilter;

async fn public_id(w: &World, token: &str) -> String {
    let me = w.me(token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    me.body["session"]["id"].as_str().unwrap().to_owned()
}

store_test!(a_revoked_session_is_refused_on_the_next_request, |db| {
    account(&db, "alice").await;
    let w = world(db).await;
    let token = w.bind("wx-alice", "alice").await;
    let other = w.login("wx-alice", None).await.token();
    let id = public_id(&w, &token).await;
    let n = wxlogin::ops::revoke_sessions(&w.store, &operator("ops"), &[id], "suspicious")
        .await
        .unwrap()
        .revoked
        .len();
    assert_eq!(n, 1);
    let me = w.me(&token).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me.error(), "invalid_session");
    // The other session of the same user is untouched.
    assert_eq!(w.me(&other).await.status, StatusCode::OK);
    let m = w.metrics().await;
    assert_eq!(metric(&m, "wxlogin_revocations_felt_total"), 1);
    assert_eq!(
        metric(&m, "wxlogin_session_validations_total{result=\"revoked\"}"),
        1
    );
});

store_test!(unbinding_ends_the_bindings_sessions_at_once, |db| {
    account(&db, "bob").await;
    let w = world(db).await;
    let token = w.bind("wx-bob", "bob").await;
    assert_eq!(w.me(&token).await.status, StatusCode::OK);
    let out = wxlogin::ops::unbind(
        &w.store,
        &operator("ops"),
        APPID,
        &w.openid("wx-bob"),
        "rebind",
    )
    .await
    .unwrap();
    assert_eq!(out.sessions_revoked, 1);
    assert_eq!(w.me(&token).await.status, StatusCode::UNAUTHORIZED);
    // And the next login needs the password again.
    assert_eq!(w.login("wx-bob", None).await.error(), "binding_required");
});

store_test!(logout_ends_only_the_presented_session, |db| {
    account(&db, "carol").await;
    let w = world(db).await;
    let a = w.bind("wx-carol", "carol").await;
    let b = w.login("wx-carol", None).await.token();
    let out = w.logout(&a).await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(w.me(&a).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(w.logout(&a).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(w.me(&b).await.status, StatusCode::OK);
    let rows = w
        .store
        .list_sessions(
            &SessionFilter {
                include_inactive: true,
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap()
        .rows;
    let ended = rows.iter().find(|r| r.revoked_at.is_some()).unwrap();
    assert_eq!(ended.revoked_by.as_deref(), Some("self"));
    assert_eq!(metric(&w.metrics().await, "wxlogin_logouts_total"), 1);
});

store_test!(unknown_and_malformed_session_ids_are_refused, |db| {
    let w = world(db).await;
    assert_eq!(
        w.me("not-a-session-id").await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = w.http.get(format!("{}/me", w.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = w
        .http
        .get(format!("{}/me", w.base))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let long = "A".repeat(5000);
    assert_eq!(w.me(&long).await.status, StatusCode::UNAUTHORIZED);
});

store_test!(sessions_expire_when_idle_and_at_their_absolute_end, |db| {
    account(&db, "dave").await;
    let w = world(db).await;
    // Defaults: 30 days absolute, 7 days idle.
    let idle = w.bind("wx-dave", "dave").await;
    let busy = w.login("wx-dave", None).await.token();
    let first = w.me(&busy).await;
    let created_expiry = first.body["session"]["expires_at"]
        .as_str()
        .unwrap()
        .to_owned();

    // Used every 5 days, `busy` slides its idle expiry; `idle` is never used and expires.
    w.advance(Duration::days(5));
    let me = w.me(&busy).await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.body["session"]["expires_at"].as_str().unwrap() > created_expiry.as_str());
    w.advance(Duration::days(3));
    assert_eq!(w.me(&idle).await.status, StatusCode::UNAUTHORIZED);
    for _ in 0..4 {
        assert_eq!(w.me(&busy).await.status, StatusCode::OK);
        w.advance(Duration::days(5));
    }
    // Day 28: still alive; day 31: past the absolute lifetime however busy.
    assert_eq!(w.me(&busy).await.status, StatusCode::OK);
    w.advance(Duration::days(3));
    assert_eq!(w.me(&busy).await.status, StatusCode::UNAUTHORIZED);
    let m = w.metrics().await;
    assert_eq!(
        metric(&m, "wxlogin_session_validations_total{result=\"expired\"}"),
        2
    );
});

store_test!(last_seen_is_written_at_most_once_a_minute, |db| {
    account(&db, "erin").await;
    let w = world(db).await;
    let token = w.bind("wx-erin", "erin").await;
    for _ in 0..10 {
        assert_eq!(w.me(&token).await.status, StatusCode::OK);
    }
    let m = w.metrics().await;
    assert_eq!(metric(&m, "wxlogin_session_touches_total"), 0);
    w.advance(Duration::seconds(61));
    for _ in 0..10 {
        assert_eq!(w.me(&token).await.status, StatusCode::OK);
    }
    let m = w.metrics().await;
    assert_eq!(metric(&m, "wxlogin_session_touches_total"), 1);
    let row = w
        .store
        .list_sessions(&SessionFilter::default(), None, 1)
        .await
        .unwrap()
        .rows
        .remove(0);
    assert!(row.last_seen_at > row.created_at);
});

store_test!(
    concurrent_requests_each_get_their_own_session_and_a_revoked_one_is_refused,
    |db| {
        // On PostgreSQL the lookups of requests that arrive together share one query: every
        // answer must still be its own request's, and a revoke must still be felt.
        let users: Vec<String> = (0..12).map(|i| format!("user{i}")).collect();
        for u in &users {
            account(&db, u).await;
        }
        // A database server shares lookups between concurrent requests; SQLite, in process,
        // has no round trip to save.
        let server = !db.url.starts_with("sqlite");
        let w = world(db).await;
        let mut tokens = Vec::new();
        for u in &users {
            tokens.push(w.bind(&format!("wx-{u}"), u).await);
        }
        let revoked = public_id(&w, &tokens[0]).await;
        wxlogin::ops::revoke_sessions(&w.store, &operator("ops"), &[revoked], "stolen phone")
            .await
            .unwrap();
        let asks = (0..300).map(|n| {
            let http = w.http.clone();
            let url = format!("{}/me", w.base);
            let i = n % (users.len() + 1);
            let token = tokens
                .get(i)
                .cloned()
                .unwrap_or_else(|| "not-a-session".into());
            tokio::spawn(async move {
                let r = http.get(url).bearer_auth(token).send().await.unwrap();
                (i, r.status(), r.json::<serde_json::Value>().await.unwrap())
            })
        });
        for a in futures::future::join_all(asks).await {
            let (i, status, body) = a.unwrap();
            match i {
                0 => assert_eq!(status, StatusCode::UNAUTHORIZED, "the revoked one: {body}"),
                i if i == users.len() => {
                    assert_eq!(status, StatusCode::UNAUTHORIZED, "unknown: {body}")
                }
                i => {
                    assert_eq!(status, StatusCode::OK, "{body}");
                    assert_eq!(body["account"]["username"], users[i].as_str());
                    assert_eq!(body["openid"], w.openid(&format!("wx-{}", users[i])));
                }
            }
        }
        let m = w.metrics().await;
        let validations: u64 = ["valid", "revoked", "unknown"]
            .iter()
            .map(|r| {
                metric(
                    &m,
                    &format!("wxlogin_session_validations_total{{result=\"{r}\"}}"),
                )
            })
            .sum();
        let queries = metric(&m, "wxlogin_session_lookup_queries_total");
        // 300 here, and one /me per user in `public_id` above.
        assert_eq!(validations, 301);
        if server {
            assert!(
                queries < validations,
                "{queries} queries for {validations} lookups: none were shared"
            );
        } else {
            assert_eq!(queries, validations, "SQLite looks each SessionId up alone");
        }
    }
);
