"""Event retention: the sweeper removes events received more than
--events-retention-days ago, in batches; tasks they made and every history
line stay; a removed event's id is then new again; 0 keeps events forever."""
import re
import time

from conftest import db_query, wait_until

DAY_MS = 86400 * 1000


def age_events(db, ids, days):
    """Moves the events' received time `days` into the past (server stopped)."""
    now = int(time.time() * 1000)
    db_query(db, "UPDATE events SET received_at = ? WHERE id = ?", [(now - days * DAY_MS, i) for i in ids], many=True)


def seed_old_events(db, n, days):
    now = int(time.time() * 1000)
    db_query(db, "INSERT INTO events (id, type, user_id, occurred_at, received_at, origin, depth, data, outcome) "
                  "VALUES (?, 'seed.old', NULL, ?, ?, 'api', 0, '{}', "
                  "'{\"event_id\":\"x\",\"matched_rules\":[],\"tasks\":[],\"notes\":[]}')",
                  [(f"evt_seed_{i}", now - days * DAY_MS, now - days * DAY_MS) for i in range(n)], many=True)


def event_ids(s):
    out, cursor = set(), None
    for _ in range(100):
        r = s.get("/ops/events?limit=500" + (f"&cursor={cursor}" if cursor else "")).json()
        out |= {e["id"] for e in r["data"]}
        cursor = r["next_cursor"]
        if not cursor:
            return out
    raise AssertionError("too many pages")


def test_old_events_go_their_tasks_and_history_stay_and_the_id_is_new_again(make_server):
    s = make_server(sweep_interval=1)
    s.staff("sta_ret", name="Owner")
    s.customer("cus_ret", owner="sta_ret")
    r = s.post("/ops/events", {"id": "evt_ret_old", "type": "document.rejected", "user_id": "cus_ret",
                               "data": {"document_type": "passport"}})
    assert r.status == 201 and len(r.json()["tasks"]) == 1, r
    task_id = r.json()["tasks"][0]
    for eid in ("evt_ret_181", "evt_ret_179", "evt_ret_new"):
        assert s.post("/ops/events", {"id": eid, "type": "agent.note"}).status == 201
    s.set_status(task_id, "IN_PROGRESS")
    task_before, history_before = s.get_task(task_id), s.history(task_id)
    s.stop()
    age_events(s.db, ["evt_ret_old"], 400)
    age_events(s.db, ["evt_ret_181"], 181)
    age_events(s.db, ["evt_ret_179"], 179)
    seed_old_events(s.db, 1234, 200)  # more than two batches of 500
    s.start()
    wait_until(lambda: event_ids(s) == {"evt_ret_179", "evt_ret_new"}, 10, what="the old events to go")
    assert re.search(r"sweeper: removed 1236 events received over 180 days ago", s.read_stderr()), s.read_stderr()
    # the task made by the removed event still works, event_id and history unchanged
    assert s.get_task(task_id) == task_before
    assert task_before["event_id"] == "evt_ret_old"
    assert s.history(task_id) == history_before
    assert s.set_status(task_id, "COMPLETED")["status"] == "COMPLETED"
    # the id is forgotten with the event: posting it again is a new event
    r = s.post("/ops/events", {"id": "evt_ret_old", "type": "document.rejected", "user_id": "cus_ret",
                               "data": {"document_type": "passport"}})
    assert r.status == 201, r
    assert len(r.json()["tasks"]) == 1 and r.json()["tasks"][0] != task_id


def sweeps(s):
    m = re.search(r"^opstasks_sweep_last_timestamp_seconds (\S+)$", s.get("/metrics").body.decode(), re.M)
    return float(m.group(1))


def test_zero_days_keeps_events_forever(make_server):
    s = make_server(sweep_interval=1, extra_args=["--events-retention-days", "0"])
    assert s.post("/ops/events", {"id": "evt_keep_1", "type": "agent.note"}).status == 201
    s.stop()
    age_events(s.db, ["evt_keep_1"], 3650)
    s.start()
    # two sweeps after the start: the first one's retention pass is over
    first = wait_until(lambda: sweeps(s) or None, 10, what="a sweep")
    wait_until(lambda: sweeps(s) > first, 10, what="a second sweep")
    assert event_ids(s) == {"evt_keep_1"}


def test_a_short_retention_removes_what_is_older_and_only_that(make_server):
    s = make_server(sweep_interval=1, extra_args=["--events-retention-days", "2"])
    for eid in ("evt_short_3d", "evt_short_1d"):
        assert s.post("/ops/events", {"id": eid, "type": "agent.note"}).status == 201
    s.stop()
    age_events(s.db, ["evt_short_3d"], 3)
    age_events(s.db, ["evt_short_1d"], 1)
    s.start()
    wait_until(lambda: event_ids(s) == {"evt_short_1d"}, 10, what="the 3-day-old event to go")
