-- 001_init: staff, customers, tasks with their history, tokens, idempotency keys.
CREATE TABLE staff (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    active INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    owner_id TEXT REFERENCES staff(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- status is the work status (OPEN, IN_PROGRESS, COMPLETED, CANCELLED);
-- OVERDUE is derived at read time from due_date, and overdue_recorded says
-- the sweeper (or a write) has put the automatic move in the history.
-- prio is the queue's rank: 0 URGENT, 1 HIGH, 2 MEDIUM, 3 LOW.
CREATE TABLE tasks (
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT,
    prio INTEGER NOT NULL CHECK (prio BETWEEN 0 AND 3),
    status TEXT NOT NULL CHECK (status IN ('OPEN', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED')),
    overdue_recorded INTEGER NOT NULL DEFAULT 0,
    due_date TEXT NOT NULL,
    sla_hours REAL,
    sla_due_at INTEGER,
    assignee_id TEXT REFERENCES staff(id),
    user_id TEXT REFERENCES customers(id),
    source TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    started_at INTEGER,
    completed_at INTEGER,
    cancelled_at INTEGER,
    version INTEGER NOT NULL
);

-- The queue: status filter, then the default sort (due date, priority, age).
CREATE INDEX tasks_queue ON tasks (status, due_date, prio, created_at, id);
CREATE INDEX tasks_by_priority ON tasks (status, prio, due_date, created_at, id);
CREATE INDEX tasks_by_created ON tasks (created_at, id);
CREATE INDEX tasks_by_assignee ON tasks (assignee_id, status, due_date);
CREATE INDEX tasks_by_customer ON tasks (user_id, status, due_date);
-- The sweeper's work list stays tiny: only active tasks not yet recorded overdue.
CREATE INDEX tasks_overdue_unrecorded ON tasks (due_date)
    WHERE overdue_recorded = 0 AND status IN ('OPEN', 'IN_PROGRESS');
CREATE INDEX tasks_sla_active ON tasks (sla_due_at)
    WHERE sla_due_at IS NOT NULL AND status IN ('OPEN', 'IN_PROGRESS');

CREATE TABLE task_history (
    seq INTEGER PRIMARY KEY,
    task_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    type TEXT NOT NULL,
    field TEXT,
    from_json TEXT,
    to_json TEXT
);
CREATE INDEX task_history_by_task ON task_history (task_id, seq);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    staff_id TEXT,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    body_hash BLOB NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
