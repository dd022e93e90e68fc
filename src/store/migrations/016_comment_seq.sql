-- 016_comment_seq: a number on each comment in commit order, for the live
-- feed (GET /ops/stream) to read comments past a position as it reads
-- task_history by its seq. comment_add gives the next one inside the
-- writer's transaction (one write transaction at a time on the file), so a
-- reader that has seen N has seen every comment below it; comment ids are
-- time-ordered per server only.
--
-- The table is made again rather than altered, so that the migration can
-- run again over its own result (ADD COLUMN has no IF NOT EXISTS): seq
-- starts as the rowid, and both go up by one per comment after.
CREATE TABLE task_comments_seq (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    mentions TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    seq INTEGER
);
INSERT INTO task_comments_seq (rowid, id, task_id, author, body, mentions, created_at, seq)
    SELECT rowid, id, task_id, author, body, mentions, created_at, rowid FROM task_comments ORDER BY rowid;
DROP TABLE task_comments;
ALTER TABLE task_comments_seq RENAME TO task_comments;
CREATE INDEX task_comments_by_task ON task_comments (task_id, id);
CREATE UNIQUE INDEX task_comments_by_seq ON task_comments (seq);
