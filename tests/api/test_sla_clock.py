"""SLA clocks over HTTP: waiting on the customer pauses and resumes the
clock (deadline moved by the paused time, no breach or risk while paused,
a final status ends the pause), sla_restart (admins only), a breach cleared
when the deadline moves later and recorded again at the next breach, the
at-risk warning once per clock, the SLA policy by priority, a renewal
escalation setting sla_hours as given, and the SLA report's paused time.
Time passes for real here (small sla_hours); the unit tests set the clock."""
import datetime
import time

import pytest

from conftest import assert_error, db_query, wait_until

UTC = datetime.timezone.utc
HOUR_MS = 3600_000


def ms(s):
    return int(datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000)


def lines(s, tid, type_, field=None):
    return [h for h in s.history(tid) if h["type"] == type_ and (field is None or h["field"] == field)]


def patch(s, tid, body, status=200, **kw):
    r = s.patch(f"/ops/tasks/{tid}", body, **kw)
    assert r.status == status, r
    return r.json()


def listed(s, query):
    r = s.get(f"/ops/tasks?status=all&{query}")
    assert r.status == 200, r
    return [t["id"] for t in r.json()["data"]]


# ---- waiting on the customer ----------------------------------------------------

def test_waiting_pauses_the_clock_and_resuming_moves_the_deadline_by_the_paused_time(make_server):
    s = make_server()
    t = s.task(sla_hours=24)
    assert (t["waiting_on_customer"], t["sla_paused_at"], t["sla_paused_seconds"]) == (False, None, 0)
    assert t["sla_started_at"] == t["created_at"]
    p = patch(s, t["id"], {"waiting_on_customer": True})
    assert p["waiting_on_customer"] is True and p["sla_paused_at"] is not None
    assert p["sla_due_at"] == t["sla_due_at"], "the deadline moves when the pause ends"
    assert p["version"] == t["version"] + 1
    time.sleep(1.1)
    r = patch(s, t["id"], {"waiting_on_customer": False})
    assert (r["waiting_on_customer"], r["sla_paused_at"]) == (False, None)
    assert r["sla_paused_seconds"] >= 1
    resumed = [h for h in lines(s, t["id"], "field_changed", "waiting_on_customer")]
    assert [(h["from"], h["to"]) for h in resumed] == [(False, True), (True, False)]
    paused_ms = ms(resumed[1]["at"]) - ms(p["sla_paused_at"])
    assert ms(r["sla_due_at"]) - ms(t["sla_due_at"]) == paused_ms
    assert r["sla_paused_seconds"] == paused_ms // 1000
    moved = lines(s, t["id"], "field_changed", "sla_due_at")
    assert [(h["from"], h["to"]) for h in moved] == [(t["sla_due_at"], r["sla_due_at"])]


def test_the_same_waiting_value_again_is_no_change(make_server):
    s = make_server()
    t = s.task(sla_hours=24)
    a = patch(s, t["id"], {"waiting_on_customer": True})
    b = patch(s, t["id"], {"waiting_on_customer": True})
    assert b["version"] == a["version"] and b["sla_paused_at"] == a["sla_paused_at"]
    c = patch(s, t["id"], {"waiting_on_customer": False})
    d = patch(s, t["id"], {"waiting_on_customer": False})
    assert d["version"] == c["version"]
    assert len(lines(s, t["id"], "field_changed", "waiting_on_customer")) == 2
    assert_error(s.patch(f"/ops/tasks/{t['id']}", {"waiting_on_customer": "yes"}), 422, "validation_failed",
                 "waiting_on_customer")


def test_a_paused_task_is_neither_breached_nor_at_risk_by_time_passing(make_server):
    s = make_server(sweep_interval=1)
    t = s.task(sla_hours=0.0004)  # 1.44 s, at risk after 1.15 s
    patch(s, t["id"], {"waiting_on_customer": True})
    time.sleep(2.2)
    got = s.get_task(t["id"])
    assert (got["sla_breached"], got["sla_at_risk"], got["waiting_on_customer"]) == (False, False, True)
    assert t["id"] not in listed(s, "sla_breached=true")
    assert t["id"] in listed(s, "sla_breached=false")
    assert t["id"] not in listed(s, "sla_at_risk=true")
    assert t["id"] not in listed(s, "sla_state=breached,at_risk")
    assert s.stats()["sla_breached_active"] == 0
    assert lines(s, t["id"], "sla_breached") == [] and lines(s, t["id"], "sla_at_risk") == []
    # resumed: the clock goes on where it stopped, ~1.4 s left
    r = patch(s, t["id"], {"waiting_on_customer": False})
    assert r["sla_breached"] is False and ms(r["sla_due_at"]) > ms(r["updated_at"])
    wait_until(lambda: lines(s, t["id"], "sla_breached"), 20, interval=0.1, what="the breach after the resume")
    assert len(lines(s, t["id"], "sla_breached")) == 1
    assert len(lines(s, t["id"], "sla_at_risk")) <= 1


def test_completing_or_cancelling_a_waiting_task_ends_the_pause(make_server):
    s = make_server()
    for status in ("COMPLETED", "CANCELLED"):
        t = s.task(sla_hours=24)
        patch(s, t["id"], {"waiting_on_customer": True})
        time.sleep(0.3)
        d = s.set_status(t["id"], status)
        assert (d["status"], d["waiting_on_customer"], d["sla_paused_at"]) == (status, False, None)
        assert ms(d["sla_due_at"]) > ms(t["sla_due_at"]), "the paused time counts"
        assert [(h["from"], h["to"]) for h in lines(s, t["id"], "field_changed", "waiting_on_customer")] == [
            (False, True), (True, False)]
        # a final task takes no pause
        assert_error(s.patch(f"/ops/tasks/{t['id']}", {"waiting_on_customer": True}), 409, "invalid_transition")


def test_the_waiting_filter_on_the_list_stats_and_sla_state(make_server):
    s = make_server()
    waiting = s.task(title="waiting one", sla_hours=24)
    no_sla = s.task(title="waiting without sla")
    other = s.task(title="not waiting", sla_hours=24)
    patch(s, waiting["id"], {"waiting_on_customer": True})
    patch(s, no_sla["id"], {"waiting_on_customer": True})
    assert set(listed(s, "waiting_on_customer=true")) == {waiting["id"], no_sla["id"]}
    assert other["id"] in listed(s, "waiting_on_customer=false")
    assert waiting["id"] not in listed(s, "waiting_on_customer=false")
    assert listed(s, "sla_state=paused") == [waiting["id"]], "paused: an SLA whose clock stands"
    assert s.stats("waiting_on_customer=true")["counts"]["OPEN"] == 2
    assert s.stats("waiting_on_customer=false")["counts"]["OPEN"] == 1
    assert_error(s.get("/ops/tasks?waiting_on_customer=maybe"), 422, "validation_failed", "waiting_on_customer")


# ---- restart, breach cleared and breached again --------------------------------

def test_sla_restart_is_for_admins_and_starts_the_clock_again(make_server):
    s = make_server()
    s.staff("sta_c_ann", "Ann")
    agent = s.token("agent", staff="sta_c_ann")
    t = s.task(sla_hours=10)
    assert_error(s.patch(f"/ops/tasks/{t['id']}", {"sla_restart": True}, token=agent), 403, "forbidden")
    assert_error(s.patch(f"/ops/tasks/{t['id']}", {"sla_restart": False}), 422, "validation_failed", "sla_restart")
    patch(s, t["id"], {"waiting_on_customer": True})
    time.sleep(0.2)
    r = patch(s, t["id"], {"sla_restart": True})
    assert ms(r["sla_started_at"]) > ms(t["sla_started_at"])
    assert ms(r["sla_due_at"]) == ms(r["sla_started_at"]) + 10 * HOUR_MS
    assert r["sla_paused_seconds"] == 0
    assert r["waiting_on_customer"] is True and r["sla_paused_at"] == r["sla_started_at"], "the pause goes on from now"
    (h,) = lines(s, t["id"], "field_changed", "sla_started_at")
    assert (h["from"], h["to"]) == (t["sla_started_at"], r["sla_started_at"])


def test_a_breach_is_cleared_when_the_deadline_moves_later_and_recorded_again(make_server):
    s = make_server(sweep_interval=1)
    t = s.task(sla_hours=0.0003)  # 1.08 s
    wait_until(lambda: lines(s, t["id"], "sla_breached"), 20, interval=0.1, what="the first breach")
    assert s.get_task(t["id"])["sla_breached"] is True
    r = patch(s, t["id"], {"sla_restart": True})
    assert r["sla_breached"] is False
    (cleared,) = lines(s, t["id"], "field_changed", "sla_breached")
    assert (cleared["from"], cleared["to"]) == (True, False)
    wait_until(lambda: len(lines(s, t["id"], "sla_breached")) == 2, 20, interval=0.1, what="the second breach")
    second = lines(s, t["id"], "sla_breached")[1]
    assert second["to"] == r["sla_due_at"]
    # more hours move the deadline later: cleared again; fewer do not clear
    u = patch(s, t["id"], {"sla_hours": 100})
    assert u["sla_breached"] is False
    assert len(lines(s, t["id"], "field_changed", "sla_breached")) == 2
    time.sleep(1.5)
    assert len(lines(s, t["id"], "sla_breached")) == 2, "not breached: no new line"


def test_the_at_risk_warning_is_written_once_per_clock(make_server):
    s = make_server(sweep_interval=1)
    t = s.task(sla_hours=0.002)  # 7.2 s, at risk after 5.76 s
    wait_until(lambda: lines(s, t["id"], "sla_at_risk"), 30, interval=0.1, what="the at-risk line")
    (h,) = lines(s, t["id"], "sla_at_risk")
    assert (h["actor"], h["field"], h["from"], h["to"]) == ("system", "sla_due_at", None, t["sla_due_at"])
    assert s.get_task(t["id"])["sla_at_risk"] is True
    time.sleep(1.2)
    assert len(lines(s, t["id"], "sla_at_risk")) == 1, "once per clock"
    r = patch(s, t["id"], {"sla_restart": True})
    assert r["sla_at_risk"] is False
    wait_until(lambda: len(lines(s, t["id"], "sla_at_risk")) == 2, 30, interval=0.1, what="the new clock's warning")
    assert lines(s, t["id"], "sla_at_risk")[1]["to"] == r["sla_due_at"]


# ---- the SLA policy by priority -------------------------------------------------

def test_the_sla_policy_is_for_admins_and_round_trips(make_server):
    s = make_server()
    assert s.get("/ops/sla-policy").json() == {"URGENT": None, "HIGH": None, "MEDIUM": None, "LOW": None}
    agent = s.token("agent")
    assert_error(s.get("/ops/sla-policy", token=agent), 403, "forbidden")
    assert_error(s.put("/ops/sla-policy", {"URGENT": 4}, token=agent), 403, "forbidden")
    r = s.put("/ops/sla-policy", {"URGENT": 4, "HIGH": 24.5, "MEDIUM": None})
    assert r.status == 200, r
    assert r.json() == {"URGENT": 4, "HIGH": 24.5, "MEDIUM": None, "LOW": None}
    assert s.get("/ops/sla-policy").json() == r.json()


@pytest.mark.parametrize("body,field", [({"CRITICAL": 4}, "CRITICAL"), ({"URGENT": 0}, "URGENT"),
                                        ({"HIGH": 9000}, "HIGH"), ({"LOW": "4"}, "LOW")])
def test_a_bad_policy_answers_422_naming_the_key_and_changes_nothing(make_server, body, field):
    s = make_server()
    s.put("/ops/sla-policy", {"URGENT": 4})
    assert_error(s.put("/ops/sla-policy", body), 422, "validation_failed", field)
    assert s.get("/ops/sla-policy").json()["URGENT"] == 4


def test_tasks_created_without_sla_hours_take_the_policys_hours(make_server):
    s = make_server()
    s.put("/ops/sla-policy", {"URGENT": 4, "HIGH": 24})
    urgent = s.task(priority="URGENT")
    assert urgent["sla_hours"] == 4
    assert ms(urgent["sla_due_at"]) == ms(urgent["created_at"]) + 4 * HOUR_MS
    assert s.task(priority="URGENT", sla_hours=None)["sla_hours"] is None, "null by hand: no SLA"
    assert s.task(priority="URGENT", sla_hours=2)["sla_hours"] == 2
    assert s.task(priority="MEDIUM")["sla_hours"] is None


def test_a_priority_change_applies_the_new_priority_hours_unless_set_by_hand(make_server):
    s = make_server()
    s.put("/ops/sla-policy", {"URGENT": 4, "HIGH": 24})
    medium = s.task(priority="MEDIUM")
    time.sleep(0.05)
    up = patch(s, medium["id"], {"priority": "URGENT"})
    assert up["sla_hours"] == 4, "none was MEDIUM's policy value"
    assert ms(up["sla_started_at"]) > ms(medium["created_at"]), "the clock restarts at the change"
    assert ms(up["sla_due_at"]) == ms(up["sla_started_at"]) + 4 * HOUR_MS
    down = patch(s, medium["id"], {"priority": "HIGH"})
    assert down["sla_hours"] == 24
    assert patch(s, medium["id"], {"priority": "LOW"})["sla_hours"] is None
    by_hand = s.task(priority="MEDIUM", sla_hours=10)
    assert patch(s, by_hand["id"], {"priority": "URGENT"})["sla_hours"] == 10
    explicit_none = s.task(priority="MEDIUM", sla_hours=None)
    assert patch(s, explicit_none["id"], {"priority": "URGENT"})["sla_hours"] is None
    # hours changed by hand afterwards are the person's from then on
    p = s.task(priority="HIGH")
    patch(s, p["id"], {"sla_hours": 30})
    assert patch(s, p["id"], {"priority": "URGENT"})["sla_hours"] == 30


# ---- renewal escalation ---------------------------------------------------------

def test_a_renewal_escalation_sets_the_thresholds_sla_hours_as_given_and_restarts_the_clock(make_server):
    s = make_server()
    s.staff("sta_c_owner", "Owner")
    s.customer("cus_c_1", "Customer", owner="sta_c_owner")
    r = s.put("/ops/renewal-policy", {"title": "Renew {kind}", "thresholds": [
        {"days_before": 60, "priority": "MEDIUM", "due_in_days": 14, "sla_hours": None},
        {"days_before": 14, "priority": "URGENT", "due_in_days": 2, "sla_hours": 12}]})
    assert r.status == 200, r
    today = datetime.datetime.now(UTC).date()
    item = {"kind": "passport", "expires_on": (today + datetime.timedelta(days=50)).isoformat()}
    assert s.put("/ops/customers/cus_c_1/renewals/ren_c_1", item).status in (200, 201)
    assert s.post("/ops/renewals/run").status == 200
    (t,) = s.get("/ops/tasks?renewal_id=ren_c_1&status=all").json()["data"]
    assert t["sla_hours"] is None
    time.sleep(0.05)
    item["expires_on"] = (today + datetime.timedelta(days=5)).isoformat()
    assert s.put("/ops/customers/cus_c_1/renewals/ren_c_1", item).status == 200
    assert s.post("/ops/renewals/run").status == 200
    u = s.get_task(t["id"])
    assert (u["priority"], u["sla_hours"]) == ("URGENT", 12), "12 means 12"
    assert ms(u["sla_started_at"]) > ms(t["created_at"])
    assert ms(u["sla_due_at"]) == ms(u["sla_started_at"]) + 12 * HOUR_MS


# ---- the SLA report --------------------------------------------------------------

def test_the_sla_report_counts_unpaused_time_and_shows_the_paused_time(make_server):
    s = make_server()
    t = s.task(sla_hours=24, priority="HIGH")
    patch(s, t["id"], {"waiting_on_customer": True})
    time.sleep(1.2)
    patch(s, t["id"], {"waiting_on_customer": False})
    done = s.set_status(t["id"], "COMPLETED")
    day = done["sla_due_at"][:10]
    rep = s.get(f"/ops/reports/sla?from={day}&to={day}&group_by=priority").json()
    (row,) = rep["rows"]
    assert row["key"] == "HIGH" and row["paused_seconds"] == done["sla_paused_seconds"] >= 1
    assert rep["total"]["paused_seconds"] == done["sla_paused_seconds"]
    worked = ms(done["completed_at"]) - ms(done["created_at"]) - done["sla_paused_seconds"] * 1000
    assert abs(row["median_hours_to_complete"] * HOUR_MS - worked) < 0.002 * HOUR_MS
    csv = s.get(f"/ops/reports/sla?from={day}&to={day}&group_by=priority&format=csv").body.decode().splitlines()
    assert csv[0].endswith(",paused_seconds") and csv[1].endswith(f",{done['sla_paused_seconds']}")


# ---- the stats bar's SLA counts ------------------------------------------------------

def test_the_stats_bar_judges_each_clock_at_its_pause_as_the_filtered_counts_do(make_server):
    """The stats bar without a filter counts breached and at-risk tasks from
    one index; with a filter, from the rows. Both judge a paused clock at the
    moment it was paused, a running one now, and count active tasks only."""
    s = make_server()
    now = int(time.time() * 1000)
    cases = {  # name: (paused, sla_due_at, sla_risk_at) relative to now, in hours
        "running_breached": (False, -1, -2),
        "running_at_risk": (False, 1, -1),
        "running_fine": (False, 5, 1),
        "paused_after_breach": (True, -2, -3),
        "paused_before_risk": (True, 5, -0.5),  # paused an hour ago: 80% came after
        "paused_at_risk": (True, -0.5, -2),  # deadline passed on the wall clock, not on its own
    }
    high = {"running_breached", "paused_at_risk"}  # a filter that keeps one of each
    for name, (paused, due, risk) in cases.items():
        t = s.task(title=name, sla_hours=24, priority="HIGH" if name in high else "LOW")
        if paused:
            patch(s, t["id"], {"waiting_on_customer": True})
        db_query(s, "UPDATE tasks SET sla_due_at = ?, sla_risk_at = ?" + (", sla_paused_at = ?" if paused else "")
                 + " WHERE id = ?", (now + int(due * HOUR_MS), now + int(risk * HOUR_MS))
                 + ((now - HOUR_MS,) if paused else ()) + (t["id"],))
    done = s.task(title="finished late", sla_hours=24)
    s.set_status(done["id"], "COMPLETED")
    db_query(s, "UPDATE tasks SET sla_due_at = ?, sla_risk_at = ? WHERE id = ?", (now - HOUR_MS, now - 2 * HOUR_MS, done["id"]))
    s.task(title="no clock")
    bare = s.stats()
    assert (bare["sla_breached_active"], bare["sla_at_risk_active"]) == (2, 2), bare
    every = s.stats("priority=LOW,MEDIUM,HIGH,URGENT")
    assert (every["sla_breached_active"], every["sla_at_risk_active"]) == (2, 2), every
    only_high = s.stats("priority=HIGH")
    assert (only_high["sla_breached_active"], only_high["sla_at_risk_active"]) == (1, 1), only_high
