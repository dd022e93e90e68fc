"""Several instances on one database: three `opstasks serve` processes share
one database (a new PostgreSQL database under OPSTASKS_TEST_PG, else one
SQLite file, which several processes may share too) and every one of them
answers any request the same. The races between instances are sent at once
from threads, each request to another instance; the background work (the
overdue sweeper, SLA breaches, the renewals engine) runs on the instance
holding the lease, once, and another takes it over when that one is killed.
"""
import datetime
import http.client
import re
import threading
import time

import pytest

from conftest import FUTURE, PAST, SLOW, Server, all_task_ids, new_db_uri, wait_until

N = 3


def at_once(calls):
    """Runs each call in its own thread, released together; returns the results in order."""
    results = [None] * len(calls)
    errors = []
    barrier = threading.Barrier(len(calls))

    def run(i, f):
        try:
            barrier.wait(10)
            results[i] = f()
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60 * SLOW)
    assert not errors, errors
    return results


@pytest.fixture
def instances(tmp_path):
    """Three servers on one new database; the first one's admin token is shared."""
    db = new_db_uri(tmp_path)
    made = []

    def start(i, **kw):
        d = tmp_path / f"i{i}"
        d.mkdir(exist_ok=True)
        return Server(d, db=db, **kw).start()

    made = at_once([lambda i=i: start(i, sweep_interval=1) for i in range(N)])
    token = made[0].admin
    for s in made:
        s._admin = token
    yield made
    for s in made:
        if s.proc:
            s.stop()


def test_three_instances_starting_at_once_on_an_empty_database_all_start_and_migrate_it_once(instances):
    a, b, c = instances
    for s in instances:
        s.healthy()
        assert s.get("/readyz").status == 200
    applied = [line for s in instances for line in s.read_stderr().splitlines() if "applied migration" in line]
    names = [line.rsplit("applied migration ", 1)[1] for line in applied]
    assert len(names) == len(set(names)), f"a migration was applied twice: {applied}"


def test_a_token_made_against_the_database_works_on_every_instance_at_once(instances):
    token = instances[1].token("agent", name="shared")
    got = at_once([lambda s=s: s.get("/ops/tasks", token=token).status for s in instances])
    assert got == [200] * N


def test_any_instance_answers_any_request_the_same_cursors_and_etags_included(instances):
    a, b, c = instances
    ids = [a.task(title=f"Shared {i}", due_date=FUTURE, assignee_id=None)["id"] for i in range(5)]
    pages = [s.get("/ops/tasks?limit=500").json() for s in instances]
    assert pages[0] == pages[1] == pages[2]
    first = a.get("/ops/tasks?limit=2").json()
    second = b.get(f"/ops/tasks?limit=2&cursor={first['next_cursor']}").json()
    third = c.get(f"/ops/tasks?limit=2&cursor={second['next_cursor']}").json()
    paged = [t["id"] for t in first["data"] + second["data"] + third["data"]]
    assert paged == [t["id"] for t in pages[0]["data"]] and sorted(paged) == sorted(ids)
    assert third["next_cursor"] is None
    r = a.get(f"/ops/tasks/{ids[0]}")
    etag = r.header("ETag")
    upd = b.patch(f"/ops/tasks/{ids[0]}", {"title": "Renamed on b"}, headers={"If-Match": etag})
    assert upd.status == 200, upd
    stale = c.patch(f"/ops/tasks/{ids[0]}", {"title": "Renamed on c"}, headers={"If-Match": etag})
    assert stale.status == 412, stale
    assert c.get_task(ids[0])["title"] == "Renamed on b"


def test_the_same_idempotency_key_at_two_instances_at_once_makes_one_task(instances):
    for round_ in range(5):
        key = f"dup-{round_}"
        body = {"title": f"Once {round_}", "due_date": FUTURE}
        answers = at_once([lambda s=s: s.post("/ops/tasks", body, headers={"Idempotency-Key": key})
                           for s in instances[:2]])
        assert [r.status for r in answers] == [201, 201], answers
        assert answers[0].json() == answers[1].json()
        found = [t for t in instances[2].get("/ops/tasks?limit=500").json()["data"] if t["title"] == body["title"]]
        assert len(found) == 1, found


def test_two_if_match_patches_of_one_version_at_two_instances_one_wins(instances):
    a, b, c = instances
    for round_ in range(5):
        t = a.task(title=f"Contended {round_}", due_date=FUTURE)
        answers = at_once([lambda s=s, w=w: s.patch(f"/ops/tasks/{t['id']}", {"title": w}, headers={"If-Match": '"1"'})
                           for s, w in ((a, "from a"), (b, "from b"))])
        assert sorted(r.status for r in answers) == [200, 412], answers
        winner = next(r for r in answers if r.status == 200).json()
        assert c.get_task(t["id"]) == winner and winner["version"] == 2


def test_completed_against_cancelled_at_two_instances_one_wins_with_one_history_line(instances):
    a, b, c = instances
    for round_ in range(5):
        t = a.task(title=f"Race to the end {round_}", due_date=FUTURE)
        answers = at_once([lambda s=s, st=st: s.patch(f"/ops/tasks/{t['id']}", {"status": st})
                           for s, st in ((a, "COMPLETED"), (b, "CANCELLED"))])
        assert sorted(r.status for r in answers) == [200, 409], answers
        final = next(r for r in answers if r.status == 200).json()["status"]
        assert c.get_task(t["id"])["status"] == final
        ends = [h for h in c.history(t["id"]) if h["type"] == "status_changed"]
        assert len(ends) == 1 and ends[0]["to"] == final, ends


def put_rule(s, rid, event_type, assignee):
    r = s.put(f"/ops/rules/{rid}", {"name": rid, "enabled": True, "event_type": event_type,
                                    "task": {"title": "Follow up {{data.n}}", "due_in_days": 1, "assignee": assignee}})
    assert r.status in (200, 201), r


def event(eid, etype, **data):
    return {"id": eid, "type": etype, "occurred_at": "2026-06-01T09:30:00Z", "data": data}


def test_the_same_event_at_two_instances_at_once_makes_one_set_of_tasks(instances):
    a, b, c = instances
    put_rule(a, "rul_inst_once", "inst.once", None)
    for round_ in range(5):
        body = event(f"evt_inst_{round_}", "inst.once", n=round_)
        answers = at_once([lambda s=s: s.post("/ops/events", body) for s in (a, b)])
        assert sorted(r.status for r in answers) == [200, 201], answers
        assert answers[0].json() == answers[1].json()
        (tid,) = answers[0].json()["tasks"]
        made = [t for t in c.get("/ops/tasks?limit=500&status=all").json()["data"] if t["event_id"] == body["id"]]
        assert [t["id"] for t in made] == [tid]


def test_round_robin_rotates_across_instances(instances):
    staff = ["sta_rr_1", "sta_rr_2", "sta_rr_3"]
    for sid in staff:
        instances[0].staff(sid)
    put_rule(instances[0], "rul_inst_rr", "inst.rr", {"round_robin": staff})
    calls = [lambda i=i: instances[i % N].post("/ops/events", event(f"evt_rr_{i}", "inst.rr", n=i))
             for i in range(30)]
    answers = []
    for k in range(0, 30, 6):  # six at once, two to each instance
        answers += at_once(calls[k:k + 6])
    assert [r.status for r in answers] == [201] * 30, answers
    who = [instances[0].get_task(r.json()["tasks"][0])["assignee_id"] for r in answers]
    assert sorted(who.count(sid) for sid in staff) == [10, 10, 10], who


def overdue_lines(s, tid):
    return [h for h in s.history(tid) if h["type"] == "status_changed" and h["to"] == "OVERDUE"]


def breach_lines(s, tid):
    return [h for h in s.history(tid) if h["type"] == "sla_breached"]


def leader(instances):
    """The instance whose log says it runs the background work now."""
    def find():
        held = [s for s in instances if s.proc and
                [m for m in re.findall(r"(runs the background work now|another instance runs)", s.read_stderr())][-1:]
                == ["runs the background work now"]]
        return held if len(held) == 1 else None
    return wait_until(find, 30, interval=0.2, what="one instance to hold the lease")[0]


def test_background_work_happens_once_across_instances(instances):
    a, b, c = instances
    leader(instances)
    overdue = [a.task(title=f"Late {i}", due_date=PAST) for i in range(10)]
    breach = [b.task(title=f"Breach {i}", due_date=FUTURE, sla_hours=0.0003) for i in range(5)]
    for t in overdue:
        wait_until(lambda t=t: overdue_lines(c, t["id"]), 30, interval=0.2, what="the OVERDUE line")
    for t in breach:
        wait_until(lambda t=t: breach_lines(c, t["id"]), 30, interval=0.2, what="the sla_breached line")
    time.sleep(3 * SLOW)  # several more sweeps on every instance
    assert all(len(overdue_lines(a, t["id"])) == 1 for t in overdue)
    assert all(len(breach_lines(a, t["id"])) == 1 for t in breach)


def test_renewals_run_sent_to_every_instance_at_once_creates_each_crossing_once(instances):
    a, b, c = instances
    a.staff("sta_inst_ren")
    a.customer("cus_inst_ren", name="Renewing Customer", owner="sta_inst_ren")
    expires = (datetime.date.today() + datetime.timedelta(days=20)).isoformat()
    for i in range(20):
        r = a.put(f"/ops/customers/cus_inst_ren/renewals/ren_inst_{i}", {"kind": "passport", "expires_on": expires})
        assert r.status in (200, 201), r
    answers = at_once([lambda s=s: s.post("/ops/renewals/run") for s in instances])
    assert [r.status for r in answers] == [200] * N, answers
    created = [c_["renewal_id"] for r in answers for c_ in r.json()["created"]]
    tasks = c.get("/ops/tasks?user_id=cus_inst_ren&status=all&limit=500").json()["data"]
    per_item = sorted(t["renewal_id"] for t in tasks)
    assert per_item == sorted(f"ren_inst_{i}" for i in range(20)), "one task per crossing"
    assert sorted(created) == per_item, "each crossing reported by the instance that made it, once"


def test_kill_9_of_the_instance_running_the_jobs_under_load_loses_nothing_and_another_takes_over(instances):
    lead = leader(instances)
    others = [s for s in instances if s is not lead]
    acked, stop = [], threading.Event()

    def load(s, n):
        for i in range(400):
            if stop.is_set():
                return
            try:
                r = s.post("/ops/tasks", {"title": f"Load {n}-{i}", "due_date": FUTURE})
            except (OSError, http.client.HTTPException):  # the killed instance's connection, in any state
                s._drop_conn()
                continue
            if r.status == 201:
                acked.append(r.json()["id"])

    threads = [threading.Thread(target=load, args=(s, n)) for n, s in enumerate(instances)]
    for t in threads:
        t.start()
    time.sleep(1)
    lead.kill9()
    killed_at = time.monotonic()
    time.sleep(1)
    stop.set()
    for t in threads:
        t.join(60 * SLOW)
    late = others[0].task(title="Late after the kill", due_date=PAST)
    wait_until(lambda: overdue_lines(others[1], late["id"]), 30, interval=0.2, what="the OVERDUE line after takeover")
    assert time.monotonic() - killed_at < 30 * SLOW + 5
    new_leader = leader(others)
    assert new_leader in others
    listed = all_task_ids(others[0])
    missing = [t for t in acked if t not in listed]
    assert not missing, f"{len(missing)} acknowledged tasks lost of {len(acked)}"
    assert len(acked) > 20


def test_two_people_saving_one_new_view_id_at_two_instances_one_gets_it(instances):
    a, b, c = instances
    a.staff("sta_inst_vw1", name="One")
    a.staff("sta_inst_vw2", name="Two")
    one, two = a.token("agent", staff="sta_inst_vw1"), a.token("agent", staff="sta_inst_vw2")
    for round_ in range(6):
        vid, shared = f"viw_race_{round_}", round_ % 2 == 0
        answers = at_once([lambda s=s, t=t: s.put(f"/ops/views/{vid}", {"name": f"by {t[:6]}", "query": "",
                                                                          "shared": shared}, token=t)
                           for s, t in ((a, one), (b, two))])
        # the loser finds the winner's view: shared, it may not change it
        # (403); personal, the id is taken (409)
        assert sorted(r.status for r in answers) == [201, 403 if shared else 409], answers
        won = 0 if answers[0].status == 201 else 1
        assert c.get(f"/ops/views/{vid}", token=(one, two)[won]).json() == answers[won].json()
