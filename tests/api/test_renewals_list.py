"""Renewals, the smaller things: an item already expired when the engine
first acts gets an URGENT task due today that says how long ago it expired;
every renewal task says why it exists in its description; GET /ops/renewals
lists the items of every customer with their next threshold and newest task.
Expiry dates are relative to the server's today (UTC here)."""
import datetime
import re

import pytest

from conftest import assert_error, db_query, sqlite_undo_sla_clock

LIST_FIELDS = ["id", "customer_id", "kind", "expires_on", "assignee_id", "created_at", "updated_at",
               "customer_name", "next_threshold", "newest_task"]


def day(offset):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=offset)).isoformat()


def put_item(s, cid, rid, expires_on, kind="residence_permit", assignee=None):
    r = s.put(f"/ops/customers/{cid}/renewals/{rid}", {"kind": kind, "expires_on": expires_on, "assignee_id": assignee})
    assert r.status in (200, 201), r
    return r.json()


def run(s):
    r = s.post("/ops/renewals/run")
    assert r.status == 200, r
    return r.json()


def tasks_of(s, rid):
    r = s.get(f"/ops/tasks?renewal_id={rid}&status=all&sort=created_at")
    assert r.status == 200, r
    return r.json()["data"]


def listing(s, query="", status=200):
    r = s.get(f"/ops/renewals{'?' + query if query else ''}")
    assert r.status == status, r
    return r.json()


@pytest.fixture(scope="module")
def s(server):
    server.staff("sta_l_anna", "Anna")
    server.customer("cus_l_1", "Ayşe Yılmaz", owner="sta_l_anna")
    server.customer("cus_l_2", "Bob Builder")
    return server


# ---- an item expired already ------------------------------------------------------

def test_an_item_expired_when_first_seen_gets_an_urgent_task_due_today_saying_how_long_ago(s):
    exp = day(-5)
    put_item(s, "cus_l_1", "ren_l_expired", exp)
    run(s)  # (or the server's own pass got there first)
    [t] = tasks_of(s, "ren_l_expired")
    assert t["due_date"] == day(0), "due today, not on the past expiry date"
    assert t["status"] == "OPEN", "not overdue from birth"
    assert t["priority"] == "URGENT" and t["sla_hours"] == 24
    assert "expired 5 days ago" in t["description"] and exp in t["description"]
    assert "Residence permit" in t["description"] and "residence_permit" not in t["description"]


def test_an_item_expired_yesterday_says_1_day(s):
    put_item(s, "cus_l_2", "ren_l_yesterday", day(-1), kind="passport")
    run(s)
    [t] = tasks_of(s, "ren_l_yesterday")
    assert t["due_date"] == day(0) and t["priority"] == "URGENT"
    assert "expired 1 day ago" in t["description"]


def test_an_expired_item_is_urgent_whatever_the_policy_says(make_server):
    srv = make_server()
    srv.customer("cus_l_p", "Pat")
    policy = {"title": "Renew {kind}", "thresholds": [{"days_before": 30, "priority": "LOW", "due_in_days": 10}]}
    assert srv.put("/ops/renewal-policy", policy).status == 200
    put_item(srv, "cus_l_p", "ren_l_old", day(-40))
    put_item(srv, "cus_l_p", "ren_l_soon", day(20))
    run(srv)
    [old] = tasks_of(srv, "ren_l_old")
    [soon] = tasks_of(srv, "ren_l_soon")
    assert (old["priority"], old["due_date"]) == ("URGENT", day(0))
    assert "expired 40 days ago" in old["description"]
    assert (soon["priority"], soon["due_date"]) == ("LOW", day(10))


def test_an_item_expiring_today_is_due_today_and_not_called_expired(s):
    put_item(s, "cus_l_2", "ren_l_today", day(0))
    run(s)
    [t] = tasks_of(s, "ren_l_today")
    assert t["due_date"] == day(0) and t["priority"] == "URGENT"
    assert "expired" not in t["description"] and "today" in t["description"]


# ---- descriptions -----------------------------------------------------------------------

def test_a_renewal_task_says_why_it_exists(s):
    exp = day(20)
    put_item(s, "cus_l_1", "ren_l_why", exp)
    run(s)
    [t] = tasks_of(s, "ren_l_why")
    d = t["description"]
    assert d.startswith(f"Residence permit of Ayşe Yılmaz expires on {exp} (in 20 days)"), d
    assert "30 days before expiry" in d, "the threshold crossed"
    assert "ren_l_why" in d
    assert "residence_permit" not in d


def test_a_kind_with_several_underscores_reads_as_words(s):
    put_item(s, "cus_l_2", "ren_l_words", day(50), kind="vehicle_tax_sticker")
    run(s)
    [t] = tasks_of(s, "ren_l_words")
    assert t["description"].startswith("Vehicle tax sticker of Bob Builder expires on")
    assert "60 days before expiry" in t["description"]


def test_the_default_rule_puts_the_reason_in_the_description(make_server):
    srv = make_server()
    srv.staff("sta_l_owner")
    srv.customer("cus_l_r", "Ada", owner="sta_l_owner")
    r = srv.post("/ops/events", {"id": "evt_l_1", "type": "document.rejected", "user_id": "cus_l_r",
                                 "data": {"document_type": "passport", "reason": "unreadable scan"}})
    assert r.status == 201, r
    ans = r.json()
    assert ans["notes"] == [], ans
    t = srv.get_task(ans["tasks"][0])
    assert t["title"] == "Follow up: rejected passport"
    assert "unreadable scan" in t["description"] and "passport" in t["description"]
    assert "evt_l_1" in t["description"]
    rule = srv.get("/ops/rules/rul_default_rejected_document").json()
    assert "{{data.reason}}" in rule["task"]["description"]


def edited_default(srv):
    d = srv.get("/ops/rules/rul_default_rejected_document").json()
    return {k: d[k] for k in ("name", "event_type", "conditions", "task", "enabled")}


OLD_DEFINITION = ('{"name":"Follow up rejected documents","enabled":true,"event_type":"document.rejected",'
                  '"conditions":[],"task":{"title":"Follow up: rejected {{data.document_type}}","description":null,'
                  '"priority":"HIGH","due_in_days":2,"sla_hours":null,"assignee":"customer_owner"}}')


def back_before_descriptions(srv, edited):
    """Makes a stopped server's database as it was before the descriptions
    migration: the old default rule (edited: stamped as changed by a PUT)."""
    version = 6 if srv.db.startswith("postgresql") else 14  # 006_descriptions, 014_descriptions
    db_query(srv, "UPDATE rules SET definition = ?, updated_at = created_at + ? "
                  "WHERE id = 'rul_default_rejected_document'", (OLD_DEFINITION, 1000 if edited else 0))
    # and the migrations after it, which apply again (the views table goes
    # with its migration)
    db_query(srv, "DROP TABLE views")
    if not srv.db.startswith("postgresql"):
        sqlite_undo_sla_clock(srv)  # 017 alters tasks: undone to apply again
    db_query(srv, "DELETE FROM schema_migrations WHERE version >= ?", (version,))


@pytest.mark.parametrize("edited", [False, True])
def test_the_migration_updates_the_default_rule_only_when_nobody_changed_it(make_server, edited):
    srv = make_server()
    srv.stop()
    back_before_descriptions(srv, edited)
    srv.start()
    d = srv.get("/ops/rules/rul_default_rejected_document").json()
    if edited:
        assert d["task"]["description"] is None, "an edited rule stays as its owner made it"
    else:
        assert "{{data.reason}}" in d["task"]["description"]
        assert d["created_at"] == d["updated_at"], "still the untouched default"


# ---- GET /ops/renewals --------------------------------------------------------------------

@pytest.fixture(scope="module")
def lst(make_server_module):
    srv = make_server_module
    srv.staff("sta_m_a", "Mia")
    srv.customer("cus_m_1", "First Customer", owner="sta_m_a")
    srv.customer("cus_m_2", "Second Customer")
    put_item(srv, "cus_m_1", "ren_m_far", day(200), kind="passport")
    put_item(srv, "cus_m_1", "ren_m_soon", day(20))
    put_item(srv, "cus_m_2", "ren_m_mid", day(45), kind="passport", assignee="sta_m_a")
    put_item(srv, "cus_m_2", "ren_m_gone", day(-3))
    run(srv)
    return srv


@pytest.fixture(scope="module")
def make_server_module(tmp_path_factory):
    from conftest import Server, drop_module_db
    srv = Server(tmp_path_factory.mktemp("rlist")).start()
    yield srv
    if srv.proc:
        srv.stop()
    drop_module_db(srv.db)


def test_the_list_is_every_customers_items_by_expiry_date(lst):
    page = listing(lst)
    assert [i["id"] for i in page["data"]] == ["ren_m_gone", "ren_m_soon", "ren_m_mid", "ren_m_far"]
    assert page["next_cursor"] is None
    for i in page["data"]:
        assert list(i) == LIST_FIELDS
    by = {i["id"]: i for i in page["data"]}
    assert by["ren_m_soon"]["customer_name"] == "First Customer"
    assert by["ren_m_mid"]["assignee_id"] == "sta_m_a"


def test_each_item_has_its_next_threshold_and_newest_task(lst):
    by = {i["id"]: i for i in listing(lst)["data"]}
    far = by["ren_m_far"]
    assert far["newest_task"] is None
    assert far["next_threshold"] == {"days_before": 90, "priority": "LOW", "crosses_on": day(110)}
    soon = by["ren_m_soon"]
    [t] = tasks_of(lst, "ren_m_soon")
    assert soon["newest_task"] == {"id": t["id"], "status": "OPEN", "due_date": day(7)}
    assert soon["next_threshold"] == {"days_before": 14, "priority": "URGENT", "crosses_on": day(6)}
    gone = by["ren_m_gone"]
    assert gone["newest_task"]["due_date"] == day(0)
    assert gone["next_threshold"] is None, "the most urgent threshold has acted"


def test_the_newest_task_shows_its_status_as_the_queue_does(lst):
    put_item(lst, "cus_m_1", "ren_m_status", day(25))
    run(lst)
    [t] = tasks_of(lst, "ren_m_status")

    def shown():
        [i] = [x for x in listing(lst, "user_id=cus_m_1")["data"] if x["id"] == "ren_m_status"]
        return i["newest_task"]
    # a task past its due date reads OVERDUE (moved there behind the server's back)
    db_query(lst, "UPDATE tasks SET due_date = ? WHERE id = ?", (day(-2), t["id"]))
    assert shown() == {"id": t["id"], "status": "OVERDUE", "due_date": day(-2)}
    lst.set_status(t["id"], "CANCELLED")
    assert shown() == {"id": t["id"], "status": "CANCELLED", "due_date": day(-2)}


@pytest.mark.parametrize("query,want", [
    ("user_id=cus_m_1", ["ren_m_soon", "ren_m_far"]),
    ("user_id=cus_m_2", ["ren_m_gone", "ren_m_mid"]),
    ("kind=passport", ["ren_m_mid", "ren_m_far"]),
    ("user_id=cus_m_2&kind=passport", ["ren_m_mid"]),
    ("expires_before={45}", ["ren_m_gone", "ren_m_soon"]),
    ("expires_after={20}", ["ren_m_mid", "ren_m_far"]),
    ("expires_after={0}&expires_before={46}", ["ren_m_soon", "ren_m_mid"]),
    ("user_id=cus_m_nobody", []),
    ("kind=visa", []),
])
def test_filters(lst, query, want):
    # Dates are days from today, filled in as the test runs: a run that
    # crosses midnight must not compare yesterday's dates with today's items.
    query = re.sub(r"\{(\d+)\}", lambda m: day(int(m.group(1))), query)
    got = [i["id"] for i in listing(lst, query)["data"] if i["id"] != "ren_m_status"]
    assert got == want


def test_the_cursor_walks_every_item_once_under_a_filter(lst):
    for n in range(7):
        put_item(lst, "cus_m_2", f"ren_m_page{n}", day(300 + n % 3), kind="visa")
    seen, cursor = [], None
    for _ in range(10):
        page = listing(lst, "kind=visa&limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert len(page["data"]) <= 3
        seen += [i["id"] for i in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    want = sorted((f"ren_m_page{n}" for n in range(7)), key=lambda i: (day(300 + int(i[-1]) % 3), i))
    assert seen == want


@pytest.mark.parametrize("query,field", [
    ("user_id=bob", "user_id"),
    ("kind=Passport", "kind"),
    ("expires_before=2026-02-30", "expires_before"),
    ("expires_after=tomorrow", "expires_after"),
    ("limit=0", "limit"),
    ("limit=501", "limit"),
    ("cursor=nope", "cursor"),
    ("cursor=cjF8MjAyNi0wMS0wMXx4", "cursor"),  # r1|2026-01-01|x: not an item id
    ("customer_id=cus_m_1", "customer_id"),
])
def test_bad_parameters_answer_422_naming_them(lst, query, field):
    assert_error(lst.get(f"/ops/renewals?{query}"), 422, "validation_failed", field)


def test_agents_may_list_and_a_token_is_needed(lst):
    agent = lst.token("agent")
    assert lst.get("/ops/renewals", token=agent).status == 200
    assert_error(lst.get("/ops/renewals", token=None), 401, "unauthorized")
