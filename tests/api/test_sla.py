"""SLA tracking: sla_at_risk on every task, the sweeper's one-time
sla_breached history entry (also across restarts), sla_hours changes, the SLA
filters and stats, and the business-hours calendar."""
import datetime

import pytest

from conftest import FUTURE, SLOW, TASK_FIELDS, assert_error, db_query, drop_module_db, parse_ts, today_in, wait_until

UTC = datetime.timezone.utc
HOUR_MS = 3600_000


def ms(s):
    return int(datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000)


def breach_lines(server, tid):
    return [e for e in server.history(tid) if e["type"] == "sla_breached"]


def metric(server, name, token=None):
    """A sample's value from GET /metrics."""
    r = server.get("/metrics") if token is None else server.get("/metrics", token=token)
    assert r.status == 200, r
    for line in r.body.decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return line
    raise AssertionError(f"{name} not in the metrics")


def sweeps_after(server, instant_ms):
    """Waits for a sweep that ended after instant_ms (read from /metrics)."""
    def done():
        v = float(metric(server, "opstasks_sweep_last_timestamp_seconds").split()[-1])
        return v * 1000 > instant_ms
    wait_until(done, 20, interval=0.1, what="a sweep")


def test_every_task_has_sla_at_risk(server):
    t = server.task(sla_hours=100)
    assert list(t) == TASK_FIELDS
    assert t["sla_at_risk"] is False and t["sla_breached"] is False
    t = server.task()
    assert t["sla_at_risk"] is None and t["sla_breached"] is None


def test_a_breach_is_recorded_once_by_the_system_even_across_restarts(make_server):
    s = make_server(sweep_interval=1)
    t = s.task(sla_hours=0.0003)  # 1.08 s
    due = ms(t["sla_due_at"])
    wait_until(lambda: breach_lines(s, t["id"]), 20, interval=0.1, what="the sla_breached line")
    now = int(datetime.datetime.now(UTC).timestamp() * 1000)
    sweeps_after(s, now + 10)
    lines = breach_lines(s, t["id"])
    assert len(lines) == 1
    (e,) = lines
    assert e["actor"] == "system" and e["field"] == "sla_due_at" and e["from"] is None
    assert e["to"] == t["sla_due_at"]
    assert ms(e["at"]) > due
    got = s.get_task(t["id"])
    assert got["sla_breached"] is True and got["sla_at_risk"] is False
    assert got["version"] == 1, "recording a breach is not a change of the task"
    assert metric(s, "opstasks_sla_breaches_total") == "opstasks_sla_breaches_total 1"
    s.stop()
    s.start()
    now = int(datetime.datetime.now(UTC).timestamp() * 1000)
    sweeps_after(s, now + 10)
    assert len(breach_lines(s, t["id"])) == 1
    assert metric(s, "opstasks_sla_breaches_total") == "opstasks_sla_breaches_total 1"


def test_a_task_finished_late_between_sweeps_gets_its_breach_line_first(make_server):
    s = make_server()  # sweeps at start, then every 60 s
    t = s.task(sla_hours=0.0002)  # 0.72 s
    wait_until(lambda: s.get_task(t["id"])["sla_breached"], 20, interval=0.1, what="the deadline")
    s.set_status(t["id"], "COMPLETED")
    h = s.history(t["id"])
    assert [(e["type"], e["actor"]) for e in h] == [
        ("created", h[0]["actor"]), ("sla_breached", "system"), ("status_changed", h[0]["actor"])]
    s.patch(f"/ops/tasks/{t['id']}", {"title": "again"})  # a final task: 409, nothing written
    assert len(breach_lines(s, t["id"])) == 1
    assert metric(s, "opstasks_sla_breaches_total") == "opstasks_sla_breaches_total 1"


def test_a_task_finished_before_its_deadline_gets_no_breach_line(make_server):
    s = make_server(sweep_interval=1)
    t = s.task(sla_hours=0.0003)
    s.set_status(t["id"], "COMPLETED")
    u = s.task(sla_hours=0.0003)
    wait_until(lambda: breach_lines(s, u["id"]), 20, interval=0.1, what="the other task's breach")
    assert breach_lines(s, t["id"]) == []
    assert s.get_task(t["id"])["sla_breached"] is False


def test_changing_sla_hours_recomputes_the_deadline_with_history(server):
    t = server.task(sla_hours=24)
    created = ms(t["created_at"])
    assert ms(t["sla_due_at"]) == created + 24 * HOUR_MS
    r = server.patch(f"/ops/tasks/{t['id']}", {"sla_hours": 1.5})
    assert r.status == 200
    u = r.json()
    assert ms(u["sla_due_at"]) == created + 90 * 60_000
    h = server.history(t["id"])
    assert [(e["field"], e["from"], e["to"]) for e in h[1:]] == [
        ("sla_hours", 24, 1.5), ("sla_due_at", t["sla_due_at"], u["sla_due_at"])]
    r = server.patch(f"/ops/tasks/{t['id']}", {"sla_hours": None})
    assert r.json()["sla_due_at"] is None and r.json()["sla_at_risk"] is None
    assert server.history(t["id"])[-1]["field"] == "sla_due_at"
    assert server.history(t["id"])[-1]["to"] is None


# ---- filters and stats over a seeded data set ------------------------------------------

def seed(server, rows):
    """Stops server, writes task rows straight into its database, starts it again."""
    server.stop()
    by_names = {}  # rows of the same columns go in one batch
    for r in rows:
        cols = {"title": "Seeded", "prio": 2, "status": "OPEN", "overdue_recorded": 0, "due_date": FUTURE,
                "source": "MANUAL", "version": 1}
        cols.update(r)
        cols.setdefault("updated_at", cols["created_at"])
        by_names.setdefault(tuple(cols), []).append(list(cols.values()))
    for names, values in by_names.items():
        marks = ", ".join("?" for _ in names)
        db_query(server, f"INSERT INTO tasks ({', '.join(names)}) VALUES ({marks})", values, many=True)
    server.start()


def tid(n):
    return f"tsk_{n:026d}"


@pytest.fixture(scope="module")
def risky(tmp_path_factory):
    from conftest import Server
    s = Server(tmp_path_factory.mktemp("risk")).start()
    now = int(datetime.datetime.now(UTC).timestamp() * 1000)
    day = 24 * HOUR_MS
    rows = [
        # at risk: 80% instant passed, deadline ahead
        dict(id=tid(1), created_at=now - 9 * day, sla_hours=240.0, sla_due_at=now + day, sla_risk_at=now - day),
        dict(id=tid(2), created_at=now - 9 * day, sla_hours=240.0, sla_due_at=now + day, sla_risk_at=now - day,
             status="IN_PROGRESS"),
        # not yet at risk
        dict(id=tid(3), created_at=now - day, sla_hours=240.0, sla_due_at=now + 9 * day, sla_risk_at=now + 7 * day),
        # breached, active
        dict(id=tid(4), created_at=now - 9 * day, sla_hours=24.0, sla_due_at=now - 8 * day,
             sla_risk_at=now - 8 * day - 5 * HOUR_MS),
        # completed late (breached), completed in time, cancelled, no SLA
        dict(id=tid(5), created_at=now - 9 * day, sla_hours=24.0, sla_due_at=now - 8 * day, sla_risk_at=now - 9 * day,
             status="COMPLETED", completed_at=now - 7 * day),
        dict(id=tid(6), created_at=now - 9 * day, sla_hours=24.0, sla_due_at=now - 8 * day, sla_risk_at=now - 9 * day,
             status="COMPLETED", completed_at=now - 9 * day + HOUR_MS),
        dict(id=tid(7), created_at=now - 9 * day, sla_hours=240.0, sla_due_at=now + day, sla_risk_at=now - day,
             status="CANCELLED", cancelled_at=now - day),
        dict(id=tid(8), created_at=now - day),
    ]
    seed(s, rows)
    yield s
    s.stop()
    drop_module_db(s.db)


def listed(server, query):
    status = "" if "status=" in query else "status=all&"
    r = server.get(f"/ops/tasks?{status}limit=500&{query}")
    assert r.status == 200, r
    return {t["id"] for t in r.json()["data"]}


def test_sla_at_risk_is_computed_on_every_read(risky):
    got = {i: risky.get_task(tid(i))["sla_at_risk"] for i in range(1, 9)}
    assert got == {1: True, 2: True, 3: False, 4: False, 5: False, 6: False, 7: False, 8: None}


def test_sla_filters(risky):
    assert listed(risky, "sla_at_risk=true") == {tid(1), tid(2)}
    assert listed(risky, "sla_breached=true") == {tid(4), tid(5)}
    assert listed(risky, "sla_breached=false") == {tid(1), tid(2), tid(3), tid(6), tid(7)}
    assert listed(risky, "sla_breached=false&sla_at_risk=true") == {tid(1), tid(2)}
    assert listed(risky, "sla_breached=true&sla_at_risk=true") == set()
    # they combine with the status filter and page like any other
    assert listed(risky, "sla_at_risk=true&status=IN_PROGRESS") == {tid(2)}
    r = risky.get("/ops/tasks?status=all&sla_breached=false&limit=2")
    assert len(r.json()["data"]) == 2 and r.json()["next_cursor"]


@pytest.mark.parametrize("query,field", [("sla_breached=yes", "sla_breached"), ("sla_breached=", "sla_breached"),
                                         ("sla_at_risk=false", "sla_at_risk"), ("sla_at_risk=1", "sla_at_risk")])
def test_bad_sla_filters_answer_422(risky, query, field):
    assert_error(risky.get(f"/ops/tasks?{query}"), 422, "validation_failed", field)


def test_stats_count_active_tasks_at_risk(risky):
    st = risky.stats()
    assert st["sla_at_risk_active"] == 2
    assert st["sla_breached_active"] == 1
    assert risky.stats("priority=URGENT")["sla_at_risk_active"] == 0


# ---- the business-hours calendar -----------------------------------------------------------

DEFAULT_CAL = {"mode": "calendar_hours", "weekly": {d: [] for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
               "holidays": []}


def calendar_of(server):
    """The stored calendar, without the recompute's state."""
    r = server.get("/ops/sla-calendar")
    assert r.status == 200, r
    cal = r.json()
    assert cal.pop("recompute") in ("pending", "done")
    return cal


def put_calendar(server, cal):
    """PUT answers at once, the recompute pending; returns the calendar as stored."""
    r = server.put("/ops/sla-calendar", cal)
    assert r.status == 200, r
    got = r.json()
    assert got.pop("recompute") == "pending"
    return got


def recomputed(server, timeout=30):
    """Waits until GET /ops/sla-calendar says the recompute is done."""
    wait_until(lambda: server.get("/ops/sla-calendar").json()["recompute"] == "done", timeout * SLOW,
               interval=0.05, what="the deadline recompute")


def test_the_default_calendar_is_calendar_hours(make_server):
    s = make_server()
    r = s.get("/ops/sla-calendar")
    assert r.status == 200 and r.json() == dict(DEFAULT_CAL, recompute="done")


def test_the_calendar_is_for_admins(make_server):
    s = make_server()
    agent = s.token("agent")
    assert_error(s.get("/ops/sla-calendar", token=agent), 403, "forbidden")
    assert_error(s.put("/ops/sla-calendar", {"mode": "calendar_hours"}, token=agent), 403, "forbidden")
    assert_error(s.get("/ops/sla-calendar", token=None), 401, "unauthorized")


@pytest.mark.parametrize("body,field", [
    ({}, "mode"),
    ({"mode": "office"}, "mode"),
    ({"mode": "calendar_hours", "extra": 1}, "extra"),
    ({"mode": "business_hours"}, "weekly"),
    ({"mode": "business_hours", "weekly": {"mon": []}}, "weekly"),
    ({"mode": "business_hours", "weekly": {"monday": [["09:00", "17:00"]]}}, "weekly"),
    ({"mode": "business_hours", "weekly": {"mon": [["09:00"]]}}, "weekly.mon"),
    ({"mode": "business_hours", "weekly": {"mon": [["17:00", "09:00"]]}}, "weekly.mon"),
    ({"mode": "business_hours", "weekly": {"mon": [["09:00", "25:00"]]}}, "weekly.mon"),
    ({"mode": "business_hours", "weekly": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}}, "weekly"),
    ({"mode": "business_hours", "weekly": {"mon": "09:00-17:00"}}, "weekly.mon"),
    ({"mode": "calendar_hours", "holidays": ["2026-02-30"]}, "holidays"),
    ({"mode": "calendar_hours", "holidays": "2026-12-25"}, "holidays"),
    ({"mode": "calendar_hours", "holidays": ["2026-12-25"] * 1001}, "holidays"),
])
def test_bad_calendars_answer_422_naming_the_field_and_change_nothing(make_server, body, field):
    s = make_server()
    assert_error(s.put("/ops/sla-calendar", body), 422, "validation_failed", field)
    assert s.get("/ops/sla-calendar").json() == dict(DEFAULT_CAL, recompute="done")


def test_a_calendar_round_trips_normalized(make_server):
    s = make_server()
    body = {"mode": "business_hours", "weekly": {"fri": [["13:00", "18:00"], ["09:00", "12:00"]], "mon": [["09:00", "24:00"]]},
            "holidays": ["2026-12-25", "2026-10-29", "2026-12-25"]}
    got = put_calendar(s, body)
    want = {"mode": "business_hours",
            "weekly": dict(DEFAULT_CAL["weekly"], mon=[["09:00", "24:00"]], fri=[["09:00", "12:00"], ["13:00", "18:00"]]),
            "holidays": ["2026-10-29", "2026-12-25"]}
    assert got == want
    recomputed(s)
    assert s.get("/ops/sla-calendar").json() == dict(want, recompute="done")
    s.stop()
    s.start()
    assert calendar_of(s) == want
    # what GET answers can be sent back as it is
    r = s.put("/ops/sla-calendar", s.get("/ops/sla-calendar").json())
    assert r.status == 200 and r.json() == dict(want, recompute="pending")


def test_a_new_calendar_recomputes_the_deadlines_of_active_tasks(make_server):
    s = make_server(timezone="Europe/Berlin")
    for _ in range(2):
        today = today_in("Europe/Berlin")
        active = s.task(sla_hours=2)
        done = s.task(sla_hours=2)
        s.set_status(done["id"], "COMPLETED")
        plain = s.task()
        # every hour of every day works, except today and tomorrow
        cal = {"mode": "business_hours", "weekly": {d: [["00:00", "24:00"]] for d in DEFAULT_CAL["weekly"]},
               "holidays": [today.isoformat(), (today + datetime.timedelta(days=1)).isoformat()]}
        put_calendar(s, cal)
        recomputed(s)
        if today_in("Europe/Berlin") == today:
            break
    else:
        raise AssertionError("the date changed twice during the test")
    tz = __import__("zoneinfo").ZoneInfo("Europe/Berlin")
    day_after = datetime.datetime.combine(today + datetime.timedelta(days=2), datetime.time(), tz)
    want = day_after.astimezone(UTC) + datetime.timedelta(hours=2)
    got = s.get_task(active["id"])
    assert parse_ts(got["sla_due_at"]) == want
    assert got["version"] == active["version"], "a recomputed deadline is not an edit"
    assert s.get_task(done["id"])["sla_due_at"] == done["sla_due_at"], "finished tasks keep their deadline"
    assert s.get_task(plain["id"])["sla_due_at"] is None
    # new tasks use it too; and going back to calendar_hours restores plain hours
    new = s.task(sla_hours=2)
    assert parse_ts(new["sla_due_at"]) == want
    put_calendar(s, {"mode": "calendar_hours"})
    recomputed(s)
    got = s.get_task(active["id"])
    assert ms(got["sla_due_at"]) == ms(got["created_at"]) + 2 * HOUR_MS


def test_a_calendar_change_recomputes_every_active_task_in_batches(make_server):
    """More tasks than one writer batch (2,000); and a recompute cut short
    (left pending in the database) is finished after the restart."""
    s = make_server(sweep_interval=1)
    now = int(datetime.datetime.now(UTC).timestamp() * 1000)
    created = now - 60_000
    rows = [dict(id=tid(100000 + i), created_at=created + i, sla_hours=2.0, sla_due_at=created + i + 2 * HOUR_MS,
                 sla_risk_at=created + i + 96 * 60_000) for i in range(4500)]
    seed(s, rows)
    # 24/7 working time except the next three days: every deadline moves by their length
    tz_today = datetime.datetime.fromtimestamp(created / 1000, UTC).date()
    days = [(tz_today + datetime.timedelta(days=d)).isoformat() for d in range(0, 3)]
    cal = {"mode": "business_hours", "weekly": {d: [["00:00", "24:00"]] for d in DEFAULT_CAL["weekly"]},
           "holidays": days}
    put_calendar(s, cal)
    recomputed(s)
    start = int(datetime.datetime.combine(tz_today + datetime.timedelta(days=3), datetime.time(),
                                          UTC).timestamp() * 1000)
    for i in (0, 999, 1000, 1999, 2000, 4499):
        assert ms(s.get_task(tid(100000 + i))["sla_due_at"]) == start + 2 * HOUR_MS
    # a pending recompute left by a stop is finished after the restart
    s.stop()
    db_query(s, "UPDATE sla_calendar SET body = ?, recompute_after = ''",
             ('{"mode":"calendar_hours","weekly":{},"holidays":[]}',))
    s.start()
    wait_until(lambda: ms(s.get_task(tid(104499))["sla_due_at"]) == created + 4499 + 2 * HOUR_MS, 20,
               interval=0.1, what="the recompute after the restart")
    assert ms(s.get_task(tid(100000))["sla_due_at"]) == created + 2 * HOUR_MS
