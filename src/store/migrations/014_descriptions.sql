-- 014_descriptions: automatic tasks say why they exist, and renewable items
-- are listed across customers.
--
-- The default rule for document.rejected now puts the event's reason in the
-- task's description. A database whose default rule nobody changed gets the
-- new definition: updated_at = created_at is the untouched default (the
-- `seeded` condition of store/tables.c, which still holds after this update,
-- as it keeps both stamps); an edited rule stays as its owner made it.
UPDATE rules SET definition =
    '{"name":"Follow up rejected documents","enabled":true,"event_type":"document.rejected","conditions":[],'
    || '"task":{"title":"Follow up: rejected {{data.document_type}}",'
    || '"description":"The customer''s {{data.document_type}} was rejected (event {{id}}). Reason: {{data.reason}}",'
    || '"priority":"HIGH",'
    || '"due_in_days":2,"sla_hours":null,"assignee":"customer_owner"}}'
WHERE id = 'rul_default_rejected_document' AND updated_at = created_at;

-- GET /ops/renewals: items of every customer by expiry date, then id.
CREATE INDEX IF NOT EXISTS renewal_items_by_expiry ON renewal_items (expires_on, id);
