/* tables.h: every table of opstasks' schema, once, as `opstasks copy` moves
 * it between databases (tables.c): its columns, its key order and which
 * columns are binary. `opstasks check` and copy compare the list with the
 * real schema of the database in hand, so a table or column added by a
 * migration but not here is reported, never silently left behind.
 * Also the results of `opstasks check`, which every backend's check_db op
 * fills. */
#ifndef OPSTASKS_STORE_TABLES_H
#define OPSTASKS_STORE_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a column's values travel as text: integers in decimal, reals with 17
 * significant digits, binary as lowercase hex, text as it is. */
enum store_col_type { COL_TEXT, COL_INT, COL_REAL, COL_BINARY };

struct store_column {
    const char *name;
    enum store_col_type type;
};

#define STORE_KEY_MAX 3

struct store_table {
    const char *name;
    const struct store_column *cols;
    int ncols;
    /* the unique key rows are read in (indexes into cols), the copy's cursor */
    int key[STORE_KEY_MAX];
    int nkey;
    /* The column a backend numbers new rows by (an identity column on
     * PostgreSQL), -1 when none: after a copy, numbering goes on past the
     * largest copied value. */
    int serial;
    /* Rows a new database holds already: those the migrations install
     * (the default rule, the renewal policy) or the triggers make as the
     * other tables' rows arrive (task_counts, metric_counters). A copy
     * replaces them with the source's. */
    bool replace;
    /* SQL condition on this table's rows that holds for the rows a
     * migration installs while nobody changed them (NULL: none): such rows
     * do not make a database "hold data". */
    const char *seeded;
};

/* In copy order: a row's references point to tables earlier in the list. */
extern const struct store_table store_tables[];
extern const int store_tables_count;

/* The tables of ours that are not in the list, because they are no data:
 * the schema's own version (each backend writes its own migrations), and
 * the search's documents (tables named search_*, SQLite's FTS5 shadow
 * tables among them): derived from the tasks, customers and staff, left out
 * of each backend's copy_columns and made again by its copy_finish. */
bool store_table_is_schema(const char *name);

/* A table's rows as text (NULL for SQL NULL): v[r * ncols + i] is column i
 * of row r. Owned by the struct; store_rows_free frees them. */
struct store_rows {
    int n, ncols;
    char **v;
};
void store_rows_free(struct store_rows *r);

/* Compares a database's real columns, names[n] "table.column" (any order;
 * a backend's internal tables left out), with the list. true when they are
 * the same set; else false with why saying what differs (the first few). */
bool store_tables_match(char **names, int n, char *why, size_t len);

/* ---- opstasks check ---- */

enum { CHECK_INTEGRITY, CHECK_FOREIGN_KEYS, CHECK_SCHEMA, CHECK_STATS, CHECK_TABLES, CHECK__COUNT };
#define CHECK_ALL ((1u << CHECK__COUNT) - 1)

struct check_result {
    const char *name;  /* "integrity", "foreign keys", "schema", "stats totals", "tables" */
    bool ok;
    bool skipped;      /* no such check on this backend (detail says why); not a failure */
    char detail[512];
};

/* Names each result and marks it not run (ok false, detail ""). */
void store_check_init(struct check_result out[CHECK__COUNT]);

#endif
