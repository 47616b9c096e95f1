//! What the two keyset lists (Sessions and Audit) share: the filter, the sliding
//! [`Window`] over the rows and the detail pane's flag; the background fetch of a page in any
//! direction; movement, jumps, Enter and the `/` prompt; and the drawing of the table.

use std::future::Future;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use crate::console::action::Action;
use crate::console::effect::Cx;
use crate::console::input::TextInput;
use crate::console::prompt::{Prompt, PromptKind};
use crate::console::tasks::Msg;
use crate::console::widgets::{self, Col, Paint, WIDE};
use crate::console::window::{Chunk, Keyed, Load, Move, PAGE, Window, inclusive};
use crate::store::{Cursor, Page, Store, StoreError};

/// A filter over a keyset-paginated table, newest first.
pub trait Source: Clone + Default + PartialEq + Send + Sync + 'static {
    type Row: Keyed + Send + 'static;

    /// Up to `limit` rows older than `after` (or the newest ones).
    fn older(
        &self,
        store: &Store,
        after: Option<Cursor>,
        limit: i64,
    ) -> impl Future<Output = Result<Page<Self::Row>, StoreError>> + Send;

    /// Up to `limit` rows just newer than `before` (or the oldest ones), newest first.
    fn newer(
        &self,
        store: &Store,
        before: Option<Cursor>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Self::Row>, StoreError>> + Send;

    /// The message a fetched chunk comes back as.
    fn loaded(generation: u64, result: Result<Chunk<Self::Row>, StoreError>) -> Msg;

    /// The filter as the words that parse back into it (what `/` opens with).
    fn format(&self) -> String;

    /// What the list holds, in "cannot load …" ("sessions", "the audit log"): a catalogue id.
    const NOUN: &'static str;
    /// The `/` prompt's label.
    const PROMPT: &'static str;
}

/// Implements [`Source`] for a filter over a table's two keyset queries in the store; the
/// invoking module's `Msg::Page` carries the chunks back.
macro_rules! keyset_source {
    (
        $filter:ty => $row:ty,
        older: $older:ident,
        newer: $newer:ident,
        format: $format:path,
        noun: $noun:literal,
        prompt: $prompt:literal $(,)?
    ) => {
        impl $crate::console::views::list::Source for $filter {
            type Row = $row;
            const NOUN: &'static str = $noun;
            const PROMPT: &'static str = $prompt;

            fn older(
                &self,
                store: &$crate::store::Store,
                after: Option<$crate::store::Cursor>,
                limit: i64,
            ) -> impl Future<Output = Result<$crate::store::Page<$row>, $crate::store::StoreError>>
            + Send {
                store.$older(self, after, limit)
            }

            fn newer(
                &self,
                store: &$crate::store::Store,
                before: Option<$crate::store::Cursor>,
                limit: i64,
            ) -> impl Future<Output = Result<Vec<$row>, $crate::store::StoreError>> + Send {
                store.$newer(self, before, limit)
            }

            fn loaded(
                generation: u64,
                result: Result<$crate::console::window::Chunk<$row>, $crate::store::StoreError>,
            ) -> $crate::console::tasks::Msg {
                Msg::Page { generation, result }.into()
            }

            fn format(&self) -> String {
                $format(self)
            }
        }
    };
}
pub(crate) use keyset_source;

/// Fetches what `load` asks for.
pub async fn fetch<S: Source>(
    store: &Store,
    filter: &S,
    load: &Load,
) -> Result<Chunk<S::Row>, StoreError> {
    let page = PAGE as i64;
    Ok(match load {
        Load::Top => Chunk::Top(filter.older(store, None, page).await?),
        Load::Bottom => Chunk::Bottom(filter.newer(store, None, page).await?),
        Load::Older(c) => Chunk::Older(filter.older(store, Some(*c), page).await?),
        Load::Newer(c) => Chunk::Newer(filter.newer(store, Some(*c), page).await?),
        Load::Around { anchor, above, .. } => Chunk::Around {
            above: filter.newer(store, Some(*anchor), *above as i64).await?,
            below: filter.older(store, Some(inclusive(*anchor)), page).await?,
        },
    })
}

#[derive(Debug)]
pub struct KeysetList<S: Source> {
    pub filter: S,
    pub window: Window<S::Row>,
    /// The detail pane is open.
    pub detail: bool,
}

impl<S: Source> Default for KeysetList<S> {
    fn default() -> Self {
        KeysetList {
            filter: S::default(),
            window: Window::default(),
            detail: false,
        }
    }
}

impl<S: Source> KeysetList<S> {
    /// Starts over from the newest page (a new filter, start-up).
    pub fn reload(&mut self, cx: &mut Cx) {
        let (generation, load) = self.window.reset();
        self.spawn(generation, load, cx);
    }

    /// Reloads around the selected row, keeping the cursor on it.
    pub fn refresh(&mut self, cx: &mut Cx) {
        let (generation, load) = self.window.refresh();
        self.spawn(generation, load, cx);
    }

    /// A new filter: closes the detail and starts over.
    pub fn set_filter(&mut self, filter: S, cx: &mut Cx) {
        self.filter = filter;
        self.detail = false;
        self.reload(cx);
    }

    fn spawn(&self, generation: u64, load: Load, cx: &mut Cx) {
        let store = cx.store.clone();
        let filter = self.filter.clone();
        cx.spawn(async move { S::loaded(generation, fetch(&store, &filter, &load).await) });
    }

    fn spawn_wanted(&self, wanted: Option<(u64, Load)>, cx: &mut Cx) {
        if let Some((generation, load)) = wanted {
            self.spawn(generation, load, cx);
        }
    }

    /// A fetched chunk; true when it was current (not superseded by a newer load).
    pub fn apply(
        &mut self,
        generation: u64,
        result: Result<Chunk<S::Row>, StoreError>,
        cx: &mut Cx,
    ) -> bool {
        let what = crate::tr!(cx.tr, "console-cannot-load", what = cx.tr.message(S::NOUN));
        let result = result.map_err(|e| cx.store_error(&what, &e));
        if !self.window.apply(generation, result) {
            return false;
        }
        self.window.scroll_into_view(cx.list_height);
        let wanted = self.window.wanted();
        self.spawn_wanted(wanted, cx);
        true
    }

    /// Movement, jumps, Enter (the detail) and `/`: true when `action` was one of them.
    pub fn navigate(&mut self, action: Action, cx: &mut Cx) -> bool {
        if let Some(m) = Move::of(action, cx.list_height) {
            let wanted = self.window.go(m, cx.list_height);
            self.spawn_wanted(wanted, cx);
            return true;
        }
        match action {
            Action::Open => {
                if self.window.selected_row().is_some() {
                    self.detail = true;
                }
                true
            }
            Action::Filter => {
                let mut text = self.filter.format();
                if !text.is_empty() {
                    text.push(' ');
                }
                cx.prompt(Prompt::new(
                    PromptKind::Filter,
                    cx.tr.message(S::PROMPT),
                    TextInput::with_value(text),
                ));
                true
            }
            _ => false,
        }
    }

    /// The table, with the detail pane of the selected row when it is open.
    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        table: impl FnOnce(&mut Frame, Rect),
        detail: impl FnOnce(&mut Frame, Rect),
    ) {
        let show_detail = self.detail && self.window.selected_row().is_some();
        widgets::list_and_detail(frame, area, show_detail, table, detail);
    }

    /// The table in its box: `title` on the left, the position on the right, `empty` when
    /// there are no rows.
    #[allow(clippy::too_many_arguments)]
    pub fn draw_table<F: Copy>(
        &self,
        frame: &mut Frame,
        area: Rect,
        paint: &Paint,
        title: Line<'static>,
        total: Option<u64>,
        empty: impl FnOnce() -> String,
        columns: impl FnOnce(bool) -> Vec<(Col, F)>,
        style: impl Fn(usize, &S::Row) -> Style,
        cell: impl Fn(&S::Row, F, u16, bool) -> Cell<'static>,
    ) {
        let t = paint.theme;
        let w = &self.window;
        let pos = widgets::position_text(w.position(total), w.is_loading());
        let block = widgets::view_block(t, title, Some(Line::from(Span::styled(pos, t.label))));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if w.rows.is_empty() {
            let msg = if let Some(e) = &w.error {
                crate::tr!(
                    paint.tr,
                    "console-could-not-load",
                    what = paint.tr.message(S::NOUN),
                    error = widgets::clean(e, 200)
                )
            } else {
                empty()
            };
            widgets::empty_list(frame, inner, t, &msg);
            return;
        }
        let wide = inner.width >= WIDE - 2;
        let cols = columns(wide);
        let table = widgets::table(
            paint,
            inner,
            &cols,
            &w.rows,
            w.selected,
            w.offset,
            style,
            |r, f, width| cell(r, f, width, wide),
        );
        frame.render_widget(table, inner);
    }
}
