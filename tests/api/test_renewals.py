"""The renewals engine over HTTP: renewable items, the policy, the
run endpoint, tasks created and escalated at threshold crossings, the
renewal_id filter, restarts, and `opstasks import renewals`. Expiry dates are
relative to the server's today (UTC here), so thresholds are already crossed
when a test starts."""
import datetime
import os

import pytest

from conftest import TASK_FIELDS, assert_error, run_cli, wait_until

ITEM_FIELDS = ["id", "customer_id", "kind", "expires_on", "assignee_id", "created_at", "updated_at"]
DEFAULT_POLICY = {
    "title": "Renew {kind} for {customer_name} (expires {expires_on})",
    "thresholds": [
        {"days_before": 90, "priority": "LOW", "due_in_days": 30, "sla_hours": None},
        {"days_before": 60, "priority": "MEDIUM", "due_in_days": 14, "sla_hours": None},
        {"days_before": 30, "priority": "HIGH", "due_in_days": 7, "sla_hours": None},
        {"days_before": 14, "priority": "URGENT", "due_in_days": 2, "sla_hours": 24}]}


def day(offset):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=offset)).isoformat()


@pytest.fixture(scope="module")
def s(server):
    server.staff("sta_r_anna", "Anna")
    server.staff("sta_r_ben", "Ben")
    server.staff("sta_r_gone", "Gone", active=False)
    server.customer("cus_r_1", "Customer One", owner="sta_r_anna")
    server.customer("cus_r_2", "Customer Two")
    return server


def put_item(s, cid, rid, expires_on, kind="residence_permit", assignee=None, status=(200, 201)):
    r = s.put(f"/ops/customers/{cid}/renewals/{rid}", {"kind": kind, "expires_on": expires_on, "assignee_id": assignee})
    assert r.status in status, r
    return r


def run(s):
    r = s.post("/ops/renewals/run")
    assert r.status == 200, r
    body = r.json()
    assert set(body) == {"created", "escalated", "truncated"}, body
    return body


def tasks_of(s, rid):
    r = s.get(f"/ops/tasks?renewal_id={rid}&status=all&sort=created_at")
    assert r.status == 200, r
    return r.json()["data"]


# ---- items ----------------------------------------------------------------------

def test_put_item_creates_with_201_then_updates_with_200(s):
    r = put_item(s, "cus_r_1", "ren_r_one", "2099-03-01", assignee="sta_r_ben")
    assert r.status == 201
    a = r.json()
    assert list(a) == ITEM_FIELDS
    assert (a["id"], a["customer_id"], a["kind"], a["expires_on"], a["assignee_id"]) == \
        ("ren_r_one", "cus_r_1", "residence_permit", "2099-03-01", "sta_r_ben")
    r = put_item(s, "cus_r_1", "ren_r_one", "2099-04-01", kind="passport")
    assert r.status == 200
    b = r.json()
    assert (b["kind"], b["expires_on"], b["assignee_id"], b["created_at"]) == ("passport", "2099-04-01", None,
                                                                                a["created_at"])
    got = s.get("/ops/customers/cus_r_1/renewals/ren_r_one").json()
    assert got.pop("actions") == [], "the engine has done nothing for it yet"
    assert got == b


def test_put_of_the_same_item_again_changes_nothing(s):
    a = put_item(s, "cus_r_1", "ren_r_same", "2099-03-01").json()
    b = put_item(s, "cus_r_1", "ren_r_same", "2099-03-01").json()
    assert b == a


def test_list_is_the_customers_items_by_id_with_a_cursor(s):
    for i in range(3):
        put_item(s, "cus_r_2", f"ren_r_list{i}", "2099-01-01")
    r = s.get("/ops/customers/cus_r_2/renewals?limit=2")
    assert r.status == 200, r
    page = r.json()
    assert [i["id"] for i in page["data"]] == ["ren_r_list0", "ren_r_list1"]
    page2 = s.get(f"/ops/customers/cus_r_2/renewals?limit=2&cursor={page['next_cursor']}").json()
    assert [i["id"] for i in page2["data"]] == ["ren_r_list2"] and page2["next_cursor"] is None
    assert_error(s.get("/ops/customers/cus_r_2/renewals?limit=0"), 422, "validation_failed", "limit")
    assert_error(s.get("/ops/customers/cus_r_2/renewals?bogus=1"), 422, "validation_failed", "bogus")
    assert_error(s.get("/ops/customers/cus_r_nobody/renewals"), 404, "not_found")


@pytest.mark.parametrize("body,code,field", [
    ({"expires_on": "2099-01-01"}, "validation_failed", "kind"),
    ({"kind": "", "expires_on": "2099-01-01"}, "validation_failed", "kind"),
    ({"kind": "Residence Permit", "expires_on": "2099-01-01"}, "validation_failed", "kind"),
    ({"kind": 5, "expires_on": "2099-01-01"}, "validation_failed", "kind"),
    ({"kind": "passport"}, "validation_failed", "expires_on"),
    ({"kind": "passport", "expires_on": "2027-02-29"}, "validation_failed", "expires_on"),
    ({"kind": "passport", "expires_on": "01/03/2027"}, "validation_failed", "expires_on"),
    ({"kind": "passport", "expires_on": None}, "validation_failed", "expires_on"),
    ({"kind": "passport", "expires_on": "2099-01-01", "assignee_id": "sta_r_nobody"}, "unknown_staff", "assignee_id"),
    ({"kind": "passport", "expires_on": "2099-01-01", "assignee_id": "sta_r_gone"}, "unknown_staff", "assignee_id"),
    ({"kind": "passport", "expires_on": "2099-01-01", "assignee_id": "anna"}, "unknown_staff", "assignee_id"),
    ({"kind": "passport", "expires_on": "2099-01-01", "owner": "x"}, "validation_failed", "owner"),
])
def test_invalid_items_answer_422_naming_the_field_and_change_nothing(s, body, code, field):
    assert_error(s.put("/ops/customers/cus_r_1/renewals/ren_r_bad", body), 422, code, field)
    assert_error(s.get("/ops/customers/cus_r_1/renewals/ren_r_bad"), 404, "not_found")


@pytest.mark.parametrize("rid", ["ren_", "renewal_1", "ren_bad!", "ren_" + "x" * 65, "REN_1"])
def test_a_bad_renewal_id_answers_422_naming_id(s, rid):
    assert_error(s.put(f"/ops/customers/cus_r_1/renewals/{rid}", {"kind": "passport", "expires_on": "2099-01-01"}),
                 422, "validation_failed", "id")


def test_an_unknown_customer_answers_404(s):
    assert_error(s.put("/ops/customers/cus_r_nobody/renewals/ren_r_x", {"kind": "passport",
                                                                          "expires_on": "2099-01-01"}),
                 404, "not_found")
    assert_error(s.put("/ops/customers/nobody/renewals/ren_r_x", {"kind": "passport", "expires_on": "2099-01-01"}),
                 404, "not_found")


def test_an_item_belongs_to_one_customer(s):
    put_item(s, "cus_r_1", "ren_r_mine", "2099-01-01")
    assert_error(s.get("/ops/customers/cus_r_2/renewals/ren_r_mine"), 404, "not_found")
    assert_error(s.put("/ops/customers/cus_r_2/renewals/ren_r_mine", {"kind": "passport", "expires_on": "2099-01-01"}),
                 422, "validation_failed", "id")
    assert s.request("DELETE", "/ops/customers/cus_r_2/renewals/ren_r_mine").status == 404
    assert s.get("/ops/customers/cus_r_1/renewals/ren_r_mine").status == 200


def test_agents_read_items_but_only_admins_write_them(s):
    put_item(s, "cus_r_1", "ren_r_agent", "2099-01-01")
    agent = s.token("agent")
    assert s.get("/ops/customers/cus_r_1/renewals/ren_r_agent", token=agent).status == 200
    assert s.get("/ops/customers/cus_r_1/renewals", token=agent).status == 200
    assert_error(s.put("/ops/customers/cus_r_1/renewals/ren_r_agent", {"kind": "passport", "expires_on": "2099-01-01"},
                       token=agent), 403, "forbidden")
    assert_error(s.request("DELETE", "/ops/customers/cus_r_1/renewals/ren_r_agent", token=agent), 403, "forbidden")
    for method, path in [("GET", "/ops/renewal-policy"), ("PUT", "/ops/renewal-policy"),
                         ("POST", "/ops/renewals/run")]:
        assert_error(s.request(method, path, body=DEFAULT_POLICY if method == "PUT" else None, token=agent),
                     403, "forbidden")
    assert_error(s.get("/ops/customers/cus_r_1/renewals", token=None), 401, "unauthorized")


def test_delete_answers_204_and_leaves_the_items_tasks(s):
    put_item(s, "cus_r_1", "ren_r_del", day(20))
    run(s)
    assert len(tasks_of(s, "ren_r_del")) == 1
    r = s.request("DELETE", "/ops/customers/cus_r_1/renewals/ren_r_del")
    assert r.status == 204 and r.body == b"", r
    assert_error(s.get("/ops/customers/cus_r_1/renewals/ren_r_del"), 404, "not_found")
    assert_error(s.request("DELETE", "/ops/customers/cus_r_1/renewals/ren_r_del"), 404, "not_found")
    assert len(tasks_of(s, "ren_r_del")) == 1


# ---- crossings ------------------------------------------------------------------

def test_an_item_20_days_from_expiry_gets_one_high_task_for_the_30_day_threshold(s):
    exp = day(20)
    put_item(s, "cus_r_1", "ren_r_twenty", exp)
    body = run(s)
    mine = [c for c in body["created"] if c["renewal_id"] == "ren_r_twenty"]
    assert len(mine) == 1, body
    assert mine[0]["customer_id"] == "cus_r_1" and mine[0]["expires_on"] == exp and mine[0]["days_before"] == 30
    [t] = tasks_of(s, "ren_r_twenty")
    assert list(t) == TASK_FIELDS
    assert t["id"] == mine[0]["task_id"]
    assert (t["source"], t["renewal_id"], t["user_id"], t["priority"]) == ("RENEWAL", "ren_r_twenty", "cus_r_1", "HIGH")
    assert t["assignee_id"] == "sta_r_anna", "the customer's owner"
    assert t["due_date"] == day(7), "crossed before the item was registered: today plus due_in_days"
    assert t["title"] == f"Renew residence_permit for Customer One (expires {exp})"
    assert s.history(t["id"])[0]["actor"] == "renewals"


def test_repeated_runs_create_nothing_new(s):
    put_item(s, "cus_r_1", "ren_r_repeat", day(45))
    first = run(s)
    assert [c["days_before"] for c in first["created"] if c["renewal_id"] == "ren_r_repeat"] == [60]
    for _ in range(3):
        again = run(s)
        assert not [c for c in again["created"] + again["escalated"] if c["renewal_id"] == "ren_r_repeat"], again
    assert len(tasks_of(s, "ren_r_repeat")) == 1


def test_the_urgent_threshold_sets_the_sla_and_the_item_assignee_wins(s):
    exp = day(10)
    put_item(s, "cus_r_2", "ren_r_urgent", exp, assignee="sta_r_ben")
    run(s)
    [t] = tasks_of(s, "ren_r_urgent")
    assert (t["priority"], t["sla_hours"], t["assignee_id"]) == ("URGENT", 24, "sta_r_ben")
    assert t["due_date"] == day(2)


def test_no_owner_and_no_assignee_leaves_the_task_unassigned(s):
    put_item(s, "cus_r_2", "ren_r_nobody", day(25))
    run(s)
    [t] = tasks_of(s, "ren_r_nobody")
    assert t["assignee_id"] is None


def test_an_item_far_from_expiry_gets_nothing_yet(s):
    put_item(s, "cus_r_1", "ren_r_far", day(91))
    run(s)
    assert tasks_of(s, "ren_r_far") == []


def test_an_active_task_is_escalated_when_a_later_threshold_is_crossed(s):
    put_item(s, "cus_r_1", "ren_r_esc", day(50))
    run(s)
    [t] = tasks_of(s, "ren_r_esc")
    assert t["priority"] == "MEDIUM"
    s.set_status(t["id"], "IN_PROGRESS")
    # the expiry date was wrong: it is in 5 days, so the 14-day threshold is crossed
    put_item(s, "cus_r_1", "ren_r_esc", day(5))
    body = run(s)
    assert [e["task_id"] for e in body["escalated"] if e["renewal_id"] == "ren_r_esc"] == [t["id"]]
    assert not [c for c in body["created"] if c["renewal_id"] == "ren_r_esc"]
    [u] = tasks_of(s, "ren_r_esc")
    assert (u["priority"], u["status"], u["version"]) == ("URGENT", "IN_PROGRESS", t["version"] + 2)
    assert u["due_date"] == day(2), "pulled in from " + t["due_date"]
    # the threshold's 24 hours as given, on a clock restarted at the escalation
    assert u["sla_hours"] == 24 and u["sla_breached"] is False
    assert u["sla_started_at"] > t["sla_started_at"] and u["sla_paused_seconds"] == 0
    lines = [h for h in s.history(t["id"]) if h["actor"] == "renewals"]
    assert {h["field"] for h in lines if h["type"] == "field_changed"} == {"priority", "due_date", "sla_hours",
                                                                         "sla_started_at", "sla_due_at"}


def test_an_item_lists_the_actions_taken_with_their_threshold_and_time(s):
    put_item(s, "cus_r_1", "ren_r_acts", day(50))
    run(s)
    [t] = tasks_of(s, "ren_r_acts")
    put_item(s, "cus_r_1", "ren_r_acts", day(5))
    run(s)
    item = s.get("/ops/customers/cus_r_1/renewals/ren_r_acts").json()
    assert list(item) == ITEM_FIELDS + ["actions"]
    acts = item["actions"]
    assert [(a["expires_on"], a["days_before"], a["action"], a["task_id"]) for a in acts] == \
        [(day(50), 60, "created", t["id"]), (day(5), 14, "escalated", t["id"])]
    # each action's time is its history lines' time, so a page can tell which threshold a line is for
    hist = s.history(t["id"])
    created = [h["at"] for h in hist if h["actor"] == "renewals" and h["type"] == "created"]
    escalated = {h["at"] for h in hist if h["actor"] == "renewals" and h["type"] == "field_changed"}
    assert created == [acts[0]["at"]] and escalated == {acts[1]["at"]}
    # the list of items is as it was
    listed = s.get("/ops/customers/cus_r_1/renewals?limit=500").json()["data"]
    assert all("actions" not in x for x in listed)


def test_a_completed_task_means_a_new_task_at_the_next_threshold(s):
    put_item(s, "cus_r_1", "ren_r_done", day(50))
    run(s)
    [t] = tasks_of(s, "ren_r_done")
    s.set_status(t["id"], "COMPLETED")
    put_item(s, "cus_r_1", "ren_r_done", day(12))  # a new expiry date starts over
    body = run(s)
    assert [c["days_before"] for c in body["created"] if c["renewal_id"] == "ren_r_done"] == [14]
    tasks = tasks_of(s, "ren_r_done")
    assert [x["priority"] for x in tasks] == ["MEDIUM", "URGENT"]


def test_renewal_id_filter_is_validated(s):
    assert_error(s.get("/ops/tasks?renewal_id=nope"), 422, "validation_failed", "renewal_id")
    assert_error(s.get("/ops/tasks/stats?renewal_id=ren_x"), 422, "validation_failed", "renewal_id")
    assert s.get("/ops/tasks?renewal_id=ren_r_none&status=all").json()["data"] == []


def test_manual_tasks_have_no_renewal_id(s):
    t = s.task()
    assert t["renewal_id"] is None and t["source"] == "MANUAL"


def test_run_refuses_query_parameters(s):
    assert_error(s.post("/ops/renewals/run?dry=1"), 422, "validation_failed", "dry")


# ---- the policy ---------------------------------------------------------------------

def test_the_default_policy_is_the_documented_one(s):
    r = s.get("/ops/renewal-policy")
    assert r.status == 200, r
    assert r.json() == DEFAULT_POLICY


@pytest.mark.parametrize("body,field", [
    ({"title": "x", "thresholds": []}, "thresholds"),
    ({"title": "x"}, "thresholds"),
    ({"thresholds": DEFAULT_POLICY["thresholds"]}, "title"),
    ({"title": "", "thresholds": DEFAULT_POLICY["thresholds"]}, "title"),
    ({"title": "Renew {passport}", "thresholds": DEFAULT_POLICY["thresholds"]}, "title"),
    ({"title": "x" * 201, "thresholds": DEFAULT_POLICY["thresholds"]}, "title"),
    ({"title": "x", "thresholds": [{"days_before": 30, "priority": "HIGH", "due_in_days": 7},
                                   {"days_before": 30, "priority": "URGENT", "due_in_days": 2}]},
     "thresholds[1].days_before"),
    ({"title": "x", "thresholds": [{"days_before": 0, "priority": "HIGH", "due_in_days": 7}]},
     "thresholds[0].days_before"),
    ({"title": "x", "thresholds": [{"days_before": -3, "priority": "HIGH", "due_in_days": 7}]},
     "thresholds[0].days_before"),
    ({"title": "x", "thresholds": [{"days_before": 1.5, "priority": "HIGH", "due_in_days": 7}]},
     "thresholds[0].days_before"),
    ({"title": "x", "thresholds": [{"days_before": 30, "priority": "HIGH", "due_in_days": 7},
                                   {"days_before": 14, "priority": "LOW", "due_in_days": 2}]}, "thresholds"),
    ({"title": "x", "thresholds": [{"days_before": 30, "priority": "SOON", "due_in_days": 7}]},
     "thresholds[0].priority"),
    ({"title": "x", "thresholds": [{"days_before": 30, "priority": "HIGH"}]}, "thresholds[0].due_in_days"),
    ({"title": "x", "thresholds": [{"days_before": 30, "priority": "HIGH", "due_in_days": 7, "sla_hours": 0}]},
     "thresholds[0].sla_hours"),
    ({"title": "x", "thresholds": [{"days_before": 30, "priority": "HIGH", "due_in_days": 7, "urgent": True}]},
     "thresholds[0].urgent"),
    ({"title": "x", "thresholds": ["30"]}, "thresholds[0]"),
    ({"title": "x", "thresholds": [{"days_before": d, "priority": "HIGH", "due_in_days": 1}
                                   for d in range(1, 18)]}, "thresholds"),
    ({"title": "x", "thresholds": DEFAULT_POLICY["thresholds"], "extra": 1}, "extra"),
])
def test_invalid_policies_answer_422_and_change_nothing(s, body, field):
    assert_error(s.put("/ops/renewal-policy", body), 422, "validation_failed", field)
    assert s.get("/ops/renewal-policy").json() == DEFAULT_POLICY


def test_a_new_policy_applies_to_items_already_registered(make_server):
    srv = make_server()
    srv.customer("cus_p", "Pat")
    exp = day(100)
    put_item(srv, "cus_p", "ren_p", exp)
    assert run(srv)["created"] == []
    policy = {"title": "{kind} of {customer_name}",
              "thresholds": [{"days_before": 7, "priority": "URGENT", "due_in_days": 1, "sla_hours": 4},
                             {"days_before": 120, "priority": "MEDIUM", "due_in_days": 10}]}
    r = srv.put("/ops/renewal-policy", policy)
    assert r.status == 200, r
    assert r.json()["thresholds"][0] == {"days_before": 120, "priority": "MEDIUM", "due_in_days": 10,
                                         "sla_hours": None}
    assert srv.get("/ops/renewal-policy").json() == r.json()
    body = run(srv)
    # this run makes the task, unless the server's own pass at start (the
    # sweeper's first round, later on a busy machine) came after the put
    assert [c["days_before"] for c in body["created"]] in ([120], []), body
    [t] = tasks_of(srv, "ren_p")
    assert (t["title"], t["priority"], t["due_date"]) == ("residence_permit of Pat", "MEDIUM", day(10))


# ---- restarts -----------------------------------------------------------------------

def test_the_engine_runs_at_start_and_restarts_act_nothing_twice(make_server, tmp_path):
    srv = make_server()
    srv.customer("cus_s", "Sam")
    put_item(srv, "cus_s", "ren_s", day(20))
    srv.stop()
    srv.start()
    [t] = wait_until(lambda: tasks_of(srv, "ren_s"), 10, what="the start-up pass")
    assert t["priority"] == "HIGH"
    srv.kill9()
    srv.start()
    body = run(srv)
    assert body["created"] == [] and body["escalated"] == []
    assert len(tasks_of(srv, "ren_s")) == 1


# ---- CSV import -----------------------------------------------------------------------

def write_csv(tmp_path, text, name="items.csv"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_import_keeps_the_good_rows_reports_the_bad_ones_and_a_rerun_changes_nothing(s, tmp_path):
    f = write_csv(tmp_path, "customer_id,renewal_id,kind,expires_on,assignee_id\n"
                            "cus_r_1,ren_r_csv1,passport,2099-05-01,\n"
                            "cus_r_1,ren_r_csv2,insurance,2099-02-30,\n"
                            '"cus_r_2","ren_r_csv3","residence_permit","2099-06-01",sta_r_ben\n'
                            "cus_r_nobody,ren_r_csv4,passport,2099-05-01,\n"
                            "cus_r_1,ren_r_csv5,passport\n")
    p = run_cli("import", "renewals", "--db", s.db, f)
    assert p.returncode == 1, p.stderr
    out = p.stdout
    assert "line 3:" in out and "expires_on" in out
    assert "line 5:" in out and "cus_r_nobody" in out
    assert "line 6:" in out
    assert "line 2:" not in out and "line 4:" not in out
    assert "imported 2 rows (2 created, 0 updated, 0 unchanged); refused 3 rows" in out
    a = s.get("/ops/customers/cus_r_1/renewals/ren_r_csv1").json()
    assert (a["kind"], a["expires_on"], a["assignee_id"]) == ("passport", "2099-05-01", None)
    b = s.get("/ops/customers/cus_r_2/renewals/ren_r_csv3").json()
    assert (b["kind"], b["assignee_id"]) == ("residence_permit", "sta_r_ben")
    assert s.get("/ops/customers/cus_r_1/renewals/ren_r_csv2").status == 404

    p2 = run_cli("import", "renewals", "--db", s.db, f)
    assert p2.returncode == 1
    assert "imported 2 rows (0 created, 0 updated, 2 unchanged); refused 3 rows" in p2.stdout
    assert s.get("/ops/customers/cus_r_1/renewals/ren_r_csv1").json() == a


def test_import_of_a_clean_file_exits_0_and_updates_rows_whose_values_changed(s, tmp_path):
    f = write_csv(tmp_path, "renewal_id,customer_id,expires_on,kind,assignee_id\r\n"
                            "ren_r_csv9,cus_r_1,2099-01-01,passport,\r\n")
    p = run_cli("import", "renewals", "--db", s.db, f)
    assert p.returncode == 0, p.stdout + p.stderr
    f2 = write_csv(tmp_path, "renewal_id,customer_id,expires_on,kind,assignee_id\n"
                             "ren_r_csv9,cus_r_1,2099-02-01,passport,\n", name="b.csv")
    p = run_cli("import", "renewals", "--db", s.db, f2)
    assert p.returncode == 0 and "(0 created, 1 updated, 0 unchanged)" in p.stdout, p.stdout
    assert s.get("/ops/customers/cus_r_1/renewals/ren_r_csv9").json()["expires_on"] == "2099-02-01"


@pytest.mark.parametrize("text", ["", "customer_id,renewal_id,kind\n", "customer_id,renewal_id,kind,expires_on,x\n"])
def test_import_refuses_a_file_without_the_header_and_writes_nothing(tmp_path, text):
    f = write_csv(tmp_path, text)
    p = run_cli("import", "renewals", "--db", str(tmp_path / "i.db"), f)
    assert p.returncode == 1 and p.stderr.strip(), p.stderr


@pytest.mark.parametrize("args", [["import"], ["import", "things"], ["import", "renewals", "x.csv"],
                                  ["import", "renewals", "--db", "DB"], ["import", "renewals", "--db", "DB", "a", "b"]])
def test_import_bad_command_lines_exit_2(tmp_path, args):
    args = [str(tmp_path / "x.db") if a == "DB" else a for a in args]
    p = run_cli(*args)
    assert p.returncode == 2, (args, p.stderr)
    assert p.stdout == ""


def test_import_of_a_missing_file_exits_1(tmp_path):
    p = run_cli("import", "renewals", "--db", str(tmp_path / "x.db"), str(tmp_path / "none.csv"))
    assert p.returncode == 1 and "none.csv" in p.stderr


def test_import_of_many_rows_across_transactions_reports_bad_lines_anywhere(s, tmp_path):
    lines = ["customer_id,renewal_id,kind,expires_on,assignee_id"]
    bad = set()
    for i in range(12000):
        if i % 2500 == 1234:
            lines.append(f"cus_r_2,ren_r_bulk{i},passport,not-a-date,")
            bad.add(i + 2)  # line numbers count the header as line 1
        else:
            lines.append(f"cus_r_2,ren_r_bulk{i},passport,2099-0{1 + i % 9}-15,")
    f = write_csv(tmp_path, "\n".join(lines) + "\n")
    p = run_cli("import", "renewals", "--db", s.db, f, timeout=120)
    assert p.returncode == 1, p.stderr
    refused = {int(line.split()[1].rstrip(":")) for line in p.stdout.splitlines() if line.startswith("line ")}
    assert refused == bad
    assert f"imported {12000 - len(bad)} rows ({12000 - len(bad)} created, 0 updated, 0 unchanged)" in p.stdout
    assert "12000 rows read" in p.stderr
    r = s.get("/ops/customers/cus_r_2/renewals/ren_r_bulk11999")
    assert r.status == 200 and r.json()["expires_on"] == "2099-03-15"


def test_import_on_a_terminal_draws_a_progress_bar(s, tmp_path):
    import pty
    import subprocess
    from conftest import BIN, child_env
    f = write_csv(tmp_path, "customer_id,renewal_id,kind,expires_on,assignee_id\ncus_r_1,ren_r_tty,passport,2099-01-01,\n")
    master, slave = pty.openpty()
    try:
        p = subprocess.run([BIN, "import", "renewals", "--db", s.db, f], stdout=subprocess.PIPE, stderr=slave,
                           stdin=subprocess.DEVNULL, env=child_env(), timeout=60)
        os.close(slave)
        slave = None
        err = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert p.returncode == 0, err
    assert b"\r" in err and b"[" in err and b"100%" in err, err


def test_two_runs_at_once_act_once(s):
    import threading
    for i in range(30):
        put_item(s, "cus_r_2", f"ren_r_race{i}", day(25))
    results = []

    def go():
        results.append(run(s))

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    created = [c["renewal_id"] for r in results for c in r["created"] if c["renewal_id"].startswith("ren_r_race")]
    assert len(created) == len(set(created)), "an item acted on twice"  # (the sweeper's pass may take some)
    for i in range(30):
        assert len(tasks_of(s, f"ren_r_race{i}")) == 1


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_threshold_days_are_days_in_the_servers_timezone(make_server, tz):
    from conftest import today_in
    srv = make_server(timezone=tz)
    srv.customer("cus_z", "Zed")
    today = today_in(tz)
    put_item(srv, "cus_z", "ren_z_on", (today + datetime.timedelta(days=90)).isoformat())
    put_item(srv, "cus_z", "ren_z_before", (today + datetime.timedelta(days=91)).isoformat())
    body = run(srv)
    if today_in(tz) != today:  # the day changed there during the test: nothing to judge
        return
    # this run acts, unless the server's own pass at start came after the puts
    assert [c["renewal_id"] for c in body["created"]] in (["ren_z_on"], []), body
    assert tasks_of(srv, "ren_z_before") == []
    [t] = tasks_of(srv, "ren_z_on")
    assert t["due_date"] == (today + datetime.timedelta(days=30)).isoformat()
