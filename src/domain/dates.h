/* dates.h: calendar dates, the server's timezone and timestamps.
 * Due dates are calendar dates in the server's timezone; a task is overdue
 * from the first moment of the day after its due date there. The timezone is
 * the process's TZ, set once at start-up by dates_set_timezone(). */
#ifndef OPSTASKS_DATES_H
#define OPSTASKS_DATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s is exactly YYYY-MM-DD and names a real day (leap years included). */
bool dates_valid(const char *s);

/* Checks name against the system's zoneinfo and makes it the process's
 * timezone. Returns 0, or -1 (nothing changed) when it is not a known IANA name. */
int dates_set_timezone(const char *name);

/* The calendar date of the instant now_ms in the server's timezone. */
void dates_today(int64_t now_ms, char out[11]);

/* True when a task due on due_date is overdue at now_ms. */
bool dates_is_overdue(const char *due_date, int64_t now_ms);

/* The first instant (ms) of the day after `date` in the server's timezone:
 * the moment a task due that day becomes overdue. Handles DST days. */
int64_t dates_overdue_from_ms(const char *date);
/* The first instant (ms) of the local day `days` (since 1970-01-01), also
 * for the day before 0001-01-01 and the day after 9999-12-31. */
int64_t dates_day_start_ms(int64_t days);

/* RFC 3339 UTC with milliseconds: 2026-06-01T09:30:00.000Z. out >= 25 bytes. */
void dates_format_ts(int64_t ms, char *out, size_t out_size);

/* Parse an RFC 3339 timestamp (Z or offset); 0 or -1. */
int dates_parse_ts(const char *s, int64_t *out_ms);

/* Days since 1970-01-01 of a valid date, and back. */
int64_t dates_to_days(const char *date);
void dates_from_days(int64_t days, char out[11]);

#endif
