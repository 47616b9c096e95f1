//! Who may hold one of the door's connections, and for how long without authenticating.
//!
//! A connection that has not authenticated yet costs the attacker nothing: a TCP connection and
//! a banner, then an SSH_MSG_IGNORE now and then (which keeps any inactivity timer from
//! firing). So, before authentication:
//!
//! - every connection has a deadline to authenticate ([`Limits::auth_timeout`], 25 s by
//!   default); past it the door closes it;
//! - at most [`Limits::max_unauthenticated`] connections may be unauthenticated at once (by
//!   default half of the connections): the other slots are kept for operators who have
//!   authenticated;
//! - one address (one /64 for IPv6, where a host has as many addresses as it likes) may hold at
//!   most [`Limits::max_unauthenticated_per_address`] of them; one more is refused;
//! - when the unauthenticated share (or the whole door) is full, a new connection closes the
//!   oldest unauthenticated one instead of being refused: whoever fills the door with
//!   handshakes that never finish cannot keep an operator's handshake (a fraction of a second)
//!   out, they can only make their own connections shorter.
//!
//! An authenticated connection is never closed to make room: when every slot holds an operator,
//! a new connection is refused.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

/// Default seconds a connection has to authenticate.
pub const DEFAULT_AUTH_TIMEOUT_SECS: u64 = 25;
/// Default unauthenticated connections one address (IPv4) or /64 (IPv6) may hold at once.
pub const DEFAULT_MAX_UNAUTHENTICATED_PER_ADDRESS: usize = 8;

/// The door's connection limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once, authenticated or not.
    pub max_connections: usize,
    /// Of those, how many may be unauthenticated at once (at least 1, at most
    /// `max_connections`); the rest are kept for authenticated operators.
    pub max_unauthenticated: usize,
    /// Unauthenticated connections per address (IPv4) or per /64 (IPv6).
    pub max_unauthenticated_per_address: usize,
    /// Time from accept to a successful authentication.
    pub auth_timeout: Duration,
}

impl Limits {
    /// Limits from the configured values (`None`: the default), made consistent: every count is
    /// at least 1, and the unauthenticated share at most the whole.
    pub fn new(
        max_connections: usize,
        max_unauthenticated: Option<usize>,
        per_address: Option<usize>,
        auth_timeout: Duration,
    ) -> Self {
        let max_connections = max_connections.max(1);
        let max_unauthenticated = max_unauthenticated
            .unwrap_or(max_connections / 2)
            .clamp(1, max_connections);
        Limits {
            max_connections,
            max_unauthenticated,
            max_unauthenticated_per_address: per_address
                .unwrap_or(DEFAULT_MAX_UNAUTHENTICATED_PER_ADDRESS)
                .max(1),
            auth_timeout: auth_timeout.max(Duration::from_secs(1)),
        }
    }
}

/// The key an address is counted under: the IPv4 address itself (also when it arrives as an
/// IPv4-mapped IPv6 address), or the /64 an IPv6 address is in.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Why a connection was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Its address already holds its share of unauthenticated connections.
    PerAddress { limit: usize },
    /// Every slot holds an authenticated connection.
    Full { limit: usize },
}

impl Refused {
    pub fn reason(&self) -> &'static str {
        match self {
            Refused::PerAddress { .. } => "too many unauthenticated connections from this address",
            Refused::Full { .. } => "connection limit reached",
        }
    }

    pub fn limit(&self) -> usize {
        match self {
            Refused::PerAddress { limit } | Refused::Full { limit } => *limit,
        }
    }
}

/// The door's connection accounting (one per door).
pub struct Admission {
    limits: Limits,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Connections holding a slot.
    total: usize,
    /// The unauthenticated ones, oldest first (ids only grow).
    unauthenticated: BTreeMap<u64, Pending>,
    per_address: HashMap<IpAddr, usize>,
    next_id: u64,
}

struct Pending {
    address: IpAddr,
    peer: SocketAddr,
    evict: Arc<Notify>,
}

impl State {
    /// Forgets an unauthenticated connection (it authenticated, was evicted or ended).
    fn forget(&mut self, id: u64) -> Option<Pending> {
        let p = self.unauthenticated.remove(&id)?;
        if let Some(n) = self.per_address.get_mut(&p.address) {
            *n -= 1;
            if *n == 0 {
                self.per_address.remove(&p.address);
            }
        }
        Some(p)
    }
}

impl Admission {
    pub fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Admission {
            limits,
            state: Mutex::new(State::default()),
        })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a new connection from `peer`, unauthenticated, closing the oldest unauthenticated
    /// ones if that is what makes room. Returns its ticket and the peers of the connections
    /// closed for it (for the log).
    pub fn admit(self: &Arc<Self>, peer: SocketAddr) -> Result<(Ticket, Vec<SocketAddr>), Refused> {
        let address = address_key(peer.ip());
        let mut s = self.state();
        if s.per_address.get(&address).copied().unwrap_or(0)
            >= self.limits.max_unauthenticated_per_address
        {
            return Err(Refused::PerAddress {
                limit: self.limits.max_unauthenticated_per_address,
            });
        }
        let full = |s: &State| {
            s.total >= self.limits.max_connections
                || s.unauthenticated.len() >= self.limits.max_unauthenticated
        };
        if s.total >= self.limits.max_connections && s.unauthenticated.is_empty() {
            return Err(Refused::Full {
                limit: self.limits.max_connections,
            });
        }
        let mut evicted = Vec::new();
        while full(&s) {
            let Some(&oldest) = s.unauthenticated.keys().next() else {
                break;
            };
            if let Some(p) = s.forget(oldest) {
                // Its slot is free from now on; its ticket, when dropped, gives back nothing.
                s.total -= 1;
                p.evict.notify_one();
                evicted.push(p.peer);
            }
        }
        let id = s.next_id;
        s.next_id += 1;
        let evict = Arc::new(Notify::new());
        s.total += 1;
        *s.per_address.entry(address).or_default() += 1;
        s.unauthenticated.insert(
            id,
            Pending {
                address,
                peer,
                evict: evict.clone(),
            },
        );
        drop(s);
        Ok((
            Ticket {
                admission: self.clone(),
                id,
                evict,
                state: Mutex::new(TicketState::Unauthenticated),
            },
            evicted,
        ))
    }

    /// Connections holding a slot, and how many of them are unauthenticated.
    pub fn counts(&self) -> (usize, usize) {
        let s = self.state();
        (s.total, s.unauthenticated.len())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TicketState {
    Unauthenticated,
    Authenticated,
    /// Closed to make room for a newer connection: holds no slot any more.
    Evicted,
}

/// One connection's slot, given back when dropped.
pub struct Ticket {
    admission: Arc<Admission>,
    id: u64,
    evict: Arc<Notify>,
    state: Mutex<TicketState>,
}

impl Ticket {
    fn ticket_state(&self) -> std::sync::MutexGuard<'_, TicketState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection authenticated: it no longer counts as unauthenticated. `false` when it
    /// was closed to make room meanwhile (it is on its way out and must not be let in).
    pub fn authenticated(&self) -> bool {
        let mut t = self.ticket_state();
        match *t {
            TicketState::Authenticated => true,
            TicketState::Evicted => false,
            TicketState::Unauthenticated => {
                let mut s = self.admission.state();
                if s.forget(self.id).is_some() {
                    *t = TicketState::Authenticated;
                    true
                } else {
                    // Evicted between the two locks.
                    *t = TicketState::Evicted;
                    false
                }
            }
        }
    }

    pub fn is_authenticated(&self) -> bool {
        *self.ticket_state() == TicketState::Authenticated
    }

    /// Completes when this connection is closed to make room for a newer one.
    pub async fn evicted(&self) {
        self.evict.notified().await;
        let mut t = self.ticket_state();
        if *t == TicketState::Unauthenticated {
            *t = TicketState::Evicted;
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let t = *self.ticket_state();
        let mut s = self.admission.state();
        match t {
            TicketState::Authenticated => s.total -= 1,
            TicketState::Unauthenticated | TicketState::Evicted => {
                // Still listed: it ended unauthenticated and gives its slot back. Not listed:
                // it was evicted, and its slot was given back then.
                if s.forget(self.id).is_some() {
                    s.total -= 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().expect("ip"), 40000)
    }

    fn limits(max: usize, unauth: usize, per: usize) -> Limits {
        Limits::new(max, Some(unauth), Some(per), Duration::from_secs(25))
    }

    #[test]
    fn ipv6_addresses_count_per_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(
            address_key("2001:db8:1:2:aaaa::1".parse().expect("ip")),
            address_key("2001:db8:1:2:bbbb::9".parse().expect("ip"))
        );
        assert_ne!(
            address_key("2001:db8:1:2::1".parse().expect("ip")),
            address_key("2001:db8:1:3::1".parse().expect("ip"))
        );
        assert_eq!(
            address_key("::ffff:192.0.2.7".parse().expect("ip")),
            "192.0.2.7".parse::<IpAddr>().expect("ip")
        );
    }

    #[test]
    fn a_full_unauthenticated_share_makes_room_by_closing_the_oldest_handshake() {
        let a = Admission::new(limits(4, 2, 8));
        let (first, _) = a.admit(peer("192.0.2.1")).expect("first");
        let (second, _) = a.admit(peer("192.0.2.2")).expect("second");
        let (third, evicted) = a.admit(peer("192.0.2.3")).expect("third");
        assert_eq!(evicted, vec![peer("192.0.2.1")]);
        assert_eq!(a.counts(), (2, 2));
        // The evicted one can no longer authenticate; the others can.
        assert!(!first.authenticated());
        assert!(second.authenticated());
        assert_eq!(a.counts(), (2, 1));
        drop(first);
        assert_eq!(
            a.counts(),
            (2, 1),
            "an evicted ticket gives back nothing twice"
        );
        drop(third);
        drop(second);
        assert_eq!(a.counts(), (0, 0));
    }

    #[test]
    fn authenticated_connections_are_never_closed_for_room_and_keep_their_slots() {
        let a = Admission::new(limits(3, 2, 8));
        let mut held = Vec::new();
        for i in 0..3 {
            let (t, _) = a.admit(peer(&format!("192.0.2.{i}"))).expect("admit");
            assert!(t.authenticated());
            held.push(t);
        }
        assert_eq!(
            a.admit(peer("198.51.100.1")).err(),
            Some(Refused::Full { limit: 3 })
        );
        drop(held.pop());
        let (t, evicted) = a.admit(peer("198.51.100.1")).expect("a slot came free");
        assert!(evicted.is_empty());
        // Full again, with one handshake: the next newcomer replaces it.
        let (_u, evicted) = a
            .admit(peer("198.51.100.2"))
            .expect("replaces the handshake");
        assert_eq!(evicted, vec![peer("198.51.100.1")]);
        assert!(!t.authenticated());
    }

    #[test]
    fn one_address_holds_at_most_its_share_of_handshakes() {
        let a = Admission::new(limits(32, 16, 2));
        let (x, _) = a.admit(peer("203.0.113.9")).expect("1");
        let (_y, _) = a.admit(peer("203.0.113.9")).expect("2");
        assert_eq!(
            a.admit(peer("203.0.113.9")).err(),
            Some(Refused::PerAddress { limit: 2 })
        );
        // Authenticating frees the address's share.
        assert!(x.authenticated());
        assert!(a.admit(peer("203.0.113.9")).is_ok());
    }
}
