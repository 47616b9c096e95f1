//! Every intent a console user can express. Keys map to these (see [`super::keymap`]), and
//! [`super::app::App::update`] is the one place that carries them out, so "what does pressing
//! `d` do?" has a single answer, and what a role may not do is refused in a single check.

use crate::ops::{OpKind, Operation};
use crate::store::SessionFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    // Anywhere.
    Quit,
    Help,
    CommandLine,
    Filter,
    NextView,
    PrevView,
    ShowSessions,
    ShowBindings,
    ShowExchange,
    ShowAudit,
    // Overview (fleet at a glance).
    ShowOverview,
    RevokeFromAddress,
    Refresh,
    // Lists.
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    Back,
    // Sessions.
    ToggleMark,
    ClearMarks,
    ToggleInactive,
    FindByToken,
    Revoke,
    RevokeAccount,
    RevokeOpenid,
    JumpToBindings,
    // Sessions: the selected session's WeChat session_key.
    CheckSessionKey,
    ResetSessionKey,
    // Bindings.
    Unbind,
    JumpToSessions,
    // Bindings: the account history (support).
    FocusHistory,
    // Bindings: password reset (support).
    ResetPassword,
    /// The confirmation dialog's option (password reset: also unbind every binding).
    ToggleOption,
    // Exchange.
    EnterCode,
    NextApp,
    RunExchange,
    MintCode,
    // Support tools (copy): the selected row's main identifier, then its other fields.
    Copy,
    CopyOther,
    // Dialogs and prompts.
    Confirm,
    Cancel,
}

impl Action {
    /// The kind of operator action this intent asks for, when it changes the database (or
    /// spends a WeChat code): what a role may be refused.
    pub fn op_kind(self) -> Option<OpKind> {
        match self {
            Action::Revoke => Some(OpKind::RevokeSessions),
            Action::RevokeAccount | Action::RevokeOpenid => Some(OpKind::RevokeMatching),
            Action::Unbind => Some(OpKind::Unbind),
            // Overview (fleet at a glance).
            Action::RevokeFromAddress => Some(OpKind::RevokeMatching),
            Action::RunExchange => Some(OpKind::TestExchange),
            // Session keys: both call WeChat on the operator's behalf and are audited.
            Action::CheckSessionKey => Some(OpKind::CheckSessionKey),
            Action::ResetSessionKey => Some(OpKind::ResetSessionKey),
            // Bindings: password reset (support).
            Action::ResetPassword => Some(OpKind::SetPassword),
            _ => None,
        }
    }

    /// True for intents that change the database (or spend a WeChat code): refused in read-only mode.
    pub fn is_mutating(self) -> bool {
        self.op_kind().is_some()
    }

    /// The least this intent asks of the ops layer (one session, one account…): what the
    /// refusal of a role that may do no instance of it names.
    pub fn least_operation(self) -> Option<Operation<'static>> {
        static ONE_ACCOUNT: SessionFilter = SessionFilter {
            account_id: Some(0),
            username: None,
            appid: None,
            openid: None,
            unionid: None,
            client_ip: None,
            public_id: None,
            token_hash: None,
            include_inactive: false,
        };
        Some(match self.op_kind()? {
            OpKind::RevokeSessions => Operation::RevokeSessions { count: 1 },
            OpKind::RevokeMatching => Operation::RevokeMatching {
                filter: &ONE_ACCOUNT,
            },
            OpKind::Unbind => Operation::Unbind,
            OpKind::TestExchange => Operation::TestExchange,
            OpKind::RevokeToken => Operation::RevokeToken,
            OpKind::DisableAccount => Operation::DisableAccount,
            OpKind::UnlockAccount => Operation::UnlockAccount,
            // password reset (hardening: accounts set-password)
            OpKind::SetPassword => Operation::SetPassword {
                keep_bindings: false,
            },
            OpKind::SetPasswordKeepBindings => Operation::SetPassword {
                keep_bindings: true,
            },
            OpKind::CreateAccount => Operation::CreateAccount,
            OpKind::CheckSessionKey => Operation::CheckSessionKey,
            OpKind::ResetSessionKey => Operation::ResetSessionKey,
            OpKind::Administer => Operation::Migrate,
            // Export.
            OpKind::ExportSessions => Operation::ExportSessions,
        })
    }

    /// What the action does, in the words of a refusal ("read-only: revoking sessions is
    /// refused"): a catalogue id (`console-verb-…`), worded where it is shown.
    pub fn verb(self) -> &'static str {
        match self {
            Action::Revoke => "console-verb-revoke",
            Action::RevokeAccount => "console-verb-revoke-account",
            Action::RevokeOpenid => "console-verb-revoke-openid",
            Action::Unbind => "console-verb-unbind",
            // Overview (fleet at a glance).
            Action::RevokeFromAddress => "console-verb-revoke-from-address",
            Action::RunExchange => "console-verb-run-exchange",
            // Session keys.
            Action::CheckSessionKey => "console-verb-check-session-key",
            Action::ResetSessionKey => "console-verb-reset-session-key",
            // Bindings: password reset (support).
            Action::ResetPassword => "console-verb-reset-password",
            _ => "console-verb-other",
        }
    }
}
