//! Plain aligned text tables for people. Cells must already be sanitised (see [`super::cell`]).

use std::io::Write;

use crate::exit::Failure;
use crate::i18n::{Lang, Tr};
use crate::tr;

pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

/// Columns as a terminal shows them (CJK characters take two cells).
fn width(text: &str) -> usize {
    ratatui::text::Span::raw(text).width()
}

/// A column header in `tr`'s language. English headers are the table's own words; a header
/// this list does not know is shown as it is.
fn column(tr: &Tr, h: &str) -> String {
    if tr.lang() == Lang::En {
        return h.to_owned();
    }
    match h {
        "ACCOUNT" => tr!(tr, "cli-col-account"),
        "ACTION" => tr!(tr, "cli-col-action"),
        "ADDRESS" => tr!(tr, "cli-col-address"),
        "APPID" => tr!(tr, "cli-col-appid"),
        "AT" => tr!(tr, "cli-col-at"),
        "BOUND" => tr!(tr, "cli-col-bound"),
        "COUNT" => tr!(tr, "cli-col-count"),
        "CREATED" => tr!(tr, "cli-col-created"),
        "DETAIL" => tr!(tr, "cli-col-detail"),
        "DEVICE" => tr!(tr, "cli-col-device"),
        "EXPIRES" => tr!(tr, "cli-col-expires"),
        "FAILED" => tr!(tr, "cli-col-failed"),
        "ID" => tr!(tr, "cli-col-id"),
        "IP" => tr!(tr, "cli-col-ip"),
        "LAST LOGIN" => tr!(tr, "cli-col-last-login"),
        "LAST SEEN" => tr!(tr, "cli-col-last-seen"),
        "LISTEN" => tr!(tr, "cli-col-listen"),
        "LIVE SESSIONS" => tr!(tr, "cli-col-live-sessions"),
        "MINUTE" => tr!(tr, "cli-col-minute"),
        "OPENID" => tr!(tr, "cli-col-openid"),
        "OPERATOR" => tr!(tr, "cli-col-operator"),
        "ORIGIN" => tr!(tr, "cli-col-origin"),
        "OUTCOME" => tr!(tr, "cli-col-outcome"),
        "PUBLIC ID" => tr!(tr, "cli-col-public-id"),
        "REASON" => tr!(tr, "cli-col-reason"),
        "STARTED" => tr!(tr, "cli-col-started"),
        "STATE" => tr!(tr, "cli-col-state"),
        "TARGET" => tr!(tr, "cli-col-target"),
        "UNIONID" => tr!(tr, "cli-col-unionid"),
        "USERNAME" => tr!(tr, "cli-col-username"),
        "VERSION" => tr!(tr, "cli-col-version"),
        other => other.to_owned(),
    }
}

impl Table {
    pub fn new(header: &[&'static str]) -> Self {
        Table {
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.header.len());
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn render(&self) -> String {
        self.render_in(&Tr::default())
    }

    /// The table with its header in `tr`'s language (cells are data: never translated).
    pub fn render_in(&self, tr: &Tr) -> String {
        let header: Vec<String> = self.header.iter().map(|h| column(tr, h)).collect();
        let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
        for r in &self.rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(width(c));
            }
        }
        let mut out = String::new();
        let mut line = |cells: &mut dyn Iterator<Item = &str>| {
            let mut l = String::new();
            for (i, c) in cells.enumerate() {
                if i > 0 {
                    l.push_str("  ");
                }
                l.push_str(c);
                if i + 1 < widths.len() {
                    l.push_str(&" ".repeat(widths[i].saturating_sub(width(c))));
                }
            }
            out.push_str(l.trim_end());
            out.push('\n');
        };
        line(&mut header.iter().map(String::as_str));
        for r in &self.rows {
            line(&mut r.iter().map(String::as_str));
        }
        out
    }

    pub fn print(&self, ctx: &super::Context) -> Result<(), Failure> {
        ctx.out().write_all(self.render_in(&ctx.tr).as_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned_by_display_width() {
        let mut t = Table::new(&["A", "NAME", "N"]);
        t.row(vec!["x".into(), "微信".into(), "1".into()]);
        t.row(vec!["long".into(), "ab".into(), "22".into()]);
        assert_eq!(t.render(), "A     NAME  N\nx     微信  1\nlong  ab    22\n");
    }

    #[test]
    fn chinese_headers_and_cjk_cells_stay_aligned_by_display_width() {
        let mut t = Table::new(&["USERNAME", "STATE", "IP"]);
        t.row(vec!["张三丰".into(), "active".into(), "203.0.113.9".into()]);
        t.row(vec!["bob".into(), "revoked".into(), "-".into()]);
        let zh = Lang::ZhCn.tr();
        assert_eq!(
            t.render_in(&zh),
            "用户名  状态     IP\n张三丰  active   203.0.113.9\nbob     revoked  -\n"
        );
    }
}
