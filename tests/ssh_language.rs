//! Two operators on one door read two languages at once: the one whose `[[operators]]` entry
//! says `lang = "zh-CN"` gets Chinese, the other English, while `--json` and exit codes are the
//! same bytes for both.

mod common;
mod ssh_support;

use ssh_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_door_operator_reads_their_own_language_and_json_is_identical() {
    let db = common::sqlite_db().await;
    let li = key(1);
    let bob = key(2);
    let mut ops = operators_toml(&[("li-oncall", "oncall", &li)]);
    ops = ops.replace(
        "role = \"oncall\"\n",
        "role = \"oncall\"\nlang = \"zh-CN\"\n",
    );
    ops.push_str(&operators_toml(&[("bob-oncall", "oncall", &bob)]));
    let door = Door::start(&db.url, &ops, &[]);
    let (hl, hb) = (door.login(&li).await, door.login(&bob).await);

    let zh = exec(&hl, "sessions list", b"").await;
    let en = exec(&hb, "sessions list", b"").await;
    assert_eq!(zh.status, Some(0), "{zh:?}\n{}", door.log());
    assert_eq!(en.status, Some(0), "{en:?}");
    assert_eq!(zh.stdout, "没有匹配的会话\n", "{zh:?}");
    assert_eq!(en.stdout, "no sessions match\n", "{en:?}");

    // A `--lang` on the command line wins over the entry's language.
    let forced = exec(&hl, "--lang en sessions list", b"").await;
    assert_eq!(forced.stdout, "no sessions match\n", "{forced:?}");

    let zj = exec(&hl, "sessions list --json", b"").await;
    let ej = exec(&hb, "sessions list --json", b"").await;
    assert_eq!(zj.status, Some(0), "{zj:?}");
    assert_eq!(zj.status, ej.status);
    assert_eq!(
        zj.stdout, ej.stdout,
        "--json is the same bytes in every language"
    );
}
