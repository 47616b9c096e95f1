//! The account history's labels: what each audited event is called and the rest of it on one
//! line, the same words in the console's History pane and in `wxlogin accounts history`.

use crate::sanitize::for_terminal_truncated;
use crate::store::HistoryEvent;

/// Database text for a terminal: escaped and cut to `max` characters.
fn clean(text: &str, max: usize) -> String {
    for_terminal_truncated(text, max)
}

/// As [`clean`]; `-` when there is no value.
fn clean_opt(text: &Option<String>, max: usize) -> String {
    text.as_deref()
        .map(|t| clean(t, max))
        .unwrap_or_else(|| "-".into())
}

fn sessions_word(n: u64) -> &'static str {
    if n == 1 { "session" } else { "sessions" }
}

/// What happened, in a support agent's words.
pub fn event_name(e: &HistoryEvent) -> &'static str {
    match e.action.as_str() {
        "binding.create" => "bound",
        "binding.unbind" => "unbound",
        "session.create" => "session created",
        "session.revoke" => "session revoked",
        "sessions.revoke" => "sessions revoked",
        "account.create" => "account created",
        "account.disable" => "disabled",
        "account.unlock" => "unlocked",
        "account.set_password" => "password set",
        "session.reset_key" => "session key reset",
        _ => "operator action",
    }
}

/// The rest of the event on one line, every database value sanitised.
pub fn event_detail(e: &HistoryEvent) -> String {
    let c = |v: &Option<String>| clean_opt(v, 64);
    let by = |e: &HistoryEvent| {
        let mut s = format!("by {}", c(&e.actor));
        if let Some(r) = &e.reason {
            s.push_str(&format!(": {}", clean(r, 120)));
        }
        s
    };
    let count = |k: &str| {
        e.detail
            .get(k)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    let binding = format!("{} / {}", c(&e.appid), c(&e.openid));
    match e.action.as_str() {
        "binding.create" => format!("{binding} from {}", c(&e.origin)),
        "binding.unbind" => format!(
            "{binding} {} ({} {} revoked)",
            by(e),
            count("sessions_revoked"),
            sessions_word(count("sessions_revoked"))
        ),
        "session.create" => format!("{} in {} from {}", c(&e.session), c(&e.appid), c(&e.origin)),
        "session.revoke" => format!("{} {}", c(&e.session), by(e)),
        "account.set_password" => {
            let mut s = format!(
                "{} ({} {} revoked",
                by(e),
                count("sessions_revoked"),
                sessions_word(count("sessions_revoked"))
            );
            if count("bindings_removed") > 0 {
                s.push_str(&format!(", {} bindings removed", count("bindings_removed")));
            }
            s.push(')');
            s
        }
        "sessions.revoke" | "account.disable" => format!(
            "{} ({} {} revoked)",
            by(e),
            count("revoked").max(count("sessions_revoked")),
            sessions_word(count("revoked").max(count("sessions_revoked")))
        ),
        "account.create" | "account.unlock" => by(e),
        other => format!("{} {}", clean(other, 40), by(e)),
    }
}
