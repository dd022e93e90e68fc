/* renewal.c: the renewal policy's rules and the threshold arithmetic; see
 * renewal.h. Dates go through dates_to_days/dates_from_days (proleptic
 * Gregorian day numbers), so leap days count like any other day. */
#include "domain/renewal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/dates.h"
#include "domain/sla.h"

static const char *const placeholders[] = {"{kind}", "{customer_name}", "{expires_on}"};

void renewal_policy_default(struct renewal_policy *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->title, sizeof p->title, "Renew {kind} for {customer_name} (expires {expires_on})");
    static const struct renewal_threshold d[] = {
        {90, PRIORITY_LOW, 30, false, 0},
        {60, PRIORITY_MEDIUM, 14, false, 0},
        {30, PRIORITY_HIGH, 7, false, 0},
        {14, PRIORITY_URGENT, 2, true, 24},
    };
    p->n = 4;
    memcpy(p->t, d, sizeof d);
}

static int by_days_desc(const void *a, const void *b)
{
    const struct renewal_threshold *x = a, *y = b;
    return (y->days_before > x->days_before) - (y->days_before < x->days_before);
}

static enum err check_template(const char *s, struct errinfo *e)
{
    size_t chars = task_utf8_length(s);
    if (chars == 0 || chars > RENEWAL_TITLE_MAX_CHARS)
        return err_set(e, ERR_VALIDATION_FAILED, "title", "title must be 1-%d characters", RENEWAL_TITLE_MAX_CHARS);
    bool text = false;
    for (const char *p = s; *p;) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return err_set(e, ERR_VALIDATION_FAILED, "title", "title must not contain control characters");
        if (*p == '{') {
            size_t i = 0;
            while (i < 3 && strncmp(p, placeholders[i], strlen(placeholders[i])) != 0) i++;
            if (i == 3)
                return err_set(e, ERR_VALIDATION_FAILED, "title",
                               "title may use only {kind}, {customer_name} and {expires_on}");
            p += strlen(placeholders[i]);
            text = true;
            continue;
        }
        if (*p == '}')
            return err_set(e, ERR_VALIDATION_FAILED, "title", "title has a '}' that closes no placeholder");
        if (*p != ' ') text = true;
        p++;
    }
    if (!text) return err_set(e, ERR_VALIDATION_FAILED, "title", "title must not be blank");
    return ERR_OK;
}

enum err renewal_policy_validate(struct renewal_policy *p, struct errinfo *e)
{
    enum err rc = check_template(p->title, e);
    if (rc != ERR_OK) return rc;
    if (p->n < 1) return err_set(e, ERR_VALIDATION_FAILED, "thresholds", "thresholds must have at least one threshold");
    if (p->n > RENEWAL_MAX_THRESHOLDS)
        return err_set(e, ERR_VALIDATION_FAILED, "thresholds", "thresholds may have at most %d thresholds",
                       RENEWAL_MAX_THRESHOLDS);
    char field[64];
    for (int i = 0; i < p->n; i++) {
        const struct renewal_threshold *t = &p->t[i];
        if (t->days_before < 1 || t->days_before > RENEWAL_DAYS_MAX) {
            snprintf(field, sizeof field, "thresholds[%d].days_before", i);
            return err_set(e, ERR_VALIDATION_FAILED, field, "days_before must be a whole number from 1 to %d",
                           RENEWAL_DAYS_MAX);
        }
        if (t->due_in_days < 0 || t->due_in_days > RENEWAL_DAYS_MAX) {
            snprintf(field, sizeof field, "thresholds[%d].due_in_days", i);
            return err_set(e, ERR_VALIDATION_FAILED, field, "due_in_days must be a whole number from 0 to %d",
                           RENEWAL_DAYS_MAX);
        }
        if (t->priority < PRIORITY_LOW || t->priority >= PRIORITY__COUNT) {
            snprintf(field, sizeof field, "thresholds[%d].priority", i);
            return err_set(e, ERR_VALIDATION_FAILED, field, "priority must be LOW, MEDIUM, HIGH or URGENT");
        }
        if (t->has_sla && task_validate_sla_hours(t->sla_hours, e) != ERR_OK) {
            snprintf(e->field, sizeof e->field, "thresholds[%d].sla_hours", i);
            return ERR_VALIDATION_FAILED;
        }
        for (int j = 0; j < i; j++)
            if (p->t[j].days_before == t->days_before) {
                snprintf(field, sizeof field, "thresholds[%d].days_before", i);
                return err_set(e, ERR_VALIDATION_FAILED, field, "days_before %d appears twice", t->days_before);
            }
    }
    qsort(p->t, (size_t)p->n, sizeof p->t[0], by_days_desc);
    for (int i = 1; i < p->n; i++)
        if (p->t[i].priority < p->t[i - 1].priority)
            return err_set(e, ERR_VALIDATION_FAILED, "thresholds",
                           "priorities must not fall as expiry nears: %d days before is %s, %d days before is %s",
                           p->t[i - 1].days_before, task_priority_name(p->t[i - 1].priority), p->t[i].days_before,
                           task_priority_name(p->t[i].priority));
    return ERR_OK;
}

enum err renewal_validate_kind(const char *kind, struct errinfo *e)
{
    size_t n = kind ? strlen(kind) : 0;
    if (n < 1 || n > RENEWAL_KIND_MAX)
        return err_set(e, ERR_VALIDATION_FAILED, "kind", "kind must be 1-%d characters of a-z 0-9 _", RENEWAL_KIND_MAX);
    for (const char *p = kind; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return err_set(e, ERR_VALIDATION_FAILED, "kind", "kind must be 1-%d characters of a-z 0-9 _ (like residence_permit)",
                           RENEWAL_KIND_MAX);
    return ERR_OK;
}

enum err renewal_validate_expires_on(const char *date, struct errinfo *e)
{
    /* years 1900-9999 keep every crossing day a four-digit year */
    if (!date || !dates_valid(date) || strcmp(date, "1900-01-01") < 0)
        return err_set(e, ERR_VALIDATION_FAILED, "expires_on", "expires_on must be a date YYYY-MM-DD from 1900 on");
    return ERR_OK;
}

void renewal_crossing_day(const char *expires_on, int days_before, char out[DATE_SIZE])
{
    dates_from_days(dates_to_days(expires_on) - days_before, out);
}

int renewal_threshold_to_act(const struct renewal_policy *p, const char *expires_on, const char *today, int acted_min)
{
    int64_t left = dates_to_days(expires_on) - dates_to_days(today); /* days until expiry */
    int best = -1;
    for (int i = 0; i < p->n; i++)
        if (p->t[i].days_before < acted_min && left <= p->t[i].days_before &&
            (best < 0 || p->t[i].days_before < p->t[best].days_before))
            best = i;
    return best;
}

void renewal_next_due(const struct renewal_policy *p, const char *expires_on, int acted_min, char out[DATE_SIZE])
{
    int days = -1;
    for (int i = 0; i < p->n; i++)
        if (p->t[i].days_before < acted_min && p->t[i].days_before > days) days = p->t[i].days_before;
    if (days < 0)
        out[0] = 0;
    else
        renewal_crossing_day(expires_on, days, out);
}

int renewal_next_threshold(const struct renewal_policy *p, const char *expires_on, const char *today, int acted_min)
{
    int i = renewal_threshold_to_act(p, expires_on, today, acted_min);
    if (i >= 0) return i;
    for (int k = 0; k < p->n; k++)
        if (p->t[k].days_before < acted_min && (i < 0 || p->t[k].days_before > p->t[i].days_before)) i = k;
    return i;
}

void renewal_task_due(const struct renewal_threshold *t, const char *expires_on, const char *today,
                      char out[DATE_SIZE])
{
    int64_t exp = dates_to_days(expires_on), crossing = exp - t->days_before, now = dates_to_days(today);
    int64_t due = (crossing > now ? crossing : now) + t->due_in_days;
    if (due > exp) due = exp;
    dates_from_days(due < now ? now : due, out); /* expired already: due today */
}

int64_t renewal_days_expired(const char *expires_on, const char *today)
{
    return dates_to_days(today) - dates_to_days(expires_on);
}

void renewal_threshold_terms(const struct renewal_policy *p, int i, const char *expires_on, const char *today,
                             struct renewal_threshold *out)
{
    *out = p->t[i];
    if (renewal_days_expired(expires_on, today) > 0) out->priority = PRIORITY_URGENT;
}

void renewal_kind_words(const char *kind, char out[RENEWAL_KIND_MAX + 1])
{
    size_t n = 0;
    for (; kind[n] && n < RENEWAL_KIND_MAX; n++) out[n] = kind[n] == '_' ? ' ' : kind[n];
    out[n] = 0;
}

/* Appends s to out (at *len, cap bytes), control characters as spaces. */
static void put(char *out, size_t cap, size_t *len, const char *s)
{
    for (; *s && *len + 1 < cap; s++) out[(*len)++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' : *s;
    out[*len] = 0;
}

void renewal_render_title(const char *tmpl, const char *kind, const char *customer_name, const char *expires_on,
                          char out[RENEWAL_TITLE_SIZE])
{
    /* build into a larger buffer, then trim and cut at a code point */
    char tmp[RENEWAL_TITLE_SIZE * 4];
    size_t len = 0;
    tmp[0] = 0;
    const char *values[] = {kind, customer_name ? customer_name : "", expires_on};
    for (const char *p = tmpl; *p;) {
        int i = -1;
        if (*p == '{')
            for (int k = 0; k < 3 && i < 0; k++)
                if (strncmp(p, placeholders[k], strlen(placeholders[k])) == 0) i = k;
        if (i >= 0) {
            put(tmp, sizeof tmp, &len, values[i]);
            p += strlen(placeholders[i]);
        } else {
            char one[2] = {*p++, 0};
            put(tmp, sizeof tmp, &len, one);
        }
    }
    const char *b = tmp;
    while (*b == ' ') b++;
    size_t n = 0, chars = 0;
    for (const char *q = b; *q && n + 4 < RENEWAL_TITLE_SIZE; q++) {
        if (((unsigned char)*q & 0xC0) != 0x80 && chars++ == RENEWAL_TITLE_MAX_CHARS) break;
        out[n++] = *q;
    }
    while (n > 0 && out[n - 1] == ' ') n--;
    out[n] = 0;
    if (n == 0) snprintf(out, RENEWAL_TITLE_SIZE, "Renew %s", kind);
}

void renewal_escalate(const struct task *t, const struct renewal_threshold *th, const char *due, int64_t now_ms,
                      struct renewal_escalation *out)
{
    memset(out, 0, sizeof *out);
    if (th->priority > t->priority) {
        out->raise_priority = true;
        out->priority = th->priority;
    }
    if (strcmp(due, t->due_date) < 0) {
        out->pull_due = true;
        memcpy(out->due_date, due, DATE_SIZE);
    }
    /* the threshold's hours as given, on a clock restarted now: only when
     * that deadline is sooner than the task's (never relaxing it; compared
     * in plain hours, the calendar is the service's) */
    if (th->has_sla) {
        int64_t target = now_ms + (int64_t)llround(th->sla_hours * 3600000.0);
        if (!t->has_sla || sla_due_at(t) > target) {
            out->set_sla = true;
            out->sla_hours = th->sla_hours;
        }
    }
}

/* "1 day" or "N days" */
static void days_words(int64_t n, char *out, size_t size)
{
    snprintf(out, size, "%lld day%s", (long long)n, n == 1 ? "" : "s");
}

void renewal_render_description(const struct renewal_item *it, const char *customer_name, int days_before,
                                const char *today, char out[RENEWAL_DESCRIPTION_SIZE])
{
    char kind[RENEWAL_KIND_MAX + 1], name[RENEWAL_TITLE_SIZE], span[48];
    renewal_kind_words(it->kind, kind);
    if (kind[0] >= 'a' && kind[0] <= 'z') kind[0] = (char)(kind[0] - 'a' + 'A'); /* it starts the sentence */
    /* the name as a title renders it: control characters out, cut to 200 code points */
    renewal_render_title("{customer_name}", "", customer_name && *customer_name ? customer_name : it->customer_id,
                         "", name);
    int64_t ago = renewal_days_expired(it->expires_on, today);
    if (ago > 0) {
        days_words(ago, span, sizeof span);
        snprintf(out, RENEWAL_DESCRIPTION_SIZE,
                 "%s of %s expired %s ago (on %s). It had already expired when the renewal threshold of %d days "
                 "before expiry acted, so this task is URGENT and due today.\nRenewal item: %s.",
                 kind, name, span, it->expires_on, days_before, it->id);
        return;
    }
    if (ago == 0)
        snprintf(span, sizeof span, "today");
    else {
        char d[32];
        days_words(-ago, d, sizeof d);
        snprintf(span, sizeof span, "in %s", d);
    }
    snprintf(out, RENEWAL_DESCRIPTION_SIZE,
             "%s of %s expires on %s (%s). This task exists because the renewal threshold of %d days before "
             "expiry was crossed.\nRenewal item: %s.",
             kind, name, it->expires_on, span, days_before, it->id);
}
