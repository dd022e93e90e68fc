/* hello.c: the HTTP ceiling of bench/run.sh. A bare libmicrohttpd + jansson
 * server with opstasks' thread model (MHD's internal thread pool, one thread
 * per core clamped to 2-16, MHD_USE_TURBO, as src/cmd/serve.c and
 * src/http/server.c start it): GET answers a small JSON object rendered by
 * jansson, POST parses its JSON body and answers 201 with a small JSON object.
 * Whatever opstasks does beyond this (auth, SQL, the task's JSON, durability)
 * is the distance to the ceiling that run.sh reports as a ratio.
 *   usage: hello        (prints "listening on http://127.0.0.1:PORT", stops on SIGTERM/SIGINT)
 *   (run.sh: cc -O2 hello.c $(pkg-config --cflags --libs libmicrohttpd jansson)) */
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BODY_MAX (64 * 1024) /* opstasks' connection memory limit is 64 KiB too */

struct body {
    size_t n;
    int too_big;
    char b[BODY_MAX + 1];
};

static char get_seen; /* a GET's request state: nothing to collect */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) text = strdup("{\"error\":\"internal\"}"), status = 500;
    if (!text) return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **state)
{
    (void)cls, (void)version;
    /* the answer goes on the second call, when MHD has read the whole
     * request: queued on the first one, MHD 0.9.75 closes the connection */
    int is_post = strcmp(method, "POST") == 0;
    if (!*state) {
        struct body *b = is_post ? malloc(sizeof *b) : NULL;
        if (is_post && !b) return MHD_NO;
        if (b) b->n = 0, b->too_big = 0;
        *state = b ? (void *)b : (void *)&get_seen;
        return MHD_YES;
    }
    if (!is_post) return reply(c, 200, json_pack("{s:s, s:s, s:i}", "status", "ok", "path", url, "count", 50));
    struct body *b = *state;
    if (*size) {
        if (b->n + *size > BODY_MAX) b->too_big = 1;
        else memcpy(b->b + b->n, data, *size), b->n += *size;
        *size = 0;
        return MHD_YES;
    }
    if (b->too_big) return reply(c, 413, json_pack("{s:s}", "error", "too_large"));
    json_error_t e;
    json_t *in = json_loadb(b->b, b->n, 0, &e);
    if (!in || !json_is_object(in)) {
        json_decref(in);
        return reply(c, 400, json_pack("{s:s}", "error", "invalid_json"));
    }
    json_t *title = json_object_get(in, "title");
    json_t *out = json_pack("{s:s, s:O, s:s}", "id", "tsk_00000000000000000000000000", "title",
                            title ? title : json_null(), "status", "OPEN");
    json_decref(in);
    return reply(c, 201, out);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode t)
{
    (void)cls, (void)c, (void)t;
    if (*state != &get_seen) free(*state);
    *state = NULL;
}

int main(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = (unsigned)(ncpu < 2 ? 2 : ncpu > 16 ? 16 : ncpu);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_TURBO | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, NULL,
        MHD_OPTION_SOCK_ADDR, &a, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, 10000u,
        MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "hello: cannot start the daemon\n");
        return 1;
    }
    const union MHD_DaemonInfo *port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (!port || !port->port) {
        fprintf(stderr, "hello: no port\n");
        MHD_stop_daemon(d);
        return 1;
    }
    printf("listening on http://127.0.0.1:%u\n", (unsigned)port->port);
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
