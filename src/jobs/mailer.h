/* mailer.h: the email sender, a background thread. It sends what the
 * notifications sink (service/notify.c) left pending and, once a day at
 * the digest time, each person's digest of overdue tasks and tasks due
 * that day, over SMTP with libcurl. Every email is leased in the database
 * before it is sent (store mail_claim), so of several instances exactly
 * one sends it; a failure is retried with backoff, for a day. Nothing here
 * runs on a request's path. */
#ifndef OPSTASKS_JOBS_MAILER_H
#define OPSTASKS_JOBS_MAILER_H

#include "store/store.h"

/* retries: the first about 2 s after a failure, doubling up to an hour
 * (with +-20% jitter); a day after the email was written it is given up */
#define MAILER_RETRY_FIRST_MS 2000
#define MAILER_RETRY_MAX_MS 3600000
#define MAILER_GIVE_UP_MS (24LL * 3600 * 1000)
/* how long a claim holds an email: past one send's own timeout, so a lease
 * only lapses when its instance died */
#define MAILER_LEASE_MS (5 * 60 * 1000)
#define MAILER_SEND_TIMEOUT_S 60
#define MAILER_POLL_MS 2000
#define MAILER_BATCH 20
#define MAILER_DIGEST_TASKS_MAX 100

struct mailer_config {
    const char *smtp_url;     /* smtp://host:port or smtps://host:port (user:password@ allowed) */
    const char *from;         /* the envelope and From address */
    const char *base_url;     /* for links, without a trailing slash */
    int digest_minutes;       /* the digest time, minutes after local midnight */
};

struct mailer;

/* Parses HH:MM (00:00 to 23:59) into minutes; -1 when it is not one. */
int mailer_parse_time(const char *s);

/* A mailer for s (the strings of cfg are copied); NULL when out of memory.
 * mailer_start runs it on its own thread (0, or -1); mailer_free stops the
 * thread, breaking off a send in progress, and frees it. */
struct mailer *mailer_new(struct store *s, const struct mailer_config *cfg);
int mailer_start(struct mailer *m);
void mailer_free(struct mailer *m);

/* Wakes the started mailer now (the sink calls it after writing a
 * notification; it does not block). */
void mailer_wake(void);

/* One round, on the calling thread (tests, and the thread's loop): the
 * digest pass when the digest time of today has come and this mailer has
 * not made today's, then every due email. Returns the emails sent, or -1
 * when the database could not be reached. */
int mailer_run_once(struct mailer *m);

#endif
