-- 020_queue_reads: what the queue's reads need to be fast and cached.

-- The data version the cache of rendered answers (api/cache.c) checks on
-- every read: one row, moved in the same transaction by every change to a
-- task (a comment moves the task's count) or to a customer's name (the
-- search matches it), whoever makes it: the server, `opstasks import`
-- beside it, SQL typed into the file. Writes to anything else (sessions,
-- leases, deliveries) leave it, so they cost no cached answer. Not data:
-- `opstasks copy` leaves it.
CREATE TABLE IF NOT EXISTS data_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    v INTEGER NOT NULL
);
INSERT OR IGNORE INTO data_version (id, v) VALUES (1, 1);
CREATE TRIGGER IF NOT EXISTS data_version_task_insert AFTER INSERT ON tasks
BEGIN UPDATE data_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_task_update AFTER UPDATE ON tasks
BEGIN UPDATE data_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_task_delete AFTER DELETE ON tasks
BEGIN UPDATE data_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_customer_name AFTER UPDATE OF name ON customers
BEGIN UPDATE data_version SET v = v + 1 WHERE id = 1; END;

-- The page's "Done today" tab and its count (status COMPLETED, completed_at
-- within today) walked every completed task through the queue's index: ~50
-- ms at 100,000 tasks, ten times that at 1,000,000. Only finished tasks are
-- in it, so a create writes nothing more.
CREATE INDEX IF NOT EXISTS tasks_by_completed ON tasks (completed_at) WHERE completed_at IS NOT NULL;
