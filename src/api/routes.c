/* routes.c (api): the route tables the server is started with, naming the
 * handlers of api/ (http/router.c matches and dispatches over them; see
 * http.h for the rules). `opstasks routes` prints api_routes, and
 * tests/api/test_openapi.py checks docs/openapi.yaml against that. */
#include "api/api.h"

#define AUTH HTTP_ROUTE_AUTH
#define ADMIN HTTP_ROUTE_ADMIN

static const struct http_route rows[] = {
    {"GET", "/healthz", api_health, 0},
    {"GET", "/readyz", api_ready, 0},
    {"GET", "/ops/tasks", api_tasks_list, AUTH},
    {"POST", "/ops/tasks", api_tasks_create, AUTH},
    {"GET", "/ops/tasks/stats", api_tasks_stats, AUTH},
    {"POST", "/ops/tasks/bulk", api_tasks_bulk, AUTH},
    {"GET", "/ops/tasks/:id", api_task_get, AUTH},
    {"PATCH", "/ops/tasks/:id", api_task_patch, AUTH},
    {"GET", "/ops/tasks/:id/history", api_task_history, AUTH},
    {"GET", "/ops/tasks/:id/comments", api_task_comments, AUTH},
    {"POST", "/ops/tasks/:id/comments", api_task_comment_add, AUTH},
    {"GET", "/ops/views", api_views_list, AUTH},
    {"GET", "/ops/views/:id", api_view_get, AUTH},
    {"PUT", "/ops/views/:id", api_view_put, AUTH},
    {"DELETE", "/ops/views/:id", api_view_delete, AUTH},
    /* the live feed (stream.c) */
    {"GET", "/ops/stream", api_stream, AUTH},
    {"GET", "/ops/changes", api_changes, AUTH},
    {"GET", "/ops/staff", api_staff_list, AUTH},
    {"GET", "/ops/staff/:id", api_staff_get, AUTH},
    {"PUT", "/ops/staff/:id", api_staff_put, ADMIN},
    {"POST", "/ops/staff/:id/invite", api_staff_invite, ADMIN},
    /* API tokens (tokens.c); an agent lists and revokes the ones tied to them */
    {"GET", "/ops/tokens", api_tokens_list, AUTH},
    {"POST", "/ops/tokens", api_tokens_create, ADMIN},
    {"DELETE", "/ops/tokens/:id", api_token_delete, AUTH},
    {"GET", "/ops/audit", api_audit_list, ADMIN},
    {"GET", "/ops/customers", api_customers_list, AUTH},
    {"GET", "/ops/customers/:id", api_customer_get, AUTH},
    {"PUT", "/ops/customers/:id", api_customer_put, ADMIN},
    /* SLA calendar and reports (sla.c); the metrics (metrics.c) want an
     * admin token here, outside /ops */
    {"GET", "/ops/sla-calendar", api_sla_calendar_get, ADMIN},
    {"PUT", "/ops/sla-calendar", api_sla_calendar_put, ADMIN},
    {"GET", "/ops/reports/sla", api_report_sla, AUTH},
    /* SLA clocks: the SLA policy by priority (sla.c) */
    {"GET", "/ops/sla-policy", api_sla_policy_get, ADMIN},
    {"PUT", "/ops/sla-policy", api_sla_policy_put, ADMIN},
    {"GET", "/ops/reports/overdue", api_report_overdue, AUTH},
    {"GET", "/metrics", api_metrics, ADMIN},
    /* renewals.c */
    {"GET", "/ops/customers/:id/renewals", api_renewals_list, AUTH},
    {"GET", "/ops/customers/:id/renewals/:rid", api_renewal_get, AUTH},
    {"PUT", "/ops/customers/:id/renewals/:rid", api_renewal_put, ADMIN},
    {"DELETE", "/ops/customers/:id/renewals/:rid", api_renewal_delete, ADMIN},
    {"GET", "/ops/renewal-policy", api_renewal_policy_get, ADMIN},
    {"PUT", "/ops/renewal-policy", api_renewal_policy_put, ADMIN},
    {"GET", "/ops/renewals", api_renewals_all, AUTH},
    {"POST", "/ops/renewals/run", api_renewals_run, ADMIN},
    /* workflow rules: events.c, rules.c */
    {"POST", "/ops/events", api_events_post, AUTH},
    {"GET", "/ops/events", api_events_list, AUTH},
    {"GET", "/ops/events/:id", api_event_get, AUTH},
    {"GET", "/ops/rules", api_rules_list, AUTH},
    {"GET", "/ops/rules/:id", api_rule_get, AUTH},
    {"PUT", "/ops/rules/:id", api_rule_put, ADMIN},
    {"DELETE", "/ops/rules/:id", api_rule_delete, ADMIN},
    /* webhooks.c */
    {"GET", "/ops/webhooks", api_webhooks_list, ADMIN},
    {"GET", "/ops/webhooks/:id", api_webhook_get, ADMIN},
    {"PUT", "/ops/webhooks/:id", api_webhook_put, ADMIN},
    {"DELETE", "/ops/webhooks/:id", api_webhook_delete, ADMIN},
    {"GET", "/ops/webhooks/:id/deliveries", api_webhook_deliveries, ADMIN},
    {"POST", "/ops/webhooks/:id/deliveries/:delivery/redeliver", api_webhook_redeliver, ADMIN},
    /* the browser page and its sign-in: web.c (the page's own paths are
     * open; it signs in with a session cookie that /ops takes) */
    {"GET", "/ops/me", api_me, AUTH},
    {"POST", "/ops/me/password", api_me_password, AUTH},
    {"GET", "/ops/me/sessions", api_me_sessions, AUTH},
    {"DELETE", "/ops/me/sessions/:id", api_me_session_delete, AUTH},
    /* notifications.c */
    {"GET", "/ops/me/notifications", api_me_notifications, AUTH},
    {"POST", "/ops/me/notifications/read", api_me_notifications_read, AUTH},
    {"GET", "/ops/me/notification-settings", api_me_notification_settings, AUTH},
    {"PUT", "/ops/me/notification-settings", api_me_notification_settings_put, AUTH},
    {"GET", "/", web_root, 0},
    {"GET", "/login", web_login_page, 0},
    {"POST", "/login", web_login, 0},
    {"POST", "/logout", web_logout, 0},
    {"GET", "/tasks", web_queue_page, 0},
    {"GET", "/tasks/:id", web_task_page, 0},
    {"GET", "/customers/:id", web_customer_page, 0},
    {"GET", "/renewals", web_renewals_page, 0},
    {"GET", "/invite/:id", web_invite_page, 0},
    {"POST", "/invite/:id", web_invite_accept, 0},
    {"GET", "/account", web_account_page, 0},
    {"GET", "/staff", web_staff_page, 0},
    {"GET", "/audit", web_audit_page, 0},
    {"GET", "/assets/:id", web_asset, 0},
};

const struct http_route_table api_routes = {
    .rows = rows,
    .n = sizeof rows / sizeof rows[0],
    .auth_prefix = "/ops",
    .not_found_page = web_not_found_page,
};

/* The --metrics-listen address: the metrics alone, without a token (it is
 * meant for a scraper on a private network). */
static const struct http_route metrics_rows[] = {
    {"GET", "/metrics", api_metrics, 0},
};

const struct http_route_table api_metrics_routes = {
    .rows = metrics_rows,
    .n = sizeof metrics_rows / sizeof metrics_rows[0],
    .not_found = "this address serves GET /metrics only",
};
