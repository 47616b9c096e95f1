//! The two catalogues stay in step: every message id of the English catalogue exists in the
//! Simplified Chinese one and the other way round, and each message (and each of its
//! attributes) uses the same set of `{ $variables }` in both. A message missing in zh-CN would
//! show an id to an operator; a variable missing would drop a number or a name.

use std::collections::{BTreeMap, BTreeSet};

use fluent_syntax::ast;

type Vars = BTreeSet<String>;

fn catalogue(lang: &str) -> BTreeMap<String, Vars> {
    let path = format!("{}/i18n/{lang}/wxlogin.ftl", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let resource = fluent_syntax::parser::parse(text.as_str()).unwrap_or_else(|(_, errors)| {
        panic!("{path} does not parse as Fluent: {errors:?}");
    });
    let mut out = BTreeMap::new();
    for entry in resource.body {
        match entry {
            ast::Entry::Message(m) => {
                let id = m.id.name.to_owned();
                let mut vars = Vars::new();
                if let Some(p) = &m.value {
                    pattern_vars(p, &mut vars);
                }
                for a in &m.attributes {
                    let mut avars = Vars::new();
                    pattern_vars(&a.value, &mut avars);
                    out.insert(format!("{id}.{}", a.id.name), avars);
                }
                assert!(
                    out.insert(id.clone(), vars).is_none(),
                    "{path}: message {id} is defined twice"
                );
            }
            ast::Entry::Term(t) => {
                let mut vars = Vars::new();
                pattern_vars(&t.value, &mut vars);
                out.insert(format!("-{}", t.id.name), vars);
            }
            ast::Entry::Junk { content } => panic!("{path}: junk in the catalogue: {content}"),
            _ => {}
        }
    }
    out
}

fn pattern_vars(p: &ast::Pattern<&str>, out: &mut Vars) {
    for e in &p.elements {
        if let ast::PatternElement::Placeable { expression } = e {
            expression_vars(expression, out);
        }
    }
}

fn expression_vars(e: &ast::Expression<&str>, out: &mut Vars) {
    match e {
        ast::Expression::Select { selector, variants } => {
            inline_vars(selector, out);
            for v in variants {
                pattern_vars(&v.value, out);
            }
        }
        ast::Expression::Inline(i) => inline_vars(i, out),
    }
}

fn inline_vars(i: &ast::InlineExpression<&str>, out: &mut Vars) {
    match i {
        ast::InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_owned());
        }
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for a in &arguments.positional {
                inline_vars(a, out);
            }
        }
        ast::InlineExpression::Placeable { expression } => expression_vars(expression, out),
        _ => {}
    }
}

#[test]
fn both_catalogues_have_the_same_message_ids() {
    let en = catalogue("en");
    let zh = catalogue("zh-CN");
    let only_en: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
    let only_zh: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
    assert!(
        only_en.is_empty() && only_zh.is_empty(),
        "messages only in en: {only_en:?}\nmessages only in zh-CN: {only_zh:?}"
    );
    assert!(en.len() > 2, "the English catalogue is nearly empty");
}

#[test]
fn each_message_uses_the_same_variables_in_both_catalogues() {
    let en = catalogue("en");
    let zh = catalogue("zh-CN");
    let differ: Vec<String> = en
        .iter()
        .filter_map(|(id, vars)| {
            let other = zh.get(id)?;
            (other != vars).then(|| format!("{id}: en {vars:?}, zh-CN {other:?}"))
        })
        .collect();
    assert!(
        differ.is_empty(),
        "variables differ:\n{}",
        differ.join("\n")
    );
}

#[test]
fn message_ids_are_kebab_case_and_prefixed_by_their_area() {
    const AREAS: [&str; 6] = [
        "common-", "console-", "errcode-", "cli-", "present-", "service-",
    ];
    for id in catalogue("en").keys() {
        let bare = id.split('.').next().unwrap_or(id);
        assert!(
            AREAS.iter().any(|a| bare.starts_with(a)),
            "{id} has no area prefix ({AREAS:?})"
        );
        assert!(
            bare.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{id} is not kebab-case"
        );
    }
}

#[test]
fn each_catalogue_has_the_sections_the_two_halves_of_the_work_fill() {
    for lang in ["en", "zh-CN"] {
        let path = format!("{}/i18n/{lang}/wxlogin.ftl", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        for marker in [
            "## ---- console ----",
            "## ---- commands (cli, present, service) ----",
        ] {
            assert!(text.contains(marker), "{path} lacks `{marker}`");
        }
    }
}
