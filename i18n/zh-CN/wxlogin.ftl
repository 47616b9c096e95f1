# wxlogin 的简体中文消息目录。与 i18n/en/wxlogin.ftl 的消息 id 和 { $变量 } 必须一一对应
# (tests/i18n_catalogue.rs 检查)。用词见 README.zh-CN.md：会话、撤销、解绑/绑定、账号、审计日志、操作人。
# 永不翻译：--json 输出、CSV 表头、退出码、审计记录、serve/ssh-server 的日志、/metrics、HTTP 错误码。

## ---- common ----

common-yes = 是
common-no = 否
common-sessions = { $count } 个会话

## ---- console ----

## ---- commands (cli, present, service) ----
