//! The one key table. Input handling looks keys up here; the `?` help screen and the footer are
//! drawn from it; so what the screen says a key does is what it does.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// Where a binding applies. View scopes are tried before [`Scope::Global`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    Sessions,
    Bindings,
    Exchange,
    Audit,
    // Overview (fleet at a glance).
    Overview,
    /// The confirmation dialog (typed characters go to the reason).
    Dialog,
    /// Prompts: `:` command line, `/` filter, masked inputs (typed characters are text).
    Prompt,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::Sessions => "Sessions",
            Scope::Bindings => "Bindings",
            Scope::Exchange => "Exchange",
            Scope::Audit => "Audit",
            Scope::Overview => "Overview",
            Scope::Dialog => "Confirmation dialog",
            Scope::Prompt => "Prompts (: / and inputs)",
        }
    }
}

/// A key: a code and whether Ctrl is held (Shift is part of the character itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn k(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}
const fn code(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}
const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

impl Key {
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        let ev_ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        if ev_ctrl != self.ctrl {
            return false;
        }
        match (self.code, ev.code) {
            // Terminals disagree on whether Shift+Tab is BackTab or Tab+SHIFT.
            (KeyCode::BackTab, KeyCode::Tab) => ev.modifiers.contains(KeyModifiers::SHIFT),
            (KeyCode::Tab, KeyCode::Tab) => !ev.modifiers.contains(KeyModifiers::SHIFT),
            (a, b) => a == b,
        }
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::BackTab => "S-Tab".to_owned(),
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            other => format!("{other:?}"),
        };
        if self.ctrl { format!("^{base}") } else { base }
    }
}

/// One row of the table: the keys, the intent, a help sentence and (if it belongs in the
/// footer) a short label.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub scope: Scope,
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
    pub footer: Option<&'static str>,
}

const fn b(
    scope: Scope,
    keys: &'static [Key],
    action: Action,
    help: &'static str,
    footer: Option<&'static str>,
) -> Binding {
    Binding {
        scope,
        keys,
        action,
        help,
        footer,
    }
}

use Action as A;
use Scope as S;

#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    // Sessions (in footer order: the most used first).
    b(S::Sessions, &[code(KeyCode::Enter)], A::Open, "show the session's details", Some("detail")),
    b(S::Sessions, &[k(' ')], A::ToggleMark, "mark / unmark the session (for a bulk revoke)", Some("mark")),
    b(S::Sessions, &[k('d')], A::Revoke, "revoke the marked sessions, or the selected one", Some("revoke")),
    b(S::Sessions, &[k('t')], A::FindByToken, "find a session by its SessionId (masked, hashed, never shown)", Some("SessionId")),
    b(S::Sessions, &[k('x')], A::ToggleInactive, "show / hide revoked and expired sessions (who, when, why)", Some("revoked")),
    b(S::Sessions, &[k('A')], A::RevokeAccount, "revoke every live session of the selected session's account", Some("all of account")),
    b(S::Sessions, &[k('O')], A::RevokeOpenid, "revoke every live session of the selected session's openid", Some("all of openid")),
    b(S::Sessions, &[k('u')], A::ClearMarks, "clear all marks", None),
    b(S::Sessions, &[k('b')], A::JumpToBindings, "open the selected session's account in Bindings", None),
    // Sessions: the selected session's WeChat session_key.
    b(S::Sessions, &[k('c')], A::CheckSessionKey, "check the session's session_key with WeChat (audited)", None),
    b(S::Sessions, &[k('R')], A::ResetSessionKey, "have WeChat issue a new session_key and store it", None),
    // Bindings.
    b(S::Bindings, &[k('/'), k('s')], A::Filter, "search by openid, unionid, username or account id", Some("search")),
    b(S::Bindings, &[code(KeyCode::Enter)], A::Open, "show the account with all its bindings", Some("account")),
    b(S::Bindings, &[k('U')], A::Unbind, "unbind the selected binding (revokes its sessions)", Some("unbind")),
    b(S::Bindings, &[k('S')], A::JumpToSessions, "show the account's sessions", Some("sessions")),
    // Bindings: the account history (support).
    b(S::Bindings, &[k('H')], A::FocusHistory, "in the account: move between its bindings and its history", None),
    // Bindings: password reset (support).
    b(S::Bindings, &[k('P')], A::ResetPassword, "set a new password for the account (revokes its live sessions)", Some("password")),
    b(S::Dialog, &[code(KeyCode::Tab)], A::ToggleOption, "switch the dialog's option (also unbind every binding)", None),
    // Exchange.
    b(S::Exchange, &[k('c'), k('p'), k('/')], A::EnterCode, "paste a login code (masked)", Some("code")),
    b(S::Exchange, &[k('a')], A::NextApp, "next configured appid", Some("appid")),
    b(S::Exchange, &[code(KeyCode::Enter), k('e')], A::RunExchange, "run code2Session with the code", Some("exchange")),
    b(S::Exchange, &[k('m')], A::MintCode, "emulator only: mint a fresh test code for a test user", Some("mint")),
    b(S::Exchange, &[k('b')], A::JumpToBindings, "open the exchanged openid in Bindings", Some("binding")),
    // Audit.
    b(S::Audit, &[code(KeyCode::Enter)], A::Open, "show the entry's details", Some("detail")),
    b(S::Audit, &[k('/')], A::Filter, "filter: operator=… action=… target=…", Some("filter")),
    // Overview (fleet at a glance).
    b(S::Overview, &[code(KeyCode::Enter), k('S')], A::JumpToSessions, "show the sessions from the selected failing address", Some("sessions")),
    b(S::Overview, &[k('D')], A::RevokeFromAddress, "revoke every live session from the selected failing address", Some("revoke all")),
    // Confirmation dialog.
    b(S::Dialog, &[code(KeyCode::Enter)], A::Confirm, "confirm (a reason is required)", Some("confirm")),
    b(S::Dialog, &[code(KeyCode::Esc)], A::Cancel, "cancel; while a bulk revoke runs: stop after the current batch", Some("cancel")),
    // Prompts.
    b(S::Prompt, &[code(KeyCode::Enter)], A::Confirm, "accept", Some("accept")),
    b(S::Prompt, &[code(KeyCode::Esc)], A::Cancel, "cancel", Some("cancel")),
    // Everywhere.
    b(S::Global, &[k('j'), code(KeyCode::Down)], A::Down, "move down", None),
    b(S::Global, &[k('k'), code(KeyCode::Up)], A::Up, "move up", None),
    b(S::Global, &[k('g'), code(KeyCode::Home)], A::Top, "first row (newest)", None),
    b(S::Global, &[k('G'), code(KeyCode::End)], A::Bottom, "last row (oldest)", None),
    b(S::Global, &[code(KeyCode::PageDown), ctrl('f'), ctrl('d')], A::PageDown, "page down", None),
    b(S::Global, &[code(KeyCode::PageUp), ctrl('b'), ctrl('u')], A::PageUp, "page up", None),
    b(S::Global, &[code(KeyCode::Esc)], A::Back, "back: close the detail, then clear the filter", None),
    b(S::Global, &[k('/')], A::Filter, "filter the current view", Some("filter")),
    b(S::Global, &[k(':')], A::CommandLine, "command line (:sessions username=alice, :audit, :q …)", None),
    b(S::Global, &[k('r'), ctrl('r')], A::Refresh, "refresh now", None),
    b(S::Global, &[code(KeyCode::Tab)], A::NextView, "next view", None),
    b(S::Global, &[code(KeyCode::BackTab)], A::PrevView, "previous view", None),
    // Overview (fleet at a glance).
    b(S::Global, &[k('0')], A::ShowOverview, "Overview view", None),
    b(S::Global, &[k('1')], A::ShowSessions, "Sessions view", None),
    b(S::Global, &[k('2')], A::ShowBindings, "Bindings view", None),
    b(S::Global, &[k('3')], A::ShowExchange, "Exchange view", None),
    b(S::Global, &[k('4')], A::ShowAudit, "Audit view", None),
    // Support tools (copy).
    b(S::Global, &[k('y')], A::Copy, "copy the row's id to your clipboard (OSC 52)", None),
    b(S::Global, &[k('Y')], A::CopyOther, "copy the row's next other field (username…)", None),
    b(S::Global, &[k('?')], A::Help, "this help", Some("help")),
    b(S::Global, &[k('q'), ctrl('c')], A::Quit, "quit", Some("quit")),
];

/// The action `ev` means in `scope` (its own bindings first, then the global ones unless the
/// scope is modal).
pub fn lookup(scope: Scope, ev: &KeyEvent) -> Option<Action> {
    let find = |s: Scope| {
        BINDINGS
            .iter()
            .filter(|b| b.scope == s)
            .find(|b| b.keys.iter().any(|k| k.matches(ev)))
            .map(|b| b.action)
    };
    match scope {
        Scope::Dialog | Scope::Prompt => find(scope),
        s => find(s).or_else(|| find(Scope::Global)),
    }
}

pub fn bindings_in(scope: Scope) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.scope == scope)
}

/// The label of the first key bound to `action` in `scope` (falling back to the global keys,
/// as [`lookup`] does): what every hint, prompt and message says to press, so the screen
/// never names a key the table does not bind.
pub fn key(scope: Scope, action: Action) -> String {
    let find = |s: Scope| {
        bindings_in(s)
            .find(|b| b.action == action)
            .map(|b| b.keys[0].label())
    };
    let found = match scope {
        Scope::Dialog | Scope::Prompt => find(scope),
        s => find(s).or_else(|| find(Scope::Global)),
    };
    debug_assert!(found.is_some(), "{action:?} has no key in {scope:?}");
    found.unwrap_or_else(|| "?".to_owned())
}

/// `j/↓` style label for a binding's keys.
pub fn keys_label(b: &Binding) -> String {
    b.keys.iter().map(Key::label).collect::<Vec<_>>().join("/")
}

/// What the footer adds to the label of an action this operator may not do.
pub const REFUSED_MARK: &str = "✗";

/// The footer entries for a scope (key, label, action): its own, then the global ones that
/// have a footer label.
pub fn footer(scope: Scope) -> Vec<(String, &'static str, Action)> {
    let mut out: Vec<(String, &'static str, Action)> = Vec::new();
    // (Callers drop entries that do not fit, so the order here is the priority.)
    let mut seen_actions: Vec<Action> = Vec::new();
    let mut seen_keys: Vec<Key> = Vec::new();
    let mut push = |s: Scope| {
        for bd in bindings_in(s) {
            // A global binding shadowed by the view (same action or same key) is not shown.
            let shadowed =
                seen_actions.contains(&bd.action) || bd.keys.iter().any(|k| seen_keys.contains(k));
            seen_actions.push(bd.action);
            seen_keys.extend(bd.keys.iter().copied());
            if let (Some(label), false) = (bd.footer, shadowed) {
                // The footer shows the first key only; `?` lists them all.
                out.push((bd.keys[0].label(), label, bd.action));
            }
        }
    };
    push(scope);
    if !matches!(scope, Scope::Dialog | Scope::Prompt) {
        push(Scope::Global);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn view_keys_win_over_global_ones_and_modal_scopes_are_closed() {
        let slash = ev(KeyCode::Char('/'), KeyModifiers::NONE);
        assert_eq!(lookup(Scope::Bindings, &slash), Some(Action::Filter));
        let q = ev(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(lookup(Scope::Sessions, &q), Some(Action::Quit));
        assert_eq!(lookup(Scope::Dialog, &q), None);
        let g = ev(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(lookup(Scope::Audit, &g), Some(Action::Bottom));
        let ctrl_c = ev(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(Scope::Sessions, &ctrl_c), Some(Action::Quit));
        let shift_tab = ev(KeyCode::Tab, KeyModifiers::SHIFT);
        assert_eq!(lookup(Scope::Sessions, &shift_tab), Some(Action::PrevView));
    }

    #[test]
    fn every_mutating_action_has_a_key_and_no_key_is_bound_twice_in_a_scope() {
        for scope in [
            Scope::Global,
            Scope::Sessions,
            Scope::Bindings,
            Scope::Exchange,
            Scope::Audit,
            Scope::Overview,
            Scope::Dialog,
            Scope::Prompt,
        ] {
            let keys: Vec<Key> = bindings_in(scope)
                .flat_map(|b| b.keys.iter().copied())
                .collect();
            for (i, a) in keys.iter().enumerate() {
                assert!(!keys[i + 1..].contains(a), "{a:?} bound twice in {scope:?}");
            }
        }
        for a in [
            Action::Revoke,
            Action::RevokeAccount,
            Action::RevokeOpenid,
            Action::Unbind,
            Action::CheckSessionKey,
            Action::ResetSessionKey,
        ] {
            assert!(BINDINGS.iter().any(|b| b.action == a));
        }
    }
}
