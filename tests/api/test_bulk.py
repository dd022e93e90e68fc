"""POST /ops/tasks/bulk: one PATCH body for up to 500 tasks. The request is
checked as a whole first (422 and nothing changes); then each task changes,
or is refused, exactly as its own PATCH would, in the order given."""
import time

import pytest

from conftest import PAST, SLOW, assert_error


NO_SUCH = "tsk_0000000000000000000000000Z"


@pytest.fixture(scope="module")
def bulk(server):
    server.staff("sta_b_anna", "Anna")
    server.staff("sta_b_ben", "Ben")
    server.staff("sta_b_gone", "Gone", active=False)
    return server


def post_bulk(s, body, status=200):
    r = s.post("/ops/tasks/bulk", body)
    assert r.status == status, r
    return r.json()


def test_every_task_changes_as_its_own_patch_with_history_and_version(bulk):
    s = bulk
    ts = [s.task(title=f"hand over {i}") for i in range(5)]
    ids = [t["id"] for t in ts]
    ans = post_bulk(s, {"ids": ids, "set": {"assignee_id": "sta_b_anna", "priority": "HIGH"}})
    assert [x["id"] for x in ans["results"]] == ids
    for t, x in zip(ts, ans["results"]):
        assert set(x) == {"id", "status", "task"} and x["status"] == 200
        assert (x["task"]["assignee_id"], x["task"]["priority"], x["task"]["version"]) == ("sta_b_anna", "HIGH", 2)
        assert s.get_task(t["id"]) == x["task"]
        h = s.history(t["id"])
        assert [(l["type"], l["field"]) for l in h] == [("created", None), ("field_changed", "priority"),
                                                       ("field_changed", "assignee_id")]


def test_refused_tasks_change_nothing_of_themselves_and_do_not_stop_the_others(bulk):
    s = bulk
    a = s.task(title="a")
    done = s.set_status(s.task(title="done")["id"], "COMPLETED")
    pinned = s.task(title="pinned")
    stale = s.task(title="stale")
    s.patch(f"/ops/tasks/{stale['id']}", {"title": "stale, now v2"})
    b = s.task(title="b")
    ids = [a["id"], done["id"], NO_SUCH, pinned["id"], stale["id"], b["id"]]
    ans = post_bulk(s, {"ids": ids, "set": {"priority": "URGENT"},
                        "versions": {pinned["id"]: 1, stale["id"]: 1}})
    res = ans["results"]
    assert [x["id"] for x in res] == ids, "in the order given"
    assert [x["status"] for x in res] == [200, 409, 404, 200, 412, 200]
    assert res[1]["error"]["code"] == "invalid_transition" and set(res[1]) == {"id", "status", "error"}
    assert res[2]["error"]["code"] == "not_found"
    assert res[4]["error"]["code"] == "version_conflict"
    for x in (res[1], res[2], res[4]):
        assert isinstance(x["error"]["message"], str) and x["error"]["message"]
    assert s.get_task(done["id"]) == done
    assert s.get_task(stale["id"])["priority"] == "MEDIUM" and s.get_task(stale["id"])["version"] == 2
    assert len(s.history(stale["id"])) == 2
    for t in (a, pinned, b):
        assert s.get_task(t["id"])["priority"] == "URGENT"


def test_status_in_a_bulk_change_follows_the_lifecycle_per_task(bulk):
    s = bulk
    open_ = s.task()
    late = s.task(due_date=PAST)
    done = s.set_status(s.task()["id"], "COMPLETED")
    gone = s.set_status(s.task()["id"], "CANCELLED")
    ids = [open_["id"], late["id"], done["id"], gone["id"]]
    res = post_bulk(s, {"ids": ids, "set": {"status": "IN_PROGRESS"}})["results"]
    assert [x["status"] for x in res] == [200] * 4
    assert [(x["task"]["status"], x["task"]["work_status"]) for x in res] == [
        ("IN_PROGRESS", "IN_PROGRESS"), ("OVERDUE", "IN_PROGRESS"), ("IN_PROGRESS", "IN_PROGRESS"),
        ("IN_PROGRESS", "IN_PROGRESS")]
    res = post_bulk(s, {"ids": ids, "set": {"status": "COMPLETED"}})["results"]
    assert all(x["task"]["status"] == "COMPLETED" for x in res)
    res = post_bulk(s, {"ids": ids, "set": {"title": "too late"}})["results"]
    assert [x["status"] for x in res] == [409] * 4


def test_an_unknown_assignee_is_refused_per_task_as_its_patch_would(bulk):
    s = bulk
    t = s.task()
    res = post_bulk(s, {"ids": [t["id"]], "set": {"assignee_id": "sta_b_gone"}})["results"]
    assert res[0]["status"] == 422 and res[0]["error"]["code"] == "unknown_staff"
    assert res[0]["error"]["field"] == "assignee_id"
    assert s.get_task(t["id"]) == t


def test_an_empty_set_answers_every_task_unchanged(bulk):
    s = bulk
    t = s.task()
    res = post_bulk(s, {"ids": [t["id"], NO_SUCH], "set": {}})["results"]
    assert res[0] == {"id": t["id"], "status": 200, "task": t}
    assert res[1]["status"] == 404


def test_a_right_version_pin_applies(bulk):
    s = bulk
    t = s.task()
    res = post_bulk(s, {"ids": [t["id"]], "set": {"priority": "LOW"}, "versions": {t["id"]: 1}})["results"]
    assert res[0]["status"] == 200 and res[0]["task"]["version"] == 2


@pytest.mark.parametrize("body,field", [
    ({"set": {"priority": "HIGH"}}, "ids"),
    ({"ids": [], "set": {"priority": "HIGH"}}, "ids"),
    ({"ids": "tsk_x", "set": {"priority": "HIGH"}}, "ids"),
    ({"ids": ["nope"], "set": {"priority": "HIGH"}}, "ids"),
    ({"ids": [5], "set": {"priority": "HIGH"}}, "ids"),
    ({"ids": "DUP", "set": {"priority": "HIGH"}}, "ids"),
    ({"ids": "T"}, "set"),
    ({"ids": "T", "set": ["priority"]}, "set"),
    ({"ids": "T", "set": {"colour": "red"}}, "set.colour"),
    ({"ids": "T", "set": {"priority": "SOON"}}, "set.priority"),
    ({"ids": "T", "set": {"status": "OVERDUE"}}, "set.status"),
    ({"ids": "T", "set": {"status": "DONE"}}, "set.status"),
    ({"ids": "T", "set": {"title": ""}}, "set.title"),
    ({"ids": "T", "set": {"due_date": "9999-12-31"}}, "set.due_date"),
    ({"ids": "T", "set": {"sla_hours": -1}}, "set.sla_hours"),
    ({"ids": "T", "set": {"assignee_id": "anna"}}, "set.assignee_id"),
    ({"ids": "T", "set": {"priority": "HIGH"}, "versions": {NO_SUCH: 1}}, "versions"),
    ({"ids": "T", "set": {"priority": "HIGH"}, "versions": {"T": 0}}, "versions"),
    ({"ids": "T", "set": {"priority": "HIGH"}, "versions": {"T": "1"}}, "versions"),
    ({"ids": "T", "set": {"priority": "HIGH"}, "versions": [1]}, "versions"),
    ({"ids": "T", "set": {"priority": "HIGH"}, "if_match": 1}, "if_match"),
])
def test_a_bad_request_is_refused_whole_and_changes_nothing(bulk, body, field):
    s = bulk
    t = s.task()
    body = dict(body)
    if body.get("ids") == "T":
        body["ids"] = [t["id"]]
    elif body.get("ids") == "DUP":
        body["ids"] = [t["id"], t["id"]]
    if isinstance(body.get("versions"), dict) and "T" in body["versions"]:
        body["versions"] = {t["id"]: body["versions"]["T"]}
    code = "unknown_staff" if field == "set.assignee_id" else "validation_failed"
    assert_error(s.post("/ops/tasks/bulk", body), 422, code, field)
    assert s.get_task(t["id"]) == t


def test_501_ids_are_refused(bulk):
    ids = [f"tsk_{i:026d}" for i in range(501)]
    assert_error(bulk.post("/ops/tasks/bulk", {"ids": ids, "set": {"priority": "HIGH"}}), 422, "validation_failed",
                 "ids")


def test_500_tasks_change_in_one_request(bulk):
    s = bulk
    ids = [s.task(title=f"many {i}")["id"] for i in range(500)]
    started = time.monotonic()
    res = post_bulk(s, {"ids": ids, "set": {"assignee_id": "sta_b_ben", "priority": "LOW"}})["results"]
    took = time.monotonic() - started
    assert [x["id"] for x in res] == ids
    assert all(x["status"] == 200 and x["task"]["assignee_id"] == "sta_b_ben" for x in res)
    assert took < 5 * SLOW, f"500 tasks took {took:.2f} s"
    page = s.get("/ops/tasks?assignee_id=sta_b_ben&limit=500").json()["data"]
    assert {t["id"] for t in page} >= set(ids)
    assert all(t["version"] == 2 for t in page if t["id"] in set(ids))


def test_bulk_needs_a_token_and_json(bulk):
    s = bulk
    assert_error(s.post("/ops/tasks/bulk", {"ids": [NO_SUCH], "set": {}}, token=None), 401, "unauthorized")
    assert_error(s.post("/ops/tasks/bulk", raw="{", content_type="application/json"), 400, "bad_json")
    assert_error(s.request("GET", "/ops/tasks/bulk"), 405, "method_not_allowed")
