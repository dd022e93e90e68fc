/* Unit tests of util/err, the one error map: each code has its own API
 * string, a non-empty message and the HTTP status the API documents; the
 * lookups agree with the ERR_MAP rows they are built from; a code outside
 * the map (a backend's -1, ERR__COUNT) answers as an internal error; every
 * failure is a row of docs/api.md's error table with its status; and err_set
 * fills the detail a reply sends. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* The map as err.h spells it, row by row, for the lookups to be checked against. */
static const struct {
    enum err e;
    const char *name;
    int status;
    const char *code, *message;
} rows[] = {
#define XX(name, status, code, msg) {ERR_##name, #name, status, code, msg},
    ERR_MAP(XX)
#undef XX
};
#define N_ROWS (sizeof rows / sizeof rows[0])

Test(err, the_enum_numbers_the_map_rows_in_order)
{
    cr_assert_eq(N_ROWS, (size_t)ERR__COUNT);
    for (size_t i = 0; i < N_ROWS; i++) cr_expect_eq((size_t)rows[i].e, i, "ERR_%s", rows[i].name);
    cr_expect_eq(ERR_OK, 0, "0 is success, as callers test it");
}

Test(err, lookups_agree_with_the_map)
{
    for (size_t i = 0; i < N_ROWS; i++) {
        cr_expect_eq(err_http_status(rows[i].e), rows[i].status, "ERR_%s", rows[i].name);
        cr_expect_str_eq(err_code_str(rows[i].e), rows[i].code, "ERR_%s", rows[i].name);
        cr_expect_str_eq(err_default_message(rows[i].e), rows[i].message, "ERR_%s", rows[i].name);
    }
}

Test(err, every_code_has_its_own_api_string_in_lower_snake_case_and_a_message)
{
    for (size_t i = 0; i < N_ROWS; i++) {
        const char *s = err_code_str(rows[i].e);
        cr_assert_not_null(s, "ERR_%s", rows[i].name);
        cr_expect_gt(strlen(s), 0, "ERR_%s", rows[i].name);
        bool snake = islower((unsigned char)s[0]);
        for (const char *p = s; *p; p++) snake = snake && (islower((unsigned char)*p) || *p == '_');
        cr_expect(snake, "ERR_%s: \"%s\" is not lower_snake_case", rows[i].name, s);
        const char *m = err_default_message(rows[i].e);
        cr_expect(m && m[0], "ERR_%s has no message", rows[i].name);
        for (size_t j = 0; j < i; j++)
            cr_expect_str_neq(s, err_code_str(rows[j].e), "ERR_%s and ERR_%s share \"%s\"", rows[i].name,
                              rows[j].name, s);
    }
}

Test(err, every_failure_is_a_4xx_or_5xx_status)
{
    cr_expect_eq(err_http_status(ERR_OK), 200);
    for (size_t i = 1; i < N_ROWS; i++) {
        int st = err_http_status(rows[i].e);
        cr_expect(st >= 400 && st <= 599, "ERR_%s answers %d", rows[i].name, st);
    }
}

/* What docs/api.md documents for each code: written out here, not derived
 * from the map, so that a wrong status in a row fails this test. */
Test(err, each_documented_code_has_its_status)
{
    static const struct {
        enum err e;
        int status;
        const char *code;
    } want[] = {
        {ERR_OK, 200, "ok"},
        {ERR_BAD_JSON, 400, "bad_json"},
        {ERR_BAD_REQUEST, 400, "bad_request"},
        {ERR_UNAUTHORIZED, 401, "unauthorized"},
        {ERR_FORBIDDEN, 403, "forbidden"},
        {ERR_NOT_FOUND, 404, "not_found"},
        {ERR_METHOD_NOT_ALLOWED, 405, "method_not_allowed"},
        {ERR_INVALID_TRANSITION, 409, "invalid_transition"},
        {ERR_VERSION_CONFLICT, 412, "version_conflict"},
        {ERR_PAYLOAD_TOO_LARGE, 413, "payload_too_large"},
        {ERR_UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type"},
        {ERR_VALIDATION_FAILED, 422, "validation_failed"},
        {ERR_UNKNOWN_CUSTOMER, 422, "unknown_customer"},
        {ERR_UNKNOWN_STAFF, 422, "unknown_staff"},
        {ERR_IDEMPOTENCY_CONFLICT, 422, "idempotency_conflict"},
        {ERR_TOO_MANY_REQUESTS, 429, "too_many_requests"},
        {ERR_INTERNAL, 500, "internal_error"},
        {ERR_NOT_IMPLEMENTED, 501, "not_implemented"},
        {ERR_UNAVAILABLE, 503, "unavailable"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        cr_expect_eq(err_http_status(want[i].e), want[i].status, "%s", want[i].code);
        cr_expect_str_eq(err_code_str(want[i].e), want[i].code);
    }
}

Test(err, a_code_outside_the_map_is_an_internal_error)
{
    const enum err outside[] = {ERR__COUNT, (enum err)(ERR__COUNT + 7), (enum err)-1};
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        cr_expect_eq(err_http_status(outside[i]), 500, "code %d", (int)outside[i]);
        cr_expect_str_eq(err_code_str(outside[i]), "internal_error");
        cr_expect_str_eq(err_default_message(outside[i]), err_default_message(ERR_INTERNAL));
    }
}

Test(err, err_set_fills_the_detail_and_returns_the_code)
{
    struct errinfo e;
    memset(&e, 'x', sizeof e);
    cr_expect_eq(err_set(&e, ERR_VALIDATION_FAILED, "due_date", "due_date %s is not a date", "2026-02-30"),
                 ERR_VALIDATION_FAILED);
    cr_expect_eq(e.code, ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "due_date");
    cr_expect_str_eq(e.message, "due_date 2026-02-30 is not a date");

    cr_expect_eq(err_set(&e, ERR_NOT_FOUND, NULL, NULL), ERR_NOT_FOUND);
    cr_expect_str_eq(e.field, "", "no field: empty, not the last one");
    cr_expect_str_eq(e.message, err_default_message(ERR_NOT_FOUND));

    cr_expect_eq(err_set(NULL, ERR_FORBIDDEN, "x", "ignored"), ERR_FORBIDDEN, "NULL detail: only the code");
}

Test(err, err_set_truncates_a_long_field_and_message)
{
    char longer[1000];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    struct errinfo e;
    err_set(&e, ERR_VALIDATION_FAILED, longer, "%s", longer);
    cr_expect_eq(strlen(e.field), sizeof e.field - 1);
    cr_expect_eq(strlen(e.message), sizeof e.message - 1);
}

/* docs/api.md's error table ("| 422 | `unknown_staff` | ..."), read from the
 * checkout (make runs the tests from its root): each failure of the map is
 * documented with the status it answers. */
Test(err, every_failure_is_in_the_api_docs_error_table_with_its_status)
{
    FILE *f = fopen("docs/api.md", "r");
    cr_assert_not_null(f, "docs/api.md: run from the checkout's root");
    static char doc[1 << 20];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = 0;
    for (size_t i = 1; i < N_ROWS; i++) {
        char row[128];
        snprintf(row, sizeof row, "| %d | `%s` |", rows[i].status, rows[i].code);
        cr_expect_not_null(strstr(doc, row), "docs/api.md has no row \"%s\"", row);
    }
}
