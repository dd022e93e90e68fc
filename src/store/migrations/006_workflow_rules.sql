-- 006_workflow_rules: events in, follow-up tasks out (issue 5).
--
-- rules: the whole rule as PUT defined it (definition, JSON), with its event
-- type and enabled flag as columns so matching reads only the enabled rules of
-- one event type through rules_by_type. rr_next is the round-robin position,
-- advanced in the same transaction as the task it assigned.
CREATE TABLE rules (
    id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    definition TEXT NOT NULL,
    rr_next INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX rules_by_type ON rules (event_type, id) WHERE enabled = 1;

-- events: what was received and what came of it. id is the caller's (POST is
-- idempotent by it); the service's own events get sys_ ids and are kept only
-- when a rule matched them. outcome is the answer POST gave, kept verbatim so
-- a repeated POST answers the same.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    user_id TEXT,
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('api', 'service')),
    depth INTEGER NOT NULL,
    data TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX events_by_type ON events (type, seq);
CREATE INDEX events_by_user ON events (user_id, seq) WHERE user_id IS NOT NULL;

-- Tasks created by rules name the rule and the event; rule_depth is the
-- task's level in a chain of rule-created tasks (0 for the others).
ALTER TABLE tasks ADD COLUMN rule_id TEXT;
ALTER TABLE tasks ADD COLUMN event_id TEXT;
ALTER TABLE tasks ADD COLUMN rule_depth INTEGER NOT NULL DEFAULT 0;

-- The editable default rule, installed once: this migration runs on a
-- database's first start with this feature, when the rule table is empty.
INSERT INTO rules (id, event_type, enabled, definition, created_at, updated_at) VALUES (
    'rul_default_rejected_document', 'document.rejected', 1,
    '{"name":"Follow up rejected documents","enabled":true,"event_type":"document.rejected","conditions":[],'
    || '"task":{"title":"Follow up: rejected {{data.document_type}}",'
    || '"description":"The customer''s {{data.document_type}} was rejected (event {{id}}). Reason: {{data.reason}}",'
    || '"priority":"HIGH",'
    || '"due_in_days":2,"sla_hours":null,"assignee":"customer_owner"}}',
    CAST(strftime('%s', 'now') AS INTEGER) * 1000, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
