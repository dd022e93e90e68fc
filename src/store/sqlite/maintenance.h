/* maintenance.h (sqlite): what `opstasks backup` and `opstasks check` do to a
 * database file, outside the server's store: an online copy with SQLite's
 * backup API, and the integrity, schema and stats-totals checks. Both work
 * on their own connections while a server may be running on the file. */
#ifndef OPSTASKS_SQLITE_MAINTENANCE_H
#define OPSTASKS_SQLITE_MAINTENANCE_H

#include <stdbool.h>
#include <stdint.h>

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

enum { CHECK_INTEGRITY, CHECK_FOREIGN_KEYS, CHECK_SCHEMA, CHECK_STATS, CHECK__COUNT };

struct check_result {
    const char *name;  /* "integrity", "foreign keys", "schema", "stats totals" */
    bool ok;
    char detail[512];
};

/* Runs every check on the database at path, read-only. Returns 0 with
 * out[CHECK__COUNT] filled (each check fails on its own, an unreadable
 * table included), or -1 with e->message set when the file cannot be
 * opened at all. */
int sqlite_check(const char *path, struct check_result out[CHECK__COUNT], struct errinfo *e);

#endif
