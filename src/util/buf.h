/* buf.h: a growable byte buffer, and the JSON pieces the hot read paths
 * write straight into it (the task list is serialised by hand: building a
 * jansson tree per row cost ~80% of a 50-row queue request, see
 * bench/RESULTS.md). Allocation failure is sticky: check `oom` once at the end. */
#ifndef OPSTASKS_BUF_H
#define OPSTASKS_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
    char *p;
    size_t len, cap;
    bool oom;
};

void buf_append(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_int(struct buf *b, int64_t v);
/* s as a JSON string literal (quotes included); s must be valid UTF-8. */
void buf_json_string(struct buf *b, const char *s);
/* Hands the NUL-terminated bytes to the caller (who frees them); NULL on oom. */
char *buf_take(struct buf *b);
void buf_free(struct buf *b);

#endif
