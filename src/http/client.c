/* client.c: who is on the other end of a request, for the logs and for
 * anything else counted per client address. This version answers the TCP
 * peer's address; a proxy in front would be the only client it sees. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "http/http.h"

const char *http_client_address(struct request *r)
{
    /* one buffer per HTTP thread: a request is handled by one thread */
    static _Thread_local char out[INET6_ADDRSTRLEN];
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    out[0] = 0;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, sizeof out);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, sizeof out);
    if (!out[0]) strcpy(out, "unknown");
    return out;
}
