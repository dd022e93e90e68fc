-- 012_notifications: what opstasks tells a staff member (SQLite's
-- 019_notifications): the in-app list with each row's email state
-- ('none', 'pending', 'sent', 'failed') and the mailer's lease on it, the
-- daily digest (one row per person and day: the key decides who sends it)
-- and each member's four switches (no row: all on).
CREATE TABLE IF NOT EXISTS notifications (
    id text COLLATE "C" PRIMARY KEY,
    staff_id text COLLATE "C" NOT NULL,
    type text COLLATE "C" NOT NULL,
    task_id text COLLATE "C" NOT NULL,
    actor text COLLATE "C" NOT NULL,
    created_at bigint NOT NULL,
    read_at bigint,
    email_state text COLLATE "C" NOT NULL,
    email_attempts integer NOT NULL DEFAULT 0,
    email_next_at bigint NOT NULL,
    email_lease_owner text COLLATE "C",
    email_lease_until bigint
);
CREATE INDEX IF NOT EXISTS notifications_by_staff ON notifications (staff_id, id);
CREATE INDEX IF NOT EXISTS notifications_unread ON notifications (staff_id) WHERE read_at IS NULL;
CREATE INDEX IF NOT EXISTS notifications_email_due ON notifications (email_next_at) WHERE email_state = 'pending';

CREATE TABLE IF NOT EXISTS notification_digests (
    staff_id text COLLATE "C" NOT NULL,
    day text COLLATE "C" NOT NULL,
    created_at bigint NOT NULL,
    email_state text COLLATE "C" NOT NULL,
    email_attempts integer NOT NULL DEFAULT 0,
    email_next_at bigint NOT NULL,
    email_lease_owner text COLLATE "C",
    email_lease_until bigint,
    PRIMARY KEY (staff_id, day)
);
CREATE INDEX IF NOT EXISTS notification_digests_due ON notification_digests (email_next_at) WHERE email_state = 'pending';

CREATE TABLE IF NOT EXISTS notification_settings (
    staff_id text COLLATE "C" PRIMARY KEY,
    assigned integer NOT NULL,
    mentioned integer NOT NULL,
    sla_at_risk integer NOT NULL,
    daily_digest integer NOT NULL,
    updated_at bigint NOT NULL
);
