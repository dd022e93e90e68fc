/* ops.c (sqlite): store_sqlite_ops, the SQLite backend's table, assembled
 * from the op functions of this folder's concern files (sqlite_NAME for each
 * row of STORE_OPS, declared in internal.h). */
#include "store/sqlite/ops.h"

#include "store/sqlite/internal.h"

/* One entry per row of STORE_OPS, so the table cannot miss an op. */
#define SQLITE_OP_ENTRY(kind, ret, name, params, args) .name = sqlite_##name,
const struct store_ops store_sqlite_ops = {
    .version = 1,
    .name = "sqlite",
    STORE_OPS(SQLITE_OP_ENTRY)
};
