# wxlogin's English catalogue: the reference. Every `tr!`/`fl!` call is checked against it at
# compile time; tests/i18n_catalogue.rs checks that i18n/zh-CN/wxlogin.ftl has the same ids with
# the same { $variables }. Ids are kebab-case, prefixed by area: common-, console-, errcode-, cli-, present-, service-.
# Never translated (whatever the language): --json output, CSV headers, exit codes, audit rows,
# serve/ssh-server log lines, /metrics, HTTP error codes.

## ---- common ----

common-yes = yes
common-no = no
common-sessions = { $count ->
    [one] 1 session
   *[other] { $count } sessions
}

## ---- console ----

## ---- commands (cli, present, service) ----

# Roles as people read them; in English the machine names flags and audit rows use.
present-role-oncall = oncall
present-role-support = support
present-role-viewer = viewer
present-refused = refused: { $what } needs the { $needs } role; you are { $has }
present-refused-read-only = refused: { $what } needs the { $needs } role; you are { $has } (read-only mode)
present-op-revoke-sessions = revoking sessions
present-op-revoke-bulk = a bulk revoke by appid, unionid or client IP
present-op-revoke-account = revoking an account's sessions
present-op-revoke-token = revoking a session by SessionId
present-op-unbind = unbinding an openid
present-op-disable-account = disabling an account
present-op-unlock-account = unlocking an account's password
present-op-set-password = setting an account's password
present-op-set-password-keep = a password reset that keeps the account's WeChat bindings (a support reset ends every session and removes every binding: --unbind-all)
present-op-create-account = creating an account
present-op-test-exchange = a test code exchange
present-op-check-key = checking a session_key with WeChat
present-op-reset-key = resetting a session_key
present-op-migrate = migrating the database
present-op-purge = purging ended sessions
present-op-archive-audit = archiving the audit log
present-op-export = exporting sessions

# The account history (console History pane and `accounts history`).
present-event-bound = bound
present-event-unbound = unbound
present-event-session-created = session created
present-event-session-revoked = session revoked
present-event-sessions-revoked = sessions revoked
present-event-account-created = account created
present-event-disabled = disabled
present-event-unlocked = unlocked
present-event-password-set = password set
present-event-session-key-reset = session key reset
present-event-operator-action = operator action
present-retention-note = sessions that ended before { $date } removed by retention
present-detail-by = by { $actor }
present-detail-by-reason = by { $actor }: { $reason }
present-detail-bound-from = { $binding } from { $origin }
present-detail-session-created = { $session } in { $appid } from { $origin }
present-detail-revoked = ({ $count ->
    [one] 1 session
   *[other] { $count } sessions
} revoked)
present-detail-revoked-and-removed = ({ $count ->
    [one] 1 session
   *[other] { $count } sessions
} revoked, { $removed } bindings removed)
present-state-active = active
present-state-revoked = revoked
present-state-expired = expired
present-state-up = up
present-state-stale = stale
present-state-stopped = stopped

# The commands' tables, prompts and messages.
cli-col-account = ACCOUNT
cli-col-action = ACTION
cli-col-address = ADDRESS
cli-col-appid = APPID
cli-col-at = AT
cli-col-bound = BOUND
cli-col-count = COUNT
cli-col-created = CREATED
cli-col-detail = DETAIL
cli-col-device = DEVICE
cli-col-expires = EXPIRES
cli-col-failed = FAILED
cli-col-id = ID
cli-col-ip = IP
cli-col-last-login = LAST LOGIN
cli-col-last-seen = LAST SEEN
cli-col-listen = LISTEN
cli-col-live-sessions = LIVE SESSIONS
cli-col-minute = MINUTE
cli-col-openid = OPENID
cli-col-operator = OPERATOR
cli-col-origin = ORIGIN
cli-col-outcome = OUTCOME
cli-col-public-id = PUBLIC ID
cli-col-reason = REASON
cli-col-started = STARTED
cli-col-state = STATE
cli-col-target = TARGET
cli-col-unionid = UNIONID
cli-col-username = USERNAME
cli-col-version = VERSION
cli-confirm-no-terminal = refusing to change anything without confirmation: there is no terminal to ask on; add --yes to confirm
cli-confirm-declined = not confirmed; nothing was changed
cli-history-empty = no event recorded for this account
cli-help-exit-codes = Exit codes: 0 success, 1 runtime error (database, WeChat; also an interrupted bulk revoke), 2 usage error, 3 nothing matched (e.g. revoke of an unknown id), 4 refused (read-only, no confirmation).
cli-about-wxlogin = WeChat Mini Program login backend and its operations console
cli-about-migrate = Apply database migrations (PostgreSQL needs this once per release; SQLite does it itself).
cli-about-sessions = List, show and revoke login sessions.
cli-about-bindings = Show and remove openid-to-account bindings.
cli-about-exchange = Exchange a wx.login() code with WeChat (code2Session) and explain the answer.
cli-about-audit = Read the operator audit log.
cli-about-accounts = Create, show and disable business accounts.
cli-about-stats = The fleet at a glance: live sessions, instances, login outcomes, failing addresses.
cli-about-completions = Print a shell completion script.
cli-about-mock-wechat = Run a WeChat code2Session emulator for tests, demos and drills (never for production).
cli-about-serve = The login service: POST /login, GET /me, POST /logout, /healthz, /metrics.
cli-about-simulate = Drive realistic mini-program clients through the real login flow over HTTP.
cli-about-demo = Everything wired together on a fresh embedded database, with simulated traffic.
cli-about-console = The operations console (TUI): sessions, bindings, revoke, unbind, test code exchanges, audit.
cli-about-seed-synthetic = Fill an empty database with a realistic synthetic data set (for benchmarks and demos).
cli-about-bench = Measure every performance target side by side and print the table.
cli-about-ssh-server = Serve the console and the headless commands over SSH, operators identified by key.
cli-about-help = Print this message or the help of the given subcommand(s)
cli-about-sessions-list = List sessions, newest first (live ones only unless --include-revoked).
cli-about-sessions-show = Show one session, by public id or by the SessionId read from stdin.
cli-about-sessions-revoke = Revoke sessions: by public id, account, username, openid, a whole appid, or SessionId.
cli-about-sessions-check-key = Ask WeChat whether a session's stored session_key is still valid (checkSessionKey).
cli-about-sessions-reset-key = Have WeChat issue a new session_key for a session's user and store it (resetUserSessionKey).
cli-about-sessions-purge = Delete sessions that expired or were revoked more than --older-than ago (retention); never a live one.
cli-about-bindings-show = Show which business account a WeChat identity is bound to (or an account's bindings).
cli-about-bindings-unbind = Remove a binding and revoke its live sessions; the user binds again at next login.
cli-about-accounts-create = Create a business account (the password from a prompt or one line of stdin, never the command line).
cli-about-accounts-show = Show an account and its WeChat bindings.
cli-about-accounts-disable = Disable an account and revoke all its live sessions.
cli-about-accounts-unlock = Open an account's password path again after too many wrong passwords.
cli-about-accounts-set-password = Set a new password for an account and revoke all its live sessions.
cli-about-accounts-history = Every event of an account, newest first.

# The login service's human `message` (its `error` code is never translated).
service-error-internal = the server failed; try again later
service-error-database-unavailable = the login database is unreachable; try again later
service-error-invalid-session = the SessionId is unknown, expired or revoked: log in again
service-error-missing-session = send the SessionId as `Authorization: Bearer <SessionId>`
service-error-bad-request = the request is not valid: { $detail }
service-error-request-timeout = the request body did not arrive in time
service-error-binding-required = this WeChat user is not bound to an account yet: log in again with a fresh code, username and password
service-error-invalid-credentials = wrong username or password; nothing was bound
service-error-binding-changed = the binding changed during this login; log in again
service-error-binding-conflict = this WeChat user is already bound to another account; log in without a username and password to use it, or ask support to unbind it
service-error-binding-limit = this account is already bound to as many WeChat users in this mini program as allowed; nothing was bound: ask support to unbind an old one
service-error-rate-limited = too many requests; try again later
service-error-account-locked = too many wrong passwords for this account; wait and try again, or ask support to unlock it
service-error-account-disabled = this account is disabled
service-error-unknown-appid = this appid is not served here
service-error-appid-required = several mini programs are served here: send appid
service-error-invalid-code = the code is invalid or expired: call wx.login() again for a fresh code
service-error-code-used = the code was already used: call wx.login() again for a fresh code
service-error-high-risk = WeChat refused this user as high-risk
service-error-wechat-unavailable = WeChat is busy or unreachable; try again shortly
service-error-wechat-misconfigured = the login service is misconfigured; the operator has been told
cli-sessions-none = no sessions match
cli-more-after = more: add --after { $cursor }
cli-show-public-id = public id
cli-show-state = state
cli-show-account = account
cli-show-account-value = { $username } (id { $id })
cli-show-account-disabled = account disabled
cli-show-client-ip = client ip
cli-show-user-agent = user agent
cli-show-created = created
cli-show-last-seen = last seen
cli-show-expires = expires
cli-show-revoked = revoked
cli-show-revoked-by = revoked by
cli-show-revoke-reason = revoke reason
cli-revoke-one-question = Revoke session { $id }?
cli-revoke-many-question = Revoke { $count } sessions?
cli-revoke-matching-question = Revoke { $count ->
    [one] 1 live session
   *[other] { $count } live sessions
} matching { $selector }?
cli-revoke-progress = revoked { $revoked } of { $total } sessions (batch { $batch })
cli-revoke-nothing-matches = no live session matches { $selector }; nothing to revoke
cli-revoke-dry-run = dry run: would revoke { $count ->
    [one] 1 live session
   *[other] { $count } live sessions
} matching { $selector }; nothing was changed
cli-revoke-interrupted = interrupted: revoked { $revoked } of { $count ->
    [one] 1 session
   *[other] { $count } sessions
} in { $batches } batches; { $live } still live
cli-revoke-done-skipped = revoked { $count ->
    [one] 1 session
   *[other] { $count } sessions
}; skipped { $skipped } not live (unknown, revoked or expired)
cli-revoke-done = revoked { $count ->
    [one] 1 session
   *[other] { $count } sessions
}
cli-revoke-appid-alone = --appid alone would revoke every session of that mini program; add --all to mean that, or name an --openid
cli-revoke-no-selector = say which sessions to revoke: PUBLIC_ID..., --account, --username, --openid, --appid with --all, or --token-stdin
cli-revoke-many-selectors = give one way to select sessions, not { $given }; run one revoke per selector
