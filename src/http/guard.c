/* guard.c: connection limits, header deadlines and the framing check (see
 * guard.h). libmicrohttpd 0.9.75's own limits do not fit: its per-IP limit
 * cannot exempt a trusted proxy, its connection timeout is reset by every
 * byte (a client sending one header byte every few seconds keeps its slot
 * forever), and at its total limit it stops accepting, so new clients wait
 * unanswered in the backlog. So the counts and deadlines are kept here. */
#include "http/guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "http/http.h"
#include "util/clock.h"
#include "util/log.h"

#define SLOTS 4096          /* hash buckets of per-address counts */
#define MAX_PROXIES 64
#define TICK_MS 200         /* how often the timer looks at deadlines */
#define REPORT_MS 10000     /* how often it logs what it refused */

/* The count of one client address's connections. */
struct addr_slot {
    struct addr_slot *next;
    struct in6_addr addr;
    unsigned count;
};

struct guard {
    struct guard_limits limits;
    struct in6_addr proxies[MAX_PROXIES];
    int n_proxies;
    /* lock guards the list, the counts and every deadline. The timer shuts a
     * socket down only while holding it, and MHD's closed-notification takes
     * it to unlink the connection before MHD closes the fd: so the fd the
     * timer shuts down is never one the kernel has already reused. */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct guard_conn *conns;
    struct addr_slot *slots[SLOTS];
    unsigned total;
    bool stop;
    pthread_t timer;
    /* what was refused since the last report (read and reset by the timer) */
    atomic_uint refused_per_address, refused_total, cut_headers;
    char busy[512]; /* the canned 503 sent to a connection over the total */
    size_t busy_len;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Text to a v4-mapped or v6 address; false when it is not an address. */
static bool parse_address(const char *s, size_t n, struct in6_addr *out)
{
    char buf[INET6_ADDRSTRLEN];
    if (n == 0 || n >= sizeof buf) return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    struct in_addr v4;
    if (inet_pton(AF_INET, buf, &v4) == 1) {
        memset(out, 0, sizeof *out);
        out->s6_addr[10] = out->s6_addr[11] = 0xff;
        memcpy(&out->s6_addr[12], &v4, 4);
        return true;
    }
    return inet_pton(AF_INET6, buf, out) == 1;
}

static void format_address(const struct in6_addr *a, char *out, size_t n)
{
    if (IN6_IS_ADDR_V4MAPPED(a))
        inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)n);
    else
        inet_ntop(AF_INET6, a, out, (socklen_t)n);
}

static bool from_sockaddr(const struct sockaddr *sa, struct in6_addr *out)
{
    if (!sa) return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        memset(out, 0, sizeof *out);
        out->s6_addr[10] = out->s6_addr[11] = 0xff;
        memcpy(&out->s6_addr[12], &s4->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        *out = ((const struct sockaddr_in6 *)sa)->sin6_addr;
        return true;
    }
    return false;
}

/* Calls fn for each trimmed entry of a comma-separated list; stops at the
 * first nonzero return and returns it. */
static int each_entry(const char *list, int (*fn)(const char *s, size_t n, void *arg), void *arg)
{
    const char *p = list;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        const char *s = p;
        while (s < end && (*s == ' ' || *s == '\t')) s++;
        const char *e = end;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
        if (e > s) {
            int rc = fn(s, (size_t)(e - s), arg);
            if (rc) return rc;
        }
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

struct bad_entry {
    char *bad;
    size_t n;
    int count;
};

static int check_entry(const char *s, size_t n, void *arg)
{
    struct bad_entry *b = arg;
    struct in6_addr a;
    if (!parse_address(s, n, &a) || ++b->count > MAX_PROXIES) {
        snprintf(b->bad, b->n, "%.*s", (int)n, s);
        return -1;
    }
    return 0;
}

int guard_check_addresses(const char *list, char *bad, size_t n)
{
    struct bad_entry b = {bad, n, 0};
    return each_entry(list, check_entry, &b);
}

static int add_proxy(const char *s, size_t n, void *arg)
{
    struct guard *g = arg;
    if (g->n_proxies < MAX_PROXIES && parse_address(s, n, &g->proxies[g->n_proxies])) g->n_proxies++;
    return 0;
}

static bool is_proxy(const struct guard *g, const struct in6_addr *a)
{
    for (int i = 0; i < g->n_proxies; i++)
        if (memcmp(&g->proxies[i], a, sizeof *a) == 0) return true;
    return false;
}

bool guard_is_trusted_text(const struct guard *g, const char *address)
{
    struct in6_addr a;
    return g && parse_address(address, strlen(address), &a) && is_proxy(g, &a);
}

void guard_fit_fd_limit(unsigned *max_connections)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t was = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) rl.rlim_cur = was;
    }
    /* room for the database, the listeners, MHD's epoll and pipes, and the
     * connections over the limit that are being answered 503 */
    rlim_t reserve = 256;
    rlim_t room = rl.rlim_cur > reserve * 2 ? rl.rlim_cur - reserve : rl.rlim_cur / 2;
    if (*max_connections > room) {
        log_error("serve: the open-file limit (%llu) holds only %llu connections; --max-connections lowered from %u",
                  (unsigned long long)rl.rlim_cur, (unsigned long long)room, *max_connections);
        *max_connections = (unsigned)room;
    }
}

static unsigned slot_hash(const struct in6_addr *a)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++) h = (h ^ a->s6_addr[i]) * 16777619u;
    return h % SLOTS;
}

static struct addr_slot *slot_find(struct guard *g, const struct in6_addr *a)
{
    for (struct addr_slot *s = g->slots[slot_hash(a)]; s; s = s->next)
        if (memcmp(&s->addr, a, sizeof *a) == 0) return s;
    return NULL;
}

static void report(struct guard *g)
{
    unsigned a = atomic_exchange(&g->refused_per_address, 0), t = atomic_exchange(&g->refused_total, 0),
             c = atomic_exchange(&g->cut_headers, 0);
    if (a) log_info("http: refused %u connections over --max-connections-per-address %u", a,
                    g->limits.max_per_address);
    if (t) log_info("http: answered 503 to %u connections over --max-connections %u", t, g->limits.max_connections);
    if (c)
        log_info("http: closed %u connections whose request headers took over %u s or body over %u s", c,
                 g->limits.header_timeout, g->limits.body_timeout);
}

static void *timer_main(void *arg)
{
    struct guard *g = arg;
    int64_t next_report = now_ms() + REPORT_MS;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        int64_t now = now_ms();
        for (struct guard_conn *c = g->conns; c; c = c->next) {
            if (c->deadline_ms && now >= c->deadline_ms) {
                /* MHD sees the end of the stream and closes the connection
                 * itself, with its own bookkeeping. */
                shutdown(c->fd, SHUT_RDWR);
                c->deadline_ms = 0;
                atomic_fetch_add(&g->cut_headers, 1);
            }
        }
        if (now >= next_report) {
            report(g);
            next_report = now + REPORT_MS;
        }
        struct timespec until = clock_wait_until(TICK_MS);
        pthread_cond_timedwait(&g->wake, &g->lock, &until);
    }
    pthread_mutex_unlock(&g->lock);
    report(g);
    return NULL;
}

struct guard *guard_new(const struct guard_limits *limits)
{
    struct guard *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->limits = *limits;
    each_entry(limits->trusted_proxies, add_proxy, g);
    g->limits.trusted_proxies = NULL; /* parsed: the text is not kept */
    pthread_mutex_init(&g->lock, NULL);
    clock_cond_init(&g->wake);
    char body[200];
    snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", err_code_str(ERR_UNAVAILABLE),
             "The server has too many connections; retry in a moment");
    int n = snprintf(g->busy, sizeof g->busy,
                     "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                     "Retry-After: 1\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                     "Connection: close\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     strlen(body), body);
    g->busy_len = (size_t)n;
    if (pthread_create(&g->timer, NULL, timer_main, g) != 0) {
        pthread_mutex_destroy(&g->lock);
        pthread_cond_destroy(&g->wake);
        free(g);
        return NULL;
    }
    return g;
}

void guard_free(struct guard *g)
{
    if (!g) return;
    pthread_mutex_lock(&g->lock);
    g->stop = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->timer, NULL);
    /* MHD has closed every connection (each unlinked itself); free what a
     * failed start may have left */
    while (g->conns) {
        struct guard_conn *c = g->conns;
        g->conns = c->next;
        free(c);
    }
    for (int i = 0; i < SLOTS; i++)
        for (struct addr_slot *s = g->slots[i], *next; s; s = next) {
            next = s->next;
            free(s);
        }
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->wake);
    free(g);
}

unsigned guard_mhd_connection_limit(const struct guard *g, unsigned threads)
{
    /* MHD splits its limit evenly over its threads; give each the whole of
     * ours, plus room for the connections being answered 503 */
    unsigned long long n = ((unsigned long long)g->limits.max_connections + 64) * (threads ? threads : 1);
    return n > 1000000 ? 1000000 : (unsigned)n;
}

enum MHD_Result guard_on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addrlen;
    struct guard *g = cls;
    struct in6_addr a;
    if (!from_sockaddr(addr, &a)) return MHD_YES; /* not IP (a unix socket): not counted */
    if (is_proxy(g, &a)) return MHD_YES;
    pthread_mutex_lock(&g->lock);
    struct addr_slot *s = slot_find(g, &a);
    bool full = s && s->count >= g->limits.max_per_address;
    pthread_mutex_unlock(&g->lock);
    if (full) {
        atomic_fetch_add(&g->refused_per_address, 1);
        return MHD_NO; /* MHD closes it at once */
    }
    return MHD_YES;
}

static void conn_started(struct guard *g, struct MHD_Connection *conn, void **socket_context)
{
    const union MHD_ConnectionInfo *fdi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ai = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!fdi) return;
    struct guard_conn *c = calloc(1, sizeof *c);
    if (!c) {
        shutdown(fdi->connect_fd, SHUT_RDWR); /* untracked would be unlimited */
        return;
    }
    c->guard = g;
    c->fd = fdi->connect_fd;
    bool has_addr = ai && from_sockaddr(ai->client_addr, &c->addr);
    if (has_addr) format_address(&c->addr, c->address, sizeof c->address);
    c->is_proxy = has_addr && is_proxy(g, &c->addr);
    bool over_address = false, over_total;
    pthread_mutex_lock(&g->lock);
    c->next = g->conns;
    if (g->conns) g->conns->prev = c;
    g->conns = c;
    g->total++;
    over_total = g->total > g->limits.max_connections;
    if (has_addr && !c->is_proxy) {
        struct addr_slot *s = slot_find(g, &c->addr);
        if (!s && (s = calloc(1, sizeof *s))) {
            unsigned h = slot_hash(&c->addr);
            s->addr = c->addr;
            s->next = g->slots[h];
            g->slots[h] = s;
        }
        if (s) {
            s->count++;
            c->slot = s;
            /* two threads may both have passed the accept check */
            over_address = s->count > g->limits.max_per_address;
        }
    }
    c->deadline_ms = now_ms() + (int64_t)g->limits.header_timeout * 1000;
    pthread_mutex_unlock(&g->lock);
    *socket_context = c;
    if (over_address) {
        atomic_fetch_add(&g->refused_per_address, 1);
        shutdown(c->fd, SHUT_RDWR);
    } else if (over_total) {
        /* MHD has not touched the socket yet: a short answer fits in the
         * socket buffer, then the end of the stream makes MHD close it */
        atomic_fetch_add(&g->refused_total, 1);
        /* over TLS the plain-text 503 would be noise: the client sees a closed connection */
        if (!g->limits.tls && send(c->fd, g->busy, g->busy_len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN) {
            /* nothing more to do: it is closed either way */
        }
        shutdown(c->fd, SHUT_RDWR);
    }
}

static void conn_closed(struct guard *g, void **socket_context)
{
    struct guard_conn *c = *socket_context;
    if (!c) return;
    pthread_mutex_lock(&g->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    g->total--;
    struct addr_slot *s = c->slot;
    if (s && --s->count == 0) {
        struct addr_slot **p = &g->slots[slot_hash(&s->addr)];
        while (*p != s) p = &(*p)->next;
        *p = s->next;
        free(s);
    }
    pthread_mutex_unlock(&g->lock);
    free(c);
    *socket_context = NULL;
}

void guard_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                         enum MHD_ConnectionNotificationCode code)
{
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        conn_started(cls, conn, socket_context);
    else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
        conn_closed(cls, socket_context);
}

struct guard_conn *guard_conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *i = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

/* What the connection waits for next, and so its deadline. */
enum wait { WAIT_HEADERS, WAIT_BODY, WAIT_NOTHING };

static void set_deadline(struct MHD_Connection *conn, enum wait w)
{
    struct guard_conn *c = guard_conn_of(conn);
    if (!c) return;
    struct guard *g = c->guard;
    unsigned s = w == WAIT_HEADERS ? g->limits.header_timeout : w == WAIT_BODY ? g->limits.body_timeout : 0;
    pthread_mutex_lock(&g->lock);
    c->deadline_ms = s ? now_ms() + (int64_t)s * 1000 : 0;
    pthread_mutex_unlock(&g->lock);
}

void guard_headers_done(struct MHD_Connection *conn) { set_deadline(conn, WAIT_BODY); }

void guard_body_done(struct MHD_Connection *conn) { set_deadline(conn, WAIT_NOTHING); }

void guard_request_done(struct MHD_Connection *conn)
{
    set_deadline(conn, WAIT_HEADERS);
    struct guard_conn *c = guard_conn_of(conn);
    if (c) c->has_nul = false;
}

/* MHD's own unescaping, noting a %00 (which would cut the path or an
 * argument short without a trace). */
size_t guard_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    size_t n = MHD_http_unescape(s);
    if (memchr(s, 0, n)) {
        struct guard_conn *c = guard_conn_of(conn);
        if (c) c->has_nul = true;
    }
    return n;
}

/* ---- the framing check ----------------------------------------------------
 * libmicrohttpd 0.9.75 parses the header block in place in its read buffer:
 * the request line, then each "name: value" line with the colon and the line
 * ends overwritten by NULs, the names and values pointing into that block
 * (MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE gives its length). It keeps what a
 * NUL byte in a value leaves after it nowhere, and it appends a folded
 * (obs-fold) line to the previous header's *name*, in a new allocation. So
 * walking the headers in order and checking that they tile the block exactly
 * finds both: bytes left between one value and the next name mean a NUL, a
 * name outside the block means a fold. One case it cannot see: a NUL right
 * before a line end leaves the same bytes as a CR there, and the value is
 * then whole (nothing after the NUL was cut), so no header reads other than
 * it was sent. tests/api/test_framing.py holds this
 * to the library's actual behaviour. */

struct scan {
    uintptr_t start, end, pos; /* the header block, and where the last value ended */
    bool layout;               /* the walk is possible (the block was found) */
    int n_cl, n_te, n_host;
    const char *cl, *te;
    size_t cl_len, te_len;
    enum err code;
    const char *problem;
};

static bool is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static bool all_bytes(uintptr_t from, uintptr_t to, const char *allowed, size_t n_allowed)
{
    for (const unsigned char *p = (const unsigned char *)from; (uintptr_t)p < to; p++)
        if (!memchr(allowed, *p, n_allowed)) return false;
    return true;
}

static enum MHD_Result fail(struct scan *sc, enum err code, const char *problem)
{
    sc->code = code;
    sc->problem = problem;
    return MHD_NO;
}

static bool named(const char *key, size_t ks, const char *name)
{
    return ks == strlen(name) && strncasecmp(key, name, ks) == 0;
}

static enum MHD_Result scan_one(void *cls, enum MHD_ValueKind kind, const char *key, size_t ks, const char *value,
                                size_t vs)
{
    struct scan *sc = cls;
    if (kind == MHD_GET_ARGUMENT_KIND) {
        if (value && strlen(value) != vs) return fail(sc, ERR_BAD_REQUEST, "The query carries a NUL byte");
        if (key && strlen(key) != ks) return fail(sc, ERR_BAD_REQUEST, "The query carries a NUL byte");
        return MHD_YES;
    }
    if (kind != MHD_HEADER_KIND) return MHD_YES;
    if (!key || !value) return fail(sc, ERR_BAD_REQUEST, "A header line is malformed");
    if (ks == 0) return fail(sc, ERR_BAD_REQUEST, "A header has no name");
    for (size_t i = 0; i < ks; i++) {
        if (key[i] == ' ' || key[i] == '\t') return fail(sc, ERR_BAD_REQUEST, "A header name contains whitespace");
        if (!is_tchar((unsigned char)key[i]))
            return fail(sc, ERR_BAD_REQUEST, "A header name has a character not allowed in it");
    }
    if (strlen(value) != vs) return fail(sc, ERR_BAD_REQUEST, "A header carries a NUL byte");
    /* a bare CR (or another control byte) inside a value: a proxy in front
     * may take it for a line end and see headers this server does not
     * (RFC 9112 section 2.2) */
    for (size_t i = 0; i < vs; i++) {
        unsigned char ch = (unsigned char)value[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return fail(sc, ERR_BAD_REQUEST, "A header value carries a control character");
    }
    if (sc->layout) {
        uintptr_t k = (uintptr_t)key, v = (uintptr_t)value;
        if (k < sc->start || k >= sc->end) return fail(sc, ERR_BAD_REQUEST, "A header line is folded (obs-fold)");
        /* the previous line's end: one NUL (LF) or two (CRLF), nothing else */
        if (k <= sc->pos || k > sc->pos + 2 || !all_bytes(sc->pos, k, "\0", 1))
            return fail(sc, ERR_BAD_REQUEST, "A header carries a NUL byte");
        /* the name, its colon (now a NUL), optional whitespace, the value */
        if (v < k + ks + 1 || v > sc->end || key[ks] != 0 || !all_bytes(k + ks + 1, v, " \t", 2))
            return fail(sc, ERR_BAD_REQUEST, "A header line is folded or malformed");
        if (v + vs > sc->end) return fail(sc, ERR_BAD_REQUEST, "A header line is malformed");
        sc->pos = v + vs;
    }
    if (named(key, ks, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
        sc->n_cl++;
        sc->cl = value;
        sc->cl_len = vs;
    } else if (named(key, ks, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
        sc->n_te++;
        sc->te = value;
        sc->te_len = vs;
    } else if (named(key, ks, MHD_HTTP_HEADER_HOST)) {
        sc->n_host++;
    }
    return MHD_YES;
}

enum err guard_check_request(struct request *r, const char *version, const char *uri, size_t uri_len,
                             struct errinfo *e)
{
    struct guard_conn *c = guard_conn_of(r->conn);
    /* MHD cut the request target at a raw NUL: the version no longer follows
     * it (uri is the target as MHD logged it, before parsing it) */
    if (uri && version && version[0] && (uintptr_t)version != (uintptr_t)uri + uri_len + 1)
        return err_set(e, ERR_BAD_REQUEST, NULL, "The request line carries a NUL byte");
    if (c && c->has_nul) return err_set(e, ERR_BAD_REQUEST, NULL, "The path or query carries a NUL byte (%%00)");

    struct scan sc = {.code = ERR_OK};
    const union MHD_ConnectionInfo *hs = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    sc.start = (uintptr_t)r->method;
    if (hs && hs->header_size && version && version[0]) {
        sc.end = sc.start + hs->header_size;
        sc.pos = (uintptr_t)version + strlen(version);
        sc.layout = (uintptr_t)version > sc.start && sc.pos < sc.end;
    }
    MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, scan_one, &sc);
    if (sc.code != ERR_OK) return err_set(e, sc.code, NULL, "%s", sc.problem);
    /* after the last value: its line end and the empty line, 2 to 4 NULs */
    if (sc.layout && (sc.end - sc.pos < 2 || sc.end - sc.pos > 4 || !all_bytes(sc.pos, sc.end, "\0", 1)))
        return err_set(e, ERR_BAD_REQUEST, NULL, "A header carries a NUL byte");

    if (version && strcmp(version, MHD_HTTP_VERSION_1_1) == 0 && sc.n_host == 0)
        return err_set(e, ERR_BAD_REQUEST, NULL, "An HTTP/1.1 request needs a Host header");
    if (sc.n_host > 1) return err_set(e, ERR_BAD_REQUEST, NULL, "The request has more than one Host header");
    if (sc.n_cl && sc.n_te)
        return err_set(e, ERR_BAD_REQUEST, NULL, "The request has both Content-Length and Transfer-Encoding");
    if (sc.n_cl > 1) return err_set(e, ERR_BAD_REQUEST, NULL, "The request has more than one Content-Length");
    if (sc.n_cl) {
        bool digits = sc.cl_len > 0 && sc.cl_len <= 18;
        for (size_t i = 0; digits && i < sc.cl_len; i++) digits = sc.cl[i] >= '0' && sc.cl[i] <= '9';
        if (!digits) return err_set(e, ERR_BAD_REQUEST, NULL, "Content-Length must be one decimal number");
    }
    if (sc.n_te > 1 || (sc.n_te && !(sc.te_len == 7 && strncasecmp(sc.te, "chunked", 7) == 0)))
        return err_set(e, ERR_NOT_IMPLEMENTED, NULL, "Transfer-Encoding must be exactly chunked");
    return ERR_OK;
}
