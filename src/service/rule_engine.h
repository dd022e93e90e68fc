/* rule_engine.h (service): the workflow rules engine. Events (POSTed, or
 * the service's own: task.overdue, task.completed, task.cancelled,
 * sla.breached) are matched against the enabled rules of their type (read
 * through an index by type) and each matching rule creates one follow-up task
 * through the service layer. Everything runs inside the writer's transaction:
 * the event, the rules it matched and every task it created commit together
 * or not at all. The pure parts (conditions, templates, assignee choice) are
 * domain/rule.c, the rules' JSON service/rule_json.c, the parsed-rule cache
 * service/rule_cache.c. */
#ifndef OPSTASKS_SERVICE_RULE_ENGINE_H
#define OPSTASKS_SERVICE_RULE_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "domain/rule.h"
#include "store/store.h"

#define EVENT_DATA_MAX 65536 /* bytes of an event's data, as compact JSON */

struct rule_engine_event {
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
 * malloc'd JSON text the caller frees. Errors: ERR_INTERNAL, or
 * ERR_UNAVAILABLE when the database cannot take the write for now (a rule
 * that cannot make its task is a note in the answer, not an error). */
enum err rule_engine_process_event(struct store_conn *c, const struct rule_engine_event *ev, int64_t now_ms,
                                   char **answer, bool *replayed);

/* The service's task-event hook (service_set_task_event_hook): feeds
 * task.overdue / task.completed / task.cancelled / sla.breached for task t,
 * with its fields under data.task, to the same engine. The event is stored
 * only when a rule matched it. */
enum err rule_engine_task_event(struct store_conn *c, const struct task *t, const char *type, int64_t now_ms);

#endif
