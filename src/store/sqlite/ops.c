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
    /* Every statement in a savepoint walks SQLite's in-memory sub-journal of
     * the enclosing one, so a job's cost grows with its square: one job of
     * 500 renewals items took 4.7 s for 6,000 crossings, and one of 5,000
     * imported rows ran ~10x slower on a database of 100,000 items (see
     * bench/NOTES.md). Jobs of 25 items keep it flat, and group commit still
     * puts hundreds of them in one transaction. */
    .each_batch = 25,
    STORE_OPS(SQLITE_OP_ENTRY)
};
