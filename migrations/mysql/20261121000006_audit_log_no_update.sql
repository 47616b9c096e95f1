-- audit_log is append-only: every UPDATE is refused (SQLSTATE 45000, which wxlogin reports as
-- "the database refused a change"). TRUNCATE fires no trigger: the service's user must not
-- hold the DROP privilege on audit_log.
DROP TRIGGER IF EXISTS audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only: UPDATE is not allowed';
