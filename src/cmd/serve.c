/* serve.c: `opstasks serve`. Start order: options, timezone, database,
 * listening socket, HTTP threads, sweeper; then the main thread waits for
 * SIGTERM/SIGINT with sigwait (no handler runs in a signal context) and stops
 * in order: listener and in-flight requests, sweeper, writer, database. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/api.h"
#include "cmd/cmd.h"
#include "domain/dates.h"
#include "http/guard.h"
#include "http/http.h"
#include "jobs/recompute.h"
#include "jobs/sweeper.h"
#include "jobs/mailer.h"
#include "service/notify.h"
#include "jobs/webhooks.h"
#include "service/passwords.h"
#include "service/rule_cache.h"
#include "service/rule_engine.h"
#include "service/tasks.h"
#include "service/webhooks.h"
#include "util/log.h"

enum { O_LISTEN, O_DB, O_TZ, O_SWEEP, O_METRICS, O_CONFIG, O_RETENTION, O_EVENTS_LIMIT, O_LOG_FORMAT, O_TLS_CERT,
       O_TLS_KEY, O_PER_ADDRESS, O_MAX_CONNS, O_HEADER_TIMEOUT, O_BODY_TIMEOUT, O_TRUSTED, O_WRITE_QUEUE,
       O_MAX_STREAMS, O_ANSWER_CACHE,
       /* notifications: email */
       O_SMTP_URL, O_SMTP_FROM, O_PUBLIC_URL, O_DIGEST_TIME,
       /* webhooks */
       O_WEBHOOK_ALLOW_PRIVATE,
       O__COUNT };

static const struct option_desc opts[] = {
    [O_LISTEN] = {"listen", "OPSTASKS_LISTEN", OPT_STRING, "127.0.0.1:8080", 0, 0,
                  "address to listen on, HOST:PORT (port 0 picks a free one)"},
    [O_DB] = {"db", "OPSTASKS_DB", OPT_STRING, "opstasks.db", 0, 0, "SQLite database file (created when missing)"},
    [O_TZ] = {"timezone", "OPSTASKS_TIMEZONE", OPT_STRING, "UTC", 0, 0,
              "IANA timezone in which due dates are calendar days"},
    [O_SWEEP] = {"sweep-interval", "OPSTASKS_SWEEP_INTERVAL", OPT_INT, "60", 1, 86400,
                 "seconds between overdue sweeps"},
    [O_METRICS] = {"metrics-listen", "OPSTASKS_METRICS_LISTEN", OPT_STRING, "", 0, 0,
                   "also serve GET /metrics, without a token, on HOST:PORT (\"\": off)"},
    [O_CONFIG] = {"config", "OPSTASKS_CONFIG", OPT_CONFIG, "", 0, 0,
                  "read options from FILE, one 'name = value' a line (flags and env win over it)"},
    [O_RETENTION] = {"events-retention-days", "OPSTASKS_EVENTS_RETENTION_DAYS", OPT_INT, "180", 0, 36500,
                     "the sweeper removes events received more than N days ago (0: keep them forever)"},
    [O_EVENTS_LIMIT] = {"events-limit-mib-per-minute", "OPSTASKS_EVENTS_LIMIT_MIB_PER_MINUTE", OPT_INT, "16", 0,
                        1048576, "MiB of POST /ops/events bodies each token may send per minute (0: no limit)"},
    [O_LOG_FORMAT] = {"log-format", "OPSTASKS_LOG_FORMAT", OPT_STRING, "text", 0, 0,
                      "stderr log lines as text or json (one object per line)"},
    [O_TLS_CERT] = {"tls-cert", "OPSTASKS_TLS_CERT", OPT_STRING, "", 0, 0,
                    "serve HTTPS with this PEM certificate (chain); needs --tls-key (\"\": plain HTTP)"},
    [O_TLS_KEY] = {"tls-key", "OPSTASKS_TLS_KEY", OPT_STRING, "", 0, 0, "the PEM private key of --tls-cert"},
    /* limits that keep one client from taking the server (http/guard.c) */
    [O_PER_ADDRESS] = {"max-connections-per-address", "OPSTASKS_MAX_CONNECTIONS_PER_ADDRESS", OPT_INT, "64", 1,
                       100000, "connections one client address may hold; more are closed at once"},
    [O_MAX_CONNS] = {"max-connections", "OPSTASKS_MAX_CONNECTIONS", OPT_INT, "10000", 2, 1000000,
                     "connections in all; past it a new one is answered 503 and closed"},
    [O_HEADER_TIMEOUT] = {"header-timeout", "OPSTASKS_HEADER_TIMEOUT", OPT_INT, "5", 1, 300,
                          "seconds a connection has to send a request's headers, from its accept or the end of "
                          "its previous request"},
    [O_BODY_TIMEOUT] = {"body-timeout", "OPSTASKS_BODY_TIMEOUT", OPT_INT, "60", 1, 3600,
                         "seconds a request's body has to arrive, from the end of its headers"},
    [O_TRUSTED] = {"trusted-proxy", "OPSTASKS_TRUSTED_PROXY", OPT_STRING, "", 0, 0,
                   "a proxy's address: its connections are not limited per address, and its requests' client "
                   "is taken from X-Forwarded-For (env: comma-separated)", true},
    [O_WRITE_QUEUE] = {"write-queue-max", "OPSTASKS_WRITE_QUEUE_MAX", OPT_INT, "10000", 1, 1000000,
                       "writes waiting for the writer; past it a write is answered 503"},
    [O_MAX_STREAMS] = {"max-streams", "OPSTASKS_MAX_STREAMS", OPT_INT, "500", 1, 100000,
                       "live streams (GET /ops/stream) open at once; past it one is answered 503"},
    [O_ANSWER_CACHE] = {"answer-cache-mib", "OPSTASKS_ANSWER_CACHE_MIB", OPT_INT, "32", 0, 4096,
                        "MiB of rendered queue answers kept for repeated reads (0: none)"},
    /* notifications: email (jobs/mailer.c) */
    [O_SMTP_URL] = {"smtp-url", "OPSTASKS_SMTP_URL", OPT_STRING, "", 0, 0,
                    "send notification emails through this SMTP server: smtp://HOST:PORT or smtps://HOST:PORT "
                    "(user:password@ allowed; \"\": no email)"},
    [O_SMTP_FROM] = {"smtp-from", "OPSTASKS_SMTP_FROM", OPT_STRING, "opstasks@localhost", 0, 0,
                     "the address notification emails come from"},
    [O_PUBLIC_URL] = {"public-url", "OPSTASKS_PUBLIC_URL", OPT_STRING, "", 0, 0,
                      "the address people open opstasks at, for the links in emails (\"\": the listen address)"},
    [O_DIGEST_TIME] = {"digest-time", "OPSTASKS_DIGEST_TIME", OPT_STRING, "08:00", 0, 0,
                       "HH:MM in --timezone at which each person gets the day's digest of overdue tasks and "
                       "tasks due today"},
    /* webhooks (jobs/webhooks.c) */
    [O_WEBHOOK_ALLOW_PRIVATE] = {"webhook-allow-private", "OPSTASKS_WEBHOOK_ALLOW_PRIVATE", OPT_BOOL, "false", 0, 0,
                                 "let webhooks reach loopback, private and link-local addresses (refused by "
                                 "default: the SSRF guard)"},
};

/* The per-token volume limit of POST /ops/events; lives as long as the
 * process (an early error return leaves it to exit). */
static struct ratelimit *events_limit, *signin_records;
static struct answer_cache *answers;

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

/* Binds HOST:PORT (not yet listening), so that a port already in use is
 * found before the database is opened and migrated, and no connection is
 * taken before the server can answer it. shown gets the bound address
 * (the port a port 0 picked). -1, with the reason on stderr, on failure. */
static int bind_listener(const char *host, const char *port, const char *what, char *shown, size_t sn)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "opstasks: cannot listen on %s:%s: %s\n", host, port, gai_strerror(rc));
        return -1;
    }
    int fd = -1, why = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            why = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) != 0) {
            why = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (why == EADDRINUSE)
            fprintf(stderr, "opstasks: cannot listen on %s:%s: the port is in use (another server running?); "
                    "stop it or choose another %s\n", host, port, what);
        else
            fprintf(stderr, "opstasks: cannot listen on %s:%s: %s\n", host, port, strerror(why));
        return -1;
    }
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

/* Logs how to make a token when the database has none (a server
 * nobody can call otherwise); a failed count says nothing. */
static void hint_without_tokens(struct store *store, const char *db)
{
    struct store_conn *c = store_reader_acquire(store);
    if (!c) return;
    int64_t n = -1;
    enum err rc = store_token_count(c, &n);
    store_reader_release(c);
    if (rc != ERR_OK || n != 0) return;
    char shown[512]; /* a URI's password is never printed */
    store_db_display(db, shown, sizeof shown);
    /* one log line, so --log-format json stays one JSON object a line */
    log_info("serve: the database has no API token yet, so nobody can sign in or call the API; make the first "
             "admin token with: opstasks init --db %s (or another with: opstasks token create --db %s --role admin)",
             shown, shown);
}

int cmd_serve(int argc, char **argv)
{
    const char *v[O__COUNT];
    int rc = options_parse("usage: opstasks serve [OPTION VALUE ...] [--config FILE]\n\n"
                           "Serves the JSON API and the page and runs the background jobs. Each option may also "
                           "come from its\nenvironment variable or the config file (flag > env > file > default).",
                           opts, O__COUNT, argc, argv, v);
    if (rc) return rc == 1 ? 0 : 2;
    char host[256], port[16];
    if (split_listen(v[O_LISTEN], host, sizeof host, port, sizeof port) != 0) {
        fprintf(stderr, "opstasks: %s must be HOST:PORT, not '%s'\n", options_origin(O_LISTEN), v[O_LISTEN]);
        return 2;
    }
    char mhost[256], mport[16];
    if (v[O_METRICS][0] && split_listen(v[O_METRICS], mhost, sizeof mhost, mport, sizeof mport) != 0) {
        fprintf(stderr, "opstasks: %s must be HOST:PORT, not '%s'\n", options_origin(O_METRICS), v[O_METRICS]);
        return 2;
    }
    if (strcmp(v[O_LOG_FORMAT], "text") != 0 && strcmp(v[O_LOG_FORMAT], "json") != 0) {
        fprintf(stderr, "opstasks: --log-format must be text or json, not '%s'\n", v[O_LOG_FORMAT]);
        return 2;
    }
    log_set_json(v[O_LOG_FORMAT][0] == 'j');
    if (!v[O_TLS_CERT][0] != !v[O_TLS_KEY][0]) {
        fprintf(stderr, "opstasks: --tls-cert and --tls-key go together: give both or neither\n");
        return 2;
    }
    char bad[64];
    if (guard_check_addresses(v[O_TRUSTED], bad, sizeof bad) != 0) {
        fprintf(stderr, "opstasks: --trusted-proxy must be an IP address, not '%s'\n", bad);
        return 2;
    }
    unsigned per_address = (unsigned)atoi(v[O_PER_ADDRESS]), max_conns = (unsigned)atoi(v[O_MAX_CONNS]);
    if (per_address >= max_conns) {
        fprintf(stderr, "opstasks: --max-connections (%u) must be larger than --max-connections-per-address (%u)\n",
                max_conns, per_address);
        return 2;
    }
    guard_fit_fd_limit(&max_conns);
    int digest_minutes = mailer_parse_time(v[O_DIGEST_TIME]);
    if (digest_minutes < 0) {
        fprintf(stderr, "opstasks: %s must be HH:MM (00:00 to 23:59), not '%s'\n", options_origin(O_DIGEST_TIME),
                v[O_DIGEST_TIME]);
        return 2;
    }
    if (v[O_SMTP_URL][0] && strncmp(v[O_SMTP_URL], "smtp://", 7) != 0 && strncmp(v[O_SMTP_URL], "smtps://", 8) != 0) {
        fprintf(stderr, "opstasks: %s must start with smtp:// or smtps://, not '%s'\n", options_origin(O_SMTP_URL),
                v[O_SMTP_URL]);
        return 2;
    }
    if (v[O_PUBLIC_URL][0] && strncmp(v[O_PUBLIC_URL], "http://", 7) != 0 &&
        strncmp(v[O_PUBLIC_URL], "https://", 8) != 0) {
        fprintf(stderr, "opstasks: %s must start with http:// or https://, not '%s'\n", options_origin(O_PUBLIC_URL),
                v[O_PUBLIC_URL]);
        return 2;
    }
    if (dates_set_timezone(v[O_TZ]) != 0) {
        fprintf(stderr, "opstasks: %s '%s' is not an IANA timezone name known to this system\n", options_origin(O_TZ),
                v[O_TZ]);
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

    /* the service's own events (a task overdue, completed, cancelled, an SLA
     * breach) go to the rules engine; set before the writer thread starts */
    service_set_task_event_hook(rule_engine_task_event);
    /* notifications: in-app rows and pending emails, in each change's transaction */
    announce_add_sink(notify_sink);
    /* webhooks: the outbox sink, in every change's transaction */
    webhooks_set_allow_private(options_bool(v[O_WEBHOOK_ALLOW_PRIVATE]));
    announce_add_sink(webhooks_sink);
    /* libcurl (webhooks out), before any thread that could use it */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "opstasks: cannot initialise libcurl\n");
        return 1;
    }

    struct app app = {.timezone = v[O_TZ]};
    char tls_err[600];
    if (v[O_TLS_CERT][0] && http_tls_load(&app, v[O_TLS_CERT], v[O_TLS_KEY], tls_err, sizeof tls_err) != 0) {
        fprintf(stderr, "opstasks: %s\n", tls_err);
        return 1;
    }
    /* the addresses first: a port in use must not cost a migration (nor
     * leave a new database behind) */
    char shown[300], mshown[300] = "";
    int fd = bind_listener(host, port, "--listen", shown, sizeof shown), mfd = -1;
    if (fd >= 0 && v[O_METRICS][0] && (mfd = bind_listener(mhost, mport, "--metrics-listen", mshown, sizeof mshown)) < 0) {
        close(fd);
        fd = -1;
    }
    if (fd < 0) {
        http_tls_free(&app);
        return 1;
    }
    struct errinfo e = {0};
    struct store *store = NULL;
    if (store_open(v[O_DB], &store, &e) != 0) {
        fprintf(stderr, "opstasks: %s\n", e.message);
        close(fd);
        if (mfd >= 0) close(mfd);
        http_tls_free(&app);
        return 1;
    }
    if (listen(fd, 1024) != 0 || (mfd >= 0 && listen(mfd, 1024) != 0)) {
        fprintf(stderr, "opstasks: cannot listen on %s: %s\n", v[O_LISTEN], strerror(errno));
        close(fd);
        if (mfd >= 0) close(mfd);
        http_tls_free(&app);
        store_close(store);
        return 1;
    }
    app.store = store;
    long events_mib = atol(v[O_EVENTS_LIMIT]);
    if (events_mib > 0 && !(events_limit = ratelimit_new((int64_t)events_mib * 1024 * 1024, 60 * 1000))) {
        fprintf(stderr, "opstasks: out of memory\n");
        close(fd);
        if (mfd >= 0) close(mfd);
        store_close(store);
        return 1;
    }
    app.events_limit = events_limit;
    /* sign-ins refused for the limiter: one recorded a minute per email and address */
    if (!(signin_records = ratelimit_new(1, 60 * 1000))) {
        fprintf(stderr, "opstasks: out of memory\n");
        close(fd);
        if (mfd >= 0) close(mfd);
        store_close(store);
        return 1;
    }
    app.signin_records = signin_records;
    app.max_connections_per_address = per_address;
    app.max_connections = max_conns;
    app.header_timeout = (unsigned)atoi(v[O_HEADER_TIMEOUT]);
    app.body_timeout = (unsigned)atoi(v[O_BODY_TIMEOUT]);
    app.write_queue_max = (unsigned)atoi(v[O_WRITE_QUEUE]);
    app.trusted_proxies = v[O_TRUSTED];
    app.answers = answers = api_cache_new((size_t)atoi(v[O_ANSWER_CACHE]) * 1024 * 1024);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = (unsigned)(ncpu < 2 ? 2 : ncpu > 16 ? 16 : ncpu);
    /* argon2id for sign-ins, on threads of its own (service/passwords.h) */
    if (!(app.passwords = passwords_start(PASSWORDS_THREADS, PASSWORDS_QUEUE_MAX, PASSWORDS_MAX_WAIT_MS))) {
        fprintf(stderr, "opstasks: cannot start the password threads\n");
        close(fd);
        if (mfd >= 0) close(mfd);
        http_tls_free(&app);
        store_close(store);
        return 1;
    }
    struct MHD_Daemon *d = http_start(&app, &api_routes, fd, threads);
    if (!d) {
        passwords_stop(app.passwords);
        fprintf(stderr, "opstasks: cannot start the HTTP server\n");
        close(fd);
        if (mfd >= 0) close(mfd);
        http_tls_free(&app);
        store_close(store);
        return 1;
    }
    /* GET /metrics alone, unauthenticated, on its own address */
    struct app metrics_app = app;
    metrics_app.guard = NULL;
    /* the metrics address stays plain HTTP (as printed below and documented) */
    metrics_app.tls = false;
    metrics_app.tls_cert = metrics_app.tls_key = NULL;
    struct MHD_Daemon *md = NULL;
    if (mfd >= 0) {
        if (!(md = http_start(&metrics_app, &api_metrics_routes, mfd, 2))) {
            fprintf(stderr, "opstasks: cannot serve metrics on %s\n", v[O_METRICS]);
            close(mfd);
            http_stop(d, store, 0);
            passwords_stop(app.passwords);
            http_tls_free(&app);
            store_close(store);
            return 1;
        }
    }
    struct sweeper *sw = sweeper_start(store, atoi(v[O_SWEEP]), atoi(v[O_RETENTION]));
    if (!sw) {
        fprintf(stderr, "opstasks: cannot start the overdue sweeper\n");
        if (md) http_stop(md, store, 0);
        http_stop(d, store, 0);
        passwords_stop(app.passwords);
        http_tls_free(&app);
        store_close(store);
        return 1;
    }
    struct recompute *rw = recompute_start(store); /* SLA deadlines after a calendar change */
    if (!rw) {
        fprintf(stderr, "opstasks: cannot start the SLA recompute\n");
        sweeper_stop(sw);
        if (md) http_stop(md, store, 0);
        http_stop(d, store, 0);
        passwords_stop(app.passwords);
        store_close(store);
        return 1;
    }
    /* the mailer: emails go out when an SMTP server is given (a failure to
     * start it leaves them pending for another instance or a restart) */
    struct mailer *mailer = NULL;
    if (v[O_SMTP_URL][0]) {
        char base[600];
        if (v[O_PUBLIC_URL][0]) snprintf(base, sizeof base, "%s", v[O_PUBLIC_URL]);
        else snprintf(base, sizeof base, "%s://%s", app.tls ? "https" : "http", shown);
        size_t bl = strlen(base);
        while (bl > 0 && base[bl - 1] == '/') base[--bl] = 0;
        struct mailer_config mc = {.smtp_url = v[O_SMTP_URL], .from = v[O_SMTP_FROM], .base_url = base,
                                   .digest_minutes = digest_minutes};
        if (!(mailer = mailer_new(store, &mc)) || mailer_start(mailer) != 0) {
            log_error("serve: cannot start the mailer; notification emails wait");
            mailer_free(mailer);
            mailer = NULL;
        } else {
            notify_set_wake(mailer_wake);
        }
    }
    /* the webhook sender (its failure to start is logged; deliveries then
     * wait in the outbox for this or another instance) */
    struct webhooks_sender *whs = NULL;
    if (!(whs = webhooks_sender_start(store)))
        log_error("serve: cannot start the webhook sender; deliveries wait in the outbox");
    /* the live feed's poller, last: nothing after it can fail */
    if (api_stream_start(store, atoi(v[O_MAX_STREAMS])) != 0)
        log_error("serve: cannot start the live feed; GET /ops/stream answers 503");
    char db_shown[512];
    store_db_display(v[O_DB], db_shown, sizeof db_shown);
    log_info("serve: database %s, timezone %s, %u HTTP threads", db_shown, v[O_TZ], threads);
    hint_without_tokens(store, v[O_DB]);
    printf("listening on %s://%s\n", app.tls ? "https" : "http", shown);
    if (md) printf("metrics on http://%s/metrics\n", mshown);
    fflush(stdout);

    int sig = 0;
    sigwait(&set, &sig);
    log_info("serve: %s received; finishing in-flight requests", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    api_stream_stop(); /* open streams end, so in-flight requests drain */
    sweeper_stop(sw); /* before the writer drains: the sweeper submits writes */
    webhooks_sender_stop(whs); /* likewise */
    recompute_stop(rw); /* likewise; it stops after its current batch */
    notify_set_wake(NULL);
    mailer_free(mailer); /* breaks off a send in progress: the email stays pending */
    http_stop(d, store, 10000);
    if (md) http_stop(md, store, 1000);
    passwords_stop(app.passwords); /* after the requests that wait on it */
    http_tls_free(&app);
    store_close(store);
    rule_cache_clear(); /* the parsed rules, once the writer is gone */
    ratelimit_free(events_limit);
    events_limit = NULL;
    ratelimit_free(signin_records);
    signin_records = NULL;
    api_cache_free(answers);
    answers = NULL;
    curl_global_cleanup();
    log_info("serve: stopped cleanly");
    return 0;
}
