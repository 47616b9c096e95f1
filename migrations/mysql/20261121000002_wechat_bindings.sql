-- One WeChat identity (appid, openid) belongs to at most one account; an account may be bound
-- in several mini programs. MySQL has no partial indexes: the unionid index holds NULLs too.
-- Lengths: an index key may hold 3072 bytes, and utf8mb4 takes up to 4 bytes a character, so
-- (appid, openid) is at most 255 + 512 characters (WeChat's are 18 and 28).
CREATE TABLE IF NOT EXISTS wechat_bindings (
    id            BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    appid         VARCHAR(255) NOT NULL,
    openid        VARCHAR(512) NOT NULL,
    unionid       VARCHAR(512),
    account_id    BIGINT NOT NULL,
    bound_at      DATETIME(6) NOT NULL,
    last_login_at DATETIME(6),
    UNIQUE KEY wechat_bindings_appid_openid (appid, openid),
    KEY wechat_bindings_openid (openid),
    KEY wechat_bindings_unionid (unionid),
    KEY wechat_bindings_account (account_id),
    CONSTRAINT wechat_bindings_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
