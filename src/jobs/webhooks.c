/* webhooks.c (jobs): the webhook sender (webhooks.h). One thread drives a
 * libcurl multi handle: it claims due deliveries in one writer job, starts
 * a POST for each, and writes the results of the tries that ended in one
 * writer job per round, so a thousand deliveries cost a few group commits
 * rather than a thousand. It reads the outbox (store_webhook_due, a reader)
 * when the sink wrote to it, when a claim came back full, and once a
 * second (retries come due, other instances write too). */
#include "jobs/webhooks.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/dates.h"
#include "domain/webhook.h"
#include "service/webhooks.h"
#include "store/runtime.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/log.h"

#define IDLE_CHECK_MS 1000 /* how often the outbox is read with nothing else to go by */
#define KICK_WINDOW_MS 500 /* after a kick, read it every round for this long (the commit may lag) */
#define POLL_MS 20
/* Claims come at most this often, and (while tries are in flight) only for
 * a quarter of the room or more: each is a read and a writer job, and a
 * claim per ended try cost more CPU than the tries themselves. */
#define CLAIM_GAP_MS 5
#define CLAIM_MIN (WEBHOOKS_IN_FLIGHT / 4)
/* The sender's niceness: when requests and sending want the same cores, the
 * requests win and the outbox waits (bench/webhooks.py: creates with one
 * webhook at 0.58 of the rate without it at the same priority, on two cores
 * shared with the receiver and wrk). */
#define SENDER_NICE 10

struct flight {
    struct webhook_claim cl;
    char owner[WEBHOOK_OWNER_SIZE];
    CURL *h;
    struct curl_slist *headers, *resolve;
    char *body;
    char resp[WEBHOOK_RESPONSE_MAX + 1];
    size_t resp_len;
    int64_t started_at;
    bool refused; /* the SSRF guard refused the socket's address */
};

struct webhooks_sender {
    struct store *store;
    pthread_t thread;
    atomic_bool stop;
    CURLM *multi;
    char instance[40];
    unsigned long claims;
    struct flight *fl[WEBHOOKS_IN_FLIGHT];
    int n_fl;
    struct webhook_result res[WEBHOOKS_IN_FLIGHT];
    char res_owner[WEBHOOKS_IN_FLIGHT][WEBHOOK_OWNER_SIZE];
    int n_res;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double uniform(void)
{
    uint32_t v;
    ids_random(&v, sizeof v);
    return (double)v / 4294967296.0;
}

/* The answer's first bytes, kept as valid UTF-8 text: a byte that does
 * not belong to a well-formed character (or a NUL) becomes '?'. */
static void clean_utf8(char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        bool ok = len > 0 && i + len <= n && !(len == 2 && c < 0xc2) && !(len == 4 && c > 0xf4);
        for (size_t k = 1; ok && k < len; k++) ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
        if (ok && len == 3) {
            unsigned char d = (unsigned char)s[i + 1];
            ok = !(c == 0xe0 && d < 0xa0) && !(c == 0xed && d >= 0xa0);
        }
        if (ok && len == 4) {
            unsigned char d = (unsigned char)s[i + 1];
            ok = !(c == 0xf0 && d < 0x90) && !(c == 0xf4 && d >= 0x90);
        }
        if (!ok || c == 0) {
            s[i++] = '?';
            continue;
        }
        i += len;
    }
    s[n] = 0;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct flight *f = arg;
    size_t n = size * nmemb, room = WEBHOOK_RESPONSE_MAX - f->resp_len;
    size_t take = n < room ? n : room;
    memcpy(f->resp + f->resp_len, p, take);
    f->resp_len += take;
    return n; /* the rest is read and dropped */
}

/* The SSRF guard at the socket: whatever address curl is about to connect
 * to (a pinned one, a redirect's, a proxy's) must be allowed. */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct flight *f = arg;
    (void)purpose;
    if (!webhooks_allow_private() && !webhook_address_allowed(&a->addr, NULL)) {
        f->refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

static void flight_free(struct flight *f)
{
    if (!f) return;
    if (f->h) curl_easy_cleanup(f->h);
    curl_slist_free_all(f->headers);
    curl_slist_free_all(f->resolve);
    free(f->body);
    free(f->cl.data);
    free(f);
}

/* The result of a try that ended, queued for the next write. */
static void add_result(struct webhooks_sender *w, const struct flight *f, int status, const char *response, int64_t ms)
{
    struct webhook_result *r = &w->res[w->n_res];
    memset(r, 0, sizeof *r);
    memcpy(r->id, f->cl.id, sizeof r->id);
    memcpy(w->res_owner[w->n_res], f->owner, WEBHOOK_OWNER_SIZE);
    int64_t now = clock_now_ms();
    r->attempt.at = f->started_at ? f->started_at : now;
    r->attempt.status_code = status;
    r->attempt.ms = ms;
    snprintf(r->attempt.response, sizeof r->attempt.response, "%s", response);
    if (status >= 200 && status <= 299) {
        r->state = "delivered";
        r->next_at = now;
    } else {
        r->state = webhook_after_failure(f->cl.first_try_at, now, f->cl.tries + 1, uniform(), &r->next_at);
    }
    w->n_res++;
}

static enum err write_results(struct store_conn *c, void *arg)
{
    struct webhooks_sender *w = arg;
    for (int i = 0; i < w->n_res; i++) {
        enum err rc = store_webhook_result(c, w->res_owner[i], &w->res[i]);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

/* Writes the queued results (a failure is logged; the leases then run out
 * and the deliveries are tried again). True when one ended (delivered or
 * failed), so the next of its task may now go. */
static bool flush_results(struct webhooks_sender *w)
{
    if (!w->n_res) return false;
    bool ended = false; /* delivered or failed for good */
    for (int i = 0; i < w->n_res; i++) ended |= strcmp(w->res[i].state, "pending") != 0;
    enum err rc = store_run(w->store, write_results, w);
    if (rc != ERR_OK) log_error("webhooks: cannot record %d tries: %s", w->n_res, err_code_str(rc));
    w->n_res = 0;
    return ended;
}

/* Starts the POST of claim cl; on a refusal (or no memory) its result is
 * queued instead. Takes cl's data. */
static void start(struct webhooks_sender *w, struct webhook_claim *cl, const char *owner)
{
    struct flight *f = calloc(1, sizeof *f);
    if (!f) {
        free(cl->data);
        return; /* the lease runs out and it is tried again */
    }
    f->cl = *cl;
    cl->data = NULL;
    memcpy(f->owner, owner, sizeof f->owner);
    f->started_at = clock_now_ms();
    struct webhook_target target;
    char why[400];
    if (webhooks_url_check(f->cl.url, webhooks_allow_private(), &target, why, sizeof why) != 0) {
        char said[sizeof why + 16];
        snprintf(said, sizeof said, "refused: %s", why);
        add_result(w, f, 0, said, 0);
        flight_free(f);
        return;
    }
    /* the body: {"id", "type", "occurred_at", "data"} */
    char ts[40], unix_s[24], sig[WEBHOOK_SIGNATURE_SIZE] = "";
    dates_format_ts(f->cl.occurred_at, ts, sizeof ts);
    struct buf b = {0};
    buf_puts(&b, "{\"id\":");
    buf_json_string(&b, f->cl.id);
    buf_puts(&b, ",\"type\":");
    buf_json_string(&b, f->cl.event_type);
    buf_puts(&b, ",\"occurred_at\":");
    buf_json_string(&b, ts);
    buf_puts(&b, ",\"data\":");
    buf_puts(&b, f->cl.data ? f->cl.data : "{}");
    buf_putc(&b, '}');
    size_t len = b.len;
    f->body = buf_take(&b);
    snprintf(unix_s, sizeof unix_s, "%lld", (long long)(f->started_at / 1000));
    if (f->body) webhook_sign(f->cl.secret, unix_s, f->body, len, sig);
    char h1[80], h2[80], h3[80], h4[120];
    snprintf(h1, sizeof h1, "X-Opstasks-Event: %s", f->cl.event_type);
    snprintf(h2, sizeof h2, "X-Opstasks-Delivery: %s", f->cl.id);
    snprintf(h3, sizeof h3, "X-Opstasks-Timestamp: %s", unix_s);
    snprintf(h4, sizeof h4, "X-Opstasks-Signature: %s", sig);
    const char *hs[] = {"Content-Type: application/json", "User-Agent: opstasks-webhooks", "Expect:", h1, h2, h3, h4};
    bool ok = f->body && (f->h = curl_easy_init()) != NULL;
    for (size_t i = 0; ok && i < sizeof hs / sizeof hs[0]; i++) {
        struct curl_slist *l = curl_slist_append(f->headers, hs[i]);
        if (!l) ok = false;
        else f->headers = l;
    }
    if (ok && target.resolve[0] && !(f->resolve = curl_slist_append(NULL, target.resolve))) ok = false;
    if (ok) {
        CURL *h = f->h;
        curl_easy_setopt(h, CURLOPT_URL, f->cl.url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)WEBHOOKS_TIMEOUT_MS);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)WEBHOOKS_TIMEOUT_MS);
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, f->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, f->headers);
        if (f->resolve) curl_easy_setopt(h, CURLOPT_RESOLVE, f->resolve);
        curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
        curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, f);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
        curl_easy_setopt(h, CURLOPT_PRIVATE, f);
        curl_easy_setopt(h, CURLOPT_PROXY, ""); /* no proxy from the environment */
        ok = curl_multi_add_handle(w->multi, h) == CURLM_OK;
    }
    if (!ok) {
        add_result(w, f, 0, "error: out of memory starting the request", 0);
        flight_free(f);
        return;
    }
    w->fl[w->n_fl++] = f;
}

/* Takes the tries that ended off the multi handle, queueing their results. */
static void reap(struct webhooks_sender *w)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(w->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        struct flight *f = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&f);
        if (!f) continue;
        CURLcode code = m->data.result;
        curl_off_t us = 0;
        curl_easy_getinfo(f->h, CURLINFO_TOTAL_TIME_T, &us);
        long status = 0;
        char response[WEBHOOK_RESPONSE_MAX + 1];
        if (code == CURLE_OK) {
            curl_easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &status);
            clean_utf8(f->resp, f->resp_len);
            snprintf(response, sizeof response, "%s", f->resp);
        } else if (f->refused) {
            snprintf(response, sizeof response, "refused: the address is an internal one (see --webhook-allow-private)");
        } else {
            snprintf(response, sizeof response, "error: %s", curl_easy_strerror(code));
        }
        curl_multi_remove_handle(w->multi, f->h);
        add_result(w, f, code == CURLE_OK ? (int)status : 0, response, (int64_t)(us / 1000));
        for (int i = 0; i < w->n_fl; i++)
            if (w->fl[i] == f) {
                w->fl[i] = w->fl[--w->n_fl];
                break;
            }
        flight_free(f);
    }
}

struct claim_job {
    struct webhooks_sender *w;
    char owner[WEBHOOK_OWNER_SIZE];
    int limit;
    struct webhook_claim *out;
    int n;
};

static enum err claim_run(struct store_conn *c, void *arg)
{
    struct claim_job *j = arg;
    int64_t now = clock_now_ms();
    return store_webhook_claim(c, j->owner, now, now + WEBHOOKS_LEASE_MS, j->limit, &j->out, &j->n);
}

/* Claims and starts what is due, as room allows; true when the claim came
 * back full (more may be waiting). */
static bool claim(struct webhooks_sender *w)
{
    int room = WEBHOOKS_IN_FLIGHT - w->n_fl - w->n_res;
    if (room <= 0) return false;
    struct store_conn *c = store_reader_acquire(w->store);
    if (!c) return false;
    bool due = false;
    enum err rc = store_webhook_due(c, clock_now_ms(), &due);
    store_reader_release(c);
    if (rc != ERR_OK || !due) return false;
    struct claim_job j = {.w = w, .limit = room};
    snprintf(j.owner, sizeof j.owner, "%s:%lu", w->instance, ++w->claims);
    if ((rc = store_run(w->store, claim_run, &j)) != ERR_OK) {
        store_webhook_claims_free(j.out, j.n);
        return false;
    }
    /* never more than the room (a backend answering more would overrun
     * the flights; the rest wait for their leases to run out) */
    for (int i = 0; i < j.n && w->n_fl + w->n_res < WEBHOOKS_IN_FLIGHT; i++) start(w, &j.out[i], j.owner);
    if (j.n > room) log_error("webhooks: a claim of %d answered %d deliveries", room, j.n);
    store_webhook_claims_free(j.out, j.n);
    return j.n == room;
}

static void *run(void *arg)
{
    struct webhooks_sender *w = arg;
    /* Linux: a thread's own niceness, by its thread id (a failure leaves it as it is) */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), SENDER_NICE) != 0) log_info("webhooks: sender at normal priority");
    int64_t last_check = 0, kick_until = 0;
    bool more = false;
    while (!atomic_load(&w->stop)) {
        int64_t now = mono_ms();
        if (webhooks_kicked()) kick_until = now + KICK_WINDOW_MS;
        int room = WEBHOOKS_IN_FLIGHT - w->n_fl - w->n_res;
        bool worth = room > 0 && (w->n_fl == 0 || room >= CLAIM_MIN) && now - last_check >= CLAIM_GAP_MS;
        if (worth && (more || now < kick_until || now - last_check >= IDLE_CHECK_MS)) {
            last_check = now;
            more = claim(w);
        }
        int running = 0;
        curl_multi_perform(w->multi, &running);
        reap(w);
        if (w->n_res && flush_results(w)) kick_until = mono_ms() + KICK_WINDOW_MS; /* a task's next may go */
        if (!more || w->n_fl) curl_multi_poll(w->multi, NULL, 0, more ? CLAIM_GAP_MS : POLL_MS, NULL);
    }
    for (int i = 0; i < w->n_fl; i++) {
        curl_multi_remove_handle(w->multi, w->fl[i]->h);
        flight_free(w->fl[i]);
    }
    w->n_fl = 0;
    flush_results(w);
    return NULL;
}

struct webhooks_sender *webhooks_sender_start(struct store *s)
{
    struct webhooks_sender *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->store = s;
    ids_new("snd_", clock_now_ms(), w->instance, sizeof w->instance);
    if (!(w->multi = curl_multi_init())) {
        free(w);
        return NULL;
    }
    curl_multi_setopt(w->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)WEBHOOKS_IN_FLIGHT);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        curl_multi_cleanup(w->multi);
        free(w);
        return NULL;
    }
    return w;
}

void webhooks_sender_stop(struct webhooks_sender *w)
{
    if (!w) return;
    atomic_store(&w->stop, true);
    curl_multi_wakeup(w->multi);
    pthread_join(w->thread, NULL);
    curl_multi_cleanup(w->multi);
    free(w);
}
