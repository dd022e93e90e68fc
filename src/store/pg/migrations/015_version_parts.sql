-- 015_version_parts (SQLite's 023_version_parts): a data version for each
-- part of the tasks, so that a change no view of a part can show leaves
-- that view's cached answer.
--
-- data_version (013) moves with every statement that changes tasks. Beside
-- a stream of creates every view was made again after each commit, even the
-- ones a new task cannot be in: Overdue and Done today for an OPEN task due
-- next month, Unassigned and other people's My work for a task assigned to
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
-- at the change's transaction. The server's today is at most a day ahead
-- of UTC's in any timezone, so a task due later is not overdue before the
-- server's next midnight, with a day to spare for clocks that disagree;
-- every answer is made again at midnight anyway.
-- A statement that changes tasks moves the parts its rows were in and are
-- in (its transition tables); a rename of a customer moves them all. An
-- instance reads the sum of the parts a view's statuses and assignees can
-- be in (store/records.c store_version_parts, which numbers them as here):
-- the parts only rise, so the sum moves whenever one of them does.
-- data_version still moves with every change, for the reads of every task
-- (stats, lists filtered by neither), and every trigger moves it first: the writer holding
-- that row is the only one that can be moving parts, so two transactions
-- never wait on each other's parts (no deadlock between the parts' rows).
-- Not data: `opstasks copy` leaves it, as it leaves data_version.
-- IF NOT EXISTS / OR REPLACE: the migration may run again over its own result.
CREATE TABLE IF NOT EXISTS data_version_parts (
    part integer PRIMARY KEY CHECK (part BETWEEN 8 AND 55),
    v bigint NOT NULL
);
INSERT INTO data_version_parts (part, v) SELECT n, 1 FROM generate_series(8, 55) n
    ON CONFLICT (part) DO NOTHING;

CREATE OR REPLACE FUNCTION data_version_part(status text, due_date text, assignee_id text) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT (CASE status WHEN 'OPEN' THEN 1 WHEN 'IN_PROGRESS' THEN 3 WHEN 'COMPLETED' THEN 5 ELSE 6 END
            + CASE WHEN status IN ('OPEN', 'IN_PROGRESS')
                    AND due_date < to_char((now() AT TIME ZONE 'UTC')::date + 2, 'YYYY-MM-DD') COLLATE "C"
                   THEN 1 ELSE 0 END) * 8
         + CASE WHEN assignee_id IS NULL THEN 0 ELSE 1 + ascii(right(assignee_id, 1)) % 7 END
$$;

CREATE OR REPLACE FUNCTION data_version_tasks_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_version SET v = v + 1 WHERE id = 1;
    IF TG_OP = 'INSERT' THEN
        UPDATE data_version_parts SET v = v + 1
         WHERE part IN (SELECT data_version_part(status, due_date, assignee_id) FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE data_version_parts SET v = v + 1
         WHERE part IN (SELECT data_version_part(status, due_date, assignee_id) FROM old_rows);
    ELSE
        UPDATE data_version_parts SET v = v + 1
         WHERE part IN (SELECT data_version_part(status, due_date, assignee_id) FROM new_rows
                        UNION SELECT data_version_part(status, due_date, assignee_id) FROM old_rows);
    END IF;
    RETURN NULL;
END $$;

-- a customer's rename: every part
CREATE OR REPLACE FUNCTION data_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_version SET v = v + 1 WHERE id = 1;
    UPDATE data_version_parts SET v = v + 1;
    RETURN NULL;
END $$;

-- transition tables allow one event per trigger
DROP TRIGGER IF EXISTS data_version_tasks ON tasks;
DROP TRIGGER IF EXISTS data_version_tasks_insert ON tasks;
DROP TRIGGER IF EXISTS data_version_tasks_update ON tasks;
DROP TRIGGER IF EXISTS data_version_tasks_delete ON tasks;
CREATE TRIGGER data_version_tasks_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION data_version_tasks_bump();
CREATE TRIGGER data_version_tasks_update AFTER UPDATE ON tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION data_version_tasks_bump();
CREATE TRIGGER data_version_tasks_delete AFTER DELETE ON tasks REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION data_version_tasks_bump();
