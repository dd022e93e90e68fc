/* check.c: `opstasks check --db DB`: integrity, foreign keys, the schema
 * version, the stats totals and the table list, one line each and a
 * summary, by the backend --db names (its check_db op: store/sqlite/
 * maintenance.c, store/pg/maintenance.c); read-only, so it may run beside a
 * server. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "store/pg/ops.h"
#include "store/store.h"

static const char usage_text[] =
    "usage: opstasks check --db DB\n\n"
    "Checks the database DB (a SQLite file's path or a postgresql:// URI) without changing\n"
    "it: the integrity (SQLite's PRAGMA integrity_check; PostgreSQL has no equivalent and\n"
    "the line says n/a), the foreign keys, the schema version (the one this opstasks writes;\n"
    "older or newer is said), the stats totals (the per-status counts GET /ops/tasks/stats\n"
    "reads equal a count of the task rows), and the tables (every column of the database is\n"
    "in the table list `opstasks copy` moves, and every listed one exists). Prints one line\n"
    "per check and a summary.\n"
    "Exit status: 0 when every check passed, 1 when one failed or the database could not be\n"
    "opened, 2 for a bad command line.";

int cmd_check(int argc, char **argv)
{
    enum { O_DB, O__COUNT };
    static const struct option_desc opts[] = {
        [O_DB] = {"db", "OPSTASKS_DB", OPT_STRING, NULL, 0, 0, "the database to check"},
    };
    const char *v[O__COUNT];
    int rc = options_parse(usage_text, opts, O__COUNT, argc, argv, v);
    if (rc) return rc == 1 ? 0 : 2;
    const struct store_backend *b = store_backend_of(v[O_DB]);
    char shown[512];
    if (strcmp(b->name, "postgresql") == 0)
        pg_display_uri(v[O_DB], shown, sizeof shown);
    else
        snprintf(shown, sizeof shown, "%s", v[O_DB]);
    if (!b->ops) {
        fprintf(stderr, "opstasks: this opstasks is built without %s, which --db names\n", b->label);
        return 1;
    }
    struct check_result res[CHECK__COUNT];
    struct errinfo e = {0};
    if (store_check_db(b->ops, v[O_DB], CHECK_ALL, res, &e) != 0) {
        fprintf(stderr, "opstasks: %s\n", e.message);
        return 1;
    }
    int failed = 0, skipped = 0;
    char names[128] = "";
    for (int i = 0; i < CHECK__COUNT; i++) {
        printf("%-6s  %-13s %s\n", res[i].skipped ? "n/a" : res[i].ok ? "ok" : "FAILED", res[i].name,
               res[i].detail);
        if (res[i].skipped) {
            skipped++;
        } else if (!res[i].ok) {
            size_t len = strlen(names);
            snprintf(names + len, sizeof names - len, "%s%s", failed ? ", " : "", res[i].name);
            failed++;
        }
    }
    int run = CHECK__COUNT - skipped;
    if (failed)
        printf("check: %d of %d checks FAILED on %s: %s\n", failed, run, shown, names);
    else
        printf("check: all %d checks passed on %s%s\n", run, shown,
               skipped ? " (the n/a ones have no equivalent on this backend)" : "");
    return failed ? 1 : 0;
}
