/* main.c: command dispatch only; each command lives in src/cmd/. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

static void usage(FILE *f)
{
    fprintf(f, "opstasks %s: the operations task queue\n\n"
               "usage: opstasks COMMAND [OPTIONS]\n\n"
               "commands:\n"
               "  serve          serve the JSON API and run the background jobs\n"
               "  init           create the database and, when it has none, a first admin token\n"
               "  token create   create an API token\n"
               "  token list     list the API tokens (never their secrets)\n"
               "  token revoke   revoke an API token\n"
               "  import renewals  upsert renewable items from a CSV file\n"
               "  backup         copy the database consistently while the server runs\n"
               "  check          verify a database: integrity, schema version, stats totals, tables\n"
               "  copy           copy a whole database, SQLite or PostgreSQL, into an empty one\n"
               "  routes         print the routing table, one METHOD PATTERN a line\n\n"
               "  opstasks COMMAND --help   options of one command\n"
               "  opstasks --version        print the version\n",
            OPSTASKS_VERSION);
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "opstasks: cannot initialise libsodium\n");
        return 1;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("opstasks %s\n", OPSTASKS_VERSION);
        return 0;
    }
    if (strcmp(cmd, "serve") == 0) return cmd_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "token") == 0) return cmd_token(argc - 2, argv + 2);
    if (strcmp(cmd, "init") == 0) return cmd_init(argc - 2, argv + 2);
    if (strcmp(cmd, "import") == 0) return cmd_import(argc - 2, argv + 2); /* renewals */
    if (strcmp(cmd, "routes") == 0) return cmd_routes(argc - 2, argv + 2);
    if (strcmp(cmd, "backup") == 0) return cmd_backup(argc - 2, argv + 2);
    if (strcmp(cmd, "check") == 0) return cmd_check(argc - 2, argv + 2);
    if (strcmp(cmd, "copy") == 0) return cmd_copy(argc - 2, argv + 2);
    fprintf(stderr, "opstasks: unknown command '%s' (see opstasks --help)\n", cmd);
    return 2;
}
