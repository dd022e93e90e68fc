-- 023_version_parts: a data version for each part of the tasks, so that a
-- change no view of a part can show leaves that view's cached answer.
--
-- data_version (020) moves with every change to tasks. Beside a stream of
-- creates every view was made again after each commit, even the ones a new
-- task cannot be in: Overdue and Done today for an OPEN task due next
-- month, Unassigned and other people's My work for a task assigned to
-- someone. Each task is in one part, numbered 8 * s + a:
--   s, by its stored status and, while it is active, whether it is due
--   soon (or past) or later:
--     1 OPEN due later          2 OPEN due soon or past
--     3 IN_PROGRESS due later   4 IN_PROGRESS due soon or past
--     5 COMPLETED               6 CANCELLED
--   a, by its assignee: 0 none, else 1 + (the code of the id's last
--   character) % 7, so that a view of some people's tasks watches a few of
--   seven groups of the staff.
-- "Soon" is before the day after tomorrow in UTC, by the database's clock
-- at the change. The server's today is at most a day ahead of UTC's in any
-- timezone, so a task due later is not overdue before the server's next
-- midnight, with a day to spare for clocks that disagree; every answer is
-- made again at midnight anyway.
-- A change to a task moves the parts it was in and is in; a rename of a
-- customer moves them all (searches and every row show the name). A view
-- reads the sum of the parts its statuses and assignees can be in
-- (store/records.c store_version_parts, which numbers them as here): the
-- parts only rise, so the sum moves whenever one of them does.
-- data_version still moves with every change, for the reads of every task
-- (stats, lists filtered by neither). Not data: `opstasks copy` leaves it,
-- as it leaves data_version.
CREATE TABLE IF NOT EXISTS data_version_parts (
    part INTEGER PRIMARY KEY CHECK (part BETWEEN 8 AND 55),
    v INTEGER NOT NULL
);
WITH RECURSIVE p(n) AS (SELECT 8 UNION ALL SELECT n + 1 FROM p WHERE n < 55)
INSERT OR IGNORE INTO data_version_parts (part, v) SELECT n, 1 FROM p;

DROP TRIGGER IF EXISTS data_version_task_insert;
DROP TRIGGER IF EXISTS data_version_task_update;
DROP TRIGGER IF EXISTS data_version_task_delete;
DROP TRIGGER IF EXISTS data_version_customer_name;
DROP TRIGGER IF EXISTS data_version_task_replace;
DROP TRIGGER IF EXISTS data_version_task_replace_id;
CREATE TRIGGER data_version_task_insert AFTER INSERT ON tasks
BEGIN
    UPDATE data_version SET v = v + 1 WHERE id = 1;
    UPDATE data_version_parts SET v = v + 1
     WHERE part = (CASE NEW.status WHEN 'OPEN' THEN 1 WHEN 'IN_PROGRESS' THEN 3 WHEN 'COMPLETED' THEN 5 ELSE 6 END
                  + (NEW.status IN ('OPEN', 'IN_PROGRESS') AND NEW.due_date < date('now', '+2 days'))) * 8
                  + CASE WHEN NEW.assignee_id IS NULL THEN 0 ELSE 1 + coalesce(unicode(substr(NEW.assignee_id, -1)), 0) % 7 END;
END;
CREATE TRIGGER data_version_task_update AFTER UPDATE ON tasks
BEGIN
    UPDATE data_version SET v = v + 1 WHERE id = 1;
    UPDATE data_version_parts SET v = v + 1
     WHERE part IN ((CASE OLD.status WHEN 'OPEN' THEN 1 WHEN 'IN_PROGRESS' THEN 3 WHEN 'COMPLETED' THEN 5 ELSE 6 END
                    + (OLD.status IN ('OPEN', 'IN_PROGRESS') AND OLD.due_date < date('now', '+2 days'))) * 8
                    + CASE WHEN OLD.assignee_id IS NULL THEN 0 ELSE 1 + coalesce(unicode(substr(OLD.assignee_id, -1)), 0) % 7 END,
                    (CASE NEW.status WHEN 'OPEN' THEN 1 WHEN 'IN_PROGRESS' THEN 3 WHEN 'COMPLETED' THEN 5 ELSE 6 END
                    + (NEW.status IN ('OPEN', 'IN_PROGRESS') AND NEW.due_date < date('now', '+2 days'))) * 8
                    + CASE WHEN NEW.assignee_id IS NULL THEN 0 ELSE 1 + coalesce(unicode(substr(NEW.assignee_id, -1)), 0) % 7 END);
END;
CREATE TRIGGER data_version_task_delete AFTER DELETE ON tasks
BEGIN
    UPDATE data_version SET v = v + 1 WHERE id = 1;
    UPDATE data_version_parts SET v = v + 1
     WHERE part = (CASE OLD.status WHEN 'OPEN' THEN 1 WHEN 'IN_PROGRESS' THEN 3 WHEN 'COMPLETED' THEN 5 ELSE 6 END
                  + (OLD.status IN ('OPEN', 'IN_PROGRESS') AND OLD.due_date < date('now', '+2 days'))) * 8
                  + CASE WHEN OLD.assignee_id IS NULL THEN 0 ELSE 1 + coalesce(unicode(substr(OLD.assignee_id, -1)), 0) % 7 END;
END;
-- REPLACE, and an UPDATE OR REPLACE of an id, typed into the file delete
-- the row they replace without its delete trigger (recursive_triggers is
-- off): the part that row leaves moves here, before it goes. A create of
-- the server's finds no row (one probe of the id's index).
CREATE TRIGGER data_version_task_replace BEFORE INSERT ON tasks
BEGIN
    UPDATE data_version_parts SET v = v + 1
     WHERE part = (SELECT (CASE t.status WHEN 'OPEN' THEN 1 WHEN 'IN_PROGRESS' THEN 3 WHEN 'COMPLETED' THEN 5 ELSE 6 END
                          + (t.status IN ('OPEN', 'IN_PROGRESS') AND t.due_date < date('now', '+2 days'))) * 8
                          + CASE WHEN t.assignee_id IS NULL THEN 0 ELSE 1 + coalesce(unicode(substr(t.assignee_id, -1)), 0) % 7 END
                     FROM tasks t WHERE t.id = NEW.id);
END;
CREATE TRIGGER data_version_task_replace_id BEFORE UPDATE OF id ON tasks WHEN NEW.id IS NOT OLD.id
BEGIN
    UPDATE data_version_parts SET v = v + 1
     WHERE part = (SELECT (CASE t.status WHEN 'OPEN' THEN 1 WHEN 'IN_PROGRESS' THEN 3 WHEN 'COMPLETED' THEN 5 ELSE 6 END
                          + (t.status IN ('OPEN', 'IN_PROGRESS') AND t.due_date < date('now', '+2 days'))) * 8
                          + CASE WHEN t.assignee_id IS NULL THEN 0 ELSE 1 + coalesce(unicode(substr(t.assignee_id, -1)), 0) % 7 END
                     FROM tasks t WHERE t.id = NEW.id);
END;
CREATE TRIGGER data_version_customer_name AFTER UPDATE OF name ON customers
BEGIN
    UPDATE data_version SET v = v + 1 WHERE id = 1;
    UPDATE data_version_parts SET v = v + 1;
END;
