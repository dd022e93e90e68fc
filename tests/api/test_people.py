"""Black-box tests of staff, customers, tokens and roles."""
import pytest


def test_health_needs_no_token(server):
    r = server.get("/healthz", token=None)
    assert r.status == 200 and r.json() == {"status": "ok"}


@pytest.mark.parametrize("auth", [None, "Bearer", "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 300])
def test_ops_routes_need_a_valid_bearer_token(server, auth):
    headers = {"Authorization": auth} if auth else {}
    for method, path in [("GET", "/ops/tasks"), ("POST", "/ops/tasks"), ("GET", "/ops/staff"),
                         ("GET", "/ops/nowhere")]:
        r = server.request(method, path, token=None, headers=headers, body={} if method == "POST" else None)
        assert r.status == 401, (method, path, r)
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.header("WWW-Authenticate").startswith("Bearer")


def test_staff_upsert_answers_201_then_200(server):
    r = server.put("/ops/staff/sta_p_anna", {"name": "Anna", "email": "anna@example.com", "active": True})
    assert r.status == 201, r
    a = r.json()
    assert (a["id"], a["name"], a["email"], a["active"]) == ("sta_p_anna", "Anna", "anna@example.com", True)
    r = server.put("/ops/staff/sta_p_anna", {"name": "Anna B", "email": None, "active": False})
    assert r.status == 200
    b = r.json()
    assert (b["name"], b["email"], b["active"], b["created_at"]) == ("Anna B", None, False, a["created_at"])
    assert server.get("/ops/staff/sta_p_anna").json() == b


@pytest.mark.parametrize("path,body,field", [
    ("/ops/staff/anna", {"name": "A"}, "id"),
    ("/ops/staff/sta_" + "x" * 65, {"name": "A"}, "id"),
    ("/ops/staff/sta_bad!", {"name": "A"}, "id"),
    ("/ops/staff/sta_ok", {}, "name"),
    ("/ops/staff/sta_ok", {"name": ""}, "name"),
    ("/ops/staff/sta_ok", {"name": "A", "email": "not-an-email"}, "email"),
    ("/ops/staff/sta_ok", {"name": "A", "active": "yes"}, "active"),
    ("/ops/staff/sta_ok", {"name": "A", "role": "boss"}, "role"),
    ("/ops/customers/sta_wrong", {"name": "C"}, "id"),
    ("/ops/customers/cus_ok", {"name": "C", "owner_id": 3}, "owner_id"),
])
def test_invalid_staff_and_customers_are_refused_naming_the_field(server, path, body, field):
    r = server.put(path, body)
    assert r.status == 422, r
    assert r.json()["error"]["field"] == field
    assert server.get(path).status == 404


def test_customer_owner_must_be_staff(server):
    r = server.put("/ops/customers/cus_p_1", {"name": "C", "owner_id": "sta_p_nobody"})
    assert r.status == 422 and r.json()["error"]["code"] == "unknown_staff"
    server.staff("sta_p_owner")
    r = server.put("/ops/customers/cus_p_1", {"name": "Customer", "email": "c@example.com", "owner_id": "sta_p_owner"})
    assert r.status == 201
    assert server.get("/ops/customers/cus_p_1").json()["owner_id"] == "sta_p_owner"
    r = server.put("/ops/customers/cus_p_1", {"name": "Customer", "owner_id": None})
    assert r.status == 200 and r.json()["owner_id"] is None


def test_lists_page_through_staff_and_customers(server):
    for i in range(12):
        server.staff(f"sta_list_{i:02d}")
        server.customer(f"cus_list_{i:02d}")
    for kind, prefix in [("staff", "sta_list_"), ("customers", "cus_list_")]:
        seen, cursor = [], None
        for _ in range(100):
            r = server.get(f"/ops/{kind}?limit=5" + (f"&cursor={cursor}" if cursor else ""))
            assert r.status == 200
            seen += [x["id"] for x in r.json()["data"]]
            cursor = r.json()["next_cursor"]
            if not cursor:
                break
        mine = [x for x in seen if x.startswith(prefix)]
        assert mine == sorted(mine) and len(mine) == 12 and len(seen) == len(set(seen))
    assert server.get("/ops/staff?limit=0").status == 422
    assert server.get("/ops/customers?sort=name").status == 422


def test_agent_reads_people_and_writes_tasks_but_cannot_change_people(server):
    agent = server.token("agent")
    assert server.get("/ops/staff", token=agent).status == 200
    assert server.get("/ops/customers", token=agent).status == 200
    r = server.put("/ops/staff/sta_p_agentmade", {"name": "X"}, token=agent)
    assert r.status == 403 and r.json()["error"]["code"] == "forbidden"
    r = server.put("/ops/customers/cus_p_agentmade", {"name": "X"}, token=agent)
    assert r.status == 403
    assert server.get("/ops/staff/sta_p_agentmade").status == 404
    t = server.post("/ops/tasks", {"title": "Agent task", "due_date": "2099-01-01"}, token=agent)
    assert t.status == 201
    assert server.patch(f"/ops/tasks/{t.json()['id']}", {"status": "IN_PROGRESS"}, token=agent).status == 200
