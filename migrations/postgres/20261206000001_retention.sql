-- Session retention and the audit log's archive (issue 24).
--
-- maintenance_leases: one row per fleet-wide chore (`sessions.purge`). Whoever holds an
-- unexpired lease does the chore; every batch renews the lease in its own transaction and
-- only while the row still names its holder, so two instances never purge at once. The row
-- also carries the unfinished run (its cutoff, how far the walk got and what it removed so
-- far), so that a run killed mid-way is finished by the next holder, and the last finished
-- run, for `wxlogin stats` and the console.
CREATE TABLE maintenance_leases (
    name              TEXT PRIMARY KEY,
    holder            TEXT,
    lease_until       TIMESTAMPTZ,
    run_cutoff        TIMESTAMPTZ,
    run_started_at    TIMESTAMPTZ,
    run_started_by    TEXT,
    run_cursor_at     TIMESTAMPTZ,
    run_cursor_id     BIGINT,
    run_removed       BIGINT NOT NULL DEFAULT 0,
    run_batches       BIGINT NOT NULL DEFAULT 0,
    last_finished_at  TIMESTAMPTZ,
    last_cutoff       TIMESTAMPTZ,
    last_removed      BIGINT,
    last_batches      BIGINT,
    last_duration_ms  BIGINT,
    last_by           TEXT,
    -- Sessions that ended before this were removed (account history says so).
    purged_before     TIMESTAMPTZ,
    next_due_at       TIMESTAMPTZ
);

-- The purge walks sessions_newest (created_at, id) from the oldest row up to the cutoff and
-- deletes the rows of each bounded range that expired or were revoked before the cutoff: no
-- index on expires_at or revoked_at is added, since either would turn the HOT updates of
-- GET /me's touch and of a revoke back into updates of every index.

-- `wxlogin audit archive` is the one way to remove audit rows: in the transaction that deletes
-- a verified batch it sets `wxlogin.audit_archive` (SET LOCAL) to the highest id written to
-- the verified file, and only rows up to that id may go. Every other UPDATE or DELETE, and
-- TRUNCATE, is still refused.
CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    permit TEXT := current_setting('wxlogin.audit_archive', true);
BEGIN
    IF TG_OP = 'DELETE' AND TG_LEVEL = 'ROW' AND permit IS NOT NULL AND permit <> ''
       AND OLD.id <= permit::bigint THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
