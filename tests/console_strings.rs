//! Words on the console's screens come from the catalogue (i18n/*/wxlogin.ftl), never from a
//! string literal in src/console. A simple scan: outside test modules, comments and log/panic
//! lines, a string literal holding two English words in a row is a human-visible phrase. Each
//! exception is listed below with its reason; a new phrase anywhere else fails this test.

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

#[test]
fn no_human_phrase_is_written_in_the_console_outside_the_catalogue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rs_files(&root.join("src/console"), &mut files);
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
                if lit.starts_with("console-") || lit.starts_with("errcode-") || !two_words(&lit) {
                    continue;
                }
                if EXCEPTIONS
                    .iter()
                    .any(|(p, s, _)| *p == rel && lit.contains(s))
                {
                    continue;
                }
                found.push(format!("{rel}:{}: {lit:?}", n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "words on the console's screens belong in i18n/en/wxlogin.ftl and i18n/zh-CN/wxlogin.ftl \
         (use tr!), or in this test's EXCEPTIONS with a reason:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_listed_exception_still_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (file, phrase, why) in EXCEPTIONS {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(
            text.contains(phrase),
            "{file}: {phrase:?} ({why}) is gone: drop the exception"
        );
    }
}
