//! A sliding window over a keyset-paginated list (newest first) of any size.
//!
//! The window holds at most [`CAP`] rows. Moving near its end fetches the next older page and
//! drops rows from the far end; moving near its start fetches the next newer page. Memory is
//! bounded by `CAP`, however long the table. `g` / `G` load the newest / oldest page directly.
//! A live refresh reloads the rows around the selected one and puts the cursor back on it.
//!
//! The window never talks to the database: it says which [`Load`] it needs, the app runs it on
//! a task, and the result comes back through [`Window::apply`].

use std::collections::VecDeque;

use super::action::Action;
use crate::store::{AuditEntry, Cursor, Page, SessionRow};

/// Rows per fetch.
pub const PAGE: usize = 100;
/// Most rows held at once.
pub const CAP: usize = 5 * PAGE;
/// Fetch ahead when the selection is this close to an edge of the window.
pub const AHEAD: usize = 40;

/// A row of a keyset list: its sort key and a stable identity.
pub trait Keyed {
    fn key(&self) -> Cursor;
    fn ident(&self) -> String;
}

impl Keyed for SessionRow {
    fn key(&self) -> Cursor {
        self.cursor()
    }
    fn ident(&self) -> String {
        self.public_id.clone()
    }
}

impl Keyed for AuditEntry {
    fn key(&self) -> Cursor {
        self.cursor()
    }
    fn ident(&self) -> String {
        self.id.to_string()
    }
}

/// A movement of the cursor of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    By(isize),
    Top,
    Bottom,
}

impl Move {
    /// The movement `action` means, for a list showing `page` rows at once.
    pub fn of(action: Action, page: usize) -> Option<Move> {
        let page = page as isize;
        match action {
            Action::Up => Some(Move::By(-1)),
            Action::Down => Some(Move::By(1)),
            Action::PageUp => Some(Move::By(-page)),
            Action::PageDown => Some(Move::By(page)),
            Action::Top => Some(Move::Top),
            Action::Bottom => Some(Move::Bottom),
            _ => None,
        }
    }
}

/// The cursor of a list held whole (search results, an account's bindings, this run's
/// exchanges).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    pub selected: usize,
    /// First row shown (the draw keeps the selection visible whatever this says).
    pub offset: usize,
}

impl Selection {
    /// Moves within a list of `len` rows shown `height` at a time.
    pub fn go(&mut self, m: Move, len: usize, height: usize) {
        let last = len.saturating_sub(1);
        match m {
            Move::By(delta) => self.selected = self.selected.saturating_add_signed(delta).min(last),
            Move::Top => {
                self.selected = 0;
                self.offset = 0;
            }
            Move::Bottom => self.selected = last,
        }
        self.offset = visible_offset(self.offset, self.selected, height);
    }

    /// Keeps the selection inside a list that now has `len` rows.
    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }
}

/// What to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    /// The newest page.
    Top,
    /// The oldest page.
    Bottom,
    /// The page after (older than) this row.
    Older(Cursor),
    /// The rows just before (newer than) this row.
    Newer(Cursor),
    /// A refresh: up to `above` rows newer than the anchor, then a page from the anchor on.
    Around {
        anchor: Cursor,
        ident: String,
        above: usize,
    },
}

/// What a [`Load`] brought back (rows newest first).
#[derive(Debug, Clone)]
pub enum Chunk<T> {
    Top(Page<T>),
    Bottom(Vec<T>),
    Older(Page<T>),
    Newer(Vec<T>),
    Around { above: Vec<T>, below: Page<T> },
}

/// Cursor that makes a `< cursor` keyset query include the row at `c` itself.
pub fn inclusive(c: Cursor) -> Cursor {
    Cursor {
        at: c.at,
        id: c.id.saturating_add(1),
    }
}

#[derive(Debug, Clone)]
pub struct Window<T> {
    pub rows: VecDeque<T>,
    pub selected: usize,
    /// First row shown (the draw keeps the selection visible whatever this says).
    pub offset: usize,
    /// The window holds the newest row of the list.
    pub at_top: bool,
    /// The window holds the oldest row of the list.
    pub at_bottom: bool,
    /// Position of `rows[0]` in the whole list, when known.
    pub start: Option<u64>,
    /// Rows of the whole list after the window's last row, when known (0 at the bottom).
    pub after: Option<u64>,
    /// The fetch in flight, with the generation it belongs to.
    pub loading: Option<(u64, Load)>,
    /// Bumped whenever the list is replaced (new filter, jump, refresh): results of older
    /// generations are dropped on arrival.
    pub generation: u64,
    /// At least one load has completed (so "no rows" means empty, not "not yet loaded").
    pub loaded: bool,
    pub error: Option<String>,
}

impl<T> Default for Window<T> {
    fn default() -> Self {
        Window {
            rows: VecDeque::new(),
            selected: 0,
            offset: 0,
            at_top: true,
            at_bottom: false,
            start: Some(0),
            after: None,
            loading: None,
            generation: 0,
            loaded: false,
            error: None,
        }
    }
}

impl<T: Keyed> Window<T> {
    pub fn selected_row(&self) -> Option<&T> {
        self.rows.get(self.selected)
    }

    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    /// Starts a load that replaces the list (the caller runs it): bumps the generation so any
    /// fetch in flight is ignored when it lands.
    pub fn begin_replace(&mut self, load: Load) -> (u64, Load) {
        self.generation += 1;
        self.loading = Some((self.generation, load.clone()));
        (self.generation, load)
    }

    /// Forgets everything and starts over from the newest page (a new filter).
    pub fn reset(&mut self) -> (u64, Load) {
        let generation = self.generation;
        *self = Window {
            generation,
            ..Window::default()
        };
        self.begin_replace(Load::Top)
    }

    /// The incremental fetch the selection needs now, if any (none while another is in flight).
    pub fn wanted(&mut self) -> Option<(u64, Load)> {
        if self.loading.is_some() || !self.loaded {
            return None;
        }
        let len = self.rows.len();
        let load = if !self.at_bottom && len > 0 && len - 1 - self.selected.min(len - 1) < AHEAD {
            Load::Older(self.rows[len - 1].key())
        } else if !self.at_top && self.selected < AHEAD {
            match self.rows.front() {
                Some(r) => Load::Newer(r.key()),
                None => return None,
            }
        } else {
            return None;
        };
        self.loading = Some((self.generation, load.clone()));
        Some((self.generation, load))
    }

    /// A refresh that keeps the selection on the same row (or the newest page when empty).
    pub fn refresh(&mut self) -> (u64, Load) {
        match self.selected_row() {
            Some(r) => {
                let load = Load::Around {
                    anchor: r.key(),
                    ident: r.ident(),
                    above: self.selected.clamp(AHEAD, CAP / 2),
                };
                self.begin_replace(load)
            }
            None => self.begin_replace(Load::Top),
        }
    }

    /// Moves the selection in a viewport of `height` rows; returns the fetch that needs (the
    /// next page near an edge, or the newest / oldest page for a jump), for the caller to run.
    pub fn go(&mut self, m: Move, height: usize) -> Option<(u64, Load)> {
        match m {
            Move::By(delta) => {
                self.move_by(delta);
                self.scroll_into_view(height);
                self.wanted()
            }
            Move::Top if self.at_top => {
                self.selected = 0;
                self.offset = 0;
                None
            }
            Move::Top => Some(self.begin_replace(Load::Top)),
            Move::Bottom if self.at_bottom => {
                self.selected = self.rows.len().saturating_sub(1);
                self.scroll_into_view(height);
                None
            }
            Move::Bottom => Some(self.begin_replace(Load::Bottom)),
        }
    }

    /// Moves the selection by `delta` rows within what is loaded.
    pub fn move_by(&mut self, delta: isize) {
        if self.rows.is_empty() {
            self.selected = 0;
            return;
        }
        let max = self.rows.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(max);
    }

    /// Keeps the selection inside a viewport of `height` rows.
    pub fn scroll_into_view(&mut self, height: usize) {
        self.offset = visible_offset(self.offset, self.selected, height);
    }

    /// Applies a finished load. Returns false (and changes nothing) for a stale one.
    pub fn apply(&mut self, generation: u64, chunk: Result<Chunk<T>, String>) -> bool {
        if generation != self.generation {
            return false;
        }
        let load = match self.loading.take() {
            Some((g, l)) if g == generation => l,
            other => {
                self.loading = other;
                return false;
            }
        };
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                self.error = Some(e);
                return true;
            }
        };
        self.error = None;
        self.loaded = true;
        match chunk {
            Chunk::Top(page) => {
                self.rows = page.rows.into();
                self.selected = 0;
                self.offset = 0;
                self.at_top = true;
                self.at_bottom = page.next.is_none();
                self.start = Some(0);
                self.after = self.at_bottom.then_some(0);
            }
            Chunk::Bottom(rows) => {
                self.at_top = rows.len() < PAGE;
                self.rows = rows.into();
                self.selected = self.rows.len().saturating_sub(1);
                // The caller's scroll_into_view puts the last row at the bottom of the screen.
                self.offset = 0;
                self.at_bottom = true;
                self.start = if self.at_top { Some(0) } else { None };
                self.after = Some(0);
            }
            Chunk::Older(page) => {
                self.at_bottom = page.next.is_none();
                let appended = page.rows.len() as u64;
                self.after = if self.at_bottom {
                    Some(0)
                } else {
                    self.after.and_then(|a| a.checked_sub(appended))
                };
                self.rows.extend(page.rows);
                let excess = self.rows.len().saturating_sub(CAP);
                if excess > 0 {
                    self.rows.drain(..excess);
                    self.selected = self.selected.saturating_sub(excess);
                    self.offset = self.offset.saturating_sub(excess);
                    self.at_top = false;
                    self.start = self.start.map(|s| s + excess as u64);
                }
            }
            Chunk::Newer(rows) => {
                let requested = match load {
                    Load::Newer(_) => PAGE,
                    _ => rows.len(),
                };
                self.at_top = rows.len() < requested;
                let n = rows.len();
                for r in rows.into_iter().rev() {
                    self.rows.push_front(r);
                }
                self.selected += n;
                self.offset += n;
                self.start = if self.at_top {
                    Some(0)
                } else {
                    self.start.and_then(|s| s.checked_sub(n as u64))
                };
                if self.rows.len() > CAP {
                    let dropped = (self.rows.len() - CAP) as u64;
                    self.rows.truncate(CAP);
                    self.at_bottom = false;
                    self.after = self.after.map(|a| a + dropped);
                }
            }
            Chunk::Around { above, below } => {
                let (ident, wanted_above) = match &load {
                    Load::Around { ident, above, .. } => (ident.clone(), *above),
                    _ => (String::new(), 0),
                };
                let screen_row = self.selected.saturating_sub(self.offset);
                let was_top_row = self.at_top && self.offset == 0;
                let old_selected_abs = self.start.map(|s| s + self.selected as u64);
                let old_below_selected = self
                    .after
                    .map(|a| a + (self.rows.len().saturating_sub(self.selected + 1)) as u64);
                self.at_top = above.len() < wanted_above;
                self.at_bottom = below.next.is_none();
                let n_above = above.len();
                let mut rows: VecDeque<T> = above.into();
                rows.extend(below.rows);
                rows.truncate(CAP);
                self.rows = rows;
                self.selected = self
                    .rows
                    .iter()
                    .position(|r| r.ident() == ident)
                    .unwrap_or(n_above)
                    .min(self.rows.len().saturating_sub(1));
                self.offset = if was_top_row {
                    0
                } else {
                    self.selected.saturating_sub(screen_row)
                };
                self.start = if self.at_top {
                    Some(0)
                } else {
                    old_selected_abs.and_then(|a| a.checked_sub(self.selected as u64))
                };
                let below_selected = self.rows.len().saturating_sub(self.selected + 1) as u64;
                self.after = if self.at_bottom {
                    Some(0)
                } else {
                    old_below_selected.and_then(|b| b.checked_sub(below_selected))
                };
            }
        }
        if self.selected >= self.rows.len() {
            self.selected = self.rows.len().saturating_sub(1);
        }
        true
    }

    /// `12/3,456`-style position, when known.
    pub fn position(&self, total: Option<u64>) -> Option<(u64, Option<u64>)> {
        if self.rows.is_empty() {
            return None;
        }
        let total = total.or(if self.at_top && self.at_bottom {
            Some(self.rows.len() as u64)
        } else {
            None
        });
        let start = self.start.or_else(|| {
            // Known from the end: total minus the rows after the window and in it.
            let after = self.after?;
            total?.checked_sub(after + self.rows.len() as u64)
        })?;
        Some((start + self.selected as u64 + 1, total))
    }
}

/// The first visible row for a viewport of `height` rows that must show `selected`.
pub fn visible_offset(offset: usize, selected: usize, height: usize) -> usize {
    let height = height.max(1);
    if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Ts;

    #[derive(Debug, Clone, PartialEq)]
    struct R(i64);
    impl Keyed for R {
        fn key(&self) -> Cursor {
            Cursor {
                at: Ts::from_micros(self.0).unwrap(),
                id: self.0,
            }
        }
        fn ident(&self) -> String {
            self.0.to_string()
        }
    }

    /// A list of `n` rows, newest (highest) first, and a fake fetch over it.
    fn fetch(n: i64, load: &Load) -> Chunk<R> {
        let all: Vec<R> = (1..=n).rev().map(R).collect();
        let page = |from: usize, lim: usize| {
            let rows: Vec<R> = all.iter().skip(from).take(lim).cloned().collect();
            let next = if from + lim < all.len() {
                rows.last().map(Keyed::key)
            } else {
                None
            };
            Page { rows, next }
        };
        let pos = |c: &Cursor| all.iter().position(|r| r.0 == c.id).unwrap();
        match load {
            Load::Top => Chunk::Top(page(0, PAGE)),
            Load::Bottom => Chunk::Bottom(all[all.len().saturating_sub(PAGE)..].to_vec()),
            Load::Older(c) => Chunk::Older(page(pos(c) + 1, PAGE)),
            Load::Newer(c) => {
                let p = pos(c);
                Chunk::Newer(all[p.saturating_sub(PAGE)..p].to_vec())
            }
            Load::Around { anchor, above, .. } => {
                let p = pos(anchor);
                Chunk::Around {
                    above: all[p.saturating_sub(*above)..p].to_vec(),
                    below: page(p, PAGE),
                }
            }
        }
    }

    fn drive(w: &mut Window<R>, n: i64) {
        while let Some((g, l)) = w.wanted() {
            let c = fetch(n, &l);
            assert!(w.apply(g, Ok(c)));
        }
    }

    #[test]
    fn scrolling_the_whole_list_keeps_memory_bounded_and_visits_every_row_once() {
        let n = 2_345;
        let mut w = Window::default();
        let (g, l) = w.reset();
        w.apply(g, Ok(fetch(n, &l)));
        let mut seen = vec![false; n as usize + 1];
        let mut last = i64::MAX;
        loop {
            drive(&mut w, n);
            assert!(w.rows.len() <= CAP);
            let cur = w.selected_row().unwrap().0;
            assert!(cur < last, "strictly older each step");
            last = cur;
            seen[cur as usize] = true;
            assert_eq!(w.position(Some(n as u64)).unwrap().0, (n - cur + 1) as u64);
            if w.at_bottom && w.selected + 1 == w.rows.len() {
                break;
            }
            w.move_by(1);
        }
        assert!(seen[1..].iter().all(|s| *s));
        // And back up again to the newest row.
        loop {
            drive(&mut w, n);
            assert!(w.rows.len() <= CAP);
            if w.selected == 0 && w.at_top {
                break;
            }
            w.move_by(-1);
        }
        assert_eq!(w.selected_row(), Some(&R(n)));
    }

    #[test]
    fn bottom_then_refresh_keeps_the_selected_row() {
        let n = 1_000;
        let mut w = Window::default();
        let (g, l) = w.begin_replace(Load::Bottom);
        w.apply(g, Ok(fetch(n, &l)));
        assert_eq!(w.selected_row(), Some(&R(1)));
        w.move_by(-10);
        assert_eq!(w.selected_row(), Some(&R(11)));
        let (g, l) = w.refresh();
        w.apply(g, Ok(fetch(n, &l)));
        assert_eq!(w.selected_row(), Some(&R(11)));
    }

    #[test]
    fn stale_results_are_ignored() {
        let mut w: Window<R> = Window::default();
        let (g1, l1) = w.reset();
        let (g2, l2) = w.reset();
        assert!(!w.apply(g1, Ok(fetch(10, &l1))));
        assert!(w.apply(g2, Ok(fetch(10, &l2))));
        assert_eq!(w.rows.len(), 10);
        assert!(w.at_top && w.at_bottom);
    }
}
