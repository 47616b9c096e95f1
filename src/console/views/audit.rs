//! The Audit view: operator actions newest first, filterable by operator, action and target.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use super::Component;
use super::list::{KeysetList, keyset_source};
use crate::console::action::Action;
use crate::console::effect::Cx;
use crate::console::filter;
use crate::console::input::TextInput;
use crate::console::keymap::{Scope, key};
use crate::console::prompt::PromptKind;
use crate::console::widgets::{self, Col, Paint, col, fill_col};
use crate::console::window::Chunk;
use crate::i18n::Tr;
use crate::store::{AuditEntry, AuditFilter, StoreError};
use crate::tr;

/// Results of the view's background work.
#[derive(Debug)]
pub enum Msg {
    Page {
        generation: u64,
        result: Result<Chunk<AuditEntry>, StoreError>,
    },
}

keyset_source!(
    AuditFilter => AuditEntry,
    older: list_audit,
    newer: list_audit_newer,
    format: filter::format_audit_filter,
    noun: "console-noun-audit-log",
    prompt: "console-audit-filter-prompt",
);

#[derive(Debug)]
pub struct AuditView {
    pub list: KeysetList<AuditFilter>,
    /// Something the log shows may have changed since it was loaded.
    pub stale: bool,
}

impl Default for AuditView {
    fn default() -> Self {
        AuditView {
            list: KeysetList::default(),
            stale: true,
        }
    }
}

impl AuditView {
    pub fn set_filter(&mut self, filter: AuditFilter, cx: &mut Cx) {
        self.list.set_filter(filter, cx);
    }

    pub fn apply(&mut self, msg: Msg, cx: &mut Cx) {
        match msg {
            Msg::Page { generation, result } => {
                self.list.apply(generation, result, cx);
            }
        }
    }

    fn reload_here(&mut self, cx: &mut Cx) {
        if self.list.window.loaded {
            self.list.refresh(cx);
        } else {
            self.list.reload(cx);
        }
    }
}

impl Component for AuditView {
    fn handle(&mut self, action: Action, cx: &mut Cx) {
        if self.list.navigate(action, cx) {
            return;
        }
        match action {
            Action::Back => {
                if self.list.detail {
                    self.list.detail = false;
                } else if self.list.filter != AuditFilter::default() {
                    self.set_filter(AuditFilter::default(), cx);
                    cx.info(tr!(cx.tr, "console-filter-cleared"));
                }
            }
            Action::Refresh => {
                self.reload_here(cx);
                cx.info("refreshed");
            }
            // Keys of other scopes never reach this view (the key table is looked up by scope).
            _ => {}
        }
    }

    fn accept(&mut self, kind: PromptKind, input: &mut TextInput, cx: &mut Cx) {
        match kind {
            PromptKind::Filter => match filter::parse_audit_filter(cx.tr, input.value()) {
                Ok(f) => self.set_filter(f, cx),
                Err(e) => cx.error(e),
            },
            PromptKind::Command
            | PromptKind::Token
            | PromptKind::Code
            | PromptKind::MintUser
            | PromptKind::NewPassword => {}
        }
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.reload_here(cx);
    }

    fn live(&mut self, cx: &mut Cx) {
        if !self.list.window.is_loading() {
            self.reload_here(cx);
        }
    }

    fn shown(&mut self, cx: &mut Cx) {
        if self.stale || !self.list.window.loaded {
            self.stale = false;
            self.list.reload(cx);
        }
    }

    fn changed(&mut self, _revoked: &[String], visible: bool, cx: &mut Cx) {
        self.stale = true;
        if visible {
            self.reload_here(cx);
        }
    }

    fn busy(&self) -> bool {
        self.list.window.is_loading()
    }

    fn paste_hint(&self, tr: &Tr) -> String {
        tr!(
            tr,
            "console-paste-ignored",
            key = key(Scope::Audit, Action::Filter)
        )
    }

    fn draw(&self, frame: &mut Frame, area: Rect, paint: &Paint) {
        let table = |f: &mut Frame, a| self.draw_table(f, a, paint);
        self.list
            .draw(frame, area, table, |f, a| self.draw_detail(f, a, paint));
    }
}

// ---- drawing ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Field {
    At,
    Operator,
    Origin,
    Action,
    Target,
    Reason,
}

fn columns(wide: bool) -> Vec<(Col, Field)> {
    vec![
        (
            col("console-col-when", if wide { 19 } else { 11 }, 0),
            Field::At,
        ),
        (
            col("console-col-operator", if wide { 16 } else { 10 }, 0),
            Field::Operator,
        ),
        (
            col("console-col-origin", if wide { 22 } else { 14 }, 3),
            Field::Origin,
        ),
        (
            col("console-col-action", if wide { 18 } else { 16 }, 0),
            Field::Action,
        ),
        (
            col("console-col-target", if wide { 40 } else { 18 }, 1),
            Field::Target,
        ),
        (fill_col("console-col-reason", 12, 2), Field::Reason),
    ]
}

fn cell(e: &AuditEntry, f: Field, width: u16, wide: bool) -> Cell<'static> {
    let w = width as usize;
    Cell::from(match f {
        Field::At if wide => widgets::full_datetime(e.at),
        Field::At => widgets::short_datetime(e.at),
        Field::Operator => widgets::clean(&e.operator, w),
        Field::Origin => widgets::clean_opt(&e.origin, w),
        Field::Action => widgets::clean(&e.action, w),
        Field::Target => widgets::clean(&e.target, w),
        Field::Reason => widgets::clean_opt(&e.reason, w),
    })
}

impl AuditView {
    fn draw_table(&self, frame: &mut Frame, area: Rect, paint: &Paint) {
        let t = paint.theme;
        let tr = paint.tr;
        let mut title = vec![Span::styled(
            format!(" {} ", tr!(tr, "console-audit-title")),
            t.title,
        )];
        let f = filter::format_audit_filter(&self.list.filter);
        if !f.is_empty() {
            title.push(Span::styled(
                format!("[{}] ", widgets::clean(&f, 60)),
                t.warn,
            ));
        }
        self.list.draw_table(
            frame,
            area,
            paint,
            Line::from(title),
            None,
            || {
                if !self.list.window.loaded {
                    format!(
                        "{} {}",
                        widgets::spinner(paint.spinner),
                        tr!(tr, "console-loading")
                    )
                } else if f.is_empty() {
                    tr!(tr, "console-audit-empty")
                } else {
                    tr!(
                        tr,
                        "console-audit-empty-filter",
                        key = key(Scope::Audit, Action::Back)
                    )
                }
            },
            columns,
            |i, _| {
                if i == self.list.window.selected {
                    t.selected
                } else {
                    t.value
                }
            },
            cell,
        );
    }

    fn draw_detail(&self, frame: &mut Frame, area: Rect, paint: &Paint) {
        let t = paint.theme;
        let tr = paint.tr;
        let Some(e) = self.list.window.selected_row() else {
            return;
        };
        let mut lines = vec![
            widgets::field(
                t,
                &tr!(tr, "console-field-when"),
                widgets::when(tr, paint.now, e.at),
                None,
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-operator"),
                widgets::clean(&e.operator, 64),
                Some(t.title),
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-origin"),
                widgets::clean_opt(&e.origin, 64),
                None,
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-action"),
                widgets::clean(&e.action, 64),
                None,
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-target"),
                widgets::clean(&e.target, 300),
                None,
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-reason"),
                widgets::clean_opt(&e.reason, 600),
                None,
            ),
            widgets::field(t, &tr!(tr, "console-field-detail"), "", None),
        ];
        let pretty = serde_json::to_string_pretty(&e.detail.0).unwrap_or_default();
        for l in pretty.lines().take(200) {
            lines.push(Line::from(Span::styled(
                format!("  {}", widgets::clean(l, 400)),
                t.value,
            )));
        }
        widgets::detail_pane(frame, area, t, &tr!(tr, "console-audit-entry"), lines);
    }
}
