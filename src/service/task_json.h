/* task_json.h (service): the one writer of a task as JSON. The API's
 * answers and the data.task of the service's own events (what the workflow
 * rules read, and GET /ops/events shows) are written by the same walk over
 * the task's fields, as text straight into a buffer (the hot read path) or
 * as a jansson tree (the rules engine). */
#ifndef OPSTASKS_SERVICE_TASK_JSON_H
#define OPSTASKS_SERVICE_TASK_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "domain/task.h"
#include "util/buf.h"

/* Which fields, and how sla_hours is written. The event form is the API's
 * without work_status, updated_at, sla_breached, sla_at_risk and renewal_id, with
 * sla_hours always a real (24.0): events already stored and the rules that
 * read them were made with that form, so it stays as it is. */
enum task_json_view {
    TASK_JSON_API,   /* every answer that shows a task; whole hours as 24 */
    TASK_JSON_EVENT, /* data.task of sla.breached, task.overdue, ... */
};

/* Appends t as a JSON object to b (sticky oom, see util/buf.h); its status is
 * the effective one on date today, its SLA flags as of now_ms. */
void task_json_write(struct buf *b, const struct task *t, const char *today, int64_t now_ms, enum task_json_view v);
/* t as a JSON object, as task_json_write writes it; today is now_ms's date.
 * New reference, or NULL when out of memory. */
json_t *task_json(const struct task *t, int64_t now_ms, enum task_json_view v);
/* task_json_write into a fresh malloc'd text (caller frees); NULL on oom. */
char *task_json_text(const struct task *t, int64_t now_ms);

#endif
