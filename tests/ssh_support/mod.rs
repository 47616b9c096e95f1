//! The SSH door under test: the real `wxlogin ssh-server` binary on a temporary SQLite
//! database, and an in-process russh client. Every wait is bounded.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};
use russh::keys::ssh_key::{LineEnding, PublicKey};
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{ChannelMsg, client};

pub const WAIT: Duration = Duration::from_secs(30);

/// A deterministic ed25519 key (different seeds, different operators).
pub fn key(seed: u8) -> PrivateKey {
    let pair = Ed25519Keypair::from_seed(&[seed; 32]);
    PrivateKey::new(KeypairData::Ed25519(pair), format!("op{seed}@test")).expect("key")
}

pub fn public_line(k: &PrivateKey) -> String {
    k.public_key().to_openssh().expect("openssh")
}

pub fn fingerprint(k: &PublicKey) -> String {
    k.fingerprint(HashAlg::Sha256).to_string()
}

/// `[[operators]]` entries for (name, role, key).
pub fn operators_toml(ops: &[(&str, &str, &PrivateKey)]) -> String {
    ops.iter()
        .map(|(n, r, k)| {
            format!(
                "[[operators]]\nname = \"{n}\"\nrole = \"{r}\"\nkeys = [\"{}\"]\n\n",
                public_line(k)
            )
        })
        .collect()
}

pub struct Door {
    pub child: Child,
    pub addr: SocketAddr,
    pub fingerprint: String,
    pub dir: tempfile::TempDir,
    pub stderr: Arc<Mutex<String>>,
}

impl Door {
    /// Starts `wxlogin ssh-server` on a free port with this operators file.
    pub fn start(db_url: &str, operators: &str, extra: &[&str]) -> Door {
        let dir = tempfile::tempdir().expect("tempdir");
        let ops_path = dir.path().join("operators.toml");
        std::fs::write(&ops_path, operators).expect("write operators");
        // The door refuses an operators file others can write, whatever the umask.
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&ops_path, std::fs::Permissions::from_mode(0o600))
                .expect("chmod operators");
        }
        // `WXLOGIN_TEST_BIN` when set: a pinned copy of this worktree's build (a target
        // directory shared between worktrees may hold another one's binary).
        let bin = std::env::var_os("WXLOGIN_TEST_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_wxlogin").into());
        let mut child = Command::new(bin)
            .arg("--database-url")
            .arg(db_url)
            .arg("ssh-server")
            .args(["--listen", "127.0.0.1:0"])
            .arg("--host-key")
            .arg(dir.path().join("host_key"))
            .arg("--operators")
            .arg(dir.path().join("operators.toml"))
            .args(extra)
            .env_remove("NO_COLOR")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wxlogin ssh-server");
        let stderr = Arc::new(Mutex::new(String::new()));
        {
            let err = child.stderr.take().expect("stderr");
            let log = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    let mut l = log.lock().expect("log");
                    l.push_str(&line);
                    l.push('\n');
                }
            });
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut fingerprint = String::new();
        let addr = loop {
            let line = match rx.recv_timeout(WAIT) {
                Ok(l) => l,
                Err(_) => panic!(
                    "ssh-server did not start; stderr:\n{}",
                    stderr.lock().expect("log")
                ),
            };
            if let Some(fp) = line.strip_prefix("host key fingerprint: ") {
                fingerprint = fp.trim().to_owned();
            }
            if let Some(rest) = line.strip_prefix("listening on ") {
                break rest
                    .split_whitespace()
                    .next()
                    .expect("addr")
                    .parse()
                    .expect("socket addr");
            }
        };
        Door {
            child,
            addr,
            fingerprint,
            dir,
            stderr,
        }
    }

    pub fn operators_path(&self) -> PathBuf {
        self.dir.path().join("operators.toml")
    }

    pub fn host_key_path(&self) -> PathBuf {
        self.dir.path().join("host_key")
    }

    pub fn log(&self) -> String {
        self.stderr.lock().expect("log").clone()
    }

    /// Waits until the server's log contains `text`.
    pub fn wait_log(&self, text: &str) -> String {
        self.wait_log_line(text, |l| l.contains(text))
    }

    /// Waits until one line of the server's log satisfies `line` (`what` names it in the
    /// panic). The log is read from the server's stderr by another thread, so a line the
    /// server wrote before the client saw an event may reach [`Door::log`] a moment after it:
    /// assertions on the log wait for their line rather than read it once.
    pub fn wait_log_line(&self, what: &str, line: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let log = self.log();
            if log.lines().any(&line) {
                return log;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what} in the log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill -{sig}");
    }

    pub fn alive(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    pub async fn connect(&self) -> client::Handle<Client> {
        let config = Arc::new(client::Config::default());
        tokio::time::timeout(WAIT, client::connect(config, self.addr, Client::default()))
            .await
            .expect("connect in time")
            .expect("connect")
    }

    /// A connection authenticated with `key`.
    pub async fn login(&self, key: &PrivateKey) -> client::Handle<Client> {
        let mut h = self.connect().await;
        let ok = tokio::time::timeout(
            WAIT,
            h.authenticate_publickey(
                "whoever",
                PrivateKeyWithHashAlg::new(Arc::new(key.clone()), None),
            ),
        )
        .await
        .expect("auth in time")
        .expect("auth");
        assert!(ok.success(), "key refused; log:\n{}", self.log());
        h
    }
}

impl Drop for Door {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The client side: records the host key it was shown.
#[derive(Default)]
pub struct Client {
    pub host_key: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Client {
    type Error = russh::Error;
    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        if let PublicKeyOrCertificate::PublicKey { key, .. } = key {
            *self.host_key.lock().expect("lock") = Some(fingerprint(key));
        }
        Ok(true)
    }
}

/// What an exec request gave back.
#[derive(Debug, Default)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub status: Option<u32>,
}

/// Runs one command through the door, with `stdin` sent then EOF.
pub async fn exec(h: &client::Handle<Client>, line: &str, stdin: &[u8]) -> Output {
    let mut ch = h.channel_open_session().await.expect("open session");
    ch.exec(true, line).await.expect("exec");
    if !stdin.is_empty() {
        ch.data(stdin).await.expect("stdin");
    }
    ch.eof().await.expect("eof");
    let mut out = Output::default();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let msg = tokio::time::timeout_at(deadline, ch.wait())
            .await
            .unwrap_or_else(|_| panic!("exec {line:?} timed out: {out:?}"));
        match msg {
            Some(ChannelMsg::Data { data }) => out.stdout.push_str(&String::from_utf8_lossy(&data)),
            Some(ChannelMsg::ExtendedData { data, .. }) => {
                out.stderr.push_str(&String::from_utf8_lossy(&data))
            }
            Some(ChannelMsg::ExitStatus { exit_status }) => out.status = Some(exit_status),
            Some(ChannelMsg::Close) | None => break,
            Some(_) => {}
        }
    }
    out
}

/// An interactive console over a channel, read through a terminal emulator.
pub struct Screen {
    pub ch: russh::Channel<client::Msg>,
    pub parser: vt100::Parser,
    pub status: Option<u32>,
    pub closed: bool,
}

impl Screen {
    pub async fn open(
        h: &client::Handle<Client>,
        cols: u16,
        rows: u16,
        env: &[(&str, &str)],
    ) -> Screen {
        let ch = h.channel_open_session().await.expect("open session");
        for (k, v) in env {
            ch.set_env(true, *k, *v).await.expect("env");
        }
        ch.request_pty(true, "xterm-256color", cols as u32, rows as u32, 0, 0, &[])
            .await
            .expect("pty");
        ch.request_shell(true).await.expect("shell");
        Screen {
            ch,
            parser: vt100::Parser::new(rows, cols, 0),
            status: None,
            closed: false,
        }
    }

    pub fn text(&self) -> String {
        self.parser.screen().contents()
    }

    /// Reads until the screen satisfies `ok` (or panics with the last screen).
    pub async fn wait_for(&mut self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let text = self.text();
            if ok(&text) {
                return text;
            }
            if self.closed {
                panic!("channel closed waiting for {what}; screen:\n{text}");
            }
            match tokio::time::timeout_at(deadline, self.ch.wait()).await {
                Err(_) => panic!("timed out waiting for {what}; screen:\n{text}"),
                Ok(msg) => self.apply(msg),
            }
        }
    }

    fn apply(&mut self, msg: Option<ChannelMsg>) {
        match msg {
            Some(ChannelMsg::Data { data }) => self.parser.process(&data),
            Some(ChannelMsg::ExitStatus { exit_status }) => self.status = Some(exit_status),
            Some(ChannelMsg::Close) | None => self.closed = true,
            Some(_) => {}
        }
    }

    /// Reads until the channel closes.
    pub async fn wait_closed(&mut self) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !self.closed {
            match tokio::time::timeout_at(deadline, self.ch.wait()).await {
                Err(_) => panic!("channel did not close; screen:\n{}", self.text()),
                Ok(msg) => self.apply(msg),
            }
        }
    }

    pub async fn send(&self, bytes: &[u8]) {
        self.ch.data(bytes).await.expect("send keys");
    }

    pub async fn resize(&mut self, cols: u16, rows: u16) {
        self.ch
            .window_change(cols as u32, rows as u32, 0, 0)
            .await
            .expect("window-change");
        self.parser.screen_mut().set_size(rows, cols);
    }
}

pub fn write_private_key(dir: &Path, k: &PrivateKey) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(format!(
        "id_{}",
        k.public_key()
            .fingerprint(HashAlg::Sha256)
            .to_string()
            .replace([':', '/', '+'], "_")
    ));
    std::fs::write(&p, k.to_openssh(LineEnding::LF).expect("encode").as_bytes())
        .expect("write key");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    p
}

/// Whether `tool ARG` runs and succeeds (`ssh -V`, `tmux -V`): a test skips when it does not.
pub fn have(tool: &str, arg: &str) -> bool {
    Command::new(tool)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The OpenSSH client options that reach `door` with the private key in `key` and nothing
/// else from the environment (no config file, no agent, no prompts, no known_hosts); the
/// destination and command follow.
pub fn openssh_args(door: &Door, key: &Path) -> Vec<String> {
    [
        "-F",
        "/dev/null",
        "-i",
        &key.display().to_string(),
        "-p",
        &door.addr.port().to_string(),
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "ConnectTimeout=10",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// An OpenSSH ControlMaster connection to `door` (`ssh -M -N`, in the foreground, killed on
/// drop): every [`Mux::exec`] runs as a new channel on this one connection, as
/// `ControlMaster`/`ControlPersist` users get it.
pub struct Mux {
    pub master: Child,
    pub args: Vec<String>,
    pub socket: PathBuf,
}

impl Mux {
    /// Starts the master and waits until it answers `ssh -O check`.
    pub fn start(door: &Door, key: &Path) -> Mux {
        let socket = door.dir.path().join("mux");
        let mut args = openssh_args(door, key);
        args.extend(["-o".into(), format!("ControlPath={}", socket.display())]);
        let master = Command::new("ssh")
            .args(&args)
            .args(["-o", "ControlMaster=yes", "-N", "127.0.0.1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the ssh ControlMaster");
        let mux = Mux {
            master,
            args,
            socket,
        };
        let deadline = Instant::now() + WAIT;
        while !mux.check() {
            assert!(
                Instant::now() < deadline,
                "the ControlMaster did not come up; door log:\n{}",
                door.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        mux
    }

    /// Whether the master is up (`ssh -O check`).
    pub fn check(&self) -> bool {
        Command::new("ssh")
            .args(&self.args)
            .args(["-O", "check", "127.0.0.1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// The command for `line` over the master (never a connection of its own while the master
    /// is up), at most `secs` seconds (`timeout`).
    pub fn command(&self, line: &str, secs: u32) -> Command {
        let mut c = Command::new("timeout");
        c.arg(secs.to_string())
            .arg("ssh")
            .args(&self.args)
            .args(["-o", "ControlMaster=no", "127.0.0.1", line])
            .stdin(Stdio::null());
        c
    }

    /// Runs `line` over the master with no stdin.
    pub fn exec(&self, line: &str) -> std::process::Output {
        self.command(line, 60).output().expect("run ssh")
    }

    /// Waits (bounded) for the master process to exit; whether it did.
    pub fn wait_exit(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            if self.master.try_wait().expect("try_wait").is_some() {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Mux {
    fn drop(&mut self) {
        let _ = self.master.kill();
        let _ = self.master.wait();
    }
}
