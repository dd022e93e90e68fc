"""Webhooks: PUT/GET/DELETE /ops/webhooks/{id}, deliveries signed with the
webhook's secret to a receiver on 127.0.0.1 (a thread of this process),
retried with the same delivery id after failures, kept in the outbox across
a kill -9, never sent for a change that rolled back, sent once by one of two
instances on one database, and refused by the SSRF guard without
--webhook-allow-private. The same tests run on SQLite and PostgreSQL.
"""
import hashlib
import hmac
import http.server
import json
import socket
import threading
import time

import pytest

from conftest import (FUTURE, ON_PG, SLOW, Server, assert_error, db_query, new_db_uri, wait_until)

ALLOW = ["--webhook-allow-private"]
SECRET = "s3cret-key for signing"
ALL_TASK_EVENTS = ["task.created", "task.updated", "task.assigned", "task.completed", "task.cancelled",
                   "task.reopened", "task.overdue", "sla.breached", "comment.created"]


class Listener(http.server.ThreadingHTTPServer):
    """A threaded HTTP server with a listen backlog for many connections at
    once (the default 5 drops SYNs, which cost 1 s, then 3 s, to retransmit)."""
    request_queue_size = 1024
    daemon_threads = True


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST, checks its
    signature with `secret`, and answers `fail` (a status) to the first
    `fail_times` tries of each delivery id, then 200."""

    def __init__(self, secret=SECRET, fail_times=0, fail=500, port=0):
        self.secret = secret.encode()
        self.fail_times = fail_times
        self.fail = fail
        self.got = []  # (delivery id, event, body dict, arrival monotonic) of every try
        self.bad = []  # what failed a check
        self.lock = threading.Lock()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                rec.record(self.headers, body)
                with rec.lock:
                    tries = sum(1 for g in rec.got if g[0] == self.headers.get("X-Opstasks-Delivery"))
                status = rec.fail if tries <= rec.fail_times else 200
                out = b'{"ok": true}' if status == 200 else b"try again later"
                self.send_response(status)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        self.httpd = Listener(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def record(self, headers, body):
        ts = headers.get("X-Opstasks-Timestamp") or ""
        sig = headers.get("X-Opstasks-Signature") or ""
        want = "sha256=" + hmac.new(self.secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        with self.lock:
            if not hmac.compare_digest(sig, want):
                self.bad.append(("signature", sig, want))
            if not ts.isdigit() or abs(int(ts) - time.time()) > 300:
                self.bad.append(("timestamp", ts))
            if not doc or doc.get("id") != headers.get("X-Opstasks-Delivery") or \
                    doc.get("type") != headers.get("X-Opstasks-Event"):
                self.bad.append(("body", body[:200]))
            self.got.append((headers.get("X-Opstasks-Delivery"), headers.get("X-Opstasks-Event"), doc,
                             time.monotonic()))

    def bodies(self, event=None):
        with self.lock:
            return [g[2] for g in self.got if event is None or g[1] == event]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(**kw):
        r = Receiver(**kw)
        made.append(r)
        return r

    yield make
    for r in made:
        r.stop()


def put_hook(s, hid, url, events=None, secret=SECRET, **kw):
    body = {"url": url, "events": ALL_TASK_EVENTS if events is None else events, "secret": secret}
    body.update(kw)
    return s.put(f"/ops/webhooks/{hid}", body)


def deliveries(s, hid, query=""):
    r = s.get(f"/ops/webhooks/{hid}/deliveries{query}")
    assert r.status == 200, r
    return r.json()["data"]


def free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


# ---- the resource ------------------------------------------------------------------

def test_a_webhook_is_made_replaced_read_listed_and_deleted_and_its_secret_never_shown(make_server, receiver):
    s = make_server(extra_args=ALLOW)
    rc = receiver()
    r = put_hook(s, "whk_crm", rc.url, events=["task.created", "task.created", "comment.created"])
    assert r.status == 201, r
    w = r.json()
    assert set(w) == {"id", "url", "events", "active", "has_secret", "created_at", "updated_at"}
    assert w["id"] == "whk_crm" and w["url"] == rc.url and w["active"] is True and w["has_secret"] is True
    assert w["events"] == ["task.created", "comment.created"]
    assert SECRET not in r.body.decode()
    r = put_hook(s, "whk_crm", rc.url, events=["task.completed"], active=False)
    assert r.status == 200, r
    assert r.json()["events"] == ["task.completed"] and r.json()["active"] is False
    assert r.json()["created_at"] == w["created_at"]
    assert s.get("/ops/webhooks/whk_crm").json() == r.json()
    put_hook(s, "whk_chat", rc.url)
    listed = s.get("/ops/webhooks").json()
    assert [x["id"] for x in listed["data"]] == ["whk_chat", "whk_crm"] and listed["next_cursor"] is None
    assert SECRET not in json.dumps(listed)
    page = s.get("/ops/webhooks?limit=1").json()
    assert [x["id"] for x in page["data"]] == ["whk_chat"]
    assert [x["id"] for x in s.get(f"/ops/webhooks?limit=1&cursor={page['next_cursor']}").json()["data"]] == \
        ["whk_crm"]
    r = s.request("DELETE", "/ops/webhooks/whk_crm")
    assert r.status == 200 and r.json()["id"] == "whk_crm"
    assert_error(s.get("/ops/webhooks/whk_crm"), 404, "not_found")
    assert_error(s.request("DELETE", "/ops/webhooks/whk_crm"), 404, "not_found")


def test_bad_webhooks_are_refused_naming_the_field(make_server):
    s = make_server(extra_args=ALLOW)
    url = "http://127.0.0.1:9/x"
    assert_error(put_hook(s, "whk_a", url, events=["task.created", "task.exploded"]), 422, "validation_failed",
                 "events")
    assert_error(put_hook(s, "whk_a", url, events=[]), 422, "validation_failed", "events")
    assert_error(s.put("/ops/webhooks/whk_a", {"url": url, "secret": "x"}), 422, "validation_failed", "events")
    assert_error(s.put("/ops/webhooks/whk_a", {"url": url, "events": ["task.created"]}), 422, "validation_failed",
                 "secret")
    assert_error(put_hook(s, "whk_a", url, secret=""), 422, "validation_failed", "secret")
    assert_error(put_hook(s, "whk_a", "ftp://example.com/x"), 422, "validation_failed", "url")
    assert_error(put_hook(s, "whk_a", "not a url"), 422, "validation_failed", "url")
    assert_error(put_hook(s, "whk_a", "http://user:pw@127.0.0.1:9/"), 422, "validation_failed", "url")
    assert_error(put_hook(s, "whk_a", url, active="yes"), 422, "validation_failed", "active")
    assert_error(put_hook(s, "whk_", url), 422, "validation_failed", "id")
    assert_error(put_hook(s, "hook_a", url), 422, "validation_failed", "id")
    assert_error(s.put("/ops/webhooks/whk_a", {"url": url, "events": ["task.created"], "secret": "x", "extra": 1}),
                 422, "validation_failed")
    agent = s.token("agent")
    assert_error(s.put("/ops/webhooks/whk_a", {"url": url, "events": ["task.created"], "secret": "x"}, token=agent),
                 403, "forbidden")
    assert_error(s.get("/ops/webhooks", token=agent), 403, "forbidden")
    assert s.get("/ops/webhooks").json()["data"] == []


def test_without_the_flag_internal_addresses_are_refused_at_put_and_at_delivery(make_server, receiver, tmp_path):
    s = make_server()
    for url in ["http://127.0.0.1:8080/x", "http://localhost/x", "http://10.1.2.3/x", "http://192.168.0.1/x",
                "http://172.16.5.4/x", "http://169.254.169.254/latest/meta-data/", "http://[::1]/x",
                "http://[fe80::1]/x", "http://[fd00::1]/x", "http://0.0.0.0/x", "http://100.64.0.1/x",
                "http://[::ffff:127.0.0.1]/x", "https://224.0.0.1/x"]:
        e = assert_error(put_hook(s, "whk_ssrf", url), 422, "validation_failed", "url")
        assert "refused" in e["message"] or "resolve" in e["message"], (url, e)
    assert s.get("/ops/webhooks").json()["data"] == []
    s.stop()
    # made while private addresses were allowed, then the server restarted without the flag
    rc = receiver()
    allowed = Server(tmp_path, db=s.db, extra_args=ALLOW).start()
    allowed._admin = s.admin
    assert put_hook(allowed, "whk_ssrf", rc.url, events=["task.created"]).status == 201
    allowed.stop()
    s.start()
    t = s.task(title="must not leave")
    d = wait_until(lambda: [x for x in deliveries(s, "whk_ssrf") if x["attempts"]], 10, what="a refused try")[0]
    assert d["event_type"] == "task.created" and d["task_id"] == t["id"] and d["state"] == "pending"
    a = d["attempts"][0]
    assert a["status_code"] is None and "refused" in a["response"], a
    time.sleep(0.5)
    assert rc.got == []


# ---- deliveries --------------------------------------------------------------------

def test_a_delivery_is_signed_and_carries_the_task_as_the_api_shows_it(make_server, receiver):
    s = make_server(extra_args=ALLOW)
    rc = receiver()
    assert put_hook(s, "whk_sig", rc.url).status == 201
    s.staff("sta_whk", name="Hook Staff")
    t = s.task(title="Signed and sealed", priority="HIGH")
    s.patch(f"/ops/tasks/{t['id']}", {"priority": "URGENT", "title": "Signed, sealed"})
    s.patch(f"/ops/tasks/{t['id']}", {"assignee_id": "sta_whk"})
    r = s.post(f"/ops/tasks/{t['id']}/comments", {"body": "Looks fine"})
    assert r.status == 201, r
    s.set_status(t["id"], "COMPLETED")
    wait_until(lambda: rc.bodies("task.completed"), 15, what="task.completed")
    wait_until(lambda: all(d["state"] == "delivered" for d in deliveries(s, "whk_sig")), 5, what="all delivered")
    assert rc.bad == []
    # in the order of the changes (per-task order kept)
    assert [g[1] for g in rc.got] == ["task.created", "task.updated", "task.updated", "task.assigned",
                                      "comment.created", "task.updated", "task.completed"]
    created = rc.bodies("task.created")[0]
    assert set(created) == {"id", "type", "occurred_at", "data"}
    assert created["type"] == "task.created" and created["id"].startswith("dlv_") and len(created["id"]) == 30
    assert created["data"]["task_id"] == t["id"]
    assert created["data"]["task"] == t  # as POST /ops/tasks answered it
    upd = rc.bodies("task.updated")[0]["data"]
    assert upd["changes"]["priority"] == {"from": "HIGH", "to": "URGENT"}
    assert upd["changes"]["title"] == {"from": "Signed and sealed", "to": "Signed, sealed"}
    assert "version" not in upd["changes"] and "updated_at" not in upd["changes"]
    assigned = rc.bodies("task.assigned")[0]["data"]
    assert assigned["changes"]["assignee_id"] == {"from": None, "to": "sta_whk"}
    cm = rc.bodies("comment.created")[0]["data"]
    assert cm["comment"]["body"] == "Looks fine" and cm["comment"]["task_id"] == t["id"]
    assert set(cm["comment"]) == {"id", "task_id", "author", "body", "mentions", "created_at"}
    done = rc.bodies("task.completed")[0]["data"]["task"]
    assert done == s.get_task(t["id"])
    ids = [g[0] for g in rc.got]
    assert len(ids) == len(set(ids))  # each sent once
    listed = deliveries(s, "whk_sig")
    assert [d["id"] for d in listed] == ids[::-1]  # newest first
    d = listed[0]
    assert set(d) >= {"id", "event_type", "state", "attempts"}
    assert d["state"] == "delivered" and len(d["attempts"]) == 1
    a = d["attempts"][0]
    assert set(a) == {"at", "status_code", "ms", "response"}
    assert a["status_code"] == 200 and a["response"] == '{"ok": true}' and isinstance(a["ms"], int)


def test_an_event_the_webhook_did_not_ask_for_and_an_inactive_webhook_send_nothing(make_server, receiver):
    s = make_server(extra_args=ALLOW)
    rc = receiver()
    assert put_hook(s, "whk_only", rc.url, events=["task.completed"]).status == 201
    assert put_hook(s, "whk_off", rc.url, events=["task.created"], active=False).status == 201
    t = s.task()
    s.set_status(t["id"], "COMPLETED")
    wait_until(lambda: rc.got, 10, what="task.completed")
    time.sleep(1.2)
    assert [g[1] for g in rc.got] == ["task.completed"]
    assert deliveries(s, "whk_off") == []


def test_a_failing_receiver_gets_the_same_delivery_again_after_about_2_then_4_seconds(make_server, receiver):
    s = make_server(extra_args=ALLOW)
    rc = receiver(fail_times=2, fail=503)
    assert put_hook(s, "whk_retry", rc.url, events=["task.created"]).status == 201
    t = s.task(title="retry me")
    wait_until(lambda: len(rc.got) >= 3, 20, what="three tries")
    ids = {g[0] for g in rc.got}
    assert len(ids) == 1, ids
    t0, t1, t2 = (g[3] for g in rc.got[:3])
    assert 1.4 <= t1 - t0 <= 2.6 * SLOW + 1, t1 - t0
    assert 3.0 <= t2 - t1 <= 4.9 * SLOW + 1, t2 - t1
    assert all(g[2]["data"]["task_id"] == t["id"] for g in rc.got)
    d = wait_until(lambda: [x for x in deliveries(s, "whk_retry") if x["state"] == "delivered"], 5,
                   what="delivered")[0]
    assert [a["status_code"] for a in d["attempts"]] == [503, 503, 200]
    assert d["attempts"][0]["response"] == "try again later"
    time.sleep(0.5)
    assert len(rc.got) == 3


def test_a_network_error_is_a_try_without_a_status_and_is_retried(make_server, receiver):
    s = make_server(extra_args=ALLOW)
    port = free_port()
    assert put_hook(s, "whk_down", f"http://127.0.0.1:{port}/x", events=["task.created"]).status == 201
    s.task()
    d = wait_until(lambda: [x for x in deliveries(s, "whk_down") if x["attempts"]], 10, what="a try")[0]
    assert d["state"] == "pending" and d["attempts"][0]["status_code"] is None
    assert d["attempts"][0]["response"].startswith("error:")


def test_a_delivery_committed_before_a_kill_9_is_sent_after_the_restart(make_server, receiver, tmp_path):
    port = free_port()
    s = make_server(extra_args=ALLOW)
    assert put_hook(s, "whk_crash", f"http://127.0.0.1:{port}/hook", events=["task.created"]).status == 201
    t = s.task(title="survives the crash")
    # committed, tried once against a receiver that is not there yet, not delivered
    d = wait_until(lambda: [x for x in deliveries(s, "whk_crash") if x["attempts"]], 10, what="a failed try")[0]
    assert d["state"] == "pending"
    s.kill9()
    rc = receiver(port=port)
    s.start()
    wait_until(lambda: rc.got, 20, what="the delivery after the restart")
    assert rc.bad == []
    assert rc.got[0][0] == d["id"] and rc.got[0][2]["data"]["task_id"] == t["id"]
    wait_until(lambda: deliveries(s, "whk_crash")[0]["state"] == "delivered", 5, what="delivered")
    time.sleep(0.5)
    assert len(rc.got) == 1


def refuse_assigned_deliveries(db):
    """A trigger that fails the insert of any task.assigned delivery, so a
    change whose outbox rows include one rolls back after the sink ran."""
    if ON_PG:
        db_query(db, "CREATE FUNCTION refuse_delivery() RETURNS trigger AS $$ BEGIN "
                     "RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql")
        db_query(db, "CREATE TRIGGER refuse_assigned BEFORE INSERT ON webhook_deliveries FOR EACH ROW "
                     "WHEN (NEW.event_type = 'task.assigned') EXECUTE FUNCTION refuse_delivery()")
    else:
        db_query(db, "CREATE TRIGGER refuse_assigned BEFORE INSERT ON webhook_deliveries "
                     "WHEN NEW.event_type = 'task.assigned' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")


def test_nothing_is_sent_for_a_change_that_rolled_back(make_server, receiver):
    s = make_server(extra_args=ALLOW)
    rc = receiver()
    assert put_hook(s, "whk_rb", rc.url).status == 201
    s.staff("sta_rb")
    refuse_assigned_deliveries(s.db)
    # task.created is written to the outbox, then task.assigned fails: the create rolls back whole
    r = s.post("/ops/tasks", {"title": "never happened", "due_date": FUTURE, "assignee_id": "sta_rb"})
    assert r.status == 500, r
    assert s.get("/ops/tasks?q=never").json()["data"] == []
    t = s.task(title="this one did")
    wait_until(lambda: rc.got, 10, what="the committed create")
    time.sleep(1.2)
    assert [(g[1], g[2]["data"]["task"]["title"]) for g in rc.got] == [("task.created", "this one did")]
    assert [d["task_id"] for d in deliveries(s, "whk_rb")] == [t["id"]]


def test_two_instances_on_one_database_send_each_delivery_once_from_the_put_on(tmp_path, receiver):
    rc = receiver()
    db = new_db_uri(tmp_path)
    servers = []
    try:
        for i in range(2):
            d = tmp_path / f"i{i}"
            d.mkdir()
            servers.append(Server(d, db=db, extra_args=ALLOW).start())
        token = servers[0].admin
        for s in servers:
            s._admin = token
        servers[1].task(title="before the webhook")  # the other instance has looked for webhooks: none
        assert put_hook(servers[0], "whk_two", rc.url, events=["task.created", "task.updated"]).status == 201
        made = []
        for k in range(40):
            # the first change at once on the other instance: a webhook is
            # in force for every change whose transaction begins after its PUT
            s = servers[(k + 1) % 2]
            t = s.task(title=f"two {k}")
            s.patch(f"/ops/tasks/{t['id']}", {"priority": "LOW"})
            made.append(t["id"])
        wait_until(lambda: len(rc.got) >= 80, 30, what="80 deliveries")
        time.sleep(1.5)
        assert rc.bad == []
        ids = [g[0] for g in rc.got]
        assert len(ids) == 80 and len(set(ids)) == 80
        for tid in made:  # each task's created before its updated
            mine = [g[1] for g in rc.got if g[2]["data"]["task_id"] == tid]
            assert mine == ["task.created", "task.updated"], (tid, mine)
    finally:
        for s in servers:
            if s.proc:
                s.stop()


def test_redeliver_sends_the_same_delivery_again(make_server, receiver):
    s = make_server(extra_args=ALLOW)
    rc = receiver()
    assert put_hook(s, "whk_again", rc.url, events=["task.created"]).status == 201
    s.task()
    wait_until(lambda: deliveries(s, "whk_again")[0]["state"] == "delivered", 10, what="delivered")
    d = deliveries(s, "whk_again")[0]
    r = s.post(f"/ops/webhooks/whk_again/deliveries/{d['id']}/redeliver")
    assert r.status == 202, r
    assert r.json()["id"] == d["id"] and r.json()["state"] == "pending"
    wait_until(lambda: len(rc.got) == 2, 10, what="the second send")
    assert rc.got[0][0] == rc.got[1][0] == d["id"]
    again = wait_until(lambda: [x for x in deliveries(s, "whk_again") if x["state"] == "delivered"], 5,
                       what="delivered again")[0]
    assert len(again["attempts"]) == 2
    assert_error(s.post("/ops/webhooks/whk_again/deliveries/dlv_NOPE/redeliver"), 404, "not_found")
    assert_error(s.post(f"/ops/webhooks/whk_other/deliveries/{d['id']}/redeliver"), 404, "not_found")
    assert_error(s.get("/ops/webhooks/whk_other/deliveries"), 404, "not_found")


def test_deliveries_are_listed_newest_first_page_by_page(make_server, receiver):
    s = make_server(extra_args=ALLOW)
    rc = receiver()
    assert put_hook(s, "whk_page", rc.url, events=["task.created"]).status == 201
    tids = [s.task(title=f"page {k}")["id"] for k in range(5)]
    wait_until(lambda: len(rc.got) == 5, 10, what="five deliveries")
    first = s.get("/ops/webhooks/whk_page/deliveries?limit=2").json()
    assert [d["task_id"] for d in first["data"]] == tids[::-1][:2] and first["next_cursor"]
    rest = s.get(f"/ops/webhooks/whk_page/deliveries?limit=10&cursor={first['next_cursor']}").json()
    assert [d["task_id"] for d in rest["data"]] == tids[::-1][2:] and rest["next_cursor"] is None
    assert_error(s.get("/ops/webhooks/whk_page/deliveries?limit=0"), 422, "validation_failed", "limit")
    assert_error(s.get("/ops/webhooks/whk_page/deliveries?cursor=zzz"), 422, "validation_failed", "cursor")
