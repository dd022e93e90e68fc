/* log.c: stderr logging, as text or JSON lines (jansson); one write per
 * record so threads do not interleave, and one formatted write per request
 * on the access-log path, which runs on every request. */
#include "util/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool json_lines; /* set once at start (log_set_json) */

void log_set_json(bool json) { json_lines = json; }

static void put(const char *line, size_t n)
{
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}

/* "2026-01-31T12:00:00Z" into out (>= 21 bytes); returns its length. */
static int stamp(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    return (int)strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Copies s into out (size n >= 2) keeping printable ASCII other than quote
 * and backslash; anything else becomes '?'. A log line so built cannot be
 * split, forged or made invalid JSON/UTF-8 by what a client sent. */
static const char *clean(const char *s, char *out, size_t n, const char *if_empty)
{
    if (!s || !*s) return if_empty;
    size_t i = 0;
    for (; s[i] && i + 1 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c > 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
    }
    out[i] = 0;
    return out;
}

/* Writes obj as one line (and drops the reference). */
static void put_json(json_t *obj, size_t flags)
{
    char line[4096];
    size_t n = obj ? json_dumpb(obj, line, sizeof line - 1, JSON_COMPACT | flags) : 0;
    if (n && n < sizeof line - 1) {
        line[n++] = '\n';
        put(line, n);
    } else if (n) { /* longer than the stack buffer: rare, allocate */
        char *big = json_dumps(obj, JSON_COMPACT | flags);
        if (big) {
            size_t bl = strlen(big);
            big[bl] = '\n'; /* over the NUL: put() takes a length */
            put(big, bl + 1);
            free(big);
        }
    }
    json_decref(obj);
}

static void emit(const char *level, const char *fmt, va_list ap)
{
    char line[1024];
    if (json_lines) {
        char ts[32];
        stamp(ts, sizeof ts);
        vsnprintf(line, sizeof line, fmt, ap);
        json_t *msg = json_string(line);
        if (!msg) { /* not UTF-8 (a library's message quoting bytes): keep ASCII */
            for (char *p = line; *p; p++)
                if ((unsigned char)*p >= 0x80) *p = '?';
            msg = json_string(line);
        }
        put_json(json_pack("{s:s, s:s, s:o*}", "time", ts, "level", level, "msg", msg), 0);
        return;
    }
    int n = stamp(line, sizeof line);
    n += snprintf(line + n, sizeof line - (size_t)n, " %s ", level);
    if (n < (int)sizeof line) n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    put(line, (size_t)n);
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("info", fmt, ap);
    va_end(ap);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("error", fmt, ap);
    va_end(ap);
}

void log_request(const struct log_request *q)
{
    char ts[32], id[132], method[24], route[96], client[72];
    stamp(ts, sizeof ts);
    const char *i = clean(q->request_id, id, sizeof id, "-");
    const char *m = clean(q->method, method, sizeof method, "-");
    const char *rt = clean(q->route, route, sizeof route, NULL);
    const char *cl = clean(q->client, client, sizeof client, "-");
    double ms = q->ms < 0 ? 0 : q->ms;
    if (json_lines) {
        put_json(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:i, s:f, s:s}", "time", ts, "level", "info", "msg",
                           "request", "request_id", i, "method", m, "route", rt, "status", q->status, "ms",
                           (double)(long long)(ms * 1000 + 0.5) / 1000, "client", cl),
                 JSON_REAL_PRECISION(10)); /* 123456.789 as such, not 17 digits */
        return;
    }
    char line[512];
    int n = snprintf(line, sizeof line, "%s info request request_id=%s method=%s route=%s status=%d ms=%.3f client=%s\n",
                     ts, i, m, rt ? rt : "-", q->status, ms, cl);
    if (n > (int)sizeof line - 1) { /* cannot happen with the bounds above; keep the line whole anyway */
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    put(line, (size_t)n);
}
