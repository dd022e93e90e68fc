/* Unit tests of http/reply.c's error envelope: every error answer is
 * {"error": {"code", "message"[, "field"]}}, also when the message quotes
 * bytes a client sent that are not UTF-8 (found by fuzzing, tests/fuzz/). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

/* The envelope of r's answer: code, message and field (NULL when absent). */
static json_t *envelope(struct request *r, const char **code, const char **message, const char **field)
{
    cr_assert(r->response_ready);
    json_t *j = json_loads(r->resp_body, 0, NULL);
    cr_assert(j, "the answer is not JSON: %s", r->resp_body);
    json_t *err = json_object_get(j, "error");
    *code = json_string_value(json_object_get(err, "code"));
    *message = json_string_value(json_object_get(err, "message"));
    *field = json_string_value(json_object_get(err, "field"));
    cr_assert(*code && *message, "not the error envelope: %s", r->resp_body);
    return j;
}

Test(reply, a_message_quoting_bytes_that_are_not_utf8_keeps_the_envelope)
{
    struct request r = {0};
    /* what jansson says of {"\xe7\x9b\x9e\x8b..."}: it quotes the raw bytes */
    http_reply_err(&r, ERR_BAD_JSON, NULL, "Malformed JSON at line 1, column 5: invalid token near '\"\\%s'",
                   "\xe7\x9b\x9e\x8b\x9e\xdd\xc5\xdf");
    const char *code, *message, *field;
    json_t *j = envelope(&r, &code, &message, &field);
    cr_expect_eq(r.status, 400);
    cr_expect_str_eq(code, "bad_json");
    /* the valid character is kept, each stray byte becomes U+FFFD */
    cr_expect(strstr(message, "'\"\\\xe7\x9b\x9e\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd'"), "%s",
              message);
    json_decref(j);
    free(r.resp_body);
}

Test(reply, a_field_cut_inside_a_character_keeps_the_envelope_and_the_field)
{
    struct request r = {0};
    /* "unknown field '%.100s'" and the 64-byte field cut a long name anywhere */
    char name[200];
    memset(name, 0, sizeof name);
    for (int i = 0; i < 40; i++) memcpy(name + 2 * i, "\xc3\xa9", 2); /* é x 40 = 80 bytes */
    http_reply_err(&r, ERR_VALIDATION_FAILED, name, "unknown field '%.63s'", name);
    const char *code, *message, *field;
    json_t *j = envelope(&r, &code, &message, &field);
    cr_expect_eq(r.status, 422);
    cr_expect_str_eq(code, "validation_failed");
    cr_assert(field, "the field is missing: %s", r.resp_body);
    cr_expect_eq(strncmp(field, name, 62), 0); /* 31 whole characters; the cut one replaced or dropped */
    json_decref(j);
    free(r.resp_body);
}

Test(reply, surrogates_overlong_forms_and_code_points_past_the_last_are_replaced)
{
    static const char *const bad[] = {"\xed\xa0\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
                                      "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct request r = {0};
        http_reply_err(&r, ERR_NOT_FOUND, NULL, "no task tsk_%s", bad[i]);
        const char *code, *message, *field;
        json_t *j = envelope(&r, &code, &message, &field);
        cr_expect_str_eq(code, "not_found");
        cr_expect_eq(strncmp(message, "no task tsk_\xef\xbf\xbd", 15), 0, "%s", message);
        json_decref(j);
        free(r.resp_body);
    }
    struct request r = {0};
    http_reply_err(&r, ERR_NOT_FOUND, NULL, "no task %s", "caf\xc3\xa9 \xf0\x9f\x98\x80"); /* valid: kept */
    const char *code, *message, *field;
    json_t *j = envelope(&r, &code, &message, &field);
    cr_expect_str_eq(message, "no task caf\xc3\xa9 \xf0\x9f\x98\x80");
    json_decref(j);
    free(r.resp_body);
}
