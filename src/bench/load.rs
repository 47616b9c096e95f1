//! A small closed-loop HTTP load generator: `clients` concurrent tasks, each on its own
//! keep-alive HTTP/1.1 connection, each sending its next request as soon as the previous one
//! is answered, until a deadline or a request budget is reached. Loopback only.
//!
//! It drives hyper's client connection directly rather than reqwest: the generator shares the
//! machine's cores with the server it measures (and with PostgreSQL), so every microsecond it
//! spends per request is taken from the server. reqwest's pool, redirect policy, timeout
//! wrapper and header handling cost about twice as much CPU per request as this loop
//! (measured with `perf` during GET /me: 21% of both cores vs the service's 42%).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;

use super::report::Stats;

/// One request of a load: built per request so that each can carry its own token or code.
pub type LoadRequest = Request<Full<Bytes>>;

#[derive(Debug, Clone)]
pub struct LoadResult {
    pub ok: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latency: Stats,
    /// The first failure, for the report (status and a short body).
    pub first_error: Option<String>,
}

impl LoadResult {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// ", N errors (first: …)" for a table cell, or nothing when there were none.
    pub fn errors_text(&self) -> String {
        if self.errors == 0 {
            return String::new();
        }
        format!(
            ", {} errors (first: {})",
            self.errors,
            self.first_error.clone().unwrap_or_default()
        )
    }
}

/// Refuses anything but a loopback base URL: this tool must never load someone else's server.
pub fn check_loopback(base_url: &str) -> anyhow::Result<()> {
    let u = url::Url::parse(base_url)?;
    match u.host() {
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => Ok(()),
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => Ok(()),
        Some(url::Host::Domain("localhost")) => Ok(()),
        _ => anyhow::bail!("load tests run against loopback only, not {base_url}"),
    }
}

/// A reqwest client for the few one-off requests around a load (readiness checks).
pub fn client(clients: u32) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .pool_max_idle_per_host(clients as usize)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(10))
        .build()?)
}

/// `GET path` with `Authorization: Bearer token`.
pub fn get_bearer(path: &str, token: &str) -> LoadRequest {
    let mut r = Request::get(path)
        .header(HOST, "127.0.0.1")
        .body(Full::new(Bytes::new()))
        .expect("a valid request");
    if let Ok(v) = format!("Bearer {token}").parse() {
        r.headers_mut().insert(AUTHORIZATION, v);
    }
    r
}

/// `POST path` with a JSON body.
pub fn post_json(path: &str, body: &serde_json::Value) -> LoadRequest {
    Request::post(path)
        .header(HOST, "127.0.0.1")
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a valid request")
}

/// Runs the load against `base_url` (scheme, host and port; the requests carry the path).
/// `request(n)` builds the n-th request (n counts from 0 over all clients). A response with a
/// 2xx status counts as ok; a request that takes longer than 10 s fails the run.
pub async fn run<F>(
    base_url: &str,
    clients: u32,
    duration: Duration,
    max_requests: u64,
    request: F,
) -> anyhow::Result<LoadResult>
where
    F: Fn(u64) -> LoadRequest + Send + Sync + 'static,
{
    run_until(
        base_url,
        clients,
        duration,
        max_requests,
        Arc::new(AtomicBool::new(false)),
        request,
    )
    .await
}

/// [`run`] that also ends as soon as `stop` is set (the end of what the load runs beside).
pub async fn run_until<F>(
    base_url: &str,
    clients: u32,
    duration: Duration,
    max_requests: u64,
    stop: Arc<AtomicBool>,
    request: F,
) -> anyhow::Result<LoadResult>
where
    F: Fn(u64) -> LoadRequest + Send + Sync + 'static,
{
    run_spread(&[base_url], clients, duration, max_requests, stop, request).await
}

/// [`run_until`] over several instances: client `i` sends its requests to
/// `base_urls[i % base_urls.len()]`, so the load is spread evenly over them.
pub async fn run_spread<F>(
    base_urls: &[&str],
    clients: u32,
    duration: Duration,
    max_requests: u64,
    stop: Arc<AtomicBool>,
    request: F,
) -> anyhow::Result<LoadResult>
where
    F: Fn(u64) -> LoadRequest + Send + Sync + 'static,
{
    let mut addrs = Vec::with_capacity(base_urls.len());
    for base_url in base_urls {
        check_loopback(base_url)?;
        let u = url::Url::parse(base_url)?;
        addrs.push(
            u.socket_addrs(|| Some(80))?
                .into_iter()
                .next()
                .context("the base URL names no address")?,
        );
    }
    anyhow::ensure!(!addrs.is_empty(), "no instance to send the load to");
    let request = Arc::new(request);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for i in 0..clients {
        let addr = addrs[i as usize % addrs.len()];
        let request = request.clone();
        let next = next.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .context("HTTP handshake")?;
            let driver = tokio::spawn(conn);
            let mut lat = Vec::with_capacity(4096);
            let mut errors = 0u64;
            let mut first_error = None;
            loop {
                if Instant::now() >= deadline || stop.load(Ordering::Relaxed) {
                    break;
                }
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= max_requests {
                    break;
                }
                let req = request(n);
                let t = Instant::now();
                let answer = tokio::time::timeout(Duration::from_secs(10), async {
                    send.ready().await?;
                    let resp = send.send_request(req).await?;
                    let status = resp.status();
                    let body = resp.into_body().collect().await?.to_bytes();
                    Ok::<_, hyper::Error>((status, body))
                })
                .await
                .context("a request took longer than 10 s")?;
                match answer {
                    Ok((status, _)) if status.is_success() => lat.push(t.elapsed()),
                    Ok((status, body)) => {
                        errors += 1;
                        if first_error.is_none() {
                            let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
                            first_error = Some(format!("HTTP {status}: {text}"));
                        }
                    }
                    Err(e) => {
                        // The connection is gone: report it rather than spin on it.
                        errors += 1;
                        first_error.get_or_insert_with(|| e.to_string());
                        break;
                    }
                }
            }
            driver.abort();
            Ok::<_, anyhow::Error>((lat, errors, first_error))
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for t in tasks {
        let (lat, e, fe) = t.await??;
        all.extend(lat);
        errors += e;
        if first_error.is_none() {
            first_error = fe;
        }
    }
    let elapsed = started.elapsed();
    Ok(LoadResult {
        ok: all.len() as u64,
        errors,
        elapsed,
        latency: Stats::from(all),
        first_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets_are_accepted() {
        assert!(check_loopback("http://127.0.0.1:8080").is_ok());
        assert!(check_loopback("http://localhost:1/x").is_ok());
        assert!(check_loopback("http://[::1]:80").is_ok());
        assert!(check_loopback("http://10.0.0.1:80").is_err());
        assert!(check_loopback("https://api.weixin.qq.com").is_err());
    }
}
