/* maintenance.c (pg): `opstasks check` on a PostgreSQL database (the
 * check_db op): the schema version, the stats totals, the foreign keys and
 * the table list, read in one read-only snapshot on a connection of its
 * own, so it may run beside the servers. SQLite's integrity_check has no
 * PostgreSQL equivalent: the check says so and is skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"
#include "store/pg/maintenance.h"
#include "store/pg/migrations.h"
#include "store/pg/ops.h"

static void fail_with(struct check_result *r, PGconn *db, const char *what)
{
    r->ok = false;
    snprintf(r->detail, sizeof r->detail, "cannot %s: %s", what, PQerrorMessage(db));
    char *nl = strchr(r->detail, '\n');
    if (nl) *nl = 0;
}

static PGresult *query(PGconn *db, const char *sql, struct check_result *r, const char *what)
{
    PGresult *res = PQexec(db, sql);
    if (PQresultStatus(res) == PGRES_TUPLES_OK) return res;
    fail_with(r, db, what);
    PQclear(res);
    return NULL;
}

static void check_integrity(struct check_result *r)
{
    r->skipped = true;
    r->ok = true;
    snprintf(r->detail, sizeof r->detail, "PostgreSQL has no equivalent of SQLite's integrity_check (it verifies "
             "pages as it reads them when the cluster has data checksums; pg_amcheck checks indexes)");
}

/* PostgreSQL enforces the references itself; one added NOT VALID would not
 * have been checked against the rows already there. */
static void check_foreign_keys(PGconn *db, struct check_result *r)
{
    PGresult *res = query(db, "SELECT count(*), count(*) FILTER (WHERE NOT convalidated), "
                              "min(conname) FILTER (WHERE NOT convalidated) FROM pg_constraint "
                              "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace",
                          r, "read the foreign keys");
    if (!res) return;
    long unchecked = atol(PQgetvalue(res, 0, 1));
    r->ok = unchecked == 0;
    if (r->ok)
        snprintf(r->detail, sizeof r->detail, "the %s references are constraints PostgreSQL enforces",
                 PQgetvalue(res, 0, 0));
    else
        snprintf(r->detail, sizeof r->detail, "%ld references are NOT VALID (%s first): rows older than them "
                 "were never checked", unchecked, PQgetvalue(res, 0, 2));
    PQclear(res);
}

static void check_schema(PGconn *db, struct check_result *r)
{
    const struct migration *last = &pg_migrations[pg_migrations_count - 1];
    PGresult *res = PQexec(db, "SELECT version, name FROM schema_migrations ORDER BY version");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        r->ok = false;
        if (strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE) ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : "",
                   "42P01") == 0)
            snprintf(r->detail, sizeof r->detail, "not an opstasks database: it has no schema_migrations table");
        else
            fail_with(r, db, "read schema_migrations");
        PQclear(res);
        return;
    }
    int rows = PQntuples(res), version = 0;
    r->ok = true;
    for (int i = 0; i < rows; i++) {
        version = atoi(PQgetvalue(res, i, 0));
        const char *name = PQgetvalue(res, i, 1);
        if (i < pg_migrations_count && r->ok &&
            (pg_migrations[i].version != version || strcmp(pg_migrations[i].name, name) != 0)) {
            r->ok = false;
            snprintf(r->detail, sizeof r->detail,
                     "migration %d of the database is '%s'; this opstasks has '%s' (version %d) there", i + 1, name,
                     pg_migrations[i].name, pg_migrations[i].version);
        }
    }
    PQclear(res);
    if (!r->ok) return;
    if (rows > pg_migrations_count) {
        r->ok = false;
        snprintf(r->detail, sizeof r->detail,
                 "version %d is NEWER than this opstasks knows (%d): check it with the opstasks that wrote it",
                 version, last->version);
    } else if (rows < pg_migrations_count) {
        r->ok = false;
        snprintf(r->detail, sizeof r->detail,
                 "version %d is OLDER than this opstasks (%d): `opstasks serve` upgrades it when it starts", version,
                 last->version);
    } else {
        snprintf(r->detail, sizeof r->detail, "version %d, the one this opstasks writes (PostgreSQL schema)",
                 version);
    }
}

/* task_counts, kept by triggers, against a count of the task rows. */
static void check_stats(PGconn *db, struct check_result *r)
{
    static const char sql[] =
        "WITH rows AS (SELECT status, prio, due_date, count(*) AS n FROM tasks GROUP BY 1, 2, 3), "
        "counts AS (SELECT status, prio, due_date, n FROM task_counts WHERE n <> 0) "
        "SELECT status, prio, due_date, coalesce(counts.n, 0), coalesce(rows.n, 0) "
        "FROM rows FULL OUTER JOIN counts USING (status, prio, due_date) "
        "WHERE counts.n IS DISTINCT FROM rows.n ORDER BY 1, 2, 3";
    PGresult *res = query(db, sql, r, "compare task_counts with the tasks");
    if (!res) return;
    int n = PQntuples(res);
    r->ok = n == 0;
    if (n)
        snprintf(r->detail, sizeof r->detail, "%s priority %s due %s: the stats count %s, the rows are %s%s",
                 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3),
                 PQgetvalue(res, 0, 4), n > 1 ? "; more totals differ" : "");
    PQclear(res);
    if (!r->ok) return;
    res = query(db, "SELECT count(*) FROM tasks", r, "count the tasks");
    if (!res) return;
    r->ok = true;
    snprintf(r->detail, sizeof r->detail, "the counts per status equal the %s task rows", PQgetvalue(res, 0, 0));
    PQclear(res);
}

static void check_tables(PGconn *db, struct check_result *r)
{
    PGresult *res = query(db, pg_columns_sql, r, "read the schema");
    if (!res) return;
    char **names;
    int n;
    if (pg_columns_of(res, &names, &n) != 0) {
        PQclear(res);
        snprintf(r->detail, sizeof r->detail, "out of memory");
        return;
    }
    PQclear(res);
    r->ok = store_tables_match(names, n, r->detail, sizeof r->detail);
    if (r->ok) snprintf(r->detail, sizeof r->detail, "the %d columns are those of the table list", n);
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

int pg_check_db(const char *path, unsigned which, struct check_result out[CHECK__COUNT], struct errinfo *e)
{
    store_check_init(out);
    char shown[512];
    pg_display_uri(path, shown, sizeof shown);
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {"5", "opstasks check", path, NULL};
    PGconn *db = PQconnectdbParams(keys, vals, 1);
    if (!db || PQstatus(db) != CONNECTION_OK) {
        err_set(e, ERR_INTERNAL, "db", "cannot connect to PostgreSQL (%s): %s", shown,
                db ? PQerrorMessage(db) : "out of memory");
        char *nl = strchr(e->message, '\n');
        if (nl) *nl = 0;
        PQfinish(db);
        return -1;
    }
    /* one snapshot for every check, read-only, as SQLite's check has */
    PGresult *res = PQexec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) {
        err_set(e, ERR_INTERNAL, NULL, "cannot read %s: %s", shown, PQerrorMessage(db));
        PQfinish(db);
        return -1;
    }
    if (which & (1u << CHECK_INTEGRITY)) check_integrity(&out[CHECK_INTEGRITY]);
    /* A failed statement would end the snapshot for the checks after it:
     * each runs in a savepoint of its own, undone after. */
    static void (*const checks[CHECK__COUNT])(PGconn *, struct check_result *) = {
        [CHECK_FOREIGN_KEYS] = check_foreign_keys,
        [CHECK_SCHEMA] = check_schema,
        [CHECK_STATS] = check_stats,
        [CHECK_TABLES] = check_tables,
    };
    for (int i = 0; i < CHECK__COUNT; i++) {
        if (!checks[i] || !(which & (1u << i))) continue;
        PQclear(PQexec(db, "SAVEPOINT one_check"));
        checks[i](db, &out[i]);
        PQclear(PQexec(db, "ROLLBACK TO one_check"));
    }
    PQclear(PQexec(db, "COMMIT"));
    PQfinish(db);
    return 0;
}
