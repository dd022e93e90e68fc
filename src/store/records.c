/* records.c: freeing what the store's ops hand their callers (records.h):
 * backend-independent, so a backend may use these as its callers do. */
#include "store/records.h"

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

unsigned store_version_parts(unsigned status_mask)
{
    enum { OPEN_LATER = 1, OPEN_SOON, IN_PROGRESS_LATER, IN_PROGRESS_SOON, COMPLETED, CANCELLED };
    if (!status_mask || status_mask == (1u << TASK_STATUS__COUNT) - 1) return 0;
    unsigned p = 0;
    if (status_mask & (1u << TASK_OPEN)) p |= 1u << OPEN_LATER | 1u << OPEN_SOON;
    if (status_mask & (1u << TASK_IN_PROGRESS)) p |= 1u << IN_PROGRESS_LATER | 1u << IN_PROGRESS_SOON;
    /* overdue: active and due before the server's today, so due soon or past */
    if (status_mask & (1u << TASK_OVERDUE)) p |= 1u << OPEN_SOON | 1u << IN_PROGRESS_SOON;
    if (status_mask & (1u << TASK_COMPLETED)) p |= 1u << COMPLETED;
    if (status_mask & (1u << TASK_CANCELLED)) p |= 1u << CANCELLED;
    return p;
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
