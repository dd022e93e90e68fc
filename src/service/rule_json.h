/* rule_json.h (service): the workflow rules' JSON in and out. A rule
 * definition (the body of PUT /ops/rules/{id}) is parsed and checked into a
 * struct rule of domain/rule.h, with its canonical form, the one stored; a
 * stored rule is shown as the API does; an event's JSON becomes the value
 * tree the conditions and templates read. No store access, no transaction. */
#ifndef OPSTASKS_SERVICE_RULE_JSON_H
#define OPSTASKS_SERVICE_RULE_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "domain/rule.h"
#include "store/store.h"

/* Parses a rule definition into r, which the caller clears. ERR_OK, or
 * ERR_VALIDATION_FAILED with e->field naming the bad part ("event_type",
 * "conditions[1].op", "task.assignee.round_robin[0]") and a message saying
 * the rule. *canonical (when not NULL) receives the definition with every
 * default filled in, as stored (caller decrefs). */
enum err rule_json_parse(json_t *def, struct rule *r, json_t **canonical, struct errinfo *e);

/* The rule as the API shows it, or NULL when out of memory or the stored
 * definition does not parse. Caller decrefs. */
json_t *rule_json_row(const struct rule_row *row);

/* JSON value into a rule value (deep copy); 0 or -1 when out of memory. */
int rule_json_value(json_t *j, struct rv *out);

#endif
