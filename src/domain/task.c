/* task.c: names, copies and field validation of the task model. */
#include "domain/task.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/dates.h"

static const char *status_names[] = {"OPEN", "IN_PROGRESS", "OVERDUE", "COMPLETED", "CANCELLED"};
static const char *priority_names[] = {"LOW", "MEDIUM", "HIGH", "URGENT"};
static const char *source_names[] = {"MANUAL", "RENEWAL", "RULE"};

void task_clear(struct task *t)
{
    free(t->title);
    free(t->description);
    memset(t, 0, sizeof *t);
}

static char *dup_or_null(const char *s, bool *oom)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *oom = true;
    return d;
}

int task_copy(struct task *dst, const struct task *src)
{
    bool oom = false;
    *dst = *src;
    dst->title = dup_or_null(src->title, &oom);
    dst->description = dup_or_null(src->description, &oom);
    if (oom) {
        task_clear(dst);
        return -1;
    }
    return 0;
}

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

bool task_equal(const struct task *a, const struct task *b)
{
    return str_eq(a->title, b->title) && str_eq(a->description, b->description) && a->priority == b->priority &&
           a->status == b->status && strcmp(a->due_date, b->due_date) == 0 && a->has_sla == b->has_sla &&
           (!a->has_sla || a->sla_hours == b->sla_hours) && strcmp(a->assignee_id, b->assignee_id) == 0 &&
           strcmp(a->user_id, b->user_id) == 0;
}

const char *task_status_name(enum task_status s) { return s < TASK_STATUS__COUNT ? status_names[s] : "?"; }
const char *task_priority_name(enum task_priority p) { return p < PRIORITY__COUNT ? priority_names[p] : "?"; }
const char *task_source_name(enum task_source s) { return s < SOURCE__COUNT ? source_names[s] : "?"; }

static int parse_name(const char *s, const char **names, int n)
{
    if (!s) return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

int task_status_parse(const char *s, enum task_status *out)
{
    int i = parse_name(s, status_names, TASK_STATUS__COUNT);
    if (i < 0) return -1;
    *out = (enum task_status)i;
    return 0;
}

int task_priority_parse(const char *s, enum task_priority *out)
{
    int i = parse_name(s, priority_names, PRIORITY__COUNT);
    if (i < 0) return -1;
    *out = (enum task_priority)i;
    return 0;
}

int task_source_parse(const char *s, enum task_source *out)
{
    int i = parse_name(s, source_names, SOURCE__COUNT);
    if (i < 0) return -1;
    *out = (enum task_source)i;
    return 0;
}

int task_priority_rank(enum task_priority p) { return (int)PRIORITY_URGENT - (int)p; }

bool task_status_is_active(enum task_status s)
{
    return s == TASK_OPEN || s == TASK_IN_PROGRESS || s == TASK_OVERDUE;
}

bool task_status_is_final(enum task_status s) { return s == TASK_COMPLETED || s == TASK_CANCELLED; }

enum task_status task_effective_status(const struct task *t, const char *today)
{
    if ((t->status == TASK_OPEN || t->status == TASK_IN_PROGRESS) && strcmp(t->due_date, today) < 0)
        return TASK_OVERDUE;
    return t->status;
}

size_t task_utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

static bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

static bool has_control(const char *s, bool allow_newlines)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == 0x7f) return true;
        if (*p < 0x20 && !(allow_newlines && (*p == '\n' || *p == '\r' || *p == '\t'))) return true;
    }
    return false;
}

/* The bidirectional embeddings, overrides and isolates (U+202A-U+202E,
 * U+2066-U+2069): in a title they reorder what follows them on the page
 * (a name that reads as another), so they are refused like controls. */
static bool has_bidi_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (p[0] == 0xE2 && ((p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE) ||
                             (p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)))
            return true;
    return false;
}

enum err task_validate_title(const char *in, char **out, struct errinfo *e)
{
    *out = NULL;
    if (!in) return err_set(e, ERR_VALIDATION_FAILED, "title", "title is required");
    const char *b = in;
    while (*b && is_space((unsigned char)*b)) b++;
    size_t len = strlen(b);
    while (len > 0 && is_space((unsigned char)b[len - 1])) len--;
    if (len == 0) return err_set(e, ERR_VALIDATION_FAILED, "title", "title must not be empty");
    char *t = strndup(b, len);
    if (!t) return err_set(e, ERR_INTERNAL, NULL, NULL);
    size_t chars = task_utf8_length(t);
    if (chars > TASK_TITLE_MAX_CHARS) {
        free(t);
        return err_set(e, ERR_VALIDATION_FAILED, "title", "title must be at most %d characters (it has %zu)",
                       TASK_TITLE_MAX_CHARS, chars);
    }
    if (has_control(t, false) || has_bidi_control(t)) {
        free(t);
        return err_set(e, ERR_VALIDATION_FAILED, "title", "title must not contain control characters");
    }
    *out = t;
    return ERR_OK;
}

enum err task_validate_description(const char *in, struct errinfo *e)
{
    if (!in) return ERR_OK;
    size_t chars = task_utf8_length(in);
    if (chars > TASK_DESCRIPTION_MAX_CHARS)
        return err_set(e, ERR_VALIDATION_FAILED, "description",
                       "description must be at most %d characters (it has %zu)", TASK_DESCRIPTION_MAX_CHARS, chars);
    if (has_control(in, true))
        return err_set(e, ERR_VALIDATION_FAILED, "description", "description must not contain control characters");
    return ERR_OK;
}

enum err task_validate_due_date(const char *in, struct errinfo *e)
{
    if (!in) return err_set(e, ERR_VALIDATION_FAILED, "due_date", "due_date is required");
    if (!dates_valid(in))
        return err_set(e, ERR_VALIDATION_FAILED, "due_date", "due_date must be a calendar date YYYY-MM-DD");
    return ERR_OK;
}

enum err task_validate_sla_hours(double h, struct errinfo *e)
{
    if (!isfinite(h) || h <= 0 || h > TASK_SLA_HOURS_MAX)
        return err_set(e, ERR_VALIDATION_FAILED, "sla_hours", "sla_hours must be a number > 0 and <= 8760");
    return ERR_OK;
}

enum err task_validate_due_date_range(const char *in, const char *today, struct errinfo *e)
{
    enum err rc = task_validate_due_date(in, e);
    if (rc != ERR_OK) return rc;
    char max[DATE_SIZE + 8];
    int y = atoi(today) + TASK_DUE_DATE_MAX_YEARS;
    snprintf(max, sizeof max, "%04d%.6s", y, today + 4);
    if (!dates_valid(max)) snprintf(max, sizeof max, "%04d%.4s28", y, today + 4); /* 29 February */
    if (strcmp(in, TASK_DUE_DATE_MIN) < 0 || strcmp(in, max) > 0)
        return err_set(e, ERR_VALIDATION_FAILED, "due_date", "due_date must lie between %s and %s",
                       TASK_DUE_DATE_MIN, max);
    return ERR_OK;
}
