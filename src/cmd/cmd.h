/* cmd.h: the subcommands (one file each) and the option table they share.
 * Options are described once (name, env var, type, bounds, default, help),
 * redis standardConfig-style, and both parsing and --help come from that. */
#ifndef OPSTASKS_CMD_H
#define OPSTASKS_CMD_H

#include <stdbool.h>

#define OPSTASKS_VERSION "0.1.0"

/* OPT_CONFIG names a file of `name = value` lines (see options_parse).
 * OPT_BOOL is a switch: the flag alone (`--NAME`) is true, and
 * `--NAME=false`, the env var and the file take true/false, yes/no, on/off
 * or 1/0; read the value with options_bool. */
enum option_type { OPT_STRING, OPT_INT, OPT_CONFIG, OPT_BOOL };

struct option_desc {
    const char *name;  /* without the leading -- */
    const char *env;   /* NULL when none */
    enum option_type type;
    const char *def;   /* NULL when required */
    long min, max;     /* OPT_INT bounds */
    const char *help;
    /* May be given several times: the value is then every occurrence, in
     * order, joined by commas, the form the env var takes (the highest source that has any wins whole). */
    bool repeatable;
};

/* Fills values[i] for each option from argv, then env, then the config
 * file, then the default. The config file is the value of the table's
 * OPT_CONFIG option (when it has one and it is set, by flag or env): one
 * `name = value` per line, names as the flags without --, `#` comment lines
 * and blank lines; an unknown name, a bad value or a line that is not
 * `name = value` is refused with FILE:LINE. Values stay valid until the next
 * call. Returns 0 to go on, 1 when --help was printed (exit 0), 2 after a
 * one-line error on stderr (exit 2). At most OPTIONS_MAX options. */
#define OPTIONS_MAX 64
/* An OPT_BOOL option's value (as options_parse checked it): true or false. */
bool options_bool(const char *v);
int options_parse(const char *usage, const struct option_desc *d, int n, int argc, char **argv, const char **values);
/* For a command with one positional argument: copies the flags (and the
 * values of those written without '=') of argv into opt_argv (at most cap
 * entries, for options_parse) and sets *positional to the one other argument
 * (NULL when there is none). Returns 0, or 2 after a one-line error (a second
 * positional argument, naming `what` it expects; too many options). */
int options_split_positional(int argc, char **argv, char **opt_argv, int cap, int *opt_argc, const char **positional,
                             const char *what);
/* Where option i's value came from in the last options_parse, for error
 * messages: "--name", the env variable, "FILE:LINE: name" or "the default". */
const char *options_origin(int i);

int cmd_serve(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_import(int argc, char **argv); /* renewals */
int cmd_routes(int argc, char **argv); /* prints the routing table (tests/api/test_openapi.py) */
int cmd_backup(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_copy(int argc, char **argv);

#endif
