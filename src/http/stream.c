/* stream.c: answers whose body goes on arriving (server-sent events), with
 * no HTTP thread held while they wait. The body comes from a content-reader
 * callback over a buffer: with nothing to send it suspends the connection
 * and returns 0 (MHD's documented way to wait without busy polling), and
 * the next write or the end resumes it. MHD's free callback on the response
 * says the connection is over (the client left, or the end was sent).
 * http_stop ends every open stream first, so in-flight requests drain and
 * no connection is left suspended when the daemon stops (which MHD does not
 * allow). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

struct http_stream {
    pthread_mutex_t lock; /* guards all below but prev/next (all_lock's) */
    struct MHD_Connection *conn;
    char *buf;
    size_t off, len, cap, max;
    bool suspended; /* by the reader, waiting for a write or the end */
    bool ended;     /* nothing more will be written: the reader ends the body */
    bool gone;      /* MHD freed the response: the connection is over */
    int refs;       /* the owner's and MHD's */
    struct http_stream *prev, *next;
};

/* every stream whose response MHD still holds, for http_stream_end_all */
static pthread_mutex_t all_lock = PTHREAD_MUTEX_INITIALIZER;
static struct http_stream *all;

static void drop(struct http_stream *s)
{
    pthread_mutex_lock(&s->lock);
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&s->lock);
    if (!last) return;
    pthread_mutex_destroy(&s->lock);
    free(s->buf);
    free(s);
}

/* Under s->lock: lets the reader run again if it waits. */
static void wake(struct http_stream *s)
{
    if (s->suspended && !s->gone) {
        s->suspended = false;
        MHD_resume_connection(s->conn);
    }
}

static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct http_stream *s = cls;
    pthread_mutex_lock(&s->lock);
    ssize_t n;
    if (s->len > s->off) {
        size_t k = s->len - s->off < max ? s->len - s->off : max;
        memcpy(out, s->buf + s->off, k);
        s->off += k;
        if (s->off == s->len) s->off = s->len = 0;
        n = (ssize_t)k;
    } else if (s->ended) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        s->suspended = true;
        MHD_suspend_connection(s->conn);
        n = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

static void unlist(struct http_stream *s)
{
    pthread_mutex_lock(&all_lock);
    if (s->prev) s->prev->next = s->next;
    else if (all == s) all = s->next;
    if (s->next) s->next->prev = s->prev;
    s->prev = s->next = NULL;
    pthread_mutex_unlock(&all_lock);
}

/* MHD's free callback: the response, and so the connection, is done. */
static void gone(void *cls)
{
    struct http_stream *s = cls;
    unlist(s);
    pthread_mutex_lock(&s->lock);
    s->gone = s->ended = true;
    s->suspended = false;
    pthread_mutex_unlock(&s->lock);
    drop(s);
}

struct http_stream *http_stream_open(struct request *r, size_t buffer_max)
{
    struct http_stream *s = calloc(1, sizeof *s);
    if (!s || pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return NULL;
    }
    s->conn = r->conn;
    s->max = buffer_max;
    s->refs = 2; /* the caller's, and MHD's once queued (server.c drops it when queueing fails) */
    free(r->resp_body);
    r->resp_body = NULL;
    r->resp_len = 0;
    r->status = 200;
    r->content_type = "text/event-stream; charset=utf-8";
    r->response_ready = true;
    r->close = true; /* the stream is the connection's last answer */
    r->stream = s;
    return s;
}

void http_stream_discard(struct http_stream *s)
{
    pthread_mutex_lock(&s->lock);
    s->gone = s->ended = true;
    pthread_mutex_unlock(&s->lock);
    drop(s);
}

struct MHD_Response *http_stream_response(struct http_stream *s)
{
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 8192, reader, s, gone);
    if (!resp) {
        http_stream_discard(s);
        return NULL;
    }
    pthread_mutex_lock(&all_lock);
    s->next = all;
    if (all) all->prev = s;
    all = s;
    pthread_mutex_unlock(&all_lock);
    return resp;
}

bool http_stream_write(struct http_stream *s, const char *text, size_t n)
{
    pthread_mutex_lock(&s->lock);
    bool ok = !s->ended;
    if (ok && s->len + n > s->max) {
        /* a client this far behind is ended; it reconnects and resumes */
        s->ended = true;
        ok = false;
    }
    if (ok && s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n) cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b) {
            s->ended = true;
            ok = false;
        } else {
            s->buf = b;
            s->cap = cap;
        }
    }
    if (ok) {
        memcpy(s->buf + s->len, text, n);
        s->len += n;
    }
    wake(s);
    pthread_mutex_unlock(&s->lock);
    return ok;
}

void http_stream_end(struct http_stream *s)
{
    pthread_mutex_lock(&s->lock);
    s->ended = true;
    wake(s);
    pthread_mutex_unlock(&s->lock);
}

bool http_stream_ended(struct http_stream *s)
{
    pthread_mutex_lock(&s->lock);
    bool ended = s->ended;
    pthread_mutex_unlock(&s->lock);
    return ended;
}

void http_stream_release(struct http_stream *s)
{
    if (s) drop(s);
}

void http_stream_end_all(void)
{
    pthread_mutex_lock(&all_lock);
    for (struct http_stream *s = all; s; s = s->next) http_stream_end(s);
    pthread_mutex_unlock(&all_lock);
}
