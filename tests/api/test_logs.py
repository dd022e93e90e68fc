"""The access log: one line per request on stderr with its request id,
method, route pattern, status, time and client address, as text or as JSON
lines (--log-format json, then every line the server writes is JSON); the
request id round-trips through X-Request-Id; and no secret a client sends
(token, session cookie, CSRF token, a secret in a path or query) ever appears
in what the server writes."""
import json
import re

import pytest

from conftest import assert_error, run_cli, wait_until

TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ info request request_id=(\S+) method=(\S+) route=(\S+) "
                       r"status=(\d+) ms=(\d+\.\d{3}) client=(\S+)$")
GENERATED_ID = re.compile(r"^req_[0-9A-HJKMNP-TV-Z]{26}$")


def request_lines(s, fmt):
    """{request_id: [fields, ...]} of the access-log lines written so far."""
    out = {}
    for line in s.read_stderr().splitlines():
        if fmt == "json":
            o = json.loads(line)
            if o.get("msg") != "request":
                continue
            f = {k: o[k] for k in ("request_id", "method", "route", "status", "ms", "client")}
        else:
            m = TEXT_LINE.match(line)
            if not m:
                continue
            rid, method, route, status, ms, client = m.groups()
            f = {"request_id": rid, "method": method, "route": None if route == "-" else route,
                 "status": int(status), "ms": float(ms), "client": client}
        out.setdefault(f["request_id"], []).append(f)
    return out


def line_of(s, fmt, rid):
    """The one access-log line of request rid (written once the answer went out)."""
    lines = wait_until(lambda: request_lines(s, fmt).get(rid), 5, what=f"the log line of {rid}")
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture(params=["text", "json"])
def fmt(request):
    return request.param


@pytest.fixture
def srv(make_server, fmt):
    return make_server(extra_args=["--log-format", fmt])


def test_each_request_has_one_line_with_its_route_pattern_status_time_and_client(srv, fmt):
    t = srv.task(title="logged")
    cases = [
        ("GET", f"/ops/tasks/{t['id']}", {}, "/ops/tasks/:id", 200),
        ("GET", "/ops/tasks/tsk_nope?x=1", {}, "/ops/tasks/:id", 404),
        ("PATCH", f"/ops/tasks/{t['id']}", {"body": {"status": "IN_PROGRESS"}}, "/ops/tasks/:id", 200),
        ("GET", "/ops/tasks", {"token": None}, "/ops/tasks", 401),
        ("DELETE", "/ops/tasks", {}, "/ops/tasks", 405),
        ("GET", "/no/such/place", {}, None, 404),
        ("GET", "/healthz", {"token": None}, "/healthz", 200),
        ("GET", "/ops/customers/cus_x/renewals/ren_y", {}, "/ops/customers/:id/renewals/:rid", 404),
    ]
    for i, (method, path, kw, route, status) in enumerate(cases):
        rid = f"test-{fmt}-{i}"
        r = srv.request(method, path, kw.get("body"), token=kw.get("token", srv.admin), headers={"X-Request-Id": rid})
        assert r.header("X-Request-Id") == rid, r.headers
        f = line_of(srv, fmt, rid)
        assert f["method"] == method and f["route"] == route, f
        assert f["status"] == status == r.status, (f, r)
        assert 0 <= f["ms"] < 5000 and f["client"] == "127.0.0.1", f


def test_a_sane_request_id_is_kept_and_any_other_is_replaced_by_a_unique_one(srv, fmt):
    kept = ["a", "A1.b_c:d-e", "x" * 128, "0af7651916cd43dd8448eb211c80319c"]
    for rid in kept:
        r = srv.get("/healthz", token=None, headers={"X-Request-Id": rid})
        assert r.header("X-Request-Id") == rid
        line_of(srv, fmt, rid)
    seen = set()
    for bad in [None, "", "x" * 129, "a b", 'a"b', "a/b", "a\\b", "é", "a;b", "a=b"]:
        r = srv.get("/healthz", token=None, headers={} if bad is None else {"X-Request-Id": bad})
        rid = r.header("X-Request-Id")
        assert rid and GENERATED_ID.match(rid), (bad, rid)
        assert rid not in seen
        seen.add(rid)
        line_of(srv, fmt, rid)
    for _ in range(20):  # unique over quick succession too
        rid = srv.get("/healthz", token=None).header("X-Request-Id")
        assert GENERATED_ID.match(rid) and rid not in seen
        seen.add(rid)


def test_error_answers_and_writes_carry_the_request_id_too(srv, fmt):
    r = srv.post("/ops/tasks", {"title": ""}, headers={"X-Request-Id": "bad-create"})
    assert_error(r, 422, "validation_failed")
    assert r.header("X-Request-Id") == "bad-create"
    r = srv.post("/ops/tasks", {"title": "ok", "due_date": "2039-01-01"}, headers={"X-Request-Id": "good-create"})
    assert r.status == 201 and r.header("X-Request-Id") == "good-create"
    assert line_of(srv, fmt, "bad-create")["status"] == 422
    assert line_of(srv, fmt, "good-create")["status"] == 201


def test_json_format_writes_every_line_as_one_json_object(make_server):
    s = make_server(extra_args=["--log-format", "json"])
    s.task(title="json")
    s.get("/ops/tasks?limit=1")
    s.stop()  # the start and stop lines, and the store's summary, are log lines too
    lines = s.read_stderr().splitlines()
    assert len(lines) >= 5
    msgs = []
    for line in lines:
        o = json.loads(line)
        assert isinstance(o, dict) and o["level"] in ("info", "error") and isinstance(o["msg"], str), line
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", o["time"]), line
        msgs.append(o["msg"])
        if o["msg"] == "request":
            assert isinstance(o["status"], int) and isinstance(o["ms"], (int, float)), line
            assert isinstance(o["route"], (str, type(None))), line
    assert any(m.startswith("serve: stopped cleanly") for m in msgs), msgs


def test_the_log_format_comes_from_the_environment_and_is_checked(tmp_path):
    p = run_cli("serve", "--db", tmp_path / "x.db", "--listen", "127.0.0.1:0",
                env={"OPSTASKS_LOG_FORMAT": "xml"})
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "--log-format" in p.stderr, p.stderr
    p = run_cli("serve", "--db", tmp_path / "x.db", "--listen", "127.0.0.1:0", "--log-format", "JSON")
    assert p.returncode == 2 and "--log-format" in p.stderr, p.stderr


def test_no_secret_reaches_the_log(make_server, fmt):
    s = make_server(extra_args=["--log-format", fmt])
    secrets = []
    # a token, in Authorization and as the body of POST /login
    agent = s.token("agent", name="logs")
    secrets.append(agent)
    t = s.task(token=agent, title="secret-free")
    r = s.post("/login", {"token": agent}, token=None, headers={"Origin": f"http://127.0.0.1:{s.port}"})
    assert r.status == 200, r
    cookies = {}
    for k, v in r.headers:
        if k.lower() == "set-cookie":
            name, _, rest = v.partition("=")
            cookies[name] = rest.partition(";")[0]
    session, csrf = cookies["opstasks_session"], cookies["opstasks_csrf"]
    secrets += [session, csrf]
    # the session cookie and the CSRF header on a write
    h = {"Cookie": f"opstasks_session={session}; opstasks_csrf={csrf}", "X-CSRF-Token": csrf,
         "Origin": f"http://127.0.0.1:{s.port}"}
    assert s.patch(f"/ops/tasks/{t['id']}", {"status": "IN_PROGRESS"}, token=None, headers=h).status == 200
    assert s.get("/ops/me", token=None, headers=h).status == 200
    # a wrong token and a wrong CSRF token are secrets too (a typo of a real one)
    wrong = "ops_WRONGsecretWRONGsecretWRONGsecret0123456789"
    secrets.append(wrong)
    assert_error(s.get("/ops/tasks", token=wrong), 401, "unauthorized")
    bad_csrf = "csrfGUESSvalueThatMustNotBeLogged0123456789ab"
    secrets.append(bad_csrf)
    h2 = dict(h, **{"X-CSRF-Token": bad_csrf})
    assert s.patch(f"/ops/tasks/{t['id']}", {"status": "OPEN"}, token=None, headers=h2).status == 403
    # secrets in a query string and in paths (an invite link's shape)
    q = "qsSECRETtokenLikeValue0123456789"
    secrets.append(q)
    assert_error(s.get(f"/ops/tasks?access_token={q}"), 422, "validation_failed")
    assert s.get(f"/ops/tasks?assignee_id=sta_{q}").status == 200
    p = "pathSECRETinviteCode0123456789"
    secrets.append(p)
    assert s.get(f"/invite/{p}", token=None).status == 404
    assert s.get(f"/ops/tasks/tsk_{p}").status in (404, 422)
    assert s.get(f"/tasks/{p}?next={q}", token=None).status in (200, 302, 303)
    # a password-like body field
    pw = "hunter2PASSWORDnotForLogs"
    secrets.append(pw)
    s.post("/login", {"token": pw, "password": pw}, token=None, headers={"Origin": f"http://127.0.0.1:{s.port}"})
    n_requests = 12
    wait_until(lambda: sum(map(len, request_lines(s, fmt).values())) >= n_requests, 5, what="the log lines")
    s.stop()
    everything = s.read_stderr() + s.stdout_rest.decode(errors="replace")
    for secret in secrets:
        assert secret not in everything, f"{secret[:8]}... appears in the log"
    # the lines are there, naming routes, not paths
    routes = {f["route"] for fs in request_lines(s, fmt).values() for f in fs}
    assert {"/ops/tasks/:id", "/login", "/ops/me", "/tasks/:id", "/invite/:id"} <= routes, routes
