/* Fuzz target: the query strings of the queue (GET /ops/tasks and
 * /ops/tasks/stats) and of the other lists that take filters (events, rules,
 * renewals, the SLA and overdue reports), through the real handlers over an
 * empty database. The input is the raw query string, decoded as
 * libmicrohttpd decodes it. */
#include "api/api.h"
#include "fuzz.h"

FUZZ_INIT_WITH_APP(NULL)

typedef void handler(struct request *r);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static handler *const handlers[] = {api_tasks_list, api_tasks_stats, api_events_list, api_rules_list,
                                        api_renewals_list, api_report_sla, api_report_overdue};
    static const char *const params[] = {NULL, NULL, NULL, NULL, "cus_fuzz", NULL, NULL};
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++) {
        struct request *r = fuzz_request("GET", params[i], NULL, 0);
        fuzz_query_string(r, (const char *)data, size);
        handlers[i](r);
        fuzz_request_end(r);
    }
    return 0;
}
