/* rules.h: the workflow rules engine. Events (POSTed, or the service's own:
 * task.overdue, task.completed, task.cancelled, sla.breached) are matched
 * against the enabled rules of their type (read through an index by type)
 * and each matching rule creates one follow-up task through the service
 * layer. Everything runs inside the writer's transaction: the event, the
 * rules it matched and every task it created commit together or not at all.
 * The pure parts (conditions, templates, assignee choice) are domain/rule.c. */
#ifndef OPSTASKS_RULES_H
#define OPSTASKS_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "domain/rule.h"
#include "store/store.h"

#define RULES_PER_TYPE_MAX 200   /* rules of one event type (so one event makes at most this many tasks) */
#define EVENT_DATA_MAX 65536     /* bytes of an event's data, as compact JSON */

/* Parses a rule definition (the body of PUT /ops/rules/{id}) into r, which the
 * caller clears. ERR_OK, or ERR_VALIDATION_FAILED with e->field naming the bad
 * part ("event_type", "conditions[1].op", "task.assignee.round_robin[0]") and
 * a message saying the rule. *canonical (when not NULL) receives the
 * definition with every default filled in, as stored (caller decrefs). */
enum err rules_parse(json_t *def, struct rule *r, json_t **canonical, struct errinfo *e);

/* The rule as the API shows it, or NULL when out of memory or the stored
 * definition does not parse. Caller decrefs. */
json_t *rules_row_json(const struct rule_row *row);

/* JSON value into a rule value (deep copy); 0 or -1 when out of memory. */
int rules_value_from_json(json_t *j, struct rv *out);

struct rules_event {
    char id[EXT_ID_SIZE];
    char type[EVENT_TYPE_MAX + 1];
    char user_id[EXT_ID_SIZE];  /* "" when none */
    int64_t occurred_at;
    json_t *data;               /* an object, borrowed */
    bool from_service;
    int depth;                  /* see rule_chain_allows */
};

/* Processes a POSTed event in the writer's transaction. Its id is claimed
 * first (event_claim), so of several writers with one id exactly one runs the
 * rules. When an event with this id exists already, *replayed is set and
 * *answer is its first answer;
 * otherwise the event is matched, its tasks created, the event stored, and
 * *answer is {"event_id", "matched_rules", "tasks", "notes"}. *answer is a
 * malloc'd JSON text the caller frees. Errors: ERR_INTERNAL only (a rule that
 * cannot make its task is a note in the answer, not an error). */
enum err rules_process_event(struct store_conn *c, const struct rules_event *ev, int64_t now_ms, char **answer,
                             bool *replayed);

/* The service's task-event hook (service_set_task_event_hook): feeds
 * task.overdue / task.completed / task.cancelled / sla.breached for task t,
 * with its fields under data.task, to the same engine. The event is stored
 * only when a rule matched it. */
enum err rules_task_event(struct store_conn *c, const struct task *t, const char *type, int64_t now_ms);

/* Frees the cache of parsed rules (at shutdown, after the writer stopped). */
void rules_cache_clear(void);

#endif
