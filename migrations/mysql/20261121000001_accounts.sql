-- The login database (MariaDB 10.6+ / MySQL 8.0). The postgres and sqlite folders hold the same
-- logical model; this folder starts at the model's current state, one table per file.
--
-- Why one statement per file, each idempotent: MySQL-family servers commit implicitly before
-- and after every DDL statement, so a migration file is never one transaction. If a file with
-- several DDL statements failed half-way, the statements before the failure would stay applied
-- while the migration is recorded as failed ("dirty"). Here a failed file has changed nothing
-- (or, where a file has more than one statement, running it again is harmless): an operator
-- deletes its row from _sqlx_migrations and runs `wxlogin migrate` again.
--
-- Every table: InnoDB, utf8mb4 with the binary collation utf8mb4_bin. Identifiers (openid,
-- unionid, appid, public ids, usernames) therefore compare byte for byte, as on PostgreSQL and
-- SQLite: `oAbc` and `oabc` are two WeChat users, never one. MySQL's default collations are
-- case-insensitive and would make them one user with one binding (a login as someone else).
-- Timestamps are DATETIME(6) in UTC (the connection's time_zone is +00:00).
CREATE TABLE IF NOT EXISTS accounts (
    id            BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username      VARCHAR(64) NOT NULL,          -- validated: 1 to 64 characters
    password_hash TEXT NOT NULL,                 -- Argon2id PHC string
    display_name  TEXT,
    created_at    DATETIME(6) NOT NULL,
    disabled_at   DATETIME(6),
    UNIQUE KEY accounts_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
