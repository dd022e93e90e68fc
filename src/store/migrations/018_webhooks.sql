-- 018_webhooks: webhooks and their outbox. A webhook is a URL, the event
-- types it wants (events: the JSON array as given; event_mask: one bit per
-- type of service/announce.h, what the outbox insert tests) and the secret
-- that signs each delivery. A delivery is written in the same transaction as
-- the change it tells of (the outbox), numbered by seq in commit order, and
-- sent by the sender (jobs/webhooks.c), which claims it with a lease
-- (lease_owner, lease_until) so two instances never send one at once; per
-- (webhook, task) only the oldest pending one is sent, so order is kept.
-- Each try is a row of webhook_attempts. IF NOT EXISTS: the upgrade tests
-- roll a database back to an older migration and apply the later ones again.
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    event_mask INTEGER NOT NULL,
    secret TEXT NOT NULL,
    active INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    webhook_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    data TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    first_try_at INTEGER NOT NULL,
    next_at INTEGER NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_order ON webhook_deliveries (webhook_id, task_id, seq) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, seq);
CREATE TABLE IF NOT EXISTS webhook_attempts (
    delivery_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    at INTEGER NOT NULL,
    status_code INTEGER,
    ms INTEGER NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (delivery_id, n)
);
