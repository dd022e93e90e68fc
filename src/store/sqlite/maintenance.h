/* maintenance.h (sqlite): what `opstasks backup` and `opstasks check` do to a
 * database file, outside the server's store: an online copy with SQLite's
 * backup API, and the integrity, schema, stats-totals and table-list checks. Both work
 * on their own connections while a server may be running on the file. */
#ifndef OPSTASKS_SQLITE_MAINTENANCE_H
#define OPSTASKS_SQLITE_MAINTENANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/tables.h"
#include "util/err.h"

struct backup_stats {
    long pages;       /* pages copied */
    long page_size;   /* bytes */
    long steps;       /* backup steps taken */
    long busy_waits;  /* steps retried after SQLITE_BUSY/LOCKED */
};

/* Copies the database at src into dst, which must not exist: into a
 * temporary file next to dst (synced), then renamed into place without
 * replacing a file that appeared meanwhile. The copy is the database as of
 * one instant (one read transaction; in WAL mode it never blocks the
 * server's writer). Returns 0, or -1 with e->message set (nothing is left
 * at dst, the temporary file is removed). */
int sqlite_backup(const char *src, const char *dst, struct backup_stats *stats, struct errinfo *e);

/* The database's real columns as "table.column" (sqlite_schema and
 * pragma table_info; SQLite's own tables and schema_migrations left out):
 * 0 with *names (caller frees it and each entry), or -1. copy.c. */
struct sqlite3;
int sqlite_schema_columns(struct sqlite3 *db, char ***names, int *n);

/* `opstasks check` (the check_db op, ops.h) is sqlite_check_db, declared
 * with the other ops in internal.h. */

#endif
