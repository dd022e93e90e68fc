-- 008_event_retention: the sweeper removes events received more than
-- --events-retention-days ago, oldest first, a few hundred per writer job;
-- this index finds them without reading the events' data.
CREATE INDEX events_by_received ON events (received_at);
