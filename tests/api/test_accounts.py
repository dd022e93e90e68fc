"""Staff who sign in as themselves: roles, invitations that set a password,
sign-in by email, working as that person, deactivation, the refusals (wrong
password or unknown email alike, the per-email and per-address limits, weak
passwords, used and expired invites), one's own password and sessions, and
the same across two instances on one database.

The module's server trusts 127.0.0.1 as a proxy, so each test signs in from
an address of its own (X-Forwarded-For) and the per-address limit of one test
does not reach the next. Every password is hashed with argon2id at 64 MiB
(some 100 ms), so the tests keep their sign-ins few."""
import datetime
import itertools
import re
import threading
import time

import pytest

from conftest import (FUTURE, SLOW, Server, accept_invite, account, assert_error, db_query, drop_module_db,
                      invite_secret, new_db_uri, parse_ts, session_headers, sign_in, wait_until)

# Timing-bound (sign-in answers as slow for an unknown email as for a wrong
# password, changes seen on another instance within a second or two):
# make runs these after the suite's parallel part, two modules at a time.
pytestmark = pytest.mark.serial

PW = "plum-ladder-4711-Quartz"
PW2 = "second-Walnut-0815-river"
BAD_CREDENTIALS = "The email or password is not right"
STAFF_FIELDS = ["id", "name", "email", "active", "role", "has_password", "last_login_at", "invite_expires_at",
                "created_at", "updated_at"]
PROXY = {"OPSTASKS_TRUSTED_PROXY": "127.0.0.1"}
UTC = datetime.timezone.utc

_addresses = itertools.count(1)


def new_client():
    """An address of its own for one test's sign-ins."""
    n = next(_addresses)
    return f"10.13.{n // 250}.{n % 250 + 1}"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("acc"), extra_env=PROXY).start()
    yield s
    if s.proc:
        s.stop()
    drop_module_db(s.db)


@pytest.fixture
def client():
    return new_client()


def now_utc():
    return datetime.datetime.now(UTC)


def me(s, c, client=None):
    return s.get("/ops/me", token=None, headers=session_headers(s, c, csrf=False, client=client))


def put_staff(s, sid, **fields):
    body = {"name": sid, "email": f"{sid}@example.com", "active": True}
    body.update(fields)
    r = s.put(f"/ops/staff/{sid}", body)
    assert r.status in (200, 201), r
    return r.json()


def staff_of(s, sid):
    r = s.get(f"/ops/staff/{sid}")
    assert r.status == 200, r
    return r.json()


def assert_bad_credentials(r):
    e = assert_error(r, 401, "unauthorized")
    assert e["message"] == BAD_CREDENTIALS, e
    assert r.header("Set-Cookie") is None
    return r.json()


def retry_after(r):
    v = r.header("Retry-After")
    assert v is not None and re.fullmatch(r"[0-9]+", v), r.headers
    assert 1 <= int(v) <= 900, v
    return int(v)


# ---- staff roles --------------------------------------------------------------------

def test_staff_answers_carry_role_and_the_account_fields(srv):
    a = put_staff(srv, "sta_acc_role")
    assert sorted(a) == sorted(STAFF_FIELDS)
    assert (a["role"], a["has_password"], a["last_login_at"], a["invite_expires_at"]) == ("agent", False, None, None)
    b = put_staff(srv, "sta_acc_role", role="admin")
    assert b["role"] == "admin"
    # role left out of a later PUT keeps it
    assert put_staff(srv, "sta_acc_role", name="Renamed")["role"] == "admin"
    assert staff_of(srv, "sta_acc_role")["role"] == "admin"
    listed = [x for x in srv.get("/ops/staff?limit=500").json()["data"] if x["id"] == "sta_acc_role"]
    assert listed == [staff_of(srv, "sta_acc_role")]
    assert_error(srv.put("/ops/staff/sta_acc_role", {"name": "x", "role": "owner"}), 422, "validation_failed", "role")
    assert staff_of(srv, "sta_acc_role")["role"] == "admin"


def test_only_admins_change_staff(srv):
    put_staff(srv, "sta_acc_notadmin")
    agent = srv.token("agent", staff="sta_acc_notadmin")
    assert_error(srv.put("/ops/staff/sta_acc_notadmin", {"name": "me", "role": "admin"}, token=agent),
                 403, "forbidden")
    assert staff_of(srv, "sta_acc_notadmin")["role"] == "agent"


# ---- the whole path: invite, password, sign-in, work, deactivation ---------------------

def test_invite_set_password_sign_in_work_as_that_person_then_deactivation_ends_it(srv, client):
    sid = "sta_acc_ada"
    put_staff(srv, sid, name="Ada Lovelace", email="Ada.Lovelace@Example.com")
    r = srv.post(f"/ops/staff/{sid}/invite", None)
    assert r.status == 201, r
    inv = r.json()
    assert set(inv) == {"invite_url", "expires_at"}
    m = re.fullmatch(rf"http://127\.0\.0\.1:{srv.port}/invite/([A-Za-z0-9_-]{{20,}})", inv["invite_url"])
    assert m, inv
    secret = m.group(1)
    left = parse_ts(inv["expires_at"]) - now_utc()
    assert datetime.timedelta(days=7, minutes=-2) < left <= datetime.timedelta(days=7), left
    st = staff_of(srv, sid)
    assert st["invite_expires_at"] == inv["expires_at"] and st["has_password"] is False

    page = srv.get(f"/invite/{secret}", token=None)
    assert page.status == 200, page
    assert page.header("Content-Type") == "text/html; charset=utf-8"
    assert PW not in page.body.decode()

    r, c_inv = accept_invite(srv, secret, PW, client=client)
    assert r.status == 200, r
    body = r.json()
    assert set(body) == {"staff_id", "role", "expires_at"}
    assert (body["staff_id"], body["role"]) == (sid, "agent")
    assert set(c_inv) >= {"opstasks_session", "opstasks_csrf"}
    assert PW.encode() not in r.body
    st = staff_of(srv, sid)
    assert st["has_password"] is True and st["invite_expires_at"] is None
    assert me(srv, c_inv).status == 200

    # the email in another case signs in
    r, c = sign_in(srv, "ADA.lovelace@example.COM", PW, client=client)
    assert r.status == 200, r
    assert set(r.json()) == {"staff_id", "role", "expires_at"}
    assert r.json()["staff_id"] == sid and r.json()["role"] == "agent"
    assert PW.encode() not in r.body
    assert staff_of(srv, sid)["last_login_at"] is not None
    got = me(srv, c)
    assert got.status == 200, got
    m_ = got.json()
    assert m_["token"] is None and (m_["staff_id"], m_["role"], m_["name"]) == (sid, "agent", "Ada Lovelace")
    assert m_["session_id"].startswith("ses_")
    assert {"today", "timezone"} <= set(m_)

    # work as Ada: history names her
    t = srv.post("/ops/tasks", {"title": "Ada's task", "due_date": FUTURE}, token=None,
                 headers=session_headers(srv, c, client=client))
    assert t.status == 201, t
    tid = t.json()["id"]
    p = srv.patch(f"/ops/tasks/{tid}", {"status": "IN_PROGRESS"}, token=None,
                  headers=session_headers(srv, c, client=client))
    assert p.status == 200, p
    hist = srv.history(tid)
    assert [h["actor"] for h in hist] == [sid] * len(hist) and len(hist) >= 2
    assert all(h["actor_name"] == "Ada Lovelace" for h in hist), hist
    # an agent's session is an agent's
    assert_error(srv.get("/ops/audit", token=None, headers=session_headers(srv, c, csrf=False)), 403, "forbidden")

    # deactivation: every session of hers answers 401 at once, and she cannot sign in
    r = srv.put(f"/ops/staff/{sid}", {"name": "Ada Lovelace", "email": "Ada.Lovelace@Example.com", "active": False})
    assert r.status == 200, r
    assert_error(me(srv, c), 401, "unauthorized")
    assert_error(me(srv, c_inv), 401, "unauthorized")
    assert_error(srv.post("/ops/tasks", {"title": "after", "due_date": FUTURE}, token=None,
                          headers=session_headers(srv, c)), 401, "unauthorized")
    assert srv.get("/tasks", token=None, headers=session_headers(srv, c, csrf=False)).status == 303
    assert_bad_credentials(sign_in(srv, "ada.lovelace@example.com", PW, client=client)[0])

    # back again: the old sessions stay ended, a new sign-in works
    r = srv.put(f"/ops/staff/{sid}", {"name": "Ada Lovelace", "email": "Ada.Lovelace@Example.com", "active": True})
    assert r.status == 200, r
    assert_error(me(srv, c), 401, "unauthorized")
    assert_error(me(srv, c_inv), 401, "unauthorized")
    r, c2 = sign_in(srv, "ada.lovelace@example.com", PW, client=client)
    assert r.status == 200, r
    assert me(srv, c2).status == 200


def test_deactivation_disables_the_persons_tokens_and_ends_their_sessions_for_good(srv, client):
    sid = "sta_acc_tok"
    put_staff(srv, sid, name="Token Holder")
    r = srv.post("/ops/tokens", {"name": "holder's", "role": "agent", "staff_id": sid})
    assert r.status == 201, r
    tok = r.json()["token"]
    other = srv.token("agent", name="not tied")
    r, c = sign_in(srv, token=tok, client=client)
    assert r.status == 200, r
    assert srv.get("/ops/tasks?limit=1", token=tok).status == 200
    assert me(srv, c).status == 200

    put_staff(srv, sid, name="Token Holder", active=False)
    assert_error(srv.get("/ops/tasks?limit=1", token=tok), 401, "unauthorized")
    assert_error(me(srv, c), 401, "unauthorized")
    assert sign_in(srv, token=tok, client=client)[0].status == 401
    assert srv.get("/ops/tasks?limit=1", token=other).status == 200  # someone else's token is untouched

    # re-activation: the token works again (disabled, not revoked); the session does not
    put_staff(srv, sid, name="Token Holder", active=True)
    assert srv.get("/ops/tasks?limit=1", token=tok).status == 200
    assert_error(me(srv, c), 401, "unauthorized")


def test_the_persons_role_decides_what_their_session_may_do_at_once(srv, client):
    sid = "sta_acc_boss"
    c = account(srv, sid, PW, role="admin", client=client)
    m_ = me(srv, c).json()
    assert (m_["role"], m_["staff_id"], m_["token"]) == ("admin", sid, None)
    assert srv.get("/ops/audit?limit=1", token=None, headers=session_headers(srv, c, csrf=False)).status == 200
    r = srv.post("/ops/tokens", {"name": "made by a person", "role": "agent"}, token=None,
                 headers=session_headers(srv, c, client=client))
    assert r.status == 201, r
    # made an agent: the same session is an agent's from its next request
    put_staff(srv, sid, role="agent")
    assert me(srv, c).json()["role"] == "agent"
    assert_error(srv.get("/ops/audit?limit=1", token=None, headers=session_headers(srv, c, csrf=False)),
                 403, "forbidden")
    assert_error(srv.post("/ops/tokens", {"name": "no more", "role": "agent"}, token=None,
                          headers=session_headers(srv, c, client=client)), 403, "forbidden")


def test_a_tied_token_acts_as_its_staff_member_and_an_untied_one_as_itself(srv):
    put_staff(srv, "sta_acc_named", name="Named Person")
    tied = srv.post("/ops/tokens", {"name": "tied one", "role": "agent", "staff_id": "sta_acc_named"}).json()
    loose = srv.post("/ops/tokens", {"name": "robot", "role": "agent"}).json()
    t1 = srv.task(token=tied["token"], title="by tied")
    t2 = srv.task(token=loose["token"], title="by robot")
    h1, h2 = srv.history(t1["id"])[0], srv.history(t2["id"])[0]
    assert (h1["actor"], h1["actor_name"]) == ("sta_acc_named", "Named Person")
    assert (h2["actor"], h2["actor_name"]) == (f"token:{loose['id']}", "robot")


# ---- sign-in refusals ------------------------------------------------------------------

def test_a_wrong_password_and_an_unknown_email_get_the_same_401_in_about_the_same_time(srv, client):
    account(srv, "sta_acc_same", PW, client=client)
    put_staff(srv, "sta_acc_nopw")  # no password yet
    account(srv, "sta_acc_off", PW, client=client)
    put_staff(srv, "sta_acc_off", active=False)
    timings = {}
    answers = []
    # three rounds, the kinds interleaved, so that a burst of other work on
    # the machine (a hash costs ~0.1 s under ASan, several times that on a
    # busy machine) slows some samples of each kind rather than all of one
    tries = []
    for i in range(3):
        tries += [("wrong", ("sta_acc_same@example.com", "STA_ACC_SAME@example.com")[i % 2], f"not-the-password-{i}"),
                  ("unknown", f"nobody-{i}@example.com", PW)]
    tries += [("nopw", "sta_acc_nopw@example.com", PW), ("inactive", "sta_acc_off@example.com", PW)]
    for kind, email, pw in tries:
        t0 = time.monotonic()
        r, c = sign_in(srv, email, pw, client=client)
        timings.setdefault(kind, []).append(time.monotonic() - t0)
        answers.append(assert_bad_credentials(r))
        assert c == {}
    assert all(a == answers[0] for a in answers), answers
    # a stand-in hash is checked for an unknown email: no quick answer tells
    # the emails apart (the quickest of each kind, the least disturbed)
    wrong, unknown = min(timings["wrong"]), min(timings["unknown"])
    assert unknown > 0.4 * wrong and wrong > 0.4 * unknown, timings


@pytest.mark.parametrize("body,field", [
    ({"email": "someone@example.com"}, "password"),
    ({"email": "someone@example.com", "password": 5}, "password"),
    ({"email": 5, "password": PW}, "email"),
    ({"password": PW}, None),
])
def test_a_sign_in_missing_a_part_is_refused_without_a_cookie(srv, body, field):
    r = srv.post("/login", body, token=None, headers={"Origin": f"http://127.0.0.1:{srv.port}",
                                                        "X-Forwarded-For": new_client()})
    assert r.status in (401, 422), r
    if r.status == 422 and field:
        assert_error(r, 422, "validation_failed", field)
    assert r.header("Set-Cookie") is None


def test_five_failures_for_one_email_block_it_for_15_minutes_even_with_the_right_password(srv):
    email = "sta_acc_locked@example.com"
    account(srv, "sta_acc_locked", PW)
    account(srv, "sta_acc_bystander", PW)
    # spread over addresses and letter cases: the count is the email's
    for i in range(5):
        e = email.upper() if i % 2 else email
        assert_bad_credentials(sign_in(srv, e, f"wrong-password-{i}", client=new_client())[0])
    for pw in (PW, "wrong-password-x"):
        r, c = sign_in(srv, "Sta_Acc_Locked@Example.com", pw, client=new_client())
        assert_error(r, 429, "too_many_requests")
        retry_after(r)
        assert c == {}
    # a blocked attempt is not itself a failure
    assert db_query(srv, "SELECT count(*) FROM login_failures WHERE key = ?", (f"email:{email}",)) == [(5,)]
    # another email is not held up
    assert sign_in(srv, "sta_acc_bystander@example.com", PW, client=new_client())[0].status == 200
    # the window passes: move the failures 15 minutes back
    back = 15 * 60 * 1000 + 5000
    db_query(srv, "UPDATE login_failures SET at = at - ? WHERE key = ?", (back, f"email:{email}"))
    r, _ = sign_in(srv, email, PW, client=new_client())
    assert r.status == 200, r
    # a success clears the email's failures: one more wrong one is a plain 401
    assert_bad_credentials(sign_in(srv, email, "wrong-password-y", client=new_client())[0])


def test_the_retry_after_counts_down_to_when_the_oldest_failure_leaves_the_window(srv):
    email = "sta_acc_countdown@example.com"
    account(srv, "sta_acc_countdown", PW)
    for i in range(5):
        assert_bad_credentials(sign_in(srv, email, f"wrong-password-{i}", client=new_client())[0])
    first = retry_after(sign_in(srv, email, PW, client=new_client())[0])
    assert first > 890, first
    # the failures ten minutes older: about five minutes left
    db_query(srv, "UPDATE login_failures SET at = at - ? WHERE key = ?", (600_000, f"email:{email}"))
    later = retry_after(sign_in(srv, email, PW, client=new_client())[0])
    assert 280 <= later <= 301, later


def test_a_wrong_current_password_counts_toward_the_emails_limit(srv, client):
    email = "sta_acc_curlimit@example.com"
    c = account(srv, "sta_acc_curlimit", PW, client=client)
    r = srv.post("/ops/me/password", {"current_password": "not-my-password", "new_password": PW2}, token=None,
                 headers=session_headers(srv, c, client=client))
    assert_error(r, 422, "validation_failed", "current_password")
    for i in range(4):
        assert_bad_credentials(sign_in(srv, email, f"wrong-password-{i}", client=new_client())[0])
    assert_error(sign_in(srv, email, PW, client=new_client())[0], 429, "too_many_requests")


def test_more_than_30_failures_from_one_address_block_it_and_no_other(make_server):
    s = make_server(extra_env=PROXY)
    account(s, "sta_acc_addr", PW)
    blocked, fine = "192.0.2.7", "192.0.2.8"
    # token sign-ins count too; each email only once, so no email's limit is reached
    for i in range(16):
        assert sign_in(s, token=f"ops_not_a_token_{i}", client=blocked)[0].status == 401
    for i in range(15):
        assert_bad_credentials(sign_in(s, f"someone-{i}@example.com", PW, client=blocked)[0])
    r, c = sign_in(s, "sta_acc_addr@example.com", PW, client=blocked)
    assert_error(r, 429, "too_many_requests")
    retry_after(r)
    assert c == {}
    r, _ = sign_in(s, "sta_acc_addr@example.com", PW, client=fine)
    assert r.status == 200, r


@pytest.mark.parametrize("password", [
    "short-9ch",                      # 9 characters
    "x" * 100 + "y" * 101,            # 201 characters
    "äöüß" * 50 + "ä",                # 201 characters (402 bytes)
    "STA_ACC_WEAK@example.com",       # the email, in another case
    "a" * 12,                         # one character repeated
    "password123",                    # one of the first a guesser tries
    "",
])
def test_a_weak_password_is_refused_naming_password_and_the_invite_stays_usable(srv, password):
    put_staff(srv, "sta_acc_weak")
    secret, _ = invite_secret(srv, "sta_acc_weak")
    r, c = accept_invite(srv, secret, password)
    assert_error(r, 422, "validation_failed", "password")
    assert c == {}
    assert staff_of(srv, "sta_acc_weak")["has_password"] is False
    assert srv.get(f"/invite/{secret}", token=None).status == 200


@pytest.mark.parametrize("password", ["ten-chars!", "äöüß" * 50])
def test_passwords_of_10_and_200_characters_are_taken(srv, password):
    sid = f"sta_acc_len{len(password)}"
    put_staff(srv, sid)
    secret, _ = invite_secret(srv, sid)
    r, _ = accept_invite(srv, secret, password)
    assert r.status == 200, r
    assert sign_in(srv, f"{sid}@example.com", password, client=new_client())[0].status == 200


def test_a_password_that_is_not_a_string_is_422(srv):
    put_staff(srv, "sta_acc_typed")
    secret, _ = invite_secret(srv, "sta_acc_typed")
    for body in ({"password": 1234567890123}, {"password": None}, {}):
        r = srv.post(f"/invite/{secret}", body, token=None, headers={"Origin": f"http://127.0.0.1:{srv.port}"})
        assert_error(r, 422, "validation_failed", "password")


# ---- invitations -------------------------------------------------------------------------

def test_a_used_invite_answers_404(srv):
    put_staff(srv, "sta_acc_used")
    secret, _ = invite_secret(srv, "sta_acc_used")
    assert accept_invite(srv, secret, PW)[0].status == 200
    r, c = accept_invite(srv, secret, PW2)
    assert_error(r, 404, "not_found")
    assert c == {}
    page = srv.get(f"/invite/{secret}", token=None)
    assert page.status == 404 and page.header("Content-Type") == "text/html; charset=utf-8"
    # the first password is the one that holds
    assert sign_in(srv, "sta_acc_used@example.com", PW, client=new_client())[0].status == 200


def test_an_unknown_invite_answers_404(srv):
    for secret in ("A" * 43, "x"):
        assert_error(accept_invite(srv, secret, PW)[0], 404, "not_found")
    assert srv.get("/invite/" + "A" * 43, token=None).status == 404


def test_a_new_invite_replaces_the_older_one(srv):
    put_staff(srv, "sta_acc_twice")
    old, _ = invite_secret(srv, "sta_acc_twice")
    new, body = invite_secret(srv, "sta_acc_twice")
    assert old != new
    assert staff_of(srv, "sta_acc_twice")["invite_expires_at"] == body["expires_at"]
    assert srv.get(f"/invite/{old}", token=None).status == 404
    assert_error(accept_invite(srv, old, PW)[0], 404, "not_found")
    assert accept_invite(srv, new, PW)[0].status == 200


def test_an_invite_resets_a_password_and_ends_the_persons_other_sessions(srv, client):
    c_old = account(srv, "sta_acc_reset", PW, client=client)
    secret, _ = invite_secret(srv, "sta_acc_reset")
    r, c_new = accept_invite(srv, secret, PW2, client=client)
    assert r.status == 200, r
    assert me(srv, c_new).status == 200
    assert_error(me(srv, c_old), 401, "unauthorized")
    assert_bad_credentials(sign_in(srv, "sta_acc_reset@example.com", PW, client=client)[0])
    assert sign_in(srv, "sta_acc_reset@example.com", PW2, client=client)[0].status == 200


def test_an_invite_is_good_for_7_days_and_answers_404_once_expired(srv):
    put_staff(srv, "sta_acc_late")
    secret, body = invite_secret(srv, "sta_acc_late")
    [(created, expires)] = db_query(srv, "SELECT created_at, expires_at FROM invites WHERE staff_id = ?",
                                    ("sta_acc_late",))
    assert expires - created == 7 * 86400 * 1000
    assert abs(expires - parse_ts(body["expires_at"]).timestamp() * 1000) < 1000
    db_query(srv, "UPDATE invites SET expires_at = ? WHERE staff_id = ?",
             (int(time.time() * 1000) - 1000, "sta_acc_late"))
    assert srv.get(f"/invite/{secret}", token=None).status == 404
    assert_error(accept_invite(srv, secret, PW)[0], 404, "not_found")
    assert staff_of(srv, "sta_acc_late")["has_password"] is False


def test_an_invite_takes_no_body_and_uses_the_requests_host(srv):
    put_staff(srv, "sta_acc_host")
    r = srv.post("/ops/staff/sta_acc_host/invite", {"ignored": True}, headers={"Host": "ops.example.test"})
    assert r.status == 201, r
    assert re.fullmatch(r"http://ops\.example\.test/invite/[A-Za-z0-9_-]{20,}", r.json()["invite_url"]), r.json()
    r = srv.post("/ops/staff/sta_acc_host/invite", None, headers={"Host": "ops.example.test",
                                                                  "X-Forwarded-Proto": "https"})
    assert r.status == 201, r
    assert r.json()["invite_url"].startswith("https://ops.example.test/invite/"), r.json()


def test_invite_refusals(srv):
    assert_error(srv.post("/ops/staff/sta_acc_nobody/invite", None), 404, "not_found")
    put_staff(srv, "sta_acc_noemail", email=None)
    assert_error(srv.post("/ops/staff/sta_acc_noemail/invite", None), 422, "validation_failed", "email")
    put_staff(srv, "sta_acc_gone", active=False)
    assert_error(srv.post("/ops/staff/sta_acc_gone/invite", None), 409, "conflict")
    put_staff(srv, "sta_acc_inv_agent")
    agent = srv.token("agent", staff="sta_acc_inv_agent")
    assert_error(srv.post("/ops/staff/sta_acc_inv_agent/invite", None, token=agent), 403, "forbidden")
    assert_error(srv.post("/ops/staff/sta_acc_inv_agent/invite", None, token=None), 401, "unauthorized")


def test_an_email_shared_with_another_active_staff_member_with_a_password_is_409(srv):
    account(srv, "sta_acc_first", PW, email="Shared.Mail@example.com")
    put_staff(srv, "sta_acc_second", email="shared.MAIL@example.com")  # not unique in the list
    assert_error(srv.post("/ops/staff/sta_acc_second/invite", None), 409, "conflict")
    # once the first is inactive, the second may be invited
    put_staff(srv, "sta_acc_first", email="Shared.Mail@example.com", active=False)
    secret, _ = invite_secret(srv, "sta_acc_second")
    assert accept_invite(srv, secret, PW2)[0].status == 200
    # and the first cannot come back while both would have a password on that email
    r = srv.put("/ops/staff/sta_acc_first", {"name": "first", "email": "Shared.Mail@example.com", "active": True})
    assert_error(r, 409, "conflict")
    assert staff_of(srv, "sta_acc_first")["active"] is False
    # moving an email onto a password holder's is 409 too
    account(srv, "sta_acc_third", PW, email="third@example.com")
    r = srv.put("/ops/staff/sta_acc_third", {"name": "third", "email": "SHARED.mail@EXAMPLE.com", "active": True})
    assert_error(r, 409, "conflict")
    assert staff_of(srv, "sta_acc_third")["email"] == "third@example.com"


# ---- one's own password and sessions ------------------------------------------------------

def test_changing_ones_password_keeps_this_session_and_ends_the_others(srv, client):
    sid, email = "sta_acc_change", "sta_acc_change@example.com"
    c_a = account(srv, sid, PW, client=client)
    r, c_b = sign_in(srv, email, PW, client=client)
    assert r.status == 200, r
    h = session_headers(srv, c_a, client=client)
    r = srv.post("/ops/me/password", {"current_password": "not-my-password", "new_password": PW2}, token=None,
                 headers=h)
    assert_error(r, 422, "validation_failed", "current_password")
    r = srv.post("/ops/me/password", {"current_password": PW, "new_password": "short"}, token=None, headers=h)
    assert_error(r, 422, "validation_failed", "new_password")
    r = srv.post("/ops/me/password", {"current_password": PW, "new_password": email.upper()}, token=None, headers=h)
    assert_error(r, 422, "validation_failed", "new_password")
    assert me(srv, c_b).status == 200  # refusals end nothing
    r = srv.post("/ops/me/password", {"current_password": PW, "new_password": PW2}, token=None, headers=h)
    assert r.status == 200 and r.json() == {"changed": True}, r
    assert PW.encode() not in r.body and PW2.encode() not in r.body
    assert me(srv, c_a).status == 200
    assert_error(me(srv, c_b), 401, "unauthorized")
    assert_bad_credentials(sign_in(srv, email, PW, client=client)[0])
    assert sign_in(srv, email, PW2, client=client)[0].status == 200


def test_changing_ones_password_needs_the_csrf_token_and_a_password(srv, client):
    c = account(srv, "sta_acc_csrfpw", PW, client=client)
    r = srv.post("/ops/me/password", {"current_password": PW, "new_password": PW2}, token=None,
                 headers=session_headers(srv, c, csrf=False))
    assert_error(r, 403, "forbidden")
    # a token not tied to a staff member has no password to change
    assert_error(srv.post("/ops/me/password", {"current_password": PW, "new_password": PW2}), 409, "conflict")
    assert_error(srv.post("/ops/me/password", {"current_password": PW, "new_password": PW2}, token=None),
                 401, "unauthorized")


def test_ones_sessions_are_listed_newest_first_with_the_current_one_marked_and_can_be_ended(srv):
    sid = "sta_acc_sess"
    ca, cb = new_client(), new_client()
    account(srv, sid, PW, client=ca)
    r, c1 = sign_in(srv, f"{sid}@example.com", PW, client=ca, headers={"User-Agent": "Browser One/1.0"})
    assert r.status == 200, r
    r, c2 = sign_in(srv, f"{sid}@example.com", PW, client=cb, headers={"User-Agent": "Browser Two/2.0"})
    assert r.status == 200, r
    r = srv.get("/ops/me/sessions", token=None, headers=session_headers(srv, c2, csrf=False, client=cb))
    assert r.status == 200, r
    page = r.json()
    assert set(page) == {"data", "next_cursor"} and page["next_cursor"] is None
    rows = page["data"]
    assert len(rows) == 3  # the invite's, one's and two's
    for x in rows:
        assert set(x) == {"id", "created_at", "last_seen_at", "user_agent", "client", "current"}
        assert x["id"].startswith("ses_")
    assert [x["current"] for x in rows] == [True, False, False]
    assert (rows[0]["user_agent"], rows[0]["client"]) == ("Browser Two/2.0", cb)
    assert (rows[1]["user_agent"], rows[1]["client"]) == ("Browser One/1.0", ca)
    assert parse_ts(rows[0]["created_at"]) >= parse_ts(rows[1]["created_at"]) >= parse_ts(rows[2]["created_at"])
    assert rows[0]["id"] == me(srv, c2).json()["session_id"]

    # ending session one from session two
    h2 = session_headers(srv, c2, client=cb)
    r = srv.request("DELETE", f"/ops/me/sessions/{rows[1]['id']}", token=None, headers=h2)
    assert r.status == 200 and r.json() == {"ended": True}, r
    assert_error(me(srv, c1), 401, "unauthorized")
    loc = srv.get("/tasks", token=None, headers=session_headers(srv, c1, csrf=False))
    assert loc.status == 303 and loc.header("Location").startswith("/login")
    assert me(srv, c2).status == 200
    assert_error(srv.request("DELETE", f"/ops/me/sessions/{rows[1]['id']}", token=None, headers=h2),
                 404, "not_found")
    listed = srv.get("/ops/me/sessions", token=None, headers=session_headers(srv, c2, csrf=False)).json()["data"]
    assert [x["id"] for x in listed] == [rows[0]["id"], rows[2]["id"]]


def test_ending_someone_elses_session_is_404(srv, client):
    c_x = account(srv, "sta_acc_sx", PW, client=client)
    c_y = account(srv, "sta_acc_sy", PW, client=client)
    yid = me(srv, c_y).json()["session_id"]
    r = srv.request("DELETE", f"/ops/me/sessions/{yid}", token=None, headers=session_headers(srv, c_x))
    assert_error(r, 404, "not_found")
    assert me(srv, c_y).status == 200
    r = srv.request("DELETE", f"/ops/me/sessions/{yid}", token=None, headers=session_headers(srv, c_x, csrf=False))
    assert_error(r, 403, "forbidden")


def test_logout_ends_a_password_session(srv, client):
    c = account(srv, "sta_acc_out", PW, client=client)
    r, c2 = sign_in(srv, "sta_acc_out@example.com", PW, client=client)
    r = srv.post("/logout", None, token=None, headers=session_headers(srv, c))
    assert r.status == 200 and r.json() == {"signed_out": True}, r
    assert_error(me(srv, c), 401, "unauthorized")
    assert me(srv, c2).status == 200  # only that one


# ---- two instances on one database ----------------------------------------------------------

@pytest.fixture
def pair(tmp_path):
    """Two servers on one new database, trusting 127.0.0.1 as a proxy; the first one's admin token is shared."""
    db = new_db_uri(tmp_path)
    made = []
    for i in range(2):
        d = tmp_path / f"i{i}"
        d.mkdir()
        made.append(Server(d, db=db, extra_env=PROXY).start())
    made[1]._admin = made[0].admin
    yield made
    for s in made:
        if s.proc:
            s.stop()


def test_a_deactivation_on_one_instance_ends_sessions_and_tokens_on_another_within_a_second(pair):
    a, b = pair
    sid = "sta_acc_pair"
    account(a, sid, PW)
    r, c = sign_in(b, f"{sid}@example.com", PW)
    assert r.status == 200, r
    tok = a.post("/ops/tokens", {"name": "pair", "role": "agent", "staff_id": sid}).json()["token"]
    assert me(b, c).status == 200 and b.get("/ops/tasks?limit=1", token=tok).status == 200
    put_staff(a, sid, active=False)
    t0 = time.monotonic()
    wait_until(lambda: me(b, c).status == 401 and b.get("/ops/tasks?limit=1", token=tok).status == 401, 3,
               interval=0.05, what="the session and token to be refused on the other instance")
    assert time.monotonic() - t0 < 2 * SLOW
    assert_error(me(a, c), 401, "unauthorized")


def test_a_token_revoked_on_one_instance_answers_401_on_another_within_a_second(pair):
    a, b = pair
    t = a.post("/ops/tokens", {"name": "pair revoked", "role": "agent"}).json()
    assert b.get("/ops/tasks?limit=1", token=t["token"]).status == 200  # in b's cache now
    r = a.request("DELETE", f"/ops/tokens/{t['id']}")
    assert r.status == 200, r
    assert_error(a.get("/ops/tasks?limit=1", token=t["token"]), 401, "unauthorized")
    t0 = time.monotonic()
    wait_until(lambda: b.get("/ops/tasks?limit=1", token=t["token"]).status == 401, 3, interval=0.05,
               what="the revoked token to be refused on the other instance")
    assert time.monotonic() - t0 < 2 * SLOW


def test_the_per_email_limit_holds_across_instances(pair):
    a, b = pair
    email = "sta_acc_pairlock@example.com"
    account(a, "sta_acc_pairlock", PW)
    for i in range(5):
        s = (a, b)[i % 2]
        assert_bad_credentials(sign_in(s, email, f"wrong-password-{i}", client=new_client())[0])
    for s in (a, b):
        r, _ = sign_in(s, email, PW, client=new_client())
        assert_error(r, 429, "too_many_requests")
        retry_after(r)


def test_sign_ins_at_once_are_answered(srv):
    """Eight sign-ins at once (the hashing pool takes two at a time): each
    answers 200, or 503 with Retry-After 1 when it waited too long."""
    account(srv, "sta_acc_burst", PW)
    out, threads = [], []

    def one():
        out.append(sign_in(srv, "sta_acc_burst@example.com", PW, client=new_client())[0])

    for _ in range(8):
        threads.append(threading.Thread(target=one))
    for t in threads:
        t.start()
    for t in threads:
        t.join(30 * SLOW)
    assert len(out) == 8
    for r in out:
        assert r.status in (200, 503), r
        if r.status == 503:
            assert r.header("Retry-After") == "1"
    assert any(r.status == 200 for r in out)


# ---- what a review of the sign-in code found ------------------------------------------

def test_a_demoted_admins_admin_token_acts_as_an_agent(srv):
    """A token's role is the lower of its own and its person's: taking the
    admin role away also takes it from the admin tokens tied to them."""
    sid = "sta_rev_demoted"
    put_staff(srv, sid, role="admin")
    tok = srv.post("/ops/tokens", {"name": "desk", "role": "admin", "staff_id": sid}).json()["token"]
    assert srv.get("/ops/audit?limit=1", token=tok).status == 200
    put_staff(srv, sid, role="agent")  # on this instance at once (elsewhere within a second)
    assert_error(srv.get("/ops/audit?limit=1", token=tok), 403, "forbidden")
    assert srv.get("/ops/tasks", token=tok).status == 200


def test_signing_in_on_the_page_with_a_token_counts_as_using_it(srv, client):
    r = srv.post("/ops/tokens", {"name": "page only", "role": "agent"})
    tid, tok = r.json()["id"], r.json()["token"]
    r, _ = sign_in(srv, token=tok, client=client)
    assert r.status == 200, r
    [t] = [t for t in srv.get("/ops/tokens?limit=500").json()["data"] if t["id"] == tid]
    assert t["last_used_at"] is not None, t


@pytest.mark.parametrize("change", ["deactivate", "new_email", "password"])
def test_an_invitation_does_not_outlive_a_deactivation_a_new_email_or_a_password_change(srv, change, client):
    sid = f"sta_rev_inv_{change}"
    c = account(srv, sid, PW, client=client)
    secret, _ = invite_secret(srv, sid)  # a reset link, sent before the change
    if change == "deactivate":
        put_staff(srv, sid, active=False)
        put_staff(srv, sid, active=True)
    elif change == "new_email":
        put_staff(srv, sid, email=f"{sid}.new@example.com")
    else:
        r = srv.post("/ops/me/password", {"current_password": PW, "new_password": PW + "-2"}, token=None,
                     headers=session_headers(srv, c, client=client))
        assert r.status == 200, r
    assert staff_of(srv, sid)["invite_expires_at"] is None
    assert_error(accept_invite(srv, secret, "another-fine-password", client=client)[0], 404, "not_found")


def test_the_audit_type_prefix_takes_whole_words_only(srv, client):
    sign_in(srv, email="nobody-here@example.com", password="wrong-password-1", client=client)
    c = account(srv, "sta_rev_out", PW, client=client)
    assert srv.post("/logout", None, token=None, headers=session_headers(srv, c, client=client)).status == 200
    types = {r["type"] for r in srv.get("/ops/audit?type=login&limit=500").json()["data"]}
    assert types and types <= {"login.succeeded", "login.failed"}, types
    assert srv.get("/ops/audit?type=log&limit=500").json()["data"] == []
    assert {r["type"] for r in srv.get("/ops/audit?type=logout&limit=500").json()["data"]} == {"logout"}


def test_attempts_past_the_limit_are_answered_without_a_row_each(srv, client):
    """Past the limit an attempt is answered at once; one of them a minute
    (per email and address) is still written down."""
    email = "hammer@example.com"
    for _ in range(5):
        assert_bad_credentials(sign_in(srv, email=email, password="not-the-password", client=client)[0])
    for _ in range(6):
        r, _ = sign_in(srv, email=email, password="not-the-password", client=client)
        assert_error(r, 429, "too_many_requests")
        retry_after(r)
    rows = [r for r in srv.get("/ops/audit?type=login.failed&limit=500").json()["data"]
            if r["details"].get("email") == email]
    reasons = sorted(r["details"]["reason"] for r in rows)
    assert reasons == ["bad_credentials"] * 5 + ["rate_limited"], reasons
