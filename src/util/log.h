/* log.h: one-line log records on stderr, prefixed with UTC time and level,
 * or (log_set_json) one JSON object per line for log shippers. Each record
 * is one write(2), so lines from different threads never interleave. */
#ifndef OPSTASKS_LOG_H
#define OPSTASKS_LOG_H

#include <stdbool.h>

/* Chooses the format of every later record; called once at start, before
 * any thread logs. Default: text. */
void log_set_json(bool json);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The access log: one record per answered request. Strings are copied and
 * cleaned (printable ASCII, bounded); route may be NULL (no route matched).
 * Callers pass only what is safe to keep: never a raw path, query string or
 * header value other than a validated request id. */
struct log_request {
    const char *request_id;
    const char *method;
    const char *route;
    int status;
    double ms;
    const char *client;
};
void log_request(const struct log_request *q);

#endif
