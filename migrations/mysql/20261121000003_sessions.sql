-- A session is never deleted by a revoke: revocation marks the row (the retention purge removes
-- old ones). The SessionId itself is never stored, only its SHA-256. appid/openid/unionid are
-- copied from the binding so that the session outlives an unbind as an audit trail.
-- The indexes are those PostgreSQL ends up with after its migrations (no partial index; the
-- openid index is in time order without the appid).
CREATE TABLE IF NOT EXISTS sessions (
    id                  BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id           VARCHAR(255) NOT NULL,
    token_hash          VARBINARY(32) NOT NULL,
    account_id          BIGINT NOT NULL,
    appid               VARCHAR(255) NOT NULL,
    openid              VARCHAR(512) NOT NULL,
    unionid             VARCHAR(512),
    session_key_enc     BLOB NOT NULL,              -- AES-256-GCM envelope
    created_at          DATETIME(6) NOT NULL,
    last_seen_at        DATETIME(6) NOT NULL,
    expires_at          DATETIME(6) NOT NULL,       -- min(absolute expiry, last use + idle timeout)
    absolute_expires_at DATETIME(6) NOT NULL,
    revoked_at          DATETIME(6),
    revoked_by          TEXT,
    revoke_reason       TEXT,
    client_ip           VARCHAR(255),
    user_agent          TEXT,
    UNIQUE KEY sessions_public_id (public_id),
    UNIQUE KEY sessions_token_hash (token_hash),
    KEY sessions_newest (created_at DESC, id DESC),
    KEY sessions_account (account_id, created_at DESC, id DESC),
    KEY sessions_openid (openid, created_at DESC, id DESC),
    KEY sessions_appid (appid, created_at DESC, id DESC),
    KEY sessions_unionid (unionid, created_at DESC, id DESC),
    KEY sessions_client_ip (client_ip, created_at DESC, id DESC),
    CONSTRAINT sessions_token_hash_len CHECK (LENGTH(token_hash) = 32),
    CONSTRAINT sessions_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
