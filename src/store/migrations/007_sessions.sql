-- 007_sessions: browser sign-in sessions for the /tasks page (issue 6).
-- A session stands for the API token that signed in; only a BLAKE2b hash of
-- the cookie's secret is stored, as for tokens.
CREATE TABLE sessions (
    hash BLOB PRIMARY KEY,
    token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_expires_at ON sessions (expires_at);
