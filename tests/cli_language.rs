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
