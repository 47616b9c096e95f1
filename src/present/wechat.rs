//! A failed WeChat call as one line for an operator, in their language: what happened, the
//! errcode, rid and host when there were any, and what to do. The English line is byte for
//! byte [`WechatError`]'s own `Display` (what logs and scripts have always read); the Chinese
//! one takes its meaning and action from the errcode table in the catalogue and keeps every
//! machine value (errcode, rid, host, WeChat's errmsg, a transport's own error text) as it
//! came.

use crate::i18n::{Lang, Tr};
use crate::sanitize;
use crate::tr;
use crate::wechat::WechatError;

/// The longest piece of outside text (errmsg, host, detail) in the line, as `Display` cuts it.
const MAX_TEXT: usize = 200;

fn clean(text: &str) -> String {
    sanitize::for_terminal_truncated(text, MAX_TEXT)
}

/// `e` as one line in `tr`'s language.
pub fn error_line(tr: &Tr, e: &WechatError) -> String {
    if tr.lang() == Lang::En {
        return e.to_string();
    }
    let meaning = e.meaning_in(tr);
    let action = e.action_in(tr);
    let rid = || match e.rid() {
        Some(r) => tr!(tr, "present-wechat-rid", rid = clean(r)),
        None => tr!(tr, "present-wechat-no-rid"),
    };
    let host = || clean(e.host().unwrap_or(""));
    let list = |known: &[String]| {
        if known.is_empty() {
            tr!(tr, "present-wechat-none")
        } else {
            known
                .iter()
                .map(|a| clean(a))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    use WechatError::*;
    match e {
        Busy { attempts, .. } => tr!(
            tr,
            "present-wechat-line-busy",
            meaning = meaning,
            rid = rid(),
            attempts = attempts,
            host = host(),
            action = action
        ),
        Other {
            errcode, errmsg, ..
        } => tr!(
            tr,
            "present-wechat-line-other",
            meaning = meaning,
            code = errcode.to_string(),
            errmsg = clean(errmsg),
            rid = rid(),
            host = host(),
            action = action
        ),
        Timeout { after, .. } => tr!(
            tr,
            "present-wechat-line-timeout",
            meaning = meaning,
            host = host(),
            ms = after.as_millis().to_string(),
            action = action
        ),
        Connect { detail, .. } | Transport { detail, .. } => tr!(
            tr,
            "present-wechat-line-detail",
            meaning = meaning,
            host = host(),
            detail = clean(detail),
            action = action
        ),
        HttpStatus { status, .. } => tr!(
            tr,
            "present-wechat-line-http-status",
            meaning = meaning,
            host = host(),
            status = status.to_string(),
            action = action
        ),
        NotJson {
            content_type,
            bytes,
            ..
        } => tr!(
            tr,
            "present-wechat-line-not-json",
            meaning = meaning,
            host = host(),
            bytes = bytes.to_string(),
            kind = match content_type {
                Some(t) => clean(t),
                None => tr!(tr, "present-wechat-unlabelled"),
            },
            action = action
        ),
        UnexpectedJson { problem, .. } => tr!(
            tr,
            "present-wechat-line-unexpected-json",
            meaning = meaning,
            problem = problem.to_string(),
            host = host(),
            action = action
        ),
        NoAppConfigured => tr!(
            tr,
            "present-wechat-line-plain",
            meaning = meaning,
            action = action
        ),
        UnknownApp { appid, known } => tr!(
            tr,
            "present-wechat-line-unknown-app",
            meaning = meaning,
            appid = clean(appid),
            known = list(known),
            action = action
        ),
        AmbiguousApp { known } => tr!(
            tr,
            "present-wechat-line-ambiguous-app",
            meaning = meaning,
            known = list(known),
            action = action
        ),
        Setup { detail } => tr!(
            tr,
            "present-wechat-line-setup",
            meaning = meaning,
            detail = clean(detail),
            action = action
        ),
        ForceRefreshRefused { appid, reason } => tr!(
            tr,
            "present-wechat-line-force-refresh",
            meaning = meaning,
            appid = clean(appid),
            reason = force_refresh_reason(tr, reason).unwrap_or_else(|| clean(reason)),
            action = action
        ),
        MockRejected {
            status, message, ..
        } => tr!(
            tr,
            "present-wechat-line-mock",
            meaning = meaning,
            host = host(),
            status = status.to_string(),
            message = clean(message),
            action = action
        ),
        // Every other variant is an errcode WeChat answered.
        api => tr!(
            tr,
            "present-wechat-line-errcode",
            meaning = meaning,
            code = api.errcode().unwrap_or_default().to_string(),
            rid = rid(),
            host = host(),
            action = action
        ),
    }
}

/// What [`error_line`] says besides the meaning and what to do: the errcode, rid, host and the
/// transport's own text (`127.0.0.1:9（tcp connect error: …）`), for a face that shows the
/// meaning and the action on lines of their own.
pub fn details(tr: &Tr, e: &WechatError) -> String {
    let line = error_line(tr, e);
    let (meaning, action) = (e.meaning_in(tr), e.action_in(tr));
    let middle = line
        .strip_prefix(meaning.as_str())
        .and_then(|rest| rest.strip_suffix(action.as_str()))
        .unwrap_or(&line);
    let middle = middle.trim_matches([' ', ':', '：']);
    // One group in parentheses around the whole middle loses them (the face adds its own).
    for (open, close) in [('(', ')'), ('（', '）')] {
        if let Some(inner) = middle
            .strip_prefix(open)
            .and_then(|m| m.strip_suffix(close))
            .filter(|inner| !inner.contains([open, close]))
        {
            return inner.to_owned();
        }
    }
    middle.to_owned()
}

/// The two reasons the access-token cache gives for not sending a forced refresh
/// (`crate::wechat::token`), said again in `tr`'s language with their numbers; `None` for
/// any other text.
fn force_refresh_reason(tr: &Tr, reason: &str) -> Option<String> {
    let [gap, daily] = FORCE_REFRESH_SHAPES;
    if let Some(rest) = reason.strip_prefix(gap[0]) {
        let (since, rest) = rest.split_once(gap[1])?;
        let (every, rest) = rest.split_once(gap[2])?;
        let wait = rest.strip_suffix(gap[3])?;
        return Some(tr!(
            tr,
            "present-wechat-force-gap",
            since = since,
            gap = every,
            wait = wait
        ));
    }
    let (n, rest) = reason.split_once(daily[0])?;
    let wait = rest.strip_prefix(daily[1])?.strip_suffix(daily[2])?;
    Some(tr!(tr, "present-wechat-force-daily", n = n, wait = wait))
}

/// The fixed pieces of those two reasons, in order; a test checks they still stand in
/// src/wechat/token.rs.
const FORCE_REFRESH_SHAPES: [&[&str]; 2] = [
    &[
        "the last forced refresh was ",
        " s ago and WeChat allows one every ",
        " s; retry in ",
        " s",
    ],
    &[
        " forced refreshes in the last 24 h, WeChat's daily limit",
        "; the next is possible in ",
        " min",
    ],
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::ApiError;
    use std::time::Duration;

    #[test]
    fn the_english_line_is_the_errors_own_display() {
        let en = Lang::En.tr();
        let e = WechatError::Timeout {
            host: "api.weixin.qq.com".into(),
            after: Duration::from_secs(5),
        };
        assert_eq!(error_line(&en, &e), e.to_string());
    }

    #[test]
    fn errors_without_an_errcode_read_in_chinese_with_their_machine_values_kept() {
        let zh = Lang::ZhCn.tr();
        let cases = [
            WechatError::Timeout {
                host: "api.weixin.qq.com".into(),
                after: Duration::from_millis(5000),
            },
            WechatError::Connect {
                host: "127.0.0.1:9".into(),
                detail: "Connection refused (os error 111)".into(),
            },
            WechatError::HttpStatus {
                host: "api.weixin.qq.com".into(),
                status: 502,
            },
            WechatError::NotJson {
                host: "api.weixin.qq.com".into(),
                content_type: None,
                bytes: 12,
            },
            WechatError::NoAppConfigured,
            WechatError::AmbiguousApp {
                known: vec!["wx1".into(), "wx2".into()],
            },
        ];
        for e in cases {
            let line = error_line(&zh, &e);
            assert!(line.contains(&e.meaning_in(&zh)), "{line}");
            assert!(line.contains(&e.action_in(&zh)), "{line}");
            assert!(!line.contains(e.meaning()), "{line}");
            if let Some(h) = e.host() {
                assert!(line.contains(h), "{line}");
            }
        }
        let e = WechatError::from_errcode(
            40029,
            ApiError::new("api.weixin.qq.com", "invalid code, rid: 65ab-01"),
        );
        let line = error_line(&zh, &e);
        assert!(
            line.contains("40029")
                && line.contains("65ab-01")
                && line.contains("api.weixin.qq.com"),
            "{line}"
        );
    }

    #[test]
    fn the_details_are_what_the_line_says_besides_its_meaning_and_action() {
        let e = WechatError::Connect {
            host: "127.0.0.1:9".into(),
            detail: "tcp connect error: Connection refused (os error 111)".into(),
        };
        for lang in Lang::ALL {
            let tr = lang.tr();
            let d = details(&tr, &e);
            assert!(
                d.contains("127.0.0.1:9") && d.contains("(os error 111)"),
                "{lang}: {d}"
            );
            assert!(!d.contains(&e.meaning_in(&tr)), "{lang}: {d}");
            assert!(!d.contains(&e.action_in(&tr)), "{lang}: {d}");
        }
        let api = WechatError::from_errcode(
            40125,
            ApiError::new("api.weixin.qq.com", "invalid appsecret, rid: 65ab-02"),
        );
        let d = details(&Lang::ZhCn.tr(), &api);
        assert_eq!(d, "errcode 40125，rid 65ab-02，来自 api.weixin.qq.com");
    }

    #[test]
    fn a_refused_forced_refresh_says_why_in_chinese_with_its_numbers() {
        let zh = Lang::ZhCn.tr();
        let gap = force_refresh_reason(
            &zh,
            "the last forced refresh was 10 s ago and WeChat allows one every 30 s; retry in 20 s",
        )
        .unwrap();
        assert!(
            gap.contains("10") && gap.contains("30") && gap.contains("20"),
            "{gap}"
        );
        assert!(!gap.contains("retry"), "{gap}");
        let daily = force_refresh_reason(
            &zh,
            "20 forced refreshes in the last 24 h, WeChat's daily limit; the next is possible in 55 min",
        )
        .unwrap();
        assert!(daily.contains("20") && daily.contains("55"), "{daily}");
        assert_eq!(force_refresh_reason(&zh, "something else"), None);
    }

    #[test]
    fn the_forced_refresh_reasons_this_table_words_again_still_stand_in_token_rs() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/wechat/token.rs");
        let source = std::fs::read_to_string(path).unwrap();
        for shape in FORCE_REFRESH_SHAPES {
            for piece in shape {
                assert!(source.contains(piece), "{piece:?} is no longer in token.rs");
            }
        }
    }
}
