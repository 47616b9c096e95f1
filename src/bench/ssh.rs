//! The SSH door's costs (issue 12): many consoles on one `wxlogin ssh-server`, and a headless
//! command through the real OpenSSH client against the same command run locally.
//!
//! The door runs as a child process of the bench on the bench's seeded database, with its own
//! host key, operators file and config file in a scratch directory. Consoles are russh clients
//! in this process; each reads its screen through a terminal emulator (vt100), which is how a
//! keystroke's redraw is told apart from the clock ticks the console also draws.

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use russh::keys::ssh_key::LineEnding;
use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{ChannelMsg, client};

use super::report::{ScratchDir, Stats, fmt_ms};
use super::{Ctx, Row, run_self};

/// Consoles open at once on the one server.
const CONSOLES: usize = 20;
const COLS: u16 = 120;
const ROWS: u16 = 40;
/// Every frame the console draws ends with this (ratatui hides the cursor after each draw when
/// no prompt shows one): the end marker of a redraw on the wire.
const FRAME_END: &[u8] = b"\x1b[?25l";
/// A keystroke whose redraw has not arrived by then counts as this long (and fails the row).
const KEY_TIMEOUT: Duration = Duration::from_secs(5);
const PGDN: &[u8] = b"\x1b[6~";
/// The server's memory target, in bytes.
const RSS_TARGET: f64 = 150e6;

/// The door's rows for one backend.
pub async fn rows(ctx: &Ctx<'_>) -> Vec<Row> {
    let consoles_op = format!(
        "ssh door: {CONSOLES} concurrent consoles ({COLS}x{ROWS}) paging sessions (PgDn, j, j …), key to frame on the wire"
    );
    let rss_op = format!("ssh door: server resident memory with {CONSOLES} consoles paging");
    let exec_op = "`ssh door sessions list --json` (OpenSSH, whole process) vs `wxlogin sessions list --json` locally";
    let door = match DoorChild::start(&ctx.url) {
        Ok(d) => d,
        Err(e) => {
            let why = format!("{e:#}");
            return vec![
                Row::not_measured(ctx.label, consoles_op, "p99 ≤ 50 ms", why.clone()),
                Row::not_measured(ctx.label, rss_op, "≤ 150 MB", why.clone()),
                Row::not_measured(ctx.label, exec_op, "≤ 2.0×", why),
            ];
        }
    };
    let mut rows = Vec::new();
    let keys = if ctx.args.quick { 30 } else { 100 };
    match consoles(&door, keys).await {
        Ok(run) => {
            let s = &run.latency;
            rows.push(Row::new(
                ctx.label,
                consoles_op,
                "p99 ≤ 50 ms",
                format!(
                    "p99 {} (median {}, max {}, n={} keys; {}){}",
                    fmt_ms(s.p99),
                    fmt_ms(s.median),
                    fmt_ms(s.max),
                    s.n,
                    run.breakdown(),
                    if run.timeouts > 0 {
                        format!(
                            ", {} keys without a redraw in {KEY_TIMEOUT:?}",
                            run.timeouts
                        )
                    } else {
                        String::new()
                    }
                ),
                s.p99 <= Duration::from_millis(50) && run.timeouts == 0,
            ));
            let peak = run.hwm_kib as f64 * 1024.0;
            rows.push(Row::new(
                ctx.label,
                rss_op,
                "≤ 150 MB",
                format!(
                    "peak {:.1} MB (VmHWM), now {:.1} MB (VmRSS, {CONSOLES} consoles open)",
                    peak / 1e6,
                    run.rss_kib as f64 * 1024.0 / 1e6
                ),
                peak <= RSS_TARGET,
            ));
        }
        Err(e) => {
            let why = format!("{e:#}\n{}", door.log_tail());
            rows.push(Row::not_measured(
                ctx.label,
                consoles_op,
                "p99 ≤ 50 ms",
                why.clone(),
            ));
            rows.push(Row::not_measured(ctx.label, rss_op, "≤ 150 MB", why));
        }
    }
    if !have_ssh() {
        rows.push(Row::not_measured(
            ctx.label,
            exec_op,
            "≤ 2.0×",
            "skipped: no ssh client",
        ));
    } else {
        match exec_vs_local(ctx, &door).await {
            Ok(r) => rows.extend(r),
            Err(e) => rows.push(Row::not_measured(
                ctx.label,
                exec_op,
                "≤ 2.0×",
                format!("{e:#}"),
            )),
        }
    }
    rows
}

/// `wxlogin ssh-server` as a child process, and what the clients need to reach it.
struct DoorChild {
    child: Child,
    addr: SocketAddr,
    dir: ScratchDir,
    operator_key: PrivateKey,
    host_key_line: String,
}

impl DoorChild {
    fn start(db_url: &str) -> anyhow::Result<DoorChild> {
        let dir = ScratchDir::new("wxlogin-bench-ssh.")?;
        let host_key_path = dir.path().join("host_key");
        let (host_key, _) = crate::ssh::keys::load_or_create_host_key(&host_key_path)
            .map_err(|e| anyhow::anyhow!(e))?;
        let host_key_line = host_key.public_key().to_openssh()?;
        let pair = Ed25519Keypair::from_seed(&rand::random::<[u8; 32]>());
        let operator_key = PrivateKey::new(KeypairData::Ed25519(pair), "bench@wxlogin")?;
        let operators = format!(
            "[[operators]]\nname = \"bench\"\nrole = \"viewer\"\nkeys = [\"{}\"]\n",
            operator_key.public_key().to_openssh()?
        );
        std::fs::write(dir.path().join("operators.toml"), operators)?;
        // The door refuses an operators file others can write, whatever the umask.
        std::fs::set_permissions(
            dir.path().join("operators.toml"),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )?;
        // No periodic refresh: the only redraws besides the clock ticks are the keys'.
        std::fs::write(
            dir.path().join("config.toml"),
            "[console]\nrefresh_secs = 0\n",
        )?;
        let log = std::fs::File::create(dir.path().join("server.log"))?;
        let mut child = Command::new(std::env::current_exe()?)
            .arg("--database-url")
            .arg(db_url)
            .arg("--config")
            .arg(dir.path().join("config.toml"))
            .arg("ssh-server")
            .args(["--listen", "127.0.0.1:0"])
            .arg("--host-key")
            .arg(&host_key_path)
            .arg("--operators")
            .arg(dir.path().join("operators.toml"))
            .env_remove("NO_COLOR")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("start wxlogin ssh-server")?;
        let out = child.stdout.take().context("ssh-server stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut door = DoorChild {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            dir,
            operator_key,
            host_key_line,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).map_err(|_| {
                anyhow::anyhow!("ssh-server did not start listening: {}", door.log_tail())
            })?;
            if let Some(rest) = line.strip_prefix("listening on ") {
                door.addr = rest
                    .split_whitespace()
                    .next()
                    .context("listen address")?
                    .parse()
                    .context("listen address")?;
                return Ok(door);
            }
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(5)..].join("\n")
    }

    /// A console client's connection, from its own loopback address (127.0.0.N), so that the
    /// door's per-address connection rate limit sees each client as one operator's machine.
    async fn login(&self, from: Ipv4Addr) -> anyhow::Result<client::Handle<Client>> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(IpAddr::V4(from), 0))?;
        let stream = tokio::time::timeout(KEY_TIMEOUT, socket.connect(self.addr))
            .await
            .context("connect timed out")??;
        stream.set_nodelay(true)?;
        let config = Arc::new(client::Config::default());
        let mut h = client::connect_stream(config, stream, Client).await?;
        let auth = h
            .authenticate_publickey(
                "bench",
                PrivateKeyWithHashAlg::new(Arc::new(self.operator_key.clone()), None),
            )
            .await?;
        anyhow::ensure!(auth.success(), "the door refused the bench's key");
        Ok(h)
    }
}

impl Drop for DoorChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bench's client: it trusts the host key it generated itself.
struct Client;

impl client::Handler for Client {
    type Error = russh::Error;
    async fn check_server_key(
        &mut self,
        _key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

struct ConsolesRun {
    latency: Stats,
    /// The same keys split by whether their redraw waited for rows from the database (the
    /// screen said "loading" before it settled) or came from the rows the console held.
    fetched: Stats,
    held: Stats,
    timeouts: usize,
    hwm_kib: u64,
    rss_kib: u64,
}

impl ConsolesRun {
    /// Where the tail is: the keys that waited for a page vs the ones drawn from memory.
    fn breakdown(&self) -> String {
        format!(
            "keys that waited for rows p99 {} (n={}), the others p99 {} (n={})",
            fmt_ms(self.fetched.p99),
            self.fetched.n,
            fmt_ms(self.held.p99),
            self.held.n
        )
    }
}

/// One key's time from send to its redraw, and whether the redraw waited for rows.
type KeyTime = (Duration, bool);

/// Opens [`CONSOLES`] consoles at once and has each press `keys` keys, one after the other
/// (each waits for its redraw), all consoles at the same time.
async fn consoles(door: &DoorChild, keys: usize) -> anyhow::Result<ConsolesRun> {
    let mut tasks = Vec::with_capacity(CONSOLES);
    let start = Arc::new(tokio::sync::Barrier::new(CONSOLES));
    for i in 0..CONSOLES {
        let h = door.login(Ipv4Addr::new(127, 0, 0, 10 + i as u8)).await?;
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            let r = one_console(&h, keys, &start).await;
            (r, h)
        }));
    }
    let mut latencies: Vec<KeyTime> = Vec::with_capacity(CONSOLES * keys);
    let mut timeouts = 0;
    let mut handles = Vec::new();
    let mut first_error = None;
    for t in tasks {
        let (r, h) = t.await?;
        handles.push(h);
        match r {
            Ok((v, n)) => {
                latencies.extend(v);
                timeouts += n;
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    // Memory while all the consoles are still open, before any of them quits.
    let (hwm_kib, rss_kib) =
        memory_kib(door.pid()).context("cannot read the server's /proc status")?;
    drop(handles);
    if let Some(e) = first_error {
        return Err(e);
    }
    let split = |fetched: bool| {
        Stats::from(
            latencies
                .iter()
                .filter(|k| k.1 == fetched)
                .map(|k| k.0)
                .collect(),
        )
    };
    Ok(ConsolesRun {
        fetched: split(true),
        held: split(false),
        latency: Stats::from(latencies.iter().map(|k| k.0).collect()),
        timeouts,
        hwm_kib,
        rss_kib,
    })
}

/// One console: waits for the sessions view, then presses PgDn, j, j, PgDn … and times each
/// key from the moment it was sent to the arrival of the last byte of the redraw it caused.
async fn one_console(
    h: &client::Handle<Client>,
    keys: usize,
    start: &tokio::sync::Barrier,
) -> anyhow::Result<(Vec<KeyTime>, usize)> {
    let mut ch = h.channel_open_session().await?;
    ch.request_pty(true, "xterm-256color", COLS.into(), ROWS.into(), 0, 0, &[])
        .await?;
    ch.request_shell(true).await?;
    let mut screen = vt100::Parser::new(ROWS, COLS, 0);
    // The first screen: the list's position shows and nothing is loading.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut tail = Vec::new();
    loop {
        read_some(&mut ch, &mut screen, &mut tail, deadline)
            .await
            .context("waiting for the sessions view")?;
        let text = screen.screen().contents();
        if tail.ends_with(FRAME_END) && settled(&text) && position(&text).is_some() {
            break;
        }
    }
    start.wait().await;
    let mut times = Vec::with_capacity(keys);
    let mut timeouts = 0;
    for k in 0..keys {
        let before = position(&screen.screen().contents());
        let key: &[u8] = if k % 3 == 0 { PGDN } else { b"j" };
        tail.clear();
        let sent = Instant::now();
        ch.data(key).await?;
        let deadline = sent + KEY_TIMEOUT;
        let mut waited = false;
        loop {
            match read_some(&mut ch, &mut screen, &mut tail, deadline).await {
                Ok(at) => {
                    let text = screen.screen().contents();
                    let now = position(&text);
                    waited |= !settled(&text);
                    if tail.ends_with(FRAME_END) && settled(&text) && now.is_some() && now != before
                    {
                        times.push((at - sent, waited));
                        break;
                    }
                }
                Err(_) => {
                    times.push((KEY_TIMEOUT, waited));
                    timeouts += 1;
                    break;
                }
            }
        }
    }
    let _ = ch.data(&b"q"[..]).await;
    Ok((times, timeouts))
}

/// Reads the next data from the channel into the emulator; returns when it arrived.
async fn read_some(
    ch: &mut russh::Channel<client::Msg>,
    screen: &mut vt100::Parser,
    tail: &mut Vec<u8>,
    deadline: Instant,
) -> anyhow::Result<Instant> {
    loop {
        let msg = tokio::time::timeout_at(deadline.into(), ch.wait())
            .await
            .context("no redraw in time")?;
        match msg {
            Some(ChannelMsg::Data { data }) => {
                let at = Instant::now();
                screen.process(&data);
                // Only the end matters: keep the last bytes, enough for the marker.
                tail.extend_from_slice(&data);
                if tail.len() > 64 {
                    tail.drain(..tail.len() - 64);
                }
                return Ok(at);
            }
            Some(ChannelMsg::Close) | Some(ChannelMsg::Eof) | None => {
                anyhow::bail!("the console closed")
            }
            Some(_) => {}
        }
    }
}

/// Nothing on the screen says it is still loading.
fn settled(text: &str) -> bool {
    !text.contains("loading")
}

/// The list's position ("1,234/20,000" in its title): the row the selection is on.
fn position(text: &str) -> Option<u64> {
    for (i, _) in text.match_indices('/') {
        let head = &text[..i];
        let digits = head
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit() || *c == ',')
            .count();
        let start = i - digits;
        let after = text[i + 1..].chars().next();
        let before_ok = head[..start].ends_with(' ');
        let after_ok = after.is_some_and(|c| c.is_ascii_digit() || c == '…');
        if digits > 0 && before_ok && after_ok {
            return head[start..].replace(',', "").parse().ok();
        }
    }
    None
}

/// (VmHWM, VmRSS) of a process, in KiB.
fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

fn have_ssh() -> bool {
    Command::new("ssh")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `ssh BASE ARGS` once and returns its wall time and stdout; fails unless it exits with
/// `status`.
fn time_ssh(base: &[String], args: &[&str], status: i32) -> anyhow::Result<(Duration, Vec<u8>)> {
    let t = Instant::now();
    let out = Command::new("ssh")
        .args(base)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("run ssh")?;
    let took = t.elapsed();
    anyhow::ensure!(
        out.status.code() == Some(status),
        "ssh … {} exited with {} (expected {status}): {}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok((took, out.stdout))
}

/// `ssh … sessions list --json` through the door vs `wxlogin sessions list --json` locally,
/// alternating, 11 runs each after one warm-up each; medians. Then two rows that say where the
/// time goes: the floor (an exec the door refuses before running anything, i.e. the OpenSSH
/// client and the connection alone) and the same command over one reused OpenSSH connection
/// (`ControlMaster`), as a runbook sending many commands would use it. Each set comes from its
/// own loopback address, so the door's per-address connection rate does not refuse any.
async fn exec_vs_local(ctx: &Ctx<'_>, door: &DoorChild) -> anyhow::Result<Vec<Row>> {
    let dir = door.dir.path();
    let identity = dir.join("id_ed25519");
    write_private_key(&identity, &door.operator_key)?;
    let known_hosts = dir.join("known_hosts");
    std::fs::write(
        &known_hosts,
        format!("[127.0.0.1]:{} {}\n", door.addr.port(), door.host_key_line),
    )?;
    let list_args = ssh_args(door, &identity, &known_hosts, "127.0.0.2");
    let args = ["sessions", "list", "--json"];
    let remote = || time_ssh(&list_args, &args, 0);
    // Warm-up, and the two must print the same page.
    let (_, local_out) = run_self(&ctx.url, &args)?;
    let (_, remote_out) = remote()?;
    let count = |out: &[u8]| -> anyhow::Result<usize> {
        let doc: serde_json::Value = serde_json::from_slice(out).context("JSON output")?;
        Ok(doc
            .get("sessions")
            .and_then(|s| s.as_array())
            .map(|a| a.len())
            .unwrap_or(0))
    };
    let shown = count(&local_out)?;
    anyhow::ensure!(shown > 0, "the local command listed no sessions");
    anyhow::ensure!(
        count(&remote_out)? == shown,
        "the door listed a different number of sessions than the local command"
    );
    let runs = 11;
    let mut local = Vec::with_capacity(runs);
    let mut ssh = Vec::with_capacity(runs);
    for _ in 0..runs {
        local.push(run_self(&ctx.url, &args)?.0);
        ssh.push(remote()?.0);
    }
    let local = Stats::from(local);
    let ssh = Stats::from(ssh);
    let ratio = ssh.median.as_secs_f64() / local.median.as_secs_f64().max(1e-9);
    let mut rows = vec![Row::new(
        ctx.label,
        format!(
            "`ssh door sessions list --json` (OpenSSH, BatchMode, whole process, {shown} rows) vs the same command locally"
        ),
        "≤ 2.0×",
        format!(
            "{} vs {} median of {runs} ({ratio:.2}×)",
            fmt_ms(ssh.median),
            fmt_ms(local.median)
        ),
        ratio <= 2.0,
    )];

    // The floor: `serve` is refused (exit 2) before anything runs.
    let floor_args = ssh_args(door, &identity, &known_hosts, "127.0.0.3");
    let floor = (0..runs)
        .map(|_| time_ssh(&floor_args, &["serve"], 2).map(|(t, _)| t))
        .collect::<anyhow::Result<Vec<_>>>()
        .map(Stats::from);
    // Connection reuse: one master connection, then each command a new `ssh` process on it.
    let control = dir.join("cm");
    let mut reuse_args = ssh_args(door, &identity, &known_hosts, "127.0.0.4");
    let at = reuse_args.len() - 1;
    reuse_args.splice(
        at..at,
        [
            "-o".to_owned(),
            format!("ControlPath={}", control.display()),
        ],
    );
    let master = Command::new("ssh")
        .args(&reuse_args)
        .args([
            "-o",
            "ControlMaster=yes",
            "-o",
            "ControlPersist=60",
            "-N",
            "-f",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let reused = match master {
        Ok(st) if st.success() => {
            let mut reuse_cmd = reuse_args.clone();
            reuse_cmd.splice(at..at, ["-o".to_owned(), "ControlMaster=no".to_owned()]);
            let timed = (0..runs)
                .map(|_| time_ssh(&reuse_cmd, &args, 0).map(|(t, _)| t))
                .collect::<anyhow::Result<Vec<_>>>()
                .map(Stats::from);
            let _ = Command::new("ssh")
                .args(&reuse_args)
                .args(["-O", "exit"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            timed
        }
        Ok(st) => Err(anyhow::anyhow!(
            "the OpenSSH master connection failed ({st})"
        )),
        Err(e) => Err(anyhow::anyhow!("cannot start ssh: {e}")),
    };
    let ratio_of = |s: &Stats| s.median.as_secs_f64() / local.median.as_secs_f64().max(1e-9);
    rows.push(match floor {
        Ok(f) => Row::info(
            ctx.label,
            "`ssh door serve` (refused before anything runs: the OpenSSH client and connection alone)",
            format!(
                "{} median of {runs} ({:.2}× the local command)",
                fmt_ms(f.median),
                ratio_of(&f)
            ),
        ),
        Err(e) => Row::info(ctx.label, "`ssh door serve` (refused at once)", format!("not measured: {e:#}")),
    });
    rows.push(match reused {
        Ok(r) => Row::info(
            ctx.label,
            "`ssh door sessions list --json` over one reused OpenSSH connection (ControlMaster)",
            format!(
                "{} median of {runs} ({:.2}× the local command)",
                fmt_ms(r.median),
                ratio_of(&r)
            ),
        ),
        Err(e) => Row::info(
            ctx.label,
            "`ssh door sessions list --json` over one reused OpenSSH connection (ControlMaster)",
            format!("not measured: {e:#}"),
        ),
    });
    Ok(rows)
}

fn ssh_args(door: &DoorChild, identity: &Path, known_hosts: &Path, bind: &str) -> Vec<String> {
    let opt = |s: &str| ["-o".to_owned(), s.to_owned()];
    let mut a = vec![
        "-F".to_owned(),
        "/dev/null".to_owned(),
        "-i".to_owned(),
        identity.display().to_string(),
        "-p".to_owned(),
        door.addr.port().to_string(),
        // Its own loopback address: the console clients used up 127.0.0.10 and up.
        "-b".to_owned(),
        bind.to_owned(),
    ];
    for o in [
        "IdentitiesOnly=yes".to_owned(),
        "IdentityAgent=none".to_owned(),
        "BatchMode=yes".to_owned(),
        "StrictHostKeyChecking=yes".to_owned(),
        format!("UserKnownHostsFile={}", known_hosts.display()),
        "GlobalKnownHostsFile=/dev/null".to_owned(),
        "LogLevel=ERROR".to_owned(),
        "ConnectTimeout=10".to_owned(),
    ] {
        a.extend(opt(&o));
    }
    a.push("bench@127.0.0.1".to_owned());
    a
}

fn write_private_key(path: &Path, key: &PrivateKey) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(key.to_openssh(LineEnding::LF)?.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_position_is_read_from_the_list_title_and_nothing_else() {
        let screen =
            "wxlogin · bench@ssh:127.0.0.1 · 2026-12-01\n┌ Sessions  1,234/20,000 ┐\n│ 5/s │";
        assert_eq!(position(screen), Some(1234));
        assert_eq!(position("┌ Sessions  7/… ┐"), Some(7));
        assert_eq!(position("no list here: a/b 3/x"), None);
    }
}
