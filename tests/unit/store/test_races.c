/* Races of two writers on one database, each on a connection of its own (not
 * the writer thread), as two server instances would be: the checks that guard
 * a write must be made by the write itself, in the database. Every test runs
 * once per backend of tests/unit/backends.c.
 *
 * Writer A runs an operation outside a transaction, so each of its statements
 * sees what was committed before it ran (PostgreSQL's READ COMMITTED), and
 * writer B's whole operation gets in after A has made every check it makes
 * by reading but before A's write: A's write must be refused or reconciled
 * by the database. How B gets in between depends on the backend:
 *  - SQLite: a statement trace hook on A's handle runs B's operation on the
 *    other connection and commits it just before A's first write (or its
 *    first write naming a given table);
 *  - PostgreSQL: B runs its operation in a transaction and holds it open
 *    while A runs in a thread of its own; A's reads do not see B's rows, its
 *    first write that touches one of them waits on B's row lock, and once A
 *    is seen waiting (pg_stat_activity, from a third connection) B commits,
 *    so A's write goes on over B's committed rows.
 * The clock is frozen at 2026-06-10T09:00:00Z in UTC. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends.h"
#include "domain/dates.h"
#include "service/rule_engine.h"
#include "service/tasks.h"
#include "store/sqlite/internal.h" /* sqlite_db: the handle the hook is set on */
#include "store/store.h"
#include "util/clock.h"

#define NOW 1781082000000LL /* 2026-06-10T09:00:00Z */

static const struct backend_fixture *FX;
static struct store *S;
static struct store_conn *A, *B;

static void setup(const struct backend_fixture *fx)
{
    FX = fx;
    cr_assert_eq(dates_set_timezone("UTC"), 0);
    clock_set_ms(NOW);
    S = test_store_fresh(fx);
    cr_assert_eq(store_conn_open(S, true, &A), 0);
    cr_assert_eq(store_conn_open(S, true, &B), 0);
}

/* safe to run twice (BACKEND_TEST runs it in the test and as .fini) */
static void teardown(void)
{
    if (A) store_conn_close(A);
    if (B) store_conn_close(B);
    A = B = NULL;
    test_store_drop(S);
    S = NULL;
    clock_set_ms(0);
}

#define RACE_TEST(name) BACKEND_TEST(race, name, setup, teardown)

/* ---- the interleaving -------------------------------------------------------- */

typedef enum err (*op_fn)(struct store_conn *c, void *arg);

struct race {
    const char *table;  /* NULL: before A's first write; else its first write whose SQL names this */
    op_fn b_run;
    void *b_arg;
    bool fired;
    enum err b_rc;
};

/* B's operation in a transaction of its own, committed */
static enum err in_transaction(struct store_conn *c, op_fn run, void *arg)
{
    if (store_begin(c) != 0) return ERR_INTERNAL;
    enum err rc = run(c, arg);
    if (rc == ERR_OK && store_commit(c) != 0) rc = ERR_INTERNAL;
    if (rc != ERR_OK) store_rollback(c);
    return rc;
}

/* Called as each of A's statements starts running, before it takes any lock. */
static int on_statement(unsigned type, void *ctx, void *p, void *x)
{
    (void)x;
    struct race *r = ctx;
    sqlite3_stmt *st = p;
    if (type != SQLITE_TRACE_STMT || r->fired || sqlite3_stmt_readonly(st)) return 0;
    if (r->table && !strstr(sqlite3_sql(st), r->table)) return 0;
    r->fired = true;
    r->b_rc = in_transaction(B, r->b_run, r->b_arg);
    return 0;
}

static enum err race_sqlite(op_fn a_run, void *a_arg, op_fn b_run, void *b_arg, const char *table)
{
    struct race r = {table, b_run, b_arg, false, ERR_OK};
    sqlite3 *db = sqlite_db(A);
    cr_assert_eq(sqlite3_trace_v2(db, SQLITE_TRACE_STMT, on_statement, &r), SQLITE_OK);
    enum err rc = a_run(A, a_arg);
    sqlite3_trace_v2(db, 0, NULL, NULL);
    cr_assert(r.fired, "writer A never wrote, so B never ran");
    cr_assert_eq(r.b_rc, ERR_OK, "writer B failed: %d", r.b_rc);
    return rc;
}

struct writer_a {
    op_fn run;
    void *arg;
    enum err rc;
    atomic_bool done;
};

static void *writer_a_main(void *p)
{
    struct writer_a *w = p;
    w->rc = w->run(A, w->arg);
    atomic_store(&w->done, true);
    return NULL;
}

/* Polls, from a connection of its own, until a session of the test's
 * database waits on a row or transaction lock (B's), A finishes, or 10 s
 * pass: true when one waits. what gets the last wait seen, for the message. */
static bool a_waits_on_b(PGconn *watch, struct writer_a *w, char *what, size_t n)
{
    snprintf(what, n, "none");
    for (int i = 0; i < 2000 && !atomic_load(&w->done); i++) {
        PGresult *res = PQexec(watch, "SELECT wait_event FROM pg_stat_activity WHERE datname = current_database()"
                                      " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()");
        cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(res));
        bool on_rows = false;
        for (int r = 0; r < PQntuples(res); r++) {
            const char *ev = PQgetvalue(res, r, 0);
            snprintf(what, n, "%s", ev);
            if (!strcmp(ev, "transactionid") || !strcmp(ev, "tuple")) on_rows = true;
        }
        PQclear(res);
        if (on_rows) return true;
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    }
    return false;
}

/* The table does not matter here: A waits at its first write that touches
 * a row of B's, whichever statement that is. */
static enum err race_pg(op_fn a_run, void *a_arg, op_fn b_run, void *b_arg)
{
    PGconn *watch = PQconnectdb(test_store_uri());
    cr_assert_eq(PQstatus(watch), CONNECTION_OK, "%s", PQerrorMessage(watch));
    cr_assert_eq(store_begin(B), 0);
    enum err b_rc = b_run(B, b_arg);
    if (b_rc != ERR_OK) {
        store_rollback(B);
        PQfinish(watch);
        cr_assert_fail("writer B failed: %d", b_rc);
    }
    struct writer_a w = {a_run, a_arg, ERR_OK, false};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, writer_a_main, &w), 0);
    char seen[64];
    bool waited = a_waits_on_b(watch, &w, seen, sizeof seen);
    int committed = store_commit(B);
    pthread_join(th, NULL);
    PQfinish(watch);
    cr_assert(waited, "writer A never waited on B's rows (last lock wait seen: %s), so B did not get in first", seen);
    cr_assert_eq(committed, 0, "writer B's commit failed");
    return w.rc;
}

/* Runs a_run on A with b_run committed on B just before A's first write (to
 * table, when not NULL, on SQLite); A's result. B must have run and
 * succeeded. */
static enum err race(op_fn a_run, void *a_arg, op_fn b_run, void *b_arg, const char *table)
{
    if (!strcmp(FX->name, "postgresql")) return race_pg(a_run, a_arg, b_run, b_arg);
    return race_sqlite(a_run, a_arg, b_run, b_arg, table);
}

/* ---- helpers ------------------------------------------------------------------- */

struct create_arg {
    const char *title;
    char id[TASK_ID_SIZE];
};

static enum err do_create(struct store_conn *c, void *arg)
{
    struct create_arg *a = arg;
    struct task t = {.title = strdup(a->title), .priority = PRIORITY_MEDIUM, .status = TASK_OPEN,
                     .source = SOURCE_MANUAL};
    memcpy(t.due_date, "2026-06-20", DATE_SIZE);
    struct errinfo e = {0};
    enum err rc = t.title ? service_task_create(c, &t, "sta_tester", clock_now_ms(), &e) : ERR_INTERNAL;
    memcpy(a->id, t.id, TASK_ID_SIZE);
    task_clear(&t);
    return rc;
}

static void create(const char *title, char id[TASK_ID_SIZE])
{
    struct create_arg a = {title, ""};
    cr_assert_eq(store_run(S, do_create, &a), ERR_OK);
    memcpy(id, a.id, TASK_ID_SIZE);
}

static struct task get(const char *id)
{
    struct store_conn *c = store_reader_acquire(S);
    struct task t;
    cr_assert_eq(store_task_get(c, id, &t), ERR_OK);
    store_reader_release(c);
    return t;
}

static int64_t tasks_in_store(void)
{
    struct store_conn *c = store_reader_acquire(S);
    struct task_stats st;
    cr_assert_eq(store_task_stats(c, &(struct task_filter){0}, "2026-06-10", NOW, &st), ERR_OK);
    store_reader_release(c);
    int64_t n = 0;
    for (int i = 0; i < TASK_STATUS__COUNT; i++) n += st.counts[i];
    return n;
}

/* ---- If-Match: the version is compared in the UPDATE ------------------------------ */

struct patch_arg {
    const char *id;
    struct task_patch p;
    int64_t if_match;
    struct task out;
    struct errinfo e;
};

static enum err do_patch(struct store_conn *c, void *arg)
{
    struct patch_arg *a = arg;
    bool changed;
    enum err rc = service_task_patch(c, a->id, &a->p, a->if_match, "sta_tester", clock_now_ms(), &a->out, &changed,
                                     &a->e);
    if (rc == ERR_OK) task_clear(&a->out);
    return rc;
}

RACE_TEST(of_two_patches_with_if_match_on_one_version_the_second_to_write_gets_412)
{
    char id[TASK_ID_SIZE];
    create("Before", id);
    struct patch_arg a = {.id = id, .p = {.has_title = true, .title = "By A"}, .if_match = 1};
    struct patch_arg b = {.id = id, .p = {.has_title = true, .title = "By B"}, .if_match = 1};
    enum err rc = race(do_patch, &a, do_patch, &b, NULL);
    cr_expect_eq(rc, ERR_VERSION_CONFLICT, "A's write over version 1 must be refused: %d %s", rc, a.e.message);
    struct task t = get(id);
    cr_expect_str_eq(t.title, "By B", "B's change stays");
    cr_expect_eq(t.version, 2);
    task_clear(&t);
}

RACE_TEST(a_patch_without_if_match_applies_over_a_change_that_got_in_first)
{
    char id[TASK_ID_SIZE];
    create("Before", id);
    struct patch_arg a = {.id = id, .p = {.has_title = true, .title = "By A"}, .if_match = -1};
    struct patch_arg b = {.id = id, .p = {.has_priority = true, .priority = PRIORITY_URGENT}, .if_match = -1};
    cr_expect_eq(race(do_patch, &a, do_patch, &b, NULL), ERR_OK, "%s", a.e.message);
    struct task t = get(id);
    cr_expect_str_eq(t.title, "By A");
    cr_expect_eq(t.priority, PRIORITY_URGENT, "A must not undo B's priority");
    cr_expect_eq(t.version, 3, "two changes, two versions");
    task_clear(&t);
}

/* ---- the sweeper's overdue flag is set at the version it judged ------------------- */

struct overdue_arg {
    const char *id;
    bool recorded;
};

static enum err do_record_overdue(struct store_conn *c, void *arg)
{
    struct overdue_arg *a = arg;
    return service_task_record_overdue(c, a->id, clock_now_ms(), &a->recorded);
}

RACE_TEST(recording_overdue_does_not_undo_a_patch_that_got_in_first_and_the_line_is_written_once)
{
    clock_set_ms(NOW - 20 * 24 * 3600 * 1000LL); /* created 20 days ago, due 06-20... */
    char id[TASK_ID_SIZE];
    create("Before", id);
    clock_set_ms(NOW + 11 * 24 * 3600 * 1000LL); /* ...now 06-21: overdue, not yet recorded */
    struct overdue_arg a = {id, false};
    struct patch_arg b = {.id = id, .p = {.has_title = true, .title = "By B"}, .if_match = -1};
    cr_expect_eq(race(do_record_overdue, &a, do_patch, &b, NULL), ERR_OK);
    cr_expect_not(a.recorded, "B's patch recorded the move; the sweeper leaves the changed task");
    struct task t = get(id);
    cr_expect_str_eq(t.title, "By B", "the sweeper must not write back the title it read");
    cr_expect(t.overdue_recorded);
    task_clear(&t);
    struct store_conn *c = store_reader_acquire(S);
    struct history_entry *h = NULL;
    int n = 0;
    cr_assert_eq(store_history_list(c, id, &h, &n), ERR_OK);
    store_reader_release(c);
    int overdue_lines = 0;
    for (int i = 0; i < n; i++) overdue_lines += strcmp(h[i].to_json, "\"OVERDUE\"") == 0;
    cr_expect_eq(overdue_lines, 1);
    store_history_free(h, n);
}

/* ---- Idempotency-Key: the key is claimed by an insert before the task ----------- */

struct keyed_arg {
    struct idem_key k;
    const char *title;
    int status;
    char *answer;
    struct errinfo e;
    char task_id[TASK_ID_SIZE]; /* the task the answer shows, as the service gives it */
    int64_t version;
};

static char *answer_of(const struct task *t, int64_t now_ms)
{
    (void)now_ms;
    char *s = malloc(96);
    if (s) snprintf(s, 96, "{\"id\":\"%s\",\"version\":%lld}", t->id, (long long)t->version);
    return s;
}

static enum err do_create_keyed(struct store_conn *c, void *arg)
{
    struct keyed_arg *a = arg;
    struct task t = {.title = strdup(a->title), .priority = PRIORITY_MEDIUM, .status = TASK_OPEN,
                     .source = SOURCE_MANUAL};
    memcpy(t.due_date, "2026-06-20", DATE_SIZE);
    enum err rc = t.title ? service_task_create_keyed(c, &t, "sta_tester", clock_now_ms(), &a->k, answer_of,
                                                      &a->status, &a->answer, &a->e)
                          : ERR_INTERNAL;
    memcpy(a->task_id, t.id, TASK_ID_SIZE);
    a->version = t.version;
    task_clear(&t);
    return rc;
}

static void keyed(struct keyed_arg *a, const char *key, const char *body)
{
    snprintf(a->k.scope, sizeof a->k.scope, "tok_1");
    snprintf(a->k.key, sizeof a->k.key, "%s", key);
    memset(a->k.hash, 0, sizeof a->k.hash);
    snprintf((char *)a->k.hash, sizeof a->k.hash, "%s", body);
    a->title = body;
}

RACE_TEST(two_creates_with_one_idempotency_key_make_one_task_and_the_second_replays_the_first)
{
    struct keyed_arg a = {0}, b = {0};
    keyed(&a, "key-1", "same body");
    keyed(&b, "key-1", "same body");
    enum err rc = race(do_create_keyed, &a, do_create_keyed, &b, NULL);
    cr_expect_eq(rc, ERR_OK, "A must replay B's answer: %d %s", rc, a.e.message);
    cr_expect_eq(a.status, 201);
    cr_expect_str_eq(a.answer ? a.answer : "", b.answer ? b.answer : "(none)", "the first answer, replayed");
    cr_expect(a.task_id[0] && strcmp(a.task_id, b.task_id) == 0 && a.version == 1 && b.version == 1,
              "the replay names the first's task, for Location and ETag: %s v%lld, %s v%lld", a.task_id,
              (long long)a.version, b.task_id, (long long)b.version);
    cr_expect_eq(tasks_in_store(), 1);
    free(a.answer);
    free(b.answer);
}

RACE_TEST(a_create_racing_one_key_with_another_body_gets_idempotency_conflict)
{
    struct keyed_arg a = {0}, b = {0};
    keyed(&a, "key-1", "body A");
    keyed(&b, "key-1", "body B");
    cr_expect_eq(race(do_create_keyed, &a, do_create_keyed, &b, NULL), ERR_IDEMPOTENCY_CONFLICT);
    cr_expect_eq(tasks_in_store(), 1);
    free(a.answer);
    free(b.answer);
}

/* ---- staff and customer put: the insert on the id says created -------------------- */

struct staff_arg {
    struct staff st;
    bool created;
};

static enum err do_put_staff(struct store_conn *c, void *arg)
{
    struct staff_arg *a = arg;
    return store_staff_put(c, &a->st, &a->created);
}

RACE_TEST(of_two_puts_of_a_new_staff_id_exactly_one_reports_created)
{
    struct staff_arg a = {.st = {.id = "sta_new", .name = "By A", .active = true, .updated_at = NOW + 1}};
    struct staff_arg b = {.st = {.id = "sta_new", .name = "By B", .active = true, .updated_at = NOW}};
    cr_assert_eq(race(do_put_staff, &a, do_put_staff, &b, NULL), ERR_OK);
    cr_expect(b.created);
    cr_expect_not(a.created, "B created it first: A's put is an update (200), not a second 201");
    struct store_conn *c = store_reader_acquire(S);
    struct staff st;
    cr_assert_eq(store_staff_get(c, "sta_new", &st), ERR_OK);
    store_reader_release(c);
    cr_expect_str_eq(st.name, "By A");
    cr_expect_eq(st.created_at, NOW, "created when B created it");
    store_staff_clear(&st);
}

struct customer_arg {
    struct customer cu;
    bool created;
};

static enum err do_put_customer(struct store_conn *c, void *arg)
{
    struct customer_arg *a = arg;
    return store_customer_put(c, &a->cu, &a->created);
}

RACE_TEST(of_two_puts_of_a_new_customer_id_exactly_one_reports_created)
{
    struct customer_arg a = {.cu = {.id = "cus_new", .name = "By A", .updated_at = NOW + 1}};
    struct customer_arg b = {.cu = {.id = "cus_new", .name = "By B", .updated_at = NOW}};
    cr_assert_eq(race(do_put_customer, &a, do_put_customer, &b, NULL), ERR_OK);
    cr_expect(b.created);
    cr_expect_not(a.created, "B created it first: A's put is an update (200), not a second 201");
}

/* ---- events: the id is claimed by an insert before the rules run ----------------- */

static enum err do_put_rule(struct store_conn *c, void *arg)
{
    const char *assignee = arg;
    char def[512];
    snprintf(def, sizeof def,
             "{\"name\":\"R\",\"enabled\":true,\"event_type\":\"lead.new\",\"conditions\":[],\"task\":{\"title\":"
             "\"Call\",\"description\":null,\"priority\":\"LOW\",\"due_in_days\":1,\"sla_hours\":null,"
             "\"assignee\":%s}}",
             assignee);
    bool created;
    return store_rule_put(c, "rul_race", "lead.new", true, def, NOW, &created);
}

static enum err do_seed_staff(struct store_conn *c, void *arg)
{
    (void)arg;
    bool created;
    struct staff a = {.id = "sta_a", .name = "A", .active = true, .updated_at = NOW};
    struct staff b = {.id = "sta_b", .name = "B", .active = true, .updated_at = NOW};
    enum err rc = store_staff_put(c, &a, &created);
    return rc == ERR_OK ? store_staff_put(c, &b, &created) : rc;
}

struct post_arg {
    struct rule_engine_event ev;
    char *answer;
    bool replayed;
};

static enum err do_post(struct store_conn *c, void *arg)
{
    struct post_arg *p = arg;
    return rule_engine_process_event(c, &p->ev, clock_now_ms(), &p->answer, &p->replayed);
}

static void event(struct post_arg *p, const char *id)
{
    snprintf(p->ev.id, sizeof p->ev.id, "%s", id);
    snprintf(p->ev.type, sizeof p->ev.type, "lead.new");
    p->ev.occurred_at = NOW;
    p->ev.data = json_object();
}

/* the assignee of the one task an answer names */
static void assignee_of(const char *answer, char out[EXT_ID_SIZE])
{
    json_t *j = json_loads(answer, 0, NULL);
    cr_assert_not_null(j, "%s", answer);
    json_t *tasks = json_object_get(j, "tasks");
    cr_assert_eq(json_array_size(tasks), 1, "%s", answer);
    struct task t = get(json_string_value(json_array_get(tasks, 0)));
    snprintf(out, EXT_ID_SIZE, "%s", t.assignee_id);
    task_clear(&t);
    json_decref(j);
}

RACE_TEST(of_two_posts_of_one_event_id_one_runs_the_rules_and_the_other_replays_its_answer)
{
    cr_assert_eq(store_run(S, do_put_rule, "null"), ERR_OK);
    struct post_arg a = {0}, b = {0};
    event(&a, "evt_same");
    event(&b, "evt_same");
    enum err rc = race(do_post, &a, do_post, &b, NULL);
    cr_expect_eq(rc, ERR_OK, "A must replay B's answer, not fail: %d", rc);
    cr_expect(a.replayed);
    cr_expect_not(b.replayed);
    cr_expect_str_eq(a.answer ? a.answer : "", b.answer ? b.answer : "(none)");
    cr_expect_eq(tasks_in_store(), 1, "the rule made its task once");
    json_decref(a.ev.data);
    json_decref(b.ev.data);
    free(a.answer);
    free(b.answer);
}

/* ---- round-robin: the turn is taken by one UPDATE ... RETURNING ------------------ */

RACE_TEST(two_events_taking_round_robin_turns_at_once_go_to_different_staff)
{
    cr_assert_eq(store_run(S, do_seed_staff, NULL), ERR_OK);
    cr_assert_eq(store_run(S, do_put_rule, "{\"round_robin\":[\"sta_a\",\"sta_b\"]}"), ERR_OK);
    struct post_arg a = {0}, b = {0};
    event(&a, "evt_a");
    event(&b, "evt_b");
    /* B takes its turn after A read the rule's position, before A moves it */
    cr_assert_eq(race(do_post, &a, do_post, &b, "UPDATE rules"), ERR_OK);
    char who_a[EXT_ID_SIZE], who_b[EXT_ID_SIZE];
    assignee_of(b.answer, who_b);
    assignee_of(a.answer, who_a);
    cr_expect_str_eq(who_b, "sta_a");
    cr_expect_str_eq(who_a, "sta_b", "the next turn, not B's again");
    /* and the position moved past both: the next event is sta_a's */
    struct post_arg c = {0};
    event(&c, "evt_c");
    cr_assert_eq(store_run(S, do_post, &c), ERR_OK);
    char who_c[EXT_ID_SIZE];
    assignee_of(c.answer, who_c);
    cr_expect_str_eq(who_c, "sta_a");
    json_decref(a.ev.data);
    json_decref(b.ev.data);
    json_decref(c.ev.data);
    free(a.answer);
    free(b.answer);
    free(c.answer);
}

/* ---- staff accounts: an invite is taken and a token revoked exactly once ------- */

static enum err do_account_seed(struct store_conn *c, void *arg)
{
    (void)arg;
    bool created;
    struct staff st = {.id = "sta_anna", .name = "Anna", .email = "anna@example.com", .active = true,
                       .updated_at = NOW};
    enum err rc = store_staff_put(c, &st, &created);
    unsigned char h[32];
    memset(h, 40, 32);
    if (rc == ERR_OK) rc = store_invite_put(c, "sta_anna", h, NOW, NOW + 7 * 24 * 3600 * 1000LL, "");
    struct token t = {.id = "tok_1", .role = ROLE_AGENT, .staff_id = "sta_anna", .name = "desk"};
    memset(h, 21, 32);
    if (rc == ERR_OK) rc = store_token_insert(c, &t, h, NOW, "");
    return rc;
}

struct take_arg {
    char staff_id[EXT_ID_SIZE];
};

static enum err do_invite_take(struct store_conn *c, void *arg)
{
    struct take_arg *a = arg;
    unsigned char h[32];
    memset(h, 40, 32);
    return store_invite_take(c, h, NOW, a->staff_id);
}

RACE_TEST(of_two_takers_of_one_invite_exactly_one_gets_it)
{
    cr_assert_eq(store_run(S, do_account_seed, NULL), ERR_OK);
    struct take_arg a = {""}, b = {""};
    cr_expect_eq(race(do_invite_take, &a, do_invite_take, &b, "invites"), ERR_NOT_FOUND,
                 "B took it first: the link is used");
    cr_expect_str_eq(b.staff_id, "sta_anna");
}

static enum err do_token_revoke(struct store_conn *c, void *arg) { return store_token_revoke(c, arg, NOW); }

RACE_TEST(of_two_revokers_of_one_token_exactly_one_revokes_it)
{
    cr_assert_eq(store_run(S, do_account_seed, NULL), ERR_OK);
    cr_expect_eq(race(do_token_revoke, "tok_1", do_token_revoke, "tok_1", "tokens"), ERR_NOT_FOUND,
                 "B revoked it first");
    struct store_conn *c = store_reader_acquire(S);
    struct token t;
    cr_assert_eq(store_token_get(c, "tok_1", &t), ERR_OK);
    store_reader_release(c);
    cr_expect_eq(t.revoked_at, NOW);
}
