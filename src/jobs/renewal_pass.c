/* renewal_pass.c: one pass of the renewals engine; see renewal_pass.h.
 *
 * Each round lists up to RENEWAL_PASS_BATCH due items on a reader connection
 * (keyset cursor on (next_due, id), so each item is seen once per pass), then
 * hands them to store_run_each, which runs each in its own savepoint in
 * writer jobs the store sizes. Every item is re-read and judged inside the
 * writer's transaction, so listing it outside is safe. */
#include "jobs/renewal_pass.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/dates.h"
#include "util/clock.h"
#include "util/log.h"

/* One round's items, acted on by store_run_each. */
struct round {
    char **ids;  /* borrowed from the round's list */
    int64_t now;
    struct renewal_outcome *out;
    bool *failed;  /* the item's own failure, as opposed to its job's */
};

static void note(struct renewal_pass_report *r, const struct renewal_outcome *o)
{
    if (o->action == RENEWAL_CREATED) {
        if (r->n_created_listed < RENEWAL_PASS_REPORT_MAX) r->created[r->n_created_listed++] = *o;
        r->n_created++;
    } else if (o->action == RENEWAL_ESCALATED) {
        if (r->n_escalated_listed < RENEWAL_PASS_REPORT_MAX) r->escalated[r->n_escalated_listed++] = *o;
        r->n_escalated++;
    }
}

/* One item, in its own savepoint: a failure (or an action another engine
 * took first) undoes this item alone. */
static enum err act_one(struct store_conn *c, void *arg, int i)
{
    struct round *rd = arg;
    struct renewal_policy p;
    enum err rc = store_renewal_policy_get(c, &p);
    if (rc == ERR_OK) rc = service_renewal_act(c, rd->ids[i], &p, rd->now, &rd->out[i]);
    if (rc != ERR_OK) {
        rd->failed[i] = true;
        memset(&rd->out[i], 0, sizeof rd->out[i]);
        log_error("renewals: %s: %s; left for the next pass", rd->ids[i], err_code_str(rc));
    }
    return rc;
}

/* Acts on ids[0..n) and notes what committed. */
static enum err act_on(struct store *s, char **ids, int n, struct renewal_pass_report *r)
{
    struct round rd = {.ids = ids, .now = clock_now_ms(), .out = calloc((size_t)n, sizeof *rd.out),
                       .failed = calloc((size_t)n, sizeof *rd.failed)};
    enum err *results = calloc((size_t)n, sizeof *results);
    enum err ret = ERR_INTERNAL;
    if (rd.out && rd.failed && results) {
        ret = store_run_each(s, n, act_one, &rd, results);
        r->n_examined += n;
        for (int i = 0; i < n; i++) {
            if (results[i] == ERR_OK)
                note(r, &rd.out[i]);
            else if (rd.failed[i])
                r->n_failed++;
        }
    }
    free(rd.out);
    free(rd.failed);
    free(results);
    return ret;
}

enum err renewal_pass_run(struct store *s, struct renewal_pass_report *r)
{
    struct renewal_pass_report *mine = NULL;
    if (!r && !(r = mine = malloc(sizeof *r))) return ERR_INTERNAL;
    memset(r, 0, sizeof *r);
    enum err ret = ERR_OK;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char today[DATE_SIZE], after_due[DATE_SIZE] = "", after_id[EXT_ID_SIZE] = "";
    dates_today(clock_now_ms(), today);
    /* bounded: the cursor only moves forward, over at most every item */
    for (long round = 0; round < 100000000L / RENEWAL_PASS_BATCH && ret == ERR_OK; round++) {
        struct store_conn *c = store_reader_acquire(s);
        char **ids = NULL, **dues = NULL;
        int n = 0;
        ret = c ? store_renewal_due(c, today, after_due, after_id, RENEWAL_PASS_BATCH, &ids, &dues, &n)
                : ERR_INTERNAL;
        store_reader_release(c);
        if (ret != ERR_OK) break;
        if (n > 0) {
            ret = act_on(s, ids, n, r);
            snprintf(after_due, sizeof after_due, "%s", dues[n - 1]);
            snprintf(after_id, sizeof after_id, "%s", ids[n - 1]);
        }
        for (int i = 0; i < n; i++) free(ids[i]), free(dues[i]);
        free(ids);
        free(dues);
        if (n < RENEWAL_PASS_BATCH) break;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (r->n_created || r->n_escalated || r->n_failed)
        log_info("renewals: %ld tasks created, %ld escalated, %ld items examined, %ld failed in %.1f ms",
                 r->n_created, r->n_escalated, r->n_examined, r->n_failed,
                 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    free(mine);
    return ret;
}
