-- Login outcomes and service instances, written by every `wxlogin serve` for the on-call's view
-- of the whole fleet (`wxlogin stats`); see the postgres folder for the model. Three tables,
-- each created only when missing, so a re-run after a failure is harmless.
CREATE TABLE IF NOT EXISTS login_stats (
    minute      DATETIME(6) NOT NULL,
    instance_id VARCHAR(255) NOT NULL,
    appid       VARCHAR(255) NOT NULL,
    outcome     VARCHAR(64) NOT NULL,
    count       BIGINT NOT NULL,
    PRIMARY KEY (minute, instance_id, appid, outcome)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS login_failures_by_address (
    minute      DATETIME(6) NOT NULL,
    instance_id VARCHAR(255) NOT NULL,
    address     VARCHAR(255) NOT NULL,
    count       BIGINT NOT NULL,
    PRIMARY KEY (minute, instance_id, address)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS service_instances (
    id           VARCHAR(255) NOT NULL PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          BIGINT NOT NULL,
    version      TEXT NOT NULL,
    listen       TEXT NOT NULL,
    started_at   DATETIME(6) NOT NULL,
    last_seen_at DATETIME(6) NOT NULL,
    stopped_at   DATETIME(6),
    KEY service_instances_last_seen (last_seen_at DESC)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
