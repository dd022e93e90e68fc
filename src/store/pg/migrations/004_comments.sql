-- Comments on tasks (SQLite's 012_comments): the comments, oldest first by
-- their time-ordered id, and each task's comment_count, kept by the insert.
CREATE TABLE task_comments (
    id text COLLATE "C" PRIMARY KEY,
    task_id text COLLATE "C" NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    author text COLLATE "C" NOT NULL,
    body text COLLATE "C" NOT NULL,
    mentions text COLLATE "C" NOT NULL DEFAULT '[]',
    created_at bigint NOT NULL
);
CREATE INDEX task_comments_by_task ON task_comments (task_id, id);
ALTER TABLE tasks ADD COLUMN comment_count integer NOT NULL DEFAULT 0;
