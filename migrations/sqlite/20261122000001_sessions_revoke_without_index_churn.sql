-- Same index set as PostgreSQL (see its migration of the same name): the live-sessions list
-- walks sessions_newest and skips revoked and expired rows, and a revoke updates one index
-- fewer. SQLite has no heap-only updates or fillfactor, so nothing else changes here.
DROP INDEX IF EXISTS sessions_active_newest;
