"""The global queue: filters, sorts, keyset pagination (also while tasks are
being created), stats, and overdue derived at read time."""
import random
import threading
import urllib.parse

import pytest

from conftest import PAST, STATUSES, Server, assert_error

PRI_RANK = {"URGENT": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}


def walk(server, query="", limit=7, token=None, max_pages=500):
    """Every item of a query, page by page; asserts the page shape."""
    items, cursor = [], None
    kw = {} if token is None else {"token": token}
    for _ in range(max_pages):
        q = f"/ops/tasks?{query + '&' if query else ''}limit={limit}" + (
            f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        r = server.get(q, **kw)
        assert r.status == 200, r
        page = r.json()
        assert set(page) == {"data", "next_cursor"}
        assert len(page["data"]) <= limit
        items += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert isinstance(cursor, str) and cursor
        assert len(page["data"]) == limit
    raise AssertionError("cursor walk did not end")


@pytest.fixture(scope="module")
def queue(tmp_path_factory):
    """A server with a fixed set of 48 tasks in every state."""
    s = Server(tmp_path_factory.mktemp("queue")).start()
    s.staff("sta_q_a", "A")
    s.staff("sta_q_b", "B")
    s.customer("cus_q_1", "One")
    s.customer("cus_q_2", "Two")
    s.agent_a = s.token("agent", staff="sta_q_a")
    dates = ["2039-01-03", "2039-01-01", "2039-01-02", PAST, "2039-01-01", "2019-12-31"]
    pris = ["LOW", "URGENT", "MEDIUM", "HIGH"]
    ids = []
    for i in range(48):
        t = s.task(title=f"Q{i}", due_date=dates[i % 6], priority=pris[i % 4],
                   assignee_id=[None, "sta_q_a", "sta_q_b"][i % 3], user_id=[None, "cus_q_1", "cus_q_2"][(i // 3) % 3],
                   sla_hours=[None, 0.000001, 100][i % 3])
        ids.append(t["id"])
    for i in (0, 1, 2):
        s.set_status(ids[i], "IN_PROGRESS")
    s.set_status(ids[4], "IN_PROGRESS")
    s.set_status(ids[5], "COMPLETED")  # overdue -> completed
    s.set_status(ids[7], "CANCELLED")
    s.set_status(ids[8], "COMPLETED")
    s.set_status(ids[10], "CANCELLED")
    r = s.patch(f"/ops/tasks/{ids[12]}", {"status": "IN_PROGRESS", "due_date": "2039-01-05"})
    assert r.status == 200
    r = s.patch(f"/ops/tasks/{ids[12]}", {"due_date": PAST})  # IN_PROGRESS, now overdue
    assert r.json()["status"] == "OVERDUE"
    s.all = {i: s.get_task(i) for i in ids}
    yield s
    s.stop()


def expected(q, pred):
    return {i for i, t in q.all.items() if pred(t)}


def ids(items):
    return [t["id"] for t in items]


def test_the_data_set_has_every_status(queue):
    assert {t["status"] for t in queue.all.values()} == set(STATUSES)


def test_default_view_is_open_tasks_by_due_date_then_priority_then_age(queue):
    r = queue.get("/ops/tasks")
    assert r.status == 200
    page = r.json()
    assert page["next_cursor"] is None
    data = page["data"]
    assert set(ids(data)) == expected(queue, lambda t: t["status"] == "OPEN")
    keys = [(t["due_date"], PRI_RANK[t["priority"]], t["created_at"], t["id"]) for t in data]
    assert keys == sorted(keys)
    for t in data:
        assert t == queue.all[t["id"]]


@pytest.mark.parametrize("status", STATUSES)
def test_status_filter_selects_by_effective_status(queue, status):
    got = walk(queue, f"status={status}", limit=50)
    assert set(ids(got)) == expected(queue, lambda t: t["status"] == status)
    assert all(t["status"] == status for t in got)


def test_status_filter_takes_a_comma_list_and_all(queue):
    got = walk(queue, "status=OVERDUE,COMPLETED", limit=50)
    assert set(ids(got)) == expected(queue, lambda t: t["status"] in ("OVERDUE", "COMPLETED"))
    assert set(ids(walk(queue, "status=all", limit=50))) == set(queue.all)


def test_overdue_is_derived_at_read_time_in_lists(queue):
    overdue = expected(queue, lambda t: t["due_date"] < "2021-01-01" and t["status"] not in ("COMPLETED", "CANCELLED"))
    assert overdue and expected(queue, lambda t: t["status"] == "OVERDUE") == overdue
    open_ids = set(ids(walk(queue, "status=OPEN,IN_PROGRESS", limit=50)))
    assert not (open_ids & overdue)


@pytest.mark.parametrize("prio", ["URGENT", "LOW", "HIGH,MEDIUM"])
def test_priority_filter(queue, prio):
    want = prio.split(",")
    got = walk(queue, f"status=all&priority={prio}", limit=50)
    assert set(ids(got)) == expected(queue, lambda t: t["priority"] in want)


@pytest.mark.parametrize("assignee,want", [
    ("sta_q_a", {"sta_q_a"}), ("sta_q_a,sta_q_b", {"sta_q_a", "sta_q_b"}), ("none", {None}),
    ("none,sta_q_b", {None, "sta_q_b"}), ("sta_q_nobody", set())])
def test_assignee_filter(queue, assignee, want):
    got = walk(queue, f"status=all&assignee_id={assignee}", limit=50)
    assert set(ids(got)) == expected(queue, lambda t: t["assignee_id"] in want)


def test_assignee_me_means_the_tokens_staff_member(queue):
    got = walk(queue, "status=all&assignee_id=me", limit=50, token=queue.agent_a)
    assert set(ids(got)) == expected(queue, lambda t: t["assignee_id"] == "sta_q_a")


def test_assignee_me_without_a_staff_member_answers_422(queue):
    assert_error(queue.get("/ops/tasks?assignee_id=me"), 422, "validation_failed", "assignee_id")


def test_user_filter(queue):
    got = walk(queue, "status=all&user_id=cus_q_2", limit=50)
    assert set(ids(got)) == expected(queue, lambda t: t["user_id"] == "cus_q_2")


@pytest.mark.parametrize("q,lo,hi", [("due_from=2039-01-02", "2039-01-02", "9999"),
                                     ("due_to=2039-01-02", "0000", "2039-01-02"),
                                     ("due_from=2039-01-01&due_to=2039-01-01", "2039-01-01", "2039-01-01"),
                                     ("due_from=2019-12-31&due_to=2020-01-01", "2019-12-31", "2020-01-01")])
def test_due_date_range_is_inclusive(queue, q, lo, hi):
    got = walk(queue, f"status=all&{q}", limit=50)
    assert set(ids(got)) == expected(queue, lambda t: lo <= t["due_date"] <= hi)


def test_filters_combine(queue):
    got = walk(queue, "status=OPEN,OVERDUE&priority=URGENT,HIGH&assignee_id=sta_q_a,none&user_id=cus_q_1"
                      "&due_to=2039-01-02", limit=50)
    assert set(ids(got)) == expected(queue, lambda t: t["status"] in ("OPEN", "OVERDUE") and t["priority"] in (
        "URGENT", "HIGH") and t["assignee_id"] in ("sta_q_a", None) and t["user_id"] == "cus_q_1"
        and t["due_date"] <= "2039-01-02")


SORTS = {
    "due_date": lambda t: (t["due_date"], PRI_RANK[t["priority"]], t["created_at"]),
    "priority": lambda t: (PRI_RANK[t["priority"]], t["due_date"]),
    "created_at": lambda t: t["created_at"],
}


@pytest.mark.parametrize("sort", ["due_date", "-due_date", "priority", "created_at", "-created_at"])
def test_walking_the_cursor_with_limit_7_sees_every_task_once_in_order(queue, sort):
    got = walk(queue, f"status=all&sort={sort}", limit=7)
    assert len(got) == len(set(ids(got))) == len(queue.all)
    assert set(ids(got)) == set(queue.all)
    if sort == "-due_date":
        dates = [t["due_date"] for t in got]
        assert dates == sorted(dates, reverse=True)
    elif sort == "-created_at":
        c = [t["created_at"] for t in got]
        assert c == sorted(c, reverse=True)
    else:
        keys = [SORTS[sort](t) for t in got]
        assert keys == sorted(keys)
    one_page = queue.get(f"/ops/tasks?status=all&sort={sort}&limit=500").json()["data"]
    assert ids(one_page) == ids(got)


def test_limit_defaults_to_50_and_caps_at_500(queue):
    page = queue.get("/ops/tasks?status=all").json()
    assert len(page["data"]) == len(queue.all) == 48 and page["next_cursor"] is None
    page = queue.get("/ops/tasks?status=all&limit=1").json()
    assert len(page["data"]) == 1 and page["next_cursor"]
    assert queue.get("/ops/tasks?limit=500").status == 200


def test_an_exact_last_page_ends_with_a_null_cursor(queue):
    n = len(queue.all)
    page = queue.get(f"/ops/tasks?status=all&limit={n}").json()
    assert len(page["data"]) == n and page["next_cursor"] is None


def test_a_cursor_from_another_sort_answers_422(queue):
    c = queue.get("/ops/tasks?status=all&limit=2&sort=created_at").json()["next_cursor"]
    assert_error(queue.get(f"/ops/tasks?status=all&limit=2&sort=priority&cursor={c}"), 422, "validation_failed",
                 "cursor")
    assert_error(queue.get(f"/ops/tasks?status=all&limit=2&cursor={c}"), 422, "validation_failed", "cursor")


@pytest.mark.parametrize("cursor", ["garbage", "AAAA", "djF8MHwyMDk5LTAxLTAxfDB8MHx0c2tfeA", "x" * 500,
                                    "djF8MHwyMDk5LTAxLTAxfDB8MHx0c2tfMDFKMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAnIE9SIDE9MQ"])
def test_a_garbage_cursor_answers_422(queue, cursor):
    assert_error(queue.get(f"/ops/tasks?cursor={cursor}"), 422, "validation_failed", "cursor")


def test_a_cursor_with_a_nul_byte_answers_400_like_any_query_with_one(queue):
    assert_error(queue.get("/ops/tasks?cursor=%00"), 400, "bad_request")


@pytest.mark.parametrize("query,field", [
    ("status=DONE", "status"), ("status=", "status"), ("status=open", "status"), ("status=,", "status"),
    ("priority=CRITICAL", "priority"), ("assignee_id=bob", "assignee_id"), ("user_id=bob", "user_id"),
    ("due_from=2026-02-30", "due_from"), ("due_to=tomorrow", "due_to"),
    ("due_from=2039-02-01&due_to=2039-01-01", "due_to"),
    ("sort=title", "sort"), ("sort=", "sort"), ("limit=0", "limit"), ("limit=501", "limit"),
    ("limit=ten", "limit"), ("limit=-1", "limit"), ("limit=5.5", "limit"),
    ("colour=red", "colour"), ("assignee=sta_q_a", "assignee"),
])
def test_bad_queue_parameters_answer_422_naming_them(queue, query, field):
    assert_error(queue.get(f"/ops/tasks?{query}"), 422, "validation_failed", field)


# ---- stats ------------------------------------------------------------------------------

def expected_stats(q, pred=lambda t: True):
    counts = {s: 0 for s in STATUSES}
    breached = at_risk = 0
    for t in q.all.values():
        if pred(t):
            counts[t["status"]] += 1
            if t["status"] in ("OPEN", "IN_PROGRESS", "OVERDUE") and t["sla_breached"]:
                breached += 1
            at_risk += bool(t["sla_at_risk"])
    return {"counts": counts, "sla_breached_active": breached, "sla_at_risk_active": at_risk}


def test_stats_count_every_status_with_overdue_derived_at_read_time(queue):
    # the SLA of 0.000001 h has passed by now for every task that has it
    queue.all = {i: queue.get_task(i) for i in queue.all}
    st = queue.stats()
    assert st == expected_stats(queue)
    assert st["counts"]["OVERDUE"] > 0 and st["sla_breached_active"] > 0


@pytest.mark.parametrize("query,pred", [
    ("priority=URGENT,LOW", lambda t: t["priority"] in ("URGENT", "LOW")),
    ("assignee_id=sta_q_b", lambda t: t["assignee_id"] == "sta_q_b"),
    ("assignee_id=none", lambda t: t["assignee_id"] is None),
    ("user_id=cus_q_1", lambda t: t["user_id"] == "cus_q_1"),
    ("due_from=2039-01-02", lambda t: t["due_date"] >= "2039-01-02"),
    ("due_to=2020-01-01", lambda t: t["due_date"] <= "2020-01-01"),
    ("priority=HIGH&due_from=2020-01-01&due_to=2039-01-01",
     lambda t: t["priority"] == "HIGH" and "2020-01-01" <= t["due_date"] <= "2039-01-01"),
])
def test_stats_take_the_queue_filters(queue, query, pred):
    queue.all = {i: queue.get_task(i) for i in queue.all}
    assert queue.stats(query) == expected_stats(queue, pred)


def test_stats_assignee_me(queue):
    queue.all = {i: queue.get_task(i) for i in queue.all}
    r = queue.get("/ops/tasks/stats?assignee_id=me", token=queue.agent_a)
    assert r.status == 200 and r.json() == expected_stats(queue, lambda t: t["assignee_id"] == "sta_q_a")


@pytest.mark.parametrize("query,field", [("status=OPEN", "status"), ("sort=due_date", "sort"),
                                         ("limit=5", "limit"), ("cursor=x", "cursor"),
                                         ("priority=NOPE", "priority"), ("due_from=2026-02-30", "due_from")])
def test_stats_refuse_parameters_they_do_not_take(queue, query, field):
    assert_error(queue.get(f"/ops/tasks/stats?{query}"), 422, "validation_failed", field)


def test_stats_of_an_empty_database_are_all_zero(make_server):
    s = make_server()
    assert s.stats() == {"counts": {k: 0 for k in STATUSES}, "sla_breached_active": 0, "sla_at_risk_active": 0}
    assert s.get("/ops/tasks").json() == {"data": [], "next_cursor": None}


def test_stats_follow_writes_at_once(make_server):
    s = make_server()
    t = s.task(due_date=PAST)
    assert s.stats()["counts"]["OVERDUE"] == 1
    s.patch(f"/ops/tasks/{t['id']}", {"due_date": "2039-01-01"})
    assert s.stats()["counts"] == {"OPEN": 1, "IN_PROGRESS": 0, "OVERDUE": 0, "COMPLETED": 0, "CANCELLED": 0}
    s.set_status(t["id"], "COMPLETED")
    assert s.stats()["counts"]["COMPLETED"] == 1 and s.stats()["counts"]["OPEN"] == 0


# ---- pagination while tasks are being created ----------------------------------------------

@pytest.mark.parametrize("sort", ["created_at", None])
def test_cursor_walk_under_concurrent_creates_never_repeats_or_skips(make_server, sort):
    s = make_server()
    rnd = random.Random(7)
    days = [f"2039-01-{d:02d}" for d in range(1, 29)]
    before = set()
    for i in range(60):
        before.add(s.task(title=f"pre {i}", due_date=rnd.choice(days),
                          priority=rnd.choice(list(PRI_RANK)))["id"])
    stop = threading.Event()
    started = threading.Event()
    created = []
    errors = []

    def writer():
        r2 = random.Random(11)
        try:
            for i in range(400):
                if stop.is_set():
                    break
                r = s.post("/ops/tasks", {"title": f"during {i}", "due_date": r2.choice(days),
                                          "priority": r2.choice(list(PRI_RANK))})
                if r.status != 201:
                    errors.append(r)
                    break
                created.append(r.json()["id"])
                started.set()
        finally:
            started.set()

    th = threading.Thread(target=writer)
    th.start()
    try:
        assert started.wait(30)
        got = walk(s, f"sort={sort}" if sort else "", limit=7)
    finally:
        stop.set()
        th.join(60)
    assert not errors, errors
    assert len(created) > 0
    seen = ids(got)
    assert len(seen) == len(set(seen)), "a task was seen twice"
    missing = before - set(seen)
    assert not missing, f"{len(missing)} tasks that existed before the walk were skipped"
    assert set(seen) <= before | set(created)
    if sort == "created_at":
        c = [t["created_at"] for t in got]
        assert c == sorted(c)
    else:
        keys = [(t["due_date"], PRI_RANK[t["priority"]], t["created_at"]) for t in got]
        assert keys == sorted(keys)


def test_stats_stay_right_through_many_changes_of_status_priority_and_due_date(make_server):
    s = make_server()
    s.staff("sta_st")
    rnd = random.Random(3)
    dates = [PAST, "2019-06-01", "2039-01-01", "2039-02-01"]
    tids = [s.task(due_date=rnd.choice(dates), priority=rnd.choice(list(PRI_RANK)),
                   assignee_id=rnd.choice([None, "sta_st"]))["id"] for _ in range(30)]
    for _ in range(90):
        tid = rnd.choice(tids)
        body = rnd.choice([{"status": rnd.choice(["OPEN", "IN_PROGRESS", "COMPLETED", "CANCELLED"])},
                           {"priority": rnd.choice(list(PRI_RANK))}, {"due_date": rnd.choice(dates)}])
        r = s.patch(f"/ops/tasks/{tid}", body)
        assert r.status in (200, 409), r
    tasks = [s.get_task(t) for t in tids]
    for query, pred in [("", lambda t: True), ("priority=HIGH,LOW", lambda t: t["priority"] in ("HIGH", "LOW")),
                        ("due_from=2039-01-01", lambda t: t["due_date"] >= "2039-01-01"),
                        ("assignee_id=sta_st", lambda t: t["assignee_id"] == "sta_st"),
                        ("assignee_id=none&priority=URGENT",
                         lambda t: t["assignee_id"] is None and t["priority"] == "URGENT")]:
        want = {k: 0 for k in STATUSES}
        for t in tasks:
            if pred(t):
                want[t["status"]] += 1
        assert s.stats(query)["counts"] == want, query
        listed = walk(s, "status=all" + (f"&{query}" if query else ""), limit=9)
        assert sorted(ids(listed)) == sorted(t["id"] for t in tasks if pred(t))
