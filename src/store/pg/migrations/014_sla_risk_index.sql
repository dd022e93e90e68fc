-- The active tasks' 80% instants in order (SQLite's 020_sla_risk_index): the
-- cache of rendered answers asks for the next one in one index step.
CREATE INDEX IF NOT EXISTS tasks_sla_risk_active ON tasks (sla_risk_at)
    WHERE sla_risk_at IS NOT NULL AND status IN ('OPEN', 'IN_PROGRESS');
