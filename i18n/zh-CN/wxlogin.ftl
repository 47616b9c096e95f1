# wxlogin 的简体中文消息目录。与 i18n/en/wxlogin.ftl 的消息 id 和 { $变量 } 必须一一对应
# (tests/i18n_catalogue.rs 检查)。用词见 README.zh-CN.md：会话、撤销、解绑/绑定、账号、审计日志、操作人。
# 永不翻译：--json 输出、CSV 表头、退出码、审计记录、serve/ssh-server 的日志、/metrics、HTTP 错误码。

## ---- common ----

common-yes = 是
common-no = 否
common-sessions = { $count } 个会话

## ---- console ----

# key table: the help screen's sentences and the footer's labels
console-footer-sessions-open = 详情
console-key-sessions-toggle-mark = 标记 / 取消标记会话（用于批量撤销）
console-footer-sessions-toggle-mark = 标记
console-key-sessions-revoke = 撤销已标记的会话，或当前选中的会话
console-footer-sessions-revoke = 撤销
console-key-sessions-find-by-token = 按 SessionId 查找会话（输入隐藏，只比对哈希，从不显示）
console-footer-sessions-find-by-token = SessionId
console-key-sessions-toggle-inactive = 显示 / 隐藏已撤销和已过期的会话（谁、何时、原因）
console-footer-sessions-toggle-inactive = 已撤销
console-key-sessions-revoke-account = 撤销所选会话所属账号的全部在线会话
console-footer-sessions-revoke-account = 整个账号
console-key-sessions-revoke-openid = 撤销所选会话 openid 的全部在线会话
console-footer-sessions-revoke-openid = 整个 openid
console-key-sessions-clear-marks = 清除全部标记
console-key-sessions-jump-to-bindings = 在“绑定”中打开所选会话的账号
console-key-sessions-check-session-key = 向微信校验该会话的 session_key（记入审计日志）
console-key-sessions-reset-session-key = 让微信签发新的 session_key 并保存
console-key-bindings-filter = 按 openid、unionid、用户名或账号 ID 搜索
console-footer-bindings-filter = 搜索
console-key-bindings-open = 查看账号及其全部绑定
console-footer-bindings-open = 账号
console-key-bindings-unbind = 解绑所选绑定（同时撤销其会话）
console-footer-bindings-unbind = 解绑
console-key-bindings-jump-to-sessions = 查看该账号的会话
console-footer-bindings-jump-to-sessions = 会话
console-key-bindings-focus-history = 账号详情中：在绑定与历史记录之间切换
console-key-bindings-reset-password = 为账号设置新密码（同时撤销其在线会话）
console-footer-bindings-reset-password = 密码
console-key-dialog-toggle-option = 切换对话框选项（同时解绑全部绑定）
console-key-exchange-enter-code = 粘贴登录 code（输入隐藏）
console-footer-exchange-enter-code = code
console-key-exchange-next-app = 下一个已配置的 appid
console-footer-exchange-next-app = appid
console-key-exchange-run-exchange = 用该 code 调用 code2Session
console-footer-exchange-run-exchange = 换取
console-key-exchange-mint-code = 仅模拟器：为测试用户生成新的测试 code
console-footer-exchange-mint-code = 生成
console-key-exchange-jump-to-bindings = 在“绑定”中打开换取到的 openid
console-footer-exchange-jump-to-bindings = 绑定
console-key-audit-open = 查看记录详情
console-footer-audit-open = 详情
console-key-audit-filter = 筛选：operator=… action=… target=…
console-footer-audit-filter = 筛选
console-key-overview-jump-to-sessions = 查看来自所选失败地址的会话
console-footer-overview-jump-to-sessions = 会话
console-key-overview-revoke-from-address = 撤销来自所选失败地址的全部在线会话
console-footer-overview-revoke-from-address = 全部撤销
console-key-dialog-confirm = 确认（必须填写原因）
console-footer-dialog-confirm = 确认
console-key-dialog-cancel = 取消；批量撤销进行中时：完成当前批次后停止
console-footer-dialog-cancel = 取消
console-key-prompt-confirm = 确定
console-footer-prompt-confirm = 确定
console-key-prompt-cancel = 取消
console-footer-prompt-cancel = 取消
console-key-global-down = 下移
console-key-global-up = 上移
console-key-global-top = 第一行（最新）
console-key-global-bottom = 最后一行（最早）
console-key-global-page-down = 下一页
console-key-global-page-up = 上一页
console-key-global-back = 返回：先关闭详情，再清除筛选
console-key-global-filter = 筛选当前视图
console-footer-global-filter = 筛选
console-key-global-command-line = 命令行（:sessions username=alice、:audit、:q …）
console-key-global-refresh = 立即刷新
console-key-global-next-view = 下一个视图
console-key-global-prev-view = 上一个视图
console-key-global-show-overview = 概览视图
console-key-global-show-sessions = 会话视图
console-key-global-show-bindings = 绑定视图
console-key-global-show-exchange = 换取视图
console-key-global-show-audit = 审计日志视图
console-key-global-copy = 复制该行的 ID 到剪贴板（OSC 52）
console-key-global-copy-other = 复制该行的下一个字段（用户名…）
console-key-global-help = 本帮助
console-footer-global-help = 帮助
console-key-global-quit = 退出
console-footer-global-quit = 退出

# tabs and the help screen's headings
console-tab-sessions = 会话
console-tab-bindings = 绑定
console-tab-exchange = 换取
console-tab-audit = 审计日志
console-scope-global = 所有视图
console-scope-dialog = 确认对话框
console-scope-prompt = 输入框（: / 及其他输入）

# the help screen
console-help-scroll = { $keys } 滚动 · 按任意键关闭
console-help-commands = 命令
console-help-cmd-sessions = sessions [筛选条件]
console-help-cmd-bindings = bindings [查询]
console-help-cmd-bindings-what = openid=… [appid=…] | unionid=… | username=… | account=42 | 单个词
console-help-cmd-audit = audit [筛选条件]
console-help-cmd-export = export csv|json 文件
console-help-cmd-export-what = 在“会话”中：按当前筛选导出列表到文件（export! 覆盖已有文件）

# the frame: header, tabs, status, footer, small terminals
console-too-small = 终端窗口太小：{ $size }
console-too-small-needs = 控制台至少需要 { $size }
console-too-small-hint = 请放大窗口，或按 { $key } 退出
console-read-only-badge = 只读
console-hint-help = 帮助
console-hint-command = 命令
console-loading = 加载中…
console-footer-scroll = 滚动
console-footer-any-key = 任意键
console-footer-close = 关闭

# column headers
console-col-appid = APPID
console-col-openid = OPENID
console-col-unionid = UNIONID
console-col-account = 账号
console-col-bound = 绑定时间
console-col-last-login = 最近登录
console-col-sessions = 会话数
console-col-when = 时间
console-col-event = 事件
console-col-detail = 详情
console-col-user = 用户
console-col-outcome = 结果
console-col-latency = 耗时
console-col-session = 会话
console-col-state = 状态
console-col-created = 创建时间
console-col-last-seen = 最近访问
console-col-expires = 过期时间
console-col-client-ip = 客户端 IP
console-col-device = 设备
console-col-user-agent = 用户代理 (UA)
console-col-operator = 操作人
console-col-origin = 来源
console-col-action = 操作
console-col-target = 对象
console-col-reason = 原因

console-key-sessions-open = 查看会话详情
console-tab-overview = 概览
console-help-title = 按键
console-db-unreachable-banner = 数据库无法连接：每 2 秒重连一次；显示的是最后一次加载的数据
console-span-seconds = { $n } 秒
console-span-minutes = { $n } 分钟
console-span-hours = { $n } 小时
console-span-days = { $n } 天
console-time-in = { $span }后
console-time-ago = { $span }前

console-n-sessions = { $count ->
   *[other] { $n } 个会话
}


# the confirmation dialog
console-will-replace-key = 将替换 { $n } 个 session_key；旧的在微信侧随即失效
console-will-revoke-uncounted = 将撤销会话
console-will-revoke-live-uncounted = 将撤销在线会话
console-will-revoke-live-with-it-uncounted = 其在线会话将一并撤销
console-will-replace-key-uncounted = 将替换 session_key；旧的在微信侧随即失效
console-counting = 正在计数…（{ $what }）
console-count-failed = 无法计数：{ $error }
console-keep-bindings-needs-oncall = 保留绑定需要值班（oncall）角色：客服重置密码会解绑全部绑定
console-cancelled = 已取消：未做任何更改
console-stopping-after-batch = 完成当前批次后停止…
console-working-cannot-stop = 执行中…（单个事务无法中途停止）
console-read-only-refused = 只读：已拒绝（控制台以 --read-only 启动）
console-reason-required = 必须填写原因：原因会写入审计日志
console-still-counting = 仍在计数：请稍候
console-nothing-to-do = 无需操作：没有匹配的在线会话（按 { $key } 关闭）
console-you-are-changing = 你正在更改 { $env }
console-password-unbind-fixed = 将解绑全部绑定（保留绑定需要值班角色）
console-password-every-session-ends = 全部会话都将结束；账号所有者的手机需要使用新密码
console-password-also-unbind = 同时解绑全部绑定
console-switches = 切换
console-reason = 原因
console-reason-goes-to-audit = 原因和你的操作人名称会写入审计日志。
console-working = 执行中…
console-key-stops-after-batch = 按 { $key } 在当前批次完成后停止（已完成的批次保持撤销）
console-one-transaction = 单个事务：要么全部完成，要么全部不做
console-revoked = 已撤销 { $sessions }
console-already-revoked = { $skipped } 个已撤销或已过期
console-unbound = 已为 { $username } 解绑 { $appid }/{ $openid }：已撤销 { $sessions }
console-password-set = 密码已设置：已撤销 { $sessions }
console-binding-gone = 该绑定已不存在：未做任何更改
console-refused = 已拒绝

console-will-revoke = { $count ->
   *[other] 将撤销 { $n } 个会话
}
console-will-revoke-live = { $count ->
   *[other] 将撤销 { $n } 个在线会话
}
console-will-revoke-live-with-it = { $count ->
   *[other] 其 { $n } 个在线会话将一并撤销
}
console-revoke-stopped = 已在 { $batches } 个批次后停止：已撤销 { $sessions }；其余未受影响
console-bindings-removed = ，已解绑 { $count } 个绑定


# what a refusal names ("read-only: revoking sessions is refused")
console-verb-revoke = 撤销会话
console-verb-revoke-account = 撤销账号的会话
console-verb-revoke-openid = 撤销 openid 的会话
console-verb-unbind = 解绑
console-verb-revoke-from-address = 撤销来自某地址的全部会话
console-verb-run-exchange = 换取 code（会消耗该 code 并写入审计日志）
console-verb-check-session-key = 向微信校验 session_key（会写入审计日志）
console-verb-reset-session-key = 重置 session_key
console-verb-reset-password = 设置密码
console-verb-other = 此操作


# status lines of the app
console-export-not-at-door = SSH 入口不提供导出（文件会写在服务器上）：请改为通过入口运行 `sessions list --format csv --all > FILE`
console-export-only-in-sessions = 导出只在“会话”视图中可用：打开它、筛选，然后 :export
console-needs-role = 需要 { $role } 角色
console-refused-read-only = 已拒绝：只读
console-read-only-verb-refused = 只读：不允许{ $what }（--read-only）
console-copy-nothing = 没有选中可复制的内容
console-copy-no-other = 该行没有其他可复制的字段
console-copy-again = 再按 { $key }：下一个字段
console-db-restored = 数据库连接已恢复
console-task-panicked = 后台任务内部错误：{ $what }
console-not-typed = 未输入：{ $why }

console-n-chars = { $count } 个字符


# copy (y / Y)
console-copied = 已复制 { $what }：{ $value }（到你终端的剪贴板）
console-copy-field-public-session-id = 公开会话 ID
console-copy-field-openid = openid
console-copy-field-username = 用户名
console-copy-field-account-id = 账号 ID
console-copy-field-appid = appid
console-copy-field-unionid = unionid
console-copy-field-client-address = 客户端地址
console-copy-field-user-agent = 用户代理
console-copy-field-target = 对象
console-copy-field-operator = 操作人
console-copy-field-action = 操作
console-copy-field-origin = 来源
console-copy-field-reason = 原因


# the Sessions view
console-sessions-filter-set = 会话：{ $filter }
console-no-session-with-token = 没有会话使用该 SessionId（SessionId 只有按签发时的完整值才有效）
console-export-running = 正在导出到 { $path }：按 { $key } 取消
console-exporting-to = 正在导出到 { $path }… 按 { $key } 取消
console-export-cancelling = 正在取消导出到 { $path }…
console-exported = 已导出 { $sessions } 到 { $path }
console-export-cancelled = 导出已取消：未写入 { $path }
console-export-failed = 导出失败，未写入 { $path }：{ $error }
console-filter-cleared-sessions = 已清除筛选：显示全部在线会话
console-marks-cleared = 已清除标记
console-showing-inactive = 同时显示已撤销和已过期的会话（按 { $key } 隐藏）
console-showing-live-only = 只显示在线会话
console-only-live-can-be-marked = { $id } 的状态是：{ $state }；只能标记在线会话
console-too-many-marks = 最多标记 { $max } 个：请改为按账号或 openid 撤销（{ $account } / { $openid }）
console-no-session-selected = 未选中会话
console-already-state = { $id } 的状态已是：{ $state }
console-revoke-session-title = 撤销会话
console-field-session = 会话
console-field-account = 账号
console-field-app = 小程序
console-field-client = 客户端
console-and-n-more = {" "}等另外 { $n } 个
console-field-sessions = 会话
console-field-accounts = 账号
console-revoke-account-title = 撤销账号的全部会话
console-field-scope = 范围
console-scope-every-live-session = 全部在线会话，包括所有小程序
console-revoke-openid-title = 撤销 openid 的全部会话
console-refreshed = 已刷新
console-token-prompt = SessionId（输入隐藏，只比对哈希，不保存）
console-token-hint = 粘贴 SessionId；按 { $accept } 计算哈希并查找，按 { $cancel } 取消
console-no-token-given = 未输入 SessionId
console-paste-ignored-sessions = 已忽略粘贴：请先按 { $key } 再按 SessionId 查找会话
console-state-active = 在线
console-state-expired = 已过期
console-state-revoked = 已撤销

console-revoke-marked-title = { $count ->
   *[other] 撤销 { $n } 个已标记的会话
}


# detail panes: field labels
console-field-wechat-api = 微信接口
console-field-account-id = 账号 ID
console-field-action = 操作
console-field-binding = 绑定
console-field-client-ip = 客户端 IP
console-field-created = 创建时间
console-field-detail = 详情
console-field-disabled = 已停用
console-field-expires = 过期时间
console-field-last-seen = 最近访问
console-field-latency = 耗时
console-field-meaning = 含义
console-field-name = 名称
console-field-origin = 来源
console-field-reason = 原因
console-field-result = 结果
console-field-revoked = 撤销时间
console-field-state = 状态
console-field-stored-key = 已存密钥
console-field-target = 对象
console-field-when = 时间
console-field-old-key = 旧密钥
console-field-what-to-do = 处理办法
console-field-revoked-by = 撤销人
console-field-device = 设备
console-field-operator = 操作人
console-field-user-agent = 用户代理
console-field-username = 用户名
console-field-audit = 审计


# WeChat errcodes: what each means and what to do (zh-CN in WeChat's own wording where it has one)
errcode-meaning-busy = 系统繁忙，此时请开发者稍候再试
errcode-meaning-invalid-code = 不合法或已过期的code（js_code无效）：code 错误、超过 5 分钟，或属于另一个小程序
errcode-meaning-code-used = code 已被使用，每个 code 只能使用一次
errcode-meaning-high-risk-user = 高风险等级用户，小程序登录拦截
errcode-meaning-rate-limited = API 调用太频繁，请稍候再试（该用户每分钟的 code2Session 配额已用完）
errcode-meaning-invalid-app-id = 不合法的AppID
errcode-meaning-invalid-app-secret = AppSecret 错误或不属于该 appid
errcode-meaning-ip-not-whitelisted = 调用被拒绝：本服务器的 IP 不在接口 IP 白名单中
errcode-meaning-missing-app-id = 缺少 appid 参数
errcode-meaning-missing-secret = 缺少 secret 参数
errcode-meaning-missing-code = 缺少 code 参数
errcode-meaning-invalid-credential = 获取 access_token 时 AppSecret 错误，或者 access_token 无效
errcode-meaning-token-expired = access_token 超时
errcode-meaning-invalid-token = 不合法的 access_token
errcode-meaning-missing-token = 缺少 access_token 参数
errcode-meaning-daily-quota = 该接口的每日调用配额已用完
errcode-meaning-app-secret-frozen = 该小程序的 AppSecret 已被冻结
errcode-meaning-stale-session-key = session_key 已不匹配：已过期，或已被新的 wx.login() 替换
errcode-meaning-invalid-sig-method = 微信不接受请求的签名方式
errcode-meaning-force-refresh-refused = 未发送强制刷新 access_token 的请求，以免超出微信的限制（每天 20 次，间隔 30 秒）
errcode-meaning-other = 微信返回了本程序不认识的错误码
errcode-meaning-timeout = 微信未在规定时间内应答
errcode-meaning-connect = 无法连接微信接口服务
errcode-meaning-transport = 与微信接口服务的连接中断
errcode-meaning-http-status = 微信接口服务返回了 HTTP 错误状态
errcode-meaning-not-json = 微信接口服务返回的内容不是 JSON
errcode-meaning-unexpected-json = 微信接口服务返回的 JSON 不是该接口应有的结果
errcode-meaning-no-app-configured = 未配置小程序（appid 和 AppSecret）
errcode-meaning-unknown-app = 此处未配置该 appid
errcode-meaning-ambiguous-app = 配置了多个小程序，但没有指定使用哪一个
errcode-meaning-setup = 无法初始化微信客户端
errcode-meaning-mock-rejected = 微信模拟器拒绝生成 code
errcode-action-busy = 等几秒后重试；如果持续出现，查看微信的服务状态，并把 rid 提供给微信客服
errcode-action-invalid-code = 让用户重新登录以获取新的 code，并检查小程序和本服务器使用的是同一个 appid
errcode-action-code-used = 让用户重新登录以获取新的 code；如果经常出现，检查是否有客户端或代理把同一请求发送了两次
errcode-action-high-risk-user = 本服务器无需处理；需由用户与微信解决
errcode-action-rate-limited = 等到下一分钟；检查是否有客户端在循环重试
errcode-action-invalid-app-id = 对照微信公众平台，检查 WXLOGIN_APPID 或配置文件 [[apps]] 中的 appid
errcode-action-invalid-app-secret = 检查 AppSecret（WXLOGIN_APP_SECRET/_FILE 或配置文件）；它可能已在微信公众平台被重置
errcode-action-ip-not-whitelisted = 在微信公众平台把本服务器的公网 IP 加入接口 IP 白名单
errcode-action-missing-app-id = 请求构造有误；检查配置的 appid 和 AppSecret 不为空
errcode-action-missing-code = 小程序发送了空的 code；让用户重新登录
errcode-action-invalid-credential = 检查 AppSecret，并确认没有其他程序为该 appid 调用 /cgi-bin/token（每次调用都会使上一个 token 失效）
errcode-action-token-expired = 稍后重试一次；如果持续出现，检查本服务器与微信之间是否有东西改动了请求
errcode-action-daily-quota = 等到明天（微信每天重置配额），或在微信公众平台重置配额；检查是否有调用方在循环调用
errcode-action-app-secret-frozen = 在微信公众平台解冻或重置 AppSecret，然后更新配置
errcode-action-stale-session-key = 用户需重新登录（wx.login()）以保存新的 session_key；或为该会话重置密钥
errcode-action-invalid-sig-method = 请求构造有误：sig_method 必须是 hmac_sha256
errcode-action-force-refresh-refused = 稍后重试；如果微信一直拒绝新的 token，检查是否有其他程序在使用该 appid 的 AppSecret
errcode-action-other = 在微信文档中查询该错误码，并把 rid 提供给微信客服
errcode-action-timeout = 稍后重试；如果持续出现，检查到微信的网络路径和配置的超时
errcode-action-connect = 检查 WXLOGIN_WECHAT_BASE_URL（或 [wechat] base_url）、DNS、防火墙和代理设置
errcode-action-transport = 稍后重试；如果持续出现，检查本服务器与微信之间的代理
errcode-action-http-status = 微信或中间的代理出现故障；稍后重试，并检查 base URL 指向的是微信接口服务
errcode-action-not-json = 应答的不是微信（代理或门户页面？）；检查 base URL 和网络路径
errcode-action-unexpected-json = 检查 base URL 指向的是微信接口服务，而不是别的服务
errcode-action-no-app-configured = 设置 WXLOGIN_APPID 和 WXLOGIN_APP_SECRET_FILE（或 WXLOGIN_APP_SECRET），或在配置文件中添加 [[apps]]
errcode-action-unknown-app = 使用已配置的 appid，或把该 appid 加入配置文件的 [[apps]]
errcode-action-ambiguous-app = 明确指定小程序的 appid
errcode-action-setup = 检查环境变量和配置文件中的微信设置
errcode-action-mock-rejected = 使用模拟器启动时指定的 appid（--app）和非空的用户


# key hints inside panes
console-hint-revoke = 撤销
console-hint-all-of-account = 整个账号
console-hint-all-of-openid = 整个 openid
console-hint-account-in-bindings = 在“绑定”中查看账号
console-hint-back = 返回
console-hint-check-session-key = 校验 session_key
console-hint-reset-session-key = 重置 session_key


# the Sessions view: session_key, titles, empty states
console-key-check-failed = 校验失败
console-key-reset-failed = 重置失败
console-key-valid = session_key 有效
console-key-stale-text = 密钥已过期或已被新的 wx.login() 替换；用户需要重新登录
console-key-stale = session_key 已失效（{ $errcode }）：{ $stale }
console-key-reset-status = session_key 已重置：新密钥已保存到 { $sessions }
console-key-already-checking = 正在校验 { $id } 的 session_key
console-key-checking-status = 正在向微信校验 { $id } 的 session_key…
console-key-wait-check = 请等待 session_key 校验完成
console-key-reset-title = 重置 session_key
console-key-checking = 正在向微信校验…
console-key-valid-at = 有效（校验于 { $at }）
console-key-stale-at = 已失效：{ $errcode } — { $stale }（校验于 { $at }）
console-key-stale-what-to-do = 请用户重新打开小程序（重新 wx.login()），或按 { $key } 让微信签发新密钥
console-key-reset-stored = 已重置：新密钥已保存（掩码 { $masked }）
console-key-reset-sessions = 该用户的 { $sessions } 现在使用它（重置于 { $at }）
console-key-old-invalid = { $old }：在微信侧已失效
console-sessions-all-states = 全部状态
console-sessions-live = 在线
console-total-estimated = ~ 总数为估算值
console-n-marked = 已标记 { $n } 个
console-loading-sessions = 正在加载会话…
console-empty-token = 没有会话使用该 SessionId
console-empty-live-sessions = 暂无在线会话
console-empty-sessions-filter = 没有符合筛选条件的会话（按 { $key } 清除筛选）
console-unknown = 未知
console-session-detail = 会话详情

console-exporting-rows = 正在导出 { $rows } 行… 按 { $key } 取消

console-paste-ignored = 已忽略粘贴：请先按 { $key }
console-paste-ignored-exchange = 已忽略粘贴：请先按 { $key } 再粘贴登录 code
console-paste-ignored-overview = 已忽略粘贴：概览没有输入框

console-overview-seen = 最近出现 { $when }
console-no-binding-matches = 没有匹配的绑定
console-bindings-start = 查找一个微信用户对应的账号。
console-bindings-precise-search = 精确搜索


# Audit and Bindings
console-audit-title = 审计日志
console-audit-empty = 暂无操作记录
console-audit-empty-filter = 没有符合筛选条件的记录（按 { $key } 清除筛选）
console-n-found = 找到 { $n } 条
console-searching = 搜索中…
console-history-title = 历史记录
console-newest-first = 最新的在前
console-newest-first-scroll = 最新的在前；按 { $key } 滚动
console-loading-history = 正在加载历史记录…
console-history-empty = 该账号暂无事件记录

console-n-events = { $count } 个事件


# Exchange
console-exchanging = 换取中…
console-reading-token-cache = 正在读取 token 缓存…
console-exchange-history-title = 本次运行的换取记录

console-cannot-load = 无法加载{ $what }
console-could-not-load = 无法加载{ $what }：{ $error }
console-noun-sessions = 会话
console-noun-audit-log = 审计日志
console-filter-cleared = 已清除筛选

console-sessions-filter-prompt = 筛选（username= account= appid= openid= unionid= ip= id= all）：
console-audit-filter-prompt = 筛选（operator= action= target=）：

console-audit-entry = 审计记录

console-retention-title = 会话保留
console-retention-never = 上次清理：从未
console-retention-last = 上次清理 { $when }：{ $by } 用 { $secs } 秒删除了 { $n ->
   *[other] { $count } 个会话
}；下次清理 { $next }
console-retention-running = 正在清理：{ $holder }
console-retention-backlog = 可清理积压：约 { $count }（估算），{ $date } 之前结束的会话

console-history-day-event = 会话
console-history-day-detail = { $day } · 创建 { $created } 个会话，撤销 { $revoked } 个

# 概览
console-overview-as-of = 截至 { $when }
console-overview-load-failed = 加载概览失败
console-overview-live = 在线会话
console-overview-estimate = 约 { $count }（估算）
console-overview-refresh-failed = 上次刷新失败：{ $error }
console-overview-per-minute = 每分钟，最近 { $minutes } 分钟
console-overview-logins = 登录
console-overview-failures = 失败
console-overview-revocations = 撤销
console-overview-spark-numbers = 当前 { $now } 最高 { $max } 共 { $sum }
console-overview-addresses = 登录失败的地址，最近 { $minutes } 分钟
console-overview-address-keys = { $sessions } 会话  { $revoke } 全部撤销
console-overview-none = 无
console-overview-address-failed = { $count } 次失败
console-overview-outcomes = 登录结果，最近 { $minutes } 分钟
console-overview-no-login = 暂无登录记录
console-overview-errcode = 错误码 { $code }：{ $meaning }
console-overview-instances = 实例：{ $up } 个运行中，{ $stale } 个无心跳，{ $stopped } 个已停止
console-overview-no-address = 未选中登录失败的地址
console-overview-revoke-title = 撤销来自某个地址的全部会话
console-overview-field-address = 地址
console-overview-field-failures = 失败次数
console-overview-field-scope = 范围
console-overview-failures-recent = 最近 { $minutes } 分钟内 { $count } 次
console-overview-scope-address = 从该地址登录的全部在线会话
console-outcome-silent = 已登录（已绑定）
console-outcome-bound = 已登录，并把微信用户绑定到了账号
console-outcome-binding-required = 要求输入账号和密码以绑定（首次登录的正常步骤）
console-outcome-binding-conflict = 该微信用户或该账号已绑定在别处
console-outcome-binding-limit = 该账号在此小程序的绑定数已达上限 max_bindings_per_app
console-outcome-invalid-credentials = 绑定时用户名或密码错误
console-outcome-account-locked = 密码多次错误，账号已锁定
console-outcome-account-disabled = 账号已停用
console-outcome-rate-limited = 被本服务的登录限流拒绝
console-outcome-bad-request = 客户端发送的请求格式错误
console-outcome-wechat-other = 微信返回了本程序不认识的错误码
console-outcome-wechat-unreachable = 微信没有应答（超时、连接失败或应答无效）
console-outcome-error = 内部错误（见服务日志）
console-outcome-unknown = 本控制台不认识的结果（显示为 other）
console-outcome-do-account-locked = 如账号本人要求，解锁账号（在「绑定」视图或用 wxlogin accounts）
console-outcome-do-look-at-address = 如果下面某个地址占了大多数，查看它的会话
console-outcome-do-wechat-unreachable = 检查到微信的网络路径和各实例的日志
console-outcome-do-error = 查看这几分钟前后的服务日志

# 换取
console-exchange-config-error = 微信配置有误：{ $error }
console-exchange-no-app = 未配置任何小程序：请设置 WXLOGIN_APPID 和 WXLOGIN_APP_SECRET_FILE，或在配置文件中添加 [[apps]]
console-exchange-client-error = 无法使用微信接口：{ $error }
console-exchange-no-data-key = 没有数据密钥：保存的 session_key 用它加密；请把 WXLOGIN_DATA_KEY_FILE（或配置文件中的 data_key_file）设为服务使用的密钥
console-exchange-data-key-error = 数据密钥无法使用：{ $error }
console-exchange-key-tools-need = 校验 session_key 需要已配置的小程序和数据密钥
console-exchange-code-prompt = 登录 code（输入隐藏）
console-exchange-running = 已有一次换取正在进行
console-exchange-exchanging-with = 正在向 { $url } 换取 code…
console-exchange-no-user = 未输入测试用户
console-exchange-done = 换取成功，用时 { $latency }：openid { $openid }
console-exchange-failed = 换取失败：{ $error }
console-exchange-not-audited = { $text }；审计记录未写入：{ $error }
console-exchange-minted = 已为 { $user } 生成测试 code：按 { $key } 换取
console-exchange-mint-failed = 无法生成 code：{ $error }
console-exchange-none-yet = 还没有换取记录
console-exchange-failed-no-openid = 这次换取失败了：没有可查找的 openid
console-exchange-mint-needs-emulator = 只能向内置模拟器（本机回环地址上的 `wxlogin mock-wechat`）生成测试 code；本控制台连接的是 { $url }
console-exchange-mint-prompt = 模拟器测试用户
console-exchange-code-cleared = 已清除 code
console-exchange-no-code = 未输入 code
console-exchange-needs-app = 换取需要已配置的小程序（见上方）
console-exchange-hint-emulator = 按 { $mint } 为模拟器用户生成测试 code；按 { $run } 换取
console-exchange-hint-paste = 按 { $paste } 粘贴 wx.login() 得到的 code；按 { $run } 换取
console-exchange-tokens-title = Access token（用于 checkSessionKey、resetUserSessionKey）
console-exchange-forced-today = 今日强制刷新：{ $used } / { $limit } 次
console-exchange-token-cached = 已缓存至 { $until }（{ $left } 后过期）
console-exchange-token-not-cached = 未缓存
console-exchange-token-not-fetched = 尚未获取（首次使用时获取）
console-exchange-last-errcode = 上次错误：错误码 { $code }：{ $meaning }
console-exchange-last-error-meaning = 上次错误：{ $meaning }（{ $error }）
console-exchange-last-error = 上次错误：{ $error }
console-exchange-what-to-do = 处理建议：{ $action }
console-exchange-now = 现在
console-exchange-none-configured = 未配置
console-exchange-emulator = 模拟器
console-exchange-no-code-yet = 无：按 { $key } 粘贴
console-exchange-minted-for = 为 { $user } 生成
console-exchange-form-title = 测试登录 code（code2Session）
console-exchange-history-empty = 暂无数据
console-exchange-bound-to = 已绑定到 { $username }（#{ $id }）：按 { $key } 在「绑定」中打开
console-exchange-not-bound = 未绑定：首次登录时会要求输入用户名和密码
console-exchange-lookup-failed = 无法查询：{ $error }
console-exchange-errcode = 错误码 { $code }
console-exchange-result-failed = 失败
console-exchange-not-recorded = 未记录：{ $error }
console-exchange-result-title = 结果
console-exchange-result-ok = 成功

# 绑定：账号面板、重置密码和解绑对话框
console-bindings-search-failed = 无法搜索绑定
console-bindings-no-such-account = 没有这个账号
console-bindings-account-failed = 无法加载账号
console-bindings-history-failed = 无法加载历史记录
console-bindings-no-account-selected = 未选中账号
console-bindings-no-binding-selected = 未选中绑定
console-bindings-search-prompt = 搜索（openid、unionid、用户名、账号 ID）
console-bindings-open-account-first = 请先打开一个账号
console-bindings-account-title = 账号
console-bindings-loading-account = 正在加载账号…
console-bindings-disabled-since = 是，自 { $when } 起
console-bindings-extra = 该账号在 { $appid } 中有 { $n } 个绑定：可能有第二个人在使用这个密码
console-bindings-of-account = 该账号的绑定
console-bindings-of-account-counts = { $apps } 个小程序中 { $bindings } 个绑定，{ $live } 个在线会话
console-bindings-none-bound = 该账号没有绑定任何微信身份
console-password-prompt = 新密码（输入隐藏）
console-password-prompt-hint = 输入新密码（{ $min }-{ $max } 个字符）；按 { $key } 取消
console-password-length = 密码须为 { $min } 到 { $max } 个字符（现在是 { $n } 个）；未做任何更改
console-password-repeat = 再次输入新密码（输入隐藏）
console-password-repeat-hint = 再输入一次；按 { $key } 取消
console-password-differ = 两次输入的密码不一致；未做任何更改
console-password-title = 设置新密码
console-password-after = 旧密码立即失效；已登录的手机须重新登录
console-field-after = 之后
console-unbind-title = 解绑微信身份
console-unbind-after = 该微信用户下次登录时会要求输入用户名和密码

# `:export` 和命令行的解析错误（命令、键名和文件格式照原样输入）
console-export-usage = 用法：:export csv 文件 或 :export json 文件
console-export-unknown-format = 未知的导出格式 { $format }：请用 csv 或 json
console-export-no-file = 用法：:export csv 文件 或 :export json 文件（缺少文件名）
console-export-exists = { $path } 已存在：未写入任何内容（要替换它，请用 :export! { $format } { $path }）
console-export-not-a-file = { $path } 不是文件名
console-export-cannot-create = 无法在 { $dir } 中创建文件：{ $error }
console-export-cannot-write = 无法写入 { $path }：{ $error }
console-export-appeared = 导出期间出现了 { $path }：未写入任何内容（要替换它，请用 :export!）
console-export-write-failed = 写入失败：{ $error }
console-export-read-failed = 读取会话失败：{ $error }
console-filter-needs-value = { $key }= 需要一个值
console-filter-account-numeric = { $key }= 是数字账号 ID；按用户名筛选请用 username={ $value }
console-filter-no-typed-token = SessionId 从不在命令行输入：请在「会话」中按 { $key }（输入隐藏）
console-filter-unknown-session-key = 未知的筛选条件 { $key }=：可用 username=、account=（数字 ID）、appid=、openid=、unionid=、ip=、id=（ses_…）、all
console-filter-unknown-audit-key = 未知的筛选条件 { $key }=：可用 operator=、action=、target=
console-filter-unknown-search-key = 未知的搜索条件 { $key }=：可用 openid= [appid=]、unionid=、username=、account=（数字 ID）或直接输入一个词
console-command-empty = 请输入命令：sessions、bindings、exchange、audit、q
console-command-unknown = 未知命令 :{ $command }：可用 :sessions、:bindings、:exchange、:audit、:q

# the header of a console through the SSH door
console-door-label = SSH 入口 · 角色 { $role }

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
service-error-database-busy = 登录数据库正在处理该用户的并发修改，请重试
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

# 操作层的句子（src/present/refusal.rs）
present-err-reason-required = 必须填写原因：它会写入审计日志
present-err-no-code = 未输入 code：请粘贴 wx.login() 得到的 code
present-err-no-session-token = 没有会话使用这个 SessionId；请检查是否给出了完整的 token
present-err-already-ended = 会话 { $id } { $state }；无需撤销
present-err-no-binding = 小程序 { $appid } 中没有 openid { $openid } 的绑定；请用 `wxlogin bindings show` 查找
present-err-no-public-id = 没有公开 ID 为 { $id } 的会话；请用 `wxlogin sessions list` 列出会话
present-err-export-not-audited = 导出的审计记录无法写入（{ $error }）
present-err-check-not-audited = 已完成校验，但审计记录无法写入（{ $error }）；不显示结果
present-err-key-not-stored = 微信已签发新的 session_key，但无法保存（{ $error }）；保存的密钥在微信侧已失效：用户须重新登录
present-err-key-undecryptable = 会话 { $id }：{ $error }；请检查 WXLOGIN_DATA_KEY(_FILE) 是否为登录服务使用的密钥

# `wxlogin exchange` 和 session_key 命令的可读输出（--json 保持英文）
cli-label-result = 结果
cli-label-bound = 绑定
cli-label-meaning = 含义
cli-label-what-to-do = 处理办法
cli-errcode-no-answer = -（微信没有应答）
cli-exchange-ok-in = 成功，用时 { $ms } ms
cli-exchange-failed-after = 失败，用时 { $ms } ms
cli-exchange-no-unionid = -（只有小程序绑定到微信开放平台账号时，微信才返回 unionid）
cli-exchange-not-bound = 否：首次用用户名和密码登录时会绑定
cli-exchange-bound-yes = 是：账号 { $username }（ID { $id }{ $disabled }），绑定于 { $since }，最近登录 { $last }，{ $sessions } 个在线会话
cli-exchange-disabled = ，已停用

# `wxlogin accounts`：提示、错误、确认和结果（--json 保持英文）
cli-password-none = 没有给出密码：请在提示处输入，或从标准输入传入一行
cli-password-too-short = 密码太短（{ $n } 个字符）：至少需要 { $min } 个
cli-password-too-long = 密码太长（{ $n } 个字符）：最多 { $max } 个
cli-password-prompt = { $username } 的密码（不回显）：
cli-password-repeat = 再次输入密码：
cli-password-differ = 两次输入的密码不一致；请重新运行命令
cli-account-exists = 已有名为 { $username } 的账号；请换一个用户名
cli-account-created = 已创建账号 { $username }（ID { $id }）
cli-account-not-found = 没有名为 { $username } 的账号；请检查拼写（用户名区分大小写）
cli-account-field-username = 用户名
cli-account-field-id = ID
cli-account-field-display-name = 显示名称
cli-account-field-created = 创建时间
cli-account-field-disabled = 已停用
cli-account-no-bindings = 没有微信绑定
cli-unlock-confirm = 解锁账号 { $username }（ID { $id }）的密码？
cli-unlock-not-locked = 账号 { $username } 未被锁定；无需解锁（已记入审计日志）
cli-unlocked = 已解锁账号 { $username }：其密码从任何地址都可再次使用
cli-disable-already = 账号 { $username } 已停用；未做任何更改
cli-disable-confirm = 停用账号 { $username }（ID { $id }）并撤销其 { $live } 个在线会话？
cli-disable-raced = 账号 { $username } 已被其他人同时停用；未做任何更改
cli-disabled = 已停用账号 { $username }（ID { $id }）；撤销了 { $revoked } 个会话
cli-set-password-unbind = ，并解除全部微信绑定
cli-set-password-confirm = 为账号 { $username }（ID { $id }）设置新密码，撤销其 { $live } 个在线会话{ $unbind }？
cli-password-was-set = 已为账号 { $username }（ID { $id }）设置新密码；撤销了 { $revoked } 个会话
cli-password-bindings-removed = ；解除了 { $removed } 个绑定

# `wxlogin bindings unbind` 和 `sessions reset-key`：确认和结果
cli-unbind-target = 小程序 { $appid } 中的 openid { $openid }
cli-unbind-no-binding = 没有 { $target } 的绑定；请用 `wxlogin bindings show --openid` 核对 openid 和 appid
cli-unbind-confirm = 将 { $target } 从账号 { $username }（ID { $id }）解绑，并撤销其 { $live } 个在线会话？
cli-unbind-raced = { $target } 已被其他人同时解绑；未做任何更改
cli-unbound = 已将 { $target } 从账号 { $username }（ID { $id }）解绑；撤销了 { $revoked } 个会话
cli-reset-key-confirm = 重置会话 { $id }（{ $appid } 中的 openid { $openid }）的微信 session_key？当前密钥会立即在微信侧失效

# `wxlogin stats` 的可读输出（--json 保持英文；表头和结果名照原样）
cli-stats-live = 在线会话：{ $count }{ $estimate }
cli-stats-estimate = （估算）
cli-stats-purge-last = 上次会话清理：{ $at }，{ $by } 用 { $secs } 秒删除了 { $n } 个；下次清理 { $next }
cli-stats-purge-next-unknown = 在某个服务实例下次检查时
cli-stats-purge-never = 上次会话清理：从未
cli-stats-purge-running = 正在清理会话：{ $holder }
cli-stats-purge-unfinished = 会话清理：上次运行未完成，下次运行会继续
cli-stats-backlog = 可清理积压（估算）：约 { $sessions } 个在 { $cutoff } 之前结束的会话
cli-stats-backlog-off = 可清理积压：未开启保留期清理（[retention] sessions_after_days = 0）
cli-stats-instances = 实例：列出 { $listed } 个，其中 { $up } 个运行中（运行中 = 最近 { $secs } 秒内有心跳）
cli-stats-logins-since = 自 { $since } 起按结果统计的登录：
cli-stats-none-recorded = 暂无记录
cli-stats-revoked-since = 自 { $since } 起操作人撤销的会话：{ $count }
cli-stats-addresses-none = 登录失败的客户端地址：无
cli-stats-addresses = 登录失败的客户端地址（失败次数）：

# `wxlogin sessions revoke --token-stdin` 和 `sessions purge`
cli-revoke-token-question = 撤销这个 SessionId 的会话？
cli-purge-dry-run = 试运行：{ $cutoff } 之前结束（已过期或已撤销）的会话有 { $n } 个；未做任何更改
cli-purge-question = 删除 { $cutoff } 之前已过期或已撤销的全部会话？在线会话会保留。

# `wxlogin sessions check-key | reset-key` 的可读输出（--json 保持英文）
cli-key-label-session = 会话
cli-key-label-expires = 过期时间
cli-key-label-old-key = 旧密钥
cli-key-label-new-key = 新密钥
cli-key-label-stored-on = 已保存到
cli-key-session-revoked = （会话已撤销）
cli-key-session-expired = （会话已过期）
cli-key-valid = 有效：微信确认这是该用户当前的密钥（{ $ms } ms）
cli-key-check-stale = 已失效：{ $meaning }（{ $ms } ms）
cli-key-check-error = 出错：{ $meaning }（{ $ms } ms）
cli-key-stored-on = { $count } 个会话：{ $ids }
cli-key-reset-done = 已重置，用时 { $ms } ms；旧密钥在微信侧已失效
cli-key-reset-failed = 失败：{ $meaning }（{ $ms } ms）
cli-key-no-data-key = 没有数据密钥：保存的 session_key 用它加密；请把 WXLOGIN_DATA_KEY_FILE（或 WXLOGIN_DATA_KEY，或配置文件中的 data_key_file）设为登录服务使用的密钥
cli-key-session-gone = 该会话在此期间已不存在
cli-key-stale = 保存的 session_key 已失效（87009）：用户重新登录过，或密钥已过期；用它解密用户数据会失败。请让用户重新登录
cli-key-check-failed = checkSessionKey 调用失败：{ $error }
cli-key-reset-stale = 微信拒绝重置（87009）：保存的密钥已失效，无法为请求签名；只有用户重新登录才能解决
cli-key-reset-call-failed = resetUserSessionKey 调用失败：{ $error }

# `wxlogin audit` 和 `audit archive` 的可读输出（--json 保持英文）
cli-audit-none = 没有匹配的审计记录
cli-since-bad = { $flag } { $text } 不是时间；请用 RFC 3339（2026-11-21T09:00:00Z）、日期（2026-11-21）或时长（30m、12h、7d）
cli-archive-exists = { $file } 已存在；归档从不覆盖文件：请换一个文件名
cli-archive-question = 把 { $before } 之前的审计记录写入 { $file }，然后从数据库中删除？
cli-archive-written = wxlogin: 已写入 { $n } 条审计记录
cli-archive-verified = wxlogin: 文件已校验（{ $n } 条记录）；正在从数据库删除
cli-archive-deleted = wxlogin: 已删除 { $n } 条记录
cli-archive-done = 已把 { $before } 之前的 { $n } 条审计记录归档到 { $file }（{ $bytes } 字节，SHA-256 { $sha256 }）

# `wxlogin exchange`：换取失败时的结尾一行，以及输入错误
cli-exchange-call-failed = code2Session 调用失败：{ $error }
cli-exchange-code-prompt = code（不回显）：
cli-exchange-no-code = 未输入 code；请把 wx.login() 得到的 code 作为参数给出，或加 --code-stdin 从标准输入传入

# 命令自身的错误（退出码不变）
cli-err-no-session-id = 标准输入中没有 SessionId；请用管道传入，例如 `wxlogin sessions show --token-stdin < token.txt`
cli-err-session-id-prompt = SessionId（不回显）：
cli-err-too-many-ids = 一次最多 { $max } 个公开 ID；请改用 --account、--openid 或 --appid --all 撤销
cli-err-no-such-public-ids = 没有会话使用给出的公开 ID；请用 `wxlogin sessions list` 列出会话
cli-err-none-live = 给出的会话都不在线（{ $unknown } 个不存在，{ $inactive } 个已撤销或已过期）；无需撤销
cli-err-revoked-meanwhile = 这些会话已被其他人同时撤销；没有剩下需要撤销的
cli-err-no-account-named = 没有名为 { $username } 的账号；请用 `wxlogin accounts show` 核对拼写
cli-err-no-account-id = 没有 ID 为 { $id } 的账号；请用 `wxlogin bindings show` 查找
cli-err-no-account-id-history = 没有 ID 为 { $id } 的账号；`wxlogin bindings show --openid O` 或 `accounts show USERNAME` 会显示账号的 ID
cli-err-history-whose = 请指定查看谁的记录：USERNAME 或 --account ID
cli-err-revoke-interrupted = 已在第 { $batches } 批后中断：撤销了 { $revoked } 个会话，其余仍在线；再次运行同一命令即可完成
cli-err-purge-busy = 另一个清理正在运行（{ $holder }）；未做任何更改；请在它结束后重试
cli-err-purge-interrupted = 已中断：已完成的批次已删除，其余仍保留；再次运行同一命令即可完成
cli-err-reason-blank = --reason 必须说明原因；它会写入审计日志
cli-err-bad-cursor = --after 不是本命令输出的游标；请从上一页复制 next_cursor
cli-err-bindings-whose = 请指定查看谁的绑定：--openid、--unionid、--username 或 --account
cli-err-no-binding-for = { $what } 没有绑定；该用户尚未用用户名和密码完成首次登录
cli-bindings-what-openid-in = 小程序 { $appid } 中的 openid { $openid }
cli-bindings-what-openid = openid { $openid }
cli-bindings-what-unionid = unionid { $unionid }
cli-bindings-what-username = 用户名 { $username }
cli-bindings-what-account = 账号 { $id }

# `wxlogin sessions purge`：进度和结果
cli-purge-progress = wxlogin: 已清理 { $n } 个会话（第 { $batch } 批）
cli-purge-bar-batch = 第 { $batch } 批
cli-purge-resumed = 先完成了上次中断的清理：{ $n } 个会话
cli-purge-done = 已分 { $batches } 批清理 { $cutoff } 之前结束的 { $n } 个会话（{ $secs } 秒）
cli-purge-done-interrupted = 已中断：已分 { $batches } 批清理 { $cutoff } 之前结束的 { $n } 个会话（{ $secs } 秒）
cli-purge-bar-purged = 个会话已清理
cli-purge-bar-stop = 按 Ctrl-C 会在本批结束后停止
cli-revoke-bar-revoked = 个会话已撤销
cli-bar-eta = 预计剩余

# 一次失败的微信调用，写成一行（src/present/wechat.rs）；errcode、rid、主机名和微信的 errmsg 原样保留
present-wechat-rid = rid { $rid }
present-wechat-no-rid = 无 rid
present-wechat-none = 无
present-wechat-unlabelled = 未标明类型的内容
present-wechat-line-errcode = { $meaning }（errcode { $code }，{ $rid }，来自 { $host }）：{ $action }
present-wechat-line-busy = { $meaning }（errcode -1，{ $rid }）已尝试 { $attempts } 次，来自 { $host }：{ $action }
present-wechat-line-other = { $meaning }：errcode { $code }，errmsg "{ $errmsg }"（{ $rid }，来自 { $host }）：{ $action }
present-wechat-line-timeout = { $meaning }：{ $host } 在 { $ms } ms 内没有应答：{ $action }
present-wechat-line-detail = { $meaning }：{ $host }（{ $detail }）：{ $action }
present-wechat-line-http-status = { $meaning }：{ $host } 返回 HTTP { $status }：{ $action }
present-wechat-line-not-json = { $meaning }：{ $host } 返回 HTTP 200 和 { $bytes } 字节的 { $kind }：{ $action }
present-wechat-line-unexpected-json = { $meaning }（{ $problem }，来自 { $host }）：{ $action }
present-wechat-line-plain = { $meaning }：{ $action }
present-wechat-line-unknown-app = { $meaning }（请求的是 { $appid }，已配置：{ $known }）：{ $action }
present-wechat-line-ambiguous-app = { $meaning }（已配置：{ $known }）：{ $action }
present-wechat-line-setup = { $meaning }：{ $detail }：{ $action }
present-wechat-line-force-refresh = { $meaning }（appid { $appid }：{ $reason }）：{ $action }
present-wechat-line-mock = { $meaning }：{ $host }（HTTP { $status }：{ $message }）：{ $action }
present-wechat-force-gap = 上次强制刷新在 { $since } 秒前，微信要求两次之间至少间隔 { $gap } 秒；请在 { $wait } 秒后重试
present-wechat-force-daily = 过去 24 小时已强制刷新 { $n } 次，达到微信的每日上限；下一次可在 { $wait } 分钟后进行
cli-err-appid-alone-here = --appid 用于缩小 --openid 的范围，或与 --all 一起选中整个小程序；不能与这种选择方式同时使用
cli-err-all-needs-appid = --all 需要 --appid：请指定要撤销哪个小程序的会话
cli-err-retention-off = [retention] sessions_after_days = 0 表示永久保留会话；如仍要清理，请给出 --older-than
present-err-archive-future = --before 是将来的时间：只能归档已经写入的记录
present-err-archive-partial = { $file }.partial 已存在（上次归档没有完成；其中的记录仍在数据库中）：请删除它或换一个文件名
present-err-archive-none = { $before } 之前没有审计记录；无需归档
present-err-archive-stopped = 已中断：{ $file } 已完整写入并校验；没有删除任何审计记录
present-err-archive-stopped-deleting = 已在删除 { $count } 条记录中的 { $deleted } 条后中断；全部记录都在 { $file } 中（已校验）；请用新文件名再次运行以归档其余记录
cli-migrate-done = { $url }：数据库结构已是最新

# 从标准输入读取的一行：它是什么，以及它有什么问题
cli-field-password = 密码
cli-field-password-repeat = 再次输入的密码
cli-field-code = code
cli-field-session-id = SessionId
cli-field-answer = 回答
cli-field-on-stdin = 标准输入中的{ $field }
cli-stdin-too-long = { $what }超过 { $max } 字节（从标准输入读取一行的上限）；没有做任何更改，标准输入的其余部分未被读取
cli-stdin-not-utf8 = { $what }不是 UTF-8 文本
cli-secret-too-long = { $field }超过 { $max } 字节（从标准输入读取一行的上限）
