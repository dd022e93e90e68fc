-- 009_search_order: the relevance sort walks each rank in document order,
-- newest document first, as SQLite's walks FTS5 rowids (queue.c): seq
-- numbers a task's document when it is made and stays when it is
-- rewritten. The documents also hold the title's and the customer's words
-- a second time under a tag ('!t' or '!c' before the word; no word of ours
-- holds a '!'), so that GIN and the planner's statistics tell the ranks
-- apart (weights are checked on the rows only). The documents of before
-- are dropped: the store makes them again at its next open (the backfill of
-- tasks without documents), numbered in task id order as a rebuild does.
TRUNCATE search_tasks;
ALTER TABLE search_tasks ADD COLUMN IF NOT EXISTS seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX IF NOT EXISTS search_tasks_by_seq ON search_tasks (seq);
