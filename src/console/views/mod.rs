//! One file per view: its state, what its keys do, what its background results do, and how it is
//! drawn. A view knows nothing of the app: it works on its own state and says what it needs
//! from outside as effects through its [`Cx`].

pub mod audit;
pub mod bindings;
pub mod exchange;
pub mod list;
// Overview (fleet at a glance).
pub mod overview;
pub mod sessions;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::action::Action;
use super::effect::Cx;
use super::input::TextInput;
use super::keymap::Scope;
use super::prompt::PromptKind;
use super::widgets::Paint;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    // Overview (fleet at a glance): key 0, the first tab.
    Overview,
    Sessions,
    Bindings,
    Exchange,
    Audit,
}

impl View {
    pub const ALL: [View; 5] = [
        View::Overview,
        View::Sessions,
        View::Bindings,
        View::Exchange,
        View::Audit,
    ];

    /// The tab's name in the console's language.
    pub fn title(self, tr: &crate::i18n::Tr) -> String {
        self.scope().title(tr)
    }

    pub fn scope(self) -> Scope {
        match self {
            View::Overview => Scope::Overview,
            View::Sessions => Scope::Sessions,
            View::Bindings => Scope::Bindings,
            View::Exchange => Scope::Exchange,
            View::Audit => Scope::Audit,
        }
    }

    /// The action that shows this view (its key is the tab's number).
    pub fn show_action(self) -> Action {
        match self {
            View::Overview => Action::ShowOverview,
            View::Sessions => Action::ShowSessions,
            View::Bindings => Action::ShowBindings,
            View::Exchange => Action::ShowExchange,
            View::Audit => Action::ShowAudit,
        }
    }

    /// The view after (`step` 1) or before (`step` -1) this one, round the tabs.
    pub fn step(self, step: isize) -> View {
        let n = View::ALL.len() as isize;
        let i = View::ALL.iter().position(|v| *v == self).unwrap_or(0) as isize;
        View::ALL[(i + step).rem_euclid(n) as usize]
    }
}

/// What the app asks of every view.
pub trait Component {
    /// An action while this view is shown (the app keeps the global ones it handles itself).
    fn handle(&mut self, action: Action, cx: &mut Cx);
    /// The text of a prompt this view opened, once accepted (wiped afterwards).
    fn accept(&mut self, kind: PromptKind, input: &mut TextInput, cx: &mut Cx);
    /// Reloads what the view shows, keeping the selection (after a reconnection).
    fn refresh(&mut self, cx: &mut Cx);
    /// The periodic refresh while shown.
    fn live(&mut self, _cx: &mut Cx) {}
    /// The view is being shown.
    fn shown(&mut self, _cx: &mut Cx) {}
    /// A confirmed operation changed data (`revoked`: sessions revoked by public id).
    fn changed(&mut self, revoked: &[String], visible: bool, cx: &mut Cx);
    /// Waiting on the database or WeChat (the status line says so).
    fn busy(&self) -> bool;
    /// What the status line says when text is pasted outside a prompt.
    fn paste_hint(&self, tr: &crate::i18n::Tr) -> String;
    fn draw(&self, frame: &mut Frame, area: Rect, paint: &Paint);
}
