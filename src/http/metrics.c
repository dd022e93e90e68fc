/* metrics.c: request counters by route and status code, and a histogram of
 * request durations, for GET /metrics. The route labels are those of the
 * tables the daemons were started with. Lock-free: relaxed atomic adds from
 * the HTTP threads, read by the scrape. They count since start, as
 * Prometheus counters may (a restart is seen as a counter reset). */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "util/buf.h"

#define CODE_MIN 100
#define CODE_MAX 599

static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define N_BOUNDS (sizeof bounds / sizeof bounds[0])

/* Series 0 counts the requests that matched no route, series k > 0 those of
 * labels[k - 1]. A label is written before the count that publishes it, so
 * a scrape running while a daemon starts sees whole labels only. */
static struct {
    const char *method, *pattern;
} labels[HTTP_ROUTES_MAX];
static atomic_int n_labels;
static atomic_uint_fast64_t requests[HTTP_ROUTES_MAX + 1][CODE_MAX - CODE_MIN + 1];
static atomic_uint_fast64_t buckets[N_BOUNDS + 1];  /* last: above every bound */
static atomic_uint_fast64_t sum_us, count;

int http_metrics_series(const char *method, const char *pattern)
{
    int n = atomic_load_explicit(&n_labels, memory_order_acquire);
    for (int i = 0; i < n; i++)
        if (strcmp(labels[i].method, method) == 0 && strcmp(labels[i].pattern, pattern) == 0) return i + 1;
    if (n == HTTP_ROUTES_MAX) return 0;
    labels[n].method = method;
    labels[n].pattern = pattern;
    atomic_store_explicit(&n_labels, n + 1, memory_order_release);
    return n + 1;
}

void http_metrics_observe(int series, int status, double seconds)
{
    if (series < 0 || series > HTTP_ROUTES_MAX) series = 0;
    if (status < CODE_MIN || status > CODE_MAX) status = 500;
    if (seconds < 0) seconds = 0;
    atomic_fetch_add_explicit(&requests[series][status - CODE_MIN], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < N_BOUNDS && seconds > bounds[b]) b++;
    atomic_fetch_add_explicit(&buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&sum_us, (uint_fast64_t)(seconds * 1e6), memory_order_relaxed);
    atomic_fetch_add_explicit(&count, 1, memory_order_relaxed);
}

void http_metrics_write(struct buf *b)
{
    char line[256];
    buf_puts(b, "# HELP opstasks_http_requests_total HTTP requests answered, by route, method and status code.\n"
                "# TYPE opstasks_http_requests_total counter\n");
    int n_series = atomic_load_explicit(&n_labels, memory_order_acquire);
    for (int r = 0; r <= n_series; r++) {
        /* one series per method and pattern: a pattern has one row per method */
        const char *pattern = r ? labels[r - 1].pattern : "other";
        const char *method = r ? labels[r - 1].method : "";
        for (int code = CODE_MIN; code <= CODE_MAX; code++) {
            uint_fast64_t n = atomic_load_explicit(&requests[r][code - CODE_MIN], memory_order_relaxed);
            if (!n) continue;
            /* route patterns are our own ASCII literals: nothing to escape */
            snprintf(line, sizeof line, "opstasks_http_requests_total{route=\"%s\",method=\"%s\",code=\"%d\"} %llu\n",
                     pattern, method, code, (unsigned long long)n);
            buf_puts(b, line);
        }
    }
    buf_puts(b, "# HELP opstasks_http_request_duration_seconds Time from a request's arrival to its answer.\n"
                "# TYPE opstasks_http_request_duration_seconds histogram\n");
    uint_fast64_t cum = 0;
    for (size_t i = 0; i <= N_BOUNDS; i++) {
        cum += atomic_load_explicit(&buckets[i], memory_order_relaxed);
        if (i < N_BOUNDS)
            snprintf(line, sizeof line, "opstasks_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bounds[i],
                     (unsigned long long)cum);
        else
            snprintf(line, sizeof line, "opstasks_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                     (unsigned long long)cum);
        buf_puts(b, line);
    }
    /* _count is the +Inf bucket's total, so the two always agree */
    snprintf(line, sizeof line,
             "opstasks_http_request_duration_seconds_sum %.6f\nopstasks_http_request_duration_seconds_count %llu\n",
             (double)atomic_load_explicit(&sum_us, memory_order_relaxed) / 1e6, (unsigned long long)cum);
    buf_puts(b, line);
}
