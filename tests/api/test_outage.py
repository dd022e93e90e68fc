"""The database going away under a PostgreSQL-backed server: while the
PostgreSQL server is down, /ops requests answer 503 `unavailable` within 10
seconds instead of hanging, /healthz keeps answering and /readyz answers
503; when it is back, requests succeed again within 10 seconds without a
restart, and nothing acknowledged is lost, also when PostgreSQL is killed
(`pg_ctl stop -m immediate`: a crash, recovered at its next start) while
writes are in flight. Each test runs a cluster of its own (pgcluster.py),
so stopping it disturbs no other test."""
import threading
import time

import pytest

from conftest import FUTURE, SLOW, Server, all_task_ids, wait_until
from pgcluster import Cluster, pg_bin

pytestmark = pytest.mark.skipif(pg_bin() is None, reason="PostgreSQL is not installed (scripts/deps.sh installs it)")


@pytest.fixture
def cluster():
    c = Cluster().init().start()
    yield c
    c.remove()


def timed(f):
    t0 = time.monotonic()
    r = f()
    return r, time.monotonic() - t0


def test_an_outage_answers_503_fast_and_the_server_recovers_without_a_restart(cluster, tmp_path):
    s = Server(tmp_path, db=cluster.createdb("outage")).start()
    try:
        before = {s.task(title=f"Before {i}", due_date=FUTURE)["id"] for i in range(5)}
        cluster.stop("immediate")
        for method, path, body in (("GET", "/ops/tasks", None), ("POST", "/ops/tasks", {"title": "During",
                                                                                        "due_date": FUTURE}),
                                   ("GET", "/ops/tasks/stats", None)):
            r, took = timed(lambda: s.request(method, path, body))
            assert r.status == 503 and r.json()["error"]["code"] == "unavailable", r
            assert took < 10, f"{method} {path} took {took:.1f} s"
        s.healthy()
        wait_until(lambda: s.get("/readyz", token=None).status == 503, 10, interval=0.2, what="/readyz to answer 503")
        assert s.proc.poll() is None
        cluster.start()
        t0 = time.monotonic()
        wait_until(lambda: s.get("/ops/tasks").status == 200, 10, interval=0.2, what="reads to succeed again")
        wait_until(lambda: s.post("/ops/tasks", {"title": "After", "due_date": FUTURE}).status == 201, 10,
                   interval=0.2, what="writes to succeed again")
        assert time.monotonic() - t0 < 10 * SLOW + 1
        wait_until(lambda: s.get("/readyz", token=None).status == 200, 10, interval=0.2, what="/readyz to answer 200")
        assert before <= all_task_ids(s)
    finally:
        if s.proc:
            s.stop()


def test_killing_postgresql_under_load_loses_no_acknowledged_write(cluster, tmp_path):
    uri = cluster.createdb("crash")
    servers = [Server(tmp_path / f"s{i}", db=uri) for i in range(2)]
    for i, s in enumerate(servers):
        (tmp_path / f"s{i}").mkdir()
        s.start()
    acked, refused, stop = [], [], threading.Event()

    def load(s, n):
        for i in range(100000):
            if stop.is_set():
                return
            try:
                r = s.post("/ops/tasks", {"title": f"Load {n}-{i}", "due_date": FUTURE})
            except OSError:
                s._drop_conn()
                continue
            (acked if r.status == 201 else refused).append(r.json().get("id") if r.status == 201 else r.status)

    try:
        for round_ in range(3):
            threads = [threading.Thread(target=load, args=(s, n)) for n, s in enumerate(servers)]
            for t in threads:
                t.start()
            time.sleep(0.5 + 0.3 * round_)
            cluster.stop("immediate")
            time.sleep(0.5)
            cluster.start()
            time.sleep(0.5)
            stop.set()
            for t in threads:
                t.join(60 * SLOW)
            stop.clear()
            wait_until(lambda: all(s.get("/ops/tasks").status == 200 for s in servers), 10, interval=0.2,
                       what="both instances to read again")
        assert set(refused) <= {503}, set(refused)
        listed = all_task_ids(servers[1])
        missing = [t for t in acked if t not in listed]
        assert not missing, f"{len(missing)} of {len(acked)} acknowledged tasks lost"
        assert len(acked) > 50
    finally:
        for s in servers:
            if s.proc:
                s.stop()
