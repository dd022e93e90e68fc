-- 011_accounts: staff who sign in as themselves. Staff gain a role and a
-- password (only its argon2id hash); tokens can expire, be revoked and show
-- when they were last used; sessions belong to a token or to a staff member
-- who gave a password, and say where they come from; invitations (the hash
-- of a link's secret), failed sign-ins for the limiter, and the audit log.
ALTER TABLE staff ADD COLUMN role TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('admin', 'agent'));
ALTER TABLE staff ADD COLUMN password_hash TEXT;
ALTER TABLE staff ADD COLUMN password_changed_at INTEGER;
ALTER TABLE staff ADD COLUMN last_login_at INTEGER;
CREATE INDEX staff_by_email ON staff (lower(email));

ALTER TABLE tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE tokens ADD COLUMN last_used_at INTEGER;
ALTER TABLE tokens ADD COLUMN revoked_at INTEGER;
ALTER TABLE tokens ADD COLUMN created_by TEXT;
CREATE INDEX tokens_by_staff ON tokens (staff_id);

-- Sessions are made again: token_id may now be NULL (a password's session).
-- The sessions there are carry on, each given an id.
CREATE TABLE sessions_new (
    hash BLOB PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    token_id TEXT REFERENCES tokens(id) ON DELETE CASCADE,
    staff_id TEXT REFERENCES staff(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    client TEXT NOT NULL DEFAULT '',
    CHECK ((token_id IS NULL) <> (staff_id IS NULL))
) WITHOUT ROWID;
INSERT INTO sessions_new (hash, id, token_id, staff_id, created_at, expires_at, last_seen_at)
    SELECT hash, 'ses_' || upper(hex(randomblob(13))), token_id, NULL, created_at, expires_at, created_at
    FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_by_staff ON sessions (staff_id);
CREATE INDEX sessions_by_token ON sessions (token_id);

CREATE TABLE invites (
    hash BLOB PRIMARY KEY,
    staff_id TEXT NOT NULL UNIQUE REFERENCES staff(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    created_by TEXT
) WITHOUT ROWID;

CREATE TABLE login_failures (
    seq INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (key, at);
CREATE INDEX login_failures_by_age ON login_failures (at);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    type TEXT NOT NULL,
    actor TEXT,
    client TEXT,
    details TEXT NOT NULL
);
CREATE INDEX audit_log_by_type ON audit_log (type, id);
CREATE INDEX audit_log_by_actor ON audit_log (actor, id);
