/* test_records.c: the parts of the tasks a read watches for its data
 * version (store_version_parts), numbered as migrations 023 and pg/015
 * number them (8 * status part + assignee group), and the query that sums
 * them (store_version_sql): one key range per run of parts. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "store/records.h"

/* the bits of parts 8 * s + a for status parts s and groups a */
static uint64_t parts_of(unsigned statuses, unsigned groups)
{
    uint64_t p = 0;
    for (int s = 1; s <= 6; s++)
        if (statuses >> s & 1) p |= (uint64_t)groups << (8 * s);
    return p;
}

Test(records, a_read_of_every_task_watches_the_one_version)
{
    struct task_filter f = {0};
    cr_assert_eq(store_version_parts(&f), 0);
    f.status_mask = (1u << TASK_STATUS__COUNT) - 1;
    cr_assert_eq(store_version_parts(&f), 0);
    f.priority_mask = 1; /* filters by neither status nor assignee */
    cr_assert_eq(store_version_parts(&f), 0);
}

Test(records, each_status_watches_the_parts_its_tasks_can_be_in)
{
    struct task_filter f = {0};
    f.status_mask = 1u << TASK_OPEN; /* OPEN due later and soon */
    cr_assert_eq(store_version_parts(&f), parts_of(0x06, 0xff));
    f.status_mask = 1u << TASK_IN_PROGRESS;
    cr_assert_eq(store_version_parts(&f), parts_of(0x18, 0xff));
    f.status_mask = 1u << TASK_OVERDUE; /* active and due soon or past */
    cr_assert_eq(store_version_parts(&f), parts_of(0x14, 0xff));
    f.status_mask = 1u << TASK_COMPLETED;
    cr_assert_eq(store_version_parts(&f), parts_of(0x20, 0xff));
    f.status_mask = 1u << TASK_CANCELLED;
    cr_assert_eq(store_version_parts(&f), parts_of(0x40, 0xff));
}

Test(records, assignees_watch_their_groups_and_none_its_own)
{
    struct task_filter f = {0};
    f.assignee_none = true;
    cr_assert_eq(store_version_parts(&f), parts_of(0x7e, 0x01));
    snprintf(f.assignees[f.n_assignees++], EXT_ID_SIZE, "sta_a"); /* 'a' = 97: 1 + 97 % 7 = 7 */
    cr_assert_eq(store_version_parts(&f), parts_of(0x7e, 0x81));
    f.assignee_none = false;
    f.status_mask = 1u << TASK_OVERDUE;
    snprintf(f.assignees[f.n_assignees++], EXT_ID_SIZE, "sta_b"); /* 'b' = 98: group 1 */
    cr_assert_eq(store_version_parts(&f), parts_of(0x14, 0x82));
}

Test(records, the_sum_reads_one_range_per_run_of_parts)
{
    char sql[STORE_VERSION_SQL_MAX];
    cr_assert_eq(store_version_sql(0, sql), 1);
    cr_assert_str_eq(sql, "SELECT v, 1 FROM data_version WHERE id = 1");
    cr_assert_eq(store_version_sql(parts_of(0x06, 0xff), sql), 16);
    cr_assert_str_eq(sql, "SELECT CAST(sum(v) AS bigint), count(*) FROM (SELECT v FROM data_version_parts WHERE part "
                          "BETWEEN 8 AND 23) AS p");
    cr_assert_eq(store_version_sql(parts_of(0x14, 0xff), sql), 16);
    cr_assert_str_eq(sql, "SELECT CAST(sum(v) AS bigint), count(*) FROM (SELECT v FROM data_version_parts WHERE part "
                          "BETWEEN 16 AND 23 UNION ALL SELECT v FROM data_version_parts WHERE part BETWEEN 32 AND 39) AS p");
    /* every other bit of 64: the longest there is fits */
    cr_assert_eq(store_version_sql(0x5555555555555555ULL, sql), 32);
    cr_assert(strstr(sql, "BETWEEN 62 AND 62) AS p") != NULL);
}
