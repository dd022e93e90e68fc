/* store.h: the store as its callers include it, in four parts:
 * store/records.h   the rows ops read and write, and the helpers that free them
 * store/ops.h       STORE_OPS: every op a backend implements, and store_NAME()
 * store/runtime.h   store_open/close, the reader pool, the group-commit writer
 * store/backends.h  which backend a --db value names */
#ifndef OPSTASKS_STORE_H
#define OPSTASKS_STORE_H

#include "store/backends.h"
#include "store/ops.h"
#include "store/records.h"
#include "store/runtime.h"

#endif
