//! Shared test fixtures: real databases only. Every store-level test runs against an SQLite
//! file in a temporary directory and, when `WXLOGIN_TEST_PG_URL` names a PostgreSQL server
//! and `WXLOGIN_TEST_MYSQL_URL` a MariaDB/MySQL server (as `scripts/test` arranges), against a
//! fresh database on each.
#![allow(dead_code)]

use std::ops::Deref;

use chrono::Duration;
use wxlogin::crypto::DataKey;
use wxlogin::crypto::hash_password;
use wxlogin::mock_wechat::{
    self as emulator, DEMO_APPID, EmulatorConfig, EmulatorHandle, demo_app,
};
use wxlogin::operator::{Actor, Role};
use wxlogin::secret::Secret;
use wxlogin::store::{Account, IssuedSession, LoginOutcome, NewAccount, NewSession, Store};
use wxlogin::wechat::{WechatClient, WechatConfig};

/// A store on a throwaway database. Keeps the temporary directory alive.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl Deref for TestDb {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

pub async fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = wxlogin::config::sqlite_url(&dir.path().join("wxlogin.db"));
    let store = Store::open(&url).await.expect("open sqlite");
    TestDb {
        store,
        url,
        _dir: Some(dir),
    }
}

/// The admin URL in `var`, if one is configured. With `require` set to 1 (scripts/test sets
/// it for every server it starts) a missing server fails the test instead of skipping it.
fn admin_url(var: &str, require: &str, backend: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var(require).is_ok_and(|v| v == "1") {
                panic!("{require}=1 but {var} is not set");
            }
            eprintln!("note: {var} not set; {backend} variant skipped (run scripts/test)");
            None
        }
    }
}

/// A store on `url`, migrated as a fixture operator.
async fn migrated(url: String, backend: &str) -> TestDb {
    let store = Store::connect(&url, Default::default())
        .await
        .unwrap_or_else(|e| panic!("connect {backend}: {e}"));
    wxlogin::ops::migrate(&store, &operator("fixture"))
        .await
        .unwrap_or_else(|e| panic!("migrate {backend}: {e}"));
    TestDb {
        store,
        url,
        _dir: None,
    }
}

/// The admin URL of the test PostgreSQL server, if one is configured
/// (`WXLOGIN_TEST_PG_URL`; required with `WXLOGIN_REQUIRE_PG=1`).
pub fn pg_admin_url() -> Option<String> {
    admin_url("WXLOGIN_TEST_PG_URL", "WXLOGIN_REQUIRE_PG", "PostgreSQL")
}

/// A fresh, migrated PostgreSQL database, or `None` when no server is configured.
pub async fn pg_db() -> Option<TestDb> {
    let admin = pg_admin_url()?;
    Some(migrated(create_pg_database(&admin).await, "pg").await)
}

/// Creates an empty database on the admin server and returns its URL.
pub async fn create_pg_database(admin: &str) -> String {
    use sqlx::Connection;
    let (name, url) = new_database_url(admin);
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .expect("connect to the PostgreSQL admin URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    url
}

/// A fresh database name (`wxt_` and 12 hex digits) and the admin URL pointed at it.
fn new_database_url(admin: &str) -> (String, String) {
    let name = format!("wxt_{}", hex::encode(rand::random::<[u8; 6]>()));
    let mut u = url::Url::parse(admin).expect("admin url");
    u.set_path(&format!("/{name}"));
    (name, u.to_string())
}

/// The admin URL of the test MariaDB/MySQL server, if one is configured
/// (`WXLOGIN_TEST_MYSQL_URL`; required with `WXLOGIN_REQUIRE_MYSQL=1`).
pub fn mysql_admin_url() -> Option<String> {
    admin_url("WXLOGIN_TEST_MYSQL_URL", "WXLOGIN_REQUIRE_MYSQL", "MariaDB")
}

/// A fresh, migrated MariaDB/MySQL database, or `None` when no server is configured.
pub async fn mysql_db() -> Option<TestDb> {
    let admin = mysql_admin_url()?;
    Some(migrated(create_mysql_database(&admin).await, "mariadb").await)
}

/// Creates an empty utf8mb4 database on the admin server and returns its URL.
pub async fn create_mysql_database(admin: &str) -> String {
    use sqlx::Connection;
    let (name, url) = new_database_url(admin);
    let mut conn = sqlx::MySqlConnection::connect(admin)
        .await
        .expect("connect to the MariaDB admin URL");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
    )))
    .execute(&mut conn)
    .await
    .expect("create database");
    url
}

/// A fresh database on `backend` (SQLite, or the configured server); `None` when the server is
/// not configured.
pub async fn db_on(backend: wxlogin::store::Backend) -> Option<TestDb> {
    match backend {
        wxlogin::store::Backend::Sqlite => Some(sqlite_db().await),
        wxlogin::store::Backend::Postgres => pg_db().await,
        wxlogin::store::Backend::MySql => mysql_db().await,
    }
}

/// Runs the same test body against SQLite, PostgreSQL and MariaDB: generates a module named
/// after the test with one `#[tokio::test]` per backend.
#[macro_export]
macro_rules! store_test {
    ($(#[$m:meta])* $name:ident, |$db:ident| $body:block) => {
        $(#[$m])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $db = $crate::common::sqlite_db().await;
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($db) = $crate::common::pg_db().await else { return };
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mariadb() {
                let Some($db) = $crate::common::mysql_db().await else { return };
                $body
            }
        }
    };
}

pub fn operator(name: &str) -> Actor {
    Actor::new(name, Role::Oncall, Some("ssh:203.0.113.7".to_owned()))
}

pub fn data_key() -> DataKey {
    DataKey::from_bytes([7u8; 32])
}

/// A fast Argon2id hash for fixtures (hashing is slow in debug builds, so it is done once).
pub fn fixture_password_hash() -> String {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("password123").expect("hash"))
        .clone()
}

pub async fn account(store: &Store, username: &str) -> Account {
    wxlogin::ops::create_account(
        store,
        &operator("fixture"),
        &NewAccount {
            username: username.to_owned(),
            password_hash: fixture_password_hash(),
            display_name: Some(format!("{username} (test)")),
        },
    )
    .await
    .expect("create account")
}

pub struct Login<'a> {
    pub appid: &'a str,
    pub openid: &'a str,
    pub unionid: Option<&'a str>,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

impl<'a> Login<'a> {
    pub fn new(appid: &'a str, openid: &'a str) -> Self {
        Login {
            appid,
            openid,
            unionid: None,
            ip: "198.51.100.1",
            user_agent: "Mozilla/5.0 MicroMessenger/8.0",
        }
    }
}

pub fn new_session<'a>(l: &Login<'a>, key: &'a Secret) -> NewSession<'a> {
    NewSession {
        appid: l.appid,
        openid: l.openid,
        unionid: l.unionid,
        session_key: key,
        client_ip: Some(l.ip),
        user_agent: Some(l.user_agent),
        ttl: Duration::days(30),
        idle: Duration::days(7),
    }
}

/// Binds (appid, openid) to the account if needed and issues a session, like a login.
pub async fn login(store: &Store, account_id: i64, l: Login<'_>) -> IssuedSession {
    let sk = Secret::new("SESSIONKEY-fixture-0123==");
    let ns = new_session(&l, &sk);
    match store
        .bind_and_login(&data_key(), account_id, &ns)
        .await
        .expect("login")
    {
        LoginOutcome::Issued(s) => s,
        other => panic!("expected a session, got {other:?}"),
    }
}

/// The audit rows of `action`, newest first (at most 1000).
pub async fn audit_rows(store: &Store, action: &str) -> Vec<wxlogin::store::AuditEntry> {
    store
        .list_audit(
            &wxlogin::store::AuditFilter {
                action: Some(action.to_owned()),
                ..Default::default()
            },
            None,
            1000,
        )
        .await
        .expect("list the audit log")
        .rows
}

/// The in-process WeChat emulator on a free loopback port.
pub async fn start_emulator() -> EmulatorHandle {
    emulator::spawn(EmulatorConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("start the emulator")
}

/// A WeChat client configuration for the demo app at the emulator.
pub fn emulator_wechat(wx: &EmulatorHandle) -> WechatConfig {
    WechatConfig::new(wx.base_url(), vec![demo_app()])
}

/// wx.login() + code2Session for WeChat user `user` at the emulator, then a stored session
/// holding the key WeChat returned. Returns (public id, openid, session_key).
pub async fn real_login(
    store: &Store,
    wx: &EmulatorHandle,
    user: &str,
) -> (String, String, Secret) {
    let acct = account(store, user).await;
    let client = WechatClient::new(emulator_wechat(wx)).expect("a WeChat client");
    let code = wx.mint(DEMO_APPID, user).expect("mint a code");
    let s = client
        .code2session(DEMO_APPID, &code)
        .await
        .expect("code2Session");
    let ns = new_session(&Login::new(DEMO_APPID, &s.openid), &s.session_key);
    let LoginOutcome::Issued(issued) = store
        .bind_and_login(&data_key(), acct.id, &ns)
        .await
        .expect("login")
    else {
        panic!("expected a session");
    };
    (issued.public_id, s.openid, s.session_key)
}

/// The session_key stored for a session, decrypted with the test data key.
pub async fn stored_key(store: &Store, public_id: &str) -> Secret {
    store
        .session_key(&data_key(), public_id)
        .await
        .expect("read the session_key")
        .expect("the session exists")
        .session_key
        .expect("the key decrypts")
}
