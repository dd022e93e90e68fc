/* Fuzz target: dates and timestamps with offsets, as every date field and
 * timestamp of the API takes them (YYYY-MM-DD, RFC 3339 with Z or +hh:mm,
 * HH:MM of the SLA calendar), in a timezone with DST changes. What parses
 * must come back the same from its formatted form. */
#include <string.h>

#include "domain/dates.h"
#include "domain/renewal.h"
#include "domain/sla.h"
#include "domain/task.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup("Europe/Berlin");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256) return 0;
    char *s = fuzz_strndup(data, size);
    struct errinfo e = {0};

    bool valid = dates_valid(s);
    FUZZ_ASSERT(valid == (task_validate_due_date(s, &e) == ERR_OK), "due_date disagrees with dates_valid");
    /* expires_on: from 1900 on, so that every crossing day keeps four digits */
    FUZZ_ASSERT((valid && strcmp(s, "1900-01-01") >= 0) == (renewal_validate_expires_on(s, &e) == ERR_OK),
                "expires_on disagrees with dates_valid");
    if (valid) {
        char back[11];
        dates_from_days(dates_to_days(s), back);
        FUZZ_ASSERT(strcmp(back, s) == 0, "%s comes back as %s", s, back);
        /* overdue from the first instant of the next day, not a second before
         * (today's date has four digits: year 10000 cannot be today) */
        int64_t from = dates_overdue_from_ms(s);
        if (strcmp(s, "9999-12-31") < 0) {
            FUZZ_ASSERT(dates_is_overdue(s, from), "%s is not overdue at %lld", s, (long long)from);
            FUZZ_ASSERT(!dates_is_overdue(s, from - 1000), "%s is overdue before %lld", s, (long long)from);
        }
        /* and a day after the day before: 24 hours, give or take DST and LMT */
        char prev[11];
        dates_from_days(dates_to_days(s) - 1, prev);
        if (strcmp(s, "0001-01-01") > 0) {
            int64_t day = from - dates_overdue_from_ms(prev);
            FUZZ_ASSERT(day >= 22 * 3600000LL && day <= 26 * 3600000LL, "%s lasts %lld ms", s, (long long)day);
        }
        int64_t start, end;
        sla_window_ms(s, s, &start, &end);
        FUZZ_ASSERT(start < end, "the window of %s is empty", s);
        char today[11];
        dates_today(start, today);
        FUZZ_ASSERT(strcmp(today, s) == 0, "the window of %s starts on %s", s, today);
    }

    int64_t ms;
    if (dates_parse_ts(s, &ms) == 0) {
        char ts[32];
        dates_format_ts(ms, ts, sizeof ts);
        int64_t again;
        FUZZ_ASSERT(dates_parse_ts(ts, &again) == 0, "%s formats as %s, which does not parse", s, ts);
        FUZZ_ASSERT(again == ms, "%s formats as %s, which parses as %lld not %lld", s, ts, (long long)again,
                    (long long)ms);
    }

    int min = sla_parse_hhmm(s);
    FUZZ_ASSERT(min >= -1 && min <= 24 * 60, "HH:MM %s gives %d", s, min);
    free(s);
    return 0;
}
