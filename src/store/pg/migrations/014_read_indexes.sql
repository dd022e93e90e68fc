-- The page's "Done today" tab and its count (SQLite's 020_read_indexes): only
-- finished tasks are in it, so a create writes nothing more.
CREATE INDEX IF NOT EXISTS tasks_by_completed ON tasks (completed_at) WHERE completed_at IS NOT NULL;
