# wxlogin 的简体中文消息目录。与 i18n/en/wxlogin.ftl 的消息 id 和 { $变量 } 必须一一对应
# (tests/i18n_catalogue.rs 检查)。用词见 README.zh-CN.md：会话、撤销、解绑/绑定、账号、审计日志、操作人。
# 永不翻译：--json 输出、CSV 表头、退出码、审计记录、serve/ssh-server 的日志、/metrics、HTTP 错误码。

## ---- common ----

common-yes = 是
common-no = 否
common-sessions = { $count } 个会话

## ---- console ----

## ---- commands (cli, present, service) ----

# 角色名称（给人看的）；命令行参数、配置和审计记录里仍用 oncall / support / viewer。
present-role-oncall = 值班
present-role-support = 客服
present-role-viewer = 只读
present-refused = 已拒绝：{ $what }需要「{ $needs }」角色，你的角色是「{ $has }」
present-refused-read-only = 已拒绝：{ $what }需要「{ $needs }」角色，你的角色是「{ $has }」（只读模式）
present-op-revoke-sessions = 撤销会话
present-op-revoke-bulk = 按 appid、unionid 或客户端 IP 批量撤销
present-op-revoke-account = 撤销某个账号的会话
present-op-revoke-token = 按 SessionId 撤销会话
present-op-unbind = 解绑 openid
present-op-disable-account = 停用账号
present-op-unlock-account = 解锁账号密码
present-op-set-password = 设置账号密码
present-op-set-password-keep = 保留账号微信绑定的密码重置（客服重置会结束所有会话并解除所有绑定：--unbind-all）
present-op-create-account = 创建账号
present-op-test-exchange = 测试 code 换取
present-op-check-key = 向微信校验 session_key
present-op-reset-key = 重置 session_key
present-op-migrate = 迁移数据库
present-op-purge = 清理已结束的会话
present-op-archive-audit = 归档审计日志
present-op-export = 导出会话

# 账号历史（控制台的历史面板和 `accounts history`）。
present-event-bound = 已绑定
present-event-unbound = 已解绑
present-event-session-created = 会话已创建
present-event-session-revoked = 会话已撤销
present-event-sessions-revoked = 会话已批量撤销
present-event-account-created = 账号已创建
present-event-disabled = 已停用
present-event-unlocked = 已解锁
present-event-password-set = 密码已设置
present-event-session-key-reset = session_key 已重置
present-event-operator-action = 操作人操作
present-retention-note = { $date } 之前结束的会话已按保留策略删除
present-detail-by = 操作人 { $actor }
present-detail-by-reason = 操作人 { $actor }，原因：{ $reason }
present-detail-bound-from = { $binding }，来自 { $origin }
present-detail-session-created = { $session }，小程序 { $appid }，来自 { $origin }
present-detail-revoked = （已撤销 { $count } 个会话）
present-detail-revoked-and-removed = （已撤销 { $count } 个会话，已解除 { $removed } 个绑定）
present-state-active = 在线
present-state-revoked = 已撤销
present-state-expired = 已过期
present-state-up = 运行中
present-state-stale = 无心跳
present-state-stopped = 已停止

# 命令的表格、提示和消息。
cli-col-account = 账号
cli-col-action = 操作
cli-col-address = 地址
cli-col-appid = APPID
cli-col-at = 时间
cli-col-bound = 绑定时间
cli-col-count = 次数
cli-col-created = 创建时间
cli-col-detail = 详情
cli-col-device = 设备
cli-col-expires = 过期时间
cli-col-failed = 失败次数
cli-col-id = ID
cli-col-ip = IP
cli-col-last-login = 最近登录
cli-col-last-seen = 最近访问时间
cli-col-listen = 监听地址
cli-col-live-sessions = 在线会话
cli-col-minute = 分钟
cli-col-openid = OPENID
cli-col-operator = 操作人
cli-col-origin = 来源
cli-col-outcome = 结果
cli-col-public-id = 公开 ID
cli-col-reason = 原因
cli-col-started = 启动时间
cli-col-state = 状态
cli-col-target = 对象
cli-col-unionid = UNIONID
cli-col-username = 用户名
cli-col-version = 版本
cli-confirm-no-terminal = 未确认，不做任何更改：没有可以提问的终端；加 --yes 表示确认
cli-confirm-declined = 未确认，没有做任何更改
cli-history-empty = 该账号没有任何记录
cli-help-exit-codes = 退出码：0 成功，1 运行时错误（数据库、微信；批量撤销被中断也是 1），2 用法错误，3 没有匹配（例如撤销一个不存在的 id），4 已拒绝（只读，或未确认）。
cli-about-wxlogin = 微信小程序登录后端及其运维控制台
cli-about-migrate = 执行数据库迁移（PostgreSQL 每个版本需执行一次；SQLite 自动完成）。
cli-about-sessions = 列出、查看和撤销登录会话。
cli-about-bindings = 查看和解除 openid 与账号的绑定。
cli-about-exchange = 用 wx.login() 的 code 向微信换取会话（code2Session）并解释结果。
cli-about-audit = 查看操作人审计日志。
cli-about-accounts = 创建、查看和停用业务账号。
cli-about-stats = 集群概览：在线会话、实例、登录结果、失败最多的客户端地址。
cli-about-completions = 输出 shell 补全脚本。
cli-about-mock-wechat = 运行微信 code2Session 模拟器，用于测试、演示和演练（切勿用于生产环境）。
cli-about-serve = 登录服务：POST /login、GET /me、POST /logout、/healthz、/metrics。
cli-about-simulate = 模拟真实的小程序客户端，通过 HTTP 走完整的登录流程。
cli-about-demo = 在全新的内置数据库上把所有部分连起来运行，并带有模拟流量。
cli-about-console = 运维控制台（TUI）：会话、绑定、撤销、解绑、测试 code 换取、审计日志。
cli-about-seed-synthetic = 向空数据库填充逼真的合成数据（用于性能测试和演示）。
cli-about-bench = 逐项测量所有性能目标并输出结果表。
cli-about-ssh-server = 通过 SSH 提供控制台和命令行，操作人按密钥识别。
cli-about-help = 显示本帮助，或指定子命令的帮助
cli-about-sessions-list = 列出会话，最新的在前（默认只列在线会话，加 --include-revoked 包括已撤销和已过期的）。
cli-about-sessions-show = 查看一个会话：按公开 ID，或按从 stdin 读入的 SessionId。
cli-about-sessions-revoke = 撤销会话：按公开 ID、账号、用户名、openid、整个 appid 或 SessionId。
cli-about-sessions-check-key = 向微信校验会话保存的 session_key 是否仍然有效（checkSessionKey）。
cli-about-sessions-reset-key = 让微信为该会话的用户签发新的 session_key 并保存（resetUserSessionKey）。
cli-about-sessions-purge = 删除过期或撤销时间早于 --older-than 的会话（数据保留）；从不删除在线会话。
cli-about-bindings-show = 查看某个微信身份绑定到哪个业务账号（或某个账号的所有绑定）。
cli-about-bindings-unbind = 解除一个绑定并撤销其在线会话；用户下次登录时重新绑定。
cli-about-accounts-create = 创建业务账号（密码从提示输入或 stdin 的一行读取，绝不从命令行读取）。
cli-about-accounts-show = 查看账号及其微信绑定。
cli-about-accounts-disable = 停用账号并撤销其所有在线会话。
cli-about-accounts-unlock = 在密码错误次数过多后重新开放账号的密码登录。
cli-about-accounts-set-password = 为账号设置新密码并撤销其所有在线会话。
cli-about-accounts-history = 账号的所有记录，最新的在前。

# 登录服务返回的 `message`（`error` 码永不翻译）。
service-error-internal = 服务器出错，请稍后再试
service-error-database-unavailable = 无法连接登录数据库，请稍后再试
service-error-invalid-session = SessionId 不存在、已过期或已撤销，请重新登录
service-error-missing-session = 请以 `Authorization: Bearer <SessionId>` 发送 SessionId
service-error-bad-request = 请求无效：{ $detail }
service-error-request-timeout = 请求体未能按时到达
service-error-binding-required = 该微信用户尚未绑定账号：请用新的 code、用户名和密码重新登录
service-error-invalid-credentials = 用户名或密码错误，未做任何绑定
service-error-binding-changed = 登录过程中绑定发生了变化，请重新登录
service-error-binding-conflict = 该微信用户已绑定到另一个账号：不带用户名和密码登录即可使用该账号，或请客服解绑
service-error-binding-limit = 该账号在此小程序中绑定的微信用户已达上限，未做任何绑定：请客服解绑一个旧的
service-error-rate-limited = 请求过于频繁，请稍后再试
service-error-account-locked = 该账号密码错误次数过多：请稍后再试，或请客服解锁
service-error-account-disabled = 该账号已停用
service-error-unknown-appid = 此服务不支持该 appid
service-error-appid-required = 此服务支持多个小程序：请发送 appid
service-error-invalid-code = code 无效或已过期：请重新调用 wx.login() 获取新的 code
service-error-code-used = code 已被使用：请重新调用 wx.login() 获取新的 code
service-error-high-risk = 微信判定该用户为高风险用户，已拒绝
service-error-wechat-unavailable = 微信繁忙或无法连接，请稍后再试
service-error-wechat-misconfigured = 登录服务配置有误，已通知运维人员
cli-sessions-none = 没有匹配的会话
cli-more-after = 还有更多：加上 --after { $cursor }
cli-show-public-id = 公开 ID
cli-show-state = 状态
cli-show-account = 账号
cli-show-account-value = { $username }（ID { $id }）
cli-show-account-disabled = 账号已停用
cli-show-client-ip = 客户端 IP
cli-show-user-agent = 用户代理 (UA)
cli-show-created = 创建时间
cli-show-last-seen = 最近访问时间
cli-show-expires = 过期时间
cli-show-revoked = 撤销时间
cli-show-revoked-by = 撤销人
cli-show-revoke-reason = 撤销原因
cli-revoke-one-question = 撤销会话 { $id }？
cli-revoke-many-question = 撤销 { $count } 个会话？
cli-revoke-matching-question = 撤销匹配 { $selector } 的 { $count } 个在线会话？
cli-revoke-progress = 已撤销 { $revoked } / { $total } 个会话（第 { $batch } 批）
cli-revoke-nothing-matches = 没有匹配 { $selector } 的在线会话，无需撤销
cli-revoke-dry-run = 演练：将撤销匹配 { $selector } 的 { $count } 个在线会话；没有做任何更改
cli-revoke-interrupted = 已中断：在 { $batches } 批中撤销了 { $count } 个会话中的 { $revoked } 个；仍有 { $live } 个在线
cli-revoke-done-skipped = 已撤销 { $count } 个会话；跳过 { $skipped } 个不在线的（不存在、已撤销或已过期）
cli-revoke-done = 已撤销 { $count } 个会话
cli-revoke-appid-alone = 只给 --appid 会撤销该小程序的所有会话；确实要这样请加 --all，否则请指定 --openid
cli-revoke-no-selector = 请指定要撤销哪些会话：PUBLIC_ID...、--account、--username、--openid、--appid 加 --all，或 --token-stdin
cli-revoke-many-selectors = 一次只能用一种方式选择会话，而不是 { $given }；每种方式各运行一次 revoke
