/* import.c: `opstasks import renewals --db PATH FILE.csv`. Reads a
 * CSV of renewable items (columns customer_id, renewal_id, kind, expires_on,
 * assignee_id, in any order, with a header line) and upserts them through
 * service_renewal_put, IMPORT_BATCH rows per transaction, each row in its own
 * savepoint: a bad row is refused and reported with its line number and
 * reason, the good ones around it are kept. A row equal to what is stored
 * writes nothing, so a rerun of the same file changes nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "domain/dates.h"
#include "service/renewals.h"
#include "util/clock.h"
#include "util/ids.h"

#define IMPORT_BATCH 5000 /* rows per transaction (about: see run_rows) */
#define FIELD_MAX 1024   /* bytes per field; longer is refused */
#define FIELDS_MAX 32    /* fields per record */
#define REFUSED_SHOWN 1000

enum { COL_CUSTOMER, COL_RENEWAL, COL_KIND, COL_EXPIRES, COL_ASSIGNEE, COL__COUNT };
static const char *const columns[COL__COUNT] = {"customer_id", "renewal_id", "kind", "expires_on", "assignee_id"};

/* ---- CSV (RFC 4180: quoted fields may hold commas, "" and newlines) ---------- */

struct csv {
    FILE *f;
    long line;       /* physical line the reader is on */
    long long bytes; /* read so far, for the progress bar */
    int n;
    char field[FIELDS_MAX][FIELD_MAX];
    bool too_long, too_many, bad_quote;
};

/* Reads one record. Returns 1 with c->n fields, 0 at end of file. */
static int csv_next(struct csv *c)
{
    c->n = 0;
    c->too_long = c->too_many = c->bad_quote = false;
    int ch = fgetc(c->f);
    if (ch == EOF) return 0;
    size_t len = 0;
    bool quoted = false, was_quoted = false, any = false;
    char *cur = c->field[0];
    for (;; ch = fgetc(c->f)) {
        if (ch != EOF) c->bytes++;
        if (quoted) {
            if (ch == EOF) {
                c->bad_quote = true;
                break;
            }
            if (ch == '"') {
                int next = fgetc(c->f);
                if (next == '"') {
                    c->bytes++;
                } else {
                    quoted = false;
                    if (next != EOF) ungetc(next, c->f);
                    continue;
                }
            }
            if (ch == '\n') c->line++;
        } else if (ch == '"' && len == 0 && !was_quoted) {
            quoted = was_quoted = any = true;
            continue;
        } else if (ch == ',' || ch == '\n' || ch == EOF) {
            if (c->n < FIELDS_MAX) {
                cur[len] = 0;
                c->n++;
            } else {
                c->too_many = true;
            }
            if (ch != ',') {
                if (ch == '\n') c->line++;
                break;
            }
            len = 0;
            was_quoted = false;
            cur = c->field[c->n < FIELDS_MAX ? c->n : FIELDS_MAX - 1];
            any = true;
            continue;
        } else if (ch == '\r') {
            continue; /* CRLF line ends */
        } else if (was_quoted) {
            c->bad_quote = true; /* text after a closing quote */
        }
        any = true;
        if (len + 1 < FIELD_MAX)
            cur[len++] = (char)ch;
        else
            c->too_long = true;
    }
    (void)any;
    return 1;
}

/* Trims spaces and tabs in place. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
    return s;
}

/* ---- rows and batches ----------------------------------------------------------- */

struct row {
    long line;
    struct renewal_item it;
    bool refused;
    char reason[256];
};

struct result {
    long created, updated, unchanged, refused;
    long shown;
};

static void refuse(struct result *res, long line, const char *reason)
{
    if (res->shown++ < REFUSED_SHOWN) printf("line %ld: refused: %s\n", line, reason);
    res->refused++;
}

/* One row, in its own savepoint (store_run_each): a refused row is noted
 * with its reason and undone alone. */
static enum err put_row(struct store_conn *c, void *arg, int i)
{
    struct row *r = &((struct row *)arg)[i];
    if (r->refused) return ERR_OK; /* refused before the database saw it */
    struct errinfo e = {0};
    bool created, changed;
    enum err rc = service_renewal_put(c, &r->it, clock_now_ms(), &created, &changed, &e);
    if (rc == ERR_UNAVAILABLE) return rc; /* the database cannot write (disk full, locked): not the row's fault */
    if (rc != ERR_OK) {
        r->refused = true;
        snprintf(r->reason, sizeof r->reason, "%.255s", e.message[0] ? e.message : err_default_message(rc));
    } else {
        r->reason[0] = created ? 'c' : changed ? 'u' : '=';
    }
    return rc;
}

/* Writes n rows through store_run_each: the store cuts them into writer jobs
 * queued together, which group commit puts in one transaction (or a few).
 * Returns ERR_OK or the first job's error. */
static enum err run_rows(struct store *s, struct row *rows, int n)
{
    return store_run_each(s, n, put_row, rows, NULL);
}

/* The row's fields checked as the API checks them; false with a reason. */
static bool read_row(struct csv *c, const int *col, struct row *r)
{
    struct errinfo e = {0};
    if (c->bad_quote) return snprintf(r->reason, sizeof r->reason, "a quoted field is not closed properly"), false;
    if (c->too_long) return snprintf(r->reason, sizeof r->reason, "a field is over %d bytes", FIELD_MAX - 1), false;
    if (c->too_many || c->n != COL__COUNT)
        return snprintf(r->reason, sizeof r->reason, "has %d fields, not %d", c->n, COL__COUNT), false;
    const char *v[COL__COUNT];
    for (int k = 0; k < COL__COUNT; k++) v[k] = trim(c->field[col[k]]);
    if (!ids_valid_external(v[COL_CUSTOMER], "cus_"))
        return snprintf(r->reason, sizeof r->reason, "customer_id must be cus_ followed by 1-64 of A-Z a-z 0-9 _ -"), false;
    if (!ids_valid_external(v[COL_RENEWAL], "ren_"))
        return snprintf(r->reason, sizeof r->reason, "renewal_id must be ren_ followed by 1-64 of A-Z a-z 0-9 _ -"), false;
    if (renewal_validate_kind(v[COL_KIND], &e) != ERR_OK ||
        renewal_validate_expires_on(v[COL_EXPIRES], &e) != ERR_OK)
        return snprintf(r->reason, sizeof r->reason, "%.255s", e.message), false;
    if (v[COL_ASSIGNEE][0] && !ids_valid_external(v[COL_ASSIGNEE], "sta_"))
        return snprintf(r->reason, sizeof r->reason, "assignee_id must be empty or a staff id like sta_anna"), false;
    snprintf(r->it.customer_id, sizeof r->it.customer_id, "%s", v[COL_CUSTOMER]);
    snprintf(r->it.id, sizeof r->it.id, "%s", v[COL_RENEWAL]);
    snprintf(r->it.kind, sizeof r->it.kind, "%s", v[COL_KIND]);
    snprintf(r->it.expires_on, sizeof r->it.expires_on, "%s", v[COL_EXPIRES]);
    snprintf(r->it.assignee_id, sizeof r->it.assignee_id, "%s", v[COL_ASSIGNEE]);
    return true;
}

static void progress(bool tty, long long done, long long total, long rows, bool last)
{
    if (tty) {
        int pct = total > 0 ? (int)(done * 100 / total) : 100, w = pct * 30 / 100;
        fprintf(stderr, "\rimporting [%.*s%.*s] %3d%% %ld rows", w, "##############################", 30 - w,
                "..............................", pct, rows);
        if (last) fputc('\n', stderr);
    } else {
        fprintf(stderr, "import: %ld rows read%s\n", rows, last ? ", done" : "");
    }
    fflush(stderr);
}

static const char *const usage_text =
    "usage: opstasks import renewals --db PATH FILE.csv\n\n"
    "Upserts renewable items from a CSV file with a header line naming the columns\n"
    "customer_id, renewal_id, kind, expires_on, assignee_id (any order; assignee_id may be empty).\n"
    "Prints the rows refused, with their line numbers and reasons, and a summary.\n"
    "Exit status: 0 when every row was imported, 1 when some were refused or the file\n"
    "could not be read, 2 for a bad command line.";

int cmd_import(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        fprintf(argc < 1 ? stderr : stdout, "%s\n", usage_text);
        return argc < 1 ? 2 : 0;
    }
    if (strcmp(argv[0], "renewals") != 0) {
        fprintf(stderr, "opstasks: unknown import '%s' (try: opstasks import renewals --help)\n", argv[0]);
        return 2;
    }
    /* the one positional argument, FILE.csv; the rest are options */
    char *opt_argv[8];
    int opt_argc;
    const char *file;
    if (options_split_positional(argc - 1, argv + 1, opt_argv, 8, &opt_argc, &file, "CSV file")) return 2;
    enum { O_DB, O__COUNT };
    static const struct option_desc opts[] = {
        [O_DB] = {"db", "OPSTASKS_DB", OPT_STRING, NULL, 0, 0, "SQLite database file"},
    };
    const char *v[O__COUNT];
    int rc = options_parse(usage_text, opts, O__COUNT, opt_argc, opt_argv, v);
    if (rc) return rc == 1 ? 0 : 2;
    if (!file) {
        fprintf(stderr, "opstasks: the CSV file to import is missing (see --help)\n");
        return 2;
    }

    struct csv *c = calloc(1, sizeof *c);
    struct row *rows = calloc(IMPORT_BATCH, sizeof *rows);
    struct store *s = NULL;
    int ret = 1;
    if (!c || !rows) {
        fprintf(stderr, "opstasks: out of memory\n");
        goto out;
    }
    c->f = fopen(file, "rb");
    if (!c->f) {
        fprintf(stderr, "opstasks: cannot read %s: %s\n", file, strerror(errno));
        goto out;
    }
    struct stat st;
    long long total = fstat(fileno(c->f), &st) == 0 ? (long long)st.st_size : 0;
    c->line = 1;
    /* the header: a UTF-8 byte order mark is skipped */
    int b0 = fgetc(c->f), b1 = fgetc(c->f), b2 = fgetc(c->f);
    if (!(b0 == 0xEF && b1 == 0xBB && b2 == 0xBF)) {
        rewind(c->f);
    } else {
        c->bytes = 3;
    }
    if (csv_next(c) != 1 || c->too_long || c->too_many || c->bad_quote) {
        fprintf(stderr, "opstasks: %s has no header line (customer_id,renewal_id,kind,expires_on,assignee_id)\n", file);
        goto out;
    }
    int col[COL__COUNT];
    for (int k = 0; k < COL__COUNT; k++) col[k] = -1;
    for (int i = 0; i < c->n; i++) {
        const char *name = trim(c->field[i]);
        int k = 0;
        while (k < COL__COUNT && strcmp(columns[k], name) != 0) k++;
        if (k == COL__COUNT || col[k] >= 0) {
            fprintf(stderr, "opstasks: %s: header column '%.100s' is %s (expected customer_id, renewal_id, kind, "
                            "expires_on, assignee_id)\n", file, name, k == COL__COUNT ? "unknown" : "repeated");
            goto out;
        }
        col[k] = i;
    }
    for (int k = 0; k < COL__COUNT; k++)
        if (col[k] < 0) {
            fprintf(stderr, "opstasks: %s: header has no column %s\n", file, columns[k]);
            goto out;
        }

    struct errinfo e = {0};
    if (store_open(v[O_DB], &s, &e) != 0) {
        fprintf(stderr, "opstasks: %s\n", e.message);
        goto out;
    }
    bool tty = isatty(STDERR_FILENO);
    struct result res = {0};
    long read_rows = 0;
    for (bool eof = false; !eof;) {
        int n = 0;
        while (n < IMPORT_BATCH) {
            long line = c->line;
            if (csv_next(c) != 1) {
                eof = true;
                break;
            }
            if (c->n == 1 && c->field[0][0] == 0 && !c->bad_quote) continue; /* a blank line */
            struct row *r = &rows[n++];
            memset(r, 0, sizeof *r);
            r->line = line;
            r->refused = !read_row(c, col, r);
            read_rows++;
        }
        if (n > 0 && run_rows(s, rows, n) != ERR_OK) {
            if (tty) fputc('\n', stderr);
            fprintf(stderr, "opstasks: the database refused a batch of rows (lines %ld-%ld); some of it may not be "
                            "written, the batches before it were (rerunning the file is safe)\n",
                    rows[0].line, rows[n - 1].line);
            goto out;
        }
        for (int i = 0; i < n; i++) {
            if (rows[i].refused)
                refuse(&res, rows[i].line, rows[i].reason);
            else if (rows[i].reason[0] == 'c')
                res.created++;
            else if (rows[i].reason[0] == 'u')
                res.updated++;
            else
                res.unchanged++;
        }
        progress(tty, c->bytes, total, read_rows, eof);
    }
    if (res.shown > REFUSED_SHOWN) printf("... and %ld more refused rows\n", res.shown - REFUSED_SHOWN);
    printf("imported %ld rows (%ld created, %ld updated, %ld unchanged); refused %ld rows\n",
           res.created + res.updated + res.unchanged, res.created, res.updated, res.unchanged, res.refused);
    ret = res.refused ? 1 : 0;
out:
    if (c && c->f) fclose(c->f);
    free(c);
    free(rows);
    store_close(s);
    fflush(stdout);
    return ret;
}
