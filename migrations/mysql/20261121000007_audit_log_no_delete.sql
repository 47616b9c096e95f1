-- A DELETE is refused unless the archive's permit (audit_archive_permit, see its migration)
-- covers the row.
DROP TRIGGER IF EXISTS audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_archive_permit WHERE OLD.id <= max_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only: DELETE is not allowed';
    END IF;
END;
