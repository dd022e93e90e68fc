-- rules.sql: the workflow rules benchmark's rule set for its speed goal:
-- 1,000 enabled rules over 50 event types (bench.t0 .. bench.t49), 20 per
-- type. Rule k of a type matches data.slot = k % 10, so an event with a slot
-- of 0-9 matches exactly 2 of its type's 20 rules; each makes a task with a
-- rendered title, assigned round-robin over 3 staff members.
INSERT INTO staff (id, name, email, active, created_at, updated_at) VALUES
    ('sta_b0', 'Bench Zero', NULL, 1, 0, 0), ('sta_b1', 'Bench One', NULL, 1, 0, 0),
    ('sta_b2', 'Bench Two', NULL, 0, 0, 0), ('sta_b3', 'Bench Three', NULL, 1, 0, 0);
INSERT INTO customers (id, name, email, owner_id, created_at, updated_at) VALUES
    ('cus_bench', 'Bench Customer', NULL, 'sta_b0', 0, 0);
DELETE FROM rules;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
INSERT INTO rules (id, event_type, enabled, definition, created_at, updated_at)
SELECT printf('rul_b%04d', i), printf('bench.t%d', i / 20), 1,
       printf('{"name":"Bench %d","enabled":true,"event_type":"bench.t%d","conditions":['
              || '{"field":"data.slot","op":"eq","value":%d},{"field":"data.kind","op":"in","value":["a","b","c"]}],'
              || '"task":{"title":"Follow up {{data.kind}} for {{customer.name}} (rule %d)",'
              || '"description":"Slot {{data.slot}}: {{data.reason}}","priority":"HIGH","due_in_days":2,'
              || '"sla_hours":24,"assignee":{"round_robin":["sta_b0","sta_b1","sta_b2","sta_b3"]}}}',
              i, i / 20, i % 10, i),
       0, 0
FROM n;
