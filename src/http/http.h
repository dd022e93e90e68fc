/* http.h: the request lifecycle of the opstasks server over libmicrohttpd.
 *
 * One `struct request` lives from a request's first callback to MHD's
 * completion notice and owns everything the request allocated. A handler
 * either sets the response at once (reads) or hands a job to the store's
 * group-commit writer with http_submit (writes): the connection is suspended
 * until the commit, then resumed, and `finish` builds the response on the
 * HTTP thread. */
#ifndef OPSTASKS_HTTP_H
#define OPSTASKS_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "store/store.h"
#include "util/err.h"
#include "util/ratelimit.h"

#define HTTP_BODY_MAX (1024 * 1024)
#define HTTP_MAX_HEADERS 6
#define HTTP_REQUEST_ID_MAX 128
#define HTTP_ROUTES_MAX 96 /* rows in one route table */

struct request;

/* ---- Route tables (router.c) ----
 * http/ names no handler: the layer above hands http_start the table a
 * daemon serves. A pattern matches a path segment by segment, ":name" taking
 * one non-empty segment (copied to r->param). The first pattern that matches
 * the path decides (list literal segments before ":name" ones); a method
 * none of its rows has answers 405 with Allow, and HEAD is answered by the
 * GET row. */
enum {
    HTTP_ROUTE_AUTH = 1 << 0,  /* a token (or session) is checked before the handler runs */
    HTTP_ROUTE_ADMIN = 1 << 1, /* and it must be an admin's (implies HTTP_ROUTE_AUTH) */
};

struct http_route {
    const char *method; /* GET, POST, PUT, PATCH or DELETE */
    const char *pattern;
    void (*handler)(struct request *r);
    unsigned flags; /* HTTP_ROUTE_* */
};

struct http_route_table {
    const struct http_route *rows;
    size_t n; /* at most HTTP_ROUTES_MAX */
    /* Every path equal to it or under it is authenticated before it is
     * matched, so that without a token each answers 401 alike (none tells
     * whether it exists); NULL: none. */
    const char *auth_prefix;
    const char *not_found; /* the 404's message; NULL: "no such route" */
    /* For a GET or HEAD of a path outside auth_prefix that no pattern
     * matches: answers it and returns true (a browser's page), or returns
     * false for the JSON 404. NULL: always the JSON 404. */
    bool (*not_found_page)(struct request *r);
};

/* Server-wide settings and shared handles; read-only after start. */
struct app {
    struct store *store;
    const char *timezone;
    struct ratelimit *events_limit;  /* body bytes per token for POST /ops/events; NULL: no limit */
    struct passwords *passwords;     /* the argon2id pool (service/passwords.h) */
    struct ratelimit *signin_records; /* which refused sign-ins are recorded (signin.c); NULL: all */
    bool tls;           /* served over HTTPS directly (--tls-cert): HSTS, Secure cookies */
    const char *tls_cert, *tls_key; /* their PEM text when tls; kept until the daemon stops */
    /* connection limits and header deadline (guard.h); guard is set by http_start */
    unsigned max_connections_per_address, max_connections, header_timeout, body_timeout, write_queue_max;
    const char *trusted_proxies; /* comma-separated */
    struct guard *guard;
    struct answer_cache *answers; /* rendered answers of the queue's reads (api/cache.c); NULL: none */
    /* set by http_start: the table this daemon serves, and for each of its
     * rows the request-metrics series it counts into (metrics.c) */
    const struct http_route_table *routes;
    unsigned char route_series[HTTP_ROUTES_MAX];
};

struct request {
    struct MHD_Connection *conn;
    struct app *app;
    const char *method;  /* MHD-owned, valid for the request */
    char path[512];
    bool path_too_long;
    /* the body, collected up to HTTP_BODY_MAX */
    char *body;
    size_t body_len, body_cap;
    bool too_large;
    bool dispatched;
    /* who is asking (set by auth for /ops routes) */
    bool authed;
    struct token token;
    char actor[96];  /* history's name for them: a staff id, or token:ID */
    char scope[EXT_ID_SIZE];  /* what idempotency keys and rate limits are per: a token id, or a staff id */
    /* route parameters (:id) */
    char param[512];
    /* when set, the query arguments http_query reads instead of the URL's */
    const struct http_pairs *query; /* as long as path: handlers validate */
    /* the response */
    bool response_ready;
    int status;
    char *resp_body;  /* malloc'd */
    size_t resp_len;
    const char *content_type;
    int n_headers;
    struct {
        char name[40];
        char value[200];
    } headers[HTTP_MAX_HEADERS];
    /* an asynchronous write */
    struct store_job job;
    bool suspended;
    bool job_finished;
    void *ctx;
    void (*finish)(struct request *r, enum err rc);
    void (*ctx_free)(void *ctx);
    /* request metrics: the matched row's series (0: none), and the arrival */
    int metrics_series;
    struct timespec started;
    /* the access log: X-Request-Id (the client's when sane, else ours) and
     * the pattern of the route the path matched (NULL: none) */
    char request_id[HTTP_REQUEST_ID_MAX + 1];
    const char *route_pattern;
    /* the framing check (guard.c): the request target as MHD first showed it */
    const char *raw_uri;
    size_t raw_uri_len;
    bool checked;       /* the first callback (headers complete) has run */
    bool close;         /* answer with Connection: close */
    bool busy;          /* the writer's queue was full */
    char client_address[46]; /* http_client_address's answer, once asked */
    struct http_stream *stream; /* the body is a stream (stream.c), not resp_body */
};

/* Starts the server on an already bound, listening socket, serving routes
 * (which must live as long as the process: the request metrics keep its
 * labels). threads: pool size. Returns the daemon,
 * or NULL (logged). */
struct MHD_Daemon *http_start(struct app *app, const struct http_route_table *routes, int listen_fd,
                              unsigned threads);
/* Direct HTTPS (tls.c): reads and checks the PEM certificate (chain) and
 * key, and sets app->tls, tls_cert and tls_key for http_start. Returns 0, or
 * -1 with one line saying what is wrong in err. http_tls_free (after the
 * daemon stopped) wipes the key and frees both. */
int http_tls_load(struct app *app, const char *cert_path, const char *key_path, char *err, size_t en);
void http_tls_free(struct app *app);
/* Stops accepting, waits up to timeout_ms for in-flight requests, runs every
 * write still queued (store_drain), stops and closes the listening socket. */
void http_stop(struct MHD_Daemon *d, struct store *store, int timeout_ms);

/* Responses. Each replaces any response set before. */
void http_reply_json(struct request *r, int status, json_t *body);  /* steals body */
void http_reply_raw_json(struct request *r, int status, const char *json_text);
/* Takes ownership of a malloc'd JSON text; NULL (out of memory) answers 500. */
void http_reply_text(struct request *r, int status, char *json_text);
void http_reply_error(struct request *r, const struct errinfo *e);
void http_reply_err(struct request *r, enum err code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void http_add_header(struct request *r, const char *name, const char *value);

/* The client's address as text: the connection's peer, or, when the peer is
 * a --trusted-proxy, the right-most X-Forwarded-For entry that is not itself
 * a trusted proxy (the proxy's own address when there is none). Valid for the
 * request (client.c). */
const char *http_client_address(struct request *r);

/* A query string the server holds rather than one a request carried (a
 * saved view's): decoded once into key/value pairs, which http_query and
 * http_query_check then read instead of the request's while r->query is
 * set (query.c). */
#define HTTP_PAIRS_MAX 32
#define HTTP_PAIRS_TEXT_MAX 2000
struct http_pairs {
    int n;
    const char *key[HTTP_PAIRS_MAX], *value[HTTP_PAIRS_MAX];
    char text[HTTP_PAIRS_TEXT_MAX + 2 * HTTP_PAIRS_MAX + 2]; /* the decoded keys and values, NUL-ended */
};
/* Splits s ("a=1&b=x%2Cy") on '&' and '=', decoding %XX and '+' as a
 * browser encodes a form; empty segments are skipped, a key without '='
 * has the value "". ERR_VALIDATION_FAILED naming `field` for text over
 * HTTP_PAIRS_TEXT_MAX bytes, more than HTTP_PAIRS_MAX pairs, a bad or NUL
 * escape, an empty key, or a key given twice. */
enum err http_pairs_parse(const char *s, const char *field, struct http_pairs *out, struct errinfo *e);

/* The request's query arguments (r->query's when set) as one text that is
 * the same for the same arguments in any order: each key and value
 * length-prefixed, sorted by key then value, appended to b. false when
 * there are too many to sort (64) or memory ran out. */
struct buf;
bool http_query_canonical(struct request *r, struct buf *b);
/* 200 with json_text (owned) and the entity tag etag (quoted), or 304
 * without a body when the request's If-None-Match holds that tag. */
void http_reply_tagged(struct request *r, char *json_text, const char *etag);

/* Request headers and query arguments (NULL when absent). */
const char *http_header(struct request *r, const char *name);
const char *http_query(struct request *r, const char *name);
/* ERR_OK when every query argument is in `known` (NULL-terminated); else
 * a validation error naming the first stranger. */
enum err http_query_check(struct request *r, const char *const *known, struct errinfo *e);

/* Hands `run` to the writer; `finish` is called on the HTTP thread after the
 * commit with the job's result, and must set the response, or call
 * http_submit again to chain a further job. ctx is freed with
 * ctx_free when the request ends. */
void http_submit(struct request *r, enum err (*run)(struct store_conn *, void *), void *ctx,
                 void (*finish)(struct request *, enum err), void (*ctx_free)(void *));
/* http_submit with another queue than the writer's: enqueue(queue, job)
 * takes the job (0) or refuses it (-2: full, the request then answers 503
 * busy with Retry-After; -1: stopping, 503). run is called with no connection (c is NULL)
 * wherever that queue runs it; finish as for http_submit, and it may hand
 * the request on to the writer with http_submit. */
void http_submit_via(struct request *r, int (*enqueue)(void *queue, struct store_job *job), void *queue,
                     enum err (*run)(struct store_conn *, void *), void *ctx, void (*finish)(struct request *, enum err),
                     void (*ctx_free)(void *));

/* ---- Streamed answers (stream.c): server-sent events ----
 * http_stream_open answers r 200 text/event-stream (Connection: close),
 * whose body is whatever http_stream_write hands over, until
 * http_stream_end; while nothing is to be sent, the connection is suspended
 * (no HTTP thread waits). Returns the stream, of which the caller holds a
 * reference to give back with http_stream_release (any thread), or NULL
 * with r answered 500. buffer_max bounds what waits unsent: a write past it
 * ends the stream. http_stream_write copies text: false when the stream has
 * ended (the client left, the buffer overflowed, or it was ended), which
 * http_stream_ended also says. http_stream_end_all ends every open stream
 * (http_stop, first). A handler that opened a stream sets no other
 * answer. http_stream_response is server.c's: the MHD response
 * for r->stream (NULL, and the stream ended, when it cannot be made). */
struct http_stream;
struct http_stream *http_stream_open(struct request *r, size_t buffer_max);
bool http_stream_write(struct http_stream *s, const char *text, size_t n);
void http_stream_end(struct http_stream *s);
bool http_stream_ended(struct http_stream *s);
void http_stream_release(struct http_stream *s);
void http_stream_end_all(void);
struct MHD_Response *http_stream_response(struct http_stream *s);
/* server.c's, for a request that ends before its stream was queued: drops
 * MHD's reference, the stream ended. */
void http_stream_discard(struct http_stream *s);

/* Routes r over r->app->routes (router.c): sets r->route_pattern (NULL: no
 * pattern matched) and r->metrics_series, then answers 404/405/401/403 or
 * runs the row's handler. */
void http_route(struct request *r);

/* ---- CSV answers and request metrics ---- */
/* Takes ownership of a malloc'd body of the given content type (NULL: 500). */
void http_reply_body(struct request *r, int status, char *body, const char *content_type);
/* The request-metrics series labelled with a route's method and pattern
 * (metrics.c): added when new, so rows of two tables alike share one. The
 * strings must outlive the process's scrapes (a table's literals). Returns
 * 1 to HTTP_ROUTES_MAX, or 0 when every series is taken. Main thread only,
 * before the daemon serving the row starts. */
int http_metrics_series(const char *method, const char *pattern);
/* Counts a finished request (metrics.c): series as in struct request. */
void http_metrics_observe(int series, int status, double seconds);
/* Appends the HTTP metrics in Prometheus text format to a malloc'd buffer
 * (metrics.c); see util/buf.h. */
struct buf;
void http_metrics_write(struct buf *b);

/* The client's address as text (client.c): valid until the next call on
 * the same thread; "unknown" when the connection has none. */
const char *http_client_address(struct request *r);

/* Authentication (auth.c): ERR_OK and r->token/actor/scope set, or an error. */
enum err http_authenticate(struct request *r, struct errinfo *e);
/* Sets r->authed, r->actor and r->scope from r->token. */
void http_auth_identify(struct request *r);
/* Drops from this instance's token cache the token token_id and every token
 * tied to staff_id (either may be NULL), after a revocation or a
 * deactivation, so their next request here is looked up (and refused). */
void http_token_forget(const char *token_id, const char *staff_id);
/* Token hashing shared with the token command. */
void http_token_hash(const char *token, unsigned char out[32]);
/* A new random token "ops_..." into out (>= 48 bytes). */
void http_token_generate(char *out, size_t n);

#endif
