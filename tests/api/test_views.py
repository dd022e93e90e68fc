"""Saved views: PUT/GET/DELETE /ops/views on the backend the suite runs on
(SQLite, or PostgreSQL when OPSTASKS_TEST_PG names the test cluster). A view's
query is checked as GET /ops/tasks checks one; personal views are their
owner's alone, shared ones everyone's to see and their owner's (or an
admin's) to change; counts are what the queue would list now."""
import pytest

from conftest import FUTURE, PAST, PG_SOCKET, Server, assert_error, pg_create_db, run_cli

VIEW_FIELDS = ["id", "name", "query", "shared", "owner", "owner_name", "created_at", "updated_at"]


@pytest.fixture(scope="module")
def people(server):
    """Two agents and an admin, each signed in as a staff member."""
    server.staff("sta_vw_ana", name="Ana Agent")
    server.staff("sta_vw_bo", name="Bo Agent")
    server.staff("sta_vw_boss", name="The Boss")
    server.put("/ops/staff/sta_vw_boss", {"name": "The Boss", "email": "sta_vw_boss@example.com", "role": "admin"})
    return {"ana": server.token("agent", staff="sta_vw_ana"),
            "bo": server.token("agent", staff="sta_vw_bo"),
            "boss": server.token("admin", staff="sta_vw_boss")}


def put(server, vid, token, **body):
    body.setdefault("name", "A view")
    body.setdefault("query", "status=OPEN")
    return server.put(f"/ops/views/{vid}", body, token=token)


def listed(server, token, counts=False):
    r = server.get("/ops/views" + ("?counts=true" if counts else ""), token=token)
    assert r.status == 200, r
    return r.json()["data"]


def queue_total(server, query, token):
    """How many tasks GET /ops/tasks lists for query, walking every page."""
    n, cursor = 0, None
    for _ in range(100):
        args = [a for a in (query, "limit=500", f"cursor={cursor}" if cursor else "") if a]
        r = server.get("/ops/tasks?" + "&".join(args), token=token)
        assert r.status == 200, r
        n += len(r.json()["data"])
        cursor = r.json()["next_cursor"]
        if not cursor:
            return n
    raise AssertionError("too many pages")


def test_a_view_is_created_then_replaced_with_its_documented_shape(server, people):
    r = put(server, "viw_shape", people["ana"], name="My urgent work",
            query="status=OPEN,OVERDUE&assignee_id=me&sort=sla_due_at", shared=False)
    assert r.status == 201, r
    v = r.json()
    assert list(v) == VIEW_FIELDS
    assert v["id"] == "viw_shape" and v["name"] == "My urgent work"
    assert v["query"] == "status=OPEN,OVERDUE&assignee_id=me&sort=sla_due_at"
    assert v["shared"] is False and v["owner"] == "sta_vw_ana" and v["owner_name"] == "Ana Agent"
    assert v["created_at"] == v["updated_at"] and v["created_at"].endswith("Z")
    r = put(server, "viw_shape", people["ana"], name="Renamed", query="priority=URGENT")
    assert r.status == 200, r
    w = r.json()
    assert w["name"] == "Renamed" and w["query"] == "priority=URGENT" and w["created_at"] == v["created_at"]
    assert server.get("/ops/views/viw_shape", token=people["ana"]).json() == w


@pytest.mark.parametrize("query, field_or_word", [
    ("status=OPEN&colour=red", "colour"),
    ("status=DONE", "status"),
    ("sort=relevance", "relevance"),
    ("due_from=2026-13-01", "due_from"),
    ("limit=0", "limit"),
    ("status=OPEN&status=COMPLETED", "twice"),
    ("q=%zz", "escape"),
    ("cursor=abc", "cursor"),
    ("sla_breached=maybe", "sla_breached"),
])
def test_a_query_the_queue_would_refuse_is_refused_naming_what_is_wrong(server, people, query, field_or_word):
    r = put(server, "viw_bad", people["ana"], query=query)
    assert_error(r, 422, "validation_failed", "query")
    assert field_or_word in r.json()["error"]["message"], r
    assert server.get("/ops/views/viw_bad", token=people["ana"]).status == 404


@pytest.mark.parametrize("body, field", [
    ({"query": "status=OPEN"}, "name"),
    ({"name": "x"}, "query"),
    ({"name": "", "query": ""}, "name"),
    ({"name": "x" * 101, "query": ""}, "name"),
    ({"name": "bell\u0007", "query": ""}, "name"),
    ({"name": "x", "query": "", "shared": "yes"}, "shared"),
    ({"name": "x", "query": 5}, "query"),
    ({"name": "x", "query": "x" * 2001}, "query"),
])
def test_bad_bodies_are_refused_and_change_nothing(server, people, body, field):
    r = server.put("/ops/views/viw_badbody", body, token=people["ana"])
    assert_error(r, 422, "validation_failed", field)
    assert server.get("/ops/views/viw_badbody", token=people["ana"]).status == 404


def test_an_unknown_body_field_and_bad_ids_are_refused(server, people):
    r = server.put("/ops/views/viw_extra", {"name": "x", "query": "", "colour": "red"}, token=people["ana"])
    assert r.status == 422, r
    for bad in ("view_1", "viw_", "viw_" + "a" * 65, "viw_a%20b"):
        r = server.put(f"/ops/views/{bad}", {"name": "x", "query": ""}, token=people["ana"])
        assert_error(r, 422, "validation_failed", "id")
        assert server.get(f"/ops/views/{bad}", token=people["ana"]).status == 404
    assert server.get("/ops/views", token=None).status == 401
    assert server.put("/ops/views/viw_anon", {"name": "x", "query": ""}, token=None).status == 401


def test_an_empty_query_is_the_default_queue(server, people):
    r = put(server, "viw_default", people["bo"], name="Default", query="")
    assert r.status == 201, r
    mine = {v["id"]: v for v in listed(server, people["bo"], counts=True)}
    assert mine["viw_default"]["count"] == queue_total(server, "", people["bo"])


def test_personal_views_are_their_owners_and_shared_ones_everyones(server, people):
    ana, bo, boss = people["ana"], people["bo"], people["boss"]
    assert put(server, "viw_ana_own", ana, name="Ana's own").status == 201
    assert put(server, "viw_ana_team", ana, name="Team board", shared=True).status == 201
    # Bo sees the shared one, not the personal one
    seen = [v["id"] for v in listed(server, bo)]
    assert "viw_ana_team" in seen and "viw_ana_own" not in seen
    assert server.get("/ops/views/viw_ana_own", token=bo).status == 404
    assert server.get("/ops/views/viw_ana_team", token=bo).status == 200
    # Bo may not change or delete either: a shared view answers 403, the
    # personal one is not there for him (and its id is taken)
    assert_error(put(server, "viw_ana_team", bo, name="Mine now", shared=True), 403, "forbidden")
    assert_error(server.request("DELETE", "/ops/views/viw_ana_team", token=bo), 403, "forbidden")
    assert_error(put(server, "viw_ana_own", bo, name="Mine"), 409, "conflict", "id")
    assert_error(server.request("DELETE", "/ops/views/viw_ana_own", token=bo), 404, "not_found")
    v = server.get("/ops/views/viw_ana_team", token=ana).json()
    assert v["name"] == "Team board" and v["owner"] == "sta_vw_ana"
    assert server.get("/ops/views/viw_ana_own", token=ana).json()["name"] == "Ana's own"
    # an admin changes a shared view (its owner stays) but not a personal one
    r = put(server, "viw_ana_team", boss, name="Team board (tidied)", shared=True)
    assert r.status == 200 and r.json()["owner"] == "sta_vw_ana" and r.json()["name"] == "Team board (tidied)", r
    assert server.get("/ops/views/viw_ana_own", token=boss).status == 404
    assert_error(put(server, "viw_ana_own", boss, name="Boss's"), 409, "conflict", "id")
    # the owner deletes: 204, then it is gone for everyone
    r = server.request("DELETE", "/ops/views/viw_ana_own", token=ana)
    assert r.status == 204 and r.body == b"", r
    assert server.get("/ops/views/viw_ana_own", token=ana).status == 404
    assert server.request("DELETE", "/ops/views/viw_ana_own", token=ana).status == 404
    # an admin deletes someone's shared view
    assert server.request("DELETE", "/ops/views/viw_ana_team", token=boss).status == 204
    assert "viw_ana_team" not in [v["id"] for v in listed(server, bo)]
    # and a freed id is anyone's again
    assert put(server, "viw_ana_own", bo, name="Bo's now").status == 201


def test_the_list_puts_shared_views_first_then_by_name(server, people):
    for vid, name, shared in (("viw_ord_z", "Zebra", False), ("viw_ord_a", "Apple", False),
                              ("viw_ord_sz", "Zulu shared", True), ("viw_ord_sa", "Alpha shared", True)):
        assert put(server, vid, people["bo"], name=name, shared=shared).status == 201
    got = listed(server, people["bo"])
    shared = [v["name"] for v in got if v["shared"]]
    own = [v["name"] for v in got if not v["shared"]]
    assert got == sorted(got, key=lambda v: (not v["shared"], v["name"], v["id"]))
    assert shared.index("Alpha shared") < shared.index("Zulu shared") and own.index("Apple") < own.index("Zebra")
    assert all("count" not in v for v in got)


def test_counts_are_what_the_queue_lists_now_for_whoever_asks(server, people):
    ana, bo = people["ana"], people["bo"]
    cu = server.customer("cus_vw_count", name="Çağla Öztürk")
    for i in range(3):
        server.task(title=f"Ana's passport {i}", assignee_id="sta_vw_ana", user_id=cu["id"])
    server.task(title="Bo's passport", assignee_id="sta_vw_bo", priority="URGENT")
    late = server.task(title="Bo's late one", assignee_id="sta_vw_bo", due_date=PAST)
    server.set_status(late["id"], "IN_PROGRESS")
    done = server.task(title="finished passport", assignee_id="sta_vw_bo", sla_hours=1)
    server.set_status(done["id"], "COMPLETED")
    queries = {
        "viw_cnt_mine": "status=OPEN,IN_PROGRESS,OVERDUE&assignee_id=me",
        "viw_cnt_all": "status=all",
        "viw_cnt_q": "status=all&q=passport",
        "viw_cnt_cust": "status=all&user_id=cus_vw_count&q=cagla",
        "viw_cnt_urgent": "priority=URGENT&sort=priority",
        "viw_cnt_overdue": "status=OVERDUE",
        "viw_cnt_met": "status=all&sla_breached=false",
        "viw_cnt_src": "status=COMPLETED&source=MANUAL&sla_state=met",
    }
    for vid, q in queries.items():
        assert put(server, vid, ana, name=vid, query=q, shared=True).status == 201, vid
    for who in (ana, bo):
        counts = {v["id"]: v["count"] for v in listed(server, who, counts=True) if v["id"] in queries}
        for vid, q in queries.items():
            assert counts[vid] == queue_total(server, q, who), (vid, q)
    mine_ana = {v["id"]: v["count"] for v in listed(server, ana, counts=True)}["viw_cnt_mine"]
    mine_bo = {v["id"]: v["count"] for v in listed(server, bo, counts=True)}["viw_cnt_mine"]
    assert mine_ana >= 3 and mine_bo >= 2  # each person's own tasks
    # the count is live: one more task of Ana's shows at once
    before = server.get("/ops/views/viw_cnt_mine?counts=true", token=ana).json()["count"]
    server.task(title="one more", assignee_id="sta_vw_ana")
    assert server.get("/ops/views/viw_cnt_mine?counts=true", token=ana).json()["count"] == before + 1
    assert_error(server.get("/ops/views?counts=maybe", token=ana), 422, "validation_failed", "counts")
    assert_error(server.get("/ops/views?colour=red", token=ana), 422, "validation_failed", "colour")


def test_a_view_of_me_read_by_a_token_of_nobody_has_no_count(server, people):
    assert put(server, "viw_me_nobody", people["ana"], query="assignee_id=me", shared=True).status == 201
    loose = server.token("agent", name="not tied")
    v = {v["id"]: v for v in listed(server, loose, counts=True)}["viw_me_nobody"]
    assert v["count"] is None
    # such a token may still save a view of "me" (it is judged apart from its maker)
    r = put(server, "viw_nobody_me", loose, query="assignee_id=me")
    assert r.status == 201 and r.json()["owner"].startswith("token:") and r.json()["owner_name"] == "not tied", r


def test_a_copy_to_another_database_keeps_the_views(tmp_path):
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    src = str(src_dir / "src.db")
    s = Server(src_dir, db=src).start()
    s.staff("sta_vw_copy", name="Copy")
    tok = s.token("agent", staff="sta_vw_copy")
    made = [put(s, "viw_copy_1", tok, name="one", query="status=OPEN&sort=-updated_at").json(),
            put(s, "viw_copy_2", tok, name="two", query="", shared=True).json()]
    s.stop()
    targets = [str(tmp_path / "copy.db")]
    if PG_SOCKET:
        targets.append(pg_create_db())
    for i, dst in enumerate(targets):
        p = run_cli("copy", "--from", src, "--to", dst, timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
        p = run_cli("check", "--db", dst, timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
        d = tmp_path / f"dst{i}"
        d.mkdir()
        s2 = Server(d, db=dst).start()
        try:
            tok2 = s2.token("agent", staff="sta_vw_copy")
            got = {v["id"]: v for v in s2.get("/ops/views", token=tok2).json()["data"]}
            assert got["viw_copy_1"] == made[0] and got["viw_copy_2"] == made[1]
        finally:
            s2.stop()
