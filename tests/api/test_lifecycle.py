"""The lifecycle over HTTP beyond the first version's: work_status beside
status, picking up and putting down overdue work, reopening completed and
cancelled tasks (the SLA and OVERDUE judged again, task.reopened for the
rules), the due-date bounds and the bidirectional controls refused in
titles."""
import datetime
import time

import pytest

from conftest import FUTURE, PAST, assert_error, wait_until


@pytest.fixture(scope="module")
def life(server):
    server.staff("sta_l_anna", "Anna")
    return server


def lines(s, tid):
    return [(h["actor"], h["type"], h["field"], h["from"], h["to"]) for h in s.history(tid)]


# ---- work_status ----------------------------------------------------------------

def test_work_status_is_the_status_without_the_overdue_overlay(life):
    s = life
    t = s.task()
    assert (t["status"], t["work_status"]) == ("OPEN", "OPEN")
    late = s.task(due_date=PAST)
    assert (late["status"], late["work_status"]) == ("OVERDUE", "OPEN")
    done = s.set_status(s.task()["id"], "COMPLETED")
    assert (done["status"], done["work_status"]) == ("COMPLETED", "COMPLETED")
    listed = {x["id"]: x for x in s.get("/ops/tasks?status=all&limit=500").json()["data"]}
    assert listed[late["id"]]["work_status"] == "OPEN"
    assert s.get_task(done["id"])["work_status"] == "COMPLETED"


# ---- overdue: pick up and put down ------------------------------------------------

def test_an_overdue_task_is_picked_up_and_stays_overdue(life):
    s = life
    t = s.task(due_date=PAST)
    p = s.set_status(t["id"], "IN_PROGRESS")
    assert (p["status"], p["work_status"]) == ("OVERDUE", "IN_PROGRESS")
    assert p["started_at"] and p["version"] == 2
    last = lines(s, t["id"])[-1]
    assert last[1:] == ("status_changed", "work_status", "OPEN", "IN_PROGRESS") and last[0] != "system"
    assert t["id"] in {x["id"] for x in s.get("/ops/tasks?status=OVERDUE&limit=500").json()["data"]}
    again = s.patch(f"/ops/tasks/{t['id']}", {"status": "IN_PROGRESS"})
    assert again.status == 200 and again.json() == p, "asked again: nothing changes"


def test_an_overdue_task_in_progress_is_put_down(life):
    s = life
    t = s.task(due_date=PAST)
    p = s.set_status(t["id"], "IN_PROGRESS")
    d = s.set_status(t["id"], "OPEN")
    assert (d["status"], d["work_status"], d["started_at"], d["version"]) == ("OVERDUE", "OPEN", None, 3)
    h = lines(s, t["id"])
    assert [x[1:] for x in h] == [
        ("created", None, None, None),
        ("status_changed", "status", "OPEN", "OVERDUE"),
        ("status_changed", "work_status", "OPEN", "IN_PROGRESS"),
        ("status_changed", "work_status", "IN_PROGRESS", "OPEN")]
    assert h[1][0] == "system" and h[2][0] == h[3][0] != "system"
    assert p["started_at"]


def test_a_picked_up_overdue_task_can_be_completed(life):
    s = life
    t = s.task(due_date=PAST)
    s.set_status(t["id"], "IN_PROGRESS")
    c = s.set_status(t["id"], "COMPLETED")
    assert (c["status"], c["work_status"]) == ("COMPLETED", "COMPLETED") and c["started_at"]
    assert lines(s, t["id"])[-1][1:] == ("status_changed", "status", "OVERDUE", "COMPLETED")


# ---- reopen ---------------------------------------------------------------------------

@pytest.mark.parametrize("final", ["COMPLETED", "CANCELLED"])
def test_a_final_task_reopens_with_its_final_time_cleared(life, final):
    s = life
    t = s.task()
    f = s.set_status(t["id"], final)
    o = s.set_status(t["id"], "OPEN")
    assert (o["status"], o["work_status"], o["completed_at"], o["cancelled_at"]) == ("OPEN", "OPEN", None, None)
    assert o["version"] == f["version"] + 1
    assert lines(s, t["id"])[-1][1:] == ("status_changed", "status", final, "OPEN")
    assert lines(s, t["id"])[-1][0] != "system"
    # active again: it can be completed like any open task
    assert s.set_status(t["id"], "COMPLETED")["completed_at"]


@pytest.mark.parametrize("final", ["COMPLETED", "CANCELLED"])
def test_in_progress_on_a_final_task_reopens_and_starts_it(life, final):
    s = life
    t = s.task()
    s.set_status(t["id"], final)
    p = s.set_status(t["id"], "IN_PROGRESS")
    assert (p["status"], p["work_status"], p["completed_at"], p["cancelled_at"]) == \
        ("IN_PROGRESS", "IN_PROGRESS", None, None)
    assert p["started_at"]
    assert lines(s, t["id"])[-1][1:] == ("status_changed", "status", final, "IN_PROGRESS")


def test_a_reopened_task_past_its_due_date_is_overdue_again(life):
    s = life
    t = s.task(due_date=PAST)
    s.set_status(t["id"], "COMPLETED")
    o = s.set_status(t["id"], "OPEN")
    assert (o["status"], o["work_status"]) == ("OVERDUE", "OPEN")
    h = lines(s, t["id"])
    assert [x[1:] for x in h[-3:]] == [
        ("status_changed", "status", "OVERDUE", "COMPLETED"),
        ("status_changed", "status", "COMPLETED", "OPEN"),
        ("status_changed", "status", "OPEN", "OVERDUE")]
    assert h[-2][0] != "system" and h[-1][0] == "system", "the person reopens; the move into OVERDUE is the system's"


@pytest.mark.parametrize("final", ["COMPLETED", "CANCELLED"])
def test_any_other_change_to_a_final_task_is_still_409(life, final):
    s = life
    t = s.task()
    f = s.set_status(t["id"], final)
    other = "CANCELLED" if final == "COMPLETED" else "COMPLETED"
    for body in ({"status": other}, {"title": "Renamed"}, {"priority": "URGENT"}, {"due_date": PAST},
                 {"assignee_id": "sta_l_anna"}):
        e = assert_error(s.patch(f"/ops/tasks/{t['id']}", body), 409, "invalid_transition")
        assert "reopen" in e["message"]
    assert s.get_task(t["id"]) == f
    same = s.patch(f"/ops/tasks/{t['id']}", {"status": final})
    assert same.status == 200 and same.json() == f


def test_a_reopen_may_carry_other_fields(life):
    s = life
    t = s.task()
    s.set_status(t["id"], "COMPLETED")
    r = s.patch(f"/ops/tasks/{t['id']}", {"status": "OPEN", "assignee_id": "sta_l_anna"})
    assert r.status == 200, r
    assert (r.json()["status"], r.json()["assignee_id"]) == ("OPEN", "sta_l_anna")


def test_the_sla_of_a_reopened_task_is_judged_again(life):
    """Completed within its SLA (met), reopened after the deadline: breached,
    and the breach recorded at the reopen. A breach recorded before the
    completion is not recorded twice."""
    s = life
    t = s.task(sla_hours=0.0004)  # 1.44 s
    c = s.set_status(t["id"], "COMPLETED")
    assert c["sla_breached"] is False
    due = datetime.datetime.strptime(c["sla_due_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    wait_until(lambda: datetime.datetime.now(datetime.timezone.utc) > due + datetime.timedelta(milliseconds=50),
               5, 0.05, "the SLA deadline")
    assert s.get_task(t["id"])["sla_breached"] is False, "finished in time stays met"
    o = s.set_status(t["id"], "OPEN")
    assert o["sla_breached"] is True and o["sla_at_risk"] is False
    h = lines(s, t["id"])
    assert [x[1] for x in h] == ["created", "status_changed", "status_changed", "sla_breached"]
    assert h[-1][0] == "system"

    late = s.task(sla_hours=0.000001)
    wait_until(lambda: s.get_task(late["id"])["sla_breached"] is True, 5, 0.01, "sla_breached")
    s.set_status(late["id"], "COMPLETED")
    s.set_status(late["id"], "OPEN")
    assert [x[1] for x in lines(s, late["id"])].count("sla_breached") == 1


def test_task_reopened_reaches_the_rules(life):
    s = life
    r = s.put("/ops/rules/rul_l_reopened", {
        "name": "reopened", "event_type": "task.reopened",
        "conditions": [{"field": "data.task.title", "op": "contains", "value": "mistake"}],
        "task": {"title": "Check why {{data.task.title}} was reopened", "due_in_days": 1}})
    assert r.status in (200, 201), r
    try:
        t = s.task(title="Done by mistake")
        s.set_status(t["id"], "COMPLETED")
        o = s.set_status(t["id"], "OPEN")
        ev = [e for e in s.get("/ops/events?type=task.reopened&limit=500").json()["data"]
              if e["data"]["task"]["id"] == t["id"]]
        assert len(ev) == 1 and ev[0]["matched_rules"] == ["rul_l_reopened"]
        assert ev[0]["data"]["task"]["status"] == "OPEN" and ev[0]["data"]["task"]["version"] == o["version"]
        made = s.get_task(ev[0]["tasks"][0])
        assert (made["title"], made["source"], made["rule_id"]) == \
            ("Check why Done by mistake was reopened", "RULE", "rul_l_reopened")
        # a second reopen is a second event
        s.set_status(t["id"], "CANCELLED")
        s.set_status(t["id"], "IN_PROGRESS")
        ev = [e for e in s.get("/ops/events?type=task.reopened&limit=500").json()["data"]
              if e["data"]["task"]["id"] == t["id"]]
        assert len(ev) == 2
    finally:
        s.request("DELETE", "/ops/rules/rul_l_reopened")


def test_a_reopen_into_overdue_raises_task_overdue_again(life):
    s = life
    r = s.put("/ops/rules/rul_l_overdue", {
        "name": "overdue", "event_type": "task.overdue",
        "conditions": [{"field": "data.task.title", "op": "eq", "value": "late and reopened"}],
        "task": {"title": "Chase {{data.task.title}}", "due_in_days": 0}})
    assert r.status in (200, 201), r
    try:
        t = s.task(title="late and reopened", due_date=PAST)
        s.set_status(t["id"], "COMPLETED")
        s.set_status(t["id"], "OPEN")
        ev = [e for e in s.get("/ops/events?type=task.overdue&limit=500").json()["data"]
              if e["data"]["task"]["id"] == t["id"]]
        assert len(ev) == 2, "at creation, and again at the reopen"
    finally:
        s.request("DELETE", "/ops/rules/rul_l_overdue")


# ---- due dates and titles -------------------------------------------------------------

def years_from_today(n):
    d = datetime.date.today()
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February
        return d.replace(year=d.year + n, day=28)


@pytest.mark.parametrize("day", ["1900-01-01", "1999-12-31", "9999-12-31", "0001-01-01"])
def test_due_dates_before_2000_or_far_ahead_are_refused(life, day):
    s = life
    assert_error(s.post("/ops/tasks", {"title": "t", "due_date": day}), 422, "validation_failed", "due_date")
    t = s.task()
    assert_error(s.patch(f"/ops/tasks/{t['id']}", {"due_date": day}), 422, "validation_failed", "due_date")
    assert s.get_task(t["id"]) == t


def test_due_dates_from_2000_to_twenty_years_ahead_are_taken(life):
    s = life
    assert s.task(due_date="2000-01-01")["due_date"] == "2000-01-01"
    # the server's day may be a day off the test's (timezones): stay a day inside
    near_edge = (years_from_today(20) - datetime.timedelta(days=1)).isoformat()
    assert s.task(due_date=near_edge)["due_date"] == near_edge
    beyond = (years_from_today(20) + datetime.timedelta(days=2)).isoformat()
    assert_error(s.post("/ops/tasks", {"title": "t", "due_date": beyond}), 422, "validation_failed", "due_date")


@pytest.mark.parametrize("ch", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
                                "\u2069"])
def test_titles_refuse_bidirectional_overrides_and_isolates(life, ch):
    s = life
    assert_error(s.post("/ops/tasks", {"title": f"invoice{ch}fdp.exe", "due_date": FUTURE}), 422,
                 "validation_failed", "title")
    t = s.task()
    assert_error(s.patch(f"/ops/tasks/{t['id']}", {"title": f"a{ch}b"}), 422, "validation_failed", "title")


def test_right_to_left_titles_are_fine(life):
    assert life.task(title="שלום עולם")["title"] == "שלום עולם"
    assert life.task(title="مرحبا")["title"] == "مرحبا"


def test_putting_work_down_while_moving_the_due_date_into_the_past_writes_both(life):
    s = life
    t = s.task()
    s.set_status(t["id"], "IN_PROGRESS")
    r = s.patch(f"/ops/tasks/{t['id']}", {"due_date": PAST, "status": "OPEN"})
    assert r.status == 200, r
    assert (r.json()["status"], r.json()["work_status"], r.json()["started_at"]) == ("OVERDUE", "OPEN", None)
    h = lines(s, t["id"])
    assert [x[1:] for x in h[-3:]] == [
        ("field_changed", "due_date", FUTURE, PAST),
        ("status_changed", "work_status", "IN_PROGRESS", "OPEN"),
        ("status_changed", "status", "IN_PROGRESS", "OVERDUE")]
    assert h[-2][0] != "system" and h[-1][0] == "system"
