//! How a component asks for what lies outside it. A view handles its own actions and messages
//! on its own state; what it cannot do itself (say something on the status line, open a prompt
//! or the confirmation dialog, go to another view) it returns as an [`Effect`] through its
//! [`Cx`], and the app routes it.

use std::future::Future;
use std::time::Instant;

use super::action::Action;
use super::confirm;
use super::filter::BindingSearch;
use super::prompt::Prompt;
use super::tasks::{Msg, Tasks};
use super::views::View;
use crate::i18n::Tr;
use crate::operator::Actor;
use crate::store::{SessionFilter, Store, StoreError, Ts};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Ok,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub kind: StatusKind,
    pub text: String,
    /// When it was set: messages fade after a while.
    pub at: Instant,
}

/// Something only the app can do.
#[derive(Debug)]
pub enum Effect {
    /// A message on the status line.
    Status(StatusKind, String),
    /// The database connection is lost: raise the banner and start pinging.
    DbDown(String),
    /// Open a prompt; its text comes back to the component that asked.
    Prompt(Prompt),
    /// Open the confirmation dialog for an operation (refused on the status line when the
    /// operator may not do it).
    Confirm(confirm::Request),
    /// Show another view, and what in it.
    Goto(Goto),
    /// Something the audit log shows may have changed.
    Audited,
    /// Carry out this action as if its key were pressed (with the app's checks).
    Action(Action),
    /// A confirmed operation finished: what every view shows may have changed, and these
    /// sessions were revoked (their marks go).
    Changed { revoked: Vec<String> },
    /// A session_key reset finished: its result for the Sessions view's detail pane.
    SessionKey(Box<super::views::sessions::KeyResult>),
}

/// Where a view sends the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Goto {
    View(View),
    /// Sessions, with this filter.
    Sessions(SessionFilter),
    /// Bindings: this account with all its bindings.
    Account(i64),
    /// Bindings: this search, and the account when known.
    Binding {
        search: BindingSearch,
        account: Option<i64>,
    },
}

/// What a component may use while it handles an action or a message.
pub struct Cx<'a> {
    pub store: &'a Store,
    /// Who is acting (written on audit rows).
    pub actor: &'a Actor,
    /// The console's language (clone it into a background task that words its result).
    pub tr: &'a Tr,
    tasks: &'a Tasks,
    /// "Now" for relative times and session states.
    pub now: Ts,
    /// Rows of a list that fit on screen (for paging).
    pub list_height: usize,
    effects: &'a mut Vec<Effect>,
}

impl<'a> Cx<'a> {
    pub fn new(
        store: &'a Store,
        actor: &'a Actor,
        tr: &'a Tr,
        tasks: &'a Tasks,
        now: Ts,
        list_height: usize,
        effects: &'a mut Vec<Effect>,
    ) -> Self {
        Cx {
            store,
            actor,
            tr,
            tasks,
            now,
            list_height,
            effects,
        }
    }

    /// Runs `fut` in the background; its message comes back to the component it names.
    pub fn spawn<M, F>(&self, fut: F)
    where
        M: Into<Msg>,
        F: Future<Output = M> + Send + 'static,
    {
        self.tasks.spawn(fut)
    }

    pub fn tasks(&self) -> &Tasks {
        self.tasks
    }

    pub fn push(&mut self, e: Effect) {
        self.effects.push(e);
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.push(Effect::Status(StatusKind::Info, text.into()));
    }

    pub fn ok(&mut self, text: impl Into<String>) {
        self.push(Effect::Status(StatusKind::Ok, text.into()));
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.push(Effect::Status(StatusKind::Error, text.into()));
    }

    pub fn goto(&mut self, to: Goto) {
        self.push(Effect::Goto(to));
    }

    pub fn prompt(&mut self, p: Prompt) {
        self.push(Effect::Prompt(p));
    }

    /// Reports a store error on the status line (a lost connection also raises the banner);
    /// returns the text, for the component's own error state.
    pub fn store_error(&mut self, what: &str, e: &StoreError) -> String {
        // (`e` is the database's own text, shown as it is in every language.)
        let text = format!("{what}: {e}");
        if e.is_connection() {
            self.push(Effect::DbDown(e.to_string()));
        }
        self.error(crate::sanitize::for_terminal(&text).into_owned());
        text
    }
}
