-- The active tasks' 80% instants in order: the cache of rendered answers
-- asks for the next one (when an answer that counts or filters by at-risk
-- stops being right by time alone) in one index step, not a scan.
CREATE INDEX IF NOT EXISTS tasks_sla_risk_active ON tasks (sla_risk_at)
    WHERE sla_risk_at IS NOT NULL AND status IN ('OPEN', 'IN_PROGRESS');
