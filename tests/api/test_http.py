"""HTTP surface: health, tokens and roles, routing (404/405), media types,
and the shape of every error."""
import pytest

from conftest import FUTURE, assert_error

NO_TASK = "tsk_01J00000000000000000000000"


def test_healthz_answers_ok_without_a_token(server):
    r = server.get("/healthz", token=None)
    assert r.status == 200 and r.json() == {"status": "ok"}
    assert r.header("Content-Type").startswith("application/json")


OPS_ROUTES = [("GET", "/ops/tasks"), ("POST", "/ops/tasks"), ("GET", "/ops/tasks/stats"),
              ("GET", f"/ops/tasks/{NO_TASK}"), ("PATCH", f"/ops/tasks/{NO_TASK}"),
              ("GET", f"/ops/tasks/{NO_TASK}/history"), ("GET", "/ops/staff"), ("GET", "/ops/staff/sta_x"),
              ("PUT", "/ops/staff/sta_x"), ("GET", "/ops/customers"), ("GET", "/ops/customers/cus_x"),
              ("PUT", "/ops/customers/cus_x"), ("GET", "/ops/nowhere")]


@pytest.mark.parametrize("auth", [None, "Bearer", "Bearer ", "Bearer not-a-token", "Basic dXNlcjpwYXNz",
                                  "Bearer " + "x" * 300, "ops_token_without_scheme"])
def test_every_ops_route_answers_401_with_www_authenticate_without_a_valid_token(server, auth):
    headers = {"Authorization": auth} if auth is not None else {}
    for method, path in OPS_ROUTES:
        body = {"title": "t", "due_date": FUTURE} if method in ("POST", "PUT", "PATCH") else None
        r = server.request(method, path, body, token=None, headers=headers)
        assert_error(r, 401, "unauthorized")
        assert r.header("WWW-Authenticate").startswith("Bearer"), (method, path)


def test_a_401_writes_nothing(server):
    before = server.stats()
    r = server.post("/ops/tasks", {"title": "t", "due_date": FUTURE}, token="wrong")
    assert r.status == 401
    r = server.put("/ops/staff/sta_unauth", {"name": "X"}, token=None)
    assert r.status == 401
    assert server.stats() == before
    assert server.get("/ops/staff/sta_unauth").status == 404


def test_agent_reads_staff_and_customers(server):
    server.staff("sta_role_a")
    server.customer("cus_role_a")
    agent = server.token("agent")
    assert server.get("/ops/staff", token=agent).status == 200
    assert server.get("/ops/staff/sta_role_a", token=agent).status == 200
    assert server.get("/ops/customers", token=agent).status == 200
    assert server.get("/ops/customers/cus_role_a", token=agent).status == 200


def test_agent_cannot_put_staff_or_customers(server):
    agent = server.token("agent")
    assert_error(server.put("/ops/staff/sta_role_new", {"name": "X"}, token=agent), 403, "forbidden")
    assert_error(server.put("/ops/customers/cus_role_new", {"name": "X"}, token=agent), 403, "forbidden")
    assert server.get("/ops/staff/sta_role_new").status == 404
    assert server.get("/ops/customers/cus_role_new").status == 404
    # nor change an existing one
    server.staff("sta_role_keep", name="Keep")
    assert_error(server.put("/ops/staff/sta_role_keep", {"name": "Changed"}, token=agent), 403, "forbidden")
    assert server.get("/ops/staff/sta_role_keep").json()["name"] == "Keep"


def test_agent_creates_reads_and_changes_tasks(server):
    agent = server.token("agent")
    t = server.task(token=agent, title="Agent task")
    tid = t["id"]
    assert server.get(f"/ops/tasks/{tid}", token=agent).status == 200
    assert server.get("/ops/tasks", token=agent).status == 200
    assert server.get("/ops/tasks/stats", token=agent).status == 200
    assert server.get(f"/ops/tasks/{tid}/history", token=agent).status == 200
    r = server.patch(f"/ops/tasks/{tid}", {"status": "IN_PROGRESS"}, token=agent)
    assert r.status == 200 and r.json()["status"] == "IN_PROGRESS"


def test_admin_token_can_do_everything(server):
    assert server.put("/ops/staff/sta_role_admin", {"name": "A"}).status == 201
    assert server.put("/ops/customers/cus_role_admin", {"name": "C"}).status == 201
    assert server.task()["status"] == "OPEN"


def test_bearer_scheme_is_case_insensitive(server):
    r = server.get("/ops/tasks", token=None, headers={"Authorization": f"bearer {server.admin}"})
    assert r.status == 200


@pytest.mark.parametrize("path", ["/ops", "/ops/", "/ops/nowhere", "/ops/tasks/x/y/z", "/nope",
                                  "/ops/staffers", "/healthz/more"])
def test_unknown_paths_answer_404(server, path):
    assert_error(server.get(path), 404, "not_found")


@pytest.mark.parametrize("method,path,allowed", [
    ("DELETE", "/ops/tasks", {"GET", "POST"}),
    ("PUT", "/ops/tasks", {"GET", "POST"}),
    ("DELETE", f"/ops/tasks/{NO_TASK}", {"GET", "PATCH"}),
    ("POST", f"/ops/tasks/{NO_TASK}", {"GET", "PATCH"}),
    ("POST", f"/ops/tasks/{NO_TASK}/history", {"GET"}),
    ("POST", "/ops/staff", {"GET"}),
    ("DELETE", "/ops/staff/sta_x", {"GET", "PUT"}),
    ("PATCH", "/ops/customers/cus_x", {"GET", "PUT"}),
    ("POST", "/ops/customers", {"GET"}),
    ("POST", "/healthz", {"GET"}),
])
def test_wrong_method_answers_405_with_allow(server, method, path, allowed):
    r = server.request(method, path, {"x": 1} if method != "DELETE" else None)
    assert_error(r, 405, "method_not_allowed")
    got = {m.strip() for m in r.header("Allow").split(",")}
    assert allowed <= got, got
    assert method not in got


@pytest.mark.parametrize("method", ["PATCH", "POST", "DELETE"])
def test_stats_is_its_own_route_with_exactly_get_and_head_allowed(server, method):
    # /ops/tasks/stats must not fall through to /ops/tasks/:id (a 404 for task "stats")
    r = server.request(method, "/ops/tasks/stats", {"x": 1} if method != "DELETE" else None)
    assert_error(r, 405, "method_not_allowed")
    assert [m.strip() for m in r.header("Allow").split(",")] == ["GET", "HEAD"]


def test_head_is_answered_like_get_without_a_body(server):
    r = server.request("HEAD", "/healthz", token=None)
    assert r.status == 200 and r.body == b""


@pytest.mark.parametrize("method,path", [("POST", "/ops/tasks"), ("PUT", "/ops/staff/sta_media"),
                                         ("PUT", "/ops/customers/cus_media"), ("PATCH", "TASK")])
@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded",
                                   "application/jsonx", "multipart/form-data; boundary=x"])
def test_a_body_that_is_not_application_json_answers_415(server, method, path, ctype):
    if path == "TASK":
        path = f"/ops/tasks/{server.task()['id']}"
    r = server.request(method, path, raw='{"name":"N","title":"t","due_date":"2039-01-01"}', content_type=ctype)
    assert_error(r, 415, "unsupported_media_type")


@pytest.mark.parametrize("ctype", ["application/json; charset=utf-8", "Application/JSON",
                                   "application/json;charset=UTF-8"])
def test_application_json_with_parameters_is_accepted(server, ctype):
    r = server.post("/ops/tasks", raw='{"title":"t","due_date":"2039-01-01"}', content_type=ctype)
    assert r.status == 201, r


@pytest.mark.parametrize("raw", [
    '{"title": "t", ',
    "{title: 't'}",
    "",
    "   ",
    '{"title": "t", "due_date": "2039-01-01"} trailing',
    '{"title": "a", "title": "b", "due_date": "2039-01-01"}',
    '{"title": "a\\u0000b", "due_date": "2039-01-01"}',
    b'{"title": "\xff\xfe", "due_date": "2039-01-01"}',
    b'{"title": "\xc3\x28", "due_date": "2039-01-01"}',
    b'{"title": "\xed\xa0\x80", "due_date": "2039-01-01"}',
    "[" * 100000,
    '{"a":' * 100000 + "1" + "}" * 100000,
])
def test_malformed_json_answers_400_bad_json_and_creates_nothing(server, raw):
    before = server.stats()
    assert_error(server.post("/ops/tasks", raw=raw), 400, "bad_json")
    assert server.stats() == before


@pytest.mark.parametrize("raw", ["[1, 2]", "[]", '"a string"', "42", "null", "true"])
def test_a_json_body_that_is_not_an_object_is_refused_and_creates_nothing(server, raw):
    before = server.stats()
    r = server.post("/ops/tasks", raw=raw)
    # a bare scalar is not a JSON text for the parser (400); an array is valid JSON of the wrong shape (422)
    assert_error(r, r.status, {400: "bad_json", 422: "validation_failed"}.get(r.status, "?"))
    assert server.stats() == before


def test_bad_json_on_put_and_patch_answers_400(server):
    t = server.task()
    assert_error(server.put("/ops/staff/sta_badjson", raw="{"), 400, "bad_json")
    assert_error(server.put("/ops/customers/cus_badjson", raw="{"), 400, "bad_json")
    assert_error(server.patch(f"/ops/tasks/{t['id']}", raw="{"), 400, "bad_json")
    assert server.get_task(t["id"]) == t


def test_responses_are_json_and_not_cacheable(server):
    r = server.get("/ops/tasks")
    assert r.header("Content-Type").startswith("application/json")
    assert r.header("Cache-Control") == "no-store"


def test_keep_alive_serves_many_requests_on_one_connection(server):
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for _ in range(20):
            c.request("GET", "/ops/tasks?limit=1", headers={"Authorization": f"Bearer {server.admin}"})
            r = c.getresponse()
            r.read()
            assert r.status == 200
            assert (r.getheader("Connection") or "").lower() != "close"
    finally:
        c.close()
