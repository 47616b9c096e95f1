//! The one key table. Input handling looks keys up here; the `?` help screen and the footer are
//! drawn from it; so what the screen says a key does is what it does.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use crate::i18n::Tr;
use crate::tr;

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
    /// The help screen's heading for this scope.
    pub fn title(self, tr: &Tr) -> String {
        match self {
            Scope::Global => tr!(tr, "console-scope-global"),
            Scope::Sessions => tr!(tr, "console-tab-sessions"),
            Scope::Bindings => tr!(tr, "console-tab-bindings"),
            Scope::Exchange => tr!(tr, "console-tab-exchange"),
            Scope::Audit => tr!(tr, "console-tab-audit"),
            Scope::Overview => tr!(tr, "console-tab-overview"),
            Scope::Dialog => tr!(tr, "console-scope-dialog"),
            Scope::Prompt => tr!(tr, "console-scope-prompt"),
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
/// footer) a short label. The sentence and the label are catalogue ids (`console-key-…`,
/// `console-footer-…`), worded in the console's language when drawn; a test checks that
/// each exists in both catalogues.
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
    b(S::Sessions, &[code(KeyCode::Enter)], A::Open, "console-key-sessions-open", Some("console-footer-sessions-open")),
    b(S::Sessions, &[k(' ')], A::ToggleMark, "console-key-sessions-toggle-mark", Some("console-footer-sessions-toggle-mark")),
    b(S::Sessions, &[k('d')], A::Revoke, "console-key-sessions-revoke", Some("console-footer-sessions-revoke")),
    b(S::Sessions, &[k('t')], A::FindByToken, "console-key-sessions-find-by-token", Some("console-footer-sessions-find-by-token")),
    b(S::Sessions, &[k('x')], A::ToggleInactive, "console-key-sessions-toggle-inactive", Some("console-footer-sessions-toggle-inactive")),
    b(S::Sessions, &[k('A')], A::RevokeAccount, "console-key-sessions-revoke-account", Some("console-footer-sessions-revoke-account")),
    b(S::Sessions, &[k('O')], A::RevokeOpenid, "console-key-sessions-revoke-openid", Some("console-footer-sessions-revoke-openid")),
    b(S::Sessions, &[k('u')], A::ClearMarks, "console-key-sessions-clear-marks", None),
    b(S::Sessions, &[k('b')], A::JumpToBindings, "console-key-sessions-jump-to-bindings", None),
    // Sessions: the selected session's WeChat session_key.
    b(S::Sessions, &[k('c')], A::CheckSessionKey, "console-key-sessions-check-session-key", None),
    b(S::Sessions, &[k('R')], A::ResetSessionKey, "console-key-sessions-reset-session-key", None),
    // Bindings.
    b(S::Bindings, &[k('/'), k('s')], A::Filter, "console-key-bindings-filter", Some("console-footer-bindings-filter")),
    b(S::Bindings, &[code(KeyCode::Enter)], A::Open, "console-key-bindings-open", Some("console-footer-bindings-open")),
    b(S::Bindings, &[k('U')], A::Unbind, "console-key-bindings-unbind", Some("console-footer-bindings-unbind")),
    b(S::Bindings, &[k('S')], A::JumpToSessions, "console-key-bindings-jump-to-sessions", Some("console-footer-bindings-jump-to-sessions")),
    // Bindings: the account history (support).
    b(S::Bindings, &[k('H')], A::FocusHistory, "console-key-bindings-focus-history", None),
    // Bindings: password reset (support).
    b(S::Bindings, &[k('P')], A::ResetPassword, "console-key-bindings-reset-password", Some("console-footer-bindings-reset-password")),
    b(S::Dialog, &[code(KeyCode::Tab)], A::ToggleOption, "console-key-dialog-toggle-option", None),
    // Exchange.
    b(S::Exchange, &[k('c'), k('p'), k('/')], A::EnterCode, "console-key-exchange-enter-code", Some("console-footer-exchange-enter-code")),
    b(S::Exchange, &[k('a')], A::NextApp, "console-key-exchange-next-app", Some("console-footer-exchange-next-app")),
    b(S::Exchange, &[code(KeyCode::Enter), k('e')], A::RunExchange, "console-key-exchange-run-exchange", Some("console-footer-exchange-run-exchange")),
    b(S::Exchange, &[k('m')], A::MintCode, "console-key-exchange-mint-code", Some("console-footer-exchange-mint-code")),
    b(S::Exchange, &[k('b')], A::JumpToBindings, "console-key-exchange-jump-to-bindings", Some("console-footer-exchange-jump-to-bindings")),
    // Audit.
    b(S::Audit, &[code(KeyCode::Enter)], A::Open, "console-key-audit-open", Some("console-footer-audit-open")),
    b(S::Audit, &[k('/')], A::Filter, "console-key-audit-filter", Some("console-footer-audit-filter")),
    // Overview (fleet at a glance).
    b(S::Overview, &[code(KeyCode::Enter), k('S')], A::JumpToSessions, "console-key-overview-jump-to-sessions", Some("console-footer-overview-jump-to-sessions")),
    b(S::Overview, &[k('D')], A::RevokeFromAddress, "console-key-overview-revoke-from-address", Some("console-footer-overview-revoke-from-address")),
    // Confirmation dialog.
    b(S::Dialog, &[code(KeyCode::Enter)], A::Confirm, "console-key-dialog-confirm", Some("console-footer-dialog-confirm")),
    b(S::Dialog, &[code(KeyCode::Esc)], A::Cancel, "console-key-dialog-cancel", Some("console-footer-dialog-cancel")),
    // Prompts.
    b(S::Prompt, &[code(KeyCode::Enter)], A::Confirm, "console-key-prompt-confirm", Some("console-footer-prompt-confirm")),
    b(S::Prompt, &[code(KeyCode::Esc)], A::Cancel, "console-key-prompt-cancel", Some("console-footer-prompt-cancel")),
    // Everywhere.
    b(S::Global, &[k('j'), code(KeyCode::Down)], A::Down, "console-key-global-down", None),
    b(S::Global, &[k('k'), code(KeyCode::Up)], A::Up, "console-key-global-up", None),
    b(S::Global, &[k('g'), code(KeyCode::Home)], A::Top, "console-key-global-top", None),
    b(S::Global, &[k('G'), code(KeyCode::End)], A::Bottom, "console-key-global-bottom", None),
    b(S::Global, &[code(KeyCode::PageDown), ctrl('f'), ctrl('d')], A::PageDown, "console-key-global-page-down", None),
    b(S::Global, &[code(KeyCode::PageUp), ctrl('b'), ctrl('u')], A::PageUp, "console-key-global-page-up", None),
    b(S::Global, &[code(KeyCode::Esc)], A::Back, "console-key-global-back", None),
    b(S::Global, &[k('/')], A::Filter, "console-key-global-filter", Some("console-footer-global-filter")),
    b(S::Global, &[k(':')], A::CommandLine, "console-key-global-command-line", None),
    b(S::Global, &[k('r'), ctrl('r')], A::Refresh, "console-key-global-refresh", None),
    b(S::Global, &[code(KeyCode::Tab)], A::NextView, "console-key-global-next-view", None),
    b(S::Global, &[code(KeyCode::BackTab)], A::PrevView, "console-key-global-prev-view", None),
    // Overview (fleet at a glance).
    b(S::Global, &[k('0')], A::ShowOverview, "console-key-global-show-overview", None),
    b(S::Global, &[k('1')], A::ShowSessions, "console-key-global-show-sessions", None),
    b(S::Global, &[k('2')], A::ShowBindings, "console-key-global-show-bindings", None),
    b(S::Global, &[k('3')], A::ShowExchange, "console-key-global-show-exchange", None),
    b(S::Global, &[k('4')], A::ShowAudit, "console-key-global-show-audit", None),
    // Support tools (copy).
    b(S::Global, &[k('y')], A::Copy, "console-key-global-copy", None),
    b(S::Global, &[k('Y')], A::CopyOther, "console-key-global-copy-other", None),
    b(S::Global, &[k('?')], A::Help, "console-key-global-help", Some("console-footer-global-help")),
    b(S::Global, &[k('q'), ctrl('c')], A::Quit, "console-key-global-quit", Some("console-footer-global-quit")),
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

/// The footer entries for a scope (key, label id, action): its own, then the global ones that
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
    fn every_help_sentence_and_footer_label_is_in_the_catalogue() {
        // (tests/i18n_catalogue.rs checks that zh-CN has every id English has.)
        let tr = crate::i18n::Lang::En.tr();
        for b in BINDINGS {
            for id in std::iter::once(b.help).chain(b.footer) {
                assert!(tr.has(id), "{id} is not in the catalogue");
            }
        }
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
