"""`opstasks backup` and `opstasks check` against real databases: an online
copy while a server takes creates, a restore from it, and the checks failing
on a tampered stats total, a corrupted page and another schema version."""
import os
import shutil
import sqlite3
import threading
import time

from conftest import SLOW, run_cli, sqlite_only

pytestmark = sqlite_only("backup and check copy and read SQLite files; on a PostgreSQL URI they refuse in one "
                         "line (test_db_backend.py has backup's), and PostgreSQL is backed up with pg_dump")


def fill(s, n_events=120):
    """Makes the database a few MiB, so a backup takes many steps."""
    for i in range(n_events):
        r = s.post("/ops/events", {"id": f"evt_fill_{i}", "type": "bench.fill", "data": {"pad": "x" * 60000}})
        assert r.status == 201, r


class Creator:
    """Threads creating tasks until stopped; records each acknowledged id
    with the moment its 201 arrived."""

    def __init__(self, s, threads=3):
        self.s = s
        self.lock = threading.Lock()
        self.acked = []  # (monotonic time of the answer, id)
        self.errors = []
        self.latencies = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(k,)) for k in range(threads)]

    def run(self, k):
        for i in range(100000):
            if self.stop.is_set():
                return
            t0 = time.monotonic()
            try:
                r = self.s.post("/ops/tasks", {"title": f"backup load {k}-{i}", "due_date": "2039-01-01"})
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(e))
                return
            t1 = time.monotonic()
            if r.status != 201:
                self.errors.append(repr(r))
                return
            with self.lock:
                self.acked.append((t1, r.json()["id"]))
                self.latencies.append(t1 - t0)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(30 * SLOW)

    def acked_before(self, when):
        with self.lock:
            return {tid for t, tid in self.acked if t < when}


def task_ids(db):
    c = sqlite3.connect(db)
    try:
        return {row[0] for row in c.execute("SELECT id FROM tasks")}
    finally:
        c.close()


def test_backup_during_concurrent_creates_holds_every_acknowledged_task_and_passes_check(make_server, tmp_path):
    s = make_server()
    fill(s)
    copy = str(tmp_path / "copy.db")
    with Creator(s) as load:
        wait = time.monotonic() + 10 * SLOW
        while len(load.acked) < 200 and time.monotonic() < wait and not load.errors:
            time.sleep(0.05)
        started = time.monotonic()
        p = run_cli("backup", "--db", s.db, copy)
        finished = time.monotonic()
        # the creates go on during and after the backup
        wait = time.monotonic() + 10 * SLOW
        before_end = len(load.acked)
        while len(load.acked) < before_end + 50 and time.monotonic() < wait and not load.errors:
            time.sleep(0.05)
    assert not load.errors, load.errors[:3]
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"backup: copied {s.db} to {copy}: "), p.stdout
    must = load.acked_before(started)
    assert len(must) >= 200
    have = task_ids(copy)
    assert must <= have, f"{len(must - have)} acknowledged tasks missing from the copy"
    # and nothing that did not exist by the time the backup ended
    assert have <= load.acked_before(finished + 5) | task_ids(s.db)
    # the server's writer was never held for long (generous: loaded 2-core machine)
    assert max(load.latencies) < 5 * SLOW, max(load.latencies)
    assert not [f for f in os.listdir(tmp_path) if ".tmp-" in f], os.listdir(tmp_path)
    c = run_cli("check", "--db", copy)
    assert c.returncode == 0, c.stdout + c.stderr
    lines = c.stdout.splitlines()
    assert [ln.split()[0] for ln in lines[:-1]] == ["ok"] * 5, c.stdout
    assert lines[-1] == f"check: all 5 checks passed on {copy}", c.stdout


def test_restore_from_a_backup_serves_the_backed_up_tasks(make_server, tmp_path):
    s = make_server()
    kept = [s.task(title=f"kept {i}")["id"] for i in range(20)]
    copy = str(tmp_path / "restore.db")
    p = run_cli("backup", "--db", s.db, copy)
    assert p.returncode == 0, p.stderr
    later = s.task(title="after the backup")["id"]
    # restore: stop, replace the file, delete -wal/-shm, start
    s.stop()
    shutil.copyfile(copy, s.db)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(s.db + suffix):
            os.unlink(s.db + suffix)
    s.start()
    for tid in kept:
        assert s.get_task(tid)["id"] == tid
    assert s.get(f"/ops/tasks/{later}").status == 404
    assert s.stats()["counts"]["OPEN"] == 20


def test_backup_never_replaces_an_existing_file(make_server, tmp_path):
    s = make_server()
    s.task()
    dst = tmp_path / "exists.db"
    dst.write_bytes(b"precious")
    p = run_cli("backup", "--db", s.db, dst)
    assert p.returncode == 1 and p.stdout == ""
    assert "exists already" in p.stderr and str(dst) in p.stderr, p.stderr
    assert dst.read_bytes() == b"precious"
    assert "never replaces" in run_cli("backup", "--help").stdout


def test_backup_and_check_refuse_bad_command_lines_with_exit_2(tmp_path):
    for args in (["backup", "--db", tmp_path / "a.db"], ["backup", str(tmp_path / "b.db")],
                 ["backup", "--db", tmp_path / "a.db", "x", "y"], ["check"], ["check", "--db"],
                 ["check", "--db", tmp_path / "a.db", "stray"], ["backup", "--bogus", "1", "x"]):
        p = run_cli(*args)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1 and p.stdout == "", (args, p.stderr)


def test_backup_of_a_missing_database_fails_with_exit_1_and_writes_nothing(tmp_path):
    p = run_cli("backup", "--db", tmp_path / "none.db", tmp_path / "copy.db")
    assert p.returncode == 1 and "none.db" in p.stderr
    assert os.listdir(tmp_path) == []


def stopped_db(make_server, tmp_path, n=300):
    """A database with n tasks and its server stopped (WAL checkpointed)."""
    s = make_server()
    for i in range(n):
        s.task(title=f"t{i}", priority=["LOW", "MEDIUM", "HIGH", "URGENT"][i % 4],
               due_date=f"2039-0{1 + i % 9}-0{1 + i % 9}")
    s.stop()
    return s.db


def check(db):
    p = run_cli("check", "--db", db)
    lines = p.stdout.splitlines()
    return p.returncode, {ln[8:22].strip(): ln.split()[0] for ln in lines[:-1]}, lines[-1] if lines else "", p


def test_check_names_a_stats_total_that_does_not_match_the_rows(make_server, tmp_path):
    db = stopped_db(make_server, tmp_path, n=40)
    assert check(db)[0] == 0
    c = sqlite3.connect(db)
    c.execute("UPDATE task_counts SET n = n + 1 WHERE (status, prio, due_date) = "
              "(SELECT status, prio, due_date FROM task_counts LIMIT 1)")
    c.commit()
    c.close()
    rc, results, summary, p = check(db)
    assert rc == 1, p.stdout
    assert results == {"integrity": "ok", "foreign keys": "ok", "schema": "ok", "stats totals": "FAILED",
                       "tables": "ok"}, p.stdout
    assert "the stats count" in p.stdout
    assert summary == f"check: 1 of 5 checks FAILED on {db}: stats totals", summary


def test_check_finds_a_corrupted_page(make_server, tmp_path):
    db = stopped_db(make_server, tmp_path)
    c = sqlite3.connect(db)
    page_size = c.execute("PRAGMA page_size").fetchone()[0]
    # a leaf page of an index of the tasks: the file still opens, the damage is inside
    root = c.execute("SELECT rootpage FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'tasks' "
                     "AND name NOT LIKE 'sqlite_autoindex%' ORDER BY rootpage LIMIT 1").fetchone()[0]
    c.close()
    assert not os.path.exists(db + "-wal") or os.path.getsize(db + "-wal") == 0
    with open(db, "r+b") as f:
        f.seek((root - 1) * page_size + 100)
        f.write(bytes([0xA5]) * (page_size - 200))
    rc, results, summary, p = check(db)
    assert rc == 1, p.stdout
    assert results["integrity"] == "FAILED", p.stdout
    assert "integrity" in summary and "FAILED" in summary, summary


def test_check_says_plainly_when_the_schema_is_older_or_newer(make_server, tmp_path):
    db = stopped_db(make_server, tmp_path, n=1)
    older, newer = str(tmp_path / "older.db"), str(tmp_path / "newer.db")
    shutil.copyfile(db, older)
    shutil.copyfile(db, newer)
    c = sqlite3.connect(older)
    c.execute("DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
    c.commit()
    c.close()
    c = sqlite3.connect(newer)
    c.execute("INSERT INTO schema_migrations VALUES (999, '999_future', 0)")
    c.commit()
    c.close()
    rc, results, summary, p = check(older)
    assert rc == 1 and results["schema"] == "FAILED" and "OLDER" in p.stdout, p.stdout
    rc, results, summary, p = check(newer)
    assert rc == 1 and results["schema"] == "FAILED" and "NEWER" in p.stdout, p.stdout
    assert results["integrity"] == "ok" and results["stats totals"] == "ok"


def test_check_of_a_file_that_is_not_an_opstasks_database_fails_every_check(tmp_path):
    other = tmp_path / "other.db"
    c = sqlite3.connect(other)
    c.execute("CREATE TABLE t (x)")
    c.commit()
    c.close()
    rc, results, summary, p = check(other)
    assert rc == 1
    assert results["schema"] == "FAILED" and "not an opstasks database" in p.stdout
    assert results["stats totals"] == "FAILED"
    p = run_cli("check", "--db", tmp_path / "missing.db")
    assert p.returncode == 1 and "missing.db" in p.stderr
    assert not (tmp_path / "missing.db").exists()


def test_check_runs_beside_a_live_server_without_changing_anything(make_server):
    s = make_server()
    s.task()
    p = run_cli("check", "--db", s.db)
    assert p.returncode == 0, p.stdout
    assert s.task()["status"] == "OPEN"


def test_backup_of_a_database_locked_by_another_process_gives_up_in_bounded_time(make_server, tmp_path):
    s = make_server()
    s.task()
    s.stop()
    holder = sqlite3.connect(s.db, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("CREATE TABLE lock_holder (x)")
        t0 = time.monotonic()
        p = run_cli("backup", "--db", s.db, tmp_path / "locked.db", timeout=60)
        took = time.monotonic() - t0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert p.returncode == 1 and "locked" in p.stderr, p.stderr
    assert took < 20 * SLOW, took
    assert not [f for f in os.listdir(tmp_path) if f.startswith("locked.db")], os.listdir(tmp_path)
