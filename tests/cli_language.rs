//! The commands' language, run as the real binary against SQLite and PostgreSQL: what scripts
//! read (`--json`, CSV, exit codes, audit rows) is byte-identical whatever the language
//! (`--lang en`, `--lang zh-CN`, `WXLOGIN_LANG`, `LANG=zh_CN.UTF-8`); what people read follows
//! it; Chinese usernames and operator names work end to end.

mod cli_support;
mod common;

use cli_support::{Run, command, run_cmd, wx};
use common::{Login, account, login};

const APP: &str = "wxapp00000000001";

/// The ways an operator picks a language, each as extra arguments and environment.
struct Variant {
    name: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

const ENGLISH: Variant = Variant {
    name: "--lang en",
    args: &["--lang", "en"],
    env: &[("LANG", "zh_CN.UTF-8")],
};

const CHINESE: &[Variant] = &[
    Variant {
        name: "--lang zh-CN",
        args: &["--lang", "zh-CN"],
        env: &[],
    },
    Variant {
        name: "LANG=zh_CN.UTF-8",
        args: &[],
        env: &[("LANG", "zh_CN.UTF-8")],
    },
    Variant {
        name: "WXLOGIN_LANG=zh-CN",
        args: &[],
        env: &[("WXLOGIN_LANG", "zh-CN"), ("LANG", "en_US.UTF-8")],
    },
];

/// `wxlogin VARIANT ARGS` with the variant's environment (and no other language variable).
async fn wx_in(v: &Variant, url: &str, args: &[&str], stdin: Option<&str>) -> Run {
    wx_in_env(v, url, args, stdin, &[]).await
}

/// [`wx_in`] with more environment (a WeChat app, for `exchange`).
async fn wx_in_env(
    v: &Variant,
    url: &str,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> Run {
    let all: Vec<&str> = v.args.iter().chain(args).copied().collect();
    let mut c = command(url, &all);
    for k in ["LANG", "LC_ALL", "LC_MESSAGES", "WXLOGIN_LANG"] {
        c.env_remove(k);
    }
    for (k, val) in v.env.iter().chain(env) {
        c.env(k, val);
    }
    run_cmd(c, stdin).await
}

/// Sessions for two accounts (one Chinese), one revoked with a Chinese reason, so that the
/// JSON, the CSV and the audit log all hold Chinese text and a revoked state.
async fn seed(db: &wxlogin::store::Store, url: &str) {
    let zhang = account(db, "张三丰").await;
    let alice = account(db, "alice").await;
    login(db, zhang.id, Login::new(APP, "o-zhang-1")).await;
    login(db, alice.id, Login::new(APP, "o-alice-1")).await;
    let s = login(db, alice.id, Login::new(APP, "o-alice-2")).await;
    wx(
        url,
        &[
            "sessions",
            "revoke",
            s.public_id.as_str(),
            "--reason",
            "用户报告手机丢失",
            "--yes",
        ],
    )
    .await
    .expect(0);
}

store_test!(
    json_csv_and_audit_output_are_byte_identical_in_every_language,
    |db| {
        seed(&db, &db.url).await;
        let outputs: &[&[&str]] = &[
            &["sessions", "list", "--json", "--include-revoked"],
            &["sessions", "list", "--format", "csv", "--include-revoked"],
            &["sessions", "list", "--format", "csv", "--all"],
            &["audit", "--json"],
            &["bindings", "show", "--username", "张三丰", "--json"],
            &["accounts", "show", "张三丰", "--json"],
            &["audit", "--operator", "nobody", "--json"],
            &["accounts", "history", "alice", "--json"],
        ];
        for args in outputs {
            let en = wx_in(&ENGLISH, &db.url, args, None).await.expect(0);
            assert!(!en.stdout.is_empty(), "{args:?} printed nothing");
            for v in CHINESE {
                let zh = wx_in(v, &db.url, args, None).await.expect(0);
                assert_eq!(
                    zh.stdout, en.stdout,
                    "{args:?} differs between {} and {}",
                    v.name, ENGLISH.name
                );
            }
        }
        // The machine values stay English.
        let json = wx_in(&CHINESE[0], &db.url, outputs[0], None).await.json();
        let states: Vec<&str> = json["sessions"]
            .as_array()
            .expect("sessions")
            .iter()
            .map(|s| s["state"].as_str().unwrap())
            .collect();
        assert!(
            states.contains(&"active") && states.contains(&"revoked"),
            "{states:?}"
        );
        let csv = wx_in(&CHINESE[0], &db.url, outputs[1], None).await;
        assert!(
            csv.stdout
                .starts_with(wxlogin::export::csv_header().trim_end()),
            "{}",
            csv.stdout
        );
    }
);

store_test!(exit_codes_are_the_same_in_every_language, |db| {
    seed(&db, &db.url).await;
    // (arguments, stdin, exit code): usage 2, nothing matched 3, refused 4.
    let cases: &[(&[&str], Option<&str>, i32)] = &[
        (&["sessions", "list", "--after", "not-a-cursor"], None, 2),
        (&["sessions", "list", "--no-such-flag"], None, 2),
        (&["sessions", "revoke", "--reason", "x", "--yes"], None, 2),
        (
            &[
                "sessions",
                "revoke",
                "ses_00000000000000000000",
                "--reason",
                "x",
                "--yes",
            ],
            None,
            3,
        ),
        (&["accounts", "show", "nobody-here"], None, 3),
        (
            &[
                "--role",
                "viewer",
                "sessions",
                "revoke",
                "--username",
                "alice",
                "--reason",
                "x",
                "--yes",
            ],
            None,
            4,
        ),
        (
            &["--role", "support", "accounts", "create", "无权限的人"],
            Some("a long passphrase\n"),
            4,
        ),
    ];
    for (args, stdin, code) in cases {
        wx_in(&ENGLISH, &db.url, args, *stdin).await.expect(*code);
        for v in CHINESE {
            let r = wx_in(v, &db.url, args, *stdin).await;
            assert_eq!(r.code, *code, "{args:?} with {}: {}", v.name, r.stderr);
        }
    }
});

store_test!(
    a_refusal_in_chinese_names_the_roles_in_chinese_and_changes_nothing,
    |db| {
        seed(&db, &db.url).await;
        let before = wx(&db.url, &["audit", "--json"]).await.expect(0).stdout;
        let args = [
            "--role",
            "viewer",
            "sessions",
            "revoke",
            "--username",
            "alice",
            "--reason",
            "x",
            "--yes",
        ];
        let zh = wx_in(&CHINESE[0], &db.url, &args, None).await.expect(4);
        // Revoking one person's sessions needs the support role: 客服. A viewer is 只读.
        assert!(zh.stderr.contains("客服"), "{}", zh.stderr);
        assert!(zh.stderr.contains("只读"), "{}", zh.stderr);
        assert!(!zh.stderr.contains("needs the"), "{}", zh.stderr);
        let en = wx_in(&ENGLISH, &db.url, &args, None).await.expect(4);
        assert!(
            en.stderr.contains("needs the support role; you are viewer"),
            "{}",
            en.stderr
        );
        let on_call = wx_in(
            &CHINESE[1],
            &db.url,
            &["--role", "support", "accounts", "create", "李四"],
            Some("a long passphrase\n"),
        )
        .await
        .expect(4);
        assert!(on_call.stderr.contains("值班"), "{}", on_call.stderr);
        assert_eq!(
            wx(&db.url, &["audit", "--json"]).await.expect(0).stdout,
            before,
            "a refusal writes nothing"
        );
    }
);

store_test!(
    a_chinese_username_and_operator_work_end_to_end_in_either_language,
    |db| {
        let mut c = command(
            &db.url,
            &["--lang", "zh-CN", "accounts", "create", "张三丰", "--json"],
        );
        c.env("WXLOGIN_OPERATOR", "张三");
        let created = run_cmd(c, Some("a long passphrase\n")).await.expect(0);
        assert_eq!(created.json()["username"], "张三丰", "{}", created.stdout);
        let shown = wx(&db.url, &["accounts", "show", "张三丰", "--json"])
            .await
            .expect(0);
        assert_eq!(shown.json()["account"]["username"], "张三丰");
        // Searching the audit log by the Chinese operator name finds the row, as typed.
        for v in [&ENGLISH, &CHINESE[0]] {
            let found = wx_in(v, &db.url, &["audit", "--operator", "张三", "--json"], None)
                .await
                .expect(0)
                .json();
            let entries = found["entries"].as_array().expect("entries");
            assert_eq!(entries.len(), 1, "{found}");
            assert_eq!(entries[0]["operator"], "张三");
            assert_eq!(entries[0]["action"], "account.create");
        }
        let none = wx(&db.url, &["audit", "--operator", "张", "--json"])
            .await
            .expect(0)
            .json();
        assert_eq!(none["entries"].as_array().unwrap().len(), 0, "{none}");
    }
);

store_test!(
    an_audit_row_written_in_chinese_is_the_row_written_in_english,
    |db| {
        let alice = account(&db, "alice").await;
        let a = login(&db, alice.id, Login::new(APP, "o-alice-1")).await;
        let b = login(&db, alice.id, Login::new(APP, "o-alice-2")).await;
        for (v, s) in [(&ENGLISH, &a), (&CHINESE[0], &b)] {
            wx_in(
                v,
                &db.url,
                &[
                    "sessions",
                    "revoke",
                    s.public_id.as_str(),
                    "--reason",
                    "客户要求",
                    "--yes",
                ],
                None,
            )
            .await
            .expect(0);
        }
        let log = wx(&db.url, &["audit", "--json"]).await.expect(0).json();
        let rows = log["entries"].as_array().expect("entries");
        let revokes: Vec<&serde_json::Value> = rows
            .iter()
            .filter(|r| r["action"] == "sessions.revoke")
            .collect();
        assert_eq!(revokes.len(), 2, "{log}");
        let strip = |r: &serde_json::Value| {
            let mut r = r.clone();
            r["at"] = serde_json::Value::Null;
            r["target"] = serde_json::Value::Null;
            r["detail"] = serde_json::Value::Null;
            r
        };
        assert_eq!(strip(revokes[0]), strip(revokes[1]));
        assert_eq!(revokes[0]["reason"], "客户要求");
        assert_eq!(
            revokes[0]["detail"]
                .as_object()
                .map(|o| o.keys().collect::<Vec<_>>()),
            revokes[1]["detail"]
                .as_object()
                .map(|o| o.keys().collect::<Vec<_>>())
        );
    }
);

store_test!(
    what_people_read_follows_the_language_and_cjk_columns_stay_aligned,
    |db| {
        seed(&db, &db.url).await;
        let en = wx_in(&ENGLISH, &db.url, &["sessions", "list"], None)
            .await
            .expect(0)
            .stdout;
        assert!(en.starts_with("PUBLIC ID"), "{en}");
        for v in CHINESE {
            let zh = wx_in(v, &db.url, &["sessions", "list"], None)
                .await
                .expect(0)
                .stdout;
            let lines: Vec<&str> = zh.lines().collect();
            assert!(
                lines[0].contains("用户名") && lines[0].contains("状态"),
                "{}: {zh}",
                v.name
            );
            assert!(
                zh.contains("在线"),
                "state names are shown in Chinese: {zh}"
            );
            // The APPID column starts at the same terminal column on every line, whatever
            // the width of the usernames before it.
            let column_of = |line: &str, needle: &str| {
                let at = line
                    .find(needle)
                    .unwrap_or_else(|| panic!("{needle} in {line}"));
                ratatui::text::Span::raw(&line[..at]).width()
            };
            let header_col = column_of(lines[0], "APPID");
            for row in &lines[1..] {
                assert_eq!(column_of(row, APP), header_col, "{zh}");
            }
        }
        // --help: wxlogin's one line and each subcommand's, in the chosen language.
        let help_en = wx_in(&ENGLISH, &db.url, &["--help"], None).await.expect(0);
        assert!(
            help_en
                .stdout
                .contains("List, show and revoke login sessions")
        );
        for v in CHINESE {
            let help = wx_in(v, &db.url, &["--help"], None).await.expect(0).stdout;
            assert!(help.starts_with("微信小程序登录后端"), "{}: {help}", v.name);
            assert!(help.contains("列出、查看和撤销登录会话"), "{help}");
            let sub = wx_in(v, &db.url, &["sessions", "revoke", "--help"], None)
                .await
                .expect(0)
                .stdout;
            assert!(sub.starts_with("撤销会话"), "{sub}");
            assert!(sub.contains("退出码"), "{sub}");
        }
        // The account history's labels.
        let history = wx_in(
            &CHINESE[0],
            &db.url,
            &["accounts", "history", "alice"],
            None,
        )
        .await
        .expect(0)
        .stdout;
        assert!(history.contains("账号已创建"), "{history}");
        assert!(
            history.contains("已撤销 1 个会话") || history.contains("会话已"),
            "{history}"
        );
        let history_en = wx_in(&ENGLISH, &db.url, &["accounts", "history", "alice"], None)
            .await
            .expect(0)
            .stdout;
        assert!(history_en.contains("account created"), "{history_en}");
        // A revoke's result, with its count.
        let s = wx_in(
            &CHINESE[0],
            &db.url,
            &[
                "sessions",
                "revoke",
                "--username",
                "张三丰",
                "--reason",
                "测试",
                "--yes",
            ],
            None,
        )
        .await
        .expect(0)
        .stdout;
        assert_eq!(s.trim_end(), "已撤销 1 个会话", "{s}");
        // The hint after a usage error, in Chinese, with the same exit code.
        let usage = wx_in(
            &CHINESE[0],
            &db.url,
            &["sessions", "revoke", "--reason", "x", "--yes"],
            None,
        )
        .await
        .expect(2);
        assert!(
            usage.stderr.contains("请指定要撤销哪些会话"),
            "{}",
            usage.stderr
        );
    }
);

/// `exchange --json` output with what differs run to run (the latency, WeChat's rid) pinned.
fn pinned(stdout: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(stdout).expect("JSON");
    let mut s = stdout.to_owned();
    if let Some(rid) = v["error"]["rid"].as_str() {
        s = s.replace(rid, "RID");
    }
    s.replace(
        &format!("\"latency_ms\": {}", v["latency_ms"]),
        "\"latency_ms\": 0",
    )
}

store_test!(
    exchange_json_is_identical_and_its_errcode_is_explained_in_the_operators_language,
    |db| {
        use wxlogin::mock_wechat::{DEMO_APPID, DEMO_SECRET};
        let wx = common::start_emulator().await;
        let base = wx.base_url();
        let env = [
            ("WXLOGIN_WECHAT_BASE_URL", base.as_str()),
            ("WXLOGIN_APPID", DEMO_APPID),
            ("WXLOGIN_APP_SECRET", DEMO_SECRET),
        ];
        let code = wx.mint(DEMO_APPID, "bob-phone").unwrap();
        let first = wx_in_env(&ENGLISH, &db.url, &["exchange", &code], None, &env).await;
        first.expect(0);
        // The code is used now: every further exchange is WeChat's errcode 40163.
        let json = ["exchange", code.as_str(), "--json"];
        let en = wx_in_env(&ENGLISH, &db.url, &json, None, &env)
            .await
            .expect(1);
        for v in CHINESE {
            let zh = wx_in_env(v, &db.url, &json, None, &env).await.expect(1);
            assert_eq!(pinned(&zh.stdout), pinned(&en.stdout), "{}", v.name);
        }
        let parsed: serde_json::Value = serde_json::from_str(&en.stdout).unwrap();
        assert_eq!(parsed["error"]["errcode"], 40163);
        // People read the meaning and what to do in their language, from the errcode table;
        // WeChat's rid stays beside them as it is.
        let e = wxlogin::wechat::WechatError::from_errcode(
            40163,
            wxlogin::wechat::ApiError::new("", ""),
        );
        let zh_tr = wxlogin::i18n::Lang::ZhCn.tr();
        let human = wx_in_env(&CHINESE[0], &db.url, &["exchange", &code], None, &env)
            .await
            .expect(1);
        assert!(
            human.stdout.contains(&e.meaning_in(&zh_tr)),
            "{}",
            human.stdout
        );
        assert!(
            human.stdout.contains(&e.action_in(&zh_tr)),
            "{}",
            human.stdout
        );
        assert!(human.stdout.contains("处理办法"), "{}", human.stdout);
        assert!(human.stdout.contains("rid"), "{}", human.stdout);
        assert!(!human.stdout.contains(e.meaning()), "{}", human.stdout);
        let english = wx_in_env(&ENGLISH, &db.url, &["exchange", &code], None, &env)
            .await
            .expect(1);
        assert!(
            english
                .stdout
                .contains(&format!("meaning      {}", e.meaning())),
            "{}",
            english.stdout
        );
    }
);

store_test!(
    an_ops_sentence_is_said_in_the_operators_language_with_its_ids_kept,
    |db| {
        use wxlogin::mock_wechat::{DEMO_APPID, DEMO_SECRET};
        let wx = common::start_emulator().await;
        let base = wx.base_url();
        let key = common::data_key().to_base64();
        let env = [
            ("WXLOGIN_WECHAT_BASE_URL", base.as_str()),
            ("WXLOGIN_APPID", DEMO_APPID),
            ("WXLOGIN_APP_SECRET", DEMO_SECRET),
            ("WXLOGIN_DATA_KEY", key.as_str()),
        ];
        let check = ["sessions", "check-key", "ses_nosuchsession"];
        let en = wx_in_env(&ENGLISH, &db.url, &check, None, &env)
            .await
            .expect(3);
        assert!(
            en.stderr.contains(
                "no session with public id ses_nosuchsession; list them with `wxlogin sessions list`"
            ),
            "{}",
            en.stderr
        );
        for v in CHINESE {
            let zh = wx_in_env(v, &db.url, &check, None, &env).await.expect(3);
            assert!(
                zh.stderr
                    .contains("没有公开 ID 为 ses_nosuchsession 的会话")
                    && zh.stderr.contains("`wxlogin sessions list`"),
                "{}: {}",
                v.name,
                zh.stderr
            );
        }
    }
);

store_test!(
    accounts_prose_follows_the_language_and_its_json_does_not,
    |db| {
        seed(&db, &db.url).await;
        let zh = &CHINESE[0];
        // A refused password says why in Chinese; the exit code is the usage code in both.
        let none = wx_in(zh, &db.url, &["accounts", "create", "李四"], Some(""))
            .await
            .expect(2);
        assert!(none.stderr.contains("没有给出密码"), "{}", none.stderr);
        let short = wx_in(zh, &db.url, &["accounts", "create", "李四"], Some("abc\n"))
            .await
            .expect(2);
        assert!(
            short.stderr.contains("密码太短（3 个字符）"),
            "{}",
            short.stderr
        );
        // `accounts show`: Chinese labels, padded by terminal columns.
        let show = wx_in(zh, &db.url, &["accounts", "show", "张三丰"], None)
            .await
            .expect(0);
        assert!(
            show.stdout.contains("用户名         张三丰"),
            "{}",
            show.stdout
        );
        assert!(show.stdout.contains("已停用         否"), "{}", show.stdout);
        // A change: the result line in Chinese, the audit row as in English.
        let disable = ["accounts", "disable", "alice", "--reason", "离职", "--yes"];
        let out = wx_in(zh, &db.url, &disable, None).await.expect(0);
        assert!(
            out.stdout.contains("已停用账号 alice") && out.stdout.contains("撤销了 1 个会话"),
            "{}",
            out.stdout
        );
        let again = wx_in(&ENGLISH, &db.url, &disable, None).await.expect(3);
        assert!(
            again
                .stderr
                .contains("account alice is already disabled; nothing changed"),
            "{}",
            again.stderr
        );
        let again = wx_in(zh, &db.url, &disable, None).await.expect(3);
        assert!(
            again.stderr.contains("账号 alice 已停用"),
            "{}",
            again.stderr
        );
    }
);

store_test!(
    an_unbind_confirms_and_reports_in_the_operators_language,
    |db| {
        seed(&db, &db.url).await;
        let zh = &CHINESE[0];
        let unbind = [
            "bindings",
            "unbind",
            "--appid",
            APP,
            "--openid",
            "o-zhang-1",
            "--reason",
            "换手机",
            "--yes",
        ];
        let out = wx_in(zh, &db.url, &unbind, None).await.expect(0);
        assert!(
            out.stdout.contains(&format!(
                "已将 小程序 {APP} 中的 openid o-zhang-1 从账号 张三丰（ID "
            )) && out.stdout.contains("撤销了 1 个会话"),
            "{}",
            out.stdout
        );
        let again = wx_in(zh, &db.url, &unbind, None).await.expect(3);
        assert!(again.stderr.contains("没有 小程序"), "{}", again.stderr);
        let en = wx_in(&ENGLISH, &db.url, &unbind, None).await.expect(3);
        assert!(
            en.stderr
                .contains(&format!("no binding for openid o-zhang-1 in {APP}")),
            "{}",
            en.stderr
        );
    }
);

store_test!(stats_prose_follows_the_language, |db| {
    seed(&db, &db.url).await;
    let en = wx_in(&ENGLISH, &db.url, &["stats"], None).await.expect(0);
    assert!(en.stdout.contains("live sessions: 2"), "{}", en.stdout);
    assert!(
        en.stdout.contains("last session purge: never"),
        "{}",
        en.stdout
    );
    let zh = wx_in(&CHINESE[0], &db.url, &["stats"], None)
        .await
        .expect(0);
    assert!(zh.stdout.contains("在线会话：2"), "{}", zh.stdout);
    assert!(zh.stdout.contains("上次会话清理：从未"), "{}", zh.stdout);
    assert!(zh.stdout.contains("登录失败的客户端地址"), "{}", zh.stdout);
    assert!(!zh.stdout.contains("live sessions"), "{}", zh.stdout);
});

store_test!(purge_prose_follows_the_language, |db| {
    seed(&db, &db.url).await;
    let args = ["sessions", "purge", "--older-than", "1d", "--dry-run"];
    let en = wx_in(&ENGLISH, &db.url, &args, None).await.expect(0);
    assert!(
        en.stdout
            .starts_with("dry run: 0 sessions ended (expired or revoked) before "),
        "{}",
        en.stdout
    );
    let zh = wx_in(&CHINESE[0], &db.url, &args, None).await.expect(0);
    assert!(
        zh.stdout.starts_with("试运行：") && zh.stdout.contains("的会话有 0 个；未做任何更改"),
        "{}",
        zh.stdout
    );
});

/// Runs of three or more English words in `text` outside backticks (a command to type, such as
/// `wxlogin sessions list`, stays as it is): what a Chinese reader should not meet.
fn english_runs(text: &str) -> Vec<String> {
    let mut outside = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 0 {
            outside.push_str(part);
            outside.push(' ');
        }
    }
    let mut runs = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    for word in outside.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
        let plain = word.len() >= 2 && word.chars().all(|c| c.is_ascii_lowercase());
        if plain {
            run.push(word);
        } else {
            if run.len() >= 3 {
                runs.push(run.join(" "));
            }
            run.clear();
        }
    }
    if run.len() >= 3 {
        runs.push(run.join(" "));
    }
    runs
}

/// Asserts that `text` (a command's stdout or stderr in zh-CN) holds no English sentence.
fn assert_chinese_only(what: &str, text: &str) {
    let runs = english_runs(text);
    assert!(runs.is_empty(), "{what}: English left {runs:?} in:\n{text}");
}

/// An address where nothing listens (a port just freed): every connection is refused.
fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// The demo app on a fresh emulator, and the test data key, as environment.
fn wechat_env(base: &str) -> Vec<(&'static str, String)> {
    use wxlogin::mock_wechat::{DEMO_APPID, DEMO_SECRET};
    vec![
        ("WXLOGIN_WECHAT_BASE_URL", base.to_owned()),
        ("WXLOGIN_APPID", DEMO_APPID.to_owned()),
        ("WXLOGIN_APP_SECRET", DEMO_SECRET.to_owned()),
        ("WXLOGIN_DATA_KEY", common::data_key().to_base64()),
    ]
}

async fn wx_wechat(v: &Variant, url: &str, args: &[&str], env: &[(&'static str, String)]) -> Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    wx_in_env(v, url, args, None, &env).await
}

store_test!(
    session_key_commands_speak_chinese_and_their_json_and_exit_codes_do_not_change,
    |db| {
        use wxlogin::mock_wechat::DEMO_APPID;
        let wx = common::start_emulator().await;
        let env = wechat_env(&wx.base_url());
        let zh = &CHINESE[0];
        let (id, openid, _) = common::real_login(&db, &wx, "alice").await;
        // Another session of alice's holds a key WeChat no longer knows: stale (87009).
        let old_key = wxlogin::secret::Secret::new("b2xkZXJrZXlvbGRlcmtleQ==");
        let l = Login::new(DEMO_APPID, &openid);
        let other = common::new_session(&l, &old_key);
        let wxlogin::store::LoginOutcome::Issued(stale) =
            db.login_bound(&common::data_key(), &other).await.unwrap()
        else {
            panic!("alice is bound");
        };

        // check-key: valid. The JSON is the same in both languages (latency pinned).
        let json = ["sessions", "check-key", id.as_str(), "--json"];
        let en = wx_wechat(&ENGLISH, &db.url, &json, &env).await.expect(0);
        for v in CHINESE {
            let same = wx_wechat(v, &db.url, &json, &env).await.expect(0);
            assert_eq!(pinned(&same.stdout), pinned(&en.stdout), "{}", v.name);
        }
        let human = wx_wechat(zh, &db.url, &["sessions", "check-key", &id], &env)
            .await
            .expect(0);
        for text in [
            "会话",
            "过期时间",
            "结果",
            "有效：微信确认这是该用户当前的密钥",
        ] {
            assert!(human.stdout.contains(text), "{text} in {}", human.stdout);
        }
        assert_chinese_only("check-key", &human.stdout);
        let english = wx_wechat(&ENGLISH, &db.url, &["sessions", "check-key", &id], &env)
            .await
            .expect(0);
        assert!(
            english
                .stdout
                .contains("valid: WeChat holds this key for the user"),
            "{}",
            english.stdout
        );

        // check-key of the stale one: exit 3 in both; the meaning from the errcode table.
        let stale_args = ["sessions", "check-key", stale.public_id.as_str()];
        wx_wechat(&ENGLISH, &db.url, &stale_args, &env)
            .await
            .expect(3);
        let out = wx_wechat(zh, &db.url, &stale_args, &env).await.expect(3);
        let e = wxlogin::wechat::WechatError::from_errcode(
            87009,
            wxlogin::wechat::ApiError::new("", ""),
        );
        let zh_tr = wxlogin::i18n::Lang::ZhCn.tr();
        assert!(
            out.stdout
                .contains(&format!("已失效：{}", e.meaning_in(&zh_tr))),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("处理办法"), "{}", out.stdout);
        assert!(
            out.stderr.contains("保存的 session_key 已失效（87009）"),
            "{}",
            out.stderr
        );
        assert_chinese_only("check-key stale", &out.stdout);
        assert_chinese_only("check-key stale", &out.stderr);

        // reset-key of the stale one: WeChat refuses (87009), exit 3 in both languages.
        let reset_stale = [
            "sessions",
            "reset-key",
            stale.public_id.as_str(),
            "--reason",
            "解密失败",
            "--yes",
        ];
        let out = wx_wechat(zh, &db.url, &reset_stale, &env).await.expect(3);
        assert!(out.stdout.contains("失败："), "{}", out.stdout);
        assert!(
            out.stderr.contains("微信拒绝重置（87009）"),
            "{}",
            out.stderr
        );
        assert_chinese_only("reset-key stale", &out.stdout);
        assert_chinese_only("reset-key stale", &out.stderr);

        // reset-key: labels, the count of sessions it was stored on, the result.
        let reset = [
            "sessions",
            "reset-key",
            id.as_str(),
            "--reason",
            "解密失败",
            "--yes",
        ];
        let out = wx_wechat(zh, &db.url, &reset, &env).await.expect(0);
        for text in ["旧密钥", "新密钥", "已保存到", "1 个会话：", "已重置，用时"]
        {
            assert!(out.stdout.contains(text), "{text} in {}", out.stdout);
        }
        assert!(out.stdout.contains(&id), "{}", out.stdout);
        assert_chinese_only("reset-key", &out.stdout);
        let out = wx_wechat(&ENGLISH, &db.url, &reset, &env).await.expect(0);
        assert!(
            out.stdout.contains("stored on    1 session: "),
            "{}",
            out.stdout
        );

        // WeChat unreachable: an error with no errcode is worded in Chinese too; the host and
        // the exit code stay.
        let closed = wechat_env(&closed_url());
        let out = wx_wechat(zh, &db.url, &["sessions", "check-key", &id], &closed)
            .await
            .expect(1);
        let connect = wxlogin::wechat::WechatError::Connect {
            host: String::new(),
            detail: String::new(),
        };
        assert!(
            out.stdout
                .contains(&format!("出错：{}", connect.meaning_in(&zh_tr))),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout.contains(&connect.action_in(&zh_tr)),
            "{}",
            out.stdout
        );
        assert!(
            out.stderr.contains("checkSessionKey 调用失败：") && out.stderr.contains("127.0.0.1"),
            "{}",
            out.stderr
        );
        // (The log line of the token cache on stderr stays English, as every log line does.)
        let said: String = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("wxlogin:"))
            .collect();
        assert!(!said.contains(connect.meaning()), "{said}");
        assert!(!out.stdout.contains(connect.meaning()), "{}", out.stdout);
        wx_wechat(&ENGLISH, &db.url, &["sessions", "check-key", &id], &closed)
            .await
            .expect(1);

        // No data key: a usage error, in Chinese.
        let out = wx_in(zh, &db.url, &["sessions", "check-key", &id], None)
            .await
            .expect(2);
        assert!(out.stderr.contains("没有数据密钥"), "{}", out.stderr);
    }
);

store_test!(
    audit_and_its_archive_speak_chinese_with_the_same_exit_codes,
    |db| {
        seed(&db, &db.url).await;
        let zh = &CHINESE[0];
        let none = wx_in(zh, &db.url, &["audit", "--operator", "nobody"], None)
            .await
            .expect(0);
        assert_eq!(none.stdout.trim_end(), "没有匹配的审计记录");
        let listed = wx_in(zh, &db.url, &["audit"], None).await.expect(0);
        assert!(
            listed.stdout.starts_with("时间") && listed.stdout.contains("操作人"),
            "{}",
            listed.stdout
        );
        let bad = wx_in(zh, &db.url, &["audit", "--since", "yesterday"], None)
            .await
            .expect(2);
        assert!(
            bad.stderr.contains("--since \"yesterday\" 不是时间"),
            "{}",
            bad.stderr
        );
        wx_in(&ENGLISH, &db.url, &["audit", "--since", "yesterday"], None)
            .await
            .expect(2);
        let cursor = wx_in(zh, &db.url, &["audit", "--after", "zzz"], None)
            .await
            .expect(2);
        assert!(
            cursor.stderr.contains("不是本命令输出的游标"),
            "{}",
            cursor.stderr
        );

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("audit.jsonl");
        let file = file.to_str().unwrap();
        // Every row written so far (an age of zero: now).
        let cutoff = "0s";
        // No terminal and no --yes: refused (4), nothing written.
        let refused = wx_in(
            zh,
            &db.url,
            &["audit", "archive", "--before", cutoff, "--to", file],
            None,
        )
        .await
        .expect(4);
        assert!(refused.stderr.contains("未确认"), "{}", refused.stderr);
        let bad_before = wx_in(
            zh,
            &db.url,
            &[
                "audit", "archive", "--before", "soon", "--to", file, "--yes",
            ],
            None,
        )
        .await
        .expect(2);
        assert!(
            bad_before.stderr.contains("--before \"soon\" 不是时间"),
            "{}",
            bad_before.stderr
        );
        let done = wx_in(
            zh,
            &db.url,
            &[
                "audit", "archive", "--before", cutoff, "--to", file, "--yes",
            ],
            None,
        )
        .await
        .expect(0);
        for text in ["已写入", "条审计记录", "文件已校验", "已删除"] {
            assert!(done.stderr.contains(text), "{text} in {}", done.stderr);
        }
        assert!(
            done.stdout.contains("之前的") && done.stdout.contains("条审计记录归档到"),
            "{}",
            done.stdout
        );
        assert_chinese_only("audit archive", &done.stdout);
        assert_chinese_only("audit archive", &done.stderr);
        // The file exists now: never overwritten, a usage error in both languages.
        let again = [
            "audit", "archive", "--before", cutoff, "--to", file, "--yes",
        ];
        let exists = wx_in(zh, &db.url, &again, None).await.expect(2);
        assert!(exists.stderr.contains("已存在"), "{}", exists.stderr);
        let exists = wx_in(&ENGLISH, &db.url, &again, None).await.expect(2);
        assert!(
            exists
                .stderr
                .contains("the archive never overwrites a file"),
            "{}",
            exists.stderr
        );
    }
);

store_test!(
    a_failed_exchange_ends_with_a_chinese_line_and_the_same_exit_code,
    |db| {
        use wxlogin::mock_wechat::DEMO_APPID;
        let wx = common::start_emulator().await;
        let env = wechat_env(&wx.base_url());
        let code = wx.mint(DEMO_APPID, "carol-phone").unwrap();
        wx_wechat(&ENGLISH, &db.url, &["exchange", &code], &env)
            .await
            .expect(0);
        let zh_tr = wxlogin::i18n::Lang::ZhCn.tr();
        let used = wxlogin::wechat::WechatError::from_errcode(
            40163,
            wxlogin::wechat::ApiError::new("", ""),
        );
        let out = wx_wechat(&CHINESE[0], &db.url, &["exchange", &code], &env)
            .await
            .expect(1);
        assert!(
            out.stderr.contains("code2Session 调用失败：")
                && out.stderr.contains(&used.meaning_in(&zh_tr))
                && out.stderr.contains("errcode 40163"),
            "{}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("code2Session failed"),
            "{}",
            out.stderr
        );
        let en = wx_wechat(&ENGLISH, &db.url, &["exchange", &code], &env)
            .await
            .expect(1);
        assert!(
            en.stderr.contains("code2Session failed: ") && en.stderr.contains(used.meaning()),
            "{}",
            en.stderr
        );
        // WeChat unreachable: no errcode, still Chinese; the exit code is the runtime one.
        let closed = wechat_env(&closed_url());
        let code = wx.mint(DEMO_APPID, "carol-phone").unwrap();
        let out = wx_wechat(&CHINESE[0], &db.url, &["exchange", &code], &closed)
            .await
            .expect(1);
        let connect = wxlogin::wechat::WechatError::Connect {
            host: String::new(),
            detail: String::new(),
        };
        assert!(
            out.stdout.contains(&connect.meaning_in(&zh_tr)),
            "{}",
            out.stdout
        );
        assert!(!out.stdout.contains(connect.meaning()), "{}", out.stdout);
        assert!(
            out.stderr.contains("code2Session 调用失败：") && out.stderr.contains("127.0.0.1"),
            "{}",
            out.stderr
        );
        // Input errors before any call.
        let empty = wx_wechat(&CHINESE[0], &db.url, &["exchange", "  "], &env)
            .await
            .expect(2);
        assert!(empty.stderr.contains("未输入 code"), "{}", empty.stderr);
    }
);

store_test!(
    the_commands_own_refusals_read_in_chinese_with_their_exit_codes_kept,
    |db| {
        seed(&db, &db.url).await;
        let zh = &CHINESE[0];
        let live = wx(&db.url, &["sessions", "list", "--json"])
            .await
            .expect(0)
            .json();
        let id = live["sessions"][0]["public_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let revoke = |ids: Vec<String>| {
            let mut a: Vec<String> = vec!["sessions".into(), "revoke".into()];
            a.extend(ids);
            a.extend(["--reason".into(), "测试".into(), "--yes".into()]);
            a
        };
        // (arguments, exit code, what the Chinese says)
        let cases: Vec<(Vec<String>, i32, &str)> = vec![
            (
                revoke(vec!["ses_nope1".into(), "ses_nope2".into()]),
                3,
                "没有会话使用给出的公开 ID",
            ),
            (
                vec![
                    "sessions".into(),
                    "revoke".into(),
                    id.clone(),
                    "--reason".into(),
                    "   ".into(),
                    "--yes".into(),
                ],
                2,
                "--reason 必须说明原因",
            ),
            (
                vec![
                    "sessions".into(),
                    "revoke".into(),
                    "--username".into(),
                    "无此人".into(),
                    "--reason".into(),
                    "x".into(),
                    "--yes".into(),
                ],
                3,
                "没有名为 无此人 的账号",
            ),
            (
                vec![
                    "bindings".into(),
                    "show".into(),
                    "--openid".into(),
                    "o-nobody".into(),
                ],
                3,
                "openid o-nobody 没有绑定",
            ),
            (
                vec![
                    "accounts".into(),
                    "history".into(),
                    "--account".into(),
                    "987654".into(),
                ],
                3,
                "没有 ID 为 987654 的账号",
            ),
            (
                vec!["sessions".into(), "show".into(), "ses_nope".into()],
                3,
                "没有公开 ID 为 ses_nope 的会话",
            ),
        ];
        for (args, code, says) in &cases {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let en = wx_in(&ENGLISH, &db.url, &args, None).await;
            assert_eq!(en.code, *code, "{args:?}: {}", en.stderr);
            let out = wx_in(zh, &db.url, &args, None).await;
            assert_eq!(out.code, *code, "{args:?}: {}", out.stderr);
            assert!(out.stderr.contains(says), "{says} in {}", out.stderr);
            assert_chinese_only(&format!("{args:?}"), &out.stderr);
        }
        // The revoke of a session that is no longer live: "none of the given sessions is live".
        let once = revoke(vec![id.clone()]);
        let once: Vec<&str> = once.iter().map(String::as_str).collect();
        wx_in(zh, &db.url, &once, None).await.expect(0);
        let again = wx_in(zh, &db.url, &once, None).await.expect(3);
        assert!(
            again
                .stderr
                .contains("给出的会话都不在线（0 个不存在，1 个已撤销或已过期）"),
            "{}",
            again.stderr
        );
        let again = wx_in(&ENGLISH, &db.url, &once, None).await.expect(3);
        assert!(
            again.stderr.contains("none of the given sessions is live"),
            "{}",
            again.stderr
        );
        // A purge's result line, with its counts.
        let purge = ["sessions", "purge", "--older-than", "1d", "--yes"];
        let out = wx_in(zh, &db.url, &purge, None).await.expect(0);
        assert!(
            out.stdout.contains("批清理") && out.stdout.contains("个会话"),
            "{}",
            out.stdout
        );
        assert_chinese_only("purge", &out.stdout);
    }
);

store_test!(
    migrate_says_it_is_done_and_refuses_a_viewer_in_the_operators_language,
    |db| {
        let zh = wx_in(&CHINESE[0], &db.url, &["migrate"], None)
            .await
            .expect(0);
        assert!(
            zh.stdout.trim_end().ends_with("：数据库结构已是最新"),
            "{}",
            zh.stdout
        );
        let en = wx_in(&ENGLISH, &db.url, &["migrate"], None).await.expect(0);
        assert!(
            en.stdout.trim_end().ends_with(": schema is up to date"),
            "{}",
            en.stdout
        );
        let refused = wx_in(&CHINESE[1], &db.url, &["--read-only", "migrate"], None)
            .await
            .expect(4);
        assert!(
            refused.stderr.contains("迁移数据库") && refused.stderr.contains("值班"),
            "{}",
            refused.stderr
        );
        wx_in(&ENGLISH, &db.url, &["--read-only", "migrate"], None)
            .await
            .expect(4);
    }
);

store_test!(
    a_bad_line_on_stdin_is_refused_in_the_operators_language,
    |db| {
        let long = "A".repeat(5000) + "\n";
        let args = ["sessions", "show", "--token-stdin"];
        let zh = wx_in(&CHINESE[0], &db.url, &args, Some(&long))
            .await
            .expect(2);
        assert!(
            zh.stderr.contains("标准输入中的SessionId超过 4096 字节"),
            "{}",
            zh.stderr
        );
        assert!(!zh.stderr.contains("AAAA"), "never echoed: {}", zh.stderr);
        assert_chinese_only("stdin bound", &zh.stderr);
        let en = wx_in(&ENGLISH, &db.url, &args, Some(&long)).await.expect(2);
        assert!(
            en.stderr
                .contains("the SessionId on stdin is longer than 4096 bytes"),
            "{}",
            en.stderr
        );
    }
);
