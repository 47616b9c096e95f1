//! Every intent a console user can express. Keys map to these (see [`super::keymap`]), and
//! [`super::app::App::update`] is the one place that carries them out, so "what does pressing
//! `d` do?" has a single answer, and read-only mode is enforced in a single check.

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
    // Bindings.
    Unbind,
    JumpToSessions,
    // Exchange.
    EnterCode,
    NextApp,
    RunExchange,
    MintCode,
    // Dialogs and prompts.
    Confirm,
    Cancel,
}

impl Action {
    /// True for intents that change the database (or spend a WeChat code): refused in read-only mode.
    pub fn is_mutating(self) -> bool {
        matches!(
            self,
            Action::Revoke
                | Action::RevokeAccount
                | Action::RevokeOpenid
                | Action::Unbind
                | Action::RunExchange
        )
    }

    /// What the action does, in the words of a refusal ("read-only: revoking sessions is refused").
    pub fn verb(self) -> &'static str {
        match self {
            Action::Revoke => "revoking sessions",
            Action::RevokeAccount => "revoking an account's sessions",
            Action::RevokeOpenid => "revoking an openid's sessions",
            Action::Unbind => "unbinding",
            Action::RunExchange => {
                "exchanging a code (it consumes the code and writes an audit row)"
            }
            _ => "this",
        }
    }
}
