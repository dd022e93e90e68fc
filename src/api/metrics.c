/* metrics.c (api): GET /metrics in the Prometheus text exposition format
 * (version 0.0.4). Its route wants an admin token, except in the table of
 * the --metrics-listen address, which serves nothing else (routes.c). Task
 * gauges and the task counters come from the database (task_counts and
 * metric_counters, kept by triggers), request metrics from http/metrics.c,
 * the last sweep from the sweeper. */
#include <stdio.h>

#include "api/api.h"
#include "domain/dates.h"
#include "jobs/sweeper.h"
#include "util/buf.h"
#include "util/clock.h"

static void metric(struct buf *b, const char *name, const char *type, const char *help)
{
    char line[320];
    snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    buf_puts(b, line);
}

static void sample(struct buf *b, const char *name, const char *labels, double v)
{
    char line[256];
    snprintf(line, sizeof line, "%s%s%s%s %.17g\n", name, labels ? "{" : "", labels ? labels : "", labels ? "}" : "", v);
    buf_puts(b, line);
}

void api_metrics(struct request *r)
{
    int64_t now = clock_now_ms();
    char today[DATE_SIZE];
    dates_today(now, today);
    struct store_metrics m;
    struct store_conn *c = store_reader_acquire(r->app->store);
    enum err rc = c ? store_metrics_read(c, today, now, &m) : ERR_INTERNAL;
    if (c) store_reader_release(c);
    if (rc != ERR_OK) {
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    struct buf b = {0};
    char labels[128];
    metric(&b, "opstasks_tasks", "gauge", "Tasks by effective status and priority.");
    int64_t overdue = 0;
    for (int s = 0; s < TASK_STATUS__COUNT; s++)
        for (int p = 0; p < PRIORITY__COUNT; p++) {
            snprintf(labels, sizeof labels, "status=\"%s\",priority=\"%s\"", task_status_name((enum task_status)s),
                     task_priority_name((enum task_priority)p));
            sample(&b, "opstasks_tasks", labels, (double)m.tasks[s][p]);
            if (s == TASK_OVERDUE) overdue += m.tasks[s][p];
        }
    metric(&b, "opstasks_tasks_overdue", "gauge", "Active tasks whose due date has passed.");
    sample(&b, "opstasks_tasks_overdue", NULL, (double)overdue);
    metric(&b, "opstasks_tasks_sla_breached_active", "gauge", "Active tasks past their SLA deadline.");
    sample(&b, "opstasks_tasks_sla_breached_active", NULL, (double)m.sla_breached_active);

    metric(&b, "opstasks_tasks_created_total", "counter", "Tasks created, by source.");
    for (int s = 0; s < SOURCE__COUNT; s++) {
        snprintf(labels, sizeof labels, "source=\"%s\"", task_source_name((enum task_source)s));
        sample(&b, "opstasks_tasks_created_total", labels, (double)m.created[s]);
    }
    metric(&b, "opstasks_tasks_completed_total", "counter", "Tasks completed.");
    sample(&b, "opstasks_tasks_completed_total", NULL, (double)m.completed);
    metric(&b, "opstasks_tasks_cancelled_total", "counter", "Tasks cancelled.");
    sample(&b, "opstasks_tasks_cancelled_total", NULL, (double)m.cancelled);
    metric(&b, "opstasks_overdue_transitions_total", "counter", "Moves of a task to OVERDUE recorded in its history.");
    sample(&b, "opstasks_overdue_transitions_total", NULL, (double)m.overdue_transitions);
    metric(&b, "opstasks_sla_breaches_total", "counter", "SLA breaches recorded by the sweeper.");
    sample(&b, "opstasks_sla_breaches_total", NULL, (double)m.sla_breaches);

    int64_t at_ms, dur_us;
    sweeper_last(&at_ms, &dur_us);
    metric(&b, "opstasks_sweep_last_duration_seconds", "gauge", "How long the last sweep took.");
    sample(&b, "opstasks_sweep_last_duration_seconds", NULL, (double)dur_us / 1e6);
    metric(&b, "opstasks_sweep_last_timestamp_seconds", "gauge", "When the last sweep ended (Unix time; 0: none yet).");
    sample(&b, "opstasks_sweep_last_timestamp_seconds", NULL, (double)at_ms / 1e3);

    uint64_t hits, misses;
    api_cache_counts(r->app->answers, &hits, &misses);
    metric(&b, "opstasks_answer_cache_hits_total", "counter", "Queue reads answered from the cache of rendered answers.");
    sample(&b, "opstasks_answer_cache_hits_total", NULL, (double)hits);
    metric(&b, "opstasks_answer_cache_misses_total", "counter",
           "Queue reads the cache could not answer (none kept, or kept for an older data version or time window).");
    sample(&b, "opstasks_answer_cache_misses_total", NULL, (double)misses);

    http_metrics_write(&b);
    http_reply_body(r, 200, buf_take(&b), "text/plain; version=0.0.4; charset=utf-8");
}
