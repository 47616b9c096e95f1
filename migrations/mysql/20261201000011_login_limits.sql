-- The login limiter's counters, shared by every `wxlogin serve` instance (see the postgres
-- folder). `key` is a reserved word in MySQL: the store's queries quote it as "key" (the
-- connection runs with ANSI_QUOTES).
CREATE TABLE IF NOT EXISTS login_limits (
    `key`        VARCHAR(255) NOT NULL,
    window_start DATETIME(6) NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (`key`, window_start),
    KEY login_limits_window (window_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
