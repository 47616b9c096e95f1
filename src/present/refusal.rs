//! Role names and refusals as people read them, in the operator's language. The role's machine
//! name (`oncall`, `support`, `viewer`) stays what flags, config and audit rows use.

use crate::i18n::{Lang, Tr};
use crate::operator::Role;
use crate::ops::Denied;
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
}
