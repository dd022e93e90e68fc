/* pg.c: the PostgreSQL backend of the store: connections (opened again
 * after they are lost), statements with a deadline and a per-connection
 * cache of prepared statements, transactions and savepoints, the start-up
 * checks and migrations (the table of ops is in ops.c; internal.h maps the
 * folder).
 *
 * Durability: every connection runs with synchronous_commit on, so a COMMIT
 * has returned only once the commit is on the server's disk.
 *
 * Several instances: each instance's writer thread takes a transaction-level
 * advisory lock at BEGIN, so the group transactions of all instances on one
 * database run one after another, as SQLite's one write lock has them on
 * one file. Every check that guards a write is made by the write itself (the
 * ops' contracts in ops.h), so the lock is not what makes races safe; it is
 * what keeps two group transactions, each holding counter rows the other
 * wants (task_counts, metric_counters), from deadlocking and failing every
 * job in both groups. Reads never take it. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/pg/internal.h"
#include "store/pg/migrations.h"
#include "util/log.h"

/* Advisory lock keys (any two numbers of ours): the writers' turn, and the
 * migration at start. */
#define LOCK_WRITERS 0x6f707374 /* "opst" */
#define LOCK_MIGRATE 0x6f70736d /* "opsm" */

/* A statement's answer must come within this, or the connection is dropped
 * and the caller answers 503: a database that hangs (a stopped server, a
 * network gone quiet, a lock another instance never lets go) must not hang
 * the requests waiting on it. Start-up migrations have no deadline. */
#define STATEMENT_DEADLINE_MS 8000
/* How often a lost connection tries again while the database stays away. */
#define RECONNECT_EVERY_MS 500

#define CACHE_SIZE 128
/* statements in flight in the writer's pipeline before their results are read */
#define PIPE_MAX 64

struct pg_conn {
    struct store_conn base;
    PGconn *db; /* NULL while lost */
    bool writer;
    bool in_tx;          /* between BEGIN and COMMIT/ROLLBACK */
    int64_t last_try_ms; /* monotonic: the last (re)connection attempt */
    int64_t changes;     /* rows changed by this connection's statements */
    char why[256];       /* the cause of the last failure */
    struct {
        char *sql;
        uint32_t hash;
        char name[16];
    } cache[CACHE_SIZE];
    int n_cache, next_evict, next_name;
    /* the writer's pipeline inside a group (see pipe_send) */
    bool pipe;
    /* enum owed of each statement sent, in order; pipe_send reads back at
     * PIPE_MAX - 2, and one statement adds at most three (a DEALLOCATE, its
     * PREPARE, itself): the slack keeps that arithmetic from being the bound */
    unsigned char owed[PIPE_MAX + 4];
    int n_owed;
    enum err deferred_rc;  /* a failure read back early, for the next answer */
    bool cache_suspect;    /* a prepare sent in the pipeline failed */
    bool cal_known;        /* the SLA calendar as this transaction read it */
    char *cal_body;
    /* SLA clocks: the SLA policy as this transaction read it (forgotten with the calendar) */
    bool pol_known;
    bool whk_known;        /* the active webhooks' count as this transaction read it */
    int64_t whk_count;
    bool pol_has[4];
    double pol_hours[4];
};

static struct pg_conn *PC(struct store_conn *c) { return (struct pg_conn *)c; }

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- parameters and columns ----------------------------------------------- */

static void push(struct pg_params *p, const char *v)
{
    if (p->n < PG_MAX_PARAMS) p->v[p->n++] = v;
}

void pg_p_text(struct pg_params *p, const char *s) { push(p, s && *s ? s : NULL); }
void pg_p_opt_text(struct pg_params *p, const char *s) { push(p, s); }
void pg_p_null(struct pg_params *p) { push(p, NULL); }

void pg_p_int(struct pg_params *p, int64_t v)
{
    if (p->n >= PG_MAX_PARAMS) return;
    snprintf(p->buf[p->n], sizeof p->buf[p->n], "%lld", (long long)v);
    push(p, p->buf[p->n]);
}

void pg_p_ts(struct pg_params *p, int64_t v)
{
    if (v)
        pg_p_int(p, v);
    else
        push(p, NULL);
}

void pg_p_double(struct pg_params *p, double v)
{
    if (p->n >= PG_MAX_PARAMS) return;
    snprintf(p->buf[p->n], sizeof p->buf[p->n], "%.17g", v);
    push(p, p->buf[p->n]);
}

void pg_p_bytes(struct pg_params *p, const unsigned char *b, size_t n)
{
    if (p->n >= PG_MAX_PARAMS) return;
    char *o = p->buf[p->n];
    static const char hex[] = "0123456789abcdef";
    if (n > (sizeof p->buf[0] - 3) / 2) n = (sizeof p->buf[0] - 3) / 2;
    *o++ = '\\';
    *o++ = 'x';
    for (size_t i = 0; i < n; i++) {
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = 0;
    push(p, p->buf[p->n]);
}

char *pg_col_dup(const PGresult *res, int r, int i)
{
    if (PQgetisnull(res, r, i)) return NULL;
    return strdup(PQgetvalue(res, r, i));
}

void pg_col_copy(const PGresult *res, int r, int i, char *out, size_t n)
{
    const char *s = PQgetvalue(res, r, i);
    size_t len = PQgetisnull(res, r, i) ? 0 : (size_t)PQgetlength(res, r, i);
    if (len >= n) len = n - 1;
    if (len) memcpy(out, s, len);
    out[len] = 0;
}

int64_t pg_col_int64(const PGresult *res, int r, int i)
{
    if (PQgetisnull(res, r, i)) return 0;
    return strtoll(PQgetvalue(res, r, i), NULL, 10);
}

double pg_col_double(const PGresult *res, int r, int i)
{
    if (PQgetisnull(res, r, i)) return 0;
    return strtod(PQgetvalue(res, r, i), NULL);
}

bool pg_col_null(const PGresult *res, int r, int i) { return PQgetisnull(res, r, i) != 0; }

static int unhex(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

bool pg_col_bytes(const PGresult *res, int r, int i, unsigned char *out, size_t n)
{
    if (PQgetisnull(res, r, i)) return false;
    const char *s = PQgetvalue(res, r, i);
    if (s[0] != '\\' || s[1] != 'x' || strlen(s + 2) != 2 * n) return false;
    for (size_t k = 0; k < n; k++) {
        int hi = unhex(s[2 + 2 * k]), lo = unhex(s[3 + 2 * k]);
        if (hi < 0 || lo < 0) return false;
        out[k] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

/* ---- connecting ------------------------------------------------------------- */

/* The URI without its password, for messages: "postgresql://ops:***@host/db". */
void pg_display_uri(const char *uri, char *out, size_t n)
{
    snprintf(out, n, "%s", uri);
    char *scheme = strstr(out, "://");
    if (scheme) {
        char *at = strchr(scheme + 3, '@'), *colon = strchr(scheme + 3, ':');
        char *slash = strchr(scheme + 3, '/');
        if (at && colon && colon < at && (!slash || at < slash)) {
            size_t tail = strlen(at) + 1;
            if ((size_t)(colon + 4 - out) + tail <= n) {
                memmove(colon + 4, at, tail);
                memcpy(colon + 1, "***", 3);
            }
        }
    }
    char *pw = strstr(out, "password=");
    if (pw) {
        char *end = strchr(pw, '&');
        size_t tail = end ? strlen(end) + 1 : 1;
        if ((size_t)(pw + 12 - out) + tail <= n) {
            memmove(pw + 12, end ? end : pw + strlen(pw), tail);
            memcpy(pw + 9, "***", 3);
        }
    }
}

/* A new connection to uri, with our session settings; NULL with why. */
static PGconn *connect_db(const char *uri, bool writer, char *why, size_t n)
{
    /* defaults first: the URI's own settings, expanded from dbname, win */
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {"5", "opstasks", uri, NULL};
    PGconn *db = PQconnectdbParams(keys, vals, 1);
    if (!db || PQstatus(db) != CONNECTION_OK) {
        snprintf(why, n, "cannot connect to PostgreSQL: %s", db ? PQerrorMessage(db) : "out of memory");
        char *nl = strchr(why, '\n');
        if (nl) *nl = 0;
        PQfinish(db);
        return NULL;
    }
    /* A writer's transaction left open by a process that stopped answering
     * (SIGSTOP, a network cut) would hold the writers' lock: the server ends
     * it after a minute. */
    const char *settings = writer ? "SET synchronous_commit = on; SET client_min_messages = warning; "
                                    "SET idle_in_transaction_session_timeout = '60s'"
                                  : "SET synchronous_commit = on; SET client_min_messages = warning";
    PGresult *res = PQexec(db, settings);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) snprintf(why, n, "cannot set up the PostgreSQL session: %s", PQerrorMessage(db));
    PQclear(res);
    if (!ok) {
        PQfinish(db);
        return NULL;
    }
    return db;
}

static void forget_statements(struct pg_conn *pc)
{
    for (int i = 0; i < pc->n_cache; i++) free(pc->cache[i].sql);
    pc->n_cache = pc->next_evict = 0;
}

/* Marks the connection lost: the next statement outside a transaction opens
 * it again (inside a group, pipe stays set until the group ends, so nothing
 * of it runs on a new connection). */
static void drop(struct pg_conn *pc)
{
    if (pc->db) PQfinish(pc->db);
    pc->db = NULL;
    pc->in_tx = false;
    pc->n_owed = 0;
    forget_statements(pc);
}

/* A usable connection, or false with pc->why set. Never inside a
 * transaction: statements of a group must all run on the connection that
 * began it. */
static bool ensure(struct pg_conn *pc)
{
    if (pc->db && PQstatus(pc->db) == CONNECTION_OK) return true;
    if (pc->db) drop(pc);
    int64_t now = mono_ms();
    if (pc->last_try_ms && now - pc->last_try_ms < RECONNECT_EVERY_MS) return false;
    pc->last_try_ms = now;
    pc->db = connect_db(pc->base.store->path, pc->writer, pc->why, sizeof pc->why);
    if (pc->db) log_info("pg: %s connection open again", pc->writer ? "writer" : "reader");
    return pc->db != NULL;
}

int pg_conn_open(struct store *s, bool writer, struct store_conn **out)
{
    struct pg_conn *pc = calloc(1, sizeof *pc);
    if (!pc) return -1;
    pc->base.store = s;
    pc->base.ops = s->ops;
    pc->writer = writer;
    pc->last_try_ms = mono_ms();
    pc->db = connect_db(s->path, writer, pc->why, sizeof pc->why);
    if (!pc->db) {
        log_error("pg: %s", pc->why);
        /* the writer must connect at start; a reader connects when the
         * database is back (its statements answer 503 until then) */
        if (writer) {
            free(pc);
            return -1;
        }
    }
    *out = &pc->base;
    return 0;
}

void pg_conn_close(struct store_conn *c)
{
    struct pg_conn *pc = PC(c);
    drop(pc);
    free(pc->cal_body);
    free(pc);
}

/* ---- running statements ------------------------------------------------------- */

/* What a failed statement means: the SQLSTATE classes of a database that
 * cannot answer now (connection, resources, operator intervention such as a
 * shutdown, system errors, a read-only standby, a statement canceled by its
 * timeout, serialization failures and deadlocks) are ERR_UNAVAILABLE; the
 * rest is a bug (ERR_INTERNAL). */
static enum err classify(const char *state)
{
    if (!state) return ERR_UNAVAILABLE; /* no answer at all: the connection */
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0 || strncmp(state, "57", 2) == 0 ||
        strncmp(state, "58", 2) == 0 || strncmp(state, "40", 2) == 0 || strcmp(state, "25006") == 0 ||
        strcmp(state, "55P03") == 0 || strcmp(state, "XX000") == 0)
        return strcmp(state, "XX000") == 0 ? ERR_INTERNAL : ERR_UNAVAILABLE;
    return ERR_INTERNAL;
}

static uint32_t hash_sql(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Waits for the whole answer of the query sent, within deadline (monotonic
 * ms). Returns the last result (the caller clears it), or NULL when the
 * connection failed or the deadline passed (the connection is then dropped:
 * the server rolls back whatever it was in). */
/* The next result of what was sent, within deadline (monotonic ms); NULL at
 * the end of one statement's results, or with *lost when the connection
 * failed or the deadline passed (then dropped: the server rolls back
 * whatever it was in). Serves both a single statement and the pipeline. */
static PGresult *next_result(struct pg_conn *pc, int64_t deadline, bool *lost);

/* Waits for the whole answer of the one query sent: the last result (the
 * caller clears it; the first error when one failed), or NULL when the
 * connection failed or the deadline passed. */
static PGresult *await(struct pg_conn *pc, int64_t deadline, const char *what)
{
    PGresult *last = NULL, *r;
    bool lost = false;
    while ((r = next_result(pc, deadline, &lost)) != NULL) {
        if (last && PQresultStatus(last) == PGRES_FATAL_ERROR) {
            PQclear(r); /* keep the first error */
            continue;
        }
        PQclear(last);
        last = r;
    }
    if (lost) {
        log_error("pg: left without an answer: %.300s", what);
        PQclear(last);
        return NULL;
    }
    return last;
}

/* ---- the writer's pipeline -----------------------------------------------------------
 *
 * Inside a group transaction the writer's connection is in libpq's pipeline
 * mode: a statement whose only answer is "done" (BEGIN, the writers' lock,
 * SAVEPOINT, an INSERT or UPDATE whose row count nobody reads) is sent
 * without waiting for it, and its result is read with the next statement
 * that has an answer to wait for (a read, a conditional update, RELEASE,
 * COMMIT): one round trip carries them all. A job that only writes (a task
 * and its history) costs one round trip, its RELEASE, instead of one per
 * statement. A deferred statement that fails makes the statements after it
 * in the same round trip fail too (the server skips them), and its error is
 * the answer of the one waited for: the job fails as if the write had
 * failed at once. When it is the RELEASE that finds it, the job is rolled
 * back to its savepoint and RELEASE answers ERR_JOB_FAILED. */

enum owed { OWED_DONE, OWED_PREPARE, OWED_WANTED };

/* Sends sql (p NULL: a statement without parameters, e.g. SAVEPOINT) in the
 * pipeline; false when the connection failed (then dropped). */
static bool pipe_send(struct pg_conn *pc, const char *sql, const struct pg_params *p, enum owed kind);

/* Reads the results of everything sent, after a sync: the first failure's
 * meaning (ERR_OK when none; *first_failed says whether it was one sent
 * before the last), and the last statement's result in *last when wanted
 * and it succeeded. */
static enum err pipe_collect(struct pg_conn *pc, PGresult **last, bool *first_failed);

static const char *prepared(struct pg_conn *pc, const char *sql, int nparams, enum err *rc)
{
    uint32_t h = hash_sql(sql);
    for (int i = 0; i < pc->n_cache; i++)
        if (pc->cache[i].sql && pc->cache[i].hash == h && strcmp(pc->cache[i].sql, sql) == 0)
            return pc->cache[i].name;
    int slot;
    if (pc->n_cache < CACHE_SIZE) {
        slot = pc->n_cache++;
    } else {
        slot = pc->next_evict;
        pc->next_evict = (pc->next_evict + 1) % CACHE_SIZE;
        char dealloc[48];
        snprintf(dealloc, sizeof dealloc, "DEALLOCATE %s", pc->cache[slot].name);
        if (pc->pipe) {
            if (!pipe_send(pc, dealloc, NULL, OWED_DONE)) return *rc = ERR_UNAVAILABLE, NULL;
        } else {
            PQclear(PQexec(pc->db, dealloc));
        }
        free(pc->cache[slot].sql);
    }
    pc->cache[slot].sql = NULL;
    char name[16];
    snprintf(name, sizeof name, "s%d", pc->next_name++);
    if (pc->pipe) {
        /* prepared in the same round trip as its first execution; a failure
         * shows as that execution's (and the cache is cleared at the end of
         * the transaction) */
        if (!PQsendPrepare(pc->db, name, sql, nparams, NULL)) {
            *rc = ERR_UNAVAILABLE;
            snprintf(pc->why, sizeof pc->why, "cannot send to PostgreSQL: %s", PQerrorMessage(pc->db));
            drop(pc);
            return NULL;
        }
        pc->owed[pc->n_owed++] = OWED_PREPARE;
    } else {
        if (!PQsendPrepare(pc->db, name, sql, nparams, NULL)) {
            *rc = ERR_UNAVAILABLE;
            snprintf(pc->why, sizeof pc->why, "cannot send to PostgreSQL: %s", PQerrorMessage(pc->db));
            drop(pc);
            return NULL;
        }
        PGresult *res = await(pc, mono_ms() + STATEMENT_DEADLINE_MS, "prepare");
        if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
            *rc = res ? classify(PQresultErrorField(res, PG_DIAG_SQLSTATE)) : ERR_UNAVAILABLE;
            if (res) {
                snprintf(pc->why, sizeof pc->why, "%s", PQresultErrorMessage(res));
                log_error("pg: prepare failed: %s in: %s", pc->why, sql);
            }
            PQclear(res);
            return NULL; /* the slot stays free */
        }
        PQclear(res);
    }
    pc->cache[slot].sql = strdup(sql);
    pc->cache[slot].hash = h;
    snprintf(pc->cache[slot].name, sizeof pc->cache[slot].name, "%s", name);
    if (!pc->cache[slot].sql) {
        *rc = ERR_INTERNAL;
        return NULL;
    }
    return pc->cache[slot].name;
}

static void count_changes(struct pg_conn *pc, PGresult *res)
{
    /* rows an INSERT, UPDATE or DELETE changed, RETURNING ones too */
    const char *n = PQcmdTuples(res), *cmd = PQcmdStatus(res);
    if (n && *n && cmd && strncmp(cmd, "SELECT", 6) != 0) pc->changes += strtoll(n, NULL, 10);
}

/* A failed result: its meaning, with the message kept and logged. */
static enum err failed(struct pg_conn *pc, PGresult *res, const char *sql)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    snprintf(pc->why, sizeof pc->why, "%s", PQresultErrorMessage(res));
    char *nl = strchr(pc->why, '\n');
    if (nl) *nl = 0;
    log_error("pg: %s (SQLSTATE %s)%s%.300s", pc->why, state ? state : "?", sql ? " in: " : "", sql ? sql : "");
    return classify(state);
}

static bool pipe_send(struct pg_conn *pc, const char *sql, const struct pg_params *p, enum owed kind)
{
    enum err rc = ERR_OK;
    if (!pc->db) return false; /* lost mid-group: the group fails */
    /* a long run of writes is read back before the buffers grow large */
    if (pc->n_owed >= PIPE_MAX - 2 && (rc = pipe_collect(pc, NULL, NULL)) != ERR_OK) {
        pc->deferred_rc = pc->deferred_rc ? pc->deferred_rc : rc;
        if (!pc->db) return false;
    }
    int sent;
    if (p) {
        const char *name = prepared(pc, sql, p->n, &rc);
        if (!name) return false;
        sent = PQsendQueryPrepared(pc->db, name, p->n, p->v, NULL, NULL, 0);
    } else {
        sent = PQsendQueryParams(pc->db, sql, 0, NULL, NULL, NULL, NULL, 0);
    }
    if (!sent) {
        snprintf(pc->why, sizeof pc->why, "cannot send to PostgreSQL: %s", PQerrorMessage(pc->db));
        log_error("pg: %s", pc->why);
        drop(pc);
        return false;
    }
    pc->owed[pc->n_owed++] = kind;
    return true;
}

static PGresult *next_result(struct pg_conn *pc, int64_t deadline, bool *lost)
{
    while (PQisBusy(pc->db)) {
        int64_t left = deadline - mono_ms();
        if (left <= 0) {
            snprintf(pc->why, sizeof pc->why, "PostgreSQL did not answer within %d s", STATEMENT_DEADLINE_MS / 1000);
            log_error("pg: %s; the connection is dropped", pc->why);
            drop(pc);
            *lost = true;
            return NULL;
        }
        struct pollfd fd = {.fd = PQsocket(pc->db), .events = POLLIN};
        int rc = poll(&fd, 1, (int)(left > 1000 ? 1000 : left));
        if ((rc < 0 && errno != EINTR) || (rc > 0 && !PQconsumeInput(pc->db)) || PQstatus(pc->db) != CONNECTION_OK) {
            snprintf(pc->why, sizeof pc->why, "the connection to PostgreSQL was lost: %s", PQerrorMessage(pc->db));
            char *nl = strchr(pc->why, '\n');
            if (nl) *nl = 0;
            log_error("pg: %s", pc->why);
            drop(pc);
            *lost = true;
            return NULL;
        }
    }
    return PQgetResult(pc->db);
}

static enum err pipe_collect(struct pg_conn *pc, PGresult **last, bool *first_failed)
{
    if (last) *last = NULL;
    if (first_failed) *first_failed = false;
    if (!pc->db) return ERR_UNAVAILABLE;
    if (PQpipelineSync(pc->db) != 1) {
        snprintf(pc->why, sizeof pc->why, "cannot send to PostgreSQL: %s", PQerrorMessage(pc->db));
        drop(pc);
        return ERR_UNAVAILABLE;
    }
    int64_t deadline = mono_ms() + STATEMENT_DEADLINE_MS;
    enum err first = pc->deferred_rc;
    pc->deferred_rc = ERR_OK;
    bool lost = false;
    int n = pc->n_owed;
    for (int k = 0; k < n && !lost; k++) {
        PGresult *r;
        while ((r = next_result(pc, deadline, &lost)) != NULL) {
            ExecStatusType st = PQresultStatus(r);
            if (st == PGRES_FATAL_ERROR) {
                enum err rc = failed(pc, r, NULL);
                if (first == ERR_OK) {
                    first = rc;
                    if (first_failed) *first_failed = k < n - 1;
                }
                if (pc->owed[k] == OWED_PREPARE) pc->cache_suspect = true;
            } else if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
                count_changes(pc, r);
                if (k == n - 1 && last && pc->owed[k] == OWED_WANTED && first == ERR_OK) {
                    PQclear(*last);
                    *last = r;
                    continue;
                }
            } else if (st == PGRES_PIPELINE_ABORTED && first == ERR_OK) {
                first = ERR_INTERNAL; /* cannot happen without a failure before it */
            }
            PQclear(r);
        }
    }
    pc->n_owed = 0;
    /* the sync's own result */
    for (PGresult *r; !lost && (r = next_result(pc, deadline, &lost)) != NULL;) {
        bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
        if (sync) break;
    }
    if (lost) {
        if (last) PQclear(*last), *last = NULL;
        return ERR_UNAVAILABLE;
    }
    if (first != ERR_OK && last) PQclear(*last), *last = NULL;
    return first;
}

static PGresult *run(struct pg_conn *pc, const char *sql, const struct pg_params *p, enum err *rc, int64_t deadline)
{
    enum err dummy;
    if (!rc) rc = &dummy;
    *rc = ERR_OK;
    if (pc->pipe) {
        PGresult *res = NULL;
        if (!pipe_send(pc, sql, p, OWED_WANTED)) {
            *rc = ERR_UNAVAILABLE;
            return NULL;
        }
        *rc = pipe_collect(pc, &res, NULL);
        if (*rc == ERR_OK && !res) *rc = ERR_INTERNAL;
        return *rc == ERR_OK ? res : NULL;
    }
    if (!pc->db || PQstatus(pc->db) != CONNECTION_OK) {
        if (pc->in_tx) {
            /* the group's transaction went with the connection */
            *rc = ERR_UNAVAILABLE;
            drop(pc);
            return NULL;
        }
        if (!ensure(pc)) {
            *rc = ERR_UNAVAILABLE;
            return NULL;
        }
    }
    int sent;
    if (p) {
        const char *name = prepared(pc, sql, p->n, rc);
        if (!name) {
            if (*rc == ERR_OK) *rc = ERR_INTERNAL;
            return NULL;
        }
        sent = PQsendQueryPrepared(pc->db, name, p->n, p->v, NULL, NULL, 0);
    } else {
        sent = PQsendQuery(pc->db, sql);
    }
    if (!sent) {
        snprintf(pc->why, sizeof pc->why, "cannot send to PostgreSQL: %s", PQerrorMessage(pc->db));
        log_error("pg: %s", pc->why);
        drop(pc);
        *rc = ERR_UNAVAILABLE;
        return NULL;
    }
    PGresult *res = await(pc, deadline, sql);
    if (!res) {
        *rc = ERR_UNAVAILABLE;
        return NULL;
    }
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        count_changes(pc, res);
        return res;
    }
    *rc = failed(pc, res, sql);
    PQclear(res);
    return NULL;
}

PGresult *pg_run(struct store_conn *c, const char *sql, const struct pg_params *p, enum err *rc)
{
    static const struct pg_params none = {0};
    return run(PC(c), sql, p ? p : &none, rc, mono_ms() + STATEMENT_DEADLINE_MS);
}

enum err pg_cmd(struct store_conn *c, const char *sql, const struct pg_params *p, int64_t *affected)
{
    static const struct pg_params none = {0};
    struct pg_conn *pc = PC(c);
    if (pc->pipe && !affected) /* nothing to wait for: it goes with the next round trip */
        return pipe_send(pc, sql, p ? p : &none, OWED_DONE) ? ERR_OK : ERR_UNAVAILABLE;
    enum err rc;
    PGresult *res = pg_run(c, sql, p, &rc);
    if (!res) return rc;
    if (affected) {
        const char *n = PQcmdTuples(res);
        *affected = n && *n ? strtoll(n, NULL, 10) : 0;
    }
    PQclear(res);
    return ERR_OK;
}

enum err pg_row(struct store_conn *c, const char *sql, const struct pg_params *p, PGresult **res)
{
    enum err rc;
    *res = pg_run(c, sql, p, &rc);
    if (!*res) return rc;
    if (PQntuples(*res) == 0) {
        PQclear(*res);
        *res = NULL;
        return ERR_NOT_FOUND;
    }
    return ERR_OK;
}

enum err pg_put(struct store_conn *c, const char *insert_sql, const struct pg_params *ins, const char *update_sql,
                const struct pg_params *upd, bool *created)
{
    for (int tries = 0; tries < 3; tries++) {
        bool inserting = tries % 2 == 0;
        int64_t n = 0;
        enum err rc = pg_cmd(c, inserting ? insert_sql : update_sql, inserting ? ins : upd, &n);
        if (rc != ERR_OK) return rc;
        if (n == 1) {
            *created = inserting;
            return ERR_OK;
        }
    }
    log_error("pg: %s: the row kept appearing and vanishing", update_sql);
    return ERR_INTERNAL;
}

/* ---- the transaction-scoped SLA calendar ------------------------------------------------ */

bool pg_tx_calendar(struct store_conn *c, char **body, bool *found)
{
    struct pg_conn *pc = PC(c);
    if (!pc->pipe || !pc->cal_known) return false;
    *found = pc->cal_body != NULL;
    *body = pc->cal_body ? strdup(pc->cal_body) : NULL;
    return !*found || *body;
}

void pg_tx_calendar_keep(struct store_conn *c, const char *body)
{
    struct pg_conn *pc = PC(c);
    if (!pc->pipe) return;
    free(pc->cal_body);
    pc->cal_body = body ? strdup(body) : NULL;
    pc->cal_known = !body || pc->cal_body;
}

void pg_tx_calendar_forget(struct store_conn *c)
{
    struct pg_conn *pc = PC(c);
    free(pc->cal_body);
    pc->cal_body = NULL;
    pc->cal_known = false;
    pc->pol_known = false;
    pc->whk_known = false;
}

/* webhooks: the count of active ones, kept like the calendar: the writers'
 * advisory lock orders the instances' transactions, so a webhook put
 * before this transaction began is in the count, and none can be put
 * while it runs */
bool pg_tx_webhooks(struct store_conn *c, int64_t *n)
{
    struct pg_conn *pc = PC(c);
    if (!pc->pipe || !pc->whk_known) return false;
    *n = pc->whk_count;
    return true;
}

void pg_tx_webhooks_keep(struct store_conn *c, int64_t n)
{
    struct pg_conn *pc = PC(c);
    if (!pc->pipe) return;
    pc->whk_count = n;
    pc->whk_known = true;
}

/* SLA clocks: the policy by priority, kept like the calendar */
bool pg_tx_policy(struct store_conn *c, bool has[4], double hours[4])
{
    struct pg_conn *pc = PC(c);
    if (!pc->pipe || !pc->pol_known) return false;
    memcpy(has, pc->pol_has, sizeof pc->pol_has);
    memcpy(hours, pc->pol_hours, sizeof pc->pol_hours);
    return true;
}

void pg_tx_policy_keep(struct store_conn *c, const bool has[4], const double hours[4])
{
    struct pg_conn *pc = PC(c);
    if (!pc->pipe) return;
    memcpy(pc->pol_has, has, sizeof pc->pol_has);
    memcpy(pc->pol_hours, hours, sizeof pc->pol_hours);
    pc->pol_known = true;
}

/* ---- transactions ------------------------------------------------------------------ */

/* Back out of pipeline mode at the end of a transaction (the connection is
 * idle then); a prepare that failed in it leaves the cache in doubt. */
static void pipe_end(struct pg_conn *pc)
{
    pg_tx_calendar_forget(&pc->base);
    pc->pipe = false;
    pc->in_tx = false;
    pc->n_owed = 0;
    pc->deferred_rc = ERR_OK;
    if (!pc->db) return;
    if (PQpipelineStatus(pc->db) != PQ_PIPELINE_OFF && !PQexitPipelineMode(pc->db)) {
        log_error("pg: cannot leave pipeline mode: %s; the connection is dropped", PQerrorMessage(pc->db));
        drop(pc);
        return;
    }
    if (pc->cache_suspect) {
        PQclear(PQexec(pc->db, "DEALLOCATE ALL"));
        forget_statements(pc);
        pc->cache_suspect = false;
    }
}

int pg_begin(struct store_conn *c)
{
    struct pg_conn *pc = PC(c);
    pc->in_tx = pc->pipe = false;
    if (!ensure(pc)) return ERR_UNAVAILABLE;
    if (PQenterPipelineMode(pc->db) != 1) {
        snprintf(pc->why, sizeof pc->why, "cannot enter pipeline mode: %s", PQerrorMessage(pc->db));
        drop(pc);
        return ERR_UNAVAILABLE;
    }
    pc->pipe = pc->in_tx = true;
    char lock[64];
    snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%d)", LOCK_WRITERS);
    if (!pipe_send(pc, "BEGIN", NULL, OWED_DONE) || !pipe_send(pc, lock, NULL, OWED_DONE)) {
        pipe_end(pc);
        return ERR_UNAVAILABLE;
    }
    return 0;
}

/* Sends one control statement and waits for everything: its answer. */
static int pipe_control(struct pg_conn *pc, const char *sql, const char *want, bool *first_failed)
{
    if (!pc->pipe || !pc->db) {
        snprintf(pc->why, sizeof pc->why, "the group's transaction is gone (the connection was lost)");
        return ERR_UNAVAILABLE;
    }
    PGresult *res = NULL;
    if (!pipe_send(pc, sql, NULL, OWED_WANTED)) return ERR_UNAVAILABLE;
    enum err rc = pipe_collect(pc, &res, first_failed);
    if (rc == ERR_OK && want && (!res || strcmp(PQcmdStatus(res), want) != 0)) {
        /* COMMIT of a transaction that failed answers ROLLBACK, not an error */
        snprintf(pc->why, sizeof pc->why, "the transaction was rolled back by the server");
        log_error("pg: %s: %s", sql, pc->why);
        rc = ERR_UNAVAILABLE;
    }
    PQclear(res);
    return (int)rc;
}

int pg_commit(struct store_conn *c)
{
    struct pg_conn *pc = PC(c);
    if (!pc->in_tx) return ERR_UNAVAILABLE;
    int rc = pipe_control(pc, "COMMIT", "COMMIT", NULL);
    pipe_end(pc);
    return rc;
}

int pg_rollback(struct store_conn *c)
{
    struct pg_conn *pc = PC(c);
    if (!pc->db || !pc->in_tx) {
        pipe_end(pc);
        return 0;
    }
    if (pc->n_owed) pipe_collect(pc, NULL, NULL); /* their failures are moot now */
    int rc = pc->db ? pipe_control(pc, "ROLLBACK", NULL, NULL) : 0;
    pipe_end(pc);
    return rc;
}

int pg_savepoint(struct store_conn *c)
{
    struct pg_conn *pc = PC(c);
    if (!pc->pipe || !pc->db) {
        snprintf(pc->why, sizeof pc->why, "the group's transaction is gone (the connection was lost)");
        return ERR_UNAVAILABLE;
    }
    return pipe_send(pc, "SAVEPOINT job", NULL, OWED_DONE) ? 0 : ERR_UNAVAILABLE;
}

int pg_savepoint_release(struct store_conn *c)
{
    struct pg_conn *pc = PC(c);
    bool first_failed = false;
    int rc = pipe_control(pc, "RELEASE job", NULL, &first_failed);
    if (rc == ERR_INTERNAL && first_failed && pc->db) {
        /* a write of the job failed: undo the job alone */
        pg_tx_calendar_forget(c);
        if (pipe_control(pc, "ROLLBACK TO job", NULL, NULL) == 0 && pipe_control(pc, "RELEASE job", NULL, NULL) == 0)
            return ERR_JOB_FAILED;
        return ERR_UNAVAILABLE;
    }
    return rc;
}

int pg_savepoint_rollback(struct store_conn *c)
{
    struct pg_conn *pc = PC(c);
    pg_tx_calendar_forget(c);
    /* what the job sent last may have failed too: a round trip of its own
     * first, since the server skips everything after a failure up to it */
    if (pc->n_owed && pc->db) pipe_collect(pc, NULL, NULL);
    return pipe_control(pc, "ROLLBACK TO job", NULL, NULL);
}

int64_t pg_changes(struct store_conn *c) { return PC(c)->changes; }
const char *pg_last_error(struct store_conn *c) { return PC(c)->why[0] ? PC(c)->why : "unknown"; }

enum err pg_probe(struct store_conn *c)
{
    return pg_cmd(c, "UPDATE schema_migrations SET applied_at = applied_at "
                     "WHERE version = (SELECT max(version) FROM schema_migrations)", NULL, NULL);
}

/* The server keeps its own disk: a full one shows as failing writes. */
bool pg_space_low(struct store *s, char *why, size_t n)
{
    (void)s;
    (void)why;
    (void)n;
    return false;
}

/* ---- start-up checks and migrations ------------------------------------------------ */

/* The applied migrations must be ours by number and name, none newer than
 * this binary knows. 0, or -1 with e filled. */
static int check_migrations(PGconn *db, const char *shown, struct errinfo *e)
{
    const struct migration *last = &pg_migrations[pg_migrations_count - 1];
    PGresult *res = PQexec(db, "SELECT version, name FROM schema_migrations ORDER BY version");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        err_set(e, ERR_INTERNAL, NULL, "%s holds a schema_migrations table that is not opstasks'; opstasks will "
                "not change it", shown);
        PQclear(res);
        return -1;
    }
    int ret = 0;
    for (int r = 0; r < PQntuples(res) && ret == 0; r++) {
        int v = atoi(PQgetvalue(res, r, 0));
        const char *name = PQgetvalue(res, r, 1);
        if (v > last->version) {
            err_set(e, ERR_INTERNAL, NULL, "the database %s is at schema version %d, newer than this opstasks "
                    "knows (%d): run a newer opstasks", shown, v, last->version);
            ret = -1;
            break;
        }
        bool known = false;
        for (int i = 0; i < pg_migrations_count && !known; i++)
            known = pg_migrations[i].version == v && strcmp(pg_migrations[i].name, name) == 0;
        if (!known) {
            err_set(e, ERR_INTERNAL, NULL, "%s is a database of another schema (its migration %d is \"%s\", not "
                    "one of opstasks'); opstasks will not change it", shown, v, name);
            ret = -1;
        }
    }
    PQclear(res);
    return ret;
}

int pg_check_file(const char *path, struct errinfo *e)
{
    char shown[512], why[256];
    pg_display_uri(path, shown, sizeof shown);
    PGconn *db = connect_db(path, false, why, sizeof why);
    if (!db)
        return err_set(e, ERR_INTERNAL, "db", "%s (%s%s)", why, shown,
                       strstr(why, "database \"") && strstr(why, "does not exist")
                           ? "; opstasks does not create the database: createdb it first"
                       : strstr(why, "authentication failed") || strstr(why, "role \"")
                           ? "; check the URI's user and password, and pg_hba.conf (Debian's peer authentication "
                             "on the Unix socket takes only the OS user of the same name)"
                           : ""),
               -1;
    int ret = 0;
    PGresult *res = PQexec(db, "SELECT to_regclass('schema_migrations') IS NOT NULL, "
                               "(SELECT min(tablename) FROM pg_tables WHERE schemaname = current_schema()), "
                               "current_setting('server_version_num')::int");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        err_set(e, ERR_INTERNAL, NULL, "cannot read the database %s: %s", shown, PQerrorMessage(db));
        ret = -1;
    } else if (atoi(PQgetvalue(res, 0, 2)) < 120000) {
        err_set(e, ERR_INTERNAL, NULL, "%s runs PostgreSQL %s; opstasks needs 12 or newer", shown,
                PQgetvalue(res, 0, 2));
        ret = -1;
    } else if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
        ret = check_migrations(db, shown, e);
    } else if (!PQgetisnull(res, 0, 1)) {
        err_set(e, ERR_INTERNAL, NULL, "%s holds tables of another application (\"%s\") and no opstasks schema; "
                "opstasks will not change it (give it a database of its own)", shown, PQgetvalue(res, 0, 1));
        ret = -1;
    }
    PQclear(res);
    PQfinish(db);
    return ret;
}

/* Applies the migrations this database lacks, in one transaction under an
 * advisory lock: instances starting at once on an empty database wait for
 * the first, then find the schema made. */
int pg_migrate(struct store_conn *c, struct errinfo *e)
{
    struct pg_conn *pc = PC(c);
    PGconn *db = pc->db;
    char shown[512];
    pg_display_uri(c->store->path, shown, sizeof shown);
    char sql[256];
    snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%d); CREATE TABLE IF NOT EXISTS "
             "schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)",
             LOCK_MIGRATE);
    PGresult *res = PQexec(db, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) goto fail;
    PQclear(res);
    res = PQexec(db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) goto fail;
    int current = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    res = NULL;
    if (current > pg_migrations[pg_migrations_count - 1].version) {
        err_set(e, ERR_INTERNAL, NULL, "the database %s is at schema version %d, newer than this opstasks (%d)",
                shown, current, pg_migrations[pg_migrations_count - 1].version);
        PQclear(PQexec(db, "ROLLBACK"));
        return -1;
    }
    for (int i = 0; i < pg_migrations_count; i++) {
        const struct migration *m = &pg_migrations[i];
        if (m->version <= current) continue;
        res = PQexec(db, m->sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) goto fail;
        PQclear(res);
        char v[16];
        snprintf(v, sizeof v, "%d", m->version);
        const char *vals[] = {v, m->name};
        res = PQexecParams(db, "INSERT INTO schema_migrations VALUES ($1, $2, "
                               "(extract(epoch FROM clock_timestamp()) * 1000)::bigint)", 2, NULL, vals, NULL, NULL,
                           0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) goto fail;
        PQclear(res);
        log_info("store: applied migration %s (PostgreSQL)", m->name);
    }
    res = PQexec(db, "COMMIT");
    if (PQresultStatus(res) != PGRES_COMMAND_OK || strcmp(PQcmdStatus(res), "COMMIT") != 0) goto fail;
    PQclear(res);
    return 0;
fail:
    err_set(e, ERR_INTERNAL, NULL, "cannot prepare the database %s: %s", shown,
            res ? PQresultErrorMessage(res) : PQerrorMessage(db));
    PQclear(res);
    PQclear(PQexec(db, "ROLLBACK"));
    return -1;
}

/* ---- leases on background work ------------------------------------------------------ */

enum err pg_lease_take(struct store_conn *c, const char *name, const char *owner, int64_t now_ms, int64_t ttl_ms,
                       bool *held)
{
    struct pg_params p = {0};
    pg_p_text(&p, name);
    pg_p_text(&p, owner);
    pg_p_int(&p, now_ms + ttl_ms);
    pg_p_int(&p, now_ms);
    PGresult *res;
    enum err rc = pg_row(c, "INSERT INTO job_leases (name, owner, expires_at) VALUES ($1, $2, $3) "
                            "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at "
                            "WHERE job_leases.owner = excluded.owner OR job_leases.expires_at <= $4 RETURNING owner",
                         &p, &res);
    if (rc == ERR_OK) PQclear(res);
    if (rc == ERR_OK || rc == ERR_NOT_FOUND) {
        *held = rc == ERR_OK;
        return ERR_OK;
    }
    return rc;
}

enum err pg_lease_release(struct store_conn *c, const char *name, const char *owner)
{
    struct pg_params p = {0};
    pg_p_text(&p, name);
    pg_p_text(&p, owner);
    return pg_cmd(c, "DELETE FROM job_leases WHERE name = $1 AND owner = $2", &p, NULL);
}
