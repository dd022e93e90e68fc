/* migrations.h (pg): the numbered SQL files of src/store/pg/migrations/, the
 * PostgreSQL schema, compiled in by the Makefile (build/gen/pg_migrations.c).
 * A change of schema is a new file here and one in src/store/migrations/. */
#ifndef OPSTASKS_PG_MIGRATIONS_H
#define OPSTASKS_PG_MIGRATIONS_H

#include "store/migrations.h"

extern const struct migration pg_migrations[];
extern const int pg_migrations_count;

#endif
