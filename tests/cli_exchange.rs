//! `wxlogin exchange`, run as the real binary against the in-process WeChat emulator and a real
//! SQLite or PostgreSQL database.

mod cli_support;
mod common;

use cli_support::{OPERATOR, ORIGIN, Run, assert_no_secret, command, run_cmd};
use common::{Login, account, audit_rows, login, start_emulator};
use wxlogin::mock_wechat::{self as emulator, DEMO_APPID, DEMO_SECRET};

/// `wxlogin ARGS` configured for the demo app on `base_url`.
async fn exchange(url: &str, base_url: &str, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = command(url, args);
    cmd.env("WXLOGIN_WECHAT_BASE_URL", base_url)
        .env("WXLOGIN_APPID", DEMO_APPID)
        .env("WXLOGIN_APP_SECRET", DEMO_SECRET);
    run_cmd(cmd, stdin).await
}

store_test!(
    a_fresh_code_shows_openid_masked_session_key_and_the_binding,
    |db| {
        let wx = start_emulator().await;
        let alice = account(&db, "alice").await;
        let openid = emulator::openid(DEMO_APPID, "alice-phone");
        login(&db, alice.id, Login::new(DEMO_APPID, &openid)).await;

        let code = wx.mint(DEMO_APPID, "alice-phone").unwrap();
        let out = exchange(
            &db.url,
            &wx.base_url(),
            &["exchange", "--code-stdin", "--json"],
            Some(&format!("{code}\n")),
        )
        .await
        .expect(0);
        assert_no_secret(&out, &[&code, DEMO_SECRET]);
        let v = out.json();
        assert_eq!(v["ok"], true);
        assert_eq!(v["openid"], openid.as_str());
        assert_eq!(v["bound"], true);
        assert_eq!(v["bindings"][0]["username"], "alice");
        let masked = v["session_key_masked"].as_str().unwrap();
        assert!(
            masked.ends_with("(24 chars)") && masked.contains('•'),
            "{masked}"
        );
        insta::with_settings!({ filters => {
            let mut f = cli_support::filters();
            f.push((r#""session_key_masked": "[^"]*""#, r#""session_key_masked": "[masked]""#));
            f.push((r#""latency_ms": \d+"#, r#""latency_ms": "[ms]""#));
            f
        }, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("exchange_ok_json", &out.stdout);
        });

        let audit = audit_rows(&db, "wechat.exchange").await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].operator, OPERATOR);
        assert_eq!(audit[0].origin.as_deref(), Some(ORIGIN));
        assert_eq!(audit[0].target, format!("app:{DEMO_APPID}"));
        assert_eq!(audit[0].detail.0["ok"], true);
        assert_eq!(audit[0].detail.0["bound"], true);
        let detail = audit[0].detail.0.to_string();
        assert!(
            !detail.contains(&code),
            "the audit row never holds the code"
        );
        assert!(
            !detail.contains("session_key"),
            "nor the session_key: {detail}"
        );
    }
);

store_test!(
    a_used_code_is_explained_with_errcode_meaning_action_and_rid,
    |db| {
        let wx = start_emulator().await;
        let code = wx.mint(DEMO_APPID, "bob-phone").unwrap();
        // The first exchange (positional code) succeeds; the openid is not bound.
        let first = exchange(&db.url, &wx.base_url(), &["exchange", &code], None)
            .await
            .expect(0);
        assert!(
            first.stdout.contains("result       ok in"),
            "{}",
            first.stdout
        );
        assert!(first.stdout.contains("bound        no"), "{}", first.stdout);
        assert!(first.stdout.contains("(24 chars)"));
        assert_no_secret(&first, &[DEMO_SECRET]);
        assert!(!first.stdout.contains(&code));

        let again = exchange(&db.url, &wx.base_url(), &["exchange", &code], None)
            .await
            .expect(1);
        assert!(
            again.stdout.contains("errcode      40163"),
            "{}",
            again.stdout
        );
        assert!(
            again
                .stdout
                .contains("meaning      WeChat says this code was already exchanged")
        );
        assert!(
            again
                .stdout
                .contains("what to do   have the user log in again")
        );
        assert!(
            again
                .stdout
                .lines()
                .any(|l| l.starts_with("rid ") && !l.ends_with(" -")),
            "{}",
            again.stdout
        );
        // One error line from the command (the WeChat client may also log a warning).
        let errors: Vec<&str> = again
            .stderr
            .lines()
            .filter(|l| l.starts_with("wxlogin:"))
            .collect();
        assert_eq!(errors.len(), 1, "{}", again.stderr);
        assert!(
            errors[0].starts_with("wxlogin: code2Session failed"),
            "{}",
            again.stderr
        );
        assert_no_secret(&again, &[&code, DEMO_SECRET]);

        let json = exchange(
            &db.url,
            &wx.base_url(),
            &["exchange", &code, "--json"],
            None,
        )
        .await
        .expect(1);
        insta::with_settings!({ filters => {
            let mut f = cli_support::filters();
            f.push((r#""latency_ms": \d+"#, r#""latency_ms": "[ms]""#));
            f.push((r"[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}", "[rid]"));
            f.push((r"127\.0\.0\.1:\d+", "[emulator]"));
            f
        }, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("exchange_code_used_json", &json.stdout);
        });
        let v = json.json();
        assert_eq!(v["ok"], false);
        assert_eq!(v["error"]["errcode"], 40163);
        assert_eq!(v["error"]["kind"], "code_used");
        assert!(v["error"]["rid"].is_string());
        assert!(v["session_key_masked"].is_null());

        let audit = audit_rows(&db, "wechat.exchange").await;
        assert_eq!(audit.len(), 3, "every attempt is audited");
        assert_eq!(audit[0].detail.0["errcode"], 40163);
        assert_eq!(audit[0].detail.0["ok"], false);
    }
);

store_test!(exchange_refusals_and_configuration_errors, |db| {
    let wx = start_emulator().await;
    let base = wx.base_url();
    let code = wx.mint(DEMO_APPID, "carol-phone").unwrap();
    let ro = exchange(&db.url, &base, &["--read-only", "exchange", &code], None)
        .await
        .expect(4);
    assert!(ro.stderr.contains("read-only"), "{}", ro.stderr);
    let unknown = exchange(
        &db.url,
        &base,
        &["exchange", "--appid", "wxnope", &code],
        None,
    )
    .await
    .expect(2);
    assert!(unknown.stderr.contains("wxnope"), "{}", unknown.stderr);
    exchange(&db.url, &base, &["exchange"], None)
        .await
        .expect(2);
    let empty = exchange(&db.url, &base, &["exchange", "--code-stdin"], Some("\n"))
        .await
        .expect(2);
    assert!(empty.stderr.contains("no code given"), "{}", empty.stderr);

    // Nothing configured at all.
    let none = cli_support::wx(&db.url, &["exchange", &code])
        .await
        .expect(1);
    assert_eq!(none.stderr.lines().count(), 1, "{}", none.stderr);
    assert_no_secret(&none, &[&code]);

    // WeChat unreachable: explained, exit 1, no errcode.
    let down = exchange(
        &db.url,
        "http://127.0.0.1:9",
        &["exchange", &code, "--json"],
        None,
    )
    .await
    .expect(1);
    let v = down.json();
    assert_eq!(v["error"]["kind"], "unavailable");
    assert!(v["error"]["errcode"].is_null());
    assert_no_secret(&down, &[&code, DEMO_SECRET]);

    // Refused and misconfigured runs never reached WeChat: only the unreachable one is audited.
    assert_eq!(audit_rows(&db, "wechat.exchange").await.len(), 1);
    // The code was never spent: it still works.
    exchange(&db.url, &base, &["exchange", &code], None)
        .await
        .expect(0);
});
