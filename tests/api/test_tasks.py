"""Black-box tests of one task's life over HTTP: create, validate, read,
patch through the lifecycle, history, idempotency and If-Match."""
import datetime
import json
import re

import pytest

TASK_FIELDS = ["id", "title", "description", "priority", "status", "due_date", "sla_hours",
               "assignee_id", "user_id", "source", "created_at", "updated_at", "started_at",
               "completed_at", "cancelled_at", "sla_due_at", "sla_breached", "version"]
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
FUTURE = "2099-06-05"
PAST = "2020-01-01"


def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def people(server):
    server.staff("sta_tasks_anna", "Anna")
    server.staff("sta_tasks_gone", "Gone", active=False)
    server.customer("cus_tasks_1", "Customer One", owner="sta_tasks_anna")
    return server


def error_of(r, status, code, field=None):
    assert r.status == status, r
    e = r.json()["error"]
    assert e["code"] == code, r
    assert e["message"]
    if field is not None:
        assert e.get("field") == field, r
    return e


def test_created_task_has_every_field_location_and_etag(people):
    s = people
    r = s.post("/ops/tasks", {"title": "  Chase outstanding bank statement ", "priority": "HIGH",
                              "due_date": FUTURE, "sla_hours": 24, "assignee_id": "sta_tasks_anna",
                              "user_id": "cus_tasks_1", "description": "Ask twice"})
    assert r.status == 201, r
    t = r.json()
    assert list(t.keys()) == TASK_FIELDS
    assert re.match(r"^tsk_[0-9A-Z]{26}$", t["id"])
    assert t["title"] == "Chase outstanding bank statement"
    assert (t["priority"], t["status"], t["source"], t["version"]) == ("HIGH", "OPEN", "MANUAL", 1)
    assert t["sla_hours"] == 24 and t["sla_breached"] is False
    assert TS.match(t["created_at"]) and t["created_at"] == t["updated_at"]
    assert ts(t["sla_due_at"]) - ts(t["created_at"]) == datetime.timedelta(hours=24)
    assert t["started_at"] is None and t["completed_at"] is None and t["cancelled_at"] is None
    assert r.header("Location") == f"/ops/tasks/{t['id']}"
    assert r.header("ETag") == '"1"'
    g = s.get(f"/ops/tasks/{t['id']}")
    assert g.status == 200 and g.json() == t and g.header("ETag") == '"1"'


def test_defaults_are_medium_priority_and_no_sla(server):
    t = server.task(title="Defaults")
    assert t["priority"] == "MEDIUM"
    assert t["sla_hours"] is None and t["sla_due_at"] is None and t["sla_breached"] is None
    assert t["description"] is None and t["assignee_id"] is None and t["user_id"] is None


@pytest.mark.parametrize("body,field", [
    ({"due_date": FUTURE}, "title"),
    ({"title": "", "due_date": FUTURE}, "title"),
    ({"title": "   \t ", "due_date": FUTURE}, "title"),
    ({"title": "x" * 201, "due_date": FUTURE}, "title"),
    ({"title": 5, "due_date": FUTURE}, "title"),
    ({"title": None, "due_date": FUTURE}, "title"),
    ({"title": "t"}, "due_date"),
    ({"title": "t", "due_date": "2026-02-30"}, "due_date"),
    ({"title": "t", "due_date": "2025-02-29"}, "due_date"),
    ({"title": "t", "due_date": "2026-1-01"}, "due_date"),
    ({"title": "t", "due_date": "tomorrow"}, "due_date"),
    ({"title": "t", "due_date": FUTURE, "priority": "CRITICAL"}, "priority"),
    ({"title": "t", "due_date": FUTURE, "priority": "high"}, "priority"),
    ({"title": "t", "due_date": FUTURE, "sla_hours": 0}, "sla_hours"),
    ({"title": "t", "due_date": FUTURE, "sla_hours": -1}, "sla_hours"),
    ({"title": "t", "due_date": FUTURE, "sla_hours": 8761}, "sla_hours"),
    ({"title": "t", "due_date": FUTURE, "sla_hours": "24"}, "sla_hours"),
    ({"title": "t", "due_date": FUTURE, "description": "d" * 10001}, "description"),
    ({"title": "t", "due_date": FUTURE, "description": 7}, "description"),
    ({"title": "t", "due_date": FUTURE, "assignee": "sta_x"}, "assignee"),
    ({"title": "t", "due_date": FUTURE, "status": "OPEN"}, "status"),
])
def test_invalid_create_answers_422_naming_the_field_and_creates_nothing(server, body, field):
    before = server.get("/ops/tasks/stats").json()["counts"]
    r = server.post("/ops/tasks", body)
    error_of(r, 422, "validation_failed", field)
    assert server.get("/ops/tasks/stats").json()["counts"] == before


def test_limits_are_counted_in_characters_not_bytes(server):
    t = server.task(title="é" * 200, description="ж" * 10000)
    assert len(t["title"]) == 200 and len(t["description"]) == 10000
    assert server.task(due_date="2024-02-29")["due_date"] == "2024-02-29"
    assert server.task(sla_hours=8760)["sla_hours"] == 8760
    assert server.task(sla_hours=0.5)["sla_hours"] == 0.5


def test_unknown_or_inactive_staff_and_unknown_customer_are_refused(people):
    s = people
    error_of(s.post("/ops/tasks", {"title": "t", "due_date": FUTURE, "assignee_id": "sta_nobody"}),
             422, "unknown_staff", "assignee_id")
    error_of(s.post("/ops/tasks", {"title": "t", "due_date": FUTURE, "assignee_id": "sta_tasks_gone"}),
             422, "unknown_staff", "assignee_id")
    error_of(s.post("/ops/tasks", {"title": "t", "due_date": FUTURE, "assignee_id": "bogus"}),
             422, "unknown_staff", "assignee_id")
    error_of(s.post("/ops/tasks", {"title": "t", "due_date": FUTURE, "user_id": "cus_nobody"}),
             422, "unknown_customer", "user_id")


def test_bad_bodies_get_clear_errors(server):
    error_of(server.post("/ops/tasks", raw="{\"title\": \"t\", "), 400, "bad_json")
    error_of(server.post("/ops/tasks", raw=b'{"title": "\xff\xfe", "due_date": "2099-01-01"}'), 400, "bad_json")
    error_of(server.post("/ops/tasks", raw='{"title": "a\\u0000b", "due_date": "2099-01-01"}'), 400, "bad_json")
    error_of(server.post("/ops/tasks", raw='{"title": "a", "title": "b", "due_date": "2099-01-01"}'), 400, "bad_json")
    error_of(server.post("/ops/tasks", raw="[1, 2]"), 422, "validation_failed")
    error_of(server.post("/ops/tasks", raw="", content_type="application/json"), 400, "bad_json")
    error_of(server.post("/ops/tasks", raw='{"title":"t","due_date":"2099-01-01"}', content_type="text/plain"),
             415, "unsupported_media_type")
    error_of(server.post("/ops/tasks", raw='{"title":"t","due_date":"2099-01-01"}', content_type=None),
             415, "unsupported_media_type")
    ok = server.post("/ops/tasks", raw='{"title":"t","due_date":"2099-01-01"}',
                     content_type="application/json; charset=utf-8")
    assert ok.status == 201, ok


def test_unknown_task_is_404_and_wrong_method_is_405_with_allow(server):
    error_of(server.get("/ops/tasks/tsk_01J00000000000000000000000"), 404, "not_found")
    error_of(server.get("/ops/tasks/nope"), 404, "not_found")
    error_of(server.patch("/ops/tasks/tsk_01J00000000000000000000000", {"title": "x"}), 404, "not_found")
    error_of(server.get("/ops/tasks/tsk_01J00000000000000000000000/history"), 404, "not_found")
    error_of(server.get("/ops/nothing-here"), 404, "not_found")
    r = server.request("DELETE", "/ops/tasks")
    error_of(r, 405, "method_not_allowed")
    assert "GET" in r.header("Allow") and "POST" in r.header("Allow")
    r = server.request("DELETE", f"/ops/tasks/{server.task()['id']}")
    error_of(r, 405, "method_not_allowed")
    assert "PATCH" in r.header("Allow")


def test_task_walks_open_in_progress_completed_with_stamps(server):
    t = server.task(title="Lifecycle")
    p = server.patch(f"/ops/tasks/{t['id']}", {"status": "IN_PROGRESS"})
    assert p.status == 200, p
    assert p.json()["status"] == "IN_PROGRESS" and p.json()["started_at"] and p.json()["version"] == 2
    assert p.header("ETag") == '"2"'
    back = server.patch(f"/ops/tasks/{t['id']}", {"status": "OPEN"}).json()
    assert back["status"] == "OPEN" and back["started_at"] is None
    server.patch(f"/ops/tasks/{t['id']}", {"status": "IN_PROGRESS"})
    done = server.patch(f"/ops/tasks/{t['id']}", {"status": "COMPLETED"}).json()
    assert done["status"] == "COMPLETED" and done["completed_at"] and done["version"] == 5


@pytest.mark.parametrize("path,refused", [
    (["COMPLETED"], ["OPEN", "IN_PROGRESS", "CANCELLED"]),
    (["CANCELLED"], ["OPEN", "IN_PROGRESS", "COMPLETED"]),
    (["IN_PROGRESS", "CANCELLED"], ["OPEN", "COMPLETED"]),
])
def test_final_states_refuse_any_change_with_409(server, path, refused):
    t = server.task()
    for st in path:
        assert server.patch(f"/ops/tasks/{t['id']}", {"status": st}).status == 200
    final = server.get(f"/ops/tasks/{t['id']}").json()
    assert final["status"] == path[-1]
    if path[-1] == "CANCELLED":
        assert final["cancelled_at"]
    for st in refused:
        error_of(server.patch(f"/ops/tasks/{t['id']}", {"status": st}), 409, "invalid_transition")
    error_of(server.patch(f"/ops/tasks/{t['id']}", {"title": "Renamed"}), 409, "invalid_transition")
    # a retry of the final change changes nothing and is fine
    again = server.patch(f"/ops/tasks/{t['id']}", {"status": path[-1]})
    assert again.status == 200 and again.json() == final


def test_client_cannot_set_overdue(server):
    t = server.task()
    error_of(server.patch(f"/ops/tasks/{t['id']}", {"status": "OVERDUE"}), 422, "validation_failed", "status")
    error_of(server.patch(f"/ops/tasks/{t['id']}", {"status": "DONE"}), 422, "validation_failed", "status")


def test_past_due_date_reads_overdue_at_once_and_completes_or_cancels(server):
    t = server.task(due_date=PAST)
    assert t["status"] == "OVERDUE"
    assert server.get(f"/ops/tasks/{t['id']}").json()["status"] == "OVERDUE"
    error_of(server.patch(f"/ops/tasks/{t['id']}", {"status": "IN_PROGRESS"}), 409, "invalid_transition")
    assert server.patch(f"/ops/tasks/{t['id']}", {"status": "COMPLETED"}).json()["status"] == "COMPLETED"
    t2 = server.task(due_date=PAST)
    assert server.patch(f"/ops/tasks/{t2['id']}", {"status": "CANCELLED"}).json()["status"] == "CANCELLED"


def test_overdue_task_returns_to_its_earlier_status_when_due_date_moves(server):
    t = server.task()
    server.patch(f"/ops/tasks/{t['id']}", {"status": "IN_PROGRESS"})
    late = server.patch(f"/ops/tasks/{t['id']}", {"due_date": PAST}).json()
    assert late["status"] == "OVERDUE"
    back = server.patch(f"/ops/tasks/{t['id']}", {"due_date": FUTURE}).json()
    assert back["status"] == "IN_PROGRESS"
    o = server.task(due_date=PAST)
    assert server.patch(f"/ops/tasks/{o['id']}", {"due_date": FUTURE}).json()["status"] == "OPEN"


def test_patch_changes_fields_and_null_clears_optional_ones(people):
    s = people
    t = s.task(description="x", sla_hours=2, assignee_id="sta_tasks_anna", user_id="cus_tasks_1")
    p = s.patch(f"/ops/tasks/{t['id']}", {"title": "New title", "priority": "URGENT", "description": None,
                                         "sla_hours": None, "assignee_id": None, "user_id": None,
                                         "due_date": "2099-12-31"})
    assert p.status == 200, p
    n = p.json()
    assert (n["title"], n["priority"], n["due_date"]) == ("New title", "URGENT", "2099-12-31")
    assert n["description"] is None and n["sla_hours"] is None and n["sla_due_at"] is None
    assert n["assignee_id"] is None and n["user_id"] is None
    error_of(s.patch(f"/ops/tasks/{t['id']}", {"assignee_id": "sta_tasks_gone"}), 422, "unknown_staff")
    error_of(s.patch(f"/ops/tasks/{t['id']}", {"user_id": "cus_nobody"}), 422, "unknown_customer")
    error_of(s.patch(f"/ops/tasks/{t['id']}", {"title": ""}), 422, "validation_failed", "title")
    error_of(s.patch(f"/ops/tasks/{t['id']}", {"colour": "red"}), 422, "validation_failed", "colour")
    assert s.get(f"/ops/tasks/{t['id']}").json() == n


def test_patch_that_changes_nothing_keeps_the_version(server):
    t = server.task(title="Same", priority="LOW")
    p = server.patch(f"/ops/tasks/{t['id']}", {"title": "Same", "priority": "LOW", "status": "OPEN"})
    assert p.status == 200 and p.json() == t
    assert len(server.history(t["id"])) == 1


def test_if_match_guards_against_lost_updates(server):
    t = server.task()
    ok = server.patch(f"/ops/tasks/{t['id']}", {"title": "v2"}, headers={"If-Match": '"1"'})
    assert ok.status == 200 and ok.json()["version"] == 2
    error_of(server.patch(f"/ops/tasks/{t['id']}", {"title": "v3"}, headers={"If-Match": '"1"'}),
             412, "version_conflict")
    error_of(server.patch(f"/ops/tasks/{t['id']}", {"title": "v3"}, headers={"If-Match": "garbage"}),
             412, "version_conflict")
    assert server.get(f"/ops/tasks/{t['id']}").json()["title"] == "v2"
    assert server.patch(f"/ops/tasks/{t['id']}", {"title": "v3"}, headers={"If-Match": "*"}).status == 200
    assert server.patch(f"/ops/tasks/{t['id']}", {"title": "v4"}, headers={"If-Match": 'W/"3"'}).status == 200


def test_history_lists_creation_fields_and_status_changes_oldest_first(server):
    tok = server.token("agent", name="hist")
    t = server.post("/ops/tasks", {"title": "Hist", "due_date": FUTURE}, token=tok).json()
    server.patch(f"/ops/tasks/{t['id']}", {"title": "Hist 2", "sla_hours": 1.5}, token=tok)
    server.patch(f"/ops/tasks/{t['id']}", {"status": "IN_PROGRESS"}, token=tok)
    h = server.history(t["id"])
    assert [(e["type"], e["field"]) for e in h] == [
        ("created", None), ("field_changed", "title"), ("field_changed", "sla_hours"),
        ("status_changed", "status")]
    assert h[1]["from"] == "Hist" and h[1]["to"] == "Hist 2"
    assert h[2]["from"] is None and h[2]["to"] == 1.5
    assert h[3]["from"] == "OPEN" and h[3]["to"] == "IN_PROGRESS"
    assert all(e["actor"].startswith("token:tok_") for e in h)
    assert all(TS.match(e["at"]) for e in h)
    assert [e["at"] for e in h] == sorted(e["at"] for e in h)


def test_history_names_the_staff_member_and_system_for_overdue(people):
    s = people
    tok = s.token("agent", staff="sta_tasks_anna")
    t = s.post("/ops/tasks", {"title": "Late", "due_date": PAST}, token=tok).json()
    s.patch(f"/ops/tasks/{t['id']}", {"due_date": FUTURE}, token=tok)
    h = s.history(t["id"])
    assert [(e["actor"], e["type"], e["from"], e["to"]) for e in h] == [
        ("sta_tasks_anna", "created", None, None),
        ("system", "status_changed", "OPEN", "OVERDUE"),
        ("sta_tasks_anna", "field_changed", PAST, FUTURE),
        ("sta_tasks_anna", "status_changed", "OVERDUE", "OPEN"),
    ]


def test_idempotency_key_replays_the_first_answer_and_creates_nothing(server):
    body = {"title": "Once only", "due_date": FUTURE}
    first = server.post("/ops/tasks", body, headers={"Idempotency-Key": "create-once-1"})
    assert first.status == 201
    before = server.get("/ops/tasks/stats").json()["counts"]["OPEN"]
    again = server.post("/ops/tasks", body, headers={"Idempotency-Key": "create-once-1"})
    assert again.status == 201 and again.json() == first.json()
    assert again.header("Location") == first.header("Location")
    assert server.get("/ops/tasks/stats").json()["counts"]["OPEN"] == before
    error_of(server.post("/ops/tasks", {"title": "Other", "due_date": FUTURE},
                         headers={"Idempotency-Key": "create-once-1"}), 422, "idempotency_conflict")
    other_token = server.token("agent")
    third = server.post("/ops/tasks", body, token=other_token, headers={"Idempotency-Key": "create-once-1"})
    assert third.status == 201 and third.json()["id"] != first.json()["id"]
    error_of(server.post("/ops/tasks", body, headers={"Idempotency-Key": "x" * 256}), 422, "validation_failed")


def test_a_failed_request_with_a_key_can_be_retried_fixed(server):
    bad = server.post("/ops/tasks", {"title": "", "due_date": FUTURE}, headers={"Idempotency-Key": "fix-me"})
    assert bad.status == 422
    good = server.post("/ops/tasks", {"title": "Fixed", "due_date": FUTURE}, headers={"Idempotency-Key": "fix-me"})
    assert good.status == 201


def test_xss_title_is_stored_and_returned_as_plain_text(server):
    title = '<img src=x onerror=alert(1)> "quoted" \\ back'
    t = server.task(title=title)
    r = server.get(f"/ops/tasks/{t['id']}")
    assert r.json()["title"] == title
    assert r.header("Content-Type") == "application/json"
    assert json.loads(r.body)["title"] == title
