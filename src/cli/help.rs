//! `--help` in the operator's language: `wxlogin --help`, each subcommand's one-line `about`
//! and the exit-code note. clap's own headings (`Usage:`, `Options:`, `Commands:`) and the
//! options' long help stay English.
//!
//! The language must be known before clap parses (help is printed while parsing), so it is read
//! from the raw arguments and the environment: `--lang X` / `--lang=X`, then `WXLOGIN_LANG`,
//! then the POSIX locale. The config file's `lang` is not read for help (the config path is
//! itself an option clap has not parsed yet); every other output does read it.

use clap::Command;

use crate::i18n::{Lang, Tr};
use crate::tr;

/// The language for `--help` and clap's usage errors, from `args` (without the program name
/// or with it: only `--lang` matters) and `var`. A value that is not a language is ignored
/// here: the parser itself then refuses it with the accepted values.
pub fn early_lang<S: AsRef<str>>(args: &[S], var: impl Fn(&str) -> Option<String>) -> Lang {
    // The local rule without the config file (not read yet): a bad WXLOGIN_LANG is reported
    // once the command runs; the help falls back to the locale.
    Lang::resolve(flag_lang(args), None, &var).unwrap_or_else(|_| Lang::from_posix_env(&var))
}

/// The language `--lang X` / `--lang=X` names in `args`, if it does (the last one wins, as in
/// clap).
pub fn flag_lang<S: AsRef<str>>(args: &[S]) -> Option<Lang> {
    let mut flag = None;
    let mut it = args.iter().map(AsRef::as_ref);
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        if a == "--lang" {
            flag = it.next().and_then(|v| v.parse().ok());
        } else if let Some(v) = a.strip_prefix("--lang=") {
            flag = v.parse().ok();
        }
    }
    flag
}

/// `cmd` (the whole `wxlogin` command tree) with its abouts and exit-code notes in `tr`'s
/// language; unchanged in English.
pub fn localize(cmd: Command, tr: &Tr) -> Command {
    if tr.lang() == Lang::En {
        return cmd;
    }
    let exit_codes = tr!(tr, "cli-help-exit-codes");
    let mut cmd = cmd.about(tr!(tr, "cli-about-wxlogin"));
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        let about = about(tr, &name);
        let exit_codes = exit_codes.clone();
        cmd = cmd.mut_subcommand(&name, |s| localize_sub(s, tr, about, &exit_codes, &name));
    }
    if cmd.get_after_help().is_some() {
        cmd = cmd.after_help(exit_codes);
    }
    cmd
}

fn localize_sub(
    mut s: Command,
    tr: &Tr,
    about: Option<String>,
    exit_codes: &str,
    path: &str,
) -> Command {
    if let Some(a) = about {
        s = s.about(a).long_about(None);
    }
    if s.get_after_help().is_some() {
        s = s.after_help(exit_codes.to_owned());
    }
    let names: Vec<String> = s
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    for name in names {
        let full = format!("{path} {name}");
        let about = about_nested(tr, &full);
        s = s.mut_subcommand(&name, |c| localize_sub(c, tr, about, exit_codes, &full));
    }
    s
}

/// A top-level subcommand's one line.
fn about(tr: &Tr, name: &str) -> Option<String> {
    Some(match name {
        "migrate" => tr!(tr, "cli-about-migrate"),
        "sessions" => tr!(tr, "cli-about-sessions"),
        "bindings" => tr!(tr, "cli-about-bindings"),
        "exchange" => tr!(tr, "cli-about-exchange"),
        "audit" => tr!(tr, "cli-about-audit"),
        "accounts" => tr!(tr, "cli-about-accounts"),
        "stats" => tr!(tr, "cli-about-stats"),
        "completions" => tr!(tr, "cli-about-completions"),
        "mock-wechat" => tr!(tr, "cli-about-mock-wechat"),
        "serve" => tr!(tr, "cli-about-serve"),
        "simulate" => tr!(tr, "cli-about-simulate"),
        "demo" => tr!(tr, "cli-about-demo"),
        "console" => tr!(tr, "cli-about-console"),
        "seed-synthetic" => tr!(tr, "cli-about-seed-synthetic"),
        "bench" => tr!(tr, "cli-about-bench"),
        "ssh-server" => tr!(tr, "cli-about-ssh-server"),
        "help" => tr!(tr, "cli-about-help"),
        _ => return None,
    })
}

/// A nested subcommand's one line (`sessions list`, `accounts create` …).
fn about_nested(tr: &Tr, path: &str) -> Option<String> {
    Some(match path {
        "sessions list" => tr!(tr, "cli-about-sessions-list"),
        "sessions show" => tr!(tr, "cli-about-sessions-show"),
        "sessions revoke" => tr!(tr, "cli-about-sessions-revoke"),
        "sessions check-key" => tr!(tr, "cli-about-sessions-check-key"),
        "sessions reset-key" => tr!(tr, "cli-about-sessions-reset-key"),
        "sessions purge" => tr!(tr, "cli-about-sessions-purge"),
        "bindings show" => tr!(tr, "cli-about-bindings-show"),
        "bindings unbind" => tr!(tr, "cli-about-bindings-unbind"),
        "accounts create" => tr!(tr, "cli-about-accounts-create"),
        "accounts show" => tr!(tr, "cli-about-accounts-show"),
        "accounts disable" => tr!(tr, "cli-about-accounts-disable"),
        "accounts unlock" => tr!(tr, "cli-about-accounts-unlock"),
        "accounts set-password" => tr!(tr, "cli-about-accounts-set-password"),
        "accounts history" => tr!(tr, "cli-about-accounts-history"),
        p if p.ends_with(" help") => tr!(tr, "cli-about-help"),
        _ => return None,
    })
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
    fn the_help_language_comes_from_the_flag_then_the_variable_then_the_locale() {
        let zh_locale = env(&[("LANG", "zh_CN.UTF-8")]);
        assert_eq!(early_lang(&["wxlogin", "--help"], &zh_locale), Lang::ZhCn);
        assert_eq!(
            early_lang(&["wxlogin", "--lang", "en", "--help"], &zh_locale),
            Lang::En
        );
        assert_eq!(
            early_lang(&["wxlogin", "sessions", "--lang=zh-CN", "-h"], env(&[])),
            Lang::ZhCn
        );
        let var = env(&[("WXLOGIN_LANG", "zh-CN"), ("LANG", "C")]);
        assert_eq!(early_lang(&["wxlogin"], &var), Lang::ZhCn);
        // After `--` a word is an argument, not the flag.
        assert_eq!(
            early_lang(&["wxlogin", "--", "--lang", "zh-CN"], env(&[])),
            Lang::En
        );
    }
}
