//! The one permission check. Every ops function asks [`authorize`] first; the store's mutating
//! functions take the [`Grant`] it returns, and a `Grant` can be made nowhere else (its fields
//! are private to this module), so no key, command or flag can reach a change without passing
//! here.

use std::fmt;

use crate::operator::{Actor, Role};
use crate::store::SessionFilter;

/// Most sessions the support role may revoke by listing them (marked rows, ids on a command line).
pub const SUPPORT_MAX_IDS: usize = 100;

/// Every kind of operator action that changes something (or calls WeChat on the operator's
/// behalf). The console's help screen and footer mark keys whose kind the role may never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// Revoke sessions named by public id (one, marked rows, or a list).
    RevokeSessions,
    /// Revoke every live session matching a filter (account, openid, appid, …), in batches.
    RevokeMatching,
    /// Revoke the session a pasted SessionId belongs to.
    RevokeToken,
    Unbind,
    DisableAccount,
    /// Forget the wrong passwords the login limiter counted against an account.
    UnlockAccount,
    /// Set a new password for an account, ending every session of it and removing every
    /// WeChat binding of it, so that the owner's phones must log in with the new password
    /// (support).
    SetPassword,
    /// Set a new password for an account, ending its sessions but keeping its WeChat bindings
    /// (the owner's phones log in again without a password and notice nothing): oncall.
    SetPasswordKeepBindings,
    CreateAccount,
    /// A test code exchange with WeChat (code2Session), audited.
    TestExchange,
    /// Ask WeChat whether a session's stored session_key is still valid, audited.
    CheckSessionKey,
    /// Have WeChat issue a new session_key for a session's user, and store it.
    ResetSessionKey,
    /// Schema migrations and synthetic data: administration of the database itself.
    Administer,
    /// Export: write a filtered list of sessions to a file (a read, audited because it takes
    /// many users' data out).
    ExportSessions,
}

impl OpKind {
    /// The lowest role that may do at least some instance of this kind.
    pub fn min_role(self) -> Role {
        match self {
            OpKind::RevokeSessions
            | OpKind::RevokeMatching
            | OpKind::RevokeToken
            | OpKind::Unbind
            | OpKind::DisableAccount
            | OpKind::UnlockAccount
            | OpKind::SetPassword
            | OpKind::TestExchange
            | OpKind::CheckSessionKey
            | OpKind::ResetSessionKey => Role::Support,
            OpKind::CreateAccount | OpKind::SetPasswordKeepBindings | OpKind::Administer => {
                Role::Oncall
            }
            // Export: a read, for every role.
            OpKind::ExportSessions => Role::Viewer,
        }
    }
}

/// May `role` do at least some instance of `kind`? (For marking keys; the decision on a
/// concrete action is [`authorize`]'s.)
pub fn may(role: Role, kind: OpKind) -> bool {
    role >= kind.min_role()
}

/// One concrete action, with what decides the role it needs.
#[derive(Debug, Clone, Copy)]
pub enum Operation<'a> {
    RevokeSessions {
        count: usize,
    },
    RevokeMatching {
        filter: &'a SessionFilter,
    },
    RevokeToken,
    Unbind,
    DisableAccount,
    UnlockAccount,
    /// A password reset; `keep_bindings` leaves the account's WeChat bindings in place (its
    /// sessions end either way), which needs oncall.
    SetPassword {
        keep_bindings: bool,
    },
    CreateAccount,
    TestExchange,
    CheckSessionKey,
    ResetSessionKey,
    Migrate,
    SeedSynthetic,
    /// Delete sessions that ended before a cutoff (retention; by hand or the service's own).
    PurgeSessions,
    /// Move audit rows before a date to a verified file and delete them.
    ArchiveAudit,
    // Export.
    ExportSessions,
}

impl Operation<'_> {
    pub fn kind(&self) -> OpKind {
        match self {
            Operation::RevokeSessions { .. } => OpKind::RevokeSessions,
            Operation::RevokeMatching { .. } => OpKind::RevokeMatching,
            Operation::RevokeToken => OpKind::RevokeToken,
            Operation::Unbind => OpKind::Unbind,
            Operation::DisableAccount => OpKind::DisableAccount,
            Operation::UnlockAccount => OpKind::UnlockAccount,
            Operation::SetPassword {
                keep_bindings: false,
            } => OpKind::SetPassword,
            Operation::SetPassword {
                keep_bindings: true,
            } => OpKind::SetPasswordKeepBindings,
            Operation::CreateAccount => OpKind::CreateAccount,
            Operation::TestExchange => OpKind::TestExchange,
            Operation::CheckSessionKey => OpKind::CheckSessionKey,
            Operation::ResetSessionKey => OpKind::ResetSessionKey,
            Operation::Migrate | Operation::SeedSynthetic => OpKind::Administer,
            Operation::PurgeSessions | Operation::ArchiveAudit => OpKind::Administer,
            // Export.
            Operation::ExportSessions => OpKind::ExportSessions,
        }
    }

    /// The role this action needs.
    pub fn needs(&self) -> Role {
        match self {
            Operation::RevokeSessions { count } if *count > SUPPORT_MAX_IDS => Role::Oncall,
            Operation::RevokeMatching { filter } if !narrowed_to_one_person(filter) => Role::Oncall,
            other => other.kind().min_role(),
        }
    }

    /// "revoke 250 sessions by id", for the refusal.
    fn describe(&self) -> String {
        match self {
            Operation::RevokeSessions { count } if *count > SUPPORT_MAX_IDS => {
                format!("revoking more than {SUPPORT_MAX_IDS} sessions by id ({count})")
            }
            Operation::RevokeSessions { .. } => "revoking sessions".to_owned(),
            Operation::RevokeMatching { filter } if !narrowed_to_one_person(filter) => {
                "a bulk revoke by appid, unionid or client IP".to_owned()
            }
            Operation::RevokeMatching { .. } => "revoking an account's sessions".to_owned(),
            Operation::RevokeToken => "revoking a session by SessionId".to_owned(),
            Operation::Unbind => "unbinding an openid".to_owned(),
            Operation::DisableAccount => "disabling an account".to_owned(),
            Operation::UnlockAccount => "unlocking an account's password".to_owned(),
            Operation::SetPassword {
                keep_bindings: false,
            } => "setting an account's password".to_owned(),
            Operation::SetPassword {
                keep_bindings: true,
            } => "a password reset that keeps the account's WeChat bindings (a support reset \
                  ends every session and removes every binding: --unbind-all)"
                .to_owned(),
            Operation::CreateAccount => "creating an account".to_owned(),
            Operation::TestExchange => "a test code exchange".to_owned(),
            Operation::CheckSessionKey => "checking a session_key with WeChat".to_owned(),
            Operation::ResetSessionKey => "resetting a session_key".to_owned(),
            Operation::Migrate => "migrating the database".to_owned(),
            Operation::SeedSynthetic => "seeding synthetic data".to_owned(),
            Operation::PurgeSessions => "purging ended sessions".to_owned(),
            Operation::ArchiveAudit => "archiving the audit log".to_owned(),
            // Export.
            Operation::ExportSessions => "exporting sessions".to_owned(),
        }
    }
}

/// A filter that can only match one person's sessions: one account (by id or name), one
/// openid, or one session. Appid, unionid and client IP alone can match thousands of people.
fn narrowed_to_one_person(f: &SessionFilter) -> bool {
    f.account_id.is_some()
        || f.username.is_some()
        || f.openid.is_some()
        || f.public_id.is_some()
        || f.token_hash.is_some()
}

/// A refusal: what was asked, the role it needs, the role the operator has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Denied {
    pub what: String,
    pub needs: Role,
    pub has: Role,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "refused: {} needs the {} role; you are {}",
            self.what, self.needs, self.has
        )?;
        if self.has == Role::Viewer {
            f.write_str(" (read-only mode)")?;
        }
        Ok(())
    }
}

/// Proof that [`authorize`] allowed `actor` this kind of action. The store's mutating
/// functions take one; only this module can make one.
#[derive(Debug)]
pub struct Grant<'a> {
    actor: &'a Actor,
    kind: OpKind,
}

impl<'a> Grant<'a> {
    /// Who acts: written on the audit row with their role.
    pub fn actor(&self) -> &'a Actor {
        self.actor
    }
    pub fn kind(&self) -> OpKind {
        self.kind
    }

    /// Checks that this grant was given for one of `allowed`: every store write asks first,
    /// so a grant for one action (an export, which a viewer holds) can never carry out another
    /// (a revoke). A wrong pairing is a bug in the caller: a panic in debug builds and tests,
    /// an error (nothing written) in release.
    pub fn require(&self, write: &str, allowed: &[OpKind]) -> Result<(), WrongGrant> {
        if allowed.contains(&self.kind) {
            return Ok(());
        }
        let err = WrongGrant {
            write: write.to_owned(),
            given: self.kind,
        };
        debug_assert!(false, "{err}");
        Err(err)
    }
}

/// A store write was handed a grant for another action (see [`Grant::require`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("internal error: {write} was called with a grant for {given:?}; nothing was changed")]
pub struct WrongGrant {
    pub write: String,
    pub given: OpKind,
}

/// May `actor` do `op`? The only place a role becomes a yes or no.
pub fn authorize<'a>(actor: &'a Actor, op: &Operation<'_>) -> Result<Grant<'a>, Denied> {
    let needs = op.needs();
    if actor.role >= needs {
        Ok(Grant {
            actor,
            kind: op.kind(),
        })
    } else {
        Err(Denied {
            what: op.describe(),
            needs,
            has: actor.role,
        })
    }
}

/// [`authorize`] without keeping the grant: for a face that wants to refuse before it asks
/// for a reason (the console's status line instead of a dialog).
pub fn check(actor: &Actor, op: &Operation<'_>) -> Result<(), Denied> {
    authorize(actor, op).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor::new("t", role, None)
    }

    #[test]
    fn support_may_revoke_one_person_but_not_an_appid() {
        let one = SessionFilter {
            account_id: Some(42),
            ..Default::default()
        };
        let app = SessionFilter {
            appid: Some("wx1".into()),
            ..Default::default()
        };
        let s = actor(Role::Support);
        assert!(check(&s, &Operation::RevokeMatching { filter: &one }).is_ok());
        let err = check(&s, &Operation::RevokeMatching { filter: &app }).unwrap_err();
        assert_eq!(err.needs, Role::Oncall);
        assert!(err.to_string().contains("needs the oncall role"), "{err}");
        assert!(
            check(
                &actor(Role::Oncall),
                &Operation::RevokeMatching { filter: &app }
            )
            .is_ok()
        );
    }

    #[test]
    fn support_may_list_at_most_one_hundred_ids() {
        let s = actor(Role::Support);
        assert!(check(&s, &Operation::RevokeSessions { count: 100 }).is_ok());
        assert!(check(&s, &Operation::RevokeSessions { count: 101 }).is_err());
    }

    #[test]
    fn only_oncall_may_purge_sessions_or_archive_the_audit_log() {
        for op in [Operation::PurgeSessions, Operation::ArchiveAudit] {
            for role in [Role::Viewer, Role::Support] {
                let err = check(&actor(role), &op).unwrap_err();
                assert_eq!(err.needs, Role::Oncall, "{err}");
            }
            assert!(check(&actor(Role::Oncall), &op).is_ok());
        }
    }

    #[test]
    fn every_role_may_export_sessions() {
        for role in [Role::Viewer, Role::Support, Role::Oncall] {
            assert!(check(&actor(role), &Operation::ExportSessions).is_ok());
        }
        assert!(may(Role::Viewer, OpKind::ExportSessions));
    }

    #[test]
    fn viewer_may_change_nothing() {
        let v = actor(Role::Viewer);
        for op in [
            Operation::RevokeSessions { count: 1 },
            Operation::RevokeToken,
            Operation::Unbind,
            Operation::DisableAccount,
            Operation::SetPassword {
                keep_bindings: false,
            },
            Operation::CreateAccount,
            Operation::TestExchange,
            Operation::Migrate,
            Operation::SeedSynthetic,
        ] {
            let err = check(&v, &op).unwrap_err();
            assert!(
                err.to_string().ends_with("you are viewer (read-only mode)"),
                "{err}"
            );
        }
    }

    #[test]
    fn support_may_reset_a_password_only_with_every_binding_removed() {
        let s = actor(Role::Support);
        let remove = Operation::SetPassword {
            keep_bindings: false,
        };
        let keep = Operation::SetPassword {
            keep_bindings: true,
        };
        assert_eq!(authorize(&s, &remove).unwrap().kind(), OpKind::SetPassword);
        let err = check(&s, &keep).unwrap_err();
        assert_eq!(err.needs, Role::Oncall);
        assert!(err.to_string().contains("--unbind-all"), "{err}");
        let o = actor(Role::Oncall);
        assert_eq!(
            authorize(&o, &keep).unwrap().kind(),
            OpKind::SetPasswordKeepBindings
        );
    }

    #[test]
    fn a_grant_checked_for_its_own_write_passes() {
        let a = actor(Role::Oncall);
        let g = authorize(&a, &Operation::Unbind).unwrap();
        assert!(g.require("unbind", &[OpKind::Unbind]).is_ok());
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "was called with a grant for ExportSessions")]
    fn a_viewers_export_grant_cannot_carry_out_a_revoke() {
        let v = actor(Role::Viewer);
        let g = authorize(&v, &Operation::ExportSessions).unwrap();
        let _ = g.require("revoke_sessions", &[OpKind::RevokeSessions]);
    }
}
