/* sink.c: a webhook receiver for bench/webhooks.py that costs little CPU
 * (the Python one takes about a core at 2,000 deliveries/s, on the cores the
 * server runs on). One thread, epoll, HTTP/1.1 keep-alive on 127.0.0.1:
 * every POST is answered 200 with an empty body and counted; GET answers
 * the count. Prints its port on the first line of stdout.
 *     cc -O2 -Wall -o build/bench-sink bench/sink.c && build/bench-sink */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXC 4096
#define BUFSZ 65536

struct conn {
    char buf[BUFSZ];
    size_t len;
};

static struct conn *conns[MAXC];
static unsigned long count;

/* Answers every complete request in c's buffer; -1 to close it. */
static int serve(int fd, struct conn *c)
{
    for (;;) {
        char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (!end) return c->len == BUFSZ ? -1 : 0;
        size_t head = (size_t)(end - c->buf) + 4, body = 0;
        for (char *p = c->buf; p < end; p++)
            if ((p == c->buf || p[-1] == '\n') && strncasecmp(p, "Content-Length:", 15) == 0) body = strtoul(p + 15, NULL, 10);
        if (head + body > BUFSZ) return -1;
        if (c->len < head + body) return 0;
        char out[128];
        int n;
        if (strncmp(c->buf, "POST", 4) == 0) {
            count++;
            n = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        } else {
            char num[32];
            int k = snprintf(num, sizeof num, "%lu", count);
            n = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", k, num);
        }
        if (write(fd, out, (size_t)n) != n) return -1;
        memmove(c->buf, c->buf + head + body, c->len - head - body);
        c->len -= head + body;
    }
}

int main(void)
{
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1024) || getsockname(ls, (struct sockaddr *)&a, &al)) {
        perror("sink");
        return 1;
    }
    printf("%d\n", ntohs(a.sin_port));
    fflush(stdout);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}, evs[256];
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (c >= MAXC || !(conns[c] = calloc(1, sizeof *conns[c]))) {
                        close(c);
                        continue;
                    }
                    struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            struct conn *c = conns[fd];
            ssize_t r = read(fd, c->buf + c->len, BUFSZ - c->len);
            if (r > 0) c->len += (size_t)r;
            if (r == 0 || (r < 0 && errno != EAGAIN) || serve(fd, c) < 0) {
                close(fd);
                free(c);
                conns[fd] = NULL;
            }
        }
    }
}
