-- 012_comments: notes staff write on a task ("called the customer, waiting
-- for the scan"), oldest first by their time-ordered id. mentions is the
-- JSON array of the active staff ids the body named. A task keeps how many
-- it has (comment_count), bumped by the insert without touching its version.
CREATE TABLE task_comments (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    mentions TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL
);
CREATE INDEX task_comments_by_task ON task_comments (task_id, id);
ALTER TABLE tasks ADD COLUMN comment_count INTEGER NOT NULL DEFAULT 0;
