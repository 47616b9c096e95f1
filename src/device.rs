//! The device behind a session, read from the user agent WeChat's in-app browser and mini
//! program runtime send: the device model, the OS and its version, the WeChat version, the
//! network type and the language, shown as `iPhone · iOS 17.4 · WeChat 8.0.47 · WiFi · zh_CN`.
//!
//! The forms understood:
//!
//! - iOS: `Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) … MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN`
//!   (and `iPad; CPU OS 17_4`);
//! - Android: `Mozilla/5.0 (Linux; Android 14; V2309A Build/UP1A.231005.007; wv) … MicroMessenger/8.0.47.2560(0x28002F35) … NetType/5G Language/zh_CN`;
//! - Windows WeChat: `(Windows NT 10.0; WOW64) … MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x63090a13)`,
//!   whose real client version is only in the hex after `WindowsWechat` (3.9.10 here);
//! - Mac WeChat: `(Macintosh; Intel Mac OS X 10_15_7) … MacWechat/3.8.7(0x13080712)`;
//! - the mini program developer tools: `wechatdevtools/1.06.2401020`;
//! - `miniProgram` / `MiniProgramEnv/…` tokens: the request came from a mini program.
//!
//! Parsing is a hand-written scan (no regular expressions): a few substring searches over at
//! most [`MAX_INPUT`] bytes, each field read with a fixed character class and a length cap, so
//! time and output are bounded whatever the input. Every extracted field is made of ASCII
//! letters, digits and `._-+ ` only, so nothing from the user agent can reach a terminal
//! through a parsed field. A user agent that is not WeChat's, or that carries control or
//! bidi characters, parses to `None`: the caller shows `unknown` and the sanitised raw text.

use serde::Serialize;

use crate::sanitize;

/// Bytes of a user agent looked at; the rest is ignored (real ones are under 400).
pub const MAX_INPUT: usize = 1024;

/// Which WeChat the request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Client {
    /// WeChat on a phone or tablet (iOS, Android).
    Mobile,
    /// WeChat for Windows.
    Windows,
    /// WeChat for Mac.
    Mac,
    /// The mini program developer tools.
    Devtools,
}

/// What the user agent says about the device. Every field is plain ASCII.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    pub client: Client,
    /// `iPhone`, `iPad`, an Android model such as `V2309A`, `PC`, `Mac`, `devtools`.
    pub model: Option<String>,
    /// `iOS`, `Android`, `Windows`, `macOS`.
    pub os: Option<String>,
    /// `17.4`, `14`, `10`, `10.15.7`.
    pub os_version: Option<String>,
    /// The WeChat client version, e.g. `8.0.47` (Windows/Mac: the desktop client's version).
    pub wechat_version: Option<String>,
    /// The developer tools' version (devtools only).
    pub devtools_version: Option<String>,
    /// `WiFi`, `4G`, `5G`, … as WeChat reports it.
    pub network: Option<String>,
    /// `zh_CN`, `en`, …
    pub language: Option<String>,
    /// A `miniProgram` or `MiniProgramEnv` token was present.
    pub mini_program: bool,
}

impl Device {
    /// `iPhone · iOS 17.4 · WeChat 8.0.47 · WiFi · zh_CN`.
    pub fn summary(&self) -> String {
        self.parts(true).join(" · ")
    }

    /// The summary if it fits in `width` characters, else shorter forms (model, OS and
    /// version; then OS and version), cut with `…` as a last resort.
    pub fn fit(&self, width: usize) -> String {
        let full = self.summary();
        if full.chars().count() <= width {
            return full;
        }
        let os = self.os_text();
        let model = self.model.clone();
        let candidates = [
            [model.clone(), os.clone(), self.wechat_text()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            [model.clone(), os.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
            os.clone().or(model).unwrap_or_default(),
            self.short_os_text().unwrap_or_default(),
            // `macOS 10`: the major version only, before cutting anything with `…`.
            self.short_os_major().unwrap_or_default(),
        ];
        for c in &candidates {
            if !c.is_empty() && c.chars().count() <= width {
                return c.clone();
            }
        }
        let last = candidates
            .iter()
            .rev()
            .find(|c| !c.is_empty())
            .cloned()
            .unwrap_or(full);
        sanitize::for_terminal_truncated(&last, width)
    }

    fn os_text(&self) -> Option<String> {
        match (&self.os, &self.os_version) {
            (Some(os), Some(v)) => Some(format!("{os} {v}")),
            (Some(os), None) => Some(os.clone()),
            _ => None,
        }
    }

    /// `Andr 14`, `Win 10`: the OS abbreviated, for the narrowest cells.
    fn short_os_text(&self) -> Option<String> {
        let os = match self.os.as_deref()? {
            "Android" => "Andr",
            "Windows" => "Win",
            other => other,
        };
        Some(match &self.os_version {
            Some(v) => format!("{os} {v}"),
            None => os.to_owned(),
        })
    }

    /// The abbreviated OS with its major version only (`macOS 10`, `Andr 14`).
    fn short_os_major(&self) -> Option<String> {
        let short = self.short_os_text()?;
        Some(match short.split_once('.') {
            Some((major, _)) => major.to_owned(),
            None => short,
        })
    }

    fn wechat_text(&self) -> Option<String> {
        self.wechat_version.as_ref().map(|v| format!("WeChat {v}"))
    }

    fn parts(&self, all: bool) -> Vec<String> {
        let mut v = Vec::new();
        match (&self.client, &self.devtools_version) {
            (Client::Devtools, Some(dv)) => v.push(format!("devtools {dv}")),
            _ => v.extend(self.model.clone()),
        }
        v.extend(self.os_text());
        v.extend(self.wechat_text());
        if all {
            v.extend(self.network.clone());
            v.extend(self.language.clone());
            if self.mini_program {
                v.push("mini program".into());
            }
        }
        v
    }
}

/// The summary of a stored user agent, or `unknown` (no user agent, not WeChat's, hostile).
pub fn describe(user_agent: Option<&str>) -> String {
    user_agent
        .and_then(parse)
        .map(|d| d.summary())
        .unwrap_or_else(|| "unknown".into())
}

/// Parses a WeChat user agent; `None` when it is not one (or carries control characters).
pub fn parse(user_agent: &str) -> Option<Device> {
    let ua = capped(user_agent);
    if sanitize::for_terminal(ua) != ua {
        return None;
    }
    let devtools_version = after(ua, "wechatdevtools/").and_then(|s| take(s, is_version, 20));
    let windows_hex = after(ua, "WindowsWechat(0x").and_then(|s| take(s, is_hex, 8));
    let mac = after(ua, "MacWechat/").and_then(|s| take(s, is_version, 20));
    let mm = after(ua, "MicroMessenger/").and_then(|s| take(s, is_version, 20));
    let client = if devtools_version.is_some() {
        Client::Devtools
    } else if ua.contains("WindowsWechat") {
        Client::Windows
    } else if ua.contains("MacWechat") {
        Client::Mac
    } else if mm.is_some() {
        Client::Mobile
    } else {
        return None;
    };
    let wechat_version = match client {
        Client::Windows => windows_hex
            .as_deref()
            .and_then(hex_version)
            .or_else(|| mm.as_deref().map(three_parts)),
        Client::Mac => mac.as_deref().map(three_parts),
        _ => mm.as_deref().map(three_parts),
    };
    let (model, os, os_version) = platform(ua);
    let model = match client {
        Client::Devtools => Some("devtools".to_owned()),
        _ => model,
    };
    let network = after(ua, "NetType/")
        .and_then(|s| take(s, |c| c.is_ascii_alphanumeric(), 8))
        .map(|n| {
            if n.eq_ignore_ascii_case("wifi") {
                "WiFi".to_owned()
            } else {
                n.to_ascii_uppercase()
            }
        });
    let language = after(ua, "Language/")
        .and_then(|s| take(s, |c| c.is_ascii_alphanumeric() || c == '_' || c == '-', 12));
    let mini_program = ua.contains("miniProgram") || ua.contains("MiniProgramEnv");
    if model.is_none() && os.is_none() && wechat_version.is_none() {
        // A bare token says nothing an operator could use.
        return None;
    }
    Some(Device {
        client,
        model,
        os,
        os_version,
        wechat_version,
        devtools_version,
        network,
        language,
        mini_program,
    })
}

/// At most [`MAX_INPUT`] bytes, cut at a character boundary.
fn capped(s: &str) -> &str {
    if s.len() <= MAX_INPUT {
        return s;
    }
    let mut end = MAX_INPUT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The text right after the first `needle`.
fn after<'a>(hay: &'a str, needle: &str) -> Option<&'a str> {
    hay.find(needle).map(|i| &hay[i + needle.len()..])
}

/// The leading run of characters in `class`, if 1 to `max` long (longer runs: `None`).
fn take(s: &str, class: impl Fn(char) -> bool, max: usize) -> Option<String> {
    let run: String = s.chars().take_while(|&c| class(c)).take(max + 1).collect();
    (!run.is_empty() && run.len() <= max).then_some(run)
}

fn is_version(c: char) -> bool {
    c.is_ascii_digit() || c == '.'
}

fn is_hex(c: char) -> bool {
    c.is_ascii_hexdigit()
}

/// `8.0.47.2560` → `8.0.47`.
fn three_parts(v: &str) -> String {
    v.trim_matches('.')
        .split('.')
        .take(3)
        .collect::<Vec<_>>()
        .join(".")
}

/// The desktop client version in WeChat's hex form: `63090a13` → `3.9.10` (low nibble of
/// the first byte, then one byte each for minor and patch).
fn hex_version(hex: &str) -> Option<String> {
    if hex.len() != 8 {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some(format!("{}.{}.{}", byte(0)? & 0x0f, byte(2)?, byte(4)?))
}

/// Model, OS and OS version from the platform part of the user agent.
fn platform(ua: &str) -> (Option<String>, Option<String>, Option<String>) {
    let ios_version =
        |s: &str| take(s, |c| c.is_ascii_digit() || c == '_', 12).map(|v| v.replace('_', "."));
    if let Some(rest) = after(ua, "iPhone OS ") {
        return (Some("iPhone".into()), Some("iOS".into()), ios_version(rest));
    }
    if ua.contains("iPad") {
        let v = after(ua, "CPU OS ").and_then(ios_version);
        return (Some("iPad".into()), Some("iOS".into()), v);
    }
    if let Some(rest) = after(ua, "Android ") {
        let version = take(rest, is_version, 12);
        let model = version
            .as_ref()
            .and_then(|v| rest[v.len()..].strip_prefix("; "))
            .and_then(android_model);
        return (model, Some("Android".into()), version);
    }
    if let Some(rest) = after(ua, "Windows NT ") {
        let version = take(rest, is_version, 8).map(|nt| {
            match nt.as_str() {
                "10.0" => "10",
                "6.3" => "8.1",
                "6.2" => "8",
                "6.1" => "7",
                other => return format!("NT {other}"),
            }
            .to_owned()
        });
        return (Some("PC".into()), Some("Windows".into()), version);
    }
    if let Some(rest) = after(ua, "Mac OS X ") {
        return (Some("Mac".into()), Some("macOS".into()), ios_version(rest));
    }
    (None, None, None)
}

/// `V2309A Build/UP1A.231005.007; wv)` → `V2309A`; placeholders (`K`, `wv`) and odd text
/// give `None`.
fn android_model(s: &str) -> Option<String> {
    let end = s.find([';', ')']).unwrap_or(s.len());
    let field = &s[..end];
    let field = field.find(" Build/").map_or(field, |i| &field[..i]).trim();
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '+');
    if field.is_empty() || field.len() > 32 || !field.chars().all(ok) || matches!(field, "K" | "wv")
    {
        return None;
    }
    Some(field.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN";
    const IPAD: &str = "Mozilla/5.0 (iPad; CPU OS 16_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44(0x18002c2e) NetType/4G Language/en";
    const IOS_MINI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 16_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.38(0x1800262c) NetType/WIFI Language/zh_CN miniProgram/wx1234567890abcdef";
    const VIVO: &str = "Mozilla/5.0 (Linux; Android 14; V2309A Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64";
    const XIAOMI: &str = "Mozilla/5.0 (Linux; Android 13; 23049RAD8C Build/TKQ1.221114.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/111.0.5563.116 Mobile Safari/537.36 XWEB/5197 MMWEBSDK/20230805 MMWEBID/6189 MicroMessenger/8.0.42.2460(0x28002A58) WeChat/arm64 Weixin NetType/5G Language/zh_CN ABI/arm64 MiniProgramEnv/android";
    const HUAWEI: &str = "Mozilla/5.0 (Linux; Android 12; NOH-AN00 Build/HUAWEINOH-AN00; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20230303 MMWEBID/2585 MicroMessenger/8.0.34.2340(0x2800225D) WeChat/arm64 Weixin NetType/4G Language/zh_CN ABI/arm64";
    const SAMSUNG_REDUCED: &str = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 MicroMessenger/8.0.45.2521(0x28002D3D) NetType/WIFI Language/en";
    const WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.138 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x63090a13) XWEB/9129 Flue";
    const MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) MicroMessenger/6.8.0(0x16080000) MacWechat/3.8.7(0x13080712) Safari/605.1.15 NetType/WIFI";
    const DEVTOOLS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 13_2_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0.3 Mobile/15E148 Safari/604.1 wechatdevtools/1.06.2401020 MicroMessenger/8.0.5 Language/zh_CN webview/ sessionid/1 NetType/WIFI";
    const SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

    #[test]
    fn real_user_agents_are_summarised() {
        let table = [
            (IOS, "iPhone · iOS 17.4 · WeChat 8.0.47 · WiFi · zh_CN"),
            (IPAD, "iPad · iOS 16.6.1 · WeChat 8.0.44 · 4G · en"),
            (
                IOS_MINI,
                "iPhone · iOS 16.3 · WeChat 8.0.38 · WiFi · zh_CN · mini program",
            ),
            (VIVO, "V2309A · Android 14 · WeChat 8.0.47 · WiFi · zh_CN"),
            (
                XIAOMI,
                "23049RAD8C · Android 13 · WeChat 8.0.42 · 5G · zh_CN · mini program",
            ),
            (HUAWEI, "NOH-AN00 · Android 12 · WeChat 8.0.34 · 4G · zh_CN"),
            (SAMSUNG_REDUCED, "Android 10 · WeChat 8.0.45 · WiFi · en"),
            (WINDOWS, "PC · Windows 10 · WeChat 3.9.10 · WiFi"),
            (MAC, "Mac · macOS 10.15.7 · WeChat 3.8.7 · WiFi"),
            (
                DEVTOOLS,
                "devtools 1.06.2401020 · iOS 13.2.3 · WeChat 8.0.5 · WiFi · zh_CN",
            ),
        ];
        for (ua, want) in table {
            assert_eq!(describe(Some(ua)), want, "{ua}");
        }
    }

    #[test]
    fn clients_are_told_apart() {
        assert_eq!(parse(IOS).unwrap().client, Client::Mobile);
        assert_eq!(parse(VIVO).unwrap().client, Client::Mobile);
        assert_eq!(parse(WINDOWS).unwrap().client, Client::Windows);
        assert_eq!(parse(MAC).unwrap().client, Client::Mac);
        assert_eq!(parse(DEVTOOLS).unwrap().client, Client::Devtools);
    }

    #[test]
    fn a_browser_that_is_not_wechat_is_unknown() {
        assert_eq!(parse(SAFARI), None);
        assert_eq!(describe(Some(SAFARI)), "unknown");
    }

    #[test]
    fn missing_and_empty_user_agents_are_unknown() {
        assert_eq!(describe(None), "unknown");
        assert_eq!(describe(Some("")), "unknown");
        assert_eq!(describe(Some("WindowsWechat")), "unknown");
    }

    #[test]
    fn hundred_kilobytes_of_garbage_is_unknown_and_fast() {
        let garbage: String = "MicroMessengeX/(;Android 1".repeat(4_000) + "MicroMessenger/8.0.1";
        assert!(garbage.len() > 100_000);
        let start = std::time::Instant::now();
        assert_eq!(parse(&garbage), None);
        assert!(start.elapsed() < std::time::Duration::from_millis(50));
        let digits = format!("MicroMessenger/{}", "9".repeat(100_000));
        assert_eq!(
            parse(&digits),
            None,
            "an overlong version is not a WeChat one"
        );
    }

    #[test]
    fn control_and_bidi_characters_make_a_user_agent_unknown() {
        for ua in [
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) MicroMessenger/8.0.47\x1b]0;pwned\x07",
            "Mozilla/5.0 (Linux; Android 14; V2309A\u{202E}) MicroMessenger/8.0.47",
            "MicroMessenger/8.0.47 NetType/WIFI\r\nX-Injected: 1",
        ] {
            assert_eq!(parse(ua), None, "{ua:?}");
        }
    }

    #[test]
    fn fields_hold_only_plain_ascii() {
        let ua = "Mozilla/5.0 (Linux; Android 14; <script>alert(1)</script> Build/X) MicroMessenger/8.0.47 NetType/WI\u{00e9}FI Language/zh_CN\u{4e2d}";
        let d = parse(ua).unwrap();
        assert_eq!(d.model, None);
        assert_eq!(d.network.as_deref(), Some("WI"));
        assert_eq!(d.language.as_deref(), Some("zh_CN"));
    }

    #[test]
    fn narrow_cells_get_a_shorter_form() {
        let d = parse(IOS).unwrap();
        assert_eq!(
            d.fit(80),
            "iPhone · iOS 17.4 · WeChat 8.0.47 · WiFi · zh_CN"
        );
        assert_eq!(d.fit(34), "iPhone · iOS 17.4 · WeChat 8.0.47");
        assert_eq!(d.fit(15), "iPhone iOS 17.4");
        assert_eq!(d.fit(11), "iOS 17.4");
        assert_eq!(d.fit(5), "iOS …");
        let a = parse(VIVO).unwrap();
        assert_eq!(a.fit(10), "Android 14");
        assert_eq!(a.fit(9), "Andr 14");
        let m = parse(MAC).unwrap();
        assert_eq!(m.fit(13), "macOS 10.15.7");
        assert_eq!(m.fit(9), "macOS 10", "the major version before any cut");
    }

    #[test]
    fn hex_client_versions_decode() {
        assert_eq!(hex_version("63090a13").as_deref(), Some("3.9.10"));
        assert_eq!(hex_version("18002f2c").as_deref(), Some("8.0.47"));
        assert_eq!(hex_version("zz"), None);
    }
}
