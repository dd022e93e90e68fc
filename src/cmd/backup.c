/* backup.c: `opstasks backup --db DB FILE`: a consistent copy of the database
 * while the server runs (store/sqlite/maintenance.c); never replaces FILE. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "store/backends.h"
#include "store/sqlite/maintenance.h"

static const char usage_text[] =
    "usage: opstasks backup --db PATH FILE\n\n"
    "Copies the database at PATH to FILE, consistent as of one instant, while a server may be\n"
    "running on it (SQLite's online backup; the server is not held up). The copy is written\n"
    "to a temporary file next to FILE, synced, then renamed to FILE. FILE must not exist:\n"
    "backup never replaces a file (exit 1). Restore: stop the server, replace the database\n"
    "file with the copy, delete PATH-wal and PATH-shm, start the server.\n"
    "Exit status: 0 when FILE holds the copy, 1 when it could not be made (FILE is then\n"
    "absent), 2 for a bad command line.";

int cmd_backup(int argc, char **argv)
{
    char *opt_argv[16];
    int opt_argc;
    const char *file;
    if (options_split_positional(argc, argv, opt_argv, 16, &opt_argc, &file, "backup FILE")) return 2;
    enum { O_DB, O__COUNT };
    static const struct option_desc opts[] = {
        [O_DB] = {"db", "OPSTASKS_DB", OPT_STRING, NULL, 0, 0, "the database to copy"},
    };
    const char *v[O__COUNT];
    int rc = options_parse(usage_text, opts, O__COUNT, opt_argc, opt_argv, v);
    if (rc) return rc == 1 ? 0 : 2;
    if (!file || !*file) {
        fprintf(stderr, "opstasks: the backup FILE to write is missing (see --help)\n");
        return 2;
    }
    const struct store_backend *b = store_backend_of(v[O_DB]);
    if (strcmp(b->name, "sqlite") != 0) {
        fprintf(stderr, "opstasks: backup works on SQLite files only, and --db names a %s database\n", b->label);
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct backup_stats st;
    struct errinfo e = {0};
    if (sqlite_backup(v[O_DB], file, &st, &e) != 0) {
        fprintf(stderr, "opstasks: %s\n", e.message);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("backup: copied %s to %s: %ld pages (%.1f MiB) in %.0f ms\n", v[O_DB], file, st.pages,
           (double)st.pages * (double)st.page_size / (1024.0 * 1024.0),
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    return 0;
}
