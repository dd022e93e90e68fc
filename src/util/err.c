/* err.c: lookups into the error map of err.h. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    int status;
    const char *code;
    const char *message;
} table[] = {
#define XX(name, status, code, msg) {status, code, msg},
    ERR_MAP(XX)
#undef XX
};

int err_http_status(enum err e) { return e < ERR__COUNT ? table[e].status : 500; }
const char *err_code_str(enum err e) { return e < ERR__COUNT ? table[e].code : "internal_error"; }
const char *err_default_message(enum err e) { return e < ERR__COUNT ? table[e].message : "Internal error"; }

enum err err_set(struct errinfo *e, enum err code, const char *field, const char *fmt, ...)
{
    if (!e) return code;
    e->code = code;
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
    } else {
        snprintf(e->message, sizeof e->message, "%s", err_default_message(code));
    }
    return code;
}
