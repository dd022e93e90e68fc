/* Fuzz target: the business-hours calendar and its holidays, the body of
 * PUT /ops/sla-calendar, through the real handler; then, for a calendar it
 * accepts, what is done with it: its JSON form (what is stored and shown)
 * reads back to the same calendar, and deadlines are computed with it, in a
 * timezone with DST changes. */
#include <stdlib.h>

#include "api/api.h"
#include "domain/sla.h"
#include "fuzz.h"
#include "service/sla.h"

FUZZ_INIT_WITH_APP("Europe/Berlin")

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct request *r = fuzz_request("PUT", NULL, data, size);
    fuzz_header(r, "Content-Type", "application/json");
    api_sla_calendar_put(r);
    fuzz_request_end(r);

    json_t *obj = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    struct sla_calendar *cal = malloc(sizeof *cal), *back = malloc(sizeof *back);
    if (!cal || !back) abort();
    struct errinfo e = {0};
    if (obj && service_sla_calendar_from_json(obj, cal, &e) == ERR_OK) {
        json_t *shown = service_sla_calendar_to_json(cal);
        FUZZ_ASSERT(shown, "an accepted calendar that cannot be shown");
        FUZZ_ASSERT(service_sla_calendar_from_json(shown, back, &e) == ERR_OK, "the shown calendar is refused: %s",
                    e.message);
        json_t *again = service_sla_calendar_to_json(back);
        FUZZ_ASSERT(json_equal(shown, again), "the calendar changes when read back");
        json_decref(again);
        json_decref(shown);
        /* deadlines from a few starts: around a DST change and a year end */
        static const int64_t starts[] = {FUZZ_NOW_MS, 1774746000000LL /* 2026-03-29T01:00Z */,
                                         1798758000000LL /* 2026-12-31T23:00Z */};
        static const double hours[] = {0.25, 8, 40, 8760};
        for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
            int64_t prev = starts[i];
            for (size_t h = 0; h < sizeof hours / sizeof hours[0]; h++) {
                int64_t due = sla_calendar_add(cal, starts[i], hours[h]);
                FUZZ_ASSERT(due > starts[i], "a deadline %lld not after its start %lld", (long long)due,
                            (long long)starts[i]);
                /* more hours never give an earlier deadline */
                FUZZ_ASSERT(due >= prev, "%g hours due at %lld, before a shorter SLA's %lld", hours[h],
                            (long long)due, (long long)prev);
                prev = due;
            }
        }
        struct task t = {.has_sla = true, .sla_hours = 24, .created_at = FUZZ_NOW_MS};
        sla_stamp(&t, cal);
        FUZZ_ASSERT(t.sla_due_ms > t.created_at && t.sla_risk_ms > t.created_at, "stamped instants before creation");
        FUZZ_ASSERT(t.sla_risk_ms <= t.sla_due_ms, "the at-risk instant %lld after the deadline %lld",
                    (long long)t.sla_risk_ms, (long long)t.sla_due_ms);
    }
    free(cal);
    free(back);
    json_decref(obj);
    return 0;
}
