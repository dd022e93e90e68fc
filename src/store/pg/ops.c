/* ops.c (pg): store_pg_ops, the PostgreSQL backend's table, assembled from
 * the op functions of this folder's concern files (pg_NAME for each row of
 * STORE_OPS, declared in internal.h). */
#include "store/pg/ops.h"

#include "store/pg/internal.h"

#define PG_OP_ENTRY(kind, ret, name, params, args) .name = pg_##name,
const struct store_ops store_pg_ops = {
    .version = 1,
    .name = "postgresql",
    /* A savepoint costs PostgreSQL a subtransaction, not a walk of what came
     * before it, so a job may hold more items; each is still a round trip. */
    .each_batch = 100,
    STORE_OPS(PG_OP_ENTRY)
};
