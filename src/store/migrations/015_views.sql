-- 015_views: saved views of the queue. A view is a name and a GET
-- /ops/tasks query string; its id is chosen by whoever makes it (viw_...),
-- one namespace for everyone. owner is the actor who made it (a staff id,
-- or token:ID); shared views are seen by everyone, the others by their
-- owner alone.
CREATE TABLE views (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    shared INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX views_by_owner ON views (owner);
CREATE INDEX views_shared ON views (shared) WHERE shared = 1;
