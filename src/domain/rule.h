/* rule.h: workflow rules, the pure half: event values and paths into them,
 * conditions and their ops, {{path}} templates, the assignee choices
 * (round-robin, least-loaded) and the chain limit. No I/O, no JSON library:
 * service/rule_json.c turns JSON into these values and service/rule_engine.c
 * runs the rules inside the writer's transaction; the unit tests call
 * everything here directly. */
#ifndef OPSTASKS_RULE_H
#define OPSTASKS_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/task.h"
#include "util/buf.h"
#include "util/err.h"

#define RULE_PATH_MAX 200          /* bytes of one path */
#define RULE_PATH_DEPTH_MAX 16     /* segments of one path */
#define RULE_CONDS_MAX 20
#define RULE_IN_MAX 100            /* values of one in / not_in list */
#define RULE_STAFF_MAX 50          /* staff ids of round_robin / least_loaded */
#define RULE_NAME_MAX_CHARS 200
#define RULE_TITLE_TPL_MAX 1000    /* bytes of the title template */
#define RULE_DUE_DAYS_MAX 3650
#define RULE_DEFINITION_MAX 65536  /* bytes of a rule's compact JSON */
#define RULE_CHAIN_MAX 3           /* levels of rule-created tasks in one chain */
#define RULES_PER_TYPE_MAX 200     /* rules of one event type (so one event makes at most this many tasks) */
#define EVENT_TYPE_MAX 128

/* A JSON-shaped value: what an event (and its customer) looks like to the
 * rules. Strings never contain NUL (the JSON parser refuses \u0000). */
enum rv_kind { RV_NULL, RV_BOOL, RV_NUMBER, RV_STRING, RV_ARRAY, RV_OBJECT };

struct rv {
    enum rv_kind kind;
    bool b;
    double n;
    char *s;            /* RV_STRING, owned */
    int len;            /* RV_ARRAY, RV_OBJECT: number of items */
    int cap;            /* RV_OBJECT: room in items and keys */
    struct rv *items;   /* owned */
    char **keys;        /* RV_OBJECT: owned, one per item */
};

void rv_clear(struct rv *v);
/* Object building for the engine and the tests: each returns 0 or -1 (out of
 * memory). rv_object_add takes ownership of *item (it is zeroed). */
int rv_object_add(struct rv *obj, const char *key, struct rv *item);
int rv_string(struct rv *out, const char *s); /* s NULL gives RV_NULL */
/* The value at path ("data.a.b", "customer.name", "data.items.0"), or NULL. */
const struct rv *rv_get_path(const struct rv *root, const char *path);
/* True when a and b are scalars of the same kind and value. */
bool rv_equal(const struct rv *a, const struct rv *b);

/* ^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$, at most EVENT_TYPE_MAX bytes. */
bool rule_event_type_valid(const char *s);

/* A path a rule may use: type, id, user_id, occurred_at, data.<seg>[.<seg>...],
 * customer.{id,name,email,owner_id}; segments of A-Za-z0-9_-. ERR_OK or a
 * validation error naming `field` with a message saying what is wrong. */
enum err rule_path_check(const char *path, const char *field, struct errinfo *e);

enum rule_op { OP_EQ, OP_NE, OP_IN, OP_NOT_IN, OP_EXISTS, OP_NOT_EXISTS, OP_GT, OP_GTE, OP_LT, OP_LTE,
               OP_CONTAINS, OP__COUNT };
int rule_op_parse(const char *s, enum rule_op *out);  /* 0 or -1 */
const char *rule_op_name(enum rule_op op);

struct rule_cond {
    char field[RULE_PATH_MAX + 1];
    enum rule_op op;
    bool has_value;
    struct rv value;
};

/* Checks that op takes this value: eq/ne/contains a scalar (string, number,
 * boolean, null); in/not_in a non-empty array of at most RULE_IN_MAX scalars;
 * gt/gte/lt/lte a number or a string; exists/not_exists none. `field` names the
 * condition's value in the error ("conditions[0].value"). */
enum err rule_cond_check(const struct rule_cond *c, const char *field, struct errinfo *e);

/* Whether the condition holds for the event context ctx. A missing value
 * never equals anything: eq, in, gt.., contains are false; ne, not_in true. */
bool rule_cond_matches(const struct rule_cond *c, const struct rv *ctx);

/* Templates: text with {{path}} (spaces inside the braces allowed). check:
 * every {{ closes and names a valid path. */
enum err rule_template_check(const char *tpl, const char *field, struct errinfo *e);
/* Renders into out, stopping once out holds max_bytes (event data may hold
 * 64 KiB strings and a template many placeholders: the text is cut to a
 * field's length afterwards anyway). A path that is missing, null, an object
 * or an array renders as empty text and is appended to missing (comma
 * separated, as much as fits); returns how many there were. */
int rule_template_render(const char *tpl, const struct rv *ctx, size_t max_bytes, struct buf *out, char *missing,
                         size_t missing_size);

/* Rendered text made fit for a task field: control characters become spaces
 * (newlines and tabs kept when keep_newlines), leading and trailing space
 * trimmed, cut to max_chars code points on a character boundary. In place;
 * returns true when it had to cut. */
bool rule_text_fit(char *s, bool keep_newlines, size_t max_chars);

enum rule_assignee { ASSIGN_NONE, ASSIGN_CUSTOMER_OWNER, ASSIGN_STAFF, ASSIGN_ROUND_ROBIN, ASSIGN_LEAST_LOADED };

/* A rule, as PUT /ops/rules/{id} defines it. */
struct rule {
    char id[EXT_ID_SIZE];
    char *name;                       /* owned */
    bool enabled;
    char event_type[EVENT_TYPE_MAX + 1];
    int n_conds;
    struct rule_cond conds[RULE_CONDS_MAX];
    char *title_tpl, *description_tpl; /* owned; description_tpl may be NULL */
    enum task_priority priority;
    int due_in_days;
    bool has_sla;
    double sla_hours;
    enum rule_assignee assignee;
    int n_staff;                      /* ASSIGN_STAFF: 1; lists: 1..RULE_STAFF_MAX */
    char staff[RULE_STAFF_MAX][EXT_ID_SIZE];
};

void rule_clear(struct rule *r);
/* True when every condition holds (all-of; no conditions always match). */
bool rule_matches(const struct rule *r, const struct rv *ctx);

/* Round-robin: the first active candidate at or after position start
 * (modulo n), or -1 when none is active. The caller stores the pick + 1 as
 * the next start. */
int rule_pick_round_robin(int n, const bool *active, uint64_t start);
/* Least-loaded: the active candidate with the fewest active tasks, ties to the
 * first in the list; -1 when none is active. */
int rule_pick_least_loaded(int n, const bool *active, const int64_t *load);

/* Events carry the depth of the chain that caused them: 0 for events posted
 * to the API and for tasks people made; a task created while handling an
 * event at depth d has depth d + 1, and its own events have that depth.
 * Rules may create tasks only below RULE_CHAIN_MAX. */
bool rule_chain_allows(int depth);

#endif
