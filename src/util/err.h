/* err.h: the one error map of opstasks.
 * Every failure a caller can see is one row here: its HTTP status, the API's
 * code string and a default message (libuv's UV_ERRNO_MAP pattern), so the
 * HTTP layer, the docs and the domain cannot drift apart. */
#ifndef OPSTASKS_ERR_H
#define OPSTASKS_ERR_H

#include <stddef.h>

#define ERR_MAP(XX)                                                                          \
    XX(OK, 200, "ok", "ok")                                                                   \
    XX(BAD_JSON, 400, "bad_json", "The request body is not valid JSON")                       \
    XX(BAD_REQUEST, 400, "bad_request", "The request is not well-formed HTTP")                \
    XX(UNAUTHORIZED, 401, "unauthorized", "A valid bearer token is required")                 \
    XX(FORBIDDEN, 403, "forbidden", "Your token's role does not allow this")                  \
    XX(NOT_FOUND, 404, "not_found", "No such resource")                                       \
    XX(METHOD_NOT_ALLOWED, 405, "method_not_allowed", "This method is not allowed here")      \
    XX(INVALID_TRANSITION, 409, "invalid_transition", "This status change is not allowed")    \
    XX(CONFLICT, 409, "conflict", "This conflicts with the current state of another record")   \
    XX(VERSION_CONFLICT, 412, "version_conflict", "The task has changed since that version")  \
    XX(PAYLOAD_TOO_LARGE, 413, "payload_too_large", "The request body is over 1 MiB")         \
    XX(UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type", "The body must be application/json") \
    XX(VALIDATION_FAILED, 422, "validation_failed", "A field is invalid")                     \
    XX(UNKNOWN_CUSTOMER, 422, "unknown_customer", "No such customer")                         \
    XX(UNKNOWN_STAFF, 422, "unknown_staff", "No such active staff member")                    \
    XX(IDEMPOTENCY_CONFLICT, 422, "idempotency_conflict",                                     \
       "This Idempotency-Key was used with a different body")                                 \
    XX(TOO_MANY_REQUESTS, 429, "too_many_requests", "Too many requests; retry after Retry-After seconds") \
    XX(INTERNAL, 500, "internal_error", "Internal error")                                    \
    XX(NOT_IMPLEMENTED, 501, "not_implemented", "This transfer coding is not supported")      \
    XX(UNAVAILABLE, 503, "unavailable", "The server cannot take this request now; try again shortly")

enum err {
#define XX(name, status, code, msg) ERR_##name,
    ERR_MAP(XX)
#undef XX
    ERR__COUNT,
    /* Not an answer: a store op's report that the row its insert was to add
     * exists already (a unique key said so). The op reports it without a
     * failed statement, so the transaction goes on (PostgreSQL aborts a
     * transaction at its first failed statement); the caller decides what it
     * means. Past ERR__COUNT, so one that leaked would answer 500. */
    ERR_DUPLICATE,
    /* Not an answer: a savepoint release's report that a statement of the
     * job failed when its result came back only then (a backend that sends
     * a job's writes without waiting for each): the job was rolled back to
     * its savepoint and answers ERR_INTERNAL; the transaction goes on. */
    ERR_JOB_FAILED
};

/* An error with its detail: which field is to blame and a message for people. */
struct errinfo {
    enum err code;
    char field[64];
    char message[512];
};

int err_http_status(enum err e);
const char *err_code_str(enum err e);
const char *err_default_message(enum err e);

/* Fills e (when not NULL) and returns code, so callers can `return err_set(...)`.
 * field may be NULL; fmt may be NULL for the default message. */
enum err err_set(struct errinfo *e, enum err code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
