-- 013_search: the search's index. The documents are normalised in C
-- (domain/text.h), so these tables only hold and index words: search_tasks
-- (FTS5: the title, the customer's name, and the rest: description and
-- comments), whose rowid is search_docs.rid (an INTEGER PRIMARY KEY, kept by
-- VACUUM, where tasks' own rowid is not), and search_names, the normalised
-- names of customers and staff (" word word", a space before each word).
-- They are derived: `opstasks copy` leaves them out and rebuilds them, and
-- the store rebuilds them at open when tasks exist without documents (this
-- migration cannot call C, so existing tasks are indexed that way).
CREATE TABLE search_docs (
    rid INTEGER PRIMARY KEY,
    task_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE search_tasks USING fts5(doc_title, doc_customer, doc_rest, tokenize = 'ascii',
                                             prefix = '2 3', detail = column);
CREATE TABLE search_names (
    id TEXT PRIMARY KEY,
    words TEXT NOT NULL
);
