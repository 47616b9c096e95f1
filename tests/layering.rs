//! The two faces (the console in `src/console/`, the headless commands in `src/cli/`) never
//! import each other: what both show lives below them in `src/present/`. The modules below the
//! faces (`present`, `ops`, `store`, `config`) import neither face.
//!
//! This reads the sources. Every path that starts at `crate::` or at `super::` is resolved to
//! the module it names, through brace groups (`use crate::{cli, store}`,
//! `use crate::{console::views::x, …}`) and `super::super::…` chains, whether it sits in a
//! `use` line or inline in an expression. Comments are skipped, so a doc comment may name the
//! other face.

use std::path::{Path, PathBuf};

/// Which module tree a file belongs to, and which top-level modules it must never reach.
struct Rule {
    /// Files under this directory (or this one file), relative to the crate root.
    under: &'static str,
    forbidden: &'static [&'static str],
}

const RULES: &[Rule] = &[
    Rule {
        under: "src/cli",
        forbidden: &["console"],
    },
    Rule {
        under: "src/console",
        forbidden: &["cli"],
    },
    Rule {
        under: "src/present",
        forbidden: &["cli", "console"],
    },
    Rule {
        under: "src/ops",
        forbidden: &["cli", "console"],
    },
    Rule {
        under: "src/store",
        forbidden: &["cli", "console"],
    },
    Rule {
        under: "src/config.rs",
        forbidden: &["cli", "console"],
    },
];

/// The module path of a source file: `src/console/views/bindings.rs` is
/// `console::views::bindings`, `src/cli/mod.rs` is `cli`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .skip(1) // "src"
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if stem != "mod" && stem != "lib" && stem != "main" {
            parts.push(stem.to_owned());
        }
    }
    parts
}

/// The source without comments (line, doc and block comments) and without the contents of
/// string and char literals, so that neither can look like a path.
fn code_only(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&b, i) {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && b.get(i + 2) == Some(&'\'') {
            out.push_str("' '");
            i += 3;
        } else if c == '\'' && next == Some('\\') {
            i += 2;
            while i < b.len() && b[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A tiny reader of use trees and paths over code without comments.
struct Reader<'a> {
    s: &'a [char],
    i: usize,
}

impl Reader<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_whitespace() {
            self.i += 1;
        }
    }

    fn ident(&mut self) -> Option<String> {
        self.skip_ws();
        let start = self.i;
        while self.i < self.s.len() && is_ident(self.s[self.i]) {
            self.i += 1;
        }
        (self.i > start).then(|| self.s[start..self.i].iter().collect())
    }

    fn eat(&mut self, text: &str) -> bool {
        self.skip_ws();
        let t: Vec<char> = text.chars().collect();
        if self.s[self.i..].starts_with(&t) {
            self.i += t.len();
            true
        } else {
            false
        }
    }

    /// Every full path a use tree (or an inline path) names, each as its segments, prefixed
    /// with `prefix`.
    fn tree(&mut self, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        if self.eat("{") {
            loop {
                if self.eat("}") {
                    break;
                }
                let before = self.i;
                self.tree(prefix.clone(), out);
                self.eat(",");
                if self.i == before {
                    // Not a use tree after all (a struct literal, a block): stop here.
                    break;
                }
            }
            return;
        }
        if self.eat("*") {
            out.push(prefix);
            return;
        }
        let Some(name) = self.ident() else {
            out.push(prefix);
            return;
        };
        let mut path = prefix;
        path.push(name);
        let save = self.i;
        if self.eat("::") {
            self.tree(path, out);
        } else {
            self.i = save;
            out.push(path);
        }
    }
}

/// Every path in `code` that starts at `crate` or `super`, resolved against the module
/// `module` to a path from the crate root.
fn crate_paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let s: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if !is_ident(s[i]) || (i > 0 && (is_ident(s[i - 1]) || s[i - 1] == ':')) {
            i += 1;
            continue;
        }
        let mut r = Reader { s: &s, i };
        let first = r.ident().unwrap_or_default();
        if first != "crate" && first != "super" {
            i = r.i.max(i + 1);
            continue;
        }
        let mut raw = Vec::new();
        r.i = i;
        r.tree(Vec::new(), &mut raw);
        for p in raw {
            if let Some(resolved) = resolve(&p, module) {
                out.push(resolved);
            }
        }
        i = r.i.max(i + 1);
    }
    out
}

/// `crate::a::b` is `a::b`; `super::super::x` in module `console::views::overview` is
/// `console::x`.
fn resolve(path: &[String], module: &[String]) -> Option<Vec<String>> {
    let first = path.first()?;
    if first == "crate" {
        return Some(path[1..].to_vec());
    }
    let mut base = module.to_vec();
    let mut rest = path;
    while rest.first().map(String::as_str) == Some("super") {
        base.pop()?;
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    for entry in std::fs::read_dir(dir).expect("read source dir") {
        let p = entry.expect("dir entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `file: path` for each forbidden path in one file's source.
fn violations(rel: &Path, src: &str, forbidden: &[&str]) -> Vec<String> {
    let module = module_of(rel);
    crate_paths(&code_only(src), &module)
        .into_iter()
        .filter(|p| {
            p.first()
                .is_some_and(|top| forbidden.contains(&top.as_str()))
        })
        .map(|p| format!("{}: crate::{}", rel.display(), p.join("::")))
        .collect()
}

#[test]
fn neither_face_imports_the_other_and_the_layers_below_import_neither() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    let mut files_read = 0;
    for rule in RULES {
        let mut files = Vec::new();
        rust_files(&root.join(rule.under), &mut files);
        assert!(!files.is_empty(), "no source under {}", rule.under);
        for f in files {
            let rel = f.strip_prefix(root).expect("under the crate root");
            let src = std::fs::read_to_string(&f).expect("read source");
            files_read += 1;
            found.extend(violations(rel, &src, rule.forbidden));
        }
    }
    assert!(files_read > 40, "only {files_read} files read");
    assert!(
        found.is_empty(),
        "a face reaches into the other (move what both show to src/present/):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_every_form_of_reaching_into_the_other_face() {
    let console_view = Path::new("src/console/views/overview.rs");
    let cli_file = Path::new("src/cli/accounts.rs");
    let cases: &[(&Path, &str)] = &[
        (console_view, "use crate::cli::stats::instance_state;"),
        (console_view, "use crate::{cli, store};"),
        (
            console_view,
            "use crate::{store::Ts, cli::sessions::SessionJson};",
        ),
        (console_view, "use crate :: { store , cli :: { stats } };"),
        (console_view, "use super::super::super::cli::stats;"),
        (
            console_view,
            "let n = crate::cli::accounts::MIN_PASSWORD_CHARS;",
        ),
        (console_view, "f(super::super::super::cli::escape(x));"),
        (
            cli_file,
            "use super::super::console::views::bindings::event_name;",
        ),
        (
            cli_file,
            "let x = crate::console::views::bindings::event_name(e);",
        ),
        (cli_file, "use crate::{console as c};"),
    ];
    let other_face = |file: &Path| -> &'static [&'static str] {
        if file.starts_with("src/cli") {
            &["console"]
        } else {
            &["cli"]
        }
    };
    for (file, src) in cases {
        assert_eq!(
            violations(file, src, other_face(file)).len(),
            1,
            "not caught in {}: {src}",
            file.display()
        );
    }
    let allowed: &[(&Path, &str)] = &[
        (
            console_view,
            "use super::Component; use crate::present::state::instance_state;",
        ),
        (console_view, "use super::super::widgets::{self, Paint};"),
        (
            console_view,
            "/// reads like `crate::cli::stats`\nfn f() {}",
        ),
        (console_view, "let s = \"crate::cli::x\"; // crate::cli"),
        (cli_file, "use crate::{present, store::Ts};"),
        (cli_file, "use super::{Context, cell};"),
    ];
    for (file, src) in allowed {
        assert_eq!(
            violations(file, src, other_face(file)),
            Vec::<String>::new(),
            "false alarm in {}: {src}",
            file.display()
        );
    }
}
