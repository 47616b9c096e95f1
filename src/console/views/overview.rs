//! The Overview view: the fleet at a glance, from what every `wxlogin serve` writes to the
//! database (see [`crate::store::stats`]): live sessions, logins, failures and operators'
//! revocations per minute over the last hour, the outcome mix of the last 15 minutes with what
//! each WeChat errcode means and what to do, the instances, and the client addresses with the most failed logins (whose
//! sessions can be shown, or revoked through the confirmation dialog).
//!
//! Everything is loaded by one background task, again on every live refresh; the render loop
//! only draws the last result. Status is never told by colour alone: every line has its
//! numbers and words.

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Component;
use crate::console::action::Action;
use crate::console::confirm::{Operation, Request};
use crate::console::effect::{Cx, Effect, Goto};
use crate::console::input::TextInput;
use crate::console::keymap::{Scope, key};
use crate::console::prompt::PromptKind;
use crate::console::theme::Theme;
use crate::console::widgets::{self, Paint};
use crate::i18n::Tr;
use crate::present::state::{instance_state, instance_state_name};
use crate::store::stats::{
    FailingAddress, InstanceRow, LiveSessions, LoginBucket, RevocationBucket,
};
use crate::store::{PurgeBacklog, PurgeStatus, SessionFilter, Store, StoreError, Ts};
use crate::tr;
use crate::wechat::{ApiError, WechatError};

/// Minutes of history the sparklines show.
pub const HISTORY_MINUTES: i64 = 60;
/// Minutes the outcome mix and the failing addresses cover.
pub const RECENT_MINUTES: i64 = 15;
/// Failing addresses listed.
pub const ADDRESSES: i64 = 10;
/// Instances listed.
const INSTANCES: i64 = 50;
/// Appids with their own sparkline (the busiest first).
const APP_LINES: usize = 4;

pub use crate::present::SparkStyle;

/// What one load read.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// "Now" when it was read (the end of the sparklines).
    pub at: Ts,
    pub live: LiveSessions,
    pub buckets: Vec<LoginBucket>,
    /// Sessions revoked by operators per minute over the same hour.
    pub revocations: Vec<RevocationBucket>,
    pub addresses: Vec<FailingAddress>,
    pub instances: Vec<InstanceRow>,
    /// The last session purge, and the purgeable backlog at its window (an estimate).
    pub purge: PurgeStatus,
    pub backlog: Option<(Ts, PurgeBacklog)>,
}

/// Results of the view's background work.
#[derive(Debug)]
pub enum Msg {
    Loaded {
        generation: u64,
        result: Box<Result<Snapshot, StoreError>>,
    },
}

#[derive(Debug, Default)]
pub struct OverviewView {
    pub data: Option<Snapshot>,
    /// The last load's error, while it is the latest word.
    pub error: Option<String>,
    /// The failing address selected (index into the snapshot's addresses).
    pub selected: usize,
    pub spark: SparkStyle,
    loading: bool,
    generation: u64,
}

const MINUTE_US: i64 = 60_000_000;

/// One refresh: every store call the view makes, in order (the bench times this).
pub async fn load(store: Store, now: Ts) -> Result<Snapshot, StoreError> {
    let back = |mins: i64| Ts::from_micros(now.micros() - mins * MINUTE_US).unwrap_or(now);
    let since_hour = crate::store::stats::minute_of(back(HISTORY_MINUTES - 1));
    let since_recent = crate::store::stats::minute_of(back(RECENT_MINUTES - 1));
    let live = store.live_sessions().await?;
    let buckets = store.login_buckets(since_hour).await?;
    let revocations = store.revocations_by_minute(since_hour).await?;
    let addresses = store.failing_addresses(since_recent, ADDRESSES).await?;
    let instances = store.service_instances(back(24 * 60), INSTANCES).await?;
    let purge = store.purge_status().await?;
    let cutoff = backlog_cutoff(&purge, now);
    let backlog = Some((cutoff, store.estimate_purgeable(cutoff).await?));
    Ok(Snapshot {
        at: now,
        live,
        buckets,
        revocations,
        addresses,
        instances,
        purge,
        backlog,
    })
}

/// The backlog is counted at the window of the last purge (its cutoff's distance from when it
/// ended, in whole days), else at the service's default window.
fn backlog_cutoff(purge: &PurgeStatus, now: Ts) -> Ts {
    let days = match (purge.last_finished_at, purge.last_cutoff) {
        (Some(at), Some(cutoff)) => ((at.0 - cutoff.0).num_hours() as f64 / 24.0).round() as i64,
        _ => crate::service::retention::DEFAULT_SESSIONS_AFTER_DAYS as i64,
    };
    Ts::from(now.0 - chrono::Duration::days(days.max(1)))
}

impl OverviewView {
    pub fn new(spark: SparkStyle) -> Self {
        OverviewView {
            spark,
            ..Default::default()
        }
    }

    /// Starts a load unless one is in flight.
    pub fn reload(&mut self, cx: &mut Cx) {
        if self.loading {
            return;
        }
        self.loading = true;
        self.generation += 1;
        let generation = self.generation;
        let store = cx.store.clone();
        let now = cx.now;
        cx.spawn(async move {
            Msg::Loaded {
                generation,
                result: Box::new(load(store, now).await),
            }
        });
    }

    pub fn apply(&mut self, msg: Msg, cx: &mut Cx) {
        match msg {
            Msg::Loaded { generation, result } => {
                if generation != self.generation {
                    return;
                }
                self.loading = false;
                match *result {
                    Ok(s) => {
                        self.selected = self.selected.min(s.addresses.len().saturating_sub(1));
                        self.data = Some(s);
                        self.error = None;
                    }
                    Err(e) => {
                        let what = tr!(cx.tr, "console-overview-load-failed");
                        self.error = Some(cx.store_error(&what, &e))
                    }
                }
            }
        }
    }

    pub fn selected_address(&self) -> Option<&FailingAddress> {
        self.data.as_ref()?.addresses.get(self.selected)
    }

    fn address_filter(address: &str) -> SessionFilter {
        SessionFilter {
            client_ip: Some(address.to_owned()),
            ..Default::default()
        }
    }

    fn revoke_from_address(&self, cx: &mut Cx) {
        let Some(a) = self.selected_address() else {
            return cx.info(tr!(cx.tr, "console-overview-no-address"));
        };
        let tr = cx.tr;
        cx.push(Effect::Confirm(Request {
            op: Operation::RevokeMatching {
                filter: Self::address_filter(&a.address),
            },
            title: tr!(tr, "console-overview-revoke-title"),
            subject: vec![
                (
                    tr!(tr, "console-overview-field-address"),
                    widgets::clean(&a.address, 64),
                ),
                (
                    tr!(tr, "console-overview-field-failures"),
                    tr!(
                        tr,
                        "console-overview-failures-recent",
                        count = a.count,
                        minutes = RECENT_MINUTES
                    ),
                ),
                (
                    tr!(tr, "console-overview-field-scope"),
                    tr!(tr, "console-overview-scope-address"),
                ),
            ],
            count: None,
            consequence: crate::console::confirm::Consequence::SessionsRevoked,
            verb: Action::RevokeFromAddress.verb(),
        }));
    }
}

impl Component for OverviewView {
    fn handle(&mut self, action: Action, cx: &mut Cx) {
        let n = self.data.as_ref().map_or(0, |d| d.addresses.len());
        match action {
            Action::Down => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Top | Action::PageUp => self.selected = 0,
            Action::Bottom | Action::PageDown => self.selected = n.saturating_sub(1),
            Action::Refresh => {
                self.reload(cx);
                cx.info(tr!(cx.tr, "console-refreshed"));
            }
            Action::JumpToSessions => match self.selected_address() {
                Some(a) => cx.goto(Goto::Sessions(Self::address_filter(&a.address))),
                None => cx.info(tr!(cx.tr, "console-overview-no-address")),
            },
            Action::RevokeFromAddress => self.revoke_from_address(cx),
            // Keys of other scopes never reach this view (the key table is looked up by scope).
            _ => {}
        }
    }

    fn accept(&mut self, _kind: PromptKind, _input: &mut TextInput, _cx: &mut Cx) {}

    fn refresh(&mut self, cx: &mut Cx) {
        self.reload(cx);
    }

    fn live(&mut self, cx: &mut Cx) {
        self.reload(cx);
    }

    fn shown(&mut self, cx: &mut Cx) {
        self.reload(cx);
    }

    fn changed(&mut self, _revoked: &[String], visible: bool, cx: &mut Cx) {
        if visible {
            self.reload(cx);
        }
    }

    fn busy(&self) -> bool {
        self.loading
    }

    fn paste_hint(&self, tr: &Tr) -> String {
        tr!(tr, "console-paste-ignored-overview")
    }

    fn draw(&self, frame: &mut Frame, area: Rect, paint: &Paint) {
        let t = paint.theme;
        let tr = paint.tr;
        let right = self.data.as_ref().map(|d| {
            Line::from(Span::styled(
                format!(
                    " {} ",
                    tr!(tr, "console-overview-as-of", when = widgets::datetime(d.at))
                ),
                t.muted,
            ))
        });
        let block = widgets::view_block(
            t,
            Line::from(Span::styled(
                format!(" {} ", tr!(tr, "console-tab-overview")),
                t.title,
            )),
            right,
        );
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let Some(d) = &self.data else {
            let msg = match &self.error {
                Some(e) => widgets::clean(e, 300),
                None => format!(
                    "{} {}",
                    widgets::spinner(paint.spinner),
                    tr!(tr, "console-loading")
                ),
            };
            return widgets::empty_list(frame, inner, t, &msg);
        };
        let wide = inner.width >= widgets::WIDE;
        // Sixty minutes: 30 braille characters, or 60 blocks where they fit.
        let spark_w = if wide && self.spark == SparkStyle::Blocks {
            60
        } else {
            30
        };
        let mut head = vec![live_line(t, tr, d.live, self.error.as_deref())];
        head.extend(self.spark_lines(t, tr, d, spark_w));
        let addresses = self.address_lines(t, tr, d);
        // Under one column of panels a long meaning takes a second line when the screen has
        // rows to spare; on a short one it ends with `…` so the instances stay in view.
        let meaning_lines = if inner.height >= NARROW_TALL {
            NARROW_MEANING_LINES
        } else {
            1
        };
        let outcomes = outcome_lines(t, tr, d, wide, inner.width as usize, meaning_lines);
        let mut instances = instance_lines(t, tr, d);
        instances.push(Line::from(""));
        instances.extend(retention_lines(t, tr, d));
        if wide {
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .spacing(2)
                    .areas(inner);
            head.push(Line::from(""));
            head.extend(outcomes);
            let mut r = instances;
            r.push(Line::from(""));
            r.extend(addresses);
            let head = widgets::hang_at(head, left.width, OUTCOME_W);
            frame.render_widget(Paragraph::new(head), left);
            frame.render_widget(Paragraph::new(r), right);
        } else {
            let mut all = head;
            all.extend(addresses);
            all.extend(outcomes);
            all.extend(instances);
            frame.render_widget(Paragraph::new(all), inner);
        }
    }
}

// ---- drawing ----------------------------------------------------------------------------------

fn live_line(t: &Theme, tr: &Tr, live: LiveSessions, error: Option<&str>) -> Line<'static> {
    let n = widgets::thousands(live.count.max(0) as u64);
    let mut spans = vec![
        Span::styled(
            widgets::pad_to(&tr!(tr, "console-overview-live"), LABEL_W),
            t.label,
        ),
        if live.exact {
            Span::styled(n, t.value)
        } else {
            Span::styled(tr!(tr, "console-overview-estimate", count = n), t.value)
        },
    ];
    if let Some(e) = error {
        spans.push(Span::styled(
            format!(
                "  {}",
                tr!(
                    tr,
                    "console-overview-refresh-failed",
                    error = widgets::clean(e, 80)
                )
            ),
            t.error,
        ));
    }
    Line::from(spans)
}

/// Cells of a sparkline's label (and of the live-sessions label above them).
const LABEL_W: usize = 20;

/// Outcomes that are a successful login.
fn is_success(outcome: &str) -> bool {
    matches!(outcome, "silent" | "bound")
}

/// Outcomes that are a step of a normal login, not a failure.
fn is_pending(outcome: &str) -> bool {
    outcome == "binding_required"
}

/// Per-minute counts over the last `minutes` minutes ending at `at`'s minute, oldest first.
fn per_minute<'a>(
    buckets: impl Iterator<Item = &'a LoginBucket>,
    at: Ts,
    minutes: usize,
) -> Vec<u64> {
    counts_per_minute(buckets.map(|b| (b.minute, b.count)), at, minutes)
}

/// [`per_minute`] of (minute, count) pairs.
fn counts_per_minute(counts: impl Iterator<Item = (Ts, i64)>, at: Ts, minutes: usize) -> Vec<u64> {
    let end = crate::store::stats::minute_of(at).micros();
    let mut out = vec![0u64; minutes];
    for (minute, count) in counts {
        let age = (end - minute.micros()).div_euclid(MINUTE_US);
        if (0..minutes as i64).contains(&age) {
            let i = minutes - 1 - age as usize;
            out[i] = out[i].saturating_add(count.max(0) as u64);
        }
    }
    out
}

/// A sparkline of `values` (oldest first) in at most `width` characters: the newest values
/// that fit.
pub fn sparkline(values: &[u64], width: usize, style: SparkStyle) -> String {
    let per_char = match style {
        SparkStyle::Braille => 2,
        SparkStyle::Blocks => 1,
    };
    let take = values.len().min(width * per_char);
    let values = &values[values.len() - take..];
    let max = values.iter().copied().max().unwrap_or(0);
    // Height in `levels` steps; any non-zero value shows at least one step.
    let level = |v: u64, levels: u64| -> u64 {
        if v == 0 || max == 0 {
            0
        } else {
            (v * levels).div_ceil(max).clamp(1, levels)
        }
    };
    match style {
        SparkStyle::Blocks => {
            const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
            values.iter().map(|v| BARS[level(*v, 8) as usize]).collect()
        }
        SparkStyle::Braille => {
            // Dots from the bottom up: left column 7,3,2,1; right column 8,6,5,4.
            const LEFT: [u32; 4] = [0x40, 0x04, 0x02, 0x01];
            const RIGHT: [u32; 4] = [0x80, 0x20, 0x10, 0x08];
            let col =
                |v: u64, dots: &[u32; 4]| -> u32 { dots[..level(v, 4) as usize].iter().sum() };
            // An odd count leaves the first character half empty.
            let mut padded: Vec<u64> = Vec::with_capacity(values.len() + 1);
            if values.len() % 2 == 1 {
                padded.push(0);
            }
            padded.extend_from_slice(values);
            padded
                .chunks(2)
                .map(|p| {
                    let bits = col(p[0], &LEFT) + col(p[1], &RIGHT);
                    char::from_u32(0x2800 + bits).unwrap_or(' ')
                })
                .collect()
        }
    }
}

impl OverviewView {
    fn spark_line(
        &self,
        t: &Theme,
        tr: &Tr,
        label: &str,
        values: &[u64],
        width: usize,
    ) -> Line<'static> {
        let now = values.last().copied().unwrap_or(0);
        let max = values.iter().copied().max().unwrap_or(0);
        let total: u64 = values.iter().sum();
        let line = sparkline(values, width, self.spark);
        let pad = width.saturating_sub(line.chars().count());
        Line::from(vec![
            Span::styled(
                widgets::pad_to(
                    &widgets::truncate_to(&widgets::clean(label, 19), 19),
                    LABEL_W,
                ),
                t.label,
            ),
            Span::styled(format!("{line}{}", " ".repeat(pad)), t.value),
            Span::styled(
                format!(
                    " {}",
                    tr!(
                        tr,
                        "console-overview-spark-numbers",
                        now = now,
                        max = max,
                        sum = widgets::thousands(total)
                    )
                ),
                t.muted,
            ),
        ])
    }

    fn spark_lines(&self, t: &Theme, tr: &Tr, d: &Snapshot, width: usize) -> Vec<Line<'static>> {
        let m = HISTORY_MINUTES as usize;
        let ok = per_minute(d.buckets.iter().filter(|b| is_success(&b.outcome)), d.at, m);
        let failed = per_minute(
            d.buckets
                .iter()
                .filter(|b| !is_success(&b.outcome) && !is_pending(&b.outcome)),
            d.at,
            m,
        );
        let mut lines = vec![Line::from(Span::styled(
            tr!(tr, "console-overview-per-minute", minutes = HISTORY_MINUTES),
            t.title,
        ))];
        lines.push(self.spark_line(t, tr, &tr!(tr, "console-overview-logins"), &ok, width));
        // The busiest appids, each with its own line.
        let mut by_app: BTreeMap<&str, u64> = BTreeMap::new();
        for b in d.buckets.iter().filter(|b| is_success(&b.outcome)) {
            *by_app.entry(b.appid.as_str()).or_default() += b.count.max(0) as u64;
        }
        let mut apps: Vec<(&str, u64)> = by_app.into_iter().collect();
        apps.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        if apps.len() > 1 {
            for (appid, _) in apps.iter().take(APP_LINES) {
                let v = per_minute(
                    d.buckets
                        .iter()
                        .filter(|b| b.appid == *appid && is_success(&b.outcome)),
                    d.at,
                    m,
                );
                lines.push(self.spark_line(t, tr, &format!(" {appid}"), &v, width));
            }
        }
        lines.push(self.spark_line(t, tr, &tr!(tr, "console-overview-failures"), &failed, width));
        let revoked = counts_per_minute(d.revocations.iter().map(|r| (r.minute, r.count)), d.at, m);
        lines.push(self.spark_line(
            t,
            tr,
            &tr!(tr, "console-overview-revocations"),
            &revoked,
            width,
        ));
        lines
    }

    fn address_lines(&self, t: &Theme, tr: &Tr, d: &Snapshot) -> Vec<Line<'static>> {
        let mut lines = vec![Line::from(vec![
            Span::styled(
                tr!(tr, "console-overview-addresses", minutes = RECENT_MINUTES),
                t.title,
            ),
            Span::styled(
                format!(
                    "  {}",
                    tr!(
                        tr,
                        "console-overview-address-keys",
                        sessions = key(Scope::Overview, Action::JumpToSessions),
                        revoke = key(Scope::Overview, Action::RevokeFromAddress)
                    )
                ),
                t.muted,
            ),
        ])];
        if d.addresses.is_empty() {
            lines.push(Line::from(Span::styled(
                format!("  {}", tr!(tr, "console-overview-none")),
                t.muted,
            )));
        }
        for (i, a) in d.addresses.iter().enumerate() {
            let sel = i == self.selected;
            lines.push(Line::from(vec![Span::styled(
                format!(
                    "{} {:<40} {}",
                    if sel { '>' } else { ' ' },
                    widgets::clean(&a.address, 40),
                    tr!(
                        tr,
                        "console-overview-address-failed",
                        count = widgets::pad_left_to(&widgets::thousands(a.count.max(0) as u64), 7)
                    )
                ),
                if sel { t.selected } else { t.value },
            )]));
        }
        lines
    }
}

/// What an outcome means and what to do, in `tr`'s language: WeChat errcodes from the errcode
/// table; the outcome names themselves are machine values, shown as they are.
fn explain(tr: &Tr, outcome: &str) -> (String, String) {
    if let Some(code) = outcome
        .strip_prefix("wechat_")
        .and_then(|c| c.parse::<i64>().ok())
    {
        let e = WechatError::from_errcode(code, ApiError::new("", ""));
        let meaning = e.meaning_in(tr);
        return (
            tr!(
                tr,
                "console-overview-errcode",
                code = code,
                meaning = meaning
            ),
            e.action_in(tr),
        );
    }
    let meaning = match outcome {
        "silent" => tr!(tr, "console-outcome-silent"),
        "bound" => tr!(tr, "console-outcome-bound"),
        "binding_required" => tr!(tr, "console-outcome-binding-required"),
        "binding_conflict" => tr!(tr, "console-outcome-binding-conflict"),
        "binding_limit" => tr!(tr, "console-outcome-binding-limit"),
        "invalid_credentials" => tr!(tr, "console-outcome-invalid-credentials"),
        "account_locked" => tr!(tr, "console-outcome-account-locked"),
        "account_disabled" => tr!(tr, "console-outcome-account-disabled"),
        "rate_limited" => tr!(tr, "console-outcome-rate-limited"),
        "bad_request" => tr!(tr, "console-outcome-bad-request"),
        "wechat_other" => tr!(tr, "console-outcome-wechat-other"),
        "wechat_unreachable" => tr!(tr, "console-outcome-wechat-unreachable"),
        "error" => tr!(tr, "console-outcome-error"),
        _ => tr!(tr, "console-outcome-unknown"),
    };
    let action = match outcome {
        "account_locked" => tr!(tr, "console-outcome-do-account-locked"),
        "rate_limited" | "invalid_credentials" => tr!(tr, "console-outcome-do-look-at-address"),
        "wechat_unreachable" => tr!(tr, "console-outcome-do-wechat-unreachable"),
        "error" => tr!(tr, "console-outcome-do-error"),
        _ => String::new(),
    };
    (meaning, action)
}

/// Width of an outcome line's count and name.
const OUTCOME_W: usize = 29;

/// Lines a meaning takes under one column of panels (narrow screens) with at least
/// [`NARROW_TALL`] rows inside the frame: the rest hangs under the first line, and a meaning
/// longer still ends with `…`.
const NARROW_MEANING_LINES: usize = 2;

/// Rows inside the frame from which a narrow screen gives a long meaning its second line.
const NARROW_TALL: u16 = 22;

/// `text` in at most `lines` pieces of at most `max` cells each, broken at a space where one
/// is near the end of the piece, else between two characters but not inside a Latin word or
/// number (`code`, `40029`), never inside a wide character; the last piece ends with `…` when
/// the text does not fit.
fn fit_lines(text: &str, max: usize, lines: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() && out.len() < lines && max > 1 {
        if widgets::width(rest) <= max {
            out.push(rest.to_owned());
            return out;
        }
        let last = out.len() + 1 == lines;
        let room = if last { max - 1 } else { max };
        // The longest head within `room` cells.
        let mut used = 0;
        let mut end = 0;
        for (i, c) in rest.char_indices() {
            let w = widgets::width(c.encode_utf8(&mut [0; 4]));
            if used + w > room {
                break;
            }
            used += w;
            end = i + c.len_utf8();
        }
        if last {
            out.push(format!("{}…", rest[..end].trim_end()));
            return out;
        }
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let mut cut = end;
        let next = rest[end..].chars().next();
        if next.is_some_and(word) {
            // Back to the start of the Latin word or number the cut would split.
            let start = rest[..end]
                .char_indices()
                .rev()
                .take_while(|(_, c)| word(*c))
                .last()
                .map_or(end, |(i, _)| i);
            if start > 0 {
                cut = start;
            }
        }
        // A space near the end is a better place than between two characters.
        if let Some(sp) = rest[..cut].rfind(' ')
            && widgets::width(&rest[sp..cut]) <= 12
            && sp > 0
        {
            cut = sp;
        }
        out.push(rest[..cut].trim_end().to_owned());
        rest = rest[cut..].trim_start();
    }
    out
}

fn outcome_lines(
    t: &Theme,
    tr: &Tr,
    d: &Snapshot,
    wide: bool,
    width: usize,
    meaning_lines: usize,
) -> Vec<Line<'static>> {
    let since = crate::store::stats::minute_of(
        Ts::from_micros(d.at.micros() - (RECENT_MINUTES - 1) * MINUTE_US).unwrap_or(d.at),
    );
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for b in d.buckets.iter().filter(|b| b.minute >= since) {
        *totals.entry(b.outcome.as_str()).or_default() += b.count.max(0) as u64;
    }
    let mut totals: Vec<(&str, u64)> = totals.into_iter().filter(|(_, n)| *n > 0).collect();
    totals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut lines = vec![Line::from(Span::styled(
        tr!(tr, "console-overview-outcomes", minutes = RECENT_MINUTES),
        t.title,
    ))];
    if totals.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("  {}", tr!(tr, "console-overview-no-login")),
            t.muted,
        )));
    }
    for (outcome, n) in totals {
        let style = if is_success(outcome) || is_pending(outcome) {
            t.value
        } else {
            t.warn
        };
        let (meaning, action) = explain(tr, outcome);
        let head = Span::styled(
            format!(
                "{:>7} {:<20} ",
                widgets::thousands(n),
                widgets::clean(outcome, 20)
            ),
            style,
        );
        if wide {
            // Two spans, the first OUTCOME_W wide: long texts hang under the meaning (the
            // caller's hang_at).
            lines.push(Line::from(vec![head, Span::styled(meaning, t.muted)]));
        } else {
            // One column of panels: a meaning longer than the line (an errcode's) hangs under
            // itself instead of being cut at the border (or ends with `…`).
            let pieces = fit_lines(&meaning, width.saturating_sub(OUTCOME_W), meaning_lines);
            for (i, piece) in pieces.into_iter().enumerate() {
                let first = if i == 0 {
                    head.clone()
                } else {
                    Span::raw(" ".repeat(OUTCOME_W))
                };
                lines.push(Line::from(vec![first, Span::styled(piece, t.muted)]));
            }
        }
        if wide && !action.is_empty() {
            lines.push(Line::from(vec![
                Span::raw(" ".repeat(OUTCOME_W)),
                Span::styled(format!("→ {action}"), t.muted),
            ]));
        }
    }
    lines
}

fn instance_lines(t: &Theme, tr: &Tr, d: &Snapshot) -> Vec<Line<'static>> {
    let states: Vec<&str> = d
        .instances
        .iter()
        .map(|i| instance_state(i, d.at))
        .collect();
    let count = |s: &str| states.iter().filter(|x| **x == s).count();
    let mut lines = vec![Line::from(Span::styled(
        tr!(
            tr,
            "console-overview-instances",
            up = count("up"),
            stale = count("stale"),
            stopped = count("stopped")
        ),
        t.title,
    ))];
    for (i, state) in d.instances.iter().zip(&states) {
        let style = match *state {
            "up" => t.ok,
            "stale" => t.error,
            _ => t.muted,
        };
        let label = instance_state_name(tr, state);
        lines.push(Line::from(vec![
            Span::styled(format!("  {}", widgets::pad_to(&label, 8)), style),
            Span::styled(
                format!(
                    "{:<28} {:<10} {}",
                    widgets::clean(&format!("{} pid {}", i.host, i.pid), 28),
                    widgets::clean(&i.version, 10),
                    tr!(
                        tr,
                        "console-overview-seen",
                        when = widgets::relative(tr, d.at, i.last_seen_at)
                    )
                ),
                t.value,
            ),
        ]));
    }
    lines
}

/// Retention: the last session purge (when, how many, how long, by whom, next due) and the
/// purgeable backlog, labelled as the estimate it is. Every English word of these lines is in
/// the one format string of each line.
fn retention_lines(t: &Theme, tr: &Tr, d: &Snapshot) -> Vec<Line<'static>> {
    let p = &d.purge;
    let when = |ts: Option<Ts>| ts.map_or("-".to_owned(), |ts| widgets::relative(tr, d.at, ts));
    let last = match (p.last_finished_at, p.last_removed, p.last_duration_ms) {
        (Some(at), Some(n), Some(ms)) => tr!(
            tr,
            "console-retention-last",
            when = when(Some(at)),
            n = n,
            count = widgets::thousands(n),
            secs = format!("{:.1}", ms as f64 / 1000.0),
            by = widgets::clean_opt(&p.last_by, 24),
            next = when(p.next_due_at)
        ),
        _ => tr!(tr, "console-retention-never"),
    };
    let mut lines = vec![
        Line::from(Span::styled(tr!(tr, "console-retention-title"), t.title)),
        Line::from(Span::styled(format!("  {last}"), t.value)),
    ];
    if let Some(holder) = &p.running {
        let holder = widgets::clean(holder, 40);
        lines.push(Line::from(Span::styled(
            format!(
                "  {}",
                tr!(tr, "console-retention-running", holder = holder)
            ),
            t.ok,
        )));
    }
    if let Some((cutoff, b)) = d.backlog {
        let count = format!(
            "{}{}",
            widgets::thousands(b.sessions),
            if b.capped { "+" } else { "" }
        );
        let date = cutoff.0.format("%Y-%m-%d").to_string();
        lines.push(Line::from(Span::styled(
            format!(
                "  {}",
                tr!(tr, "console-retention-backlog", count = count, date = date)
            ),
            t.value,
        )));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_sparkline_scales_to_the_largest_value_and_keeps_small_ones_visible() {
        assert_eq!(sparkline(&[0, 1, 4, 8], 10, SparkStyle::Blocks), " ▁▄█");
        assert_eq!(sparkline(&[0, 0], 10, SparkStyle::Blocks), "  ");
    }

    #[test]
    fn braille_sparkline_packs_two_minutes_per_character_and_keeps_the_newest() {
        // 0 and max: only the right column, full height.
        assert_eq!(sparkline(&[0, 4], 10, SparkStyle::Braille), "\u{28B8}");
        // Five values, two characters: the newest four are kept.
        let s = sparkline(&[9, 0, 0, 0, 4], 2, SparkStyle::Braille);
        assert_eq!(s.chars().count(), 2);
        assert_eq!(s, "\u{2800}\u{28B8}");
    }

    #[test]
    fn a_long_meaning_fits_in_two_lines_without_splitting_a_word_or_a_wide_character() {
        let zh = "错误码 40029：不合法或已过期的code（js_code无效）：code 错误、超过 5 分钟，或属于另一个小程序";
        for max in [20, 49, 89] {
            let pieces = fit_lines(zh, max, 2);
            assert!(pieces.len() <= 2, "{pieces:?}");
            for p in &pieces {
                assert!(widgets::width(p) <= max, "{max}: {p:?}");
                assert!(!p.starts_with('e') && !p.ends_with("cod"), "{max}: {p:?}");
            }
        }
        // Wide enough for two lines: nothing is lost.
        let whole = fit_lines(zh, 89, 2).concat();
        assert_eq!(whole.replace(' ', ""), zh.replace(' ', ""));
        // Too narrow: the end says so.
        assert!(fit_lines(zh, 20, 2)[1].ends_with('…'));
        assert_eq!(fit_lines("short", 20, 2), vec!["short".to_owned()]);
    }

    #[test]
    fn unknown_outcomes_are_explained_as_other_and_errcodes_from_the_table() {
        assert!(
            explain(&Tr::default(), "wechat_40029")
                .0
                .starts_with("errcode 40029: WeChat rejected")
        );
        assert!(explain(&Tr::default(), "other").0.contains("other"));
    }
}
