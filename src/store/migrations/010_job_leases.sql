-- Who runs the background work (the overdue sweeper, SLA checks, the
-- renewals engine, purges) when several instances share one database: the
-- owner of a lease row, renewed while it lives.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
