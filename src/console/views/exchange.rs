//! The Exchange view: paste a login code (or mint one from the emulator), run code2Session
//! against the configured WeChat API, and see the openid, unionid, the session_key masked, the
//! latency, or the errcode with its meaning and what to do; then whether that openid is bound.

use std::sync::Arc;
use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Wrap};

use super::Component;
use crate::console::action::Action;
use crate::console::effect::{Cx, Effect, Goto};
use crate::console::filter::BindingSearch;
use crate::console::input::TextInput;
use crate::console::keymap::{Scope, key};
use crate::console::prompt::{Prompt, PromptKind};
use crate::console::widgets::{self, Col, Paint, WIDE, col, fill_col};
use crate::console::window::{Move, Selection};
use crate::crypto::DataKey;
use crate::i18n::Tr;
use crate::mock_wechat as emulator;
use crate::operator::Actor;
use crate::ops;
use crate::secret::Secret;
use crate::store::{BindingQuery, BindingView, Store, StoreError, Ts};
use crate::tr;
use crate::wechat::{ApiError, TokenState, WechatClient, WechatConfig, WechatError};
use chrono::{DateTime, Utc};

/// Exchanges kept in this run's history.
const HISTORY: usize = 200;

/// What the Exchange view can use: the configured apps and the client.
#[derive(Default, Clone)]
pub struct ExchangeSetup {
    pub client: Option<WechatClient>,
    /// (appid, display name).
    pub apps: Vec<(String, Option<String>)>,
    /// Where code2Session goes (shown; never with a secret in it).
    pub base_url: String,
    /// The base URL is the built-in emulator on loopback: test codes can be minted.
    pub emulator: bool,
    /// Why exchanges are unavailable (no app configured, bad config), if so.
    pub unavailable: Option<Unavailable>,
    /// The key the stored session_keys are encrypted with (checkSessionKey and
    /// resetUserSessionKey need the stored key), or why there is none.
    pub data_key: Option<Arc<DataKey>>,
    pub data_key_problem: Option<Unavailable>,
}

/// Why exchanges or the session_key tools cannot be used here. The setup is read once, before
/// any console; each console words the reason in its operator's language ([`Unavailable::text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// The WeChat settings are wrong (the configuration's own error text).
    Config(String),
    /// No mini program is configured.
    NoApp,
    /// The WeChat client cannot be built (its error text).
    Client(String),
    /// No data key is configured.
    NoDataKey,
    /// The data key is configured but cannot be used (its error text).
    DataKey(String),
    /// Neither the client nor the data key.
    KeyTools,
}

impl Unavailable {
    pub fn text(&self, tr: &Tr) -> String {
        match self {
            Unavailable::Config(e) => tr!(tr, "console-exchange-config-error", error = e.as_str()),
            Unavailable::NoApp => tr!(tr, "console-exchange-no-app"),
            Unavailable::Client(e) => tr!(tr, "console-exchange-client-error", error = e.as_str()),
            Unavailable::NoDataKey => tr!(tr, "console-exchange-no-data-key"),
            Unavailable::DataKey(e) => {
                tr!(tr, "console-exchange-data-key-error", error = e.as_str())
            }
            Unavailable::KeyTools => tr!(tr, "console-exchange-key-tools-need"),
        }
    }
}

impl ExchangeSetup {
    /// From the environment and the config file (see [`WechatConfig::resolve`]). A problem
    /// there disables the Exchange view with the reason, not the whole console.
    pub fn from_config(file: &crate::config::ConfigFile) -> Self {
        let setup = match WechatConfig::resolve(file) {
            Ok(cfg) => Self::from_wechat(cfg),
            Err(e) => ExchangeSetup {
                unavailable: Some(Unavailable::Config(e.to_string())),
                ..Default::default()
            },
        };
        match crate::config::data_key(file) {
            Ok(Some(key)) => setup.with_data_key(key),
            Ok(None) => ExchangeSetup {
                data_key_problem: Some(Unavailable::NoDataKey),
                ..setup
            },
            Err(e) => ExchangeSetup {
                data_key_problem: Some(Unavailable::DataKey(e.to_string())),
                ..setup
            },
        }
    }

    /// The same setup with the data key the stored session_keys are encrypted with.
    pub fn with_data_key(mut self, key: DataKey) -> Self {
        self.data_key = Some(Arc::new(key));
        self.data_key_problem = None;
        self
    }

    /// What checking and resetting a session's session_key needs from here.
    pub fn key_tools(&self) -> KeyTools {
        KeyTools {
            client: self.client.clone(),
            data_key: self.data_key.clone(),
            unavailable: self
                .unavailable
                .clone()
                .or_else(|| self.data_key_problem.clone())
                .or_else(|| self.data_key.is_none().then_some(Unavailable::NoDataKey)),
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
            setup.unavailable = Some(Unavailable::NoApp);
            return setup;
        }
        match WechatClient::new(cfg) {
            Ok(c) => setup.client = Some(c),
            Err(e) => setup.unavailable = Some(Unavailable::Client(e.to_string())),
        }
        setup
    }
}

/// The WeChat client and the data key, for the session_key checks and resets of the Sessions
/// view and the confirmation dialog. `Debug` names neither.
#[derive(Clone, Default)]
pub struct KeyTools {
    client: Option<WechatClient>,
    data_key: Option<Arc<DataKey>>,
    unavailable: Option<Unavailable>,
}

impl std::fmt::Debug for KeyTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyTools")
            .field("ready", &self.ready().is_ok())
            .finish_non_exhaustive()
    }
}

impl KeyTools {
    /// The client and the data key, or why they cannot be used.
    pub fn ready(&self) -> Result<(WechatClient, Arc<DataKey>), Unavailable> {
        match (&self.client, &self.data_key) {
            (Some(c), Some(k)) => Ok((c.clone(), k.clone())),
            _ => Err(self.unavailable.clone().unwrap_or(Unavailable::KeyTools)),
        }
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

/// Results of the view's background work.
#[derive(Debug)]
pub enum Msg {
    /// A code2Session exchange finished (with its binding lookup and audit row).
    Exchanged(Box<ExchangeResult>),
    /// The emulator minted a test code (or refused).
    Minted {
        user: String,
        result: Result<Secret, String>,
    },
    /// Every configured app's access-token state (never a token), as of `as_of`.
    Tokens {
        as_of: DateTime<Utc>,
        states: Vec<TokenState>,
    },
}

pub struct ExchangeView {
    pub setup: ExchangeSetup,
    pub app_index: usize,
    /// The code to exchange (masked, wiped once used).
    pub code: TextInput,
    pub minted_for: Option<String>,
    pub last_user: String,
    /// Newest first.
    pub history: Vec<ExchangeResult>,
    pub pos: Selection,
    pub running: bool,
    pub minting: bool,
    pub seq: u64,
    /// The access tokens' state (checkSessionKey and resetUserSessionKey use them), as of when
    /// it was read; `None` until first read.
    pub tokens: Option<(DateTime<Utc>, Vec<TokenState>)>,
    tokens_loading: bool,
}

impl ExchangeView {
    pub fn new(setup: ExchangeSetup) -> Self {
        ExchangeView {
            setup,
            app_index: 0,
            code: TextInput::masked(),
            minted_for: None,
            last_user: "alice".into(),
            history: Vec::new(),
            pos: Selection::default(),
            running: false,
            minting: false,
            seq: 0,
            tokens: None,
            tokens_loading: false,
        }
    }

    /// Reads the access tokens' state on a task (never on the render loop).
    pub fn refresh_tokens(&mut self, cx: &mut Cx) {
        let Some(client) = self.setup.client.clone() else {
            return;
        };
        if self.tokens_loading {
            return;
        }
        self.tokens_loading = true;
        cx.spawn(async move {
            let states = client.token_states();
            Msg::Tokens {
                as_of: Utc::now(),
                states,
            }
        });
    }

    pub fn appid(&self) -> Option<&str> {
        self.setup.apps.get(self.app_index).map(|(a, _)| a.as_str())
    }

    fn code_prompt(&self, cx: &mut Cx) {
        cx.prompt(Prompt::new(
            PromptKind::Code,
            format!("{}: ", tr!(cx.tr, "console-exchange-code-prompt")),
            TextInput::masked(),
        ));
    }

    /// The client and the appid to use, or why there is none.
    fn target(&self) -> Result<(WechatClient, String), Unavailable> {
        match (self.setup.client.clone(), self.appid()) {
            (Some(client), Some(appid)) => Ok((client, appid.to_owned())),
            _ => Err(Unavailable::NoApp),
        }
    }

    fn start(&mut self, cx: &mut Cx) {
        if self.running {
            return cx.info(tr!(cx.tr, "console-exchange-running"));
        }
        if let Some(why) = &self.setup.unavailable {
            return cx.error(why.text(cx.tr));
        }
        let (client, appid) = match self.target() {
            Ok(t) => t,
            Err(e) => return cx.error(e.text(cx.tr)),
        };
        // The code leaves the input (which is wiped) for a Secret (wiped when dropped).
        let code = Secret::new(self.code.consume(|c| c.trim().to_owned()));
        let user = self.minted_for.take();
        self.running = true;
        self.seq += 1;
        let (seq, at) = (self.seq, cx.now);
        let store = cx.store.clone();
        let actor = cx.actor.clone();
        cx.info(tr!(
            cx.tr,
            "console-exchange-exchanging-with",
            url = widgets::clean(&self.setup.base_url, 80)
        ));
        let tr = cx.tr.clone();
        cx.spawn(async move {
            let r = exchange(&store, &client, &actor, &tr, appid, code, user).await;
            Msg::Exchanged(Box::new(ExchangeResult { seq, at, ..r }))
        });
    }

    fn mint(&mut self, user: String, cx: &mut Cx) {
        if user.is_empty() {
            return cx.info(tr!(cx.tr, "console-exchange-no-user"));
        }
        self.last_user = user.clone();
        let (client, appid) = match self.target() {
            Ok(t) => t,
            Err(e) => return cx.error(e.text(cx.tr)),
        };
        let base = self.setup.base_url.clone();
        self.minting = true;
        cx.spawn(async move {
            let result = emulator::mint_code(client.http(), &base, &appid, &user)
                .await
                .map(Secret::new)
                .map_err(|e| e.to_string());
            Msg::Minted { user, result }
        });
    }

    pub fn apply(&mut self, msg: Msg, cx: &mut Cx) {
        match msg {
            Msg::Exchanged(r) => {
                self.running = false;
                let text = match &r.outcome {
                    Ok(ok) => tr!(
                        cx.tr,
                        "console-exchange-done",
                        latency = latency_text(r.latency),
                        openid = widgets::clean(&ok.openid, 64)
                    ),
                    Err(f) => tr!(
                        cx.tr,
                        "console-exchange-failed",
                        error = widgets::clean(&f.message, 200)
                    ),
                };
                let failed = r.outcome.is_err();
                let audit_error = r.audit_error.clone();
                self.history.insert(0, *r);
                self.history.truncate(HISTORY);
                self.pos = Selection::default();
                cx.push(Effect::Audited);
                match audit_error {
                    Some(e) => cx.error(tr!(
                        cx.tr,
                        "console-exchange-not-audited",
                        text = text,
                        error = widgets::clean(&e, 200)
                    )),
                    None if failed => cx.error(text),
                    None => cx.ok(text),
                }
            }
            Msg::Minted { user, result } => {
                self.minting = false;
                match result {
                    Ok(code) => {
                        self.code.clear();
                        self.code.insert_str(code.expose());
                        self.minted_for = Some(user.clone());
                        cx.ok(tr!(
                            cx.tr,
                            "console-exchange-minted",
                            user = widgets::clean(&user, 40),
                            key = key(Scope::Exchange, Action::RunExchange)
                        ));
                    }
                    Err(e) => cx.error(tr!(
                        cx.tr,
                        "console-exchange-mint-failed",
                        error = widgets::clean(&e, 200)
                    )),
                }
            }
            Msg::Tokens { as_of, states } => {
                self.tokens_loading = false;
                self.tokens = Some((as_of, states));
            }
        }
    }

    fn jump_to_binding(&self, cx: &mut Cx) {
        let Some(r) = self.history.get(self.pos.selected) else {
            return cx.info(tr!(cx.tr, "console-exchange-none-yet"));
        };
        let Ok(ok) = &r.outcome else {
            return cx.info(tr!(cx.tr, "console-exchange-failed-no-openid"));
        };
        cx.goto(Goto::Binding {
            search: BindingSearch::Exact(BindingQuery::OpenId {
                openid: ok.openid.clone(),
                appid: Some(r.appid.clone()),
            }),
            account: match r.binding {
                BindingStatus::Bound { account_id, .. } => Some(account_id),
                _ => None,
            },
        });
    }
}

/// One test exchange through the ops layer (code2Session, the binding of the openid it names,
/// one audit row without the code and the session_key); `seq` and `at` are the caller's.
async fn exchange(
    store: &Store,
    client: &WechatClient,
    actor: &Actor,
    tr: &Tr,
    appid: String,
    code: Secret,
    user: Option<String>,
) -> ExchangeResult {
    let report = ops::test_exchange(store, client, actor, &appid, code, user.as_deref()).await;
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
                    meaning: e.meaning_in(tr),
                    action: e.action_in(tr),
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
        Err(e) => {
            let said = crate::present::refusal::ops_error(tr, &e);
            (
                Duration::ZERO,
                Err(ExchangeFailure {
                    errcode: None,
                    meaning: String::new(),
                    action: String::new(),
                    rid: None,
                    message: said.clone(),
                }),
                BindingStatus::NotApplicable,
                Some(said),
            )
        }
    };
    ExchangeResult {
        seq: 0,
        at: Ts::from(store.now()),
        appid,
        user,
        latency,
        outcome,
        binding,
        audit_error,
    }
}

impl Component for ExchangeView {
    fn handle(&mut self, action: Action, cx: &mut Cx) {
        if let Some(m) = Move::of(action, cx.list_height) {
            return self.pos.go(m, self.history.len(), cx.list_height);
        }
        match action {
            Action::NextApp => {
                if self.setup.apps.is_empty() {
                    return cx.error(Unavailable::NoApp.text(cx.tr));
                }
                self.app_index = (self.app_index + 1) % self.setup.apps.len();
                let appid = widgets::clean(&self.setup.apps[self.app_index].0, 64);
                cx.info(format!("appid {appid}"));
            }
            Action::EnterCode | Action::Filter => self.code_prompt(cx),
            Action::RunExchange if self.code.is_empty() => self.code_prompt(cx),
            Action::RunExchange => self.start(cx),
            Action::MintCode => {
                if !self.setup.emulator {
                    return cx.error(tr!(
                        cx.tr,
                        "console-exchange-mint-needs-emulator",
                        url = widgets::clean(&self.setup.base_url, 80)
                    ));
                }
                cx.prompt(Prompt::new(
                    PromptKind::MintUser,
                    format!("{}: ", tr!(cx.tr, "console-exchange-mint-prompt")),
                    TextInput::suggested(self.last_user.clone()),
                ));
            }
            Action::JumpToBindings => self.jump_to_binding(cx),
            Action::Back if !self.code.is_empty() => {
                self.code.clear();
                self.minted_for = None;
                cx.info(tr!(cx.tr, "console-exchange-code-cleared"));
            }
            // Keys of other scopes never reach this view (the key table is looked up by scope).
            _ => {}
        }
    }

    fn accept(&mut self, kind: PromptKind, input: &mut TextInput, cx: &mut Cx) {
        match kind {
            // The code prompt was accepted: take its text as the code and exchange it.
            PromptKind::Code => {
                if input.value().trim().is_empty() {
                    return cx.info(tr!(cx.tr, "console-exchange-no-code"));
                }
                self.code.clear();
                std::mem::swap(&mut self.code, input);
                self.minted_for = None;
                cx.push(Effect::Action(Action::RunExchange));
            }
            PromptKind::MintUser => {
                let user = input.value().trim().to_owned();
                self.mint(user, cx);
            }
            PromptKind::Command
            | PromptKind::Filter
            | PromptKind::Token
            | PromptKind::NewPassword => {}
        }
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.refresh_tokens(cx);
    }

    fn live(&mut self, cx: &mut Cx) {
        self.refresh_tokens(cx);
    }

    fn shown(&mut self, cx: &mut Cx) {
        self.refresh_tokens(cx);
    }

    fn changed(&mut self, _revoked: &[String], _visible: bool, _cx: &mut Cx) {}

    fn busy(&self) -> bool {
        self.running || self.minting
    }

    fn paste_hint(&self, tr: &Tr) -> String {
        tr!(
            tr,
            "console-paste-ignored-exchange",
            key = key(Scope::Exchange, Action::EnterCode)
        )
    }

    fn draw(&self, frame: &mut Frame, area: Rect, paint: &Paint) {
        let t = paint.theme;
        let tr = paint.tr;
        let k = |a| key(Scope::Exchange, a);
        // The selected result decides how much room the history gets.
        let shown = match self.history.get(self.pos.selected) {
            None if self.running => vec![Line::from(Span::styled(
                format!(
                    "{} {}",
                    widgets::spinner(paint.spinner),
                    tr!(tr, "console-exchanging")
                ),
                t.muted,
            ))],
            None if self.setup.unavailable.is_some() => vec![Line::from(Span::styled(
                tr!(tr, "console-exchange-needs-app"),
                t.muted,
            ))],
            None => vec![Line::from(Span::styled(
                if self.setup.emulator {
                    tr!(
                        tr,
                        "console-exchange-hint-emulator",
                        mint = k(Action::MintCode),
                        run = k(Action::RunExchange)
                    )
                } else {
                    tr!(
                        tr,
                        "console-exchange-hint-paste",
                        paste = k(Action::EnterCode),
                        run = k(Action::RunExchange)
                    )
                },
                t.muted,
            ))],
            Some(r) => widgets::hang(result_lines(paint, r), area.width.saturating_sub(4)),
        };
        let result_h = (shown.len() as u16 + 2).clamp(3, area.height.saturating_sub(9).max(3));
        // The access tokens get what the form, the result and four rows of history leave
        // (at least one line of them, or none).
        let token_lines = self.token_lines(paint, area.width.saturating_sub(4));
        let room = area.height.saturating_sub(5 + result_h + 4);
        let tokens_h = match (token_lines.len() as u16 + 2).min(room) {
            h if h < 3 || token_lines.is_empty() => 0,
            h => h,
        };
        let [form, tokens, result, history] = Layout::vertical([
            Constraint::Length(5),
            Constraint::Length(tokens_h),
            Constraint::Length(result_h),
            Constraint::Min(4),
        ])
        .areas(area);
        self.draw_form(frame, form, paint);
        if tokens_h > 0 {
            let title = Line::from(Span::styled(
                format!(" {} ", tr!(tr, "console-exchange-tokens-title")),
                t.title,
            ));
            frame.render_widget(
                Paragraph::new(token_lines)
                    .block(widgets::view_block(t, title, None))
                    .wrap(Wrap { trim: false }),
                tokens,
            );
        }

        let title = Line::from(Span::styled(
            format!(" {} ", tr!(tr, "console-exchange-result-title")),
            t.title,
        ));
        frame.render_widget(
            Paragraph::new(shown)
                .block(widgets::view_block(t, title, None))
                .wrap(Wrap { trim: false }),
            result,
        );
        self.draw_history(frame, history, paint);
    }
}

/// Width of the appid column of the access-token lines (with its two spaces).
const TOKEN_APPID_W: usize = 20;

impl ExchangeView {
    /// One line per configured app (wrapped under the appid): until when its access token is
    /// cached, or that none was fetched yet, its last error with the errcode's meaning and
    /// what to do, and the forced refreshes used. Never the token. Empty when no client.
    fn token_lines(&self, paint: &Paint, width: u16) -> Vec<Line<'static>> {
        let t = paint.theme;
        let tr = paint.tr;
        if self.setup.client.is_none() {
            return Vec::new();
        }
        let Some((as_of, states)) = &self.tokens else {
            return vec![Line::from(Span::styled(
                format!(
                    "{} {}",
                    widgets::spinner(paint.spinner),
                    tr!(tr, "console-reading-token-cache")
                ),
                t.muted,
            ))];
        };
        let mut lines = Vec::new();
        for st in states {
            let label = Span::styled(
                widgets::pad_to(
                    &widgets::shorten_id(&st.appid, TOKEN_APPID_W - 2),
                    TOKEN_APPID_W,
                ),
                t.label,
            );
            let forced = tr!(
                tr,
                "console-exchange-forced-today",
                used = st.forced_last_24h,
                limit = st.forced_limit
            );
            let (state, style) = match st.cached_until {
                Some(until) => (
                    tr!(
                        tr,
                        "console-exchange-token-cached",
                        until = until.format("%H:%M:%S").to_string(),
                        left = remaining_text(tr, (until - *as_of).num_seconds())
                    ),
                    t.ok,
                ),
                None if st.last_error.is_some() => {
                    (tr!(tr, "console-exchange-token-not-cached"), t.error)
                }
                None => (tr!(tr, "console-exchange-token-not-fetched"), t.muted),
            };
            let indent = || Span::raw(" ".repeat(TOKEN_APPID_W));
            // The forced refreshes follow on the same line when it fits, else on their own.
            let joined = format!("{state} · {forced}");
            if TOKEN_APPID_W + widgets::width(&joined) <= width as usize {
                lines.push(Line::from(vec![label, Span::styled(joined, style)]));
            } else {
                lines.push(Line::from(vec![label, Span::styled(state, style)]));
                lines.push(Line::from(vec![indent(), Span::styled(forced, t.value)]));
            }
            if let Some(e) = &st.last_error {
                // An errcode is worded from the errcode table in the operator's language; an
                // error without one (timeout, refused connection) is worded in that language
                // too: its meaning, then its host and the transport's own text in brackets (what
                // to do follows on a line of its own).
                let known = st
                    .last_errcode
                    .map(|code| (code, WechatError::from_errcode(code, ApiError::new("", ""))));
                let text = match (&known, &st.last_failure) {
                    (Some((code, we)), _) => tr!(
                        tr,
                        "console-exchange-last-errcode",
                        code = code.to_string(),
                        meaning = we.meaning_in(tr)
                    ),
                    (None, Some(failure)) => tr!(
                        tr,
                        "console-exchange-last-error-meaning",
                        meaning = failure.meaning_in(tr),
                        error = widgets::clean(&crate::present::wechat::details(tr, failure), 200)
                    ),
                    _ => tr!(
                        tr,
                        "console-exchange-last-error",
                        error = widgets::clean(e, 200)
                    ),
                };
                lines.push(Line::from(vec![indent(), Span::styled(text, t.error)]));
                let action = match &known {
                    Some((_, we)) => Some(we.action_in(tr)),
                    None => st.last_failure.as_ref().map(|f| f.action_in(tr)),
                };
                if let Some(action) = action {
                    lines.push(Line::from(vec![
                        indent(),
                        Span::styled(
                            tr!(tr, "console-exchange-what-to-do", action = action),
                            t.warn,
                        ),
                    ]));
                }
            }
        }
        widgets::hang_at(lines, width, TOKEN_APPID_W)
    }
}

/// `1h 55m`, `4m 10s`, `now` (刚刚).
fn remaining_text(tr: &Tr, secs: i64) -> String {
    match secs {
        s if s <= 0 => tr!(tr, "console-exchange-now"),
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {:02}s", s / 60, s % 60),
        // Minutes rounded up: a token fetched just now "expires in 1h 55m", not 1h 54m.
        s => {
            let m = (s as u64).div_ceil(60);
            format!("{}h {:02}m", m / 60, m % 60)
        }
    }
}

// ---- drawing ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Field {
    When,
    Appid,
    User,
    Outcome,
    Latency,
}

fn columns(wide: bool) -> Vec<(Col, Field)> {
    vec![
        (col("console-col-when", 8, 0), Field::When),
        (
            col("console-col-appid", if wide { 20 } else { 16 }, 1),
            Field::Appid,
        ),
        (col("console-col-user", 10, 2), Field::User),
        (fill_col("console-col-outcome", 1, 0), Field::Outcome),
        (col("console-col-latency", 8, 1), Field::Latency),
    ]
}

fn cell(tr: &Tr, r: &ExchangeResult, f: Field, wide: bool) -> Cell<'static> {
    Cell::from(match f {
        Field::When => r.at.0.format("%H:%M:%S").to_string(),
        Field::Appid => widgets::clean(&r.appid, 20),
        Field::User => r
            .user
            .as_deref()
            .map(|u| widgets::clean(u, 10))
            .unwrap_or_else(|| "-".into()),
        Field::Outcome => match &r.outcome {
            Ok(ok) => format!(
                "openid {}",
                if wide {
                    widgets::clean(&ok.openid, 64)
                } else {
                    widgets::shorten_id(&ok.openid, 16)
                }
            ),
            Err(f) => match f.errcode {
                Some(c) => tr!(
                    tr,
                    "console-overview-errcode",
                    code = c,
                    meaning = widgets::clean(&f.meaning, 80)
                ),
                None => widgets::clean(&f.message, 120),
            },
        },
        Field::Latency => format!("{:>8}", latency_text(r.latency)),
    })
}

impl ExchangeView {
    fn draw_form(&self, frame: &mut Frame, area: Rect, paint: &Paint) {
        let t = paint.theme;
        let tr = paint.tr;
        let apps = &self.setup.apps;
        let app_text = match apps.get(self.app_index) {
            Some((id, name)) => {
                let mut s = widgets::clean(id, 40);
                if let Some(n) = name {
                    s.push_str(&format!(" ({})", widgets::clean(n, 30)));
                }
                if apps.len() > 1 {
                    s.push_str(&format!("  [{}/{}]", self.app_index + 1, apps.len()));
                }
                s
            }
            None => tr!(tr, "console-exchange-none-configured"),
        };
        let endpoint = format!(
            "{}{}",
            widgets::clean(&self.setup.base_url, 60),
            if self.setup.emulator {
                format!("  ({})", tr!(tr, "console-exchange-emulator"))
            } else {
                String::new()
            }
        );
        let code = if self.code.is_empty() {
            Span::styled(
                tr!(
                    tr,
                    "console-exchange-no-code-yet",
                    key = key(Scope::Exchange, Action::EnterCode)
                ),
                t.muted,
            )
        } else {
            let mut s = self.code.display(paint.tr);
            if let Some(u) = &self.minted_for {
                s.push_str(&format!(
                    "  {}",
                    tr!(
                        tr,
                        "console-exchange-minted-for",
                        user = widgets::clean(u, 30)
                    )
                ));
            }
            Span::styled(s, t.value)
        };
        let lines = match &self.setup.unavailable {
            Some(why) => vec![Line::from(Span::styled(
                widgets::clean(&why.text(tr), 300),
                t.error,
            ))],
            None => vec![
                widgets::field(t, "appid", app_text, None),
                widgets::field(t, &tr!(tr, "console-field-wechat-api"), endpoint, None),
                Line::from(vec![
                    Span::styled(format!("{:>12}  ", "code"), t.label),
                    code,
                ]),
            ],
        };
        let title = Line::from(Span::styled(
            format!(" {} ", tr!(tr, "console-exchange-form-title")),
            t.title,
        ));
        frame.render_widget(
            Paragraph::new(lines)
                .block(widgets::view_block(t, title, None))
                .wrap(Wrap { trim: false }),
            area,
        );
    }

    fn draw_history(&self, frame: &mut Frame, area: Rect, paint: &Paint) {
        let t = paint.theme;
        let tr = paint.tr;
        let title = Line::from(vec![
            Span::styled(
                format!(" {} ", tr!(tr, "console-exchange-history-title")),
                t.title,
            ),
            Span::styled(format!("({}) ", self.history.len()), t.label),
        ]);
        let block = widgets::view_block(t, title, None);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if self.history.is_empty() {
            frame.render_widget(
                widgets::empty_message(t, &tr!(tr, "console-exchange-history-empty")),
                inner,
            );
            return;
        }
        let wide = inner.width >= WIDE - 2;
        let selected = self.pos.selected;
        let table = widgets::table(
            paint,
            inner,
            &columns(wide),
            &self.history,
            selected,
            self.pos.offset,
            |i, r| {
                if i == selected {
                    t.selected
                } else if r.outcome.is_err() {
                    t.error
                } else {
                    t.value
                }
            },
            |r, f, _| cell(tr, r, f, wide),
        );
        frame.render_widget(table, inner);
    }
}

fn result_lines(paint: &Paint, r: &ExchangeResult) -> Vec<Line<'static>> {
    let t = paint.theme;
    let tr = paint.tr;
    let latency = latency_text(r.latency);
    let mut lines = match &r.outcome {
        Ok(ok) => {
            let binding = match &r.binding {
                BindingStatus::Bound {
                    account_id,
                    username,
                } => (
                    tr!(
                        tr,
                        "console-exchange-bound-to",
                        username = widgets::clean(username, 40),
                        id = account_id.to_string(),
                        key = key(Scope::Exchange, Action::JumpToBindings)
                    ),
                    t.ok,
                ),
                BindingStatus::NotBound => (tr!(tr, "console-exchange-not-bound"), t.warn),
                BindingStatus::Error(e) => (
                    tr!(
                        tr,
                        "console-exchange-lookup-failed",
                        error = widgets::clean(e, 200)
                    ),
                    t.error,
                ),
                BindingStatus::NotApplicable => ("-".to_owned(), t.muted),
            };
            vec![
                widgets::field(
                    t,
                    &tr!(tr, "console-field-result"),
                    tr!(tr, "console-exchange-result-ok"),
                    Some(t.ok),
                ),
                widgets::field(t, "openid", widgets::clean(&ok.openid, 128), Some(t.title)),
                widgets::field(t, "unionid", widgets::clean_opt(&ok.unionid, 128), None),
                widgets::field(t, "session_key", ok.session_key_masked.clone(), None),
                widgets::field(t, &tr!(tr, "console-field-latency"), latency, None),
                widgets::field(
                    t,
                    &tr!(tr, "console-field-binding"),
                    binding.0,
                    Some(binding.1),
                ),
            ]
        }
        Err(f) => vec![
            widgets::field(
                t,
                &tr!(tr, "console-field-result"),
                match f.errcode {
                    Some(c) => tr!(tr, "console-exchange-errcode", code = c),
                    None => tr!(tr, "console-exchange-result-failed"),
                },
                Some(t.error),
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-meaning"),
                widgets::clean(&f.meaning, 200),
                None,
            ),
            widgets::field(
                t,
                &tr!(tr, "console-field-what-to-do"),
                widgets::clean(&f.action, 300),
                Some(t.warn),
            ),
            widgets::field(t, "rid", widgets::clean_opt(&f.rid, 64), None),
            widgets::field(t, &tr!(tr, "console-field-latency"), latency, None),
        ]
        .into_iter()
        // For a WeChat errcode, meaning and action say it all; otherwise the error's own
        // sentence (a timeout, a refused connection…) is the information.
        .chain(f.errcode.is_none().then(|| {
            widgets::field(
                t,
                &tr!(tr, "console-field-detail"),
                widgets::clean(&f.message, 300),
                Some(t.muted),
            )
        }))
        .collect(),
    };
    if let Some(e) = &r.audit_error {
        lines.push(widgets::field(
            t,
            &tr!(tr, "console-field-audit"),
            tr!(
                tr,
                "console-exchange-not-recorded",
                error = widgets::clean(e, 200)
            ),
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

#[cfg(test)]
mod token_tests {
    use super::remaining_text;
    use crate::i18n::Tr;

    #[test]
    fn a_token_s_remaining_life_reads_in_hours_and_minutes_rounded_up() {
        assert_eq!(remaining_text(&Tr::default(), 6899), "1h 55m");
        assert_eq!(remaining_text(&Tr::default(), 3600), "1h 00m");
        assert_eq!(remaining_text(&Tr::default(), 250), "4m 10s");
        assert_eq!(remaining_text(&Tr::default(), 9), "9s");
        assert_eq!(remaining_text(&Tr::default(), 0), "now");
        assert_eq!(remaining_text(&Tr::default(), -5), "now");
    }
}
