//! Unbinding an openid from its account.

use super::{Operation, OpsError, authorize, reason};
use crate::operator::Actor;
use crate::store::{Store, UnbindOutcome};

/// Deletes the (appid, openid) binding and revokes its live sessions, with the audit row, in
/// one transaction. `NothingMatched` when there is no such binding.
pub async fn unbind(
    store: &Store,
    actor: &Actor,
    appid: &str,
    openid: &str,
    why: &str,
) -> Result<UnbindOutcome, OpsError> {
    let grant = authorize(actor, &Operation::Unbind)?;
    let why = reason(why)?;
    store
        .unbind(&grant, appid, openid, why)
        .await?
        .ok_or_else(|| {
            OpsError::NothingMatched(format!(
                "no binding of openid {} in app {}; find it with `wxlogin bindings show`",
                crate::sanitize::for_terminal(openid),
                crate::sanitize::for_terminal(appid)
            ))
        })
}
