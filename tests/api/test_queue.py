"""Black-box tests of the global queue: filters, sorts, keyset pagination
(also while tasks are being created), stats, and overdue at read time in
the server's timezone."""
import datetime
import threading
import time
import zoneinfo

import pytest

PRI_RANK = {"URGENT": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}


def walk(server, query, limit, token="admin"):
    """All items of a query, page by page, with a bound on the pages."""
    items, cursor = [], None
    for _ in range(1000):
        q = f"/ops/tasks?{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        r = server.get(q, token=token)
        assert r.status == 200, r
        page = r.json()
        assert len(page["data"]) <= limit
        items += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("cursor walk did not end")


@pytest.fixture(scope="module")
def queue(fresh_module):  # noqa: the module-scoped server with a fixed data set
    return fresh_module


@pytest.fixture(scope="module")
def fresh_module(tmp_path_factory):
    import os
    import sys
    sys.path.insert(0, os.path.dirname(__file__))
    from opsserver import Server
    s = Server(tmpdir=str(tmp_path_factory.mktemp("queue"))).start()
    s.staff("sta_q_a", "A")
    s.staff("sta_q_b", "B")
    s.customer("cus_q_1", "One")
    s.customer("cus_q_2", "Two")
    s.created = []
    dates = ["2099-01-03", "2099-01-01", "2099-01-02", "2020-05-05", "2099-01-01"]
    pris = ["LOW", "URGENT", "MEDIUM", "HIGH"]
    for i in range(40):
        t = s.task(title=f"Q{i}", due_date=dates[i % 5], priority=pris[i % 4],
                   assignee_id=[None, "sta_q_a", "sta_q_b"][i % 3], user_id=["cus_q_1", "cus_q_2"][i % 2],
                   sla_hours=[None, 0.0001, 100][i % 3])
        s.created.append(t)
    # a few in other states
    for t in s.created[:4]:
        s.patch(f"/ops/tasks/{t['id']}", {"status": "IN_PROGRESS"})
    s.patch(f"/ops/tasks/{s.created[5]['id']}", {"status": "COMPLETED"})
    s.patch(f"/ops/tasks/{s.created[6]['id']}", {"status": "CANCELLED"})
    s.all = {t["id"]: s.get(f"/ops/tasks/{t['id']}").json() for t in s.created}
    yield s
    s.stop()


def expected(s, pred):
    return {i for i, t in s.all.items() if pred(t)}


def test_default_view_is_open_tasks_by_due_date_then_priority_then_age(queue):
    r = queue.get("/ops/tasks")
    assert r.status == 200
    data = r.json()["data"]
    assert {t["id"] for t in data} == expected(queue, lambda t: t["status"] == "OPEN")
    keys = [(t["due_date"], PRI_RANK[t["priority"]], t["created_at"], t["id"]) for t in data]
    assert keys == sorted(keys)
    assert r.json()["next_cursor"] is None


@pytest.mark.parametrize("status", ["OPEN", "IN_PROGRESS", "OVERDUE", "COMPLETED", "CANCELLED"])
def test_status_filter_uses_the_status_readers_see(queue, status):
    got = {t["id"] for t in walk(queue, f"status={status}", 500)}
    assert got == expected(queue, lambda t: t["status"] == status)
    assert got, status


def test_several_statuses_and_all(queue):
    got = {t["id"] for t in walk(queue, "status=OVERDUE,COMPLETED", 500)}
    assert got == expected(queue, lambda t: t["status"] in ("OVERDUE", "COMPLETED"))
    assert {t["id"] for t in walk(queue, "status=all", 500)} == set(queue.all)


def test_priority_assignee_customer_and_due_filters(queue):
    got = {t["id"] for t in walk(queue, "status=all&priority=URGENT,HIGH", 500)}
    assert got == expected(queue, lambda t: t["priority"] in ("URGENT", "HIGH"))
    got = {t["id"] for t in walk(queue, "status=all&assignee_id=sta_q_a,none", 500)}
    assert got == expected(queue, lambda t: t["assignee_id"] in ("sta_q_a", None))
    got = {t["id"] for t in walk(queue, "status=all&user_id=cus_q_2", 500)}
    assert got == expected(queue, lambda t: t["user_id"] == "cus_q_2")
    got = {t["id"] for t in walk(queue, "status=all&due_from=2099-01-01&due_to=2099-01-02", 500)}
    assert got == expected(queue, lambda t: "2099-01-01" <= t["due_date"] <= "2099-01-02")


def test_assignee_me_means_the_tokens_staff_member(queue):
    tok = queue.token("agent", staff="sta_q_b")
    got = {t["id"] for t in walk(queue, "status=all&assignee_id=me", 500, token=tok)}
    assert got == expected(queue, lambda t: t["assignee_id"] == "sta_q_b")
    r = queue.get("/ops/tasks?assignee_id=me")  # admin token has no staff member
    assert r.status == 422 and r.json()["error"]["field"] == "assignee_id"


@pytest.mark.parametrize("sort,key", [
    ("due_date", lambda t: (t["due_date"], PRI_RANK[t["priority"]], t["created_at"], t["id"])),
    ("priority", lambda t: (PRI_RANK[t["priority"]], t["due_date"], t["created_at"], t["id"])),
    ("created_at", lambda t: (t["created_at"], t["id"])),
])
def test_sorts_and_cursor_walk_visit_every_task_once(queue, sort, key):
    items = walk(queue, f"status=all&sort={sort}", 7)
    ids = [t["id"] for t in items]
    assert len(ids) == len(set(ids)) == len(queue.all)
    assert [key(t) for t in items] == sorted(key(t) for t in items)


def test_descending_sorts(queue):
    items = walk(queue, "status=all&sort=-created_at", 6)
    assert [(t["created_at"], t["id"]) for t in items] == sorted(((t["created_at"], t["id"]) for t in items),
                                                                 reverse=True)
    items = walk(queue, "status=all&sort=-due_date", 6)
    assert len({t["id"] for t in items}) == len(queue.all)
    dues = [t["due_date"] for t in items]
    assert dues == sorted(dues, reverse=True)
    for a, b in zip(items, items[1:]):
        if a["due_date"] == b["due_date"]:
            assert PRI_RANK[a["priority"]] <= PRI_RANK[b["priority"]]


@pytest.mark.parametrize("query,field", [
    ("status=DONE", "status"), ("status=", "status"), ("priority=HIGHEST", "priority"),
    ("assignee_id=bob", "assignee_id"), ("user_id=x", "user_id"), ("due_from=2026-13-01", "due_from"),
    ("due_to=yesterday", "due_to"), ("due_from=2026-02-02&due_to=2026-02-01", "due_to"),
    ("sort=title", "sort"), ("limit=0", "limit"), ("limit=501", "limit"), ("limit=ten", "limit"),
    ("cursor=not-a-cursor", "cursor"), ("colour=red", "colour"),
])
def test_bad_queue_parameters_answer_422_naming_them(queue, query, field):
    r = queue.get(f"/ops/tasks?{query}")
    assert r.status == 422, r
    assert r.json()["error"]["code"] == "validation_failed"
    assert r.json()["error"]["field"] == field


def test_a_cursor_only_continues_its_own_sort(queue):
    cur = queue.get("/ops/tasks?status=all&limit=2&sort=priority").json()["next_cursor"]
    assert cur
    r = queue.get(f"/ops/tasks?status=all&limit=2&sort=created_at&cursor={cur}")
    assert r.status == 422 and r.json()["error"]["field"] == "cursor"


def test_stats_count_every_status_under_the_filters(queue):
    # the 0.0001-hour SLAs (0.36 s) of the data set must have run out
    deadline = max(t["sla_due_at"] for t in queue.all.values() if t["sla_hours"] == 0.0001)
    wait = (datetime.datetime.strptime(deadline, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
            - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    time.sleep(min(max(wait + 0.05, 0), 2))
    st = queue.get("/ops/tasks/stats").json()
    for status in ["OPEN", "IN_PROGRESS", "OVERDUE", "COMPLETED", "CANCELLED"]:
        assert st["counts"][status] == len(expected(queue, lambda t, s=status: t["status"] == s)), status
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    breached = expected(queue, lambda t: t["status"] in ("OPEN", "IN_PROGRESS", "OVERDUE")
                        and t["sla_due_at"] is not None and t["sla_due_at"] < now)
    assert st["sla_breached_active"] == len(breached) > 0
    f = queue.get("/ops/tasks/stats?priority=URGENT&assignee_id=sta_q_a").json()
    for status in ["OPEN", "OVERDUE", "COMPLETED"]:
        assert f["counts"][status] == len(expected(
            queue, lambda t, s=status: t["status"] == s and t["priority"] == "URGENT"
            and t["assignee_id"] == "sta_q_a"))
    r = queue.get("/ops/tasks/stats?status=OPEN")
    assert r.status == 422 and r.json()["error"]["field"] == "status"


def test_cursor_walk_never_repeats_or_skips_while_tasks_are_created(fresh):
    s = fresh()
    before = {s.task(title=f"pre{i}", due_date=f"2099-02-{i % 28 + 1:02d}")["id"] for i in range(60)}
    stop = threading.Event()
    errors = []

    def writer():
        import sys
        import os
        sys.path.insert(0, os.path.dirname(__file__))
        from opsserver import Server
        w = Server(db=s.db, tmpdir=s.tmp)
        w.port, w._admin = s.port, s.admin
        n = 0
        while not stop.is_set() and n < 300:
            r = w.post("/ops/tasks", {"title": f"during{n}", "due_date": f"2099-02-{n % 28 + 1:02d}"})
            if r.status != 201:
                errors.append(r)
            n += 1
        w.close_conn()

    for sort in ["due_date", "created_at", "-created_at"]:
        stop.clear()
        th = threading.Thread(target=writer)
        th.start()
        try:
            items = walk(s, f"sort={sort}", 7)
        finally:
            stop.set()
            th.join(timeout=60)
        ids = [t["id"] for t in items]
        assert len(ids) == len(set(ids)), f"{sort}: a task was repeated"
        assert before <= set(ids), f"{sort}: a task that existed before the walk was skipped"
    assert not errors, errors[:3]


def today_in(tz):
    return datetime.datetime.now(zoneinfo.ZoneInfo(tz)).date().isoformat()


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Istanbul"])
def test_overdue_follows_the_calendar_day_of_the_server_timezone(fresh, tz):
    s = fresh(timezone=tz)
    today = datetime.date.fromisoformat(today_in(tz))
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    utc_today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    due_today = s.task(due_date=today.isoformat())
    due_yesterday = s.task(due_date=yesterday)
    due_utc_today = s.task(due_date=utc_today)
    if today_in(tz) != today.isoformat():
        pytest.skip("the day changed during the test")
    assert due_today["status"] == "OPEN"
    assert due_yesterday["status"] == "OVERDUE"
    assert due_utc_today["status"] == ("OVERDUE" if utc_today < today.isoformat() else "OPEN")
    counts = s.get("/ops/tasks/stats").json()["counts"]
    assert counts["OVERDUE"] == 1 + (utc_today < today.isoformat())
