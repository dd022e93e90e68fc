/* csv.c (api): answers as CSV (RFC 4180) for the reports and the audit log. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "util/buf.h"

/* RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled. */
void api_csv_field(struct buf *b, const char *s, bool first)
{
    if (!first) buf_putc(b, ',');
    if (!strpbrk(s, ",\"\r\n")) {
        buf_puts(b, s);
        return;
    }
    buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"') buf_putc(b, '"');
        buf_putc(b, *s);
    }
    buf_putc(b, '"');
}

/* CSV when format=csv or the Accept header asks for text/csv; format=json
 * forces JSON. -1 (and a 422) for any other format. */
int api_wants_csv(struct request *r, struct errinfo *e)
{
    const char *f = http_query(r, "format");
    if (f) {
        if (strcmp(f, "csv") == 0) return 1;
        if (strcmp(f, "json") == 0) return 0;
        err_set(e, ERR_VALIDATION_FAILED, "format", "format must be json or csv");
        return -1;
    }
    const char *accept = http_header(r, MHD_HTTP_HEADER_ACCEPT);
    return accept && strstr(accept, "text/csv") ? 1 : 0;
}

void api_reply_csv(struct request *r, struct buf *b, const char *name)
{
    char disp[96];
    snprintf(disp, sizeof disp, "attachment; filename=\"%s.csv\"", name);
    http_add_header(r, "Content-Disposition", disp);
    http_reply_body(r, 200, buf_take(b), "text/csv; charset=utf-8; header=present");
}

