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

# key table: the help screen's sentences and the footer's labels
console-footer-sessions-open = detail
console-key-sessions-toggle-mark = mark / unmark the session (for a bulk revoke)
console-footer-sessions-toggle-mark = mark
console-key-sessions-revoke = revoke the marked sessions, or the selected one
console-footer-sessions-revoke = revoke
console-key-sessions-find-by-token = find a session by its SessionId (masked, hashed, never shown)
console-footer-sessions-find-by-token = SessionId
console-key-sessions-toggle-inactive = show / hide revoked and expired sessions (who, when, why)
console-footer-sessions-toggle-inactive = revoked
console-key-sessions-revoke-account = revoke every live session of the selected session's account
console-footer-sessions-revoke-account = all of account
console-key-sessions-revoke-openid = revoke every live session of the selected session's openid
console-footer-sessions-revoke-openid = all of openid
console-key-sessions-clear-marks = clear all marks
console-key-sessions-jump-to-bindings = open the selected session's account in Bindings
console-key-sessions-check-session-key = check the session's session_key with WeChat (audited)
console-key-sessions-reset-session-key = have WeChat issue a new session_key and store it
console-key-bindings-filter = search by openid, unionid, username or account id
console-footer-bindings-filter = search
console-key-bindings-open = show the account with all its bindings
console-footer-bindings-open = account
console-key-bindings-unbind = unbind the selected binding (revokes its sessions)
console-footer-bindings-unbind = unbind
console-key-bindings-jump-to-sessions = show the account's sessions
console-footer-bindings-jump-to-sessions = sessions
console-key-bindings-focus-history = in the account: move between its bindings and its history
console-key-bindings-reset-password = set a new password for the account (revokes its live sessions)
console-footer-bindings-reset-password = password
console-key-dialog-toggle-option = switch the dialog's option (also unbind every binding)
console-key-exchange-enter-code = paste a login code (masked)
console-footer-exchange-enter-code = code
console-key-exchange-next-app = next configured appid
console-footer-exchange-next-app = appid
console-key-exchange-run-exchange = run code2Session with the code
console-footer-exchange-run-exchange = exchange
console-key-exchange-mint-code = emulator only: mint a fresh test code for a test user
console-footer-exchange-mint-code = mint
console-key-exchange-jump-to-bindings = open the exchanged openid in Bindings
console-footer-exchange-jump-to-bindings = binding
console-key-audit-open = show the entry's details
console-footer-audit-open = detail
console-key-audit-filter = filter: operator=… action=… target=…
console-footer-audit-filter = filter
console-key-overview-jump-to-sessions = show the sessions from the selected failing address
console-footer-overview-jump-to-sessions = sessions
console-key-overview-revoke-from-address = revoke every live session from the selected failing address
console-footer-overview-revoke-from-address = revoke all
console-key-dialog-confirm = confirm (a reason is required)
console-footer-dialog-confirm = confirm
console-key-dialog-cancel = cancel; while a bulk revoke runs: stop after the current batch
console-footer-dialog-cancel = cancel
console-key-prompt-confirm = accept
console-footer-prompt-confirm = accept
console-key-prompt-cancel = cancel
console-footer-prompt-cancel = cancel
console-key-global-down = move down
console-key-global-up = move up
console-key-global-top = first row (newest)
console-key-global-bottom = last row (oldest)
console-key-global-page-down = page down
console-key-global-page-up = page up
console-key-global-back = back: close the detail, then clear the filter
console-key-global-filter = filter the current view
console-footer-global-filter = filter
console-key-global-command-line = command line (:sessions username=alice, :audit, :q …)
console-key-global-refresh = refresh now
console-key-global-next-view = next view
console-key-global-prev-view = previous view
console-key-global-show-overview = Overview view
console-key-global-show-sessions = Sessions view
console-key-global-show-bindings = Bindings view
console-key-global-show-exchange = Exchange view
console-key-global-show-audit = Audit view
console-key-global-copy = copy the row's id to your clipboard (OSC 52)
console-key-global-copy-other = copy the row's next other field (username…)
console-key-global-help = this help
console-footer-global-help = help
console-key-global-quit = quit
console-footer-global-quit = quit

# tabs and the help screen's headings
console-tab-sessions = Sessions
console-tab-bindings = Bindings
console-tab-exchange = Exchange
console-tab-audit = Audit
console-scope-global = Everywhere
console-scope-dialog = Confirmation dialog
console-scope-prompt = Prompts (: / and inputs)

# the help screen
console-help-scroll = { $keys } scroll · any key closes
console-help-commands = Commands
console-help-cmd-sessions = sessions [filters]
console-help-cmd-bindings = bindings [query]
console-help-cmd-bindings-what = openid=… [appid=…] | unionid=… | username=… | account=42 | a bare word
console-help-cmd-audit = audit [filters]
console-help-cmd-export = export csv|json FILE
console-help-cmd-export-what = in Sessions: the list with its filter to FILE (export! replaces)

# the frame: header, tabs, status, footer, small terminals
console-too-small = terminal too small: { $size }
console-too-small-needs = the console needs at least { $size }
console-too-small-hint = enlarge the window, or press { $key } to quit
console-read-only-badge = READ-ONLY
console-hint-help = help
console-hint-command = command
console-loading = loading…
console-footer-scroll = scroll
console-footer-any-key = any key
console-footer-close = close

# column headers
console-col-appid = APPID
console-col-openid = OPENID
console-col-unionid = UNIONID
console-col-account = ACCOUNT
console-col-bound = BOUND
console-col-last-login = LAST LOGIN
console-col-sessions = SESSIONS
console-col-when = WHEN
console-col-event = EVENT
console-col-detail = DETAIL
console-col-user = USER
console-col-outcome = OUTCOME
console-col-latency = LATENCY
console-col-session = SESSION
console-col-state = STATE
console-col-created = CREATED
console-col-last-seen = LAST SEEN
console-col-expires = EXPIRES
console-col-client-ip = CLIENT IP
console-col-device = DEVICE
console-col-user-agent = USER AGENT
console-col-operator = OPERATOR
console-col-origin = ORIGIN
console-col-action = ACTION
console-col-target = TARGET
console-col-reason = REASON

console-key-sessions-open = show the session's details
console-tab-overview = Overview
console-help-title = Keys
console-db-unreachable-banner = DATABASE UNREACHABLE: reconnecting every 2 s; showing the last data loaded
console-span-seconds = { $n }s
console-span-minutes = { $n }m
console-span-hours = { $n }h
console-span-days = { $n }d
console-time-in = in { $span }
console-time-ago = { $span } ago

console-n-sessions = { $count ->
    [one] { $n } session
   *[other] { $n } sessions
}


# the confirmation dialog
console-will-replace-key = { $n } session_key will be replaced; the old one stops working at WeChat
console-will-revoke-uncounted = sessions will be revoked
console-will-revoke-live-uncounted = live sessions will be revoked
console-will-revoke-live-with-it-uncounted = live sessions will be revoked with it
console-will-replace-key-uncounted = session_key will be replaced; the old one stops working at WeChat
console-counting = counting… ({ $what })
console-count-failed = could not count: { $error }
console-keep-bindings-needs-oncall = keeping the bindings needs the oncall role: a support reset removes every binding
console-cancelled = cancelled: nothing was changed
console-stopping-after-batch = stopping after the current batch…
console-working-cannot-stop = working… (a single transaction cannot be stopped half way)
console-read-only-refused = read-only: refused (the console was started with --read-only)
console-reason-required = a reason is required: it is written to the audit log
console-still-counting = still counting: wait a moment
console-nothing-to-do = nothing to do: no live session matches ({ $key } to close)
console-you-are-changing = You are changing { $env }
console-password-unbind-fixed = every binding will be removed (keeping them needs oncall)
console-password-every-session-ends = every session ends; the owner's phones need the new password
console-password-also-unbind = also unbind every binding
console-switches = switches
console-reason = Reason
console-reason-goes-to-audit = The reason and your operator name go into the audit log.
console-working = working…
console-key-stops-after-batch = { $key } stops after the current batch (finished batches stay revoked)
console-one-transaction = one transaction: all or nothing
console-revoked = revoked { $sessions }
console-already-revoked = { $skipped } already revoked or expired
console-unbound = unbound { $appid }/{ $openid } from { $username }: { $sessions } revoked
console-password-set = password set: { $sessions } revoked
console-binding-gone = that binding no longer exists: nothing was changed
console-refused = refused

console-will-revoke = { $count ->
    [one] { $n } session will be revoked
   *[other] { $n } sessions will be revoked
}
console-will-revoke-live = { $count ->
    [one] { $n } live session will be revoked
   *[other] { $n } live sessions will be revoked
}
console-will-revoke-live-with-it = { $count ->
    [one] { $n } live session will be revoked with it
   *[other] { $n } live sessions will be revoked with it
}
console-revoke-stopped = { $batches ->
    [one] stopped after { $batches } batch
   *[other] stopped after { $batches } batches
}: { $sessions } revoked; the rest are untouched
console-bindings-removed = { $count ->
    [one] , { $count } binding removed
   *[other] , { $count } bindings removed
}


# what a refusal names ("read-only: revoking sessions is refused")
console-verb-revoke = revoking sessions
console-verb-revoke-account = revoking an account's sessions
console-verb-revoke-openid = revoking an openid's sessions
console-verb-unbind = unbinding
console-verb-revoke-from-address = revoking every session from an address
console-verb-run-exchange = exchanging a code (it consumes the code and writes an audit row)
console-verb-check-session-key = checking a session_key with WeChat (it writes an audit row)
console-verb-reset-session-key = resetting a session_key
console-verb-reset-password = setting a password
console-verb-other = this


# status lines of the app
console-export-not-at-door = export is not available over the SSH door (the file would be written on the server): run `sessions list --format csv --all > FILE` through the door instead
console-export-only-in-sessions = export works in the Sessions view: show it, filter it, then :export
console-needs-role = needs the { $role } role
console-refused-read-only = refused: read-only
console-read-only-verb-refused = read-only: { $what } is refused (--read-only)
console-copy-nothing = nothing selected to copy
console-copy-no-other = this row has no other field to copy
console-copy-again = { $key } again: next field
console-db-restored = database connection restored
console-task-panicked = internal error in a background task: { $what }
console-not-typed = not typed: { $why }

console-n-chars = { $count ->
    [one] { $count } char
   *[other] { $count } chars
}


# copy (y / Y)
console-copied = copied { $what }: { $value } (to your terminal's clipboard)
console-copy-field-public-session-id = public session id
console-copy-field-openid = openid
console-copy-field-username = username
console-copy-field-account-id = account id
console-copy-field-appid = appid
console-copy-field-unionid = unionid
console-copy-field-client-address = client address
console-copy-field-user-agent = user agent
console-copy-field-target = target
console-copy-field-operator = operator
console-copy-field-action = action
console-copy-field-origin = origin
console-copy-field-reason = reason


# the Sessions view
console-sessions-filter-set = sessions: { $filter }
console-no-session-with-token = no session has that SessionId (a SessionId is only valid as issued, in full)
console-export-running = an export to { $path } is running: { $key } cancels it
console-exporting-to = exporting to { $path }… { $key } cancels
console-export-cancelling = cancelling the export to { $path }…
console-exported = exported { $sessions } to { $path }
console-export-cancelled = export cancelled: { $path } not written
console-export-failed = export failed, { $path } not written: { $error }
console-filter-cleared-sessions = filter cleared: all live sessions
console-marks-cleared = marks cleared
console-showing-inactive = showing revoked and expired sessions too ({ $key } hides them)
console-showing-live-only = showing live sessions only
console-only-live-can-be-marked = { $id } is { $state }: only live sessions can be marked
console-too-many-marks = at most { $max } marks: revoke by account or openid ({ $account } / { $openid }) instead
console-no-session-selected = no session selected
console-already-state = { $id } is already { $state }
console-revoke-session-title = Revoke session
console-field-session = session
console-field-account = account
console-field-app = app
console-field-client = client
console-and-n-more = {" "}and { $n } more
console-field-sessions = sessions
console-field-accounts = accounts
console-revoke-account-title = Revoke every session of an account
console-field-scope = scope
console-scope-every-live-session = every live session, in every mini program
console-revoke-openid-title = Revoke every session of an openid
console-refreshed = refreshed
console-token-prompt = SessionId (masked, hashed, never stored)
console-token-hint = paste the SessionId; { $accept } hashes it and searches, { $cancel } cancels
console-no-token-given = no SessionId given
console-paste-ignored-sessions = paste ignored: press { $key } first to find a session by its SessionId
console-state-active = active
console-state-expired = expired
console-state-revoked = revoked

console-revoke-marked-title = { $count ->
    [one] Revoke { $n } marked session
   *[other] Revoke { $n } marked sessions
}


# detail panes: field labels
console-field-wechat-api = WeChat API
console-field-account-id = account id
console-field-action = action
console-field-binding = binding
console-field-client-ip = client IP
console-field-created = created
console-field-detail = detail
console-field-disabled = disabled
console-field-expires = expires
console-field-last-seen = last seen
console-field-latency = latency
console-field-meaning = meaning
console-field-name = name
console-field-origin = origin
console-field-reason = reason
console-field-result = result
console-field-revoked = revoked
console-field-state = state
console-field-stored-key = stored key
console-field-target = target
console-field-when = when
console-field-old-key = old key
console-field-what-to-do = what to do
console-field-revoked-by = revoked by
console-field-device = device
console-field-operator = operator
console-field-user-agent = user agent
console-field-username = username
console-field-audit = audit


# WeChat errcodes: what each means and what to do (zh-CN in WeChat's own wording where it has one)
errcode-meaning-busy = WeChat answered "system busy"
errcode-meaning-invalid-code = WeChat rejected the code: it is wrong, older than 5 minutes, or was issued for another mini program
errcode-meaning-code-used = WeChat says this code was already exchanged; each code works once
errcode-meaning-high-risk-user = WeChat refused this user's login as high-risk
errcode-meaning-rate-limited = WeChat's per-user minute quota for code2Session is spent
errcode-meaning-invalid-app-id = WeChat does not know this appid
errcode-meaning-invalid-app-secret = WeChat rejected the AppSecret for this appid
errcode-meaning-ip-not-whitelisted = WeChat refused the call: this server's IP is not in the API IP whitelist
errcode-meaning-missing-app-id = WeChat says the request had no appid
errcode-meaning-missing-secret = WeChat says the request had no AppSecret
errcode-meaning-missing-code = WeChat says the request had no code
errcode-meaning-invalid-credential = WeChat rejected the credential: the access token is unknown or superseded, or the AppSecret is wrong
errcode-meaning-token-expired = WeChat says the access token expired
errcode-meaning-invalid-token = WeChat says the access token is not a valid token
errcode-meaning-missing-token = WeChat says the request had no access token
errcode-meaning-daily-quota = WeChat's daily quota for this API is spent
errcode-meaning-app-secret-frozen = WeChat says this app's AppSecret is frozen
errcode-meaning-stale-session-key = WeChat says the session_key no longer matches: it expired or was replaced by a newer wx.login()
errcode-meaning-invalid-sig-method = WeChat does not accept the signature method of the request
errcode-meaning-force-refresh-refused = a forced access-token refresh was not sent, to stay within WeChat's limit (20 a day, 30 s apart)
errcode-meaning-other = WeChat answered with an errcode this program does not know
errcode-meaning-timeout = WeChat did not answer in time
errcode-meaning-connect = cannot connect to the WeChat API
errcode-meaning-transport = the connection to the WeChat API broke
errcode-meaning-http-status = the WeChat API answered with an HTTP error status
errcode-meaning-not-json = the WeChat API answered with a body that is not JSON
errcode-meaning-unexpected-json = the WeChat API answered JSON that is not the result this API returns
errcode-meaning-no-app-configured = no mini program (appid and AppSecret) is configured
errcode-meaning-unknown-app = this appid is not configured here
errcode-meaning-ambiguous-app = several mini programs are configured and none was chosen
errcode-meaning-setup = the WeChat client cannot be set up
errcode-meaning-mock-rejected = the WeChat emulator refused to mint a code
errcode-action-busy = wait a few seconds and try again; if it lasts, check WeChat's status and quote the rid to WeChat support
errcode-action-invalid-code = have the user log in again to get a fresh code, and check that the mini program and this server use the same appid
errcode-action-code-used = have the user log in again for a fresh code; if it happens often, look for clients or proxies that send the same request twice
errcode-action-high-risk-user = nothing to fix on this server; the user must resolve it with WeChat
errcode-action-rate-limited = wait for the next minute; look for a client retrying in a loop
errcode-action-invalid-app-id = check the appid in WXLOGIN_APPID or the config file's [[apps]] against the WeChat admin console
errcode-action-invalid-app-secret = check the AppSecret (WXLOGIN_APP_SECRET/_FILE or the config file); it may have been reset in the WeChat admin console
errcode-action-ip-not-whitelisted = add this server's public IP to the API IP whitelist in the WeChat admin console
errcode-action-missing-app-id = the request was built wrongly; check the configured appid and AppSecret are not empty
errcode-action-missing-code = the mini program sent an empty code; have the user log in again
errcode-action-invalid-credential = check the AppSecret, and that no other program calls /cgi-bin/token for this appid (each call there supersedes the last token)
errcode-action-token-expired = retry once later; if it lasts, check that nothing between here and WeChat alters the request
errcode-action-daily-quota = wait until tomorrow (WeChat resets quotas daily) or reset the quota in the WeChat admin console; look for a caller in a loop
errcode-action-app-secret-frozen = unfreeze or reset the AppSecret in the WeChat admin console, then update it in the configuration
errcode-action-stale-session-key = the user must log in again (wx.login()) so a fresh session_key is stored; or reset the key for this session
errcode-action-invalid-sig-method = the request was built wrongly: sig_method must be hmac_sha256
errcode-action-force-refresh-refused = wait and retry; if WeChat keeps rejecting fresh tokens, check for another program using this appid's AppSecret
errcode-action-other = look the errcode up in WeChat's documentation and quote the rid to WeChat support
errcode-action-timeout = retry shortly; if it lasts, check the network path to WeChat and the configured timeouts
errcode-action-connect = check WXLOGIN_WECHAT_BASE_URL (or [wechat] base_url), DNS, firewall and proxy settings
errcode-action-transport = retry shortly; if it lasts, check proxies between here and WeChat
errcode-action-http-status = WeChat or a proxy in between is failing; retry shortly and check that the base URL points at the WeChat API
errcode-action-not-json = something other than WeChat answered (a proxy or portal page?); check the base URL and the network path
errcode-action-unexpected-json = check that the base URL points at the WeChat API and not at something else
errcode-action-no-app-configured = set WXLOGIN_APPID with WXLOGIN_APP_SECRET_FILE (or WXLOGIN_APP_SECRET), or add [[apps]] to the config file
errcode-action-unknown-app = use one of the configured appids or add this one to the config file's [[apps]]
errcode-action-ambiguous-app = name the mini program's appid explicitly
errcode-action-setup = check the WeChat settings in the environment and the config file
errcode-action-mock-rejected = use an appid the emulator was started with (--app) and a non-empty user


# key hints inside panes
console-hint-revoke = revoke
console-hint-all-of-account = all of account
console-hint-all-of-openid = all of openid
console-hint-account-in-bindings = account in Bindings
console-hint-back = back
console-hint-check-session-key = check session_key
console-hint-reset-session-key = reset session_key


# the Sessions view: session_key, titles, empty states
console-key-check-failed = check failed
console-key-reset-failed = reset failed
console-key-valid = session_key valid
console-key-stale-text = the key expired or was replaced by a newer wx.login(); the user must log in again
console-key-stale = session_key stale ({ $errcode }): { $stale }
console-key-reset-status = session_key reset: the new key is stored on { $sessions }
console-key-already-checking = already checking the session_key of { $id }
console-key-checking-status = checking the session_key of { $id } with WeChat…
console-key-wait-check = wait for the session_key check to finish
console-key-reset-title = Reset a session_key
console-key-checking = checking with WeChat…
console-key-valid-at = valid (checked { $at })
console-key-stale-at = stale: { $errcode } — { $stale } (checked { $at })
console-key-stale-what-to-do = ask the user to reopen the mini program (a new wx.login()), or { $key } has WeChat issue a new key
console-key-reset-stored = reset: new key stored (masked { $masked })
console-key-reset-sessions = { $sessions } of this user now hold it (reset at { $at })
console-key-old-invalid = { $old }: no longer valid at WeChat
console-sessions-all-states = all states
console-sessions-live = live
console-total-estimated = ~ total estimated
console-n-marked = { $n } marked
console-loading-sessions = loading sessions…
console-empty-token = no session has that SessionId
console-empty-live-sessions = no live sessions
console-empty-sessions-filter = no session matches the filter ({ $key } clears it)
console-unknown = unknown
console-session-detail = Session detail

console-exporting-rows = exporting { $rows } rows… { $key } cancels

console-paste-ignored = paste ignored: press { $key } first
console-paste-ignored-exchange = paste ignored: press { $key } first to paste a login code
console-paste-ignored-overview = paste ignored: the Overview has no input

console-overview-seen = seen { $when }
console-no-binding-matches = no binding matches
console-bindings-start = Find who a WeChat user is.
console-bindings-precise-search = precise search


# Audit and Bindings
console-audit-title = Audit log
console-audit-empty = no operator action recorded yet
console-audit-empty-filter = no entry matches the filter ({ $key } clears it)
console-n-found = { $n } found
console-searching = searching…
console-history-title = History
console-newest-first = newest first
console-newest-first-scroll = newest first; { $key } to scroll
console-loading-history = loading the history…
console-history-empty = no event recorded for this account

console-n-events = { $count ->
    [one] { $count } event
   *[other] { $count } events
}


# Exchange
console-exchanging = exchanging…
console-reading-token-cache = reading the token cache…
console-exchange-history-title = This run's exchanges

console-cannot-load = cannot load { $what }
console-could-not-load = could not load { $what }: { $error }
console-noun-sessions = sessions
console-noun-audit-log = the audit log
console-filter-cleared = filter cleared

console-sessions-filter-prompt = filter (username= account= appid= openid= unionid= ip= id= all):{" "}
console-audit-filter-prompt = filter (operator= action= target=):{" "}

console-audit-entry = Audit entry

console-retention-title = session retention
console-retention-never = last purge: never
console-retention-last = last purge { $when }: { $n ->
    [one] { $count } session
   *[other] { $count } sessions
} removed in { $secs } s by { $by }; next due { $next }
console-retention-running = purging now: { $holder }
console-retention-backlog = purgeable backlog: ~{ $count } (estimate), sessions that ended before { $date }

console-history-day-event = sessions
console-history-day-detail = { $day } · { $created ->
    [one] 1 session
   *[other] { $created } sessions
} created, { $revoked } revoked

# the Overview body
console-overview-as-of = as of { $when }
console-overview-load-failed = loading the overview
console-overview-live = live sessions
console-overview-estimate = ~{ $count } (estimate)
console-overview-refresh-failed = last refresh failed: { $error }
console-overview-per-minute = per minute, last { $minutes } min
console-overview-logins = logins
console-overview-failures = failures
console-overview-revocations = revocations
console-overview-spark-numbers = now { $now } max { $max } sum { $sum }
console-overview-addresses = failing addresses, last { $minutes } min
console-overview-address-keys = { $sessions } sessions  { $revoke } revoke all
console-overview-none = none
console-overview-address-failed = { $count } failed
console-overview-outcomes = outcomes, last { $minutes } min
console-overview-no-login = no login recorded
console-overview-errcode = errcode { $code }: { $meaning }
console-overview-instances = instances: { $up } up, { $stale } stale, { $stopped } stopped
console-overview-no-address = no failing address selected
console-overview-revoke-title = Revoke every session from an address
console-overview-field-address = address
console-overview-field-failures = failures
console-overview-field-scope = scope
console-overview-failures-recent = { $count } in the last { $minutes } min
console-overview-scope-address = every live session logged in from this address
console-outcome-silent = logged in (already bound)
console-outcome-bound = logged in and bound a WeChat user to an account
console-outcome-binding-required = asked for account credentials to bind (normal first login)
console-outcome-binding-conflict = the WeChat user or the account is bound elsewhere
console-outcome-binding-limit = the account holds max_bindings_per_app bindings in this mini program
console-outcome-invalid-credentials = wrong username or password at binding
console-outcome-account-locked = the account is locked after failed passwords
console-outcome-account-disabled = the account is disabled
console-outcome-rate-limited = refused by this service's login limiter
console-outcome-bad-request = the client sent a malformed request
console-outcome-wechat-other = WeChat answered an errcode this program does not know
console-outcome-wechat-unreachable = WeChat did not answer (timeout, connection, bad reply)
console-outcome-error = an internal error (see the service log)
console-outcome-unknown = an outcome this console does not know (shown as other)
console-outcome-do-account-locked = unlock the account if the owner asks (Bindings or wxlogin accounts)
console-outcome-do-look-at-address = if one address dominates below, look at its sessions
console-outcome-do-wechat-unreachable = check the network path to WeChat and the instances' logs
console-outcome-do-error = read the service log around these minutes

# the Exchange body
console-exchange-config-error = WeChat is not configured: { $error }
console-exchange-no-app = no WeChat app is configured: set WXLOGIN_APPID and WXLOGIN_APP_SECRET_FILE, or [[apps]] in the config file
console-exchange-client-error = cannot use the WeChat API: { $error }
console-exchange-no-data-key = no data key: the stored session_keys are encrypted with it; set WXLOGIN_DATA_KEY_FILE (or data_key_file in the config file) to the service's key
console-exchange-data-key-error = the data key cannot be used: { $error }
console-exchange-key-tools-need = checking session_keys needs a configured WeChat app and the data key
console-exchange-code-prompt = login code (masked)
console-exchange-running = an exchange is already running
console-exchange-exchanging-with = exchanging the code with { $url }…
console-exchange-no-user = no test user given
console-exchange-done = exchanged in { $latency }: openid { $openid }
console-exchange-failed = exchange failed: { $error }
console-exchange-not-audited = { $text }; the audit row was NOT written: { $error }
console-exchange-minted = minted a test code for { $user }: { $key } exchanges it
console-exchange-mint-failed = cannot mint a code: { $error }
console-exchange-none-yet = no exchange yet
console-exchange-failed-no-openid = that exchange failed: there is no openid to look up
console-exchange-mint-needs-emulator = minting test codes works only against the built-in emulator (`wxlogin mock-wechat` on loopback); this console talks to { $url }
console-exchange-mint-prompt = emulator test user
console-exchange-code-cleared = code cleared
console-exchange-no-code = no code given
console-exchange-needs-app = exchanges need a configured WeChat app (see above)
console-exchange-hint-emulator = { $mint } mints a test code for an emulator user; { $run } exchanges it
console-exchange-hint-paste = { $paste } pastes a code from wx.login(); { $run } exchanges it
console-exchange-tokens-title = Access tokens (for checkSessionKey, resetUserSessionKey)
console-exchange-forced-today = forced refreshes today: { $used } of { $limit }
console-exchange-token-cached = cached until { $until } (expires in { $left })
console-exchange-token-not-cached = not cached
console-exchange-token-not-fetched = not fetched yet (fetched on first use)
console-exchange-last-errcode = last error: errcode { $code }: { $meaning }
console-exchange-last-error-meaning = last error: { $meaning } ({ $error })
console-exchange-last-error = last error: { $error }
console-exchange-what-to-do = what to do: { $action }
console-exchange-now = now
console-exchange-none-configured = none configured
console-exchange-emulator = emulator
console-exchange-no-code-yet = none: { $key } pastes one
console-exchange-minted-for = minted for { $user }
console-exchange-form-title = Test a login code (code2Session)
console-exchange-history-empty = none yet
console-exchange-bound-to = bound to { $username } (#{ $id }): { $key } opens it in Bindings
console-exchange-not-bound = not bound: the first login asks for username and password
console-exchange-lookup-failed = cannot look it up: { $error }
console-exchange-errcode = errcode { $code }
console-exchange-result-failed = failed
console-exchange-not-recorded = not recorded: { $error }
console-exchange-result-title = Result
console-exchange-result-ok = ok

# the Bindings account pane, its password reset and unbind dialogs
console-bindings-search-failed = cannot search bindings
console-bindings-no-such-account = no such account
console-bindings-account-failed = cannot load the account
console-bindings-history-failed = cannot load the history
console-bindings-no-account-selected = no account selected
console-bindings-no-binding-selected = no binding selected
console-bindings-search-prompt = search (openid, unionid, username, account id)
console-bindings-open-account-first = open an account first
console-bindings-account-title = Account
console-bindings-loading-account = loading the account…
console-bindings-disabled-since = yes, since { $when }
console-bindings-extra = account has { $n } bindings in { $appid }: a second person may be using the password
console-bindings-of-account = Bindings of this account
console-bindings-of-account-counts = { $bindings } in { $apps } apps, { $live } live sessions
console-bindings-none-bound = no WeChat identity is bound to this account
console-password-prompt = new password (masked)
console-password-prompt-hint = type the new password ({ $min }-{ $max } characters); { $key } cancels
console-password-length = the password must have { $min } to { $max } characters (it has { $n }); nothing was changed
console-password-repeat = repeat the new password (masked)
console-password-repeat-hint = type it again; { $key } cancels
console-password-differ = the two passwords differ; nothing was changed
console-password-title = Set a new password
console-password-after = the old password stops working; logged-in phones must log in again
console-field-after = after
console-unbind-title = Unbind WeChat identity
console-unbind-after = the next login from this WeChat user asks for username and password

# `:export` and the command line's parse errors
console-export-usage = usage: :export csv FILE or :export json FILE
console-export-unknown-format = unknown export format { $format }: use csv or json
console-export-no-file = usage: :export csv FILE or :export json FILE (the file name is missing)
console-export-exists = { $path } exists: nothing written (use :export! { $format } { $path } to replace it)
console-export-not-a-file = { $path } is not a file name
console-export-cannot-create = cannot create a file in { $dir }: { $error }
console-export-cannot-write = cannot write { $path }: { $error }
console-export-appeared = { $path } appeared during the export: nothing written (use :export! to replace it)
console-export-write-failed = write failed: { $error }
console-export-read-failed = reading sessions failed: { $error }
console-filter-needs-value = { $key }= needs a value
console-filter-account-numeric = { $key }= is the numeric account id; for the username use username={ $value }
console-filter-no-typed-token = a SessionId is never typed on the command line: press { $key } in Sessions (masked input)
console-filter-unknown-session-key = unknown filter { $key }=: use username=, account= (numeric id), appid=, openid=, unionid=, ip=, id= (ses_…), all
console-filter-unknown-audit-key = unknown filter { $key }=: use operator=, action=, target=
console-filter-unknown-search-key = unknown search { $key }=: use openid= [appid=], unionid=, username=, account= (numeric id) or a bare word
console-command-empty = type a command: sessions, bindings, exchange, audit, q
console-command-unknown = unknown command :{ $command }: use :sessions, :bindings, :exchange, :audit, :q

# the header of a console through the SSH door
console-door-label = ssh door · role { $role }

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
service-error-database-busy = the login database is busy with concurrent changes to this user; try again
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

# the ops layer's sentences, in the operator's language (src/present/refusal.rs)
present-err-reason-required = a reason is required: it is written in the audit log
present-err-no-code = no code given: paste the code from wx.login()
present-err-no-session-token = no session has this SessionId; check that the whole token was given
present-err-already-ended = session { $id } is already { $state }; nothing to revoke
present-err-no-binding = no binding of openid { $openid } in app { $appid }; find it with `wxlogin bindings show`
present-err-no-public-id = no session with public id { $id }; list them with `wxlogin sessions list`
present-err-export-not-audited = the export's audit row could not be written ({ $error })
present-err-check-not-audited = the check ran but its audit row could not be written ({ $error }); nothing is shown
present-err-key-not-stored = WeChat issued a new session_key but it could not be stored ({ $error }); the stored key is now stale at WeChat: the user must log in again
present-err-key-undecryptable = session { $id }: { $error }; check that WXLOGIN_DATA_KEY(_FILE) is the key the login service uses

# `wxlogin exchange` and the session_key commands: the human lines (--json keeps English)
cli-label-result = result
cli-label-bound = bound
cli-label-meaning = meaning
cli-label-what-to-do = what to do
cli-errcode-no-answer = - (no answer from WeChat)
cli-exchange-ok-in = ok in { $ms } ms
cli-exchange-failed-after = failed after { $ms } ms
cli-exchange-no-unionid = - (WeChat returns one only when the mini program is bound to an Open Platform account)
cli-exchange-not-bound = no: the first login with username and password will bind it
cli-exchange-bound-yes = yes: account { $username } (id { $id }{ $disabled }), since { $since }, last login { $last }, { $sessions } live session(s)
cli-exchange-disabled = , disabled

# `wxlogin accounts`: prompts, errors, confirmations and results (--json keeps English)
cli-password-none = no password given; type it at the prompt or pipe one line on stdin
cli-password-too-short = the password is too short ({ $n } characters); use at least { $min }
cli-password-too-long = the password is too long ({ $n } characters); use at most { $max }
cli-password-prompt = Password for { $username } (not echoed):
cli-password-repeat = Repeat the password:
cli-password-differ = the two passwords differ; run the command again
cli-account-exists = an account named { $username } already exists; pick another username
cli-account-created = created account { $username } (id { $id })
cli-account-not-found = no account named { $username }; check the spelling (usernames are case-sensitive)
cli-account-field-username = username
cli-account-field-id = id
cli-account-field-display-name = display name
cli-account-field-created = created
cli-account-field-disabled = disabled
cli-account-no-bindings = no WeChat bindings
cli-unlock-confirm = Unlock the password of account { $username } (id { $id })?
cli-unlock-not-locked = account { $username } was not locked; nothing to clear (audited)
cli-unlocked = unlocked account { $username }: its password works again from every address
cli-disable-already = account { $username } is already disabled; nothing changed
cli-disable-confirm = Disable account { $username } (id { $id }) and revoke its { $live } live session(s)?
cli-disable-raced = account { $username } was disabled by someone else meanwhile; nothing changed
cli-disabled = disabled account { $username } (id { $id }); revoked { $revoked ->
    [one] { $revoked } session
   *[other] { $revoked } sessions
}
cli-set-password-unbind = {" "}and remove every WeChat binding
cli-set-password-confirm = Set a new password for account { $username } (id { $id }), revoke its { $live } live session(s){ $unbind }?
cli-password-was-set = set a new password for account { $username } (id { $id }); revoked { $revoked ->
    [one] { $revoked } session
   *[other] { $revoked } sessions
}
cli-password-bindings-removed = ; removed { $removed ->
    [one] { $removed } binding
   *[other] { $removed } bindings
}

# `wxlogin bindings unbind` and `sessions reset-key`: confirmations and results
cli-unbind-target = openid { $openid } in { $appid }
cli-unbind-no-binding = no binding for { $target }; check both with `wxlogin bindings show --openid`
cli-unbind-confirm = Unbind { $target } from account { $username } (id { $id }) and revoke its { $live } live session(s)?
cli-unbind-raced = { $target } was unbound by someone else meanwhile; nothing changed
cli-unbound = unbound { $target } from account { $username } (id { $id }); revoked { $revoked ->
    [one] { $revoked } session
   *[other] { $revoked } sessions
}
cli-reset-key-confirm = Reset the WeChat session_key of session { $id } (openid { $openid } in { $appid })? The current key stops working at WeChat at once

# `wxlogin stats`: the human lines (--json keeps English; table headers and outcome names stay)
cli-stats-live = live sessions: { $count }{ $estimate }
cli-stats-estimate = {" "}(estimate)
cli-stats-purge-last = last session purge: { $at }, { $n } removed in { $secs } s by { $by }; next due { $next }
cli-stats-purge-next-unknown = when a service instance next checks
cli-stats-purge-never = last session purge: never
cli-stats-purge-running = session purge running now: { $holder }
cli-stats-purge-unfinished = session purge: a run was left unfinished; the next one resumes it
cli-stats-backlog = purgeable backlog (estimated): ~{ $sessions } sessions ended before { $cutoff }
cli-stats-backlog-off = purgeable backlog: retention is off ([retention] sessions_after_days = 0)
cli-stats-instances = instances: { $up } up of { $listed } listed (up = heartbeat in the last { $secs }s)
cli-stats-logins-since = logins since { $since } by outcome:
cli-stats-none-recorded = none recorded
cli-stats-revoked-since = sessions revoked by operators since { $since }: { $count }
cli-stats-addresses-none = failing client addresses: none
cli-stats-addresses = failing client addresses (failed logins):

# `wxlogin sessions revoke --token-stdin` and `sessions purge`
cli-revoke-token-question = Revoke the session of this SessionId?
cli-purge-dry-run = dry run: { $n ->
    [one] { $n } session
   *[other] { $n } sessions
} ended (expired or revoked) before { $cutoff }; nothing was changed
cli-purge-question = Delete every session that expired or was revoked before { $cutoff }? Live sessions are kept.

# `wxlogin sessions check-key | reset-key`: the human lines (--json keeps English)
cli-key-label-session = session
cli-key-label-expires = expires
cli-key-label-old-key = old key
cli-key-label-new-key = new key
cli-key-label-stored-on = stored on
cli-key-session-revoked = {" "}(session revoked)
cli-key-session-expired = {" "}(session expired)
cli-key-valid = valid: WeChat holds this key for the user ({ $ms } ms)
cli-key-check-stale = stale: { $meaning } ({ $ms } ms)
cli-key-check-error = error: { $meaning } ({ $ms } ms)
cli-key-stored-on = { $count ->
    [one] { $count } session
   *[other] { $count } sessions
}: { $ids }
cli-key-reset-done = reset in { $ms } ms; the old key no longer works at WeChat
cli-key-reset-failed = failed: { $meaning } ({ $ms } ms)
cli-key-no-data-key = no data key: the stored session_keys are encrypted with it; set WXLOGIN_DATA_KEY_FILE (or WXLOGIN_DATA_KEY, or data_key_file in the config file) to the service's key
cli-key-session-gone = the session disappeared meanwhile
cli-key-stale = the stored session_key is stale (87009): the user logged in again or the key expired; decrypting their data with it fails. Have the user log in again
cli-key-check-failed = checkSessionKey failed: { $error }
cli-key-reset-stale = WeChat refused the reset (87009): the stored key is already stale, so it cannot sign the request; only the user logging in again helps
cli-key-reset-call-failed = resetUserSessionKey failed: { $error }

# `wxlogin audit` and `audit archive`: the human lines (--json keeps English)
cli-audit-none = no audit entries match
cli-since-bad = { $flag } { $text } is not a time; use RFC 3339 (2026-11-21T09:00:00Z), a date (2026-11-21) or an age (30m, 12h, 7d)
cli-archive-exists = { $file } exists; the archive never overwrites a file: choose another name
cli-archive-question = Write the audit rows before { $before } to { $file } and then delete them from the database?
cli-archive-written = wxlogin: wrote { $n ->
    [one] { $n } audit row
   *[other] { $n } audit rows
}
cli-archive-verified = wxlogin: file verified ({ $n ->
    [one] { $n } row
   *[other] { $n } rows
}); deleting them
cli-archive-deleted = wxlogin: deleted { $n ->
    [one] { $n } row
   *[other] { $n } rows
}
cli-archive-done = archived { $n ->
    [one] { $n } audit row
   *[other] { $n } audit rows
} before { $before } to { $file } ({ $bytes } bytes, SHA-256 { $sha256 })

# `wxlogin exchange`: what ends a failed exchange, and its input errors
cli-exchange-call-failed = code2Session failed: { $error }
cli-exchange-code-prompt = code (not echoed):{" "}
cli-exchange-no-code = no code given; pass the code from wx.login() as an argument or on stdin with --code-stdin

# The commands' own errors (what a script's exit code goes with; the code never changes)
cli-err-no-session-id = no SessionId on stdin; pipe it in, e.g. `wxlogin sessions show --token-stdin < token.txt`
cli-err-session-id-prompt = SessionId (not echoed):{" "}
cli-err-too-many-ids = at most { $max } public ids at once; revoke by --account, --openid or --appid --all instead
cli-err-no-such-public-ids = no session has the given public id; list them with `wxlogin sessions list`
cli-err-none-live = none of the given sessions is live ({ $unknown } unknown, { $inactive } already revoked or expired); nothing to revoke
cli-err-revoked-meanwhile = the sessions were revoked by someone else meanwhile; nothing left to revoke
cli-err-no-account-named = no account named { $username }; check the spelling with `wxlogin accounts show`
cli-err-no-account-id = no account with id { $id }; look it up with `wxlogin bindings show`
cli-err-no-account-id-history = no account with id { $id }; `wxlogin bindings show --openid O` or `accounts show USERNAME` show an account's id
cli-err-history-whose = say whose history: USERNAME or --account ID
cli-err-revoke-interrupted = interrupted after { $batches ->
    [one] { $batches } batch
   *[other] { $batches } batches
}: { $revoked ->
    [one] { $revoked } session
   *[other] { $revoked } sessions
} revoked, the rest are still live; run the same command again to finish
cli-err-purge-busy = another purge is running ({ $holder }); nothing was changed; try again when it is done
cli-err-purge-interrupted = interrupted: the batches done are gone, the rest are still there; run the same command again to finish
cli-err-reason-blank = --reason must say why; it is written in the audit log
cli-err-bad-cursor = --after is not a cursor printed by this command; copy next_cursor from the previous page
cli-err-bindings-whose = say whose bindings to show: --openid, --unionid, --username or --account
cli-err-no-binding-for = no binding for { $what }; the user has not completed a first login with username and password
cli-bindings-what-openid-in = openid { $openid } in { $appid }
cli-bindings-what-openid = openid { $openid }
cli-bindings-what-unionid = unionid { $unionid }
cli-bindings-what-username = username { $username }
cli-bindings-what-account = account { $id }

# `wxlogin sessions purge`: progress and result
cli-purge-progress = wxlogin: purged { $n ->
    [one] { $n } session
   *[other] { $n } sessions
} (batch { $batch })
cli-purge-bar-batch = batch { $batch }
cli-purge-resumed = finished an interrupted purge first: { $n ->
    [one] { $n } session
   *[other] { $n } sessions
}
cli-purge-done = purged { $n ->
    [one] { $n } session
   *[other] { $n } sessions
} that ended before { $cutoff } in { $batches ->
    [one] { $batches } batch
   *[other] { $batches } batches
} ({ $secs } s)

cli-purge-done-interrupted = interrupted: purged { $n ->
    [one] { $n } session
   *[other] { $n } sessions
} that ended before { $cutoff } in { $batches ->
    [one] { $batches } batch
   *[other] { $batches } batches
} ({ $secs } s)
cli-purge-bar-purged = sessions purged
cli-purge-bar-stop = Ctrl-C stops after this batch
cli-revoke-bar-revoked = sessions revoked
cli-bar-eta = eta

# A failed WeChat call as one line (src/present/wechat.rs). English is the error's own
# Display, kept byte for byte; these are its pieces, for the catalogue test and other languages.
present-wechat-rid = rid { $rid }
present-wechat-no-rid = no rid
present-wechat-none = none
present-wechat-unlabelled = unlabelled content
present-wechat-line-errcode = { $meaning } (errcode { $code }, { $rid }, from { $host }): { $action }
present-wechat-line-busy = { $meaning } (errcode -1, { $rid }) { $attempts } time(s) from { $host }: { $action }
present-wechat-line-other = { $meaning }: errcode { $code }, errmsg "{ $errmsg }" ({ $rid }, from { $host }): { $action }
present-wechat-line-timeout = { $meaning }: no answer from { $host } within { $ms } ms: { $action }
present-wechat-line-detail = { $meaning } at { $host } ({ $detail }): { $action }
present-wechat-line-http-status = { $meaning }: { $host } answered HTTP { $status }: { $action }
present-wechat-line-not-json = { $meaning }: { $host } answered HTTP 200 with { $bytes } bytes of { $kind }: { $action }
present-wechat-line-unexpected-json = { $meaning } ({ $problem }, from { $host }): { $action }
present-wechat-line-plain = { $meaning }: { $action }
present-wechat-line-unknown-app = { $meaning } (asked for { $appid }, configured: { $known }): { $action }
present-wechat-line-ambiguous-app = { $meaning } (configured: { $known }): { $action }
present-wechat-line-setup = { $meaning }: { $detail }: { $action }
present-wechat-line-force-refresh = { $meaning } (appid { $appid }: { $reason }): { $action }
present-wechat-line-mock = { $meaning } at { $host } (HTTP { $status }: { $message }): { $action }
present-wechat-force-gap = the last forced refresh was { $since } s ago and WeChat allows one every { $gap } s; retry in { $wait } s
present-wechat-force-daily = { $n } forced refreshes in the last 24 h, WeChat's daily limit; the next is possible in { $wait } min
cli-err-appid-alone-here = --appid narrows --openid or, with --all, selects a whole mini program; it cannot be combined with this selector
cli-err-all-needs-appid = --all needs --appid: name the mini program whose sessions to revoke
cli-err-retention-off = [retention] sessions_after_days = 0 keeps sessions forever; give --older-than to purge anyway
present-err-archive-future = --before is in the future: only rows already written can be archived
present-err-archive-partial = { $file }.partial exists (an archive that did not finish; its rows are still in the table): remove it or choose another name
present-err-archive-none = no audit row before { $before }; nothing to archive
present-err-archive-stopped = interrupted: { $file } is complete and verified; no audit row was deleted
present-err-archive-stopped-deleting = interrupted after deleting { $deleted } of { $count } rows; every row is in { $file } (verified); run again with a new file for the rest
cli-migrate-done = { $url }: schema is up to date

# Lines read from stdin: what they are, and what is wrong with one
cli-field-password = the password
cli-field-password-repeat = the repeated password
cli-field-code = the code
cli-field-session-id = the SessionId
cli-field-answer = the answer
cli-field-on-stdin = { $field } on stdin
cli-stdin-too-long = { $what } is longer than { $max } bytes (the longest line read from stdin); nothing was changed and the rest of stdin was not read
cli-stdin-not-utf8 = { $what } is not UTF-8 text
cli-secret-too-long = { $field } is longer than { $max } bytes (the longest line read from stdin)
