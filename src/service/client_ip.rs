//! Which address a request comes from.
//!
//! Without configuration it is the TCP peer. Behind a reverse proxy, `[service]
//! trusted_ip_header` names the header the proxy sets (`X-Forwarded-For`, `X-Real-IP`, or RFC 7239
//! `Forwarded`). Only the **right-most** entry of the **last** occurrence of that header is used:
//! it is the one the proxy next to us appended; everything to its left was sent by the client
//! and can be forged. (With several proxies in a chain, configure the outermost one to
//! overwrite the header rather than append.) A header that is missing or does not parse falls
//! back to the TCP peer.
//!
//! Only name a header when every request really passes through a proxy that sets it: otherwise
//! clients choose their own address and dodge the per-address login limit. `wxlogin serve`
//! refuses to start with a header and no `trusted_proxies`.

use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, HeaderName};

use super::rate_limit::Cidr;

/// The header to believe for this connection: the configured one when `proxies` lists the TCP
/// peer, or is empty (only in-process: `wxlogin serve` refuses a header without proxies);
/// otherwise none (the peer's own address counts).
pub fn trusted_header<'a>(
    header: &'a Option<HeaderName>,
    proxies: &[Cidr],
    peer: SocketAddr,
) -> Option<&'a HeaderName> {
    header
        .as_ref()
        .filter(|_| proxies.is_empty() || proxies.iter().any(|c| c.contains(peer.ip())))
}

/// The client address of a request.
pub fn client_ip(headers: &HeaderMap, peer: SocketAddr, trusted: Option<&HeaderName>) -> IpAddr {
    trusted
        .and_then(|name| headers.get_all(name).iter().next_back())
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let last = v.rsplit(',').next()?.trim();
            if trusted.is_some_and(|n| n.as_str() == "forwarded") {
                parse_forwarded_for(last)
            } else {
                parse_addr(last)
            }
        })
        .unwrap_or_else(|| peer.ip())
}

/// `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1`, `[2001:db8::1]:4711`.
fn parse_addr(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    s.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.parse().ok())
}

/// The `for=` parameter of one RFC 7239 element, e.g. `for=192.0.2.60;proto=http`.
fn parse_forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("for") {
            parse_addr(v)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn peer() -> SocketAddr {
        "127.0.0.1:5000".parse().unwrap()
    }

    fn headers(name: &'static str, values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(name, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn without_a_trusted_header_the_peer_address_is_used() {
        let h = headers("x-forwarded-for", &["203.0.113.7"]);
        assert_eq!(client_ip(&h, peer(), None), peer().ip());
    }

    #[test]
    fn the_right_most_entry_of_the_last_header_wins() {
        let name = HeaderName::from_static("x-forwarded-for");
        let h = headers(
            "x-forwarded-for",
            &["1.1.1.1, 2.2.2.2", "6.6.6.6, 203.0.113.7"],
        );
        assert_eq!(
            client_ip(&h, peer(), Some(&name)),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        let h = headers("x-forwarded-for", &["[2001:db8::5]:443"]);
        assert_eq!(
            client_ip(&h, peer(), Some(&name)),
            "2001:db8::5".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn garbage_or_missing_headers_fall_back_to_the_peer() {
        let name = HeaderName::from_static("x-forwarded-for");
        let h = headers("x-forwarded-for", &["'; DROP TABLE sessions;--"]);
        assert_eq!(client_ip(&h, peer(), Some(&name)), peer().ip());
        assert_eq!(
            client_ip(&HeaderMap::new(), peer(), Some(&name)),
            peer().ip()
        );
    }

    #[test]
    fn the_header_is_believed_only_from_a_listed_proxy() {
        let name = Some(HeaderName::from_static("x-forwarded-for"));
        let proxies = [Cidr::parse("10.0.0.0/8").unwrap()];
        let h = headers("x-forwarded-for", &["203.0.113.7"]);
        let from_proxy: SocketAddr = "10.1.2.3:40000".parse().unwrap();
        let direct: SocketAddr = "198.51.100.9:40000".parse().unwrap();
        assert_eq!(
            client_ip(&h, from_proxy, trusted_header(&name, &proxies, from_proxy)),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_ip(&h, direct, trusted_header(&name, &proxies, direct)),
            direct.ip()
        );
        // No list: every peer is believed (in-process only; `serve` refuses to start so).
        assert_eq!(
            client_ip(&h, direct, trusted_header(&name, &[], direct)),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn rfc7239_forwarded_is_understood() {
        let name = HeaderName::from_static("forwarded");
        let h = headers(
            "forwarded",
            &["for=198.51.100.1, for=\"[2001:db8:cafe::17]:4711\";proto=https"],
        );
        assert_eq!(
            client_ip(&h, peer(), Some(&name)),
            "2001:db8:cafe::17".parse::<IpAddr>().unwrap()
        );
    }
}
