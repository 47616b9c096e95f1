//! The `:` command line and the `/` filters: `key=value` words, parsed into store filters and
//! printed back (so `/` opens with the filter that is in force).

use crate::i18n::Tr;
use crate::store::{AuditFilter, BindingQuery, SessionFilter};
use crate::tr;

/// A parsed `:` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `:sessions [filters]` (no filters: all live sessions).
    Sessions(SessionFilter),
    /// `:bindings [query]`.
    Bindings(Option<BindingSearch>),
    Exchange,
    // Overview (fleet at a glance).
    Overview,
    /// `:audit [filters]`.
    Audit(AuditFilter),
    Help,
    Quit,
    /// Export: `:export csv|json FILE` (`:export!` replaces an existing file).
    Export(crate::console::export::Request),
}

/// What the Bindings view searches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingSearch {
    /// One precise query.
    Exact(BindingQuery),
    /// A bare word: tried as openid, unionid, username (and account id when numeric).
    Any(String),
}

impl BindingSearch {
    /// The queries to run.
    pub fn queries(&self) -> Vec<BindingQuery> {
        match self {
            BindingSearch::Exact(q) => vec![q.clone()],
            BindingSearch::Any(w) => {
                let mut v = vec![
                    BindingQuery::OpenId {
                        openid: w.clone(),
                        appid: None,
                    },
                    BindingQuery::UnionId(w.clone()),
                    BindingQuery::Username(w.clone()),
                ];
                if let Ok(id) = w.trim_start_matches('#').parse::<i64>() {
                    v.push(BindingQuery::AccountId(id));
                }
                v
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            BindingSearch::Any(w) => w.clone(),
            BindingSearch::Exact(BindingQuery::OpenId { openid, appid }) => match appid {
                Some(a) => format!("openid={openid} appid={a}"),
                None => format!("openid={openid}"),
            },
            BindingSearch::Exact(BindingQuery::UnionId(u)) => format!("unionid={u}"),
            BindingSearch::Exact(BindingQuery::Username(u)) => format!("username={u}"),
            BindingSearch::Exact(BindingQuery::AccountId(id)) => format!("account={id}"),
        }
    }
}

/// `account=` is the numeric account id everywhere (console filters, `--account` in the CLI);
/// a name there is a clear error that names the right key.
fn account_id(tr: &Tr, k: &str, v: &str) -> Result<i64, String> {
    let t = v.trim_start_matches('#');
    if t.is_empty() {
        return Err(tr!(tr, "console-filter-needs-value", key = k));
    }
    t.parse().map_err(|_| {
        tr!(
            tr,
            "console-filter-account-numeric",
            key = k,
            value = crate::sanitize::for_terminal_truncated(v, 64)
        )
    })
}

fn words(text: &str) -> impl Iterator<Item = (Option<&str>, &str)> {
    text.split_whitespace().map(|w| match w.split_once('=') {
        Some((k, v)) => (Some(k), v),
        None => (None, w),
    })
}

fn non_empty(tr: &Tr, k: &str, v: &str) -> Result<String, String> {
    if v.is_empty() {
        Err(tr!(tr, "console-filter-needs-value", key = k))
    } else {
        Ok(v.to_owned())
    }
}

fn no_typed_token(tr: &Tr) -> String {
    tr!(
        tr,
        "console-filter-no-typed-token",
        key = super::keymap::key(
            super::keymap::Scope::Sessions,
            super::action::Action::FindByToken
        )
    )
}

/// `username=alice account=42 appid=wx123 ip=… openid=… unionid=… id=ses_… all`. A bare `ses_…`
/// word is a public id, another bare word a username.
pub fn parse_session_filter(tr: &Tr, text: &str) -> Result<SessionFilter, String> {
    let mut f = SessionFilter::default();
    for (k, v) in words(text) {
        match k.map(str::to_ascii_lowercase).as_deref() {
            None if v.eq_ignore_ascii_case("all") => f.include_inactive = true,
            None if v.eq_ignore_ascii_case("active") => f.include_inactive = false,
            None if v.eq_ignore_ascii_case("token") => return Err(no_typed_token(tr)),
            None if v.starts_with("ses_") => f.public_id = Some(v.to_owned()),
            None => f.username = Some(v.to_owned()),
            Some("user" | "username") => f.username = Some(non_empty(tr, "username", v)?),
            Some(k @ ("account" | "account_id")) => f.account_id = Some(account_id(tr, k, v)?),
            Some("appid" | "app") => f.appid = Some(non_empty(tr, "appid", v)?),
            Some("openid") => f.openid = Some(non_empty(tr, "openid", v)?),
            Some("unionid") => f.unionid = Some(non_empty(tr, "unionid", v)?),
            Some("ip") => f.client_ip = Some(non_empty(tr, "ip", v)?),
            Some("id" | "session" | "public_id") => f.public_id = Some(non_empty(tr, "id", v)?),
            Some("token") => return Err(no_typed_token(tr)),
            Some(other) => {
                return Err(tr!(
                    tr,
                    "console-filter-unknown-session-key",
                    key = crate::sanitize::for_terminal_truncated(other, 40)
                ));
            }
        }
    }
    Ok(f)
}

/// The filter as the words that parse back into it (a token filter is not printable).
pub fn format_session_filter(f: &SessionFilter) -> String {
    let mut parts = Vec::new();
    if let Some(v) = &f.username {
        parts.push(format!("username={v}"));
    }
    if let Some(v) = f.account_id {
        parts.push(format!("account={v}"));
    }
    let mut kv = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            parts.push(format!("{k}={v}"));
        }
    };
    kv("appid", &f.appid);
    kv("openid", &f.openid);
    kv("unionid", &f.unionid);
    kv("ip", &f.client_ip);
    kv("id", &f.public_id);
    if f.include_inactive {
        parts.push("all".into());
    }
    parts.join(" ")
}

/// How a view's title names the filter: the words that parse back into it, and a token
/// filter as the first bytes of its hash (never the SessionId).
pub fn describe_session_filter(f: &SessionFilter) -> String {
    let mut text = format_session_filter(&SessionFilter {
        include_inactive: false,
        ..f.clone()
    });
    if let Some(h) = f.token_hash {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&format!("token=sha256:{}…", &hex::encode(h.0)[..8]));
    }
    text
}

/// `operator=alice action=sessions.revoke target=session:ses_…`. A bare word with a dot is an
/// action, another bare word an operator.
pub fn parse_audit_filter(tr: &Tr, text: &str) -> Result<AuditFilter, String> {
    let mut f = AuditFilter::default();
    for (k, v) in words(text) {
        match k.map(str::to_ascii_lowercase).as_deref() {
            None if v.contains('.') => f.action = Some(v.to_owned()),
            None => f.operator = Some(v.to_owned()),
            Some("operator" | "op" | "by") => f.operator = Some(non_empty(tr, "operator", v)?),
            Some("action") => f.action = Some(non_empty(tr, "action", v)?),
            Some("target") => f.target = Some(non_empty(tr, "target", v)?),
            Some(other) => {
                return Err(tr!(
                    tr,
                    "console-filter-unknown-audit-key",
                    key = crate::sanitize::for_terminal_truncated(other, 40)
                ));
            }
        }
    }
    Ok(f)
}

pub fn format_audit_filter(f: &AuditFilter) -> String {
    let mut parts = Vec::new();
    let mut kv = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            parts.push(format!("{k}={v}"));
        }
    };
    kv("operator", &f.operator);
    kv("action", &f.action);
    kv("target", &f.target);
    parts.join(" ")
}

/// `openid=o… [appid=wx…]`, `unionid=…`, `username=…`, `account=42` (the numeric id), or a bare
/// word. Empty: no search.
pub fn parse_binding_search(tr: &Tr, text: &str) -> Result<Option<BindingSearch>, String> {
    let mut openid = None;
    let mut appid = None;
    let mut exact = None;
    let mut bare = None;
    for (k, v) in words(text) {
        match k.map(str::to_ascii_lowercase).as_deref() {
            None => bare = Some(v.to_owned()),
            Some("openid") => openid = Some(non_empty(tr, "openid", v)?),
            Some("appid" | "app") => appid = Some(non_empty(tr, "appid", v)?),
            Some("unionid") => exact = Some(BindingQuery::UnionId(non_empty(tr, "unionid", v)?)),
            Some("username" | "user") => {
                exact = Some(BindingQuery::Username(non_empty(tr, "username", v)?))
            }
            Some(k @ ("account" | "account_id" | "id")) => {
                exact = Some(BindingQuery::AccountId(account_id(tr, k, v)?))
            }
            Some(other) => {
                return Err(tr!(
                    tr,
                    "console-filter-unknown-search-key",
                    key = crate::sanitize::for_terminal_truncated(other, 40)
                ));
            }
        }
    }
    if let Some(openid) = openid {
        return Ok(Some(BindingSearch::Exact(BindingQuery::OpenId {
            openid,
            appid,
        })));
    }
    if let Some(q) = exact {
        return Ok(Some(BindingSearch::Exact(q)));
    }
    Ok(bare.map(BindingSearch::Any))
}

/// Parses a `:` command line.
pub fn parse_command(tr: &Tr, line: &str) -> Result<Command, String> {
    let line = line.trim().trim_start_matches(':').trim();
    let (cmd, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    match cmd.to_ascii_lowercase().as_str() {
        "s" | "ses" | "session" | "sessions" => {
            parse_session_filter(tr, rest).map(Command::Sessions)
        }
        "b" | "binding" | "bindings" => parse_binding_search(tr, rest).map(Command::Bindings),
        "e" | "x" | "exchange" => Ok(Command::Exchange),
        // Overview (fleet at a glance).
        "o" | "overview" => Ok(Command::Overview),
        "a" | "audit" => parse_audit_filter(tr, rest).map(Command::Audit),
        "h" | "help" | "?" => Ok(Command::Help),
        "q" | "q!" | "quit" | "exit" => Ok(Command::Quit),
        // Export.
        "export" => crate::console::export::parse(tr, false, rest).map(Command::Export),
        "export!" => crate::console::export::parse(tr, true, rest).map(Command::Export),
        "" => Err(tr!(tr, "console-command-empty")),
        other => Err(tr!(
            tr,
            "console-command-unknown",
            command = crate::sanitize::for_terminal_truncated(other, 40)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_filters_parse_and_print_back() {
        let f = parse_session_filter(
            &Tr::default(),
            "username=alice appid=wx123 ip=10.0.0.1 openid=o1 unionid=u1 id=ses_ab all",
        )
        .unwrap();
        assert_eq!(f.username.as_deref(), Some("alice"));
        assert_eq!(f.appid.as_deref(), Some("wx123"));
        assert_eq!(f.client_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(f.public_id.as_deref(), Some("ses_ab"));
        assert!(f.include_inactive);
        assert_eq!(
            parse_session_filter(&Tr::default(), &format_session_filter(&f)).unwrap(),
            f
        );
        assert_eq!(
            parse_session_filter(&Tr::default(), "ses_00ff")
                .unwrap()
                .public_id
                .as_deref(),
            Some("ses_00ff")
        );
        assert!(
            parse_session_filter(&Tr::default(), "colour=blue")
                .unwrap_err()
                .contains("unknown filter")
        );
        assert!(parse_session_filter(&Tr::default(), "token=abc").is_err());
    }

    #[test]
    fn account_is_the_numeric_id_and_a_name_there_names_the_right_key() {
        let f = parse_session_filter(&Tr::default(), "account=42").unwrap();
        assert_eq!((f.account_id, f.username), (Some(42), None));
        let err = parse_session_filter(&Tr::default(), "account=alice").unwrap_err();
        assert!(
            err.contains("numeric account id") && err.contains("username=alice"),
            "{err}"
        );
        assert_eq!(
            parse_binding_search(&Tr::default(), "account=7").unwrap(),
            Some(BindingSearch::Exact(BindingQuery::AccountId(7)))
        );
        let err = parse_binding_search(&Tr::default(), "account=bob").unwrap_err();
        assert!(err.contains("username=bob"), "{err}");
        assert_eq!(
            parse_binding_search(&Tr::default(), "username=bob").unwrap(),
            Some(BindingSearch::Exact(BindingQuery::Username("bob".into())))
        );
    }

    #[test]
    fn commands_parse() {
        assert_eq!(parse_command(&Tr::default(), ":q").unwrap(), Command::Quit);
        assert_eq!(
            parse_command(&Tr::default(), "sessions username=alice").unwrap(),
            Command::Sessions(SessionFilter {
                username: Some("alice".into()),
                ..Default::default()
            })
        );
        assert_eq!(
            parse_command(&Tr::default(), "bindings openid=o1 appid=wx1").unwrap(),
            Command::Bindings(Some(BindingSearch::Exact(BindingQuery::OpenId {
                openid: "o1".into(),
                appid: Some("wx1".into())
            })))
        );
        assert_eq!(
            parse_command(&Tr::default(), "audit operator=bob sessions.revoke").unwrap(),
            Command::Audit(AuditFilter {
                operator: Some("bob".into()),
                action: Some("sessions.revoke".into()),
                ..Default::default()
            })
        );
        assert!(parse_command(&Tr::default(), "frobnicate").is_err());
    }
}
