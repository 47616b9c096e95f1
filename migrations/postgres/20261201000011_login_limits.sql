-- The login limiter's counters, shared by every `wxlogin serve` instance so that N instances
-- enforce one budget. One row per (key, fixed window): `pw:ADDRESS` password attempts per
-- client address, `acct:USERNAME` password failures per account name, `all:PREFIX` all logins
-- per address (IPv6 per /48). A counted attempt is one UPSERT; the service deletes windows that
-- are over, in small batches.
CREATE TABLE login_limits (
    key          TEXT NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
) WITH (fillfactor = 70);
CREATE INDEX login_limits_window ON login_limits (window_start);
