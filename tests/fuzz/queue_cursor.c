/* Fuzz target: the queue's cursor. A cursor is base64url of
 * "v1|sort|due_date|prio_rank|created_at|id"; random text rarely decodes, so
 * the input is the text inside (encoded here) and its first byte picks the
 * sort order asked for (a cursor of another sort order must be refused). */
#include <sodium.h>
#include <stdlib.h>

#include "api/api.h"
#include "fuzz.h"

FUZZ_INIT_WITH_APP(NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const sorts[] = {"due_date", "-due_date", "priority", "created_at", "-created_at", NULL};
    if (size < 1 || size > 512) return 0;
    const char *sort = sorts[data[0] % 6];
    size_t n = sodium_base64_encoded_len(size - 1, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *cursor = malloc(n);
    if (!cursor) abort();
    sodium_bin2base64(cursor, n, data + 1, size - 1, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    struct request *r = fuzz_request("GET", NULL, NULL, 0);
    if (sort) fuzz_query(r, "sort", sort);
    fuzz_query(r, "cursor", cursor);
    fuzz_query(r, "status", "all");
    api_tasks_list(r);
    fuzz_request_end(r);
    free(cursor);
    return 0;
}
