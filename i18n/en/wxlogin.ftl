# wxlogin's English catalogue: the reference. Every `tr!`/`fl!` call is checked against it at
# compile time; tests/i18n_catalogue.rs checks that i18n/zh-CN/wxlogin.ftl has the same ids with
# the same { $variables }. Ids are kebab-case, prefixed by area: common-, console-, errcode-, cli-.
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
