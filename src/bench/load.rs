//! A small closed-loop HTTP load generator: `clients` concurrent tasks on keep-alive
//! connections, each sending its next request as soon as the previous one is answered, until a
//! deadline or a request budget is reached. Loopback only.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::report::Stats;

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

pub fn client(clients: u32) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .pool_max_idle_per_host(clients as usize)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(10))
        .build()?)
}

/// Runs the load. `request(client, n)` builds the n-th request (n counts from 0 over all
/// clients). A response with a 2xx status counts as ok.
pub async fn run<F>(
    base_url: &str,
    clients: u32,
    duration: Duration,
    max_requests: u64,
    request: F,
) -> anyhow::Result<LoadResult>
where
    F: Fn(&reqwest::Client, u64) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    check_loopback(base_url)?;
    let http = client(clients)?;
    let request = Arc::new(request);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let http = http.clone();
        let request = request.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(4096);
            let mut errors = 0u64;
            let mut first_error = None;
            loop {
                if Instant::now() >= deadline {
                    break;
                }
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= max_requests {
                    break;
                }
                let req = request(&http, n);
                let t = Instant::now();
                match req.send().await {
                    Ok(resp) => {
                        let status = resp.status();
                        let body = resp.bytes().await;
                        if status.is_success() && body.is_ok() {
                            lat.push(t.elapsed());
                        } else {
                            errors += 1;
                            if first_error.is_none() {
                                let text = body
                                    .map(|b| {
                                        String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned()
                                    })
                                    .unwrap_or_default();
                                first_error = Some(format!("HTTP {status}: {text}"));
                            }
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        if first_error.is_none() {
                            first_error = Some(e.to_string());
                        }
                    }
                }
            }
            (lat, errors, first_error)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for t in tasks {
        let (lat, e, fe) = t.await?;
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
