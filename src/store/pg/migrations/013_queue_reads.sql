-- 013_queue_reads (SQLite's 020_queue_reads): what the queue's reads need to
-- be fast and cached.

-- The data version every instance's cache of rendered answers checks with
-- one cheap read per request: moved in the same transaction by every
-- statement that changes tasks or a customer's name, whoever runs it, so a
-- read on any instance after an acknowledged write sees a new number.
-- Writes to anything else leave it. Not data: `opstasks copy` leaves it.
-- IF NOT EXISTS / OR REPLACE: the migration may run again over its own result.
CREATE TABLE IF NOT EXISTS data_version (
    id integer PRIMARY KEY CHECK (id = 1),
    v bigint NOT NULL
);
INSERT INTO data_version (id, v) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;
CREATE OR REPLACE FUNCTION data_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_version SET v = v + 1 WHERE id = 1;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS data_version_tasks ON tasks;
CREATE TRIGGER data_version_tasks AFTER INSERT OR UPDATE OR DELETE ON tasks
    FOR EACH STATEMENT EXECUTE FUNCTION data_version_bump();
DROP TRIGGER IF EXISTS data_version_customer_name ON customers;
CREATE TRIGGER data_version_customer_name AFTER UPDATE OF name ON customers
    FOR EACH STATEMENT EXECUTE FUNCTION data_version_bump();

-- The page's "Done today" tab and its count: only finished tasks are in it,
-- so a create writes nothing more.
CREATE INDEX IF NOT EXISTS tasks_by_completed ON tasks (completed_at) WHERE completed_at IS NOT NULL;
