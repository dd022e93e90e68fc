/* backends.h: the storage backends this opstasks knows (backends.c), and
 * which one a --db value names. */
#ifndef OPSTASKS_STORE_BACKENDS_H
#define OPSTASKS_STORE_BACKENDS_H

#include <stdbool.h>
#include <stddef.h>

#include "store/ops.h"

/* A backend as --db chooses it: `name` is its id ("sqlite", "postgresql"),
 * `label` its name in messages, names() whether a --db value is one of its
 * databases, ops NULL when it is not built into this opstasks. */
struct store_backend {
    const char *name, *label;
    bool (*names)(const char *db);
    const struct store_ops *ops;
};

/* The backend a --db value names: postgres:// and postgresql:// URIs are
 * PostgreSQL's, anything else is the path of a SQLite file. Never NULL. */
const struct store_backend *store_backend_of(const char *db);

/* db as messages and logs show it: a connection URI's password replaced by
 * ***, a file path as it is. */
void store_db_display(const char *db, char *out, size_t n);
#endif
