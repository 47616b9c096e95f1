//! The message catalogues and the language a console or a command speaks.
//!
//! Words shown to people live in Project Fluent catalogues, `i18n/en/wxlogin.ftl` and
//! `i18n/zh-CN/wxlogin.ftl`, embedded in the binary. Code asks for a message through [`tr!`]
//! (i18n-embed-fl's `fl!`), which checks at compile time that the id exists in the English
//! catalogue and that the arguments match; `tests/i18n_catalogue.rs` checks that the Chinese
//! catalogue has the same ids with the same arguments.
//!
//! There is no process-wide language. A [`Tr`] (translator) is part of a console's or a
//! command's context: one process (the SSH door) serves many operators, each in their own
//! language. The loaders are built once per language and shared; a `Tr` is an `Arc` clone.
//!
//! What is never translated, whatever the language: `--json` output, CSV headers, exit codes,
//! audit rows, the log lines of `serve` and `ssh-server`, /metrics and HTTP error codes.
//!
//! Dates stay ISO-8601 in every language (unambiguous in both); relative times are translated.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use i18n_embed::LanguageLoader;
use i18n_embed::fluent::{FluentLanguageLoader, fluent_language_loader};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "i18n/"]
struct Catalogues;

/// A language wxlogin speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English (`en`), the default and the reference catalogue.
    #[default]
    En,
    /// Simplified Chinese (`zh-CN`).
    ZhCn,
}

/// The values `--lang`, `WXLOGIN_LANG`, config `lang` and an operator's `lang` accept.
pub const ACCEPTED: &str = "en, zh-CN";

/// A language name that is not one of [`ACCEPTED`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language {0:?}: the accepted values are {ACCEPTED}")]
pub struct UnknownLang(pub String);

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The BCP 47 tag, as the flag and the catalogue directory spell it.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The language a POSIX locale value (`LANG`, `LC_ALL`, `LC_MESSAGES`) or a BCP 47 tag
    /// asks for: any Chinese (`zh_CN.UTF-8`, `zh_SG`, `zh-Hans`, and `zh_TW`/`zh_HK` until a
    /// Traditional catalogue exists) is zh-CN; anything else, `C`, `POSIX` or empty is English.
    pub fn from_locale(value: &str) -> Lang {
        // `zh_CN.UTF-8@euro` → `zh_CN` → language `zh`.
        let base = value.split(['.', '@']).next().unwrap_or("");
        let language = base.split(['_', '-']).next().unwrap_or("");
        if language.eq_ignore_ascii_case("zh") {
            Lang::ZhCn
        } else {
            Lang::En
        }
    }

    /// The language of the POSIX locale as `var` reads it: the first of `LC_ALL`,
    /// `LC_MESSAGES`, `LANG` that is set and not empty decides (as setlocale does).
    pub fn from_posix_env(var: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|name| var(name))
            .find(|v| !v.is_empty())
            .map(|v| Lang::from_locale(&v))
            .unwrap_or_default()
    }

    /// The language of a command or a local console, in this order: `--lang` (clap has
    /// already refused a bad one), `WXLOGIN_LANG`, config `lang`, then the POSIX locale. A bad
    /// explicit value is an error naming where it came from and the accepted values (it is
    /// not silently English).
    pub fn resolve(
        flag: Option<Lang>,
        config: Option<&str>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Lang, String> {
        if let Some(l) = flag {
            return Ok(l);
        }
        if let Some(v) = var("WXLOGIN_LANG").filter(|v| !v.is_empty()) {
            return v
                .parse()
                .map_err(|e: UnknownLang| format!("WXLOGIN_LANG: {e}"));
        }
        if let Some(v) = config {
            return v
                .parse()
                .map_err(|e: UnknownLang| format!("config `lang`: {e}"));
        }
        Ok(Lang::from_posix_env(var))
    }

    /// The language of one SSH door console or exec: the operator's `lang` on their
    /// `[[operators]]` entry wins, then the `LANG` their client sent, then English. The
    /// door's own process environment plays no part.
    pub fn for_door(operator_lang: Option<Lang>, client_env_lang: Option<&str>) -> Lang {
        operator_lang
            .or_else(|| {
                client_env_lang
                    .filter(|v| !v.is_empty())
                    .map(Lang::from_locale)
            })
            .unwrap_or_default()
    }

    /// A translator for this language.
    pub fn tr(self) -> Tr {
        Tr::new(self)
    }
}

impl FromStr for Lang {
    type Err = UnknownLang;

    /// `en` or `zh-CN` (case and `_`/`-` do not matter: `zh_cn` is zh-CN).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().replace('_', "-");
        if t.eq_ignore_ascii_case("en") {
            Ok(Lang::En)
        } else if t.eq_ignore_ascii_case("zh-CN") {
            Ok(Lang::ZhCn)
        } else {
            Err(UnknownLang(s.to_owned()))
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl serde::Serialize for Lang {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.tag())
    }
}

impl<'de> serde::Deserialize<'de> for Lang {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A translator: the catalogue of one language, cheap to clone (an `Arc`). Part of a
/// console's or a command's context; use it through [`tr!`].
#[derive(Clone)]
pub struct Tr {
    lang: Lang,
    loader: Arc<FluentLanguageLoader>,
}

impl fmt::Debug for Tr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tr").field("lang", &self.lang).finish()
    }
}

impl Default for Tr {
    fn default() -> Self {
        Tr::new(Lang::En)
    }
}

impl Tr {
    /// The translator of `lang`; its loader is built on first use and shared after.
    pub fn new(lang: Lang) -> Tr {
        static EN: OnceLock<Arc<FluentLanguageLoader>> = OnceLock::new();
        static ZH_CN: OnceLock<Arc<FluentLanguageLoader>> = OnceLock::new();
        let cell = match lang {
            Lang::En => &EN,
            Lang::ZhCn => &ZH_CN,
        };
        let loader = cell.get_or_init(|| Arc::new(build_loader(lang))).clone();
        Tr { lang, loader }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The message `id` with no arguments, for ids kept in tables (the console's key table):
    /// not checked at compile time, so each table has a test that every id it names exists in
    /// both catalogues. Prefer [`tr!`] everywhere else.
    pub fn message(&self, id: &str) -> String {
        self.loader.get(id)
    }

    /// Whether `id` is in this language's catalogue (for the tables' tests).
    pub fn has(&self, id: &str) -> bool {
        self.loader.has(id)
    }

    /// The Fluent loader, for [`tr!`] (`fl!`).
    pub fn loader(&self) -> &FluentLanguageLoader {
        &self.loader
    }
}

fn build_loader(lang: Lang) -> FluentLanguageLoader {
    let loader: FluentLanguageLoader = fluent_language_loader!();
    let id = lang
        .tag()
        .parse()
        .expect("the catalogue tags are valid BCP 47");
    // The catalogues are part of the binary and checked by tests: failing here is a build
    // defect, not an operator's mistake.
    loader
        .load_languages(&Catalogues, &[id])
        .expect("the embedded catalogues load");
    // No Unicode isolation marks around arguments: terminals draw them as stray characters
    // and they would break column widths. Arguments are sanitised before they get here.
    loader.set_use_isolating(false);
    loader
}

/// A message from `tr`'s catalogue: `tr!(tr, "console-tab-sessions")`,
/// `tr!(tr, "console-sessions-count", count = n)`. The id and arguments are checked against
/// the English catalogue at compile time.
#[macro_export]
macro_rules! tr {
    ($tr:expr, $id:literal) => {
        i18n_embed_fl::fl!($tr.loader(), $id)
    };
    ($tr:expr, $id:literal, $($args:tt)*) => {
        i18n_embed_fl::fl!($tr.loader(), $id, $($args)*)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn chinese_locales_of_every_region_choose_simplified_chinese() {
        for v in [
            "zh_CN.UTF-8",
            "zh_CN",
            "zh_SG",
            "zh-Hans",
            "zh_TW",
            "zh_HK.UTF-8",
            "zh",
        ] {
            assert_eq!(Lang::from_locale(v), Lang::ZhCn, "{v}");
        }
        for v in ["C", "POSIX", "", "en_US.UTF-8", "de_DE", "C.UTF-8", "zu_ZA"] {
            assert_eq!(Lang::from_locale(v), Lang::En, "{v}");
        }
    }

    #[test]
    fn the_flag_beats_the_variable_beats_the_config_beats_the_locale() {
        let all = env(&[("WXLOGIN_LANG", "en"), ("LANG", "zh_CN.UTF-8")]);
        assert_eq!(
            Lang::resolve(Some(Lang::ZhCn), Some("en"), &all),
            Ok(Lang::ZhCn)
        );
        assert_eq!(Lang::resolve(None, Some("zh-CN"), &all), Ok(Lang::En));
        let no_var = env(&[("LANG", "en_US.UTF-8")]);
        assert_eq!(Lang::resolve(None, Some("zh-CN"), &no_var), Ok(Lang::ZhCn));
        assert_eq!(Lang::resolve(None, None, &no_var), Ok(Lang::En));
        let posix = env(&[("LC_ALL", "zh_CN.UTF-8"), ("LANG", "en_US.UTF-8")]);
        assert_eq!(Lang::resolve(None, None, &posix), Ok(Lang::ZhCn));
        let messages = env(&[("LC_ALL", ""), ("LC_MESSAGES", "zh_SG"), ("LANG", "C")]);
        assert_eq!(Lang::resolve(None, None, &messages), Ok(Lang::ZhCn));
    }

    #[test]
    fn a_bad_explicit_language_is_an_error_naming_its_source_and_the_accepted_values() {
        let none = env(&[]);
        let e = "fr".parse::<Lang>().unwrap_err().to_string();
        assert!(e.contains("en, zh-CN") && e.contains("fr"), "{e}");
        let bad_var = env(&[("WXLOGIN_LANG", "klingon")]);
        let e = Lang::resolve(None, None, &bad_var).unwrap_err();
        assert!(e.contains("WXLOGIN_LANG") && e.contains("en, zh-CN"), "{e}");
        let e = Lang::resolve(None, Some("zh-TW"), &none).unwrap_err();
        assert!(
            e.contains("config `lang`") && e.contains("en, zh-CN"),
            "{e}"
        );
    }

    #[test]
    fn at_the_door_the_operators_entry_wins_then_the_clients_lang_then_english() {
        assert_eq!(
            Lang::for_door(Some(Lang::En), Some("zh_CN.UTF-8")),
            Lang::En
        );
        assert_eq!(Lang::for_door(None, Some("zh_CN.UTF-8")), Lang::ZhCn);
        assert_eq!(Lang::for_door(None, Some("")), Lang::En);
        assert_eq!(Lang::for_door(None, None), Lang::En);
        assert_eq!(Lang::for_door(Some(Lang::ZhCn), None), Lang::ZhCn);
    }

    #[test]
    fn language_names_round_trip_through_display_and_from_str() {
        for l in Lang::ALL {
            assert_eq!(l.to_string().parse::<Lang>(), Ok(l));
        }
        assert_eq!("zh_cn".parse::<Lang>(), Ok(Lang::ZhCn));
        assert!("zh-TW".parse::<Lang>().is_err());
    }

    #[test]
    fn counts_follow_each_languages_plural_rules() {
        let en = Tr::new(Lang::En);
        let zh = Tr::new(Lang::ZhCn);
        assert_eq!(tr!(en, "common-sessions", count = 1), "1 session");
        assert_eq!(tr!(en, "common-sessions", count = 2), "2 sessions");
        assert_eq!(tr!(zh, "common-sessions", count = 1), "1 个会话");
        assert_eq!(tr!(zh, "common-sessions", count = 2), "2 个会话");
    }

    #[test]
    fn two_translators_of_different_languages_live_side_by_side() {
        let en = Lang::En.tr();
        let zh = Lang::ZhCn.tr();
        assert_eq!(tr!(en, "common-yes"), "yes");
        assert_eq!(tr!(zh, "common-yes"), "是");
        // Built once per language: a second translator shares the loader.
        assert!(Arc::ptr_eq(&zh.loader, &Lang::ZhCn.tr().loader));
    }
}
