/* routes.c: the routing table. A path matches a pattern segment by segment,
 * ":id" taking one segment; the first pattern that matches decides, and a
 * method it does not have answers 405 with Allow. Every /ops route needs a token; admin-only routes say so. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "http/http.h"

struct route {
    const char *method;
    const char *pattern;
    void (*handler)(struct request *r);
    bool admin_only;
};

static const struct route routes[] = {
    {"GET", "/healthz", api_health, false},
    {"GET", "/readyz", api_ready, false},
    {"GET", "/ops/tasks", api_tasks_list, false},
    {"POST", "/ops/tasks", api_tasks_create, false},
    {"GET", "/ops/tasks/stats", api_tasks_stats, false},
    {"GET", "/ops/tasks/:id", api_task_get, false},
    {"PATCH", "/ops/tasks/:id", api_task_patch, false},
    {"GET", "/ops/tasks/:id/history", api_task_history, false},
    {"GET", "/ops/staff", api_staff_list, false},
    {"GET", "/ops/staff/:id", api_staff_get, false},
    {"PUT", "/ops/staff/:id", api_staff_put, true},
    {"GET", "/ops/customers", api_customers_list, false},
    {"GET", "/ops/customers/:id", api_customer_get, false},
    {"PUT", "/ops/customers/:id", api_customer_put, true},
    /* issue 3: SLA calendar, reports, metrics (/metrics checks its own token) */
    {"GET", "/ops/sla-calendar", api_sla_calendar_get, true},
    {"PUT", "/ops/sla-calendar", api_sla_calendar_put, true},
    {"GET", "/ops/reports/sla", api_report_sla, false},
    {"GET", "/ops/reports/overdue", api_report_overdue, false},
    {"GET", "/metrics", api_metrics, false},
    /* renewals (issue 4) */
    {"GET", "/ops/customers/:id/renewals", api_renewals_list, false},
    {"GET", "/ops/customers/:id/renewals/:rid", api_renewal_get, false},
    {"PUT", "/ops/customers/:id/renewals/:rid", api_renewal_put, true},
    {"DELETE", "/ops/customers/:id/renewals/:rid", api_renewal_delete, true},
    {"GET", "/ops/renewal-policy", api_renewal_policy_get, true},
    {"PUT", "/ops/renewal-policy", api_renewal_policy_put, true},
    {"POST", "/ops/renewals/run", api_renewals_run, true},
    /* workflow rules (issue 5) */
    {"POST", "/ops/events", api_events_post, false},
    {"GET", "/ops/events", api_events_list, false},
    {"GET", "/ops/rules", api_rules_list, false},
    {"GET", "/ops/rules/:id", api_rule_get, false},
    {"PUT", "/ops/rules/:id", api_rule_put, true},
    {"DELETE", "/ops/rules/:id", api_rule_delete, true},
    /* the browser page and its sign-in (issue 6): api/web.c */
    {"GET", "/ops/me", api_me, false},
    {"GET", "/", web_root, false},
    {"GET", "/login", web_login_page, false},
    {"POST", "/login", web_login, false},
    {"POST", "/logout", web_logout, false},
    {"GET", "/tasks", web_queue_page, false},
    {"GET", "/tasks/:id", web_task_page, false},
    {"GET", "/assets/:id", web_asset, false},
};

#define N_ROUTES (sizeof routes / sizeof routes[0])

const char *http_route_pattern(int i) { return i >= 0 && (size_t)i < N_ROUTES ? routes[i].pattern : NULL; }
const char *http_route_method(int i) { return i >= 0 && (size_t)i < N_ROUTES ? routes[i].method : NULL; }

/* True when path matches pattern; the :id segment is copied to param. */
static bool match(const char *pattern, const char *path, char *param, size_t n)
{
    while (*pattern && *path) {
        if (*pattern == ':') {
            while (*pattern && *pattern != '/') pattern++;
            const char *end = strchr(path, '/');
            size_t len = end ? (size_t)(end - path) : strlen(path);
            if (len == 0 || len >= n) return false;
            memcpy(param, path, len);
            param[len] = 0;
            path += len;
            continue;
        }
        if (*pattern != *path) return false;
        pattern++, path++;
    }
    return *pattern == 0 && *path == 0;
}

void http_route(struct request *r)
{
    if (r->path_too_long) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no such route");
        return;
    }
    const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
    if (r->app->metrics_only) { /* issue 3: the --metrics-listen address serves GET /metrics alone */
        if (strcmp(r->path, "/metrics") != 0) {
            http_reply_err(r, ERR_NOT_FOUND, NULL, "this address serves GET /metrics only");
            return;
        }
        r->route_pattern = "/metrics";
        if (strcmp(method, "GET") != 0) {
            http_reply_err(r, ERR_METHOD_NOT_ALLOWED, NULL, "%s is not allowed here; use GET, HEAD", r->method);
            http_add_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        } else {
            api_metrics(r);
        }
        return;
    }
    /* The first pattern that matches the path wins (literal segments are
     * listed before ":id" ones); its methods are the only ones allowed.
     * Matched before authentication so that the access log names the route
     * of a refused request too. */
    const char *pattern = NULL;
    char param[sizeof r->param];
    for (size_t i = 0; i < N_ROUTES && !pattern; i++)
        if (match(routes[i].pattern, r->path, param, sizeof param)) pattern = routes[i].pattern;
    r->route_pattern = pattern;
    bool is_ops = strncmp(r->path, "/ops/", 5) == 0 || strcmp(r->path, "/ops") == 0;
    if (is_ops) {
        struct errinfo e = {0};
        if (http_authenticate(r, &e) != ERR_OK) {
            http_reply_error(r, &e);
            return;
        }
    }
    const struct route *found = NULL;
    char allow[128] = "";
    for (size_t i = 0; pattern && i < N_ROUTES; i++) {
        if (strcmp(routes[i].pattern, pattern) != 0) continue;
        if (strcmp(routes[i].method, method) == 0) {
            found = &routes[i];
            r->route_index = (int)i + 1; /* issue 3: request metrics by route */
            memcpy(r->param, param, sizeof param);
            break;
        }
        size_t len = strlen(allow);
        snprintf(allow + len, sizeof allow - len, "%s%s%s", len ? ", " : "", routes[i].method,
                 strcmp(routes[i].method, "GET") == 0 ? ", HEAD" : "");
    }
    if (!found && allow[0]) {
        http_reply_err(r, ERR_METHOD_NOT_ALLOWED, NULL, "%s is not allowed here; use %s", r->method, allow);
        http_add_header(r, MHD_HTTP_HEADER_ALLOW, allow);
        return;
    }
    if (!found) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no such route");
        return;
    }
    if (found->admin_only && r->token.role != ROLE_ADMIN) {
        http_reply_err(r, ERR_FORBIDDEN, NULL, "this needs an admin token");
        return;
    }
    found->handler(r);
}
