-- 015_comment_seq: a number on each comment in commit order, for the live
-- feed (GET /ops/stream) to read comments past a position as it reads
-- task_history by its seq. comment_add gives the next one inside the
-- writer's transaction (one write transaction at a time on the file), so a
-- reader that has seen N has seen every comment below it; comment ids are
-- time-ordered per server only.
ALTER TABLE task_comments ADD COLUMN seq INTEGER;
UPDATE task_comments SET seq = rowid;
CREATE UNIQUE INDEX task_comments_by_seq ON task_comments (seq);
