"""The SLA and overdue reports: rows for a hand-computed data set
in a timezone with a DST change, the window's day boundaries, the order,
parameters, and the CSV form parsed back."""
import csv
import datetime
import io

import pytest

from conftest import FUTURE, Server, assert_error, db_query, drop_module_db, today_in

UTC = datetime.timezone.utc
H = 3600_000


def ms(s):
    return int(datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000)


def tid(n):
    return f"tsk_{n:026d}"


PRIO = {"URGENT": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}


def row(n, assignee, prio, created, due, status="COMPLETED", completed=None, user=None):
    r = dict(id=tid(n), title=f"R{n}", prio=PRIO[prio], status=status, overdue_recorded=0, due_date=FUTURE,
             sla_hours=(ms(due) - ms(created)) / H, sla_due_at=ms(due), sla_risk_at=ms(due), assignee_id=assignee,
             user_id=user, source="MANUAL", created_at=ms(created), updated_at=ms(created), version=1)
    if completed:
        r["completed_at"] = ms(completed)
    if status == "CANCELLED":
        r["cancelled_at"] = ms(created) + H
    return r


# Server timezone Europe/Berlin; the March 2026 window is
# [2026-02-28T23:00Z, 2026-03-31T22:00Z): DST begins on 29 March.
DATA = [
    row(1, "sta_r_a", "HIGH", "2026-03-02T08:00Z", "2026-03-02T12:00Z", completed="2026-03-02T10:00Z"),  # met 2 h
    row(2, "sta_r_a", "HIGH", "2026-03-03T08:00Z", "2026-03-03T12:00Z", completed="2026-03-03T14:00Z"),  # late 6 h
    row(3, "sta_r_a", "LOW", "2026-03-04T08:00Z", "2026-03-04T09:00Z", status="OPEN"),  # breached, active
    row(4, "sta_r_a", "LOW", "2026-03-05T08:00Z", "2026-03-05T10:00Z", status="CANCELLED"),
    row(5, "sta_r_b", "URGENT", "2026-03-10T00:00Z", "2026-03-10T10:00Z", completed="2026-03-10T01:00Z"),  # 1 h
    row(6, "sta_r_b", "URGENT", "2026-03-11T00:00Z", "2026-03-11T10:00Z", completed="2026-03-11T03:00Z"),  # 3 h
    row(7, "sta_r_b", "MEDIUM", "2026-03-12T00:00Z", "2026-03-12T10:00Z", completed="2026-03-12T05:00Z"),  # 5 h
    row(8, None, "MEDIUM", "2026-03-20T08:00Z", "2026-03-20T12:00Z", completed="2026-03-20T20:00Z"),  # late 12 h
    # the window's edges, in Berlin time
    row(9, "sta_r_a", "URGENT", "2026-02-28T20:00Z", "2026-02-28T22:59:59.999Z", completed="2026-02-28T21:00Z"),  # out
    row(10, "sta_r_b", "URGENT", "2026-02-28T20:00Z", "2026-02-28T23:00Z", completed="2026-02-28T22:00Z"),  # in, 2 h
    row(11, "sta_r_b", "URGENT", "2026-03-31T12:00Z", "2026-03-31T21:59:59.999Z", status="IN_PROGRESS"),  # in
    row(12, None, "URGENT", "2026-03-31T12:00Z", "2026-03-31T22:00Z", completed="2026-03-31T13:00Z"),  # out
]


@pytest.fixture(scope="module")
def rep(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("rep"), timezone="Europe/Berlin").start()
    for sid, name in (("sta_r_a", "Rita Aydın"), ("sta_r_b", "Rob, \"B\"")):
        s.staff(sid, name)
    s.agent = s.token("agent")
    s.stop()
    for r in DATA:
        db_query(s, f"INSERT INTO tasks ({', '.join(r)}) VALUES ({', '.join('?' for _ in r)})", list(r.values()))
    # a task without an SLA is never in the report
    db_query(s, "INSERT INTO tasks (id, title, prio, status, due_date, source, created_at, updated_at, version)"
                " VALUES (?, 'no sla', 2, 'OPEN', '2026-03-10', 'MANUAL', ?, ?, 1)",
             (tid(99), ms("2026-03-10T00:00Z"), ms("2026-03-10T00:00Z")))
    s.start()
    yield s
    s.stop()
    drop_module_db(s.db)


def report(s, query, **kw):
    r = s.get(f"/ops/reports/sla?{query}", **kw)
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("application/json")
    return r.json()


def g(key, tasks, met, breached, active, cancelled, compliance, median, p90, **name):
    """A report row; name is assignee_name=... or customer_name=... when the
    grouping has names."""
    return {"key": key, **name, "tasks_with_sla": tasks, "met": met, "breached": breached, "breached_active": active,
            "cancelled": cancelled, "compliance": compliance, "median_hours_to_complete": median,
            "p90_hours_to_complete": p90, "paused_seconds": 0}


TOTAL = g("total", 10, 5, 2, 2, 1, 0.5556, 3.0, 8.4)
NAMED_TOTAL = g("total", 10, 5, 2, 2, 1, 0.5556, 3.0, 8.4, assignee_name=None)


def test_sla_report_by_assignee_worst_compliance_first(rep):
    got = report(rep, "from=2026-03-01&to=2026-03-31&group_by=assignee")
    assert got == {"from": "2026-03-01", "to": "2026-03-31", "group_by": "assignee", "rows": [
        g(None, 1, 0, 1, 0, 0, 0.0, 12.0, 12.0, assignee_name="Unassigned"),
        g("sta_r_a", 4, 1, 1, 1, 1, 0.3333, 4.0, 5.6, assignee_name="Rita Aydın"),
        g("sta_r_b", 5, 4, 0, 1, 0, 0.8, 2.5, 4.4, assignee_name='Rob, "B"'),
    ], "total": NAMED_TOTAL}


def test_sla_report_by_priority_breaks_ties_by_key(rep):
    got = report(rep, "from=2026-03-01&to=2026-03-31&group_by=priority", token=rep.agent)
    assert [(r["key"], r["compliance"]) for r in got["rows"]] == [
        ("LOW", 0.0), ("HIGH", 0.5), ("MEDIUM", 0.5), ("URGENT", 0.75)]
    assert got["total"] == TOTAL


def test_sla_report_by_day_and_week_in_the_servers_timezone(rep):
    days = {r["key"]: r for r in report(rep, "from=2026-03-01&to=2026-03-31&group_by=day")["rows"]}
    assert set(days) == {"2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-10",
                         "2026-03-11", "2026-03-12", "2026-03-20", "2026-03-31"}
    assert days["2026-03-01"] == g("2026-03-01", 1, 1, 0, 0, 0, 1.0, 2.0, 2.0)
    assert days["2026-03-05"] == g("2026-03-05", 1, 0, 0, 0, 1, None, None, None)
    weeks = report(rep, "from=2026-03-01&to=2026-03-31&group_by=week")["rows"]
    assert [(r["key"], r["tasks_with_sla"]) for r in weeks] == [
        ("2026-03-16", 1), ("2026-03-30", 1), ("2026-03-02", 4), ("2026-02-23", 1), ("2026-03-09", 3)]


def test_sla_report_window_edges_are_local_midnights(rep):
    # 1 March alone holds task 10 (due at 00:00 Berlin), not task 9 (23:59:59.999 the day before)
    got = report(rep, "from=2026-03-01&to=2026-03-01&group_by=assignee")
    assert got["rows"] == [g("sta_r_b", 1, 1, 0, 0, 0, 1.0, 2.0, 2.0, assignee_name='Rob, "B"')]
    got = report(rep, "from=2026-02-28&to=2026-02-28&group_by=assignee")
    assert got["rows"] == [g("sta_r_a", 1, 1, 0, 0, 0, 1.0, 1.0, 1.0, assignee_name="Rita Aydın")]
    got = report(rep, "from=2026-04-01&to=2026-04-01&group_by=source")
    assert got["rows"] == [g("MANUAL", 1, 1, 0, 0, 0, 1.0, 1.0, 1.0)]


def test_an_empty_window_has_an_empty_total(rep):
    got = report(rep, "from=2025-01-01&to=2025-12-31&group_by=customer")
    assert got["rows"] == [] and got["total"] == g("total", 0, 0, 0, 0, 0, None, None, None, customer_name=None)


def test_tasks_not_yet_due_count_only_as_tasks_with_sla(make_server):
    s = make_server()
    s.task(sla_hours=100)
    today = datetime.datetime.now(UTC).date()
    got = report(s, f"from={today}&to={today + datetime.timedelta(days=10)}&group_by=source")
    assert got["rows"] == [g("MANUAL", 1, 0, 0, 0, 0, None, None, None)]


def parse_csv(r):
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("text/csv")
    text = r.body.decode()
    assert text.endswith("\r\n")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def as_csv_row(d):
    return {k: "" if v is None else (f"{v:g}" if isinstance(v, float) else str(v)) for k, v in d.items()}


@pytest.mark.parametrize("how", ["format", "accept"])
def test_sla_report_as_csv_parses_back_to_the_json(rep, how):
    q = "from=2026-03-01&to=2026-03-31&group_by=assignee"
    if how == "format":
        r = rep.get(f"/ops/reports/sla?{q}&format=csv")
    else:
        r = rep.get(f"/ops/reports/sla?{q}", headers={"Accept": "text/csv"})
    rows = parse_csv(r)
    j = report(rep, q)
    want = [as_csv_row(x) for x in j["rows"] + [j["total"]]]
    got = [{k: (f"{float(v):g}" if k in ("compliance", "median_hours_to_complete", "p90_hours_to_complete") and v
                else v) for k, v in x.items()} for x in rows]
    assert got == want


@pytest.mark.parametrize("query,field", [
    ("to=2026-03-31", "from"),
    ("from=2026-03-01", "to"),
    ("from=2026-3-01&to=2026-03-31", "from"),
    ("from=2026-03-01&to=2026-02-30", "to"),
    ("from=2026-03-02&to=2026-03-01", "to"),
    ("from=2025-01-01&to=2026-01-02", "to"),  # 367 days
    ("from=2026-03-01&to=2026-03-31&group_by=team", "group_by"),
    ("from=2026-03-01&to=2026-03-31&format=xml", "format"),
    ("from=2026-03-01&to=2026-03-31&sort=key", "sort"),
])
def test_bad_report_parameters_answer_422_naming_them(rep, query, field):
    assert_error(rep.get(f"/ops/reports/sla?{query}"), 422, "validation_failed", field)


def test_a_window_of_366_days_is_allowed(rep):
    assert rep.get("/ops/reports/sla?from=2024-01-01&to=2024-12-31").status == 200


def test_reports_need_a_token(rep):
    assert_error(rep.get("/ops/reports/sla?from=2026-03-01&to=2026-03-31", token=None), 401, "unauthorized")
    assert_error(rep.get("/ops/reports/overdue", token=None), 401, "unauthorized")


# ---- overdue ---------------------------------------------------------------------------------

def test_overdue_report_counts_by_assignee_and_priority_in_aging_buckets(make_server):
    s = make_server(timezone="America/New_York")
    s.staff("sta_o_a", "Olga")
    s.staff("sta_o_b", 'Oz, "B"')
    for _ in range(2):
        today = today_in("America/New_York")
        ago = lambda n: (today - datetime.timedelta(days=n)).isoformat()  # noqa: E731
        made = [
            s.task(due_date=ago(1), assignee_id="sta_o_a", priority="HIGH"),
            s.task(due_date=ago(2), assignee_id="sta_o_a", priority="HIGH"),
            s.task(due_date=ago(7), assignee_id="sta_o_a", priority="LOW"),
            s.task(due_date=ago(8), assignee_id="sta_o_b", priority="URGENT"),
            s.task(due_date=ago(30), priority="URGENT"),
            s.task(due_date=ago(1), assignee_id="sta_o_b", priority="LOW"),
        ]
        done = s.task(due_date=ago(3), assignee_id="sta_o_b")  # finished: not overdue
        s.set_status(done["id"], "COMPLETED")
        s.task(due_date=today.isoformat(), assignee_id="sta_o_b")  # due today: not overdue yet
        if today_in("America/New_York") == today:
            break
        for t in made:
            s.set_status(t["id"], "CANCELLED")
    r = s.get("/ops/reports/overdue")
    assert r.status == 200, r
    got = r.json()
    assert got["as_of"] == today.isoformat()

    def b(key, one, mid, old, **name):
        return {"key": key, **name, "1_day": one, "2_to_7_days": mid, "over_7_days": old, "total": one + mid + old}
    assert got["by_assignee"] == [b("sta_o_a", 1, 2, 0, assignee_name="Olga"),
                                  b("sta_o_b", 1, 0, 1, assignee_name='Oz, "B"'),
                                  b(None, 0, 0, 1, assignee_name="Unassigned")]
    assert got["by_priority"] == [b("URGENT", 0, 0, 2), b("HIGH", 1, 1, 0), b("MEDIUM", 0, 0, 0), b("LOW", 1, 1, 0)]
    assert got["total"] == b("total", 2, 2, 2)

    rows = parse_csv(s.get("/ops/reports/overdue?format=csv"))
    assert [list(x.values()) for x in rows] == [
        ["assignee", "sta_o_a", "Olga", "1", "2", "0", "3"], ["assignee", "sta_o_b", "Oz, \"B\"", "1", "0", "1", "2"],
        ["assignee", "", "Unassigned", "0", "0", "1", "1"],
        ["priority", "URGENT", "", "0", "0", "2", "2"], ["priority", "HIGH", "", "1", "1", "0", "2"],
        ["priority", "MEDIUM", "", "0", "0", "0", "0"], ["priority", "LOW", "", "1", "1", "0", "2"],
        ["total", "", "", "2", "2", "2", "6"]]
    assert list(rows[0]) == ["dimension", "key", "assignee_name", "1_day", "2_to_7_days", "over_7_days", "total"]
    assert_error(s.get("/ops/reports/overdue?group_by=x"), 422, "validation_failed", "group_by")


def test_csv_quotes_fields_per_rfc_4180(make_server):
    s = make_server()
    s.task(sla_hours=1)  # source MANUAL, nothing to quote; the quoting itself:
    r = s.get("/ops/reports/sla?from=2026-01-01&to=2026-01-01&format=csv")
    assert r.body.decode().splitlines()[0] == ("key,assignee_name,tasks_with_sla,met,breached,breached_active,"
                                               "cancelled,compliance,median_hours_to_complete,p90_hours_to_complete,paused_seconds")
    r = s.get("/ops/reports/sla?from=2026-01-01&to=2026-01-01&group_by=source&format=csv")
    assert r.body.decode().splitlines()[0] == ("key,tasks_with_sla,met,breached,breached_active,cancelled,"
                                               "compliance,median_hours_to_complete,p90_hours_to_complete,paused_seconds")


def test_sla_report_by_customer_names_each_customer_and_labels_no_customer(make_server):
    s = make_server()
    s.customer("cus_n_1", 'Smith, "Jr"')
    s.customer("cus_n_2", "Ayşe Yılmaz")
    s.task(sla_hours=100, user_id="cus_n_1")
    s.task(sla_hours=100, user_id="cus_n_1")
    s.task(sla_hours=100, user_id="cus_n_2")
    s.task(sla_hours=100)
    today = datetime.datetime.now(UTC).date()
    q = f"from={today}&to={today + datetime.timedelta(days=10)}&group_by=customer"
    got = report(s, q)
    names = {r["key"]: r["customer_name"] for r in got["rows"]}
    assert names == {"cus_n_1": 'Smith, "Jr"', "cus_n_2": "Ayşe Yılmaz", None: "No customer"}
    assert {r["key"]: r["tasks_with_sla"] for r in got["rows"]} == {"cus_n_1": 2, "cus_n_2": 1, None: 1}
    assert got["total"]["customer_name"] is None
    rows = parse_csv(s.get(f"/ops/reports/sla?{q}&format=csv"))
    assert list(rows[0])[:2] == ["key", "customer_name"]
    assert {r["key"]: r["customer_name"] for r in rows} == {"cus_n_1": 'Smith, "Jr"', "cus_n_2": "Ayşe Yılmaz",
                                                            "": "No customer", "total": ""}
    # a renamed customer shows its new name
    s.customer("cus_n_2", "Ayşe Demir")
    assert {r["key"]: r["customer_name"] for r in report(s, q)["rows"]}["cus_n_2"] == "Ayşe Demir"


def test_other_groupings_carry_no_name(rep):
    for by in ("priority", "source", "day", "week"):
        got = report(rep, f"from=2026-03-01&to=2026-03-31&group_by={by}")
        assert all("assignee_name" not in r and "customer_name" not in r for r in got["rows"] + [got["total"]])
