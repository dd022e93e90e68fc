/* token.c: `opstasks token create|list|revoke` and `opstasks init`: API
 * tokens, stored as hashes; the token itself is printed once and never
 * again. A revocation here reaches running servers within a second (their
 * token cache, http/auth.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "http/http.h"
#include "domain/dates.h"
#include "store/backends.h"
#include "util/clock.h"
#include "util/ids.h"

/* An audit row of the command line's own (actor "cli"), as api_audit makes
 * the server's; details (a JSON object) is stolen. */
static enum err cli_audit(struct store_conn *c, const char *type, json_t *details)
{
    struct audit_row a = {.at = clock_now_ms(), .actor = "cli"};
    ids_new_sequenced("aud_", a.at, a.id, sizeof a.id);
    snprintf(a.type, sizeof a.type, "%s", type);
    a.details = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(details);
    if (!a.details) return ERR_INTERNAL;
    enum err rc = store_audit_add(c, &a);
    free(a.details);
    return rc;
}

struct token_job {
    struct token t;
    unsigned char hash[32];
    bool only_if_none;
    bool skipped;
    struct errinfo e;
};

static enum err insert_token(struct store_conn *c, void *arg)
{
    struct token_job *j = arg;
    enum err rc;
    if (j->only_if_none) {
        int64_t n = 0;
        if ((rc = store_token_count(c, &n)) != ERR_OK) return rc;
        if (n > 0) {
            j->skipped = true;
            return ERR_OK;
        }
    }
    if (j->t.staff_id[0]) {
        struct staff st;
        rc = store_staff_get(c, j->t.staff_id, &st);
        if (rc == ERR_NOT_FOUND)
            return err_set(&j->e, ERR_UNKNOWN_STAFF, "staff", "no staff member %s in this database", j->t.staff_id);
        if (rc != ERR_OK) return rc;
        bool active = st.active;
        store_staff_clear(&st);
        if (!active) return err_set(&j->e, ERR_UNKNOWN_STAFF, "staff", "%s is not active", j->t.staff_id);
    }
    int64_t now = clock_now_ms();
    if ((rc = store_token_insert(c, &j->t, j->hash, now, "cli")) != ERR_OK) return rc;
    json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "token_id", j->t.id, "name", j->t.name, "role",
                          j->t.role == ROLE_ADMIN ? "admin" : "agent", "via",
                          j->only_if_none ? "opstasks init" : "opstasks token create");
    json_object_set_new(d, "staff_id", j->t.staff_id[0] ? json_string(j->t.staff_id) : json_null());
    json_object_set_new(d, "expires_at", json_null());
    return cli_audit(c, "token.created", d);
}

/* Creates a token; prints nothing. Returns 0, 1 on failure, 3 when skipped. */
/* True when db names a SQLite file that is not there yet (store_open
 * would make a new, empty database: a mistyped path, most often). */
static bool would_create(const char *db)
{
    return strcmp(store_backend_of(db)->name, "sqlite") == 0 && access(db, F_OK) != 0;
}

static int create(const char *db, struct token_job *j, char *secret, size_t n, bool tell_created)
{
    struct errinfo e = {0};
    struct store *s = NULL;
    bool fresh = would_create(db);
    if (store_open(db, &s, &e) != 0) {
        fprintf(stderr, "opstasks: %s\n", e.message);
        return 1;
    }
    ids_new("tok_", clock_now_ms(), j->t.id, sizeof j->t.id);
    http_token_generate(secret, n);
    http_token_hash(secret, j->hash);
    enum err rc = store_run(s, insert_token, j);
    store_close(s);
    if (fresh && tell_created && rc == ERR_OK)
        fprintf(stderr, "opstasks: %s did not exist, so a new database was created there; the token works only with "
                        "a server using it (check the path if you meant another)\n", db);
    if (rc != ERR_OK) {
        fprintf(stderr, "opstasks: cannot create the token: %s\n",
                j->e.message[0] ? j->e.message : err_default_message(rc));
        return 1;
    }
    return j->skipped ? 3 : 0;
}

/* ---- token list, token revoke ---------------------------------------------------- */

static void print_ts(int64_t ms)
{
    char b[40] = "-";
    if (ms) dates_format_ts(ms, b, sizeof b);
    printf("  %-24s", b);
}

/* The database db names, when it exists (list and revoke make none); NULL
 * after saying why on stderr. */
static struct store *open_existing(const char *db)
{
    struct errinfo e = {0};
    struct store *s = NULL;
    if (would_create(db)) {
        fprintf(stderr, "opstasks: no database at %s\n", db);
        return NULL;
    }
    if (store_open(db, &s, &e) != 0) {
        fprintf(stderr, "opstasks: %s\n", e.message);
        return NULL;
    }
    return s;
}

static int list_cmd(const char *db)
{
    struct store *s = open_existing(db);
    if (!s) return 1;
    struct store_conn *c = store_reader_acquire(s);
    int status = c ? 0 : 1;
    char after[TASK_ID_SIZE] = "";
    bool header = false;
    while (c && status == 0) {
        struct token *t = NULL;
        int n = 0;
        if (store_token_list(c, "", after, 500, &t, &n) != ERR_OK) {
            fprintf(stderr, "opstasks: cannot read the tokens: %s\n", store_last_error(c));
            status = 1;
            break;
        }
        if (!header) {
            printf("%-30s  %-5s  %-20s  %-24s  %-24s  %-24s  %s\n", "ID", "ROLE", "STAFF", "CREATED", "EXPIRES",
                   "LAST USED", "NAME");
            header = true;
        }
        for (int i = 0; i < n; i++) {
            printf("%-30s  %-5s  %-20s", t[i].id, t[i].role == ROLE_ADMIN ? "admin" : "agent",
                   t[i].staff_id[0] ? t[i].staff_id : "-");
            print_ts(t[i].created_at);
            print_ts(t[i].expires_at);
            print_ts(t[i].last_used_at);
            printf("  %s\n", t[i].name);
        }
        if (n) snprintf(after, sizeof after, "%s", t[n - 1].id);
        free(t);
        if (n < 500) break;
    }
    if (c) store_reader_release(c);
    store_close(s);
    return status;
}

struct revoke_job {
    const char *id;
    struct token t;
};

static enum err revoke_token(struct store_conn *c, void *arg)
{
    struct revoke_job *j = arg;
    enum err rc = store_token_get(c, j->id, &j->t);
    if (rc == ERR_OK) rc = store_token_revoke(c, j->id, clock_now_ms());
    if (rc != ERR_OK) return rc;
    return cli_audit(c, "token.revoked",
                     json_pack("{s:s, s:s, s:s}", "token_id", j->id, "name", j->t.name, "via", "opstasks token revoke"));
}

static int revoke_cmd(const char *db, const char *id)
{
    struct store *s = open_existing(db);
    if (!s) return 1;
    struct revoke_job j = {.id = id};
    enum err rc = store_run(s, revoke_token, &j);
    store_close(s);
    if (rc == ERR_NOT_FOUND) {
        fprintf(stderr, "opstasks: no live token %s (unknown, or revoked already)\n", id);
        return 1;
    }
    if (rc != ERR_OK) {
        fprintf(stderr, "opstasks: cannot revoke the token: %s\n", err_default_message(rc));
        return 1;
    }
    printf("revoked %s (%s)\n", id, j.t.name);
    return 0;
}

static int list_or_revoke(int argc, char **argv, bool is_list)
{
    enum { O_DB, O__COUNT };
    static const struct option_desc opts[] = {
        [O_DB] = {"db", "OPSTASKS_DB", OPT_STRING, NULL, 0, 0, "the database (SQLite file or postgres:// URI)"},
    };
    const char *v[O__COUNT];
    const char *id = NULL;
    if (!is_list) {
        /* the id comes first or last: token revoke ID --db X, token revoke --db X ID */
        if (argc >= 2 && argv[1][0] != '-') {
            id = argv[1];
            argv[1] = argv[0];
            argc--, argv++;
        } else if (argc >= 2 && argv[argc - 1][0] != '-' && (argc < 3 || strcmp(argv[argc - 2], "--db") != 0)) {
            id = argv[--argc];
        }
    }
    int rc = options_parse(is_list ? "usage: opstasks token list --db DB\n\nLists the tokens that are not revoked "
                                     "(never their secrets)."
                                   : "usage: opstasks token revoke ID --db DB\n\nRevokes a token: running servers "
                                     "refuse it within a second.",
                           opts, O__COUNT, argc - 1, argv + 1, v);
    if (rc) return rc == 1 ? 0 : 2;
    if (is_list) return list_cmd(v[O_DB]);
    if (!id || strncmp(id, "tok_", 4) != 0 || !ids_valid_external(id, "tok_") || strlen(id) >= TASK_ID_SIZE) {
        fprintf(stderr, "opstasks: give the id of the token to revoke, like tok_01J...\n");
        return 2;
    }
    return revoke_cmd(v[O_DB], id);
}

int cmd_token(int argc, char **argv)
{
    static const char usage[] = "usage: opstasks token create --db PATH --role admin|agent [--staff STAFF_ID] [--name NAME]\n"
                                "       opstasks token list --db PATH\n"
                                "       opstasks token revoke ID --db PATH\n";
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        fputs(usage, argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    if (strcmp(argv[0], "list") == 0 || strcmp(argv[0], "revoke") == 0)
        return list_or_revoke(argc, argv, strcmp(argv[0], "list") == 0);
    if (strcmp(argv[0], "create") != 0) {
        fprintf(stderr, "opstasks: unknown token command '%s' (try: opstasks token --help)\n", argv[0]);
        return 2;
    }
    enum { O_DB, O_ROLE, O_STAFF, O_NAME, O__COUNT };
    static const struct option_desc opts[] = {
        [O_DB] = {"db", "OPSTASKS_DB", OPT_STRING, NULL, 0, 0, "SQLite database file"},
        [O_ROLE] = {"role", NULL, OPT_STRING, NULL, 0, 0, "admin (everything) or agent (tasks; read staff and customers)"},
        [O_STAFF] = {"staff", NULL, OPT_STRING, "", 0, 0, "the staff member this token acts as"},
        [O_NAME] = {"name", NULL, OPT_STRING, "", 0, 0, "a label for the token"},
    };
    const char *v[O__COUNT];
    int rc = options_parse("usage: opstasks token create --db PATH --role admin|agent [--staff STAFF_ID] [--name NAME]\n\n"
                           "Prints a new API token on stdout. Only its hash is stored.",
                           opts, O__COUNT, argc - 1, argv + 1, v);
    if (rc) return rc == 1 ? 0 : 2;
    struct token_job j = {0};
    if (strcmp(v[O_ROLE], "admin") == 0)
        j.t.role = ROLE_ADMIN;
    else if (strcmp(v[O_ROLE], "agent") == 0)
        j.t.role = ROLE_AGENT;
    else {
        fprintf(stderr, "opstasks: --role must be admin or agent, not '%s'\n", v[O_ROLE]);
        return 2;
    }
    if (v[O_STAFF][0] && !ids_valid_external(v[O_STAFF], "sta_")) {
        fprintf(stderr, "opstasks: --staff must be a staff id like sta_anna, not '%s'\n", v[O_STAFF]);
        return 2;
    }
    if (strlen(v[O_NAME]) >= sizeof j.t.name) {
        fprintf(stderr, "opstasks: --name must be under %zu bytes\n", sizeof j.t.name);
        return 2;
    }
    snprintf(j.t.staff_id, sizeof j.t.staff_id, "%s", v[O_STAFF]);
    snprintf(j.t.name, sizeof j.t.name, "%s", v[O_NAME][0] ? v[O_NAME] : v[O_ROLE]);
    char secret[96];
    if (create(v[O_DB], &j, secret, sizeof secret, true) != 0) return 1;
    printf("%s\n", secret);
    return 0;
}

int cmd_init(int argc, char **argv)
{
    enum { O_DB, O_LISTEN, O__COUNT };
    static const struct option_desc opts[] = {
        [O_DB] = {"db", "OPSTASKS_DB", OPT_STRING, "opstasks.db", 0, 0, "SQLite database file"},
        [O_LISTEN] = {"listen", "OPSTASKS_LISTEN", OPT_STRING, "127.0.0.1:8080", 0, 0,
                      "the address serve will use (for the example)"},
    };
    const char *v[O__COUNT];
    int rc = options_parse("usage: opstasks init [--db PATH] [--listen HOST:PORT]\n\n"
                           "Creates or upgrades the database; when it has no API token yet, creates an admin\n"
                           "token and prints it once with a curl example.",
                           opts, O__COUNT, argc, argv, v);
    if (rc) return rc == 1 ? 0 : 2;
    struct token_job j = {.only_if_none = true, .t = {.role = ROLE_ADMIN, .name = "first admin"}};
    char secret[96];
    rc = create(v[O_DB], &j, secret, sizeof secret, false);
    if (rc == 1) return 1;
    char shown[512]; /* a URI's password is never printed */
    store_db_display(v[O_DB], shown, sizeof shown);
    if (rc == 3) {
        printf("Database %s is ready; it already has API tokens.\n"
               "Make another with: build/opstasks token create --db %s --role admin\n",
               shown, shown);
        return 0;
    }
    printf("Database %s is ready. Its first admin token (shown only now; keep it):\n\n  %s\n\n"
           "Try it:\n\n  curl -s -H 'Authorization: Bearer %s' http://%s/ops/tasks\n\n"
           "Sign in at http://%s/login with it (\"Sign in with an API token\"), then invite\n"
           "your colleagues (and yourself) on the Staff page to sign in with a password.\n\n",
           shown, secret, secret, v[O_LISTEN], v[O_LISTEN]);
    return 0;
}
