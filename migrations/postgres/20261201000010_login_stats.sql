-- Login outcomes and service instances, written by every `wxlogin serve` for the on-call's view
-- of the whole fleet (`wxlogin stats`). Each instance keeps its own rows and writes absolute
-- counts (count = the instance's total for that minute so far): a flush that fails is simply
-- repeated, and concurrent instances never contend for a row. Readers sum over instances.

-- POST /login outcomes per minute, app and outcome (`silent`, `bound`, `wechat_40029`, …).
CREATE TABLE login_stats (
    minute      TIMESTAMPTZ NOT NULL,
    instance_id TEXT NOT NULL,
    appid       TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    count       BIGINT NOT NULL,
    PRIMARY KEY (minute, instance_id, appid, outcome)
);

-- Failed logins per client address (IPv4, or the /64 of an IPv6 address) per minute: at most
-- the top 50 addresses per instance per minute.
CREATE TABLE login_failures_by_address (
    minute      TIMESTAMPTZ NOT NULL,
    instance_id TEXT NOT NULL,
    address     TEXT NOT NULL,
    count       BIGINT NOT NULL,
    PRIMARY KEY (minute, instance_id, address)
);

-- One row per `wxlogin serve` process: up while last_seen_at is recent, stopped when
-- stopped_at is set (graceful shutdown), stale otherwise.
CREATE TABLE service_instances (
    id           TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          BIGINT NOT NULL,
    version      TEXT NOT NULL,
    listen       TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    stopped_at   TIMESTAMPTZ
);
CREATE INDEX service_instances_last_seen ON service_instances (last_seen_at DESC);
