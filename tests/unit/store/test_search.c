/* test_search.c: conformance tests of the search ops of the store
 * (store/ops.h, task_search_refresh to search_rebuild, and the q filter and
 * the new sorts of task_list), run once per backend of tests/unit/backends.c
 * so that SQLite's FTS5 and PostgreSQL's tsvector give the same answers. */
#include "store_fixture.h"
#include "util/ids.h"

struct mk {
    const char *title, *description, *user_id;
    double sla_hours;
    char id[TASK_ID_SIZE]; /* out */
};

static enum err do_insert(struct store_conn *c, void *arg)
{
    struct mk *m = arg;
    struct task t = {0};
    ids_new("tsk_", clock_now_ms(), t.id, sizeof t.id);
    t.title = (char *)m->title;
    t.description = (char *)m->description;
    t.priority = PRIORITY_MEDIUM;
    t.status = TASK_OPEN;
    snprintf(t.due_date, sizeof t.due_date, "2026-07-01");
    snprintf(t.user_id, sizeof t.user_id, "%s", m->user_id ? m->user_id : "");
    t.has_sla = m->sla_hours > 0;
    t.sla_hours = m->sla_hours;
    t.source = SOURCE_MANUAL;
    t.created_at = t.updated_at = clock_now_ms();
    t.version = 1;
    enum err rc = store_task_insert(c, &t);
    if (rc == ERR_OK) rc = store_task_search_refresh(c, t.id);
    memcpy(m->id, t.id, sizeof m->id);
    return rc;
}

static const char *mk(const char *title, const char *description, const char *user_id)
{
    static char ids[32][TASK_ID_SIZE];
    static int next;
    struct mk m = {.title = title, .description = description, .user_id = user_id};
    clock_set_ms(clock_now_ms() + 1); /* distinct, ordered ids */
    cr_assert_eq(store_run(S, do_insert, &m), ERR_OK);
    char *out = ids[next++ % 32];
    memcpy(out, m.id, TASK_ID_SIZE);
    return out;
}

struct named { const char *id, *name; };
static enum err do_customer(struct store_conn *c, void *arg)
{
    struct named *n = arg;
    struct customer cu = {.name = (char *)n->name, .updated_at = clock_now_ms()};
    snprintf(cu.id, sizeof cu.id, "%s", n->id);
    bool created;
    enum err rc = store_customer_put(c, &cu, &created);
    return rc == ERR_OK ? store_customer_search_refresh(c, n->id) : rc;
}
static void customer(const char *id, const char *name)
{
    struct named n = {id, name};
    cr_assert_eq(store_run(S, do_customer, &n), ERR_OK);
}

static enum err do_staff(struct store_conn *c, void *arg)
{
    struct named *n = arg;
    struct staff st = {.name = (char *)n->name, .active = true, .updated_at = clock_now_ms()};
    snprintf(st.id, sizeof st.id, "%s", n->id);
    bool created;
    enum err rc = store_staff_put(c, &st, &created);
    return rc == ERR_OK ? store_staff_search_refresh(c, n->id) : rc;
}

struct retitle { const char *id, *title; };
static enum err do_retitle(struct store_conn *c, void *arg)
{
    struct retitle *r = arg;
    struct task t;
    enum err rc = store_task_get(c, r->id, &t);
    if (rc != ERR_OK) return rc;
    free(t.title);
    t.title = strdup(r->title);
    t.version++;
    rc = store_task_update(c, &t);
    if (rc == ERR_OK) rc = store_task_search_refresh(c, r->id);
    task_clear(&t);
    return rc;
}

static enum err do_rebuild(struct store_conn *c, void *arg)
{
    (void)arg;
    return store_search_rebuild(c, false);
}

/* The ids task_list answers for q (all statuses), in its order, as one
 * space-separated string; pages of `limit` walked with the cursor. */
static char *search(const char *q, enum task_sort sort, int limit)
{
    static char out[4096];
    out[0] = 0;
    struct task_query tq = {.sort = sort, .limit = limit};
    cr_assert_eq(text_query_words(q, &tq.filter.q), TEXT_OK, "q %s", q);
    tq.filter.now_ms = NOW;
    snprintf(tq.today, sizeof tq.today, TODAY);
    for (int pages = 0; pages < 50; pages++) {
        struct store_conn *c = store_reader_acquire(S);
        cr_assert_not_null(c);
        struct task_page p;
        cr_assert_eq(store_task_list(c, &tq, &p), ERR_OK);
        store_reader_release(c);
        for (int i = 0; i < p.n; i++) {
            if (out[0]) strcat(out, " ");
            strcat(out, p.items[i].id);
        }
        bool more = p.has_more && p.n > 0;
        if (more) {
            const struct task *l = &p.items[p.n - 1];
            tq.after.set = true;
            memcpy(tq.after.id, l->id, TASK_ID_SIZE);
            memcpy(tq.after.due_date, l->due_date, DATE_SIZE);
            tq.after.prio_rank = task_priority_rank(l->priority);
            tq.after.created_at = l->created_at;
            tq.after.rank = p.last_rank;
            tq.after.doc_seq = p.last_doc_seq;
            tq.after.updated_at = l->updated_at;
            tq.after.sla_key = l->has_sla ? l->sla_due_ms : TASK_SLA_KEY_NONE;
        }
        store_task_page_free(&p);
        if (!more) return out;
    }
    cr_assert_fail("the cursor walk did not end");
    return out;
}

static char *join(const char *a, const char *b, const char *c)
{
    static char out[256];
    snprintf(out, sizeof out, "%s%s%s%s%s", a, b ? " " : "", b ? b : "", c ? " " : "", c ? c : "");
    return out;
}

STORE_TEST(search, words_of_the_title_description_and_customer_name_are_found_by_prefix)
{
    customer("cus_ayse", "Ayşe Yılmaz");
    const char *a = mk("Passport renewal", "Meeting in İstanbul", "cus_ayse");
    const char *b = mk("Other work", NULL, NULL);
    cr_expect_str_eq(search("ayse yilmaz", SORT_DUE_DATE, 10), a);
    cr_expect_str_eq(search("AYŞE pass", SORT_DUE_DATE, 10), a);
    cr_expect_str_eq(search("istanbul", SORT_DUE_DATE, 10), a);
    cr_expect_str_eq(search("pass zzz", SORT_DUE_DATE, 10), "");
    cr_expect_str_eq(search("oth", SORT_DUE_DATE, 10), b);
    cr_expect_str_eq(search("assport", SORT_DUE_DATE, 10), "");
}

STORE_TEST(search, relevance_ranks_title_over_customer_over_the_rest_and_pages)
{
    customer("cus_n", "Narwhal Ltd");
    const char *in_desc = mk("Other", "about narwhal", NULL);
    const char *in_cust = mk("Other", NULL, "cus_n");
    const char *in_title = mk("Narwhal", NULL, NULL);
    const char *both = mk("Narwhal", NULL, "cus_n");
    char want[512];
    snprintf(want, sizeof want, "%s %s", both, join(in_title, in_cust, in_desc));
    cr_expect_str_eq(search("narwhal", SORT_RELEVANCE, 50), want);
    cr_expect_str_eq(search("narwhal", SORT_RELEVANCE, 1), want);
    cr_expect_str_eq(search("narwhal", SORT_RELEVANCE, 3), want);
}

/* Many tasks in one job: the kind of each (see many_kind), ids in order. */
#define MANY 4600 /* past PostgreSQL's window of the 4,096 newest documents (pg/queue.c) */
static char many_ids[MANY][TASK_ID_SIZE];

/* The rank of task i of the many: a few of each rank among the oldest,
 * where PostgreSQL looks past its window, and the rest filler. */
static int many_kind(int i)
{
    if (i >= 40) return -1;
    return i % 4 == 0 ? 3 : i % 4 == 1 ? 0 : i % 4 == 2 ? 2 : 1;
}

static enum err do_many(struct store_conn *c, void *arg)
{
    (void)arg;
    int64_t at = clock_now_ms();
    for (int i = 0; i < MANY; i++) {
        int k = many_kind(i);
        struct task t = {0};
        ids_new("tsk_", at + i, t.id, sizeof t.id);
        t.title = k == 3 || k == 2 ? "Zebra crossing permit" : k == -1 ? "Filler task" : "Other permit";
        t.description = k == 0 ? "about the zebra" : NULL;
        t.priority = PRIORITY_MEDIUM;
        t.status = TASK_OPEN;
        snprintf(t.due_date, sizeof t.due_date, "2026-07-01");
        snprintf(t.user_id, sizeof t.user_id, "%s", k == 3 || k == 1 ? "cus_zebra" : "");
        t.source = SOURCE_MANUAL;
        t.created_at = t.updated_at = at + i;
        t.version = 1;
        enum err rc = store_task_insert(c, &t);
        if (rc == ERR_OK)
            rc = store_task_search_new(c, t.id, t.title, t.description, k == 3 || k == 1 ? "Zebra Holdings" : NULL);
        if (rc != ERR_OK) return rc;
        memcpy(many_ids[i], t.id, TASK_ID_SIZE);
    }
    clock_set_ms(at + MANY);
    return ERR_OK;
}

/* Walks q by relevance in pages of limit; the ids in order, space-separated. */
static void walk_relevance(const char *q, int limit, char *out, size_t n)
{
    struct task_query tq = {.sort = SORT_RELEVANCE, .limit = limit};
    cr_assert_eq(text_query_words(q, &tq.filter.q), TEXT_OK);
    tq.filter.now_ms = NOW;
    snprintf(tq.today, sizeof tq.today, TODAY);
    out[0] = 0;
    for (int pages = 0; pages < 100; pages++) {
        struct store_conn *c = store_reader_acquire(S);
        cr_assert_not_null(c);
        struct task_page p;
        cr_assert_eq(store_task_list(c, &tq, &p), ERR_OK);
        store_reader_release(c);
        for (int i = 0; i < p.n; i++) {
            size_t len = strlen(out);
            snprintf(out + len, n - len, "%s%s", len ? " " : "", p.items[i].id);
        }
        bool more = p.has_more && p.n > 0;
        if (more) {
            tq.after.set = true;
            memcpy(tq.after.id, p.items[p.n - 1].id, TASK_ID_SIZE);
            tq.after.rank = p.last_rank;
            tq.after.doc_seq = p.last_doc_seq;
            cr_assert_gt(p.last_doc_seq, 0);
        }
        store_task_page_free(&p);
        if (!more) return;
    }
    cr_assert_fail("the relevance walk did not end");
}

STORE_TEST(search, relevance_walks_every_rank_newest_first_past_the_newest_documents)
{
    customer("cus_zebra", "Zebra Holdings");
    cr_assert_eq(store_run(S, do_many, NULL), ERR_OK);
    static char want[8192], got[8192];
    want[0] = 0;
    for (int k = 3; k >= 0; k--)
        for (int i = MANY - 1; i >= 0; i--) {
            if (many_kind(i) != k) continue;
            size_t len = strlen(want);
            snprintf(want + len, sizeof want - len, "%s%s", len ? " " : "", many_ids[i]);
        }
    walk_relevance("zebra", 50, got, sizeof got);
    cr_expect_str_eq(got, want);
    walk_relevance("zebra", 3, got, sizeof got);
    cr_expect_str_eq(got, want);
    walk_relevance("zeb", 1, got, sizeof got);
    cr_expect_str_eq(got, want);
}

STORE_TEST(search, documents_follow_a_title_change_and_a_customer_rename)
{
    customer("cus_r", "Gülsüm Karaca");
    const char *t = mk("Wombat", NULL, "cus_r");
    struct retitle r = {t, "Platypus"};
    cr_assert_eq(store_run(S, do_retitle, &r), ERR_OK);
    cr_expect_str_eq(search("wombat", SORT_DUE_DATE, 10), "");
    cr_expect_str_eq(search("platypus gulsum", SORT_DUE_DATE, 10), t);
    customer("cus_r", "Gülsüm Demir");
    cr_expect_str_eq(search("karaca", SORT_DUE_DATE, 10), "");
    cr_expect_str_eq(search("demir platypus", SORT_DUE_DATE, 10), t);
}

STORE_TEST(search, rebuild_gives_the_same_answers)
{
    customer("cus_x", "Şule Ergün");
    const char *a = mk("Visa", "extension", "cus_x");
    const char *b = mk("Visa", NULL, NULL);
    char before[256];
    snprintf(before, sizeof before, "%s", search("visa", SORT_RELEVANCE, 10));
    cr_assert_eq(store_run(S, do_rebuild, NULL), ERR_OK);
    cr_expect_str_eq(search("visa", SORT_RELEVANCE, 10), before);
    cr_expect_str_eq(search("sule ext", SORT_DUE_DATE, 10), a);
    (void)b;
}

STORE_TEST(search, sla_due_at_sorts_soonest_first_and_no_sla_last)
{
    struct mk m1 = {.title = "Slasort none"}, m2 = {.title = "Slasort long", .sla_hours = 100},
              m3 = {.title = "Slasort short", .sla_hours = 2};
    struct mk *all[] = {&m1, &m2, &m3};
    for (int i = 0; i < 3; i++) {
        clock_set_ms(clock_now_ms() + 1);
        cr_assert_eq(store_run(S, do_insert, all[i]), ERR_OK);
    }
    char want[256];
    snprintf(want, sizeof want, "%s %s %s", m3.id, m2.id, m1.id);
    cr_expect_str_eq(search("slasort", SORT_SLA_DUE_AT, 50), want);
    cr_expect_str_eq(search("slasort", SORT_SLA_DUE_AT, 1), want);
}

static enum err do_names(struct store_conn *c, void *arg)
{
    char (*ids)[EXT_ID_SIZE] = arg;
    struct text_words w;
    int n = 0;
    text_query_words("cel", &w);
    enum err rc = store_name_search(c, "cus_", &w, "", 10, ids, &n);
    if (rc == ERR_OK && n != 2) return ERR_INTERNAL;
    text_query_words("SUKRU c", &w);
    if (rc == ERR_OK) rc = store_name_search(c, "cus_", &w, "", 10, ids + 2, &n);
    if (rc == ERR_OK && n != 1) return ERR_INTERNAL;
    text_query_words("cagla", &w);
    if (rc == ERR_OK) rc = store_name_search(c, "sta_", &w, "", 10, ids + 3, &n);
    if (rc == ERR_OK && n != 1) return ERR_INTERNAL;
    return rc;
}

STORE_TEST(search, customers_and_staff_are_found_by_the_words_of_their_names)
{
    customer("cus_1", "Şükrü Çelik");
    customer("cus_2", "Celine Dion");
    customer("cus_3", "Marcel Proust");
    struct named st = {"sta_1", "Çağla Şahin"};
    cr_assert_eq(store_run(S, do_staff, &st), ERR_OK);
    char ids[4][EXT_ID_SIZE] = {{0}};
    cr_assert_eq(store_run(S, do_names, ids), ERR_OK);
    cr_expect_str_eq(ids[0], "cus_1");
    cr_expect_str_eq(ids[1], "cus_2");
    cr_expect_str_eq(ids[2], "cus_1");
    cr_expect_str_eq(ids[3], "sta_1");
}
