/* webhooks.c (service): the outbox sink of the webhooks, called in every
 * change's transaction (service/announce.h), and the URL check of the SSRF
 * guard. The sink writes rows and sends nothing: jobs/webhooks.c sends. */
#include "service/webhooks.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "domain/dates.h"
#include "domain/webhook.h"
#include "service/task_json.h"
#include "util/buf.h"

static atomic_bool kicked;
static bool allow_private;

bool webhooks_kicked(void) { return atomic_exchange(&kicked, false); }

void webhooks_set_allow_private(bool allow) { allow_private = allow; }
bool webhooks_allow_private(void) { return allow_private; }

/* Whether some webhook is active, as the change's own transaction sees it:
 * a webhook put before the transaction began gets its events, on every
 * instance (PostgreSQL reads the count once a group transaction, SQLite's
 * read is a few microseconds). */
static enum err some_active(struct store_conn *c, bool *yes)
{
    int64_t n = 0;
    enum err rc = store_webhook_active_count(c, &n);
    *yes = n > 0;
    return rc;
}

static void comment_write(struct buf *b, const struct task_comment *cm)
{
    char ts[40];
    dates_format_ts(cm->created_at, ts, sizeof ts);
    buf_puts(b, "{\"id\":");
    buf_json_string(b, cm->id);
    buf_puts(b, ",\"task_id\":");
    buf_json_string(b, cm->task_id);
    buf_puts(b, ",\"author\":");
    buf_json_string(b, cm->author);
    buf_puts(b, ",\"body\":");
    buf_json_string(b, cm->body ? cm->body : "");
    buf_puts(b, ",\"mentions\":");
    /* the stored mentions are a JSON array the comments API wrote */
    buf_puts(b, cm->mentions && cm->mentions[0] == '[' ? cm->mentions : "[]");
    buf_puts(b, ",\"created_at\":");
    buf_json_string(b, ts);
    buf_putc(b, '}');
}

/* {field: {"from", "to"}} for every field of the task's JSON that differs
 * between before (NULL: an unassigned task not yet there) and after, but
 * the version and updated_at every change moves. */
static void changes_write(struct buf *b, const struct task *before, const struct task *after, int64_t now_ms)
{
    json_t *n = task_json(after, now_ms, TASK_JSON_API), *o = before ? task_json(before, now_ms, TASK_JSON_API) : NULL;
    json_t *ch = json_object();
    if (!n || (before && !o) || !ch) {
        b->oom = true;
        goto out;
    }
    const char *k;
    json_t *v;
    json_object_foreach(n, k, v)
    {
        if (!strcmp(k, "version") || !strcmp(k, "updated_at")) continue;
        json_t *was = o ? json_object_get(o, k) : NULL;
        if (!o && strcmp(k, "assignee_id") != 0) continue; /* created assigned: the assignee alone */
        if (was && json_equal(was, v)) continue;
        json_object_set_new(ch, k, json_pack("{s:O, s:O}", "from", was ? was : json_null(), "to", v));
    }
    char *text = json_dumps(ch, JSON_COMPACT);
    if (!text) b->oom = true;
    else buf_puts(b, text);
    free(text);
out:
    json_decref(n);
    json_decref(o);
    json_decref(ch);
}

enum err webhooks_sink(struct store_conn *c, const struct announcement *a)
{
    bool yes = false;
    enum err rc = some_active(c, &yes);
    if (rc != ERR_OK || !yes) return rc;
    const char *name = announce_type_name(a->type);
    if (!name || !a->task) return ERR_OK;
    struct buf b = {0};
    char today[DATE_SIZE];
    dates_today(a->at, today);
    buf_puts(&b, "{\"task_id\":");
    buf_json_string(&b, a->task->id);
    buf_puts(&b, ",\"task\":");
    task_json_write(&b, a->task, today, a->at, TASK_JSON_API);
    if (a->type == ANN_TASK_UPDATED || a->type == ANN_TASK_ASSIGNED) {
        buf_puts(&b, ",\"changes\":");
        changes_write(&b, a->before, a->task, a->at);
    } else if (a->type == ANN_COMMENT_CREATED && a->comment) {
        buf_puts(&b, ",\"comment\":");
        comment_write(&b, a->comment);
    } else if (a->type == ANN_RENEWAL_TASK_CREATED || a->type == ANN_RENEWAL_TASK_ESCALATED) {
        buf_puts(&b, ",\"renewal_id\":");
        if (a->task->renewal_id[0]) buf_json_string(&b, a->task->renewal_id);
        else buf_puts(&b, "null");
    }
    buf_putc(&b, '}');
    char *data = buf_take(&b);
    if (!data) return ERR_INTERNAL;
    int added = 0;
    rc = store_webhook_outbox_add(c, webhooks_type_bit(a->type), name, a->task->id, a->at, data, a->at, &added);
    free(data);
    if (rc == ERR_OK && added > 0) atomic_store(&kicked, true);
    return rc;
}

/* ---- the URL check ---------------------------------------------------------- */

static int refuse(char *why, size_t n, const char *fmt, const char *arg)
{
    snprintf(why, n, fmt, arg);
    return -1;
}

int webhooks_url_check(const char *url, bool allow, struct webhook_target *out, char *why, size_t n)
{
    out->resolve[0] = 0;
    if (strlen(url) > WEBHOOK_URL_MAX) return refuse(why, n, "url must be at most %s bytes", "2048");
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return refuse(why, n, "url must be an http:// or https:// URL%s", "");
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f) return refuse(why, n, "url must not hold blanks or control characters%s", "");
    CURLU *h = curl_url();
    if (!h) return refuse(why, n, "out of memory%s", "");
    char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *pass = NULL;
    int rc = -1;
    if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        refuse(why, n, "url is not a valid URL%s", "");
        goto out;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        refuse(why, n, "url must be an http:// or https:// URL%s", "");
        goto out;
    }
    if (curl_url_get(h, CURLUPART_USER, &user, 0) == CURLUE_OK || curl_url_get(h, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
        refuse(why, n, "url must not hold a user name or password (the signature authenticates)%s", "");
        goto out;
    }
    /* an IPv6 literal comes bracketed; getaddrinfo wants it bare */
    char bare[300];
    size_t hl = strlen(host);
    bool literal6 = hl >= 2 && host[0] == '[' && host[hl - 1] == ']';
    if (literal6) {
        snprintf(bare, sizeof bare, "%.*s", (int)(hl - 2), host + 1);
        char *pct = strchr(bare, '%'); /* a zone id: link-local, refused below anyway */
        if (pct) *pct = 0;
    } else {
        snprintf(bare, sizeof bare, "%s", host);
    }
    if (hl == 0 || hl >= sizeof bare) {
        refuse(why, n, "url has no usable host%s", "");
        goto out;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int gai = getaddrinfo(bare, port, &hints, &res);
    if (gai != 0 || !res) {
        snprintf(why, n, "url's host %s does not resolve (%s)", bare, gai_strerror(gai));
        goto out;
    }
    struct in6_addr a6;
    struct in_addr a4;
    bool is_literal = literal6 || inet_pton(AF_INET, bare, &a4) == 1 || inet_pton(AF_INET6, bare, &a6) == 1;
    size_t used = 0;
    if (!is_literal) used = (size_t)snprintf(out->resolve, sizeof out->resolve, "%s:%s:", bare, port);
    bool first = true;
    rc = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        const char *wh = NULL;
        char addr[INET6_ADDRSTRLEN] = "";
        const void *src = ai->ai_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                                                    : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
        if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6) inet_ntop(ai->ai_family, src, addr, sizeof addr);
        if (!allow && !webhook_address_allowed(ai->ai_addr, &wh)) {
            snprintf(why, n, "url's host %s resolves to %s, %s: refused (webhooks may not reach internal addresses; "
                     "see --webhook-allow-private)", bare, addr, wh);
            rc = -1;
            break;
        }
        if (!is_literal && addr[0] && used + strlen(addr) + 4 < sizeof out->resolve) {
            /* an IPv6 address in CURLOPT_RESOLVE goes bracketed */
            used += (size_t)snprintf(out->resolve + used, sizeof out->resolve - used,
                                     ai->ai_family == AF_INET6 ? "%s[%s]" : "%s%s", first ? "" : ",", addr);
            first = false;
        }
    }
    freeaddrinfo(res);
    if (rc != 0) out->resolve[0] = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(user);
    curl_free(pass);
    curl_url_cleanup(h);
    return rc;
}
