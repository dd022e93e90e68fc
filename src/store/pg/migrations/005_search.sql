-- 005_search: the search's index, as SQLite's 013_search. The documents
-- are normalised in C (domain/text.h) and written as tsvector literals:
-- title words weighted A, the customer's name B, description and comments
-- D; a GIN index answers `vec @@ 'word':* & ...`. search_names holds the
-- normalised names of customers and staff. Derived: `opstasks copy` leaves
-- them out and rebuilds them; the store rebuilds them at open when tasks
-- exist without documents.
CREATE TABLE search_tasks (
    task_id text COLLATE "C" PRIMARY KEY,
    vec tsvector NOT NULL
);
CREATE INDEX search_tasks_vec ON search_tasks USING gin (vec);
CREATE TABLE search_names (
    id text COLLATE "C" PRIMARY KEY,
    words text COLLATE "C" NOT NULL
);
