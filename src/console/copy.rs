//! Copy (`y`, `Y`): the selected row's identifiers go to the operator's clipboard with OSC 52
//! (`ESC ] 52 ; c ; BASE64 BEL`), which the operator's own terminal carries out, so it works
//! over SSH and, with `set -g set-clipboard on`, through tmux. The bytes are written to the
//! console's own output (see [`super::driver::SizedBackend::emit`]), never to the process's
//! stdout, because each SSH console has its own channel.
//!
//! Only identifiers are offered: a public session id, an openid, a username, an appid, an
//! address. Never a SessionId, a session_key, a code or a token: the rows the views hold do
//! not carry them.

use base64::Engine;

use super::app::App;
use super::views::View;
use crate::i18n::Tr;
use crate::sanitize;
use crate::tr;

/// The OSC 52 sequence that puts `text` on the clipboard.
pub fn osc52(text: &str) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = Vec::with_capacity(b64.len() + 8);
    out.extend_from_slice(b"\x1b]52;c;");
    out.extend_from_slice(b64.as_bytes());
    out.push(0x07);
    out
}

/// One copyable field of a row: what it is and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// What it is: a catalogue id (`console-copy-field-…`).
    pub name: &'static str,
    pub value: String,
}

fn field(name: &'static str, value: impl Into<String>) -> Option<Field> {
    // What lands on a clipboard is pasted somewhere else: no control characters either.
    let value = sanitize::for_terminal(&value.into()).into_owned();
    (!value.is_empty()).then_some(Field { name, value })
}

/// The copyable fields of the selected row in the shown view, the main identifier first;
/// empty when nothing is selected.
pub fn fields(app: &App) -> Vec<Field> {
    let out: Vec<Option<Field>> = match app.view {
        View::Sessions => match app.sessions.list.window.selected_row() {
            Some(s) => vec![
                field("console-copy-field-public-session-id", &s.public_id),
                field("console-copy-field-openid", &s.openid),
                field("console-copy-field-username", &s.username),
                field("console-copy-field-account-id", s.account_id.to_string()),
                field("console-copy-field-appid", &s.appid),
                field(
                    "console-copy-field-unionid",
                    s.unionid.clone().unwrap_or_default(),
                ),
                field(
                    "console-copy-field-client-address",
                    s.client_ip.clone().unwrap_or_default(),
                ),
                field(
                    "console-copy-field-user-agent",
                    s.user_agent.clone().unwrap_or_default(),
                ),
            ],
            None => Vec::new(),
        },
        View::Bindings => match app.bindings.target() {
            Some(b) => vec![
                field("console-copy-field-openid", &b.openid),
                field("console-copy-field-username", &b.username),
                field("console-copy-field-account-id", b.account_id.to_string()),
                field("console-copy-field-appid", &b.appid),
                field(
                    "console-copy-field-unionid",
                    b.unionid.clone().unwrap_or_default(),
                ),
            ],
            None => Vec::new(),
        },
        View::Overview => match app.overview.selected_address() {
            Some(a) => vec![field("console-copy-field-client-address", &a.address)],
            None => Vec::new(),
        },
        View::Audit => match app.audit.list.window.selected_row() {
            Some(e) => vec![
                field("console-copy-field-target", &e.target),
                field("console-copy-field-operator", &e.operator),
                field("console-copy-field-action", &e.action),
                field(
                    "console-copy-field-origin",
                    e.origin.clone().unwrap_or_default(),
                ),
                field(
                    "console-copy-field-reason",
                    e.reason.clone().unwrap_or_default(),
                ),
            ],
            None => Vec::new(),
        },
        View::Exchange => Vec::new(),
    };
    out.into_iter().flatten().collect()
}

/// What the status line says after copying `f`.
pub fn copied_text(tr: &Tr, f: &Field) -> String {
    tr!(
        tr,
        "console-copied",
        what = tr.message(f.name),
        value = sanitize::for_terminal_truncated(&f.value, 60)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_the_base64_of_exactly_the_text() {
        assert_eq!(osc52("o_abc"), b"\x1b]52;c;b19hYmM=\x07".to_vec());
    }
}
