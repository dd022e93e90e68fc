/* server.c: libmicrohttpd daemon set-up and the per-request callback.
 * MHD calls the access handler several times per request: once with the
 * headers, once per body chunk, once with nothing left to read (where the
 * request is dispatched) and once more after a suspended write resumes. A
 * response is queued only from that last kind of call, so keep-alive holds,
 * except for the refusals of the first call (framing, size, stopping), which
 * close the connection. Limits and the framing check live in guard.c. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/guard.h"
#include "http/http.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/log.h"

/* Requests whose handling has begun (dispatched) and whose answer has not
 * gone out yet: what a graceful stop waits for. A request still receiving
 * its body is not counted: MHD may only notice that such a client went away
 * at its connection timeout, and a stalled upload must not hold up shutdown. */
static atomic_int in_flight;
/* Set by http_stop: new connections are refused and new requests on kept-alive
 * ones answered 503, so in-flight requests drain. (MHD_quiesce_daemon would
 * do the first half, but in thread-pool epoll mode it races the workers and
 * can abort the process: seen here as "Failed to remove listen FD from epoll
 * set" under load.) */
static atomic_bool stopping;

/* MHD's idle timeout, reset by every byte: for bodies and slow readers. The
 * wait for a request's headers has its own, stricter deadline (guard.c). */
#define IDLE_TIMEOUT_S 10

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct app *app = cls;
    if (atomic_load(&stopping)) return MHD_NO;
    return guard_on_accept(app->guard, addr, addrlen);
}

/* Called by MHD once the request line is parsed, before the headers: the
 * target as received (before MHD splits off the query and unescapes it) is
 * what the framing check compares with the version's position. Its return
 * is the request's context from then on. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct request *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->conn = conn;
    r->app = cls;
    r->raw_uri = uri;
    r->raw_uri_len = strlen(uri);
    return r;
}

static void request_free(struct request *r)
{
    if (r->ctx && r->ctx_free) r->ctx_free(r->ctx);
    if (r->stream) http_stream_discard(r->stream); /* never queued */
    free(r->body);
    free(r->resp_body);
    free(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)toe;
    guard_request_done(conn);
    struct request *r = *con_cls;
    if (!r) return;
    if (r->dispatched) atomic_fetch_sub(&in_flight, 1);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double seconds = (double)(now.tv_sec - r->started.tv_sec) + (double)(now.tv_nsec - r->started.tv_nsec) / 1e9;
    if (r->dispatched) http_metrics_observe(r->metrics_series, r->status, seconds);
    /* The access log: only what is safe to keep (the route's pattern, never
     * the path or query, which may carry an invite or a token). Status 0: the
     * client went away before an answer was queued. */
    log_request(&(struct log_request){.request_id = r->request_id, .method = r->method, .route = r->route_pattern,
                                      .status = r->response_ready ? r->status : 0, .ms = seconds * 1000,
                                      .client = http_client_address(r)});
    request_free(r);
    *con_cls = NULL;
}

static enum MHD_Result queue(struct request *r)
{
    /* MHD takes the body over (no copy); it frees it with the response */
    struct MHD_Response *resp = r->stream ? http_stream_response(r->stream)
        : r->resp_body ? MHD_create_response_from_buffer(r->resp_len, r->resp_body, MHD_RESPMEM_MUST_FREE)
        : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    r->stream = NULL; /* MHD's now (or ended, when resp is NULL) */
    if (!resp) return MHD_NO;
    r->resp_body = NULL;
    if (r->content_type) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    /* no-store unless the handler chose its own (the page's assets do) */
    bool own_cache_control = false;
    for (int i = 0; i < r->n_headers; i++)
        if (strcmp(r->headers[i].name, MHD_HTTP_HEADER_CACHE_CONTROL) == 0) own_cache_control = true;
    if (!own_cache_control) MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    if (r->app->tls) MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    for (int i = 0; i < r->n_headers; i++) MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
    if (r->close) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (r->status == MHD_HTTP_SERVICE_UNAVAILABLE && !MHD_get_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static bool content_length_too_large(struct MHD_Connection *conn)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl) return false;
    char *end;
    unsigned long long n = strtoull(cl, &end, 10);
    return end != cl && n > HTTP_BODY_MAX;
}

/* A request id a proxy or client may hand us: 1-128 of [A-Za-z0-9._:-], so
 * it can be logged and echoed as is. */
static bool request_id_sane(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == ':' || c == '-';
        if (!ok || n >= HTTP_REQUEST_ID_MAX) return false;
    }
    return n > 0;
}

static void set_request_id(struct request *r)
{
    const char *given = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Request-Id");
    if (given && request_id_sane(given))
        memcpy(r->request_id, given, strlen(given) + 1);
    else
        ids_new_sequenced("req_", clock_now_ms(), r->request_id, sizeof r->request_id);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct request *r = *con_cls;
    if (!r || !r->checked) {
        if (!r) { /* on_uri ran out of memory */
            r = calloc(1, sizeof *r);
            if (!r) return MHD_NO;
            *con_cls = r;
            r->conn = conn;
            r->app = cls;
        }
        r->checked = true;
        r->method = method;
        guard_headers_done(conn);
        clock_gettime(CLOCK_MONOTONIC, &r->started); /* for the duration histogram and the log */
        set_request_id(r);
        size_t ul = strlen(url);
        if (ul >= sizeof r->path)
            r->path_too_long = true;
        else
            memcpy(r->path, url, ul + 1);
        if (atomic_load(&stopping)) {
            r->dispatched = true;
            atomic_fetch_add(&in_flight, 1);
            http_reply_err(r, ERR_UNAVAILABLE, NULL, "The server is shutting down");
            r->close = true;
            return queue(r);
        }
        struct errinfo e = {.code = ERR_OK};
        if (guard_check_request(r, version, r->raw_uri, r->raw_uri_len, &e) != ERR_OK) {
            /* Refused before any body is read, and the connection closed:
             * whatever follows cannot be told apart from a smuggled request. */
            log_info("http: refused a request from %s: %s", http_client_address(r), e.message);
            r->dispatched = true;
            atomic_fetch_add(&in_flight, 1);
            http_reply_error(r, &e);
            r->close = true;
            return queue(r);
        }
        if (content_length_too_large(conn)) {
            /* Answer at once and let MHD close the connection rather than
             * read a body we will refuse. */
            r->too_large = true;
            http_reply_err(r, ERR_PAYLOAD_TOO_LARGE, NULL, "The request body is over the 1 MiB limit");
            r->close = true;
            return queue(r);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->too_large || r->dispatched) return MHD_YES;
        if (r->body_len + n > HTTP_BODY_MAX) {
            r->too_large = true;
            free(r->body);
            r->body = NULL;
            r->body_len = r->body_cap = 0;
            return MHD_YES;
        }
        if (r->body_len + n + 1 > r->body_cap) {
            size_t cap = r->body_cap ? r->body_cap : 1024;
            while (cap < r->body_len + n + 1) cap *= 2;
            char *b = realloc(r->body, cap);
            if (!b) return MHD_NO;
            r->body = b;
            r->body_cap = cap;
        }
        memcpy(r->body + r->body_len, upload_data, n);
        r->body_len += n;
        r->body[r->body_len] = 0;
        return MHD_YES;
    }
    if (r->suspended) {
        /* resumed after the writer finished */
        r->suspended = false;
        r->finish(r, r->job.rc);
        if (r->suspended) return MHD_YES; /* finish handed the writer a further job */
        if (r->busy) http_reply_err(r, ERR_UNAVAILABLE, NULL, "The server is busy; retry in a moment");
        if (!r->response_ready) http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return queue(r);
    }
    if (r->dispatched) return r->response_ready ? queue(r) : MHD_NO;
    guard_body_done(conn);
    r->dispatched = true;
    atomic_fetch_add(&in_flight, 1);
    if (r->too_large) {
        http_reply_err(r, ERR_PAYLOAD_TOO_LARGE, NULL, "The request body is over the 1 MiB limit");
        return queue(r);
    }
    http_route(r);
    if (r->suspended) return MHD_YES;
    if (!r->response_ready) http_reply_err(r, ERR_INTERNAL, NULL, NULL);
    return queue(r);
}

static void job_done(struct store_job *job)
{
    struct request *r = (struct request *)((char *)job - offsetof(struct request, job));
    r->job_finished = true;
    MHD_resume_connection(r->conn);
}

static int writer_enqueue(void *store, struct store_job *job) { return store_submit_bounded(store, job); }

void http_submit(struct request *r, enum err (*run)(struct store_conn *, void *), void *ctx,
                 void (*finish)(struct request *, enum err), void (*ctx_free)(void *))
{
    http_submit_via(r, writer_enqueue, r->app->store, run, ctx, finish, ctx_free);
}

void http_submit_via(struct request *r, int (*enqueue)(void *queue, struct store_job *job), void *queue,
                     enum err (*run)(struct store_conn *, void *), void *ctx, void (*finish)(struct request *, enum err),
                     void (*ctx_free)(void *))
{
    r->ctx = ctx;
    r->ctx_free = ctx_free;
    r->finish = finish;
    r->job.run = run;
    r->job.arg = ctx;
    r->job.done = job_done;
    r->suspended = true;
    MHD_suspend_connection(r->conn);
    int rc = enqueue(queue, &r->job);
    if (rc != 0) {
        r->busy = rc == -2; /* not stopping: the queue is full */
        r->job.rc = ERR_UNAVAILABLE;
        job_done(&r->job);
    }
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = 0;
    log_info("http: %s", msg);
}

/* Which app (and guard) each running daemon has, for http_stop: set at
 * start and stop, from the main thread only. */
#define MAX_DAEMONS 4
static struct {
    struct MHD_Daemon *d;
    struct app *app;
} daemons[MAX_DAEMONS];

_Static_assert(HTTP_ROUTES_MAX <= 255, "app.route_series holds a series in a byte");

/* Sets app->routes, and each row's request-metrics series. Returns 0, or
 * -1 (logged) when the table is over HTTP_ROUTES_MAX rows or its labels do
 * not fit the series left. */
static int take_routes(struct app *app, const struct http_route_table *routes)
{
    if (routes->n > HTTP_ROUTES_MAX) {
        log_error("http: a route table of %zu rows is over the %d a daemon serves", routes->n, HTTP_ROUTES_MAX);
        return -1;
    }
    for (size_t i = 0; i < routes->n; i++) {
        int series = http_metrics_series(routes->rows[i].method, routes->rows[i].pattern);
        if (series == 0) {
            log_error("http: no request-metrics series left for %s %s (%d in all)", routes->rows[i].method,
                      routes->rows[i].pattern, HTTP_ROUTES_MAX);
            return -1;
        }
        app->route_series[i] = (unsigned char)series;
    }
    app->routes = routes;
    return 0;
}

struct MHD_Daemon *http_start(struct app *app, const struct http_route_table *routes, int listen_fd,
                              unsigned threads)
{
    if (take_routes(app, routes) != 0) return NULL;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     MHD_USE_TURBO;
    atomic_store(&stopping, false);
    /* HTTPS: GnuTLS inside libmicrohttpd, TLS 1.2 and 1.3 only */
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)app->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)app->tls_key},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"},
        {MHD_OPTION_END, 0, NULL},
    };
    if (app->tls)
        flags |= MHD_USE_TLS;
    else
        tls[0].option = MHD_OPTION_END;
    struct guard_limits limits = {
        .max_per_address = app->max_connections_per_address ? app->max_connections_per_address : 64,
        .max_connections = app->max_connections ? app->max_connections : 10000,
        .header_timeout = app->header_timeout ? app->header_timeout : 5,
        .body_timeout = app->body_timeout ? app->body_timeout : 60,
        .trusted_proxies = app->trusted_proxies ? app->trusted_proxies : "",
        .tls = app->tls,
    };
    if (app->write_queue_max) app->store->queue_max = (int)app->write_queue_max;
    app->guard = guard_new(&limits);
    if (!app->guard) return NULL;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, on_accept, app, on_request, app, MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL, MHD_OPTION_ARRAY, tls,
        MHD_OPTION_LISTEN_SOCKET,
        listen_fd, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
        guard_mhd_connection_limit(app->guard, threads), MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, guard_on_connection, app->guard, MHD_OPTION_URI_LOG_CALLBACK, on_uri, app,
        MHD_OPTION_UNESCAPE_CALLBACK, guard_unescape, NULL, MHD_OPTION_END);
    int slot = 0;
    while (slot < MAX_DAEMONS && daemons[slot].d) slot++;
    if (!d || slot == MAX_DAEMONS) {
        if (d) MHD_stop_daemon(d);
        guard_free(app->guard);
        app->guard = NULL;
        return NULL;
    }
    daemons[slot].d = d;
    daemons[slot].app = app;
    return d;
}

void http_stop(struct MHD_Daemon *d, struct store *store, int timeout_ms)
{
    atomic_store(&stopping, true);
    http_stream_end_all(); /* open streams are in flight until their end goes out */
    struct timespec pause = {0, 10 * 1000 * 1000};
    for (int waited = 0; atomic_load(&in_flight) > 0 && waited < timeout_ms; waited += 10) nanosleep(&pause, NULL);
    /* Writes still queued hold their request: let the writer finish them all
     * (each resumes its connection) before MHD frees any request. */
    if (atomic_load(&in_flight) > 0) log_error("http: %d requests still running after %d ms; finishing their writes",
                                              atomic_load(&in_flight), timeout_ms);
    store_drain(store);
    for (int waited = 0; atomic_load(&in_flight) > 0 && waited < 1000; waited += 10) nanosleep(&pause, NULL);
    MHD_stop_daemon(d); /* closes the listening socket too; every connection is closed */
    for (int i = 0; i < MAX_DAEMONS; i++)
        if (daemons[i].d == d) {
            guard_free(daemons[i].app->guard);
            daemons[i].app->guard = NULL;
            daemons[i].d = NULL;
        }
}
