/* Unit tests of http/metrics.c's request series over route tables of the
 * test's own: the series are labelled from the tables the daemons serve,
 * alike rows share one, and a route past the last series has none. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "util/buf.h"

/* The metrics read only a row's method and pattern. */
static void answer(struct request *r) { http_reply_raw_json(r, 200, "{}"); }

static const struct http_route rows[] = {
    {"GET", "/things", answer, 0},
    {"POST", "/things", answer, 0},
    {"GET", "/things/stats", answer, 0},
    {"GET", "/things/:id", answer, 0},
    {"DELETE", "/things/:id", answer, HTTP_ROUTE_ADMIN},
};

static char *scrape(void)
{
    struct buf b = {0};
    http_metrics_write(&b);
    char *text = buf_take(&b);
    cr_assert(text);
    return text;
}

Test(metrics, request_metrics_are_labelled_from_the_tables_and_alike_rows_share_a_series)
{
    static const struct http_route other_rows[] = {
        {"GET", "/things/stats", answer, 0},
        {"GET", "/x", answer, 0},
    };
    int series[5], other[2];
    for (int i = 0; i < 5; i++) series[i] = http_metrics_series(rows[i].method, rows[i].pattern);
    for (int i = 0; i < 2; i++) other[i] = http_metrics_series(other_rows[i].method, other_rows[i].pattern);
    cr_expect_eq(other[0], series[2], "GET /things/stats has two series");
    cr_expect_neq(other[1], 0);
    http_metrics_observe(series[3], 200, 0.001);
    http_metrics_observe(other[0], 200, 0.001);
    http_metrics_observe(series[2], 200, 0.001);
    http_metrics_observe(0, 404, 0.001);
    char *text = scrape();
    cr_expect(strstr(text, "{route=\"/things/:id\",method=\"GET\",code=\"200\"} 1\n"), "%s", text);
    cr_expect(strstr(text, "{route=\"/things/stats\",method=\"GET\",code=\"200\"} 2\n"), "%s", text);
    cr_expect(strstr(text, "{route=\"other\",method=\"\",code=\"404\"} 1\n"), "%s", text);
    cr_expect_null(strstr(text, "route=\"/x\""), "a series nothing counted in is listed: %s", text);
    free(text);
}

Test(metrics, a_route_past_the_last_series_has_none)
{
    static char patterns[HTTP_ROUTES_MAX + 1][16];
    for (int i = 0; i < HTTP_ROUTES_MAX; i++) {
        snprintf(patterns[i], sizeof patterns[i], "/p%d", i);
        cr_assert_eq(http_metrics_series("GET", patterns[i]), i + 1);
    }
    snprintf(patterns[HTTP_ROUTES_MAX], sizeof patterns[0], "/one-more");
    cr_expect_eq(http_metrics_series("GET", patterns[HTTP_ROUTES_MAX]), 0);
    cr_expect_eq(http_metrics_series("GET", "/p3"), 4, "a known label still has its series");
}
