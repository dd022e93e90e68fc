"""Numbers in query strings and cursors: digits only, within range. strtol
and sscanf also take a sign and leading blanks ("+5", " 5") and clamp what
overflows; each such value must answer 422 naming its parameter, and change
nothing."""
import base64
import urllib.parse

import pytest

from conftest import assert_error

LISTS = ["/ops/tasks", "/ops/staff", "/ops/customers", "/ops/rules", "/ops/events",
         "/ops/customers/cus_qn_1/renewals"]


@pytest.fixture(scope="module")
def srv(server):
    server.customer("cus_qn_1", "Numbers Ltd")
    for i in range(3):
        server.task(title=f"numbers {i}")
    for i in range(3):
        r = server.post("/ops/events", {"id": f"evt_qn_{i}", "type": "numbers.test", "user_id": "cus_qn_1", "data": {"i": i}})
        assert r.status in (200, 201, 202), r
    return server


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("limit", ["+5", " 5", "\t5", "5 ", "-5", "0x5", "5.0", "1e1", "", "99999999999999999999"])
def test_a_limit_that_is_not_plain_digits_answers_422(srv, path, limit):
    assert_error(srv.get(f"{path}?limit={urllib.parse.quote(limit)}"), 422, "validation_failed", "limit")


@pytest.mark.parametrize("path", LISTS)
def test_a_plain_digits_limit_is_taken(srv, path):
    r = srv.get(f"{path}?limit=2")
    assert r.status == 200, r
    assert len(r.json()["data"]) <= 2
    r = srv.get(f"{path}?limit=02")
    assert r.status == 200, r


@pytest.mark.parametrize("cursor", ["+5", " 5", "5 ", "-5", "0x5", "", "99999999999999999999"])
def test_an_events_cursor_that_is_not_plain_digits_answers_422(srv, cursor):
    assert_error(srv.get(f"/ops/events?cursor={urllib.parse.quote(cursor)}"), 422, "validation_failed", "cursor")


def test_an_events_cursor_the_server_gave_still_pages(srv):
    p1 = srv.get("/ops/events?type=numbers.test&limit=2").json()
    assert p1["next_cursor"] and p1["next_cursor"].isdigit()
    p2 = srv.get(f"/ops/events?type=numbers.test&limit=2&cursor={p1['next_cursor']}")
    assert p2.status == 200 and len(p2.json()["data"]) == 1, p2


def task_cursor(sort, due, prio, created, tid):
    raw = f"v1|{sort}|{due}|{prio}|{created}|{tid}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(c):
    return base64.urlsafe_b64decode(c + "=" * (-len(c) % 4)).decode()


def test_a_task_cursor_rebuilt_from_its_own_fields_is_taken(srv):
    c = srv.get("/ops/tasks?limit=1").json()["next_cursor"]
    v, sort, due, prio, created, tid = decode(c).split("|")
    r = srv.get(f"/ops/tasks?limit=1&cursor={task_cursor(sort, due, prio, created, tid)}")
    assert r.status == 200, r


@pytest.mark.parametrize("field,value", [
    ("created", "99999999999999999999"),       # over 64 bits: sscanf clamped it and it was taken
    ("created", "9223372036854775807"),        # fits 64 bits, but no time of ours is that far
    ("created", "253402300800000"),            # 10000-01-01T00:00:00Z in ms
    ("created", "-1"),
    ("created", "+1700000000000"),
    ("created", " 1700000000000"),
    ("prio", "+1"),
    ("prio", " 1"),
    ("sort", "+0"),
    ("sort", " 0"),
])
def test_a_task_cursor_with_a_number_out_of_shape_or_range_answers_422(srv, field, value):
    c = srv.get("/ops/tasks?limit=1").json()["next_cursor"]
    v, sort, due, prio, created, tid = decode(c).split("|")
    parts = {"sort": sort, "prio": prio, "created": created}
    parts[field] = value
    bad = task_cursor(parts["sort"], due, parts["prio"], parts["created"], tid)
    assert_error(srv.get(f"/ops/tasks?limit=1&cursor={bad}"), 422, "validation_failed", "cursor")


@pytest.mark.parametrize("key", ["99999999999999999999202", "9999999999999999999", "-1", "+5", " 5", ""])
def test_a_v2_task_cursor_with_a_key_out_of_shape_or_range_answers_422(srv, key):
    """The cursors of the newer sorts (sla_due_at, -updated_at, relevance)
    carry one 64-bit key: 19 digits that pass it once overflowed a long
    long (found by the queue_cursor fuzz target)."""
    c = srv.get("/ops/tasks?limit=1&sort=-updated_at").json()["next_cursor"]
    v, sort, _, due, tid = decode(c).split("|")
    assert v == "v2"
    raw = f"v2|{sort}|{key}|{due}|{tid}".encode()
    bad = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert_error(srv.get(f"/ops/tasks?limit=1&sort=-updated_at&cursor={bad}"), 422, "validation_failed", "cursor")
