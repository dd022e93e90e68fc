"""One task over HTTP: create and its validation, read, idempotency,
PATCH with If-Match, the lifecycle with its time stamps, and history."""
import datetime
import json
import re
import threading

import pytest

from conftest import FUTURE, PAST, TASK_FIELDS, assert_error, db_query, parse_ts, sqlite_back_to_migration_10, sqlite_only, wait_until

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def people(server):
    server.staff("sta_t_anna", "Anna")
    server.staff("sta_t_ben", "Ben")
    server.staff("sta_t_gone", "Gone", active=False)
    server.customer("cus_t_1", "Customer One", owner="sta_t_anna")
    server.customer("cus_t_2", "Customer Two")
    return server


def counts(server):
    return server.stats()["counts"]


# ---- create ---------------------------------------------------------------------

def test_created_task_has_every_field_a_location_and_etag_1(people):
    s = people
    r = s.post("/ops/tasks", {"title": "  Chase outstanding bank statement ", "priority": "HIGH",
                              "due_date": FUTURE, "sla_hours": 24, "assignee_id": "sta_t_anna",
                              "user_id": "cus_t_1", "description": "Ask twice"})
    assert r.status == 201, r
    t = r.json()
    assert list(t) == TASK_FIELDS
    assert re.match(r"^tsk_[0-9A-Z]{26}$", t["id"])
    assert t["title"] == "Chase outstanding bank statement"
    assert t["description"] == "Ask twice"
    assert (t["priority"], t["status"], t["due_date"], t["source"], t["version"]) == (
        "HIGH", "OPEN", FUTURE, "MANUAL", 1)
    assert (t["assignee_id"], t["user_id"]) == ("sta_t_anna", "cus_t_1")
    assert t["sla_hours"] == 24 and isinstance(t["sla_hours"], int)
    assert t["sla_breached"] is False
    for k in ("created_at", "updated_at", "sla_due_at"):
        assert TS.match(t[k]), (k, t[k])
    assert t["created_at"] == t["updated_at"]
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs(parse_ts(t["created_at"]) - now) < datetime.timedelta(minutes=5)
    assert parse_ts(t["sla_due_at"]) - parse_ts(t["created_at"]) == datetime.timedelta(hours=24)
    assert t["started_at"] is None and t["completed_at"] is None and t["cancelled_at"] is None
    assert r.header("Location") == f"/ops/tasks/{t['id']}"
    assert r.header("ETag") == '"1"'
    g = s.get(r.header("Location"))
    assert g.status == 200 and g.json() == t and g.header("ETag") == '"1"'


def test_defaults_are_medium_priority_and_no_sla_assignee_customer_or_description(server):
    t = server.task(title="Defaults")
    assert t["priority"] == "MEDIUM" and t["status"] == "OPEN"
    for k in ("description", "sla_hours", "sla_due_at", "sla_breached", "assignee_id", "user_id"):
        assert t[k] is None, k


@pytest.mark.parametrize("p", ["LOW", "MEDIUM", "HIGH", "URGENT"])
def test_every_priority_is_accepted(server, p):
    assert server.task(priority=p)["priority"] == p


@pytest.mark.parametrize("body,field", [
    ({"due_date": FUTURE}, "title"),
    ({"title": "", "due_date": FUTURE}, "title"),
    ({"title": "   \t\n ", "due_date": FUTURE}, "title"),
    ({"title": "x" * 201, "due_date": FUTURE}, "title"),
    ({"title": "é" * 201, "due_date": FUTURE}, "title"),
    ({"title": 5, "due_date": FUTURE}, "title"),
    ({"title": None, "due_date": FUTURE}, "title"),
    ({"title": ["t"], "due_date": FUTURE}, "title"),
    ({"title": "line\x01break", "due_date": FUTURE}, "title"),
    ({"title": "t"}, "due_date"),
    ({"title": "t", "due_date": None}, "due_date"),
    ({"title": "t", "due_date": "2026-02-30"}, "due_date"),
    ({"title": "t", "due_date": "2025-02-29"}, "due_date"),
    ({"title": "t", "due_date": "2100-02-29"}, "due_date"),
    ({"title": "t", "due_date": "2026-04-31"}, "due_date"),
    ({"title": "t", "due_date": "2026-13-01"}, "due_date"),
    ({"title": "t", "due_date": "2026-00-10"}, "due_date"),
    ({"title": "t", "due_date": "2026-01-00"}, "due_date"),
    ({"title": "t", "due_date": "2026-1-01"}, "due_date"),
    ({"title": "t", "due_date": "2026/01/01"}, "due_date"),
    ({"title": "t", "due_date": "2026-01-01T00:00:00Z"}, "due_date"),
    ({"title": "t", "due_date": "tomorrow"}, "due_date"),
    ({"title": "t", "due_date": 20260101}, "due_date"),
    ({"title": "t", "due_date": FUTURE, "priority": "CRITICAL"}, "priority"),
    ({"title": "t", "due_date": FUTURE, "priority": "high"}, "priority"),
    ({"title": "t", "due_date": FUTURE, "priority": None}, "priority"),
    ({"title": "t", "due_date": FUTURE, "priority": 1}, "priority"),
    ({"title": "t", "due_date": FUTURE, "sla_hours": 0}, "sla_hours"),
    ({"title": "t", "due_date": FUTURE, "sla_hours": -1}, "sla_hours"),
    ({"title": "t", "due_date": FUTURE, "sla_hours": 8761}, "sla_hours"),
    ({"title": "t", "due_date": FUTURE, "sla_hours": 8760.5}, "sla_hours"),
    ({"title": "t", "due_date": FUTURE, "sla_hours": "24"}, "sla_hours"),
    ({"title": "t", "due_date": FUTURE, "sla_hours": True}, "sla_hours"),
    ({"title": "t", "due_date": FUTURE, "description": "d" * 10001}, "description"),
    ({"title": "t", "due_date": FUTURE, "description": 7}, "description"),
    ({"title": "t", "due_date": FUTURE, "assignee": "sta_t_anna"}, "assignee"),
    ({"title": "t", "due_date": FUTURE, "Title": "x"}, "Title"),
    ({"title": "t", "due_date": FUTURE, "id": "tsk_x"}, "id"),
    ({"title": "t", "due_date": FUTURE, "version": 3}, "version"),
    ({"title": "t", "due_date": FUTURE, "status": "OPEN"}, "status"),
    ({"title": "t", "due_date": FUTURE, "status": "COMPLETED"}, "status"),
])
def test_invalid_create_answers_422_naming_the_field_and_creates_nothing(people, body, field):
    before = counts(people)
    assert_error(people.post("/ops/tasks", body), 422, "validation_failed", field)
    assert counts(people) == before


def test_title_limit_counts_characters_not_bytes(server):
    assert server.task(title="é" * 200)["title"] == "é" * 200
    assert server.task(title="日本" * 100)["title"] == "日本" * 100
    assert server.task(title="x" * 200)["title"] == "x" * 200
    assert server.task(title="  " + "y" * 200 + "  ")["title"] == "y" * 200


def test_description_up_to_10000_characters_is_kept_exactly(server):
    d = "ж" * 9990 + "\nline\ttab"
    assert server.task(description=d)["description"] == d


@pytest.mark.parametrize("date", ["2024-02-29", "2000-02-29", "2026-12-31", "2026-01-01", "2039-04-30"])
def test_real_calendar_dates_are_accepted(server, date):
    assert server.task(due_date=date)["due_date"] == date


@pytest.mark.parametrize("sla,shown", [(0.5, 0.5), (1.25, 1.25), (8760, 8760), (24.0, 24), (0.001, 0.001)])
def test_sla_hours_accepts_fractions_and_whole_hours_render_as_integers(server, sla, shown):
    t = server.task(sla_hours=sla)
    assert t["sla_hours"] == shown and type(t["sla_hours"]) is type(shown)
    delta = parse_ts(t["sla_due_at"]) - parse_ts(t["created_at"])
    assert abs(delta.total_seconds() - sla * 3600) < 0.002


def test_sla_hours_null_means_no_sla(server):
    t = server.task(sla_hours=None)
    assert t["sla_hours"] is None and t["sla_due_at"] is None and t["sla_breached"] is None


def test_an_sla_already_past_reads_breached(server):
    t = server.task(sla_hours=0.000001)  # due 4 ms after creation
    assert wait_until(lambda: server.get_task(t["id"])["sla_breached"] is True, 5, 0.01, "sla_breached")


def test_assignee_must_be_an_existing_active_staff_member(people):
    s = people
    before = counts(s)
    for sid in ("sta_t_nobody", "sta_t_gone", "bogus"):
        assert_error(s.post("/ops/tasks", {"title": "t", "due_date": FUTURE, "assignee_id": sid}),
                     422, "unknown_staff", "assignee_id")
    assert counts(s) == before
    assert s.task(assignee_id="sta_t_anna")["assignee_id"] == "sta_t_anna"
    assert s.task(assignee_id=None)["assignee_id"] is None


def test_customer_must_exist(people):
    s = people
    before = counts(s)
    for cid in ("cus_t_nobody", "bogus"):
        assert_error(s.post("/ops/tasks", {"title": "t", "due_date": FUTURE, "user_id": cid}),
                     422, "unknown_customer", "user_id")
    assert counts(s) == before
    assert s.task(user_id="cus_t_2")["user_id"] == "cus_t_2"


def test_markup_in_a_title_comes_back_as_the_same_plain_string(server):
    title = '<img src=x onerror=alert(1)> "quoted" \\ back / \u2028'
    t = server.task(title=title)
    assert server.get_task(t["id"])["title"] == title


# ---- read ---------------------------------------------------------------------------

@pytest.mark.parametrize("tid", ["tsk_01J00000000000000000000000", "nope", "tsk_", "tsk_" + "A" * 27,
                                 "tsk_01j00000000000000000000000", "cus_01J00000000000000000000000"])
def test_unknown_task_answers_404_on_get_patch_and_history(server, tid):
    assert_error(server.get(f"/ops/tasks/{tid}"), 404, "not_found")
    assert_error(server.patch(f"/ops/tasks/{tid}", {"title": "x"}), 404, "not_found")
    assert_error(server.get(f"/ops/tasks/{tid}/history"), 404, "not_found")


# ---- idempotency --------------------------------------------------------------------

def test_idempotent_replay_answers_the_same_status_and_json_and_creates_nothing(server):
    body = {"title": "Once only", "due_date": FUTURE, "sla_hours": 2}
    first = server.post("/ops/tasks", body, headers={"Idempotency-Key": "once-1"})
    assert first.status == 201, first
    before = counts(server)
    for _ in range(3):
        again = server.post("/ops/tasks", body, headers={"Idempotency-Key": "once-1"})
        assert again.status == 201
        assert again.json() == first.json()
        assert again.header("Location") == first.header("Location")
    assert counts(server) == before


def test_idempotent_replay_answers_the_first_location_and_etag(server):
    body = {"title": "Tagged once", "due_date": FUTURE}
    first = server.post("/ops/tasks", body, headers={"Idempotency-Key": "tag-1"})
    assert first.status == 201 and first.header("ETag") == '"1"', first
    server.patch(f"/ops/tasks/{first.json()['id']}", {"title": "Renamed since"})  # version 2 now
    again = server.post("/ops/tasks", body, headers={"Idempotency-Key": "tag-1"})
    assert again.status == 201 and again.json() == first.json()
    assert again.header("Location") == first.header("Location") == f"/ops/tasks/{first.json()['id']}"
    assert again.header("ETag") == first.header("ETag"), "the ETag of the answer replayed, not of the task now"


@sqlite_only("SQLite's migration 9 upgrading a key stored before it; PostgreSQL's schema has had the key's task "
             "from its first migration")
def test_a_key_stored_before_the_upgrade_replays_its_location_and_etag(make_server):
    """A key kept before the idempotency rows recorded their task (migration
    9) takes the task's id and version from its stored answer on upgrade."""
    s = make_server()
    body = {"title": "From before", "due_date": FUTURE}
    first = s.post("/ops/tasks", body, headers={"Idempotency-Key": "old-1"})
    assert first.status == 201
    s.stop()
    db_query(s, "ALTER TABLE idempotency_keys DROP COLUMN task_id")
    db_query(s, "ALTER TABLE idempotency_keys DROP COLUMN task_version")
    # and what came after, so the file is at version 8: 010's leases, 011's accounts
    db_query(s, "DROP TABLE IF EXISTS job_leases")
    sqlite_back_to_migration_10(s)
    db_query(s, "DELETE FROM schema_migrations WHERE version >= 9")
    s.start()
    again = s.post("/ops/tasks", body, headers={"Idempotency-Key": "old-1"})
    assert again.status == 201 and again.json() == first.json()
    assert again.header("Location") == first.header("Location")
    assert again.header("ETag") == first.header("ETag") == '"1"'


def test_idempotency_key_with_a_different_body_answers_422_conflict(server):
    first = server.post("/ops/tasks", {"title": "First", "due_date": FUTURE}, headers={"Idempotency-Key": "conf-1"})
    assert first.status == 201
    before = counts(server)
    assert_error(server.post("/ops/tasks", {"title": "Other", "due_date": FUTURE},
                             headers={"Idempotency-Key": "conf-1"}), 422, "idempotency_conflict")
    assert counts(server) == before
    assert server.get_task(first.json()["id"])["title"] == "First"


def test_idempotency_keys_are_scoped_to_the_token(server):
    body = {"title": "Per token", "due_date": FUTURE}
    a = server.post("/ops/tasks", body, headers={"Idempotency-Key": "shared-key"})
    other = server.token("agent")
    b = server.post("/ops/tasks", body, token=other, headers={"Idempotency-Key": "shared-key"})
    assert a.status == 201 and b.status == 201
    assert a.json()["id"] != b.json()["id"]
    c = server.post("/ops/tasks", {"title": "different body"}, token=server.token("agent"),
                    headers={"Idempotency-Key": "shared-key"})
    assert_error(c, 422, "validation_failed", "due_date")  # not idempotency_conflict: another token


def test_different_keys_create_different_tasks(server):
    body = {"title": "Two keys", "due_date": FUTURE}
    a = server.post("/ops/tasks", body, headers={"Idempotency-Key": "k-a"}).json()
    b = server.post("/ops/tasks", body, headers={"Idempotency-Key": "k-b"}).json()
    assert a["id"] != b["id"]


def test_concurrent_requests_with_one_key_create_one_task(server):
    body = {"title": "Raced", "due_date": FUTURE}
    out = []

    def go():
        out.append(server.post("/ops/tasks", body, headers={"Idempotency-Key": "raced-1"}))

    before = counts(server)["OPEN"]
    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(out) == 8 and all(r.status == 201 for r in out), out
    assert len({r.json()["id"] for r in out}) == 1
    assert counts(server)["OPEN"] == before + 1


def test_a_failed_request_does_not_use_up_its_key(people):
    bad = people.post("/ops/tasks", {"title": "", "due_date": FUTURE}, headers={"Idempotency-Key": "fix-me"})
    assert bad.status == 422
    bad2 = people.post("/ops/tasks", {"title": "t", "due_date": FUTURE, "assignee_id": "sta_t_nobody"},
                       headers={"Idempotency-Key": "fix-me"})
    assert bad2.status == 422
    good = people.post("/ops/tasks", {"title": "Fixed", "due_date": FUTURE}, headers={"Idempotency-Key": "fix-me"})
    assert good.status == 201


@pytest.mark.parametrize("key", ["x" * 256, "has space", "tab\tkey"])
def test_malformed_idempotency_keys_answer_422(server, key):
    r = server.post("/ops/tasks", {"title": "t", "due_date": FUTURE}, headers={"Idempotency-Key": key})
    assert_error(r, 422, "validation_failed")


# ---- PATCH and If-Match -----------------------------------------------------------------

def test_patch_changes_every_field_and_null_clears_the_optional_ones(people):
    s = people
    t = s.task(description="x", sla_hours=2, assignee_id="sta_t_anna", user_id="cus_t_1")
    r = s.patch(f"/ops/tasks/{t['id']}", {"title": " New title ", "priority": "URGENT", "description": None,
                                         "sla_hours": None, "assignee_id": None, "user_id": None,
                                         "due_date": "2039-12-31"})
    assert r.status == 200, r
    n = r.json()
    assert (n["title"], n["priority"], n["due_date"], n["version"]) == ("New title", "URGENT", "2039-12-31", 2)
    for k in ("description", "sla_hours", "sla_due_at", "sla_breached", "assignee_id", "user_id"):
        assert n[k] is None, k
    assert r.header("ETag") == '"2"'
    assert parse_ts(n["updated_at"]) >= parse_ts(t["updated_at"])
    assert n["created_at"] == t["created_at"]
    assert s.get_task(t["id"]) == n
    r = s.patch(f"/ops/tasks/{t['id']}", {"assignee_id": "sta_t_ben", "user_id": "cus_t_2", "sla_hours": 1.5,
                                         "description": "again"})
    assert r.status == 200
    n = r.json()
    assert (n["assignee_id"], n["user_id"], n["sla_hours"], n["description"]) == ("sta_t_ben", "cus_t_2", 1.5, "again")


@pytest.mark.parametrize("body,status,code,field", [
    ({"title": ""}, 422, "validation_failed", "title"),
    ({"title": None}, 422, "validation_failed", "title"),
    ({"due_date": "2026-02-30"}, 422, "validation_failed", "due_date"),
    ({"due_date": None}, 422, "validation_failed", "due_date"),
    ({"priority": "NOW"}, 422, "validation_failed", "priority"),
    ({"sla_hours": 0}, 422, "validation_failed", "sla_hours"),
    ({"colour": "red"}, 422, "validation_failed", "colour"),
    ({"status": "DONE"}, 422, "validation_failed", "status"),
    ({"status": "OVERDUE"}, 422, "validation_failed", "status"),
    ({"assignee_id": "sta_t_gone"}, 422, "unknown_staff", "assignee_id"),
    ({"assignee_id": "sta_t_nobody"}, 422, "unknown_staff", "assignee_id"),
    ({"user_id": "cus_t_nobody"}, 422, "unknown_customer", "user_id"),
])
def test_invalid_patch_answers_an_error_and_changes_nothing(people, body, status, code, field):
    t = people.task(title="Unchanged")
    assert_error(people.patch(f"/ops/tasks/{t['id']}", body), status, code, field)
    assert people.get_task(t["id"]) == t
    assert len(people.history(t["id"])) == 1


def test_patch_that_changes_nothing_answers_200_with_the_same_version(server):
    t = server.task(title="Same", priority="LOW", sla_hours=24)
    r = server.patch(f"/ops/tasks/{t['id']}", {"title": "Same", "priority": "LOW", "status": "OPEN",
                                              "sla_hours": 24.0, "due_date": FUTURE})
    assert r.status == 200 and r.json() == t and r.header("ETag") == '"1"'
    r = server.patch(f"/ops/tasks/{t['id']}", {})
    assert r.status == 200 and r.json() == t
    assert len(server.history(t["id"])) == 1


@pytest.mark.parametrize("body", [{"description": ""}, {"description": None}, {"assignee_id": None},
                                  {"user_id": None}, {"sla_hours": None}, {"title": "  A task  "}])
def test_patch_to_what_the_task_already_shows_changes_nothing(server, body):
    t = server.task()
    assert t["description"] is None
    for _ in range(2):
        r = server.patch(f"/ops/tasks/{t['id']}", body)
        assert r.status == 200 and r.json() == t, r
    assert server.history(t["id"]) == server.history(t["id"])[:1]


def test_patch_retried_after_it_applied_is_safe(server):
    t = server.task()
    body = {"title": "Retried", "status": "IN_PROGRESS"}
    a = server.patch(f"/ops/tasks/{t['id']}", body).json()
    b = server.patch(f"/ops/tasks/{t['id']}", body)
    assert b.status == 200 and b.json() == a and a["version"] == 2


def test_if_match_with_the_current_version_applies(server):
    t = server.task()
    r = server.patch(f"/ops/tasks/{t['id']}", {"title": "v2"}, headers={"If-Match": '"1"'})
    assert r.status == 200 and r.json()["version"] == 2 and r.header("ETag") == '"2"'


def test_stale_if_match_answers_412_and_changes_nothing(server):
    t = server.task()
    server.patch(f"/ops/tasks/{t['id']}", {"title": "v2"})
    assert_error(server.patch(f"/ops/tasks/{t['id']}", {"title": "v3"}, headers={"If-Match": '"1"'}),
                 412, "version_conflict")
    assert_error(server.patch(f"/ops/tasks/{t['id']}", {"title": "v3"}, headers={"If-Match": '"3"'}),
                 412, "version_conflict")
    cur = server.get_task(t["id"])
    assert cur["title"] == "v2" and cur["version"] == 2


@pytest.mark.parametrize("value", ["garbage", "1", '"abc"', '"0"', '"-1"', '"2', '"2" junk'])
def test_malformed_if_match_answers_412(server, value):
    t = server.task()
    assert_error(server.patch(f"/ops/tasks/{t['id']}", {"title": "x"}, headers={"If-Match": value}),
                 412, "version_conflict")
    assert server.get_task(t["id"])["version"] == 1


def test_if_match_star_and_weak_tags_are_accepted(server):
    t = server.task()
    assert server.patch(f"/ops/tasks/{t['id']}", {"title": "a"}, headers={"If-Match": "*"}).status == 200
    assert server.patch(f"/ops/tasks/{t['id']}", {"title": "b"}, headers={"If-Match": 'W/"2"'}).status == 200


def test_etag_from_get_guards_a_later_patch(server):
    t = server.task()
    etag = server.get(f"/ops/tasks/{t['id']}").header("ETag")
    assert server.patch(f"/ops/tasks/{t['id']}", {"priority": "HIGH"}, headers={"If-Match": etag}).status == 200
    assert server.patch(f"/ops/tasks/{t['id']}", {"priority": "LOW"}, headers={"If-Match": etag}).status == 412


def test_concurrent_patches_with_one_if_match_let_exactly_one_win(server):
    t = server.task()
    out = []

    def go(i):
        out.append(server.patch(f"/ops/tasks/{t['id']}", {"title": f"writer {i}"}, headers={"If-Match": '"1"'}))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert sorted(r.status for r in out) == [200] + [412] * 5
    assert server.get_task(t["id"])["version"] == 2


# ---- lifecycle ---------------------------------------------------------------------------

def walk(server, tid, *statuses):
    out = None
    for st in statuses:
        out = server.set_status(tid, st)
        assert out["status"] == st
    return out


def test_open_to_in_progress_to_completed_stamps_started_and_completed(server):
    t = server.task()
    p = server.set_status(t["id"], "IN_PROGRESS")
    assert p["started_at"] and TS.match(p["started_at"]) and p["completed_at"] is None and p["version"] == 2
    d = server.set_status(t["id"], "COMPLETED")
    assert d["completed_at"] and d["started_at"] == p["started_at"] and d["cancelled_at"] is None
    assert parse_ts(d["completed_at"]) >= parse_ts(d["started_at"]) >= parse_ts(d["created_at"])


def test_open_to_completed_directly(server):
    t = server.task()
    d = server.set_status(t["id"], "COMPLETED")
    assert d["completed_at"] and d["started_at"] is None


def test_in_progress_back_to_open_clears_started_at(server):
    t = server.task()
    walk(server, t["id"], "IN_PROGRESS")
    back = server.set_status(t["id"], "OPEN")
    assert back["started_at"] is None
    again = server.set_status(t["id"], "IN_PROGRESS")
    assert again["started_at"]


@pytest.mark.parametrize("before", [[], ["IN_PROGRESS"]])
def test_open_or_in_progress_can_be_cancelled(server, before):
    t = server.task()
    walk(server, t["id"], *before)
    c = server.set_status(t["id"], "CANCELLED")
    assert c["cancelled_at"] and c["completed_at"] is None


def test_overdue_can_be_completed(server):
    t = server.task(due_date=PAST)
    assert t["status"] == "OVERDUE"
    d = server.set_status(t["id"], "COMPLETED")
    assert d["completed_at"]


def test_overdue_can_be_cancelled(server):
    t = server.task(due_date=PAST)
    c = server.set_status(t["id"], "CANCELLED")
    assert c["cancelled_at"]


def test_an_overdue_open_task_asked_for_open_is_unchanged(server):
    """Its work status already is OPEN: no change (picking it up and putting
    it down are in test_lifecycle.py)."""
    t = server.task(due_date=PAST)
    r = server.patch(f"/ops/tasks/{t['id']}", {"status": "OPEN"})
    assert r.status == 200 and r.json() == t
    assert server.get_task(t["id"]) == t


@pytest.mark.parametrize("path", [["COMPLETED"], ["CANCELLED"], ["IN_PROGRESS", "COMPLETED"],
                                  ["IN_PROGRESS", "CANCELLED"]])
def test_final_tasks_refuse_any_change_with_409(people, path):
    s = people
    t = s.task()
    final = walk(s, t["id"], *path)
    for st in {"COMPLETED", "CANCELLED"} - {path[-1]}:  # OPEN and IN_PROGRESS reopen: test_lifecycle.py
        assert_error(s.patch(f"/ops/tasks/{t['id']}", {"status": st}), 409, "invalid_transition")
    for body in ({"title": "Renamed"}, {"priority": "URGENT"}, {"due_date": "2039-01-02"}, {"sla_hours": 3},
                 {"description": "more"}, {"assignee_id": "sta_t_anna"}, {"user_id": "cus_t_1"}):
        assert_error(s.patch(f"/ops/tasks/{t['id']}", body), 409, "invalid_transition")
    assert_error(s.patch(f"/ops/tasks/{t['id']}", {"status": "OVERDUE"}), 422, "validation_failed", "status")
    assert s.get_task(t["id"]) == final
    again = s.patch(f"/ops/tasks/{t['id']}", {"status": path[-1]})
    assert again.status == 200 and again.json() == final


def test_a_status_and_field_change_in_one_patch_apply_together(server):
    t = server.task()
    r = server.patch(f"/ops/tasks/{t['id']}", {"status": "IN_PROGRESS", "priority": "HIGH"})
    assert r.status == 200
    assert (r.json()["status"], r.json()["priority"], r.json()["version"]) == ("IN_PROGRESS", "HIGH", 2)


def test_a_refused_transition_does_not_apply_the_other_fields(server):
    t = server.set_status(server.task(due_date=PAST)["id"], "COMPLETED")
    assert_error(server.patch(f"/ops/tasks/{t['id']}", {"status": "CANCELLED", "title": "Nope"}),
                 409, "invalid_transition")
    assert server.get_task(t["id"])["title"] == t["title"]


def test_sla_breached_is_false_when_completed_in_time_and_true_when_late(server):
    ok = server.task(sla_hours=100)
    assert server.set_status(ok["id"], "COMPLETED")["sla_breached"] is False
    late = server.task(sla_hours=0.000001)
    wait_until(lambda: server.get_task(late["id"])["sla_breached"] is True, 5, 0.01, "sla_breached")
    assert server.set_status(late["id"], "COMPLETED")["sla_breached"] is True


# ---- overdue and due dates --------------------------------------------------------------

def test_a_past_due_date_is_accepted_and_reads_overdue_at_once(server):
    t = server.task(due_date=PAST)
    assert t["status"] == "OVERDUE"
    assert server.get_task(t["id"])["status"] == "OVERDUE"


def test_overdue_task_returns_to_open_when_due_date_moves(server):
    t = server.task(due_date=PAST)
    r = server.patch(f"/ops/tasks/{t['id']}", {"due_date": FUTURE})
    assert r.status == 200 and r.json()["status"] == "OPEN"


def test_overdue_task_returns_to_in_progress_when_due_date_moves(server):
    t = server.task()
    server.set_status(t["id"], "IN_PROGRESS")
    late = server.patch(f"/ops/tasks/{t['id']}", {"due_date": PAST}).json()
    assert late["status"] == "OVERDUE" and late["started_at"]
    back = server.patch(f"/ops/tasks/{t['id']}", {"due_date": FUTURE}).json()
    assert back["status"] == "IN_PROGRESS" and back["started_at"] == late["started_at"]


def test_overdue_task_returns_to_open_when_due_date_moves_to_today(server):
    t = server.task(due_date=PAST)
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    r = server.patch(f"/ops/tasks/{t['id']}", {"due_date": today})
    now = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    if now == today:  # the UTC day did not change during the request
        assert r.json()["status"] == "OPEN", r


def test_due_today_is_not_overdue_and_yesterday_is(server):
    now = datetime.datetime.now(datetime.timezone.utc).date()
    today = server.task(due_date=now.isoformat())
    yesterday = server.task(due_date=(now - datetime.timedelta(days=1)).isoformat())
    if datetime.datetime.now(datetime.timezone.utc).date() == now:
        assert today["status"] == "OPEN"
    assert yesterday["status"] == "OVERDUE"


# ---- history -----------------------------------------------------------------------------

def test_history_lists_creation_then_each_field_and_status_change_oldest_first(server):
    tok = server.token("agent", name="hist")
    t = server.task(token=tok, title="Hist")
    server.request("PATCH", f"/ops/tasks/{t['id']}", {"title": "Hist 2", "sla_hours": 1.5, "priority": "HIGH"},
                   token=tok)
    server.request("PATCH", f"/ops/tasks/{t['id']}", {"status": "IN_PROGRESS"}, token=tok)
    server.request("PATCH", f"/ops/tasks/{t['id']}", {"description": "note", "status": "COMPLETED"}, token=tok)
    r = server.get(f"/ops/tasks/{t['id']}/history")
    assert r.status == 200 and set(r.json()) == {"data"}
    h = r.json()["data"]
    for e in h:
        assert set(e) == {"at", "actor", "actor_name", "type", "field", "from", "to"}
        assert TS.match(e["at"])
        assert e["actor"].startswith("token:tok_")
    assert len({e["actor"] for e in h}) == 1
    got = [(e["type"], e["field"], e["from"], e["to"]) for e in h]
    assert got[0] == ("created", None, None, None)
    assert sorted(got[1:4], key=str) == sorted([
        ("field_changed", "title", "Hist", "Hist 2"),
        ("field_changed", "sla_hours", None, 1.5),
        ("field_changed", "priority", "MEDIUM", "HIGH")], key=str)
    # the new SLA deadline gets its own line, after the fields that moved it
    assert got[4][:3] == ("field_changed", "sla_due_at", None) and TS.match(got[4][3])
    assert got[5] == ("status_changed", "status", "OPEN", "IN_PROGRESS")
    assert got[6] == ("field_changed", "description", None, "note")
    assert got[7] == ("status_changed", "status", "IN_PROGRESS", "COMPLETED")
    assert len(got) == 8
    assert [e["at"] for e in h] == sorted(e["at"] for e in h)


def test_history_names_the_staff_member_of_the_token(people):
    tok = people.token("agent", staff="sta_t_anna")
    t = people.task(token=tok)
    people.request("PATCH", f"/ops/tasks/{t['id']}", {"assignee_id": "sta_t_ben"}, token=tok)
    h = people.history(t["id"])
    assert [(e["actor"], e["type"], e["field"], e["from"], e["to"]) for e in h] == [
        ("sta_t_anna", "created", None, None, None),
        ("sta_t_anna", "field_changed", "assignee_id", None, "sta_t_ben")]


def test_history_of_a_task_created_overdue_has_one_system_entry(people):
    tok = people.token("agent", staff="sta_t_anna")
    t = people.task(token=tok, due_date=PAST)
    people.request("PATCH", f"/ops/tasks/{t['id']}", {"title": "Renamed"}, token=tok)
    people.request("PATCH", f"/ops/tasks/{t['id']}", {"due_date": FUTURE}, token=tok)
    h = people.history(t["id"])
    assert [(e["actor"], e["type"], e["field"], e["from"], e["to"]) for e in h] == [
        ("sta_t_anna", "created", None, None, None),
        ("system", "status_changed", "status", "OPEN", "OVERDUE"),
        ("sta_t_anna", "field_changed", "title", "A task", "Renamed"),
        ("sta_t_anna", "field_changed", "due_date", PAST, FUTURE),
        ("sta_t_anna", "status_changed", "status", "OVERDUE", "OPEN"),
    ]


def test_moving_the_due_date_into_the_past_is_recorded_as_a_system_move_to_overdue(server):
    t = server.task()
    server.set_status(t["id"], "IN_PROGRESS")
    server.patch(f"/ops/tasks/{t['id']}", {"due_date": PAST})
    h = server.history(t["id"])
    assert [(e["type"], e["field"], e["from"], e["to"]) for e in h[-2:]] == [
        ("field_changed", "due_date", FUTURE, PAST), ("status_changed", "status", "IN_PROGRESS", "OVERDUE")]
    assert h[-1]["actor"] == "system" and h[-2]["actor"] != "system"
    server.patch(f"/ops/tasks/{t['id']}", {"priority": "LOW"})
    assert [e["actor"] for e in server.history(t["id"])].count("system") == 1


def test_history_of_a_failed_or_empty_patch_is_unchanged(server):
    t = server.task()
    server.patch(f"/ops/tasks/{t['id']}", {"title": ""})
    server.patch(f"/ops/tasks/{t['id']}", {"title": t["title"]})
    server.patch(f"/ops/tasks/{t['id']}", {"title": "x"}, headers={"If-Match": '"7"'})
    assert len(server.history(t["id"])) == 1


def test_history_values_are_json_values(server):
    t = server.task(sla_hours=24)
    server.patch(f"/ops/tasks/{t['id']}", {"sla_hours": 48})
    server.patch(f"/ops/tasks/{t['id']}", {"sla_hours": None})
    h = server.history(t["id"])
    assert [(e["from"], e["to"]) for e in h[1:] if e["field"] == "sla_hours"] == [(24, 48), (48, None)]
    due = [(e["from"], e["to"]) for e in h[1:] if e["field"] == "sla_due_at"]  # the deadline each sla_hours change set
    assert len(due) == 2 and due[1][1] is None and due[0][1] == due[1][0]
    raw = json.dumps(h)
    assert '"to": null' in raw


def test_history_shows_whole_sla_hours_as_integers_like_the_task(server):
    t = server.task(title="Sla int", sla_hours=24)
    r = server.request("PATCH", f"/ops/tasks/{t['id']}", {"sla_hours": 48})
    assert r.status == 200 and r.json()["sla_hours"] == 48
    raw = server.get(f"/ops/tasks/{t['id']}/history").body.decode()
    assert '"from":24,"to":48' in raw.replace(" ", ""), raw
