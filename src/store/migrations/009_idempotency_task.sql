-- 009_idempotency_task: an idempotency key keeps the id and version of the
-- task its answer shows, so a replay sets Location and ETag without reading
-- the stored answer back; keys stored before this take them from it once.
ALTER TABLE idempotency_keys ADD COLUMN task_id TEXT;
ALTER TABLE idempotency_keys ADD COLUMN task_version INTEGER;
UPDATE idempotency_keys SET task_id = json_extract(response, '$.id'), task_version = json_extract(response, '$.version')
 WHERE status <> 0 AND json_valid(response);
