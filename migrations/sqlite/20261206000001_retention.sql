-- Session retention and the audit log's archive (issue 24). Same logical change as the
-- PostgreSQL migration of the same name; timestamps are INTEGER microseconds (UTC).
CREATE TABLE maintenance_leases (
    name              TEXT PRIMARY KEY,
    holder            TEXT,
    lease_until       INTEGER,
    run_cutoff        INTEGER,
    run_started_at    INTEGER,
    run_started_by    TEXT,
    run_cursor_at     INTEGER,
    run_cursor_id     INTEGER,
    run_removed       INTEGER NOT NULL DEFAULT 0,
    run_batches       INTEGER NOT NULL DEFAULT 0,
    last_finished_at  INTEGER,
    last_cutoff       INTEGER,
    last_removed      INTEGER,
    last_batches      INTEGER,
    last_duration_ms  INTEGER,
    last_by           TEXT,
    purged_before     INTEGER,
    next_due_at       INTEGER
);

-- `wxlogin audit archive` is the one way to remove audit rows. SQLite triggers cannot read a
-- per-connection setting, so the archive inserts a permit row (the highest id written to the
-- verified file) in the transaction that deletes a batch and removes it before the commit:
-- no other connection ever sees it. Any other DELETE, and every UPDATE, is still refused.
CREATE TABLE audit_archive_permit (
    max_id INTEGER NOT NULL
);
DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_archive_permit WHERE OLD.id <= max_id)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE is not allowed');
END;
