/* rule.c: the pure half of workflow rules (see rule.h): values, paths,
 * condition ops, templates, assignee choices and the chain limit. */
#include "domain/rule.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- values -------------------------------------------------------------- */

void rv_clear(struct rv *v)
{
    if (!v) return;
    free(v->s);
    for (int i = 0; i < v->len; i++) {
        rv_clear(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    memset(v, 0, sizeof *v);
}

int rv_object_add(struct rv *obj, const char *key, struct rv *item)
{
    obj->kind = RV_OBJECT;
    if (obj->len == obj->cap) { /* doubling: an event's data may have thousands of keys */
        int cap = obj->cap ? obj->cap * 2 : 8;
        struct rv *items = realloc(obj->items, sizeof *items * (size_t)cap);
        if (!items) return -1;
        obj->items = items;
        char **keys = realloc(obj->keys, sizeof *keys * (size_t)cap);
        if (!keys) return -1;
        obj->keys = keys;
        obj->cap = cap;
    }
    char *k = strdup(key);
    if (!k) return -1;
    obj->keys[obj->len] = k;
    obj->items[obj->len] = *item;
    obj->len++;
    memset(item, 0, sizeof *item);
    return 0;
}

int rv_string(struct rv *out, const char *s)
{
    memset(out, 0, sizeof *out);
    if (!s) return 0;
    out->kind = RV_STRING;
    out->s = strdup(s);
    return out->s ? 0 : -1;
}

static bool is_index(const char *seg, size_t n, long *idx)
{
    if (n == 0 || n > 9) return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (seg[i] < '0' || seg[i] > '9') return false;
        v = v * 10 + (seg[i] - '0');
    }
    *idx = v;
    return true;
}

const struct rv *rv_get_path(const struct rv *root, const char *path)
{
    const struct rv *cur = root;
    const char *p = path;
    for (int depth = 0; cur && depth <= RULE_PATH_DEPTH_MAX; depth++) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        const struct rv *next = NULL;
        long idx;
        if (cur->kind == RV_OBJECT) {
            for (int i = 0; i < cur->len && !next; i++)
                if (strlen(cur->keys[i]) == n && memcmp(cur->keys[i], p, n) == 0) next = &cur->items[i];
        } else if (cur->kind == RV_ARRAY && is_index(p, n, &idx) && idx < cur->len) {
            next = &cur->items[idx];
        }
        cur = next;
        if (!dot) return cur;
        p = dot + 1;
    }
    return NULL;
}

static bool is_scalar(const struct rv *v) { return v->kind != RV_ARRAY && v->kind != RV_OBJECT; }

bool rv_equal(const struct rv *a, const struct rv *b)
{
    if (!a || !b || a->kind != b->kind || !is_scalar(a)) return false;
    switch (a->kind) {
    case RV_NULL: return true;
    case RV_BOOL: return a->b == b->b;
    case RV_NUMBER: return a->n == b->n;
    case RV_STRING: return strcmp(a->s, b->s) == 0;
    default: return false;
    }
}

/* ---- names and paths -------------------------------------------------------- */

static bool lower_word(const char *s, size_t n)
{
    if (n == 0 || s[0] < 'a' || s[0] > 'z') return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_')) return false;
    return true;
}

bool rule_event_type_valid(const char *s)
{
    if (!s) return false;
    size_t len = strlen(s);
    if (len > EVENT_TYPE_MAX) return false;
    int words = 0;
    for (const char *p = s;; words++) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (!lower_word(p, n)) return false;
        if (!dot) break;
        p = dot + 1;
    }
    return words >= 1;
}

static bool seg_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

enum err rule_path_check(const char *path, const char *field, struct errinfo *e)
{
    static const char *const top[] = {"type", "id", "user_id", "occurred_at", NULL};
    static const char *const cust[] = {"customer.id", "customer.name", "customer.email", "customer.owner_id", NULL};
    if (!path || !*path) return err_set(e, ERR_VALIDATION_FAILED, field, "%s: a path must not be empty", field);
    if (strlen(path) > RULE_PATH_MAX)
        return err_set(e, ERR_VALIDATION_FAILED, field, "%s: a path is at most %d bytes", field, RULE_PATH_MAX);
    for (int i = 0; top[i]; i++)
        if (strcmp(path, top[i]) == 0) return ERR_OK;
    for (int i = 0; cust[i]; i++)
        if (strcmp(path, cust[i]) == 0) return ERR_OK;
    if (strncmp(path, "data.", 5) == 0) {
        int segs = 0;
        const char *p = path + 5;
        for (;;) {
            const char *q = p;
            while (*q && seg_char(*q)) q++;
            if (q == p || (*q && *q != '.'))
                return err_set(e, ERR_VALIDATION_FAILED, field,
                               "%s: '%.80s' is not a path: segments are A-Z a-z 0-9 _ - separated by dots", field,
                               path);
            if (++segs > RULE_PATH_DEPTH_MAX - 1)
                return err_set(e, ERR_VALIDATION_FAILED, field, "%s: a path has at most %d segments", field,
                               RULE_PATH_DEPTH_MAX);
            if (!*q) return ERR_OK;
            p = q + 1;
        }
    }
    return err_set(e, ERR_VALIDATION_FAILED, field,
                   "%s: unknown path '%.80s'; use type, id, user_id, occurred_at, data.<name>..., customer.id, "
                   "customer.name, customer.email or customer.owner_id",
                   field, path);
}

/* ---- conditions ------------------------------------------------------------- */

static const char *const op_names[] = {"eq", "ne", "in", "not_in", "exists", "not_exists",
                                       "gt", "gte", "lt", "lte", "contains"};

int rule_op_parse(const char *s, enum rule_op *out)
{
    for (int i = 0; s && i < OP__COUNT; i++)
        if (strcmp(s, op_names[i]) == 0) {
            *out = (enum rule_op)i;
            return 0;
        }
    return -1;
}

const char *rule_op_name(enum rule_op op) { return op >= 0 && op < OP__COUNT ? op_names[op] : "?"; }

enum err rule_cond_check(const struct rule_cond *c, const char *field, struct errinfo *e)
{
    const struct rv *v = &c->value;
    switch (c->op) {
    case OP_EXISTS:
    case OP_NOT_EXISTS:
        if (c->has_value)
            return err_set(e, ERR_VALIDATION_FAILED, field, "%s: %s takes no value", field, rule_op_name(c->op));
        return ERR_OK;
    case OP_EQ:
    case OP_NE:
    case OP_CONTAINS:
        if (!c->has_value || !is_scalar(v))
            return err_set(e, ERR_VALIDATION_FAILED, field, "%s: %s needs a string, number, boolean or null value",
                           field, rule_op_name(c->op));
        return ERR_OK;
    case OP_IN:
    case OP_NOT_IN:
        if (!c->has_value || v->kind != RV_ARRAY || v->len < 1 || v->len > RULE_IN_MAX)
            return err_set(e, ERR_VALIDATION_FAILED, field, "%s: %s needs an array of 1-%d values", field,
                           rule_op_name(c->op), RULE_IN_MAX);
        for (int i = 0; i < v->len; i++)
            if (!is_scalar(&v->items[i]))
                return err_set(e, ERR_VALIDATION_FAILED, field,
                               "%s: %s values must be strings, numbers, booleans or null", field, rule_op_name(c->op));
        return ERR_OK;
    case OP_GT:
    case OP_GTE:
    case OP_LT:
    case OP_LTE:
        if (!c->has_value || (v->kind != RV_NUMBER && v->kind != RV_STRING))
            return err_set(e, ERR_VALIDATION_FAILED, field, "%s: %s needs a number or a string value", field,
                           rule_op_name(c->op));
        return ERR_OK;
    default:
        return err_set(e, ERR_VALIDATION_FAILED, field, "%s: unknown op", field);
    }
}

/* -1, 0, 1, or 2 when a and b cannot be ordered (different kinds). */
static int order(const struct rv *a, const struct rv *b)
{
    if (a->kind == RV_NUMBER && b->kind == RV_NUMBER) return a->n < b->n ? -1 : a->n > b->n ? 1 : 0;
    if (a->kind == RV_STRING && b->kind == RV_STRING) {
        int c = strcmp(a->s, b->s);
        return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    return 2;
}

static bool in_list(const struct rv *v, const struct rv *list)
{
    for (int i = 0; i < list->len; i++)
        if (rv_equal(v, &list->items[i])) return true;
    return false;
}

bool rule_cond_matches(const struct rule_cond *c, const struct rv *ctx)
{
    const struct rv *v = rv_get_path(ctx, c->field);
    int o;
    switch (c->op) {
    case OP_EXISTS: return v && v->kind != RV_NULL;
    case OP_NOT_EXISTS: return !v || v->kind == RV_NULL;
    case OP_EQ: return v && rv_equal(v, &c->value);
    case OP_NE: return !v || !rv_equal(v, &c->value);
    case OP_IN: return v && in_list(v, &c->value);
    case OP_NOT_IN: return !v || !in_list(v, &c->value);
    case OP_GT: return v && (o = order(v, &c->value)) == 1;
    case OP_GTE: return v && ((o = order(v, &c->value)) == 1 || o == 0);
    case OP_LT: return v && (o = order(v, &c->value)) == -1;
    case OP_LTE: return v && ((o = order(v, &c->value)) == -1 || o == 0);
    case OP_CONTAINS:
        if (!v) return false;
        if (v->kind == RV_STRING && c->value.kind == RV_STRING) return strstr(v->s, c->value.s) != NULL;
        if (v->kind == RV_ARRAY) return in_list(&c->value, v);
        return false;
    default: return false;
    }
}

bool rule_matches(const struct rule *r, const struct rv *ctx)
{
    for (int i = 0; i < r->n_conds; i++)
        if (!rule_cond_matches(&r->conds[i], ctx)) return false;
    return true;
}

/* ---- templates ---------------------------------------------------------------- */

/* The path between {{ and }} at *p (just after the {{), trimmed, into out.
 * Returns the position after the }}, or NULL when the braces do not close or
 * the path does not fit. */
static const char *read_placeholder(const char *p, char *out, size_t n)
{
    const char *end = strstr(p, "}}");
    if (!end) return NULL;
    const char *a = p, *b = end;
    while (a < b && (*a == ' ' || *a == '\t')) a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
    if ((size_t)(b - a) >= n) return NULL;
    memcpy(out, a, (size_t)(b - a));
    out[b - a] = 0;
    return end + 2;
}

enum err rule_template_check(const char *tpl, const char *field, struct errinfo *e)
{
    const char *p = tpl;
    for (int guard = 0; guard < 100000; guard++) {
        const char *open = strstr(p, "{{");
        if (!open) return ERR_OK;
        char path[RULE_PATH_MAX + 2];
        const char *next = read_placeholder(open + 2, path, sizeof path);
        if (!next) {
            if (!strstr(open + 2, "}}"))
                return err_set(e, ERR_VALIDATION_FAILED, field, "%s: a {{ is not closed by }}", field);
            return err_set(e, ERR_VALIDATION_FAILED, field, "%s: a {{path}} is at most %d bytes", field,
                           RULE_PATH_MAX);
        }
        if (strstr(path, "{{"))
            return err_set(e, ERR_VALIDATION_FAILED, field, "%s: a {{ is not closed by }}", field);
        enum err rc = rule_path_check(path, field, e);
        if (rc != ERR_OK) return rc;
        p = next;
    }
    return err_set(e, ERR_VALIDATION_FAILED, field, "%s: too many placeholders", field);
}

static void render_value(const struct rv *v, struct buf *out)
{
    char num[40];
    switch (v->kind) {
    case RV_STRING: buf_puts(out, v->s); break;
    case RV_BOOL: buf_puts(out, v->b ? "true" : "false"); break;
    case RV_NUMBER:
        if (v->n == floor(v->n) && fabs(v->n) < 1e15)
            snprintf(num, sizeof num, "%lld", (long long)v->n);
        else
            snprintf(num, sizeof num, "%.15g", v->n);
        buf_puts(out, num);
        break;
    default: break;
    }
}

int rule_template_render(const char *tpl, const struct rv *ctx, size_t max_bytes, struct buf *out, char *missing,
                         size_t missing_size)
{
    int n_missing = 0;
    if (missing_size) missing[0] = 0;
    const char *p = tpl;
    for (int guard = 0; guard < 100000; guard++) {
        const char *open = strstr(p, "{{");
        char path[RULE_PATH_MAX + 2];
        const char *next = open ? read_placeholder(open + 2, path, sizeof path) : NULL;
        if (!next) { /* no more placeholders (a checked template always closes them) */
            buf_puts(out, p);
            break;
        }
        buf_append(out, p, (size_t)(open - p));
        const struct rv *v = rv_get_path(ctx, path);
        if (!v || !is_scalar(v) || v->kind == RV_NULL) {
            n_missing++;
            size_t len = strlen(missing);
            if (missing_size > len + 1)
                snprintf(missing + len, missing_size - len, "%s%s", len ? ", " : "", path);
        } else {
            render_value(v, out);
        }
        p = next;
        if (out->len >= max_bytes) break;
    }
    if (out->len > max_bytes && !out->oom) {
        /* cut on a character boundary: the text stays valid UTF-8 */
        size_t cut = max_bytes;
        while (cut > 0 && ((unsigned char)out->p[cut] & 0xC0) == 0x80) cut--;
        out->len = cut;
        out->p[cut] = 0;
    }
    return n_missing;
}

/* Length of the UTF-8 control character at p that a title refuses besides
 * C0 and DEL: C1 controls (U+0080-U+009F) and the bidirectional overrides
 * and isolates (U+202A-U+202E, U+2066-U+2069), which could make a title read
 * other than it is; 0 for anything else. */
static size_t wide_control(const unsigned char *p)
{
    if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) return 2;
    if (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE) return 3;
    if (p[0] == 0xE2 && p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9) return 3;
    return 0;
}

bool rule_text_fit(char *s, bool keep_newlines, size_t max_chars)
{
    /* what an event's data brings in: controls become spaces */
    unsigned char *w = (unsigned char *)s;
    for (unsigned char *p = (unsigned char *)s; *p;) {
        size_t n = wide_control(p);
        if (n) {
            *w++ = ' ';
            p += n;
            continue;
        }
        bool nl = *p == '\n' || *p == '\r' || *p == '\t';
        *w++ = (*p < 0x20 && !(keep_newlines && nl)) || *p == 0x7f ? ' ' : *p;
        p++;
    }
    *w = 0;
    size_t len = strlen(s), start = 0;
    while (start < len && (s[start] == ' ' || s[start] == '\t' || s[start] == '\n' || s[start] == '\r')) start++;
    while (len > start && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
        len--;
    memmove(s, s + start, len - start);
    len -= start;
    s[len] = 0;
    size_t chars = 0, i = 0;
    for (; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (chars == max_chars) break;
            chars++;
        }
    }
    if (i < len) {
        s[i] = 0;
        /* the cut may leave trailing space */
        while (i > 0 && s[i - 1] == ' ') s[--i] = 0;
        return true;
    }
    return false;
}

/* ---- rules, assignees, chains -------------------------------------------------- */

void rule_clear(struct rule *r)
{
    free(r->name);
    free(r->title_tpl);
    free(r->description_tpl);
    for (int i = 0; i < r->n_conds; i++) rv_clear(&r->conds[i].value);
    memset(r, 0, sizeof *r);
}

int rule_pick_round_robin(int n, const bool *active, uint64_t start)
{
    if (n <= 0) return -1;
    for (int k = 0; k < n; k++) {
        int i = (int)((start + (uint64_t)k) % (uint64_t)n);
        if (active[i]) return i;
    }
    return -1;
}

int rule_pick_least_loaded(int n, const bool *active, const int64_t *load)
{
    int best = -1;
    for (int i = 0; i < n; i++)
        if (active[i] && (best < 0 || load[i] < load[best])) best = i;
    return best;
}

bool rule_chain_allows(int depth) { return depth >= 0 && depth < RULE_CHAIN_MAX; }
