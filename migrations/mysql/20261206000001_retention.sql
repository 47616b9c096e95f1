-- Session retention (issue 24): one row per fleet-wide chore (`sessions.purge`), see the
-- postgres folder for the model. The audit archive's permit is in 20261121000005.
CREATE TABLE IF NOT EXISTS maintenance_leases (
    name              VARCHAR(255) NOT NULL PRIMARY KEY,
    holder            VARCHAR(255),
    lease_until       DATETIME(6),
    run_cutoff        DATETIME(6),
    run_started_at    DATETIME(6),
    run_started_by    TEXT,
    run_cursor_at     DATETIME(6),
    run_cursor_id     BIGINT,
    run_removed       BIGINT NOT NULL DEFAULT 0,
    run_batches       BIGINT NOT NULL DEFAULT 0,
    last_finished_at  DATETIME(6),
    last_cutoff       DATETIME(6),
    last_removed      BIGINT,
    last_batches      BIGINT,
    last_duration_ms  BIGINT,
    last_by           TEXT,
    -- Sessions that ended before this were removed (account history says so).
    purged_before     DATETIME(6),
    next_due_at       DATETIME(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
