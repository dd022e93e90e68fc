-- 014_sla_counts (SQLite's 021_sla_counts): the stats bar's SLA counts from
-- one index alone.
--
-- The stats bar counts the active tasks breached and at risk "now", which
-- depends on each task's deadline, its 80% instant and whether its clock is
-- paused. With only the deadline in the active tasks' index, each count
-- read every active task's row, and the answer is made again at every SLA
-- instant and after every write. This index carries all three, so both
-- counts are one index-only scan. It replaces tasks_sla_active (same rows,
-- same key), so a create writes no more index entries than before.
CREATE INDEX IF NOT EXISTS tasks_sla_clock ON tasks (sla_due_at) INCLUDE (sla_risk_at, sla_paused_at)
    WHERE sla_due_at IS NOT NULL AND status IN ('OPEN', 'IN_PROGRESS');
DROP INDEX IF EXISTS tasks_sla_active;
