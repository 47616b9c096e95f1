//! The account history's labels: what each audited event is called and the rest of it on one
//! line, the same words in the console's History pane and in `wxlogin accounts history`, in
//! the reader's language. The audit row itself (action, target, reason) is never translated:
//! these only describe it.

use crate::i18n::Tr;
use crate::sanitize::for_terminal_truncated;
use crate::store::HistoryEvent;
use crate::tr;

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

/// What happened, in a support agent's words.
pub fn event_name(tr: &Tr, e: &HistoryEvent) -> String {
    match e.action.as_str() {
        "binding.create" => tr!(tr, "present-event-bound"),
        "binding.unbind" => tr!(tr, "present-event-unbound"),
        "session.create" => tr!(tr, "present-event-session-created"),
        "session.revoke" => tr!(tr, "present-event-session-revoked"),
        "sessions.revoke" => tr!(tr, "present-event-sessions-revoked"),
        "account.create" => tr!(tr, "present-event-account-created"),
        "account.disable" => tr!(tr, "present-event-disabled"),
        "account.unlock" => tr!(tr, "present-event-unlocked"),
        "account.set_password" => tr!(tr, "present-event-password-set"),
        "session.reset_key" => tr!(tr, "present-event-session-key-reset"),
        _ => tr!(tr, "present-event-operator-action"),
    }
}

/// The rest of the event on one line, every database value sanitised.
pub fn event_detail(tr: &Tr, e: &HistoryEvent) -> String {
    let c = |v: &Option<String>| clean_opt(v, 64);
    let by = |e: &HistoryEvent| match &e.reason {
        Some(r) => tr!(
            tr,
            "present-detail-by-reason",
            actor = c(&e.actor),
            reason = clean(r, 120)
        ),
        None => tr!(tr, "present-detail-by", actor = c(&e.actor)),
    };
    let count = |k: &str| {
        e.detail
            .get(k)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    let revoked = |n: u64| tr!(tr, "present-detail-revoked", count = n);
    let binding = format!("{} / {}", c(&e.appid), c(&e.openid));
    match e.action.as_str() {
        "binding.create" => tr!(
            tr,
            "present-detail-bound-from",
            binding = binding,
            origin = c(&e.origin)
        ),
        "binding.unbind" => format!("{binding} {} {}", by(e), revoked(count("sessions_revoked"))),
        "session.create" => tr!(
            tr,
            "present-detail-session-created",
            session = c(&e.session),
            appid = c(&e.appid),
            origin = c(&e.origin)
        ),
        "session.revoke" => format!("{} {}", c(&e.session), by(e)),
        "account.set_password" => {
            let sessions = count("sessions_revoked");
            let removed = count("bindings_removed");
            let tail = if removed > 0 {
                tr!(
                    tr,
                    "present-detail-revoked-and-removed",
                    count = sessions,
                    removed = removed
                )
            } else {
                revoked(sessions)
            };
            format!("{} {tail}", by(e))
        }
        "sessions.revoke" | "account.disable" => format!(
            "{} {}",
            by(e),
            revoked(count("revoked").max(count("sessions_revoked")))
        ),
        "account.create" | "account.unlock" => by(e),
        other => format!("{} {}", clean(other, 40), by(e)),
    }
}

/// "sessions that ended before 2026-11-05 removed by retention": the last line of an account's
/// history (and the Bindings detail) once retention has purged anything. The date stays
/// ISO-8601 in every language.
pub fn retention_note(tr: &Tr, purged_before: crate::store::Ts) -> String {
    let date = purged_before.0.format("%Y-%m-%d").to_string();
    tr!(tr, "present-retention-note", date = date)
}
