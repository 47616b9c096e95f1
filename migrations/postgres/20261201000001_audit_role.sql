-- The operator's role (viewer, support, oncall) on every audit row written from now on; older
-- rows keep NULL (they predate roles). Adding a column fires no row trigger, so the append-only
-- rule stands.
ALTER TABLE audit_log ADD COLUMN role TEXT;
