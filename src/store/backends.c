/* backends.c: the storage backends this opstasks knows, and which one a
 * --db value names. store_open takes the row's ops; `opstasks backup` and
 * `check`, which work on SQLite files only, ask the same table. Adding a
 * backend is one row here (its ops NULL when it is not built in). */
#include <stdio.h>
#include <strings.h>

#include "store/backends.h"
#include "store/pg/ops.h"
#include "store/sqlite/ops.h"

static bool is_postgres_uri(const char *db)
{
    return strncasecmp(db, "postgres://", 11) == 0 || strncasecmp(db, "postgresql://", 13) == 0;
}

static bool is_anything(const char *db)
{
    (void)db;
    return true;
}

/* In order: the first row whose names() takes the value wins. */
static const struct store_backend backends[] = {
    {"postgresql", "PostgreSQL", is_postgres_uri, &store_pg_ops},
    {"sqlite", "SQLite", is_anything, &store_sqlite_ops}, /* any other value is a file's path */
};

const struct store_backend *store_backend_of(const char *db)
{
    size_t i = 0;
    while (i + 1 < sizeof backends / sizeof backends[0] && !backends[i].names(db)) i++;
    return &backends[i];
}

void store_db_display(const char *db, char *out, size_t n)
{
    if (is_postgres_uri(db))
        pg_display_uri(db, out, n);
    else
        snprintf(out, n, "%s", db);
}
