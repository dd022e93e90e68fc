/* cmd.h: the subcommands (one file each) and the option table they share.
 * Options are described once (name, env var, type, bounds, default, help),
 * redis standardConfig-style, and both parsing and --help come from that. */
#ifndef OPSTASKS_CMD_H
#define OPSTASKS_CMD_H

#include <stdbool.h>

#define OPSTASKS_VERSION "0.1.0"

/* OPT_LIST: a string option that may be given more than once; its value is
 * every occurrence joined with commas, the form its env var takes. */
enum option_type { OPT_STRING, OPT_INT, OPT_LIST };

struct option_desc {
    const char *name;  /* without the leading -- */
    const char *env;   /* NULL when none */
    enum option_type type;
    const char *def;   /* NULL when required */
    long min, max;     /* OPT_INT bounds */
    const char *help;
};

/* Fills values[i] for each option from argv, then env, then default.
 * Returns 0 to go on, 1 when --help was printed (exit 0), 2 after a one-line
 * error on stderr (exit 2). */
int options_parse(const char *usage, const struct option_desc *d, int n, int argc, char **argv, const char **values);

int cmd_serve(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_import(int argc, char **argv); /* renewals (issue 4) */

#endif
