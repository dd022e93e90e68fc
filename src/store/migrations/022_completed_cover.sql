-- 022_completed_cover: "Done today" sorted without reading every row.
--
-- The view finds today's completions by completed_at, sorts them by the
-- queue order and keeps a page. With only completed_at in the index, every
-- completion of the window was read whole into the sorter (1,886 rows,
-- 0.9 ms at 1,000,000 tasks) to keep 51. With the status and the queue
-- order's columns in the index, the sort reads the index alone and only
-- the page's rows are read (store/sqlite/queue.c). It replaces
-- tasks_by_completed (same rows, same first column); it is partial on
-- completed_at, so a create writes no entry in it.
CREATE INDEX IF NOT EXISTS tasks_by_completed_order ON tasks (completed_at, status, due_date, prio, created_at, id)
    WHERE completed_at IS NOT NULL;
DROP INDEX IF EXISTS tasks_by_completed;
