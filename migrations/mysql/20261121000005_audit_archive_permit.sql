-- `wxlogin audit archive` is the one way to remove audit rows: the transaction that deletes a
-- verified batch first inserts the batch's highest id here and deletes that row again before
-- it commits, so no other transaction ever sees it (InnoDB: uncommitted rows are invisible to
-- others). The delete trigger lets a row go only while such a permit covers its id. A session
-- variable would also work, but it outlives a failed transaction on a pooled connection.
CREATE TABLE IF NOT EXISTS audit_archive_permit (
    id     BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    max_id BIGINT NOT NULL
) ENGINE=InnoDB;
