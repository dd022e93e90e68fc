/* options.c: the one option parser and --help generator. Each option comes
 * from, in this order of precedence: its flag, its environment variable, the
 * config file (`--config FILE`, for tables that have an OPT_CONFIG option),
 * its default. Values read from the file live in `kept` until the next parse. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_LINE_MAX 4096

/* Strings this parse allocated (config file values, joined repeatables). */
static struct {
    char **p;
    int n, cap;
} kept;
static char origin[OPTIONS_MAX][512];

static void release(void)
{
    for (int i = 0; i < kept.n; i++) free(kept.p[i]);
    free(kept.p);
    kept.p = NULL;
    kept.n = kept.cap = 0;
}

/* Keeps s (malloc'd) until the next parse; NULL when out of memory. */
static char *keep(char *s)
{
    if (!s) return NULL;
    if (kept.n == kept.cap) {
        int cap = kept.cap ? kept.cap * 2 : 16;
        char **p = realloc(kept.p, (size_t)cap * sizeof *p);
        if (!p) {
            free(s);
            return NULL;
        }
        kept.p = p;
        kept.cap = cap;
    }
    return kept.p[kept.n++] = s;
}

/* a, then '\n', then b, kept */
static const char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (!s) return NULL;
    memcpy(s, a, la);
    s[la] = ',';
    memcpy(s + la + 1, b, lb + 1);
    return keep(s);
}

bool options_bool(const char *v)
{
    return v && (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "on") == 0 || strcmp(v, "1") == 0);
}

const char *options_origin(int i) { return i >= 0 && i < OPTIONS_MAX ? origin[i] : ""; }

static void help(const char *usage, const struct option_desc *d, int n)
{
    printf("%s\n\nOptions:\n", usage);
    for (int i = 0; i < n; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s %s", d[i].name,
                 d[i].type == OPT_INT ? "N" : d[i].type == OPT_CONFIG ? "FILE" : d[i].type == OPT_BOOL ? "" : "VALUE");
        /* a name too long for the column gets a line of its own */
        if (strlen(left) > 28)
            printf("  %s\n  %-28s %s", left, "", d[i].help);
        else
            printf("  %-28s %s", left, d[i].help);
        if (d[i].repeatable) printf("; may be repeated");
        if (d[i].env) printf(" [env %s]", d[i].env);
        if (!d[i].def) printf(" (required)");
        else if (*d[i].def) printf(" (default %s)", d[i].def);
        else printf(" (default: none)");
        printf("\n");
    }
    for (int i = 0; i < n; i++)
        if (d[i].type == OPT_CONFIG) printf("  %-28s %s\n", "--print-config", "print a config file of every option at its default");
    printf("  %-28s %s\n", "--help", "show this help");
}

/* A config file naming every option, commented out at its default. */
static void print_config(const struct option_desc *d, int n)
{
    printf("# opstasks options, one 'name = value' a line (names as the flags without --).\n"
           "# A flag or an environment variable wins over a line here; a line wins over the\n"
           "# default. '#' starts a comment only at the start of a line.\n");
    for (int i = 0; i < n; i++) {
        if (d[i].type == OPT_CONFIG) continue;
        printf("\n# %s%s", d[i].help, d[i].repeatable ? "; may be repeated, one a line" : "");
        if (d[i].env) printf(" [env %s]", d[i].env);
        printf("\n#%s = %s\n", d[i].name, d[i].def ? d[i].def : "");
    }
}

/* Checks v against o's type; `where` names the source in the message. */
static int check(const struct option_desc *o, const char *v, const char *where)
{
    static const char *const bools[] = {"true", "false", "yes", "no", "on", "off", "1", "0"};
    if (o->type == OPT_BOOL) {
        for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++)
            if (strcmp(v, bools[i]) == 0) return 0;
        fprintf(stderr, "opstasks: %s must be true or false, not '%s'\n", where, v);
        return 2;
    }
    if (o->type == OPT_INT) {
        char *end;
        errno = 0;
        long x = strtol(v, &end, 10);
        if (!*v || *end || errno || x < o->min || x > o->max) {
            fprintf(stderr, "opstasks: %s must be a whole number from %ld to %ld, not '%s'\n", where, o->min,
                    o->max, v);
            return 2;
        }
    }
    return 0;
}

static int find(const struct option_desc *d, int n, const char *name, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(d[i].name) == len && strncmp(d[i].name, name, len) == 0) return i;
    return -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' || s[len - 1] == '\n')) s[--len] = 0;
    return s;
}

/* Reads the config file into cfg[] (kept strings) with each value's line in
 * line[]. Returns 0 or 2 after a one-line error. */
static int read_config(const char *path, const struct option_desc *d, int n, const char **cfg, long *line)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "opstasks: cannot read the config file %s: %s\n", path, strerror(errno));
        return 2;
    }
    int rc = 2;
    char *buf = NULL;
    size_t cap = 0, total = 0;
    long no = 0;
    ssize_t len;
    while ((len = getline(&buf, &cap, f)) >= 0) {
        no++;
        total += (size_t)len;
        if (total > CONFIG_MAX_BYTES) {
            fprintf(stderr, "opstasks: %s: over %d bytes; is it a config file?\n", path, CONFIG_MAX_BYTES);
            goto out;
        }
        if (len > CONFIG_LINE_MAX || memchr(buf, 0, (size_t)len)) {
            fprintf(stderr, "opstasks: %s:%ld: %s\n", path, no,
                    len > CONFIG_LINE_MAX ? "line too long" : "a NUL byte; a config file is text");
            goto out;
        }
        char *s = trim(buf);
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            fprintf(stderr, "opstasks: %s:%ld: expected 'name = value', not '%.80s'\n", path, no, s);
            goto out;
        }
        *eq = 0;
        char *name = trim(s), *value = trim(eq + 1);
        int i = find(d, n, name, strlen(name));
        if (i < 0 || d[i].type == OPT_CONFIG) {
            fprintf(stderr, "opstasks: %s:%ld: %s '%.80s'\n", path, no,
                    i < 0 ? "unknown option" : "a config file cannot name another one:", name);
            goto out;
        }
        char where[CONFIG_LINE_MAX + 64];
        snprintf(where, sizeof where, "%s:%ld: %s", path, no, d[i].name);
        if (check(&d[i], value, where)) goto out;
        if (cfg[i] && !d[i].repeatable) {
            fprintf(stderr, "opstasks: %s:%ld: %s is set already on line %ld\n", path, no, d[i].name, line[i]);
            goto out;
        }
        const char *v = cfg[i] ? join(cfg[i], value) : keep(strdup(value));
        if (!v) {
            fprintf(stderr, "opstasks: out of memory reading %s\n", path);
            goto out;
        }
        cfg[i] = v;
        if (!line[i]) line[i] = no;
    }
    if (ferror(f)) {
        fprintf(stderr, "opstasks: cannot read the config file %s: %s\n", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}

int options_parse(const char *usage, const struct option_desc *d, int n, int argc, char **argv, const char **values)
{
    release();
    if (n > OPTIONS_MAX) {
        fprintf(stderr, "opstasks: too many options in one table\n");
        return 2;
    }
    const char *cfg[OPTIONS_MAX] = {0};
    long line[OPTIONS_MAX] = {0};
    int config = -1;
    for (int i = 0; i < n; i++) {
        values[i] = NULL;
        origin[i][0] = 0;
        if (d[i].type == OPT_CONFIG) config = i;
    }
    for (int a = 0; a < argc; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            help(usage, d, n);
            return 1;
        }
        if (config >= 0 && strcmp(arg, "--print-config") == 0) {
            print_config(d, n);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, "opstasks: unexpected argument '%s' (see --help)\n", arg);
            return 2;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        int i = find(d, n, name, eq ? (size_t)(eq - name) : strlen(name));
        if (i < 0) {
            fprintf(stderr, "opstasks: unknown option '%s' (see --help)\n", arg);
            return 2;
        }
        /* a switch alone is true; it takes no value after it */
        const char *v = eq ? eq + 1 : d[i].type == OPT_BOOL ? "true" : (a + 1 < argc ? argv[++a] : NULL);
        if (!v) {
            fprintf(stderr, "opstasks: --%s needs a value\n", d[i].name);
            return 2;
        }
        if (values[i] && d[i].repeatable && !(v = join(values[i], v))) {
            fprintf(stderr, "opstasks: out of memory\n");
            return 2;
        }
        values[i] = v;
        snprintf(origin[i], sizeof origin[i], "--%s", d[i].name);
    }
    /* the config file's own name: flag, then env */
    const char *path = config >= 0 ? values[config] : NULL;
    if (config >= 0 && !path && d[config].env) path = getenv(d[config].env);
    if (path && *path && read_config(path, d, n, cfg, line) != 0) return 2;
    for (int i = 0; i < n; i++) {
        if (!values[i] && d[i].env) {
            const char *e = getenv(d[i].env);
            if (e && *e) {
                values[i] = e;
                snprintf(origin[i], sizeof origin[i], "%s", d[i].env);
            }
        }
        if (!values[i] && cfg[i]) {
            values[i] = cfg[i];
            snprintf(origin[i], sizeof origin[i], "%s:%ld: %s", path, line[i], d[i].name);
        }
        if (!values[i] && d[i].def) {
            values[i] = d[i].def;
            snprintf(origin[i], sizeof origin[i], "the default of --%s", d[i].name);
        }
        if (!values[i]) {
            fprintf(stderr, "opstasks: --%s is required (see --help)\n", d[i].name);
            return 2;
        }
        /* config values were checked with their line as they were read */
        if (values[i] != cfg[i] && check(&d[i], values[i], origin[i])) return 2;
    }
    return 0;
}

int options_split_positional(int argc, char **argv, char **opt_argv, int cap, int *opt_argc, const char **positional,
                             const char *what)
{
    *opt_argc = 0;
    *positional = NULL;
    for (int a = 0; a < argc; a++) {
        const char *s = argv[a];
        if (strncmp(s, "--", 2) == 0 || strcmp(s, "-h") == 0) {
            if (*opt_argc + 2 > cap) {
                fprintf(stderr, "opstasks: too many options (see --help)\n");
                return 2;
            }
            opt_argv[(*opt_argc)++] = argv[a];
            /* a flag without '=' takes the next argument as its value */
            if (!strchr(s, '=') && strcmp(s, "--help") != 0 && strcmp(s, "-h") != 0 && a + 1 < argc)
                opt_argv[(*opt_argc)++] = argv[++a];
        } else if (!*positional) {
            *positional = s;
        } else {
            fprintf(stderr, "opstasks: unexpected argument '%s' (one %s; see --help)\n", s, what);
            return 2;
        }
    }
    return 0;
}
