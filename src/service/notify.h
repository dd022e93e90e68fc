/* notify.h (service): the notifications sink. Registered with
 * announce_add_sink, it turns task.assigned, comment.created and
 * sla.at_risk into rows of notifications in the change's own transaction:
 * the in-app list, and the email the mailer (jobs/mailer.c) sends later. */
#ifndef OPSTASKS_SERVICE_NOTIFY_H
#define OPSTASKS_SERVICE_NOTIFY_H

#include "service/announce.h"

/* The sink: "assigned" for a task's new assignee unless they made the
 * change themselves, "mentioned" for each staff member a comment names but
 * its author, "sla_at_risk" for the assignee of a task at risk. Errors are
 * the store's (the change then rolls back). */
enum err notify_sink(struct store_conn *c, const struct announcement *a);

/* A function the sink calls after it wrote a notification (the mailer's
 * wake-up; it must not block): it runs inside the writer's transaction, so
 * whatever it wakes reads after the commit. NULL: none. Set before the
 * writer starts. */
void notify_set_wake(void (*wake)(void));

#endif
