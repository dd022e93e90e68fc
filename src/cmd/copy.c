/* copy.c: `opstasks copy --from SRC --to DST`: every row of every table of
 * the list (store/tables.h) from one database to another, SQLite or
 * PostgreSQL either side, with their ids, versions, timestamps and history
 * numbers, so tokens, ETags and cursors go on working on the copy. The
 * rows are written in one job of DST's writer, that is one transaction:
 * a refusal or a failure leaves DST as it was. The counts of both sides
 * are compared at the end. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "store/pg/ops.h"
#include "store/store.h"

/* rows per read of the source: memory stays small, round trips few */
#define BATCH 500
/* values per write (see write_rows) */
#define WRITE_BYTES (4 * 1024 * 1024)
/* a copy of fewer rows is over before a progress line would help */
#define PROGRESS_MIN 10000

static const char usage_text[] =
    "usage: opstasks copy --from SRC --to DST\n\n"
    "Copies the whole database SRC into DST: tasks and their history, staff, customers,\n"
    "tokens, sessions, idempotency keys, rules, events, renewal items, policy and actions,\n"
    "the SLA calendar, the metric counters, the task counts and the job leases, every table\n"
    "of the schema, with their ids, versions, timestamps and history numbers, so tokens\n"
    "made on SRC work on DST and clients' ETags stay valid. SRC and DST are each a SQLite\n"
    "file's path or a postgresql:// URI (SQLite to PostgreSQL, back, or the same kind).\n"
    "DST is created (SQLite) or prepared (an existing, empty PostgreSQL database) first.\n"
    "copy refuses, writing nothing, when SRC is not at this opstasks' schema version (run\n"
    "`opstasks serve` on it once to upgrade it), when a schema holds a column the copy does\n"
    "not know, or when DST holds data already (any row in any table; the defaults a new\n"
    "database starts with do not count: they are replaced by SRC's). All rows are written\n"
    "in one transaction, read from one snapshot of SRC (servers may go on writing to SRC;\n"
    "what they write after the copy began is not in it), and each table's row count on DST\n"
    "is compared with SRC's at the end. While the rows go in, DST's tables are locked (on\n"
    "PostgreSQL their triggers are off; the copy brings the counters they keep). On a\n"
    "terminal, a progress line is shown for large databases.\n"
    "Exit status: 0 when DST holds the copy and every count matches, 1 when the copy was\n"
    "refused or failed (DST unchanged) or a count differs, 2 for a bad command line.";

struct copy_job {
    struct store_conn *src; /* a reader of SRC, used by DST's writer thread while main waits */
    int64_t total, done;
    bool progress;
    int64_t shown_ms;
    char why[512]; /* why the job failed, when it is the copy's own reason */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void show_progress(struct copy_job *j, const char *table, bool last)
{
    if (!j->progress) return;
    int64_t now = mono_ms();
    if (!last && now - j->shown_ms < 200) return;
    j->shown_ms = now;
    fprintf(stderr, "\rcopy: %lld of %lld rows (%d%%) %-20s", (long long)j->done, (long long)j->total,
            j->total ? (int)(j->done * 100 / j->total) : 100, last ? "" : table);
    if (last) fputc('\n', stderr);
    fflush(stderr);
}

/* Writes a batch in pieces of at most WRITE_BYTES of values: a backend may
 * send a piece as one statement, which must come back within the
 * statement deadline (500 events of 64 KiB would be 32 MiB). */
static enum err write_rows(struct store_conn *dst, const struct store_table *t, const struct store_rows *rows)
{
    int from = 0;
    while (from < rows->n) {
        size_t bytes = 0;
        int to = from;
        while (to < rows->n && (to == from || bytes < WRITE_BYTES)) {
            for (int i = 0; i < rows->ncols; i++) {
                const char *v = rows->v[to * rows->ncols + i];
                bytes += v ? strlen(v) : 0;
            }
            to++;
        }
        struct store_rows piece = {.n = to - from, .ncols = rows->ncols, .v = rows->v + from * rows->ncols};
        enum err rc = store_copy_write(dst, t, &piece);
        if (rc != ERR_OK) return rc;
        from = to;
    }
    return ERR_OK;
}

/* One table: its rows in key order, BATCH at a time, after the key of the
 * last one written. */
static enum err copy_table(struct store_conn *dst, struct copy_job *j, const struct store_table *t)
{
    enum err rc;
    if (t->replace && (rc = store_copy_clear(dst, t)) != ERR_OK) return rc;
    char *after[STORE_KEY_MAX] = {0};
    bool started = false;
    for (;;) {
        struct store_rows rows;
        rc = store_copy_read(j->src, t, started ? (const char *const *)after : NULL, BATCH, &rows);
        if (rc != ERR_OK) {
            snprintf(j->why, sizeof j->why, "cannot read %s from SRC: %s", t->name, store_last_error(j->src));
            break;
        }
        rc = write_rows(dst, t, &rows);
        if (rc != ERR_OK)
            snprintf(j->why, sizeof j->why, "cannot write the rows of %s to DST: %s", t->name, store_last_error(dst));
        if (rc == ERR_OK && rows.n > 0) {
            for (int k = 0; k < t->nkey; k++) {
                free(after[k]);
                const char *v = rows.v[(rows.n - 1) * rows.ncols + t->key[k]];
                after[k] = strdup(v ? v : "");
            }
            started = true;
            j->done += rows.n;
            show_progress(j, t->name, false);
        }
        int n = rows.n;
        store_rows_free(&rows);
        if (rc != ERR_OK || n < BATCH) break;
    }
    for (int k = 0; k < t->nkey; k++) free(after[k]);
    return rc;
}

/* The writer job: refuse when DST holds data, then every table in list
 * order, then the numbering. Any failure undoes all of it (the job's
 * savepoint), so DST is left as it was. */
static enum err copy_all(struct store_conn *dst, void *arg)
{
    struct copy_job *j = arg;
    enum err rc;
    for (int i = 0; i < store_tables_count; i++) {
        int64_t n = 0;
        if ((rc = store_copy_count(dst, &store_tables[i], true, &n)) != ERR_OK) {
            snprintf(j->why, sizeof j->why, "cannot count the rows of %s on DST: %s", store_tables[i].name,
                     store_last_error(dst));
            return rc;
        }
        if (n > 0) {
            snprintf(j->why, sizeof j->why, "DST holds data already (%lld row%s in %s); copy writes only into an "
                     "empty database: nothing was written", (long long)n, n == 1 ? "" : "s", store_tables[i].name);
            return ERR_VALIDATION_FAILED;
        }
    }
    if ((rc = store_copy_prepare(dst)) != ERR_OK) {
        snprintf(j->why, sizeof j->why, "cannot prepare DST for the rows: %s", store_last_error(dst));
        return rc;
    }
    for (int i = 0; i < store_tables_count; i++)
        if ((rc = copy_table(dst, j, &store_tables[i])) != ERR_OK) return rc;
    show_progress(j, "", true);
    if ((rc = store_copy_finish(dst)) != ERR_OK) {
        snprintf(j->why, sizeof j->why, "cannot finish DST (triggers, numbering): %s",
                 store_last_error(dst));
        return rc;
    }
    return ERR_OK;
}

/* The schema of the database in hand must be the table list's. */
static bool same_columns(struct store *s, const char *side, char *why, size_t n)
{
    struct store_conn *c = store_reader_acquire(s);
    char **names = NULL;
    int count = 0;
    enum err rc = store_copy_columns(c, &names, &count);
    char diff[400];
    bool ok = rc == ERR_OK && store_tables_match(names, count, diff, sizeof diff);
    if (rc != ERR_OK)
        snprintf(why, n, "cannot read the schema of %s: %s", side, store_last_error(c));
    else if (!ok)
        snprintf(why, n, "the schema of %s is not the one copy knows: %s", side, diff);
    for (int i = 0; i < count; i++) free(names[i]);
    free(names);
    store_reader_release(c);
    return ok;
}

/* DST's row counts, table by table, against SRC's in the snapshot the
 * rows were read in: true when all are equal. */
static bool counts_match(const int64_t *src_rows, struct store *dst, int64_t *total, char *why, size_t n)
{
    struct store_conn *c = store_reader_acquire(dst);
    bool ok = true;
    *total = 0;
    why[0] = 0;
    for (int i = 0; i < store_tables_count && ok; i++) {
        const struct store_table *t = &store_tables[i];
        int64_t got = -1;
        if (store_copy_count(c, t, false, &got) != ERR_OK) {
            snprintf(why, n, "cannot count the rows of %s on DST: %s", t->name, store_last_error(c));
            ok = false;
        } else if (got != src_rows[i]) {
            snprintf(why, n, "%s has %lld rows on SRC but %lld on DST", t->name, (long long)src_rows[i],
                     (long long)got);
            ok = false;
        } else {
            printf("  %-20s %lld\n", t->name, (long long)got);
            *total += got;
        }
    }
    store_reader_release(c);
    return ok;
}

static void shown(const char *db, char *out, size_t n)
{
    if (strcmp(store_backend_of(db)->name, "postgresql") == 0)
        pg_display_uri(db, out, n);
    else
        snprintf(out, n, "%s", db);
}

/* Refuses before anything is opened: a backend not built in, one database
 * named twice, a source that is missing, not at the latest schema or has
 * columns the list lacks. 0 to go on, else 1 after the message. */
static int precheck(const char *from, const char *to)
{
    const struct store_backend *bs = store_backend_of(from), *bd = store_backend_of(to);
    const struct store_backend *missing = !bs->ops ? bs : !bd->ops ? bd : NULL;
    if (missing) {
        fprintf(stderr, "opstasks: copy: this opstasks is built without %s\n", missing->label);
        return 1;
    }
    char a[PATH_MAX], b[PATH_MAX];
    bool same = strcmp(from, to) == 0;
    if (!same && bs == bd && strcmp(bs->name, "sqlite") == 0 && realpath(from, a) && realpath(to, b))
        same = strcmp(a, b) == 0;
    if (same) {
        fprintf(stderr, "opstasks: copy: --from and --to name the same database\n");
        return 1;
    }
    struct check_result res[CHECK__COUNT];
    struct errinfo e = {0};
    char src[512];
    shown(from, src, sizeof src);
    if (store_check_db(bs->ops, from, (1u << CHECK_SCHEMA) | (1u << CHECK_TABLES), res, &e) != 0) {
        fprintf(stderr, "opstasks: copy: cannot open SRC: %s\n", e.message);
        return 1;
    }
    if (!res[CHECK_SCHEMA].ok) {
        fprintf(stderr, "opstasks: copy: SRC %s is not at this opstasks' schema: %s; nothing was written\n", src,
                res[CHECK_SCHEMA].detail);
        return 1;
    }
    if (!res[CHECK_TABLES].ok) {
        fprintf(stderr, "opstasks: copy: the schema of SRC %s is not the one copy knows: %s\n", src,
                res[CHECK_TABLES].detail);
        return 1;
    }
    return 0;
}

int cmd_copy(int argc, char **argv)
{
    enum { O_FROM, O_TO, O__COUNT };
    static const struct option_desc opts[] = {
        [O_FROM] = {"from", NULL, OPT_STRING, NULL, 0, 0, "the database to copy (SQLite path or postgresql:// URI)"},
        [O_TO] = {"to", NULL, OPT_STRING, NULL, 0, 0, "the empty database to copy into (created when missing)"},
    };
    const char *v[O__COUNT];
    int rc = options_parse(usage_text, opts, O__COUNT, argc, argv, v);
    if (rc) return rc == 1 ? 0 : 2;
    if (!*v[O_FROM] || !*v[O_TO]) {
        fprintf(stderr, "opstasks: copy: --from and --to must name databases (see --help)\n");
        return 2;
    }
    if (precheck(v[O_FROM], v[O_TO])) return 1;
    char src_shown[512], dst_shown[512];
    shown(v[O_FROM], src_shown, sizeof src_shown);
    shown(v[O_TO], dst_shown, sizeof dst_shown);

    struct errinfo e = {0};
    struct store *src = NULL, *dst = NULL;
    int ret = 1;
    if (store_open(v[O_FROM], &src, &e) != 0) {
        fprintf(stderr, "opstasks: copy: cannot open SRC: %s\n", e.message);
        return 1;
    }
    if (store_open(v[O_TO], &dst, &e) != 0) {
        fprintf(stderr, "opstasks: copy: cannot open DST: %s\n", e.message);
        goto out;
    }
    char why[600];
    if (!same_columns(src, "SRC", why, sizeof why) || !same_columns(dst, "DST", why, sizeof why)) {
        fprintf(stderr, "opstasks: copy: %s; nothing was written\n", why);
        goto out;
    }

    /* One snapshot of SRC for every read and count, so servers may go on
     * writing to it: the copy is SRC as of the snapshot's first read. */
    struct copy_job j = {0};
    int64_t *src_rows = calloc((size_t)store_tables_count, sizeof *src_rows);
    j.src = store_reader_acquire(src);
    if (!src_rows || store_copy_snapshot(j.src, true) != ERR_OK) {
        fprintf(stderr, "opstasks: copy: cannot begin a snapshot of SRC: %s\n", store_last_error(j.src));
        store_reader_release(j.src);
        free(src_rows);
        goto out;
    }
    for (int i = 0; i < store_tables_count; i++) {
        if (store_copy_count(j.src, &store_tables[i], false, &src_rows[i]) != ERR_OK) {
            fprintf(stderr, "opstasks: copy: cannot count the rows of %s on SRC: %s\n", store_tables[i].name,
                    store_last_error(j.src));
            store_copy_snapshot(j.src, false);
            store_reader_release(j.src);
            free(src_rows);
            goto out;
        }
        j.total += src_rows[i];
    }
    j.progress = isatty(STDERR_FILENO) && j.total >= PROGRESS_MIN;
    j.shown_ms = mono_ms();
    enum err erc = store_run(dst, copy_all, &j);
    store_copy_snapshot(j.src, false);
    store_reader_release(j.src);
    if (erc != ERR_OK) {
        if (j.progress) fputc('\n', stderr);
        fprintf(stderr, "opstasks: copy: %s%s\n", j.why[0] ? j.why : err_default_message(erc),
                j.why[0] && strstr(j.why, "nothing was written") ? "" : " (DST was left as it was)");
        free(src_rows);
        goto out;
    }
    printf("copy: %s -> %s\n", src_shown, dst_shown);
    int64_t total = 0;
    bool match = counts_match(src_rows, dst, &total, why, sizeof why);
    free(src_rows);
    if (!match) {
        fprintf(stderr, "opstasks: copy: the counts differ after the copy: %s\n", why);
        goto out;
    }
    printf("copy: %lld rows of %d tables copied; every table's count on DST equals SRC's\n", (long long)total,
           store_tables_count);
    ret = 0;
out:
    if (dst) store_close(dst);
    store_close(src);
    return ret;
}
