/* Unit tests of http/router.c over a table of the test's own: the router
 * serves whatever table it is handed (404, 405 with Allow, HEAD by the GET
 * row, :name segments, the admin flag). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "util/buf.h"

static const char *ran; /* the handler the router ran */

static void list_things(struct request *r) { ran = "list", http_reply_raw_json(r, 200, "{}"); }
static void make_thing(struct request *r) { ran = "make", http_reply_raw_json(r, 201, "{}"); }
static void thing_stats(struct request *r) { ran = "stats", http_reply_raw_json(r, 200, "{}"); }
static void get_thing(struct request *r) { ran = "get", http_reply_raw_json(r, 200, "{}"); }
static void drop_thing(struct request *r) { ran = "drop", http_reply_raw_json(r, 204, "{}"); }

static const struct http_route rows[] = {
    {"GET", "/things", list_things, 0},
    {"POST", "/things", make_thing, 0},
    {"GET", "/things/stats", thing_stats, 0},
    {"GET", "/things/:id", get_thing, 0},
    {"DELETE", "/things/:id", drop_thing, HTTP_ROUTE_ADMIN},
};
static const struct http_route_table table = {.rows = rows, .n = 5};

/* Routes method and path over t, as an authenticated caller of the given
 * role when authed; returns the answer's status (r is left for checks). */
static int route(struct request *r, struct app *app, const struct http_route_table *t, const char *method,
                 const char *path)
{
    memset(app, 0, sizeof *app);
    app->routes = t;
    for (size_t i = 0; i < t->n; i++) app->route_series[i] = (unsigned char)(i + 1);
    bool authed = r->authed;
    enum token_role role = r->token.role;
    memset(r, 0, sizeof *r);
    r->authed = authed;
    r->token.role = role;
    r->app = app;
    r->method = method;
    snprintf(r->path, sizeof r->path, "%s", path);
    ran = NULL;
    http_route(r);
    cr_assert(r->response_ready, "%s %s: no answer", method, path);
    return r->status;
}

static const char *header(struct request *r, const char *name)
{
    for (int i = 0; i < r->n_headers; i++)
        if (strcmp(r->headers[i].name, name) == 0) return r->headers[i].value;
    return NULL;
}

Test(router, a_path_runs_the_row_of_its_pattern_and_method_with_the_segment_as_param)
{
    struct app app;
    struct request r = {0};
    cr_expect_eq(route(&r, &app, &table, "GET", "/things/thg_1"), 200);
    cr_expect_str_eq(ran, "get");
    cr_expect_str_eq(r.param, "thg_1");
    cr_expect_str_eq(r.route_pattern, "/things/:id");
    cr_expect_eq(r.metrics_series, 4);
    free(r.resp_body);
    cr_expect_eq(route(&r, &app, &table, "POST", "/things"), 201);
    cr_expect_str_eq(ran, "make");
    cr_expect_eq(r.metrics_series, 2);
    free(r.resp_body);
}

Test(router, a_literal_segment_listed_first_wins_over_a_name)
{
    struct app app;
    struct request r = {0};
    cr_expect_eq(route(&r, &app, &table, "GET", "/things/stats"), 200);
    cr_expect_str_eq(ran, "stats");
    free(r.resp_body);
    /* the pattern decides: /things/stats has no DELETE row, though :id has */
    cr_expect_eq(route(&r, &app, &table, "DELETE", "/things/stats"), 405);
    cr_expect_str_eq(header(&r, "Allow"), "GET, HEAD");
    free(r.resp_body);
}

Test(router, head_is_answered_by_the_get_row)
{
    struct app app;
    struct request r = {0};
    cr_expect_eq(route(&r, &app, &table, "HEAD", "/things"), 200);
    cr_expect_str_eq(ran, "list");
    free(r.resp_body);
}

Test(router, a_method_the_pattern_has_no_row_for_answers_405_with_its_methods)
{
    struct app app;
    struct request r = {0};
    cr_expect_eq(route(&r, &app, &table, "PUT", "/things"), 405);
    cr_expect_null(ran);
    cr_expect_str_eq(header(&r, "Allow"), "GET, HEAD, POST");
    cr_expect_str_eq(r.route_pattern, "/things"); /* the access log names it */
    cr_expect_eq(r.metrics_series, 0);
    cr_expect(strstr(r.resp_body, "method_not_allowed"), "%s", r.resp_body);
    free(r.resp_body);
}

Test(router, a_path_no_pattern_matches_answers_the_tables_404)
{
    struct app app;
    struct request r = {0};
    const char *paths[] = {"/", "/thing", "/things/", "/things/a/b", "/thingsx", "/things//"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        cr_expect_eq(route(&r, &app, &table, "GET", paths[i]), 404, "%s", paths[i]);
        cr_expect_null(r.route_pattern, "%s", paths[i]);
        cr_expect(strstr(r.resp_body, "no such route"), "%s: %s", paths[i], r.resp_body);
        free(r.resp_body);
    }
    static const struct http_route_table own = {.rows = rows, .n = 1, .not_found = "this address serves /things"};
    cr_expect_eq(route(&r, &app, &own, "GET", "/things/thg_1"), 404);
    cr_expect(strstr(r.resp_body, "this address serves /things"), "%s", r.resp_body);
    free(r.resp_body);
}

Test(router, an_admin_row_refuses_an_agent_and_serves_an_admin)
{
    struct app app;
    struct request r = {.authed = true, .token.role = ROLE_AGENT};
    cr_expect_eq(route(&r, &app, &table, "DELETE", "/things/thg_1"), 403);
    cr_expect_null(ran);
    free(r.resp_body);
    r.token.role = ROLE_ADMIN;
    cr_expect_eq(route(&r, &app, &table, "DELETE", "/things/thg_1"), 204);
    cr_expect_str_eq(ran, "drop");
    free(r.resp_body);
}

/* The scrape's text, for one check. */
