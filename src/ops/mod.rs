//! Operator use cases: one function per thing an operator can do that changes data or calls
//! WeChat on their behalf. This is where to look for "where is a session revoked, and who may
//! do it?".
//!
//! Every function here takes the acting [`Actor`] (name, role, origin), asks [`authorize`]
//! first, and then calls the store, which writes the change and its audit row (with the role)
//! in one transaction. The console, the headless commands and the SSH door call these functions
//! and nothing else that changes data: the store's mutating functions take the [`Grant`] that
//! only `authorize` can make, so there is no way around the check.
//!
//! | use case | function | needs |
//! |---|---|---|
//! | revoke sessions by public id (one, marked, listed) | [`revoke_sessions`] | support (≤ 100), oncall |
//! | revoke every live session matching a filter, in batches | [`revoke_matching`] | support for one account / openid / session, oncall for appid, unionid, IP |
//! | revoke the session of a pasted SessionId | [`revoke_token`] | support |
//! | unbind an openid from its account | [`unbind`] | support |
//! | disable an account (and revoke its sessions) | [`disable_account`] | support |
//! | unlock an account's password path (login limiter) | [`unlock_account`] | support |
//! | set an account's password (revokes its sessions; optionally unbinds all) | [`set_password`] | support |
//! | create an account | [`create_account`] | oncall |
//! | test code exchange (code2Session + binding lookup) | [`test_exchange`] | support |
//! | is a session's stored session_key still valid (checkSessionKey) | [`check_session_key`] | support |
//! | have WeChat issue a new session_key and store it (resetUserSessionKey) | [`reset_session_key`] | support |
//! | purge sessions that ended before a cutoff (retention), archive the audit log | [`purge_sessions`], [`archive_audit`] | oncall |
//! | migrate the schema, seed synthetic data | [`migrate`], [`authorize_seed`] | oncall |

mod accounts;
// `wxlogin audit archive`.
mod archive;
mod authorize;
mod bindings;
mod exchange;
// Export.
mod export;
mod retention;
mod session_keys;
mod sessions;

pub use accounts::{create_account, disable_account, set_password, unlock_account};
pub use archive::{ARCHIVE_BATCH, ArchiveOutcome, ArchiveStep, archive_audit, read_back};
pub use authorize::{
    Denied, Grant, OpKind, Operation, SUPPORT_MAX_IDS, WrongGrant, authorize, check, may,
};
pub use bindings::unbind;
// Export.
pub use exchange::{ExchangeReport, Exchanged, test_exchange};
pub use export::record_session_export;
pub use retention::{
    DEFAULT_PURGE_BATCH, PURGE_LEASE_TTL, PurgeOutcome, PurgeProgress, PurgeRequest,
    count_purgeable, purge_sessions,
};
pub use session_keys::{
    KeyCheckReport, KeyResetReport, KeySession, check_session_key, reset_session_key,
};
pub use sessions::{RevokeIdsOutcome, revoke_matching, revoke_sessions, revoke_token};

use crate::operator::Actor;
use crate::store::{Store, StoreError};

/// Why an operator action did not happen. Each maps to one exit code of the CLI and one
/// status line of the console.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// The operator's role may not do this (CLI exit 4). Nothing was changed or audited.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The request itself is wrong: a blank reason, too many ids, a filter that selects
    /// everything (CLI exit 2). Nothing was changed.
    #[error("{0}")]
    Invalid(String),
    /// Nothing matched what was named (CLI exit 3).
    #[error("{0}")]
    NothingMatched(String),
    /// Something outside the request failed (a key that does not decrypt, an answer that
    /// could not be stored); the message says what to do (CLI exit 1).
    #[error("{0}")]
    Runtime(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for OpsError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) => OpsError::Invalid(m),
            StoreError::NotFound(m) => OpsError::NothingMatched(m),
            other => OpsError::Store(other),
        }
    }
}

/// A reason is written in the audit log: it must say something.
fn reason(text: &str) -> Result<&str, OpsError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(OpsError::Invalid(
            "a reason is required: it is written in the audit log".into(),
        ));
    }
    Ok(t)
}

/// `wxlogin migrate`: applies every pending migration (oncall; refused to a viewer).
pub async fn migrate(store: &Store, actor: &Actor) -> Result<(), OpsError> {
    let grant = authorize(actor, &Operation::Migrate)?;
    store.migrate(&grant).await?;
    Ok(())
}

/// `wxlogin seed-synthetic` writes straight through COPY (no audit row per synthetic session);
/// it asks here first so that a viewer is refused like everywhere else.
pub fn authorize_seed(actor: &Actor) -> Result<Grant<'_>, OpsError> {
    Ok(authorize(actor, &Operation::SeedSynthetic)?)
}
