/* mailer.c: the email sender thread (mailer.h). A round claims due emails
 * in the database (a lease per email), reads what each tells on a reader,
 * renders it (domain/mail.c), sends it with libcurl and records the
 * outcome; between rounds it sleeps until woken by the sink, until the next
 * retry is due or MAILER_POLL_MS (emails another instance wrote). */
#include "jobs/mailer.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "domain/dates.h"
#include "domain/mail.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/log.h"

struct mailer {
    struct store *store;
    char *smtp_url, *from, *base_url;
    int digest_minutes;
    char owner[96];             /* this instance, as the leases name it */
    char digest_day[DATE_SIZE]; /* the day whose digests this mailer added */
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool woken;
    atomic_bool stop;
};

/* The started mailer, for mailer_wake; running_lock keeps a waker from
 * holding a mailer that mailer_free is about to free. */
static struct mailer *running;
static pthread_mutex_t running_lock = PTHREAD_MUTEX_INITIALIZER;

int mailer_parse_time(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':') return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9')) return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), mi = (s[3] - '0') * 10 + (s[4] - '0');
    return h < 24 && mi < 60 ? h * 60 + mi : -1;
}

struct mailer *mailer_new(struct store *s, const struct mailer_config *cfg)
{
    struct mailer *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    /* libcurl counts its inits (7.84 and later): each mailer holds one */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(m);
        return NULL;
    }
    m->store = s;
    m->smtp_url = strdup(cfg->smtp_url);
    m->from = strdup(cfg->from);
    m->base_url = strdup(cfg->base_url);
    m->digest_minutes = cfg->digest_minutes;
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    char id[40];
    ids_new("mlr_", clock_now_ms(), id, sizeof id);
    snprintf(m->owner, sizeof m->owner, "%.40s:%d:%s", host, (int)getpid(), id + 4);
    pthread_mutex_init(&m->lock, NULL);
    clock_cond_init(&m->cond);
    if (!m->smtp_url || !m->from || !m->base_url) {
        mailer_free(m);
        return NULL;
    }
    return m;
}

void mailer_wake(void)
{
    pthread_mutex_lock(&running_lock);
    struct mailer *m = running;
    if (m) {
        pthread_mutex_lock(&m->lock);
        m->woken = true;
        pthread_cond_signal(&m->cond);
        pthread_mutex_unlock(&m->lock);
    }
    pthread_mutex_unlock(&running_lock);
}

/* ---- sending ---- */

struct upload {
    const char *p;
    size_t left;
};

static size_t read_body(char *out, size_t size, size_t nmemb, void *arg)
{
    struct upload *u = arg;
    size_t n = size * nmemb < u->left ? size * nmemb : u->left;
    memcpy(out, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

/* Breaks a send off when the mailer stops. */
static int progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&((struct mailer *)arg)->stop) ? 1 : 0;
}

/* 0 sent; 1 a failure worth retrying; 2 refused for good (a 5xx answer);
 * why says what happened. */
static int smtp_send(struct mailer *m, const char *to, const char *msg, char *why, size_t n)
{
    CURL *h = curl_easy_init();
    if (!h) return snprintf(why, n, "cannot start libcurl"), 1;
    char from[400], rcpt[400], err[CURL_ERROR_SIZE] = "";
    snprintf(from, sizeof from, "<%s>", m->from);
    snprintf(rcpt, sizeof rcpt, "<%s>", to);
    struct curl_slist *list = curl_slist_append(NULL, rcpt);
    struct upload u = {msg, strlen(msg)};
    curl_easy_setopt(h, CURLOPT_URL, m->smtp_url);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, list);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(h, CURLOPT_READDATA, &u);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY); /* STARTTLS when smtp:// offers it */
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)MAILER_SEND_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, m);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(list);
    curl_easy_cleanup(h);
    if (rc == CURLE_OK) return 0;
    snprintf(why, n, "%s%s%s", curl_easy_strerror(rc), err[0] ? ": " : "", err);
    return code >= 500 && code < 600 ? 2 : 1;
}

/* ---- what an email tells ---- */

struct finish {
    struct mail_item item;
    const char *owner;
    const char *state;
    int64_t next_at;
};

static enum err finish_run(struct store_conn *c, void *arg)
{
    struct finish *f = arg;
    return store_mail_finish(c, &f->item, f->owner, f->state, f->next_at);
}

static void finish(struct mailer *m, const struct mail_item *it, const char *state, int64_t next_at)
{
    struct finish f = {.item = *it, .owner = m->owner, .state = state, .next_at = next_at};
    if (store_run(m->store, finish_run, &f) != ERR_OK)
        log_error("mailer: cannot record an email's outcome; its lease lapses and it is sent again");
}

static int64_t retry_delay(int attempts)
{
    int64_t d = MAILER_RETRY_FIRST_MS;
    for (int i = 0; i < attempts && d < MAILER_RETRY_MAX_MS; i++) d *= 2;
    if (d > MAILER_RETRY_MAX_MS) d = MAILER_RETRY_MAX_MS;
    uint32_t r;
    ids_random(&r, sizeof r);
    return d * 8 / 10 + (int64_t)(r % (uint32_t)(d * 4 / 10 + 1)); /* +-20% */
}

/* An address fit for an envelope: printable ASCII or UTF-8, one @, no
 * blank, angle bracket or control character. */
static bool is_plain_address(const char *s)
{
    int at = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>' || *p == '"' || *p == '\\') return false;
        at += *p == '@';
    }
    return at == 1 && strlen(s) < 320;
}

/* The message for it, read on c (caller frees); NULL with *state set to
 * what the email becomes instead: "none" when it has nothing to tell any
 * more (no address, setting off, task gone, nothing due), NULL on a read
 * failure (the lease then lapses and it is tried again). */
static char *compose(struct mailer *m, struct store_conn *c, const struct mail_item *it, char *to, size_t ton,
                     const char **state)
{
    *state = NULL;
    char *msg = NULL;
    struct staff st = {0}, actor = {0};
    struct task t = {0};
    struct digest_task *dts = NULL;
    struct mail_task *mts = NULL;
    int n = 0;
    enum err rc = store_staff_get(c, it->staff_id, &st);
    if (rc != ERR_OK) {
        if (rc == ERR_NOT_FOUND) *state = "none";
        goto done;
    }
    struct notification_settings set;
    if (store_notification_settings_get(c, it->staff_id, &set) != ERR_OK) goto done;
    bool on = it->digest ? set.daily_digest
            : strcmp(it->type, "assigned") == 0 ? set.assigned
            : strcmp(it->type, "mentioned") == 0 ? set.mentioned : set.sla_at_risk;
    if (!st.active || !st.email || !st.email[0] || !on || !is_plain_address(st.email)) {
        *state = "none";
        goto done;
    }
    snprintf(to, ton, "%s", st.email);
    char unique[48];
    ids_new("m", clock_now_ms(), unique, sizeof unique);
    struct mail_content mc = {.kind = it->digest ? "digest" : it->type, .from = m->from, .to_email = st.email,
                              .to_name = st.name, .base_url = m->base_url, .now_ms = clock_now_ms(),
                              .unique = unique};
    if (it->digest) {
        if (store_digest_tasks(c, it->staff_id, it->day, MAILER_DIGEST_TASKS_MAX, &dts, &n) != ERR_OK) goto done;
        if (n == 0) {
            *state = "none"; /* all done since: none when there are none */
            goto done;
        }
        if (!(mts = calloc((size_t)n, sizeof *mts))) goto done;
        for (int i = 0; i < n; i++) mts[i] = (struct mail_task){dts[i].id, dts[i].title, dts[i].due_date};
        mc.day = it->day;
        mc.tasks = mts;
        mc.n_tasks = n;
    } else {
        rc = store_task_get(c, it->task_id, &t);
        if (rc != ERR_OK) {
            if (rc == ERR_NOT_FOUND) *state = "none";
            goto done;
        }
        mc.task_id = t.id;
        mc.task_title = t.title;
        mc.sla_due_ms = t.sla_due_ms;
        if (strncmp(it->actor, "sta_", 4) == 0 && store_staff_get(c, it->actor, &actor) == ERR_OK)
            mc.actor_name = actor.name;
    }
    msg = mail_render(&mc);
done:
    store_staff_clear(&st);
    store_staff_clear(&actor);
    task_clear(&t);
    free(dts);
    free(mts);
    return msg;
}

/* Sends it and records the outcome. Returns the time the email is due
 * again when the SMTP server failed it for now (the rest of the batch then
 * waits as long), else 0. */
static int64_t send_one(struct mailer *m, const struct mail_item *it, int *sent)
{
    char to[320] = "";
    const char *state = NULL;
    struct store_conn *c = store_reader_acquire(m->store);
    if (!c) return 0;
    char *msg = compose(m, c, it, to, sizeof to, &state);
    store_reader_release(c);
    if (!msg) {
        if (state) finish(m, it, state, 0);
        return 0;
    }
    char why[400] = "";
    int rc = smtp_send(m, to, msg, why, sizeof why);
    free(msg);
    int64_t now = clock_now_ms();
    if (rc == 0) {
        finish(m, it, "sent", 0);
        (*sent)++;
    } else if (atomic_load(&m->stop)) {
        finish(m, it, "release", now); /* broken off by the stop: due again at once, not a try */
    } else if (rc == 2 || now - it->created_at >= MAILER_GIVE_UP_MS) {
        log_error("mailer: %s email to %s failed for good: %s", it->type, to, why);
        finish(m, it, "failed", 0);
    } else {
        int64_t delay = retry_delay(it->attempts);
        log_error("mailer: %s email to %s failed (try %d), again in %lld ms: %s", it->type, to, it->attempts + 1,
                  (long long)delay, why);
        finish(m, it, "pending", now + delay);
        return now + delay;
    }
    return 0;
}

/* ---- the round ---- */

struct claim {
    const char *owner;
    int64_t now;
    struct mail_item *items;
    int n;
};

static enum err claim_run(struct store_conn *c, void *arg)
{
    struct claim *k = arg;
    return store_mail_claim(c, k->owner, k->now, k->now + MAILER_LEASE_MS, MAILER_BATCH, &k->items, &k->n);
}

struct digest_batch {
    const char *day;
    int64_t now;
    char (*ids)[EXT_ID_SIZE];
    int n, added;
};

static enum err digest_run(struct store_conn *c, void *arg)
{
    struct digest_batch *d = arg;
    for (int i = 0; i < d->n; i++) {
        enum err rc = store_digest_add(c, d->ids[i], d->day, d->now);
        if (rc == ERR_OK) d->added++;
        else if (rc != ERR_DUPLICATE) return rc;
    }
    return ERR_OK;
}

/* Adds today's digests once the digest time has come: one row per person
 * with something due, whichever instance gets there first. */
static int digest_pass(struct mailer *m)
{
    int64_t now = clock_now_ms();
    char today[DATE_SIZE];
    dates_today(now, today);
    if (strcmp(today, m->digest_day) == 0) return 0;
    time_t t = (time_t)(now / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    if (tm.tm_hour * 60 + tm.tm_min < m->digest_minutes) return 0;
    char ids[100][EXT_ID_SIZE], after[EXT_ID_SIZE] = "";
    int added = 0;
    for (int round = 0; round < 100000; round++) { /* bounded: 10 million people */
        int n = 0;
        struct store_conn *c = store_reader_acquire(m->store);
        if (!c) return -1;
        enum err rc = store_digest_staff(c, today, after, 100, ids, &n);
        store_reader_release(c);
        if (rc != ERR_OK) return -1;
        if (n == 0) break;
        struct digest_batch d = {.day = today, .now = now, .ids = ids, .n = n};
        if (store_run(m->store, digest_run, &d) != ERR_OK) return -1;
        added += d.added;
        memcpy(after, ids[n - 1], EXT_ID_SIZE);
        if (n < 100) break;
    }
    memcpy(m->digest_day, today, DATE_SIZE);
    if (added) log_info("mailer: %d daily digests of %s to send", added, today);
    return 0;
}

/* claim_first: woken by the sink, whose rows a reader may not see yet (it
 * wakes us before its commit); the claim runs on the writer, after it. */
static int run_round(struct mailer *m, bool claim_first)
{
    if (digest_pass(m) != 0) return -1;
    int sent = 0;
    for (int round = 0; round < 1000 && !atomic_load(&m->stop); round++) {
        int64_t due = 0, now = clock_now_ms();
        if (!(claim_first && round == 0)) {
            struct store_conn *c = store_reader_acquire(m->store);
            if (!c) return -1;
            enum err rc = store_mail_next_due(c, &due);
            store_reader_release(c);
            if (rc != ERR_OK) return -1;
            if (due == 0 || due > now) break;
        }
        struct claim k = {.owner = m->owner, .now = now};
        if (store_run(m->store, claim_run, &k) != ERR_OK) return -1;
        /* A failing server holds the rest of the batch back as long as the
         * email it failed (released, not counted as tries); a stop, or a
         * lease too close to its end for another send, releases the rest
         * due at once (for the next round or instance). */
        int64_t hold = 0;
        int i = 0;
        for (; i < k.n && !atomic_load(&m->stop); i++) {
            if (clock_now_ms() + MAILER_SEND_TIMEOUT_S * 1000LL + 10000 > k.now + MAILER_LEASE_MS) break;
            if ((hold = send_one(m, &k.items[i], &sent)) != 0) {
                i++;
                break;
            }
        }
        for (; i < k.n; i++) finish(m, &k.items[i], "release", hold ? hold : clock_now_ms());
        free(k.items);
        if (hold) break;
        if (k.n < MAILER_BATCH) break;
    }
    return sent;
}

int mailer_run_once(struct mailer *m) { return run_round(m, false); }

static void *mailer_main(void *arg)
{
    struct mailer *m = arg;
    bool woken = false;
    while (!atomic_load(&m->stop)) {
        run_round(m, woken);
        int64_t wait = MAILER_POLL_MS, due = 0;
        struct store_conn *c = store_reader_acquire(m->store);
        if (c && store_mail_next_due(c, &due) == ERR_OK && due) {
            int64_t until = due - clock_now_ms();
            if (until < wait) wait = until < 10 ? 10 : until;
        }
        if (c) store_reader_release(c);
        pthread_mutex_lock(&m->lock);
        struct timespec ts = clock_wait_until(wait);
        while (!m->woken && !atomic_load(&m->stop))
            if (pthread_cond_timedwait(&m->cond, &m->lock, &ts) != 0) break;
        woken = m->woken;
        m->woken = false;
        pthread_mutex_unlock(&m->lock);
    }
    return NULL;
}

int mailer_start(struct mailer *m)
{
    if (pthread_create(&m->thread, NULL, mailer_main, m) != 0) return -1;
    m->started = true;
    pthread_mutex_lock(&running_lock);
    running = m;
    pthread_mutex_unlock(&running_lock);
    return 0;
}

void mailer_free(struct mailer *m)
{
    if (!m) return;
    if (m->started) {
        pthread_mutex_lock(&running_lock);
        if (running == m) running = NULL;
        pthread_mutex_unlock(&running_lock);
        pthread_mutex_lock(&m->lock);
        atomic_store(&m->stop, true);
        pthread_cond_signal(&m->cond);
        pthread_mutex_unlock(&m->lock);
        pthread_join(m->thread, NULL);
    }
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->cond);
    curl_global_cleanup();
    free(m->smtp_url);
    free(m->from);
    free(m->base_url);
    free(m);
}
