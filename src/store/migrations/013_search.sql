-- 013_search: the search's index. The documents are normalised in C
-- (domain/text.h), so these tables only hold and index words:
-- search_docs, one row per task: its title's and its customer's words (" word
-- word", a space before each word, for the relevance rank), and, until the
-- transaction's commit indexes them, the rest (description and comments)
-- with pending = 1; search_tasks (FTS5) indexes the three, with rowid
-- search_docs.rid (an INTEGER PRIMARY KEY, kept by VACUUM, where tasks' own
-- rowid is not). The writer refreshes search_docs in each job and the commit
-- moves the pending rows into search_tasks in one statement: FTS5 writes a
-- segment per savepoint, which made every create pay for one.
-- search_names: the normalised names of customers and staff.
-- They are derived: `opstasks copy` leaves them out and rebuilds them, and
-- the store rebuilds them at open when tasks exist without documents (this
-- migration cannot call C, so existing tasks are indexed that way).
CREATE TABLE search_docs (
    rid INTEGER PRIMARY KEY,
    task_id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    customer TEXT NOT NULL,
    rest TEXT,
    pending INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX search_docs_pending ON search_docs (rid) WHERE pending = 1;
CREATE VIRTUAL TABLE search_tasks USING fts5(doc_title, doc_customer, doc_rest, tokenize = 'ascii',
                                             detail = column);
CREATE TABLE search_names (
    id TEXT PRIMARY KEY,
    words TEXT NOT NULL
);
