-- 019_notifications: what opstasks tells a staff member. notifications
-- holds the in-app list (read_at NULL: unread) and, in the same row, the
-- state of its email: 'pending' until the mailer (jobs/mailer.c) sends it,
-- then 'sent', or 'failed' after a day of retries; 'none' when no email
-- goes (no address, or the setting off when it was written). The mailer
-- claims a row by a conditional UPDATE of email_lease_owner/_until, so two
-- instances never send one email. notification_digests is the daily digest,
-- one row per person and day (the key decides who sends it), with the same
-- email state; notification_settings holds a member's four switches (no
-- row: all on). IF NOT EXISTS: the migration can run again over its own
-- result (the upgrade tests take a database back to an older version).
CREATE TABLE IF NOT EXISTS notifications (
    id TEXT PRIMARY KEY,
    staff_id TEXT NOT NULL,
    type TEXT NOT NULL,
    task_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at INTEGER,
    email_state TEXT NOT NULL,
    email_attempts INTEGER NOT NULL DEFAULT 0,
    email_next_at INTEGER NOT NULL,
    email_lease_owner TEXT,
    email_lease_until INTEGER
);
CREATE INDEX IF NOT EXISTS notifications_by_staff ON notifications (staff_id, id);
CREATE INDEX IF NOT EXISTS notifications_unread ON notifications (staff_id) WHERE read_at IS NULL;
CREATE INDEX IF NOT EXISTS notifications_email_due ON notifications (email_next_at) WHERE email_state = 'pending';

CREATE TABLE IF NOT EXISTS notification_digests (
    staff_id TEXT NOT NULL,
    day TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    email_state TEXT NOT NULL,
    email_attempts INTEGER NOT NULL DEFAULT 0,
    email_next_at INTEGER NOT NULL,
    email_lease_owner TEXT,
    email_lease_until INTEGER,
    PRIMARY KEY (staff_id, day)
);
CREATE INDEX IF NOT EXISTS notification_digests_due ON notification_digests (email_next_at) WHERE email_state = 'pending';

CREATE TABLE IF NOT EXISTS notification_settings (
    staff_id TEXT PRIMARY KEY,
    assigned INTEGER NOT NULL,
    mentioned INTEGER NOT NULL,
    sla_at_risk INTEGER NOT NULL,
    daily_digest INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
