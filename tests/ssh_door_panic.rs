//! A panic inside one console ends only that operator's session: the door runs in this process
//! (as `wxlogin ssh-server` runs it: [`wxlogin::ssh::Door`] and one
//! [`wxlogin::ssh::session::Connection`] per connection), with the door's test-only fault
//! injection (`Door::fault_panic_on_key`) set, which `wxlogin ssh-server` never sets.

mod common;
mod console_support;
mod ssh_support;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use russh::keys::PrivateKeyWithHashAlg;
use ssh_support::*;
use wxlogin::ssh::{Door, keys, session};

/// The key that makes a console of the test door panic.
const PANIC_KEY: char = '%';

/// Everything the door logs in this test binary (one subscriber per process).
fn log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || LogSink(sink.clone()))
            .init();
        buf
    })
    .clone()
}

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl Write for LogSink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_text() -> String {
    String::from_utf8_lossy(&log().lock().expect("log")).into_owned()
}

/// Operator names unique in this process (both backends' tests share the log).
fn unique(name: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("{name}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// The door in this process, on a free port, with the fault injection set; serves until the
/// test ends.
async fn door_in_process(
    store: &wxlogin::store::Store,
    operators: &str,
) -> (std::net::SocketAddr, tempfile::TempDir) {
    log();
    let dir = tempfile::tempdir().expect("tempdir");
    let ops = keys::Operators::parse(operators).expect("operators");
    let (host_key, _) =
        keys::load_or_create_host_key(&dir.path().join("host_key")).expect("host key");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let local_addr = listener.local_addr().expect("addr");
    let door = Arc::new(Door {
        operators: tokio::sync::watch::Sender::new(Arc::new(ops)),
        store: store.clone(),
        file: Default::default(),
        exchange: Default::default(),
        refresh: Duration::from_secs(5),
        sparkline: Default::default(),
        idle_timeout: Duration::from_secs(120),
        run: no_exec,
        fault_panic_on_key: Some(PANIC_KEY),
    });
    let mut methods = russh::MethodSet::empty();
    methods.push(russh::MethodKind::PublicKey);
    let config = Arc::new(russh::server::Config {
        methods,
        keys: vec![host_key],
        ..Default::default()
    });
    tokio::spawn(async move {
        while let Ok((socket, peer)) = listener.accept().await {
            let handler = session::Connection::new(door.clone(), peer);
            let config = config.clone();
            tokio::spawn(async move {
                if let Ok(running) = russh::server::run_stream(config, socket, handler).await {
                    let _ = running.await;
                }
            });
        }
    });
    (local_addr, dir)
}

async fn login(
    addr: std::net::SocketAddr,
    k: &russh::keys::PrivateKey,
) -> russh::client::Handle<Client> {
    let mut h = tokio::time::timeout(
        WAIT,
        russh::client::connect(Arc::new(Default::default()), addr, Client::default()),
    )
    .await
    .expect("connect in time")
    .expect("connect");
    let ok = h
        .authenticate_publickey(
            "whoever",
            PrivateKeyWithHashAlg::new(Arc::new(k.clone()), None),
        )
        .await
        .expect("auth");
    assert!(ok.success(), "key refused");
    h
}

store_test!(
    a_panic_in_one_console_ends_that_session_with_a_message_and_the_others_keep_working,
    |db| {
        let _fx = console_support::fixture_at(&db, chrono::Utc::now()).await;
        let (ana, bob) = (unique("ana"), unique("bob"));
        let (ana_key, bob_key) = (key(11), key(12));
        let (addr, _dir) = door_in_process(
            &db,
            &operators_toml(&[(&ana, "oncall", &ana_key), (&bob, "viewer", &bob_key)]),
        )
        .await;

        let ha = login(addr, &ana_key).await;
        let mut doomed = Screen::open(&ha, 100, 30, &[]).await;
        doomed
            .wait_for("ana's console", |t| t.contains(&format!("{ana}@ssh:")))
            .await;
        let hb = login(addr, &bob_key).await;
        let mut other = Screen::open(&hb, 100, 30, &[]).await;
        other
            .wait_for("bob's console", |t| t.contains(&format!("{bob}@ssh:")))
            .await;

        doomed.send(PANIC_KEY.to_string().as_bytes()).await;
        doomed.wait_closed().await;
        assert_eq!(
            doomed.status,
            Some(1),
            "exit status of the panicked console"
        );
        let said = doomed.text();
        assert!(
            said.contains("wxlogin: the console stopped: internal error (logged)."),
            "{said}"
        );
        // The operator is told, the log has the panic, and names whose console it was.
        let log = log_text();
        let line = log
            .lines()
            .find(|l| l.contains("ssh console panicked") && l.contains(&ana))
            .unwrap_or_else(|| panic!("no panic line for {ana} in the log:\n{log}"));
        assert!(line.contains("fault injection"), "{line}");

        // The other console still answers keys.
        other.send(b"?").await;
        other
            .wait_for("bob's help", |t| t.contains("any key closes"))
            .await;
        other.send(b"\x1b").await;
        assert!(!other.closed);

        // And the server takes new connections and starts new consoles.
        let hc = login(addr, &ana_key).await;
        let mut again = Screen::open(&hc, 100, 30, &[]).await;
        again
            .wait_for("a new console for ana", |t| {
                t.contains(&format!("{ana}@ssh:"))
            })
            .await;
        again.send(b"q").await;
        again.wait_closed().await;
        assert_eq!(again.status, Some(0));
    }
);

/// This test runs no exec command: any that came would be refused as a usage error.
fn no_exec(
    _argv: Vec<String>,
    _remote: wxlogin::ssh::exec::Remote,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = u8> + Send>> {
    Box::pin(async { 2 })
}
