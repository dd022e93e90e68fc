/* records.c: freeing what the store's ops hand their callers (records.h):
 * backend-independent, so a backend may use these as its callers do. */
#include "store/records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool store_task_filter_fits_totals(const struct task_filter *f)
{
    return f->n_assignees == 0 && !f->assignee_none && !f->user_id[0] && !f->q.n && !f->source_mask &&
           !f->completed_from_ms && !f->completed_to_ms && !f->sla_state_mask && f->sla_breached == SLA_FILTER_ANY &&
           !f->sla_at_risk && !f->renewal_id[0] && f->waiting == WAITING_ANY;
}

bool store_task_filter_is_empty(const struct task_filter *f)
{
    return store_task_filter_fits_totals(f) && !f->priority_mask && !f->due_from[0] && !f->due_to[0] &&
           !f->status_mask;
}

/* A task's assignee group, as the migrations' triggers number it: 0 for
 * none, else 1 + the last character's code % 7 (staff ids are ASCII). */
static unsigned assignee_group(const char *id)
{
    size_t n = strlen(id);
    return n ? 1 + (unsigned char)id[n - 1] % 7 : 1;
}

uint64_t store_version_parts(const struct task_filter *f)
{
    enum { OPEN_LATER = 1, OPEN_SOON, IN_PROGRESS_LATER, IN_PROGRESS_SOON, COMPLETED, CANCELLED };
    unsigned m = f->status_mask;
    bool by_assignee = f->n_assignees > 0 || f->assignee_none;
    if (!by_assignee && (!m || m == (1u << TASK_STATUS__COUNT) - 1)) return 0;
    unsigned st = 0; /* bit (1 << s) per status part s */
    if (!m) st = 0x7e; /* 1-6 */
    if (m & (1u << TASK_OPEN)) st |= 1u << OPEN_LATER | 1u << OPEN_SOON;
    if (m & (1u << TASK_IN_PROGRESS)) st |= 1u << IN_PROGRESS_LATER | 1u << IN_PROGRESS_SOON;
    /* overdue: active and due before the server's today, so due soon or past */
    if (m & (1u << TASK_OVERDUE)) st |= 1u << OPEN_SOON | 1u << IN_PROGRESS_SOON;
    if (m & (1u << TASK_COMPLETED)) st |= 1u << COMPLETED;
    if (m & (1u << TASK_CANCELLED)) st |= 1u << CANCELLED;
    unsigned groups = by_assignee ? 0 : 0xff; /* bit (1 << a) per assignee group a */
    if (f->assignee_none) groups |= 1;
    for (int i = 0; i < f->n_assignees; i++) groups |= 1u << assignee_group(f->assignees[i]);
    uint64_t parts = 0;
    for (int s = OPEN_LATER; s <= CANCELLED; s++)
        if (st & (1u << s)) parts |= (uint64_t)groups << (8 * s);
    return parts;
}

int store_version_sql(uint64_t parts, char out[STORE_VERSION_SQL_MAX])
{
    if (!parts) {
        snprintf(out, STORE_VERSION_SQL_MAX, "SELECT v, 1 FROM data_version WHERE id = 1");
        return 1;
    }
    /* at most 32 runs in 64 bits, each at most 72 characters with its separator */
    size_t n = (size_t)snprintf(out, STORE_VERSION_SQL_MAX, "SELECT CAST(sum(v) AS bigint), count(*) FROM (");
    const char *sep = "";
    for (int a = 0; a < 64; a++) {
        if (!(parts >> a & 1)) continue;
        int b = a;
        while (b < 63 && (parts >> (b + 1) & 1)) b++;
        n += (size_t)snprintf(out + n, STORE_VERSION_SQL_MAX - n,
                              "%sSELECT v FROM data_version_parts WHERE part BETWEEN %d AND %d", sep, a, b);
        sep = " UNION ALL ";
        a = b;
    }
    snprintf(out + n, STORE_VERSION_SQL_MAX - n, ") AS p");
    return __builtin_popcountll(parts);
}

int store_task_query_arms(const struct task_query *q, const char *out[4])
{
    if (q->filter.q.n || q->filter.sla_at_risk ||
        (q->sort != SORT_DUE_DATE && q->sort != SORT_DUE_DATE_DESC && q->sort != SORT_PRIORITY))
        return 0;
    unsigned m = q->filter.status_mask;
    bool all = !m || m == (1u << TASK_STATUS__COUNT) - 1;
    int n = 0;
    if (all || m & ((1u << TASK_OPEN) | (1u << TASK_OVERDUE))) out[n++] = "OPEN";
    if (all || m & ((1u << TASK_IN_PROGRESS) | (1u << TASK_OVERDUE))) out[n++] = "IN_PROGRESS";
    if (all || m & (1u << TASK_COMPLETED)) out[n++] = "COMPLETED";
    if (all || m & (1u << TASK_CANCELLED)) out[n++] = "CANCELLED";
    return n > 1 ? n : 0;
}

void store_task_page_free(struct task_page *p)
{
    for (int i = 0; i < p->n; i++) task_clear(&p->items[i]);
    free(p->items);
    memset(p, 0, sizeof *p);
}

void store_history_free(struct history_entry *h, int n)
{
    for (int i = 0; i < n; i++) {
        free(h[i].from_json);
        free(h[i].to_json);
    }
    free(h);
}

void store_comments_free(struct task_comment *a, int n)
{
    for (int i = 0; a && i < n; i++) {
        free(a[i].body);
        free(a[i].mentions);
    }
    free(a);
}

void store_staff_clear(struct staff *st)
{
    free(st->name);
    free(st->email);
    memset(st, 0, sizeof *st);
}

void store_customer_clear(struct customer *cu)
{
    free(cu->name);
    free(cu->email);
    memset(cu, 0, sizeof *cu);
}

void store_rule_rows_free(struct rule_row *r, int n)
{
    for (int i = 0; i < n; i++) free(r[i].definition);
    free(r);
}

void store_event_row_clear(struct event_row *ev)
{
    free(ev->data);
    free(ev->outcome);
    memset(ev, 0, sizeof *ev);
}

void store_event_rows_free(struct event_row *ev, int n)
{
    for (int i = 0; i < n; i++) store_event_row_clear(&ev[i]);
    free(ev);
}

void store_audit_rows_free(struct audit_row *a, int n)
{
    if (!a) return;
    for (int i = 0; i < n; i++) free(a[i].details);
    free(a);
}

void store_webhook_claims_free(struct webhook_claim *a, int n)
{
    if (!a) return;
    for (int i = 0; i < n; i++) free(a[i].data);
    free(a);
}
