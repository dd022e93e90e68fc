-- 003_fewer_task_indexes: each index is one more b-tree every insert writes,
-- and the writer is the bottleneck of durable creates (bench/NOTES.md).
--
-- Task ids are time-ordered (the creation millisecond, then randomness) and
-- made from the same instant as created_at, so ordering by id is ordering by
-- (created_at, id): the unique id index serves the created_at sorts.
DROP INDEX IF EXISTS tasks_by_created;

-- The sweeper's list (active, due before today, not yet recorded) held every
-- active task; the queue index answers it instead once it carries the flag.
DROP INDEX IF EXISTS tasks_overdue_unrecorded;
DROP INDEX IF EXISTS tasks_queue;
CREATE INDEX tasks_queue ON tasks (status, due_date, prio, created_at, id, overdue_recorded);
