/* names.c (api): finding customers and staff by name (GET /ops/customers?q=
 * and /ops/staff?q=, the page's pickers): q's words, normalised as the
 * task search's (domain/text.h), each the start of a word of the name. */
#include <stdlib.h>

#include "api/api.h"
#include "domain/text.h"

bool api_name_words(struct request *r, struct text_words *w)
{
    w->n = 0;
    const char *q = http_query(r, "q");
    if (!q) return true;
    switch (text_query_words(q, w)) {
    case TEXT_OK: return true;
    case TEXT_NO_WORDS: http_reply_err(r, ERR_VALIDATION_FAILED, "q", "q must hold at least one word"); break;
    case TEXT_TOO_MANY_WORDS:
        http_reply_err(r, ERR_VALIDATION_FAILED, "q", "q may hold at most %d words", TEXT_WORDS_MAX);
        break;
    default:
        http_reply_err(r, ERR_VALIDATION_FAILED, "q", "each word of q may be at most %d characters", TEXT_WORD_CHARS);
        break;
    }
    return false;
}
