-- 023_version_parts: a data version for each part of the tasks, so that a
-- change no view of a part can show leaves that view's cached answer.
--
-- data_version (020) moves with every change to tasks. Beside a stream of
-- creates every view was made again after each commit, even the ones a new
-- OPEN task due next month cannot be in (Overdue, Done today). Each task is
-- in one part, by its stored status and, while it is active, by whether it
-- is due soon (or past) or later:
--   1 OPEN due later          2 OPEN due soon or past
--   3 IN_PROGRESS due later   4 IN_PROGRESS due soon or past
--   5 COMPLETED               6 CANCELLED
-- "Soon" is before the day after tomorrow in UTC, by the database's clock
-- at the change. The server's today is at most a day ahead of UTC's in any
-- timezone, so a task due later is not overdue before the server's next
-- midnight, with a day to spare for clocks that disagree; every answer is
-- made again at midnight anyway.
-- A change to a task moves the parts it was in and is in; a rename of a
-- customer moves them all (searches and every row show the name). A view
-- reads the sum of its statuses' parts (store/records.c
-- task_version_parts): the parts only rise, so the sum moves whenever one of
-- them does. data_version still moves with every change, for the reads of
-- every status (stats, lists without a status filter). Not data: `opstasks
-- copy` leaves it, as it leaves data_version.
CREATE TABLE IF NOT EXISTS data_version_parts (
    part INTEGER PRIMARY KEY CHECK (part BETWEEN 1 AND 6),
    v INTEGER NOT NULL
);
INSERT OR IGNORE INTO data_version_parts (part, v) VALUES (1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (6, 1);

DROP TRIGGER IF EXISTS data_version_task_insert;
DROP TRIGGER IF EXISTS data_version_task_update;
DROP TRIGGER IF EXISTS data_version_task_delete;
DROP TRIGGER IF EXISTS data_version_customer_name;
CREATE TRIGGER data_version_task_insert AFTER INSERT ON tasks
BEGIN
    UPDATE data_version SET v = v + 1 WHERE id = 1;
    UPDATE data_version_parts SET v = v + 1
     WHERE part = CASE NEW.status WHEN 'OPEN' THEN 1 WHEN 'IN_PROGRESS' THEN 3 WHEN 'COMPLETED' THEN 5 ELSE 6 END
                  + (NEW.status IN ('OPEN', 'IN_PROGRESS') AND NEW.due_date < date('now', '+2 days'));
END;
CREATE TRIGGER data_version_task_update AFTER UPDATE ON tasks
BEGIN
    UPDATE data_version SET v = v + 1 WHERE id = 1;
    UPDATE data_version_parts SET v = v + 1
     WHERE part IN (CASE OLD.status WHEN 'OPEN' THEN 1 WHEN 'IN_PROGRESS' THEN 3 WHEN 'COMPLETED' THEN 5 ELSE 6 END
                    + (OLD.status IN ('OPEN', 'IN_PROGRESS') AND OLD.due_date < date('now', '+2 days')),
                    CASE NEW.status WHEN 'OPEN' THEN 1 WHEN 'IN_PROGRESS' THEN 3 WHEN 'COMPLETED' THEN 5 ELSE 6 END
                    + (NEW.status IN ('OPEN', 'IN_PROGRESS') AND NEW.due_date < date('now', '+2 days')));
END;
CREATE TRIGGER data_version_task_delete AFTER DELETE ON tasks
BEGIN
    UPDATE data_version SET v = v + 1 WHERE id = 1;
    UPDATE data_version_parts SET v = v + 1
     WHERE part = CASE OLD.status WHEN 'OPEN' THEN 1 WHEN 'IN_PROGRESS' THEN 3 WHEN 'COMPLETED' THEN 5 ELSE 6 END
                  + (OLD.status IN ('OPEN', 'IN_PROGRESS') AND OLD.due_date < date('now', '+2 days'));
END;
CREATE TRIGGER data_version_customer_name AFTER UPDATE OF name ON customers
BEGIN
    UPDATE data_version SET v = v + 1 WHERE id = 1;
    UPDATE data_version_parts SET v = v + 1;
END;
