/* server.c: libmicrohttpd daemon set-up and the per-request callback.
 * MHD calls the access handler several times per request: once with the
 * headers, once per body chunk, once with nothing left to read (where the
 * request is dispatched) and once more after a suspended write resumes. A
 * response is queued only from that last kind of call, so keep-alive holds. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/log.h"

/* Requests whose handling has begun (dispatched) and whose answer has not
 * gone out yet: what a graceful stop waits for. A request still receiving
 * its body is not counted: MHD may only notice that such a client went away
 * at its 30 s connection timeout, and a stalled upload must not hold up
 * shutdown. */
static atomic_int in_flight;
/* Set by http_stop: new connections are refused and new requests on kept-alive
 * ones answered 503, so in-flight requests drain. (MHD_quiesce_daemon would
 * do the first half, but in thread-pool epoll mode it races the workers and
 * can abort the process: seen here as "Failed to remove listen FD from epoll
 * set" under load.) */
static atomic_bool stopping;

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)cls, (void)addr, (void)addrlen;
    return atomic_load(&stopping) ? MHD_NO : MHD_YES;
}

static void request_free(struct request *r)
{
    if (r->ctx && r->ctx_free) r->ctx_free(r->ctx);
    free(r->body);
    free(r->resp_body);
    free(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn, (void)toe;
    struct request *r = *con_cls;
    if (!r) return;
    if (r->dispatched) atomic_fetch_sub(&in_flight, 1);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double seconds = (double)(now.tv_sec - r->started.tv_sec) + (double)(now.tv_nsec - r->started.tv_nsec) / 1e9;
    if (r->dispatched) http_metrics_observe(r->route_index, r->status, seconds); /* issue 3: request metrics */
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
    struct MHD_Response *resp = r->resp_body
        ? MHD_create_response_from_buffer(r->resp_len, r->resp_body, MHD_RESPMEM_MUST_FREE)
        : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    r->resp_body = NULL;
    if (r->content_type) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    /* no-store unless the handler chose its own (the page's assets, issue 6) */
    bool own_cache_control = false;
    for (int i = 0; i < r->n_headers; i++)
        if (strcmp(r->headers[i].name, MHD_HTTP_HEADER_CACHE_CONTROL) == 0) own_cache_control = true;
    if (!own_cache_control) MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    if (r->app->tls) MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    for (int i = 0; i < r->n_headers; i++) MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
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
    (void)version;
    struct request *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        *con_cls = r;
        r->conn = conn;
        r->app = cls;
        r->method = method;
        clock_gettime(CLOCK_MONOTONIC, &r->started); /* issue 3: request metrics */
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
            http_add_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
            return queue(r);
        }
        if (content_length_too_large(conn)) {
            /* Answer at once and let MHD close the connection rather than
             * read a body we will refuse. */
            r->too_large = true;
            http_reply_err(r, ERR_PAYLOAD_TOO_LARGE, NULL, "The request body is over the 1 MiB limit");
            http_add_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
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
        if (r->suspended) return MHD_YES; /* finish handed the writer a further job (issue 3) */
        if (!r->response_ready) http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return queue(r);
    }
    if (r->dispatched) return r->response_ready ? queue(r) : MHD_NO;
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

void http_submit(struct request *r, enum err (*run)(struct store_conn *, void *), void *ctx,
                 void (*finish)(struct request *, enum err), void (*ctx_free)(void *))
{
    r->ctx = ctx;
    r->ctx_free = ctx_free;
    r->finish = finish;
    r->job.run = run;
    r->job.arg = ctx;
    r->job.done = job_done;
    r->suspended = true;
    MHD_suspend_connection(r->conn);
    if (store_submit(r->app->store, &r->job) != 0) {
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

struct MHD_Daemon *http_start(struct app *app, int listen_fd, unsigned threads)
{
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
    return MHD_start_daemon(flags, 0, on_accept, NULL, on_request, app, MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
                            MHD_OPTION_ARRAY, tls,
                            MHD_OPTION_LISTEN_SOCKET, listen_fd,
                            MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                            (size_t)64 * 1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                            MHD_OPTION_END);
}

void http_stop(struct MHD_Daemon *d, struct store *store, int timeout_ms)
{
    atomic_store(&stopping, true);
    struct timespec pause = {0, 10 * 1000 * 1000};
    for (int waited = 0; atomic_load(&in_flight) > 0 && waited < timeout_ms; waited += 10) nanosleep(&pause, NULL);
    /* Writes still queued hold their request: let the writer finish them all
     * (each resumes its connection) before MHD frees any request. */
    if (atomic_load(&in_flight) > 0) log_error("http: %d requests still running after %d ms; finishing their writes",
                                              atomic_load(&in_flight), timeout_ms);
    store_drain(store);
    for (int waited = 0; atomic_load(&in_flight) > 0 && waited < 1000; waited += 10) nanosleep(&pause, NULL);
    MHD_stop_daemon(d); /* closes the listening socket too */
}
