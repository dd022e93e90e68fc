/* Unit tests of domain/rule: event types, paths, every condition
 * op, templates, fitting rendered text, round-robin and least-loaded choice,
 * and the chain limit. Event values are built from JSON text with jansson and
 * converted by rule_json_value, as the engine does. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "domain/rule.h"
#include "service/rule_json.h"

static struct rv ctx;

/* An event context like the engine's: the fields, data and customer. */
static void load_ctx(void)
{
    const char *text = "{\"id\": \"evt_1\", \"type\": \"document.rejected\", \"user_id\": \"cus_abc\","
                       " \"occurred_at\": \"2026-06-01T09:30:00.000Z\","
                       " \"data\": {\"document_type\": \"bank_statement\", \"reason\": \"unreadable scan\","
                       "   \"pages\": 3, \"amount\": 12.5, \"urgent\": true, \"note\": null,"
                       "   \"tags\": [\"kyc\", \"retry\", 7], \"nested\": {\"a\": {\"b\": \"deep\"}},"
                       "   \"items\": [{\"name\": \"first\"}, {\"name\": \"second\"}], \"empty\": \"\"},"
                       " \"customer\": {\"id\": \"cus_abc\", \"name\": \"Ada Customer\", \"email\": null,"
                       "   \"owner_id\": \"sta_anna\"}}";
    json_t *j = json_loads(text, 0, NULL);
    cr_assert_not_null(j);
    cr_assert_eq(rule_json_value(j, &ctx), 0);
    json_decref(j);
}

static void free_ctx(void) { rv_clear(&ctx); }

TestSuite(rule, .init = load_ctx, .fini = free_ctx);

/* A condition from its op name and a JSON value text (NULL: no value). */
static struct rule_cond cond(const char *field, const char *op, const char *value)
{
    struct rule_cond c;
    memset(&c, 0, sizeof c);
    snprintf(c.field, sizeof c.field, "%s", field);
    cr_assert_eq(rule_op_parse(op, &c.op), 0, "op %s", op);
    if (value) {
        json_t *j = json_loads(value, JSON_DECODE_ANY, NULL);
        cr_assert_not_null(j, "value %s", value);
        cr_assert_eq(rule_json_value(j, &c.value), 0);
        json_decref(j);
        c.has_value = true;
    }
    return c;
}

static bool holds(const char *field, const char *op, const char *value)
{
    struct rule_cond c = cond(field, op, value);
    struct errinfo e = {0};
    cr_assert_eq(rule_cond_check(&c, "conditions[0].value", &e), ERR_OK, "%s %s %s: %s", field, op,
                 value ? value : "", e.message);
    bool r = rule_cond_matches(&c, &ctx);
    rv_clear(&c.value);
    return r;
}

static enum err check(const char *op, const char *value, struct errinfo *e)
{
    struct rule_cond c = cond("data.x", op, value);
    enum err rc = rule_cond_check(&c, "conditions[2].value", e);
    rv_clear(&c.value);
    return rc;
}

/* ---- event types and paths ----------------------------------------------------- */

Test(rule, event_types_are_dotted_lower_case_words)
{
    cr_expect(rule_event_type_valid("document.rejected"));
    cr_expect(rule_event_type_valid("payment.card_failed.v2"));
    cr_expect(rule_event_type_valid("a1.b_2"));
    cr_expect_not(rule_event_type_valid("document"));
    cr_expect_not(rule_event_type_valid("Document.rejected"));
    cr_expect_not(rule_event_type_valid("document..rejected"));
    cr_expect_not(rule_event_type_valid("document.rejected."));
    cr_expect_not(rule_event_type_valid(".document"));
    cr_expect_not(rule_event_type_valid("1doc.rejected"));
    cr_expect_not(rule_event_type_valid("doc.1rejected"));
    cr_expect_not(rule_event_type_valid("doc-x.rejected"));
    cr_expect_not(rule_event_type_valid(""));
    cr_expect_not(rule_event_type_valid(NULL));
    char longer[200];
    memset(longer, 'a', sizeof longer);
    longer[100] = '.';
    longer[129] = 0;
    cr_expect_not(rule_event_type_valid(longer));
    longer[128] = 0;
    cr_expect(rule_event_type_valid(longer));
}

Test(rule, paths_into_the_event_and_its_customer_are_accepted)
{
    const char *ok[] = {"type", "id", "user_id", "occurred_at", "data.a", "data.a.b-c.d_e", "data.items.0",
                        "customer.id", "customer.name", "customer.email", "customer.owner_id"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct errinfo e = {0};
        cr_expect_eq(rule_path_check(ok[i], "f", &e), ERR_OK, "%s: %s", ok[i], e.message);
    }
}

Test(rule, bad_paths_are_refused_naming_the_field)
{
    const char *bad[] = {"", "data", "data.", "data..a", "data.a.", "data.a b", "customer", "customer.phone",
                         "task.title", "Type", "data.a.{{b}}", ".data.a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct errinfo e = {0};
        cr_expect_eq(rule_path_check(bad[i], "conditions[3].field", &e), ERR_VALIDATION_FAILED, "%s", bad[i]);
        cr_expect_str_eq(e.field, "conditions[3].field", "%s", bad[i]);
    }
    char deep[400] = "data";
    for (int i = 0; i < 16; i++) strcat(deep, ".a");
    struct errinfo e = {0};
    cr_expect_eq(rule_path_check(deep, "f", &e), ERR_VALIDATION_FAILED);
    char longer[300] = "data.";
    memset(longer + 5, 'x', 250);
    longer[255] = 0;
    cr_expect_eq(rule_path_check(longer, "f", &e), ERR_VALIDATION_FAILED);
}

Test(rule, paths_resolve_through_objects_and_array_indexes)
{
    const struct rv *v = rv_get_path(&ctx, "data.nested.a.b");
    cr_assert_not_null(v);
    cr_expect_str_eq(v->s, "deep");
    v = rv_get_path(&ctx, "data.items.1.name");
    cr_assert_not_null(v);
    cr_expect_str_eq(v->s, "second");
    cr_expect_null(rv_get_path(&ctx, "data.items.2.name"));
    cr_expect_null(rv_get_path(&ctx, "data.nested.x"));
    cr_expect_null(rv_get_path(&ctx, "data.reason.more"));
    cr_expect_str_eq(rv_get_path(&ctx, "customer.owner_id")->s, "sta_anna");
    cr_expect_str_eq(rv_get_path(&ctx, "type")->s, "document.rejected");
}

/* ---- ops ----------------------------------------------------------------------- */

Test(rule, eq_and_ne_compare_kind_and_value)
{
    cr_expect(holds("data.document_type", "eq", "\"bank_statement\""));
    cr_expect_not(holds("data.document_type", "eq", "\"passport\""));
    cr_expect(holds("data.pages", "eq", "3"));
    cr_expect(holds("data.pages", "eq", "3.0"));
    cr_expect_not(holds("data.pages", "eq", "\"3\""));
    cr_expect(holds("data.urgent", "eq", "true"));
    cr_expect(holds("data.note", "eq", "null"));
    cr_expect(holds("customer.name", "eq", "\"Ada Customer\""));
    cr_expect_not(holds("data.missing", "eq", "\"x\""));
    cr_expect(holds("data.document_type", "ne", "\"passport\""));
    cr_expect_not(holds("data.document_type", "ne", "\"bank_statement\""));
    cr_expect(holds("data.missing", "ne", "\"x\""));
    cr_expect(holds("data.nested", "ne", "\"x\""));
}

Test(rule, in_and_not_in_look_for_the_value_in_the_list)
{
    cr_expect(holds("data.document_type", "in", "[\"bank_statement\", \"passport\"]"));
    cr_expect_not(holds("data.document_type", "in", "[\"passport\", \"visa\"]"));
    cr_expect(holds("data.pages", "in", "[1, 2, 3]"));
    cr_expect_not(holds("data.missing", "in", "[\"x\"]"));
    cr_expect(holds("data.document_type", "not_in", "[\"passport\", \"visa\"]"));
    cr_expect_not(holds("data.document_type", "not_in", "[\"bank_statement\"]"));
    cr_expect(holds("data.missing", "not_in", "[\"x\"]"));
}

Test(rule, exists_means_present_and_not_null)
{
    cr_expect(holds("data.reason", "exists", NULL));
    cr_expect(holds("data.empty", "exists", NULL));
    cr_expect(holds("data.nested", "exists", NULL));
    cr_expect_not(holds("data.note", "exists", NULL));
    cr_expect_not(holds("data.missing", "exists", NULL));
    cr_expect(holds("data.note", "not_exists", NULL));
    cr_expect(holds("data.missing", "not_exists", NULL));
    cr_expect_not(holds("data.reason", "not_exists", NULL));
}

Test(rule, ordering_ops_compare_numbers_and_strings_of_the_same_kind)
{
    cr_expect(holds("data.pages", "gt", "2"));
    cr_expect_not(holds("data.pages", "gt", "3"));
    cr_expect(holds("data.pages", "gte", "3"));
    cr_expect_not(holds("data.pages", "gte", "3.5"));
    cr_expect(holds("data.amount", "lt", "12.6"));
    cr_expect_not(holds("data.amount", "lt", "12.5"));
    cr_expect(holds("data.amount", "lte", "12.5"));
    cr_expect_not(holds("data.amount", "lte", "12"));
    /* RFC 3339 texts order as time does */
    cr_expect(holds("occurred_at", "gte", "\"2026-06-01T00:00:00Z\""));
    cr_expect(holds("occurred_at", "lt", "\"2026-06-02\""));
    /* another kind or a missing value never orders */
    cr_expect_not(holds("data.pages", "gt", "\"1\""));
    cr_expect_not(holds("data.document_type", "lt", "5"));
    cr_expect_not(holds("data.missing", "lt", "5"));
    cr_expect_not(holds("data.missing", "gte", "\"a\""));
}

Test(rule, contains_finds_substrings_and_array_members)
{
    cr_expect(holds("data.reason", "contains", "\"unreadable\""));
    cr_expect_not(holds("data.reason", "contains", "\"blurry\""));
    cr_expect(holds("data.tags", "contains", "\"retry\""));
    cr_expect(holds("data.tags", "contains", "7"));
    cr_expect_not(holds("data.tags", "contains", "\"other\""));
    cr_expect_not(holds("data.pages", "contains", "3"));
    cr_expect_not(holds("data.missing", "contains", "\"x\""));
}

Test(rule, every_op_name_parses_and_unknown_ones_do_not)
{
    const char *names[] = {"eq", "ne", "in", "not_in", "exists", "not_exists", "gt", "gte", "lt", "lte", "contains"};
    for (int i = 0; i < OP__COUNT; i++) {
        enum rule_op op;
        cr_expect_eq(rule_op_parse(names[i], &op), 0);
        cr_expect_eq((int)op, i);
        cr_expect_str_eq(rule_op_name(op), names[i]);
    }
    enum rule_op op;
    cr_expect_eq(rule_op_parse("EQ", &op), -1);
    cr_expect_eq(rule_op_parse("equals", &op), -1);
    cr_expect_eq(rule_op_parse(NULL, &op), -1);
}

Test(rule, each_op_checks_the_shape_of_its_value)
{
    struct errinfo e = {0};
    cr_expect_eq(check("eq", "\"a\"", &e), ERR_OK);
    cr_expect_eq(check("eq", "null", &e), ERR_OK);
    cr_expect_eq(check("eq", NULL, &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "conditions[2].value");
    cr_expect_eq(check("ne", "[1]", &e), ERR_VALIDATION_FAILED);
    cr_expect_eq(check("contains", "{\"a\": 1}", &e), ERR_VALIDATION_FAILED);
    cr_expect_eq(check("in", "[\"a\", 1, true, null]", &e), ERR_OK);
    cr_expect_eq(check("in", "[]", &e), ERR_VALIDATION_FAILED);
    cr_expect_eq(check("in", "\"a\"", &e), ERR_VALIDATION_FAILED);
    cr_expect_eq(check("not_in", "[[1]]", &e), ERR_VALIDATION_FAILED);
    cr_expect_eq(check("not_in", NULL, &e), ERR_VALIDATION_FAILED);
    cr_expect_eq(check("exists", NULL, &e), ERR_OK);
    cr_expect_eq(check("exists", "true", &e), ERR_VALIDATION_FAILED);
    cr_expect_eq(check("not_exists", "null", &e), ERR_VALIDATION_FAILED);
    cr_expect_eq(check("gt", "5", &e), ERR_OK);
    cr_expect_eq(check("gte", "\"2026-01-01\"", &e), ERR_OK);
    cr_expect_eq(check("lt", "true", &e), ERR_VALIDATION_FAILED);
    cr_expect_eq(check("lte", "null", &e), ERR_VALIDATION_FAILED);
    cr_expect_eq(check("lte", NULL, &e), ERR_VALIDATION_FAILED);
    char big[1024] = "[";
    for (int i = 0; i <= RULE_IN_MAX; i++) strcat(big, i ? ",1" : "1");
    strcat(big, "]");
    cr_expect_eq(check("in", big, &e), ERR_VALIDATION_FAILED);
}

Test(rule, a_rule_matches_only_when_all_its_conditions_hold)
{
    struct rule r;
    memset(&r, 0, sizeof r);
    cr_expect(rule_matches(&r, &ctx), "no conditions: always");
    r.conds[0] = cond("data.document_type", "in", "[\"bank_statement\", \"passport\"]");
    r.conds[1] = cond("customer.owner_id", "eq", "\"sta_anna\"");
    r.n_conds = 2;
    cr_expect(rule_matches(&r, &ctx));
    r.conds[2] = cond("data.pages", "gt", "10");
    r.n_conds = 3;
    cr_expect_not(rule_matches(&r, &ctx));
    rule_clear(&r);
}

/* ---- templates ------------------------------------------------------------------ */

static char *render(const char *tpl, int *missing_n, char *missing, size_t n)
{
    struct buf b = {0};
    int k = rule_template_render(tpl, &ctx, 100000, &b, missing, n);
    if (missing_n) *missing_n = k;
    char *s = buf_take(&b);
    cr_assert_not_null(s);
    return s;
}

Test(rule, templates_fill_in_paths_of_every_scalar_kind)
{
    char missing[128];
    int n;
    char *s = render("Request a new {{data.document_type}} from {{customer.name}}", &n, missing, sizeof missing);
    cr_expect_str_eq(s, "Request a new bank_statement from Ada Customer");
    cr_expect_eq(n, 0);
    free(s);
    s = render("{{ data.pages }} pages, {{data.amount}} EUR, urgent={{data.urgent}}; {{type}} at {{occurred_at}}", &n,
               missing, sizeof missing);
    cr_expect_str_eq(s, "3 pages, 12.5 EUR, urgent=true; document.rejected at 2026-06-01T09:30:00.000Z");
    free(s);
    s = render("{{data.items.0.name}}/{{data.nested.a.b}}", &n, missing, sizeof missing);
    cr_expect_str_eq(s, "first/deep");
    free(s);
    s = render("no placeholders, { single } braces }}", &n, missing, sizeof missing);
    cr_expect_str_eq(s, "no placeholders, { single } braces }}");
    free(s);
}

Test(rule, missing_null_and_structured_values_render_empty_and_are_reported)
{
    char missing[128];
    int n;
    char *s = render("[{{data.missing}}][{{data.note}}][{{data.nested}}][{{customer.email}}][{{data.empty}}]", &n,
                     missing, sizeof missing);
    cr_expect_str_eq(s, "[][][][][]");
    cr_expect_eq(n, 4, "an empty string is a value, the others are not");
    cr_expect_str_eq(missing, "data.missing, data.note, data.nested, customer.email");
    free(s);
    /* the report is cut to fit, never overflows */
    char tiny[8];
    s = render("{{data.missing}}{{data.other}}", &n, tiny, sizeof tiny);
    cr_expect_eq(n, 2);
    cr_expect_lt(strlen(tiny), sizeof tiny);
    free(s);
}

Test(rule, template_check_refuses_unclosed_braces_and_bad_paths)
{
    struct errinfo e = {0};
    cr_expect_eq(rule_template_check("Hello {{customer.name}}", "task.title", &e), ERR_OK);
    cr_expect_eq(rule_template_check("plain", "task.title", &e), ERR_OK);
    cr_expect_eq(rule_template_check("{{ data.a }}{{data.b}}", "task.title", &e), ERR_OK);
    cr_expect_eq(rule_template_check("Hello {{customer.name", "task.title", &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "task.title");
    cr_expect_eq(rule_template_check("{{customer.phone}}", "task.description", &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "task.description");
    cr_expect_eq(rule_template_check("{{}}", "task.title", &e), ERR_VALIDATION_FAILED);
    cr_expect_eq(rule_template_check("{{data.a {{data.b}}", "task.title", &e), ERR_VALIDATION_FAILED);
    cr_expect_eq(rule_template_check("{{data.a}} and {{data", "task.title", &e), ERR_VALIDATION_FAILED);
}

Test(rule, rendered_text_is_fitted_to_a_task_field)
{
    char s[64] = "  line one\nline\ttwo\x01  ";
    cr_expect_not(rule_text_fit(s, false, 200));
    cr_expect_str_eq(s, "line one line two");
    char d[64] = " keep\nnew\tlines\x7f ";
    rule_text_fit(d, true, 200);
    cr_expect_str_eq(d, "keep\nnew\tlines");
    char u[64] = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"; /* four e-acute */
    cr_expect(rule_text_fit(u, false, 3));
    cr_expect_str_eq(u, "\xc3\xa9\xc3\xa9\xc3\xa9", "cut on a character boundary");
    /* a right-to-left override and an isolate from the event's data, and a C1 control */
    char b[64] = "invoice \xe2\x80\xaegpj.exe\xe2\x81\xa6 x\xc2\x85y";
    cr_expect_not(rule_text_fit(b, false, 200));
    cr_expect_str_eq(b, "invoice  gpj.exe  x y", "bidi and C1 controls become spaces");
    char w[64] = "ab cd";
    cr_expect(rule_text_fit(w, false, 3));
    cr_expect_str_eq(w, "ab", "no trailing space after a cut");
    char blank[8] = " \t ";
    rule_text_fit(blank, false, 10);
    cr_expect_str_eq(blank, "");
}

/* ---- assignees and chains ---------------------------------------------------------- */

Test(rule, round_robin_goes_around_from_the_stored_position_skipping_inactive_staff)
{
    bool all[3] = {true, true, true};
    cr_expect_eq(rule_pick_round_robin(3, all, 0), 0);
    cr_expect_eq(rule_pick_round_robin(3, all, 1), 1);
    cr_expect_eq(rule_pick_round_robin(3, all, 2), 2);
    cr_expect_eq(rule_pick_round_robin(3, all, 3), 0, "wraps around");
    cr_expect_eq(rule_pick_round_robin(3, all, 3000000001ULL), 1);
    bool middle_off[3] = {true, false, true};
    cr_expect_eq(rule_pick_round_robin(3, middle_off, 1), 2);
    bool last_only[3] = {false, false, true};
    cr_expect_eq(rule_pick_round_robin(3, last_only, 0), 2);
    cr_expect_eq(rule_pick_round_robin(3, last_only, 3), 2);
    bool none[3] = {false, false, false};
    cr_expect_eq(rule_pick_round_robin(3, none, 0), -1);
    cr_expect_eq(rule_pick_round_robin(0, none, 0), -1);
}

Test(rule, a_sequence_of_round_robin_picks_shares_the_work)
{
    bool active[3] = {true, true, true};
    int counts[3] = {0};
    uint64_t next = 0;
    for (int i = 0; i < 9; i++) {
        int p = rule_pick_round_robin(3, active, next);
        counts[p]++;
        next = (uint64_t)p + 1;
    }
    cr_expect(counts[0] == 3 && counts[1] == 3 && counts[2] == 3);
}

Test(rule, least_loaded_takes_the_fewest_active_tasks_ties_to_the_first)
{
    bool all[4] = {true, true, true, true};
    int64_t load[4] = {5, 2, 7, 2};
    cr_expect_eq(rule_pick_least_loaded(4, all, load), 1);
    int64_t tied[4] = {3, 3, 3, 3};
    cr_expect_eq(rule_pick_least_loaded(4, all, tied), 0);
    bool skip[4] = {true, false, true, true};
    cr_expect_eq(rule_pick_least_loaded(4, skip, load), 3, "inactive staff are skipped even when least loaded");
    bool none[4] = {false, false, false, false};
    cr_expect_eq(rule_pick_least_loaded(4, none, load), -1);
}

Test(rule, chains_of_rule_created_tasks_stop_after_three_levels)
{
    cr_expect(rule_chain_allows(0), "an outside event");
    cr_expect(rule_chain_allows(1));
    cr_expect(rule_chain_allows(2));
    cr_expect_not(rule_chain_allows(3), "the event of a third-level task creates nothing");
    cr_expect_not(rule_chain_allows(4));
    cr_expect_not(rule_chain_allows(-1));
}

/* ---- rendering limits ---------------------------------------------------------------- */

Test(rule, rendering_stops_at_the_byte_limit_on_a_character_boundary)
{
    struct buf b = {0};
    char missing[8];
    /* "Ada Customer" repeated: the limit cuts in the middle of the third */
    rule_template_render("{{customer.name}}{{customer.name}}{{customer.name}}{{customer.name}}", &ctx, 30, &b,
                         missing, sizeof missing);
    char *s = buf_take(&b);
    cr_assert_not_null(s);
    cr_expect_str_eq(s, "Ada CustomerAda CustomerAda Cu");
    free(s);
    struct buf u = {0};
    rule_template_render("\xc3\xa9\xc3\xa9{{data.kind}}", &ctx, 3, &u, missing, sizeof missing);
    s = buf_take(&u);
    cr_expect_str_eq(s, "\xc3\xa9", "never half a character");
    free(s);
}
