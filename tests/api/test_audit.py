"""The audit log, GET /ops/audit (admins): a row for each sign-in (good or
failed), sign-out, ended session, invitation, password change, token made
and revoked, staff role and active change, and every change to rules, the
renewal policy and the SLA calendar (with before and after); newest first,
paged by cursor, filtered by type (exact, or a prefix without a dot), actor
and time, and as CSV."""
import csv
import datetime
import io
import json

import pytest

from conftest import (Server, account, assert_error, drop_module_db, invite_secret, parse_ts,
                      session_headers, sign_in)

PW = "plum-ladder-4711-Quartz"
PW2 = "second-Walnut-0815-river"
ROW_FIELDS = ["id", "at", "type", "actor", "client", "details"]
UTC = datetime.timezone.utc


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("audit"), extra_env={"OPSTASKS_TRUSTED_PROXY": "127.0.0.1"}).start()
    yield s
    if s.proc:
        s.stop()
    drop_module_db(s.db)


@pytest.fixture(scope="module")
def admin_actor(srv):
    """The actor the module's admin token is in the log: token:tok_..."""
    return "token:" + srv.get("/ops/me").json()["token"]["id"]


def rows(s, query="", token=None):
    kw = {} if token is None else {"token": token}
    r = s.get("/ops/audit?limit=500" + (f"&{query}" if query else ""), **kw)
    assert r.status == 200, r
    body = r.json()
    assert set(body) == {"data", "next_cursor"}
    for x in body["data"]:
        assert sorted(x) == sorted(ROW_FIELDS), x
    return body["data"]


def find(s, type_, **details):
    """The rows of type_ whose details hold every given key and value, newest first."""
    return [x for x in rows(s, f"type={type_}") if x["type"] == type_ and
            all(x["details"].get(k) == v for k, v in details.items())]


def one(s, type_, **details):
    got = find(s, type_, **details)
    assert len(got) == 1, (type_, details, got, [x["type"] for x in rows(s)][:20])
    return got[0]


# ---- the rows of each action ---------------------------------------------------------

def test_sign_ins_sign_outs_and_ended_sessions_are_logged(srv):
    sid, email = "sta_aud_ann", "sta_aud_ann@example.com"
    account(srv, sid, PW, client="198.51.100.1")
    r, c = sign_in(srv, email, PW, client="198.51.100.2", headers={"User-Agent": "Audit Browser/1.0"})
    assert r.status == 200, r
    session_id = srv.get("/ops/me", token=None, headers=session_headers(srv, c, csrf=False)).json()["session_id"]
    row = one(srv, "login.succeeded", session_id=session_id)
    assert (row["actor"], row["client"]) == (sid, "198.51.100.2")
    assert row["details"]["method"] == "password" and row["details"]["email"] == email
    assert row["details"]["user_agent"] == "Audit Browser/1.0"
    assert row["id"].startswith("aud_")
    assert abs((datetime.datetime.now(UTC) - parse_ts(row["at"])).total_seconds()) < 60
    assert PW not in json.dumps(rows(srv))

    # a failed one, with the email tried; the password is not in the log
    assert sign_in(srv, "ghost.aud@example.com", "some-password-1", client="198.51.100.3",
                   headers={"User-Agent": "Guesser/0.1"})[0].status == 401
    row = one(srv, "login.failed", email="ghost.aud@example.com")
    assert row["client"] == "198.51.100.3"
    assert (row["details"]["method"], row["details"]["reason"], row["details"]["user_agent"]) == \
        ("password", "bad_credentials", "Guesser/0.1")
    assert "some-password-1" not in json.dumps(rows(srv))

    # a token's sign-in
    t = srv.post("/ops/tokens", {"name": "aud signer", "role": "agent"}).json()
    r, ct = sign_in(srv, token=t["token"], client="198.51.100.4")
    assert r.status == 200, r
    row = one(srv, "login.succeeded", token_id=t["id"])
    assert row["details"]["method"] == "token" and row["actor"] == f"token:{t['id']}"
    assert t["token"] not in json.dumps(rows(srv))
    assert sign_in(srv, token="ops_not_a_token_aud", client="198.51.100.5")[0].status == 401
    [row] = [x for x in rows(srv, "type=login.failed") if x["client"] == "198.51.100.5"]
    assert (row["details"]["method"], row["details"]["reason"]) == ("token", "bad_credentials")
    assert "ops_not_a_token_aud" not in json.dumps(rows(srv))

    # another session of Ann's ended from this one, then sign-out
    r, c2 = sign_in(srv, email, PW, client="198.51.100.2")
    other = srv.get("/ops/me", token=None, headers=session_headers(srv, c2, csrf=False)).json()["session_id"]
    r = srv.request("DELETE", f"/ops/me/sessions/{other}", token=None, headers=session_headers(srv, c))
    assert r.status == 200, r
    assert one(srv, "session.ended", session_id=other)["actor"] == sid
    r = srv.post("/logout", None, token=None, headers=session_headers(srv, c))
    assert r.status == 200, r
    assert one(srv, "logout", session_id=session_id)["actor"] == sid


def test_a_rate_limited_sign_in_is_logged_as_such(srv):
    email = "sta_aud_lock@example.com"
    for i in range(6):
        sign_in(srv, email, f"wrong-password-{i}", client=f"198.51.100.{10 + i}")
    failed = find(srv, "login.failed", email=email)
    assert [x["details"]["reason"] for x in failed] == ["rate_limited"] + ["bad_credentials"] * 5


def test_invitations_and_password_changes_are_logged(srv, admin_actor):
    sid = "sta_aud_inv"
    srv.put(f"/ops/staff/{sid}", {"name": "Invitee", "email": "sta_aud_inv@example.com"})
    _, inv = invite_secret(srv, sid)
    row = one(srv, "invite.created", staff_id=sid)
    assert row["actor"] == admin_actor and row["details"]["expires_at"] == inv["expires_at"]
    assert inv["invite_url"].rsplit("/", 1)[1] not in json.dumps(rows(srv))  # the secret is not logged
    # taking the invite is a password change by the invite
    c = account(srv, sid, PW, name="Invitee", email="sta_aud_inv@example.com", client="198.51.100.30")
    assert one(srv, "password.changed", staff_id=sid, via="invite")["actor"] == sid
    r = srv.post("/ops/me/password", {"current_password": PW, "new_password": PW2}, token=None,
                 headers=session_headers(srv, c, client="198.51.100.30"))
    assert r.status == 200, r
    row = one(srv, "password.changed", staff_id=sid, via="change")
    assert row["actor"] == sid and row["client"] == "198.51.100.30"
    assert PW2 not in json.dumps(rows(srv))


def test_tokens_made_and_revoked_are_logged(srv, admin_actor):
    srv.put("/ops/staff/sta_aud_tok", {"name": "Tok"})
    t = srv.post("/ops/tokens", {"name": "aud made", "role": "agent", "staff_id": "sta_aud_tok",
                                 "expires_at": "2099-01-01T00:00:00Z"}).json()
    row = one(srv, "token.created", token_id=t["id"])
    assert row["actor"] == admin_actor
    d = row["details"]
    assert (d["name"], d["role"], d["staff_id"]) == ("aud made", "agent", "sta_aud_tok")
    assert parse_ts(d["expires_at"]) == datetime.datetime(2099, 1, 1, tzinfo=UTC)
    assert srv.request("DELETE", f"/ops/tokens/{t['id']}").status == 200
    row = one(srv, "token.revoked", token_id=t["id"])
    assert row["actor"] == admin_actor and row["details"]["name"] == "aud made"


def test_staff_role_and_active_changes_are_logged_with_before_and_after(srv, admin_actor):
    sid = "sta_aud_roles"
    assert srv.put(f"/ops/staff/{sid}", {"name": "Roles"}).status == 201
    srv.put(f"/ops/staff/{sid}", {"name": "Roles", "role": "admin"})
    row = one(srv, "staff.role_changed", staff_id=sid)
    assert (row["details"]["before"], row["details"]["after"], row["actor"]) == ("agent", "admin", admin_actor)
    srv.put(f"/ops/staff/{sid}", {"name": "Roles", "active": False})
    row = one(srv, "staff.active_changed", staff_id=sid)
    assert (row["details"]["before"], row["details"]["after"]) == (True, False)
    # a change of name alone is neither
    before = len(rows(srv, "type=staff"))
    srv.put(f"/ops/staff/{sid}", {"name": "Roles Renamed", "active": False})
    assert len(rows(srv, "type=staff")) == before


def test_rule_changes_are_logged_with_before_and_after(srv, admin_actor):
    rid = "rul_aud_one"
    rule = {"name": "Audited rule", "enabled": True, "event_type": "aud.thing",
            "task": {"title": "Follow up", "due_in_days": 1}}
    r = srv.put(f"/ops/rules/{rid}", rule)
    assert r.status == 201, r
    created = one(srv, "rule.created", rule_id=rid)
    assert created["actor"] == admin_actor
    assert created["details"]["before"] is None and created["details"]["after"]["name"] == "Audited rule"
    r = srv.put(f"/ops/rules/{rid}", dict(rule, name="Audited rule v2"))
    assert r.status == 200, r
    upd = one(srv, "rule.updated", rule_id=rid)
    assert upd["details"]["before"]["name"] == "Audited rule" and upd["details"]["after"]["name"] == "Audited rule v2"
    assert upd["details"]["after"]["event_type"] == "aud.thing"
    assert srv.request("DELETE", f"/ops/rules/{rid}").status == 200
    gone = one(srv, "rule.deleted", rule_id=rid)
    assert gone["details"]["before"]["name"] == "Audited rule v2" and gone["details"]["after"] is None
    # newest first, and the prefix filter finds all three
    assert [x["type"] for x in rows(srv, "type=rule") if x["details"].get("rule_id") == rid] == \
        ["rule.deleted", "rule.updated", "rule.created"]


def test_renewal_policy_and_sla_calendar_changes_are_logged_with_before_and_after(srv, admin_actor):
    old = srv.get("/ops/renewal-policy").json()
    policy = {"title": "Renew {kind}", "thresholds": [{"days_before": 20, "priority": "HIGH", "due_in_days": 5}]}
    r = srv.put("/ops/renewal-policy", policy)
    assert r.status == 200, r
    [row] = rows(srv, "type=renewal_policy.updated")
    assert row["actor"] == admin_actor
    assert row["details"]["before"] == old and row["details"]["after"] == r.json()

    old_cal = srv.get("/ops/sla-calendar").json()
    cal = {"mode": "business_hours", "weekly": {d: [["09:00", "17:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}}
    cal["weekly"].update({"sat": [], "sun": []})
    r = srv.put("/ops/sla-calendar", cal)
    assert r.status == 200, r
    [row] = rows(srv, "type=sla_calendar.updated")
    assert row["actor"] == admin_actor
    before, after = row["details"]["before"], row["details"]["after"]
    assert (before["mode"], before["weekly"]) == (old_cal["mode"], old_cal["weekly"])
    assert (after["mode"], after["weekly"]["mon"]) == ("business_hours", [["09:00", "17:00"]])


# ---- reading the log -------------------------------------------------------------------

def test_the_log_is_newest_first_and_pages_by_cursor(srv):
    for i in range(3):
        sign_in(srv, f"pager-{i}@example.com", PW, client="198.51.100.40")
    everything = rows(srv)
    assert len(everything) >= 10
    ids = [x["id"] for x in everything]
    assert len(ids) == len(set(ids))
    ats = [parse_ts(x["at"]) for x in everything]
    assert ats == sorted(ats, reverse=True)
    seen, cursor = [], None
    for _ in range(200):
        r = srv.get("/ops/audit?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        page = r.json()
        assert len(page["data"]) <= 3
        seen += [x["id"] for x in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen[:len(ids)] == ids and len(seen) == len(ids)
    default = srv.get("/ops/audit").json()
    assert [x["id"] for x in default["data"]] == ids[:100]


@pytest.mark.parametrize("query,field", [("limit=0", "limit"), ("limit=501", "limit"), ("limit=x", "limit"),
                                         ("cursor=%21%21", "cursor"), ("from=yesterday", "from"),
                                         ("to=2026-13-01", "to"), ("format=xml", "format"), ("sort=at", "sort")])
def test_bad_audit_parameters_answer_422_naming_them(srv, query, field):
    assert_error(srv.get(f"/ops/audit?{query}"), 422, "validation_failed", field)


def test_the_log_filters_by_type_exactly_or_by_prefix(srv):
    everything = rows(srv)
    failed = rows(srv, "type=login.failed")
    assert failed and {x["type"] for x in failed} == {"login.failed"}
    assert [x["id"] for x in failed] == [x["id"] for x in everything if x["type"] == "login.failed"]
    login = rows(srv, "type=login")
    assert {x["type"] for x in login} == {"login.failed", "login.succeeded"}  # not logout
    assert [x["id"] for x in login] == [x["id"] for x in everything if x["type"].startswith("login.")]
    assert rows(srv, "type=login.fail") == []
    assert rows(srv, "type=nothing.such") == []


def test_the_log_filters_by_actor(srv, admin_actor):
    sid = "sta_aud_actor"
    account(srv, sid, PW, client="198.51.100.50")
    sign_in(srv, f"{sid}@example.com", PW, client="198.51.100.50")
    everything = rows(srv)
    mine = rows(srv, f"actor={sid}")
    assert mine and all(x["actor"] == sid for x in mine)
    assert [x["id"] for x in mine] == [x["id"] for x in everything if x["actor"] == sid]
    admins = rows(srv, f"actor={admin_actor}")
    assert admins and [x["id"] for x in admins] == [x["id"] for x in everything if x["actor"] == admin_actor]


def test_the_log_filters_by_time(srv):
    everything = rows(srv)
    assert len(everything) >= 4
    mid = everything[len(everything) // 2]["at"]
    m = parse_ts(mid)
    later = rows(srv, f"from={mid}")
    assert later and all(parse_ts(x["at"]) >= m for x in later)
    assert {x["id"] for x in everything if parse_ts(x["at"]) > m} <= {x["id"] for x in later}
    earlier = rows(srv, f"to={mid}")
    assert earlier and all(parse_ts(x["at"]) <= m for x in earlier)
    assert {x["id"] for x in everything if parse_ts(x["at"]) < m} <= {x["id"] for x in earlier}
    today = datetime.datetime.now(UTC).date()
    assert [x["id"] for x in rows(srv, f"from={today.isoformat()}")] == [x["id"] for x in everything]
    assert rows(srv, f"from={(today + datetime.timedelta(days=1)).isoformat()}") == []
    assert rows(srv, f"to={(today - datetime.timedelta(days=1)).isoformat()}") == []
    both = rows(srv, f"from={mid}&to={mid}")  # both ends are inclusive
    assert all(x["at"] == mid for x in both)
    assert everything[len(everything) // 2]["id"] in {x["id"] for x in both}


def test_the_log_as_csv_holds_the_same_rows(srv):
    want = rows(srv, "type=login")
    r = srv.get("/ops/audit?limit=500&type=login&format=csv")
    assert r.status == 200, r
    assert (r.header("Content-Type") or "").startswith("text/csv"), r.headers
    table = list(csv.reader(io.StringIO(r.body.decode("utf-8"))))
    assert table[0] == ROW_FIELDS
    body = table[1:]
    assert [x[0] for x in body] == [x["id"] for x in want]
    for line, row in zip(body, want):
        assert line[1] == row["at"] and line[2] == row["type"]
        assert line[3] == (row["actor"] or "") and line[4] == (row["client"] or "")
        assert json.loads(line[5]) == row["details"]


def test_the_log_is_for_admins_and_only_read(srv):
    srv.put("/ops/staff/sta_aud_agent", {"name": "Agent"})
    agent = srv.token("agent", staff="sta_aud_agent")
    assert_error(srv.get("/ops/audit", token=agent), 403, "forbidden")
    assert_error(srv.get("/ops/audit?format=csv", token=agent), 403, "forbidden")
    assert_error(srv.get("/ops/audit", token=None), 401, "unauthorized")
    c = account(srv, "sta_aud_agent2", PW, client="198.51.100.60")
    assert_error(srv.get("/ops/audit", token=None, headers=session_headers(srv, c, csrf=False)), 403, "forbidden")
    some = rows(srv)[0]["id"]
    for method, path in [("DELETE", "/ops/audit"), ("POST", "/ops/audit"), ("PUT", f"/ops/audit/{some}"),
                         ("DELETE", f"/ops/audit/{some}")]:
        r = srv.request(method, path, {"x": 1} if method in ("POST", "PUT") else None)
        assert r.status in (404, 405), (method, path, r)
    assert rows(srv)[0]["id"] == some or some in {x["id"] for x in rows(srv)}
