/* check.c: `opstasks check --db DB`: integrity, foreign keys, the schema
 * version and the stats totals (store/sqlite/maintenance.c), one line each
 * and a summary; read-only, so it may run beside a server. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "store/sqlite/maintenance.h"

static const char usage_text[] =
    "usage: opstasks check --db PATH\n\n"
    "Checks the database at PATH without changing it: PRAGMA integrity_check, the foreign\n"
    "keys, the schema version (the one this opstasks writes; older or newer is said), and\n"
    "the stats totals (the per-status counts GET /ops/tasks/stats reads equal a count of\n"
    "the task rows). Prints one line per check and a summary.\n"
    "Exit status: 0 when every check passed, 1 when one failed or the file could not be\n"
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
    struct check_result res[CHECK__COUNT];
    struct errinfo e = {0};
    if (sqlite_check(v[O_DB], res, &e) != 0) {
        fprintf(stderr, "opstasks: %s\n", e.message);
        return 1;
    }
    int failed = 0;
    char names[128] = "";
    for (int i = 0; i < CHECK__COUNT; i++) {
        printf("%-6s  %-13s %s\n", res[i].ok ? "ok" : "FAILED", res[i].name, res[i].detail);
        if (!res[i].ok) {
            size_t len = strlen(names);
            snprintf(names + len, sizeof names - len, "%s%s", failed ? ", " : "", res[i].name);
            failed++;
        }
    }
    if (failed)
        printf("check: %d of %d checks FAILED on %s: %s\n", failed, CHECK__COUNT, v[O_DB], names);
    else
        printf("check: all %d checks passed on %s\n", CHECK__COUNT, v[O_DB]);
    return failed ? 1 : 0;
}
