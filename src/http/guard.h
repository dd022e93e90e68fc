/* guard.h: what keeps one client from taking the server from everyone else,
 * and the first look at each request's framing (guard.c). Internal to http/:
 * server.c wires these into libmicrohttpd's callbacks.
 *
 * Connections are counted per client address (a trusted proxy's own
 * connections are not), and in total; each has a deadline for its request
 * headers, enforced by a timer thread that shuts the socket down. */
#ifndef OPSTASKS_GUARD_H
#define OPSTASKS_GUARD_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

struct guard;
struct request;

struct guard_limits {
    unsigned max_per_address; /* connections one address may hold */
    unsigned max_connections; /* all connections; past it a new one gets 503 */
    unsigned body_timeout;    /* seconds from the end of the headers to the end of the body */
    unsigned header_timeout;  /* seconds from accept, or from the end of the
                                 previous request, to a complete header block */
    const char *trusted_proxies; /* comma-separated addresses, "" for none */
    bool tls;                    /* the daemon speaks TLS: no plain-text answer on its sockets */
};

/* One accepted connection: MHD's socket context. */
struct guard_conn {
    struct guard_conn *prev, *next;
    struct guard *guard;
    int fd;
    struct in6_addr addr;   /* IPv4 as v4-mapped */
    struct addr_slot *slot; /* its per-address count; NULL for a trusted proxy */
    bool is_proxy;
    bool has_nul;           /* a %00 was unescaped in this request's path or query */
    int64_t deadline_ms;    /* monotonic; 0: none (a request is being handled) */
    char address[INET6_ADDRSTRLEN];
};

/* Checks a comma-separated list of proxy addresses. 0, or -1 with the bad
 * entry copied to bad. */
int guard_check_addresses(const char *list, char *bad, size_t n);
/* Raises RLIMIT_NOFILE's soft limit to its hard limit and lowers
 * *max_connections when the fds would not hold them; logs either. */
void guard_fit_fd_limit(unsigned *max_connections);

/* NULL when out of memory or a thread cannot start. */
struct guard *guard_new(const struct guard_limits *limits);
/* After MHD_stop_daemon: stops the timer thread and frees everything. */
void guard_free(struct guard *g);
/* How many connections MHD itself should allow: enough that our own limits,
 * not MHD's per-thread share, decide (MHD stops accepting at its own limit,
 * leaving clients unanswered in the backlog). */
unsigned guard_mhd_connection_limit(const struct guard *g, unsigned threads);

/* libmicrohttpd callbacks; cls is the guard. */
enum MHD_Result guard_on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
void guard_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                         enum MHD_ConnectionNotificationCode code);
size_t guard_unescape(void *cls, struct MHD_Connection *conn, char *s);

/* The connection's record (NULL if MHD has none). */
struct guard_conn *guard_conn_of(struct MHD_Connection *conn);
/* The header block is complete: the body has body_timeout to arrive. */
void guard_headers_done(struct MHD_Connection *conn);
/* The body is complete: no deadline while the request runs (a write may wait
 * for the writer). */
void guard_body_done(struct MHD_Connection *conn);
/* The request is answered: the next header block has header_timeout. */
void guard_request_done(struct MHD_Connection *conn);
/* Whether a textual address is one of the trusted proxies. */
bool guard_is_trusted_text(const struct guard *g, const char *address);

/* The framing check of a request's first callback, before any body is read.
 * uri/uri_len: the request target as MHD showed it before parsing it (see
 * server.c), or NULL. ERR_OK, or ERR_BAD_REQUEST / ERR_NOT_IMPLEMENTED with
 * a message in e. */
enum err guard_check_request(struct request *r, const char *version, const char *uri, size_t uri_len,
                             struct errinfo *e);

#endif
