-- The data version every instance's cache of rendered answers checks (one
-- cheap read per request): one row, bumped by each writer's transaction, so
-- a read on any instance after an acknowledged write sees a new number.
-- Not data: `opstasks copy` leaves it, and any write moves it on.
CREATE TABLE IF NOT EXISTS data_version (
    id integer PRIMARY KEY CHECK (id = 1),
    v bigint NOT NULL
);
INSERT INTO data_version (id, v) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;
