-- The login database (PostgreSQL). The SQLite folder holds the same logical model.

CREATE TABLE accounts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,            -- Argon2id PHC string
    display_name  TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    disabled_at   TIMESTAMPTZ
);

-- One WeChat identity (appid, openid) belongs to at most one account; an account may be bound
-- in several mini programs.
CREATE TABLE wechat_bindings (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appid         TEXT NOT NULL,
    openid        TEXT NOT NULL,
    unionid       TEXT,
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    bound_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login_at TIMESTAMPTZ,
    CONSTRAINT wechat_bindings_appid_openid UNIQUE (appid, openid)
);
CREATE INDEX wechat_bindings_openid ON wechat_bindings (openid);
CREATE INDEX wechat_bindings_unionid ON wechat_bindings (unionid) WHERE unionid IS NOT NULL;
CREATE INDEX wechat_bindings_account ON wechat_bindings (account_id);

-- A session is never deleted: revocation marks the row. The SessionId itself is never stored,
-- only its SHA-256. appid/openid/unionid are copied from the binding so that the session
-- outlives an unbind as an audit trail.
CREATE TABLE sessions (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id           TEXT NOT NULL,
    token_hash          BYTEA NOT NULL,
    account_id          BIGINT NOT NULL REFERENCES accounts (id),
    appid               TEXT NOT NULL,
    openid              TEXT NOT NULL,
    unionid             TEXT,
    session_key_enc     BYTEA NOT NULL,       -- AES-256-GCM envelope
    created_at          TIMESTAMPTZ NOT NULL,
    last_seen_at        TIMESTAMPTZ NOT NULL,
    expires_at          TIMESTAMPTZ NOT NULL, -- min(absolute expiry, last use + idle timeout)
    absolute_expires_at TIMESTAMPTZ NOT NULL,
    revoked_at          TIMESTAMPTZ,
    revoked_by          TEXT,
    revoke_reason       TEXT,
    client_ip           TEXT,
    user_agent          TEXT,
    CONSTRAINT sessions_token_hash_len CHECK (octet_length(token_hash) = 32)
);
CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);
CREATE UNIQUE INDEX sessions_token_hash ON sessions (token_hash);
-- The console's default view: active sessions, newest first (keyset on created_at, id).
CREATE INDEX sessions_active_newest ON sessions (created_at DESC, id DESC) WHERE revoked_at IS NULL;
CREATE INDEX sessions_newest ON sessions (created_at DESC, id DESC);
CREATE INDEX sessions_account ON sessions (account_id, created_at DESC, id DESC);
CREATE INDEX sessions_openid ON sessions (openid, appid, created_at DESC, id DESC);
CREATE INDEX sessions_appid ON sessions (appid, created_at DESC, id DESC);
CREATE INDEX sessions_unionid ON sessions (unionid, created_at DESC, id DESC) WHERE unionid IS NOT NULL;
CREATE INDEX sessions_client_ip ON sessions (client_ip, created_at DESC, id DESC);

-- Operator actions. Append-only: written in the same transaction as the change it records.
CREATE TABLE audit_log (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    operator  TEXT NOT NULL,
    origin    TEXT,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    reason    TEXT,
    detail    JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_newest ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_operator ON audit_log (operator, at DESC, id DESC);
CREATE INDEX audit_log_action ON audit_log (action, at DESC, id DESC);
CREATE INDEX audit_log_target ON audit_log (target, at DESC, id DESC);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
