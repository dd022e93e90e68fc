/* fuzz_request.c: the stand-ins the fuzz targets run the real handlers with
 * (see fuzz.h): a libmicrohttpd connection that is a table of headers and
 * query arguments (the executable's own MHD_lookup_connection_value and
 * friends take the place of the library's), a store whose writer is
 * stopped, and the end of a request as server.c does it. */
#include <ftw.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "domain/dates.h"
#include "fuzz.h"
#include "util/clock.h"

#define FAKE_MAX 32

struct fake_kv {
    char *name, *value;
};

struct fake_conn {
    int n_headers, n_args;
    struct fake_kv headers[FAKE_MAX], args[FAKE_MAX];
};

/* The request and its connection in one allocation. */
struct fake_request {
    struct request r;
    struct fake_conn conn;
};

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: fuzz check failed: %s: ", file, line, cond);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = 0;
    return s;
}

/* ---- libmicrohttpd's connection values ------------------------------------ */

static struct fake_kv *table(struct MHD_Connection *connection, enum MHD_ValueKind kind, int **n)
{
    struct fake_conn *c = (struct fake_conn *)connection;
    if (kind == MHD_HEADER_KIND) return *n = &c->n_headers, c->headers;
    if (kind == MHD_GET_ARGUMENT_KIND) return *n = &c->n_args, c->args;
    return NULL;
}

/* libmicrohttpd compares names without regard to case, for every kind. */
const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key)
{
    int *n;
    struct fake_kv *kv = table(connection, kind, &n);
    if (!kv || !key) return NULL;
    for (int i = 0; i < *n; i++)
        if (strcasecmp(kv[i].name, key) == 0) return kv[i].value;
    return NULL;
}

int MHD_get_connection_values(struct MHD_Connection *connection, enum MHD_ValueKind kind,
                              MHD_KeyValueIterator iterator, void *iterator_cls)
{
    int *n;
    struct fake_kv *kv = table(connection, kind, &n);
    if (!kv) return 0;
    int i = 0;
    for (; i < *n; i++)
        if (iterator && iterator(iterator_cls, kind, kv[i].name, kv[i].value) != MHD_YES) return i + 1;
    return i;
}

void MHD_suspend_connection(struct MHD_Connection *connection) { (void)connection; }
void MHD_resume_connection(struct MHD_Connection *connection) { (void)connection; }

/* ---- set-up ------------------------------------------------------------------ */

static char dir[64];
static struct store *store;
static struct app app = {.timezone = "UTC"};

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void cleanup(void)
{
    if (store) store_close(store);
    store = NULL;
    if (dir[0]) nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

void fuzz_setup(const char *tz)
{
    if (sodium_init() < 0) abort();
    clock_set_ms(FUZZ_NOW_MS);
    if (dates_set_timezone(tz ? tz : "UTC") != 0) abort();
    app.timezone = tz ? tz : "UTC";
}

struct app *fuzz_app(void)
{
    if (store) return &app;
    snprintf(dir, sizeof dir, "/tmp/opstasks-fuzz-XXXXXX");
    if (!mkdtemp(dir)) abort();
    char path[128];
    snprintf(path, sizeof path, "%s/fuzz.db", dir);
    struct errinfo e = {0};
    if (store_open(path, &store, &e) != 0) {
        fprintf(stderr, "fuzz: %s\n", e.message);
        abort();
    }
    atexit(cleanup);
    store_drain(store); /* stop the writer: a submitted job answers 503 at once */
    app.store = store;
    return &app;
}

/* ---- requests ---------------------------------------------------------------- */

struct request *fuzz_request(const char *method, const char *param, const void *body, size_t body_len)
{
    struct fake_request *f = calloc(1, sizeof *f);
    if (!f) abort();
    struct request *r = &f->r;
    r->conn = (struct MHD_Connection *)&f->conn;
    r->app = &app;
    r->method = method;
    snprintf(r->param, sizeof r->param, "%s", param ? param : "");
    if (body) {
        r->body = malloc(body_len + 1);
        if (!r->body) abort();
        if (body_len) memcpy(r->body, body, body_len);
        r->body[body_len] = 0;
        r->body_len = r->body_cap = body_len;
    }
    r->authed = true;
    snprintf(r->token.id, sizeof r->token.id, "tok_fuzz");
    r->token.role = ROLE_ADMIN;
    snprintf(r->token.staff_id, sizeof r->token.staff_id, "sta_fuzz");
    snprintf(r->actor, sizeof r->actor, "sta_fuzz");
    return r;
}

static void add(struct request *r, enum MHD_ValueKind kind, const char *name, const char *value)
{
    int *n;
    struct fake_kv *kv = table(r->conn, kind, &n);
    if (*n == FAKE_MAX) return;
    kv[*n].name = strdup(name);
    kv[*n].value = value ? strdup(value) : NULL;
    if (!kv[*n].name || (value && !kv[*n].value)) abort();
    (*n)++;
}

void fuzz_header(struct request *r, const char *name, const char *value) { add(r, MHD_HEADER_KIND, name, value); }
void fuzz_query(struct request *r, const char *name, const char *value) { add(r, MHD_GET_ARGUMENT_KIND, name, value); }

static int hex(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) in place into a C string: + is a space, %XX a byte. */
static char *unescape(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            s[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            s[o++] = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            s[o++] = s[i];
        }
    }
    s[o] = 0;
    return s;
}

void fuzz_query_string(struct request *r, const char *qs, size_t len)
{
    char *copy = fuzz_strndup((const uint8_t *)qs, len);
    char *p = copy, *end = copy + len;
    while (p < end) {
        char *amp = memchr(p, '&', (size_t)(end - p));
        char *stop = amp ? amp : end;
        char *eq = memchr(p, '=', (size_t)(stop - p));
        if (stop > p) {
            char *name = unescape(p, (size_t)((eq ? eq : stop) - p));
            char *value = eq ? unescape(eq + 1, (size_t)(stop - eq - 1)) : NULL;
            fuzz_query(r, name, value);
        }
        p = stop + 1;
    }
    free(copy);
}

/* An answer of 400 or more must be the JSON error envelope with a code and a
 * message: what every client and the page rely on. */
static void check_response(const struct request *r)
{
    FUZZ_ASSERT(r->response_ready, "the handler set no response");
    FUZZ_ASSERT(r->status >= 200 && r->status < 600, "status %d", r->status);
    if (r->status < 400) return;
    FUZZ_ASSERT(r->resp_body, "a %d answer without a body", r->status);
    json_t *j = json_loads(r->resp_body, 0, NULL);
    json_t *err = json_object_get(j, "error");
    FUZZ_ASSERT(json_is_string(json_object_get(err, "code")) && json_is_string(json_object_get(err, "message")),
                "a %d answer that is not the error envelope: %s", r->status, r->resp_body);
    json_decref(j);
}

void fuzz_request_end(struct request *r)
{
    if (r->suspended) {
        /* what server.c does when the writer is done: finish, maybe chained */
        for (int i = 0; r->suspended && i < 100; i++) {
            r->suspended = false;
            r->finish(r, r->job.rc);
        }
        FUZZ_ASSERT(!r->suspended, "a request that keeps chaining jobs");
    }
    check_response(r);
    fuzz_request_free(r);
}

void fuzz_request_free(struct request *r)
{
    struct fake_request *f = (struct fake_request *)r;
    if (r->ctx && r->ctx_free) r->ctx_free(r->ctx);
    free(r->body);
    free(r->resp_body);
    for (int i = 0; i < f->conn.n_headers; i++) free(f->conn.headers[i].name), free(f->conn.headers[i].value);
    for (int i = 0; i < f->conn.n_args; i++) free(f->conn.args[i].name), free(f->conn.args[i].value);
    free(f);
}
