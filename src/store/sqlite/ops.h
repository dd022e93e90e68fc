/* ops.h (sqlite): the SQLite backend as the rest of the store sees it:
 * its ops table, which store/backends.c names in its table of backends.
 * (`opstasks backup` and `check` use maintenance.h.) */
#ifndef OPSTASKS_SQLITE_OPS_H
#define OPSTASKS_SQLITE_OPS_H

#include "store/ops.h"

extern const struct store_ops store_sqlite_ops;

#endif
