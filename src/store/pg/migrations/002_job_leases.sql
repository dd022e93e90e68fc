-- Who runs the background work (the overdue sweeper, SLA checks, the
-- renewals engine, purges) when several instances share one database: the
-- owner of a lease row, renewed while it lives (SQLite's 010_job_leases).
CREATE TABLE job_leases (
    name text COLLATE "C" PRIMARY KEY,
    owner text COLLATE "C" NOT NULL,
    expires_at bigint NOT NULL
);
