-- 010_sla_clock: SLA clocks that stop while the team waits on the customer,
-- restart on an escalation, clear a breach when the deadline moves later,
-- warn once when at risk, and take their hours from a policy by priority.

-- sla_started_at: the clock's start (NULL: created_at, for the tasks of
-- before; every write sets it). sla_paused_at: the pause in progress while
-- waiting on the customer (NULL: not waiting). sla_paused_ms: the SLA time
-- of the finished pauses of this clock (working time with a business-hours
-- calendar), added to the deadline. sla_risk_recorded: the sweeper has
-- written the task's sla_at_risk line for this clock (reset when the clock
-- restarts or the deadline moves out of the risk window). sla_by_policy:
-- sla_hours came from the SLA policy (or its none), not from someone's hand.
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS sla_started_at bigint;
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS sla_paused_at bigint;
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS sla_paused_ms bigint NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS sla_risk_recorded integer NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS sla_by_policy integer NOT NULL DEFAULT 0;

-- The sweeper's at-risk work list: running clocks past their 80% instant
-- whose warning is not written yet.
CREATE INDEX IF NOT EXISTS tasks_sla_risk_unrecorded ON tasks (sla_risk_at)
    WHERE sla_risk_recorded = 0 AND sla_risk_at IS NOT NULL AND sla_paused_at IS NULL
      AND status IN ('OPEN', 'IN_PROGRESS');

-- One row: the SLA hours by priority (NULL: no SLA for that priority);
-- absent = no SLA for any.
CREATE TABLE IF NOT EXISTS sla_policy (
    id integer PRIMARY KEY CHECK (id = 1),
    urgent double precision,
    high double precision,
    medium double precision,
    low double precision,
    updated_at bigint NOT NULL
);

-- The SLA report reads the clock's start and pauses too: the covering index
-- of migration 001 again, with them.
DROP INDEX IF EXISTS tasks_by_sla_due;
CREATE INDEX tasks_by_sla_due ON tasks (sla_due_at, status, created_at, completed_at, prio, source, assignee_id,
                                        user_id, sla_started_at, sla_paused_at, sla_paused_ms)
    WHERE sla_due_at IS NOT NULL;
