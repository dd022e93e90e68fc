/* serve.c: `opstasks serve`. Start order: options, timezone, database,
 * listening socket, HTTP threads, sweeper; then the main thread waits for
 * SIGTERM/SIGINT with sigwait (no handler runs in a signal context) and stops
 * in order: listener and in-flight requests, sweeper, writer, database. */
#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "domain/dates.h"
#include "http/http.h"
#include "jobs/rules.h"
#include "jobs/recompute.h"
#include "jobs/sweeper.h"
#include "service/tasks.h"
#include "util/log.h"

enum { O_LISTEN, O_DB, O_TZ, O_SWEEP, O_METRICS, O__COUNT };

static const struct option_desc opts[] = {
    [O_LISTEN] = {"listen", "OPSTASKS_LISTEN", OPT_STRING, "127.0.0.1:8080", 0, 0,
                  "address to listen on, HOST:PORT (port 0 picks a free one)"},
    [O_DB] = {"db", "OPSTASKS_DB", OPT_STRING, "opstasks.db", 0, 0, "SQLite database file (created when missing)"},
    [O_TZ] = {"timezone", "OPSTASKS_TIMEZONE", OPT_STRING, "UTC", 0, 0,
              "IANA timezone in which due dates are calendar days"},
    [O_SWEEP] = {"sweep-interval", "OPSTASKS_SWEEP_INTERVAL", OPT_INT, "60", 1, 86400,
                 "seconds between overdue sweeps"},
    /* issue 3 */
    [O_METRICS] = {"metrics-listen", "OPSTASKS_METRICS_LISTEN", OPT_STRING, "", 0, 0,
                   "also serve GET /metrics, without a token, on HOST:PORT (\"\": off)"},
};

/* Splits HOST:PORT or [V6]:PORT. Returns 0 or -1. */
static int split_listen(const char *s, char *host, size_t hn, char *port, size_t pn)
{
    const char *colon;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':') return -1;
        snprintf(host, hn, "%.*s", (int)(end - s - 1), s + 1);
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || colon == s) return -1;
        snprintf(host, hn, "%.*s", (int)(colon - s), s);
    }
    snprintf(port, pn, "%s", colon + 1);
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535) return -1;
    return 0;
}

static int open_listener(const char *host, const char *port, char *shown, size_t sn)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        log_error("serve: cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
            log_error("serve: cannot listen on %s:%s: %m", host, port);
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) return -1;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    char addr[INET6_ADDRSTRLEN] = "";
    int p = 0;
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof addr);
        p = ntohs(s6->sin6_port);
        snprintf(shown, sn, "[%s]:%d", addr, p);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof addr);
        p = ntohs(s4->sin_port);
        snprintf(shown, sn, "%s:%d", addr, p);
    }
    return fd;
}

int cmd_serve(int argc, char **argv)
{
    const char *v[O__COUNT];
    int rc = options_parse("usage: opstasks serve [--listen HOST:PORT] [--db PATH] [--timezone IANA_NAME] "
                           "[--sweep-interval SECONDS] [--metrics-listen HOST:PORT]\n\nServes the JSON API and runs the background jobs.",
                           opts, O__COUNT, argc, argv, v);
    if (rc) return rc == 1 ? 0 : 2;
    char host[256], port[16];
    if (split_listen(v[O_LISTEN], host, sizeof host, port, sizeof port) != 0) {
        fprintf(stderr, "opstasks: --listen must be HOST:PORT, not '%s'\n", v[O_LISTEN]);
        return 2;
    }
    char mhost[256], mport[16]; /* issue 3 */
    if (v[O_METRICS][0] && split_listen(v[O_METRICS], mhost, sizeof mhost, mport, sizeof mport) != 0) {
        fprintf(stderr, "opstasks: --metrics-listen must be HOST:PORT, not '%s'\n", v[O_METRICS]);
        return 2;
    }
    if (dates_set_timezone(v[O_TZ]) != 0) {
        fprintf(stderr, "opstasks: --timezone '%s' is not an IANA timezone name known to this system\n", v[O_TZ]);
        return 2;
    }
    /* Signals are taken by sigwait in this thread alone: block them before
     * any thread starts, so every thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* workflow rules (issue 5): the service's own events go to the rules
     * engine; set before the writer thread starts */
    service_set_task_event_hook(rules_task_event);

    struct errinfo e = {0};
    struct store *store = NULL;
    if (store_open(v[O_DB], &store, &e) != 0) {
        fprintf(stderr, "opstasks: %s\n", e.message);
        return 1;
    }
    char shown[300];
    int fd = open_listener(host, port, shown, sizeof shown);
    if (fd < 0) {
        fprintf(stderr, "opstasks: cannot listen on %s\n", v[O_LISTEN]);
        store_close(store);
        return 1;
    }
    struct app app = {.store = store, .timezone = v[O_TZ]};
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = (unsigned)(ncpu < 2 ? 2 : ncpu > 16 ? 16 : ncpu);
    struct MHD_Daemon *d = http_start(&app, fd, threads);
    if (!d) {
        fprintf(stderr, "opstasks: cannot start the HTTP server\n");
        close(fd);
        store_close(store);
        return 1;
    }
    /* issue 3: GET /metrics alone, unauthenticated, on its own address */
    struct app metrics_app = {.store = store, .timezone = v[O_TZ], .metrics_only = true};
    struct MHD_Daemon *md = NULL;
    char mshown[300] = "";
    if (v[O_METRICS][0]) {
        int mfd = open_listener(mhost, mport, mshown, sizeof mshown);
        if (mfd < 0 || !(md = http_start(&metrics_app, mfd, 2))) {
            fprintf(stderr, "opstasks: cannot serve metrics on %s\n", v[O_METRICS]);
            if (mfd >= 0) close(mfd);
            http_stop(d, store, 0);
            store_close(store);
            return 1;
        }
    }
    struct sweeper *sw = sweeper_start(store, atoi(v[O_SWEEP]));
    if (!sw) {
        fprintf(stderr, "opstasks: cannot start the overdue sweeper\n");
        if (md) http_stop(md, store, 0); /* issue 3 */
        http_stop(d, store, 0);
        store_close(store);
        return 1;
    }
    struct recompute *rw = recompute_start(store); /* SLA deadlines after a calendar change */
    if (!rw) {
        fprintf(stderr, "opstasks: cannot start the SLA recompute\n");
        sweeper_stop(sw);
        if (md) http_stop(md, store, 0);
        http_stop(d, store, 0);
        store_close(store);
        return 1;
    }
    log_info("serve: database %s, timezone %s, %u HTTP threads", v[O_DB], v[O_TZ], threads);
    printf("listening on http://%s\n", shown);
    if (md) printf("metrics on http://%s/metrics\n", mshown); /* issue 3 */
    fflush(stdout);

    int sig = 0;
    sigwait(&set, &sig);
    log_info("serve: %s received; finishing in-flight requests", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    sweeper_stop(sw); /* before the writer drains: the sweeper submits writes */
    recompute_stop(rw); /* likewise; it stops after its current batch */
    http_stop(d, store, 10000);
    if (md) http_stop(md, store, 1000); /* issue 3 */
    store_close(store);
    rules_cache_clear(); /* workflow rules (issue 5) */
    log_info("serve: stopped cleanly");
    return 0;
}
