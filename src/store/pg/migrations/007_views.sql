-- Saved views of the queue (SQLite's 015_views): a name and a GET
-- /ops/tasks query string under an id its maker chose, one namespace for
-- everyone; shared views are seen by everyone, the others by their owner.
CREATE TABLE views (
    id text COLLATE "C" PRIMARY KEY,
    owner text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    query text COLLATE "C" NOT NULL,
    shared integer NOT NULL DEFAULT 0,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX views_by_owner ON views (owner);
CREATE INDEX views_shared ON views (shared) WHERE shared = 1;
