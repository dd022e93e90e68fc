/* ops.h (pg): the PostgreSQL backend as the rest of the store sees it: its
 * ops table, which store/backends.c names in its table of backends. */
#ifndef OPSTASKS_PG_OPS_H
#define OPSTASKS_PG_OPS_H

#include <stddef.h>

#include "store/ops.h"

extern const struct store_ops store_pg_ops;

/* A connection URI with its password replaced by ***, for messages. */
void pg_display_uri(const char *uri, char *out, size_t n);

#endif
