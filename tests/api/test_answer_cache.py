"""The cache of rendered answers behind GET /ops/tasks and GET /ops/tasks/stats,
on the backend the suite runs on: an answer is never stale after a write that
was acknowledged to anyone (on another connection, by another instance on the
same database, by another process writing the SQLite file), it turns at risk
and breached by time alone, "me" is per caller, and a client holding the
answer's entity tag gets 304 until something changes."""
import datetime
import json

import pytest

from conftest import FUTURE, ON_PG, db_query, new_db_uri, today_in, wait_until

QUEUE = "/ops/tasks?status=OPEN&limit=500"


def get_on(server, conn, path, headers=None):
    """A GET on a connection of its own (not the thread's kept-alive one)."""
    h = {"Authorization": f"Bearer {server.admin}"}
    h.update(headers or {})
    conn.request("GET", path, headers=h)
    r = conn.getresponse()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()


def ids(server, conn, path=QUEUE):
    status, _, body = get_on(server, conn, path)
    assert status == 200, body
    return [t["id"] for t in json.loads(body)["data"]]


def test_a_write_acknowledged_on_one_connection_is_in_the_next_read_on_another(make_server):
    s = make_server()
    reader = s.new_connection(10)
    stats_before = s.stats()["counts"]["OPEN"]
    for i in range(30):
        ids(s, reader)  # the answer is kept (and asked again: a hit)
        ids(s, reader)
        t = s.task(title=f"Cached {i}", due_date=FUTURE)
        assert t["id"] in ids(s, reader), f"round {i}: the new task is missing from the next read"
        s.patch(f"/ops/tasks/{t['id']}", {"title": f"Renamed {i}"})
        _, _, body = get_on(s, reader, QUEUE)
        titles = {x["id"]: x["title"] for x in json.loads(body)["data"]}
        assert titles[t["id"]] == f"Renamed {i}"
        _, _, body = get_on(s, reader, "/ops/tasks/stats")
        assert json.loads(body)["counts"]["OPEN"] == stats_before + i + 1
    reader.close()


def test_an_answer_has_an_entity_tag_and_304_holds_until_something_changes(make_server):
    s = make_server()
    s.task(title="One")
    c = s.new_connection(10)
    for path in (QUEUE, "/ops/tasks/stats"):
        status, h, body = get_on(s, c, path)
        assert status == 200 and h["etag"].startswith('"') and h["cache-control"] == "no-store"
        tag = h["etag"]
        status, h2, body2 = get_on(s, c, path, {"If-None-Match": tag})
        assert status == 304 and body2 == b"" and h2["etag"] == tag
        # a list of tags, weak or not, matches too
        status, _, _ = get_on(s, c, path, {"If-None-Match": f'"nope", W/{tag}'})
        assert status == 304
        s.task(title="Another")
        status, h3, body3 = get_on(s, c, path, {"If-None-Match": tag})
        assert status == 200 and h3["etag"] != tag and body3 != body
    c.close()


def test_the_same_query_in_another_order_is_the_same_answer_and_a_bad_one_is_refused(make_server):
    s = make_server()
    s.task(title="Order", priority="HIGH")
    c = s.new_connection(10)
    _, h1, b1 = get_on(s, c, "/ops/tasks?status=OPEN&priority=HIGH")
    _, h2, b2 = get_on(s, c, "/ops/tasks?priority=HIGH&status=OPEN")
    assert b1 == b2 and h1["etag"] == h2["etag"]
    status, _, _ = get_on(s, c, "/ops/tasks?status=OPEN&colour=red")
    assert status == 422
    c.close()


def test_at_risk_and_breached_come_by_time_alone(make_server):
    # no sweep during the test: nothing is written while the clock runs
    s = make_server(sweep_interval=3600)
    t = s.task(title="Quick SLA", sla_hours=0.001)  # 3.6 s; at risk after 2.88 s
    c = s.new_connection(10)

    def shown():
        _, _, body = get_on(s, c, QUEUE)
        row = [x for x in json.loads(body)["data"] if x["id"] == t["id"]][0]
        _, _, sb = get_on(s, c, "/ops/tasks/stats")
        _, _, fb = get_on(s, c, "/ops/tasks?status=OPEN&sla_state=breached")
        st = json.loads(sb)
        return (row["sla_at_risk"], row["sla_breached"], st["sla_at_risk_active"], st["sla_breached_active"],
                [x["id"] for x in json.loads(fb)["data"]])

    assert shown() == (False, False, 0, 0, [])
    wait_until(lambda: shown()[0] is True, 10, interval=0.1, what="at risk by time alone")
    assert shown()[2] == 1
    wait_until(lambda: shown() == (False, True, 0, 1, [t["id"]]), 10, interval=0.1, what="breached by time alone")
    c.close()


def test_assignee_me_is_each_callers_own(make_server):
    s = make_server()
    s.staff("sta_cache_a", name="A")
    s.staff("sta_cache_b", name="B")
    ta, tb = s.token("agent", staff="sta_cache_a"), s.token("agent", staff="sta_cache_b")
    mine_a = s.task(title="A's", assignee_id="sta_cache_a")["id"]
    mine_b = s.task(title="B's", assignee_id="sta_cache_b")["id"]
    for _ in range(2):
        ra = s.get("/ops/tasks?assignee_id=me", token=ta).json()["data"]
        rb = s.get("/ops/tasks?assignee_id=me", token=tb).json()["data"]
        assert [t["id"] for t in ra] == [mine_a] and [t["id"] for t in rb] == [mine_b]


def test_another_instance_on_the_same_database_reads_a_write_at_once(make_server, tmp_path):
    db = new_db_uri(tmp_path)
    a = make_server(db=db)
    b = make_server(db=db)
    b._admin = a.admin
    reader = b.new_connection(10)
    for i in range(20):
        before = ids(b, reader)
        ids(b, reader)
        t = a.task(title=f"From A {i}")
        assert t["id"] not in before
        assert t["id"] in ids(b, reader), f"round {i}: instance B answered from before A's write"
        a.patch(f"/ops/tasks/{t['id']}", {"status": "CANCELLED"})
        assert t["id"] not in ids(b, reader)
    reader.close()


def test_a_write_straight_into_the_database_by_another_process_is_seen(make_server):
    s = make_server()
    t = s.task(title="Before")
    c = s.new_connection(10)
    assert [x["title"] for x in json.loads(get_on(s, c, QUEUE)[2])["data"]] == ["Before"]
    db_query(s, "UPDATE tasks SET title = 'Changed elsewhere', version = version + 1 WHERE id = ?", (t["id"],))
    assert [x["title"] for x in json.loads(get_on(s, c, QUEUE)[2])["data"]] == ["Changed elsewhere"]
    c.close()


def test_writes_that_change_no_task_keep_the_answer_and_its_tag(make_server):
    s = make_server()
    s.task(title="Kept")
    c = s.new_connection(10)
    _, h, _ = get_on(s, c, QUEUE)
    # a staff member, a customer, a saved view, a token: none is in the answer
    s.staff("sta_cache_new", name="New Person")
    s.customer("cus_cache_new", name="New Customer")
    assert s.put("/ops/views/viw_cache", {"name": "V", "query": "status=OPEN"}).status == 201
    s.token("agent")
    status, h2, _ = get_on(s, c, QUEUE, {"If-None-Match": h["etag"]})
    assert status == 304 and h2["etag"] == h["etag"]
    # renaming a customer changes what a search matches: a new answer
    s.customer("cus_cache_new", name="Renamed Customer")
    status, _, _ = get_on(s, c, QUEUE, {"If-None-Match": h["etag"]})
    assert status == 200
    c.close()


def test_without_the_cache_answers_are_the_same_and_untagged(make_server):
    s = make_server(extra_args=["--answer-cache-mib", "0"])
    t = s.task(title="Uncached")
    c = s.new_connection(10)
    status, h, body = get_on(s, c, QUEUE)
    assert status == 200 and "etag" not in h
    s.patch(f"/ops/tasks/{t['id']}", {"title": "Still right"})
    assert json.loads(get_on(s, c, QUEUE)[2])["data"][0]["title"] == "Still right"
    c.close()


def part_views(today):
    """Views of one status each, of several, and of a window or a search:
    each watches only the parts of the tasks its statuses can be in."""
    day = today.isoformat()
    act = "OPEN,IN_PROGRESS,OVERDUE"
    return ["/ops/tasks?status=OPEN&limit=500", "/ops/tasks?status=IN_PROGRESS&limit=500",
            "/ops/tasks?status=OVERDUE&limit=500", "/ops/tasks?status=COMPLETED&limit=500",
            "/ops/tasks?status=CANCELLED&limit=500", f"/ops/tasks?status={act}&limit=500",
            "/ops/tasks?status=OVERDUE,COMPLETED&limit=500",
            f"/ops/tasks?status=COMPLETED&completed_from={day}&completed_to={day}&limit=500",
            "/ops/tasks?status=OVERDUE&q=quokka&limit=500", "/ops/tasks?status=OVERDUE&q=wombat&limit=500",
            "/ops/tasks?limit=500",
            # sta_parts_a and sta_parts_b are in different groups of assignees
            "/ops/tasks?assignee_id=sta_parts_a&limit=500", "/ops/tasks?assignee_id=sta_parts_b&limit=500",
            "/ops/tasks?assignee_id=none&limit=500", f"/ops/tasks?status={act}&assignee_id=none&limit=500",
            "/ops/tasks?status=OVERDUE&assignee_id=sta_parts_b,none&limit=500"]


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_each_view_answers_anew_after_a_write_it_can_show_and_keeps_its_tag_after_one_it_cannot(
        make_server, tmp_path, tz):
    # the truth: a second instance on the same database without the cache;
    # the server's today is UTC's +14 h and -11 h, around the parts' "soon"
    db = new_db_uri(tmp_path)
    cached = make_server(db=db, timezone=tz, sweep_interval=3600)
    truth = make_server(db=db, timezone=tz, sweep_interval=3600, extra_args=["--answer-cache-mib", "0"])
    truth._admin = cached.admin
    today = today_in(tz)
    views = part_views(today)
    c, t = cached.new_connection(10), truth.new_connection(10)
    tags, bodies = {}, {}

    def check(step):
        """Every view of the cached instance is the truth; returns the views
        that kept their tag (304)."""
        kept = set()
        for v in views:
            headers = {"If-None-Match": tags[v]} if v in tags else {}
            status, h, body = get_on(cached, c, v, headers)
            ts, _, tbody = get_on(truth, t, v)
            assert ts == 200, tbody
            want = json.loads(tbody)["data"]
            if status == 304:
                assert json.loads(bodies[v])["data"] == want, f"{step}: {v} answered 304 from before the write"
                kept.add(v)
            else:
                assert status == 200, body
                assert json.loads(body)["data"] == want, f"{step}: {v} is not what the database holds"
                tags[v], bodies[v] = h["etag"], body
        return kept

    cached.customer("cus_parts", name="Quokka Travel")
    cached.staff("sta_parts_a", name="A")
    cached.staff("sta_parts_b", name="B")
    check("start")
    days = [-2, -1, 0, 1, 2, 3, 40]
    made = {}
    for d in days:
        due = (today + datetime.timedelta(days=d)).isoformat()
        made[d] = cached.task(title=f"Due {d:+d}", due_date=due, user_id="cus_parts")["id"]
        kept = check(f"create due {d:+d}")
        if d >= 2:
            # an OPEN task due after tomorrow: no view of another status answers anew
            assert {views[1], views[2], views[3], views[4], views[6], views[7], views[8], views[9]} <= kept, \
                f"create due {d:+d}: views it cannot be in were made again: {set(views) - kept}"
    for d in days:
        cached.set_status(made[d], "IN_PROGRESS")
        check(f"start due {d:+d}")
    assert cached.patch(f"/ops/tasks/{made[40]}", {"due_date": (today - datetime.timedelta(days=1)).isoformat()}).status == 200
    check("due +40 moved to yesterday")
    assert cached.patch(f"/ops/tasks/{made[-2]}", {"due_date": (today + datetime.timedelta(days=40)).isoformat()}).status == 200
    check("due -2 moved 40 days ahead")
    cached.set_status(made[0], "COMPLETED")
    check("due 0 completed")
    cached.set_status(made[-1], "COMPLETED")
    check("due -1 completed")
    cached.set_status(made[-1], "OPEN")
    check("due -1 reopened")
    cached.set_status(made[1], "CANCELLED")
    check("due +1 cancelled")
    # straight into the database, by the database's own clock
    db_query(cached, "UPDATE tasks SET due_date = ?, version = version + 1 WHERE id = ?",
             ((today - datetime.timedelta(days=3)).isoformat(), made[3]))
    check("due +3 moved back three days in SQL")
    cached.customer("cus_parts", name="Wombat Travel")
    kept = check("customer renamed")
    assert views[8] not in kept and views[9] not in kept
    # assigned to A: neither B's nor the unassigned views answer anew
    far = cached.task(title="A's", due_date=FUTURE, assignee_id="sta_parts_a")["id"]
    kept = check("create assigned to A")
    assert {views[12], views[13], views[14], views[15]} <= kept, f"A's task made others' views anew: {set(views) - kept}"
    assert views[11] not in kept
    for d in (-1, 3):
        assert cached.patch(f"/ops/tasks/{made[d]}", {"assignee_id": "sta_parts_a"}).status == 200
        check(f"due {d:+d} assigned to A")
        assert cached.patch(f"/ops/tasks/{made[d]}", {"assignee_id": "sta_parts_b"}).status == 200
        check(f"due {d:+d} moved to B")
        assert cached.patch(f"/ops/tasks/{made[d]}", {"assignee_id": None}).status == 200
        check(f"due {d:+d} unassigned")
    assert cached.patch(f"/ops/tasks/{far}", {"assignee_id": "sta_parts_b", "due_date": today.isoformat()}).status == 200
    check("A's task moved to B and due today")
    db_query(cached, "UPDATE tasks SET assignee_id = NULL, version = version + 1 WHERE id = ?", (far,))
    check("A's task unassigned in SQL")
    c.close()
    t.close()


def test_another_instance_reads_a_task_turning_overdue_and_done_at_once(make_server, tmp_path):
    db = new_db_uri(tmp_path)
    a = make_server(db=db, timezone="UTC", sweep_interval=3600)
    b = make_server(db=db, timezone="UTC", sweep_interval=3600)
    b._admin = a.admin
    today = today_in("UTC")
    overdue = "/ops/tasks?status=OVERDUE&limit=500"
    done = f"/ops/tasks?status=COMPLETED&completed_from={today}&completed_to={today}&limit=500"
    reader = b.new_connection(10)
    for i in range(10):
        for v in (overdue, done, overdue, done):
            ids(b, reader, v)
        _, h, _ = get_on(b, reader, overdue)
        a.task(title=f"Later {i}", due_date=FUTURE)
        status, _, _ = get_on(b, reader, overdue, {"If-None-Match": h["etag"]})
        assert status == 304, f"round {i}: a task due in ten years made Overdue anew"
        late = a.task(title=f"Late {i}", due_date=(today - datetime.timedelta(days=1)).isoformat())["id"]
        assert late in ids(b, reader, overdue), f"round {i}: instance B's Overdue is from before A's create"
        a.set_status(late, "COMPLETED")
        assert late in ids(b, reader, done), f"round {i}: instance B's Done today is from before A's completion"
        assert late not in ids(b, reader, overdue), f"round {i}: instance B still shows the completed task overdue"
    reader.close()


@pytest.mark.skipif(ON_PG, reason="REPLACE is SQLite's")
def test_a_replace_typed_into_the_file_moves_the_part_the_row_leaves(make_server):
    s = make_server()
    t = s.task(title="Finished")
    s.set_status(t["id"], "COMPLETED")
    c = s.new_connection(10)
    done = "/ops/tasks?status=COMPLETED&limit=500"
    assert ids(s, c, done) == [t["id"]]
    # the row is deleted and made again as CANCELLED: without the delete
    # trigger, only the CANCELLED part would move
    db_query(s, "REPLACE INTO tasks (id, title, prio, status, due_date, source, created_at, updated_at, version) "
                "SELECT id, title, prio, 'CANCELLED', due_date, source, created_at, updated_at, version + 1 "
                "FROM tasks WHERE id = ?", (t["id"],))
    assert ids(s, c, done) == []
    c.close()


def test_a_missing_counter_of_a_part_turns_the_cache_off_for_its_reads_not_stale(make_server):
    s = make_server()
    c = s.new_connection(10)
    assert ids(s, c) == []
    db_query(s, "DELETE FROM data_version_parts WHERE part = 9")
    for i in range(3):
        t = s.task(title=f"Seen {i}")
        assert t["id"] in ids(s, c), f"round {i}: the read answered from before the create"
    # reads of every task still have their counter, and their cache
    status, h, _ = get_on(s, c, "/ops/tasks/stats")
    assert status == 200 and "etag" in h
    c.close()
