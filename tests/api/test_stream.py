"""The live feed: GET /ops/stream (server-sent events of task changes) and
GET /ops/changes (the same changes as JSON, for polling). Events arrive for
a create, a patch and a comment; Last-Event-ID resumes with exactly the
changes missed; a stream opened without one starts from now; the cap
answers 503 with Retry-After; auth is every /ops route's (token or session
cookie); SIGTERM ends open streams and the server still exits 0 at once;
and, the changes being read from the database, a change made through one
instance reaches a stream on another (two on one PostgreSQL database under
OPSTASKS_TEST_PG, two on one SQLite file otherwise).
"""
import http.client
import json
import queue
import signal
import socket
import threading
import time

import pytest

from conftest import SLOW, Server, assert_error, db_query, is_pg_uri, new_db_uri, sqlite_undo_sla_clock, wait_until

# Timing-bound (a heartbeat every 15 s, events within seconds, a quick stop with streams open):
# make runs these after the suite's parallel part, two modules at a time.
pytestmark = pytest.mark.serial
from test_web import cookie_headers, session


class Stream:
    """One GET /ops/stream read on a thread of its own: the events (dicts
    with id, event, data parsed as JSON) and comment lines go to a queue."""

    def __init__(self, server, token=None, headers=None, path="/ops/stream"):
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30 * SLOW)
        h = {} if token is False else {"Authorization": f"Bearer {token or server.admin}"}
        h.update(headers or {})
        self.conn.request("GET", path, headers=h)
        self.sock = self.conn.sock  # the response takes it over (Connection: close)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.q = queue.Queue()
        self.ended = threading.Event()
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()
        else:
            self.body = self.resp.read()

    def header(self, name):
        return self.resp.getheader(name)

    def _read(self):
        ev = {}
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    break
                line = line.decode().rstrip("\n")
                if line == "":
                    if ev:
                        if "data" in ev:
                            ev["data"] = json.loads(ev["data"])
                        self.q.put(ev)
                    ev = {}
                elif line.startswith(":"):
                    self.q.put({"comment": line[1:].strip()})
                else:
                    k, _, v = line.partition(":")
                    ev[k] = v[1:] if v.startswith(" ") else v
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass
        self.ended.set()

    def next(self, timeout=5, comments=False):
        """The next event (or, with comments=True, comment line too); AssertionError when none comes."""
        deadline = time.monotonic() + timeout * SLOW
        while True:
            left = deadline - time.monotonic()
            try:
                ev = self.q.get(timeout=max(left, 0.01))
            except queue.Empty:
                raise AssertionError(f"no event within {timeout * SLOW} s")
            if comments or "comment" not in ev:
                return ev

    def changes(self, n, timeout=5):
        """The next n change events (the ready event skipped)."""
        out = []
        while len(out) < n:
            ev = self.next(timeout)
            if ev.get("event") == "ready":
                continue
            out.append(ev)
        return out

    def quiet(self, seconds):
        """No change event for that long."""
        try:
            ev = self.next(seconds)
        except AssertionError:
            return True
        raise AssertionError(f"unexpected event {ev}")

    def close(self):
        # shut the socket down: the response's file keeps the descriptor
        # open past conn.close() while the reading thread holds it
        if self.sock:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self.status == 200:
            self.ended.wait(5)
        self.resp.close()
        self.conn.close()


def ready(s):
    assert s.status == 200, s.body
    ev = s.next()
    assert ev["event"] == "ready", ev
    assert ev["id"] == ev["data"]["last_event_id"]
    return ev["id"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("stream")).start()
    s.staff("sta_live_ann", "Ann Live")
    yield s
    if s.proc:
        s.stop()


def test_stream_answers_event_stream_headers_and_a_ready_event(srv):
    s = Stream(srv)
    try:
        assert s.status == 200
        assert s.header("Content-Type").startswith("text/event-stream")
        assert s.header("Cache-Control") == "no-store"
        ev = s.next()
        assert ev["event"] == "ready" and ev["retry"] == "2000"
        h, c = ev["id"].split("-")
        assert h.isdigit() and c.isdigit()
    finally:
        s.close()


def test_create_patch_assign_and_comment_arrive_as_events_in_order(srv):
    s = Stream(srv)
    try:
        ready(s)
        t = srv.task(title="Live one")
        srv.set_status(t["id"], "IN_PROGRESS")
        r = srv.patch(f"/ops/tasks/{t['id']}", {"assignee_id": "sta_live_ann", "priority": "URGENT"})
        assert r.status == 200, r
        r = srv.post(f"/ops/tasks/{t['id']}/comments", {"body": "called them"})
        assert r.status == 201, r
        cm = r.json()
        evs = s.changes(4)
        got = [(e["data"]["type"], e["data"]["task_id"]) for e in evs]
        assert got == [("task.created", t["id"]), ("task.updated", t["id"]), ("task.updated", t["id"]),
                       ("comment.created", t["id"])]
        created, started, assigned, commented = (e["data"] for e in evs)
        assert "fields" not in created and created["version"] >= 1
        assert "status" in started["fields"]
        # one PATCH of two fields is one event naming both
        assert set(assigned["fields"]) >= {"assignee_id", "priority"}, assigned
        assert assigned["version"] == r_version(srv, t["id"])
        assert commented["comment_id"] == cm["id"]
        assert created["actor"].startswith("token:") and created["at"].endswith("Z")
        # each event's id is its position, growing, and in the data too
        ids = [e["id"] for e in evs]
        assert [e["data"]["id"] for e in evs] == ids
        pairs = [tuple(map(int, i.split("-"))) for i in ids]
        assert pairs == sorted(pairs) and len(set(pairs)) == 4
        s.quiet(1)
    finally:
        s.close()


def r_version(srv, tid):
    return srv.get_task(tid)["version"]


def test_last_event_id_resumes_with_exactly_the_missed_changes(srv):
    s = Stream(srv)
    try:
        ready(s)
        a = srv.task(title="Before the cut")
        last = s.changes(1)[0]
        assert last["data"]["task_id"] == a["id"]
    finally:
        s.close()
    # missed while away: a create, a patch, a comment
    b = srv.task(title="While away")
    srv.set_status(b["id"], "IN_PROGRESS")
    assert srv.post(f"/ops/tasks/{a['id']}/comments", {"body": "while away"}).status == 201
    resumed = [Stream(srv, **how) for how in ({"headers": {"Last-Event-ID": last["id"]}},
                                              {"path": f"/ops/stream?after={last['id']}"})]
    try:
        for s in resumed:
            assert ready(s) == last["id"]
            evs = s.changes(3)
            assert [(e["data"]["type"], e["data"]["task_id"]) for e in evs] == [
                ("task.created", b["id"]), ("task.updated", b["id"]), ("comment.created", a["id"])]
        for s in resumed:
            s.quiet(1)
        # and each goes on live from there
        srv.set_status(b["id"], "COMPLETED")
        for s in resumed:
            ev = s.changes(1)[0]
            assert ev["data"]["task_id"] == b["id"] and "status" in ev["data"]["fields"]
    finally:
        for s in resumed:
            s.close()


def test_a_stream_without_last_event_id_starts_from_now(srv):
    srv.task(title="Old news")
    time.sleep(0.6)  # past a poll of the feed
    s = Stream(srv)
    try:
        ready(s)
        s.quiet(1.2)
        t = srv.task(title="Fresh")
        assert s.changes(1)[0]["data"]["task_id"] == t["id"]
    finally:
        s.close()
    s = Stream(srv, path="/ops/stream?after=now")
    try:
        ready(s)
        s.quiet(1)
    finally:
        s.close()


def test_a_position_past_the_newest_change_is_taken_as_now_and_a_malformed_one_refused(srv):
    s = Stream(srv, headers={"Last-Event-ID": "999999999-999999999"})
    try:
        pos = ready(s)
        assert pos != "999999999-999999999"
        t = srv.task(title="After a stranger's id")
        assert s.changes(1)[0]["data"]["task_id"] == t["id"]
    finally:
        s.close()
    for bad in ("x", "1-", "-1", "1-2-3", "1.2", "a-b", "12345678901234567890-1"):
        assert_error(srv.get(f"/ops/stream?after={bad}"), 422, "validation_failed", "after")
        assert_error(srv.get(f"/ops/changes?after={bad}"), 422, "validation_failed", "after")
    assert_error(srv.get("/ops/stream?since=now"), 422, "validation_failed")


def test_changes_answers_the_same_changes_as_json_for_polling(srv):
    r = srv.get("/ops/changes")
    assert r.status == 200, r
    body = r.json()
    assert body["data"] == [] and body["more"] is False
    start = body["last_event_id"]
    t = srv.task(title="Polled")
    srv.set_status(t["id"], "IN_PROGRESS")
    body = srv.get(f"/ops/changes?after={start}").json()
    assert [(c["type"], c["task_id"]) for c in body["data"]] == [("task.created", t["id"]),
                                                                ("task.updated", t["id"])]
    assert body["last_event_id"] == body["data"][-1]["id"]
    again = srv.get(f"/ops/changes?after={body['last_event_id']}").json()
    assert again["data"] == [] and again["last_event_id"] == body["last_event_id"]


def test_stream_and_changes_need_a_token_or_a_session_cookie(srv):
    s = Stream(srv, token=False)
    assert s.status == 401 and json.loads(s.body)["error"]["code"] == "unauthorized"
    s = Stream(srv, token="ops_not_a_real_token")
    assert s.status == 401
    assert_error(srv.get("/ops/changes", token=None), 401, "unauthorized")
    c = session(srv)
    s = Stream(srv, token=False, headers=cookie_headers(srv, c, csrf=False, origin=False))
    try:
        ready(s)
        t = srv.task(title="Seen by a browser")
        assert s.changes(1)[0]["data"]["task_id"] == t["id"]
    finally:
        s.close()
    agent = srv.token("agent", staff="sta_live_ann")
    s = Stream(srv, token=agent)
    try:
        ready(s)
    finally:
        s.close()


def test_a_heartbeat_comment_comes_every_15_seconds(srv):
    s = Stream(srv)
    try:
        ready(s)
        t0 = time.monotonic()
        ev = s.next(timeout=20, comments=True)
        assert ev == {"comment": "keep-alive"}, ev
        assert 13 <= time.monotonic() - t0 <= 18 * SLOW
    finally:
        s.close()


def test_streams_past_the_cap_are_answered_503_with_retry_after(make_server):
    srv = make_server(extra_args=["--max-streams", "2"])
    a, b = Stream(srv), Stream(srv)
    try:
        ready(a)
        ready(b)
        c = Stream(srv)
        assert c.status == 503, c.body
        assert c.header("Retry-After") == "10"
        assert json.loads(c.body)["error"]["code"] == "unavailable"
        # polling still answers
        assert srv.get("/ops/changes").status == 200
        # a slot comes back once a client leaves: its stream ends at the
        # next write to it (a change here), the poller gives the slot back
        a.close()

        def reopened():
            srv.task(title="Wakes the streams")
            s = Stream(srv)
            if s.status == 200:
                return s
            s.close()
            return None

        d = wait_until(reopened, 20, interval=0.5, what="a free stream slot")
        ready(d)
        d.close()
    finally:
        a.close()
        b.close()


def test_sigterm_ends_open_streams_and_the_server_exits_0_at_once(make_server):
    srv = make_server()
    streams = [Stream(srv) for _ in range(4)]
    for s in streams:
        ready(s)
    t0 = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    code = srv.proc.wait(10 * SLOW)
    elapsed = time.monotonic() - t0
    srv.proc.stdout.close()
    srv.proc = None
    log = srv.read_stderr()
    assert code == 0, log[-3000:]
    Server.check_sanitizer(log)
    assert elapsed < 3 * SLOW, f"took {elapsed:.2f} s to stop with streams open"
    for s in streams:
        assert s.ended.wait(5), "a stream was left open"
        s.close()
    assert "stopped cleanly" in log


def test_a_change_through_one_instance_reaches_a_stream_on_another(tmp_path):
    """Two instances on one database (PostgreSQL under OPSTASKS_TEST_PG, else one SQLite file)."""
    db = new_db_uri(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = Server(tmp_path / "a", db=db).start()
    b = Server(tmp_path / "b", db=db).start()
    b._admin = a.admin
    streams = []
    try:
        on_b, on_a = Stream(b), Stream(a)
        streams += [on_b, on_a]
        ready(on_b)
        ready(on_a)
        t = a.task(title="Made on A")
        t0 = time.monotonic()
        ev = on_b.changes(1, timeout=3)[0]
        assert ev["data"]["type"] == "task.created" and ev["data"]["task_id"] == t["id"]
        assert time.monotonic() - t0 < 2 * SLOW
        assert on_a.changes(1)[0]["id"] == ev["id"], "both instances number the change alike"
        # the other way, a patch and a comment
        b.set_status(t["id"], "IN_PROGRESS")
        assert b.post(f"/ops/tasks/{t['id']}/comments", {"body": "from B"}).status == 201
        for s in (on_a, on_b):
            got = [(e["data"]["type"]) for e in s.changes(2, timeout=3)]
            assert got == ["task.updated", "comment.created"], got
        # a stream on B resumes from an id A gave
        on_b.close()
        a.set_status(t["id"], "COMPLETED")
        resumed = Stream(b, headers={"Last-Event-ID": ev["id"]})
        streams.append(resumed)
        ready(resumed)
        got = [e["data"]["type"] for e in resumed.changes(3, timeout=3)]
        assert got == ["task.updated", "comment.created", "task.updated"], got
    finally:
        for s in streams:
            s.close()
        for s in (a, b):
            if s.proc:
                s.stop()


def test_head_answers_the_stream_headers_without_a_stream(srv):
    r = srv.request("HEAD", "/ops/stream")
    assert r.status == 200
    assert r.header("Content-Type").startswith("text/event-stream")


def test_a_resume_far_behind_catches_up_in_pages_then_goes_live(make_server):
    srv = make_server()
    s = Stream(srv)
    try:
        start = ready(s)
    finally:
        s.close()
    made = [srv.task(title=f"Burst {i}")["id"] for i in range(520)]
    body = srv.get(f"/ops/changes?after={start}").json()
    assert len(body["data"]) == 500 and body["more"] is True
    rest = srv.get(f"/ops/changes?after={body['last_event_id']}").json()
    assert [c["task_id"] for c in body["data"] + rest["data"]] == made and rest["more"] is False
    s = Stream(srv, headers={"Last-Event-ID": start})
    try:
        ready(s)
        evs = s.changes(520, timeout=10)
        assert [e["data"]["task_id"] for e in evs] == made
        t = srv.task(title="After the burst")
        assert s.changes(1)[0]["data"]["task_id"] == t["id"]
    finally:
        s.close()


def test_open_streams_hold_no_http_thread(srv):
    """More streams than the server has HTTP threads (2 to 16), and it still
    answers at once, and a change reaches every one of them."""
    streams = [Stream(srv) for _ in range(40)]
    try:
        for s in streams:
            ready(s)
        t0 = time.monotonic()
        srv.healthy()
        assert srv.get("/ops/tasks?limit=1").status == 200
        assert time.monotonic() - t0 < 1 * SLOW
        t = srv.task(title="To everyone")
        for s in streams:
            assert s.changes(1, timeout=3)[0]["data"]["task_id"] == t["id"]
    finally:
        for s in streams:
            s.close()


def test_comments_from_before_the_feed_are_numbered_on_upgrade_in_their_order(make_server):
    srv = make_server()
    t = srv.task(title="Old comments")
    old = [srv.post(f"/ops/tasks/{t['id']}/comments", {"body": f"old {i}"}).json()["id"] for i in range(3)]
    srv.stop()
    # the table as it was before its seq (and the migration forgotten)
    if is_pg_uri(srv.db):
        db_query(srv, "ALTER TABLE task_comments DROP COLUMN seq")
        db_query(srv, "DELETE FROM schema_migrations WHERE version >= 8")
    else:
        db_query(srv, "CREATE TABLE old_comments AS SELECT id, task_id, author, body, mentions, created_at "
                      "FROM task_comments")
        db_query(srv, "DROP TABLE task_comments")
        db_query(srv, "ALTER TABLE old_comments RENAME TO task_comments")
        sqlite_undo_sla_clock(srv)  # 017 alters tasks: undone to apply again
        db_query(srv, "DELETE FROM schema_migrations WHERE version >= 16")
    srv.start()
    body = srv.get("/ops/changes?after=0-0").json()
    got = [c["comment_id"] for c in body["data"] if c["type"] == "comment.created"]
    assert got == old
    new = srv.post(f"/ops/tasks/{t['id']}/comments", {"body": "new"}).json()["id"]
    later = srv.get(f"/ops/changes?after={body['last_event_id']}").json()["data"]
    assert [c.get("comment_id") for c in later] == [new]
    assert srv.get(f"/ops/tasks/{t['id']}/comments").json()["data"][-1]["id"] == new
