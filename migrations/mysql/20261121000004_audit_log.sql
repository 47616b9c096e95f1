-- Operator actions. Append-only: written in the same transaction as the change it records
-- (the triggers are in the next migrations). `role` is the operator's role (viewer, support,
-- oncall); NULL on rows older than roles.
CREATE TABLE IF NOT EXISTS audit_log (
    id        BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at        DATETIME(6) NOT NULL,
    operator  VARCHAR(255) NOT NULL,
    role      VARCHAR(64),
    origin    TEXT,
    action    VARCHAR(255) NOT NULL,
    target    VARCHAR(700) NOT NULL,
    reason    TEXT,
    detail    JSON NOT NULL,
    KEY audit_log_newest (at DESC, id DESC),
    KEY audit_log_operator (operator, at DESC, id DESC),
    KEY audit_log_action (action, at DESC, id DESC),
    KEY audit_log_target (target, at DESC, id DESC)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
