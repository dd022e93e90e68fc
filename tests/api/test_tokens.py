"""API tokens managed over HTTP and from the command line: POST /ops/tokens
(admin) shows the secret once, GET /ops/tokens lists them without it (an
agent only their own), DELETE revokes at once, an expired token answers 401,
last_used_at follows use; `opstasks token list` and `token revoke`."""
import datetime
import os
import time

import pytest

from conftest import (assert_error, db_query, parse_ts, run_cli, sign_in, session_headers, sqlite_only,
                      wait_until)

TOKEN_FIELDS = ["id", "name", "role", "staff_id", "created_at", "expires_at", "last_used_at"]
UTC = datetime.timezone.utc


def make_token(s, token=None, **body):
    kw = {} if token is None else {"token": token}
    r = s.post("/ops/tokens", body, **kw)
    assert r.status == 201, r
    return r.json()


def listed(s, token=None, query="limit=500"):
    kw = {} if token is None else {"token": token}
    r = s.get(f"/ops/tokens?{query}", **kw)
    assert r.status == 200, r
    return r.json()


def by_id(s, tid):
    return [t for t in listed(s)["data"] if t["id"] == tid]


def rfc3339(seconds_from_now):
    t = datetime.datetime.now(UTC).replace(microsecond=0) + datetime.timedelta(seconds=seconds_from_now)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_new_token_is_shown_once_and_listed_without_its_secret(server):
    server.staff("sta_tok_owner", name="Owner")
    t = make_token(server, name="CRM sync", role="agent", staff_id="sta_tok_owner", expires_at="2099-01-01T00:00:00Z")
    assert sorted(t) == sorted(TOKEN_FIELDS + ["token"])
    assert t["id"].startswith("tok_") and t["token"].startswith("ops_")
    assert (t["name"], t["role"], t["staff_id"], t["last_used_at"]) == ("CRM sync", "agent", "sta_tok_owner", None)
    assert parse_ts(t["expires_at"]) == datetime.datetime(2099, 1, 1, tzinfo=UTC)
    assert server.get("/ops/tasks?limit=1", token=t["token"]).status == 200
    page = server.get("/ops/tokens?limit=500")
    assert page.status == 200, page
    assert t["token"].encode() not in page.body
    body = page.json()
    assert set(body) == {"data", "next_cursor"}
    for x in body["data"]:
        assert sorted(x) == sorted(TOKEN_FIELDS), x
    [row] = [x for x in body["data"] if x["id"] == t["id"]]
    assert {k: row[k] for k in ("name", "role", "staff_id", "created_at", "expires_at")} == \
        {k: t[k] for k in ("name", "role", "staff_id", "created_at", "expires_at")}
    # the token was used: last_used_at is set (kept within a minute)
    used = parse_ts(row["last_used_at"]) if row["last_used_at"] else None
    if used is None:
        used = parse_ts(wait_until(lambda: by_id(server, t["id"])[0]["last_used_at"], 3, what="last_used_at"))
    assert abs((datetime.datetime.now(UTC) - used).total_seconds()) < 60
    # only its hash is stored
    rows = db_query(server, "SELECT * FROM tokens WHERE id = ?", (t["id"],))
    assert rows and all(t["token"] not in str(v) for v in rows[0])


def test_a_token_without_staff_or_expiry(server):
    t = make_token(server, name="robot", role="admin")
    assert (t["staff_id"], t["expires_at"]) == (None, None)
    assert server.get("/ops/audit?limit=1", token=t["token"]).status == 200


@pytest.mark.parametrize("body,status,code,field", [
    ({"role": "agent"}, 422, "validation_failed", "name"),
    ({"name": "", "role": "agent"}, 422, "validation_failed", "name"),
    ({"name": "x" * 101, "role": "agent"}, 422, "validation_failed", "name"),
    ({"name": 5, "role": "agent"}, 422, "validation_failed", "name"),
    ({"name": "n"}, 422, "validation_failed", "role"),
    ({"name": "n", "role": "owner"}, 422, "validation_failed", "role"),
    ({"name": "n", "role": "agent", "staff_id": "sta_tok_nobody"}, 422, "unknown_staff", None),
    ({"name": "n", "role": "agent", "expires_at": "2020-01-01T00:00:00Z"}, 422, "validation_failed", "expires_at"),
    ({"name": "n", "role": "agent", "expires_at": "tomorrow"}, 422, "validation_failed", "expires_at"),
    ({"name": "n", "role": "agent", "extra": 1}, 422, "validation_failed", "extra"),
])
def test_a_bad_token_request_is_refused_and_makes_nothing(server, body, status, code, field):
    before = len(listed(server)["data"])
    assert_error(server.post("/ops/tokens", body), status, code, field)
    assert len(listed(server)["data"]) == before


def test_a_name_of_100_characters_is_taken(server):
    assert make_token(server, name="n" * 100, role="agent")["name"] == "n" * 100


def test_an_expires_at_in_the_past_by_a_second_is_refused(server):
    assert_error(server.post("/ops/tokens", {"name": "late", "role": "agent", "expires_at": rfc3339(-1)}),
                 422, "validation_failed", "expires_at")


def test_an_agent_may_not_make_tokens(server):
    server.staff("sta_tok_agent")
    agent = server.token("agent", staff="sta_tok_agent")
    for role in ("admin", "agent"):
        assert_error(server.post("/ops/tokens", {"name": "mine", "role": role, "staff_id": "sta_tok_agent"},
                                 token=agent), 403, "forbidden")
    assert_error(server.post("/ops/tokens", {"name": "x", "role": "agent"}, token=None), 401, "unauthorized")


def test_an_expired_token_answers_401(server):
    t = make_token(server, name="short-lived", role="agent", expires_at=rfc3339(2))
    assert server.get("/ops/tasks?limit=1", token=t["token"]).status == 200
    wait_until(lambda: server.get("/ops/tasks?limit=1", token=t["token"]).status == 401, 4, interval=0.1,
               what="the token to expire")
    assert_error(server.get("/ops/tasks?limit=1", token=t["token"]), 401, "unauthorized")
    assert sign_in(server, token=t["token"])[0].status == 401
    # expired tokens are still listed (until revoked)
    assert by_id(server, t["id"])


def test_a_token_expired_in_the_database_answers_401_within_a_second(server):
    t = make_token(server, name="expire me", role="agent", expires_at="2099-01-01T00:00:00Z")
    assert server.get("/ops/tasks?limit=1", token=t["token"]).status == 200
    db_query(server, "UPDATE tokens SET expires_at = ? WHERE id = ?", (int(time.time() * 1000) - 1000, t["id"]))
    wait_until(lambda: server.get("/ops/tasks?limit=1", token=t["token"]).status == 401, 1.5, interval=0.05,
               what="the expired token to be refused")


def test_a_revoked_token_answers_401_at_once_and_its_sessions_end(server):
    t = make_token(server, name="revoke me", role="agent")
    assert server.get("/ops/tasks?limit=1", token=t["token"]).status == 200  # now in any cache
    r, c = sign_in(server, token=t["token"])
    assert r.status == 200, r
    r = server.request("DELETE", f"/ops/tokens/{t['id']}")
    assert r.status == 200 and r.json() == {"revoked": True}, r
    assert_error(server.get("/ops/tasks?limit=1", token=t["token"]), 401, "unauthorized")
    assert_error(server.get("/ops/me", token=None, headers=session_headers(server, c, csrf=False)),
                 401, "unauthorized")
    assert not by_id(server, t["id"])
    assert_error(server.request("DELETE", f"/ops/tokens/{t['id']}"), 404, "not_found")
    assert_error(server.request("DELETE", "/ops/tokens/tok_01J00000000000000000000000"), 404, "not_found")


def test_an_agent_sees_and_revokes_only_the_tokens_tied_to_them(server):
    server.staff("sta_tok_mine")
    server.staff("sta_tok_theirs")
    mine = make_token(server, name="mine", role="agent", staff_id="sta_tok_mine")
    mine2 = make_token(server, name="mine too", role="agent", staff_id="sta_tok_mine")
    theirs = make_token(server, name="theirs", role="agent", staff_id="sta_tok_theirs")
    loose = make_token(server, name="loose", role="agent")
    seen = listed(server, token=mine["token"])["data"]
    assert sorted(x["id"] for x in seen) == sorted([mine["id"], mine2["id"]])
    for other in (theirs, loose):
        assert_error(server.request("DELETE", f"/ops/tokens/{other['id']}", token=mine["token"]), 404, "not_found")
        assert server.get("/ops/tasks?limit=1", token=other["token"]).status == 200
    r = server.request("DELETE", f"/ops/tokens/{mine2['id']}", token=mine["token"])
    assert r.status == 200, r
    assert_error(server.get("/ops/tasks?limit=1", token=mine2["token"]), 401, "unauthorized")
    # an admin sees every live token
    ids = {x["id"] for x in listed(server)["data"]}
    assert {mine["id"], theirs["id"], loose["id"]} <= ids and mine2["id"] not in ids


def test_the_token_list_pages_by_id(server):
    for i in range(5):
        make_token(server, name=f"paged {i}", role="agent")
    seen, cursor = [], None
    for _ in range(200):
        page = listed(server, query="limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert len(page["data"]) <= 2
        seen += [x["id"] for x in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert cursor is None
    assert seen == [x["id"] for x in listed(server)["data"]]
    assert len(seen) == len(set(seen))
    assert_error(server.get("/ops/tokens?limit=0"), 422, "validation_failed", "limit")
    assert_error(server.get("/ops/tokens?limit=501"), 422, "validation_failed", "limit")


# ---- the command line ---------------------------------------------------------------

def test_token_list_and_revoke_from_the_command_line(server):
    server.staff("sta_tok_cli")
    t = make_token(server, name="cli listed", role="agent", staff_id="sta_tok_cli")
    p = run_cli("token", "list", "--db", server.db)
    assert p.returncode == 0, p.stderr
    [line] = [x for x in p.stdout.splitlines() if t["id"] in x]
    assert "agent" in line and "sta_tok_cli" in line and "cli listed" in line
    assert t["token"] not in p.stdout
    p = run_cli("token", "revoke", t["id"], "--db", server.db)
    assert p.returncode == 0, p.stderr
    wait_until(lambda: server.get("/ops/tasks?limit=1", token=t["token"]).status == 401, 1.5, interval=0.05,
               what="the token revoked from the command line to be refused")
    assert t["id"] not in run_cli("token", "list", "--db", server.db).stdout
    p = run_cli("token", "revoke", t["id"], "--db", server.db)
    assert p.returncode == 1 and t["id"] in p.stderr, (p.returncode, p.stderr)


@sqlite_only("a PostgreSQL database is never made by token create")
def test_token_create_says_when_it_made_a_new_database(tmp_path):
    db = tmp_path / "typo.db"
    p = run_cli("token", "create", "--db", db, "--role", "admin")
    assert p.returncode == 0, p.stderr
    assert str(db) in p.stderr and "created" in p.stderr.lower(), p.stderr
    assert os.path.exists(db)
    p = run_cli("token", "create", "--db", db, "--role", "admin")
    assert p.returncode == 0 and "created" not in p.stderr.lower(), p.stderr
