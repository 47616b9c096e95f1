//! Slow work off the render loop. Every store (and WeChat) call runs on a tokio task that posts
//! a [`Msg`] back over a channel; the app applies it on its next turn. The UI never awaits I/O.

use crate::store::{
    AccountDetail, AuditEntry, AuditFilter, BindingView, RevokeOutcome, RevokeProgress,
    SessionFilter, SessionRow, Store, StoreError, UnbindOutcome,
};

use super::window::{Chunk, Load, PAGE, inclusive};

/// A result (or progress report) from a background task.
#[derive(Debug)]
pub enum Msg {
    Sessions {
        generation: u64,
        result: Result<Chunk<SessionRow>, StoreError>,
    },
    SessionCount {
        generation: u64,
        result: Result<u64, StoreError>,
    },
    Audit {
        generation: u64,
        result: Result<Chunk<AuditEntry>, StoreError>,
    },
    Bindings {
        generation: u64,
        result: Result<Vec<BindingView>, StoreError>,
    },
    Account {
        generation: u64,
        result: Result<Option<AccountDetail>, StoreError>,
    },
    /// How many rows a confirmation dialog's operation touches.
    DialogCount {
        dialog: u64,
        result: Result<u64, StoreError>,
    },
    /// A bulk revoke finished a batch.
    Progress {
        dialog: u64,
        progress: RevokeProgress,
    },
    /// A confirmed operation finished.
    Done {
        dialog: u64,
        result: Result<Outcome, StoreError>,
    },
    Ping(Result<(), StoreError>),
    /// A code2Session exchange finished (with its binding lookup and audit row).
    Exchange(Box<super::views::exchange::ExchangeResult>),
    /// The emulator minted a test code (or refused).
    Minted {
        user: String,
        result: Result<crate::secret::Secret, String>,
    },
    /// A task panicked: a bug, reported rather than hidden.
    Panicked(String),
}

#[derive(Debug)]
pub enum Outcome {
    Revoked { revoked: u64 },
    RevokedMatching(RevokeOutcome),
    Unbound(Option<UnbindOutcome>),
}

/// An envelope on the channel: `last` ends a task (progress reports are not last).
#[derive(Debug)]
pub struct Envelope {
    pub msg: Msg,
    pub last: bool,
}

pub async fn fetch_sessions(
    store: &Store,
    filter: &SessionFilter,
    load: &Load,
) -> Result<Chunk<SessionRow>, StoreError> {
    let page = PAGE as i64;
    Ok(match load {
        Load::Top => Chunk::Top(store.list_sessions(filter, None, page).await?),
        Load::Bottom => Chunk::Bottom(store.list_sessions_newer(filter, None, page).await?),
        Load::Older(c) => Chunk::Older(store.list_sessions(filter, Some(*c), page).await?),
        Load::Newer(c) => Chunk::Newer(store.list_sessions_newer(filter, Some(*c), page).await?),
        Load::Around { anchor, above, .. } => {
            let above_rows = store
                .list_sessions_newer(filter, Some(*anchor), *above as i64)
                .await?;
            let below = store
                .list_sessions(filter, Some(inclusive(*anchor)), page)
                .await?;
            Chunk::Around {
                above: above_rows,
                below,
            }
        }
    })
}

pub async fn fetch_audit(
    store: &Store,
    filter: &AuditFilter,
    load: &Load,
) -> Result<Chunk<AuditEntry>, StoreError> {
    let page = PAGE as i64;
    Ok(match load {
        Load::Top => Chunk::Top(store.list_audit(filter, None, page).await?),
        Load::Bottom => Chunk::Bottom(store.list_audit_newer(filter, None, page).await?),
        Load::Older(c) => Chunk::Older(store.list_audit(filter, Some(*c), page).await?),
        Load::Newer(c) => Chunk::Newer(store.list_audit_newer(filter, Some(*c), page).await?),
        Load::Around { anchor, above, .. } => {
            let above_rows = store
                .list_audit_newer(filter, Some(*anchor), *above as i64)
                .await?;
            let below = store
                .list_audit(filter, Some(inclusive(*anchor)), page)
                .await?;
            Chunk::Around {
                above: above_rows,
                below,
            }
        }
    })
}

/// Runs every query of a binding search and merges the results (each binding once).
pub async fn search_bindings(
    store: &Store,
    queries: &[crate::store::BindingQuery],
) -> Result<Vec<BindingView>, StoreError> {
    let mut out: Vec<BindingView> = Vec::new();
    for q in queries {
        for b in store.find_bindings(q).await? {
            if !out.iter().any(|o| o.id == b.id) {
                out.push(b);
            }
        }
    }
    out.sort_by(|a, b| b.bound_at.cmp(&a.bound_at).then(b.id.cmp(&a.id)));
    Ok(out)
}
