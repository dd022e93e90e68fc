"""`opstasks copy --from SRC --to DST` and `opstasks check` on both backends.

The data is made through the API on a SQLite server (the source of every
copy here), copied SQLite -> SQLite, and, when OPSTASKS_TEST_PG names the
test cluster's socket folder, SQLite -> PostgreSQL -> PostgreSQL -> SQLite:
every row comes back the same (ids, versions, timestamps, history numbers,
token hashes), a token made before the copy works on a server of the copy,
and a task's ETag is the one it had. A DST holding data is refused with
nothing written; the counts are compared at the end; the table list the
copy works from is the real schema of both backends (`check` "tables")."""
import datetime
import os
import pty
import select
import sqlite3
import subprocess
import time

import pytest

from conftest import BIN, FUTURE, PG_SOCKET, SLOW, Server, child_env, pg_create_db, run_cli, wait_until

needs_pg = pytest.mark.skipif(not PG_SOCKET, reason="PostgreSQL tests run when OPSTASKS_TEST_PG names the "
                                                    "test cluster's socket folder")

def new_pg_db():
    """A new, empty database of the test cluster, dropped after the test."""
    return pg_create_db()


def psql(uri, sql):
    """Runs sql on the database uri names; returns its rows as lists of text."""
    name = uri.split("///", 1)[1].split("?", 1)[0]
    p = subprocess.run(["psql", "-h", PG_SOCKET, "-U", "postgres", "-d", name, "-XAtq", "-F", "\t",
                        "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return [ln.split("\t") for ln in p.stdout.splitlines()]


def dump(db):
    """Every row of every table of a SQLite database but schema_migrations and the data versions (no data), in order."""
    c = sqlite3.connect(db)
    try:
        out = {}
        for (t,) in c.execute("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                              "AND name NOT IN ('schema_migrations', 'data_version', 'data_version_parts') "
                              "AND name NOT LIKE 'search\\_%' ESCAPE '\\' "
                              "ORDER BY name").fetchall():  # search_*: derived, rebuilt by the copy
            out[t] = sorted(c.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
        return out
    finally:
        c.close()


def copy(src, dst, timeout=120):
    return run_cli("copy", "--from", src, "--to", dst, timeout=timeout)


def copied(src, dst):
    p = copy(src, dst)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "every table's count on DST equals SRC's" in p.stdout, p.stdout
    return p


def check_lines(db):
    p = run_cli("check", "--db", db)
    return p.returncode, {ln[8:22].strip(): ln.split()[0] for ln in p.stdout.splitlines()[:-1]}, p


@pytest.fixture
def source(tmp_path):
    """A stopped SQLite server's database with some of every kind of row made
    through the API, and what the test needs to know of it."""
    db = str(tmp_path / "src.db")
    s = Server(tmp_path, db=db).start()
    agent_token = s.token("agent", name="made before the copy")
    s.staff("sta_copy_a", name="Ann Copy")
    s.staff("sta_copy_b", name="Bob Copy", active=False)
    s.customer("cus_copy", name="Copy Customer", owner="sta_copy_a")
    tasks = []
    for i in range(12):
        t = s.task(title=f"copy task {i}", priority=["LOW", "MEDIUM", "HIGH", "URGENT"][i % 4],
                   due_date="2020-01-01" if i % 5 == 0 else FUTURE, sla_hours=1.5 if i % 3 == 0 else (0.1 if i == 4 else None),
                   assignee_id="sta_copy_a" if i % 2 else None, user_id="cus_copy" if i % 3 else None,
                   description="\u00e9t\u00e9 \u2713 \"quoted\"\nline two" if i == 1 else None)
        tasks.append(t["id"])
    s.set_status(tasks[1], "IN_PROGRESS")
    s.set_status(tasks[1], "COMPLETED")
    s.set_status(tasks[2], "CANCELLED")
    r = s.patch(f"/ops/tasks/{tasks[3]}", {"title": "renamed", "priority": "URGENT"})
    assert r.status == 200, r
    r = s.post("/ops/tasks", {"title": "once", "due_date": FUTURE}, headers={"Idempotency-Key": "copy-key-1"})
    assert r.status == 201, r
    tasks.append(r.json()["id"])
    r = s.put("/ops/sla-calendar", {"mode": "calendar_hours", "weekly": {d: [] for d in
              ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}, "holidays": []})
    assert r.status == 200, r
    r = s.put("/ops/customers/cus_copy/renewals/ren_copy", {"kind": "domain", "expires_on": "2099-01-01",
                                                             "assignee_id": "sta_copy_a"})
    assert r.status in (200, 201), r
    r = s.post("/ops/events", {"id": "evt_copy_1", "type": "document.rejected", "user_id": "cus_copy",
                               "occurred_at": "2026-06-01T09:30:00Z", "data": {"document_type": "passport"}})
    assert r.status == 201, r
    for body in ("called the customer @sta_copy_a", "waiting for the scan\nsecond line"):
        r = s.post(f"/ops/tasks/{tasks[0]}/comments", {"body": body})
        assert r.status == 201, r
    r = s.post("/login", {"token": agent_token}, token=None, headers={"Origin": f"http://127.0.0.1:{s.port}"})
    assert r.status == 200, r
    probe = tasks[3]
    r = s.get(f"/ops/tasks/{probe}", token=agent_token)
    assert r.status == 200, r
    etag, version, history = r.header("ETag"), r.json()["version"], s.history(probe)
    s.stop()
    counts = {t: len(rows) for t, rows in dump(db).items()}
    for t in ("staff", "customers", "tasks", "task_history", "task_comments", "tokens", "sessions", "idempotency_keys",
              "sla_calendar", "renewal_items", "events", "task_counts", "metric_counters", "rules"):
        assert counts[t] > 0, (t, counts)
    return {"db": db, "agent": agent_token, "probe": probe, "etag": etag, "version": version, "history": history,
            "tasks": tasks, "tmp": tmp_path}


def served_copy_keeps_tokens_etags_and_numbering(tmp_path, db, src):
    """A server on the copy: the token made on SRC works, the task's ETag
    and history are SRC's, and new history numbers go on past the copied."""
    s = Server(tmp_path, db=db).start()
    try:
        r = s.get(f"/ops/tasks/{src['probe']}", token=src["agent"])
        assert r.status == 200, r
        assert r.header("ETag") == src["etag"] and r.json()["version"] == src["version"]
        assert s.history(src["probe"]) == src["history"]
        r = s.patch(f"/ops/tasks/{src['probe']}", {"title": "after the copy"}, token=src["agent"],
                    headers={"If-Match": src["etag"]})
        assert r.status == 200, r
        assert r.json()["version"] == src["version"] + 1
        assert len(s.history(src["probe"])) == len(src["history"]) + 1
        t = s.task(title="new on the copy", token=src["agent"])
        assert t["id"] not in src["tasks"]
    finally:
        s.stop()


# ---- SQLite -> SQLite -------------------------------------------------------------

def test_a_sqlite_copy_holds_every_row_and_a_token_made_before_it_works(source, tmp_path):
    dst = str(tmp_path / "copy.db")
    p = copied(source["db"], dst)
    assert "\r" not in p.stderr  # not a terminal: no progress line
    assert dump(dst) == dump(source["db"])
    assert check_lines(dst)[0] == 0
    (tmp_path / "srv").mkdir()
    served_copy_keeps_tokens_etags_and_numbering(tmp_path / "srv", dst, source)
    seq = sqlite3.connect(dst).execute("SELECT max(seq) FROM task_history").fetchone()[0]
    assert seq > max(r[0] for r in dump(source["db"])["task_history"])


def test_copy_refuses_a_destination_with_data_and_leaves_it_unchanged(source, tmp_path):
    dst = str(tmp_path / "busy.db")
    s = Server(tmp_path, db=dst).start()
    s.task(title="already here")
    s.stop()
    before = dump(dst)
    p = copy(source["db"], dst)
    assert p.returncode == 1, p.stdout
    assert "DST holds data already" in p.stderr and "nothing was written" in p.stderr, p.stderr
    assert "every table's count" not in p.stdout
    assert dump(dst) == before
    # a new database made by `init` holds a token: data too
    dst2 = str(tmp_path / "init.db")
    assert run_cli("init", "--db", dst2).returncode == 0
    before = dump(dst2)
    p = copy(source["db"], dst2)
    assert p.returncode == 1 and "1 row in tokens" in p.stderr, p.stderr
    assert dump(dst2) == before


def test_an_empty_migrated_destination_is_fine_and_its_defaults_are_replaced(source, tmp_path):
    dst = str(tmp_path / "fresh.db")
    s = Server(tmp_path, db=dst).start()  # migrated: the default rule, policy and zero counters
    s.stop()
    c = sqlite3.connect(source["db"])
    c.execute("DELETE FROM rules WHERE id = 'rul_default_rejected_document'")
    c.commit()
    c.close()
    copied(source["db"], dst)
    assert dump(dst) == dump(source["db"])


def test_copy_refuses_a_source_at_an_older_schema_without_upgrading_it(source, tmp_path):
    c = sqlite3.connect(source["db"])
    applied = c.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    c.execute("DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
    c.commit()
    c.close()
    before = os.path.getmtime(source["db"]), dump(source["db"])
    dst = tmp_path / "never.db"
    p = copy(source["db"], dst)
    assert p.returncode == 1 and "OLDER" in p.stderr and "nothing was written" in p.stderr, p.stderr
    assert not dst.exists()
    assert (os.path.getmtime(source["db"]), dump(source["db"])) == before
    assert sqlite3.connect(source["db"]).execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == applied - 1


def test_copy_refuses_a_missing_source_and_itself_and_bad_command_lines(tmp_path):
    p = copy(tmp_path / "none.db", tmp_path / "dst.db")
    assert p.returncode == 1 and "none.db" in p.stderr, p.stderr
    assert os.listdir(tmp_path) == []
    assert run_cli("init", "--db", tmp_path / "a.db").returncode == 0
    p = copy(tmp_path / "a.db", tmp_path / "." / "a.db")
    assert p.returncode == 1 and "the same database" in p.stderr, p.stderr
    for args in (["copy"], ["copy", "--from", tmp_path / "a.db"], ["copy", "--to", tmp_path / "b.db"],
                 ["copy", "--from", tmp_path / "a.db", "--to", tmp_path / "b.db", "--bogus", "1"]):
        assert run_cli(*args).returncode == 2, args
    h = run_cli("copy", "--help")
    assert h.returncode == 0 and "usage: opstasks copy --from SRC --to DST" in h.stdout


def test_a_column_missing_from_the_table_list_fails_check_and_copy(source, tmp_path):
    c = sqlite3.connect(source["db"])
    c.execute("ALTER TABLE tasks ADD COLUMN forgotten TEXT")
    c.execute("CREATE TABLE new_thing (id TEXT PRIMARY KEY)")
    c.commit()
    c.close()
    rc, results, p = check_lines(source["db"])
    assert rc == 1 and results["tables"] == "FAILED", p.stdout
    assert "tasks.forgotten is in the database but not in the table list" in p.stdout, p.stdout
    assert "new_thing.id" in p.stdout
    p = copy(source["db"], tmp_path / "dst.db")
    assert p.returncode == 1 and "tasks.forgotten" in p.stderr, p.stderr
    assert not (tmp_path / "dst.db").exists()


def test_a_count_that_differs_after_the_copy_exits_non_zero(source, tmp_path):
    dst = str(tmp_path / "lossy.db")
    s = Server(tmp_path, db=dst).start()
    s.stop()
    c = sqlite3.connect(dst)  # a destination that loses rows: the count check must say so
    c.execute("CREATE TRIGGER lose AFTER INSERT ON staff WHEN new.id = 'sta_copy_b' BEGIN "
              "DELETE FROM staff WHERE id = new.id; END")
    c.commit()
    c.close()
    p = copy(source["db"], dst)
    assert p.returncode == 1, p.stdout
    assert "the counts differ" in p.stderr and "staff has 2 rows on SRC but 1 on DST" in p.stderr, p.stderr


def test_a_large_copy_shows_progress_on_a_terminal_only(source, tmp_path):
    c = sqlite3.connect(source["db"])
    c.executemany("INSERT INTO task_history (task_id, at, actor, type) VALUES (?, ?, 'test', 'note')",
                  [(source["probe"], 1700000000000 + i) for i in range(12000)])
    c.commit()
    c.close()
    dst = str(tmp_path / "big.db")
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen([BIN, "copy", "--from", source["db"], "--to", dst], stdout=subprocess.PIPE,
                                stderr=follower, stdin=subprocess.DEVNULL, env=child_env())
        os.close(follower)
        follower = None
        err = b""
        deadline = time.monotonic() + 120 * SLOW
        for _ in range(100000):
            if time.monotonic() > deadline:
                break
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                err += chunk
            elif proc.poll() is not None:
                break
        out = proc.communicate(timeout=60 * SLOW)[0].decode()
    finally:
        os.close(leader)
        if follower is not None:
            os.close(follower)
    assert proc.returncode == 0, (out, err)
    text = err.decode(errors="replace")
    assert "\rcopy: " in text and " rows (100%)" in text, text[-500:]
    assert dump(dst) == dump(source["db"])


# ---- the table list against both backends' schemas -------------------------------------

def test_the_table_list_is_the_sqlite_schema(tmp_path):
    db = tmp_path / "new.db"
    assert run_cli("init", "--db", db).returncode == 0
    rc, results, p = check_lines(db)
    assert rc == 0 and results["tables"] == "ok", p.stdout


def empty_migrated_sqlite(tmp_path):
    """A database a server made and left empty (no token either)."""
    d = tmp_path / "empty"
    d.mkdir()
    db = str(d / "empty.db")
    Server(d, db=db).start().stop()
    return db


def empty_migrated_pg(tmp_path):
    """A new PostgreSQL database with opstasks' schema and no rows: the copy
    of an empty source."""
    uri = new_pg_db()
    copied(empty_migrated_sqlite(tmp_path), uri)
    return uri


@needs_pg
def test_the_table_list_is_the_postgresql_schema_and_check_works_there(tmp_path):
    uri = new_pg_db()
    rc, results, p = check_lines(uri)
    assert rc == 1 and results["schema"] == "FAILED" and "no schema_migrations table" in p.stdout, p.stdout
    assert results["integrity"] == "n/a"
    uri = empty_migrated_pg(tmp_path)
    rc, results, p = check_lines(uri)
    assert rc == 0, p.stdout
    assert results == {"integrity": "n/a", "foreign keys": "ok", "schema": "ok", "stats totals": "ok",
                       "tables": "ok"}, p.stdout
    assert "PostgreSQL has no equivalent of SQLite's integrity_check" in p.stdout
    assert p.stdout.splitlines()[-1].startswith("check: all 4 checks passed on postgresql:///"), p.stdout
    psql(uri, "UPDATE task_counts SET n = n")  # nothing to break yet: add a total that no row has
    psql(uri, "INSERT INTO task_counts VALUES ('OPEN', 1, '2099-01-01', 3)")
    rc, results, p = check_lines(uri)
    assert rc == 1 and results["stats totals"] == "FAILED" and "the stats count 3, the rows are 0" in p.stdout
    psql(uri, "ALTER TABLE tasks ADD COLUMN forgotten text")
    rc, results, p = check_lines(uri)
    assert rc == 1 and results["tables"] == "FAILED" and "tasks.forgotten" in p.stdout, p.stdout
    p = copy(uri, str(tmp_path / "never.db"))
    assert p.returncode == 1 and "tasks.forgotten" in p.stderr, p.stderr
    assert not (tmp_path / "never.db").exists()


# ---- through PostgreSQL ---------------------------------------------------------------

@needs_pg
def test_sqlite_to_postgresql_to_postgresql_to_sqlite_gives_every_row_back(source, tmp_path):
    pg1, pg2 = new_pg_db(), new_pg_db()
    copied(source["db"], pg1)
    tasks = psql(pg1, "SELECT id, version, updated_at FROM tasks ORDER BY id")
    src = sqlite3.connect(source["db"])
    assert tasks == [[i, str(v), str(u)] for i, v, u in
                     src.execute("SELECT id, version, updated_at FROM tasks ORDER BY id").fetchall()]
    hashes = psql(pg1, "SELECT id, encode(hash, 'hex') FROM tokens ORDER BY id")
    assert hashes == [[i, h.hex()] for i, h in src.execute("SELECT id, hash FROM tokens ORDER BY id").fetchall()]
    seqs = psql(pg1, "SELECT max(seq) FROM task_history")[0][0]
    src.close()
    # the identity sequences go on past the copied numbers
    new = psql(pg1, "INSERT INTO task_history (task_id, at, actor, type) VALUES ('x', 1, 'test', 'note') "
                    "RETURNING seq")[0][0]
    assert int(new) == int(seqs) + 1
    psql(pg1, f"DELETE FROM task_history WHERE seq = {new}")
    rc, results, p = check_lines(pg1)
    assert rc == 0, p.stdout
    # the triggers the copy turned off while it wrote are on again
    assert psql(pg1, "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'") == [["0"]]
    assert int(psql(pg1, "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")[0][0]) >= 6
    # refused when DST holds data, DST unchanged
    before = psql(pg1, "SELECT count(*), max(updated_at) FROM tasks")
    p = copy(source["db"], pg1)
    assert p.returncode == 1 and "DST holds data already" in p.stderr, p.stderr
    assert psql(pg1, "SELECT count(*), max(updated_at) FROM tasks") == before
    copied(pg1, pg2)
    back = str(tmp_path / "back.db")
    copied(pg2, back)
    assert dump(back) == dump(source["db"])
    (tmp_path / "srv").mkdir()
    served_copy_keeps_tokens_etags_and_numbering(tmp_path / "srv", back, source)
    # and a server on PostgreSQL: the same token, ETag, history and numbering
    (tmp_path / "srv_pg").mkdir()
    served_copy_keeps_tokens_etags_and_numbering(tmp_path / "srv_pg", pg1, source)


@needs_pg
def test_a_postgresql_database_a_server_prepared_and_left_empty_takes_a_copy(source, tmp_path):
    dst = new_pg_db()
    d = tmp_path / "prep"
    d.mkdir()
    Server(d, db=dst).start().stop()  # migrated, with the schema's default policy and rule
    copied(source["db"], dst)
    back = str(tmp_path / "back.db")
    copied(dst, back)
    assert dump(back) == dump(source["db"])


@needs_pg
def test_a_postgresql_copy_leaves_the_planner_statistics_of_what_it_copied(source, tmp_path):
    # Without them the planner guesses until autovacuum's first ANALYZE (up to a
    # minute or more later), and the first writes beside the views ran ~30
    # times slower on a copy of 1,000,000 tasks. reltuples is -1 on a table
    # never analyzed.
    dst = new_pg_db()
    copied(source["db"], dst)
    c = sqlite3.connect(source["db"])
    try:
        counts = {t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("tasks", "task_history", "staff")}
    finally:
        c.close()
    rows = dict(psql(dst, "SELECT relname, reltuples::bigint FROM pg_class WHERE relname IN "
                          "('tasks', 'task_history', 'staff') AND relkind = 'r'"))
    assert {t: int(n) for t, n in rows.items()} == counts, (rows, counts)


@needs_pg
def test_a_postgresql_destination_that_loses_a_row_fails_the_count_check(source, tmp_path):
    lossy = empty_migrated_pg(tmp_path)
    # a rule, not a trigger: the copy turns the triggers of our tables off while it writes
    psql(lossy, "CREATE RULE lose AS ON INSERT TO staff WHERE NEW.id = 'sta_copy_b' DO INSTEAD NOTHING")
    p = copy(source["db"], lossy)
    assert p.returncode == 1 and "staff has 2 rows on SRC but 1 on DST" in p.stderr, p.stderr


@needs_pg
def test_postgresql_to_postgresql_refuses_a_destination_with_data(source, tmp_path):
    a, b = new_pg_db(), empty_migrated_pg(tmp_path)
    copied(source["db"], a)
    psql(b, "INSERT INTO staff VALUES ('sta_there', 'There', NULL, 1, 1, 1)")
    p = copy(a, b)
    assert p.returncode == 1 and "1 row in staff" in p.stderr and "nothing was written" in p.stderr, p.stderr
    assert psql(b, "SELECT count(*) FROM tasks") == [["0"]]
    assert psql(b, "SELECT id FROM staff") == [["sta_there"]]


# ---- a source that a server goes on writing to -------------------------------------------

@pytest.mark.parametrize("to", ["sqlite", pytest.param("postgresql", marks=needs_pg)])
def test_a_copy_beside_a_server_writing_to_the_source_is_one_consistent_snapshot(source, tmp_path, to):
    import threading
    d = tmp_path / "live"
    d.mkdir()
    s = Server(d, db=source["db"]).start()
    stop = threading.Event()
    made = []

    def creates():
        for i in range(5000):
            if stop.is_set():
                break
            made.append(s.task(title=f"during {i}")["id"])

    t = threading.Thread(target=creates)
    t.start()
    try:
        wait_until(lambda: len(made) > 20, 30, what="creates under way")
        dst = str(tmp_path / "live.db") if to == "sqlite" else new_pg_db()
        p = copy(source["db"], dst)
    finally:
        stop.set()
        t.join(60)
        s.stop()
    assert p.returncode == 0, p.stdout + p.stderr
    rc, results, c = check_lines(dst)
    assert rc == 0, c.stdout  # the task counts and the tasks are of one instant
    if to == "sqlite":
        have = {r[0] for r in sqlite3.connect(dst).execute("SELECT id FROM tasks").fetchall()}
    else:
        have = {r[0] for r in psql(dst, "SELECT id FROM tasks")}
    final = {r[0] for r in sqlite3.connect(source["db"]).execute("SELECT id FROM tasks").fetchall()}
    assert set(source["tasks"]) <= have < final  # creates went on after the snapshot
    assert set(made) & have and set(made) - have
