//! Coalesces the session lookups of concurrent requests into one query.
//!
//! Every GET /me and POST /logout looks its SessionId up by hash. Alone, each is one round
//! trip to the database server (PostgreSQL, MariaDB), and under load the round trips (a backend wake-up, a parse of the
//! protocol, a reply, on both sides) cost more than the index lookup itself. So the service
//! keeps at most a few lookup queries running ([`DEFAULT_IN_FLIGHT`] unless configured); a request that arrives while they all
//! are waits for the next one to free its slot and goes in the same query as every other
//! request that waited meanwhile (`token_hash = ANY(…)`, up to [`MAX_BATCH`] hashes).
//!
//! Nothing is cached and nothing waits on a timer: an idle service sends each lookup at once,
//! alone, and a busy one sends fewer, larger queries. Every answer is read from the database
//! after the request arrived, so a revoke committed before a request is seen by it, as with
//! one query per request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::crypto::TokenHash;
use crate::store::{Store, StoreError, TokenValidation};

/// Lookup queries running at once per instance unless configured (`[service]
/// session_lookups_in_flight`). One: measured by `wxlogin bench` on two cores shared with
/// PostgreSQL, one query at a time carried ~6 lookups each and served the most requests (two
/// carried ~3 and four ~2, each with more database CPU per request). A batch waits at most for
/// the query before it, which on a healthy database is well under a millisecond; raise it for a
/// database with many cores and a service with many more concurrent requests than that.
pub const DEFAULT_IN_FLIGHT: usize = 1;
/// The most a configuration may ask for (a pool's worth).
pub const MAX_IN_FLIGHT: usize = 32;
/// Hashes in one query at most.
pub const MAX_BATCH: usize = 64;
/// Requests waiting for a slot at most; past that a request looks itself up alone.
const QUEUE: usize = 4096;

type Answer = Result<Option<TokenValidation>, StoreError>;

struct Ask {
    hash: TokenHash,
    reply: oneshot::Sender<Answer>,
}

/// The service's session lookups (see the module's documentation).
pub struct TokenLookups {
    store: Store,
    /// Queries sent, for `/metrics`.
    queries: Arc<AtomicU64>,
    /// `None` where lookups are not coalesced: SQLite, which answers in-process, or a service
    /// state made outside a Tokio runtime.
    queue: Option<mpsc::Sender<Ask>>,
}

impl TokenLookups {
    /// `in_flight` 0: no coalescing, one query per request.
    pub fn new(store: Store, in_flight: usize, queries: Arc<AtomicU64>) -> Self {
        // SQLite runs in this process: a lookup there has no round trip to save.
        let queue = (in_flight > 0 && store.backend() != crate::store::Backend::Sqlite)
            .then(tokio::runtime::Handle::try_current)
            .and_then(Result::ok)
            .map(|rt| {
                let (tx, rx) = mpsc::channel(QUEUE);
                rt.spawn(dispatch(store.clone(), rx, in_flight, queries.clone()));
                tx
            });
        TokenLookups {
            store,
            queries,
            queue,
        }
    }

    /// The session whose token hashes to `hash`, as [`Store::validate_token`] answers it.
    pub async fn lookup(&self, hash: &TokenHash) -> Answer {
        if let Some(queue) = &self.queue {
            let (reply, answer) = oneshot::channel();
            if queue.try_send(Ask { hash: *hash, reply }).is_ok() {
                return match answer.await {
                    Ok(a) => a,
                    // The batch's task ended without answering (it panicked): say so, as
                    // any failed lookup is said.
                    Err(_) => Err(StoreError::Db("the session lookup was abandoned".into())),
                };
            }
        }
        self.queries.fetch_add(1, Relaxed);
        self.store.validate_token(hash).await
    }
}

/// Takes the waiting requests, a batch at a time, whenever a query slot is free.
async fn dispatch(
    store: Store,
    mut rx: mpsc::Receiver<Ask>,
    in_flight: usize,
    queries: Arc<AtomicU64>,
) {
    let slots = Arc::new(Semaphore::new(in_flight));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = rx.recv().await else {
            return; // the service state is gone
        };
        let mut batch = Vec::with_capacity(8);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(ask) => batch.push(ask),
                Err(_) => break,
            }
        }
        let store = store.clone();
        queries.fetch_add(1, Relaxed);
        tokio::spawn(async move {
            answer(&store, batch).await;
            drop(slot);
        });
    }
}

async fn answer(store: &Store, mut batch: Vec<Ask>) {
    if batch.len() == 1
        && let Some(ask) = batch.pop()
    {
        let _ = ask.reply.send(store.validate_token(&ask.hash).await);
        return;
    }
    let mut hashes: Vec<TokenHash> = batch.iter().map(|a| a.hash).collect();
    hashes.sort_unstable_by_key(|h| h.0);
    hashes.dedup();
    match store.validate_tokens(&hashes).await {
        Ok(found) => {
            for ask in batch {
                let v = found
                    .iter()
                    .find(|(h, _)| *h == ask.hash)
                    .map(|(_, v)| v.clone());
                let _ = ask.reply.send(Ok(v));
            }
        }
        Err(e) => {
            for ask in batch {
                let _ = ask.reply.send(Err(e.clone()));
            }
        }
    }
}
