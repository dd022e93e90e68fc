/* test_accounts.c: conformance tests of the staff-account ops of the store
 * (store/ops.h, from staff_login_find to audit_list, and the token and
 * session rows), run once per backend of tests/unit/backends.c: roles and
 * passwords of staff, sign-in by email, invitations, the token lifecycle
 * (expiry, revocation, a member's deactivation), both kinds of browser
 * session, failed sign-ins and the audit log. Times are passed explicitly
 * (the fixture's clock stands at NOW); nothing sleeps. */
#include "store_fixture.h"

/* ---- writes: one job kind per op, run through store_run as the server does */

enum op {
    PUT_STAFF, PASSWORD_SET, LOGIN_TOUCH, INVITE_PUT, INVITE_TAKE, INVITE_PURGE, TOKEN_INSERT, TOKEN_REVOKE,
    TOKEN_TOUCH, SESSION_INSERT, SESSION_END, SESSION_END_ALL, SESSION_TOUCH, SESSION_PURGE, FAILURE_ADD,
    FAILURE_CLEAR, FAILURE_PURGE, AUDIT_ADD, AUDIT_ADD_TWICE, DUPLICATES,
};

struct w {
    enum op op;
    const char *a, *b, *c;
    unsigned char h[32];
    int64_t t, t2;
    int limit;
    const void *row;
    int64_t count;          /* out */
    char id[EXT_ID_SIZE];   /* out */
};

static enum err do_w(struct store_conn *c, void *arg)
{
    struct w *x = arg;
    switch (x->op) {
    case PUT_STAFF: {
        bool created;
        return store_staff_put(c, x->row, &created);
    }
    case PASSWORD_SET: return store_staff_password_set(c, x->a, x->b, x->t);
    case LOGIN_TOUCH: return store_staff_login_touch(c, x->a, x->t);
    case INVITE_PUT: return store_invite_put(c, x->a, x->h, x->t, x->t2, x->b ? x->b : "");
    case INVITE_TAKE: return store_invite_take(c, x->h, x->t, x->id);
    case INVITE_PURGE: return store_invite_purge(c, x->t, x->limit, &x->count);
    case TOKEN_INSERT: return store_token_insert(c, x->row, x->h, x->t, x->a ? x->a : "");
    case TOKEN_REVOKE: return store_token_revoke(c, x->a, x->t);
    case TOKEN_TOUCH: return store_token_touch(c, x->a, x->t);
    case SESSION_INSERT: return store_session_insert(c, x->row);
    case SESSION_END: return store_session_end(c, x->a, x->b, x->c);
    case SESSION_END_ALL: return store_session_end_all(c, x->a, x->b, &x->count);
    case SESSION_TOUCH: return store_session_touch(c, x->a, x->t);
    case SESSION_PURGE: return store_session_purge(c, x->t, x->limit, &x->count);
    case FAILURE_ADD: return store_login_failure_add(c, x->a, x->t);
    case FAILURE_CLEAR: return store_login_failure_clear(c, x->a);
    case FAILURE_PURGE: return store_login_failure_purge(c, x->t, x->limit, &x->count);
    case AUDIT_ADD: return store_audit_add(c, x->row);
    case AUDIT_ADD_TWICE: {
        /* the refused insert leaves the job's transaction usable: the next
         * statement of the same job still works */
        enum err rc = store_audit_add(c, x->row);
        if (rc != ERR_DUPLICATE) return rc == ERR_OK ? ERR_INTERNAL : rc;
        struct audit_row other = *(const struct audit_row *)x->row;
        snprintf(other.id, sizeof other.id, "%s", x->a);
        return store_audit_add(c, &other);
    }
    case DUPLICATES: {
        /* a token and a session again under a taken id, then a taken
         * hash: each refused alone, and the job goes on (x->count: how
         * many answered ERR_DUPLICATE) */
        struct token t = {.id = "tok_1", .role = ROLE_AGENT, .name = "again"};
        unsigned char other[32];
        memset(other, 77, 32);
        x->count = 0;
        x->count += store_token_insert(c, &t, other, NOW, "") == ERR_DUPLICATE;
        snprintf(t.id, sizeof t.id, "tok_new");
        x->count += store_token_insert(c, &t, x->h, NOW, "") == ERR_DUPLICATE;
        struct session_row s = {.id = "ses_1", .token_id = "tok_1", .created_at = NOW, .expires_at = NOW + DAY,
                                .last_seen_at = NOW};
        memcpy(s.hash, other, 32);
        x->count += store_session_insert(c, &s) == ERR_DUPLICATE;
        snprintf(s.id, sizeof s.id, "ses_new");
        memset(s.hash, 31, 32);
        x->count += store_session_insert(c, &s) == ERR_DUPLICATE;
        snprintf(t.id, sizeof t.id, "tok_3");
        return store_token_insert(c, &t, other, NOW, "");
    }
    }
    return ERR_INTERNAL;
}

static enum err run(struct w *x) { return store_run(S, do_w, x); }

static void hash_of(unsigned char h[32], int v) { memset(h, v, 32); }

/* A staff member; role -1 leaves it to the store (role_set false). */
static enum err put_member(const char *id, const char *name, const char *email, bool active, int role, int64_t at)
{
    struct staff st = {.name = (char *)name, .email = (char *)email, .active = active, .updated_at = at,
                       .role_set = role >= 0, .role = role == ROLE_ADMIN ? ROLE_ADMIN : ROLE_AGENT};
    snprintf(st.id, sizeof st.id, "%s", id);
    return run(&(struct w){.op = PUT_STAFF, .row = &st});
}

static enum err set_password(const char *id, const char *hash, int64_t at)
{
    return run(&(struct w){.op = PASSWORD_SET, .a = id, .b = hash, .t = at});
}

/* An active member with a password: the one sign-in by email finds. */
static void member_with_password(const char *id, const char *email, int role)
{
    cr_assert_eq(put_member(id, "Member", email, true, role, NOW), ERR_OK);
    cr_assert_eq(set_password(id, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA", NOW), ERR_OK);
}

static enum err invite_put(const char *staff_id, int hv, int64_t now, int64_t expires)
{
    struct w x = {.op = INVITE_PUT, .a = staff_id, .b = "sta_admin", .t = now, .t2 = expires};
    hash_of(x.h, hv);
    return run(&x);
}

static enum err invite_take(int hv, int64_t now, char *staff_id)
{
    struct w x = {.op = INVITE_TAKE, .t = now};
    hash_of(x.h, hv);
    enum err rc = run(&x);
    snprintf(staff_id, EXT_ID_SIZE, "%s", x.id);
    return rc;
}

static enum err token_add(const char *id, const char *staff_id, enum token_role role, const char *name,
                          int64_t expires_at, int hv)
{
    struct token t = {.role = role, .expires_at = expires_at};
    snprintf(t.id, sizeof t.id, "%s", id);
    snprintf(t.staff_id, sizeof t.staff_id, "%s", staff_id ? staff_id : "");
    snprintf(t.name, sizeof t.name, "%s", name);
    struct w x = {.op = TOKEN_INSERT, .row = &t, .t = NOW, .a = "sta_admin"};
    hash_of(x.h, hv);
    return run(&x);
}

static enum err revoke(const char *id, int64_t at) { return run(&(struct w){.op = TOKEN_REVOKE, .a = id, .t = at}); }

/* A session of a token (token_id) or of a member (staff_id), created at
 * `created`, live for a day after it. */
static enum err session_add(const char *id, int hv, const char *token_id, const char *staff_id, int64_t created)
{
    struct session_row s = {.created_at = created, .expires_at = created + DAY, .last_seen_at = created};
    snprintf(s.id, sizeof s.id, "%s", id);
    hash_of(s.hash, hv);
    snprintf(s.token_id, sizeof s.token_id, "%s", token_id ? token_id : "");
    snprintf(s.staff_id, sizeof s.staff_id, "%s", staff_id ? staff_id : "");
    snprintf(s.user_agent, sizeof s.user_agent, "agent of %s", id);
    snprintf(s.client, sizeof s.client, "192.0.2.%d", hv);
    return run(&(struct w){.op = SESSION_INSERT, .row = &s});
}

static enum err session_end(const char *id, const char *staff_id, const char *token_id)
{
    return run(&(struct w){.op = SESSION_END, .a = id, .b = staff_id, .c = token_id});
}

static enum err failure_add(const char *key, int64_t at) { return run(&(struct w){.op = FAILURE_ADD, .a = key, .t = at}); }

/* ---- reads, each on a pooled reader connection ---- */

static struct store_conn *reader(void)
{
    struct store_conn *c = store_reader_acquire(S);
    cr_assert_not_null(c);
    return c;
}

static struct staff staff_of(const char *id)
{
    struct store_conn *c = reader();
    struct staff st;
    cr_assert_eq(store_staff_get(c, id, &st), ERR_OK, "staff %s", id);
    store_reader_release(c);
    return st;
}

static enum err token_find(int hv, int64_t now, struct token *out)
{
    unsigned char h[32];
    hash_of(h, hv);
    struct store_conn *c = reader();
    enum err rc = store_token_find(c, h, now, out);
    store_reader_release(c);
    return rc;
}

static enum err session_find(int hv, int64_t now, struct token *out)
{
    unsigned char h[32];
    hash_of(h, hv);
    struct store_conn *c = reader();
    enum err rc = store_session_find(c, h, now, out);
    store_reader_release(c);
    return rc;
}

static enum err invite_find(int hv, int64_t now, char *staff_id)
{
    unsigned char h[32];
    hash_of(h, hv);
    struct store_conn *c = reader();
    enum err rc = store_invite_find(c, h, now, staff_id);
    store_reader_release(c);
    return rc;
}

/* The ids of a token list, comma-separated. */
static const char *token_ids(const char *staff_id, const char *after_id, int limit)
{
    static char out[512];
    struct store_conn *c = reader();
    struct token *t = NULL;
    int n = -1;
    cr_assert_eq(store_token_list(c, staff_id, after_id, limit, &t, &n), ERR_OK);
    store_reader_release(c);
    cr_assert_leq(n, limit);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        if (i) strcat(out, ",");
        strcat(out, t[i].id);
    }
    free(t);
    return out;
}

/* The ids of a session list, comma-separated. */
static const char *session_ids(const char *staff_id, const char *token_id, int64_t now, int limit)
{
    static char out[512];
    struct store_conn *c = reader();
    struct session_row *s = NULL;
    int n = -1;
    cr_assert_eq(store_session_list(c, staff_id, token_id, now, limit, &s, &n), ERR_OK);
    store_reader_release(c);
    cr_assert_leq(n, limit);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        if (i) strcat(out, ",");
        strcat(out, s[i].id);
    }
    free(s);
    return out;
}

/* ==== staff: role, password, last sign-in, invite ==== */

STORE_TEST(accounts, a_new_member_is_an_agent_and_keeps_a_role_the_put_does_not_set)
{
    cr_assert_eq(put_member("sta_a", "Anna", "anna@example.com", true, -1, NOW), ERR_OK);
    struct staff st = staff_of("sta_a");
    cr_expect_eq(st.role, ROLE_AGENT, "a new member without a role is an agent");
    cr_expect_not(st.has_password);
    cr_expect_eq(st.last_login_at, 0);
    cr_expect_eq(st.invite_expires_at, 0);
    store_staff_clear(&st);

    cr_assert_eq(put_member("sta_a", "Anna", "anna@example.com", true, ROLE_ADMIN, NOW + 1), ERR_OK);
    st = staff_of("sta_a");
    cr_expect_eq(st.role, ROLE_ADMIN);
    store_staff_clear(&st);

    cr_assert_eq(put_member("sta_a", "Anna B.", "anna@example.com", true, -1, NOW + 2), ERR_OK);
    st = staff_of("sta_a");
    cr_expect_eq(st.role, ROLE_ADMIN, "an update without role keeps it");
    cr_expect_str_eq(st.name, "Anna B.");
    store_staff_clear(&st);

    cr_assert_eq(put_member("sta_b", "Bo", NULL, true, ROLE_ADMIN, NOW), ERR_OK);
    cr_assert_eq(put_member("sta_a", "Anna B.", "anna@example.com", true, ROLE_AGENT, NOW + 3), ERR_OK);
    struct store_conn *c = reader();
    struct staff *list = NULL;
    int n = 0;
    cr_assert_eq(store_staff_list(c, "", 10, &list, &n), ERR_OK);
    store_reader_release(c);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(list[0].id, "sta_a");
    cr_expect_eq(list[0].role, ROLE_AGENT, "set back to agent");
    cr_expect_eq(list[1].role, ROLE_ADMIN, "a new member with a role has it");
    for (int i = 0; i < n; i++) store_staff_clear(&list[i]);
    free(list);
}

STORE_TEST(accounts, a_password_and_the_last_sign_in_survive_a_staff_put)
{
    cr_assert_eq(put_member("sta_a", "Anna", "anna@example.com", true, -1, NOW), ERR_OK);
    cr_assert_eq(set_password("sta_a", "$argon2id$first", NOW + 10), ERR_OK);
    cr_assert_eq(run(&(struct w){.op = LOGIN_TOUCH, .a = "sta_a", .t = NOW + 20}), ERR_OK);
    cr_assert_eq(put_member("sta_a", "Anna", "anna@example.com", false, -1, NOW + 30), ERR_OK);

    struct staff st = staff_of("sta_a");
    cr_expect(st.has_password);
    cr_expect_eq(st.last_login_at, NOW + 20);
    cr_expect_not(st.active);
    store_staff_clear(&st);

    struct store_conn *c = reader();
    struct staff *list = NULL;
    int n = 0;
    cr_assert_eq(store_staff_list(c, "", 10, &list, &n), ERR_OK);
    cr_assert_eq(n, 1);
    cr_expect(list[0].has_password, "the list reads it too");
    cr_expect_eq(list[0].last_login_at, NOW + 20);
    store_staff_clear(&list[0]);
    free(list);
    char hash[STORE_PASSWORD_HASH_SIZE];
    cr_assert_eq(store_staff_password_get(c, "sta_a", hash), ERR_OK);
    cr_expect_str_eq(hash, "$argon2id$first");
    store_reader_release(c);
}

STORE_TEST(accounts, a_password_is_stored_and_replaced_without_changing_updated_at)
{
    cr_assert_eq(put_member("sta_a", "Anna", "anna@example.com", true, -1, NOW), ERR_OK);
    struct store_conn *c = reader();
    char hash[STORE_PASSWORD_HASH_SIZE] = "junk";
    cr_assert_eq(store_staff_password_get(c, "sta_a", hash), ERR_OK);
    cr_expect_str_eq(hash, "", "no password yet");
    cr_expect_eq(store_staff_password_get(c, "sta_nobody", hash), ERR_NOT_FOUND);
    store_reader_release(c);

    cr_assert_eq(set_password("sta_a", "$argon2id$one", NOW + HOUR), ERR_OK);
    cr_assert_eq(set_password("sta_a", "$argon2id$two", NOW + 2 * HOUR), ERR_OK);
    c = reader();
    cr_assert_eq(store_staff_password_get(c, "sta_a", hash), ERR_OK);
    cr_expect_str_eq(hash, "$argon2id$two");
    store_reader_release(c);
    struct staff st = staff_of("sta_a");
    cr_expect(st.has_password);
    cr_expect_eq(st.updated_at, NOW, "a password is not an edit of the staff record");
    store_staff_clear(&st);

    cr_expect_eq(set_password("sta_nobody", "$argon2id$x", NOW), ERR_NOT_FOUND);
    cr_expect_eq(run(&(struct w){.op = LOGIN_TOUCH, .a = "sta_nobody", .t = NOW}), ERR_NOT_FOUND);
}

/* ==== sign-in by email ==== */

STORE_TEST(accounts, sign_in_by_email_finds_the_active_member_with_a_password_whatever_the_case)
{
    member_with_password("sta_anna", "Anna.Berg@Example.COM", ROLE_ADMIN);
    /* the same email on a member without a password and on an inactive one */
    cr_assert_eq(put_member("sta_old", "Old", "anna.berg@example.com", true, -1, NOW), ERR_OK);
    member_with_password("sta_gone", "ANNA.BERG@example.com", -1);
    cr_assert_eq(put_member("sta_gone", "Gone", "ANNA.BERG@example.com", false, -1, NOW + 1), ERR_OK);

    struct store_conn *c = reader();
    struct staff_login who;
    int matches = -1;
    cr_assert_eq(store_staff_login_find(c, "anna.berg@example.com", &who, &matches), ERR_OK);
    cr_expect_eq(matches, 1);
    cr_expect_str_eq(who.staff_id, "sta_anna");
    cr_expect_eq(who.role, ROLE_ADMIN);
    cr_expect_str_eq(who.email, "Anna.Berg@Example.COM", "the email as stored");
    cr_expect_str_eq(who.password_hash, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA");

    matches = -1;
    cr_expect_eq(store_staff_login_find(c, "nobody@example.com", &who, &matches), ERR_NOT_FOUND);
    cr_expect_eq(matches, 0);
    cr_expect_eq(store_staff_login_find(c, "anna.berg@example.co", &who, &matches), ERR_NOT_FOUND, "no prefix match");
    store_reader_release(c);
}

STORE_TEST(accounts, two_active_members_with_passwords_on_one_email_are_both_counted)
{
    member_with_password("sta_a", "desk@example.com", -1);
    member_with_password("sta_b", "DESK@example.com", -1);
    struct store_conn *c = reader();
    struct staff_login who;
    int matches = 0;
    enum err rc = store_staff_login_find(c, "desk@example.com", &who, &matches);
    store_reader_release(c);
    cr_expect_eq(rc, ERR_OK);
    cr_expect_eq(matches, 2, "the caller refuses then");
}

STORE_TEST(accounts, an_email_is_taken_only_by_another_active_member_with_a_password)
{
    member_with_password("sta_a", "Desk@Example.com", -1);
    cr_assert_eq(put_member("sta_b", "B", "desk@example.com", true, -1, NOW), ERR_OK); /* no password */
    member_with_password("sta_c", "other@example.com", -1);
    cr_assert_eq(put_member("sta_c", "C", "other@example.com", false, -1, NOW + 1), ERR_OK); /* inactive */

    struct store_conn *c = reader();
    bool taken = false;
    cr_assert_eq(store_staff_email_taken(c, "desk@example.com", "sta_b", &taken), ERR_OK);
    cr_expect(taken, "sta_a has it");
    taken = true;
    cr_assert_eq(store_staff_email_taken(c, "desk@example.com", "sta_a", &taken), ERR_OK);
    cr_expect_not(taken, "not by the member themself");
    cr_assert_eq(store_staff_email_taken(c, "desk@example.com", "", &taken), ERR_OK);
    cr_expect(taken);
    taken = true;
    cr_assert_eq(store_staff_email_taken(c, "other@example.com", "sta_x", &taken), ERR_OK);
    cr_expect_not(taken, "an inactive member does not hold an email");
    taken = true;
    cr_assert_eq(store_staff_email_taken(c, "free@example.com", "", &taken), ERR_OK);
    cr_expect_not(taken);
    store_reader_release(c);
}

/* ==== invitations ==== */

STORE_TEST(accounts, an_invite_is_found_until_it_expires_and_finding_changes_nothing)
{
    cr_assert_eq(put_member("sta_a", "Anna", "anna@example.com", true, -1, NOW), ERR_OK);
    cr_assert_eq(invite_put("sta_a", 40, NOW, NOW + 7 * DAY), ERR_OK);
    char id[EXT_ID_SIZE];
    cr_assert_eq(invite_find(40, NOW, id), ERR_OK);
    cr_expect_str_eq(id, "sta_a");
    cr_assert_eq(invite_find(40, NOW + 7 * DAY - 1, id), ERR_OK, "found again: finding takes nothing");
    cr_expect_eq(invite_find(40, NOW + 7 * DAY, id), ERR_NOT_FOUND, "expires_at itself is past");
    cr_expect_eq(invite_find(41, NOW, id), ERR_NOT_FOUND);

    struct staff st = staff_of("sta_a");
    cr_expect_eq(st.invite_expires_at, NOW + 7 * DAY, "the member shows the unused invite");
    store_staff_clear(&st);
}

STORE_TEST(accounts, invite_take_answers_once)
{
    cr_assert_eq(put_member("sta_a", "Anna", "anna@example.com", true, -1, NOW), ERR_OK);
    cr_assert_eq(invite_put("sta_a", 40, NOW, NOW + DAY), ERR_OK);
    char id[EXT_ID_SIZE] = "";
    cr_assert_eq(invite_take(40, NOW + HOUR, id), ERR_OK);
    cr_expect_str_eq(id, "sta_a");
    cr_expect_eq(invite_take(40, NOW + HOUR, id), ERR_NOT_FOUND, "used");
    cr_expect_eq(invite_find(40, NOW + HOUR, id), ERR_NOT_FOUND);
    struct staff st = staff_of("sta_a");
    cr_expect_eq(st.invite_expires_at, 0, "no unused invite left");
    store_staff_clear(&st);
    cr_expect_eq(invite_take(99, NOW, id), ERR_NOT_FOUND, "unknown");
}

STORE_TEST(accounts, an_expired_invite_cannot_be_taken)
{
    cr_assert_eq(put_member("sta_a", "Anna", "anna@example.com", true, -1, NOW), ERR_OK);
    cr_assert_eq(invite_put("sta_a", 40, NOW, NOW + DAY), ERR_OK);
    char id[EXT_ID_SIZE];
    cr_expect_eq(invite_take(40, NOW + DAY, id), ERR_NOT_FOUND);
    struct staff st = staff_of("sta_a");
    cr_expect_eq(st.invite_expires_at, NOW + DAY, "the row's expiry, until it is purged (the caller compares)");
    store_staff_clear(&st);
}

STORE_TEST(accounts, a_new_invite_replaces_the_members_older_one)
{
    cr_assert_eq(put_member("sta_a", "Anna", "anna@example.com", true, -1, NOW), ERR_OK);
    cr_assert_eq(put_member("sta_b", "Bo", "bo@example.com", true, -1, NOW), ERR_OK);
    cr_assert_eq(invite_put("sta_a", 40, NOW, NOW + DAY), ERR_OK);
    cr_assert_eq(invite_put("sta_b", 50, NOW, NOW + DAY), ERR_OK);
    cr_assert_eq(invite_put("sta_a", 41, NOW + HOUR, NOW + 2 * DAY), ERR_OK);
    char id[EXT_ID_SIZE];
    cr_expect_eq(invite_find(40, NOW + HOUR, id), ERR_NOT_FOUND, "the older link no longer works");
    cr_assert_eq(invite_find(41, NOW + HOUR, id), ERR_OK);
    cr_expect_str_eq(id, "sta_a");
    cr_assert_eq(invite_find(50, NOW + HOUR, id), ERR_OK, "another member's stays");
    cr_expect_str_eq(id, "sta_b");
    struct staff st = staff_of("sta_a");
    cr_expect_eq(st.invite_expires_at, NOW + 2 * DAY);
    store_staff_clear(&st);
}

STORE_TEST(accounts, an_invite_for_a_member_who_does_not_exist_is_not_found)
{
    cr_expect_eq(invite_put("sta_nobody", 40, NOW, NOW + DAY), ERR_NOT_FOUND);
    char id[EXT_ID_SIZE];
    cr_expect_eq(invite_find(40, NOW, id), ERR_NOT_FOUND);
}

STORE_TEST(accounts, invite_purge_removes_only_expired_invites_a_batch_at_a_time)
{
    const char *ids[] = {"sta_a", "sta_b", "sta_c", "sta_d"};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(put_member(ids[i], "M", NULL, true, -1, NOW), ERR_OK);
        /* a and b expired by NOW (b exactly at it), c and d live */
        cr_assert_eq(invite_put(ids[i], 40 + i, NOW - DAY, i < 2 ? NOW - HOUR * (1 - i) : NOW + HOUR), ERR_OK);
    }
    struct w x = {.op = INVITE_PURGE, .t = NOW, .limit = 1};
    cr_assert_eq(run(&x), ERR_OK);
    cr_expect_eq(x.count, 1);
    x.limit = 100;
    cr_assert_eq(run(&x), ERR_OK);
    cr_expect_eq(x.count, 1);
    cr_assert_eq(run(&x), ERR_OK);
    cr_expect_eq(x.count, 0);
    char id[EXT_ID_SIZE];
    cr_expect_eq(invite_find(42, NOW, id), ERR_OK);
    cr_expect_eq(invite_find(43, NOW, id), ERR_OK);
}

/* ==== API tokens ==== */

STORE_TEST(accounts, a_token_is_found_with_its_lifecycle_fields)
{
    cr_assert_eq(put_member("sta_a", "Anna", NULL, true, -1, NOW), ERR_OK);
    cr_assert_eq(token_add("tok_1", "sta_a", ROLE_AGENT, "desk", NOW + DAY, 21), ERR_OK);
    cr_assert_eq(token_add("tok_2", NULL, ROLE_ADMIN, "ci", 0, 22), ERR_OK);
    struct token t;
    cr_assert_eq(token_find(21, NOW, &t), ERR_OK);
    cr_expect_str_eq(t.id, "tok_1");
    cr_expect_eq(t.role, ROLE_AGENT);
    cr_expect_str_eq(t.staff_id, "sta_a");
    cr_expect_str_eq(t.name, "desk");
    cr_expect_eq(t.created_at, NOW);
    cr_expect_eq(t.expires_at, NOW + DAY);
    cr_expect_eq(t.last_used_at, 0);
    cr_expect_eq(t.revoked_at, 0);
    cr_expect_str_eq(t.session_id, "", "a bearer token has no session");
    cr_assert_eq(token_find(22, NOW + 1000 * DAY, &t), ERR_OK, "no expiry: lives on");
    cr_expect_str_eq(t.staff_id, "");
    cr_expect_eq(t.expires_at, 0);

    struct store_conn *c = reader();
    cr_assert_eq(store_token_get(c, "tok_1", &t), ERR_OK);
    cr_expect_str_eq(t.name, "desk");
    cr_expect_eq(t.expires_at, NOW + DAY);
    cr_expect_eq(store_token_get(c, "tok_nobody", &t), ERR_NOT_FOUND);
    store_reader_release(c);
}

STORE_TEST(accounts, an_expired_token_is_not_found_but_is_still_listed)
{
    cr_assert_eq(token_add("tok_1", NULL, ROLE_ADMIN, "short", NOW + HOUR, 21), ERR_OK);
    struct token t;
    cr_expect_eq(token_find(21, NOW + HOUR - 1, &t), ERR_OK);
    cr_expect_eq(token_find(21, NOW + HOUR, &t), ERR_NOT_FOUND, "expires_at itself is past");
    cr_expect_str_eq(token_ids("", "", 10), "tok_1", "expired tokens are listed");
    struct store_conn *c = reader();
    cr_expect_eq(store_token_get(c, "tok_1", &t), ERR_OK);
    store_reader_release(c);
}

STORE_TEST(accounts, a_revoked_token_is_not_found_and_revoking_twice_is_not_found)
{
    cr_assert_eq(token_add("tok_1", NULL, ROLE_ADMIN, "old", 0, 21), ERR_OK);
    cr_assert_eq(token_add("tok_2", NULL, ROLE_ADMIN, "kept", 0, 22), ERR_OK);
    cr_assert_eq(session_add("ses_1", 31, "tok_1", NULL, NOW), ERR_OK);
    cr_assert_eq(session_add("ses_2", 32, "tok_2", NULL, NOW), ERR_OK);

    cr_assert_eq(revoke("tok_1", NOW + HOUR), ERR_OK);
    cr_expect_eq(revoke("tok_1", NOW + 2 * HOUR), ERR_NOT_FOUND, "already revoked");
    cr_expect_eq(revoke("tok_nobody", NOW), ERR_NOT_FOUND);

    struct token t;
    cr_expect_eq(token_find(21, NOW + HOUR, &t), ERR_NOT_FOUND);
    cr_expect_eq(session_find(31, NOW + HOUR, &t), ERR_NOT_FOUND, "its session is gone");
    cr_expect_eq(token_find(22, NOW + HOUR, &t), ERR_OK, "another token stays");
    cr_expect_eq(session_find(32, NOW + HOUR, &t), ERR_OK);
    cr_expect_str_eq(session_ids("", "tok_1", NOW + HOUR, 10), "", "deleted, not only hidden");

    struct store_conn *c = reader();
    cr_assert_eq(store_token_get(c, "tok_1", &t), ERR_OK, "a revoked token can still be read by id");
    cr_expect_eq(t.revoked_at, NOW + HOUR, "the first revocation's time");
    store_reader_release(c);
    cr_expect_str_eq(token_ids("", "", 10), "tok_2", "revoked tokens are not listed");
}

STORE_TEST(accounts, a_taken_token_or_session_id_or_hash_is_a_duplicate_and_the_job_goes_on)
{
    cr_assert_eq(token_add("tok_1", NULL, ROLE_ADMIN, "first", 0, 21), ERR_OK);
    cr_assert_eq(session_add("ses_1", 31, "tok_1", NULL, NOW), ERR_OK);
    struct w x = {.op = DUPLICATES};
    hash_of(x.h, 21);
    cr_assert_eq(run(&x), ERR_OK, "the job's last insert commits");
    cr_expect_eq(x.count, 4);
    struct token t;
    cr_assert_eq(token_find(21, NOW, &t), ERR_OK);
    cr_expect_str_eq(t.name, "first", "the first stays as it was");
    cr_assert_eq(token_find(77, NOW, &t), ERR_OK);
    cr_expect_str_eq(t.id, "tok_3");
    cr_assert_eq(session_find(31, NOW, &t), ERR_OK);
    cr_expect_str_eq(t.session_id, "ses_1");
}

STORE_TEST(accounts, an_inactive_members_tokens_are_not_found_until_reactivated)
{
    cr_assert_eq(put_member("sta_a", "Anna", NULL, true, -1, NOW), ERR_OK);
    cr_assert_eq(token_add("tok_1", "sta_a", ROLE_AGENT, "desk", 0, 21), ERR_OK);
    cr_assert_eq(token_add("tok_ghost", "sta_nobody", ROLE_AGENT, "ghost", 0, 23), ERR_OK);
    struct token t;
    cr_assert_eq(token_find(21, NOW, &t), ERR_OK);
    cr_expect_eq(token_find(23, NOW, &t), ERR_NOT_FOUND, "tied to no staff row: not live");

    cr_assert_eq(put_member("sta_a", "Anna", NULL, false, -1, NOW + 1), ERR_OK);
    cr_expect_eq(token_find(21, NOW + 2, &t), ERR_NOT_FOUND);
    cr_expect_str_eq(token_ids("sta_a", "", 10), "tok_1", "disabled, not revoked: still listed");

    cr_assert_eq(put_member("sta_a", "Anna", NULL, true, -1, NOW + 3), ERR_OK);
    cr_expect_eq(token_find(21, NOW + 4, &t), ERR_OK, "works again");
}

STORE_TEST(accounts, token_list_pages_by_id_and_filters_by_member)
{
    cr_assert_eq(put_member("sta_a", "Anna", NULL, true, -1, NOW), ERR_OK);
    cr_assert_eq(put_member("sta_b", "Bo", NULL, true, -1, NOW), ERR_OK);
    cr_assert_eq(token_add("tok_3", "sta_a", ROLE_AGENT, "a3", 0, 23), ERR_OK);
    cr_assert_eq(token_add("tok_1", "sta_a", ROLE_AGENT, "a1", 0, 21), ERR_OK);
    cr_assert_eq(token_add("tok_2", NULL, ROLE_ADMIN, "x", 0, 22), ERR_OK);
    cr_assert_eq(token_add("tok_4", "sta_b", ROLE_AGENT, "b", 0, 24), ERR_OK);
    cr_assert_eq(token_add("tok_5", "sta_a", ROLE_AGENT, "a5", 0, 25), ERR_OK);
    cr_assert_eq(revoke("tok_5", NOW), ERR_OK);

    cr_expect_str_eq(token_ids("", "", 10), "tok_1,tok_2,tok_3,tok_4");
    cr_expect_str_eq(token_ids("", "", 2), "tok_1,tok_2");
    cr_expect_str_eq(token_ids("", "tok_2", 2), "tok_3,tok_4");
    cr_expect_str_eq(token_ids("", "tok_4", 2), "");
    cr_expect_str_eq(token_ids("sta_a", "", 10), "tok_1,tok_3");
    cr_expect_str_eq(token_ids("sta_a", "tok_1", 10), "tok_3");
    cr_expect_str_eq(token_ids("sta_nobody", "", 10), "");

    struct store_conn *c = reader();
    struct token *t = NULL;
    int n = 0;
    cr_assert_eq(store_token_list(c, "sta_b", "", 10, &t, &n), ERR_OK);
    store_reader_release(c);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(t[0].name, "b");
    cr_expect_eq(t[0].role, ROLE_AGENT);
    cr_expect_str_eq(t[0].staff_id, "sta_b");
    cr_expect_eq(t[0].created_at, NOW);
    free(t);
}

STORE_TEST(accounts, token_touch_keeps_last_used_within_a_minute)
{
    cr_assert_eq(token_add("tok_1", NULL, ROLE_ADMIN, "ci", 0, 21), ERR_OK);
    struct token t;
    cr_assert_eq(run(&(struct w){.op = TOKEN_TOUCH, .a = "tok_1", .t = NOW + 1000}), ERR_OK);
    cr_assert_eq(token_find(21, NOW + 1000, &t), ERR_OK);
    cr_expect_eq(t.last_used_at, NOW + 1000, "the first use is written");
    cr_assert_eq(run(&(struct w){.op = TOKEN_TOUCH, .a = "tok_1", .t = NOW + 60999}), ERR_OK);
    cr_assert_eq(token_find(21, NOW, &t), ERR_OK);
    cr_expect_eq(t.last_used_at, NOW + 1000, "within the minute: a no-op");
    cr_assert_eq(run(&(struct w){.op = TOKEN_TOUCH, .a = "tok_1", .t = NOW + 61000}), ERR_OK);
    cr_assert_eq(token_find(21, NOW, &t), ERR_OK);
    cr_expect_eq(t.last_used_at, NOW + 61000, "a minute later: written");
    cr_expect_eq(run(&(struct w){.op = TOKEN_TOUCH, .a = "tok_nobody", .t = NOW}), ERR_OK, "nothing to touch is fine");
}

/* ==== browser sessions ==== */

STORE_TEST(accounts, a_password_session_stands_for_its_member)
{
    member_with_password("sta_a", "anna@example.com", ROLE_ADMIN);
    cr_assert_eq(session_add("ses_1", 31, NULL, "sta_a", NOW - HOUR), ERR_OK);
    struct token t;
    cr_assert_eq(session_find(31, NOW, &t), ERR_OK);
    cr_expect_str_eq(t.id, "", "no token");
    cr_expect_str_eq(t.staff_id, "sta_a");
    cr_expect_eq(t.role, ROLE_ADMIN);
    cr_expect_str_eq(t.name, "Member", "the member's name");
    cr_expect_str_eq(t.session_id, "ses_1");
    cr_expect_eq(t.session_last_seen_at, NOW - HOUR);
    cr_expect_eq(session_find(31, NOW - HOUR + DAY, &t), ERR_NOT_FOUND, "expired");

    /* the role is the member's as it is now */
    cr_assert_eq(put_member("sta_a", "Anna", "anna@example.com", true, ROLE_AGENT, NOW + 1), ERR_OK);
    cr_assert_eq(session_find(31, NOW, &t), ERR_OK);
    cr_expect_eq(t.role, ROLE_AGENT);
    cr_expect_str_eq(t.name, "Anna");

    cr_assert_eq(put_member("sta_a", "Anna", "anna@example.com", false, -1, NOW + 2), ERR_OK);
    cr_expect_eq(session_find(31, NOW, &t), ERR_NOT_FOUND, "an inactive member's session is not found");
}

STORE_TEST(accounts, a_token_session_carries_the_token_and_the_session_id)
{
    cr_assert_eq(put_member("sta_a", "Anna", NULL, true, -1, NOW), ERR_OK);
    cr_assert_eq(token_add("tok_1", "sta_a", ROLE_AGENT, "desk", NOW + 2 * HOUR, 21), ERR_OK);
    cr_assert_eq(session_add("ses_1", 31, "tok_1", NULL, NOW - HOUR), ERR_OK);
    struct token t;
    cr_assert_eq(session_find(31, NOW, &t), ERR_OK);
    cr_expect_str_eq(t.id, "tok_1");
    cr_expect_str_eq(t.staff_id, "sta_a");
    cr_expect_eq(t.role, ROLE_AGENT);
    cr_expect_str_eq(t.name, "desk");
    cr_expect_eq(t.expires_at, NOW + 2 * HOUR);
    cr_expect_eq(t.created_at, NOW);
    cr_expect_str_eq(t.session_id, "ses_1");
    cr_expect_eq(t.session_last_seen_at, NOW - HOUR);
    cr_expect_eq(session_find(31, NOW + 2 * HOUR, &t), ERR_NOT_FOUND, "the token expired before the session");

    cr_assert_eq(put_member("sta_a", "Anna", NULL, false, -1, NOW + 1), ERR_OK);
    cr_expect_eq(session_find(31, NOW, &t), ERR_NOT_FOUND, "the token's member is inactive");
}

static enum err session_with(const char *token_id, const char *staff_id)
{
    return session_add("ses_bad", 39, token_id, staff_id, NOW);
}

STORE_TEST(accounts, a_session_belongs_to_exactly_one_of_a_token_and_a_member)
{
    cr_assert_eq(put_member("sta_a", "Anna", NULL, true, -1, NOW), ERR_OK);
    cr_assert_eq(token_add("tok_1", "sta_a", ROLE_AGENT, "desk", 0, 21), ERR_OK);
    cr_expect_neq(session_with("tok_1", "sta_a"), ERR_OK, "both");
    cr_expect_neq(session_with(NULL, NULL), ERR_OK, "neither");
    cr_expect_neq(session_with(NULL, "sta_nobody"), ERR_OK, "no such member");
    struct token t;
    cr_expect_eq(session_find(39, NOW, &t), ERR_NOT_FOUND);
}

/* Anna's sessions: ses_a1 and ses_a2 with her password, ses_a3 with her own
 * token; ses_b1 is Bo's, ses_x1 a token's that is tied to nobody. */
static void seed_sessions(void)
{
    member_with_password("sta_a", "anna@example.com", -1);
    member_with_password("sta_b", "bo@example.com", -1);
    cr_assert_eq(token_add("tok_a", "sta_a", ROLE_AGENT, "anna's", 0, 21), ERR_OK);
    cr_assert_eq(token_add("tok_x", NULL, ROLE_ADMIN, "ci", 0, 22), ERR_OK);
    cr_assert_eq(session_add("ses_a1", 31, NULL, "sta_a", NOW - 3 * HOUR), ERR_OK);
    cr_assert_eq(session_add("ses_a2", 32, NULL, "sta_a", NOW - 2 * HOUR), ERR_OK);
    cr_assert_eq(session_add("ses_a3", 33, "tok_a", NULL, NOW - HOUR), ERR_OK);
    cr_assert_eq(session_add("ses_b1", 34, NULL, "sta_b", NOW - HOUR), ERR_OK);
    cr_assert_eq(session_add("ses_x1", 35, "tok_x", NULL, NOW - HOUR), ERR_OK);
}

STORE_TEST(accounts, session_list_shows_only_ones_own)
{
    seed_sessions();
    cr_assert_eq(session_add("ses_a0", 30, NULL, "sta_a", NOW - 2 * DAY), ERR_OK); /* expired a day ago */
    cr_expect_str_eq(session_ids("sta_a", "", NOW, 10), "ses_a3,ses_a2,ses_a1", "newest first, both kinds, live");
    cr_expect_str_eq(session_ids("sta_a", "", NOW, 2), "ses_a3,ses_a2");
    cr_expect_str_eq(session_ids("sta_b", "", NOW, 10), "ses_b1");
    cr_expect_str_eq(session_ids("", "tok_x", NOW, 10), "ses_x1", "a token tied to nobody: its own");
    cr_expect_str_eq(session_ids("", "tok_a", NOW, 10), "ses_a3");
    cr_expect_str_eq(session_ids("sta_nobody", "", NOW, 10), "");

    struct store_conn *c = reader();
    struct session_row *s = NULL;
    int n = 0;
    cr_assert_eq(store_session_list(c, "sta_a", "", NOW, 10, &s, &n), ERR_OK);
    store_reader_release(c);
    cr_assert_eq(n, 3);
    cr_expect_str_eq(s[0].token_id, "tok_a");
    cr_expect_str_eq(s[0].staff_id, "");
    cr_expect_str_eq(s[1].token_id, "");
    cr_expect_str_eq(s[1].staff_id, "sta_a");
    cr_expect_eq(s[1].created_at, NOW - 2 * HOUR);
    cr_expect_eq(s[1].expires_at, NOW - 2 * HOUR + DAY);
    cr_expect_eq(s[1].last_seen_at, NOW - 2 * HOUR);
    cr_expect_str_eq(s[1].user_agent, "agent of ses_a2");
    cr_expect_str_eq(s[1].client, "192.0.2.32");
    unsigned char h[32];
    hash_of(h, 32);
    cr_expect_eq(memcmp(s[1].hash, h, 32), 0);
    free(s);
}

STORE_TEST(accounts, session_end_ends_only_ones_own)
{
    seed_sessions();
    cr_expect_eq(session_end("ses_b1", "sta_a", ""), ERR_NOT_FOUND, "Bo's");
    cr_expect_eq(session_end("ses_x1", "sta_a", ""), ERR_NOT_FOUND, "a token's tied to nobody");
    cr_expect_eq(session_end("ses_nope", "sta_a", ""), ERR_NOT_FOUND);
    cr_expect_eq(session_end("ses_a1", "", "tok_x"), ERR_NOT_FOUND, "a token ends only its own");
    cr_assert_eq(session_end("ses_a2", "sta_a", ""), ERR_OK);
    cr_assert_eq(session_end("ses_a3", "sta_a", ""), ERR_OK, "signed in with her own token");
    cr_expect_eq(session_end("ses_a2", "sta_a", ""), ERR_NOT_FOUND, "ended already");
    cr_assert_eq(session_end("ses_x1", "", "tok_x"), ERR_OK);
    struct token t;
    cr_expect_eq(session_find(32, NOW, &t), ERR_NOT_FOUND);
    cr_expect_eq(session_find(33, NOW, &t), ERR_NOT_FOUND);
    cr_expect_eq(session_find(35, NOW, &t), ERR_NOT_FOUND);
    cr_expect_eq(session_find(31, NOW, &t), ERR_OK);
    cr_expect_eq(session_find(34, NOW, &t), ERR_OK);
}

STORE_TEST(accounts, session_end_all_keeps_the_current_session)
{
    seed_sessions();
    struct w x = {.op = SESSION_END_ALL, .a = "sta_a", .b = "ses_a2"};
    cr_assert_eq(run(&x), ERR_OK);
    cr_expect_eq(x.count, 2, "ses_a1 and the token's ses_a3");
    cr_expect_str_eq(session_ids("sta_a", "", NOW, 10), "ses_a2");
    cr_expect_str_eq(session_ids("sta_b", "", NOW, 10), "ses_b1", "others' stay");
    cr_expect_str_eq(session_ids("", "tok_x", NOW, 10), "ses_x1");

    x = (struct w){.op = SESSION_END_ALL, .a = "sta_a", .b = ""};
    cr_assert_eq(run(&x), ERR_OK);
    cr_expect_eq(x.count, 1, "every one (deactivation)");
    struct token t;
    cr_expect_eq(session_find(32, NOW, &t), ERR_NOT_FOUND);
    cr_expect_eq(token_find(21, NOW, &t), ERR_OK, "the token itself stays");
}

STORE_TEST(accounts, session_touch_keeps_last_seen_within_a_minute)
{
    seed_sessions();
    int64_t seen = NOW - 3 * HOUR;
    struct token t;
    cr_assert_eq(run(&(struct w){.op = SESSION_TOUCH, .a = "ses_a1", .t = seen + 59999}), ERR_OK);
    cr_assert_eq(session_find(31, NOW, &t), ERR_OK);
    cr_expect_eq(t.session_last_seen_at, seen, "within the minute: a no-op");
    cr_assert_eq(run(&(struct w){.op = SESSION_TOUCH, .a = "ses_a1", .t = NOW}), ERR_OK);
    cr_assert_eq(session_find(31, NOW, &t), ERR_OK);
    cr_expect_eq(t.session_last_seen_at, NOW);
    cr_assert_eq(session_find(32, NOW, &t), ERR_OK);
    cr_expect_eq(t.session_last_seen_at, NOW - 2 * HOUR, "only that session");
    cr_expect_eq(run(&(struct w){.op = SESSION_TOUCH, .a = "ses_nobody", .t = NOW}), ERR_OK);
}

STORE_TEST(accounts, session_purge_takes_expired_sessions_of_both_kinds)
{
    seed_sessions();
    struct w x = {.op = SESSION_PURGE, .t = NOW - 2 * HOUR + DAY, .limit = 100};
    cr_assert_eq(run(&x), ERR_OK);
    cr_expect_eq(x.count, 2, "ses_a1 and ses_a2 ran out");
    cr_expect_str_eq(session_ids("sta_a", "", NOW, 10), "ses_a3");
}

/* ==== failed sign-ins ==== */

STORE_TEST(accounts, login_failure_times_are_newest_first_within_the_window)
{
    const char *k = "email:anna@example.com";
    int64_t at[] = {NOW - 20 * 60000, NOW - 15 * 60000, NOW - 10 * 60000, NOW - 60000, NOW - 60000, NOW};
    for (int i = 0; i < 6; i++) cr_assert_eq(failure_add(k, at[i]), ERR_OK);
    cr_assert_eq(failure_add("addr:192.0.2.1", NOW), ERR_OK);

    struct store_conn *c = reader();
    int64_t times[8];
    int n = -1;
    cr_assert_eq(store_login_failure_times(c, k, NOW - 15 * 60000, 8, times, &n), ERR_OK);
    cr_assert_eq(n, 4, "after since, not at it");
    cr_expect_eq(times[0], NOW);
    cr_expect_eq(times[1], NOW - 60000);
    cr_expect_eq(times[2], NOW - 60000, "two at one instant are two");
    cr_expect_eq(times[3], NOW - 10 * 60000);
    cr_assert_eq(store_login_failure_times(c, k, 0, 2, times, &n), ERR_OK);
    cr_assert_eq(n, 2, "at most max, the newest");
    cr_expect_eq(times[0], NOW);
    cr_expect_eq(times[1], NOW - 60000);
    cr_assert_eq(store_login_failure_times(c, "email:bo@example.com", 0, 8, times, &n), ERR_OK);
    cr_expect_eq(n, 0);
    store_reader_release(c);
}

STORE_TEST(accounts, login_failures_are_cleared_per_key_and_purged_by_age)
{
    cr_assert_eq(failure_add("email:a", NOW - HOUR), ERR_OK);
    cr_assert_eq(failure_add("email:a", NOW), ERR_OK);
    cr_assert_eq(failure_add("addr:x", NOW - 2 * HOUR), ERR_OK);
    cr_assert_eq(failure_add("addr:x", NOW - HOUR), ERR_OK);
    cr_assert_eq(failure_add("addr:x", NOW), ERR_OK);
    cr_assert_eq(run(&(struct w){.op = FAILURE_CLEAR, .a = "email:a"}), ERR_OK);

    struct store_conn *c = reader();
    int64_t times[8];
    int n = -1;
    cr_assert_eq(store_login_failure_times(c, "email:a", 0, 8, times, &n), ERR_OK);
    cr_expect_eq(n, 0, "cleared");
    cr_assert_eq(store_login_failure_times(c, "addr:x", 0, 8, times, &n), ERR_OK);
    cr_expect_eq(n, 3, "another key's stay");
    store_reader_release(c);

    struct w x = {.op = FAILURE_PURGE, .t = NOW - HOUR, .limit = 1};
    cr_assert_eq(run(&x), ERR_OK);
    cr_expect_eq(x.count, 1);
    x.limit = 100;
    cr_assert_eq(run(&x), ERR_OK);
    cr_expect_eq(x.count, 1, "at or before `before`");
    cr_assert_eq(run(&x), ERR_OK);
    cr_expect_eq(x.count, 0);
    c = reader();
    cr_assert_eq(store_login_failure_times(c, "addr:x", 0, 8, times, &n), ERR_OK);
    cr_assert_eq(n, 1);
    cr_expect_eq(times[0], NOW);
    store_reader_release(c);
}

/* ==== the audit log ==== */

static enum err audit(const char *id, int64_t at, const char *type, const char *actor, const char *details)
{
    struct audit_row a = {.at = at, .details = (char *)details};
    snprintf(a.id, sizeof a.id, "%s", id);
    snprintf(a.type, sizeof a.type, "%s", type);
    snprintf(a.actor, sizeof a.actor, "%s", actor ? actor : "");
    snprintf(a.client, sizeof a.client, "%s", actor ? "192.0.2.7" : "");
    return run(&(struct w){.op = AUDIT_ADD, .row = &a});
}

/* The ids audit_list answers for q, comma-separated. */
static const char *audit_ids(struct audit_query q)
{
    static char out[512];
    if (!q.limit) q.limit = 100;
    struct store_conn *c = reader();
    struct audit_row *a = NULL;
    int n = -1;
    cr_assert_eq(store_audit_list(c, &q, &a, &n), ERR_OK);
    store_reader_release(c);
    cr_assert_leq(n, q.limit);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        if (i) strcat(out, ",");
        strcat(out, a[i].id);
    }
    store_audit_rows_free(a, n);
    return out;
}

STORE_TEST(accounts, an_audit_row_comes_back_as_written)
{
    cr_assert_eq(audit("aud_01", NOW, "login.failed", NULL,
                       "{\"method\":\"password\",\"email\":\"anna@example.com\",\"reason\":\"bad_credentials\"}"),
                 ERR_OK);
    cr_assert_eq(audit("aud_02", NOW + 1, "token.created", "sta_admin", "{\"token_id\":\"tok_1\",\"name\":\"é\"}"),
                 ERR_OK);
    struct store_conn *c = reader();
    struct audit_row *a = NULL;
    int n = 0;
    cr_assert_eq(store_audit_list(c, &(struct audit_query){.limit = 10}, &a, &n), ERR_OK);
    store_reader_release(c);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(a[0].id, "aud_02");
    cr_expect_eq(a[0].at, NOW + 1);
    cr_expect_str_eq(a[0].type, "token.created");
    cr_expect_str_eq(a[0].actor, "sta_admin");
    cr_expect_str_eq(a[0].client, "192.0.2.7");
    cr_expect_str_eq(a[0].details, "{\"token_id\":\"tok_1\",\"name\":\"é\"}");
    cr_expect_str_eq(a[1].actor, "", "no actor");
    cr_expect_str_eq(a[1].client, "");
    cr_expect_str_eq(a[1].details,
                     "{\"method\":\"password\",\"email\":\"anna@example.com\",\"reason\":\"bad_credentials\"}");
    store_audit_rows_free(a, n);
}

STORE_TEST(accounts, an_audit_id_is_written_once_and_the_refusal_leaves_the_job_going)
{
    struct audit_row a = {.at = NOW, .type = "logout", .details = "{}"};
    snprintf(a.id, sizeof a.id, "aud_01");
    cr_assert_eq(run(&(struct w){.op = AUDIT_ADD, .row = &a}), ERR_OK);
    cr_expect_eq(run(&(struct w){.op = AUDIT_ADD, .row = &a}), ERR_DUPLICATE);
    cr_expect_eq(run(&(struct w){.op = AUDIT_ADD_TWICE, .row = &a, .a = "aud_02"}), ERR_OK);
    cr_expect_str_eq(audit_ids((struct audit_query){0}), "aud_02,aud_01");
}

STORE_TEST(accounts, audit_list_filters_by_type_prefix_actor_and_time_with_a_cursor)
{
    cr_assert_eq(audit("aud_01", NOW - 3 * HOUR, "login.succeeded", "sta_a", "{}"), ERR_OK);
    cr_assert_eq(audit("aud_02", NOW - 2 * HOUR, "login.failed", NULL, "{}"), ERR_OK);
    cr_assert_eq(audit("aud_03", NOW - 2 * HOUR, "logout", "sta_a", "{}"), ERR_OK);
    cr_assert_eq(audit("aud_04", NOW - HOUR, "token.created", "sta_b", "{}"), ERR_OK);
    cr_assert_eq(audit("aud_05", NOW, "login.failed", "sta_b", "{}"), ERR_OK);
    cr_assert_eq(audit("aud_06", NOW + HOUR, "loginx", "token:tok_1", "{}"), ERR_OK);

    cr_expect_str_eq(audit_ids((struct audit_query){0}), "aud_06,aud_05,aud_04,aud_03,aud_02,aud_01", "newest first");
    cr_expect_str_eq(audit_ids((struct audit_query){.type = "login.failed"}), "aud_05,aud_02", "exact");
    cr_expect_str_eq(audit_ids((struct audit_query){.type = "login"}), "", "exact: no row is just login");
    /* a prefix takes whole dotted words: login and login.*, not loginx or logout */
    cr_expect_str_eq(audit_ids((struct audit_query){.type = "login", .type_prefix = true}),
                     "aud_05,aud_02,aud_01");
    cr_expect_str_eq(audit_ids((struct audit_query){.type = "log", .type_prefix = true}), "");
    cr_expect_str_eq(audit_ids((struct audit_query){.type = "logout", .type_prefix = true}), "aud_03");
    cr_expect_str_eq(audit_ids((struct audit_query){.actor = "sta_a"}), "aud_03,aud_01");
    cr_expect_str_eq(audit_ids((struct audit_query){.actor = "token:tok_1"}), "aud_06");
    cr_expect_str_eq(audit_ids((struct audit_query){.from = NOW - 2 * HOUR, .to = NOW}), "aud_04,aud_03,aud_02",
                     "from inclusive, to exclusive");
    cr_expect_str_eq(audit_ids((struct audit_query){.from = NOW}), "aud_06,aud_05");
    cr_expect_str_eq(audit_ids((struct audit_query){.to = NOW - 2 * HOUR}), "aud_01");
    cr_expect_str_eq(audit_ids((struct audit_query){.type = "login.failed", .actor = "sta_b"}), "aud_05");

    /* pages of two, each after the last id of the one before */
    cr_expect_str_eq(audit_ids((struct audit_query){.limit = 2}), "aud_06,aud_05");
    cr_expect_str_eq(audit_ids((struct audit_query){.limit = 2, .before_id = "aud_05"}), "aud_04,aud_03");
    cr_expect_str_eq(audit_ids((struct audit_query){.limit = 2, .before_id = "aud_03"}), "aud_02,aud_01");
    cr_expect_str_eq(audit_ids((struct audit_query){.limit = 2, .before_id = "aud_01"}), "");
    cr_expect_str_eq(audit_ids((struct audit_query){.limit = 1, .type = "login", .type_prefix = true,
                                                    .before_id = "aud_05"}),
                     "aud_02", "a cursor with a filter");
}
