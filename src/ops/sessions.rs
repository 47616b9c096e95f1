//! Revoking sessions: by public id, by filter (bulk, batched, with progress and cancel), by
//! SessionId.

use serde::Serialize;

use super::{Operation, OpsError, authorize, reason};
use crate::crypto::TokenHash;
use crate::operator::Actor;
use crate::store::{RevokeOutcome, RevokeProgress, SessionFilter, SessionState, Store};

/// What a revoke by public id did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevokeIdsOutcome {
    /// The public ids revoked now.
    pub revoked: Vec<String>,
    /// Ids that were not live: unknown, already revoked or expired. Nothing was done to them.
    pub skipped: u64,
}

/// Revokes the live sessions among `public_ids` in one statement, one transaction and one
/// audit row. Unknown, revoked and expired ids are skipped and counted.
pub async fn revoke_sessions(
    store: &Store,
    actor: &Actor,
    public_ids: &[String],
    why: &str,
) -> Result<RevokeIdsOutcome, OpsError> {
    let grant = authorize(
        actor,
        &Operation::RevokeSessions {
            count: public_ids.len(),
        },
    )?;
    let why = reason(why)?;
    let revoked = store.revoke_sessions(&grant, public_ids, why).await?;
    let mut unique: Vec<&String> = public_ids.iter().collect();
    unique.sort();
    unique.dedup();
    Ok(RevokeIdsOutcome {
        skipped: (unique.len() - revoked.len()) as u64,
        revoked,
    })
}

/// Revokes every live session matching `filter`, `batch` rows per transaction, each batch with
/// its own audit row. `progress` runs after each batch; returning `false` stops before the
/// next one (every finished batch stays revoked; the outcome says `cancelled`).
pub async fn revoke_matching(
    store: &Store,
    actor: &Actor,
    filter: &SessionFilter,
    why: &str,
    batch: i64,
    progress: &mut (dyn FnMut(RevokeProgress) -> bool + Send),
) -> Result<RevokeOutcome, OpsError> {
    let grant = authorize(actor, &Operation::RevokeMatching { filter })?;
    let why = reason(why)?;
    Ok(store
        .revoke_matching(&grant, filter, why, batch, progress)
        .await?)
}

/// Revokes the session a pasted SessionId belongs to (the token is only ever hashed).
pub async fn revoke_token(
    store: &Store,
    actor: &Actor,
    hash: &TokenHash,
    why: &str,
) -> Result<RevokeIdsOutcome, OpsError> {
    let grant = authorize(actor, &Operation::RevokeToken)?;
    let why = reason(why)?;
    let Some(found) = store.session_by_token(hash).await? else {
        return Err(OpsError::NothingMatched(
            "no session has this SessionId; check that the whole token was given".into(),
        ));
    };
    let now = crate::store::Ts::from(store.now());
    let state = found.session.state(now);
    if state != SessionState::Active {
        return Err(OpsError::NothingMatched(format!(
            "session {} is already {state}; nothing to revoke",
            found.session.public_id
        )));
    }
    let ids = [found.session.public_id];
    let revoked = store.revoke_sessions(&grant, &ids, why).await?;
    Ok(RevokeIdsOutcome {
        skipped: 1 - revoked.len() as u64,
        revoked,
    })
}
