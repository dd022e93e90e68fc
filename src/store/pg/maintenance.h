/* maintenance.h (pg): what `opstasks check` (maintenance.c) and the copy
 * ops (copy.c) share: reading the database's real columns. */
#ifndef OPSTASKS_PG_MAINTENANCE_H
#define OPSTASKS_PG_MAINTENANCE_H

#include <libpq-fe.h>

/* The statement listing every column of our schema as "table.column"
 * (schema_migrations left out), and its result turned into *names[*n]
 * (caller frees it and each entry): 0, or -1 out of memory. */
extern const char pg_columns_sql[];
int pg_columns_of(const PGresult *res, char ***names, int *n);

#endif
