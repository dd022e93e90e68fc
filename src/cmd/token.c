/* token.c: `opstasks token create` and `opstasks init`: API tokens, stored as
 * hashes; the token itself is printed once and never again. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "http/http.h"
#include "store/backends.h"
#include "util/clock.h"
#include "util/ids.h"

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
        store_staff_clear(&st);
    }
    return store_token_insert(c, &j->t, j->hash, clock_now_ms(), "");
}

/* Creates a token; prints nothing. Returns 0, 1 on failure, 3 when skipped. */
static int create(const char *db, struct token_job *j, char *secret, size_t n)
{
    struct errinfo e = {0};
    struct store *s = NULL;
    if (store_open(db, &s, &e) != 0) {
        fprintf(stderr, "opstasks: %s\n", e.message);
        return 1;
    }
    ids_new("tok_", clock_now_ms(), j->t.id, sizeof j->t.id);
    http_token_generate(secret, n);
    http_token_hash(secret, j->hash);
    enum err rc = store_run(s, insert_token, j);
    store_close(s);
    if (rc != ERR_OK) {
        fprintf(stderr, "opstasks: cannot create the token: %s\n",
                j->e.message[0] ? j->e.message : err_default_message(rc));
        return 1;
    }
    return j->skipped ? 3 : 0;
}

int cmd_token(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        fprintf(argc < 1 ? stderr : stdout,
                "usage: opstasks token create --db PATH --role admin|agent [--staff STAFF_ID] [--name NAME]\n");
        return argc < 1 ? 2 : 0;
    }
    if (strcmp(argv[0], "create") != 0) {
        fprintf(stderr, "opstasks: unknown token command '%s' (try: opstasks token create --help)\n", argv[0]);
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
    if (create(v[O_DB], &j, secret, sizeof secret) != 0) return 1;
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
    rc = create(v[O_DB], &j, secret, sizeof secret);
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
           "Try it:\n\n  curl -s -H 'Authorization: Bearer %s' http://%s/ops/tasks\n\n",
           shown, secret, secret, v[O_LISTEN]);
    return 0;
}
