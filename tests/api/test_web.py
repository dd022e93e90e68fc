"""The browser side over HTTP: the pages and their assets, sign-in
with a token turned into a cookie session, the cookie accepted by the API,
the CSRF check on cookie writes, sign-out, and the headers that keep the
pages safe (CSP default-src 'self', HttpOnly/SameSite cookies)."""
import re
import urllib.parse

import pytest

from conftest import FUTURE, assert_error, sqlite_only

CSP_START = "default-src 'self'"


def login(server, token=None, headers=None):
    """POST /login; returns (response, {cookie name: value}, {cookie name: attributes})."""
    h = {"Origin": f"http://127.0.0.1:{server.port}"}
    h.update(headers or {})
    r = server.post("/login", {"token": token or server.admin}, token=None, headers=h)
    values, attrs = {}, {}
    for k, v in r.headers:
        if k.lower() == "set-cookie":
            name, _, rest = v.partition("=")
            value, _, a = rest.partition(";")
            values[name] = value
            attrs[name] = [x.strip() for x in a.split(";") if x.strip()]
    return r, values, attrs


def session(server, token=None):
    r, c, _ = login(server, token)
    assert r.status == 200, r
    return c


def cookie_headers(server, c, csrf=True, origin=True):
    h = {"Cookie": f"opstasks_session={c['opstasks_session']}; opstasks_csrf={c['opstasks_csrf']}"}
    if csrf:
        h["X-CSRF-Token"] = c["opstasks_csrf"]
    if origin:
        h["Origin"] = f"http://127.0.0.1:{server.port}"
    return h


# ---- pages and assets -------------------------------------------------------------

def test_login_page_is_html_with_a_strict_content_security_policy(server):
    r = server.get("/login", token=None)
    assert r.status == 200
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert r.header("Content-Security-Policy").startswith(CSP_START)
    assert r.header("X-Frame-Options") == "DENY"
    body = r.body.decode()
    assert "<form" in body and 'id="token"' in body
    # nothing inline and nothing from elsewhere: every script and stylesheet is ours
    assert "<style" not in body and " style=" not in body and "onclick" not in body
    for src in re.findall(r'(?:src|href)="([^"]+)"', body):
        assert src.startswith("/assets/"), src
    assert not re.search(r"<script>[^<]", body)


def test_the_root_sends_a_visitor_to_the_queue(server):
    r = server.get("/", token=None)
    assert r.status == 303 and r.header("Location") == "/tasks"
    assert "default-src 'self'" in r.header("Content-Security-Policy")
    assert server.request("POST", "/", {"x": 1}, token=None).status == 405


@pytest.mark.parametrize("path", ["/tasks", "/tasks/tsk_01J00000000000000000000000"])
def test_pages_send_a_signed_out_visitor_to_login_with_the_way_back(server, path):
    r = server.get(path + "?status=OPEN,OVERDUE&sort=priority", token=None)
    assert r.status == 303
    loc = r.header("Location")
    assert loc.startswith("/login?next=")
    nxt = urllib.parse.parse_qs(urllib.parse.urlparse(loc).query)["next"][0]
    assert nxt == path + "?status=OPEN,OVERDUE&sort=priority"
    # a bearer token does not open a page: pages are for the browser session
    assert server.get(path).status == 303


def test_a_long_query_is_dropped_from_next_but_the_path_kept(server):
    r = server.get("/tasks?status=" + "OPEN," * 100, token=None)
    assert r.status == 303
    assert r.header("Location") == "/login?next=/tasks"


def test_pages_are_served_to_a_signed_in_browser(server):
    c = session(server)
    for path, marker in [("/tasks", "queue.js"), ("/tasks/tsk_01J00000000000000000000000", "task.js")]:
        r = server.get(path, token=None, headers=cookie_headers(server, c, csrf=False, origin=False))
        assert r.status == 200, (path, r)
        assert r.header("Content-Type") == "text/html; charset=utf-8"
        assert r.header("Content-Security-Policy").startswith(CSP_START)
        assert marker in r.body.decode()


@pytest.mark.parametrize("name,ctype", [("app.css", "text/css; charset=utf-8"),
                                        ("queue.js", "text/javascript; charset=utf-8"),
                                        ("common.js", "text/javascript; charset=utf-8"),
                                        ("favicon.svg", "image/svg+xml")])
def test_assets_are_served_with_type_etag_and_304(server, name, ctype):
    r = server.get("/assets/" + name, token=None)
    assert r.status == 200 and r.body
    assert r.header("Content-Type") == ctype
    assert r.header("Cache-Control") == "no-cache"
    etag = r.header("ETag")
    assert re.fullmatch(r'"[0-9a-f]{20}"', etag)
    again = server.get("/assets/" + name, token=None, headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    assert server.request("HEAD", "/assets/" + name, token=None).status == 200


@pytest.mark.parametrize("name", ["nope.js", "tasks.html", "..%2Fopstasks", "login.html"])
def test_unknown_assets_and_pages_as_assets_are_404(server, name):
    assert_error(server.get("/assets/" + name, token=None), 404, "not_found")


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.mark.parametrize("path", ["/nope", "/tasks/", "/customers", "/tasks/x/y", "/" + "a" * 500])
def test_a_browser_asking_for_a_page_that_does_not_exist_gets_an_html_404(server, path):
    r = server.get(path, token=None, headers={"Accept": BROWSER_ACCEPT})
    assert r.status == 404, r
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert r.header("Content-Security-Policy").startswith(CSP_START)
    assert r.header("X-Frame-Options") == "DENY"
    body = r.body.decode()
    assert "<title>Page not found" in body and 'href="/tasks"' in body
    assert "<style" not in body and " style=" not in body and "<script" not in body
    head = server.request("HEAD", path, token=None, headers={"Accept": BROWSER_ACCEPT})
    assert head.status == 404 and head.header("Content-Type") == "text/html; charset=utf-8"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/json, text/html;q=0.5",
                                    "text/html;q=0, */*", "text/*", "text/html;q=0.5, */*;q=0.5"])
def test_api_clients_keep_the_json_404(server, accept):
    headers = {"Accept": accept} if accept else {}
    assert_error(server.get("/nope", token=None, headers=headers), 404, "not_found")


def test_the_api_and_other_methods_keep_the_json_404_for_browsers_too(server):
    h = {"Accept": BROWSER_ACCEPT}
    assert_error(server.get("/ops/nope", headers=h), 404, "not_found")
    assert_error(server.get("/ops/nope", token=None, headers=h), 401, "unauthorized")
    assert_error(server.get("/assets/nope.js", token=None, headers=h), 404, "not_found")
    assert_error(server.request("POST", "/nope", {"a": 1}, token=None, headers=h), 404, "not_found")
    # a path too long to keep cannot be told to be outside /ops: JSON
    assert_error(server.get("/ops/" + "a" * 600, token=None, headers=h), 404, "not_found")


def test_page_routes_refuse_other_methods(server):
    r = server.request("DELETE", "/tasks", token=None)
    assert_error(r, 405, "method_not_allowed")
    assert_error(server.request("GET", "/logout", token=None), 405, "method_not_allowed")


# ---- sign-in -------------------------------------------------------------------------

def test_login_sets_an_httponly_samesite_strict_session_cookie(server):
    r, c, attrs = login(server)
    assert r.status == 200, r
    body = r.json()
    assert body["role"] == "admin" and body["staff_id"] is None and body["expires_at"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", c["opstasks_session"])
    s = attrs["opstasks_session"]
    assert "HttpOnly" in s and "SameSite=Strict" in s and "Path=/" in s and "Max-Age=43200" in s
    assert "Secure" not in s  # plain HTTP here
    # the CSRF cookie is for the page's script: not HttpOnly, still SameSite
    assert "HttpOnly" not in attrs["opstasks_csrf"] and "SameSite=Strict" in attrs["opstasks_csrf"]
    assert c["opstasks_csrf"] != c["opstasks_session"]


def test_login_over_https_marks_the_cookies_secure(server):
    r, _, attrs = login(server, headers={"X-Forwarded-Proto": "https"})
    assert r.status == 200
    assert "Secure" in attrs["opstasks_session"] and "Secure" in attrs["opstasks_csrf"]


def test_login_ties_the_session_to_the_staff_member_of_the_token(server):
    server.staff("sta_web_anna", name="Anna Web")
    tok = server.token("agent", staff="sta_web_anna")
    c = session(server, tok)
    r = server.get("/ops/me", token=None, headers=cookie_headers(server, c))
    assert r.status == 200
    me = r.json()
    assert me["staff_id"] == "sta_web_anna" and me["token"]["role"] == "agent"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", me["today"]) and me["timezone"] == "UTC"
    # and writes through the cookie are that person's in the history
    t = server.post("/ops/tasks", {"title": "by cookie", "due_date": FUTURE}, token=None,
                    headers=cookie_headers(server, c))
    assert t.status == 201, t
    assert server.history(t.json()["id"])[0]["actor"] == "sta_web_anna"


@pytest.mark.parametrize("body,status,code,field", [
    ({"token": ""}, 422, "validation_failed", "token"),
    ({}, 422, "validation_failed", "token"),
    ({"token": 5}, 422, "validation_failed", "token"),
    ({"token": "ops_nope"}, 401, "unauthorized", "token"),
    ({"token": "x" * 300}, 401, "unauthorized", "token"),
    ({"token": "t", "extra": 1}, 422, "validation_failed", "extra"),
])
def test_bad_sign_ins_are_refused_and_set_no_cookie(server, body, status, code, field):
    r = server.post("/login", body, token=None)
    assert_error(r, status, code, field)
    assert r.header("Set-Cookie") is None


def test_login_needs_a_json_body(server):
    assert_error(server.post("/login", raw="token=x", token=None, content_type="application/x-www-form-urlencoded"),
                 415, "unsupported_media_type")
    assert_error(server.post("/login", raw="{", token=None), 400, "bad_json")


def test_login_from_another_origin_is_refused(server):
    r, c, _ = login(server, headers={"Origin": "http://evil.test"})
    assert_error(r, 403, "forbidden")
    assert c == {}


# ---- the cookie at the API, and CSRF ------------------------------------------------------

def test_the_api_accepts_the_session_cookie_for_reads(server):
    c = session(server)
    r = server.get("/ops/tasks", token=None, headers=cookie_headers(server, c, csrf=False, origin=False))
    assert r.status == 200 and "data" in r.json()


def test_an_unknown_session_cookie_is_401(server):
    h = {"Cookie": "opstasks_session=" + "A" * 43}
    assert_error(server.get("/ops/tasks", token=None, headers=h), 401, "unauthorized")
    # a malformed one is as good as none
    assert_error(server.get("/ops/tasks", token=None, headers={"Cookie": "opstasks_session=x"}), 401, "unauthorized")


@pytest.mark.parametrize("csrf,origin,referer", [
    (False, True, None),                        # no X-CSRF-Token
    (True, "http://evil.test", None),           # another origin
    (True, "http://127.0.0.1:1", None),         # another port of the same host
    (True, None, "http://evil.test/page"),      # no Origin, another page
    ("wrong", True, None),                      # a token of another session
])
def test_cookie_writes_failing_the_csrf_check_are_403_and_change_nothing(server, csrf, origin, referer):
    c = session(server)
    t = server.task(title="csrf victim")
    h = cookie_headers(server, c, csrf=csrf is True, origin=origin is True)
    if csrf == "wrong":
        h["X-CSRF-Token"] = session(server)["opstasks_csrf"]
    if isinstance(origin, str):
        h["Origin"] = origin
    if referer:
        h["Referer"] = referer
    before = server.stats()
    r = server.patch(f"/ops/tasks/{t['id']}", {"status": "CANCELLED"}, token=None, headers=h)
    e = assert_error(r, 403, "forbidden")
    assert "CSRF" in e["message"]
    r = server.post("/ops/tasks", {"title": "forged", "due_date": FUTURE}, token=None, headers=h)
    assert_error(r, 403, "forbidden")
    assert server.get_task(t["id"])["status"] == "OPEN"
    assert server.stats() == before


def test_cookie_writes_with_the_token_and_our_origin_or_referer_pass(server):
    c = session(server)
    t = server.task(title="csrf ok")
    r = server.patch(f"/ops/tasks/{t['id']}", {"priority": "HIGH"}, token=None, headers=cookie_headers(server, c))
    assert r.status == 200, r
    h = cookie_headers(server, c, origin=False)
    h["Referer"] = f"http://127.0.0.1:{server.port}/tasks?status=OPEN"
    r = server.patch(f"/ops/tasks/{t['id']}", {"priority": "LOW"}, token=None, headers=h)
    assert r.status == 200, r


def test_a_bearer_token_needs_no_csrf_token_even_with_a_cookie(server):
    c = session(server)
    h = {"Cookie": f"opstasks_session={c['opstasks_session']}", "Origin": "http://evil.test"}
    r = server.post("/ops/tasks", {"title": "bearer", "due_date": FUTURE}, headers=h)
    assert r.status == 201, r


# ---- sign-out --------------------------------------------------------------------------

def test_logout_ends_the_session_and_clears_the_cookies(server):
    c = session(server)
    h = cookie_headers(server, c)
    r = server.post("/logout", None, token=None, headers=h)
    assert r.status == 200 and r.json() == {"signed_out": True}
    cleared = [v for k, v in r.headers if k.lower() == "set-cookie"]
    assert any(v.startswith("opstasks_session=;") and "Max-Age=0" in v for v in cleared), cleared
    assert_error(server.get("/ops/tasks", token=None, headers=h), 401, "unauthorized")
    assert server.get("/tasks", token=None, headers=h).status == 303


def test_logout_without_the_csrf_token_is_refused_and_keeps_the_session(server):
    c = session(server)
    r = server.post("/logout", None, token=None, headers=cookie_headers(server, c, csrf=False))
    assert_error(r, 403, "forbidden")
    assert server.get("/ops/me", token=None, headers=cookie_headers(server, c)).status == 200


def test_logout_without_a_session_just_clears_cookies(server):
    r = server.post("/logout", None, token=None)
    assert r.status == 200


def test_a_session_survives_a_restart(make_server):
    s = make_server()
    c = session(s)
    s.stop()
    s.start()
    assert s.get("/ops/me", token=None, headers=cookie_headers(s, c)).status == 200


@sqlite_only("SQLite's migration 11 remaking the sessions table; PostgreSQL's 003 alters it in place "
             "(tests/api/test_accounts.py signs in on both)")
def test_a_session_from_before_the_accounts_migration_stays_signed_in(make_server):
    """Migration 11 makes the sessions table again (a session may now belong
    to a staff member instead of a token): the sessions there were carry on."""
    from conftest import db_query, sqlite_back_to_migration_10
    s = make_server()
    c = session(s)
    s.stop()
    rows = db_query(s, "SELECT hash, token_id, created_at, expires_at FROM sessions")
    assert len(rows) == 1
    # back to the file as migration 10 left it, with that session in it
    sqlite_back_to_migration_10(s)
    db_query(s, "INSERT INTO sessions VALUES (?, ?, ?, ?)", rows[0])
    s.start()
    me = s.get("/ops/me", token=None, headers=cookie_headers(s, c))
    assert me.status == 200, me
    assert re.fullmatch(r"ses_[0-9A-F]{26}", me.json()["session_id"]), me.json()
    assert db_query(s, "SELECT count(*) FROM sessions WHERE staff_id IS NULL AND last_seen_at >= created_at") == [(1,)]


# ---- the customer and renewals pages ---------------------------------------------------

@pytest.mark.parametrize("path", ["/customers/cus_one", "/renewals"])
def test_customer_and_renewals_pages_send_a_signed_out_visitor_to_login(server, path):
    r = server.get(path + "?kind=passport", token=None)
    assert r.status == 303
    nxt = urllib.parse.parse_qs(urllib.parse.urlparse(r.header("Location")).query)["next"][0]
    assert nxt == path + "?kind=passport"
    assert server.get(path).status == 303, "a bearer token does not open a page"


def test_customer_and_renewals_pages_are_served_to_a_signed_in_browser(server):
    c = session(server)
    for path, marker in [("/customers/cus_one", "customer.js"), ("/renewals", "renewals.js")]:
        r = server.get(path, token=None, headers=cookie_headers(server, c, csrf=False, origin=False))
        assert r.status == 200, (path, r)
        assert r.header("Content-Type") == "text/html; charset=utf-8"
        assert r.header("Content-Security-Policy").startswith(CSP_START)
        assert marker in r.body.decode()
