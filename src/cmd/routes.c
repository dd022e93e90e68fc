/* routes.c: `opstasks routes` prints the routing table of src/api/routes.c,
 * one `METHOD PATTERN` line per route (":id" segments as in the table), so
 * that tests/api/test_openapi.py checks docs/openapi.yaml against the table
 * the server really dispatches over rather than a copy of it. */
#include <stdio.h>

#include "api/api.h"
#include "cmd/cmd.h"

int cmd_routes(int argc, char **argv)
{
    static const char *const usage = "usage: opstasks routes\n\n"
                                     "Prints each route of the routing table as METHOD PATTERN (HEAD is answered\n"
                                     "for every GET route and is not listed).";
    int rc = options_parse(usage, NULL, 0, argc, argv, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    for (size_t i = 0; i < api_routes.n; i++) printf("%s %s\n", api_routes.rows[i].method, api_routes.rows[i].pattern);
    return fflush(stdout) == 0 ? 0 : 1;
}
