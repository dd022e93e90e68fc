"""docs/openapi.yaml against what the server really is: the routing table as
`opstasks routes` prints it (every route documented with its methods, nothing
documented that is not routed), the error map of src/util/err.h (every code
and its status), and the running binary (the statuses it answers to probes of
every route are documented, and its answers match the documented schemas and
headers). `make openapi` validates the file itself with tools from npm."""
import json
import os
import re

import jsonschema
import pytest
import yaml

from conftest import FUTURE, Response, raw_connect, read_full_response, run_cli

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
with open(os.path.join(ROOT, "docs", "openapi.yaml")) as f:
    SPEC = yaml.safe_load(f)
METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")

# Documented routes that a branch not yet merged adds to the routing table.
# Expected, added by another branch: the lead empties this set when merging
# them (the test fails while an entry here is already in the table).
EXPECTED_FROM_OTHER_BRANCHES = set()
# Error codes (with their status) that other branches add to the error map;
# the same rule applies.
EXPECTED_CODES_FROM_OTHER_BRANCHES = {}

# Routes whose 200 is a body that does not end (server-sent events): the
# probes that would open one ask HEAD instead (answered as GET, without the
# body); tests/api/test_stream.py reads the streams themselves.
STREAMED = {("GET", "/ops/stream")}

# A well-shaped id that names nothing, by the path segment before the parameter.
UNKNOWN_IDS = {"tasks": "tsk_" + "0" * 26, "staff": "sta_nobody", "customers": "cus_nobody",
               "renewals": "ren_nobody", "rules": "rul_nobody", "assets": "nope.css", "tokens": "tok_nobody",
               "sessions": "ses_nobody", "invite": "A" * 43, "views": "viw_nobody", "events": "evt_nobody",
               "webhooks": "whk_nobody", "deliveries": "dlv_" + "0" * 26}


# ---- the routing table, the error map and the document ----------------------------

def table_routes():
    p = run_cli("routes")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    lines = p.stdout.splitlines()
    for line in lines:
        assert re.fullmatch(r"(GET|POST|PUT|PATCH|DELETE) /[A-Za-z0-9_./:-]*", line), line
    assert len(lines) == len(set(lines)), "a route is listed twice"
    return [tuple(line.split(" ")) for line in lines]


def to_openapi(pattern):
    return re.sub(r":(\w+)", r"{\1}", pattern)


def documented_routes():
    out = set()
    for path, item in SPEC["paths"].items():
        for m in METHODS:
            if m in item:
                out.add((m.upper(), path))
    return out


def error_map():
    """{code: status} from the ERR_MAP X-macro of src/util/err.h."""
    with open(os.path.join(ROOT, "src", "util", "err.h")) as f:
        text = f.read()
    rows = re.findall(r'XX\(\s*[A-Z_]+\s*,\s*(\d+)\s*,\s*"([a-z_]+)"', text)
    assert len(rows) > 10, "could not read the error map"
    return {code: int(status) for status, code in rows if code != "ok"}


def node_ref_parts(ref):
    assert ref.startswith("#/"), ref
    return [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]


def deref(node):
    """node with its $ref (if any) followed, within this document."""
    for _ in range(20):
        if not (isinstance(node, dict) and "$ref" in node):
            return node
        target = SPEC
        for part in node_ref_parts(node["$ref"]):
            target = target[part]
        node = target
    raise AssertionError("a $ref loop")


def operation(method, pattern):
    item = SPEC["paths"].get(to_openapi(pattern))
    assert item and method.lower() in item, f"{method} {pattern} is not documented"
    return item[method.lower()]


def error_codes_of(response):
    """The codes an error response names: its schema's allOf narrows
    error.code with an enum."""
    codes = set()
    for media in deref(response).get("content", {}).values():
        for part in deref(media["schema"]).get("allOf", []):
            code = deref(part).get("properties", {}).get("error", {}).get("properties", {}).get("code", {})
            codes |= set(code.get("enum", [])) | ({code["const"]} if "const" in code else set())
    return codes


def check_answer(r, method, pattern, what="", head=False):
    """r's status is documented for the route, and its body and headers are
    what that answer documents (head: r answered HEAD, so it has no body)."""
    op = operation(method, pattern)
    doc = op["responses"].get(str(r.status))
    assert doc is not None, (f"{method} {pattern}{what} answered {r.status}, which docs/openapi.yaml does not "
                             f"document (it has {sorted(op['responses'])}): {r!r}")
    doc = deref(doc)
    for name, h in doc.get("headers", {}).items():
        if deref(h).get("required"):
            assert r.header(name) is not None, f"{method} {pattern}{what} {r.status}: no {name} header"
    content = doc.get("content")
    if not content:
        assert not r.body, f"{method} {pattern}{what} {r.status} documents no body but has one: {r!r}"
        return
    ctype = (r.header("Content-Type") or "").split(";")[0].strip()
    assert ctype in content, f"{method} {pattern}{what} {r.status}: Content-Type {ctype} is not documented"
    if ctype == "application/json" and not head:
        schema = content[ctype]["schema"]
        resolver = jsonschema.RefResolver(base_uri="", referrer=SPEC)
        try:
            jsonschema.Draft202012Validator(schema, resolver=resolver).validate(r.json())
        except jsonschema.ValidationError as e:
            raise AssertionError(f"{method} {pattern}{what} {r.status}: the body does not match docs/openapi.yaml: "
                                 f"{e.message} at {list(e.absolute_path)}: {r!r}") from None


# ---- the document against the table -------------------------------------------------

def test_routes_command_prints_each_route_of_the_table_once():
    routes = table_routes()
    assert ("GET", "/healthz") in routes and ("PATCH", "/ops/tasks/:id") in routes
    assert ("GET", "/assets/:id") in routes  # page and asset routes are in the table too
    assert run_cli("routes", "--help").returncode == 0
    p = run_cli("routes", "extra")
    assert p.returncode == 2 and p.stdout == "" and "extra" in p.stderr
    assert "routes" in run_cli("--help").stdout


def test_every_route_of_the_table_is_documented_with_its_methods():
    documented = documented_routes()
    missing = [(m, p) for m, p in table_routes() if (m, to_openapi(p)) not in documented]
    assert not missing, f"routes missing from docs/openapi.yaml: {missing}"


def test_nothing_is_documented_that_the_table_does_not_route():
    table = {(m, to_openapi(p)) for m, p in table_routes()}
    # HEAD is answered for every GET route, so documenting it there is fine
    extra = {(m, p) for m, p in documented_routes() - table if not (m == "HEAD" and ("GET", p) in table)}
    stale = EXPECTED_FROM_OTHER_BRANCHES & table
    assert not stale, f"{stale} is in the routing table now: remove it from EXPECTED_FROM_OTHER_BRANCHES"
    assert extra <= EXPECTED_FROM_OTHER_BRANCHES, \
        f"documented but not routed: {sorted(extra - EXPECTED_FROM_OTHER_BRANCHES)}"


def test_ops_writes_document_the_csrf_token_and_reads_the_token_or_session():
    default = SPEC["security"]
    assert default == [{"bearerAuth": []}, {"sessionCookie": []}]
    for m, p in table_routes():
        op = operation(m, p)
        if p.startswith("/ops/") and m != "GET":
            assert op.get("security") == [{"bearerAuth": []}, {"sessionCookie": [], "csrfToken": []}], (m, p)
            assert "403" in op["responses"], f"{m} {p}: a cookie write failing the CSRF check answers 403"
        elif p.startswith("/ops/"):
            assert "security" not in op, f"{m} {p} takes the token or the session, like every /ops read"
        else:
            assert "security" in op or p == "/metrics", f"{m} {p} is outside /ops: say how it authenticates"


def test_error_codes_are_those_of_the_error_map_with_their_statuses():
    codes = error_map()
    stale = {c for c in EXPECTED_CODES_FROM_OTHER_BRANCHES if c in codes}
    assert not stale, f"{stale} are in the error map now: remove them from EXPECTED_CODES_FROM_OTHER_BRANCHES"
    known = {**codes, **EXPECTED_CODES_FROM_OTHER_BRANCHES}
    enum = SPEC["components"]["schemas"]["ErrorCode"]["enum"]
    assert len(enum) == len(set(enum))
    assert set(enum) - set(known) == set(), "codes in docs/openapi.yaml that the error map lacks"
    assert set(known) - set(enum) == set(), "codes of the error map that docs/openapi.yaml lacks"
    named = 0
    for path, item in SPEC["paths"].items():
        for m in METHODS:
            for status, resp in item.get(m, {}).get("responses", {}).items():
                for code in error_codes_of(resp):
                    named += 1
                    assert code in known, f"{m.upper()} {path} {status} names {code}, not in the error map"
                    assert known[code] == int(status), \
                        f"{m.upper()} {path} documents {code} as {status}; the error map says {known[code]}"
                if int(status) >= 400:
                    assert error_codes_of(resp), f"{m.upper()} {path} {status} names no error code"
    assert named > 100


# ---- the document against the running server ---------------------------------------

def concrete(pattern):
    """The route's path with each parameter an id that names nothing."""
    parts = pattern.split("/")
    for i, seg in enumerate(parts):
        if seg.startswith(":"):
            assert parts[i - 1] in UNKNOWN_IDS, f"add an unknown id for {pattern} to UNKNOWN_IDS"
            parts[i] = UNKNOWN_IDS[parts[i - 1]]
    return "/".join(parts)


def has_body(method, pattern):
    return "requestBody" in operation(method, pattern)


@pytest.fixture(scope="module")
def probe(server):
    """The shared server with an agent token and a browser session."""
    server.agent = server.token("agent", name="openapi agent")
    r = server.post("/login", {"token": server.admin}, token=None,
                    headers={"Origin": f"http://127.0.0.1:{server.port}"})
    assert r.status == 200, r
    cookies = dict(v.split(";")[0].split("=", 1) for k, v in r.headers if k.lower() == "set-cookie")
    server.cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return server


def test_every_route_answers_only_documented_statuses_to_probes(probe):
    s = probe
    for method, pattern in table_routes():
        path = concrete(pattern)
        body = has_body(method, pattern)
        writes = method != "GET"

        # no credentials: every /ops route answers 401 before anything else
        anonymous = r = s.request(method, path, token=None)
        check_answer(r, method, pattern, " without credentials")
        if pattern.startswith("/ops/"):
            assert r.status == 401, (method, pattern, r)

        # an admin, ids that name nothing, and (for writes) a body with an unknown field
        raw = '{"zz_unknown": 1}' if writes else None
        streamed = (method, pattern) in STREAMED
        asked = "HEAD" if streamed else method
        r = s.request(asked, path, raw=raw)
        check_answer(r, method, pattern, " as admin (ids that name nothing)", head=streamed)
        if ":" in pattern and pattern.startswith("/ops/") and method in ("GET", "DELETE"):
            assert r.status == 404, (method, pattern, r)
        if body:
            assert r.status == 422, (method, pattern, r)

        # an agent: admin routes answer 403
        check_answer(s.request(asked, path, token=s.agent, raw=raw), method, pattern, " with an agent token",
                     head=streamed)

        # an unknown query parameter
        check_answer(s.request(method, path + "?zz_unknown=1", raw=raw), method, pattern, " with an unknown parameter")

        if body:
            r = s.request(method, path, raw="{")
            check_answer(r, method, pattern, " with malformed JSON")
            assert r.status == 400, (method, pattern, r)
            r = s.request(method, path, raw="{}", content_type="text/plain")
            check_answer(r, method, pattern, " with a text/plain body")
            assert r.status == 415, (method, pattern, r)

        # the session cookie without the CSRF header: a write answers 403
        r = s.request(asked, path, token=None, raw=raw, headers={"Cookie": s.cookie})
        check_answer(r, method, pattern, " with the session cookie alone", head=streamed)
        if writes and (pattern.startswith("/ops/") or pattern == "/logout"):
            assert r.status == 403, (method, pattern, r)

        # HEAD answers every GET route as GET does, without the body
        if method == "GET":
            r = s.request("HEAD", path, token=None)
            assert r.status == anonymous.status and not r.body, (pattern, r)
            check_answer(r, "GET", pattern, " as HEAD", head=True)


def test_a_method_a_path_lacks_answers_405_allowing_the_documented_ones(probe):
    pending = {p for _, p in EXPECTED_FROM_OTHER_BRANCHES}
    for path, item in SPEC["paths"].items():
        if path in pending:
            continue
        methods = {m.upper() for m in METHODS if m in item}
        allowed = methods | ({"HEAD"} if "GET" in methods else set())
        pattern = re.sub(r"\{(\w+)\}", r":\1", path)
        r = probe.request("OPTIONS", concrete(pattern))
        assert r.status == 405, (path, r)
        assert {m.strip() for m in r.header("Allow").split(",")} == allowed, (path, r.header("Allow"))


@pytest.mark.parametrize("method,pattern", [("POST", "/ops/tasks"), ("GET", "/healthz"), ("GET", "/ops/tasks/:id")])
def test_a_declared_body_over_the_limit_is_answered_as_documented(probe, method, pattern):
    """413 comes before routing, so any route may answer it."""
    sock = raw_connect(probe.port)
    try:
        sock.sendall(f"{method} {concrete(pattern)} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {probe.admin}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n".encode())
        status, headers, body = read_full_response(sock)
    finally:
        sock.close()
    assert status == 413, body
    check_answer(Response(status, list(headers.items()), body), method, pattern, " with a body over 1 MiB")


# A value each documented query parameter accepts, by the start of its pattern.
SAMPLES = {"^(now|": "now", "^sta_": "sta_qp", "^cus_": "cus_qp", "^ren_": "ren_qp", "^rul_": "rul_qp", "^(sta_": "none",
           "^[a-z][a-z0-9_]*(": "qp.sample", "^[0-9]{4}-": "2026-01-01",
           "^[a-z0-9_]": "passport", "\\S": "passport", "^[A-Z,]": "MANUAL", "^[a-z_,]": "none"}


def sample(schema):
    schema = deref(schema)
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("type") == "array":
        return sample(schema["items"])
    if schema.get("type") == "integer":
        return schema.get("default", schema.get("minimum"))
    if schema.get("format") == "date":
        return "2026-01-01"
    for start, value in SAMPLES.items():
        if schema.get("pattern", "").startswith(start):
            return value
    raise AssertionError(f"add a sample value for {schema} to SAMPLES")


def test_every_documented_query_parameter_is_one_the_route_takes(probe):
    """All of a route's documented query parameters at once, each with a
    value its schema allows, answer 200: none is unknown to the server (422)
    nor refused in the documented form. (Cursors are the server's own.)"""
    s = probe
    s.put("/ops/customers/cus_qp", {"name": "Query"})
    task_id = s.task(title="query parameters")["id"]  # for the routes under /ops/tasks/:id
    assert s.put("/ops/views/viw_qp", {"name": "Query", "query": "q=passport"}).status == 201
    # an inactive webhook to a public address literal: never sent, no DNS
    assert s.put("/ops/webhooks/whk_qp", {"url": "http://192.0.2.1/hook", "events": ["task.created"], "secret": "x",
                                          "active": False}).status in (200, 201)
    tried = 0
    for method, pattern in table_routes():
        op = operation(method, pattern)
        item = SPEC["paths"][to_openapi(pattern)]
        params = [deref(p) for p in item.get("parameters", []) + op.get("parameters", [])]
        query = [(p["name"], sample(p["schema"])) for p in params if p["in"] == "query" and p["name"] != "cursor"]
        if not query:
            continue
        the_id = (task_id if pattern.startswith("/ops/tasks/:id") else "viw_qp" if pattern.startswith("/ops/views/")
                  else "whk_qp" if pattern.startswith("/ops/webhooks/") else "cus_qp")
        path = pattern.replace(":id", the_id) + "?" + "&".join(f"{k}={v}" for k, v in query)
        streamed = (method, pattern) in STREAMED
        # one's own notifications need a staff member behind the token (a token tied to nobody: 403)
        mine = {"token": s.token("agent", staff=s.staff("sta_qp")["id"])} if pattern.startswith("/ops/me/notif") else {}
        r = s.request("HEAD" if streamed else method, path, **mine)
        assert r.status == 200, (path, r)
        check_answer(r, method, pattern, f" with every documented parameter ({path})", head=streamed)
        tried += 1
    assert tried >= 9


def ok(r, method, pattern, status):
    assert r.status == status, r
    check_answer(r, method, pattern)
    return r.json() if r.body and (r.header("Content-Type") or "").startswith("application/json") else None


def test_successful_answers_match_the_documented_schemas_and_headers(probe):
    s = probe
    ok(s.get("/healthz", token=None), "GET", "/healthz", 200)
    ok(s.put("/ops/staff/sta_oa", {"name": "Open Api", "email": "oa@example.com"}), "PUT", "/ops/staff/:id", 201)
    ok(s.put("/ops/staff/sta_oa", {"name": "Open Api", "active": True}), "PUT", "/ops/staff/:id", 200)
    ok(s.get("/ops/staff/sta_oa"), "GET", "/ops/staff/:id", 200)
    ok(s.get("/ops/staff?limit=1"), "GET", "/ops/staff", 200)
    ok(s.put("/ops/customers/cus_oa", {"name": "Cust", "owner_id": "sta_oa"}), "PUT", "/ops/customers/:id", 201)
    ok(s.get("/ops/customers/cus_oa"), "GET", "/ops/customers/:id", 200)
    ok(s.get("/ops/customers?limit=1"), "GET", "/ops/customers", 200)

    t = ok(s.post("/ops/tasks", {"title": "documented", "due_date": FUTURE, "sla_hours": 1.5, "assignee_id": "sta_oa",
                                 "user_id": "cus_oa", "description": "d"}, headers={"Idempotency-Key": "oa-1"}),
           "POST", "/ops/tasks", 201)
    ok(s.post("/ops/tasks", {"title": "documented", "due_date": FUTURE, "sla_hours": 1.5, "assignee_id": "sta_oa",
                             "user_id": "cus_oa", "description": "d"}, headers={"Idempotency-Key": "oa-1"}),
       "POST", "/ops/tasks", 201)
    ok(s.post("/ops/tasks", {"title": "other"}, headers={"Idempotency-Key": "oa-1"}), "POST", "/ops/tasks", 422)
    tid = t["id"]
    ok(s.get(f"/ops/tasks/{tid}"), "GET", "/ops/tasks/:id", 200)
    ok(s.patch(f"/ops/tasks/{tid}", {"status": "IN_PROGRESS"}, headers={"If-Match": '"1"'}),
       "PATCH", "/ops/tasks/:id", 200)
    ok(s.patch(f"/ops/tasks/{tid}", {"title": "x"}, headers={"If-Match": '"1"'}), "PATCH", "/ops/tasks/:id", 412)
    ok(s.patch(f"/ops/tasks/{tid}", {"status": "COMPLETED"}), "PATCH", "/ops/tasks/:id", 200)
    ok(s.patch(f"/ops/tasks/{tid}", {"status": "CANCELLED"}), "PATCH", "/ops/tasks/:id", 409)
    ok(s.post("/ops/tasks/bulk", {"ids": [tid, "tsk_0000000000000000000000000Z"], "set": {"priority": "LOW"}}),
       "POST", "/ops/tasks/bulk", 200)
    ok(s.post("/ops/tasks/bulk", {"ids": [tid], "set": {"colour": "red"}}), "POST", "/ops/tasks/bulk", 422)
    ok(s.get(f"/ops/tasks/{tid}/history"), "GET", "/ops/tasks/:id/history", 200)
    ok(s.get("/ops/tasks?status=all&limit=1&sort=-created_at"), "GET", "/ops/tasks", 200)
    ok(s.get("/ops/tasks/stats"), "GET", "/ops/tasks/stats", 200)

    cal = {"mode": "business_hours", "weekly": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}, "holidays": ["2026-12-25"]}
    ok(s.get("/ops/sla-calendar"), "GET", "/ops/sla-calendar", 200)
    ok(s.put("/ops/sla-calendar", cal), "PUT", "/ops/sla-calendar", 200)
    ok(s.put("/ops/sla-calendar", {"mode": "calendar_hours"}), "PUT", "/ops/sla-calendar", 200)
    ok(s.get("/ops/reports/sla?from=2026-01-01&to=2026-12-31&group_by=week"), "GET", "/ops/reports/sla", 200)
    ok(s.get(f"/ops/reports/sla?from={FUTURE[:8]}01&to={FUTURE}&group_by=customer"), "GET", "/ops/reports/sla", 200)
    r = s.get("/ops/reports/sla?from=2026-01-01&to=2026-01-31&format=csv")
    assert r.status == 200 and r.header("Content-Disposition"), r
    check_answer(r, "GET", "/ops/reports/sla")
    ok(s.get("/ops/reports/overdue"), "GET", "/ops/reports/overdue", 200)
    check_answer(s.get("/ops/reports/overdue", headers={"Accept": "text/csv"}), "GET", "/ops/reports/overdue")
    check_answer(s.get("/metrics"), "GET", "/metrics")

    base = "/ops/customers/cus_oa/renewals"
    ok(s.put(f"{base}/ren_oa", {"kind": "passport", "expires_on": "2030-01-01"}),
       "PUT", "/ops/customers/:id/renewals/:rid", 201)
    ok(s.get(f"{base}/ren_oa"), "GET", "/ops/customers/:id/renewals/:rid", 200)
    ok(s.get(base), "GET", "/ops/customers/:id/renewals", 200)
    ok(s.get("/ops/renewals?limit=5"), "GET", "/ops/renewals", 200)
    ok(s.get("/ops/renewal-policy"), "GET", "/ops/renewal-policy", 200)
    policy = {"title": "Renew {kind}", "thresholds": [{"days_before": 30, "priority": "HIGH", "due_in_days": 7,
                                                        "sla_hours": 24}]}
    ok(s.put("/ops/renewal-policy", policy), "PUT", "/ops/renewal-policy", 200)
    ok(s.post("/ops/renewals/run"), "POST", "/ops/renewals/run", 200)
    r = s.request("DELETE", f"{base}/ren_oa")
    assert r.status == 204, r
    check_answer(r, "DELETE", "/ops/customers/:id/renewals/:rid")

    rule = {"name": "Docs", "event_type": "openapi.probe",
            "conditions": [{"field": "data.kind", "op": "in", "value": ["a", 1]}, {"field": "id", "op": "exists"}],
            "task": {"title": "Follow up {{data.kind}}", "due_in_days": 1, "sla_hours": 2,
                     "assignee": {"round_robin": ["sta_oa"]}}}
    ok(s.put("/ops/rules/rul_oa", rule), "PUT", "/ops/rules/:id", 201)
    ok(s.put("/ops/rules/rul_oa", dict(rule, enabled=False)), "PUT", "/ops/rules/:id", 200)
    ok(s.put("/ops/rules/rul_oa", rule), "PUT", "/ops/rules/:id", 200)
    ok(s.get("/ops/rules/rul_oa"), "GET", "/ops/rules/:id", 200)
    ok(s.get("/ops/rules?event_type=openapi.probe"), "GET", "/ops/rules", 200)
    ev = {"id": "evt_oa", "type": "openapi.probe", "user_id": "cus_oa", "occurred_at": "2026-06-01T09:30:00+02:00",
          "data": {"kind": "a"}}
    out = ok(s.post("/ops/events", ev), "POST", "/ops/events", 201)
    assert out["matched_rules"] == ["rul_oa"] and len(out["tasks"]) == 1
    ok(s.post("/ops/events", ev), "POST", "/ops/events", 200)
    ok(s.get("/ops/events?limit=5"), "GET", "/ops/events", 200)
    ok(s.get("/ops/tasks?user_id=cus_oa&status=all"), "GET", "/ops/tasks", 200)
    ok(s.request("DELETE", "/ops/rules/rul_oa"), "DELETE", "/ops/rules/:id", 200)

    # webhooks: inactive, to an address literal outside every refused range (nothing is sent)
    hook = {"url": "http://192.0.2.10/hook", "events": ["task.created", "comment.created"], "secret": "x",
            "active": False}
    ok(s.put("/ops/webhooks/whk_oa", hook), "PUT", "/ops/webhooks/:id", 201)
    ok(s.put("/ops/webhooks/whk_oa", hook), "PUT", "/ops/webhooks/:id", 200)
    ok(s.put("/ops/webhooks/whk_oa", dict(hook, url="http://127.0.0.1/x")), "PUT", "/ops/webhooks/:id", 422)
    ok(s.get("/ops/webhooks/whk_oa"), "GET", "/ops/webhooks/:id", 200)
    ok(s.get("/ops/webhooks?limit=1"), "GET", "/ops/webhooks", 200)
    ok(s.get("/ops/webhooks/whk_oa/deliveries"), "GET", "/ops/webhooks/:id/deliveries", 200)
    ok(s.request("DELETE", "/ops/webhooks/whk_oa"), "DELETE", "/ops/webhooks/:id", 200)

    ok(s.get("/ops/me"), "GET", "/ops/me", 200)
    ok(s.get("/ops/me", token=s.token("agent", staff="sta_oa")), "GET", "/ops/me", 200)
    h = {"Origin": f"http://127.0.0.1:{s.port}"}
    ok(s.post("/login", {"token": s.admin}, token=None, headers=h), "POST", "/login", 200)
    ok(s.post("/login", {"token": "ops_nope"}, token=None, headers=h), "POST", "/login", 401)
    ok(s.post("/logout", token=None, raw=""), "POST", "/logout", 200)
    r = s.get("/", token=None)
    assert r.status == 303, r
    check_answer(r, "GET", "/")
    check_answer(s.get("/tasks", token=None, headers={"Cookie": s.cookie}), "GET", "/tasks")
    check_answer(s.get(f"/tasks/{tid}", token=None, headers={"Cookie": s.cookie}), "GET", "/tasks/:id")
    check_answer(s.get("/login", token=None), "GET", "/login")
    r = s.get("/assets/app.css", token=None)
    assert r.status == 200, r
    check_answer(r, "GET", "/assets/:id")
    r = s.get("/assets/app.css", token=None, headers={"If-None-Match": r.header("ETag")})
    assert r.status == 304, r
    check_answer(r, "GET", "/assets/:id")
    for name in ("queue.js", "favicon.svg"):
        check_answer(s.get(f"/assets/{name}", token=None), "GET", "/assets/:id")


def test_error_answers_name_a_code_their_status_documents(probe):
    """The check itself: an answer outside the documented schema fails it."""
    bad = Response(404, [("Content-Type", "application/json")],
                   json.dumps({"error": {"code": "validation_failed", "message": "x"}}).encode())
    with pytest.raises(AssertionError, match="does not match"):
        check_answer(bad, "GET", "/ops/tasks/:id")
    undocumented = Response(409, [("Content-Type", "application/json")], b"{}")
    with pytest.raises(AssertionError, match="does not document"):
        check_answer(undocumented, "GET", "/ops/tasks/:id")
