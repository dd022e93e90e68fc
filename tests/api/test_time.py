"""Due dates in the server's timezone, and the automatic move to OVERDUE:
derived at read time, written once by the sweeper or before a user's change."""
import datetime
import time

import pytest

from conftest import today_in, wait_until

UTC = datetime.timezone.utc


def create_stable(server, tz, make_body):
    """Creates a task whose expectation depends on today's date in tz and in
    UTC; retries once if either date changed while the request ran."""
    for _ in range(2):
        before = (today_in(tz), datetime.datetime.now(UTC).date())
        t = server.task(**make_body(*before))
        after = (today_in(tz), datetime.datetime.now(UTC).date())
        if before == after:
            return t, before
    raise AssertionError("the date changed twice during the test")


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_a_task_due_on_the_utc_date_today_is_overdue_only_where_that_day_has_passed(make_server, tz):
    s = make_server(timezone=tz)
    t, (zone_today, utc_today) = create_stable(s, tz, lambda z, u: {"due_date": u.isoformat()})
    want = "OVERDUE" if zone_today > utc_today else "OPEN"
    assert t["status"] == want, (tz, zone_today, utc_today)
    got = s.get_task(t["id"])["status"]
    if (today_in(tz), datetime.datetime.now(UTC).date()) == (zone_today, utc_today):
        assert got == want
        listed = {x["id"] for x in s.get(f"/ops/tasks?status={want}").json()["data"]}
        assert t["id"] in listed
        assert s.stats()["counts"][want] == 1


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Istanbul", "America/New_York"])
def test_due_today_in_the_servers_zone_is_open_and_due_yesterday_is_overdue(make_server, tz):
    s = make_server(timezone=tz)
    today, _ = create_stable(s, tz, lambda z, u: {"due_date": z.isoformat()})
    yesterday, _ = create_stable(s, tz, lambda z, u: {"due_date": (z - datetime.timedelta(days=1)).isoformat()})
    assert today["status"] == "OPEN"
    assert yesterday["status"] == "OVERDUE"


def past_due_after_moving_east(make_server, **kw):
    """A task due today in Pago Pago (UTC-11), then the same database served
    in Kiritimati (UTC+14), where that day has passed: the task has become
    overdue without anything having written it."""
    s = make_server(timezone="Pacific/Pago_Pago")
    t, (zone_today, _) = create_stable(s, "Pacific/Pago_Pago", lambda z, u: {"due_date": z.isoformat()})
    assert t["status"] == "OPEN"
    tid = t["id"]
    assert len(s.history(tid)) == 1
    s.stop()
    assert today_in("Pacific/Kiritimati") > zone_today
    s.sweep_interval = kw.get("sweep_interval")
    s.start(timezone="Pacific/Kiritimati")
    return s, tid


def system_entries(s, tid):
    return [e for e in s.history(tid) if e["actor"] == "system"]


def test_a_task_whose_day_passed_reads_overdue_in_get_lists_and_stats(make_server):
    s, tid = past_due_after_moving_east(make_server)
    assert s.get_task(tid)["status"] == "OVERDUE"
    assert [x["id"] for x in s.get("/ops/tasks?status=OVERDUE").json()["data"]] == [tid]
    assert s.get("/ops/tasks").json()["data"] == []
    assert s.stats()["counts"]["OVERDUE"] == 1 and s.stats()["counts"]["OPEN"] == 0


def test_sweeper_writes_exactly_one_system_entry(make_server):
    s, tid = past_due_after_moving_east(make_server, sweep_interval=1)
    entries = wait_until(lambda: system_entries(s, tid), 10, 0.1, "the sweeper's history entry")
    assert len(entries) == 1
    e = entries[0]
    assert (e["type"], e["field"], e["from"], e["to"]) == ("status_changed", "status", "OPEN", "OVERDUE")
    # later sweeps (every second) must not write it again
    time.sleep(2.2)  # nothing to poll for: the check is that nothing more is written
    assert len(system_entries(s, tid)) == 1
    assert s.get_task(tid)["version"] >= 1
    # nor must a restart (the sweeper also runs at start) or a user's change
    s.stop()
    s.start()
    r = s.patch(f"/ops/tasks/{tid}", {"priority": "HIGH"})
    assert r.status == 200 and r.json()["status"] == "OVERDUE"
    assert len(system_entries(s, tid)) == 1
    assert s.history(tid)[-1]["type"] == "field_changed"


def test_the_overdue_move_is_written_once_before_a_users_change(make_server):
    s, tid = past_due_after_moving_east(make_server)
    r = s.patch(f"/ops/tasks/{tid}", {"title": "Changed while overdue"})
    assert r.status == 200 and r.json()["status"] == "OVERDUE"
    h = s.history(tid)
    kinds = [(e["actor"] == "system", e["type"], e["field"]) for e in h]
    assert kinds == [(False, "created", None), (True, "status_changed", "status"), (False, "field_changed", "title")]
    # whoever wrote it (the sweeper at start or the PATCH), it is there once
    s.patch(f"/ops/tasks/{tid}", {"title": "Again"})
    assert len(system_entries(s, tid)) == 1


def test_an_overdue_task_moved_to_the_zones_today_returns_to_open(make_server):
    s, tid = past_due_after_moving_east(make_server)
    zone_today = today_in("Pacific/Kiritimati")
    r = s.patch(f"/ops/tasks/{tid}", {"due_date": zone_today.isoformat()})
    assert r.status == 200
    if today_in("Pacific/Kiritimati") == zone_today:
        assert r.json()["status"] == "OPEN"
        h = s.history(tid)
        assert (h[-1]["type"], h[-1]["from"], h[-1]["to"]) == ("status_changed", "OVERDUE", "OPEN")
        assert h[-1]["actor"] != "system"
