/* options.c: the one option parser and --help generator. Options are taken
 * once each (the last one given wins), except OPT_LIST ones, whose occurrences are joined with commas
 * into storage owned here (options are parsed once per process). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

static void help(const char *usage, const struct option_desc *d, int n)
{
    printf("%s\n\nOptions:\n", usage);
    for (int i = 0; i < n; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s %s", d[i].name, d[i].type == OPT_INT ? "N" : "VALUE");
        printf("  %-28s %s", left, d[i].help);
        if (d[i].type == OPT_LIST) printf(" (repeatable)");
        if (d[i].env) printf(" [env %s]", d[i].env);
        if (d[i].def) printf(" (default %s)", d[i].def);
        else printf(" (required)");
        printf("\n");
    }
    printf("  %-28s %s\n", "--help", "show this help");
}

static int check(const struct option_desc *o, const char *v)
{
    if (o->type == OPT_INT) {
        char *end;
        errno = 0;
        long x = strtol(v, &end, 10);
        if (!*v || *end || errno || x < o->min || x > o->max) {
            fprintf(stderr, "opstasks: --%s must be a whole number from %ld to %ld, not '%s'\n", o->name, o->min,
                    o->max, v);
            return 2;
        }
    }
    return 0;
}

/* Where repeated OPT_LIST values are joined: bounded, and static so that the
 * values outlive the parse without an owner to free them. */
static char joined[8192];
static size_t joined_len;

/* values[i] = "old,v" in joined[]; returns 0 or 2 after an error line. */
static int append(const struct option_desc *o, const char **value, const char *v)
{
    size_t old = *value ? strlen(*value) : 0, n = strlen(v), need = old + (old ? 1 : 0) + n + 1;
    if (joined_len + need > sizeof joined) {
        fprintf(stderr, "opstasks: too many --%s values\n", o->name);
        return 2;
    }
    char *out = joined + joined_len;
    if (old) {
        memcpy(out, *value, old);
        out[old] = ',';
    }
    memcpy(out + old + (old ? 1 : 0), v, n + 1);
    joined_len += need;
    *value = out;
    return 0;
}

int options_parse(const char *usage, const struct option_desc *d, int n, int argc, char **argv, const char **values)
{
    for (int i = 0; i < n; i++) values[i] = NULL;
    for (int a = 0; a < argc; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            help(usage, d, n);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, "opstasks: unexpected argument '%s' (see --help)\n", arg);
            return 2;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        int i = 0;
        while (i < n && !(strlen(d[i].name) == len && strncmp(d[i].name, name, len) == 0)) i++;
        if (i == n) {
            fprintf(stderr, "opstasks: unknown option '%s' (see --help)\n", arg);
            return 2;
        }
        const char *v = eq ? eq + 1 : (a + 1 < argc ? argv[++a] : NULL);
        if (!v) {
            fprintf(stderr, "opstasks: --%s needs a value\n", d[i].name);
            return 2;
        }
        if (d[i].type == OPT_LIST) {
            if (append(&d[i], &values[i], v)) return 2;
        } else {
            values[i] = v;
        }
    }
    for (int i = 0; i < n; i++) {
        if (!values[i] && d[i].env) {
            const char *e = getenv(d[i].env);
            if (e && *e) values[i] = e;
        }
        if (!values[i]) values[i] = d[i].def;
        if (!values[i]) {
            fprintf(stderr, "opstasks: --%s is required (see --help)\n", d[i].name);
            return 2;
        }
        if (check(&d[i], values[i])) return 2;
    }
    return 0;
}
