/* client.c: who a request comes from, as logs name it (the connection
 * limits count the TCP peer, which for a trusted proxy is exempt; the events
 * limit is kept per token). Behind a trusted
 * proxy that is the address the proxy reports in X-Forwarded-For; from
 * anyone else the header is ignored, since a client can write anything in it. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/guard.h"
#include "http/http.h"

#define MAX_XFF_LINES 16

struct xff_lines {
    const char *v[MAX_XFF_LINES];
    int n;
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct xff_lines *x = cls;
    if (value && strcasecmp(key, "X-Forwarded-For") == 0) {
        if (x->n == MAX_XFF_LINES) memmove(x->v, x->v + 1, sizeof x->v[0] * (MAX_XFF_LINES - 1)), x->n--;
        x->v[x->n++] = value; /* keep the last ones: proxies append */
    }
    return MHD_YES;
}

static bool is_address(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Walks the X-Forwarded-For entries from the right (the last line's last
 * entry is what the nearest proxy saw) to the first that is not a trusted
 * proxy; copies it to out. false when there is none that is an address. */
static bool forwarded_for(struct request *r, const struct guard *g, char *out, size_t n)
{
    struct xff_lines x = {.n = 0};
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect, &x);
    for (int l = x.n - 1; l >= 0; l--) {
        const char *line = x.v[l], *end = line + strlen(line);
        while (end > line) {
            const char *start = end;
            while (start > line && start[-1] != ',') start--;
            const char *s = start, *e = end;
            while (s < e && (*s == ' ' || *s == '\t')) s++;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
            end = start > line ? start - 1 : line;
            char entry[INET6_ADDRSTRLEN];
            if (e == s) continue;
            if ((size_t)(e - s) >= sizeof entry) return false;
            memcpy(entry, s, (size_t)(e - s));
            entry[e - s] = 0;
            if (!is_address(entry)) return false; /* the proxy sent no address here: do not guess */
            if (guard_is_trusted_text(g, entry)) continue;
            snprintf(out, n, "%s", entry);
            return true;
        }
    }
    return false;
}

const char *http_client_address(struct request *r)
{
    if (r->client_address[0]) return r->client_address;
    struct guard_conn *c = guard_conn_of(r->conn);
    if (c && c->address[0]) {
        snprintf(r->client_address, sizeof r->client_address, "%s", c->address);
        if (c->is_proxy) forwarded_for(r, c->guard, r->client_address, sizeof r->client_address);
        return r->client_address;
    }
    const union MHD_ConnectionInfo *i = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = i ? i->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->client_address, sizeof r->client_address);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->client_address,
                  sizeof r->client_address);
    if (!r->client_address[0]) snprintf(r->client_address, sizeof r->client_address, "unknown");
    return r->client_address;
}
