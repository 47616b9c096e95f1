//! Business accounts: create, disable.

use super::{Operation, OpsError, authorize, reason};
use crate::operator::Actor;
use crate::store::{Account, NewAccount, PasswordReset, Store};

/// Creates an account and its audit row in one transaction (oncall).
pub async fn create_account(
    store: &Store,
    actor: &Actor,
    new: &NewAccount,
) -> Result<Account, OpsError> {
    let grant = authorize(actor, &Operation::CreateAccount)?;
    Ok(store.create_account(&grant, new).await?)
}

/// Opens an account's password path again at once: forgets the wrong passwords the shared
/// login limiter counted against it (support). Audited as `account.unlock` even when it was not
/// locked (the operator acted); returns how many counter windows were cleared.
pub async fn unlock_account(
    store: &Store,
    actor: &Actor,
    username: &str,
    why: &str,
) -> Result<u64, OpsError> {
    let grant = authorize(actor, &Operation::UnlockAccount)?;
    let why = reason(why)?;
    Ok(store.unlock_account_password(&grant, username, why).await?)
}

/// Disables an account and revokes all its live sessions in one transaction. `Ok(None)` when
/// it was already disabled (nothing changes, nothing is audited); `NothingMatched` for an
/// unknown account.
pub async fn disable_account(
    store: &Store,
    actor: &Actor,
    account_id: i64,
    why: &str,
) -> Result<Option<u64>, OpsError> {
    let grant = authorize(actor, &Operation::DisableAccount)?;
    let why = reason(why)?;
    Ok(store.disable_account(&grant, account_id, why).await?)
}

/// Sets an account's password (an Argon2id hash from `crypto::hash_password`) and revokes every
/// live session of it in one transaction; `unbind_all` also removes every WeChat binding, so
/// the next login from any phone needs the new password. Audited as `account.set_password`
/// (with the counts) in the same transaction; `NothingMatched` for an unknown account.
///
/// Support may only reset with `unbind_all`: a reset that keeps the bindings lets the
/// operator log in as the user while the owner's phones carry on unaware, so it needs oncall.
pub async fn set_password(
    store: &Store,
    actor: &Actor,
    account_id: i64,
    password_hash: &str,
    unbind_all: bool,
    why: &str,
) -> Result<PasswordReset, OpsError> {
    let grant = authorize(
        actor,
        &Operation::SetPassword {
            keep_bindings: !unbind_all,
        },
    )?;
    let why = reason(why)?;
    Ok(store
        .set_password(&grant, account_id, password_hash, unbind_all, why)
        .await?)
}
