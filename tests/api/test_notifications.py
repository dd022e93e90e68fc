"""In-app notifications (GET /ops/me/notifications, POST .../read) and each
person's switches (GET/PUT /ops/me/notification-settings): who is told of
an assignment, a mention and an SLA at risk, that nothing is kept for a
change that did not happen, and that everyone sees only their own."""
import pytest

from conftest import assert_error

NOTE_FIELDS = ["id", "type", "task_id", "task_title", "created_at", "read_at"]


def person(server, sid, name="Someone"):
    server.staff(sid, name=name)
    return server.token("agent", staff=sid)


def notes(server, token, query=""):
    r = server.get("/ops/me/notifications" + query, token=token)
    assert r.status == 200, r
    return r.json()


def test_an_assignment_by_someone_else_tells_the_assignee(server):
    ann = person(server, "sta_nt_ann", "Ann")
    t = server.task(title="Renew the lease", assignee_id="sta_nt_ann")
    got = notes(server, ann)
    assert got["unread"] == 1
    n = got["data"][0]
    assert list(n) == NOTE_FIELDS
    assert n["type"] == "assigned" and n["task_id"] == t["id"] and n["task_title"] == "Renew the lease"
    assert n["id"].startswith("ntf_") and n["read_at"] is None and n["created_at"].endswith("Z")
    # reassigning by PATCH tells the new assignee too
    bob = person(server, "sta_nt_bob", "Bob")
    r = server.patch(f"/ops/tasks/{t['id']}", {"assignee_id": "sta_nt_bob"})
    assert r.status == 200, r
    assert [x["type"] for x in notes(server, bob)["data"]] == ["assigned"]
    assert notes(server, ann)["unread"] == 1


def test_assigning_yourself_tells_nobody(server):
    cat = person(server, "sta_nt_cat")
    server.task(token=cat, assignee_id="sta_nt_cat")
    t = server.task()
    r = server.patch(f"/ops/tasks/{t['id']}", {"assignee_id": "sta_nt_cat"}, token=cat)
    assert r.status == 200, r
    assert notes(server, cat) == {"data": [], "next_cursor": None, "unread": 0}


def test_a_mention_tells_each_person_named_but_the_author(server):
    dan = person(server, "sta_nt_dan")
    eve = person(server, "sta_nt_eve")
    t = server.task(title="Mentions")
    r = server.post(f"/ops/tasks/{t['id']}/comments", {"body": "@sta_nt_dan and @sta_nt_eve look"}, token=dan)
    assert r.status == 201, r
    assert notes(server, dan)["data"] == []
    got = notes(server, eve)["data"]
    assert [(x["type"], x["task_id"]) for x in got] == [("mentioned", t["id"])]


def test_a_refused_change_leaves_no_notification(server):
    fay = person(server, "sta_nt_fay")
    t = server.task()
    # a PATCH refused by its If-Match rolls back with the assignment it carried
    r = server.patch(f"/ops/tasks/{t['id']}", {"assignee_id": "sta_nt_fay"}, headers={"If-Match": '"999"'})
    assert r.status in (409, 412), r
    assert notes(server, fay)["unread"] == 0
    # an assignee who is not active staff is refused (and nobody is told)
    server.staff("sta_nt_gone", active=False)
    r = server.patch(f"/ops/tasks/{t['id']}", {"assignee_id": "sta_nt_gone"})
    assert r.status == 422, r
    assert notes(server, fay)["unread"] == 0


def test_newest_first_page_by_page_and_marking_read(server):
    gus = person(server, "sta_nt_gus")
    tids = [server.task(title=f"T{i}", assignee_id="sta_nt_gus")["id"] for i in range(5)]
    first = notes(server, gus, "?limit=2")
    assert [x["task_id"] for x in first["data"]] == tids[::-1][:2]
    assert first["unread"] == 5 and first["next_cursor"] == first["data"][-1]["id"]
    rest = notes(server, gus, f"?limit=200&cursor={first['next_cursor']}")
    assert [x["task_id"] for x in rest["data"]] == tids[::-1][2:] and rest["next_cursor"] is None
    ids = [x["id"] for x in first["data"]]
    r = server.post("/ops/me/notifications/read", {"ids": ids + ["ntf_nope"]}, token=gus)
    assert r.status == 200 and r.json() == {"unread": 3}, r
    again = notes(server, gus)
    assert [x["read_at"] is not None for x in again["data"]] == [True, True, False, False, False]
    r = server.post("/ops/me/notifications/read", {}, token=gus)
    assert r.status == 200 and r.json() == {"unread": 0}, r
    assert all(x["read_at"] for x in notes(server, gus)["data"])


def test_nobody_reads_or_marks_someone_elses(server):
    hal = person(server, "sta_nt_hal")
    ivy = person(server, "sta_nt_ivy")
    server.task(assignee_id="sta_nt_hal")
    mine = notes(server, hal)["data"]
    assert notes(server, ivy)["data"] == []
    r = server.post("/ops/me/notifications/read", {"ids": [mine[0]["id"]]}, token=ivy)
    assert r.status == 200 and r.json() == {"unread": 0}
    assert notes(server, hal)["unread"] == 1


def test_a_token_tied_to_nobody_gets_403(server):
    for method, path, body in [("GET", "/ops/me/notifications", None), ("POST", "/ops/me/notifications/read", {}),
                               ("GET", "/ops/me/notification-settings", None),
                               ("PUT", "/ops/me/notification-settings", {"assigned": False})]:
        r = server.request(method, path, body)
        assert_error(r, 403, "forbidden")
        assert "tied to nobody" in r.json()["error"]["message"]


def test_bad_arguments_answer_422(server):
    jon = person(server, "sta_nt_jon")
    assert_error(server.get("/ops/me/notifications?limit=201", token=jon), 422, "validation_failed", "limit")
    assert_error(server.get("/ops/me/notifications?limit=0", token=jon), 422, "validation_failed", "limit")
    assert_error(server.get("/ops/me/notifications?cursor=x", token=jon), 422, "validation_failed", "cursor")
    assert_error(server.get("/ops/me/notifications?nope=1", token=jon), 422, "validation_failed")
    assert_error(server.post("/ops/me/notifications/read", {"ids": "all"}, token=jon), 422, "validation_failed", "ids")
    assert_error(server.post("/ops/me/notifications/read", {"ids": [1]}, token=jon), 422, "validation_failed", "ids")
    assert_error(server.post("/ops/me/notifications/read", {"id": []}, token=jon), 422, "validation_failed")


def test_settings_are_all_on_by_default_and_put_changes_only_what_it_names(server):
    kim = person(server, "sta_nt_kim")
    all_on = {"assigned": True, "mentioned": True, "sla_at_risk": True, "daily_digest": True}
    r = server.get("/ops/me/notification-settings", token=kim)
    assert r.status == 200 and r.json() == all_on, r
    r = server.put("/ops/me/notification-settings", {"mentioned": False}, token=kim)
    assert r.status == 200 and r.json() == dict(all_on, mentioned=False), r
    r = server.put("/ops/me/notification-settings", {"daily_digest": False}, token=kim)
    assert r.json() == dict(all_on, mentioned=False, daily_digest=False)
    assert server.get("/ops/me/notification-settings", token=kim).json() == r.json()
    assert_error(server.put("/ops/me/notification-settings", {"weekly": True}, token=kim), 422, "validation_failed")
    assert_error(server.put("/ops/me/notification-settings", {"assigned": "no"}, token=kim), 422,
                 "validation_failed", "assigned")


def test_in_app_notifications_are_kept_whatever_the_email_settings(server):
    lea = person(server, "sta_nt_lea")
    r = server.put("/ops/me/notification-settings", {"assigned": False, "mentioned": False}, token=lea)
    assert r.status == 200
    server.task(assignee_id="sta_nt_lea")
    assert notes(server, lea)["unread"] == 1


def test_answers_match_docs_openapi_yaml(server):
    import test_openapi as oa  # the document's checker (its tests are not collected here)
    mo = person(server, "sta_nt_mo")
    server.task(assignee_id="sta_nt_mo")
    oa.check_answer(server.get("/ops/me/notifications?limit=1", token=mo), "GET", "/ops/me/notifications")
    oa.check_answer(server.get("/ops/me/notifications"), "GET", "/ops/me/notifications")  # 403
    oa.check_answer(server.get("/ops/me/notifications?limit=x", token=mo), "GET", "/ops/me/notifications")
    oa.check_answer(server.post("/ops/me/notifications/read", {"ids": []}, token=mo), "POST",
                    "/ops/me/notifications/read")
    oa.check_answer(server.post("/ops/me/notifications/read", {}, token=mo), "POST", "/ops/me/notifications/read")
    oa.check_answer(server.get("/ops/me/notification-settings", token=mo), "GET", "/ops/me/notification-settings")
    oa.check_answer(server.put("/ops/me/notification-settings", {"sla_at_risk": False}, token=mo), "PUT",
                    "/ops/me/notification-settings")
    oa.check_answer(server.put("/ops/me/notification-settings", {"x": 1}, token=mo), "PUT",
                    "/ops/me/notification-settings")
