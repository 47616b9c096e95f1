//! Words on the console's screens and in the commands' human output come from the catalogue
//! (i18n/*/wxlogin.ftl), never from a string literal in src/console, src/cli or src/present. A
//! simple scan: outside test modules, comments and log/panic lines, a string literal holding two
//! English words in a row is a human-visible phrase. Each exception is listed below with its
//! reason; a new phrase anywhere else fails this test.

use std::path::Path;

/// (file, a phrase the literal contains, why it stays).
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    // Filter syntax the operator types as it is, in every language.
    (
        "src/console/help.rs",
        "username=alice account=42",
        "typed filter syntax",
    ),
    (
        "src/console/views/bindings.rs",
        "bindings openid=o6_bmj… appid=wx…",
        "typed command syntax",
    ),
    // Internal errors that mean a bug, not something an operator acts on.
    (
        "src/console/confirm.rs",
        "password hashing stopped",
        "internal error (a bug)",
    ),
    (
        "src/console/confirm.rs",
        "unexpected outcome",
        "internal error (a bug)",
    ),
    (
        "src/console/tasks.rs",
        "a background task panicked",
        "internal error (a bug), then worded by the app",
    ),
    // Said on stderr before or after the console runs, with the command's other messages.
    (
        "src/console/mod.rs",
        "the console needs an interactive terminal",
        "stderr usage error of the command, before any console",
    ),
    (
        "src/console/mod.rs",
        "terminal error",
        "stderr runtime error of the command, after the console",
    ),
    (
        "src/console/mod.rs",
        "stopped by",
        "stderr line after the console, with the command's log lines",
    ),
];

/// The same for the commands (src/cli) and what both faces share (src/present): (file, a
/// phrase the literal contains, why it stays).
const CLI_EXCEPTIONS: &[(&str, &str, &str)] = &[
    // English column headers: the table words them in the operator's language when it prints
    // (src/cli/table.rs `column`), and that list itself names them.
    (
        "src/cli/table.rs",
        "LAST LOGIN",
        "header, worded by column()",
    ),
    (
        "src/cli/table.rs",
        "LAST SEEN",
        "header, worded by column()",
    ),
    (
        "src/cli/table.rs",
        "LIVE SESSIONS",
        "header, worded by column()",
    ),
    (
        "src/cli/table.rs",
        "PUBLIC ID",
        "header, worded by column()",
    ),
    (
        "src/cli/bindings.rs",
        "LAST LOGIN",
        "header, worded by column()",
    ),
    (
        "src/cli/bindings.rs",
        "LIVE SESSIONS",
        "header, worded by column()",
    ),
    (
        "src/cli/sessions.rs",
        "PUBLIC ID",
        "header, worded by column()",
    ),
    (
        "src/cli/sessions.rs",
        "LAST SEEN",
        "header, worded by column()",
    ),
    (
        "src/cli/stats.rs",
        "LAST SEEN",
        "header, worded by column()",
    ),
    // Subcommand paths that `--help` matches to their Chinese one-liners; never shown.
    ("src/cli/help.rs", "sessions ", "subcommand path, matched"),
    ("src/cli/help.rs", "bindings ", "subcommand path, matched"),
    ("src/cli/help.rs", "accounts ", "subcommand path, matched"),
    // clap's English help, replaced by the catalogue's exit-code note in zh-CN (help.rs);
    // clap's headings stay English (README says so).
    (
        "src/cli/mod.rs",
        "Exit codes:",
        "English --help, replaced in zh-CN",
    ),
    (
        "src/cli/session_keys.rs",
        "Exit codes:",
        "English --help, replaced in zh-CN",
    ),
    ("src/cli/session_keys.rs", "Command options", "clap heading"),
    // Errors of clap value parsers: clap prints them inside its own English usage error.
    (
        "src/cli/mod.rs",
        "--account is the numeric account id",
        "inside clap's English error",
    ),
    (
        "src/cli/sessions.rs",
        "is not an age",
        "inside clap's English error",
    ),
    (
        "src/cli/sessions.rs",
        "is zero; the age must be",
        "inside clap's English error",
    ),
    (
        "src/cli/sessions.rs",
        "is more than 100 years",
        "inside clap's English error",
    ),
    (
        "src/cli/accounts.rs",
        "`accounts history ",
        "inside clap's English error",
    ),
    // The English names of lines read from stdin: field_name() words them in the operator's
    // language; crate::text::check names them in its own (English) errors.
    (
        "src/cli/accounts.rs",
        "the password",
        "field name, worded by field_name()",
    ),
    (
        "src/cli/accounts.rs",
        "the repeated password",
        "field name, worded by field_name()",
    ),
    (
        "src/cli/exchange.rs",
        "the code",
        "field name, worded by field_name()",
    ),
    (
        "src/cli/sessions.rs",
        "the SessionId",
        "field name, worded by field_name()",
    ),
    (
        "src/cli/mod.rs",
        "the answer",
        "field name, worded by field_name()",
    ),
    (
        "src/cli/mod.rs",
        "the password",
        "field name, worded by field_name()",
    ),
    (
        "src/cli/mod.rs",
        "the repeated password",
        "field name, worded by field_name()",
    ),
    (
        "src/cli/mod.rs",
        "the code",
        "field name, worded by field_name()",
    ),
    (
        "src/cli/mod.rs",
        "the SessionId",
        "field name, worded by field_name()",
    ),
    // Failures of the machine itself, with the OS's own (English) text after them.
    (
        "src/cli/mod.rs",
        "cannot encode the JSON output",
        "internal error (a bug)",
    ),
    (
        "src/cli/mod.rs",
        "cannot read stdin",
        "OS error text follows",
    ),
    (
        "src/cli/mod.rs",
        "cannot read from the terminal",
        "OS error text follows",
    ),
    (
        "src/cli/sessions.rs",
        "cannot listen for Ctrl-C",
        "OS error text follows",
    ),
    (
        "src/cli/accounts.rs",
        "password hashing stopped",
        "internal error (a bug)",
    ),
    // The ops layer's and the token cache's English sentences, matched so that they can be
    // said again in the operator's language (each table has a test that they still exist).
    (
        "src/present/refusal.rs",
        "",
        "English ops sentences matched, then worded again",
    ),
    (
        "src/present/wechat.rs",
        "",
        "English token.rs reasons matched, then worded again",
    ),
];

fn two_words(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        let first = i - start;
        let sep = i;
        while i < b.len() && matches!(b[i], b' ' | b',' | b':' | b';') {
            i += 1;
        }
        let second_start = i;
        let mut j = i;
        while j < b.len() && b[j].is_ascii_alphabetic() {
            j += 1;
        }
        if first >= 2 && i > sep && j - second_start >= 2 {
            return true;
        }
        if i == start {
            i += 1;
        }
    }
    false
}

fn literals(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some((_, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => break,
                c => s.push(c),
            }
        }
        out.push(s);
    }
    out
}

fn rs_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every literal with two English words in a row in the files under `dirs`, outside test
/// modules, comments, attributes and log/panic lines, that is not a catalogue id (`prefixes`)
/// or listed in `exceptions`: "file:line: literal".
fn phrases(dirs: &[&str], prefixes: &[&str], exceptions: &[(&str, &str, &str)]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for d in dirs {
        rs_files(&root.join(d), &mut files);
    }
    files.sort();
    let skip = |l: &str| {
        let t = l.trim_start();
        t.starts_with("//")
            || t.starts_with("#[")
            || [
                "tracing::",
                "panic!",
                ".expect(",
                "debug_assert",
                "unreachable!",
            ]
            .iter()
            .any(|m| l.contains(m))
    };
    let mut found = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.contains("#[cfg(test)]") {
                break;
            }
            if skip(line) {
                continue;
            }
            for lit in literals(line) {
                if prefixes.iter().any(|p| lit.starts_with(p)) || !two_words(&lit) {
                    continue;
                }
                if exceptions
                    .iter()
                    .any(|(p, s, _)| *p == rel && lit.contains(s))
                {
                    continue;
                }
                found.push(format!("{rel}:{}: {lit:?}", n + 1));
            }
        }
    }
    found
}

#[test]
fn no_human_phrase_is_written_in_the_console_outside_the_catalogue() {
    let found = phrases(&["src/console"], &["console-", "errcode-"], EXCEPTIONS);
    assert!(
        found.is_empty(),
        "words on the console's screens belong in i18n/en/wxlogin.ftl and i18n/zh-CN/wxlogin.ftl \
         (use tr!), or in this test's EXCEPTIONS with a reason:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_human_sentence_is_written_in_the_commands_outside_the_catalogue() {
    let found = phrases(
        &["src/cli", "src/present"],
        &["cli-", "present-", "errcode-", "common-"],
        CLI_EXCEPTIONS,
    );
    assert!(
        found.is_empty(),
        "what the commands say to people belongs in i18n/en/wxlogin.ftl and \
         i18n/zh-CN/wxlogin.ftl (use tr!), or in this test's CLI_EXCEPTIONS with a reason:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_listed_exception_still_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (file, phrase, why) in EXCEPTIONS.iter().chain(CLI_EXCEPTIONS) {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(
            text.contains(phrase),
            "{file}: {phrase:?} ({why}) is gone: drop the exception"
        );
    }
}
