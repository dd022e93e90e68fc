/* mail.h: the emails opstasks sends, as whole RFC 5322 messages
 * (multipart/alternative: plain text and HTML). Pure: the mailer
 * (jobs/mailer.c) gathers what a message tells and sends what this makes. */
#ifndef OPSTASKS_DOMAIN_MAIL_H
#define OPSTASKS_DOMAIN_MAIL_H

#include <stddef.h>
#include <stdint.h>

struct mail_task {
    const char *id, *title, *due_date;
};

/* What one email tells. kind: "assigned", "mentioned", "sla_at_risk" or
 * "digest". Strings are borrowed; actor_name may be NULL (the service's own
 * doing); base_url has no trailing slash ("http://host:port"). */
struct mail_content {
    const char *kind;
    const char *from, *to_email, *to_name;
    const char *actor_name;
    const char *task_id, *task_title;  /* not for a digest */
    int64_t sla_due_ms;                /* sla_at_risk: the deadline (0: unknown) */
    const char *day;                   /* digest: the day, YYYY-MM-DD */
    const struct mail_task *tasks;     /* digest: overdue (due before day) and due that day */
    int n_tasks;
    const char *base_url;
    int64_t now_ms;                    /* the Date header */
    const char *unique;                /* for Message-ID and the MIME boundary: [A-Za-z0-9_-] */
};

/* The message with CRLF line ends, NUL-terminated (caller frees); NULL
 * when out of memory or kind is unknown. Header values lose CR, LF and
 * other control characters; a Subject or name with non-ASCII text is
 * encoded (RFC 2047); HTML text is escaped. */
char *mail_render(const struct mail_content *m);
/* The Subject line's text, unencoded, into out[n]. */
void mail_subject(const struct mail_content *m, char *out, size_t n);

#endif
