-- The login database (SQLite, the embedded default). Same logical model as the PostgreSQL folder.
-- Timestamps are INTEGER microseconds since the Unix epoch (UTC): they sort and compare exactly.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name  TEXT,
    created_at    INTEGER NOT NULL,
    disabled_at   INTEGER
);

CREATE TABLE wechat_bindings (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    appid         TEXT NOT NULL,
    openid        TEXT NOT NULL,
    unionid       TEXT,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    bound_at      INTEGER NOT NULL,
    last_login_at INTEGER,
    UNIQUE (appid, openid)
);
CREATE INDEX wechat_bindings_openid ON wechat_bindings (openid);
CREATE INDEX wechat_bindings_unionid ON wechat_bindings (unionid) WHERE unionid IS NOT NULL;
CREATE INDEX wechat_bindings_account ON wechat_bindings (account_id);

CREATE TABLE sessions (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id           TEXT NOT NULL,
    token_hash          BLOB NOT NULL CHECK (length(token_hash) = 32),
    account_id          INTEGER NOT NULL REFERENCES accounts (id),
    appid               TEXT NOT NULL,
    openid              TEXT NOT NULL,
    unionid             TEXT,
    session_key_enc     BLOB NOT NULL,
    created_at          INTEGER NOT NULL,
    last_seen_at        INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    absolute_expires_at INTEGER NOT NULL,
    revoked_at          INTEGER,
    revoked_by          TEXT,
    revoke_reason       TEXT,
    client_ip           TEXT,
    user_agent          TEXT
);
CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);
CREATE UNIQUE INDEX sessions_token_hash ON sessions (token_hash);
CREATE INDEX sessions_active_newest ON sessions (created_at DESC, id DESC) WHERE revoked_at IS NULL;
CREATE INDEX sessions_newest ON sessions (created_at DESC, id DESC);
CREATE INDEX sessions_account ON sessions (account_id, created_at DESC, id DESC);
CREATE INDEX sessions_openid ON sessions (openid, appid, created_at DESC, id DESC);
CREATE INDEX sessions_appid ON sessions (appid, created_at DESC, id DESC);
CREATE INDEX sessions_unionid ON sessions (unionid, created_at DESC, id DESC) WHERE unionid IS NOT NULL;
CREATE INDEX sessions_client_ip ON sessions (client_ip, created_at DESC, id DESC);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    operator  TEXT NOT NULL,
    origin    TEXT,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    reason    TEXT,
    detail    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_newest ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_operator ON audit_log (operator, at DESC, id DESC);
CREATE INDEX audit_log_action ON audit_log (action, at DESC, id DESC);
CREATE INDEX audit_log_target ON audit_log (target, at DESC, id DESC);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE is not allowed');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE is not allowed');
END;
