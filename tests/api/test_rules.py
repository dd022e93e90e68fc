"""Workflow rules over HTTP: rules PUT/GET/DELETE with their
validation, events POST (idempotent by id) and GET, follow-up tasks with
source RULE, assignee strategies, the default rule, and the service's own
task.overdue / task.completed events."""
import copy
import datetime

import pytest

from conftest import FUTURE, PAST, assert_error, today_in, wait_until

UTC = datetime.timezone.utc
DEFAULT_RULE = "rul_default_rejected_document"

EXAMPLE_RULE = {
    "name": "Follow up rejected documents", "enabled": True,
    "event_type": "document.rejected",
    "conditions": [{"field": "data.document_type", "op": "in", "value": ["bank_statement", "passport"]}],
    "task": {"title": "Request a new {{data.document_type}} from {{customer.name}}",
             "description": "Rejected: {{data.reason}}",
             "priority": "HIGH", "due_in_days": 2, "sla_hours": 24,
             "assignee": "customer_owner"}}


def event(eid, etype="document.rejected", user="cus_rules", **data):
    body = {"id": eid, "type": etype, "occurred_at": "2026-06-01T09:30:00Z", "data": data}
    if user:
        body["user_id"] = user
    return body


def in_days(n):
    return (datetime.datetime.now(UTC).date() + datetime.timedelta(days=n)).isoformat()


@pytest.fixture(scope="module")
def rules(server):
    """The module's server without its default rule, with staff and a customer."""
    r = server.request("DELETE", f"/ops/rules/{DEFAULT_RULE}")
    assert r.status == 200, r
    for sid in ("sta_owner", "sta_lead", "sta_a", "sta_b", "sta_c"):
        server.staff(sid)
    server.staff("sta_gone", active=False)
    server.customer("cus_rules", name="Ada Customer", owner="sta_owner")
    server.customer("cus_orphan", name="No Owner")
    return server


def put_rule(s, rid, body, status=(200, 201)):
    r = s.put(f"/ops/rules/{rid}", body)
    assert r.status in ((status,) if isinstance(status, int) else status), r
    return r.json()


def post_event(s, body, status=201):
    r = s.post("/ops/events", body)
    assert r.status == status, r
    return r.json()


# ---- the documented example rule, end to end ------------------------------------

def test_the_example_rule_turns_a_rejected_document_into_a_follow_up_task(rules):
    s = rules
    rule = put_rule(s, "rul_example", EXAMPLE_RULE, 201)
    assert rule["id"] == "rul_example"
    assert {k: rule[k] for k in EXAMPLE_RULE} == EXAMPLE_RULE
    assert rule["created_at"] and rule["updated_at"]
    assert s.get("/ops/rules/rul_example").json() == rule

    due = in_days(2)
    ans = post_event(s, event("evt_example_1", document_type="bank_statement", reason="unreadable scan"))
    assert ans["event_id"] == "evt_example_1"
    assert ans["matched_rules"] == ["rul_example"]
    assert len(ans["tasks"]) == 1 and ans["notes"] == []
    t = s.get_task(ans["tasks"][0])
    assert t["title"] == "Request a new bank_statement from Ada Customer"
    assert t["description"] == "Rejected: unreadable scan"
    assert (t["priority"], t["status"], t["sla_hours"]) == ("HIGH", "OPEN", 24)
    assert t["due_date"] in (due, in_days(2))
    assert (t["assignee_id"], t["user_id"]) == ("sta_owner", "cus_rules")
    assert (t["source"], t["rule_id"], t["event_id"]) == ("RULE", "rul_example", "evt_example_1")
    h = s.history(t["id"])
    assert h[0]["type"] == "created" and h[0]["actor"] == "rule:rul_example"

    # a document type outside the condition matches nothing, and says so
    ans = post_event(s, event("evt_example_2", document_type="utility_bill", reason="old"))
    assert ans == {"event_id": "evt_example_2", "matched_rules": [], "tasks": [], "notes": []}

    # the events list shows both, newest first, with their outcome
    listed = s.get("/ops/events?type=document.rejected&user_id=cus_rules").json()["data"]
    ids = [e["id"] for e in listed]
    assert ids.index("evt_example_2") < ids.index("evt_example_1")
    first = next(e for e in listed if e["id"] == "evt_example_1")
    assert first["tasks"] == [t["id"]] and first["matched_rules"] == ["rul_example"]
    assert first["data"] == {"document_type": "bank_statement", "reason": "unreadable scan"}
    assert first["occurred_at"] == "2026-06-01T09:30:00.000Z" and first["origin"] == "api"
    assert s.request("DELETE", "/ops/rules/rul_example").status == 200


def test_the_same_event_id_again_answers_200_with_the_first_answer_and_creates_nothing(rules):
    s = rules
    put_rule(s, "rul_idem", dict(EXAMPLE_RULE, event_type="document.expired"))
    body = event("evt_idem", "document.expired", document_type="passport", reason="expired")
    first = post_event(s, body, 201)
    assert len(first["tasks"]) == 1
    before = s.get("/ops/tasks?user_id=cus_rules&status=all&limit=500").json()["data"]
    again = post_event(s, body, 200)
    assert again == first
    # even with another body: the id is the event
    other = post_event(s, dict(body, data={"document_type": "bank_statement"}), 200)
    assert other == first
    after = s.get("/ops/tasks?user_id=cus_rules&status=all&limit=500").json()["data"]
    assert len(after) == len(before)
    assert [e["id"] for e in s.get("/ops/events?type=document.expired").json()["data"]].count("evt_idem") == 1


def test_a_missing_template_value_renders_empty_and_is_noted(rules):
    s = rules
    put_rule(s, "rul_missing", {"name": "M", "event_type": "appointment.missed",
                                "task": {"title": "Call {{customer.name}} about {{data.slot}}",
                                         "description": "{{data.nothing}}", "due_in_days": 0}})
    ans = post_event(s, event("evt_missing", "appointment.missed", user=None))
    t = s.get_task(ans["tasks"][0])
    assert t["title"] == "Call  about"
    assert t["description"] is None and t["user_id"] is None and t["assignee_id"] is None
    assert t["due_date"] in (in_days(0), in_days(1))
    notes = " ".join(ans["notes"])
    assert "customer.name" in notes and "data.slot" in notes and "data.nothing" in notes


def test_an_unknown_customer_leaves_the_task_unlinked_with_a_note(rules):
    s = rules
    put_rule(s, "rul_unknown_cus", {"name": "U", "event_type": "payment.failed",
                                    "task": {"title": "Payment failed", "due_in_days": 1, "assignee": "customer_owner"}})
    ans = post_event(s, event("evt_unknown_cus", "payment.failed", user="cus_nobody"))
    t = s.get_task(ans["tasks"][0])
    assert t["user_id"] is None and t["assignee_id"] is None
    assert any("cus_nobody" in n for n in ans["notes"])


# ---- assignees ---------------------------------------------------------------------

def test_assignees_staff_id_round_robin_and_least_loaded_skip_inactive_staff(rules):
    s = rules
    base = {"name": "A", "event_type": "case.assign", "task": {"title": "Work", "due_in_days": 1}}

    def assignee_for(rid, assignee, eid):
        body = copy.deepcopy(base)
        body["task"]["assignee"] = assignee
        put_rule(s, rid, body)
        ans = post_event(s, event(eid, "case.assign"))
        got = [s.get_task(t)["assignee_id"] for t in ans["tasks"]]
        s.request("DELETE", f"/ops/rules/{rid}")
        return got[0], ans

    assert assignee_for("rul_as1", "sta_lead", "evt_as1")[0] == "sta_lead"
    who, ans = assignee_for("rul_as2", "sta_gone", "evt_as2")
    assert who is None and ans["notes"]
    assert assignee_for("rul_as3", None, "evt_as3")[0] is None

    body = copy.deepcopy(base)
    body["task"]["assignee"] = {"round_robin": ["sta_a", "sta_gone", "sta_b"]}
    put_rule(s, "rul_rr", body)
    got = [s.get_task(post_event(s, event(f"evt_rr{i}", "case.assign"))["tasks"][0])["assignee_id"]
           for i in range(5)]
    assert got == ["sta_a", "sta_b", "sta_a", "sta_b", "sta_a"]
    s.request("DELETE", "/ops/rules/rul_rr")

    # least loaded: sta_c has the fewest active tasks (none), then ties go to the first listed
    for _ in range(2):
        s.task(assignee_id="sta_a")
    s.task(assignee_id="sta_b")
    body["task"]["assignee"] = {"least_loaded": ["sta_gone", "sta_a", "sta_b", "sta_c"]}
    put_rule(s, "rul_ll", body)
    loads = {sid: len(s.get(f"/ops/tasks?assignee_id={sid}&status=OPEN,IN_PROGRESS,OVERDUE&limit=500")
                      .json()["data"]) for sid in ("sta_a", "sta_b", "sta_c")}
    want = min(loads, key=lambda k: (loads[k], ["sta_a", "sta_b", "sta_c"].index(k)))
    first = s.get_task(post_event(s, event("evt_ll1", "case.assign"))["tasks"][0])["assignee_id"]
    assert first == want
    s.request("DELETE", "/ops/rules/rul_ll")

    body["task"]["assignee"] = {"round_robin": ["sta_gone"]}
    put_rule(s, "rul_nobody", body)
    ans = post_event(s, event("evt_nobody", "case.assign"))
    assert s.get_task(ans["tasks"][0])["assignee_id"] is None and ans["notes"]
    s.request("DELETE", "/ops/rules/rul_nobody")


# ---- validation of rules -----------------------------------------------------------

def with_task(**kw):
    body = copy.deepcopy(EXAMPLE_RULE)
    body["task"].update(kw)
    return body


def with_cond(*conds):
    body = copy.deepcopy(EXAMPLE_RULE)
    body["conditions"] = list(conds)
    return body


BAD_RULES = [
    ({k: v for k, v in EXAMPLE_RULE.items() if k != "name"}, "name"),
    (dict(EXAMPLE_RULE, name=""), "name"),
    (dict(EXAMPLE_RULE, name="x" * 201), "name"),
    (dict(EXAMPLE_RULE, enabled="yes"), "enabled"),
    (dict(EXAMPLE_RULE, event_type="Document.Rejected"), "event_type"),
    (dict(EXAMPLE_RULE, event_type="document"), "event_type"),
    ({k: v for k, v in EXAMPLE_RULE.items() if k != "event_type"}, "event_type"),
    (dict(EXAMPLE_RULE, colour="red"), "colour"),
    (dict(EXAMPLE_RULE, conditions={"field": "type"}), "conditions"),
    (with_cond("type"), "conditions[0]"),
    (with_cond({"field": "type", "op": "eq", "value": "a.b"}, {"field": "data", "op": "exists"}), "conditions[1].field"),
    (with_cond({"field": "customer.phone", "op": "exists"}), "conditions[0].field"),
    (with_cond({"op": "exists"}), "conditions[0].field"),
    (with_cond({"field": "type", "op": "like", "value": "a"}), "conditions[0].op"),
    (with_cond({"field": "type"}), "conditions[0].op"),
    (with_cond({"field": "type", "op": "eq"}), "conditions[0].value"),
    (with_cond({"field": "type", "op": "in", "value": "a"}), "conditions[0].value"),
    (with_cond({"field": "type", "op": "in", "value": []}), "conditions[0].value"),
    (with_cond({"field": "type", "op": "exists", "value": True}), "conditions[0].value"),
    (with_cond({"field": "data.n", "op": "gt", "value": [1]}), "conditions[0].value"),
    (with_cond({"field": "data.n", "op": "contains", "value": {"a": 1}}), "conditions[0].value"),
    (with_cond({"field": "type", "op": "eq", "value": "x", "why": 1}), "conditions[0].why"),
    (with_cond(*[{"field": "type", "op": "exists"}] * 21), "conditions"),
    ({k: v for k, v in EXAMPLE_RULE.items() if k != "task"}, "task"),
    (dict(EXAMPLE_RULE, task="make one"), "task"),
    (with_task(title=None), "task.title"),
    (with_task(title="  "), "task.title"),
    (with_task(title="Hi {{customer.name"), "task.title"),
    (with_task(title="Hi {{customer.phone}}"), "task.title"),
    (with_task(title="{{}}"), "task.title"),
    (with_task(description="Why: {{reason}}"), "task.description"),
    (with_task(description=5), "task.description"),
    (with_task(priority="CRITICAL"), "task.priority"),
    (with_task(due_in_days=None), "task.due_in_days"),
    (with_task(due_in_days=-1), "task.due_in_days"),
    (with_task(due_in_days=3651), "task.due_in_days"),
    (with_task(due_in_days="2"), "task.due_in_days"),
    (with_task(sla_hours=0), "task.sla_hours"),
    (with_task(sla_hours="24"), "task.sla_hours"),
    (with_task(assignee="somebody"), "task.assignee"),
    (with_task(assignee=["sta_a"]), "task.assignee"),
    (with_task(assignee={"round_robin": ["sta_a"], "least_loaded": ["sta_b"]}), "task.assignee"),
    (with_task(assignee={"round_robin": []}), "task.assignee.round_robin"),
    (with_task(assignee={"least_loaded": ["sta_a", 5]}), "task.assignee.least_loaded[1]"),
    (with_task(assignee={"round_robin": ["sta_a", "sta_a"]}), "task.assignee.round_robin[1]"),
    (with_task(owner="sta_a"), "task.owner"),
]


@pytest.mark.parametrize("body,field", BAD_RULES, ids=[f for _, f in BAD_RULES])
def test_a_rule_put_with_a_mistake_answers_422_naming_the_bad_part_and_changes_nothing(rules, body, field):
    s = rules
    r = s.put("/ops/rules/rul_bad", body)
    assert_error(r, 422, "validation_failed", field)
    assert s.get("/ops/rules/rul_bad").status == 404


def test_a_rule_naming_unknown_staff_answers_422_unknown_staff(rules):
    s = rules
    assert_error(s.put("/ops/rules/rul_bad", with_task(assignee="sta_nobody")), 422, "unknown_staff", "task.assignee")
    assert_error(s.put("/ops/rules/rul_bad", with_task(assignee={"round_robin": ["sta_a", "sta_nobody"]})),
                 422, "unknown_staff", "task.assignee.round_robin[1]")
    assert s.get("/ops/rules/rul_bad").status == 404


@pytest.mark.parametrize("rid", ["rule_x", "rul_", "rul_" + "x" * 65, "rul_a.b"])
def test_a_rule_id_of_the_wrong_shape_is_refused(rules, rid):
    assert_error(rules.put(f"/ops/rules/{rid}", EXAMPLE_RULE), 422, "validation_failed", "id")
    assert_error(rules.get(f"/ops/rules/{rid}"), 404, "not_found")


def test_a_rule_is_replaced_by_put_listed_and_deleted(rules):
    s = rules
    first = put_rule(s, "rul_crud", dict(EXAMPLE_RULE, event_type="crud.test"), 201)
    second = put_rule(s, "rul_crud", dict(EXAMPLE_RULE, event_type="crud.test", enabled=False, name="Renamed"), 200)
    assert second["created_at"] == first["created_at"] and second["name"] == "Renamed" and not second["enabled"]
    # a disabled rule matches nothing
    assert post_event(s, event("evt_crud", "crud.test", document_type="passport"))["matched_rules"] == []
    listed = s.get("/ops/rules?event_type=crud.test").json()
    assert [r["id"] for r in listed["data"]] == ["rul_crud"] and listed["next_cursor"] is None
    d = s.request("DELETE", "/ops/rules/rul_crud")
    assert d.status == 200 and d.json()["id"] == "rul_crud"
    assert_error(s.get("/ops/rules/rul_crud"), 404, "not_found")
    assert_error(s.request("DELETE", "/ops/rules/rul_crud"), 404, "not_found")


def test_rules_page_by_id(rules):
    s = rules
    for i in range(3):
        put_rule(s, f"rul_page{i}", dict(EXAMPLE_RULE, event_type="page.test"))
    p1 = s.get("/ops/rules?event_type=page.test&limit=2").json()
    assert [r["id"] for r in p1["data"]] == ["rul_page0", "rul_page1"] and p1["next_cursor"] == "rul_page1"
    p2 = s.get(f"/ops/rules?event_type=page.test&limit=2&cursor={p1['next_cursor']}").json()
    assert [r["id"] for r in p2["data"]] == ["rul_page2"] and p2["next_cursor"] is None
    assert_error(s.get("/ops/rules?limit=0"), 422, "validation_failed", "limit")
    assert_error(s.get("/ops/rules?event_type=BAD"), 422, "validation_failed", "event_type")
    assert_error(s.get("/ops/rules?sort=id"), 422, "validation_failed", "sort")


def test_agents_read_rules_and_post_events_but_only_admins_change_rules(rules):
    s = rules
    agent = s.token("agent")
    assert_error(s.put("/ops/rules/rul_agent", EXAMPLE_RULE, token=agent), 403, "forbidden")
    assert_error(s.request("DELETE", f"/ops/rules/{DEFAULT_RULE}", token=agent), 403, "forbidden")
    assert s.get("/ops/rules", token=agent).status == 200
    assert s.post("/ops/events", event("evt_agent", "agent.posted"), token=agent).status == 201
    assert_error(s.get("/ops/rules", token=None), 401, "unauthorized")
    assert_error(s.post("/ops/events", event("evt_anon", "agent.posted"), token=None), 401, "unauthorized")


# ---- validation of events ------------------------------------------------------------

BAD_EVENTS = [
    ({"type": "a.b"}, "id"),
    ({"id": "abc", "type": "a.b"}, "id"),
    ({"id": 5, "type": "a.b"}, "id"),
    ({"id": "evt_" + "x" * 65, "type": "a.b"}, "id"),
    ({"id": "evt_ok"}, "type"),
    ({"id": "evt_ok", "type": "rejected"}, "type"),
    ({"id": "evt_ok", "type": "Doc.rejected"}, "type"),
    ({"id": "evt_ok", "type": "doc.rejected!"}, "type"),
    ({"id": "evt_ok", "type": "task.overdue"}, "type"),
    ({"id": "evt_ok", "type": "sla.breached"}, "type"),
    ({"id": "evt_ok", "type": "a.b", "user_id": "abc"}, "user_id"),
    ({"id": "evt_ok", "type": "a.b", "user_id": 7}, "user_id"),
    ({"id": "evt_ok", "type": "a.b", "occurred_at": "yesterday"}, "occurred_at"),
    ({"id": "evt_ok", "type": "a.b", "data": [1]}, "data"),
    ({"id": "evt_ok", "type": "a.b", "data": "x"}, "data"),
    ({"id": "evt_ok", "type": "a.b", "data": {"blob": "x" * 65536}}, "data"),
    ({"id": "evt_ok", "type": "a.b", "extra": 1}, "extra"),
]


@pytest.mark.parametrize("body,field", BAD_EVENTS, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_EVENTS)])
def test_a_bad_event_answers_422_naming_the_field_and_is_not_stored(rules, body, field):
    s = rules
    assert_error(s.post("/ops/events", body), 422, "validation_failed", field)
    assert all(e["id"] != "evt_ok" for e in s.get("/ops/events?limit=500").json()["data"])


def test_event_data_up_to_64_kib_is_accepted(rules):
    blob = "x" * (65536 - len('{"blob":""}'))
    assert rules.post("/ops/events", {"id": "evt_big", "type": "big.data", "data": {"blob": blob}}).status == 201


def test_one_event_is_read_by_its_id_as_the_list_shows_it(rules):
    s = rules
    post_event(s, event("evt_one_by_id", "one.by_id", reason="blurred"))
    listed = [e for e in s.get("/ops/events?type=one.by_id").json()["data"] if e["id"] == "evt_one_by_id"]
    r = s.get("/ops/events/evt_one_by_id")
    assert r.status == 200, r
    assert [r.json()] == listed
    assert r.json()["data"] == {"reason": "blurred"}
    assert_error(s.get("/ops/events/evt_never_posted_anywhere"), 404, "not_found")
    assert_error(s.get("/ops/events/tsk_nope"), 404, "not_found")
    assert_error(s.get("/ops/events/evt_one_by_id", token=None), 401, "unauthorized")


def test_events_list_pages_and_filters(rules):
    s = rules
    for i in range(3):
        post_event(s, event(f"evt_list{i}", "list.test", user=None))
    p1 = s.get("/ops/events?type=list.test&limit=2").json()
    assert [e["id"] for e in p1["data"]] == ["evt_list2", "evt_list1"]
    p2 = s.get(f"/ops/events?type=list.test&limit=2&cursor={p1['next_cursor']}").json()
    assert [e["id"] for e in p2["data"]] == ["evt_list0"] and p2["next_cursor"] is None
    assert s.get("/ops/events?type=list.test&user_id=cus_rules").json()["data"] == []
    assert_error(s.get("/ops/events?cursor=abc"), 422, "validation_failed", "cursor")
    assert_error(s.get("/ops/events?type=x"), 422, "validation_failed", "type")
    assert_error(s.get("/ops/events?user_id=sta_a"), 422, "validation_failed", "user_id")
    assert_error(s.get("/ops/events?limit=501"), 422, "validation_failed", "limit")
    assert_error(s.get("/ops/events?colour=red"), 422, "validation_failed", "colour")


# ---- the service's own events ------------------------------------------------------------

def test_an_urgent_task_going_overdue_creates_a_task_for_the_team_lead(rules):
    s = rules
    put_rule(s, "rul_overdue_urgent", {
        "name": "Escalate overdue urgent work", "event_type": "task.overdue",
        "conditions": [{"field": "data.task.priority", "op": "eq", "value": "URGENT"}],
        "task": {"title": "Overdue: {{data.task.title}}", "description": "Was due {{data.task.due_date}}",
                 "priority": "URGENT", "due_in_days": 0, "assignee": "sta_lead"}})
    # created already overdue: recorded at creation, so the event fires then
    late = s.task(title="File the permit", priority="URGENT", due_date=PAST, user_id="cus_rules")
    s.task(title="Not urgent", priority="LOW", due_date=PAST)
    events = s.get("/ops/events?type=task.overdue").json()["data"]
    mine = [e for e in events if e["data"]["task"]["id"] == late["id"]]
    assert len(mine) == 1 and len(events) == 1, "only the URGENT task's event matched, so only it is kept"
    ev = mine[0]
    assert ev["origin"] == "service" and ev["id"].startswith("sys_") and ev["user_id"] == "cus_rules"
    assert ev["matched_rules"] == ["rul_overdue_urgent"] and len(ev["tasks"]) == 1
    f = s.get_task(ev["tasks"][0])
    assert f["title"] == "Overdue: File the permit" and f["description"] == f"Was due {PAST}"
    assert (f["assignee_id"], f["source"], f["rule_id"], f["event_id"]) == ("sta_lead", "RULE", "rul_overdue_urgent",
                                                                             ev["id"])
    assert f["user_id"] == "cus_rules"
    # moving a due date into the past fires it too, once
    t = s.task(title="Moved", priority="URGENT", due_date=FUTURE)
    s.patch(f"/ops/tasks/{t['id']}", {"due_date": PAST})
    s.patch(f"/ops/tasks/{t['id']}", {"title": "Moved again"})
    evs = [e for e in s.get("/ops/events?type=task.overdue").json()["data"] if e["data"]["task"]["id"] == t["id"]]
    assert len(evs) == 1
    s.request("DELETE", "/ops/rules/rul_overdue_urgent")


def test_completing_and_cancelling_tasks_feed_rules_with_the_tasks_fields(rules):
    s = rules
    for kind in ("completed", "cancelled"):
        put_rule(s, f"rul_{kind}", {"name": kind, "event_type": f"task.{kind}",
                                    "conditions": [{"field": "data.task.title", "op": "contains", "value": "visa"}],
                                    "task": {"title": f"{kind}: {{{{data.task.title}}}}", "due_in_days": 1}})
    a = s.task(title="Renew visa A")
    s.set_status(a["id"], "COMPLETED")
    b = s.task(title="Renew visa B")
    s.set_status(b["id"], "CANCELLED")
    s.task(title="Unrelated")
    titles = {s.get_task(e["tasks"][0])["title"]
              for e in s.get("/ops/events?limit=500").json()["data"] if e["type"].startswith("task.") and e["tasks"]}
    assert {"completed: Renew visa A", "cancelled: Renew visa B"} <= titles
    for kind in ("completed", "cancelled"):
        s.request("DELETE", f"/ops/rules/rul_{kind}")


def test_the_service_events_data_task_keeps_its_fields_and_sla_hours_as_a_real(rules):
    """data.task is the task as the rules see it: the task's fields but for
    updated_at, sla_breached, sla_at_risk and renewal_id, sla_hours a real."""
    s = rules
    put_rule(s, "rul_shape", {"name": "shape", "event_type": "task.completed",
                              "conditions": [{"field": "data.task.title", "op": "eq", "value": "shape of data"}],
                              "task": {"title": "after {{data.task.title}}", "due_in_days": 1}})
    t = s.task(title="shape of data", sla_hours=24, user_id="cus_rules")
    s.set_status(t["id"], "COMPLETED")
    r = s.get("/ops/events?type=task.completed&limit=500")
    ev = [e for e in r.json()["data"] if e["data"]["task"]["id"] == t["id"]][0]
    assert list(ev["data"]["task"]) == [
        "id", "title", "description", "priority", "status", "due_date", "sla_hours", "assignee_id", "user_id",
        "source", "rule_id", "event_id", "created_at", "started_at", "completed_at", "cancelled_at", "sla_due_at",
        "version"]
    assert ev["data"]["task"]["status"] == "COMPLETED" and ev["data"]["task"]["user_id"] == "cus_rules"
    assert b'"sla_hours":24.0' in r.body
    s.request("DELETE", "/ops/rules/rul_shape")


def test_a_chain_of_rule_created_tasks_stops_after_three_levels(rules):
    s = rules
    put_rule(s, "rul_chain", {"name": "chain", "event_type": "task.completed",
                              "conditions": [{"field": "data.task.title", "op": "contains", "value": "chain"}],
                              "task": {"title": "next {{data.task.title}}", "due_in_days": 1}})
    tid = s.task(title="chain start")["id"]
    depths = []
    for level in range(4):
        s.set_status(tid, "COMPLETED")
        ev = [e for e in s.get("/ops/events?type=task.completed&limit=500").json()["data"]
              if e["data"]["task"]["id"] == tid][0]
        depths.append(ev["depth"])
        if not ev["tasks"]:
            assert any("chain stopped" in n for n in ev["notes"])
            break
        tid = ev["tasks"][0]
    assert depths == [0, 1, 2, 3], "a person's task, then three levels of rule-created ones"
    s.request("DELETE", "/ops/rules/rul_chain")


def test_the_sweeper_feeds_task_overdue_to_the_rules(make_server):
    """A task due today in Pago Pago, then the same database served in
    Kiritimati, where that day has passed: the sweeper records it overdue at
    start and the rule makes its follow-up."""
    s = make_server(timezone="Pacific/Pago_Pago", sweep_interval=1)
    s.staff("sta_lead")
    put_rule(s, "rul_sweep", {"name": "sweep", "event_type": "task.overdue",
                              "task": {"title": "Chase {{data.task.title}}", "due_in_days": 0,
                                       "assignee": "sta_lead"}})
    for _ in range(2):
        day = today_in("Pacific/Pago_Pago")
        t = s.task(title="Due today there", due_date=day.isoformat())
        if today_in("Pacific/Pago_Pago") == day and t["status"] == "OPEN":
            break
    assert t["status"] == "OPEN"
    assert s.get("/ops/events?type=task.overdue").json()["data"] == []
    s.stop()
    s.start(timezone="Pacific/Kiritimati")

    def followups():
        evs = s.get("/ops/events?type=task.overdue").json()["data"]
        return evs if evs and evs[0]["tasks"] else None
    evs = wait_until(followups, 10, 0.1, "the sweeper's task.overdue event")
    assert len(evs) == 1 and evs[0]["data"]["task"]["id"] == t["id"]
    f = s.get_task(evs[0]["tasks"][0])
    assert f["title"] == "Chase Due today there" and f["assignee_id"] == "sta_lead"


def test_an_sla_breach_recorded_by_the_sweeper_feeds_sla_breached_to_the_rules(make_server):
    s = make_server(sweep_interval=1)
    s.staff("sta_sla_lead")
    put_rule(s, "rul_sla", {"name": "breach", "event_type": "sla.breached",
                            "conditions": [{"field": "data.task.priority", "op": "eq", "value": "URGENT"}],
                            "task": {"title": "Breached: {{data.task.title}}", "due_in_days": 0,
                                     "assignee": "sta_sla_lead"}})
    t = s.task(title="Quick", priority="URGENT", sla_hours=0.0003)  # 1.08 s
    calm = s.task(title="Calm", priority="LOW", sla_hours=0.0003)

    def followups():
        evs = s.get("/ops/events?type=sla.breached").json()["data"]
        return evs if evs and evs[0]["tasks"] else None
    evs = wait_until(followups, 20, 0.1, "the sweeper's sla.breached event")
    assert len(evs) == 1 and evs[0]["data"]["task"]["id"] == t["id"]
    f = s.get_task(evs[0]["tasks"][0])
    assert f["title"] == "Breached: Quick" and f["source"] == "RULE" and f["rule_id"] == "rul_sla"
    wait_until(lambda: s.get_task(calm["id"])["sla_breached"], 20, 0.1, "the other breach")
    assert len(s.get("/ops/events?type=sla.breached").json()["data"]) == 1, "no rule matched the LOW one"


def test_an_occurred_at_past_year_9999_in_utc_is_refused_and_stores_nothing(rules):
    s = rules
    r = s.post("/ops/events", {"id": "evt_far", "type": "doc.far", "occurred_at": "9999-12-31T23:59:59-23:59"})
    assert_error(r, 422, "validation_failed")
    assert r.json()["error"]["field"] == "occurred_at"
    assert s.get("/ops/events?type=doc.far").json()["data"] == []


def test_a_rule_over_64_kib_is_refused_and_not_stored(rules):
    s = rules
    big = {"name": "big", "event_type": "doc.big",
           "conditions": [{"field": "data.x", "op": "in", "value": [f"{i:04d}" + "v" * 996 for i in range(100)]}],
           "task": {"title": "t", "due_in_days": 1}}
    r = s.put("/ops/rules/rul_big", big)
    assert_error(r, 422, "validation_failed")
    assert "65536" in r.json()["error"]["message"]
    assert s.get("/ops/rules/rul_big").status == 404


# ---- the default rule ------------------------------------------------------------------

def test_the_default_rule_is_installed_once_and_is_editable(make_server):
    s = make_server()
    rules = s.get("/ops/rules").json()["data"]
    assert [r["id"] for r in rules] == [DEFAULT_RULE]
    d = rules[0]
    assert d["event_type"] == "document.rejected" and d["enabled"] and d["conditions"] == []
    assert d["task"]["title"] == "Follow up: rejected {{data.document_type}}"
    assert (d["task"]["priority"], d["task"]["due_in_days"], d["task"]["assignee"]) == ("HIGH", 2, "customer_owner")

    s.staff("sta_owner")
    s.customer("cus_rules", name="Ada", owner="sta_owner")
    ans = post_event(s, event("evt_default", document_type="passport"))
    assert ans["matched_rules"] == [DEFAULT_RULE]
    t = s.get_task(ans["tasks"][0])
    assert (t["title"], t["priority"], t["assignee_id"]) == ("Follow up: rejected passport", "HIGH", "sta_owner")
    assert t["due_date"] in (in_days(2), in_days(3))

    # editable: a PUT replaces it
    edited = dict({k: d[k] for k in ("name", "event_type", "conditions", "task")}, enabled=False)
    assert s.put(f"/ops/rules/{DEFAULT_RULE}", edited).status == 200
    # deleted, it stays deleted across restarts
    assert s.request("DELETE", f"/ops/rules/{DEFAULT_RULE}").status == 200
    s.stop()
    s.start()
    assert s.get("/ops/rules").json()["data"] == []


def test_a_replaced_rule_takes_effect_on_the_next_event(rules):
    s = rules
    body = {"name": "v", "event_type": "version.test", "task": {"title": "first {{data.n}}", "due_in_days": 1}}
    put_rule(s, "rul_version", body)
    a = post_event(s, event("evt_version1", "version.test", n=1))
    body["task"]["title"] = "second {{data.n}}"
    put_rule(s, "rul_version", body, 200)
    b = post_event(s, event("evt_version2", "version.test", n=2))
    assert s.get_task(a["tasks"][0])["title"] == "first 1"
    assert s.get_task(b["tasks"][0])["title"] == "second 2"
    s.request("DELETE", "/ops/rules/rul_version")
    assert post_event(s, event("evt_version3", "version.test", n=3))["matched_rules"] == []


def test_an_acknowledged_event_and_its_tasks_survive_kill_9(make_server):
    s = make_server()
    s.staff("sta_owner")
    s.customer("cus_rules", name="Ada", owner="sta_owner")
    put_rule(s, "rul_durable", dict(EXAMPLE_RULE, event_type="durable.test"))
    body = event("evt_durable", "durable.test", document_type="passport", reason="x")
    first = post_event(s, body)
    assert len(first["tasks"]) == 1
    s.kill9()
    s.start()
    assert post_event(s, body, 200) == first
    t = s.get_task(first["tasks"][0])
    assert (t["rule_id"], t["event_id"]) == ("rul_durable", "evt_durable")


def test_an_event_with_thousands_of_data_keys_is_matched_and_rendered(rules):
    s = rules
    put_rule(s, "rul_wide", {"name": "wide", "event_type": "wide.data",
                             "conditions": [{"field": "data.k4999", "op": "eq", "value": 4999}],
                             "task": {"title": "Key {{data.k4999}} of {{data.k0}}", "due_in_days": 1}})
    data = {f"k{i}": i for i in range(5000)}
    ans = post_event(s, {"id": "evt_wide", "type": "wide.data", "data": data})
    assert s.get_task(ans["tasks"][0])["title"] == "Key 4999 of 0"
    s.request("DELETE", "/ops/rules/rul_wide")
