/* api.h: the JSON API, one file per resource. Each handler reads the request
 * (JSON in), calls the domain / service / store (reads directly on a reader
 * connection, writes through http_submit) and sets the response (JSON out). */
#ifndef OPSTASKS_API_H
#define OPSTASKS_API_H

#include <jansson.h>

#include "http/http.h"

/* body.c: request bodies and JSON helpers */
/* Parses the body as a JSON object: 415 unless Content-Type is application/json,
 * 400 bad_json when it does not parse, 422 when it is not an object or has a
 * field not in `known` (NULL-terminated). *out is owned by the caller. */
enum err api_parse_object(struct request *r, const char *const *known, json_t **out, struct errinfo *e);
/* Optional string field: ERR_OK with *out NULL when absent or null (when
 * null_ok), 422 when of another type. */
enum err api_string_field(json_t *obj, const char *name, bool null_ok, const char **out, bool *present,
                          struct errinfo *e);
/* A string field that must be there: 422 "<name> is required" when absent,
 * as api_string_field otherwise (null refused). */
enum err api_required_string(json_t *obj, const char *name, const char **out, struct errinfo *e);
/* True when s is 1 to max_digits decimal digits and nothing else: no sign,
 * no blank, and a value that fits a long long (strtol takes "+5" and " 5");
 * *out is its value. Every number in a query string is read with it. */
bool api_digits(const char *s, int max_digits, long long *out);
/* The limit and cursor query arguments of a list. */
enum err api_limit(struct request *r, int def, int max, int *out, struct errinfo *e);
/* "{"data": [...], "next_cursor": ...}" */
json_t *api_page(json_t *data, const char *next_cursor);
void api_ts(json_t *obj, const char *key, int64_t ms);  /* RFC 3339 or null */

/* Shared by staff and customers: a display name (required) and an optional
 * email, both malloc'd into *name and *email (NULL on error). */
enum err api_person_fields(json_t *obj, char **name, char **email, struct errinfo *e);

/* csv.c: CSV answers. A field with a comma, quote, CR or LF is quoted,
 * quotes doubled (RFC 4180); first: no comma before it. */
struct buf;
void api_csv_field(struct buf *b, const char *s, bool first);
/* 1 when format=csv or Accept asks for text/csv, 0 for JSON (format=json
 * forces it), -1 with e set (422) for another format. */
int api_wants_csv(struct request *r, struct errinfo *e);
/* 200 text/csv with b's text, as an attachment called name.csv. */
void api_reply_csv(struct request *r, struct buf *b, const char *name);

/* audit.c: the audit log. Who did it, copied from the request on its HTTP
 * thread (a writer job must not read the request). */
struct api_who {
    char actor[96];      /* "" when nobody is signed in */
    char client[64];
    char user_agent[256];
};
void api_who_of(struct request *r, struct api_who *w);
/* Adds a row of type with details (a JSON object, stolen) on the writer's
 * connection c, inside the job of the change it records. */
enum err api_audit(struct store_conn *c, const struct api_who *w, const char *type, json_t *details);

/* handler.c: what every handler shares.
 * The request's context: size zeroed bytes freed with the request (clear(ctx)
 * first, when not NULL), whichever way the handler ends, so a handler's early
 * answer leaks nothing. One a request; NULL, with 500 answered, when out of
 * memory. */
void *api_ctx(struct request *r, size_t size, void (*clear)(void *ctx));
/* The body as api_parse_object reads it, owned by the request's context
 * (api_ctx first); NULL with e set. */
json_t *api_body(struct request *r, const char *const *known, struct errinfo *e);
/* Hands run to the writer with the request's context as its argument;
 * finish as http_submit's. */
void api_submit(struct request *r, enum err (*run)(struct store_conn *c, void *ctx),
                void (*finish)(struct request *r, enum err rc));
/* The error line of a write's finish: false when rc is ERR_OK; else answers
 * e (when it is rc's; rc's own message otherwise; e may be NULL) and true. */
bool api_failed(struct request *r, enum err rc, struct errinfo *e);
/* True when every query argument is in known; else false, 422 answered. */
bool api_query_known(struct request *r, const char *const *known);
/* A reader connection (store_reader_release it), or NULL with 500 answered. */
struct store_conn *api_reader(struct request *r);
/* The limit (100, at most 500) and cursor (an id with prefix; NULL: none) of
 * a list by id, query arguments all in known; false after answering 422. */
bool api_id_page(struct request *r, const char *const *known, const char *prefix, int *limit, const char **after);
/* The q of GET /ops/customers and /ops/staff as words (domain/text.h):
 * true with w->n 0 when there is none; false after answering 422. */
bool api_name_words(struct request *r, struct text_words *w);
/* The id of a PUT's path, one the caller names (prefix and 1-64 of A-Z a-z
 * 0-9 _ -), copied to out; false after answering 422 naming field "id". */
bool api_put_id(struct request *r, const char *prefix, const char *what, char out[EXT_ID_SIZE]);
bool api_valid_task_id(const char *id); /* tsk_ and a time-ordered id */
/* Look up or answer: the record r->param names, into *out (the caller clears
 * it); false after answering 404 (a malformed id too) or 500. */
bool api_task_or_404(struct request *r, struct task *out);
bool api_staff_or_404(struct request *r, struct staff *out);
bool api_customer_or_404(struct request *r, struct customer *out);
bool api_rule_or_404(struct request *r, struct rule_row *out);

/* routes.c: the tables the server serves. api_routes is the API and the
 * page; api_metrics_routes, for --metrics-listen, is GET /metrics alone and
 * without a token. */
extern const struct http_route_table api_routes, api_metrics_routes;

/* The handlers of routes.c */
void api_health(struct request *r);
void api_ready(struct request *r); /* GET /readyz */
void api_tasks_list(struct request *r);
void api_tasks_create(struct request *r);
void api_tasks_stats(struct request *r);
void api_task_get(struct request *r);
void api_task_patch(struct request *r);
void api_tasks_bulk(struct request *r); /* POST /ops/tasks/bulk */
void api_task_history(struct request *r);
/* The queue's query (GET /ops/tasks) read from r's query arguments (or
 * r->query): every filter, the sort, limit and cursor, judged now. ERR_OK
 * or 422 in e naming the parameter. */
struct task_query;
enum err api_task_query_read(struct request *r, struct task_query *q, struct errinfo *e);
/* A history actor's name as JSON: a staff member's, a token's
 * ("token:ID"), or null for the service's own work and unknown ids. */
json_t *api_actor_name(struct store_conn *c, const char *actor);
/* views.c: saved views of the queue */
void api_views_list(struct request *r);
void api_view_get(struct request *r);
void api_view_put(struct request *r);
void api_view_delete(struct request *r);
/* notifications.c: the caller's notifications and switches (/ops/me/...) */
void api_me_notifications(struct request *r);
void api_me_notifications_read(struct request *r);
void api_me_notification_settings(struct request *r);
void api_me_notification_settings_put(struct request *r);
/* comments.c: comments on a task */
void api_task_comment_add(struct request *r);
void api_task_comments(struct request *r);
void api_staff_list(struct request *r);
void api_staff_get(struct request *r);
void api_staff_put(struct request *r);
void api_customers_list(struct request *r);
void api_customer_get(struct request *r);
void api_customer_put(struct request *r);
/* sla.c (SLA calendar and reports), metrics.c */
void api_sla_calendar_get(struct request *r);
void api_sla_calendar_put(struct request *r);
void api_report_sla(struct request *r);
/* SLA clocks: the SLA policy by priority (sla.c) */
void api_sla_policy_get(struct request *r);
void api_sla_policy_put(struct request *r);
void api_report_overdue(struct request *r);
void api_metrics(struct request *r);
/* renewals.c */
void api_renewals_list(struct request *r);
void api_renewals_all(struct request *r); /* GET /ops/renewals */
void api_renewal_get(struct request *r);
void api_renewal_put(struct request *r);
void api_renewal_delete(struct request *r);
void api_renewal_policy_get(struct request *r);
void api_renewal_policy_put(struct request *r);
void api_renewals_run(struct request *r);
/* workflow rules: events.c, rules.c */
void api_events_post(struct request *r);
void api_events_list(struct request *r);
void api_event_get(struct request *r);
void api_rules_list(struct request *r);
void api_rule_get(struct request *r);
void api_rule_put(struct request *r);
void api_rule_delete(struct request *r);
/* webhooks.c: webhooks and their deliveries (admin) */
void api_webhooks_list(struct request *r);
void api_webhook_get(struct request *r);
void api_webhook_put(struct request *r);
void api_webhook_delete(struct request *r);
void api_webhook_deliveries(struct request *r);
void api_webhook_redeliver(struct request *r);

/* stream.c: the live feed of task changes, GET /ops/stream (server-sent
 * events) and GET /ops/changes (the same as JSON, for polling). The poller
 * thread: started once with the store it reads and the most streams open
 * at once (past it GET /ops/stream answers 503 with Retry-After); 0, or -1
 * when the thread cannot start. api_stream_stop ends every stream and
 * joins the poller; before http_stop, so open streams do not hold it up. */
void api_stream(struct request *r);
void api_changes(struct request *r);
int api_stream_start(struct store *store, int max_streams);
void api_stream_stop(void);

/* web.c: the browser page and its sign-in */
void web_root(struct request *r);
void web_login_page(struct request *r);
void web_login(struct request *r);
void web_logout(struct request *r);
void web_queue_page(struct request *r);
void web_task_page(struct request *r);
void web_asset(struct request *r);
/* The route table's not_found_page: the HTML 404 page for a request whose
 * Accept prefers text/html to JSON (a browser's navigation); false otherwise. */
bool web_not_found_page(struct request *r);
void api_me(struct request *r);
void api_audit_list(struct request *r);
/* signin.c */
void web_invite_accept(struct request *r);
void web_invite_page(struct request *r);
void web_account_page(struct request *r);
void web_customer_page(struct request *r);
void web_renewals_page(struct request *r);
void web_staff_page(struct request *r);
void web_audit_page(struct request *r);
void api_me_password(struct request *r);
void api_me_sessions(struct request *r);
void api_me_session_delete(struct request *r);
void api_staff_invite(struct request *r);
/* tokens.c */
void api_tokens_create(struct request *r);
void api_tokens_list(struct request *r);
void api_token_delete(struct request *r);
/* The session cookies for secret ("" and 0 clear them). */
void api_set_session_cookies(struct request *r, const char *secret, int64_t max_age_s);
/* Wipes r's body and obj's strings (a password was in them). */
void api_wipe_body(struct request *r, json_t *obj);
/* Whether a sign-in answered 429 at once should still reach the writer to be
 * recorded: once a minute per email (or token sign-in) and address. */
bool api_signin_record_blocked(struct request *r, const char *email_key);
/* True when secret has the shape of an invitation's, with its hash. */
bool api_invite_secret(const char *secret, unsigned char hash[32]);

/* cache.c: the rendered answers of the queue's reads. An answer is kept
 * under a key (the route and its canonical query) with the data version it
 * was read at and the instant it stops being right by time alone. */
struct api_version {
    uint64_t parts; /* the parts of the tasks the read can show (store_version_parts; 0: all) */
    int64_t data;   /* the database's number for them (store_data_version) */
};
struct answer_cache;
/* max_bytes 0: no cache (NULL). */
struct answer_cache *api_cache_new(size_t max_bytes);
void api_cache_free(struct answer_cache *c);
/* The version to key an answer by, read on c before the data: a read of
 * the tasks f can match (by status and assignee; NULL: all) needs a new
 * answer only after a change to a task that was or is one of those. */
enum err api_data_version(struct store_conn *c, const struct task_filter *f, struct api_version *v);
/* true when an answer for key at v, right at now_ms, was kept: it is the
 * reply then (200, or 304 for a matching If-None-Match). */
bool api_cache_reply(struct request *r, const char *key, const struct api_version *v, int64_t now_ms);
/* Replies body (owned; NULL answers 500) with its entity tag and keeps it
 * for key at v until expires_ms. */
void api_cache_put_reply(struct request *r, const char *key, const struct api_version *v, int64_t now_ms,
                         int64_t expires_ms, char *body);
void api_cache_counts(struct answer_cache *c, uint64_t *hits, uint64_t *misses);

#endif
