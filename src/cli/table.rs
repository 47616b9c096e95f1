//! Plain aligned text tables for people. Cells must already be sanitised (see [`super::cell`]).

use std::io::Write;

use crate::exit::Failure;

pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

/// Columns as a terminal shows them (CJK characters take two cells).
fn width(text: &str) -> usize {
    ratatui::text::Span::raw(text).width()
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
        let mut widths: Vec<usize> = self.header.iter().map(|h| width(h)).collect();
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
        line(&mut self.header.iter().copied());
        for r in &self.rows {
            line(&mut r.iter().map(String::as_str));
        }
        out
    }

    pub fn print(&self, ctx: &super::Context) -> Result<(), Failure> {
        ctx.out().write_all(self.render().as_bytes())?;
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
}
