-- 002_task_counts: the queue's stats bar without scanning every task.
-- Counting a million index entries takes ~100 ms here; these per (status,
-- priority, due date) totals, kept by triggers in the same transaction as
-- the task write, are a few thousand rows. OVERDUE is still derived at read
-- time: it is the active rows with due_date before today.
CREATE TABLE task_counts (
    status TEXT NOT NULL,
    prio INTEGER NOT NULL,
    due_date TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (status, prio, due_date)
) WITHOUT ROWID;

INSERT INTO task_counts (status, prio, due_date, n)
    SELECT status, prio, due_date, count(*) FROM tasks GROUP BY 1, 2, 3;

CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO task_counts (status, prio, due_date, n) VALUES (new.status, new.prio, new.due_date, 1)
        ON CONFLICT (status, prio, due_date) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER task_counts_update AFTER UPDATE OF status, prio, due_date ON tasks
    WHEN old.status IS NOT new.status OR old.prio IS NOT new.prio OR old.due_date IS NOT new.due_date
BEGIN
    UPDATE task_counts SET n = n - 1
        WHERE status = old.status AND prio = old.prio AND due_date = old.due_date;
    INSERT INTO task_counts (status, prio, due_date, n) VALUES (new.status, new.prio, new.due_date, 1)
        ON CONFLICT (status, prio, due_date) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER task_counts_delete AFTER DELETE ON tasks BEGIN
    UPDATE task_counts SET n = n - 1
        WHERE status = old.status AND prio = old.prio AND due_date = old.due_date;
END;
