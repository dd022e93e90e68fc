-- 005_renewals: the renewals engine (issue 4). Renewable items (documents of
-- customers that expire), the renewal policy, and one row per action the
-- engine took; tasks it made carry the item's id in renewal_id.
ALTER TABLE tasks ADD COLUMN renewal_id TEXT;
-- GET /ops/tasks?renewal_id= and the engine's "latest task of this item".
CREATE INDEX tasks_by_renewal ON tasks (renewal_id, id) WHERE renewal_id IS NOT NULL;

-- next_due is the day the next threshold not yet acted on is crossed (NULL
-- when none is left): a pass reads only the items with next_due <= today,
-- through the partial index, never the whole table.
CREATE TABLE renewal_items (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    kind TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    assignee_id TEXT REFERENCES staff(id),
    next_due TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX renewal_items_by_customer ON renewal_items (customer_id, id);
CREATE INDEX renewal_items_next_due ON renewal_items (next_due, id) WHERE next_due IS NOT NULL;

CREATE TABLE renewal_policy (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    title TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE renewal_thresholds (
    days_before INTEGER PRIMARY KEY,
    priority TEXT NOT NULL CHECK (priority IN ('LOW', 'MEDIUM', 'HIGH', 'URGENT')),
    due_in_days INTEGER NOT NULL,
    sla_hours REAL
);
INSERT INTO renewal_policy (id, title, updated_at)
    VALUES (1, 'Renew {kind} for {customer_name} (expires {expires_on})', 0);
INSERT INTO renewal_thresholds (days_before, priority, due_in_days, sla_hours) VALUES
    (90, 'LOW', 30, NULL), (60, 'MEDIUM', 14, NULL), (30, 'HIGH', 7, NULL), (14, 'URGENT', 2, 24);

-- Exactly one action per (item, expiry date, threshold): the primary key
-- refuses a second one, whichever engine, retry or restart tries it.
-- Rows outlive their item, so deleting and re-adding it acts nothing twice.
CREATE TABLE renewal_actions (
    renewal_id TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    days_before INTEGER NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('created', 'escalated')),
    task_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (renewal_id, expires_on, days_before)
) WITHOUT ROWID;
