//! The Exchange view: paste a login code (or mint one from the emulator), run code2Session
//! against the configured WeChat API, and see the openid, unionid, the session_key masked, the
//! latency, or the errcode with its meaning and what to do; then whether that openid is bound.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use crate::console::action::Action;
use crate::console::app::{App, PromptKind, View};
use crate::console::filter::BindingSearch;
use crate::console::input::TextInput;
use crate::console::tasks::Msg;
use crate::console::ui::{self, WIDE};
use crate::console::window::visible_offset;
use crate::mock_wechat as emulator;
use crate::secret::Secret;
use crate::store::{BindingQuery, BindingView, StoreError, Ts};
use crate::wechat::{WechatClient, WechatConfig};

/// Exchanges kept in this run's history.
const HISTORY: usize = 200;

/// What the Exchange view can use: the configured apps and the client.
#[derive(Default)]
pub struct ExchangeSetup {
    pub client: Option<WechatClient>,
    /// (appid, display name).
    pub apps: Vec<(String, Option<String>)>,
    /// Where code2Session goes (shown; never with a secret in it).
    pub base_url: String,
    /// The base URL is the built-in emulator on loopback: test codes can be minted.
    pub emulator: bool,
    /// Why exchanges are unavailable (no app configured, bad config), if so.
    pub unavailable: Option<String>,
}

impl ExchangeSetup {
    /// From the environment and the config file (see [`WechatConfig::resolve`]). A problem
    /// there disables the Exchange view with the reason, not the whole console.
    pub fn from_config(file: &crate::config::ConfigFile) -> Self {
        match WechatConfig::resolve(file) {
            Ok(cfg) => Self::from_wechat(cfg),
            Err(e) => ExchangeSetup {
                unavailable: Some(format!("WeChat is not configured: {e}")),
                ..Default::default()
            },
        }
    }

    pub fn from_wechat(cfg: WechatConfig) -> Self {
        let apps = cfg
            .apps
            .iter()
            .map(|a| (a.appid.clone(), a.name.clone()))
            .collect::<Vec<_>>();
        let base_url = cfg.base_url.clone();
        let emulator = is_loopback(&base_url);
        let mut setup = ExchangeSetup {
            apps,
            base_url,
            emulator,
            ..Default::default()
        };
        if setup.apps.is_empty() {
            setup.unavailable = Some(
                "no WeChat app is configured: set WXLOGIN_APPID and WXLOGIN_APP_SECRET_FILE, or [[apps]] in the config file".into(),
            );
            return setup;
        }
        match WechatClient::new(cfg) {
            Ok(c) => setup.client = Some(c),
            Err(e) => setup.unavailable = Some(format!("cannot use the WeChat API: {e}")),
        }
        setup
    }
}

/// The built-in emulator runs on loopback; the real API never does.
fn is_loopback(base_url: &str) -> bool {
    match url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The outcome of one exchange, ready to display: nothing secret in it.
#[derive(Debug, Clone)]
pub struct ExchangeResult {
    pub seq: u64,
    pub at: Ts,
    pub appid: String,
    /// The emulator test user the code was minted for, if it was.
    pub user: Option<String>,
    pub latency: Duration,
    pub outcome: Result<Exchanged, ExchangeFailure>,
    pub binding: BindingStatus,
    /// The audit row could not be written (the exchange itself happened).
    pub audit_error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Exchanged {
    pub openid: String,
    pub unionid: Option<String>,
    /// `Ab••••yz (24 chars)`: never the whole key.
    pub session_key_masked: String,
}

#[derive(Debug, Clone)]
pub struct ExchangeFailure {
    pub errcode: Option<i64>,
    pub meaning: String,
    pub action: String,
    pub rid: Option<String>,
    /// The error's one-line description (no secret, no query string).
    pub message: String,
}

#[derive(Debug, Clone)]
pub enum BindingStatus {
    /// Not looked up (the exchange failed).
    NotApplicable,
    NotBound,
    Bound {
        account_id: i64,
        username: String,
    },
    Error(String),
}

impl BindingStatus {
    pub fn from_lookup(r: Result<Vec<BindingView>, StoreError>) -> Self {
        match r {
            Ok(v) => match v.into_iter().next() {
                Some(b) => BindingStatus::Bound {
                    account_id: b.account_id,
                    username: b.username,
                },
                None => BindingStatus::NotBound,
            },
            Err(e) => BindingStatus::Error(e.to_string()),
        }
    }
}

pub struct ExchangeState {
    pub apps: Vec<(String, Option<String>)>,
    pub app_index: usize,
    /// The code to exchange (masked, wiped once used).
    pub code: TextInput,
    pub minted_for: Option<String>,
    pub last_user: String,
    /// Newest first.
    pub history: Vec<ExchangeResult>,
    pub selected: usize,
    pub offset: usize,
    pub running: bool,
    pub minting: bool,
    pub seq: u64,
    pub base_url: String,
    pub emulator: bool,
    pub unavailable: Option<String>,
}

impl ExchangeState {
    pub fn new(setup: &ExchangeSetup) -> Self {
        ExchangeState {
            apps: setup.apps.clone(),
            app_index: 0,
            code: TextInput::masked(),
            minted_for: None,
            last_user: "alice".into(),
            history: Vec::new(),
            selected: 0,
            offset: 0,
            running: false,
            minting: false,
            seq: 0,
            base_url: setup.base_url.clone(),
            emulator: setup.emulator,
            unavailable: setup.unavailable.clone(),
        }
    }

    pub fn busy(&self) -> bool {
        self.running || self.minting
    }

    pub fn appid(&self) -> Option<&str> {
        self.apps.get(self.app_index).map(|(a, _)| a.as_str())
    }
}

impl App {
    pub(crate) fn exchange_action(&mut self, action: Action) {
        let h = self.list_height();
        if let Some(delta) = self.movement(action) {
            let x = &mut self.exchange;
            x.selected = x
                .selected
                .saturating_add_signed(delta)
                .min(x.history.len().saturating_sub(1));
            x.offset = visible_offset(x.offset, x.selected, h);
            return;
        }
        match action {
            Action::Top => {
                self.exchange.selected = 0;
                self.exchange.offset = 0;
            }
            Action::Bottom => {
                let x = &mut self.exchange;
                x.selected = x.history.len().saturating_sub(1);
                x.offset = visible_offset(x.offset, x.selected, h);
            }
            Action::NextApp => {
                let x = &mut self.exchange;
                if x.apps.is_empty() {
                    return self.error("no WeChat app is configured: set WXLOGIN_APPID and WXLOGIN_APP_SECRET_FILE, or [[apps]] in the config file");
                }
                x.app_index = (x.app_index + 1) % x.apps.len();
                let appid = x.apps[x.app_index].0.clone();
                self.info(format!("appid {}", ui::clean(&appid, 64)));
            }
            Action::EnterCode | Action::Filter => {
                self.prompt(PromptKind::Code, TextInput::masked())
            }
            Action::RunExchange => {
                if self.exchange.code.is_empty() {
                    return self.prompt(PromptKind::Code, TextInput::masked());
                }
                self.start_exchange();
            }
            Action::MintCode => {
                if !self.exchange.emulator {
                    return self.error(format!(
                        "minting test codes works only against the built-in emulator (`wxlogin mock-wechat` on loopback); this console talks to {}",
                        ui::clean(&self.exchange.base_url, 80)
                    ));
                }
                let user = self.exchange.last_user.clone();
                self.prompt(PromptKind::MintUser, TextInput::suggested(user));
            }
            Action::JumpToBindings => {
                let Some(r) = self.exchange.history.get(self.exchange.selected).cloned() else {
                    return self.info("no exchange yet");
                };
                let Ok(ok) = &r.outcome else {
                    return self.info("that exchange failed: there is no openid to look up");
                };
                self.show(View::Bindings);
                self.search_bindings(Some(BindingSearch::Exact(BindingQuery::OpenId {
                    openid: ok.openid.clone(),
                    appid: Some(r.appid.clone()),
                })));
                if let BindingStatus::Bound { account_id, .. } = r.binding {
                    self.open_account(account_id);
                }
            }
            Action::Back if !self.exchange.code.is_empty() => {
                self.exchange.code.clear();
                self.exchange.minted_for = None;
                self.info("code cleared");
            }
            _ => {}
        }
    }

    /// The Code prompt was accepted: take its text as the code and exchange it.
    pub(crate) fn exchange_code_entered(&mut self, input: &mut TextInput) {
        if input.value().trim().is_empty() {
            return self.info("no code given");
        }
        self.exchange.code.clear();
        std::mem::swap(&mut self.exchange.code, input);
        self.exchange.minted_for = None;
        self.update(Action::RunExchange);
    }

    fn start_exchange(&mut self) {
        if self.exchange.running {
            return self.info("an exchange is already running");
        }
        if let Some(why) = &self.exchange.unavailable {
            let why = why.clone();
            return self.error(why);
        }
        let (Some(client), Some(appid)) = (
            self.ctx.exchange.client.clone(),
            self.exchange.appid().map(str::to_owned),
        ) else {
            return self.error("no WeChat app is configured");
        };
        // The code leaves the input (which is wiped) for a Secret (wiped when dropped).
        let code = Secret::new(self.exchange.code.consume(|c| c.trim().to_owned()));
        let user = self.exchange.minted_for.take();
        self.exchange.running = true;
        self.exchange.seq += 1;
        let seq = self.exchange.seq;
        let at = self.now;
        let store = self.ctx.store.clone();
        let actor = self.ctx.actor.clone();
        self.info(format!(
            "exchanging the code with {}…",
            ui::clean(&self.exchange.base_url, 80)
        ));
        self.spawn(async move {
            let report =
                crate::ops::test_exchange(&store, &client, &actor, &appid, code, user.as_deref())
                    .await;
            let (latency, outcome, binding, audit_error) = match report {
                Ok(r) => {
                    let outcome = r
                        .answer
                        .map(|ok| Exchanged {
                            openid: ok.openid,
                            unionid: ok.unionid,
                            session_key_masked: ok.session_key_masked,
                        })
                        .map_err(|e| ExchangeFailure {
                            errcode: e.errcode(),
                            meaning: e.meaning().to_owned(),
                            action: e.action().to_owned(),
                            rid: e.rid().map(str::to_owned),
                            message: e.to_string(),
                        });
                    let binding = match &outcome {
                        Ok(_) => BindingStatus::from_lookup(r.bindings),
                        Err(_) => BindingStatus::NotApplicable,
                    };
                    (r.latency, outcome, binding, None)
                }
                // Refused, or ran without an audit row: nothing of the answer is shown.
                Err(e) => (
                    Duration::ZERO,
                    Err(ExchangeFailure {
                        errcode: None,
                        meaning: String::new(),
                        action: String::new(),
                        rid: None,
                        message: e.to_string(),
                    }),
                    BindingStatus::NotApplicable,
                    Some(e.to_string()),
                ),
            };
            Msg::Exchange(Box::new(ExchangeResult {
                seq,
                at,
                appid,
                user,
                latency,
                outcome,
                binding,
                audit_error,
            }))
        });
    }

    pub(crate) fn mint_code(&mut self, user: String) {
        if user.is_empty() {
            return self.info("no test user given");
        }
        self.exchange.last_user = user.clone();
        let (Some(client), Some(appid)) = (
            self.ctx.exchange.client.clone(),
            self.exchange.appid().map(str::to_owned),
        ) else {
            return self.error("no WeChat app is configured");
        };
        let base = self.exchange.base_url.clone();
        self.exchange.minting = true;
        self.spawn(async move {
            let result = emulator::mint_code(client.http(), &base, &appid, &user)
                .await
                .map(Secret::new)
                .map_err(|e| e.to_string());
            Msg::Minted { user, result }
        });
    }

    pub(crate) fn apply_exchange(&mut self, msg: Msg) {
        match msg {
            Msg::Exchange(r) => {
                let x = &mut self.exchange;
                x.running = false;
                let text = match &r.outcome {
                    Ok(ok) => format!(
                        "exchanged in {}: openid {}",
                        latency_text(r.latency),
                        ui::clean(&ok.openid, 64)
                    ),
                    Err(f) => format!("exchange failed: {}", ui::clean(&f.message, 200)),
                };
                let failed = r.outcome.is_err();
                let audit_error = r.audit_error.clone();
                x.history.insert(0, *r);
                x.history.truncate(HISTORY);
                x.selected = 0;
                x.offset = 0;
                self.audit_stale = true;
                match audit_error {
                    Some(e) => self.error(format!(
                        "{text}; the audit row was NOT written: {}",
                        ui::clean(&e, 200)
                    )),
                    None if failed => self.error(text),
                    None => self.ok(text),
                }
            }
            Msg::Minted { user, result } => {
                self.exchange.minting = false;
                match result {
                    Ok(code) => {
                        let x = &mut self.exchange;
                        x.code.clear();
                        x.code.insert_str(code.expose());
                        x.minted_for = Some(user.clone());
                        self.ok(format!(
                            "minted a test code for {}: Enter exchanges it",
                            ui::clean(&user, 40)
                        ));
                    }
                    Err(e) => self.error(format!("cannot mint a code: {}", ui::clean(&e, 200))),
                }
            }
            _ => {}
        }
    }
}

// ---- drawing ----------------------------------------------------------------------------------

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let x = &app.exchange;
    // The selected result decides how much room the history gets.
    let shown = match x.history.get(x.selected) {
        None if x.running => vec![Line::from(Span::styled(
            format!("{} exchanging…", ui::spinner(app.spinner)),
            t.muted,
        ))],
        None if x.unavailable.is_some() => vec![Line::from(Span::styled(
            "exchanges need a configured WeChat app (see above)",
            t.muted,
        ))],
        None => vec![Line::from(Span::styled(
            if x.emulator {
                "m mints a test code for an emulator user; Enter exchanges it"
            } else {
                "c pastes a code from wx.login(); Enter exchanges it"
            },
            t.muted,
        ))],
        Some(r) => ui::hang(result_lines(app, r), area.width.saturating_sub(4)),
    };
    let result_h = (shown.len() as u16 + 2).clamp(3, area.height.saturating_sub(9).max(3));
    let [form, result, history] = Layout::vertical([
        Constraint::Length(5),
        Constraint::Length(result_h),
        Constraint::Min(4),
    ])
    .areas(area);

    // The form.
    let app_text = match x.apps.get(x.app_index) {
        Some((id, name)) => {
            let mut s = ui::clean(id, 40);
            if let Some(n) = name {
                s.push_str(&format!(" ({})", ui::clean(n, 30)));
            }
            if x.apps.len() > 1 {
                s.push_str(&format!("  [{}/{}]", x.app_index + 1, x.apps.len()));
            }
            s
        }
        None => "none configured".into(),
    };
    let endpoint = format!(
        "{}{}",
        ui::clean(&x.base_url, 60),
        if x.emulator { "  (emulator)" } else { "" }
    );
    let code = if x.code.is_empty() {
        Span::styled("none: c pastes one", t.muted)
    } else {
        let mut s = x.code.display();
        if let Some(u) = &x.minted_for {
            s.push_str(&format!("  minted for {}", ui::clean(u, 30)));
        }
        Span::styled(s, t.value)
    };
    let mut lines = vec![
        ui::field(t, "appid", app_text, None),
        ui::field(t, "WeChat API", endpoint, None),
        Line::from(vec![
            Span::styled(format!("{:>12}  ", "code"), t.label),
            code,
        ]),
    ];
    if let Some(why) = &x.unavailable {
        lines = vec![Line::from(Span::styled(ui::clean(why, 300), t.error))];
    }
    let title = Line::from(Span::styled(" Test a login code (code2Session) ", t.title));
    frame.render_widget(
        Paragraph::new(lines)
            .block(ui::view_block(t, title, None))
            .wrap(Wrap { trim: false }),
        form,
    );

    // The selected result.
    let title = Line::from(Span::styled(" Result ", t.title));
    let block = ui::view_block(t, title, None);
    frame.render_widget(
        Paragraph::new(shown)
            .block(block)
            .wrap(Wrap { trim: false }),
        result,
    );

    // History.
    let title = Line::from(vec![
        Span::styled(" This run's exchanges ", t.title),
        Span::styled(format!("({}) ", x.history.len()), t.label),
    ]);
    let block = ui::view_block(t, title, None);
    let inner = block.inner(history);
    frame.render_widget(block, history);
    if x.history.is_empty() {
        frame.render_widget(ui::empty_message(t, "none yet"), inner);
        return;
    }
    let wide = inner.width >= WIDE - 2;
    let header = Row::new(
        ["WHEN", "APPID", "USER", "OUTCOME", "LATENCY"]
            .into_iter()
            .map(|h| Cell::from(Span::styled(h, t.column))),
    );
    let widths = [
        Constraint::Length(8),
        Constraint::Length(if wide { 20 } else { 16 }),
        Constraint::Length(10),
        Constraint::Fill(1),
        Constraint::Length(8),
    ];
    let height = inner.height.saturating_sub(1) as usize;
    let offset = visible_offset(x.offset, x.selected, height);
    let rows = x
        .history
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, r)| {
            let outcome = match &r.outcome {
                Ok(ok) => format!(
                    "openid {}",
                    if wide {
                        ui::clean(&ok.openid, 64)
                    } else {
                        ui::shorten_id(&ok.openid, 16)
                    }
                ),
                Err(f) => match f.errcode {
                    Some(c) => format!("errcode {c}: {}", ui::clean(&f.meaning, 80)),
                    None => ui::clean(&f.message, 120),
                },
            };
            let style = if i == x.selected {
                t.selected
            } else if r.outcome.is_err() {
                t.error
            } else {
                t.value
            };
            Row::new([
                Cell::from(r.at.0.format("%H:%M:%S").to_string()),
                Cell::from(ui::clean(&r.appid, 20)),
                Cell::from(
                    r.user
                        .as_deref()
                        .map(|u| ui::clean(u, 10))
                        .unwrap_or_else(|| "-".into()),
                ),
                Cell::from(outcome),
                Cell::from(format!("{:>8}", latency_text(r.latency))),
            ])
            .style(style)
        });
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        inner,
    );
}

fn result_lines(app: &App, r: &ExchangeResult) -> Vec<Line<'static>> {
    let t = &app.ctx.theme;
    let latency = latency_text(r.latency);
    let mut lines = match &r.outcome {
        Ok(ok) => {
            let binding = match &r.binding {
                BindingStatus::Bound {
                    account_id,
                    username,
                } => (
                    format!(
                        "bound to {} (#{account_id}): b opens it in Bindings",
                        ui::clean(username, 40)
                    ),
                    t.ok,
                ),
                BindingStatus::NotBound => (
                    "not bound: the first login asks for username and password".to_owned(),
                    t.warn,
                ),
                BindingStatus::Error(e) => {
                    (format!("cannot look it up: {}", ui::clean(e, 200)), t.error)
                }
                BindingStatus::NotApplicable => ("-".to_owned(), t.muted),
            };
            vec![
                ui::field(t, "result", "ok", Some(t.ok)),
                ui::field(t, "openid", ui::clean(&ok.openid, 128), Some(t.title)),
                ui::field(t, "unionid", ui::clean_opt(&ok.unionid, 128), None),
                ui::field(t, "session_key", ok.session_key_masked.clone(), None),
                ui::field(t, "latency", latency, None),
                ui::field(t, "binding", binding.0, Some(binding.1)),
            ]
        }
        Err(f) => vec![
            ui::field(
                t,
                "result",
                match f.errcode {
                    Some(c) => format!("errcode {c}"),
                    None => "failed".into(),
                },
                Some(t.error),
            ),
            ui::field(t, "meaning", ui::clean(&f.meaning, 200), None),
            ui::field(t, "what to do", ui::clean(&f.action, 300), Some(t.warn)),
            ui::field(t, "rid", ui::clean_opt(&f.rid, 64), None),
            ui::field(t, "latency", latency, None),
        ]
        .into_iter()
        // For a WeChat errcode, meaning and action say it all; otherwise the error's own
        // sentence (a timeout, a refused connection…) is the information.
        .chain(
            f.errcode
                .is_none()
                .then(|| ui::field(t, "detail", ui::clean(&f.message, 300), Some(t.muted))),
        )
        .collect(),
    };
    if let Some(e) = &r.audit_error {
        lines.push(ui::field(
            t,
            "audit",
            format!("not recorded: {}", ui::clean(e, 200)),
            Some(t.error),
        ));
    }
    lines
}

/// `0.4 ms`, `12 ms`: sub-millisecond answers (the emulator) still say something.
fn latency_text(d: Duration) -> String {
    if d < Duration::from_millis(10) {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{} ms", d.as_millis())
    }
}
