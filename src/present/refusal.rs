//! Role names and refusals as people read them, in the operator's language. The role's machine
//! name (`oncall`, `support`, `viewer`) stays what flags, config and audit rows use.

use crate::i18n::{Lang, Tr};
use crate::operator::Role;
use crate::ops::{Denied, OpsError};
use crate::tr;

/// A role as a person reads it: `oncall` / 值班, `support` / 客服, `viewer` / 只读.
pub fn role_name(tr: &Tr, role: Role) -> String {
    match role {
        Role::Oncall => tr!(tr, "present-role-oncall"),
        Role::Support => tr!(tr, "present-role-support"),
        Role::Viewer => tr!(tr, "present-role-viewer"),
    }
}

/// "refused: revoking sessions needs the support role; you are viewer (read-only mode)", in
/// the operator's language. The English is byte for byte [`Denied`]'s own `Display`.
pub fn refusal(tr: &Tr, d: &Denied) -> String {
    let what = operation(tr, &d.what);
    let needs = role_name(tr, d.needs);
    let has = role_name(tr, d.has);
    if d.has == Role::Viewer {
        tr!(
            tr,
            "present-refused-read-only",
            what = what,
            needs = needs,
            has = has
        )
    } else {
        tr!(tr, "present-refused", what = what, needs = needs, has = has)
    }
}

/// What was asked, as the ops layer names it in English, in the operator's language; text
/// this table does not know is shown as it is.
fn operation(tr: &Tr, english: &str) -> String {
    if tr.lang() == Lang::En {
        return english.to_owned();
    }
    match english {
        "revoking sessions" => tr!(tr, "present-op-revoke-sessions"),
        "a bulk revoke by appid, unionid or client IP" => tr!(tr, "present-op-revoke-bulk"),
        "revoking an account's sessions" => tr!(tr, "present-op-revoke-account"),
        "revoking a session by SessionId" => tr!(tr, "present-op-revoke-token"),
        "unbinding an openid" => tr!(tr, "present-op-unbind"),
        "disabling an account" => tr!(tr, "present-op-disable-account"),
        "unlocking an account's password" => tr!(tr, "present-op-unlock-account"),
        "setting an account's password" => tr!(tr, "present-op-set-password"),
        "creating an account" => tr!(tr, "present-op-create-account"),
        "a test code exchange" => tr!(tr, "present-op-test-exchange"),
        "checking a session_key with WeChat" => tr!(tr, "present-op-check-key"),
        "resetting a session_key" => tr!(tr, "present-op-reset-key"),
        "migrating the database" => tr!(tr, "present-op-migrate"),
        "purging ended sessions" => tr!(tr, "present-op-purge"),
        "archiving the audit log" => tr!(tr, "present-op-archive-audit"),
        "exporting sessions" => tr!(tr, "present-op-export"),
        other if other.starts_with("a password reset that keeps") => {
            tr!(tr, "present-op-set-password-keep")
        }
        other => other.to_owned(),
    }
}

/// An ops-layer error as the operator reads it. A refusal is [`refusal`]; the ops layer's
/// other sentences (which name ids, files and counts) are worded again in the operator's
/// language where this table knows their shape, else shown as they are. The English is the ops
/// layer's own text, byte for byte. The database's own error text is never translated.
pub fn ops_error(tr: &Tr, e: &OpsError) -> String {
    if let OpsError::Denied(d) = e {
        return refusal(tr, d);
    }
    sentence(tr, &e.to_string())
}

/// One of the ops layer's sentences (a failure's message) in the operator's language where
/// this table knows its shape; any other text as it is.
pub fn sentence(tr: &Tr, text: &str) -> String {
    if tr.lang() == Lang::En {
        return text.to_owned();
    }
    said(tr, text).unwrap_or_else(|| text.to_owned())
}

/// `text` between `head` and `tail` (the rest of the sentence fixed).
fn between<'a>(text: &'a str, head: &str, tail: &str) -> Option<&'a str> {
    text.strip_prefix(head)?.strip_suffix(tail)
}

/// The ops layer's sentences this table words again: (fixed head, fixed tail) of each. A test
/// checks that every head and tail still stands in src/ops.
const SHAPES: &[(&str, &str)] = &[
    ("a reason is required: it is written in the audit log", ""),
    ("no code given: paste the code from wx.login()", ""),
    (
        "no session has this SessionId; check that the whole token was given",
        "",
    ),
    ("session ", "; nothing to revoke"),
    (
        "no binding of openid ",
        "; find it with `wxlogin bindings show`",
    ),
    (
        "no session with public id ",
        "; list them with `wxlogin sessions list`",
    ),
    ("the export's audit row could not be written (", ")"),
    (
        "the check ran but its audit row could not be written (",
        "); nothing is shown",
    ),
    (
        "WeChat issued a new session_key but it could not be stored (",
        "); the stored key is now stale at WeChat: the user must log in again",
    ),
    (
        "session ",
        "; check that WXLOGIN_DATA_KEY(_FILE) is the key the login service uses",
    ),
];

/// `audit archive`'s sentences (src/ops/archive.rs): (fixed head, fixed tail), and the pieces
/// between the numbers of the last one.
const ARCHIVE_SHAPES: &[(&str, &str)] = &[
    (
        "--before is in the future: only rows already written can be archived",
        "",
    ),
    (
        "",
        " exists; the archive never overwrites a file: choose another name",
    ),
    (
        "",
        ".partial exists (an archive that did not finish; its rows are still in the table): remove it or choose another name",
    ),
    ("no audit row before ", "; nothing to archive"),
    (
        "interrupted: ",
        " is complete and verified; no audit row was deleted",
    ),
    (
        "interrupted after deleting ",
        " (verified); run again with a new file for the rest",
    ),
    (" of ", " rows; every row is in "),
];

fn said_archive(tr: &Tr, text: &str) -> Option<String> {
    let [
        future,
        exists,
        partial,
        none,
        stopped,
        stopped_deleting,
        counts,
    ] = ARCHIVE_SHAPES
    else {
        unreachable!("seven shapes")
    };
    let m = |shape: &(&str, &str)| between(text, shape.0, shape.1);
    if m(future).is_some() {
        return Some(tr!(tr, "present-err-archive-future"));
    }
    if let Some(file) = m(partial) {
        return Some(tr!(tr, "present-err-archive-partial", file = file));
    }
    if let Some(file) = m(exists) {
        return Some(tr!(tr, "cli-archive-exists", file = file));
    }
    if let Some(before) = m(none) {
        return Some(tr!(tr, "present-err-archive-none", before = before));
    }
    if let Some(rest) = m(stopped_deleting) {
        let (deleted, rest) = rest.split_once(counts.0)?;
        let (count, file) = rest.split_once(counts.1)?;
        return Some(tr!(
            tr,
            "present-err-archive-stopped-deleting",
            deleted = deleted,
            count = count,
            file = file
        ));
    }
    if let Some(file) = m(stopped) {
        return Some(tr!(tr, "present-err-archive-stopped", file = file));
    }
    None
}

fn said(tr: &Tr, text: &str) -> Option<String> {
    if let Some(s) = said_archive(tr, text) {
        return Some(s);
    }
    let [
        reason,
        no_code,
        no_token,
        already,
        no_binding,
        no_public_id,
        export_audit,
        check_audit,
        key_not_stored,
        key_undecryptable,
    ] = SHAPES
    else {
        unreachable!("ten shapes")
    };
    let m = |shape: &(&str, &str)| between(text, shape.0, shape.1);
    if m(reason).is_some() {
        return Some(tr!(tr, "present-err-reason-required"));
    }
    if m(no_code).is_some() {
        return Some(tr!(tr, "present-err-no-code"));
    }
    if m(no_token).is_some() {
        return Some(tr!(tr, "present-err-no-session-token"));
    }
    if let Some(rest) = m(already)
        && let Some((id, state)) = rest.split_once(" is already ")
    {
        let state = match state {
            "revoked" => tr!(tr, "present-state-revoked"),
            "expired" => tr!(tr, "present-state-expired"),
            other => other.to_owned(),
        };
        return Some(tr!(tr, "present-err-already-ended", id = id, state = state));
    }
    if let Some(rest) = m(no_binding)
        && let Some((openid, appid)) = rest.split_once(" in app ")
    {
        return Some(tr!(
            tr,
            "present-err-no-binding",
            openid = openid,
            appid = appid
        ));
    }
    if let Some(id) = m(no_public_id) {
        return Some(tr!(tr, "present-err-no-public-id", id = id));
    }
    if let Some(error) = m(export_audit) {
        return Some(tr!(tr, "present-err-export-not-audited", error = error));
    }
    if let Some(error) = m(check_audit) {
        return Some(tr!(tr, "present-err-check-not-audited", error = error));
    }
    if let Some(error) = m(key_not_stored) {
        return Some(tr!(tr, "present-err-key-not-stored", error = error));
    }
    if let Some(rest) = m(key_undecryptable)
        && let Some((id, error)) = rest.split_once(": ")
    {
        return Some(tr!(
            tr,
            "present-err-key-undecryptable",
            id = id,
            error = error
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied(needs: Role, has: Role) -> Denied {
        Denied {
            what: "revoking sessions".into(),
            needs,
            has,
        }
    }

    #[test]
    fn the_english_refusal_is_the_ops_layers_own_sentence() {
        let en = Lang::En.tr();
        for (needs, has) in [(Role::Support, Role::Viewer), (Role::Oncall, Role::Support)] {
            let d = denied(needs, has);
            assert_eq!(refusal(&en, &d), d.to_string());
        }
    }

    #[test]
    fn a_chinese_refusal_names_both_roles_and_the_action_in_chinese() {
        let zh = Lang::ZhCn.tr();
        let text = refusal(&zh, &denied(Role::Oncall, Role::Viewer));
        assert!(text.contains("值班") && text.contains("只读"), "{text}");
        assert!(text.contains("撤销会话"), "{text}");
        assert!(!text.contains("needs"), "{text}");
        assert_eq!(role_name(&zh, Role::Support), "客服");
    }

    #[test]
    fn every_ops_sentence_this_table_words_again_still_stands_in_src_ops() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ops");
        let mut ops = String::new();
        for e in std::fs::read_dir(root).unwrap() {
            ops.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
        }
        // Sources wrap long literals; compare without the line breaks between pieces.
        let ops = ops.replace("\"\n", "\"");
        for (head, tail) in SHAPES.iter().chain(ARCHIVE_SHAPES) {
            for piece in [head, tail] {
                let piece = piece.trim();
                assert!(ops.contains(piece), "{piece:?} is no longer in src/ops");
            }
        }
    }

    #[test]
    fn the_ops_layers_sentences_read_in_chinese_with_their_ids_kept() {
        let zh = Lang::ZhCn.tr();
        let en = Lang::En.tr();
        let already = OpsError::NothingMatched(
            "session ses_00ff is already revoked; nothing to revoke".into(),
        );
        assert_eq!(
            ops_error(&en, &already),
            "session ses_00ff is already revoked; nothing to revoke"
        );
        let text = ops_error(&zh, &already);
        assert!(
            text.contains("ses_00ff") && text.contains("已撤销"),
            "{text}"
        );
        let reason =
            OpsError::Invalid("a reason is required: it is written in the audit log".into());
        assert!(ops_error(&zh, &reason).contains("原因"));
        let binding = OpsError::NothingMatched(
            "no binding of openid o1 in app wx1; find it with `wxlogin bindings show`".into(),
        );
        let text = ops_error(&zh, &binding);
        assert!(
            text.contains("o1") && text.contains("wx1") && text.contains("wxlogin bindings show"),
            "{text}"
        );
        // A refusal names the roles in Chinese; a sentence the table does not know stays as it is.
        let d = OpsError::Denied(denied(Role::Oncall, Role::Support));
        assert!(ops_error(&zh, &d).contains("值班"));
        let stopped = OpsError::Runtime(
            "interrupted after deleting 500 of 1200 rows; every row is in /tmp/a.jsonl (verified); run again with a new file for the rest".into(),
        );
        let text = ops_error(&zh, &stopped);
        assert!(
            text.contains("500") && text.contains("1200") && text.contains("/tmp/a.jsonl"),
            "{text}"
        );
        assert!(!text.contains("interrupted"), "{text}");
        let future = OpsError::Invalid(
            "--before is in the future: only rows already written can be archived".into(),
        );
        assert!(ops_error(&zh, &future).contains("--before"));
        assert!(!ops_error(&zh, &future).contains("future"));
        let other = OpsError::Runtime("disk full".into());
        assert_eq!(ops_error(&zh, &other), "disk full");
    }
}
